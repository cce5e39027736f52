//! README.md as a newcomer reads it:
//!
//! - the Quick start's commands, extracted from the README and run exactly as
//!   written (by `sh`, in an empty folder, with this build's `omega` first on
//!   the PATH and nothing else of the checkout in reach), print what the
//!   README shows;
//! - the CLI synopsis names every command and flag `omega --help` has, and no
//!   other, with the defaults clap has.
//!
//! The Quick start runs the wasm engine on the blob built into `omega`: with
//! no blob built in, it is skipped unless OMEGA_REQUIRE_BLOB is set (as
//! `cargo xtask test` does).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// The first fenced block of `lang` after the heading `heading`.
fn block(text: &str, heading: &str, lang: &str) -> String {
    let at = text.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("README.md has no {heading:?}"));
    let rest = &text[at..];
    let open = format!("```{lang}\n");
    let start = rest.find(&open).unwrap_or_else(|| panic!("no ```{lang} block under {heading:?}")) + open.len();
    let len = rest[start..].find("```\n").unwrap();
    rest[start..start + len].to_string()
}

/// Does `line` match `pattern`, where each `…` in the pattern stands for any text?
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// Does `output` match `expected`, where a line that is only `…` stands for
/// any number of lines (none included)?
fn lines_match(expected: &[&str], output: &[&str]) -> bool {
    match expected.split_first() {
        None => output.is_empty(),
        Some((&"…", rest)) => (0..=output.len()).any(|skip| lines_match(rest, &output[skip..])),
        Some((p, rest)) => output.split_first().is_some_and(|(l, out)| line_matches(p, l) && lines_match(rest, out)),
    }
}

#[test]
fn the_matcher_matches_what_it_should_and_nothing_else() {
    assert!(line_matches("a…c", "abbbc") && line_matches("…", "") && line_matches("x+…", "x+key"));
    assert!(!line_matches("a…c", "abd") && !line_matches("ab…ba", "aba") && !line_matches("abc", "abcd"));
    assert!(lines_match(&["{", "…", "}"], &["{", "}"]) && lines_match(&["{", "…", "}"], &["{", "a", "b", "}"]));
    assert!(!lines_match(&["{", "…", "}"], &["{", "a"]) && !lines_match(&["a"], &["a", "b"]));
}

/// The Quick start's commands and the output shown after each.
fn quick_start() -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    for line in block(&readme(), "## Quick start", "console").lines() {
        match line.strip_prefix("$ ") {
            Some(cmd) => steps.push((cmd.to_string(), Vec::new())),
            None => steps.last_mut().expect("the block starts with a command").1.push(line.to_string()),
        }
    }
    steps
}

#[test]
fn the_quick_start_runs_as_written_and_prints_what_it_shows() {
    if common::blob().is_none() {
        return;
    }
    let steps = quick_start();
    let commands: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
    // what the issue asks of it: doctor, a sample, three keys, a committee,
    // reconcile, certify, cosign, verify, a second batch on the prior, the chain
    for want in ["omega doctor", "omega sample", "omega keygen", "omega committee", "omega reconcile", "omega certify", "omega cosign", "omega verify", "--prior r1.json", "--chain c1.cert", "--engine wasm"] {
        assert!(commands.iter().any(|c| c.contains(want)), "the quick start has no {want}");
    }
    assert_eq!(commands.iter().filter(|c| c.starts_with("omega keygen")).count(), 3);

    // An empty folder, a PATH with this omega first, no checkout in reach.
    let dir = common::tmp("readme-quick-start");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    common::install_copy(&bin.join("omega"));
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    for (cmd, expected) in &steps {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!("{cmd} 2>&1"))
            .current_dir(&work)
            .env("PATH", &path)
            .env("HOME", &dir)
            .env("OMEGA_STATE_DIR", dir.join("state"))
            .env("OMEGA_CACHE_DIR", dir.join("cache"))
            .env_remove("OMEGA_BLOB")
            .env_remove("OMEGA_VERBOSE")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(o.status.success(), "`{cmd}` failed ({}):\n{out}", o.status);
        let got: Vec<&str> = out.lines().collect();
        let want: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert!(lines_match(&want, &got), "`{cmd}` printed\n{out}\nbut README.md shows\n{}", want.join("\n"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A command's flags as `omega CMD -h` lists them: name -> (default, choices).
type Flags = BTreeMap<String, (Option<String>, Option<String>)>;

fn help(cmd: &[&str]) -> String {
    let o = Command::new(common::bin()).args(cmd).arg("-h").output().unwrap();
    assert!(o.status.success(), "omega {cmd:?} -h");
    String::from_utf8(o.stdout).unwrap()
}

fn flags_of(cmd: &[&str]) -> Flags {
    let mut flags = Flags::new();
    let mut current: Option<String> = None;
    for line in help(cmd).lines() {
        let trimmed = line.trim_start();
        // `-i, --input`: the short form aside
        let entry = match trimmed.as_bytes() {
            [b'-', c, b',', b' ', ..] if c.is_ascii_alphabetic() => &trimmed[4..],
            _ => trimmed,
        };
        if line.starts_with("  ") && entry.starts_with("--") {
            let name = entry[2..].split([' ', '\t']).next().unwrap().to_string();
            flags.insert(name.clone(), (None, None));
            current = Some(name);
        } else if !line.starts_with("   ") {
            current = None;
        }
        let Some(name) = &current else { continue };
        let f = flags.get_mut(name).unwrap();
        if let Some(d) = line.split("[default: ").nth(1) {
            f.0 = Some(d.split(']').next().unwrap().to_string());
        }
        if let Some(p) = line.split("[possible values: ").nth(1) {
            f.1 = Some(p.split(']').next().unwrap().replace(", ", "|"));
        }
    }
    flags.remove("help");
    flags.remove("version");
    flags
}

/// Subcommands a help text lists (`help` aside).
fn subcommands(cmd: &[&str]) -> Vec<String> {
    let text = help(cmd);
    let Some(at) = text.find("Commands:\n") else { return Vec::new() };
    text[at + 10..]
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect()
}

/// The synopsis: each `omega …` entry (with its continuation lines) by its
/// command words, and the groups (`ENGINE = …`).
fn synopsis() -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let text = block(&readme(), "## The CLI", "text");
    let (mut entries, mut groups) = (BTreeMap::new(), BTreeMap::new());
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("omega ") {
            let words: Vec<&str> = rest.split_whitespace().take_while(|w| w.starts_with(|c: char| c.is_ascii_lowercase()) && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')).collect();
            let key = words.join(" ");
            assert!(!entries.contains_key(&key), "the synopsis lists `omega {key}` twice");
            entries.insert(key.clone(), rest[key.len()..].to_string());
            last = Some(key);
        } else if let Some((name, def)) = line.split_once(" = ").filter(|(n, _)| n.trim().chars().all(|c| c.is_ascii_uppercase())) {
            groups.insert(name.trim().to_string(), def.to_string());
            last = None;
        } else if line.starts_with("   ") {
            let key = last.clone().expect("a continuation line follows an entry");
            entries.get_mut(&key).unwrap().push_str(line);
        } else {
            assert!(line.trim().is_empty(), "a synopsis line that is neither an entry nor a group: {line:?}");
            last = None;
        }
    }
    (entries, groups)
}

/// `--flag` tokens of a synopsis text, with what follows each (to its `]`,
/// `)`, `|` or next flag): the value as written.
fn synopsis_flags(text: &str, groups: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut expanded = text.to_string();
    for (name, def) in groups {
        expanded = expanded.replace(&format!("[{name}]"), def);
    }
    // groups may name groups (ENGINE names BLOB)
    for (name, def) in groups {
        expanded = expanded.replace(&format!("[{name}]"), def);
    }
    assert!(!groups.keys().any(|g| expanded.contains(&format!("[{g}]"))), "{expanded}");
    let mut out = BTreeMap::new();
    for (i, _) in expanded.match_indices("--") {
        let rest = &expanded[i + 2..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let after = rest[name.len()..].trim_start();
        let value = if after.starts_with("--") || after.starts_with('[') || after.starts_with('(') {
            String::new()
        } else {
            after.split([']', ')', ' ']).next().unwrap_or("").to_string()
        };
        out.insert(name, value);
    }
    out
}

#[test]
fn the_synopsis_is_the_cli_s_own_help() {
    let (entries, groups) = synopsis();
    for g in ["ENGINE", "BLOB", "AUTH"] {
        assert!(groups.contains_key(g), "the synopsis defines {g}");
    }
    // every command and subcommand clap has, and no other
    let mut commands: BTreeSet<String> = BTreeSet::new();
    for c in subcommands(&[]) {
        commands.insert(c.clone());
        for s in subcommands(&[&c]) {
            commands.insert(format!("{c} {s}"));
        }
    }
    let listed: BTreeSet<String> = entries.keys().cloned().collect();
    assert_eq!(listed, commands, "README.md's synopsis and `omega help` list different commands");

    let mut problems = Vec::new();
    for (cmd, text) in &entries {
        let words: Vec<&str> = cmd.split(' ').collect();
        let clap = flags_of(&words);
        let shown = synopsis_flags(text, &groups);
        let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (clap.keys().collect(), shown.keys().collect());
        for f in a.difference(&b) {
            problems.push(format!("omega {cmd}: --{f} is in its help but not in the synopsis"));
        }
        for f in b.difference(&a) {
            problems.push(format!("omega {cmd}: --{f} is in the synopsis but not in its help"));
        }
        for (f, (default, choices)) in &clap {
            let Some(value) = shown.get(f) else { continue };
            match (default, choices) {
                // a choice: the alternatives, the default first
                (d, Some(choices)) => {
                    let alternatives: BTreeSet<&str> = value.split('|').collect();
                    let all: BTreeSet<&str> = choices.split('|').collect();
                    if value.contains('|') && (!alternatives.is_subset(&all) || d.as_deref().is_some_and(|d| !value.starts_with(&format!("{d}|")))) {
                        problems.push(format!("omega {cmd}: --{f} {value}: the choices are {choices}, default {d:?} (first)"));
                    }
                }
                (Some(d), None) => {
                    if value.split_once('=').map(|(_, v)| v) != Some(d.as_str()) {
                        problems.push(format!("omega {cmd}: --{f} {value}: its default is {d} (show it as =VALUE)"));
                    }
                }
                (None, None) => {
                    if value.contains('=') && !value.starts_with('"') {
                        problems.push(format!("omega {cmd}: --{f} {value}: it has no default"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "README.md's synopsis disagrees with the CLI:\n{}", problems.join("\n"));
}

#[test]
fn the_synopsis_check_catches_drift() {
    let groups = BTreeMap::from([("G".to_string(), "[--x N=1]".to_string())]);
    let f = synopsis_flags("--input FILE [--format json|binary] [G] (--a A | --b)", &groups);
    assert_eq!(f.get("input").map(String::as_str), Some("FILE"));
    assert_eq!(f.get("format").map(String::as_str), Some("json|binary"));
    assert_eq!(f.get("x").map(String::as_str), Some("N=1"));
    assert_eq!(f.get("b").map(String::as_str), Some(""));
    assert!(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).is_file());
}
