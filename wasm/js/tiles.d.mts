// Types of omega-kernel/tiles (js/tiles.mjs): a client for a log published
// as C2SP tlog-tiles that checks inclusion and consistency against quorum
// certificates, fetching only the tiles a proof needs.
import type * as Kernel from "../dist/omega_wasm.js";
import type { CertificateInput, Committee, ConsistencyProof, InclusionProof, VerifyReport } from "../dist/omega_wasm.js";

/**
 * What the client uses of the kernel: the module itself (`import * as omega
 * from "omega-kernel"`). Its signatures are the generated declarations'.
 */
export type TileKernel = Pick<typeof Kernel, "proveFromTiles" | "verifyCertificate" | "certificateNote" | "verifyInclusion" | "verifyConsistency">;

export interface TileClientOptions {
  /** The store's URL: the folder that holds `tile/` and `checkpoint`. */
  baseUrl: string;
  /** The fetch to use (default: the global one). */
  fetch?: (url: string) => Promise<Response>;
}

/** The C2SP path of entry bundle `n` of a tree of `size` leaves. */
export function bundlePath(n: number, size: number): string;
/** The entries of an entry bundle (throws 3413 when malformed). */
export function parseBundle(bytes: Uint8Array): Uint8Array[];

export class TileClient {
  constructor(kernel: TileKernel, options: TileClientOptions);
  /** HTTP requests made so far. */
  requests: number;
  /** The store's signed checkpoint text, or null. */
  checkpoint(): Promise<string | null>;
  /** A tile's bytes (a replaced partial tile is read from its full tile); throws 3410 when missing. */
  tile(path: string): Promise<Uint8Array>;
  /** A proof from the tiles (op 29), checked against `root` when given. */
  prove(kind: "inclusion", at: number, size: number, root?: string | null): Promise<InclusionProof>;
  prove(kind: "consistency", at: number, size: number, root?: string | null): Promise<ConsistencyProof>;
  /** Size, root (hex) and report of a certificate valid for the committee (throws 3414 otherwise). */
  certified(certificate: CertificateInput, committee: Committee | string): { size: number; root: string; report: VerifyReport };
  /** Entry `index` is in the certified log: its canonical bytes and proof; `requests` counts this check's fetches. */
  verifyInclusion(args: { certificate: CertificateInput; committee: Committee | string; index: number }): Promise<{
    entry: Uint8Array;
    leafHash: string;
    proof: InclusionProof;
    size: number;
    root: string;
    requests: number;
  }>;
  /** The newer certified log extends the older one. */
  verifyConsistency(args: { older: CertificateInput; newer: CertificateInput; committee: Committee | string }): Promise<{ proof: ConsistencyProof; requests: number }>;
}
