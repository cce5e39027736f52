//! omega-wasm: the one blob.
//!
//! A thin shim over `omega-core`, with two faces in the same module:
//! - the JS API through wasm-bindgen (`reconcile`, `reconcileJson`,
//!   `reconcileBinary`, `Reconciler`, `sampleHistory`, `abiCall`, `version`,
//!   and the certify API: `generateKeypair`, `certify`, `cosign`,
//!   `verifyCertificate`, `verifyChain`, `explainCertificate`,
//!   `certificateNote`, `inclusionProof`, `verifyInclusion`, `merkleRoot`,
//!   `consistencyProof`, `verifyConsistency`), and the log API: `ingest`,
//!   `reconcileLog`, `replay`, `explainBundle`; the cluster API: `cut`,
//!   `mergeCertificates`, `verifyFraud`; and the ECS `World` class;
//!   errors are thrown as `OmegaError`s (a subclass of JS `Error`, defined in
//!   the glue by `cargo xtask blob`) with a numeric `code`; numeric
//!   arguments are checked before use (`int_arg`);
//! - a raw C-ABI for non-JS hosts (`omega_alloc`, `omega_free`, `omega_call`,
//!   and the resident ECS world `omega_ecs_open`, `omega_ecs_step`, `omega_ecs_close`)
//!   that touches no JS import, so wasmtime can run it with every wasm-bindgen
//!   import defined as a trap.
//!
//! Both faces end in `omega_core::api::abi::call`, the function the native engine
//! calls too.
use omega_core::api::code;
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use omega_core::event::sample::{self, Shape};
use omega_core::api::json;
use omega_core::{ErrorCode, Event, Limits, Outcome, Reconciler as CoreReconciler};
use wasm_bindgen::prelude::*;

#[cfg(feature = "bench-values")]
mod bench_values;
mod certify;
mod cluster;
mod format;
mod log;
mod world;
#[cfg(target_arch = "wasm32")]
mod raw;

/// The TypeScript declarations of every response body (`ReconcileResult`,
/// `VerifyReport`, `TickReport`, ...), generated from omega-core's
/// `api::response` types: `cargo run -p omega-tests --bin gen-ts` writes the
/// file, `-- --check` (and `cargo test`) fail when it is stale.
#[wasm_bindgen(typescript_custom_section)]
const TS_RESPONSES: &str = include_str!("../types/omega.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_INPUTS: &str = r#"
/**
 * One event in the JSON event form (docs/FORMATS.md, "JSON event form"):
 * integers as JS numbers (exact below 2^53; pass JSON text for larger ones),
 * `id` and `deps` as 28 lowercase hex characters, `payload` in standard base64.
 */
export interface OmegaEvent {
  lamport: number;
  node: number;
  stream: number;
  seq: number;
  id?: string;
  deps?: string[];
  payload?: string;
}
/** Events: an array of `OmegaEvent`s, or their JSON text (a JSON array). */
export type EventsInput = OmegaEvent[] | string;
/**
 * A prior history to extend: a previous `ok` result (the object or its JSON
 * text), or the binary state (`Reconciler.stateBytes()`, a snapshot).
 * `undefined` or `null`: the empty history.
 */
export type PriorInput = ReconcileOk | string | Uint8Array | null;
/**
 * One ECS world command in the JSON form (`tick` it applies at; entities as
 * "index:generation", fixed-point values as decimal strings).
 */
export type EcsCommand =
  | { tick: number; op: "spawn"; node: number; target: string }
  | { tick: number; op: "despawn"; entity: string }
  | { tick: number; op: "link"; a: string; b: string; weight: string }
  | { tick: number; op: "unlink"; a: string; b: string }
  | { tick: number; op: "set_target" | "sensor"; entity: string; value: string };
/**
 * Every error the API throws: an `Error` with omega's stable `code`
 * (docs/FORMATS.md, "Error JSON and codes"), and the event `index` and
 * `field` when the error is about one.
 */
export class OmegaError extends Error {
  constructor(message: string, code: number, index?: number, field?: string);
  readonly name: "OmegaError";
  /** The stable error code, e.g. 3003 (integer out of range), 3303 (bad numeric argument). */
  readonly code: number;
  /** The position of the event the error is about, when it is about one. */
  readonly index?: number;
  /** The field (or argument) the error is about, when known. */
  readonly field?: string;
}
"#;

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    omega_core::VERSION.to_string()
}

/// The raw ABI through JS: runs `op` (an integer from 0 to 4294967295; an
/// unknown one gives an error body, code 3302) on `input` and returns
/// `status byte || body`, the very bytes the golden vectors hold.
#[wasm_bindgen(js_name = abiCall)]
pub fn abi_call(#[wasm_bindgen(unchecked_param_type = "number")] op: JsValue, input: &[u8]) -> Result<Vec<u8>, JsValue> {
    let op = int_arg(&op, "op", 0, u64::from(u32::MAX), code::ARGUMENT)?;
    Ok(abi::call(op as u32, input).to_bytes())
}

std::thread_local! {
    /// `OmegaError`, the class every thrown error is an instance of, once
    /// the package's glue has registered it (at init).
    static ERROR_CLASS: core::cell::RefCell<Option<js_sys::Function>> = const { core::cell::RefCell::new(None) };
}

/// Registers the `OmegaError` class (a subclass of `Error` whose constructor
/// takes the message): the package's glue calls it at init, so every error
/// the API throws is an `OmegaError`. Before that (or without it) errors are
/// plain `Error`s with the same `code`, `index` and `field`.
#[wasm_bindgen(js_name = __omegaSetErrorClass, skip_typescript)]
pub fn set_error_class(class: js_sys::Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

pub(crate) fn js_error(code: u16, message: &str, index: Option<usize>, field: Option<&str>) -> JsValue {
    let args = js_sys::Array::of1(&JsValue::from_str(message));
    let err: JsValue = ERROR_CLASS
        .with(|c| c.borrow().as_ref().and_then(|class| js_sys::Reflect::construct(class, &args).ok()))
        .unwrap_or_else(|| js_sys::Error::new(message).into());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from(code));
    if let Some(i) = index {
        let _ = js_sys::Reflect::set(&err, &"index".into(), &JsValue::from(u32::try_from(i).unwrap_or(u32::MAX)));
    }
    if let Some(f) = field {
        let _ = js_sys::Reflect::set(&err, &"field".into(), &JsValue::from_str(f));
    }
    err
}

/// The largest integer a JS number holds exactly (2^53 - 1).
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A numeric argument of the JS API, checked before anything uses it: a JS
/// number (not a string, a BigInt or `undefined`), an integer, from `min` to
/// `max`. Anything else throws `code` (3303, `ARGUMENT`, unless the function
/// has a code of its own for its range, as `World` has 4002) naming the
/// argument and its range, with `field` set to the argument's name. This is
/// what keeps `-1` from wrapping to 4294967295 in a `u32`.
pub(crate) fn int_arg(v: &JsValue, name: &str, min: u64, max: u64, code: u16) -> Result<u64, JsValue> {
    let refuse = |what: &str| {
        js_error(code, &format!("argument `{name}` must be an integer from {min} to {max}; got {what}"), None, Some(name))
    };
    let Some(x) = v.as_f64() else {
        let what = if v.is_undefined() {
            "undefined".to_string()
        } else if v.is_bigint() {
            "a BigInt (pass a number)".to_string()
        } else if let Some(s) = v.as_string() {
            format!("the string {s:?} (pass a number)")
        } else {
            "a value that is not a number".to_string()
        };
        return Err(refuse(&what));
    };
    let max_f = max.min(MAX_SAFE_INTEGER) as f64;
    if !x.is_finite() || x.fract() != 0.0 || x < min as f64 || x > max_f {
        return Err(refuse(&format!("{x}")));
    }
    Ok(x as u64)
}

/// [`int_arg`] for an optional argument: `undefined` (or `null`) gives `default`.
pub(crate) fn opt_int_arg(v: &JsValue, name: &str, min: u64, max: u64, default: u64, code: u16) -> Result<u64, JsValue> {
    if v.is_undefined() || v.is_null() {
        Ok(default)
    } else {
        int_arg(v, name, min, max, code)
    }
}

/// Turns an error response body into a thrown Error with its code, index and field.
pub(crate) fn throw_body(body: &[u8]) -> JsValue {
    let text = String::from_utf8_lossy(body);
    let parsed = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
    let get = |k: &str| js_sys::Reflect::get(&parsed, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let code = get("code").as_f64().map_or(0, |c| c as u16);
    let message = get("message").as_string().unwrap_or_else(|| text.to_string());
    let index = get("index").as_f64().map(|i| i as usize);
    let field = get("field").as_string();
    js_error(code, &message, index, field.as_deref())
}

fn body_or_throw(r: Response) -> Result<String, JsValue> {
    if r.status == abi::STATUS_ERROR {
        return Err(throw_body(&r.body));
    }
    Ok(String::from_utf8_lossy(&r.body).into_owned())
}

/// Prior state from JS: undefined/null (empty history), a JSON string, a
/// result object, or a Uint8Array holding the binary state.
fn prior_bytes(prior: &JsValue) -> Result<Vec<u8>, JsValue> {
    if prior.is_undefined() || prior.is_null() {
        Ok(Vec::new())
    } else if let Some(s) = prior.as_string() {
        Ok(s.into_bytes())
    } else if prior.is_instance_of::<js_sys::Uint8Array>() {
        Ok(js_sys::Uint8Array::new(prior).to_vec())
    } else {
        stringify(prior).map(String::into_bytes)
    }
}

fn stringify(v: &JsValue) -> Result<String, JsValue> {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| js_error(code::JSON_SHAPE, "value cannot be converted to JSON", None, None))
}

pub(crate) fn parse_json(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text).map_err(|_| js_error(code::JSON_SYNTAX, "internal: result is not JSON", None, None))
}

/// Reconciles JSON event text against an optional prior (a previous `ok`
/// result JSON, or the binary state). Returns the result JSON text, byte for
/// byte what `omega reconcile` prints. Throws an Error with `code` on bad input.
#[wasm_bindgen(js_name = reconcileJson)]
pub fn reconcile_json(events: &str, #[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue) -> Result<String, JsValue> {
    let req = abi::make_request(events.as_bytes(), &prior_bytes(&prior)?);
    body_or_throw(abi::call(Op::ReconcileJson.code(), &req))
}

/// Reconciles an array of event objects (or JSON text) and returns the result
/// as a plain object with the same fields as the CLI's JSON.
#[wasm_bindgen(unchecked_return_type = "ReconcileResult")]
pub fn reconcile(
    #[wasm_bindgen(unchecked_param_type = "EventsInput")] events: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue,
) -> Result<JsValue, JsValue> {
    let text = match events.as_string() {
        Some(s) => s,
        None => stringify(&events)?,
    };
    parse_json(&reconcile_json(&text, prior)?)
}

/// Reconciles concatenated canonical binary events (see docs/FORMATS.md);
/// returns the result JSON text.
#[wasm_bindgen(js_name = reconcileBinary)]
pub fn reconcile_binary(events: &[u8], #[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue) -> Result<String, JsValue> {
    let req = abi::make_request(events, &prior_bytes(&prior)?);
    body_or_throw(abi::call(Op::ReconcileBinary.code(), &req))
}

/// Most memory a sample made in the blob may take (1 GiB: a wasm32 memory
/// holds 4 GiB, and the events, their encoding and the JS copy coexist).
const JS_SAMPLE_MEMORY: u64 = 1 << 30;

/// The shape, checked as `omega sample` checks it (code 4101), and against
/// the blob's own memory.
fn shape(nodes: u32, streams: u16, per_stream: u32, payload: u32) -> Result<Shape, JsValue> {
    let s = Shape { nodes, streams, per_stream: u64::from(per_stream), payload: payload as usize };
    let refuse = |e: &dyn core::fmt::Display| js_error(code::SAMPLE_SHAPE, &e.to_string(), None, None);
    s.check(&Limits::default(), omega_core::event::frame::DEFAULT_MAX_FRAME, true).map_err(|e| refuse(&e))?;
    if s.memory() > JS_SAMPLE_MEMORY {
        return Err(refuse(&format_args!(
            "sample shape: {} events take about {} bytes in memory; the limit in the browser and Node is {JS_SAMPLE_MEMORY} (use `omega sample` for larger ones)",
            s.len(),
            s.memory()
        )));
    }
    Ok(s)
}

/// The sample's six numeric arguments, each checked (3303) before the shape is.
fn sample_args(args: [&JsValue; 6]) -> Result<(u64, Shape, u64), JsValue> {
    let [seed, nodes, streams, per_stream, payload, shuffle_seed] = args;
    let a = code::ARGUMENT;
    let seed = int_arg(seed, "seed", 0, MAX_SAFE_INTEGER, a)?;
    let nodes = int_arg(nodes, "nodes", 0, u64::from(u32::MAX), a)? as u32;
    let streams = int_arg(streams, "streams", 0, u64::from(u16::MAX), a)? as u16;
    let per_stream = int_arg(per_stream, "perStream", 0, u64::from(u32::MAX), a)? as u32;
    let payload = int_arg(payload, "payload", 0, u64::from(u32::MAX), a)? as u32;
    let shuffle_seed = int_arg(shuffle_seed, "shuffleSeed", 0, MAX_SAFE_INTEGER, a)?;
    Ok((seed, shape(nodes, streams, per_stream, payload)?, shuffle_seed))
}

/// The sample the six arguments name, shuffled.
fn sampled(args: [&JsValue; 6]) -> Result<Vec<Event>, JsValue> {
    let (seed, shape, shuffle_seed) = sample_args(args)?;
    let mut events = sample::history(seed, shape);
    sample::shuffle(&mut events, shuffle_seed);
    Ok(events)
}

/// A deterministic sample history (the generator behind the demo, the benches
/// and the golden vectors), shuffled by `shuffleSeed`, as concatenated
/// canonical binary events. Seeds are integers from 0 to 2^53 - 1; `nodes`,
/// `perStream` and `payload` from 0 to 2^32 - 1 and `streams` to 65,535
/// (3303 otherwise). Throws 4101 for a shape `omega sample` refuses or one
/// over 1 GiB of memory.
#[wasm_bindgen(js_name = sampleHistory)]
pub fn sample_history(
    #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] nodes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] streams: JsValue,
    #[wasm_bindgen(js_name = perStream, unchecked_param_type = "number")] per_stream: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] payload: JsValue,
    #[wasm_bindgen(js_name = shuffleSeed, unchecked_param_type = "number")] shuffle_seed: JsValue,
) -> Result<Vec<u8>, JsValue> {
    let events = sampled([&seed, &nodes, &streams, &per_stream, &payload, &shuffle_seed])?;
    let mut out = Vec::new();
    for e in &events {
        e.encode_into(&mut out);
    }
    Ok(out)
}

/// The same sample as JSON event text (the same checks).
#[wasm_bindgen(js_name = sampleHistoryJson)]
pub fn sample_history_json(
    #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] nodes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] streams: JsValue,
    #[wasm_bindgen(js_name = perStream, unchecked_param_type = "number")] per_stream: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] payload: JsValue,
    #[wasm_bindgen(js_name = shuffleSeed, unchecked_param_type = "number")] shuffle_seed: JsValue,
) -> Result<String, JsValue> {
    let events = sampled([&seed, &nodes, &streams, &per_stream, &payload, &shuffle_seed])?;
    Ok(String::from_utf8_lossy(&json::events_to_json(&events)).into_owned())
}

/// Streaming reconciler: `push` events in any order, `flush` to reconcile them
/// (one sort per flush). A clean flush advances the state, so the next batch
/// extends it; an obstructed one leaves it unchanged.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Reconciler {
    inner: CoreReconciler,
    limits: Limits,
}

#[wasm_bindgen]
impl Reconciler {
    /// A reconciler over the empty history, or extending `prior`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_optional_param_type = "PriorInput")] prior: JsValue) -> Result<Reconciler, JsValue> {
        let bytes = prior_bytes(&prior)?;
        let state = abi::parse_any_prior(&bytes).map_err(|(code, msg)| js_error(code, &msg, None, None))?;
        Ok(Reconciler { inner: CoreReconciler::with_prior(state), limits: Limits::default() })
    }

    /// Queues one event (an object in the JSON event form, or its JSON text).
    pub fn push(&mut self, #[wasm_bindgen(unchecked_param_type = "OmegaEvent | string")] event: JsValue) -> Result<(), JsValue> {
        let text = match event.as_string() {
            Some(s) => s,
            None => stringify(&event)?,
        };
        self.push_json(&text)
    }

    /// Queues one event given as JSON text.
    #[wasm_bindgen(js_name = pushJson)]
    pub fn push_json(&mut self, text: &str) -> Result<(), JsValue> {
        let index = self.inner.pending();
        let e = json::parse_one(text.as_bytes(), index, &self.limits)
            .map_err(|e| js_error(e.code(), &e.to_string(), e.index(), e.field().as_deref()))?;
        self.inner.push(e);
        Ok(())
    }

    /// Queues concatenated canonical binary events.
    #[wasm_bindgen(js_name = pushBinary)]
    pub fn push_binary(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        let events = Event::decode_all(bytes, &self.limits)
            .map_err(|(i, at, e)| js_error(e.code(), &format!("event {i} (starting at byte {at}): {e}"), Some(i), None))?;
        for e in events {
            self.inner.push(e);
        }
        Ok(())
    }

    /// Events queued since the last flush.
    #[wasm_bindgen(getter)]
    pub fn pending(&self) -> usize {
        self.inner.pending()
    }

    /// Reconciles the queued events; returns the result JSON text.
    #[wasm_bindgen(js_name = flushJson)]
    pub fn flush_json(&mut self) -> String {
        let outcome: Outcome = self.inner.flush();
        String::from_utf8_lossy(&json::outcome_to_json(&outcome)).into_owned()
    }

    /// Reconciles the queued events; returns the result object.
    #[wasm_bindgen(unchecked_return_type = "ReconcileResult")]
    pub fn flush(&mut self) -> Result<JsValue, JsValue> {
        parse_json(&self.flush_json())
    }

    /// The current state in binary form (usable as a prior).
    #[wasm_bindgen(js_name = stateBytes)]
    pub fn state_bytes(&self) -> Vec<u8> {
        self.inner.state().encode()
    }
}
