//! `omega bench`: every workload on both engines, with identical bytes
//! checked before timing. A tiny run here (the numbers themselves are for
//! `omega bench` by hand and docs/PERFORMANCE.md, never asserted on).
use std::path::Path;
use std::process::Command;

fn blob() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm");
    if p.is_file() {
        return Some(p);
    }
    assert!(std::env::var_os("OMEGA_REQUIRE_BLOB").is_none(), "no blob at {}: run `cargo xtask blob`", p.display());
    eprintln!("note: no blob at {}; skipped (run `cargo xtask blob`)", p.display());
    None
}

#[test]
fn every_row_has_both_engines_and_a_throughput() {
    let Some(blob) = blob() else { return };
    let o = Command::new(env!("CARGO_BIN_EXE_omega"))
        .args(["bench", "--quick", "--json", "--events", "3000", "--entities", "500", "--runs", "1", "--blob"])
        .arg(&blob)
        .output()
        .expect("run omega");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let rows = v["rows"].as_array().expect("rows");
    let names: Vec<&str> = rows.iter().map(|r| r["workload"].as_str().unwrap_or("")).collect();
    assert_eq!(
        names,
        ["reconcile", "merkle root", "inclusion proof", "verify inclusion", "proof from tiles", "proof from tiles", "verify certificate", "verify certificate", "verify Ed25519", "ingest", "ecs tick"]
    );
    for r in rows {
        assert_eq!(r["same_bytes"], true);
        for e in ["native", "wasm"] {
            let m = r[e]["median_s"].as_f64().expect("median");
            assert!(m >= 0.0 && m.is_finite(), "{r}");
            assert!(r[format!("{e}_throughput")].as_f64().is_some(), "{r}");
        }
        assert!(r["unit"].as_str().is_some_and(|u| u.ends_with("/s")), "{r}");
    }
    assert_eq!(v["events"], 3000);
    assert!(v["machine"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn a_missing_blob_is_a_clear_error_with_exit_2() {
    let o = Command::new(env!("CARGO_BIN_EXE_omega"))
        .args(["bench", "--quick", "--blob", "/nonexistent/omega_wasm_bg.wasm"])
        .output()
        .expect("run omega");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no blob at /nonexistent/omega_wasm_bg.wasm"), "{err}");
}
