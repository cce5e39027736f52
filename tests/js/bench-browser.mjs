// The blob in headless Chromium beside the blob in Node, in one run, on the
// same inputs: reconcile of 1M events (100-byte payloads), the Merkle root of
// 1M leaf hashes, and ECS ticks of a 100,000-entity world (300,000 edges).
//
//   cargo xtask blob && (cd tests/js && npm ci) && node tests/js/bench-browser.mjs [runs]
//
// Both engines first give the same root / state hash (checked), then each
// workload is timed `runs` times (default 5) per engine; medians, spreads and
// the Chromium/Node ratio are printed. Chromium is Debian's /usr/bin/chromium
// (or $OMEGA_CHROMIUM) driven by playwright-core; the page is web/ served by
// web/serve.mjs on 127.0.0.1, and the blob is imported from /pkg/ there.
import { performance } from "node:perf_hooks";
import os from "node:os";
import { launchChromium } from "./chromium.mjs";
import * as omega from "omega-kernel";
import { listen, repoMounts, staticServer } from "../../web/serve.mjs";

const runs = Math.max(1, Number(process.argv[2] ?? 5));

// One function, run in both engines: `m` is the module, `now` a clock.
async function workloads(m, now, runs) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (f) => {
    const t = [];
    let out;
    for (let i = 0; i < runs; i++) {
      const s = now();
      out = f();
      t.push(now() - s);
    }
    return { ms: median(t), min: Math.min(...t), max: Math.max(...t), out };
  };
  const events = m.sampleHistory(1, 16, 4, 15625, 100, 2); // 1M events, as tests/js/bench.mjs
  const rec = time(() => JSON.parse(m.reconcileBinary(events, undefined)).root);
  const leaves = new Uint8Array(1_000_000 * 32);
  for (let i = 0; i < leaves.length; i++) leaves[i] = (i * 2654435761) >>> 24;
  const mr = time(() => m.merkleRoot(leaves).root);
  const w = new m.World(7, 100_000, 5, 3);
  // The tick alone: `step` hashes the world once for its report; a second
  // hash of the 13 MB encoding (`stateHash`) is taken once, after the loop.
  const tick = time(() => w.step(1).length);
  tick.out = w.stateHash();
  w.free();
  const strip = ({ ms, min, max }) => ({ ms, min, max });
  return {
    check: { reconcile: rec.out, merkle: mr.out, ecs: tick.out },
    rows: [
      ["reconcile 1M events (reconcileBinary)", strip(rec), 1e6, "events/s"],
      ["Merkle root of 1M leaf hashes (merkleRoot)", strip(mr), 1e6, "leaves/s"],
      ["ECS tick, 100k entities, 300k edges (World.step)", strip(tick), 1, "ticks/s"],
    ],
  };
}

const server = await listen(staticServer(repoMounts()));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(600_000);
  await page.goto(`${base}/pkg/omega_wasm.d.ts`); // any same-origin page
  const src = workloads.toString();
  const inBrowser = await page.evaluate(
    async ([src, runs]) => {
      const m = await import("/pkg/omega_wasm.js");
      await m.default();
      const f = new Function(`return (${src})`)();
      return f(m, () => performance.now(), runs);
    },
    [src, runs],
  );
  const inNode = await workloads(omega, () => performance.now(), runs);
  for (const k of Object.keys(inNode.check)) {
    if (inNode.check[k] !== inBrowser.check[k]) throw new Error(`${k}: Node gives ${inNode.check[k]}, Chromium ${inBrowser.check[k]}`);
  }
  console.log(`omega-kernel ${omega.version()}: Node ${process.version} and Chromium ${browser.version()}, the same blob`);
  console.log(`CPU: ${os.cpus()[0]?.model ?? "?"} (${os.availableParallelism?.() ?? os.cpus().length} threads); median of ${runs} runs (fastest..slowest)`);
  console.log(`same results in both: reconcile root ${inNode.check.reconcile.slice(0, 16)}…, Merkle root ${inNode.check.merkle.slice(0, 16)}…, world hash ${inNode.check.ecs.slice(0, 16)}…\n`);
  const cell = (r) => `${r.ms.toFixed(1)} ms (${r.min.toFixed(1)}..${r.max.toFixed(1)})`;
  console.log(`${"workload".padEnd(50)} ${"Node".padStart(26)} ${"Chromium".padStart(26)}  Chromium/Node`);
  inNode.rows.forEach(([name, n, amount, unit], i) => {
    const b = inBrowser.rows[i][1];
    const rate = (x) => (amount / (x.ms / 1e3)).toLocaleString("en-US", { maximumFractionDigits: 1 });
    console.log(`${name.padEnd(50)} ${cell(n).padStart(26)} ${cell(b).padStart(26)}  ${(b.ms / n.ms).toFixed(2)}x   (${rate(n)} vs ${rate(b)} ${unit})`);
  });
} finally {
  await browser.close().catch(() => {});
  server.close();
  server.closeAllConnections?.();
}
