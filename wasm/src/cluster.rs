//! The cluster half of the JS API: the batch cut a node runs at every seal
//! (op 23), merging the signatures of one checkpoint (op 24), checking a
//! fraud proof (op 25), and stepping a node's ECS world through a batch (op 26). Each builds an ABI request and runs the same
//! `omega_core::api::ops::run` the CLI and wasmtime use.
use crate::certify::{bytes_of, run};
use omega_core::api::{code, Op};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/**
 * What `cut` returns: op 23's body (`CutReport`) with the batch's events and
 * the carry as bytes: pass `carry` to the next `cut`, `result` to `certify`
 * (and as the next prior when `status` is "ok").
 */
export type CutResult = Omit<CutReport, "events" | "carry"> & { events: Uint8Array; carry: Uint8Array };
/** What `ecsBatch` returns: op 26's body with the world after the batch as bytes (the next batch's `world`). */
export type EcsBatchResult = Omit<EcsBatchReport, "world"> & { world: Uint8Array };
"#;

/// Replaces a base64 field of a parsed body by its bytes.
pub(crate) fn field_bytes(v: &JsValue, name: &str) -> Result<(), JsValue> {
    let b64 = js_sys::Reflect::get(v, &name.into())?.as_string().unwrap_or_default();
    let bytes = omega_core::certify::note::b64_decode(&b64).unwrap_or_default();
    js_sys::Reflect::set(v, &name.into(), &js_sys::Uint8Array::from(bytes.as_slice()))?;
    Ok(())
}

/// The batch cut at a seal: from the prior (a result, binary state or
/// snapshot; undefined for the empty history), the carry the previous cut
/// returned (undefined for none) and the fresh events (canonical binary,
/// concatenated), which events form the batch, which wait, and which are
/// given up after `horizon` seals, and held back `delay` seals (optional,
/// default 0; docs/FORMATS.md "Batch cut"). Throws 3303 for a horizon that is
/// not an integer from 1 to 4294967295 or a delay that is not one from 0 to
/// 4294967295, 3310 for a malformed carry.
#[wasm_bindgen(unchecked_return_type = "CutResult")]
pub fn cut(
    #[wasm_bindgen(unchecked_param_type = "PriorInput | undefined")] prior: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] carry: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] fresh: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] horizon: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] delay: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let max = u64::from(u32::MAX);
    let h = crate::int_arg(&horizon, "horizon", 1, max, code::ARGUMENT)?.to_string();
    let d = crate::opt_int_arg(delay.as_ref().unwrap_or(&JsValue::UNDEFINED), "delay", 0, max, 0, code::ARGUMENT)?.to_string();
    let v = run(Op::Cut, &[&bytes_of(&prior)?, &bytes_of(&carry)?, &bytes_of(&fresh)?, h.as_bytes(), d.as_bytes()])?;
    field_bytes(&v, "events")?;
    field_bytes(&v, "carry")?;
    Ok(v)
}

/// One certificate with the signature lines of all the given certificates
/// of one checkpoint (the first one's lines, then each later one's new
/// lines, in order). Throws 3607 when they attest different checkpoints,
/// 3605 past 256 lines.
#[wasm_bindgen(js_name = mergeCertificates, unchecked_return_type = "CertificateResult")]
pub fn merge_certificates(#[wasm_bindgen(unchecked_param_type = "CertificateInput[]")] certs: Vec<JsValue>) -> Result<JsValue, JsValue> {
    let bytes = certs.iter().map(bytes_of).collect::<Result<Vec<_>, _>>()?;
    let fields: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let v = run(Op::Merge, &fields)?;
    field_bytes(&v, "certificate")?;
    Ok(v)
}

/// Checks a fraud proof: `a` and `b` (certificates or their signed notes)
/// of one origin and height with different checkpoints, and a committee
/// member whose signature verifies on both. Not proven is returned
/// (`status: "not_proven"` with a `reason`), not thrown; malformed input throws.
#[wasm_bindgen(js_name = verifyFraud, unchecked_return_type = "FraudReport")]
pub fn verify_fraud(
    #[wasm_bindgen(unchecked_param_type = "Committee | string")] committee: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CertificateInput")] a: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CertificateInput")] b: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::Fraud, &[&bytes_of(&committee)?, &bytes_of(&a)?, &bytes_of(&b)?])
}

/// Steps an ECS world through one batch (op 26; docs/FORMATS.md "ECS batch"):
/// `world` is the world before it (a snapshot from the previous batch, or a
/// config object or JSON text for the genesis world, undefined for the
/// default config), `events` the batch's canonical binary events (as `cut`
/// returns them). Commands naming a past tick are late, more than 1,000 ticks
/// ahead too far; the world moves at least one tick. Returns the report with
/// `world` as bytes; `end_tick` and `state_hash` go to `certify`'s `world`.
/// Throws 4001/4002/4005 for a bad world, 31xx for bad events.
#[wasm_bindgen(js_name = ecsBatch, unchecked_return_type = "EcsBatchResult")]
pub fn ecs_batch(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | object | string | undefined")] world: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] events: JsValue,
) -> Result<JsValue, JsValue> {
    let v = run(Op::EcsBatch, &[&bytes_of(&world)?, &bytes_of(&events)?])?;
    field_bytes(&v, "world")?;
    Ok(v)
}
