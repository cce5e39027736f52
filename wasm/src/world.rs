//! The ECS world in JS: `new World(seed, entities)`, `step(n)`, `stateHash()`,
//! `metrics()`, `snapshot()`, `World.restore(bytes)`. Reports are the CLI's
//! tick JSON, parsed. Stepping goes through [`Run`], the loop op 19 and
//! `omega ecs` use.
use crate::{int_arg, js_error, parse_json, MAX_SAFE_INTEGER};
use omega_core::api::code;
use omega_core::ecs::{Command, Config, Run, World as CoreWorld};
use omega_core::ErrorCode;
use omega_core::api::response;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
// `TickReport` is declared with the response types (wasm/types/omega.d.ts, generated).
"#;

/// Most ticks one `World.step` call runs (its reports are held in one array).
pub const MAX_STEP: u64 = 100_000;

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
    /// random edges each) drawn from `seed` (an integer from 0 to 2^53 - 1).
    /// The caps of `omega ecs` hold: an argument that is not an integer in
    /// its range throws code 4002 (`nodes` 0 included), a shape that needs
    /// more memory than the world budget throws 4005, before anything is allocated.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "number")] seed: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] entities: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] nodes: Option<JsValue>,
        #[wasm_bindgen(js_name = edgesPerEntity, unchecked_optional_param_type = "number")] edges_per_entity: Option<JsValue>,
    ) -> Result<World, JsValue> {
        let d = Config::default();
        let c = code::WORLD_CONFIG;
        let none = JsValue::UNDEFINED;
        let seed = int_arg(&seed, "seed", 0, MAX_SAFE_INTEGER, c)?;
        let int = |v: &JsValue, k: &str, min: u32, max: u32| int_arg(v, k, u64::from(min), u64::from(max), c).map(|x| x as u32);
        let entities = int(&entities, "entities", 0, Config::MAX_ENTITIES)?;
        let nodes = match nodes.as_ref().unwrap_or(&none) {
            v if v.is_undefined() || v.is_null() => d.nodes,
            v => int(v, "nodes", 1, Config::MAX_NODES)?,
        };
        let edges_per_entity = match edges_per_entity.as_ref().unwrap_or(&none) {
            v if v.is_undefined() || v.is_null() => d.edges_per_entity,
            v => int(v, "edgesPerEntity", 0, Config::MAX_EDGES_PER_ENTITY)?,
        };
        let config = Config { nodes, entities, edges_per_entity };
        let inner = CoreWorld::try_new(seed, config).map_err(|e| js_error(e.code(), &e.to_string(), None, None))?;
        Ok(World::of(inner))
    }

    /// Rebuilds a world from `snapshot()` bytes (the caps of a new world
    /// hold: 4005 past them, 4001 for malformed bytes); stepping it continues exactly.
    pub fn restore(bytes: &[u8]) -> Result<World, JsValue> {
        CoreWorld::restore(bytes).map(World::of).map_err(|e| js_error(e.code(), &e.to_string(), None, None))
    }

    /// Runs `n` ticks (an integer from 0 to [`MAX_STEP`], 100,000: the reports
    /// of one call are held in one array; step in a loop for more; 3303
    /// otherwise). `commands`: an optional array of command objects in the
    /// JSON form, applied at the tick they name; those naming a tick outside
    /// this call's never apply. Returns the reports.
    #[wasm_bindgen(unchecked_return_type = "TickReport[]")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "EcsCommand[]")] commands: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let n = int_arg(&n, "n", 0, MAX_STEP, code::ARGUMENT)?;
        let commands = commands.unwrap_or(JsValue::UNDEFINED);
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
