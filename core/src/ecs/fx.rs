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
pub fn add(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    a.checked_add(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_add(b)
    })
}

/// a - b, saturating.
pub fn sub(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    a.checked_sub(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_sub(b)
    })
}

/// a × b, saturating (rounded toward negative infinity in the last bit, as `fixed` does).
pub fn mul(a: Fx, b: Fx, s: &mut Sat) -> Fx {
    a.checked_mul(b).unwrap_or_else(|| {
        s.hit();
        a.saturating_mul(b)
    })
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

/// 2^61 / ((2j + 2)(2j + 3)) as i64: the sine series in Q61.
const SIN_RECIP_61: [i64; 12] = {
    let mut t = [0i64; 12];
    let mut j = 0;
    while j < 12 {
        let n = 2 * j as i64 + 1;
        t[j] = (1i64 << 61) / ((n + 1) * (n + 2));
        j += 1;
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

/// sin x for any x (reduced to [-π, π] first).
pub fn sin(x: Fx) -> Fx {
    // reduce modulo 2π in 62-bit precision to keep the error small for large x
    const F: u32 = 62;
    const TAU_62: i128 = 0x1_921F_B544_42D1_8469; // 2π × 2^62 / 2^0 ... (2π in 62 fraction bits, needs 65 bits)
    const PI_62: i128 = TAU_62 / 2;
    const HALF_PI_62: i128 = TAU_62 / 4;
    let mut a = (x.to_bits() as i128) << (F - 32);
    if a >= TAU_62 || a <= -TAU_62 {
        a %= TAU_62; // a slow 128-bit remainder, only for |x| ≥ 2π
    }
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
    // The series in Q61 held in i64: every product is one widening 64×64
    // multiply (|a| ≤ π/2 and a² < 2.47 both fit below 2^63 in Q61).
    const G: u32 = 61;
    let a = (a >> (F - G)) as i64;
    let mulq = |x: i64, y: i64| ((x as i128 * y as i128) >> G) as i64;
    let a2 = mulq(a, a);
    let mut term = a;
    let mut sum = 0i64;
    for r in SIN_RECIP_61 {
        if term == 0 {
            break;
        }
        sum += term;
        term = -mulq(mulq(term, a2), r);
    }
    Fx::from_bits(sum >> (G - 32))
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
