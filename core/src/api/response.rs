//! The response bodies of the byte ABI, typed: one type per op's ok (and
//! obstruction) body, and [`ErrorBody`] for every refusal. These types are
//! the only definition of the bodies: every handler in
//! [`ops`](super::ops) builds its type (from the kernel's values through the
//! `From` conversions below) and prints it with [`to_json`]
//! (`serde_json::to_vec_pretty` and a final newline); errors print as
//! [`ErrorBody`]. Field order, which fields are `null` and which are left
//! out are part of the type. `core/tests/responses.rs` holds every golden
//! vector to it (parse, print again, same bytes).
//!
//! Two orders occur, and each type says which one it has:
//! - declared order (the reconcile results, certificates, proofs, the
//!   ingest report, tick reports);
//! - alphabetical order, for the bodies that were first printed from a
//!   `serde_json::Value` (serde_json without `preserve_order` keeps object
//!   keys sorted), kept so the bytes do not change: those types declare
//!   their fields alphabetically, and [`Sorted`] wraps a declared-order type
//!   that appears inside one (the result in [`BundleExplanation`], the tick
//!   reports in [`EcsRunReport`]).
//!
//! Reading is strict: an unknown field is refused (`deny_unknown_fields`), a
//! field that is always printed is required to be there (an `Option` one may
//! be `null`), and a field that is left out when empty (`index?`, `chain?`, ...)
//! may be absent.
//!
//! With the feature `ts`, [`typescript`] renders the TypeScript declarations
//! of these types (ts-rs): `wasm/types/omega.d.ts`, which the blob's `.d.ts`
//! includes, is that text (`cargo run -p omega-tests --bin gen-ts` writes it,
//! `--check` fails when it is stale).
use crate::api::Op;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
// The ts-rs derive's code names `std::...` paths and `format!`/`vec!` as the
// std prelude has them; ts-rs needs std anyway, so the feature `ts` links it
// (here only: the kernel itself stays no_std).
#[cfg(feature = "ts")]
extern crate std;
#[cfg(feature = "ts")]
use {alloc::format, std::prelude::rust_2024::*};

/// Derives shared by every response type.
macro_rules! body {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        $item
    )*};
}

/// A one-value status (`"ok"`, `"obstruction"`, `"error"`): the type of a
/// `status` field that has a single possible value for its body.
macro_rules! tag {
    ($($(#[$m:meta])* $name:ident = $text:literal;)*) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            #[doc = concat!("`\"", $text, "\"`")]
            #[default]
            #[serde(rename = $text)]
            Is,
        }
    )*};
}

tag! {
    /// `status: "ok"`.
    StatusOk = "ok";
    /// `status: "obstruction"`.
    StatusObstruction = "obstruction";
    /// `status: "error"`.
    StatusError = "error";
}

/// A value printed through `serde_json::Value`: object keys sorted at every
/// depth, as inside the alphabetical-order bodies.
/// Reading takes the keys in any order (and is as strict as `T`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sorted<T>(pub T);

impl<T: Serialize> Serialize for Sorted<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sorted<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Sorted)
    }
}

/// An `Option` field that is always printed (`null` for none): reading
/// requires it (serde would otherwise take a missing one as `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// A body's bytes as every op prints them: pretty JSON (two-space indent)
/// and a final newline.
pub fn to_json<T: Serialize>(body: &T) -> Vec<u8> {
    // Serialising these types cannot fail (string keys, no floats); an empty body would show it if it did.
    let mut out = serde_json::to_vec_pretty(body).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A body's bytes on one line (no spaces, no final newline): how `omega ecs`
/// prints each [`TickReport`] and the JS `World` reads it.
pub fn to_compact_json<T: Serialize>(body: &T) -> Vec<u8> {
    // As in `to_json`: these types cannot fail to serialise.
    serde_json::to_vec(body).unwrap_or_default()
}

// ---------- every op ----------

body! {
    /// The body of every refused request (status 2): the stable code (see
    /// `api::code`), what was wrong, and where when known. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct ErrorBody {
        /// Always `"error"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusError,
        /// The stable error code.
        pub code: u16,
        /// What was wrong, in words.
        pub message: String,
        /// The event's position in the input, when the error is inside one event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub index: Option<usize>,
        /// The field (or repeated JSON key) the error is about, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub field: Option<String>,
    }

    /// Op 0: the version of the kernel.
    #[serde(deny_unknown_fields)]
    pub struct Version {
        /// The crate version, e.g. `0.1.0`.
        pub version: String,
    }
}

// ---------- ops 1, 2 and 14: reconcile ----------

body! {
    /// The last event of one (node, stream) in the history. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct Head {
        /// Node id.
        pub node: u32,
        /// Stream id.
        pub stream: u16,
        /// Its sequence number.
        pub seq: u64,
        /// Its event id (28 lowercase hex characters).
        pub id: String,
        /// Its canonical key (56 lowercase hex characters).
        pub key: String,
        /// Its RFC 6962 leaf hash (64 lowercase hex characters).
        pub leaf_hash: String,
    }

    /// Ops 1, 2 and 14, status 0: the batch extends the history. The body is
    /// also a valid prior state for the next batch. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct ReconcileOk {
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// Events in the history after the batch.
        pub tree_size: u64,
        /// RFC 6962 Merkle root of the history.
        pub root: String,
        /// SHA-256 of the reconcile state.
        pub state_hash: String,
        /// The greatest canonical key so far, or `null` for the empty history.
        #[serde(deserialize_with = "nullable")]
        pub frontier: Option<String>,
        /// Events in the prior history.
        pub prior_tree_size: u64,
        /// The prior root.
        pub prior_root: String,
        /// The prior state hash.
        pub prior_state_hash: String,
        /// Events the batch added.
        pub appended: u64,
        /// Events of the batch already in the history (or twice in the batch).
        pub duplicates: u64,
        /// The last event of every (node, stream).
        pub heads: Vec<Head>,
        /// The peaks of the compact range (one hash per set bit of `tree_size`).
        pub compact_range: Vec<String>,
        /// RFC 9162 consistency proof from the prior tree to this one.
        pub consistency: Vec<String>,
    }

    /// One event named by a violation. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct Evidence {
        /// Its canonical key.
        pub key: String,
        /// Its sequence number.
        pub seq: u64,
        /// Its leaf hash.
        pub leaf_hash: String,
        /// SHA-256 of its payload, or `null` when the event is known only by its leaf (a prior head).
        #[serde(deserialize_with = "nullable")]
        pub payload_sha256: Option<String>,
    }

    /// One reason a batch obstructs. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct Violation {
        /// The violation's code (1001, 1002, 2001, ...).
        pub code: u16,
        /// Its name (`gap`, `order`, `stale`, `missing`, ...).
        pub reason: String,
        /// What it means, in words.
        pub message: String,
        /// The events involved.
        pub events: Vec<Evidence>,
        /// The dependency (event id) at fault, for dependency violations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub dep: Option<String>,
        /// The sequence number that was expected, for a gap.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub expected_seq: Option<u64>,
        /// The prior frontier, for an event that does not sort after it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub frontier: Option<String>,
    }

    /// Ops 1, 2 and 14, status 1: the batch obstructs; the history is
    /// unchanged. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct ReconcileObstruction {
        /// Always `"obstruction"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusObstruction,
        /// Events in the (unchanged) history.
        pub prior_tree_size: u64,
        /// Its root.
        pub prior_root: String,
        /// Its state hash.
        pub prior_state_hash: String,
        /// Events of the batch already in the history.
        pub duplicates: u64,
        /// SHA-256 of the canonical evidence (what an obstruction certificate commits to).
        pub evidence_hash: String,
        /// Every violation, in canonical order.
        pub violations: Vec<Violation>,
    }

    /// What a reconcile answers: `ReconcileOk` or `ReconcileObstruction`
    /// (told apart by `status`).
    #[serde(untagged)]
    pub enum ReconcileResult {
        /// The batch extends the history.
        Ok(ReconcileOk),
        /// The batch obstructs.
        Obstruction(ReconcileObstruction),
    }
}

// ---------- ops 3 to 8: keys and certificates ----------

body! {
    /// Op 3: a key pair. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct Keypair {
        /// The key id (8 lowercase hex digits).
        pub key_id: String,
        /// The key name.
        pub name: String,
        /// The C2SP signer key (`PRIVATE+KEY+name+id+...`): keep it secret.
        pub signer_key: String,
        /// The C2SP verifier key (`name+id+...`): give it to committees.
        pub verifier_key: String,
    }
}

/// What a certificate attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CertKind {
    /// The history reconciled cleanly to this tree and state.
    State,
    /// A batch obstructed: the history is unchanged and the evidence is committed.
    Obstruction,
    /// After tick `tick` of the ECS world driven by this history, the world hash is the state hash.
    Ecs,
}

impl From<crate::certify::cert::Kind> for CertKind {
    fn from(k: crate::certify::cert::Kind) -> Self {
        use crate::certify::cert::Kind;
        match k {
            Kind::State => CertKind::State,
            Kind::Obstruction => CertKind::Obstruction,
            Kind::Ecs => CertKind::Ecs,
        }
    }
}

body! {
    /// Ops 4 and 5: a certificate and what it attests. Declared order. (The
    /// JS API's `certify` and `cosign` give `certificate` as bytes:
    /// `CertificateResult`.)
    #[serde(deny_unknown_fields)]
    pub struct CertificateReport {
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// SHA-256 of the checkpoint text: the certificate's identity.
        pub hash: String,
        /// What it attests.
        pub kind: CertKind,
        /// The log it belongs to.
        pub origin: String,
        /// Events in the history.
        pub tree_size: u64,
        /// The Merkle root.
        pub root: String,
        /// The state hash (of the reconcile state, or of the world for kind `ecs`).
        pub state_hash: String,
        /// Position in its chain (0 for genesis).
        pub height: u64,
        /// Hash of the previous certificate, or `null` for genesis.
        #[serde(deserialize_with = "nullable")]
        pub prev: Option<String>,
        /// Hash of the committee expected to sign, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub committee: Option<String>,
        /// Kind obstruction: SHA-256 of the evidence.
        #[serde(deserialize_with = "nullable")]
        pub evidence: Option<String>,
        /// Kind ecs: the world tick attested.
        #[serde(deserialize_with = "nullable")]
        pub tick: Option<u64>,
        /// The world line, when the checkpoint has one (`omega node --ecs`):
        /// the world's tick and state hash after the batch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub world: Option<EcsCheckpoint>,
        /// The key names of its signature lines, in order.
        pub signers: Vec<String>,
        /// The binary certificate (OMGC), in standard base64.
        pub certificate: String,
    }
}

/// What became of one signature line under a committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SigStatus {
    /// A member's first verifying line: it counts.
    Valid,
    /// A line with a member's name and key id that does not verify: never counted.
    BadSignature,
    /// Not a committee member: ignored.
    UnknownKey,
    /// A later verifying line of a member already counted: counted once.
    Duplicate,
}

impl From<crate::certify::cert::SigStatus> for SigStatus {
    fn from(s: crate::certify::cert::SigStatus) -> Self {
        use crate::certify::cert::SigStatus as S;
        match s {
            S::Valid => SigStatus::Valid,
            S::BadSignature => SigStatus::BadSignature,
            S::UnknownKey => SigStatus::UnknownKey,
            S::Duplicate => SigStatus::Duplicate,
        }
    }
}

/// Op 29's status 1: tiles are still needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The body lists the tiles.
    Need,
}

/// Valid or not: a certificate, a chain, a proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// It holds.
    Valid,
    /// It does not; the problems say why.
    Invalid,
}

impl From<bool> for Validity {
    fn from(valid: bool) -> Self {
        if valid { Validity::Valid } else { Validity::Invalid }
    }
}

body! {
    /// One problem: its stable code and what it means. Alphabetical (and declared) order.
    #[serde(deny_unknown_fields)]
    pub struct Problem {
        /// The stable code.
        pub code: u16,
        /// In words.
        pub message: String,
    }

    /// One signature line of a certificate, judged. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct SignatureCheck {
        /// The key id on the line (8 lowercase hex digits).
        pub key_id: String,
        /// The key name on the line.
        pub name: String,
        /// What became of it. A member counts once if any of its lines verifies.
        pub status: SigStatus,
    }

    /// One certificate of a chain. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct ChainLink {
        /// Its certificate hash.
        pub hash: String,
        /// Its height.
        pub height: u64,
        /// Whether it is valid on its own.
        pub valid: bool,
    }

    /// A chain back to genesis, judged. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct ChainReport {
        /// Every certificate, by height.
        pub links: Vec<ChainLink>,
        /// What is wrong with the chain (gaps, forks, broken links, proofs).
        pub problems: Vec<Problem>,
        /// Valid when every link is and they form one chain.
        pub status: Validity,
    }

    /// Op 6 (status 0 valid, 1 invalid): a certificate judged against a
    /// committee, and with a chain the chain. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct VerifyReport {
        /// With a chain: the chain's report.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub chain: Option<ChainReport>,
        /// Hash of the committee it was judged against.
        pub committee: String,
        /// The certificate's hash.
        pub hash: String,
        /// Its height.
        pub height: u64,
        /// What it attests.
        pub kind: CertKind,
        /// Its origin.
        pub origin: String,
        /// Why it is invalid (empty when valid).
        pub problems: Vec<Problem>,
        /// Every signature line, in order.
        pub signatures: Vec<SignatureCheck>,
        /// Valid when the certificate (and the chain, if any) is.
        pub status: Validity,
        /// Distinct member signatures needed.
        pub threshold: u32,
        /// Its tree size.
        pub tree_size: u64,
        /// Distinct member signatures that verify.
        pub valid_signers: u32,
        /// The checkpoint's world line, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub world: Option<EcsCheckpoint>,
    }

    /// Op 7 (status 1 when a committee judges it invalid): a certificate in
    /// words, and with a committee the verdict. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct Explanation {
        /// Every field in words, one per line.
        pub text: String,
        /// With a committee: the verdict.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub verdict: Option<VerifyReport>,
    }

    /// Op 8: the C2SP signed-note text of a certificate.
    #[serde(deny_unknown_fields)]
    pub struct CertificateNote {
        /// The signed note.
        pub note: String,
    }

    /// Op 31: a note with a new signature line. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct SignedNote {
        /// The note with the line appended (the key's earlier lines removed).
        pub note: String,
        /// The new signature line alone, ending in a newline (what a C2SP witness returns).
        pub signature: String,
    }
}

/// What the given verifier keys say of one signature line of a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NoteLineStatus {
    /// A given key's line that verifies.
    Valid,
    /// A given key's line that does not verify: the note is invalid.
    Invalid,
    /// Not by a given key: ignored.
    UnknownKey,
}

body! {
    /// One signature line of a note, judged. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct NoteLineCheck {
        /// The key name on the line.
        pub name: String,
        /// The key id on the line (8 lowercase hex digits).
        pub key_id: String,
        /// What the given keys say of it.
        pub status: NoteLineStatus,
        /// A valid witness cosignature's POSIX timestamp (C2SP cosignature/v1, key type 0x04).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<u64>,
    }

    /// Op 22 (status 0 valid, 1 invalid): any C2SP signed note checked
    /// against verifier keys, as Go's `note.Open` does. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct NoteVerdict {
        /// Valid when a given key signed the note and no line by a given key fails.
        pub status: Validity,
        /// The signed text.
        pub text: String,
        /// The names of the given keys whose signature verifies, in the order given.
        pub verified_by: Vec<String>,
        /// Every signature line, in order.
        pub signatures: Vec<NoteLineCheck>,
    }
}

/// What a policy's witness's lines in a checkpoint say (op 30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CosignatureStatus {
    /// A cosignature by the witness verifies: it counts.
    Valid,
    /// Lines by the witness exist and none verifies: reported, never counted.
    Invalid,
    /// No line by the witness.
    Missing,
}

body! {
    /// One witness of a policy, judged on a checkpoint (op 30). Declared order.
    #[serde(deny_unknown_fields)]
    pub struct PolicyWitness {
        /// Its name in the policy.
        pub name: String,
        /// Its verifier key (type 0x04).
        pub key: String,
        /// What its lines say.
        pub status: CosignatureStatus,
        /// The valid cosignature's POSIX timestamp (reported, not judged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<u64>,
    }

    /// One group of a policy, judged on a checkpoint (op 30). Declared order.
    #[serde(deny_unknown_fields)]
    pub struct PolicyGroup {
        /// Its name in the policy.
        pub name: String,
        /// k: members that must have witnessed.
        pub threshold: u64,
        /// n: its members.
        pub members: u64,
        /// Members that witnessed.
        pub witnessed: u64,
        /// Whether at least k did.
        pub met: bool,
    }

    /// Op 30 (status 0 valid, 1 invalid): a C2SP checkpoint judged under a
    /// C2SP tlog-policy. Valid when a listed log with the checkpoint's
    /// origin signed it (any log, when the policy lists none) and the
    /// quorum witnessed it. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct PolicyVerdict {
        /// Valid or invalid.
        pub status: Validity,
        /// The checkpoint's origin line.
        pub origin: String,
        /// Its tree size.
        pub tree_size: u64,
        /// Its root hash (64 lowercase hex characters).
        pub root: String,
        /// The verifier key of the listed log whose signature verifies; null when none did.
        #[serde(deserialize_with = "nullable")]
        pub log: Option<String>,
        /// Logs the policy lists (0: any log is accepted).
        pub logs: u64,
        /// Every witness, in policy order.
        pub witnesses: Vec<PolicyWitness>,
        /// Every group, in policy order.
        pub groups: Vec<PolicyGroup>,
        /// The quorum's name (`none`: no cosignature needed).
        pub quorum: String,
        /// Whether the quorum witnessed the checkpoint.
        pub quorum_met: bool,
        /// Why it is invalid, and any witness line that does not verify, in words.
        pub problems: Vec<String>,
    }
}

// ---------- ops 9 to 12 and 21: proofs ----------

body! {
    /// Op 9: an RFC 9162 inclusion proof (also the input of op 11). Declared order.
    #[serde(deny_unknown_fields)]
    pub struct InclusionProof {
        /// The leaf's index.
        pub leaf_index: u64,
        /// Leaves in the tree.
        pub tree_size: u64,
        /// The leaf hash.
        pub leaf_hash: String,
        /// The audit path.
        pub proof: Vec<String>,
        /// The tree's root.
        pub root: String,
    }

    /// Op 10: an RFC 9162 consistency proof (also the input of op 12). Declared order.
    #[serde(deny_unknown_fields)]
    pub struct ConsistencyProof {
        /// Leaves in the old tree.
        pub old_size: u64,
        /// Leaves in the new tree.
        pub new_size: u64,
        /// The old root.
        pub old_root: String,
        /// The new root.
        pub new_root: String,
        /// The proof hashes.
        pub proof: Vec<String>,
    }

    /// Ops 11 and 12 (status 0 valid, 1 invalid): a proof checked. A proof
    /// that does not verify is reported here (code 3401, 3402 or 3403);
    /// malformed proof JSON is an error. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct ProofVerdict {
        /// Invalid only: the stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub code: Option<u16>,
        /// Invalid only: why, in words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub reason: Option<String>,
        /// Valid or invalid.
        pub status: Validity,
    }

    /// Op 29, status 1: the tiles given do not cover the proof; every tile
    /// still needed, so a client fetches them all at once and asks again.
    /// Declared order.
    #[serde(deny_unknown_fields)]
    pub struct TilesNeeded {
        /// Always `need`.
        pub status: Need,
        /// The C2SP paths (`tile/<L>/<N>[.p/<W>]`) of the tiles still needed, sorted by level, then index.
        pub tiles: Vec<String>,
    }

    /// Op 21: the RFC 6962 root of leaf hashes given as they are. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct MerkleRoot {
        /// The root (64 lowercase hex characters).
        pub root: String,
        /// Leaves given.
        pub tree_size: u64,
    }
}

// ---------- ops 13 and 15 to 18: logs, snapshots, replay, bundles ----------

/// Whether a scanned log is whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// Every frame is valid.
    Clean,
    /// A frame is bad; `valid_bytes` is the valid prefix.
    Damaged,
}

body! {
    /// What follows the first bad frame of a damaged log. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct AfterDamage {
        /// Intact frames after the first bad one: 0 means the damage is a tail that `--repair` may cut.
        pub intact_frames: u64,
        /// Damaged bytes from the first bad frame on.
        pub damaged_bytes: u64,
    }

    /// Op 13 (status 0 clean, 1 damaged): a framed log scanned. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct IngestReport {
        /// Clean or damaged.
        pub status: IngestStatus,
        /// Valid frames.
        pub frames: u64,
        /// Events in them.
        pub events: u64,
        /// The log's size.
        pub bytes: u64,
        /// Length of the valid prefix.
        pub valid_bytes: u64,
        /// Offset of the first bad frame, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub first_bad_offset: Option<u64>,
        /// The first problem, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub error: Option<Problem>,
        /// Only for a damaged log with a good header: what follows the first bad frame.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub after_damage: Option<AfterDamage>,
    }

    /// Op 15: a snapshot of a state. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct SnapshotReport {
        /// SHA-256 of the snapshot bytes.
        pub hash: String,
        /// The state's root.
        pub root: String,
        /// The snapshot (OMSN), in standard base64.
        pub snapshot: String,
        /// The state hash.
        pub state_hash: String,
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// The state's tree size.
        pub tree_size: u64,
        /// The ECS world the snapshot holds: its tick and state hash (absent when it holds none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub world: Option<EcsCheckpoint>,
    }
}

/// How a replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReplayStatus {
    /// No certificate was given: the result is reported.
    Replayed,
    /// The result is what the certificate attests.
    Match,
    /// It is not (status 1); `first_divergence` says where.
    Diverged,
}

body! {
    /// The first field where a replay and its certificate disagree. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct Divergence {
        /// What the certificate says.
        pub certified: String,
        /// The field: `kind`, `tree_size`, `root`, `state_hash`, `evidence`,
        /// `world` (the checkpoint's world line, "TICK HASH") or `tick` (kind `ecs`).
        pub field: String,
        /// What the replay gave.
        pub replayed: String,
    }

    /// Op 16 (status 1 when diverged): a log replayed on a snapshot, checked
    /// against a certificate. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct ReplayReport {
        /// With more than one certificate: each batch, in order, to the
        /// first that diverges (absent otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub batches: Option<Vec<ReplayBatch>>,
        /// The certificate's hash (the last checked, with a chain), or `null` without one.
        #[serde(deserialize_with = "nullable")]
        pub certificate: Option<String>,
        /// Events replayed.
        pub events: u64,
        /// The obstruction's evidence hash, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub evidence_hash: Option<String>,
        /// Where the replay and the certificate first disagree, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub first_divergence: Option<Divergence>,
        /// What the replay gave: `state` or `obstruction`.
        pub kind: CertKind,
        /// The resulting root.
        pub root: String,
        /// The resulting state hash.
        pub state_hash: String,
        /// Replayed, match or diverged.
        pub status: ReplayStatus,
        /// The resulting tree size.
        pub tree_size: u64,
        /// The replayed ECS world after the last batch: its tick and state
        /// hash (absent when no world was replayed: the snapshot holds none,
        /// and no certificate has a world line or is of kind `ecs`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub world: Option<EcsCheckpoint>,
        /// Where the replayed world first departs from the reference world,
        /// or from itself without the injection (absent when neither was given).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub world_departure: Option<WorldDeparture>,
    }

    /// One batch of a replay checked against a chain of certificates (op 16
    /// with more than one): the log's events up to the certificate's tree
    /// size (the last takes the rest of the log). Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct ReplayBatch {
        /// The certificate's hash.
        pub certificate: String,
        /// Log events in the batch.
        pub events: u64,
        /// Where the batch and its certificate first disagree, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub first_divergence: Option<Divergence>,
        /// What the batch gave: `state`, `obstruction`, or `ecs` for a kind-ecs certificate.
        pub kind: CertKind,
        /// The root after the batch.
        pub root: String,
        /// The state hash after the batch (the world hash for kind `ecs`).
        pub state_hash: String,
        /// Match or diverged.
        pub status: ReplayStatus,
        /// The tree size after the batch.
        pub tree_size: u64,
        /// The world after the batch (tick, hash), or `null` when none is replayed.
        #[serde(deserialize_with = "nullable")]
        pub world: Option<EcsCheckpoint>,
    }

    /// Where the replayed world departs (op 16 with a reference world or an
    /// injection). Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct WorldDeparture {
        /// `reference` (the world given) or `uninjected` (the replayed world without the flip).
        pub against: String,
        /// The first difference, or `null` when they agree to the end.
        #[serde(deserialize_with = "nullable")]
        pub difference: Option<WorldDifference>,
    }

    /// The first tick, entity and component where two worlds part. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct WorldDifference {
        /// The component, in op 20's names (or a global field of `world`).
        pub component: String,
        /// `index:generation`, or `world`.
        pub entity: String,
        /// Its values in the reference.
        pub reference: Vec<String>,
        /// `start` (the start worlds differ), `inputs` (the tick's inputs:
        /// an injected flip) or `systems` (the tick's systems).
        pub stage: String,
        /// The tick.
        pub tick: u64,
        /// Its values in the replayed world.
        pub world: Vec<String>,
    }

    /// Op 17: a crash bundle of a batch that obstructs. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct BundleReport {
        /// The bundle (OMCB), in standard base64.
        pub bundle: String,
        /// The obstruction's evidence hash.
        pub evidence_hash: String,
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// How many violations.
        pub violations: u64,
    }

    /// Op 18 (status 1 when not reproduced): a crash bundle reconciled
    /// again. Alphabetical order, `result` included.
    #[serde(deny_unknown_fields)]
    pub struct BundleExplanation {
        /// Events in the bundled batch.
        pub events: u64,
        /// The bundled prior's state hash.
        pub prior_state_hash: String,
        /// The bundled prior's tree size.
        pub prior_tree_size: u64,
        /// SHA-256 of the evidence recorded in the bundle.
        pub recorded_evidence_hash: String,
        /// Whether reconciling again gives the recorded evidence.
        pub reproduced: bool,
        /// What reconciling again gives (its keys sorted).
        #[cfg_attr(feature = "ts", ts(as = "ReconcileResult"))]
        pub result: Sorted<ReconcileResult>,
    }
}

// ---------- ops 19 and 20: the ECS world ----------

/// What a tick decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "UPPERCASE")]
pub enum Decision {
    /// threat ≥ 0.85.
    Quarantine,
    /// threat ≥ 0.60.
    Alert,
    /// the mean control error is above 0.25.
    Balance,
    /// otherwise.
    Optimize,
}

impl From<crate::ecs::Decision> for Decision {
    fn from(d: crate::ecs::Decision) -> Self {
        use crate::ecs::Decision as D;
        match d {
            D::Quarantine => Decision::Quarantine,
            D::Alert => Decision::Alert,
            D::Balance => Decision::Balance,
            D::Optimize => Decision::Optimize,
        }
    }
}

body! {
    /// A safety alert raised (and clamped) in a tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct TickAlert {
        /// The entity, `index:generation`.
        pub entity: String,
        /// What was clamped.
        #[cfg_attr(feature = "ts", ts(type = "\"energy\" | \"amplitude\""))]
        pub kind: String,
        /// The value before clamping (exact decimal).
        pub value: String,
    }

    /// An entity that moved to another node in a tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct TickMigration {
        /// The entity, `index:generation`.
        pub entity: String,
        /// From node.
        pub from: u32,
        /// To node.
        pub to: u32,
    }

    /// The arbiter's plan in a tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct TickPlan {
        /// `hold`, `repair` (urgency ≥ 0.1) or `optimize` (gain ≥ 0.1).
        #[cfg_attr(feature = "ts", ts(type = "\"hold\" | \"repair\" | \"optimize\""))]
        pub action: String,
        /// Expected gain of optimising: (1 − coherence) · (1 − min(1, mean |error|)).
        pub gain: String,
        /// Repair urgency: the share of live entities a safety clamp hit.
        pub urgency: String,
    }

    /// The Lyapunov candidate of the PIDs in a tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct TickLyapunov {
        /// ΔV against the tick before (0 on a world's first tick).
        pub dv: String,
        /// `pid_stable`: ΔV < 0, or V ≤ 1e-4 (at rest).
        pub stable: bool,
        /// V: mean over live entities of error² / 2.
        pub v: String,
    }

    /// A command refused in a tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct TickRejection {
        /// The command's position among the tick's commands.
        pub index: u64,
        /// Why.
        pub reason: String,
    }

    /// One tick of the ECS world: fixed-point values as exact decimal
    /// strings. Declared order (as the JS `World` and `omega ecs` print it;
    /// op 19 prints it sorted).
    #[serde(deny_unknown_fields)]
    pub struct TickReport {
        /// The tick number (1 for the first step).
        pub tick: u64,
        /// SHA-256 of the world after the tick.
        pub state_hash: String,
        /// What the tick decided.
        pub decision: Decision,
        /// What the arbiter plans, against REPAIR 0.1 and OPT_GAIN 0.1.
        pub plan: TickPlan,
        /// The PIDs' Lyapunov candidate V, ΔV and `pid_stable`.
        pub lyapunov: TickLyapunov,
        /// The global signals.
        pub threat: String,
        /// Entropy.
        pub entropy: String,
        /// Coherence.
        pub coherence: String,
        /// Resonance.
        pub resonance: String,
        /// Stability.
        pub stability: String,
        /// Pulse.
        pub pulse: String,
        /// The four control weights.
        pub weights: [String; 4],
        /// Alerts raised.
        pub alerts: Vec<TickAlert>,
        /// Entities that moved.
        pub migrations: Vec<TickMigration>,
        /// Commands refused.
        pub rejected: Vec<TickRejection>,
        /// Operations that saturated.
        pub saturations: u64,
        /// Live entities after the tick.
        pub entities: u32,
        /// Edges after the tick.
        pub edges: u32,
    }

    /// The world's state hash at a checkpoint tick. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct EcsCheckpoint {
        /// The world hash after the tick.
        pub state_hash: String,
        /// The tick.
        pub tick: u64,
    }

    /// The event history a run is driven by. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct EcsHistory {
        /// Its root.
        pub root: String,
        /// Its reconcile state hash (absent for the empty history).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub state_hash: Option<String>,
        /// Its events.
        pub tree_size: u64,
    }

    /// An event whose payload is not a command. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct Undecodable {
        /// The event's canonical key.
        pub key: String,
        /// Why.
        pub reason: String,
    }

    /// Op 19: the ECS world run for some ticks. Alphabetical order, the
    /// reports included.
    #[serde(deny_unknown_fields)]
    pub struct EcsRunReport {
        /// Checkpoint hashes along the run.
        pub checkpoints: Vec<EcsCheckpoint>,
        /// SHA-256 over every tick's state hash.
        pub digest: String,
        /// The last tick run.
        pub end_tick: u64,
        /// The history the commands came from.
        pub history: EcsHistory,
        /// Mode `reports` (the default): every tick's report.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(as = "Option<Vec<TickReport>>", optional))]
        pub reports: Option<Vec<Sorted<TickReport>>>,
        /// Mode `snapshot`: the world after the run (OMGW), in standard base64.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub snapshot: Option<String>,
        /// The tick the run started from.
        pub start_tick: u64,
        /// The world hash at the end.
        pub state_hash: String,
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// Events whose payload is not a command.
        pub undecodable: Vec<Undecodable>,
    }

    /// A world command a batch did not apply (op 26). Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct LateCommand {
        /// The event's canonical key.
        pub key: String,
        /// The tick the command names.
        pub tick: u64,
    }

    /// Op 26: a world stepped through one batch. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct EcsBatchReport {
        /// The world's tick after the batch (at least one more than before).
        pub end_tick: u64,
        /// Commands naming a tick already past, never applied.
        pub late: Vec<LateCommand>,
        /// Events whose payload is not a world command.
        pub plain: u64,
        /// Scheduled commands the world refused at their tick.
        pub refused: u64,
        /// Commands scheduled.
        pub scheduled: u64,
        /// The world's tick before the batch.
        pub start_tick: u64,
        /// The world hash after the batch: what the checkpoint's `omega-world` line attests.
        pub state_hash: String,
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
        /// Commands naming a tick more than 1,000 past the start, never applied.
        pub too_far: Vec<LateCommand>,
        /// The world after the batch (OMGW), in standard base64: the next batch's `world`.
        pub world: String,
    }

    /// Op 27: a seal body as every cluster member reads it. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct SealReport {
        /// Whether the body was the canonical text (else n is 0 and horizon and delay the defaults).
        pub canonical: bool,
        /// Seals every event is held before it may be appended.
        pub delay: u32,
        /// Seals an event may wait before it is given up.
        pub horizon: u32,
        /// The seal's number.
        pub n: u64,
        /// Always `"ok"`.
        #[cfg_attr(feature = "ts", ts(inline))]
        pub status: StatusOk,
    }

    /// Op 28 (status 0 when every signature verifies, else 1): raw Ed25519
    /// signatures checked by omega's strict rules. Declared order.
    #[serde(deny_unknown_fields)]
    pub struct Ed25519Report {
        /// Signatures checked.
        pub checked: u64,
        /// How many verified.
        pub valid: u64,
        /// Per signature, in the order given: `"valid"`, or the first rule it
        /// breaks (`key_length`, `key_not_on_curve`, `key_not_canonical`,
        /// `key_small_order`, `key_torsion`, `sig_length`, `s_not_canonical`,
        /// `r_not_on_curve`, `r_not_canonical`, `r_small_order`, `r_torsion`,
        /// `equation`).
        pub results: Vec<String>,
    }

    /// Where two worlds first differ. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct Difference {
        /// The value(s) in world A (exact decimals).
        pub a: Vec<String>,
        /// The value(s) in world B.
        pub b: Vec<String>,
        /// The component (or world field).
        pub component: String,
        /// The entity, or `world`.
        pub entity: String,
    }

    /// Op 20 (status 0 same, 1 different): two world snapshots compared. Alphabetical order.
    #[serde(deny_unknown_fields)]
    pub struct EcsDiff {
        /// The first difference, or `null`.
        #[serde(deserialize_with = "nullable")]
        pub first_difference: Option<Difference>,
        /// Whether the worlds are the same.
        pub same: bool,
        /// World A's tick.
        pub tick_a: u64,
        /// World B's tick.
        pub tick_b: u64,
    }
}

// ---------- ops 23 to 25: the cluster ----------

/// What a batch cut decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CutStatus {
    /// The batch extends the history (`result` is the ok result).
    Ok,
    /// The batch obstructs (`result` is the obstruction); its events are dropped.
    Obstruction,
    /// Nothing to cut at this seal: no result, the state is unchanged.
    Empty,
}

impl From<crate::api::cut::CutStatus> for CutStatus {
    fn from(s: crate::api::cut::CutStatus) -> Self {
        use crate::api::cut::CutStatus as S;
        match s {
            S::Ok => CutStatus::Ok,
            S::Obstruction => CutStatus::Obstruction,
            S::Empty => CutStatus::Empty,
        }
    }
}

/// Whether two certificates prove that a member signed two checkpoints at one height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FraudStatus {
    /// Same origin and height, different checkpoints, a member's valid signature on both.
    Proven,
    /// Not a proof; `reason` says why.
    NotProven,
}

body! {
    /// Op 23 (status 0 ok or empty, 1 obstruction): one batch cut at a seal.
    /// Declared order.
    #[serde(deny_unknown_fields)]
    pub struct CutReport {
        /// What the cut decided.
        pub status: CutStatus,
        /// Events in the batch.
        pub batch: u64,
        /// Carried events that wait for a predecessor or a dependency.
        pub waiting: u64,
        /// Carried events that are ready but not cut (at or above the watermark, or behind an obstruction).
        pub held: u64,
        /// Events given up after waiting `horizon` seals (in the batch).
        pub expired: u64,
        /// Events rejected at once: equivocation, stale, a prior head's id, at or before the frontier (in the batch).
        pub rejected: u64,
        /// Inputs dropped as byte-identical copies (of each other or of a prior head).
        pub duplicates: u64,
        /// Exactly what op 2 prints for reconcile(prior, batch); `null` when empty.
        #[serde(deserialize_with = "nullable")]
        pub result: Option<ReconcileResult>,
        /// The batch's events, canonical binary in canonical order, standard base64.
        pub events: String,
        /// What the next cut takes as its carry (OMGP), standard base64.
        pub carry: String,
    }

    /// Op 25 (status 0 proven, 1 not proven): two certificates checked as a
    /// proof that a committee member signed two checkpoints at one height.
    /// Declared order.
    #[serde(deny_unknown_fields)]
    pub struct FraudReport {
        /// Proven or not.
        pub status: FraudStatus,
        /// Certificate A's height.
        pub height: u64,
        /// Certificate A's origin.
        pub origin: String,
        /// Certificate A's checkpoint hash.
        pub a: String,
        /// Certificate B's checkpoint hash.
        pub b: String,
        /// The verifier keys of the members with a valid signature on both, sorted.
        pub signers: Vec<String>,
        /// Why it is not a proof, or `null` when proven.
        #[serde(deserialize_with = "nullable")]
        pub reason: Option<String>,
    }
}

// ---------- from the kernel's values ----------

impl ErrorBody {
    /// An error body with no index or field.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ErrorBody { status: StatusError::Is, code, message: message.into(), index: None, field: None }
    }
}

impl From<&crate::reconcile::state::Head> for Head {
    fn from(h: &crate::reconcile::state::Head) -> Self {
        Head {
            node: h.node,
            stream: h.stream,
            seq: h.seq,
            id: h.id().to_hex(),
            key: h.key.to_hex(),
            leaf_hash: crate::hex::encode(&h.leaf_hash),
        }
    }
}

impl From<&crate::reconcile::Summary> for ReconcileOk {
    fn from(s: &crate::reconcile::Summary) -> Self {
        use crate::hex::encode;
        ReconcileOk {
            status: StatusOk::Is,
            tree_size: s.state.tree_size(),
            root: encode(&s.state.root()),
            state_hash: encode(&s.state_hash),
            frontier: s.state.frontier().map(|k| k.to_hex()),
            prior_tree_size: s.prior_tree_size,
            prior_root: encode(&s.prior_root),
            prior_state_hash: encode(&s.prior_state_hash),
            appended: s.appended,
            duplicates: s.duplicates,
            heads: s.state.heads().iter().map(Head::from).collect(),
            compact_range: s.state.range().peaks().iter().map(|p| encode(p)).collect(),
            consistency: s.consistency.iter().map(|p| encode(p)).collect(),
        }
    }
}

impl From<&crate::reconcile::Evidence> for Evidence {
    fn from(e: &crate::reconcile::Evidence) -> Self {
        Evidence {
            key: e.key.to_hex(),
            seq: e.seq,
            leaf_hash: crate::hex::encode(&e.leaf_hash),
            payload_sha256: e.payload_sha256.as_ref().map(|h| crate::hex::encode(h)),
        }
    }
}

impl From<&crate::reconcile::Violation> for Violation {
    fn from(v: &crate::reconcile::Violation) -> Self {
        Violation {
            code: v.code,
            reason: String::from(v.reason.as_str()),
            message: crate::api::json::violation_message(v),
            events: v.events.iter().map(Evidence::from).collect(),
            dep: v.dep.map(|d| d.to_hex()),
            expected_seq: v.expected_seq,
            frontier: v.frontier.map(|k| k.to_hex()),
        }
    }
}

impl From<&crate::reconcile::Obstruction> for ReconcileObstruction {
    fn from(o: &crate::reconcile::Obstruction) -> Self {
        use crate::hex::encode;
        ReconcileObstruction {
            status: StatusObstruction::Is,
            prior_tree_size: o.prior_tree_size,
            prior_root: encode(&o.prior_root),
            prior_state_hash: encode(&o.prior_state_hash),
            duplicates: o.duplicates,
            evidence_hash: encode(&o.evidence_hash),
            violations: o.violations.iter().map(Violation::from).collect(),
        }
    }
}

impl From<&crate::reconcile::Outcome> for ReconcileResult {
    fn from(o: &crate::reconcile::Outcome) -> Self {
        match o {
            crate::reconcile::Outcome::Ok(s) => ReconcileResult::Ok(s.into()),
            crate::reconcile::Outcome::Obstruction(x) => ReconcileResult::Obstruction(x.into()),
        }
    }
}

impl From<&crate::ecs::TickReport> for TickReport {
    fn from(r: &crate::ecs::TickReport) -> Self {
        use alloc::string::ToString;
        let m = &r.metrics;
        TickReport {
            tick: r.tick,
            state_hash: crate::hex::encode(&r.state_hash),
            decision: r.decision.into(),
            plan: TickPlan { action: String::from(r.plan.action.as_str()), gain: r.plan.gain.to_string(), urgency: r.plan.urgency.to_string() },
            lyapunov: TickLyapunov { dv: r.lyapunov.dv.to_string(), stable: r.lyapunov.stable, v: r.lyapunov.v.to_string() },
            threat: m.threat.to_string(),
            entropy: m.entropy.to_string(),
            coherence: m.coherence.to_string(),
            resonance: m.resonance.to_string(),
            stability: m.stability.to_string(),
            pulse: m.pulse.to_string(),
            weights: m.weights.map(|w| w.to_string()),
            alerts: r
                .alerts
                .iter()
                .map(|a| TickAlert { entity: a.entity.to_string(), kind: String::from(a.kind), value: a.value.to_string() })
                .collect(),
            migrations: r.migrations.iter().map(|m| TickMigration { entity: m.entity.to_string(), from: m.from, to: m.to }).collect(),
            rejected: r
                .rejected
                .iter()
                .map(|(i, why)| TickRejection { index: u64::try_from(*i).unwrap_or(u64::MAX), reason: why.clone() })
                .collect(),
            saturations: r.saturations,
            entities: r.entities,
            edges: r.edges,
        }
    }
}

impl From<&crate::event::frame::Report> for IngestReport {
    fn from(r: &crate::event::frame::Report) -> Self {
        use crate::ErrorCode as _;
        use alloc::string::ToString;
        IngestReport {
            status: if r.error.is_none() { IngestStatus::Clean } else { IngestStatus::Damaged },
            frames: r.frames,
            events: r.events,
            bytes: r.bytes,
            valid_bytes: r.valid_bytes,
            first_bad_offset: r.first_bad_offset,
            error: r.error.as_ref().map(|e| Problem { code: e.code(), message: e.to_string() }),
            after_damage: r.after_damage.map(|a| AfterDamage { intact_frames: a.intact_frames, damaged_bytes: a.damaged_bytes }),
        }
    }
}

impl From<&crate::api::ApiError> for ErrorBody {
    fn from(e: &crate::api::ApiError) -> Self {
        ErrorBody { status: StatusError::Is, code: e.code, message: e.message.clone(), index: e.index, field: e.field.clone() }
    }
}

impl From<&crate::certify::cert::Problem> for Problem {
    fn from(p: &crate::certify::cert::Problem) -> Self {
        use crate::ErrorCode as _;
        use alloc::string::ToString;
        Problem { code: p.code(), message: p.to_string() }
    }
}

impl From<&crate::certify::cert::SigCheck> for SignatureCheck {
    fn from(s: &crate::certify::cert::SigCheck) -> Self {
        SignatureCheck { key_id: alloc::format!("{:08x}", s.id), name: s.name.clone(), status: s.status.into() }
    }
}

impl From<&crate::certify::cert::ChainVerdict> for ChainReport {
    fn from(v: &crate::certify::cert::ChainVerdict) -> Self {
        ChainReport {
            links: v
                .links
                .iter()
                .map(|(height, hash, valid)| ChainLink { hash: crate::hex::encode(hash), height: *height, valid: *valid })
                .collect(),
            problems: v.problems.iter().map(Problem::from).collect(),
            status: v.valid.into(),
        }
    }
}

impl VerifyReport {
    /// A certificate's verdict under a committee (no chain: `chain` is
    /// `None` and `status` the certificate's own).
    pub fn new(
        c: &crate::certify::cert::Certificate,
        committee: &crate::certify::cert::Committee,
        v: &crate::certify::cert::Verdict,
    ) -> Self {
        let cp = &c.checkpoint;
        VerifyReport {
            chain: None,
            committee: crate::hex::encode(&committee.hash()),
            hash: crate::hex::encode(&c.hash()),
            height: cp.height,
            kind: cp.kind.into(),
            origin: cp.origin.clone(),
            problems: v.problems.iter().map(Problem::from).collect(),
            signatures: v.checks.iter().map(SignatureCheck::from).collect(),
            status: v.valid.into(),
            threshold: v.threshold,
            tree_size: cp.tree_size,
            valid_signers: v.valid_signers,
            world: cp.world.map(|w| EcsCheckpoint { state_hash: crate::hex::encode(&w.state_hash), tick: w.tick }),
        }
    }
}

/// A certificate as ops 4 and 5 print it; refused when it cannot be
/// encoded (the binary form is part of the body).
impl TryFrom<&crate::certify::cert::Certificate> for CertificateReport {
    type Error = crate::certify::cert::CertError;
    fn try_from(c: &crate::certify::cert::Certificate) -> Result<Self, Self::Error> {
        use crate::hex::encode;
        let cp = &c.checkpoint;
        let bytes = c.encode()?;
        Ok(CertificateReport {
            status: StatusOk::Is,
            hash: encode(&c.hash()),
            kind: cp.kind.into(),
            origin: cp.origin.clone(),
            tree_size: cp.tree_size,
            root: encode(&cp.root),
            state_hash: encode(&cp.state_hash),
            height: cp.height,
            prev: cp.prev.map(|h| encode(&h)),
            committee: cp.committee.map(|h| encode(&h)),
            evidence: cp.evidence.map(|h| encode(&h)),
            tick: cp.tick,
            world: cp.world.map(|w| EcsCheckpoint { state_hash: encode(&w.state_hash), tick: w.tick }),
            signers: c.signatures.iter().map(|s| s.name.clone()).collect(),
            certificate: crate::certify::note::b64(&bytes),
        })
    }
}

impl From<&crate::certify::cert::Certificate> for CertificateNote {
    fn from(c: &crate::certify::cert::Certificate) -> Self {
        CertificateNote { note: c.to_note() }
    }
}

/// A proof checked: valid, or invalid with the proof error's code and words.
impl From<Result<(), crate::tree::ProofError>> for ProofVerdict {
    fn from(r: Result<(), crate::tree::ProofError>) -> Self {
        use crate::ErrorCode as _;
        use alloc::string::ToString;
        match r {
            Ok(()) => ProofVerdict { code: None, reason: None, status: Validity::Valid },
            Err(e) => ProofVerdict { code: Some(e.code()), reason: Some(e.to_string()), status: Validity::Invalid },
        }
    }
}

impl From<&crate::replay::snapshot::Snapshot> for SnapshotReport {
    fn from(s: &crate::replay::snapshot::Snapshot) -> Self {
        use crate::hex::encode;
        SnapshotReport {
            hash: encode(&s.hash()),
            root: encode(&s.state.root()),
            snapshot: crate::certify::note::b64(&s.encode()),
            state_hash: encode(&s.state.state_hash()),
            status: StatusOk::Is,
            tree_size: s.state.tree_size(),
            world: s.world().map(|w| EcsCheckpoint { state_hash: encode(&w.state_hash()), tick: w.tick() }),
        }
    }
}

impl From<&crate::reconcile::state::State> for EcsHistory {
    /// The history a run is driven by, as op 19 reports it.
    fn from(s: &crate::reconcile::state::State) -> Self {
        EcsHistory {
            root: crate::hex::encode(&s.root()),
            state_hash: Some(crate::hex::encode(&s.state_hash())),
            tree_size: s.tree_size(),
        }
    }
}

impl EcsHistory {
    /// The empty history (no events given): its root, no state hash.
    pub fn empty() -> Self {
        EcsHistory { root: crate::hex::encode(&crate::tree::merkle::empty_root()), state_hash: None, tree_size: 0 }
    }
}

// ---------- by op ----------

/// Any response body, by op and status: what [`parse`] reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// Status 2, any op.
    Error(ErrorBody),
    /// Op 0.
    Version(Version),
    /// Ops 1, 2, 14.
    Reconcile(ReconcileResult),
    /// Op 3.
    Keypair(Keypair),
    /// Ops 4, 5, 24.
    Certificate(CertificateReport),
    /// Op 6.
    Verify(VerifyReport),
    /// Op 7.
    Explanation(Explanation),
    /// Op 8.
    Note(CertificateNote),
    /// Op 9.
    InclusionProof(InclusionProof),
    /// Op 10.
    ConsistencyProof(ConsistencyProof),
    /// Ops 11, 12.
    ProofVerdict(ProofVerdict),
    /// Op 13.
    Ingest(IngestReport),
    /// Op 15.
    Snapshot(SnapshotReport),
    /// Op 16.
    Replay(ReplayReport),
    /// Op 17.
    Bundle(BundleReport),
    /// Op 18.
    BundleExplanation(BundleExplanation),
    /// Op 19.
    EcsRun(EcsRunReport),
    /// Op 20.
    EcsDiff(EcsDiff),
    /// Op 21.
    MerkleRoot(MerkleRoot),
    /// Op 22.
    NoteVerdict(NoteVerdict),
    /// Op 23.
    Cut(CutReport),
    /// Op 25.
    Fraud(FraudReport),
    /// Op 26.
    EcsBatch(EcsBatchReport),
    /// Op 27.
    Seal(SealReport),
    /// Op 28.
    Ed25519(Ed25519Report),
    /// Op 29, status 1 (status 0 is an inclusion or a consistency proof).
    TilesNeeded(TilesNeeded),
    /// Op 30.
    PolicyVerdict(PolicyVerdict),
    /// Op 31.
    SignedNote(SignedNote),
}

/// Why [`parse`] refused a body.
#[derive(Debug)]
pub enum ParseError {
    /// No body has this op and status (e.g. status 1 of an op that never obstructs).
    NoSuchBody {
        /// The op.
        op: Op,
        /// The status.
        status: u8,
    },
    /// The body is not the op's type (serde_json's message).
    Json(serde_json::Error),
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ParseError::NoSuchBody { op, status } => write!(f, "{op} has no body with status {status}"),
            ParseError::Json(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for ParseError {}

impl Body {
    /// The body's bytes, as the op prints them ([`to_json`]).
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

/// Reads the body `op` answers with `status` (0 ok, 1 obstruction, 2 error) as its type.
pub fn parse(op: Op, status: u8, body: &[u8]) -> Result<Body, ParseError> {
    fn read<'a, T: Deserialize<'a>>(body: &'a [u8], wrap: fn(T) -> Body) -> Result<Body, ParseError> {
        serde_json::from_slice(body).map(wrap).map_err(ParseError::Json)
    }
    match (op, status) {
        (_, 2) => read(body, Body::Error),
        (Op::Version, 0) => read(body, Body::Version),
        (Op::ReconcileJson | Op::ReconcileBinary | Op::ReconcileLog, 0) => read(body, |r| Body::Reconcile(ReconcileResult::Ok(r))),
        (Op::ReconcileJson | Op::ReconcileBinary | Op::ReconcileLog, 1) => {
            read(body, |r| Body::Reconcile(ReconcileResult::Obstruction(r)))
        }
        (Op::Keygen, 0) => read(body, Body::Keypair),
        (Op::Certify | Op::Cosign | Op::Merge, 0) => read(body, Body::Certificate),
        (Op::Verify, 0 | 1) => read(body, Body::Verify),
        (Op::Explain, 0 | 1) => read(body, Body::Explanation),
        (Op::Note, 0) => read(body, Body::Note),
        (Op::ProveInclusion, 0) => read(body, Body::InclusionProof),
        (Op::ProveConsistency, 0) => read(body, Body::ConsistencyProof),
        (Op::VerifyInclusion | Op::VerifyConsistency, 0 | 1) => read(body, Body::ProofVerdict),
        (Op::Ingest, 0 | 1) => read(body, Body::Ingest),
        (Op::Snapshot, 0) => read(body, Body::Snapshot),
        (Op::Replay, 0 | 1) => read(body, Body::Replay),
        (Op::Bundle, 0) => read(body, Body::Bundle),
        (Op::ExplainBundle, 0 | 1) => read(body, Body::BundleExplanation),
        (Op::EcsRun, 0) => read(body, Body::EcsRun),
        (Op::EcsDiff, 0 | 1) => read(body, Body::EcsDiff),
        (Op::MerkleRoot, 0) => read(body, Body::MerkleRoot),
        (Op::NoteVerify, 0 | 1) => read(body, Body::NoteVerdict),
        (Op::Cut, 0 | 1) => read(body, Body::Cut),
        (Op::Fraud, 0 | 1) => read(body, Body::Fraud),
        (Op::EcsBatch, 0) => read(body, Body::EcsBatch),
        (Op::Seal, 0) => read(body, Body::Seal),
        (Op::Ed25519Verify, 0 | 1) => read(body, Body::Ed25519),
        (Op::ProveTiles, 0) => read(body, Body::InclusionProof).or_else(|_| read(body, Body::ConsistencyProof)),
        (Op::ProveTiles, 1) => read(body, Body::TilesNeeded),
        (Op::PolicyVerify, 0 | 1) => read(body, Body::PolicyVerdict),
        (Op::NoteSign, 0) => read(body, Body::SignedNote),
        _ => Err(ParseError::NoSuchBody { op, status }),
    }
}

// ---------- TypeScript ----------

/// The TypeScript declarations of every response type (ts-rs; `u64` as
/// `number`, as `JSON.parse` gives it), in the order of this module:
/// `wasm/types/omega.d.ts` is this text. Refused (naming them) when a
/// declaration names a type that is not declared here.
#[cfg(feature = "ts")]
pub fn typescript() -> Result<String, String> {
    use alloc::collections::BTreeSet;
    use alloc::format;
    use ts_rs::{Config, TS};

    struct Out {
        cfg: Config,
        text: String,
        names: BTreeSet<String>,
        wanted: BTreeSet<String>,
    }
    impl Out {
        fn add<T: TS + 'static>(&mut self) {
            let decl = T::decl(&self.cfg);
            if let Some(docs) = T::docs() {
                self.text.push_str(&tidy(&docs));
            }
            self.text.push_str("export ");
            self.text.push_str(&tidy(&decl));
            self.text.push_str("\n\n");
            self.names.insert(T::ident(&self.cfg));
            for d in T::dependencies(&self.cfg) {
                self.wanted.insert(d.ts_name);
            }
        }
    }
    /// ts-rs's text laid out for reading: one-line doc comments on one
    /// line, one field per line, indented, no trailing spaces.
    fn tidy(ts: &str) -> String {
        let lines: Vec<&str> = ts.lines().map(str::trim_end).collect();
        let mut out = String::new();
        let mut inside = false;
        let mut i = 0;
        while let Some(line) = lines.get(i).copied() {
            let indent = if inside { "  " } else { "" };
            // `/**`, ` * one line`, ` */` -> `/** one line */`
            if let (true, Some(doc), Some(&" */")) = (line == "/**", lines.get(i + 1).and_then(|l| l.strip_prefix(" * ")), lines.get(i + 2)) {
                out.push_str(&format!("{indent}/** {doc} */\n"));
                i += 3;
                continue;
            }
            if let Some(last) = line.strip_suffix(" };").filter(|_| inside) {
                out.push_str(&format!("{indent}{}\n}};\n", last.trim_start()));
                inside = false;
            } else {
                out.push_str(&format!("{indent}{}\n", if inside { line.trim_start() } else { line }));
                inside |= line.ends_with("= {");
            }
            i += 1;
        }
        out.truncate(out.trim_end().len());
        out.push_str(if ts.ends_with('\n') { "\n" } else { "" });
        out
    }
    let mut out = Out {
        cfg: Config::new().with_large_int("number"),
        text: String::from(
            "// The response bodies of omega's byte ABI (and of the JS API that parses them).\n\
             // Generated from omega-core's `api::response` types by\n\
             // `cargo run -p omega-tests --bin gen-ts`; do not edit.\n\n",
        ),
        names: BTreeSet::new(),
        wanted: BTreeSet::new(),
    };
    out.add::<ErrorBody>();
    out.add::<Version>();
    out.add::<Head>();
    out.add::<ReconcileOk>();
    out.add::<Evidence>();
    out.add::<Violation>();
    out.add::<ReconcileObstruction>();
    out.add::<ReconcileResult>();
    out.add::<Keypair>();
    out.add::<CertKind>();
    out.add::<CertificateReport>();
    out.add::<SigStatus>();
    out.add::<Validity>();
    out.add::<Problem>();
    out.add::<SignatureCheck>();
    out.add::<ChainLink>();
    out.add::<ChainReport>();
    out.add::<VerifyReport>();
    out.add::<Explanation>();
    out.add::<CertificateNote>();
    out.add::<NoteLineStatus>();
    out.add::<NoteLineCheck>();
    out.add::<NoteVerdict>();
    out.add::<SignedNote>();
    out.add::<CosignatureStatus>();
    out.add::<PolicyWitness>();
    out.add::<PolicyGroup>();
    out.add::<PolicyVerdict>();
    out.add::<InclusionProof>();
    out.add::<ConsistencyProof>();
    out.add::<ProofVerdict>();
    out.add::<Need>();
    out.add::<TilesNeeded>();
    out.add::<MerkleRoot>();
    out.add::<IngestStatus>();
    out.add::<AfterDamage>();
    out.add::<IngestReport>();
    out.add::<SnapshotReport>();
    out.add::<ReplayStatus>();
    out.add::<Divergence>();
    out.add::<ReplayReport>();
    out.add::<ReplayBatch>();
    out.add::<TickPlan>();
    out.add::<TickLyapunov>();
    out.add::<WorldDeparture>();
    out.add::<WorldDifference>();
    out.add::<BundleReport>();
    out.add::<BundleExplanation>();
    out.add::<Decision>();
    out.add::<TickAlert>();
    out.add::<TickMigration>();
    out.add::<TickRejection>();
    out.add::<TickReport>();
    out.add::<EcsCheckpoint>();
    out.add::<EcsHistory>();
    out.add::<Undecodable>();
    out.add::<EcsRunReport>();
    out.add::<Difference>();
    out.add::<EcsDiff>();
    out.add::<LateCommand>();
    out.add::<EcsBatchReport>();
    out.add::<SealReport>();
    out.add::<Ed25519Report>();
    out.add::<CutStatus>();
    out.add::<CutReport>();
    out.add::<FraudStatus>();
    out.add::<FraudReport>();
    // Every type a declaration names is declared here too.
    let missing: Vec<&String> = out.wanted.difference(&out.names).collect();
    if !missing.is_empty() {
        return Err(format!("these types are named but not declared; add them to `typescript()`: {missing:?}"));
    }
    let end = out.text.trim_end().len();
    out.text.truncate(end);
    out.text.push('\n');
    Ok(out.text)
}
