//! Hostile inputs against the framed log and the engines (issue 12): repair
//! never cuts intact frames, salvage keeps every one and sets damage aside,
//! concurrent appends and creations all land, pipes are read (not taken for
//! empty), a log truncated under the map is a clear error (never SIGBUS),
//! the blob's traps say what bound was reached, and the smaller promises
//! (exit 1 for an obstruction whose bundle could not be written, a snapshot
//! as a prior anywhere, no `--repair` advice for a header it cannot fix).
//! Every case on both engines where the command takes `--engine`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::{code, engines, err, json, omega, s, tmp, vectors};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A log of `n` events (one node, one stream) and the byte offset where each frame starts.
fn log_of(dir: &Path, n: u64) -> (Vec<u8>, Vec<usize>) {
    let p = dir.join(format!("sample-{n}.omega"));
    let o = omega(&["sample", "--nodes", "1", "--streams", "1", "--per-stream", &n.to_string(), "--payload", "20", "--format", "omega", "--out", s(&p)]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let bytes = std::fs::read(&p).unwrap();
    let mut starts = Vec::new();
    let mut at = 16;
    while at < bytes.len() {
        starts.push(at);
        at += 8 + u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    assert_eq!((at, starts.len() as u64), (bytes.len(), n));
    (bytes, starts)
}

fn ingest(log: &Path, engine: &str, extra: &[&str]) -> Output {
    let mut args = vec!["ingest", "--input", s(log), "--engine", engine];
    args.extend_from_slice(extra);
    omega(&args)
}

#[test]
fn repair_never_cuts_intact_frames_and_salvage_keeps_every_one() {
    let dir = tmp("repair");
    let (clean, starts) = log_of(&dir, 100);
    let log = dir.join("l.omega");
    // One flipped bit inside frame 2's event bytes (the issue's case), and a
    // length field of frame 2 that now runs past the end (reported as torn).
    let mut crc_bad = clean.clone();
    crc_bad[starts[2] + 20] ^= 0x04;
    let mut len_bad = clean.clone();
    len_bad[starts[2] + 1] = 0x1f;
    for (what, damaged) in [("crc", &crc_bad), ("length", &len_bad)] {
        for e in engines() {
            std::fs::write(&log, damaged).unwrap();
            let o = ingest(&log, e, &[]);
            assert_eq!(code(&o), 1, "{what} {e}");
            let r = json(&o);
            assert_eq!(r["frames"], 2, "{what} {e}");
            assert_eq!(r["first_bad_offset"], starts[2], "{what} {e}");
            assert_eq!(r["after_damage"]["intact_frames"], 97, "{what} {e}: {r}");
            assert_eq!(r["after_damage"]["damaged_bytes"], starts[3] - starts[2], "{what} {e}: {r}");
            // --repair refuses, changing nothing
            let o = ingest(&log, e, &["--repair"]);
            assert_eq!(code(&o), 2, "{what} {e}: {}", err(&o));
            assert!(err(&o).contains("97 intact frame(s) follow") && err(&o).contains("--salvage"), "{}", err(&o));
            assert_eq!(&std::fs::read(&log).unwrap(), damaged, "{what} {e}: --repair changed the log");
            assert!(!dir.join("l.omega.damaged").exists());
            // --salvage keeps the 99 intact frames in order and the damaged bytes beside
            let o = ingest(&log, e, &["--salvage"]);
            assert_eq!(code(&o), 0, "{what} {e}: {}", err(&o));
            let r = json(&o);
            assert_eq!(r["status"], "salvaged");
            assert_eq!(r["salvaged"]["kept_frames"], 99);
            assert_eq!(r["salvaged"]["damaged_spans"], serde_json::json!([{ "offset": starts[2], "bytes": starts[3] - starts[2] }]));
            let side = dir.join("l.omega.damaged");
            assert_eq!(r["salvaged"]["saved_to"], s(&side));
            assert_eq!(std::fs::read(&side).unwrap(), damaged[starts[2]..starts[3]]);
            let mut want = clean[..starts[2]].to_vec();
            want.extend_from_slice(&clean[starts[3]..]);
            assert_eq!(std::fs::read(&log).unwrap(), want, "{what} {e}: the salvaged log is the clean one without frame 2");
            let r = json(&ingest(&log, e, &[]));
            assert_eq!((r["status"].as_str(), r["frames"].as_u64()), (Some("clean"), Some(99)));
            std::fs::remove_file(&side).unwrap();
        }
    }
}

#[test]
fn repair_cuts_a_torn_or_garbled_tail_and_keeps_the_cut_bytes() {
    let dir = tmp("tail");
    let (clean, starts) = log_of(&dir, 20);
    let log = dir.join("t.omega");
    let mut garbled = clean.clone();
    garbled.extend_from_slice(&[0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    let torn = clean[..clean.len() - 7].to_vec();
    for (what, damaged, kept) in [("torn", &torn, starts[19]), ("garbled", &garbled, clean.len())] {
        for e in engines() {
            std::fs::write(&log, damaged).unwrap();
            let r = json(&ingest(&log, e, &[]));
            assert_eq!(r["after_damage"]["intact_frames"], 0, "{what} {e}: {r}");
            let o = ingest(&log, e, &["--repair"]);
            assert_eq!(code(&o), 0, "{what} {e}: {}", err(&o));
            let r = json(&o);
            assert_eq!(r["status"], "repaired");
            assert_eq!(r["repaired"]["truncated_to"], kept);
            assert_eq!(std::fs::read(&log).unwrap(), damaged[..kept], "{what} {e}");
            let side = dir.join("t.omega.damaged");
            assert_eq!(std::fs::read(&side).unwrap(), damaged[kept..], "{what} {e}: the cut bytes are kept");
            std::fs::remove_file(&side).unwrap();
        }
    }
}

#[test]
fn a_zero_byte_or_header_torn_log_can_be_appended_to_and_repaired() {
    let dir = tmp("header");
    let batch = vectors().join("reconcile/small-shuffled-with-duplicates.in.json");
    let (clean, _) = log_of(&dir, 3);
    let log = dir.join("h.omega");
    for prefix in [0usize, 1, 7, 15] {
        std::fs::write(&log, &clean[..prefix]).unwrap();
        let o = omega(&["append", "--log", s(&log), "--input", s(&batch)]);
        assert_eq!(code(&o), 0, "{prefix}: {}", err(&o));
        assert_eq!(json(&o)["created"], true);
        for e in engines() {
            let r = json(&ingest(&log, e, &[]));
            assert_eq!((r["status"].as_str(), r["frames"].as_u64()), (Some("clean"), Some(8)), "{prefix} {e}");
        }
        if prefix > 0 {
            for e in engines() {
                std::fs::write(&log, &clean[..prefix]).unwrap();
                let o = ingest(&log, e, &["--repair"]);
                assert_eq!(code(&o), 0, "{prefix} {e}: {}", err(&o));
                assert_eq!(std::fs::read(&log).unwrap(), clean[..16], "{prefix} {e}: a whole header, no frame");
            }
        }
    }
    // Bytes that are not the start of an omega header: neither appended to nor "repaired".
    let foreign = b"hello, world".to_vec();
    std::fs::write(&log, &foreign).unwrap();
    let o = omega(&["append", "--log", s(&log), "--input", s(&batch)]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3803") && err(&o).contains("not an omega log"), "{}", err(&o));
    for e in engines() {
        let o = ingest(&log, e, &["--repair"]);
        assert_eq!(code(&o), 2, "{e}");
        assert!(!err(&o).contains("--repair"), "no advice to run what just refused: {}", err(&o));
    }
    assert_eq!(std::fs::read(&log).unwrap(), foreign, "untouched");
}

#[test]
fn concurrent_appends_and_creations_all_land() {
    let dir = tmp("race");
    // Before the fix about one round in 40 of six racing creations lost a
    // batch or failed; 150 rounds catch that almost surely (a few seconds).
    for round in 0..150 {
        let log = dir.join(format!("r{round}.omega"));
        let kids: Vec<_> = (0..6u32)
            .map(|i| {
                let b = dir.join(format!("b{round}-{i}.json"));
                std::fs::write(&b, format!(r#"[{{"lamport": 1, "node": {i}, "stream": 0, "seq": 0}}]"#)).unwrap();
                Command::new(common::bin())
                    .args(["append", "--log", s(&log), "--input", s(&b)])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut created = 0;
        for k in kids {
            let o = k.wait_with_output().unwrap();
            assert_eq!(code(&o), 0, "round {round}: {}", err(&o));
            created += usize::from(json(&o)["created"] == true);
        }
        assert_eq!(created, 1, "round {round}: exactly one process created the log");
        let r = json(&omega(&["ingest", "--input", s(&log)]));
        assert_eq!((r["status"].as_str(), r["frames"].as_u64()), (Some("clean"), Some(6)), "round {round}");
    }
}

#[test]
fn pipes_and_non_regular_files_are_read_not_taken_for_empty() {
    let dir = tmp("pipe");
    let (clean, _) = log_of(&dir, 30);
    for e in engines() {
        for args in [
            vec!["ingest", "--input", "/dev/stdin", "--engine", e],
            vec!["reconcile", "--format", "omega", "--input", "/dev/stdin", "--engine", e],
        ] {
            let mut k = Command::new(common::bin())
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = k.stdin.take().unwrap();
            let bytes = clean.clone();
            let feeder = std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            });
            let o = k.wait_with_output().unwrap();
            feeder.join().unwrap();
            assert_eq!(code(&o), 0, "{args:?}: {}", err(&o));
            let r = json(&o);
            let n = r.get("frames").or_else(|| r.get("tree_size")).and_then(serde_json::Value::as_u64);
            assert_eq!(n, Some(30), "{args:?}: {r}");
        }
    }
}

#[test]
fn a_log_truncated_while_it_is_mapped_is_error_3808_never_a_signal() {
    let dir = tmp("sigbus");
    // A large log (about 96 MB): one 1,000-byte-payload frame repeated
    // (ingest checks frames, not history).
    let seed = dir.join("seed.omega");
    let o = omega(&["sample", "--nodes", "1", "--streams", "1", "--per-stream", "1", "--payload", "1000", "--format", "omega", "--out", s(&seed)]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let small = std::fs::read(&seed).unwrap();
    let master = dir.join("master.omega");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&master).unwrap());
        f.write_all(&small[..16]).unwrap();
        for _ in 0..(96 << 20) / (small.len() - 16) {
            f.write_all(&small[16..]).unwrap();
        }
    }
    // The file is mapped from just after start-up until the scan ends
    // (natively about 10 ms here) or, on the wasm engine, until it is copied
    // into the blob after the blob is compiled (tens of ms). Cut it at
    // several moments in that span, on both engines.
    let log = dir.join("big.omega");
    let mut hits = Vec::new();
    for e in engines() {
        for delay_ms in [1u64, 3, 5, 8, 12, 18, 25, 35, 50] {
            std::fs::copy(&master, &log).unwrap();
            let k = Command::new(common::bin())
                .args(["ingest", "--input", s(&log), "--engine", e])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(1000).unwrap();
            let o = k.wait_with_output().unwrap();
            // Whatever the timing: an exit code (0 if it was read whole first, 1 for a
            // damaged report if cut before it was mapped, 2 for 3808), never a signal.
            let c = code(&o);
            assert!(c == 0 || c == 1 || c == 2, "{e} at {delay_ms} ms: exit {c}: {}", err(&o));
            if c == 2 {
                assert!(err(&o).contains("error 3808"), "{}", err(&o));
                hits.push((e, delay_ms));
            }
        }
    }
    assert!(!hits.is_empty(), "no attempt truncated the log while it was mapped; the timing of this test needs a look");
    eprintln!("3808 at (engine, ms): {hits:?}");
}

#[test]
fn blob_traps_say_which_bound_and_bad_bounds_are_refused() {
    if !engines().contains(&"wasm") {
        return;
    }
    let input = vectors().join("reconcile/demo-sample.in.json");
    let o = omega(&["reconcile", "--input", s(&input), "--engine", "wasm", "--fuel", "100000"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("ran out of fuel (100000 units)") && !err(&o).contains("omega_free"), "{}", err(&o));
    for bad in ["0", "4097", "17592186044416"] {
        let o = omega(&["reconcile", "--input", s(&input), "--engine", "wasm", "--max-memory-mib", bad]);
        assert_eq!(code(&o), 2, "{bad}");
        assert!(err(&o).contains("--max-memory-mib"), "{bad}: {}", err(&o));
    }
    let o = omega(&["reconcile", "--input", s(&input), "--engine", "wasm", "--fuel", "0"]);
    assert_eq!(code(&o), 2);
    // A memory bound the work needs more than: said in MiB, not as a bare trap.
    let dir = tmp("mem");
    let big = dir.join("big.json");
    let o = omega(&["sample", "--per-stream", "4000", "--payload", "200", "--out", s(&big)]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega(&["reconcile", "--input", s(&big), "--engine", "wasm", "--max-memory-mib", "24"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("memory bound of 24 MiB"), "{}", err(&o));
}

#[test]
fn an_obstruction_exits_1_even_when_its_bundle_cannot_be_written() {
    let bad = vectors().join("reconcile/code-1002-id-conflict.in.json");
    for e in engines() {
        let o = omega(&["reconcile", "--input", s(&bad), "--engine", e, "--bundle", "/nonexistent-dir/b.omb"]);
        assert_eq!(code(&o), 1, "{e}: {}", err(&o));
        assert_eq!(json(&o)["status"], "obstruction");
        assert!(err(&o).contains("crash bundle was not written"), "{}", err(&o));
    }
}

#[test]
fn a_snapshot_is_a_prior_for_every_format_and_header_errors_do_not_advise_repair() {
    let dir = tmp("prior");
    let b1 = vectors().join("reconcile/small-shuffled-with-duplicates.in.json");
    let r1 = omega(&["reconcile", "--input", s(&b1)]);
    assert_eq!(code(&r1), 0);
    std::fs::write(dir.join("r1.json"), &r1.stdout).unwrap();
    let snap = dir.join("s1.omsn");
    assert_eq!(code(&omega(&["snapshot", "--state", s(&dir.join("r1.json")), "--out", s(&snap)])), 0);
    let b2 = dir.join("b2.json");
    std::fs::write(&b2, br#"[{"lamport": 40, "node": 7, "stream": 0, "seq": 0, "payload": "aGk="}]"#).unwrap();
    let bin = dir.join("b2.bin");
    std::fs::write(&bin, b"").unwrap();
    for e in engines() {
        let want = omega(&["reconcile", "--input", s(&b2), "--prior", s(&dir.join("r1.json")), "--engine", e]);
        assert_eq!(code(&want), 0);
        let got = omega(&["reconcile", "--input", s(&b2), "--prior", s(&snap), "--engine", e]);
        assert_eq!(code(&got), 0, "{e}: {}", err(&got));
        assert_eq!(got.stdout, want.stdout, "{e}: a snapshot prior is the state it holds");
        let got = omega(&["reconcile", "--format", "binary", "--input", s(&bin), "--prior", s(&snap), "--engine", e]);
        assert_eq!(code(&got), 0, "{e}: {}", err(&got));
        assert_eq!(json(&got)["tree_size"], json(&want)["prior_tree_size"]);
        // a damaged snapshot as a prior: its own code, 3901
        let mut broken = std::fs::read(&snap).unwrap();
        let last = broken.len() - 1;
        broken[last] ^= 1;
        std::fs::write(dir.join("broken.omsn"), &broken).unwrap();
        let o = omega(&["reconcile", "--input", s(&b2), "--prior", s(&dir.join("broken.omsn")), "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("error 3901"), "{}", err(&o));
        // not a log: no advice to run a repair that would refuse it
        let o = omega(&["reconcile", "--format", "omega", "--input", s(&b1), "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("error 3801") && !err(&o).contains("--repair"), "{}", err(&o));
    }
}
