//! The blob's sources and its stamp: `cargo xtask blob` hashes the sources
//! and writes the stamp beside the blob; `cargo xtask doctor` hashes them
//! again to say whether the blob still matches them. (`omega doctor` reads the
//! stamp's blob SHA-256, version and commit; it never hashes the sources.)
use sha2::{Digest, Sha256};
use std::path::Path;

/// The inputs of the blob, relative to the workspace root; a folder stands for
/// every file under it.
pub const BLOB_SOURCES: [&str; 7] = ["Cargo.toml", "Cargo.lock", "core/Cargo.toml", "core/src", "wasm/Cargo.toml", "wasm/src", "wasm/types"];

/// The workspace version (xtask's own: `version.workspace = true`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The stamp file of the blob at `blob` (the stamp's format is
/// `omega_report::Stamp`, which `omega doctor` reads too).
pub fn stamp_path(blob: &Path) -> std::path::PathBuf {
    omega_report::Stamp::path(blob)
}

/// The stamp's text for this checkout's version.
pub fn stamp_text(sources: &str, blob_sha: &str, commit: &str) -> String {
    omega_report::Stamp { sources: sources.into(), blob: blob_sha.into(), version: Some(VERSION.into()), commit: Some(commit.into()) }.to_text()
}

/// The checkout's `HEAD` commit, with `-dirty` when any of [`BLOB_SOURCES`]
/// differs from it (or is untracked); `unknown` without git or a repository.
pub fn git_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = git(&["rev-parse", "HEAD"]).filter(|h| !h.is_empty()) else {
        return "unknown".to_string();
    };
    let mut status = vec!["status", "--porcelain", "--"];
    status.extend(BLOB_SOURCES);
    match git(&status) {
        Some(s) if s.is_empty() => head,
        Some(_) => format!("{head}-dirty"),
        None => format!("{head}-unknown"),
    }
}

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
