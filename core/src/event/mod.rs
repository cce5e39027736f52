//! Events and their canonical binary encoding.
//!
//! ```text
//! offset  size      field
//! 0       8         lamport   u64 big-endian   \
//! 8       4         node      u32 big-endian    | the 28-byte canonical key
//! 12      2         stream    u16 big-endian    |
//! 14      14        event id  112 bits         /
//! 28      8         seq       u64 big-endian
//! 36      4         deps      u32 big-endian count d
//! 40      14*d      dep ids, sorted ascending, unique
//! 40+14d  4         payload   u32 big-endian length p
//! 44+14d  p         payload bytes
//! ```
//! This exact byte string is what is hashed (leaf hash), framed, stored and replayed.

pub mod frame;
pub mod key;
pub mod sample;

pub use key::{EventId, Key};

use crate::cursor::Cursor;
use crate::error::DecodeError;
use crate::hash::Hash;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Bounds on what one event may carry. Decoders enforce them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload in bytes (default 1 MiB).
    pub max_payload: u32,
    /// Most dependencies per event (default 1024).
    pub max_deps: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_payload: 1 << 20, max_deps: 1024 }
    }
}

/// One event: its key fields, its position in its (node, stream) sequence,
/// the ids it causally depends on, and an opaque payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    key: Key,
    seq: u64,
    deps: Vec<EventId>,
    payload: Vec<u8>,
}

impl Event {
    /// Length of the fixed part of the encoding (key, seq, deps count, payload length).
    pub const FIXED_LEN: usize = 28 + 8 + 4 + 4;

    /// Builds an event. `deps` are sorted and deduplicated, so the encoding is canonical.
    pub fn new(
        lamport: u64,
        node: u32,
        stream: u16,
        id: EventId,
        seq: u64,
        mut deps: Vec<EventId>,
        payload: Vec<u8>,
    ) -> Self {
        deps.sort_unstable();
        deps.dedup();
        Event { key: Key::new(lamport, node, stream, id), seq, deps, payload }
    }

    /// The canonical key.
    pub fn key(&self) -> Key {
        self.key
    }
    /// Lamport time.
    pub fn lamport(&self) -> u64 {
        self.key.lamport()
    }
    /// Node.
    pub fn node(&self) -> u32 {
        self.key.node()
    }
    /// Stream.
    pub fn stream(&self) -> u16 {
        self.key.stream()
    }
    /// Event id.
    pub fn id(&self) -> EventId {
        self.key.event_id()
    }
    /// Position in its (node, stream) sequence.
    pub fn seq(&self) -> u64 {
        self.seq
    }
    /// Dependencies, sorted ascending and unique.
    pub fn deps(&self) -> &[EventId] {
        &self.deps
    }
    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Length of the canonical encoding.
    pub fn encoded_len(&self) -> usize {
        Self::FIXED_LEN + EventId::LEN * self.deps.len() + self.payload.len()
    }

    /// Appends the canonical encoding to `out`.
    ///
    /// Counts that do not fit in a u32 cannot come from a decoder (limits are
    /// u32); they are saturated here, which a decoder then rejects.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        let d = u32::try_from(self.deps.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&d.to_be_bytes());
        for dep in &self.deps {
            out.extend_from_slice(dep.as_bytes());
        }
        let p = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&p.to_be_bytes());
        out.extend_from_slice(&self.payload);
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode_into(&mut v);
        v
    }

    /// RFC 6962 leaf hash of the canonical encoding: SHA-256(0x00 || bytes).
    pub fn leaf_hash(&self) -> Hash {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(self.key.as_bytes());
        h.update(self.seq.to_be_bytes());
        let d = u32::try_from(self.deps.len()).unwrap_or(u32::MAX);
        h.update(d.to_be_bytes());
        for dep in &self.deps {
            h.update(dep.as_bytes());
        }
        let p = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        h.update(p.to_be_bytes());
        h.update(&self.payload);
        h.finalize().into()
    }

    /// Decodes one event from the front of `bytes`, strictly: deps must be
    /// sorted and unique, and counts within `limits`. Returns the event and the
    /// number of bytes it took. Never panics.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<(Event, usize), DecodeError> {
        let mut c = Cursor::new(bytes);
        macro_rules! get {
            ($n:literal, $field:literal) => {
                c.array::<$n>().ok_or(DecodeError::Truncated { offset: c.pos(), field: $field })?
            };
        }
        let key = Key::from_bytes(get!(28, "key"));
        let seq = u64::from_be_bytes(get!(8, "seq"));
        let d = u32::from_be_bytes(get!(4, "deps count"));
        if d > limits.max_deps {
            return Err(DecodeError::TooManyDeps { count: u64::from(d), max: limits.max_deps });
        }
        let d = usize::try_from(d).unwrap_or(usize::MAX);
        // Check the length before allocating, so a hostile count cannot reserve memory.
        if c.remaining() < d.saturating_mul(EventId::LEN) {
            return Err(DecodeError::Truncated { offset: c.pos(), field: "deps" });
        }
        let mut deps: Vec<EventId> = Vec::with_capacity(d);
        for i in 0..d {
            let id = EventId::from_bytes(get!(14, "deps"));
            if deps.last().is_some_and(|prev| *prev >= id) {
                return Err(DecodeError::DepsNotCanonical { index: i });
            }
            deps.push(id);
        }
        let p = u32::from_be_bytes(get!(4, "payload length"));
        if p > limits.max_payload {
            return Err(DecodeError::PayloadTooLarge { len: u64::from(p), max: limits.max_payload });
        }
        let at = c.pos();
        let payload = c
            .take(usize::try_from(p).unwrap_or(usize::MAX))
            .ok_or(DecodeError::Truncated { offset: at, field: "payload" })?
            .to_vec();
        Ok((Event { key, seq, deps, payload }, c.pos()))
    }

    /// Decodes a concatenation of canonical events (the binary batch form).
    ///
    /// On failure, returns the failing event's index, its byte offset in
    /// `bytes`, and the error.
    pub fn decode_all(bytes: &[u8], limits: &Limits) -> Result<Vec<Event>, (usize, usize, DecodeError)> {
        let mut out = Vec::new();
        let mut offset = 0usize;
        while let Some(rest) = bytes.get(offset..).filter(|r| !r.is_empty()) {
            let (e, used) = Event::decode(rest, limits).map_err(|err| (out.len(), offset, err))?;
            offset = offset.saturating_add(used);
            out.push(e);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256_parts;
    use alloc::vec;

    fn ev() -> Event {
        Event::new(
            5,
            1,
            2,
            EventId::derived(1, 2, 3),
            3,
            vec![EventId::derived(9, 0, 0), EventId::derived(1, 2, 2), EventId::derived(9, 0, 0)],
            b"hello".to_vec(),
        )
    }

    #[test]
    fn encode_decode_roundtrip() {
        let e = ev();
        assert_eq!(e.deps().len(), 2);
        let b = e.encode();
        assert_eq!(b.len(), e.encoded_len());
        assert_eq!(&b[..28], e.key().as_bytes());
        let (d, used) = Event::decode(&b, &Limits::default()).unwrap();
        assert_eq!(used, b.len());
        assert_eq!(d, e);
        assert_eq!(e.leaf_hash(), sha256_parts(&[&[0], &b]));
    }

    #[test]
    fn decode_rejects_every_truncation_and_bad_deps() {
        let b = ev().encode();
        for n in 0..b.len() {
            assert!(matches!(Event::decode(&b[..n], &Limits::default()), Err(DecodeError::Truncated { .. })));
        }
        let mut swapped = b.clone();
        // swap the two deps
        let (a, c) = (40..54, 54..68);
        let first = swapped[a.clone()].to_vec();
        let second = swapped[c.clone()].to_vec();
        swapped[a].copy_from_slice(&second);
        swapped[c].copy_from_slice(&first);
        assert_eq!(Event::decode(&swapped, &Limits::default()), Err(DecodeError::DepsNotCanonical { index: 1 }));
        let small = Limits { max_payload: 4, max_deps: 8 };
        assert!(matches!(Event::decode(&b, &small), Err(DecodeError::PayloadTooLarge { len: 5, .. })));
        let few = Limits { max_payload: 8, max_deps: 1 };
        assert!(matches!(Event::decode(&b, &few), Err(DecodeError::TooManyDeps { count: 2, .. })));
    }
}
