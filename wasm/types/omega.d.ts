// The response bodies of omega's byte ABI (and of the JS API that parses them).
// Generated from omega-core's `api::response` types by
// `cargo run -p omega-tests --bin gen-ts`; do not edit.

/**
 * The body of every refused request (status 2): the stable code (see
 * `api::code`), what was wrong, and where when known. Declared order.
 */
export type ErrorBody = {
  /** Always `"error"`. */
  status: "error",
  /** The stable error code. */
  code: number,
  /** What was wrong, in words. */
  message: string,
  /** The event's position in the input, when the error is inside one event. */
  index?: number,
  /** The field (or repeated JSON key) the error is about, when known. */
  field?: string,
};

/** Op 0: the version of the kernel. */
export type Version = {
  /** The crate version, e.g. `0.1.0`. */
  version: string,
};

/** The last event of one (node, stream) in the history. Declared order. */
export type Head = {
  /** Node id. */
  node: number,
  /** Stream id. */
  stream: number,
  /** Its sequence number. */
  seq: number,
  /** Its event id (28 lowercase hex characters). */
  id: string,
  /** Its canonical key (56 lowercase hex characters). */
  key: string,
  /** Its RFC 6962 leaf hash (64 lowercase hex characters). */
  leaf_hash: string,
};

/**
 * Ops 1, 2 and 14, status 0: the batch extends the history. The body is
 * also a valid prior state for the next batch. Declared order.
 */
export type ReconcileOk = {
  /** Always `"ok"`. */
  status: "ok",
  /** Events in the history after the batch. */
  tree_size: number,
  /** RFC 6962 Merkle root of the history. */
  root: string,
  /** SHA-256 of the reconcile state. */
  state_hash: string,
  /** The greatest canonical key so far, or `null` for the empty history. */
  frontier: string | null,
  /** Events in the prior history. */
  prior_tree_size: number,
  /** The prior root. */
  prior_root: string,
  /** The prior state hash. */
  prior_state_hash: string,
  /** Events the batch added. */
  appended: number,
  /** Events of the batch already in the history (or twice in the batch). */
  duplicates: number,
  /** The last event of every (node, stream). */
  heads: Array<Head>,
  /** The peaks of the compact range (one hash per set bit of `tree_size`). */
  compact_range: Array<string>,
  /** RFC 9162 consistency proof from the prior tree to this one. */
  consistency: Array<string>,
};

/** One event named by a violation. Declared order. */
export type Evidence = {
  /** Its canonical key. */
  key: string,
  /** Its sequence number. */
  seq: number,
  /** Its leaf hash. */
  leaf_hash: string,
  /** SHA-256 of its payload, or `null` when the event is known only by its leaf (a prior head). */
  payload_sha256: string | null,
};

/** One reason a batch obstructs. Declared order. */
export type Violation = {
  /** The violation's code (1001, 1002, 2001, ...). */
  code: number,
  /** Its name (`gap`, `order`, `stale`, `missing`, ...). */
  reason: string,
  /** What it means, in words. */
  message: string,
  /** The events involved. */
  events: Array<Evidence>,
  /** The dependency (event id) at fault, for dependency violations. */
  dep?: string,
  /** The sequence number that was expected, for a gap. */
  expected_seq?: number,
  /** The prior frontier, for an event that does not sort after it. */
  frontier?: string,
};

/**
 * Ops 1, 2 and 14, status 1: the batch obstructs; the history is
 * unchanged. Declared order.
 */
export type ReconcileObstruction = {
  /** Always `"obstruction"`. */
  status: "obstruction",
  /** Events in the (unchanged) history. */
  prior_tree_size: number,
  /** Its root. */
  prior_root: string,
  /** Its state hash. */
  prior_state_hash: string,
  /** Events of the batch already in the history. */
  duplicates: number,
  /** SHA-256 of the canonical evidence (what an obstruction certificate commits to). */
  evidence_hash: string,
  /** Every violation, in canonical order. */
  violations: Array<Violation>,
};

/**
 * What a reconcile answers: `ReconcileOk` or `ReconcileObstruction`
 * (told apart by `status`).
 */
export type ReconcileResult = ReconcileOk | ReconcileObstruction;

/** Op 3: a key pair. Alphabetical order. */
export type Keypair = {
  /** The key id (8 lowercase hex digits). */
  key_id: string,
  /** The key name. */
  name: string,
  /** The C2SP signer key (`PRIVATE+KEY+name+id+...`): keep it secret. */
  signer_key: string,
  /** The C2SP verifier key (`name+id+...`): give it to committees. */
  verifier_key: string,
};

/** What a certificate attests. */
export type CertKind = "state" | "obstruction" | "ecs";

/**
 * Ops 4 and 5: a certificate and what it attests. Declared order. (The
 * JS API's `certify` and `cosign` give `certificate` as bytes:
 * `CertificateResult`.)
 */
export type CertificateReport = {
  /** Always `"ok"`. */
  status: "ok",
  /** SHA-256 of the checkpoint text: the certificate's identity. */
  hash: string,
  /** What it attests. */
  kind: CertKind,
  /** The log it belongs to. */
  origin: string,
  /** Events in the history. */
  tree_size: number,
  /** The Merkle root. */
  root: string,
  /** The state hash (of the reconcile state, or of the world for kind `ecs`). */
  state_hash: string,
  /** Position in its chain (0 for genesis). */
  height: number,
  /** Hash of the previous certificate, or `null` for genesis. */
  prev: string | null,
  /** Hash of the committee expected to sign, or `null`. */
  committee: string | null,
  /** Kind obstruction: SHA-256 of the evidence. */
  evidence: string | null,
  /** Kind ecs: the world tick attested. */
  tick: number | null,
  /**
  * The world line, when the checkpoint has one (`omega node --ecs`):
  * the world's tick and state hash after the batch.
  */
  world?: EcsCheckpoint,
  /** The key names of its signature lines, in order. */
  signers: Array<string>,
  /** The binary certificate (OMGC), in standard base64. */
  certificate: string,
};

/** What became of one signature line under a committee. */
export type SigStatus = "valid" | "bad_signature" | "unknown_key" | "duplicate";

/** Valid or not: a certificate, a chain, a proof. */
export type Validity = "valid" | "invalid";

/** One problem: its stable code and what it means. Alphabetical (and declared) order. */
export type Problem = {
  /** The stable code. */
  code: number,
  /** In words. */
  message: string,
};

/** One signature line of a certificate, judged. Alphabetical order. */
export type SignatureCheck = {
  /** The key id on the line (8 lowercase hex digits). */
  key_id: string,
  /** The key name on the line. */
  name: string,
  /** What became of it. A member counts once if any of its lines verifies. */
  status: SigStatus,
};

/** One certificate of a chain. Alphabetical order. */
export type ChainLink = {
  /** Its certificate hash. */
  hash: string,
  /** Its height. */
  height: number,
  /** Whether it is valid on its own. */
  valid: boolean,
};

/** A chain back to genesis, judged. Alphabetical order. */
export type ChainReport = {
  /** Every certificate, by height. */
  links: Array<ChainLink>,
  /** What is wrong with the chain (gaps, forks, broken links, proofs). */
  problems: Array<Problem>,
  /** Valid when every link is and they form one chain. */
  status: Validity,
};

/**
 * Op 6 (status 0 valid, 1 invalid): a certificate judged against a
 * committee, and with a chain the chain. Alphabetical order.
 */
export type VerifyReport = {
  /** With a chain: the chain's report. */
  chain?: ChainReport,
  /** Hash of the committee it was judged against. */
  committee: string,
  /** The certificate's hash. */
  hash: string,
  /** Its height. */
  height: number,
  /** What it attests. */
  kind: CertKind,
  /** Its origin. */
  origin: string,
  /** Why it is invalid (empty when valid). */
  problems: Array<Problem>,
  /** Every signature line, in order. */
  signatures: Array<SignatureCheck>,
  /** Valid when the certificate (and the chain, if any) is. */
  status: Validity,
  /** Distinct member signatures needed. */
  threshold: number,
  /** Its tree size. */
  tree_size: number,
  /** Distinct member signatures that verify. */
  valid_signers: number,
  /** The checkpoint's world line, when it has one. */
  world?: EcsCheckpoint,
};

/**
 * Op 7 (status 1 when a committee judges it invalid): a certificate in
 * words, and with a committee the verdict. Alphabetical order.
 */
export type Explanation = {
  /** Every field in words, one per line. */
  text: string,
  /** With a committee: the verdict. */
  verdict?: VerifyReport,
};

/** Op 8: the C2SP signed-note text of a certificate. */
export type CertificateNote = {
  /** The signed note. */
  note: string,
};

/** What the given verifier keys say of one signature line of a note. */
export type NoteLineStatus = "valid" | "invalid" | "unknown_key";

/** One signature line of a note, judged. Declared order. */
export type NoteLineCheck = {
  /** The key name on the line. */
  name: string,
  /** The key id on the line (8 lowercase hex digits). */
  key_id: string,
  /** What the given keys say of it. */
  status: NoteLineStatus,
  /** A valid witness cosignature's POSIX timestamp (C2SP cosignature/v1, key type 0x04). */
  timestamp?: number | null,
};

/**
 * Op 22 (status 0 valid, 1 invalid): any C2SP signed note checked
 * against verifier keys, as Go's `note.Open` does. Declared order.
 */
export type NoteVerdict = {
  /** Valid when a given key signed the note and no line by a given key fails. */
  status: Validity,
  /** The signed text. */
  text: string,
  /** The names of the given keys whose signature verifies, in the order given. */
  verified_by: Array<string>,
  /** Every signature line, in order. */
  signatures: Array<NoteLineCheck>,
};

/** Op 31: a note with a new signature line. Declared order. */
export type SignedNote = {
  /** The note with the line appended (the key's earlier lines removed). */
  note: string,
  /** The new signature line alone, ending in a newline (what a C2SP witness returns). */
  signature: string,
};

/** What a policy's witness's lines in a checkpoint say (op 30). */
export type CosignatureStatus = "valid" | "invalid" | "missing";

/** One witness of a policy, judged on a checkpoint (op 30). Declared order. */
export type PolicyWitness = {
  /** Its name in the policy. */
  name: string,
  /** Its verifier key (type 0x04). */
  key: string,
  /** What its lines say. */
  status: CosignatureStatus,
  /** The valid cosignature's POSIX timestamp (reported, not judged). */
  timestamp?: number | null,
};

/** One group of a policy, judged on a checkpoint (op 30). Declared order. */
export type PolicyGroup = {
  /** Its name in the policy. */
  name: string,
  /** k: members that must have witnessed. */
  threshold: number,
  /** n: its members. */
  members: number,
  /** Members that witnessed. */
  witnessed: number,
  /** Whether at least k did. */
  met: boolean,
};

/**
 * Op 30 (status 0 valid, 1 invalid): a C2SP checkpoint judged under a
 * C2SP tlog-policy. Valid when a listed log with the checkpoint's
 * origin signed it (any log, when the policy lists none) and the
 * quorum witnessed it. Declared order.
 */
export type PolicyVerdict = {
  /** Valid or invalid. */
  status: Validity,
  /** The checkpoint's origin line. */
  origin: string,
  /** Its tree size. */
  tree_size: number,
  /** Its root hash (64 lowercase hex characters). */
  root: string,
  /** The verifier key of the listed log whose signature verifies; null when none did. */
  log: string | null,
  /** Logs the policy lists (0: any log is accepted). */
  logs: number,
  /** Every witness, in policy order. */
  witnesses: Array<PolicyWitness>,
  /** Every group, in policy order. */
  groups: Array<PolicyGroup>,
  /** The quorum's name (`none`: no cosignature needed). */
  quorum: string,
  /** Whether the quorum witnessed the checkpoint. */
  quorum_met: boolean,
  /** Why it is invalid, and any witness line that does not verify, in words. */
  problems: Array<string>,
};

/** Op 9: an RFC 9162 inclusion proof (also the input of op 11). Declared order. */
export type InclusionProof = {
  /** The leaf's index. */
  leaf_index: number,
  /** Leaves in the tree. */
  tree_size: number,
  /** The leaf hash. */
  leaf_hash: string,
  /** The audit path. */
  proof: Array<string>,
  /** The tree's root. */
  root: string,
};

/** Op 10: an RFC 9162 consistency proof (also the input of op 12). Declared order. */
export type ConsistencyProof = {
  /** Leaves in the old tree. */
  old_size: number,
  /** Leaves in the new tree. */
  new_size: number,
  /** The old root. */
  old_root: string,
  /** The new root. */
  new_root: string,
  /** The proof hashes. */
  proof: Array<string>,
};

/**
 * Ops 11 and 12 (status 0 valid, 1 invalid): a proof checked. A proof
 * that does not verify is reported here (code 3401, 3402 or 3403);
 * malformed proof JSON is an error. Alphabetical order.
 */
export type ProofVerdict = {
  /** Invalid only: the stable code. */
  code?: number,
  /** Invalid only: why, in words. */
  reason?: string,
  /** Valid or invalid. */
  status: Validity,
};

/** Op 29's status 1: tiles are still needed. */
export type Need = "need";

/**
 * Op 29, status 1: the tiles given do not cover the proof; every tile
 * still needed, so a client fetches them all at once and asks again.
 * Declared order.
 */
export type TilesNeeded = {
  /** Always `need`. */
  status: Need,
  /** The C2SP paths (`tile/<L>/<N>[.p/<W>]`) of the tiles still needed, sorted by level, then index. */
  tiles: Array<string>,
};

/** Op 21: the RFC 6962 root of leaf hashes given as they are. Alphabetical order. */
export type MerkleRoot = {
  /** The root (64 lowercase hex characters). */
  root: string,
  /** Leaves given. */
  tree_size: number,
};

/** Whether a scanned log is whole. */
export type IngestStatus = "clean" | "damaged";

/** What follows the first bad frame of a damaged log. Declared order. */
export type AfterDamage = {
  /** Intact frames after the first bad one: 0 means the damage is a tail that `--repair` may cut. */
  intact_frames: number,
  /** Damaged bytes from the first bad frame on. */
  damaged_bytes: number,
};

/** Op 13 (status 0 clean, 1 damaged): a framed log scanned. Declared order. */
export type IngestReport = {
  /** Clean or damaged. */
  status: IngestStatus,
  /** Valid frames. */
  frames: number,
  /** Events in them. */
  events: number,
  /** The log's size. */
  bytes: number,
  /** Length of the valid prefix. */
  valid_bytes: number,
  /** Offset of the first bad frame, or `null`. */
  first_bad_offset: number | null,
  /** The first problem, or `null`. */
  error: Problem | null,
  /** Only for a damaged log with a good header: what follows the first bad frame. */
  after_damage?: AfterDamage,
};

/** Op 15: a snapshot of a state. Alphabetical order. */
export type SnapshotReport = {
  /** SHA-256 of the snapshot bytes. */
  hash: string,
  /** The state's root. */
  root: string,
  /** The snapshot (OMSN), in standard base64. */
  snapshot: string,
  /** The state hash. */
  state_hash: string,
  /** Always `"ok"`. */
  status: "ok",
  /** The state's tree size. */
  tree_size: number,
  /** The ECS world the snapshot holds: its tick and state hash (absent when it holds none). */
  world?: EcsCheckpoint | null,
};

/** How a replay ended. */
export type ReplayStatus = "replayed" | "match" | "diverged";

/** The first field where a replay and its certificate disagree. Alphabetical order. */
export type Divergence = {
  /** What the certificate says. */
  certified: string,
  /**
  * The field: `kind`, `tree_size`, `root`, `state_hash`, `evidence`,
  * `world` (the checkpoint's world line, "TICK HASH") or `tick` (kind `ecs`).
  */
  field: string,
  /** What the replay gave. */
  replayed: string,
};

/**
 * Op 16 (status 1 when diverged): a log replayed on a snapshot, checked
 * against a certificate. Alphabetical order.
 */
export type ReplayReport = {
  /**
  * With more than one certificate: each batch, in order, to the
  * first that diverges (absent otherwise).
  */
  batches?: Array<ReplayBatch> | null,
  /** The certificate's hash (the last checked, with a chain), or `null` without one. */
  certificate: string | null,
  /** Events replayed. */
  events: number,
  /** The obstruction's evidence hash, or `null`. */
  evidence_hash: string | null,
  /** Where the replay and the certificate first disagree, or `null`. */
  first_divergence: Divergence | null,
  /** What the replay gave: `state` or `obstruction`. */
  kind: CertKind,
  /** The resulting root. */
  root: string,
  /** The resulting state hash. */
  state_hash: string,
  /** Replayed, match or diverged. */
  status: ReplayStatus,
  /** The resulting tree size. */
  tree_size: number,
  /**
  * The replayed ECS world after the last batch: its tick and state
  * hash (absent when no world was replayed: the snapshot holds none,
  * and no certificate has a world line or is of kind `ecs`).
  */
  world?: EcsCheckpoint | null,
  /**
  * Where the replayed world first departs from the reference world,
  * or from itself without the injection (absent when neither was given).
  */
  world_departure?: WorldDeparture | null,
};

/**
 * One batch of a replay checked against a chain of certificates (op 16
 * with more than one): the log's events up to the certificate's tree
 * size (the last takes the rest of the log). Alphabetical order.
 */
export type ReplayBatch = {
  /** The certificate's hash. */
  certificate: string,
  /** Log events in the batch. */
  events: number,
  /** Where the batch and its certificate first disagree, or `null`. */
  first_divergence: Divergence | null,
  /** What the batch gave: `state`, `obstruction`, or `ecs` for a kind-ecs certificate. */
  kind: CertKind,
  /** The root after the batch. */
  root: string,
  /** The state hash after the batch (the world hash for kind `ecs`). */
  state_hash: string,
  /** Match or diverged. */
  status: ReplayStatus,
  /** The tree size after the batch. */
  tree_size: number,
  /** The world after the batch (tick, hash), or `null` when none is replayed. */
  world: EcsCheckpoint | null,
};

/** The arbiter's plan in a tick. Alphabetical order. */
export type TickPlan = {
  /** `hold`, `repair` (urgency ≥ 0.1) or `optimize` (gain ≥ 0.1). */
  action: "hold" | "repair" | "optimize",
  /** Expected gain of optimising: (1 − coherence) · (1 − min(1, mean |error|)). */
  gain: string,
  /** Repair urgency: the share of live entities a safety clamp hit. */
  urgency: string,
};

/** The Lyapunov candidate of the PIDs in a tick. Alphabetical order. */
export type TickLyapunov = {
  /** ΔV against the tick before (0 on a world's first tick). */
  dv: string,
  /** `pid_stable`: ΔV < 0, or V ≤ 1e-4 (at rest). */
  stable: boolean,
  /** V: mean over live entities of error² / 2. */
  v: string,
};

/**
 * Where the replayed world departs (op 16 with a reference world or an
 * injection). Alphabetical order.
 */
export type WorldDeparture = {
  /** `reference` (the world given) or `uninjected` (the replayed world without the flip). */
  against: string,
  /** The first difference, or `null` when they agree to the end. */
  difference: WorldDifference | null,
};

/** The first tick, entity and component where two worlds part. Alphabetical order. */
export type WorldDifference = {
  /** The component, in op 20's names (or a global field of `world`). */
  component: string,
  /** `index:generation`, or `world`. */
  entity: string,
  /** Its values in the reference. */
  reference: Array<string>,
  /**
  * `start` (the start worlds differ), `inputs` (the tick's inputs:
  * an injected flip) or `systems` (the tick's systems).
  */
  stage: string,
  /** The tick. */
  tick: number,
  /** Its values in the replayed world. */
  world: Array<string>,
};

/** Op 17: a crash bundle of a batch that obstructs. Alphabetical order. */
export type BundleReport = {
  /** The bundle (OMCB), in standard base64. */
  bundle: string,
  /** The obstruction's evidence hash. */
  evidence_hash: string,
  /** Always `"ok"`. */
  status: "ok",
  /** How many violations. */
  violations: number,
};

/**
 * Op 18 (status 1 when not reproduced): a crash bundle reconciled
 * again. Alphabetical order, `result` included.
 */
export type BundleExplanation = {
  /** Events in the bundled batch. */
  events: number,
  /** The bundled prior's state hash. */
  prior_state_hash: string,
  /** The bundled prior's tree size. */
  prior_tree_size: number,
  /** SHA-256 of the evidence recorded in the bundle. */
  recorded_evidence_hash: string,
  /** Whether reconciling again gives the recorded evidence. */
  reproduced: boolean,
  /** What reconciling again gives (its keys sorted). */
  result: ReconcileResult,
};

/** What a tick decided. */
export type Decision = "QUARANTINE" | "ALERT" | "BALANCE" | "OPTIMIZE";

/** A safety alert raised (and clamped) in a tick. Alphabetical order. */
export type TickAlert = {
  /** The entity, `index:generation`. */
  entity: string,
  /** What was clamped. */
  kind: "energy" | "amplitude",
  /** The value before clamping (exact decimal). */
  value: string,
};

/** An entity that moved to another node in a tick. Alphabetical order. */
export type TickMigration = {
  /** The entity, `index:generation`. */
  entity: string,
  /** From node. */
  from: number,
  /** To node. */
  to: number,
};

/** A command refused in a tick. Alphabetical order. */
export type TickRejection = {
  /** The command's position among the tick's commands. */
  index: number,
  /** Why. */
  reason: string,
};

/**
 * One tick of the ECS world: fixed-point values as exact decimal
 * strings. Declared order (as the JS `World` and `omega ecs` print it;
 * op 19 prints it sorted).
 */
export type TickReport = {
  /** The tick number (1 for the first step). */
  tick: number,
  /** SHA-256 of the world after the tick. */
  state_hash: string,
  /** What the tick decided. */
  decision: Decision,
  /** What the arbiter plans, against REPAIR 0.1 and OPT_GAIN 0.1. */
  plan: TickPlan,
  /** The PIDs' Lyapunov candidate V, ΔV and `pid_stable`. */
  lyapunov: TickLyapunov,
  /** The global signals. */
  threat: string,
  /** Entropy. */
  entropy: string,
  /** Coherence. */
  coherence: string,
  /** Resonance. */
  resonance: string,
  /** Stability. */
  stability: string,
  /** Pulse. */
  pulse: string,
  /** The four control weights. */
  weights: [string, string, string, string],
  /** Alerts raised. */
  alerts: Array<TickAlert>,
  /** Entities that moved. */
  migrations: Array<TickMigration>,
  /** Commands refused. */
  rejected: Array<TickRejection>,
  /** Operations that saturated. */
  saturations: number,
  /** Live entities after the tick. */
  entities: number,
  /** Edges after the tick. */
  edges: number,
};

/** The world's state hash at a checkpoint tick. Alphabetical order. */
export type EcsCheckpoint = {
  /** The world hash after the tick. */
  state_hash: string,
  /** The tick. */
  tick: number,
};

/** The event history a run is driven by. Alphabetical order. */
export type EcsHistory = {
  /** Its root. */
  root: string,
  /** Its reconcile state hash (absent for the empty history). */
  state_hash?: string,
  /** Its events. */
  tree_size: number,
};

/** An event whose payload is not a command. Alphabetical order. */
export type Undecodable = {
  /** The event's canonical key. */
  key: string,
  /** Why. */
  reason: string,
};

/**
 * Op 19: the ECS world run for some ticks. Alphabetical order, the
 * reports included.
 */
export type EcsRunReport = {
  /** Checkpoint hashes along the run. */
  checkpoints: Array<EcsCheckpoint>,
  /** SHA-256 over every tick's state hash. */
  digest: string,
  /** The last tick run. */
  end_tick: number,
  /** The history the commands came from. */
  history: EcsHistory,
  /** Mode `reports` (the default): every tick's report. */
  reports?: Array<TickReport>,
  /** Mode `snapshot`: the world after the run (OMGW), in standard base64. */
  snapshot?: string,
  /** The tick the run started from. */
  start_tick: number,
  /** The world hash at the end. */
  state_hash: string,
  /** Always `"ok"`. */
  status: "ok",
  /** Events whose payload is not a command. */
  undecodable: Array<Undecodable>,
};

/** Where two worlds first differ. Alphabetical order. */
export type Difference = {
  /** The value(s) in world A (exact decimals). */
  a: Array<string>,
  /** The value(s) in world B. */
  b: Array<string>,
  /** The component (or world field). */
  component: string,
  /** The entity, or `world`. */
  entity: string,
};

/** Op 20 (status 0 same, 1 different): two world snapshots compared. Alphabetical order. */
export type EcsDiff = {
  /** The first difference, or `null`. */
  first_difference: Difference | null,
  /** Whether the worlds are the same. */
  same: boolean,
  /** World A's tick. */
  tick_a: number,
  /** World B's tick. */
  tick_b: number,
};

/** A world command a batch did not apply (op 26). Alphabetical order. */
export type LateCommand = {
  /** The event's canonical key. */
  key: string,
  /** The tick the command names. */
  tick: number,
};

/** Op 26: a world stepped through one batch. Alphabetical order. */
export type EcsBatchReport = {
  /** The world's tick after the batch (at least one more than before). */
  end_tick: number,
  /** Commands naming a tick already past, never applied. */
  late: Array<LateCommand>,
  /** Events whose payload is not a world command. */
  plain: number,
  /** Scheduled commands the world refused at their tick. */
  refused: number,
  /** Commands scheduled. */
  scheduled: number,
  /** The world's tick before the batch. */
  start_tick: number,
  /** The world hash after the batch: what the checkpoint's `omega-world` line attests. */
  state_hash: string,
  /** Always `"ok"`. */
  status: "ok",
  /** Commands naming a tick more than 1,000 past the start, never applied. */
  too_far: Array<LateCommand>,
  /** The world after the batch (OMGW), in standard base64: the next batch's `world`. */
  world: string,
};

/** Op 27: a seal body as every cluster member reads it. Alphabetical order. */
export type SealReport = {
  /** Whether the body was the canonical text (else n is 0 and horizon and delay the defaults). */
  canonical: boolean,
  /** Seals every event is held before it may be appended. */
  delay: number,
  /** Seals an event may wait before it is given up. */
  horizon: number,
  /** The seal's number. */
  n: number,
  /** Always `"ok"`. */
  status: "ok",
};

/**
 * Op 28 (status 0 when every signature verifies, else 1): raw Ed25519
 * signatures checked by omega's strict rules. Declared order.
 */
export type Ed25519Report = {
  /** Signatures checked. */
  checked: number,
  /** How many verified. */
  valid: number,
  /**
  * Per signature, in the order given: `"valid"`, or the first rule it
  * breaks (`key_length`, `key_not_on_curve`, `key_not_canonical`,
  * `key_small_order`, `key_torsion`, `sig_length`, `s_not_canonical`,
  * `r_not_on_curve`, `r_not_canonical`, `r_small_order`, `r_torsion`,
  * `equation`).
  */
  results: Array<string>,
};

/** What a batch cut decided. */
export type CutStatus = "ok" | "obstruction" | "empty";

/**
 * Op 23 (status 0 ok or empty, 1 obstruction): one batch cut at a seal.
 * Declared order.
 */
export type CutReport = {
  /** What the cut decided. */
  status: CutStatus,
  /** Events in the batch. */
  batch: number,
  /** Carried events that wait for a predecessor or a dependency. */
  waiting: number,
  /** Carried events that are ready but not cut (at or above the watermark, or behind an obstruction). */
  held: number,
  /** Events given up after waiting `horizon` seals (in the batch). */
  expired: number,
  /** Events rejected at once: equivocation, stale, a prior head's id, at or before the frontier (in the batch). */
  rejected: number,
  /** Inputs dropped as byte-identical copies (of each other or of a prior head). */
  duplicates: number,
  /** Exactly what op 2 prints for reconcile(prior, batch); `null` when empty. */
  result: ReconcileResult | null,
  /** The batch's events, canonical binary in canonical order, standard base64. */
  events: string,
  /** What the next cut takes as its carry (OMGP), standard base64. */
  carry: string,
};

/** Whether two certificates prove that a member signed two checkpoints at one height. */
export type FraudStatus = "proven" | "not_proven";

/**
 * Op 25 (status 0 proven, 1 not proven): two certificates checked as a
 * proof that a committee member signed two checkpoints at one height.
 * Declared order.
 */
export type FraudReport = {
  /** Proven or not. */
  status: FraudStatus,
  /** Certificate A's height. */
  height: number,
  /** Certificate A's origin. */
  origin: string,
  /** Certificate A's checkpoint hash. */
  a: string,
  /** Certificate B's checkpoint hash. */
  b: string,
  /** The verifier keys of the members with a valid signature on both, sorted. */
  signers: Array<string>,
  /** Why it is not a proof, or `null` when proven. */
  reason: string | null,
};
