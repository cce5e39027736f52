//! The tile store (docs/FORMATS.md, "Tiled log") as a user meets it:
//! `omega append --tiles`, `omega tiles`, `omega prove --tiles`.
//!
//! - tiles written batch by batch equal tiles rebuilt from the log, byte for
//!   byte, with the reconcile on either engine;
//! - proofs from tiles equal proofs over the whole history, at the store's
//!   size and at every earlier size;
//! - a crash at any point (after the log write, between any two tile
//!   writes), a truncated or damaged store, or a truncated log loses no
//!   entry and never leaves a wrong tile: omega either catches up, rewrites
//!   what is wrong, or refuses and changes nothing;
//! - what cannot be tiled (an obstruction, an entry over 65,535 bytes) is
//!   refused before anything is written.
mod common;
use common::*;
use omega_core::tree::tiles::all_tiles;
use std::collections::BTreeMap;
use std::path::Path;

/// The files of a store that make up its tree at its size (every tile and
/// bundle the C2SP layout has at that size), by path.
fn tree_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let rec: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("omega-tiles.json")).unwrap()).unwrap();
    let size = rec["size"].as_u64().unwrap();
    let mut out = BTreeMap::new();
    for t in all_tiles(size) {
        let mut paths = vec![t.path()];
        if t.level == 0 {
            paths.push(t.entries_path());
        }
        for p in paths {
            let b = std::fs::read(dir.join(&p)).unwrap_or_else(|e| panic!("{}: {p}: {e}", dir.display()));
            out.insert(p, b);
        }
    }
    out
}

/// Every file under `dir`, by path relative to it.
fn all_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(p.strip_prefix(base).unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for (rel, b) in all_files(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
}

fn append(d: &Path, log: &str, batch: &str, tiles: Option<&str>, engine: &str) -> std::process::Output {
    let mut args = vec!["append", "--log", log, "-i", batch, "--format", "binary", "--engine", engine];
    if let Some(t) = tiles {
        args.extend(["--tiles", t]);
    }
    omega_in(d, &args)
}

fn rebuild(d: &Path, log: &str, out: &str) -> serde_json::Value {
    let o = omega_in(d, &["tiles", "--log", log, "--out", out]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    json(&o)
}

#[test]
fn tiles_written_batch_by_batch_equal_a_rebuild_and_give_the_whole_tree_proofs() {
    let d = tmp("incremental");
    let names = batches(&d, &[120, 43, 97]);
    for engine in engines() {
        let (log, t, r) = (format!("{engine}.omega"), format!("T-{engine}"), format!("R-{engine}"));
        let mut sizes = Vec::new();
        for b in &names {
            let o = append(&d, &log, b, Some(&t), engine);
            assert_eq!(code(&o), 0, "{engine}: {}", err(&o));
            sizes.push(json(&o)["tiles"]["size"].as_u64().unwrap());
        }
        assert_eq!(sizes, [720, 978, 1560], "{engine}");
        let rb = rebuild(&d, &log, &r);
        assert_eq!(rb["size"], 1560);
        assert_eq!(tree_files(&d.join(&t)), tree_files(&d.join(&r)), "{engine}: incremental and rebuilt tiles differ");
        // the root is the one reconcile gives for the whole log
        let o = omega_in(&d, &["reconcile", "--format", "omega", "-i", &log, "--engine", engine]);
        assert_eq!(json(&o)["root"], rb["root"]);
        // rebuilding again keeps every file
        let again = rebuild(&d, &log, &r);
        assert_eq!((again["written"].as_u64(), again["replaced"].as_array().map(Vec::len)), (Some(0), Some(0)));
    }
    // proofs from tiles, at the store's size and at earlier sizes, equal the
    // proofs over the leaves (the level-0 tiles, concatenated, are the leaves)
    let t = d.join("T-native");
    let mut leaves = Vec::new();
    for tile in all_tiles(1560).filter(|t| t.level == 0) {
        leaves.extend(std::fs::read(t.join(tile.path())).unwrap());
    }
    assert_eq!(leaves.len(), 1560 * 32);
    for n in [1u64, 255, 256, 257, 720, 978, 1000, 1560] {
        std::fs::write(d.join("leaves"), &leaves[..n as usize * 32]).unwrap();
        let ns = n.to_string();
        for i in [0, n / 3, n - 1] {
            let is = i.to_string();
            let b = omega_in(&d, &["prove", "-i", "leaves", "--format", "leaves", "--index", &is]);
            for engine in engines() {
                let a = omega_in(&d, &["prove", "--tiles", "T-native", "--index", &is, "--size", &ns, "--engine", engine]);
                assert_eq!(code(&a), 0, "{engine}: {i} of {n}: {}", err(&a));
                assert_eq!(a.stdout, b.stdout, "{engine}: inclusion {i} of {n}");
            }
        }
        for m in [0, 1, n / 2, n] {
            let ms = m.to_string();
            let b = omega_in(&d, &["prove", "-i", "leaves", "--format", "leaves", "--old-size", &ms]);
            for engine in engines() {
                let a = omega_in(&d, &["prove", "--tiles", "T-native", "--old-size", &ms, "--size", &ns, "--engine", engine]);
                assert_eq!(code(&a), 0, "{engine}: {m} to {n}: {}", err(&a));
                assert_eq!(a.stdout, b.stdout, "{engine}: consistency {m} to {n}");
            }
        }
    }
    // without --size: the store's size
    let a = omega_in(&d, &["prove", "--tiles", "T-native", "--index", "7"]);
    let b = omega_in(&d, &["prove", "-i", "native.omega", "--format", "omega", "--index", "7"]);
    assert_eq!(a.stdout, b.stdout);
    // past the store, or an index past the size: refused with the code
    let o = omega_in(&d, &["prove", "--tiles", "T-native", "--index", "1", "--size", "1561"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3410"), "{}", err(&o));
    let o = omega_in(&d, &["prove", "--tiles", "T-native", "--index", "1560"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3401"), "{}", err(&o));
    // --format names the input's format: with --tiles there is none, and it is refused, not ignored
    let o = omega_in(&d, &["prove", "--tiles", "T-native", "--index", "1", "--format", "leaves"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("cannot be used with"), "{}", err(&o));
}

#[test]
fn a_crash_at_any_point_loses_nothing_and_leaves_no_wrong_tile() {
    let d = tmp("crash");
    let names = batches(&d, &[100, 30, 60]);
    for b in &names[..2] {
        let o = append(&d, "L.omega", b, Some("T"), "native");
        assert_eq!(code(&o), 0, "{}", err(&o));
    }
    copy_dir(&d.join("T"), &d.join("T2"));
    std::fs::copy(d.join("L.omega"), d.join("L2.omega")).unwrap();
    let o = append(&d, "L.omega", &names[2], Some("T"), "native");
    assert_eq!(code(&o), 0, "{}", err(&o));
    let done = all_files(&d.join("T"));
    let before = all_files(&d.join("T2"));
    let new: Vec<&String> = done.keys().filter(|k| before.get(*k) != done.get(*k) && k.as_str() != "omega-tiles.json").collect();
    assert!(new.len() >= 4, "{new:?}");

    // 1. a crash after the frames were written and some (or none) of the
    //    batch's tiles: the old record and any prefix of the new files. The
    //    next `append --tiles` catches up, and so does `omega tiles`.
    for k in 0..=new.len() {
        for catch in ["append", "tiles"] {
            let c = d.join("C");
            copy_dir(&d.join("T2"), &c);
            for rel in &new[..k] {
                let p = c.join(rel);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, &done[*rel]).unwrap();
            }
            std::fs::copy(d.join("L.omega"), d.join("CL.omega")).unwrap();
            if catch == "append" {
                // an empty batch: only the catch-up happens
                std::fs::write(d.join("empty.bin"), b"").unwrap();
                let o = append(&d, "CL.omega", "empty.bin", Some("C"), "native");
                assert_eq!(code(&o), 0, "{k}: {}", err(&o));
            } else {
                rebuild(&d, "CL.omega", "C");
            }
            assert_eq!(tree_files(&c), tree_files(&d.join("T")), "{catch} after a crash with {k} of {} files", new.len());
        }
    }

    // 2. a damaged store: a tile cut short, a bundle changed, a tile and the
    //    record gone. `omega tiles` rewrites exactly what is wrong.
    let c = d.join("C");
    copy_dir(&d.join("T"), &c);
    let cut = new.iter().find(|p| p.starts_with("tile/0/")).unwrap();
    let b = &done[*cut];
    std::fs::write(c.join(cut), &b[..b.len() / 2]).unwrap();
    let bundle = c.join("tile/entries/000");
    let mut e = std::fs::read(&bundle).unwrap();
    e[10] ^= 1;
    std::fs::write(&bundle, e).unwrap();
    std::fs::remove_file(c.join("tile/0/001")).unwrap();
    std::fs::remove_file(c.join("omega-tiles.json")).unwrap();
    let r = rebuild(&d, "L.omega", "C");
    let mut replaced: Vec<String> = r["replaced"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    replaced.sort();
    assert_eq!(replaced, vec![cut.to_string(), "tile/entries/000".to_string()]);
    assert_eq!(tree_files(&c), tree_files(&d.join("T")));

    // 3. the log cut below what the store holds (at a frame boundary, or
    //    mid-frame): refused, nothing changed, every entry still in the store.
    let full = std::fs::read(d.join("L.omega")).unwrap();
    let short = std::fs::metadata(d.join("L2.omega")).unwrap().len() as usize;
    for (cut, want) in [(short, "3414"), (full.len() - 3, "380")] {
        std::fs::write(d.join("X.omega"), &full[..cut]).unwrap();
        copy_dir(&d.join("T"), &c);
        let o = omega_in(&d, &["tiles", "--log", "X.omega", "--out", "C"]);
        assert_eq!(code(&o), 2, "{cut}");
        assert!(err(&o).contains(&format!("error {want}")), "{cut}: {}", err(&o));
        std::fs::write(d.join("empty.bin"), b"").unwrap();
        let o = append(&d, "X.omega", "empty.bin", Some("C"), "native");
        assert_eq!(code(&o), 2, "{cut}");
        assert_eq!(all_files(&c), done, "{cut}: the store changed");
        assert_eq!(std::fs::read(d.join("X.omega")).unwrap(), &full[..cut], "{cut}: the log changed");
    }
}

#[test]
fn what_cannot_be_tiled_is_refused_before_anything_is_written() {
    let d = tmp("refuse");
    let names = batches(&d, &[20, 5]);
    let o = append(&d, "L.omega", &names[0], Some("T"), "native");
    assert_eq!(code(&o), 0, "{}", err(&o));
    let log = std::fs::read(d.join("L.omega")).unwrap();
    let store = all_files(&d.join("T"));
    // the first batch again, changed: stale seqs and conflicts against the tiled history
    let o = omega_in(&d, &["sample", "--seed", "9", "--nodes", "3", "--streams", "2", "--per-stream", "3", "--format", "binary", "--out", "stale.bin"]);
    assert_eq!(code(&o), 0);
    for engine in engines() {
        let o = append(&d, "L.omega", "stale.bin", Some("T"), engine);
        assert_eq!(code(&o), 2, "{engine}");
        assert!(err(&o).contains("obstruct") && err(&o).contains("error 1"), "{engine}: {}", err(&o));
        assert_eq!(std::fs::read(d.join("L.omega")).unwrap(), log);
        assert_eq!(all_files(&d.join("T")), store);
    }
    // an event too long for an entry bundle (70,000-byte payload)
    let o = omega_in(&d, &["sample", "--seed", "3", "--nodes", "1", "--streams", "1", "--per-stream", "1", "--payload", "70000", "--format", "binary", "--out", "big.bin"]);
    assert_eq!(code(&o), 0);
    let o = append(&d, "B.omega", "big.bin", Some("BT"), "native");
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3413"), "{}", err(&o));
    assert!(!d.join("B.omega").exists() || std::fs::metadata(d.join("B.omega")).unwrap().len() <= 16);
    // without --tiles the same event is appended as before, and `omega tiles` refuses the log
    let o = append(&d, "B.omega", "big.bin", None, "native");
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega_in(&d, &["tiles", "--log", "B.omega", "--out", "BT"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3413"), "{}", err(&o));
    // a store of another history is refused, untouched
    let o = omega_in(&d, &["sample", "--seed", "8", "--nodes", "2", "--streams", "1", "--per-stream", "30", "--format", "binary", "--out", "other.bin"]);
    assert_eq!(code(&o), 0);
    let o = append(&d, "M.omega", "other.bin", None, "native");
    assert_eq!(code(&o), 0);
    let o = omega_in(&d, &["tiles", "--log", "M.omega", "--out", "T"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3414"), "{}", err(&o));
    assert_eq!(all_files(&d.join("T")), store);
}

#[test]
fn a_certificate_becomes_the_checkpoint_and_a_changed_tile_is_refused() {
    let d = tmp("checkpoint");
    let names = batches(&d, &[90, 40]);
    for b in &names {
        let o = append(&d, "L.omega", b, Some("T"), "native");
        assert_eq!(code(&o), 0, "{}", err(&o));
    }
    let o = omega_in(&d, &["keygen", "--name", "log.example", "--out", "k.key"]);
    assert_eq!(code(&o), 0);
    let o = omega_in(&d, &["reconcile", "--format", "omega", "-i", "L.omega"]);
    std::fs::write(d.join("r.json"), &o.stdout).unwrap();
    let o = omega_in(&d, &["certify", "--result", "r.json", "--key", "k.key", "--origin", "log.example", "--out", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega_in(&d, &["tiles", "--log", "L.omega", "--out", "T", "--cert", "c.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let note = omega_in(&d, &["note", "--cert", "c.cert"]);
    assert_eq!(std::fs::read(d.join("T/checkpoint")).unwrap(), note.stdout);
    // a certificate of the first batch only is of an older size: its root is checked too
    let o = omega_in(&d, &["certify", "--result", "r1.json", "--key", "k.key", "--origin", "log.example", "--out", "c1.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = omega_in(&d, &["tiles", "--log", "L.omega", "--out", "T", "--cert", "c1.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    // a certificate of another history is refused
    let o = omega_in(&d, &["sample", "--seed", "7", "--nodes", "3", "--streams", "2", "--per-stream", "90", "--format", "binary", "--out", "o.bin"]);
    assert_eq!(code(&o), 0);
    let o = omega_in(&d, &["reconcile", "--format", "binary", "-i", "o.bin"]);
    std::fs::write(d.join("o.json"), &o.stdout).unwrap();
    let o = omega_in(&d, &["certify", "--result", "o.json", "--key", "k.key", "--origin", "log.example", "--out", "o.cert"]);
    assert_eq!(code(&o), 0);
    let o = omega_in(&d, &["tiles", "--log", "L.omega", "--out", "T", "--cert", "o.cert"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("error 3414"), "{}", err(&o));
    // every leaf's proof verifies; with one tile changed, the proofs through
    // it are refused (3414) and the rest still verify; a changed proof does not verify
    let t = d.join("T/tile/0/001");
    let good = std::fs::read(&t).unwrap();
    let mut bad = good.clone();
    bad[40] ^= 0x80;
    std::fs::write(&t, &bad).unwrap();
    for (i, engine) in [0u64, 255, 256, 300, 511, 512, 779].into_iter().flat_map(|i| engines().into_iter().map(move |e| (i, e))) {
        let o = omega_in(&d, &["prove", "--tiles", "T", "--index", &i.to_string(), "--engine", engine]);
        if (256..512).contains(&i) {
            assert_eq!(code(&o), 2, "{i}");
            assert!(err(&o).contains("error 3414"), "{i}: {}", err(&o));
        } else {
            assert_eq!(code(&o), 0, "{i}: {}", err(&o));
            std::fs::write(d.join("p.json"), &o.stdout).unwrap();
            assert_eq!(code(&omega_in(&d, &["verify-proof", "--proof", "p.json"])), 0);
            let mut p = json(&o);
            let h = p["leaf_hash"].as_str().unwrap().to_string();
            p["leaf_hash"] = format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]).into();
            std::fs::write(d.join("p.json"), p.to_string()).unwrap();
            assert_eq!(code(&omega_in(&d, &["verify-proof", "--proof", "p.json"])), 1, "{i}");
        }
    }
    std::fs::write(&t, &good).unwrap();
}
