//! Strict Ed25519 verification, omega's rules (RFC 8032, cofactorless), with
//! the key prepared once.
//!
//! The rules (docs/FORMATS.md, "Ed25519 rules"), which every engine applies
//! the same way:
//!
//! - a public key is 32 bytes, a point of the curve, canonically encoded, not
//!   of small order and in the prime-order subgroup (torsion-free);
//! - a signature is 64 bytes `R || S`; `S` is canonical (below the group
//!   order ℓ); `R` is not of small order;
//! - it verifies when `[S]B - [k]A`, with `k = SHA-512(R || A || M) mod ℓ`,
//!   encodes to exactly the bytes `R` (the cofactorless equation, compared by
//!   encoding).
//!
//! These accept exactly what ed25519-dalek's `verify_strict` accepts for such
//! keys (a differential test checks it). They are cheaper to run: `A` is
//! decompressed and checked once, in [`PublicKey::new`], and `R` is never
//! decompressed on the accepting path. Since `A` and `B` are in the
//! prime-order subgroup, so is `[S]B - [k]A`; an `R` equal to its encoding is
//! then canonical and in that subgroup, and the only small-order point there
//! is the identity, so `R`'s small-order test is one comparison with the
//! identity's encoding. [`PublicKey::check`] names why a signature fails, by
//! looking closer only when it does.
//!
//! For many signatures under the same keys, [`verify_each`] and
//! [`check_all`] take fixed-base tables ([`BaseTables`], [`KeyTables`];
//! see [`super::comb`]) and share the final inversion: same verdicts, about
//! half the cost a signature.
use super::comb::Comb;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// The encoding of the identity point: `y = 1`, sign bit 0.
const IDENTITY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = 1;
    b
};

/// Why a key or a signature is refused. The names ([`Reject::as_str`]) are
/// stable: they are what op 28 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reject {
    /// The key is not 32 bytes.
    KeyLength,
    /// The key's bytes are not a point of the curve.
    KeyNotOnCurve,
    /// The key is a point, but not in its canonical encoding.
    KeyNotCanonical,
    /// The key is a point of small order (one of the eight).
    KeySmallOrder,
    /// The key has a small-order component (it is not in the prime-order subgroup).
    KeyTorsion,
    /// The signature is not 64 bytes.
    SigLength,
    /// `S` is not below the group order ℓ.
    SNotCanonical,
    /// `R`'s bytes are not a point of the curve.
    RNotOnCurve,
    /// `R` is a point, but not in its canonical encoding.
    RNotCanonical,
    /// `R` is a point of small order.
    RSmallOrder,
    /// `R` has a small-order component (it is not in the prime-order subgroup).
    RTorsion,
    /// Everything is well formed, but the equation does not hold.
    Equation,
}

impl Reject {
    /// Every reason, in declared order.
    pub const ALL: [Reject; 12] = [
        Reject::KeyLength,
        Reject::KeyNotOnCurve,
        Reject::KeyNotCanonical,
        Reject::KeySmallOrder,
        Reject::KeyTorsion,
        Reject::SigLength,
        Reject::SNotCanonical,
        Reject::RNotOnCurve,
        Reject::RNotCanonical,
        Reject::RSmallOrder,
        Reject::RTorsion,
        Reject::Equation,
    ];

    /// The reason's stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reject::KeyLength => "key_length",
            Reject::KeyNotOnCurve => "key_not_on_curve",
            Reject::KeyNotCanonical => "key_not_canonical",
            Reject::KeySmallOrder => "key_small_order",
            Reject::KeyTorsion => "key_torsion",
            Reject::SigLength => "sig_length",
            Reject::SNotCanonical => "s_not_canonical",
            Reject::RNotOnCurve => "r_not_on_curve",
            Reject::RNotCanonical => "r_not_canonical",
            Reject::RSmallOrder => "r_small_order",
            Reject::RTorsion => "r_torsion",
            Reject::Equation => "equation",
        }
    }

    /// Whether the reason is about the key (so no signature under it verifies).
    pub const fn is_key(self) -> bool {
        matches!(self, Reject::KeyLength | Reject::KeyNotOnCurve | Reject::KeyNotCanonical | Reject::KeySmallOrder | Reject::KeyTorsion)
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reject::KeyLength => "the public key is not 32 bytes",
            Reject::KeyNotOnCurve => "the public key is not a point of the curve",
            Reject::KeyNotCanonical => "the public key is not canonically encoded",
            Reject::KeySmallOrder => "the public key is a point of small order",
            Reject::KeyTorsion => "the public key has a small-order component",
            Reject::SigLength => "the signature is not 64 bytes",
            Reject::SNotCanonical => "S is not below the group order",
            Reject::RNotOnCurve => "R is not a point of the curve",
            Reject::RNotCanonical => "R is not canonically encoded",
            Reject::RSmallOrder => "R is a point of small order",
            Reject::RTorsion => "R has a small-order component",
            Reject::Equation => "the signature does not verify",
        })
    }
}

/// Decodes a point strictly, or says which of the four point rules it breaks
/// (`on_curve`, `canonical`, `small`, `torsion` are the reasons for the key or for R).
fn strict_point(bytes: [u8; 32], reasons: [Reject; 4]) -> Result<EdwardsPoint, Reject> {
    let [on_curve, canonical, small, torsion] = reasons;
    let point = CompressedEdwardsY(bytes).decompress().ok_or(on_curve)?;
    if point.compress().to_bytes() != bytes {
        return Err(canonical);
    }
    if point.is_small_order() {
        return Err(small);
    }
    if !point.is_torsion_free() {
        return Err(torsion);
    }
    Ok(point)
}

/// A public key that passed every key rule, with `-A` ready for verifying.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; 32],
    minus_a: EdwardsPoint,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", crate::hex::encode(&self.bytes))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}

impl PublicKey {
    /// The key with these bytes, if it passes every key rule (the cost of
    /// one scalar multiplication, for the subgroup check).
    pub fn new(bytes: &[u8]) -> Result<PublicKey, Reject> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| Reject::KeyLength)?;
        let a = strict_point(bytes, [Reject::KeyNotOnCurve, Reject::KeyNotCanonical, Reject::KeySmallOrder, Reject::KeyTorsion])?;
        Ok(PublicKey { bytes, minus_a: -a })
    }

    /// The key's 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Whether `sig` is a valid signature of `msg` under this key (the module's rules).
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.equation(msg, sig, None).is_some_and(|(p, r)| p.compress().as_bytes() == r)
    }

    /// This key's fixed-base tables, for [`verify_each`] (the cost of
    /// about four signature checks, and 80 KB; see [`super::comb`]).
    pub fn tables(&self) -> KeyTables {
        KeyTables(Comb::new(&self.minus_a))
    }

    /// The point `[S]B − [k]A` that must encode to `R`, with `R`'s bytes;
    /// `None` when the signature is refused before that (its length, a
    /// non-canonical `S`, or `R` the identity's encoding). With tables, the
    /// same point by another route.
    fn equation<'s>(&self, msg: &[u8], sig: &'s [u8], tables: Option<(&BaseTables, &KeyTables)>) -> Option<(EdwardsPoint, &'s [u8; 32])> {
        let sig = <&[u8; 64]>::try_from(sig).ok()?;
        let (r, s) = sig.split_first_chunk::<32>()?;
        let s = <[u8; 32]>::try_from(s).ok()?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s))?;
        if *r == IDENTITY {
            return None;
        }
        let k = Scalar::from_bytes_mod_order_wide(&Sha512::new().chain_update(r).chain_update(self.bytes).chain_update(msg).finalize().into());
        let p = match tables {
            Some((base, key)) => super::comb::double_mul(&s, &base.0, &k, &key.0),
            None => EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &self.minus_a, &s),
        };
        Some((p, r))
    }

    /// [`PublicKey::verify`], naming the first rule a refused signature breaks:
    /// its length, `S`, then `R` (on the curve, canonical, small order,
    /// torsion), else the equation.
    pub fn check(&self, msg: &[u8], sig: &[u8]) -> Result<(), Reject> {
        if self.verify(msg, sig) { Ok(()) } else { Err(refused(sig)) }
    }
}

/// Why a signature that does not verify (under a key that passed the key
/// rules) is refused: its length, `S`, then `R` (on the curve, canonical,
/// small order, torsion), else the equation.
fn refused(sig: &[u8]) -> Reject {
    let Ok(sig) = <&[u8; 64]>::try_from(sig) else { return Reject::SigLength };
    let (r, s) = sig.split_at(32);
    let (Ok(r), Ok(s)) = (<[u8; 32]>::try_from(r), <[u8; 32]>::try_from(s)) else { return Reject::SigLength };
    if Option::<Scalar>::from(Scalar::from_canonical_bytes(s)).is_none() {
        return Reject::SNotCanonical;
    }
    match strict_point(r, [Reject::RNotOnCurve, Reject::RNotCanonical, Reject::RSmallOrder, Reject::RTorsion]) {
        Err(why) => why,
        Ok(_) => Reject::Equation,
    }
}

/// Signatures under one key above which [`check_all`] builds that key's
/// tables (and committees theirs, [`crate::certify::cert::Committee::worth_preparing`]):
/// building a key's tables costs about four signature checks and saves
/// about half of every check after it.
pub const PREPARE_AT: usize = 8;

/// The fixed-base tables of the base point B, for [`verify_each`]; one
/// set serves every key.
pub struct BaseTables(Comb);

impl BaseTables {
    /// Builds them (the cost of about four signature checks, and 80 KB).
    pub fn new() -> BaseTables {
        BaseTables(Comb::new(&ED25519_BASEPOINT_POINT))
    }
}

impl Default for BaseTables {
    fn default() -> Self {
        BaseTables::new()
    }
}

impl fmt::Debug for BaseTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BaseTables")
    }
}

/// One key's fixed-base tables ([`PublicKey::tables`]).
pub struct KeyTables(Comb);

impl fmt::Debug for KeyTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyTables")
    }
}

/// One signature for [`verify_each`]: the key, with its tables and the
/// base's when there are any, the message and the signature.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The key it claims.
    pub key: &'a PublicKey,
    /// Fixed-base tables for B and for this key: faster, same verdict.
    pub tables: Option<(&'a BaseTables, &'a KeyTables)>,
    /// What was signed.
    pub msg: &'a [u8],
    /// The signature, `R || S`.
    pub sig: &'a [u8],
}

/// [`PublicKey::verify`] for each item, in order: each signature is judged
/// alone, by the same rules, with the same verdict as on its own. What they
/// share is the last step's field inversion (one for all, by Montgomery's
/// trick, instead of one each); this is not batch verification, which
/// these rules do not allow (docs/FORMATS.md, "Ed25519 rules").
pub fn verify_each(items: &[Item<'_>]) -> Vec<bool> {
    let eqs: Vec<Option<(EdwardsPoint, &[u8; 32])>> = items.iter().map(|i| i.key.equation(i.msg, i.sig, i.tables)).collect();
    let points: Vec<EdwardsPoint> = eqs.iter().flatten().map(|(p, _)| *p).collect();
    let mut encoded = EdwardsPoint::compress_batch_alloc(&points).into_iter();
    eqs.iter()
        .map(|e| match e {
            Some((_, r)) => encoded.next().is_some_and(|c| c.as_bytes() == *r),
            None => false,
        })
        .collect()
}

/// Checks `sig` over `msg` under the key `key` (any bytes): `Ok` when it
/// verifies, else the first rule broken, the key's rules first.
pub fn check(key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), Reject> {
    PublicKey::new(key)?.check(msg, sig)
}

/// [`check`] for each `(key, message, signature)`, in order, with the same
/// results. Each distinct key is read once; a key with more than
/// [`PREPARE_AT`] signatures here gets fixed-base tables, and all share
/// the last inversion ([`verify_each`]): faster, never different.
pub fn check_all(cases: &[(&[u8], &[u8], &[u8])]) -> Vec<Result<(), Reject>> {
    let mut keys: BTreeMap<&[u8], (Result<PublicKey, Reject>, usize)> = BTreeMap::new();
    for (key, _, _) in cases {
        keys.entry(*key).or_insert_with(|| (PublicKey::new(key), 0)).1 += 1;
    }
    let tables: BTreeMap<&[u8], KeyTables> =
        keys.iter().filter(|(_, (k, n))| k.is_ok() && *n > PREPARE_AT).filter_map(|(b, (k, _))| Some((*b, k.as_ref().ok()?.tables()))).collect();
    let base = (!tables.is_empty()).then(BaseTables::new);
    let mut items = Vec::with_capacity(cases.len());
    let mut out: Vec<Result<(), Reject>> = Vec::with_capacity(cases.len());
    for (key, msg, sig) in cases {
        match keys.get(key).map(|(k, _)| k) {
            Some(Ok(k)) => {
                let t = base.as_ref().zip(tables.get(key));
                items.push(Item { key: k, tables: t, msg, sig });
                out.push(Ok(()));
            }
            Some(Err(e)) => out.push(Err(*e)),
            None => out.push(Err(Reject::KeyLength)),
        }
    }
    let mut verdicts = verify_each(&items).into_iter().zip(&items);
    for o in out.iter_mut().filter(|o| o.is_ok()) {
        if let Some((false, item)) = verdicts.next() {
            *o = Err(refused(item.sig));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::vec;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
    use curve25519_dalek::traits::IsIdentity;
    use ed25519_dalek::{Signer as _, SigningKey};
    use proptest::prelude::*;

    /// The secret scalar of `seed`, as RFC 8032 5.1.5 derives it.
    fn secret(seed: [u8; 32]) -> Scalar {
        let mut a = [0u8; 32];
        a.copy_from_slice(&Sha512::digest(seed)[..32]);
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        Scalar::from_bytes_mod_order(a)
    }

    /// A signature by secret `a` (public `pk`) over `msg` whose R is written
    /// as `r_enc` (any encoding): `s = r + SHA-512(r_enc || pk || msg) a`.
    fn forge(a: Scalar, pk: &[u8; 32], msg: &[u8], r: Scalar, r_enc: [u8; 32]) -> [u8; 64] {
        let k: [u8; 64] = Sha512::new().chain_update(r_enc).chain_update(pk).chain_update(msg).finalize().into();
        let s = r + Scalar::from_bytes_mod_order_wide(&k) * a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_enc);
        sig[32..].copy_from_slice(s.as_bytes());
        sig
    }

    /// Whether the cofactored equation `[8]([S]B - R - [k]A) = 0` holds.
    fn cofactored(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        let (Some(a), Some(r)) = (CompressedEdwardsY(*pk).decompress(), CompressedEdwardsY(sig[..32].try_into().unwrap()).decompress()) else {
            return false;
        };
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(sig[32..].try_into().unwrap())) else { return false };
        let k: [u8; 64] = Sha512::new().chain_update(&sig[..32]).chain_update(pk).chain_update(msg).finalize().into();
        (B * s - r - a * Scalar::from_bytes_mod_order_wide(&k)).mul_by_cofactor().is_identity()
    }

    /// The point of order 2 (y = -1).
    fn order_two() -> EdwardsPoint {
        let mut y = [0xff; 32];
        y[0] = 0xec;
        y[31] = 0x7f;
        CompressedEdwardsY(y).decompress().unwrap()
    }

    /// The group order ℓ, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0x10,
    ];

    /// The signature with S + ℓ for S (still below 2^256 for a canonical S:
    /// the same scalar mod ℓ, in a non-canonical form).
    fn plus_l(mut sig: [u8; 64]) -> [u8; 64] {
        let mut carry = 0u16;
        for (b, l) in sig[32..].iter_mut().zip(L) {
            let v = u16::from(*b) + u16::from(l) + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0, "S + ℓ fits 32 bytes");
        sig
    }

    /// `y = p + 1`: a non-canonical encoding of the identity.
    const P_PLUS_1: [u8; 32] = {
        let mut b = [0xff; 32];
        b[0] = 0xee;
        b[31] = 0x7f;
        b
    };

    /// ed25519-dalek's `verify_strict`, the reference these rules must agree with.
    fn dalek_strict(pk: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(pk)
            .is_ok_and(|vk| vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok())
    }

    /// Signatures a cofactored (batch) equation takes, but the strict rules
    /// refuse, each with its reason: R with a small-order component, R in a
    /// non-canonical encoding, R of small order, and S + ℓ.
    #[test]
    fn what_cofactored_equations_take_is_refused_and_named() {
        let seed = [9u8; 32];
        let a = secret(seed);
        let pk = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        assert_eq!((B * a).compress().to_bytes(), pk);
        let key = PublicKey::new(&pk).unwrap();
        let msg = b"omega: strictness";
        let r = Scalar::from_bytes_mod_order([5; 32]);
        let honest = forge(a, &pk, msg, r, (B * r).compress().to_bytes());
        assert!(key.verify(msg, &honest) && dalek_strict(&pk, msg, &honest));
        assert_eq!(key.check(msg, &honest), Ok(()));
        let t = order_two();
        assert!(!t.is_identity() && t.mul_by_cofactor().is_identity());
        let torsioned = forge(a, &pk, msg, r, (B * r + t).compress().to_bytes());
        let non_canonical = forge(a, &pk, msg, Scalar::ZERO, P_PLUS_1);
        let small = forge(a, &pk, msg, Scalar::ZERO, IDENTITY);
        let s_plus_l = plus_l(honest);
        for (sig, reason) in [
            (torsioned, Reject::RTorsion),
            (non_canonical, Reject::RNotCanonical),
            (small, Reject::RSmallOrder),
            (s_plus_l, Reject::SNotCanonical),
        ] {
            if reason != Reject::SNotCanonical {
                assert!(cofactored(&pk, msg, &sig), "{reason:?}: a cofactored equation accepts it (else this test proves nothing)");
            }
            assert!(!key.verify(msg, &sig), "{reason:?}");
            assert!(!dalek_strict(&pk, msg, &sig), "{reason:?}: verify_strict refuses it too");
            assert_eq!(key.check(msg, &sig), Err(reason));
        }
        let mut bad = honest;
        bad[40] ^= 1;
        assert_eq!(key.check(msg, &bad), Err(Reject::Equation));
        assert_eq!(key.check(msg, &honest[..63]), Err(Reject::SigLength));
        let mut off = [0u8; 32];
        off[0] = 2; // y = 2 is not on the curve
        assert!(CompressedEdwardsY(off).decompress().is_none());
        let mut sig = honest;
        sig[..32].copy_from_slice(&off);
        assert_eq!(key.check(msg, &sig), Err(Reject::RNotOnCurve));
    }

    #[test]
    fn key_rules_are_checked_in_order_and_named() {
        let pk = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        assert!(PublicKey::new(&pk).is_ok());
        assert_eq!(PublicKey::new(&pk[..31]).unwrap_err(), Reject::KeyLength);
        let mut off = [0u8; 32];
        off[0] = 2;
        assert_eq!(PublicKey::new(&off).unwrap_err(), Reject::KeyNotOnCurve);
        assert_eq!(PublicKey::new(&P_PLUS_1).unwrap_err(), Reject::KeyNotCanonical);
        assert_eq!(PublicKey::new(&IDENTITY).unwrap_err(), Reject::KeySmallOrder);
        let a = CompressedEdwardsY(pk).decompress().unwrap();
        assert_eq!(PublicKey::new(&(a + order_two()).compress().to_bytes()).unwrap_err(), Reject::KeyTorsion);
        assert_eq!(check(&off, b"", &[0; 64]), Err(Reject::KeyNotOnCurve));
        for r in Reject::ALL {
            assert_eq!(r.is_key(), r.as_str().starts_with("key_"), "{r:?}");
        }
    }

    /// A signature, changed in one of the ways that matter.
    #[derive(Debug, Clone)]
    enum Change {
        None,
        Flip(usize),
        RSmall(usize),
        RTorsion(usize),
        SPlusL,
        Message,
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            Just(Change::None),
            (0usize..512).prop_map(Change::Flip),
            (0usize..8).prop_map(Change::RSmall),
            (1usize..8).prop_map(Change::RTorsion),
            Just(Change::SPlusL),
            Just(Change::Message),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// The prepared verifier accepts exactly what ed25519-dalek's
        /// `verify_strict` accepts, over honest and changed signatures.
        #[test]
        fn agrees_with_verify_strict(seed in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..80), nonce in any::<[u8; 32]>(), ch in change()) {
            let sk = SigningKey::from_bytes(&seed);
            let pk = sk.verifying_key().to_bytes();
            let key = PublicKey::new(&pk).unwrap();
            let a = secret(seed);
            let mut msg2 = msg.clone();
            let sig: [u8; 64] = match ch {
                Change::None => sk.sign(&msg).to_bytes(),
                Change::Flip(bit) => {
                    let mut s = sk.sign(&msg).to_bytes();
                    s[bit / 8] ^= 1 << (bit % 8);
                    s
                }
                Change::RSmall(i) => {
                    // the i-th multiple of a point of order 8, with s made to fit
                    let t8 = curve25519_dalek::constants::EIGHT_TORSION[i];
                    forge(a, &pk, &msg, Scalar::ZERO, t8.compress().to_bytes())
                }
                Change::RTorsion(i) => {
                    let r = Scalar::from_bytes_mod_order(nonce);
                    let t8 = curve25519_dalek::constants::EIGHT_TORSION[i];
                    forge(a, &pk, &msg, r, (B * r + t8).compress().to_bytes())
                }
                Change::SPlusL => plus_l(sk.sign(&msg).to_bytes()),
                Change::Message => {
                    msg2.push(0);
                    sk.sign(&msg).to_bytes()
                }
            };
            let want = dalek_strict(&pk, &msg2, &sig);
            prop_assert_eq!(key.verify(&msg2, &sig), want);
            prop_assert_eq!(key.check(&msg2, &sig).is_ok(), want);
            if matches!(ch, Change::None) {
                prop_assert!(want);
            }
            // Judged among others, with and without tables: the same verdicts.
            let honest = sk.sign(&msg).to_bytes();
            let (base, tables) = (BaseTables::new(), key.tables());
            for t in [None, Some((&base, &tables))] {
                let items = [
                    Item { key: &key, tables: t, msg: &msg2, sig: &sig },
                    Item { key: &key, tables: t, msg: &msg, sig: &honest },
                    Item { key: &key, tables: t, msg: &msg, sig: &honest[..63] },
                ];
                prop_assert_eq!(verify_each(&items), vec![want, true, false]);
            }
            let cases: Vec<(&[u8], &[u8], &[u8])> = core::iter::repeat_n((&pk[..], &msg2[..], &sig[..]), PREPARE_AT + 1).collect();
            prop_assert!(check_all(&cases).iter().all(|c| *c == key.check(&msg2, &sig)));
        }
    }

    /// What a cofactored equation would take is refused with tables too.
    #[test]
    fn tables_refuse_what_cofactored_equations_take() {
        let seed = [9u8; 32];
        let (a, pk) = (secret(seed), SigningKey::from_bytes(&seed).verifying_key().to_bytes());
        let key = PublicKey::new(&pk).unwrap();
        let msg = b"omega: strictness";
        let r = Scalar::from_bytes_mod_order([5; 32]);
        let honest = forge(a, &pk, msg, r, (B * r).compress().to_bytes());
        let torsioned = forge(a, &pk, msg, r, (B * r + order_two()).compress().to_bytes());
        assert!(cofactored(&pk, msg, &torsioned));
        let (base, tables) = (BaseTables::new(), key.tables());
        let t = Some((&base, &tables));
        let items = [Item { key: &key, tables: t, msg, sig: &honest }, Item { key: &key, tables: t, msg, sig: &torsioned }];
        assert_eq!(verify_each(&items), vec![true, false]);
        assert_eq!(verify_each(&[]), Vec::<bool>::new());
        let cases = vec![(&pk[..], &msg[..], &torsioned[..]); PREPARE_AT + 1];
        assert!(check_all(&cases).iter().all(|c| *c == Err(Reject::RTorsion)));
    }
}
