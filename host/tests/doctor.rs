//! `omega doctor`: the JSON report names every part, the native self-test
//! passes, missing tools are reported with the command that fixes them (exit
//! 1), and a blob whose stamp does not match is called stale or unstamped.
// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PARTS: [&str; 11] = [
    "wasm32 target",
    "no_std target",
    "wasm-bindgen CLI",
    "blob",
    "blob sources",
    "node",
    "npm",
    "chromium",
    "playwright-core",
    "self-test native",
    "self-test wasm",
];

fn doctor(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omega"));
    c.arg("doctor").args(args);
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

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("omega-doctor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sha256_hex(bytes: &[u8]) -> String {
    omega_core::hex::encode(&omega_core::sha256(bytes))
}

#[test]
fn json_report_has_every_part_and_the_native_self_test_passes() {
    let o = doctor(&["--json"], &[]);
    let r = report(&o);
    let code = o.status.code();
    assert_eq!(
        code,
        Some(if r["ok"] == true { 0 } else { 1 }),
        "exit code follows `ok`: {r:#}"
    );
    for part in PARTS {
        let c = check(&r, part);
        let status = field(c, "status");
        assert!(
            ["ok", "missing", "stale", "warn"].contains(&status),
            "{part}: {status}"
        );
        assert!(!field(c, "detail").is_empty(), "{part} has a detail");
        if matches!(status, "missing" | "stale") {
            assert!(
                !field(c, "fix").is_empty(),
                "{part} is {status} and names no fix"
            );
        }
    }
    let native = check(&r, "self-test native");
    assert_eq!(native["status"], "ok", "{native}");
    assert!(field(native, "detail").contains("demo-sample"), "{native}");
    // `ok` is false exactly when some part is missing or stale
    let failing = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "missing" || c["status"] == "stale");
    assert_eq!(r["ok"] == false, failing, "{r:#}");

    // The table says the same, with the header and a summary line.
    let t = doctor(&[], &[]);
    assert_eq!(t.status.code(), code);
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(
        text.contains("part")
            && text.contains("status")
            && text.contains("detail")
            && text.contains("fix"),
        "{text}"
    );
    for part in PARTS {
        assert!(text.contains(part), "the table lacks {part}:\n{text}");
    }
    assert!(
        text.contains("all well") || text.contains("missing or stale"),
        "{text}"
    );
}

#[test]
fn missing_chromium_and_node_exit_1_and_name_their_fixes() {
    // PATH without any folder that holds `node`.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("node").exists())
        .collect();
    let path = std::env::join_paths(kept).unwrap();
    let o = doctor(
        &["--json"],
        &[
            ("OMEGA_CHROMIUM", "/nonexistent/chromium"),
            ("PATH", path.to_str().unwrap()),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r = report(&o);
    assert_eq!(r["ok"], false);
    let chromium = check(&r, "chromium");
    assert_eq!(chromium["status"], "missing", "{chromium}");
    assert!(
        field(chromium, "detail").contains("/nonexistent/chromium"),
        "{chromium}"
    );
    assert!(
        field(chromium, "fix").contains("apt-get install -y chromium"),
        "{chromium}"
    );
    let node = check(&r, "node");
    assert_eq!(node["status"], "missing", "{node}");
    assert!(
        field(node, "fix").contains("apt-get install -y nodejs"),
        "{node}"
    );
    // The self-test does not need node: it still runs natively.
    assert_eq!(check(&r, "self-test native")["status"], "ok");

    // The table names the same fixes.
    let t = doctor(
        &[],
        &[
            ("OMEGA_CHROMIUM", "/nonexistent/chromium"),
            ("PATH", path.to_str().unwrap()),
        ],
    );
    assert_eq!(t.status.code(), Some(1));
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(
        text.contains("apt-get install -y chromium") && text.contains("apt-get install -y nodejs"),
        "{text}"
    );
}

/// A stand-in blob: the empty wasm module (it loads, but lacks omega's exports).
const FAKE_BLOB: &[u8] = b"\0asm\x01\0\0\0";

fn blob_sources(blob: &Path) -> serde_json::Value {
    let o = doctor(&["--json", "--blob", blob.to_str().unwrap()], &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the fake blob fails the wasm self-test"
    );
    let r = report(&o);
    assert_eq!(check(&r, "blob")["status"], "ok");
    assert!(field(check(&r, "blob"), "detail").contains(&sha256_hex(FAKE_BLOB)));
    assert_eq!(check(&r, "self-test wasm")["status"], "missing", "{r:#}");
    check(&r, "blob sources").clone()
}

#[test]
fn a_blob_whose_stamp_does_not_match_is_stale_or_unstamped() {
    let dir = tmp("stamp");
    let blob = dir.join("omega_wasm_bg.wasm");
    std::fs::write(&blob, FAKE_BLOB).unwrap();
    let stamp = dir.join("omega_wasm_bg.wasm.sources");
    let blob_sha = sha256_hex(FAKE_BLOB);

    // no stamp at all
    let c = blob_sources(&blob);
    assert_eq!(c["status"], "warn", "{c}");
    assert!(field(&c, "detail").contains("no stamp"), "{c}");
    assert_eq!(c["fix"], "cargo xtask blob");

    // garbage in the stamp
    std::fs::write(&stamp, "not a hash\n").unwrap();
    let c = blob_sources(&blob);
    assert!(field(&c, "detail").contains("no stamp"), "{c}");

    // a stamp for other sources
    std::fs::write(&stamp, format!("{}\n{blob_sha}\n", "0".repeat(64))).unwrap();
    let c = blob_sources(&blob);
    assert_eq!(c["status"], "stale", "{c}");
    assert_eq!(c["fix"], "cargo xtask blob");
    let detail = field(&c, "detail");
    let now = detail.rsplit(' ').next().unwrap().to_string();
    assert_eq!(now.len(), 64, "{detail}");

    // a stamp for these sources but another blob
    std::fs::write(&stamp, format!("{now}\n{}\n", "1".repeat(64))).unwrap();
    let c = blob_sources(&blob);
    assert_eq!(c["status"], "stale", "{c}");
    assert!(field(&c, "detail").contains("the blob changed"), "{c}");

    // the right stamp
    std::fs::write(&stamp, format!("{now}\n{blob_sha}\n")).unwrap();
    let c = blob_sources(&blob);
    assert_eq!(c["status"], "ok", "{c}");
    assert!(field(&c, "detail").contains("matches the sources"), "{c}");
}

#[test]
fn a_missing_blob_is_named_with_its_fix() {
    let o = doctor(
        &["--json", "--blob", "/nonexistent/omega_wasm_bg.wasm"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let r = report(&o);
    for part in ["blob", "blob sources", "self-test wasm"] {
        let c = check(&r, part);
        assert_eq!(c["status"], "missing", "{c}");
        assert_eq!(c["fix"], "cargo xtask blob", "{c}");
    }
    assert!(field(check(&r, "self-test wasm"), "detail").contains("skipped"));
    assert_eq!(check(&r, "self-test native")["status"], "ok");
}
