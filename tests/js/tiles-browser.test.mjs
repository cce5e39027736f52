// omega-kernel/tiles in headless Chromium: a log of 1,000,000 events, tiled
// by the `omega` binary (`append --tiles`) and certified by a 2-of-3
// committee, served over HTTP by web/serve.mjs. The page loads the blob
// through the web glue and the tile client, and checks entries' inclusion
// against the certificate; the server counts every request, so the test
// shows the page fetched a handful of tiles (O(log n)) out of the store's
// thousands, never the log. Run through `cargo xtask test`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listen, staticServer } from "../../web/serve.mjs";
import { launchChromium } from "./chromium.mjs";
import { expectedBlobSha256 } from "./vectors.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = resolve(ROOT, "target/screenshots/tiles-browser.png");
const TIMEOUT_MS = 120_000;
const SIZE = 1_000_000;
const INDEXES = [0, 1, 255, 256, 65_535, 65_536, 500_000, 777_777, 999_999];

function omegaBin() {
  for (const p of [process.env.OMEGA_BIN, resolve(ROOT, "target/release/omega")]) {
    if (p && existsSync(p)) return p;
  }
  throw new Error("no omega binary: build it with `cargo build --release -p omega-host` (or set OMEGA_BIN)");
}

function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    n += statSync(p).isDirectory() ? countFiles(p) : 1;
  }
  return n;
}

let dir;
let server;
let browser;
let results;
let storeFiles;
const requests = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "omega-tiles-browser-"));
  const run = (...args) => execFileSync(omegaBin(), args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  // 4 nodes x 5 streams x 50,000 events, empty payloads: one batch of 1,000,000
  run("sample", "--seed", "1", "--nodes", "4", "--streams", "5", "--per-stream", "50000", "--payload", "0", "--format", "binary", "--out", "b.bin");
  writeFileSync(join(dir, "r.json"), run("reconcile", "--format", "binary", "-i", "b.bin"));
  run("append", "--log", "L.omega", "-i", "b.bin", "--format", "binary", "--tiles", "T");
  const vkeys = [0, 1, 2].map((i) => run("keygen", "--name", `k${i}.example`, "--out", `k${i}.key`).toString().trim());
  run("committee", "--threshold", "2", "--out", "committee.json", ...vkeys);
  run("certify", "--result", "r.json", "--key", "k0.key", "--origin", "big.example", "--committee", "committee.json", "--out", "c.cert");
  run("cosign", "--cert", "c.cert", "--key", "k2.key");
  run("tiles", "--log", "L.omega", "--out", "T", "--cert", "c.cert");
  storeFiles = countFiles(join(dir, "T"));

  server = staticServer([
    ["/pkg/", resolve(ROOT, "wasm")],
    ["/log/", join(dir, "T")],
    ["/data/", dir],
  ]);
  server.on("request", (req) => requests.push(req.url));
  await listen(server);
  const base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium({ timeout: TIMEOUT_MS });
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.goto(`${base}/log/checkpoint`, { waitUntil: "load" });
  requests.length = 0;
  results = await page.evaluate(async ({ base, indexes }) => {
    const out = { checks: [] };
    try {
      const omega = await import(`${base}/pkg/dist/omega_wasm.js`);
      await omega.default();
      const { TileClient } = await import(`${base}/pkg/js/tiles.mjs`);
      const certificate = new Uint8Array(await (await fetch(`${base}/data/c.cert`)).arrayBuffer());
      const committee = await (await fetch(`${base}/data/committee.json`)).text();
      const buf = await (await fetch(`${base}/pkg/dist/omega_wasm_bg.wasm`)).arrayBuffer();
      out.blobSha256 = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf)), (b) => b.toString(16).padStart(2, "0")).join("");
      const log = new TileClient(omega, { baseUrl: `${base}/log/` });
      out.before = log.requests;
      for (const index of indexes) {
        const r = await log.verifyInclusion({ certificate, committee, index });
        out.checks.push({ index, requests: r.requests, size: r.size, leaf: r.proof.leaf_hash, proof: r.proof.proof.length, entryBytes: r.entry.length });
      }
      try {
        await log.verifyInclusion({ certificate, committee, index: 1_000_000 });
      } catch (e) {
        out.pastTheEnd = e.code;
      }
      out.total = log.requests;
      document.body.textContent = `verified ${out.checks.length} entries of ${out.checks[0]?.size} with ${out.total} requests`;
    } catch (e) {
      out.error = `${e.code ?? ""} ${e.message}`;
    }
    return out;
  }, { base, indexes: INDEXES });
  mkdirSync(resolve(SCREENSHOT, ".."), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
}, { timeout: 4 * TIMEOUT_MS });

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  server?.closeAllConnections?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the page loaded the blob `cargo xtask blob` built", () => {
  assert.equal(results?.error, undefined, results?.error);
  assert.equal(results.blobSha256, expectedBlobSha256());
});

test("Chromium verifies inclusion in a 1,000,000-entry log with a few tile requests each", () => {
  assert.equal(results.checks.length, INDEXES.length);
  for (const c of results.checks) {
    assert.equal(c.size, SIZE);
    assert.ok(c.entryBytes > 0);
    // 1,000,000 leaves: three tile levels; at most two tiles per level and one entry bundle
    assert.ok(c.requests >= 2 && c.requests <= 7, `entry ${c.index}: ${c.requests} requests`);
    assert.ok(c.proof >= 1 && c.proof <= 20, `entry ${c.index}: a proof of ${c.proof} hashes (at most log2 of the size)`);
  }
  assert.equal(results.pastTheEnd, 3401);
  // what the server saw: only tiles, bundles and the page's own files; never the log
  const tiles = requests.filter((u) => u.startsWith("/log/tile/"));
  assert.equal(tiles.length, results.total - results.before);
  assert.ok(tiles.length <= 7 * INDEXES.length, `${tiles.length} tile requests`);
  assert.ok(storeFiles > 7800, `the store holds ${storeFiles} files`);
  assert.ok(!requests.some((u) => u.includes("L.omega") || u.includes("b.bin")), requests.join(" "));
  console.log(`# ${INDEXES.length} entries verified with ${tiles.length} tile requests (the store has ${storeFiles} files); screenshot: ${SCREENSHOT}`);
});

test("the same proofs as `omega prove --tiles` natively", () => {
  for (const c of results.checks) {
    const p = JSON.parse(execFileSync(omegaBin(), ["prove", "--tiles", join(dir, "T"), "--index", String(c.index)]).toString());
    assert.equal(p.leaf_hash, c.leaf);
  }
});
