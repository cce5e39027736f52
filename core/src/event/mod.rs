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
        EventRef::parse_prefix(bytes, limits).map(|(e, used)| (e.to_event(), used))
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

/// One event borrowed from canonical bytes that were checked once, when it
/// was parsed: nothing is copied, and every accessor reads the bytes in place.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// Exactly one canonical encoding, checked by [`EventRef::parse_prefix`].
    bytes: &'a [u8],
}

impl<'a> EventRef<'a> {
    /// Checks that `bytes` is exactly one canonical event within `limits`.
    pub fn parse(bytes: &'a [u8], limits: &Limits) -> Result<Self, DecodeError> {
        let (e, used) = Self::parse_prefix(bytes, limits)?;
        if used != bytes.len() {
            return Err(DecodeError::Trailing { offset: used });
        }
        Ok(e)
    }

    /// Checks the canonical event at the front of `bytes` (what
    /// [`Event::decode`] accepts, with the same errors) and borrows it.
    /// Returns the event and the number of bytes it takes. Never panics.
    pub fn parse_prefix(bytes: &'a [u8], limits: &Limits) -> Result<(Self, usize), DecodeError> {
        let trunc = |offset: usize, field: &'static str| DecodeError::Truncated { offset, field };
        if bytes.len() < 28 {
            return Err(trunc(0, "key"));
        }
        if bytes.len() < 36 {
            return Err(trunc(28, "seq"));
        }
        let nd = be32(bytes, 36).ok_or(trunc(36, "deps count"))?;
        if nd > limits.max_deps {
            return Err(DecodeError::TooManyDeps { count: u64::from(nd), max: limits.max_deps });
        }
        let dend = usize::try_from(nd).ok().and_then(|n| n.checked_mul(EventId::LEN)?.checked_add(40)).ok_or(trunc(40, "deps"))?;
        let deps = bytes.get(40..dend).ok_or(trunc(40, "deps"))?;
        let mut prev: Option<&[u8]> = None;
        for (i, d) in deps.chunks_exact(EventId::LEN).enumerate() {
            if prev.is_some_and(|p| p >= d) {
                return Err(DecodeError::DepsNotCanonical { index: i });
            }
            prev = Some(d);
        }
        let np = be32(bytes, dend).ok_or(trunc(dend, "payload length"))?;
        if np > limits.max_payload {
            return Err(DecodeError::PayloadTooLarge { len: u64::from(np), max: limits.max_payload });
        }
        let pstart = dend.saturating_add(4);
        let pend = usize::try_from(np).ok().and_then(|n| n.checked_add(pstart)).ok_or(trunc(pstart, "payload"))?;
        let body = bytes.get(..pend).ok_or(trunc(pstart, "payload"))?;
        Ok((EventRef { bytes: body }, pend))
    }

    /// Borrows every event of a concatenation of canonical events (the binary
    /// batch form): [`Event::decode_all`] without a copy, with the same errors.
    pub fn parse_all(bytes: &'a [u8], limits: &Limits) -> Result<Vec<Self>, (usize, usize, DecodeError)> {
        let mut out = Vec::new();
        let mut offset = 0usize;
        while let Some(rest) = bytes.get(offset..).filter(|r| !r.is_empty()) {
            let (e, used) = Self::parse_prefix(rest, limits).map_err(|err| (out.len(), offset, err))?;
            offset = offset.saturating_add(used);
            out.push(e);
        }
        Ok(out)
    }

    /// The canonical key.
    pub fn key(&self) -> Key {
        Key::from_bytes(self.bytes.first_chunk::<28>().copied().unwrap_or([0; 28]))
    }
    /// The seq.
    pub fn seq(&self) -> u64 {
        self.bytes.get(28..36).and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes)
    }
    fn deps_end(&self) -> usize {
        let nd = be32(self.bytes, 36).map_or(0, |n| usize::try_from(n).unwrap_or(0));
        nd.saturating_mul(EventId::LEN).saturating_add(40)
    }
    /// The dependency ids (sorted, unique).
    pub fn deps(&self) -> impl Iterator<Item = EventId> + 'a {
        let bytes: &'a [u8] = self.bytes;
        bytes.get(40..self.deps_end()).unwrap_or_default().chunks_exact(EventId::LEN).filter_map(|c| EventId::try_from(c).ok())
    }
    /// How many dependencies.
    pub fn deps_len(&self) -> usize {
        (self.deps_end() - 40) / EventId::LEN
    }
    /// The payload, borrowed.
    pub fn payload(&self) -> &'a [u8] {
        let bytes: &'a [u8] = self.bytes;
        bytes.get(self.deps_end().saturating_add(4)..).unwrap_or_default()
    }
    /// The canonical encoding, borrowed.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// The RFC 6962 leaf hash: SHA-256(0x00 || bytes), over the bytes in place.
    pub fn leaf_hash(&self) -> Hash {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(self.bytes);
        h.finalize().into()
    }
    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event { key: self.key(), seq: self.seq(), deps: self.deps().collect(), payload: self.payload().to_vec() }
    }
}

impl core::fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EventRef")
            .field("key", &self.key())
            .field("seq", &self.seq())
            .field("deps", &self.deps_len())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at.checked_add(4)?).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes)
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
