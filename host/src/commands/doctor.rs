//! `omega doctor`: is this installed omega ready to run on both engines?
//!
//! It looks only at what a user of the CLI has: this program, the blob it
//! would load (where it was found, its size and SHA-256), the stamp
//! `cargo xtask blob` wrote beside the blob (the omega version and commit it
//! was built from, and the blob's SHA-256), the version the blob itself
//! reports, and a self-test: a small embedded input run natively and on the
//! blob in wasmtime, which must give the same bytes (the golden ones). It
//! reads no source tree and runs no other program; the developer's checks
//! (rust targets, wasm-bindgen, Node, Chromium, whether the blob matches the
//! sources) are `cargo xtask doctor`, in a checkout.
//!
//! Rows are `ok`, `warn`, `missing`, `stale` or `fail`. Exit 0 when every row
//! is `ok` or `warn`, 1 otherwise (2, from the argument parser, for bad usage).
use crate::BlobArgs;
use crate::wasm::{self, Blob, BlobSource};
use anyhow::{Context, Result, anyhow};
use omega_core::api::Op;
use omega_report::{Check, Stamp, Status, table};
use omega_core::api::abi::{self, Response};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// This program's version; the blob and its stamp should name the same one.
const VERSION: &str = omega_core::VERSION;
/// The self-test: the golden vector `small-shuffled-with-duplicates` (op 1, status ok),
/// embedded when omega is built, so it runs wherever omega is installed.
const SELF_TEST_CASE: &str = "small-shuffled-with-duplicates";
const SELF_TEST_INPUT: &[u8] =
    include_bytes!("../../../tests/vectors/reconcile/small-shuffled-with-duplicates.in.json");
const SELF_TEST_EXPECTED: &[u8] =
    include_bytes!("../../../tests/vectors/reconcile/small-shuffled-with-duplicates.out.json");
/// The stamp beside the blob is the blob's path plus this suffix (written by `cargo xtask blob`).
const STAMP_SUFFIX: &str = ".sources";
/// How to get a blob, for an installed omega.
const GET_BLOB: &str = "--blob PATH or $OMEGA_BLOB=PATH (an omega_wasm_bg.wasm); in an omega checkout: cargo xtask blob, then rebuild omega to embed it";

const OMEGA: &str = "omega";
const BLOB: &str = "blob";
const STAMP: &str = "blob stamp";
const BLOB_VERSION: &str = "blob version";
const NATIVE: &str = "self-test native";
const WASM: &str = "self-test wasm";

/// `omega doctor [--json] [--blob PATH]`.
pub fn run(json: bool, args: &BlobArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().map_or_else(|_| "?".to_string(), |p| p.display().to_string());
    let mut checks = vec![Check::ok(OMEGA, format!("omega {VERSION} at {exe}"))];
    let (blob_check, found) = blob_file(args.blob.as_deref());
    checks.push(blob_check);
    let native = abi::call(Op::ReconcileJson.code(), &self_test_request());
    checks.push(self_test_native(&native));
    match &found {
        None => {
            for part in [STAMP, BLOB_VERSION, WASM] {
                checks.push(Check::new(
                    part,
                    Status::Missing,
                    "skipped: no blob",
                    "get a blob (the `blob` row)",
                ));
            }
        }
        Some((source, sha)) => {
            checks.push(stamp(source, sha));
            let (version, wasm) = match Blob::open(source, args.bounds()) {
                Err(e) => {
                    let fix = format!("replace it with the blob of omega {VERSION}: {GET_BLOB}");
                    (
                        Check::new(
                            BLOB_VERSION,
                            Status::Fail,
                            format!("the blob does not load: {e:#}"),
                            fix.clone(),
                        ),
                        Check::new(WASM, Status::Fail, "skipped: the blob does not load", fix),
                    )
                }
                Ok(mut blob) => (blob_version(&mut blob), self_test_wasm(&mut blob, &native)),
            };
            checks.push(version);
            checks.push(wasm);
        }
    }
    // The rows in reading order: omega, blob, stamp, version, then both self-tests.
    let order = [OMEGA, BLOB, STAMP, BLOB_VERSION, NATIVE, WASM];
    checks.sort_by_key(|c| order.iter().position(|p| *p == c.part));

    let ok = !checks.iter().any(|c| c.status.fails());
    let mut out = std::io::stdout().lock();
    if json {
        let head = [("version", omega_report::json_string(VERSION))];
        write!(out, "{}", omega_report::json(&checks, &head)).context("writing standard output")?;
    } else {
        writeln!(out, "omega doctor: omega {VERSION}\n").context("writing standard output")?;
        write!(out, "{}", table(&checks)).context("writing standard output")?;
        writeln!(out, "\n{}", summary(&checks, found.is_some()))
            .context("writing standard output")?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The last line of the table.
fn summary(checks: &[Check], have_blob: bool) -> String {
    let warns = omega_report::warnings(checks);
    let fails = checks.iter().filter(|c| c.status.fails()).count();
    if !have_blob {
        let native = if checks.iter().any(|c| c.part == NATIVE && c.status.fails()) {
            "\nand the native self-test fails: see its fix above"
        } else {
            ""
        };
        return format!(
            "no blob: omega runs on the native engine, but `--engine wasm`, demo, crosscheck and bench need\nthe blob; get one with {GET_BLOB}{native}"
        );
    }
    match fails {
        0 => format!("all well{warns}"),
        1 => format!("1 part missing, stale or failing{warns}: see its fix above"),
        n => format!("{n} parts missing, stale or failing{warns}: see the fixes above"),
    }
}


fn sha256_hex(bytes: &[u8]) -> String {
    omega_core::hex::encode(&omega_core::sha256(bytes))
}

// ---- the blob -----------------------------------------------------------

/// The blob row: where the blob was found (and every place looked at), its
/// size and SHA-256; also where it came from and its SHA-256 when it could be read.
fn blob_file(explicit: Option<&Path>) -> (Check, Option<(BlobSource, String)>) {
    let looked = format!("looked at: {}", wasm::looked_at(explicit).join("; "));
    let source = match wasm::find_blob(explicit) {
        Ok(s) => s,
        Err(_) => {
            let detail = match explicit {
                Some(p) => format!("no blob: --blob {} is not a file", p.display()),
                None => format!("no blob ({looked})"),
            };
            return (Check::new(BLOB, Status::Missing, detail, GET_BLOB), None);
        }
    };
    let bytes = match &source {
        BlobSource::Embedded => wasm::embedded().unwrap_or_default().to_vec(),
        BlobSource::File(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                let detail = format!("cannot read {}: {e}", path.display());
                return (Check::new(BLOB, Status::Missing, detail, GET_BLOB), None);
            }
        },
    };
    let sha = sha256_hex(&bytes);
    let env_not_a_file = wasm::env_blob().filter(|p| explicit.is_none() && !p.is_file());
    let (status, how) = match &source {
        _ if env_not_a_file.is_some() => (
            Status::Warn,
            format!("$OMEGA_BLOB={} is not a file, so it was passed over", env_not_a_file.unwrap_or_default().display()),
        ),
        BlobSource::File(_) if explicit.is_some() => (Status::Ok, "from --blob".to_string()),
        BlobSource::File(_) => (Status::Ok, "from $OMEGA_BLOB".to_string()),
        BlobSource::Embedded => (Status::Ok, "built into omega".to_string()),
    };
    let detail = format!("{source} ({how}), {} bytes, sha256 {sha}; {looked}", bytes.len());
    let fix = if status == Status::Warn {
        "unset OMEGA_BLOB or point it at the blob"
    } else {
        ""
    };
    (Check::new(BLOB, status, detail, fix), Some((source, sha)))
}


/// The stamp row: which omega the blob was built from, and is it still the blob that was stamped?
/// A file's stamp is the file beside it; the embedded blob's was embedded with it.
fn stamp(blob: &BlobSource, blob_sha: &str) -> Check {
    let (path, text) = match blob {
        BlobSource::File(blob) => {
            let mut path = blob.as_os_str().to_owned();
            path.push(STAMP_SUFFIX);
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path).ok();
            (path.display().to_string(), text)
        }
        BlobSource::Embedded => (
            "the embedded stamp".to_string(),
            String::from_utf8(wasm::EMBEDDED_STAMP.to_vec()).ok().filter(|t| !t.is_empty()),
        ),
    };
    let rebuild = format!("use the blob of omega {VERSION} with its stamp: {GET_BLOB}");
    let Some(text) = text else {
        return Check::new(
            STAMP,
            Status::Warn,
            format!(
                "no stamp ({path}): what the blob was built from is unknown (built by hand, or copied without it)"
            ),
            "",
        );
    };
    let Some(stamp) = Stamp::parse(&text) else {
        return Check::new(
            STAMP,
            Status::Warn,
            format!(
                "{path} is not a stamp of `cargo xtask blob` (two SHA-256 lines first)"
            ),
            "",
        );
    };
    if stamp.blob != blob_sha {
        return Check::new(
            STAMP,
            Status::Stale,
            format!(
                "the blob changed since it was stamped: {path} names blob sha256 {}",
                stamp.blob
            ),
            rebuild,
        );
    }
    let commit = stamp.commit.as_deref().unwrap_or("unknown");
    match stamp.version.as_deref() {
        None => Check::new(
            STAMP,
            Status::Warn,
            format!(
                "{path} names this blob but no version (an older `cargo xtask blob`)"
            ),
            "",
        ),
        Some(v) if v != VERSION => Check::new(
            STAMP,
            Status::Stale,
            format!("built from omega {v} (commit {commit}); this omega is {VERSION}"),
            rebuild,
        ),
        Some(v) => Check::ok(
            STAMP,
            format!(
                "built by `cargo xtask blob` from omega {v}, commit {commit}; names this blob's sha256"
            ),
        ),
    }
}

/// The version the blob reports (op 0), against this program's.
fn blob_version(blob: &mut Blob) -> Check {
    let fix = format!("use the blob of omega {VERSION}: {GET_BLOB}");
    let answer = blob.call(Op::Version.code(), &[]).and_then(|r| {
        if r.status != abi::STATUS_OK {
            return Err(anyhow!("status {}", r.status));
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body).context("not JSON")?;
        v.get("version")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no `version`"))
    });
    match answer {
        Err(e) => Check::new(
            BLOB_VERSION,
            Status::Fail,
            format!("the blob does not answer op 0 (version): {e:#}"),
            fix,
        ),
        Ok(v) if v != VERSION => Check::new(
            BLOB_VERSION,
            Status::Stale,
            format!("the blob is omega {v}, this omega is {VERSION} (their ops may differ)"),
            fix,
        ),
        Ok(v) => Check::ok(
            BLOB_VERSION,
            format!("the blob reports omega {v}, the same as this omega"),
        ),
    }
}

// ---- self-test ----------------------------------------------------------

fn self_test_request() -> Vec<u8> {
    abi::make_request(SELF_TEST_INPUT, &[])
}

/// Is `got` the golden answer (status ok, the golden body)? Else where it differs.
fn golden(got: &Response) -> Result<(), String> {
    if got.status == abi::STATUS_OK && got.body == SELF_TEST_EXPECTED {
        return Ok(());
    }
    let at = got
        .body
        .iter()
        .zip(SELF_TEST_EXPECTED)
        .position(|(a, b)| a != b)
        .unwrap_or(got.body.len().min(SELF_TEST_EXPECTED.len()));
    Err(format!(
        "status {} and {} bytes, the golden answer is status 0 and {} bytes (first difference at byte {at})",
        got.status,
        got.body.len(),
        SELF_TEST_EXPECTED.len()
    ))
}

const REPORT: &str = "a bug in omega: please report it with `omega doctor --json`";

fn self_test_native(native: &Response) -> Check {
    match golden(native) {
        Ok(()) => Check::ok(
            NATIVE,
            format!(
                "{SELF_TEST_CASE} (embedded, {} bytes): the golden {} bytes",
                SELF_TEST_INPUT.len(),
                native.body.len()
            ),
        ),
        Err(d) => Check::new(
            NATIVE,
            Status::Fail,
            format!("{SELF_TEST_CASE}: {d}"),
            REPORT,
        ),
    }
}

fn self_test_wasm(blob: &mut Blob, native: &Response) -> Check {
    let fix = format!("use the blob of omega {VERSION}: {GET_BLOB}");
    let started = Instant::now();
    match blob.call(Op::ReconcileJson.code(), &self_test_request()) {
        Err(e) => Check::new(
            WASM,
            Status::Fail,
            format!("{SELF_TEST_CASE}: the blob failed: {e:#}"),
            fix,
        ),
        Ok(got) if got == *native && golden(&got).is_ok() => Check::ok(
            WASM,
            format!(
                "{SELF_TEST_CASE}: the same {} bytes as native, the golden ones ({} ms)",
                got.body.len(),
                started.elapsed().as_millis()
            ),
        ),
        Ok(got) => {
            let detail = match golden(&got) {
                Err(d) => format!("{SELF_TEST_CASE}: the blob gives {d}"),
                Ok(()) => {
                    format!("{SELF_TEST_CASE}: the blob gives the golden bytes but native does not")
                }
            };
            Check::new(WASM, Status::Fail, detail, fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_self_test_is_the_golden_answer_natively() {
        assert_eq!(
            golden(&abi::call(Op::ReconcileJson.code(), &self_test_request())),
            Ok(())
        );
        let mut bad = abi::call(Op::ReconcileJson.code(), &self_test_request());
        bad.body[10] ^= 1;
        assert!(golden(&bad).unwrap_err().contains("byte 10"));
    }
}
