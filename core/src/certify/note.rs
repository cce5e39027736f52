//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys,
//! and C2SP witness cosignatures (<https://c2sp.org/tlog-cosignature>).
//!
//! A signed note is a text ending in a newline, a blank line, then one or
//! more signature lines `— <key name> <base64(key id || signature)>`.
//! Two key types are supported:
//! - `0x01`, Ed25519 note signatures: RFC 8032 Ed25519 over the text (up to
//!   and including its final newline);
//! - `0x04`, Ed25519 cosignature/v1 (a witness): the signature is a
//!   big-endian u64 POSIX timestamp `t` (at most 2^63 - 1) then the 64-byte
//!   Ed25519 signature of `cosignature/v1\ntime <t>\n` followed by the text.
//!
//! A key id is the first four bytes of `SHA-256(name || 0x0A || type || public key)`.
//!
//! Key forms (the same as golang.org/x/mod/sumdb/note and
//! transparency-dev/formats):
//! - verifier key: `<name>+<8 hex key id>+<base64(type || 32-byte public key)>`;
//! - signer key: `PRIVATE+KEY+<name>+<8 hex key id>+<base64(type || 32-byte seed)>`.
//!
//! Parsing is strict: anything the specification forbids is a typed
//! [`NoteError`]; nothing here panics on any input. Signing takes the seed
//! from the caller, so core never touches randomness.
use crate::error::ErrorCode;
use crate::hash::sha256;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use core::fmt;
use crate::certify::ed25519::PublicKey;
use ed25519_dalek::{Signer as _, SigningKey};

/// Signature type byte of Ed25519 in C2SP signed notes.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of Ed25519 cosignature/v1 (C2SP tlog-cosignature: a witness).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// The largest cosignature timestamp (C2SP tlog-cosignature: 2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;
/// The em dash (U+2014) and space that open a signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// Largest note this parser reads, in bytes.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// Most signature lines this parser reads (the spec asks for at least 16).
pub const MAX_SIGNATURES: usize = 256;
/// Longest key name, in bytes (a certificate stores it after a one-byte length).
pub const MAX_NAME_BYTES: usize = 255;
/// Longest signature, in bytes after the key id (a certificate stores it after a two-byte length).
pub const MAX_SIG_BYTES: usize = 65_535;

/// Why a note, a key or a signature was refused. Codes 35xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteError {
    /// 3501: the note is not well-formed (reason in words, with the line number when known).
    Malformed(String),
    /// 3502: a key name is empty, or holds a space or a `+`.
    KeyName(String),
    /// 3502: a key name (or a checkpoint origin) is longer than its format can hold.
    TooLong {
        /// What is too long ("key name", "origin").
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// 3503: a key string is not in the verifier or signer form, or is of the wrong kind.
    Key(String),
    /// 3504: a key's id does not match its name and public key.
    KeyId {
        /// The key name.
        name: String,
    },
    /// 3505: a public key is not a valid Ed25519 point, or is of small order.
    WeakKey {
        /// The key name.
        name: String,
    },
}

impl ErrorCode for NoteError {
    fn code(&self) -> u16 {
        match self {
            NoteError::Malformed(_) => crate::api::code::NOTE,
            NoteError::KeyName(_) | NoteError::TooLong { .. } => crate::api::code::KEY_NAME,
            NoteError::Key(_) => crate::api::code::KEY,
            NoteError::KeyId { .. } => crate::api::code::KEY_ID,
            NoteError::WeakKey { .. } => crate::api::code::KEY_POINT,
        }
    }
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteError::Malformed(why) => write!(f, "malformed signed note: {why}"),
            NoteError::KeyName(n) => {
                write!(f, "key name {n:?} is invalid: it must be non-empty with no spaces and no `+`")
            }
            NoteError::TooLong { what, len, max } => {
                write!(f, "the {what} is {len} bytes long; at most {max} bytes fit omega's certificate format")
            }
            NoteError::Key(why) => write!(f, "malformed key: {why}"),
            NoteError::KeyId { name } => {
                write!(f, "key {name}: the key id does not match SHA-256(name || 0x0A || type || key)")
            }
            NoteError::WeakKey { name } => {
                write!(f, "key {name}: the public key is not a valid Ed25519 key (not a point, or of small order)")
            }
        }
    }
}

fn malformed(why: impl Into<String>) -> NoteError {
    NoteError::Malformed(why.into())
}

/// Checks a key name: non-empty, no Unicode whitespace, no `+`, no control
/// characters, at most [`MAX_NAME_BYTES`] bytes.
pub fn check_name(name: &str) -> Result<(), NoteError> {
    check_name_within(name, "key name", MAX_NAME_BYTES)
}

/// Checks a name as [`check_name`] does, with another length limit (`what` names it in the error).
pub fn check_name_within(name: &str, what: &'static str, max: usize) -> Result<(), NoteError> {
    if name.len() > max {
        return Err(NoteError::TooLong { what, len: name.len(), max });
    }
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control()) {
        return Err(NoteError::KeyName(name.to_string()));
    }
    Ok(())
}

/// `SHA-256(name || 0x0A || 0x01 || public key)[:4]`, big-endian.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    key_id_of(name, ALG_ED25519, public)
}

/// `SHA-256(name || 0x0A || alg || public key)[:4]`, big-endian.
pub fn key_id_of(name: &str, alg: u8, public: &[u8; 32]) -> u32 {
    let mut buf = Vec::with_capacity(name.len() + 34);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    buf.push(alg);
    buf.extend_from_slice(public);
    let [a, b, c, d, ..] = sha256(&buf);
    u32::from_be_bytes([a, b, c, d])
}

/// Decodes standard base64 strictly: padding required, canonical trailing bits.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let v = STANDARD.decode(s).ok()?;
    (STANDARD.encode(&v) == s).then_some(v)
}

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn parse_hex_id(s: &str) -> Option<u32> {
    crate::hex::decode_array::<4>(s).map(u32::from_be_bytes)
}

/// A verifier (public) key: name, key id, type and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VerifierKey {
    name: String,
    id: u32,
    alg: u8,
    public: [u8; 32],
    prepared: Prepared,
}

/// The key decompressed and checked, for verifying. A function of `public`,
/// so it takes no part in comparisons.
#[derive(Clone, Copy, Debug)]
struct Prepared(PublicKey);

impl PartialEq for Prepared {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Prepared {}
impl PartialOrd for Prepared {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Prepared {
    fn cmp(&self, _: &Self) -> core::cmp::Ordering {
        core::cmp::Ordering::Equal
    }
}
impl core::hash::Hash for Prepared {
    fn hash<H: core::hash::Hasher>(&self, _: &mut H) {}
}

/// What one signature line says under a key ([`VerifierKey::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCheck {
    /// The signature verifies; a cosignature (type 0x04) carries its timestamp.
    Valid {
        /// The cosignature's POSIX timestamp (type 0x04 only).
        timestamp: Option<u64>,
    },
    /// It does not verify under the key.
    Invalid,
}

/// The message a cosignature/v1 signs: `cosignature/v1\ntime <t>\n` then the note text.
pub fn cosigned_message(timestamp: u64, text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(text);
    m
}

/// Splits a cosignature/v1 signature into its timestamp and Ed25519
/// signature: `None` unless it is 72 bytes with a timestamp of at most
/// [`MAX_TIMESTAMP`].
pub fn split_cosignature(sig: &[u8]) -> Option<(u64, &[u8])> {
    let (t, rest) = sig.split_first_chunk::<8>()?;
    let t = u64::from_be_bytes(*t);
    (rest.len() == 64 && t <= MAX_TIMESTAMP).then_some((t, rest))
}

/// What a key's type byte is, in words, for messages.
fn alg_words(alg: u8) -> &'static str {
    match alg {
        ALG_ED25519 => "an Ed25519 note key (type 0x01)",
        ALG_COSIGNATURE_V1 => "an Ed25519 cosignature/v1 witness key (type 0x04)",
        _ => "a key of an unsupported type",
    }
}

/// Reads `base64(type || 32 bytes)` of a key string: the type (0x01 or 0x04) and the bytes.
fn key_material(name: &str, key: &str, what: &str) -> Result<(u8, [u8; 32]), NoteError> {
    let raw = b64_decode(key).ok_or_else(|| NoteError::Key(format!("key data of {name} is not standard base64")))?;
    match raw.as_slice() {
        [alg @ (ALG_ED25519 | ALG_COSIGNATURE_V1), rest @ ..] => {
            let bytes: [u8; 32] = rest
                .try_into()
                .map_err(|_| NoteError::Key(format!("key data of {name} is not 33 bytes (type || 32-byte {what})")))?;
            Ok((*alg, bytes))
        }
        [0x06, ..] => Err(NoteError::Key(format!(
            "key {name} is an ML-DSA-44 cosignature key (type 0x06), which omega does not support; only Ed25519 (0x01) and Ed25519 cosignature/v1 (0x04)"
        ))),
        [alg, ..] => Err(NoteError::Key(format!(
            "key {name} has type {alg:#04x}; only Ed25519 (0x01) and Ed25519 cosignature/v1 (0x04) are supported"
        ))),
        [] => Err(NoteError::Key(format!("key data of {name} is empty"))),
    }
}

impl VerifierKey {
    /// An Ed25519 note key (type 0x01) for `public` under `name`; refuses a bad name or a weak key.
    pub fn new(name: &str, public: [u8; 32]) -> Result<Self, NoteError> {
        Self::with_type(name, ALG_ED25519, public)
    }

    /// A key of type `alg` ([`ALG_ED25519`] or [`ALG_COSIGNATURE_V1`]) for
    /// `public` under `name`; refuses another type, a bad name or a weak key.
    pub fn with_type(name: &str, alg: u8, public: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(NoteError::Key(format!("key type {alg:#04x} is not supported; only 0x01 and 0x04")));
        }
        // Strict: a canonical encoding, not of small order, and in the prime-order subgroup.
        let prepared = PublicKey::new(&public).map_err(|_| NoteError::WeakKey { name: name.to_string() })?;
        Ok(VerifierKey { id: key_id_of(name, alg, &public), name: name.to_string(), alg, public, prepared: Prepared(prepared) })
    }

    /// Parses `<name>+<8 hex key id>+<base64(type || key)>`, type 0x01 or 0x04.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let s = s.strip_suffix('\n').unwrap_or(s);
        if s.starts_with("PRIVATE+KEY+") {
            return Err(NoteError::Key(
                "this is a signer (private) key; a verifier key has the form name+keyid+base64".to_string(),
            ));
        }
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(key), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key(format!("{s:?} is not of the form name+keyid+base64(type||key)")));
        };
        check_name(name)?;
        let id = parse_hex_id(id).ok_or_else(|| NoteError::Key(format!("key id {id:?} is not 8 lowercase hex digits")))?;
        let (alg, public) = key_material(name, key, "key")?;
        let vk = VerifierKey::with_type(name, alg, public)?;
        if vk.id != id {
            return Err(NoteError::KeyId { name: name.to_string() });
        }
        Ok(vk)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The 32-bit key id.
    pub fn id(&self) -> u32 {
        self.id
    }
    /// The key type: [`ALG_ED25519`] or [`ALG_COSIGNATURE_V1`].
    pub fn alg(&self) -> u8 {
        self.alg
    }
    /// Whether this is a witness key (cosignature/v1, type 0x04).
    pub fn is_cosigner(&self) -> bool {
        self.alg == ALG_COSIGNATURE_V1
    }
    /// The Ed25519 public key.
    pub fn public(&self) -> &[u8; 32] {
        &self.public
    }

    /// Strict RFC 8032 verification of `sig` (64 bytes) over `msg`, by the
    /// rules of [`crate::certify::ed25519`] (the key was checked and
    /// decompressed once, when this was made). The raw signature check,
    /// whatever the key's type: [`VerifierKey::check`] reads a note's line.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        self.prepared.0.verify(msg, sig)
    }

    /// A note signature line's bytes `sig` over the note `text`, by this
    /// key's type: an Ed25519 signature of the text (0x01), or a
    /// cosignature/v1 (0x04: 72 bytes, timestamp then signature of
    /// [`cosigned_message`]).
    pub fn check(&self, text: &[u8], sig: &[u8]) -> LineCheck {
        if self.alg == ALG_COSIGNATURE_V1 {
            match split_cosignature(sig) {
                Some((t, s)) if self.verify(&cosigned_message(t, text), s) => LineCheck::Valid { timestamp: Some(t) },
                _ => LineCheck::Invalid,
            }
        } else if self.verify(text, sig) {
            LineCheck::Valid { timestamp: None }
        } else {
            LineCheck::Invalid
        }
    }

    /// The checked key, for [`crate::certify::ed25519::verify_each`].
    pub fn key(&self) -> &PublicKey {
        &self.prepared.0
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = Vec::with_capacity(33);
        data.push(self.alg);
        data.extend_from_slice(&self.public);
        write!(f, "{}+{:08x}+{}", self.name, self.id, b64(&data))
    }
}

/// A signer (private) key. Its `Debug` form never shows the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct SignerKey {
    name: String,
    seed: [u8; 32],
    verifier: VerifierKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey").field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

impl SignerKey {
    /// The Ed25519 note key (type 0x01) with this 32-byte RFC 8032 seed (the caller supplies the randomness).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        Self::from_seed_typed(name, ALG_ED25519, seed)
    }

    /// The key of type `alg` (0x01 note key, 0x04 witness key) with this seed.
    pub fn from_seed_typed(name: &str, alg: u8, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        Ok(SignerKey { name: name.to_string(), seed, verifier: VerifierKey::with_type(name, alg, public)? })
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex key id>+<base64(type || seed)>`, type 0x01 or 0x04.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let s = s.strip_suffix('\n').unwrap_or(s);
        let Some(rest) = s.strip_prefix("PRIVATE+KEY+") else {
            return Err(NoteError::Key(
                "not a signer key: it must start with PRIVATE+KEY+ (is this a verifier key?)".to_string(),
            ));
        };
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::Key("a signer key has the form PRIVATE+KEY+name+keyid+base64(type||seed)".to_string()));
        };
        check_name(name)?;
        let id = parse_hex_id(id).ok_or_else(|| NoteError::Key(format!("key id {id:?} is not 8 lowercase hex digits")))?;
        let (alg, seed) = key_material(name, key, "seed")?;
        let k = SignerKey::from_seed_typed(name, alg, seed)?;
        if k.verifier.id != id {
            return Err(NoteError::KeyId { name: name.to_string() });
        }
        Ok(k)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Whether this is a witness key (cosignature/v1, type 0x04).
    pub fn is_cosigner(&self) -> bool {
        self.verifier.is_cosigner()
    }

    /// The signer key in its text form (a secret: write it only to private files).
    pub fn to_text(&self) -> String {
        let mut data = Vec::with_capacity(33);
        data.push(self.verifier.alg);
        data.extend_from_slice(&self.seed);
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.verifier.id, b64(&data))
    }

    /// The RFC 8032 signature of `msg` (deterministic), whatever the key's type.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(&self.seed).sign(msg).to_bytes()
    }

    /// A signature line's contents for `text` by a note key (type 0x01).
    /// A witness key signs with [`SignerKey::sign_line`], which takes its timestamp.
    pub fn sign_note(&self, text: &str) -> NoteSignature {
        NoteSignature { name: self.name.clone(), id: self.verifier.id, sig: self.sign(text.as_bytes()).to_vec() }
    }

    /// A signature line for `text` by this key's type: a note key (0x01)
    /// signs the text and takes no timestamp; a witness key (0x04) makes a
    /// cosignature/v1 at POSIX time `timestamp`, which it requires (at most
    /// [`MAX_TIMESTAMP`]). Refused (3503) otherwise, and for a text of fewer
    /// than three lines, which no checkpoint is.
    pub fn sign_line(&self, text: &str, timestamp: Option<u64>) -> Result<NoteSignature, NoteError> {
        match (self.verifier.alg, timestamp) {
            (ALG_COSIGNATURE_V1, Some(t)) => {
                if t > MAX_TIMESTAMP {
                    return Err(NoteError::Key(format!("the timestamp {t} is over 2^63 - 1")));
                }
                if text.matches('\n').count() < 3 {
                    return Err(NoteError::Key("a cosignature signs a checkpoint: a text of at least three lines".to_string()));
                }
                let mut sig = t.to_be_bytes().to_vec();
                sig.extend_from_slice(&self.sign(&cosigned_message(t, text.as_bytes())));
                Ok(NoteSignature { name: self.name.clone(), id: self.verifier.id, sig })
            }
            (ALG_COSIGNATURE_V1, None) => Err(NoteError::Key(format!(
                "{} is {}: its cosignature carries a timestamp, and none was given",
                self.name,
                alg_words(ALG_COSIGNATURE_V1)
            ))),
            (_, None) => Ok(self.sign_note(text)),
            (alg, Some(_)) => Err(NoteError::Key(format!(
                "{} is {}, which signs no timestamp; only a witness key (type 0x04) takes one",
                self.name,
                alg_words(alg)
            ))),
        }
    }
}

/// One signature line: key name, key id, and the signature bytes after the id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key id.
    pub id: u32,
    /// Signature bytes (64 for Ed25519; other algorithms are kept as they are).
    pub sig: Vec<u8>,
}

impl NoteSignature {
    /// `— <name> <base64(id || sig)>\n`.
    pub fn to_line(&self) -> String {
        let mut data = Vec::with_capacity(4 + self.sig.len());
        data.extend_from_slice(&self.id.to_be_bytes());
        data.extend_from_slice(&self.sig);
        format!("{SIG_PREFIX}{} {}\n", self.name, b64(&data))
    }
}

/// A signed note: its text and signatures, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note strictly (C2SP signed-note).
    pub fn parse(input: &[u8]) -> Result<Note, NoteError> {
        if input.len() > MAX_NOTE_BYTES {
            return Err(malformed(format!("note is {} bytes, over the {MAX_NOTE_BYTES}-byte limit", input.len())));
        }
        let s = core::str::from_utf8(input).map_err(|e| malformed(format!("not UTF-8 (at byte {})", e.valid_up_to())))?;
        if let Some(pos) = s.find(|c: char| c.is_ascii_control() && c != '\n') {
            return Err(malformed(format!("control character at byte {pos} (only newline is allowed)")));
        }
        let Some(split) = s.rfind("\n\n") else {
            return Err(malformed("no blank line separates the text from the signatures"));
        };
        let text = s.get(..split + 1).unwrap_or_default();
        let sigs = s.get(split + 2..).unwrap_or_default();
        if text.is_empty() {
            return Err(malformed("the note text is empty"));
        }
        if sigs.is_empty() {
            return Err(malformed("no signature lines after the blank line"));
        }
        let Some(body) = sigs.strip_suffix('\n') else {
            return Err(malformed("the last signature line does not end in a newline"));
        };
        let text_lines = text.matches('\n').count();
        let mut signatures = Vec::new();
        for (i, line) in body.split('\n').enumerate() {
            let at = text_lines + 2 + i;
            if signatures.len() == MAX_SIGNATURES {
                return Err(malformed(format!("more than {MAX_SIGNATURES} signatures")));
            }
            let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
                return Err(malformed(format!("line {at} is not a signature line (`— name base64`)")));
            };
            let Some((name, data)) = rest.split_once(' ') else {
                return Err(malformed(format!("line {at}: a signature line is `— name base64`")));
            };
            check_name(name).map_err(|e| match e {
                NoteError::TooLong { .. } => malformed(format!("line {at}: {e}")),
                _ => malformed(format!("line {at}: key name {name:?} is invalid")),
            })?;
            let raw = b64_decode(data).ok_or_else(|| malformed(format!("line {at}: the signature is not standard base64")))?;
            let (Some(id), Some(sig)) = (raw.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()), raw.get(4..)) else {
                return Err(malformed(format!("line {at}: the signature is shorter than its 4-byte key id")));
            };
            if sig.is_empty() {
                return Err(malformed(format!("line {at}: the signature is empty")));
            }
            if sig.len() > MAX_SIG_BYTES {
                return Err(malformed(format!("line {at}: the signature is {} bytes; at most {MAX_SIG_BYTES}", sig.len())));
            }
            let id = u32::from_be_bytes(id);
            signatures.push(NoteSignature { name: name.to_string(), id, sig: sig.to_vec() });
        }
        Ok(Note { text: text.to_string(), signatures })
    }

    /// The note's text form: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_roundtrip_and_refuse_the_wrong_kind() {
        let k = SignerKey::from_seed("example.com/a", [7; 32]).unwrap();
        let text = k.to_text();
        assert_eq!(SignerKey::parse(&text).unwrap(), k);
        let v = k.verifier().to_string();
        assert_eq!(VerifierKey::parse(&v).unwrap(), *k.verifier());
        assert_eq!(VerifierKey::parse(&text).unwrap_err().code(), 3503);
        assert_eq!(SignerKey::parse(&v).unwrap_err().code(), 3503);
        assert_eq!(SignerKey::from_seed("a b", [1; 32]).unwrap_err().code(), 3502);
        assert_eq!(SignerKey::from_seed("a+b", [1; 32]).unwrap_err().code(), 3502);
        // another id
        let bad = v.replacen(&format!("{:08x}", k.verifier().id()), "00000000", 1);
        assert_eq!(VerifierKey::parse(&bad).unwrap_err().code(), 3504);
        // small-order key (the identity point)
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(VerifierKey::new("x", id).unwrap_err().code(), 3505);
    }

    #[test]
    fn keys_whose_base64_holds_a_plus_parse() {
        // Base64 uses `+`; only the first two `+` separate the fields.
        let mut seen = 0;
        for b in 0..64u8 {
            let k = SignerKey::from_seed("n", [b; 32]).unwrap();
            let v = k.verifier().to_string();
            if v.matches('+').count() > 2 {
                seen += 1;
            }
            assert_eq!(VerifierKey::parse(&v).unwrap(), *k.verifier());
            assert_eq!(SignerKey::parse(&k.to_text()).unwrap(), k);
        }
        assert!(seen > 0, "no key with a `+` in its base64 was tried");
    }

    #[test]
    fn notes_roundtrip_and_verify() {
        let k = SignerKey::from_seed("example.com/a", [9; 32]).unwrap();
        let text = "hello\n\nworld\n".to_string();
        let n = Note { signatures: alloc::vec![k.sign_note(&text)], text };
        let t = n.to_text();
        let back = Note::parse(t.as_bytes()).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.to_text(), t);
        assert!(k.verifier().verify(back.text.as_bytes(), &back.signatures[0].sig));
        assert!(!k.verifier().verify(b"hello\n", &back.signatures[0].sig));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let k = SignerKey::from_seed("n", [3; 32]).unwrap();
        let good = Note { text: "a\n".into(), signatures: alloc::vec![k.sign_note("a\n")] }.to_text();
        assert!(Note::parse(good.as_bytes()).is_ok());
        for bad in [
            "a\n",
            "a\n\n",
            "a\n\n— n AAAAAAA=",
            "a\n\n- n AAAAAAA=\n",
            "a\n\n— n AAAA\n",
            "a\n\n— n AAA*\n",
            "a\r\n\n— n AAAAAAA=\n",
            "a\n\n— a+b AAAAAAA=\n",
            "a\n\n— n AAAAAAA=\n\n",
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(Note::parse(&[0xff, b'\n', b'\n']).is_err());
    }
}
