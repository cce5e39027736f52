//! Checkpoints, certificates, committees, quorum and chains.
//!
//! A **checkpoint** is a C2SP tlog-checkpoint body (origin, tree size, base64
//! root) followed by omega's extension lines, in this order:
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <base64 root>
//! omega-kind state|obstruction
//! omega-height <decimal>
//! omega-prev genesis|<64 hex: SHA-256 of the previous checkpoint body>
//! omega-state <64 hex: state hash>
//! omega-committee none|<64 hex: committee hash>
//! omega-evidence <64 hex>            (kind obstruction only)
//! omega-tick <decimal>               (kind ecs only: the world tick attested)
//! omega-consistency <64 hex>         (zero or more: RFC 9162 proof from the previous tree)
//! ```
//!
//! A **certificate** is that checkpoint signed as a C2SP signed note by one
//! or more keys; its binary form (`OMGC`, see [`Certificate::encode`])
//! round-trips byte for byte to and from the note text. Its identity
//! ([`Certificate::hash`]) is the SHA-256 of the checkpoint body, so
//! co-signing does not change it.
//!
//! A **committee** is a threshold k and a set of verifier keys; a
//! certificate is valid for it with k distinct member signatures that pass
//! strict Ed25519 verification. A **chain** is valid when heights run from 0
//! without gaps, each certificate names its predecessor's hash, and each tree
//! is a consistency-proven extension of the last.
use crate::cursor::Cursor;
use crate::error::ErrorCode;
use crate::hash::{Hash, sha256};
use crate::hex;
use crate::note::{self, Note, NoteError, NoteSignature, SignerKey, VerifierKey};
use crate::proof;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Most consistency-proof lines a checkpoint may carry (a proof has at most 2 × 64 hashes).
pub const MAX_CONSISTENCY: usize = 128;

/// What a certificate attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The history reconciled cleanly to this tree and state.
    State,
    /// A batch obstructed; the history is unchanged and the evidence hash is committed.
    Obstruction,
    /// After tick N of the ECS world driven by this history, the world hash is the state hash.
    Ecs,
}

impl Kind {
    /// The name used in the checkpoint and in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::State => "state",
            Kind::Obstruction => "obstruction",
            Kind::Ecs => "ecs",
        }
    }
    fn tag(&self) -> u8 {
        match self {
            Kind::State => 1,
            Kind::Obstruction => 2,
            Kind::Ecs => 3,
        }
    }
    fn from_tag(t: u8) -> Option<Self> {
        match t {
            1 => Some(Kind::State),
            2 => Some(Kind::Obstruction),
            3 => Some(Kind::Ecs),
            _ => None,
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "state" => Some(Kind::State),
            "obstruction" => Some(Kind::Obstruction),
            "ecs" => Some(Kind::Ecs),
            _ => None,
        }
    }
}

/// Why a checkpoint, certificate, committee or certify request was refused. Codes 36xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// 3501–3505: the signed note or a key (see [`NoteError`]).
    Note(NoteError),
    /// 3601: the checkpoint body is not in omega's exact form (line number and reason).
    Checkpoint(String),
    /// 3602: the binary certificate is malformed (offset and reason).
    Binary(String),
    /// 3603: the committee is invalid (reason).
    Committee(String),
    /// 3604: the result cannot be certified on top of the previous certificate (reason).
    Extend(String),
    /// 3605: the key already signed this certificate, or is not allowed to.
    Sign(String),
    /// 3606: the input is not a reconcile result (or a committee file) omega can read (reason).
    Input(String),
}

impl ErrorCode for CertError {
    fn code(&self) -> u16 {
        match self {
            CertError::Note(e) => e.code(),
            CertError::Checkpoint(_) => 3601,
            CertError::Binary(_) => 3602,
            CertError::Committee(_) => 3603,
            CertError::Extend(_) => 3604,
            CertError::Sign(_) => 3605,
            CertError::Input(_) => 3606,
        }
    }
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Note(e) => e.fmt(f),
            CertError::Checkpoint(w) => write!(f, "checkpoint: {w}"),
            CertError::Binary(w) => write!(f, "binary certificate: {w}"),
            CertError::Committee(w) => write!(f, "committee: {w}"),
            CertError::Extend(w) => write!(f, "cannot certify: {w}"),
            CertError::Sign(w) => write!(f, "cannot sign: {w}"),
            CertError::Input(w) => write!(f, "{w}"),
        }
    }
}

impl From<NoteError> for CertError {
    fn from(e: NoteError) -> Self {
        CertError::Note(e)
    }
}

/// A checkpoint: what a certificate's signers attest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (a key name: no spaces, no `+`).
    pub origin: String,
    /// Number of leaves.
    pub tree_size: u64,
    /// RFC 6962 root.
    pub root: Hash,
    /// What is attested.
    pub kind: Kind,
    /// Position in the chain; 0 for genesis.
    pub height: u64,
    /// Hash of the previous checkpoint body; `None` exactly at genesis.
    pub prev: Option<Hash>,
    /// The state hash (for an obstruction: of the unchanged prior state).
    pub state_hash: Hash,
    /// Hash of the committee expected to sign, when one was named.
    pub committee: Option<Hash>,
    /// For an obstruction: the evidence hash.
    pub evidence: Option<Hash>,
    /// For kind ecs: the world tick the state hash is of.
    pub tick: Option<u64>,
    /// RFC 9162 consistency proof from the previous checkpoint's tree to this one.
    pub consistency: Vec<Hash>,
}

fn cp_err(line: usize, why: impl fmt::Display) -> CertError {
    CertError::Checkpoint(format!("line {line}: {why}"))
}

fn hex32(s: &str) -> Option<Hash> {
    hex::decode_array::<32>(s)
}

fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Checkpoint {
    /// Checks the rules that tie the fields together.
    pub fn validate(&self) -> Result<(), CertError> {
        note::check_name(&self.origin).map_err(|_| cp_err(1, "the origin must be non-empty with no spaces and no `+`"))?;
        if (self.height == 0) != self.prev.is_none() {
            return Err(CertError::Checkpoint("height 0 (genesis) exactly when there is no previous checkpoint".into()));
        }
        if self.prev.is_none() && !self.consistency.is_empty() {
            return Err(CertError::Checkpoint("a genesis checkpoint carries no consistency proof".into()));
        }
        if self.consistency.len() > MAX_CONSISTENCY {
            return Err(CertError::Checkpoint(format!("more than {MAX_CONSISTENCY} consistency hashes")));
        }
        if (self.kind == Kind::Obstruction) != self.evidence.is_some() {
            return Err(CertError::Checkpoint("an evidence hash is present exactly for kind obstruction".into()));
        }
        if (self.kind == Kind::Ecs) != self.tick.is_some() {
            return Err(CertError::Checkpoint("a tick is present exactly for kind ecs".into()));
        }
        Ok(())
    }

    /// The checkpoint body: the note text that is signed.
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\nomega-kind {}\nomega-height {}\n",
            self.origin,
            self.tree_size,
            note::b64(&self.root),
            self.kind.as_str(),
            self.height
        );
        match &self.prev {
            Some(p) => s.push_str(&format!("omega-prev {}\n", hex::encode(p))),
            None => s.push_str("omega-prev genesis\n"),
        }
        s.push_str(&format!("omega-state {}\n", hex::encode(&self.state_hash)));
        match &self.committee {
            Some(c) => s.push_str(&format!("omega-committee {}\n", hex::encode(c))),
            None => s.push_str("omega-committee none\n"),
        }
        if let Some(e) = &self.evidence {
            s.push_str(&format!("omega-evidence {}\n", hex::encode(e)));
        }
        if let Some(t) = self.tick {
            s.push_str(&format!("omega-tick {t}\n"));
        }
        for h in &self.consistency {
            s.push_str(&format!("omega-consistency {}\n", hex::encode(h)));
        }
        s
    }

    /// SHA-256 of the body: the checkpoint's identity, named by its successor.
    pub fn hash(&self) -> Hash {
        sha256(self.body().as_bytes())
    }

    /// Parses a checkpoint body strictly: exactly the form [`Checkpoint::body`] writes.
    pub fn parse(text: &str) -> Result<Self, CertError> {
        let Some(text_nl) = text.strip_suffix('\n') else {
            return Err(CertError::Checkpoint("the body must end in a newline".into()));
        };
        let lines: Vec<&str> = text_nl.split('\n').collect();
        let line = |i: usize| lines.get(i).copied().unwrap_or_default();
        if lines.len() < 8 {
            return Err(CertError::Checkpoint(format!(
                "{} lines; an omega checkpoint has at least 8 (origin, size, root, kind, height, prev, state, committee)",
                lines.len()
            )));
        }
        let origin = line(0).to_string();
        let tree_size = decimal(line(1)).ok_or_else(|| cp_err(2, "the tree size must be a decimal u64 with no leading zeros"))?;
        let root: Hash = note::b64_decode(line(2))
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| cp_err(3, "the root must be the standard base64 of 32 bytes"))?;
        let field = |i: usize, key: &str| -> Result<&str, CertError> {
            line(i)
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or_else(|| cp_err(i + 1, format!("expected `{key} ...`")))
        };
        let kind = Kind::parse(field(3, "omega-kind")?).ok_or_else(|| cp_err(4, "kind must be `state` or `obstruction`"))?;
        let height = decimal(field(4, "omega-height")?).ok_or_else(|| cp_err(5, "height must be a decimal u64 with no leading zeros"))?;
        let prev = match field(5, "omega-prev")? {
            "genesis" => None,
            h => Some(hex32(h).ok_or_else(|| cp_err(6, "prev must be `genesis` or 64 lowercase hex digits"))?),
        };
        let state_hash = hex32(field(6, "omega-state")?).ok_or_else(|| cp_err(7, "state must be 64 lowercase hex digits"))?;
        let committee = match field(7, "omega-committee")? {
            "none" => None,
            h => Some(hex32(h).ok_or_else(|| cp_err(8, "committee must be `none` or 64 lowercase hex digits"))?),
        };
        let mut i = 8;
        let mut evidence = None;
        if kind == Kind::Obstruction {
            evidence = Some(
                hex32(field(i, "omega-evidence")?).ok_or_else(|| cp_err(i + 1, "evidence must be 64 lowercase hex digits"))?,
            );
            i += 1;
        }
        let mut tick = None;
        if kind == Kind::Ecs {
            tick = Some(decimal(field(i, "omega-tick")?).ok_or_else(|| cp_err(i + 1, "tick must be a decimal u64 with no leading zeros"))?);
            i += 1;
        }
        let mut consistency = Vec::new();
        while i < lines.len() {
            let h = hex32(field(i, "omega-consistency")?)
                .ok_or_else(|| cp_err(i + 1, "a consistency hash must be 64 lowercase hex digits"))?;
            consistency.push(h);
            i += 1;
        }
        let cp = Checkpoint { origin, tree_size, root, kind, height, prev, state_hash, committee, evidence, tick, consistency };
        cp.validate()?;
        if cp.body() != text {
            return Err(CertError::Checkpoint("not in canonical form".into()));
        }
        Ok(cp)
    }
}

/// A committee: a threshold and its members' verifier keys (sorted, unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    threshold: u32,
    members: Vec<VerifierKey>,
}

impl Committee {
    /// A committee of `members` requiring `threshold` distinct signatures.
    pub fn new(threshold: u32, mut members: Vec<VerifierKey>) -> Result<Self, CertError> {
        if members.is_empty() {
            return Err(CertError::Committee("it has no members".into()));
        }
        members.sort_by_key(|m| m.to_string());
        if let Some(w) = members.windows(2).find(|w| matches!(w, [a, b] if a == b)) {
            let name = w.first().map(|m| m.name().to_string()).unwrap_or_default();
            return Err(CertError::Committee(format!("member {name} is listed twice")));
        }
        if let Some(w) = members.windows(2).find(|w| matches!(w, [a, b] if a.name() == b.name() && a.id() == b.id())) {
            let name = w.first().map(|m| m.name().to_string()).unwrap_or_default();
            return Err(CertError::Committee(format!("two members share the name and key id of {name}")));
        }
        let n = u32::try_from(members.len()).unwrap_or(u32::MAX);
        if threshold == 0 || threshold > n {
            return Err(CertError::Committee(format!("threshold {threshold} must be between 1 and the {n} members")));
        }
        Ok(Committee { threshold, members })
    }

    /// k.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// The members, sorted by their text form.
    pub fn members(&self) -> &[VerifierKey] {
        &self.members
    }

    /// SHA-256 of `"omega-committee v1\nthreshold <k>\n"` followed by each
    /// member's verifier key and a newline, in sorted order.
    pub fn hash(&self) -> Hash {
        let mut s = format!("omega-committee v1\nthreshold {}\n", self.threshold);
        for m in &self.members {
            s.push_str(&m.to_string());
            s.push('\n');
        }
        sha256(s.as_bytes())
    }

    fn member(&self, name: &str, id: u32) -> Option<&VerifierKey> {
        self.members.iter().find(|m| m.name() == name && m.id() == id)
    }
}

/// A checkpoint and its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// What is attested.
    pub checkpoint: Checkpoint,
    /// Signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

const CERT_MAGIC: &[u8; 4] = b"OMGC";
const CERT_VERSION: u8 = 1;

impl Certificate {
    /// A checkpoint signed by `key`.
    pub fn sign_new(checkpoint: Checkpoint, key: &SignerKey) -> Result<Self, CertError> {
        checkpoint.validate()?;
        let mut c = Certificate { checkpoint, signatures: Vec::new() };
        c.cosign(key)?;
        Ok(c)
    }

    /// Adds `key`'s signature. Refused when that key (name and id) already signed.
    pub fn cosign(&mut self, key: &SignerKey) -> Result<(), CertError> {
        let v = key.verifier();
        if self.signatures.iter().any(|s| s.name == v.name() && s.id == v.id()) {
            return Err(CertError::Sign(format!("{} already signed this certificate", v.name())));
        }
        if self.signatures.len() >= note::MAX_SIGNATURES {
            return Err(CertError::Sign(format!("a note holds at most {} signatures", note::MAX_SIGNATURES)));
        }
        self.signatures.push(key.sign_note(&self.checkpoint.body()));
        Ok(())
    }

    /// The certificate's identity: the hash of its checkpoint body.
    pub fn hash(&self) -> Hash {
        self.checkpoint.hash()
    }

    /// The signed-note text.
    pub fn to_note(&self) -> String {
        Note { text: self.checkpoint.body(), signatures: self.signatures.clone() }.to_text()
    }

    /// Parses the signed-note text.
    pub fn from_note(bytes: &[u8]) -> Result<Self, CertError> {
        let n = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(&n.text)?;
        Ok(Certificate { checkpoint, signatures: n.signatures })
    }

    /// Reads either form: binary when it starts with `OMGC`, else the note text.
    pub fn read(bytes: &[u8]) -> Result<Self, CertError> {
        if bytes.starts_with(CERT_MAGIC) { Self::decode(bytes) } else { Self::from_note(bytes) }
    }

    /// Binary form, version 1 (big-endian):
    /// ```text
    /// "OMGC" | 1 | kind u8 | origin len u16 | origin | tree_size u64 | root 32
    /// | height u64 | flag u8 [| prev 32] | state 32 | flag u8 [| committee 32]
    /// | flag u8 [| evidence 32] | (kind ecs only: tick u64) | consistency count u8 | 32 each
    /// | signature count u16 | per signature: name len u8 | name | key id u32 | len u16 | bytes
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let c = &self.checkpoint;
        let mut out = Vec::new();
        out.extend_from_slice(CERT_MAGIC);
        out.push(CERT_VERSION);
        out.push(c.kind.tag());
        let origin = c.origin.as_bytes();
        out.extend_from_slice(&u16::try_from(origin.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(origin);
        out.extend_from_slice(&c.tree_size.to_be_bytes());
        out.extend_from_slice(&c.root);
        out.extend_from_slice(&c.height.to_be_bytes());
        let opt = |out: &mut Vec<u8>, h: &Option<Hash>| match h {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(h);
            }
            None => out.push(0),
        };
        opt(&mut out, &c.prev);
        out.extend_from_slice(&c.state_hash);
        opt(&mut out, &c.committee);
        opt(&mut out, &c.evidence);
        if let Some(t) = c.tick {
            out.extend_from_slice(&t.to_be_bytes());
        }
        out.push(u8::try_from(c.consistency.len()).unwrap_or(u8::MAX));
        for h in &c.consistency {
            out.extend_from_slice(h);
        }
        out.extend_from_slice(&u16::try_from(self.signatures.len()).unwrap_or(u16::MAX).to_be_bytes());
        for s in &self.signatures {
            out.push(u8::try_from(s.name.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(s.name.as_bytes());
            out.extend_from_slice(&s.id.to_be_bytes());
            out.extend_from_slice(&u16::try_from(s.sig.len()).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(&s.sig);
        }
        out
    }

    /// Parses the binary form strictly (no trailing bytes; fields as the note text allows).
    pub fn decode(bytes: &[u8]) -> Result<Self, CertError> {
        let mut c = Cursor::new(bytes);
        let bin = |c: &Cursor<'_>, why: &str| CertError::Binary(format!("at byte {}: {why}", c.pos()));
        macro_rules! get {
            ($n:literal, $what:literal) => {
                c.array::<$n>().ok_or_else(|| bin(&c, concat!("truncated in ", $what)))?
            };
        }
        if &get!(4, "the magic") != CERT_MAGIC {
            return Err(bin(&c, "the magic is not OMGC"));
        }
        let [v] = get!(1, "the version");
        if v != CERT_VERSION {
            return Err(bin(&c, &format!("version {v} is not supported (this build reads version 1)")));
        }
        let [k] = get!(1, "the kind");
        let kind = Kind::from_tag(k).ok_or_else(|| bin(&c, "unknown kind"))?;
        let olen = usize::from(u16::from_be_bytes(get!(2, "the origin length")));
        let origin = c.take(olen).ok_or_else(|| bin(&c, "truncated in the origin"))?;
        let origin = core::str::from_utf8(origin).map_err(|_| bin(&c, "the origin is not UTF-8"))?.to_string();
        let tree_size = u64::from_be_bytes(get!(8, "the tree size"));
        let root = get!(32, "the root");
        let height = u64::from_be_bytes(get!(8, "the height"));
        macro_rules! opt {
            ($what:literal) => {
                match get!(1, $what) {
                    [0] => None,
                    [1] => Some(get!(32, $what)),
                    _ => return Err(bin(&c, concat!("the ", $what, " flag is neither 0 nor 1"))),
                }
            };
        }
        let prev = opt!("prev");
        let state_hash = get!(32, "the state hash");
        let committee = opt!("committee");
        let evidence = opt!("evidence");
        let tick = if kind == Kind::Ecs { Some(u64::from_be_bytes(get!(8, "the tick"))) } else { None };
        let [n] = get!(1, "the consistency count");
        let mut consistency = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            consistency.push(get!(32, "the consistency proof"));
        }
        let nsig = usize::from(u16::from_be_bytes(get!(2, "the signature count")));
        if nsig == 0 || nsig > note::MAX_SIGNATURES {
            return Err(bin(&c, &format!("{nsig} signatures; a certificate has 1 to {}", note::MAX_SIGNATURES)));
        }
        let mut signatures = Vec::with_capacity(nsig);
        for _ in 0..nsig {
            let [nl] = get!(1, "a signer name length");
            let name = c.take(usize::from(nl)).ok_or_else(|| bin(&c, "truncated in a signer name"))?;
            let name = core::str::from_utf8(name).map_err(|_| bin(&c, "a signer name is not UTF-8"))?.to_string();
            note::check_name(&name)?;
            let id = u32::from_be_bytes(get!(4, "a key id"));
            let sl = usize::from(u16::from_be_bytes(get!(2, "a signature length")));
            let sig = c.take(sl).ok_or_else(|| bin(&c, "truncated in a signature"))?.to_vec();
            if sig.is_empty() {
                return Err(bin(&c, "an empty signature"));
            }
            signatures.push(NoteSignature { name, id, sig });
        }
        if c.remaining() != 0 {
            return Err(bin(&c, "trailing bytes after the last signature"));
        }
        let checkpoint = Checkpoint { origin, tree_size, root, kind, height, prev, state_hash, committee, evidence, tick, consistency };
        checkpoint.validate()?;
        let cert = Certificate { checkpoint, signatures };
        // The binary form must stand for a note that parses back to it.
        let text = cert.to_note();
        if Certificate::from_note(text.as_bytes()).as_ref() != Ok(&cert) {
            return Err(CertError::Binary("the fields do not form a valid signed note".into()));
        }
        Ok(cert)
    }
}

/// What became of one signature line under a committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigStatus {
    /// A committee member's valid signature: it counts.
    Valid,
    /// A committee member's key, and the signature does not verify.
    BadSignature,
    /// Not a committee member (name and key id match no member).
    UnknownKey,
    /// The same member signed again; counted once.
    Duplicate,
}

impl SigStatus {
    /// The name used in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            SigStatus::Valid => "valid",
            SigStatus::BadSignature => "bad_signature",
            SigStatus::UnknownKey => "unknown_key",
            SigStatus::Duplicate => "duplicate",
        }
    }
}

/// One signature's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigCheck {
    /// Key name on the line.
    pub name: String,
    /// Key id on the line.
    pub id: u32,
    /// The outcome.
    pub status: SigStatus,
}

/// Why a certificate or a chain is not valid. Codes 37xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// 3701: fewer than k distinct members signed validly.
    Quorum {
        /// Valid distinct member signatures.
        have: u32,
        /// The threshold.
        need: u32,
    },
    /// 3702: the checkpoint names a committee hash other than this committee's.
    CommitteeMismatch {
        /// The hash in the checkpoint.
        named: Hash,
        /// The hash of the committee given.
        given: Hash,
    },
    /// 3703: a member's signature does not verify (it does not count).
    BadSignature {
        /// Key name.
        name: String,
    },
    /// 3711: the chain does not start at a genesis certificate (height 0).
    NoGenesis,
    /// 3712: a height is missing.
    Gap {
        /// The missing height.
        height: u64,
    },
    /// 3713: a certificate does not name its predecessor's hash.
    Link {
        /// Its height.
        height: u64,
    },
    /// 3714: a tree is not a consistency-proven extension of the previous one.
    NotAppendOnly {
        /// Its height.
        height: u64,
        /// Why, in words.
        why: String,
    },
    /// 3715: two different certificates at one height or with one predecessor.
    Fork {
        /// The height.
        height: u64,
        /// The two certificates' hashes.
        a: Hash,
        /// The other.
        b: Hash,
    },
    /// 3716: a certificate in the chain is not valid for the committee.
    Invalid {
        /// Its height.
        height: u64,
    },
}

impl ErrorCode for Problem {
    fn code(&self) -> u16 {
        match self {
            Problem::Quorum { .. } => 3701,
            Problem::CommitteeMismatch { .. } => 3702,
            Problem::BadSignature { .. } => 3703,
            Problem::NoGenesis => 3711,
            Problem::Gap { .. } => 3712,
            Problem::Link { .. } => 3713,
            Problem::NotAppendOnly { .. } => 3714,
            Problem::Fork { .. } => 3715,
            Problem::Invalid { .. } => 3716,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Quorum { have, need } => {
                write!(f, "{have} valid distinct committee signature(s), the threshold is {need}")
            }
            Problem::CommitteeMismatch { named, given } => write!(
                f,
                "the checkpoint names committee {} but the committee given hashes to {}",
                hex::encode(named),
                hex::encode(given)
            ),
            Problem::BadSignature { name } => write!(f, "the signature of member {name} does not verify"),
            Problem::NoGenesis => f.write_str("no certificate at height 0 (genesis)"),
            Problem::Gap { height } => write!(f, "no certificate at height {height}"),
            Problem::Link { height } => {
                write!(f, "the certificate at height {height} does not name the hash of the one at height {}", height.saturating_sub(1))
            }
            Problem::NotAppendOnly { height, why } => {
                write!(f, "the tree at height {height} is not a proven extension of the previous tree: {why}")
            }
            Problem::Fork { height, a, b } => write!(
                f,
                "fork at height {height}: certificates {} and {} both extend the same predecessor",
                hex::encode(a),
                hex::encode(b)
            ),
            Problem::Invalid { height } => write!(f, "the certificate at height {height} is not valid for the committee"),
        }
    }
}

/// The verdict on one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// At least k distinct members signed validly and the committee matches.
    pub valid: bool,
    /// Distinct members with a valid signature.
    pub valid_signers: u32,
    /// k.
    pub threshold: u32,
    /// Every signature line, in order.
    pub checks: Vec<SigCheck>,
    /// What is wrong (invalidating problems first).
    pub problems: Vec<Problem>,
    /// Whether batch verification decided the signatures.
    pub batched: bool,
}

/// Checks `cert` against `committee`: strict Ed25519, distinct members, k of n.
///
/// With two or more member signatures, they are checked in one batch
/// (deterministic coefficients from the inputs, so every engine agrees). The
/// batch accepts exactly what per-signature strict verification accepts:
/// member keys are torsion-free (checked when a committee is built), each R
/// must be canonical and torsion-free, and S canonical. If the batch fails,
/// each signature is checked alone to name the bad ones.
pub fn verify(cert: &Certificate, committee: &Committee) -> Verdict {
    let msg = cert.checkpoint.body();
    let mut checks: Vec<SigCheck> = Vec::with_capacity(cert.signatures.len());
    let mut seen: BTreeMap<(String, u32), ()> = BTreeMap::new();
    // Candidates: first line of each member, (index in checks, key, sig).
    let mut cand: Vec<(usize, &VerifierKey, &[u8])> = Vec::new();
    for s in &cert.signatures {
        let status = match committee.member(&s.name, s.id) {
            None => SigStatus::UnknownKey,
            Some(m) => {
                if seen.insert((s.name.clone(), s.id), ()).is_some() {
                    SigStatus::Duplicate
                } else {
                    cand.push((checks.len(), m, &s.sig));
                    SigStatus::Valid
                }
            }
        };
        checks.push(SigCheck { name: s.name.clone(), id: s.id, status });
    }
    let batched = cand.len() >= 2 && batch_ok(msg.as_bytes(), &cand);
    if !batched {
        for (i, key, sig) in &cand {
            if let (false, Some(c)) = (key.verify(msg.as_bytes(), sig), checks.get_mut(*i)) {
                c.status = SigStatus::BadSignature;
            }
        }
    }
    let valid_signers = u32::try_from(checks.iter().filter(|c| c.status == SigStatus::Valid).count()).unwrap_or(u32::MAX);
    let mut problems = Vec::new();
    if let Some(named) = cert.checkpoint.committee {
        let given = committee.hash();
        if named != given {
            problems.push(Problem::CommitteeMismatch { named, given });
        }
    }
    if valid_signers < committee.threshold {
        problems.push(Problem::Quorum { have: valid_signers, need: committee.threshold });
    }
    let valid = problems.is_empty();
    for c in &checks {
        if c.status == SigStatus::BadSignature {
            problems.push(Problem::BadSignature { name: c.name.clone() });
        }
    }
    Verdict { valid, valid_signers, threshold: committee.threshold, checks, problems, batched }
}

fn batch_ok(msg: &[u8], cand: &[(usize, &VerifierKey, &[u8])]) -> bool {
    use curve25519_dalek::edwards::CompressedEdwardsY;
    let mut sigs = Vec::with_capacity(cand.len());
    let mut keys = Vec::with_capacity(cand.len());
    for (_, key, sig) in cand {
        let Ok(sig) = <[u8; 64]>::try_from(*sig) else { return false };
        let Ok(r) = <[u8; 32]>::try_from(sig.get(..32).unwrap_or_default()) else { return false };
        // R: canonical encoding, torsion-free (which also excludes small order).
        let Some(point) = CompressedEdwardsY(r).decompress() else { return false };
        if point.compress().to_bytes() != r || !point.is_torsion_free() {
            return false;
        }
        let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(key.public()) else { return false };
        sigs.push(ed25519_dalek::Signature::from_bytes(&sig));
        keys.push(vk);
    }
    let msgs: Vec<&[u8]> = cand.iter().map(|_| msg).collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
}

/// What a result says, as far as certifying it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attested {
    /// State or obstruction.
    pub kind: Kind,
    /// Tree size attested (for an obstruction: the unchanged prior's).
    pub tree_size: u64,
    /// Root attested.
    pub root: Hash,
    /// State hash attested.
    pub state_hash: Hash,
    /// Evidence hash (obstruction only).
    pub evidence: Option<Hash>,
    /// The world tick (ecs only).
    pub tick: Option<u64>,
    /// The tree the batch was checked against.
    pub prior_tree_size: u64,
    /// Its root.
    pub prior_root: Hash,
    /// Its state hash.
    pub prior_state_hash: Hash,
    /// Consistency proof from the prior tree to this one.
    pub consistency: Vec<Hash>,
}

/// Builds and signs the checkpoint for `att`, extending `prev` when given.
pub fn certify(
    att: &Attested,
    origin: &str,
    prev: Option<&Certificate>,
    committee: Option<&Committee>,
    key: &SignerKey,
) -> Result<Certificate, CertError> {
    note::check_name(origin)?;
    let (height, prev_hash, consistency) = match prev {
        None => (0, None, Vec::new()),
        Some(p) => {
            let pc = &p.checkpoint;
            let extends = if att.kind == Kind::Ecs {
                // a world attestation extends a certificate of the same history (or of a prefix, proved below)
                att.prior_tree_size == pc.tree_size && att.prior_root == pc.root
            } else {
                att.prior_tree_size == pc.tree_size && att.prior_root == pc.root && att.prior_state_hash == pc.state_hash
            };
            if !extends {
                return Err(CertError::Extend(format!(
                    "the result was reconciled against a tree of size {} (state {}), not the previous certificate's tree of size {} (state {}); reconcile with --prior set to the result the previous certificate attests",
                    att.prior_tree_size,
                    hex::encode(&att.prior_state_hash),
                    pc.tree_size,
                    hex::encode(&pc.state_hash)
                )));
            }
            if pc.origin != origin {
                return Err(CertError::Extend(format!("the previous certificate is for origin {}, not {origin}", pc.origin)));
            }
            proof::verify_consistency(pc.tree_size, att.tree_size, &pc.root, &att.root, &att.consistency)
                .map_err(|e| CertError::Extend(format!("the result's consistency proof does not hold: {e}")))?;
            let h = pc.height.checked_add(1).ok_or_else(|| CertError::Extend("height overflow".into()))?;
            (h, Some(p.hash()), att.consistency.clone())
        }
    };
    let cp = Checkpoint {
        origin: origin.to_string(),
        tree_size: att.tree_size,
        root: att.root,
        kind: att.kind,
        height,
        prev: prev_hash,
        state_hash: att.state_hash,
        committee: committee.map(Committee::hash),
        evidence: att.evidence,
        tick: att.tick,
        consistency,
    };
    Certificate::sign_new(cp, key)
}

/// The verdict on a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerdict {
    /// Every certificate valid, linked, append-only, no fork, from genesis.
    pub valid: bool,
    /// The certificates by height (duplicates of one certificate merged).
    pub links: Vec<(u64, Hash, bool)>,
    /// What is wrong.
    pub problems: Vec<Problem>,
}

/// Checks a chain of certificates (any order) against `committee`.
pub fn verify_chain(certs: &[Certificate], committee: &Committee) -> ChainVerdict {
    let mut problems = Vec::new();
    // Unique by identity; ordered by (height, hash).
    let mut by: BTreeMap<(u64, Hash), &Certificate> = BTreeMap::new();
    for c in certs {
        by.entry((c.checkpoint.height, c.hash())).or_insert(c);
    }
    let mut links = Vec::new();
    let mut at: BTreeMap<u64, Vec<(&Hash, &Certificate)>> = BTreeMap::new();
    for ((h, hash), c) in &by {
        let ok = verify(c, committee).valid;
        if !ok {
            problems.push(Problem::Invalid { height: *h });
        }
        links.push((*h, *hash, ok));
        at.entry(*h).or_default().push((hash, c));
    }
    for (h, group) in &at {
        if let [(a, _), (b, _), ..] = group.as_slice() {
            problems.push(Problem::Fork { height: *h, a: **a, b: **b });
        }
    }
    if !at.contains_key(&0) {
        problems.push(Problem::NoGenesis);
    }
    let top = at.keys().next_back().copied().unwrap_or(0);
    let mut h = 0u64;
    while h < top {
        h += 1;
        let (Some(prev), Some(cur)) = (at.get(&(h - 1)), at.get(&h)) else {
            if !at.contains_key(&h) {
                problems.push(Problem::Gap { height: h });
            }
            continue;
        };
        for (_, c) in cur {
            let Some((_, p)) = prev.iter().find(|(ph, _)| Some(**ph) == c.checkpoint.prev) else {
                problems.push(Problem::Link { height: h });
                continue;
            };
            let (pc, cc) = (&p.checkpoint, &c.checkpoint);
            if let Err(e) = proof::verify_consistency(pc.tree_size, cc.tree_size, &pc.root, &cc.root, &cc.consistency) {
                problems.push(Problem::NotAppendOnly { height: h, why: e.to_string() });
            }
        }
    }
    problems.sort_by_key(|p| p.code());
    ChainVerdict { valid: problems.is_empty(), links, problems }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, b: u8) -> SignerKey {
        SignerKey::parse(&SignerKey::from_seed(name, [b; 32]).unwrap().to_text()).unwrap()
    }

    fn cp(kind: Kind) -> Checkpoint {
        Checkpoint {
            origin: "example.com/log".into(),
            tree_size: 3,
            root: [1; 32],
            kind,
            height: 0,
            prev: None,
            state_hash: [2; 32],
            committee: None,
            evidence: (kind == Kind::Obstruction).then_some([3; 32]),
            tick: (kind == Kind::Ecs).then_some(42),
            consistency: Vec::new(),
        }
    }

    #[test]
    fn checkpoint_roundtrips_and_is_strict() {
        for k in [Kind::State, Kind::Obstruction, Kind::Ecs] {
            let c = cp(k);
            assert_eq!(Checkpoint::parse(&c.body()).unwrap(), c);
        }
        let body = cp(Kind::State).body();
        for bad in [
            body.replace("\n3\n", "\n03\n"),
            body.replace("omega-kind state", "omega-kind State"),
            body.replace("omega-height 0", "omega-height  0"),
            body.trim_end().to_string(),
            body.replace("omega-committee none\n", ""),
            format!("{body}omega-evidence {}\n", hex::encode(&[3; 32])),
            format!("{body}\n"),
            body.replace("omega-prev genesis", &format!("omega-prev {}", hex::encode(&[5; 32]))),
        ] {
            assert_eq!(Checkpoint::parse(&bad).unwrap_err().code(), 3601, "{bad:?}");
        }
    }

    #[test]
    fn certificate_text_and_binary_roundtrip() {
        let mut c = Certificate::sign_new(cp(Kind::Obstruction), &key("a", 1)).unwrap();
        c.cosign(&key("b", 2)).unwrap();
        assert_eq!(c.cosign(&key("b", 2)).unwrap_err().code(), 3605);
        let text = c.to_note();
        let bin = c.encode();
        assert_eq!(Certificate::read(text.as_bytes()).unwrap(), c);
        assert_eq!(Certificate::read(&bin).unwrap(), c);
        assert_eq!(Certificate::read(&bin).unwrap().to_note(), text);
        for cut in 0..bin.len() {
            assert!(Certificate::decode(bin.get(..cut).unwrap()).is_err());
        }
        let mut extra = bin.clone();
        extra.push(0);
        assert!(Certificate::decode(&extra).is_err());
    }

    #[test]
    fn quorum_counts_distinct_valid_members_only() {
        let keys: Vec<SignerKey> = (0..7u8).map(|i| key(&format!("m{i}"), i + 10)).collect();
        let committee = Committee::new(5, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let mut c = Certificate::sign_new(cp(Kind::State), &keys[0]).unwrap();
        for k in &keys[1..4] {
            c.cosign(k).unwrap();
        }
        let v = verify(&c, &committee);
        assert!(!v.valid);
        assert_eq!(v.valid_signers, 4);
        assert_eq!(v.problems, alloc::vec![Problem::Quorum { have: 4, need: 5 }]);
        // a stranger and a duplicate do not count
        c.cosign(&key("stranger", 99)).unwrap();
        let dup = c.signatures[0].clone();
        c.signatures.push(dup);
        let v = verify(&c, &committee);
        assert_eq!(v.valid_signers, 4);
        assert_eq!(v.checks[4].status, SigStatus::UnknownKey);
        assert_eq!(v.checks[5].status, SigStatus::Duplicate);
        c.cosign(&keys[4]).unwrap();
        let v = verify(&c, &committee);
        assert!(v.valid && v.batched, "{v:?}");
        // a flipped signature bit is named and does not count
        c.signatures[1].sig[5] ^= 1;
        let v = verify(&c, &committee);
        assert!(!v.valid && !v.batched);
        assert_eq!(v.checks[1].status, SigStatus::BadSignature);
        assert!(v.problems.contains(&Problem::BadSignature { name: "m1".into() }));
    }

    #[test]
    fn committee_rules() {
        let a = key("a", 1).verifier().clone();
        assert_eq!(Committee::new(0, alloc::vec![a.clone()]).unwrap_err().code(), 3603);
        assert_eq!(Committee::new(2, alloc::vec![a.clone()]).unwrap_err().code(), 3603);
        assert_eq!(Committee::new(1, alloc::vec![a.clone(), a.clone()]).unwrap_err().code(), 3603);
        let b = key("b", 2).verifier().clone();
        let x = Committee::new(1, alloc::vec![a.clone(), b.clone()]).unwrap();
        let y = Committee::new(1, alloc::vec![b, a]).unwrap();
        assert_eq!(x.hash(), y.hash());
    }
}
