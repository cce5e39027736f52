//! Reconcile: events in any order become one canonical history, or an
//! obstruction that lists every violation with its evidence.
//!
//! The output is a function of the *set* of distinct events (and the prior
//! state): it is byte-identical for every permutation of the input and for
//! any number of byte-identical duplicates. `push` is O(1); all sorting
//! happens in `flush`.
//!
//! Invariants (codes from the original system):
//! - **1001 sequence** — within a (node, stream), seqs are contiguous from
//!   the prior head (or from 0 for a new stream) and increase with the key.
//!   Reasons: `gap`, `order`, `stale` (a seq below the prior head's; a
//!   different event at the head's own seq is a 1002 conflict), `before_frontier` (the key does not sort after the
//!   prior history, and the log is append-only).
//! - **1002 uniqueness** — two events with one event id (`id_conflict`) or
//!   one (node, stream, seq) (`seq_conflict`) but different bytes. Byte-identical
//!   duplicates, including a re-sent prior head, are dropped and counted.
//! - **2002 dependency missing** (`missing`) — a dep neither in the batch
//!   nor in the prior state.
//! - **2003 dependency order** — a dep whose Lamport time is not strictly
//!   below the dependent's (`not_before`), or, for a dep deep in the prior
//!   history, one whose order the prior state cannot prove (`unprovable`).

pub mod state;

pub use state::{Head, State, StateError};

use crate::event::Event;
use crate::hash::{Hash, sha256};
use crate::event::key::{EventId, Key};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Why an invariant failed, beyond its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// 1001: a seq is missing.
    Gap,
    /// 1001: seq does not increase with the key.
    Order,
    /// 1001: the seq is below the prior head's (at the head's seq, a different event is a 1002 conflict).
    Stale,
    /// 1001: the key does not sort after the prior frontier.
    BeforeFrontier,
    /// 1002: one event id, different bytes.
    IdConflict,
    /// 1002: one (node, stream, seq), different bytes.
    SeqConflict,
    /// 2002: the dependency is nowhere.
    Missing,
    /// 2003: the dependency's Lamport time is not below the dependent's.
    NotBefore,
    /// 2003: the dependency lies in the prior history, whose state cannot prove the order.
    Unprovable,
}

impl Reason {
    /// The stable name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Gap => "gap",
            Reason::Order => "order",
            Reason::Stale => "stale",
            Reason::BeforeFrontier => "before_frontier",
            Reason::IdConflict => "id_conflict",
            Reason::SeqConflict => "seq_conflict",
            Reason::Missing => "missing",
            Reason::NotBefore => "not_before",
            Reason::Unprovable => "unprovable",
        }
    }

    /// The invariant code this reason belongs to.
    pub fn code(&self) -> u16 {
        match self {
            Reason::Gap | Reason::Order | Reason::Stale | Reason::BeforeFrontier => crate::api::code::ORDER,
            Reason::IdConflict | Reason::SeqConflict => crate::api::code::CONFLICT,
            Reason::Missing => crate::api::code::MISSING_DEP,
            Reason::NotBefore | Reason::Unprovable => crate::api::code::DEP_NOT_BEFORE,
        }
    }

    fn tag(&self) -> u8 {
        match self {
            Reason::Gap => 1,
            Reason::Order => 2,
            Reason::Stale => 3,
            Reason::BeforeFrontier => 4,
            Reason::IdConflict => 5,
            Reason::SeqConflict => 6,
            Reason::Missing => 7,
            Reason::NotBefore => 8,
            Reason::Unprovable => 9,
        }
    }
}

/// One event named by a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// Its canonical key.
    pub key: Key,
    /// Its seq.
    pub seq: u64,
    /// RFC 6962 leaf hash of its canonical bytes (identifies the exact bytes).
    pub leaf_hash: Hash,
    /// SHA-256 of its payload; `None` for an event known only from the prior state.
    pub payload_sha256: Option<Hash>,
}

/// One violated invariant with the events that prove it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// 1001, 1002, 2002 or 2003.
    pub code: u16,
    /// The events involved, sorted by key.
    pub events: Vec<Evidence>,
    /// The reason within the code.
    pub reason: Reason,
    /// For 2002 and 2003: the dependency id.
    pub dep: Option<EventId>,
    /// For a gap: the seq that is missing.
    pub expected_seq: Option<u64>,
    /// For `before_frontier`: the prior frontier.
    pub frontier: Option<Key>,
}

impl Violation {
    fn new(reason: Reason, mut events: Vec<Evidence>) -> Self {
        events.sort_unstable();
        events.dedup();
        Violation { code: reason.code(), events, reason, dep: None, expected_seq: None, frontier: None }
    }
}

/// A clean extension: the new state and what it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The state after this batch.
    pub state: State,
    /// SHA-256 of the state's binary form.
    pub state_hash: Hash,
    /// Tree size before this batch.
    pub prior_tree_size: u64,
    /// Merkle root before this batch.
    pub prior_root: Hash,
    /// State hash before this batch.
    pub prior_state_hash: Hash,
    /// RFC 9162 consistency proof from the prior tree to the new one
    /// (empty when the prior tree was empty or nothing was appended).
    pub consistency: Vec<Hash>,
    /// Events appended by this batch.
    pub appended: u64,
    /// Byte-identical duplicates dropped.
    pub duplicates: u64,
}

/// A broken batch: every violation, sorted, and the prior state it was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obstruction {
    /// Every violation found, sorted and unique.
    pub violations: Vec<Violation>,
    /// Byte-identical duplicates dropped before checking.
    pub duplicates: u64,
    /// Tree size of the prior state.
    pub prior_tree_size: u64,
    /// Merkle root of the prior state (the history an obstruction leaves unchanged).
    pub prior_root: Hash,
    /// State hash of the prior state.
    pub prior_state_hash: Hash,
    /// SHA-256 of the obstruction's binary evidence form (see [`Obstruction::encode`]).
    pub evidence_hash: Hash,
}

impl Obstruction {
    /// Binary evidence form (version 1, big-endian):
    /// `"OMGO" | 1 | prior state hash 32 | count u32 |` then per violation
    /// `code u16 | reason u8 | n u32 | n × (key 28 | seq u64 | leaf 32 | flag u8 [| payload sha 32])
    /// | flag u8 [| dep 14] | flag u8 [| expected u64] | flag u8 [| frontier 28]`.
    pub fn encode(&self) -> Vec<u8> {
        encode_evidence(&self.prior_state_hash, &self.violations)
    }
}

fn encode_evidence(prior_state_hash: &Hash, violations: &[Violation]) -> Vec<u8> {
    fn opt(out: &mut Vec<u8>, v: Option<&[u8]>) {
        match v {
            Some(b) => {
                out.push(1);
                out.extend_from_slice(b);
            }
            None => out.push(0),
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"OMGO");
    out.push(1);
    out.extend_from_slice(prior_state_hash);
    out.extend_from_slice(&u32::try_from(violations.len()).unwrap_or(u32::MAX).to_be_bytes());
    for v in violations {
        out.extend_from_slice(&v.code.to_be_bytes());
        out.push(v.reason.tag());
        out.extend_from_slice(&u32::try_from(v.events.len()).unwrap_or(u32::MAX).to_be_bytes());
        for e in &v.events {
            out.extend_from_slice(e.key.as_bytes());
            out.extend_from_slice(&e.seq.to_be_bytes());
            out.extend_from_slice(&e.leaf_hash);
            opt(&mut out, e.payload_sha256.as_ref().map(|h| &h[..]));
        }
        opt(&mut out, v.dep.as_ref().map(|d| &d.as_bytes()[..]));
        opt(&mut out, v.expected_seq.map(u64::to_be_bytes).as_ref().map(|b| &b[..]));
        opt(&mut out, v.frontier.as_ref().map(|k| &k.as_bytes()[..]));
    }
    out
}

/// What a flush produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The batch extends the history.
    Ok(Summary),
    /// The batch violates an invariant; the history is unchanged.
    Obstruction(Obstruction),
}

/// The leaf hashes of a fresh history in canonical order (what the Merkle
/// tree is built over), or the obstruction if the events do not reconcile.
pub fn history_leaves(events: &[Event]) -> Result<Vec<Hash>, Obstruction> {
    if let Outcome::Obstruction(o) = reconcile(&State::new(), events) {
        return Err(o);
    }
    let mut items: Vec<(Key, Hash)> = events.iter().map(|e| (e.key(), e.leaf_hash())).collect();
    items.sort_unstable();
    items.dedup();
    Ok(items.into_iter().map(|(_, leaf)| leaf).collect())
}

/// Streaming reconciler: `push` events in any order (O(1) each), then `flush`.
///
/// A flush that succeeds advances the state, so the next batch extends it;
/// one that obstructs leaves the state as it was. Either way the pending
/// events are consumed.
#[derive(Debug, Clone, Default)]
pub struct Reconciler {
    state: State,
    pending: Vec<Event>,
}

impl Reconciler {
    /// A reconciler over the empty history.
    pub fn new() -> Self {
        Reconciler::default()
    }

    /// A reconciler that extends `prior`.
    pub fn with_prior(prior: State) -> Self {
        Reconciler { state: prior, pending: Vec::new() }
    }

    /// Queues one event. O(1) amortised; nothing is checked until `flush`.
    pub fn push(&mut self, event: Event) {
        self.pending.push(event);
    }

    /// Events queued since the last flush.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The state so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Sorts once, checks every invariant, and either extends the state or
    /// reports the obstruction.
    pub fn flush(&mut self) -> Outcome {
        let events = core::mem::take(&mut self.pending);
        let outcome = reconcile(&self.state, &events);
        if let Outcome::Ok(s) = &outcome {
            self.state = s.state.clone();
        }
        outcome
    }
}

#[derive(Clone, Copy)]
struct Item {
    key: Key,
    seq: u64,
    leaf: Hash,
    idx: usize,
}

/// Reconciles `events` (any order, duplicates allowed) against `prior`.
pub fn reconcile(prior: &State, events: &[Event]) -> Outcome {
    let mut items: Vec<Item> = events
        .iter()
        .enumerate()
        .map(|(idx, e)| Item { key: e.key(), seq: e.seq(), leaf: e.leaf_hash(), idx })
        .collect();
    // The one sort that fixes canonical order; ties broken by the bytes' hash
    // so byte-identical duplicates are adjacent whatever the input order.
    items.sort_unstable_by(|a, b| a.key.cmp(&b.key).then_with(|| a.leaf.cmp(&b.leaf)));

    // Duplicates, in place: byte-identical copies are adjacent (one key, one
    // leaf hash), so the first of each run stays; then copies of a prior head go.
    let before = items.len();
    items.dedup_by(|cur, prev| cur.key == prev.key && cur.leaf == prev.leaf);
    items.retain(|it| {
        !prior.head(it.key.node(), it.key.stream()).is_some_and(|h| h.seq == it.seq && h.leaf_hash == it.leaf)
    });
    let duplicates = u64::try_from(before - items.len()).unwrap_or(u64::MAX);
    let uniq = items;

    let evidence = |it: &Item| -> Evidence {
        let payload = events.get(it.idx).map(|e| sha256(e.payload()));
        Evidence { key: it.key, seq: it.seq, leaf_hash: it.leaf, payload_sha256: payload }
    };
    let head_evidence = |h: &Head| Evidence { key: h.key, seq: h.seq, leaf_hash: h.leaf_hash, payload_sha256: None };

    let mut violations: Vec<Violation> = Vec::new();

    // Prior heads by id, for uniqueness and dependency checks.
    let mut head_ids: Vec<(EventId, usize)> = prior.heads().iter().enumerate().map(|(i, h)| (h.id(), i)).collect();
    head_ids.sort_unstable();
    let head_by_id = |id: &EventId| -> Option<&Head> {
        head_ids
            .binary_search_by(|(hid, _)| hid.cmp(id))
            .ok()
            .and_then(|i| head_ids.get(i))
            .and_then(|(_, hi)| prior.heads().get(*hi))
    };

    // Per-stream positions, in key order; events at or below the prior head are
    // reported here and kept out of the sequence checks.
    let mut streams: BTreeMap<(u32, u16), Vec<usize>> = BTreeMap::new();
    for (pos, it) in uniq.iter().enumerate() {
        let (node, stream) = (it.key.node(), it.key.stream());
        if let Some(h) = prior.head(node, stream) {
            if it.seq <= h.seq {
                // One id as the head is reported once, as an id conflict, below.
                if it.seq < h.seq || it.key.event_id() != h.id() {
                    let reason = if it.seq == h.seq { Reason::SeqConflict } else { Reason::Stale };
                    violations.push(Violation::new(reason, alloc::vec![evidence(it), head_evidence(h)]));
                }
                continue;
            }
        }
        if let Some(f) = prior.frontier() {
            if it.key <= f {
                let mut v = Violation::new(Reason::BeforeFrontier, alloc::vec![evidence(it)]);
                v.frontier = Some(f);
                violations.push(v);
            }
        }
        streams.entry((node, stream)).or_default().push(pos);
    }

    for ((node, stream), positions) in &streams {
        let head = prior.head(*node, *stream);
        let base = head.map_or(Some(0), |h| h.seq.checked_add(1));
        let at = |p: &usize| uniq.get(*p);
        // seq must increase with the key
        let mut sorted = true;
        for w in positions.windows(2) {
            if let [a, b] = w {
                if let (Some(x), Some(y)) = (at(a), at(b)) {
                    if y.seq < x.seq {
                        sorted = false;
                        violations.push(Violation::new(Reason::Order, alloc::vec![evidence(x), evidence(y)]));
                    } else if y.seq == x.seq {
                        sorted = false;
                    }
                }
            }
        }
        let mut by_seq: Vec<&Item> = positions.iter().filter_map(at).collect();
        if !sorted {
            // a total order (leaf hash last), so no tie is left to the sort's implementation
            by_seq.sort_unstable_by(|x, y| x.seq.cmp(&y.seq).then_with(|| x.key.cmp(&y.key)).then_with(|| x.leaf.cmp(&y.leaf)));
        }
        // one (node, stream, seq), different bytes (and not already one id)
        for group in by_seq.chunk_by(|x, y| x.seq == y.seq) {
            let first_id = group.first().map(|x| x.key.event_id());
            if group.iter().any(|x| Some(x.key.event_id()) != first_id) {
                violations.push(Violation::new(Reason::SeqConflict, group.iter().map(|x| evidence(x)).collect()));
            }
        }
        // contiguity from the base
        let mut prev: Option<&Item> = None;
        for group in by_seq.chunk_by(|x, y| x.seq == y.seq) {
            let Some(first) = group.first() else { continue };
            let expected = match prev {
                Some(p) => p.seq.checked_add(1),
                None => base,
            };
            if let Some(exp) = expected {
                if first.seq > exp {
                    let mut ev = alloc::vec![evidence(first)];
                    match prev {
                        Some(p) => ev.push(evidence(p)),
                        None => ev.extend(head.map(head_evidence)),
                    }
                    let mut v = Violation::new(Reason::Gap, ev);
                    v.expected_seq = Some(exp);
                    violations.push(v);
                }
            }
            prev = Some(first);
        }
    }

    // One id, different bytes: in the batch, or against a prior head.
    let mut ids: Vec<(EventId, usize)> = uniq.iter().enumerate().map(|(p, it)| (it.key.event_id(), p)).collect();
    ids.sort_unstable();
    for group in ids.chunk_by(|a, b| a.0 == b.0) {
        let head = group.first().and_then(|(id, _)| head_by_id(id));
        // Evidence (with its payload hash) only for an actual conflict.
        if group.len() + usize::from(head.is_some()) > 1 {
            let mut ev: Vec<Evidence> = group.iter().filter_map(|(_, p)| uniq.get(*p)).map(|x| evidence(x)).collect();
            ev.extend(head.map(head_evidence));
            violations.push(Violation::new(Reason::IdConflict, ev));
        }
    }

    // Dependencies: every (dep, dependent) pair, sorted by dep, is matched
    // against the sorted ids in one merge pass (no binary search per dep);
    // violations are sorted at the end, so the visiting order does not matter.
    let mut wants: Vec<(EventId, usize)> = Vec::new();
    for (p, it) in uniq.iter().enumerate() {
        if let Some(e) = events.get(it.idx) {
            wants.extend(e.deps().iter().map(|d| (*d, p)));
        }
    }
    wants.sort_unstable();
    let mut start = 0usize;
    for (dep, p) in &wants {
        let (dep, Some(it)) = (dep, uniq.get(*p)) else { continue };
        let lamport = it.key.lamport();
        {
            while ids.get(start).is_some_and(|(id, _)| id < dep) {
                start += 1;
            }
            let mut found = ids.get(start..).unwrap_or(&[]).iter().take_while(|(id, _)| id == dep).filter_map(|(_, p)| uniq.get(*p)).peekable();
            let mut push = |reason: Reason, other: Option<Evidence>| {
                let mut ev = alloc::vec![evidence(it)];
                ev.extend(other);
                let mut v = Violation::new(reason, ev);
                v.dep = Some(*dep);
                violations.push(v);
            };
            if found.peek().is_some() {
                for d in found {
                    if d.key.lamport() >= lamport {
                        push(Reason::NotBefore, Some(evidence(d)));
                    }
                }
            } else if let Some(h) = head_by_id(dep) {
                if h.key.lamport() >= lamport {
                    push(Reason::NotBefore, Some(head_evidence(h)));
                }
            } else {
                // A dep deep in the prior history is known only through the derived
                // id form, and only for streams whose head uses that form.
                let (n, s, q) = dep.derived_parts();
                match prior.head(n, s) {
                    Some(h) if h.id() == EventId::derived(h.node, h.stream, h.seq) && q < h.seq => {
                        if h.key.lamport() >= lamport {
                            push(Reason::Unprovable, Some(head_evidence(h)));
                        }
                    }
                    _ => push(Reason::Missing, None),
                }
            }
        }
    }

    if !violations.is_empty() {
        violations.sort_unstable();
        violations.dedup();
        let prior_state_hash = prior.state_hash();
        let evidence_hash = sha256(&encode_evidence(&prior_state_hash, &violations));
        return Outcome::Obstruction(Obstruction {
            violations,
            duplicates,
            prior_tree_size: prior.tree_size(),
            prior_root: prior.root(),
            prior_state_hash,
            evidence_hash,
        });
    }

    // Extend: leaves in canonical order, new heads, new frontier.
    let appended_leaves: Vec<Hash> = uniq.iter().map(|it| it.leaf).collect();
    let consistency = if prior.tree_size() == 0 {
        Vec::new()
    } else {
        crate::tree::merkle::consistency_from_range(prior.range(), &appended_leaves).unwrap_or_default()
    };
    let mut range = prior.range().clone();
    for leaf in appended_leaves {
        range.push(leaf);
    }
    let mut heads: BTreeMap<(u32, u16), Head> = prior.heads().iter().map(|h| ((h.node, h.stream), *h)).collect();
    for it in &uniq {
        let (node, stream) = (it.key.node(), it.key.stream());
        heads.insert((node, stream), Head { node, stream, seq: it.seq, key: it.key, leaf_hash: it.leaf });
    }
    let frontier = uniq.last().map(|l| l.key).or(prior.frontier());
    let state = State { range, frontier, heads: heads.into_values().collect() };
    let state_hash = state.state_hash();
    Outcome::Ok(Summary {
        state,
        state_hash,
        prior_tree_size: prior.tree_size(),
        prior_root: prior.root(),
        prior_state_hash: prior.state_hash(),
        consistency,
        appended: u64::try_from(uniq.len()).unwrap_or(u64::MAX),
        duplicates,
    })
}
