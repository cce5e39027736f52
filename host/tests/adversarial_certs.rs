//! Hostile inputs to the certify commands (issue 12, items 2, 3, 4, 6 and
//! part of 13), each on both engines: names and origins longer than the
//! certificate format holds, concurrent in-place cosigns, one key under two
//! names, a bogus signature line in front of a genuine one, `keygen --force`
//! on a symlink, `--out` naming a directory, and `verify-proof` verdicts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use omega_core::certify::cert::Certificate;
use omega_core::certify::note::{self, SignerKey, VerifierKey};
mod common;
use common::{code, engines, err, omega, s, tmp, vectors};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes a signer key file (mode 600) for `key`.
fn key_file(dir: &Path, file: &str, key: &SignerKey) -> PathBuf {
    write_key_text(dir, file, &key.to_text())
}

fn write_key_text(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, format!("{text}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

fn signer(i: u8) -> SignerKey {
    SignerKey::from_seed(&format!("adv.example/k{i}"), [i + 100; 32]).unwrap()
}

fn committee_file(dir: &Path, file: &str, k: usize, members: &[String]) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, serde_json::to_vec(&serde_json::json!({"threshold": k, "members": members})).unwrap()).unwrap();
    p
}

/// An ok reconcile result to certify.
fn result() -> PathBuf {
    vectors().join("reconcile/demo-sample.out.json")
}

/// A fresh certificate signed by `by`, committing to `committee` when given.
fn certify(dir: &Path, out: &str, by: &Path, committee: Option<&Path>) -> PathBuf {
    let out = dir.join(out);
    let r = result();
    let mut args = vec!["certify", "--result", s(&r), "--key", s(by), "--origin", "adv.example/log", "--out", s(&out)];
    if let Some(c) = committee {
        args.extend(["--committee", s(c)]);
    }
    let o = omega(&args);
    assert_eq!(code(&o), 0, "{}", err(&o));
    out
}

/// A signer key text for `name`, which may be longer than omega allows.
fn raw_key_text(name: &str, seed: [u8; 32]) -> String {
    let public = *SignerKey::from_seed("x", seed).unwrap().verifier().public();
    let mut data = vec![note::ALG_ED25519];
    data.extend_from_slice(&seed);
    format!("PRIVATE+KEY+{name}+{:08x}+{}", note::key_id(name, &public), note::b64(&data))
}

#[test]
fn names_and_origins_longer_than_the_format_are_refused_with_a_code() {
    let dir = tmp("long");
    let k0 = key_file(&dir, "k0.key", &signer(0));
    let cert = certify(&dir, "c.cert", &k0, None);
    let original = std::fs::read(&cert).unwrap();
    let long_key = write_key_text(&dir, "long.key", &raw_key_text(&"n".repeat(256), [7; 32]));
    for e in engines() {
        // keygen: 255 bytes is the most a name may have
        let out = dir.join(format!("long-{e}.key"));
        let o = omega(&["keygen", "--name", &"n".repeat(256), "--out", s(&out), "--engine", e]);
        assert_eq!(code(&o), 2, "{e}: {}", err(&o));
        assert!(err(&o).contains("error 3502") && err(&o).contains("256 bytes") && err(&o).contains("at most 255"), "{e}: {}", err(&o));
        assert!(!out.exists(), "{e}: no key file for a refused name");
        let o = omega(&["keygen", "--name", &"n".repeat(255), "--out", s(&out), "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", err(&o));
        // certify: an origin over 65,535 bytes
        let c = dir.join(format!("long-origin-{e}.cert"));
        let origin = "o".repeat(65_536);
        let o = omega(&["certify", "--result", s(&result()), "--key", s(&k0), "--origin", &origin, "--out", s(&c), "--engine", e]);
        assert_eq!(code(&o), 2, "{e}: {}", err(&o));
        assert!(err(&o).contains("error 3502") && err(&o).contains("origin is 65536 bytes"), "{e}: {}", err(&o));
        assert!(!c.exists());
        let o = omega(&["certify", "--result", s(&result()), "--key", s(&k0), "--origin", &origin[1..], "--out", s(&c), "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", err(&o));
        let back = Certificate::read(&std::fs::read(&c).unwrap()).unwrap();
        assert_eq!(back.checkpoint.origin.len(), 65_535);
        // certify and cosign with a key whose name is too long: refused, the certificate intact
        let o = omega(&["certify", "--result", s(&result()), "--key", s(&long_key), "--origin", "a.example/log", "--out", s(&c), "--engine", e]);
        assert_eq!(code(&o), 2, "{e}: {}", err(&o));
        assert!(err(&o).contains("error 3502"), "{e}: {}", err(&o));
        let o = omega(&["cosign", "--cert", s(&cert), "--key", s(&long_key), "--engine", e]);
        assert_eq!(code(&o), 2, "{e}: {}", err(&o));
        assert!(err(&o).contains("error 3502"), "{e}: {}", err(&o));
        assert_eq!(std::fs::read(&cert).unwrap(), original, "{e}: a refused cosign leaves the certificate as it was");
        // a committee member with such a name
        let long_member = format!("{}+00000000+AQ==", "n".repeat(256));
        let comm = committee_file(&dir, "long-committee.json", 1, &[long_member]);
        let o = omega(&["verify", "--cert", s(&cert), "--committee", s(&comm), "--engine", e]);
        assert_eq!(code(&o), 2, "{e}: {}", err(&o));
        assert!(err(&o).contains("error 3603") && err(&o).contains("at most 255"), "{e}: {}", err(&o));
    }
}

#[test]
fn concurrent_in_place_cosigns_both_land() {
    let dir = tmp("race");
    let k0 = key_file(&dir, "k0.key", &signer(0));
    let k1 = key_file(&dir, "k1.key", &signer(1));
    let k2 = key_file(&dir, "k2.key", &signer(2));
    let members: Vec<String> = (0..3).map(|i| signer(i).verifier().to_string()).collect();
    let comm = committee_file(&dir, "committee.json", 3, &members);
    for e in engines() {
        // The lock is the host's, the same for both engines; the wasm engine's
        // slower start only widens the window, so it gets fewer rounds.
        let rounds = if e == "native" { 20 } else { 10 };
        for round in 0..rounds {
            let cert = certify(&dir, &format!("c-{e}-{round}.cert"), &k0, Some(&comm));
            let spawn = |k: &Path| {
                Command::new(common::bin())
                    .args(["cosign", "--cert", s(&cert), "--key", s(k), "--engine", e])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            let (a, b) = (spawn(&k1), spawn(&k2));
            let outs = [(1u8, a.wait_with_output().unwrap()), (2u8, b.wait_with_output().unwrap())];
            let c = Certificate::read(&std::fs::read(&cert).unwrap())
                .unwrap_or_else(|x| panic!("{e} round {round}: the certificate no longer reads: {x}"));
            for (i, o) in &outs {
                assert_eq!(code(o), 0, "{e} round {round}: cosign by k{i} failed: {}", err(o));
                let name = signer(*i).name().to_string();
                assert!(c.signatures.iter().any(|s| s.name == name), "{e} round {round}: k{i} exited 0 but its signature is gone");
            }
            let o = omega(&["verify", "--cert", s(&cert), "--committee", s(&comm), "--engine", e]);
            assert_eq!(code(&o), 0, "{e} round {round}: {}", String::from_utf8_lossy(&o.stdout));
        }
    }
    // no temporary file is left behind
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|d| d.ok()).filter(|d| d.file_name().to_string_lossy().ends_with(".tmp")).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn one_key_under_two_names_is_not_two_members() {
    let dir = tmp("alias");
    let k = signer(0);
    let alias = VerifierKey::new("adv.example/alias", *k.verifier().public()).unwrap();
    let kf = key_file(&dir, "k.key", &k);
    let alias_key = write_key_text(&dir, "alias.key", &SignerKey::from_seed("adv.example/alias", [100; 32]).unwrap().to_text());
    let comm = committee_file(&dir, "committee.json", 2, &[k.verifier().to_string(), alias.to_string()]);
    let cert = certify(&dir, "c.cert", &kf, None);
    assert_eq!(code(&omega(&["cosign", "--cert", s(&cert), "--key", s(&alias_key)])), 0);
    for e in engines() {
        for args in [
            vec!["verify", "--cert", s(&cert), "--committee", s(&comm), "--engine", e],
            vec!["explain", "--cert", s(&cert), "--committee", s(&comm), "--engine", e],
            vec!["certify", "--result", s(&result()), "--key", s(&kf), "--origin", "a.example/log", "--committee", s(&comm), "--out", s(&dir.join("x.cert")), "--engine", e],
        ] {
            let o = omega(&args);
            assert_eq!(code(&o), 2, "{e} {}: {}", args[0], String::from_utf8_lossy(&o.stdout));
            assert!(err(&o).contains("error 3603") && err(&o).contains("same public key"), "{e}: {}", err(&o));
        }
    }
}

/// The note text of `cert` with `line` inserted as its first signature line.
fn with_first_line(cert: &Path, line: &str) -> String {
    let c = Certificate::read(&std::fs::read(cert).unwrap()).unwrap();
    let note = c.to_note();
    let at = note.find("\n\n").unwrap() + 2;
    format!("{}{line}{}", &note[..at], &note[at..])
}

/// A signature line with `key`'s name and key id and bytes that do not verify.
fn bogus_line(key: &SignerKey) -> String {
    let mut data = key.verifier().id().to_be_bytes().to_vec();
    data.extend_from_slice(&[0x42; 64]);
    format!("\u{2014} {} {}\n", key.name(), note::b64(&data))
}

#[test]
fn a_bogus_line_before_a_genuine_one_does_not_hide_it() {
    let dir = tmp("bogus");
    let (s0, s1) = (signer(0), signer(1));
    let (k0, k1) = (key_file(&dir, "k0.key", &s0), key_file(&dir, "k1.key", &s1));
    let comm = committee_file(&dir, "committee.json", 2, &[s0.verifier().to_string(), s1.verifier().to_string()]);
    for e in engines() {
        let cert = certify(&dir, &format!("c-{e}.cert"), &k0, Some(&comm));
        // only k0 signed, and a bogus k1 line precedes it: k1's cosign is not "already signed"
        let forged = dir.join(format!("forged-{e}.note"));
        std::fs::write(&forged, with_first_line(&cert, &bogus_line(&s1))).unwrap();
        let o = omega(&["cosign", "--cert", s(&forged), "--key", s(&k1), "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", err(&o));
        let o = omega(&["verify", "--cert", s(&forged), "--committee", s(&comm), "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", String::from_utf8_lossy(&o.stdout));
        let c = Certificate::read(&std::fs::read(&forged).unwrap()).unwrap();
        assert_eq!(c.signatures.len(), 2, "{e}: the bogus k1 line was replaced by the genuine one");
        // a second cosign by k1 is refused now: it did sign
        let o = omega(&["cosign", "--cert", s(&forged), "--key", s(&k1), "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("error 3605"), "{e}: {}", err(&o));
        // both signed, then a bogus k1 line is put in front of the genuine one: still valid, 2 of 2
        assert_eq!(code(&omega(&["cosign", "--cert", s(&cert), "--key", s(&k1), "--engine", e])), 0);
        let front = dir.join(format!("front-{e}.note"));
        std::fs::write(&front, with_first_line(&cert, &bogus_line(&s1))).unwrap();
        let o = omega(&["verify", "--cert", s(&front), "--committee", s(&comm), "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", String::from_utf8_lossy(&o.stdout));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["valid_signers"], 2);
        assert_eq!(v["signatures"][0]["status"], "bad_signature");
        assert!(v["signatures"].as_array().unwrap().iter().filter(|x| x["status"] == "valid").count() == 2, "{v}");
    }
}

#[cfg(unix)]
#[test]
fn keygen_force_replaces_a_symlink_and_never_writes_through_it() {
    let dir = tmp("symlink");
    for e in engines() {
        let victim = dir.join(format!("victim-{e}.txt"));
        std::fs::write(&victim, b"precious\n").unwrap();
        let link = dir.join(format!("link-{e}.key"));
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let o = omega(&["keygen", "--name", "a.example/k", "--out", s(&link), "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("exists; pass --force"), "{e}: {}", err(&o));
        let o = omega(&["keygen", "--name", "a.example/k", "--out", s(&link), "--force", "--engine", e]);
        assert_eq!(code(&o), 0, "{e}: {}", err(&o));
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n", "{e}: the link's target was written through");
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(meta.file_type().is_file(), "{e}: the link itself is replaced by the key file");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(std::fs::read_to_string(&link).unwrap().starts_with("PRIVATE+KEY+a.example/k+"));
        // a dangling link: refused without --force (nothing is created at its target), replaced with it
        let dangling = dir.join(format!("dangling-{e}.key"));
        let target = dir.join(format!("nowhere-{e}"));
        std::os::unix::fs::symlink(&target, &dangling).unwrap();
        assert_eq!(code(&omega(&["keygen", "--name", "a.example/k", "--out", s(&dangling), "--engine", e])), 2);
        assert!(!target.exists());
        assert_eq!(code(&omega(&["keygen", "--name", "a.example/k", "--out", s(&dangling), "--force", "--engine", e])), 0);
        assert!(!target.exists() && std::fs::symlink_metadata(&dangling).unwrap().file_type().is_file());
    }
}

#[test]
fn out_naming_a_directory_says_so() {
    let dir = tmp("outdir");
    let k0 = key_file(&dir, "k0.key", &signer(0));
    let k1 = key_file(&dir, "k1.key", &signer(1));
    let cert = certify(&dir, "c.cert", &k0, None);
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    for e in engines() {
        for args in [
            vec!["keygen", "--name", "a.example/k", "--out", s(&sub), "--engine", e],
            vec!["keygen", "--name", "a.example/k", "--out", s(&sub), "--force", "--engine", e],
            vec!["certify", "--result", s(&result()), "--key", s(&k0), "--origin", "a.example/log", "--out", s(&sub), "--engine", e],
            vec!["cosign", "--cert", s(&cert), "--key", s(&k1), "--out", s(&sub), "--engine", e],
        ] {
            let o = omega(&args);
            assert_eq!(code(&o), 2, "{e} {}", args[0]);
            assert!(err(&o).contains("is a directory") && !err(&o).contains("--force"), "{e} {}: {}", args[0], err(&o));
        }
        assert!(std::fs::read_dir(&sub).unwrap().next().is_none(), "nothing was written into the directory");
    }
}

#[test]
fn verify_proof_reports_a_proof_that_does_not_verify_as_invalid_exit_1() {
    let dir = tmp("proof");
    let events = vectors().join("reconcile/demo-sample.in.json");
    for e in engines() {
        let o = omega(&["prove", "--input", s(&events), "--index", "3", "--engine", e]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let mut p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        p["root"] = serde_json::Value::from("00".repeat(32));
        let f = dir.join(format!("bad-{e}.json"));
        std::fs::write(&f, serde_json::to_vec(&p).unwrap()).unwrap();
        let o = omega(&["verify-proof", "--proof", s(&f), "--engine", e]);
        assert_eq!(code(&o), 1, "{e}: an invalid proof is a verdict (exit 1), as FORMATS.md says");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((v["status"].as_str(), v["code"].as_u64()), (Some("invalid"), Some(3403)), "{v}");
        assert!(o.stderr.is_empty(), "{e}: {}", err(&o));
        // an index past the tree: invalid too (3401)
        p["leaf_index"] = serde_json::Value::from(1u64 << 40);
        std::fs::write(&f, serde_json::to_vec(&p).unwrap()).unwrap();
        let o = omega(&["verify-proof", "--proof", s(&f), "--engine", e]);
        assert_eq!(code(&o), 1);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["code"], 3401);
        // malformed proof JSON: an error (exit 2, 3405)
        std::fs::write(&f, br#"{"leaf_index": 1, "tree_size": 2}"#).unwrap();
        let o = omega(&["verify-proof", "--proof", s(&f), "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("error 3405"), "{e}: {}", err(&o));
    }
}
