//! C2SP transparency log trust policies (<https://c2sp.org/tlog-policy>):
//! which logs may sign a checkpoint, which witnesses may cosign it, and the
//! k-of-n quorum of witnesses a checkpoint needs.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! A checkpoint is valid under a policy when a listed log whose key name is
//! the checkpoint's origin signed it (any log, when the policy lists none),
//! and the quorum witnessed it: a witness witnesses by a valid
//! cosignature/v1 ([`crate::certify::note`], key type 0x04), a group when at
//! least k of its members did.
//!
//! Parsing follows the specification strictly: names are defined once
//! (witnesses and groups share one namespace; `none` is reserved), a group
//! or the quorum names only what earlier lines defined, each name is a group
//! member at most once in the whole policy, `1 <= k <= n`, exactly one
//! quorum line, no two logs (or two witnesses) with the same public key, and
//! only tab, newline and 0x20..=0x7E among the ASCII bytes. Log keys must be
//! Ed25519 note keys (type 0x01) and witness keys Ed25519 cosignature/v1 keys
//! (type 0x04). One departure: omega reads the file as UTF-8 text (names are
//! signed-note key names, which are UTF-8), where the specification treats
//! bytes over 0x7F as opaque. Nothing here panics on any input.
use crate::certify::note::{self, LineCheck, Note, NoteError, VerifierKey};
use crate::error::ErrorCode;
use crate::hash::Hash;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Largest policy this parser reads, in bytes.
pub const MAX_POLICY_BYTES: usize = 1 << 16;
/// Most logs, witnesses, and groups a policy may define, each (the specification asks for at least 32).
pub const MAX_ITEMS: usize = 256;

/// Why a policy was refused: 3507 for its syntax and rules, or the key's own
/// code (3502 to 3505) for a key that does not parse. Both name the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// 3507: the policy breaks a rule (line 0: the file as a whole).
    Syntax {
        /// 1-based line number, 0 for the whole file.
        line: usize,
        /// What is wrong, in words.
        why: String,
    },
    /// A key on a line does not parse (its own code).
    Key {
        /// 1-based line number.
        line: usize,
        /// The key's error.
        err: NoteError,
    },
}

impl ErrorCode for PolicyError {
    fn code(&self) -> u16 {
        match self {
            PolicyError::Syntax { .. } => crate::api::code::POLICY,
            PolicyError::Key { err, .. } => err.code(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Syntax { line: 0, why } => write!(f, "policy: {why}"),
            PolicyError::Syntax { line, why } => write!(f, "policy line {line}: {why}"),
            PolicyError::Key { line, err } => write!(f, "policy line {line}: {err}"),
        }
    }
}

fn syntax(line: usize, why: impl Into<String>) -> PolicyError {
    PolicyError::Syntax { line, why: why.into() }
}

/// A log the policy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Its key (type 0x01); the key name is the log's origin.
    pub key: VerifierKey,
    /// Its URL, if given.
    pub url: Option<String>,
}

/// A witness the policy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Its name in the policy.
    pub name: String,
    /// Its key (type 0x04).
    pub key: VerifierKey,
    /// Its URL, if given.
    pub url: Option<String>,
}

/// A group member or the quorum: a witness or a group, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// `witnesses[i]`.
    Witness(usize),
    /// `groups[i]`.
    Group(usize),
}

/// A k-of-n group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its name in the policy.
    pub name: String,
    /// k: how many members must have witnessed.
    pub threshold: usize,
    /// Its members, in the order listed.
    pub members: Vec<Member>,
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The logs, in the order listed.
    pub logs: Vec<Log>,
    /// The witnesses, in the order listed.
    pub witnesses: Vec<Witness>,
    /// The groups, in the order listed (each names only earlier ones).
    pub groups: Vec<Group>,
    /// The quorum; `None` for `quorum none`.
    pub quorum: Option<Member>,
}

/// A policy's verdict on one note ([`Policy::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The checkpoint's origin line.
    pub origin: String,
    /// Its tree size.
    pub tree_size: u64,
    /// Its root hash.
    pub root: Hash,
    /// The listed log whose signature verifies, if any.
    pub log: Option<VerifierKey>,
    /// Per witness, in policy order: what its lines say.
    pub witnesses: Vec<WitnessCheck>,
    /// Per group, in policy order: how many members witnessed.
    pub groups: Vec<usize>,
    /// Whether the quorum witnessed the checkpoint.
    pub quorum_met: bool,
    /// Whether the checkpoint is valid under the policy.
    pub valid: bool,
    /// What is wrong, in words: why it is invalid, and any listed witness's
    /// line that does not verify (which never counts, even when the rest is valid).
    pub problems: Vec<String>,
}

/// What a witness's lines in a note say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitnessCheck {
    /// A line by it verifies, with this timestamp.
    Valid(u64),
    /// Lines by it exist and none verifies.
    Invalid,
    /// No line by it.
    Missing,
}

/// The origin, tree size and root every C2SP checkpoint's text starts with (3507 otherwise).
pub fn checkpoint_head(text: &str) -> Result<(String, u64, Hash), PolicyError> {
    let bad = |why: String| PolicyError::Syntax { line: 0, why };
    let mut lines = text.split('\n');
    let origin = lines.next().filter(|o| !o.is_empty());
    let size = lines.next();
    let root = lines.next();
    let (Some(origin), Some(size), Some(root)) = (origin, size, root) else {
        return Err(bad("the note is not a checkpoint: it needs an origin, a tree size and a root hash on its first three lines".into()));
    };
    let size = (size.bytes().all(|b| b.is_ascii_digit()) && !matches!(size.as_bytes(), [b'0', _, ..]))
        .then(|| size.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| bad(format!("the checkpoint's tree size {size:?} is not a decimal number")))?;
    let root: Hash = note::b64_decode(root)
        .and_then(|r| r.try_into().ok())
        .ok_or_else(|| bad(format!("the checkpoint's root {root:?} is not 32 bytes of standard base64")))?;
    Ok((origin.to_string(), size, root))
}

impl Policy {
    /// Parses a policy file (see the module documentation for the rules).
    pub fn parse(input: &[u8]) -> Result<Policy, PolicyError> {
        if input.len() > MAX_POLICY_BYTES {
            return Err(syntax(0, format!("it is {} bytes, over the {MAX_POLICY_BYTES}-byte limit", input.len())));
        }
        if let Some(at) = input.iter().position(|b| !matches!(b, b'\t' | b'\n' | 0x20..=0x7e | 0x80..)) {
            let line = input.iter().take(at).filter(|b| **b == b'\n').count() + 1;
            let byte = input.get(at).copied().unwrap_or_default();
            return Err(syntax(line, format!("byte {byte:#04x} is a control character; only tab and newline are allowed")));
        }
        let text = core::str::from_utf8(input).map_err(|e| {
            let line = input.iter().take(e.valid_up_to()).filter(|b| **b == b'\n').count() + 1;
            syntax(line, "not UTF-8: omega reads a policy's names and keys as UTF-8 text")
        })?;
        let mut p = Policy { logs: Vec::new(), witnesses: Vec::new(), groups: Vec::new(), quorum: None };
        let mut quorum_seen = false;
        let mut used: Vec<Member> = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let at = i + 1;
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            let Some((&keyword, args)) = words.split_first() else { continue };
            if keyword.starts_with('#') {
                continue;
            }
            match keyword {
                "log" => {
                    let (vkey, url) = match args {
                        [k] => (*k, None),
                        [k, u] => (*k, Some(u.to_string())),
                        _ => return Err(syntax(at, "a log line is `log <vkey> [<url>]`")),
                    };
                    let key = VerifierKey::parse(vkey).map_err(|err| PolicyError::Key { line: at, err })?;
                    if key.alg() != note::ALG_ED25519 {
                        return Err(syntax(at, format!("log {} has a witness key (type 0x04); a log signs checkpoints with an Ed25519 note key (type 0x01)", key.name())));
                    }
                    if let Some(o) = p.logs.iter().find(|l| l.key.public() == key.public()) {
                        return Err(syntax(at, format!("log {} has the same public key as log {}; duplicate logs are not allowed", key.name(), o.key.name())));
                    }
                    if p.logs.len() == MAX_ITEMS {
                        return Err(syntax(at, format!("more than {MAX_ITEMS} logs")));
                    }
                    p.logs.push(Log { key, url });
                }
                "witness" => {
                    let (name, vkey, url) = match args {
                        [n, k] => (*n, *k, None),
                        [n, k, u] => (*n, *k, Some(u.to_string())),
                        _ => return Err(syntax(at, "a witness line is `witness <name> <vkey> [<url>]`")),
                    };
                    p.define(at, name)?;
                    let key = VerifierKey::parse(vkey).map_err(|err| PolicyError::Key { line: at, err })?;
                    if !key.is_cosigner() {
                        return Err(syntax(at, format!(
                            "witness {name} has an Ed25519 note key (type 0x01); a witness cosigns with an Ed25519 cosignature/v1 key (type 0x04, as `omega keygen --witness` makes)"
                        )));
                    }
                    if let Some(o) = p.witnesses.iter().find(|w| w.key.public() == key.public()) {
                        return Err(syntax(at, format!("witness {name} has the same public key as witness {}; duplicate witnesses are not allowed", o.name)));
                    }
                    if p.witnesses.len() == MAX_ITEMS {
                        return Err(syntax(at, format!("more than {MAX_ITEMS} witnesses")));
                    }
                    p.witnesses.push(Witness { name: name.to_string(), key, url });
                }
                "group" => {
                    let [name, k, members @ ..] = args else {
                        return Err(syntax(at, "a group line is `group <name> all|any|<k> <name>...`"));
                    };
                    if members.is_empty() {
                        return Err(syntax(at, format!("group {name} lists no members; it needs at least one")));
                    }
                    p.define(at, name)?;
                    let n = members.len();
                    let threshold = match *k {
                        "all" => n,
                        "any" => 1,
                        k if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => match k.parse::<usize>() {
                            Ok(k) if (1..=n).contains(&k) => k,
                            _ => return Err(syntax(at, format!("group {name}: the threshold {k} must be from 1 to its {n} members"))),
                        },
                        k => return Err(syntax(at, format!("group {name}: the threshold {k:?} is not `all`, `any` or a decimal number"))),
                    };
                    let mut list = Vec::with_capacity(n);
                    for m in members {
                        if *m == "none" {
                            return Err(syntax(at, format!("group {name}: `none` cannot be a group member")));
                        }
                        let member = p.lookup(m).ok_or_else(|| syntax(at, format!("group {name}: {m} is not a witness or group defined on an earlier line")))?;
                        if used.contains(&member) {
                            return Err(syntax(at, format!("group {name}: {m} is already a member of a group; each name may be a member only once")));
                        }
                        used.push(member);
                        list.push(member);
                    }
                    if p.groups.len() == MAX_ITEMS {
                        return Err(syntax(at, format!("more than {MAX_ITEMS} groups")));
                    }
                    p.groups.push(Group { name: name.to_string(), threshold, members: list });
                }
                "quorum" => {
                    let [name] = args else {
                        return Err(syntax(at, "a quorum line is `quorum <name>` or `quorum none`"));
                    };
                    if quorum_seen {
                        return Err(syntax(at, "a second quorum line; a policy has exactly one"));
                    }
                    quorum_seen = true;
                    p.quorum = match *name {
                        "none" => None,
                        n => Some(p.lookup(n).ok_or_else(|| syntax(at, format!("the quorum {n} is not a witness or group defined on an earlier line")))?),
                    };
                }
                other => return Err(syntax(at, format!("unknown keyword {other:?}; a line is `log`, `witness`, `group`, `quorum`, a comment (`#`) or blank"))),
            }
        }
        if !quorum_seen {
            return Err(syntax(0, "no quorum line; a policy has exactly one (`quorum none` asks for no witness)"));
        }
        Ok(p)
    }

    fn lookup(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups.iter().position(|g| g.name == name).map(Member::Group)
    }

    fn define(&self, at: usize, name: &str) -> Result<(), PolicyError> {
        if name == "none" {
            return Err(syntax(at, "`none` is reserved (`quorum none`) and cannot name a witness or group"));
        }
        if self.lookup(name).is_some() {
            return Err(syntax(at, format!("{name} is already defined; witnesses and groups share one namespace")));
        }
        Ok(())
    }

    /// The name of a member or the quorum.
    pub fn name_of(&self, m: Option<Member>) -> &str {
        match m {
            None => "none",
            Some(Member::Witness(i)) => self.witnesses.get(i).map_or("", |w| w.name.as_str()),
            Some(Member::Group(i)) => self.groups.get(i).map_or("", |g| g.name.as_str()),
        }
    }

    /// Judges a signed note, which must be a C2SP checkpoint (3507 when its
    /// first three lines are not an origin, a tree size and a root).
    /// Lines by keys the policy does not list are ignored; a line by a
    /// listed key that does not verify is reported and never counts.
    /// Cosignature timestamps are reported, not judged: core has no clock.
    pub fn verify(&self, note: &Note) -> Result<Verdict, PolicyError> {
        let (origin, tree_size, root) = checkpoint_head(&note.text)?;
        let text = note.text.as_bytes();
        let check = |k: &VerifierKey| {
            let mut seen = WitnessCheck::Missing;
            for s in note.signatures.iter().filter(|s| s.name == k.name() && s.id == k.id()) {
                match k.check(text, &s.sig) {
                    LineCheck::Valid { timestamp } => return WitnessCheck::Valid(timestamp.unwrap_or(0)),
                    LineCheck::Invalid => seen = WitnessCheck::Invalid,
                }
            }
            seen
        };
        let mut problems = Vec::new();
        let mine: Vec<&Log> = self.logs.iter().filter(|l| l.key.name() == origin).collect();
        let mut log = None;
        for l in &mine {
            match check(&l.key) {
                WitnessCheck::Valid(_) => {
                    log = Some(l.key.clone());
                    break;
                }
                WitnessCheck::Invalid => problems.push(format!("the signature of log {} does not verify", l.key)),
                WitnessCheck::Missing => problems.push(format!("log {} did not sign the checkpoint", l.key)),
            }
        }
        if mine.is_empty() && !self.logs.is_empty() {
            problems.push(format!("no log in the policy has the origin {origin:?}"));
        }
        let log_ok = self.logs.is_empty() || log.is_some();
        if log_ok {
            problems.clear();
        }
        let witnesses: Vec<WitnessCheck> = self.witnesses.iter().map(|w| check(&w.key)).collect();
        for (w, c) in self.witnesses.iter().zip(&witnesses) {
            if *c == WitnessCheck::Invalid {
                problems.push(format!("the cosignature of witness {} does not verify", w.name));
            }
        }
        let witnessed = |m: &Member, groups: &[usize]| match m {
            Member::Witness(i) => matches!(witnesses.get(*i), Some(WitnessCheck::Valid(_))),
            Member::Group(i) => matches!((groups.get(*i), self.groups.get(*i)), (Some(n), Some(g)) if *n >= g.threshold),
        };
        let mut groups: Vec<usize> = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let n = g.members.iter().filter(|m| witnessed(m, &groups)).count();
            groups.push(n);
        }
        let quorum_met = self.quorum.as_ref().is_none_or(|q| witnessed(q, &groups));
        if !quorum_met {
            let what = match self.quorum {
                Some(Member::Group(i)) => match (self.groups.get(i), groups.get(i)) {
                    (Some(g), Some(n)) => format!("group {} has {n} of the {} members it needs", g.name, g.threshold),
                    _ => String::new(),
                },
                _ => format!("witness {} did not cosign", self.name_of(self.quorum)),
            };
            problems.push(format!("the quorum {} is not met: {what}", self.name_of(self.quorum)));
        }
        let valid = log_ok && quorum_met;
        Ok(Verdict { origin, tree_size, root, log, witnesses, groups, quorum_met, valid, problems })
    }
}
