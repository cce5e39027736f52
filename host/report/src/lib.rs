//! What `omega doctor` (an installed CLI's check) and `cargo xtask doctor` (a
//! checkout's check) share, defined once: a report row ([`Check`]), its
//! [`Status`], the report as a table or JSON, and the stamp file `cargo xtask
//! blob` writes beside the blob ([`Stamp`]).
#![forbid(unsafe_code)]

/// How a part of the report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// It works.
    Ok,
    /// It works, with something worth knowing.
    Warn,
    /// It is not there.
    Missing,
    /// It is there but out of date.
    Stale,
    /// It is there and does not work.
    Fail,
}

impl Status {
    /// The word the report prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Missing => "missing",
            Status::Stale => "stale",
            Status::Fail => "fail",
        }
    }

    /// Does this status make the exit code 1?
    pub fn fails(self) -> bool {
        matches!(self, Status::Missing | Status::Stale | Status::Fail)
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What is checked.
    pub part: &'static str,
    /// How it stands.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What fixes it ("" when there is nothing to fix).
    pub fix: String,
}

impl Check {
    /// A row.
    pub fn new(part: &'static str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { part, status, detail: detail.into(), fix: fix.into() }
    }

    /// A row that is fine.
    pub fn ok(part: &'static str, detail: impl Into<String>) -> Check {
        Check::new(part, Status::Ok, detail, "")
    }
}

/// The detail column wraps at this many characters (a SHA-256 fits on one line).
pub const DETAIL_WIDTH: usize = 72;

/// Splits `text` at spaces into lines of at most `width` characters (a longer word keeps a line to itself).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
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
pub fn table(checks: &[Check]) -> String {
    let head = Check::new("part", Status::Ok, "detail", "fix");
    let rows: Vec<(&Check, &str, Vec<String>)> = std::iter::once((&head, "status"))
        .chain(checks.iter().map(|c| (c, c.status.as_str())))
        .map(|(c, status)| (c, status, wrap(&c.detail, DETAIL_WIDTH)))
        .collect();
    let w0 = rows.iter().map(|r| r.0.part.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let w2 = rows.iter().flat_map(|r| r.2.iter().map(|l| l.chars().count())).max().unwrap_or(0);
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

/// A JSON string literal of `s` (quotes, backslashes and control characters escaped).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The report as JSON: `{"ok", <head fields>, "checks": [{"part", "status", "detail", "fix"}]}`,
/// keys in this order; `head` is `(key, JSON value text)` pairs.
pub fn json(checks: &[Check], head: &[(&str, String)]) -> String {
    let ok = !checks.iter().any(|c| c.status.fails());
    let rows: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                "    {{\"part\": {}, \"status\": {}, \"detail\": {}, \"fix\": {}}}",
                json_string(c.part),
                json_string(c.status.as_str()),
                json_string(&c.detail),
                json_string(&c.fix),
            )
        })
        .collect();
    let head: String = head.iter().map(|(k, v)| format!("  {}: {v},\n", json_string(k))).collect();
    format!("{{\n  \"ok\": {ok},\n{head}  \"checks\": [\n{}\n  ]\n}}\n", rows.join(",\n"))
}

/// `" (1 warning)"`, `" (n warnings)"` or nothing.
pub fn warnings(checks: &[Check]) -> String {
    match checks.iter().filter(|c| c.status == Status::Warn).count() {
        0 => String::new(),
        1 => " (1 warning)".to_string(),
        n => format!(" ({n} warnings)"),
    }
}

/// Is `s` a SHA-256 in lowercase hex?
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The stamp beside the blob is the blob's path plus this suffix.
pub const STAMP_SUFFIX: &str = ".sources";

/// The stamp `cargo xtask blob` writes beside the blob. Its lines: the
/// SHA-256 of the sources the blob was built from, the blob's SHA-256,
/// `version X.Y.Z` (the workspace version) and `commit HASH` (the checkout's
/// `HEAD`, with `-dirty` when the sources differed from it; `unknown` without
/// git). Readers ignore lines they do not know; stamps from before the
/// version and commit lines still read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// SHA-256 of the blob's sources.
    pub sources: String,
    /// SHA-256 of the blob.
    pub blob: String,
    /// The version it was built as.
    pub version: Option<String>,
    /// The commit it was built from.
    pub commit: Option<String>,
}

impl Stamp {
    /// The stamp file of the blob at `blob`.
    pub fn path(blob: &std::path::Path) -> std::path::PathBuf {
        let mut p = blob.as_os_str().to_owned();
        p.push(STAMP_SUFFIX);
        p.into()
    }

    /// None unless the first two lines are SHA-256s (lowercase hex).
    pub fn parse(text: &str) -> Option<Stamp> {
        let mut lines = text.lines().map(str::trim);
        let sources = lines.next().filter(|l| is_sha256_hex(l))?.to_string();
        let blob = lines.next().filter(|l| is_sha256_hex(l))?.to_string();
        let (mut version, mut commit) = (None, None);
        for line in lines {
            match line.split_once(' ') {
                Some(("version", v)) => version = Some(v.trim().to_string()),
                Some(("commit", c)) => commit = Some(c.trim().to_string()),
                _ => {}
            }
        }
        Some(Stamp { sources, blob, version, commit })
    }

    /// The stamp's text.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n", self.sources, self.blob);
        if let Some(v) = &self.version {
            s.push_str(&format!("version {v}\n"));
        }
        if let Some(c) = &self.commit {
            s.push_str(&format!("commit {c}\n"));
        }
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_old_stamps_still_read() {
        let s = Stamp { sources: "a".repeat(64), blob: "b".repeat(64), version: Some("0.1.0".into()), commit: Some("c0ffee-dirty".into()) };
        assert_eq!(Stamp::parse(&s.to_text()), Some(s.clone()));
        let old = format!("{}\n{}\n", s.sources, s.blob);
        assert_eq!(Stamp::parse(&old), Some(Stamp { version: None, commit: None, ..s }));
        assert_eq!(Stamp::parse(&format!("{}\n", "a".repeat(64))), None);
        assert_eq!(Stamp::parse(&format!("{}\nnot a hash\n", "a".repeat(64))), None);
        assert_eq!(Stamp::parse(&format!("{}\n{}\n", "A".repeat(64), "b".repeat(64))), None, "uppercase hex is not a stamp");
        let future = format!("{}\n{}\nversion 1.2.3\ncommit abc\nfuture thing\n", "a".repeat(64), "b".repeat(64));
        assert_eq!(Stamp::parse(&future).and_then(|s| s.version), Some("1.2.3".into()), "unknown lines are ignored");
    }

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let lines = wrap("one two three four five six seven", 9);
        assert!(lines.iter().all(|l| l.chars().count() <= 9), "{lines:?}");
        assert_eq!(lines.join(" "), "one two three four five six seven");
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap(&"x".repeat(9), 5), vec!["x".repeat(9)], "a longer word keeps a line to itself");
    }

    #[test]
    fn json_escapes_and_keeps_key_order() {
        let checks = [Check::new("part", Status::Fail, "a \"quoted\"\nline", "fix\\it")];
        let j = json(&checks, &[("version", json_string("1"))]);
        assert_eq!(
            j,
            "{\n  \"ok\": false,\n  \"version\": \"1\",\n  \"checks\": [\n    {\"part\": \"part\", \"status\": \"fail\", \"detail\": \"a \\\"quoted\\\"\\nline\", \"fix\": \"fix\\\\it\"}\n  ]\n}\n"
        );
    }

    #[test]
    fn table_lines_up_columns() {
        let t = table(&[Check::ok("blob", "found"), Check::new("x", Status::Missing, "gone", "get it")]);
        assert_eq!(t, "part  status   detail  fix\nblob  ok       found\nx     missing  gone    get it\n");
    }
}
