//! The framed-log half of the JS API: ingest a `.omega` log's bytes,
//! reconcile it, replay it against a certificate, reproduce a crash bundle.
use crate::certify::{bytes_of, run};

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
/// certificate, checks kind, tree size, root, state hash and evidence against it.
#[wasm_bindgen(unchecked_return_type = "ReplayReport")]
pub fn replay(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | undefined")] snapshot: JsValue,
    log: &[u8],
    #[wasm_bindgen(unchecked_optional_param_type = "CertificateInput")] cert: JsValue,
) -> Result<JsValue, JsValue> {
    run(Op::Replay, &[&bytes_of(&snapshot)?, log, &bytes_of(&cert)?])
}

/// Reconciles a crash bundle's batch again: `{reproduced, result, ...}`.
#[wasm_bindgen(js_name = explainBundle, unchecked_return_type = "BundleExplanation")]
pub fn explain_bundle(bundle: &[u8]) -> Result<JsValue, JsValue> {
    run(Op::ExplainBundle, &[bundle])
}
