//! The fixed-point transcendentals against f64 references: the documented
//! error bounds, exact square roots, and saturation counting. The floats live
//! here, in a test, never in core's state path (core/src has none).
#![allow(clippy::float_arithmetic, clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
use omega_core::ecs::fx::*;

fn f(x: Fx) -> f64 {
    x.to_num::<f64>()
}

fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = Fx> {
    (0..=n).map(move |i| Fx::from_num(lo + (hi - lo) * i as f64 / n as f64))
}

#[test]
fn constants() {
    assert!((f(LN2) - core::f64::consts::LN_2).abs() < 1e-9);
    assert!((f(PI) - core::f64::consts::PI).abs() < 1e-9);
    assert!((f(TAU) - core::f64::consts::TAU).abs() < 1e-9);
    assert!((f(FRAC_PI_2) - core::f64::consts::FRAC_PI_2).abs() < 1e-9);
    assert_eq!(ratio(1, 4), Fx::from_num(0.25));
}

#[test]
fn sqrt_is_the_exact_floor() {
    let mut s = Sat::default();
    for x in grid(0.0, 2.0e6, 5000).chain(grid(0.0, 1e-3, 1000)) {
        let r = sqrt(x, &mut s);
        // exact: r² ≤ x < (r + 2^-32)², in integer units of 2^-64
        let (rb, xb) = (r.to_bits() as u128, (x.to_bits() as u128) << 32);
        assert!(rb * rb <= xb && (rb + 1) * (rb + 1) > xb, "{x}");
        assert!((f(r) - f(x).sqrt()).abs() <= 2.4e-10 + 1e-12 * f(x).sqrt());
    }
    assert_eq!(s.0, 0);
    sqrt(Fx::from_num(-1), &mut s);
    assert_eq!(s.0, 1);
}

#[test]
fn exp_ln_within_bounds() {
    let mut s = Sat::default();
    for x in grid(-22.0, 21.0, 20000) {
        let got = f(exp(x, &mut s));
        let want = f(x).exp();
        assert!((got - want).abs() <= 1e-8 * want.max(1.0), "exp({x}) = {got}, want {want}");
    }
    assert_eq!(s.0, 0);
    assert_eq!(exp(Fx::from_num(22), &mut s), Fx::MAX);
    assert_eq!(s.0, 1);
    for x in grid(1e-6, 1000.0, 20000).chain(grid(1e-9, 1e-3, 2000)).chain(grid(1e5, 2.0e9, 2000)) {
        if x <= ZERO {
            continue;
        }
        let got = f(ln(x, &mut s));
        let want = f(x).ln();
        assert!((got - want).abs() <= 2e-9, "ln({x}) = {got}, want {want}");
    }
    assert_eq!(ln(ZERO, &mut s), Fx::MIN);
}

#[test]
fn sin_cos_sigmoid_within_bounds() {
    for x in grid(-1000.0, 1000.0, 40000).chain(grid(-7.0, 7.0, 10000)) {
        assert!((f(sin(x)) - f(x).sin()).abs() <= 2e-9, "sin({x})");
        assert!((f(cos(x)) - f(x).cos()).abs() <= 2e-9, "cos({x})");
    }
    for x in grid(-40.0, 40.0, 20000) {
        let want = 1.0 / (1.0 + (-f(x)).exp());
        assert!((f(sigmoid(x)) - want).abs() <= 2e-9, "sigmoid({x})");
    }
    assert_eq!(sigmoid(Fx::MAX), ONE);
    assert_eq!(sigmoid(Fx::MIN), ZERO);
}

#[test]
fn saturation_is_counted() {
    let mut s = Sat::default();
    assert_eq!(add(Fx::MAX, ONE, &mut s), Fx::MAX);
    assert_eq!(mul(Fx::MAX, Fx::from_num(2), &mut s), Fx::MAX);
    assert_eq!(div(ONE, ZERO, &mut s), Fx::MAX);
    assert_eq!(div(ZERO, ZERO, &mut s), ZERO);
    assert_eq!(s.0, 4);
}

/// The table sine, densely: within half a unit of the last place and a bit
/// (2^-32 ≈ 2.3e-10, plus the table and series' 3e-12) of f64's sine, over
/// [-2π, 2π] in 2,000,001 steps, so across every grid point and midpoint of
/// the 65-point table many times over.
#[test]
fn sin_is_within_a_last_place_everywhere() {
    let mut worst = 0f64;
    for x in grid(-core::f64::consts::TAU, core::f64::consts::TAU, 2_000_000) {
        let e = (f(sin(x)) - f(x).sin()).abs();
        worst = worst.max(e);
    }
    assert!(worst <= 2.4e-10, "worst sin error {worst:e}");
}
