// A browser tab joins the live cluster (docs/CLUSTER.md, "Browser tabs"): a
// real nats-server with JetStream and a WebSocket listener on loopback, the
// page (web/) in headless Chromium as one committee member, and three
// `omega node` processes (two native, one on the blob in wasmtime, one of
// them the sealer) as the others; threshold 3 of 4; all four step one ECS
// world per batch (`--ecs`). Four `omega publish` producers publish 20,000
// events with cross-producer dependencies at once (one producer's payloads
// are world commands); the tab and every node must end with a quorum
// certificate at the final tree size, the tab's certificates (history and
// world line) must be byte-identical to the nodes' `chain/<height>.cert`
// files, the tab's signature must count (the blob node joins only after the
// history is certified, so no quorum forms without the tab), the chain must
// verify on both engines and its roots be the log's batch by batch, and the
// page must show no dissent. Every process started here is killed by its pid
// at the end, whatever happens. Run through `cargo xtask test`, or directly
// (after `cargo build --release -p omega-host` and `cargo xtask blob`):
//   node --test tests/js/cluster.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import * as kernel from "omega-kernel";
import { launchChromium } from "./chromium.mjs";
import { listen, repoMounts, staticServer } from "../../web/serve.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BLOB = resolve(ROOT, "wasm/dist/omega_wasm_bg.wasm");
const NATS = process.env.OMEGA_NATS_SERVER || "/usr/sbin/nats-server";
const SHOTS = resolve(ROOT, "target/screenshots");
const TOTAL = 4 * 5 * 1000;
const WAIT_MS = 180_000;

function omegaBin() {
  for (const p of [process.env.OMEGA_BIN, resolve(ROOT, "target/release/omega"), resolve(ROOT, "target/debug/omega")]) {
    if (p && existsSync(p)) return p;
  }
  throw new Error("no omega binary: build it with `cargo build --release -p omega-host` (or set OMEGA_BIN)");
}

/** `n` distinct free ports on 127.0.0.1 (held open until all are chosen). */
async function freePorts(n) {
  const held = [];
  const ports = [];
  while (ports.length < n) {
    const s = createServer();
    await new Promise((ok, fail) => s.once("error", fail).listen(0, "127.0.0.1", ok));
    held.push(s);
    const p = s.address().port;
    if (!ports.includes(p)) ports.push(p);
  }
  await Promise.all(held.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function until(what, f, ms = WAIT_MS, every = 250) {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** A certificate's tree size, root (hex), world line and signer names, read from its signed note. */
function checkpoint(bytes) {
  const note = kernel.certificateNote(new Uint8Array(bytes));
  const [body, sigs] = note.split("\n\n");
  const lines = body.split("\n");
  const w = lines.find((l) => l.startsWith("omega-world "))?.split(" ");
  return {
    tree_size: Number(lines[1]),
    root: Buffer.from(lines[2], "base64").toString("hex"),
    world: w ? { tick: Number(w[1]), state_hash: w[2] } : null,
    signers: sigs.split("\n").filter(Boolean).map((l) => l.split(" ")[1]),
  };
}

/** Every process this file starts, so that it is killed (by pid) whatever happens. */
const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on("exit", killAll);

function start(name, bin, args, dir, env = {}) {
  const out = join(dir, `${name}.out`);
  const err = join(dir, `${name}.err`);
  const child = spawn(bin, args, {
    cwd: ROOT,
    stdio: ["ignore", openSync(out, "a"), openSync(err, "a")],
    env: { ...process.env, OMEGA_JSON: "1", ...env },
  });
  children.add(child);
  const lines = () =>
    readFileSync(out, "utf8")
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return [];
        }
      });
  const stderr = () => (existsSync(err) ? readFileSync(err, "utf8") : "");
  return { name, child, out, lines, stderr, alive: () => child.exitCode === null && child.signalCode === null };
}

function run(bin, args) {
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, OMEGA_JSON: "1" }, timeout: 120_000 });
  assert.equal(r.status, 0, `${bin} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function httpOk(port, path) {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return r.ok;
  } catch {
    return false;
  }
}

/**
 * A nats-server (JetStream + WebSocket on free loopback ports), the page
 * served by web/serve.mjs and headless Chromium, all stopped by `t.after`.
 */
async function setup(t, what) {
  assert.ok(existsSync(NATS), `no nats-server at ${NATS} (apt-get install nats-server, or set OMEGA_NATS_SERVER)`);
  assert.ok(existsSync(BLOB), "wasm/dist/omega_wasm_bg.wasm is missing: build it with `cargo xtask blob`");
  const omega = omegaBin();
  const dir = mkdtempSync(join(tmpdir(), `omega-tab-${what}-`));
  const f = { omega, dir, browser: null, web: null };
  t.after(async () => {
    killAll();
    await f.browser?.close().catch(() => {});
    if (f.web) await new Promise((ok) => f.web.close(ok));
    f.web?.closeAllConnections?.();
    if (!process.env.OMEGA_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  });

  // ---- nats-server: JetStream and a WebSocket listener on free loopback ports
  const [port, wsPort, httpPort] = await freePorts(3);
  const store = join(dir, "nats");
  mkdirSync(store);
  const conf = join(dir, "nats.conf");
  writeFileSync(
    conf,
    [
      `server_name: "omega-tab-${what}"`,
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${httpPort}"`,
      `jetstream { store_dir: ${JSON.stringify(store)} }`,
      `websocket { listen: "127.0.0.1:${wsPort}", no_tls: true }`,
      "",
    ].join("\n"),
  );
  const nats = start("nats-server", NATS, ["-c", conf], dir);
  await until("nats-server to be ready", async () => {
    if (!nats.alive()) throw new Error(`nats-server exited: ${nats.stderr()}`);
    return httpOk(httpPort, "/healthz");
  }, 30_000);
  f.natsUrl = `nats://127.0.0.1:${port}`;
  f.wsUrl = `ws://127.0.0.1:${wsPort}`;

  // ---- the page
  f.web = await listen(staticServer(repoMounts()));
  f.base = `http://127.0.0.1:${f.web.address().port}`;
  f.browser = await launchChromium({ timeout: 60_000 });
  const context = await f.browser.newContext({ viewport: { width: 1400, height: 1100 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  f.page = page;
  f.pageErrors = [];
  page.on("pageerror", (e) => f.pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") console.error(`[page ${m.type()}] ${m.text()}`);
  });
  f.ready = async () => {
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.ready), "1");
  };
  f.text = (id) => page.evaluate((id) => document.getElementById(id).textContent, id);
  /** Opens the page with the cluster parameters: the tab connects at once. */
  f.connect = async (log, committeeText, worldText) => {
    const world = worldText ? `&world=${Buffer.from(worldText).toString("base64url")}` : "";
    await page.goto(`${f.base}/?nats=${encodeURIComponent(f.wsUrl)}&log=${log}&committee=${Buffer.from(committeeText).toString("base64url")}${world}#cluster`);
    await f.ready();
    await page.waitForFunction(() => ["live", "catching up"].includes(document.getElementById("view-cluster").dataset.status), null, { timeout: 60_000 });
  };
  /** What the page shows of the tab's node. */
  f.tabState = () =>
    page.evaluate(() => ({
      status: document.getElementById("view-cluster").dataset.status,
      summary: document.getElementById("cl-summary").textContent,
      certTree: document.getElementById("cl-cert-tree").textContent,
      chain: [...document.querySelectorAll("#cl-chain tr[data-cert]")].map((r) => ({ height: Number(r.dataset.height), cert: r.dataset.cert, signers: r.cells[3].textContent.split(", ") })),
      dissent: document.getElementById("cl-dissent").textContent,
      fraud: document.getElementById("cl-fraud").textContent,
      strangers: document.getElementById("cl-strangers").textContent,
      alerts: [...document.querySelectorAll("#cl-alerts li[data-kind]")].map((li) => ({ kind: li.dataset.kind, height: li.dataset.height, signer: li.dataset.signer, text: li.textContent })),
    }));
  /** `omega keygen` keys: their verifier keys. */
  f.keygen = (names) => names.map((n) => run(omega, ["keygen", "--name", n, "--out", join(dir, `${n}.key`)]).trim());
  f.nodeArgs = (log, committee, n, engine, extra = []) => [
    "node", "--nats", f.natsUrl, "--log", log, "--key", join(dir, `${n}.key`), "--committee", committee,
    "--data", join(dir, `data-${n}`), "--engine", engine, ...(engine === "wasm" ? ["--blob", BLOB] : []), ...extra,
  ];
  f.node = async (name, args) => {
    const n = start(name, omega, args, dir);
    await until(`${name} to start`, () => {
      if (!n.alive()) throw new Error(`${name} exited: ${n.stderr()}`);
      return n.lines().some((l) => l.event === "started");
    }, 60_000);
    return n;
  };
  return f;
}

test("4 members (2 native, 1 on the blob, 1 Chromium tab), threshold 3, 4 producers, 20,000 events, one world: one chain, byte for byte", { timeout: 8 * 60_000 }, async (t) => {
  const f = await setup(t, "agree");
  const { omega, dir, page } = f;
  const LOG = "tabs";

  // ---- the tab's key: made on its first visit, kept across reloads
  await page.goto(`${f.base}/#cluster`);
  await f.ready();
  const tabKey = await f.text("cl-verifier");
  assert.match(tabKey, /^tab-[0-9a-f]{6}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  const tabSigner = tabKey.split("+").slice(0, 2).join("+");
  const tabName = tabSigner.split("+")[0];

  // ---- the committee: the tab and three `omega keygen` keys, threshold 3
  const committeeText = JSON.stringify({ threshold: 3, members: [tabKey, ...f.keygen(["n1", "n2", "n3"])] });
  const committee = join(dir, "committee.json");
  writeFileSync(committee, committeeText);
  // ---- one ECS world every member steps per batch (`--ecs`; the tab's `world` parameter)
  const worldText = JSON.stringify({ seed: 5, entities: 64, nodes: 4, edges_per_entity: 2 });
  const world = join(dir, "world.json");
  writeFileSync(world, worldText);

  // ---- 20,000 events from 4 producers (producer i publishes node i's events; about half
  // depend on another node's); node 4's payloads are world commands (JSON form), so the
  // world is steered by the history while the others are plain events
  const events = join(dir, "events.json");
  run(omega, ["sample", "--nodes", "4", "--streams", "5", "--per-stream", "1000", "--seed", "2026", "--out", events]);
  const all = JSON.parse(readFileSync(events, "utf8"));
  assert.equal(all.length, TOTAL);
  const ops = ["sensor", "set_target"];
  for (const e of all.filter((e) => e.node === 4)) {
    const cmd = { tick: 1 + Math.floor(e.lamport / 8), op: ops[e.seq % 2], entity: `${e.seq % 64}:0`, value: `${(e.seq % 9) - 4}.5` };
    e.payload = Buffer.from(JSON.stringify(cmd)).toString("base64");
  }
  const files = [1, 2, 3, 4].map((p) => {
    const file = join(dir, `producer-${p}.json`);
    writeFileSync(file, JSON.stringify(all.filter((e) => e.node === p)));
    return file;
  });

  // ---- n1 and n2 (native; n1 seals) and the tab follow the stream from the start. The blob
  // node n3 starts only once the history is certified: until then no quorum (3) forms
  // without the tab, so its signature provably counts; n3 then catches up.
  const ecs = ["--ecs", world];
  const nodes = [
    await f.node("n1", f.nodeArgs(LOG, committee, "n1", "native", ["--seal-every", "1000", "--seal-interval", "200", "--delay", "3", "--horizon", "8", ...ecs])),
    await f.node("n2", f.nodeArgs(LOG, committee, "n2", "native", ecs)),
  ];
  // the tab gets the committee and the world in its URL (a reload: the key must be the same)
  await f.connect(LOG, committeeText, worldText);
  assert.equal(await f.text("cl-verifier"), tabKey, "the tab's key is kept across reloads");

  // ---- the four producers publish at once
  const producers = files.map(
    (file, i) =>
      new Promise((ok, fail) => {
        const p = start(`producer-${i + 1}`, omega, ["publish", "--nats", f.natsUrl, "--log", LOG, "--input", file], dir);
        p.child.on("exit", (code) => (code === 0 ? ok(p) : fail(new Error(`producer ${i + 1} exited ${code}: ${p.stderr()}`))));
      }),
  );
  for (const p of await Promise.all(producers)) assert.equal(JSON.parse(readFileSync(p.out, "utf8")).acked, TOTAL / 4, `${p.name}: ${p.stderr()}`);

  // ---- n1, n2 and the tab certify the whole history; then n3 joins and catches up
  const finalHeight = (n) => n.lines().find((l) => l.event === "quorum" && l.tree_size === TOTAL)?.height;
  const certifiedBy = async (list) =>
    until(`${list.map((n) => n.name).join(", ")} to store a quorum certificate at tree size 20,000`, () => {
      for (const n of list) if (!n.alive()) throw new Error(`${n.name} exited: ${n.stderr()}`);
      return list.every((n) => finalHeight(n) != null);
    });
  await certifiedBy(nodes);
  const top = finalHeight(nodes[0]);
  let tab;
  await until("the tab to store every certificate up to the final height", async () => {
    tab = await f.tabState();
    if (tab.status === "error") throw new Error(`the tab's node stopped: ${tab.summary}`);
    return tab.certTree === TOTAL.toLocaleString("en-US") && tab.chain.length === top + 1;
  });
  const tabCerts = new Map(tab.chain.map((c) => [c.height, Buffer.from(c.cert, "base64")]));
  assert.equal(tabCerts.size, top + 1);
  // n1, n2 and the tab made every certificate: each carries the tab's signature
  for (const [h, c] of tabCerts) {
    const cp = checkpoint(c);
    assert.ok(cp.signers.includes(tabName), `height ${h} is certified without the tab: ${cp.signers}`);
  }
  nodes.push(await f.node("n3", f.nodeArgs(LOG, committee, "n3", "wasm", ecs)));
  await certifiedBy(nodes);
  for (const n of nodes) assert.equal(finalHeight(n), top, `${n.name} certified tree size 20,000 at another height`);
  tab = await f.tabState();
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SHOTS, "web-cluster.png"), fullPage: true });
  console.log(`${top + 1} heights certified; screenshot: ${resolve(SHOTS, "web-cluster.png")}`);

  // ---- byte-identical certificates (history and world), the tab's signature seen by every node, no dissent
  for (const n of nodes) {
    const names = readdirSync(join(dir, `data-${n.name}`, "chain")).filter((x) => x.endsWith(".cert")).sort();
    assert.equal(names.length, top + 1, `${n.name}: ${names.join(", ")}`);
    for (const file of names) {
      const h = Number(file.slice(0, -".cert".length));
      assert.ok(tabCerts.has(h), `the tab has no certificate at height ${h}`);
      assert.ok(readFileSync(join(dir, `data-${n.name}`, "chain", file)).equals(tabCerts.get(h)), `${n.name}: chain/${file} differs from the tab's`);
    }
    assert.ok(n.lines().some((l) => l.event === "signature" && l.signer === tabSigner), `${n.name} never counted the tab's signature`);
    assert.deepEqual(n.lines().filter((l) => ["dissent", "fraud", "stranger", "bad_signature", "invalid_certificate", "fork"].includes(l.event)), [], n.name);
  }
  for (const a of tab.alerts.filter((x) => x.kind === "nats_error")) console.log(`tab: ${a.text}`);
  assert.deepEqual([tab.dissent, tab.fraud, tab.strangers, tab.alerts.filter((x) => x.kind !== "nats_error")], ["0", "0", "0", []]);
  assert.deepEqual(f.pageErrors, []);

  // ---- every certificate has the world line, and the world moved with the commands
  const worlds = [...tabCerts.keys()].sort((a, b) => a - b).map((h) => checkpoint(tabCerts.get(h)).world);
  assert.ok(worlds.every((w) => w && Number.isInteger(w.tick)), "a certificate without a world line");
  assert.ok(nodes[0].lines().some((l) => l.event === "world" && l.scheduled > 0), "no batch applied a world command");

  // ---- every certificate verifies on both engines, as one chain
  const chainFiles = readdirSync(join(dir, "data-n1", "chain")).filter((x) => x.endsWith(".cert")).sort().map((x) => join(dir, "data-n1", "chain", x));
  const last = chainFiles.at(-1);
  for (const engine of ["native", "wasm"]) {
    const v = JSON.parse(run(omega, ["verify", "--engine", engine, ...(engine === "wasm" ? ["--blob", BLOB] : []), "--cert", last, "--committee", committee, ...chainFiles.slice(0, -1).flatMap((c) => ["--chain", c])]));
    assert.equal(v.status, "valid", `${engine}: ${JSON.stringify(v)}`);
    assert.equal(v.chain?.status, "valid", engine);
  }

  // ---- batch by batch, the certified roots are the Merkle roots of the log's prefixes, and the
  // last is `omega reconcile`'s over all 20,000 events as published
  const logged = kernel.splitEvents(kernel.logEvents(readFileSync(join(dir, "data-n1", "log.omega"))));
  assert.equal(logged.length, TOTAL);
  const leaves = logged.map((e) => createHash("sha256").update(Uint8Array.of(0)).update(e).digest());
  for (const file of chainFiles) {
    const cp = checkpoint(readFileSync(file));
    assert.equal(kernel.merkleRoot(Buffer.concat(leaves.slice(0, cp.tree_size))).root, cp.root, file);
  }
  const edited = join(dir, "all.json");
  writeFileSync(edited, JSON.stringify(all));
  const final = JSON.parse(run(omega, ["reconcile", "--input", edited]));
  assert.equal(final.status, "ok");
  assert.equal(checkpoint(readFileSync(last)).root, final.root);
});

test("the tab reports dissent, fraud and strangers exactly as an honest node does", { timeout: 4 * 60_000 }, async (t) => {
  const f = await setup(t, "faults");
  const { omega, dir, page } = f;
  const LOG = "tabfaults";
  await page.goto(`${f.base}/#cluster`);
  await f.ready();
  const tabKey = await f.text("cl-verifier");
  // f3 signs a wrong root (dissent), f4 signs two checkpoints per height (fraud), x1 is not in the committee
  const [k1, k3, k4, x1] = f.keygen(["f1", "f3", "f4", "x1"]);
  const committeeText = JSON.stringify({ threshold: 2, members: [tabKey, k1, k3, k4] });
  const committee = join(dir, "committee.json");
  writeFileSync(committee, committeeText);
  const f1 = await f.node("f1", f.nodeArgs(LOG, committee, "f1", "native", ["--seal-every", process.env.SEAL_EVERY ?? "500", "--seal-interval", "200", "--delay", "1"]));
  const others = [
    await f.node("f3", f.nodeArgs(LOG, committee, "f3", "native", ["--fault", "wrong-root"])),
    await f.node("f4", f.nodeArgs(LOG, committee, "f4", "native", ["--fault", "double-sign"])),
    await f.node("x1", f.nodeArgs(LOG, committee, "x1", "native")),
  ];
  await f.connect(LOG, committeeText);
  const events = join(dir, "events.json");
  run(omega, ["sample", "--nodes", "3", "--streams", "2", "--per-stream", "250", "--out", events]);
  JSON.parse(run(omega, ["publish", "--nats", f.natsUrl, "--log", LOG, "--input", events]));
  const top = await until("f1 to certify the 1,500 events", () => {
    for (const n of [f1, ...others]) if (!n.alive()) throw new Error(`${n.name} exited: ${n.stderr()}`);
    return f1.lines().find((l) => l.event === "quorum" && l.tree_size === 1500)?.height;
  });
  // What f1 reported, and what the page shows: the same (kind, height, signer) for every height.
  const kinds = ["dissent", "fraud", "stranger"];
  const key = (kind, height, signer) => `${kind} ${height} ${signer}`;
  const fromNode = () => new Set(f1.lines().filter((l) => kinds.includes(l.event) && l.height <= top).map((l) => key(l.event, l.height, l.signer)));
  const fromTab = async () => new Set((await f.tabState()).alerts.filter((a) => kinds.includes(a.kind) && Number(a.height) <= top).map((a) => key(a.kind, a.height, a.signer)));
  const signer = (k) => k.split("+").slice(0, 2).join("+");
  // (f3 dissents at height 0; past it, its history is not the committee's, so its heights need not line up)
  const expected = new Set([key("dissent", 0, signer(k3)), key("stranger", 0, signer(x1))]);
  for (let h = 0; h <= top; h++) expected.add(key("fraud", h, signer(k4)));
  let seen;
  await until("the tab and f1 to report every height's dissent, fraud and stranger", async () => {
    const [a, b] = [fromNode(), await fromTab()];
    seen = [[...a].sort(), [...b].sort()];
    return [...expected].every((e) => a.has(e)) && a.size === b.size && [...a].every((e) => b.has(e));
  }, 60_000).catch(async (e) => {
    throw new Error(`${e.message}\nf1: ${JSON.stringify(seen?.[0])}\ntab: ${JSON.stringify(seen?.[1])}\nthe tab's output:\n${await f.text("cl-log")}`);
  });
  const tab = await f.tabState();
  assert.ok(tab.alerts.some((a) => a.kind === "fraud" && /proof verified/.test(a.text)), "the fraud proof verifies in the page");
  assert.notEqual(tab.dissent, "0");
  assert.notEqual(tab.fraud, "0");
  assert.notEqual(tab.strangers, "0");
  // the tab stored the quorum certificates f1 stored, byte for byte
  await until("the tab to store the final certificate", async () => (await f.tabState()).chain.some((c) => c.height === top));
  const stored = new Map((await f.tabState()).chain.map((c) => [c.height, Buffer.from(c.cert, "base64")]));
  let compared = 0;
  for (const file of readdirSync(join(dir, "data-f1", "chain"))) {
    const h = Number(file.slice(0, -".cert".length));
    if (h > top) continue;
    assert.ok(readFileSync(join(dir, "data-f1", "chain", file)).equals(stored.get(h)), `chain/${file}`);
    compared += 1;
  }
  // an empty folder would compare nothing
  assert.ok(compared >= 1, `compared ${compared} certificates`);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SHOTS, "web-cluster-faults.png"), fullPage: true });
  assert.deepEqual(f.pageErrors, []);
});
