// An independent check of the golden vectors: plain JS and node:crypto, no
// omega code at all. For every `ok` vector with no prior, it encodes the input
// events canonically (docs/FORMATS.md), drops byte-identical duplicates, sorts
// by key, and recomputes the RFC 6962 Merkle root, the frontier and the heads.
// So the expected files are not merely "what the Rust code printed".
// The last test holds the blob's `merkleRoot` to the same plain-JS root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadCases } from "./vectors.mjs";

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

function u(n, bytes) {
  const b = Buffer.alloc(bytes);
  let v = BigInt(n);
  for (let i = bytes - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
}

/** Canonical bytes of one JSON-form event (FORMATS.md, "Event encoding"). */
function encode(e) {
  const id = e.id !== undefined ? Buffer.from(e.id, "hex") : Buffer.concat([u(e.node, 4), u(e.stream, 2), u(e.seq, 8)]);
  const deps = [...new Set(e.deps ?? [])].sort().map((d) => Buffer.from(d, "hex"));
  const payload = Buffer.from(e.payload ?? "", "base64");
  const key = Buffer.concat([u(e.lamport, 8), u(e.node, 4), u(e.stream, 2), id]);
  return { key, seq: e.seq, bytes: Buffer.concat([key, u(e.seq, 8), u(deps.length, 4), ...deps, u(payload.length, 4), payload]) };
}

/** RFC 6962 section 2.1: MTH of a list of leaf hashes. */
function mth(leaves) {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const cases = loadCases().filter((c) => !c.fields && c.status === 0 && c.prior === null && c.op === 1);

test("there are ok vectors to check independently", () => assert.ok(cases.length >= 4));

for (const c of cases) {
  test(`independent RFC 6962 root, frontier and heads: ${c.name}`, () => {
    const events = JSON.parse(c.input.toString("utf8")).map(encode);
    events.sort((a, b) => Buffer.compare(a.key, b.key) || Buffer.compare(a.bytes, b.bytes));
    const unique = events.filter((e, i) => i === 0 || !e.bytes.equals(events[i - 1].bytes));
    const leaves = unique.map((e) => sha256(Buffer.from([0]), e.bytes));
    const out = JSON.parse(c.expected.toString("utf8"));
    assert.equal(out.tree_size, unique.length);
    assert.equal(out.duplicates, events.length - unique.length);
    assert.equal(out.root, mth(leaves).toString("hex"));
    assert.equal(out.frontier, unique.length ? unique.at(-1).key.toString("hex") : null);
    const heads = new Map();
    unique.forEach((e, i) => heads.set(e.key.subarray(8, 14).toString("hex"), { e, leaf: leaves[i] }));
    const want = [...heads.keys()].sort().map((k) => {
      const { e, leaf } = heads.get(k);
      return { seq: e.seq, key: e.key.toString("hex"), leaf_hash: leaf.toString("hex") };
    });
    assert.deepEqual(out.heads.map(({ seq, key, leaf_hash }) => ({ seq, key, leaf_hash })), want);
  });
}

test("merkleRoot (the blob) equals the plain-JS RFC 6962 root for every size 0..70 and a few large ones; bad lengths throw 3407", async () => {
  const omega = await import("omega-kernel");
  for (const n of [...Array(71).keys(), 127, 128, 129, 1000, 4097]) {
    const leaves = Array.from({ length: n }, (_, i) => sha256(Buffer.from([0]), Buffer.from(`leaf ${i}`)));
    const got = omega.merkleRoot(new Uint8Array(Buffer.concat(leaves)));
    assert.deepEqual(got, { tree_size: n, root: mth(leaves).toString("hex") }, `size ${n}`);
  }
  for (const len of [1, 31, 33, 65]) {
    assert.throws(() => omega.merkleRoot(new Uint8Array(len)), (e) => e instanceof Error && e.code === 3407 && /multiple of 32/.test(e.message), `length ${len}`);
  }
});
