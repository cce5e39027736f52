// The edge node's page: draws, and asks the worker (worker.js, which owns the
// blob) for everything else. Nothing here blocks: every call is a message.

const $ = (id) => document.getElementById(id);

// ---- the worker, as promises -------------------------------------------
const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
let nextId = 1;
const pending = new Map();
worker.onmessage = ({ data }) => {
  if (data.event === "cluster") return showCluster(data.state);
  const p = pending.get(data.id);
  if (!p) return;
  pending.delete(data.id);
  if (data.ok) p.ok(data.value);
  else p.fail(Object.assign(new Error(data.error.message), data.error));
};
worker.onerror = (e) => setStatus(`worker failed: ${e.message ?? "could not start"}`, "error");
function call(op, args) {
  const id = nextId++;
  return new Promise((ok, fail) => {
    pending.set(id, { ok, fail });
    worker.postMessage({ id, op, args });
  });
}

// ---- main-thread heartbeat: proves the page keeps drawing during jobs ----
let lastFrame = performance.now();
let maxGap = 0;
(function beat(t) {
  maxGap = Math.max(maxGap, t - lastFrame);
  lastFrame = t;
  const b = $("heartbeat");
  if (b) b.style.opacity = String(0.35 + 0.65 * Math.abs(Math.sin(t / 300)));
  requestAnimationFrame(beat);
})(performance.now());

/** Runs a worker job with the buttons of `group` disabled; records the longest frame gap. */
let busy = 0;
async function job(label, f) {
  busy++;
  document.body.dataset.busy = String(busy);
  setStatus(`${label}…`, "busy");
  maxGap = 0;
  const t0 = performance.now();
  try {
    const v = await f();
    setStatus(`ready · ${label}: ${Math.round(performance.now() - t0)} ms`, "ok");
    return v;
  } catch (e) {
    setStatus(`${label} failed: ${e.code ? `error ${e.code}: ` : ""}${e.message}`, "error");
    console.warn(`${label}:`, e);
    throw e;
  } finally {
    busy--;
    document.body.dataset.busy = String(busy);
    lastJobGap = Math.round(maxGap);
  }
}
let lastJobGap = 0;

function setStatus(text, kind) {
  const s = $("worker-status");
  s.textContent = text;
  s.className = kind === "error" ? "bad" : kind === "busy" ? "" : "";
}

// ---- small DOM helpers ----------------------------------------------------
function text(id, value) {
  $(id).textContent = value == null || value === "" ? "—" : String(value);
}
function badge(id, label, cls) {
  const b = $(id);
  b.textContent = label;
  b.className = `badge ${cls ?? ""}`;
}
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}
const fmt = (n) => (n == null ? "—" : Number(n).toLocaleString("en-US"));
const kb = (n) => (n == null ? "n/a" : `${(n / 1024).toFixed(1)} KiB`);
const short = (h, n = 16) => (h ? `${h.slice(0, n)}…` : "—");

// ---- tabs -------------------------------------------------------------------
const tabs = [...document.querySelectorAll("#tabs button")];
function showTab(name) {
  for (const b of tabs) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== `view-${name}`;
  history.replaceState(null, "", `#${name}`);
  onShow[name]?.();
}
for (const b of tabs) b.addEventListener("click", () => showTab(b.dataset.tab));
const onShow = {};

// ---- edge node ----------------------------------------------------------------
let info = null;
let result = null;

function showKey(k) {
  text("key-name", k.name);
  text("key-id", k.key_id);
  text("key-verifier", k.verifier_key);
  text("key-id-head", k.key_id);
}

function showHistory(h) {
  graphDirty = true;
  text("hist-source", h.source);
  text("hist-events", fmt(h.events));
  text("hist-bytes", `${fmt(h.bytes)} (prepared in ${h.genMs} ms)`);
  const ing = h.ingest;
  text("hist-ingest", ing ? `${ing.status}: ${fmt(ing.frames)} frames, ${fmt(ing.valid_bytes)} of ${fmt(ing.bytes)} bytes valid${ing.error ? ` · ${ing.error.code}: ${ing.error.message}` : ""}` : "n/a (not a log)");
}

function showResult(r) {
  result = r;
  const res = r.result;
  $("result").dataset.status = res.status;
  badge("res-status", res.status, res.status === "ok" ? "ok" : "obstruction");
  text("res-note", r.tampered
    ? `tampered: a copy of node ${r.tampered.node} / stream ${r.tampered.stream} / seq ${r.tampered.seq} with one payload bit flipped`
    : `${r.source}`);
  text("res-tree-size", res.status === "ok" ? fmt(res.tree_size) : `${fmt(res.prior_tree_size)} (unchanged prior)`);
  text("res-root", res.root ?? "— (an obstruction changes nothing)");
  text("res-state-hash", res.state_hash ?? "—");
  text("res-frontier", res.frontier ?? "—");
  text("res-counts", res.status === "ok" ? `${fmt(res.appended)} · ${fmt(res.duplicates)} · ${fmt(res.heads)}` : `— · ${fmt(res.duplicates)} · —`);
  text("res-evidence", res.evidence_hash ?? "—");
  const rate = r.reconcileMs > 0 ? ` (${fmt(Math.round(r.events / (r.reconcileMs / 1000)))} events/s)` : "";
  text("res-timings", `${r.method}: ${r.reconcileMs} ms for ${fmt(r.events)} events${rate}`);
  text("res-again", r.again
    ? `${r.again.sameRoot ? "✓ same" : "✗ DIFFERENT"} result reversed with ${fmt(r.again.duplicates)} duplicates (${r.again.ms} ms)`
    : "—");
  $("res-again").className = r.again ? (r.again.sameRoot ? "ok" : "bad") : "";
  text("res-frames", `longest frame while the worker reconciled: ${lastJobGap} ms`);
  $("res-json").textContent = r.resultText;
  const obs = $("obstruction");
  obs.hidden = res.status !== "obstruction";
  const rows = $("obs-rows");
  rows.replaceChildren();
  if (res.status === "obstruction") {
    text("obs-count", `${res.violations.length} violation${res.violations.length === 1 ? "" : "s"}`);
    for (const v of res.violations) {
      const evs = el("div");
      for (const e of v.events) evs.append(el("div", { class: "hash" }, `${e.key} · ${e.seq} · ${e.payload_sha256 ?? "(prior head)"}`));
      const extra = [v.dep && `dep ${v.dep}`, v.expected_seq != null && `expected seq ${v.expected_seq}`, v.frontier && `frontier ${v.frontier}`].filter(Boolean).join(" · ");
      rows.append(el("tr", { class: "violation" }, el("td", { class: "bad" }, v.code), el("td", {}, v.reason), el("td", {}, v.message, extra ? el("div", { class: "muted" }, extra) : null), el("td", {}, evs)));
    }
  }
  certDirty = chainDirty = graphDirty = true;
  if (!$("view-graph").hidden) onShow.graph();
}

async function reconcile(tamper) {
  const r = await job(tamper ? "reconciling a tampered copy" : "reconciling", () => call("reconcile", { tamper }));
  showResult(r);
  return r;
}

$("btn-keygen").addEventListener("click", async () => {
  showKey(await job("generating a key", () => call("keygen")));
  certDirty = chainDirty = true;
  await refreshCommittee();
});
$("btn-sample").addEventListener("click", async () => {
  showHistory(await job("loading the sample", () => call("loadSample")));
  await reconcile(false);
});
$("file").addEventListener("change", async (ev) => {
  const f = ev.target.files?.[0];
  if (!f) return;
  const bytes = new Uint8Array(await f.arrayBuffer());
  showHistory(await job(`reading ${f.name}`, () => call("loadFile", { name: f.name, bytes })));
  ev.target.value = "";
  await reconcile(false).catch(() => {});
});
$("btn-reconcile").addEventListener("click", () => reconcile(false).catch(() => {}));
$("btn-tamper").addEventListener("click", () => reconcile(true).catch(() => {}));

// ---- certify ------------------------------------------------------------------
let certDirty = true;

async function refreshCommittee(state) {
  const c = await call("committee");
  text("cm-threshold", c.threshold);
  const signed = new Set((state?.members ?? []).filter((m) => m.signed).map((m) => m.key_id));
  const rows = $("cm-rows");
  rows.replaceChildren();
  c.members.forEach((m, i) => {
    const has = signed.has(m.key_id);
    rows.append(el("tr", { dataset: { member: String(i) } },
      el("td", {}, i + 1),
      el("td", {}, m.name, i === 0 ? el("span", { class: "muted" }, " (this browser)") : null),
      el("td", {}, el("code", {}, m.key_id)),
      el("td", { class: has ? "ok" : "muted" }, has ? "✓ signed" : "—"),
      el("td", {}, has ? null : el("button", { class: "sign", onclick: () => signAs(i) }, state ? "Co-sign" : "Certify"))));
  });
}

function showCert(s) {
  const q = $("quorum");
  if (!s) {
    q.dataset.status = "none";
    badge("q-status", "no certificate");
    return;
  }
  const r = s.report;
  const status = r ? r.status : "refused";
  q.dataset.status = status;
  badge("q-status", status, status === "valid" ? "valid" : "invalid");
  text("q-count", r ? `${r.valid_signers} valid member signature${r.valid_signers === 1 ? "" : "s"}, ${r.threshold} required` : "");
  text("q-hash", r?.hash ?? "—");
  text("q-meta", r ? `${r.kind} · height ${r.height} · tree size ${fmt(r.tree_size)} · ${fmt(s.bytes)} bytes` : `${fmt(s.bytes)} bytes`);
  text("q-flip", s.flipped ? `yes: bit ${s.flipped.bit} of byte ${s.flipped.offset} (${s.flipped.field}) flipped` : "no");
  $("q-flip").className = s.flipped ? "bad" : "";
  const why = r
    ? r.problems.length
      ? r.problems.map((p) => `${p.code}: ${p.message}`).join("; ")
      : `${r.valid_signers} distinct committee members signed with valid Ed25519 signatures (threshold ${r.threshold})`
    : `refused: ${s.refused.code}: ${s.refused.message}`;
  text("q-why", why);
  $("q-why").className = status === "valid" ? "ok" : "bad";
  const rows = $("q-sigs");
  rows.replaceChildren();
  for (const sig of r?.signatures ?? []) {
    rows.append(el("tr", {}, el("td", {}, sig.name), el("td", {}, el("code", {}, sig.key_id)), el("td", { class: sig.status === "valid" ? "ok" : "bad" }, sig.status)));
  }
  $("q-note").textContent = s.note ?? "(the bytes no longer parse as a certificate)";
  $("q-explain").textContent = s.explain ?? "—";
}

async function certAction(label, op, args) {
  const s = await job(label, () => call(op, args));
  showCert(s);
  await refreshCommittee(s);
  chainDirty = true;
  return s;
}
async function signAs(i) {
  const has = $("q-status").textContent !== "no certificate";
  return certAction(has ? `co-signing as member ${i + 1}` : `certifying as member ${i + 1}`, has ? "cosign" : "certify", { signer: i }).catch(() => {});
}
$("btn-certify").addEventListener("click", () => certAction("certifying", "certify", { signer: 0 }).catch(() => {}));
$("btn-quorum").addEventListener("click", async () => {
  let s = await call("certState");
  if (!s) s = await certAction("certifying", "certify", { signer: 0 });
  for (const [i, m] of s.members.entries()) {
    if ((s.report?.valid_signers ?? 0) >= s.threshold) break;
    if (!m.signed) s = await certAction(`co-signing as member ${i + 1}`, "cosign", { signer: i });
  }
});
$("btn-flip").addEventListener("click", () => certAction("flipping a bit", "tamperCert").catch(() => {}));
$("btn-restore").addEventListener("click", () => certAction("restoring", "restoreCert").catch(() => {}));
onShow.certify = async () => {
  if (!certDirty) return;
  certDirty = false;
  const s = await call("certState");
  showCert(s);
  await refreshCommittee(s ?? undefined).catch(() => {});
};

// ---- chain ----------------------------------------------------------------------
let chainDirty = true;
let leafBatches = []; // [{from, to, height}]

function showChain(c) {
  if (!c) {
    badge("ch-status", "no chain");
    text("ch-summary", "certify a batch on top of the current result to start one");
    $("scroll").replaceChildren();
    $("leaf-legend").replaceChildren();
    leafBatches = [];
    drawLeaves(result?.result?.status === "ok" ? result.result.tree_size : 0, []);
    return;
  }
  badge("ch-status", c.report.status, c.report.status);
  text("ch-summary", `verifyChain: ${c.links.length} certificates back to genesis, ${c.report.problems.length ? c.report.problems.map((p) => `${p.code}: ${p.message}`).join("; ") : "every link checked"} (${c.verifyMs} ms)`);
  const scroll = $("scroll");
  scroll.replaceChildren();
  for (const l of [...c.links].reverse()) {
    const checks = el("ul", { class: "checks" },
      el("li", { class: l.valid ? "" : "bad" }, `quorum: ${l.signers.length} valid member signatures (${l.signers.join(", ")})`),
      el("li", { class: l.prevMatches ? "" : "bad" }, l.height === 0 ? "prev: genesis" : `prev = hash of height ${l.height - 1} (${short(l.prev, 12)})`),
      el("li", { class: l.linkValid ? "" : "bad" }, l.height === 0 ? "first tree (no consistency proof needed)" : `append-only: consistency proof ${fmt(l.prior_tree_size)} → ${fmt(l.tree_size)} (${l.consistency} hashes) verified`));
    scroll.append(el("li", { class: l.valid && l.linkValid && l.prevMatches ? "link" : "link broken", dataset: { height: String(l.height) } },
      el("div", { class: "head" }, el("span", {}, `height ${l.height}`), el("span", { class: "muted" }, `tree size ${fmt(l.tree_size)}`)),
      el("div", { class: "muted small" }, l.batch),
      el("div", { class: "small" }, "checkpoint ", el("code", { class: "hash" }, l.hash)),
      el("div", { class: "small" }, "root ", el("code", { class: "hash" }, l.root)),
      el("div", { class: "small" }, "state ", el("code", { class: "hash" }, l.state_hash)),
      checks));
  }
  let from = 0;
  leafBatches = c.links.map((l) => {
    const b = { from, to: l.tree_size, height: l.height };
    from = l.tree_size;
    return b;
  });
  drawLeaves(c.tree_size, leafBatches);
  $("leaf-legend").replaceChildren(...leafBatches.map((b) => {
    const sw = el("span", { class: "swatch" });
    sw.style.background = COLORS[b.height % COLORS.length];
    return el("span", { class: "pill" }, sw, `height ${b.height}: leaves ${fmt(b.from)}–${fmt(b.to - 1)}`);
  }));
}

const COLORS = ["#1f6feb", "#3fb950", "#d29922", "#a371f7", "#f778ba", "#39c5cf"];
let leafGeom = null;
function drawLeaves(size, batches, picked = null) {
  const cv = $("leaves");
  const ctx = cv.getContext("2d");
  ctx.clearRect(0, 0, cv.width, cv.height);
  if (!size) {
    leafGeom = null;
    return;
  }
  const cols = 100;
  const perCell = Math.max(1, Math.ceil(size / 10000));
  const cells = Math.ceil(size / perCell);
  const rows = Math.ceil(cells / cols);
  const cw = cv.width / cols;
  const ch = Math.min(8, cv.height / rows);
  leafGeom = { cols, perCell, cw, ch, size };
  for (let c = 0; c < cells; c++) {
    const leaf = c * perCell;
    const b = batches.find((x) => leaf >= x.from && leaf < x.to);
    ctx.fillStyle = b ? COLORS[b.height % COLORS.length] : "#30363d";
    ctx.fillRect((c % cols) * cw + 0.5, Math.floor(c / cols) * ch + 0.5, cw - 1, ch - 1);
  }
  if (picked != null) {
    const c = Math.floor(picked / perCell);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.strokeRect((c % cols) * cw - 1, Math.floor(c / cols) * ch - 1, cw + 2, ch + 2);
  }
}
$("leaves").addEventListener("click", (ev) => {
  if (!leafGeom) return;
  const cv = $("leaves");
  const rect = cv.getBoundingClientRect();
  const x = ((ev.clientX - rect.left) / rect.width) * cv.width;
  const y = ((ev.clientY - rect.top) / rect.height) * cv.height;
  const cell = Math.floor(y / leafGeom.ch) * leafGeom.cols + Math.floor(x / leafGeom.cw);
  const leaf = cell * leafGeom.perCell;
  if (leaf >= 0 && leaf < leafGeom.size) {
    $("leaf-index").value = String(leaf);
    prove(leaf).catch(() => {});
  }
});

async function prove(index) {
  const p = await job(`proving leaf ${index}`, () => call("prove", { index }));
  const v = p.verdict;
  $("proof").dataset.status = v.status;
  badge("pf-status", v.status, v.status);
  text("pf-note", `inclusionProof + verifyInclusion in ${p.proveMs} ms${p.height != null ? ` · against the certificate at height ${p.height}` : ""}`);
  text("pf-leaf", `${fmt(p.proof.leaf_index)} of ${fmt(p.proof.tree_size)}`);
  text("pf-event", p.event ? `lamport ${p.event.lamport} · node ${p.event.node} · stream ${p.event.stream} · seq ${p.event.seq}${p.event.deps ? ` · ${p.event.deps.length} dep` : ""}` : "—");
  text("pf-leaf-hash", p.proof.leaf_hash);
  text("pf-root", p.proof.root);
  const checks = $("pf-checks");
  checks.replaceChildren(
    el("li", { class: v.status === "valid" ? "" : "bad" }, `verifyInclusion: ${v.status}${v.reason ? ` (${v.reason})` : ""}`),
    el("li", { class: p.rootMatches ? "" : "bad" }, p.height != null ? `root = the certified root at height ${p.height}` : "root = the reconciled root"),
    el("li", { class: p.leafMatches ? "" : "bad" }, "leaf hash = SHA-256(0x00 ‖ event bytes), recomputed in plain JS"),
    p.forged ? el("li", { class: p.forged.status === "invalid" ? "" : "bad" }, `one flipped bit in the first sibling: ${p.forged.status}${p.forged.reason ? ` (${p.forged.reason})` : ""}`) : null,
  );
  $("pf-path").replaceChildren(...p.proof.proof.map((h) => el("li", {}, h)));
  drawLeaves(p.proof.tree_size, leafBatches, p.proof.leaf_index);
  return p;
}

$("btn-prove").addEventListener("click", () => prove(Number($("leaf-index").value)).catch(() => {}));

// a tiled log, checked without loading it
$("btn-tile-verify").addEventListener("click", async () => {
  const file = $("tl-cert").files?.[0];
  const show = (status, note) => {
    $("tl-result").dataset.status = status;
    badge("tl-status", status, status);
    text("tl-note", note);
  };
  if (!file) return show("invalid", "choose the certificate file (.cert) first");
  try {
    const certificate = new Uint8Array(await file.arrayBuffer());
    const r = await job("checking an entry of the tiled log", () =>
      call("tileInclusion", { baseUrl: $("tl-url").value.trim(), committee: $("tl-committee").value, certificate, index: Number($("tl-index").value) }));
    show("valid", `certificate, tiles and entry checked in ${r.ms} ms`);
    text("tl-leaf", `${fmt(r.index)} of ${fmt(r.size)}`);
    const e = r.event;
    text("tl-event", e ? `lamport ${e.lamport} · node ${e.node} · stream ${e.stream} · seq ${e.seq}` : "—");
    text("tl-leaf-hash", r.leafHash);
    text("tl-root", r.root);
    text("tl-requests", `${r.requests} requests (${r.proofLength} proof hashes), whatever the log's size`);
  } catch (e) {
    show("invalid", `${e.code ? `error ${e.code}: ` : ""}${e.message}`);
  }
});
$("btn-extend").addEventListener("click", async () => {
  const c = await job("certifying a batch on top", () => call("extendChain")).catch(() => null);
  if (!c) return;
  showChain(c);
  certDirty = true;
});
onShow.chain = async () => {
  if (!chainDirty) return;
  chainDirty = false;
  showChain(await call("chainState"));
};

// ---- causal graph ------------------------------------------------------------------
// The current history's events on a canvas: x is the position in canonical order
// (the worker's `graph` op: `canonicalOrder`, so for an ok result position i is
// leaf i of its tree), y one lane per (node, stream), and an edge from each dep
// to its dependent. The layout is that and nothing more; the worker sends it as
// typed arrays, and this draws only what is in view, in a few batched paths, so
// panning and zooming stay smooth over thousands of events.
let graphDirty = true;
let G = null; // the worker's graph, plus {highlighted: Set, firstEdge(i), maxSpan, nodeColor}
let picked = null; // the selected position
// screen x = GUTTER + tx + i·sx, y = ty + (lane + ½)·laneH, in CSS pixels
const gv = { sx: 1, tx: 0, ty: 0, laneH: 24, fitSx: 1 };
const GUTTER = 64; // the lane labels
const LANE_COLORS = ["#58a6ff", "#3fb950", "#d29922", "#a371f7", "#39c5cf", "#e3b341", "#79c0ff", "#8b96a5"];
const EVIDENCE = "#f85149";
let graphFrame = 0;
let graphDraws = 0;

function scheduleGraph() {
  if (!graphFrame) graphFrame = requestAnimationFrame(drawGraph);
}

/** The canvas at its CSS size times the device pixel ratio, with a context in CSS pixels; null while the view is hidden. */
function graphContext() {
  const cv = $("graph");
  const rect = cv.getBoundingClientRect();
  if (!rect.width || !rect.height) return null;
  const dpr = window.devicePixelRatio || 1;
  const W = Math.round(rect.width * dpr);
  const H = Math.round(rect.height * dpr);
  if (cv.width !== W || cv.height !== H) {
    cv.width = W;
    cv.height = H;
  }
  const ctx = cv.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { cv, ctx, w: rect.width, h: rect.height };
}

/** Every event in view: the whole order across the width, the lanes across the height. */
function fitGraph() {
  const c = graphContext();
  if (!c || !G) return;
  const lanes = Math.max(1, G.lanes.length);
  gv.fitSx = gv.sx = (c.w - GUTTER - 16) / Math.max(1, G.count - 1);
  gv.tx = 8;
  gv.laneH = Math.max(8, Math.min(44, (c.h - 36) / lanes));
  gv.ty = Math.max(6, (c.h - 24 - lanes * gv.laneH) / 2);
  scheduleGraph();
}

/** Zooms the order axis by `factor` keeping the position under screen x `px` where it is. */
function zoomGraph(factor, px) {
  const at = (px - GUTTER - gv.tx) / gv.sx;
  gv.sx = Math.min(80, Math.max(gv.fitSx / 4, gv.sx * factor));
  gv.tx = px - GUTTER - at * gv.sx;
  scheduleGraph();
}

const gx = (i) => GUTTER + gv.tx + i * gv.sx;
const gy = (lane) => gv.ty + (lane + 0.5) * gv.laneH;

function drawGraph() {
  graphFrame = 0;
  const t0 = performance.now();
  const c = graphContext();
  if (!c) return;
  const { cv, ctx, w, h } = c;
  ctx.clearRect(0, 0, w, h);
  if (!G) return;
  const { sx, laneH } = gv;
  // positions in view (one past each side, so edges and dots at the border are drawn)
  const i0 = Math.max(0, Math.floor((0 - gv.tx) / sx) - 1);
  const i1 = Math.min(G.count - 1, Math.ceil((w - GUTTER - gv.tx) / sx) + 1);
  const r = Math.max(1.3, Math.min(7, sx * 0.38));

  // lanes: a faint stripe each
  ctx.lineWidth = 1;
  ctx.strokeStyle = "#1c222b";
  ctx.beginPath();
  for (let l = 0; l < G.lanes.length; l++) {
    const y = Math.round(gy(l)) + 0.5;
    if (y < -laneH || y > h + laneH) continue;
    ctx.moveTo(GUTTER, y);
    ctx.lineTo(w, y);
  }
  ctx.stroke();

  // edges whose dependent lies within maxSpan of the view (edges are sorted by dependent)
  ctx.save();
  ctx.beginPath();
  ctx.rect(GUTTER, 0, w - GUTTER, h);
  ctx.clip();
  const plain = new Path2D();
  const marked = new Path2D(); // touching the evidence or the picked event
  let edgesDrawn = 0;
  const E = G.edges;
  const cap = 20000; // at most this many edges a frame: beyond, every k-th one (said below the canvas)
  const from = G.firstEdge(i0 - G.maxSpan);
  const to = G.firstEdge(i1 + G.maxSpan + 1);
  const stride = Math.max(1, Math.ceil((to - from) / 2 / cap));
  for (let k = from; k < to; k += 2 * stride) {
    const j = E[k];
    const i = E[k + 1];
    if (Math.max(i, j) < i0 || Math.min(i, j) > i1) continue;
    const x1 = gx(j);
    const y1 = gy(G.lane[j]);
    const x2 = gx(i);
    const y2 = gy(G.lane[i]);
    const p = G.highlighted.has(i) || G.highlighted.has(j) || i === picked || j === picked ? marked : plain;
    const dx = (x2 - x1) / 2;
    p.moveTo(x1, y1);
    p.bezierCurveTo(x1 + dx, y1, x2 - dx, y2, x2, y2);
    edgesDrawn++;
  }
  ctx.lineWidth = sx > 6 ? 1.2 : 0.8;
  ctx.strokeStyle = sx > 2 ? "rgba(139,150,165,0.45)" : "rgba(139,150,165,0.22)";
  ctx.stroke(plain);
  ctx.lineWidth = 1.6;
  ctx.strokeStyle = "rgba(248,81,73,0.9)";
  ctx.stroke(marked);

  // events: one path per colour; below a pixel per position, one dot per pixel column and lane
  const paths = new Map();
  const lastCol = new Float64Array(G.lanes.length).fill(-Infinity);
  let drawn = 0;
  let painted = 0;
  for (let i = i0; i <= i1; i++) {
    const l = G.lane[i];
    const y = gy(l);
    if (y < -r || y > h + r) continue;
    drawn++;
    if (G.highlighted.has(i)) continue; // drawn on top, below
    const x = gx(i);
    if (sx < 1) {
      const col = Math.floor(x);
      if (col === lastCol[l]) continue;
      lastCol[l] = col;
    }
    painted++;
    const color = G.nodeColor[l];
    let p = paths.get(color);
    if (!p) paths.set(color, (p = new Path2D()));
    if (r < 2.2) p.rect(x - r, y - r, 2 * r, 2 * r);
    else {
      p.moveTo(x + r, y);
      p.arc(x, y, r, 0, 2 * Math.PI);
    }
  }
  for (const [color, p] of paths) {
    ctx.fillStyle = color;
    ctx.fill(p);
  }
  // the evidence, larger and ringed, and the picked event
  const ev = new Path2D();
  const er = Math.max(4.5, r * 1.4);
  let evDrawn = 0;
  for (const i of G.highlighted) {
    if (i < i0 || i > i1) continue;
    evDrawn++;
    const x = gx(i);
    const y = gy(G.lane[i]);
    ev.moveTo(x + er, y);
    ev.arc(x, y, er, 0, 2 * Math.PI);
  }
  ctx.fillStyle = EVIDENCE;
  ctx.fill(ev);
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#ffd7d5";
  ctx.stroke(ev);
  if (picked != null && picked >= i0 && picked <= i1) {
    ctx.beginPath();
    ctx.arc(gx(picked), gy(G.lane[picked]), Math.max(7, r * 1.8), 0, 2 * Math.PI);
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.stroke();
  }
  ctx.restore();

  // the order axis: a position label every 1, 2 or 5 × 10^k positions, at least 70 px apart
  const raw = 70 / sx;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  ctx.fillStyle = "#8b96a5";
  ctx.font = "10px ui-monospace, monospace";
  ctx.textAlign = "center";
  for (let p = Math.ceil(i0 / step) * step; p <= i1; p += step) {
    const x = gx(p);
    if (x > GUTTER + 10 && x < w - 10) ctx.fillText(String(p), x, h - 6);
  }
  // the lane labels, over a gutter that does not pan sideways
  ctx.fillStyle = "#0b0e13";
  ctx.fillRect(0, 0, GUTTER, h);
  ctx.textAlign = "left";
  ctx.font = `${Math.min(11, Math.max(8, laneH * 0.6))}px ui-monospace, monospace`;
  const every = Math.ceil(12 / laneH);
  G.lanes.forEach((ln, l) => {
    const y = gy(l);
    if (l % every || y < 0 || y > h - 14) return;
    ctx.fillStyle = G.nodeColor[l];
    ctx.fillText(`n${ln.node} s${ln.stream}`, 6, y + 3);
  });

  graphDraws++;
  Object.assign(cv.dataset, {
    drawn: String(drawn),
    painted: String(painted),
    edgesDrawn: String(edgesDrawn),
    transform: `${sx} ${gv.tx} ${gv.ty} ${laneH}`,
    gutter: String(GUTTER),
    draws: String(graphDraws),
    ms: (performance.now() - t0).toFixed(1),
  });
  text("gr-view", `positions ${fmt(i0)}–${fmt(i1)} in view: ${fmt(drawn)} events (${fmt(painted + evDrawn)} dots${sx < 1 ? ", one per pixel column and lane" : ""}) and ${fmt(edgesDrawn)} edges drawn${stride > 1 ? `, every ${stride}th edge at this zoom` : ""} · zoom ×${(sx / gv.fitSx).toFixed(2)}`);
}

/** The graph the worker made of the current history, made ready to draw. */
async function loadGraph() {
  graphDirty = false;
  const g = await job("laying out the causal graph", () => call("graph"));
  const E = g.edges;
  let maxSpan = 0;
  for (let k = 0; k < E.length; k += 2) maxSpan = Math.max(maxSpan, Math.abs(E[k + 1] - E[k]));
  const nodes = [...new Set(g.lanes.map((l) => l.node))];
  const nodeColor = g.lanes.map((l) => LANE_COLORS[nodes.indexOf(l.node) % LANE_COLORS.length]);
  /** The first edge (an index into `edges`) whose dependent is at position p or after: edges are in dependent order. */
  const firstEdge = (p) => {
    let lo = 0;
    let hi = E.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (E[2 * mid + 1] < p) lo = mid + 1;
      else hi = mid;
    }
    return 2 * lo;
  };
  G = { ...g, highlighted: new Set(g.highlighted), maxSpan, nodeColor, firstEdge };
  picked = null;
  const cv = $("graph");
  Object.assign(cv.dataset, { nodes: String(g.count), edges: String(E.length / 2), highlighted: String(g.highlighted.length), lanes: String(g.lanes.length) });
  badge("gr-status", g.status, g.status === "ok" ? "ok" : "obstruction");
  text("gr-source", `· ${g.source}`);
  text("gr-summary", `${fmt(g.count)} events in canonical order · ${fmt(E.length / 2)} dep edges · ${g.lanes.length} lanes (node × stream)${g.dangling ? ` · ${fmt(g.dangling)} deps name no event of this history` : ""}${g.highlighted.length ? ` · ${g.highlighted.length} evidence events` : ""} · laid out in ${g.ms} ms`);
  $("gr-legend").replaceChildren(
    ...nodes.map((n, k) => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = LANE_COLORS[k % LANE_COLORS.length];
      return el("span", { class: "pill" }, sw, `node ${n}`);
    }),
    (() => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = EVIDENCE;
      return el("span", { class: "pill" }, sw, "obstruction evidence");
    })(),
  );
  showEvidence(g);
  showGraphEvent(null);
  fitGraph();
}

function showEvidence(g) {
  const list = $("gr-evidence");
  const named = g.evidence.reduce((n, v) => n + v.events.length, 0);
  $("gr-ev-count").textContent = g.evidence.length ? `(${g.evidence.length} violation${g.evidence.length === 1 ? "" : "s"}, ${named} events named, ${g.highlighted.length} drawn)` : "";
  if (!g.evidence.length) {
    list.replaceChildren(el("li", { class: "muted" }, g.status === "ok" ? "none: the current result is ok" : "none"));
    return;
  }
  list.replaceChildren(...g.evidence.map((v) => el("li", { class: "violation" },
    el("div", {}, el("b", { class: "bad" }, v.code), ` ${v.reason}`),
    el("div", { class: "muted small" }, v.message),
    el("ul", {}, ...v.events.map((e) => el("li", { dataset: { index: e.index == null ? "" : String(e.index) } },
      e.index == null
        ? el("span", { class: "muted" }, `${e.prior ? "prior head" : "not in this history"} · seq ${e.seq}`)
        : el("button", { class: "link", onclick: () => pickEvent(e.index, true).catch(() => {}) }, `position ${fmt(e.index)}`),
      " ", el("code", { class: "hash" }, e.key), el("div", { class: "muted" }, `seq ${e.seq} · leaf ${short(e.leaf_hash, 16)}`)))))));
}

function showGraphEvent(d) {
  const put = (id, v) => text(id, v);
  if (!d) {
    for (const id of ["ge-key", "ge-lane", "ge-seq", "ge-lamport", "ge-id", "ge-deps", "ge-dependents", "ge-payload", "ge-leaf"]) put(id, null);
    put("ge-index", "— (click an event)");
    return;
  }
  put("ge-index", `${fmt(d.index)} of ${fmt(G.count)}${G.highlighted.has(d.index) ? " · obstruction evidence" : ""}`);
  $("ge-index").className = G.highlighted.has(d.index) ? "bad" : "";
  put("ge-key", d.key);
  put("ge-lane", `node ${d.node} · stream ${d.stream}`);
  put("ge-seq", d.seq);
  put("ge-lamport", d.lamport);
  put("ge-id", d.id);
  put("ge-payload", `${fmt(d.payloadBytes)} bytes`);
  put("ge-leaf", d.leaf_hash);
  const links = (positions) => positions.map((p) => el("button", { class: "link", onclick: () => pickEvent(p, true).catch(() => {}) }, fmt(p)));
  $("ge-deps").replaceChildren(...(d.deps.length
    ? d.deps.map((dep) => el("div", {}, el("code", { class: "hash" }, dep.id), " → ", ...(dep.at.length ? links(dep.at) : [el("span", { class: "muted" }, "not in this history")])))
    : ["none"]));
  $("ge-dependents").replaceChildren(...(d.dependents.length ? links(d.dependents) : ["none"]));
}

/** Selects the event at position i (and with `center`, pans it to the middle, zooming in if needed). */
async function pickEvent(i, center = false) {
  picked = i;
  $("graph").dataset.picked = String(i);
  if (center) {
    const c = graphContext();
    if (c) {
      if (gv.sx < 6) gv.sx = 12;
      gv.tx = (c.w - GUTTER) / 2 - i * gv.sx;
      const laneY = gy(G.lane[i]);
      if (laneY < 0 || laneY > c.h - 24) gv.ty -= laneY - c.h / 2;
    }
  }
  scheduleGraph();
  showGraphEvent(await call("graphEvent", { index: i }));
}

/** The event nearest screen point (px, py) in its lane, within a few pixels. */
function eventAt(px, py) {
  if (!G) return null;
  const lane = Math.floor((py - gv.ty) / gv.laneH);
  if (lane < 0 || lane >= G.lanes.length) return null;
  const at = (px - GUTTER - gv.tx) / gv.sx;
  const reach = Math.max(6, gv.sx * 0.5);
  const k = Math.min(4000, Math.ceil(reach / gv.sx) + 1);
  let best = null;
  let bestD = Infinity;
  for (let i = Math.max(0, Math.floor(at) - k); i <= Math.min(G.count - 1, Math.ceil(at) + k); i++) {
    if (G.lane[i] !== lane) continue;
    const d = Math.abs(gx(i) - px);
    if (d < bestD) [best, bestD] = [i, d];
  }
  return bestD <= reach ? best : null;
}

{
  const cv = $("graph");
  let drag = null;
  cv.addEventListener("pointerdown", (ev) => {
    if (!G) return;
    cv.setPointerCapture(ev.pointerId);
    drag = { x: ev.clientX, y: ev.clientY, tx: gv.tx, ty: gv.ty, moved: false };
  });
  cv.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x;
    const dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    gv.tx = drag.tx + dx;
    gv.ty = drag.ty + dy;
    scheduleGraph();
  });
  const end = (ev) => {
    if (!drag) return;
    const wasClick = !drag.moved;
    drag = null;
    if (wasClick && ev.type === "pointerup") {
      const rect = cv.getBoundingClientRect();
      const i = eventAt(ev.clientX - rect.left, ev.clientY - rect.top);
      if (i != null) pickEvent(i).catch(() => {});
    }
  };
  cv.addEventListener("pointerup", end);
  cv.addEventListener("pointercancel", end);
  cv.addEventListener("wheel", (ev) => {
    if (!G) return;
    ev.preventDefault();
    const rect = cv.getBoundingClientRect();
    zoomGraph(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)), ev.clientX - rect.left);
  }, { passive: false });
  const middle = () => (cv.getBoundingClientRect().width + GUTTER) / 2;
  $("btn-gr-in").addEventListener("click", () => zoomGraph(1.6, middle()));
  $("btn-gr-out").addEventListener("click", () => zoomGraph(1 / 1.6, middle()));
  $("btn-gr-fit").addEventListener("click", fitGraph);
  // the keyboard, once the canvas has the focus: + and − zoom, the arrows pan, 0 fits
  cv.addEventListener("keydown", (ev) => {
    if (!G) return;
    const pan = { ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] }[ev.key];
    if (pan) {
      gv.tx += pan[0];
      gv.ty += pan[1];
      scheduleGraph();
    } else if (ev.key === "+" || ev.key === "=") zoomGraph(1.6, middle());
    else if (ev.key === "-") zoomGraph(1 / 1.6, middle());
    else if (ev.key === "0") fitGraph();
    else return;
    ev.preventDefault();
  });
  new ResizeObserver(scheduleGraph).observe(cv);
}

onShow.graph = async () => {
  if (graphDirty) await loadGraph().catch((e) => {
    badge("gr-status", "error", "error");
    text("gr-summary", `${e.code ? `${e.code}: ` : ""}${e.message}`);
  });
  else scheduleGraph();
};

// ---- ECS world ------------------------------------------------------------------
const series = { entropy: [], coherence: [], resonance: [], threat: [] };
const PLOT_COLORS = { entropy: "#d29922", coherence: "#3fb950", resonance: "#58a6ff", threat: "#f85149" };
const decisions = new Map();
const alerts = [];
let alertCount = 0;
const tickRows = [];
let ecsStarted = false;

function plot(name) {
  const cv = $(`plot-${name}`);
  const ctx = cv.getContext("2d");
  const data = series[name].slice(-400);
  ctx.clearRect(0, 0, cv.width, cv.height);
  ctx.strokeStyle = "#2a313c";
  ctx.lineWidth = 1;
  for (let i = 1; i < 4; i++) {
    ctx.beginPath();
    ctx.moveTo(0, (cv.height * i) / 4);
    ctx.lineTo(cv.width, (cv.height * i) / 4);
    ctx.stroke();
  }
  const vals = data.filter((v) => v != null && Number.isFinite(v));
  if (vals.length < 2) {
    ctx.fillStyle = "#8b96a5";
    ctx.font = "12px system-ui";
    ctx.fillText(info?.world ? "waiting for ticks" : "no World in this blob yet", 10, cv.height / 2);
    return;
  }
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (name === "threat") {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 1);
  }
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const y = (v) => cv.height - 6 - ((v - lo) / (hi - lo)) * (cv.height - 12);
  if (name === "threat") {
    // the arbiter's thresholds: ALERT >= 0.60, QUARANTINE >= 0.85
    for (const [t, c] of [[0.6, "#d29922"], [0.85, "#f85149"]]) {
      ctx.strokeStyle = c;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(0, y(t));
      ctx.lineTo(cv.width, y(t));
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }
  ctx.strokeStyle = PLOT_COLORS[name];
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  data.forEach((v, i) => {
    const x = (i / Math.max(1, data.length - 1)) * cv.width;
    if (i === 0) ctx.moveTo(x, y(v));
    else ctx.lineTo(x, y(v));
  });
  ctx.stroke();
  ctx.fillStyle = "#8b96a5";
  ctx.font = "10px ui-monospace, monospace";
  ctx.fillText(hi.toFixed(4), 4, 12);
  ctx.fillText(lo.toFixed(4), 4, cv.height - 4);
  text(`v-${name}`, vals[vals.length - 1].toFixed(6));
}

// ---- ECS topology: the world's nodes, and the migrations between them ---------------
// Each node a circle whose area is the entities it holds (the worker's `topology`:
// `World.loads()`, the blob's own count per node); each migration a
// dot flying from one node to the other. One requestAnimationFrame loop runs while
// dots are in flight and stops after; with prefers-reduced-motion the dots are
// skipped and the migrations only counted.
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
const topo = { nodes: 0, load: [], agrees: true, live: 0, total: 0, migrations: 0, animated: 0, recent: [] };
const dots = []; // {from, to, start} in flight
const FLIGHT_MS = 650;
const MAX_DOTS = 240; // more at once are counted, not flown
let topoFrame = 0;

function resetTopology() {
  Object.assign(topo, { nodes: 0, load: [], agrees: true, live: 0, total: 0, migrations: 0, animated: 0, recent: [] });
  dots.length = 0;
}

function showTopology(t) {
  if (!t) return;
  Object.assign(topo, { nodes: t.nodes, load: t.load, agrees: t.agrees, live: t.live, total: t.total });
  const shown = t.load.length < t.nodes ? ` (the first ${fmt(t.load.length)} drawn)` : "";
  text("topo-summary", `${fmt(t.nodes)} nodes${shown} · ${fmt(topo.migrations)} migrations so far`);
  $("topo-caption").replaceChildren(
    "Each circle is one of the world's nodes (the config's ", el("code", {}, "nodes"), "), its area the entities it holds; each tick report's ",
    el("code", {}, "migrations"), " ({entity, from, to}) fly as a dot from one node to the other",
    reducedMotion.matches ? " (not now: the browser asks for reduced motion, so they are only counted)" : "",
    ". A new world is balanced, so nothing moves until something unbalances it (Load burst). The counts are the world's own (",
    el("code", {}, "World.loads()"), ")",
    el("span", { class: t.agrees ? "ok" : "bad" }, t.agrees ? ` (their sum, ${fmt(t.total)}, is the world's live entities)` : ` (their sum, ${fmt(t.total)}, is NOT the world's ${fmt(t.live)} live entities)`),
    ".");
  drawTopology(performance.now());
}

/** Queues the migrations of some tick reports as dots, a little apart so a chunk of ticks reads as a sequence. */
function flyMigrations(ticks) {
  const t0 = performance.now();
  let k = 0;
  for (const t of ticks) {
    for (const m of t.moves ?? []) {
      topo.migrations++;
      topo.recent.push({ tick: t.tick, ...m });
      if (reducedMotion.matches || $("view-ecs").hidden || dots.length >= MAX_DOTS || m.from >= topo.load.length || m.to >= topo.load.length) continue;
      dots.push({ from: m.from, to: m.to, start: t0 + 70 * k++ });
      topo.animated++;
    }
  }
  if (topo.recent.length > 8) topo.recent.splice(0, topo.recent.length - 8);
  const cv = $("topology");
  cv.dataset.migrations = String(topo.migrations);
  cv.dataset.animated = String(topo.animated);
  if (dots.length && !topoFrame) topoFrame = requestAnimationFrame(animateTopology);
}

function animateTopology(now) {
  topoFrame = 0;
  for (let i = dots.length - 1; i >= 0; i--) if (now - dots[i].start > FLIGHT_MS) dots.splice(i, 1);
  drawTopology(now);
  if (dots.length) topoFrame = requestAnimationFrame(animateTopology);
}

/** Node centres: a ring for a few nodes (room for circles of radius rMax and their labels), a grid for many. */
function topologyLayout(n, w, h, rMax) {
  if (n <= 16) {
    const R = Math.min(w, h) / 2 - rMax - 18;
    return Array.from({ length: n }, (_, i) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      return [w / 2 + (n === 1 ? 0 : R * Math.cos(a)), h / 2 + (n === 1 ? 0 : R * Math.sin(a))];
    });
  }
  const cols = Math.ceil(Math.sqrt((n * w) / h));
  const rows = Math.ceil(n / cols);
  return Array.from({ length: n }, (_, i) => [((i % cols) + 0.5) * (w / cols), (Math.floor(i / cols) + 0.5) * (h / rows)]);
}

function drawTopology(now) {
  const cv = $("topology");
  const ctx = cv.getContext("2d");
  const { width: w, height: h } = cv;
  ctx.clearRect(0, 0, w, h);
  const n = topo.load.length;
  if (!n) {
    ctx.fillStyle = "#8b96a5";
    ctx.font = "12px system-ui";
    ctx.fillText(info?.world ? "no world yet" : "no World in this blob yet", 10, h / 2);
    cv.dataset.nodes = "0";
    return;
  }
  const max = Math.max(1, ...topo.load);
  const rMax = n <= 16 ? Math.min(40, (Math.PI * Math.min(w, h)) / (3.2 * n)) : Math.min(w, h) / (2.4 * Math.ceil(Math.sqrt(n)));
  const at = topologyLayout(n, w, h, rMax);
  // the recent migrations as faint chords
  ctx.strokeStyle = "rgba(88,166,255,0.25)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const m of topo.recent) {
    if (m.from >= n || m.to >= n) continue;
    ctx.moveTo(...at[m.from]);
    ctx.lineTo(...at[m.to]);
  }
  ctx.stroke();
  at.forEach(([x, y], i) => {
    const r = Math.max(3, rMax * Math.sqrt(topo.load[i] / max));
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = "rgba(63,185,80,0.25)";
    ctx.fill();
    ctx.strokeStyle = "#3fb950";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    if (n <= 64) {
      ctx.fillStyle = "#d6dde6";
      ctx.font = "11px ui-monospace, monospace";
      ctx.textAlign = "center";
      ctx.fillText(`node ${i}`, x, y - r - 5);
      ctx.fillStyle = "#8b96a5";
      ctx.fillText(fmt(topo.load[i]), x, y + 4);
    }
  });
  // the dots in flight
  ctx.fillStyle = "#f0b72f";
  ctx.beginPath();
  for (const d of dots) {
    const p = (now - d.start) / FLIGHT_MS;
    if (p < 0 || p > 1) continue;
    const e = p < 0.5 ? 2 * p * p : 1 - 2 * (1 - p) * (1 - p); // ease in and out
    const [x1, y1] = at[d.from];
    const [x2, y2] = at[d.to];
    const x = x1 + (x2 - x1) * e;
    const y = y1 + (y2 - y1) * e - Math.sin(Math.PI * e) * 24; // a small arc
    ctx.moveTo(x + 4, y);
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
  }
  ctx.fill();
  ctx.textAlign = "left";
  cv.dataset.nodes = String(n);
  cv.dataset.load = topo.load.join(",");
}

// ---- the arbiter: decision, threat, weights, pulse, plan and stability ---------------
// Every value shown is the tick report's exact decimal string; Number() is used
// only to size a bar or place a point.
const ADVISORS = ["R", "B", "E", "O"];
const REPAIR = 0.1; // the plan's thresholds: urgency against REPAIR, gain against OPT_GAIN
const OPT_GAIN = 0.1;
const lyapunov = { v: [], dv: [] };

function drawArbiter(t) {
  const x = t?.exact ?? {};
  badge("arb-decision", t?.decision ?? "—", !t ? "" : t.decision === "QUARANTINE" || t.decision === "ALERT" ? "bad" : "ok");
  text("arb-tick", t ? `tick ${t.tick}` : "");
  text("arb-threat", x.threat);
  text("arb-pulse", x.pulse);
  $("arb-weights").replaceChildren(...ADVISORS.map((name, i) => {
    const w = x.weights?.[i];
    const pct = w == null ? 0 : Math.max(0, Math.min(100, Number(w) * 100));
    return el("div", { class: "bar-row", dataset: { advisor: name } },
      el("span", { class: "bar-name" }, name),
      el("span", { class: "bar" }, el("span", { style: `width:${pct}%` })),
      el("code", {}, w ?? "—"));
  }));
  const plan = x.plan;
  badge("arb-action", plan?.action ?? "—", plan ? (plan.action === "repair" ? "bad" : plan.action === "optimize" ? "ok" : "busy") : "");
  text("arb-gain", plan?.gain);
  text("arb-urgency", plan?.urgency);
  drawPlan(plan);
  const ly = x.lyapunov;
  badge("arb-stable", ly ? (ly.stable ? "pid_stable" : "unstable") : "—", ly ? (ly.stable ? "ok" : "bad") : "");
  text("arb-v", ly?.v);
  text("arb-dv", ly?.dv);
  drawLyapunov();
}

/** The plan's urgency and gain as bars, each against its threshold (a dashed line). */
function drawPlan(plan) {
  const cv = $("arb-plan");
  const ctx = cv.getContext("2d");
  const { width: w, height: h } = cv;
  ctx.clearRect(0, 0, w, h);
  ctx.font = "10px ui-monospace, monospace";
  const rows = [["urgency", plan?.urgency, REPAIR, "REPAIR 0.1", "#f85149"], ["gain", plan?.gain, OPT_GAIN, "OPT_GAIN 0.1", "#3fb950"]];
  const vals = rows.map((r) => (r[1] == null ? 0 : Number(r[1])));
  const lo = Math.min(0, ...vals);
  const hi = Math.max(0.25, ...vals) * 1.05;
  const left = 60;
  const right = w - 86;
  const X = (v) => left + ((v - lo) / (hi - lo)) * (right - left);
  rows.forEach(([name, v, limit, label, color], k) => {
    const y = 8 + k * 28;
    ctx.fillStyle = "#8b96a5";
    ctx.fillText(name, 4, y + 11);
    ctx.fillStyle = "#21262d";
    ctx.fillRect(left, y, right - left, 14);
    if (v != null) {
      ctx.fillStyle = color;
      const a = X(Math.min(0, vals[k]));
      ctx.fillRect(a, y, Math.max(1, X(Math.max(0, vals[k])) - a), 14);
    } else {
      ctx.fillStyle = "#8b96a5";
      ctx.fillText("—", left + 6, y + 11);
    }
    ctx.strokeStyle = "#d6dde6";
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(X(limit) + 0.5, y - 3);
    ctx.lineTo(X(limit) + 0.5, y + 17);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#d6dde6";
    ctx.fillText(label, right + 6, y + 11);
  });
}

/** V and ΔV per tick: two lines, with ΔV's zero. */
function drawLyapunov() {
  const cv = $("arb-lyapunov");
  const ctx = cv.getContext("2d");
  const { width: w, height: h } = cv;
  ctx.clearRect(0, 0, w, h);
  ctx.font = "10px ui-monospace, monospace";
  if (lyapunov.v.length < 2) {
    ctx.fillStyle = "#8b96a5";
    ctx.fillText(lyapunov.v.length ? "waiting for ticks" : "— (these tick reports carry no lyapunov)", 8, h / 2);
    return;
  }
  const line = (data, color, y0, y1) => {
    let lo = Math.min(...data);
    let hi = Math.max(...data);
    if (data === lyapunov.dv) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
    if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5, hi + 0.5];
    const Y = (v) => y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
    if (data === lyapunov.dv) {
      ctx.strokeStyle = "#2a313c";
      ctx.beginPath();
      ctx.moveTo(0, Y(0));
      ctx.lineTo(w, Y(0));
      ctx.stroke();
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.3;
    ctx.beginPath();
    data.forEach((v, i) => {
      const x = 30 + (i / Math.max(1, data.length - 1)) * (w - 34);
      if (i) ctx.lineTo(x, Y(v));
      else ctx.moveTo(x, Y(v));
    });
    ctx.stroke();
  };
  line(lyapunov.v, "#a371f7", 4, h / 2 - 3);
  line(lyapunov.dv, "#39c5cf", h / 2 + 3, h - 4);
  ctx.fillStyle = "#a371f7";
  ctx.fillText("V", 4, 14);
  ctx.fillStyle = "#39c5cf";
  ctx.fillText("ΔV", 4, h / 2 + 14);
}

const DECISIONS = ["QUARANTINE", "ALERT", "BALANCE", "OPTIMIZE"];
function drawEcs() {
  for (const k of Object.keys(series)) plot(k);
  $("ecs-ticks").replaceChildren(...(tickRows.length
    ? [...tickRows].reverse().map((t) => el("tr", { dataset: { tick: String(t.tick) } }, el("td", {}, t.tick), el("td", {}, el("code", { class: "hash" }, t.hash)), el("td", {}, t.decision ?? "—"), el("td", { class: t.alerts.length ? "bad" : "muted" }, t.alerts.length)))
    : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, "no ticks yet"))]));
  const names = [...DECISIONS, ...[...decisions.keys()].filter((d) => !DECISIONS.includes(d))];
  $("ecs-decisions").replaceChildren(...names.map((d) => el("span", { class: "pill" }, `${d} ${decisions.get(d) ?? 0}`)));
  text("ecs-alert-count", alertCount ? `(${fmt(alertCount)} so far, newest first)` : "");
  $("ecs-alerts").replaceChildren(...(alerts.length ? [...alerts].reverse().map((a) => el("li", {}, a)) : [el("li", { class: "muted" }, "none")]));
  const last = tickRows[tickRows.length - 1];
  if (last) {
    badge("ecs-decision", last.decision ?? "—", last.decision === "QUARANTINE" || last.decision === "ALERT" ? "bad" : "ok");
    const w = last.weights ? ` · advisor weights R/B/E/O ${last.weights.map((x) => Number(x).toFixed(3)).join(" / ")}` : "";
    text("ecs-arbiter", `tick ${last.tick} · threat ${last.threat?.toFixed(4)} · stability ${last.stability?.toFixed(4)}${w}`);
  }
  drawArbiter(last);
}

function addTicks(ticks) {
  for (const t of ticks) {
    for (const k of Object.keys(series)) series[k].push(t[k]);
    if (t.decision) decisions.set(t.decision, (decisions.get(t.decision) ?? 0) + 1);
    alertCount += t.alerts.length;
    for (const a of t.alerts) alerts.push(`tick ${t.tick}: ${a}`);
    tickRows.push(t);
    const ly = t.exact?.lyapunov;
    if (ly) {
      lyapunov.v.push(Number(ly.v));
      lyapunov.dv.push(Number(ly.dv));
    }
  }
  for (const k of ["v", "dv"]) if (lyapunov[k].length > 400) lyapunov[k].splice(0, lyapunov[k].length - 400);
  flyMigrations(ticks);
  for (const k of Object.keys(series)) if (series[k].length > 2000) series[k].splice(0, series[k].length - 2000);
  if (alerts.length > 50) alerts.splice(0, alerts.length - 50);
  if (tickRows.length > 12) tickRows.splice(0, tickRows.length - 12);
}

async function ecsReset() {
  if (!info?.world) return;
  for (const k of Object.keys(series)) series[k] = [];
  decisions.clear();
  alerts.length = 0;
  alertCount = 0;
  tickRows.length = 0;
  lyapunov.v.length = lyapunov.dv.length = 0;
  resetTopology();
  const cfg = { seed: Number($("ecs-seed").value), entities: Number($("ecs-entities").value), nodes: Number($("ecs-nodes").value) };
  const w = await job("creating the world", () => call("worldInit", cfg));
  badge("ecs-status", "ready", "ok");
  text("ecs-summary", `World(seed ${w.config.seed}, ${fmt(w.config.entities)} entities, ${w.config.nodes} nodes, ${w.config.edges} edges each) · tick ${w.tick} · state hash ${short(w.hash)}`);
  $("ecs-replay").textContent = "";
  showTopology(w.topology);
  drawEcs();
}
let running = false;
/** Runs n ticks in chunks of 10; `burst`: spawn that many entities on node 0 at the first of them. */
async function ecsRun(n, burst = 0) {
  if (!info?.world || running) return;
  running = true;
  badge("ecs-status", "running", "busy");
  let done = 0;
  let ms = 0;
  try {
    while (done < n) {
      const k = Math.min(10, n - done);
      const r = await call("worldStep", { n: k, burst: done === 0 ? burst : 0 });
      ms += r.ms;
      done += k;
      addTicks(r.ticks);
      showTopology(r.topology);
      drawEcs();
      const last = r.ticks[r.ticks.length - 1];
      text("ecs-summary", `tick ${last.tick} · ${fmt(last.entities)} entities · ${fmt(last.edges)} edges · ${done} ticks in ${ms.toFixed(1)} ms of worker time (${(ms / Math.max(1, done)).toFixed(2)} ms/tick)`);
      await new Promise((ok) => requestAnimationFrame(ok)); // let the plots draw between chunks
    }
    badge("ecs-status", "ok", "ok");
  } catch (e) {
    badge("ecs-status", "error", "error");
    text("ecs-summary", `${e.code ? `${e.code}: ` : ""}${e.message}`);
  } finally {
    running = false;
  }
}
$("btn-ecs-reset").addEventListener("click", () => ecsReset().catch(() => {}));
$("btn-ecs-step").addEventListener("click", () => ecsRun(1));
$("btn-ecs-run").addEventListener("click", () => ecsRun(200));
$("btn-ecs-burst").addEventListener("click", () => ecsRun(30, 20));
$("btn-ecs-replay").addEventListener("click", async () => {
  if (!info?.world || running) return;
  const r = await job("snapshot and replay", () => call("worldReplay", { k: 50 })).catch(() => null);
  if (!r) return;
  if (r.ticks?.length) {
    addTicks(r.ticks);
    showTopology(r.topology);
    drawEcs();
    const last = r.ticks[r.ticks.length - 1];
    text("ecs-summary", `tick ${last.tick} · ${fmt(last.entities)} entities · ${fmt(last.edges)} edges`);
  }
  const msg = r.available
    ? `${r.same ? "✓" : "✗"} snapshot at tick ${r.from} (${fmt(r.snapshotBytes)} bytes), this world and World.restore(snapshot) each stepped 50 ticks: ${r.same ? "identical state hashes" : "DIFFERENT state hashes"} (last ${short(r.last)})`
    : "this World has no snapshot/restore";
  text("ecs-replay", msg);
  $("ecs-replay").className = r.same ? "ok small" : "bad small";
});
onShow.ecs = async () => {
  if (!info) return;
  if (!info.world) {
    $("ecs-missing").hidden = false;
    text("ecs-version", `omega ${info.version}`);
    badge("ecs-status", "not in this blob");
    text("ecs-summary", "the ECS world lands with issue 5");
    for (const b of ["btn-ecs-reset", "btn-ecs-step", "btn-ecs-run", "btn-ecs-replay", "btn-ecs-burst"]) $(b).disabled = true;
    drawEcs();
    drawTopology(performance.now());
    return;
  }
  if (ecsStarted) return;
  ecsStarted = true;
  await ecsReset().catch(() => {});
  await ecsRun(200);
};

// ---- cluster: this tab as a co-signing node (worker.js + cluster.js) -------------
const KEY_STORE = "omega.cluster.key";
const params = new URLSearchParams(location.search);
let clusterKey = null;
let clusterState = null;

/** This tab's cluster key: from localStorage, else a new one (kept there across reloads). */
async function ensureClusterKey() {
  try {
    const k = JSON.parse(localStorage.getItem(KEY_STORE) ?? "null");
    if (k && typeof k.signer_key === "string" && typeof k.verifier_key === "string") clusterKey = k;
  } catch {
    // a damaged entry: make a new key
  }
  if (!clusterKey) {
    const tag = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
    clusterKey = await call("clusterKeygen", { name: `tab-${tag}` });
    try {
      localStorage.setItem(KEY_STORE, JSON.stringify(clusterKey));
    } catch {
      // storage refused (private mode): the key lives as long as the page
    }
  }
  text("cl-name", clusterKey.name);
  text("cl-key-id", clusterKey.key_id);
  text("cl-verifier", clusterKey.verifier_key);
}

/** base64url (or base64) of UTF-8 text, as the `committee` URL parameter carries the committee JSON. */
function fromBase64Url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(s.length / 4) * 4, "=");
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

$("btn-cl-copy").addEventListener("click", async () => {
  const v = clusterKey?.verifier_key ?? "";
  try {
    await navigator.clipboard.writeText(v);
    text("cl-copied", "copied");
  } catch {
    getSelection()?.selectAllChildren($("cl-verifier"));
    text("cl-copied", "selected: press Ctrl-C");
  }
  setTimeout(() => ($("cl-copied").textContent = ""), 2000);
});

async function clusterConnect() {
  const url = $("cl-url").value.trim();
  const log = $("cl-log").value.trim();
  const committee = $("cl-committee").value.trim();
  const world = $("cl-world").value.trim() || undefined;
  if (!url || !log || !committee) {
    setStatus("cluster: give the NATS WebSocket URL, the log and the committee", "error");
    return;
  }
  // The import map says where the NATS client lives; the worker (where import maps do not apply) imports those URLs.
  const modules = { core: import.meta.resolve("@nats-io/nats-core"), jetstream: import.meta.resolve("@nats-io/jetstream") };
  showCluster(await job(`connecting to ${url}`, () => call("clusterStart", { url, log, committee, key: clusterKey, modules, world })));
}
$("btn-cl-connect").addEventListener("click", () => clusterConnect().catch(() => {}));
$("btn-cl-stop").addEventListener("click", async () => showCluster(await job("disconnecting", () => call("clusterStop"))));
$("btn-cl-download").addEventListener("click", async () => {
  const c = await call("clusterCertificates");
  if (!c) return;
  const blob = new Blob([JSON.stringify({ log: clusterState?.log, origin: clusterState?.origin, ...c }, null, 2) + "\n"], { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `omega-${clusterState?.log ?? "log"}-chain.json` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

function showCluster(s) {
  clusterState = s;
  if (!s) {
    badge("cl-status", "not connected");
    text("cl-summary", "");
    return;
  }
  const st = s.status;
  badge("cl-status", st, st === "live" ? "ok" : st === "error" ? "error" : "busy");
  $("view-cluster").dataset.status = st;
  text("cl-summary", `${s.url} · stream ${s.stream} · seq ${fmt(s.seq)} · ${s.member ? "member" : "NOT in the committee"} (${s.threshold} of ${s.committee})${s.error ? ` · ${s.error}` : ""}`);
  text("cl-height", s.height ? `${fmt(s.height.height)} (${s.height.status})` : "—");
  text("cl-root", s.height?.root);
  text("cl-tree", s.height ? fmt(s.height.tree_size) : "—");
  text("cl-world-line", s.height?.world ? `tick ${s.height.world.split(" ")[0]} · ${s.height.world.split(" ")[1]}` : "—");
  text("cl-cert-height", s.certified ? `${fmt(s.certified.height)} (${fmt(s.chainLength)} stored)` : "—");
  text("cl-cert-tree", s.certified ? fmt(s.certified.tree_size) : "—");
  text("cl-quorum", s.certified ? `${s.certified.signers} of ${s.committee} signed: ${s.certified.names.join(", ")}` : "—");
  text("cl-events", `${fmt(s.counts.events)} · ${fmt(s.eventsPerSec)}/s${s.counts.bad_event ? ` · ${fmt(s.counts.bad_event)} bad` : ""}`);
  text("cl-seals", `${fmt(s.counts.seals)} · ${fmt(s.counts.carried)} · ${fmt(s.counts.resent)}`);
  for (const [id, n] of [["cl-dissent", s.counts.dissent], ["cl-fraud", s.counts.fraud], ["cl-strangers", s.counts.stranger]]) {
    text(id, String(n));
    $(id).className = n ? "bad" : "ok";
  }
  const nodes = $("cl-nodes");
  nodes.replaceChildren();
  for (const n of s.nodes) {
    nodes.append(el("tr", { dataset: { signer: n.member } },
      el("td", {}, el("code", {}, n.member), n.self ? el("span", { class: "muted" }, " (this tab)") : null),
      el("td", { class: n.in_committee ? "ok" : "bad" }, n.in_committee ? "✓" : "stranger"),
      el("td", {}, fmt(n.height)),
      el("td", {}, el("code", { class: "hash" }, short(n.root, 16))),
      el("td", {}, fmt(n.signatures))));
  }
  if (!s.nodes.length) nodes.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "no signatures yet")));
  const hs = $("cl-heights");
  hs.replaceChildren();
  for (const h of s.heights) {
    const pct = Math.min(100, Math.round((100 * h.agreeing) / Math.max(1, s.threshold)));
    hs.append(el("tr", { dataset: { height: String(h.height) } },
      el("td", {}, fmt(h.height)),
      el("td", {}, el("code", { class: "hash" }, short(h.root, 12)), ` · ${fmt(h.tree_size)}`),
      el("td", {}, el("span", { class: h.agreeing >= s.threshold ? "meter full" : "meter" }, el("span", { style: `width:${pct}%` })), `${h.agreeing} agree · ${s.threshold} needed`),
      el("td", {}, ...h.signatures.map((g) => el("span", { class: g.agree ? "sig" : "sig dissent", title: g.agree ? "agrees" : `dissent: root ${g.root}` }, g.signer.split("+")[0]))),
      el("td", { class: h.certified ? "ok" : "muted" }, h.certified ? "✓ certified" : "waiting")));
  }
  if (!s.heights.length) hs.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "no batch yet")));
  const alerts = $("cl-alerts");
  alerts.replaceChildren();
  $("cl-alert-count").textContent = s.alerts.length ? `(${s.alerts.length})` : "";
  for (const a of [...s.alerts].reverse()) {
    const what = a.event === "dissent"
      ? `height ${a.height}: ${a.signer} signed root ${short(a.their_root, 12)}, this tab ${short(a.our_root, 12)}${a.detail ? ` (${a.detail})` : ""}`
      : a.event === "fraud"
        ? `height ${a.height}: ${a.signer} signed two checkpoints (proof ${a.verified ? "verified" : "NOT verified"})`
        : `${a.height != null ? `height ${a.height}: ` : `seq ${a.seq}: `}${a.signer ?? ""} ${a.detail ?? a.reason ?? ""}`;
    alerts.append(el("li", { class: "bad", dataset: { kind: a.event, height: String(a.height ?? ""), signer: a.signer ?? "" } }, `${a.event}: ${what}`));
  }
  if (!s.alerts.length) alerts.append(el("li", { class: "muted" }, "none"));
  const chain = $("cl-chain");
  chain.replaceChildren();
  for (const c of [...s.chain].reverse()) {
    chain.append(el("tr", { dataset: { height: String(c.height), cert: c.cert, hash: c.hash } },
      el("td", {}, fmt(c.height)),
      el("td", {}, fmt(c.tree_size)),
      el("td", {}, el("code", { class: "hash" }, short(c.root, 16))),
      el("td", {}, c.names.map((n) => n.split("+")[0]).join(", "))));
  }
  if (!s.chain.length) chain.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "none yet")));
  $("cl-log").textContent = s.log.map((l) => JSON.stringify(l)).join("\n") || "—";
}

// ---- start ------------------------------------------------------------------------
async function start() {
  info = await job("loading the blob in the worker", () => call("init"));
  text("foot-version", `omega ${info.version}`);
  text("foot-blob", `${fmt(info.blobBytes)} bytes, ${kb(info.blobGzip)} gzipped`);
  text("foot-glue", `${fmt(info.glueBytes)} bytes, ${kb(info.glueGzip)} gzipped`);
  text("foot-total", info.blobGzip != null ? `${kb(info.blobGzip + info.glueGzip)} (${fmt(info.blobGzip + info.glueGzip)} bytes)` : "n/a");
  text("foot-sha", info.blobSha256);
  document.body.dataset.blobSha256 = info.blobSha256;
  showKey(await job("generating a key", () => call("keygen")));
  showHistory(await job("loading the sample", () => call("loadSample")));
  await reconcile(false);
  await ensureClusterKey();
  $("cl-url").value = params.get("nats") ?? "";
  $("cl-log").value = params.get("log") ?? "";
  if (params.get("committee")) {
    try {
      $("cl-committee").value = fromBase64Url(params.get("committee"));
    } catch {
      setStatus("cluster: the committee URL parameter is not base64url", "error");
    }
  }
  if (params.get("world")) {
    try {
      $("cl-world").value = fromBase64Url(params.get("world"));
    } catch {
      setStatus("cluster: the world URL parameter is not base64url", "error");
    }
  }
  document.body.dataset.ready = "1";
  const tab = location.hash.slice(1);
  const views = ["edge", "certify", "chain", "graph", "ecs", "cluster"];
  showTab(views.includes(tab) ? tab : params.get("nats") ? "cluster" : "edge");
  if (params.get("nats") && params.get("log") && $("cl-committee").value) await clusterConnect().catch(() => {});
}
start().catch((e) => {
  document.body.dataset.ready = "error";
  setStatus(`could not start: ${e.message}`, "error");
});
