//! Witness cosignatures (C2SP tlog-cosignature, key type 0x04) and trust
//! policies (C2SP tlog-policy, op 30): a real checkpoint of a CT log
//! cosigned by four public witnesses checks out (and fails with one letter
//! changed); each rule of the policy format refuses what breaks it; a
//! witness key cosigns an omega certificate and counts in a committee; and
//! any bytes given as a policy are refused or read, never a panic.
use omega_core::api::request::make_fields;
use omega_core::api::{Op, abi};
use omega_core::certify::cert::{self, Committee};
use omega_core::certify::note::{self, LineCheck, Note, SignerKey, VerifierKey};
use omega_core::certify::policy::{Member, Policy};
use proptest::prelude::*;
use serde_json::Value;

/// A checkpoint of the staging CT log arche2025h1, signed by the log and
/// cosigned by four witnesses of the public witness network (2026-05-23),
/// as tests/src/bin/gen-vectors.rs writes it (with where its keys come from).
const ARCHE: &str = include_str!("../../tests/vectors/witness/note-verify-arche.note.txt");
/// The log's key and the four witnesses', as a policy (quorum: 3 of 4).
const ARCHE_POLICY: &str = include_str!("../../tests/vectors/witness/policy-arche-3-of-4.policy.txt");
const WHEN: u64 = 1_779_573_024;

/// The log's verifier key, and each witness's name and verifier key.
fn arche_keys() -> (String, Vec<(String, String)>) {
    let p = Policy::parse(ARCHE_POLICY.as_bytes()).unwrap();
    (p.logs[0].key.to_string(), p.witnesses.iter().map(|w| (w.name.clone(), w.key.to_string())).collect())
}

fn op(op: Op, fields: &[&[u8]]) -> (u8, Value) {
    let r = abi::call(op.code(), &make_fields(fields));
    (r.status, serde_json::from_slice(&r.body).unwrap())
}

fn policy_text(quorum: &str) -> String {
    let (log, witnesses) = arche_keys();
    let mut p = format!("# arche and the witnesses that cosigned it\nlog {log} https://arche2025h1.staging.ct.transparency.dev/\n\n");
    for (n, k) in &witnesses {
        p.push_str(&format!("witness {n}\t{k}\n"));
    }
    p.push_str("group some 3 little-garden smartit remora stagemole\n");
    p.push_str(quorum);
    p
}

#[test]
fn a_real_cosigned_checkpoint_verifies_by_note_and_by_policy() {
    let (log, witnesses) = arche_keys();
    let remora = VerifierKey::parse(&witnesses[2].1).unwrap();
    assert!(remora.is_cosigner());
    assert_eq!(remora.id(), 0xda77ade7);
    let n = Note::parse(ARCHE.as_bytes()).unwrap();
    let line = n.signatures.iter().find(|s| s.name == "remora.n621.de").unwrap();
    assert_eq!(remora.check(n.text.as_bytes(), &line.sig), LineCheck::Valid { timestamp: Some(WHEN) });

    // op 22: the log's key and each witness's, with their timestamps
    let mut keys: Vec<&[u8]> = vec![ARCHE.as_bytes(), log.as_bytes()];
    keys.extend(witnesses.iter().map(|(_, k)| k.as_bytes()));
    let (status, body) = op(Op::NoteVerify, &keys);
    assert_eq!(status, 0, "{body}");
    assert_eq!(body["verified_by"].as_array().unwrap().len(), 5);
    let lines = body["signatures"].as_array().unwrap();
    assert_eq!(lines[0]["status"], "unknown_key"); // the RFC 6962 STH signature (type 0x05)
    assert_eq!(lines[1]["status"], "valid");
    assert!(lines[1].get("timestamp").is_none());
    for l in &lines[2..] {
        assert_eq!((l["status"].as_str(), l["timestamp"].as_u64()), (Some("valid"), Some(WHEN)), "{l}");
    }

    // op 30
    let (status, body) = op(Op::PolicyVerify, &[policy_text("quorum some\n").as_bytes(), ARCHE.as_bytes()]);
    assert_eq!(status, 0, "{body}");
    assert_eq!(body["log"], log.as_str());
    assert_eq!(body["tree_size"], 1432088532u64);
    assert_eq!(body["groups"][0]["witnessed"], 4);
    assert_eq!(body["quorum_met"], true);

    // one letter of the root changed: neither the log nor any witness verifies
    let forged = ARCHE.replace("U7WM79", "U7WM7A");
    let (status, body) = op(Op::PolicyVerify, &[policy_text("quorum some\n").as_bytes(), forged.as_bytes()]);
    assert_eq!(status, 1, "{body}");
    assert_eq!(body["log"], Value::Null);
    assert!(body["witnesses"].as_array().unwrap().iter().all(|w| w["status"] == "invalid"));
    // one cosignature changed: 3 of 4 still meet `3`, not `all`
    let one = ARCHE.replace("2net5wAAAABqEiEgPlfF", "2net5wAAAABqEiEgPlfG");
    let (status, body) = op(Op::PolicyVerify, &[policy_text("quorum some\n").as_bytes(), one.as_bytes()]);
    assert_eq!(status, 0, "{body}");
    assert_eq!(body["witnesses"][2]["status"], "invalid");
    assert_eq!(body["problems"].as_array().unwrap().len(), 1);
    let all = policy_text("group every all some\nquorum every\n").replace("group some 3", "group some all");
    let (status, body) = op(Op::PolicyVerify, &[all.as_bytes(), one.as_bytes()]);
    assert_eq!(status, 1, "{body}");
    assert_eq!(body["quorum_met"], false);
    // a timestamp changed: the signed message changes with it
    let t = ARCHE.replace("2net5wAAAABqEiEg", "2net5wAAAABqEiEh");
    let (status, _) = op(Op::NoteVerify, &[t.as_bytes(), witnesses[2].1.as_bytes()]);
    assert_eq!(status, 1);
}

#[test]
fn policies_without_logs_or_witnesses() {
    let (log, witnesses) = arche_keys();
    // no log: any log is accepted, the quorum decides
    let p = format!("witness remora {}\nquorum remora\n", witnesses[2].1);
    assert_eq!(op(Op::PolicyVerify, &[p.as_bytes(), ARCHE.as_bytes()]).0, 0);
    // quorum none: the log's signature decides
    let p = format!("log {log}\nquorum none\n");
    let (status, body) = op(Op::PolicyVerify, &[p.as_bytes(), ARCHE.as_bytes()]);
    assert_eq!((status, body["quorum"].as_str()), (0, Some("none")));
    // a log of another origin
    let other = SignerKey::from_seed("other.example/log", [5; 32]).unwrap();
    let p = format!("log {}\nquorum none\n", other.verifier());
    let (status, body) = op(Op::PolicyVerify, &[p.as_bytes(), ARCHE.as_bytes()]);
    assert_eq!(status, 1);
    assert!(body["problems"][0].as_str().unwrap().contains("no log in the policy has the origin"), "{body}");
}

#[test]
fn every_rule_of_the_policy_format_refuses_what_breaks_it() {
    let w = |n: &str, seed: u8| format!("witness {n} {}\n", SignerKey::from_seed_typed(n, note::ALG_COSIGNATURE_V1, [seed; 32]).unwrap().verifier());
    let log = SignerKey::from_seed("log.example", [9; 32]).unwrap().verifier().to_string();
    let ok = format!("log {log}\n{}{}group g any a b\nquorum g\n", w("a", 1), w("b", 2));
    let p = Policy::parse(ok.as_bytes()).unwrap();
    assert_eq!(p.quorum, Some(Member::Group(0)));
    assert_eq!(p.groups[0].threshold, 1);
    let bad: Vec<(String, &str)> = vec![
        (ok.replace("quorum g\n", ""), "no quorum line"),
        (format!("{ok}quorum a\n"), "second quorum"),
        (ok.replace("quorum g", "quorum h"), "not a witness or group defined"),
        (format!("quorum a\n{}", w("a", 1)), "not a witness or group defined"),
        (ok.replace("any a b", "3 a b"), "must be from 1"),
        (ok.replace("any a b", "0 a b"), "must be from 1"),
        (ok.replace("any a b", "two a b"), "not `all`, `any`"),
        (ok.replace("any a b", "any"), "lists no members"),
        (ok.replace("any a b", "any a a"), "only once"),
        (ok.replace("group g any a b\nquorum g", "group g any a\ngroup h any a b\nquorum h"), "only once"),
        (ok.replace("any a b", "any a none"), "`none` cannot"),
        (format!("{}{}quorum a\n", w("a", 1), w("a", 2)), "already defined"),
        (format!("{}quorum none\n", w("none", 1)), "reserved"),
        (format!("{}{}quorum a\n", w("a", 1), w("b", 1)), "same public key"),
        (format!("log {log}\nlog {log}\nquorum none\n"), "same public key"),
        (format!("log {}\nquorum none\n", w("a", 1).split(' ').nth(2).unwrap().trim()), "witness key (type 0x04)"),
        (format!("witness a {log}\nquorum a\n"), "note key (type 0x01)"),
        (format!("{ok}logs {log}\n"), "unknown keyword"),
        (format!("{ok}log\n"), "a log line is"),
        (format!("{ok}witness x\n"), "a witness line is"),
        (format!("{ok}quorum\n"), "a quorum line is"),
        (format!("{ok}\u{1}\n"), "control character"),
        (ok.replace('\n', "\r\n"), "control character"),
    ];
    for (text, want) in &bad {
        let e = Policy::parse(text.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(want), "{text:?}: {e} (wanted {want:?})");
        assert_eq!(omega_core::ErrorCode::code(&e), 3507, "{text:?}");
    }
    // a key that does not parse keeps its own code, with the line
    let e = Policy::parse(format!("{ok}log x+00000000+AAAA\n").as_bytes()).unwrap_err();
    assert_eq!(omega_core::ErrorCode::code(&e), 3503);
    assert!(e.to_string().starts_with("policy line 6:"), "{e}");
    // blank lines, comments, tabs, a last line without a newline, URLs
    let loose = format!("\n  # c\n\tlog\t{log}  https://log.example/\n{}{}group g all a b\nquorum g", w("a", 1), w("b", 2));
    assert_eq!(Policy::parse(loose.as_bytes()).unwrap().logs[0].url.as_deref(), Some("https://log.example/"));
    // through op 30, with the code
    let (status, body) = op(Op::PolicyVerify, &[b"quorum x\n", ARCHE.as_bytes()]);
    assert_eq!((status, body["code"].as_u64()), (2, Some(3507)), "{body}");
    let (status, body) = op(Op::PolicyVerify, &[b"quorum none\n", b"not a note"]);
    assert_eq!((status, body["code"].as_u64()), (2, Some(3501)), "{body}");
    let (status, body) = op(Op::PolicyVerify, &[b"quorum none\n", b"one line\n\n\xe2\x80\x94 a AAAAAAA=\n"]);
    assert_eq!((status, body["code"].as_u64()), (2, Some(3507)), "{body}");
}

#[test]
fn a_witness_key_cosigns_and_counts_in_a_committee() {
    let member = SignerKey::from_seed("omega.example/m0", [1; 32]).unwrap();
    let witness = SignerKey::from_seed_typed("witness.example/w", note::ALG_COSIGNATURE_V1, [2; 32]).unwrap();
    // key forms round-trip, with type 0x04 in them
    assert_eq!(SignerKey::parse(&witness.to_text()).unwrap(), witness);
    assert_eq!(VerifierKey::parse(&witness.verifier().to_string()).unwrap(), *witness.verifier());
    let text = witness.verifier().to_string();
    let data = note::b64_decode(text.splitn(3, '+').nth(2).unwrap()).unwrap();
    assert_eq!((data[0], data.len()), (0x04, 33));
    // the same public key under type 0x01 is another key, with another id
    let plain = VerifierKey::new("witness.example/w", *witness.verifier().public()).unwrap();
    assert_ne!(plain.id(), witness.verifier().id());

    let cp = omega_core::certify::cert::Checkpoint {
        origin: "omega.example/log".into(),
        tree_size: 3,
        root: [7; 32],
        kind: cert::Kind::State,
        height: 0,
        prev: None,
        state_hash: [8; 32],
        committee: None,
        evidence: None,
        tick: None,
        world: None,
        consistency: Vec::new(),
    };
    let e = cert::Certificate::sign_new(cp.clone(), &witness).unwrap_err();
    assert!(e.to_string().contains("witness key"), "{e}");
    let mut c = cert::Certificate::sign_new(cp, &member).unwrap();
    assert!(c.cosign(&witness).unwrap_err().to_string().contains("timestamp"));
    assert!(c.cosign_at(&member, Some(5)).is_err());
    c.cosign_at(&witness, Some(1_700_000_000)).unwrap();
    assert!(c.cosign_at(&witness, Some(1_700_000_001)).is_err(), "a witness cosigns once");
    assert_eq!(c.signatures[1].sig.len(), 72);
    // the note's line is a C2SP cosignature
    let n = Note::parse(c.to_note().as_bytes()).unwrap();
    assert_eq!(witness.verifier().check(n.text.as_bytes(), &n.signatures[1].sig), LineCheck::Valid { timestamp: Some(1_700_000_000) });
    // a 2-of-2 committee of a member and the witness
    let comm = Committee::new(2, vec![member.verifier().clone(), witness.verifier().clone()]).unwrap();
    let v = cert::verify(&c, &comm);
    assert!(v.valid && v.valid_signers == 2, "{v:?}");
    // a prepared committee says the same
    let mut prepared = comm.clone();
    prepared.prepare();
    assert_eq!(cert::verify(&c, &prepared), v);
    // the cosignature moved to another time no longer verifies
    let mut moved = c.clone();
    moved.signatures[1].sig[7] ^= 1;
    let v = cert::verify(&moved, &comm);
    assert!(!v.valid && v.valid_signers == 1);
    assert_eq!(v.checks[1].status, cert::SigStatus::BadSignature);
    // a 64-byte line for the witness is not a cosignature
    let mut short = c.clone();
    short.signatures[1].sig = witness.sign(c.checkpoint.body().as_bytes()).to_vec();
    assert_eq!(cert::verify(&short, &comm).valid_signers, 1);
    // a timestamp over 2^63 - 1 is refused
    let mut c2 = cert::Certificate::sign_new(c.checkpoint.clone(), &member).unwrap();
    assert!(c2.cosign_at(&witness, Some(1 << 63)).is_err());
    // through op 5, the timestamp is a third field
    let bin = c2.encode().unwrap();
    let key = witness.to_text();
    assert_eq!(op(Op::Cosign, &[&bin, key.as_bytes()]).0, 2);
    assert_eq!(op(Op::Cosign, &[&bin, key.as_bytes(), b"9223372036854775808"]).0, 2);
    let (status, body) = op(Op::Cosign, &[&bin, key.as_bytes(), b"1700000000"]);
    assert_eq!(status, 0, "{body}");
}

#[test]
fn an_omega_witness_cosigns_any_log_s_checkpoint() {
    let (log, _) = arche_keys();
    let w = SignerKey::from_seed_typed("witness.example/w", note::ALG_COSIGNATURE_V1, [4; 32]).unwrap();
    let key = w.to_text();
    let (status, body) = op(Op::NoteSign, &[ARCHE.as_bytes(), key.as_bytes(), b"1780000000"]);
    assert_eq!(status, 0, "{body}");
    let signed = body["note"].as_str().unwrap();
    assert!(signed.starts_with(ARCHE.trim_end_matches('\n')) && signed.ends_with(body["signature"].as_str().unwrap()));
    let policy = format!("log {log}\nwitness w {}\nquorum w\n", w.verifier());
    let (status, v) = op(Op::PolicyVerify, &[policy.as_bytes(), signed.as_bytes()]);
    assert_eq!((status, v["witnesses"][0]["timestamp"].as_u64()), (0, Some(1_780_000_000)), "{v}");
    // signing again replaces the witness's line, never adds a second
    let (_, again) = op(Op::NoteSign, &[signed.as_bytes(), key.as_bytes(), b"1780000001"]);
    let again = again["note"].as_str().unwrap();
    assert_eq!(again.matches("witness.example/w").count(), 1);
    assert_eq!(op(Op::PolicyVerify, &[policy.as_bytes(), again.as_bytes()]).1["witnesses"][0]["timestamp"], 1_780_000_001u64);
    // a witness does not cosign a text of under three lines; a note key signs any text
    assert_eq!(op(Op::NoteSign, &[b"one line\n", key.as_bytes(), b"1"]).0, 2);
    let n = SignerKey::from_seed("a.example", [5; 32]).unwrap().to_text();
    let (status, body) = op(Op::NoteSign, &[b"one line\n", n.as_bytes()]);
    assert_eq!(status, 0, "{body}");
    let vk = SignerKey::from_seed("a.example", [5; 32]).unwrap().verifier().to_string();
    assert_eq!(op(Op::NoteVerify, &[body["note"].as_str().unwrap().as_bytes(), vk.as_bytes()]).0, 0);
}

#[test]
fn keygen_makes_witness_keys_on_request() {
    let (status, body) = op(Op::Keygen, &[b"witness.example/w", &[3; 32], b"witness"]);
    assert_eq!(status, 0, "{body}");
    let v = VerifierKey::parse(body["verifier_key"].as_str().unwrap()).unwrap();
    assert!(v.is_cosigner());
    let (_, plain) = op(Op::Keygen, &[b"witness.example/w", &[3; 32]]);
    assert!(!VerifierKey::parse(plain["verifier_key"].as_str().unwrap()).unwrap().is_cosigner());
    assert_eq!(op(Op::Keygen, &[b"witness.example/w", &[3; 32], b"note"]).1, plain);
    assert_eq!(op(Op::Keygen, &[b"witness.example/w", &[3; 32], b"other"]).0, 2);
    // ML-DSA-44 keys (type 0x06) are named when refused
    let mut k = vec![6u8];
    k.extend([1; 32]);
    let e = VerifierKey::parse(&format!("x+00000000+{}", note::b64(&k))).unwrap_err();
    assert!(e.to_string().contains("ML-DSA-44"), "{e}");
}

fn arb_policy() -> impl Strategy<Value = String> {
    let (log, witnesses) = arche_keys();
    let mut words: Vec<String> =
        ["log", "witness", "group", "quorum", "none", "all", "any", "1", "2", "0", "a", "b", "g", "#", "\t", " ", "\n", "https://x/"].map(String::from).to_vec();
    words.extend([log, witnesses[0].1.clone(), witnesses[1].1.clone()]);
    let words = prop::sample::select(words);
    prop::collection::vec(words, 0..40).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_a_policy_are_refused_or_read(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Policy::parse(&bytes);
        let r = abi::call(Op::PolicyVerify.code(), &make_fields(&[&bytes, ARCHE.as_bytes()]));
        prop_assert!(r.status <= 2);
    }

    #[test]
    fn policies_of_the_format_s_own_words_are_refused_or_judged(text in arb_policy()) {
        match Policy::parse(text.as_bytes()) {
            Err(e) => prop_assert!([3503, 3504, 3505, 3507].contains(&omega_core::ErrorCode::code(&e)), "{e}"),
            Ok(p) => {
                let v = p.verify(&Note::parse(ARCHE.as_bytes()).unwrap()).unwrap();
                prop_assert_eq!(v.groups.len(), p.groups.len());
                for (g, n) in p.groups.iter().zip(&v.groups) {
                    prop_assert!(*n <= g.members.len() && g.threshold >= 1 && g.threshold <= g.members.len());
                }
            }
        }
    }

    #[test]
    fn every_cut_of_a_good_policy_is_refused_or_read(cut in 0usize..600) {
        let text = policy_text("quorum some\n");
        let cut = cut.min(text.len());
        if let Some(prefix) = text.get(..cut) {
            let _ = Policy::parse(prefix.as_bytes());
        }
    }
}
