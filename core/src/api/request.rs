//! One request type per op, each with `decode` (from the wire bytes every
//! engine passes) and `encode` (to them). [`Call`] is the decoded request of
//! any op: matching on it is exhaustive, so a new [`Op`] variant does not
//! compile until its request, its handler and its encoder exist.
//!
//! Wire forms (docs/FORMATS.md, "Byte ABI"): ops 1 and 2 take
//! `u32 LE n | n bytes of events | prior`; every other op takes a sequence
//! of fields, each `u32 LE length | bytes`, where an empty optional field
//! means "absent". A required field that is missing is refused with 3301
//! (before this module it silently became empty bytes).
use super::error::ApiError;
use super::op::Op;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Splits a field request into its length-prefixed fields.
pub fn split_fields(input: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let n = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (f, tail) = (tail.get(..n)?, tail.get(n..)?);
        out.push(f);
        rest = tail;
    }
    Some(out)
}

/// Joins fields into a request.
pub fn make_fields(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// Splits a reconcile request (ops 1 and 2) into events bytes and prior bytes.
pub fn split_request(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = input.split_first_chunk::<4>()?;
    let n = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    (n <= rest.len()).then(|| rest.split_at(n))
}

/// Builds a reconcile request (ops 1 and 2) from its parts.
pub fn make_request(events: &[u8], prior: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + events.len() + prior.len());
    v.extend_from_slice(&u32::try_from(events.len()).unwrap_or(u32::MAX).to_le_bytes());
    v.extend_from_slice(events);
    v.extend_from_slice(prior);
    v
}

/// The fields of one request, read with the op's names for them.
struct Fields<'a> {
    op: Op,
    f: Vec<&'a [u8]>,
}

impl<'a> Fields<'a> {
    fn parse(op: Op, input: &'a [u8]) -> Result<Self, ApiError> {
        let f = split_fields(input)
            .ok_or_else(|| ApiError::bad_request("request fields must each be a u32 little-endian length and that many bytes"))?;
        Ok(Fields { op, f })
    }

    /// A field that must be present (it may be empty).
    fn bytes(&self, i: usize, what: &str) -> Result<&'a [u8], ApiError> {
        self.f.get(i).copied().ok_or_else(|| {
            ApiError::bad_request(format!(
                "{} takes {what} as field {i}, but the request has only {} field(s)",
                self.op,
                self.f.len()
            ))
        })
    }

    /// A field that may be absent or empty (both mean "none").
    fn opt(&self, i: usize) -> Option<&'a [u8]> {
        self.f.get(i).copied().filter(|f| !f.is_empty())
    }

    /// A present field, as UTF-8 text.
    fn text(&self, i: usize, what: &str) -> Result<&'a str, ApiError> {
        utf8(self.bytes(i, what)?, what)
    }

    /// The fields from `i` on.
    fn rest(&self, i: usize) -> Vec<&'a [u8]> {
        self.f.get(i..).unwrap_or_default().to_vec()
    }
}

fn utf8<'a>(f: &'a [u8], what: &str) -> Result<&'a str, ApiError> {
    core::str::from_utf8(f).map_err(|_| ApiError::bad_request(format!("{what} is not UTF-8")))
}

/// An optional cosignature timestamp field (ops 5 and 31).
fn timestamp(f: Option<&[u8]>) -> Result<Option<u64>, ApiError> {
    const TIME: &str = "the timestamp must be a decimal integer from 0 to 9223372036854775807 (POSIX seconds)";
    f.map(|t| decimal(t, TIME).ok().filter(|t| *t <= crate::certify::note::MAX_TIMESTAMP).ok_or_else(|| ApiError::bad_request(TIME)))
        .transpose()
}

fn decimal(f: &[u8], message: &str) -> Result<u64, ApiError> {
    core::str::from_utf8(f).ok().and_then(|s| s.parse().ok()).ok_or_else(|| ApiError::bad_request(message))
}

fn opt_bytes(f: Option<&[u8]>) -> &[u8] {
    f.unwrap_or_default()
}

/// How the events of a request are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    /// A JSON array of events (the default; an empty format field means this).
    Json,
    /// Concatenated canonical binary events.
    Binary,
    /// A framed `.omega` log.
    Omega,
    /// Leaf hashes as they are, 32 bytes each in tree order (proofs only).
    Leaves,
}

impl EventFormat {
    /// The wire word.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventFormat::Json => "json",
            EventFormat::Binary => "binary",
            EventFormat::Omega => "omega",
            EventFormat::Leaves => "leaves",
        }
    }

    fn decode(f: &[u8], leaves: bool) -> Result<EventFormat, ApiError> {
        match f {
            b"json" | b"" => Ok(EventFormat::Json),
            b"binary" => Ok(EventFormat::Binary),
            b"omega" => Ok(EventFormat::Omega),
            b"leaves" if leaves => Ok(EventFormat::Leaves),
            _ if leaves => Err(ApiError::bad_request("the format must be `json`, `binary`, `omega` or `leaves`")),
            _ => Err(ApiError::bad_request("the format must be `json`, `binary` or `omega`")),
        }
    }
}

/// What an ECS run reports besides its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EcsMode {
    /// One report per tick.
    pub reports: bool,
    /// The world snapshot at the end.
    pub snapshot: bool,
    /// Apply the next tick's injection and commands (no systems) before the snapshot.
    pub prestep: bool,
}

impl EcsMode {
    fn decode(f: &[u8]) -> Result<EcsMode, ApiError> {
        if f.is_empty() {
            return Ok(EcsMode { reports: true, ..EcsMode::default() });
        }
        let s = utf8(f, "the mode")?;
        let mut m = EcsMode::default();
        for w in s.split(',') {
            match w {
                "reports" => m.reports = true,
                "snapshot" => m.snapshot = true,
                "prestep" => m.prestep = true,
                "summary" => {}
                _ => return Err(ApiError::bad_request(format!("unknown mode `{w}` (known: summary, reports, snapshot, prestep)"))),
            }
        }
        Ok(m)
    }

    fn encode(self) -> String {
        let words: Vec<&str> = [(self.reports, "reports"), (self.snapshot, "snapshot"), (self.prestep, "prestep")]
            .into_iter()
            .filter_map(|(on, w)| on.then_some(w))
            .collect();
        if words.is_empty() { "summary".to_string() } else { words.join(",") }
    }
}

pub use crate::ecs::Inject;

/// An inject field (ops 16 and 19): none when absent or empty.
fn inject(f: Option<&[u8]>) -> Result<Option<Inject>, ApiError> {
    match f {
        None => Ok(None),
        Some(s) => core::str::from_utf8(s)
            .ok()
            .and_then(super::ops::parse_inject)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("inject must be tick:index:generation:component:bit")),
    }
}

fn encode_inject(i: &Inject) -> String {
    let (tick, e, comp, bit) = i;
    format!("{tick}:{}:{}:{comp}:{bit}", e.index, e.generation)
}

/// Ops 1 and 2: reconcile events against a prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconcile<'a> {
    /// `Json` (op 1) or `Binary` (op 2).
    pub format: EventFormat,
    /// The events.
    pub events: &'a [u8],
    /// Empty, an ok result JSON, a binary state (`OMGS`) or a snapshot (`OMSN`).
    pub prior: &'a [u8],
}

/// Op 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keygen<'a> {
    /// The key name.
    pub name: &'a str,
    /// The 32-byte seed (checked by the handler).
    pub seed: &'a [u8],
    /// A witness key (C2SP cosignature/v1, type 0x04) rather than a note key (0x01).
    pub witness: bool,
}

/// Op 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certify<'a> {
    /// A reconcile result or ECS summary JSON.
    pub result: &'a [u8],
    /// The log's origin line.
    pub origin: &'a str,
    /// The signer key text.
    pub key: &'a str,
    /// The previous certificate, to chain on.
    pub prev: Option<&'a [u8]>,
    /// The committee JSON to name.
    pub committee: Option<&'a [u8]>,
    /// The world line, `<tick> <64 hex>` (a cluster node's world after the batch).
    pub world: Option<&'a [u8]>,
}

/// Op 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cosign<'a> {
    /// The certificate (binary or signed-note text).
    pub certificate: &'a [u8],
    /// The signer key text.
    pub key: &'a str,
    /// The cosignature's POSIX timestamp: required by a witness key (type 0x04), refused for a note key.
    pub timestamp: Option<u64>,
}

/// Op 6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify<'a> {
    /// The certificate.
    pub certificate: &'a [u8],
    /// The committee JSON (required; refused with 3603 when absent).
    pub committee: Option<&'a [u8]>,
    /// The chain before it, oldest first.
    pub chain: Vec<&'a [u8]>,
}

/// Op 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explain<'a> {
    /// The certificate.
    pub certificate: &'a [u8],
    /// A committee JSON to judge it with.
    pub committee: Option<&'a [u8]>,
}

/// Ops 9 and 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prove<'a> {
    /// The history.
    pub events: &'a [u8],
    /// How it is given.
    pub format: EventFormat,
    /// The leaf index (op 9) or the old size (op 10).
    pub at: u64,
}

/// Which proof op 29 makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileProof {
    /// Of leaf `at` in the tree of `size` leaves.
    Inclusion,
    /// From the tree of `at` leaves to the tree of `size` leaves.
    Consistency,
}

impl TileProof {
    /// The request's spelling: `inclusion` or `consistency`.
    pub fn as_str(self) -> &'static str {
        match self {
            TileProof::Inclusion => "inclusion",
            TileProof::Consistency => "consistency",
        }
    }
}

/// Op 29: a proof from the tiles of a C2SP tile store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProveTiles<'a> {
    /// Inclusion or consistency.
    pub kind: TileProof,
    /// The leaf index, or the old size.
    pub at: u64,
    /// The tree size to prove in.
    pub size: u64,
    /// The root the caller trusts at `size` (64 hex), if any: the proof must lead to it.
    pub root: Option<&'a [u8]>,
    /// Tiles given, as (path, bytes), in request order.
    pub tiles: Vec<(&'a [u8], &'a [u8])>,
}

/// Op 15: a snapshot of a state, and of the world it drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot<'a> {
    /// An ok result JSON, a binary state (`OMGS`) or a snapshot (`OMSN`).
    pub from: &'a [u8],
    /// The world (`OMGW`, or a snapshot holding one); none: the world of `from` when it is a snapshot holding one.
    pub world: Option<&'a [u8]>,
}

/// Op 30: a checkpoint judged under a C2SP tlog-policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyVerify<'a> {
    /// The policy file.
    pub policy: &'a [u8],
    /// The signed note (a C2SP checkpoint with its signatures and cosignatures).
    pub note: &'a [u8],
}

/// Op 31: a note signed (a witness's cosignature on any log's checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteSign<'a> {
    /// A signed note, or a bare text ending in a newline (no blank line).
    pub note: &'a [u8],
    /// The signer key text.
    pub key: &'a str,
    /// The cosignature's POSIX timestamp: required by a witness key, refused for a note key.
    pub timestamp: Option<u64>,
}

/// Op 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileLog<'a> {
    /// The `.omega` log bytes.
    pub log: &'a [u8],
    /// The prior, in any of its forms.
    pub prior: &'a [u8],
}

/// Op 16.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay<'a> {
    /// A snapshot or prior (none: the empty history).
    pub snapshot: Option<&'a [u8]>,
    /// The `.omega` log bytes.
    pub log: &'a [u8],
    /// A certificate to check the result against (the first of a chain).
    pub certificate: Option<&'a [u8]>,
    /// A world to name the first tick, entity and component where the
    /// replayed world departs from it (OMGW, or a snapshot holding one).
    pub reference: Option<&'a [u8]>,
    /// A bit flip in the replayed world (desync tests, as op 19's).
    pub inject: Option<Inject>,
    /// The certificates after the first, in chain order: one batch each.
    pub chain: Vec<&'a [u8]>,
}

/// Op 17.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundle<'a> {
    /// The batch.
    pub events: &'a [u8],
    /// How it is given (`json`, `binary` or `omega`).
    pub format: EventFormat,
    /// The prior, in any of its forms.
    pub prior: &'a [u8],
}

/// Op 19.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcsRun<'a> {
    /// A config JSON or a world snapshot (`OMGW`); empty: the default config.
    pub start: &'a [u8],
    /// How many ticks.
    pub ticks: u64,
    /// JSON events driving the world.
    pub events: Option<&'a [u8]>,
    /// What to report.
    pub mode: EcsMode,
    /// A bit flip to inject.
    pub inject: Option<Inject>,
}

/// Op 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcsDiff<'a> {
    /// World snapshot A.
    pub a: &'a [u8],
    /// World snapshot B.
    pub b: &'a [u8],
}

/// Op 22: verify a C2SP signed note against verifier keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerify<'a> {
    /// The signed note text.
    pub note: &'a [u8],
    /// Verifier keys (`name+hexid+base64`), at least one.
    pub keys: Vec<&'a str>,
}

/// Op 23: cut the next batch at a seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut<'a> {
    /// The prior, in any of its forms (empty: the empty history).
    pub prior: &'a [u8],
    /// The carry (OMGP) a previous cut returned; none for an empty one.
    pub carry: Option<&'a [u8]>,
    /// Fresh events, canonical binary, concatenated.
    pub fresh: Option<&'a [u8]>,
    /// Seals an event may wait before it is given up (at least 1).
    pub horizon: u32,
    /// Seals every event is held before it may be appended (field 4; absent or empty: 0).
    pub delay: u32,
}

/// Op 26: step a world through one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EcsBatch<'a> {
    /// The world before the batch: a snapshot (`OMGW`) or a config JSON (empty: the default config).
    pub world: &'a [u8],
    /// The batch's events, canonical binary, concatenated (none: an empty batch).
    pub events: Option<&'a [u8]>,
}

/// Op 25: check a fraud proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraud<'a> {
    /// The committee JSON.
    pub committee: &'a [u8],
    /// Certificate (or signed note) A.
    pub a: &'a [u8],
    /// Certificate (or signed note) B.
    pub b: &'a [u8],
}

/// The decoded request of any op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call<'a> {
    /// Op 0.
    Version,
    /// Ops 1 and 2.
    Reconcile(Reconcile<'a>),
    /// Op 3.
    Keygen(Keygen<'a>),
    /// Op 4.
    Certify(Certify<'a>),
    /// Op 5.
    Cosign(Cosign<'a>),
    /// Op 6.
    Verify(Verify<'a>),
    /// Op 7.
    Explain(Explain<'a>),
    /// Op 8: the certificate.
    Note(&'a [u8]),
    /// Op 9.
    ProveInclusion(Prove<'a>),
    /// Op 10.
    ProveConsistency(Prove<'a>),
    /// Op 11: the proof JSON.
    VerifyInclusion(&'a [u8]),
    /// Op 12: the proof JSON.
    VerifyConsistency(&'a [u8]),
    /// Op 13: the log bytes.
    Ingest(&'a [u8]),
    /// Op 14.
    ReconcileLog(ReconcileLog<'a>),
    /// Op 15: an ok result JSON, a binary state or a snapshot.
    Snapshot(Snapshot<'a>),
    /// Op 16.
    Replay(Replay<'a>),
    /// Op 17.
    Bundle(Bundle<'a>),
    /// Op 18: the bundle bytes.
    ExplainBundle(&'a [u8]),
    /// Op 19.
    EcsRun(EcsRun<'a>),
    /// Op 20.
    EcsDiff(EcsDiff<'a>),
    /// Op 21: leaf hashes, 32 bytes each.
    MerkleRoot(&'a [u8]),
    /// Op 22.
    NoteVerify(NoteVerify<'a>),
    /// Op 23.
    Cut(Cut<'a>),
    /// Op 24: one or more certificates.
    Merge(Vec<&'a [u8]>),
    /// Op 25.
    Fraud(Fraud<'a>),
    /// Op 26.
    EcsBatch(EcsBatch<'a>),
    /// Op 27: a seal message's body.
    Seal(&'a [u8]),
    /// Op 28: the signatures to check, a JSON list of `{"key", "msg", "sig"}` in hex.
    Ed25519Verify(&'a [u8]),
    /// Op 29.
    ProveTiles(ProveTiles<'a>),
    /// Op 30.
    PolicyVerify(PolicyVerify<'a>),
    /// Op 31.
    NoteSign(NoteSign<'a>),
}

impl<'a> Call<'a> {
    /// Decodes the request bytes of `op`.
    pub fn decode(op: Op, input: &'a [u8]) -> Result<Call<'a>, ApiError> {
        // the fields, parsed for the ops that take fields (all but ops 0 to 2)
        let fields = || Fields::parse(op, input);
        Ok(match op {
            Op::Version => Call::Version,
            Op::ReconcileJson | Op::ReconcileBinary => {
                let (events, prior) = split_request(input).ok_or_else(|| {
                    ApiError::bad_request("request must start with a u32 little-endian length that fits the request")
                })?;
                let format = if op == Op::ReconcileJson { EventFormat::Json } else { EventFormat::Binary };
                Call::Reconcile(Reconcile { format, events, prior })
            }
            Op::Keygen => {
                let f = fields()?;
                let witness = match f.opt(2) {
                    None | Some(b"note") => false,
                    Some(b"witness") => true,
                    Some(_) => return Err(ApiError::bad_request("the key type must be `note` (0x01, the default) or `witness` (0x04)")),
                };
                Call::Keygen(Keygen { name: f.text(0, "the key name")?, seed: f.bytes(1, "the seed")?, witness })
            }
            Op::Certify => {
                let f = fields()?;
                Call::Certify(Certify {
                    result: f.bytes(0, "the result")?,
                    origin: f.text(1, "the origin")?,
                    key: f.text(2, "the signer key")?,
                    prev: f.opt(3),
                    committee: f.opt(4),
                    world: f.opt(5),
                })
            }
            Op::Cosign => {
                let f = fields()?;
                Call::Cosign(Cosign { certificate: f.bytes(0, "the certificate")?, key: f.text(1, "the signer key")?, timestamp: timestamp(f.opt(2))? })
            }
            Op::Verify => {
                let f = fields()?;
                Call::Verify(Verify { certificate: f.bytes(0, "the certificate")?, committee: f.opt(1), chain: f.rest(2) })
            }
            Op::Explain => {
                let f = fields()?;
                Call::Explain(Explain { certificate: f.bytes(0, "the certificate")?, committee: f.opt(1) })
            }
            Op::Note => Call::Note(fields()?.bytes(0, "the certificate")?),
            Op::ProveInclusion | Op::ProveConsistency => {
                let f = fields()?;
                let p = Prove {
                    events: f.bytes(0, "the events")?,
                    format: EventFormat::decode(f.opt(1).unwrap_or_default(), true)?,
                    at: decimal(f.bytes(2, "the index or old size")?, "the index or old size must be a decimal integer")?,
                };
                if op == Op::ProveInclusion { Call::ProveInclusion(p) } else { Call::ProveConsistency(p) }
            }
            Op::VerifyInclusion => Call::VerifyInclusion(fields()?.bytes(0, "the proof JSON")?),
            Op::VerifyConsistency => Call::VerifyConsistency(fields()?.bytes(0, "the proof JSON")?),
            Op::Ingest => Call::Ingest(fields()?.bytes(0, "the log")?),
            Op::ReconcileLog => {
                let f = fields()?;
                Call::ReconcileLog(ReconcileLog { log: f.bytes(0, "the log")?, prior: f.opt(1).unwrap_or_default() })
            }
            Op::Snapshot => {
                let f = fields()?;
                Call::Snapshot(Snapshot { from: f.bytes(0, "the state")?, world: f.opt(1) })
            }
            Op::Replay => {
                let f = fields()?;
                Call::Replay(Replay {
                    snapshot: f.opt(0),
                    log: f.bytes(1, "the log")?,
                    certificate: f.opt(2),
                    reference: f.opt(3),
                    inject: inject(f.opt(4))?,
                    chain: f.rest(5).into_iter().filter(|c| !c.is_empty()).collect(),
                })
            }
            Op::Bundle => {
                let f = fields()?;
                Call::Bundle(Bundle {
                    events: f.bytes(0, "the events")?,
                    format: EventFormat::decode(f.opt(1).unwrap_or_default(), false)?,
                    prior: f.opt(2).unwrap_or_default(),
                })
            }
            Op::ExplainBundle => Call::ExplainBundle(fields()?.bytes(0, "the bundle")?),
            Op::EcsRun => {
                let f = fields()?;
                let inject = inject(f.opt(4))?;
                Call::EcsRun(EcsRun {
                    start: f.opt(0).unwrap_or_default(),
                    ticks: decimal(f.bytes(1, "ticks")?, "ticks must be a decimal integer")?,
                    events: f.opt(2),
                    mode: EcsMode::decode(f.opt(3).unwrap_or_default())?,
                    inject,
                })
            }
            Op::EcsDiff => {
                let f = fields()?;
                Call::EcsDiff(EcsDiff { a: f.bytes(0, "world snapshot A")?, b: f.bytes(1, "world snapshot B")? })
            }
            Op::MerkleRoot => Call::MerkleRoot(fields()?.bytes(0, "the leaf hashes")?),
            Op::NoteVerify => {
                let f = fields()?;
                let note = f.bytes(0, "the note")?;
                let mut keys = Vec::new();
                for (i, k) in f.rest(1).into_iter().enumerate() {
                    keys.push(utf8(k, &format!("verifier key {i}"))?);
                }
                Call::NoteVerify(NoteVerify { note, keys })
            }
            Op::Cut => {
                let f = fields()?;
                let prior = f.bytes(0, "the prior")?;
                const HORIZON: &str = "the horizon must be a decimal integer from 1 to 4294967295";
                let horizon = decimal(f.bytes(3, "the horizon")?, HORIZON)?;
                let horizon = u32::try_from(horizon).ok().filter(|h| *h >= 1).ok_or_else(|| ApiError::bad_request(HORIZON))?;
                const DELAY: &str = "the delay must be a decimal integer from 0 to 4294967295";
                let delay = match f.opt(4) {
                    None => 0,
                    Some(d) => u32::try_from(decimal(d, DELAY)?).map_err(|_| ApiError::bad_request(DELAY))?,
                };
                Call::Cut(Cut { prior, carry: f.opt(1), fresh: f.opt(2), horizon, delay })
            }
            Op::Merge => {
                let certs = fields()?.rest(0);
                if certs.is_empty() {
                    return Err(ApiError::bad_request(format!("{op} takes one or more certificates, one per field")));
                }
                Call::Merge(certs)
            }
            Op::Fraud => {
                let f = fields()?;
                Call::Fraud(Fraud { committee: f.bytes(0, "the committee JSON")?, a: f.bytes(1, "certificate A")?, b: f.bytes(2, "certificate B")? })
            }
            Op::EcsBatch => {
                let f = fields()?;
                Call::EcsBatch(EcsBatch { world: f.bytes(0, "the world (a snapshot or a config JSON)")?, events: f.opt(1) })
            }
            Op::Seal => Call::Seal(fields()?.bytes(0, "the seal body")?),
            Op::Ed25519Verify => Call::Ed25519Verify(fields()?.bytes(0, "the signatures (JSON)")?),
            Op::ProveTiles => {
                let f = fields()?;
                let kind = match f.bytes(0, "the proof kind (inclusion or consistency)")? {
                    b"inclusion" => TileProof::Inclusion,
                    b"consistency" => TileProof::Consistency,
                    _ => return Err(ApiError::bad_request("the proof kind (field 0) must be `inclusion` or `consistency`")),
                };
                let at = decimal(f.bytes(1, "the index or old size")?, "the index or old size (field 1) must be a decimal integer")?;
                let size = decimal(f.bytes(2, "the tree size")?, "the tree size (field 2) must be a decimal integer")?;
                let rest = f.rest(4);
                if rest.len() % 2 != 0 {
                    return Err(ApiError::bad_request("tiles come as pairs of fields (a path, then its bytes); the last path has no bytes"));
                }
                let tiles = rest.chunks_exact(2).filter_map(|p| Some((*p.first()?, *p.get(1)?))).collect();
                Call::ProveTiles(ProveTiles { kind, at, size, root: f.opt(3), tiles })
            }
            Op::NoteSign => {
                let f = fields()?;
                Call::NoteSign(NoteSign { note: f.bytes(0, "the note")?, key: f.text(1, "the signer key")?, timestamp: timestamp(f.opt(2))? })
            }
            Op::PolicyVerify => {
                let f = fields()?;
                Call::PolicyVerify(PolicyVerify { policy: f.bytes(0, "the policy")?, note: f.bytes(1, "the note")? })
            }
        })
    }

    /// The op this request is for.
    pub fn op(&self) -> Op {
        match self {
            Call::Version => Op::Version,
            Call::Reconcile(r) if r.format == EventFormat::Binary => Op::ReconcileBinary,
            Call::Reconcile(_) => Op::ReconcileJson,
            Call::Keygen(_) => Op::Keygen,
            Call::Certify(_) => Op::Certify,
            Call::Cosign(_) => Op::Cosign,
            Call::Verify(_) => Op::Verify,
            Call::Explain(_) => Op::Explain,
            Call::Note(_) => Op::Note,
            Call::ProveInclusion(_) => Op::ProveInclusion,
            Call::ProveConsistency(_) => Op::ProveConsistency,
            Call::VerifyInclusion(_) => Op::VerifyInclusion,
            Call::VerifyConsistency(_) => Op::VerifyConsistency,
            Call::Ingest(_) => Op::Ingest,
            Call::ReconcileLog(_) => Op::ReconcileLog,
            Call::Snapshot(_) => Op::Snapshot,
            Call::Replay(_) => Op::Replay,
            Call::Bundle(_) => Op::Bundle,
            Call::ExplainBundle(_) => Op::ExplainBundle,
            Call::EcsRun(_) => Op::EcsRun,
            Call::EcsDiff(_) => Op::EcsDiff,
            Call::MerkleRoot(_) => Op::MerkleRoot,
            Call::NoteVerify(_) => Op::NoteVerify,
            Call::Cut(_) => Op::Cut,
            Call::Merge(_) => Op::Merge,
            Call::Fraud(_) => Op::Fraud,
            Call::EcsBatch(_) => Op::EcsBatch,
            Call::Seal(_) => Op::Seal,
            Call::Ed25519Verify(_) => Op::Ed25519Verify,
            Call::ProveTiles(_) => Op::ProveTiles,
            Call::PolicyVerify(_) => Op::PolicyVerify,
            Call::NoteSign(_) => Op::NoteSign,
        }
    }

    /// The request bytes (what `decode` reads back to an equal `Call`).
    pub fn encode(&self) -> Vec<u8> {
        let dec = |n: u64| n.to_string().into_bytes();
        match self {
            Call::Version => Vec::new(),
            Call::Reconcile(r) => make_request(r.events, r.prior),
            Call::Keygen(k) if k.witness => make_fields(&[k.name.as_bytes(), k.seed, b"witness"]),
            Call::Keygen(k) => make_fields(&[k.name.as_bytes(), k.seed]),
            Call::Certify(c) => match c.world {
                None => make_fields(&[c.result, c.origin.as_bytes(), c.key.as_bytes(), opt_bytes(c.prev), opt_bytes(c.committee)]),
                Some(w) => make_fields(&[c.result, c.origin.as_bytes(), c.key.as_bytes(), opt_bytes(c.prev), opt_bytes(c.committee), w]),
            },
            Call::Cosign(c) => match c.timestamp {
                None => make_fields(&[c.certificate, c.key.as_bytes()]),
                Some(t) => make_fields(&[c.certificate, c.key.as_bytes(), &dec(t)]),
            },
            Call::Verify(v) => {
                let mut f = alloc::vec![v.certificate, opt_bytes(v.committee)];
                f.extend(v.chain.iter().copied());
                make_fields(&f)
            }
            Call::Explain(e) => make_fields(&[e.certificate, opt_bytes(e.committee)]),
            Call::Note(b) | Call::VerifyInclusion(b) | Call::VerifyConsistency(b) | Call::Ingest(b) => make_fields(&[b]),
            Call::Snapshot(s) => match s.world {
                None => make_fields(&[s.from]),
                Some(w) => make_fields(&[s.from, w]),
            },
            Call::ExplainBundle(b) | Call::MerkleRoot(b) => make_fields(&[b]),
            Call::ProveInclusion(p) | Call::ProveConsistency(p) => make_fields(&[p.events, p.format.as_str().as_bytes(), &dec(p.at)]),
            Call::ReconcileLog(r) => make_fields(&[r.log, r.prior]),
            Call::Replay(r) => {
                let inject = r.inject.as_ref().map(encode_inject).unwrap_or_default();
                let mut f: Vec<&[u8]> = alloc::vec![opt_bytes(r.snapshot), r.log, opt_bytes(r.certificate), opt_bytes(r.reference), inject.as_bytes()];
                f.extend(r.chain.iter().copied());
                // the fields a replay without them never had are left off
                while f.len() > 3 && f.last().is_some_and(|l| l.is_empty()) {
                    f.pop();
                }
                make_fields(&f)
            }
            Call::Bundle(b) => make_fields(&[b.events, b.format.as_str().as_bytes(), b.prior]),
            Call::EcsRun(e) => {
                let inject = e.inject.as_ref().map(encode_inject).unwrap_or_default();
                make_fields(&[e.start, &dec(e.ticks), opt_bytes(e.events), e.mode.encode().as_bytes(), inject.as_bytes()])
            }
            Call::EcsDiff(d) => make_fields(&[d.a, d.b]),
            Call::NoteVerify(n) => {
                let mut f = alloc::vec![n.note];
                f.extend(n.keys.iter().map(|k| k.as_bytes()));
                make_fields(&f)
            }
            Call::Cut(c) if c.delay == 0 => make_fields(&[c.prior, opt_bytes(c.carry), opt_bytes(c.fresh), &dec(u64::from(c.horizon))]),
            Call::Cut(c) => make_fields(&[c.prior, opt_bytes(c.carry), opt_bytes(c.fresh), &dec(u64::from(c.horizon)), &dec(u64::from(c.delay))]),
            Call::Merge(certs) => make_fields(certs),
            Call::Fraud(f) => make_fields(&[f.committee, f.a, f.b]),
            Call::EcsBatch(b) => make_fields(&[b.world, opt_bytes(b.events)]),
            Call::Seal(b) | Call::Ed25519Verify(b) => make_fields(&[b]),
            Call::PolicyVerify(p) => make_fields(&[p.policy, p.note]),
            Call::NoteSign(n) => match n.timestamp {
                None => make_fields(&[n.note, n.key.as_bytes()]),
                Some(t) => make_fields(&[n.note, n.key.as_bytes(), &dec(t)]),
            },
            Call::ProveTiles(p) => {
                let (at, size) = (dec(p.at), dec(p.size));
                let mut f: Vec<&[u8]> = alloc::vec![p.kind.as_str().as_bytes(), &at, &size, opt_bytes(p.root)];
                for (path, bytes) in &p.tiles {
                    f.push(path);
                    f.push(bytes);
                }
                make_fields(&f)
            }
        }
    }
}
