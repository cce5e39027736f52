//! The state a reconciled history leaves behind, which the next batch extends.
//!
//! It is O(streams + log n): the Merkle compact range (not the leaves), the
//! frontier (greatest key so far) and each (node, stream)'s head.
//!
//! Binary form (version 1, all integers big-endian); its SHA-256 is the *state hash*:
//! ```text
//! "OMGS"             4   magic
//! version            1   = 1
//! tree_size          8   u64
//! peak count         1   = popcount(tree_size)
//! peaks              32 each, leftmost (largest subtree) first
//! has frontier       1   0 or 1 (1 exactly when tree_size > 0)
//! frontier key       28  when present
//! head count         4   u32
//! heads              74 each, sorted by (node, stream), unique:
//!                    node u32 | stream u16 | seq u64 | key 28 | leaf hash 32
//! ```
use crate::cursor::Cursor;
use crate::error::ErrorCode;
use crate::hash::{Hash, sha256};
use crate::event::key::{EventId, Key};
use crate::tree::merkle::CompactRange;
use alloc::vec::Vec;
use core::fmt;

/// The last event of one (node, stream) sequence in the history so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Head {
    /// Node.
    pub node: u32,
    /// Stream.
    pub stream: u16,
    /// The head's seq.
    pub seq: u64,
    /// The head's key.
    pub key: Key,
    /// The head's RFC 6962 leaf hash.
    pub leaf_hash: Hash,
}

impl Head {
    /// The head event's id.
    pub fn id(&self) -> EventId {
        self.key.event_id()
    }
}

/// Reconciled state: Merkle compact range, frontier key, stream heads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    pub(crate) range: CompactRange,
    pub(crate) frontier: Option<Key>,
    pub(crate) heads: Vec<Head>,
}

/// Why bytes or fields do not make a valid [`State`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    /// The bytes end early or carry extra bytes; `offset` says where.
    Length {
        /// Byte offset.
        offset: usize,
    },
    /// The magic is not `OMGS`.
    Magic,
    /// A version this build does not read.
    Version(u8),
    /// The parts contradict each other (reason in words).
    Inconsistent(&'static str),
    /// A root was given and it is not the root of the compact range.
    RootMismatch,
    /// A state hash was given and it is not the hash of the state.
    StateHashMismatch,
}

impl ErrorCode for StateError {
    fn code(&self) -> u16 {
        3201
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Length { offset } => write!(f, "state bytes have the wrong length (at offset {offset})"),
            StateError::Magic => f.write_str("state bytes do not start with the magic \"OMGS\""),
            StateError::Version(v) => write!(f, "state version {v} is not supported (this build reads version 1)"),
            StateError::Inconsistent(why) => write!(f, "state is inconsistent: {why}"),
            StateError::RootMismatch => f.write_str("the root does not match the compact range"),
            StateError::StateHashMismatch => f.write_str("the state hash does not match the state"),
        }
    }
}

const MAGIC: &[u8; 4] = b"OMGS";
const VERSION: u8 = 1;

impl State {
    /// The empty history.
    pub fn new() -> Self {
        State::default()
    }

    /// Builds a state from parts, checking that they agree.
    pub fn from_parts(range: CompactRange, frontier: Option<Key>, mut heads: Vec<Head>) -> Result<Self, StateError> {
        let unsorted = heads.windows(2).any(|w| match w {
            [a, b] => (a.node, a.stream) >= (b.node, b.stream),
            _ => false,
        });
        if unsorted {
            heads.sort_unstable();
            let dup = heads.windows(2).any(|w| match w {
                [a, b] => (a.node, a.stream) == (b.node, b.stream),
                _ => false,
            });
            if dup {
                return Err(StateError::Inconsistent("two heads for one (node, stream)"));
            }
        }
        if frontier.is_some() != (range.size() > 0) {
            return Err(StateError::Inconsistent("a frontier is present exactly when the tree is not empty"));
        }
        if u64::try_from(heads.len()).unwrap_or(u64::MAX) > range.size() {
            return Err(StateError::Inconsistent("more heads than events"));
        }
        if range.size() > 0 && heads.is_empty() {
            return Err(StateError::Inconsistent("a non-empty tree needs at least one head"));
        }
        for h in &heads {
            if h.key.node() != h.node || h.key.stream() != h.stream {
                return Err(StateError::Inconsistent("a head's key names another (node, stream)"));
            }
            if frontier.is_some_and(|f| h.key > f) {
                return Err(StateError::Inconsistent("a head's key is past the frontier"));
            }
        }
        if let Some(f) = frontier {
            if !heads.iter().any(|h| h.key == f) {
                return Err(StateError::Inconsistent("the frontier is not the key of any head"));
            }
        }
        Ok(State { range, frontier, heads })
    }

    /// Number of events in the history (the Merkle tree size).
    pub fn tree_size(&self) -> u64 {
        self.range.size()
    }
    /// RFC 6962 root over the history's leaf hashes in canonical order.
    pub fn root(&self) -> Hash {
        self.range.root()
    }
    /// The compact range.
    pub fn range(&self) -> &CompactRange {
        &self.range
    }
    /// The greatest key in the history, if any.
    pub fn frontier(&self) -> Option<Key> {
        self.frontier
    }
    /// Stream heads sorted by (node, stream).
    pub fn heads(&self) -> &[Head] {
        &self.heads
    }
    /// The head of one (node, stream), if the history has it.
    pub fn head(&self, node: u32, stream: u16) -> Option<&Head> {
        self.heads
            .binary_search_by(|h| (h.node, h.stream).cmp(&(node, stream)))
            .ok()
            .and_then(|i| self.heads.get(i))
    }

    /// The binary form (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 1 + 8 + 1 + 32 * self.range.peaks().len() + 29 + 4 + 74 * self.heads.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.range.size().to_be_bytes());
        out.push(u8::try_from(self.range.peaks().len()).unwrap_or(u8::MAX));
        for p in self.range.peaks() {
            out.extend_from_slice(p);
        }
        match self.frontier {
            Some(f) => {
                out.push(1);
                out.extend_from_slice(f.as_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&u32::try_from(self.heads.len()).unwrap_or(u32::MAX).to_be_bytes());
        for h in &self.heads {
            out.extend_from_slice(&h.node.to_be_bytes());
            out.extend_from_slice(&h.stream.to_be_bytes());
            out.extend_from_slice(&h.seq.to_be_bytes());
            out.extend_from_slice(h.key.as_bytes());
            out.extend_from_slice(&h.leaf_hash);
        }
        out
    }

    /// SHA-256 of the binary form.
    pub fn state_hash(&self) -> Hash {
        sha256(&self.encode())
    }

    /// Parses the binary form strictly (no trailing bytes, parts consistent).
    pub fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        let mut c = Cursor::new(bytes);
        macro_rules! get {
            ($n:literal) => {
                c.array::<$n>().ok_or(StateError::Length { offset: c.pos() })?
            };
        }
        if &get!(4) != MAGIC {
            return Err(StateError::Magic);
        }
        let [v] = get!(1);
        if v != VERSION {
            return Err(StateError::Version(v));
        }
        let size = u64::from_be_bytes(get!(8));
        let [npeaks] = get!(1);
        let mut peaks = Vec::with_capacity(usize::from(npeaks));
        for _ in 0..npeaks {
            peaks.push(get!(32));
        }
        let range = CompactRange::from_parts(size, peaks)
            .ok_or(StateError::Inconsistent("peak count is not popcount(tree_size)"))?;
        let frontier = match get!(1) {
            [0] => None,
            [1] => Some(Key::from_bytes(get!(28))),
            _ => return Err(StateError::Inconsistent("frontier flag is neither 0 nor 1")),
        };
        let nheads = usize::try_from(u32::from_be_bytes(get!(4))).unwrap_or(usize::MAX);
        if c.remaining() != nheads.saturating_mul(74) {
            return Err(StateError::Length { offset: c.pos() });
        }
        let mut heads = Vec::with_capacity(nheads);
        for _ in 0..nheads {
            let node = u32::from_be_bytes(get!(4));
            let stream = u16::from_be_bytes(get!(2));
            let seq = u64::from_be_bytes(get!(8));
            let key = Key::from_bytes(get!(28));
            let leaf_hash = get!(32);
            heads.push(Head { node, stream, seq, key, leaf_hash });
        }
        let sorted = heads.windows(2).all(|w| match w {
            [a, b] => (a.node, a.stream) < (b.node, b.stream),
            _ => true,
        });
        if !sorted {
            return Err(StateError::Inconsistent("heads are not sorted by (node, stream) and unique"));
        }
        State::from_parts(range, frontier, heads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::merkle::leaf_hash;
    use alloc::vec;

    fn sample() -> State {
        let mut r = CompactRange::new();
        r.push(leaf_hash(b"a"));
        r.push(leaf_hash(b"b"));
        r.push(leaf_hash(b"c"));
        let k1 = Key::new(1, 1, 0, EventId::derived(1, 0, 0));
        let k2 = Key::new(2, 2, 0, EventId::derived(2, 0, 1));
        let heads = vec![
            Head { node: 1, stream: 0, seq: 0, key: k1, leaf_hash: [1; 32] },
            Head { node: 2, stream: 0, seq: 1, key: k2, leaf_hash: [2; 32] },
        ];
        State::from_parts(r, Some(k2), heads).unwrap()
    }

    #[test]
    fn from_parts_sorts_heads_and_refuses_two_for_one_stream() {
        let s = sample();
        let mut reversed = s.heads.clone();
        reversed.reverse();
        assert_eq!(State::from_parts(s.range.clone(), s.frontier, reversed).unwrap(), s);
        let mut twice = s.heads.clone();
        twice.push(twice[0]);
        twice.reverse();
        assert!(matches!(
            State::from_parts(s.range.clone(), s.frontier, twice),
            Err(StateError::Inconsistent("two heads for one (node, stream)"))
        ));
    }

    /// Each rule tying the parts together, on its own: a frontier exactly
    /// when the tree is not empty, no more heads than events, and at least
    /// one head for a non-empty tree.
    #[test]
    fn from_parts_refuses_parts_that_do_not_agree() {
        let s = sample();
        let refused = |range: &CompactRange, frontier: Option<Key>, heads: Vec<Head>, why: &str| match State::from_parts(range.clone(), frontier, heads) {
            Err(StateError::Inconsistent(w)) => assert_eq!(w, why),
            other => panic!("expected {why:?}, got {other:?}"),
        };
        refused(&s.range, None, s.heads.clone(), "a frontier is present exactly when the tree is not empty");
        refused(&CompactRange::new(), s.frontier, Vec::new(), "a frontier is present exactly when the tree is not empty");
        refused(&s.range, s.frontier, Vec::new(), "a non-empty tree needs at least one head");
        let mut one = CompactRange::new();
        one.push(leaf_hash(b"a"));
        refused(&one, s.frontier, s.heads.clone(), "more heads than events");
        // as many heads as events, and the empty state, are fine
        assert!(State::from_parts(one, Some(s.heads[0].key), s.heads[..1].to_vec()).is_ok());
        assert_eq!(State::from_parts(CompactRange::new(), None, Vec::new()).unwrap(), State::new());
    }

    #[test]
    fn from_parts_refuses_a_head_whose_key_names_another_stream_or_node() {
        let s = sample();
        for (node, stream) in [(1, 1), (3, 0)] {
            let mut heads = s.heads.clone();
            // the first head's key names (node, stream) instead of (1, 0)
            heads[0].key = Key::new(1, node, stream, EventId::derived(node, stream, 0));
            assert!(
                matches!(State::from_parts(s.range.clone(), s.frontier, heads), Err(StateError::Inconsistent("a head's key names another (node, stream)"))),
                "key of ({node}, {stream})"
            );
        }
    }

    #[test]
    fn decode_refuses_a_head_given_twice_as_unsorted() {
        let s = sample();
        let mut b = s.encode();
        // head count 2 -> 3, the last head repeated
        let count = b.len() - 2 * 74 - 4;
        b[count + 3] = 3;
        let last = b[b.len() - 74..].to_vec();
        b.extend_from_slice(&last);
        assert_eq!(State::decode(&b), Err(StateError::Inconsistent("heads are not sorted by (node, stream) and unique")));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            (StateError::Length { offset: 7 }, "wrong length (at offset 7)"),
            (StateError::Magic, "magic \"OMGS\""),
            (StateError::Version(2), "version 2 is not supported"),
            (StateError::Inconsistent("why"), "inconsistent: why"),
            (StateError::RootMismatch, "root does not match"),
            (StateError::StateHashMismatch, "state hash does not match"),
        ];
        for (e, text) in cases {
            assert!(alloc::format!("{e}").contains(text), "{e}");
            assert_eq!(e.code(), 3201, "{e}: every state error is BAD_STATE");
        }
    }

    #[test]
    fn roundtrip() {
        let s = sample();
        let b = s.encode();
        assert_eq!(State::decode(&b).unwrap(), s);
        assert_eq!(State::decode(&State::new().encode()).unwrap(), State::new());
    }

    #[test]
    fn rejects_every_truncation_and_extension() {
        let b = sample().encode();
        for n in 0..b.len() {
            assert!(State::decode(&b[..n]).is_err(), "prefix {n}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert!(State::decode(&longer).is_err());
    }

    #[test]
    fn every_flipped_bit_is_refused_or_decodes_to_another_state_with_those_bytes() {
        let s = sample();
        let b = s.encode();
        // 3 leaves: 2 peaks (14..78), frontier flag at 78, key 79..107, head count 107..111
        assert_eq!(b.len(), 111 + 2 * 74);
        let structural = |i: usize| i < 14 || i == 78 || (107..111).contains(&i);
        let (mut refused, mut other) = (0, 0);
        for i in 0..b.len() {
            for bit in 0..8 {
                let mut m = b.clone();
                m[i] ^= 1 << bit;
                match State::decode(&m) {
                    Err(_) => refused += 1,
                    Ok(d) => {
                        // no structural byte may change silently (magic, version, size, counts, flag)
                        assert!(!structural(i), "byte {i} bit {bit}: a structural flip was accepted");
                        // a hash or key changed: another state, whose encoding is exactly these bytes
                        assert_ne!(d, s, "byte {i} bit {bit}");
                        assert_eq!(d.encode(), m, "byte {i} bit {bit}: decode is not canonical");
                        other += 1;
                    }
                }
            }
        }
        assert!(refused >= 8 * (14 + 1 + 4), "{refused} refused");
        assert!(other > 0);
    }
}
