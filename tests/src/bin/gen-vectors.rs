//! Generates the golden vectors under `tests/vectors/` from the native core.
//!
//! `cargo run -p omega-tests --bin gen-vectors` writes them;
//! `... -- --check` regenerates them in memory and fails on any difference
//! from the files (CI runs this), so the vectors can never drift from the code
//! silently. Every engine (native, wasmtime, Node, Chromium) must reproduce the
//! expected files byte for byte.
use omega_core::api::{Op, abi};
use omega_core::api::vectors::{self, Manifest, Request};
use omega_core::event::sample::{self, Shape};
use omega_core::certify::cert::{self, Certificate};
use omega_core::certify::note::SignerKey;
use omega_core::api::ops::{self, make_fields};
use omega_core::api::json;
use omega_core::{Event, EventId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A case of ops 3 to 12: the request is `fields` (each a file), framed by `ops::make_fields`.
struct FieldCase {
    name: &'static str,
    about: &'static str,
    op: Op,
    fields: Vec<(&'static str, Vec<u8>)>,
}

struct Case {
    name: &'static str,
    about: &'static str,
    op: Op,
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
    let r = ops::run(Op::ReconcileJson, &abi::make_request(input, prior));
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
        out.push(Case { name, about, op: Op::ReconcileJson, input, input_ext: "json", prior })
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
    // the dependency is a head of the prior history (its key is in the state), at
    // the same Lamport time: the dependent sorts after the frontier, yet is refused
    push(
        "code-2003-prior-head",
        "a dependency on the prior history's head (node 1 stream 0, Lamport 4) with the same Lamport time as its dependent",
        js(&[ev(4, 2, 5, 0, &[id(1, 0, 2)], b"y")]),
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
    // a key twice in one object: refused (3007), never first or last value wins
    push(
        "error-duplicate-key",
        "event 1 gives `node` twice (3007): refused, whichever value another parser would keep",
        br#"[{"lamport":1,"node":1,"stream":0,"seq":0},{"lamport":2,"node":2,"stream":0,"seq":0,"node":3}]"#.to_vec(),
        None,
    );
    push(
        "error-duplicate-key-escaped",
        "`seq` and `\\u0073eq` are the same key once escapes are decoded (3007)",
        br#"[{"lamport":1,"node":1,"stream":0,"seq":0,"\u0073eq":1}]"#.to_vec(),
        None,
    );
    let dup_prior = String::from_utf8(prior_small.clone()).unwrap_or_default().replacen('{', "{\n  \"tree_size\": 0,", 1).into_bytes();
    push("error-prior-duplicate-key", "a prior state that gives `tree_size` twice (3007)", js(&second), Some(dup_prior));
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
        op: Op::ReconcileBinary,
        input: bin.clone(),
        input_ext: "bin",
        prior: None,
    });
    bin.truncate(bin.len() - 3);
    out.push(Case {
        name: "binary-truncated",
        about: "the binary batch cut inside its last payload",
        op: Op::ReconcileBinary,
        input: bin,
        input_ext: "bin",
        prior: None,
    });
    out
}

fn key(i: u8) -> SignerKey {
    SignerKey::from_seed(&format!("omega.example/m{i}"), [i + 1; 32]).unwrap_or_else(|e| panic!("{e}"))
}

/// A certificate's binary form (every certificate here fits the format).
fn enc(c: &Certificate) -> Vec<u8> {
    c.encode().unwrap_or_else(|e| panic!("{e}"))
}

fn cert_of(resp_body: &[u8]) -> Certificate {
    let v: serde_json::Value = serde_json::from_slice(resp_body).unwrap_or_default();
    let b = v.get("certificate").and_then(|c| c.as_str()).unwrap_or_default();
    Certificate::decode(&omega_core::certify::note::b64_decode(b).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Certify cases: keys from fixed seeds, a 5-of-7 committee, a chain of three
/// certificates (state, state, obstruction), verdicts, proofs, and errors.
fn field_cases() -> Vec<FieldCase> {
    let mut out = Vec::new();
    let mut push = |name, about, op, fields: Vec<(&'static str, Vec<u8>)>| out.push(FieldCase { name, about, op, fields });
    let keys: Vec<SignerKey> = (0..7).map(key).collect();
    let committee = |k: u32| -> Vec<u8> {
        let members: Vec<String> = keys.iter().map(|k| k.verifier().to_string()).collect();
        let mut t = serde_json::to_vec_pretty(&serde_json::json!({ "threshold": k, "members": members })).unwrap_or_default();
        t.push(b'\n');
        t
    };
    let comm = committee(5);
    let comm_parsed = ops::parse_committee(&comm).unwrap_or_else(|e| panic!("{e}"));
    let origin = b"omega.example/log".to_vec();
    let key_text = |i: usize| format!("{}\n", keys[i].to_text()).into_bytes();

    // results: a clean first batch, a second extending it, and an obstructed third
    let r1 = ok_body(&js(&small()), &[]);
    let second = vec![ev(5, 2, 0, 2, &[id(1, 0, 2)], b"b2"), ev(6, 1, 0, 3, &[id(2, 0, 2)], b"a3"), ev(6, 3, 0, 0, &[], b"c0")];
    let r2 = ok_body(&js(&second), &r1);
    let third = vec![Event::new(7, 1, 0, id(1, 0, 3), 3, vec![], b"a3 forged".to_vec())];
    let r3 = ops::run(Op::ReconcileJson, &abi::make_request(&js(&third), &r2)).body;

    push("keygen", "a key pair from a name and a fixed 32-byte seed", Op::Keygen, vec![("name.txt", b"omega.example/m0".to_vec()), ("seed.bin", vec![1; 32])]);

    // genesis, cosigned to the quorum
    let f0 = vec![("result.json", r1.clone()), ("origin.txt", origin.clone()), ("key.txt", key_text(0)), ("prev.bin", vec![]), ("committee.json", comm.clone())];
    let mut c0 = cert_of(&ops::run(Op::Certify, &make_fields(&f0.iter().map(|f| f.1.as_slice()).collect::<Vec<_>>())).body);
    push("certify-genesis", "certify a clean result at height 0, committing to the 5-of-7 committee", Op::Certify, f0);
    push("cosign", "a second member co-signs the genesis certificate", Op::Cosign, vec![("cert.bin", enc(&c0)), ("key.txt", key_text(1))]);
    push("cosign-twice", "the same key cannot sign twice (3605)", Op::Cosign, vec![("cert.bin", enc(&c0)), ("key.txt", key_text(0))]);
    for k in &keys[1..5] {
        c0.cosign(k).unwrap_or_else(|e| panic!("{e}"));
    }
    let f1 = vec![("result.json", r2.clone()), ("origin.txt", origin.clone()), ("key.txt", key_text(2)), ("prev.bin", enc(&c0)), ("committee.json", comm.clone())];
    let mut c1 = cert_of(&ops::run(Op::Certify, &make_fields(&f1.iter().map(|f| f.1.as_slice()).collect::<Vec<_>>())).body);
    push("certify-extend", "certify the second batch on top of genesis: height 1, prev hash, consistency proof", Op::Certify, f1);
    push(
        "certify-not-extending",
        "a result that was not reconciled against the previous certificate's tree (3604)",
        Op::Certify,
        vec![("result.json", r1.clone()), ("origin.txt", origin.clone()), ("key.txt", key_text(2)), ("prev.bin", enc(&c0)), ("committee.json", vec![])],
    );
    for k in [&keys[0], &keys[1], &keys[3], &keys[4]] {
        c1.cosign(k).unwrap_or_else(|e| panic!("{e}"));
    }
    let f2 = vec![("result.json", r3.clone()), ("origin.txt", origin.clone()), ("key.txt", key_text(3)), ("prev.bin", enc(&c1)), ("committee.json", comm.clone())];
    let mut c2 = cert_of(&ops::run(Op::Certify, &make_fields(&f2.iter().map(|f| f.1.as_slice()).collect::<Vec<_>>())).body);
    push("certify-obstruction", "a quorum certifies that the third batch obstructs (kind obstruction, evidence hash)", Op::Certify, f2);
    for k in &keys[4..7] {
        c2.cosign(k).unwrap_or_else(|e| panic!("{e}"));
    }
    c2.cosign(&keys[0]).unwrap_or_else(|e| panic!("{e}"));
    assert!(cert::verify(&c2, &comm_parsed).valid);

    push("verify-valid", "5 of 7 members signed: valid (batch verified)", Op::Verify, vec![("cert.bin", enc(&c1)), ("committee.json", comm.clone())]);
    push(
        "verify-chain",
        "the chain genesis -> state -> obstruction: heights, hash links and consistency proofs",
        Op::Verify,
        vec![("cert.bin", enc(&c2)), ("committee.json", comm.clone()), ("chain-0.bin", enc(&c0)), ("chain-1.bin", enc(&c1))],
    );
    push(
        "verify-chain-gap",
        "a chain with height 1 missing",
        Op::Verify,
        vec![("cert.bin", enc(&c2)), ("committee.json", comm.clone()), ("chain-0.bin", enc(&c0))],
    );
    // a fork: another height-1 certificate on the same genesis
    let other = vec![ev(5, 2, 0, 2, &[], b"b2 other")];
    let r2b = ok_body(&js(&other), &r1);
    let att = ops::parse_result(&r2b).unwrap_or_else(|e| panic!("{e}"));
    let mut fork = cert::certify(&att, "omega.example/log", Some(&c0), Some(&comm_parsed), &keys[0]).unwrap_or_else(|e| panic!("{e}"));
    for k in &keys[1..5] {
        fork.cosign(k).unwrap_or_else(|e| panic!("{e}"));
    }
    push(
        "verify-chain-fork",
        "two valid certificates extend the same genesis: a fork, reported with both",
        Op::Verify,
        vec![("cert.bin", enc(&c1)), ("committee.json", comm.clone()), ("chain-0.bin", enc(&c0)), ("fork.bin", enc(&fork))],
    );
    let mut short = c1.clone();
    short.signatures.truncate(4);
    push("verify-quorum-short", "4 of the 5 required signatures: invalid (3701)", Op::Verify, vec![("cert.bin", enc(&short)), ("committee.json", comm.clone())]);
    let mut tampered = c1.clone();
    if let Some(s) = tampered.signatures.get_mut(1) {
        if let Some(b) = s.sig.get_mut(10) {
            *b ^= 0x40;
        }
    }
    push(
        "verify-bad-signature",
        "one flipped signature bit: that member does not count, so 4 of 5: invalid, with the reason",
        Op::Verify,
        vec![("cert.bin", enc(&tampered)), ("committee.json", comm.clone())],
    );
    let mut stranger = c1.clone();
    stranger.signatures.truncate(4);
    stranger.cosign(&SignerKey::from_seed("stranger.example", [99; 32]).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    let dup = stranger.signatures[0].clone();
    stranger.signatures.push(dup);
    push(
        "verify-stranger-and-duplicate",
        "a stranger's signature and a repeated one never count",
        Op::Verify,
        vec![("cert.bin", enc(&stranger)), ("committee.json", comm.clone())],
    );
    push("verify-wrong-committee", "the certificate names another committee (3702)", Op::Verify, vec![("cert.bin", enc(&c1)), ("committee.json", committee(4))]);
    push(
        "verify-bad-committee",
        "a committee whose threshold exceeds its members (3603)",
        Op::Verify,
        vec![("cert.bin", enc(&c1)), ("committee.json", committee(8))],
    );
    push("verify-note-text", "the certificate given as signed-note text instead of binary", Op::Verify, vec![("cert.txt", c1.to_note().into_bytes()), ("committee.json", comm.clone())]);
    let broken = c1.to_note().replacen("omega-kind state", "omega-kind State", 1);
    push("verify-malformed-note", "a checkpoint line that is not in omega's exact form (3601)", Op::Verify, vec![("cert.txt", broken.into_bytes()), ("committee.json", comm.clone())]);
    push("explain", "every field in words, judged against the committee", Op::Explain, vec![("cert.bin", enc(&c2)), ("committee.json", comm.clone())]);
    push("explain-invalid", "an invalid certificate explained, each reason listed", Op::Explain, vec![("cert.bin", enc(&tampered)), ("committee.json", comm.clone())]);
    push("note", "the signed-note text of a certificate", Op::Note, vec![("cert.bin", enc(&c1))]);

    // proofs over the demo sample
    let mut demo = sample::history(2026, Shape::DEMO);
    sample::shuffle(&mut demo, 11);
    let demo_js = js(&demo);
    push("prove-inclusion", "inclusion proof of leaf 1234 of the demo sample", Op::ProveInclusion, vec![("events.json", demo_js.clone()), ("format.txt", b"json".to_vec()), ("index.txt", b"1234".to_vec())]);
    push("prove-consistency", "consistency proof from 1000 to 3000 leaves of the demo sample", Op::ProveConsistency, vec![("events.json", demo_js.clone()), ("format.txt", b"json".to_vec()), ("old.txt", b"1000".to_vec())]);
    push("prove-index-out-of-range", "index 3000 of a 3000-leaf tree (3401)", Op::ProveInclusion, vec![("events.json", demo_js.clone()), ("format.txt", b"json".to_vec()), ("index.txt", b"3000".to_vec())]);
    let inc = ops::run(Op::ProveInclusion, &make_fields(&[&demo_js, b"json", b"1234"])).body;
    let con = ops::run(Op::ProveConsistency, &make_fields(&[&demo_js, b"json", b"1000"])).body;
    push("verify-inclusion", "the inclusion proof above verifies", Op::VerifyInclusion, vec![("proof.json", inc.clone())]);
    push("verify-consistency", "the consistency proof above verifies", Op::VerifyConsistency, vec![("proof.json", con.clone())]);
    // Merkle root and proofs over leaf hashes given as they are (op 21, format `leaves`)
    let leaves: Vec<u8> = omega_core::history_leaves(&demo).expect("the demo is clean").concat();
    push("merkle-root", "the RFC 6962 root of the demo sample's 3000 leaf hashes (op 21)", Op::MerkleRoot, vec![("leaves.bin", leaves.clone())]);
    push("merkle-root-empty", "the root of no leaves: SHA-256 of the empty string", Op::MerkleRoot, vec![("leaves.bin", Vec::new())]);
    push("merkle-root-13", "the root of the first 13 leaves (an unbalanced tree)", Op::MerkleRoot, vec![("leaves.bin", leaves[..13 * 32].to_vec())]);
    push("merkle-root-bad-length", "leaf hashes that are not a multiple of 32 bytes (3407)", Op::MerkleRoot, vec![("leaves.bin", leaves[..33].to_vec())]);
    push("prove-inclusion-leaves", "inclusion proof of leaf 1234 from the leaf hashes (format `leaves`): the same proof as from the events", Op::ProveInclusion, vec![("leaves.bin", leaves.clone()), ("format.txt", b"leaves".to_vec()), ("index.txt", b"1234".to_vec())]);
    let flip = |p: &[u8]| -> Vec<u8> {
        let t = String::from_utf8_lossy(p).into_owned();
        let start = t.find("\"proof\": [").unwrap_or(0);
        let at = t.get(start + 10..).and_then(|r| r.find('"')).map(|i| start + 10 + i + 1).unwrap_or(0);
        let mut b = t.into_bytes();
        if let Some(c) = b.get_mut(at) {
            *c = if *c == b'0' { b'1' } else { b'0' };
        }
        b
    };
    // --- the framed log: ingest reports, reconcile, snapshot, replay, crash bundles ---
    use omega_core::event::frame;
    let small_log = frame::encode_log(&small());
    push("ingest-clean", "a clean log of the small history: every frame valid", Op::Ingest, vec![("log.omega", small_log.clone())]);
    let mut torn = small_log.clone();
    torn.truncate(torn.len() - 7);
    push("ingest-torn", "the last frame cut short (a torn write): the valid prefix and where it ends", Op::Ingest, vec![("log.omega", torn.clone())]);
    let mut crc = small_log.clone();
    if let Some(b) = crc.get_mut(100) {
        *b ^= 0x01;
    }
    push("ingest-crc", "one flipped bit inside frame 1: CRC mismatch at its offset, frame 0 intact", Op::Ingest, vec![("log.omega", crc)]);
    push("ingest-not-a-log", "a JSON file given as a log: bad magic", Op::Ingest, vec![("log.omega", js(&small()))]);
    push("ingest-empty", "an empty file: no header", Op::Ingest, vec![("log.omega", vec![])]);
    let mut bin_log = frame::header(frame::DEFAULT_MAX_FRAME).to_vec();
    let mut bs = sample::history(7, Shape { nodes: 3, streams: 2, per_stream: 20, payload: 100 });
    sample::shuffle(&mut bs, 8);
    bin_log.extend_from_slice(&frame::encode_frames(&bs));
    push("reconcile-log", "reconcile the 120 events of a log (same history as binary-sample)", Op::ReconcileLog, vec![("log.omega", bin_log), ("prior.json", vec![])]);
    push("reconcile-log-torn", "a damaged log is refused with the frame's code and offset", Op::ReconcileLog, vec![("log.omega", torn), ("prior.json", vec![])]);
    push("snapshot", "a snapshot of the first result's state", Op::Snapshot, vec![("result.json", r1.clone())]);
    let snap_body = ops::run(Op::Snapshot, &make_fields(&[&r1])).body;
    let snap: serde_json::Value = serde_json::from_slice(&snap_body).unwrap_or_default();
    let snap = omega_core::certify::note::b64_decode(snap.get("snapshot").and_then(|s| s.as_str()).unwrap_or_default()).unwrap_or_default();
    let second_log = frame::encode_log(&second);
    push(
        "replay-match",
        "snapshot after batch 1 + a log of batch 2 replays to exactly what certificate height 1 attests",
        Op::Replay,
        vec![("snapshot.omsn", snap.clone()), ("log.omega", second_log.clone()), ("cert.bin", enc(&c1))],
    );
    let other_log = frame::encode_log(&other);
    push(
        "replay-diverged",
        "another batch 2: the replay names the first field that differs from the certificate",
        Op::Replay,
        vec![("snapshot.omsn", snap.clone()), ("log.omega", other_log), ("cert.bin", enc(&c1))],
    );
    push(
        "replay-obstruction",
        "the obstructed batch 3 replays to the obstruction certificate (kind, evidence)",
        Op::Replay,
        vec![("prior.json", r2.clone()), ("log.omega", frame::encode_log(&third)), ("cert.bin", enc(&c2))],
    );
    push("bundle", "a crash bundle for batch 3 against the state after batch 2", Op::Bundle, vec![("events.json", js(&third)), ("format.txt", b"json".to_vec()), ("prior.json", r2.clone())]);
    let bundle_body = ops::run(Op::Bundle, &make_fields(&[&js(&third), b"json", &r2])).body;
    let bv: serde_json::Value = serde_json::from_slice(&bundle_body).unwrap_or_default();
    let bundle_bytes = omega_core::certify::note::b64_decode(bv.get("bundle").and_then(|s| s.as_str()).unwrap_or_default()).unwrap_or_default();
    push("explain-bundle", "the bundle reproduces the same obstruction, byte for byte", Op::ExplainBundle, vec![("bundle.omb", bundle_bytes.clone())]);
    let mut bad_bundle = bundle_bytes;
    if let Some(b) = bad_bundle.get_mut(40) {
        *b ^= 1;
    }
    push("explain-bundle-corrupt", "a corrupt bundle is refused (its SHA-256 does not match)", Op::ExplainBundle, vec![("bundle.omb", bad_bundle)]);
    push(
        "bundle-unknown-format",
        "a format other than json, binary or omega is refused (3301); before the typed API it was read as JSON",
        Op::Bundle,
        vec![("events.json", js(&third)), ("format.txt", b"yaml".to_vec()), ("prior.json", r2.clone())],
    );
    push(
        "bundle-bad-event",
        "a JSON event with a bad field: the error names its index and field, as every other op's does (before the typed API, op 17 left them out)",
        Op::Bundle,
        vec![("events.json", br#"[{"lamport": 1, "node": 1, "stream": 0, "seq": 0}, {"lamport": 2, "node": -1, "stream": 0, "seq": 0}]"#.to_vec()), ("format.txt", b"json".to_vec()), ("prior.json", vec![])],
    );
    push("bundle-clean-batch", "a batch that does not obstruct has no bundle (3903)", Op::Bundle, vec![("events.json", js(&small())), ("format.txt", b"json".to_vec()), ("prior.json", vec![])]);

    // --- the ECS world ---
    use omega_core::ecs::{self, Command, Config, Entity, Op as Cmd, World};
    let cfg = br#"{"seed": 7, "entities": 1000, "nodes": 5, "edges_per_entity": 3}"#.to_vec();
    push(
        "ecs-1k-10k",
        "10,000 ticks of a 1,000-entity world: the digest of every per-tick state hash, a checkpoint every 1,000 ticks",
        Op::EcsRun,
        vec![("config.json", cfg.clone()), ("ticks.txt", b"10000".to_vec()), ("events.json", vec![]), ("mode.txt", b"summary".to_vec()), ("inject.txt", vec![])],
    );
    let mut w = World::new(7, Config { nodes: 5, entities: 1000, edges_per_entity: 3 });
    for _ in 0..5000 {
        w.step(&[]);
    }
    let snap5000 = w.encode();
    push(
        "ecs-restore-5000",
        "the same world snapshotted at tick 5,000 and continued: its last checkpoints and final hash equal ecs-1k-10k's",
        Op::EcsRun,
        vec![("snapshot.omgw", snap5000.clone()), ("ticks.txt", b"5000".to_vec()), ("events.json", vec![]), ("mode.txt", b"summary".to_vec()), ("inject.txt", vec![])],
    );
    // a version-1 snapshot (before the arbiter record, 2026-12-03) still reads: as a world with
    // no arbiter record, stepped on from there (its first tick has ΔV 0)
    let mut v1 = snap5000.get(..89).unwrap_or_default().to_vec();
    if let Some(v) = v1.get_mut(4) {
        *v = 1;
    }
    v1.extend_from_slice(snap5000.get(131..).unwrap_or_default());
    push(
        "ecs-restore-v1",
        "the tick-5,000 world in the version-1 encoding (no arbiter record) restores and runs 5 ticks on every engine",
        Op::EcsRun,
        vec![("snapshot.omgw", v1), ("ticks.txt", b"5".to_vec()), ("events.json", vec![]), ("mode.txt", b"reports".to_vec()), ("inject.txt", vec![])],
    );
    push(
        "ecs-reports",
        "every field of the first 20 tick reports of the 1,000-entity world",
        Op::EcsRun,
        vec![("config.json", cfg.clone()), ("ticks.txt", b"20".to_vec()), ("events.json", vec![]), ("mode.txt", b"reports".to_vec()), ("inject.txt", vec![])],
    );
    // a world driven by a recorded event history: commands as payloads (binary and JSON forms)
    let e = |i: u32| Entity { index: i, generation: 0 };
    let fx = |s: &str| s.parse::<ecs::fx::Fx>().unwrap_or_default();
    let cmds = vec![
        Command { tick: 3, op: Cmd::Spawn { node: 2, target: fx("0.75") } },
        Command { tick: 5, op: Cmd::Link { a: e(0), b: e(40), weight: fx("0.5") } },
        Command { tick: 8, op: Cmd::SetTarget { entity: e(3), value: fx("-2") } },
        Command { tick: 10, op: Cmd::Sensor { entity: e(5), value: fx("900") } },
        Command { tick: 12, op: Cmd::Unlink { a: e(0), b: e(40) } },
        Command { tick: 15, op: Cmd::Despawn { entity: e(7) } },
        Command { tick: 16, op: Cmd::SetTarget { entity: e(7), value: fx("1") } }, // rejected: despawned
    ];
    let mut evs: Vec<Event> = cmds
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let payload = if i % 2 == 0 { c.encode() } else { ecs::command::to_json(c).into_bytes() };
            ev(i as u64 + 1, 1, 0, i as u64, &[], &payload)
        })
        .collect();
    evs.push(ev(20, 2, 0, 0, &[], b"not a command"));
    sample::shuffle(&mut evs, 3);
    push(
        "ecs-events",
        "40 ticks of a 60-entity world driven by a recorded history: spawn, link, set target, sensor, unlink, despawn, a rejected command and an undecodable payload",
        Op::EcsRun,
        vec![
            ("config.json", br#"{"seed": 3, "entities": 60}"#.to_vec()),
            ("ticks.txt", b"40".to_vec()),
            ("events.json", js(&evs)),
            ("mode.txt", b"reports".to_vec()),
            ("inject.txt", vec![]),
        ],
    );
    let ecs_out = ops::run(
        Op::EcsRun,
        &make_fields(&[br#"{"seed": 3, "entities": 60}"#, b"40", &js(&evs), b"summary", b""]),
    )
    .body;
    push(
        "certify-ecs",
        "certify \"after tick 40 of this history the world hash is X\" (kind ecs) from the run's summary",
        Op::Certify,
        vec![("result.json", ecs_out), ("origin.txt", origin.clone()), ("key.txt", key_text(4)), ("prev.bin", vec![]), ("committee.json", comm.clone())],
    );
    let mut flipped = World::restore(&snap5000).unwrap_or_else(|e| panic!("{e}"));
    flipped.flip_bit(Entity { index: 321, generation: 0 }, 5, 17);
    push(
        "ecs-diff",
        "two snapshots one bit apart: the diff names entity 321:0, component phase",
        Op::EcsDiff,
        vec![("a.omgw", snap5000.clone()), ("b.omgw", flipped.encode())],
    );
    // OMSN with a world: the history's state and the world it drives, in one hashed snapshot
    let small_world = World::new(3, Config { nodes: 2, entities: 60, edges_per_entity: 2 }).encode();
    push(
        "snapshot-with-world",
        "a snapshot of the first result's state with a 60-entity world (OMSN, world flag 1): the report names the world's tick and hash",
        Op::Snapshot,
        vec![("result.json", r1.clone()), ("world.omgw", small_world.clone())],
    );
    let with_world = ops::run(Op::Snapshot, &make_fields(&[&r1, &small_world])).body;
    let with_world: serde_json::Value = serde_json::from_slice(&with_world).unwrap_or_default();
    let with_world = omega_core::certify::note::b64_decode(with_world.get("snapshot").and_then(|s| s.as_str()).unwrap_or_default()).unwrap_or_default();
    push("snapshot-keeps-world", "a snapshot of that snapshot keeps its world: the same bytes", Op::Snapshot, vec![("snapshot.omsn", with_world.clone())]);
    push(
        "snapshot-bad-world",
        "a world that is not one (a truncated OMGW): refused with the world's code (4001)",
        Op::Snapshot,
        vec![("result.json", r1.clone()), ("world.omgw", small_world.get(..40).unwrap_or_default().to_vec())],
    );
    push(
        "ecs-from-snapshot",
        "the world run from the snapshot that holds it: as from its OMGW bytes",
        Op::EcsRun,
        vec![("snapshot.omsn", with_world.clone()), ("ticks.txt", b"5".to_vec())],
    );
    push("replay-world-snapshot", "a replay from a snapshot that holds a world reads its state", Op::Replay, vec![("snapshot.omsn", with_world), ("log.omega", second_log.clone())]);
    // a history written in three batches, certified batch by batch with its world line
    // (`omega-world`), then replayed from a genesis snapshot against the chain (issue 18)
    let b64 = |v: &serde_json::Value, k: &str| omega_core::certify::note::b64_decode(v.get(k).and_then(|s| s.as_str()).unwrap_or_default()).unwrap_or_default();
    let genesis = World::new(3, Config { nodes: 2, entities: 60, edges_per_entity: 2 });
    let gw = genesis.encode();
    let cmd = |lamport: u64, seq: u64, c: Command| ev(lamport, 1, 0, seq, &[], &c.encode());
    let chain_batches = vec![
        vec![
            cmd(1, 0, Command { tick: 2, op: Cmd::Spawn { node: 1, target: fx("0.5") } }),
            cmd(2, 1, Command { tick: 3, op: Cmd::Link { a: e(0), b: e(40), weight: fx("0.25") } }),
            cmd(3, 2, Command { tick: 4, op: Cmd::SetTarget { entity: e(3), value: fx("-1") } }),
        ],
        vec![cmd(4, 3, Command { tick: 7, op: Cmd::Sensor { entity: e(5), value: fx("2") } }), cmd(5, 4, Command { tick: 8, op: Cmd::Unlink { a: e(0), b: e(40) } })],
        vec![
            cmd(6, 5, Command { tick: 11, op: Cmd::Despawn { entity: e(7) } }),
            cmd(7, 6, Command { tick: 12, op: Cmd::SetTarget { entity: e(7), value: fx("1") } }),
            ev(8, 2, 0, 0, &[], b"not a command"),
        ],
    ];
    let (mut prior_r, mut wbytes): (Vec<u8>, Vec<u8>) = (Vec::new(), gw.clone());
    let (mut chain_certs, mut log_events): (Vec<Vec<u8>>, Vec<Event>) = (Vec::new(), Vec::new());
    for b in &chain_batches {
        let r = ok_body(&js(b), &prior_r);
        let mut bin = Vec::new();
        for x in b {
            x.encode_into(&mut bin);
        }
        let step: serde_json::Value = serde_json::from_slice(&ops::run(Op::EcsBatch, &make_fields(&[&wbytes, &bin])).body).unwrap_or_default();
        let line = format!("{} {}", step.get("end_tick").and_then(|t| t.as_u64()).unwrap_or(0), step.get("state_hash").and_then(|h| h.as_str()).unwrap_or_default());
        wbytes = b64(&step, "world");
        let prev = chain_certs.last().cloned().unwrap_or_default();
        let c = cert_of(&ops::run(Op::Certify, &make_fields(&[&r, &origin, &key_text(0), &prev, b"", line.as_bytes()])).body);
        chain_certs.push(enc(&c));
        prior_r = r;
        log_events.extend(b.iter().cloned());
    }
    let snap_of = |w: &[u8]| b64(&serde_json::from_slice(&ops::run(Op::Snapshot, &make_fields(&[b"", w])).body).unwrap_or_default(), "snapshot");
    let genesis_snap = snap_of(&gw);
    let chain_log = frame::encode_log(&log_events);
    let chain_fields = |snap: &[u8], log: &[u8], reference: &[u8], inject: &[u8], certs: &[Vec<u8>]| {
        let mut f = vec![("snapshot.omsn", snap.to_vec()), ("log.omega", log.to_vec()), ("cert1.bin", certs.first().cloned().unwrap_or_default()), ("world.omgw", reference.to_vec()), ("inject.txt", inject.to_vec())];
        for (i, c) in certs.iter().enumerate().skip(1) {
            f.push((["", "cert2.bin", "cert3.bin"][i], c.clone()));
        }
        f
    };
    push(
        "replay-chain-world",
        "a log written in three batches replays from a genesis snapshot (history + world) batch by batch and matches each certificate, world line included",
        Op::Replay,
        chain_fields(&genesis_snap, &chain_log, b"", b"", &chain_certs),
    );
    push(
        "replay-chain-inject",
        "one bit of entity 3:0's field flipped at tick 6: batch 2's world line diverges, and the report names tick 6, entity 3:0, component field",
        Op::Replay,
        chain_fields(&genesis_snap, &chain_log, b"", b"6:3:0:field:40", &chain_certs),
    );
    let mut bad = genesis.clone();
    bad.flip_bit(e(10), 3, 33);
    push(
        "replay-chain-reference",
        "a snapshot whose world has one bit flipped (entity 10:0, pid): batch 1 diverges on the world line; against the good world the report names where",
        Op::Replay,
        chain_fields(&snap_of(&bad.encode()), &chain_log, &gw, b"", &chain_certs),
    );
    let two = frame::encode_log(&log_events.get(..5).unwrap_or_default().to_vec());
    push(
        "replay-chain-short",
        "a log that lacks batch 3: batches 1 and 2 match, batch 3 diverges on the tree size",
        Op::Replay,
        chain_fields(&genesis_snap, &two, b"", b"", &chain_certs),
    );
    let summary = ops::run(Op::EcsRun, &make_fields(&[&gw, b"12", &js(&log_events), b"summary", b""])).body;
    let ecs_cert = cert_of(&ops::run(Op::Certify, &make_fields(&[&summary, &origin, &key_text(1), b"", b""])).body);
    push(
        "replay-ecs-cert",
        "a kind-ecs certificate (\"after tick 12 of this history, the world hash is X\") replays: the world runs every command of the log from the snapshot's world",
        Op::Replay,
        vec![("snapshot.omsn", genesis_snap.clone()), ("log.omega", chain_log.clone()), ("cert.bin", enc(&ecs_cert))],
    );
    push(
        "replay-bad-inject",
        "an inject that is not tick:index:generation:component:bit (3301)",
        Op::Replay,
        chain_fields(&genesis_snap, &chain_log, b"", b"6:3:0:nothing:40", &chain_certs),
    );
    push("ecs-bad-config", "an unknown config field (4002)", Op::EcsRun, vec![("config.json", br#"{"seed": 1, "entitys": 5}"#.to_vec()), ("ticks.txt", b"1".to_vec())]);
    let mut torn = snap5000.clone();
    torn.truncate(1000);
    push("ecs-bad-snapshot", "a truncated world snapshot (4001)", Op::EcsRun, vec![("snapshot.omgw", torn), ("ticks.txt", b"1".to_vec())]);
    push(
        "ecs-too-large",
        "10,000,000 entities with 64 edges each: every field in range, ~97 GB at the peak of a run, refused up front with the number (4005)",
        Op::EcsRun,
        vec![("config.json", br#"{"seed": 7, "entities": 10000000, "edges_per_entity": 64}"#.to_vec()), ("ticks.txt", b"1".to_vec())],
    );
    let mut hostile = World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 }).encode();
    if let Some(n) = hostile.get_mut(29..33) {
        n.copy_from_slice(&u32::MAX.to_be_bytes());
    }
    push("ecs-snapshot-nodes", "a 139-byte snapshot claiming 4,294,967,295 topology nodes: past the caps of a new world (4005)", Op::EcsRun, vec![("snapshot.omgw", hostile), ("ticks.txt", b"1".to_vec())]);

    push("verify-inclusion-tampered", "one proof hash changed: invalid (3403)", Op::VerifyInclusion, vec![("proof.json", flip(&inc))]);
    push("verify-consistency-tampered", "one proof hash changed: invalid (3403)", Op::VerifyConsistency, vec![("proof.json", flip(&con))]);

    // a key twice in one object (3007): refused in every JSON input, whichever value another parser would keep
    let dup_first = |text: &[u8], kv: &str| String::from_utf8_lossy(text).replacen('{', &format!("{{{kv},"), 1).into_bytes();
    push(
        "verify-inclusion-duplicate-key",
        "the inclusion proof of leaf 1234 with `\"leaf_index\": 1235` put in front (3007)",
        Op::VerifyInclusion,
        vec![("proof.json", dup_first(&inc, "\"leaf_index\": 1235"))],
    );
    push(
        "certify-duplicate-committee-key",
        "a committee file that gives `threshold` twice (3007)",
        Op::Certify,
        vec![
            ("result.json", r1.clone()),
            ("origin.txt", origin.clone()),
            ("key.txt", key_text(0)),
            ("prev.bin", vec![]),
            ("committee.json", dup_first(&comm, "\"threshold\": 1")),
        ],
    );
    push(
        "certify-duplicate-result-key",
        "a result that gives `state_hash` twice (3007)",
        Op::Certify,
        vec![
            ("result.json", dup_first(&r1, &format!("\"state_hash\": \"{}\"", "0".repeat(64)))),
            ("origin.txt", origin.clone()),
            ("key.txt", key_text(0)),
            ("prev.bin", vec![]),
            ("committee.json", comm.clone()),
        ],
    );
    push("ecs-duplicate-config-key", "a world config that gives `seed` twice (3007)", Op::EcsRun, vec![("config.json", br#"{"seed": 1, "seed": 2}"#.to_vec()), ("ticks.txt", b"1".to_vec())]);

    // fields longer than the certificate format holds, and one key under two names: refused, never written
    push("keygen-name-too-long", "a key name of 256 bytes: longer than a signature line's one-byte length holds (3502)", Op::Keygen, vec![("name.txt", vec![b'n'; 256]), ("seed.bin", vec![1; 32])]);
    push(
        "certify-origin-too-long",
        "an origin of 65,536 bytes: longer than the binary form's two-byte length holds (3502)",
        Op::Certify,
        vec![("result.json", r1.clone()), ("origin.txt", vec![b'o'; 65_536]), ("key.txt", key_text(0)), ("prev.bin", vec![]), ("committee.json", comm.clone())],
    );
    // op 22: any C2SP signed note against verifier keys
    let vkey = |i: usize| keys[i].verifier().to_string().into_bytes();
    let quorum_note = c0.to_note().into_bytes();
    push(
        "note-verify-quorum",
        "the genesis certificate's note, five signatures, checked against three of the keys: valid, the others unknown",
        Op::NoteVerify,
        vec![("note.txt", quorum_note.clone()), ("vkey0.txt", vkey(0)), ("vkey1.txt", vkey(2)), ("vkey2.txt", vkey(6))],
    );
    let text = "go.sum database tree\n31\nJWC6RPEwrfR1W6+uTxh7+QTEl5mq5ob6xFSW4pyMzOY=\n";
    let foreign = omega_core::certify::note::Note { text: text.to_string(), signatures: vec![keys[5].sign_note(text), keys[6].sign_note(text)] }.to_text().into_bytes();
    push("note-verify-foreign", "a checkpoint note that is not omega's (Go checksum-database form), signed by two keys, checked against one", Op::NoteVerify, vec![("note.txt", foreign.clone()), ("vkey0.txt", vkey(5))]);
    let mut forged = foreign.clone();
    // a base64 digit inside the last signature (past its 4-byte key id), so the line still parses
    let at = forged.iter().rposition(|b| *b == b' ').unwrap_or_default() + 12;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    push(
        "note-verify-bad-line",
        "the same note with the last signature altered, checked against its key: invalid, though another given key's line verifies",
        Op::NoteVerify,
        vec![("note.txt", forged), ("vkey0.txt", vkey(5)), ("vkey1.txt", vkey(6))],
    );
    push("note-verify-no-key", "a note and no verifier key: refused (3301)", Op::NoteVerify, vec![("note.txt", foreign.clone())]);
    // Go's own vector: the key and the signed note of TestSign and
    // TestNewVerifier in golang.org/x/mod/sumdb/note (note_test.go), as published
    let go_vkey = b"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW".to_vec();
    let go_note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    push("note-verify-go-peterneumann", "Go's sumdb/note test vector (the PeterNeumann key and its signed note): valid", Op::NoteVerify, vec![("note.txt", go_note.as_bytes().to_vec()), ("vkey0.txt", go_vkey.clone())]);
    push(
        "note-verify-go-peterneumann-altered",
        "Go's sumdb/note test vector with one letter of the text changed: invalid",
        Op::NoteVerify,
        vec![("note.txt", go_note.replacen("answer", "Answer", 1).into_bytes()), ("vkey0.txt", go_vkey)],
    );
    push("note-verify-not-a-note", "text with no signature block: refused (3501)", Op::NoteVerify, vec![("note.txt", b"just text\n".to_vec()), ("vkey0.txt", vkey(0))]);

    let twin = omega_core::certify::note::VerifierKey::new("omega.example/twin", *keys[0].verifier().public()).unwrap_or_else(|e| panic!("{e}"));
    let twins = serde_json::to_vec_pretty(&serde_json::json!({ "threshold": 2, "members": [keys[0].verifier().to_string(), twin.to_string()] })).unwrap_or_default();
    push(
        "certify-committee-one-key-twice",
        "a 2-of-2 committee whose members are one public key under two names: refused, or one private key would be a quorum (3603)",
        Op::Certify,
        vec![("result.json", r1.clone()), ("origin.txt", origin.clone()), ("key.txt", key_text(0)), ("prev.bin", vec![]), ("committee.json", twins)],
    );
    out
}

/// Canonical binary events, concatenated.
fn binary(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        e.encode_into(&mut out);
    }
    out
}

/// Runs op 23 and gives what the host passes on: the next prior (the result
/// re-serialised when ok, else the same prior) and the carry bytes.
fn cut_next(prior: &[u8], carry: &[u8], fresh: &[u8], horizon: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use omega_core::api::response::{self, Body, ReconcileResult};
    let r = ops::run(Op::Cut, &make_fields(&[prior, carry, fresh, horizon]));
    let Ok(Body::Cut(c)) = response::parse(Op::Cut, r.status, &r.body) else { panic!("not a cut: {}", String::from_utf8_lossy(&r.body)) };
    let next = match &c.result {
        Some(ok @ ReconcileResult::Ok(_)) => response::to_json(ok),
        _ => prior.to_vec(),
    };
    (next, omega_core::certify::note::b64_decode(&c.carry).unwrap_or_else(|| panic!("carry is base64")))
}

/// Ops 23 to 25 (the cluster): batch cuts at seals, merged certificates, fraud proofs.
/// The cut cases go under `cut/`, merge and fraud beside the other certificate cases.
fn cluster_cases() -> Vec<(&'static str, FieldCase)> {
    let mut out = Vec::new();
    let mut push = |dir, name, about, op, fields: Vec<(&'static str, Vec<u8>)>| out.push((dir, FieldCase { name, about, op, fields }));
    let h3 = b"3".to_vec();

    // a sample history arriving in three chunks at Lamport boundaries, some successors one seal early
    let mut h = sample::history(2026, Shape { nodes: 3, streams: 2, per_stream: 6, payload: 8 });
    h.sort_by_key(Event::key);
    let mut lamports: Vec<u64> = h.iter().map(Event::lamport).collect();
    lamports.dedup();
    let band = |e: &Event| lamports.binary_search(&e.lamport()).unwrap_or(0) * 3 / lamports.len();
    let mut chunks: Vec<Vec<Event>> = vec![Vec::new(); 3];
    let mut early_set = std::collections::BTreeSet::new();
    for (i, e) in h.iter().enumerate() {
        let b = band(e);
        // every other successor whose predecessor is in its band (and on time) comes a seal early
        let pred = h.iter().find(|p| (p.node(), p.stream(), p.seq() + 1) == (e.node(), e.stream(), e.seq()));
        let early = b > 0 && i % 2 == 0 && pred.is_some_and(|p| band(p) == b && !early_set.contains(&p.key()));
        if early {
            early_set.insert(e.key());
        }
        chunks[if early { b - 1 } else { b }].push(e.clone());
    }
    for (j, c) in chunks.iter_mut().enumerate() {
        sample::shuffle(c, 40 + j as u64);
    }
    let (p1, c1) = (Vec::new(), Vec::new());
    let f1 = binary(&chunks[0]);
    push("cut", "cut-first-seal", "the first seal of a sample history: ready events below the watermark are cut, successors that came early wait", Op::Cut, vec![("prior.json", p1.clone()), ("carry.omgp", c1.clone()), ("fresh.bin", f1.clone()), ("horizon.txt", h3.clone())]);
    push("cut", "cut-delay", "the first seal with delay 1: every event is younger than the delay, so nothing is cut (status empty) and all are held one seal", Op::Cut, vec![("prior.json", p1.clone()), ("carry.omgp", c1.clone()), ("fresh.bin", f1.clone()), ("horizon.txt", h3.clone()), ("delay.txt", b"1".to_vec())]);
    let (p2, c2) = cut_next(&p1, &c1, &f1, &h3);
    let f2 = binary(&chunks[1]);
    push("cut", "cut-second-seal", "the second seal: the prior and carry the first returned, the next chunk; the waiting successors meet their predecessors", Op::Cut, vec![("prior.json", p2.clone()), ("carry.omgp", c2.clone()), ("fresh.bin", f2.clone()), ("horizon.txt", h3.clone())]);
    let (p3, c3) = cut_next(&p2, &c2, &f2, &h3);
    let mut last = chunks[2].clone();
    last.extend(chunks[2].iter().take(3).cloned());
    push("cut", "cut-third-seal", "the last chunk (three events sent twice): all but the newest Lamport time is cut; that one is held, as nothing later closes it yet", Op::Cut, vec![("prior.json", p3.clone()), ("carry.omgp", c3.clone()), ("fresh.bin", binary(&last)), ("horizon.txt", h3.clone())]);
    let (mut p4, mut c4) = cut_next(&p3, &c3, &binary(&last), &h3);
    // the stream stays quiet: empty seals age the held events until every one is `horizon` old
    for _ in 0..2 {
        (p4, c4) = cut_next(&p4, &c4, &[], &h3);
    }
    push("cut", "cut-quiet", "after a quiet spell of `horizon` seals the newest Lamport time is closed: it is cut, nothing is carried, and the root is the reconcile of all 36 events", Op::Cut, vec![("prior.json", p4), ("carry.omgp", c4), ("fresh.bin", vec![]), ("horizon.txt", h3.clone())]);

    let orphan = ev(7, 1, 0, 1, &[], b"seq 1, no seq 0");
    push("cut", "cut-empty", "only an event whose predecessor has not come: nothing to cut (status empty, no result), it is carried one seal older", Op::Cut, vec![("prior.json", vec![]), ("carry.omgp", vec![]), ("fresh.bin", binary(&[orphan.clone()])), ("horizon.txt", h3.clone())]);
    let old = omega_core::api::cut::encode_carry(&[omega_core::api::cut::Carried { age: 3, event: orphan.clone() }]);
    push(
        "cut",
        "cut-expired",
        "the same event carried for 3 seals with horizon 3: given up, the batch obstructs with a 1001 gap; a ready event is held for the next seal",
        Op::Cut,
        vec![("prior.json", vec![]), ("carry.omgp", old), ("fresh.bin", binary(&[ev(2, 2, 0, 0, &[], b"ready")])), ("horizon.txt", h3.clone())],
    );
    let eq = vec![ev(1, 1, 0, 0, &[], b"a0"), ev(2, 1, 0, 1, &[], b"pay alice"), ev(3, 2, 0, 0, &[], b"b0"), ev(2, 1, 0, 1, &[], b"pay bob")];
    push("cut", "cut-equivocation", "node 1 sends two events for one id: both rejected at once (1002), the batch is the pair, the others are carried", Op::Cut, vec![("prior.json", vec![]), ("carry.omgp", vec![]), ("fresh.bin", binary(&eq)), ("horizon.txt", h3.clone())]);
    let first = small();
    let prior_small = ok_body(&js(&first), &[]);
    let mut again = vec![first[5].clone(), ev(5, 2, 0, 2, &[id(1, 0, 2)], b"b2"), ev(5, 2, 0, 2, &[id(1, 0, 2)], b"b2")];
    again.push(ev(6, 1, 0, 3, &[id(2, 0, 2)], b"a3"));
    push("cut", "cut-duplicates", "on a prior: a re-sent prior head and an event sent twice are duplicates (2), the rest extends the history", Op::Cut, vec![("prior.json", prior_small.clone()), ("carry.omgp", vec![]), ("fresh.bin", binary(&again)), ("horizon.txt", b"1".to_vec())]);
    push(
        "cut",
        "cut-not-before",
        "every event ready, but one depends on an event of the same Lamport time: the batch obstructs (2003) and is dropped",
        Op::Cut,
        vec![("prior.json", vec![]), ("carry.omgp", vec![]), ("fresh.bin", binary(&[ev(4, 1, 0, 0, &[], b"x"), ev(4, 2, 0, 0, &[id(1, 0, 0)], b"y")])), ("horizon.txt", h3.clone())],
    );
    push("cut", "cut-horizon-zero", "horizon 0: refused (3301)", Op::Cut, vec![("prior.json", vec![]), ("carry.omgp", vec![]), ("fresh.bin", vec![]), ("horizon.txt", b"0".to_vec())]);
    let mut torn = omega_core::api::cut::encode_carry(&[omega_core::api::cut::Carried { age: 1, event: orphan.clone() }]);
    torn.push(0);
    push("cut", "cut-carry-trailing", "a carry with a byte after its last entry: refused with its offset (3310)", Op::Cut, vec![("prior.json", vec![]), ("carry.omgp", torn), ("fresh.bin", vec![]), ("horizon.txt", h3.clone())]);
    let mut cut_short = binary(&eq);
    cut_short.truncate(cut_short.len() - 2);
    push("cut", "cut-fresh-truncated", "fresh events cut inside the last payload: refused as op 2 refuses them, naming event 3 (3101)", Op::Cut, vec![("prior.json", vec![]), ("carry.omgp", vec![]), ("fresh.bin", cut_short), ("horizon.txt", h3.clone())]);

    // merge and fraud: certificates of the small history by a 2-of-3 committee
    let keys: Vec<SignerKey> = (0..3).map(key).collect();
    let members: Vec<String> = keys.iter().map(|k| k.verifier().to_string()).collect();
    let mut comm = serde_json::to_vec_pretty(&serde_json::json!({ "threshold": 2, "members": members })).unwrap_or_default();
    comm.push(b'\n');
    let certify = |result: &[u8], k: usize, prev: &[u8]| -> Vec<u8> {
        let r = ops::run(Op::Certify, &make_fields(&[result, b"omega.example/log", keys[k].to_text().as_bytes(), prev, &comm]));
        enc(&cert_of(&r.body))
    };
    let r_x = prior_small.clone();
    let r_y = ok_body(&js(&[ev(1, 1, 0, 0, &[], b"another a0")]), &[]);
    let x0 = certify(&r_x, 0, b"");
    let x1 = certify(&r_x, 1, b"");
    let y0 = certify(&r_y, 0, b"");
    let y1 = certify(&r_y, 1, b"");
    let x2 = certify(&r_x, 2, b"");
    push("certify", "merge-two", "two certificates of one checkpoint, one signature each: one certificate with both, in input order", Op::Merge, vec![("cert-0.bin", x0.clone()), ("cert-1.bin", x1.clone())]);
    let x01 = {
        let mut c = Certificate::read(&x0).unwrap_or_else(|e| panic!("{e}"));
        c.cosign(&keys[1]).unwrap_or_else(|e| panic!("{e}"));
        c.to_note().into_bytes()
    };
    push("certify", "merge-overlap", "a note signed by m0 and m1 with certificates by m2 and m1: lines already present are not repeated", Op::Merge, vec![("cert-0.txt", x01), ("cert-1.bin", x2), ("cert-2.bin", x1.clone())]);
    push("certify", "merge-different-checkpoints", "certificates of two checkpoints do not merge (3607)", Op::Merge, vec![("cert-0.bin", x0.clone()), ("cert-1.bin", y1.clone())]);
    push("certify", "fraud-proven", "m0 signed two checkpoints at height 0: proven, naming m0", Op::Fraud, vec![("committee.json", comm.clone()), ("a.bin", x0.clone()), ("b.bin", y0.clone())]);
    push("certify", "fraud-same-checkpoint", "two certificates of one checkpoint: no contradiction, not proven", Op::Fraud, vec![("committee.json", comm.clone()), ("a.bin", x0.clone()), ("b.bin", x1.clone())]);
    push("certify", "fraud-different-signers", "two checkpoints at height 0 signed by different members: not proven", Op::Fraud, vec![("committee.json", comm.clone()), ("a.bin", x0.clone()), ("b.bin", y1.clone())]);
    let r_z = ok_body(&js(&[ev(9, 5, 0, 0, &[], b"later")]), &r_x);
    let z0 = certify(&r_z, 0, &x0);
    push("certify", "fraud-different-heights", "the same member at heights 0 and 1 is a chain, not fraud", Op::Fraud, vec![("committee.json", comm.clone()), ("a.bin", y0.clone()), ("b.bin", z0)]);
    push("certify", "fraud-bad-committee", "a committee file that is not JSON (3603)", Op::Fraud, vec![("committee.json", b"{".to_vec()), ("a.bin", x0.clone()), ("b.bin", y0)]);

    // op 26 and the world line: a world stepped batch by batch, its hash on each checkpoint
    use omega_core::ecs::{Command, Entity, Op as Cmd};
    let e = |i: u32| Entity { index: i, generation: 0 };
    let fx = |s: &str| s.parse::<omega_core::ecs::fx::Fx>().unwrap_or_default();
    let cmd = |n: u64, c: Command, json: bool| {
        let payload = if json { omega_core::ecs::command::to_json(&c).into_bytes() } else { c.encode() };
        ev(n, 7, 0, n - 1, &[], &payload)
    };
    let world0 = br#"{"seed": 3, "entities": 60}"#.to_vec();
    let batch1 = vec![
        cmd(1, Command { tick: 3, op: Cmd::Spawn { node: 2, target: fx("0.75") } }, false),
        cmd(2, Command { tick: 5, op: Cmd::Link { a: e(0), b: e(40), weight: fx("0.5") } }, true),
        cmd(3, Command { tick: 8, op: Cmd::SetTarget { entity: e(3), value: fx("-2") } }, false),
        ev(2, 8, 0, 0, &[], b"a plain event"),
    ];
    push("cut", "ecs-batch-first", "a 60-entity world from its config through a first batch: commands at ticks 3, 5 (JSON form) and 8 and one plain event; the world steps to tick 8", Op::EcsBatch, vec![("world.json", world0.clone()), ("events.bin", binary(&batch1))]);
    let world_after = |w: &[u8], evs: &[Event]| -> (Vec<u8>, String, u64) {
        use omega_core::api::response::{self, Body};
        let r = ops::run(Op::EcsBatch, &make_fields(&[w, &binary(evs)]));
        let Ok(Body::EcsBatch(b)) = response::parse(Op::EcsBatch, r.status, &r.body) else { panic!("not a batch: {}", String::from_utf8_lossy(&r.body)) };
        (omega_core::certify::note::b64_decode(&b.world).unwrap_or_else(|| panic!("world is base64")), b.state_hash, b.end_tick)
    };
    let (w1, h1, t1) = world_after(&world0, &batch1);
    let batch2 = vec![
        cmd(4, Command { tick: 6, op: Cmd::Sensor { entity: e(5), value: fx("900") } }, false),
        cmd(5, Command { tick: 12, op: Cmd::Unlink { a: e(0), b: e(40) } }, false),
        cmd(6, Command { tick: 15, op: Cmd::Despawn { entity: e(7) } }, true),
        cmd(7, Command { tick: 15, op: Cmd::SetTarget { entity: e(7), value: fx("1") } }, false),
        cmd(8, Command { tick: 5000, op: Cmd::Sensor { entity: e(1), value: fx("1") } }, false),
    ];
    push("cut", "ecs-batch-next", "the next batch on that world (a snapshot at tick 8): tick 6 is late, tick 5000 too far, the set-target of the entity despawned in the same tick refused; the world steps to 15", Op::EcsBatch, vec![("world.omgw", w1.clone()), ("events.bin", binary(&batch2))]);
    let (w2, _, _) = world_after(&w1, &batch2);
    push("cut", "ecs-batch-empty", "a batch with no command: the world still moves one tick", Op::EcsBatch, vec![("world.omgw", w2), ("events.bin", vec![])]);
    let mut torn_world = w1.clone();
    torn_world.truncate(40);
    push("cut", "seal-canonical", "a seal body as a sealer writes it: number, horizon and delay (op 27)", Op::Seal, vec![("body.txt", br#"{"n":12,"horizon":8,"delay":2}"#.to_vec())]);
    push("cut", "seal-not-canonical", "a space in the body: not canonical, so seal 0 with the defaults, on every member alike", Op::Seal, vec![("body.txt", br#"{"n":12, "horizon":8,"delay":2}"#.to_vec())]);
    push("cut", "seal-out-of-range", "horizon 0 in a canonical body: the body's number with the default horizon and delay", Op::Seal, vec![("body.txt", br#"{"n":12,"horizon":0,"delay":2}"#.to_vec())]);
    push("cut", "ecs-batch-bad-world", "a truncated world snapshot (4001)", Op::EcsBatch, vec![("world.omgw", torn_world), ("events.bin", binary(&batch1))]);
    let world_line = format!("{t1} {h1}").into_bytes();
    let with_world = |result: &[u8], prev: Vec<u8>, world: Vec<u8>| -> Vec<(&'static str, Vec<u8>)> {
        vec![("result.json", result.to_vec()), ("origin.txt", b"omega.example/log".to_vec()), ("key.txt", keys[0].to_text().into_bytes()), ("prev.bin", prev), ("committee.json", comm.clone()), ("world.txt", world)]
    };
    push("certify", "certify-world", "a genesis checkpoint with a world line: the batch's history and the world it drives in one certificate (binary version 2)", Op::Certify, with_world(&r_x, vec![], world_line.clone()));
    let xw = {
        let r = ops::run(Op::Certify, &make_fields(&[&r_x, b"omega.example/log", keys[0].to_text().as_bytes(), b"", &comm, &world_line]));
        enc(&cert_of(&r.body))
    };
    push("certify", "certify-world-extend", "the next batch's checkpoint on it, with the world one tick on", Op::Certify, with_world(&r_z, xw.clone(), format!("{} {h1}", t1 + 1).into_bytes()));
    push("certify", "certify-world-dropped", "a successor of a checkpoint with a world line must carry one too (3604)", Op::Certify, with_world(&r_z, xw.clone(), vec![]));
    push("certify", "certify-world-backwards", "a world tick before the previous checkpoint's is refused (3604)", Op::Certify, with_world(&r_z, xw, format!("{} {h1}", t1 - 1).into_bytes()));
    push("certify", "certify-world-malformed", "a world line that is not `<tick> <64 hex>` (3606)", Op::Certify, with_world(&r_x, vec![], b"8 not-a-hash".to_vec()));
    out
}

/// One signature for op 28's request: key, message and signature, in hex.
fn sig_case(key: &str, msg: &[u8], sig: &str) -> serde_json::Value {
    serde_json::json!({ "key": key, "msg": omega_core::hex::encode(msg), "sig": sig })
}

/// A JSON list, one signature per line (so a diff of the request reads per case).
fn sig_list(cases: &[serde_json::Value]) -> Vec<u8> {
    let lines: Vec<String> = cases.iter().map(|c| serde_json::to_string(c).unwrap_or_default()).collect();
    format!("[\n{}\n]\n", lines.join(",\n")).into_bytes()
}

/// Op 29: proofs from C2SP tiles of a tree of 66,000 leaves (leaf `i` is
/// the hash of its index's 8 little-endian bytes): what a first call
/// without tiles names, the proofs once those tiles are given (equal to
/// ops 9 and 10 over the leaves), stand-ins, and what is refused.
/// Witness cosignatures (C2SP tlog-cosignature) and trust policies (op 30):
/// a real checkpoint of a CT log cosigned by four public witnesses, as
/// published; omega witness keys, cosignatures and a committee with a
/// witness; policies judged and refused.
fn witness_cases() -> Vec<(&'static str, FieldCase)> {
    use omega_core::certify::note::ALG_COSIGNATURE_V1;
    let mut out = Vec::new();
    let mut push = |name, about, op, fields: Vec<(&'static str, Vec<u8>)>| out.push(("witness", FieldCase { name, about, op, fields }));
    // The staging CT log arche2025h1, signed by the log (and an RFC 6962 STH
    // signature, type 0x05, which no key here reads) and cosigned by four
    // witnesses of the public witness network on 2026-05-23. Remora's key is
    // transparency-dev/formats' test key; the others are built from the hex
    // keys the witnesses publish (key ids and signatures check).
    let arche = "arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n\
\u{2014} arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n\
\u{2014} arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n\
\u{2014} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n\
\u{2014} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n\
\u{2014} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n\
\u{2014} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n";
    let log = "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
    let witnesses = [
        ("little-garden", "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM"),
        ("smartit", "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO"),
        ("remora", "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"),
        ("stagemole", "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv"),
    ];
    let b = |s: &str| s.as_bytes().to_vec();
    let mut policy = format!("# the log and the witnesses that cosigned its checkpoint\nlog {log}\n\n");
    for (n, k) in witnesses {
        policy.push_str(&format!("witness {n} {k}\n"));
    }
    let three = format!("{policy}group three 3 little-garden smartit remora stagemole\nquorum three\n");
    let all = format!("{policy}group every all little-garden smartit remora stagemole\nquorum every\n");
    let one_off = arche.replace("2net5wAAAABqEiEgPlfF", "2net5wAAAABqEiEgPlfG");
    push(
        "note-verify-arche",
        "a CT log's checkpoint with four witness cosignatures, checked against the log's key and remora's witness key (type 0x04): valid, with the cosignature's timestamp",
        Op::NoteVerify,
        vec![("note.txt", b(arche)), ("vkey0.txt", b(log)), ("vkey1.txt", b(witnesses[2].1))],
    );
    push(
        "note-verify-arche-timestamp-changed",
        "the same note with remora's timestamp moved by one second: its cosignature no longer verifies",
        Op::NoteVerify,
        vec![("note.txt", b(&arche.replace("2net5wAAAABqEiEg", "2net5wAAAABqEiEh"))), ("vkey0.txt", b(witnesses[2].1))],
    );
    push("policy-arche-3-of-4", "the checkpoint under a policy of its log and a 3-of-4 group of its witnesses: valid", Op::PolicyVerify, vec![("policy.txt", b(&three)), ("note.txt", b(arche))]);
    push(
        "policy-arche-one-bad-3-of-4",
        "one cosignature altered: reported as invalid, never counted, and 3 of 4 still meet the quorum",
        Op::PolicyVerify,
        vec![("policy.txt", b(&three)), ("note.txt", b(&one_off))],
    );
    push("policy-arche-one-bad-all", "one cosignature altered, under a policy that needs all four: invalid", Op::PolicyVerify, vec![("policy.txt", b(&all)), ("note.txt", b(&one_off))]);
    push(
        "policy-arche-root-changed",
        "one letter of the root changed: the log's signature and every cosignature fail",
        Op::PolicyVerify,
        vec![("policy.txt", b(&three)), ("note.txt", b(&arche.replace("U7WM79", "U7WM7A")))],
    );
    push(
        "policy-member-twice",
        "a policy naming one witness in two groups: refused (3507), as the specification asks",
        Op::PolicyVerify,
        vec![("policy.txt", b(&format!("{policy}group a any remora smartit\ngroup b any remora\nquorum a\n"))), ("note.txt", b(arche))],
    );
    push(
        "policy-undefined-quorum",
        "a quorum naming a group no earlier line defines: refused (3507)",
        Op::PolicyVerify,
        vec![("policy.txt", b(&format!("quorum later\n{policy}group later any remora\n"))), ("note.txt", b(arche))],
    );
    // op 31: an omega witness cosigns any log's checkpoint
    let w_key = SignerKey::from_seed_typed("witness.example/w", ALG_COSIGNATURE_V1, [9; 32]).unwrap_or_else(|e| panic!("{e}"));
    push(
        "note-sign-witness-arche",
        "omega's witness cosigns the CT checkpoint at a given time: the note with its line appended, and the line alone",
        Op::NoteSign,
        vec![("note.txt", b(arche)), ("key.txt", b(&w_key.to_text())), ("time.txt", b("1780000000"))],
    );
    let text = arche.split("\n\n").next().map(|t| format!("{t}\n")).unwrap_or_default();
    push(
        "note-sign-bare-text",
        "a bare checkpoint text (no blank line) cosigned: a note of one line",
        Op::NoteSign,
        vec![("note.txt", b(&text)), ("key.txt", b(&w_key.to_text())), ("time.txt", b("1780000000"))],
    );
    push("note-sign-no-newline", "a bare text that does not end in a newline: refused (3501)", Op::NoteSign, vec![("note.txt", b("a\nb\nc")), ("key.txt", b(&w_key.to_text())), ("time.txt", b("1"))]);
    push("note-sign-witness-no-time", "a witness key with no timestamp: refused (3503)", Op::NoteSign, vec![("note.txt", b(&text)), ("key.txt", b(&w_key.to_text()))]);
    // omega's own witness keys
    push("keygen-witness", "a witness key pair (cosignature/v1, type 0x04) from a name and a fixed seed", Op::Keygen, vec![("name.txt", b("witness.example/w")), ("seed.bin", vec![9; 32]), ("type.txt", b("witness"))]);
    let member = SignerKey::from_seed("omega.example/m0", [1; 32]).unwrap_or_else(|e| panic!("{e}"));
    let witness = SignerKey::from_seed_typed("witness.example/w", ALG_COSIGNATURE_V1, [9; 32]).unwrap_or_else(|e| panic!("{e}"));
    let r1 = ok_body(&js(&small()), &[]);
    let member_text = member.to_text();
    let fields = [r1.as_slice(), b"omega.example/log", member_text.as_bytes()];
    let c = cert_of(&ops::run(Op::Certify, &make_fields(&fields)).body);
    push(
        "cosign-witness",
        "a witness cosigns a member's certificate at a given time: a 72-byte cosignature/v1 line",
        Op::Cosign,
        vec![("cert.bin", enc(&c)), ("key.txt", b(&witness.to_text())), ("time.txt", b("1780000000"))],
    );
    push("cosign-witness-no-time", "a witness key with no timestamp: refused (3503)", Op::Cosign, vec![("cert.bin", enc(&c)), ("key.txt", b(&witness.to_text()))]);
    let other = SignerKey::from_seed("omega.example/m1", [2; 32]).unwrap_or_else(|e| panic!("{e}"));
    push("cosign-note-key-with-time", "a note key given a timestamp: refused (3503); only a witness signs one", Op::Cosign, vec![("cert.bin", enc(&c)), ("key.txt", b(&other.to_text())), ("time.txt", b("1780000000"))]);
    push(
        "certify-witness-key",
        "a witness key cannot make a certificate, only cosign one (3605)",
        Op::Certify,
        vec![("result.json", r1.clone()), ("origin.txt", b("omega.example/log")), ("key.txt", b(&witness.to_text()))],
    );
    let mut cw = c.clone();
    cw.cosign_at(&witness, Some(1_780_000_000)).unwrap_or_else(|e| panic!("{e}"));
    let comm = serde_json::to_vec_pretty(&serde_json::json!({ "threshold": 2, "members": [member.verifier().to_string(), witness.verifier().to_string()] })).unwrap_or_default();
    push("verify-committee-with-witness", "a 2-of-2 committee of a member and a witness, both signed: valid", Op::Verify, vec![("cert.bin", enc(&cw)), ("committee.json", comm.clone())]);
    let mut moved = cw.clone();
    if let Some(s) = moved.signatures.get_mut(1).and_then(|s| s.sig.get_mut(7)) {
        *s ^= 1;
    }
    push(
        "verify-committee-witness-time-moved",
        "the witness's timestamp moved by one second: its cosignature fails (3703) and the quorum is not met",
        Op::Verify,
        vec![("cert.bin", enc(&moved)), ("committee.json", comm)],
    );
    out
}

fn tile_cases() -> Vec<(&'static str, FieldCase)> {
    use omega_core::tree::tiles::{Edge, Tile};
    const SIZE: u64 = 66_000;
    const NAMES: [(&str, &str); 8] = [
        ("path0.txt", "tile0.bin"),
        ("path1.txt", "tile1.bin"),
        ("path2.txt", "tile2.bin"),
        ("path3.txt", "tile3.bin"),
        ("path4.txt", "tile4.bin"),
        ("path5.txt", "tile5.bin"),
        ("path6.txt", "tile6.bin"),
        ("path7.txt", "tile7.bin"),
    ];
    let leaves: Vec<omega_core::Hash> = (0..SIZE).map(|i| omega_core::tree::merkle::leaf_hash(&i.to_le_bytes())).collect();
    let mut store = std::collections::BTreeMap::new();
    let mut e = Edge::new();
    // written at 65,000 and then at 66,000, so partial tiles of both sizes exist
    store.extend(e.extend(&leaves[..65_000]));
    store.extend(e.extend(&leaves[65_000..]));
    let root = omega_core::hex::encode(&e.root());
    let head = |kind: &str, at: u64, size: u64, root: &str| -> Vec<(&'static str, Vec<u8>)> {
        vec![("kind.txt", kind.as_bytes().to_vec()), ("at.txt", at.to_string().into_bytes()), ("size.txt", size.to_string().into_bytes()), ("root.txt", root.as_bytes().to_vec())]
    };
    // the tiles a call names, each from the store: its own width, else the narrowest wider one
    let with = |kind: &str, at: u64, size: u64, root: &str, change: Option<usize>| -> Vec<(&'static str, Vec<u8>)> {
        let mut f = head(kind, at, size, root);
        let first = ops::run(Op::ProveTiles, &make_fields(&f.iter().map(|x| x.1.as_slice()).collect::<Vec<_>>()));
        let v: serde_json::Value = serde_json::from_slice(&first.body).unwrap_or_else(|e| panic!("{e}"));
        for (k, p) in v["tiles"].as_array().unwrap_or_else(|| panic!("no tiles named: {v}")).iter().enumerate() {
            let (t, _) = Tile::parse(p.as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
            let (given, bytes) = store.range(t..=Tile { width: 256, ..t }).next().unwrap_or_else(|| panic!("no {}", t.path()));
            if f.iter().any(|(_, b)| *b == given.path().into_bytes()) {
                continue;
            }
            let mut bytes = bytes.clone();
            if change == Some(k) {
                bytes[40] ^= 1;
            }
            let (pn, tn) = NAMES[k];
            f.push((pn, given.path().into_bytes()));
            f.push((tn, bytes));
        }
        f
    };
    let mut out = Vec::new();
    let mut push = |name, about, fields: Vec<(&'static str, Vec<u8>)>| out.push(("tiles", FieldCase { name, about, op: Op::ProveTiles, fields }));
    push("tiles-inclusion-need", "leaf 1,000 of 66,000 with no tiles given: status 1, the tiles the proof and the root need", head("inclusion", 1000, SIZE, ""));
    push("tiles-inclusion", "leaf 1,000 of 66,000 with the tiles named and the trusted root: op 9's proof, byte for byte", with("inclusion", 1000, SIZE, &root, None));
    push("tiles-inclusion-last", "the last leaf of 66,000, without a trusted root (the root comes from the tiles)", with("inclusion", SIZE - 1, SIZE, "", None));
    push("tiles-consistency-need", "65,000 to 66,000 with no tiles: the tiles of both sizes' edges", head("consistency", 65_000, SIZE, &root));
    push("tiles-consistency", "65,000 to 66,000 with the tiles named: op 10's proof", with("consistency", 65_000, SIZE, &root, None));
    push(
        "tiles-consistency-wider",
        "1,000 to 66,000: the partial tiles of size 1,000 stood in for by the wider tiles of their index",
        with("consistency", 1000, SIZE, &root, None),
    );
    push("tiles-changed", "leaf 1,000 with one byte of a tile changed and the trusted root: refused (3414)", with("inclusion", 1000, SIZE, &root, Some(0)));
    push("tiles-bad-path", "a path that is not C2SP's spelling (tile/0/1): refused (3412)", {
        let mut f = head("inclusion", 1, 3, "");
        f.push(("path0.txt", b"tile/0/1".to_vec()));
        f.push(("tile0.bin", vec![0; 96]));
        f
    });
    push("tiles-short", "a tile shorter than its width: refused (3411)", {
        let mut f = head("inclusion", 1, 3, "");
        f.push(("path0.txt", b"tile/0/000.p/3".to_vec()));
        f.push(("tile0.bin", vec![0; 64]));
        f
    });
    push("tiles-out-of-range", "leaf 3 of a tree of 3: refused (3401)", head("inclusion", 3, 3, ""));
    out
}

/// Reads a published vector file from `tests/ed25519/`.
fn published(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ed25519").join(name);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Op 28: the C2SP CCTV and Wycheproof Ed25519 vectors (tests/ed25519/, as
/// published), omega's own edge cases, and refused requests.
fn ed25519_cases() -> Vec<(&'static str, FieldCase)> {
    let mut out = Vec::new();
    let mut push = |name, about, fields: Vec<(&'static str, Vec<u8>)>| out.push(("ed25519", FieldCase { name, about, op: Op::Ed25519Verify, fields }));
    let str_of = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_else(|| panic!("no `{k}` in {v}")).to_string();
    let cctv = published("cctv-ed25519vectors.json");
    let cctv: Vec<serde_json::Value> = cctv
        .as_array()
        .unwrap_or_else(|| panic!("CCTV vectors: not a list"))
        .iter()
        .map(|v| sig_case(&str_of(v, "key"), str_of(v, "msg").as_bytes(), &str_of(v, "sig")))
        .collect();
    push("ed25519-cctv", "the 914 C2SP CCTV edge-case vectors (small-order and non-canonical A and R, mixed-order points): omega accepts only the one without flags", vec![("signatures.json", sig_list(&cctv))]);
    let wp = published("wycheproof-ed25519_test.json");
    let mut wcases = Vec::new();
    for g in wp["testGroups"].as_array().unwrap_or_else(|| panic!("Wycheproof: no testGroups")) {
        let pk = str_of(&g["publicKey"], "pk");
        for t in g["tests"].as_array().unwrap_or_else(|| panic!("Wycheproof: no tests")) {
            let msg = omega_core::hex::decode(&str_of(t, "msg")).unwrap_or_else(|| panic!("Wycheproof: msg not hex"));
            wcases.push(sig_case(&pk, &msg, &str_of(t, "sig")));
        }
    }
    push("ed25519-wycheproof", "the 151 Wycheproof EdDSA (Ed25519) verify vectors: every `valid` one verifies, every `invalid` one is refused", vec![("signatures.json", sig_list(&wcases))]);
    // omega's own: a note signature, then one case per reason the vectors above may not reach
    let k = key(0);
    let pk = omega_core::hex::encode(k.verifier().public());
    let msg = b"omega.example/log\n9\n";
    let sig = k.sign(msg);
    let good = omega_core::hex::encode(&sig);
    let mut not_on_curve = [0u8; 32];
    not_on_curve[0] = 2;
    let mut flipped = sig;
    flipped[40] ^= 1;
    let mut y_minus_1 = [0xffu8; 32];
    y_minus_1[0] = 0xec;
    y_minus_1[31] = 0x7f;
    let mut high_s = sig;
    high_s[63] |= 0xf0;
    let own = [
        sig_case(&pk, msg, &good),
        sig_case(&pk[..62], msg, &good),
        sig_case(&omega_core::hex::encode(&not_on_curve), msg, &good),
        sig_case(&omega_core::hex::encode(&y_minus_1), msg, &good),
        sig_case(&pk, msg, &good[..126]),
        sig_case(&pk, msg, &omega_core::hex::encode(&high_s)),
        sig_case(&pk, b"omega.example/log\n10\n", &good),
        sig_case(&pk, msg, &omega_core::hex::encode(&flipped)),
        sig_case(&pk, msg, &format!("{}{}", omega_core::hex::encode(&not_on_curve), &good[64..])),
    ];
    push("ed25519-omega", "an omega key's signature, then a key of 31 bytes, a key off the curve, a key of order 2, a signature of 63 bytes, S far above the group order, another message, a flipped bit of S, and R off the curve", vec![("signatures.json", sig_list(&own))]);
    push("ed25519-empty", "no signatures: nothing checked, status 0", vec![("signatures.json", b"[]\n".to_vec())]);
    push("ed25519-not-json", "a request that is not JSON (3001)", vec![("signatures.json", b"[{\"key\": }]".to_vec())]);
    push("ed25519-not-a-list", "an object instead of a list (3002)", vec![("signatures.json", b"{\"key\":\"\",\"msg\":\"\",\"sig\":\"\"}\n".to_vec())]);
    push("ed25519-unknown-field", "a signature with a field besides key, msg and sig (3002, naming it and its index)", vec![("signatures.json", b"[{\"key\":\"\",\"msg\":\"\",\"sig\":\"\",\"note\":\"\"}]\n".to_vec())]);
    push("ed25519-missing-field", "a signature without its message (3002, naming `msg` and its index)", vec![("signatures.json", b"[{\"key\":\"\",\"sig\":\"\"}]\n".to_vec())]);
    push("ed25519-bad-hex", "uppercase hex in a signature (3004, naming `sig` and its index)", vec![("signatures.json", format!("[{},\n{{\"key\":\"{pk}\",\"msg\":\"\",\"sig\":\"{}\"}}]\n", serde_json::to_string(&own[0]).unwrap_or_default(), good.to_uppercase()).into_bytes())]);
    push("ed25519-duplicate-key", "a signature object that gives `sig` twice (3007)", vec![("signatures.json", b"[{\"key\":\"\",\"msg\":\"\",\"sig\":\"\",\"sig\":\"\"}]\n".to_vec())]);
    out
}

/// A case's manifest entry: `op`, `request` and `status` from the call, the rest as named.
fn entry(name: &str, about: &str, op: Op, request: Request, expected: &str, status: u8) -> vectors::Case {
    let op = omega_core::api::Op::try_from(op).unwrap_or_else(|e| panic!("case {name}: {e}"));
    vectors::Case { name: name.to_string(), about: about.to_string(), op, request, expected: expected.to_string(), status }
}

fn render() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut manifest = Vec::new();
    for c in cases() {
        let input = format!("reconcile/{}.in.{}", c.name, c.input_ext);
        let prior = c.prior.as_ref().map(|_| format!("reconcile/{}.prior.json", c.name));
        let expected = format!("reconcile/{}.out.json", c.name);
        let resp = ops::run(c.op, &abi::make_request(&c.input, c.prior.as_deref().unwrap_or(&[])));
        let request = Request::Reconcile { input: input.clone(), prior: prior.clone() };
        manifest.push(entry(c.name, c.about, c.op, request, &expected, resp.status));
        files.insert(PathBuf::from(&input), c.input);
        if let (Some(p), Some(bytes)) = (prior, c.prior) {
            files.insert(PathBuf::from(p), bytes);
        }
        files.insert(PathBuf::from(expected), resp.body);
    }
    let field_cases = field_cases().into_iter().map(|c| ("certify", c)).chain(cluster_cases()).chain(ed25519_cases()).chain(tile_cases()).chain(witness_cases());
    for (dir, c) in field_cases {
        let expected = format!("{dir}/{}.out.json", c.name);
        let paths: Vec<String> = c.fields.iter().map(|(f, _)| format!("{dir}/{}.{f}", c.name)).collect();
        let resp = ops::run(c.op, &make_fields(&c.fields.iter().map(|f| f.1.as_slice()).collect::<Vec<_>>()));
        manifest.push(entry(c.name, c.about, c.op, Request::Fields(paths.clone()), &expected, resp.status));
        for (p, (_, bytes)) in paths.iter().zip(c.fields) {
            files.insert(PathBuf::from(p), bytes);
        }
        files.insert(PathBuf::from(expected), resp.body);
    }
    let text = Manifest::new(manifest).to_json();
    // Never write a manifest the readers (this module's parser, tests/js/manifest.mjs) would refuse.
    if let Err(e) = Manifest::parse(&text) {
        panic!("gen-vectors made a manifest its own reader refuses: {e}");
    }
    files.insert(PathBuf::from(vectors::FILE_NAME), text);
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
                // Remove what the generator no longer makes, so the folder holds only live cases.
                if let Ok(rd) = std::fs::read_dir(dir) {
                    for entry in rd.flatten() {
                        let rel = path.parent().and_then(|d| d.strip_prefix(&root).ok()).map(|d| d.join(entry.file_name()));
                        if rel.is_some_and(|r| r.components().count() == 2 && !files.contains_key(&r)) {
                            let _ = std::fs::remove_file(entry.path());
                        }
                    }
                }
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
        for dir in ["reconcile", "certify", "cut", "ed25519", "tiles"] {
            if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
                for entry in rd.flatten() {
                    let rel = PathBuf::from(dir).join(entry.file_name());
                    if !files.contains_key(&rel) {
                        bad += 1;
                        eprintln!("stale (not generated): {}", root.join(rel).display());
                    }
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
