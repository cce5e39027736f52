// SHA-256 and the RFC 6962 Merkle root in Node (issue 7): the blob beside
// what a JS user would otherwise use, on the very same leaf hashes.
//
//   cargo xtask blob && (cd tests/js && npm ci) && node tests/js/bench-peers.mjs [leaves] [runs]
//
// Input: `leaves` (default 1,000,000) leaf hashes, SHA-256(0x00 || "leaf i"),
// concatenated as the blob's `merkleRoot` takes them. Peers, each a plain-JS
// RFC 6962 Merkle tree hash (section 2.1, iterative over index ranges, no
// copying) with a different SHA-256 underneath:
//   - omega blob `merkleRoot(bytes)` (op 21: sha2 in wasm32);
//   - node:crypto `createHash("sha256")` (OpenSSL, native);
//   - @noble/hashes `sha256` (pure JS);
//   - WebCrypto `crypto.subtle.digest("SHA-256")` (async; one level of the
//     tree at a time as a Promise.all, the fastest way to drive it).
// Every peer's root is checked equal to the blob's before anything is timed.
// Ed25519 peers (node:crypto, WebCrypto, @noble/ed25519) are in
// bench-certify.mjs; `omega bench` compares the blob with native Rust.
import { performance } from "node:perf_hooks";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import * as omega from "omega-kernel";

const N = Math.max(1, Number(process.argv[2] ?? 1_000_000));
const runs = Math.max(1, Number(process.argv[3] ?? 5));
const subtle = globalThis.crypto.subtle;

const nodeSha = (a, b) => {
  const h = createHash("sha256");
  h.update(a);
  if (b) h.update(b);
  return h.digest();
};

/** RFC 6962 MTH over leaves[lo, hi) with a synchronous node hash `pair(left, right)`. */
function mthSync(leaves, pair) {
  const rec = (lo, hi) => {
    const n = hi - lo;
    if (n === 1) return leaves[lo];
    let k = 1;
    while (k * 2 < n) k *= 2;
    return pair(rec(lo, lo + k), rec(lo + k, hi));
  };
  return leaves.length === 0 ? null : rec(0, leaves.length);
}

const PREFIX = new Uint8Array([1]);
const nodePair = (l, r) => {
  const h = createHash("sha256");
  h.update(PREFIX);
  h.update(l);
  h.update(r);
  return h.digest();
};
const noblePair = (l, r) => {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(l, 1);
  buf.set(r, 33);
  return nobleSha256(buf);
};

/** RFC 6962 MTH with WebCrypto: the tree of the RFC's split is the same as
 * pairing left to right level by level, carrying an odd last node up. */
async function mthWebCrypto(leaves) {
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const buf = new Uint8Array(65);
      buf[0] = 1;
      buf.set(level[i], 1);
      buf.set(level[i + 1], 33);
      next.push(subtle.digest("SHA-256", buf));
    }
    const done = (await Promise.all(next)).map((d) => new Uint8Array(d));
    if (level.length % 2 === 1) done.push(level.at(-1));
    level = done;
  }
  return level[0];
}

const hex = (b) => Buffer.from(b).toString("hex");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// --- the input ---
const t0 = performance.now();
const leaves = Array.from({ length: N }, (_, i) => nodeSha(Buffer.from([0]), Buffer.from(`leaf ${i}`)));
const flat = new Uint8Array(Buffer.concat(leaves));
const genMs = performance.now() - t0;

const peers = [
  ["omega blob merkleRoot (wasm sha2)", () => omega.merkleRoot(flat).root],
  ["plain JS + node:crypto createHash", () => hex(mthSync(leaves, nodePair))],
  ["plain JS + @noble/hashes sha256", () => hex(mthSync(leaves, noblePair))],
  ["plain JS + WebCrypto subtle.digest", async () => hex(await mthWebCrypto(leaves))],
];

// --- every peer computes the same root first ---
const want = omega.merkleRoot(flat).root;
for (const [name, f] of peers) {
  const got = await f();
  if (got !== want) throw new Error(`${name} gives root ${got}, the blob ${want}`);
}

// --- then the timing ---
const rows = [];
for (const [name, f] of peers) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await f();
    times.push(performance.now() - s);
  }
  rows.push({ name, ms: median(times), min: Math.min(...times), max: Math.max(...times) });
}

const pkg = (p) => JSON.parse(readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url), "utf8")).version;
console.log(`omega-kernel ${omega.version()} (blob) in Node ${process.version}, OpenSSL ${process.versions.openssl}, @noble/hashes ${pkg("@noble/hashes")}`);
console.log(`CPU: ${os.cpus()[0]?.model ?? "?"} (${os.availableParallelism?.() ?? os.cpus().length} threads)`);
console.log(`input: ${N.toLocaleString("en-US")} leaf hashes (made in ${genMs.toFixed(0)} ms); every peer gives root ${want}`);
console.log(`median of ${runs} runs (fastest..slowest); ${(N - 1).toLocaleString("en-US")} node hashes of 65 bytes per root; ratio = peer time / blob time (> 1: the blob is faster)\n`);
const blob = rows[0].ms;
for (const r of rows) {
  console.log(
    `${r.name.padEnd(38)} ${`${r.ms.toFixed(1)} ms`.padStart(11)} (${r.min.toFixed(1)}..${r.max.toFixed(1)})  ${((N - 1) / (r.ms / 1e3) / 1e6).toFixed(2).padStart(6)} M hashes/s  ${(r.ms / blob).toFixed(2).padStart(6)}x`,
  );
}
