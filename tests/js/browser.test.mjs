// The blob in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), loaded through the wasm-bindgen web glue, on every golden
// vector. Run through `cargo xtask test` (which sets OMEGA_BLOB_SHA256).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createReadStream, mkdirSync, statSync } from "node:fs";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { assertSameBytes, expectedBlobSha256, loadCases } from "./vectors.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.OMEGA_CHROMIUM || "/usr/bin/chromium";
const SCREENSHOT = resolve(ROOT, "target/screenshots/golden-vectors.png");
const TIMEOUT_MS = 60_000;

const MOUNTS = [
  ["/pkg/", resolve(ROOT, "wasm")],
  ["/vectors/", resolve(ROOT, "tests/vectors")],
];
const TYPES = {
  ".wasm": "application/wasm",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
  ".ts": "text/plain",
  ".bin": "application/octet-stream",
};

/** Maps a URL path to a file under one of the mounts; null when outside them (or a traversal). */
export function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes("\0") || path.includes("\\")) return null;
  if (path === "/" || path === "/index.html") return resolve(ROOT, "tests/js/page.html");
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, "." + path.slice(prefix.length - 1));
    return file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

function startServer() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const file = req.method === "GET" || req.method === "HEAD" ? fileFor(url.pathname) : null;
    let size = -1;
    try {
      if (file) {
        const st = statSync(file);
        if (st.isFile()) size = st.size;
      }
    } catch {
      // not found
    }
    if (size < 0) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": size,
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok(server));
  });
}

let server;
let browser;
let results;
const cases = loadCases();

before(async () => {
  server = await startServer();
  const base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: TIMEOUT_MS,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.error(`[page ${m.type()}] ${m.text()}`);
  });
  await page.goto(`${base}/`, { waitUntil: "load" });
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
    assert.equal(fileFor(p), null, p);
  }
  assert.equal(fileFor("/pkg/dist/omega_wasm.js"), resolve(ROOT, "wasm/dist/omega_wasm.js"));
});
