//! Generates the golden vectors under `tests/vectors/` from the native core.
//!
//! `cargo run -p omega-tests --bin gen-vectors` writes them;
//! `... -- --check` regenerates them in memory and fails on any difference
//! from the files (CI runs this), so the vectors can never drift from the code
//! silently. Every engine (native, wasmtime, Node, Chromium) must reproduce the
//! expected files byte for byte.
use omega_core::abi;
use omega_core::sample::{self, Shape};
use omega_core::{Event, EventId, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

struct Case {
    name: &'static str,
    about: &'static str,
    op: u32,
    input: Vec<u8>,
    input_ext: &'static str,
    prior: Option<Vec<u8>>,
}

fn ev(lamport: u64, node: u32, stream: u16, seq: u64, deps: &[EventId], payload: &[u8]) -> Event {
    Event::new(lamport, node, stream, EventId::derived(node, stream, seq), seq, deps.to_vec(), payload.to_vec())
}

fn id(node: u32, stream: u16, seq: u64) -> EventId {
    EventId::derived(node, stream, seq)
}

fn js(events: &[Event]) -> Vec<u8> {
    json::events_to_json(events)
}

fn ok_body(input: &[u8], prior: &[u8]) -> Vec<u8> {
    let r = abi::call(abi::OP_RECONCILE_JSON, &abi::make_request(input, prior));
    assert_eq!(r.status, abi::STATUS_OK, "a prior-building batch must be ok");
    r.body
}

/// A small valid history: two nodes, two streams, with deps across them.
fn small() -> Vec<Event> {
    vec![
        ev(1, 1, 0, 0, &[], b"a0"),
        ev(1, 2, 0, 0, &[], b"b0"),
        ev(2, 1, 0, 1, &[id(2, 0, 0)], b"a1"),
        ev(3, 2, 0, 1, &[id(1, 0, 1)], b"b1"),
        ev(3, 1, 1, 0, &[id(1, 0, 0), id(2, 0, 0)], b""),
        ev(4, 1, 0, 2, &[id(2, 0, 1), id(1, 1, 0)], b"a2"),
    ]
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut push = |name, about, input: Vec<u8>, prior: Option<Vec<u8>>| {
        out.push(Case { name, about, op: abi::OP_RECONCILE_JSON, input, input_ext: "json", prior })
    };

    // --- clean histories ---
    let mut demo = sample::history(2026, Shape::DEMO);
    sample::shuffle(&mut demo, 11);
    push("demo-sample", "the demo's embedded sample: 3000 events, 4 nodes x 3 streams, shuffled", js(&demo), None);
    push("empty", "no events: the empty tree", b"[]\n".to_vec(), None);
    let mut s = small();
    s.reverse();
    s.push(small()[2].clone());
    s.push(small()[0].clone());
    push("small-shuffled-with-duplicates", "six events in reverse order plus two byte-identical re-deliveries", js(&s), None);
    push(
        "minimal-fields",
        "ids derived from node, stream and seq when absent; no deps, no payload",
        br#"[{"lamport":0,"node":0,"stream":0,"seq":0},{"lamport":5,"node":0,"stream":0,"seq":1,"deps":["0000000000000000000000000000"]}]"#.to_vec(),
        None,
    );
    let custom = vec![Event::new(9, 4, 2, EventId::from_bytes([0xab; 14]), 0, vec![], b"custom id".to_vec())];
    push("custom-id", "an explicit id instead of the derived one", js(&custom), None);

    // --- extension with a prior state ---
    let first = small();
    let prior_small = ok_body(&js(&first), &[]);
    let second = vec![
        ev(5, 2, 0, 2, &[id(1, 0, 2)], b"b2"),
        ev(6, 1, 0, 3, &[id(2, 0, 2), id(1, 0, 0)], b"a3"),
        ev(6, 3, 0, 0, &[], b"c0"),
        small()[5].clone(), // re-sent prior head: dropped as a duplicate
    ];
    push("prior-extend", "a second batch extends the first; the re-sent head counts as a duplicate", js(&second), Some(prior_small.clone()));

    // --- one crafted case per invariant ---
    push("code-1001-gap", "node 1 stream 0 skips seq 1", js(&[ev(1, 1, 0, 0, &[], b"x"), ev(3, 1, 0, 2, &[], b"y")]), None);
    push(
        "code-1001-gap-from-zero",
        "a new stream must start at seq 0",
        js(&[ev(1, 1, 0, 1, &[], b"x")]),
        None,
    );
    push(
        "code-1001-order",
        "seq 1 has a smaller key than seq 0",
        js(&[ev(5, 1, 0, 0, &[], b"x"), ev(2, 1, 0, 1, &[], b"y")]),
        None,
    );
    push(
        "code-1001-stale",
        "an event below the prior head that is not the head",
        js(&[Event::new(1, 1, 0, id(1, 0, 0), 0, vec![], b"other".to_vec()).clone(), ev(9, 1, 0, 3, &[], b"a3")]),
        Some(prior_small.clone()),
    );
    push(
        "code-1001-before-frontier",
        "a new stream whose first event sorts before the prior frontier",
        js(&[ev(2, 7, 0, 0, &[], b"late")]),
        Some(prior_small.clone()),
    );
    push(
        "code-1002-id-conflict",
        "node 1 signs two different payloads for seq 1 (equivocation)",
        js(&[ev(1, 1, 0, 0, &[], b"x"), ev(2, 1, 0, 1, &[], b"pay alice"), ev(2, 1, 0, 1, &[], b"pay bob")]),
        None,
    );
    push(
        "code-1002-seq-conflict",
        "two events with different ids claim node 1 stream 0 seq 0",
        js(&[
            Event::new(1, 1, 0, EventId::from_bytes([1; 14]), 0, vec![], b"x".to_vec()),
            Event::new(1, 1, 0, EventId::from_bytes([2; 14]), 0, vec![], b"y".to_vec()),
        ]),
        None,
    );
    push(
        "code-1002-head-conflict",
        "a different event at the prior head's position",
        js(&[Event::new(4, 1, 0, id(1, 0, 2), 2, vec![], b"forged".to_vec())]),
        Some(prior_small.clone()),
    );
    push(
        "code-2002-missing",
        "a dependency that exists nowhere",
        js(&[ev(1, 1, 0, 0, &[id(9, 9, 9)], b"x")]),
        None,
    );
    push(
        "code-2003-not-before",
        "a dependency with the same Lamport time as its dependent",
        js(&[ev(4, 1, 0, 0, &[], b"x"), ev(4, 2, 0, 0, &[id(1, 0, 0)], b"y")]),
        None,
    );
    push(
        "code-2003-unprovable",
        "a dependency deep in the prior history whose stream head is not older than the dependent",
        js(&[ev(4, 3, 0, 0, &[id(1, 0, 0)], b"z")]),
        Some(prior_small.clone()),
    );
    let mut many = small();
    many.push(ev(3, 1, 0, 2, &[], b"a2 forged"));
    many.push(ev(9, 2, 0, 5, &[id(8, 8, 8)], b"gap and missing"));
    push("multi-violation", "several violations at once, sorted, each with evidence", js(&many), None);

    // --- bad input: every error names the event and field ---
    push("error-syntax", "not JSON", b"[{\"lamport\": 1,".to_vec(), None);
    push("error-not-array", "an object instead of an array", b"{\"lamport\": 1}".to_vec(), None);
    push(
        "error-field-type",
        "node is a string",
        br#"[{"lamport":1,"node":1,"stream":0,"seq":0},{"lamport":2,"node":"2","stream":0,"seq":0}]"#.to_vec(),
        None,
    );
    push("error-unknown-field", "an unknown field", br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"time":5}]"#.to_vec(), None);
    push("error-missing-field", "seq is missing", br#"[{"lamport":1,"node":1,"stream":0}]"#.to_vec(), None);
    push("error-range", "stream over u16", br#"[{"lamport":1,"node":1,"stream":65536,"seq":0}]"#.to_vec(), None);
    push("error-negative", "a negative lamport", br#"[{"lamport":-1,"node":1,"stream":0,"seq":0}]"#.to_vec(), None);
    push("error-hex", "an id with uppercase hex", br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"id":"ABABABABABABABABABABABABABAB"}]"#.to_vec(), None);
    push("error-base64", "a payload that is not base64", br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"payload":"not base64!"}]"#.to_vec(), None);
    let tampered = String::from_utf8(prior_small.clone())
        .unwrap_or_default()
        .replacen("\"tree_size\": 6", "\"tree_size\": 7", 1)
        .into_bytes();
    push("error-prior-tampered", "a prior state whose tree size was edited", js(&second), Some(tampered));

    // --- the binary batch form ---
    let mut bin = Vec::new();
    let mut b = sample::history(7, Shape { nodes: 3, streams: 2, per_stream: 20, payload: 100 });
    sample::shuffle(&mut b, 8);
    for e in &b {
        e.encode_into(&mut bin);
    }
    out.push(Case {
        name: "binary-sample",
        about: "120 canonical binary events, 100-byte payloads",
        op: abi::OP_RECONCILE_BINARY,
        input: bin.clone(),
        input_ext: "bin",
        prior: None,
    });
    bin.truncate(bin.len() - 3);
    out.push(Case {
        name: "binary-truncated",
        about: "the binary batch cut inside its last payload",
        op: abi::OP_RECONCILE_BINARY,
        input: bin,
        input_ext: "bin",
        prior: None,
    });
    out
}

fn render() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut manifest = Vec::new();
    for c in cases() {
        let input = format!("reconcile/{}.in.{}", c.name, c.input_ext);
        let prior = c.prior.as_ref().map(|_| format!("reconcile/{}.prior.json", c.name));
        let expected = format!("reconcile/{}.out.json", c.name);
        let resp = abi::call(c.op, &abi::make_request(&c.input, c.prior.as_deref().unwrap_or(&[])));
        manifest.push(serde_json::json!({
            "name": c.name,
            "about": c.about,
            "op": c.op,
            "input": input,
            "prior": prior,
            "expected": expected,
            "status": resp.status,
        }));
        files.insert(PathBuf::from(&input), c.input);
        if let (Some(p), Some(bytes)) = (prior, c.prior) {
            files.insert(PathBuf::from(p), bytes);
        }
        files.insert(PathBuf::from(expected), resp.body);
    }
    let m = serde_json::json!({ "version": 1, "generator": "cargo xtask vectors", "cases": manifest });
    let mut text = serde_json::to_vec_pretty(&m).unwrap_or_default();
    text.push(b'\n');
    files.insert(PathBuf::from("manifest.json"), text);
    files
}

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let files = render();
    let mut bad = 0;
    for (rel, bytes) in &files {
        let path = root.join(rel);
        if check {
            match std::fs::read(&path) {
                Ok(on_disk) if &on_disk == bytes => {}
                Ok(_) => {
                    bad += 1;
                    eprintln!("differs: {}", path.display());
                }
                Err(_) => {
                    bad += 1;
                    eprintln!("missing: {}", path.display());
                }
            }
        } else {
            if let Some(dir) = path.parent() {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    eprintln!("cannot create {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
            }
            if let Err(e) = std::fs::write(&path, bytes) {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if check {
        // Files in the folder that the generator does not make are stale.
        if let Ok(rd) = std::fs::read_dir(root.join("reconcile")) {
            for entry in rd.flatten() {
                let rel = PathBuf::from("reconcile").join(entry.file_name());
                if !files.contains_key(&rel) {
                    bad += 1;
                    eprintln!("stale (not generated): {}", root.join(rel).display());
                }
            }
        }
        if bad > 0 {
            eprintln!("gen-vectors --check: {bad} file(s) differ; run `cargo xtask vectors` and review the diff");
            return ExitCode::from(1);
        }
        println!("gen-vectors --check: {} files match", files.len());
    } else {
        println!("gen-vectors: wrote {} files under {}", files.len(), root.display());
    }
    ExitCode::SUCCESS
}
