// Values across the JS boundary: JSON text (what omega-kernel does: Rust
// serialises to JSON, JS runs JSON.parse; JS runs JSON.stringify, Rust parses)
// against serde-wasm-bindgen (Rust builds or reads the JS objects directly),
// on the same values, in one run, alternating. Needs a blob built with the
// `bench-values` feature (never the shipped one):
//
//   cargo build -p omega-wasm --release --target wasm32-unknown-unknown --features bench-values
//   ~/.cache/omega/wasm-bindgen-0.2.130/bin/wasm-bindgen --target web --out-dir target/bench-values \
//       --out-name omega_wasm target/wasm32-unknown-unknown/release/omega_wasm.wasm
//   node tests/js/bench-values.mjs target/bench-values
//
// Results: docs/PERFORMANCE.md, "Values across the boundary".
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";

const dir = resolve(process.argv[2] || "target/bench-values");
const m = await import(pathToFileURL(resolve(dir, "omega_wasm.js")).href);
m.initSync({ module: readFileSync(resolve(dir, "omega_wasm_bg.wasm")) });
if (typeof m.__benchPrepare !== "function") throw new Error(`${dir} was not built with --features bench-values`);

const RUNS = Number(process.env.RUNS || 15);
const ENTITIES = 1000, TICKS = 1000, STREAMS = 10_000, EVENTS = 100_000;
m.__benchPrepare(ENTITIES, TICKS, STREAMS);
const events = JSON.parse(m.sampleHistoryJson(1, 10, 10, EVENTS / 100, 32, 2));

const cases = [
  [`out: ${TICKS} tick reports (world of ${ENTITIES})`, () => m.__benchOutJson(0), () => m.__benchOutValue(0)],
  [`out: a reconcile result with ${STREAMS} heads`, () => m.__benchOutJson(1), () => m.__benchOutValue(1)],
  [`in: ${EVENTS} event objects`, () => m.__benchInJson(events), () => m.__benchInValue(events)],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`node ${process.version}, ${RUNS} runs each, alternating; median ms`);
console.log("case | JSON text | serde-wasm-bindgen | swb / JSON");
for (const [name, json, value] of cases) {
  if (!isDeepStrictEqual(json(), value())) throw new Error(`${name}: the two paths give different values`);
  const a = [], b = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now(); json(); a.push(performance.now() - t);
    t = performance.now(); value(); b.push(performance.now() - t);
  }
  const [ja, vb] = [median(a), median(b)];
  console.log(`${name} | ${ja.toFixed(2)} | ${vb.toFixed(2)} | ${(vb / ja).toFixed(2)}`);
}
