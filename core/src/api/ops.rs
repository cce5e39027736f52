//! The certify and proof ops of the byte ABI (ops 3 to 12): request fields
//! in, JSON out. Every engine (CLI native, the blob in wasmtime, the blob in
//! JS) runs these, so they all print the same bytes.
//!
//! Requests are a sequence of fields, each `u32 little-endian length | bytes`
//! (see docs/FORMATS.md, "Byte ABI"). An empty field means "absent".
use crate::abi::{CODE_BAD_REQUEST, Response, STATUS_ERROR, STATUS_OBSTRUCTION, STATUS_OK};
use crate::cert::{self, Attested, CertError, Certificate, Committee, Kind, Problem, Verdict};
use crate::error::ErrorCode;
use crate::event::{Event, Limits};
use crate::hash::Hash;
use crate::hex;
use crate::json;
use crate::note::{self, SignerKey, VerifierKey};
use crate::proof;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Serialize;
use sha2::Digest as _;
use serde_json::{Map, Value};

/// Op: a key pair from a name and a 32-byte seed.
pub const OP_KEYGEN: u32 = 3;
/// Op: certify a reconcile result.
pub const OP_CERTIFY: u32 = 4;
/// Op: add a signature to a certificate.
pub const OP_COSIGN: u32 = 5;
/// Op: verify a certificate (and optionally a chain) against a committee.
pub const OP_VERIFY: u32 = 6;
/// Op: explain a certificate in words.
pub const OP_EXPLAIN: u32 = 7;
/// Op: the signed-note text of a certificate.
pub const OP_NOTE: u32 = 8;
/// Op: an inclusion proof over a history.
pub const OP_PROVE_INCLUSION: u32 = 9;
/// Op: a consistency proof over a history.
pub const OP_PROVE_CONSISTENCY: u32 = 10;
/// Op: verify an inclusion proof JSON.
pub const OP_VERIFY_INCLUSION: u32 = 11;
/// Op: verify a consistency proof JSON.
pub const OP_VERIFY_CONSISTENCY: u32 = 12;
/// Op: scan a framed log and report.
pub const OP_INGEST: u32 = 13;
/// Op: reconcile the events of a clean framed log (against an optional prior).
pub const OP_RECONCILE_LOG: u32 = 14;
/// Op: a snapshot of a state (from an ok result JSON, a binary state, or a snapshot).
pub const OP_SNAPSHOT: u32 = 15;
/// Op: replay a log on a snapshot and check the result against a certificate.
pub const OP_REPLAY: u32 = 16;
/// Op: a crash bundle for a batch that obstructs.
pub const OP_BUNDLE: u32 = 17;
/// Op: reproduce and explain a crash bundle.
pub const OP_EXPLAIN_BUNDLE: u32 = 18;
/// Op: run the ECS world for some ticks.
pub const OP_ECS_RUN: u32 = 19;
/// Op: the first difference between two world snapshots.
pub const OP_ECS_DIFF: u32 = 20;
/// Op: the RFC 6962 root of leaf hashes given as they are (32 bytes each, in tree order).
pub const OP_MERKLE_ROOT: u32 = 21;

/// Splits a request into its length-prefixed fields.
pub fn split_fields(input: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let n = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (f, tail) = (tail.get(..n)?, tail.get(n..)?);
        out.push(f);
        rest = tail;
    }
    Some(out)
}

/// Joins fields into a request.
pub fn make_fields(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

fn err(code: u16, msg: &str) -> Response {
    Response { status: STATUS_ERROR, body: json::error_to_json(code, msg, None, None) }
}

fn fail<E: ErrorCode + core::fmt::Display>(e: &E) -> Response {
    err(e.code(), &e.to_string())
}

fn text(f: &[u8], what: &str) -> Result<String, Response> {
    core::str::from_utf8(f).map(ToString::to_string).map_err(|_| err(CODE_BAD_REQUEST, &format!("{what} is not UTF-8")))
}

/// Runs one of the ops 3 to 12.
pub fn call(op: u32, input: &[u8]) -> Response {
    let Some(f) = split_fields(input) else {
        return err(CODE_BAD_REQUEST, "request fields must each be a u32 little-endian length and that many bytes");
    };
    let field = |i: usize| f.get(i).copied().unwrap_or_default();
    let r = match op {
        OP_KEYGEN => keygen(field(0), field(1)),
        OP_CERTIFY => certify(field(0), field(1), field(2), field(3), field(4)),
        OP_COSIGN => cosign(field(0), field(1)),
        OP_VERIFY => verify(field(0), field(1), f.get(2..).unwrap_or_default()),
        OP_EXPLAIN => explain(field(0), field(1)),
        OP_NOTE => Certificate::read(field(0)).map_err(|e| fail(&e)).map(|c| Response {
            status: STATUS_OK,
            body: pretty(&serde_json::json!({ "note": c.to_note() })),
        }),
        OP_PROVE_INCLUSION | OP_PROVE_CONSISTENCY => prove(op, field(0), field(1), field(2)),
        OP_VERIFY_INCLUSION => verify_inclusion(field(0)),
        OP_VERIFY_CONSISTENCY => verify_consistency(field(0)),
        OP_INGEST => Ok(ingest(field(0))),
        OP_RECONCILE_LOG => reconcile_log(field(0), field(1)),
        OP_SNAPSHOT => snapshot(field(0)),
        OP_REPLAY => replay(field(0), field(1), field(2)),
        OP_BUNDLE => bundle(field(0), field(1), field(2)),
        OP_EXPLAIN_BUNDLE => explain_bundle(field(0)),
        OP_ECS_RUN => ecs_run(field(0), field(1), field(2), field(3), field(4)),
        OP_ECS_DIFF => ecs_diff(field(0), field(1)),
        OP_MERKLE_ROOT => merkle_root(field(0)),
        _ => Err(err(crate::abi::CODE_UNKNOWN_OP, &format!("unknown op {op}; this build knows ops 0 to 21"))),
    };
    r.unwrap_or_else(|e| e)
}

fn keygen(name: &[u8], seed: &[u8]) -> Result<Response, Response> {
    let name = text(name, "the key name")?;
    let seed: [u8; 32] = seed.try_into().map_err(|_| err(CODE_BAD_REQUEST, "the seed must be 32 bytes"))?;
    let k = SignerKey::from_seed(&name, seed).map_err(|e| fail(&e))?;
    Ok(Response {
        status: STATUS_OK,
        body: pretty(&serde_json::json!({
            "name": name,
            "key_id": format!("{:08x}", k.verifier().id()),
            "verifier_key": k.verifier().to_string(),
            "signer_key": k.to_text(),
        })),
    })
}

fn signer(f: &[u8]) -> Result<SignerKey, Response> {
    SignerKey::parse(&text(f, "the signer key")?).map_err(|e| fail(&e))
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
fn strict_json(bytes: &[u8], what: &'static str, syntax: impl FnOnce(String) -> Response) -> Result<Value, Response> {
    json::parse_strict(bytes).map_err(|e| match e {
        json::JsonError::Syntax { detail } => syntax(detail),
        e => {
            let e = e.within(what);
            Response { status: STATUS_ERROR, body: json::error_to_json(e.code(), &e.to_string(), None, e.field().as_deref()) }
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

fn committee(f: &[u8]) -> Result<Option<Committee>, Response> {
    if f.is_empty() {
        return Ok(None);
    }
    let v = strict_json(f, "committee", |d| fail(&CertError::Committee(format!("not JSON ({d})"))))?;
    committee_of(v).map(Some).map_err(|e| fail(&e))
}

fn h32(o: &Map<String, Value>, k: &str) -> Result<Hash, CertError> {
    o.get(k)
        .and_then(Value::as_str)
        .and_then(hex::decode_array::<32>)
        .ok_or_else(|| CertError::Input(format!("result: `{k}` must be 64 lowercase hex digits")))
}

fn u64f(o: &Map<String, Value>, k: &str) -> Result<u64, CertError> {
    o.get(k).and_then(Value::as_u64).ok_or_else(|| CertError::Input(format!("result: `{k}` must be an unsigned integer")))
}

/// Reads what a reconcile result (ok or obstruction JSON) attests.
pub fn parse_result(bytes: &[u8]) -> Result<Attested, CertError> {
    let v = json::parse_strict(bytes).map_err(|e| CertError::Input(format!("result: {}", not_json(e))))?;
    result_of(v, bytes)
}

/// What a parsed reconcile result attests; `bytes` is its text (an ok result
/// is also checked as a prior state).
fn result_of(v: Value, bytes: &[u8]) -> Result<Attested, CertError> {
    // `omega ecs` prints its summary as the last line: {"summary": {...}}
    let v = match v {
        Value::Object(mut o) if o.contains_key("summary") && o.len() == 1 => o.remove("summary").unwrap_or_default(),
        v => v,
    };
    let Value::Object(o) = v else { return Err(CertError::Input("result: expected the JSON object omega reconcile prints".into())) };
    if o.contains_key("end_tick") {
        let h = o.get("history").and_then(Value::as_object).ok_or_else(|| CertError::Input("ecs summary: `history` is missing".into()))?;
        let tree_size = u64f(h, "tree_size")?;
        let root = h32(h, "root")?;
        return Ok(Attested {
            kind: Kind::Ecs,
            tree_size,
            root,
            state_hash: h32(&o, "state_hash")?,
            evidence: None,
            tick: Some(u64f(&o, "end_tick")?),
            prior_tree_size: tree_size,
            prior_root: root,
            prior_state_hash: [0; 32],
            consistency: Vec::new(),
        });
    }
    let prior_tree_size = u64f(&o, "prior_tree_size")?;
    let prior_root = h32(&o, "prior_root")?;
    let prior_state_hash = h32(&o, "prior_state_hash")?;
    match o.get("status").and_then(Value::as_str) {
        Some("ok") => {
            // An ok result must also be a valid prior: that checks root and state hash agree.
            json::parse_prior(bytes).map_err(|e| CertError::Input(format!("result: {e}")))?;
            let consistency = match o.get("consistency") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|h| h.as_str().and_then(hex::decode_array::<32>))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| CertError::Input("result: `consistency` must hold 64-hex hashes".into()))?,
                _ => return Err(CertError::Input("result: `consistency` is missing".into())),
            };
            Ok(Attested {
                kind: Kind::State,
                tree_size: u64f(&o, "tree_size")?,
                root: h32(&o, "root")?,
                state_hash: h32(&o, "state_hash")?,
                evidence: None,
                tick: None,
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
            evidence: Some(h32(&o, "evidence_hash")?),
            tick: None,
            prior_tree_size,
            prior_root,
            prior_state_hash,
            consistency: Vec::new(),
        }),
        _ => Err(CertError::Input("result: `status` must be \"ok\" or \"obstruction\" (an error result cannot be certified)".into())),
    }
}

#[derive(Serialize)]
struct CertJson {
    status: &'static str,
    hash: String,
    kind: &'static str,
    origin: String,
    tree_size: u64,
    root: String,
    state_hash: String,
    height: u64,
    prev: Option<String>,
    committee: Option<String>,
    evidence: Option<String>,
    tick: Option<u64>,
    signers: Vec<String>,
    certificate: String,
}

fn cert_response(c: &Certificate) -> Result<Response, Response> {
    let cp = &c.checkpoint;
    let bytes = c.encode().map_err(|e| fail(&e))?;
    Ok(Response {
        status: STATUS_OK,
        body: pretty(&CertJson {
            status: "ok",
            hash: hex::encode(&c.hash()),
            kind: cp.kind.as_str(),
            origin: cp.origin.clone(),
            tree_size: cp.tree_size,
            root: hex::encode(&cp.root),
            state_hash: hex::encode(&cp.state_hash),
            height: cp.height,
            prev: cp.prev.map(|h| hex::encode(&h)),
            committee: cp.committee.map(|h| hex::encode(&h)),
            evidence: cp.evidence.map(|h| hex::encode(&h)),
            tick: cp.tick,
            signers: c.signatures.iter().map(|s| s.name.clone()).collect(),
            certificate: note::b64(&bytes),
        }),
    })
}

fn certify(result: &[u8], origin: &[u8], key: &[u8], prev: &[u8], comm: &[u8]) -> Result<Response, Response> {
    let v = strict_json(result, "result", |d| fail(&CertError::Input(format!("result: not JSON ({d})"))))?;
    let att = result_of(v, result).map_err(|e| fail(&e))?;
    let origin = text(origin, "the origin")?;
    let key = signer(key)?;
    let prev = if prev.is_empty() { None } else { Some(Certificate::read(prev).map_err(|e| fail(&e))?) };
    let comm = committee(comm)?;
    let c = cert::certify(&att, &origin, prev.as_ref(), comm.as_ref(), &key).map_err(|e| fail(&e))?;
    cert_response(&c)
}

fn cosign(c: &[u8], key: &[u8]) -> Result<Response, Response> {
    let mut c = Certificate::read(c).map_err(|e| fail(&e))?;
    c.cosign(&signer(key)?).map_err(|e| fail(&e))?;
    cert_response(&c)
}

#[derive(Serialize)]
struct ProblemJson {
    code: u16,
    message: String,
}

fn problems(ps: &[Problem]) -> Vec<ProblemJson> {
    ps.iter().map(|p| ProblemJson { code: p.code(), message: p.to_string() }).collect()
}

fn verdict_json(c: &Certificate, comm: &Committee, v: &Verdict) -> Value {
    serde_json::json!({
        "status": if v.valid { "valid" } else { "invalid" },
        "hash": hex::encode(&c.hash()),
        "kind": c.checkpoint.kind.as_str(),
        "origin": c.checkpoint.origin,
        "tree_size": c.checkpoint.tree_size,
        "height": c.checkpoint.height,
        "committee": hex::encode(&comm.hash()),
        "threshold": v.threshold,
        "valid_signers": v.valid_signers,
        "batched": v.batched,
        "signatures": v.checks.iter().map(|s| serde_json::json!({
            "name": s.name,
            "key_id": format!("{:08x}", s.id),
            "status": s.status.as_str(),
        })).collect::<Vec<_>>(),
        "problems": problems(&v.problems),
    })
}

fn verify(c: &[u8], comm: &[u8], chain: &[&[u8]]) -> Result<Response, Response> {
    let c = Certificate::read(c).map_err(|e| fail(&e))?;
    let comm = committee(comm)?.ok_or_else(|| err(3603, "committee: a committee is required to verify"))?;
    let v = cert::verify(&c, &comm);
    let mut out = verdict_json(&c, &comm, &v);
    let mut valid = v.valid;
    if !chain.is_empty() {
        let mut certs = Vec::with_capacity(chain.len() + 1);
        for (i, b) in chain.iter().enumerate() {
            certs.push(Certificate::read(b).map_err(|e| err(e.code(), &format!("chain[{i}]: {e}")))?);
        }
        certs.push(c.clone());
        let cv = cert::verify_chain(&certs, &comm);
        valid &= cv.valid;
        if let Value::Object(o) = &mut out {
            o.insert(
                "chain".into(),
                serde_json::json!({
                    "status": if cv.valid { "valid" } else { "invalid" },
                    "links": cv.links.iter().map(|(h, hash, ok)| serde_json::json!({
                        "height": h, "hash": hex::encode(hash), "valid": ok,
                    })).collect::<Vec<_>>(),
                    "problems": problems(&cv.problems),
                }),
            );
            o.insert("status".into(), Value::from(if valid { "valid" } else { "invalid" }));
        }
    }
    Ok(Response { status: if valid { STATUS_OK } else { STATUS_OBSTRUCTION }, body: pretty(&out) })
}

/// Every field of a certificate in words, and (with a committee) why it is or is not valid.
pub fn explain_lines(c: &Certificate, verdict: Option<(&Committee, &Verdict)>) -> Vec<String> {
    let cp = &c.checkpoint;
    let mut l = Vec::new();
    l.push(format!("certificate {}", hex::encode(&c.hash())));
    l.push(format!("  origin       {}  (the log this checkpoint belongs to)", cp.origin));
    l.push(format!("  tree size    {}  (events in the canonical history)", cp.tree_size));
    l.push(format!("  root         {}  (RFC 6962 Merkle root over their leaf hashes)", hex::encode(&cp.root)));
    l.push(format!(
        "  kind         {}  ({})",
        cp.kind.as_str(),
        match cp.kind {
            Kind::State => "the history reconciled cleanly to this tree and state",
            Kind::Obstruction => "a batch obstructed: the history is unchanged and the evidence is committed",
            Kind::Ecs => "after the tick below, the ECS world driven by this history has this state hash",
        }
    ));
    l.push(format!("  state hash   {}  (SHA-256 of the reconcile state)", hex::encode(&cp.state_hash)));
    match &cp.prev {
        None => l.push(format!("  height       {}  (genesis: the first certificate of its chain)", cp.height)),
        Some(p) => {
            l.push(format!("  height       {}  (position in the chain)", cp.height));
            l.push(format!("  previous     {}  (hash of the certificate at height {})", hex::encode(p), cp.height.saturating_sub(1)));
            l.push(format!("  consistency  {} hash(es)  (RFC 9162 proof that this tree extends the previous one)", cp.consistency.len()));
        }
    }
    match &cp.committee {
        None => l.push("  committee    none named  (any committee may judge it)".to_string()),
        Some(h) => l.push(format!("  committee    {}  (hash of the committee expected to sign)", hex::encode(h))),
    }
    if let Some(e) = &cp.evidence {
        l.push(format!("  evidence     {}  (SHA-256 of the obstruction's evidence)", hex::encode(e)));
    }
    if let Some(t) = cp.tick {
        l.push(format!("  tick         {t}  (the world tick whose state hash is attested)"));
    }
    l.push(format!("  signatures   {}", c.signatures.len()));
    match verdict {
        None => {
            for s in &c.signatures {
                l.push(format!("    {} (key id {:08x})", s.name, s.id));
            }
            l.push("verdict: not judged (pass a committee to verify it)".to_string());
        }
        Some((comm, v)) => {
            for s in &v.checks {
                let why = match s.status {
                    cert::SigStatus::Valid => "valid: counts toward the quorum",
                    cert::SigStatus::BadSignature => "BAD: a member's signature that does not verify; it does not count",
                    cert::SigStatus::UnknownKey => "not a committee member; ignored",
                    cert::SigStatus::Duplicate => "the same member again; counted once",
                };
                l.push(format!("    {} (key id {:08x}): {why}", s.name, s.id));
            }
            l.push(format!(
                "verdict: {} ({} of {} distinct member signatures valid, threshold {}; committee {})",
                if v.valid { "VALID" } else { "INVALID" },
                v.valid_signers,
                comm.members().len(),
                v.threshold,
                hex::encode(&comm.hash())
            ));
            for p in &v.problems {
                l.push(format!("  reason {}: {p}", p.code()));
            }
        }
    }
    l
}

fn explain(c: &[u8], comm: &[u8]) -> Result<Response, Response> {
    let c = Certificate::read(c).map_err(|e| fail(&e))?;
    let comm = committee(comm)?;
    let v = comm.as_ref().map(|k| cert::verify(&c, k));
    let lines = explain_lines(&c, comm.as_ref().zip(v.as_ref()));
    let mut out = serde_json::json!({ "text": lines.join("\n") + "\n" });
    if let (Some(k), Some(v), Value::Object(o)) = (&comm, &v, &mut out) {
        o.insert("verdict".into(), verdict_json(&c, k, v));
    }
    let status = if v.as_ref().is_some_and(|v| !v.valid) { STATUS_OBSTRUCTION } else { STATUS_OK };
    Ok(Response { status, body: pretty(&out) })
}

/// Leaf hashes given as they are: 32 bytes each, in tree order.
fn raw_leaves(bytes: &[u8]) -> Result<Vec<Hash>, Response> {
    if bytes.len() % 32 != 0 {
        return Err(err(
            3407,
            &format!("leaf hashes must be 32 bytes each, in tree order; got {} bytes ({} over a multiple of 32)", bytes.len(), bytes.len() % 32),
        ));
    }
    Ok(bytes.chunks_exact(32).map(|c| {
        let mut h = [0u8; 32];
        h.copy_from_slice(c);
        h
    }).collect())
}

fn merkle_root(leaves: &[u8]) -> Result<Response, Response> {
    let leaves = raw_leaves(leaves)?;
    let body = serde_json::json!({ "tree_size": leaves.len(), "root": hex::encode(&crate::merkle::root(&leaves)) });
    Ok(Response { status: STATUS_OK, body: pretty(&body) })
}

fn history(events: &[u8], format: &[u8]) -> Result<Vec<Hash>, Response> {
    let limits = Limits::default();
    if format == b"leaves" {
        return raw_leaves(events);
    }
    let events = match format {
        b"binary" => Event::decode_all(events, &limits).map_err(|(i, at, e)| {
            Response { status: STATUS_ERROR, body: json::error_to_json(e.code(), &format!("event {i} (starting at byte {at}): {e}"), Some(i), None) }
        })?,
        b"omega" => log_events(events)?,
        b"json" | b"" => json::parse_events(events, &limits).map_err(|e| Response {
            status: STATUS_ERROR,
            body: json::error_to_json(e.code(), &e.to_string(), e.index(), e.field().as_deref()),
        })?,
        _ => return Err(err(CODE_BAD_REQUEST, "the format must be `json`, `binary`, `omega` or `leaves`")),
    };
    crate::reconcile::history_leaves(&events).map_err(|_| {
        err(3406, "the events obstruct (run omega reconcile to see why); proofs are only made over a clean history")
    })
}

/// Inclusion proof JSON, fields in the documented order.
#[derive(Serialize)]
struct InclusionJson {
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: String,
    proof: Vec<String>,
    root: String,
}

/// Consistency proof JSON, fields in the documented order.
#[derive(Serialize)]
struct ConsistencyJson {
    old_size: u64,
    new_size: u64,
    old_root: String,
    new_root: String,
    proof: Vec<String>,
}

fn prove(op: u32, events: &[u8], format: &[u8], n: &[u8]) -> Result<Response, Response> {
    let leaves = history(events, format)?;
    let n: u64 = core::str::from_utf8(n)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| err(CODE_BAD_REQUEST, "the index or old size must be a decimal integer"))?;
    let size = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
    let root = crate::merkle::root(&leaves);
    let body = if op == OP_PROVE_INCLUSION {
        let p = proof::inclusion_proof(&leaves, n).map_err(|e| fail(&e))?;
        let leaf = usize::try_from(n).ok().and_then(|i| leaves.get(i)).copied().unwrap_or_default();
        pretty(&InclusionJson {
            leaf_index: n,
            tree_size: size,
            leaf_hash: hex::encode(&leaf),
            proof: p.iter().map(|h| hex::encode(h)).collect(),
            root: hex::encode(&root),
        })
    } else {
        let p = proof::consistency_proof(&leaves, n).map_err(|e| fail(&e))?;
        let old = usize::try_from(n).ok().and_then(|m| leaves.get(..m)).map(crate::merkle::root).unwrap_or_default();
        pretty(&ConsistencyJson {
            old_size: n,
            new_size: size,
            old_root: hex::encode(&old),
            new_root: hex::encode(&root),
            proof: p.iter().map(|h| hex::encode(h)).collect(),
        })
    };
    Ok(Response { status: STATUS_OK, body })
}

fn proof_obj(bytes: &[u8], known: &[&str]) -> Result<Map<String, Value>, Response> {
    let bad = |w: String| err(3405, &format!("proof JSON: {w}"));
    let v = strict_json(bytes, "proof JSON", |d| bad(format!("not JSON ({d})")))?;
    let Value::Object(o) = v else { return Err(bad("expected an object".into())) };
    if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!("unknown field `{k}`")));
    }
    Ok(o)
}

fn pu64(o: &Map<String, Value>, k: &str) -> Result<u64, Response> {
    o.get(k).and_then(Value::as_u64).ok_or_else(|| err(3405, &format!("proof JSON: `{k}` must be an unsigned integer")))
}

fn ph(o: &Map<String, Value>, k: &str) -> Result<Hash, Response> {
    o.get(k)
        .and_then(Value::as_str)
        .and_then(hex::decode_array::<32>)
        .ok_or_else(|| err(3405, &format!("proof JSON: `{k}` must be 64 lowercase hex digits")))
}

fn plist(o: &Map<String, Value>) -> Result<Vec<Hash>, Response> {
    match o.get("proof") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|h| h.as_str().and_then(hex::decode_array::<32>))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err(3405, "proof JSON: `proof` must hold 64-hex hashes")),
        _ => Err(err(3405, "proof JSON: `proof` must be an array")),
    }
}

fn checked(r: Result<(), proof::ProofError>) -> Response {
    let (status, body) = match r {
        Ok(()) => (STATUS_OK, serde_json::json!({ "status": "valid" })),
        Err(e) => (STATUS_OBSTRUCTION, serde_json::json!({ "status": "invalid", "code": e.code(), "reason": e.to_string() })),
    };
    Response { status, body: pretty(&body) }
}

fn verify_inclusion(p: &[u8]) -> Result<Response, Response> {
    let o = proof_obj(p, &["leaf_index", "tree_size", "leaf_hash", "proof", "root"])?;
    let (i, n, leaf, root, pr) = (pu64(&o, "leaf_index")?, pu64(&o, "tree_size")?, ph(&o, "leaf_hash")?, ph(&o, "root")?, plist(&o)?);
    Ok(checked(proof::verify_inclusion(&leaf, i, n, &pr, &root)))
}

fn verify_consistency(p: &[u8]) -> Result<Response, Response> {
    let o = proof_obj(p, &["old_size", "new_size", "old_root", "new_root", "proof"])?;
    let (m, n, a, b, pr) = (pu64(&o, "old_size")?, pu64(&o, "new_size")?, ph(&o, "old_root")?, ph(&o, "new_root")?, plist(&o)?);
    Ok(checked(proof::verify_consistency(m, n, &a, &b, &pr)))
}

/// The ingest report of a log scan.
#[derive(Debug, Serialize)]
pub struct IngestJson {
    /// "clean" or "damaged".
    pub status: &'static str,
    /// Valid frames.
    pub frames: u64,
    /// Events in them.
    pub events: u64,
    /// File size.
    pub bytes: u64,
    /// Valid prefix length.
    pub valid_bytes: u64,
    /// Offset of the first bad frame, or null.
    pub first_bad_offset: Option<u64>,
    /// The first problem, or null.
    pub error: Option<ErrorJson>,
    /// Only for a damaged log past a good header: what follows the first bad frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_damage: Option<AfterDamageJson>,
}

/// What follows the first bad frame (see `frame::AfterDamage`).
#[derive(Debug, Serialize)]
pub struct AfterDamageJson {
    /// Intact frames after the first bad one: 0 means the damage is a tail that `--repair` may cut.
    pub intact_frames: u64,
    /// Damaged bytes from the first bad frame on.
    pub damaged_bytes: u64,
}

/// An error inside a report.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// Stable code.
    pub code: u16,
    /// What and where.
    pub message: String,
}

/// The report JSON for a scan.
pub fn ingest_json(r: &crate::frame::Report) -> IngestJson {
    IngestJson {
        status: if r.error.is_none() { "clean" } else { "damaged" },
        frames: r.frames,
        events: r.events,
        bytes: r.bytes,
        valid_bytes: r.valid_bytes,
        first_bad_offset: r.first_bad_offset,
        error: r.error.as_ref().map(|e| ErrorJson { code: e.code(), message: e.to_string() }),
        after_damage: r.after_damage.map(|a| AfterDamageJson { intact_frames: a.intact_frames, damaged_bytes: a.damaged_bytes }),
    }
}

/// The ingest response: status 0 for a clean log, 1 for a damaged one.
pub fn ingest_response(r: &crate::frame::Report) -> Response {
    Response { status: if r.error.is_none() { STATUS_OK } else { STATUS_OBSTRUCTION }, body: pretty(&ingest_json(r)) }
}

fn ingest(log: &[u8]) -> Response {
    ingest_response(&crate::frame::scan(log))
}

fn log_events(log: &[u8]) -> Result<Vec<Event>, Response> {
    crate::frame::read_events(log).map_err(|e| {
        let advice = if e.offset() == 0 {
            "this is not a readable omega log; nothing can be read from it"
        } else {
            "`omega ingest --input LOG` says whether the damage is only a tail, which `--repair` cuts, or intact frames follow it, which `--salvage` keeps"
        };
        err(e.code(), &format!("{e} ({advice})"))
    })
}

/// A prior state from any of its forms: empty, an ok result JSON, a binary
/// state (`OMGS`) or a snapshot (`OMSN`). Every op that takes a prior uses this.
pub(crate) fn prior_state(prior: &[u8]) -> Result<crate::State, Response> {
    crate::abi::parse_any_prior(prior).map_err(|(code, msg)| err(code, &msg))
}

fn reconcile_log(log: &[u8], prior: &[u8]) -> Result<Response, Response> {
    let events = log_events(log)?;
    let prior = prior_state(prior)?;
    Ok(crate::abi::respond(&crate::reconcile(&prior, &events)))
}

fn snapshot(from: &[u8]) -> Result<Response, Response> {
    let state = prior_state(from)?;
    let snap = crate::snapshot::Snapshot { state };
    let bytes = snap.encode();
    let body = serde_json::json!({
        "status": "ok",
        "hash": hex::encode(&snap.hash()),
        "tree_size": snap.state.tree_size(),
        "root": hex::encode(&snap.state.root()),
        "state_hash": hex::encode(&snap.state.state_hash()),
        "snapshot": note::b64(&bytes),
    });
    Ok(Response { status: STATUS_OK, body: pretty(&body) })
}

fn replay(snap: &[u8], log: &[u8], cert_bytes: &[u8]) -> Result<Response, Response> {
    let prior = if snap.is_empty() { crate::State::new() } else { prior_state(snap)? };
    let events = log_events(log)?;
    let cert = if cert_bytes.is_empty() { None } else { Some(Certificate::read(cert_bytes).map_err(|e| fail(&e))?) };
    let outcome = crate::reconcile(&prior, &events);
    let (kind, size, root, state_hash, evidence) = match &outcome {
        crate::Outcome::Ok(s) => (Kind::State, s.state.tree_size(), s.state.root(), s.state_hash, None),
        crate::Outcome::Obstruction(o) => (Kind::Obstruction, o.prior_tree_size, o.prior_root, o.prior_state_hash, Some(o.evidence_hash)),
    };
    let mut divergence: Option<Value> = None;
    if let Some(c) = &cert {
        let cp = &c.checkpoint;
        let checks: [(&str, String, String); 5] = [
            ("kind", cp.kind.as_str().into(), kind.as_str().into()),
            ("tree_size", cp.tree_size.to_string(), size.to_string()),
            ("root", hex::encode(&cp.root), hex::encode(&root)),
            ("state_hash", hex::encode(&cp.state_hash), hex::encode(&state_hash)),
            (
                "evidence",
                cp.evidence.map(|e| hex::encode(&e)).unwrap_or_default(),
                evidence.map(|e| hex::encode(&e)).unwrap_or_default(),
            ),
        ];
        if let Some((f, want, got)) = checks.into_iter().find(|(_, a, b)| a != b) {
            divergence = Some(serde_json::json!({ "field": f, "certified": want, "replayed": got }));
        }
    }
    let status = match (&cert, &divergence) {
        (None, _) => "replayed",
        (Some(_), None) => "match",
        (Some(_), Some(_)) => "diverged",
    };
    let body = serde_json::json!({
        "status": status,
        "events": events.len(),
        "kind": kind.as_str(),
        "tree_size": size,
        "root": hex::encode(&root),
        "state_hash": hex::encode(&state_hash),
        "evidence_hash": evidence.map(|e| hex::encode(&e)),
        "certificate": cert.as_ref().map(|c| hex::encode(&c.hash())),
        "first_divergence": divergence,
    });
    Ok(Response { status: if status == "diverged" { STATUS_OBSTRUCTION } else { STATUS_OK }, body: pretty(&body) })
}

fn bundle(events: &[u8], format: &[u8], prior: &[u8]) -> Result<Response, Response> {
    let limits = Limits::default();
    let events = match format {
        b"binary" => Event::decode_all(events, &limits).map_err(|(i, at, e)| err(e.code(), &format!("event {i} (starting at byte {at}): {e}")))?,
        b"omega" => log_events(events)?,
        _ => json::parse_events(events, &limits).map_err(|e| err(e.code(), &e.to_string()))?,
    };
    let prior = prior_state(prior)?;
    let Some((b, o)) = crate::snapshot::Bundle::capture(&prior, &events) else {
        return Err(err(3903, "the batch does not obstruct; there is nothing to bundle"));
    };
    let bytes = b.encode();
    let body = serde_json::json!({
        "status": "ok",
        "evidence_hash": hex::encode(&o.evidence_hash),
        "violations": o.violations.len(),
        "bundle": note::b64(&bytes),
    });
    Ok(Response { status: STATUS_OK, body: pretty(&body) })
}

fn explain_bundle(b: &[u8]) -> Result<Response, Response> {
    let b = crate::snapshot::Bundle::decode(b).map_err(|e| fail(&e))?;
    let (out, same) = b.reproduce();
    let result: Value = serde_json::from_slice(&json::outcome_to_json(&out)).unwrap_or(Value::Null);
    let body = serde_json::json!({
        "reproduced": same,
        "events": b.events.len(),
        "prior_tree_size": b.prior.tree_size(),
        "prior_state_hash": hex::encode(&b.prior.state_hash()),
        "recorded_evidence_hash": hex::encode(&crate::sha256(&b.evidence)),
        "result": result,
    });
    Ok(Response { status: if same { STATUS_OK } else { STATUS_OBSTRUCTION }, body: pretty(&body) })
}

/// A tick report as JSON, fields in a fixed order; fixed-point values as exact decimal strings.
#[derive(Debug, Serialize)]
pub struct TickJson {
    tick: u64,
    state_hash: String,
    decision: &'static str,
    threat: String,
    entropy: String,
    coherence: String,
    resonance: String,
    stability: String,
    pulse: String,
    weights: [String; 4],
    alerts: Vec<Value>,
    migrations: Vec<Value>,
    rejected: Vec<Value>,
    saturations: u64,
    entities: u32,
    edges: u32,
}

/// Compact JSON bytes of any report.
pub fn to_compact_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// The JSON of a tick report.
pub fn tick_json(r: &crate::ecs::TickReport) -> TickJson {
    let m = &r.metrics;
    TickJson {
        tick: r.tick,
        state_hash: hex::encode(&r.state_hash),
        decision: r.decision.as_str(),
        threat: m.threat.to_string(),
        entropy: m.entropy.to_string(),
        coherence: m.coherence.to_string(),
        resonance: m.resonance.to_string(),
        stability: m.stability.to_string(),
        pulse: m.pulse.to_string(),
        weights: m.weights.map(|w| w.to_string()),
        alerts: r
            .alerts
            .iter()
            .map(|a| serde_json::json!({ "kind": a.kind, "entity": a.entity.to_string(), "value": a.value.to_string() }))
            .collect(),
        migrations: r
            .migrations
            .iter()
            .map(|m| serde_json::json!({ "entity": m.entity.to_string(), "from": m.from, "to": m.to }))
            .collect(),
        rejected: r.rejected.iter().map(|(i, why)| serde_json::json!({ "index": i, "reason": why })).collect(),
        saturations: r.saturations,
        entities: r.entities,
        edges: r.edges,
    }
}

/// Parses `"tick:index:generation:component:bit"` (component by name or number).
pub fn parse_inject(s: &str) -> Option<(u64, crate::ecs::Entity, usize, u32)> {
    let mut p = s.split(':');
    let tick = p.next()?.parse().ok()?;
    let index = p.next()?.parse().ok()?;
    let generation = p.next()?.parse().ok()?;
    let c = p.next()?;
    let comp = crate::ecs::COMPONENTS.iter().position(|n| *n == c).or_else(|| c.parse().ok())?;
    let bit: u32 = p.next()?.parse().ok()?;
    (p.next().is_none() && comp < 6 && bit < 64).then_some((tick, crate::ecs::Entity { index, generation }, comp, bit))
}

/// The world a run starts from: a config JSON or a world snapshot.
pub fn ecs_start(start: &[u8]) -> Result<crate::ecs::World, Response> {
    use crate::ecs::{Config, World};
    if start.starts_with(b"OMGW") {
        return World::restore(start).map_err(|e| fail(&e));
    }
    let bad = |w: &str| err(4002, &format!("world config: {w}"));
    let v: Value = if start.is_empty() { serde_json::json!({}) } else { strict_json(start, "world config", |d| bad(&format!("not JSON ({d})")))? };
    let Value::Object(o) = v else { return Err(bad("expected an object {\"seed\", \"entities\", \"nodes\", \"edges_per_entity\"}")) };
    if let Some(k) = o.keys().find(|k| !["seed", "entities", "nodes", "edges_per_entity"].contains(&k.as_str())) {
        return Err(bad(&format!("unknown field `{k}`")));
    }
    let d = Config::default();
    let u = |k: &str, def: u64, min: u64, max: u64| -> Result<u64, Response> {
        match o.get(k) {
            None => Ok(def),
            Some(x) => x.as_u64().filter(|n| (min..=max).contains(n)).ok_or_else(|| bad(&format!("`{k}` must be an integer from {min} to {max}"))),
        }
    };
    let small = |k: &str, def: u32, min: u32, max: u32| u(k, u64::from(def), u64::from(min), u64::from(max)).map(|n| u32::try_from(n).unwrap_or(max));
    let seed = u("seed", 7, 0, u64::MAX)?;
    let entities = small("entities", d.entities, 0, Config::MAX_ENTITIES)?;
    let nodes = small("nodes", d.nodes, 1, Config::MAX_NODES)?;
    let edges_per_entity = small("edges_per_entity", d.edges_per_entity, 0, Config::MAX_EDGES_PER_ENTITY)?;
    // the caps and the memory budget (4005), refused before anything is allocated
    World::try_new(seed, Config { nodes, entities, edges_per_entity }).map_err(|e| fail(&e))
}

/// Commands from an events field (JSON events; empty for none), the history's
/// root and size, and the undecodable payloads.
pub fn ecs_commands(events: &[u8]) -> Result<(Vec<crate::ecs::Command>, Value, Vec<Value>), Response> {
    if events.is_empty() {
        return Ok((Vec::new(), serde_json::json!({ "tree_size": 0, "root": hex::encode(&crate::merkle::empty_root()) }), Vec::new()));
    }
    let evs = json::parse_events(events, &Limits::default()).map_err(|e| Response {
        status: STATUS_ERROR,
        body: json::error_to_json(e.code(), &e.to_string(), e.index(), e.field().as_deref()),
    })?;
    let state = match crate::reconcile(&crate::State::new(), &evs) {
        crate::Outcome::Ok(s) => s.state,
        crate::Outcome::Obstruction(_) => {
            return Err(err(4003, "the event history obstructs (run omega reconcile to see why); the world runs only on a clean history"));
        }
    };
    let (cmds, bad) = crate::ecs::command::from_events(&evs);
    let bad = bad.into_iter().map(|(k, why)| serde_json::json!({ "key": k.to_hex(), "reason": why })).collect();
    let history = serde_json::json!({ "tree_size": state.tree_size(), "root": hex::encode(&state.root()), "state_hash": hex::encode(&state.state_hash()) });
    Ok((cmds, history, bad))
}

fn ecs_run(start: &[u8], ticks: &[u8], events: &[u8], mode: &[u8], inject: &[u8]) -> Result<Response, Response> {
    let mut world = ecs_start(start)?;
    let n: u64 = core::str::from_utf8(ticks).ok().and_then(|s| s.parse().ok()).ok_or_else(|| err(CODE_BAD_REQUEST, "ticks must be a decimal integer"))?;
    let (cmds, history, undecodable) = ecs_commands(events)?;
    let mode = core::str::from_utf8(mode).unwrap_or_default();
    let want = |m: &str| mode.split(',').any(|x| x == m);
    let reports = want("reports") || mode.is_empty();
    let inject = if inject.is_empty() {
        None
    } else {
        Some(core::str::from_utf8(inject).ok().and_then(parse_inject).ok_or_else(|| err(CODE_BAD_REQUEST, "inject must be tick:index:generation:component:bit"))?)
    };
    let start_tick = world.tick();
    let mut by_tick: alloc::collections::BTreeMap<u64, Vec<crate::ecs::Command>> = alloc::collections::BTreeMap::new();
    for c in cmds {
        by_tick.entry(c.tick).or_default().push(c);
    }
    let mut lines = Vec::new();
    let mut digest = sha2::Sha256::new();
    let mut checkpoints = Vec::new();
    let mut last = world.state_hash();
    for _ in 0..n {
        let t = world.tick() + 1;
        if let Some((it, e, comp, bit)) = inject {
            if it == t {
                world.flip_bit(e, comp, bit);
            }
        }
        let r = world.step(by_tick.get(&t).map(Vec::as_slice).unwrap_or_default());
        sha2::Digest::update(&mut digest, r.state_hash);
        last = r.state_hash;
        if r.tick % 1000 == 0 {
            checkpoints.push(serde_json::json!({ "tick": r.tick, "state_hash": hex::encode(&r.state_hash) }));
        }
        if reports {
            lines.push(tick_json(&r));
        }
    }
    if want("prestep") {
        // the start of the next tick: its injection and commands, no systems yet
        let t = world.tick() + 1;
        if let Some((it, e, comp, bit)) = inject {
            if it == t {
                world.flip_bit(e, comp, bit);
            }
        }
        for c in by_tick.get(&t).map(Vec::as_slice).unwrap_or_default() {
            let _ = world.apply(c);
        }
    }
    let digest: [u8; 32] = sha2::Digest::finalize(digest).into();
    let mut body = serde_json::json!({
        "status": "ok",
        "start_tick": start_tick,
        "end_tick": world.tick(),
        "state_hash": hex::encode(&last),
        "digest": hex::encode(&digest),
        "checkpoints": checkpoints,
        "history": history,
        "undecodable": undecodable,
    });
    if let Value::Object(o) = &mut body {
        if reports {
            o.insert("reports".into(), serde_json::to_value(&lines).unwrap_or_default());
        }
        if want("snapshot") {
            o.insert("snapshot".into(), Value::from(note::b64(&world.encode())));
        }
    }
    Ok(Response { status: STATUS_OK, body: pretty(&body) })
}

fn ecs_diff(a: &[u8], b: &[u8]) -> Result<Response, Response> {
    let wa = crate::ecs::World::restore(a).map_err(|e| err(e.code(), &format!("A: {e}")))?;
    let wb = crate::ecs::World::restore(b).map_err(|e| err(e.code(), &format!("B: {e}")))?;
    let d = wa.first_difference(&wb);
    let same = d.is_none();
    let body = serde_json::json!({
        "same": same,
        "tick_a": wa.tick(),
        "tick_b": wb.tick(),
        "first_difference": d.map(|(entity, component, va, vb)| serde_json::json!({
            "entity": entity,
            "component": component,
            "a": va,
            "b": vb,
        })),
    });
    Ok(Response { status: if same { STATUS_OK } else { STATUS_OBSTRUCTION }, body: pretty(&body) })
}
