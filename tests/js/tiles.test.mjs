// omega-kernel/tiles in Node: a log tiled by the `omega` binary (three
// batches, `append --tiles`), certified by a 2-of-3 committee at each batch,
// served over HTTP by web/serve.mjs; the client checks inclusion and
// consistency against the certificates, fetching only the tiles a proof
// needs, and refuses a changed tile, a changed entry and a certificate the
// committee did not sign. `proveFromTiles` itself is pinned on every engine
// by the golden vectors (tests/vectors/tiles/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as omega from "omega-kernel";
import { TileClient, bundlePath, parseBundle } from "omega-kernel/tiles";
import { listen, staticServer } from "../../web/serve.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function omegaBin() {
  for (const p of [process.env.OMEGA_BIN, resolve(ROOT, "target/release/omega")]) {
    if (p && existsSync(p)) return p;
  }
  throw new Error("no omega binary: build it with `cargo build --release -p omega-host` (or set OMEGA_BIN)");
}

let dir;
let server;
let base;
const certs = [];
let committee;

function run(...args) {
  return execFileSync(omegaBin(), args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "omega-tiles-js-"));
  const vkeys = [0, 1, 2].map((i) => run("keygen", "--name", `k${i}.example`, "--out", `k${i}.key`).toString().trim());
  run("committee", "--threshold", "2", "--out", "committee.json", ...vkeys);
  committee = readFileSync(join(dir, "committee.json"), "utf8");
  let prior = null;
  let prev = null;
  for (const [i, per] of [[1, 700], [2, 90], [3, 400]]) {
    const extra = prior ? ["--prior", prior] : [];
    run("sample", "--seed", String(i), "--nodes", "3", "--streams", "2", "--per-stream", String(per), "--format", "binary", "--out", `b${i}.bin`, ...extra);
    writeFileSync(join(dir, `r${i}.json`), run("reconcile", "--format", "binary", "-i", `b${i}.bin`, ...extra));
    run("append", "--log", "L.omega", "-i", `b${i}.bin`, "--format", "binary", "--tiles", "T");
    const p = prev ? ["--prev", prev] : [];
    run("certify", "--result", `r${i}.json`, "--key", "k0.key", "--origin", "log.example", "--committee", "committee.json", ...p, "--out", `c${i}.cert`);
    run("cosign", "--cert", `c${i}.cert`, "--key", "k1.key");
    certs.push(new Uint8Array(readFileSync(join(dir, `c${i}.cert`))));
    prior = `r${i}.json`;
    prev = `c${i}.cert`;
  }
  run("tiles", "--log", "L.omega", "--out", "T", "--cert", "c3.cert");
});

before(async () => {
  server = await listen(staticServer([["/log/", join(dir, "T")]]));
  base = `http://127.0.0.1:${server.address().port}/log/`;
});

after(async () => {
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  server?.closeAllConnections?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("inclusion of entries against each certificate, in a few requests", async () => {
  const log = new TileClient(omega, { baseUrl: base });
  const sizes = [4200, 4740, 7140];
  for (const [k, cert] of certs.entries()) {
    for (const index of [0, 255, 256, 4199, Math.floor(sizes[k] / 2), sizes[k] - 1]) {
      if (index >= sizes[k]) continue;
      const r = await log.verifyInclusion({ certificate: cert, committee, index });
      assert.equal(r.size, sizes[k]);
      assert.equal(r.proof.leaf_index, index);
      // the same proof the kernel makes from the whole history
      const whole = JSON.parse(run("prove", "--tiles", "T", "--index", String(index), "--size", String(sizes[k])).toString());
      assert.deepEqual(r.proof, whole);
      // the entry is the event's canonical bytes: it decodes, and it is the leaf
      assert.equal(omega.splitEvents(r.entry).length, 1);
      // a tree of a few thousand leaves: the leaf's tiles, the root's, one bundle
      assert.ok(r.requests <= 7, `${r.requests} requests for entry ${index} of ${sizes[k]}`);
    }
  }
});

test("consistency between certificates", async () => {
  const log = new TileClient(omega, { baseUrl: base });
  for (const [a, b] of [[0, 1], [1, 2], [0, 2], [2, 2]]) {
    const r = await log.verifyConsistency({ older: certs[a], newer: certs[b], committee });
    assert.equal(omega.verifyConsistency(r.proof).status, "valid");
  }
  await assert.rejects(log.verifyConsistency({ older: certs[2], newer: certs[0], committee }), (e) => e.code === 3401);
});

test("a changed tile, a changed entry, or a certificate the committee did not sign is refused", async () => {
  const t = join(dir, "T/tile/0/002");
  const good = readFileSync(t);
  const bad = Buffer.from(good);
  bad[100] ^= 1;
  writeFileSync(t, bad);
  const log = new TileClient(omega, { baseUrl: base });
  await assert.rejects(log.verifyInclusion({ certificate: certs[2], committee, index: 520 }), (e) => e.code === 3414);
  // an entry outside that tile still verifies
  await log.verifyInclusion({ certificate: certs[2], committee, index: 5 });
  writeFileSync(t, good);

  const bpath = join(dir, "T", bundlePath(0, 7140));
  const bundle = readFileSync(bpath);
  const changed = Buffer.from(bundle);
  changed[20] ^= 1;
  writeFileSync(bpath, changed);
  await assert.rejects(log.verifyInclusion({ certificate: certs[2], committee, index: 0 }), (e) => e.code === 3414);
  writeFileSync(bpath, bundle);
  assert.equal(parseBundle(new Uint8Array(bundle)).length, 256);

  // signed by one member only: under the committee's threshold of 2
  run("certify", "--result", "r3.json", "--key", "k2.key", "--origin", "log.example", "--committee", "committee.json", "--prev", "c2.cert", "--out", "solo.cert");
  const solo = new Uint8Array(readFileSync(join(dir, "solo.cert")));
  await assert.rejects(log.verifyInclusion({ certificate: solo, committee, index: 1 }), (e) => e.code === 3414);
  // the served checkpoint is the newest certificate's note
  assert.equal(await log.checkpoint(), omega.certificateNote(certs[2]));
});

test("proveFromTiles names what it needs, takes a wider tile for a narrower one, and throws with a code", () => {
  const need = omega.proveFromTiles("inclusion", 10, 7140, null, null);
  assert.equal(need.status, "need");
  assert.ok(need.tiles.includes("tile/0/000"));
  const tiles = Object.fromEntries(need.tiles.map((p) => [p, new Uint8Array(readFileSync(join(dir, "T", p)))]));
  const proof = omega.proveFromTiles("inclusion", 10, 7140, null, new Map(Object.entries(tiles)));
  assert.equal(proof.leaf_index, 10);
  assert.throws(() => omega.proveFromTiles("inclusion", 7140, 7140, null, null), (e) => e.code === 3401);
  assert.throws(() => omega.proveFromTiles("inclusion", 1, 3, null, { "tile/0/1": new Uint8Array(96) }), (e) => e.code === 3412);
  assert.throws(() => omega.proveFromTiles("inclusion", 1, 3, null, { "tile/0/000.p/3": "not bytes" }), (e) => e.code === 3303);
  assert.throws(() => omega.proveFromTiles("sideways", 1, 3, null, null), (e) => e.code === 3301);
});

test("bundlePath spells C2SP paths; parseBundle reads any bundle back and refuses every cut inside an entry", () => {
  assert.equal(bundlePath(0, 1), "tile/entries/000.p/1");
  assert.equal(bundlePath(0, 256), "tile/entries/000");
  assert.equal(bundlePath(1234067, 1234067 * 256 + 17), "tile/entries/x001/x234/067.p/17");
  assert.equal(bundlePath(1000, 1001 * 256), "tile/entries/x001/000");
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let round = 0; round < 200; round++) {
    const entries = Array.from({ length: rnd(6) }, () => Uint8Array.from({ length: rnd(300) }, () => rnd(256)));
    const total = entries.reduce((a, e) => a + 2 + e.length, 0);
    const b = new Uint8Array(total);
    const ends = new Set([0]);
    let at = 0;
    for (const e of entries) {
      b[at] = e.length >> 8;
      b[at + 1] = e.length & 255;
      b.set(e, at + 2);
      at += 2 + e.length;
      ends.add(at);
    }
    assert.deepEqual(parseBundle(b).map((x) => [...x]), entries.map((x) => [...x]));
    for (let cut = 0; cut < total; cut++) {
      if (ends.has(cut)) assert.equal(parseBundle(b.subarray(0, cut)).length, [...ends].filter((x) => x > 0 && x <= cut).length);
      else assert.throws(() => parseBundle(b.subarray(0, cut)), (e) => e.code === 3413);
    }
  }
});
