// Golden vectors (tests/vectors): the manifest, the request bytes of a case and
// the exact response bytes it must produce. Shared by the Node and Chromium suites.
import { readFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

export const VECTORS_DIR = fileURLToPath(new URL("../vectors/", import.meta.url));
const MANIFEST = new URL("../vectors/manifest.json", import.meta.url);

/** Ops whose request is `u32 LE events length | events | prior`. */
export const OP_RECONCILE_JSON = 1;
export const OP_RECONCILE_BINARY = 2;

/** Loads the manifest and every file it names. Throws with a clear message when absent. */
export function loadCases() {
  if (!existsSync(MANIFEST)) {
    throw new Error(`no golden vectors: ${fileURLToPath(MANIFEST)} is missing (run \`cargo xtask vectors\`)`);
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
  if (manifest.version !== 1) throw new Error(`manifest version ${manifest.version}, expected 1`);
  if (!Array.isArray(manifest.cases) || manifest.cases.length === 0) throw new Error("manifest has no cases");
  const read = (rel) => readFileSync(new URL(rel, new URL("../vectors/", import.meta.url)));
  return manifest.cases.map((c) => {
    const expected = read(c.expected);
    const response = Buffer.concat([Buffer.from([c.status]), expected]);
    if (Array.isArray(c.fields)) {
      // ops 3..12: the request is the fields, each `u32 LE length | bytes`
      const fields = c.fields.map(read);
      return { ...c, fields, input: null, prior: null, expected, request: fieldsRequest(fields), response };
    }
    const input = read(c.input);
    const prior = c.prior == null ? null : read(c.prior);
    return { ...c, input, prior, expected, request: request(input, prior), response };
  });
}

/** The raw-ABI request: u32 little-endian length of `events`, `events`, then `prior` (if any). */
export function request(events, prior) {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(events.length, 0);
  return Buffer.concat([len, events, prior ?? Buffer.alloc(0)]);
}

/** The request of ops 3..12: each field as `u32 little-endian length | bytes`. */
export function fieldsRequest(fields) {
  return Buffer.concat(
    fields.flatMap((f) => {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(f.length, 0);
      return [len, f];
    }),
  );
}

/** Offset of the first differing byte of `a` and `b`, or -1 when equal. */
export function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Throws an Error naming the case and the first differing byte unless `actual` equals `expected`. */
export function assertSameBytes(name, actual, expected) {
  const a = Buffer.from(actual.buffer ?? actual, actual.byteOffset ?? 0, actual.byteLength ?? actual.length);
  const at = firstDifference(a, expected);
  if (at === -1) return;
  const show = (buf) => JSON.stringify(buf.subarray(Math.max(0, at - 16), at + 32).toString("latin1"));
  throw new Error(
    `case ${name}: output differs from the golden vector at byte ${at} ` +
      `(got ${a.length} bytes, expected ${expected.length})\n` +
      `  got:      ...${show(a)}\n  expected: ...${show(expected)}`,
  );
}

export function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The blob hash the suites must see, from `cargo xtask test`. */
export function expectedBlobSha256() {
  const sha = process.env.OMEGA_BLOB_SHA256;
  if (!sha || !/^[0-9a-f]{64}$/.test(sha)) {
    throw new Error(
      "OMEGA_BLOB_SHA256 is not set to a SHA-256 hex digest; run these tests through `cargo xtask test` " +
        "(or set it to the sha256 of wasm/dist/omega_wasm_bg.wasm)",
    );
  }
  return sha;
}
