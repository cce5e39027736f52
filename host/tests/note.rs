//! `omega note verify` (op 22) as a user meets it: a note from a file or
//! stdin, keys repeated with `--vkey`, exit 0 valid / 1 invalid / 2
//! malformed, on both engines. The op's bytes are pinned by the golden
//! vectors (`note-verify-*`); this checks the command around them.
mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// The vkey a `omega keygen` prints on stdout.
fn keygen(dir: &std::path::Path, name: &str) -> String {
    let o = omega_in(dir, &["keygen", "--name", name, "--out", &format!("{name}.key")]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
fn verifies_a_certificate_note_from_a_file_and_from_stdin() {
    let d = tmp("note-verify");
    let a = keygen(&d, "a.example");
    let b = keygen(&d, "b.example");
    let c = case("demo-sample");
    std::fs::copy(vectors().join(&c.expected), d.join("r.json")).unwrap();
    let o = omega_in(&d, &["certify", "--result", "r.json", "--key", "a.example.key", "--origin", "o.example", "--out", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega_in(&d, &["note", "--cert", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    std::fs::write(d.join("n.txt"), &o.stdout).unwrap();
    for engine in engines() {
        // signed by a: valid with a's key, also when b's is given too
        let o = omega_in(&d, &["note", "verify", "--input", "n.txt", "--vkey", &a, "--vkey", &b, "--engine", engine]);
        assert_eq!(code(&o), 0, "{engine}: {}", err(&o));
        let v = json(&o);
        assert_eq!(v["status"], "valid");
        assert_eq!(v["verified_by"], serde_json::json!(["a.example"]));
        // b alone did not sign it: invalid, exit 1, a's line reported as unknown
        let o = omega_in(&d, &["note", "verify", "--input", "n.txt", "--vkey", &b, "--engine", engine]);
        assert_eq!(code(&o), 1, "{engine}");
        assert_eq!(json(&o)["signatures"][0]["status"], "unknown_key");
        // from stdin (the default input)
        let mut p = Command::new(bin())
            .current_dir(&d)
            .args(["note", "verify", "--vkey", &a, "--engine", engine])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        p.stdin.take().unwrap().write_all(&std::fs::read(d.join("n.txt")).unwrap()).unwrap();
        let o = p.wait_with_output().unwrap();
        assert_eq!(code(&o), 0, "{engine} stdin: {}", err(&o));
        // a malformed key and a text that is not a note: exit 2 with the code
        let o = omega_in(&d, &["note", "verify", "--input", "n.txt", "--vkey", "nonsense", "--engine", engine]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("3503"), "{}", err(&o));
        std::fs::write(d.join("plain.txt"), "no signatures here\n").unwrap();
        let o = omega_in(&d, &["note", "verify", "--input", "plain.txt", "--vkey", &a, "--engine", engine]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("3501"), "{}", err(&o));
    }
    // no --vkey at all is a usage error, before any engine runs
    let o = omega_in(&d, &["note", "verify", "--input", "n.txt"]);
    assert_eq!(code(&o), 2);
    // `omega note --cert` still prints the note
    let o = omega_in(&d, &["note", "--cert", "c.cert"]);
    assert_eq!(std::fs::read(d.join("n.txt")).unwrap(), o.stdout);
}
