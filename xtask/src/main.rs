//! `cargo xtask`: omega's automation.
//!
//! - `setup`: installs or checks what the other commands need (rustup targets,
//!   the pinned wasm-bindgen CLI in a per-user cache, Node and npm, Chromium,
//!   nats-server, the npm packages of `tests/js`, qemu-user and the cross gcc
//!   for the golden vectors on aarch64 and s390x);
//! - `blob`: builds the one wasm blob reproducibly and runs wasm-bindgen on it;
//! - `demo`: builds the blob and the host, then runs `omega demo`;
//! - `vectors [--check]`: regenerates (or checks) the golden vectors;
//! - `test`: everything CI runs, suite by suite, failing fast;
//! - `mutants`: mutation testing of core's decision code (cargo-mutants; not in CI);
//! - `doctor`: what this checkout and machine lack for the above, and the
//!   command that fixes each part (installs nothing).
//!
//! This crate depends on no workspace crate: it only drives cargo, rustup,
//! wasm-bindgen, npm and node.
mod cross;
mod doctor;
mod glue;
mod mutants;
mod sources;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::{env, fs};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// A target with no `std` at all: building core for it proves `no_std`.
const BARE_TARGET: &str = "thumbv7em-none-eabi";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's nats-server package puts the server the cluster tests launch
/// (`$OMEGA_NATS_SERVER` overrides it).
const NATS_SERVER: &str = "/usr/sbin/nats-server";
/// Debian's Go (package golang-go), which builds tests/go offline in GOPATH mode.
const GO: &str = "/usr/bin/go";
/// Where Debian's golang-golang-x-mod-dev puts Go's tlog package.
const GO_TLOG: &str = "/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog";
const BLOB: &str = "wasm/dist/omega_wasm_bg.wasm";

#[derive(Parser, Debug)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "omega's automation (blob, npm, browsers, CI)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Install or check everything the other commands need.
    Setup,
    /// Build the wasm blob and its JS glue into wasm/dist.
    Blob,
    /// Build the blob and the host, then run `omega demo`.
    Demo,
    /// Regenerate the golden vectors in tests/vectors (or check them).
    Vectors {
        /// Fail if the files on disk differ from what the generator produces.
        #[arg(long)]
        check: bool,
    },
    /// Run every test suite CI runs, in order, failing fast.
    Test,
    /// Mutation testing of core's decision code with the pinned cargo-mutants (installed on
    /// first use): reconcile, proof, merkle, cert, frame and the ECS systems, or the files given. Not in CI: a full run
    /// takes hours on 2 cores. Ends with the score per file (docs/TESTING.md keeps it).
    Mutants {
        /// Only mutants in the files matching this glob (repeatable), e.g. core/src/event/frame.rs.
        #[arg(long = "file", value_name = "GLOB")]
        files: Vec<String>,
        /// Run only this shard of the mutants, K/N (K from 0), e.g. 0/4.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// List the mutants instead of testing them.
        #[arg(long, conflicts_with = "scores")]
        list: bool,
        /// Print the score per file from the runs on record (target/mutants/ledger.json) without running.
        #[arg(long)]
        scores: bool,
        /// More arguments for cargo-mutants, after `--`.
        #[arg(last = true, value_name = "ARGS")]
        extra: Vec<String>,
    },
    /// What this checkout and machine lack for the commands above (rust targets, wasm-bindgen,
    /// the blob against its sources, Node, npm, Chromium, nats-server, playwright-core, qemu-user and cross gcc), with the fix for each.
    /// Exit 0 when all is well (warnings allowed), 1 otherwise.
    Doctor {
        /// Print JSON ({"ok", "root", "checks": [{"part", "status", "detail", "fix"}]}) instead of the table.
        #[arg(long)]
        json: bool,
        /// The blob to check against the sources (default: wasm/dist/omega_wasm_bg.wasm).
        #[arg(long, value_name = "PATH")]
        blob: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Ctx::new().and_then(|ctx| match cli.cmd {
        Cmd::Setup => ctx.setup(true).and_then(|s| match s.missing().as_slice() {
            [] => Ok(ExitCode::SUCCESS),
            parts => bail!(
                "setup is incomplete: {} (see the warnings above for each fix)",
                parts.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
            ),
        }),
        Cmd::Blob => ctx
            .setup(false)
            .and_then(|s| ctx.blob(&s))
            .map(|_| ExitCode::SUCCESS),
        Cmd::Demo => ctx.demo(),
        Cmd::Vectors { check } => ctx.vectors(check).map(|_| ExitCode::SUCCESS),
        Cmd::Test => ctx.test(),
        Cmd::Mutants { files, shard, list, scores, extra } => ctx.mutants(&mutants::Options { files, shard, list, scores, extra }),
        Cmd::Doctor { json, blob } => doctor::run(&ctx.root, json, blob.as_deref()),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("\nerror: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn step(msg: &str) {
    println!("==> {msg}");
}

/// A missing prerequisite: what is missing and the command that fixes it.
fn missing(what: &str, fix: &str) -> anyhow::Error {
    anyhow!("missing: {what}\n  fix:     {fix}")
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` with inherited stdio; an error unless it exits 0.
fn run(cmd: &mut Command) -> Result<()> {
    println!("    $ {}", show(cmd));
    let status = cmd.status().map_err(|e| spawn_error(cmd, e))?;
    if !status.success() {
        bail!("`{}` failed ({status})", show(cmd));
    }
    Ok(())
}

/// Runs `cmd` and returns its stdout (stderr inherited); an error unless it exits 0.
fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| spawn_error(cmd, e))?;
    if !out.status.success() {
        bail!("`{}` failed ({})", show(cmd), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn spawn_error(cmd: &Command, e: std::io::Error) -> anyhow::Error {
    anyhow!(
        "could not run `{}`: {e}",
        cmd.get_program().to_string_lossy()
    )
}

/// Is `program` runnable at all (`program --version` exits 0)?
fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn home() -> Result<PathBuf> {
    env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| anyhow!("$HOME is not set"))
}

/// A named test suite.
type Suite<'a> = (&'static str, Box<dyn Fn() -> Result<()> + 'a>);

/// Is this a CI run? `.ci/run` exports `CI=true`, as CI services do.
fn in_ci() -> bool {
    env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A suite (or part of one) that cannot run on this machine because a tool is
/// missing: `cargo xtask test` reports it as SKIP locally, and fails in CI.
#[derive(Debug)]
struct Unavailable(String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unavailable {}

/// Turns what a setup step could not provide into [`Unavailable`] for the suites that need it.
fn needs<T: Clone>(what: &Result<T, String>) -> Result<T> {
    what.clone().map_err(|e| anyhow::Error::new(Unavailable(e)))
}

/// What `setup` found, for the later steps.
#[derive(Debug)]
struct Setup {
    wasm_bindgen: PathBuf,
    /// The bare no_std target, or why it could not be installed.
    bare_target: Result<(), String>,
    /// Node and npm with the packages of tests/js (full setup only), or what is missing.
    node: Result<(), String>,
    /// Chromium (full setup only), or what is missing.
    chromium: Result<(), String>,
    /// The nats-server the cluster tests launch (full setup only), or what is missing.
    nats_server: Result<PathBuf, String>,
    /// Go and Debian's golang.org/x/mod sources, for the independent tlog
    /// check of the tile store (full setup only), or what is missing.
    go: Result<PathBuf, String>,
}

impl Setup {
    /// Every part that is missing, as (part, what to do).
    fn missing(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (part, r) in [("rust target", &self.bare_target), ("node", &self.node), ("chromium", &self.chromium)] {
            if let Err(e) = r {
                out.push((part, e.as_str()));
            }
        }
        if let Err(e) = &self.nats_server {
            out.push(("nats-server", e.as_str()));
        }
        if let Err(e) = &self.go {
            out.push(("go", e.as_str()));
        }
        out
    }
}

#[derive(Debug)]
struct Ctx {
    root: PathBuf,
    cargo: OsString,
    target_dir: PathBuf,
}

impl Ctx {
    fn new() -> Result<Ctx> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask has no parent folder")?
            .to_path_buf();
        let target_dir = match env::var_os("CARGO_TARGET_DIR") {
            Some(t) if !t.is_empty() => root.join(t),
            _ => root.join("target"),
        };
        env::set_current_dir(&root).with_context(|| format!("cd {}", root.display()))?;
        Ok(Ctx {
            root,
            cargo: env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
            target_dir,
        })
    }

    fn cargo(&self) -> Command {
        let mut c = Command::new(&self.cargo);
        c.current_dir(&self.root);
        c
    }

    fn blob_path(&self) -> PathBuf {
        self.root.join(BLOB)
    }

    fn omega_bin(&self) -> PathBuf {
        self.target_dir.join("release").join("omega")
    }

    // ---- setup ----------------------------------------------------------

    /// `full`: also Node, npm, Chromium, nats-server and the npm packages of tests/js.
    fn setup(&self, full: bool) -> Result<Setup> {
        self.ensure_target(WASM_TARGET)?;
        // What a part of the suite needs and this machine lacks is kept, not
        // fatal here: `test` reports those suites as SKIP locally and FAIL in CI.
        let lacking = |e: anyhow::Error| {
            println!("warning: {e:#}");
            format!("{e:#}")
        };
        let bare_target = self.ensure_target(BARE_TARGET).map_err(lacking);
        let wasm_bindgen = self.ensure_wasm_bindgen()?;
        let not_set_up = || String::from("not checked (a partial setup)");
        let (mut node, mut chromium) = (Err(not_set_up()), Err(not_set_up()));
        let mut nats_server = Err(not_set_up());
        let mut go = Err(not_set_up());
        if full {
            go = ensure_go().map_err(lacking);
            node = ensure_node().and_then(|()| self.ensure_npm_packages()).map_err(lacking);
            chromium = ensure_chromium().map_err(lacking);
            nats_server = ensure_nats().map_err(lacking);
            cross::setup(self);
        }
        Ok(Setup {
            wasm_bindgen,
            bare_target,
            node,
            chromium,
            nats_server,
            go,
        })
    }

    fn ensure_target(&self, target: &str) -> Result<()> {
        step(&format!("checking the rust target {target}"));
        let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let sysroot = output(Command::new(&rustc).args(["--print", "sysroot"]))?;
        let lib = Path::new(sysroot.trim())
            .join("lib/rustlib")
            .join(target)
            .join("lib");
        if lib.is_dir() {
            return Ok(());
        }
        if version_of("rustup").is_none() {
            return Err(missing(
                &format!("the rust standard library for {target} (and rustup, to install it)"),
                &format!(
                    "install rustup from https://rustup.rs, then `rustup target add {target}`"
                ),
            ));
        }
        run(Command::new("rustup").args(["target", "add", target])).map_err(|e| {
            missing(
                &format!("the rust target {target} ({e})"),
                &format!("rustup target add {target}"),
            )
        })
    }

    /// The wasm-bindgen version pinned in the workspace Cargo.toml (`wasm-bindgen = "=x.y.z"`).
    fn pinned_wasm_bindgen(&self) -> Result<String> {
        let text =
            fs::read_to_string(self.root.join("Cargo.toml")).context("reading Cargo.toml")?;
        doctor::pinned_wasm_bindgen_in(&text)
            .context("Cargo.toml pins no `wasm-bindgen = \"=x.y.z\"` in [workspace.dependencies]")
    }

    fn ensure_wasm_bindgen(&self) -> Result<PathBuf> {
        let version = self.pinned_wasm_bindgen()?;
        step(&format!("checking the wasm-bindgen CLI {version}"));
        let cache = match env::var_os("XDG_CACHE_HOME") {
            Some(c) if Path::new(&c).is_absolute() => PathBuf::from(c),
            _ => home()?.join(".cache"),
        };
        let dir = cache.join("omega").join(format!("wasm-bindgen-{version}"));
        let bin = dir.join("bin").join("wasm-bindgen");
        let want = format!("wasm-bindgen {version}");
        let found = || version_of(&bin.to_string_lossy());
        if found().as_deref() != Some(want.as_str()) {
            step(&format!(
                "installing wasm-bindgen-cli {version} into {} (about 4 minutes on 2 cores; once per machine)",
                dir.display()
            ));
            // Without --locked: the locked set names a crate version this registry lacks.
            let mut c = self.cargo();
            c.args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &format!("={version}"),
                "--root",
            ])
            .arg(&dir);
            fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            run(c.current_dir(&dir)).map_err(|e| {
                missing(
                    &format!("the wasm-bindgen CLI {version} ({e})"),
                    &format!(
                        "cargo install wasm-bindgen-cli --version ={version} --root {}",
                        dir.display()
                    ),
                )
            })?;
        }
        match found() {
            Some(v) if v == want => {
                println!("    {v} at {}", bin.display());
                Ok(bin)
            }
            other => bail!(
                "{} reports {:?}, expected `{want}`; delete {} and run `cargo xtask setup` again",
                bin.display(),
                other.unwrap_or_else(|| "nothing".into()),
                dir.display()
            ),
        }
    }

    fn ensure_npm_packages(&self) -> Result<()> {
        step("checking the npm packages of tests/js");
        let dir = self.root.join("tests/js");
        let lock = dir.join("package-lock.json");
        let mut stamp_input =
            fs::read(dir.join("package.json")).context("reading tests/js/package.json")?;
        let has_lock = lock.is_file();
        if has_lock {
            stamp_input.extend(fs::read(&lock).context("reading tests/js/package-lock.json")?);
        }
        let stamp = sha256_hex(&stamp_input);
        let stamp_file = dir.join("node_modules/.omega-stamp");
        if fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str()) {
            println!("    up to date");
            return Ok(());
        }
        let verb = if has_lock { "ci" } else { "install" };
        run(Command::new("npm")
            .args([verb, "--no-audit", "--no-fund"])
            .current_dir(&dir))
        .map_err(|e| {
            missing(
                &format!("the npm packages of tests/js ({e})"),
                &format!("cd tests/js && npm {verb}"),
            )
        })?;
        // `npm install` may have just written the lock: stamp what is on disk now.
        let mut now = fs::read(dir.join("package.json"))?;
        if lock.is_file() {
            now.extend(fs::read(&lock)?);
        }
        fs::write(&stamp_file, sha256_hex(&now)).context("writing node_modules/.omega-stamp")?;
        Ok(())
    }

    // ---- blob -----------------------------------------------------------

    fn blob(&self, setup: &Setup) -> Result<String> {
        step("building the blob (omega-wasm, profile `blob`)");
        // Hashed before the build: if a source changes meanwhile, the stamp says stale.
        let sources = sources::sources_sha256(&self.root).context("hashing the blob's sources")?;
        let commit = sources::git_commit(&self.root);
        let cargo_home = match env::var_os("CARGO_HOME") {
            Some(h) if !h.is_empty() => PathBuf::from(h),
            _ => home()?.join(".cargo"),
        };
        // Panic locations embed source paths: map them to fixed names so the
        // blob's bytes do not depend on the machine or the checkout folder.
        let flags = [
            format!("--remap-path-prefix={}=/cargo", cargo_home.display()),
            format!("--remap-path-prefix={}=/omega", self.root.display()),
            "-Ctarget-feature=+simd128".to_string(),
        ]
        .join("\x1f");
        run(self
            .cargo()
            .args([
                "build",
                "-p",
                "omega-wasm",
                "--lib",
                "--target",
                WASM_TARGET,
                "--profile",
                "blob",
            ])
            .env("CARGO_ENCODED_RUSTFLAGS", flags))?;
        let raw = self
            .target_dir
            .join(WASM_TARGET)
            .join("blob/omega_wasm.wasm");
        if !raw.is_file() {
            bail!("cargo built no {}", raw.display());
        }
        step("running wasm-bindgen (--target web) into wasm/dist");
        let dist = self.root.join("wasm/dist");
        if dist.exists() {
            fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
        }
        run(Command::new(&setup.wasm_bindgen)
            .args(["--target", "web", "--out-dir"])
            .arg(&dist)
            .args(["--out-name", "omega_wasm"])
            .arg(&raw))?;
        // OmegaError and the "call init() first" error (xtask/src/glue.rs)
        let glue_path = dist.join("omega_wasm.js");
        let glue = fs::read_to_string(&glue_path).with_context(|| format!("reading {}", glue_path.display()))?;
        fs::write(&glue_path, glue::patch(&glue)?).with_context(|| format!("writing {}", glue_path.display()))?;
        // the npm package ships the licences; the root holds the one copy in git
        for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
            fs::copy(self.root.join(licence), self.root.join("wasm").join(licence))
                .with_context(|| format!("copying {licence} into wasm/"))?;
        }
        let bytes = fs::read(self.blob_path()).with_context(|| format!("reading {BLOB}"))?;
        let sha = sha256_hex(&bytes);
        let gz = Command::new("gzip")
            .args(["-9", "-n", "-c"])
            .arg(self.blob_path())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| format!(", {} bytes gzipped", o.stdout.len()))
            .unwrap_or_default();
        println!(
            "    blob: {BLOB}\n    size: {} bytes{gz}\n    sha256: {sha}",
            bytes.len()
        );
        // The stamp: `cargo xtask doctor` compares it with the sources, `omega doctor`
        // with the blob and its own version.
        let stamp = format!("{BLOB}{}", omega_report::STAMP_SUFFIX);
        fs::write(self.root.join(&stamp), sources::stamp_text(&sources, &sha, &commit))
            .with_context(|| format!("writing {stamp}"))?;
        println!("    sources sha256: {sources}, version {}, commit {commit} (in {stamp})", sources::VERSION);
        Ok(sha)
    }

    fn build_host(&self) -> Result<()> {
        step("building the host (omega-host, release)");
        run(self
            .cargo()
            .args(["build", "--release", "-p", "omega-host"]))
    }

    // ---- commands -------------------------------------------------------

    fn demo(&self) -> Result<ExitCode> {
        let setup = self.setup(false)?;
        self.blob(&setup)?;
        self.build_host()?;
        step("running omega demo");
        let mut c = Command::new(self.omega_bin());
        c.arg("demo")
            .arg("--blob")
            .arg(self.blob_path())
            .current_dir(&self.root);
        println!("    $ {}", show(&c));
        let status = c.status().map_err(|e| spawn_error(&c, e))?;
        Ok(match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(n) => ExitCode::from(u8::try_from(n).unwrap_or(1)),
            None => {
                eprintln!("omega demo ended by a signal ({status})");
                ExitCode::FAILURE
            }
        })
    }

    fn vectors(&self, check: bool) -> Result<()> {
        step(if check {
            "checking the golden vectors"
        } else {
            "regenerating the golden vectors"
        });
        let mut c = self.cargo();
        c.args([
            "run",
            "--release",
            "-p",
            "omega-tests",
            "--bin",
            "gen-vectors",
            "--",
        ]);
        if check {
            c.arg("--check");
        }
        run(&mut c)
    }

    fn test(&self) -> Result<ExitCode> {
        let setup = self.setup(true)?;
        let sha = self.blob(&setup)?;
        self.build_host()?;
        let browser = || needs(&setup.node).and_then(|()| needs(&setup.chromium));
        let no_std = |target: &str| {
            run(self.cargo().args(["build", "-p", "omega-core", "--no-default-features", "--target", target]))
        };
        let mut suites: Vec<Suite<'_>> = Vec::new();
        suites.push(("no_std build of omega-core for wasm32", Box::new(|| no_std(WASM_TARGET))));
        suites.push((
            "no_std build of omega-core for thumbv7em-none-eabi (a target with no std at all)",
            Box::new(|| needs(&setup.bare_target).and_then(|()| no_std(BARE_TARGET))),
        ));
        suites.push((
            "cargo test (unit, integration, property tests, benches in test mode; the README's quick start run as written, its synopsis against clap)",
            Box::new(|| {
                // the compiled-blob cache and the crash bundles of the tests live in target/, not in the user's home
                let cache = self.root.join("target/test-module-cache");
                let state = self.root.join("target/test-state");
                let mut cargo = self.cargo();
                // the cluster tests launch real NATS servers: fail, never skip, when there is none
                // (without one, they are reported as a skipped suite of their own below)
                if let Ok(nats) = &setup.nats_server {
                    cargo.env("OMEGA_NATS_SERVER", nats).env("OMEGA_REQUIRE_NATS", "1");
                }
                // the tile store read by Go's sumdb/tlog (host/tests/tiles_go.rs): fail, never skip
                if let Ok(go) = &setup.go {
                    cargo.env("OMEGA_GO", go).env("OMEGA_REQUIRE_GO", "1").env("GOCACHE", self.target_dir.join("go-cache"));
                }
                run(cargo.env("OMEGA_REQUIRE_BLOB", "1").env("OMEGA_CACHE_DIR", &cache).env("OMEGA_STATE_DIR", &state).args([
                    "test",
                    "--release",
                    "--workspace",
                    "--exclude",
                    "omega-wasm",
                    "--exclude",
                    "xtask",
                    "--all-targets",
                ]))
            }),
        ));
        suites.push((
            "the cluster tests of cargo test on a real nats-server (host/tests/cluster*.rs, in the suite above)",
            Box::new(|| needs(&setup.nats_server).map(|_| ())),
        ));
        suites.push((
            "the tile store checked by Go's golang.org/x/mod/sumdb/tlog (host/tests/tiles_go.rs, in the suite above)",
            Box::new(|| needs(&setup.go).map(|_| ())),
        ));
        suites.push((
            "cargo test of the blob's crate (natively) and of xtask itself",
            Box::new(|| run(self.cargo().args(["test", "--release", "-p", "omega-wasm", "-p", "xtask"]))),
        ));
        suites.push((
            "golden vectors up to date (gen-vectors --check)",
            Box::new(|| self.vectors(true)),
        ));
        // the same check built for aarch64 and big-endian s390x, run under qemu-user (xtask/src/cross.rs)
        for arch in cross::ARCHES {
            suites.push((
                arch.suite,
                Box::new(move || {
                    let tools = needs(&cross::ensure(self, arch).map_err(|e| format!("{e:#}")))?;
                    cross::check(self, &tools)
                }),
            ));
        }
        suites.push((
            "crosscheck: native vs wasmtime on every golden vector",
            Box::new(|| self.crosscheck(&sha)),
        ));
        suites.push((
            "Node: the npm package on every golden vector, the certify API, independent checks (plain-JS RFC 6962, node:crypto signed notes), every numeric argument refused with its code",
            Box::new(|| needs(&setup.node).and_then(|()| self.node_test(&["manifest.test.mjs", "node.test.mjs", "reconciler.test.mjs", "independent.test.mjs", "certify.test.mjs", "log.test.mjs", "ecs.test.mjs", "arguments.test.mjs", "types.test.mjs", "tiles.test.mjs"], &sha))),
        ));
        suites.push((
            "Chromium: the blob in a headless browser on every golden vector, and the tile client on a 1,000,000-entry log over HTTP",
            Box::new(|| browser().and_then(|()| self.node_test(&["browser.test.mjs", "tiles-browser.test.mjs"], &sha))),
        ));
        suites.push((
            "npm package: `npm pack` installed into a fresh project: publint and attw, the READMEs' examples under tsc --strict, in Node 18 and 20, and bundled by esbuild, Vite and webpack in Chromium",
            Box::new(|| browser().and_then(|()| self.node_test(&["pack.test.mjs"], &sha))),
        ));
        suites.push((
            "Web: the edge-node page (web/) in Chromium, every view, screenshots in target/screenshots; a tab co-signing with `omega node`s over NATS WebSocket",
            Box::new(|| {
                browser()?;
                let nats = needs(&setup.nats_server)?;
                self.node_test_with(&["web.test.mjs", "cluster.test.mjs"], &sha, Some(&nats))
            }),
        ));
        let ci = in_ci();
        let mut results: Vec<(&str, Outcome)> = Vec::new();
        for (i, (name, suite)) in suites.iter().enumerate() {
            step(&format!("suite: {name}"));
            match suite() {
                Ok(()) => results.push((name, Outcome::Pass)),
                // a missing tool: SKIP here, never PASS; in CI a skipped suite is a failure
                Err(e) if !ci && e.downcast_ref::<Unavailable>().is_some() => {
                    println!("    SKIP: {e:#}");
                    results.push((name, Outcome::Skip(format!("{e:#}"))));
                }
                Err(e) => {
                    eprintln!("\nerror in suite `{name}`: {e:#}");
                    if e.downcast_ref::<Unavailable>().is_some() {
                        eprintln!("(CI is set: a suite that cannot run fails instead of being skipped)");
                    }
                    results.push((name, Outcome::Fail));
                    results.extend(suites.iter().skip(i + 1).map(|s| (s.0, Outcome::NotRun)));
                    print!("{}", summary(&results));
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        print!("{}", summary(&results));
        println!("blob sha256: {sha}");
        Ok(ExitCode::SUCCESS)
    }

    fn crosscheck(&self, sha: &str) -> Result<()> {
        let mut c = Command::new(self.omega_bin());
        c.arg("crosscheck")
            .arg("--blob")
            .arg(self.blob_path())
            .current_dir(&self.root);
        let out = output(&mut c).map_err(|e| anyhow!("{e}\n(its output is above)"))?;
        print!("{out}");
        if !out.contains(sha) {
            bail!("omega crosscheck did not report loading the blob with sha256 {sha}");
        }
        Ok(())
    }

    fn node_test(&self, files: &[&str], sha: &str) -> Result<()> {
        self.node_test_with(files, sha, None)
    }

    /// `node --test` on tests/js files, with the blob's sha256, the `omega` binary
    /// `build_host` made and (for the cluster tests) the nats-server to launch.
    fn node_test_with(&self, files: &[&str], sha: &str, nats_server: Option<&Path>) -> Result<()> {
        let mut c = Command::new("node");
        c.arg("--test")
            .args(files.iter().map(|f| format!("tests/js/{f}")))
            .env("OMEGA_BLOB_SHA256", sha)
            .env("OMEGA_BIN", self.omega_bin())
            .current_dir(&self.root);
        if let Some(n) = nats_server {
            c.env("OMEGA_NATS_SERVER", n);
        }
        run(&mut c)
    }
}

/// How one suite ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Pass,
    /// It could not run here (a missing tool, named); only ever outside CI.
    Skip(String),
    Fail,
    /// Not run: an earlier suite failed.
    NotRun,
}

/// The summary `cargo xtask test` ends with: one line per suite, in order.
fn summary(results: &[(&str, Outcome)]) -> String {
    let mut out = String::from("\n==> summary\n");
    for (name, o) in results {
        let line = match o {
            Outcome::Pass => format!("    PASS  {name}\n"),
            Outcome::Skip(why) => format!("    SKIP  {name}\n          cannot run here: {}\n", why.trim_end().replace('\n', "\n          ")),
            Outcome::Fail => format!("    FAIL  {name}\n"),
            Outcome::NotRun => format!("    SKIP  {name} (not run: an earlier suite failed)\n"),
        };
        out.push_str(&line);
    }
    let skipped = results.iter().filter(|(_, o)| matches!(o, Outcome::Skip(_))).count();
    if skipped > 0 {
        out.push_str(&format!(
            "    {skipped} suite(s) could not run on this machine: this is not a full run (in CI, with CI=true, they fail instead)\n"
        ));
    }
    out
}

fn ensure_node() -> Result<()> {
    step("checking node and npm");
    let fix = "apt-get install -y nodejs npm  (Node 18 or newer)";
    let node = version_of("node").ok_or_else(|| missing("node", fix))?;
    version_of("npm").ok_or_else(|| missing("npm", fix))?;
    let major = node_major(&node);
    if major < 18 {
        return Err(missing(&format!("Node 18 or newer (found {node})"), fix));
    }
    println!("    node {node}");
    Ok(())
}

fn ensure_chromium() -> Result<()> {
    step("checking chromium");
    let path = Path::new(CHROMIUM);
    if !path.is_file() {
        apt_install("chromium", path, "sudo apt-get update && sudo apt-get install -y chromium", "about a minute")?;
    }
    Ok(())
}

/// `$OMEGA_NATS_SERVER`, else Debian's nats-server (installed with apt-get
/// when missing and we are root): the server the cluster tests launch.
fn ensure_nats() -> Result<PathBuf> {
    step("checking nats-server");
    if let Some(p) = env::var_os("OMEGA_NATS_SERVER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            return Err(missing(
                &format!("OMEGA_NATS_SERVER={}: no such file", p.display()),
                &format!("point OMEGA_NATS_SERVER at a nats-server binary, or unset it to use {NATS_SERVER}"),
            ));
        }
        return Ok(p);
    }
    let path = PathBuf::from(NATS_SERVER);
    if !path.is_file() {
        let fix = "sudo apt-get update && sudo apt-get install -y nats-server  (or set OMEGA_NATS_SERVER=/path/to/nats-server)";
        apt_install("nats-server", &path, fix, "seconds")?;
    }
    if let Some(v) = version_of(&path.to_string_lossy()) {
        println!("    {v}");
    }
    Ok(path)
}

/// Debian's Go (`$OMEGA_GO` overrides it) with Debian's golang.org/x/mod
/// sources (installed with apt-get when missing and we are root): the
/// independent tlog implementation host/tests/tiles_go.rs runs.
fn ensure_go() -> Result<PathBuf> {
    step("checking go and golang.org/x/mod (golang-golang-x-mod-dev)");
    let go = env::var_os("OMEGA_GO").filter(|p| !p.is_empty()).map_or_else(|| PathBuf::from(GO), PathBuf::from);
    if !go.is_file() {
        let fix = "sudo apt-get update && sudo apt-get install -y golang-go golang-golang-x-mod-dev  (or set OMEGA_GO=/path/to/go)";
        apt_install("golang-go", &go, fix, "about a minute")?;
    }
    let tlog = Path::new(GO_TLOG);
    if !tlog.is_dir() {
        let fix = "sudo apt-get update && sudo apt-get install -y golang-golang-x-mod-dev";
        apt_install("golang-golang-x-mod-dev", &tlog.join("tlog.go"), fix, "seconds")?;
    }
    if let Some(v) = Command::new(&go).arg("version").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()) {
        println!("    {v}");
    }
    Ok(go)
}

/// Installs Debian's `package` with apt-get when we are root (updating the
/// package lists only when the install cannot find it), so that `binary`
/// exists; otherwise, or when that fails, an error naming `fix`.
fn apt_install(package: &str, binary: &Path, fix: &str, takes: &str) -> Result<()> {
    let uid = Command::new("id").arg("-u").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if uid.as_deref() != Some("0") {
        return Err(missing(&format!("{} (Debian's {package} package)", binary.display()), fix));
    }
    step(&format!("installing {package} with apt-get ({takes})"));
    let apt = |args: &[&str]| run(Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").stdin(Stdio::null()));
    apt(&["install", "-y", package])
        .or_else(|_| apt(&["update"]).and_then(|()| apt(&["install", "-y", package])))
        .map_err(|e| missing(&format!("{} ({e})", binary.display()), fix))?;
    if !binary.is_file() {
        return Err(missing(&binary.display().to_string(), fix));
    }
    Ok(())
}

/// The major version in `node --version`'s answer (`v20.11.1` -> 20; 0 when unreadable).
pub(crate) fn node_major(version: &str) -> u32 {
    version.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_skip_never_pass_for_a_suite_that_could_not_run() {
        let results = [
            ("a", Outcome::Pass),
            ("b", Outcome::Skip("missing: chromium\n  fix:     apt-get install chromium".into())),
            ("c", Outcome::Fail),
            ("d", Outcome::NotRun),
        ];
        let s = summary(&results);
        assert!(s.contains("    PASS  a\n"), "{s}");
        assert!(s.contains("    SKIP  b\n          cannot run here: missing: chromium\n            fix:     apt-get install chromium\n"), "{s}");
        assert!(!s.contains("PASS  b"), "{s}");
        assert!(s.contains("    FAIL  c\n"), "{s}");
        assert!(s.contains("    SKIP  d (not run: an earlier suite failed)"), "{s}");
        assert!(s.contains("1 suite(s) could not run on this machine"), "{s}");
        assert!(!summary(&results[..1]).contains("could not run"));
    }

    #[test]
    fn a_missing_tool_is_unavailable_and_nothing_else_is() {
        let e = needs::<()>(&Err("missing: nats-server".into())).unwrap_err();
        assert!(e.downcast_ref::<Unavailable>().is_some());
        assert_eq!(format!("{e:#}"), "missing: nats-server");
        assert!(needs(&Ok::<u8, String>(3)).is_ok_and(|v| v == 3));
        assert!(anyhow!("a test failed").downcast_ref::<Unavailable>().is_none());
    }
}
