//! `api::session`: an ECS session stepped in any chunking answers what ONE
//! op-19 call of the summed ticks answers, byte for byte (the steps' reports
//! concatenated, the last step's body otherwise), with events, an injected
//! flip, a snapshot start and every mode; and it refuses what op 19 refuses,
//! with the same bytes.
#![cfg(feature = "json")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // a test fails by panicking
use omega_core::api::abi::{self, Response, STATUS_ERROR, STATUS_OK};
use omega_core::api::code;
use omega_core::api::Op;
use omega_core::api::ops::make_fields;
use omega_core::api::response::{self, EcsRunReport};
use omega_core::api::session::{EcsSession, Slot, decode_mode};

const CONFIG: &[u8] = br#"{"seed":3,"entities":30,"nodes":3,"edges_per_entity":2}"#;
const INJECT: &[u8] = b"1200:5:0:pid:17";

fn b64(b: &[u8]) -> String {
    omega_core::certify::note::b64(b)
}

/// An event history (one stream) whose payloads are world commands at
/// ticks across the first 2,000 and one payload that is not a command.
fn events() -> Vec<u8> {
    let payloads: Vec<Vec<u8>> = [
        r#"{"tick":3,"op":"spawn","node":1,"target":"0.5"}"#,
        r#"{"tick":3,"op":"despawn","entity":"4:0"}"#,
        r#"{"tick":3,"op":"set_target","entity":"4:0","value":"2"}"#,
        r#"{"tick":17,"op":"link","a":"1:0","b":"2:0","weight":"0.75"}"#,
        "not a command",
        r#"{"tick":999,"op":"sensor","entity":"7:0","value":"-3.25"}"#,
        r#"{"tick":1000,"op":"set_target","entity":"9:0","value":"-1"}"#,
        r#"{"tick":1001,"op":"unlink","a":"1:0","b":"2:0"}"#,
        r#"{"tick":1500,"op":"spawn","node":2,"target":"0.125"}"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let evs: Vec<String> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let seq = i as u64;
            format!(r#"{{"lamport":{},"node":1,"stream":0,"seq":{seq},"id":"{:08x}{:04x}{seq:016x}","payload":"{}"}}"#, seq + 1, 1, 0, b64(p))
        })
        .collect();
    format!("[{}]", evs.join(",")).into_bytes()
}

fn op19(start: &[u8], ticks: u64, events: &[u8], mode: &str, inject: &[u8]) -> Response {
    abi::call(Op::EcsRun.code(), &make_fields(&[start, ticks.to_string().as_bytes(), events, mode.as_bytes(), inject]))
}

fn parse(r: &Response) -> EcsRunReport {
    assert_eq!(r.status, STATUS_OK, "{}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).unwrap()
}

/// A world at tick 7 of the run, as a snapshot.
fn snapshot_start(events: &[u8]) -> Vec<u8> {
    let v = parse(&op19(CONFIG, 7, events, "snapshot", INJECT));
    omega_core::certify::note::b64_decode(&v.snapshot.unwrap()).unwrap()
}

/// Opens a session (its `ticks` and `mode` fields say nothing) and steps
/// it by `chunks`: every step but the last in `reports` (or `summary` when
/// `mode` has no reports), the last in `mode`. The last body with the steps'
/// reports concatenated into it.
fn stepped(start: &[u8], events: &[u8], inject: &[u8], chunks: &[u64], mode: &str) -> (Response, Vec<u8>) {
    let mut s = EcsSession::open_request(&make_fields(&[start, b"123456", events, b"summary", inject])).unwrap();
    let last_mode = decode_mode(mode.as_bytes()).unwrap();
    let mid = decode_mode(if last_mode.reports { b"reports" } else { b"summary" }).unwrap();
    let mut reports = Vec::new();
    let mut last = None;
    for (i, &n) in chunks.iter().enumerate() {
        let r = s.step(n, if i + 1 == chunks.len() { last_mode } else { mid });
        let v = parse(&r);
        assert_eq!(v.reports.as_ref().map(Vec::len), last_mode.reports.then_some(n as usize), "step {i} reports its own ticks only");
        reports.extend(v.reports.clone().unwrap_or_default());
        last = Some((r, v));
    }
    let (r, mut v) = last.unwrap();
    if last_mode.reports {
        v.reports = Some(reports);
    }
    (r, response::to_json(&v))
}

#[test]
fn steps_in_any_chunking_equal_one_op_19_call_byte_for_byte() {
    let events = events();
    let snap = snapshot_start(&events);
    let chunkings: &[&[u64]] = &[&[2100], &[1, 1, 1, 2097], &[999, 1, 1, 1099], &[500, 500, 500, 500, 100], &[0, 7, 0, 2093, 0], &[1000, 1000, 100]];
    let modes = ["reports", "", "summary", "snapshot", "reports,snapshot", "reports,snapshot,prestep", "prestep"];
    for (start, what) in [(CONFIG, "config"), (&snap[..], "snapshot")] {
        // no inputs, and both (each alone runs the same code paths)
        for (inject, ev) in [(&b""[..], &b""[..]), (INJECT, &events[..])] {
            for mode in modes {
                let one = op19(start, 2100, ev, mode, inject);
                assert_eq!(one.status, STATUS_OK);
                for chunks in chunkings {
                    let (last, joined) = stepped(start, ev, inject, chunks, mode);
                    let ctx = format!("{what} start, inject {:?}, events {}, mode {mode:?}, chunks {chunks:?}", String::from_utf8_lossy(inject), !ev.is_empty());
                    assert!(joined == one.body, "{ctx}:\n{}\n---\n{}", String::from_utf8_lossy(&joined), String::from_utf8_lossy(&one.body));
                    if chunks.len() == 1 || !decode_mode(mode.as_bytes()).unwrap().reports {
                        // nothing to join: the last step's bytes are op 19's
                        assert!(last.body == one.body, "{ctx}");
                    }
                }
            }
        }
    }
}

#[test]
fn the_bodies_say_what_the_run_did() {
    let events = events();
    let one = parse(&op19(CONFIG, 2100, &events, "summary", INJECT));
    assert_eq!((one.start_tick, one.end_tick), (0, 2100));
    assert_eq!(one.checkpoints.iter().map(|c| c.tick).collect::<Vec<_>>(), [1000, 2000]);
    assert_eq!(one.history.tree_size, 9);
    assert_eq!(one.undecodable.len(), 1, "the payload that is not a command");
    // from a snapshot at tick 7: the run starts there
    let s = parse(&op19(&snapshot_start(&events), 10, &events, "summary", INJECT));
    assert_eq!((s.start_tick, s.end_tick), (7, 17));
}

#[test]
fn a_prestep_leaves_the_session_where_it_was() {
    let events = events();
    let open = make_fields(&[CONFIG, b"0", &events, b"", INJECT]);
    let mut s = EcsSession::open_request(&open).unwrap();
    let prestep = decode_mode(b"snapshot,prestep").unwrap();
    // 1199 ticks, then the start of tick 1200 (its injected flip): op 19's answer
    let r = s.step(1199, prestep);
    assert_eq!(r, op19(CONFIG, 1199, &events, "snapshot,prestep", INJECT));
    assert_ne!(r, op19(CONFIG, 1199, &events, "snapshot", INJECT), "the prestep changes the snapshot");
    // a prestep of 0 ticks, twice: the same answer (nothing is applied twice)
    assert_eq!(s.step(0, prestep), r);
    assert_eq!(s.step(0, prestep), r);
    // and the run goes on as if no prestep had been asked
    let rest = s.step(901, decode_mode(b"reports,snapshot").unwrap());
    let whole = parse(&op19(CONFIG, 2100, &events, "reports,snapshot", INJECT));
    let rest = parse(&rest);
    assert_eq!(rest.reports.as_deref(), whole.reports.as_ref().map(|r| &r[1199..]));
    assert_eq!((rest.snapshot, rest.digest, rest.state_hash, rest.checkpoints), (whole.snapshot, whole.digest, whole.state_hash, whole.checkpoints));
}

#[test]
fn a_session_refuses_what_op_19_refuses_with_the_same_bytes() {
    let events = events();
    let obstructing = br#"[{"lamport":1,"node":1,"stream":0,"seq":2,"id":"0000000100000000000000000002","payload":""}]"#;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (make_fields(&[b"{\"seed\":1,\"colour\":2}", b"5", b"", b"", b""]), "unknown config field"),
        (make_fields(&[b"{\"nodes\":0}", b"5", b"", b"", b""]), "nodes out of range"),
        (make_fields(&[b"{\"entities\":4000000000}", b"5", b"", b"", b""]), "too large"),
        (make_fields(&[b"OMGW garbage", b"5", b"", b"", b""]), "bad snapshot"),
        (make_fields(&[CONFIG, b"5", b"not json", b"", b""]), "bad events"),
        (make_fields(&[CONFIG, b"5", obstructing, b"", b""]), "an obstructing history"),
        (make_fields(&[CONFIG, b"5", &events, b"", b"1:2:3"]), "bad inject"),
        (make_fields(&[CONFIG, b"5", &events, b"loud", b""]), "bad mode"),
        (make_fields(&[CONFIG, b"five", &events, b"", b""]), "bad ticks"),
        (make_fields(&[CONFIG]), "no ticks"),
        (b"\xff\xff".to_vec(), "not fields"),
    ];
    let mut slot = Slot::new();
    for (req, what) in &cases {
        let want = abi::call(Op::EcsRun.code(), req);
        assert_eq!(want.status, STATUS_ERROR, "{what}: op 19 refuses it");
        // an open session is closed by a refused open
        assert_eq!(slot.open(&make_fields(&[CONFIG, b"0", b"", b"", b""])).status, STATUS_OK);
        assert!(slot.session().is_some());
        assert_eq!(slot.open(req), want, "{what}");
        assert!(slot.session().is_none(), "{what}");
        assert_eq!(EcsSession::open_request(req).unwrap_err().to_response(), want, "{what}");
    }
}

#[test]
fn the_slot_opens_steps_and_closes() {
    let events = events();
    let mut slot = Slot::new();
    let no_session = slot.step(5, b"");
    assert_eq!(no_session.status, STATUS_ERROR);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&no_session.body).unwrap()["code"], code::BAD_REQUEST);
    // open answers op 19's summary of 0 ticks
    let open = make_fields(&[CONFIG, b"2100", &events, b"reports", INJECT]);
    assert_eq!(slot.open(&open), op19(CONFIG, 0, &events, "summary", INJECT));
    // a bad mode is op 19's error, and the session is untouched
    assert_eq!(slot.step(5, b"reports,loud"), op19(CONFIG, 5, &events, "reports,loud", INJECT));
    // an empty mode is op 19's default (reports)
    assert_eq!(slot.step(2100, b""), op19(CONFIG, 2100, &events, "", INJECT));
    // a new open starts over
    assert_eq!(slot.open(&open).status, STATUS_OK);
    assert_eq!(slot.step(10, b"snapshot"), op19(CONFIG, 10, &events, "snapshot", INJECT));
    slot.close();
    assert!(slot.session().is_none());
    assert_eq!(slot.step(1, b""), no_session);
    slot.close();
}
