// Pure helpers of the edge node (no DOM, no blob): the JSON event form, the
// canonical event encoding and the .omega frame layout of docs/FORMATS.md,
// the canonical order, and the deterministic follow-on batches the chain view
// appends. Plain ES module: the worker imports it, and so can Node.

/** The embedded sample: `sampleHistoryJson(...SAMPLE_ARGS)` is tests/vectors/reconcile/demo-sample.in.json. */
export const SAMPLE_ARGS = [2026, 4, 3, 250, 32, 11];

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 16)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `derived(node, stream, seq)`: node u32 | stream u16 | seq u64, as 28 hex characters. */
export function derivedId(node, stream, seq) {
  return (
    BigInt(node).toString(16).padStart(8, "0") +
    BigInt(stream).toString(16).padStart(4, "0") +
    BigInt(seq).toString(16).padStart(16, "0")
  );
}

export const idOf = (e) => e.id ?? derivedId(e.node, e.stream, e.seq);

/** The 56-hex canonical key of an event in the JSON form. */
export function keyOf(e) {
  return (
    BigInt(e.lamport).toString(16).padStart(16, "0") +
    BigInt(e.node).toString(16).padStart(8, "0") +
    BigInt(e.stream).toString(16).padStart(4, "0") +
    idOf(e)
  );
}

/** JSON text of events whose integers may be BigInt (decoded from binary), exact. */
export function eventsJson(events) {
  const text = JSON.stringify(events, (_, v) => (typeof v === "bigint" ? `\u0000big${v}` : v));
  return text.replace(/"\\u0000big(\d+)"/g, "$1");
}

/** The canonical binary encoding of one JSON-form event (FORMATS.md "Event encoding"). */
export function encodeEvent(e) {
  const deps = [...new Set(e.deps ?? [])].sort();
  const payload = e.payload ? fromBase64(e.payload) : new Uint8Array(0);
  const out = new Uint8Array(28 + 8 + 4 + 14 * deps.length + 4 + payload.length);
  const view = new DataView(out.buffer);
  out.set(fromHex(keyOf(e)), 0);
  view.setBigUint64(28, BigInt(e.seq));
  view.setUint32(36, deps.length);
  deps.forEach((d, i) => out.set(fromHex(d), 40 + 14 * i));
  const at = 40 + 14 * deps.length;
  view.setUint32(at, payload.length);
  out.set(payload, at + 4);
  return out;
}

/** Concatenated canonical events (the binary batch form). */
export function encodeEvents(events) {
  const parts = events.map(encodeEvent);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const small = (big) => (big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);

/** Decodes concatenated canonical events into the JSON form (integers above 2^53 stay BigInt). */
export function decodeEvents(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let at = 0;
  const need = (n, what) => {
    if (at + n > bytes.length) throw new Error(`event ${out.length}: truncated ${what} at byte ${at}`);
  };
  while (at < bytes.length) {
    need(40, "header");
    const lamport = small(view.getBigUint64(at));
    const node = view.getUint32(at + 8);
    const stream = view.getUint16(at + 12);
    const id = toHex(bytes.subarray(at + 14, at + 28));
    const seq = small(view.getBigUint64(at + 28));
    const d = view.getUint32(at + 36);
    at += 40;
    need(14 * d + 4, "deps");
    const deps = [];
    for (let i = 0; i < d; i++, at += 14) deps.push(toHex(bytes.subarray(at, at + 14)));
    const p = view.getUint32(at);
    at += 4;
    need(p, "payload");
    const payload = toBase64(bytes.subarray(at, at + p));
    at += p;
    const e = { lamport, node, stream, seq, id };
    if (deps.length) e.deps = deps;
    if (p) e.payload = payload;
    out.push(e);
  }
  return out;
}

/**
 * The events of an .omega log's valid prefix as concatenated canonical bytes
 * (FORMATS.md "Framed log": 16-byte header, then `length u32 | CRC u32 | event`,
 * big-endian). CRCs are the blob's job (`ingest`); this only cuts frames.
 */
export function logEvents(log, validBytes = log.length) {
  if (log.length < 16 || String.fromCharCode(...log.subarray(0, 4)) !== "OMGL") throw new Error("not an .omega log (no OMGL header)");
  const view = new DataView(log.buffer, log.byteOffset, log.byteLength);
  const parts = [];
  let at = 16;
  while (at + 8 <= validBytes) {
    const n = view.getUint32(at);
    if (at + 8 + n > validBytes) break;
    parts.push(log.subarray(at + 8, at + 8 + n));
    at += 8 + n;
  }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Events in canonical order (by key, then by encoding for identical keys), duplicates kept. */
export function canonicalOrder(events) {
  return events
    .map((e) => ({ e, k: keyOf(e) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.e);
}

/** SplitMix64 (as core/src/sample.rs), for deterministic payloads. */
export function splitmix(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  const M = (1n << 64n) - 1n;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & M;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
    return z ^ (z >> 31n);
  };
}

/**
 * A deterministic batch that extends an ok result: `rounds` more events on
 * every stream the result has a head for (seq from head + 1), Lamport times
 * above the result's frontier (so every key is after it), about half of them
 * depending on another stream's event of the round before, 32-byte payloads
 * from SplitMix64 seeded by `batch`. Same inputs, same events: a reload gives
 * the same hashes.
 */
export function followOnBatch(result, batch, rounds = 50) {
  const heads = (result.heads ?? []).map((h) => ({ node: h.node, stream: h.stream, seq: BigInt(h.seq) }));
  if (heads.length === 0) for (let n = 1; n <= 2; n++) heads.push({ node: n, stream: 0, seq: -1n });
  const base = result.frontier ? BigInt("0x" + result.frontier.slice(0, 16)) + 1n : 1n;
  const next = splitmix(0x6f6d656761n * 1000n + BigInt(batch));
  const out = [];
  for (let r = 0; r < rounds; r++) {
    for (const h of heads) {
      const seq = h.seq + 1n + BigInt(r);
      const e = { lamport: small(base + BigInt(r) * 4n + BigInt(h.node % 3)), node: h.node, stream: h.stream, seq: small(seq) };
      if (r > 0 && next() % 2n === 0n) {
        const d = heads[Number(next() % BigInt(heads.length))];
        if (d !== h) e.deps = [derivedId(d.node, d.stream, d.seq + BigInt(r))];
      }
      const payload = new Uint8Array(32);
      const v = new DataView(payload.buffer);
      for (let i = 0; i < 4; i++) v.setBigUint64(8 * i, next(), true);
      e.payload = toBase64(payload);
      out.push(e);
    }
  }
  return out;
}

/**
 * The tamper of the edge-node view: a copy of one event with one payload bit
 * flipped, added to the batch (the event's id now names two different byte
 * strings: equivocation, 1002). Picks node 2 / stream 1 / seq 100 as
 * `omega demo` does, else the middle event.
 */
export function tamperedCopy(events) {
  if (events.length === 0) throw new Error("no events to tamper with");
  const victim = events.find((e) => e.node === 2 && e.stream === 1 && Number(e.seq) === 100) ?? events[Math.floor(events.length / 2)];
  const payload = victim.payload ? fromBase64(victim.payload) : new Uint8Array(1);
  payload[0] ^= 0x01;
  return { victim, copy: { ...victim, id: idOf(victim), payload: toBase64(payload) } };
}
