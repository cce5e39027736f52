//! omega's tile store read by an implementation not written here: Go's
//! golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
//! golang-golang-x-mod-dev), driven by tests/go/tlogcheck. Go opens the
//! signed checkpoint, loads tiles through tlog.TileHashReader (which checks
//! each tile against the checkpoint's root), and proves and checks
//! inclusion and consistency; every proof must equal `omega prove --tiles`,
//! and a changed tile or checkpoint must be rejected by both.
//!
//! Needs Go (`$OMEGA_GO`, else /usr/bin/go) and /usr/share/gocode; skipped
//! when they are missing, unless OMEGA_REQUIRE_GO is set (`cargo xtask test`
//! sets it after installing them).
mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn go() -> Option<PathBuf> {
    let go = std::env::var_os("OMEGA_GO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/go"));
    let ok = go.is_file() && Path::new("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog").is_dir();
    if !ok {
        assert!(std::env::var_os("OMEGA_REQUIRE_GO").is_none(), "OMEGA_REQUIRE_GO is set but there is no Go at {} with golang.org/x/mod", go.display());
        eprintln!("note: no Go with golang.org/x/mod (apt-get install golang-go golang-golang-x-mod-dev); the Go tlog check is skipped");
        return None;
    }
    Some(go)
}

/// Builds tests/go/tlogcheck offline (GOPATH mode) into `out`.
fn build(go: &Path, out: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/go/tlogcheck");
    let exe = out.join("tlogcheck");
    let cache = std::env::var_os("GOCACHE").map(PathBuf::from).unwrap_or_else(|| out.join("go-cache"));
    let o = Command::new(go)
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOCACHE", cache)
        .env("HOME", out)
        .args(["build", "-o"])
        .arg(&exe)
        .arg(".")
        .output()
        .expect("run go");
    assert!(o.status.success(), "go build: {}", String::from_utf8_lossy(&o.stderr));
    exe
}

fn check(exe: &Path, dir: &Path, vkey: &str, index: &[u64], old: &[u64]) -> std::process::Output {
    let mut c = Command::new(exe);
    c.args(["-dir", s(dir), "-vkey", vkey]);
    for i in index {
        c.args(["-index", &i.to_string()]);
    }
    for m in old {
        c.args(["-old", &m.to_string()]);
    }
    c.output().expect("run tlogcheck")
}

#[test]
fn go_reads_omegas_tiles_and_checks_its_proofs() {
    let Some(go) = go() else { return };
    let d = tmp("go");
    let exe = build(&go, &d);
    // three batches, tiled as they are appended
    let mut prior: Option<String> = None;
    for (i, per) in [200u32, 57, 301].iter().enumerate() {
        let (b, r) = (format!("b{i}.bin"), format!("r{i}.json"));
        let (seed, per) = ((i + 1).to_string(), per.to_string());
        let mut a = vec!["sample", "--seed", &seed, "--nodes", "2", "--streams", "2", "--per-stream", &per, "--format", "binary", "--out", &b];
        if let Some(p) = &prior {
            a.extend(["--prior", p]);
        }
        assert_eq!(code(&omega_in(&d, &a)), 0);
        let mut a = vec!["reconcile", "--format", "binary", "-i", &b];
        if let Some(p) = &prior {
            a.extend(["--prior", p]);
        }
        let o = omega_in(&d, &a);
        std::fs::write(d.join(&r), &o.stdout).unwrap();
        let o = omega_in(&d, &["append", "--log", "L.omega", "-i", &b, "--format", "binary", "--tiles", "T"]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        prior = Some(r);
    }
    let o = omega_in(&d, &["keygen", "--name", "log.example/tiles", "--out", "k.key"]);
    assert_eq!(code(&o), 0);
    let vkey = String::from_utf8(o.stdout).unwrap().trim().to_string();
    let o = omega_in(&d, &["certify", "--result", prior.as_deref().unwrap(), "--key", "k.key", "--origin", "log.example/tiles", "--out", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega_in(&d, &["tiles", "--log", "L.omega", "--out", "T", "--cert", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let size = json(&o)["size"].as_u64().unwrap();
    assert_eq!(size, 2232);
    let index = [0u64, 1, 255, 256, 800, 1023, 1024, 2000, 2231];
    let old = [1u64, 2, 255, 256, 257, 800, 913, 2000, 2231, 2232];
    let o = check(&exe, &d.join("T"), &vkey, &index, &old);
    assert!(o.status.success(), "Go rejects omega's tiles: {}", err(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut lines = out.lines();
    let root = {
        let l: Vec<&str> = lines.next().unwrap().split(' ').collect();
        assert_eq!(l[..2], ["checkpoint", "2232"]);
        l[2].to_string()
    };
    let hashes = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect::<Vec<_>>().join(",");
    for i in index {
        let l: Vec<&str> = lines.next().unwrap().split(' ').collect();
        let p = json(&omega_in(&d, &["prove", "--tiles", "T", "--index", &i.to_string()]));
        assert_eq!((l[0], l[1]), ("inclusion", i.to_string().as_str()));
        assert_eq!(l[2], p["leaf_hash"], "leaf {i}");
        assert_eq!(l.get(3).copied().unwrap_or(""), hashes(&p["proof"]), "inclusion proof {i}");
        assert_eq!(p["root"], root.as_str());
    }
    for m in old {
        let l: Vec<&str> = lines.next().unwrap().split(' ').collect();
        let p = json(&omega_in(&d, &["prove", "--tiles", "T", "--old-size", &m.to_string()]));
        assert_eq!((l[0], l[1]), ("consistency", m.to_string().as_str()));
        assert_eq!(l[2], p["old_root"], "old root {m}");
        assert_eq!(l.get(3).copied().unwrap_or(""), hashes(&p["proof"]), "consistency proof {m}");
    }
    // a changed tile: Go's tile reader and omega both refuse it
    let t = d.join("T/tile/0/003");
    let good = std::fs::read(&t).unwrap();
    let mut bad = good.clone();
    bad[7] ^= 1;
    std::fs::write(&t, &bad).unwrap();
    let o = check(&exe, &d.join("T"), &vkey, &[800], &[]);
    assert!(!o.status.success(), "Go accepted a changed tile");
    let o = omega_in(&d, &["prove", "--tiles", "T", "--index", "800"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3414"), "{}", err(&o));
    std::fs::write(&t, &good).unwrap();
    // a changed checkpoint: its signature no longer verifies in Go
    let cp = d.join("T/checkpoint");
    let text = std::fs::read_to_string(&cp).unwrap();
    std::fs::write(&cp, text.replacen("2232", "2231", 1)).unwrap();
    let o = check(&exe, &d.join("T"), &vkey, &[5], &[]);
    assert!(!o.status.success(), "Go accepted a changed checkpoint");
    std::fs::write(&cp, text).unwrap();
    assert!(check(&exe, &d.join("T"), &vkey, &[5], &[]).status.success());
}
