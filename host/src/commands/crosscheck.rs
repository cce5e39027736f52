//! `omega crosscheck`: every golden vector on the native core and on the
//! blob in wasmtime; both must give the expected bytes.
use crate::BlobArgs;
use anyhow::{Context, Result};
use omega_core::api::abi;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Without `--vectors`: `tests/vectors` of the current folder (an omega
/// checkout). No path of the build machine is looked at.
fn default_vectors() -> Result<PathBuf> {
    let p = PathBuf::from("tests/vectors");
    if p.join(omega_core::api::vectors::FILE_NAME).is_file() {
        return Ok(p);
    }
    anyhow::bail!(
        "no golden vectors at ./tests/vectors/{}: run crosscheck in an omega checkout, or pass --vectors DIR",
        omega_core::api::vectors::FILE_NAME
    )
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// `omega crosscheck`.
pub(crate) fn run(vectors: Option<&Path>, blob: &BlobArgs) -> Result<ExitCode> {
    let dir = match vectors {
        Some(v) => v.to_path_buf(),
        None => default_vectors()?,
    };
    let manifest_path = dir.join(omega_core::api::vectors::FILE_NAME);
    let manifest = omega_core::api::vectors::Manifest::parse(
        &std::fs::read(&manifest_path).with_context(|| format!("cannot read {}", manifest_path.display()))?,
    )
    .with_context(|| format!("{}", manifest_path.display()))?;
    let mut blob = blob.load()?;
    println!("blob: {} (sha256 {})", blob.source, blob.sha256);
    let (mut passed, mut failed) = (0usize, 0usize);
    for case in &manifest.cases {
        let name = &case.name;
        let read = |rel: &str| std::fs::read(dir.join(rel)).with_context(|| format!("case {name}: reading {rel}"));
        let req = case.request_bytes(read)?;
        let expected = case.response_bytes(&read(&case.expected)?);
        let native = abi::call(case.op_code(), &req).to_bytes();
        let wasm = blob.call(case.op_code(), &req)?.to_bytes();
        if native == expected && wasm == expected {
            passed += 1;
            println!("ok    {name}");
        } else {
            failed += 1;
            println!(
                "DIFF  {name}: native {} (first difference at byte {}), wasm {} (first difference at byte {})",
                if native == expected { "matches" } else { "differs" },
                first_difference(&native, &expected),
                if wasm == expected { "matches" } else { "differs" },
                first_difference(&wasm, &expected),
            );
        }
    }
    println!("crosscheck: {passed} passed, {failed} failed");
    Ok(if failed == 0 && passed > 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
