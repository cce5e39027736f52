// Small pure helpers of the edge node (no DOM, no blob). They hold no kernel
// format: the event encoding and its JSON form, canonical order, .omega
// frames, signed notes and the follow-on batches are the blob's
// (encodeEvents, decodeEvents, splitEvents, canonicalOrder, logEvents,
// parseNote, sampleBatch). Plain ES module: the worker imports it, and so
// can Node.

/** The embedded sample: `sampleHistoryJson(...SAMPLE_ARGS)` is tests/vectors/reconcile/demo-sample.in.json. */
export const SAMPLE_ARGS = [2026, 4, 3, 250, 32, 11];

/** Events per stream in each batch the chain view certifies on top (`sampleBatch(prior, height, BATCH_ROUNDS)`). */
export const BATCH_ROUNDS = 50;

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

/** The byte arrays one after the other, in one array. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * JSON event text (a non-empty JSON array) with `event` appended; the
 * events already there keep their exact text, so integers above 2^53 stay exact.
 */
export function withEvent(text, event) {
  const head = text.trimEnd();
  if (!head.endsWith("]")) throw new Error("not a JSON array of events");
  return `${head.slice(0, -1).trimEnd()},\n  ${JSON.stringify(event)}\n]\n`;
}

/**
 * The tamper of the edge-node view: a copy of one event (in the JSON event
 * form `decodeEvents` writes, with its id) with one payload bit flipped,
 * added to the batch (the event's id now names two different byte strings:
 * equivocation, 1002). Picks node 2 / stream 1 / seq 100 as `omega demo`
 * does, else the middle event.
 */
export function tamperedCopy(events) {
  if (events.length === 0) throw new Error("no events to tamper with");
  const victim = events.find((e) => e.node === 2 && e.stream === 1 && Number(e.seq) === 100) ?? events[Math.floor(events.length / 2)];
  const payload = victim.payload ? fromBase64(victim.payload) : new Uint8Array(1);
  payload[0] ^= 0x01;
  return { victim, copy: { ...victim, payload: toBase64(payload) } };
}
