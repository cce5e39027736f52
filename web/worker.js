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
  current: null, // the events the last reconcile read (JSON text or canonical binary events): what the causal graph draws
  graph: null, // the causal graph of `current` (see ops.graph), built when the Graph view asks
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
    let current = null;
    const t0 = now();
    if (tamper) {
      const decoded = omega.decodeEvents(historyBytes(h)); // every event with its id
      const { victim, copy } = tamperedCopy(JSON.parse(decoded));
      tampered = { node: victim.node, stream: victim.stream, seq: Number(victim.seq), id: copy.id };
      current = withEvent(h.text ?? decoded, copy);
      resultText = omega.reconcileJson(current);
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
    S.current = current ?? historyBytes(h);
    S.graph = null;
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

  // ---- the causal graph of the current history ----
  /**
   * The events the last reconcile read, in canonical order (`canonicalOrder`:
   * for an ok result, position i is leaf i of its tree), as the Graph view
   * draws them: one lane per (node, stream), an edge from each dep to its
   * dependent, and, when the result is an obstruction, the positions of the
   * events its violations name.
   * Sent as typed arrays (`lane`: each event's lane; `edges`: pairs of
   * positions, dependency then dependent); `graphEvent` gives one event whole.
   */
  graph() {
    need(S.result, "reconcile first");
    const t0 = now();
    const g = (S.graph ??= buildGraph(S.current));
    const evidence = S.result.status === "obstruction" ? graphEvidence(g, S.result.violations) : [];
    const highlighted = [...new Set(evidence.flatMap((v) => v.events.map((e) => e.index).filter((i) => i != null)))].sort((a, b) => a - b);
    return {
      count: g.events.length,
      lanes: g.lanes,
      lane: g.lane,
      edges: g.edges,
      dangling: g.dangling,
      status: S.result.status,
      source: S.tampered ? `${S.history.source}, tampered` : S.history.source,
      evidence,
      highlighted,
      ms: ms(t0),
    };
  },

  /** Event `index` of the graph (canonical order): its JSON form's fields, its key and leaf hash, and its deps and dependents as positions. */
  graphEvent({ index }) {
    const g = need(S.graph, "draw the graph first");
    if (!g.events[index]) throw Object.assign(new Error(`no event at position ${index}`), { code: 0 });
    // this one event decoded again, its integers read exactly
    const e = JSON.parse(omega.decodeEvents(eventBytes(g, index)), exactInts)[0];
    const who = identity(g, index);
    return {
      index,
      key: who?.key ?? null,
      leaf_hash: who?.leaf_hash ?? null,
      node: e.node,
      stream: e.stream,
      seq: String(e.seq),
      lamport: String(e.lamport),
      id: e.id,
      deps: (e.deps ?? []).map((id) => ({ id, at: g.byId.get(id) ?? [] })),
      dependents: dependentsOf(g, index),
      payloadBytes: base64Length(e.payload ?? ""),
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
    return { available: true, config: S.worldConfig, hash: String(S.world.stateHash()), tick: Number(S.world.tick ?? 0), topology: topology() };
  },

  /**
   * Steps the world n ticks. `burst`: that many `spawn` commands (the JSON
   * command form, docs/FORMATS.md "World commands") on node 0 at the next
   * tick, which the topology scheduler then rebalances one move a tick.
   */
  worldStep({ n = 1, burst = 0 } = {}) {
    if (typeof omega.World !== "function") return { available: false };
    if (!S.world) ops.worldInit();
    const at = Number(S.world.tick ?? 0) + 1;
    const commands = burst > 0 ? Array.from({ length: burst }, () => ({ tick: at, op: "spawn", node: 0, target: "0" })) : undefined;
    const t0 = now();
    const reports = commands ? S.world.step(n, commands) : S.world.step(n);
    const stepMs = ms(t0);
    const list = Array.isArray(reports) ? reports : [reports ?? S.world.metrics()];
    return { ticks: list.map(tickRecord), ms: stepMs, hash: String(S.world.stateHash()), entities: Number(S.world.entities ?? 0), topology: topology() };
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
    return { available: true, k, from, same: a.length === k && a.every((h, i) => h === b[i]), last: a[k - 1], snapshotBytes: snap.length, ticks: reports.map(tickRecord), topology: topology() };
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
  S.current = S.graph = null;
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

// ---- the causal graph ----------------------------------------------------

/** JSON.parse reviver: integers beyond 2^53 (a lamport or seq may be up to 2^64 - 1) kept as their exact source text. */
const exactInts = (_key, value, context) => (typeof value === "number" && !Number.isSafeInteger(value) && context?.source ? context.source : value);

/**
 * The graph of some events (JSON text or canonical binary events): the blob
 * puts them in canonical order and decodes them (`canonicalOrder`,
 * `decodeEvents`); this only groups them into lanes and joins each dep id to
 * the events that carry it (an id may name more than one event: that is an
 * equivocation). The layout needs only node, stream, id and deps, so the
 * events are parsed plainly here (a seq or lamport above 2^53 is rounded);
 * `graphEvent` decodes the one event it shows again, exactly.
 */
function buildGraph(current) {
  const canonical = omega.canonicalOrder(need(current, "reconcile first"));
  const events = JSON.parse(omega.decodeEvents(canonical));
  const laneOf = new Map();
  for (const e of events) laneOf.set(`${e.node}/${e.stream}`, { node: e.node, stream: e.stream });
  const lanes = [...laneOf.values()].sort((a, b) => a.node - b.node || a.stream - b.stream);
  lanes.forEach((l, i) => laneOf.set(`${l.node}/${l.stream}`, i));
  const lane = new Uint32Array(events.length);
  const byId = new Map();
  events.forEach((e, i) => {
    lane[i] = laneOf.get(`${e.node}/${e.stream}`);
    const at = byId.get(e.id);
    if (at) at.push(i);
    else byId.set(e.id, [i]);
  });
  const pairs = [];
  let dangling = 0; // deps that name no event of this history (into a prior history, or missing)
  events.forEach((e, i) => {
    for (const d of e.deps ?? []) {
      const at = byId.get(d);
      if (!at) dangling++;
      else for (const j of at) pairs.push(j, i);
    }
  });
  return { canonical, events, parts: null, lanes, lane, byId, edges: Uint32Array.from(pairs), dangling, bySeq: null, identities: new Map(), dependents: null };
}

/** The canonical bytes of the event at `index` (the blob splits the history once, when first asked). */
function eventBytes(g, index) {
  g.parts ??= omega.splitEvents(g.canonical);
  return g.parts[index];
}

/**
 * An event's key and leaf hash, as the blob names them: the event reconciled
 * alone comes back either ok (its one head carries both) or as an obstruction
 * whose violations name only it. The page computes no key itself.
 */
function identity(g, index) {
  if (!g.identities.has(index)) {
    const r = JSON.parse(omega.reconcileBinary(eventBytes(g, index)));
    const named = r.status === "ok" ? r.heads?.[0] : r.violations?.[0]?.events?.[0];
    g.identities.set(index, named ? { key: named.key, leaf_hash: named.leaf_hash } : null);
  }
  return g.identities.get(index);
}

/**
 * The violations with each named event's position in the graph: an event
 * the obstruction names by (key, seq, leaf hash) is looked for among the
 * events with that seq, by the key and leaf hash the blob gives each (see
 * identity). A prior head (no payload hash) is in no batch: its index is null.
 */
function graphEvidence(g, violations) {
  if (!g.bySeq) {
    g.bySeq = new Map();
    g.events.forEach((e, i) => {
      const k = String(e.seq);
      const at = g.bySeq.get(k);
      if (at) at.push(i);
      else g.bySeq.set(k, [i]);
    });
  }
  return violations.map((v) => ({
    code: v.code,
    reason: v.reason,
    message: v.message,
    events: v.events.map((e) => {
      let index = null;
      if (e.payload_sha256 != null) {
        for (const i of g.bySeq.get(String(e.seq)) ?? []) {
          const who = identity(g, i);
          if (who && who.key === e.key && who.leaf_hash === e.leaf_hash) {
            index = i;
            break;
          }
        }
      }
      return { key: e.key, seq: String(e.seq), leaf_hash: e.leaf_hash, prior: e.payload_sha256 == null, index };
    }),
  }));
}

function dependentsOf(g, index) {
  if (!g.dependents) {
    g.dependents = new Map();
    for (let k = 0; k < g.edges.length; k += 2) {
      const at = g.dependents.get(g.edges[k]);
      if (at) at.push(g.edges[k + 1]);
      else g.dependents.set(g.edges[k], [g.edges[k + 1]]);
    }
  }
  return g.dependents.get(index) ?? [];
}

/** The byte length of standard base64 text (with padding). */
function base64Length(b64) {
  return (b64.length / 4) * 3 - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
}

// ---- the ECS world's topology ---------------------------------------------

/** Topology nodes drawn (and sent) at most: a world may have up to 2^20 of them. */
const TOPOLOGY_SHOWN = 256;

/**
 * Entities per node of a new world. The World exposes no per-node counts, so
 * the page starts from an even spread of the config's entities over its
 * nodes (the first `entities % nodes` nodes one more, as World::new deals
 * them out) and follows the spawns it sends and every tick's migrations.
 */
/** The world's nodes and the live entities on each (`World.loads`, counted by the blob). */
function topology() {
  if (!S.world) return null;
  const load = Array.from(S.world.loads());
  const total = load.reduce((a, b) => a + b, 0);
  const live = Number(S.world.entities ?? total);
  return { nodes: load.length, load: load.slice(0, TOPOLOGY_SHOWN), total, live, agrees: total === live };
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
    // the arbiter panel's values as the report's exact decimal strings (plan and
    // lyapunov only from a blob whose tick reports carry them)
    exact: { threat: r.threat ?? null, pulse: r.pulse ?? null, weights: r.weights ?? null, plan: r.plan ?? null, lyapunov: r.lyapunov ?? null },
    moves: (r.migrations ?? []).map((m) => ({ entity: m.entity, from: m.from, to: m.to })),
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
