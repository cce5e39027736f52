// The edge node's worker: it owns the blob and every piece of state, and does
// all the heavy work (reconcile, certify, verify, proofs, ECS ticks), so the
// page's main thread only draws. Messages: {id, op, args} in, {id, ok, value}
// or {id, ok: false, error: {code, message}} out.
import init, * as omega from "./pkg/omega_wasm.js";
import { BATCH_ROUNDS, SAMPLE_ARGS, concat, fromHex, tamperedCopy, toHex, withEvent } from "./lib/history.js";
import { TabNode } from "./cluster.js";
import { TileClient } from "./pkg/js/tiles.mjs";

const ORIGIN = "omega.edge/log";
const PEERS = 4; // in-page committee members besides this browser's key
const THRESHOLD = 3;

const S = {
  key: null, // this browser's key pair
  history: null, // {kind, source, count, text?, bytes?, log?}: JSON event text and/or canonical binary events (see historyBytes)
  result: null, // the current reconcile result (object)
  resultText: null,
  tampered: null, // description of the tampered event, when the last reconcile was tampered
  members: [], // committee key pairs (members[0] is this browser)
  committee: null,
  cert: null, // the certificate shown on the certify view (maybe bit-flipped)
  certGood: null, // the same before any bit flip
  flipped: null, // {offset, bit, field} of the last flip
  chain: [], // [{cert, result, bytes, batch}] height 0.. (height 0 is certGood at extension time)
  proofHistory: null, // {bytes, leaves} of the history the chain's head covers (leaves: each event's bytes in tree order)
  world: null,
  worldConfig: null,
  node: null, // the cluster member (cluster.js), when the Cluster view is connected
  nodeRun: null,
};

const now = () => performance.now();
const ms = (t0) => Math.round((now() - t0) * 100) / 100;

async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

async function gzipSize(bytes) {
  if (typeof CompressionStream !== "function") return null;
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// ---- ops ------------------------------------------------------------------

const ops = {
  async init() {
    const t0 = now();
    const blobUrl = new URL("./pkg/omega_wasm_bg.wasm", import.meta.url);
    const glueUrl = new URL("./pkg/omega_wasm.js", import.meta.url);
    const [blob, glue] = await Promise.all([fetchBytes(blobUrl), fetchBytes(glueUrl)]);
    await init({ module_or_path: blob });
    const loadMs = ms(t0);
    const [blobSha256, blobGzip, glueGzip] = await Promise.all([sha256Hex(blob), gzipSize(blob), gzipSize(glue)]);
    return {
      version: omega.version(),
      blobSha256,
      blobBytes: blob.length,
      blobGzip,
      glueBytes: glue.length,
      glueGzip,
      loadMs,
      world: typeof omega.World === "function",
    };
  },

  keygen({ name = "browser.edge/node" } = {}) {
    S.key = omega.generateKeypair(name);
    S.members = [];
    S.committee = null;
    return publicKey(S.key);
  },

  loadSample() {
    const t0 = now();
    const text = omega.sampleHistoryJson(...SAMPLE_ARGS);
    const genMs = ms(t0);
    setHistory({
      kind: "sample",
      source: `embedded sample: sampleHistoryJson(${SAMPLE_ARGS.join(", ")})`,
      count: JSON.parse(text).length,
      text,
    });
    return { ...historyInfo(), genMs };
  },

  loadFile({ name, bytes }) {
    const t0 = now();
    const isLog = /\.omega$/i.test(name) || (bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === "OMGL");
    let ingest = null;
    if (isLog) {
      ingest = omega.ingest(bytes);
      // the events of the valid prefix (what ingest calls valid_bytes)
      const events = omega.logEvents(bytes);
      setHistory({ kind: "omega", source: `${name} (.omega log, ${ingest.frames} frames, ${ingest.status})`, count: ingest.frames, bytes: events, log: bytes });
    } else if (/\.json$/i.test(name) || /^\s*\[/.test(new TextDecoder().decode(bytes.subarray(0, 64)))) {
      const text = new TextDecoder().decode(bytes);
      let events;
      try {
        events = JSON.parse(text);
      } catch (e) {
        throw Object.assign(new Error(`${name}: not JSON (${e.message})`), { code: 3001 });
      }
      if (!Array.isArray(events)) throw Object.assign(new Error(`${name}: not a JSON array of events`), { code: 3002 });
      setHistory({ kind: "json", source: `${name} (JSON events)`, count: events.length, text });
    } else {
      setHistory({ kind: "binary", source: `${name} (canonical binary events)`, count: omega.splitEvents(bytes).length, bytes });
    }
    return { ...historyInfo(), ingest, genMs: ms(t0) };
  },

  reconcile({ tamper = false } = {}) {
    const h = need(S.history, "load a history first");
    let resultText;
    let result;
    let tampered = null;
    let method;
    const t0 = now();
    if (tamper) {
      const decoded = omega.decodeEvents(historyBytes(h)); // every event with its id
      const { victim, copy } = tamperedCopy(JSON.parse(decoded));
      tampered = { node: victim.node, stream: victim.stream, seq: Number(victim.seq), id: copy.id };
      resultText = omega.reconcileJson(withEvent(h.text ?? decoded, copy));
      method = "reconcileJson";
    } else if (h.kind === "omega") {
      result = omega.reconcileLog(h.log);
      method = "reconcileLog";
    } else if (h.kind === "binary") {
      resultText = omega.reconcileBinary(h.bytes);
      method = "reconcileBinary";
    } else {
      resultText = omega.reconcileJson(h.text);
      method = "reconcileJson";
    }
    const reconcileMs = ms(t0);
    result ??= JSON.parse(resultText);
    resultText ??= JSON.stringify(result, null, 2) + "\n";
    // The same set again, reversed and with the first 100 events twice: the
    // output must be the same (order and duplicates do not matter).
    let again = null;
    if (!tamper) {
      const t1 = now();
      const events = omega.splitEvents(historyBytes(h));
      const rev = [...events].reverse();
      const r2 = JSON.parse(omega.reconcileBinary(concat([...rev, ...events.slice(0, 100)])));
      again = {
        ms: ms(t1),
        sameRoot: r2.status === result.status && r2.root === result.root && r2.state_hash === result.state_hash && r2.evidence_hash === result.evidence_hash,
        duplicates: r2.duplicates,
      };
    }
    S.result = result;
    S.resultText = resultText;
    S.tampered = tampered;
    S.cert = S.certGood = S.flipped = null;
    S.chain = [];
    S.proofHistory = null;
    return { result: summary(result), resultText, method, reconcileMs, events: h.count, tampered, again, source: h.source };
  },

  committee() {
    need(S.key, "no browser key yet");
    if (S.members.length === 0) {
      S.members = [S.key];
      for (let i = 1; i <= PEERS; i++) S.members.push(omega.generateKeypair(`edge.peer/${i}`));
      S.committee = { threshold: THRESHOLD, members: S.members.map((m) => m.verifier_key) };
    }
    return { threshold: THRESHOLD, members: S.members.map(publicKey) };
  },

  certify({ signer = 0 } = {}) {
    need(S.result, "reconcile first");
    ops.committee();
    const c = omega.certify(S.resultText, ORIGIN, S.members[signer].signer_key, undefined, S.committee);
    S.cert = S.certGood = c.certificate;
    S.flipped = null;
    return certState();
  },

  cosign({ signer }) {
    need(S.certGood, "certify first");
    const c = omega.cosign(S.certGood, S.members[signer].signer_key);
    S.cert = S.certGood = c.certificate;
    S.flipped = null;
    return certState();
  },

  /** Flips one bit of the certificate's root (in the binary OMGC bytes). */
  tamperCert() {
    need(S.certGood, "certify first");
    const bytes = new Uint8Array(S.certGood);
    const root = fromHex(S.result.status === "ok" ? S.result.root : S.result.prior_root);
    const offset = findBytes(bytes, root);
    const at = offset >= 0 ? offset : bytes.length - 1;
    bytes[at] ^= 0x01;
    S.cert = bytes;
    S.flipped = { offset: at, bit: 0, field: offset >= 0 ? "root" : "last signature byte" };
    return certState();
  },

  restoreCert() {
    need(S.certGood, "certify first");
    S.cert = S.certGood;
    S.flipped = null;
    return certState();
  },

  certState() {
    return S.cert ? certState() : null;
  },

  /** Appends one more certified batch on top of the chain (genesis = the quorum certificate of the current result). */
  extendChain({ rounds = BATCH_ROUNDS } = {}) {
    const r0 = need(S.result, "reconcile first");
    if (r0.status !== "ok") throw Object.assign(new Error("the chain grows from an ok result: reconcile the untampered history first"), { code: 0 });
    ops.committee();
    const t0 = now();
    if (S.chain.length === 0) {
      let good = S.certGood;
      if (!good || omega.verifyCertificate(good, S.committee).status !== "valid") {
        good = quorum(omega.certify(S.resultText, ORIGIN, S.members[0].signer_key, undefined, S.committee).certificate, 0);
        S.cert = S.certGood = good;
        S.flipped = null;
      }
      S.chain.push({ cert: good, result: r0, bytes: historyBytes(S.history), batch: "the loaded history" });
    }
    const last = S.chain[S.chain.length - 1];
    const height = S.chain.length;
    const bytes = omega.sampleBatch(last.result, height, rounds);
    const result = JSON.parse(omega.reconcileBinary(bytes, last.result));
    if (result.status !== "ok") throw Object.assign(new Error(`batch ${height} obstructed: ${JSON.stringify(result.violations?.[0])}`), { code: result.violations?.[0]?.code ?? 0 });
    const signer = height % S.members.length;
    const cert = quorum(omega.certify(result, ORIGIN, S.members[signer].signer_key, last.cert, S.committee).certificate, signer);
    S.chain.push({ cert, result, bytes, batch: `follow-on batch ${height} (${omega.splitEvents(bytes).length} events)` });
    S.proofHistory = null;
    const extendMs = ms(t0);
    return { ...chainState(), extendMs };
  },

  chainState() {
    return S.chain.length ? chainState() : null;
  },

  /** The inclusion proof of leaf `index` in the history the chain head (or the current result) covers. */
  async prove({ index }) {
    const head = S.chain.length ? S.chain[S.chain.length - 1].result : need(S.result, "reconcile first");
    if (head.status !== "ok") throw Object.assign(new Error("proofs need an ok result"), { code: 0 });
    if (!S.proofHistory) {
      const bytes = S.chain.length ? concat(S.chain.map((l) => l.bytes)) : historyBytes(S.history);
      S.proofHistory = { bytes, leaves: null };
    }
    const t0 = now();
    const proof = omega.inclusionProof(S.proofHistory.bytes, index);
    const verdict = omega.verifyInclusion(proof);
    const proveMs = ms(t0);
    // Independent checks in plain JS: the leaf is SHA-256(0x00 || the event's
    // canonical bytes), hashed here with WebCrypto, and a proof with one
    // sibling bit flipped fails. Leaf i is event i in canonical order.
    S.proofHistory.leaves ??= omega.splitEvents(omega.canonicalOrder(S.proofHistory.bytes));
    const enc = S.proofHistory.leaves[index];
    let leafMatches = null;
    if (enc) leafMatches = (await sha256Hex(concat([Uint8Array.of(0), enc]))) === proof.leaf_hash;
    let forged = null;
    if (proof.proof.length) {
      const sib = proof.proof[0];
      const bad = { ...proof, proof: [(parseInt(sib[0], 16) ^ 1).toString(16) + sib.slice(1), ...proof.proof.slice(1)] };
      forged = omega.verifyInclusion(bad);
    }
    const height = S.chain.length ? S.chain.length - 1 : null;
    return {
      proof, verdict, proveMs, height, leafMatches, forged,
      rootMatches: proof.root === head.root && proof.tree_size === head.tree_size,
      event: enc ? JSON.parse(omega.decodeEvents(enc))[0] : null,
    };
  },

  /**
   * Entry `index` of a tiled log at `baseUrl` (C2SP tlog-tiles), checked
   * against a certificate the committee signed, fetching only the tiles its
   * proof needs (omega-kernel/tiles).
   */
  async tileInclusion({ baseUrl, committee, certificate, index }) {
    const t0 = now();
    const log = new TileClient(omega, { baseUrl: new URL(baseUrl, self.location.href).href });
    const r = await log.verifyInclusion({ certificate, committee, index });
    return {
      index, size: r.size, root: r.root, leafHash: r.leafHash, proofLength: r.proof.proof.length, requests: r.requests,
      event: JSON.parse(omega.decodeEvents(r.entry))[0], ms: ms(t0),
    };
  },

  // ---- the live cluster (docs/CLUSTER.md): this tab as a co-signing node ----
  /** A new key for this tab (the page keeps it in localStorage). */
  clusterKeygen({ name }) {
    const k = omega.generateKeypair(name);
    return { name: k.name, key_id: k.key_id, verifier_key: k.verifier_key, signer_key: k.signer_key };
  },

  /** Connects to NATS over WebSocket and follows the log as a node; returns at once, the state then streams as {event: "cluster"} messages. */
  async clusterStart({ url, log, committee, key, modules, world }) {
    if (S.node) await ops.clusterStop();
    const node = new TabNode(omega, { url, log, committee, key, modules, world }, (state) => self.postMessage({ event: "cluster", state }));
    S.node = node;
    S.nodeRun = node.run().then(
      () => {
        if (node.status !== "stopped") node.status = "ended";
        node.touch();
      },
      (e) => {
        node.status = "error";
        node.error = String(e?.message ?? e);
        console.warn("cluster:", e);
        node.touch();
        node.stop().catch(() => {});
      },
    );
    return node.state();
  },

  async clusterStop() {
    const node = S.node;
    if (!node) return null;
    S.node = null;
    await node.stop();
    await S.nodeRun?.catch(() => {});
    return node.state();
  },

  clusterState() {
    return S.node ? S.node.state() : null;
  },

  /** Every certificate the tab stored (height -> base64 OMGC) and its fraud proofs. */
  clusterCertificates() {
    return S.node ? { certificates: S.node.certificates(), frauds: S.node.frauds } : null;
  },

  // ---- the ECS world (issue 5): feature-detected, so the page works on a blob without it ----
  worldInit({ seed = 7, entities = 200, nodes = 5, edges = 3 } = {}) {
    if (typeof omega.World !== "function") return { available: false };
    S.world?.free?.();
    S.world = new omega.World(seed, entities, nodes, edges);
    S.worldConfig = { seed, entities, nodes, edges };
    return { available: true, config: S.worldConfig, hash: String(S.world.stateHash()), tick: Number(S.world.tick ?? 0) };
  },

  worldStep({ n = 1 } = {}) {
    if (typeof omega.World !== "function") return { available: false };
    if (!S.world) ops.worldInit();
    const t0 = now();
    const reports = S.world.step(n);
    const stepMs = ms(t0);
    const list = Array.isArray(reports) ? reports : [reports ?? S.world.metrics()];
    return { ticks: list.map(tickRecord), ms: stepMs, hash: String(S.world.stateHash()), entities: Number(S.world.entities ?? 0) };
  },

  /** Snapshot, step this world k ticks, restore the snapshot into a second world and step it k ticks: the hashes must repeat. */
  worldReplay({ k = 50 } = {}) {
    if (typeof omega.World?.restore !== "function") return { available: false };
    if (!S.world) ops.worldInit();
    const snap = S.world.snapshot();
    const from = Number(S.world.tick ?? 0);
    const reports = S.world.step(k);
    const a = reports.map((r) => r.state_hash);
    const w2 = omega.World.restore(snap);
    const b = w2.step(k).map((r) => r.state_hash);
    w2.free?.();
    return { available: true, k, from, same: a.length === k && a.every((h, i) => h === b[i]), last: a[k - 1], snapshotBytes: snap.length, ticks: reports.map(tickRecord) };
  },
};

// ---- helpers --------------------------------------------------------------

function need(v, message) {
  if (v == null) throw Object.assign(new Error(message), { code: 0 });
  return v;
}

function safeCall(f) {
  try {
    return f();
  } catch {
    return null;
  }
}

function publicKey(k) {
  return { name: k.name, key_id: k.key_id, verifier_key: k.verifier_key };
}

function setHistory(h) {
  S.history = h;
  S.result = S.resultText = S.tampered = null;
  S.cert = S.certGood = S.flipped = null;
  S.chain = [];
  S.proofHistory = null;
}

function historyInfo() {
  const h = S.history;
  const bytes = h.text?.length ?? h.log?.length ?? h.bytes?.length ?? 0;
  return { kind: h.kind, source: h.source, events: h.count, bytes };
}

/** The history as concatenated canonical binary events (encoded by the blob from its JSON text once, when first needed). */
function historyBytes(h) {
  h.bytes ??= omega.encodeEvents(h.text);
  return h.bytes;
}

function summary(r) {
  const pick = ["status", "tree_size", "root", "state_hash", "frontier", "appended", "duplicates", "prior_tree_size", "evidence_hash", "violations"];
  const out = {};
  for (const k of pick) if (r[k] !== undefined) out[k] = r[k];
  out.heads = r.heads?.length ?? 0;
  return out;
}

function findBytes(hay, needle) {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Co-signs `cert` with the members after `first` until the threshold is met. */
function quorum(cert, first) {
  let c = cert;
  for (let i = 1; i < THRESHOLD; i++) c = omega.cosign(c, S.members[(first + i) % S.members.length].signer_key).certificate;
  return c;
}

function certState() {
  const cert = S.cert;
  let report = null;
  let refused = null;
  try {
    report = omega.verifyCertificate(cert, S.committee);
  } catch (e) {
    refused = { code: e.code ?? 0, message: e.message };
  }
  const note = safeCall(() => omega.certificateNote(cert));
  const explain = safeCall(() => omega.explainCertificate(cert, S.committee).text);
  const good = safeCall(() => omega.verifyCertificate(S.certGood, S.committee));
  const signedBy = new Set((good?.signatures ?? []).filter((s) => s.status === "valid").map((s) => `${s.name}+${s.key_id}`));
  return {
    bytes: cert.length,
    flipped: S.flipped,
    report,
    refused,
    note,
    explain,
    threshold: THRESHOLD,
    members: S.members.map((m) => ({ ...publicKey(m), signed: signedBy.has(`${m.name}+${m.key_id}`) })),
    kind: S.result?.status === "ok" ? "state" : "obstruction",
  };
}

function chainState() {
  const certs = S.chain.map((l) => l.cert);
  const t0 = now();
  const report = omega.verifyChain(certs, S.committee);
  const verifyMs = ms(t0);
  const links = [];
  for (const [h, l] of S.chain.entries()) {
    const v = omega.verifyCertificate(l.cert, S.committee);
    const { checkpoint } = omega.parseNote(omega.certificateNote(l.cert));
    const linkCheck = report.chain?.links?.find((x) => x.height === h);
    links.push({
      height: h,
      hash: v.hash,
      prev: checkpoint.prev,
      prevMatches: h === 0 ? checkpoint.prev === null : checkpoint.prev === links[h - 1].hash,
      tree_size: l.result.tree_size,
      prior_tree_size: l.result.prior_tree_size,
      root: l.result.root,
      state_hash: l.result.state_hash,
      appended: l.result.appended,
      batch: l.batch,
      consistency: checkpoint.consistency.length,
      signers: v.signatures.filter((s) => s.status === "valid").map((s) => s.name),
      valid: v.status === "valid",
      linkValid: linkCheck?.valid ?? false,
    });
  }
  return { report: { status: report.status, chain: report.chain, problems: report.problems }, links, verifyMs, tree_size: links[links.length - 1].tree_size };
}

/** One tick's report (the CLI's tick JSON: fixed-point values as decimal strings) for drawing. */
function tickRecord(r) {
  const num = (v) => (v == null ? null : Number(v));
  return {
    tick: r.tick,
    hash: r.state_hash,
    entropy: num(r.entropy),
    coherence: num(r.coherence),
    resonance: num(r.resonance),
    threat: num(r.threat),
    stability: num(r.stability),
    decision: r.decision ?? null,
    weights: r.weights ?? null,
    alerts: (r.alerts ?? []).map((a) => `${a.kind} on entity ${a.entity}: ${a.value} (clamped)`),
    migrations: (r.migrations ?? []).length,
    rejected: (r.rejected ?? []).length,
    entities: r.entities,
    edges: r.edges,
  };
}

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    const f = ops[op];
    if (!f) throw new Error(`unknown op ${op}`);
    const value = await f(args ?? {});
    self.postMessage({ id, ok: true, value });
  } catch (e) {
    self.postMessage({ id, ok: false, error: { code: e?.code ?? 0, message: String(e?.message ?? e), field: e?.field, index: e?.index } });
  }
};
