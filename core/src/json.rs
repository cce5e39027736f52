//! The JSON forms: events in, results and errors out. Every engine (the CLI's
//! native path, the blob behind the host's raw ABI, the blob behind the JS
//! API) goes through these functions, so every engine parses and prints the
//! same bytes.
//!
//! Event form: an array of objects with `lamport`, `node`, `stream`, `seq`
//! (integers), optional `id` (28 lowercase hex characters; when absent,
//! [`EventId::derived`] of node, stream and seq), optional `deps` (array of ids;
//! sorted and deduplicated on input) and optional `payload` (standard base64
//! with padding). Any other field is an error.
use crate::error::ErrorCode;
use crate::event::{Event, Limits};
use crate::hex;
use crate::key::{EventId, Key};
use crate::merkle::CompactRange;
use crate::reconcile::{Evidence, Obstruction, Outcome, Summary, Violation};
use crate::state::{Head, State, StateError};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use core::fmt;
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a JSON input was refused. `index` is the event's position in the array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all (code 3001).
    Syntax {
        /// What the parser said, with line and column.
        detail: String,
    },
    /// A value of the wrong JSON type, a missing or unknown field (code 3002).
    Shape {
        /// Event index, when the problem is inside one event.
        index: Option<usize>,
        /// Field name, when known.
        field: Option<String>,
        /// What was wrong.
        detail: String,
    },
    /// An integer outside its field's range (code 3003).
    Range {
        /// Event index.
        index: usize,
        /// Field name.
        field: &'static str,
        /// The largest value allowed.
        max: u64,
    },
    /// Not 2N lowercase hex characters (code 3004).
    Hex {
        /// Event index.
        index: usize,
        /// Field name (`id` or `deps[i]`).
        field: String,
    },
    /// Not standard base64 (code 3005).
    Base64 {
        /// Event index.
        index: usize,
    },
    /// Over a configured limit (code 3006).
    Limit {
        /// Event index.
        index: usize,
        /// Field name.
        field: &'static str,
        /// How many there are.
        len: usize,
        /// The limit.
        max: u32,
    },
    /// The prior state is not a valid previous result (code 3201).
    Prior(String),
}

impl ErrorCode for JsonError {
    fn code(&self) -> u16 {
        match self {
            JsonError::Syntax { .. } => 3001,
            JsonError::Shape { .. } => 3002,
            JsonError::Range { .. } => 3003,
            JsonError::Hex { .. } => 3004,
            JsonError::Base64 { .. } => 3005,
            JsonError::Limit { .. } => 3006,
            JsonError::Prior(_) => 3201,
        }
    }
}

impl JsonError {
    /// The event index the error is about, if any.
    pub fn index(&self) -> Option<usize> {
        match self {
            JsonError::Shape { index, .. } => *index,
            JsonError::Range { index, .. }
            | JsonError::Hex { index, .. }
            | JsonError::Base64 { index }
            | JsonError::Limit { index, .. } => Some(*index),
            JsonError::Syntax { .. } | JsonError::Prior(_) => None,
        }
    }

    /// The field the error is about, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            JsonError::Shape { field, .. } => field.clone(),
            JsonError::Range { field, .. } | JsonError::Limit { field, .. } => Some((*field).to_string()),
            JsonError::Hex { field, .. } => Some(field.clone()),
            JsonError::Base64 { .. } => Some("payload".to_string()),
            JsonError::Syntax { .. } | JsonError::Prior(_) => None,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { detail } => write!(f, "input is not valid JSON: {detail}"),
            JsonError::Shape { index: Some(i), field: Some(fl), detail } => write!(f, "event {i}, field `{fl}`: {detail}"),
            JsonError::Shape { index: Some(i), field: None, detail } => write!(f, "event {i}: {detail}"),
            JsonError::Shape { index: None, field: Some(fl), detail } => write!(f, "field `{fl}`: {detail}"),
            JsonError::Shape { index: None, field: None, detail } => f.write_str(detail),
            JsonError::Range { index, field, max } => {
                write!(f, "event {index}, field `{field}`: expected an integer from 0 to {max}")
            }
            JsonError::Hex { index, field } => write!(
                f,
                "event {index}, field `{field}`: expected an event id, 28 lowercase hex characters"
            ),
            JsonError::Base64 { index } => {
                write!(f, "event {index}, field `payload`: expected standard base64 (A-Z a-z 0-9 + /, padded with =)")
            }
            JsonError::Limit { index, field, len, max } => {
                write!(f, "event {index}, field `{field}`: {len} is over the limit of {max}")
            }
            JsonError::Prior(why) => write!(f, "prior state: {why}"),
        }
    }
}

const FIELDS: [&str; 7] = ["lamport", "node", "stream", "seq", "id", "deps", "payload"];

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shape(index: usize, field: &str, detail: String) -> JsonError {
    JsonError::Shape { index: Some(index), field: Some(field.to_string()), detail }
}

fn int(obj: &Map<String, Value>, index: usize, field: &'static str, max: u64) -> Result<u64, JsonError> {
    let v = obj.get(field).ok_or_else(|| shape(index, field, "is missing".to_string()))?;
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(x) if x <= max => Ok(x),
            _ => Err(JsonError::Range { index, field, max }),
        },
        other => Err(shape(index, field, format!("expected an integer, found {}", json_type(other)))),
    }
}

fn event_id(v: &Value, index: usize, field: &str) -> Result<EventId, JsonError> {
    match v {
        Value::String(s) => EventId::from_hex(s).ok_or_else(|| JsonError::Hex { index, field: field.to_string() }),
        other => Err(shape(index, field, format!("expected a string of 28 hex characters, found {}", json_type(other)))),
    }
}

fn parse_event(v: &Value, index: usize, limits: &Limits) -> Result<Event, JsonError> {
    let Value::Object(obj) = v else {
        return Err(JsonError::Shape {
            index: Some(index),
            field: None,
            detail: format!("expected an object, found {}", json_type(v)),
        });
    };
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(shape(index, unknown, "is not a known field (lamport, node, stream, seq, id, deps, payload)".to_string()));
    }
    let lamport = int(obj, index, "lamport", u64::MAX)?;
    let node = u32::try_from(int(obj, index, "node", u64::from(u32::MAX))?).unwrap_or(u32::MAX);
    let stream = u16::try_from(int(obj, index, "stream", u64::from(u16::MAX))?).unwrap_or(u16::MAX);
    let seq = int(obj, index, "seq", u64::MAX)?;
    let id = match obj.get("id") {
        None => EventId::derived(node, stream, seq),
        Some(v) => event_id(v, index, "id")?,
    };
    let deps = match obj.get("deps") {
        None => Vec::new(),
        Some(Value::Array(a)) => {
            if a.len() > usize::try_from(limits.max_deps).unwrap_or(usize::MAX) {
                return Err(JsonError::Limit { index, field: "deps", len: a.len(), max: limits.max_deps });
            }
            a.iter().enumerate().map(|(i, d)| event_id(d, index, &format!("deps[{i}]"))).collect::<Result<Vec<_>, _>>()?
        }
        Some(other) => return Err(shape(index, "deps", format!("expected an array of ids, found {}", json_type(other)))),
    };
    let payload = match obj.get("payload") {
        None => Vec::new(),
        Some(Value::String(s)) => {
            let max = usize::try_from(limits.max_payload).unwrap_or(usize::MAX);
            // base64 expands 3 bytes to 4 characters: refuse before decoding.
            if s.len() / 4 * 3 > max.saturating_add(2) {
                return Err(JsonError::Limit { index, field: "payload", len: s.len() / 4 * 3, max: limits.max_payload });
            }
            let bytes = STANDARD.decode(s).map_err(|_| JsonError::Base64 { index })?;
            if bytes.len() > max {
                return Err(JsonError::Limit { index, field: "payload", len: bytes.len(), max: limits.max_payload });
            }
            bytes
        }
        Some(other) => return Err(shape(index, "payload", format!("expected a base64 string, found {}", json_type(other)))),
    };
    Ok(Event::new(lamport, node, stream, id, seq, deps, payload))
}

fn parse_value(text: &[u8]) -> Result<Value, JsonError> {
    serde_json::from_slice(text).map_err(|e| JsonError::Syntax { detail: e.to_string() })
}

/// Parses one event object (the text of one array element); `index` is the
/// position errors name.
pub fn parse_one(text: &[u8], index: usize, limits: &Limits) -> Result<Event, JsonError> {
    parse_event(&parse_value(text)?, index, limits)
}

/// Parses the JSON event form.
pub fn parse_events(text: &[u8], limits: &Limits) -> Result<Vec<Event>, JsonError> {
    match parse_value(text)? {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| parse_event(v, i, limits)).collect(),
        other => Err(JsonError::Shape {
            index: None,
            field: None,
            detail: format!("expected an array of events, found {}", json_type(&other)),
        }),
    }
}

/// Renders events in the JSON event form (every field explicit), one event per line.
pub fn events_to_json(events: &[Event]) -> Vec<u8> {
    #[derive(Serialize)]
    struct E<'a> {
        lamport: u64,
        node: u32,
        stream: u16,
        seq: u64,
        id: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        deps: Vec<String>,
        #[serde(skip_serializing_if = "str::is_empty")]
        payload: &'a str,
    }
    let mut out = Vec::from(&b"["[..]);
    for (i, e) in events.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
        let payload = STANDARD.encode(e.payload());
        let row = E {
            lamport: e.lamport(),
            node: e.node(),
            stream: e.stream(),
            seq: e.seq(),
            id: e.id().to_hex(),
            deps: e.deps().iter().map(EventId::to_hex).collect(),
            payload: &payload,
        };
        // Serialising plain structs of strings and integers cannot fail.
        out.extend(serde_json::to_vec(&row).unwrap_or_default());
    }
    out.extend_from_slice(if events.is_empty() { b"]\n" } else { b"\n]\n" });
    out
}

// ---------- results ----------

#[derive(Serialize)]
struct HeadJson {
    node: u32,
    stream: u16,
    seq: u64,
    id: String,
    key: String,
    leaf_hash: String,
}

impl From<&Head> for HeadJson {
    fn from(h: &Head) -> Self {
        HeadJson {
            node: h.node,
            stream: h.stream,
            seq: h.seq,
            id: h.id().to_hex(),
            key: h.key.to_hex(),
            leaf_hash: hex::encode(&h.leaf_hash),
        }
    }
}

#[derive(Serialize)]
struct OkJson {
    status: &'static str,
    tree_size: u64,
    root: String,
    state_hash: String,
    frontier: Option<String>,
    prior_tree_size: u64,
    prior_root: String,
    prior_state_hash: String,
    appended: u64,
    duplicates: u64,
    heads: Vec<HeadJson>,
    compact_range: Vec<String>,
    consistency: Vec<String>,
}

#[derive(Serialize)]
struct EvidenceJson {
    key: String,
    seq: u64,
    leaf_hash: String,
    payload_sha256: Option<String>,
}

#[derive(Serialize)]
struct ViolationJson {
    code: u16,
    reason: &'static str,
    message: String,
    events: Vec<EvidenceJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dep: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frontier: Option<String>,
}

#[derive(Serialize)]
struct ObstructionJson {
    status: &'static str,
    prior_tree_size: u64,
    prior_root: String,
    prior_state_hash: String,
    duplicates: u64,
    evidence_hash: String,
    violations: Vec<ViolationJson>,
}

/// A sentence saying what a violation means.
pub fn violation_message(v: &Violation) -> String {
    use crate::reconcile::Reason::*;
    let first = v.events.first();
    let at = |e: Option<&Evidence>| match e {
        Some(e) => format!("node {} stream {}", e.key.node(), e.key.stream()),
        None => "an unknown stream".to_string(),
    };
    let dep = v.dep.map(|d| d.to_hex()).unwrap_or_default();
    match v.reason {
        Gap => format!(
            "{}: seq {} is missing; the sequence must be contiguous from the prior head (or from 0)",
            at(first),
            v.expected_seq.unwrap_or_default()
        ),
        Order => format!("{}: seq does not increase with the canonical key", at(first)),
        Stale => format!("{}: seq is at or below the prior head's but the event is not the head", at(first)),
        BeforeFrontier => format!("{}: the key does not sort after the prior frontier; the log is append-only", at(first)),
        IdConflict => "one event id names events with different bytes (equivocation)".to_string(),
        SeqConflict => format!("{}: one seq names events with different bytes (equivocation)", at(first)),
        Missing => format!("dependency {dep} is neither in the batch nor in the prior state"),
        NotBefore => format!("dependency {dep} has a Lamport time not below its dependent's"),
        Unprovable => format!(
            "dependency {dep} lies in the prior history and the prior state cannot prove its Lamport time is below the dependent's"
        ),
    }
}

fn evidence_json(e: &Evidence) -> EvidenceJson {
    EvidenceJson {
        key: e.key.to_hex(),
        seq: e.seq,
        leaf_hash: hex::encode(&e.leaf_hash),
        payload_sha256: e.payload_sha256.as_ref().map(|h| hex::encode(h)),
    }
}

fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    // Serialising these plain structs cannot fail; an empty body would show it if it did.
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The result JSON of a clean batch. It is also a valid `--prior` for the next batch.
pub fn summary_to_json(s: &Summary) -> Vec<u8> {
    pretty(&OkJson {
        status: "ok",
        tree_size: s.state.tree_size(),
        root: hex::encode(&s.state.root()),
        state_hash: hex::encode(&s.state_hash),
        frontier: s.state.frontier().map(|k| k.to_hex()),
        prior_tree_size: s.prior_tree_size,
        prior_root: hex::encode(&s.prior_root),
        prior_state_hash: hex::encode(&s.prior_state_hash),
        appended: s.appended,
        duplicates: s.duplicates,
        heads: s.state.heads().iter().map(HeadJson::from).collect(),
        compact_range: s.state.range().peaks().iter().map(|p| hex::encode(p)).collect(),
        consistency: s.consistency.iter().map(|p| hex::encode(p)).collect(),
    })
}

/// The result JSON of an obstructed batch.
pub fn obstruction_to_json(o: &Obstruction) -> Vec<u8> {
    pretty(&ObstructionJson {
        status: "obstruction",
        prior_tree_size: o.prior_tree_size,
        prior_root: hex::encode(&o.prior_root),
        prior_state_hash: hex::encode(&o.prior_state_hash),
        duplicates: o.duplicates,
        evidence_hash: hex::encode(&o.evidence_hash),
        violations: o
            .violations
            .iter()
            .map(|v| ViolationJson {
                code: v.code,
                reason: v.reason.as_str(),
                message: violation_message(v),
                events: v.events.iter().map(evidence_json).collect(),
                dep: v.dep.map(|d| d.to_hex()),
                expected_seq: v.expected_seq,
                frontier: v.frontier.map(|k| k.to_hex()),
            })
            .collect(),
    })
}

/// The result JSON of either outcome.
pub fn outcome_to_json(o: &Outcome) -> Vec<u8> {
    match o {
        Outcome::Ok(s) => summary_to_json(s),
        Outcome::Obstruction(x) => obstruction_to_json(x),
    }
}

/// The error JSON: `{"status": "error", "code": N, "message": "...", "index": i?, "field": "f"?}`.
pub fn error_to_json(code: u16, message: &str, index: Option<usize>, field: Option<&str>) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrJson<'a> {
        status: &'static str,
        code: u16,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<&'a str>,
    }
    pretty(&ErrJson { status: "error", code, message, index, field })
}

// ---------- prior state ----------

fn prior_err(s: impl Into<String>) -> JsonError {
    JsonError::Prior(s.into())
}

fn hex32(obj: &Map<String, Value>, field: &str) -> Result<[u8; 32], JsonError> {
    match obj.get(field) {
        Some(Value::String(s)) => hex::decode_array(s).ok_or_else(|| prior_err(format!("`{field}` is not 64 lowercase hex characters"))),
        _ => Err(prior_err(format!("`{field}` is missing or not a string"))),
    }
}

fn u64_field(obj: &Map<String, Value>, field: &str) -> Result<u64, JsonError> {
    obj.get(field).and_then(Value::as_u64).ok_or_else(|| prior_err(format!("`{field}` is missing or not a non-negative integer")))
}

fn key_field(obj: &Map<String, Value>, field: &str) -> Result<Key, JsonError> {
    match obj.get(field) {
        Some(Value::String(s)) => Key::from_hex(s).ok_or_else(|| prior_err(format!("`{field}` is not 56 lowercase hex characters"))),
        _ => Err(prior_err(format!("`{field}` is missing or not a string"))),
    }
}

/// Parses a prior state from a previous `ok` result (the JSON [`summary_to_json`]
/// prints). The root and state hash it carries are checked against the rest.
pub fn parse_prior(text: &[u8]) -> Result<State, JsonError> {
    let v = parse_value(text).map_err(|e| prior_err(e.to_string()))?;
    let Value::Object(obj) = v else { return Err(prior_err("expected the JSON object of a previous `ok` result")) };
    const KNOWN: [&str; 13] = [
        "status", "tree_size", "root", "state_hash", "frontier", "prior_tree_size", "prior_root", "prior_state_hash",
        "appended", "duplicates", "heads", "compact_range", "consistency",
    ];
    if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(prior_err(format!("unknown field `{k}`")));
    }
    match obj.get("status") {
        Some(Value::String(s)) if s == "ok" => {}
        _ => return Err(prior_err("only a result with \"status\": \"ok\" can be a prior state")),
    }
    let size = u64_field(&obj, "tree_size")?;
    let peaks = match obj.get("compact_range") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| p.as_str().and_then(hex::decode_array::<32>).ok_or_else(|| prior_err("`compact_range` holds a non-hash")))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(prior_err("`compact_range` is missing or not an array")),
    };
    let range = CompactRange::from_parts(size, peaks)
        .ok_or_else(|| prior_err("`compact_range` must hold one hash per set bit of `tree_size`"))?;
    let frontier = match obj.get("frontier") {
        Some(Value::Null) => None,
        Some(_) => Some(key_field(&obj, "frontier")?),
        None => return Err(prior_err("`frontier` is missing")),
    };
    let heads = match obj.get("heads") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|h| {
                let Value::Object(h) = h else { return Err(prior_err("`heads` holds a non-object")) };
                let node = u32::try_from(u64_field(h, "node")?).map_err(|_| prior_err("head `node` out of range"))?;
                let stream = u16::try_from(u64_field(h, "stream")?).map_err(|_| prior_err("head `stream` out of range"))?;
                let key = key_field(h, "key")?;
                if let Some(id) = h.get("id") {
                    if id.as_str() != Some(key.event_id().to_hex().as_str()) {
                        return Err(prior_err("a head's `id` is not the id inside its `key`"));
                    }
                }
                Ok(Head { node, stream, seq: u64_field(h, "seq")?, key, leaf_hash: hex32(h, "leaf_hash")? })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(prior_err("`heads` is missing or not an array")),
    };
    let state = State::from_parts(range, frontier, heads).map_err(|e: StateError| prior_err(e.to_string()))?;
    if hex32(&obj, "root")? != state.root() {
        return Err(prior_err(StateError::RootMismatch.to_string()));
    }
    if hex32(&obj, "state_hash")? != state.state_hash() {
        return Err(prior_err(StateError::StateHashMismatch.to_string()));
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile;

    fn err(text: &str) -> JsonError {
        parse_events(text.as_bytes(), &Limits::default()).unwrap_err()
    }

    #[test]
    fn errors_name_index_and_field() {
        assert_eq!(err("[").code(), 3001);
        assert_eq!(err("{}").code(), 3002);
        let e = err(r#"[{"lamport":1,"node":1,"stream":0,"seq":0},{"lamport":1,"node":"x","stream":0,"seq":1}]"#);
        assert_eq!((e.code(), e.index(), e.field().as_deref()), (3002, Some(1), Some("node")));
        let e = err(r#"[{"lamport":1,"node":4294967296,"stream":0,"seq":0}]"#);
        assert_eq!((e.code(), e.field().as_deref()), (3003, Some("node")));
        let e = err(r#"[{"lamport":-1,"node":1,"stream":0,"seq":0}]"#);
        assert_eq!(e.code(), 3003);
        let e = err(r#"[{"lamport":1.5,"node":1,"stream":0,"seq":0}]"#);
        assert_eq!(e.code(), 3003);
        let e = err(r#"[{"lamport":1,"node":1,"stream":0,"seq":0,"id":"ZZ"}]"#);
        assert_eq!((e.code(), e.field().as_deref()), (3004, Some("id")));
        let e = err(r#"[{"lamport":1,"node":1,"stream":0,"seq":0,"deps":["00"]}]"#);
        assert_eq!((e.code(), e.field().as_deref()), (3004, Some("deps[0]")));
        let e = err(r#"[{"lamport":1,"node":1,"stream":0,"seq":0,"payload":"***"}]"#);
        assert_eq!(e.code(), 3005);
        let e = err(r#"[{"lamport":1,"node":1,"stream":0,"seq":0,"colour":1}]"#);
        assert_eq!((e.code(), e.field().as_deref()), (3002, Some("colour")));
        let e = err(r#"[{"node":1,"stream":0,"seq":0}]"#);
        assert_eq!((e.code(), e.field().as_deref()), (3002, Some("lamport")));
        let small = Limits { max_payload: 2, max_deps: 1 };
        let e = parse_events(br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"payload":"AAAA"}]"#, &small).unwrap_err();
        assert_eq!(e.code(), 3006);
    }

    #[test]
    fn events_roundtrip_and_prior_roundtrip() {
        let h = crate::sample::history(3, crate::sample::Shape { nodes: 2, streams: 2, per_stream: 5, payload: 7 });
        let text = events_to_json(&h);
        let back = parse_events(&text, &Limits::default()).unwrap();
        assert_eq!(back, h);
        let Outcome::Ok(s) = reconcile(&State::new(), &h) else { panic!() };
        let j = summary_to_json(&s);
        assert_eq!(parse_prior(&j).unwrap(), s.state);
        // tampering with the state hash is caught
        let text = String::from_utf8(j).unwrap();
        let root = hex::encode(&s.state.root());
        let tampered = text.replacen(&root, &"0".repeat(64), 1);
        assert_eq!(parse_prior(tampered.as_bytes()).unwrap_err().code(), 3201);
    }
}
