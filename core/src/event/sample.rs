//! Deterministic sample histories: the demo's embedded sample, the
//! benchmarks' inputs and the golden vectors' generated cases.
//!
//! Nothing here is random at run time: a seed drives SplitMix64.
use crate::event::Event;
use crate::event::key::EventId;
use crate::reconcile::State;
use alloc::collections::BTreeMap;
use alloc::string::String;
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

/// Why a sample shape was refused (code 4101): it would write events the
/// readers refuse, or more than the sample caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl crate::error::ErrorCode for ShapeError {
    fn code(&self) -> u16 {
        4101
    }
}

impl core::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sample shape: {}", self.0)
    }
}

impl Shape {
    /// Most events one sample may hold.
    pub const MAX_EVENTS: u64 = 1_000_000_000;
    /// Most bytes of canonical binary events one sample may hold (64 GiB;
    /// `.omega` frames add 8 bytes an event, JSON about a third more).
    pub const MAX_BYTES: u64 = 64 << 30;
    /// Most memory a shuffled sample may take (4 GiB): shuffling holds every
    /// event in memory, about `payload + 128` bytes each (see [`Shape::memory`]).
    pub const MAX_SHUFFLE_MEMORY: u64 = 4 << 30;

    /// The longest canonical encoding of one of its events: the fixed part,
    /// at most one dependency (14 bytes) and the payload.
    pub fn max_event_len(&self) -> u64 {
        (Event::FIXED_LEN as u64 + 14).saturating_add(self.payload as u64)
    }

    /// The memory the whole history takes when held at once (to shuffle it).
    pub fn memory(&self) -> u64 {
        self.len().saturating_mul((self.payload as u64).saturating_add(128))
    }

    /// Whether every event of the shape is one the readers take and the whole
    /// within the caps: payload at most `limits.max_payload`, an event within
    /// `max_frame` (the frame limit of the log it goes to), at most
    /// [`Shape::MAX_EVENTS`] events and [`Shape::MAX_BYTES`] bytes, and, when
    /// `shuffled`, at most [`Shape::MAX_SHUFFLE_MEMORY`] of memory.
    pub fn check(&self, limits: &crate::event::Limits, max_frame: u32, shuffled: bool) -> Result<(), ShapeError> {
        let bad = |m: String| Err(ShapeError(m));
        if self.payload as u64 > u64::from(limits.max_payload) {
            return bad(alloc::format!(
                "a payload of {} bytes is above the event payload limit of {} bytes that omega's readers enforce",
                self.payload, limits.max_payload
            ));
        }
        if self.max_event_len() > u64::from(max_frame) {
            return bad(alloc::format!("an event of up to {} bytes does not fit the log's frame limit of {} bytes", self.max_event_len(), max_frame));
        }
        let n = u128::from(self.nodes) * u128::from(self.streams) * u128::from(self.per_stream);
        if n > u128::from(Self::MAX_EVENTS) {
            return bad(alloc::format!(
                "{} nodes × {} streams × {} events per stream is {n} events; the limit is {}",
                self.nodes,
                self.streams,
                self.per_stream,
                Self::MAX_EVENTS
            ));
        }
        let bytes = n * u128::from(self.max_event_len());
        if bytes > u128::from(Self::MAX_BYTES) {
            return bad(alloc::format!("{n} events of up to {} bytes each is up to {bytes} bytes; the limit is {}", self.max_event_len(), Self::MAX_BYTES));
        }
        if shuffled && self.memory() > Self::MAX_SHUFFLE_MEMORY {
            return bad(alloc::format!(
                "shuffling {n} events holds them all in memory, about {} bytes; the limit is {} (write it unshuffled, which streams)",
                self.memory(),
                Self::MAX_SHUFFLE_MEMORY
            ));
        }
        Ok(())
    }
}

/// A valid history of `shape`, in canonical-friendly generation order (call
/// [`shuffle`] for arrival order). Round `r` of every stream has Lamport time
/// in `4(r+1) ..= 4(r+1)+2`; about half the events depend on an event of
/// another stream from the round before, so every invariant holds.
/// It is all in memory: check the shape first ([`Shape::check`]) or stream
/// it with [`History`].
pub fn history(seed: u64, shape: Shape) -> Vec<Event> {
    collect(History::new(seed, shape), shape)
}

/// [`history`] as the next batch of the history `prior` summarises (see
/// [`History::after`]); after the empty state it is [`history`] itself.
pub fn history_after(seed: u64, shape: Shape, prior: &State) -> Vec<Event> {
    collect(History::after(seed, shape, prior), shape)
}

fn collect(h: History, shape: Shape) -> Vec<Event> {
    let cap = usize::try_from(shape.len()).unwrap_or(0);
    let mut out = Vec::with_capacity(cap);
    out.extend(h);
    out
}

/// The events of [`history`], one at a time (so a large sample is written
/// with little memory).
#[derive(Debug, Clone)]
pub struct History {
    rng: SplitMix64,
    shape: Shape,
    round: u64,
    node: u32,
    stream: u16,
    /// Lamport time added to every event: the prior frontier's (0 for a fresh history).
    base: u64,
    /// First seq of each (node, stream) that the prior history has: its head's seq + 1.
    first_seq: BTreeMap<(u32, u16), u64>,
}

impl History {
    /// The history of `shape` from `seed`.
    pub fn new(seed: u64, shape: Shape) -> Self {
        History { rng: SplitMix64::new(seed), shape, round: 0, node: 1, stream: 0, base: 0, first_seq: BTreeMap::new() }
    }

    /// The history of `shape` from `seed`, made to extend the history that
    /// `prior` summarises, so that `reconcile(prior, batch)` is `ok`: each
    /// (node, stream) continues from its prior head's seq + 1 (from 0 when
    /// the prior has no such stream), and every Lamport time is raised by the
    /// prior frontier's, so every key lies after the frontier. Dependencies
    /// stay inside the batch. After the empty state this is [`History::new`].
    ///
    /// Lamport times saturate at `u64::MAX`: check [`History::last_lamport`]
    /// before trusting a batch after a frontier that high.
    pub fn after(seed: u64, shape: Shape, prior: &State) -> Self {
        let base = prior.frontier().map_or(0, |k| k.lamport());
        let first_seq = prior.heads().iter().map(|h| ((h.node, h.stream), h.seq.saturating_add(1))).collect();
        History { base, first_seq, ..History::new(seed, shape) }
    }

    /// The greatest Lamport time the history would use, or `None` when it
    /// does not fit in a u64 (then the batch cannot extend the prior).
    pub fn last_lamport(&self) -> Option<u64> {
        let rounds = self.shape.per_stream;
        rounds.checked_mul(4).and_then(|l| l.checked_add(2))?.checked_add(self.base)
    }

    fn seq(&self, node: u32, stream: u16, round: u64) -> u64 {
        self.first_seq.get(&(node, stream)).copied().unwrap_or(0).saturating_add(round)
    }
}

impl Iterator for History {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let shape = self.shape;
        if shape.nodes == 0 || shape.streams == 0 || self.round >= shape.per_stream {
            return None;
        }
        let (r, node, stream) = (self.round, self.node, self.stream);
        // advance: stream, then node, then round
        self.stream += 1;
        if self.stream == shape.streams {
            self.stream = 0;
            if self.node == shape.nodes {
                self.node = 1;
                self.round += 1;
            } else {
                self.node += 1;
            }
        }
        let rng = &mut self.rng;
        let streams_total = u64::from(shape.nodes) * u64::from(shape.streams);
        let lamport = (r + 1).saturating_mul(4).saturating_add(u64::from(node % 3)).saturating_add(self.base);
        let mut deps = Vec::new();
        if r > 0 && streams_total > 1 && rng.below(2) == 0 {
            let pick = rng.below(streams_total);
            let dn = u32::try_from(pick / u64::from(shape.streams)).unwrap_or(0) + 1;
            let ds = u16::try_from(pick % u64::from(shape.streams)).unwrap_or(0);
            if (dn, ds) != (node, stream) {
                deps.push((dn, ds));
            }
        }
        let mut payload = Vec::with_capacity(shape.payload);
        while payload.len() < shape.payload {
            let word = rng.next_u64().to_le_bytes();
            let n = (shape.payload - payload.len()).min(8);
            payload.extend_from_slice(word.get(..n).unwrap_or(&[]));
        }
        let deps = deps.into_iter().map(|(dn, ds)| EventId::derived(dn, ds, self.seq(dn, ds, r - 1))).collect();
        let seq = self.seq(node, stream, r);
        Some(Event::new(lamport, node, stream, EventId::derived(node, stream, seq), seq, deps, payload))
    }
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

    #[test]
    fn history_streams_what_it_collects() {
        for shape in [Shape::DEMO, Shape { nodes: 0, streams: 3, per_stream: 5, payload: 1 }, Shape { nodes: 2, streams: 1, per_stream: 9, payload: 0 }] {
            let all = history(3, shape);
            assert_eq!(all.len() as u64, shape.len());
            assert!(History::new(3, shape).eq(all));
        }
    }

    #[test]
    fn a_batch_after_a_prior_extends_it() {
        let first = Shape { nodes: 3, streams: 2, per_stream: 5, payload: 4 };
        let Outcome::Ok(r1) = reconcile(&State::new(), &history(1, first)) else { panic!("first batch") };
        assert!(History::after(9, first, &State::new()).eq(History::new(9, first)));
        // more nodes than the prior had: old streams continue, new ones start at 0
        let next = Shape { nodes: 4, streams: 2, per_stream: 3, payload: 4 };
        let mut batch = history_after(2, next, &r1.state);
        assert_eq!(batch.len() as u64, next.len());
        assert!(batch.iter().any(|e| !e.deps().is_empty()), "the batch has deps");
        let frontier = r1.state.frontier().map(|k| k.lamport());
        assert!(batch.iter().all(|e| Some(e.lamport()) > frontier));
        assert!(batch.iter().filter(|e| e.node() == 1 && e.stream() == 0).map(|e| e.seq()).eq(5..8));
        assert!(batch.iter().filter(|e| e.node() == 4 && e.stream() == 1).map(|e| e.seq()).eq(0..3));
        shuffle(&mut batch, 5);
        let Outcome::Ok(r2) = reconcile(&r1.state, &batch) else { panic!("second batch") };
        assert_eq!(r2.state.tree_size(), first.len() + next.len());
        // and a third, after the second
        let Outcome::Ok(r3) = reconcile(&r2.state, &history_after(3, next, &r2.state)) else { panic!("third batch") };
        assert_eq!(r3.state.tree_size(), first.len() + 2 * next.len());
        assert_eq!(History::after(1, next, &r3.state).last_lamport(), r3.state.frontier().map(|k| k.lamport() + 14));
    }

    #[test]
    fn shape_check_applies_the_readers_limits_and_the_caps() {
        use crate::ErrorCode as _;
        use alloc::string::ToString as _;
        let l = crate::Limits::default();
        let max = crate::event::frame::DEFAULT_MAX_FRAME;
        assert_eq!(Shape::DEMO.check(&l, max, true), Ok(()));
        assert_eq!(Shape::BENCH_1M.check(&l, max, true), Ok(()));
        let at = |payload: usize| Shape { payload, ..Shape::DEMO };
        assert_eq!(at(1 << 20).check(&l, max, false), Ok(()));
        let e = at((1 << 20) + 1).check(&l, max, false).err().map(|e| (e.code(), e.to_string()));
        assert_eq!(e, Some((4101, "sample shape: a payload of 1048577 bytes is above the event payload limit of 1048576 bytes that omega's readers enforce".into())));
        assert!(at(1 << 20).check(&l, 1 << 20, false).is_err(), "an event must fit the frame limit");
        let huge = Shape { nodes: u32::MAX, streams: u16::MAX, per_stream: u64::MAX, payload: usize::MAX };
        assert!(huge.check(&crate::Limits { max_payload: u32::MAX, max_deps: 1 }, u32::MAX, true).is_err());
        let many = Shape { per_stream: Shape::MAX_EVENTS, ..Shape::DEMO };
        assert!(many.check(&l, max, false).err().is_some_and(|e| e.0.contains("the limit is 1000000000")));
        let big = Shape { nodes: 1, streams: 1, per_stream: 100_000, payload: 1 << 20 };
        assert!(big.check(&l, max, false).err().is_some_and(|e| e.0.contains("the limit is 68719476736")));
        let shuffled = Shape { nodes: 4, streams: 3, per_stream: 10_000_000, payload: 200 };
        assert!(shuffled.check(&l, max, false).is_ok());
        assert!(shuffled.check(&l, max, true).err().is_some_and(|e| e.0.contains("shuffling")));
    }
}
