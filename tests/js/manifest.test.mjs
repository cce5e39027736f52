// The JS reader of the golden vectors manifest (manifest.mjs): it accepts the
// real manifest and refuses what the Rust reader (core/src/api/vectors.rs)
// refuses. Needs no blob: node --test tests/js/manifest.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ManifestError, parseManifest, readManifest, requestBytes, requestFiles, responseBytes } from "./manifest.mjs";

const VECTORS = new URL("../vectors/", import.meta.url);
const REAL = readFileSync(new URL("manifest.json", VECTORS), "utf8");

const EVENTS_CASE = `{"about": "a", "expected": "reconcile/x.out.json", "input": "reconcile/x.in.json", "name": "x", "op": 1, "prior": null, "status": 0}`;
const FIELDS_CASE = `{"about": "b", "expected": "certify/y.out.json", "fields": ["certify/y.name.txt", "certify/y.seed.bin"], "name": "y", "op": 3, "status": 2}`;
const manifest = (...cases) => `{"cases": [${cases.join(",")}], "generator": "g", "version": 1}`;

/** The message refusing a one-case manifest: `base` with `from` replaced by `to`. */
function refused(base, from, to) {
  const c = base.replace(from, to);
  assert.notEqual(c, base, `the replacement ${from} must apply`);
  try {
    parseManifest(manifest(c));
  } catch (e) {
    assert.ok(e instanceof ManifestError, `${c}: ${e}`);
    return e.message;
  }
  assert.fail(`accepted: ${c}`);
}

test("the real manifest is read, with both request forms", () => {
  const m = readManifest(VECTORS);
  assert.deepEqual(m, parseManifest(REAL));
  assert.equal(m.version, 1);
  assert.equal(m.generator, "cargo xtask vectors");
  assert.ok(m.cases.length >= 90, `${m.cases.length} cases`);
  assert.deepEqual(m.cases.map((c) => c.name), JSON.parse(REAL).cases.map((c) => c.name));
  const demo = m.cases.find((c) => c.name === "demo-sample");
  assert.deepEqual(requestFiles(demo), ["reconcile/demo-sample.in.json"]);
  assert.ok(m.cases.some((c) => c.prior !== undefined && c.prior !== null));
  assert.ok(m.cases.some((c) => Array.isArray(c.fields)));
  assert.ok(Object.isFrozen(m.cases[0]));
});

test("a missing folder says how to make the vectors", () => {
  assert.throws(() => readManifest(new URL("../no-such-vectors/", import.meta.url)), /cargo xtask vectors/);
});

test("request and response bytes of both forms", () => {
  const [x, y] = parseManifest(manifest(EVENTS_CASE, FIELDS_CASE)).cases;
  const b = (...n) => Uint8Array.from(n);
  assert.deepEqual(requestFiles(x), ["reconcile/x.in.json"]);
  assert.deepEqual(requestBytes(x, [b(7, 8)]), b(2, 0, 0, 0, 7, 8));
  const withPrior = parseManifest(manifest(EVENTS_CASE.replace(`"prior": null`, `"prior": "reconcile/x.prior.json"`))).cases[0];
  assert.deepEqual(requestFiles(withPrior), ["reconcile/x.in.json", "reconcile/x.prior.json"]);
  assert.deepEqual(requestBytes(withPrior, [b(7), b(9, 9)]), b(1, 0, 0, 0, 7, 9, 9));
  assert.deepEqual(requestFiles(y), ["certify/y.name.txt", "certify/y.seed.bin"]);
  assert.deepEqual(requestBytes(y, [b(1), b()]), b(1, 0, 0, 0, 1, 0, 0, 0, 0));
  assert.deepEqual(responseBytes(y, b(123, 125, 10)), b(2, 123, 125, 10));
});

test("a missing required field is refused", () => {
  for (const f of [`"about": "a", `, `"expected": "reconcile/x.out.json", `, `"name": "x", `, `"op": 1, `, `, "status": 0`]) {
    assert.match(refused(EVENTS_CASE, f, ""), /missing field/, f);
  }
  assert.match(refused(EVENTS_CASE, `, "prior": null`, ""), /takes `input` and `prior`/);
  assert.match(refused(EVENTS_CASE, `"input": "reconcile/x.in.json", `, ""), /takes `input` and `prior`/);
  assert.match(refused(FIELDS_CASE, `"fields": ["certify/y.name.txt", "certify/y.seed.bin"], `, ""), /takes `fields`/);
});

test("an unknown field is refused", () => {
  assert.match(refused(EVENTS_CASE, `"about"`, `"comment": "", "about"`), /unknown field `comment`/);
  assert.throws(() => parseManifest(manifest(EVENTS_CASE).replace(`"version": 1`, `"version": 1, "extra": 0`)), /unknown field `extra`/);
});

test("wrong values and forms are refused", () => {
  const cases = [
    [EVENTS_CASE, `"op": 1`, `"op": -1`, /not a u32/],
    [EVENTS_CASE, `"op": 1`, `"op": 1.5`, /not a u32/],
    [EVENTS_CASE, `"status": 0`, `"status": 3`, /status 3/],
    [EVENTS_CASE, `"status": 0`, `"status": "0"`, /status "0"/],
    [EVENTS_CASE, `"name": "x"`, `"name": "X/../y"`, /lowercase/],
    [EVENTS_CASE, `"name": "x"`, `"name": ""`, /lowercase/],
    [EVENTS_CASE, `"name": "x"`, `"name": null`, /lowercase/],
    [EVENTS_CASE, `"about": "a"`, `"about": 1`, /`about` is not a string/],
    [EVENTS_CASE, `"input": "reconcile/x.in.json"`, `"input": null`, /not a relative path/],
    [EVENTS_CASE, `"input": "reconcile/x.in.json"`, `"input": "../x.in.json"`, /not a relative path/],
    [EVENTS_CASE, `"prior": null`, `"prior": "/etc/passwd"`, /not a relative path/],
    [EVENTS_CASE, `"expected": "reconcile/x.out.json"`, `"expected": "reconcile//x"`, /not a relative path/],
    [EVENTS_CASE, `"expected": "reconcile/x.out.json"`, `"expected": "reconcile\\\\x"`, /not a relative path/],
    [EVENTS_CASE, `"expected": "reconcile/x.out.json"`, `"expected": "C:x"`, /not a relative path/],
    [EVENTS_CASE, `"op": 1`, `"op": 1, "fields": []`, /takes `input` and `prior`/],
    [EVENTS_CASE, `"op": 1`, `"op": 4`, /takes `fields`/],
    [EVENTS_CASE, `"name": "x"`, `"name": "x", "name": "x"`, /duplicate field `name`/],
    [FIELDS_CASE, `"op": 3`, `"op": 2`, /takes `input` and `prior`/],
    [FIELDS_CASE, `"op": 3`, `"op": 3, "prior": null`, /takes `fields`/],
    [FIELDS_CASE, `"fields": [`, `"fields": null, "x": [`, /unknown field `x`/],
    [FIELDS_CASE, `"fields": ["certify/y.name.txt", "certify/y.seed.bin"]`, `"fields": null`, /`fields` is not a list/],
    [FIELDS_CASE, `"certify/y.seed.bin"`, `"certify/./y"`, /not a relative path/],
    [FIELDS_CASE, `"certify/y.seed.bin"`, `7`, /not a relative path/],
  ];
  for (const [base, from, to, why] of cases) assert.match(refused(base, from, to), why, to);
});

test("bad manifests are refused", () => {
  const bad = [
    ["", /not JSON/],
    ["[]", /not a JSON object/],
    [`{"cases": []}`, /missing field `generator`/],
    [`{"cases": [], "generator": "g", "version": 1}`, /no cases/],
    [`{"cases": [["a", "reconcile/x.out.json", null, "reconcile/x.in.json", "x", 1, null, 0]], "generator": "g", "version": 1}`, /case 0 is not a JSON object/],
    [manifest(EVENTS_CASE).replace(`"version": 1`, `"version": 2`), /version 2/],
    [manifest(EVENTS_CASE, EVENTS_CASE), /two cases are named `x`/],
    [manifest(EVENTS_CASE).replace(`"generator": "g"`, `"generator": 1`), /`generator` is not a string/],
    [manifest(EVENTS_CASE).replace(`"generator": "g"`, `"generator": "g", "generator": "h"`), /duplicate field `generator`/],
    [REAL.slice(0, REAL.length / 2), /not JSON/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseManifest(text), (e) => e instanceof ManifestError && why.test(e.message), text.slice(0, 80));
  // a key repeated in different objects, or as a string value, is no duplicate
  assert.equal(parseManifest(manifest(EVENTS_CASE, FIELDS_CASE.replace(`"about": "b"`, `"about": "name"`))).cases.length, 2);
});
