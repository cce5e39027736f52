//! The `omega` CLI end to end: exit codes, messages, key files, and the same
//! bytes from both engines. The wasm engine needs the blob (`cargo xtask
//! blob`); `cargo xtask test` builds it first and sets OMEGA_REQUIRE_BLOB=1 so
//! a missing blob fails instead of skipping those checks.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn omega(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omega")).args(args).output().expect("run omega")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn blob() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm");
    if p.is_file() {
        return Some(p);
    }
    assert!(std::env::var_os("OMEGA_REQUIRE_BLOB").is_none(), "no blob at {}: run `cargo xtask blob`", p.display());
    eprintln!("note: no blob at {}; the wasm-engine checks are skipped (run `cargo xtask blob`)", p.display());
    None
}

fn engines() -> Vec<&'static str> {
    if blob().is_some() { vec!["native", "wasm"] } else { vec!["native"] }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("omega-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn reconcile_is_order_free_on_both_engines_and_exit_codes_are_0_1_2() {
    let dir = tmp("reconcile");
    let input = vectors().join("reconcile/demo-sample.in.json");
    let mut events: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&input).unwrap()).unwrap();
    events.reverse();
    let rev = dir.join("reversed.json");
    std::fs::write(&rev, serde_json::to_vec(&events).unwrap()).unwrap();
    let expected = std::fs::read(vectors().join("reconcile/demo-sample.out.json")).unwrap();
    for e in engines() {
        for f in [&input, &rev] {
            let o = omega(&["reconcile", "--input", s(f), "--engine", e]);
            assert_eq!(code(&o), 0, "{e}: {}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(o.stdout, expected, "{e} on {}", f.display());
        }
        let o = omega(&["reconcile", "--input", s(&vectors().join("reconcile/code-1002-id-conflict.in.json")), "--engine", e, "--no-bundle"]);
        assert_eq!(code(&o), 1, "an obstruction exits 1");
        let o = omega(&["reconcile", "--input", s(&vectors().join("reconcile/error-field-type.in.json")), "--engine", e]);
        assert_eq!(code(&o), 2, "bad input exits 2");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("error 3002") && err.contains("event 1") && err.contains("`node`"), "{err}");
    }
    assert_eq!(code(&omega(&["reconcile"])), 2, "usage error exits 2");
    let o = omega(&["reconcile", "--input", "/nonexistent/events.json"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read the input file"));
}

#[test]
fn keygen_certify_cosign_verify_explain_note_prove() {
    let dir = tmp("certify");
    let mut verifiers = Vec::new();
    for i in 0..3 {
        let key = dir.join(format!("k{i}.key"));
        let o = omega(&["keygen", "--name", &format!("test.example/k{i}"), "--out", s(&key)]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let v = String::from_utf8(o.stdout).unwrap().trim().to_string();
        assert!(v.starts_with(&format!("test.example/k{i}+")), "{v}");
        verifiers.push(v);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    // no overwrite without --force; a world-readable key is refused
    let o = omega(&["keygen", "--name", "x", "--out", s(&dir.join("k0.key"))]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = dir.join("open.key");
        std::fs::copy(dir.join("k0.key"), &open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = omega(&["cosign", "--cert", "/dev/null", "--key", s(&open)]);
        assert_eq!(code(&o), 2);
        assert!(String::from_utf8_lossy(&o.stderr).contains("chmod 600"), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let committee = dir.join("committee.json");
    std::fs::write(&committee, serde_json::to_vec(&serde_json::json!({"threshold": 2, "members": verifiers})).unwrap()).unwrap();

    let result = dir.join("r1.json");
    let o = omega(&["reconcile", "--input", s(&vectors().join("reconcile/small-shuffled-with-duplicates.in.json"))]);
    std::fs::write(&result, &o.stdout).unwrap();
    let cert = dir.join("c0.cert");
    let k = |i: usize| dir.join(format!("k{i}.key"));
    let o = omega(&[
        "certify", "--result", s(&result), "--key", s(&k(0)), "--origin", "test.example/log", "--committee", s(&committee), "--out", s(&cert),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = omega(&["verify", "--cert", s(&cert), "--committee", s(&committee)]);
    assert_eq!(code(&o), 1, "one of two signatures: invalid");
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"code\": 3701"));
    for e in engines() {
        let c = dir.join(format!("c0-{e}.cert"));
        let o = omega(&["cosign", "--cert", s(&cert), "--key", s(&k(1)), "--out", s(&c), "--engine", e]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let o = omega(&["verify", "--cert", s(&c), "--committee", s(&committee), "--engine", e]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    }
    // Ed25519 is deterministic: both engines made the same certificate bytes.
    if engines().len() == 2 {
        assert_eq!(std::fs::read(dir.join("c0-native.cert")).unwrap(), std::fs::read(dir.join("c0-wasm.cert")).unwrap());
    }
    let c0 = dir.join("c0-native.cert");
    let o = omega(&["explain", "--cert", s(&c0), "--committee", s(&committee)]);
    assert_eq!(code(&o), 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("verdict: VALID") && text.contains("genesis"), "{text}");
    let o = omega(&["note", "--cert", s(&c0)]);
    let note = String::from_utf8(o.stdout).unwrap();
    assert!(note.starts_with("test.example/log\n6\n") && note.contains("\n\n\u{2014} test.example/k0 "), "{note}");
    // the note text is a certificate too, and a tampered one is explained as invalid
    let note_file = dir.join("c0.note");
    std::fs::write(&note_file, note.replacen("omega-height 0", "omega-height 1", 1)).unwrap();
    let o = omega(&["explain", "--cert", s(&note_file), "--committee", s(&committee)]);
    assert_eq!(code(&o), 2, "a height without a previous hash is malformed");
    let tampered = dir.join("tampered.note");
    let t = note.clone();
    let sig_at = t.rfind(' ').unwrap() + 20; // inside the signature, past the 4-byte key id
    let mut b = t.into_bytes();
    b[sig_at] = if b[sig_at] == b'A' { b'B' } else { b'A' };
    std::fs::write(&tampered, b).unwrap();
    let o = omega(&["explain", "--cert", s(&tampered), "--committee", s(&committee)]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stdout).contains("BAD"), "{}", String::from_utf8_lossy(&o.stdout));

    // extend: a second batch with --prior, certified with --prev, verified as a chain
    let r2 = dir.join("r2.json");
    let batch = dir.join("b2.json");
    std::fs::write(&batch, br#"[{"lamport": 40, "node": 7, "stream": 0, "seq": 0, "payload": "aGk="}]"#).unwrap();
    let o = omega(&["reconcile", "--input", s(&batch), "--prior", s(&result)]);
    assert_eq!(code(&o), 0);
    std::fs::write(&r2, &o.stdout).unwrap();
    let c1 = dir.join("c1.cert");
    let o = omega(&[
        "certify", "--result", s(&r2), "--key", s(&k(2)), "--origin", "test.example/log", "--prev", s(&c0), "--committee", s(&committee), "--out", s(&c1),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(code(&omega(&["cosign", "--cert", s(&c1), "--key", s(&k(0))])), 0);
    let o = omega(&["verify", "--cert", s(&c1), "--committee", s(&committee), "--chain", s(&c0)]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    // certifying the first result again on top of c0 is refused
    let o = omega(&[
        "certify", "--result", s(&result), "--key", s(&k(2)), "--origin", "test.example/log", "--prev", s(&c0), "--out", s(&dir.join("x.cert")),
    ]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("error 3604"));

    // proofs: the same JSON from both engines, and they verify
    let events = vectors().join("reconcile/demo-sample.in.json");
    let mut outs = Vec::new();
    for e in engines() {
        let o = omega(&["prove", "--input", s(&events), "--index", "17", "--engine", e]);
        assert_eq!(code(&o), 0);
        outs.push(o.stdout);
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]));
    let p = dir.join("p.json");
    std::fs::write(&p, &outs[0]).unwrap();
    assert_eq!(code(&omega(&["verify-proof", "--proof", s(&p)])), 0);
    let o = omega(&["prove", "--input", s(&events), "--old-size", "100"]);
    std::fs::write(&p, &o.stdout).unwrap();
    assert_eq!(code(&omega(&["verify-proof", "--proof", s(&p)])), 0);
    assert_eq!(code(&omega(&["prove", "--input", s(&events)])), 2, "neither --index nor --old-size");
}

/// `omega sample --prior R` makes a batch that extends R's history, in every
/// format, on both engines; a prior that is not one is refused (3201), and so
/// is one whose frontier leaves no room for the batch's Lamport times (4101).
#[test]
fn sample_with_a_prior_makes_the_next_batch() {
    let dir = tmp("sample-prior");
    let p = |n: &str| dir.join(n);
    let o = omega(&["sample", "--seed", "4", "--nodes", "2", "--per-stream", "20", "--out", s(&p("b1.json"))]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let r1 = omega(&["reconcile", "--input", s(&p("b1.json"))]);
    assert_eq!(code(&r1), 0);
    std::fs::write(p("r1.json"), &r1.stdout).unwrap();
    let r1: serde_json::Value = serde_json::from_slice(&r1.stdout).unwrap();
    let mut roots = Vec::new();
    for (format, name) in [("json", "b2.json"), ("binary", "b2.bin"), ("omega", "b2.omega")] {
        // more nodes than the prior: 2 streams continue, the third node's start at seq 0
        let o = omega(&["sample", "--prior", s(&p("r1.json")), "--nodes", "3", "--per-stream", "10", "--shuffle", "7", "--format", format, "--out", s(&p(name))]);
        assert_eq!(code(&o), 0, "{format}: {}", String::from_utf8_lossy(&o.stderr));
        for e in engines() {
            let o = omega(&["reconcile", "--input", s(&p(name)), "--format", format, "--prior", s(&p("r1.json")), "--engine", e, "--no-bundle"]);
            assert_eq!(code(&o), 0, "{format} on {e}: {}", String::from_utf8_lossy(&o.stdout));
            let r2: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(r2["prior_root"], r1["root"]);
            assert_eq!(r2["appended"], 3 * 3 * 10);
            roots.push(r2["root"].clone());
        }
    }
    assert!(roots.windows(2).all(|w| w[0] == w[1]), "{roots:?}");
    // Without the prior, the same batch does not extend it.
    let o = omega(&["sample", "--nodes", "3", "--per-stream", "10", "--out", s(&p("fresh.json"))]);
    assert_eq!(code(&o), 0);
    let o = omega(&["reconcile", "--input", s(&p("fresh.json")), "--prior", s(&p("r1.json")), "--no-bundle"]);
    assert_eq!(code(&o), 1, "a fresh sample is not a next batch");

    let o = omega(&["sample", "--prior", s(&p("b1.json")), "--out", s(&p("x.json"))]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("error 3201"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!p("x.json").exists(), "nothing written for a bad prior");

    let high = format!(r#"[{{"lamport":{},"node":1,"stream":0,"seq":0}}]"#, u64::MAX - 3);
    std::fs::write(p("high.json"), high).unwrap();
    let r = omega(&["reconcile", "--input", s(&p("high.json"))]);
    assert_eq!(code(&r), 0);
    std::fs::write(p("rhigh.json"), &r.stdout).unwrap();
    let o = omega(&["sample", "--prior", s(&p("rhigh.json")), "--out", s(&p("y.json"))]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error 4101") && err.contains("Lamport"), "{err}");
    assert!(!p("y.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Keys of a pretty-printed JSON object at one depth (`indent` spaces), in order.
fn keys_at(text: &str, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    text.lines()
        .filter(|l| l.starts_with(&format!("{pad}\"")))
        .map(|l| l[indent + 1..].split('"').next().unwrap().to_string())
        .collect()
}

/// The reports the CLI prints itself keep the documented order (the JSON
/// maps it once went through sorted them): certify and cosign, snapshot,
/// append, ingest --repair and --salvage.
#[test]
fn cli_reports_print_keys_in_the_documented_order() {
    let dir = tmp("order");
    let p = |n: &str| dir.join(n);
    let input = vectors().join("reconcile/demo-sample.in.json");
    let r = omega(&["reconcile", "--input", s(&input)]);
    std::fs::write(p("r.json"), &r.stdout).unwrap();
    assert_eq!(code(&omega(&["keygen", "--name", "t.example/k", "--out", s(&p("k.key"))])), 0);
    let cert = ["status", "hash", "kind", "origin", "tree_size", "root", "state_hash", "height", "prev", "committee", "evidence", "tick", "signers"];
    let o = omega(&["certify", "--result", s(&p("r.json")), "--key", s(&p("k.key")), "--origin", "t.example/log", "--out", s(&p("c.cert"))]);
    assert_eq!(keys_at(&String::from_utf8_lossy(&o.stdout), 2), cert, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(code(&omega(&["keygen", "--name", "t.example/k2", "--out", s(&p("k2.key"))])), 0);
    let o = omega(&["cosign", "--cert", s(&p("c.cert")), "--key", s(&p("k2.key"))]);
    assert_eq!(keys_at(&String::from_utf8_lossy(&o.stdout), 2), cert, "{}", String::from_utf8_lossy(&o.stderr));
    let o = omega(&["snapshot", "--state", s(&p("r.json")), "--out", s(&p("s.omsn"))]);
    assert_eq!(keys_at(&String::from_utf8_lossy(&o.stdout), 2), ["hash", "root", "state_hash", "status", "tree_size", "out"]);
    let o = omega(&["append", "--log", s(&p("l.omega")), "--input", s(&input)]);
    assert_eq!(keys_at(&String::from_utf8_lossy(&o.stdout), 2), ["status", "log", "created", "appended", "offset", "bytes"]);
    let ingest = ["status", "frames", "events", "bytes", "valid_bytes", "first_bad_offset", "error", "after_damage"];
    // a torn tail: --repair
    let mut log = std::fs::read(p("l.omega")).unwrap();
    let whole = log.clone();
    log.extend_from_slice(b"torn");
    std::fs::write(p("l.omega"), &log).unwrap();
    let o = omega(&["ingest", "--input", s(&p("l.omega")), "--repair"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(code(&o), 0, "{text}");
    assert_eq!(keys_at(&text, 2), [&ingest[..], &["repaired"]].concat());
    assert_eq!(keys_at(&text, 4), ["code", "message", "intact_frames", "damaged_bytes", "truncated_to", "dropped_bytes", "saved_to"]);
    // damage with intact frames after it: --salvage
    let mut log = whole.clone();
    log[40] ^= 0xff;
    std::fs::write(p("l.omega"), &log).unwrap();
    let o = omega(&["ingest", "--input", s(&p("l.omega")), "--salvage"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(code(&o), 0, "{text}");
    assert_eq!(keys_at(&text, 2), [&ingest[..], &["salvaged"]].concat());
    assert_eq!(keys_at(&text, 4), ["code", "message", "intact_frames", "damaged_bytes", "kept_frames", "kept_bytes", "damaged_spans", "damaged_bytes", "saved_to"]);
    assert_eq!(keys_at(&text, 8), ["offset", "bytes"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `prove --format leaves` (documented with ops 9 and 10) makes proofs over
/// leaf hashes as they are, which verify; `append` offers only the formats
/// it takes (a log is refused by the parser, exit 2, before anything runs).
#[test]
fn prove_takes_leaf_hashes_and_append_offers_only_json_and_binary() {
    let dir = tmp("leaves");
    let p = |n: &str| dir.join(n);
    let leaves: Vec<u8> = (0u8..7).flat_map(|i| [i; 32]).collect();
    std::fs::write(p("leaves.bin"), &leaves).unwrap();
    for e in engines() {
        for (flag, n) in [("--index", "3"), ("--old-size", "4")] {
            let o = omega(&["prove", "--input", s(&p("leaves.bin")), "--format", "leaves", flag, n, "--engine", e]);
            assert_eq!(code(&o), 0, "{e} {flag}: {}", String::from_utf8_lossy(&o.stderr));
            std::fs::write(p("proof.json"), &o.stdout).unwrap();
            let v = omega(&["verify-proof", "--proof", s(&p("proof.json")), "--engine", e]);
            assert_eq!(code(&v), 0, "{}", String::from_utf8_lossy(&v.stdout));
        }
        let o = omega(&["prove", "--input", s(&p("leaves.bin")), "--format", "leaves", "--index", "7", "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(String::from_utf8_lossy(&o.stderr).contains("error 3401"));
    }
    std::fs::write(p("odd.bin"), [0u8; 33]).unwrap();
    let o = omega(&["prove", "--input", s(&p("odd.bin")), "--format", "leaves", "--index", "0"]);
    assert!(code(&o) == 2 && String::from_utf8_lossy(&o.stderr).contains("error 3407"), "{}", String::from_utf8_lossy(&o.stderr));

    let input = vectors().join("reconcile/demo-sample.in.json");
    let o = omega(&["append", "--log", s(&p("l.omega")), "--input", s(&input), "--format", "omega"]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("invalid value 'omega'") && err.contains("[possible values: json, binary]"), "{err}");
    assert!(!p("l.omega").exists());
    // a bad binary event is refused with its code, as reconcile refuses it
    std::fs::write(p("bad.bin"), [0u8; 5]).unwrap();
    let o = omega(&["append", "--log", s(&p("l.omega")), "--input", s(&p("bad.bin")), "--format", "binary"]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("omega: error 3"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `omega committee` writes a committee every reader accepts (threshold
/// first, then the members as given) and prints the hash `verify` reports;
/// what a committee may not be is refused with its code, nothing written.
#[test]
fn committee_makes_the_file_verify_reads_and_refuses_what_no_committee_may_be() {
    let dir = tmp("committee");
    let p = |n: &str| dir.join(n);
    let mut vkeys = Vec::new();
    for n in ["a", "b", "c"] {
        let o = omega(&["keygen", "--name", &format!("t.example/{n}"), "--out", s(&p(&format!("{n}.key")))]);
        assert_eq!(code(&o), 0);
        vkeys.push(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    // a signer key file, a file holding a verifier key, and a verifier key itself
    std::fs::write(p("b.vkey"), format!("{}\n", vkeys[1])).unwrap();
    let o = omega(&["committee", "--threshold", "2", "--out", s(&p("c.json")), s(&p("a.key")), s(&p("b.vkey")), &vkeys[2]]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let hash = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let text = std::fs::read_to_string(p("c.json")).unwrap();
    assert!(text.starts_with("{\n  \"threshold\": 2,\n  \"members\": [\n"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["members"], serde_json::json!(vkeys));
    // verify judges by it and names the same hash
    let input = vectors().join("reconcile/demo-sample.in.json");
    let r = omega(&["reconcile", "--input", s(&input)]);
    std::fs::write(p("r.json"), &r.stdout).unwrap();
    assert_eq!(code(&omega(&["certify", "--result", s(&p("r.json")), "--key", s(&p("a.key")), "--origin", "t.example/log", "--committee", s(&p("c.json")), "--out", s(&p("x.cert"))])), 0);
    assert_eq!(code(&omega(&["cosign", "--cert", s(&p("x.cert")), "--key", s(&p("c.key"))])), 0);
    let o = omega(&["verify", "--cert", s(&p("x.cert")), "--committee", s(&p("c.json"))]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["committee"], hash.as_str());

    for (args, want) in [
        (vec!["--threshold", "4", s(&p("a.key")), s(&p("b.vkey")), &vkeys[2]], "error 3603"),
        (vec!["--threshold", "0", s(&p("a.key"))], "error 3603"),
        (vec!["--threshold", "1", s(&p("a.key")), &vkeys[0]], "error 3603"),
        (vec!["--threshold", "1", "not-a-key"], "error 3503"),
    ] {
        let out = p("refused.json");
        let o = omega(&[&["committee", "--out", s(&out)][..], &args].concat());
        assert_eq!(code(&o), 2, "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote a committee");
    }
    // a signer key file others can read is refused, as every command refuses it
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p("a.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = omega(&["committee", "--threshold", "1", "--out", s(&p("refused.json")), s(&p("a.key"))]);
        assert_eq!(code(&o), 2);
        assert!(String::from_utf8_lossy(&o.stderr).contains("chmod 600"));
    }
    assert_eq!(code(&omega(&["committee", "--threshold", "1", "--out", s(&p("refused.json"))])), 2, "no member is a usage error");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lines of `omega demo`'s output with the timings (`  (9.2 ms)`) cut off, so
/// two runs compare.
fn demo_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| match l.rfind("  (") {
            Some(at) if l.ends_with(" ms)") => l[..at].to_string(),
            _ => l.to_string(),
        })
        .collect()
}

/// `omega demo` (issue 20): the embedded sample on both engines (the command
/// has no `--engine`: it always runs native and the blob and compares their
/// bytes), the same history from the reversed arrival order with 50
/// re-deliveries, and a tampered copy obstructed with the evidence `omega
/// reconcile` gives for that copy. It cannot run without a blob, and a blob
/// that runs out of fuel stops it: the wasm engine really runs.
#[test]
fn demo_runs_the_sample_on_both_engines_and_obstructs_the_tampered_copy() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let o = omega(&["demo", "--blob", "/nonexistent/omega.wasm"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no blob at /nonexistent/omega.wasm"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "nothing printed before the blob is found");
    let Some(blob) = blob() else { return };
    let sha = omega_core::hex::encode(&omega_core::sha256(&std::fs::read(&blob).unwrap()));
    let golden_bytes = std::fs::read(vectors().join("reconcile/demo-sample.out.json")).unwrap();
    let golden: serde_json::Value = serde_json::from_slice(&golden_bytes).unwrap();
    let (root, state_hash) = (golden["root"].as_str().unwrap(), golden["state_hash"].as_str().unwrap());

    // What step 3 must show, made independently: the sample with node 2 stream 1
    // seq 100 forged (first payload byte flipped, same id) and node 3 stream 0
    // seq 7 dropped, reconciled by `omega reconcile` on each engine.
    let dir = tmp("demo");
    let mut events: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(vectors().join("reconcile/demo-sample.in.json")).unwrap()).unwrap();
    let at = |e: &serde_json::Value, n: u64, st: u64, sq: u64| e["node"] == n && e["stream"] == st && e["seq"] == sq;
    let mut forged = events.iter().find(|e| at(e, 2, 1, 100)).expect("node 2 stream 1 seq 100 in the sample").clone();
    let mut payload = b64.decode(forged["payload"].as_str().unwrap()).unwrap();
    payload[0] ^= 0xff;
    forged["payload"] = b64.encode(&payload).into();
    events.push(forged);
    let before = events.len();
    events.retain(|e| !at(e, 3, 0, 7));
    assert_eq!(events.len(), before - 1);
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&events).unwrap()).unwrap();
    let mut obstruction = Vec::new();
    for e in engines() {
        let o = omega(&["reconcile", "--input", s(&tampered), "--engine", e, "--no-bundle"]);
        assert_eq!(code(&o), 1, "{e}: the tampered copy obstructs: {}", String::from_utf8_lossy(&o.stderr));
        obstruction.push(o.stdout);
    }
    assert!(obstruction.windows(2).all(|w| w[0] == w[1]), "both engines give the same obstruction");
    let obs: serde_json::Value = serde_json::from_slice(&obstruction[0]).unwrap();
    let evidence = obs["evidence_hash"].as_str().unwrap();
    let violations = obs["violations"].as_array().unwrap();
    let codes: Vec<_> = violations.iter().map(|v| (v["code"].as_u64().unwrap(), v["reason"].as_str().unwrap())).collect();
    assert_eq!(codes, [(1001, "gap"), (1002, "id_conflict")], "the lost event is a gap, the forged one an id conflict");

    let o = omega(&["demo", "--blob", s(&blob)]);
    assert_eq!(code(&o), 0, "{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let lines = demo_lines(&o.stdout);
    let steps: Vec<&[String]> = lines.split(|l| l.is_empty()).collect();
    assert_eq!(steps.len(), 5, "header, three steps, the end: {lines:#?}");
    let ok_line = |engine: &str| format!("  {engine:<7} ok    tree_size 3000  root {root}");
    assert_eq!(
        steps[0],
        [
            "omega demo: 3000 events from 4 nodes × 3 streams, arriving shuffled (embedded sample)".to_string(),
            format!("blob: {} (sha256 {sha})", blob.display()),
        ]
    );
    assert_eq!(
        steps[1],
        [
            "1. reconcile the sample on both engines".to_string(),
            ok_line("native"),
            ok_line("wasm"),
            format!("  identical bytes from both engines ({} bytes of result JSON)", golden_bytes.len()),
            format!("  state hash {state_hash}"),
        ]
    );
    // the reversed arrival order with 50 re-deliveries: the result differs only in `duplicates`
    let dup_len = golden_bytes.len() + "50".len() - "0".len();
    assert_eq!(
        steps[2],
        [
            "2. the same events in reverse arrival order, plus 50 re-deliveries".to_string(),
            ok_line("native"),
            ok_line("wasm"),
            format!("  identical bytes from both engines ({dup_len} bytes of result JSON)"),
            "  duplicates dropped: 50".to_string(),
            "  same root and state hash as step 1: yes".to_string(),
        ]
    );
    let obs_line = |engine: &str| format!("  {engine:<7} obstruction  {} violations  evidence {evidence}", violations.len());
    let mut want = vec![
        "3. a tampered copy: node 2 equivocates on stream 1 seq 100, and node 3 stream 0 seq 7 is lost".to_string(),
        obs_line("native"),
        obs_line("wasm"),
        format!("  identical bytes from both engines ({} bytes of result JSON)", obstruction[0].len()),
    ];
    for v in violations {
        want.push(format!("  {} {:<12} {}", v["code"], v["reason"].as_str().unwrap(), v["message"].as_str().unwrap()));
    }
    assert_eq!(steps[3], want);
    assert_eq!(steps[4], ["omega demo: done. native and wasm agree byte for byte; the tampered history is obstructed with evidence.".to_string()]);

    // The blob built into omega (no --blob, no $OMEGA_BLOB) runs the same demo.
    let o = Command::new(env!("CARGO_BIN_EXE_omega")).arg("demo").env_remove("OMEGA_BLOB").output().expect("run omega");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let embedded = demo_lines(&o.stdout);
    assert!(embedded[1].starts_with("blob: the blob embedded in this omega (sha256 ") && embedded[1].len() == "blob: the blob embedded in this omega (sha256 )".len() + 64, "{}", embedded[1]);
    assert_eq!(embedded[2..], lines[2..], "the embedded blob's demo prints the same");

    // A blob call that runs out of fuel stops the demo after the native line.
    let o = omega(&["demo", "--blob", s(&blob), "--fuel", "1"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("ran out of fuel"), "{}", String::from_utf8_lossy(&o.stderr));
    let cut = demo_lines(&o.stdout);
    assert_eq!(cut.last(), Some(&ok_line("native")), "{cut:#?}");
    assert!(!cut.iter().any(|l| l.starts_with("  wasm") || l.starts_with("omega demo: done")), "{cut:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `omega sample --shuffle` changes only the arrival order: other bytes, the
/// same events, the same reconcile result on both engines; without `--out`
/// it is a usage error (issue 20).
#[test]
fn sample_shuffle_changes_the_order_only() {
    let dir = tmp("sample-shuffle");
    let p = |n: &str| dir.join(n);
    let shape = ["--seed", "3", "--nodes", "3", "--streams", "2", "--per-stream", "30", "--payload", "8"];
    for (name, extra) in [("plain.json", &[][..]), ("s1.json", &["--shuffle", "1"][..]), ("s2.json", &["--shuffle", "2"][..]), ("s1-again.json", &["--shuffle", "1"][..])] {
        let o = omega(&[&["sample", "--out", s(&p(name))][..], &shape, extra].concat());
        assert_eq!(code(&o), 0, "{name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |n: &str| std::fs::read(p(n)).unwrap();
    assert_eq!(read("s1.json"), read("s1-again.json"), "the same shuffle seed, the same bytes");
    assert!(read("s1.json") != read("plain.json"), "--shuffle 1 changes the order");
    assert!(read("s1.json") != read("s2.json"), "another shuffle seed, another order");
    let sorted = |n: &str| {
        let mut v: Vec<String> = serde_json::from_slice::<Vec<serde_json::Value>>(&read(n)).unwrap().iter().map(|e| e.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(sorted("s1.json"), sorted("plain.json"), "the same events");
    assert_eq!(sorted("s2.json").len(), 3 * 2 * 30);
    let mut results = Vec::new();
    for e in engines() {
        for n in ["plain.json", "s1.json", "s2.json"] {
            let o = omega(&["reconcile", "--input", s(&p(n)), "--engine", e, "--no-bundle"]);
            assert_eq!(code(&o), 0, "{n} on {e}: {}", String::from_utf8_lossy(&o.stdout));
            results.push(o.stdout);
        }
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "one result for every order and engine");
    let o = omega(&["sample", "--seed", "3"]);
    assert_eq!(code(&o), 2, "no --out is a usage error");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writing to a closed stdout (`omega ... | head` after head exits) ends the
/// command quietly by SIGPIPE, as other Unix tools do; it used to panic with
/// "failed printing to stdout: Broken pipe" and a backtrace.
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tmp("closed-stdout");
    let events = dir.join("events.json");
    let o = omega(&["sample", "--seed", "3", "--nodes", "2", "--per-stream", "50", "--out", s(&events)]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    // the pipe's read end is closed before omega starts, so its first write fails
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_omega"))
        .args(["reconcile", "--input", s(&events), "--no-bundle"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run omega");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // SIGPIPE is 13 on Linux
    assert_eq!(out.status.signal(), Some(13), "{:?} {stderr}", out.status);
}
