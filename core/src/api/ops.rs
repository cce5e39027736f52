//! The handlers of every op: a decoded request ([`Call`]) in, a response
//! out. Every engine (CLI native, the blob in wasmtime, the blob in JS) runs
//! these, so they all print the same bytes. [`handle`] matches on every
//! `Call`, so a new op does not compile without its handler. Each handler
//! builds its body as the op's [`response`](super::response) type and
//! prints it with [`to_json`]; the status (0, 1 or 2) is decided here.
use super::error::ApiError;
use super::op::Op;
use super::request::{self as req, Call, EventFormat};
use crate::api::abi::{Response, STATUS_OBSTRUCTION, STATUS_OK};
use crate::api::code;
use super::response::{self as resp, to_json};
use crate::certify::cert::{self, CertError, Certificate, Kind};
use crate::error::ErrorCode;
use crate::event::{Event, EventRef, Limits};
use crate::hash::Hash;
use crate::hex;
use crate::api::json;
use crate::certify::note::{self, LineCheck, Note, SignerKey, VerifierKey};
use crate::tree::proof;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Serialize;
use serde_json::{Map, Value};

pub use super::request::{make_fields, split_fields};

use super::input::{committee, proof_hash, proof_hashes, proof_obj, proof_u64, result_of, strict_json};
pub use super::input::{parse_committee, parse_result};

/// A response: the status and the body's type, printed by [`to_json`].
fn respond<T: Serialize>(status: u8, body: &T) -> Response {
    Response { status, body: to_json(body) }
}

/// Status 0 or 1: valid or not (a verdict, a note, a diff).
fn status_of(ok: bool) -> u8 {
    if ok { STATUS_OK } else { STATUS_OBSTRUCTION }
}

/// A count as the bodies print it.
fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn err(code: u16, msg: &str) -> ApiError {
    ApiError::new(code, msg)
}

fn fail<E: ErrorCode + core::fmt::Display>(e: &E) -> ApiError {
    ApiError::of(e)
}

/// Runs one op by number (as [`abi::call`](crate::api::abi::call)).
pub fn call(op: u32, input: &[u8]) -> Response {
    crate::api::abi::call(op, input)
}

/// Runs one decoded request.
pub fn handle(call: Call<'_>) -> Result<Response, ApiError> {
    match call {
        Call::Version => Ok(respond(STATUS_OK, &resp::Version { version: crate::VERSION.into() })),
        Call::Reconcile(r) => reconcile(&r),
        Call::Keygen(k) => keygen(k.name, k.seed, k.witness),
        Call::Certify(c) => certify(&c),
        Call::Cosign(c) => cosign(c.certificate, c.key, c.timestamp),
        Call::Verify(v) => verify(v.certificate, v.committee, &v.chain),
        Call::Explain(e) => explain(e.certificate, e.committee),
        Call::Note(c) => Certificate::read(c).map_err(|e| fail(&e)).map(|c| respond(STATUS_OK, &resp::CertificateNote::from(&c))),
        Call::ProveInclusion(p) => prove(Op::ProveInclusion, &p),
        Call::ProveConsistency(p) => prove(Op::ProveConsistency, &p),
        Call::VerifyInclusion(p) => verify_inclusion(p),
        Call::VerifyConsistency(p) => verify_consistency(p),
        Call::Ingest(log) => Ok(ingest(log)),
        Call::ReconcileLog(r) => reconcile_log(r.log, r.prior),
        Call::Snapshot(s) => snapshot(&s),
        Call::Replay(r) => replay(&r),
        Call::Bundle(b) => bundle(&b),
        Call::ExplainBundle(b) => explain_bundle(b),
        Call::EcsRun(r) => ecs_run(&r),
        Call::EcsDiff(d) => ecs_diff(d.a, d.b),
        Call::MerkleRoot(leaves) => merkle_root(leaves),
        Call::NoteVerify(n) => note_verify(&n),
        Call::Cut(c) => cut(&c),
        Call::Merge(certs) => merge(&certs),
        Call::Fraud(f) => fraud(&f),
        Call::EcsBatch(b) => ecs_batch(&b),
        Call::Ed25519Verify(b) => ed25519_verify(b),
        Call::ProveTiles(p) => prove_tiles(&p),
        Call::PolicyVerify(p) => policy_verify(&p),
        Call::NoteSign(n) => note_sign(&n),
        Call::Seal(b) => {
            let (seal, canonical) = crate::api::cut::Seal::parse(b);
            Ok(respond(STATUS_OK, &resp::SealReport { canonical, delay: seal.delay, horizon: seal.horizon, n: seal.n, status: resp::StatusOk::Is }))
        }
    }
}

/// Runs one op on request bytes: decode, then handle.
pub fn run(op: Op, input: &[u8]) -> Response {
    Call::decode(op, input).and_then(handle).unwrap_or_else(|e| e.to_response())
}

/// Ops 1 and 2.
fn reconcile(r: &req::Reconcile<'_>) -> Result<Response, ApiError> {
    let prior = prior_state(r.prior)?;
    // Binary and log batches are reconciled in place, borrowed from the request.
    let outcome = match r.format {
        EventFormat::Binary => crate::reconcile(&prior, &binary_refs(r.events)?),
        EventFormat::Omega => crate::reconcile(&prior, &log_refs(r.events)?),
        EventFormat::Json | EventFormat::Leaves => crate::reconcile(&prior, &decode_events(r.events, r.format)?),
    };
    Ok(crate::api::abi::respond(&outcome))
}

/// The binary batch form, borrowed: the same checks and errors as [`decode_events`].
fn binary_refs(events: &[u8]) -> Result<Vec<EventRef<'_>>, ApiError> {
    EventRef::parse_all(events, &Limits::default()).map_err(binary_error)
}

fn binary_error((i, at, e): (usize, usize, crate::DecodeError)) -> ApiError {
    err(e.code(), &format!("event {i} (starting at byte {at}): {e}")).at_index(i)
}

/// Events in JSON, binary or `.omega` form (never `leaves`).
fn decode_events(events: &[u8], format: EventFormat) -> Result<Vec<Event>, ApiError> {
    let limits = Limits::default();
    match format {
        EventFormat::Binary => Event::decode_all(events, &limits).map_err(binary_error),
        EventFormat::Omega => Ok(log_refs(events)?.iter().map(EventRef::to_event).collect()),
        EventFormat::Json | EventFormat::Leaves => json::parse_events(events, &limits).map_err(ApiError::from),
    }
}

fn keygen(name: &str, seed: &[u8], witness: bool) -> Result<Response, ApiError> {
    let seed: [u8; 32] = seed.try_into().map_err(|_| ApiError::bad_request("the seed must be 32 bytes"))?;
    let alg = if witness { note::ALG_COSIGNATURE_V1 } else { note::ALG_ED25519 };
    let k = SignerKey::from_seed_typed(name, alg, seed).map_err(|e| fail(&e))?;
    Ok(respond(
        STATUS_OK,
        &resp::Keypair {
            key_id: format!("{:08x}", k.verifier().id()),
            name: name.into(),
            signer_key: k.to_text(),
            verifier_key: k.verifier().to_string(),
        },
    ))
}

fn signer(key: &str) -> Result<SignerKey, ApiError> {
    SignerKey::parse(key).map_err(|e| fail(&e))
}

fn cert_response(c: &Certificate) -> Result<Response, ApiError> {
    let body = resp::CertificateReport::try_from(c).map_err(|e| fail(&e))?;
    Ok(respond(STATUS_OK, &body))
}

fn certify(r: &req::Certify<'_>) -> Result<Response, ApiError> {
    let v = strict_json(r.result, "result", |d| fail(&CertError::Input(format!("result: not JSON ({d})"))))?;
    let mut att = result_of(v, r.result).map_err(|e| fail(&e))?;
    if let Some(w) = r.world {
        if att.kind == cert::Kind::Ecs {
            return Err(fail(&CertError::Input("world: an ECS summary attests a world itself; a world line goes with a reconcile result".into())));
        }
        let w = core::str::from_utf8(w).ok().and_then(cert::WorldMark::parse).ok_or_else(|| {
            fail(&CertError::Input("world: expected `<tick> <64 lowercase hex>` (the tick and state hash op 26 answers)".into()))
        })?;
        att.world = Some(w);
    }
    let key = signer(r.key)?;
    let prev = r.prev.map(|p| Certificate::read(p).map_err(|e| fail(&e))).transpose()?;
    let comm = committee(r.committee)?;
    let c = cert::certify(&att, r.origin, prev.as_ref(), comm.as_ref(), &key).map_err(|e| fail(&e))?;
    cert_response(&c)
}

fn cosign(c: &[u8], key: &str, timestamp: Option<u64>) -> Result<Response, ApiError> {
    let mut c = Certificate::read(c).map_err(|e| fail(&e))?;
    c.cosign_at(&signer(key)?, timestamp).map_err(|e| fail(&e))?;
    cert_response(&c)
}

fn verify(c: &[u8], comm: Option<&[u8]>, chain: &[&[u8]]) -> Result<Response, ApiError> {
    let cert = Certificate::read(c).map_err(|e| fail(&e))?;
    let comm = committee(comm)?.ok_or_else(|| err(code::COMMITTEE, "committee: a committee is required to verify"))?;
    verify_read(cert, &comm, chain)
}

/// Reads a committee JSON as op 6 reads its committee field, with op 6's
/// errors (3001, 3007, 3603, 3505, ...).
pub fn read_committee(bytes: &[u8]) -> Result<cert::Committee, ApiError> {
    committee(Some(bytes))?.ok_or_else(|| err(code::COMMITTEE, "committee: a committee is required to verify"))
}

/// Op 6 with a committee read once: `c` (binary or note text) and, when
/// given, the chain certificates, judged against `comm`. The same response,
/// byte for byte, as op 6 with that committee's JSON; for a host that
/// verifies many certificates under one committee (the JS `CommitteeVerifier`),
/// so the member keys are checked once, not per call.
pub fn verify_with(comm: &cert::Committee, c: &[u8], chain: &[&[u8]]) -> Response {
    match Certificate::read(c).map_err(|e| fail(&e)).and_then(|cert| verify_read(cert, comm, chain)) {
        Ok(r) => r,
        Err(e) => e.to_response(),
    }
}

fn verify_read(c: Certificate, comm: &cert::Committee, chain: &[&[u8]]) -> Result<Response, ApiError> {
    let v = cert::verify(&c, comm);
    let mut out = resp::VerifyReport::new(&c, comm, &v);
    let mut valid = v.valid;
    if !chain.is_empty() {
        let mut certs = Vec::with_capacity(chain.len() + 1);
        for (i, b) in chain.iter().enumerate() {
            certs.push(Certificate::read(b).map_err(|e| err(e.code(), &format!("chain[{i}]: {e}")))?);
        }
        certs.push(c.clone());
        let cv = cert::verify_chain(&certs, comm);
        valid &= cv.valid;
        out.chain = Some(resp::ChainReport::from(&cv));
        out.status = valid.into();
    }
    Ok(respond(status_of(valid), &out))
}

fn explain(c: &[u8], comm: Option<&[u8]>) -> Result<Response, ApiError> {
    let c = Certificate::read(c).map_err(|e| fail(&e))?;
    let comm = committee(comm)?;
    let v = comm.as_ref().map(|k| cert::verify(&c, k));
    let lines = super::explain::explain_lines(&c, comm.as_ref().zip(v.as_ref()));
    let out = resp::Explanation {
        text: lines.join("\n") + "\n",
        verdict: comm.as_ref().zip(v.as_ref()).map(|(k, v)| resp::VerifyReport::new(&c, k, v)),
    };
    Ok(respond(status_of(v.as_ref().is_none_or(|v| v.valid)), &out))
}

/// Op 28: raw Ed25519 signatures, each checked by omega's strict rules
/// (`certify::ed25519`): "valid" or the first rule it breaks.
fn ed25519_verify(request: &[u8]) -> Result<Response, ApiError> {
    let cases = crate::api::input::parse_signatures(request)?;
    let refs: Vec<(&[u8], &[u8], &[u8])> = cases.iter().map(|(k, m, s)| (k.as_slice(), m.as_slice(), s.as_slice())).collect();
    let results: Vec<String> = crate::certify::ed25519::check_all(&refs)
        .into_iter()
        .map(|c| match c {
            Ok(()) => "valid".to_string(),
            Err(r) => r.as_str().to_string(),
        })
        .collect();
    let valid = results.iter().filter(|r| *r == "valid").count();
    let body = resp::Ed25519Report { checked: len_u64(results.len()), valid: len_u64(valid), results };
    Ok(respond(status_of(valid == cases.len()), &body))
}

/// Op 22: a C2SP signed note checked against verifier keys, as Go's
/// `note.Open` does: lines by keys not given are ignored, a line by a given
/// key that does not verify makes the note invalid, and at least one given
/// key must have signed it.
fn note_verify(r: &req::NoteVerify<'_>) -> Result<Response, ApiError> {
    if r.keys.is_empty() {
        return Err(ApiError::bad_request("no verifier key given; pass at least one (`name+hexid+base64`, as `omega keygen` prints)"));
    }
    let mut keys: Vec<VerifierKey> = Vec::with_capacity(r.keys.len());
    for (i, k) in r.keys.iter().enumerate() {
        let key = VerifierKey::parse(k).map_err(|e| ApiError::within(&format!("verifier key {i}: "), &e))?;
        if keys.iter().any(|o| o.name() == key.name() && o.id() == key.id()) {
            return Err(ApiError::new(code::KEY, format!("verifier key {i}: {} (key id {:08x}) is given twice", key.name(), key.id())));
        }
        keys.push(key);
    }
    let note = Note::parse(r.note).map_err(|e| fail(&e))?;
    let mut verified = alloc::vec![false; keys.len()];
    let mut bad = false;
    let mut lines = Vec::with_capacity(note.signatures.len());
    for s in &note.signatures {
        let (status, timestamp) = match keys.iter().position(|k| k.name() == s.name && k.id() == s.id) {
            None => (resp::NoteLineStatus::UnknownKey, None),
            Some(i) => match keys.get(i).map(|k| k.check(note.text.as_bytes(), &s.sig)) {
                Some(LineCheck::Valid { timestamp }) => {
                    if let Some(v) = verified.get_mut(i) {
                        *v = true;
                    }
                    (resp::NoteLineStatus::Valid, timestamp)
                }
                _ => {
                    bad = true;
                    (resp::NoteLineStatus::Invalid, None)
                }
            },
        };
        lines.push(resp::NoteLineCheck { name: s.name.clone(), key_id: format!("{:08x}", s.id), status, timestamp });
    }
    let verified_by: Vec<String> = keys.iter().zip(&verified).filter(|(_, v)| **v).map(|(k, _)| k.name().to_string()).collect();
    let valid = !bad && !verified_by.is_empty();
    let body = resp::NoteVerdict { status: valid.into(), text: note.text, verified_by, signatures: lines };
    Ok(respond(status_of(valid), &body))
}

/// Op 31: a signed note (or a bare text, which has no blank line) with a
/// signature line by `key` appended: a witness key's cosignature/v1 at the
/// given timestamp, or a note key's signature. The key's earlier lines (its
/// name and key id) are removed first, so a witness's newer cosignature
/// replaces its older one. Refused (3501) when the result would not be a
/// note this parser reads (over 256 signatures or 1 MiB).
fn note_sign(r: &req::NoteSign<'_>) -> Result<Response, ApiError> {
    let key = signer(r.key)?;
    let mut note = if r.note.windows(2).any(|w| w == b"\n\n") {
        Note::parse(r.note).map_err(|e| fail(&e))?
    } else {
        // a bare text: read as the text of a note, by the note parser's own rules
        if !r.note.ends_with(b"\n") {
            return Err(err(code::NOTE, "malformed signed note: the text to sign must end in a newline"));
        }
        let mut probe = r.note.to_vec();
        probe.extend_from_slice("\n\u{2014} x AAAAAAA=\n".as_bytes());
        let mut n = Note::parse(&probe).map_err(|e| fail(&e))?;
        n.signatures.clear();
        n
    };
    let v = key.verifier();
    note.signatures.retain(|s| !(s.name == v.name() && s.id == v.id()));
    let line = key.sign_line(&note.text, r.timestamp).map_err(|e| fail(&e))?;
    note.signatures.push(line.clone());
    let text = note.to_text();
    Note::parse(text.as_bytes()).map_err(|e| fail(&e))?;
    Ok(respond(STATUS_OK, &resp::SignedNote { note: text, signature: line.to_line() }))
}

/// Op 30: a C2SP checkpoint judged under a C2SP tlog-policy (see
/// [`crate::certify::policy`]). Status 0 valid, 1 invalid.
fn policy_verify(r: &req::PolicyVerify<'_>) -> Result<Response, ApiError> {
    use crate::certify::policy::{Policy, WitnessCheck};
    let policy = Policy::parse(r.policy).map_err(|e| fail(&e))?;
    let note = Note::parse(r.note).map_err(|e| fail(&e))?;
    let v = policy.verify(&note).map_err(|e| fail(&e))?;
    let witnesses = policy
        .witnesses
        .iter()
        .zip(&v.witnesses)
        .map(|(w, c)| {
            let (status, timestamp) = match c {
                WitnessCheck::Valid(t) => (resp::CosignatureStatus::Valid, Some(*t)),
                WitnessCheck::Invalid => (resp::CosignatureStatus::Invalid, None),
                WitnessCheck::Missing => (resp::CosignatureStatus::Missing, None),
            };
            resp::PolicyWitness { name: w.name.clone(), key: w.key.to_string(), status, timestamp }
        })
        .collect();
    let groups = policy
        .groups
        .iter()
        .zip(&v.groups)
        .map(|(g, n)| resp::PolicyGroup {
            name: g.name.clone(),
            threshold: len_u64(g.threshold),
            members: len_u64(g.members.len()),
            witnessed: len_u64(*n),
            met: *n >= g.threshold,
        })
        .collect();
    let body = resp::PolicyVerdict {
        status: v.valid.into(),
        origin: v.origin,
        tree_size: v.tree_size,
        root: hex::encode(&v.root),
        log: v.log.map(|k| k.to_string()),
        logs: len_u64(policy.logs.len()),
        witnesses,
        groups,
        quorum: policy.name_of(policy.quorum).to_string(),
        quorum_met: v.quorum_met,
        problems: v.problems,
    };
    Ok(respond(status_of(v.valid), &body))
}

/// Op 23: the batch cut at a seal (see [`crate::api::cut`] for the rule).
/// Status 0 for ok and empty, 1 for obstruction.
fn cut(r: &req::Cut<'_>) -> Result<Response, ApiError> {
    use crate::api::cut::{self as c, CutStatus};
    let prior = prior_state(r.prior)?;
    let carry = match r.carry {
        None => Vec::new(),
        Some(b) => c::decode_carry(b).map_err(|e| fail(&e))?,
    };
    let fresh = match r.fresh {
        None => Vec::new(),
        Some(b) => decode_events(b, EventFormat::Binary)?,
    };
    let out = c::cut(&prior, carry, fresh, r.horizon, r.delay);
    let mut events = Vec::new();
    for e in &out.batch {
        e.encode_into(&mut events);
    }
    let body = resp::CutReport {
        status: out.status.into(),
        batch: len_u64(out.batch.len()),
        waiting: out.waiting,
        held: out.held,
        expired: out.expired,
        rejected: out.rejected,
        duplicates: out.duplicates,
        result: out.outcome.as_ref().map(resp::ReconcileResult::from),
        events: note::b64(&events),
        carry: note::b64(&c::encode_carry(&out.carry)),
    };
    Ok(respond(status_of(out.status != CutStatus::Obstruction), &body))
}

/// Op 24: the signature lines of certificates of one checkpoint, merged:
/// the first one's lines, then each later one's lines not already present
/// (byte-equal name, key id and signature), in input order. Nothing is
/// verified here (op 6 does that).
fn merge(certs: &[&[u8]]) -> Result<Response, ApiError> {
    let mut merged: Option<Certificate> = None;
    for (i, b) in certs.iter().enumerate() {
        let c = Certificate::read(b).map_err(|e| ApiError::within(&format!("certificate {i}: "), &e))?;
        let Some(m) = merged.as_mut() else {
            merged = Some(c);
            continue;
        };
        if c.hash() != m.hash() {
            return Err(err(
                code::MERGE,
                &format!(
                    "certificate {i} attests checkpoint {} but certificate 0 attests {}; only signatures on one checkpoint merge",
                    hex::encode(&c.hash()),
                    hex::encode(&m.hash())
                ),
            ));
        }
        for s in c.signatures {
            if !m.signatures.contains(&s) {
                if m.signatures.len() >= note::MAX_SIGNATURES {
                    return Err(fail(&CertError::Sign(format!("merged, the certificate would hold more than {} signature lines", note::MAX_SIGNATURES))));
                }
                m.signatures.push(s);
            }
        }
    }
    let m = merged.ok_or_else(|| ApiError::bad_request("merge takes one or more certificates"))?;
    cert_response(&m)
}

/// Op 25: proven when A and B are certificates of one origin and height
/// with different checkpoints, and a committee member has a signature line
/// on each that verifies (strict Ed25519). Status 0 proven, 1 not.
fn fraud(r: &req::Fraud<'_>) -> Result<Response, ApiError> {
    let comm = committee(Some(r.committee))?.ok_or_else(|| err(code::COMMITTEE, "committee: a committee is required"))?;
    let a = Certificate::read(r.a).map_err(|e| ApiError::within("certificate A: ", &e))?;
    let b = Certificate::read(r.b).map_err(|e| ApiError::within("certificate B: ", &e))?;
    let (body_a, body_b) = (a.checkpoint.body(), b.checkpoint.body());
    let signed = |c: &Certificate, body: &str, m: &VerifierKey| {
        c.signatures
            .iter()
            .any(|s| s.name == m.name() && s.id == m.id() && matches!(m.check(body.as_bytes(), &s.sig), LineCheck::Valid { .. }))
    };
    let mut signers: Vec<String> =
        comm.members().iter().filter(|m| signed(&a, &body_a, m) && signed(&b, &body_b, m)).map(|m| m.to_string()).collect();
    signers.sort_unstable();
    let (ca, cb) = (&a.checkpoint, &b.checkpoint);
    let reason = if ca.origin != cb.origin {
        Some(format!("the certificates are of different logs (origin {} and {})", ca.origin, cb.origin))
    } else if ca.height != cb.height {
        Some(format!("the certificates are at different heights ({} and {})", ca.height, cb.height))
    } else if a.hash() == b.hash() {
        Some(String::from("the certificates attest the same checkpoint: signing it twice is no contradiction"))
    } else if signers.is_empty() {
        Some(String::from("no committee member has a valid signature on both checkpoints"))
    } else {
        None
    };
    let body = resp::FraudReport {
        status: if reason.is_none() { resp::FraudStatus::Proven } else { resp::FraudStatus::NotProven },
        height: ca.height,
        origin: ca.origin.clone(),
        a: hex::encode(&a.hash()),
        b: hex::encode(&b.hash()),
        signers,
        reason: reason.clone(),
    };
    Ok(respond(status_of(reason.is_none()), &body))
}

/// Leaf hashes given as they are: 32 bytes each, in tree order.
fn raw_leaves(bytes: &[u8]) -> Result<Vec<Hash>, ApiError> {
    if bytes.len() % 32 != 0 {
        return Err(err(
            code::LEAVES_LENGTH,
            &format!("leaf hashes must be 32 bytes each, in tree order; got {} bytes ({} over a multiple of 32)", bytes.len(), bytes.len() % 32),
        ));
    }
    Ok(bytes.chunks_exact(32).map(|c| {
        let mut h = [0u8; 32];
        h.copy_from_slice(c);
        h
    }).collect())
}

fn merkle_root(leaves: &[u8]) -> Result<Response, ApiError> {
    let leaves = raw_leaves(leaves)?;
    let body = resp::MerkleRoot { root: hex::encode(&crate::tree::merkle::root(&leaves)), tree_size: len_u64(leaves.len()) };
    Ok(respond(STATUS_OK, &body))
}

fn history(events: &[u8], format: EventFormat) -> Result<Vec<Hash>, ApiError> {
    if format == EventFormat::Leaves {
        return raw_leaves(events);
    }
    let events = decode_events(events, format)?;
    crate::reconcile::history_leaves(&events).map_err(|_| {
        err(code::PROOF_OBSTRUCTED, "the events obstruct (run omega reconcile to see why); proofs are only made over a clean history")
    })
}

fn prove(op: Op, r: &req::Prove<'_>) -> Result<Response, ApiError> {
    let leaves = history(r.events, r.format)?;
    let n = r.at;
    let size = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
    let root = crate::tree::merkle::root(&leaves);
    let body = if op == Op::ProveInclusion {
        let p = proof::inclusion_proof(&leaves, n).map_err(|e| fail(&e))?;
        let leaf = usize::try_from(n).ok().and_then(|i| leaves.get(i)).copied().unwrap_or_default();
        to_json(&resp::InclusionProof {
            leaf_index: n,
            tree_size: size,
            leaf_hash: hex::encode(&leaf),
            proof: p.iter().map(|h| hex::encode(h)).collect(),
            root: hex::encode(&root),
        })
    } else {
        let p = proof::consistency_proof(&leaves, n).map_err(|e| fail(&e))?;
        let old = usize::try_from(n).ok().and_then(|m| leaves.get(..m)).map(crate::tree::merkle::root).unwrap_or_default();
        to_json(&resp::ConsistencyProof {
            old_size: n,
            new_size: size,
            old_root: hex::encode(&old),
            new_root: hex::encode(&root),
            proof: p.iter().map(|h| hex::encode(h)).collect(),
        })
    };
    Ok(Response { status: STATUS_OK, body })
}

/// Op 29: the tiles a proof needs (status 1) or, once they are all given,
/// the proof (status 0, the body of op 9 or 10), checked against the
/// trusted root when one is given.
fn prove_tiles(r: &req::ProveTiles<'_>) -> Result<Response, ApiError> {
    use crate::tree::tiles::{self, Tile, TileError};
    use alloc::collections::BTreeMap;
    let tile_err = |e: TileError| fail(&e);
    let trusted: Option<crate::Hash> = match r.root {
        None => None,
        Some(h) => Some(
            core::str::from_utf8(h)
                .ok()
                .and_then(hex::decode)
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| ApiError::bad_request("the trusted root (field 3) must be 64 hex characters, or empty"))?,
        ),
    };
    let mut given: BTreeMap<Tile, &[u8]> = BTreeMap::new();
    for (path, bytes) in &r.tiles {
        let p = core::str::from_utf8(path).map_err(|_| fail(&TileError::Path { reason: "it is not UTF-8" }))?;
        let (t, entries) = Tile::parse(p).map_err(tile_err)?;
        if entries {
            return Err(fail(&TileError::Path { reason: "an entry bundle is not a hash tile" }));
        }
        if given.insert(t, bytes).is_some() {
            return Err(ApiError::bad_request(alloc::format!("tile {p} is given twice")));
        }
    }
    let (at, size) = (r.at, r.size);
    let mut need = match r.kind {
        req::TileProof::Inclusion => tiles::inclusion_tiles(at, size).map_err(tile_err)?,
        req::TileProof::Consistency => {
            let mut n = tiles::consistency_tiles(at, size).map_err(tile_err)?;
            n.extend(tiles::root_tiles(at));
            n
        }
    };
    need.extend(tiles::root_tiles(size));
    need.sort_unstable();
    need.dedup();
    // a tile given at its width, or a wider one of the same index (its first hashes are the same)
    let find = |t: &Tile| -> Option<&[u8]> {
        given.range(*t..=Tile { width: tiles::TILE_WIDTH, ..*t }).next().map(|(_, b)| *b)
    };
    // a tile whose index is also needed wider is covered by that one: named once, widest
    let missing: Vec<String> = need
        .iter()
        .filter(|t| find(t).is_none() && !need.iter().any(|w| w.level == t.level && w.index == t.index && w.width > t.width))
        .map(Tile::path)
        .collect();
    if !missing.is_empty() {
        return Ok(respond(STATUS_OBSTRUCTION, &resp::TilesNeeded { status: resp::Need::Need, tiles: missing }));
    }
    let mut look = |t: &Tile| find(t);
    let disagree = |root: &crate::Hash, want: &crate::Hash| {
        fail(&TileError::Mismatch {
            reason: alloc::format!(
                "the tiles lead to root {} at size {size}, not the trusted root {}: a tile was changed or damaged",
                hex::encode(root),
                hex::encode(want)
            ),
        })
    };
    let root = tiles::root(size, &mut look).map_err(tile_err)?;
    let want = trusted.unwrap_or(root);
    if root != want {
        return Err(disagree(&root, &want));
    }
    let body = match r.kind {
        req::TileProof::Inclusion => {
            let (leaf, p) = tiles::inclusion_proof(at, size, &mut look).map_err(tile_err)?;
            let led = proof::root_from_inclusion(&leaf, at, size, &p).map_err(|e| fail(&e))?;
            if led != want {
                return Err(disagree(&led, &want));
            }
            to_json(&resp::InclusionProof {
                leaf_index: at,
                tree_size: size,
                leaf_hash: hex::encode(&leaf),
                proof: p.iter().map(|h| hex::encode(h)).collect(),
                root: hex::encode(&root),
            })
        }
        req::TileProof::Consistency => {
            let p = tiles::consistency_proof(at, size, &mut look).map_err(tile_err)?;
            let old = tiles::root(at, &mut look).map_err(tile_err)?;
            if proof::verify_consistency(at, size, &old, &want, &p).is_err() {
                return Err(fail(&TileError::Mismatch {
                    reason: alloc::format!("the tiles' consistency proof from {at} to {size} does not verify: a tile was changed or damaged"),
                }));
            }
            to_json(&resp::ConsistencyProof {
                old_size: at,
                new_size: size,
                old_root: hex::encode(&old),
                new_root: hex::encode(&root),
                proof: p.iter().map(|h| hex::encode(h)).collect(),
            })
        }
    };
    Ok(Response { status: STATUS_OK, body })
}

fn checked(r: Result<(), proof::ProofError>) -> Response {
    respond(status_of(r.is_ok()), &resp::ProofVerdict::from(r))
}

fn verify_inclusion(p: &[u8]) -> Result<Response, ApiError> {
    let o = proof_obj(p, &["leaf_index", "tree_size", "leaf_hash", "proof", "root"])?;
    let (i, n, leaf, root, pr) = (proof_u64(&o, "leaf_index")?, proof_u64(&o, "tree_size")?, proof_hash(&o, "leaf_hash")?, proof_hash(&o, "root")?, proof_hashes(&o)?);
    Ok(checked(proof::verify_inclusion(&leaf, i, n, &pr, &root)))
}

fn verify_consistency(p: &[u8]) -> Result<Response, ApiError> {
    let o = proof_obj(p, &["old_size", "new_size", "old_root", "new_root", "proof"])?;
    let (m, n, a, b, pr) = (proof_u64(&o, "old_size")?, proof_u64(&o, "new_size")?, proof_hash(&o, "old_root")?, proof_hash(&o, "new_root")?, proof_hashes(&o)?);
    Ok(checked(proof::verify_consistency(m, n, &a, &b, &pr)))
}

/// The ingest response: status 0 for a clean log, 1 for a damaged one.
pub fn ingest_response(r: &crate::event::frame::Report) -> Response {
    respond(status_of(r.error.is_none()), &resp::IngestReport::from(r))
}

fn ingest(log: &[u8]) -> Response {
    ingest_response(&crate::event::frame::scan(log))
}

/// The events of a clean log, borrowed from its bytes.
fn log_refs(log: &[u8]) -> Result<Vec<EventRef<'_>>, ApiError> {
    let frames = crate::event::frame::Frames::new(log).and_then(|f| f.map(|f| f.map(|f| f.event)).collect::<Result<Vec<_>, _>>());
    frames.map_err(|e| {
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
pub(crate) fn prior_state(prior: &[u8]) -> Result<crate::State, ApiError> {
    crate::api::abi::parse_any_prior(prior).map_err(|(code, msg)| err(code, &msg))
}

fn reconcile_log(log: &[u8], prior: &[u8]) -> Result<Response, ApiError> {
    let events = log_refs(log)?;
    let prior = prior_state(prior)?;
    Ok(crate::api::abi::respond(&crate::reconcile(&prior, &events)))
}

/// Op 15: the state of `from`, with the world given (OMGW, or a snapshot
/// holding one), else the world `from` holds when it is such a snapshot.
fn snapshot(r: &req::Snapshot<'_>) -> Result<Response, ApiError> {
    let state = prior_state(r.from)?;
    let world = match r.world {
        Some(w) => Some(ecs_world(w)?.encode()),
        None if r.from.starts_with(b"OMSN") => crate::replay::snapshot::Snapshot::decode(r.from).map_err(|e| fail(&e))?.world,
        None => None,
    };
    let snap = crate::replay::snapshot::Snapshot { state, world };
    Ok(respond(STATUS_OK, &resp::SnapshotReport::from(&snap)))
}

/// A world given as its encoding (OMGW) or as a snapshot (OMSN) holding one.
fn ecs_world(bytes: &[u8]) -> Result<crate::ecs::World, ApiError> {
    if bytes.starts_with(b"OMSN") {
        let snap = crate::replay::snapshot::Snapshot::decode(bytes).map_err(|e| fail(&e))?;
        return snap.world().ok_or_else(|| err(code::WORLD_SNAPSHOT, "the snapshot (OMSN) holds no world; make one with a world (`omega snapshot --world`)"));
    }
    crate::ecs::World::restore(bytes).map_err(|e| fail(&e))
}

/// What one batch of a replay gave, in its certificate's terms.
struct Replayed {
    kind: Kind,
    tree_size: u64,
    root: Hash,
    state_hash: Hash,
    evidence: Option<Hash>,
}

/// The end of the batch a certificate of tree size `target` covers, from
/// log event `pos`: the shortest run of events that brings the history to
/// `target` (an event already in the history adds nothing, so the run is
/// grown until it does), or up to an obstruction, or the rest of the log
/// when `rest`. Returns the end and the batch's outcome.
fn replay_cut(state: &crate::State, events: &[EventRef<'_>], pos: usize, target: u64, rest: bool) -> (usize, crate::Outcome) {
    let slice = |end: usize| events.get(pos..end).unwrap_or_default();
    if rest {
        return (events.len(), crate::reconcile(state, slice(events.len())));
    }
    let mut end = pos;
    let mut outcome = crate::reconcile(state, slice(end));
    while let crate::Outcome::Ok(s) = &outcome {
        let have = s.state.tree_size();
        if have >= target || end >= events.len() {
            break;
        }
        let more = usize::try_from(target - have).unwrap_or(usize::MAX).min(events.len() - end);
        end += more;
        outcome = crate::reconcile(state, slice(end));
    }
    (end, outcome)
}

/// Runs of commands, each to its end tick ([`crate::ecs::first_departure`]'s input).
type Segments = Vec<(Vec<crate::ecs::Command>, u64)>;

/// A batch's events for the world: the log's events, once each by key.
fn batch_events(batch: &[EventRef<'_>]) -> Vec<Event> {
    let mut by_key = alloc::collections::BTreeMap::new();
    for e in batch {
        by_key.entry(e.key()).or_insert_with(|| e.to_event());
    }
    by_key.into_values().collect()
}

/// Op 16: a log replayed on a snapshot (its history, and its world when it
/// holds one), checked batch by batch against a chain of certificates
/// (docs/FORMATS.md "Replay (op 16)").
fn replay(r: &req::Replay<'_>) -> Result<Response, ApiError> {
    use crate::ecs::{World, batch, first_departure};
    let prior = match r.snapshot {
        None => crate::State::new(),
        Some(s) => prior_state(s)?,
    };
    let snap_world = match r.snapshot {
        Some(s) if s.starts_with(b"OMSN") => crate::replay::snapshot::Snapshot::decode(s).map_err(|e| fail(&e))?.world(),
        _ => None,
    };
    let events = log_refs(r.log)?;
    let given: Vec<&[u8]> = r.certificate.into_iter().chain(r.chain.iter().copied()).collect();
    let many = given.len() > 1;
    let certs = given
        .iter()
        .enumerate()
        .map(|(i, c)| Certificate::read(c).map_err(|e| if many { err(e.code(), &format!("certificate {}: {e}", i + 1)) } else { fail(&e) }))
        .collect::<Result<Vec<_>, _>>()?;
    let reference = r.reference.map(|w| ecs_world(w).map_err(|e| err(e.code, &format!("reference world: {}", e.message)))).transpose()?;
    let wants_world = snap_world.is_some()
        || reference.is_some()
        || r.inject.is_some()
        || certs.iter().any(|c| c.checkpoint.world.is_some() || c.checkpoint.kind == Kind::Ecs);
    // the world the history drives: the snapshot's, else a new world of the default config
    let start_world: Option<World> = match snap_world {
        Some(w) => Some(w),
        None if wants_world => Some(ecs_start(b"")?),
        None => None,
    };
    let mut world = start_world.clone();
    let mut state = prior;
    let mut pos = 0usize;
    // each batch's plan (commands, end tick): what `first_departure` re-runs
    let mut segments: Segments = Vec::new();
    let mut batches = Vec::new();
    let mut first: Option<(resp::Divergence, Segments)> = None;
    let mut last: Option<Replayed> = None;
    let mut ecs_run: Option<(usize, crate::ecs::Run)> = None;
    let n = certs.len().max(1);
    for i in 0..n {
        let cert = certs.get(i);
        let target = cert.map_or(0, |c| c.checkpoint.tree_size);
        let (end, outcome) = replay_cut(&state, &events, pos, target, i + 1 == n);
        let batch = events.get(pos..end).unwrap_or_default();
        let mut got = match &outcome {
            crate::Outcome::Ok(s) => Replayed { kind: Kind::State, tree_size: s.state.tree_size(), root: s.state.root(), state_hash: s.state_hash, evidence: None },
            crate::Outcome::Obstruction(o) => {
                Replayed { kind: Kind::Obstruction, tree_size: o.prior_tree_size, root: o.prior_root, state_hash: o.prior_state_hash, evidence: Some(o.evidence_hash) }
            }
        };
        // the world steps through a clean batch (an obstruction leaves it as it was)
        if matches!(outcome, crate::Outcome::Ok(_))
            && let Some(w) = world.take()
        {
            let evs = batch_events(batch);
            let p = batch::plan(w.tick(), &evs);
            segments.push((p.commands, p.end_tick));
            world = Some(batch::step_batch_with(w, &evs, r.inject).0);
        }
        if let crate::Outcome::Ok(s) = outcome {
            state = s.state;
        }
        pos = end;
        let mark = world.as_ref().map(|w| cert::WorldMark { tick: w.tick(), state_hash: w.state_hash() });
        let mut divergence = None;
        let mut ecs_segments = None;
        if let Some(c) = cert {
            let cp = &c.checkpoint;
            // kind ecs: the world run on every command of the log so far to the attested tick
            if cp.kind == Kind::Ecs && got.kind == Kind::State {
                got.kind = Kind::Ecs;
                let tick = cp.tick.unwrap_or(0);
                let start = match start_world.clone() {
                    Some(w) => w,
                    None => ecs_start(b"")?,
                };
                let (cmds, _) = crate::ecs::command::from_events(&batch_events(events.get(..end).unwrap_or_default()));
                let t0 = start.tick();
                if tick < t0 {
                    divergence = Some(resp::Divergence { certified: tick.to_string(), field: "tick".into(), replayed: t0.to_string() });
                } else {
                    let mut run = match ecs_run.take() {
                        Some((e, run)) if e == end && run.tick() <= tick => run,
                        _ => crate::ecs::Run::new(start, cmds.iter().cloned(), r.inject),
                    };
                    run.step_n(tick - run.tick(), |_| {});
                    got.state_hash = run.state_hash();
                    ecs_run = Some((end, run));
                }
                ecs_segments = Some(alloc::vec![(cmds, tick)]);
            }
            let world_line = |m: Option<cert::WorldMark>| m.map(|m| m.to_string()).unwrap_or_default();
            let checks: [(&str, String, String); 6] = [
                ("kind", cp.kind.as_str().into(), got.kind.as_str().into()),
                ("tree_size", cp.tree_size.to_string(), got.tree_size.to_string()),
                ("root", hex::encode(&cp.root), hex::encode(&got.root)),
                ("state_hash", hex::encode(&cp.state_hash), hex::encode(&got.state_hash)),
                ("evidence", cp.evidence.map(|e| hex::encode(&e)).unwrap_or_default(), got.evidence.map(|e| hex::encode(&e)).unwrap_or_default()),
                ("world", world_line(cp.world), if cp.world.is_some() { world_line(mark) } else { String::new() }),
            ];
            if divergence.is_none()
                && let Some((f, want, have)) = checks.into_iter().find(|(_, a, b)| a != b)
            {
                divergence = Some(resp::Divergence { certified: want, field: f.into(), replayed: have });
            }
        }
        if many {
            batches.push(resp::ReplayBatch {
                certificate: cert.map(|c| hex::encode(&c.hash())).unwrap_or_default(),
                events: len_u64(batch.len()),
                first_divergence: divergence.clone(),
                kind: got.kind.into(),
                root: hex::encode(&got.root),
                state_hash: hex::encode(&got.state_hash),
                status: if divergence.is_some() { resp::ReplayStatus::Diverged } else { resp::ReplayStatus::Match },
                tree_size: got.tree_size,
                world: mark.map(|m| resp::EcsCheckpoint { state_hash: hex::encode(&m.state_hash), tick: m.tick }),
            });
        }
        let stop = divergence.is_some();
        if let Some(d) = divergence {
            first = Some((d, ecs_segments.unwrap_or_else(|| segments.clone())));
        }
        last = Some(got);
        if stop {
            break;
        }
    }
    // `world` is the world after the last batch replayed
    let Some(got) = last else { return Err(err(code::BAD_REQUEST, "nothing to replay")) };
    let departure = if reference.is_some() || r.inject.is_some() {
        let against = if reference.is_some() { "reference" } else { "uninjected" };
        let segs = first.as_ref().map_or(&segments, |(_, s)| s);
        let difference = match (start_world.clone(), reference.or_else(|| start_world.clone())) {
            (Some(a), Some(b)) => first_departure(a, r.inject, b, segs),
            _ => None,
        };
        Some(resp::WorldDeparture {
            against: against.into(),
            difference: difference.map(|d| resp::WorldDifference {
                component: d.component,
                entity: d.entity,
                reference: d.reference,
                stage: d.stage.as_str().into(),
                tick: d.tick,
                world: d.world,
            }),
        })
    } else {
        None
    };
    let status = match (certs.is_empty(), &first) {
        (true, _) => resp::ReplayStatus::Replayed,
        (false, None) => resp::ReplayStatus::Match,
        (false, Some(_)) => resp::ReplayStatus::Diverged,
    };
    let checked = batches.len().max(1);
    let body = resp::ReplayReport {
        batches: many.then_some(batches),
        certificate: certs.get(checked - 1).map(|c| hex::encode(&c.hash())),
        events: len_u64(pos),
        evidence_hash: got.evidence.map(|e| hex::encode(&e)),
        first_divergence: first.map(|(d, _)| d),
        kind: got.kind.into(),
        root: hex::encode(&got.root),
        state_hash: hex::encode(&got.state_hash),
        status,
        tree_size: got.tree_size,
        world: world.map(|w| resp::EcsCheckpoint { state_hash: hex::encode(&w.state_hash()), tick: w.tick() }),
        world_departure: departure,
    };
    Ok(respond(status_of(status != resp::ReplayStatus::Diverged), &body))
}

fn bundle(r: &req::Bundle<'_>) -> Result<Response, ApiError> {
    let events = decode_events(r.events, r.format)?;
    let prior = prior_state(r.prior)?;
    let Some((b, o)) = crate::replay::snapshot::Bundle::capture(&prior, &events) else {
        return Err(err(code::NOTHING_TO_BUNDLE, "the batch does not obstruct; there is nothing to bundle"));
    };
    let body = resp::BundleReport {
        bundle: note::b64(&b.encode()),
        evidence_hash: hex::encode(&o.evidence_hash),
        status: resp::StatusOk::Is,
        violations: len_u64(o.violations.len()),
    };
    Ok(respond(STATUS_OK, &body))
}

fn explain_bundle(b: &[u8]) -> Result<Response, ApiError> {
    let b = crate::replay::snapshot::Bundle::decode(b).map_err(|e| fail(&e))?;
    let (out, same) = b.reproduce();
    let body = resp::BundleExplanation {
        events: len_u64(b.events.len()),
        prior_state_hash: hex::encode(&b.prior.state_hash()),
        prior_tree_size: b.prior.tree_size(),
        recorded_evidence_hash: hex::encode(&crate::sha256(&b.evidence)),
        reproduced: same,
        result: resp::Sorted(resp::ReconcileResult::from(&out)),
    };
    Ok(respond(status_of(same), &body))
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
pub fn ecs_start(start: &[u8]) -> Result<crate::ecs::World, ApiError> {
    use crate::ecs::{Config, World};
    if start.starts_with(b"OMGW") || start.starts_with(b"OMSN") {
        return ecs_world(start);
    }
    let bad = |w: &str| err(code::WORLD_CONFIG, &format!("world config: {w}"));
    let v: Value = if start.is_empty() { Value::Object(Map::new()) } else { strict_json(start, "world config", |d| bad(&format!("not JSON ({d})")))? };
    let Value::Object(o) = v else { return Err(bad("expected an object {\"seed\", \"entities\", \"nodes\", \"edges_per_entity\"}")) };
    if let Some(k) = o.keys().find(|k| !["seed", "entities", "nodes", "edges_per_entity"].contains(&k.as_str())) {
        return Err(bad(&format!("unknown field `{k}`")));
    }
    let d = Config::default();
    let u = |k: &str, def: u64, min: u64, max: u64| -> Result<u64, ApiError> {
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

/// Commands from an events field (JSON events; empty for none), the history
/// they come from, and the undecodable payloads.
pub fn ecs_commands(events: &[u8]) -> Result<(Vec<crate::ecs::Command>, resp::EcsHistory, Vec<resp::Undecodable>), ApiError> {
    if events.is_empty() {
        return Ok((Vec::new(), resp::EcsHistory::empty(), Vec::new()));
    }
    let evs = json::parse_events(events, &Limits::default()).map_err(ApiError::from)?;
    let state = match crate::reconcile(&crate::State::new(), &evs) {
        crate::Outcome::Ok(s) => s.state,
        crate::Outcome::Obstruction(_) => {
            return Err(err(code::WORLD_HISTORY, "the event history obstructs (run omega reconcile to see why); the world runs only on a clean history"));
        }
    };
    let (cmds, bad) = crate::ecs::command::from_events(&evs);
    let bad = bad.into_iter().map(|(k, why)| resp::Undecodable { key: k.to_hex(), reason: why }).collect();
    Ok((cmds, resp::EcsHistory::from(&state), bad))
}

fn ecs_run(r: &req::EcsRun<'_>) -> Result<Response, ApiError> {
    let world = ecs_start(r.start)?;
    let n = r.ticks;
    let (cmds, history, undecodable) = ecs_commands(r.events.unwrap_or_default())?;
    let reports = r.mode.reports;
    let inject = r.inject;
    // the loop every engine shares: injected flip, the tick's commands, systems, digest, checkpoints
    let mut run = crate::ecs::Run::new(world, cmds, inject);
    let mut lines = Vec::new();
    run.step_n(n, |r| {
        if reports {
            lines.push(resp::Sorted(resp::TickReport::from(r)));
        }
    });
    if r.mode.prestep {
        // the start of the next tick: its injection and commands, no systems yet
        run.prestep();
    }
    let body = resp::EcsRunReport {
        checkpoints: run.checkpoints().iter().map(|(t, h)| resp::EcsCheckpoint { state_hash: hex::encode(h), tick: *t }).collect(),
        digest: hex::encode(&run.digest()),
        end_tick: run.tick(),
        history,
        reports: reports.then_some(lines),
        snapshot: r.mode.snapshot.then(|| note::b64(&run.world().encode())),
        start_tick: run.start_tick(),
        state_hash: hex::encode(&run.state_hash()),
        status: resp::StatusOk::Is,
        undecodable,
    };
    Ok(respond(STATUS_OK, &body))
}

/// Op 26: the world stepped through one batch (`crate::ecs::batch`).
fn ecs_batch(r: &req::EcsBatch<'_>) -> Result<Response, ApiError> {
    let world = ecs_start(r.world)?;
    let events = match r.events {
        None => Vec::new(),
        Some(b) => decode_events(b, EventFormat::Binary)?,
    };
    let (world, step) = crate::ecs::batch::step_batch(world, &events);
    let keyed = |v: &[(crate::Key, u64)]| v.iter().map(|(k, t)| resp::LateCommand { key: k.to_hex(), tick: *t }).collect();
    let body = resp::EcsBatchReport {
        end_tick: step.end_tick,
        late: keyed(&step.late),
        plain: step.plain,
        refused: step.refused,
        scheduled: step.scheduled,
        start_tick: step.start_tick,
        state_hash: hex::encode(&step.state_hash),
        status: resp::StatusOk::Is,
        too_far: keyed(&step.too_far),
        world: note::b64(&world.encode()),
    };
    Ok(respond(STATUS_OK, &body))
}

fn ecs_diff(a: &[u8], b: &[u8]) -> Result<Response, ApiError> {
    let wa = crate::ecs::World::restore(a).map_err(|e| err(e.code(), &format!("A: {e}")))?;
    let wb = crate::ecs::World::restore(b).map_err(|e| err(e.code(), &format!("B: {e}")))?;
    let d = wa.first_difference(&wb);
    let same = d.is_none();
    let body = resp::EcsDiff {
        first_difference: d.map(|(entity, component, a, b)| resp::Difference { a, b, component, entity }),
        same,
        tick_a: wa.tick(),
        tick_b: wb.tick(),
    };
    Ok(respond(status_of(same), &body))
}
