//! The values benchmark (feature `bench-values`; `cargo xtask blob` never
//! enables it, so the shipped blob has none of this): the same values cross
//! the JS boundary by JSON text, as the API does, and by serde-wasm-bindgen,
//! so one run of `tests/js/bench-values.mjs` compares the two side by side
//! (docs/PERFORMANCE.md, "Values across the boundary").
use crate::parse_json;
use omega_core::api::response::{ReconcileResult, TickReport};
use omega_core::ecs::{Config, Run, World as CoreWorld};
use omega_core::event::sample::{self, Shape};
use omega_core::Reconciler as CoreReconciler;
use serde::Deserialize;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// One event in the JSON event form, as both paths decode it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EventIn {
    lamport: u64,
    node: u32,
    stream: u16,
    seq: u64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    deps: Vec<String>,
    #[serde(default)]
    payload: Option<String>,
}

std::thread_local! {
    static TICKS: RefCell<Vec<TickReport>> = const { RefCell::new(Vec::new()) };
    static RESULT: RefCell<Option<ReconcileResult>> = const { RefCell::new(None) };
}

fn fail(e: impl core::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// Makes the two bodies the output cases cross: the reports of `ticks` ticks
/// of a world of `entities`, and the result of reconciling a sample of
/// `streams` streams (one head each in the result).
#[wasm_bindgen(js_name = __benchPrepare)]
pub fn prepare(entities: u32, ticks: u32, streams: u16) -> Result<(), JsValue> {
    let world = CoreWorld::try_new(7, Config { entities, ..Config::default() }).map_err(fail)?;
    let mut run = Run::new(world, [], None);
    let reports: Vec<TickReport> = (0..ticks).map(|_| TickReport::from(&run.step())).collect();
    TICKS.with(|t| *t.borrow_mut() = reports);
    let events = sample::history(1, Shape { nodes: 1, streams, per_stream: 2, payload: 8 });
    let mut r = CoreReconciler::with_prior(omega_core::State::default());
    for e in events {
        r.push(e);
    }
    let outcome = r.flush();
    RESULT.with(|x| *x.borrow_mut() = Some(ReconcileResult::from(&outcome)));
    Ok(())
}

fn with_body<T>(which: u32, f: impl FnOnce(&dyn erased::Body) -> T) -> T {
    if which == 0 {
        TICKS.with(|t| f(&*t.borrow()))
    } else {
        RESULT.with(|r| f(&*r.borrow()))
    }
}

mod erased {
    /// A body both paths can serialise.
    pub trait Body {
        fn json(&self) -> Vec<u8>;
        fn value(&self) -> Result<wasm_bindgen::JsValue, serde_wasm_bindgen::Error>;
    }
    impl<T: serde::Serialize> Body for T {
        fn json(&self) -> Vec<u8> {
            omega_core::api::response::to_compact_json(self)
        }
        fn value(&self) -> Result<wasm_bindgen::JsValue, serde_wasm_bindgen::Error> {
            self.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        }
    }
}

/// Body `which` (0: the tick reports, 1: the reconcile result) to JS as the
/// API does it: JSON text, then `JSON.parse`.
#[wasm_bindgen(js_name = __benchOutJson)]
pub fn out_json(which: u32) -> Result<JsValue, JsValue> {
    with_body(which, |b| parse_json(&String::from_utf8_lossy(&b.json())))
}

/// The same body by serde-wasm-bindgen (JSON-compatible: `None` as null, no BigInts).
#[wasm_bindgen(js_name = __benchOutValue)]
pub fn out_value(which: u32) -> Result<JsValue, JsValue> {
    with_body(which, |b| b.value().map_err(fail))
}

/// Event objects into Rust as the API does it: `JSON.stringify`, then a JSON
/// parse. Returns how many events.
#[wasm_bindgen(js_name = __benchInJson)]
pub fn in_json(events: JsValue) -> Result<usize, JsValue> {
    let text = js_sys::JSON::stringify(&events)?.as_string().unwrap_or_default();
    let v: Vec<EventIn> = serde_json::from_str(&text).map_err(fail)?;
    Ok(v.len())
}

/// The same objects by serde-wasm-bindgen.
#[wasm_bindgen(js_name = __benchInValue)]
pub fn in_value(events: JsValue) -> Result<usize, JsValue> {
    let v: Vec<EventIn> = serde_wasm_bindgen::from_value(events).map_err(fail)?;
    Ok(v.len())
}
