//! The framed log through the CLI: append with fsync, ingest (mapped), repair,
//! reconcile --format omega, snapshot, replay against a certificate, and
//! crash bundles that reproduce on both engines.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn omega_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omega")).current_dir(dir).args(args).output().expect("run omega")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn engines() -> Vec<&'static str> {
    let blob = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm");
    if blob.is_file() {
        vec!["native", "wasm"]
    } else {
        assert!(std::env::var_os("OMEGA_REQUIRE_BLOB").is_none(), "no blob: run `cargo xtask blob`");
        vec!["native"]
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("omega-log-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn append_ingest_and_every_cut_of_the_last_batch_keeps_the_first() {
    let dir = tmp("append");
    let log = dir.join("a.omega");
    let b1 = vectors().join("reconcile/small-shuffled-with-duplicates.in.json");
    let b2 = vectors().join("reconcile/binary-sample.in.bin");
    assert_eq!(code(&omega_in(&dir, &["append", "--log", s(&log), "--input", s(&b1)])), 0);
    let first = std::fs::read(&log).unwrap();
    let o = omega_in(&dir, &["append", "--log", s(&log), "--input", s(&b2), "--format", "binary"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let full = std::fs::read(&log).unwrap();
    assert!(full.starts_with(&first), "append never rewrites what was there");
    for e in engines() {
        let r = json(&omega_in(&dir, &["ingest", "--input", s(&log), "--engine", e]));
        assert_eq!((r["status"].as_str(), r["frames"].as_u64()), (Some("clean"), Some(8 + 120)), "{e}");
    }
    // A crash at any byte of the second write: the first batch reads back
    // unchanged. Every offset of the last frames (core's tests cut every
    // offset of whole logs in-process), and a stride through the rest.
    let cut = dir.join("cut.omega");
    let tail = full.len() - 400;
    for len in (first.len()..tail).step_by(97).chain(tail..full.len()) {
        std::fs::write(&cut, &full[..len]).unwrap();
        let r = json(&omega_in(&dir, &["ingest", "--input", s(&cut)]));
        assert!(r["frames"].as_u64().unwrap() >= 8, "cut at {len}: frames of the first batch lost");
        assert!(r["valid_bytes"].as_u64().unwrap() as usize >= first.len());
    }
    // repair cuts exactly the torn tail, and the log is appendable again
    std::fs::write(&cut, &full[..full.len() - 3]).unwrap();
    let o = omega_in(&dir, &["append", "--log", s(&cut), "--input", s(&b1)]);
    assert_eq!(code(&o), 2, "appending after a torn tail is refused");
    let o = omega_in(&dir, &["ingest", "--input", s(&cut), "--repair"]);
    assert_eq!(code(&o), 0);
    let r = json(&o);
    assert_eq!(r["status"], "repaired");
    assert_eq!(std::fs::metadata(&cut).unwrap().len(), r["valid_bytes"].as_u64().unwrap());
    let r = json(&omega_in(&dir, &["ingest", "--input", s(&cut)]));
    assert_eq!((r["status"].as_str(), r["frames"].as_u64()), (Some("clean"), Some(8 + 119)));
    // flipped bytes: reported with the frame's offset, exit 1; nothing before it lost
    let mut flipped = full.clone();
    let at = first.len() + 200;
    flipped[at] ^= 0x20;
    std::fs::write(&cut, &flipped).unwrap();
    let o = omega_in(&dir, &["ingest", "--input", s(&cut)]);
    assert_eq!(code(&o), 1);
    let r = json(&o);
    assert!(r["frames"].as_u64().unwrap() >= 8 && r["first_bad_offset"].as_u64().unwrap() as usize <= at);
    // not a log at all
    let o = omega_in(&dir, &["ingest", "--input", s(&b1)]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["error"]["code"], 3801);
}

#[test]
fn reconcile_log_snapshot_replay_and_bundles() {
    let dir = tmp("replay");
    let log1 = dir.join("one.omega");
    let log2 = dir.join("two.omega");
    let b1 = vectors().join("reconcile/small-shuffled-with-duplicates.in.json");
    std::fs::write(dir.join("b2.json"), br#"[{"lamport": 40, "node": 7, "stream": 0, "seq": 0, "payload": "aGk="}]"#).unwrap();
    assert_eq!(code(&omega_in(&dir, &["append", "--log", s(&log1), "--input", s(&b1)])), 0);
    assert_eq!(code(&omega_in(&dir, &["append", "--log", s(&log2), "--input", "b2.json"])), 0);
    // reconcile a log directly = reconcile its JSON
    let a = omega_in(&dir, &["reconcile", "--format", "omega", "--input", s(&log1)]);
    let b = omega_in(&dir, &["reconcile", "--input", s(&b1)]);
    assert_eq!(a.stdout, b.stdout);
    std::fs::write(dir.join("r1.json"), &a.stdout).unwrap();
    // snapshot after log 1, certify after log 2, replay log 2 on the snapshot
    assert_eq!(code(&omega_in(&dir, &["snapshot", "--log", s(&log1), "--out", "s1.omsn"])), 0);
    let r2 = omega_in(&dir, &["reconcile", "--format", "omega", "--input", s(&log2), "--prior", "r1.json"]);
    std::fs::write(dir.join("r2.json"), &r2.stdout).unwrap();
    let o = omega_in(&dir, &["keygen", "--name", "t.example/k", "--out", "k.key"]);
    assert_eq!(code(&o), 0);
    let o = omega_in(&dir, &["certify", "--result", "r2.json", "--key", "k.key", "--origin", "t.example/log", "--out", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    for e in engines() {
        let o = omega_in(&dir, &["replay", "--snapshot", "s1.omsn", "--log", s(&log2), "--cert", "c.cert", "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", String::from_utf8_lossy(&o.stdout));
        assert_eq!(json(&o)["status"], "match");
        // replaying log 2 from the empty history diverges, and says where first
        let o = omega_in(&dir, &["replay", "--log", s(&log2), "--cert", "c.cert", "--engine", e]);
        assert_eq!(code(&o), 1);
        assert_eq!(json(&o)["first_divergence"]["field"], "tree_size");
    }
    // an obstruction writes a crash bundle that reproduces on both engines
    let bad = vectors().join("reconcile/code-1002-id-conflict.in.json");
    let o = omega_in(&dir, &["reconcile", "--input", s(&bad), "--bundle", "crash.omb"]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("crash.omb"));
    let evidence = json(&o)["evidence_hash"].clone();
    for e in engines() {
        let o = omega_in(&dir, &["explain", "--bundle", "crash.omb", "--json", "--engine", e]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
        let r = json(&o);
        assert_eq!(r["reproduced"], true);
        assert_eq!(r["result"]["evidence_hash"], evidence);
    }
    let o = omega_in(&dir, &["explain", "--bundle", "crash.omb"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("reproduced    yes"));
    // the default place: the state folder, never the current one; and --no-bundle
    let name = format!("omega-bundle-{}.omb", &evidence.as_str().unwrap()[..12]);
    let state = dir.join("state");
    let home = dir.join("home");
    let xdg = dir.join("xdg");
    let run = |env: &[(&str, &Path)], extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_omega"));
        c.current_dir(&dir).args(["reconcile", "--input", s(&bad)]).args(extra);
        for k in ["OMEGA_STATE_DIR", "XDG_STATE_HOME", "HOME"] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    for (env, want) in [
        (vec![("OMEGA_STATE_DIR", state.as_path()), ("HOME", home.as_path())], state.join("omega/bundles").join(&name)),
        (vec![("XDG_STATE_HOME", xdg.as_path()), ("HOME", home.as_path())], xdg.join("omega/bundles").join(&name)),
        (vec![("HOME", home.as_path())], home.join(".local/state/omega/bundles").join(&name)),
    ] {
        let o = run(&env, &[]);
        assert_eq!(code(&o), 1);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(want.is_file(), "{env:?}: {err}");
        assert!(err.contains(&format!("crash bundle written to {}", want.display())), "the report says where: {err}");
        assert!(!dir.join(&name).exists(), "nothing in the current folder");
        std::fs::remove_file(&want).unwrap();
    }
    // no folder at all: the obstruction stands (exit 1), and says how to keep a bundle
    let o = run(&[], &[]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --bundle PATH"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[("OMEGA_STATE_DIR", state.as_path())], &["--no-bundle"]);
    assert_eq!(code(&o), 1);
    assert!(!state.join("omega/bundles").join(&name).exists());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("crash bundle"));
}
