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
