//! `cargo xtask doctor`: what this checkout and machine have and lack for
//! building and testing omega (the rust targets, the pinned wasm-bindgen CLI,
//! the blob and whether it matches the sources, Node, npm, Chromium,
//! nats-server, playwright-core, qemu-user and the cross toolchains for the
//! golden vectors on aarch64 and s390x), with the command that fixes each missing part. It
//! installs nothing (`cargo xtask setup` does).
//!
//! The installed CLI's own check, `omega doctor`, covers the blob as a user
//! has it (found where, its stamp and version, a self-test on both engines).
//!
//! Exit 0 when every check is `ok` or `warn`, 1 otherwise. Tools that are not
//! on the PATH are reported as `missing`, never as errors.
use crate::sources::{self, BLOB_SOURCES};
use omega_report::{Check, Stamp, Status, table};
use crate::{BARE_TARGET, BLOB, CHROMIUM, NATS_SERVER, WASM_TARGET, sha256_hex};
use anyhow::{Context, Result};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// How long one probe (`node --version`, ...) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// `cargo xtask doctor [--json] [--blob PATH]`: the report for the checkout at `root`.
pub fn run(root: &Path, json: bool, blob: Option<&Path>) -> Result<ExitCode> {
    let root_uid = is_root();
    let blob_path = blob.map_or_else(|| root.join(BLOB), Path::to_path_buf);
    let (blob_check, blob_sha) = blob_file(&blob_path);
    let chromium_env = std::env::var_os("OMEGA_CHROMIUM")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from);
    let nats_env = std::env::var_os("OMEGA_NATS_SERVER")
        .filter(|c| !c.is_empty())
        .map(PathBuf::from);
    let checks = vec![
        rust_target("wasm32 target", WASM_TARGET, false),
        rust_target("no_std target", BARE_TARGET, true),
        wasm_bindgen(root),
        blob_check,
        blob_sources(root, &blob_path, blob_sha.as_deref()),
        node(root_uid),
        npm(root_uid),
        chromium(root_uid, chromium_env),
        nats_server(root_uid, nats_env),
        playwright(root),
        cross(root_uid, &crate::cross::AARCH64),
        cross(root_uid, &crate::cross::S390X),
    ];

    let ok = !checks.iter().any(|c| c.status.fails());
    let mut out = std::io::stdout().lock();
    if json {
        let head = [("root", omega_report::json_string(&root.display().to_string()))];
        write!(out, "{}", omega_report::json(&checks, &head)).context("writing standard output")?;
    } else {
        writeln!(out, "cargo xtask doctor: checkout {}\n", root.display())
            .context("writing standard output")?;
        write!(out, "{}", table(&checks)).context("writing standard output")?;
        let warns = omega_report::warnings(&checks);
        let summary = match checks.iter().filter(|c| c.status.fails()).count() {
            0 => format!("all well{warns}"),
            1 => format!(
                "1 part missing or stale{warns}: run its fix above (or `cargo xtask setup` for all of them)"
            ),
            n => format!(
                "{n} parts missing or stale{warns}: run the fixes above, top to bottom (or `cargo xtask setup`)"
            ),
        };
        writeln!(
            out,
            "\n{summary}\nthe blob as the CLI loads it (its version, a self-test on both engines): target/release/omega doctor"
        )
        .context("writing standard output")?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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

/// A JSON file's string at `path` (keys), if any.
fn json_str(file: &Path, path: &[&str]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    path.iter()
        .try_fold(&v, |v, k| v.get(k))?
        .as_str()
        .map(str::to_string)
}

// ---- checks -------------------------------------------------------------

/// The golden vectors under qemu-user on `arch` (xtask/src/cross.rs): its rust
/// target, qemu, cross gcc and C library.
fn cross(root: bool, arch: &crate::cross::Arch) -> Check {
    let rustc = std::env::var_os("RUSTC")
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "rustc".into());
    let sysroot = probe(&rustc, &["--print", "sysroot"]).map(PathBuf::from);
    crate::cross::doctor_check(arch, &crate::cross::find(arch, sysroot.as_deref()), root)
}

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
    pinned_wasm_bindgen_in(&std::fs::read_to_string(root.join("Cargo.toml")).ok()?)
}

/// The pin in the text of a Cargo.toml (setup and doctor read it the same way).
pub(crate) fn pinned_wasm_bindgen_in(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("wasm-bindgen ") || l.starts_with("wasm-bindgen="))
        .find_map(|l| {
            let rest = &l[l.find("\"=")? + 2..];
            Some(rest[..rest.find('"')?].to_string())
        })
}

/// The pinned wasm-bindgen CLI, where `cargo xtask setup` installs it:
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
            "export HOME=... && cargo xtask setup",
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
            format!("rm -rf {} && cargo xtask setup", dir.display()),
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
                "cargo xtask setup",
            )
        }
    }
}

/// The blob row; also returns the blob's SHA-256 when it could be read.
fn blob_file(path: &Path) -> (Check, Option<String>) {
    const PART: &str = "blob";
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            Check::new(
                PART,
                Status::Missing,
                format!("no {}", path.display()),
                "cargo xtask blob",
            ),
            None,
        ),
        Err(e) => (
            Check::new(
                PART,
                Status::Missing,
                format!("cannot read {}: {e}", path.display()),
                "cargo xtask blob",
            ),
            None,
        ),
        Ok(bytes) => {
            let sha = sha256_hex(&bytes);
            let detail = format!("{}, {} bytes, sha256 {sha}", path.display(), bytes.len());
            (Check::ok(PART, detail), Some(sha))
        }
    }
}

/// Does the blob match the sources? The stamp `cargo xtask blob` wrote beside
/// it against [`sources::sources_sha256`] of the checkout now.
fn blob_sources(root: &Path, path: &Path, blob_sha: Option<&str>) -> Check {
    const PART: &str = "blob sources";
    let fix = "cargo xtask blob";
    let Some(blob_sha) = blob_sha else {
        return Check::new(PART, Status::Missing, "no blob to compare", fix);
    };
    let stamp_path = sources::stamp_path(path);
    let Ok(text) = std::fs::read_to_string(&stamp_path) else {
        return Check::new(
            PART,
            Status::Warn,
            format!("no stamp {} (built by hand?)", stamp_path.display()),
            fix,
        );
    };
    let Some(stamp) = Stamp::parse(&text) else {
        return Check::new(
            PART,
            Status::Warn,
            format!(
                "no stamp: {} does not start with two SHA-256 lines (built by hand?)",
                stamp_path.display()
            ),
            fix,
        );
    };
    let now = match sources::sources_sha256(root) {
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
    if stamp.blob != blob_sha {
        return Check::new(
            PART,
            Status::Stale,
            format!(
                "stale: the blob changed since it was stamped (stamp names blob sha256 {})",
                stamp.blob
            ),
            fix,
        );
    }
    let built = match (&stamp.version, &stamp.commit) {
        (Some(v), Some(c)) => format!("; built from omega {v}, commit {c}"),
        (Some(v), None) => format!("; built from omega {v}"),
        _ => String::new(),
    };
    if stamp.sources != now {
        return Check::new(
            PART,
            Status::Stale,
            format!(
                "stale: built from sources {}{built}; the sources now hash to {now}",
                stamp.sources
            ),
            fix,
        );
    }
    Check::ok(
        PART,
        format!(
            "matches the sources (sha256 {now} over {}){built}",
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
    let major = crate::node_major(&v);
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

/// `$OMEGA_CHROMIUM` (`from_env`), else Debian's /usr/bin/chromium: what the browser suites launch.
fn chromium(root: bool, from_env: Option<PathBuf>) -> Check {
    debian_binary(root, "chromium", "OMEGA_CHROMIUM", Path::new(CHROMIUM), "a Chromium binary", from_env)
}

/// `$OMEGA_NATS_SERVER` (`from_env`), else Debian's /usr/sbin/nats-server: what the cluster tests launch.
fn nats_server(root: bool, from_env: Option<PathBuf>) -> Check {
    debian_binary(root, "nats-server", "OMEGA_NATS_SERVER", Path::new(NATS_SERVER), "a nats-server binary", from_env)
}

/// A program from Debian's `package` at `default`, or at `$var` (`from_env`) when set:
/// its `--version`, or what is missing and the apt-get line that installs it.
fn debian_binary(root: bool, package: &'static str, var: &str, default: &Path, what: &str, from_env: Option<PathBuf>) -> Check {
    let path = from_env.clone().unwrap_or_else(|| default.to_path_buf());
    let apt = format!("{0}apt-get update && {0}apt-get install -y {package}", sudo(root));
    if !path.is_file() {
        let detail = match from_env {
            Some(p) => format!("{var}={}: no such file (point it at {what}, or unset it to use {})", p.display(), default.display()),
            None => format!("no {} (Debian's {package} package; `cargo xtask setup` installs it when run as root)", default.display()),
        };
        return Check::new(package, Status::Missing, detail, apt);
    }
    match probe(&path, &["--version"]) {
        Some(v) if !v.is_empty() => Check::ok(package, format!("{v} at {}", path.display())),
        _ => Check::new(package, Status::Warn, format!("{} is there but `--version` failed", path.display()), apt),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::fs;

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("omega-xtask-doctor-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// A checkout holding every input of [`BLOB_SOURCES`], and a blob.
    fn checkout(name: &str) -> (PathBuf, PathBuf) {
        let root = tmp(name);
        // one file per source (a folder gets one file inside), so a source added to the list is here too
        for src in BLOB_SOURCES {
            let f = if src.contains('.') { src.to_string() } else { format!("{src}/lib.rs") };
            let p = root.join(&f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, format!("// {f}\n")).unwrap();
        }
        let blob = root.join(BLOB);
        fs::create_dir_all(blob.parent().unwrap()).unwrap();
        fs::write(&blob, b"\0asm\x01\0\0\0").unwrap();
        (root, blob)
    }

    #[test]
    fn blob_sources_compares_the_stamp_with_the_sources() {
        let (root, blob) = checkout("stamp");
        let (c, sha) = blob_file(&blob);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        let sha = sha.unwrap();
        let stamp = sources::stamp_path(&blob);

        let c = blob_sources(&root, &blob, Some(&sha));
        assert_eq!(
            (c.status, c.fix.as_str()),
            (Status::Warn, "cargo xtask blob"),
            "{c:?}"
        );
        assert!(c.detail.contains("no stamp"), "{c:?}");

        fs::write(&stamp, "not a hash\n").unwrap();
        let c = blob_sources(&root, &blob, Some(&sha));
        assert_eq!(c.status, Status::Warn, "{c:?}");

        // what `cargo xtask blob` writes: ok, naming the version and commit
        let now = sources::sources_sha256(&root).unwrap();
        fs::write(&stamp, sources::stamp_text(&now, &sha, "abc123")).unwrap();
        let c = blob_sources(&root, &blob, Some(&sha));
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.detail.contains("matches the sources") && c.detail.contains("commit abc123"),
            "{c:?}"
        );
        // an older two-line stamp is still read
        fs::write(&stamp, format!("{now}\n{sha}\n")).unwrap();
        assert_eq!(blob_sources(&root, &blob, Some(&sha)).status, Status::Ok);

        // a source changes: stale
        fs::write(root.join("core/src/lib.rs"), "// changed\n").unwrap();
        let c = blob_sources(&root, &blob, Some(&sha));
        assert_eq!(
            (c.status, c.fix.as_str()),
            (Status::Stale, "cargo xtask blob"),
            "{c:?}"
        );
        let later = sources::sources_sha256(&root).unwrap();
        assert_ne!(later, now);
        assert!(c.detail.ends_with(&later), "{c:?}");
        // a new file under a source folder too
        fs::write(&stamp, sources::stamp_text(&later, &sha, "abc123")).unwrap();
        assert_eq!(blob_sources(&root, &blob, Some(&sha)).status, Status::Ok);
        fs::write(root.join("wasm/src/new.rs"), "").unwrap();
        assert_eq!(blob_sources(&root, &blob, Some(&sha)).status, Status::Stale);

        // the blob changes after its stamp: stale
        let now = sources::sources_sha256(&root).unwrap();
        fs::write(&stamp, sources::stamp_text(&now, &"1".repeat(64), "abc123")).unwrap();
        let c = blob_sources(&root, &blob, Some(&sha));
        assert_eq!(c.status, Status::Stale, "{c:?}");
        assert!(c.detail.contains("the blob changed"), "{c:?}");

        // no blob
        fs::remove_file(&blob).unwrap();
        let (c, sha) = blob_file(&blob);
        assert_eq!(
            (c.status, c.fix.as_str(), sha),
            (Status::Missing, "cargo xtask blob", None),
            "{c:?}"
        );
        assert_eq!(blob_sources(&root, &blob, None).status, Status::Missing);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn stamps_round_trip() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let s = Stamp::parse(&sources::stamp_text(&a, &b, "c0ffee-dirty")).unwrap();
        assert_eq!(
            s,
            Stamp {
                sources: a,
                blob: b,
                version: Some(sources::VERSION.into()),
                commit: Some("c0ffee-dirty".into())
            }
        );
        assert_eq!(Stamp::parse(&format!("{}\n", "a".repeat(64))), None);
    }

    #[test]
    fn the_stamp_names_the_commit_or_unknown() {
        assert_eq!(sources::git_commit(&tmp("no-git")), "unknown");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = sources::git_commit(root);
        let hex = c.split('-').next().unwrap();
        assert!(c == "unknown" || (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())), "{c}");
    }

    #[test]
    fn playwright_is_missing_stale_or_ok() {
        let root = tmp("playwright");
        let js = root.join("tests/js");
        fs::create_dir_all(js.join("node_modules/playwright-core")).unwrap();
        assert_eq!(playwright(&root).status, Status::Warn);
        fs::write(
            js.join("package.json"),
            r#"{"devDependencies": {"playwright-core": "1.50.0"}}"#,
        )
        .unwrap();
        let c = playwright(&root);
        assert_eq!(
            (c.status, c.fix.as_str()),
            (Status::Missing, "(cd tests/js && npm ci)"),
            "{c:?}"
        );
        let installed = js.join("node_modules/playwright-core/package.json");
        fs::write(&installed, r#"{"version": "1.49.1"}"#).unwrap();
        assert_eq!(playwright(&root).status, Status::Stale);
        fs::write(&installed, r#"{"version": "1.50.0"}"#).unwrap();
        assert_eq!(playwright(&root).status, Status::Ok);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_missing_chromium_names_its_fix() {
        let c = chromium(false, Some(PathBuf::from("/nonexistent/chromium")));
        assert_eq!(c.status, Status::Missing, "{c:?}");
        assert!(c.detail.contains("/nonexistent/chromium"), "{c:?}");
        assert_eq!(
            c.fix,
            "sudo apt-get update && sudo apt-get install -y chromium"
        );
        assert_eq!(
            chromium(true, Some(PathBuf::from("/nonexistent/chromium"))).fix,
            "apt-get update && apt-get install -y chromium"
        );
    }

    #[test]
    fn a_missing_nats_server_names_its_fix() {
        let c = nats_server(false, Some(PathBuf::from("/nonexistent/nats-server")));
        assert_eq!(c.status, Status::Missing, "{c:?}");
        assert!(c.detail.contains("OMEGA_NATS_SERVER=/nonexistent/nats-server"), "{c:?}");
        assert_eq!(
            c.fix,
            "sudo apt-get update && sudo apt-get install -y nats-server"
        );
        assert_eq!(
            nats_server(true, Some(PathBuf::from("/nonexistent/nats-server"))).fix,
            "apt-get update && apt-get install -y nats-server"
        );
    }

    #[test]
    fn the_table_wraps_details_and_keeps_fixes_on_the_first_line() {
        let checks = [Check::new(
            "blob",
            Status::Missing,
            "x ".repeat(50).trim(),
            "cargo xtask blob",
        )];
        let t = table(&checks);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(
            lines[0].starts_with("part") && lines[0].ends_with("fix"),
            "{t}"
        );
        assert!(
            lines[1].starts_with("blob  missing") && lines[1].ends_with("cargo xtask blob"),
            "{t}"
        );
        assert!(!lines[2].contains("cargo"), "{t}");
    }
}
