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
    /// Score from the runs on record without running anything.
    pub scores: bool,
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
        // the same selection for the run and for the list the scores are taken over
        let selection = |c: &mut Command| {
            c.current_dir(&self.root).args(["mutants", "--package", "omega-core"]);
            let files: Vec<&str> = if o.files.is_empty() { DEFAULT_FILES.to_vec() } else { o.files.iter().map(String::as_str).collect() };
            for f in files {
                c.args(["--file", f]);
            }
            if let Some(s) = &o.shard {
                c.args(["--shard", s]);
            }
        };
        let mut status = None;
        if !o.scores {
            let mut c = Command::new(&bin);
            selection(&mut c);
            c.arg("--output").arg(&out);
            if o.list {
                c.arg("--list");
            }
            c.args(&o.extra);
            step(if o.list { "listing the mutants" } else { "running cargo-mutants (the build and test settings are in .cargo/mutants.toml)" });
            println!("    $ {}", crate::show(&c));
            let st = c.status().map_err(|e| spawn_error(&c, e))?;
            if o.list {
                return Ok(if st.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
            }
            status = Some(st);
        }
        // every outcome on record, the previous run's first, into the ledger
        let ledger_path = out.join("ledger.json");
        let mut ledger = read_ledger(&ledger_path)?;
        let mut recorded = 0;
        for dir in ["mutants.out.old", "mutants.out"] {
            if let Some(entries) = outcomes_in(&out.join(dir))? {
                recorded += entries.len();
                for e in entries {
                    ledger.insert(e.name.clone(), e);
                }
            }
        }
        if recorded == 0 && ledger.is_empty() {
            bail!("no results in {}: cargo-mutants has not run here yet (run `cargo xtask mutants`)", out.display());
        }
        fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        fs::write(&ledger_path, ledger_json(&ledger)).with_context(|| format!("writing {}", ledger_path.display()))?;
        // scored over the mutants the code has now
        step("listing the mutants the code has now, to score them");
        let mut c = Command::new(&bin);
        selection(&mut c);
        c.args(["--list", "--json"]);
        let listed = c.output().map_err(|e| spawn_error(&c, e))?;
        if !listed.status.success() {
            bail!("{} failed: {}", crate::show(&c), String::from_utf8_lossy(&listed.stderr).trim());
        }
        let current = current_mutants(&String::from_utf8_lossy(&listed.stdout))?;
        let by_file = scores(&current, &ledger);
        step("score per file: (caught + timeout) / (caught + timeout + missed); a timeout is a hang, which fails the suite; unviable mutants do not compile and are not counted");
        print!("{}", score_table(&by_file));
        println!("    every mutant's latest outcome: {} (delete it to forget earlier runs)", ledger_path.display());
        println!("    the missed mutants of the last run: {}", out.join("mutants.out/missed.txt").display());
        // cargo-mutants' exit code: 0 all caught, 2 some missed, 3 some timed out, others: could not run
        Ok(match status.map(|s| s.code()) {
            None | Some(Some(0)) => ExitCode::SUCCESS,
            Some(Some(n)) => ExitCode::from(u8::try_from(n).unwrap_or(1)),
            Some(None) => ExitCode::FAILURE,
        })
    }
}

/// What became of one mutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Caught,
    Missed,
    Timeout,
    Unviable,
}

impl Outcome {
    const ALL: [(Outcome, &'static str); 4] =
        [(Outcome::Caught, "caught"), (Outcome::Missed, "missed"), (Outcome::Timeout, "timeout"), (Outcome::Unviable, "unviable")];

    fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(o, _)| *o == self).map_or("", |(_, s)| s)
    }

    fn parse(s: &str) -> Option<Outcome> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(o, _)| *o)
    }
}

/// One mutant's latest outcome, by its name (`file:line:col: description`,
/// the name cargo-mutants' lists and `--iterate` match on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub file: String,
    pub outcome: Outcome,
}

/// `target/mutants/ledger.json`: a list of `{"name", "file", "outcome"}`.
fn read_ledger(path: &Path) -> Result<BTreeMap<String, Entry>> {
    let Ok(text) = fs::read_to_string(path) else { return Ok(BTreeMap::new()) };
    parse_ledger(&text).with_context(|| format!("{} is not a ledger of this command; delete it", path.display()))
}

pub(crate) fn parse_ledger(text: &str) -> Result<BTreeMap<String, Entry>> {
    let v: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    let list = v.as_array().context("not a list")?;
    let mut out = BTreeMap::new();
    for e in list {
        let field = |k: &str| e[k].as_str().with_context(|| format!("an entry without `{k}`"));
        let outcome = Outcome::parse(field("outcome")?).context("an unknown outcome")?;
        let entry = Entry { name: field("name")?.to_string(), file: field("file")?.to_string(), outcome };
        out.insert(entry.name.clone(), entry);
    }
    Ok(out)
}

pub(crate) fn ledger_json(ledger: &BTreeMap<String, Entry>) -> String {
    let list: Vec<serde_json::Value> =
        ledger.values().map(|e| serde_json::json!({"name": e.name, "file": e.file, "outcome": e.outcome.as_str()})).collect();
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}

/// The outcomes of the run in `dir`: from `outcomes.json`, or, for a run
/// that was stopped before it wrote that, from the lists cargo-mutants
/// appends to as it goes (`caught.txt`, `missed.txt`, `timeout.txt`,
/// `unviable.txt`). `None` when `dir` holds neither.
pub(crate) fn outcomes_in(dir: &Path) -> Result<Option<Vec<Entry>>> {
    if let Ok(text) = fs::read_to_string(dir.join("outcomes.json")) {
        return outcomes(&text).map(Some).with_context(|| format!("reading {}", dir.join("outcomes.json").display()));
    }
    let mut out = Vec::new();
    let mut any = false;
    for (list, outcome) in [
        ("caught.txt", Outcome::Caught),
        ("missed.txt", Outcome::Missed),
        ("timeout.txt", Outcome::Timeout),
        ("unviable.txt", Outcome::Unviable),
    ] {
        let Ok(text) = fs::read_to_string(dir.join(list)) else { continue };
        any = true;
        for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // `core/src/x.rs:12:5: replace ...`
            let file = name.split(':').next().unwrap_or_default().to_string();
            out.push(Entry { name: name.to_string(), file, outcome });
        }
    }
    Ok(any.then_some(out))
}

/// The mutants in cargo-mutants' `outcomes.json` (the baseline left out).
pub(crate) fn outcomes(outcomes_json: &str) -> Result<Vec<Entry>> {
    let v: serde_json::Value = serde_json::from_str(outcomes_json).context("outcomes.json is not JSON")?;
    let list = v["outcomes"].as_array().context("outcomes.json has no `outcomes` list")?;
    let mut out = Vec::new();
    for o in list {
        let Some(m) = o["scenario"].get("Mutant") else { continue };
        let name = m["name"].as_str().context("a mutant without a name")?.to_string();
        let file = m["file"].as_str().context("a mutant without a file")?.to_string();
        let outcome = match o["summary"].as_str() {
            Some("CaughtMutant") => Outcome::Caught,
            Some("MissedMutant") => Outcome::Missed,
            Some("Timeout") => Outcome::Timeout,
            Some("Unviable") => Outcome::Unviable,
            other => bail!("an outcome this command does not know: {other:?}"),
        };
        out.push(Entry { name, file, outcome });
    }
    Ok(out)
}

/// (name, file) of each mutant in `cargo mutants --list --json`.
pub(crate) fn current_mutants(list_json: &str) -> Result<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(list_json).context("`cargo mutants --list --json` did not print JSON")?;
    let list = v.as_array().context("`cargo mutants --list --json` did not print a list")?;
    list.iter()
        .map(|m| {
            let name = m["name"].as_str().context("a listed mutant without a name")?;
            let file = m["file"].as_str().context("a listed mutant without a file")?;
            Ok((name.to_string(), file.to_string()))
        })
        .collect()
}

/// Counts per file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Score {
    pub caught: u32,
    pub missed: u32,
    pub timeout: u32,
    pub unviable: u32,
    /// Mutants the code has that no run on record has tested.
    pub untested: u32,
}

/// The score per file of the mutants the code has now, each by its latest outcome.
pub(crate) fn scores(current: &[(String, String)], ledger: &BTreeMap<String, Entry>) -> BTreeMap<String, Score> {
    let mut by_file: BTreeMap<String, Score> = BTreeMap::new();
    for (name, file) in current {
        let s = by_file.entry(file.clone()).or_default();
        match ledger.get(name).map(|e| e.outcome) {
            Some(Outcome::Caught) => s.caught += 1,
            Some(Outcome::Missed) => s.missed += 1,
            Some(Outcome::Timeout) => s.timeout += 1,
            Some(Outcome::Unviable) => s.unviable += 1,
            None => s.untested += 1,
        }
    }
    by_file
}

/// A Markdown table of per-file scores, with a total row.
pub(crate) fn score_table(by_file: &BTreeMap<String, Score>) -> String {
    let mut out = String::from("| file | caught | timeout | missed | unviable | untested | score |\n|---|---:|---:|---:|---:|---:|---:|\n");
    let mut total = Score::default();
    let row = |name: &str, s: &Score| {
        let detected = s.caught + s.timeout;
        let tested = detected + s.missed;
        let pct = if tested == 0 { "-".to_string() } else { format!("{}%", (u64::from(detected) * 100) / u64::from(tested)) };
        format!("| {name} | {} | {} | {} | {} | {} | {pct} |\n", s.caught, s.timeout, s.missed, s.unviable, s.untested)
    };
    for (file, s) in by_file {
        out.push_str(&row(&format!("`{file}`"), s));
        total.caught += s.caught;
        total.missed += s.missed;
        total.timeout += s.timeout;
        total.unviable += s.unviable;
        total.untested += s.untested;
    }
    out.push_str(&row("**all**", &total));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, outcome: Outcome) -> Entry {
        Entry { name: name.into(), file: name.split(':').next().unwrap().into(), outcome }
    }

    #[test]
    fn outcomes_are_read_by_name_and_the_baseline_left_out() {
        let json = r#"{"outcomes": [
            {"scenario": "Baseline", "summary": "Success"},
            {"scenario": {"Mutant": {"name": "core/src/a.rs:1:1: x", "file": "core/src/a.rs"}}, "summary": "CaughtMutant"},
            {"scenario": {"Mutant": {"name": "core/src/a.rs:2:1: x", "file": "core/src/a.rs"}}, "summary": "MissedMutant"},
            {"scenario": {"Mutant": {"name": "core/src/b.rs:1:1: x", "file": "core/src/b.rs"}}, "summary": "Unviable"},
            {"scenario": {"Mutant": {"name": "core/src/b.rs:2:1: x", "file": "core/src/b.rs"}}, "summary": "Timeout"}
        ]}"#;
        assert_eq!(
            outcomes(json).unwrap(),
            vec![
                entry("core/src/a.rs:1:1: x", Outcome::Caught),
                entry("core/src/a.rs:2:1: x", Outcome::Missed),
                entry("core/src/b.rs:1:1: x", Outcome::Unviable),
                entry("core/src/b.rs:2:1: x", Outcome::Timeout),
            ]
        );
        let weird = r#"{"outcomes": [{"scenario": {"Mutant": {"name": "n", "file": "x"}}, "summary": "Weird"}]}"#;
        assert!(outcomes(weird).is_err());
        assert!(outcomes(r#"{"outcomes": [{"scenario": {"Mutant": {"file": "x"}}, "summary": "CaughtMutant"}]}"#).is_err());
        assert!(outcomes("not json").is_err());
    }

    /// Each mutant the code has now, by its latest outcome; a timeout counts
    /// as detected; a mutant no run has tested is counted apart.
    #[test]
    fn scores_take_the_latest_outcome_of_each_current_mutant() {
        let mut ledger = BTreeMap::new();
        for e in [
            entry("core/src/a.rs:1:1: x", Outcome::Missed),
            entry("core/src/a.rs:2:1: x", Outcome::Caught),
            entry("core/src/a.rs:9:1: gone", Outcome::Missed),
            entry("core/src/b.rs:1:1: x", Outcome::Unviable),
            entry("core/src/b.rs:2:1: x", Outcome::Timeout),
        ] {
            ledger.insert(e.name.clone(), e);
        }
        // a later run caught the first
        let later = entry("core/src/a.rs:1:1: x", Outcome::Caught);
        ledger.insert(later.name.clone(), later);
        let current: Vec<(String, String)> = ["core/src/a.rs:1:1: x", "core/src/a.rs:2:1: x", "core/src/a.rs:3:1: new", "core/src/b.rs:1:1: x", "core/src/b.rs:2:1: x"]
            .iter()
            .map(|n| (n.to_string(), n.split(':').next().unwrap().to_string()))
            .collect();
        let s = scores(&current, &ledger);
        assert_eq!(s["core/src/a.rs"], Score { caught: 2, untested: 1, ..Score::default() });
        assert_eq!(s["core/src/b.rs"], Score { timeout: 1, unviable: 1, ..Score::default() });
        let t = score_table(&s);
        assert!(t.contains("| `core/src/a.rs` | 2 | 0 | 0 | 0 | 1 | 100% |"), "{t}");
        assert!(t.contains("| `core/src/b.rs` | 0 | 1 | 0 | 1 | 0 | 100% |"), "{t}");
        assert!(t.contains("| **all** | 2 | 1 | 0 | 1 | 1 | 100% |"), "{t}");
        let mut one_missed = ledger.clone();
        one_missed.insert("core/src/a.rs:2:1: x".into(), entry("core/src/a.rs:2:1: x", Outcome::Missed));
        assert!(score_table(&scores(&current, &one_missed)).contains("| **all** | 1 | 1 | 1 | 1 | 1 | 66% |"));
        // the ledger reads back what it wrote
        assert_eq!(parse_ledger(&ledger_json(&ledger)).unwrap(), ledger);
        assert!(parse_ledger(r#"[{"name": "n", "file": "f", "outcome": "eaten"}]"#).is_err());
        assert!(parse_ledger("{}").is_err());
    }

    #[test]
    fn a_stopped_run_is_read_from_the_lists() {
        let dir = std::env::temp_dir().join(format!("omega-xtask-mutants-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(outcomes_in(&dir).unwrap(), None);
        fs::write(dir.join("caught.txt"), "core/src/a.rs:1:2: replace x\ncore/src/a.rs:3:4: replace y\n").unwrap();
        fs::write(dir.join("missed.txt"), "core/src/b.rs:5:6: replace z with w in f\n").unwrap();
        assert_eq!(
            outcomes_in(&dir).unwrap().unwrap(),
            vec![
                entry("core/src/a.rs:1:2: replace x", Outcome::Caught),
                entry("core/src/a.rs:3:4: replace y", Outcome::Caught),
                entry("core/src/b.rs:5:6: replace z with w in f", Outcome::Missed),
            ]
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_current_mutants_are_read_from_the_list() {
        let json = r#"[{"name": "core/src/a.rs:1:1: x", "file": "core/src/a.rs", "diff": ""}]"#;
        assert_eq!(current_mutants(json).unwrap(), vec![("core/src/a.rs:1:1: x".to_string(), "core/src/a.rs".to_string())]);
        assert!(current_mutants("{}").is_err());
        assert!(current_mutants(r#"[{"file": "x"}]"#).is_err());
    }
}
