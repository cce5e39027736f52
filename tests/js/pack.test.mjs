// The npm package as users get it: `npm pack` of wasm/, installed from the
// tarball into a fresh temporary project, then used from Node (ESM, no init
// call) and from a page served out of that project's node_modules in headless
// Chromium, with no path into the repository. Run through `cargo xtask test`,
// or directly: node --test tests/js/pack.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { listen, staticServer } from "../../web/serve.mjs";
import { sha256Hex } from "./vectors.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WASM = resolve(ROOT, "wasm");
const TIMEOUT_MS = 60_000;
const VECTOR_IN = resolve(ROOT, "tests/vectors/reconcile/demo-sample.in.json");
const VECTOR_OUT = readFileSync(resolve(ROOT, "tests/vectors/reconcile/demo-sample.out.json"), "utf8");
const BLOB_SHA = process.env.OMEGA_BLOB_SHA256 || sha256Hex(readFileSync(resolve(WASM, "dist/omega_wasm_bg.wasm")));
const REQUIRED = [
  "package.json",
  "dist/omega_wasm.js",
  "dist/omega_wasm_bg.wasm",
  "dist/omega_wasm.d.ts",
  "dist/omega_wasm_bg.wasm.d.ts",
  "js/node.mjs",
  "js/node.d.mts",
];

let tmp;
let packed; // npm pack --json's entry
let app; // the consumer project
let pkgDir; // app/node_modules/omega-kernel

function npm(args, cwd) {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "omega-pack-"));
  const out = join(tmp, "tarball");
  mkdirSync(out);
  const json = npm(["pack", "--json", "--pack-destination", out], WASM);
  packed = JSON.parse(json.slice(json.indexOf("[")))[0];
  app = join(tmp, "app");
  mkdirSync(join(app, "fixtures"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "omega-pack-consumer", version: "1.0.0", private: true, type: "module" }, null, 2));
  npm(["install", join(out, packed.filename), "--no-audit", "--no-fund", "--prefer-offline"], app);
  pkgDir = join(app, "node_modules", "omega-kernel");
  copyFileSync(VECTOR_IN, join(app, "fixtures", "demo-sample.in.json"));
}, { timeout: 2 * TIMEOUT_MS });

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("npm pack: the tarball holds package.json, the glue, the blob and the TypeScript declarations, and nothing else", () => {
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [...REQUIRED].sort());
  assert.equal(packed.name, "omega-kernel");
  const blob = packed.files.find((f) => f.path === "dist/omega_wasm_bg.wasm");
  console.log(`# ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked; blob ${blob.size} bytes`);
});

test("the install is a copy from the tarball (not a link into the repository), with the same blob", () => {
  assert.ok(existsSync(pkgDir), "node_modules/omega-kernel");
  const real = realpathSync(pkgDir);
  assert.ok(real.startsWith(realpathSync(app) + sep), `installed at ${real}`);
  assert.equal(sha256Hex(readFileSync(join(pkgDir, "dist/omega_wasm_bg.wasm"))), BLOB_SHA);
});

test("package.json: name, version, license, exports for Node and browsers, and types that resolve", () => {
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  assert.equal(pkg.name, "omega-kernel");
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.license, "MIT OR Apache-2.0");
  assert.equal(pkg.type, "module");
  const dot = pkg.exports["."];
  assert.equal(dot.node.default, "./js/node.mjs");
  assert.equal(dot.default, "./dist/omega_wasm.js");
  assert.equal(pkg.exports["./web"].default, "./dist/omega_wasm.js");
  // every `types` (top level and in every export condition) names a file in the package,
  // and comes before `default` in its condition object (conditions match in order)
  const types = [pkg.types];
  (function walk(node) {
    if (typeof node !== "object" || node === null) return;
    const keys = Object.keys(node);
    if (keys.includes("types")) {
      assert.ok(!keys.includes("default") || keys.indexOf("types") < keys.indexOf("default"), `"types" before "default" in ${JSON.stringify(node)}`);
      types.push(node.types);
    }
    for (const v of Object.values(node)) walk(v);
  })(pkg.exports);
  assert.ok(types.includes("./js/node.d.mts"), "the Node entry has its own declarations");
  for (const t of types) assert.ok(existsSync(join(pkgDir, t)), `types ${t} resolves`);
  for (const target of ["./js/node.mjs", "./dist/omega_wasm.js", "./dist/omega_wasm_bg.wasm"]) {
    assert.ok(existsSync(join(pkgDir, target)), target);
  }
  // the Node declarations re-export the glue's: `../dist/omega_wasm.js` -> `../dist/omega_wasm.d.ts`
  const nodeDts = readFileSync(join(pkgDir, "js/node.d.mts"), "utf8");
  for (const m of nodeDts.matchAll(/from\s+"([^"]+)"/g)) {
    const spec = resolve(dirname(join(pkgDir, "js/node.d.mts")), m[1]);
    assert.ok(existsSync(spec.replace(/\.js$/, ".d.ts")), `${m[1]} has declarations`);
  }
  const dts = readFileSync(join(pkgDir, "dist/omega_wasm.d.ts"), "utf8");
  for (const name of ["reconcile", "reconcileJson", "version", "generateKeypair", "certify", "verifyCertificate", "verifyChain", "inclusionProof", "reconcileLog"]) {
    assert.match(dts, new RegExp(`export function ${name}\\(`), `declares ${name}`);
  }
  assert.match(dts, /export default function __wbg_init/);
  assert.match(dts, /export function initSync/);
});

test("Node ESM: `import { reconcile, version } from \"omega-kernel\"` works with no init call and gives the golden bytes", () => {
  writeFileSync(
    join(app, "check.mjs"),
    `import { reconcile, reconcileJson, version } from "omega-kernel";
import { readFileSync } from "node:fs";
const text = readFileSync(new URL("./fixtures/demo-sample.in.json", import.meta.url), "utf8");
const r = reconcile(JSON.parse(text));
process.stdout.write(JSON.stringify({ resolved: import.meta.resolve("omega-kernel"), version: version(), root: r.root, state_hash: r.state_hash, out: reconcileJson(text) }));
`,
  );
  const env = { ...process.env };
  delete env.NODE_PATH;
  const got = JSON.parse(execFileSync(process.execPath, ["check.mjs"], { cwd: app, encoding: "utf8", env }));
  assert.equal(fileURLToPath(got.resolved), join(realpathSync(app), "node_modules/omega-kernel/js/node.mjs"));
  assert.equal(got.version, JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version);
  assert.equal(got.out, VECTOR_OUT, "reconcileJson gives the golden vector's exact bytes");
  const want = JSON.parse(VECTOR_OUT);
  assert.deepEqual([got.root, got.state_hash], [want.root, want.state_hash]);
});

test("browser: a page served from the project loads the package from node_modules (import map and direct path) and gives the golden bytes", async () => {
  writeFileSync(
    join(app, "index.html"),
    `<!doctype html>
<meta charset="utf-8">
<title>omega-kernel from node_modules</title>
<script type="importmap">{ "imports": { "omega-kernel": "/node_modules/omega-kernel/dist/omega_wasm.js" } }</script>
<pre id="out">loading…</pre>
<script type="module">
  import init, * as omega from "omega-kernel";
  try {
    await init();
    const direct = await import("/node_modules/omega-kernel/dist/omega_wasm.js");
    const text = await (await fetch("/fixtures/demo-sample.in.json")).text();
    const out = omega.reconcileJson(text);
    const blob = new Uint8Array(await (await fetch("/node_modules/omega-kernel/dist/omega_wasm_bg.wasm")).arrayBuffer());
    const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", blob)), (b) => b.toString(16).padStart(2, "0")).join("");
    const key = omega.generateKeypair("browser.example/pack");
    document.getElementById("out").textContent = "omega " + omega.version() + "\\n" + out;
    window.__result = { out, sha, version: omega.version(), sameModule: direct.reconcileJson === omega.reconcileJson, key: key.verifier_key };
  } catch (e) {
    document.getElementById("out").textContent = String(e && e.stack || e);
    window.__result = { error: String(e && e.stack || e) };
  }
</script>
`,
  );
  const requests = [];
  const server = await listen(staticServer([["/", app]]));
  const browser = await launchChromium({ timeout: TIMEOUT_MS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    page.on("request", (r) => requests.push(new URL(r.url()).pathname));
    page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
    await page.waitForFunction(() => window.__result !== undefined);
    const r = await page.evaluate(() => window.__result);
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.out, VECTOR_OUT, "the browser gives the golden vector's exact bytes");
    assert.equal(r.sha, BLOB_SHA);
    assert.equal(r.sameModule, true, "the import map and the direct path load one module");
    assert.match(r.key, /^browser\.example\/pack\+[0-9a-f]{8}\+/);
    assert.ok(requests.includes("/node_modules/omega-kernel/dist/omega_wasm_bg.wasm"), JSON.stringify(requests));
    mkdirSync(resolve(ROOT, "target/screenshots"), { recursive: true });
    await page.screenshot({ path: resolve(ROOT, "target/screenshots/pack-page.png") });
  } finally {
    await browser.close().catch(() => {});
    await new Promise((ok) => server.close(ok));
    server.closeAllConnections?.();
  }
});
