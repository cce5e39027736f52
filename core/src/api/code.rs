//! Every stable error and violation code, named once. `docs/FORMATS.md`
//! lists the same codes; `core/tests/codes.rs` checks that the two tables
//! agree, so a code cannot be added, dropped or renumbered on one side only.
//!
//! Codes never change meaning once released.

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $name:ident = $value:literal,)*) => {
        $( $(#[doc = $doc])* pub const $name: u16 = $value; )*
        /// Every code with its constant's name, ascending.
        pub const ALL: &[(u16, &str)] = &[$(($value, stringify!($name)),)*];
    };
}

codes! {
    /// Violation: a stream's seqs are not contiguous, out of key order, stale, or not after the frontier.
    ORDER = 1001,
    /// Violation: one event id or one (node, stream, seq) names different events.
    CONFLICT = 1002,
    /// Violation: a dependency is missing.
    MISSING_DEP = 2002,
    /// Violation: a dependency's lamport is not below the dependent's, or cannot be proved so.
    DEP_NOT_BEFORE = 2003,
    /// The input is not JSON.
    JSON_SYNTAX = 3001,
    /// Wrong JSON type, missing or unknown field.
    JSON_SHAPE = 3002,
    /// An integer out of its field's range.
    JSON_RANGE = 3003,
    /// Bad hex (an `id` or a `deps[i]`).
    JSON_HEX = 3004,
    /// Bad base64 payload.
    JSON_BASE64 = 3005,
    /// Over a limit (payload size, deps count).
    JSON_LIMIT = 3006,
    /// A key appears twice in one JSON object.
    JSON_DUPLICATE_KEY = 3007,
    /// Binary event truncated.
    EVENT_TRUNCATED = 3101,
    /// Binary event deps not sorted or repeated.
    EVENT_DEPS = 3102,
    /// Binary event over a limit.
    EVENT_LIMIT = 3103,
    /// A log frame holds bytes after its event.
    EVENT_TRAILING = 3104,
    /// The prior state is malformed or inconsistent.
    PRIOR = 3201,
    /// ABI request malformed (a field missing or not UTF-8, a bad number).
    BAD_REQUEST = 3301,
    /// Unknown ABI op.
    UNKNOWN_OP = 3302,
    /// JS API: a numeric argument that is not a JS number, not an integer, or outside its documented range.
    ARGUMENT = 3303,
    /// JS API: an export called before the blob is loaded (`await init()` first, in a browser).
    NOT_INITIALISED = 3304,
    /// Carry (OMGP, op 23) malformed.
    CARRY = 3310,
    /// Proof: index not in the tree, or old size above new size.
    PROOF_RANGE = 3401,
    /// Proof: wrong number of hashes for the sizes.
    PROOF_LENGTH = 3402,
    /// Proof: leads to another root than the one given.
    PROOF_ROOT = 3403,
    /// Proof JSON malformed.
    PROOF_JSON = 3405,
    /// A proof requested over events that obstruct.
    PROOF_OBSTRUCTED = 3406,
    /// Leaf hashes not a multiple of 32 bytes.
    LEAVES_LENGTH = 3407,
    /// Tiles: a tile that a proof or the tree's edge needs is missing.
    TILE_MISSING = 3410,
    /// Tiles: a tile is not a whole number of hashes, or shorter than its width.
    TILE_LENGTH = 3411,
    /// Tiles: not a C2SP tile path.
    TILE_PATH = 3412,
    /// Tiles: an entry too long for an entry bundle, or a malformed bundle.
    TILE_BUNDLE = 3413,
    /// Tiles: tiles, entries, the log or a checkpoint disagree.
    TILE_MISMATCH = 3414,
    /// Signed note malformed.
    NOTE = 3501,
    /// Key name invalid, or an origin too long for the certificate format.
    KEY_NAME = 3502,
    /// Key malformed or of the wrong kind.
    KEY = 3503,
    /// Key id does not match name and key.
    KEY_ID = 3504,
    /// Public key not a valid, canonical, prime-order Ed25519 point.
    KEY_POINT = 3505,
    /// No secure random source (JS `generateKeypair`).
    NO_RANDOM = 3506,
    /// A C2SP tlog-policy breaks a rule, or a note judged under it is not a checkpoint.
    POLICY = 3507,
    /// Checkpoint body not in omega's exact form.
    CHECKPOINT = 3601,
    /// Binary certificate malformed.
    CERTIFICATE = 3602,
    /// Committee invalid.
    COMMITTEE = 3603,
    /// Result cannot be certified on the previous certificate.
    CHAIN = 3604,
    /// That key already signed the certificate, or it would not encode.
    COSIGN = 3605,
    /// Not a reconcile result omega can certify.
    RESULT = 3606,
    /// Certificates to merge attest different checkpoints.
    MERGE = 3607,
    /// Verdict problem: quorum not met.
    QUORUM = 3701,
    /// Verdict problem: the checkpoint names another committee.
    COMMITTEE_MISMATCH = 3702,
    /// Verdict problem: a member's signature does not verify.
    BAD_SIGNATURE = 3703,
    /// Chain problem: no genesis.
    NO_GENESIS = 3711,
    /// Chain problem: a missing height.
    CHAIN_GAP = 3712,
    /// Chain problem: a broken hash link.
    CHAIN_LINK = 3713,
    /// Chain problem: not append-only.
    NOT_APPEND_ONLY = 3714,
    /// Chain problem: a fork.
    FORK = 3715,
    /// Chain problem: a certificate of the chain is not valid for the committee.
    CHAIN_INVALID = 3716,
    /// Not an omega log (bad magic).
    LOG_MAGIC = 3801,
    /// Log version not supported.
    LOG_VERSION = 3802,
    /// Log header damaged.
    LOG_HEADER = 3803,
    /// Torn frame.
    FRAME_TORN = 3804,
    /// Frame CRC mismatch.
    FRAME_CRC = 3805,
    /// Frame length 0 or above the header's max frame.
    FRAME_LENGTH = 3806,
    /// Frame bytes are not one canonical event.
    FRAME_EVENT = 3807,
    /// A mapped file shrank while omega read it.
    LOG_SHRANK = 3808,
    /// Snapshot malformed.
    SNAPSHOT = 3901,
    /// Crash bundle malformed.
    BUNDLE = 3902,
    /// A bundle asked for a batch that does not obstruct.
    NOTHING_TO_BUNDLE = 3903,
    /// World snapshot malformed.
    WORLD_SNAPSHOT = 4001,
    /// World config malformed.
    WORLD_CONFIG = 4002,
    /// The event history driving the world obstructs.
    WORLD_HISTORY = 4003,
    /// A world command is malformed.
    WORLD_COMMAND = 4004,
    /// World too large.
    WORLD_TOO_LARGE = 4005,
    /// `omega sample` shape refused.
    SAMPLE_SHAPE = 4101,
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_ascending_and_unique() {
        assert!(super::ALL.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
