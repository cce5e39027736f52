//! World commands and their two forms, carried as event payloads.
//!
//! Binary (big-endian): `"OMWC" | 1 | tick u64 | op u8 | fields`, where the
//! fields of each op are
//! `1 spawn: node u32, target i64` · `2 despawn: entity u64` ·
//! `3 link: a u64, b u64, weight i64` · `4 unlink: a u64, b u64` ·
//! `5 set_target: entity u64, value i64` · `6 sensor: entity u64, value i64`
//! (entities as `generation << 32 | index`; values as I32F32 bits).
//!
//! JSON: `{"tick": 5, "op": "spawn", "node": 1, "target": "0.5"}`,
//! `{"tick": 5, "op": "link", "a": "3:0", "b": "4:0", "weight": "0.2"}`, …:
//! entities as `"index:generation"`, values as decimal strings (exact).
use super::fx::Fx;
use super::world::Entity;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A new entity on `node` with setpoint `target`.
    Spawn {
        /// Topology node.
        node: u32,
        /// Setpoint.
        target: Fx,
    },
    /// Remove an entity and its edges.
    Despawn {
        /// The entity.
        entity: Entity,
    },
    /// Add (or reweight) the edge a–b.
    Link {
        /// One end.
        a: Entity,
        /// The other end.
        b: Entity,
        /// Weight (≥ 0).
        weight: Fx,
    },
    /// Remove the edge a–b.
    Unlink {
        /// One end.
        a: Entity,
        /// The other end.
        b: Entity,
    },
    /// Change an entity's setpoint.
    SetTarget {
        /// The entity.
        entity: Entity,
        /// New setpoint.
        value: Fx,
    },
    /// Inject a sensor reading for this tick.
    Sensor {
        /// The entity.
        entity: Entity,
        /// The reading.
        value: Fx,
    },
}

/// A command for the tick it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// Applied at the start of this tick.
    pub tick: u64,
    /// What it does.
    pub op: Op,
}

impl Command {
    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(40);
        b.extend_from_slice(b"OMWC");
        b.push(1);
        b.extend_from_slice(&self.tick.to_be_bytes());
        let ent = |b: &mut Vec<u8>, e: Entity| b.extend_from_slice(&e.to_u64().to_be_bytes());
        let val = |b: &mut Vec<u8>, v: Fx| b.extend_from_slice(&v.to_bits().to_be_bytes());
        match self.op {
            Op::Spawn { node, target } => {
                b.push(1);
                b.extend_from_slice(&node.to_be_bytes());
                val(&mut b, target);
            }
            Op::Despawn { entity } => {
                b.push(2);
                ent(&mut b, entity);
            }
            Op::Link { a, b: c, weight } => {
                b.push(3);
                ent(&mut b, a);
                ent(&mut b, c);
                val(&mut b, weight);
            }
            Op::Unlink { a, b: c } => {
                b.push(4);
                ent(&mut b, a);
                ent(&mut b, c);
            }
            Op::SetTarget { entity, value } => {
                b.push(5);
                ent(&mut b, entity);
                val(&mut b, value);
            }
            Op::Sensor { entity, value } => {
                b.push(6);
                ent(&mut b, entity);
                val(&mut b, value);
            }
        }
        b
    }

    /// Decodes a payload: the binary form (starts with `OMWC`) or the JSON form.
    pub fn decode(payload: &[u8]) -> Result<Command, String> {
        if payload.starts_with(b"OMWC") {
            return decode_binary(payload);
        }
        #[cfg(feature = "json")]
        if payload.first() == Some(&b'{') {
            return decode_json(payload);
        }
        Err("not a world command (neither the OMWC binary form nor a JSON object)".into())
    }
}

fn decode_binary(p: &[u8]) -> Result<Command, String> {
    let mut c = crate::cursor::Cursor::new(p);
    let _ = c.take(4);
    if c.array::<1>() != Some([1]) {
        return Err("unsupported command version".into());
    }
    let tick = c.array::<8>().map(u64::from_be_bytes).ok_or("truncated tick")?;
    let op = c.array::<1>().ok_or("truncated op")?;
    let mut ent = || c.array::<8>().map(|b| Entity::from_u64(u64::from_be_bytes(b))).ok_or("truncated entity");
    let op = match op {
        [1] => {
            let node = c.array::<4>().map(u32::from_be_bytes).ok_or("truncated node")?;
            let target = c.array::<8>().map(|b| Fx::from_bits(i64::from_be_bytes(b))).ok_or("truncated target")?;
            Op::Spawn { node, target }
        }
        [2] => Op::Despawn { entity: ent()? },
        [3] => {
            let (a, b) = (ent()?, ent()?);
            let weight = c.array::<8>().map(|b| Fx::from_bits(i64::from_be_bytes(b))).ok_or("truncated weight")?;
            Op::Link { a, b, weight }
        }
        [4] => {
            let (a, b) = (ent()?, ent()?);
            Op::Unlink { a, b }
        }
        [5] | [6] => {
            let entity = ent()?;
            let value = c.array::<8>().map(|b| Fx::from_bits(i64::from_be_bytes(b))).ok_or("truncated value")?;
            if op == [5] { Op::SetTarget { entity, value } } else { Op::Sensor { entity, value } }
        }
        [x] => return Err(format!("unknown command op {x}")),
    };
    if c.remaining() != 0 {
        return Err("trailing bytes after the command".into());
    }
    Ok(Command { tick, op })
}

/// Parses `"index:generation"`.
pub fn parse_entity(s: &str) -> Option<Entity> {
    let (i, g) = s.split_once(':')?;
    Some(Entity { index: i.parse().ok()?, generation: g.parse().ok()? })
}

#[cfg(feature = "json")]
fn decode_json(p: &[u8]) -> Result<Command, String> {
    use serde_json::Value;
    let v: Value = crate::api::json::parse_strict(p).map_err(|e| match e {
        crate::api::json::JsonError::Syntax { detail } => format!("not JSON ({detail})"),
        e => e.to_string(),
    })?;
    let Value::Object(o) = v else { return Err("a command is a JSON object".into()) };
    let op = o.get("op").and_then(Value::as_str).ok_or("`op` must be a string")?;
    let known: &[&str] = match op {
        "spawn" => &["tick", "op", "node", "target"],
        "despawn" => &["tick", "op", "entity"],
        "link" => &["tick", "op", "a", "b", "weight"],
        "unlink" => &["tick", "op", "a", "b"],
        "set_target" | "sensor" => &["tick", "op", "entity", "value"],
        other => return Err(format!("unknown op `{other}` (spawn, despawn, link, unlink, set_target, sensor)")),
    };
    if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown field `{k}` for op {op}"));
    }
    let tick = o.get("tick").and_then(Value::as_u64).ok_or("`tick` must be an unsigned integer")?;
    let ent = |k: &str| o.get(k).and_then(Value::as_str).and_then(parse_entity).ok_or_else(|| format!("`{k}` must be \"index:generation\""));
    let val = |k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Fx>().ok())
            .ok_or_else(|| format!("`{k}` must be a decimal string within ±2147483648"))
    };
    let op = match op {
        "spawn" => Op::Spawn {
            node: o.get("node").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).ok_or("`node` must be a u32")?,
            target: val("target")?,
        },
        "despawn" => Op::Despawn { entity: ent("entity")? },
        "link" => Op::Link { a: ent("a")?, b: ent("b")?, weight: val("weight")? },
        "unlink" => Op::Unlink { a: ent("a")?, b: ent("b")? },
        "set_target" => Op::SetTarget { entity: ent("entity")?, value: val("value")? },
        _ => Op::Sensor { entity: ent("entity")?, value: val("value")? },
    };
    Ok(Command { tick, op })
}

/// The JSON form of a command.
pub fn to_json(c: &Command) -> String {
    match c.op {
        Op::Spawn { node, target } => format!(r#"{{"tick":{},"op":"spawn","node":{node},"target":"{target}"}}"#, c.tick),
        Op::Despawn { entity } => format!(r#"{{"tick":{},"op":"despawn","entity":"{entity}"}}"#, c.tick),
        Op::Link { a, b, weight } => format!(r#"{{"tick":{},"op":"link","a":"{a}","b":"{b}","weight":"{weight}"}}"#, c.tick),
        Op::Unlink { a, b } => format!(r#"{{"tick":{},"op":"unlink","a":"{a}","b":"{b}"}}"#, c.tick),
        Op::SetTarget { entity, value } => format!(r#"{{"tick":{},"op":"set_target","entity":"{entity}","value":"{value}"}}"#, c.tick),
        Op::Sensor { entity, value } => format!(r#"{{"tick":{},"op":"sensor","entity":"{entity}","value":"{value}"}}"#, c.tick),
    }
}

/// Commands from a reconciled history: every event payload, in canonical
/// order, decoded as a command; the undecodable ones reported (key, reason),
/// never fatal.
pub fn from_events(events: &[crate::Event]) -> (Vec<Command>, Vec<(crate::Key, String)>) {
    let mut evs: Vec<&crate::Event> = events.iter().collect();
    evs.sort_by_key(|e| e.key());
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for e in evs {
        match Command::decode(e.payload()) {
            Ok(c) => ok.push(c),
            Err(why) => bad.push((e.key(), why.to_string())),
        }
    }
    (ok, bad)
}
