//! Embeds the blob in the `omega` binary, so an installed omega (`cargo
//! install --path host`) runs `--engine wasm` anywhere, with the very bytes
//! the npm package ships and without looking for a build folder.
//!
//! The blob is `$OMEGA_EMBED_BLOB` when set (`none` embeds nothing), else
//! `wasm/dist/omega_wasm_bg.wasm` of this checkout, which `cargo xtask blob`
//! makes; its stamp (`.sources`) is embedded beside it when there is one.
//! Without a blob the binary embeds none: `omega doctor` says so, and
//! `--blob PATH` or `$OMEGA_BLOB` still give the wasm engine one.
//! Only bytes are embedded, never a path of the build machine.
// Cargo always sets these variables for a build script; a build that cannot
// read or write its blob should stop loudly.
#![allow(clippy::expect_used)]
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rerun-if-env-changed=OMEGA_EMBED_BLOB");
    println!("cargo::rustc-check-cfg=cfg(omega_embedded_blob)");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let chosen = std::env::var_os("OMEGA_EMBED_BLOB").filter(|v| !v.is_empty());
    let (blob, explicit) = match &chosen {
        Some(v) if v == "none" => (None, true),
        Some(v) => (Some(PathBuf::from(v)), true),
        None => (Some(manifest.join("../wasm/dist/omega_wasm_bg.wasm")), false),
    };
    let (wasm, stamp) = match blob.as_deref().filter(|p| p.is_file()) {
        Some(p) => {
            watch(p);
            let stamp = with_suffix(p, ".sources");
            // a path that does not exist would rerun this script on every build
            watch(if stamp.is_file() { &stamp } else { p.parent().unwrap_or(p) });
            let wasm = std::fs::read(p).unwrap_or_else(|e| panic!("reading the blob {}: {e}", p.display()));
            assert!(wasm.starts_with(b"\0asm"), "{} is not a wasm module (OMEGA_EMBED_BLOB, or wasm/dist/)", p.display());
            println!("cargo::rustc-cfg=omega_embedded_blob");
            (wasm, std::fs::read(&stamp).unwrap_or_default())
        }
        None => {
            if let (Some(p), true) = (&blob, explicit) {
                panic!("OMEGA_EMBED_BLOB={} names no file (set it to a blob, or to `none`)", p.display());
            }
            // Watch the nearest folder that exists, so a blob built later is picked up.
            if let Some(p) = &blob {
                let mut dir = p.parent();
                while let Some(d) = dir.filter(|d| !d.is_dir()) {
                    dir = d.parent();
                }
                if let Some(d) = dir {
                    watch(d);
                }
            }
            (Vec::new(), Vec::new())
        }
    };
    write(&out.join("blob.wasm"), &wasm);
    write(&out.join("blob.wasm.sources"), &stamp);
}

fn watch(p: &Path) {
    println!("cargo::rerun-if-changed={}", p.display());
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes only when the bytes differ, so an unchanged blob does not relink.
fn write(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return;
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
