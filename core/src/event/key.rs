//! The canonical key: 28 bytes, big-endian, ordered as bytes.
//!
//! `lamport u64 | node u32 | stream u16 | event_id u112`, that is
//! `K = lamport << 160 | node << 128 | stream << 112 | event_id`.
use crate::hex;
use alloc::string::String;
use core::fmt;

/// A 112-bit event id (14 bytes). Written as 28 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventId([u8; 14]);

impl EventId {
    /// Length in bytes.
    pub const LEN: usize = 14;

    /// Wraps 14 bytes.
    pub const fn from_bytes(bytes: [u8; 14]) -> Self {
        Self(bytes)
    }

    /// The 14 bytes.
    pub const fn to_bytes(self) -> [u8; 14] {
        self.0
    }

    /// The bytes as a slice.
    pub const fn as_bytes(&self) -> &[u8; 14] {
        &self.0
    }

    /// The id an event gets when none is given: `node u32 | stream u16 | seq u64`,
    /// big-endian, which is exactly 112 bits. It is deterministic and invertible
    /// (see [`EventId::derived_parts`]).
    pub fn derived(node: u32, stream: u16, seq: u64) -> Self {
        let mut b = [0u8; 14];
        b[..4].copy_from_slice(&node.to_be_bytes());
        b[4..6].copy_from_slice(&stream.to_be_bytes());
        b[6..].copy_from_slice(&seq.to_be_bytes());
        Self(b)
    }

    /// Reads an id as the derived form: `(node, stream, seq)`.
    /// Every id has this reading; it names a real position only when the id was derived.
    pub fn derived_parts(&self) -> (u32, u16, u64) {
        let [n0, n1, n2, n3, s0, s1, q0, q1, q2, q3, q4, q5, q6, q7] = self.0;
        (
            u32::from_be_bytes([n0, n1, n2, n3]),
            u16::from_be_bytes([s0, s1]),
            u64::from_be_bytes([q0, q1, q2, q3, q4, q5, q6, q7]),
        )
    }

    /// 28 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// Parses 28 lowercase hex characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        hex::decode_array(s).map(Self)
    }
}

impl TryFrom<&[u8]> for EventId {
    type Error = core::array::TryFromSliceError;
    fn try_from(b: &[u8]) -> Result<Self, Self::Error> {
        <[u8; 14]>::try_from(b).map(Self)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", self.to_hex())
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The 224-bit canonical key (28 bytes). Keys order events as bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Key([u8; 28]);

impl Key {
    /// Length in bytes.
    pub const LEN: usize = 28;

    /// Packs the four fields big-endian.
    pub fn new(lamport: u64, node: u32, stream: u16, id: EventId) -> Self {
        let mut b = [0u8; 28];
        b[..8].copy_from_slice(&lamport.to_be_bytes());
        b[8..12].copy_from_slice(&node.to_be_bytes());
        b[12..14].copy_from_slice(&stream.to_be_bytes());
        b[14..].copy_from_slice(id.as_bytes());
        Self(b)
    }

    /// Wraps 28 bytes.
    pub const fn from_bytes(bytes: [u8; 28]) -> Self {
        Self(bytes)
    }

    /// The 28 bytes.
    pub const fn to_bytes(self) -> [u8; 28] {
        self.0
    }

    /// The bytes as a slice.
    pub const fn as_bytes(&self) -> &[u8; 28] {
        &self.0
    }

    fn split(&self) -> ([u8; 8], [u8; 4], [u8; 2], [u8; 14]) {
        let [
            l0, l1, l2, l3, l4, l5, l6, l7, n0, n1, n2, n3, s0, s1, i0, i1, i2, i3, i4, i5, i6, i7,
            i8, i9, i10, i11, i12, i13,
        ] = self.0;
        (
            [l0, l1, l2, l3, l4, l5, l6, l7],
            [n0, n1, n2, n3],
            [s0, s1],
            [i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11, i12, i13],
        )
    }

    /// The Lamport time.
    pub fn lamport(&self) -> u64 {
        u64::from_be_bytes(self.split().0)
    }

    /// The node.
    pub fn node(&self) -> u32 {
        u32::from_be_bytes(self.split().1)
    }

    /// The stream.
    pub fn stream(&self) -> u16 {
        u16::from_be_bytes(self.split().2)
    }

    /// The event id.
    pub fn event_id(&self) -> EventId {
        EventId(self.split().3)
    }

    /// 56 lowercase hex characters.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// Parses 56 lowercase hex characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        hex::decode_array(s).map(Self)
    }
}

impl TryFrom<&[u8]> for Key {
    type Error = core::array::TryFromSliceError;
    fn try_from(b: &[u8]) -> Result<Self, Self::Error> {
        <[u8; 28]>::try_from(b).map(Self)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.to_hex())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_roundtrip_and_order() {
        let id = EventId::derived(7, 3, 42);
        assert_eq!(id.derived_parts(), (7, 3, 42));
        let k = Key::new(u64::MAX - 1, 0xdead_beef, 0xffff, id);
        assert_eq!(k.lamport(), u64::MAX - 1);
        assert_eq!(k.node(), 0xdead_beef);
        assert_eq!(k.stream(), 0xffff);
        assert_eq!(k.event_id(), id);
        assert_eq!(Key::from_hex(&k.to_hex()), Some(k));
        // lamport dominates the order
        assert!(Key::new(1, u32::MAX, u16::MAX, id) < Key::new(2, 0, 0, EventId::default()));
        assert_eq!(k.to_hex().len(), 56);
        assert_eq!(id.to_hex().len(), 28);
    }
}
