//! `omega`: the command-line host. Every command runs on engine `native`
//! (omega-core linked in) or `wasm` (the blob in wasmtime); both go through
//! `omega_core::api::abi::call`, so they give the same bytes.
//!
//! Exit codes: 0 ok, 1 obstruction (or a difference, for `crosscheck`),
//! 2 bad input or usage.
mod commands;
mod guard;
mod json_out;
mod kernel;
mod wasm;

use commands::{bench, certify, demo, doctor, ecs, log, witness};

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand, ValueEnum};
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "omega", version, about = "omega: a deterministic truth kernel — one canonical history from events in any order")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EngineKind {
    /// omega-core linked into this program.
    Native,
    /// The wasm blob in wasmtime (the very file the npm package ships).
    Wasm,
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct EngineArgs {
    /// Which engine runs the kernel.
    #[arg(long, value_enum, default_value = "native")]
    engine: EngineKind,
    #[command(flatten)]
    blob: BlobArgs,
}

#[derive(clap::Args, Debug, Clone)]
struct BlobArgs {
    /// The blob to load for `--engine wasm` (default: $OMEGA_BLOB, else the blob built into omega).
    #[arg(long, value_name = "PATH")]
    blob: Option<PathBuf>,
    /// Fuel for one blob call (roughly, wasm instructions; at least 1).
    #[arg(long, value_name = "N", default_value_t = wasm::Bounds::default().fuel, value_parser = clap::value_parser!(u64).range(1..))]
    fuel: u64,
    /// Largest blob linear memory, in MiB (1 to 4096: a wasm32 memory holds at most 4 GiB).
    #[arg(long, value_name = "MIB", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_memory_mib: u64,
}

impl BlobArgs {
    fn load(&self) -> Result<wasm::Blob> {
        let source = wasm::find_blob(self.blob.as_deref())?;
        wasm::Blob::open(&source, self.bounds())
    }

    /// The bounds the flags ask for (validated by clap: 1..=4096 MiB, fuel >= 1).
    pub(crate) fn bounds(&self) -> wasm::Bounds {
        wasm::Bounds { max_memory: usize::try_from(self.max_memory_mib << 20).unwrap_or(usize::MAX), fuel: self.fuel }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    /// A JSON array of events.
    Json,
    /// Concatenated canonical binary events.
    Binary,
    /// A framed `.omega` log (see docs/FORMATS.md).
    Omega,
}

/// Formats of loose events (what `append` frames into a log).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EventFormat {
    /// A JSON array of events.
    Json,
    /// Concatenated canonical binary events.
    Binary,
}

/// What a proof is made over: events, or the leaf hashes themselves.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProveFormat {
    /// A JSON array of events.
    Json,
    /// Concatenated canonical binary events.
    Binary,
    /// A framed `.omega` log (see docs/FORMATS.md).
    Omega,
    /// Leaf hashes as they are: 32 bytes each, in tree order (e.g. a log's leaves).
    Leaves,
}

#[derive(Subcommand, Debug)]
enum EcsCommand {
    /// Name where two runs differ: the first entity and component of two world
    /// snapshots (at their tick), or the first tick, entity and component of two `omega ecs` logs.
    Diff {
        /// First run: a snapshot (.omgw) or a log.
        a: PathBuf,
        /// Second run.
        b: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Step a world through one batch of events, as a node running `omega node --ecs`
    /// does (op 26): print what the batch did and its world line, "TICK HASH", for
    /// `omega certify --world`.
    Step {
        /// The world before the batch: a snapshot (.omgw, or an .omsn holding one) or a
        /// world config JSON for a genesis world (default: the default config).
        #[arg(long, value_name = "W")]
        world: Option<PathBuf>,
        /// The batch's events (the events it appends), or `-` for standard input
        /// (default: none; the world still moves one tick).
        #[arg(long, value_name = "FILE")]
        events: Option<String>,
        /// Events format.
        #[arg(long, value_enum, default_value = "json")]
        format: InputFormat,
        /// Write the world after the batch here (the next batch's --world).
        #[arg(long, value_name = "W.omgw")]
        out: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Reconcile a batch of events (any order) into one canonical history; print the result JSON.
    Reconcile {
        /// Events file, or `-` for standard input.
        #[arg(long, short)]
        input: String,
        /// A previous `ok` result (JSON), binary state or snapshot (.omsn) to extend.
        #[arg(long, value_name = "STATE")]
        prior: Option<PathBuf>,
        /// Input format.
        #[arg(long, value_enum, default_value = "json")]
        format: InputFormat,
        /// Where to write the crash bundle when the batch obstructs (default:
        /// <state>/omega/bundles/omega-bundle-<first 12 hex of the evidence hash>.omb,
        /// <state> being $OMEGA_STATE_DIR, else $XDG_STATE_HOME, else ~/.local/state).
        #[arg(long, value_name = "PATH", conflicts_with = "no_bundle")]
        bundle: Option<PathBuf>,
        /// Do not write a crash bundle on an obstruction.
        #[arg(long)]
        no_bundle: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Append events to a framed .omega log (created if absent), with fsync.
    Append {
        /// The log.
        #[arg(long, value_name = "L.omega")]
        log: PathBuf,
        /// Events file, or `-` for standard input.
        #[arg(long, short)]
        input: String,
        /// Input format (a log is not appended: its events are already framed).
        #[arg(long, value_enum, default_value = "json")]
        format: EventFormat,
        /// Also keep the C2SP tile store in DIR up to date (created if absent):
        /// the batch must extend the tiled history without obstruction.
        #[arg(long, value_name = "DIR")]
        tiles: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Write (or bring up to date) a log's C2SP tlog-tiles store: hash tiles,
    /// entry bundles and, with --cert, the signed checkpoint.
    Tiles {
        /// The log.
        #[arg(long, value_name = "L.omega")]
        log: PathBuf,
        /// The tile store folder (created if absent).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A certificate of this log: its signed note becomes DIR/checkpoint,
        /// once its size and root are checked against the tiles.
        #[arg(long, value_name = "CERT")]
        cert: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Check every frame of a log (memory-mapped) and print a JSON report; --repair cuts a damaged tail, --salvage keeps every intact frame.
    Ingest {
        /// The log.
        #[arg(long, short, value_name = "L.omega")]
        input: PathBuf,
        /// Cut a damaged tail (the bytes after the last valid frame, when no
        /// intact frame lies among them), keeping the cut bytes in
        /// `<log>.damaged`; refused, with nothing changed, when intact frames
        /// follow the damage.
        #[arg(long, conflicts_with = "salvage")]
        repair: bool,
        /// Rewrite the log with every intact frame (CRC and event valid), in
        /// order, and move every damaged span to `<log>.damaged`; frames after
        /// the damage get new indices.
        #[arg(long)]
        salvage: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Write a snapshot (the reconcile state, versioned and hashed) of a result or of a log.
    Snapshot {
        /// An ok result JSON, a binary state, or a snapshot.
        #[arg(long, value_name = "R.json", conflicts_with = "log")]
        state: Option<PathBuf>,
        /// A log to reconcile first (on top of --prior).
        #[arg(long, value_name = "L.omega")]
        log: Option<PathBuf>,
        /// The prior the log extends (with --log).
        #[arg(long, value_name = "STATE", requires = "log")]
        prior: Option<PathBuf>,
        /// The ECS world to keep with the state (OMGW, as `omega ecs --snapshot` writes it,
        /// or a snapshot holding one); a snapshot given as --state keeps its own otherwise.
        /// Alone (no --state or --log), a genesis snapshot: the empty history and this world.
        #[arg(long, value_name = "W.omgw")]
        world: Option<PathBuf>,
        /// Where to write the snapshot.
        #[arg(long, value_name = "S")]
        out: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Reapply a log on a snapshot and check the root and state hash against a certificate.
    Replay {
        /// The snapshot the log starts from (default: the empty history).
        #[arg(long, value_name = "S")]
        snapshot: Option<PathBuf>,
        /// The log.
        #[arg(long, value_name = "L.omega")]
        log: PathBuf,
        /// A certificate to check against; reports the first field that differs.
        /// Repeat it for a chain, oldest first: each certificate covers the log's
        /// events up to its tree size (the last, the rest of the log), one batch each.
        #[arg(long, value_name = "CERT")]
        cert: Vec<PathBuf>,
        /// A world to name where the replayed world departs from it: the first tick,
        /// entity and component (OMGW, or a snapshot holding one; e.g. the world
        /// the certifying node started from).
        #[arg(long, value_name = "W.omgw")]
        world: Option<PathBuf>,
        /// Flip one bit of the replayed world at the start of a tick,
        /// TICK:INDEX:GEN:COMPONENT:BIT (desync tests); the report names where the
        /// world departs from itself without the flip.
        #[arg(long, value_name = "SPEC")]
        inject: Option<String>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Write a deterministic sample history (the generator behind the demo and the benches).
    Sample {
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Nodes.
        #[arg(long, default_value_t = 4)]
        nodes: u32,
        /// Streams per node.
        #[arg(long, default_value_t = 3)]
        streams: u16,
        /// Events per (node, stream).
        #[arg(long, default_value_t = 250)]
        per_stream: u64,
        /// Payload bytes per event (at most 1,048,576, the readers' payload limit).
        #[arg(long, default_value_t = 32)]
        payload: usize,
        /// Shuffle with this seed (arrival order); omit to keep canonical order.
        #[arg(long)]
        shuffle: Option<u64>,
        /// Make the next batch of this history (an ok result JSON, a binary state or a
        /// snapshot): each stream continues after its head, every event after the frontier.
        #[arg(long, value_name = "STATE")]
        prior: Option<PathBuf>,
        /// Output format: json, binary, or an .omega log.
        #[arg(long, value_enum, default_value = "json")]
        format: InputFormat,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the fixed-point ECS world: a header line, one JSON line per tick, a summary line.
    #[command(args_conflicts_with_subcommands = true)]
    Ecs {
        #[command(subcommand)]
        command: Option<EcsCommand>,
        #[command(flatten)]
        run: ecs::RunArgs,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Run every golden vector on both engines and report any difference.
    Crosscheck {
        /// The vectors folder, holding manifest.json (default: tests/vectors of the current folder).
        #[arg(long, value_name = "DIR")]
        vectors: Option<PathBuf>,
        #[command(flatten)]
        blob: BlobArgs,
    },
    /// The headline workloads on both engines side by side: time per call, wasm/native ratio, throughput.
    ///
    /// Reconcile, Merkle root, inclusion proof (make and verify), proofs from
    /// the tiles of a tree ten times larger (inclusion and consistency), certificate
    /// verification (1 of 1 and 5 of 7), 1,001 raw Ed25519 signatures under 7
    /// keys (with fixed-base tables), framed-log ingest and ECS ticks (steady
    /// state: a run of one tick is the baseline); both engines must give
    /// identical bytes before anything is timed.
    Bench {
        /// A short run (100,000 events, 3 runs): about 15 seconds.
        #[arg(long)]
        quick: bool,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Events for reconcile, Merkle, proofs and ingest (default 1,000,000; 100,000 with --quick).
        #[arg(long, value_name = "N")]
        events: Option<u64>,
        /// Entities of the ECS world, three edges each.
        #[arg(long, value_name = "N", default_value_t = 100_000)]
        entities: u32,
        /// Timed runs per engine and workload (default 5; 3 with --quick).
        #[arg(long, value_name = "N")]
        runs: Option<usize>,
        /// Seed of every generated input.
        #[arg(long, value_name = "S", default_value_t = 2026)]
        seed: u64,
        #[command(flatten)]
        blob: BlobArgs,
    },
    /// The main job on an embedded sample: both engines, identical roots, then a tampered copy.
    Demo {
        #[command(flatten)]
        blob: BlobArgs,
    },
    /// Is this omega ready to run on both engines? The blob, its stamp and version, and a self-test.
    ///
    /// Names the blob it would load (where it was found, size, SHA-256), the stamp `cargo xtask
    /// blob` wrote beside it (the omega version and commit it was built from), the version the
    /// blob reports against this omega's, then runs an embedded golden vector natively and on the
    /// blob: both must give the same bytes. Reads no source tree; the developer's toolchain checks
    /// are `cargo xtask doctor`. Exit 0 when every row is ok or warn, 1 otherwise.
    Doctor {
        /// Print JSON ({"ok", "version", "checks": [{"part", "status", "detail", "fix"}]}) instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        blob: BlobArgs,
    },
    /// Make an Ed25519 signer key file (mode 600) and print its C2SP verifier key.
    Keygen {
        /// Key name (a schema-less URL such as example.com/node1; no spaces, no `+`).
        #[arg(long)]
        name: String,
        /// Where to write the signer key.
        #[arg(long, value_name = "KEYFILE")]
        out: PathBuf,
        /// Replace an existing key file.
        #[arg(long)]
        force: bool,
        /// Make a witness key (C2SP cosignature/v1, type 0x04) rather than a note key (0x01).
        #[arg(long)]
        witness: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Write a committee file (k of n verifier keys) and print its hash.
    Committee {
        /// Signatures a certificate needs (1 to the number of members).
        #[arg(long, value_name = "K")]
        threshold: u32,
        /// Where to write the committee JSON.
        #[arg(long, value_name = "C.json")]
        out: PathBuf,
        /// The members: signer key files (only their verifier key is used),
        /// files holding a verifier key, or verifier keys.
        #[arg(value_name = "MEMBER", required = true)]
        members: Vec<String>,
    },
    /// Certify a reconcile result (ok or obstruction) as a signed C2SP checkpoint.
    Certify {
        /// The result JSON `omega reconcile` printed.
        #[arg(long, value_name = "R.json")]
        result: PathBuf,
        /// The signer key file.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The log's origin line (usually the signer's name).
        #[arg(long, value_name = "NAME")]
        origin: String,
        /// The previous certificate this one extends (omit for genesis).
        #[arg(long, value_name = "CERT")]
        prev: Option<PathBuf>,
        /// A committee file to commit to (its hash goes into the checkpoint).
        #[arg(long, value_name = "C.json")]
        committee: Option<PathBuf>,
        /// The checkpoint's world line, "TICK HASH": the ECS world this batch drives, as
        /// `omega node --ecs` signs it (docs/FORMATS.md, "ECS batch").
        #[arg(long, value_name = "\"TICK HASH\"")]
        world: Option<String>,
        /// Where to write the certificate (binary OMGC form).
        #[arg(long, value_name = "CERT")]
        out: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Add a signature to a certificate (in place, or to --out).
    Cosign {
        /// The certificate (binary or note text).
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
        /// The signer key file.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// Write here instead of replacing CERT.
        #[arg(long, value_name = "CERT")]
        out: Option<PathBuf>,
        /// A witness key's cosignature time, POSIX seconds (default: now). Only for witness keys.
        #[arg(long, value_name = "SECONDS")]
        time: Option<u64>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Act as a C2SP witness: cosign a log's checkpoint once it is signed by
    /// a known log key and consistent with the largest tree this witness has
    /// seen of that log (kept in --state). Exit 0 cosigned, 1 refused (not
    /// signed, rolled back, a fork, or not consistent), 2 malformed.
    Witness {
        /// The witness key file (`omega keygen --witness`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The witness's state: the last tree cosigned per origin (JSON; created when missing).
        #[arg(long, value_name = "STATE")]
        state: PathBuf,
        /// A log's verifier key; the key name is the log's origin (repeat for several logs).
        #[arg(long = "log", value_name = "KEY", required = true)]
        logs: Vec<String>,
        /// The signed checkpoint (a file, or `-` for stdin).
        #[arg(long, value_name = "NOTE", default_value = "-")]
        input: String,
        /// The log's tile store, to prove the new tree consistent with the last one.
        #[arg(long, value_name = "DIR", conflicts_with = "proof")]
        tiles: Option<PathBuf>,
        /// A consistency proof from the last tree to this one (`omega prove --old-size` JSON).
        #[arg(long, value_name = "P.json")]
        proof: Option<PathBuf>,
        /// The cosignature's time, POSIX seconds (default: now).
        #[arg(long, value_name = "SECONDS")]
        time: Option<u64>,
        /// Write the cosigned note here instead of standard output.
        #[arg(long, value_name = "NOTE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Verify a certificate against a committee (and a chain back to genesis); JSON report.
    Verify {
        /// The certificate.
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
        /// The committee file: {"threshold": k, "members": ["<verifier key>", ...]}.
        #[arg(long, value_name = "C.json")]
        committee: PathBuf,
        /// The other certificates of the chain (any order).
        #[arg(long, value_name = "CERT", num_args = 1..)]
        chain: Vec<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Explain every field of a certificate in words (and, with a committee, why it is valid or not).
    Explain {
        /// The certificate.
        #[arg(long, value_name = "CERT", required_unless_present = "bundle", conflicts_with = "bundle")]
        cert: Option<PathBuf>,
        /// A crash bundle to reproduce and explain instead.
        #[arg(long, value_name = "B.omb")]
        bundle: Option<PathBuf>,
        /// A committee to judge it against.
        #[arg(long, value_name = "C.json")]
        committee: Option<PathBuf>,
        /// Print JSON instead of words.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// An RFC 9162 inclusion proof (--index) or consistency proof (--old-size) over a history.
    Prove {
        /// Events file, or `-` for standard input.
        #[arg(long, short, required_unless_present = "tiles", conflicts_with = "tiles")]
        input: Option<String>,
        /// Prove from a C2SP tile store instead (`omega tiles`): only the
        /// tiles the proof needs are read.
        #[arg(long, value_name = "DIR")]
        tiles: Option<PathBuf>,
        /// With --tiles: the tree size to prove in (default: the store's size).
        #[arg(long, value_name = "N", requires = "tiles")]
        size: Option<u64>,
        /// Input format.
        #[arg(long, value_enum, default_value = "json", conflicts_with = "tiles")]
        format: ProveFormat,
        /// Leaf index for an inclusion proof.
        #[arg(long, value_name = "I", conflicts_with = "old_size")]
        index: Option<u64>,
        /// Old tree size for a consistency proof.
        #[arg(long, value_name = "M")]
        old_size: Option<u64>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Verify a proof JSON that `omega prove` printed.
    VerifyProof {
        /// The proof JSON.
        #[arg(long, value_name = "P.json")]
        proof: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Publish events into a log's NATS JetStream stream (one message per event;
    /// re-sends are dropped by the stream's duplicate window). Waits for every ack.
    Publish {
        #[command(flatten)]
        nats: commands::cluster::NatsArgs,
        /// Events file, or `-` for standard input.
        #[arg(long, short)]
        input: String,
        /// Input format.
        #[arg(long, value_enum, default_value = "json")]
        format: InputFormat,
        /// Publishes awaiting their ack at once (1 to 65536).
        #[arg(long, value_name = "N", default_value_t = 4096, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65_536))]
        max_inflight: usize,
        /// Publish in the file's order instead of canonical (key) order.
        #[arg(long)]
        keep_order: bool,
        /// Send without a `Nats-Msg-Id`, so JetStream cannot drop a re-send: exactly what a
        /// re-send beyond the duplicate window looks like (for tests of re-sends beyond the window).
        #[arg(long, hide = true)]
        no_msg_id: bool,
        /// Keep re-sending events whose publish fails (no stream leader while a NATS cluster
        /// elects one, a server restarting) for up to this many seconds of failures in a row;
        /// each re-send carries the event's message id, so none is stored twice.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        retry_for: u64,
    },
    /// Publish one seal (a batch boundary) into a log's stream.
    Seal {
        #[command(flatten)]
        nats: commands::cluster::NatsArgs,
        /// Seals an event may wait for a missing predecessor or dependency before it obstructs.
        #[arg(long, value_name = "SEALS", default_value_t = commands::cluster::publish::DEFAULT_HORIZON, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        horizon: u32,
        /// Seals every event is held before it may be appended (covers producers running at different speeds).
        #[arg(long, value_name = "SEALS", default_value_t = commands::cluster::publish::DEFAULT_DELAY, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        delay: u32,
    },
    /// Run a cluster node: reconcile the log's stream batch by batch on this
    /// node's engine, co-sign checkpoints with the committee, store the quorum
    /// certificates in --data. Runs until SIGTERM or SIGINT; one JSON line per event.
    Node {
        #[command(flatten)]
        nats: commands::cluster::NatsArgs,
        /// This node's signer key file (from `omega keygen`).
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// The committee file (threshold and member keys).
        #[arg(long, value_name = "FILE")]
        committee: PathBuf,
        /// This node's folder (created if absent): its log, chain and cursor.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// The checkpoints' origin line (default: omega/<log>). Every node of a log must use the same.
        #[arg(long)]
        origin: Option<String>,
        /// Be a sealer: publish a seal after this many events since the last seal.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        seal_every: Option<u64>,
        /// Be a sealer: publish a seal this often (milliseconds) while events wait.
        #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
        seal_interval: Option<u64>,
        /// The horizon this node's seals carry (see `omega seal`).
        #[arg(long, value_name = "SEALS", default_value_t = commands::cluster::publish::DEFAULT_HORIZON, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        horizon: u32,
        /// The delay this node's seals carry (see `omega seal`).
        #[arg(long, value_name = "SEALS", default_value_t = commands::cluster::publish::DEFAULT_DELAY, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        delay: u32,
        /// Stream replicas, when this node creates the stream (a NATS cluster of at least as many servers).
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=5))]
        replicas: u64,
        /// Step an ECS world per batch from this genesis (a world config JSON
        /// `{"seed", "entities", "nodes", "edges_per_entity"}`, or a world snapshot as
        /// `omega ecs --snapshot` writes) and sign its tick and hash on each checkpoint's
        /// `omega-world` line. Every node of a log must give the same world.
        #[arg(long, value_name = "WORLD")]
        ecs: Option<PathBuf>,
        /// Keep a C2SP tile store of the node's log in DIR (docs/FORMATS.md,
        /// "Tiled log"), its checkpoint the newest quorum certificate.
        #[arg(long, value_name = "DIR")]
        tiles: Option<PathBuf>,
        /// Misbehave on purpose (for tests of dissent and fraud detection).
        #[arg(long, value_enum, hide = true)]
        fault: Option<commands::cluster::node::Fault>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Export a quorum-certified chain as `<height>.cert` files that
    /// `omega verify --cert LAST --chain ...` accepts; from a node's --data or from the stream.
    Chain {
        /// A node's folder to read the chain from.
        #[arg(long, value_name = "DIR", conflicts_with = "nats")]
        data: Option<PathBuf>,
        /// Read the certificates from the log's stream instead (with --log).
        #[arg(long, value_name = "URL", requires = "log")]
        nats: Option<String>,
        /// The log's name (with --nats).
        #[arg(long, value_name = "NAME")]
        log: Option<String>,
        /// The committee file.
        #[arg(long, value_name = "FILE")]
        committee: PathBuf,
        /// Where to write the certificates.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        auth: commands::cluster::NatsAuth,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// See the live cluster on this machine: a nats-server, three nodes (two
    /// native, one on the blob), a producer; prints the certificates as they form.
    ClusterDemo {
        /// Events to publish (rounded up to a multiple of 12).
        #[arg(long, value_name = "N", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        events: u64,
        /// Keep the server's store, the keys and the nodes' folders here (default: a temporary folder, removed).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// The blob for the third node (default: $OMEGA_BLOB, else the blob built into omega).
        #[arg(long, value_name = "PATH")]
        blob: Option<PathBuf>,
    },
    /// Check a double-signing proof (written by a node into DATA/fraud/) offline.
    VerifyFraud {
        /// The committee file.
        #[arg(long, value_name = "FILE")]
        committee: PathBuf,
        /// The proof (JSON with the two signed notes).
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Print a certificate's C2SP signed-note text (`--cert`), or check any
    /// signed note against verifier keys (`omega note verify`).
    #[command(args_conflicts_with_subcommands = true)]
    Note {
        #[command(subcommand)]
        action: Option<NoteCommand>,
        /// The certificate whose note text to print.
        #[arg(long, value_name = "CERT", required = true)]
        cert: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

#[derive(Subcommand, Debug)]
enum NoteCommand {
    /// Verify a C2SP signed note (any origin, not only omega's) against
    /// verifier keys, as Go's `note.Open` does: lines by other keys are
    /// ignored, a line by a given key that does not verify makes it invalid,
    /// and at least one given key must have signed. Exit 0 valid, 1 invalid,
    /// 2 malformed.
    ///
    /// With `--policy`, judge a checkpoint under a C2SP tlog-policy instead:
    /// signed by a listed log and cosigned by the policy's k-of-n quorum of
    /// witnesses.
    Verify {
        /// The signed note (a file, or `-` for stdin).
        #[arg(long, value_name = "NOTE", default_value = "-")]
        input: String,
        /// A verifier key, `name+hexid+base64` as `omega keygen` prints it (repeat for several).
        #[arg(long = "vkey", value_name = "KEY", required_unless_present = "policy", conflicts_with = "policy")]
        vkeys: Vec<String>,
        /// A C2SP tlog-policy file (`log`, `witness`, `group`, `quorum` lines).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Sign a C2SP signed note (or a bare text ending in a newline) and print
    /// it with the new line: a witness key adds a cosignature/v1, a note key
    /// an Ed25519 signature. The key's earlier lines are replaced.
    Sign {
        /// The note or text (a file, or `-` for stdin).
        #[arg(long, value_name = "NOTE", default_value = "-")]
        input: String,
        /// The signer key file.
        #[arg(long, value_name = "KEYFILE")]
        key: PathBuf,
        /// A witness key's cosignature time, POSIX seconds (default: now). Only for witness keys.
        #[arg(long, value_name = "SECONDS")]
        time: Option<u64>,
        /// Write the signed note here instead of standard output.
        #[arg(long, value_name = "NOTE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

/// Runs one op on the chosen engine (the wasm kernel is opened once per
/// process and reused; see `kernel`).
pub(crate) fn run_op(engine: &EngineArgs, op: Op, input: &[u8]) -> Result<Response> {
    kernel::run(engine, op, input)
}

pub(crate) fn read_input(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut v = Vec::new();
        std::io::stdin().read_to_end(&mut v).context("reading standard input")?;
        Ok(v)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read the input file {path}"))
    }
}

/// Prints an error body (JSON with code and message) as one human line on stderr.
pub(crate) fn report_error(body: &[u8]) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v.get("code").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let msg = v.get("message").and_then(serde_json::Value::as_str).unwrap_or("unknown error");
    eprintln!("omega: error {code}: {msg}");
}

pub(crate) fn exit_for(resp: &Response) -> ExitCode {
    match resp.status {
        abi::STATUS_OK => ExitCode::SUCCESS,
        abi::STATUS_OBSTRUCTION => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

fn main() -> ExitCode {
    guard::install();
    let cli = Cli::parse();
    // a closed stdout ends a one-shot command quietly; a node keeps running and reports it
    if !matches!(cli.command, Command::Node { .. }) {
        guard::default_sigpipe();
    }
    let result = match &cli.command {
        Command::Reconcile { input, prior, format, bundle, no_bundle, engine } => {
            commands::reconcile::run(input, prior.as_deref(), *format, (!*no_bundle).then_some(bundle.as_deref()), engine)
        }
        Command::Crosscheck { vectors, blob } => commands::crosscheck::run(vectors.as_deref(), blob),
        Command::Demo { blob } => demo::run(blob),
        Command::Doctor { json, blob } => doctor::run(*json, blob),
        Command::Bench { quick, json, events, entities, runs, seed, blob } => {
            let mut o = if *quick { bench::Options::quick(*seed) } else { bench::Options::full(*seed) };
            o.json = *json;
            o.entities = *entities;
            if let Some(n) = events {
                o.events = *n;
            }
            if let Some(r) = runs {
                o.runs = (*r).max(1);
            }
            bench::run(&o, blob.load())
        }
        Command::Keygen { name, out, force, witness, engine } => certify::keygen(name, out, *force, *witness, engine),
        Command::Committee { threshold, out, members } => certify::committee(*threshold, members, out),
        Command::Certify { result, key, origin, prev, committee, world, out, engine } => {
            certify::certify(result, key, origin, prev.as_deref(), committee.as_deref(), world.as_deref(), out, engine)
        }
        Command::Cosign { cert, key, out, time, engine } => certify::cosign(cert, key, out.as_deref(), *time, engine),
        Command::Witness { key, state, logs, input, tiles, proof, time, out, engine } => witness::run(
            &witness::Args { key, state, logs, input, tiles: tiles.as_deref(), proof: proof.as_deref(), time: *time, out: out.as_deref() },
            engine,
        ),
        Command::Verify { cert, committee, chain, engine } => certify::verify(cert, committee, chain, engine),
        Command::Explain { cert, bundle, committee, json, engine } => match (cert, bundle) {
            (_, Some(b)) => log::explain_bundle(b, *json, engine),
            (Some(c), None) => certify::explain(c, committee.as_deref(), *json, engine),
            (None, None) => Err(anyhow!("give --cert or --bundle")),
        },
        Command::Ecs { command: Some(EcsCommand::Diff { a, b, engine }), .. } => ecs::diff(a, b, engine),
        Command::Ecs { command: Some(EcsCommand::Step { world, events, format, out, engine }), .. } => {
            ecs::step(world.as_deref(), events.as_deref(), *format, out.as_deref(), engine)
        }
        Command::Ecs { command: None, run, engine } => ecs::ecs(run, engine),
        Command::Append { log: l, input, format, tiles, engine } => log::append(l, input, *format == EventFormat::Binary, tiles.as_deref(), engine),
        Command::Tiles { log: l, out, cert, engine } => commands::tiles::tiles_cmd(l, out, cert.as_deref(), engine),
        Command::Ingest { input, repair, salvage, engine } => {
            let fix = match (repair, salvage) {
                (true, _) => log::Fix::Repair,
                (_, true) => log::Fix::Salvage,
                _ => log::Fix::None,
            };
            log::ingest(input, fix, engine)
        }
        Command::Sample { seed, nodes, streams, per_stream, payload, shuffle, prior, format, out } => {
            let shape = omega_core::event::sample::Shape { nodes: *nodes, streams: *streams, per_stream: *per_stream, payload: *payload };
            log::sample(*seed, shape, *shuffle, prior.as_deref(), *format, out)
        }
        Command::Snapshot { state, log: l, prior, world, out, engine } => {
            log::snapshot(state.as_deref(), l.as_deref(), prior.as_deref(), world.as_deref(), out, engine)
        }
        Command::Replay { snapshot, log: l, cert, world, inject, engine } => log::replay(snapshot.as_deref(), l, cert, world.as_deref(), inject.as_deref(), engine),
        Command::Prove { input, tiles, size, format, index, old_size, engine } => match (input, tiles) {
            (_, Some(dir)) => commands::tiles::prove(dir, *index, *old_size, *size, engine),
            (Some(input), None) => certify::prove(input, *format, *index, *old_size, engine),
            (None, None) => Err(anyhow::anyhow!("give --input EVENTS or --tiles DIR")),
        },
        Command::VerifyProof { proof, engine } => certify::verify_proof(proof, engine),
        Command::Note { action: Some(NoteCommand::Verify { input, vkeys, policy, engine }), .. } => match policy {
            Some(p) => certify::policy_verify(input, p, engine),
            None => certify::note_verify(input, vkeys, engine),
        },
        Command::Note { action: Some(NoteCommand::Sign { input, key, time, out, engine }), .. } => {
            certify::note_sign(input, key, *time, out.as_deref(), engine)
        }
        Command::Note { action: None, cert: Some(cert), engine } => certify::note(cert, engine),
        Command::Publish { nats, input, format, max_inflight, keep_order, no_msg_id, retry_for } => {
            commands::cluster::publish::publish(nats, input, *format, *max_inflight, *keep_order, *no_msg_id, *retry_for)
        }
        Command::Seal { nats, horizon, delay } => commands::cluster::publish::seal(nats, *horizon, *delay),
        Command::Node { nats, key, committee, data, origin, seal_every, seal_interval, horizon, delay, replicas, ecs, tiles, fault, engine } => {
            commands::cluster::node::run(commands::cluster::node::Options {
                nats: nats.clone(),
                key: key.clone(),
                committee: committee.clone(),
                data: data.clone(),
                engine: engine.clone(),
                origin: origin.clone(),
                seal_every: *seal_every,
                seal_interval: *seal_interval,
                horizon: *horizon,
                delay: *delay,
                replicas: usize::try_from(*replicas).unwrap_or(1),
                ecs: ecs.clone(),
                tiles: tiles.clone(),
                fault: *fault,
            })
        }
        Command::Chain { data, nats, log: l, committee, out, auth, engine } => match (data, nats, l) {
            (Some(d), _, _) => commands::cluster::chain::export(commands::cluster::chain::Source::Data(d), committee, out, engine),
            (None, Some(url), Some(l)) => {
                let a = commands::cluster::NatsArgs { nats: url.clone(), log: l.clone(), auth: auth.clone() };
                commands::cluster::chain::export(commands::cluster::chain::Source::Nats(&a), committee, out, engine)
            }
            _ => Err(anyhow!("give --data DIR, or --nats URL --log NAME")),
        },
        Command::ClusterDemo { events, keep, blob } => commands::cluster::demo::run(*events, keep.as_deref(), blob.as_deref()),
        Command::VerifyFraud { committee, proof, engine } => commands::cluster::chain::verify_fraud(committee, proof, engine),
        Command::Note { action: None, cert: None, .. } => Err(anyhow::anyhow!("give --cert CERT, or `omega note verify`")),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("omega: {e:#}");
            ExitCode::from(2)
        }
    }
}
