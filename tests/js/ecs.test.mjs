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
  // the empty world's snapshot (97 bytes in OMGW version 1, 139 in version 2) claiming 4,294,967,295 topology nodes
  const tiny = new omega.World(1, 0, 1, 0);
  const snap = tiny.snapshot();
  assert.equal(snap.length, 139);
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

// JS parity with the ops every other engine runs (issue 18, part 3): each
// function gives the golden vector's body, byte fields as bytes.
const b64 = (u8) => Buffer.from(u8).toString("base64");
const text = (c, i) => c.fields[i].toString("utf8");

test("snapshot and writeBundle give ops 15 and 17's golden bodies", () => {
  const s = omega.snapshot(text(cases.snapshot, 0));
  assert.ok(s.snapshot instanceof Uint8Array);
  assert.deepEqual({ ...s, snapshot: b64(s.snapshot) }, expected("snapshot"));
  // the snapshot is what replay starts from
  assert.equal(omega.snapshot(s.snapshot).hash, s.hash);
  const c = cases.bundle;
  const b = omega.writeBundle(text(c, 0), text(c, 1), text(c, 2));
  assert.ok(b.bundle instanceof Uint8Array);
  assert.deepEqual({ ...b, bundle: b64(b.bundle) }, expected("bundle"));
  assert.equal(omega.explainBundle(b.bundle).reproduced, true);
  // an array of events is JSON by default
  assert.deepEqual(omega.writeBundle(JSON.parse(text(c, 0)), undefined, text(c, 2)).evidence_hash, b.evidence_hash);
  const clean = cases["bundle-clean-batch"];
  assert.throws(() => omega.writeBundle(text(clean, 0), "json", text(clean, 2)), (e) => e.code === 3903);
  assert.throws(() => omega.writeBundle(text(c, 0), "yaml", text(c, 2)), (e) => e.code === 3301);
  assert.throws(() => omega.snapshot("{}"), (e) => e instanceof omega.OmegaError);
});

test("a snapshot holds the history's state and its world (OMSN, world flag 1), as op 15 writes it", () => {
  const c = cases["snapshot-with-world"];
  const s = omega.snapshot(text(c, 0), new Uint8Array(c.fields[1]));
  assert.deepEqual({ ...s, snapshot: b64(s.snapshot) }, expected("snapshot-with-world"));
  // a snapshot of it keeps the world; the world runs from it as from its own bytes
  assert.deepEqual(omega.snapshot(s.snapshot).snapshot, s.snapshot);
  const a = omega.World.fromEvents(s.snapshot, "[]");
  const b = omega.World.restore(new Uint8Array(c.fields[1]));
  assert.deepEqual(a.step(5), b.step(5));
  assert.equal(a.stateHash(), expected("ecs-from-snapshot").state_hash);
  // a snapshot with no world is refused as a world (4001), and so is a bad world
  assert.throws(() => omega.World.fromEvents(omega.snapshot(text(c, 0)).snapshot, "[]"), (e) => e.code === 4001);
  assert.throws(() => omega.snapshot(text(c, 0), new Uint8Array(c.fields[1]).slice(0, 40)), (e) => e.code === 4001);
});

test("ecsDiff names the first entity and component that differ, as op 20 does", () => {
  const c = cases["ecs-diff"];
  assert.deepEqual(omega.ecsDiff(c.fields[0], c.fields[1]), expected("ecs-diff"));
  assert.equal(omega.ecsDiff(c.fields[0], c.fields[0]).same, true);
  assert.throws(() => omega.ecsDiff(new Uint8Array([1, 2]), c.fields[0]), (e) => e.code === 4001);
});

test("World.fromEvents steps to op 19's hash for the same history", () => {
  const c = cases["ecs-events"];
  const want = expected("ecs-events");
  const w = omega.World.fromEvents(text(c, 0), text(c, 2));
  const reports = w.step(Number(text(c, 1)));
  assert.deepEqual(reports, want.reports);
  assert.equal(w.stateHash(), want.state_hash);
  // from an array, and from a snapshot of the start world, the same
  const w2 = omega.World.fromEvents(new omega.World(3, 60).snapshot(), JSON.parse(text(c, 2)));
  assert.equal(w2.step(40).at(-1).state_hash, want.state_hash);
  assert.throws(() => omega.World.fromEvents('{"seed": 1, "bogus": 2}', "[]"), (e) => e.code === 4002);
});

test("World.applyBatch follows op 26 batch by batch", () => {
  const first = cases["ecs-batch-first"];
  const next = cases["ecs-batch-next"];
  const w = omega.World.fromEvents(text(first, 0), "[]");
  const r1 = w.applyBatch(new Uint8Array(first.fields[1]));
  assert.deepEqual({ ...r1, world: b64(r1.world) }, expected("ecs-batch-first"));
  assert.equal(w.tick, r1.end_tick);
  assert.equal(w.stateHash(), r1.state_hash);
  assert.deepEqual(w.snapshot(), new Uint8Array(next.fields[0]), "the world after the first batch is the next vector's start");
  const r2 = w.applyBatch(new Uint8Array(next.fields[1]));
  assert.deepEqual({ ...r2, world: b64(r2.world) }, expected("ecs-batch-next"));
  // an empty batch still moves the world a tick
  assert.equal(w.applyBatch().end_tick, r2.end_tick + 1);
  assert.throws(() => w.applyBatch(new Uint8Array([0xff])), (e) => e instanceof omega.OmegaError && e.code >= 3100 && e.code < 3200);
});

test("World.loads counts the live entities of each node, and follows spawns and migrations", () => {
  const w = new omega.World(7, 40, 4, 2);
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  let loads = Array.from(w.loads());
  assert.equal(loads.length, 4);
  assert.equal(sum(loads), 40);
  // 12 spawns on node 0 unbalance it; the topology system moves one entity a tick
  const at = w.tick + 1;
  const reports = w.step(10, Array.from({ length: 12 }, () => ({ tick: at, op: "spawn", node: 0, target: "0" })));
  const expected = loads.slice();
  expected[0] += 12;
  for (const r of reports) for (const m of r.migrations) (expected[m.from]--, expected[m.to]++);
  loads = Array.from(w.loads());
  assert.deepEqual(loads, expected);
  assert.equal(sum(loads), w.entities);
  assert.ok(reports.some((r) => r.migrations.length > 0));
  // every tick report carries the arbiter's plan and the PIDs' Lyapunov candidate
  for (const r of reports) {
    assert.ok(["hold", "repair", "optimize"].includes(r.plan.action));
    assert.equal(typeof r.lyapunov.stable, "boolean");
    assert.match(r.lyapunov.v, /^-?\d+(\.\d+)?$/);
  }
});
