// Golden vectors (tests/vectors): the cases of the manifest (read by
// manifest.mjs, the one JS reader), with the request bytes of each and the
// exact response bytes it must produce. Shared by the Node and Chromium suites.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { readManifest, requestBytes, requestFiles, responseBytes } from "./manifest.mjs";

export { OP_RECONCILE_BINARY, OP_RECONCILE_JSON } from "./manifest.mjs";

const VECTORS = new URL("../vectors/", import.meta.url);
export const VECTORS_DIR = fileURLToPath(VECTORS);

/**
 * Every case of the manifest with its files read: `expected`, `request` and
 * `response` as bytes, and `fields` (ops other than 1 and 2) or `input` and
 * `prior` (ops 1 and 2) as bytes, the others null. Throws with a clear message
 * when the manifest is absent or refused.
 */
export function loadCases() {
  const read = (rel) => readFileSync(new URL(rel, VECTORS));
  return readManifest(VECTORS).cases.map((c) => {
    const files = requestFiles(c).map(read);
    const expected = read(c.expected);
    const bytes = { expected, request: Buffer.from(requestBytes(c, files)), response: Buffer.from(responseBytes(c, expected)) };
    if (c.fields) return { ...c, fields: files, input: null, prior: null, ...bytes };
    return { ...c, input: files[0], prior: c.prior === null ? null : files[1], ...bytes };
  });
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

/**
 * The npm package `omega-kernel`, imported as a user would (its "node" export
 * initialises the blob itself), or an Error that says how to get it.
 */
export async function importKernel() {
  try {
    return await import("omega-kernel");
  } catch (e) {
    throw new Error(`cannot import omega-kernel (build it with \`cargo xtask blob\`, install with \`npm ci\` in tests/js): ${e.message}`, { cause: e });
  }
}
