//! Issue 12, item 5: a key repeated in a JSON object is refused (code 3007,
//! exit 2, the key named) in every JSON input the CLI reads, on both engines:
//! events (reconcile, append, ecs --events), proofs, committees, results and
//! prior states, and `omega ecs` logs given to `ecs diff`. Before the fix the
//! last value won silently (`{"leaf_index":4,"leaf_index":5}` verified as 5).
//!
//! The wasm engine needs the blob (`cargo xtask blob`); with
//! OMEGA_REQUIRE_BLOB=1 a missing blob fails instead of skipping it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use common::{code, engines, omega, s, tmp, vectors};
use std::path::PathBuf;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Refused as a duplicate key: exit 2, code 3007 and every `words` on stderr.
fn refused(o: &Output, words: &[&str], what: &str) -> String {
    let err = stderr(o);
    assert_eq!(code(o), 2, "{what}: exit 2 expected; stdout {} stderr {err}", String::from_utf8_lossy(&o.stdout));
    assert!(err.contains("error 3007"), "{what}: {err}");
    for w in words {
        assert!(err.contains(w), "{what}: `{w}` not in {err}");
    }
    err
}

/// `text` with `"key": <value>` inserted right after the first `{`.
fn with_first(text: &str, key: &str, value: &str) -> String {
    text.replacen('{', &format!("{{\"{key}\": {value},"), 1)
}

const EVENTS_DUP: &str = r#"[{"lamport":1,"node":1,"stream":0,"seq":0},{"lamport":2,"node":2,"stream":0,"seq":0,"node":3}]"#;

#[test]
fn verify_proof_refuses_a_repeated_leaf_index() {
    let dir = tmp("proof");
    let events = vectors().join("reconcile/demo-sample.in.json");
    for e in engines() {
        let o = omega(&["prove", "--input", s(&events), "--index", "5", "--engine", e]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let proof = String::from_utf8(o.stdout).unwrap();
        let good = dir.join(format!("good-{e}.json"));
        std::fs::write(&good, &proof).unwrap();
        let o = omega(&["verify-proof", "--proof", s(&good), "--engine", e]);
        assert_eq!(code(&o), 0, "the untouched proof verifies: {}", stderr(&o));
        // the issue's case: a proof of leaf 5 that also claims leaf 4
        let bad = dir.join(format!("dup-{e}.json"));
        std::fs::write(&bad, with_first(&proof, "leaf_index", "4")).unwrap();
        let err = refused(&omega(&["verify-proof", "--proof", s(&bad), "--engine", e]), &["\"leaf_index\"", "proof JSON"], e);
        assert!(err.contains("line 2"), "{err}");
        // a consistency proof too
        let o = omega(&["prove", "--input", s(&events), "--old-size", "1000", "--engine", e]);
        let proof = String::from_utf8(o.stdout).unwrap();
        std::fs::write(&bad, with_first(&proof, "old_size", "999")).unwrap();
        refused(&omega(&["verify-proof", "--proof", s(&bad), "--engine", e]), &["\"old_size\""], e);
    }
}

#[test]
fn events_with_a_repeated_key_are_refused_by_reconcile_append_and_ecs() {
    let dir = tmp("events");
    let input = dir.join("dup.json");
    std::fs::write(&input, EVENTS_DUP).unwrap();
    for e in engines() {
        let o = omega(&["reconcile", "--input", s(&input), "--engine", e, "--no-bundle"]);
        refused(&o, &["event 1", "\"node\""], e);
        let o = omega(&["ecs", "--ticks", "1", "--entities", "10", "--events", s(&input), "--engine", e]);
        refused(&o, &["event 1", "\"node\""], e);
    }
    // append parses on the host (through the same core function); nothing is written
    let log = dir.join("new.omega");
    refused(&omega(&["append", "--log", s(&log), "--input", s(&input)]), &["event 1", "\"node\""], "append to a new log");
    assert!(!log.exists() || std::fs::metadata(&log).unwrap().len() <= 16, "no event was appended");
    let ok = dir.join("ok.json");
    std::fs::write(&ok, r#"[{"lamport":1,"node":1,"stream":0,"seq":0}]"#).unwrap();
    let o = omega(&["append", "--log", s(&log), "--input", s(&ok)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = std::fs::read(&log).unwrap();
    refused(&omega(&["append", "--log", s(&log), "--input", s(&input)]), &["event 1", "\"node\""], "append to a log");
    assert_eq!(std::fs::read(&log).unwrap(), before, "the log is unchanged");
}

#[test]
fn a_world_command_with_a_repeated_key_is_undecodable() {
    let dir = tmp("command");
    let cmd = br#"{"tick":0,"op":"spawn","node":0,"node":1,"target":"1"}"#;
    let payload = base64(cmd);
    let input = dir.join("cmd.json");
    std::fs::write(&input, format!(r#"[{{"lamport":1,"node":1,"stream":0,"seq":0,"payload":"{payload}"}}]"#)).unwrap();
    let mut outs = Vec::new();
    for e in engines() {
        let o = omega(&["ecs", "--ticks", "1", "--entities", "10", "--events", s(&input), "--engine", e, "--quiet"]);
        assert_eq!(code(&o), 0, "{e}: {}", stderr(&o));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.contains("duplicate key \\\"node\\\""), "{e}: the command is reported undecodable: {out}");
        outs.push(out);
    }
    outs.dedup();
    assert_eq!(outs.len(), 1, "both engines print the same bytes");
}

/// Standard base64 with padding (the event payload form).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() { char::from(A[(n >> (18 - 6 * i)) as usize & 63]) } else { '=' });
        }
    }
    out
}

struct Certified {
    dir: PathBuf,
    result: PathBuf,
    committee: String,
    cert: PathBuf,
    key: PathBuf,
}

fn certified(name: &str) -> Certified {
    let dir = tmp(name);
    let key = dir.join("k.key");
    let o = omega(&["keygen", "--name", "test.example/k", "--out", s(&key)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let verifier = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let committee = format!("{{\"threshold\": 1, \"members\": [\"{verifier}\"]}}");
    std::fs::write(dir.join("committee.json"), &committee).unwrap();
    let result = dir.join("r.json");
    let o = omega(&["reconcile", "--input", s(&vectors().join("reconcile/small-shuffled-with-duplicates.in.json"))]);
    assert_eq!(code(&o), 0);
    std::fs::write(&result, &o.stdout).unwrap();
    let cert = dir.join("c.cert");
    let o = omega(&[
        "certify", "--result", s(&result), "--key", s(&key), "--origin", "test.example/log", "--committee", s(&dir.join("committee.json")),
        "--out", s(&cert),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    Certified { dir, result, committee, cert, key }
}

#[test]
fn a_committee_with_a_repeated_key_is_refused() {
    let c = certified("committee");
    let good = c.dir.join("committee.json");
    for e in engines() {
        let o = omega(&["verify", "--cert", s(&c.cert), "--committee", s(&good), "--engine", e]);
        assert_eq!(code(&o), 0, "the good committee verifies: {}", String::from_utf8_lossy(&o.stdout));
    }
    for (i, (k, v)) in [("threshold", "2"), ("members", "[]")].into_iter().enumerate() {
        let bad = c.dir.join(format!("dup-{i}.json"));
        std::fs::write(&bad, with_first(&c.committee, k, v)).unwrap();
        for e in engines() {
            let quoted = format!("\"{k}\"");
            refused(&omega(&["verify", "--cert", s(&c.cert), "--committee", s(&bad), "--engine", e]), &["committee", &quoted], e);
            refused(&omega(&["explain", "--cert", s(&c.cert), "--committee", s(&bad), "--engine", e]), &["committee", &quoted], e);
            let out = c.dir.join(format!("c-{i}-{e}.cert"));
            let o = omega(&[
                "certify", "--result", s(&c.result), "--key", s(&c.key), "--origin", "test.example/log", "--committee", s(&bad), "--out",
                s(&out), "--engine", e,
            ]);
            refused(&o, &["committee", &quoted], e);
            assert!(!out.exists(), "no certificate written");
        }
    }
}

#[test]
fn a_result_or_prior_with_a_repeated_key_is_refused() {
    let c = certified("result");
    let text = std::fs::read_to_string(&c.result).unwrap();
    // a repeated key at the top, and one inside a head
    let top = c.dir.join("dup-top.json");
    std::fs::write(&top, with_first(&text, "tree_size", "0")).unwrap();
    let nested = c.dir.join("dup-head.json");
    let i = text.find("\"heads\"").unwrap();
    std::fs::write(&nested, format!("{}{}", &text[..i], with_first(&text[i..], "seq", "0"))).unwrap();
    let more = c.dir.join("more.json");
    std::fs::write(&more, "[]").unwrap();
    for e in engines() {
        let o = omega(&["reconcile", "--input", s(&more), "--prior", s(&c.result), "--engine", e]);
        assert_eq!(code(&o), 0, "the untouched result is a good prior: {}", stderr(&o));
        for (bad, path) in [(&top, "at $ "), (&nested, "at $.heads[0]")] {
            let out = c.dir.join(format!("c2-{e}.cert"));
            let o = omega(&[
                "certify", "--result", s(bad), "--key", s(&c.key), "--origin", "test.example/log", "--prev", s(&c.cert), "--out", s(&out),
                "--engine", e,
            ]);
            refused(&o, &["result", path], e);
            assert!(!out.exists(), "no certificate written");
            let o = omega(&["reconcile", "--input", s(&more), "--prior", s(bad), "--engine", e]);
            refused(&o, &["prior state", path], e);
            let snap = c.dir.join(format!("s-{e}.omsn"));
            refused(&omega(&["snapshot", "--state", s(bad), "--out", s(&snap), "--engine", e]), &[path], e);
        }
    }
}

#[test]
fn ecs_diff_refuses_a_log_line_with_a_repeated_key() {
    let dir = tmp("ecs-diff");
    let o = omega(&["ecs", "--ticks", "3", "--entities", "10"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let log = String::from_utf8(o.stdout).unwrap();
    let a = dir.join("a.jsonl");
    std::fs::write(&a, &log).unwrap();
    let mut lines: Vec<String> = log.lines().map(str::to_string).collect();
    lines[2] = with_first(&lines[2], "state_hash", "\"00\"");
    let b = dir.join("b.jsonl");
    std::fs::write(&b, lines.join("\n") + "\n").unwrap();
    let o = omega(&["ecs", "diff", s(&a), s(&a)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    refused(&omega(&["ecs", "diff", s(&a), s(&b)]), &["line 3", "\"state_hash\""], "ecs diff");
    lines[0] = with_first(&lines[0], "omega_ecs", "1");
    std::fs::write(&b, lines.join("\n") + "\n").unwrap();
    refused(&omega(&["ecs", "diff", s(&a), s(&b)]), &["line 1", "\"omega_ecs\""], "ecs diff header");
}
