//! Generates `wasm/types/omega.d.ts`, the TypeScript declarations of the
//! byte ABI's response bodies, from omega-core's `api::response` types
//! (ts-rs, feature `ts`). The blob's `.d.ts` includes the file
//! (`wasm/src/lib.rs`), so the npm typings are the Rust types, never a copy.
//!
//! `cargo run -p omega-tests --bin gen-ts` writes it; `... -- --check`
//! fails (exit 1) when it differs from what the types give. The unit test
//! below does the same check under `cargo test`.
use std::path::PathBuf;
use std::process::ExitCode;

/// `wasm/types/omega.d.ts`.
fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wasm/types/omega.d.ts")
}

/// Whether the file on disk is what the types give (and that text).
fn fresh() -> Result<(bool, String), String> {
    let want = omega_core::api::response::typescript()?;
    let have = std::fs::read(path()).unwrap_or_default();
    Ok((have == want.as_bytes(), want))
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let (same, text) = match fresh() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("gen-ts: {e}");
            return ExitCode::from(2);
        }
    };
    let shown = path().canonicalize().unwrap_or_else(|_| path());
    if check {
        if same {
            println!("gen-ts --check: {} is up to date", shown.display());
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "gen-ts --check: {} is stale; run `cargo run -p omega-tests --bin gen-ts` and review the diff",
            shown.display()
        );
        return ExitCode::from(1);
    }
    if let Some(dir) = path().parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("gen-ts: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    if let Err(e) = std::fs::write(path(), text) {
        eprintln!("gen-ts: {}: {e}", shown.display());
        return ExitCode::from(2);
    }
    println!("gen-ts: wrote {}", shown.display());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #[test]
    fn omega_d_ts_is_up_to_date() {
        let (same, _) = super::fresh().unwrap_or_else(|e| panic!("{e}"));
        assert!(same, "wasm/types/omega.d.ts is stale: run `cargo run -p omega-tests --bin gen-ts`");
    }
}
