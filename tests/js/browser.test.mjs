// The blob in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), loaded through the wasm-bindgen web glue, on every golden
// vector. Run through `cargo xtask test` (which sets OMEGA_BLOB_SHA256).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fileFor, listen, staticServer } from "../../web/serve.mjs";
import { launchChromium } from "./chromium.mjs";
import { assertSameBytes, expectedBlobSha256, loadCases } from "./vectors.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = resolve(ROOT, "target/screenshots/golden-vectors.png");
const TIMEOUT_MS = 60_000;

// the blob's package at /pkg/, the vectors at /vectors/, the page at /page/
const MOUNTS = [
  ["/pkg/", resolve(ROOT, "wasm")],
  ["/vectors/", resolve(ROOT, "tests/vectors")],
  ["/page/", resolve(ROOT, "tests/js")],
];

let server;
let browser;
let results;
const cases = loadCases();

before(async () => {
  server = await listen(staticServer(MOUNTS));
  const base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium({ timeout: TIMEOUT_MS });
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.error(`[page ${m.type()}] ${m.text()}`);
  });
  await page.goto(`${base}/page/page.html`, { waitUntil: "load" });
  await page.waitForFunction(() => window.__omegaResults !== undefined, null, { timeout: TIMEOUT_MS });
  results = await page.evaluate(() => window.__omegaResults);
  mkdirSync(resolve(SCREENSHOT, ".."), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`# chromium ${browser.version()}; screenshot: ${SCREENSHOT}`);
}, { timeout: 2 * TIMEOUT_MS });

after(async () => {
  await browser?.close().catch(() => {});
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  server?.closeAllConnections?.();
});

test("the page loaded the blob and ran the vectors", () => {
  assert.ok(results, "no results from the page");
  assert.equal(results.error, undefined, `the page failed: ${results.error}`);
});

test("the browser's blob is the one `cargo xtask blob` built (OMEGA_BLOB_SHA256)", () => {
  assert.equal(results?.blobSha256, expectedBlobSha256());
});

test("the page ran every case of the manifest", () => {
  assert.deepEqual((results?.cases ?? []).map((c) => c.name), cases.map((c) => c.name));
});

for (const c of cases) {
  test(`abiCall in Chromium: ${c.name}`, () => {
    const got = results?.cases?.find((r) => r.name === c.name);
    assert.ok(got, `the page has no result for ${c.name}`);
    assertSameBytes(c.name, Buffer.from(got.outputBase64, "base64"), c.response);
  });
}

test("the static server refuses path traversal", () => {
  for (const p of ["/pkg/../Cargo.toml", "/pkg/%2e%2e/Cargo.toml", "/vectors/..%2f..%2fCargo.toml", "/pkg/%00", "/etc/passwd"]) {
    assert.equal(fileFor(MOUNTS, p), null, p);
  }
  assert.equal(fileFor(MOUNTS, "/pkg/dist/omega_wasm.js"), resolve(ROOT, "wasm/dist/omega_wasm.js"));
});
