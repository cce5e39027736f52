// The framed-log JS API in Node: logs written natively (by the Rust vector
// generator) read by the blob, with the same reports as the golden vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as omega from "omega-kernel";
import { loadCases } from "./vectors.mjs";

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const expected = (name) => JSON.parse(cases[name].expected.toString("utf8"));
const bytes = (buf) => new Uint8Array(buf);

for (const name of ["ingest-clean", "ingest-torn", "ingest-crc", "ingest-not-a-log", "ingest-empty"]) {
  test(`ingest: ${name}`, () => {
    assert.deepEqual(omega.ingest(bytes(cases[name].fields[0])), expected(name));
  });
}

test("a torn tail never hides the valid prefix: every cut of a log", () => {
  const log = bytes(cases["ingest-clean"].fields[0]);
  const clean = omega.ingest(log);
  let lastValid = 16;
  for (let cut = 16; cut <= log.length; cut++) {
    const r = omega.ingest(log.subarray(0, cut));
    assert.ok(r.valid_bytes >= lastValid, `cut ${cut}: the valid prefix never shrinks as the file grows`);
    assert.ok(r.valid_bytes <= cut);
    lastValid = r.valid_bytes;
  }
  assert.equal(lastValid, clean.valid_bytes);
});

test("reconcileLog, replay and explainBundle give the golden results", () => {
  const rl = cases["reconcile-log"];
  assert.deepEqual(omega.reconcileLog(bytes(rl.fields[0])), expected("reconcile-log"));
  assert.throws(() => omega.reconcileLog(bytes(cases["reconcile-log-torn"].fields[0])), (e) => e.code === 3804);
  for (const name of ["replay-match", "replay-diverged"]) {
    const [snap, log, cert] = cases[name].fields;
    assert.deepEqual(omega.replay(bytes(snap), bytes(log), bytes(cert)), expected(name));
  }
  assert.deepEqual(omega.explainBundle(bytes(cases["explain-bundle"].fields[0])), expected("explain-bundle"));
  assert.throws(() => omega.explainBundle(bytes(cases["explain-bundle-corrupt"].fields[0])), (e) => e.code === 3902);
});

test("replay against a chain of certificates, with a reference world or an injection (the op-16 vectors)", () => {
  // fields: snapshot, log, cert 1, reference world, inject, cert 2, cert 3
  const chain = (name, options) => {
    const [snap, log, c1, , , c2, c3] = cases[name].fields.map(bytes);
    return omega.replay(snap, log, [c1, c2, c3], options);
  };
  assert.deepEqual(chain("replay-chain-world"), expected("replay-chain-world"));
  assert.deepEqual(chain("replay-chain-short"), expected("replay-chain-short"));
  const inject = cases["replay-chain-inject"].fields[4].toString("utf8");
  const flipped = chain("replay-chain-inject", { inject });
  assert.deepEqual(flipped, expected("replay-chain-inject"));
  assert.deepEqual([flipped.world_departure.difference.tick, flipped.world_departure.difference.entity, flipped.world_departure.difference.component], [6, "3:0", "field"]);
  const world = bytes(cases["replay-chain-reference"].fields[3]);
  assert.deepEqual(chain("replay-chain-reference", { world }), expected("replay-chain-reference"));
  // one certificate of kind ecs, given alone (not in an array)
  const [snap, log, cert] = cases["replay-ecs-cert"].fields.map(bytes);
  assert.deepEqual(omega.replay(snap, log, cert), expected("replay-ecs-cert"));
  assert.throws(() => chain("replay-chain-world", { inject: "6:3:0:nothing:40" }), (e) => e.code === 3301);
  assert.throws(() => chain("replay-chain-world", { world: new Uint8Array([1, 2, 3]) }), (e) => e.code === 4001 && /reference world/.test(e.message));
});
