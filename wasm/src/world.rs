//! The ECS world in JS: `new World(seed, entities)`, `step(n)`, `stateHash()`,
//! `metrics()`, `snapshot()`, `World.restore(bytes)`. Reports are the CLI's
//! tick JSON, parsed. Stepping goes through [`Run`], the loop op 19 and
//! `omega ecs` use.
use crate::{js_error, parse_json};
use omega_core::api::code;
use omega_core::ecs::{Command, Config, Run, World as CoreWorld};
use omega_core::ErrorCode;
use omega_core::api::response;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
// `TickReport` is declared with the response types (wasm/types/omega.d.ts, generated).
"#;

/// The fixed-point ECS world, bit-identical on every engine.
#[wasm_bindgen]
#[derive(Debug)]
pub struct World {
    run: Run,
    last: Option<omega_core::ecs::TickReport>,
}

#[wasm_bindgen]
impl World {
    /// A world of `entities` entities (on `nodes` topology nodes, `edgesPerEntity`
    /// random edges each) drawn from `seed`. The caps of `omega ecs` hold:
    /// a field out of its range throws code 4002 (`nodes` 0 included), a
    /// shape that needs more memory than the world budget throws 4005.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: f64, entities: f64, nodes: Option<f64>, #[wasm_bindgen(js_name = edgesPerEntity)] edges_per_entity: Option<f64>) -> Result<World, JsValue> {
        if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0 && seed <= 9_007_199_254_740_991.0) {
            return Err(js_error(code::WORLD_CONFIG, "the seed must be a non-negative integer", None, None));
        }
        let d = Config::default();
        // a JS number outside u32 would wrap in the u32 conversion: refuse it instead
        let int = |k: &str, v: f64, min: u32, max: u32| -> Result<u32, JsValue> {
            if v.is_finite() && v.fract() == 0.0 && v >= f64::from(min) && v <= f64::from(max) {
                Ok(v as u32)
            } else {
                Err(js_error(code::WORLD_CONFIG, &format!("world config: `{k}` must be an integer from {min} to {max}"), None, None))
            }
        };
        let entities = int("entities", entities, 0, Config::MAX_ENTITIES)?;
        let nodes = int("nodes", nodes.unwrap_or(f64::from(d.nodes)), 1, Config::MAX_NODES)?;
        let edges_per_entity = int("edges_per_entity", edges_per_entity.unwrap_or(f64::from(d.edges_per_entity)), 0, Config::MAX_EDGES_PER_ENTITY)?;
        let config = Config { nodes, entities, edges_per_entity };
        let inner = CoreWorld::try_new(seed as u64, config).map_err(|e| js_error(e.code(), &e.to_string(), None, None))?;
        Ok(World::of(inner))
    }

    /// Rebuilds a world from `snapshot()` bytes (the caps of a new world
    /// hold: 4005 past them, 4001 for malformed bytes); stepping it continues exactly.
    pub fn restore(bytes: &[u8]) -> Result<World, JsValue> {
        CoreWorld::restore(bytes).map(World::of).map_err(|e| js_error(e.code(), &e.to_string(), None, None))
    }

    /// Runs `n` ticks (commands: an optional array of command objects in the
    /// JSON form, applied at the tick they name; those naming a tick outside
    /// this call's never apply). Returns the reports.
    #[wasm_bindgen(unchecked_return_type = "TickReport[]")]
    pub fn step(&mut self, n: u32, #[wasm_bindgen(unchecked_param_type = "object[] | undefined")] commands: JsValue) -> Result<JsValue, JsValue> {
        let mut cmds: Vec<Command> = Vec::new();
        if !commands.is_undefined() && !commands.is_null() {
            let arr = js_sys::Array::from(&commands);
            for (i, c) in arr.iter().enumerate() {
                let text = js_sys::JSON::stringify(&c).ok().and_then(|s| s.as_string()).unwrap_or_default();
                let cmd = Command::decode(text.as_bytes()).map_err(|why| js_error(code::WORLD_COMMAND, &format!("command {i}: {why}"), Some(i), None))?;
                cmds.push(cmd);
            }
        }
        self.run.set_commands(cmds);
        let out = js_sys::Array::new();
        for _ in 0..n {
            let r = self.run.step();
            let text = serde_json_text(&r);
            out.push(&parse_json(&text)?);
            self.last = Some(r);
        }
        Ok(out.into())
    }

    /// The tick last computed.
    #[wasm_bindgen(getter)]
    pub fn tick(&self) -> f64 {
        self.run.tick() as f64
    }

    /// SHA-256 of the world's canonical encoding, hex.
    #[wasm_bindgen(js_name = stateHash)]
    pub fn state_hash(&self) -> String {
        omega_core::hex::encode(&self.run.world().state_hash())
    }

    /// The last tick's report (null before the first step).
    #[wasm_bindgen(unchecked_return_type = "TickReport | null")]
    pub fn metrics(&self) -> Result<JsValue, JsValue> {
        match &self.last {
            None => Ok(JsValue::NULL),
            Some(r) => parse_json(&serde_json_text(r)),
        }
    }

    /// The canonical encoding (OMGW): a snapshot `World.restore` takes.
    pub fn snapshot(&self) -> Vec<u8> {
        self.run.world().encode()
    }

    /// Live entities.
    #[wasm_bindgen(getter)]
    pub fn entities(&self) -> u32 {
        self.run.world().len()
    }
}

impl World {
    fn of(world: CoreWorld) -> World {
        World { run: Run::new(world, [], None), last: None }
    }
}

fn serde_json_text(r: &omega_core::ecs::TickReport) -> String {
    // the same bytes the CLI prints for a tick (compact)
    String::from_utf8(response::to_compact_json(&response::TickReport::from(r))).unwrap_or_default()
}
