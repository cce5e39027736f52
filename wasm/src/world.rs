//! The ECS world in JS: `new World(seed, entities)`, `step(n)`, `stateHash()`,
//! `metrics()`, `snapshot()`, `World.restore(bytes)`. Reports are the CLI's
//! tick JSON, parsed. Stepping goes through [`Run`], the loop op 19 and
//! `omega ecs` use.
use crate::{int_arg, js_error, parse_json, MAX_SAFE_INTEGER};
use omega_core::api::code;
use omega_core::ecs::{Command, Config, Run, World as CoreWorld};
use omega_core::ErrorCode;
use omega_core::api::response;
use omega_core::api::{ops, Op};
use crate::certify::{bytes_of, run};
use crate::cluster::field_bytes;
use wasm_bindgen::prelude::*;

/// A core API error as the JS Error every function throws.
fn api_error(e: omega_core::api::ApiError) -> JsValue {
    crate::throw_body(&e.to_response().body)
}

/// Where two world snapshots (OMGW) first differ (op 20, `omega ecs diff`):
/// `{first_difference: {a, b, component, entity} | null, same, tick_a,
/// tick_b}`, the entity and component named. Throws 4001 for bytes that are
/// not a world.
#[wasm_bindgen(js_name = ecsDiff, unchecked_return_type = "EcsDiff")]
pub fn ecs_diff(a: &[u8], b: &[u8]) -> Result<JsValue, JsValue> {
    run(Op::EcsDiff, &[a, b])
}

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
    /// The commands of the history it was made from (`fromEvents`), which
    /// stay scheduled for every `step`.
    history: Vec<Command>,
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

    /// A world driven by a recorded event history (op 19's start): `start`
    /// is a config (object or JSON text, undefined for the default), a
    /// world snapshot (OMGW bytes) or a snapshot holding a world (OMSN);
    /// `events` a clean JSON history (an array
    /// of events or its text) whose payloads are world commands, applied at
    /// the ticks they name as the world steps. Stepping it gives exactly
    /// what `omega ecs --events` (op 19) gives. Throws 4001/4002/4005 for a
    /// bad start, 4003 for a history that obstructs, 30xx/31xx for bad events.
    #[wasm_bindgen(js_name = fromEvents)]
    pub fn from_events(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | object | string | undefined")] start: JsValue,
        #[wasm_bindgen(unchecked_param_type = "OmegaEvent[] | string")] events: JsValue,
    ) -> Result<World, JsValue> {
        let start = bytes_of(&start)?;
        let events = bytes_of(&events)?;
        let world = ops::ecs_start(&start).map_err(api_error)?;
        let (cmds, _, _) = ops::ecs_commands(&events).map_err(api_error)?;
        Ok(World { run: Run::new(world, cmds.clone(), None), last: None, history: cmds })
    }

    /// Steps the world through one batch of canonical binary events, as a
    /// cluster node does (op 26, `ecsBatch`): the batch's commands land at
    /// the ticks they name (late and too-far ones are reported, not
    /// applied), and the world moves at least one tick. Returns the batch
    /// report (`end_tick` and `state_hash` are what `certify` takes as
    /// `world`); this world is then the world after the batch, with no
    /// commands left pending from `fromEvents`. Throws 31xx for bad events.
    #[wasm_bindgen(js_name = applyBatch, unchecked_return_type = "EcsBatchResult")]
    pub fn apply_batch(&mut self, #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] events: JsValue) -> Result<JsValue, JsValue> {
        let before = self.run.world().encode();
        let v = run(Op::EcsBatch, &[&before, &bytes_of(&events)?])?;
        field_bytes(&v, "world")?;
        let after = js_sys::Uint8Array::new(&js_sys::Reflect::get(&v, &"world".into())?).to_vec();
        let world = CoreWorld::restore(&after).map_err(|e| js_error(e.code(), &e.to_string(), None, None))?;
        *self = World::of(world);
        Ok(v)
    }

    /// Runs `n` ticks (an integer from 0 to [`MAX_STEP`], 100,000: the reports
    /// of one call are held in one array; step in a loop for more; 3303
    /// otherwise). `commands`: an optional array of command objects in the
    /// JSON form, applied at the tick they name (after the commands of the
    /// history a `fromEvents` world was made from, which stay scheduled);
    /// those naming a tick outside this call's never apply. Returns the reports.
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
        self.run.set_commands(self.history.iter().cloned().chain(cmds));
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

    /// Live entities on each topology node, by node (what the topology
    /// system balances, one migration a tick).
    pub fn loads(&self) -> Vec<u32> {
        self.run.world().loads()
    }
}

impl World {
    fn of(world: CoreWorld) -> World {
        World { run: Run::new(world, [], None), last: None, history: Vec::new() }
    }
}

fn serde_json_text(r: &omega_core::ecs::TickReport) -> String {
    // the same bytes the CLI prints for a tick (compact)
    String::from_utf8(response::to_compact_json(&response::TickReport::from(r))).unwrap_or_default()
}
