//! Fixed-point arithmetic for the world: `Fx` is `I32F32` (32 integer bits,
//! 32 fraction bits; range about ±2.1e9, resolution 2^-32 ≈ 2.3e-10).
//!
//! Overflow policy: every operation that can overflow **saturates** to the
//! nearest bound and counts the event in a [`Sat`] counter that the tick
//! report carries, so a saturating world is visible, never silent, and still
//! deterministic. Division by zero saturates to the bound of the dividend's
//! sign (0 / 0 gives 0) and counts too.
//!
//! Transcendentals are written once here, integer-only, with these error
//! bounds (checked against floating-point references over the stated domains in `core/tests/fx.rs`):
//!
//! | function | domain | max abs error |
//! |----------|--------|---------------|
//! | `sqrt`   | x ≥ 0 (negative → 0, counted) | 2^-32 (exact floor) |
//! | `exp`    | x ≤ 21 (above saturates) | 1e-8 × max(1, e^x) |
//! | `ln`     | x > 0 (x ≤ 0 → MIN, counted) | 2e-9 |
//! | `sin`, `cos` | any | 2e-9 |
//! | `sigmoid` | any | 2e-9 |
pub use fixed::types::I32F32 as Fx;

/// Saturation counter: how many operations hit a bound.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sat(pub u64);

impl Sat {
    fn hit(&mut self) {
        self.0 = self.0.saturating_add(1);
    }
}

/// The fixed-point value of `n / d` (rounded toward zero), for constants.
pub const fn ratio(n: i64, d: i64) -> Fx {
    Fx::from_bits(((n as i128) << 32).wrapping_div(d as i128) as i64)
}

/// 0.
pub const ZERO: Fx = Fx::ZERO;
/// 1.
pub const ONE: Fx = Fx::ONE;
/// ln 2.
pub const LN2: Fx = Fx::from_bits(0xB172_17F8); // 0.693147180...
/// π.
pub const PI: Fx = Fx::from_bits(0x3_243F_6A89); // 3.14159265...
/// 2π.
pub const TAU: Fx = Fx::from_bits(0x6_487E_D511);
/// π/2.
pub const FRAC_PI_2: Fx = Fx::from_bits(0x1_921F_B544);

/// a + b, saturating.
#[inline]
pub fn add(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    a.checked_add(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_add(b)
    })
}

/// a - b, saturating.
#[inline]
pub fn sub(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    a.checked_sub(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_sub(b)
    })
}

/// a × b, saturating (rounded toward negative infinity in the last bit, as
/// `fixed`'s `checked_mul` and `saturating_mul` do: a property test checks
/// it is their result bit for bit).
#[inline]
pub fn mul(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    let (hi, lo) = wide(a.to_bits(), b.to_bits());
    // The product has 64 fraction bits; the result is bits 32..96, which fit
    // an i64 when bits 95..128 are all equal (hi >> 31 is 0 or -1).
    match hi >> 31 {
        0 | -1 => Fx::from_bits(((hi as u64) << 32 | lo >> 32) as i64),
        _ => {
            s.hit();
            if hi < 0 { Fx::MIN } else { Fx::MAX }
        }
    }
}

/// The 128-bit product of `x` and `y` as (high, low) halves: `x as i128 * y as i128`.
///
/// On 64-bit targets that is one widening multiply; wasm32 has none, and there
/// an `i128` product is a call to a general 128 × 128 library routine, so
/// there it is four 32 × 32 → 64 products, inline (`wide_limbs`; a property
/// test checks both give the same bits).
#[inline]
pub(crate) fn wide(x: i64, y: i64) -> (i64, u64) {
    #[cfg(target_pointer_width = "64")]
    {
        let p = x as i128 * y as i128;
        ((p >> 64) as i64, p as u64)
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        wide_limbs(x, y)
    }
}

/// [`wide`] from 32-bit limbs: the unsigned product, then the sign corrections.
#[inline]
#[cfg_attr(target_pointer_width = "64", allow(dead_code))]
pub(crate) fn wide_limbs(x: i64, y: i64) -> (i64, u64) {
    let (a, b) = (x as u64, y as u64);
    let (a0, a1, b0, b1) = (a & 0xffff_ffff, a >> 32, b & 0xffff_ffff, b >> 32);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // below 3 × 2^32: no overflow
    let mid = (p00 >> 32) + (p01 & 0xffff_ffff) + (p10 & 0xffff_ffff);
    let lo = (p00 & 0xffff_ffff) | (mid << 32);
    let mut hi = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    // two's complement: x·y = a·b − 2^64 (x < 0 ? b : 0) − 2^64 (y < 0 ? a : 0), mod 2^128
    if x < 0 {
        hi = hi.wrapping_sub(b);
    }
    if y < 0 {
        hi = hi.wrapping_sub(a);
    }
    (hi as i64, lo)
}

/// `((x as i128 * y as i128) >> sh) as i64` for `0 < sh < 64`, through [`wide`].
#[inline]
fn mul_shr(x: i64, y: i64, sh: u32) -> i64 {
    let (hi, lo) = wide(x, y);
    ((hi as u64) << (64 - sh) | lo >> sh) as i64
}

/// a / b, saturating; b = 0 saturates (0 / 0 is 0).
pub fn div(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    if b == ZERO {
        s.hit();
        return if a > ZERO { Fx::MAX } else if a < ZERO { Fx::MIN } else { ZERO };
    }
    a.checked_div(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_div(b)
    })
}

/// Clamps x to [lo, hi].
pub fn clamp(x: Fx, lo: Fx, hi: Fx) -> Fx {
    if x < lo { lo } else if x > hi { hi } else { x }
}

/// |x|, saturating (|MIN| is MAX).
pub fn abs(x: Fx, s: &mut Sat) -> Fx {
    x.checked_abs().unwrap_or_else(|| {
        s.hit();
        Fx::MAX
    })
}

/// 2^62 / n for n in 0..64 (index 0 unused): series terms multiply by these
/// instead of dividing (128-bit division is a slow library call).
const RECIP: [i128; 64] = {
    let mut t = [0i128; 64];
    let mut n = 1;
    while n < 64 {
        t[n] = (1i128 << 62) / n as i128;
        n += 1;
    }
    t
};

fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // Newton's method from a power-of-two start above the root: monotone decreasing.
    let mut x = 1u128 << (128 - n.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + n / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// √x, the exact floor in 2^-32 steps; x < 0 gives 0 and counts.
pub fn sqrt(x: Fx, s: &mut Sat) -> Fx {
    if x < ZERO {
        s.hit();
        return ZERO;
    }
    let bits = x.to_bits() as u128; // x ≥ 0
    Fx::from_bits(isqrt_u128(bits << 32) as i64)
}

/// e^x. Saturates (and counts) above ln(MAX) ≈ 21.49; tiny results round to 0.
pub fn exp(x: Fx, s: &mut Sat) -> Fx {
    if x > ratio(2149, 100) {
        s.hit();
        return Fx::MAX;
    }
    if x < ratio(-23, 1) {
        return ZERO; // below 2^-33
    }
    // x = k ln2 + r, |r| <= ln2 / 2
    let k = (x / LN2).round().to_num::<i32>();
    let r = x - LN2 * Fx::from_num(k);
    // Taylor series of e^r in I2F62-like precision: use i128 with 62 fraction bits.
    const F: u32 = 62;
    let r62 = (r.to_bits() as i128) << (F - 32);
    let one = 1i128 << F;
    let mut term = one;
    let mut sum = one;
    for n in 1..=20usize {
        term = ((term * r62 >> F) * RECIP[n]) >> F;
        if term == 0 {
            break;
        }
        sum += term;
    }
    // scale by 2^k and go back to 32 fraction bits
    let shift = F as i32 - 32 - k;
    let bits = if shift >= 0 { sum >> shift } else { sum << (-shift) };
    if bits > i64::MAX as i128 {
        s.hit();
        return Fx::MAX;
    }
    Fx::from_bits(bits as i64)
}

/// ln x for x > 0; x ≤ 0 gives MIN and counts.
pub fn ln(x: Fx, s: &mut Sat) -> Fx {
    if x <= ZERO {
        s.hit();
        return Fx::MIN;
    }
    // x = m × 2^e with m in [1, 2)
    let bits = x.to_bits() as u64;
    let top = 63 - bits.leading_zeros() as i32; // position of the highest set bit
    let e = top - 32;
    const F: u32 = 62;
    // m in 62 fraction bits
    let m = if top >= F as i32 { (bits as i128) >> (top - F as i32) } else { (bits as i128) << (F as i32 - top) };
    let one = 1i128 << F;
    // ln m = 2 atanh(z), z = (m - 1) / (m + 1) in [0, 1/3)
    let z = ((m - one) << F) / (m + one);
    let z2 = z * z >> F;
    let mut term = z;
    let mut sum = 0i128;
    let mut n = 1usize;
    while term != 0 && n < 64 {
        sum += (term * RECIP[n]) >> F;
        term = term * z2 >> F;
        n += 2;
    }
    let ln_m = 2 * sum;
    const LN2_62: i128 = 0x2C5C_85FD_F473_DE6A; // ln 2 × 2^62
    let total = ln_m + (e as i128) * LN2_62;
    Fx::from_bits((total >> (F - 32)) as i64)
}

/// Fraction bits of the sine's working precision (Q61 in an i64: |a| ≤ π/2
/// and every intermediate stay below 2^63).
const SIN_Q: u32 = 61;
/// Grid points of the sine table over [0, π/2].
const SIN_STEPS: usize = 256;
/// The grid step, π/2 / 256 in Q61 (truncated; the table is computed at the
/// very points `k × SIN_H`, so the truncation costs nothing).
const SIN_H: i64 = (0x1_921F_B544_42D1_8469_i128 / 4 / (1 << (62 - SIN_Q)) / SIN_STEPS as i128) as i64;

/// sin and cos of `k × SIN_H` for k in 0..=256, in Q61, computed at compile
/// time by their Taylor series in Q62 (terms until they vanish): no
/// constant typed in by hand.
static SIN_TABLE: [(i64, i64); SIN_STEPS + 1] = {
    let mut t = [(0i64, 0i64); SIN_STEPS + 1];
    let mut k = 0;
    while k <= SIN_STEPS {
        // g in Q62
        let g = (SIN_H as i128 * k as i128) << (62 - SIN_Q);
        let g2 = (g * g) >> 62;
        // sin: g - g^3/3! + ...; cos: 1 - g^2/2! + ...
        let (mut st, mut ct) = (g, 1i128 << 62);
        let (mut ss, mut cs) = (0i128, 0i128);
        let mut n = 1i128;
        while st != 0 || ct != 0 {
            ss += st;
            cs += ct;
            st = -((st * g2) >> 62) / ((n + 1) * (n + 2));
            ct = -((ct * g2) >> 62) / (n * (n + 1));
            n += 2;
        }
        t[k] = ((ss >> (62 - SIN_Q)) as i64, (cs >> (62 - SIN_Q)) as i64);
        k += 1;
    }
    t
};

/// 2π in 62 fraction bits (65 bits).
const TAU_62: i128 = 0x1_921F_B544_42D1_8469;

/// `(bits << 30) % 2π` in 62 fraction bits: the remainder with the dividend's
/// sign, `bits` being an I32F32. Below 8π in magnitude (every phase the
/// systems pass) there is no division: at most three subtractions of 2π,
/// each taken when `bits` reaches the threshold `ceil(m · 2π / 2^30)`.
/// (Comparing `a` itself, the optimiser turns the subtractions back into a
/// 128-bit remainder, a libcall in wasm32; a table of multiples indexed by
/// the count is as slow natively, by the latency of the load.)
fn rem_tau_62(bits: i64) -> i128 {
    const fn threshold(m: i128) -> i64 {
        ((m * TAU_62 + (1 << 30) - 1) >> 30) as i64
    }
    const T1: i64 = threshold(1);
    const T2: i64 = threshold(2);
    const T3: i64 = threshold(3);
    const T4: i64 = threshold(4);
    let mut a = (bits as i128) << 30;
    if bits >= T4 || bits <= -T4 {
        return a % TAU_62; // a slow 128-bit remainder, only for |x| ≥ 8π
    }
    if bits >= T1 {
        a -= TAU_62;
        if bits >= T2 {
            a -= TAU_62;
            if bits >= T3 {
                a -= TAU_62;
            }
        }
    } else if bits <= -T1 {
        a += TAU_62;
        if bits <= -T2 {
            a += TAU_62;
            if bits <= -T3 {
                a += TAU_62;
            }
        }
    }
    a
}

/// sin x for any x: reduced to [-π/2, π/2], then
/// sin(g + d) = sin g · cos d + cos g · sin d around the nearest of 257 grid
/// points g over [0, π/2] (|d| ≤ π/1024), with sin d = d − d³/6 and
/// cos d = 1 − d²/2 (the next terms are below 4e-12). Five products, mostly
/// independent, instead of a chain of about 24.
pub fn sin(x: Fx) -> Fx {
    // reduce modulo 2π in 62-bit precision to keep the error small for large x
    const F: u32 = 62;
    const PI_62: i128 = TAU_62 / 2;
    const HALF_PI_62: i128 = TAU_62 / 4;
    let mut a = rem_tau_62(x.to_bits());
    if a > PI_62 {
        a -= TAU_62;
    } else if a < -PI_62 {
        a += TAU_62;
    }
    // sin(π - a) = sin a: fold to [-π/2, π/2]
    if a > HALF_PI_62 {
        a = PI_62 - a;
    } else if a < -HALF_PI_62 {
        a = -PI_62 - a;
    }
    // sin(-a) = -sin a: work on |a| in [0, π/2], Q61
    let neg = a < 0;
    let a = (a.abs() >> (F - SIN_Q)) as i64;
    let k = ((a + SIN_H / 2) / SIN_H) as usize;
    let (sg, cg) = SIN_TABLE.get(k).copied().unwrap_or((1 << SIN_Q, 0));
    let d = a - k as i64 * SIN_H;
    let q = |x: i64, y: i64| mul_shr(x, y, SIN_Q);
    const SIXTH: i64 = (1 << SIN_Q) / 6;
    let d2 = q(d, d);
    let sin_d = d - q(q(d2, d), SIXTH);
    let cos_d = (1 << SIN_Q) - (d2 >> 1);
    let r = q(sg, cos_d) + q(cg, sin_d);
    Fx::from_bits((if neg { -r } else { r }) >> (SIN_Q - 32))
}

/// cos x = sin(x + π/2).
pub fn cos(x: Fx) -> Fx {
    sin(x.wrapping_add(FRAC_PI_2))
}

/// The logistic function 1 / (1 + e^-x), in [0, 1].
pub fn sigmoid(x: Fx) -> Fx {
    let mut s = Sat::default();
    if x >= ZERO {
        let e = exp(-x, &mut s); // in (0, 1]
        div(ONE, ONE + e, &mut s)
    } else {
        let e = exp(x, &mut s);
        div(e, ONE + e, &mut s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EDGES: [i64; 11] = [0, 1, -1, 2, -2, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1, 1 << 32, -(1 << 32)];

    fn reference(x: i64, y: i64) -> (i64, u64) {
        let p = x as i128 * y as i128;
        ((p >> 64) as i64, p as u64)
    }

    /// `fixed`'s own multiply, saturating and counted as `mul` was before it was written out.
    fn fixed_mul(a: Fx, b: Fx) -> (Fx, bool) {
        match a.checked_mul(b) {
            Some(v) => (v, false),
            None => (a.saturating_mul(b), true),
        }
    }

    #[test]
    fn the_wide_product_of_edge_values() {
        for x in EDGES {
            for y in EDGES {
                assert_eq!(wide_limbs(x, y), reference(x, y), "{x} × {y}");
                assert_eq!(wide(x, y), reference(x, y), "{x} × {y}");
                for sh in [1, 32, 61, 63] {
                    assert_eq!(mul_shr(x, y, sh), ((x as i128 * y as i128) >> sh) as i64, "{x} × {y} >> {sh}");
                }
                let (a, b) = (Fx::from_bits(x), Fx::from_bits(y));
                let mut s = Sat::default();
                let got = mul(a, b, &mut s);
                assert_eq!((got, s.0 == 1), fixed_mul(a, b), "{x} × {y}");
            }
        }
    }

    /// The division-free reduction equals the plain remainder at and beside
    /// every threshold, and at the edges of the range.
    #[test]
    fn the_reduction_is_the_remainder_at_every_threshold() {
        let mut at = EDGES.to_vec();
        for m in 1..=5i128 {
            let t = ((m * TAU_62 + (1 << 30) - 1) >> 30) as i64;
            for d in -2..=2 {
                at.extend([t + d, -t + d]);
            }
        }
        for bits in at {
            assert_eq!(rem_tau_62(bits), ((bits as i128) << 30) % TAU_62, "bits {bits}");
        }
    }

    proptest! {
        #[test]
        fn the_reduction_is_the_remainder(bits in any::<i64>(), small in -(9i64 << 32)..(9i64 << 32)) {
            for b in [bits, small] {
                prop_assert_eq!(rem_tau_62(b), ((b as i128) << 30) % TAU_62);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn wide_is_the_128_bit_product(x in any::<i64>(), y in any::<i64>(), sh in 1u32..64) {
            prop_assert_eq!(wide_limbs(x, y), reference(x, y));
            prop_assert_eq!(wide(x, y), reference(x, y));
            prop_assert_eq!(mul_shr(x, y, sh), ((x as i128 * y as i128) >> sh) as i64);
        }

        /// `mul` is `fixed`'s multiply bit for bit, saturation included, over
        /// any operands and over operands near the overflow boundary.
        #[test]
        fn mul_is_fixeds_multiply(x in any::<i64>(), y in any::<i64>(), small in -(1i64 << 40)..(1i64 << 40), big in (1i64 << 50)..(1i64 << 56)) {
            for (a, b) in [(x, y), (small, y), (big, big), (big, -big), (-big, small), (small, small)] {
                let (a, b) = (Fx::from_bits(a), Fx::from_bits(b));
                let mut s = Sat::default();
                let got = mul(a, b, &mut s);
                prop_assert_eq!((got, s.0 == 1), fixed_mul(a, b));
            }
        }
    }
}
