//! What the CLI test files share: running `omega`, reading its output, the
//! golden vectors, the engines to run on, temporary folders.
//!
//! The wasm engine needs the blob (`cargo xtask blob`); `cargo xtask test`
//! builds it first and sets OMEGA_REQUIRE_BLOB=1, so a missing blob fails
//! instead of skipping the wasm-engine checks.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use omega_core::api::vectors::{Case, Manifest};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Real nats-server processes (one, or a routed cluster) for the cluster tests.
pub mod nats;

/// `omega node` processes, committees and chains for the live-cluster tests.
pub mod cluster;

/// The `omega` under test: this build's, or `$OMEGA_TEST_BIN` (to run the
/// checks against another build, e.g. one from before a fix, and see them fail).
pub fn bin() -> String {
    std::env::var("OMEGA_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_omega").to_string())
}

/// Copies the omega binary to `dest` (an "installed" omega, away from the
/// checkout) and returns once it can be executed. Right after the copy it can
/// be "busy" (ETXTBSY): a process another test thread forked while the copy
/// was being written holds the write descriptor until it execs. Once one exec
/// of the copy succeeds no writer is left, and none can appear.
pub fn install_copy(dest: &std::path::Path) {
    std::fs::copy(bin(), dest).expect("copy the omega binary");
    for _ in 0..200 {
        match Command::new(dest).arg("--version").output() {
            Err(e) if e.raw_os_error() == Some(26) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => panic!("{}: {e}", dest.display()),
            Ok(_) => return,
        }
    }
    panic!("{} stayed busy for 2 s", dest.display());
}

/// Runs `omega args` in the current folder.
pub fn omega(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run omega")
}

/// Runs `omega args` in `dir`.
pub fn omega_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin()).current_dir(dir).args(args).output().expect("run omega")
}

/// The exit code; a process killed by a signal fails the test, saying which.
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or_else(|| panic!("omega was killed by a signal: {:?}\n{}", o.status, String::from_utf8_lossy(&o.stderr)))
}

/// Standard output as JSON.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// Standard error as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The golden vectors folder.
pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// The golden vectors manifest, through the one typed reader every Rust user shares.
pub fn manifest() -> Manifest {
    let path = vectors().join(omega_core::api::vectors::FILE_NAME);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e} (run `cargo xtask vectors`)", path.display()));
    Manifest::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The golden vector case `name`.
pub fn case(name: &str) -> Case {
    manifest().cases.into_iter().find(|c| c.name == name).unwrap_or_else(|| panic!("the vectors manifest has no case `{name}`"))
}

/// A case's request bytes, read from the vectors folder.
pub fn request(c: &Case) -> Vec<u8> {
    c.request_bytes(|rel| std::fs::read(vectors().join(rel))).unwrap_or_else(|e| panic!("case {}: {e}", c.name))
}

/// A case's exact response bytes (status, then the expected body).
pub fn response(c: &Case) -> Vec<u8> {
    let body = std::fs::read(vectors().join(&c.expected)).unwrap_or_else(|e| panic!("case {}: reading {}: {e}", c.name, c.expected));
    c.response_bytes(&body)
}

/// The blob `cargo xtask blob` built, if there is one (required under OMEGA_REQUIRE_BLOB).
pub fn blob() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm");
    if p.is_file() {
        return Some(p);
    }
    assert!(std::env::var_os("OMEGA_REQUIRE_BLOB").is_none(), "no blob at {}: run `cargo xtask blob`", p.display());
    eprintln!("note: no blob at {}; the wasm-engine checks are skipped (run `cargo xtask blob`)", p.display());
    None
}

/// The engines to run every case on.
pub fn engines() -> Vec<&'static str> {
    if blob().is_some() { vec!["native", "wasm"] } else { vec!["native"] }
}

/// A fresh folder for one test, unique per test file, process and `name`.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("omega-{}-{}-{name}", env!("CARGO_CRATE_NAME"), std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path as `&str` (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `n` batches of sample events into `d` (b1.bin …), each extending
/// the history of the ones before; returns their names.
pub fn batches(d: &Path, sizes: &[u32]) -> Vec<String> {
    let mut prior: Option<String> = None;
    let mut names = Vec::new();
    for (i, per) in sizes.iter().enumerate() {
        let name = format!("b{}.bin", i + 1);
        let per = per.to_string();
        let seed = (i + 1).to_string();
        let mut args = vec!["sample", "--seed", &seed, "--nodes", "3", "--streams", "2", "--per-stream", &per, "--format", "binary", "--out", &name];
        if let Some(p) = &prior {
            args.extend(["--prior", p]);
        }
        let o = omega_in(d, &args);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let r = format!("r{}.json", i + 1);
        let mut args = vec!["reconcile", "--format", "binary", "-i", &name];
        if let Some(p) = &prior {
            args.extend(["--prior", p]);
        }
        let o = omega_in(d, &args);
        assert_eq!(code(&o), 0, "{}", err(&o));
        std::fs::write(d.join(&r), &o.stdout).unwrap();
        prior = Some(r);
        names.push(name);
    }
    names
}
