//! The systems, plain functions over the world, run every tick in this
//! fixed order: sensors → signal → PID → safety → field → topology → arbiter.
//! Iteration is always by slot index (entity id); edges in (a, b) order.
use super::fx::{self, Fx, Sat};
use super::world::{Alert, ArbiterRecord, Decision, Entity, Lyapunov, Metrics, Migration, Plan, PlanAction, World, rand_unit};
use crate::event::sample::SplitMix64;
use alloc::vec;
use alloc::vec::Vec;

/// Integration step: 1/64 tick (a power of two, so exact in fixed point).
pub const DT: Fx = fx::ratio(1, 64);
/// PID gains (the original constants).
pub const KP: Fx = fx::ratio(6, 10);
/// Integral gain.
pub const KI: Fx = fx::ratio(1, 10);
/// Derivative gain.
pub const KD: Fx = fx::ratio(5, 100);
/// Anti-windup: the integral stays in [-1, 1].
pub const INTEGRAL_CLAMP: Fx = fx::ONE;
/// ε-reset: |error| below this resets the integral.
pub const EPSILON: Fx = fx::ratio(1, 10_000);
/// Safety: energy (output²) per command at most 10.
pub const MAX_ENERGY: Fx = fx::ratio(10, 1);
/// Safety: field amplitude at most 1000 in magnitude.
pub const MAX_AMPLITUDE: Fx = fx::ratio(1000, 1);
/// Sensor noise amplitude: uniform in [-0.01, 0.01].
pub const NOISE: Fx = fx::ratio(1, 100);
/// Field damping.
pub const DAMPING: Fx = fx::ratio(1, 10);
/// Kuramoto coupling strength.
pub const COUPLING: Fx = fx::ratio(1, 2);
/// Topology: migrate when the most and least loaded nodes differ by more than this.
pub const MIGRATION_THRESHOLD: u32 = 2;
/// Arbiter thresholds.
pub const THREAT_QUARANTINE: Fx = fx::ratio(85, 100);
/// ALERT at or above this threat.
pub const THREAT_ALERT: Fx = fx::ratio(60, 100);
/// BALANCE when the mean |error| is above this.
pub const STABILITY_THRESHOLD: Fx = fx::ratio(25, 100);
/// Pulse: T1 = 0.001, k = 4 flows, ln U = 4 (U = e^4), T_threshold = 0.02.
pub const T1: Fx = fx::ratio(1, 1000);
/// k in the pulse formula.
pub const K_FLOWS: u32 = 4;
/// ln U.
pub const LN_U: Fx = fx::ratio(4, 1);
/// The genomic PID's threshold.
pub const T_THRESHOLD: Fx = fx::ratio(2, 100);
/// The pulse's lower bound.
pub const T_MIN: Fx = fx::ratio(1, 1_000_000);
/// Plan a repair when the repair urgency is at least this (VENOM's REPAIR_THRESHOLD).
pub const REPAIR_THRESHOLD: Fx = fx::ratio(1, 10);
/// Plan an optimisation when its expected gain is at least this (VENOM's OPT_GAIN_THRESHOLD).
pub const OPT_GAIN_THRESHOLD: Fx = fx::ratio(1, 10);
/// The PIDs are at rest when V is at most this (rms error about 0.014, above
/// the sensor noise's floor of about 0.006): `pid_stable` then holds whatever ΔV is.
pub const V_REST: Fx = fx::ratio(1, 10_000);

/// Sensors: each live entity reads its field amplitude plus seeded noise in
/// [-0.01, 0.01]; an injected reading replaces the sensed one for this tick.
pub fn sensors(w: &mut World, injected: &[(usize, Fx)]) {
    let mut rng = SplitMix64::new(w.rng);
    for i in 0..w.alive.len() {
        if w.alive[i] {
            let noise = (rand_unit(&mut rng) * 2 - fx::ONE) * NOISE;
            w.reading[i] = w.amp[i].saturating_add(noise);
        }
    }
    w.rng = rng.state();
    for &(i, v) in injected {
        w.reading[i] = v;
    }
}

/// Signal engine: entropy of the readings (16-bin histogram over their
/// range, in nats), coherence (Kuramoto order parameter of the phases) and
/// resonance (mean oscillator energy).
pub fn signal(w: &World, s: &mut Sat) -> Metrics {
    let live: Vec<usize> = (0..w.alive.len()).filter(|&i| w.alive[i]).collect();
    let mut m = Metrics::default();
    if live.is_empty() {
        return m;
    }
    let n = Fx::from_num(live.len() as u32);
    // entropy
    let (mut lo, mut hi) = (Fx::MAX, Fx::MIN);
    for &i in &live {
        lo = lo.min(w.reading[i]);
        hi = hi.max(w.reading[i]);
    }
    let mut bins = [0u32; 16];
    let span = fx::sub(hi, lo, s);
    for &i in &live {
        let b = if span == fx::ZERO { 0 } else { (fx::div(fx::sub(w.reading[i], lo, s), span, s) * 16).to_num::<i64>().clamp(0, 15) as usize };
        bins[b] += 1;
    }
    let mut h = fx::ZERO;
    for &c in &bins {
        if c > 0 {
            let p = fx::div(Fx::from_num(c), n, s);
            h = fx::sub(h, fx::mul(p, fx::ln(p, s), s), s);
        }
    }
    m.entropy = h.max(fx::ZERO);
    // coherence
    let (mut cs, mut sn) = (fx::ZERO, fx::ZERO);
    for &i in &live {
        cs = fx::add(cs, fx::cos(w.phase[i]), s);
        sn = fx::add(sn, fx::sin(w.phase[i]), s);
    }
    let (cs, sn) = (fx::div(cs, n, s), fx::div(sn, n, s));
    m.coherence = fx::clamp(fx::sqrt(fx::add(fx::mul(cs, cs, s), fx::mul(sn, sn, s), s), s), fx::ZERO, fx::ONE);
    // resonance
    let mut e = fx::ZERO;
    for &i in &live {
        let k = fx::add(fx::mul(w.amp[i], w.amp[i], s), fx::mul(w.vel[i], w.vel[i], s), s);
        e = fx::add(e, k / 2, s);
    }
    m.resonance = fx::div(e, n, s);
    m
}

/// Adaptive PID per entity on error = target − reading: Kp 0.6, Ki 0.1,
/// Kd 0.05, integral clamped to [−1, 1] (anti-windup), reset when
/// |error| < 1e-4. Returns the mean |error|.
pub fn pid(w: &mut World, s: &mut Sat) -> Fx {
    let (mut total, mut n) = (fx::ZERO, 0u32);
    for i in 0..w.alive.len() {
        if !w.alive[i] {
            continue;
        }
        let e = fx::sub(w.target[i], w.reading[i], s);
        let ae = fx::abs(e, s);
        w.integral[i] = if ae < EPSILON {
            fx::ZERO
        } else {
            fx::clamp(fx::add(w.integral[i], fx::mul(e, DT, s), s), -INTEGRAL_CLAMP, INTEGRAL_CLAMP)
        };
        let d = fx::div(fx::sub(e, w.prev_error[i], s), DT, s);
        let out = fx::add(fx::add(fx::mul(KP, e, s), fx::mul(KI, w.integral[i], s), s), fx::mul(KD, d, s), s);
        w.output[i] = out;
        w.prev_error[i] = e;
        total = fx::add(total, ae, s);
        n += 1;
    }
    if n == 0 { fx::ZERO } else { fx::div(total, Fx::from_num(n), s) }
}

/// Safety kernel: a command's energy (output²) is at most 10 and a field
/// amplitude at most 1000 in magnitude; violations are clamped and alerted.
pub fn safety(w: &mut World, s: &mut Sat) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let max_out = fx::sqrt(MAX_ENERGY, s);
    for i in 0..w.alive.len() {
        if !w.alive[i] {
            continue;
        }
        let entity = Entity { index: i as u32, generation: w.generation[i] };
        let energy = fx::mul(w.output[i], w.output[i], s);
        if energy > MAX_ENERGY {
            alerts.push(Alert { kind: "energy", entity, value: energy });
            w.output[i] = if w.output[i] < fx::ZERO { -max_out } else { max_out };
        }
        if fx::abs(w.amp[i], s) > MAX_AMPLITUDE {
            alerts.push(Alert { kind: "amplitude", entity, value: w.amp[i] });
            w.amp[i] = fx::clamp(w.amp[i], -MAX_AMPLITUDE, MAX_AMPLITUDE);
        }
    }
    alerts
}

/// Field engine: each entity is a damped oscillator driven by its control
/// output and coupled to its neighbours through the graph Laplacian
/// (amplitude diffusion, Σ w (x_j − x_i)); phases follow Kuramoto coupling
/// (Σ w sin(θ_j − θ_i)). Semi-implicit Euler with dt = 1/64.
pub fn field(w: &mut World, s: &mut Sat) {
    let slots = w.alive.len();
    let mut lap = vec![fx::ZERO; slots];
    let mut dphase = vec![fx::ZERO; slots];
    for e in w.edges.refresh() {
        let (a, b) = (e.a as usize, e.b as usize);
        let flow = fx::mul(e.weight, fx::sub(w.amp[b], w.amp[a], s), s);
        lap[a] = fx::add(lap[a], flow, s);
        lap[b] = fx::sub(lap[b], flow, s);
        // COUPLING · weight, computed once per edge (it cannot saturate)
        let pull = fx::mul(e.coupled, fx::sin(fx::sub(w.phase[b], w.phase[a], s)), s);
        dphase[a] = fx::add(dphase[a], pull, s);
        dphase[b] = fx::sub(dphase[b], pull, s);
    }
    for i in 0..slots {
        if !w.alive[i] {
            continue;
        }
        let omega2 = fx::mul(w.freq[i], w.freq[i], s);
        let spring = fx::mul(omega2, w.amp[i], s);
        let damp = fx::mul(DAMPING, w.vel[i], s);
        let acc = fx::add(fx::sub(fx::sub(w.output[i], spring, s), damp, s), lap[i], s);
        w.vel[i] = fx::add(w.vel[i], fx::mul(acc, DT, s), s);
        w.amp[i] = fx::add(w.amp[i], fx::mul(w.vel[i], DT, s), s);
        let mut ph = fx::add(w.phase[i], fx::mul(fx::add(w.freq[i], dphase[i], s), DT, s), s);
        // wrap into [0, 2π)
        ph = ph.rem_euclid(fx::TAU);
        w.phase[i] = ph;
    }
}

/// Topology scheduler: when the most loaded node holds more than
/// `MIGRATION_THRESHOLD` entities beyond the least loaded one, its lowest-id
/// entity moves there (ties broken by the lower node number). One move a tick.
pub fn topology(w: &mut World) -> Vec<Migration> {
    let mut load = vec![0u32; w.nodes as usize];
    for i in 0..w.alive.len() {
        if w.alive[i] {
            load[w.node[i] as usize] += 1;
        }
    }
    let (mut hi, mut lo) = (0usize, 0usize);
    for (n, &l) in load.iter().enumerate() {
        if l > load[hi] {
            hi = n;
        }
        if l < load[lo] {
            lo = n;
        }
    }
    if load[hi] - load[lo] <= MIGRATION_THRESHOLD {
        return Vec::new();
    }
    match (0..w.alive.len()).find(|&i| w.alive[i] && w.node[i] as usize == hi) {
        Some(i) => {
            w.node[i] = lo as u32;
            vec![Migration { entity: Entity { index: i as u32, generation: w.generation[i] }, from: hi as u32, to: lo as u32 }]
        }
        None => Vec::new(),
    }
}

/// The T_Λ pulse: T1 ln U / (1 − 1/(kP)) for kP > 1, else the lower bound.
pub fn pulse(nodes: u32, s: &mut Sat) -> Fx {
    let kp = K_FLOWS.saturating_mul(nodes);
    if kp <= 1 {
        return T_MIN;
    }
    let denom = fx::sub(fx::ONE, fx::div(fx::ONE, Fx::from_num(kp), s), s);
    fx::div(fx::mul(T1, LN_U, s), denom, s).max(T_MIN)
}

/// Arbiter: four advisors — R (resonance), B (balance: mean |error|),
/// E (entropy, normalised by ln 16), O (optimisation: 1 − coherence) —
/// combined with weights that sum to 1 into a logistic threat score
/// threat = sigmoid(6 (Σ wₖ scoreₖ) − 3 + alerts / 2). Then QUARANTINE at
/// threat ≥ 0.85, ALERT ≥ 0.60, BALANCE when the mean |error| > 0.25, else
/// OPTIMIZE. The genome evolves: the O weight moves by the genomic PID's
/// output on ΔT = T_Λ − 0.02 (limited to ±0.05); when threat > 0.5 the E
/// weight becomes 0.15 · threat · e^(−t/50) · (1 − O/0.3); then all four are
/// normalised to sum 1.
///
/// Then it plans ([`plan`]) and takes the PIDs' Lyapunov candidate
/// ([`lyapunov`]), and keeps decision, pulse, plan and V in the world's
/// arbiter record, so they are in the world's hash.
pub fn arbiter(w: &mut World, m: &mut Metrics, alerts: usize, s: &mut Sat) -> (Decision, Plan, Lyapunov) {
    let ln16 = fx::ln(Fx::from_num(16), s);
    let scores = [
        fx::sigmoid(fx::sub(m.resonance, fx::ONE, s)),
        fx::clamp(m.stability, fx::ZERO, fx::ONE),
        fx::clamp(fx::div(m.entropy, ln16, s), fx::ZERO, fx::ONE),
        fx::sub(fx::ONE, m.coherence, s),
    ];
    let mut z = fx::ZERO;
    for (wk, sk) in w.weights.iter().zip(scores) {
        z = fx::add(z, fx::mul(*wk, sk, s), s);
    }
    let alerts = Fx::from_num(alerts.min(1 << 20) as u32);
    let z = fx::add(fx::sub(fx::mul(Fx::from_num(6), z, s), Fx::from_num(3), s), alerts / 2, s);
    let threat = fx::sigmoid(z);
    m.threat = threat;
    m.pulse = pulse(w.nodes, s);
    let decision = if threat >= THREAT_QUARANTINE {
        Decision::Quarantine
    } else if threat >= THREAT_ALERT {
        Decision::Alert
    } else if m.stability > STABILITY_THRESHOLD {
        Decision::Balance
    } else {
        Decision::Optimize
    };
    // genome evolution
    let dt_err = fx::sub(m.pulse, T_THRESHOLD, s);
    w.gpid_integral = if fx::abs(dt_err, s) < EPSILON {
        fx::ZERO
    } else {
        fx::clamp(fx::add(w.gpid_integral, dt_err, s), -INTEGRAL_CLAMP, INTEGRAL_CLAMP)
    };
    let deriv = fx::sub(dt_err, w.gpid_prev, s);
    w.gpid_prev = dt_err;
    let out = fx::add(fx::add(fx::mul(KP, dt_err, s), fx::mul(KI, w.gpid_integral, s), s), fx::mul(KD, deriv, s), s);
    let delta_o = fx::clamp(out, -fx::ratio(5, 100), fx::ratio(5, 100));
    let mut wts = w.weights;
    wts[3] = fx::add(wts[3], delta_o, s).max(fx::ZERO);
    if threat > fx::ratio(1, 2) {
        let t = Fx::from_num(w.tick.min(1 << 30) as u32);
        let decay = fx::exp(-fx::div(t, Fx::from_num(50), s), s);
        let e = fx::mul(fx::mul(fx::mul(fx::ratio(15, 100), threat, s), decay, s), fx::sub(fx::ONE, fx::div(wts[3], fx::ratio(3, 10), s), s), s);
        wts[2] = e.max(fx::ZERO);
    }
    let mut total = fx::ZERO;
    for x in wts {
        total = fx::add(total, x, s);
    }
    if total > fx::ZERO {
        for x in &mut wts {
            *x = fx::div(*x, total, s);
        }
    } else {
        wts = [fx::ratio(1, 4); 4];
    }
    w.weights = wts;
    m.weights = wts;
    let p = plan(w, m, alerts, s);
    let l = lyapunov(w);
    w.arbiter = ArbiterRecord { decision: decision.code(), pulse: m.pulse, plan: p.action.code(), urgency: p.urgency, gain: p.gain, v: l.v, dv: l.dv };
    (decision, p, l)
}

/// The arbiter's plan for the tick (VENOM's RegenCore and OptimizeCore):
/// repair urgency = the share of live entities a safety clamp hit
/// (`alerts` / entities, in [0, 1]; 0 without entities); expected gain of
/// optimising = (1 − coherence) · (1 − min(1, mean |error|)): the coherence
/// left to win, discounted by how far control is off. REPAIR when urgency
/// ≥ 0.1, else OPTIMIZE when gain ≥ 0.1, else HOLD.
pub fn plan(w: &World, m: &Metrics, alerts: Fx, s: &mut Sat) -> Plan {
    let n = w.len();
    let urgency = if n == 0 { fx::ZERO } else { fx::clamp(fx::div(alerts, Fx::from_num(n), s), fx::ZERO, fx::ONE) };
    let off = fx::clamp(m.stability, fx::ZERO, fx::ONE);
    let gain = fx::clamp(fx::mul(fx::sub(fx::ONE, m.coherence, s), fx::sub(fx::ONE, off, s), s), fx::ZERO, fx::ONE);
    let action = if urgency >= REPAIR_THRESHOLD {
        PlanAction::Repair
    } else if gain >= OPT_GAIN_THRESHOLD {
        PlanAction::Optimize
    } else {
        PlanAction::Hold
    };
    Plan { action, urgency, gain }
}

/// The Lyapunov candidate of the entity PIDs after the tick: V = mean over
/// live entities of e² / 2, e being the tick's control error (the PID's
/// previous error, which it has just set), summed exactly (in 128 bits) and
/// saturated to I32F32 only at the end; ΔV against the V the world kept from
/// the tick before (0 when it kept none). `pid_stable` when ΔV < 0 or V ≤ 1e-4.
pub fn lyapunov(w: &World) -> Lyapunov {
    let mut sum: i128 = 0;
    let mut n: i128 = 0;
    for (e, alive) in w.prev_error.iter().zip(&w.alive) {
        if *alive {
            let b = i128::from(e.to_bits());
            // e² in 64 fraction bits; halved and brought back to 32 below
            sum = sum.saturating_add(b.saturating_mul(b));
            n += 1;
        }
    }
    let v_bits = if n == 0 { 0 } else { (sum / n) >> 33 };
    let v = Fx::from_bits(i64::try_from(v_bits).unwrap_or(i64::MAX));
    let dv = if w.arbiter.decision == 0 { fx::ZERO } else { v.saturating_sub(w.arbiter.v) };
    Lyapunov { v, dv, stable: dv < fx::ZERO || v <= V_REST }
}
