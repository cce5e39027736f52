//! `cargo xtask mutants`: mutation testing of core's decision code with the
//! pinned cargo-mutants (installed once per machine into `~/.cache/omega`).
//!
//! What is mutated is [`DEFAULT_FILES`] (or `--file`), how each mutant is
//! built and tested is in `.cargo/mutants.toml`; the run
//! writes `target/mutants/mutants.out/` (cargo-mutants' own report) and this
//! command ends with a score per file, the table docs/TESTING.md keeps. Not in
//! CI: on 2 cores a full run takes hours (see docs/TESTING.md for shards).
use crate::{Ctx, home, missing, run, spawn_error, step};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The cargo-mutants release `cargo xtask mutants` installs and runs.
pub(crate) const CARGO_MUTANTS: &str = "27.1.0";

/// Core's decision code: what `cargo xtask mutants` mutates unless given `--file`.
pub(crate) const DEFAULT_FILES: [&str; 6] = [
    "core/src/reconcile/*.rs",
    "core/src/tree/proof.rs",
    "core/src/tree/merkle.rs",
    "core/src/certify/cert.rs",
    "core/src/event/frame.rs",
    "core/src/ecs/systems.rs",
];

/// What to run: [`DEFAULT_FILES`], or the files given, or one shard of them.
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub files: Vec<String>,
    pub shard: Option<String>,
    pub list: bool,
    pub extra: Vec<String>,
}

impl Ctx {
    fn ensure_cargo_mutants(&self) -> Result<PathBuf> {
        step(&format!("checking cargo-mutants {CARGO_MUTANTS}"));
        let cache = match std::env::var_os("XDG_CACHE_HOME") {
            Some(c) if Path::new(&c).is_absolute() => PathBuf::from(c),
            _ => home()?.join(".cache"),
        };
        let dir = cache.join("omega").join(format!("cargo-mutants-{CARGO_MUTANTS}"));
        let bin = dir.join("bin").join("cargo-mutants");
        let want = format!("cargo-mutants {CARGO_MUTANTS}");
        // run as cargo runs a subcommand: `cargo-mutants mutants --version`
        let found = || {
            let o = Command::new(&bin).args(["mutants", "--version"]).output().ok()?;
            o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        if found().as_deref() != Some(want.as_str()) {
            step(&format!("installing cargo-mutants {CARGO_MUTANTS} into {} (a few minutes; once per machine)", dir.display()));
            fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut c = self.cargo();
            c.args(["install", "cargo-mutants", "--locked", "--version", &format!("={CARGO_MUTANTS}"), "--root"]).arg(&dir);
            run(c.current_dir(&dir)).map_err(|e| {
                missing(
                    &format!("cargo-mutants {CARGO_MUTANTS} ({e})"),
                    &format!("cargo install cargo-mutants --locked --version ={CARGO_MUTANTS} --root {}", dir.display()),
                )
            })?;
        }
        match found() {
            Some(v) if v == want => Ok(bin),
            other => bail!(
                "{} reports {:?}, expected `{want}`; delete {} and run `cargo xtask mutants` again",
                bin.display(),
                other.unwrap_or_else(|| "nothing".into()),
                dir.display()
            ),
        }
    }

    pub(crate) fn mutants(&self, o: &Options) -> Result<ExitCode> {
        let bin = self.ensure_cargo_mutants()?;
        let out = self.target_dir.join("mutants");
        let mut c = Command::new(&bin);
        c.current_dir(&self.root).args(["mutants", "--package", "omega-core", "--output"]).arg(&out);
        let files: Vec<&str> = if o.files.is_empty() { DEFAULT_FILES.to_vec() } else { o.files.iter().map(String::as_str).collect() };
        for f in files {
            c.args(["--file", f]);
        }
        if let Some(s) = &o.shard {
            c.args(["--shard", s]);
        }
        if o.list {
            c.arg("--list");
        }
        c.args(&o.extra);
        step(if o.list { "listing the mutants" } else { "running cargo-mutants (the build and test settings are in .cargo/mutants.toml)" });
        println!("    $ {}", crate::show(&c));
        let status = c.status().map_err(|e| spawn_error(&c, e))?;
        if o.list {
            return Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        let table = score_table(&scores_in(&out.join("mutants.out"))?)?;
        step("score per file (caught / (caught + missed + timeout); unviable mutants do not compile and are not counted)");
        print!("{table}");
        println!("    the missed mutants: {}", out.join("mutants.out/missed.txt").display());
        // cargo-mutants' exit code: 0 all caught, 2 some missed, 3 some timed out, others: could not run
        Ok(match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(n) => ExitCode::from(u8::try_from(n).unwrap_or(1)),
            None => ExitCode::FAILURE,
        })
    }
}

/// Counts per file from cargo-mutants' `outcomes.json`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Score {
    pub caught: u32,
    pub missed: u32,
    pub timeout: u32,
    pub unviable: u32,
}

/// The per-file scores of a run: from `outcomes.json`, or, for a run that
/// was stopped before it wrote that, from the lists cargo-mutants appends to
/// as it goes (`caught.txt`, `missed.txt`, `timeout.txt`, `unviable.txt`).
pub(crate) fn scores_in(dir: &Path) -> Result<BTreeMap<String, Score>> {
    if let Ok(text) = fs::read_to_string(dir.join("outcomes.json")) {
        return scores(&text);
    }
    let mut by_file: BTreeMap<String, Score> = BTreeMap::new();
    let mut any = false;
    for (list, count) in [
        ("caught.txt", (|s: &mut Score| s.caught += 1) as fn(&mut Score)),
        ("missed.txt", |s| s.missed += 1),
        ("timeout.txt", |s| s.timeout += 1),
        ("unviable.txt", |s| s.unviable += 1),
    ] {
        let Ok(text) = fs::read_to_string(dir.join(list)) else { continue };
        any = true;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // `core/src/x.rs:12:5: replace ...`
            let file = line.split(':').next().unwrap_or_default().to_string();
            count(by_file.entry(file).or_default());
        }
    }
    if !any {
        bail!("no results in {}: cargo-mutants did not run", dir.display());
    }
    Ok(by_file)
}

/// The per-file scores in `outcomes.json` (the baseline run left out).
pub(crate) fn scores(outcomes_json: &str) -> Result<BTreeMap<String, Score>> {
    let v: serde_json::Value = serde_json::from_str(outcomes_json).context("outcomes.json is not JSON")?;
    let list = v["outcomes"].as_array().context("outcomes.json has no `outcomes` list")?;
    let mut by_file: BTreeMap<String, Score> = BTreeMap::new();
    for o in list {
        let Some(m) = o["scenario"].get("Mutant") else { continue };
        let file = m["file"].as_str().context("a mutant without a file")?.to_string();
        let s = by_file.entry(file).or_default();
        match o["summary"].as_str() {
            Some("CaughtMutant") => s.caught += 1,
            Some("MissedMutant") => s.missed += 1,
            Some("Timeout") => s.timeout += 1,
            Some("Unviable") => s.unviable += 1,
            other => bail!("an outcome this command does not know: {other:?}"),
        }
    }
    Ok(by_file)
}

/// A Markdown table of per-file scores, with a total row.
pub(crate) fn score_table(by_file: &BTreeMap<String, Score>) -> Result<String> {
    let mut out = String::from("| file | caught | missed | timeout | unviable | score |\n|---|---:|---:|---:|---:|---:|\n");
    let mut total = Score::default();
    let row = |name: &str, s: &Score| {
        let tested = s.caught + s.missed + s.timeout;
        let pct = if tested == 0 { "-".to_string() } else { format!("{}%", (u64::from(s.caught) * 100) / u64::from(tested)) };
        format!("| {name} | {} | {} | {} | {} | {pct} |\n", s.caught, s.missed, s.timeout, s.unviable)
    };
    for (file, s) in by_file {
        out.push_str(&row(&format!("`{file}`"), s));
        total.caught += s.caught;
        total.missed += s.missed;
        total.timeout += s.timeout;
        total.unviable += s.unviable;
    }
    out.push_str(&row("**all**", &total));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_each_outcome_per_file_and_leave_out_the_baseline() {
        let json = r#"{"outcomes": [
            {"scenario": "Baseline", "summary": "Success"},
            {"scenario": {"Mutant": {"file": "core/src/a.rs"}}, "summary": "CaughtMutant"},
            {"scenario": {"Mutant": {"file": "core/src/a.rs"}}, "summary": "MissedMutant"},
            {"scenario": {"Mutant": {"file": "core/src/a.rs"}}, "summary": "CaughtMutant"},
            {"scenario": {"Mutant": {"file": "core/src/b.rs"}}, "summary": "Unviable"},
            {"scenario": {"Mutant": {"file": "core/src/b.rs"}}, "summary": "Timeout"}
        ]}"#;
        let s = scores(json).unwrap();
        assert_eq!(s["core/src/a.rs"], Score { caught: 2, missed: 1, timeout: 0, unviable: 0 });
        assert_eq!(s["core/src/b.rs"], Score { caught: 0, missed: 0, timeout: 1, unviable: 1 });
        let t = score_table(&s).unwrap();
        assert!(t.contains("| `core/src/a.rs` | 2 | 1 | 0 | 0 | 66% |"), "{t}");
        assert!(t.contains("| `core/src/b.rs` | 0 | 0 | 1 | 1 | 0% |"), "{t}");
        assert!(t.contains("| **all** | 2 | 1 | 1 | 1 | 50% |"), "{t}");
        assert!(scores(r#"{"outcomes": [{"scenario": {"Mutant": {"file": "x"}}, "summary": "Weird"}]}"#).is_err());
        assert!(scores("not json").is_err());
    }

    #[test]
    fn a_stopped_run_is_scored_from_the_lists() {
        let dir = std::env::temp_dir().join(format!("omega-xtask-mutants-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert!(scores_in(&dir).is_err());
        fs::write(dir.join("caught.txt"), "core/src/a.rs:1:2: replace x\ncore/src/a.rs:3:4: replace y\n").unwrap();
        fs::write(dir.join("missed.txt"), "core/src/b.rs:5:6: replace z with w: in f\n").unwrap();
        let s = scores_in(&dir).unwrap();
        assert_eq!(s["core/src/a.rs"], Score { caught: 2, ..Score::default() });
        assert_eq!(s["core/src/b.rs"], Score { missed: 1, ..Score::default() });
        let _ = fs::remove_dir_all(&dir);
    }
}
