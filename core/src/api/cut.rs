//! The batch cut (op 23): which of the events a node holds at a seal form the
//! next batch, which wait for the next seal, and which are given up. Every
//! node of a cluster calls this at each seal, on its own engine, so the rule
//! lives here, as a pure function of (prior state, carry, fresh events,
//! horizon), and gives the same bytes everywhere.
//!
//! Normative rule (docs/FORMATS.md, "Batch cut (op 23)"). A *candidate* is an
//! event with an age (the number of seals it has waited): fresh events have
//! age 0, carried ones the age the carry gives them.
//!
//! 1. Candidates = carry ∪ fresh. Byte-identical events are one candidate
//!    (the larger age is kept); an exact copy of a prior head (same node,
//!    stream, seq and leaf hash) is dropped. Both count as `duplicates`.
//! 2. *Rejected* at once (never carried): a candidate that shares its event
//!    id or its (node, stream, seq) with another candidate of different
//!    bytes (equivocation), that shares its id with a prior head, whose seq
//!    is at or below its stream's prior head seq, or whose key is at or
//!    below the prior frontier.
//! 3. *Ready*: the least set such that a candidate that is not rejected is
//!    ready when (a) its stream predecessor is satisfied (no prior head for
//!    its (node, stream) and seq 0; or seq = head seq + 1; or a ready
//!    candidate has (node, stream, seq − 1)), and (b) each dependency is
//!    satisfied (the id of a ready candidate, a prior head's id, or an id in
//!    derived form naming a position below a derived-form head of that
//!    stream, the rule reconcile uses for dependencies deep in the prior).
//! 4. *Expired*: not ready, not rejected, age ≥ horizon.
//! 5. If rejected ∪ expired is not empty, the batch is exactly those events;
//!    it obstructs (status obstruction), its events are dropped, and every
//!    other candidate is carried with age + 1.
//! 6. Otherwise W is the Lamport time of the smallest key of a candidate
//!    that is not ready (a *waiting* one) or whose age is below `delay` (a
//!    *young* one), and T the greatest Lamport time of a candidate whose age
//!    is at least `delay`. The batch is the ready candidates whose Lamport
//!    time is below W (any, when none waits and none is young) and below T
//!    (any, when every candidate's age is at least `horizon`: a quiet
//!    stream); the other ready candidates are *held*. An empty batch is status empty (no result, state unchanged);
//!    else reconcile(prior, batch) decides ok or obstruction (an obstructed
//!    batch is dropped). Every candidate not in the batch is carried with age + 1.
//!
//! Why the watermark W: were a ready event with a larger key appended while
//! a smaller-keyed one waits for its predecessor, the waiting one could
//! never be appended later (its key would be at or below the frontier).
//! With it, an event that arrives before its predecessor or dependencies is
//! never obstructed for it, as long as it waits fewer than `horizon` seals.
//! (An event that arrives only after a seal has appended a larger key is
//! `before_frontier`: the cut cannot wait for what it has not seen.) Why T:
//! a Lamport time is cut only when a candidate of a later time is at least
//! `delay` seals old; so if no event arrives more than `delay` seals after an
//! event with a greater key, nothing of a cut Lamport time (or earlier) can
//! arrive after the cut: no event is rejected as late (`before_frontier`),
//! and every prior head is strictly earlier than what comes next, so a
//! dependency deep in the prior stays provable (2003 `unprovable` cannot come
//! from where a seal fell). The newest Lamport time has no later one to close
//! it: it is cut once nothing younger than `horizon` seals is left.
//!
//! The carry travels between cuts as OMGP bytes (version 1, big-endian):
//! `"OMGP" | 1 | count u32 | count × (age u32 | length u32 | canonical event)`,
//! entries sorted by (key, leaf hash) and unique; decoding is strict (3310).
use crate::api::code;
use crate::error::ErrorCode;
use crate::event::key::{EventId, Key};
use crate::event::{Event, Limits};
use crate::hash::Hash;
use crate::reconcile::{Outcome, State, reconcile};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The carry's magic.
pub const MAGIC: &[u8; 4] = b"OMGP";
/// The carry's one version.
pub const VERSION: u8 = 1;

/// One carried event: how many seals it has waited, and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// Seals waited so far (0 for a fresh event).
    pub age: u32,
    /// The event.
    pub event: Event,
}

/// Why carry bytes were refused (code 3310): where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarryError {
    /// Byte offset in the carry.
    pub offset: usize,
    /// What is wrong, in words.
    pub what: String,
}

impl ErrorCode for CarryError {
    fn code(&self) -> u16 {
        code::CARRY
    }
}

impl fmt::Display for CarryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "carry (OMGP) at byte {}: {}", self.offset, self.what)
    }
}

fn carry_err(offset: usize, what: impl Into<String>) -> CarryError {
    CarryError { offset, what: what.into() }
}

/// The OMGP bytes of `entries`, written sorted by (key, leaf hash) and
/// unique (of byte-identical events the larger age is kept), so every
/// output is one [`decode_carry`] accepts.
pub fn encode_carry(entries: &[Carried]) -> Vec<u8> {
    let mut order: Vec<(Key, Hash, core::cmp::Reverse<u32>, usize)> =
        entries.iter().enumerate().map(|(i, c)| (c.event.key(), c.event.leaf_hash(), core::cmp::Reverse(c.age), i)).collect();
    order.sort_unstable();
    order.dedup_by(|cur, prev| cur.0 == prev.0 && cur.1 == prev.1);
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&u32::try_from(order.len()).unwrap_or(u32::MAX).to_be_bytes());
    for (_, _, _, i) in &order {
        if let Some(c) = entries.get(*i) {
            out.extend_from_slice(&c.age.to_be_bytes());
            out.extend_from_slice(&u32::try_from(c.event.encoded_len()).unwrap_or(u32::MAX).to_be_bytes());
            c.event.encode_into(&mut out);
        }
    }
    out
}

/// Reads OMGP bytes strictly: the magic, version 1, exactly `count`
/// entries each holding exactly one canonical event (default limits),
/// sorted by (key, leaf hash) with no repeat, and nothing after them.
pub fn decode_carry(bytes: &[u8]) -> Result<Vec<Carried>, CarryError> {
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize, what: &str| -> Result<&[u8], CarryError> {
        let s = at.checked_add(n).and_then(|end| bytes.get(*at..end)).ok_or_else(|| carry_err(*at, format!("truncated: {what} needs {n} bytes")))?;
        *at += n;
        Ok(s)
    };
    let u32_at = |at: &mut usize, what: &str| -> Result<u32, CarryError> {
        let s = take(at, 4, what)?;
        Ok(u32::from_be_bytes(<[u8; 4]>::try_from(s).unwrap_or_default()))
    };
    if take(&mut at, 4, "the magic")? != MAGIC {
        return Err(carry_err(0, "not a carry: the bytes do not start with \"OMGP\""));
    }
    let version = take(&mut at, 1, "the version")?.first().copied().unwrap_or_default();
    if version != VERSION {
        return Err(carry_err(4, format!("version {version} is not supported (this build reads version 1)")));
    }
    let count = u32_at(&mut at, "the entry count")?;
    let limits = Limits::default();
    let mut out: Vec<Carried> = Vec::new();
    let mut last: Option<(Key, Hash)> = None;
    for i in 0..count {
        let start = at;
        let age = u32_at(&mut at, "an entry's age")?;
        let len = usize::try_from(u32_at(&mut at, "an entry's length")?).unwrap_or(usize::MAX);
        let ev_at = at;
        let slice = take(&mut at, len, "an entry's event")?;
        let (event, used) = Event::decode(slice, &limits).map_err(|e| carry_err(ev_at, format!("entry {i}: not a canonical event: {e}")))?;
        if used != len {
            return Err(carry_err(ev_at + used, format!("entry {i}: {} bytes after its event inside its length", len - used)));
        }
        let here = (event.key(), event.leaf_hash());
        if let Some(prev) = &last {
            if here == *prev {
                return Err(carry_err(start, format!("entry {i} repeats entry {}", i - 1)));
            }
            if here < *prev {
                return Err(carry_err(start, format!("entry {i} is not after entry {} in (key, leaf hash) order", i - 1)));
            }
        }
        last = Some(here);
        out.push(Carried { age, event });
    }
    if at != bytes.len() {
        return Err(carry_err(at, format!("{} bytes after the last entry", bytes.len() - at)));
    }
    Ok(out)
}

/// What a cut decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutStatus {
    /// The batch extends the history.
    Ok,
    /// The batch obstructs; its events are dropped.
    Obstruction,
    /// No batch this seal; the state is unchanged.
    Empty,
}

impl CutStatus {
    /// The JSON word.
    pub fn as_str(&self) -> &'static str {
        match self {
            CutStatus::Ok => "ok",
            CutStatus::Obstruction => "obstruction",
            CutStatus::Empty => "empty",
        }
    }
}

/// The result of one cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Ok, obstruction or empty.
    pub status: CutStatus,
    /// The batch, in canonical order (key, then leaf hash); empty for `Empty`.
    pub batch: Vec<Event>,
    /// reconcile(prior, batch); `None` exactly for `Empty`.
    pub outcome: Option<Outcome>,
    /// What the next cut gets, sorted by (key, leaf hash), ages already increased.
    pub carry: Vec<Carried>,
    /// Carried candidates that are not ready (they wait for a predecessor or a dependency).
    pub waiting: u64,
    /// Carried candidates that are ready but not cut (at or above the watermark, or behind a rejection).
    pub held: u64,
    /// Candidates given up for waiting `horizon` seals (in the batch).
    pub expired: u64,
    /// Candidates rejected at once (in the batch).
    pub rejected: u64,
    /// Inputs dropped as byte-identical copies (of each other or of a prior head).
    pub duplicates: u64,
}

struct Cand {
    key: Key,
    leaf: Hash,
    age: u32,
    event: Event,
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Whether a dependency is satisfied by the prior state alone: a prior
/// head's id, or an id in derived form naming a position below a
/// derived-form head of that (node, stream) (as reconcile reads it).
fn in_prior(prior: &State, head_ids: &[EventId], dep: &EventId) -> bool {
    if head_ids.binary_search(dep).is_ok() {
        return true;
    }
    let (n, s, q) = dep.derived_parts();
    prior.head(n, s).is_some_and(|h| h.id() == EventId::derived(h.node, h.stream, h.seq) && q < h.seq)
}

/// Marks every member of a group of more than one (sorted by its first element) as rejected.
fn reject_groups<T: Ord + Copy>(mut items: Vec<(T, usize)>, rejected: &mut [bool]) {
    items.sort_unstable();
    for g in items.chunk_by(|a, b| a.0 == b.0) {
        if g.len() > 1 {
            for (_, i) in g {
                if let Some(r) = rejected.get_mut(*i) {
                    *r = true;
                }
            }
        }
    }
}

/// One cut at a seal (see the module docs for the rule). `horizon` is at
/// least 1 (the request refuses 0; here 0 behaves as 1).
pub fn cut(prior: &State, carry: Vec<Carried>, fresh: Vec<Event>, horizon: u32, delay: u32) -> Cut {
    let horizon = horizon.max(1);
    let total = carry.len() + fresh.len();
    // 1. one candidate per distinct byte string, the larger age kept; copies of prior heads dropped
    let mut cands: Vec<Cand> = carry
        .into_iter()
        .map(|c| (c.age, c.event))
        .chain(fresh.into_iter().map(|e| (0, e)))
        .map(|(age, event)| Cand { key: event.key(), leaf: event.leaf_hash(), age, event })
        .collect();
    cands.sort_unstable_by(|a, b| a.key.cmp(&b.key).then_with(|| a.leaf.cmp(&b.leaf)).then_with(|| b.age.cmp(&a.age)));
    cands.dedup_by(|cur, prev| cur.key == prev.key && cur.leaf == prev.leaf);
    cands.retain(|c| !prior.head(c.key.node(), c.key.stream()).is_some_and(|h| h.seq == c.event.seq() && h.leaf_hash == c.leaf));
    let duplicates = count(total - cands.len());
    let n = cands.len();

    // 2. rejected at once
    let mut head_ids: Vec<EventId> = prior.heads().iter().map(|h| h.id()).collect();
    head_ids.sort_unstable();
    let mut rejected = alloc::vec![false; n];
    reject_groups(cands.iter().enumerate().map(|(i, c)| (c.key.event_id(), i)).collect(), &mut rejected);
    reject_groups(cands.iter().enumerate().map(|(i, c)| ((c.key.node(), c.key.stream(), c.event.seq()), i)).collect(), &mut rejected);
    let frontier = prior.frontier();
    for (c, r) in cands.iter().zip(rejected.iter_mut()) {
        let stale = prior.head(c.key.node(), c.key.stream()).is_some_and(|h| c.event.seq() <= h.seq);
        let head_id = head_ids.binary_search(&c.key.event_id()).is_ok();
        let early = frontier.is_some_and(|f| c.key <= f);
        *r |= stale || head_id || early;
    }

    // 3. the ready set: a worklist over waiters keyed by what they wait for
    let mut missing = alloc::vec![0usize; n];
    let mut wait_pos: BTreeMap<(u32, u16, u64), Vec<usize>> = BTreeMap::new();
    let mut wait_id: BTreeMap<EventId, Vec<usize>> = BTreeMap::new();
    let mut queue: Vec<usize> = Vec::new();
    for (i, c) in cands.iter().enumerate() {
        if rejected.get(i).copied().unwrap_or(true) {
            continue;
        }
        let (node, stream, seq) = (c.key.node(), c.key.stream(), c.event.seq());
        let pred_ok = match prior.head(node, stream) {
            Some(h) => h.seq.checked_add(1) == Some(seq),
            None => seq == 0,
        };
        let mut m = 0usize;
        if !pred_ok {
            m += 1;
            // seq ≥ 1 here (seq 0 is either satisfied or at or below a head, hence rejected)
            if let Some(p) = seq.checked_sub(1) {
                wait_pos.entry((node, stream, p)).or_default().push(i);
            }
        }
        for d in c.event.deps() {
            if !in_prior(prior, &head_ids, d) {
                m += 1;
                wait_id.entry(*d).or_default().push(i);
            }
        }
        if let Some(slot) = missing.get_mut(i) {
            *slot = m;
        }
        if m == 0 {
            queue.push(i);
        }
    }
    let mut ready = alloc::vec![false; n];
    while let Some(i) = queue.pop() {
        let Some(c) = cands.get(i) else { continue };
        if let Some(r) = ready.get_mut(i) {
            *r = true;
        }
        let pos = (c.key.node(), c.key.stream(), c.event.seq());
        // positions and ids are unique among candidates that are not rejected, so each list is taken once
        let woken: Vec<usize> = wait_pos.remove(&pos).into_iter().chain(wait_id.remove(&c.key.event_id())).flatten().collect();
        for w in woken {
            if let Some(m) = missing.get_mut(w) {
                *m = m.saturating_sub(1);
                if *m == 0 {
                    queue.push(w);
                }
            }
        }
    }

    // 4. expired
    let is = |v: &[bool], i: usize| v.get(i).copied().unwrap_or(false);
    let expired: Vec<bool> = (0..n).map(|i| !is(&ready, i) && !is(&rejected, i) && cands.get(i).is_some_and(|c| c.age >= horizon)).collect();

    let carry_of = |cands: &[Cand], keep: &dyn Fn(usize) -> bool| -> Vec<Carried> {
        cands
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, c)| Carried { age: c.age.saturating_add(1), event: c.event.clone() })
            .collect()
    };

    // 5. rejected or expired events obstruct on their own, at once.
    //
    // Why reconcile(prior, rejected ∪ expired) always obstructs: a rejected
    // event obstructs alone (an equivocating pair is in the batch together and
    // gives 1002; a head id 1002; a stale seq 1001 stale or 1002; a key at or
    // below the frontier 1001 before_frontier). With no rejected event, the
    // batch E is a non-empty set of candidates that are not ready. Were
    // reconcile(prior, E) ok, every event of E would have its predecessor in E
    // with a smaller key (seqs increase with keys) or be first after its
    // prior head, and every dependency in E with a smaller Lamport time (so a
    // smaller key), a prior head or deep in the prior by the derived-id rule;
    // by induction on the key, every event of E would then be ready, a
    // contradiction. So a set of non-ready events never closes over itself.
    let bad: Vec<usize> = (0..n).filter(|i| is(&rejected, *i) || is(&expired, *i)).collect();
    if !bad.is_empty() {
        let batch: Vec<Event> = bad.iter().filter_map(|i| cands.get(*i)).map(|c| c.event.clone()).collect();
        let outcome = reconcile(prior, &batch);
        if let Outcome::Obstruction(_) = outcome {
            let waiting = (0..n).filter(|i| !is(&ready, *i) && !is(&rejected, *i) && !is(&expired, *i)).count();
            let held = ready.iter().filter(|r| **r).count();
            let carry = carry_of(&cands, &|i| !is(&rejected, i) && !is(&expired, i));
            return Cut {
                status: CutStatus::Obstruction,
                batch,
                outcome: Some(outcome),
                carry,
                waiting: count(waiting),
                held: count(held),
                expired: count(expired.iter().filter(|e| **e).count()),
                rejected: count(rejected.iter().filter(|r| **r).count()),
                duplicates,
            };
        }
        // Unreachable by the argument above. Should it happen anyway, the
        // events reconcile: they are treated as ready and the cut goes on
        // (no panic, and every engine still gives the same bytes).
        for i in bad {
            if let Some(r) = ready.get_mut(i) {
                *r = true;
            }
            if let Some(r) = rejected.get_mut(i) {
                *r = false;
            }
        }
    }

    // 6. the watermark: the Lamport time of the smallest key that is not ready or is younger
    //    than `delay`; only ready events of earlier Lamport times are cut (candidates are in
    //    key order, so the first such one has the smallest key).
    let w: Option<u64> = cands.iter().zip(&ready).find(|(c, r)| !**r || c.age < delay).map(|(c, _)| c.key.lamport());
    //    ... and a Lamport time is cut only once it is *closed*: some candidate of a later
    //    Lamport time is at least `delay` seals old (so, with arrivals bounded by the delay,
    //    nothing of this time or earlier can still come), or every candidate has been
    //    carried `horizon` seals (a quiet stream: its newest time is closed then).
    let t: Option<u64> = cands.iter().filter(|c| c.age >= delay).map(|c| c.key.lamport()).max();
    let quiet = cands.iter().all(|c| c.age >= horizon);
    let in_batch: Vec<bool> = cands
        .iter()
        .zip(&ready)
        .map(|(c, r)| {
            let l = c.key.lamport();
            *r && w.is_none_or(|w| l < w) && (t.is_some_and(|t| l < t) || quiet)
        })
        .collect();
    let batch: Vec<Event> = cands.iter().zip(&in_batch).filter(|(_, b)| **b).map(|(c, _)| c.event.clone()).collect();
    let waiting = count(ready.iter().filter(|r| !**r).count());
    let held = count(ready.iter().zip(&in_batch).filter(|(r, b)| **r && !**b).count());
    let carry = carry_of(&cands, &|i| !is(&in_batch, i));
    let (status, outcome) = if batch.is_empty() {
        (CutStatus::Empty, None)
    } else {
        let o = reconcile(prior, &batch);
        (if matches!(o, Outcome::Ok(_)) { CutStatus::Ok } else { CutStatus::Obstruction }, Some(o))
    };
    Cut { status, batch, outcome, carry, waiting, held, expired: 0, rejected: 0, duplicates }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ev(lamport: u64, node: u32, stream: u16, seq: u64, deps: &[EventId], payload: &[u8]) -> Event {
        Event::new(lamport, node, stream, EventId::derived(node, stream, seq), seq, deps.to_vec(), payload.to_vec())
    }

    #[test]
    fn carry_round_trips_sorted_and_unique() {
        let a = ev(2, 1, 0, 1, &[], b"a");
        let b = ev(1, 1, 0, 0, &[], b"b");
        let bytes = encode_carry(&[Carried { age: 3, event: a.clone() }, Carried { age: 1, event: b.clone() }, Carried { age: 7, event: a.clone() }]);
        let back = decode_carry(&bytes).unwrap();
        assert_eq!(back, vec![Carried { age: 1, event: b }, Carried { age: 7, event: a }]);
        assert_eq!(encode_carry(&back), bytes);
        assert_eq!(decode_carry(&encode_carry(&[])).unwrap(), vec![]);
    }

    #[test]
    fn carry_decoding_is_strict() {
        let a = ev(2, 1, 0, 1, &[], b"a");
        let b = ev(1, 1, 0, 0, &[], b"b");
        let good = encode_carry(&[Carried { age: 0, event: a.clone() }, Carried { age: 0, event: b.clone() }]);
        for n in 0..good.len() {
            assert!(decode_carry(&good[..n]).is_err(), "prefix {n}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(decode_carry(&longer).unwrap_err().offset, good.len());
        // unsorted: write b after a by hand
        let mut unsorted = b"OMGP\x01\x00\x00\x00\x02".to_vec();
        for e in [&a, &b] {
            unsorted.extend_from_slice(&0u32.to_be_bytes());
            unsorted.extend_from_slice(&(e.encoded_len() as u32).to_be_bytes());
            e.encode_into(&mut unsorted);
        }
        assert!(decode_carry(&unsorted).unwrap_err().what.contains("not after"));
        let mut twice = b"OMGP\x01\x00\x00\x00\x02".to_vec();
        for e in [&a, &a] {
            twice.extend_from_slice(&0u32.to_be_bytes());
            twice.extend_from_slice(&(e.encoded_len() as u32).to_be_bytes());
            e.encode_into(&mut twice);
        }
        assert!(decode_carry(&twice).unwrap_err().what.contains("repeats"));
        assert_eq!(decode_carry(b"OMGX\x01\0\0\0\0").unwrap_err().offset, 0);
        assert_eq!(decode_carry(b"OMGP\x02\0\0\0\0").unwrap_err().offset, 4);
        assert_eq!(decode_carry(b"OMGP\x01\xff\xff\xff\xff").unwrap_err().offset, 9);
        assert_eq!(decode_carry(b"OMGP").unwrap_err().code(), code::CARRY);
    }

    #[test]
    fn a_successor_waits_for_its_predecessor_and_a_larger_key_is_held() {
        let prior = State::new();
        let e0 = ev(1, 1, 0, 0, &[], b"0");
        let e1 = ev(3, 1, 0, 1, &[], b"1");
        let other = ev(5, 2, 0, 0, &[], b"x");
        let small = ev(0, 3, 0, 0, &[], b"s");
        // e1 arrives without e0: it waits; `other` (key above e1's) is held; `small` is cut
        let c = cut(&prior, vec![], vec![other.clone(), e1.clone(), small.clone()], 2, 0);
        assert_eq!(c.status, CutStatus::Ok);
        assert_eq!(c.batch, vec![small.clone()]);
        assert_eq!((c.waiting, c.held, c.expired, c.rejected), (1, 1, 0, 0));
        assert_eq!(c.carry.iter().map(|x| x.age).collect::<Vec<_>>(), vec![1, 1]);
        let Some(Outcome::Ok(s)) = &c.outcome else { panic!("{:?}", c.outcome) };
        // e0 comes: e0 and e1 are cut; `other`, the newest Lamport time, stays held until
        // a later time closes it or the stream has been quiet for `horizon` seals
        let c2 = cut(&s.state, c.carry, vec![e0.clone()], 2, 0);
        assert_eq!(c2.status, CutStatus::Ok);
        assert_eq!(c2.batch, vec![e0, e1]);
        assert_eq!(c2.carry.iter().map(|x| (x.age, &x.event)).collect::<Vec<_>>(), vec![(2, &other)]);
        let Some(Outcome::Ok(s2)) = &c2.outcome else { panic!("{:?}", c2.outcome) };
        let c3 = cut(&s2.state, c2.carry, vec![], 2, 0);
        assert_eq!(c3.batch, vec![other]);
        assert!(c3.carry.is_empty());
    }
}

// ---------- seal messages ----------

/// Horizon of a seal whose body cannot be read.
pub const DEFAULT_HORIZON: u32 = 8;
/// Delay of a seal whose body cannot be read.
pub const DEFAULT_DELAY: u32 = 0;
/// The largest horizon and delay a seal may carry (a larger one means the defaults).
pub const MAX_SEAL_PARAM: u32 = 1_000_000;

/// What a seal message carries: its number and the cut's horizon and delay
/// (docs/CLUSTER.md, "Batches"; op 27). Every reader, a node on either
/// engine or a browser tab, reads a body with [`Seal::parse`], so they agree
/// on any bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seal {
    /// The seal's number (the sealer's count; informative).
    pub n: u64,
    /// Seals an event may wait before it is given up.
    pub horizon: u32,
    /// Seals every event is held before it may be appended.
    pub delay: u32,
}

impl Seal {
    /// The body a sealer publishes: `{"n":N,"horizon":H,"delay":D}`, no spaces.
    pub fn encode(&self) -> Vec<u8> {
        format!(r#"{{"n":{},"horizon":{},"delay":{}}}"#, self.n, self.horizon, self.delay).into_bytes()
    }

    /// Reads a seal body, and whether it was canonical. Only the exact text
    /// [`Seal::encode`] writes counts (no spaces, no other fields, no leading
    /// zeros, `n` a u64, horizon and delay u32s); anything else means n 0 and
    /// the defaults, and a horizon outside 1..=1,000,000 or a delay above
    /// 1,000,000 means the defaults (with the body's n). No JSON parser's
    /// leniency in between.
    pub fn parse(body: &[u8]) -> (Seal, bool) {
        let fallback = Seal { n: 0, horizon: DEFAULT_HORIZON, delay: DEFAULT_DELAY };
        let Some(s) = parse_canonical(body) else { return (fallback, false) };
        if (1..=MAX_SEAL_PARAM).contains(&s.horizon) && s.delay <= MAX_SEAL_PARAM {
            (s, true)
        } else {
            (Seal { n: s.n, horizon: DEFAULT_HORIZON, delay: DEFAULT_DELAY }, true)
        }
    }
}

fn parse_canonical(body: &[u8]) -> Option<Seal> {
    let rest = body.strip_prefix(br#"{"n":"#)?;
    let (n, rest) = decimal_prefix(rest)?;
    let rest = rest.strip_prefix(br#","horizon":"#)?;
    let (horizon, rest) = decimal_prefix(rest)?;
    let rest = rest.strip_prefix(br#","delay":"#)?;
    let (delay, rest) = decimal_prefix(rest)?;
    if rest != b"}" {
        return None;
    }
    Some(Seal { n, horizon: u32::try_from(horizon).ok()?, delay: u32::try_from(delay).ok()? })
}

/// A decimal u64 with no leading zeros at the start of `b`, and what follows.
fn decimal_prefix(b: &[u8]) -> Option<(u64, &[u8])> {
    let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (digits, rest) = b.split_at(len);
    if digits.is_empty() || (digits.len() > 1 && digits.first() == Some(&b'0')) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((v, rest))
}
