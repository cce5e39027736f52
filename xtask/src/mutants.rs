//! `cargo xtask mutants`: mutation testing of core's decision code with the
//! pinned cargo-mutants (installed once per machine into `~/.cache/omega`).
//!
//! What is mutated and how it is tested is in `.cargo/mutants.toml`; the run
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

/// What to run: all of `.cargo/mutants.toml`'s files, or some of them, or one shard.
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
        for f in &o.files {
            c.args(["--file", f]);
        }
        if let Some(s) = &o.shard {
            c.args(["--shard", s]);
        }
        if o.list {
            c.arg("--list");
        }
        c.args(&o.extra);
        step(if o.list { "listing the mutants" } else { "running cargo-mutants on core's decision code (see .cargo/mutants.toml)" });
        println!("    $ {}", crate::show(&c));
        let status = c.status().map_err(|e| spawn_error(&c, e))?;
        if o.list {
            return Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
        }
        let outcomes = out.join("mutants.out/outcomes.json");
        let text = fs::read_to_string(&outcomes).with_context(|| format!("cargo-mutants wrote no {}", outcomes.display()))?;
        let table = score_table(&text)?;
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

/// A Markdown table of [`scores`], with a total row.
pub(crate) fn score_table(outcomes_json: &str) -> Result<String> {
    let by_file = scores(outcomes_json)?;
    let mut out = String::from("| file | caught | missed | timeout | unviable | score |\n|---|---:|---:|---:|---:|---:|\n");
    let mut total = Score::default();
    let row = |name: &str, s: &Score| {
        let tested = s.caught + s.missed + s.timeout;
        let pct = if tested == 0 { "-".to_string() } else { format!("{}%", (u64::from(s.caught) * 100) / u64::from(tested)) };
        format!("| {name} | {} | {} | {} | {} | {pct} |\n", s.caught, s.missed, s.timeout, s.unviable)
    };
    for (file, s) in &by_file {
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
        let t = score_table(json).unwrap();
        assert!(t.contains("| `core/src/a.rs` | 2 | 1 | 0 | 0 | 66% |"), "{t}");
        assert!(t.contains("| `core/src/b.rs` | 0 | 0 | 1 | 1 | 0% |"), "{t}");
        assert!(t.contains("| **all** | 2 | 1 | 1 | 1 | 50% |"), "{t}");
        assert!(scores(r#"{"outcomes": [{"scenario": {"Mutant": {"file": "x"}}, "summary": "Weird"}]}"#).is_err());
        assert!(scores("not json").is_err());
    }
}
