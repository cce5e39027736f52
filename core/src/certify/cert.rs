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
//! omega-world <decimal> <64 hex>     (optional, kinds state and obstruction: the world
//!                                     a cluster node steps per batch, its tick and hash)
//! omega-consistency <64 hex>         (zero or more: RFC 9162 proof from the previous tree)
//! ```
//!
//! A **certificate** is that checkpoint signed as a C2SP signed note by one
//! or more keys; its binary form (`OMGC`, see [`Certificate::encode`])
//! round-trips byte for byte to and from the note text. Its identity
//! ([`Certificate::hash`]) is the SHA-256 of the checkpoint body, so
//! co-signing does not change it.
//!
//! A **committee** is a threshold k and a set of verifier keys, each public
//! key at most once; a certificate is valid for it with k distinct members
//! each having at least one signature line that passes strict Ed25519
//! verification (whatever other lines say). A **chain** is valid when heights run from 0
//! without gaps, each certificate names its predecessor's hash, and each tree
//! is a consistency-proven extension of the last.
use crate::cursor::Cursor;
use crate::error::ErrorCode;
use crate::hash::{Hash, sha256};
use crate::hex;
use crate::certify::ed25519::{self, BaseTables, KeyTables};
use crate::certify::note::{self, Note, NoteError, NoteSignature, SignerKey, VerifierKey};
use crate::tree::proof;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Most consistency-proof lines a checkpoint may carry (a proof has at most 2 × 64 hashes).
pub const MAX_CONSISTENCY: usize = 128;
/// Longest origin, in bytes (the binary form stores it after a two-byte length).
pub const MAX_ORIGIN_BYTES: usize = 65_535;

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
            CertError::Checkpoint(_) => crate::api::code::CHECKPOINT,
            CertError::Binary(_) => crate::api::code::CERTIFICATE,
            CertError::Committee(_) => crate::api::code::COMMITTEE,
            CertError::Extend(_) => crate::api::code::CHAIN,
            CertError::Sign(_) => crate::api::code::COSIGN,
            CertError::Input(_) => crate::api::code::RESULT,
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
    /// For kinds state and obstruction, optionally: the ECS world this
    /// history drives, after this batch (`omega node --ecs`).
    pub world: Option<WorldMark>,
    /// RFC 9162 consistency proof from the previous checkpoint's tree to this one.
    pub consistency: Vec<Hash>,
}

/// The world line of a checkpoint: the tick the world reached and its state hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldMark {
    /// The world's tick after the batch.
    pub tick: u64,
    /// Its state hash (SHA-256 of the world, as `omega ecs` prints it).
    pub state_hash: Hash,
}

impl WorldMark {
    /// Parses `<decimal tick> <64 hex>` (the line's value, and the certify op's `world` field).
    pub fn parse(s: &str) -> Option<WorldMark> {
        let (t, h) = s.split_once(' ')?;
        Some(WorldMark { tick: decimal(t)?, state_hash: hex32(h)? })
    }
}

impl fmt::Display for WorldMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.tick, hex::encode(&self.state_hash))
    }
}

fn cp_err(line: usize, why: impl fmt::Display) -> CertError {
    CertError::Checkpoint(format!("line {line}: {why}"))
}

fn hex32(s: &str) -> Option<Hash> {
    hex::decode_array::<32>(s)
}

fn decimal(s: &str) -> Option<u64> {
    // digits only (`parse` would take `+1`), no leading zero but `0` itself;
    // `parse` refuses the empty string and values past u64::MAX
    let plain = s.bytes().all(|b| b.is_ascii_digit()) && !matches!(s.as_bytes(), [b'0', _, ..]);
    plain.then(|| s.parse().ok()).flatten()
}

impl Checkpoint {
    /// Checks the rules that tie the fields together.
    pub fn validate(&self) -> Result<(), CertError> {
        note::check_name_within(&self.origin, "origin", MAX_ORIGIN_BYTES).map_err(|e| match e {
            NoteError::TooLong { .. } => cp_err(1, e),
            _ => cp_err(1, "the origin must be non-empty with no spaces and no `+`"),
        })?;
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
        if self.kind == Kind::Ecs && self.world.is_some() {
            return Err(CertError::Checkpoint("a world line is for kinds state and obstruction (kind ecs attests a world itself)".into()));
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
        if let Some(w) = &self.world {
            s.push_str(&format!("omega-world {w}\n"));
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
        let mut world = None;
        if line(i).starts_with("omega-world ") {
            world = Some(
                WorldMark::parse(field(i, "omega-world")?)
                    .ok_or_else(|| cp_err(i + 1, "world must be a decimal tick with no leading zeros, a space and 64 lowercase hex digits"))?,
            );
            i += 1;
        }
        let mut consistency = Vec::new();
        while i < lines.len() {
            let h = hex32(field(i, "omega-consistency")?)
                .ok_or_else(|| cp_err(i + 1, "a consistency hash must be 64 lowercase hex digits"))?;
            consistency.push(h);
            i += 1;
        }
        let cp = Checkpoint { origin, tree_size, root, kind, height, prev, state_hash, committee, evidence, tick, world, consistency };
        cp.validate()?;
        if cp.body() != text {
            return Err(CertError::Checkpoint("not in canonical form".into()));
        }
        Ok(cp)
    }
}

/// A committee: a threshold and its members' verifier keys (sorted, unique,
/// each Ed25519 public key at most once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    threshold: u32,
    members: Vec<VerifierKey>,
    tables: Tables,
}

/// Fixed-base tables for B and for each member, in member order, once
/// [`Committee::prepare`] has built them. They change how fast a committee
/// verifies, never what: no part of comparisons.
#[derive(Clone, Default)]
struct Tables(Option<Arc<(BaseTables, Vec<KeyTables>)>>);

impl PartialEq for Tables {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Tables {}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Tables(prepared)" } else { "Tables(none)" })
    }
}

impl Committee {
    /// A committee of `members` requiring `threshold` distinct signatures.
    ///
    /// Members are distinct by public key: a key listed twice (under one name
    /// or two) is refused, since one private key would otherwise count twice
    /// toward the threshold.
    pub fn new(threshold: u32, mut members: Vec<VerifierKey>) -> Result<Self, CertError> {
        if members.is_empty() {
            return Err(CertError::Committee("it has no members".into()));
        }
        members.sort_by_key(|m| m.to_string());
        if let Some(w) = members.windows(2).find(|w| matches!(w, [a, b] if a == b)) {
            let name = w.first().map(|m| m.name().to_string()).unwrap_or_default();
            return Err(CertError::Committee(format!("member {name} is listed twice")));
        }
        let mut by_key: BTreeMap<&[u8; 32], &str> = BTreeMap::new();
        for m in &members {
            if let Some(first) = by_key.insert(m.public(), m.name()) {
                return Err(CertError::Committee(format!(
                    "members {first} and {} have the same public key; members are distinct keys (one key would count twice toward the threshold)",
                    m.name()
                )));
            }
        }
        if let Some(w) = members.windows(2).find(|w| matches!(w, [a, b] if a.name() == b.name() && a.id() == b.id())) {
            let name = w.first().map(|m| m.name().to_string()).unwrap_or_default();
            return Err(CertError::Committee(format!("two members share the name and key id of {name}")));
        }
        let n = u32::try_from(members.len()).unwrap_or(u32::MAX);
        if threshold == 0 || threshold > n {
            return Err(CertError::Committee(format!("threshold {threshold} must be between 1 and the {n} members")));
        }
        Ok(Committee { threshold, members, tables: Tables::default() })
    }

    /// Builds fixed-base tables for the base point and every member (about
    /// 80 KB and the cost of four signature checks each), so that each
    /// signature verified under this committee afterwards costs about half
    /// as much. Worth it for a committee that checks more than a few
    /// certificates: a chain, a long-lived verifier, a cluster node.
    /// Verdicts are the same with or without.
    pub fn prepare(&mut self) {
        if self.tables.0.is_none() {
            let keys = self.members.iter().map(|m| m.key().tables()).collect();
            self.tables = Tables(Some(Arc::new((BaseTables::new(), keys))));
        }
    }

    /// Whether checking `lines` signature lines is enough to make
    /// [`Committee::prepare`] pay: more than [`ed25519::PREPARE_AT`] per
    /// table built (one per member, one for the base point).
    pub fn worth_preparing(&self, lines: usize) -> bool {
        lines > ed25519::PREPARE_AT.saturating_mul(self.members.len() + 1)
    }

    /// Whether [`Committee::prepare`] has run.
    pub fn is_prepared(&self) -> bool {
        self.tables.0.is_some()
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

    fn member(&self, name: &str, id: u32) -> Option<(usize, &VerifierKey)> {
        self.members.iter().enumerate().find(|(_, m)| m.name() == name && m.id() == id)
    }

    /// The tables of B and of member `i`, if prepared.
    fn tables_of(&self, i: usize) -> Option<(&BaseTables, &KeyTables)> {
        let t = self.tables.0.as_deref()?;
        Some((&t.0, t.1.get(i)?))
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
/// The binary version of a certificate whose checkpoint has a world line.
const CERT_VERSION_WORLD: u8 = 2;

impl Certificate {
    /// A checkpoint signed by `key`.
    /// A witness key (type 0x04) cannot make a certificate: it only cosigns one.
    pub fn sign_new(checkpoint: Checkpoint, key: &SignerKey) -> Result<Self, CertError> {
        checkpoint.validate()?;
        if key.is_cosigner() {
            return Err(CertError::Sign(format!(
                "{} is a witness key (cosignature/v1, type 0x04): it cosigns a certificate a member made, and cannot make one",
                key.name()
            )));
        }
        let mut c = Certificate { checkpoint, signatures: Vec::new() };
        c.cosign(key)?;
        Ok(c)
    }

    /// Adds `key`'s signature. Refused when a line with that key's name and
    /// id already holds a signature that verifies under the key.
    ///
    /// Lines that carry the key's name and id but do not verify under it are
    /// not its signatures (someone else wrote them): they are removed, and the
    /// genuine signature is appended. Refused (and `self` left unchanged) when
    /// the result would not encode (more than [`note::MAX_SIGNATURES`] lines,
    /// or a note over [`note::MAX_NOTE_BYTES`]).
    pub fn cosign(&mut self, key: &SignerKey) -> Result<(), CertError> {
        self.cosign_at(key, None)
    }

    /// [`Certificate::cosign`] by any key: a witness key (type 0x04) makes
    /// a cosignature/v1 at POSIX time `timestamp`, which it requires; a note
    /// key (0x01) takes none.
    pub fn cosign_at(&mut self, key: &SignerKey, timestamp: Option<u64>) -> Result<(), CertError> {
        let v = key.verifier();
        let body = self.checkpoint.body();
        let mine = |s: &NoteSignature| s.name == v.name() && s.id == v.id();
        if self.signatures.iter().any(|s| mine(s) && matches!(v.check(body.as_bytes(), &s.sig), note::LineCheck::Valid { .. })) {
            return Err(CertError::Sign(format!("{} already signed this certificate", v.name())));
        }
        let mut signatures: Vec<NoteSignature> = self.signatures.iter().filter(|s| !mine(s)).cloned().collect();
        if signatures.len() >= note::MAX_SIGNATURES {
            return Err(CertError::Sign(format!("a note holds at most {} signatures", note::MAX_SIGNATURES)));
        }
        signatures.push(key.sign_line(&body, timestamp)?);
        let signed = Certificate { checkpoint: self.checkpoint.clone(), signatures };
        signed.validate()?;
        *self = signed;
        Ok(())
    }

    /// Checks that the certificate has a binary form and a note text that
    /// read back to it: the checkpoint rules, 1 to [`note::MAX_SIGNATURES`]
    /// signature lines with valid key names of at most [`note::MAX_NAME_BYTES`]
    /// bytes and signatures of 1 to [`note::MAX_SIG_BYTES`] bytes, an origin of
    /// at most [`MAX_ORIGIN_BYTES`] bytes, and a note of at most
    /// [`note::MAX_NOTE_BYTES`]. [`Certificate::encode`] refuses what fails here.
    pub fn validate(&self) -> Result<(), CertError> {
        self.checkpoint.validate()?;
        let back = Certificate::from_note(self.to_note().as_bytes())?;
        if &back != self {
            return Err(CertError::Binary("the fields do not form a signed note that reads back to the same certificate".into()));
        }
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
    ///
    /// Version 2 is version 1 with the world line after the tick:
    /// `| world tick u64 | world hash 32`; it is written exactly when the
    /// checkpoint has a world line, so a certificate has one binary form and
    /// those without a world keep their version 1 bytes.
    ///
    /// Refused (see [`Certificate::validate`]) when a field does not fit its
    /// length prefix or the certificate would not read back to itself, so
    /// every byte string this returns is one [`Certificate::decode`] reads
    /// back to `self`.
    pub fn encode(&self) -> Result<Vec<u8>, CertError> {
        self.validate()?;
        let c = &self.checkpoint;
        let mut out = Vec::new();
        out.extend_from_slice(CERT_MAGIC);
        out.push(if c.world.is_some() { CERT_VERSION_WORLD } else { CERT_VERSION });
        out.push(c.kind.tag());
        let len = |n: usize, what: &str| {
            CertError::Binary(format!("the {what} is {n} bytes or entries, more than its length field holds"))
        };
        let origin = c.origin.as_bytes();
        out.extend_from_slice(&u16::try_from(origin.len()).map_err(|_| len(origin.len(), "origin"))?.to_be_bytes());
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
        if let Some(w) = &c.world {
            out.extend_from_slice(&w.tick.to_be_bytes());
            out.extend_from_slice(&w.state_hash);
        }
        out.push(u8::try_from(c.consistency.len()).map_err(|_| len(c.consistency.len(), "consistency proof"))?);
        for h in &c.consistency {
            out.extend_from_slice(h);
        }
        out.extend_from_slice(&u16::try_from(self.signatures.len()).map_err(|_| len(self.signatures.len(), "signature list"))?.to_be_bytes());
        for s in &self.signatures {
            out.push(u8::try_from(s.name.len()).map_err(|_| len(s.name.len(), "signer name"))?);
            out.extend_from_slice(s.name.as_bytes());
            out.extend_from_slice(&s.id.to_be_bytes());
            out.extend_from_slice(&u16::try_from(s.sig.len()).map_err(|_| len(s.sig.len(), "signature"))?.to_be_bytes());
            out.extend_from_slice(&s.sig);
        }
        Ok(out)
    }

    /// Parses the binary form strictly (no trailing bytes; fields as the note text allows).
    pub fn decode(bytes: &[u8]) -> Result<Self, CertError> {
        let mut c = Cursor::new(bytes);
        // Offsets name the first byte of the field at fault.
        let bin = |at: usize, why: &str| CertError::Binary(format!("at byte {at}: {why}"));
        let mut at;
        macro_rules! get {
            ($n:literal, $what:literal) => {{
                at = c.pos();
                c.array::<$n>().ok_or_else(|| bin(at, concat!("truncated in ", $what)))?
            }};
        }
        macro_rules! take {
            ($n:expr, $what:literal) => {{
                at = c.pos();
                c.take($n).ok_or_else(|| bin(at, concat!("truncated in ", $what)))?
            }};
        }
        if &get!(4, "the magic") != CERT_MAGIC {
            return Err(bin(at, "the magic is not OMGC"));
        }
        let [v] = get!(1, "the version");
        if v != CERT_VERSION && v != CERT_VERSION_WORLD {
            return Err(bin(at, &format!("version {v} is not supported (this build reads versions 1 and 2)")));
        }
        let [k] = get!(1, "the kind");
        let kind = Kind::from_tag(k).ok_or_else(|| bin(at, "unknown kind"))?;
        let olen = usize::from(u16::from_be_bytes(get!(2, "the origin length")));
        let origin = take!(olen, "the origin");
        let origin = core::str::from_utf8(origin).map_err(|_| bin(at, "the origin is not UTF-8"))?.to_string();
        let tree_size = u64::from_be_bytes(get!(8, "the tree size"));
        let root = get!(32, "the root");
        let height = u64::from_be_bytes(get!(8, "the height"));
        macro_rules! opt {
            ($what:literal) => {
                match get!(1, $what) {
                    [0] => None,
                    [1] => Some(get!(32, $what)),
                    _ => return Err(bin(at, concat!("the ", $what, " flag is neither 0 nor 1"))),
                }
            };
        }
        let prev = opt!("prev");
        let state_hash = get!(32, "the state hash");
        let committee = opt!("committee");
        let evidence = opt!("evidence");
        let tick = if kind == Kind::Ecs { Some(u64::from_be_bytes(get!(8, "the tick"))) } else { None };
        let world = if v == CERT_VERSION_WORLD {
            Some(WorldMark { tick: u64::from_be_bytes(get!(8, "the world tick")), state_hash: get!(32, "the world hash") })
        } else {
            None
        };
        let [n] = get!(1, "the consistency count");
        let mut consistency = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            consistency.push(get!(32, "the consistency proof"));
        }
        let nsig = usize::from(u16::from_be_bytes(get!(2, "the signature count")));
        if nsig == 0 || nsig > note::MAX_SIGNATURES {
            return Err(bin(at, &format!("{nsig} signatures; a certificate has 1 to {}", note::MAX_SIGNATURES)));
        }
        let mut signatures = Vec::with_capacity(nsig);
        for _ in 0..nsig {
            let [nl] = get!(1, "a signer name length");
            let name = take!(usize::from(nl), "a signer name");
            let name = core::str::from_utf8(name).map_err(|_| bin(at, "a signer name is not UTF-8"))?.to_string();
            note::check_name(&name)?;
            let id = u32::from_be_bytes(get!(4, "a key id"));
            let sl = usize::from(u16::from_be_bytes(get!(2, "a signature length")));
            let sig = take!(sl, "a signature").to_vec();
            if sig.is_empty() {
                return Err(bin(at, "an empty signature"));
            }
            signatures.push(NoteSignature { name, id, sig });
        }
        if c.remaining() != 0 {
            return Err(bin(c.pos(), "trailing bytes after the last signature"));
        }
        let checkpoint = Checkpoint { origin, tree_size, root, kind, height, prev, state_hash, committee, evidence, tick, world, consistency };
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
    /// Another valid signature of a member already counted (on an earlier line); counted once.
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
            Problem::Quorum { .. } => crate::api::code::QUORUM,
            Problem::CommitteeMismatch { .. } => crate::api::code::COMMITTEE_MISMATCH,
            Problem::BadSignature { .. } => crate::api::code::BAD_SIGNATURE,
            Problem::NoGenesis => crate::api::code::NO_GENESIS,
            Problem::Gap { .. } => crate::api::code::CHAIN_GAP,
            Problem::Link { .. } => crate::api::code::CHAIN_LINK,
            Problem::NotAppendOnly { .. } => crate::api::code::NOT_APPEND_ONLY,
            Problem::Fork { .. } => crate::api::code::FORK,
            Problem::Invalid { .. } => crate::api::code::CHAIN_INVALID,
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
}

/// Checks `cert` against `committee`: strict Ed25519, distinct members, k of n.
///
/// A member counts once if ANY of its lines (lines with its name and key id)
/// verifies, whatever precedes or follows it: the first line of a member
/// that verifies is `Valid`, later lines of that member that verify are
/// `Duplicate`, and member lines that do not verify are `BadSignature`
/// (reported, never counted, and never hiding a genuine line). So the
/// number of valid signers does not depend on the order of the lines.
///
/// Each distinct member signature is checked once, alone, by the strict
/// rules of [`crate::certify::ed25519`] (the member keys were checked and
/// decompressed when the committee was built, so reusing one [`Committee`]
/// across certificates pays for that once; a prepared committee,
/// [`Committee::prepare`], also has fixed-base tables, which halve the cost
/// of a signature and never change a verdict). The signatures' points share
/// one final inversion ([`crate::certify::ed25519::verify_each`]). A line
/// repeating an earlier line of the same member byte for byte is judged as
/// that line. There is no batch verification: under these rules a batch must
/// check every R for a small-order component, a full scalar multiplication
/// each, which costs more than the signatures alone (docs/PERFORMANCE.md,
/// "Ed25519").
pub fn verify(cert: &Certificate, committee: &Committee) -> Verdict {
    let msg = cert.checkpoint.body();
    // Candidates: each distinct (member, signature bytes), with the lines that carry it.
    let mut cand: Vec<(usize, &[u8])> = Vec::new();
    let mut cand_of: BTreeMap<(&str, u32, &[u8]), usize> = BTreeMap::new();
    // Per line: the candidate it is, or None for a stranger.
    let mut line_cand: Vec<Option<usize>> = Vec::with_capacity(cert.signatures.len());
    for s in &cert.signatures {
        let c = committee.member(&s.name, s.id).map(|(i, _)| {
            *cand_of.entry((s.name.as_str(), s.id, s.sig.as_slice())).or_insert_with(|| {
                cand.push((i, s.sig.as_slice()));
                cand.len() - 1
            })
        });
        line_cand.push(c);
    }
    // A witness member's line signs `cosignature/v1\ntime <t>\n` and the
    // body (C2SP tlog-cosignature); one that is not a well-formed
    // cosignature is not checked at all, and fails.
    let cosigned: Vec<Option<(Vec<u8>, &[u8])>> = cand
        .iter()
        .map(|(i, sig)| match committee.members.get(*i) {
            Some(m) if m.is_cosigner() => note::split_cosignature(sig).map(|(t, s)| (note::cosigned_message(t, msg.as_bytes()), s)),
            _ => None,
        })
        .collect();
    let mut items: Vec<ed25519::Item<'_>> = Vec::with_capacity(cand.len());
    let mut item_of: Vec<Option<usize>> = Vec::with_capacity(cand.len());
    for ((i, sig), co) in cand.iter().zip(&cosigned) {
        let Some(m) = committee.members.get(*i) else {
            item_of.push(None);
            continue;
        };
        let (msg, sig) = match co {
            Some((m2, s2)) => (m2.as_slice(), *s2),
            None if m.is_cosigner() => {
                item_of.push(None);
                continue;
            }
            None => (msg.as_bytes(), *sig),
        };
        items.push(ed25519::Item { key: m.key(), tables: committee.tables_of(*i), msg, sig });
        item_of.push(Some(items.len() - 1));
    }
    let item_ok = ed25519::verify_each(&items);
    let ok: Vec<bool> = item_of.iter().map(|x| x.and_then(|j| item_ok.get(j).copied()).unwrap_or(false)).collect();
    let mut counted: BTreeMap<(&str, u32), ()> = BTreeMap::new();
    let mut checks: Vec<SigCheck> = Vec::with_capacity(cert.signatures.len());
    for (s, c) in cert.signatures.iter().zip(&line_cand) {
        let status = match c {
            None => SigStatus::UnknownKey,
            Some(i) if ok.get(*i).copied().unwrap_or(false) => {
                if counted.insert((s.name.as_str(), s.id), ()).is_some() { SigStatus::Duplicate } else { SigStatus::Valid }
            }
            Some(_) => SigStatus::BadSignature,
        };
        checks.push(SigCheck { name: s.name.clone(), id: s.id, status });
    }
    let valid_signers = u32::try_from(counted.len()).unwrap_or(u32::MAX);
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
    Verdict { valid, valid_signers, threshold: committee.threshold, checks, problems }
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
    /// The world after the batch, for a checkpoint's world line (kinds state and obstruction).
    pub world: Option<WorldMark>,
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
    note::check_name_within(origin, "origin", MAX_ORIGIN_BYTES)?;
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
            if let Some(pw) = &pc.world {
                match &att.world {
                    None => {
                        return Err(CertError::Extend(format!(
                            "the previous certificate attests a world (tick {}); its successor must too (give the world after this batch)",
                            pw.tick
                        )));
                    }
                    Some(w) if w.tick < pw.tick => {
                        return Err(CertError::Extend(format!(
                            "the world's tick {} is before the previous certificate's {}; a world only moves forward",
                            w.tick, pw.tick
                        )));
                    }
                    Some(_) => {}
                }
            }
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
        world: att.world,
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
///
/// A chain long enough to make it pay ([`Committee::worth_preparing`]) is
/// checked with a prepared copy of the committee ([`Committee::prepare`])
/// when `committee` is not prepared already: same verdicts, in about half
/// the time.
pub fn verify_chain(certs: &[Certificate], committee: &Committee) -> ChainVerdict {
    let lines: usize = certs.iter().map(|c| c.signatures.len()).sum();
    let prepared;
    let committee = if !committee.is_prepared() && committee.worth_preparing(lines) {
        let mut c = committee.clone();
        c.prepare();
        prepared = c;
        &prepared
    } else {
        committee
    };
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
            world: None,
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
        let bin = c.encode().unwrap();
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
        assert!(v.valid, "{v:?}");
        // a flipped signature bit is named and does not count
        c.signatures[1].sig[5] ^= 1;
        let v = verify(&c, &committee);
        assert!(!v.valid);
        assert_eq!(v.checks[1].status, SigStatus::BadSignature);
        assert!(v.problems.contains(&Problem::BadSignature { name: "m1".into() }));
    }

    /// A prepared committee (fixed-base tables) gives the verdicts an
    /// unprepared one gives, signature by signature; and a chain long enough
    /// for `verify_chain` to prepare its own copy judges every link as
    /// `verify` does unprepared.
    #[test]
    fn a_prepared_committee_gives_the_same_verdicts() {
        let keys: Vec<SignerKey> = (0..7u8).map(|i| key(&format!("m{i}"), i + 10)).collect();
        let committee = Committee::new(5, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let mut prepared = committee.clone();
        prepared.prepare();
        assert!(prepared.is_prepared() && !committee.is_prepared() && prepared == committee);
        let mut certs = Vec::new();
        for height in 0..20u64 {
            let mut c = cp(Kind::State);
            c.height = height;
            c.prev = (height > 0).then_some([7; 32]);
            c.tree_size = height + 3;
            let mut c = Certificate::sign_new(c, &keys[(height % 7) as usize]).unwrap();
            let first = c.signatures[0].name.clone();
            for k in keys.iter().filter(|k| k.verifier().name() != first).take(4 + (height % 3) as usize) {
                c.cosign(k).unwrap();
            }
            // spoil some: a bit of R, a bit of S, a stranger, a duplicate
            match height % 5 {
                1 => c.signatures[1].sig[3] ^= 0x10,
                2 => c.signatures[2].sig[40] ^= 1,
                3 => c.cosign(&key("stranger", 99)).unwrap(),
                4 => {
                    let d = c.signatures[0].clone();
                    c.signatures.push(d);
                }
                _ => {}
            }
            let (plain, fast) = (verify(&c, &committee), verify(&c, &prepared));
            assert_eq!(plain, fast, "height {height}");
            certs.push(c);
        }
        let lines: usize = certs.iter().map(|c| c.signatures.len()).sum();
        assert!(committee.worth_preparing(lines), "{lines} lines: the chain would not prepare");
        let chain = verify_chain(&certs, &committee);
        assert_eq!(chain, verify_chain(&certs, &prepared));
        for (h, _, ok) in &chain.links {
            let c = certs.iter().find(|c| c.checkpoint.height == *h).unwrap();
            assert_eq!(*ok, verify(c, &committee).valid, "height {h}");
        }
        assert!(chain.links.iter().any(|l| l.2) && chain.links.iter().any(|l| !l.2));
    }

    /// Every line of every shape of checkpoint (each kind, with and without a
    /// world mark (not for kind ecs) and consistency hashes), spoiled in turn, is refused with
    /// that line's number: the line count after the optional lines is kept
    /// right however many of them came before.
    #[test]
    fn every_bad_line_is_named_by_its_number() {
        let mut shapes = 0;
        for kind in [Kind::State, Kind::Obstruction, Kind::Ecs] {
            for world in [None, Some(WorldMark { tick: 9, state_hash: [6; 32] })] {
                if kind == Kind::Ecs && world.is_some() {
                    continue; // an ecs checkpoint attests a world itself
                }
                for consistency in [alloc::vec![], alloc::vec![[4u8; 32], [5; 32]]] {
                    let mut c = cp(kind);
                    c.world = world;
                    if !consistency.is_empty() {
                        c.height = 1;
                        c.prev = Some([7; 32]);
                        c.consistency = consistency;
                    }
                    let body = c.body();
                    assert_eq!(Checkpoint::parse(&body).unwrap(), c);
                    let lines: alloc::vec::Vec<&str> = body.lines().collect();
                    for (at, l) in lines.iter().enumerate() {
                        // a value no line accepts, under the line's own key
                        let spoiled = match (at, l.split_once(' ')) {
                            (0, _) => "bad origin".to_string(),
                            (1 | 2, _) => "!".to_string(),
                            (_, Some((key, _))) => format!("{key} !"),
                            (_, None) => unreachable!("{l:?}"),
                        };
                        let mut bad: alloc::vec::Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                        bad[at] = spoiled;
                        let text = format!("{}\n", bad.join("\n"));
                        let e = Checkpoint::parse(&text).unwrap_err();
                        assert_eq!(e.code(), 3601);
                        let msg = e.to_string();
                        assert!(msg.contains(&format!("line {}: ", at + 1)), "{kind:?} line {}: {msg}\n{text}", at + 1);
                    }
                    shapes += 1;
                }
            }
        }
        assert_eq!(shapes, 10);
    }

    #[test]
    fn decimals_are_plain_u64_with_no_leading_zeros() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("7"), Some(7));
        assert_eq!(decimal("10"), Some(10));
        assert_eq!(decimal("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "00", "01", "+1", "-1", "1a", " 1", "18446744073709551616"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn problems_have_their_codes() {
        let h = [0u8; 32];
        let problems = [
            (Problem::Quorum { have: 1, need: 2 }, 3701),
            (Problem::CommitteeMismatch { named: h, given: h }, 3702),
            (Problem::BadSignature { name: "a".into() }, 3703),
            (Problem::NoGenesis, 3711),
            (Problem::Gap { height: 1 }, 3712),
            (Problem::Link { height: 1 }, 3713),
            (Problem::NotAppendOnly { height: 1, why: "x".into() }, 3714),
            (Problem::Fork { height: 1, a: h, b: h }, 3715),
            (Problem::Invalid { height: 1 }, 3716),
        ];
        for (p, code) in &problems {
            assert_eq!(p.code(), *code, "{p:?}");
        }
        // each says what is wrong in words, with its numbers
        let says = [
            "1 valid distinct committee signature(s), the threshold is 2",
            "the checkpoint names committee 0000",
            "the signature of member a does not verify",
            "no certificate at height 0 (genesis)",
            "no certificate at height 1",
            "the certificate at height 1 does not name the hash of the one at height 0",
            "the tree at height 1 is not a proven extension of the previous tree: x",
            "fork at height 1: certificates 0000",
            "the certificate at height 1 is not valid for the committee",
        ];
        for ((p, _), text) in problems.iter().zip(says) {
            assert!(p.to_string().contains(text), "{p:?}: {p}");
        }
    }

    #[test]
    fn signature_statuses_have_their_json_names() {
        let names: alloc::vec::Vec<&str> =
            [SigStatus::Valid, SigStatus::BadSignature, SigStatus::UnknownKey, SigStatus::Duplicate].iter().map(SigStatus::as_str).collect();
        assert_eq!(names, ["valid", "bad_signature", "unknown_key", "duplicate"]);
    }

    #[test]
    fn committee_rules() {
        let a = key("a", 1).verifier().clone();
        assert_eq!(Committee::new(0, alloc::vec![a.clone()]).unwrap_err().code(), 3603);
        assert_eq!(Committee::new(2, alloc::vec![a.clone()]).unwrap_err().code(), 3603);
        assert_eq!(Committee::new(1, alloc::vec![a.clone(), a.clone()]).unwrap_err().code(), 3603);
        let b = key("b", 2).verifier().clone();
        let x = Committee::new(1, alloc::vec![a.clone(), b.clone()]).unwrap();
        let y = Committee::new(1, alloc::vec![b.clone(), a.clone()]).unwrap();
        assert_eq!(x.hash(), y.hash());
        // the hash is SHA-256 of the documented text, members sorted by their text form
        let (first, second) = if a.to_string() < b.to_string() { (&a, &b) } else { (&b, &a) };
        let text = format!("omega-committee v1\nthreshold 1\n{first}\n{second}\n");
        assert_eq!(x.hash(), sha256(text.as_bytes()));
        // and it changes with the threshold and with the members
        let z = Committee::new(2, alloc::vec![a.clone(), b]).unwrap();
        assert_ne!(z.hash(), x.hash());
        assert_ne!(Committee::new(1, alloc::vec![a]).unwrap().hash(), x.hash());
    }

    /// Cosigning drops only lines with the signer's name *and* id: a line of
    /// another key that happens to share the name (so another id) stays.
    #[test]
    fn cosigning_keeps_another_keys_line_with_the_same_name() {
        let first = key("same", 1);
        let second = key("same", 2);
        assert_ne!(first.verifier().id(), second.verifier().id());
        let mut c = Certificate::sign_new(cp(Kind::State), &first).unwrap();
        let before = c.signatures[0].clone();
        c.cosign(&second).unwrap();
        assert_eq!(c.signatures.len(), 2, "{:?}", c.signatures);
        assert_eq!(c.signatures[0], before);
        assert_eq!((c.signatures[1].name.as_str(), c.signatures[1].id), ("same", second.verifier().id()));
    }

    #[test]
    fn a_key_listed_twice_is_refused_under_any_name() {
        let k = key("a", 1);
        let alias = VerifierKey::new("b", *k.verifier().public()).unwrap();
        let e = Committee::new(2, alloc::vec![k.verifier().clone(), alias.clone()]).unwrap_err();
        assert_eq!(e.code(), 3603);
        assert!(e.to_string().contains("same public key"), "{e}");
        // one private key under two names no longer yields 2 of 2
        let other = key("c", 3);
        assert_eq!(Committee::new(1, alloc::vec![other.verifier().clone(), alias, k.verifier().clone()]).unwrap_err().code(), 3603);
    }

    #[test]
    fn a_bogus_line_before_a_genuine_one_does_not_hide_it() {
        let keys: Vec<SignerKey> = (0..2u8).map(|i| key(&format!("m{i}"), i + 10)).collect();
        let committee = Committee::new(2, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let mut c = Certificate::sign_new(cp(Kind::State), &keys[0]).unwrap();
        c.cosign(&keys[1]).unwrap();
        let mut bogus = c.signatures[0].clone();
        bogus.sig[7] ^= 0x40;
        c.signatures.insert(0, bogus.clone());
        let v = verify(&c, &committee);
        assert!(v.valid, "{v:?}");
        assert_eq!(v.valid_signers, 2);
        assert_eq!(v.checks[0].status, SigStatus::BadSignature);
        assert_eq!(v.checks[1].status, SigStatus::Valid);
        // the genuine line again (a copy) is a duplicate; the bogus one stays bad
        c.signatures.push(c.signatures[1].clone());
        let v = verify(&c, &committee);
        assert_eq!((v.valid, v.valid_signers, v.checks[3].status), (true, 2, SigStatus::Duplicate));
        // cosign: a bogus line with the key's name and id does not make it "already signed";
        // it is dropped and the genuine signature appended
        let mut d = Certificate::sign_new(cp(Kind::State), &keys[1]).unwrap();
        d.signatures.insert(0, bogus);
        assert!(!verify(&d, &committee).valid);
        d.cosign(&keys[0]).unwrap();
        assert_eq!(d.signatures.len(), 2);
        assert!(verify(&d, &committee).valid);
        assert_eq!(d.cosign(&keys[0]).unwrap_err().code(), 3605);
    }

    #[test]
    fn what_does_not_fit_the_binary_form_is_refused_not_truncated() {
        let long = "n".repeat(note::MAX_NAME_BYTES + 1);
        assert_eq!(SignerKey::from_seed(&long, [1; 32]).unwrap_err().code(), 3502);
        assert!(SignerKey::from_seed(&long[1..], [1; 32]).is_ok());
        let mut c = Certificate::sign_new(cp(Kind::State), &key("a", 1)).unwrap();
        // an origin over 65,535 bytes: the checkpoint, certify and encode refuse it
        let mut big = c.clone();
        big.checkpoint.origin = "o".repeat(MAX_ORIGIN_BYTES + 1);
        assert_eq!(big.checkpoint.validate().unwrap_err().code(), 3601);
        assert!(big.encode().is_err());
        big.checkpoint.origin.pop();
        big.signatures = alloc::vec![key("a", 1).sign_note(&big.checkpoint.body())];
        let bin = big.encode().unwrap();
        assert_eq!(Certificate::decode(&bin).unwrap(), big);
        // a signer name over 255 bytes, a signature over 65,535 bytes, no signatures
        let mut s = c.signatures[0].clone();
        s.name = long;
        c.signatures.push(s);
        assert!(c.encode().is_err());
        c.signatures.pop();
        let mut s = c.signatures[0].clone();
        s.sig = alloc::vec![1; note::MAX_SIG_BYTES + 1];
        c.signatures.push(s);
        assert!(c.encode().is_err());
        c.signatures.clear();
        assert!(c.encode().is_err());
        let att = Attested {
            kind: Kind::State,
            tree_size: 0,
            root: crate::tree::merkle::empty_root(),
            state_hash: [0; 32],
            evidence: None,
            tick: None,
            world: None,
            prior_tree_size: 0,
            prior_root: crate::tree::merkle::empty_root(),
            prior_state_hash: [0; 32],
            consistency: Vec::new(),
        };
        let e = certify(&att, &"o".repeat(MAX_ORIGIN_BYTES + 1), None, None, &key("a", 1)).unwrap_err();
        assert_eq!(e.code(), 3502);
        assert!(e.to_string().contains("65535"), "{e}");
    }
}
