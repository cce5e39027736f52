//! The JSON inputs a request carries, read strictly (a repeated key is
//! 3007, an unknown field is refused): a committee, a reconcile result or ECS
//! summary to certify, a proof to verify. Each maps what is wrong to the
//! code of its input.
use super::code;
use super::error::ApiError;
use super::json;
use crate::certify::cert::{Attested, CertError, Committee, Kind};
use crate::certify::note::VerifierKey;
use crate::error::ErrorCode;
use crate::hash::Hash;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

fn err(code: u16, msg: &str) -> ApiError {
    ApiError::new(code, msg)
}

fn fail<E: ErrorCode + core::fmt::Display>(e: &E) -> ApiError {
    ApiError::of(e)
}

/// Parses a committee file: `{"threshold": k, "members": ["<verifier key>", ...]}`.
pub fn parse_committee(bytes: &[u8]) -> Result<Committee, CertError> {
    let v = json::parse_strict(bytes).map_err(|e| CertError::Committee(not_json(e)))?;
    committee_of(v)
}

/// Why a JSON input was refused, in words: serde_json's message for text that
/// is not JSON, else the duplicate key.
fn not_json(e: json::JsonError) -> String {
    match e {
        json::JsonError::Syntax { detail } => format!("not JSON ({detail})"),
        e => e.to_string(),
    }
}

/// A JSON input parsed strictly (docs/FORMATS.md, "Duplicate keys"): a key
/// repeated in an object is refused with 3007, naming `what` (and the key as
/// `field`); text that is not JSON gets `syntax(serde_json's message)`.
pub(crate) fn strict_json(bytes: &[u8], what: &'static str, syntax: impl FnOnce(String) -> ApiError) -> Result<Value, ApiError> {
    json::parse_strict(bytes).map_err(|e| match e {
        json::JsonError::Syntax { detail } => syntax(detail),
        e => {
            let e = e.within(what);
            ApiError { code: e.code(), message: e.to_string(), index: None, field: e.field() }
        }
    })
}

/// A committee from its parsed JSON.
fn committee_of(v: Value) -> Result<Committee, CertError> {
    let bad = |w: String| CertError::Committee(w);
    let Value::Object(o) = v else { return Err(bad("expected an object {\"threshold\": k, \"members\": [...]}".into())) };
    if let Some(k) = o.keys().find(|k| *k != "threshold" && *k != "members") {
        return Err(bad(format!("unknown field `{k}` (known: threshold, members)")));
    }
    let k = o
        .get("threshold")
        .and_then(Value::as_u64)
        .and_then(|k| u32::try_from(k).ok())
        .ok_or_else(|| bad("`threshold` must be a positive integer".into()))?;
    let Some(Value::Array(ms)) = o.get("members") else { return Err(bad("`members` must be an array of verifier keys".into())) };
    let mut members = Vec::with_capacity(ms.len());
    for (i, m) in ms.iter().enumerate() {
        let s = m.as_str().ok_or_else(|| bad(format!("members[{i}] is not a string")))?;
        members.push(VerifierKey::parse(s).map_err(|e| bad(format!("members[{i}]: {e}")))?);
    }
    Committee::new(k, members)
}

pub(crate) fn committee(f: Option<&[u8]>) -> Result<Option<Committee>, ApiError> {
    let Some(f) = f else { return Ok(None) };
    let v = strict_json(f, "committee", |d| fail(&CertError::Committee(format!("not JSON ({d})"))))?;
    committee_of(v).map(Some).map_err(|e| fail(&e))
}



fn result_hash(o: &Map<String, Value>, k: &str) -> Result<Hash, CertError> {
    json::get_hash(o, k).ok_or_else(|| CertError::Input(format!("result: `{k}` must be 64 lowercase hex digits")))
}

fn result_u64(o: &Map<String, Value>, k: &str) -> Result<u64, CertError> {
    json::get_u64(o, k).ok_or_else(|| CertError::Input(format!("result: `{k}` must be an unsigned integer")))
}

/// Reads what a reconcile result (ok or obstruction JSON) attests.
pub fn parse_result(bytes: &[u8]) -> Result<Attested, CertError> {
    let v = json::parse_strict(bytes).map_err(|e| CertError::Input(format!("result: {}", not_json(e))))?;
    result_of(v, bytes)
}

/// What a parsed reconcile result attests; `bytes` is its text (an ok result
/// is also checked as a prior state).
pub(crate) fn result_of(v: Value, bytes: &[u8]) -> Result<Attested, CertError> {
    // `omega ecs` prints its summary as the last line: {"summary": {...}}
    let v = match v {
        Value::Object(mut o) if o.contains_key("summary") && o.len() == 1 => o.remove("summary").unwrap_or_default(),
        v => v,
    };
    let Value::Object(o) = v else { return Err(CertError::Input("result: expected the JSON object omega reconcile prints".into())) };
    if o.contains_key("end_tick") {
        let h = o.get("history").and_then(Value::as_object).ok_or_else(|| CertError::Input("ecs summary: `history` is missing".into()))?;
        let tree_size = result_u64(h, "tree_size")?;
        let root = result_hash(h, "root")?;
        return Ok(Attested {
            kind: Kind::Ecs,
            tree_size,
            root,
            state_hash: result_hash(&o, "state_hash")?,
            evidence: None,
            tick: Some(result_u64(&o, "end_tick")?),
            world: None,
            prior_tree_size: tree_size,
            prior_root: root,
            prior_state_hash: [0; 32],
            consistency: Vec::new(),
        });
    }
    let prior_tree_size = result_u64(&o, "prior_tree_size")?;
    let prior_root = result_hash(&o, "prior_root")?;
    let prior_state_hash = result_hash(&o, "prior_state_hash")?;
    match o.get("status").and_then(Value::as_str) {
        Some("ok") => {
            // An ok result must also be a valid prior: that checks root and state hash agree.
            json::parse_prior(bytes).map_err(|e| CertError::Input(format!("result: {e}")))?;
            let consistency = match o.get("consistency") {
                Some(c @ Value::Array(_)) => json::get_hashes(Some(c))
                    .ok_or_else(|| CertError::Input("result: `consistency` must hold 64-hex hashes".into()))?,
                _ => return Err(CertError::Input("result: `consistency` is missing".into())),
            };
            Ok(Attested {
                kind: Kind::State,
                tree_size: result_u64(&o, "tree_size")?,
                root: result_hash(&o, "root")?,
                state_hash: result_hash(&o, "state_hash")?,
                evidence: None,
                tick: None,
                world: None,
                prior_tree_size,
                prior_root,
                prior_state_hash,
                consistency,
            })
        }
        Some("obstruction") => Ok(Attested {
            kind: Kind::Obstruction,
            tree_size: prior_tree_size,
            root: prior_root,
            state_hash: prior_state_hash,
            evidence: Some(result_hash(&o, "evidence_hash")?),
            tick: None,
            world: None,
            prior_tree_size,
            prior_root,
            prior_state_hash,
            consistency: Vec::new(),
        }),
        _ => Err(CertError::Input("result: `status` must be \"ok\" or \"obstruction\" (an error result cannot be certified)".into())),
    }
}


pub(crate) fn proof_obj(bytes: &[u8], known: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let bad = |w: String| err(code::PROOF_JSON, &format!("proof JSON: {w}"));
    let v = strict_json(bytes, "proof JSON", |d| bad(format!("not JSON ({d})")))?;
    let Value::Object(o) = v else { return Err(bad("expected an object".into())) };
    if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!("unknown field `{k}`")));
    }
    Ok(o)
}

pub(crate) fn proof_u64(o: &Map<String, Value>, k: &str) -> Result<u64, ApiError> {
    json::get_u64(o, k).ok_or_else(|| err(code::PROOF_JSON, &format!("proof JSON: `{k}` must be an unsigned integer")))
}

pub(crate) fn proof_hash(o: &Map<String, Value>, k: &str) -> Result<Hash, ApiError> {
    json::get_hash(o, k).ok_or_else(|| err(code::PROOF_JSON, &format!("proof JSON: `{k}` must be 64 lowercase hex digits")))
}

pub(crate) fn proof_hashes(o: &Map<String, Value>) -> Result<Vec<Hash>, ApiError> {
    match o.get("proof") {
        Some(Value::Array(_)) => json::get_hashes(o.get("proof")).ok_or_else(|| err(code::PROOF_JSON, "proof JSON: `proof` must hold 64-hex hashes")),
        _ => Err(err(code::PROOF_JSON, "proof JSON: `proof` must be an array")),
    }
}

/// A signature to check (op 28): key, message and signature bytes.
pub type SignatureCase = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Reads op 28's request: a JSON list of `{"key", "msg", "sig"}`, each
/// lowercase hex of any length (a key or signature of the wrong length is a
/// verdict, not an error). Not JSON: 3001; not a list of such objects, or an
/// unknown or missing field: 3002; bad hex: 3004; each naming the index and field.
pub fn parse_signatures(bytes: &[u8]) -> Result<Vec<SignatureCase>, ApiError> {
    const FIELDS: [&str; 3] = ["key", "msg", "sig"];
    let v = strict_json(bytes, "signatures", |d| err(code::JSON_SYNTAX, &format!("the signatures are not JSON ({d})")))?;
    let shape = |w: String| err(code::JSON_SHAPE, &w);
    let Value::Array(items) = v else {
        return Err(shape("expected a list of {\"key\", \"msg\", \"sig\"} objects (lowercase hex)".into()));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(o) = item else { return Err(shape(format!("signature {i}: expected an object {{\"key\", \"msg\", \"sig\"}}")).at_index(i)) };
        if let Some(k) = o.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            let mut e = shape(format!("signature {i}: unknown field `{k}` (known: key, msg, sig)")).at_index(i);
            e.field = Some(k.clone());
            return Err(e);
        }
        let mut parts: [Vec<u8>; 3] = Default::default();
        for (slot, name) in parts.iter_mut().zip(FIELDS) {
            let with = |mut e: ApiError| {
                e.field = Some(name.to_string());
                e.at_index(i)
            };
            let Some(Value::String(s)) = o.get(name) else {
                return Err(with(shape(format!("signature {i}: `{name}` must be a string of lowercase hex"))));
            };
            *slot = crate::hex::decode(s)
                .ok_or_else(|| with(err(code::JSON_HEX, &format!("signature {i}: `{name}` is not lowercase hex of whole bytes"))))?;
        }
        let [key, msg, sig] = parts;
        out.push((key, msg, sig));
    }
    Ok(out)
}
