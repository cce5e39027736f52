//! Every stable code is named once in `omega_core::api::code`, and
//! docs/FORMATS.md documents exactly those codes: a code added, dropped or
//! renumbered on one side only fails here.
use omega_core::api::code;
use std::collections::BTreeSet;

/// The codes in the first column of FORMATS.md's tables (`| 3001 | ...`).
fn documented() -> BTreeSet<u16> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMATS.md")).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix('|'))
        .filter_map(|l| l.split('|').next())
        .filter_map(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c >= 1000)
        .collect()
}

#[test]
fn formats_md_documents_exactly_the_named_codes() {
    let named: BTreeSet<u16> = code::ALL.iter().map(|(c, _)| *c).collect();
    let docs = documented();
    let undocumented: Vec<_> = named.difference(&docs).collect();
    let unnamed: Vec<_> = docs.difference(&named).collect();
    assert!(undocumented.is_empty(), "codes named in core/src/api/code.rs but not in docs/FORMATS.md: {undocumented:?}");
    assert!(unnamed.is_empty(), "codes in docs/FORMATS.md with no constant in core/src/api/code.rs: {unnamed:?}");
}

#[test]
fn names_are_unique() {
    let names: BTreeSet<&str> = code::ALL.iter().map(|(_, n)| *n).collect();
    assert_eq!(names.len(), code::ALL.len());
}

/// The rows of FORMATS.md's op table (`| 3 | keygen | ...`): number and name.
fn documented_ops() -> Vec<(u32, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMATS.md")).unwrap();
    let start = text.find("| op | name | fields |").expect("FORMATS.md has the op table");
    text[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols[1].parse().unwrap(), cols[2].to_string())
        })
        .collect()
}

#[test]
fn formats_md_lists_every_op_by_number_and_name() {
    let want: Vec<(u32, String)> = omega_core::api::Op::ALL.iter().map(|op| (op.code(), op.name().to_string())).collect();
    assert_eq!(documented_ops(), want, "docs/FORMATS.md's op table and omega_core::api::Op disagree");
}

/// The top-level keys of each `{"key", ...}` list in a table cell, in order,
/// with `?` marking the optional ones (values such as `"valid"` or nested
/// objects are skipped).
fn key_lists(cell: &str) -> Vec<Vec<(String, bool)>> {
    let mut lists = Vec::new();
    for span in cell.split('`').skip(1).step_by(2).filter(|s| s.starts_with('{')) {
        let b = span.as_bytes();
        let (mut depth, mut i, mut keys, mut prev) = (0, 0, Vec::new(), b'{');
        while i < b.len() {
            match b[i] {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                b'"' => {
                    let end = i + 1 + span[i + 1..].find('"').unwrap();
                    if depth == 1 && (prev == b'{' || prev == b',') {
                        keys.push((span[i + 1..end].to_string(), b.get(end + 1) == Some(&b'?')));
                    }
                    i = end;
                }
                _ => {}
            }
            if !b[i].is_ascii_whitespace() {
                prev = b[i];
            }
            i += 1;
        }
        lists.push(keys);
    }
    lists
}

/// Top-level keys of a pretty-printed body, in order.
fn body_keys(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("  \"").filter(|_| !l.starts_with("   ")))
        .map(|l| l[..l.find('"').unwrap()].to_string())
        .collect()
}

/// Every key list in FORMATS.md's op table is the order the op prints: each
/// golden vector's body (errors aside) is one of its op's documented lists,
/// less optional keys it leaves out.
#[test]
fn the_op_table_s_key_lists_are_the_printed_order() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMATS.md")).unwrap();
    let start = text.find("| op | name | fields |").unwrap();
    let mut documented = std::collections::BTreeMap::new();
    for l in text[start..].lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cols: Vec<&str> = l.split('|').map(str::trim).collect();
        let lists = key_lists(cols[4..].join("|").as_str());
        if !lists.is_empty() {
            documented.insert(cols[1].parse::<u64>().unwrap(), lists);
        }
    }
    assert!(documented.len() >= 10, "{documented:?}");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(format!("{dir}manifest.json")).unwrap()).unwrap();
    let mut checked = BTreeSet::new();
    for case in manifest["cases"].as_array().unwrap() {
        let Some(lists) = case["op"].as_u64().and_then(|op| documented.get(&op)) else { continue };
        let Ok(body) = std::fs::read_to_string(format!("{dir}{}", case["expected"].as_str().unwrap())) else { continue };
        if body.starts_with("{\n  \"status\": \"error\"") {
            continue;
        }
        let got = body_keys(&body);
        let fits = lists.iter().any(|list| {
            let want: Vec<&String> = list.iter().filter(|(k, optional)| !optional || got.contains(k)).map(|(k, _)| k).collect();
            want == got.iter().collect::<Vec<_>>()
        });
        assert!(fits, "op {} ({}) prints {got:?}; FORMATS.md documents {lists:?}", case["op"], case["name"]);
        checked.insert(case["op"].as_u64().unwrap());
    }
    assert!(checked.len() >= 8, "only ops {checked:?} have vectors to check");
}
