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
