// A client for a log published as C2SP tlog-tiles (`omega tiles`): it checks
// that an entry is in a certified log, or that one certified log extends
// another, fetching only the few tiles the proof needs, so a browser or an
// edge worker can check a huge log without downloading it.
//
//   import * as omega from "omega-kernel";          // or "omega-kernel/web" after `await init()`
//   import { TileClient } from "omega-kernel/tiles";
//   const log = new TileClient(omega, { baseUrl: "https://example.org/log/" });
//   const { entry, proof } = await log.verifyInclusion({ certificate, committee, index: 123456 });
//
// The proofs are computed by the kernel (op 29, `proveFromTiles`) from the
// fetched tiles and checked against the root of a quorum certificate that the
// kernel verified first; nothing the server sends is trusted on its own.
// Errors are thrown as Error objects with a numeric `code` (docs/FORMATS.md).

/** Tile paths as C2SP spells them: `tile/<L>/<N>[.p/<W>]`. */
const PARTIAL = /^(tile\/(?:\d+|entries)\/(?:x\d{3}\/)*\d{3})\.p\/(\d+)$/;

function fail(code, message) {
  const e = new Error(message);
  e.code = code;
  return e;
}

function hexOfBase64(b64) {
  const bin = atob(b64);
  let out = "";
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

/** The C2SP path of entry bundle `n` of a tree of `size` leaves. */
export function bundlePath(n, size) {
  let s = String(n % 1000).padStart(3, "0");
  for (let m = Math.floor(n / 1000); m > 0; m = Math.floor(m / 1000)) s = `x${String(m % 1000).padStart(3, "0")}/${s}`;
  const full = Math.floor(size / 256) > n;
  return `tile/entries/${s}${full ? "" : `.p/${size % 256}`}`;
}

/** The entries of an entry bundle (each a big-endian u16 length and its bytes). */
export function parseBundle(bytes) {
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 2 > bytes.length) throw fail(3413, `entry bundle: the entry at byte ${at} runs past the end (${bytes.length} bytes)`);
    const n = (bytes[at] << 8) | bytes[at + 1];
    if (at + 2 + n > bytes.length) throw fail(3413, `entry bundle: the entry at byte ${at} runs past the end (${bytes.length} bytes)`);
    out.push(bytes.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

export class TileClient {
  /**
   * @param kernel the omega-kernel module (its `proveFromTiles`, `verifyCertificate`,
   *   `certificateNote`, `verifyInclusion`, `verifyConsistency` are used)
   * @param options `baseUrl` of the store (the folder holding `tile/` and
   *   `checkpoint`), and optionally `fetch` (default: the global one)
   */
  constructor(kernel, { baseUrl, fetch: fetchFn = globalThis.fetch } = {}) {
    if (!kernel || typeof kernel.proveFromTiles !== "function") throw fail(3303, "TileClient needs the omega-kernel module as its first argument");
    if (typeof baseUrl !== "string") throw fail(3303, "TileClient needs { baseUrl }: the URL of the tile store");
    this.kernel = kernel;
    this.base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
    // called as a plain function: `window.fetch` refuses another `this` (Illegal invocation)
    this.fetch = (url) => fetchFn(url);
    /** HTTP requests made so far. */
    this.requests = 0;
  }

  async get(path) {
    this.requests++;
    const r = await this.fetch(this.base + path);
    if (r.status === 404) return null;
    if (!r.ok) throw fail(3410, `GET ${this.base + path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }

  /** A tile's bytes: the file at its width, else (a partial tile since replaced) the full tile of its index. */
  async tile(path) {
    const b = await this.get(path);
    if (b) return b;
    const m = PARTIAL.exec(path);
    const full = m && (await this.get(m[1]));
    if (!full) throw fail(3410, `tile ${path} is missing from ${this.base}`);
    return full;
  }

  /** The store's `checkpoint` (the signed note text), or null when it has none. */
  async checkpoint() {
    const b = await this.get("checkpoint");
    return b && new TextDecoder().decode(b);
  }

  /**
   * A proof from the tiles (kernel op 29): asks which tiles it needs, fetches
   * them all at once, and computes the proof, checked against `root`.
   */
  async prove(kind, at, size, root) {
    const k = this.kernel;
    let r = k.proveFromTiles(kind, at, size, root, null);
    if (r.status !== "need") return r;
    const bytes = await Promise.all(r.tiles.map((p) => this.tile(p)));
    const tiles = Object.fromEntries(r.tiles.map((p, i) => [p, bytes[i]]));
    r = k.proveFromTiles(kind, at, size, root, tiles);
    if (r.status === "need") throw fail(3410, `the kernel still needs ${r.tiles.join(", ")}`);
    return r;
  }

  /** Size, root (hex) and verify report of a certificate that a committee signed (throws 3414 otherwise). */
  certified(certificate, committee) {
    const report = this.kernel.verifyCertificate(certificate, committee);
    if (report.status !== "valid") {
      const why = report.problems.map((p) => p.message ?? JSON.stringify(p)).join("; ");
      throw fail(3414, `the certificate is not valid for this committee: ${why}`);
    }
    const lines = this.kernel.certificateNote(certificate).split("\n");
    return { size: Number(lines[1]), root: hexOfBase64(lines[2]), report };
  }

  /**
   * Checks that entry `index` is in the log a quorum certificate certifies:
   * the certificate against the committee, the entry from its bundle, and its
   * inclusion proof from the tiles against the certified root. Returns
   * `{ entry, leafHash, proof, size, root, requests }` (`entry`: the event's
   * canonical bytes; `requests`: HTTP requests this check made).
   */
  async verifyInclusion({ certificate, committee, index }) {
    const before = this.requests;
    const { size, root } = this.certified(certificate, committee);
    const [proof, bundle] = await Promise.all([
      this.prove("inclusion", index, size, root),
      this.get(bundlePath(Math.floor(index / 256), size)).then(async (b) => b ?? (await this.get(bundlePath(Math.floor(index / 256), (Math.floor(index / 256) + 1) * 256)))),
    ]);
    if (!bundle) throw fail(3410, `the entry bundle of entry ${index} is missing from ${this.base}`);
    const entry = parseBundle(bundle)[index % 256];
    if (!entry) throw fail(3413, `the entry bundle of entry ${index} holds no entry ${index % 256}`);
    const leafHash = await leafHashOf(entry);
    if (leafHash !== proof.leaf_hash) throw fail(3414, `entry ${index} in its bundle does not hash to the leaf the tiles hold`);
    const verdict = this.kernel.verifyInclusion(proof);
    if (verdict.status !== "valid") throw fail(verdict.code ?? 3403, verdict.reason ?? "the inclusion proof does not verify");
    return { entry, leafHash, proof, size, root, requests: this.requests - before };
  }

  /**
   * Checks that the log certified by `newer` extends the one certified by
   * `older` (both against `committee`): a consistency proof from the tiles,
   * checked against both certified roots. Returns `{ proof, requests }`.
   */
  async verifyConsistency({ older, newer, committee }) {
    const before = this.requests;
    const a = this.certified(older, committee);
    const b = this.certified(newer, committee);
    if (a.size > b.size) throw fail(3401, `the older certificate's tree (${a.size}) is larger than the newer one's (${b.size})`);
    const proof = await this.prove("consistency", a.size, b.size, b.root);
    if (proof.old_root !== a.root) throw fail(3414, `the tiles give root ${proof.old_root} at size ${a.size}, not the older certificate's ${a.root}`);
    const verdict = this.kernel.verifyConsistency(proof);
    if (verdict.status !== "valid") throw fail(verdict.code ?? 3403, verdict.reason ?? "the consistency proof does not verify");
    return { proof, requests: this.requests - before };
  }
}

/** RFC 6962 leaf hash SHA-256(0x00 || entry), lowercase hex (WebCrypto). */
async function leafHashOf(entry) {
  const buf = new Uint8Array(entry.length + 1);
  buf.set(entry, 1);
  const subtle = globalThis.crypto?.subtle ?? (await import("node:crypto")).webcrypto.subtle;
  const d = new Uint8Array(await subtle.digest("SHA-256", buf));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}
