//! Snapshots and crash bundles: self-hashed binary forms that carry a state
//! (and, for a bundle, the batch that obstructed against it) from one engine
//! to another.
//!
//! Snapshot ("OMSN", version 1, big-endian):
//! ```text
//! "OMSN" | 1 | state length u32 | state (OMGS)
//! | world flag u8: 0, or 1 then world length u32 | world (OMGW)
//! | SHA-256 of everything before it (32)
//! ```
//! Crash bundle ("OMGB", version 1):
//! ```text
//! "OMGB" | 1 | prior state length u32 | prior state (OMGS) | event count u32
//! | the batch as log frames (length | CRC32 | canonical event), in arrival order
//! | evidence length u32 | the obstruction's OMGO evidence | SHA-256 of everything before it (32)
//! ```
//! The trailing hash is the form's identity and its integrity check.
use crate::cursor::Cursor;
use crate::error::ErrorCode;
use crate::event::{Event, Limits};
use crate::event::frame;
use crate::hash::{Hash, sha256};
use crate::reconcile::{Obstruction, Outcome, reconcile};
use crate::reconcile::state::State;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a snapshot or bundle was refused. Code 3901 (snapshot), 3902 (bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// 3901: the snapshot is malformed (reason, with the byte offset when known).
    Snapshot(String),
    /// 3902: the bundle is malformed (reason).
    Bundle(String),
}

impl ErrorCode for SnapshotError {
    fn code(&self) -> u16 {
        match self {
            SnapshotError::Snapshot(_) => crate::api::code::SNAPSHOT,
            SnapshotError::Bundle(_) => crate::api::code::BUNDLE,
        }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Snapshot(w) => write!(f, "snapshot: {w}"),
            SnapshotError::Bundle(w) => write!(f, "crash bundle: {w}"),
        }
    }
}

fn sealed(mut body: Vec<u8>) -> Vec<u8> {
    let h = sha256(&body);
    body.extend_from_slice(&h);
    body
}

/// Splits off and checks the trailing SHA-256; returns the body.
fn unseal<'a>(bytes: &'a [u8], magic: &[u8; 4], err: &dyn Fn(String) -> SnapshotError) -> Result<&'a [u8], SnapshotError> {
    if !bytes.starts_with(magic) {
        return Err(err(format!("does not start with {:?}", core::str::from_utf8(magic).unwrap_or("?"))));
    }
    let Some(split) = bytes.len().checked_sub(32) else { return Err(err("shorter than its 32-byte hash".into())) };
    let (body, h) = bytes.split_at(split);
    if sha256(body) != h {
        return Err(err("its SHA-256 does not match (corrupt or truncated)".into()));
    }
    match body.get(4) {
        Some(1) => Ok(body),
        Some(v) => Err(err(format!("version {v} is not supported (this build reads version 1)"))),
        None => Err(err("truncated".into())),
    }
}

/// A snapshot: the reconcile state at a point of the history, and the ECS
/// world it drives, when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The reconcile state.
    pub state: State,
    /// The world's canonical encoding (OMGW), checked when read.
    pub world: Option<Vec<u8>>,
}

impl Snapshot {
    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let st = self.state.encode();
        let w = self.world.as_deref().unwrap_or_default();
        let mut b = Vec::with_capacity(st.len() + w.len() + 46);
        b.extend_from_slice(b"OMSN");
        b.push(1);
        b.extend_from_slice(&u32::try_from(st.len()).unwrap_or(u32::MAX).to_be_bytes());
        b.extend_from_slice(&st);
        match &self.world {
            None => b.push(0),
            Some(w) => {
                b.push(1);
                b.extend_from_slice(&u32::try_from(w.len()).unwrap_or(u32::MAX).to_be_bytes());
                b.extend_from_slice(w);
            }
        }
        sealed(b)
    }

    /// The world, decoded (`None` when the snapshot holds none).
    pub fn world(&self) -> Option<crate::ecs::World> {
        self.world.as_deref().and_then(|w| crate::ecs::World::restore(w).ok())
    }

    /// SHA-256 of the body (the last 32 bytes of the binary form).
    pub fn hash(&self) -> Hash {
        let e = self.encode();
        e.get(e.len().saturating_sub(32)..).and_then(|h| h.try_into().ok()).unwrap_or_default()
    }

    /// Parses the binary form strictly.
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let err = |w: String| SnapshotError::Snapshot(w);
        let body = unseal(bytes, b"OMSN", &err)?;
        let mut c = Cursor::new(body);
        let _ = c.take(5);
        let n = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err("truncated in the state length".into()))?;
        let st = c.take(n as usize).ok_or_else(|| err("truncated in the state".into()))?;
        let state = State::decode(st).map_err(|e| err(format!("state: {e}")))?;
        let world = match c.array::<1>() {
            Some([0]) => None,
            Some([1]) => {
                let n = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err("truncated in the world length".into()))?;
                let at = c.pos();
                let w = c.take(n as usize).ok_or_else(|| err("truncated in the world".into()))?;
                crate::ecs::World::restore(w).map_err(|e| err(format!("the world at offset {at}: {e}")))?;
                Some(w.to_vec())
            }
            Some([f]) => return Err(err(format!("world flag {f} is neither 0 (no world) nor 1"))),
            None => return Err(err("truncated in the world flag".into())),
        };
        if c.remaining() != 0 {
            return Err(err(format!("trailing bytes at offset {}", c.pos())));
        }
        Ok(Snapshot { state, world })
    }
}

/// A crash bundle: what it takes to reproduce an obstruction anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The state the batch was checked against.
    pub prior: State,
    /// The batch, in arrival order.
    pub events: Vec<Event>,
    /// The obstruction's evidence (OMGO) as recorded.
    pub evidence: Vec<u8>,
}

impl Bundle {
    /// A bundle for `events` against `prior`, or `None` when they do not obstruct.
    pub fn capture(prior: &State, events: &[Event]) -> Option<(Bundle, Obstruction)> {
        match reconcile(prior, events) {
            Outcome::Ok(_) => None,
            Outcome::Obstruction(o) => Some((Bundle { prior: prior.clone(), events: events.to_vec(), evidence: o.encode() }, o)),
        }
    }

    /// The binary form.
    pub fn encode(&self) -> Vec<u8> {
        let st = self.prior.encode();
        let mut b = Vec::new();
        b.extend_from_slice(b"OMGB");
        b.push(1);
        b.extend_from_slice(&u32::try_from(st.len()).unwrap_or(u32::MAX).to_be_bytes());
        b.extend_from_slice(&st);
        b.extend_from_slice(&u32::try_from(self.events.len()).unwrap_or(u32::MAX).to_be_bytes());
        b.extend_from_slice(&frame::encode_frames(&self.events));
        b.extend_from_slice(&u32::try_from(self.evidence.len()).unwrap_or(u32::MAX).to_be_bytes());
        b.extend_from_slice(&self.evidence);
        sealed(b)
    }

    /// Parses the binary form strictly.
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let err = |w: String| SnapshotError::Bundle(w);
        let body = unseal(bytes, b"OMGB", &err)?;
        let mut c = Cursor::new(body);
        let _ = c.take(5);
        let n = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err("truncated in the state length".into()))?;
        let st = c.take(n as usize).ok_or_else(|| err("truncated in the prior state".into()))?;
        let prior = State::decode(st).map_err(|e| err(format!("prior state: {e}")))?;
        let count = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err("truncated in the event count".into()))?;
        let limits = Limits::default();
        let mut events = Vec::with_capacity((count as usize).min(1 << 16));
        for i in 0..count {
            let len = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err(format!("event {i}: truncated frame")))?;
            let crc = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err(format!("event {i}: truncated frame")))?;
            let ev = c.take(len as usize).ok_or_else(|| err(format!("event {i}: truncated frame")))?;
            let mut h = crc32fast::Hasher::new();
            h.update(&len.to_be_bytes());
            h.update(ev);
            if h.finalize() != crc {
                return Err(err(format!("event {i}: CRC mismatch")));
            }
            let e = frame::EventRef::parse(ev, &limits).map_err(|e| err(format!("event {i}: {e}")))?;
            events.push(e.to_event());
        }
        let n = c.array::<4>().map(u32::from_be_bytes).ok_or_else(|| err("truncated in the evidence length".into()))?;
        let evidence = c.take(n as usize).ok_or_else(|| err("truncated in the evidence".into()))?.to_vec();
        if c.remaining() != 0 {
            return Err(err(format!("trailing bytes at offset {}", c.pos())));
        }
        Ok(Bundle { prior, events, evidence })
    }

    /// Reconciles the batch again: the obstruction, and whether its evidence is
    /// byte for byte the recorded one.
    pub fn reproduce(&self) -> (Outcome, bool) {
        let out = reconcile(&self.prior, &self.events);
        let same = matches!(&out, Outcome::Obstruction(o) if o.encode() == self.evidence);
        (out, same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::sample::{self, Shape};
    use alloc::string::ToString;

    #[test]
    fn snapshot_and_bundle_roundtrip_and_refuse_damage() {
        let ev = sample::history(5, Shape { nodes: 2, streams: 1, per_stream: 4, payload: 8 });
        let Outcome::Ok(s) = reconcile(&State::new(), &ev) else { panic!() };
        let world = crate::ecs::World::try_new(3, crate::ecs::Config { nodes: 2, entities: 5, edges_per_entity: 1 }).unwrap().encode();
        for snap in [Snapshot { state: s.state.clone(), world: None }, Snapshot { state: s.state.clone(), world: Some(world.clone()) }] {
            let b = snap.encode();
            assert_eq!(Snapshot::decode(&b).unwrap(), snap);
            for i in 0..b.len() {
                let mut m = b.clone();
                m[i] ^= 0x10;
                assert!(Snapshot::decode(&m).is_err(), "byte {i}");
                assert!(Snapshot::decode(&b[..i]).is_err(), "cut {i}");
            }
        }
        // a flag other than 0 and 1, and a world that is not one, even under a good hash
        let reseal = |mut body: Vec<u8>| {
            let h = sha256(&body);
            body.extend_from_slice(&h);
            body
        };
        let plain = Snapshot { state: s.state.clone(), world: None }.encode();
        let mut body = plain[..plain.len() - 33].to_vec();
        body.push(2);
        assert!(Snapshot::decode(&reseal(body.clone())).unwrap_err().to_string().contains("world flag 2"));
        body.pop();
        body.push(1);
        body.extend_from_slice(&4u32.to_be_bytes());
        body.extend_from_slice(b"OMGW");
        assert!(Snapshot::decode(&reseal(body)).unwrap_err().to_string().contains("the world at offset"));
        let mut bad = ev.clone();
        bad.push(Event::new(1, 9, 0, crate::EventId::derived(9, 0, 3), 3, alloc::vec![], alloc::vec![]));
        assert!(Bundle::capture(&State::new(), &ev).is_none());
        let (bundle, o) = Bundle::capture(&s.state, &bad).unwrap();
        let bytes = bundle.encode();
        let back = Bundle::decode(&bytes).unwrap();
        assert_eq!(back, bundle);
        let (out, same) = back.reproduce();
        assert!(same);
        assert_eq!(out, Outcome::Obstruction(o));
        for i in (0..bytes.len()).step_by(7) {
            let mut m = bytes.clone();
            m[i] ^= 1;
            assert!(Bundle::decode(&m).is_err(), "byte {i}");
        }
    }
}
