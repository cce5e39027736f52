//! `omega doctor`: an installed omega checks only what it needs (itself, the
//! blob, the blob's stamp and version, a self-test on both engines), runs with
//! no developer tool on the PATH, names a missing blob with how to get one,
//! and exits 1 exactly when a row is missing, stale or failing.
//!
//! The checks that need the real blob (`cargo xtask blob`) are skipped without
//! it, unless OMEGA_REQUIRE_BLOB is set (as `cargo xtask test` does).
// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PARTS: [&str; 6] = [
    "omega",
    "blob",
    "blob stamp",
    "blob version",
    "self-test native",
    "self-test wasm",
];
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// A stand-in blob: the empty wasm module (it loads in no way omega can use: no exports).
const FAKE_BLOB: &[u8] = b"\0asm\x01\0\0\0";

/// `omega doctor args` run as an installed CLI would be: in an empty folder,
/// with a PATH that holds no program at all (no rustc, rustup, node, npm,
/// chromium) and $HOME in that folder, plus `env`.
fn doctor(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let empty = dir.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let mut c = Command::new(common::bin());
    c.current_dir(dir)
        .arg("doctor")
        .args(args)
        .env("PATH", &empty)
        .env("HOME", dir)
        .env_remove("OMEGA_BLOB");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run omega doctor")
}

fn report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn check<'a>(r: &'a serde_json::Value, part: &str) -> &'a serde_json::Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["part"] == part)
        .unwrap_or_else(|| panic!("no part {part} in {r:#}"))
}

fn field<'a>(c: &'a serde_json::Value, k: &str) -> &'a str {
    c[k].as_str()
        .unwrap_or_else(|| panic!("{k} is not a string in {c}"))
}

fn status<'a>(r: &'a serde_json::Value, part: &str) -> &'a str {
    field(check(r, part), "status")
}

fn sha256_hex(bytes: &[u8]) -> String {
    omega_core::hex::encode(&omega_core::sha256(bytes))
}

/// Every report: the six parts in order, known statuses, a fix for each
/// failing row, `ok` false exactly when one fails, and the exit code to match.
fn well_formed(o: &Output) -> serde_json::Value {
    let r = report(o);
    let parts: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| field(c, "part"))
        .collect();
    assert_eq!(parts, PARTS, "{r:#}");
    assert_eq!(r["version"], VERSION);
    let mut failing = false;
    for part in PARTS {
        let c = check(&r, part);
        let s = field(c, "status");
        assert!(
            ["ok", "warn", "missing", "stale", "fail"].contains(&s),
            "{part}: {s}"
        );
        assert!(!field(c, "detail").is_empty(), "{part} has a detail");
        if s != "ok" && s != "warn" {
            failing = true;
            assert!(
                !field(c, "fix").is_empty(),
                "{part} is {s} and names no fix"
            );
        }
    }
    assert_eq!(r["ok"], !failing, "{r:#}");
    assert_eq!(
        o.status.code(),
        Some(i32::from(failing)),
        "the exit code follows `ok`: {r:#}"
    );
    r
}

/// A copy of the real blob in `dir` (None, and a note, without one).
fn real_blob(dir: &Path) -> Option<PathBuf> {
    let src = common::blob()?;
    let dst = dir.join("omega_wasm_bg.wasm");
    std::fs::copy(src, &dst).unwrap();
    Some(dst)
}

fn stamp_of(blob: &Path) -> PathBuf {
    let mut p = blob.as_os_str().to_owned();
    p.push(".sources");
    p.into()
}

/// The stamp `cargo xtask blob` writes for `blob`, as from omega `version`.
fn write_stamp(blob: &Path, version: &str) {
    let sha = sha256_hex(&std::fs::read(blob).unwrap());
    let text = format!(
        "{}\n{sha}\nversion {version}\ncommit 0123456789abcdef0123456789abcdef01234567\n",
        "0".repeat(64)
    );
    std::fs::write(stamp_of(blob), text).unwrap();
}

#[test]
fn an_installed_omega_checks_its_blob_and_both_engines_with_no_tools_on_the_path() {
    let dir = common::tmp("installed");
    let Some(blob) = real_blob(&dir) else { return };
    write_stamp(&blob, VERSION);
    let o = doctor(
        &dir,
        &["--json", "--blob", common::s(&blob)],
        &[("OMEGA_CHROMIUM", "/nonexistent/chromium")],
    );
    let r = well_formed(&o);
    // No rustup, node or chromium anywhere, and still all well: none of them is asked about.
    assert_eq!(r["ok"], true, "{r:#}");
    for part in PARTS {
        assert_eq!(status(&r, part), "ok", "{r:#}");
    }
    let size = std::fs::metadata(&blob).unwrap().len().to_string();
    let sha = sha256_hex(&std::fs::read(&blob).unwrap());
    let b = field(check(&r, "blob"), "detail");
    for want in [common::s(&blob), "from --blob", size.as_str(), sha.as_str()] {
        assert!(b.contains(want), "the blob row lacks {want}: {b}");
    }
    let stamp = field(check(&r, "blob stamp"), "detail");
    assert!(
        stamp.contains(&format!("omega {VERSION}")) && stamp.contains("commit 0123456789abcdef"),
        "{stamp}"
    );
    assert!(field(check(&r, "blob version"), "detail").contains(VERSION));
    assert!(
        field(check(&r, "self-test native"), "detail").contains("small-shuffled-with-duplicates")
    );
    assert!(
        field(check(&r, "self-test wasm"), "detail").contains("the same 1520 bytes as native"),
        "{r:#}"
    );

    // The table says the same, with its header and summary line, and names no developer tool.
    let t = doctor(&dir, &["--blob", common::s(&blob)], &[]);
    assert_eq!(
        t.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&t.stderr)
    );
    let text = String::from_utf8_lossy(&t.stdout);
    for want in PARTS
        .iter()
        .chain(&["part", "status", "detail", "fix", "all well"])
    {
        assert!(text.contains(want), "the table lacks {want}:\n{text}");
    }
    for tool in [
        "rustup",
        "wasm32",
        "wasm-bindgen",
        "node",
        "npm",
        "chromium",
        "playwright",
    ] {
        assert!(
            !text.contains(tool),
            "an installed omega does not check {tool}:\n{text}"
        );
    }

    // $OMEGA_BLOB finds it too, and the row says so.
    let r = well_formed(&doctor(
        &dir,
        &["--json"],
        &[("OMEGA_BLOB", common::s(&blob))],
    ));
    assert!(
        field(check(&r, "blob"), "detail").contains("from $OMEGA_BLOB"),
        "{r:#}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_stamp_says_what_the_blob_was_built_from() {
    let dir = common::tmp("stamp");
    let blob = dir.join("omega_wasm_bg.wasm");
    std::fs::write(&blob, FAKE_BLOB).unwrap();
    let stamp = stamp_of(&blob);
    let sha = sha256_hex(FAKE_BLOB);
    let run = || {
        let o = doctor(&dir, &["--json", "--blob", common::s(&blob)], &[]);
        let r = well_formed(&o);
        // The stand-in loads in no useful way: found, but both blob rows that call it fail.
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(status(&r, "blob"), "ok");
        assert!(field(check(&r, "blob"), "detail").contains(&sha));
        assert_eq!(status(&r, "blob version"), "fail", "{r:#}");
        assert_eq!(status(&r, "self-test wasm"), "fail", "{r:#}");
        assert_eq!(status(&r, "self-test native"), "ok");
        check(&r, "blob stamp").clone()
    };

    // no stamp: a warning
    let c = run();
    assert_eq!(c["status"], "warn", "{c}");
    assert!(field(&c, "detail").contains("no stamp"), "{c}");

    // not a stamp
    std::fs::write(&stamp, "not a hash\n").unwrap();
    let c = run();
    assert_eq!(c["status"], "warn", "{c}");
    assert!(field(&c, "detail").contains("is not a stamp"), "{c}");

    // an older stamp: this blob, but no version
    std::fs::write(&stamp, format!("{}\n{sha}\n", "0".repeat(64))).unwrap();
    let c = run();
    assert_eq!(c["status"], "warn", "{c}");
    assert!(field(&c, "detail").contains("no version"), "{c}");

    // a stamp for another blob: the file changed since it was built
    std::fs::write(
        &stamp,
        format!(
            "{}\n{}\nversion {VERSION}\n",
            "0".repeat(64),
            "1".repeat(64)
        ),
    )
    .unwrap();
    let c = run();
    assert_eq!(c["status"], "stale", "{c}");
    assert!(
        field(&c, "detail").contains("the blob changed")
            && field(&c, "detail").contains(&"1".repeat(64)),
        "{c}"
    );

    // built from another omega
    write_stamp(&blob, "0.0.0-other");
    let c = run();
    assert_eq!(c["status"], "stale", "{c}");
    assert!(
        field(&c, "detail").contains("omega 0.0.0-other") && field(&c, "detail").contains(VERSION),
        "{c}"
    );

    // what `cargo xtask blob` writes for this blob and this omega
    write_stamp(&blob, VERSION);
    let c = run();
    assert_eq!(c["status"], "ok", "{c}");
    assert!(
        field(&c, "detail").contains("commit 0123456789abcdef"),
        "{c}"
    );

    // With the real blob a missing stamp is only a warning (exit 0), another omega's is not (exit 1).
    std::fs::remove_file(&stamp).unwrap();
    let Some(real) = real_blob(&dir) else { return };
    assert_eq!(real, blob, "the real blob replaces the stand-in");
    let o = doctor(&dir, &["--json", "--blob", common::s(&real)], &[]);
    let r = well_formed(&o);
    assert_eq!(
        (status(&r, "blob stamp"), o.status.code()),
        ("warn", Some(0)),
        "{r:#}"
    );
    write_stamp(&real, "0.0.0-other");
    let o = doctor(&dir, &["--json", "--blob", common::s(&real)], &[]);
    let r = well_formed(&o);
    assert_eq!(
        (status(&r, "blob stamp"), o.status.code()),
        ("stale", Some(1)),
        "{r:#}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_blob_of_another_version_is_stale_but_still_self_tested() {
    let dir = common::tmp("version");
    let Some(blob) = real_blob(&dir) else { return };
    // The version string the blob answers op 0 with, changed in place (same length).
    let other = VERSION.replace(|c: char| c.is_ascii_digit(), "9");
    assert_ne!(other, VERSION);
    let mut bytes = std::fs::read(&blob).unwrap();
    let at: Vec<usize> = bytes
        .windows(VERSION.len())
        .enumerate()
        .filter(|(_, w)| *w == VERSION.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert!(!at.is_empty(), "the blob holds no {VERSION}");
    for i in at {
        bytes[i..i + VERSION.len()].copy_from_slice(other.as_bytes());
    }
    std::fs::write(&blob, &bytes).unwrap();
    write_stamp(&blob, VERSION);
    let o = doctor(&dir, &["--json", "--blob", common::s(&blob)], &[]);
    let r = well_formed(&o);
    assert_eq!(o.status.code(), Some(1));
    let v = check(&r, "blob version");
    assert_eq!(v["status"], "stale", "{r:#}");
    assert!(
        field(v, "detail").contains(&format!(
            "the blob is omega {other}, this omega is {VERSION}"
        )),
        "{v}"
    );
    assert_eq!(status(&r, "self-test wasm"), "ok", "{r:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_blob_is_named_with_how_to_get_one() {
    let dir = common::tmp("missing");
    let o = doctor(
        &dir,
        &["--json", "--blob", "/nonexistent/omega_wasm_bg.wasm"],
        &[],
    );
    let r = well_formed(&o);
    assert_eq!(o.status.code(), Some(1));
    let b = check(&r, "blob");
    assert_eq!(b["status"], "missing", "{b}");
    assert!(
        field(b, "detail").contains("/nonexistent/omega_wasm_bg.wasm"),
        "{b}"
    );
    for how in ["--blob PATH", "$OMEGA_BLOB", "cargo xtask blob"] {
        assert!(field(b, "fix").contains(how), "the fix lacks {how}: {b}");
    }
    for part in ["blob stamp", "blob version", "self-test wasm"] {
        let c = check(&r, part);
        assert_eq!(c["status"], "missing", "{c}");
        assert!(field(c, "detail").contains("skipped: no blob"), "{c}");
    }
    assert_eq!(status(&r, "self-test native"), "ok");

    // The table ends by saying what is missing and how to get it.
    let t = doctor(&dir, &["--blob", "/nonexistent/omega_wasm_bg.wasm"], &[]);
    assert_eq!(t.status.code(), Some(1));
    let text = String::from_utf8_lossy(&t.stdout);
    let tail = text.rsplit("\n\n").next().unwrap();
    assert!(tail.starts_with("no blob:"), "{text}");
    for how in ["--blob PATH", "$OMEGA_BLOB", "cargo xtask blob"] {
        assert!(tail.contains(how), "the summary lacks {how}:\n{text}");
    }

    // A $OMEGA_BLOB that names no file is called out, whether or not a default blob is found.
    let r = well_formed(&doctor(
        &dir,
        &["--json"],
        &[("OMEGA_BLOB", "/nonexistent/env.wasm")],
    ));
    let b = check(&r, "blob");
    assert!(["warn", "missing"].contains(&field(b, "status")), "{b}");
    assert!(
        field(b, "detail").contains("$OMEGA_BLOB=/nonexistent/env.wasm is not a file"),
        "{b}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An installed omega (the binary copied away from the checkout, as `cargo
/// install --path host` leaves it) runs `--engine wasm` with the blob built
/// into it: the very bytes `cargo xtask blob` made for the npm package, with
/// no `--blob`, no `$OMEGA_BLOB`, and no build folder looked at; doctor
/// names every place it looked.
#[test]
fn an_installed_omega_runs_the_blob_built_into_it() {
    let Some(dist) = common::blob() else { return };
    let dir = common::tmp("embedded");
    let installed = dir.join("bin/omega");
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    common::install_copy(&installed);
    let o = Command::new(&installed)
        .current_dir(&dir)
        .args(["doctor", "--json"])
        .env("HOME", &dir)
        .env_remove("OMEGA_BLOB")
        .output()
        .unwrap();
    let r = well_formed(&o);
    assert_eq!(r["ok"], true, "{r:#}");
    let b = field(check(&r, "blob"), "detail");
    let sha = sha256_hex(&std::fs::read(&dist).unwrap());
    for want in [
        "the blob embedded in this omega (built into omega)",
        sha.as_str(),
        "looked at: --blob (not given); $OMEGA_BLOB (not set); embedded in this omega",
    ] {
        assert!(b.contains(want), "the blob row lacks {want}: {b}");
    }
    assert!(!b.contains("wasm/dist"), "no build folder is looked at: {b}");
    assert!(field(check(&r, "blob stamp"), "detail").contains("names this blob's sha256"), "{r:#}");
    assert_eq!(status(&r, "self-test wasm"), "ok", "{r:#}");

    // and the wasm engine runs it, giving the native engine's bytes
    let input = common::vectors().join("reconcile/demo-sample.in.json");
    let run = |engine: &str| {
        Command::new(&installed)
            .current_dir(&dir)
            .args(["reconcile", "--input", common::s(&input), "--engine", engine])
            .env("HOME", &dir)
            .env("OMEGA_VERBOSE", "1")
            .env_remove("OMEGA_BLOB")
            .output()
            .unwrap()
    };
    let (n, w) = (run("native"), run("wasm"));
    assert_eq!(w.status.code(), Some(0), "{}", String::from_utf8_lossy(&w.stderr));
    assert_eq!(n.stdout, w.stdout);
    // a --blob that is not there is an error, never a silent fallback to the embedded one
    let o = Command::new(&installed)
        .current_dir(&dir)
        .args(["reconcile", "--input", common::s(&input), "--engine", "wasm", "--blob", "/nonexistent/b.wasm"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no blob at /nonexistent/b.wasm (from --blob)"));
    let _ = std::fs::remove_dir_all(&dir);
}
