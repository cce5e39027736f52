//! The hash of the sources the blob is built from: `cargo xtask blob` writes
//! it into the stamp beside the blob, and `omega doctor` recomputes it to say
//! whether the blob matches the sources. One file, compiled into both
//! (host/src/doctor.rs includes it with `#[path]`), so the two can never differ.
use sha2::{Digest, Sha256};
use std::path::Path;

/// The inputs of the blob, relative to the workspace root; a folder stands for
/// every file under it.
pub const BLOB_SOURCES: [&str; 6] = ["Cargo.toml", "Cargo.lock", "core/Cargo.toml", "core/src", "wasm/Cargo.toml", "wasm/src"];

/// The stamp beside the blob is the blob's path plus this suffix; it holds two
/// lines: [`sources_sha256`] of the sources it was built from, then the blob's SHA-256.
pub const STAMP_SUFFIX: &str = ".sources";

/// The SHA-256 (lowercase hex) of every file under [`BLOB_SOURCES`], sorted by
/// its `/`-separated path relative to `root`, each hashed as path, a NUL byte,
/// its length (u64 little-endian) and its contents.
pub fn sources_sha256(root: &Path) -> std::io::Result<String> {
    fn walk(root: &Path, rel: String, files: &mut Vec<String>) -> std::io::Result<()> {
        let path = root.join(&rel);
        if path.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                let name = entry?.file_name();
                let name = name.to_str().ok_or_else(|| std::io::Error::other(format!("{}: a file name is not UTF-8", path.display())))?;
                walk(root, format!("{rel}/{name}"), files)?;
            }
        } else {
            files.push(rel);
        }
        Ok(())
    }
    let mut files = Vec::new();
    for input in BLOB_SOURCES {
        walk(root, input.to_string(), &mut files)?;
    }
    files.sort();
    let mut hasher = Sha256::new();
    for rel in &files {
        let bytes = std::fs::read(root.join(rel)).map_err(|e| std::io::Error::new(e.kind(), format!("{rel}: {e}")))?;
        hasher.update(rel.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
