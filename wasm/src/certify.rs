//! The certify half of the JS API: keys, certificates, quorum, chains and
//! RFC 9162 proofs. Every function builds an ABI request and runs
//! `omega_core::api::abi::call`, the same entry the CLI and wasmtime use, so the
//! results are the CLI's JSON, parsed.
use crate::{parse_json, throw_body};
use omega_core::api::abi;
use omega_core::api::Op;
use omega_core::api::ops::{self, make_fields};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/**
 * What `certify` and `cosign` return: the certificate and what it attests (op 4's body,
 * `CertificateReport`), with the binary certificate (OMGC) as bytes: pass it to
 * cosign/verifyCertificate or save it.
 */
export type CertificateResult = Omit<CertificateReport, "certificate"> & { certificate: Uint8Array };
/** A committee: `threshold` distinct members of `members` (C2SP verifier keys, each public key once) must sign. */
export interface Committee { threshold: number; members: string[] }
/** A certificate as bytes (binary OMGC) or as its signed-note text. */
export type CertificateInput = Uint8Array | string;
"#;

/// Bytes of a JS argument: undefined/null → empty, a string → UTF-8,
/// a Uint8Array → its bytes, anything else → its JSON text.
pub(crate) fn bytes_of(v: &JsValue) -> Result<Vec<u8>, JsValue> {
    if v.is_undefined() || v.is_null() {
        Ok(Vec::new())
    } else if let Some(s) = v.as_string() {
        Ok(s.into_bytes())
    } else if v.is_instance_of::<js_sys::Uint8Array>() {
        Ok(js_sys::Uint8Array::new(v).to_vec())
    } else {
        js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .map(String::into_bytes)
            .ok_or_else(|| crate::js_error(omega_core::api::code::JSON_SHAPE, "value cannot be converted to JSON", None, None))
    }
}

/// Runs an op; throws on an error response, else returns the parsed body.
pub(crate) fn run(op: Op, fields: &[&[u8]]) -> Result<JsValue, JsValue> {
    respond(&ops::run(op, &make_fields(fields)))
}

/// Replaces the base64 `certificate` field by its bytes.
fn with_cert_bytes(v: JsValue) -> Result<JsValue, JsValue> {
    let b64 = js_sys::Reflect::get(&v, &"certificate".into())?.as_string().unwrap_or_default();
    let bytes = omega_core::certify::note::b64_decode(&b64).unwrap_or_default();
    js_sys::Reflect::set(&v, &"certificate".into(), &js_sys::Uint8Array::from(bytes.as_slice()))?;
    Ok(v)
}

/// A new Ed25519 key pair named `name`, seeded from the platform's secure
/// random source (WebCrypto `getRandomValues` in browsers and Node). `type`
/// is `"note"` (the default: a log or committee member's key, type 0x01) or
/// `"witness"` (a C2SP cosignature/v1 key, type 0x04). Throws 3502 for a
/// name that is empty, holds a space or a `+`, or is over 255 bytes; 3301
/// for another type.
#[wasm_bindgen(js_name = generateKeypair, unchecked_return_type = "Keypair")]
pub fn generate_keypair(
    name: &str,
    #[wasm_bindgen(js_name = type, unchecked_optional_param_type = "\"note\" | \"witness\"")] kind: Option<String>,
) -> Result<JsValue, JsValue> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| crate::js_error(omega_core::api::code::NO_RANDOM, &format!("no secure random source: {e}"), None, None))?;
    run(Op::Keygen, &[name.as_bytes(), &seed, kind.unwrap_or_default().as_bytes()])
}

/// The key pair for a given 32-byte seed (deterministic; for tests and key
/// recovery); `type` as for `generateKeypair`.
#[wasm_bindgen(js_name = keypairFromSeed, unchecked_return_type = "Keypair")]
pub fn keypair_from_seed(
    name: &str,
    seed: &[u8],
    #[wasm_bindgen(js_name = type, unchecked_optional_param_type = "\"note\" | \"witness\"")] kind: Option<String>,
) -> Result<JsValue, JsValue> {
    run(Op::Keygen, &[name.as_bytes(), seed, kind.unwrap_or_default().as_bytes()])
}

/// Certifies a reconcile result (the object or JSON text `reconcile` returns,
/// ok or obstruction) as a signed checkpoint, extending `prev` when given and
/// committing to `committee` when given. Throws 3502 for an origin over
/// 65,535 bytes (or a signer key name over 255), 3603 for a committee that
/// lists one public key twice. `world` (optional, `"<tick> <64 hex>"`: an
/// `ecsBatch` answer's `end_tick` and `state_hash`) adds the checkpoint's
/// `omega-world` line; 3606 when malformed, 3604 when `prev` has a world line
/// and this has none or an earlier tick.
#[wasm_bindgen(unchecked_return_type = "CertificateResult")]
pub fn certify(
    #[wasm_bindgen(unchecked_param_type = "ReconcileResult | string")] result: JsValue,
    origin: &str,
    #[wasm_bindgen(js_name = signerKey)] signer_key: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "CertificateInput | null")] prev: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Committee | string | null")] committee: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] world: Option<String>,
) -> Result<JsValue, JsValue> {
    let (r, p, c) = (bytes_of(&result)?, bytes_of(&prev)?, bytes_of(&committee)?);
    let w = world.unwrap_or_default();
    with_cert_bytes(run(Op::Certify, &[&r, origin.as_bytes(), signer_key.as_bytes(), &p, &c, w.as_bytes()])?)
}

/// Adds `signerKey`'s signature to a certificate. Throws 3605 when a line by
/// that key already verifies; lines with its name and key id that do not
/// verify are replaced by the genuine signature. A witness key (type 0x04)
/// adds a C2SP cosignature/v1 stamped `timestamp` (POSIX seconds; the
/// current time, `Date.now()`, when omitted); a note key takes no timestamp
/// (3503 when one is given).
#[wasm_bindgen(unchecked_return_type = "CertificateResult")]
pub fn cosign(
    #[wasm_bindgen(unchecked_param_type = "CertificateInput")] cert: JsValue,
    #[wasm_bindgen(js_name = signerKey)] signer_key: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] timestamp: JsValue,
) -> Result<JsValue, JsValue> {
    let cert = bytes_of(&cert)?;
    let t = timestamp_field(&timestamp, signer_key)?;
    with_cert_bytes(run(Op::Cosign, &[&cert, signer_key.as_bytes(), t.as_bytes()])?)
}

/// The timestamp field of ops 5 and 31: the given one (checked as a JS
/// integer), else the clock's for a witness key, else none (empty).
fn timestamp_field(timestamp: &JsValue, signer_key: &str) -> Result<String, JsValue> {
    if !(timestamp.is_undefined() || timestamp.is_null()) {
        return Ok(crate::int_arg(timestamp, "timestamp", 0, crate::MAX_SAFE_INTEGER, omega_core::api::code::ARGUMENT)?.to_string());
    }
    let witness = omega_core::certify::note::SignerKey::parse(signer_key).is_ok_and(|k| k.is_cosigner());
    Ok(if witness { ((js_sys::Date::now() / 1000.0) as u64).to_string() } else { String::new() })
}

/// Signs any C2SP signed note, or a bare text ending in a newline (op 31):
/// a witness key (type 0x04) adds a cosignature/v1 stamped `timestamp`
/// (POSIX seconds; the current time when omitted), so a browser tab can
/// witness any log's checkpoint; a note key adds an Ed25519 signature (and
/// takes no timestamp, 3503). The key's earlier lines are removed first.
/// Returns `{note, signature}`: the note, and the new line alone.
#[wasm_bindgen(js_name = signNote, unchecked_return_type = "SignedNote")]
pub fn sign_note(
    note: &str,
    #[wasm_bindgen(js_name = signerKey)] signer_key: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] timestamp: JsValue,
) -> Result<JsValue, JsValue> {
    let t = timestamp_field(&timestamp, signer_key)?;
    run(Op::NoteSign, &[note.as_bytes(), signer_key.as_bytes(), t.as_bytes()])
}

/// Verifies a certificate against a committee (k distinct members with valid
/// strict Ed25519 signatures). Returns the report; throws only on malformed
/// input. To verify many certificates under one committee, make a
/// `CommitteeVerifier` once: it checks the member keys once instead of per call.
#[wasm_bindgen(js_name = verifyCertificate, unchecked_return_type = "VerifyReport")]
pub fn verify_certificate(
    #[wasm_bindgen(unchecked_param_type = "CertificateInput")] cert: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Committee | string")] committee: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::Verify, &[&bytes_of(&cert)?, &bytes_of(&committee)?])
}

/// Verifies a chain of certificates (any order) back to genesis: each valid,
/// heights contiguous, hash links, consistency proofs; forks reported.
/// The report is the one for the highest certificate, with `chain`.
#[wasm_bindgen(js_name = verifyChain, unchecked_return_type = "VerifyReport")]
pub fn verify_chain(
    #[wasm_bindgen(unchecked_param_type = "CertificateInput[]")] certs: Vec<JsValue>,
    #[wasm_bindgen(unchecked_param_type = "Committee | string")] committee: JsValue,
) -> Result<JsValue, JsValue> {
    let mut bytes = certs.iter().map(bytes_of).collect::<Result<Vec<_>, _>>()?;
    let Some(last) = bytes.pop() else {
        return Err(crate::js_error(omega_core::api::code::BAD_REQUEST, "verifyChain needs at least one certificate", None, None));
    };
    let comm = bytes_of(&committee)?;
    let mut fields: Vec<&[u8]> = vec![&last, &comm];
    if bytes.is_empty() {
        // a chain of one: still checked as a chain (it must be genesis)
        fields.push(&last);
    } else {
        fields.extend(bytes.iter().map(Vec::as_slice));
    }
    run(Op::Verify, &fields)
}

/// Every field of a certificate in words (`text`), and with a committee the verdict.
#[wasm_bindgen(js_name = explainCertificate, unchecked_return_type = "Explanation")]
pub fn explain_certificate(
    #[wasm_bindgen(unchecked_param_type = "CertificateInput")] cert: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Committee | string | null")] committee: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::Explain, &[&bytes_of(&cert)?, &bytes_of(&committee)?])
}

/// The C2SP signed-note text of a certificate.
#[wasm_bindgen(js_name = certificateNote)]
pub fn certificate_note(#[wasm_bindgen(unchecked_param_type = "CertificateInput")] cert: JsValue) -> Result<String, JsValue> {
    let v = run(Op::Note, &[&bytes_of(&cert)?])?;
    Ok(js_sys::Reflect::get(&v, &"note".into())?.as_string().unwrap_or_default())
}

fn events_and_format(events: &JsValue) -> Result<(Vec<u8>, &'static [u8]), JsValue> {
    let fmt: &'static [u8] = if events.is_instance_of::<js_sys::Uint8Array>() { b"binary" } else { b"json" };
    Ok((bytes_of(events)?, fmt))
}

/// The RFC 9162 inclusion proof of leaf `index` of the history `events`
/// (an array of event objects, JSON text, or canonical binary events).
#[wasm_bindgen(js_name = inclusionProof, unchecked_return_type = "InclusionProof")]
pub fn inclusion_proof(
    #[wasm_bindgen(unchecked_param_type = "EventsInput | Uint8Array")] events: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
) -> Result<JsValue, JsValue> {
    let index = int_text(&index, "index")?;
    let (ev, fmt) = events_and_format(&events)?;
    run(Op::ProveInclusion, &[&ev, fmt, index.as_bytes()])
}

/// The RFC 9162 consistency proof from the first `oldSize` leaves to the whole history.
#[wasm_bindgen(js_name = consistencyProof, unchecked_return_type = "ConsistencyProof")]
pub fn consistency_proof(
    #[wasm_bindgen(unchecked_param_type = "EventsInput | Uint8Array")] events: JsValue,
    #[wasm_bindgen(js_name = oldSize, unchecked_param_type = "number")] old_size: JsValue,
) -> Result<JsValue, JsValue> {
    let old_size = int_text(&old_size, "oldSize")?;
    let (ev, fmt) = events_and_format(&events)?;
    run(Op::ProveConsistency, &[&ev, fmt, old_size.as_bytes()])
}

/// An index or size: an integer from 0 to 2^53 - 1 (3303 otherwise; one past
/// the tree is the proof's own 3401).
fn int_text(x: &JsValue, name: &str) -> Result<String, JsValue> {
    crate::int_arg(x, name, 0, crate::MAX_SAFE_INTEGER, omega_core::api::code::ARGUMENT).map(|v| v.to_string())
}

/// The RFC 6962 root of leaf hashes given as they are (32 bytes each, in tree
/// order, concatenated): `{ tree_size, root }`, the root in lowercase hex.
/// Throws code 3407 when the length is not a multiple of 32.
#[wasm_bindgen(js_name = merkleRoot, unchecked_return_type = "MerkleRoot")]
pub fn merkle_root(#[wasm_bindgen(js_name = leafHashes)] leaf_hashes: &[u8]) -> Result<JsValue, JsValue> {
    run(Op::MerkleRoot, &[leaf_hashes])
}

/// An RFC 9162 proof from the tiles of a C2SP tile store (op 29;
/// docs/FORMATS.md, "Proofs from tiles"). `kind` is `"inclusion"` (of leaf
/// `at`) or `"consistency"` (from the tree of `at` leaves) in the tree of
/// `size` leaves; `root` the root trusted at `size` (64 hex), or null;
/// `tiles` maps tile paths (`tile/<L>/<N>[.p/<W>]`) to their bytes. Returns
/// `{status: "need", tiles: [paths]}` until every tile it needs is given,
/// then the proof (as `inclusionProof` / `consistencyProof` return it).
/// Throws 3401 (sizes), 3411 (a short tile), 3412 (a bad path), 3414 (the
/// tiles disagree with the trusted root or with each other).
#[wasm_bindgen(js_name = proveFromTiles, unchecked_return_type = "InclusionProof | ConsistencyProof | TilesNeeded")]
pub fn prove_from_tiles(
    #[wasm_bindgen(unchecked_param_type = "\"inclusion\" | \"consistency\"")] kind: &str,
    #[wasm_bindgen(unchecked_param_type = "number")] at: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] size: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] root: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, Uint8Array> | Map<string, Uint8Array> | null | undefined")] tiles: JsValue,
) -> Result<JsValue, JsValue> {
    let (at, size) = (int_text(&at, "at")?, int_text(&size, "size")?);
    let root = root.as_string().unwrap_or_default();
    let arg = |m: &str| crate::js_error(omega_core::api::code::ARGUMENT, m, None, None);
    let entries = if tiles.is_undefined() || tiles.is_null() {
        js_sys::Array::new()
    } else if tiles.is_instance_of::<js_sys::Map>() {
        js_sys::Array::from(&js_sys::Map::from(tiles).entries().into())
    } else if tiles.is_object() {
        js_sys::Object::entries(&js_sys::Object::from(tiles))
    } else {
        return Err(arg("tiles must be an object or a Map from tile paths to Uint8Array bytes"));
    };
    let mut given: Vec<(String, Vec<u8>)> = Vec::new();
    for e in entries.iter() {
        let pair = js_sys::Array::from(&e);
        let path = pair.get(0).as_string().ok_or_else(|| arg("a tile path is not a string"))?;
        let bytes = pair.get(1);
        if !bytes.is_instance_of::<js_sys::Uint8Array>() {
            return Err(arg(&format!("the bytes of {path} are not a Uint8Array")));
        }
        given.push((path, js_sys::Uint8Array::new(&bytes).to_vec()));
    }
    let mut fields: Vec<&[u8]> = vec![kind.as_bytes(), at.as_bytes(), size.as_bytes(), root.as_bytes()];
    for (p, b) in &given {
        fields.push(p.as_bytes());
        fields.push(b);
    }
    run(Op::ProveTiles, &fields)
}

/// Checks an inclusion proof (the object `inclusionProof` returns); needs only the proof.
#[wasm_bindgen(js_name = verifyInclusion, unchecked_return_type = "ProofVerdict")]
pub fn verify_inclusion(#[wasm_bindgen(unchecked_param_type = "InclusionProof | string")] proof: JsValue) -> Result<JsValue, JsValue> {
    run(Op::VerifyInclusion, &[&bytes_of(&proof)?])
}

/// Checks a consistency proof (the object `consistencyProof` returns).
#[wasm_bindgen(js_name = verifyConsistency, unchecked_return_type = "ProofVerdict")]
pub fn verify_consistency(
    #[wasm_bindgen(unchecked_param_type = "ConsistencyProof | string")] proof: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::VerifyConsistency, &[&bytes_of(&proof)?])
}

/// Checks any C2SP signed note (not only omega's) against verifier keys
/// (`name+hexid+base64`), as Go's `note.Open` does: lines by keys not given
/// are ignored, a line by a given key that does not verify makes the note
/// invalid, and at least one given key must have signed. An invalid note is
/// returned (`status: "invalid"`), not thrown; a malformed note or key throws
/// (3501, 3503, 3504, 3505), as does an empty key list (3301).
#[wasm_bindgen(js_name = verifyNote, unchecked_return_type = "NoteVerdict")]
pub fn verify_note(note: &str, #[wasm_bindgen(js_name = verifierKeys)] verifier_keys: Vec<String>) -> Result<JsValue, JsValue> {
    let mut fields: Vec<&[u8]> = vec![note.as_bytes()];
    fields.extend(verifier_keys.iter().map(|k| k.as_bytes()));
    run(Op::NoteVerify, &fields)
}

/// Judges a C2SP checkpoint (any log's signed note, omega's included) under
/// a C2SP tlog-policy (op 30): valid when a listed log with the
/// checkpoint's origin signed it (any log, when the policy lists none) and
/// the quorum of witnesses cosigned it (`group <name> all|any|<k> ...`).
/// Returns the verdict (`status: "invalid"` is returned, not thrown), with
/// every witness's status and cosignature timestamp and every group's count.
/// Throws 3507 for a policy that breaks a rule of the format (or a note that
/// is not a checkpoint), 3501 for a malformed note, 3502 to 3505 for a key.
#[wasm_bindgen(js_name = verifyPolicy, unchecked_return_type = "PolicyVerdict")]
pub fn verify_policy(policy: &str, note: &str) -> Result<JsValue, JsValue> {
    run(Op::PolicyVerify, &[policy.as_bytes(), note.as_bytes()])
}

/// Checks raw Ed25519 signatures by omega's strict rules (op 28; docs/FORMATS.md,
/// "Ed25519 rules"): each `{key, msg, sig}` in lowercase hex. Returns
/// `{checked, valid, results}`, one result per signature: `"valid"` or the first
/// rule it breaks (`key_torsion`, `s_not_canonical`, `r_small_order`, `equation`, ...).
/// Each distinct key is read once; a key with more than 8 signatures in the
/// list gets fixed-base tables (same results, faster).
/// Throws 3001 (not JSON), 3002 (not such a list), 3004 (bad hex).
#[wasm_bindgen(js_name = verifyEd25519, unchecked_return_type = "Ed25519Report")]
pub fn verify_ed25519(
    #[wasm_bindgen(unchecked_param_type = "{ key: string; msg: string; sig: string }[] | string")] signatures: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::Ed25519Verify, &[&bytes_of(&signatures)?])
}

/// A committee read once, for verifying many certificates: its member keys
/// are checked (canonical, prime-order) and prepared when it is made, not on
/// every call, which is most of the cost of verifying one certificate; once
/// it has checked more than 8 signatures per member (plus 8), it builds
/// fixed-base tables for the members and the base point (80 KB each, the
/// cost of about four signatures each), after which a signature costs about
/// half. Its `verifyCertificate` and `verifyChain` return exactly what the
/// functions of those names return with this committee, before and after.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CommitteeVerifier {
    committee: omega_core::certify::cert::Committee,
    /// Signature lines checked so far (at least the threshold per certificate),
    /// until the committee is prepared.
    lines: usize,
}

#[wasm_bindgen]
impl CommitteeVerifier {
    /// Reads the committee (an object or its JSON text). Throws what
    /// `verifyCertificate` throws for a bad committee (3001, 3007, 3603, 3505).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Committee | string")] committee: JsValue) -> Result<CommitteeVerifier, JsValue> {
        let bytes = bytes_of(&committee)?;
        ops::read_committee(&bytes).map(|committee| CommitteeVerifier { committee, lines: 0 }).map_err(|e| throw_body(&e.to_response().body))
    }

    /// Counts `certs` more certificates; once enough signatures have gone
    /// through this verifier, builds the committee's fixed-base tables, so
    /// that every later signature costs about half (same verdicts).
    fn count(&mut self, certs: usize) {
        if self.committee.is_prepared() {
            return;
        }
        self.lines = self.lines.saturating_add(certs.saturating_mul(self.committee.threshold() as usize));
        if self.committee.worth_preparing(self.lines) {
            self.committee.prepare();
        }
    }

    /// The committee's hash (64 hex), as a checkpoint's `omega-committee` line names it.
    #[wasm_bindgen(getter)]
    pub fn hash(&self) -> String {
        omega_core::hex::encode(&self.committee.hash())
    }

    /// Verifies a certificate against this committee: as `verifyCertificate(cert, committee)`.
    #[wasm_bindgen(js_name = verifyCertificate, unchecked_return_type = "VerifyReport")]
    pub fn verify_certificate(&mut self, #[wasm_bindgen(unchecked_param_type = "CertificateInput")] cert: JsValue) -> Result<JsValue, JsValue> {
        let bytes = bytes_of(&cert)?;
        self.count(1);
        respond(&ops::verify_with(&self.committee, &bytes, &[]))
    }

    /// Verifies a chain of certificates against this committee: as `verifyChain(certs, committee)`.
    #[wasm_bindgen(js_name = verifyChain, unchecked_return_type = "VerifyReport")]
    pub fn verify_chain(&mut self, #[wasm_bindgen(unchecked_param_type = "CertificateInput[]")] certs: Vec<JsValue>) -> Result<JsValue, JsValue> {
        let mut bytes = certs.iter().map(bytes_of).collect::<Result<Vec<_>, _>>()?;
        self.count(bytes.len());
        let Some(last) = bytes.pop() else {
            return Err(crate::js_error(omega_core::api::code::BAD_REQUEST, "verifyChain needs at least one certificate", None, None));
        };
        let chain: Vec<&[u8]> = if bytes.is_empty() { vec![&last] } else { bytes.iter().map(Vec::as_slice).collect() };
        respond(&ops::verify_with(&self.committee, &last, &chain))
    }
}

/// Throws an error response, else returns the parsed body.
fn respond(r: &abi::Response) -> Result<JsValue, JsValue> {
    if r.status == abi::STATUS_ERROR {
        return Err(throw_body(&r.body));
    }
    parse_json(&String::from_utf8_lossy(&r.body))
}
