// The ECS World class in Node: the same per-tick reports and hashes as the
// golden vectors (made natively), and snapshot/restore across engines.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as omega from "omega-kernel";
import { loadCases } from "./vectors.mjs";

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const expected = (name) => JSON.parse(cases[name].expected.toString("utf8"));

test("World.step gives the golden per-tick reports", () => {
  const w = new omega.World(7, 1000, 5, 3);
  const got = w.step(20);
  assert.deepEqual(got, expected("ecs-reports").reports);
  assert.equal(w.stateHash(), got.at(-1).state_hash);
  assert.deepEqual(w.metrics(), got.at(-1));
  assert.equal(w.tick, 20);
  w.free();
});

test("snapshot at tick 5,000 (made natively), restored here, reaches the uninterrupted run's tick-6,000 hash", () => {
  const snap = new Uint8Array(cases["ecs-restore-5000"].fields[0]);
  const w = omega.World.restore(snap);
  assert.equal(w.tick, 5000);
  const reports = w.step(1000);
  const want = expected("ecs-1k-10k").checkpoints.find((c) => c.tick === 6000).state_hash;
  assert.equal(reports.at(-1).state_hash, want);
  // and the snapshot/restore round trip inside the blob continues identically
  const again = omega.World.restore(w.snapshot());
  assert.deepEqual(again.step(5), w.step(5));
  w.free();
  again.free();
});

test("uninterrupted and restored runs agree (golden vectors)", () => {
  const a = expected("ecs-1k-10k");
  const b = expected("ecs-restore-5000");
  assert.equal(a.state_hash, b.state_hash);
  assert.deepEqual(a.checkpoints.slice(5), b.checkpoints);
});

test("commands: JSON form applied at their tick; bad ones throw with a code", () => {
  const w = new omega.World(3, 10);
  const r = w.step(3, [{ tick: 2, op: "spawn", node: 1, target: "0.5" }, { tick: 3, op: "despawn", entity: "4:0" }]);
  assert.equal(r[1].entities, 11);
  assert.equal(r[2].entities, 10);
  assert.throws(() => w.step(1, [{ tick: 4, op: "explode" }]), (e) => e.code === 4004);
  assert.throws(() => omega.World.restore(new Uint8Array([1, 2, 3])), (e) => e.code === 4001);
  w.free();
});

test("new World and World.restore apply the caps of omega ecs, with the same codes (issue 12)", () => {
  // nodes 0 used to run silently with 1 node
  assert.throws(() => new omega.World(7, 10, 0), (e) => e.code === 4002 && /`nodes` must be an integer from 1 to 1048576/.test(e.message));
  // a JS number past u32 used to wrap instead of being refused
  assert.throws(() => new omega.World(7, 2 ** 32 + 5), (e) => e.code === 4002);
  // every field in range, ~97 GB at the peak of a run: refused up front with the estimate, not a trap
  assert.throws(
    () => new omega.World(7, 10_000_000, 5, 64),
    (e) => e.code === 4005 && e.message.includes("needs about 96.9 GB; the limit is 1.8 GB"),
  );
  // the 97-byte snapshot claiming 4,294,967,295 topology nodes
  const tiny = new omega.World(1, 0, 1, 0);
  const snap = tiny.snapshot();
  assert.equal(snap.length, 97);
  new DataView(snap.buffer, snap.byteOffset).setUint32(29, 0xffffffff);
  assert.throws(() => omega.World.restore(snap), (e) => e.code === 4005 && e.message.includes("4294967295"));
  tiny.free();
});

test("ecsBatch steps a world batch by batch as the golden vectors do, and certify signs its world line (op 26)", () => {
  const first = cases["ecs-batch-first"];
  const a = omega.ecsBatch(first.fields[0].toString("utf8"), new Uint8Array(first.fields[1]));
  const want = expected("ecs-batch-first");
  assert.ok(a.world instanceof Uint8Array);
  assert.equal(Buffer.from(a.world).toString("base64"), want.world);
  assert.deepEqual({ ...a, world: want.world }, want);
  // the world it returns is the next batch's world: the same as the next vector's snapshot
  assert.deepEqual(Buffer.from(a.world), cases["ecs-batch-next"].fields[0]);
  const b = omega.ecsBatch(a.world, new Uint8Array(cases["ecs-batch-next"].fields[1]));
  assert.equal(b.state_hash, expected("ecs-batch-next").state_hash);
  assert.equal(b.late.length, 1);
  assert.equal(b.too_far.length, 1);
  // an empty batch moves the world one tick
  assert.equal(omega.ecsBatch(b.world).end_tick, b.end_tick + 1);
  // certify with the world line: the golden certificate, byte for byte
  const c = cases["certify-world"];
  const [result, origin, key, , committee, world] = c.fields.map((f) => f.toString("utf8"));
  const cert = omega.certify(result, origin, key, undefined, committee, world);
  assert.deepEqual(cert.world, expected("certify-world").world);
  assert.equal(Buffer.from(cert.certificate).toString("base64"), expected("certify-world").certificate);
  assert.throws(() => omega.certify(result, origin, key, undefined, committee, "8 nothex"), (e) => e.code === 3606);
  assert.throws(() => omega.ecsBatch(new Uint8Array(cases["ecs-batch-bad-world"].fields[0])), (e) => e.code === 4001);
});
