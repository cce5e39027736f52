//! The wasm kernel's compiled-module cache (`host/src/kernel.rs`): the first
//! `--engine wasm` run writes `<cache>/omega/modules/*.cwasm`, later runs
//! load it; a corrupt file is detected by its recorded SHA-256 and
//! recompiled (never deserialized); a cache folder that cannot be written,
//! or `OMEGA_NO_MODULE_CACHE=1`, only means compiling each run. Every
//! answer is byte-identical to the native engine's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::{code, err, s, tmp};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `omega args` with `envs` set, and none of the cache variables
/// inherited from the caller.
fn omega_env(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(common::bin());
    c.args(args);
    for k in ["OMEGA_CACHE_DIR", "OMEGA_NO_MODULE_CACHE", "OMEGA_VERBOSE", "XDG_CACHE_HOME"] {
        c.env_remove(k);
    }
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("run omega")
}

/// A 10-event shuffled sample in `dir`, and the native answer to it.
fn sample(dir: &Path) -> (PathBuf, Output) {
    let input = dir.join("sample.json");
    let o = common::omega(&["sample", "--nodes", "2", "--streams", "1", "--per-stream", "5", "--shuffle", "3", "--out", s(&input)]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let native = common::omega(&["reconcile", "--input", s(&input)]);
    assert_eq!(code(&native), 0, "{}", err(&native));
    assert!(native.stdout.starts_with(b"{"), "{}", String::from_utf8_lossy(&native.stdout));
    (input, native)
}

/// `omega reconcile --engine wasm` on `input`, with the cache at `cache`
/// (and `OMEGA_VERBOSE=1` when `verbose`).
fn wasm_reconcile(blob: &Path, input: &Path, cache: &Path, verbose: bool) -> Output {
    let mut envs = vec![("OMEGA_CACHE_DIR", cache)];
    if verbose {
        envs.push(("OMEGA_VERBOSE", Path::new("1")));
    }
    omega_env(&["reconcile", "--engine", "wasm", "--blob", s(blob), "--input", s(input)], &envs)
}

/// The compiled-module files in the cache `dir`.
fn cached_files(cache: &Path) -> Vec<PathBuf> {
    let dir = cache.join("omega/modules");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "cwasm")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn assert_same(native: &Output, wasm: &Output) {
    assert_eq!(code(wasm), 0, "{}", err(wasm));
    assert_eq!(String::from_utf8_lossy(&wasm.stdout), String::from_utf8_lossy(&native.stdout), "wasm and native answers differ");
}

#[test]
fn the_first_wasm_run_writes_the_module_and_the_next_loads_it() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-written");
    let (input, native) = sample(&dir);
    let cache = dir.join("cache");
    assert!(cached_files(&cache).is_empty());

    let first = wasm_reconcile(&blob, &input, &cache, true);
    assert_same(&native, &first);
    assert!(err(&first).contains("compiled the blob and wrote"), "{}", err(&first));
    let files = cached_files(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    let blob_sha = sha256_hex(&std::fs::read(&blob).unwrap());
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with(&format!("{blob_sha}-wasmtime")), "{name}");
    // no temporary file left behind
    let all: Vec<_> = std::fs::read_dir(cache.join("omega/modules")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(all.len(), 1, "{all:?}");
    let written = std::fs::read(&files[0]).unwrap();

    let second = wasm_reconcile(&blob, &input, &cache, true);
    assert_same(&native, &second);
    assert!(err(&second).contains("module cache: loaded"), "{}", err(&second));
    assert_eq!(std::fs::read(&files[0]).unwrap(), written, "a cache hit must not rewrite the file");

    // without OMEGA_VERBOSE the cache says nothing
    let quiet = wasm_reconcile(&blob, &input, &cache, false);
    assert_same(&native, &quiet);
    assert_eq!(err(&quiet), "");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_module_file_is_recompiled_not_loaded() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-corrupt");
    let (input, native) = sample(&dir);
    let cache = dir.join("cache");
    assert_same(&native, &wasm_reconcile(&blob, &input, &cache, false));
    let files = cached_files(&cache);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let good = std::fs::read(file).unwrap();
    assert!(good.len() > 4096);

    // a flipped byte in the compiled code, in the recorded hash, in the
    // header; the file cut short; an empty file; another file's bytes
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for at in [good.len() / 2, 20, 0] {
        let mut b = good.clone();
        b[at] ^= 0x40;
        cases.push(("flipped byte", b));
    }
    cases.push(("cut short", good[..good.len() / 3].to_vec()));
    cases.push(("empty", Vec::new()));
    for (what, bytes) in cases {
        std::fs::write(file, &bytes).unwrap();
        let o = wasm_reconcile(&blob, &input, &cache, true);
        assert_same(&native, &o);
        let e = err(&o);
        // the recorded SHA-256 (or the header) caught it: removing the check
        // makes this fail, if the corrupt module has not crashed omega first
        assert!(
            e.contains("does not match the one recorded") || e.contains("not an omega module cache file"),
            "{what}: the corrupt file was not detected: {e}"
        );
        assert!(e.contains("compiled the blob and wrote"), "{what}: {e}");
        // rewritten whole: the next run loads it
        let next = wasm_reconcile(&blob, &input, &cache, true);
        assert_same(&native, &next);
        assert!(err(&next).contains("module cache: loaded"), "{what}: {}", err(&next));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cache_folder_that_cannot_be_written_only_means_compiling() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-unwritable");
    let (input, native) = sample(&dir);

    // a cache "folder" under a regular file: cannot exist, even for root
    let file = dir.join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    for cache in [file.join("cache"), file.clone()] {
        let o = wasm_reconcile(&blob, &input, &cache, false);
        assert_same(&native, &o);
        assert_eq!(err(&o), "", "the cache must not fail or clutter the command");
        let v = wasm_reconcile(&blob, &input, &cache, true);
        assert_same(&native, &v);
        assert!(err(&v).contains("could not write"), "{}", err(&v));
    }

    // a read-only folder (root may write it anyway: then it is just a cache)
    let ro = dir.join("read-only");
    std::fs::create_dir_all(&ro).unwrap();
    set_mode(&ro, 0o555);
    let o = wasm_reconcile(&blob, &input, &ro, false);
    set_mode(&ro, 0o755);
    assert_same(&native, &o);
    assert_eq!(err(&o), "");

    // a folder that does not exist yet is created
    let fresh = dir.join("does/not/exist/yet");
    assert_same(&native, &wasm_reconcile(&blob, &input, &fresh, false));
    assert_eq!(cached_files(&fresh).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn omega_no_module_cache_writes_nothing() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-off");
    let (input, native) = sample(&dir);
    let cache = dir.join("cache");
    for _ in 0..2 {
        let o = omega_env(
            &["reconcile", "--engine", "wasm", "--blob", s(&blob), "--input", s(&input)],
            &[("OMEGA_CACHE_DIR", &cache), ("OMEGA_NO_MODULE_CACHE", Path::new("1")), ("OMEGA_VERBOSE", Path::new("1"))],
        );
        assert_same(&native, &o);
        assert!(err(&o).contains("module cache: off"), "{}", err(&o));
    }
    assert!(!cache.exists(), "OMEGA_NO_MODULE_CACHE=1 must not create {}", cache.display());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cache_falls_back_to_xdg_cache_home_then_home() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-xdg");
    let (input, native) = sample(&dir);
    let xdg = dir.join("xdg");
    let args = ["reconcile", "--engine", "wasm", "--blob", s(&blob), "--input", s(&input)];
    assert_same(&native, &omega_env(&args, &[("XDG_CACHE_HOME", &xdg)]));
    assert_eq!(cached_files(&xdg).len(), 1);
    let home = dir.join("home");
    let o = Command::new(common::bin())
        .args(args)
        .env_remove("OMEGA_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("OMEGA_NO_MODULE_CACHE")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert_same(&native, &o);
    assert_eq!(cached_files(&home.join(".cache")).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_multi_call_command_gives_the_same_bytes_on_both_engines() {
    // `omega ecs` makes one call per 250 ticks on the one opened kernel
    let Some(blob) = common::blob() else { return };
    let dir = tmp("multi-call");
    let cache = dir.join("cache");
    let args = ["ecs", "--quiet", "--ticks", "600", "--entities", "300"];
    let native = omega_env(&args, &[]);
    assert_eq!(code(&native), 0, "{}", err(&native));
    let mut wasm_args = args.to_vec();
    wasm_args.extend(["--engine", "wasm", "--blob", s(&blob)]);
    let wasm = omega_env(&wasm_args, &[("OMEGA_CACHE_DIR", &cache), ("OMEGA_VERBOSE", Path::new("1"))]);
    assert_same(&native, &wasm);
    // the blob was loaded once for the three calls
    assert_eq!(err(&wasm).matches("module cache:").count(), 1, "{}", err(&wasm));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn writing_a_module_keeps_the_newest_eight_and_removes_dead_temporaries() {
    let Some(blob) = common::blob() else { return };
    let dir = tmp("cache-prune");
    let (input, native) = sample(&dir);
    let cache = dir.join("cache");
    let modules = cache.join("omega/modules");
    std::fs::create_dir_all(&modules).unwrap();
    let now = std::time::SystemTime::now();
    let hours = |h: u64| now - std::time::Duration::from_secs(h * 3600);
    let touch = |name: &str, at: std::time::SystemTime| {
        let p = modules.join(name);
        std::fs::write(&p, b"old").unwrap();
        std::fs::File::options().write(true).open(&p).unwrap().set_modified(at).unwrap();
        p
    };
    // ten older modules (1 to 10 hours old), a dead temporary, a live one, another file
    let old: Vec<PathBuf> = (1..=10).map(|h| touch(&format!("{h:02}-old.cwasm"), hours(h))).collect();
    let dead = touch(".x.cwasm.1.2.tmp", hours(2));
    let live = touch(".y.cwasm.3.4.tmp", now);
    let other = touch("notes.txt", hours(48));

    let o = wasm_reconcile(&blob, &input, &cache, false);
    assert_same(&native, &o);
    let files = cached_files(&cache);
    assert_eq!(files.len(), 8, "{files:?}");
    assert!(files.iter().any(|f| f.file_name().unwrap().to_str().unwrap().contains("-wasmtime")), "the new module was pruned: {files:?}");
    for (i, p) in old.iter().enumerate() {
        assert_eq!(p.exists(), i < 7, "{} (the newest 7 old ones stay beside the new one)", p.display());
    }
    assert!(!dead.exists() && live.exists() && other.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}
