// The blob's reconcile time in Node on the criterion bench's input:
// 1M shuffled events (16 nodes x 4 streams x 15,625, 100-byte payloads,
// seed 1, shuffle seed 2), as canonical binary events.
//
//   cargo xtask blob && (cd tests/js && npm ci) && node tests/js/bench.mjs [runs]
//
// It times `reconcileBinary` (decode + reconcile + JSON result), the same
// work as the criterion bench `abi_reconcile_binary_1m` in core/benches.
import { performance } from "node:perf_hooks";
import { reconcileBinary, sampleHistory, version } from "omega-kernel";

const runs = Math.max(1, Number(process.argv[2] ?? 5));
const t0 = performance.now();
const bytes = sampleHistory(1, 16, 4, 15625, 100, 2);
const genMs = performance.now() - t0;

const times = [];
let root;
reconcileBinary(bytes, undefined); // warm-up: compile tiers, grow memory
for (let i = 0; i < runs; i++) {
  const s = performance.now();
  const out = JSON.parse(reconcileBinary(bytes, undefined));
  times.push(performance.now() - s);
  if (out.status !== "ok" || out.tree_size !== 1_000_000) throw new Error(`unexpected result: ${out.status} ${out.tree_size}`);
  if (root !== undefined && out.root !== root) throw new Error("root changed between runs");
  root = out.root;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`omega-kernel ${version()} in Node ${process.version}`);
console.log(`input: ${(bytes.length / 1e6).toFixed(1)} MB of canonical events (generated in ${ms(genMs)})`);
console.log(`reconcileBinary 1M events: median ${ms(median)}, min ${ms(times[0])}, max ${ms(times.at(-1))} over ${runs} runs`);
console.log(`throughput: ${(1e6 / (median / 1e3) / 1e6).toFixed(2)} M events/s`);
console.log(`root: ${root}`);
