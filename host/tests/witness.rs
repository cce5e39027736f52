//! `omega witness`, witness keys and trust policies as a user meets them,
//! on both engines:
//!
//! - a witness cosigns an omega log's checkpoints as the log grows, proving
//!   each new tree consistent with the last from the log's tile store, or
//!   from a proof file; the cosigned note satisfies a C2SP policy and a
//!   committee that counts the witness;
//! - it refuses (exit 1) a checkpoint no known log signed, a rollback, a
//!   fork, a tree its tiles or the proof do not lead to, and leaves its
//!   state as it was; it refuses (exit 2) a note key and malformed input;
//! - `keygen --witness`, `cosign --time`, `note sign` and `note verify
//!   --policy` do what the README says.
mod common;
use common::*;
use std::path::Path;

fn ok(o: &std::process::Output) {
    assert_eq!(code(o), 0, "{}", err(o));
}

fn vkey_of(d: &Path, args: &[&str]) -> String {
    let o = omega_in(d, args);
    ok(&o);
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn state(d: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(d.join("ws.json")).unwrap()).unwrap()
}

#[test]
fn a_witness_follows_a_growing_log_and_refuses_what_it_cannot_check() {
    for engine in engines() {
        let d = tmp(&format!("follow-{engine}"));
        let names = batches(&d, &[40, 30, 20]);
        let log_vkey = vkey_of(&d, &["keygen", "--name", "example.com/log", "--out", "lg.key"]);
        let w_vkey = vkey_of(&d, &["keygen", "--name", "witness.example/w", "--out", "w.key", "--witness", "--engine", engine]);
        let raw = omega_core::certify::note::b64_decode(w_vkey.splitn(3, '+').nth(2).unwrap()).unwrap();
        assert_eq!((raw.len(), raw[0]), (33, 4), "a witness key is type 0x04: {w_vkey}");
        let other = vkey_of(&d, &["keygen", "--name", "example.com/log", "--out", "other.key"]);
        let witness = |input: &str, extra: &[&str]| {
            let mut a = vec!["witness", "--key", "w.key", "--state", "ws.json", "--log", &log_vkey, "--input", input, "--engine", engine];
            a.extend(extra);
            omega_in(&d, &a)
        };
        // three batches, each certified by the log and its note written
        for (i, b) in names.iter().enumerate() {
            ok(&omega_in(&d, &["append", "--log", "L.omega", "-i", b, "--format", "binary", "--tiles", "T", "--engine", engine]));
            let n = i + 1;
            let prev = format!("c{i}.cert");
            let mut a = vec!["certify", "--result", &format!("r{n}.json")[..], "--key", "lg.key", "--origin", "example.com/log"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            if i > 0 {
                a.extend(["--prev".into(), prev]);
            }
            a.extend(["--out".into(), format!("c{n}.cert"), "--engine".into(), engine.into()]);
            ok(&omega_in(&d, &a.iter().map(String::as_str).collect::<Vec<_>>()));
            let o = omega_in(&d, &["note", "--cert", &format!("c{n}.cert")]);
            ok(&o);
            std::fs::write(d.join(format!("c{n}.note")), &o.stdout).unwrap();
        }
        // the first tree: taken as it is
        let o = witness("c1.note", &["--tiles", "T", "--out", "w1.note", "--time", "1780000000"]);
        ok(&o);
        assert!(err(&o).contains("first tree seen"), "{}", err(&o));
        assert_eq!(state(&d)["logs"]["example.com/log"]["size"], 240);
        // the second: proven consistent from the tiles
        let o = witness("c2.note", &["--tiles", "T", "--out", "w2.note"]);
        ok(&o);
        assert!(err(&o).contains("was 240, proven consistent"), "{}", err(&o));
        assert_eq!(state(&d)["logs"]["example.com/log"]["size"], 420);
        // the same tree again: cosigned again
        ok(&witness("c2.note", &["--tiles", "T"]));
        let before = std::fs::read(d.join("ws.json")).unwrap();
        // refusals (exit 1) leave the state as it was
        let o = witness("c1.note", &["--tiles", "T"]);
        assert_eq!(code(&o), 1, "{}", err(&o));
        assert!(err(&o).contains("rolled back"), "{}", err(&o));
        let o = omega_in(&d, &["witness", "--key", "w.key", "--state", "ws.json", "--log", &other, "--input", "c3.note", "--tiles", "T", "--engine", engine]);
        assert_eq!(code(&o), 1, "{}", err(&o));
        assert!(err(&o).contains("not signed by a known log"), "{}", err(&o));
        // a fork: the log signs another root at the size already cosigned
        let text = "example.com/log\n420\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        std::fs::write(d.join("fork.txt"), text).unwrap();
        ok(&omega_in(&d, &["note", "sign", "--key", "lg.key", "--input", "fork.txt", "--out", "fork.note", "--engine", engine]));
        let o = witness("fork.note", &["--tiles", "T"]);
        assert_eq!(code(&o), 1, "{}", err(&o));
        assert!(err(&o).contains("forked"), "{}", err(&o));
        // a larger tree the tiles do not lead to
        std::fs::write(d.join("big.txt"), "example.com/log\n540\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        ok(&omega_in(&d, &["note", "sign", "--key", "lg.key", "--input", "big.txt", "--out", "big.note", "--engine", engine]));
        let o = witness("big.note", &["--tiles", "T"]);
        assert_eq!(code(&o), 1, "{}", err(&o));
        // a checkpoint that is not in the canonical form (a leading zero), though the log signed it: malformed (exit 2)
        std::fs::write(d.join("zero.txt"), "example.com/log\n0540\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        ok(&omega_in(&d, &["note", "sign", "--key", "lg.key", "--input", "zero.txt", "--out", "zero.note", "--engine", engine]));
        let o = witness("zero.note", &["--tiles", "T"]);
        assert_eq!(code(&o), 2, "{}", err(&o));
        assert!(err(&o).contains("3507") && err(&o).contains("\"0540\""), "{}", err(&o));
        // no proof at all: says what to give (exit 2)
        let o = witness("c3.note", &[]);
        assert_eq!(code(&o), 2, "{}", err(&o));
        assert!(err(&o).contains("--tiles DIR") && err(&o).contains("--old-size 420"), "{}", err(&o));
        assert_eq!(std::fs::read(d.join("ws.json")).unwrap(), before, "a refusal changed the state");
        // the third, from a proof file; a changed proof is refused
        let o = omega_in(&d, &["prove", "--tiles", "T", "--old-size", "420", "--size", "540", "--engine", engine]);
        ok(&o);
        std::fs::write(d.join("p.json"), &o.stdout).unwrap();
        let mut bad: serde_json::Value = json(&o);
        let h = bad["proof"][0].as_str().unwrap().to_string();
        bad["proof"][0] = serde_json::Value::String(format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]));
        std::fs::write(d.join("bad.json"), serde_json::to_vec(&bad).unwrap()).unwrap();
        let o = witness("c3.note", &["--proof", "bad.json"]);
        assert_eq!(code(&o), 1, "{}", err(&o));
        assert!(err(&o).contains("not consistent"), "{}", err(&o));
        assert_eq!(std::fs::read(d.join("ws.json")).unwrap(), before);
        ok(&witness("c3.note", &["--proof", "p.json", "--out", "w3.note"]));
        assert_eq!(state(&d)["logs"]["example.com/log"]["size"], 540);
        // a note key is not a witness key
        let o = omega_in(&d, &["witness", "--key", "lg.key", "--state", "ws.json", "--log", &log_vkey, "--input", "c3.note", "--engine", engine]);
        assert_eq!(code(&o), 2, "{}", err(&o));
        assert!(err(&o).contains("keygen --witness"), "{}", err(&o));

        // what the witness wrote: the log's note with a cosignature stamped at the given time
        let w1 = std::fs::read_to_string(d.join("w1.note")).unwrap();
        let n = omega_core::certify::note::Note::parse(w1.as_bytes()).unwrap();
        assert_eq!(n.signatures.len(), 2);
        assert_eq!(n.signatures[1].sig[..8], 1_780_000_000u64.to_be_bytes());
        // it meets a policy of the log and the witness ...
        std::fs::write(d.join("policy.txt"), format!("log {log_vkey}\nwitness w {w_vkey}\nquorum w\n")).unwrap();
        let o = omega_in(&d, &["note", "verify", "--policy", "policy.txt", "--input", "w3.note", "--engine", engine]);
        ok(&o);
        assert_eq!(json(&o)["witnesses"][0]["status"], "valid");
        let o = omega_in(&d, &["note", "verify", "--policy", "policy.txt", "--input", "c3.note", "--engine", engine]);
        assert_eq!(code(&o), 1, "without the cosignature the quorum is not met");
        std::fs::write(d.join("bad-policy.txt"), format!("witness w {w_vkey}\nquorum x\n")).unwrap();
        let o = omega_in(&d, &["note", "verify", "--policy", "bad-policy.txt", "--input", "w3.note", "--engine", engine]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("3507"), "{}", err(&o));
        // ... and a committee that counts the witness
        ok(&omega_in(&d, &["committee", "--threshold", "2", "--out", "C.json", "lg.key", &w_vkey]));
        let o = omega_in(&d, &["verify", "--cert", "w3.note", "--committee", "C.json", "--engine", engine]);
        ok(&o);
        assert_eq!(json(&o)["valid_signers"], 2);
        assert_eq!(code(&omega_in(&d, &["verify", "--cert", "c3.cert", "--committee", "C.json", "--engine", engine])), 1);
        // `cosign` adds the witness to the binary certificate too, at --time or now
        ok(&omega_in(&d, &["cosign", "--cert", "c3.cert", "--key", "w.key", "--out", "c3w.cert", "--time", "1780000001", "--engine", engine]));
        ok(&omega_in(&d, &["verify", "--cert", "c3w.cert", "--committee", "C.json", "--engine", engine]));
        let o = omega_in(&d, &["cosign", "--cert", "c3.cert", "--key", "lg.key", "--out", "x.cert", "--time", "5", "--engine", engine]);
        assert_eq!(code(&o), 2, "a note key takes no --time");
        ok(&omega_in(&d, &["cosign", "--cert", "c3.cert", "--key", "w.key", "--out", "c3n.cert", "--engine", engine]));
        let o = omega_in(&d, &["note", "--cert", "c3n.cert"]);
        let n = omega_core::certify::note::Note::parse(&o.stdout).unwrap();
        let t = u64::from_be_bytes(n.signatures[1].sig[..8].try_into().unwrap());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert!(t <= now && now - t < 600, "the clock's time: {t} against {now}");
    }
}

#[test]
fn a_corrupt_state_is_never_overwritten() {
    let d = tmp("state");
    let log_vkey = vkey_of(&d, &["keygen", "--name", "example.com/log", "--out", "lg.key"]);
    vkey_of(&d, &["keygen", "--name", "w", "--out", "w.key", "--witness"]);
    std::fs::write(d.join("t.txt"), "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
    ok(&omega_in(&d, &["note", "sign", "--key", "lg.key", "--input", "t.txt", "--out", "t.note"]));
    std::fs::write(d.join("ws.json"), b"{\"version\": 1, \"logs\": {\"example.com/log\": {\"size\": 1}}}").unwrap();
    let o = omega_in(&d, &["witness", "--key", "w.key", "--state", "ws.json", "--log", &log_vkey, "--input", "t.note"]);
    assert_ne!(code(&o), 0);
    assert!(err(&o).contains("left as it is"), "{}", err(&o));
    assert_eq!(std::fs::read(d.join("ws.json")).unwrap(), b"{\"version\": 1, \"logs\": {\"example.com/log\": {\"size\": 1}}}");
}

#[test]
fn a_node_refuses_a_witness_key_before_it_connects() {
    let d = tmp("node");
    vkey_of(&d, &["keygen", "--name", "w", "--out", "w.key", "--witness"]);
    let o = omega_in(&d, &["node", "--nats", "nats://127.0.0.1:1", "--log", "x", "--key", "w.key", "--committee", "C.json", "--data", "D"]);
    assert_ne!(code(&o), 0);
    assert!(err(&o).contains("witness key (type 0x04)"), "{}", err(&o));
}
