//! `omega doctor`: what this machine has and lacks for each part of omega
//! (the rust targets, the pinned wasm-bindgen CLI, the blob and whether it
//! matches the sources, Node, npm, Chromium, playwright-core), a self-test
//! that runs a golden vector on both engines, and the command that fixes each
//! missing part.
//!
//! Exit 0 when every check is `ok` or `warn`, 1 otherwise. Tools that are not
//! on the PATH are reported as `missing`, never as errors.
use crate::BlobArgs;
use crate::wasm::{self, Blob, Bounds};
use anyhow::{Context, Result, anyhow};
use omega_core::abi;
use sha2::{Digest, Sha256};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Optional: `cargo xtask test` skips the no_std build for it when absent.
const BARE_TARGET: &str = "thumbv7em-none-eabi";
/// Where the browser suites look for Chromium unless `$OMEGA_CHROMIUM` says otherwise.
const CHROMIUM: &str = "/usr/bin/chromium";
/// The golden vector the self-test runs (else the first case with an `input`).
const SELF_TEST_CASE: &str = "demo-sample";
/// How long one probe (`node --version`, ...) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

// The blob's source list, its stamp and the sources hash: the very file
// `cargo xtask blob` uses to write the stamp.
#[path = "../../xtask/src/sources.rs"]
mod sources;
pub use sources::{BLOB_SOURCES, STAMP_SUFFIX, sources_sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    Missing,
    Stale,
    Warn,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Stale => "stale",
            Status::Warn => "warn",
        }
    }

    /// Does this status make the exit code 1?
    fn fails(self) -> bool {
        matches!(self, Status::Missing | Status::Stale)
    }
}

/// One row of the report.
#[derive(Debug)]
struct Check {
    part: &'static str,
    status: Status,
    detail: String,
    /// The command that fixes it ("" when there is nothing to fix).
    fix: String,
}

impl Check {
    fn new(
        part: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            part,
            status,
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    fn ok(part: &'static str, detail: impl Into<String>) -> Check {
        Check::new(part, Status::Ok, detail, "")
    }
}

/// `omega doctor [--json] [--blob PATH]`.
pub fn run(json: bool, blob: &BlobArgs) -> Result<ExitCode> {
    let vectors = crate::default_vectors();
    let root = vectors
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let root_uid = is_root();
    let mut checks = vec![
        rust_target("wasm32 target", WASM_TARGET, false),
        rust_target("no_std target", BARE_TARGET, true),
        wasm_bindgen(&root),
    ];
    let blob_path = wasm::find_blob(blob.blob.as_deref());
    let (blob_check, blob_sha) = blob_file(&blob_path);
    checks.push(blob_check);
    checks.push(blob_sources(&root, &blob_path, blob_sha.as_deref()));
    checks.extend([
        node(root_uid),
        npm(root_uid),
        chromium(root_uid),
        playwright(&root),
    ]);
    let bounds = blob.bounds();
    checks.extend(self_tests(&vectors, &blob_path, bounds));

    let ok = !checks.iter().any(|c| c.status.fails());
    let mut out = std::io::stdout().lock();
    if json {
        // Written by hand to keep the keys in this order (serde_json sorts them).
        let rows: Vec<String> = checks
            .iter()
            .map(|c| {
                format!(
                    "    {{\"part\": {}, \"status\": {}, \"detail\": {}, \"fix\": {}}}",
                    serde_json::Value::from(c.part),
                    serde_json::Value::from(c.status.as_str()),
                    serde_json::Value::from(c.detail.as_str()),
                    serde_json::Value::from(c.fix.as_str()),
                )
            })
            .collect();
        let root = serde_json::Value::from(root.display().to_string());
        writeln!(
            out,
            "{{\n  \"ok\": {ok},\n  \"root\": {root},\n  \"checks\": [\n{}\n  ]\n}}",
            rows.join(",\n")
        )
        .context("writing standard output")?;
    } else {
        writeln!(out, "omega doctor: checkout {}\n", root.display())
            .context("writing standard output")?;
        write!(out, "{}", table(&checks)).context("writing standard output")?;
        let warns = checks.iter().filter(|c| c.status == Status::Warn).count();
        let fails = checks.iter().filter(|c| c.status.fails()).count();
        let warns = match warns {
            0 => String::new(),
            1 => " (1 warning)".to_string(),
            n => format!(" ({n} warnings)"),
        };
        let summary = match fails {
            0 => format!("\nall well{warns}"),
            1 => format!("\n1 part missing or stale{warns}: run its fix above"),
            n => format!("\n{n} parts missing or stale{warns}: run the fixes above, top to bottom"),
        };
        writeln!(out, "{summary}").context("writing standard output")?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The detail column wraps at this many characters (a SHA-256 fits on one line).
const DETAIL_WIDTH: usize = 72;

/// Splits `text` at spaces into lines of at most `width` characters (a longer word keeps a line to itself).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The report as a table: part, status, detail (wrapped), fix.
fn table(checks: &[Check]) -> String {
    let head = Check::new("part", Status::Ok, "detail", "fix");
    let rows: Vec<(&Check, &str, Vec<String>)> = std::iter::once((&head, "status"))
        .chain(checks.iter().map(|c| (c, c.status.as_str())))
        .map(|(c, status)| (c, status, wrap(&c.detail, DETAIL_WIDTH)))
        .collect();
    let w0 = rows
        .iter()
        .map(|r| r.0.part.chars().count())
        .max()
        .unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let w2 = rows
        .iter()
        .flat_map(|r| r.2.iter().map(|l| l.chars().count()))
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for (c, status, detail) in &rows {
        for (i, d) in detail.iter().enumerate() {
            let line = if i == 0 {
                format!("{:<w0$}  {status:<w1$}  {d:<w2$}  {}", c.part, c.fix)
            } else {
                format!("{:<w0$}  {:<w1$}  {d}", "", "")
            };
            s.push_str(line.trim_end());
            s.push('\n');
        }
    }
    s
}

// ---- probes -------------------------------------------------------------

/// Runs `program args` (stdin closed, stderr dropped, at most [`PROBE_TIMEOUT`]);
/// its trimmed stdout if it exits 0, None if it cannot run, fails or hangs.
fn probe(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read on a thread: a chatty child never blocks on a full pipe, and a
    // grandchild holding the pipe open never blocks us.
    let mut stdout = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let deadline = Instant::now() + PROBE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let out = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1))
        .ok()?;
    status.success().then(|| out.trim().to_string())
}

/// The first `name` on the PATH that is a file.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Is this process root? (From /proc, else `id -u`; unknown counts as no.)
fn is_root() -> bool {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        });
    from_proc.unwrap_or_else(|| probe("id", &["-u"]).as_deref() == Some("0"))
}

fn sudo(root: bool) -> &'static str {
    if root { "" } else { "sudo " }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JSON file's string at `path` (keys), if any.
fn json_str(file: &Path, path: &[&str]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    path.iter()
        .try_fold(&v, |v, k| v.get(k))?
        .as_str()
        .map(str::to_string)
}

// ---- checks -------------------------------------------------------------

fn rust_target(part: &'static str, target: &str, optional: bool) -> Check {
    let rustc = std::env::var_os("RUSTC")
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "rustc".into());
    let fix = format!("rustup target add {target}");
    let (bad, note) = if optional {
        (
            Status::Warn,
            "; optional: `cargo xtask test` then skips the no_std build for it",
        )
    } else {
        (Status::Missing, "")
    };
    let Some(sysroot) = probe(&rustc, &["--print", "sysroot"]) else {
        return Check::new(
            part,
            bad,
            format!("{target}: no rustc on the PATH{note}"),
            format!("install rustup from https://rustup.rs, then `{fix}`"),
        );
    };
    let lib = Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .join("lib");
    if lib.is_dir() {
        return Check::ok(part, format!("{target} in {sysroot}"));
    }
    if which("rustup").is_none() {
        return Check::new(
            part,
            bad,
            format!("{target}: not in {sysroot}, and no rustup to add it{note}"),
            format!("install rustup from https://rustup.rs, then `{fix}`"),
        );
    }
    Check::new(
        part,
        bad,
        format!("{target}: not installed in {sysroot}{note}"),
        fix,
    )
}

/// The wasm-bindgen version pinned in the workspace Cargo.toml (`wasm-bindgen = "=x.y.z"`).
fn pinned_wasm_bindgen(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("wasm-bindgen ") || l.starts_with("wasm-bindgen="))
        .find_map(|l| {
            let rest = &l[l.find("\"=")? + 2..];
            Some(rest[..rest.find('"')?].to_string())
        })
}

/// The pinned wasm-bindgen CLI, where xtask installs it:
/// `$XDG_CACHE_HOME` (or `~/.cache`)`/omega/wasm-bindgen-<version>/bin/wasm-bindgen`.
fn wasm_bindgen(root: &Path) -> Check {
    const PART: &str = "wasm-bindgen CLI";
    let Some(pin) = pinned_wasm_bindgen(root) else {
        return Check::new(
            PART,
            Status::Warn,
            format!(
                "{} pins no `wasm-bindgen = \"=x.y.z\"`; cannot tell which CLI is needed",
                root.join("Cargo.toml").display()
            ),
            "",
        );
    };
    let cache = match std::env::var_os("XDG_CACHE_HOME") {
        Some(c) if Path::new(&c).is_absolute() => Some(PathBuf::from(c)),
        _ => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".cache")),
    };
    let Some(cache) = cache else {
        return Check::new(
            PART,
            Status::Missing,
            "$HOME is not set, so neither is the cache xtask installs it into",
            "export HOME=... && cargo xtask blob",
        );
    };
    let dir = cache.join("omega").join(format!("wasm-bindgen-{pin}"));
    let bin = dir.join("bin/wasm-bindgen");
    let want = format!("wasm-bindgen {pin}");
    match probe(&bin, &["--version"]) {
        Some(v) if v == want => {
            Check::ok(PART, format!("{pin} (pinned ={pin}) at {}", bin.display()))
        }
        Some(v) => Check::new(
            PART,
            Status::Stale,
            format!(
                "{} reports `{v}`, the crate is pinned at ={pin}",
                bin.display()
            ),
            format!("rm -rf {} && cargo xtask blob", dir.display()),
        ),
        None => {
            let on_path = match probe("wasm-bindgen", &["--version"]) {
                Some(v) => {
                    format!(" (`{v}` is on the PATH, but xtask uses only its own pinned copy)")
                }
                None => String::new(),
            };
            Check::new(
                PART,
                Status::Missing,
                format!(
                    "{want} not in {}{on_path}; installing it takes about 4 minutes, once",
                    dir.display()
                ),
                "cargo xtask blob",
            )
        }
    }
}

/// The blob row; also returns the blob's SHA-256 when it could be read.
fn blob_file(path: &Result<PathBuf>) -> (Check, Option<String>) {
    const PART: &str = "blob";
    match path {
        Err(e) => {
            let first = format!("{e:#}");
            let first = first
                .lines()
                .next()
                .unwrap_or("not found")
                .trim_end_matches(';')
                .to_string();
            (
                Check::new(PART, Status::Missing, first, "cargo xtask blob"),
                None,
            )
        }
        Ok(p) => match std::fs::read(p) {
            Err(e) => (
                Check::new(
                    PART,
                    Status::Missing,
                    format!("cannot read {}: {e}", p.display()),
                    "cargo xtask blob",
                ),
                None,
            ),
            Ok(bytes) => {
                let sha = sha256_hex(&bytes);
                let detail = format!("{}, {} bytes, sha256 {sha}", p.display(), bytes.len());
                (Check::ok(PART, detail), Some(sha))
            }
        },
    }
}

/// Does the blob match the sources? Read from the stamp `cargo xtask blob` wrote beside it.
fn blob_sources(root: &Path, path: &Result<PathBuf>, blob_sha: Option<&str>) -> Check {
    const PART: &str = "blob sources";
    let fix = "cargo xtask blob";
    let (Ok(path), Some(blob_sha)) = (path, blob_sha) else {
        return Check::new(PART, Status::Missing, "no blob to compare", fix);
    };
    let mut stamp_path = path.clone().into_os_string();
    stamp_path.push(STAMP_SUFFIX);
    let stamp_path = PathBuf::from(stamp_path);
    let Ok(stamp) = std::fs::read_to_string(&stamp_path) else {
        return Check::new(
            PART,
            Status::Warn,
            format!("no stamp {} (built by hand?)", stamp_path.display()),
            fix,
        );
    };
    let is_sha = |s: &&str| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let mut lines = stamp.lines().map(str::trim);
    let (Some(stamped_sources), Some(stamped_blob)) =
        (lines.next().filter(is_sha), lines.next().filter(is_sha))
    else {
        return Check::new(
            PART,
            Status::Warn,
            format!(
                "no stamp: {} is not two SHA-256 lines (built by hand?)",
                stamp_path.display()
            ),
            fix,
        );
    };
    let now = match sources_sha256(root) {
        Ok(h) => h,
        Err(e) => {
            return Check::new(
                PART,
                Status::Warn,
                format!("cannot hash the sources under {}: {e}", root.display()),
                "",
            );
        }
    };
    if stamped_blob != blob_sha {
        return Check::new(
            PART,
            Status::Stale,
            format!(
                "stale: the blob changed since it was stamped (stamp names blob sha256 {stamped_blob})"
            ),
            fix,
        );
    }
    if stamped_sources != now {
        return Check::new(
            PART,
            Status::Stale,
            format!("stale: built from sources {stamped_sources}; the sources now hash to {now}"),
            fix,
        );
    }
    Check::ok(
        PART,
        format!(
            "matches the sources (sha256 {now} over {})",
            BLOB_SOURCES.join(", ")
        ),
    )
}

fn node(root: bool) -> Check {
    const PART: &str = "node";
    let fix = format!("{}apt-get install -y nodejs npm", sudo(root));
    let Some(v) = probe("node", &["--version"]) else {
        return Check::new(
            PART,
            Status::Missing,
            "no `node` on the PATH (Node 18 or newer is needed)",
            fix,
        );
    };
    let at = which("node")
        .map(|p| format!(" at {}", p.display()))
        .unwrap_or_default();
    let major: u32 = v
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        return Check::new(
            PART,
            Status::Missing,
            format!("{v}{at}: Node 18 or newer is needed"),
            fix,
        );
    }
    Check::ok(PART, format!("{v}{at}"))
}

fn npm(root: bool) -> Check {
    const PART: &str = "npm";
    match probe("npm", &["--version"]) {
        Some(v) => Check::ok(
            PART,
            format!(
                "{v}{}",
                which("npm")
                    .map(|p| format!(" at {}", p.display()))
                    .unwrap_or_default()
            ),
        ),
        None => Check::new(
            PART,
            Status::Missing,
            "no `npm` on the PATH",
            format!("{}apt-get install -y npm", sudo(root)),
        ),
    }
}

/// `$OMEGA_CHROMIUM`, else Debian's /usr/bin/chromium: what the browser suites launch.
fn chromium(root: bool) -> Check {
    const PART: &str = "chromium";
    let from_env = std::env::var_os("OMEGA_CHROMIUM")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from);
    let path = from_env.clone().unwrap_or_else(|| PathBuf::from(CHROMIUM));
    let apt = format!(
        "{0}apt-get update && {0}apt-get install -y chromium",
        sudo(root)
    );
    if !path.is_file() {
        return match from_env {
            Some(p) => Check::new(
                PART,
                Status::Missing,
                format!(
                    "OMEGA_CHROMIUM={}: no such file (point it at a Chromium binary, or unset it to use {CHROMIUM})",
                    p.display()
                ),
                apt,
            ),
            None => Check::new(
                PART,
                Status::Missing,
                format!(
                    "no {CHROMIUM} (Debian's chromium package; `cargo xtask test` installs it when run as root)"
                ),
                apt,
            ),
        };
    }
    match probe(&path, &["--version"]) {
        Some(v) if !v.is_empty() => Check::ok(PART, format!("{v} at {}", path.display())),
        _ => Check::new(
            PART,
            Status::Warn,
            format!("{} is there but `--version` failed", path.display()),
            apt,
        ),
    }
}

/// playwright-core in tests/js/node_modules, at the version tests/js/package.json pins.
fn playwright(root: &Path) -> Check {
    const PART: &str = "playwright-core";
    let fix = "(cd tests/js && npm ci)";
    let js = root.join("tests/js");
    let Some(want) = json_str(
        &js.join("package.json"),
        &["devDependencies", "playwright-core"],
    ) else {
        return Check::new(
            PART,
            Status::Warn,
            format!(
                "{} names no playwright-core",
                js.join("package.json").display()
            ),
            "",
        );
    };
    let installed = js.join("node_modules/playwright-core/package.json");
    match json_str(&installed, &["version"]) {
        None => Check::new(
            PART,
            Status::Missing,
            format!(
                "not in {} (wanted {want})",
                js.join("node_modules").display()
            ),
            fix,
        ),
        Some(v) if v.trim_start_matches('v') == want.trim_start_matches(['=', '^', '~', 'v']) => {
            Check::ok(
                PART,
                format!("{v} in {}", js.join("node_modules").display()),
            )
        }
        Some(v) => Check::new(
            PART,
            Status::Stale,
            format!("{v} installed, tests/js/package.json wants {want}"),
            fix,
        ),
    }
}

/// One golden vector: its name, op, request and expected response bytes (status byte, then body).
struct Vector {
    name: String,
    op: u32,
    request: Vec<u8>,
    expected: Vec<u8>,
}

/// The self-test vector: `demo-sample`, else the first case with an `input` file.
fn load_vector(dir: &Path) -> Result<Vector> {
    let manifest_path = dir.join("manifest.json");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    let cases = manifest
        .get("cases")
        .and_then(|c| c.as_array())
        .ok_or_else(|| anyhow!("the manifest has no `cases`"))?;
    let case = cases
        .iter()
        .find(|c| c.get("name").and_then(|n| n.as_str()) == Some(SELF_TEST_CASE))
        .or_else(|| {
            cases
                .iter()
                .find(|c| c.get("input").is_some_and(serde_json::Value::is_string))
        })
        .ok_or_else(|| anyhow!("the manifest has no `{SELF_TEST_CASE}` case"))?;
    let field = |k: &str| case.get(k).and_then(|v| v.as_str());
    let name = field("name").unwrap_or("?").to_string();
    let read = |k: &str| -> Result<Vec<u8>> {
        let rel = field(k).ok_or_else(|| anyhow!("case {name}: no `{k}`"))?;
        std::fs::read(dir.join(rel)).with_context(|| format!("case {name}: reading {rel}"))
    };
    let prior = if field("prior").is_some() {
        read("prior")?
    } else {
        Vec::new()
    };
    let request = abi::make_request(&read("input")?, &prior);
    let op =
        u32::try_from(case.get("op").and_then(|v| v.as_u64()).unwrap_or(1)).unwrap_or(u32::MAX);
    let status =
        u8::try_from(case.get("status").and_then(|v| v.as_u64()).unwrap_or(9)).unwrap_or(9);
    let mut expected = vec![status];
    expected.extend(read("expected")?);
    Ok(Vector {
        name,
        op,
        request,
        expected,
    })
}

fn compare(engine: &str, v: &Vector, got: &[u8], started: Instant) -> Result<String, String> {
    let ms = started.elapsed().as_millis();
    if got == v.expected {
        Ok(format!(
            "{}: {engine} gives the golden {} bytes ({ms} ms)",
            v.name,
            got.len()
        ))
    } else {
        let at = got
            .iter()
            .zip(&v.expected)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(v.expected.len()));
        Err(format!(
            "{}: {engine} differs from the golden vector at byte {at} ({} bytes, expected {})",
            v.name,
            got.len(),
            v.expected.len()
        ))
    }
}

/// Runs the self-test vector natively and on the blob.
fn self_tests(vectors: &Path, blob_path: &Result<PathBuf>, bounds: Bounds) -> [Check; 2] {
    const NATIVE: &str = "self-test native";
    const WASM: &str = "self-test wasm";
    let vector = match load_vector(vectors) {
        Ok(v) => v,
        Err(e) => {
            let detail = format!("no golden vector at {}: {e:#}", vectors.display());
            let fix =
                "run the omega built in an omega checkout (cargo build --release -p omega-host)";
            return [
                Check::new(NATIVE, Status::Missing, detail.clone(), fix),
                Check::new(WASM, Status::Missing, detail, fix),
            ];
        }
    };
    let started = Instant::now();
    let native = abi::call(vector.op, &vector.request).to_bytes();
    let native = match compare("native", &vector, &native, started) {
        Ok(d) => Check::ok(NATIVE, d),
        Err(d) => Check::new(
            NATIVE,
            Status::Stale,
            d,
            "cargo build --release -p omega-host && cargo xtask vectors --check",
        ),
    };
    let wasm = match blob_path {
        Err(_) => Check::new(
            WASM,
            Status::Missing,
            "skipped: no blob",
            "cargo xtask blob",
        ),
        Ok(path) => {
            let started = Instant::now();
            match Blob::load(path, bounds).and_then(|mut b| b.call(vector.op, &vector.request)) {
                Err(e) => Check::new(
                    WASM,
                    Status::Missing,
                    format!("{} does not run: {e:#}", path.display()),
                    "cargo xtask blob",
                ),
                Ok(resp) => match compare("the blob", &vector, &resp.to_bytes(), started) {
                    Ok(d) => Check::ok(WASM, d),
                    Err(d) => Check::new(WASM, Status::Stale, d, "cargo xtask blob"),
                },
            }
        }
    };
    [native, wasm]
}
