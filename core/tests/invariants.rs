//! One crafted case per invariant code, checked against the core API directly.
use omega_core::{Event, EventId, Outcome, Reason, State, reconcile};

fn ev(lamport: u64, node: u32, stream: u16, seq: u64, deps: &[EventId], payload: &[u8]) -> Event {
    Event::new(lamport, node, stream, EventId::derived(node, stream, seq), seq, deps.to_vec(), payload.to_vec())
}

fn reasons(prior: &State, events: &[Event]) -> Vec<(u16, Reason)> {
    match reconcile(prior, events) {
        Outcome::Ok(_) => vec![],
        Outcome::Obstruction(o) => o.violations.iter().map(|v| (v.code, v.reason)).collect(),
    }
}

fn ok(prior: &State, events: &[Event]) -> State {
    match reconcile(prior, events) {
        Outcome::Ok(s) => s.state,
        Outcome::Obstruction(o) => panic!("expected ok, got {o:?}"),
    }
}

#[test]
fn clean_history_and_duplicates() {
    let a = ev(1, 1, 0, 0, &[], b"a");
    let b = ev(2, 1, 0, 1, &[a.id()], b"b");
    let Outcome::Ok(s) = reconcile(&State::new(), &[b.clone(), a.clone(), b.clone()]) else { panic!() };
    assert_eq!((s.state.tree_size(), s.duplicates, s.appended), (2, 1, 2));
    assert_eq!(s.state.frontier(), Some(b.key()));
    assert_eq!(s.state.root(), omega_core::tree::merkle::root(&[a.leaf_hash(), b.leaf_hash()]));
}

#[test]
fn code_1001() {
    let e = State::new();
    assert_eq!(reasons(&e, &[ev(1, 1, 0, 0, &[], b""), ev(2, 1, 0, 2, &[], b"")]), vec![(1001, Reason::Gap)]);
    assert_eq!(reasons(&e, &[ev(1, 1, 0, 1, &[], b"")]), vec![(1001, Reason::Gap)]);
    assert_eq!(reasons(&e, &[ev(5, 1, 0, 0, &[], b""), ev(2, 1, 0, 1, &[], b"")]), vec![(1001, Reason::Order)]);
    let prior = ok(&e, &[ev(5, 1, 0, 0, &[], b""), ev(6, 1, 0, 1, &[], b"")]);
    let stale = Event::new(5, 1, 0, EventId::derived(1, 0, 0), 0, vec![], b"x".to_vec());
    assert_eq!(reasons(&prior, &[stale]), vec![(1001, Reason::Stale)]);
    assert_eq!(reasons(&prior, &[ev(3, 2, 0, 0, &[], b"")]), vec![(1001, Reason::BeforeFrontier)]);
    // the prior head re-sent is a duplicate, not a violation
    let Outcome::Ok(s) = reconcile(&prior, &[ev(6, 1, 0, 1, &[], b""), ev(7, 1, 0, 2, &[], b"")]) else { panic!() };
    assert_eq!((s.duplicates, s.appended, s.state.tree_size()), (1, 1, 3));
}

#[test]
fn code_1002() {
    let e = State::new();
    assert_eq!(reasons(&e, &[ev(1, 1, 0, 0, &[], b"x"), ev(1, 1, 0, 0, &[], b"y")]), vec![(1002, Reason::IdConflict)]);
    let a = Event::new(1, 1, 0, EventId::from_bytes([1; 14]), 0, vec![], vec![]);
    let b = Event::new(1, 1, 0, EventId::from_bytes([2; 14]), 0, vec![], vec![]);
    assert_eq!(reasons(&e, &[a, b]), vec![(1002, Reason::SeqConflict)]);
    let prior = ok(&e, &[ev(5, 1, 0, 0, &[], b"")]);
    assert_eq!(reasons(&prior, &[ev(5, 1, 0, 0, &[], b"forged")]), vec![(1002, Reason::IdConflict)]);
}

#[test]
fn code_2002_and_2003() {
    let e = State::new();
    let ghost = EventId::from_bytes([9; 14]);
    assert_eq!(reasons(&e, &[ev(1, 1, 0, 0, &[ghost], b"")]), vec![(2002, Reason::Missing)]);
    let a = ev(4, 1, 0, 0, &[], b"");
    assert_eq!(reasons(&e, &[a.clone(), ev(4, 2, 0, 0, &[a.id()], b"")]), vec![(2003, Reason::NotBefore)]);
    // deps into the prior history: the head exactly, deeper positions by the derived form
    let prior = ok(&e, &[ev(1, 1, 0, 0, &[], b""), ev(2, 1, 0, 1, &[], b"")]);
    assert!(reasons(&prior, &[ev(3, 2, 0, 0, &[EventId::derived(1, 0, 1), EventId::derived(1, 0, 0)], b"")]).is_empty());
    assert_eq!(reasons(&prior, &[ev(2, 2, 0, 0, &[EventId::derived(1, 0, 0)], b"")]), vec![(2003, Reason::Unprovable)]);
    assert_eq!(reasons(&prior, &[ev(9, 2, 0, 0, &[EventId::derived(1, 0, 5)], b"")]), vec![(2002, Reason::Missing)]);
}

#[test]
fn obstruction_leaves_the_reconciler_state_unchanged() {
    let mut r = omega_core::Reconciler::new();
    r.push(ev(1, 1, 0, 0, &[], b""));
    assert!(matches!(r.flush(), Outcome::Ok(_)));
    let before = r.state().clone();
    r.push(ev(2, 1, 0, 5, &[], b""));
    assert!(matches!(r.flush(), Outcome::Obstruction(_)));
    assert_eq!(r.state(), &before);
    assert_eq!(r.pending(), 0);
}

/// 2003's boundary, stated from the rule ("a dependency's Lamport time must be
/// strictly below its dependent's"): equal is refused, one less is accepted,
/// both for a dependency in the same batch and for the head of the prior
/// history (whose key is known to the state).
#[test]
fn code_2003_boundary_in_the_batch_and_against_a_prior_head() {
    let e = State::new();
    for (dep_lamport, lamport, want) in [(4, 4, Some(Reason::NotBefore)), (3, 4, None), (4, 5, None), (9, 9, Some(Reason::NotBefore))] {
        let a = ev(dep_lamport, 1, 0, 0, &[], b"dep");
        let b = ev(lamport, 2, 0, 0, &[a.id()], b"dependent");
        let expected: Vec<(u16, Reason)> = want.iter().map(|r| (2003, *r)).collect();
        assert_eq!(reasons(&e, &[a.clone(), b.clone()]), expected, "in one batch: dep {dep_lamport}, dependent {lamport}");
        // the same pair across two batches: the dependency is the prior's head
        let prior = ok(&e, &[a.clone()]);
        assert_eq!(reasons(&prior, &[b]), expected, "against the prior head: dep {dep_lamport}, dependent {lamport}");
    }
    // the evidence names the prior head and the dep is its id
    let a = ev(4, 1, 0, 0, &[], b"dep");
    let prior = ok(&e, &[a.clone()]);
    let Outcome::Obstruction(o) = reconcile(&prior, &[ev(4, 2, 0, 0, &[a.id()], b"")]) else { panic!("expected 2003") };
    assert_eq!(o.violations.len(), 1);
    assert_eq!(o.violations[0].dep, Some(a.id()));
    assert_eq!(o.prior_tree_size, 1);
}

/// The streaming reconciler: `pending` counts what was pushed (copies too),
/// a reconciler made `with_prior` extends that prior exactly as `reconcile`
/// does, and each flush consumes the queue.
#[test]
fn the_streaming_reconciler_counts_its_queue_and_extends_its_prior() {
    let e = State::new();
    let first = [ev(1, 1, 0, 0, &[], b"a"), ev(2, 1, 0, 1, &[], b"b")];
    let second = [ev(3, 1, 0, 2, &[], b"c"), ev(3, 2, 0, 0, &[EventId::derived(1, 0, 1)], b"d")];
    let prior = ok(&e, &first);
    let mut r = omega_core::Reconciler::with_prior(prior.clone());
    assert_eq!(r.state(), &prior);
    assert_eq!(r.pending(), 0);
    for (n, x) in second.iter().enumerate() {
        r.push(x.clone());
        assert_eq!(r.pending(), n + 1);
    }
    r.push(second[0].clone());
    assert_eq!(r.pending(), 3, "a copy is queued too");
    let Outcome::Ok(s) = r.flush() else { panic!("the second batch extends the first") };
    assert_eq!((s.appended, s.duplicates, s.state.tree_size()), (2, 1, 4));
    assert_eq!(r.pending(), 0);
    assert_eq!(r.state(), &ok(&prior, &second));
    assert_eq!(r.state(), &ok(&e, &[first.as_slice(), second.as_slice()].concat()));
    // without the prior, the same batch obstructs (seq 2 after nothing: a gap)
    let mut fresh = omega_core::Reconciler::new();
    fresh.push(second[0].clone());
    assert!(matches!(fresh.flush(), Outcome::Obstruction(_)));
}

/// An event below its stream's prior head that reuses the head's id is both
/// stale (1001) and an id conflict with the head (1002): the seq rule does not
/// depend on the id.
#[test]
fn an_event_below_the_head_with_the_head_s_id_is_stale_and_a_conflict() {
    let prior = ok(&State::new(), &[ev(5, 1, 0, 0, &[], b""), ev(6, 1, 0, 1, &[], b"")]);
    let reuse = Event::new(7, 1, 0, EventId::derived(1, 0, 1), 0, vec![], b"x".to_vec());
    assert_eq!(reasons(&prior, &[reuse]), vec![(1001, Reason::Stale), (1002, Reason::IdConflict)]);
    // a different id below the head: stale only
    let other = Event::new(7, 1, 0, EventId::from_bytes([3; 14]), 0, vec![], b"x".to_vec());
    assert_eq!(reasons(&prior, &[other]), vec![(1001, Reason::Stale)]);
}
