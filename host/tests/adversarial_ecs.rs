//! Issue 12, items 7, 8, 9 and two of 13, end to end on both engines: a
//! hostile world snapshot, a world shape too large to build, sample shapes
//! the readers would refuse, `ecs --from`'s header and `ecs --nodes 0`.
//!
//! Every run has a deadline: if a fix regresses, the process that would
//! spend gigabytes or minutes is killed after 20 s (plus the blob's load
//! time on the wasm engine, whose memory the host bounds) and the test
//! fails, instead of eating the machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::{engines, tmp};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a run may take beyond starting its engine.
const DEADLINE: Duration = Duration::from_secs(20);

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// The deadline of a run on `engine`: [`DEADLINE`], plus three times what
/// loading the blob takes on this machine for the wasm engine (compiling it
/// with an unoptimised wasmtime can take half a minute). A regressed wasm run
/// cannot eat the machine anyway: the host bounds its memory.
fn deadline(engine: &str) -> Duration {
    static STARTUP: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    if engine != "wasm" {
        return DEADLINE;
    }
    let startup = *STARTUP.get_or_init(|| {
        let dir = tmp("startup");
        let t = Instant::now();
        let r = run(&dir, &["ecs", "--entities", "0", "--ticks", "0", "--quiet", "--engine", "wasm"], Duration::from_secs(600));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        t.elapsed()
    });
    DEADLINE + startup * 3
}

/// Runs `omega args` in `dir` on `engine` (the args name it, if it matters),
/// killed (and the test failed) after its [`deadline`]. Output goes to
/// files, so a chatty process never blocks on a full pipe.
fn omega(dir: &Path, args: &[&str]) -> Run {
    let engine = args.iter().position(|a| *a == "--engine").and_then(|i| args.get(i + 1)).copied().unwrap_or("native");
    run(dir, args, deadline(engine))
}

fn run(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let (out, err) = (dir.join(".stdout"), dir.join(".stderr"));
    // OMEGA_TEST_BIN runs these checks against another build (e.g. one from before the fixes)
    let bin = common::bin();
    let bin = bin.as_str();
    let native = !args.windows(2).any(|w| w == ["--engine", "wasm"]);
    // Native runs get 4 GB of address space and ~200 MB of file: a regression
    // dies of a failed allocation (or SIGXFSZ) in moments instead of eating
    // the machine. (wasmtime reserves more address space than that, and the
    // host bounds the blob's memory anyway.)
    let mut cmd = if native {
        let mut c = Command::new("sh");
        c.args(["-c", "ulimit -v 4000000 && ulimit -f 400000 && exec \"$0\" \"$@\"", bin]);
        c
    } else {
        Command::new(bin)
    };
    let mut child = cmd
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("run omega");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("omega {args:?} still running after {limit:?}: killed (a limit is not enforced up front)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { code: status.code(), stdout: std::fs::read(&out).unwrap(), stderr: String::from_utf8_lossy(&std::fs::read(&err).unwrap()).into_owned() }
}

fn lines(r: &Run) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&r.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Asserts a refusal: exit 2 and `omega: error CODE: ...` naming every `needle`.
fn refused(r: &Run, code: u16, needles: &[&str], what: &str) {
    assert_eq!(r.code, Some(2), "{what}: exit {:?}, stderr: {}", r.code, r.stderr);
    assert!(r.stderr.contains(&format!("omega: error {code}: ")), "{what}: {}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "{what}: `{n}` not in: {}", r.stderr);
    }
}

/// Item 7: an empty world's snapshot (97 bytes in OMGW version 1, 139 in
/// version 2) claiming 4,294,967,295 topology nodes. Before
/// the fix, restoring it succeeded and the first tick asked for a 16 GiB table
/// (native SIGABRT or 7.5 s a tick; wasm trap).
#[test]
fn a_hostile_snapshot_with_4_billion_nodes_is_refused_on_both_engines() {
    let dir = tmp("nodes");
    let r = omega(&dir, &["ecs", "--entities", "0", "--nodes", "1", "--ticks", "0", "--quiet", "--snapshot", "tiny.omgw"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut snap = std::fs::read(dir.join("tiny.omgw")).unwrap();
    assert_eq!(snap.len(), 139, "an empty world's snapshot");
    // "OMGW" | 2 | tick u64 | seed u64 | rng u64 | nodes u32 ...
    assert_eq!(&snap[29..33], &1u32.to_be_bytes());
    snap[29..33].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(dir.join("hostile.omgw"), &snap).unwrap();
    let mut messages = Vec::new();
    for e in engines() {
        let r = omega(&dir, &["ecs", "--from", "hostile.omgw", "--ticks", "1", "--engine", e]);
        refused(&r, 4005, &["4294967295", "1048576"], &format!("ecs --from on {e}"));
        messages.push(r.stderr.clone());
    }
    let r = omega(&dir, &["ecs", "diff", "hostile.omgw", "tiny.omgw"]);
    refused(&r, 4005, &["A: world too large"], "ecs diff");
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "both engines refuse identically: {messages:?}");
}

/// Item 8: every field within its range, and about 97 GB at the peak of a run. Before the
/// fix: native SIGABRT (or minutes of swapping), wasm trap after 10 s.
#[test]
fn a_world_too_large_to_build_is_refused_up_front_with_the_number() {
    let dir = tmp("huge");
    let mut messages = Vec::new();
    for e in engines() {
        let r = omega(&dir, &["ecs", "--entities", "10000000", "--edges-per-entity", "64", "--ticks", "1", "--engine", e]);
        refused(&r, 4005, &["needs about 96.9 GB", "the limit is 1.8 GB"], &format!("80 GB world on {e}"));
        assert!(r.stdout.is_empty(), "a refused run prints no header: {}", String::from_utf8_lossy(&r.stdout));
        messages.push(r.stderr.clone());
    }
    // the largest entity count alone is within its range but not within the budget either
    let r = omega(&dir, &["ecs", "--entities", "10000000", "--edges-per-entity", "0", "--ticks", "1"]);
    refused(&r, 4005, &["needs about 15.0 GB"], "10M entities");
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "both engines refuse identically: {messages:?}");
}

/// Item 13: `--nodes 0` used to run silently with 1 node.
#[test]
fn nodes_0_is_refused_not_silently_1() {
    let dir = tmp("nodes0");
    for e in engines() {
        let r = omega(&dir, &["ecs", "--nodes", "0", "--entities", "10", "--ticks", "1", "--engine", e]);
        refused(&r, 4002, &["`nodes` must be an integer from 1 to 1048576"], &format!("--nodes 0 on {e}"));
    }
    let r = omega(&dir, &["ecs", "--nodes", "1048577", "--entities", "10", "--ticks", "1"]);
    refused(&r, 4002, &["`nodes`"], "--nodes 2^20+1");
}

/// Item 13: `ecs --from S` printed the default seed, entities and nodes in its
/// header line instead of the snapshot's.
#[test]
fn from_prints_the_snapshots_seed_entities_and_nodes() {
    let dir = tmp("from");
    let r = omega(&dir, &["ecs", "--seed", "9", "--entities", "20", "--nodes", "3", "--ticks", "5", "--quiet", "--snapshot", "s5.omgw"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for e in engines() {
        let r = omega(&dir, &["ecs", "--from", "s5.omgw", "--ticks", "2", "--engine", e]);
        assert_eq!(r.code, Some(0), "{e}: {}", r.stderr);
        let l = lines(&r);
        let h = &l[0];
        assert_eq!((h["seed"].as_u64(), h["entities"].as_u64(), h["nodes"].as_u64()), (Some(9), Some(20), Some(3)), "{e}: {h}");
        assert_eq!(h["start_tick"], 5, "{e}: {h}");
        assert_eq!(l[1]["tick"], 6, "{e}");
    }
}

/// Item 9: sample shapes whose events the readers refuse, or too large to
/// build, are refused before anything is written (exit 2, error 4101).
#[test]
fn sample_refuses_shapes_the_readers_refuse_before_writing() {
    let dir = tmp("sample");
    let one = ["--nodes", "1", "--streams", "1", "--per-stream", "2"];
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["--per-stream", "1000000000000"], "the limit is 1000000000"),
        (vec!["--payload", "1000000000000"], "the event payload limit of 1048576 bytes"),
        // used to write a log omega itself then called damaged (3807)
        ([&one[..], &["--payload", "2000000", "--format", "omega"]].concat(), "the event payload limit of 1048576 bytes"),
        ([&one[..], &["--payload", "1048577", "--format", "binary"]].concat(), "the event payload limit"),
        (vec!["--nodes", "1", "--streams", "1", "--per-stream", "70000", "--payload", "1000000", "--format", "binary"], "the limit is 68719476736"),
        // shuffling holds the whole history: its memory is bounded too
        (vec!["--per-stream", "10000000", "--payload", "200", "--shuffle", "1"], "write it unshuffled"),
    ];
    for (args, needle) in cases {
        let out = dir.join("out.bin");
        let _ = std::fs::remove_file(&out);
        let mut a = vec!["sample", "--out", "out.bin"];
        a.extend_from_slice(&args);
        let r = omega(&dir, &a);
        refused(&r, 4101, &[needle], &format!("sample {args:?}"));
        assert!(!out.exists(), "sample {args:?} wrote a file before refusing");
    }
    // the largest payload the readers take is written and read back by ingest, on both engines
    let r = omega(&dir, &["sample", "--out", "max.omega", "--nodes", "1", "--streams", "1", "--per-stream", "2", "--payload", "1048576", "--format", "omega"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for e in engines() {
        let r = omega(&dir, &["ingest", "--input", "max.omega", "--engine", e]);
        assert_eq!(r.code, Some(0), "{e}: a sample omega writes, omega reads: {}", r.stderr);
    }
}

/// The streaming writer gives the bytes the in-memory one gave: the golden
/// demo sample (shuffled) and an unshuffled history in every format.
#[test]
fn sample_streams_the_same_bytes() {
    let dir = tmp("sample-bytes");
    let r = omega(&dir, &["sample", "--seed", "2026", "--shuffle", "11", "--format", "json", "--out", "demo.json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/reconcile/demo-sample.in.json");
    assert_eq!(std::fs::read(dir.join("demo.json")).unwrap(), std::fs::read(golden).unwrap());
    let shape = omega_core::event::sample::Shape { nodes: 3, streams: 2, per_stream: 7, payload: 13 };
    let events = omega_core::event::sample::history(5, shape);
    let mut binary = Vec::new();
    for e in &events {
        e.encode_into(&mut binary);
    }
    let framed = omega_core::event::frame::encode_log(&events);
    let json = omega_core::api::json::events_to_json(&events);
    for (format, want) in [("binary", binary), ("omega", framed), ("json", json)] {
        let r = omega(&dir, &["sample", "--seed", "5", "--nodes", "3", "--streams", "2", "--per-stream", "7", "--payload", "13", "--format", format, "--out", "s.out"]);
        assert_eq!(r.code, Some(0), "{format}: {}", r.stderr);
        assert_eq!(std::fs::read(dir.join("s.out")).unwrap(), want, "{format}");
    }
    let r = omega(&dir, &["sample", "--nodes", "0", "--format", "json", "--out", "empty.json"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.join("empty.json")).unwrap(), omega_core::api::json::events_to_json(&[]));
}
