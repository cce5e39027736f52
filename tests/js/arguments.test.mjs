// Every numeric argument of the JS API, driven with negative, huge,
// fractional, NaN, infinite and non-number values: each is refused up front
// with an OmegaError naming the argument (code 3303, or the function's own
// range code: 4002 for World), and wasm memory stays where it was. Before,
// a u32 argument wrapped (`step(-1)` ran 4,294,967,295 ticks; `new World(1, -5)`
// grew memory to 3.9 GiB and ended in `unreachable`). Run through
// `cargo xtask test`, or directly: node --test tests/js/arguments.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import init, * as omega from "omega-kernel";

const wasm = await init();
const U32 = 2 ** 32 - 1;
const SAFE = Number.MAX_SAFE_INTEGER;
const ok = () => [{ lamport: 1, node: 1, stream: 0, seq: 0 }];

// function name -> [argument name, its min, its max, its code, call(value)]
const ARGS = {
  abiCall: [["op", 0, U32, 3303, (v) => omega.abiCall(v, new Uint8Array())]],
  sampleHistory: sampleArgs((a) => omega.sampleHistory(...a)),
  sampleHistoryJson: sampleArgs((a) => omega.sampleHistoryJson(...a)),
  sampleBatch: [
    ["batch", 0, SAFE, 3303, (v) => omega.sampleBatch(undefined, v, 1)],
    ["rounds", 0, SAFE, 3303, (v) => omega.sampleBatch(undefined, 1, v)],
  ],
  inclusionProof: [["index", 0, SAFE, 3303, (v) => omega.inclusionProof(ok(), v)]],
  consistencyProof: [["oldSize", 0, SAFE, 3303, (v) => omega.consistencyProof(ok(), v)]],
  proveFromTiles: [
    ["at", 0, SAFE, 3303, (v) => omega.proveFromTiles("inclusion", v, 1, null, null)],
    ["size", 0, SAFE, 3303, (v) => omega.proveFromTiles("inclusion", 0, v, null, null)],
  ],
  cosign: [["timestamp", 0, SAFE, 3303, (v) => omega.cosign(new Uint8Array(), "PRIVATE+KEY+w+00000000+AA==", v)]],
  signNote: [["timestamp", 0, SAFE, 3303, (v) => omega.signNote("a\nb\nc\n", "PRIVATE+KEY+w+00000000+AA==", v)]],
  cut: [
    ["horizon", 1, U32, 3303, (v) => omega.cut(undefined, undefined, undefined, v)],
    ["delay", 0, U32, 3303, (v) => omega.cut(undefined, undefined, undefined, 8, v)],
  ],
  World: [
    ["seed", 0, SAFE, 4002, (v) => new omega.World(v, 1)],
    ["entities", 0, 10_000_000, 4002, (v) => new omega.World(1, v)],
    ["nodes", 1, 1_048_576, 4002, (v) => new omega.World(1, 1, v)],
    ["edgesPerEntity", 0, 64, 4002, (v) => new omega.World(1, 1, 5, v)],
  ],
  step: [["n", 0, 100_000, 3303, (v) => new omega.World(1, 2).step(v)]],
};

function sampleArgs(call) {
  const base = [1, 2, 2, 3, 8, 1];
  const names = ["seed", "nodes", "streams", "perStream", "payload", "shuffleSeed"];
  const max = [SAFE, U32, 65_535, U32, U32, SAFE];
  return names.map((n, i) => [n, 0, max[i], 3303, (v) => call(base.map((b, j) => (j === i ? v : b)))]);
}

const OPTIONAL = new Set(["timestamp", "delay", "nodes", "edgesPerEntity"]);

function badValues(min, max) {
  const out = [
    [min - 1, "below the range"],
    [-5, "negative"],
    [max + 1, "one past the cap"],
    [2 ** 31, "2^31"],
    [1e300, "huge"],
    [min + 0.5, "fractional"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [String(min + 1), "a numeric string"],
    [BigInt(min + 1), "a BigInt"],
    [{ valueOf: () => min + 1 }, "an object"],
    [[min + 1], "an array"],
    [true, "a boolean"],
  ];
  return out.filter(([v]) => typeof v !== "number" || Number.isNaN(v) || v < min || v > max || !Number.isInteger(v));
}

test("the table covers every argument the declarations type as `number`", () => {
  // (OmegaError's own constructor takes a code: not an API argument)
  const dts = readFileSync(new URL("../../wasm/dist/omega_wasm.d.ts", import.meta.url), "utf8").replace(/export class OmegaError[^]*?\n}\n/, "");
  const declared = new Set();
  const wanted = new Set(Object.values(ARGS).flat().map(([n]) => n));
  // `name: number` or `name?: number` in a parameter list of an exported function or method
  for (const m of dts.matchAll(/^\s*(?:export function |static |constructor|)(\w*)\(([^)]*)\)/gm)) {
    if (m[1] === "free" || m[1].startsWith("__")) continue;
    for (const p of m[2].matchAll(/(\w+)\??:\s*number\b/g)) declared.add(p[1]);
  }
  // the wasm-bindgen init signatures have no numbers; every declared one is driven below
  assert.deepEqual([...declared].sort(), [...wanted].sort());
});

for (const [fn, args] of Object.entries(ARGS)) {
  for (const [name, min, max, code, call] of args) {
    test(`${fn}: \`${name}\` refuses every value that is not an integer from ${min} to ${max} (OmegaError ${code})`, () => {
      const before = wasm.memory.buffer.byteLength;
      for (const [v, what] of badValues(min, max)) {
        assert.throws(
          () => call(v),
          (e) => {
            assert.ok(e instanceof omega.OmegaError, `${what}: an OmegaError, got ${e?.constructor?.name}: ${e?.message}`);
            assert.ok(e instanceof Error);
            assert.equal(e.name, "OmegaError");
            assert.equal(e.code, code, `${what}: ${e.message}`);
            assert.equal(e.field, name, `${what}: ${e.message}`);
            assert.match(e.message, new RegExp(`\`${name}\` must be an integer from ${min} to ${max}`));
            return true;
          },
          `${fn}(${name} = ${typeof v === "bigint" ? `${v}n` : String(v)}) (${what})`,
        );
      }
      if (!OPTIONAL.has(name)) {
        assert.throws(() => call(undefined), (e) => e instanceof omega.OmegaError && e.code === code && /got undefined/.test(e.message));
      }
      // nothing was allocated for a refused call
      assert.ok(wasm.memory.buffer.byteLength - before <= 1 << 20, `memory grew from ${before} to ${wasm.memory.buffer.byteLength}`);
    });
  }
}

test("the values at the edges of each range are taken (or refused by the function's own rule, never as an argument)", () => {
  assert.equal(omega.abiCall(0, new Uint8Array())[0], 0);
  assert.equal(omega.abiCall(U32, new Uint8Array())[0], 2, "an unknown op is an error body, not a throw");
  assert.ok(omega.sampleHistory(0, 0, 0, 0, 0, 0) instanceof Uint8Array);
  assert.ok(omega.sampleHistory(SAFE, 2, 2, 3, 8, SAFE).length > 0);
  assert.equal(omega.inclusionProof(ok(), 0).leaf_index, 0);
  assert.throws(() => omega.inclusionProof(ok(), SAFE), (e) => e instanceof omega.OmegaError && e.code === 3401);
  const w = new omega.World(SAFE, 0, 1_048_576, 64);
  assert.equal(w.step(0).length, 0);
  assert.equal(w.step(3, undefined).length, 3);
  w.free();
  assert.ok(omega.cut(undefined, undefined, undefined, U32, U32).status);
  assert.equal(omega.sampleBatch(undefined, SAFE, 0).length, 0);
});

test("errors of every kind are OmegaErrors with the response's code, index and field", () => {
  assert.throws(
    () => omega.reconcile([{ lamport: 1, node: 1, stream: 0, seq: 0 }, { lamport: -1, node: 1, stream: 0, seq: 1 }]),
    (e) => e instanceof omega.OmegaError && e.code === 3003 && e.index === 1 && e.field === "lamport",
  );
  assert.throws(() => omega.verifyCertificate(new Uint8Array([1, 2]), "x"), (e) => e instanceof omega.OmegaError && typeof e.code === "number" && e.index === undefined);
  const e = new omega.OmegaError("made by hand", 3001, 2, "seq");
  assert.deepEqual([e.name, e.message, e.code, e.index, e.field, e instanceof Error], ["OmegaError", "made by hand", 3001, 2, "seq", true]);
});
