//! The `.omega` framed log: a header, then frames `length | CRC32 | event bytes`.
//!
//! ```text
//! header (16 bytes)
//!   "OMGL"        4   magic
//!   version       1   = 1
//!   flags         1   = 0 (reserved)
//!   reserved      2   = 0
//!   max frame     4   u32 big-endian: the largest event a frame may hold
//!   header CRC    4   u32 big-endian: CRC-32 (IEEE) of the 12 bytes above
//! frame (8 + n bytes), repeated
//!   length n      4   u32 big-endian, 1 ..= max frame
//!   CRC           4   u32 big-endian: CRC-32 (IEEE) of the length field and the n bytes
//!   event         n   one event's canonical encoding (docs/FORMATS.md)
//! ```
//!
//! [`Frames`] reads a log in place: it borrows every event from the input
//! slice ([`EventRef`]), checks every bound, never panics, and stops at the
//! first bad frame with its index, byte offset and reason. Everything before
//! that offset is a valid prefix and stays readable: a torn or corrupt tail
//! never hides it.
use crate::error::{DecodeError, ErrorCode};
pub use crate::event::EventRef;
use crate::event::{Event, Limits};
use alloc::vec::Vec;
use core::fmt;

/// Log magic.
pub const MAGIC: &[u8; 4] = b"OMGL";
/// The version this build writes and reads.
pub const VERSION: u8 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// Frame overhead (length and CRC) in bytes.
pub const FRAME_OVERHEAD: usize = 8;
/// The max-frame value [`header`] writes by default: room for the largest
/// event the default [`Limits`] allow (1 MiB payload, 1024 deps), rounded up.
pub const DEFAULT_MAX_FRAME: u32 = 2 << 20;
/// No log may declare frames larger than this (64 MiB).
pub const MAX_FRAME_CAP: u32 = 64 << 20;

/// Why a log stops being readable. Each names the frame and byte offset. Codes 38xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// 3801: the file does not start with `OMGL`.
    Magic,
    /// 3802: a version this build does not read.
    Version(u8),
    /// 3803: the header is shorter than 16 bytes, its CRC does not match, or a field is out of range.
    Header(&'static str),
    /// 3804: the frame's length or CRC field, or its event bytes, run past the end (a torn write).
    Torn {
        /// Frame index (0-based).
        index: u64,
        /// Byte offset of the frame.
        offset: u64,
        /// Bytes the frame needs.
        need: u64,
        /// Bytes left in the file.
        have: u64,
    },
    /// 3805: the frame's CRC does not match its bytes.
    Crc {
        /// Frame index.
        index: u64,
        /// Byte offset of the frame.
        offset: u64,
    },
    /// 3806: a frame length of 0 or above the header's max frame.
    Length {
        /// Frame index.
        index: u64,
        /// Byte offset of the frame.
        offset: u64,
        /// The length field.
        len: u32,
        /// The header's max frame.
        max: u32,
    },
    /// 3807: the frame's bytes are not one canonical event.
    Event {
        /// Frame index.
        index: u64,
        /// Byte offset of the frame.
        offset: u64,
        /// Why.
        error: DecodeError,
    },
}

impl ErrorCode for FrameError {
    fn code(&self) -> u16 {
        match self {
            FrameError::Magic => crate::api::code::LOG_MAGIC,
            FrameError::Version(_) => crate::api::code::LOG_VERSION,
            FrameError::Header(_) => crate::api::code::LOG_HEADER,
            FrameError::Torn { .. } => crate::api::code::FRAME_TORN,
            FrameError::Crc { .. } => crate::api::code::FRAME_CRC,
            FrameError::Length { .. } => crate::api::code::FRAME_LENGTH,
            FrameError::Event { .. } => crate::api::code::FRAME_EVENT,
        }
    }
}

impl FrameError {
    /// Byte offset where the valid prefix ends.
    pub fn offset(&self) -> u64 {
        match self {
            FrameError::Magic | FrameError::Version(_) | FrameError::Header(_) => 0,
            FrameError::Torn { offset, .. }
            | FrameError::Crc { offset, .. }
            | FrameError::Length { offset, .. }
            | FrameError::Event { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Magic => f.write_str("not an omega log: the file does not start with the magic \"OMGL\""),
            FrameError::Version(v) => write!(f, "log version {v} is not supported (this build reads version {VERSION})"),
            FrameError::Header(why) => write!(f, "log header: {why}"),
            FrameError::Torn { index, offset, need, have } => write!(
                f,
                "frame {index} at byte {offset}: torn (needs {need} bytes, {have} left); everything before byte {offset} is intact"
            ),
            FrameError::Crc { index, offset } => write!(f, "frame {index} at byte {offset}: CRC mismatch (corrupt bytes)"),
            FrameError::Length { index, offset, len, max } => {
                write!(f, "frame {index} at byte {offset}: length {len} is not between 1 and the log's max frame {max}")
            }
            FrameError::Event { index, offset, error } => {
                write!(f, "frame {index} at byte {offset}: not a canonical event: {error}")
            }
        }
    }
}

/// The 16-byte header for a log whose frames hold at most `max_frame` bytes.
pub fn header(max_frame: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let mut fixed = [0u8; 12];
    fixed[..4].copy_from_slice(MAGIC);
    fixed[4] = VERSION;
    fixed[8..12].copy_from_slice(&max_frame.to_be_bytes());
    h[..12].copy_from_slice(&fixed);
    h[12..].copy_from_slice(&crc32fast::hash(&fixed).to_be_bytes());
    h
}

/// Appends one frame holding `event_bytes` (an event's canonical encoding).
pub fn push_frame(out: &mut Vec<u8>, event_bytes: &[u8]) {
    let len = u32::try_from(event_bytes.len()).unwrap_or(u32::MAX).to_be_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len);
    crc.update(event_bytes);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out.extend_from_slice(event_bytes);
}

/// The frames of `events`, in the given order (without a header).
pub fn encode_frames(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for e in events {
        buf.clear();
        e.encode_into(&mut buf);
        push_frame(&mut out, &buf);
    }
    out
}

/// A whole log: header and frames.
pub fn encode_log(events: &[Event]) -> Vec<u8> {
    let mut out = header(DEFAULT_MAX_FRAME).to_vec();
    out.extend_from_slice(&encode_frames(events));
    out
}

/// Parses the header; returns the max frame.
pub fn parse_header(bytes: &[u8]) -> Result<u32, FrameError> {
    if bytes.len() >= 4 && bytes.get(..4) != Some(&MAGIC[..]) {
        return Err(FrameError::Magic);
    }
    // Past the magic check, a file shorter than the header ends early: it
    // is under 4 bytes, or it is the magic and then too little. A file
    // that starts with 4 other bytes was refused as not a log just above,
    // whatever its length.
    let Some(h) = bytes.get(..HEADER_LEN) else {
        return Err(FrameError::Header("the file is shorter than the 16-byte header"));
    };
    let (fixed, crc) = h.split_at(12);
    let [_, _, _, _, version, flags, r0, r1, m0, m1, m2, m3] = <[u8; 12]>::try_from(fixed).unwrap_or_default();
    if version != VERSION {
        return Err(FrameError::Version(version));
    }
    if <[u8; 4]>::try_from(crc).ok().map(u32::from_be_bytes) != Some(crc32fast::hash(fixed)) {
        return Err(FrameError::Header("the header CRC does not match"));
    }
    if flags != 0 || r0 != 0 || r1 != 0 {
        return Err(FrameError::Header("flags and reserved bytes must be 0"));
    }
    let max = u32::from_be_bytes([m0, m1, m2, m3]);
    if max == 0 || max > MAX_FRAME_CAP {
        return Err(FrameError::Header("max frame must be between 1 and 64 MiB"));
    }
    Ok(max)
}

/// One frame: where it is and its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Frame index (0-based).
    pub index: u64,
    /// Byte offset of the frame (its length field).
    pub offset: u64,
    /// The event it holds.
    pub event: EventRef<'a>,
}

/// Iterator over a log's frames: `Ok` for each valid frame, then at most one
/// `Err` (the first bad frame), then nothing.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    bytes: &'a [u8],
    pos: usize,
    index: u64,
    max: u32,
    limits: Limits,
    done: bool,
}

impl<'a> Frames<'a> {
    /// Reads the header; the frames follow. An error here means no frame is readable.
    pub fn new(bytes: &'a [u8]) -> Result<Self, FrameError> {
        let max = parse_header(bytes)?;
        Ok(Frames { bytes, pos: HEADER_LEN, index: 0, max, limits: Limits::default(), done: false })
    }

    /// Byte offset of the next frame (after the last valid one, once iteration stopped).
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn next_frame(&mut self) -> Result<Option<Frame<'a>>, FrameError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(None);
        }
        let (index, offset) = (self.index, self.pos as u64);
        let torn = |need: usize| FrameError::Torn { index, offset, need: need as u64, have: rest.len() as u64 };
        let (Some(lenb), Some(crcb)) = (rest.get(..4), rest.get(4..8)) else { return Err(torn(FRAME_OVERHEAD)) };
        let len = u32::from_be_bytes(lenb.try_into().unwrap_or_default());
        if len == 0 || len > self.max {
            return Err(FrameError::Length { index, offset, len, max: self.max });
        }
        let total = FRAME_OVERHEAD + len as usize;
        let Some(body) = rest.get(FRAME_OVERHEAD..total) else { return Err(torn(total)) };
        let mut crc = crc32fast::Hasher::new();
        crc.update(lenb);
        crc.update(body);
        if crc.finalize() != u32::from_be_bytes(crcb.try_into().unwrap_or_default()) {
            return Err(FrameError::Crc { index, offset });
        }
        let event = EventRef::parse(body, &self.limits).map_err(|error| FrameError::Event { index, offset, error })?;
        self.pos += total;
        self.index += 1;
        Ok(Some(Frame { index, offset, event }))
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, FrameError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_frame() {
            Ok(Some(f)) => Some(Ok(f)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// What a scan of a log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Valid frames.
    pub frames: u64,
    /// Events in them (one per frame).
    pub events: u64,
    /// File size.
    pub bytes: u64,
    /// Length of the valid prefix (header and valid frames).
    pub valid_bytes: u64,
    /// Where the first bad frame starts (`None` when the log is clean).
    pub first_bad_offset: Option<u64>,
    /// Why it is bad.
    pub error: Option<FrameError>,
    /// For a damaged log (past a good header): what lies after the first bad
    /// frame, from [`salvage`]. `None` when the log is clean or its header is bad.
    pub after_damage: Option<AfterDamage>,
}

/// What follows the first bad frame of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterDamage {
    /// Intact frames after the first bad one (0: the damage is only a tail, and cutting it loses nothing intact).
    pub intact_frames: u64,
    /// Bytes in damaged spans (from the first bad frame on).
    pub damaged_bytes: u64,
}

/// Scans a whole log, calling `progress(valid_bytes)` every `every` bytes or so.
pub fn scan_with(bytes: &[u8], every: u64, mut progress: impl FnMut(u64)) -> Report {
    let mut r = Report { frames: 0, events: 0, bytes: bytes.len() as u64, valid_bytes: 0, first_bad_offset: None, error: None, after_damage: None };
    let mut frames = match Frames::new(bytes) {
        Ok(f) => f,
        Err(e) => {
            r.first_bad_offset = Some(0);
            r.error = Some(e);
            return r;
        }
    };
    r.valid_bytes = HEADER_LEN as u64;
    let mut next_tick = every;
    while let Some(f) = frames.next() {
        match f {
            Ok(_) => {
                r.frames += 1;
                r.events += 1;
                r.valid_bytes = frames.offset();
                if every > 0 && r.valid_bytes >= next_tick {
                    progress(r.valid_bytes);
                    next_tick = r.valid_bytes.saturating_add(every);
                }
            }
            Err(e) => {
                r.first_bad_offset = Some(e.offset());
                let rest = salvage_from(bytes, frames.offset() as usize, frames.max);
                r.after_damage = Some(AfterDamage { intact_frames: rest.frames(), damaged_bytes: rest.damaged_bytes() });
                r.error = Some(e);
            }
        }
    }
    r
}

/// Scans a whole log.
pub fn scan(bytes: &[u8]) -> Report {
    scan_with(bytes, 0, |_| {})
}

/// One stretch of a log, as byte offsets `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

/// A run of consecutive valid frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Where the run's bytes are.
    pub span: Span,
    /// How many frames it holds.
    pub frames: u64,
}

/// Where a log's intact frames are, past any damage: what [`salvage`] found.
///
/// `runs` and `damaged` together cover every byte after the header, in
/// order, without overlap. A log whose damage is only at its end (a torn or
/// garbled tail) has exactly one damaged span, the last one, and nothing
/// intact after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvage {
    /// The runs of valid frames (the first starts right after the header).
    pub runs: Vec<Run>,
    /// The damaged spans between and after them.
    pub damaged: Vec<Span>,
}

impl Salvage {
    /// Valid frames in every run.
    pub fn frames(&self) -> u64 {
        self.runs.iter().map(|r| r.frames).sum()
    }
    /// Valid frames after the first damaged span (0 when the damage is only a tail).
    pub fn frames_after_damage(&self) -> u64 {
        let first_bad = self.damaged.first().map_or(u64::MAX, |d| d.start);
        self.runs.iter().filter(|r| r.span.start > first_bad).map(|r| r.frames).sum()
    }
    /// Bytes in the damaged spans.
    pub fn damaged_bytes(&self) -> u64 {
        self.damaged.iter().map(|d| d.end - d.start).sum()
    }
    /// True when every damaged byte lies after the last valid frame: cutting
    /// the log at its valid prefix loses no frame whose CRC holds.
    pub fn tail_only(&self) -> bool {
        self.frames_after_damage() == 0
    }
}

/// The end of the valid frame that starts at `pos`, if one does: its length
/// is in range, its event bytes are one canonical event (checked first: it is
/// cheap and rules out almost every false start), and its CRC holds.
fn frame_at(bytes: &[u8], pos: usize, max: u32, limits: &Limits) -> Option<usize> {
    let lenb = bytes.get(pos..pos.checked_add(4)?)?;
    let len = u32::from_be_bytes(lenb.try_into().ok()?);
    if len == 0 || len > max {
        return None;
    }
    let start = pos.checked_add(FRAME_OVERHEAD)?;
    let end = start.checked_add(len as usize)?;
    let body = bytes.get(start..end)?;
    EventRef::parse(body, limits).ok()?;
    let want = u32::from_be_bytes(bytes.get(pos + 4..start)?.try_into().ok()?);
    let mut crc = crc32fast::Hasher::new();
    crc.update(lenb);
    crc.update(body);
    (crc.finalize() == want).then_some(end)
}

/// Finds every intact frame of a log, also past damage.
///
/// From the header on, frames are read while they are valid; at a bad one
/// the scan looks for the next offset where a valid frame starts (first
/// where the bad frame's own length field says the next frame is, then
/// byte by byte) and goes on from there. A frame counts as intact when its
/// length is in range, its CRC holds and its bytes are one canonical event:
/// exactly what a reader accepts. An error means the header itself is bad
/// and no frame can be trusted.
///
/// This is what `omega ingest` uses to say how many intact frames follow
/// damage, and what `omega ingest --salvage` keeps.
pub fn salvage(bytes: &[u8]) -> Result<Salvage, FrameError> {
    let max = parse_header(bytes)?;
    Ok(salvage_from(bytes, HEADER_LEN, max))
}

fn salvage_from(bytes: &[u8], from: usize, max: u32) -> Salvage {
    let limits = Limits::default();
    let mut out = Salvage { runs: Vec::new(), damaged: Vec::new() };
    let mut pos = from;
    loop {
        let run_start = pos;
        let mut frames = 0u64;
        while let Some(end) = frame_at(bytes, pos, max, &limits) {
            pos = end;
            frames += 1;
        }
        if frames > 0 {
            out.runs.push(Run { span: Span { start: run_start as u64, end: pos as u64 }, frames });
        }
        if pos >= bytes.len() {
            return out;
        }
        // Damage at `pos`. Where its length field points, if that is a frame; else the next offset that is one.
        let hinted = bytes
            .get(pos..pos + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .filter(|&l| l > 0 && l <= max)
            .and_then(|l| pos.checked_add(FRAME_OVERHEAD + l as usize))
            .filter(|&next| frame_at(bytes, next, max, &limits).is_some());
        let next = hinted.or_else(|| (pos + 1..bytes.len()).find(|&p| frame_at(bytes, p, max, &limits).is_some()));
        let end = next.unwrap_or(bytes.len());
        out.damaged.push(Span { start: pos as u64, end: end as u64 });
        match next {
            Some(n) => pos = n,
            None => return out,
        }
    }
}

/// The owned events of a clean log, or the first bad frame.
pub fn read_events(bytes: &[u8]) -> Result<Vec<Event>, FrameError> {
    Frames::new(bytes)?.map(|f| f.map(|f| f.event.to_event())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::sample::{self, Shape};
    use crate::event::EventId;

    fn log() -> (Vec<Event>, Vec<u8>) {
        let ev = sample::history(3, Shape { nodes: 2, streams: 2, per_stream: 5, payload: 20 });
        let l = encode_log(&ev);
        (ev, l)
    }

    #[test]
    fn roundtrip_and_borrowed_events() {
        let (ev, l) = log();
        let back = read_events(&l).unwrap();
        assert_eq!(back, ev);
        let r = scan(&l);
        assert_eq!((r.frames, r.valid_bytes, r.first_bad_offset), (ev.len() as u64, l.len() as u64, None));
        for (f, e) in Frames::new(&l).unwrap().zip(&ev) {
            let f = f.unwrap();
            assert_eq!(f.event.leaf_hash(), e.leaf_hash());
            assert_eq!(f.event.to_event(), *e);
            // the borrowed accessors, each against the owned event
            assert_eq!(f.event.key(), e.key());
            assert_eq!(f.event.seq(), e.seq());
            assert_eq!(f.event.deps().collect::<Vec<_>>(), e.deps().to_vec());
            assert_eq!(f.event.payload(), e.payload());
            assert_eq!(f.event.bytes().len(), e.encoded_len());
        }
    }

    #[test]
    fn every_truncation_keeps_the_valid_prefix() {
        let (ev, l) = log();
        // frame boundaries
        let mut ends = alloc::vec![HEADER_LEN];
        let mut at = HEADER_LEN;
        for e in &ev {
            at += FRAME_OVERHEAD + e.encoded_len();
            ends.push(at);
        }
        for cut in 0..=l.len() {
            let r = scan(l.get(..cut).unwrap());
            let whole = ends.iter().filter(|&&e| e <= cut).count();
            if cut < HEADER_LEN {
                assert!(r.error.is_some());
                continue;
            }
            assert_eq!(r.frames as usize, whole - 1, "cut at {cut}");
            assert_eq!(r.valid_bytes as usize, ends[whole - 1], "cut at {cut}");
            if ends.contains(&cut) {
                assert_eq!(r.error, None, "cut at a frame boundary is a clean log");
            } else {
                assert_eq!(r.error.as_ref().map(ErrorCode::code), Some(3804), "cut at {cut}");
                assert_eq!(r.first_bad_offset, Some(ends[whole - 1] as u64));
            }
        }
    }

    #[test]
    fn every_bit_flip_is_caught_and_never_loses_an_earlier_frame() {
        let (ev, l) = log();
        let clean = scan(&l);
        let mut starts = alloc::vec![];
        let mut at = HEADER_LEN;
        for e in &ev {
            starts.push(at);
            at += FRAME_OVERHEAD + e.encoded_len();
        }
        for bit in 0..l.len() * 8 {
            let mut m = l.clone();
            m[bit / 8] ^= 1 << (bit % 8);
            let r = scan(&m);
            assert!(r.error.is_some(), "flip of bit {bit} went unnoticed");
            let byte = bit / 8;
            // frames wholly before the damaged one are all still read
            let intact = starts.iter().filter(|&&s| s <= byte).count().saturating_sub(1);
            if byte >= HEADER_LEN {
                assert!(r.frames as usize >= intact, "bit {bit}: {} frames read, {intact} intact", r.frames);
                assert!(r.valid_bytes <= clean.valid_bytes);
            }
        }
    }

    /// A header whose CRC holds but with a flag or a reserved byte set is
    /// refused, each byte on its own.
    #[test]
    fn a_header_with_any_flag_or_reserved_byte_set_is_refused() {
        for at in [5, 6, 7] {
            let mut h = header(DEFAULT_MAX_FRAME);
            h[at] = 1;
            let crc = crc32fast::hash(&h[..12]);
            h[12..].copy_from_slice(&crc.to_be_bytes());
            assert_eq!(parse_header(&h), Err(FrameError::Header("flags and reserved bytes must be 0")), "byte {at}");
        }
    }

    /// An event's bytes by hand: a zero key, seq 7, `nd` sorted deps, `np` payload bytes.
    fn event_bytes(nd: u32, np: u32) -> Vec<u8> {
        let mut b = alloc::vec![0u8; 28];
        b.extend_from_slice(&7u64.to_be_bytes());
        b.extend_from_slice(&nd.to_be_bytes());
        for i in 0..nd {
            let mut d = [0u8; 14];
            d[10..].copy_from_slice(&(i + 1).to_be_bytes());
            b.extend_from_slice(&d);
        }
        b.extend_from_slice(&np.to_be_bytes());
        b.extend(core::iter::repeat_n(9u8, np as usize));
        b
    }

    /// The deps and payload limits are inclusive: exactly the limit parses,
    /// one past it (or any count past it) is refused by name, never read
    /// as a truncation.
    #[test]
    fn event_limits_are_inclusive_and_refused_by_name() {
        let limits = Limits { max_payload: 3, max_deps: 2 };
        let ok = event_bytes(2, 3);
        let e = EventRef::parse(&ok, &limits).unwrap();
        assert_eq!((e.seq(), e.deps().count(), e.payload()), (7, 2, &[9u8, 9, 9][..]));
        for nd in [3, 100, u32::MAX] {
            let mut b = event_bytes(3, 3);
            b[36..40].copy_from_slice(&nd.to_be_bytes());
            assert_eq!(EventRef::parse(&b, &limits), Err(DecodeError::TooManyDeps { count: u64::from(nd), max: 2 }), "{nd} deps");
        }
        for np in [4, 100, u32::MAX] {
            let mut b = event_bytes(2, 4);
            let at = 40 + 2 * 14;
            b[at..at + 4].copy_from_slice(&np.to_be_bytes());
            assert_eq!(EventRef::parse(&b, &limits), Err(DecodeError::PayloadTooLarge { len: u64::from(np), max: 3 }), "{np} bytes");
        }
        // under the default limits, the most a u32 can say is a truncation, found without overflow
        let mut b = event_bytes(0, 0);
        b[36..40].copy_from_slice(&u32::MAX.to_be_bytes());
        let wide = Limits { max_payload: u32::MAX, max_deps: u32::MAX };
        assert_eq!(EventRef::parse(&b, &wide), Err(DecodeError::Truncated { offset: 40, field: "deps" }));
        let mut b = event_bytes(0, 0);
        b[40..44].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(EventRef::parse(&b, &wide), Err(DecodeError::Truncated { offset: 44, field: "payload" }));
    }

    #[test]
    fn header_errors() {
        let (_, l) = log();
        assert_eq!(scan(b"").error.map(|e| e.code()), Some(3803));
        assert_eq!(scan(b"NOPE this is not a log").error.map(|e| e.code()), Some(3801));
        let mut v = l.clone();
        v[4] = 9;
        assert_eq!(scan(&v).error.map(|e| e.code()), Some(3802));
        let mut c = l.clone();
        c[9] ^= 1;
        assert_eq!(scan(&c).error.map(|e| e.code()), Some(3803));
        // shorter than the header: with the magic, a header error; without it, not a log
        for n in 4..HEADER_LEN {
            assert_eq!(scan(&l[..n]).error.map(|e| e.code()), Some(3803), "{n} bytes");
        }
        assert_eq!(scan(b"OMG").error.map(|e| e.code()), Some(3803));
        assert_eq!(scan(b"NOPE").error.map(|e| e.code()), Some(3801));
        // the max frame must be between 1 and the cap (a header whose CRC is right)
        assert_eq!(parse_header(&header(1)), Ok(1));
        assert_eq!(parse_header(&header(MAX_FRAME_CAP)), Ok(MAX_FRAME_CAP));
        for bad in [0, MAX_FRAME_CAP + 1, u32::MAX] {
            assert!(matches!(parse_header(&header(bad)), Err(FrameError::Header(_))), "max frame {bad}");
        }
    }

    /// Salvage skips a damaged frame by its length field when that lands on a
    /// frame, even when the damaged frame's payload holds a whole valid frame
    /// (which a byte-by-byte search would take for the next one).
    #[test]
    fn salvage_follows_the_damaged_frame_s_length_over_a_frame_inside_it() {
        let ev = |seq: u64, payload: Vec<u8>| Event::new(seq + 1, 1, 0, EventId::derived(1, 0, seq), seq, alloc::vec![], payload);
        let mut inner = Vec::new();
        push_frame(&mut inner, &ev(9, b"inside".to_vec()).encode());
        let events = [ev(0, b"a".to_vec()), ev(1, inner), ev(2, b"c".to_vec())];
        let mut l = encode_log(&events);
        let start = HEADER_LEN + FRAME_OVERHEAD + events[0].encoded_len();
        let end = start + FRAME_OVERHEAD + events[1].encoded_len();
        l[start + 4] ^= 0x55; // the second frame's CRC
        let s = salvage(&l).unwrap();
        assert_eq!(s.damaged, alloc::vec![Span { start: start as u64, end: end as u64 }]);
        assert_eq!(s.frames(), 2);
    }

    /// A frame exactly as long as the header's max frame is valid, for the
    /// reader and for salvage; one byte longer is not.
    /// Salvage never goes back into a frame it has read: after damage it
    /// looks for the next frame only past the damage's first byte, though
    /// here a valid frame starts one byte earlier, on the last byte of the
    /// frame before (its payload's trailing 0 is the new frame's first
    /// length byte).
    #[test]
    fn salvage_never_takes_a_frame_that_starts_before_the_damage() {
        let ev = |seq: u64, payload: Vec<u8>| Event::new(seq + 1, 1, 0, EventId::derived(1, 0, seq), seq, alloc::vec![], payload);
        let (before, hidden, after) = (ev(0, alloc::vec![1, 2, 0]), ev(1, b"hidden".to_vec()), ev(2, b"c".to_vec()));
        let mut hidden_frame = Vec::new();
        push_frame(&mut hidden_frame, &hidden.encode());
        assert_eq!(hidden_frame[0], 0, "a frame under 16 MiB starts with a 0 byte");
        let mut l = encode_log(core::slice::from_ref(&before));
        let pos = l.len(); // where the damage starts: the frame before ends with the 0 the hidden frame needs
        l.extend_from_slice(&hidden_frame[1..]);
        let at_after = l.len();
        push_frame(&mut l, &after.encode());
        assert_eq!(frame_at(&l, pos - 1, DEFAULT_MAX_FRAME, &Limits::default()), Some(at_after), "the hidden frame is valid");
        assert_eq!(frame_at(&l, pos, DEFAULT_MAX_FRAME, &Limits::default()), None);
        let s = salvage(&l).unwrap();
        assert_eq!(s.damaged, alloc::vec![Span { start: pos as u64, end: at_after as u64 }]);
        assert_eq!(s.runs.iter().map(|r| (r.span.start, r.span.end, r.frames)).collect::<Vec<_>>(), alloc::vec![
            (HEADER_LEN as u64, pos as u64, 1),
            (at_after as u64, l.len() as u64, 1),
        ]);
    }

    /// A damaged frame's length past the log's max frame is no hint: the
    /// search goes byte by byte and keeps the frame right after the damage,
    /// even where that length would land on another valid frame.
    #[test]
    fn salvage_takes_no_hint_from_a_length_past_the_max_frame() {
        let ev = |seq: u64| Event::new(seq + 1, 1, 0, EventId::derived(1, 0, seq), seq, alloc::vec![], alloc::vec![7; 8]);
        let events: Vec<Event> = (0..4).map(ev).collect();
        let frame_len = FRAME_OVERHEAD + events[0].encoded_len();
        let max = u32::try_from(frame_len + 10).unwrap();
        let mut l = header(max).to_vec();
        l.extend_from_slice(&encode_frames(&events));
        // the second frame's length says: skip the third, land on the fourth
        let pos = HEADER_LEN + frame_len;
        let lie = u32::try_from(2 * frame_len - FRAME_OVERHEAD).unwrap();
        assert!(lie > max);
        assert!(frame_at(&l, pos + FRAME_OVERHEAD + lie as usize, max, &Limits::default()).is_some(), "it would land on a frame");
        l[pos..pos + 4].copy_from_slice(&lie.to_be_bytes());
        let s = salvage(&l).unwrap();
        assert_eq!(s.damaged, alloc::vec![Span { start: pos as u64, end: (pos + frame_len) as u64 }]);
        assert_eq!(s.frames(), 3, "the first, third and fourth frames");
    }

    #[test]
    fn a_frame_of_exactly_the_max_length_is_valid() {
        let body = Event::new(1, 1, 0, EventId::derived(1, 0, 0), 0, alloc::vec![], b"exactly".to_vec()).encode();
        let len = body.len() as u32;
        for (max, ok) in [(len, true), (len + 1, true), (len - 1, false)] {
            let mut l = header(max).to_vec();
            push_frame(&mut l, &body);
            let r = scan(&l);
            assert_eq!(r.error.is_none(), ok, "max {max}, frame {len}: {:?}", r.error);
            let s = salvage(&l).unwrap();
            assert_eq!(s.frames(), u64::from(ok), "max {max}, frame {len}");
        }
    }

    #[test]
    fn scan_with_reports_progress_after_every_so_many_bytes() {
        let (ev, l) = log();
        let every = 100u64;
        assert!(l.len() as u64 > 3 * every, "the sample log is long enough to report several times");
        // the frame ends, and when a report is due: at the first frame end at or past the next mark
        let mut want = alloc::vec![];
        let (mut at, mut next) = (HEADER_LEN as u64, every);
        for e in &ev {
            at += (FRAME_OVERHEAD + e.encoded_len()) as u64;
            if at >= next {
                want.push(at);
                next = at + every;
            }
        }
        let mut seen = alloc::vec![];
        let r = scan_with(&l, every, |b| seen.push(b));
        assert_eq!(seen, want);
        assert_eq!(r.valid_bytes, scan(&l).valid_bytes);
        // every = 0: no progress at all
        let mut none = 0;
        let _ = scan_with(&l, 0, |_| none += 1);
        assert_eq!(none, 0);
    }
}
