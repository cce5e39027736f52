// The edge-node page (web/) in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core), served by web/serve.mjs on 127.0.0.1: every
// view and flow, its hashes against the golden vectors and the blob in Node,
// a reload, the self-contained build, and a screenshot of each view under
// target/screenshots/web-*.png (the dashboard's views: graph.png,
// graph-obstruction.png, ecs-topology.png). Run through `cargo xtask test`,
// or directly:
//   node --test tests/js/web.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import * as omega from "omega-kernel";
import { fileFor, listen, repoMounts, staticServer } from "../../web/serve.mjs";
import { build } from "../../web/build.mjs";
import { BATCH_ROUNDS, SAMPLE_ARGS, concat, tamperedCopy, withEvent } from "../../web/lib/history.js";
import { sha256Hex } from "./vectors.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHOTS = resolve(ROOT, "target/screenshots");
const TIMEOUT_MS = 60_000;
const VECTORS = resolve(ROOT, "tests/vectors");
const golden = JSON.parse(readFileSync(join(VECTORS, "reconcile/demo-sample.out.json"), "utf8"));
const goldenText = readFileSync(join(VECTORS, "reconcile/demo-sample.out.json"), "utf8");
const BLOB_SHA = process.env.OMEGA_BLOB_SHA256 || sha256Hex(readFileSync(resolve(ROOT, "wasm/dist/omega_wasm_bg.wasm")));
// The chain view's batches, as the page makes them: `sampleBatch` on the previous result.
const batch = (prior, height) => omega.sampleBatch(prior, height, BATCH_ROUNDS);
const extend = (prior, height) => JSON.parse(omega.reconcileBinary(batch(prior, height), prior));
// Roots and state hashes of the first two batches on the sample, pinned: the
// page has certified these since its first version (then from a JS generator,
// now the blob's), so a change in `sampleBatch` shows here.
const PINNED = {
  1: ["cbddf4ac5b96094e372b4bae4876c1772b620fd830424e47a03e0775ffd4dfc4", "42aaee4016a2eb8d01d1758f912cdd7dcd5f3203aba70dde8b24c61dd110ecae"],
  2: ["1648c917fc6ba071683e9e15f6648f93978a0c69e83692da57a2a12d676335ab", "09e2541001d9d091484166722cba2e52b7851a5239d649c2eb2e5d530bcef352"],
};

let server;
let browser;
let page;
let base;
const pageErrors = [];

const launch = () => launchChromium({ timeout: TIMEOUT_MS });

async function openPage(url) {
  const p = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  p.setDefaultTimeout(TIMEOUT_MS);
  p.on("pageerror", (e) => {
    pageErrors.push(e.message);
    console.error(`[page error] ${e.message}`);
  });
  p.on("console", (m) => {
    if (m.type() === "error") console.error(`[page ${m.type()}] ${m.text()}`);
  });
  await p.goto(url, { waitUntil: "load" });
  await ready(p);
  return p;
}

async function ready(p) {
  await p.waitForFunction(() => document.body.dataset.ready, null, { timeout: TIMEOUT_MS });
  assert.equal(await p.evaluate(() => document.body.dataset.ready), "1", `the page did not start: ${await text("worker-status", p)}`);
}

const text = (id, p = page) => p.evaluate((id) => document.getElementById(id).textContent, id);
const waitText = (id, pred, p = page) =>
  p.waitForFunction(
    ([id, src]) => new Function("t", `return (${src})(t)`)(document.getElementById(id)?.textContent ?? ""),
    [id, pred.toString()],
    { timeout: TIMEOUT_MS },
  );
const idle = (p = page) => p.waitForFunction(() => document.body.dataset.busy === "0", null, { timeout: TIMEOUT_MS });
async function shot(name, p = page) {
  mkdirSync(SHOTS, { recursive: true });
  const path = resolve(SHOTS, `web-${name}.png`);
  await p.screenshot({ path, fullPage: true });
  console.log(`# screenshot: ${path}`);
}
/** A screenshot named as it is (target/screenshots/<file>.png), for the dashboard views. */
async function screenshot(file, p = page) {
  mkdirSync(SHOTS, { recursive: true });
  const path = resolve(SHOTS, `${file}.png`);
  await p.screenshot({ path, fullPage: true });
  console.log(`# screenshot: ${path}`);
}
async function tab(name) {
  await page.click(`#tabs button[data-tab="${name}"]`);
  await page.waitForFunction((n) => !document.getElementById(`view-${n}`).hidden, name);
}

// a tiled log (omega append --tiles), certified 2 of 2, served at /store/ (made in its test)
const STORE = mkdtempSync(join(tmpdir(), "omega-web-tiles-"));

before(async () => {
  server = await listen(staticServer([["/store/", join(STORE, "T")], ...repoMounts()]));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
  console.log(`# chromium ${browser.version()}; page ${base}/`);
  page = await openPage(`${base}/`);
}, { timeout: 3 * TIMEOUT_MS });

after(async () => {
  rmSync(STORE, { recursive: true, force: true });
  await browser?.close().catch(() => {});
  await new Promise((ok) => (server ? server.close(ok) : ok()));
  server?.closeAllConnections?.();
});

test("the page runs the blob `cargo xtask blob` built, in a worker, and reports its gzipped size", async () => {
  assert.equal(await page.evaluate(() => document.body.dataset.blobSha256), BLOB_SHA);
  assert.equal(await text("foot-sha"), BLOB_SHA);
  const total = await text("foot-total");
  const m = /\(([\d,]+) bytes\)/.exec(total);
  assert.ok(m, `footer: ${total}`);
  const bytes = Number(m[1].replaceAll(",", ""));
  console.log(`# blob + glue gzipped (CompressionStream in the page): ${bytes} bytes`);
  assert.ok(bytes > 50_000 && bytes < 400_000, `gzipped size ${bytes}`);
  // the main thread never fetches the blob: the worker does (the worker's module
  // scripts may show in the page's resource timing; the .wasm must not)
  const mainThread = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
  assert.ok(mainThread.includes("/worker.js"), JSON.stringify(mainThread));
  assert.ok(!mainThread.includes("/pkg/omega_wasm_bg.wasm"), `main thread fetched ${JSON.stringify(mainThread)}`);
});

test("edge node: the embedded sample reconciles to the golden root and state hash (demo-sample.out.json)", async () => {
  assert.equal(await text("hist-events"), "3,000");
  assert.match(await text("hist-source"), new RegExp(`sampleHistoryJson\\(${SAMPLE_ARGS.join(", ")}\\)`));
  assert.equal(await text("res-status"), "ok");
  assert.equal(await text("res-tree-size"), "3,000");
  assert.equal(await text("res-root"), golden.root);
  assert.equal(await text("res-state-hash"), golden.state_hash);
  assert.equal(await text("res-frontier"), golden.frontier);
  assert.equal(await text("res-json"), goldenText, "the page shows the CLI's exact bytes");
  assert.match(await text("res-timings"), /reconcileJson: [\d.]+ ms for 3,000 events/);
  assert.match(await text("res-again"), /^✓ same result reversed with 100 duplicates/);
  assert.equal(await text("key-name"), "browser.edge/node");
  assert.match(await text("key-verifier"), /^browser\.edge\/node\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  await shot("edge");
});

test("edge node: tamper (a copy with one payload bit flipped) shows the obstruction, then the clean run comes back", async () => {
  await page.click("#btn-tamper");
  await waitText("res-status", (t) => t === "obstruction");
  const rows = await page.$$eval("#obs-rows tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0][0], "1002");
  assert.equal(rows[0][1], "id_conflict");
  assert.match(rows[0][3], /00000000000001960000000200010000000200010000000000000064 · 100 · [0-9a-f]{64}/);
  assert.match(await text("res-evidence"), /^[0-9a-f]{64}$/);
  assert.match(await text("res-note"), /node 2 \/ stream 1 \/ seq 100/);
  await page.evaluate(() => document.querySelector("#obstruction").scrollIntoView());
  await shot("edge-tampered");
  await page.click("#btn-reconcile");
  await waitText("res-status", (t) => t === "ok");
  assert.equal(await text("res-root"), golden.root);
});

test("edge node: user-picked files (.omega log via reconcileLog, JSON events, canonical binary events) reconcile to their golden results; tamper works on binary too", async () => {
  const log = JSON.parse(readFileSync(join(VECTORS, "certify/reconcile-log.out.json"), "utf8"));
  await page.setInputFiles("#file", join(VECTORS, "certify/reconcile-log.log.omega"));
  await waitText("res-timings", (t) => t.startsWith("reconcileLog"));
  assert.match(await text("hist-ingest"), /^clean: 120 frames/);
  assert.equal(await text("res-root"), log.root);
  assert.equal(await text("res-state-hash"), log.state_hash);
  const small = JSON.parse(readFileSync(join(VECTORS, "reconcile/small-shuffled-with-duplicates.out.json"), "utf8"));
  await page.setInputFiles("#file", join(VECTORS, "reconcile/small-shuffled-with-duplicates.in.json"));
  await waitText("res-root", (t) => t !== "e26e260ce21bfddc1cc8a8cca4c45b3a06dea57a3f3ab9943758d37d4e3cba8d" && /^[0-9a-f]{64}$/.test(t));
  assert.equal(await text("res-root"), small.root);
  assert.equal(await text("res-state-hash"), small.state_hash);
  // canonical binary events (reconcileBinary), then tampered (the blob decodes them to JSON text)
  const bin = JSON.parse(readFileSync(join(VECTORS, "reconcile/binary-sample.out.json"), "utf8"));
  await page.setInputFiles("#file", join(VECTORS, "reconcile/binary-sample.in.bin"));
  await waitText("res-timings", (t) => t.startsWith("reconcileBinary"));
  assert.equal(await text("res-root"), bin.root);
  assert.match(await text("hist-source"), /binary-sample\.in\.bin \(canonical binary events\)/);
  assert.equal(await text("hist-events"), bin.tree_size.toLocaleString("en-US"));
  assert.match(await text("res-again"), /^✓ same result reversed with \d+ duplicates/);
  await idle();
  await page.click("#btn-tamper");
  await waitText("res-status", (t) => t === "obstruction");
  const codes = await page.$$eval("#obs-rows tr", (trs) => trs.map((tr) => tr.cells[0].textContent));
  assert.deepEqual(codes, ["1002"]);
  await idle();
  // back to the sample for the next flows
  await page.click("#btn-sample");
  await waitText("res-root", (t) => t === "1b85f1c33115fb033d838894637c03ffab768e920d4f483d91e03f6d6f874f2f");
  assert.equal(await text("res-root"), golden.root);
  await idle();
});

// ---- the causal graph (web/app.js "causal graph"; the worker's `graph` op) ----
// The canvas carries what it drew as data attributes: data-nodes, data-edges,
// data-lanes, data-highlighted (the graph's), data-drawn (events in view in the
// last frame), data-transform ("sx tx ty laneH": screen x = gutter + tx + i·sx,
// y = ty + (lane + ½)·laneH), data-draws (frames drawn).
const graphState = () => page.$eval("#graph", (c) => {
  const [sx, tx, ty, laneH] = c.dataset.transform.split(" ").map(Number);
  const rect = c.getBoundingClientRect();
  return { ...Object.fromEntries(Object.entries(c.dataset).map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)])), sx, tx, ty, laneH, rect: { x: rect.x, y: rect.y, width: rect.width, height: rect.height } };
});
const nextDraw = (draws) => page.waitForFunction((n) => Number(document.getElementById("graph").dataset.draws) > n, draws);
/** A history as the graph must show it, from the blob in Node and plain JS: its events in canonical order, lanes, dep edges, and each event's key (the first 28 bytes of its encoding) and leaf hash. */
function expectedGraph(events) {
  const parts = omega.splitEvents(omega.canonicalOrder(events));
  const decoded = JSON.parse(omega.decodeEvents(concat(parts)));
  const lanes = [...new Set(decoded.map((e) => `${e.node}/${e.stream}`))].map((k) => k.split("/").map(Number)).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const laneOf = new Map(lanes.map(([n, s], i) => [`${n}/${s}`, i]));
  const byId = new Map();
  decoded.forEach((e, i) => byId.set(e.id, [...(byId.get(e.id) ?? []), i]));
  const edges = decoded.reduce((n, e) => n + (e.deps ?? []).reduce((m, d) => m + (byId.get(d)?.length ?? 0), 0), 0);
  return {
    count: parts.length, lanes: lanes.length, edges, decoded,
    lane: (i) => laneOf.get(`${decoded[i].node}/${decoded[i].stream}`),
    key: (i) => Buffer.from(parts[i].subarray(0, 28)).toString("hex"),
    leaf: (i) => sha256Hex(Buffer.concat([Buffer.of(0), parts[i]])),
  };
}
/** Where position i is drawn, in page coordinates. */
const graphPoint = (s, i, lane) => ({ x: s.rect.x + s.gutter + s.tx + i * s.sx, y: s.rect.y + s.ty + (lane + 0.5) * s.laneH });

test("causal graph: the sample's events in canonical order, one lane per (node, stream), an edge per dep; wheel and drag pan and zoom; a click shows the event", async () => {
  const errorsBefore = pageErrors.length;
  await tab("graph");
  await page.waitForFunction(() => document.getElementById("graph").dataset.nodes === "3000" && Number(document.getElementById("graph").dataset.draws) > 0);
  const want = expectedGraph(omega.sampleHistory(...SAMPLE_ARGS));
  let s = await graphState();
  assert.equal(s.nodes, want.count);
  assert.equal(s.edges, want.edges);
  assert.ok(want.edges > 1000, `the sample has ${want.edges} deps`);
  assert.equal(s.lanes, want.lanes);
  assert.equal(s.highlighted, 0, "an ok result: no evidence");
  assert.equal(s.drawn, want.count, "fitted: every event in view is drawn");
  assert.equal(s.edgesDrawn, want.edges);
  assert.equal(await text("gr-status"), "ok");
  assert.match(await text("gr-summary"), /^3,000 events in canonical order · [\d,]+ dep edges · 12 lanes/);
  console.log(`# causal graph: ${s.nodes} events, ${s.edges} edges, one frame in ${s.ms} ms`);
  assert.ok(s.ms < 250, `a frame of the whole graph took ${s.ms} ms`);
  await screenshot("graph");

  // wheel: zooms the order axis about the pointer (the position under it stays put)
  const fitted = s;
  const cx = s.rect.x + s.rect.width / 2;
  const cy = s.rect.y + s.rect.height / 2;
  const under = (st, x) => (x - st.rect.x - st.gutter - st.tx) / st.sx;
  await page.mouse.move(cx, cy);
  await page.mouse.wheel(0, -600);
  await nextDraw(s.draws);
  await page.waitForTimeout(100); // let every wheel step land
  s = await graphState();
  assert.ok(s.sx > fitted.sx * 2, `zoomed in: ${fitted.sx} → ${s.sx}`);
  assert.ok(Math.abs(under(s, cx) - under(fitted, cx)) < 0.01, "the position under the pointer stays");
  assert.ok(s.drawn < fitted.drawn, `zoomed in, fewer events in view (${s.drawn})`);
  // drag: pans by the pointer's move
  const zoomed = s;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx - 150, cy + 10, { steps: 5 });
  await page.mouse.up();
  await nextDraw(zoomed.draws);
  s = await graphState();
  assert.ok(Math.abs(s.tx - (zoomed.tx - 150)) < 0.5 && Math.abs(s.ty - (zoomed.ty + 10)) < 0.5, `panned: ${zoomed.tx},${zoomed.ty} → ${s.tx},${s.ty}`);
  assert.equal(s.sx, zoomed.sx);
  // the buttons
  await page.click("#btn-gr-in");
  await nextDraw(s.draws);
  const inS = await graphState();
  assert.ok(Math.abs(inS.sx / s.sx - 1.6) < 1e-3, `+ zooms ×1.6: ${s.sx} → ${inS.sx}`);
  await page.click("#btn-gr-out");
  await nextDraw(inS.draws);
  assert.ok(Math.abs((await graphState()).sx - s.sx) < 1e-6);

  // a click on an event (the one nearest the middle) shows it, as the blob and plain JS see it
  s = await graphState();
  const i = Math.round(under(s, cx));
  const at = graphPoint(s, i, want.lane(i));
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction((want) => document.getElementById("ge-index").textContent.startsWith(want), `${i.toLocaleString("en-US")} of 3,000`);
  const e = want.decoded[i];
  assert.equal(await text("ge-key"), want.key(i));
  assert.equal(await text("ge-leaf"), want.leaf(i));
  assert.equal(await text("ge-lane"), `node ${e.node} · stream ${e.stream}`);
  assert.equal(await text("ge-seq"), String(e.seq));
  assert.equal(await text("ge-lamport"), String(e.lamport));
  assert.equal(await text("ge-id"), e.id);
  assert.equal(await text("ge-payload"), `${Buffer.from(e.payload ?? "", "base64").length} bytes`);
  assert.equal(await page.$$eval("#ge-deps > div", (d) => d.length), (e.deps ?? []).length);
  // Fit puts everything back in view
  await page.click("#btn-gr-fit");
  await page.waitForFunction((sx) => Number(document.getElementById("graph").dataset.transform.split(" ")[0]) === sx, fitted.sx);
  assert.equal((await graphState()).drawn, want.count);
  assert.deepEqual(pageErrors.slice(errorsBefore), [], "the page threw nothing");
});

test("causal graph: after the Edge view's tamper, the obstruction's evidence is highlighted and listed, and a click on it shows the event", async () => {
  await tab("edge");
  await page.click("#btn-tamper");
  await waitText("res-status", (t) => t === "obstruction");
  await idle();
  const result = JSON.parse(await text("res-json"));
  await tab("graph");
  await page.waitForFunction(() => document.getElementById("graph").dataset.nodes === "3001" && document.getElementById("graph").dataset.highlighted !== "0");
  // the tampered history as the page builds it: the sample and a copy of one event with one payload bit flipped
  const { copy } = tamperedCopy(JSON.parse(omega.decodeEvents(omega.sampleHistory(...SAMPLE_ARGS))));
  const want = expectedGraph(withEvent(omega.sampleHistoryJson(...SAMPLE_ARGS), copy));
  const s = await graphState();
  assert.equal(s.nodes, want.count);
  assert.equal(s.edges, want.edges);
  assert.equal(await text("gr-status"), "obstruction");
  // every event the violations name (none is a prior head here) is highlighted, and only those
  const named = new Set(result.violations.flatMap((v) => v.events.map((e) => `${e.key} ${e.leaf_hash}`)));
  assert.ok(named.size > 0);
  assert.equal(s.highlighted, named.size, `${s.highlighted} highlighted, the violations name ${named.size}`);
  const listed = await page.$$eval("#gr-evidence li[data-index]", (li) => li.map((x) => Number(x.dataset.index)));
  assert.equal(listed.length, result.violations.reduce((n, v) => n + v.events.length, 0));
  assert.deepEqual(new Set(listed.map((i) => `${want.key(i)} ${want.leaf(i)}`)), named, "the listed positions hold the named events");
  assert.match(await text("gr-ev-count"), /^\(1 violation, 2 events named, 2 drawn\)$/);
  // the equivocating pair share a key and sit side by side in canonical order
  assert.equal(Math.abs(listed[0] - listed[1]), 1);
  // a click on the first evidence entry centres it and shows it
  await page.click("#gr-evidence li[data-index] button");
  await waitText("ge-index", (t) => t.endsWith("obstruction evidence"));
  assert.equal(await text("ge-key"), want.key(listed[0]));
  assert.equal(await text("ge-leaf"), want.leaf(listed[0]));
  await page.waitForFunction(() => Number(document.getElementById("graph").dataset.transform.split(" ")[0]) >= 12);
  await screenshot("graph-obstruction");
  // back to the clean sample for the next flows; the graph follows it
  await tab("edge");
  await page.click("#btn-reconcile");
  await waitText("res-status", (t) => t === "ok");
  await idle();
  await tab("graph");
  await page.waitForFunction(() => document.getElementById("graph").dataset.nodes === "3000" && document.getElementById("graph").dataset.highlighted === "0");
  await idle();
  await tab("edge");
});

test("certify: 5 in-page members, threshold 3; the quorum monitor shows who signed and why it is (in)valid", async () => {
  await tab("certify");
  await page.waitForFunction(() => document.querySelectorAll("#cm-rows tr").length === 5);
  await page.click("#btn-certify");
  await waitText("q-status", (t) => t === "invalid");
  assert.match(await text("q-count"), /^1 valid member signature, 3 required$/);
  assert.match(await text("q-why"), /\d{4}: /, "an invalid certificate says why");
  await page.click("#btn-quorum");
  await waitText("q-status", (t) => t === "valid");
  await idle();
  assert.match(await text("q-count"), /^3 valid member signatures, 3 required$/);
  const signed = await page.$$eval("#cm-rows tr", (trs) => trs.map((tr) => tr.cells[3].textContent));
  assert.deepEqual(signed, ["✓ signed", "✓ signed", "✓ signed", "—", "—"]);
  const note = await text("q-note");
  assert.ok(note.startsWith(`omega.edge/log\n3000\n${Buffer.from(golden.root, "hex").toString("base64")}\n`), note);
  assert.match(note, new RegExp(`^omega-state ${golden.state_hash}$`, "m"));
  assert.equal((note.match(/^\u2014 /gm) ?? []).length, 3);
  assert.match(await text("q-explain"), /VALID/);
  // a fourth member co-signs from the table
  await page.click('#cm-rows tr[data-member="3"] button');
  await waitText("q-count", (t) => t.startsWith("4 valid member signatures"));
  await shot("certify");
});

test("certify: a certificate with one bit flipped is shown invalid with its reason; restore makes it valid again", async () => {
  await page.click("#btn-flip");
  await waitText("q-status", (t) => t === "invalid");
  assert.match(await text("q-flip"), /^yes: bit 0 of byte \d+ \(root\) flipped/);
  const why = await text("q-why");
  assert.match(why, /^\d{4}: .+/, `reason: ${why}`);
  const sigs = await page.$$eval("#q-sigs tr", (trs) => trs.map((tr) => tr.cells[2].textContent));
  assert.ok(sigs.length === 4 && sigs.every((s) => s === "bad_signature"), JSON.stringify(sigs));
  await shot("certify-tampered");
  await page.click("#btn-restore");
  await waitText("q-status", (t) => t === "valid");
  assert.equal(await text("q-flip"), "no");
  await idle();
});

let chainRoots;
test("chain: two batches certified on top; the integrity scroll checks every link back to genesis", async () => {
  await tab("chain");
  await page.click("#btn-extend");
  await page.waitForFunction(() => document.querySelectorAll("#scroll li.link").length === 2);
  await page.click("#btn-extend");
  await page.waitForFunction(() => document.querySelectorAll("#scroll li.link").length === 3);
  await idle();
  assert.equal(await text("ch-status"), "valid");
  assert.equal(await page.$$eval("#scroll li.broken", (l) => l.length), 0);
  assert.equal(await page.$$eval("#scroll li .checks li.bad", (l) => l.length), 0);
  const links = await page.$$eval("#scroll > li", (lis) =>
    lis.map((li) => ({ height: Number(li.dataset.height), codes: [...li.querySelectorAll("code")].map((c) => c.textContent) })));
  assert.deepEqual(links.map((l) => l.height), [2, 1, 0]);
  // the same batches reconciled by the blob in Node: the page's roots and state hashes
  const r1 = extend(golden, 1);
  const r2 = extend(r1, 2);
  assert.deepEqual([r1.root, r1.state_hash], PINNED[1]);
  assert.deepEqual([r2.root, r2.state_hash], PINNED[2]);
  const byHeight = Object.fromEntries(links.map((l) => [l.height, l.codes]));
  assert.deepEqual(byHeight[0].slice(1), [golden.root, golden.state_hash]);
  assert.deepEqual(byHeight[1].slice(1), [r1.root, r1.state_hash]);
  assert.deepEqual(byHeight[2].slice(1), [r2.root, r2.state_hash]);
  chainRoots = [golden.root, r1.root, r2.root];
  assert.equal(r2.tree_size, 4200);
});

test("chain: clicking a leaf shows its inclusion proof verified against the certified root", async () => {
  const box = await page.locator("#leaves").boundingBox();
  await page.mouse.click(box.x + box.width * 0.505, box.y + 4); // row 0, column 50: leaf 50
  await waitText("pf-leaf", (t) => t === "50 of 4,200");
  assert.equal(await text("pf-status"), "valid");
  assert.equal(await text("pf-root"), chainRoots[2]);
  assert.equal(await page.$$eval("#pf-checks li.bad", (l) => l.length), 0);
  assert.equal(await page.$$eval("#pf-checks li", (l) => l.length), 4);
  // a leaf of the second batch, by index
  await page.fill("#leaf-index", "3100");
  await page.click("#btn-prove");
  await waitText("pf-leaf", (t) => t === "3,100 of 4,200");
  assert.equal(await text("pf-status"), "valid");
  const checks = await page.$$eval("#pf-checks li", (l) => l.map((li) => [li.className, li.textContent]));
  assert.ok(checks.every(([c]) => c !== "bad"), JSON.stringify(checks));
  assert.match(checks[3][1], /flipped bit in the first sibling: invalid/);
  // the same proof from the blob in Node
  const all = concat([omega.sampleHistory(...SAMPLE_ARGS), batch(golden, 1), batch(extend(golden, 1), 2)]);
  const p = omega.inclusionProof(all, 3100);
  assert.equal(await text("pf-leaf-hash"), p.leaf_hash);
  assert.deepEqual(await page.$$eval("#pf-path li", (l) => l.map((li) => li.textContent)), p.proof);
  await shot("chain");
});

test("ECS world: 200 ticks in the worker; the per-tick state hashes equal the blob's in Node; snapshot/restore replays", async () => {
  await tab("ecs");
  // the blob has the ECS world (issue 5): a blob without it fails here, not in a fallback branch
  assert.equal(typeof omega.World, "function", "the blob exports World");
  await waitText("ecs-status", (t) => t === "ok");
  assert.equal(await page.evaluate(() => document.getElementById("ecs-missing").hidden), true, "the page found World in its blob: no 'lands with issue 5' notice");
  assert.equal(await page.$$eval("canvas[id^=plot-]", (c) => c.length), 4);
  assert.match(await text("ecs-summary"), /^tick 200 · 1,000 entities · [\d,]+ edges · 200 ticks in/);
  const rows = await page.$$eval("#ecs-ticks tr", (trs) => trs.map((tr) => [Number(tr.cells[0].textContent), tr.cells[1].textContent, tr.cells[2].textContent]));
  assert.equal(rows.length, 12);
  const w = new omega.World(7, 1000, 5, 3);
  const reports = w.step(250);
  w.free();
  for (const [tick, hash, decision] of rows) {
    assert.equal(hash, reports[tick - 1].state_hash, `tick ${tick}`);
    assert.equal(decision, reports[tick - 1].decision, `tick ${tick}`);
  }
  assert.deepEqual(rows.map((r) => r[0]), Array.from({ length: 12 }, (_, i) => 200 - i));
  const pills = await page.$$eval("#ecs-decisions .pill", (p) => p.map((x) => x.textContent));
  const counted = pills.reduce((n, p) => n + Number(p.split(" ").pop()), 0);
  assert.equal(counted, 200, JSON.stringify(pills));
  for (const d of ["QUARANTINE", "ALERT", "BALANCE", "OPTIMIZE"]) {
    const want = reports.slice(0, 200).filter((r) => r.decision === d).length;
    assert.ok(pills.includes(`${d} ${want}`), `${d} ${want} in ${JSON.stringify(pills)}`);
  }
  const alertsWant = reports.slice(0, 200).reduce((n, r) => n + r.alerts.length, 0);
  // this world (seed 7, 1,000 entities) raises alerts in its first 200 ticks: the count is shown, not skipped
  assert.ok(alertsWant > 0, "the world raises safety alerts in 200 ticks");
  assert.equal(await text("ecs-alert-count"), `(${alertsWant.toLocaleString("en-US")} so far, newest first)`);
  for (const k of ["entropy", "coherence", "resonance", "threat"]) {
    assert.equal(await text(`v-${k}`), Number(reports[199][k]).toFixed(6), k);
  }
  await page.click("#btn-ecs-replay");
  await waitText("ecs-replay", (t) => t.length > 0);
  assert.match(await text("ecs-replay"), /^✓ snapshot at tick 200 .* identical state hashes/);
  // the 50 replayed ticks continue the same run
  const top = await page.$eval("#ecs-ticks tr", (tr) => [Number(tr.cells[0].textContent), tr.cells[1].textContent]);
  assert.deepEqual(top, [250, reports[249].state_hash]);
  await shot("ecs");
});

test("ECS topology: the world's nodes drawn by load; a load burst's migrations fly between them; the arbiter panel shows the tick's decision, weights, plan and stability", async () => {
  // the world of the test above, at tick 250 (200 ticks and the 50 of the replay check)
  const topology = () => page.$eval("#topology", (c) => ({ nodes: Number(c.dataset.nodes), load: c.dataset.load.split(",").map(Number), migrations: Number(c.dataset.migrations), animated: Number(c.dataset.animated) }));
  const w = new omega.World(7, 1000, 5, 3);
  const plain = w.step(250);
  let t = await topology();
  assert.equal(t.nodes, 5);
  assert.deepEqual(t.load, [200, 200, 200, 200, 200]);
  assert.equal(t.migrations, plain.reduce((n, r) => n + r.migrations.length, 0));
  // the burst: 20 spawns on node 0 at tick 251, then 30 ticks
  const spawns = Array.from({ length: 20 }, () => ({ tick: 251, op: "spawn", node: 0, target: "0" }));
  const burst = w.step(30, spawns);
  w.free();
  const moves = burst.flatMap((r) => r.migrations);
  assert.ok(moves.length > 5, `the burst makes ${moves.length} migrations`);
  const before = t;
  await page.click("#btn-ecs-burst");
  await waitText("ecs-summary", (s) => s.startsWith("tick 280 "));
  await waitText("ecs-status", (s) => s === "ok");
  t = await topology();
  assert.equal(t.migrations - before.migrations, moves.length);
  assert.equal(t.animated - before.animated, moves.length, "every migration flew (no reduced motion asked)");
  const load = [220, 200, 200, 200, 200];
  for (const m of moves) {
    load[m.from]--;
    load[m.to]++;
  }
  assert.deepEqual(t.load, load);
  assert.equal(t.load.reduce((a, b) => a + b), burst[29].entities);
  assert.match(await text("topo-caption"), /their sum, 1,020, is the world's live entities/);
  // the spawns went in at tick 251: the page's state hashes are the blob's in Node
  const top = await page.$eval("#ecs-ticks tr", (tr) => [Number(tr.cells[0].textContent), tr.cells[1].textContent]);
  assert.deepEqual(top, [280, burst[29].state_hash]);
  await screenshot("ecs-topology"); // taken while the last dots are still in flight
  // the arbiter panel: the exact strings of the last report, "—" for what it lacks
  const r = burst[29];
  assert.equal(await text("arb-decision"), r.decision);
  assert.equal(await text("arb-tick"), "tick 280");
  assert.equal(await text("arb-threat"), r.threat);
  assert.equal(await text("arb-pulse"), r.pulse);
  assert.deepEqual(await page.$$eval("#arb-weights .bar-row", (rows) => rows.map((x) => [x.dataset.advisor, x.querySelector("code").textContent])), ["R", "B", "E", "O"].map((a, i) => [a, r.weights[i]]));
  assert.equal(await text("arb-action"), r.plan?.action ?? "—");
  assert.equal(await text("arb-gain"), r.plan?.gain ?? "—");
  assert.equal(await text("arb-urgency"), r.plan?.urgency ?? "—");
  assert.equal(await text("arb-stable"), r.lyapunov ? (r.lyapunov.stable ? "pid_stable" : "unstable") : "—");
  assert.equal(await text("arb-v"), r.lyapunov?.v ?? "—");
  assert.equal(await text("arb-dv"), r.lyapunov?.dv ?? "—");
  console.log(`# arbiter at tick 280: ${r.decision}; plan ${r.plan ? JSON.stringify(r.plan) : "absent from this blob's tick reports"}; lyapunov ${r.lyapunov ? JSON.stringify(r.lyapunov) : "absent"}`);
  // with reduced motion asked for, the migrations are counted, not flown
  await page.emulateMedia({ reducedMotion: "reduce" });
  try {
    const still = await topology();
    await page.click("#btn-ecs-burst");
    await waitText("ecs-summary", (s) => s.startsWith("tick 310 "));
    await waitText("ecs-status", (s) => s === "ok");
    const after = await topology();
    assert.ok(after.migrations > still.migrations, "the second burst migrates too");
    assert.equal(after.animated, still.animated, "no dot flew");
  } finally {
    await page.emulateMedia({ reducedMotion: null });
  }
});

test("a reload with the same input gives the same hashes (reconcile and the chain)", async () => {
  await page.goto(`${base}/#edge`, { waitUntil: "load" });
  await page.reload({ waitUntil: "load" });
  await ready(page);
  assert.equal(await text("res-root"), golden.root);
  assert.equal(await text("res-state-hash"), golden.state_hash);
  await tab("chain");
  await page.click("#btn-extend");
  await page.waitForFunction(() => document.querySelectorAll("#scroll li.link").length === 2);
  const roots = await page.$$eval("#scroll > li", (lis) => lis.map((li) => li.querySelectorAll("code")[1].textContent));
  assert.deepEqual(roots, [chainRoots[1], chainRoots[0]]);
});

test("the self-contained build (node web/build.mjs) serves and reconciles to the same hashes", async () => {
  const out = mkdtempSync(join(tmpdir(), "omega-web-dist-"));
  const srv = await listen(staticServer([["/", out]]));
  try {
    const r = build(out);
    assert.ok(r.files.includes("pkg/omega_wasm_bg.wasm") && r.files.includes("index.html"));
    console.log(`# blob + glue gzipped (-9): ${r.blobGzip} + ${r.glueGzip} = ${r.blobGzip + r.glueGzip} bytes`);
    const p = await openPage(`http://127.0.0.1:${srv.address().port}/`);
    assert.equal(await text("res-root", p), golden.root);
    assert.equal(await text("res-state-hash", p), golden.state_hash);
    await p.close();
  } finally {
    await new Promise((ok) => srv.close(ok));
    srv.closeAllConnections?.();
    rmSync(out, { recursive: true, force: true });
  }
});

test("the blob's format exports the page relies on (it keeps no copy of any format)", () => {
  const text = omega.sampleHistoryJson(...SAMPLE_ARGS);
  const bytes = omega.encodeEvents(text);
  assert.deepEqual(bytes, omega.sampleHistory(...SAMPLE_ARGS));
  assert.equal(omega.decodeEvents(bytes), text, "decodeEvents writes what the CLI writes");
  const parts = omega.splitEvents(bytes);
  assert.equal(parts.length, 3000);
  assert.deepEqual(concat(parts), bytes);
  assert.deepEqual(omega.encodeEvents(JSON.parse(text).slice(7, 8)), parts[7]);
  // canonical order: shuffled with duplicates, it is the tree's leaf order
  const shuffled = concat([...parts].reverse().concat(parts.slice(0, 50)));
  const leaves = omega.splitEvents(omega.canonicalOrder(shuffled));
  assert.equal(leaves.length, 3000);
  for (const i of [0, 1, 1234, 2999]) {
    const leaf = sha256Hex(Buffer.concat([Buffer.of(0), leaves[i]]));
    assert.equal(leaf, omega.inclusionProof(text, i).leaf_hash, `leaf ${i}`);
  }
  // an .omega log: the events of its valid prefix
  const log = new Uint8Array(readFileSync(join(VECTORS, "certify/reconcile-log.log.omega")));
  const all = omega.logEvents(log);
  assert.equal(JSON.parse(omega.reconcileBinary(all)).root, omega.reconcileLog(log).root);
  const torn = log.subarray(0, log.length - 5);
  const ing = omega.ingest(torn);
  assert.equal(ing.status, "damaged");
  assert.equal(omega.splitEvents(omega.logEvents(torn)).length, ing.frames);
  // errors are thrown with their stable codes
  const code = (f) => {
    try {
      f();
    } catch (e) {
      return [e.code, e.index ?? null, e.field ?? null];
    }
    return "no error";
  };
  assert.deepEqual(code(() => omega.encodeEvents('[{"lamport":-1,"node":1,"stream":0,"seq":0}]')), [3003, 0, "lamport"]);
  assert.deepEqual(code(() => omega.splitEvents(bytes.subarray(0, 200))), [3101, 2, null]);
  assert.deepEqual(code(() => omega.decodeEvents(bytes.subarray(0, 200))), [3101, 2, null]);
  assert.deepEqual(code(() => omega.logEvents(bytes)), [3801, null, null]);
  assert.deepEqual(code(() => omega.parseNote("no signatures\n")), [3501, null, null]);
  assert.deepEqual(code(() => omega.sampleBatch(golden, 1, 4_000_000_000)), [4101, null, null]);
  // signed notes: a chain link's checkpoint names its predecessor
  const k = omega.keypairFromSeed("edge.test/k", new Uint8Array(32).fill(7));
  const c0 = omega.certify(golden, "edge.test/log", k.signer_key);
  const c1 = omega.certify(extend(golden, 1), "edge.test/log", k.signer_key, c0.certificate);
  const n0 = omega.parseNote(omega.certificateNote(c0.certificate));
  const n1 = omega.parseNote(omega.certificateNote(c1.certificate));
  assert.deepEqual([n0.checkpoint.height, n0.checkpoint.prev, n0.checkpoint.consistency], [0, null, []]);
  assert.equal(n0.checkpoint.root, golden.root);
  assert.equal(n0.checkpoint.hash, c0.hash);
  assert.deepEqual([n1.checkpoint.height, n1.checkpoint.prev, n1.checkpoint.hash], [1, c0.hash, c1.hash]);
  assert.ok(n1.checkpoint.consistency.length > 0);
  assert.deepEqual(n1.signatures.map((s) => [s.name, s.key_id, s.signature.length]), [["edge.test/k", k.key_id, 64]]);
  assert.ok(n1.body.startsWith("edge.test/log\n3600\n"), n1.body);
  assert.equal(omega.parseNote(`hello\n\n\u2014 x ${Buffer.alloc(68).toString("base64")}\n`).checkpoint, null);
});

test("the tamper keeps the history's text exact (integers above 2^53 included)", () => {
  const big = '[\n  {"lamport":18446744073709551615,"node":2,"stream":1,"seq":100,"id":"0000000200010000000000000064","payload":"AA=="}\n]\n';
  const { copy } = tamperedCopy(JSON.parse(big));
  const text = withEvent(big, copy);
  assert.ok(text.startsWith(big.trimEnd().slice(0, -1).trimEnd()), text);
  assert.equal(JSON.parse(text).length, 2);
  assert.equal(JSON.parse(text)[1].payload, "AQ==");
});

test("no uncaught errors on the page", () => {
  assert.deepEqual(pageErrors, []);
});

test("chain: an entry of a tiled log checked against its certificate, fetching a few tiles; a changed tile is refused", async () => {
  const bin = [process.env.OMEGA_BIN, resolve(ROOT, "target/release/omega")].find((p) => p && existsSync(p));
  assert.ok(bin, "no omega binary: build it with `cargo build --release -p omega-host` (or set OMEGA_BIN)");
  const run = (...args) => execFileSync(bin, args, { cwd: STORE, stdio: ["ignore", "pipe", "pipe"] });
  run("sample", "--seed", "3", "--nodes", "3", "--streams", "2", "--per-stream", "500", "--format", "binary", "--out", "b.bin");
  writeFileSync(join(STORE, "r.json"), run("reconcile", "--format", "binary", "-i", "b.bin"));
  run("append", "--log", "L.omega", "-i", "b.bin", "--format", "binary", "--tiles", "T");
  const vkeys = ["a", "b"].map((n) => run("keygen", "--name", `${n}.example`, "--out", `${n}.key`).toString().trim());
  run("committee", "--threshold", "2", "--out", "committee.json", ...vkeys);
  run("certify", "--result", "r.json", "--key", "a.key", "--origin", "tiles.example", "--committee", "committee.json", "--out", "c.cert");
  run("cosign", "--cert", "c.cert", "--key", "b.key");
  run("tiles", "--log", "L.omega", "--out", "T", "--cert", "c.cert");
  const root = JSON.parse(run("prove", "--tiles", "T", "--index", "1234").toString());

  await tab("chain");
  await page.fill("#tl-url", "/store/");
  await page.fill("#tl-committee", readFileSync(join(STORE, "committee.json"), "utf8"));
  await page.setInputFiles("#tl-cert", join(STORE, "c.cert"));
  await page.fill("#tl-index", "1234");
  await page.click("#btn-tile-verify");
  await waitText("tl-status", (t) => t !== "not checked");
  assert.equal(await text("tl-status"), "valid", await text("tl-note"));
  assert.equal(await text("tl-leaf"), "1,234 of 3,000");
  assert.equal(await text("tl-root"), root.root);
  assert.equal(await text("tl-leaf-hash"), root.leaf_hash);
  const n = Number((await text("tl-requests")).split(" ")[0]);
  assert.ok(n >= 2 && n <= 5, await text("tl-requests"));
  await shot("tiles");
  // one bit of the entry's level-0 tile changed on the server: refused, with the code
  const tile = join(STORE, "T/tile/0/004");
  const good = readFileSync(tile);
  const bad = Buffer.from(good);
  bad[200] ^= 1;
  writeFileSync(tile, bad);
  await page.click("#btn-tile-verify");
  await waitText("tl-status", (t) => t === "invalid");
  assert.match(await text("tl-note"), /error 3414/);
  writeFileSync(tile, good);
});

test("the static server maps /pkg/ to wasm/dist, serves .wasm as application/wasm, and refuses traversal", async () => {
  const mounts = repoMounts();
  for (const p of ["/../Cargo.toml", "/pkg/../../Cargo.toml", "/%2e%2e/Cargo.toml", "/pkg/%2e%2e/%2e%2e/Cargo.toml", "/x%00", "/a\\b"]) {
    assert.equal(fileFor(mounts, p), null, p);
  }
  assert.equal(fileFor(mounts, "/pkg/omega_wasm_bg.wasm"), resolve(ROOT, "wasm/dist/omega_wasm_bg.wasm"));
  assert.equal(fileFor(mounts, "/"), resolve(ROOT, "web/index.html"));
  const r = await fetch(`${base}/pkg/omega_wasm_bg.wasm`, { method: "HEAD" });
  assert.equal(r.headers.get("content-type"), "application/wasm");
  assert.equal((await fetch(`${base}/pkg/../Cargo.toml`)).status, 404);
  assert.equal((await fetch(`${base}/nope.js`)).status, 404);
});
