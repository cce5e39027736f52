//! The Merkle tree stored as C2SP tlog-tiles (<https://c2sp.org/tlog-tiles>).
//!
//! A tile is a run of up to 256 consecutive stored hashes of one *level*:
//! level 0 holds leaf hashes, level `l` the tree hashes of the full subtrees
//! of `256^l` leaves. Tile `n` of level `l` holds, for `i` from 0 to 255,
//! `MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])`, concatenated (32
//! bytes each). A *partial* tile (the rightmost of a level) holds the `w`
//! hashes that exist at a tree size, `1 <= w <= 255`; it is never hashed into
//! the level above. For a tree of size `s` the partial tile of level `l` has
//! `floor(s / 256^l) mod 256` hashes.
//!
//! Split as [`crate::tree::proof`] is:
//! - *which tiles*: [`Tile::holding`], [`inclusion_tiles`],
//!   [`consistency_tiles`] and [`root_tiles`] name the tiles a hash or a proof
//!   needs at a tree size (sizes only);
//! - *hashes from tiles*: [`subtree_hash`], [`inclusion_proof`],
//!   [`consistency_proof`] and [`root`] compute them from tile bytes that a
//!   lookup function hands over (a file store, an HTTP cache, a map);
//! - *writing tiles*: [`Edge`] is the right edge of a tiled tree (the
//!   partial tile of every level); [`Edge::extend`] appends leaf hashes and
//!   returns every tile that is new or grew, so a store writes only those.
//!
//! Entry bundles (`tile/entries/<N>[.p/<W>]`) hold the entries themselves,
//! each as a big-endian `u16` length and its bytes ([`bundle`],
//! [`parse_bundle`]); so one entry is at most 65,535 bytes.
//!
//! Every function is total: any input gives a value or a [`TileError`].
use crate::error::ErrorCode;
use crate::hash::Hash;
use crate::tree::merkle::{empty_root, leaf_hash, node_hash};
use crate::tree::proof::{self, ProofError, Subtree};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

/// Hashes per full tile.
pub const TILE_WIDTH: u16 = 256;
/// Tree levels one tile spans: a tile of level `l` stores the hashes of tree
/// height `8·l`.
pub const TILE_HEIGHT: u32 = 8;
/// Bytes of a full tile (256 hashes of 32 bytes).
pub const FULL_TILE_BYTES: usize = 8192;
/// The longest entry an entry bundle can hold (its length is a `u16`).
pub const MAX_ENTRY: usize = 65_535;
/// The highest tile level the path format allows.
pub const MAX_LEVEL: u8 = 63;

/// One tile: its level, its index within the level, and its width in
/// hashes (256 for a full tile, 1 to 255 for a partial one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tile {
    /// 0 for leaf hashes; `l` for hashes of subtrees of `256^l` leaves.
    pub level: u8,
    /// Index within the level: the tile holds stored hashes `256·index ..`.
    pub index: u64,
    /// Hashes in the tile, 1 to 256.
    pub width: u16,
}

/// Why tiles could not be read, named or used. Codes 3410 to 3414 (and the
/// proof codes 34xx for sizes out of range).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileError {
    /// A proof's sizes are out of range (3401).
    Proof(ProofError),
    /// Code 3410: a tile this needs is not available.
    Missing {
        /// The tile (at the width the tree size needs).
        tile: Tile,
    },
    /// Code 3411: a tile's bytes are not a whole number of hashes, or fewer
    /// than its width needs, or more than a full tile.
    Length {
        /// The tile.
        tile: Tile,
        /// Its length in bytes.
        len: usize,
    },
    /// Code 3412: not a tile path of the C2SP layout.
    Path {
        /// What is wrong.
        reason: &'static str,
    },
    /// Code 3413: an entry longer than a bundle can hold, or an entry bundle
    /// that is malformed or holds another number of entries than its width.
    Bundle {
        /// What is wrong.
        reason: String,
    },
    /// Code 3414: tiles and entries that do not agree with each other or
    /// with the tree they claim to store (a leaf hash, or the root at a size).
    Mismatch {
        /// What disagrees.
        reason: String,
    },
}

impl From<ProofError> for TileError {
    fn from(e: ProofError) -> Self {
        TileError::Proof(e)
    }
}

impl ErrorCode for TileError {
    fn code(&self) -> u16 {
        use crate::api::code;
        match self {
            TileError::Proof(e) => e.code(),
            TileError::Missing { .. } => code::TILE_MISSING,
            TileError::Length { .. } => code::TILE_LENGTH,
            TileError::Path { .. } => code::TILE_PATH,
            TileError::Bundle { .. } => code::TILE_BUNDLE,
            TileError::Mismatch { .. } => code::TILE_MISMATCH,
        }
    }
}

impl fmt::Display for TileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TileError::Proof(e) => e.fmt(f),
            TileError::Missing { tile } => write!(f, "tile {} is missing", tile.path()),
            TileError::Length { tile, len } => write!(
                f,
                "tile {} holds {len} bytes; it needs {} (a whole number of 32-byte hashes, at most {FULL_TILE_BYTES})",
                tile.path(),
                usize::from(tile.width) * 32
            ),
            TileError::Path { reason } => write!(f, "not a C2SP tile path: {reason}"),
            TileError::Bundle { reason } => write!(f, "entry bundle: {reason}"),
            TileError::Mismatch { reason } => f.write_str(reason),
        }
    }
}

impl core::error::Error for TileError {}

/// Writes `n` as zero-padded 3-digit path elements, all but the last
/// prefixed with `x` (1234067 is `x001/x234/067`).
fn push_index(out: &mut String, n: u64) {
    let mut groups = [0u16; 7];
    let mut count = 0;
    let mut rest = n;
    loop {
        if let Some(g) = groups.get_mut(count) {
            *g = (rest % 1000) as u16;
        }
        count += 1;
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    for i in (0..count).rev() {
        let g = groups.get(i).copied().unwrap_or(0);
        let _ = if i > 0 { write!(out, "x{g:03}/") } else { write!(out, "{g:03}") };
    }
}

impl Tile {
    /// True for a full (256-hash) tile.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tile's bytes length: `32 · width`.
    pub fn byte_len(&self) -> usize {
        usize::from(self.width) * 32
    }

    /// The tile's path under a log's prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "tile/{}/", self.level);
        self.push_suffix(&mut s);
        s
    }

    /// The path of the entry bundle with this tile's index and width,
    /// `tile/entries/<N>[.p/<W>]` (meaningful for level 0).
    pub fn entries_path(&self) -> String {
        let mut s = String::from("tile/entries/");
        self.push_suffix(&mut s);
        s
    }

    fn push_suffix(&self, s: &mut String) {
        push_index(s, self.index);
        if !self.is_full() {
            let _ = write!(s, ".p/{}", self.width);
        }
    }

    /// Reads a tile path (`tile/<L>/<N>[.p/<W>]`) or an entry bundle path
    /// (`tile/entries/<N>[.p/<W>]`, returned as level 0 with `true`). Only
    /// the one canonical spelling is accepted: no leading zeros in `L` or
    /// `W`, no leading `x000/` element, `W` from 1 to 255, `L` at most 63.
    pub fn parse(path: &str) -> Result<(Tile, bool), TileError> {
        let bad = |reason| TileError::Path { reason };
        let rest = path.strip_prefix("tile/").ok_or(bad("it does not start with tile/"))?;
        let (level, entries, rest) = match rest.strip_prefix("entries/") {
            Some(r) => (0u8, true, r),
            None => {
                let (l, r) = rest.split_once('/').ok_or(bad("no index after the level"))?;
                (parse_small(l, 0, u64::from(MAX_LEVEL)).ok_or(bad("the level is not a decimal from 0 to 63"))? as u8, false, r)
            }
        };
        let (digits, width) = match rest.split_once(".p/") {
            Some((d, w)) => (d, parse_small(w, 1, 255).ok_or(bad("the width is not a decimal from 1 to 255"))? as u16),
            None => (rest, TILE_WIDTH),
        };
        let mut index: u64 = 0;
        let elems: Vec<&str> = digits.split('/').collect();
        for (i, e) in elems.iter().enumerate() {
            let last = i + 1 == elems.len();
            let d = if last { Some(*e) } else { e.strip_prefix('x') };
            let d = d.filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit())).ok_or(bad("an index element is not x### (or ### last)"))?;
            let v = d.bytes().fold(0u64, |a, b| a * 10 + u64::from(b - b'0'));
            index = index.checked_mul(1000).and_then(|x| x.checked_add(v)).ok_or(bad("the index is too large"))?;
        }
        let tile = Tile { level, index, width };
        let canonical = if entries { tile.entries_path() } else { tile.path() };
        if canonical != path {
            return Err(bad("not the canonical spelling (a leading x000 element?)"));
        }
        Ok((tile, entries))
    }

    /// The tile, at tree size `size`, that holds stored hash `n` of `level`
    /// (the hash of leaves `[n·256^level, (n+1)·256^level)`). `None` when that
    /// hash does not exist at this size (the subtree is not complete) or the
    /// level is above 63.
    pub fn holding(level: u8, n: u64, size: u64) -> Option<Tile> {
        if level > MAX_LEVEL {
            return None;
        }
        let stored = stored_count(level, size);
        if n >= stored {
            return None;
        }
        let index = n / 256;
        let width = if index < stored / 256 { TILE_WIDTH } else { (stored % 256) as u16 };
        Some(Tile { level, index, width })
    }
}

fn parse_small(s: &str, min: u64, max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 3 || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = s.bytes().fold(0u64, |a, b| a * 10 + u64::from(b - b'0'));
    (min..=max).contains(&v).then_some(v)
}

/// How many hashes level `level` stores at tree size `size`: `floor(size / 256^level)`.
fn stored_count(level: u8, size: u64) -> u64 {
    size.checked_shr(TILE_HEIGHT * u32::from(level)).unwrap_or(0)
}

/// The tiles a tree of `size` leaves consists of beyond its full tiles: the
/// partial tile of each level that has one, lowest level first. These are
/// exactly the tiles whose contents change as the tree grows.
pub fn partial_tiles(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    for level in 0..=MAX_LEVEL {
        let stored = stored_count(level, size);
        if stored == 0 {
            break;
        }
        if stored % 256 != 0 {
            out.push(Tile { level, index: stored / 256, width: (stored % 256) as u16 });
        }
    }
    out
}

/// Every tile of a tree of `size` leaves, full and partial, by level then
/// index. A store rebuilt from the leaves holds exactly these.
pub fn all_tiles(size: u64) -> impl Iterator<Item = Tile> {
    (0..=MAX_LEVEL).map_while(move |level| {
        let stored = stored_count(level, size);
        (stored > 0).then_some((level, stored))
    })
    .flat_map(|(level, stored)| {
        let full = stored / 256;
        let part = (stored % 256) as u16;
        (0..full)
            .map(move |index| Tile { level, index, width: TILE_WIDTH })
            .chain((part > 0).then_some(Tile { level, index: full, width: part }))
    })
}

/// A perfect subtree of `2^h` leaves starting at `start`, as a run of stored
/// hashes: (level, first stored index, count).
fn perfect_run(start: u64, h: u32) -> (u8, u64, u64) {
    let level = (h / TILE_HEIGHT) as u8;
    let shift = TILE_HEIGHT * u32::from(level);
    (level, start >> shift, 1u64 << (h - shift))
}

/// The perfect subtrees a subtree of a proof (or the whole tree) splits
/// into, left to right: one for a perfect subtree, one per set bit of its
/// length for a subtree on the tree's right edge.
fn pieces(st: Subtree) -> impl Iterator<Item = (u64, u32)> {
    let len = st.len();
    let mut at = st.start;
    (0..64u32).rev().filter(move |b| len >> b & 1 == 1).map(move |b| {
        let p = (at, b);
        at = at.wrapping_add(1u64 << b);
        p
    })
}

/// The tiles needed to hash subtree `st` of a tree of `size` leaves.
fn subtree_tiles(st: Subtree, size: u64, out: &mut Vec<Tile>) {
    for (start, h) in pieces(st) {
        let (level, n, _) = perfect_run(start, h);
        if let Some(t) = Tile::holding(level, n, size) {
            out.push(t);
        }
    }
}

fn sorted(mut v: Vec<Tile>) -> Vec<Tile> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The tiles (at tree size `size`) that an inclusion proof of leaf `index`
/// needs, with the leaf hash itself: the tiles [`inclusion_proof`] reads,
/// sorted, each once. At most two per level.
pub fn inclusion_tiles(index: u64, size: u64) -> Result<Vec<Tile>, TileError> {
    let mut out = Vec::new();
    for st in proof::inclusion_nodes(index, size)? {
        subtree_tiles(st, size, &mut out);
    }
    subtree_tiles(Subtree { start: index, end: index.saturating_add(1) }, size, &mut out);
    Ok(sorted(out))
}

/// The tiles (at tree size `new_size`) that a consistency proof from
/// `old_size` needs: the tiles [`consistency_proof`] reads, sorted, each once.
pub fn consistency_tiles(old_size: u64, new_size: u64) -> Result<Vec<Tile>, TileError> {
    let mut out = Vec::new();
    for st in proof::consistency_nodes(old_size, new_size)? {
        subtree_tiles(st, new_size, &mut out);
    }
    Ok(sorted(out))
}

/// The tiles the root of a tree of `size` leaves needs: its partial tiles
/// (each perfect subtree of the tree's compact range lies in the partial
/// tile of its level), sorted. Empty for size 0.
pub fn root_tiles(size: u64) -> Vec<Tile> {
    let mut out = Vec::new();
    if size > 0 {
        subtree_tiles(Subtree { start: 0, end: size }, size, &mut out);
    }
    sorted(out)
}

/// The stored hashes `[n, n + count)` of `tile`'s level, from the bytes the
/// lookup gave for `tile`. Accepts the tile at its own width or any wider
/// one (a full tile in place of a partial one: its first hashes are the
/// same), never narrower.
fn hashes_of<'a>(tile: Tile, bytes: &'a [u8], n: u64, count: u64) -> Result<&'a [u8], TileError> {
    let len = bytes.len();
    if len % 32 != 0 || len < tile.byte_len() || len > FULL_TILE_BYTES {
        return Err(TileError::Length { tile, len });
    }
    let off = usize::try_from((n % 256) * 32).unwrap_or(usize::MAX);
    let end = off.saturating_add(usize::try_from(count * 32).unwrap_or(usize::MAX));
    bytes.get(off..end).ok_or(TileError::Length { tile, len })
}

/// The tree hash of the 32-byte hashes in `run` (a power-of-two count).
fn run_root(run: &[u8]) -> Hash {
    let mut level: Vec<Hash> = run.chunks_exact(32).map(|c| {
        let mut h = [0u8; 32];
        h.copy_from_slice(c);
        h
    }).collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| match p {
            [l, r] => node_hash(l, r),
            [l] => *l,
            _ => empty_root(),
        }).collect();
    }
    level.first().copied().unwrap_or_else(empty_root)
}

/// `MTH(D[st.start : st.end])` of the tree of `size` leaves, from tiles.
/// `st` must be a node of that tree: a perfect subtree, or a subtree that
/// ends at `size` (every subtree a proof names is one).
///
/// `tile` hands over a tile's bytes (see [`hashes_of`] for what it may give);
/// `None` is [`TileError::Missing`].
pub fn subtree_hash<'a>(st: Subtree, size: u64, tile: &mut impl FnMut(&Tile) -> Option<&'a [u8]>) -> Result<Hash, TileError> {
    if st.is_empty() || st.end > size || (!st.is_perfect() && st.end != size) || (st.is_perfect() && st.start % st.len() != 0) {
        return Err(ProofError::IndexOutOfRange { index: st.end.saturating_sub(1), size }.into());
    }
    let mut hashes: Vec<Hash> = Vec::new();
    for (start, h) in pieces(st) {
        let (level, n, count) = perfect_run(start, h);
        let t = Tile::holding(level, n, size).ok_or(ProofError::IndexOutOfRange { index: st.end.saturating_sub(1), size })?;
        let bytes = tile(&t).ok_or(TileError::Missing { tile: t })?;
        hashes.push(run_root(hashes_of(t, bytes, n, count)?));
    }
    let mut it = hashes.into_iter().rev();
    let mut acc = it.next().unwrap_or_else(empty_root);
    for left in it {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The root of the tree of `size` leaves, from its [`root_tiles`]
/// (`SHA-256("")` for size 0).
pub fn root<'a>(size: u64, tile: &mut impl FnMut(&Tile) -> Option<&'a [u8]>) -> Result<Hash, TileError> {
    if size == 0 {
        return Ok(empty_root());
    }
    subtree_hash(Subtree { start: 0, end: size }, size, tile)
}

/// Leaf `index`'s hash and its RFC 9162 inclusion proof in the tree of
/// `size` leaves, from the [`inclusion_tiles`].
pub fn inclusion_proof<'a>(index: u64, size: u64, tile: &mut impl FnMut(&Tile) -> Option<&'a [u8]>) -> Result<(Hash, Vec<Hash>), TileError> {
    let nodes = proof::inclusion_nodes(index, size)?;
    let leaf = subtree_hash(Subtree { start: index, end: index + 1 }, size, tile)?;
    let proof = nodes.into_iter().map(|st| subtree_hash(st, size, tile)).collect::<Result<_, _>>()?;
    Ok((leaf, proof))
}

/// The RFC 9162 consistency proof from `old_size` to `new_size`, from the
/// [`consistency_tiles`] at `new_size`.
pub fn consistency_proof<'a>(old_size: u64, new_size: u64, tile: &mut impl FnMut(&Tile) -> Option<&'a [u8]>) -> Result<Vec<Hash>, TileError> {
    proof::consistency_nodes(old_size, new_size)?.into_iter().map(|st| subtree_hash(st, new_size, tile)).collect()
}

/// An entry bundle: each entry as a big-endian `u16` length and its bytes.
/// Fails with [`TileError::Bundle`] for an entry over 65,535 bytes (naming
/// its position in `entries`).
pub fn bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| TileError::Bundle {
            reason: alloc::format!("entry {i} is {} bytes; a C2SP entry bundle holds at most {MAX_ENTRY} bytes per entry", e.len()),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// The entries of an entry bundle, borrowed. Fails with [`TileError::Bundle`]
/// when a length runs past the end.
pub fn parse_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let at = bytes.len() - rest.len();
        let bad = || TileError::Bundle { reason: alloc::format!("the entry at byte {at} runs past the end of the bundle ({} bytes)", bytes.len()) };
        let (len, tail) = rest.split_first_chunk::<2>().ok_or_else(bad)?;
        let n = usize::from(u16::from_be_bytes(*len));
        let (e, tail) = tail.split_at_checked(n).ok_or_else(bad)?;
        out.push(e);
        rest = tail;
    }
    Ok(out)
}

/// The right edge of a tiled tree: its size and, for every level, the hashes
/// of its partial tile (fewer than 256 each). It is all a writer needs to
/// append: full tiles never change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Edge {
    size: u64,
    levels: Vec<Vec<Hash>>,
}

impl Edge {
    /// The empty tree.
    pub fn new() -> Self {
        Edge::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads the edge of a tree of `size` leaves from its [`partial_tiles`]
    /// (a full tile in place of a partial one is taken too).
    pub fn from_tiles<'a>(size: u64, tile: &mut impl FnMut(&Tile) -> Option<&'a [u8]>) -> Result<Edge, TileError> {
        let mut levels = Vec::new();
        for level in 0..=MAX_LEVEL {
            let stored = stored_count(level, size);
            if stored == 0 {
                break;
            }
            let w = stored % 256;
            let mut hs = Vec::new();
            if w > 0 {
                let t = Tile { level, index: stored / 256, width: w as u16 };
                let bytes = tile(&t).ok_or(TileError::Missing { tile: t })?;
                for c in hashes_of(t, bytes, 0, w)?.chunks_exact(32) {
                    let mut h = [0u8; 32];
                    h.copy_from_slice(c);
                    hs.push(h);
                }
            }
            levels.push(hs);
        }
        Ok(Edge { size, levels })
    }

    /// The tree hash (`SHA-256("")` for the empty tree).
    pub fn root(&self) -> Hash {
        // The compact range: each set bit h of the size is 2^(h mod 8)
        // consecutive hashes of level h / 8's partial tile, largest first.
        let mut peaks: Vec<Hash> = Vec::new();
        for (level, hs) in self.levels.iter().enumerate().rev() {
            let mut at = 0usize;
            for b in (0..TILE_HEIGHT).rev() {
                if self.size >> (TILE_HEIGHT as usize * level + b as usize) & 1 == 1 {
                    let n = 1usize << b;
                    let run: Vec<u8> = hs.iter().skip(at).take(n).flatten().copied().collect();
                    peaks.push(run_root(&run));
                    at += n;
                }
            }
        }
        let mut it = peaks.into_iter().rev();
        let Some(mut acc) = it.next() else { return empty_root() };
        for left in it {
            acc = node_hash(&left, &acc);
        }
        acc
    }

    /// The partial tile of `level` and its hashes' bytes, if it has one.
    pub fn partial(&self, level: u8) -> Option<(Tile, Vec<u8>)> {
        let hs = self.levels.get(usize::from(level)).filter(|h| !h.is_empty())?;
        let t = Tile { level, index: stored_count(level, self.size) / 256, width: hs.len() as u16 };
        Some((t, hs.iter().flatten().copied().collect()))
    }

    /// Appends `leaves` (leaf hashes, in order) and returns every tile that
    /// is new or wider than before, with its bytes: each full tile completed
    /// (level by level, in the order completed), then the new partial tile
    /// of each level whose partial tile changed. A store that writes these
    /// (full tiles before the partial ones) holds the tree of the new size.
    pub fn extend(&mut self, leaves: &[Hash]) -> Vec<(Tile, Vec<u8>)> {
        let old = self.size;
        let mut out = Vec::new();
        for leaf in leaves {
            let Some(next) = self.size.checked_add(1) else { break };
            let mut carry = *leaf;
            let mut level = 0usize;
            loop {
                if self.levels.len() <= level {
                    self.levels.push(Vec::new());
                }
                let Some(hs) = self.levels.get_mut(level) else { break };
                hs.push(carry);
                if hs.len() < 256 {
                    break;
                }
                let bytes: Vec<u8> = hs.iter().flatten().copied().collect();
                hs.clear();
                let index = stored_count(level as u8, next) / 256 - 1;
                carry = run_root(&bytes);
                out.push((Tile { level: level as u8, index, width: TILE_WIDTH }, bytes));
                level += 1;
            }
            self.size = next;
        }
        for level in 0..self.levels.len() {
            let l = level as u8;
            let now = stored_count(l, self.size);
            let before = stored_count(l, old);
            if now % 256 != 0 && now != before {
                if let Some(p) = self.partial(l) {
                    out.push(p);
                }
            }
        }
        out
    }
}

/// The leaf hash of an entry (RFC 6962: `SHA-256(0x00 || entry)`), the hash
/// a level-0 tile stores for it.
pub fn entry_hash(entry: &[u8]) -> Hash {
    leaf_hash(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::merkle;
    use alloc::collections::BTreeMap;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn store(n: u64) -> BTreeMap<Tile, Vec<u8>> {
        let mut e = Edge::new();
        e.extend(&leaves(n)).into_iter().collect()
    }

    #[test]
    fn paths_are_the_c2sp_spelling() {
        let t = |level, index, width| Tile { level, index, width };
        assert_eq!(t(0, 1234067, 256).path(), "tile/0/x001/x234/067");
        assert_eq!(t(1, 5, 17).path(), "tile/1/005.p/17");
        assert_eq!(t(0, 1000, 256).entries_path(), "tile/entries/x001/000");
        assert_eq!(t(0, 0, 1).entries_path(), "tile/entries/000.p/1");
        for p in ["tile/0/x001/x234/067", "tile/63/000.p/255", "tile/entries/x018/x446/x744/x073/x709/x551/615"] {
            let (tile, entries) = Tile::parse(p).unwrap();
            assert_eq!(if entries { tile.entries_path() } else { tile.path() }, p);
        }
        for p in ["tile/0/1", "tile/00/000", "tile/64/000", "tile/0/x000/001", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/08",
            "tile/0/001/002", "tile/0/x001", "tiles/0/000", "tile/0/000/", "tile/entries/x018/x446/x744/x073/x709/x551/616", "tile/0/0a0"] {
            assert!(Tile::parse(p).is_err(), "{p}");
        }
    }

    #[test]
    fn the_spec_example_of_70000() {
        let parts: Vec<_> = partial_tiles(70_000).iter().map(Tile::path).collect();
        assert_eq!(parts, ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]);
        assert_eq!(all_tiles(70_000).filter(|t| t.level == 0 && t.is_full()).count(), 273);
        assert_eq!(partial_tiles(256).iter().map(Tile::path).collect::<Vec<_>>(), ["tile/1/000.p/1"]);
    }

    #[test]
    fn incremental_tiles_equal_tiles_built_at_once() {
        let all = leaves(70_000);
        let whole = store(70_000);
        assert_eq!(whole.keys().copied().collect::<Vec<_>>(), all_tiles(70_000).collect::<Vec<_>>());
        let mut e = Edge::new();
        let mut got: BTreeMap<Tile, Vec<u8>> = BTreeMap::new();
        for chunk in all.chunks(997) {
            for (t, b) in e.extend(chunk) {
                got.insert(t, b);
            }
            let mut get = |t: &Tile| got.get(t).map(Vec::as_slice);
            let back = Edge::from_tiles(e.size(), &mut get).unwrap();
            assert_eq!(back, e);
            assert_eq!(e.root(), merkle::root(&all[..e.size() as usize]));
        }
        // the store also holds the partial tiles of every intermediate size
        for (t, b) in &whole {
            assert_eq!(got.get(t), Some(b), "{}", t.path());
        }
    }

    #[test]
    fn proofs_from_tiles_equal_proofs_from_leaves() {
        for size in [1u64, 2, 255, 256, 257, 511, 65_536, 65_537, 70_000] {
            let all = leaves(size);
            let tiles = store(size);
            let mut reads = 0;
            let mut get = |t: &Tile| {
                reads += 1;
                tiles.get(t).map(Vec::as_slice)
            };
            assert_eq!(root(size, &mut get).unwrap(), merkle::root(&all));
            for i in [0, size / 3, size / 2, size - 1] {
                let (leaf, p) = inclusion_proof(i, size, &mut get).unwrap();
                assert_eq!(leaf, all[i as usize]);
                assert_eq!(p, proof::inclusion_proof(&all, i).unwrap(), "{i} of {size}");
                for m in [0, 1, i, size - 1, size] {
                    assert_eq!(consistency_proof(m, size, &mut get).unwrap(), proof::consistency_proof(&all, m).unwrap(), "{m} to {size}");
                }
            }
        }
    }

    #[test]
    fn needed_tiles_are_exactly_the_ones_read() {
        let size = 70_000;
        let tiles = store(size);
        for i in [0u64, 1, 300, 65_535, 65_536, 69_999] {
            let mut read = Vec::new();
            let mut get = |t: &Tile| {
                read.push(*t);
                tiles.get(t).map(Vec::as_slice)
            };
            inclusion_proof(i, size, &mut get).unwrap();
            assert_eq!(sorted(read), inclusion_tiles(i, size).unwrap());
            let mut read = Vec::new();
            let mut get = |t: &Tile| {
                read.push(*t);
                tiles.get(t).map(Vec::as_slice)
            };
            consistency_proof(i + 1, size, &mut get).unwrap();
            assert_eq!(sorted(read), consistency_tiles(i + 1, size).unwrap());
        }
        assert_eq!(root_tiles(size), partial_tiles(size));
    }

    #[test]
    fn a_full_tile_stands_in_for_a_partial_one_and_nothing_narrower_does() {
        let tiles = store(512);
        let all = leaves(512);
        let mut get = |t: &Tile| tiles.get(&Tile { width: 256, ..*t }).map(Vec::as_slice);
        assert_eq!(inclusion_proof(3, 300, &mut get).unwrap().1, proof::inclusion_proof(&all[..300], 3).unwrap());
        let short = [0u8; 64];
        let mut get = |_: &Tile| Some(&short[..]);
        assert_eq!(root(300, &mut get).unwrap_err().code(), crate::api::code::TILE_LENGTH);
        let mut none = |_: &Tile| None;
        assert!(matches!(root(300, &mut none), Err(TileError::Missing { .. })));
        assert!(matches!(inclusion_proof(300, 300, &mut none), Err(TileError::Proof(_))));
    }

    #[test]
    fn bundles_round_trip_and_refuse_what_they_cannot_hold() {
        let a = [1u8, 2, 3];
        let big = alloc::vec![0u8; MAX_ENTRY + 1];
        let b = bundle([&a[..], &[][..]]).unwrap();
        assert_eq!(b, [0, 3, 1, 2, 3, 0, 0]);
        assert_eq!(parse_bundle(&b).unwrap(), [&a[..], &[][..]]);
        assert!(parse_bundle(&b[..4]).is_err());
        assert!(parse_bundle(&[0]).is_err());
        assert_eq!(bundle([&big[..]]).unwrap_err().code(), crate::api::code::TILE_BUNDLE);
    }
}
