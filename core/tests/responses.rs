//! The response types (`api::response`) are the bodies the ops print: every
//! golden vector's expected body, read as the type of its op and status and
//! printed again, gives the same bytes. A field renamed, reordered, added or
//! left out on either side fails here; so does a changed `null`/absent rule.
//!
//! Every body today is pretty JSON with a final newline (ECS run included:
//! op 19 prints one pretty object, its tick reports inside it), so every
//! body is compared byte for byte; none is only deserialised.
#![cfg(feature = "json")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // a test fails by panicking
use omega_core::api::abi;
use omega_core::api::Op;
use omega_core::api::response::{self, Body, TickReport, Validity};
use omega_core::api::vectors::Manifest;
use omega_core::api::ops::make_fields;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every case: name, op, status and the expected body's bytes.
fn cases() -> Vec<(String, Op, u8, Vec<u8>)> {
    let dir = vectors();
    let manifest = Manifest::parse(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest
        .cases
        .iter()
        .map(|c| (c.name.clone(), c.op, c.status, std::fs::read(dir.join(&c.expected)).unwrap()))
        .collect()
}

/// Reads `body` as its type and prints it again; the bytes, or why not.
fn round_trip(op: Op, status: u8, body: &[u8]) -> Result<Vec<u8>, String> {
    response::parse(op, status, body).map(|b| b.to_json()).map_err(|e| e.to_string())
}

#[test]
fn every_golden_vector_round_trips_byte_for_byte() {
    let cases = cases();
    assert!(cases.len() > 50, "only {} cases", cases.len());
    let mut bad = Vec::new();
    for (name, op, status, body) in &cases {
        match round_trip(*op, *status, body) {
            Ok(again) if &again == body => {}
            Ok(again) => {
                let (want, got) = (String::from_utf8_lossy(body), String::from_utf8_lossy(&again));
                let (line, (w, g)) = want.lines().zip(got.lines()).enumerate().find(|(_, (w, g))| w != g).unwrap_or((0, ("", "")));
                bad.push(format!("{name} ({op}, status {status}): printed again differs at line {}:\n  expected {w}\n  typed    {g}", line + 1));
            }
            Err(e) => bad.push(format!("{name} ({op}, status {status}): not its type: {e}")),
        }
    }
    assert!(bad.is_empty(), "{} of {} bodies do not match their types:\n{}", bad.len(), cases.len(), bad.join("\n"));
}

/// The body's top-level members (the lines of each, from its `  "key":` line),
/// between the first line `{` and the last `}`.
fn members(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines.first() == Some(&"{") && lines.last() == Some(&"}"), "not a pretty object:\n{body}");
    let mut keys = Vec::new();
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for l in &lines[1..lines.len() - 1] {
        if let Some(rest) = l.strip_prefix("  \"") {
            keys.push(rest.split('"').next().unwrap().to_string());
            blocks.push(Vec::new());
        }
        blocks.last_mut().unwrap().push((*l).to_string());
    }
    (keys, blocks)
}

/// A pretty object from member blocks, commas fixed.
fn object(blocks: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("{\n");
    for (i, b) in blocks.iter().enumerate() {
        for (j, l) in b.iter().enumerate() {
            let l = if j + 1 == b.len() { l.strip_suffix(',').unwrap_or(l) } else { l.as_str() };
            out.push_str(l);
            if j + 1 == b.len() && i + 1 < blocks.len() {
                out.push(',');
            }
            out.push('\n');
        }
    }
    out.push_str("}\n");
    out.into_bytes()
}

/// Fields a body may go without (printed only when there is something to say).
const OPTIONAL: [&str; 12] = ["index", "field", "chain", "verdict", "code", "reason", "after_damage", "reports", "snapshot", "world", "batches", "world_departure"];

/// The types are not merely lenient: on every vector, renaming any top-level
/// field is refused, leaving one out is refused unless it is one of the
/// optional fields, and swapping two neighbours reads but prints back in the
/// type's order, so the bytes differ.
#[test]
fn renamed_missing_and_reordered_fields_are_caught() {
    let mut optional_seen = BTreeSet::new();
    for (name, op, status, body) in &cases() {
        let text = String::from_utf8(body.clone()).unwrap();
        let (keys, blocks) = members(&text);
        assert_eq!(object(&blocks), *body, "{name}: the member split is exact");
        for (i, key) in keys.iter().enumerate() {
            let mut renamed = blocks.clone();
            renamed[i][0] = renamed[i][0].replacen(&format!("\"{key}\""), &format!("\"{key}_renamed\""), 1);
            assert!(round_trip(*op, *status, &object(&renamed)).is_err(), "{name}: `{key}` renamed is accepted");

            let mut missing = blocks.clone();
            missing.remove(i);
            match round_trip(*op, *status, &object(&missing)) {
                Err(_) => {}
                Ok(again) => {
                    assert!(OPTIONAL.contains(&key.as_str()), "{name}: the body without `{key}` is accepted");
                    assert_eq!(again, object(&missing), "{name}: without `{key}` it prints back as it was");
                    optional_seen.insert(key.clone());
                }
            }

            if i + 1 < keys.len() {
                let mut swapped = blocks.clone();
                swapped.swap(i, i + 1);
                let swapped = object(&swapped);
                if let Ok(again) = round_trip(*op, *status, &swapped) {
                    assert_ne!(again, swapped, "{name}: `{key}` and `{}` swapped prints back swapped", keys[i + 1]);
                    assert_eq!(again, *body, "{name}: swapped fields print back in order");
                }
            }
        }
    }
    // the vectors exercise the optional fields this test allows to be left out
    for k in ["index", "field", "chain", "verdict", "after_damage", "reports"] {
        assert!(optional_seen.contains(k), "no vector leaves out `{k}` cleanly: {optional_seen:?}");
    }
}

/// Bodies no vector holds, made by calling the ABI: op 0, an explanation
/// without a committee, a note checked (valid and tampered), ECS run modes,
/// two identical worlds.
#[test]
fn bodies_outside_the_vectors_round_trip() {
    let check = |op: Op, fields: &[&[u8]]| {
        let input = if op == Op::Version { Vec::new() } else { make_fields(fields) };
        let r = abi::call(op.code(), &input);
        let again = round_trip(op, r.status, &r.body).unwrap_or_else(|e| panic!("{op}: {e}\n{}", String::from_utf8_lossy(&r.body)));
        assert_eq!(again, r.body, "{op}");
        response::parse(op, r.status, &r.body).unwrap()
    };
    assert!(matches!(check(Op::Version, &[]), Body::Version(v) if v.version == omega_core::VERSION));

    let dir = vectors().join("certify");
    let cert = std::fs::read(dir.join("explain.cert.bin")).unwrap();
    assert!(matches!(check(Op::Explain, &[&cert, b""]), Body::Explanation(e) if e.verdict.is_none()));

    let Body::Note(note) = check(Op::Note, &[&cert]) else { panic!() };
    let committee: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("explain.committee.json")).unwrap()).unwrap();
    let keys: Vec<String> = committee["members"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let mut fields: Vec<&[u8]> = vec![note.note.as_bytes()];
    fields.extend(keys.iter().map(|k| k.as_bytes()));
    assert!(matches!(check(Op::NoteVerify, &fields), Body::NoteVerdict(v) if !v.verified_by.is_empty()));
    let tampered = note.note.replacen('\n', "\nx", 1);
    fields[0] = tampered.as_bytes();
    assert!(matches!(check(Op::NoteVerify, &fields), Body::NoteVerdict(v) if v.status == Validity::Invalid));

    let config = br#"{"seed": 3, "entities": 40, "nodes": 3, "edges_per_entity": 2}"#;
    let Body::EcsRun(run) = check(Op::EcsRun, &[config, b"5", b"", b"reports,snapshot"]) else { panic!() };
    assert_eq!(run.reports.as_ref().map(Vec::len), Some(5));
    let snap = omega_core::certify::note::b64_decode(run.snapshot.as_deref().unwrap()).unwrap();
    let Body::EcsRun(quiet) = check(Op::EcsRun, &[config, b"5", b"", b"prestep"]) else { panic!() };
    assert!(quiet.reports.is_none() && quiet.snapshot.is_none());
    assert!(matches!(check(Op::EcsDiff, &[&snap, &snap]), Body::EcsDiff(d) if d.same && d.first_difference.is_none()));
}

/// The declared-order tick report (what `omega ecs` prints per line, compact,
/// and the JS `World.step` returns) is `TickReport` too: on the op-19
/// vectors that give reports (one with a rejected command and alerts), the
/// world run again tick by tick gives, through `TickReport::from`, the
/// reports of the golden body, and each compact line reads back as the same
/// `TickReport` and prints the same line.
#[test]
fn compact_tick_reports_round_trip() {
    use omega_core::api::ops::{ecs_commands, ecs_start};
    use omega_core::api::response::{EcsRunReport, to_compact_json};
    use omega_core::api::vectors::Request;
    use omega_core::ecs::Run;
    let dir = vectors();
    let manifest = Manifest::parse(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let mut lines = Vec::new();
    let mut runs = 0;
    for c in manifest.cases.iter().filter(|c| c.op == Op::EcsRun && c.status == 0) {
        let Request::Fields(fields) = &c.request else { panic!("{}: op 19 takes fields", c.name) };
        let golden: EcsRunReport = serde_json::from_slice(&read(&c.expected)).unwrap();
        let Some(reports) = golden.reports else { continue };
        let field = |i: usize| fields.get(i).map(|f| read(f)).unwrap_or_default();
        assert!(field(4).is_empty(), "{}: an injected flip is not run here", c.name);
        let ticks: u64 = String::from_utf8(field(1)).unwrap().trim().parse().unwrap();
        let (cmds, history, _) = ecs_commands(&field(2)).unwrap();
        assert_eq!(history, golden.history, "{}", c.name);
        let mut run = Run::new(ecs_start(&field(0)).unwrap(), cmds, None);
        let mut i = 0;
        run.step_n(ticks, |r| {
            let typed = TickReport::from(r);
            assert_eq!(reports.get(i).map(|s| &s.0), Some(&typed), "{} tick {}", c.name, r.tick);
            lines.push(to_compact_json(&typed));
            i += 1;
        });
        assert_eq!(i, reports.len(), "{}", c.name);
        runs += 1;
    }
    assert!(runs >= 2, "{runs} op-19 vectors with reports");
    for line in &lines {
        let t: TickReport = serde_json::from_slice(line).unwrap();
        assert_eq!(to_compact_json(&t), *line);
    }
    let text = String::from_utf8(lines.concat()).unwrap();
    assert!(text.contains("\"rejected\":[{"), "no tick with a rejected command");
    assert!(text.contains("\"alerts\":[{"), "no tick with an alert");
}

/// `ReconcileResult::from` an outcome and `IngestReport::from` a scan print
/// the golden bytes: every reconcile (ops 1, 2) and ingest (op 13) vector.
#[test]
fn conversions_from_kernel_values_print_the_golden_bytes() {
    use omega_core::api::vectors::Request;
    use omega_core::api::response::{IngestReport, ReconcileResult};
    use omega_core::api::json;
    use omega_core::{Event, Limits};
    let dir = vectors();
    let manifest = Manifest::parse(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    let (mut reconciles, mut ingests) = (0, 0);
    for c in manifest.cases.iter().filter(|c| c.status != 2) {
        let want = read(&c.expected);
        match (&c.request, c.op) {
            (Request::Reconcile { input, prior }, Op::ReconcileJson | Op::ReconcileBinary) => {
                let prior = abi::parse_any_prior(&prior.as_deref().map(read).unwrap_or_default()).unwrap();
                let events = if c.op == Op::ReconcileJson {
                    json::parse_events(&read(input), &Limits::default()).unwrap()
                } else {
                    Event::decode_all(&read(input), &Limits::default()).unwrap()
                };
                let outcome = omega_core::reconcile(&prior, &events);
                assert_eq!(response::to_json(&ReconcileResult::from(&outcome)), want, "{}", c.name);
                reconciles += 1;
            }
            (Request::Fields(fields), Op::Ingest) => {
                let report = omega_core::event::frame::scan(&read(&fields[0]));
                assert_eq!(response::to_json(&IngestReport::from(&report)), want, "{}", c.name);
                ingests += 1;
            }
            _ => {}
        }
    }
    assert!(reconciles > 15 && ingests > 3, "{reconciles} reconcile and {ingests} ingest vectors");
}

/// Every op has a body the tests above read: in the vectors or made here.
#[test]
fn every_op_is_covered() {
    let mut ops: BTreeSet<u32> = cases().iter().map(|c| c.1.code()).collect();
    ops.extend([Op::Version.code(), Op::NoteVerify.code()]);
    for op in Op::ALL {
        assert!(ops.contains(&op.code()), "no body of {op} is checked");
    }
}
