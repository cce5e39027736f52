//! The framed-log half of the JS API: ingest a `.omega` log's bytes,
//! reconcile it, snapshot a state, replay a log against a certificate,
//! write and reproduce a crash bundle.
use crate::certify::{bytes_of, run};
use crate::cluster::field_bytes;

use omega_core::api::Op;
use wasm_bindgen::prelude::*;

/// Checks every frame of a `.omega` log (its bytes) and reports, as `omega ingest` does.
/// A damaged tail is reported, not thrown: the valid prefix is what `valid_bytes` says.
#[wasm_bindgen(unchecked_return_type = "IngestReport")]
pub fn ingest(log: &[u8]) -> Result<JsValue, JsValue> {
    run(Op::Ingest, &[log])
}

/// Reconciles the events of a clean log (throws with the frame's code and offset if it is damaged).
#[wasm_bindgen(js_name = reconcileLog, unchecked_return_type = "ReconcileResult")]
pub fn reconcile_log(log: &[u8], #[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue) -> Result<JsValue, JsValue> {
    run(Op::ReconcileLog, &[log, &bytes_of(&prior)?])
}

/// Reapplies a log on a snapshot (or the empty history) and, given a
/// certificate, checks kind, tree size, root, state hash, evidence and world
/// line against it; given an array of certificates (a chain, oldest first),
/// checks the log batch by batch, each certificate covering the events up to
/// its tree size (docs/FORMATS.md "Replay (op 16)"). `options.world` (a
/// world, OMGW or a snapshot holding one) or `options.inject`
/// (`"tick:index:generation:component:bit"`) names where the replayed world
/// departs (`world_departure`).
#[wasm_bindgen(unchecked_return_type = "ReplayReport")]
pub fn replay(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] snapshot: JsValue,
    log: &[u8],
    #[wasm_bindgen(unchecked_optional_param_type = "CertificateInput | CertificateInput[]")] cert: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ReplayOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let certs: Vec<Vec<u8>> = if js_sys::Array::is_array(&cert) {
        js_sys::Array::from(&cert).iter().map(|c| bytes_of(&c)).collect::<Result<_, _>>()?
    } else {
        vec![bytes_of(&cert)?]
    };
    let (world, inject) = if options.is_undefined() || options.is_null() {
        (Vec::new(), Vec::new())
    } else {
        let get = |k: &str| js_sys::Reflect::get(&options, &k.into());
        (bytes_of(&get("world")?)?, bytes_of(&get("inject")?)?)
    };
    let first = certs.first().cloned().unwrap_or_default();
    let snapshot = bytes_of(&snapshot)?;
    let mut fields: Vec<&[u8]> = vec![&snapshot, log, &first, &world, &inject];
    fields.extend(certs.iter().skip(1).map(Vec::as_slice));
    run(Op::Replay, &fields)
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** What `snapshot` returns: op 15's body, with the snapshot (OMSN) as bytes. */
export type SnapshotResult = Omit<SnapshotReport, "snapshot"> & { snapshot: Uint8Array };
/** What `writeBundle` returns: op 17's body, with the crash bundle (OMGB) as bytes. */
export type BundleResult = Omit<BundleReport, "bundle"> & { bundle: Uint8Array };
/** `replay`'s options: a reference world (OMGW, or a snapshot holding one) and/or a bit flip `"tick:index:generation:component:bit"`. */
export interface ReplayOptions { world?: Uint8Array; inject?: string }
"#;

/// A snapshot (OMSN) of a history's state, as `omega snapshot` writes it
/// (op 15): from a reconcile result (the object or its JSON text), the
/// binary state (`Reconciler.stateBytes()`) or another snapshot, with the
/// ECS world it drives when `world` is given (`World.snapshot()` bytes, or
/// a snapshot holding one; a snapshot given as `from` keeps its own
/// otherwise). Returns `{hash, root, snapshot, state_hash, status,
/// tree_size, world?}` with `snapshot` as bytes, which `replay` and
/// `World.fromEvents` take. Throws 3201 for what is not a state, 4001 for
/// what is not a world.
#[wasm_bindgen(unchecked_return_type = "SnapshotResult")]
pub fn snapshot(
    #[wasm_bindgen(unchecked_param_type = "ReconcileResult | string | Uint8Array")] from: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] world: JsValue,
) -> Result<JsValue, JsValue> {
    let v = run(Op::Snapshot, &[&bytes_of(&from)?, &bytes_of(&world)?])?;
    field_bytes(&v, "snapshot")?;
    Ok(v)
}

/// A crash bundle (OMGB, op 17) of a batch that obstructs against `prior`
/// (a result, binary state or snapshot; undefined for the empty history):
/// what `omega reconcile` writes on an obstruction, for `explainBundle` to
/// reproduce anywhere. `format` is `"json"` (the default for an array or
/// text), `"binary"` (the default for bytes) or `"omega"` (a log's bytes).
/// Returns `{bundle, evidence_hash, status, violations}` with `bundle` as
/// bytes. Throws 3903 when the batch does not obstruct (nothing to
/// bundle), 3301 for another format, 31xx for bad events.
#[wasm_bindgen(js_name = writeBundle, unchecked_return_type = "BundleResult")]
pub fn write_bundle(
    #[wasm_bindgen(unchecked_param_type = "OmegaEvent[] | string | Uint8Array")] events: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "\"json\" | \"binary\" | \"omega\"")] format: Option<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue,
) -> Result<JsValue, JsValue> {
    let format = format.unwrap_or_else(|| if events.is_instance_of::<js_sys::Uint8Array>() { "binary".into() } else { "json".into() });
    let v = run(Op::Bundle, &[&bytes_of(&events)?, format.as_bytes(), &bytes_of(&prior)?])?;
    field_bytes(&v, "bundle")?;
    Ok(v)
}

/// Reconciles a crash bundle's batch again: `{reproduced, result, ...}`.
#[wasm_bindgen(js_name = explainBundle, unchecked_return_type = "BundleExplanation")]
pub fn explain_bundle(bundle: &[u8]) -> Result<JsValue, JsValue> {
    run(Op::ExplainBundle, &[bundle])
}
