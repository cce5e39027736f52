//! The formats half of the JS API: the canonical binary event encoding and
//! its JSON form, canonical order, the events of an `.omega` log, C2SP signed
//! notes (and the omega checkpoint they carry), and a deterministic batch on
//! top of a result. Each is the kernel's own code, so a JS host (the web page)
//! keeps no copy of any format.
//!
//! The work is done by plain Rust functions (tested natively below); the
//! `#[wasm_bindgen]` wrappers only move bytes and turn failures into thrown
//! `Error`s with the stable `code` (and `index`/`field` where known).
use crate::certify::bytes_of;
use crate::js_error;
use omega_core::api::code;
use omega_core::certify::cert::Checkpoint;
use omega_core::event::frame::Frames;
use omega_core::certify::note::Note;
use omega_core::event::sample::SplitMix64;
use omega_core::api::json;
use omega_core::{ErrorCode, Event, EventId, Limits, State, hex};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One signature line of a signed note: key name, key id (8 hex digits), and the signature bytes after the id. */
export interface NoteSignature { name: string; key_id: string; signature: Uint8Array }
/** An omega checkpoint (a certificate's signed text), field by field; hashes in lowercase hex. */
export interface Checkpoint {
  /** SHA-256 of the checkpoint text: the certificate's identity, named by its successor's `prev`. */
  hash: string;
  origin: string;
  tree_size: number;
  root: string;
  kind: "state" | "obstruction" | "ecs";
  height: number;
  /** The previous checkpoint's hash; null exactly at genesis (height 0). */
  prev: string | null;
  state_hash: string;
  committee: string | null;
  evidence: string | null;
  tick: number | null;
  /** The RFC 9162 consistency proof from the previous tree (empty at genesis). */
  consistency: string[];
}
/** A C2SP signed note: its signed text, its signature lines, and the omega checkpoint the text holds (null when it holds none). */
export interface ParsedNote { body: string; signatures: NoteSignature[]; checkpoint: Checkpoint | null }
"#;

/// A failure: code, message, and the event index and field when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub code: u16,
    pub message: String,
    pub index: Option<usize>,
    pub field: Option<String>,
}

impl Fail {
    fn of(e: &(impl ErrorCode + core::fmt::Display)) -> Self {
        Fail { code: e.code(), message: e.to_string(), index: None, field: None }
    }

    fn into_js(self) -> JsValue {
        js_error(self.code, &self.message, self.index, self.field.as_deref())
    }
}

fn to_js<T>(r: Result<T, Fail>) -> Result<T, JsValue> {
    r.map_err(Fail::into_js)
}

// ---- the plain functions ---------------------------------------------------

/// Events in the JSON event form (code 30xx, with index and field).
pub(crate) fn parse_json_events(text: &[u8]) -> Result<Vec<Event>, Fail> {
    json::parse_events(text, &Limits::default()).map_err(|e| Fail { index: e.index(), field: e.field(), ..Fail::of(&e) })
}

/// Concatenated canonical binary events (code 31xx, with the index).
pub(crate) fn decode_binary(bytes: &[u8]) -> Result<Vec<Event>, Fail> {
    Event::decode_all(bytes, &Limits::default()).map_err(|(i, at, e)| Fail {
        message: format!("event {i} (starting at byte {at}): {e}"),
        index: Some(i),
        ..Fail::of(&e)
    })
}

/// The canonical encodings of `events`, concatenated.
pub(crate) fn encode_all(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.iter().map(Event::encoded_len).sum());
    for e in events {
        e.encode_into(&mut out);
    }
    out
}

/// Where each event of concatenated canonical events starts and ends.
pub(crate) fn event_spans(bytes: &[u8]) -> Result<Vec<(usize, usize)>, Fail> {
    let limits = Limits::default();
    let mut spans = Vec::new();
    let mut at = 0usize;
    while let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) {
        let i = spans.len();
        let (_, used) = Event::decode(rest, &limits).map_err(|e| Fail {
            message: format!("event {i} (starting at byte {at}): {e}"),
            index: Some(i),
            ..Fail::of(&e)
        })?;
        spans.push((at, at + used));
        at += used;
    }
    Ok(spans)
}

/// Canonical order: by key, ties by leaf hash (as reconcile orders them),
/// byte-identical duplicates dropped: the history's Merkle leaves in tree order.
pub(crate) fn canonical_order(events: Vec<Event>) -> Vec<Event> {
    let mut items: Vec<_> = events.into_iter().map(|e| (e.key(), e.leaf_hash(), e)).collect();
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    items.dedup_by(|a, b| a.2 == b.2);
    items.into_iter().map(|(_, _, e)| e).collect()
}

/// The events of a log's valid prefix (every frame before the first bad one),
/// concatenated; an error only when the header is bad (code 380x).
pub(crate) fn log_events(log: &[u8]) -> Result<Vec<u8>, Fail> {
    let frames = Frames::new(log).map_err(|e| Fail::of(&e))?;
    let mut out = Vec::new();
    for f in frames {
        match f {
            Ok(f) => out.extend_from_slice(f.event.bytes()),
            Err(_) => break,
        }
    }
    Ok(out)
}

/// Most memory a batch made in the blob may take, counted as `omega sample` counts it.
const BATCH_EVENT_MEMORY: u64 = 32 + 128;

/// A deterministic batch extending `prior`: `rounds` more events on every
/// stream it has a head for (seq from head + 1; on the empty history, streams
/// (1, 0) and (2, 0) from seq 0), Lamport times above its frontier (round r of
/// node n at frontier + 1 + 4r + n mod 3), about half of them (from the second
/// round) depending on another stream's event of the round before, 32-byte
/// payloads; every choice and byte from SplitMix64 seeded by `batch`. Code 4101
/// when it would not fit in memory or a seq or Lamport time would pass 2^64 − 1.
pub(crate) fn extension(prior: &State, batch: u64, rounds: u64) -> Result<Vec<Event>, Fail> {
    let refuse = |m: String| Fail { code: code::SAMPLE_SHAPE, message: format!("sample batch: {m}"), index: None, field: None };
    // (node, stream, first seq of the batch)
    let mut heads: Vec<(u32, u16, u64)> = Vec::new();
    for h in prior.heads() {
        let first = h.seq.checked_add(1).ok_or_else(|| refuse(format!("stream ({}, {}) is at the last seq", h.node, h.stream)))?;
        heads.push((h.node, h.stream, first));
    }
    if heads.is_empty() {
        heads = vec![(1, 0, 0), (2, 0, 0)];
    }
    let n = u64::try_from(heads.len()).unwrap_or(u64::MAX).saturating_mul(rounds);
    if n.saturating_mul(BATCH_EVENT_MEMORY) > crate::JS_SAMPLE_MEMORY {
        return Err(refuse(format!(
            "{} streams × {rounds} rounds is {n} events, about {} bytes in memory; the limit in the browser and Node is {}",
            heads.len(),
            n.saturating_mul(BATCH_EVENT_MEMORY),
            crate::JS_SAMPLE_MEMORY
        )));
    }
    let base = match prior.frontier() {
        Some(k) => k.lamport().checked_add(1).ok_or_else(|| refuse("the frontier's Lamport time is the last one".into()))?,
        None => 1,
    };
    // the last round's seqs and Lamport times must fit in a u64
    let last = rounds.saturating_sub(1);
    let too_far = |what: &str| refuse(format!("{rounds} rounds take a {what} past 2^64 - 1"));
    base.checked_add(last.checked_mul(4).ok_or_else(|| too_far("Lamport time"))?)
        .and_then(|l| l.checked_add(2))
        .ok_or_else(|| too_far("Lamport time"))?;
    if heads.iter().any(|h| h.2.checked_add(last).is_none()) {
        return Err(too_far("seq"));
    }
    let mut rng = SplitMix64::new(0x6f_6d65_6761_u64.wrapping_mul(1000).wrapping_add(batch));
    let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for r in 0..rounds {
        for (i, &(node, stream, first)) in heads.iter().enumerate() {
            let seq = first + r;
            let lamport = base + 4 * r + u64::from(node % 3);
            let mut deps = Vec::new();
            if r > 0 && rng.next_u64().is_multiple_of(2) {
                let j = usize::try_from(rng.next_u64() % heads.len() as u64).unwrap_or(0);
                if let Some(&(dn, ds, dfirst)) = heads.get(j).filter(|_| j != i) {
                    deps.push(EventId::derived(dn, ds, dfirst + r - 1));
                }
            }
            let mut payload = Vec::with_capacity(32);
            for _ in 0..4 {
                payload.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            out.push(Event::new(lamport, node, stream, EventId::derived(node, stream, seq), seq, deps, payload));
        }
    }
    Ok(out)
}

// ---- the JS face --------------------------------------------------------------

/// Events from JS: a Uint8Array holds concatenated canonical binary events,
/// anything else is the JSON event form (an array of objects, or its text).
fn events_of(v: &JsValue) -> Result<Vec<Event>, JsValue> {
    let bytes = bytes_of(v)?;
    to_js(if v.is_instance_of::<js_sys::Uint8Array>() { decode_binary(&bytes) } else { parse_json_events(&bytes) })
}

fn set(obj: &js_sys::Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    js_sys::Reflect::set(obj, &key.into(), value).map(|_| ())
}

fn hex_or_null(h: Option<&omega_core::Hash>) -> JsValue {
    h.map_or(JsValue::NULL, |h| JsValue::from_str(&hex::encode(h)))
}

/// The canonical binary encoding (docs/FORMATS.md "Event encoding") of
/// events in the JSON event form, concatenated (the binary batch form).
/// Throws the JSON error codes (30xx, with `index` and `field`).
#[wasm_bindgen(js_name = encodeEvents)]
pub fn encode_events(#[wasm_bindgen(unchecked_param_type = "EventsInput")] events: JsValue) -> Result<Vec<u8>, JsValue> {
    let bytes = bytes_of(&events)?;
    Ok(encode_all(&to_js(parse_json_events(&bytes))?))
}

/// Concatenated canonical binary events as JSON event text, byte for byte
/// what `omega` writes (every field explicit, one event a line). Throws the
/// binary decoding codes (31xx, with `index`).
#[wasm_bindgen(js_name = decodeEvents)]
pub fn decode_events(bytes: &[u8]) -> Result<String, JsValue> {
    let events = to_js(decode_binary(bytes))?;
    Ok(String::from_utf8_lossy(&json::events_to_json(&events)).into_owned())
}

/// Each event of concatenated canonical binary events, as its own bytes, in
/// the given order. Throws the binary decoding codes (31xx, with `index`).
#[wasm_bindgen(js_name = splitEvents, unchecked_return_type = "Uint8Array[]")]
pub fn split_events(bytes: &[u8]) -> Result<js_sys::Array, JsValue> {
    let spans = to_js(event_spans(bytes))?;
    Ok(spans.iter().map(|&(a, b)| JsValue::from(js_sys::Uint8Array::from(bytes.get(a..b).unwrap_or_default()))).collect())
}

/// Events (an array of objects, JSON text, or canonical binary events) in
/// canonical order: by key, ties by leaf hash, byte-identical duplicates
/// dropped. That is the order of the history's Merkle leaves, so event i of
/// the result is leaf i of an `ok` result's tree. Returns concatenated
/// canonical binary events.
#[wasm_bindgen(js_name = canonicalOrder)]
pub fn canonical_order_js(
    #[wasm_bindgen(unchecked_param_type = "EventsInput | Uint8Array")] events: JsValue,
) -> Result<Vec<u8>, JsValue> {
    Ok(encode_all(&canonical_order(events_of(&events)?)))
}

/// The events of an `.omega` log's valid prefix (every frame before the first
/// bad one: what `ingest` reports as `valid_bytes`), as concatenated
/// canonical binary events. Throws (380x) only when the header is bad.
#[wasm_bindgen(js_name = logEvents)]
pub fn log_events_js(log: &[u8]) -> Result<Vec<u8>, JsValue> {
    to_js(log_events(log))
}

/// A deterministic batch on top of `prior` (an `ok` result object or its
/// JSON text, a binary state, or undefined for the empty history): `rounds`
/// more events on every stream the prior has a head for, Lamport times past
/// its frontier, about half with a dependency on another stream's event of
/// the round before, 32-byte payloads, all from SplitMix64 seeded by `batch`.
/// The same inputs give the same bytes; the batch reconciles cleanly on the
/// prior. Returns concatenated canonical binary events. Throws 3201 for a
/// prior that is not a state, 4101 for a batch over 1 GiB of memory.
#[wasm_bindgen(js_name = sampleBatch)]
pub fn sample_batch(
    #[wasm_bindgen(unchecked_param_type = "PriorInput | undefined")] prior: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] batch: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] rounds: JsValue,
) -> Result<Vec<u8>, JsValue> {
    let batch = crate::int_arg(&batch, "batch", 0, crate::MAX_SAFE_INTEGER, code::ARGUMENT)?;
    let rounds = crate::int_arg(&rounds, "rounds", 0, crate::MAX_SAFE_INTEGER, code::ARGUMENT)?;
    let state = omega_core::api::abi::parse_any_prior(&crate::prior_bytes(&prior)?).map_err(|(code, msg)| js_error(code, &msg, None, None))?;
    Ok(encode_all(&to_js(extension(&state, batch, rounds))?))
}

/// Parses a C2SP signed note (text, or its UTF-8 bytes) strictly:
/// `{ body, signatures, checkpoint }`, where `checkpoint` is the omega
/// checkpoint the body holds, field by field, or null when the body is not
/// one. Throws 3501 for a malformed note. Verifies nothing: that is
/// `verifyCertificate`'s job.
#[wasm_bindgen(js_name = parseNote, unchecked_return_type = "ParsedNote")]
pub fn parse_note(#[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] note: JsValue) -> Result<JsValue, JsValue> {
    let n = Note::parse(&bytes_of(&note)?).map_err(|e| Fail::of(&e).into_js())?;
    let out = js_sys::Object::new();
    set(&out, "body", &JsValue::from_str(&n.text))?;
    let sigs = js_sys::Array::new();
    for s in &n.signatures {
        let o = js_sys::Object::new();
        set(&o, "name", &JsValue::from_str(&s.name))?;
        set(&o, "key_id", &JsValue::from_str(&format!("{:08x}", s.id)))?;
        set(&o, "signature", &js_sys::Uint8Array::from(s.sig.as_slice()).into())?;
        sigs.push(&o);
    }
    set(&out, "signatures", &sigs)?;
    let cp = match Checkpoint::parse(&n.text) {
        Ok(cp) => checkpoint_js(&cp)?,
        Err(_) => JsValue::NULL,
    };
    set(&out, "checkpoint", &cp)?;
    Ok(out.into())
}

#[allow(clippy::cast_precision_loss)]
fn checkpoint_js(cp: &Checkpoint) -> Result<JsValue, JsValue> {
    let o = js_sys::Object::new();
    set(&o, "hash", &JsValue::from_str(&hex::encode(&cp.hash())))?;
    set(&o, "origin", &JsValue::from_str(&cp.origin))?;
    set(&o, "tree_size", &JsValue::from(cp.tree_size as f64))?;
    set(&o, "root", &JsValue::from_str(&hex::encode(&cp.root)))?;
    set(&o, "kind", &JsValue::from_str(cp.kind.as_str()))?;
    set(&o, "height", &JsValue::from(cp.height as f64))?;
    set(&o, "prev", &hex_or_null(cp.prev.as_ref()))?;
    set(&o, "state_hash", &JsValue::from_str(&hex::encode(&cp.state_hash)))?;
    set(&o, "committee", &hex_or_null(cp.committee.as_ref()))?;
    set(&o, "evidence", &hex_or_null(cp.evidence.as_ref()))?;
    set(&o, "tick", &cp.tick.map_or(JsValue::NULL, |t| JsValue::from(t as f64)))?;
    let proof: js_sys::Array = cp.consistency.iter().map(|h| JsValue::from_str(&hex::encode(h))).collect();
    set(&o, "consistency", &proof)?;
    Ok(o.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use omega_core::event::sample::{self, Shape};
    use omega_core::{Outcome, reconcile};

    fn sample() -> Vec<Event> {
        sample::history(5, Shape { nodes: 3, streams: 2, per_stream: 20, payload: 16 })
    }

    #[test]
    fn json_and_binary_round_trip() {
        let ev = sample();
        let text = json::events_to_json(&ev);
        let bin = encode_all(&parse_json_events(&text).unwrap());
        assert_eq!(decode_binary(&bin).unwrap(), ev);
        let spans = event_spans(&bin).unwrap();
        assert_eq!(spans.len(), ev.len());
        for ((a, b), e) in spans.iter().zip(&ev) {
            assert_eq!(&bin[*a..*b], e.encode().as_slice());
        }
        assert_eq!(spans.last().unwrap().1, bin.len());
        // a truncated batch names the event it stops in
        let f = event_spans(&bin[..bin.len() - 1]).unwrap_err();
        assert_eq!((f.code, f.index), (3101, Some(ev.len() - 1)));
        let f = parse_json_events(br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"payload":"!"}]"#).unwrap_err();
        assert_eq!((f.code, f.index), (3005, Some(0)));
        assert_eq!(event_spans(&[]).unwrap(), vec![]);
    }

    #[test]
    fn canonical_order_is_the_tree_order_and_drops_duplicates() {
        let ev = sample();
        let mut shuffled = ev.clone();
        sample::shuffle(&mut shuffled, 9);
        shuffled.extend(ev.iter().take(7).cloned());
        let sorted = canonical_order(shuffled);
        assert_eq!(sorted.len(), ev.len());
        let leaves: Vec<_> = sorted.iter().map(Event::leaf_hash).collect();
        assert_eq!(leaves, omega_core::history_leaves(&ev).unwrap());
        // two events with one key: ordered by leaf hash, both kept
        let a = Event::new(9, 1, 0, EventId::derived(1, 0, 0), 0, vec![], vec![1]);
        let b = Event::new(9, 1, 0, EventId::derived(1, 0, 0), 0, vec![], vec![2]);
        let want = if a.leaf_hash() < b.leaf_hash() { vec![a.clone(), b.clone()] } else { vec![b.clone(), a.clone()] };
        assert_eq!(canonical_order(vec![b.clone(), a.clone(), b]), want);
    }

    #[test]
    fn log_events_are_the_valid_prefix() {
        let ev = sample();
        let log = omega_core::event::frame::encode_log(&ev);
        assert_eq!(log_events(&log).unwrap(), encode_all(&ev));
        // a torn tail: the frames before it
        let report = omega_core::event::frame::scan(&log[..log.len() - 3]);
        let prefix = log_events(&log[..log.len() - 3]).unwrap();
        assert_eq!(prefix, encode_all(&ev[..ev.len() - 1]));
        assert_eq!(report.frames, ev.len() as u64 - 1);
        // a flipped bit in frame 2's event: frames 0 and 1
        let mut bad = log.clone();
        let at = omega_core::event::frame::HEADER_LEN + 2 * 8 + ev[0].encoded_len() + ev[1].encoded_len() + 8 + 3;
        bad[at] ^= 1;
        assert_eq!(log_events(&bad).unwrap(), encode_all(&ev[..2]));
        assert_eq!(log_events(b"nope, not a log at all").unwrap_err().code, 3801);
        assert_eq!(log_events(&log[..10]).unwrap_err().code, 3803);
    }

    #[test]
    fn extension_is_deterministic_and_extends_the_prior() {
        let ev = sample();
        let Outcome::Ok(s) = reconcile(&State::new(), &ev) else { panic!("sample obstructs") };
        let state = s.state;
        let a = extension(&state, 1, 50).unwrap();
        assert_eq!(a, extension(&state, 1, 50).unwrap());
        assert_ne!(a, extension(&state, 2, 50).unwrap());
        assert_eq!(a.len(), 6 * 50);
        assert!(a.iter().all(|e| e.key() > state.frontier().unwrap() && e.payload().len() == 32));
        assert!(a.iter().any(|e| !e.deps().is_empty()));
        let Outcome::Ok(s2) = reconcile(&state, &a) else { panic!("the batch obstructs") };
        assert_eq!(s2.state.tree_size(), state.tree_size() + 300);
        // and again on top of that
        let b = extension(&s2.state, 2, 10).unwrap();
        assert!(matches!(reconcile(&s2.state, &b), Outcome::Ok(_)));
        // the empty history: streams (1, 0) and (2, 0) from seq 0
        let e = extension(&State::new(), 0, 3).unwrap();
        assert_eq!(e.iter().map(|e| (e.node(), e.stream(), e.seq())).collect::<Vec<_>>(), vec![(1, 0, 0), (2, 0, 0), (1, 0, 1), (2, 0, 1), (1, 0, 2), (2, 0, 2)]);
        assert!(matches!(reconcile(&State::new(), &e), Outcome::Ok(_)));
        assert!(extension(&state, 0, 0).unwrap().is_empty());
        assert_eq!(extension(&state, 0, u32::MAX.into()).unwrap_err().code, 4101);
    }
}
