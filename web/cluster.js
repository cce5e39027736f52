// A browser tab as a member of the live cluster (docs/CLUSTER.md): the same
// rules as `omega node` (host/src/commands/cluster/node.rs, the reference),
// on the blob, over NATS WebSocket with the official @nats-io clients. It
// runs in the worker (worker.js owns the blob and imports this module).
//
// The stream is read in order from its first message (an ordered consumer):
// - event: exactly one canonical event, else `bad_event` (every node skips the
//   same messages); an exact re-send of an event already in the history is
//   skipped (`resent`); the rest waits for the next seal;
// - seal: its body read by the kernel (op 27), the batch cut (op 23) with the
//   seal's horizon and delay, with a world stepped through it (op 26), the
//   checkpoint certified with this tab's key (op 4; prev = this tab's own
//   certificate at the height before; origin `omega/<log>`; the committee;
//   the world line), and its signature published on `omega.<log>.sig`;
// - sig: verified against the committee (op 6); a member's signature on this
//   tab's checkpoint counts, one on another checkpoint is dissent, two
//   checkpoints signed by one member at one height are fraud (op 25);
//   strangers never count;
// - cert: verified, compared with this tab's checkpoint, stored when equal.
// At the head of the stream, threshold-many agreeing member signatures of a
// height without a certificate are merged (op 24) and published as `cert-<h>`.
// Everything is kept in memory: a reload reads the stream again from the start
// and, Ed25519 being deterministic, signs exactly what it signed before.
import { concat, fromBase64, toBase64, toHex } from "./lib/history.js";

const MAX_ALERTS = 200;
const MAX_LOG = 60;

const utf8 = new TextEncoder();

/** Rust's `String` order (bytes of UTF-8), which a `BTreeMap<String, _>` iterates in. */
function byteOrder(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * JSON with integers kept exact (JSON.rawJSON where the engine has it), so a
 * result passed back to the kernel is the number it wrote even past 2^53.
 */
function parseExact(text) {
  if (typeof JSON.rawJSON !== "function") return JSON.parse(text);
  return JSON.parse(text, (k, v, ctx) => (typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source ? JSON.rawJSON(ctx.source) : v));
}

/** An integer literal that serde reads as an unsigned integer of at most `max` (no sign, fraction or exponent). */
function uint(v, source, max) {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return false;
  if (source == null) return v <= max;
  return /^\d+$/.test(source) && BigInt(source) <= BigInt(max);
}

/** The ABI's field framing (u32 little-endian length, then the bytes), as `make_fields` writes it. */
function fields(parts) {
  const out = [];
  for (const p of parts) {
    const b = typeof p === "string" ? utf8.encode(p) : p ?? new Uint8Array(0);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, true);
    out.push(len, b);
  }
  return concat(out);
}

async function sha256Hex(bytes) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** The stream and subjects of one log (host/src/commands/cluster/mod.rs `Names`). */
export function names(log) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(log)) throw Object.assign(new Error(`log ${JSON.stringify(log)}: a log name is 1 to 64 characters of A-Z a-z 0-9 _ -`), { code: 0 });
  const s = (p) => `omega.${log}.${p}`;
  return { log, stream: `OMEGA_${log}`, events: s("events"), seal: s("seal"), sig: s("sig"), cert: s("cert") };
}

export class TabNode {
  /**
   * @param omega the blob's module (initialised)
   * @param o {url, log, committee (JSON text), key: {name, key_id, signer_key, verifier_key}, modules: {core, jetstream} (URLs),
   *   world (optional: a world config JSON text, as `omega node --ecs` takes it)}
   * @param onChange called (throttled) when the state changes
   */
  constructor(omega, o, onChange) {
    this.omega = omega;
    this.o = o;
    this.onChange = onChange;
    this.names = names(o.log);
    this.origin = `omega/${o.log}`;
    this.signer = `${o.key.name}+${o.key.key_id}`;
    this.committeeText = o.committee;
    let cj;
    try {
      cj = JSON.parse(o.committee);
    } catch (e) {
      throw Object.assign(new Error(`the committee is not JSON: ${e.message}`), { code: 0 });
    }
    if (!uint(cj?.threshold, null, Number.MAX_SAFE_INTEGER)) throw Object.assign(new Error("the committee has no threshold"), { code: 0 });
    this.threshold = cj.threshold;
    this.members = Array.isArray(cj.members) ? cj.members.filter((m) => typeof m === "string") : [];
    this.isMember = this.members.some((k) => k.startsWith(`${this.signer}+`));
    // The committee's keys are checked once here, not on every verify (a bad committee throws its code: 3603, 3505, ...).
    this.verifier = new omega.CommitteeVerifier(o.committee);
    // node.rs state
    this.cursor = { sealSeq: 0, seals: 0, nextHeight: 0, prior: null, carry: new Uint8Array(0) };
    this.fresh = [];
    this.mine = new Map(); // height -> {hash, root, tree_size, status, cert}
    this.chain = new Map(); // height -> {hash, root, tree_size, signers, names, seq, cert}
    this.sigs = new Map(); // height -> Map(member -> {hash, root, cert})
    this.reported = new Set();
    this.published = new Set();
    this.live = false;
    this.announced = false;
    this.history = new Map(); // event id hex -> leaf hash hex
    this.resent = 0;
    this.carried = 0;
    // `omega node --ecs`: the world after the last height (a snapshot; the config before the
    // first) and the last checkpoint's world line
    this.world = o.world ? o.world : null;
    this.worldLine = null;
    if (this.world != null) {
      // checked now (4002/4005 refuse it before anything is read), and its line for an obstruction at height 0
      const g = this.abi(19, [this.world, "0", "", "summary", ""]);
      this.worldLine = `${g.end_tick} ${g.state_hash}`;
    }
    // what the page shows
    this.status = "connecting";
    this.error = null;
    this.counts = { events: 0, bad_event: 0, seals: 0, signatures: 0, dissent: 0, fraud: 0, stranger: 0, bad_signature: 0, invalid_certificate: 0, fork: 0, nats_error: 0 };
    this.nodes = new Map(); // member -> {member, in_committee, height, root, hash, signatures}
    this.alerts = [];
    this.frauds = [];
    this.log = [];
    this.rate = [];
    this.lastSeq = 0;
    this.changed = false;
    this.timer = null;
  }

  // ---- output ---------------------------------------------------------------

  emit(event, fields) {
    const line = { event, ...fields };
    this.log.push(line);
    if (this.log.length > MAX_LOG) this.log.shift();
    if (event in this.counts) this.counts[event]++;
    if (["dissent", "fraud", "stranger", "bad_signature", "bad_event", "invalid_certificate", "fork", "nats_error"].includes(event)) {
      this.alerts.push({ at: Date.now(), ...line });
      if (this.alerts.length > MAX_ALERTS) this.alerts.shift();
    }
    this.touch();
  }

  touch() {
    this.changed = true;
    if (this.timer == null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.changed) {
          this.changed = false;
          this.onChange(this.state());
        }
      }, 150);
    }
  }

  /** What the page draws. */
  state() {
    const now = Date.now();
    this.rate = this.rate.filter(([t]) => now - t < 3000);
    const n = this.rate.reduce((s, [, c]) => s + c, 0);
    const span = this.rate.length ? Math.max(1000, now - this.rate[0][0]) : 1000;
    const top = this.cursor.nextHeight - 1;
    const last = this.mine.get(top);
    const heights = [...this.mine.keys()].sort((a, b) => a - b).slice(-12).reverse();
    const certified = [...this.chain.keys()].sort((a, b) => a - b);
    const head = certified.length ? this.chain.get(certified[certified.length - 1]) : null;
    return {
      status: this.status,
      error: this.error,
      url: this.o.url,
      log: this.o.log,
      stream: this.names.stream,
      origin: this.origin,
      signer: this.signer,
      member: this.isMember,
      threshold: this.threshold,
      committee: this.members.length,
      live: this.live,
      seq: this.lastSeq,
      eventsPerSec: Math.round((n * 1000) / span),
      counts: { ...this.counts, resent: this.resent, carried: this.carried },
      height: last ? { height: top, ...pick(last, ["hash", "root", "tree_size", "status", "world"]) } : null,
      certified: head ? { height: head.height, ...pick(head, ["hash", "root", "tree_size", "signers", "names"]) } : null,
      nodes: [...this.nodes.values()].sort((a, b) => byteOrder(a.member, b.member)),
      heights: heights.map((h) => {
        const mine = this.mine.get(h);
        const sigs = [...(this.sigs.get(h) ?? new Map()).entries()].sort((a, b) => byteOrder(a[0], b[0]));
        const c = this.chain.get(h);
        return {
          height: h,
          hash: mine.hash,
          root: mine.root,
          tree_size: mine.tree_size,
          status: mine.status,
          signatures: sigs.map(([m, s]) => ({ signer: m, agree: s.hash === mine.hash, root: s.root })),
          agreeing: sigs.filter(([, s]) => s.hash === mine.hash).length,
          certified: !!c,
          cert_signers: c?.names ?? null,
        };
      }),
      chain: certified.slice(-200).map((h) => {
        const c = this.chain.get(h);
        return { height: h, ...pick(c, ["hash", "root", "tree_size", "signers", "names", "seq"]), cert: toBase64(c.cert) };
      }),
      chainLength: certified.length,
      alerts: this.alerts.slice(-50),
      frauds: this.frauds.slice(-10),
      log: this.log.slice(-30),
    };
  }

  /** Every certificate stored, height -> base64. */
  certificates() {
    const out = {};
    for (const h of [...this.chain.keys()].sort((a, b) => a - b)) out[h] = toBase64(this.chain.get(h).cert);
    return out;
  }

  // ---- the kernel, as node.rs calls it ----------------------------------------

  /** Height, hash, root and origin of a certificate (Certificate::read); null when it is not one. */
  certFields(c) {
    try {
      const cp = this.omega.parseNote(this.omega.certificateNote(c)).checkpoint;
      return cp ? { height: cp.height, hash: cp.hash, root: cp.root, origin: cp.origin, tree_size: cp.tree_size } : null;
    } catch {
      return null;
    }
  }

  /** An op through the byte ABI; an error answer throws. */
  abi(op, parts) {
    const out = this.omega.abiCall(op, fields(parts));
    const body = JSON.parse(new TextDecoder().decode(out.subarray(1)));
    if (out[0] === 2) throw Object.assign(new Error(`op ${op}: error ${body.code}: ${body.message}`), { code: body.code });
    return body;
  }

  /** With a world (`omega node --ecs`, node.rs `step_world`): the world stepped through the batch (op 26), its line for the checkpoint. */
  stepWorld(h, status, events) {
    if (this.world == null) return undefined;
    if (status === "ok") {
      const b = this.omega.ecsBatch(this.world, events);
      this.world = b.world;
      this.worldLine = `${b.end_tick} ${b.state_hash}`;
      this.emit("world", { height: h, tick: b.end_tick, state_hash: b.state_hash, scheduled: b.scheduled, refused: b.refused, late: b.late.length, too_far: b.too_far.length, plain: b.plain });
    }
    return this.worldLine;
  }

  /** Op 23 with the seal's horizon and delay (the ABI's five fields, as node.rs sends them). */
  cut(prior, carry, fresh, horizon, delay) {
    const out = this.omega.abiCall(23, fields([prior ?? "", carry, fresh, String(horizon), String(delay)]));
    const text = new TextDecoder().decode(out.subarray(1));
    if (out[0] === 2) {
      const e = JSON.parse(text);
      throw Object.assign(new Error(`cut: error ${e.code}: ${e.message}`), { code: e.code });
    }
    return parseExact(text);
  }

  // ---- messages ---------------------------------------------------------------

  async onEvent(seq, payload) {
    if (seq <= this.cursor.sealSeq) return;
    this.counts.events++;
    this.rate.push([Date.now(), 1]);
    let one = false;
    try {
      one = this.omega.splitEvents(payload).length === 1 && equalBytes(this.omega.canonicalOrder(payload), payload);
    } catch {
      one = false;
    }
    if (!one) {
      this.emit("bad_event", { seq, reason: "the message is not exactly one canonical event; skipped" });
      return;
    }
    const id = toHex(payload.subarray(14, 28));
    const leaf = await sha256Hex(concat([Uint8Array.of(0), payload]));
    if (this.history.get(id) === leaf) {
      this.resent++;
      return;
    }
    this.fresh.push(payload);
    this.touch();
  }

  async onSeal(seq, payload) {
    // the seal body as every member reads it: the kernel's one reader (op 27)
    const seal = this.abi(27, [payload]);
    if (seq <= this.cursor.sealSeq) return;
    const fresh = concat(this.fresh);
    this.fresh = [];
    const body = this.cut(this.cursor.prior, this.cursor.carry, fresh, seal.horizon, seal.delay);
    const status = body.status;
    this.carried = (body.waiting ?? 0) + (body.held ?? 0);
    this.counts.seals++;
    this.emit("sealed", {
      resent: this.resent, seq, seal: seal.n, status, batch: body.batch, waiting: body.waiting, held: body.held,
      expired: body.expired, rejected: body.rejected, duplicates: body.duplicates,
    });
    this.cursor.sealSeq = seq;
    this.cursor.seals++;
    this.cursor.carry = fromBase64(body.carry);
    if (status === "empty") return;
    if (body.result == null) throw new Error("cut: no result");
    const resultText = JSON.stringify(body.result);
    const h = this.cursor.nextHeight;
    const events = status === "ok" ? fromBase64(body.events) : new Uint8Array(0);
    if (status === "ok") {
      for (const e of this.omega.splitEvents(events)) {
        this.history.set(toHex(e.subarray(14, 28)), await sha256Hex(concat([Uint8Array.of(0), e])));
      }
    }
    let prev;
    if (h > 0) {
      prev = this.mine.get(h - 1)?.cert;
      if (!prev) throw new Error(`this tab's checkpoint at height ${h - 1} is missing`);
    }
    const world = this.stepWorld(h, status, events);
    const c = this.omega.certify(resultText, this.origin, this.o.key.signer_key, prev, this.committeeText, world);
    if (status === "ok") this.cursor.prior = resultText;
    this.cursor.nextHeight = h + 1;
    this.emit("root", { height: h, status, tree_size: c.tree_size, root: c.root, hash: c.hash, ...(world ? { world } : {}) });
    this.mine.set(h, { hash: c.hash, root: c.root, tree_size: c.tree_size, status, cert: c.certificate, world });
    await this.publishSig(h, c.hash, c.certificate);
    this.emit("signed", { height: h, hash: c.hash });
    // Signatures that arrived before this tab's own checkpoint.
    for (const m of [...(this.sigs.get(h)?.keys() ?? [])].sort(byteOrder)) this.judge(h, m);
    await this.tryQuorum(h);
  }

  async publishSig(h, hash, cert) {
    const id = `sig-${h}-${hash.slice(0, 16)}-${toHex(utf8.encode(this.signer))}`;
    await this.js.publish(this.names.sig, cert, { msgID: id });
  }

  /** Reports member `m`'s signature at `h` as dissent when it is on another checkpoint than ours. */
  judge(h, m) {
    const mine = this.mine.get(h);
    const seen = this.sigs.get(h)?.get(m);
    if (!mine || !seen) return;
    const key = `${h}\u0000${m}\u0000dissent`;
    if (seen.hash !== mine.hash && !this.reported.has(key)) {
      this.reported.add(key);
      this.emit("dissent", { height: h, signer: m, their_root: seen.root, our_root: mine.root, their_hash: seen.hash, our_hash: mine.hash });
    }
  }

  async onSig(seq, payload) {
    const f = this.certFields(payload);
    if (!f || f.origin !== this.origin) {
      this.emit("bad_signature", { seq, reason: "not a certificate of this log's origin" });
      return;
    }
    const h = f.height;
    if (this.chain.has(h) && seq <= this.cursor.sealSeq) return;
    let v;
    try {
      v = this.verifier.verifyCertificate(payload);
    } catch (e) {
      this.emit("bad_signature", { seq, height: h, reason: `verify: error ${e.code ?? 0}: ${e.message}` });
      return;
    }
    for (const s of v.signatures ?? []) {
      const m = `${s.name ?? "?"}+${s.key_id}`;
      if (s.status === "valid") {
        const prior = this.sigs.get(h)?.get(m);
        if (prior && prior.hash !== f.hash) this.fraud(h, m, prior.cert, payload);
        else if (!prior) {
          if (!this.sigs.has(h)) this.sigs.set(h, new Map());
          this.sigs.get(h).set(m, { hash: f.hash, root: f.root, cert: payload });
          this.counts.signatures++;
          this.seenNode(m, true, f);
          this.emit("signature", { height: h, signer: m, hash: f.hash });
          this.judge(h, m);
        }
      } else if (s.status === "unknown_key") {
        const key = `${h}\u0000${m}\u0000stranger`;
        this.seenNode(m, false, f);
        if (!this.reported.has(key)) {
          this.reported.add(key);
          this.emit("stranger", { height: h, signer: m, detail: "a key outside the committee signed; it never counts" });
        }
      } else if (s.status === "bad_signature") {
        const key = `${h}\u0000${m}\u0000bad`;
        if (!this.reported.has(key)) {
          this.reported.add(key);
          this.emit("bad_signature", { height: h, signer: m, detail: "carries a member's name and key id but does not verify" });
        }
      }
    }
    await this.tryQuorum(h);
  }

  seenNode(m, member, f) {
    const n = this.nodes.get(m) ?? { member: m, in_committee: member, height: -1, root: null, hash: null, signatures: 0, self: m === this.signer };
    n.signatures++;
    if (f.height >= n.height) Object.assign(n, { height: f.height, root: f.root, hash: f.hash, tree_size: f.tree_size });
    this.nodes.set(m, n);
  }

  fraud(h, m, a, b) {
    const key = `${h}\u0000${m}\u0000fraud`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const na = this.omega.certificateNote(a);
    const nb = this.omega.certificateNote(b);
    const r = this.omega.verifyFraud(this.committeeText, na, nb);
    const proof = { kind: "omega-fraud-v1", log: this.o.log, height: h, signer: m, a: na, b: nb };
    this.frauds.push(proof);
    this.emit("fraud", { height: h, signer: m, verified: r.status === "proven", hashes: [r.a, r.b] });
  }

  async tryQuorum(h) {
    if (this.chain.has(h) || this.published.has(h) || !this.live) return;
    const mine = this.mine.get(h);
    if (!mine) return;
    const agreeing = [...(this.sigs.get(h)?.entries() ?? [])].sort((x, y) => byteOrder(x[0], y[0])).map(([, s]) => s).filter((s) => s.hash === mine.hash);
    if (agreeing.length < this.threshold) return;
    const merged = this.omega.mergeCertificates(agreeing.map((s) => s.cert)).certificate;
    if (this.verifier.verifyCertificate(merged).status !== "valid") return;
    await this.js.publish(this.names.cert, merged, { msgID: `cert-${h}` });
    this.published.add(h);
  }

  onCert(seq, payload) {
    const f = this.certFields(payload);
    if (!f || f.origin !== this.origin) {
      this.emit("invalid_certificate", { seq, reason: "not a certificate of this log's origin" });
      return;
    }
    const h = f.height;
    const have = this.chain.get(h);
    if (have) {
      const key = `${h}\u0000${f.hash}\u0000fork`;
      if (have.hash !== f.hash && !this.reported.has(key)) {
        this.reported.add(key);
        this.emit("fork", { height: h, stored: have.hash, other: f.hash });
      }
      return;
    }
    const v = this.verifier.verifyCertificate(payload);
    if (v.status !== "valid") {
      this.emit("invalid_certificate", { seq, height: h, problems: v.problems });
      return;
    }
    const mine = this.mine.get(h);
    if (mine && mine.hash === f.hash) {
      const names = (v.signatures ?? []).filter((s) => s.status === "valid").map((s) => `${s.name}+${s.key_id}`);
      this.chain.set(h, { height: h, hash: f.hash, root: f.root, tree_size: v.tree_size, signers: v.valid_signers, names, seq, cert: payload });
      this.emit("quorum", { height: h, hash: f.hash, root: f.root, tree_size: v.tree_size, signers: v.valid_signers, seq });
    } else if (mine) {
      const key = `${h}\u0000${f.hash}\u0000dissent-quorum`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.emit("dissent", {
          height: h, signer: "quorum", their_root: f.root, our_root: mine.root, their_hash: f.hash, our_hash: mine.hash,
          detail: "the committee certified another checkpoint than this tab computed",
        });
      }
    } else {
      this.emit("dissent", { height: h, signer: "quorum", their_root: f.root, their_hash: f.hash, detail: "this tab has no checkpoint at this height" });
    }
  }

  // ---- the connection -----------------------------------------------------------

  /** Connects, opens (or creates, as a node does) the stream, and reads it until stopped. */
  async run() {
    const [{ wsconnect }, { jetstream, jetstreamManager, DeliverPolicy, StorageType }] = await Promise.all([
      import(this.o.modules.core),
      import(this.o.modules.jetstream),
    ]);
    this.nc = await wsconnect({ servers: this.o.url, name: `omega tab ${this.signer}`, maxReconnectAttempts: -1 });
    this.status = "connected";
    this.touch();
    this.js = jetstream(this.nc);
    const jsm = await jetstreamManager(this.nc);
    let info;
    try {
      info = await jsm.streams.info(this.names.stream);
    } catch {
      try {
        info = await jsm.streams.add({
          name: this.names.stream,
          subjects: [this.names.events, this.names.seal, this.names.sig, this.names.cert],
          storage: StorageType.File,
          num_replicas: 1,
          duplicate_window: 120 * 1e9,
          allow_direct: true,
        });
      } catch {
        info = await jsm.streams.info(this.names.stream); // another node created it meanwhile
      }
    }
    if (info.state.last_seq < 1) this.live = true;
    this.status = this.live ? "live" : "catching up";
    this.emit("started", { node: this.signer, member: this.isMember, log: this.o.log, engine: "wasm (browser)", height: this.cursor.nextHeight, resume_seq: 1 });
    if (!this.isMember) this.emit("warning", { detail: "this tab's key is not in the committee: its signatures will never count" });
    // The stream is read as one gapless sequence (no subject filter: every stream sequence
    // is a message of this log). A message seen twice is skipped; on a gap the reader is
    // re-opened after the last message processed, and a gap that the fresh reader shows
    // again is real (messages removed from the stream) and is read past.
    let accept = 0;
    while (!this.stopping) {
      const consumer = await this.js.consumers.get(this.names.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 });
      this.messages = await consumer.consume();
      let reopen = false;
      for await (const m of this.messages) {
        const seq = m.info.streamSequence;
        if (seq <= this.lastSeq) continue;
        if (seq !== this.lastSeq + 1 && seq !== accept) {
          this.emit("nats_error", { detail: `stream sequence ${seq} after ${this.lastSeq}: reading again from ${this.lastSeq + 1}` });
          accept = seq;
          reopen = true;
          break;
        }
        await this.onMessage(m);
        if (this.stopping) break;
      }
      try {
        this.messages.stop();
      } catch {
        // already stopped
      }
      if (!reopen) break;
    }
  }

  /** One message of the stream, in stream order. */
  async onMessage(m) {
    const seq = m.info.streamSequence;
    const pending = m.info.pending;
    this.lastSeq = seq;
    const subject = m.subject;
    const data = m.data.slice(); // kept past this message (the batch, signatures): a copy of its own
    if (subject === this.names.events) await this.onEvent(seq, data);
    else if (subject === this.names.seal) await this.onSeal(seq, data);
    else if (subject === this.names.sig) {
      try {
        await this.onSig(seq, data);
      } catch (e) {
        this.emit("bad_signature", { seq, reason: String(e?.message ?? e) });
      }
    } else if (subject === this.names.cert) {
      try {
        this.onCert(seq, data);
      } catch (e) {
        this.emit("invalid_certificate", { seq, reason: String(e?.message ?? e) });
      }
    }
    const wasLive = this.live;
    this.live = pending === 0;
    this.status = this.live ? "live" : "catching up";
    if (this.live && !wasLive) {
      if (!this.announced) {
        this.announced = true;
        this.emit("live", { seq, height: this.cursor.nextHeight });
      }
      for (const h of [...this.mine.keys()].sort((a, b) => a - b)) await this.tryQuorum(h);
    }
    this.touch();
  }

  async stop() {
    this.stopping = true;
    try {
      this.messages?.stop();
    } catch {
      // already stopped
    }
    await this.nc?.close().catch(() => {});
    this.status = "stopped";
    this.touch();
  }
}

function pick(o, keys) {
  const out = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
