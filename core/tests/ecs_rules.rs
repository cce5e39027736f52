//! The ECS systems' rules, one constant at a time (issue 20). Every expected
//! value here is worked out by hand (or in f64) from the seed constants —
//! anti-windup [-1, 1], ε = 1e-4, Kp 0.6 / Ki 0.1 / Kd 0.05, dt = 1/64,
//! energy ≤ 10, |amplitude| ≤ 1000, QUARANTINE ≥ 0.85, ALERT ≥ 0.60,
//! BALANCE when the mean |error| > 0.25, ΔO within ±0.05, T_threshold 0.02,
//! REPAIR 0.1, OPT_GAIN 0.1, V at rest ≤ 1e-4 —
//! and written as a literal (I32F32 bits where the value is exact), never read
//! back from `systems::*`: a test that compares a result with the constant
//! that produced it cannot fail when the constant changes.
//!
//! The systems are called directly (they are public plain functions over the
//! world), so a rule is checked without noise or the other systems in the
//! way; a state no command can make (an amplitude past the limit, a saturated
//! genome integral) is set by patching a snapshot, which `World::restore`
//! reads back bit for bit.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // f64 references only, never in core
use omega_core::ecs::fx::{self, Fx, Sat};
use omega_core::ecs::{Alert, Config, Decision, Entity, Lyapunov, Metrics, Plan, PlanAction, World, systems};

/// 1.0 in I32F32.
const ONE: i64 = 1 << 32;

fn bits(x: Fx) -> i64 {
    x.to_bits()
}

fn fx_bits(b: i64) -> Fx {
    Fx::from_bits(b)
}

fn float(x: Fx) -> f64 {
    x.to_bits() as f64 / ONE as f64
}

fn close(got: Fx, want: f64, tol: f64, what: &str) {
    assert!((float(got) - want).abs() <= tol, "{what}: got {got} ({}), want {want}", bits(got));
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// An empty world on one topology node: tick 0, advisor weights 1/4 each,
/// genome PID at rest.
fn empty() -> World {
    World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 })
}

// ---- snapshot offsets (the encoding documented on `World::encode`) ----

const TICK_AT: usize = 5;
const WEIGHTS_AT: usize = 33;
const GPID_INTEGRAL_AT: usize = 65;
const GPID_PREV_AT: usize = 73;
/// The arbiter record (version 2): decision u8 | pulse | plan u8 | urgency | gain | V | ΔV.
const ARBITER_AT: usize = 89;
const SLOTS_AT: usize = 131;
/// The order of a live slot's I32F32 components in the encoding.
const OUTPUT: usize = 4;
const AMP: usize = 5;
const VEL: usize = 6;
const PHASE: usize = 7;

fn get_i64(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

fn put_i64(b: &mut [u8], at: usize, v: i64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Where component `k` of live slot `slot` is in a snapshot.
fn component_at(b: &[u8], slot: usize, k: usize) -> usize {
    let mut at = SLOTS_AT + 4;
    for _ in 0..slot {
        at += 5 + if b[at + 4] == 1 { 4 + 9 * 8 } else { 0 };
    }
    assert_eq!(b[at + 4], 1, "slot {slot} is alive");
    at + 5 + 4 + 8 * k
}

/// The world with its snapshot edited by `edit` (restore is strict, so what
/// comes back is exactly the edited state).
fn patched(w: &World, edit: impl FnOnce(&mut Vec<u8>)) -> World {
    let mut b = w.encode();
    edit(&mut b);
    World::restore(&b).expect("a patched snapshot restores")
}

fn set_component(w: &World, slot: usize, k: usize, v: i64) -> World {
    patched(w, |b| {
        let at = component_at(b, slot, k);
        put_i64(b, at, v);
    })
}

/// The genome PID's integral (not a component; read from the snapshot).
fn gpid_integral(w: &World) -> i64 {
    get_i64(&w.encode(), GPID_INTEGRAL_AT)
}

/// integral, previous error, output of an entity, as I32F32 bits.
fn pid_state(w: &World, e: Entity) -> (i64, i64, i64) {
    let c = w.components(e).unwrap();
    (c[3][0], c[3][1], c[3][2])
}

fn amp(w: &World, e: Entity) -> i64 {
    w.components(e).unwrap()[4][0]
}

// =====================================================================
// PID: gains, dt, anti-windup clamp [-1, 1], ε-reset
// =====================================================================

/// One PID tick of slot 0 with `reading` injected (no noise, no other system).
fn pid_tick(w: &mut World, reading: Fx, s: &mut Sat) -> Fx {
    systems::sensors(w, &[(0, reading)]);
    systems::pid(w, s)
}

#[test]
fn pid_integral_winds_up_to_exactly_one_and_no_further() {
    let mut w = empty();
    let e = w.spawn(0, fx::ONE); // target 1
    let mut s = Sat::default();
    // reading 0: error exactly 1 every tick. First tick (previous error 0):
    // integral = 1 · 1/64; out = 0.6 · 1 + 0.1 · 1/64 + 0.05 · (1 − 0) · 64 = 3.8015625
    let mean = pid_tick(&mut w, fx::ZERO, &mut s);
    assert_eq!(bits(mean), ONE, "the mean |error| of one entity with error 1");
    let (i, p, out) = pid_state(&w, e);
    assert_eq!((i, p), (ONE / 64, ONE));
    // (Kd = 0.05 is rounded to 2^-32 and the derivative is 64, hence 64 bits of slack)
    close(fx_bits(out), 3.801_562_5, 64.0 / ONE as f64, "first output");
    // the integral grows by exactly 1/64 a tick: 0.5 after 32 ticks, 1 after 64
    for k in 2..=64 {
        pid_tick(&mut w, fx::ZERO, &mut s);
        assert_eq!(pid_state(&w, e).0, k * ONE / 64, "integral after {k} ticks of error 1");
    }
    assert_eq!(pid_state(&w, e).0, ONE, "after 64 ticks of error 1 the integral is exactly 1.0 = 1 << 32");
    // anti-windup: 136 more ticks would integrate to 200/64 = 3.125; it stays at exactly 1
    for k in 65..=200 {
        pid_tick(&mut w, fx::ZERO, &mut s);
        let (i, _, out) = pid_state(&w, e);
        assert_eq!(i, ONE, "integral after {k} ticks of error 1 (clamp 1)");
        // steady state (derivative 0): out = 0.6 · 1 + 0.1 · 1 = 0.7
        close(fx_bits(out), 0.7, 2e-9, "steady output with the integral at its clamp");
    }
    // the error turns to −1: a clamped integral starts unwinding at once,
    // 1 − 1/64 after one tick (from a wound-up 2 or 3.125 it would not)
    pid_tick(&mut w, fx::ONE * 2, &mut s);
    assert_eq!(pid_state(&w, e).0, 63 * ONE / 64);
    // and winds down to exactly −1 after 128 ticks of error −1, then stays
    for _ in 1..128 {
        pid_tick(&mut w, fx::ONE * 2, &mut s);
    }
    assert_eq!(pid_state(&w, e).0, -ONE);
    for _ in 0..50 {
        pid_tick(&mut w, fx::ONE * 2, &mut s);
        assert_eq!(pid_state(&w, e).0, -ONE, "the lower clamp is −1");
        close(fx_bits(pid_state(&w, e).2), -0.7, 2e-9, "steady output at the lower clamp");
    }
    assert_eq!(s, Sat(0), "nothing saturated");
}

#[test]
fn pid_epsilon_reset_is_strictly_below_1e_4() {
    // ε = 1e-4 in I32F32 is floor(2^32 / 10^4) = 429_496 bits
    const EPS: i64 = 4_294_967_296 / 10_000;
    assert_eq!(EPS, 429_496);
    let mut s = Sat::default();
    let mut w = empty();
    let e = w.spawn(0, fx::ZERO);
    // wind the integral up to its clamp 1 (error 1 for 200/64 of a unit) so a reset is visible
    let wound = |w: &mut World, s: &mut Sat| {
        for _ in 0..200 {
            pid_tick(w, -fx::ONE, s);
        }
        assert_eq!(pid_state(w, e).0, ONE);
    };
    // |error| = ε exactly: not below ε, so it integrates: 1 + ε/64 is clamped to 1
    wound(&mut w, &mut s);
    pid_tick(&mut w, fx_bits(-EPS), &mut s);
    assert_eq!(pid_state(&w, e).0, ONE, "|e| = ε does not reset");
    // |error| one bit below ε: reset to exactly 0
    pid_tick(&mut w, fx_bits(-(EPS - 1)), &mut s);
    assert_eq!(pid_state(&w, e).0, 0, "|e| < ε resets");
    // from 0, error ε integrates to ε/64 (floor: 6710 bits); −ε to −ε/64
    pid_tick(&mut w, fx_bits(-EPS), &mut s);
    assert_eq!(pid_state(&w, e).0, 6710);
    wound(&mut w, &mut s);
    pid_tick(&mut w, fx_bits(EPS - 1), &mut s);
    assert_eq!(pid_state(&w, e).0, 0, "a negative error below ε resets too");
    pid_tick(&mut w, fx_bits(EPS), &mut s);
    assert!((-6711..=-6710).contains(&pid_state(&w, e).0), "{}", pid_state(&w, e).0);
    // an error of exactly 0 resets
    wound(&mut w, &mut s);
    pid_tick(&mut w, fx::ZERO, &mut s);
    assert_eq!(pid_state(&w, e).0, 0);
    assert_eq!(s, Sat(0));
}

#[test]
fn pid_returns_the_mean_absolute_error_and_counts_saturations() {
    let mut w = empty();
    let a = w.spawn(0, fx::ONE);
    let b = w.spawn(0, fx::ZERO);
    let mut s = Sat::default();
    // errors 1 − 0.5 = 0.5 and 0 − 0.25 = −0.25: mean |error| 0.375
    systems::sensors(&mut w, &[(0, fx_bits(ONE / 2)), (1, fx_bits(ONE / 4))]);
    let mean = systems::pid(&mut w, &mut s);
    assert_eq!(bits(mean), 3 * ONE / 8);
    assert_eq!((pid_state(&w, a).1, pid_state(&w, b).1), (ONE / 2, -ONE / 4));
    assert_eq!(s, Sat(0), "an ordinary tick saturates nothing");
    // a reading of Fx::MIN against target 0: error 0 − MIN overflows (1) and
    // the derivative MAX / (1/64) overflows (2); nothing else does
    let mut w = empty();
    let e = w.spawn(0, fx::ZERO);
    systems::sensors(&mut w, &[(0, Fx::MIN)]);
    systems::pid(&mut w, &mut s);
    assert_eq!(s, Sat(2), "each saturating operation is counted once");
    let (i, p, _) = pid_state(&w, e);
    assert_eq!((i, p), (ONE, i64::MAX), "the saturated error still integrates only up to the clamp");
}

// =====================================================================
// Safety: |amplitude| ≤ 1000 and energy ≤ 10, clamped and alerted
// =====================================================================

#[test]
fn an_amplitude_past_1000_is_clamped_to_exactly_1000_and_alerted() {
    let mut w = empty();
    let es: Vec<Entity> = (0..5).map(|_| w.spawn(0, fx::ZERO)).collect();
    let lim = 1000 * ONE;
    let amps = [lim, lim + 1, -lim, -lim - 1, 1024 * ONE];
    for (i, &a) in amps.iter().enumerate() {
        w = set_component(&w, i, AMP, a);
        assert_eq!(amp(&w, es[i]), a);
    }
    let mut s = Sat::default();
    let alerts = systems::safety(&mut w, &mut s);
    let alert = |i: usize, v: i64| Alert { kind: "amplitude", entity: es[i], value: fx_bits(v) };
    // exactly ±1000 is within the limit; one bit past it is not
    assert_eq!(alerts, vec![alert(1, lim + 1), alert(3, -lim - 1), alert(4, 1024 * ONE)]);
    let after: Vec<i64> = es.iter().map(|&e| amp(&w, e)).collect();
    assert_eq!(after, vec![lim, lim, -lim, -lim, lim], "clamped to exactly ±1000.0");
    assert_eq!(s, Sat(0));
    // clamping is idempotent: a second pass raises nothing
    assert!(systems::safety(&mut w, &mut s).is_empty());
}

#[test]
fn an_output_past_energy_10_is_clamped_to_sqrt_10_and_alerted() {
    // √10 in I32F32, floored: isqrt(10 · 2^64) = 13_581_879_131 bits; its
    // square is 10 − 2 bits, the next value's square 10 + 4 bits
    let root = i64::try_from((10u128 << 64).isqrt()).unwrap();
    assert_eq!(root, 13_581_879_131);
    let mut w = empty();
    let es: Vec<Entity> = (0..5).map(|_| w.spawn(0, fx::ZERO)).collect();
    // 3.1622 (energy 9.99951) passes; 3.1623 (energy 10.00014) does not
    let outs = [root, root + 1, -root - 1, 31_622 * ONE / 10_000, 31_623 * ONE / 10_000];
    for (i, &o) in outs.iter().enumerate() {
        w = set_component(&w, i, OUTPUT, o);
    }
    let mut s = Sat::default();
    let alerts = systems::safety(&mut w, &mut s);
    let kinds: Vec<(&str, u32)> = alerts.iter().map(|a| (a.kind, a.entity.index)).collect();
    assert_eq!(kinds, vec![("energy", 1), ("energy", 2), ("energy", 4)]);
    assert_eq!(bits(alerts[0].value), 10 * ONE + 4, "the alert carries the energy before the clamp");
    close(alerts[2].value, 3.1623f64 * 3.1623, 1e-8, "energy of 3.1623");
    let after: Vec<i64> = es.iter().map(|&e| pid_state(&w, e).2).collect();
    assert_eq!(after, vec![root, root, -root, outs[3], root], "clamped to ±√10 with the sign kept");
    assert_eq!(s, Sat(0));
}

#[test]
fn a_tick_with_an_amplitude_past_the_limit_alerts_and_drives_the_field_from_1000() {
    // through World::step: amplitude 0 with bit 42 flipped is 1024.0
    let mut w = empty();
    let e = w.spawn(0, fx::ZERO);
    assert!(w.flip_bit(e, 4, 42));
    assert_eq!(amp(&w, e), 1024 * ONE);
    let r = w.step(&[]);
    let amps: Vec<&Alert> = r.alerts.iter().filter(|a| a.kind == "amplitude").collect();
    assert_eq!(amps.len(), 1, "{:?}", r.alerts);
    assert_eq!((amps[0].entity, bits(amps[0].value)), (e, 1024 * ONE));
    // the control output (error ≈ −1024) is clamped to −√10 too
    assert!(r.alerts.iter().any(|a| a.kind == "energy"));
    // field from the clamped state: acc = −√10 − 1² · 1000 − 0.1 · 0,
    // vel = acc / 64, amp = 1000 + vel / 64 = 999.75509... (from 1024 it would be 1023.75)
    let vel = (-10f64.sqrt() - 1000.0) / 64.0;
    let c = w.components(e).unwrap();
    close(fx_bits(c[4][1]), vel, 1e-7, "velocity");
    close(fx_bits(c[4][0]), 1000.0 + vel / 64.0, 1e-7, "amplitude");
}

// =====================================================================
// Arbiter: every decision, each threshold at its exact boundary
// =====================================================================

/// Metrics that give advisor scores R, E, O of exactly 0 or 1 and a balance
/// score (mean |error|) of `stability`:
/// R = sigmoid(resonance − 1): resonance 31 gives 1, −30 gives 0 (e^−30 is below 2^−33);
/// E = entropy / ln 16, clamped: entropy 3 gives 1; O = 1 − coherence.
fn metrics(r: bool, stability: Fx, e: bool, o: bool) -> Metrics {
    Metrics {
        resonance: Fx::from_num(if r { 31 } else { -30 }),
        stability,
        entropy: Fx::from_num(if e { 3 } else { 0 }),
        coherence: if o { fx::ZERO } else { fx::ONE },
        ..Metrics::default()
    }
}

/// The arbiter on a fresh world (weights 1/4 each): decision, metrics, world after.
fn arbitrate(w: &World, m: Metrics, alerts: usize) -> (Decision, Metrics, World) {
    let (d, _, _, m, w) = arbitrate_all(w, m, alerts);
    (d, m, w)
}

/// The arbiter's whole answer: decision, plan, Lyapunov, metrics, world after.
fn arbitrate_all(w: &World, mut m: Metrics, alerts: usize) -> (Decision, Plan, Lyapunov, Metrics, World) {
    let mut w = w.clone();
    let mut s = Sat::default();
    let (d, p, l) = systems::arbiter(&mut w, &mut m, alerts, &mut s);
    (d, p, l, m, w)
}

/// threat = sigmoid(6 · (R + B + E + O) / 4 − 3 + alerts / 2), in f64.
fn threat(r: f64, b: f64, e: f64, o: f64, alerts: f64) -> f64 {
    sigmoid(6.0 * (r + b + e + o) / 4.0 - 3.0 + alerts / 2.0)
}

/// The thresholds as I32F32 bits, worked out by hand (ratio rounds toward zero).
const QUARANTINE: i64 = 3_650_722_201; // floor(0.85 · 2^32)
const ALERT: i64 = 2_576_980_377; // floor(0.60 · 2^32)
const STABILITY: i64 = ONE / 4; // 0.25, exact

#[test]
fn arbiter_each_decision_with_its_threat() {
    let w = empty();
    let one = fx::ONE;
    let zero = fx::ZERO;
    // (R, stability, E, O, alerts) -> decision, threat
    let cases = [
        // all four advisors at 1: z = 6 − 3 = 3, threat 0.9526 — QUARANTINE beats BALANCE
        ((true, one, true, true, 0), Decision::Quarantine, threat(1.0, 1.0, 1.0, 1.0, 0.0)),
        // all at 0 and 12 alerts: z = −3 + 6 = 3 again
        ((false, zero, false, false, 12), Decision::Quarantine, threat(0.0, 0.0, 0.0, 0.0, 12.0)),
        // R, B, E at 1: z = 1.5, threat 0.8176 — ALERT beats BALANCE (mean |error| 1 > 0.25)
        ((true, one, true, false, 0), Decision::Alert, threat(1.0, 1.0, 1.0, 0.0, 0.0)),
        // no advisor, 7 alerts: z = −3 + 3.5 = 0.5, threat 0.6225
        ((false, zero, false, false, 7), Decision::Alert, threat(0.0, 0.0, 0.0, 0.0, 7.0)),
        // B alone at 1: z = −1.5, threat 0.1824, mean |error| 1 > 0.25: BALANCE
        ((false, one, false, false, 0), Decision::Balance, threat(0.0, 1.0, 0.0, 0.0, 0.0)),
        // R and B at 1: z = 0, threat exactly 0.5: BALANCE
        ((true, one, false, false, 0), Decision::Balance, 0.5),
        // nothing: z = −3, threat 0.0474: OPTIMIZE
        ((false, zero, false, false, 0), Decision::Optimize, threat(0.0, 0.0, 0.0, 0.0, 0.0)),
        // R, E, O at 1 in a calm world (mean |error| 0): z = 6 · 0.75 − 3 = 1.5, ALERT
        ((true, zero, true, true, 0), Decision::Alert, threat(1.0, 0.0, 1.0, 1.0, 0.0)),
        // E and O at 1, mean |error| 0.25 (not above it): z = 6 · (0.5 + 1/16) − 3 = 0.375,
        // threat 0.5927 (just under ALERT): OPTIMIZE
        ((false, fx_bits(STABILITY), true, true, 0), Decision::Optimize, threat(0.0, 0.25, 1.0, 1.0, 0.0)),
    ];
    for ((r, b, e, o, alerts), want, t) in cases {
        let (d, m, _) = arbitrate(&w, metrics(r, b, e, o), alerts);
        assert_eq!(d, want, "R {r} B {b} E {e} O {o} alerts {alerts}: threat {}", m.threat);
        close(m.threat, t, 2e-8, "threat");
    }
    // z = 0 exactly gives exactly one half
    let (_, m, _) = arbitrate(&w, metrics(true, one, false, false), 0);
    assert_eq!(bits(m.threat), ONE / 2);
}

/// Sweeps the balance score bit by bit across a threat boundary and checks
/// every decision against the thresholds written here; the sweep must hit the
/// threshold exactly (so `>=` and `>` differ) and see both sides.
fn sweep(r: bool, e: bool, o: bool, centre: f64, threshold: i64, at_or_above: Decision, below: Decision) {
    let w = empty();
    let centre = (centre * ONE as f64) as i64;
    let (mut hit, mut above, mut under) = (false, false, false);
    for b in centre - 600..=centre + 600 {
        let (d, m, _) = arbitrate(&w, metrics(r, fx_bits(b), e, o), 0);
        let t = bits(m.threat);
        let want = if t >= threshold { at_or_above } else { below };
        assert_eq!(d, want, "stability bits {b}: threat bits {t} against {threshold}");
        hit |= t == threshold;
        above |= t > threshold;
        under |= t < threshold;
    }
    assert!(hit && above && under, "the sweep reaches the threshold exactly ({hit}) and crosses it ({above} {under})");
}

#[test]
fn arbiter_quarantines_at_exactly_0_85() {
    // R, E, O at 1: z = 6 (0.75 + B/4) − 3 = 1.5 + 1.5 B; threat 0.85 at
    // z = ln(0.85 / 0.15), B = (z − 1.5) / 1.5 ≈ 0.1564 (below 0.25, so the
    // alternative is ALERT)
    let centre = ((0.85f64 / 0.15).ln() - 1.5) / 1.5;
    sweep(true, true, true, centre, QUARANTINE, Decision::Quarantine, Decision::Alert);
}

#[test]
fn arbiter_alerts_at_exactly_0_60() {
    // R, E at 1: z = 6 (0.5 + B/4) − 3 = 1.5 B; threat 0.6 at B = ln(1.5) / 1.5
    // ≈ 0.2703 > 0.25, so below the threshold the decision is BALANCE
    let centre = 1.5f64.ln() / 1.5;
    sweep(true, true, false, centre, ALERT, Decision::Alert, Decision::Balance);
}

#[test]
fn arbiter_balances_only_above_a_mean_error_of_0_25() {
    let w = empty();
    // no advisor but B: z = 1.5 B − 3, threat ≈ 0.0675 near B = 0.25
    let at = |b: i64| arbitrate(&w, metrics(false, fx_bits(b), false, false), 0).0;
    assert_eq!(at(STABILITY), Decision::Optimize, "0.25 is not above 0.25");
    assert_eq!(at(STABILITY + 1), Decision::Balance);
    assert_eq!(at(STABILITY - 1), Decision::Optimize);
    assert_eq!(at(ONE / 5), Decision::Optimize);
    assert_eq!(at(ONE * 3 / 10), Decision::Balance);
}

// =====================================================================
// Arbiter genome: the genomic PID (clamp [-1, 1], T_threshold 0.02), ΔO ≤ 0.05, E
// =====================================================================

/// ΔT = T_Λ − 0.02 on one node: T_Λ = 0.001 · 4 / (1 − 1/4).
fn delta_t() -> f64 {
    0.001 * 4.0 / (1.0 - 1.0 / 4.0) - 0.02
}

fn weights_f64(m: &Metrics) -> [f64; 4] {
    m.weights.map(float)
}

fn assert_weights(m: &Metrics, want: [f64; 4]) {
    let total: f64 = want.iter().sum();
    for (k, (g, w)) in weights_f64(m).iter().zip(want).enumerate() {
        assert!((g - w / total).abs() < 1e-8, "weight {k}: got {g}, want {}", w / total);
    }
}

#[test]
fn genome_pid_integral_is_clamped_to_minus_one() {
    // calm metrics (threat 0.047, E untouched); ΔT = −0.0146667 a beat, so
    // the integral (no dt here) passes −1 on the 69th call and stays at −1.0
    let calm = metrics(false, fx::ZERO, false, false);
    let mut w = empty();
    let dt = delta_t();
    for k in 1..=120 {
        let (_, _, next) = arbitrate(&w, calm, 0);
        w = next;
        let got = gpid_integral(&w);
        let want = (k as f64 * dt).max(-1.0);
        if k >= 69 {
            assert_eq!(got, -ONE, "genome integral after {k} beats is exactly −1.0 = −(1 << 32)");
        } else {
            assert!(((got as f64 / ONE as f64) - want).abs() < 1e-7, "genome integral after {k} beats: {got}, want {want}");
        }
    }
}

#[test]
fn genome_first_beat_moves_o_by_the_pid_output() {
    // first beat: integral = ΔT, derivative = ΔT − 0, out = (0.6 + 0.1 + 0.05) ΔT = −0.011;
    // O = 0.25 − 0.011, then normalised
    let (_, m, w) = arbitrate(&empty(), metrics(false, fx::ZERO, false, false), 0);
    let dt = delta_t();
    assert_weights(&m, [0.25, 0.25, 0.25, 0.25 + 0.75 * dt]);
    let b = w.encode();
    assert!(((get_i64(&b, GPID_PREV_AT) as f64 / ONE as f64) - dt).abs() < 1e-9);
}

#[test]
fn genome_o_weight_moves_at_most_0_05_a_beat() {
    let calm = metrics(false, fx::ZERO, false, false);
    let dt = delta_t();
    // integral at −1: out = 0.6 ΔT − 0.1 + 0.05 ΔT ≈ −0.1095, limited to −0.05
    let w = patched(&empty(), |b| put_i64(b, GPID_INTEGRAL_AT, -ONE));
    let (_, m, _) = arbitrate(&w, calm, 0);
    assert_weights(&m, [0.25, 0.25, 0.25, 0.20]);
    // integral at +1: 1 + ΔT = 0.9853; out = 0.6 ΔT + 0.1 (1 + ΔT) + 0.05 ΔT ≈ 0.089, limited to +0.05
    let w = patched(&empty(), |b| put_i64(b, GPID_INTEGRAL_AT, ONE));
    let (_, m, w) = arbitrate(&w, calm, 0);
    assert_weights(&m, [0.25, 0.25, 0.25, 0.30]);
    assert!(((gpid_integral(&w) as f64 / ONE as f64) - (1.0 + dt)).abs() < 1e-9);
    // within the limit it is not cut: integral 0.3: out = 0.65 ΔT + 0.1 (0.3 + ΔT) ≈ 0.0174
    let w = patched(&empty(), |b| put_i64(b, GPID_INTEGRAL_AT, 3 * ONE / 10));
    let (_, m, _) = arbitrate(&w, calm, 0);
    assert_weights(&m, [0.25, 0.25, 0.25, 0.25 + 0.65 * dt + 0.1 * (0.3 + dt)]);
}

#[test]
fn genome_e_weight_is_rewritten_only_above_threat_one_half() {
    let dt = delta_t();
    let o = 0.25 + 0.75 * dt; // the O weight after the first beat
    // threat exactly 0.5 (z = 0): E is not rewritten
    let (d, m, _) = arbitrate(&empty(), metrics(true, fx::ONE, false, false), 0);
    assert_eq!((d, bits(m.threat)), (Decision::Balance, ONE / 2));
    assert_weights(&m, [0.25, 0.25, 0.25, o]);
    // threat 0.9526 at tick 0: E = 0.15 · threat · e^0 · (1 − O/0.3)
    let t = threat(1.0, 1.0, 1.0, 1.0, 0.0);
    let (_, m, _) = arbitrate(&empty(), metrics(true, fx::ONE, true, true), 0);
    assert_weights(&m, [0.25, 0.25, 0.15 * t * (1.0 - o / 0.3), o]);
    // at tick 50 the decay is e^−1
    let w = patched(&empty(), |b| b[TICK_AT..TICK_AT + 8].copy_from_slice(&50u64.to_be_bytes()));
    let (_, m, _) = arbitrate(&w, metrics(true, fx::ONE, true, true), 0);
    assert_weights(&m, [0.25, 0.25, 0.15 * t * (-1f64).exp() * (1.0 - o / 0.3), o]);
    // weights started from the snapshot header, 1/4 each
    assert_eq!(get_i64(&empty().encode(), WEIGHTS_AT), ONE / 4);
}

/// Weights that are all zero (a world restored so) start again from 1/4
/// each: the normalisation divides only by a positive total, so nothing
/// saturates.
#[test]
fn genome_weights_all_zero_start_again_from_a_quarter_each() {
    let w = patched(&empty(), |b| b[WEIGHTS_AT..WEIGHTS_AT + 32].fill(0));
    let mut w2 = w.clone();
    // threat below 1/2 (E not rewritten); ΔT < 0, so the O weight's move is negative and clamped at 0
    let mut m = metrics(false, fx::ZERO, false, false);
    let mut s = Sat::default();
    assert!(delta_t() < 0.0);
    systems::arbiter(&mut w2, &mut m, 0, &mut s);
    assert!(bits(m.threat) < ONE / 2);
    assert_eq!(m.weights.map(bits), [ONE / 4; 4]);
    assert_eq!(w2.encode()[WEIGHTS_AT..WEIGHTS_AT + 8], (ONE / 4).to_be_bytes());
    assert_eq!(s, Sat(0), "no division by a zero total");
}

// =====================================================================
// Sensors, field, topology
// =====================================================================

#[test]
fn sensor_noise_is_within_one_hundredth() {
    let mut w = empty();
    for _ in 0..2000 {
        w.spawn(0, fx::ZERO);
    }
    systems::sensors(&mut w, &[]);
    let readings: Vec<i64> = w.entities().map(|e| w.components(e).unwrap()[2][0]).collect();
    let max = readings.iter().map(|r| r.abs()).max().unwrap();
    // uniform in [−0.01, 0.01]: 2000 draws reach past 0.0099 on one side or the other
    assert!(max <= ONE / 100 && max > ONE * 99 / 10_000, "max |noise| {}", max as f64 / ONE as f64);
    assert!(readings.iter().any(|&r| r > 0) && readings.iter().any(|&r| r < 0));
}

#[test]
fn field_step_damps_by_0_1_and_couples_phases_by_0_5() {
    let mut w = empty();
    let a = w.spawn(0, fx::ZERO);
    let b = w.spawn(0, fx::ZERO);
    w.apply(&omega_core::ecs::Command { tick: 0, op: omega_core::ecs::Op::Link { a, b, weight: fx::ONE } }).unwrap();
    // a: velocity 1, amplitude 0; b: phase π/2
    let w = set_component(&w, 0, VEL, ONE);
    let mut w = patched(&w, |s| {
        let at = component_at(s, 1, PHASE);
        put_i64(s, at, bits(fx::FRAC_PI_2));
    });
    let mut s = Sat::default();
    systems::field(&mut w, &mut s);
    let (ca, cb) = (w.components(a).unwrap(), w.components(b).unwrap());
    // a: acc = 0 − 1 · 0 − 0.1 · 1 + 0 = −0.1; vel = 1 − 0.1/64; amp = vel / 64
    let vel = 1.0 - 0.1 / 64.0;
    close(fx_bits(ca[4][1]), vel, 1e-9, "damped velocity");
    close(fx_bits(ca[4][0]), vel / 64.0, 1e-9, "amplitude");
    // phases: pull = 0.5 · 1 · sin(π/2 − 0) = 0.5; a: (1 + 0.5)/64, b: π/2 + (1 − 0.5)/64
    close(fx_bits(ca[5][0]), 1.5 / 64.0, 1e-8, "phase a");
    close(fx_bits(cb[5][0]), std::f64::consts::FRAC_PI_2 + 0.5 / 64.0, 1e-8, "phase b");
    assert_eq!(s, Sat(0));
}

#[test]
fn topology_migrates_only_when_loads_differ_by_more_than_2() {
    let mut w = World::new(1, Config { nodes: 2, entities: 0, edges_per_entity: 0 });
    w.spawn(0, fx::ZERO);
    w.spawn(0, fx::ZERO);
    assert!(systems::topology(&mut w).is_empty(), "loads 2, 0 differ by 2: no move");
    let e = w.spawn(0, fx::ZERO);
    assert_eq!(e.index, 2);
    let moved = systems::topology(&mut w);
    assert_eq!(moved.len(), 1, "loads 3, 0 differ by 3: one move");
    assert_eq!((moved[0].entity.index, moved[0].from, moved[0].to), (0, 0, 1), "the lowest id moves");
    assert!(systems::topology(&mut w).is_empty(), "loads 2, 1");
}

/// Ties go to the lower node number, for the busiest node and for the idlest.
#[test]
fn topology_breaks_ties_by_the_lower_node_number() {
    // loads 3, 3, 0, 0: from node 0 (not 1) to node 2 (not 3)
    let mut w = World::new(1, Config { nodes: 4, entities: 0, edges_per_entity: 0 });
    for node in [0, 0, 0, 1, 1, 1] {
        w.spawn(node, fx::ZERO);
    }
    let moved = systems::topology(&mut w);
    assert_eq!(moved.len(), 1);
    assert_eq!((moved[0].entity.index, moved[0].from, moved[0].to), (0, 0, 2));
    // now 2, 3, 1, 0: from node 1 to node 3
    let moved = systems::topology(&mut w);
    assert_eq!((moved[0].entity.index, moved[0].from, moved[0].to), (3, 1, 3));
}

// =====================================================================
// Arbiter planning (REPAIR 0.1, OPT_GAIN 0.1) and pid_stable (Lyapunov V)
// =====================================================================

/// 0.1 and 1e-4 as I32F32 bits (floor).
const TENTH: i64 = 429_496_729;
const V_REST: i64 = 429_496;
/// The previous-error component of a live slot.
const PREV_ERROR: usize = 3;

fn world_of(entities: u32) -> World {
    World::new(5, Config { nodes: 1, entities, edges_per_entity: 0 })
}

fn plan(w: &World, coherence: i64, stability: i64, alerts: u32) -> Plan {
    let m = Metrics { coherence: fx_bits(coherence), stability: fx_bits(stability), ..Metrics::default() };
    systems::plan(w, &m, Fx::from_num(alerts), &mut Sat::default())
}

#[test]
fn plan_repairs_from_exactly_a_tenth_of_the_entities_alerted() {
    // urgency = alerts / entities: 1 of 10 is 0.1 (the threshold, both floored), 1 of 11 is below
    let p = plan(&world_of(10), ONE, 0, 1);
    assert_eq!((p.action, bits(p.urgency)), (PlanAction::Repair, TENTH));
    let p = plan(&world_of(11), ONE, 0, 1);
    assert_eq!((p.action, bits(p.urgency)), (PlanAction::Hold, ONE / 11));
    // repair comes before optimisation, and urgency is capped at 1
    let p = plan(&world_of(2), 0, 0, 5);
    assert_eq!((p.action, bits(p.urgency), bits(p.gain)), (PlanAction::Repair, ONE, ONE));
    // no entities: no urgency
    assert_eq!(bits(plan(&world_of(0), ONE, 0, 3).urgency), 0);
}

#[test]
fn plan_optimises_from_an_expected_gain_of_exactly_a_tenth() {
    let w = world_of(4);
    // gain = (1 − coherence) · (1 − min(1, mean |error|))
    let p = plan(&w, ONE - TENTH, 0, 0);
    assert_eq!((p.action, bits(p.gain)), (PlanAction::Optimize, TENTH));
    let p = plan(&w, ONE - TENTH + 1, 0, 0);
    assert_eq!((p.action, bits(p.gain)), (PlanAction::Hold, TENTH - 1));
    // half the coherence left, half the control off: a quarter
    let p = plan(&w, ONE / 2, ONE / 2, 0);
    assert_eq!((p.action, bits(p.gain)), (PlanAction::Optimize, ONE / 4));
    // control fully off (mean |error| ≥ 1): nothing to gain
    let p = plan(&w, 0, 3 * ONE, 0);
    assert_eq!((p.action, bits(p.gain)), (PlanAction::Hold, 0));
}

/// The world with the previous errors of its slots set (as I32F32 bits).
fn with_errors(w: &World, errors: &[i64]) -> World {
    let mut w = w.clone();
    for (i, e) in errors.iter().enumerate() {
        w = set_component(&w, i, PREV_ERROR, *e);
    }
    w
}

#[test]
fn lyapunov_v_is_the_mean_half_square_error_and_stable_when_it_falls_or_rests() {
    let w = with_errors(&world_of(2), &[ONE, 0]);
    // (1² + 0²) / 2 entities / 2 = 0.25; a world's first tick has ΔV 0, and 0.25 is not at rest
    let l: Lyapunov = systems::lyapunov(&w);
    assert_eq!((bits(l.v), bits(l.dv), l.stable), (ONE / 4, 0, false));
    // the arbiter keeps V in the world; the next tick's ΔV is against it
    let (_, _, l1, _, after) = arbitrate_all(&w, Metrics::default(), 0);
    assert_eq!(l1, l);
    let falling = with_errors(&after, &[ONE / 2, -ONE / 2]);
    let l2 = systems::lyapunov(&falling);
    assert_eq!((bits(l2.v), bits(l2.dv), l2.stable), (ONE / 8, -ONE / 8, true));
    let rising = with_errors(&after, &[2 * ONE, 0]);
    let l3 = systems::lyapunov(&rising);
    assert_eq!((bits(l3.v), bits(l3.dv), l3.stable), (ONE, 3 * ONE / 4, false));
    // at rest: V ≤ 1e-4 is stable whatever ΔV is (one entity, V = e² / 2)
    let one = world_of(1);
    let rest = systems::lyapunov(&with_errors(&one, &[60_739_959]));
    assert_eq!((bits(rest.v), rest.stable), (V_REST, true));
    let above = systems::lyapunov(&with_errors(&one, &[60_740_030]));
    assert_eq!((bits(above.v), above.stable), (V_REST + 1, false));
    // no live entity: V = 0
    assert_eq!(bits(systems::lyapunov(&world_of(0)).v), 0);
}

#[test]
fn decision_pulse_plan_and_v_are_in_the_world_and_its_hash() {
    let w = with_errors(&world_of(2), &[ONE, 0]);
    let b0 = w.encode();
    assert_eq!(b0[4], 2, "OMGW version 2");
    assert!(b0[ARBITER_AT..ARBITER_AT + 42].iter().all(|x| *x == 0), "no tick yet: the record is all zero");
    let (d, p, l, m, after) = arbitrate_all(&w, metrics(false, fx::ZERO, false, true), 0);
    let b = after.encode();
    assert_eq!(b[ARBITER_AT], match d { Decision::Quarantine => 1, Decision::Alert => 2, Decision::Balance => 3, Decision::Optimize => 4 });
    assert_eq!(get_i64(&b, ARBITER_AT + 1), bits(m.pulse));
    assert_eq!(b[ARBITER_AT + 9], match p.action { PlanAction::Hold => 1, PlanAction::Repair => 2, PlanAction::Optimize => 3 });
    assert_eq!([get_i64(&b, ARBITER_AT + 10), get_i64(&b, ARBITER_AT + 18), get_i64(&b, ARBITER_AT + 26), get_i64(&b, ARBITER_AT + 34)], [bits(p.urgency), bits(p.gain), bits(l.v), bits(l.dv)]);
    // the same world with another decision recorded has another hash
    let mut other = b.clone();
    other[ARBITER_AT] = if b[ARBITER_AT] == 4 { 3 } else { 4 };
    let other = World::restore(&other).expect("another decision restores");
    assert_ne!(other.state_hash(), after.state_hash());
    // a record no tick writes is refused: a code out of range, a plan without a decision, leftovers before the first tick
    for (at, v) in [(ARBITER_AT, 5u8), (ARBITER_AT + 9, 0), (ARBITER_AT + 9, 4)] {
        let mut bad = b.clone();
        bad[at] = v;
        assert!(World::restore(&bad).is_err(), "byte {at} = {v}");
    }
    let mut bad = b0.clone();
    bad[ARBITER_AT + 12] = 1;
    assert!(World::restore(&bad).is_err(), "urgency without a tick");
}

#[test]
fn a_version_1_snapshot_still_restores_with_no_arbiter_record() {
    let (_, _, _, _, after) = arbitrate_all(&with_errors(&world_of(3), &[ONE, ONE, 0]), Metrics::default(), 0);
    let v2 = after.encode();
    let mut v1 = v2[..ARBITER_AT].to_vec();
    v1[4] = 1;
    v1.extend_from_slice(&v2[ARBITER_AT + 42..]);
    let w = World::restore(&v1).expect("a version-1 snapshot restores");
    let again = w.encode();
    assert_eq!(again[4], 2);
    assert!(again[ARBITER_AT..ARBITER_AT + 42].iter().all(|x| *x == 0), "read as no tick yet");
    assert_eq!(again[ARBITER_AT + 42..], v2[ARBITER_AT + 42..], "everything else as it was");
    // so its first tick has ΔV 0
    assert_eq!(bits(systems::lyapunov(&w).dv), 0);
}
