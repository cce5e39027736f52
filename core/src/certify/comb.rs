//! Fixed-base tables for verifying many signatures under the same keys.
//!
//! A signature check computes `[S]B + [k](−A)`. B never changes, and under a
//! committee that is reused (a chain, a `CommitteeVerifier`, a cluster node)
//! neither does A. So each of the two points gets a table, built once, of
//! the odd multiples `1, 3, …, 2^(W−1) − 1` of `2^(C·j)·P` for each chunk
//! `j` of [`CHUNK`] bits: a scalar written in width-[`WIDTH`] non-adjacent
//! form then costs [`CHUNK`] doublings in all (instead of 252) and one
//! addition per non-zero digit (about 512 / (W + 1) for the two scalars).
//!
//! This changes how fast, never what: the point computed is the same group
//! element as curve25519-dalek's `vartime_double_scalar_mul_basepoint`
//! gives, so its encoding, and so every verdict, is the same (property
//! tests check the two agree, and every golden vector runs through both).
//! Variable time, like that function: only public values (signatures,
//! messages, public keys) go through it.
use alloc::boxed::Box;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

/// Bits per chunk: the doublings a scalar multiplication costs.
pub const CHUNK: usize = 16;
/// Chunks in a 256-bit scalar.
const CHUNKS: usize = 256 / CHUNK;
/// The width of the non-adjacent form: digits are odd, below 2^(W−1) in magnitude.
pub const WIDTH: usize = 7;
/// Odd multiples per chunk: 1, 3, …, 2^(W−1) − 1.
const ENTRIES: usize = 1 << (WIDTH - 2);

/// The tables of one point: `rows[j][e] = (2e + 1)·2^(C·j)·P`.
pub struct Comb {
    rows: Box<[[EdwardsPoint; ENTRIES]; CHUNKS]>,
}

impl core::fmt::Debug for Comb {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Comb({CHUNKS} × {ENTRIES} points)")
    }
}

impl Comb {
    /// The tables of `p` (about `CHUNKS × (ENTRIES + CHUNK)` additions).
    pub fn new(p: &EdwardsPoint) -> Comb {
        let mut rows = Box::new([[EdwardsPoint::identity(); ENTRIES]; CHUNKS]);
        let mut q = *p;
        for row in rows.iter_mut() {
            let q2 = q + q;
            let mut m = q;
            for e in row.iter_mut() {
                *e = m;
                m += q2;
            }
            for _ in 0..CHUNK {
                q = q + q;
            }
        }
        Comb { rows }
    }

    /// Adds `d·2^(C·j)·P` to `acc`, for an odd digit `d` of the form.
    #[inline]
    fn add(&self, acc: &mut EdwardsPoint, j: usize, d: i8) {
        let e = usize::from(d.unsigned_abs() >> 1);
        if let Some(t) = self.rows.get(j).and_then(|r| r.get(e)) {
            if d > 0 { *acc += t } else { *acc -= t }
        }
    }
}

/// The width-[`WIDTH`] non-adjacent form of a scalar below 2^255: digits
/// `d[i]`, each zero or odd with |d| < 2^(W−1), no two non-zero within W of
/// each other, and `Σ d[i]·2^i` the scalar.
fn naf(s: &Scalar) -> [i8; 256] {
    let bytes = s.as_bytes();
    let mut x = [0u64; 5];
    for (limb, chunk) in x.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    let width = 1u64 << WIDTH;
    let mask = width - 1;
    let mut out = [0i8; 256];
    let (mut pos, mut carry) = (0usize, 0u64);
    while pos < 256 {
        let (idx, bit) = (pos / 64, pos % 64);
        let lo = x.get(idx).copied().unwrap_or(0) >> bit;
        let buf = if bit + WIDTH <= 64 { lo } else { lo | x.get(idx + 1).copied().unwrap_or(0) << (64 - bit) };
        let window = carry + (buf & mask);
        if window & 1 == 0 {
            pos += 1;
            continue;
        }
        let digit = if window < width / 2 {
            carry = 0;
            window as i8
        } else {
            carry = 1;
            (window as i64 - width as i64) as i8
        };
        if let Some(o) = out.get_mut(pos) {
            *o = digit;
        }
        pos += WIDTH;
    }
    out
}

/// `[a]P + [b]Q` from the tables of P and Q (the same group element as any
/// other way of computing it).
pub fn double_mul(a: &Scalar, p: &Comb, b: &Scalar, q: &Comb) -> EdwardsPoint {
    let (na, nb) = (naf(a), naf(b));
    let mut acc = EdwardsPoint::identity();
    let mut started = false;
    for o in (0..CHUNK).rev() {
        if started {
            acc = acc + acc;
        }
        for j in 0..CHUNKS {
            let i = j * CHUNK + o;
            let (da, db) = (na.get(i).copied().unwrap_or(0), nb.get(i).copied().unwrap_or(0));
            if da != 0 {
                p.add(&mut acc, j, da);
                started = true;
            }
            if db != 0 {
                q.add(&mut acc, j, db);
                started = true;
            }
        }
    }
    acc
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use proptest::prelude::*;

    /// Σ d[i]·2^i, as a scalar.
    fn value(d: &[i8; 256]) -> Scalar {
        let (mut acc, mut two) = (Scalar::ZERO, Scalar::ONE);
        for &x in d {
            let m = Scalar::from(u64::from(x.unsigned_abs()));
            acc += if x < 0 { -(m * two) } else { m * two };
            two += two;
        }
        acc
    }

    fn check_form(s: &Scalar) {
        let d = naf(s);
        assert_eq!(value(&d), *s, "the form adds up to the scalar");
        let mut last: Option<usize> = None;
        for (i, &x) in d.iter().enumerate() {
            if x != 0 {
                assert!(x % 2 != 0 && i32::from(x).abs() < 1 << (WIDTH - 1), "digit {x} at {i}");
                if let Some(l) = last {
                    assert!(i - l >= WIDTH, "digits at {l} and {i} are closer than the width");
                }
                last = Some(i);
            }
        }
    }

    /// The edges of the form: zero, one, ℓ − 1, every power of two up to
    /// 2^252, runs of ones (all carries).
    #[test]
    fn the_form_of_edge_scalars() {
        check_form(&Scalar::ZERO);
        check_form(&Scalar::ONE);
        check_form(&-Scalar::ONE);
        let mut p = Scalar::ONE;
        for _ in 0..253 {
            check_form(&p);
            check_form(&(p - Scalar::ONE));
            p += p;
        }
        check_form(&Scalar::from_bytes_mod_order([0xff; 32]));
        check_form(&Scalar::from_bytes_mod_order([0x7f; 32]));
    }

    /// A point with a component of every order: the tables are plain group
    /// arithmetic, so they hold off the prime-order subgroup too.
    fn point(x: [u8; 32], t: usize) -> EdwardsPoint {
        B * Scalar::from_bytes_mod_order(x) + EIGHT_TORSION[t % 8]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_form_adds_up(x in any::<[u8; 32]>()) {
            check_form(&Scalar::from_bytes_mod_order(x));
        }

        /// The same point as curve25519-dalek's double-base multiplication
        /// (what the untabled path computes), and as the plain products.
        #[test]
        fn double_mul_is_the_same_point(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), q in any::<[u8; 32]>(), t in 0usize..8) {
            let (a, b) = (Scalar::from_bytes_mod_order(a), Scalar::from_bytes_mod_order(b));
            let q = point(q, t);
            let got = double_mul(&a, &Comb::new(&B), &b, &Comb::new(&q));
            prop_assert_eq!(got, EdwardsPoint::vartime_double_scalar_mul_basepoint(&b, &q, &a));
            prop_assert_eq!(got.compress(), (B * a + q * b).compress());
        }
    }

    #[test]
    fn double_mul_at_the_edges() {
        let q = point([5; 32], 3);
        let (base, table) = (Comb::new(&B), Comb::new(&q));
        let edges = [Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(1u64 << 63), Scalar::from_bytes_mod_order([0xff; 32])];
        for a in edges {
            for b in edges {
                assert_eq!(double_mul(&a, &base, &b, &table), EdwardsPoint::vartime_double_scalar_mul_basepoint(&b, &q, &a), "{a:?} {b:?}");
            }
        }
    }
}
