//! The JSON forms: events in, results and errors out. Every engine (the CLI's
//! native path, the blob behind the host's raw ABI, the blob behind the JS
//! API) goes through these functions, so every engine parses and prints the
//! same bytes. The results and errors are the types of
//! [`response`](super::response) ([`ReconcileResult`], [`ErrorBody`]);
//! the functions here only name them for callers that hold kernel values.
//!
//! Event form: an array of objects with `lamport`, `node`, `stream`, `seq`
//! (integers), optional `id` (28 lowercase hex characters; when absent,
//! [`EventId::derived`] of node, stream and seq), optional `deps` (array of ids;
//! sorted and deduplicated on input) and optional `payload` (standard base64
//! with padding). Any other field is an error.
use crate::error::ErrorCode;
use crate::event::{Event, Limits};
use crate::hex;
use crate::event::key::{EventId, Key};
use crate::tree::merkle::CompactRange;
use crate::api::response::{ErrorBody, ReconcileOk, ReconcileResult, to_json};
use crate::reconcile::{Evidence, Outcome, Summary, Violation};
use crate::reconcile::state::{Head, State, StateError};
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
    /// A key appears twice in one JSON object (code 3007). JSON leaves
    /// duplicate keys undefined and parsers disagree (first or last wins), so
    /// omega refuses them in every JSON input it reads.
    Duplicate {
        /// Event index, when the input is an event array.
        index: Option<usize>,
        /// What the input is (`prior state`, `committee`, ...), or empty.
        within: &'static str,
        /// The repeated key (decoded: `"a"` and `"\u0061"` are the same key).
        key: String,
        /// Where the object is: `$` is the whole input, then `.name` or `[i]` per level.
        path: String,
        /// Line (from 1) of the second occurrence of the key.
        line: usize,
        /// Column (from 1, in bytes) of the second occurrence's opening quote.
        column: usize,
    },
    /// The prior state is not a valid previous result (code 3201).
    Prior(String),
}

impl ErrorCode for JsonError {
    fn code(&self) -> u16 {
        match self {
            JsonError::Syntax { .. } => crate::api::code::JSON_SYNTAX,
            JsonError::Shape { .. } => crate::api::code::JSON_SHAPE,
            JsonError::Range { .. } => crate::api::code::JSON_RANGE,
            JsonError::Hex { .. } => crate::api::code::JSON_HEX,
            JsonError::Base64 { .. } => crate::api::code::JSON_BASE64,
            JsonError::Limit { .. } => crate::api::code::JSON_LIMIT,
            JsonError::Duplicate { .. } => crate::api::code::JSON_DUPLICATE_KEY,
            JsonError::Prior(_) => crate::api::code::PRIOR,
        }
    }
}

impl JsonError {
    /// The event index the error is about, if any.
    pub fn index(&self) -> Option<usize> {
        match self {
            JsonError::Shape { index, .. } | JsonError::Duplicate { index, .. } => *index,
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
            JsonError::Duplicate { key, .. } => Some(key.clone()),
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
            JsonError::Duplicate { index, within, key, path, line, column } => {
                if let Some(i) = index {
                    write!(f, "event {i}: ")?;
                }
                if !within.is_empty() {
                    write!(f, "{within}: ")?;
                }
                write!(
                    f,
                    "duplicate key {} in the object at {path} (line {line}, column {column}); a key may appear only once in a JSON object",
                    quoted(key)
                )
            }
            JsonError::Prior(why) => write!(f, "prior state: {why}"),
        }
    }
}

impl JsonError {
    /// Names the input a [`JsonError::Duplicate`] is about (`"committee"`,
    /// `"proof JSON"`, ...); other errors are returned unchanged.
    #[must_use]
    pub fn within(self, what: &'static str) -> Self {
        match self {
            JsonError::Duplicate { index, key, path, line, column, .. } => {
                JsonError::Duplicate { index, within: what, key, path, line, column }
            }
            e => e,
        }
    }
}

/// A key as a JSON string literal (quotes, escapes), so any key prints on one line.
fn quoted(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_default()
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

// ---------- strict parsing: no duplicate keys ----------

/// Where a duplicate key was found (see [`find_duplicate`]).
struct Dup {
    key: String,
    path: String,
    /// The index in the top-level array the object sits in, if the input is an array.
    top_index: Option<usize>,
    offset: usize,
}

impl Dup {
    fn into_error(self, text: &[u8], index: Option<usize>) -> JsonError {
        let before = text.get(..self.offset).unwrap_or(text);
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|b| **b != b'\n').count();
        JsonError::Duplicate { index, within: "", key: self.key, path: self.path, line, column }
    }
}

enum Frame {
    /// An open object; its keys so far are `keys[start..]`, and `set` holds
    /// them too once there are more than [`LINEAR`] (so a huge object costs
    /// O(n log n), not O(n²)).
    Object { start: usize, set: Option<alloc::collections::BTreeSet<alloc::borrow::Cow<'static, str>>> },
    /// An open array and the index of its current element.
    Array { index: usize },
}

/// Objects with up to this many keys are checked by a linear search.
const LINEAR: usize = 16;

/// The end (index of the closing quote) of the string whose opening quote is at `open`.
fn string_end(text: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        match text.get(i)? {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The decoded text of the string literal `text[open..=end]`.
fn key_text(text: &[u8], open: usize, end: usize) -> Option<alloc::borrow::Cow<'_, str>> {
    let raw = text.get(open + 1..end)?;
    if raw.contains(&b'\\') {
        serde_json::from_slice::<String>(text.get(open..=end)?).ok().map(alloc::borrow::Cow::Owned)
    } else {
        core::str::from_utf8(raw).ok().map(alloc::borrow::Cow::Borrowed)
    }
}

fn render_path(frames: &[Frame], keys: &[alloc::borrow::Cow<'_, str>]) -> String {
    let mut p = String::from("$");
    for (n, f) in frames.iter().enumerate() {
        // The innermost frame is the object holding the duplicate: the path ends there.
        if n + 1 == frames.len() {
            break;
        }
        match f {
            Frame::Array { index } => p.push_str(&format!("[{index}]")),
            Frame::Object { .. } => {
                // The next object inward starts its keys right after this one's latest.
                let child_start = frames
                    .get(n + 1..)
                    .unwrap_or_default()
                    .iter()
                    .find_map(|f| if let Frame::Object { start, .. } = f { Some(*start) } else { None })
                    .unwrap_or(keys.len());
                let k = child_start.checked_sub(1).and_then(|i| keys.get(i)).map(|k| k.as_ref()).unwrap_or_default();
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    p.push('.');
                    p.push_str(k);
                } else {
                    p.push('[');
                    p.push_str(&quoted(k));
                    p.push(']');
                }
            }
        }
    }
    p
}

/// The first key that appears twice in one object of `text`, which must be
/// valid JSON (serde_json accepted it); keys are compared after decoding
/// escapes. One pass, no recursion: nesting depth costs no stack.
fn find_duplicate(text: &[u8]) -> Option<Dup> {
    use alloc::borrow::Cow;
    let mut frames: Vec<Frame> = Vec::new();
    // The keys of every open object, innermost last. An array frame between two
    // objects holds no keys, so an object's keys are contiguous.
    let mut keys: Vec<Cow<'_, str>> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'{' => {
                frames.push(Frame::Object { start: keys.len(), set: None });
                expect_key = true;
            }
            b'[' => {
                frames.push(Frame::Array { index: 0 });
                expect_key = false;
            }
            b'}' | b']' => {
                if let Some(Frame::Object { start, .. }) = frames.pop() {
                    keys.truncate(start);
                }
                expect_key = false;
            }
            b',' => match frames.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { .. }) => expect_key = true,
                None => {}
            },
            b'"' => {
                let end = string_end(text, i)?;
                if expect_key {
                    expect_key = false;
                    let k = key_text(text, i, end)?;
                    let depth = frames.len();
                    let Some(Frame::Object { start, set }) = frames.last_mut() else { return None };
                    let mine = keys.get(*start..).unwrap_or_default();
                    let seen = match set {
                        Some(s) => s.contains(k.as_ref()),
                        None => mine.contains(&k),
                    };
                    if seen {
                        let top_index = match frames.first() {
                            Some(Frame::Array { index }) if depth >= 2 => Some(*index),
                            _ => None,
                        };
                        let path = render_path(&frames, &keys);
                        return Some(Dup { key: k.into_owned(), path, top_index, offset: i });
                    }
                    if let Some(s) = set {
                        s.insert(Cow::Owned(k.clone().into_owned()));
                    } else if mine.len() >= LINEAR {
                        let mut s: alloc::collections::BTreeSet<Cow<'static, str>> =
                            mine.iter().map(|x| Cow::Owned(x.clone().into_owned())).collect();
                        s.insert(Cow::Owned(k.clone().into_owned()));
                        *set = Some(s);
                    }
                    keys.push(k);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses JSON text into a [`Value`] like `serde_json::from_slice`, but
/// refuses a key that appears twice in one object, at any depth (code 3007,
/// naming the key, the object's path and the line and column). serde_json
/// alone keeps the last value, another parser may keep the first: the same
/// file would mean two things. Text that is not JSON is a
/// [`JsonError::Syntax`] carrying serde_json's message.
pub fn parse_strict(text: &[u8]) -> Result<Value, JsonError> {
    parse_value(text, false)
}

/// [`parse_strict`]; with `events`, a duplicate inside element i of a
/// top-level array names event i.
fn parse_value(text: &[u8], events: bool) -> Result<Value, JsonError> {
    let v = serde_json::from_slice(text).map_err(|e| JsonError::Syntax { detail: e.to_string() })?;
    match find_duplicate(text) {
        None => Ok(v),
        Some(d) => {
            let index = if events { d.top_index } else { None };
            Err(d.into_error(text, index))
        }
    }
}

/// Parses one event object (the text of one array element); `index` is the
/// position errors name.
pub fn parse_one(text: &[u8], index: usize, limits: &Limits) -> Result<Event, JsonError> {
    let v = parse_value(text, false).map_err(|e| match e {
        JsonError::Duplicate { within, key, path, line, column, .. } => {
            JsonError::Duplicate { index: Some(index), within, key, path, line, column }
        }
        e => e,
    })?;
    parse_event(&v, index, limits)
}

/// Parses the JSON event form.
pub fn parse_events(text: &[u8], limits: &Limits) -> Result<Vec<Event>, JsonError> {
    match parse_value(text, true)? {
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
        Stale => format!("{}: seq is below the prior head's seq; the history there is already fixed", at(first)),
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

/// The result JSON of a clean batch ([`ReconcileOk`]). It is also a valid `--prior` for the next batch.
pub fn summary_to_json(s: &Summary) -> Vec<u8> {
    to_json(&ReconcileOk::from(s))
}

/// The result JSON of either outcome ([`ReconcileResult`]): what ops 1, 2 and 14 print.
pub fn outcome_to_json(o: &Outcome) -> Vec<u8> {
    to_json(&ReconcileResult::from(o))
}

/// The error JSON ([`ErrorBody`]): `{"status": "error", "code": N, "message": "...", "index": i?, "field": "f"?}`.
pub fn error_to_json(code: u16, message: &str, index: Option<usize>, field: Option<&str>) -> Vec<u8> {
    let mut body = ErrorBody::new(code, message);
    body.index = index;
    body.field = field.map(String::from);
    to_json(&body)
}

// ---------- prior state ----------

fn prior_err(s: impl Into<String>) -> JsonError {
    JsonError::Prior(s.into())
}

/// A 32-byte hash given as 64 lowercase hex digits under `field`: the one
/// accessor every JSON input (prior, result, proof) reads hashes with; each
/// maps `None` to its own error.
pub(crate) fn get_hash(obj: &Map<String, Value>, field: &str) -> Option<[u8; 32]> {
    obj.get(field).and_then(Value::as_str).and_then(hex::decode_array::<32>)
}

/// An unsigned integer under `field` (the one accessor, as [`get_hash`]).
pub(crate) fn get_u64(obj: &Map<String, Value>, field: &str) -> Option<u64> {
    obj.get(field).and_then(Value::as_u64)
}

/// A list of 64-hex hashes (a proof, a consistency path).
pub(crate) fn get_hashes(v: Option<&Value>) -> Option<Vec<[u8; 32]>> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|h| h.as_str().and_then(hex::decode_array::<32>)).collect(),
        _ => None,
    }
}

fn prior_hash(obj: &Map<String, Value>, field: &str) -> Result<[u8; 32], JsonError> {
    match obj.get(field) {
        Some(Value::String(_)) => get_hash(obj, field).ok_or_else(|| prior_err(format!("`{field}` is not 64 lowercase hex characters"))),
        _ => Err(prior_err(format!("`{field}` is missing or not a string"))),
    }
}

fn prior_u64(obj: &Map<String, Value>, field: &str) -> Result<u64, JsonError> {
    get_u64(obj, field).ok_or_else(|| prior_err(format!("`{field}` is missing or not a non-negative integer")))
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
    let v = parse_value(text, false).map_err(|e| match e {
        e @ JsonError::Duplicate { .. } => e.within("prior state"),
        e => prior_err(e.to_string()),
    })?;
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
    let size = prior_u64(&obj, "tree_size")?;
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
                let node = u32::try_from(prior_u64(h, "node")?).map_err(|_| prior_err("head `node` out of range"))?;
                let stream = u16::try_from(prior_u64(h, "stream")?).map_err(|_| prior_err("head `stream` out of range"))?;
                let key = key_field(h, "key")?;
                if let Some(id) = h.get("id") {
                    if id.as_str() != Some(key.event_id().to_hex().as_str()) {
                        return Err(prior_err("a head's `id` is not the id inside its `key`"));
                    }
                }
                Ok(Head { node, stream, seq: prior_u64(h, "seq")?, key, leaf_hash: prior_hash(h, "leaf_hash")? })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(prior_err("`heads` is missing or not an array")),
    };
    let state = State::from_parts(range, frontier, heads).map_err(|e: StateError| prior_err(e.to_string()))?;
    if prior_hash(&obj, "root")? != state.root() {
        return Err(prior_err(StateError::RootMismatch.to_string()));
    }
    if prior_hash(&obj, "state_hash")? != state.state_hash() {
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
        let h = crate::event::sample::history(3, crate::event::sample::Shape { nodes: 2, streams: 2, per_stream: 5, payload: 7 });
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

#[cfg(test)]
mod duplicate_keys {
    use super::*;
    use proptest::prelude::*;

    fn dup(text: &str) -> JsonError {
        parse_strict(text.as_bytes()).unwrap_err()
    }

    #[test]
    fn the_issue_case_and_friends() {
        let e = dup(r#"{"leaf_index":4,"leaf_index":5}"#);
        assert_eq!(e.code(), 3007);
        assert_eq!(e.field().as_deref(), Some("leaf_index"));
        assert_eq!(
            e.to_string(),
            r#"duplicate key "leaf_index" in the object at $ (line 1, column 17); a key may appear only once in a JSON object"#
        );
        // escapes are decoded before comparing
        assert_eq!(dup(r#"{"a":1,"\u0061":2}"#).field().as_deref(), Some("a"));
        // any depth, with the path to the object
        let e = dup("{\"x\":[1,{\"y\":{\"k\":1,\n  \"k\":2}}]}");
        assert_eq!(e.to_string(), "duplicate key \"k\" in the object at $.x[1].y (line 2, column 3); a key may appear only once in a JSON object");
        let e = dup(r#"{"a b":{"":0,"":1}}"#);
        assert!(e.to_string().contains(r#"duplicate key "" in the object at $["a b"]"#), "{e}");
        // strings that look like keys are values; the same key in sibling objects is fine
        assert!(parse_strict(br#"{"a":"a","b":["a","a"],"c":{"a":1},"d":{"a":2}}"#).is_ok());
        assert!(parse_strict(br#"[{"a":1},{"a":1}]"#).is_ok());
        assert!(parse_strict(br#"{"a\"":1,"a":2,"\\":3,"\\\\":4}"#).is_ok());
        // not JSON stays a syntax error even with a repeated key before the fault
        assert_eq!(dup(r#"{"a":1,"a":2"#).code(), 3001);
        // more keys than the linear search handles
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        assert!(parse_strict(format!("{{{}}}", many.join(",")).as_bytes()).is_ok());
        let e = dup(&format!("{{{},\"k42\":0}}", many.join(",")));
        assert_eq!(e.field().as_deref(), Some("k42"));
    }

    #[test]
    fn events_name_the_event() {
        let e = parse_events(
            br#"[{"lamport":1,"node":1,"stream":0,"seq":0},{"lamport":1,"node":2,"stream":0,"seq":0,"node":3}]"#,
            &Limits::default(),
        )
        .unwrap_err();
        assert_eq!((e.code(), e.index(), e.field().as_deref()), (3007, Some(1), Some("node")));
        assert!(e.to_string().starts_with(r#"event 1: duplicate key "node" in the object at $[1]"#), "{e}");
        let e = parse_one(br#"{"lamport":1,"lamport":2,"node":1,"stream":0,"seq":0}"#, 9, &Limits::default()).unwrap_err();
        assert_eq!((e.code(), e.index()), (3007, Some(9)));
        let e = parse_prior(br#"{"status":"ok","status":"ok"}"#).unwrap_err();
        assert_eq!(e.code(), 3007);
        assert!(e.to_string().starts_with(r#"prior state: duplicate key "status""#), "{e}");
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "[a-z\"\\\\\u{e9}\u{1f600} ]{0,6}".prop_map(Value::String),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c\"\\\\\u{e9}]{0,3}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A key written with every character escaped as `\uXXXX`: the same key to JSON.
    fn escaped(key: &str) -> String {
        let mut s = String::from("\"");
        for u in key.encode_utf16() {
            s.push_str(&format!("\\u{u:04x}"));
        }
        s.push('"');
        s
    }

    proptest! {
        /// Without a repeated key (serde_json's own output can have none), the
        /// strict parse is serde_json's parse.
        #[test]
        fn no_duplicates_parse_like_serde_json(v in value(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_vec_pretty(&v).unwrap() } else { serde_json::to_vec(&v).unwrap() };
            prop_assert_eq!(parse_strict(&text).unwrap(), serde_json::from_slice::<Value>(&text).unwrap());
        }

        /// An object with a key repeated (at any position, spelled plainly or
        /// escaped), nested anywhere, is refused with 3007 naming the key.
        #[test]
        fn a_repeated_key_is_refused(
            outer in value(),
            entries in proptest::collection::btree_map("[a-d\u{e9}\u{1f600}]{0,3}", value(), 1..6),
            pick in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            escape in any::<bool>(),
            wrap in 0u8..3,
        ) {
            let mut parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap()))
                .collect();
            let (key, v) = entries.iter().nth(pick.index(entries.len())).unwrap();
            let spelled = if escape { escaped(key) } else { serde_json::to_string(key).unwrap() };
            parts.insert(at.index(parts.len() + 1), format!("{spelled}:{}", serde_json::to_string(v).unwrap()));
            let obj = format!("{{{}}}", parts.join(","));
            let outer = serde_json::to_string(&outer).unwrap();
            let text = match wrap {
                0 => obj,
                1 => format!("[{outer},{obj}]"),
                _ => format!("{{\"x\":{outer},\"y\":[{obj}]}}"),
            };
            // serde_json itself takes it (keeping the last value)
            prop_assert!(serde_json::from_str::<Value>(&text).is_ok());
            let e = parse_strict(text.as_bytes()).unwrap_err();
            prop_assert_eq!(e.code(), 3007);
            prop_assert_eq!(e.field(), Some(key.clone()));
        }
    }
}
