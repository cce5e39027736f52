//! A certificate in words: the text of op 7 (`omega explain`), one line
//! per checkpoint field and, with a committee, one per signature line and
//! the verdict with its reasons. Presentation only: what the text says is
//! decided in [`cert`]; op 7's JSON carries it as
//! `text` next to the typed verdict.
use crate::certify::cert::{self, Certificate, Committee, Kind, Verdict};
use crate::error::ErrorCode;
use crate::hex;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Every field of a certificate in words, and (with a committee) why it is or is not valid.
pub fn explain_lines(c: &Certificate, verdict: Option<(&Committee, &Verdict)>) -> Vec<String> {
    let cp = &c.checkpoint;
    let mut l = Vec::new();
    l.push(format!("certificate {}", hex::encode(&c.hash())));
    l.push(format!("  origin       {}  (the log this checkpoint belongs to)", cp.origin));
    l.push(format!("  tree size    {}  (events in the canonical history)", cp.tree_size));
    l.push(format!("  root         {}  (RFC 6962 Merkle root over their leaf hashes)", hex::encode(&cp.root)));
    l.push(format!(
        "  kind         {}  ({})",
        cp.kind.as_str(),
        match cp.kind {
            Kind::State => "the history reconciled cleanly to this tree and state",
            Kind::Obstruction => "a batch obstructed: the history is unchanged and the evidence is committed",
            Kind::Ecs => "after the tick below, the ECS world driven by this history has this state hash",
        }
    ));
    let state = match cp.kind {
        Kind::Ecs => "the ECS world's state hash after the tick below",
        Kind::Obstruction => "SHA-256 of the reconcile state, unchanged by the obstructed batch",
        Kind::State => "SHA-256 of the reconcile state",
    };
    l.push(format!("  state hash   {}  ({state})", hex::encode(&cp.state_hash)));
    match &cp.prev {
        None => l.push(format!("  height       {}  (genesis: the first certificate of its chain)", cp.height)),
        Some(p) => {
            l.push(format!("  height       {}  (position in the chain)", cp.height));
            l.push(format!("  previous     {}  (hash of the certificate at height {})", hex::encode(p), cp.height.saturating_sub(1)));
            l.push(format!("  consistency  {} hash(es)  (RFC 9162 proof that this tree extends the previous one)", cp.consistency.len()));
        }
    }
    match &cp.committee {
        None => l.push("  committee    none named  (any committee may judge it)".to_string()),
        Some(h) => l.push(format!("  committee    {}  (hash of the committee expected to sign)", hex::encode(h))),
    }
    if let Some(e) = &cp.evidence {
        l.push(format!("  evidence     {}  (SHA-256 of the obstruction's evidence)", hex::encode(e)));
    }
    if let Some(t) = cp.tick {
        l.push(format!("  tick         {t}  (the world tick whose state hash is attested)"));
    }
    if let Some(w) = &cp.world {
        l.push(format!(
            "  world        tick {}, state hash {}  (the ECS world this history drives, after this batch)",
            w.tick,
            hex::encode(&w.state_hash)
        ));
    }
    l.push(format!("  signatures   {}", c.signatures.len()));
    match verdict {
        None => {
            for s in &c.signatures {
                l.push(format!("    {} (key id {:08x})", s.name, s.id));
            }
            l.push("verdict: not judged (pass a committee to verify it)".to_string());
        }
        Some((comm, v)) => {
            for s in &v.checks {
                let why = match s.status {
                    cert::SigStatus::Valid => "valid: counts toward the quorum",
                    cert::SigStatus::BadSignature => "BAD: a member's signature that does not verify; it does not count",
                    cert::SigStatus::UnknownKey => "not a committee member; ignored",
                    cert::SigStatus::Duplicate => "the same member again; counted once",
                };
                l.push(format!("    {} (key id {:08x}): {why}", s.name, s.id));
            }
            l.push(format!(
                "verdict: {} ({} of {} distinct member signatures valid, threshold {}; committee {})",
                if v.valid { "VALID" } else { "INVALID" },
                v.valid_signers,
                comm.members().len(),
                v.threshold,
                hex::encode(&comm.hash())
            ));
            for p in &v.problems {
                l.push(format!("  reason {}: {p}", p.code()));
            }
        }
    }
    l
}
