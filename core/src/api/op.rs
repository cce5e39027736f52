//! The ops of the byte ABI: one enum, so a new op is a new variant and the
//! compiler points at every `match` that must learn it.
use core::fmt;

/// An op of the byte ABI. The numbers are the wire form (`omega_call(op, ..)`,
/// the JS `abiCall`) and never change meaning once released.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// The version JSON.
    Version = 0,
    /// Reconcile JSON events against a prior.
    ReconcileJson = 1,
    /// Reconcile canonical binary events against a prior.
    ReconcileBinary = 2,
    /// A key pair from a name and a 32-byte seed.
    Keygen = 3,
    /// Certify a reconcile result.
    Certify = 4,
    /// Add a signature to a certificate.
    Cosign = 5,
    /// Verify a certificate (and optionally a chain) against a committee.
    Verify = 6,
    /// Explain a certificate in words.
    Explain = 7,
    /// The signed-note text of a certificate.
    Note = 8,
    /// An inclusion proof over a history.
    ProveInclusion = 9,
    /// A consistency proof over a history.
    ProveConsistency = 10,
    /// Verify an inclusion proof JSON.
    VerifyInclusion = 11,
    /// Verify a consistency proof JSON.
    VerifyConsistency = 12,
    /// Scan a framed log and report.
    Ingest = 13,
    /// Reconcile the events of a clean framed log against a prior.
    ReconcileLog = 14,
    /// A snapshot of a state.
    Snapshot = 15,
    /// Replay a log on a snapshot and check the result against a certificate.
    Replay = 16,
    /// A crash bundle for a batch that obstructs.
    Bundle = 17,
    /// Reproduce and explain a crash bundle.
    ExplainBundle = 18,
    /// Run the ECS world for some ticks.
    EcsRun = 19,
    /// The first difference between two world snapshots.
    EcsDiff = 20,
    /// The RFC 6962 root of leaf hashes given as they are.
    MerkleRoot = 21,
    /// Verify any C2SP signed note against verifier keys.
    NoteVerify = 22,
    /// Cut the next batch at a seal: what is appended, what waits, what is given up.
    Cut = 23,
    /// Merge the signature lines of certificates of one checkpoint.
    Merge = 24,
    /// Check a fraud proof: one member signed two checkpoints at one height.
    Fraud = 25,
    /// Step an ECS world through one batch of events (a cluster node's `--ecs`).
    EcsBatch = 26,
    /// Read a seal message's body (number, horizon, delay) as every cluster member reads it.
    Seal = 27,
    /// Check raw Ed25519 signatures by omega's strict rules, naming why each refused one fails.
    Ed25519Verify = 28,
    /// An RFC 9162 proof from C2SP tiles: which tiles it needs, then the proof.
    ProveTiles = 29,
    /// A C2SP checkpoint judged under a C2SP tlog-policy (log key and k-of-n witnesses).
    PolicyVerify = 30,
    /// Any C2SP note (or bare text) signed by a key: a witness cosigns any log's checkpoint.
    NoteSign = 31,
}

impl Op {
    /// Every op, in wire order.
    pub const ALL: [Op; 32] = [
        Op::Version,
        Op::ReconcileJson,
        Op::ReconcileBinary,
        Op::Keygen,
        Op::Certify,
        Op::Cosign,
        Op::Verify,
        Op::Explain,
        Op::Note,
        Op::ProveInclusion,
        Op::ProveConsistency,
        Op::VerifyInclusion,
        Op::VerifyConsistency,
        Op::Ingest,
        Op::ReconcileLog,
        Op::Snapshot,
        Op::Replay,
        Op::Bundle,
        Op::ExplainBundle,
        Op::EcsRun,
        Op::EcsDiff,
        Op::MerkleRoot,
        Op::NoteVerify,
        Op::Cut,
        Op::Merge,
        Op::Fraud,
        Op::EcsBatch,
        Op::Seal,
        Op::Ed25519Verify,
        Op::ProveTiles,
        Op::PolicyVerify,
        Op::NoteSign,
    ];

    /// The highest op number this build knows.
    pub const LAST: u32 = Op::NoteSign as u32;

    /// The wire number.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The op's name, as docs/FORMATS.md's op table spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Version => "version",
            Op::ReconcileJson => "reconcile json",
            Op::ReconcileBinary => "reconcile binary",
            Op::Keygen => "keygen",
            Op::Certify => "certify",
            Op::Cosign => "cosign",
            Op::Verify => "verify",
            Op::Explain => "explain",
            Op::Note => "note",
            Op::ProveInclusion => "prove inclusion",
            Op::ProveConsistency => "prove consistency",
            Op::VerifyInclusion => "verify inclusion",
            Op::VerifyConsistency => "verify consistency",
            Op::Ingest => "ingest",
            Op::ReconcileLog => "reconcile log",
            Op::Snapshot => "snapshot",
            Op::Replay => "replay",
            Op::Bundle => "bundle",
            Op::ExplainBundle => "explain bundle",
            Op::EcsRun => "ECS run",
            Op::EcsDiff => "ECS diff",
            Op::MerkleRoot => "Merkle root",
            Op::NoteVerify => "note verify",
            Op::Cut => "batch cut",
            Op::Merge => "merge",
            Op::Fraud => "fraud",
            Op::EcsBatch => "ECS batch",
            Op::Seal => "seal",
            Op::Ed25519Verify => "ed25519 verify",
            Op::ProveTiles => "prove from tiles",
            Op::PolicyVerify => "policy verify",
            Op::NoteSign => "note sign",
        }
    }
}

/// The number is not an op this build knows (error code 3302).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownOp(pub u32);

impl fmt::Display for UnknownOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown op {}; this build knows ops 0 to {}", self.0, Op::LAST)
    }
}

impl TryFrom<u32> for Op {
    type Error = UnknownOp;
    fn try_from(n: u32) -> Result<Op, UnknownOp> {
        usize::try_from(n).ok().and_then(|i| Op::ALL.get(i).copied()).ok_or(UnknownOp(n))
    }
}

impl From<Op> for u32 {
    fn from(op: Op) -> u32 {
        op as u32
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {} ({})", self.code(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_all_is_in_wire_order() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(op.code() as usize, i);
            assert_eq!(Op::try_from(op.code()), Ok(*op));
        }
        assert_eq!(Op::try_from(Op::LAST + 1), Err(UnknownOp(Op::LAST + 1)));
        assert_eq!(Op::try_from(u32::MAX), Err(UnknownOp(u32::MAX)));
    }
}
