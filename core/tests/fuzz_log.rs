//! A bounded fuzz harness (proptest) over the log frame reader and the
//! snapshot and bundle readers. Seeds come from the corpus in
//! `tests/corpus/` and the log files of the golden vectors; mutations are bit
//! flips, byte overwrites, truncations, insertions and splices. CI runs the
//! default number of cases; set OMEGA_FUZZ_CASES for a longer run, and add any
//! input that ever fails to `tests/corpus/` so it is replayed forever after.
use omega_core::event::frame::{self, Frames, HEADER_LEN};
use omega_core::replay::snapshot::{Bundle, Snapshot};
use proptest::prelude::*;
use std::path::Path;

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    for dir in ["tests/corpus", "tests/vectors/certify"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir)).into_iter().flatten().flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if name.ends_with(".omega") || name.ends_with(".omsn") || name.ends_with(".omb") {
                out.push(std::fs::read(&f).unwrap());
            }
        }
    }
    assert!(out.len() >= 5, "the fuzz corpus is missing (tests/corpus, tests/vectors/certify)");
    out
}

fn cases() -> u32 {
    std::env::var("OMEGA_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
    ]
}

fn apply(mut b: Vec<u8>, m: &Mutation, other: &[u8]) -> Vec<u8> {
    let n = b.len().max(1);
    match m {
        Mutation::Flip(i, bit) => {
            if let Some(x) = b.get_mut(i % n) {
                *x ^= 1 << bit;
            }
        }
        Mutation::Set(i, v) => {
            if let Some(x) = b.get_mut(i % n) {
                *x = *v;
            }
        }
        Mutation::Truncate(i) => b.truncate(i % (b.len() + 1)),
        Mutation::Insert(i, v) => {
            let at = i % (b.len() + 1);
            b.splice(at..at, v.iter().copied());
        }
        Mutation::Splice(a, s, l) => {
            let at = a % (b.len() + 1);
            let start = s % (other.len() + 1);
            let end = (start + l % 64).min(other.len());
            b.splice(at..at, other[start..end].iter().copied());
        }
    }
    b
}

/// Frame offsets of a clean log: where each whole frame ends.
fn frame_ends(log: &[u8]) -> Vec<usize> {
    let mut ends = vec![HEADER_LEN];
    if let Ok(fr) = Frames::new(log) {
        for f in fr.flatten() {
            ends.push(f.offset as usize + 8 + f.event.bytes().len());
        }
    }
    ends
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn readers_never_panic_and_keep_every_intact_frame(seed in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let seeds = seeds();
        let base = seed.get(&seeds).clone();
        let other = other.get(&seeds).clone();
        let mut b = base.clone();
        for m in &muts {
            b = apply(b, m, &other);
        }
        // the frame reader: bounded, monotone, and never past the input
        let r = frame::scan(&b);
        prop_assert!(r.valid_bytes <= b.len() as u64);
        prop_assert_eq!(r.error.is_none(), r.first_bad_offset.is_none());
        if let Some(off) = r.first_bad_offset {
            prop_assert!(off == 0 || off == r.valid_bytes);
        }
        // every frame of the original that lies wholly before the first changed byte is still read
        let first_change = base.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(base.len().min(b.len()));
        if frame::scan(&base).error.is_none() && first_change >= HEADER_LEN {
            let intact = frame_ends(&base).iter().filter(|&&e| e <= first_change).count() - 1;
            prop_assert!(r.frames as usize >= intact, "{} frames read, {} intact", r.frames, intact);
        }
        // damage is detected: one byte changed in a clean log (header or any
        // frame, the last one included) is always an error, for the scan and the reader
        if let [Mutation::Flip(..) | Mutation::Set(..)] = muts.as_slice() {
            let changed = base.iter().zip(&b).filter(|(x, y)| x != y).count();
            if changed == 1 && frame::scan(&base).error.is_none() {
                prop_assert!(r.error.is_some(), "a changed byte at {} went unnoticed", first_change);
                prop_assert!(frame::read_events(&b).is_err());
                prop_assert!(r.valid_bytes <= first_change as u64 || first_change < HEADER_LEN);
            }
        }
        // the other readers on the same bytes
        let _ = Snapshot::decode(&b);
        let _ = Bundle::decode(&b);
        let _ = frame::read_events(&b);
    }
}

/// A clean log of `n` events with `payload`-byte payloads, and where each frame starts and ends.
fn sample_log(n: u64, payload: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let ev = omega_core::event::sample::history(7, omega_core::event::sample::Shape { nodes: 1, streams: 1, per_stream: n, payload });
    let log = frame::encode_log(&ev);
    let mut spans = Vec::new();
    let mut at = HEADER_LEN;
    for e in &ev {
        let end = at + 8 + e.encoded_len();
        spans.push((at, end));
        at = end;
    }
    (log, spans)
}

/// Damage to one frame: a flipped bit in any byte of it, or a run of bytes overwritten.
#[test]
fn salvage_keeps_every_other_frame_whatever_one_frame_suffers() {
    let (log, spans) = sample_log(12, 24);
    for (k, &(start, end)) in spans.iter().enumerate() {
        for byte in start..end {
            for bit in 0..8 {
                let mut m = log.clone();
                m[byte] ^= 1 << bit;
                let r = frame::scan(&m);
                let s = frame::salvage(&m).unwrap();
                // the salvage scan agrees with the reader on where damage starts
                assert_eq!(s.damaged.first().map(|d| d.start), r.first_bad_offset, "frame {k} byte {byte} bit {bit}");
                assert_eq!(s.frames(), 11, "frame {k} byte {byte} bit {bit}: {s:?}");
                assert_eq!(s.damaged, vec![frame::Span { start: start as u64, end: end as u64 }], "frame {k} byte {byte} bit {bit}");
                let after = r.after_damage.unwrap();
                assert_eq!(after.intact_frames, 11 - k as u64, "frame {k} byte {byte} bit {bit}");
                assert_eq!(after.intact_frames == 0, s.tail_only());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    /// On any mutated log: the runs and damaged spans tile everything after
    /// the header in order; every frame salvage keeps is one a reader
    /// accepts (rebuilding a log from the runs reads back clean with that
    /// many frames); it agrees with the scan on where the damage starts and
    /// on what follows it.
    #[test]
    fn salvage_tiles_the_log_and_keeps_only_readable_frames(seed in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let seeds = seeds();
        let base = seed.get(&seeds).clone();
        let other = other.get(&seeds).clone();
        let mut b = base.clone();
        for m in &muts {
            b = apply(b, m, &other);
        }
        let r = frame::scan(&b);
        let Ok(s) = frame::salvage(&b) else {
            prop_assert!(r.first_bad_offset == Some(0));
            return Ok(());
        };
        let mut pieces: Vec<(u64, u64, bool)> = s.runs.iter().map(|x| (x.span.start, x.span.end, true)).collect();
        pieces.extend(s.damaged.iter().map(|d| (d.start, d.end, false)));
        pieces.sort_unstable();
        let mut at = HEADER_LEN as u64;
        for &(start, end, _) in &pieces {
            prop_assert_eq!(start, at);
            prop_assert!(end > start);
            at = end;
        }
        prop_assert_eq!(at, (b.len() as u64).max(HEADER_LEN as u64));
        let mut rebuilt = b[..HEADER_LEN].to_vec();
        for x in &s.runs {
            rebuilt.extend_from_slice(&b[x.span.start as usize..x.span.end as usize]);
        }
        let back = frame::scan(&rebuilt);
        prop_assert!(back.error.is_none());
        prop_assert_eq!(back.frames, s.frames());
        prop_assert_eq!(s.damaged.first().map(|d| d.start), r.first_bad_offset);
        if let Some(a) = r.after_damage {
            prop_assert_eq!(a.intact_frames, s.frames_after_damage());
            prop_assert_eq!(a.damaged_bytes, s.damaged_bytes());
        }
    }
}
