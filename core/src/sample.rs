//! Deterministic sample histories: the demo's embedded sample, the
//! benchmarks' inputs and the golden vectors' generated cases.
//!
//! Nothing here is random at run time: a seed drives SplitMix64.
use crate::event::Event;
use crate::key::EventId;
use alloc::vec::Vec;

/// SplitMix64, a tiny seeded generator (not for cryptography).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The internal state (a generator rebuilt with `new(state)` continues the sequence).
    pub fn state(&self) -> u64 {
        self.0
    }

    /// A number in `0..n` (`n > 0`; returns 0 for `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// The shape of a sample history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Nodes (numbered from 1).
    pub nodes: u32,
    /// Streams per node (numbered from 0).
    pub streams: u16,
    /// Events per (node, stream).
    pub per_stream: u64,
    /// Payload bytes per event.
    pub payload: usize,
}

impl Shape {
    /// The demo's embedded sample: 4 nodes × 3 streams × 250 events, 32-byte payloads (3,000 events).
    pub const DEMO: Shape = Shape { nodes: 4, streams: 3, per_stream: 250, payload: 32 };
    /// The benchmark: 16 nodes × 4 streams × 15,625 events, 100-byte payloads (1,000,000 events).
    pub const BENCH_1M: Shape = Shape { nodes: 16, streams: 4, per_stream: 15_625, payload: 100 };

    /// Total number of events.
    pub fn len(&self) -> u64 {
        u64::from(self.nodes) * u64::from(self.streams) * self.per_stream
    }

    /// Whether the shape has no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A valid history of `shape`, in canonical-friendly generation order (call
/// [`shuffle`] for arrival order). Round `r` of every stream has Lamport time
/// in `4(r+1) ..= 4(r+1)+2`; about half the events depend on an event of
/// another stream from the round before, so every invariant holds.
pub fn history(seed: u64, shape: Shape) -> Vec<Event> {
    let mut rng = SplitMix64::new(seed);
    let cap = usize::try_from(shape.len()).unwrap_or(0);
    let mut out = Vec::with_capacity(cap);
    let streams_total = u64::from(shape.nodes) * u64::from(shape.streams);
    for r in 0..shape.per_stream {
        for node in 1..=shape.nodes {
            for stream in 0..shape.streams {
                let lamport = (r + 1).saturating_mul(4).saturating_add(u64::from(node % 3));
                let mut deps = Vec::new();
                if r > 0 && streams_total > 1 && rng.below(2) == 0 {
                    let pick = rng.below(streams_total);
                    let dn = u32::try_from(pick / u64::from(shape.streams)).unwrap_or(0) + 1;
                    let ds = u16::try_from(pick % u64::from(shape.streams)).unwrap_or(0);
                    if (dn, ds) != (node, stream) {
                        deps.push(EventId::derived(dn, ds, r - 1));
                    }
                }
                let mut payload = Vec::with_capacity(shape.payload);
                while payload.len() < shape.payload {
                    let word = rng.next_u64().to_le_bytes();
                    let n = (shape.payload - payload.len()).min(8);
                    payload.extend_from_slice(word.get(..n).unwrap_or(&[]));
                }
                out.push(Event::new(lamport, node, stream, EventId::derived(node, stream, r), r, deps, payload));
            }
        }
    }
    out
}

/// Fisher–Yates shuffle driven by `seed`: a deterministic arrival order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = SplitMix64::new(seed ^ 0x5eed_5eed_5eed_5eed);
    let n = items.len();
    for i in (1..n).rev() {
        let j = usize::try_from(rng.below(u64::try_from(i + 1).unwrap_or(u64::MAX))).unwrap_or(0);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Outcome, State, reconcile};

    #[test]
    fn demo_sample_is_valid_and_order_free() {
        let h = history(7, Shape::DEMO);
        assert_eq!(h.len(), 3000);
        let a = reconcile(&State::new(), &h);
        let mut s = h.clone();
        shuffle(&mut s, 99);
        let b = reconcile(&State::new(), &s);
        assert!(matches!(a, Outcome::Ok(_)), "{a:?}");
        assert_eq!(a, b);
    }
}
