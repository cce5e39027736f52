//! The ECS world in JS: `new World(seed, entities)`, `step(n)`, `stateHash()`,
//! `metrics()`, `snapshot()`, `World.restore(bytes)`. Reports are the CLI's
//! tick JSON, parsed.
use crate::{js_error, parse_json};
use omega_core::ecs::{Command, Config, World as CoreWorld};
use omega_core::{ErrorCode, ops};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export interface TickReport {
  tick: number;
  state_hash: string;
  decision: "QUARANTINE" | "ALERT" | "BALANCE" | "OPTIMIZE";
  threat: string;
  entropy: string;
  coherence: string;
  resonance: string;
  stability: string;
  pulse: string;
  weights: [string, string, string, string];
  alerts: { kind: "energy" | "amplitude"; entity: string; value: string }[];
  migrations: { entity: string; from: number; to: number }[];
  rejected: { index: number; reason: string }[];
  saturations: number;
  entities: number;
  edges: number;
}
"#;

/// The fixed-point ECS world, bit-identical on every engine.
#[wasm_bindgen]
#[derive(Debug)]
pub struct World {
    inner: CoreWorld,
    last: Option<omega_core::ecs::TickReport>,
}

#[wasm_bindgen]
impl World {
    /// A world of `entities` entities (on `nodes` topology nodes, `edgesPerEntity`
    /// random edges each) drawn from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: f64, entities: u32, nodes: Option<u32>, #[wasm_bindgen(js_name = edgesPerEntity)] edges_per_entity: Option<u32>) -> Result<World, JsValue> {
        if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0 && seed <= 9_007_199_254_740_991.0) {
            return Err(js_error(4002, "the seed must be a non-negative integer", None, None));
        }
        let d = Config::default();
        let config = Config { nodes: nodes.unwrap_or(d.nodes).max(1), entities, edges_per_entity: edges_per_entity.unwrap_or(d.edges_per_entity) };
        Ok(World { inner: CoreWorld::new(seed as u64, config), last: None })
    }

    /// Rebuilds a world from `snapshot()` bytes; stepping it continues exactly.
    pub fn restore(bytes: &[u8]) -> Result<World, JsValue> {
        CoreWorld::restore(bytes).map(|inner| World { inner, last: None }).map_err(|e| js_error(e.code(), &e.to_string(), None, None))
    }

    /// Runs `n` ticks (commands: an optional array of command objects in the
    /// JSON form, applied at the tick they name). Returns the reports.
    #[wasm_bindgen(unchecked_return_type = "TickReport[]")]
    pub fn step(&mut self, n: u32, #[wasm_bindgen(unchecked_param_type = "object[] | undefined")] commands: JsValue) -> Result<JsValue, JsValue> {
        let mut cmds: Vec<Command> = Vec::new();
        if !commands.is_undefined() && !commands.is_null() {
            let arr = js_sys::Array::from(&commands);
            for (i, c) in arr.iter().enumerate() {
                let text = js_sys::JSON::stringify(&c).ok().and_then(|s| s.as_string()).unwrap_or_default();
                let cmd = Command::decode(text.as_bytes()).map_err(|why| js_error(4004, &format!("command {i}: {why}"), Some(i), None))?;
                cmds.push(cmd);
            }
        }
        let out = js_sys::Array::new();
        for _ in 0..n {
            let t = self.inner.tick() + 1;
            let now: Vec<Command> = cmds.iter().filter(|c| c.tick == t).copied().collect();
            let r = self.inner.step(&now);
            let text = serde_json_text(&ops::tick_json(&r));
            out.push(&parse_json(&text)?);
            self.last = Some(r);
        }
        Ok(out.into())
    }

    /// The tick last computed.
    #[wasm_bindgen(getter)]
    pub fn tick(&self) -> f64 {
        self.inner.tick() as f64
    }

    /// SHA-256 of the world's canonical encoding, hex.
    #[wasm_bindgen(js_name = stateHash)]
    pub fn state_hash(&self) -> String {
        omega_core::hex::encode(&self.inner.state_hash())
    }

    /// The last tick's report (null before the first step).
    #[wasm_bindgen(unchecked_return_type = "TickReport | null")]
    pub fn metrics(&self) -> Result<JsValue, JsValue> {
        match &self.last {
            None => Ok(JsValue::NULL),
            Some(r) => parse_json(&serde_json_text(&ops::tick_json(r))),
        }
    }

    /// The canonical encoding (OMGW): a snapshot `World.restore` takes.
    pub fn snapshot(&self) -> Vec<u8> {
        self.inner.encode()
    }

    /// Live entities.
    #[wasm_bindgen(getter)]
    pub fn entities(&self) -> u32 {
        self.inner.len()
    }
}

fn serde_json_text(v: &ops::TickJson) -> String {
    // the same bytes the CLI prints for a tick (compact)
    String::from_utf8(ops::to_compact_json(v)).unwrap_or_default()
}
