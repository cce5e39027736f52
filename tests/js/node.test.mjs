// The npm package `omega-kernel` in Node, on every golden vector.
// Run through `cargo xtask test` (which sets OMEGA_BLOB_SHA256), or:
//   OMEGA_BLOB_SHA256=$(sha256sum wasm/dist/omega_wasm_bg.wasm | cut -d' ' -f1) node --test tests/js/node.test.mjs
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  OP_RECONCILE_BINARY,
  OP_RECONCILE_JSON,
  assertSameBytes,
  expectedBlobSha256,
  importKernel,
  loadCases,
  sha256Hex,
} from "./vectors.mjs";

const omega = await importKernel();

const cases = loadCases();

/** The blob file of the package Node resolves (beside the glue, where `init()` finds it). */
function resolvedBlobPath() {
  const spec = "omega-kernel/package.json";
  const url = typeof import.meta.resolve === "function"
    ? import.meta.resolve(spec)
    : "file://" + createRequire(import.meta.url).resolve(spec);
  return fileURLToPath(new URL("dist/omega_wasm_bg.wasm", url));
}

test("the package's blob is the one `cargo xtask blob` built (OMEGA_BLOB_SHA256)", () => {
  const expected = expectedBlobSha256();
  const path = resolvedBlobPath();
  assert.equal(sha256Hex(readFileSync(path)), expected, `sha256 of ${path}`);
});

test("version() is a non-empty string", () => {
  const v = omega.version();
  assert.equal(typeof v, "string");
  assert.ok(v.length > 0, "empty version");
});

describe("abiCall: exact response bytes of every golden vector", () => {
  for (const c of cases) {
    test(c.name, () => {
      const out = omega.abiCall(c.op, new Uint8Array(c.request));
      assert.ok(out instanceof Uint8Array, "abiCall must return a Uint8Array");
      assertSameBytes(c.name, out, c.response);
    });
  }
});

/** The typed entry point of an op: (input bytes, prior bytes|null) -> body text, or throws. */
const typedCall = {
  [OP_RECONCILE_JSON]: (input, prior) => omega.reconcileJson(input.toString("utf8"), prior?.toString("utf8")),
  [OP_RECONCILE_BINARY]: (input, prior) => omega.reconcileBinary(new Uint8Array(input), prior?.toString("utf8")),
};

const typedCases = cases.filter((c) => !c.fields && typedCall[c.op]);
const objectCases = cases.filter((c) => !c.fields && c.op === OP_RECONCILE_JSON && c.status !== 2);

test("the typed entry points exist and the vectors exercise each in every status (no case is dropped)", () => {
  // a package without one of them must fail here, not run fewer cases
  assert.equal(typeof omega.reconcileJson, "function", "reconcileJson");
  assert.equal(typeof omega.reconcileBinary, "function", "reconcileBinary");
  assert.equal(typeof omega.reconcile, "function", "reconcile");
  assert.equal(typeof omega.Reconciler, "function", "Reconciler");
  const seen = new Set(typedCases.map((c) => `${c.op}:${c.status}`));
  for (const want of [`${OP_RECONCILE_JSON}:0`, `${OP_RECONCILE_JSON}:1`, `${OP_RECONCILE_JSON}:2`, `${OP_RECONCILE_BINARY}:0`, `${OP_RECONCILE_BINARY}:2`]) {
    assert.ok(seen.has(want), `a vector with op:status ${want} among ${[...seen].join(", ")}`);
  }
  // every reconcile vector of the manifest is one of the typed cases
  assert.deepEqual(
    typedCases.map((c) => c.name),
    cases.filter((c) => !c.fields && (c.op === OP_RECONCILE_JSON || c.op === OP_RECONCILE_BINARY)).map((c) => c.name),
  );
  assert.ok(objectCases.length > 0, "vectors for reconcile() and the Reconciler");
});

describe("reconcileJson / reconcileBinary: result text, or an Error with its code", () => {
  for (const c of typedCases) {
    test(c.name, () => {
      const call = () => typedCall[c.op](c.input, c.prior);
      if (c.status === 2) {
        const { code } = JSON.parse(c.expected.toString("utf8"));
        assert.throws(call, (e) => {
          assert.ok(e instanceof Error, `expected an Error, got ${e}`);
          assert.equal(e.code, code, `error code (message: ${e.message})`);
          return true;
        });
      } else {
        assert.equal(call(), c.expected.toString("utf8"));
      }
    });
  }
});

describe("reconcile: JS objects in, the result object out", () => {
  for (const c of objectCases) {
    test(c.name, () => {
      const prior = c.prior == null ? undefined : c.prior.toString("utf8");
      const got = omega.reconcile(JSON.parse(c.input.toString("utf8")), prior);
      assert.deepStrictEqual(got, JSON.parse(c.expected.toString("utf8")));
    });
  }
});

describe("Reconciler: push every event, one flush", () => {
  for (const c of objectCases) {
    test(c.name, () => {
      const prior = c.prior == null ? undefined : c.prior.toString("utf8");
      const r = new omega.Reconciler(prior);
      try {
        for (const e of JSON.parse(c.input.toString("utf8"))) r.push(e);
        assert.equal(r.flushJson(), c.expected.toString("utf8"));
      } finally {
        r.free();
      }
    });
  }
});

test("sampleHistory refuses shapes `omega sample` refuses, with code 4101 (issue 12)", () => {
  // a payload above the readers' 1 MiB limit, and a shape over the blob's 1 GiB budget
  for (const args of [[1, 1, 1, 1, 2_000_000, 0], [1, 1000, 1000, 4_000_000, 10, 0]]) {
    for (const f of [omega.sampleHistory, omega.sampleHistoryJson]) {
      assert.throws(() => f(...args), (e) => e instanceof Error && e.code === 4101 && /sample shape/.test(e.message), `${f.name}(${args})`);
    }
  }
  assert.ok(omega.sampleHistory(1, 2, 2, 3, 8, 1).length > 0, "a small shape still works");
});
