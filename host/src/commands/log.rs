//! `omega append | ingest | snapshot | replay`, `reconcile --format omega`,
//! and crash bundles: the framed log on disk.
use crate::json_out::{self, J};
use crate::{EngineArgs, EngineKind, exit_for, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use omega_core::event::frame;
use omega_core::api::ops::{self, make_fields};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A file's bytes, mapped when it is a regular non-empty file (zero copy), read otherwise.
pub(crate) enum Bytes {
    /// The map, and the open file that holds the shared lock while it lives.
    Mapped {
        map: memmap2::Mmap,
        _lock: File,
    },
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped { map, .. } => map,
            Bytes::Owned(v) => v,
        }
    }
}

/// A file's bytes: mapped when it is a regular non-empty file (zero copy),
/// read otherwise (pipes, `/dev/stdin`, `<(…)`, character devices: their
/// size is not known in advance, so they are read to the end).
///
/// A mapped file that another program truncates while omega reads it would
/// raise SIGBUS; [`crate::guard`] turns that into error 3808 and exit 2.
/// omega's own writers (`append`, `ingest --repair/--salvage`) take an
/// exclusive lock on the log, and readers here a shared one, so omega never
/// truncates a log another omega process is reading.
pub(crate) fn map(path: &Path) -> Result<Bytes> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let meta = f.metadata().with_context(|| format!("cannot stat {}", path.display()))?;
    if !meta.is_file() {
        let mut v = Vec::new();
        (&f).read_to_end(&mut v).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(Bytes::Owned(v));
    }
    // Shared with other readers; waits for an omega writer to finish. Best
    // effort: a file system without flock still gets read (the SIGBUS guard
    // stands behind it).
    let _ = f.lock_shared();
    if meta.len() == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    // SAFETY: the map is read-only and omega's reader checks every bound, so a
    // concurrent writer can at worst make a frame fail its CRC, never cause UB
    // in safe code reading a &[u8]. A truncation under the map raises SIGBUS,
    // which `guard` reports as error 3808 (exit 2) instead of dying.
    let m = unsafe { memmap2::Mmap::map(&f) }.with_context(|| format!("cannot map {}", path.display()))?;
    // The lock lives as long as the open file description; the map keeps
    // its own reference to the file, so the shared lock is held by `f` only
    // until here. Keep it with the map.
    Ok(Bytes::Mapped { map: m, _lock: f })
}

fn print(bytes: &[u8]) -> Result<()> {
    std::io::stdout().write_all(bytes).context("writing standard output")
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Whether `bytes` (shorter than a header) is the start of a header omega
/// writes: what a crash while creating a log leaves behind.
fn torn_header(bytes: &[u8]) -> bool {
    bytes.len() < frame::HEADER_LEN && frame::header(frame::DEFAULT_MAX_FRAME).starts_with(bytes)
}

/// A path beside `path` that does not exist yet: `<path>.<what>`, then `<path>.<what>.1`, …
fn side_file(path: &Path, what: &str) -> Result<(PathBuf, File)> {
    for n in 0..1000u32 {
        let mut name = path.as_os_str().to_os_string();
        name.push(format!(".{what}"));
        if n > 0 {
            name.push(format!(".{n}"));
        }
        let p = PathBuf::from(name);
        match OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", p.display())),
        }
    }
    bail!("cannot find a free name for {}.{what}: 1000 of them exist", path.display())
}

/// `omega append --log L --input EVENTS [--format json|binary]`.
///
/// The log is opened (created if absent) and locked exclusively for the
/// whole check-and-write, so concurrent appends and creations serialise:
/// each lands whole, in some order, and none fails because another ran.
///
/// With `tiles`, the store there is first brought up to the log, the batch
/// is reconciled against the tiled history (an obstruction is refused
/// before anything is written), and after the frames are durable the new
/// tiles and entry bundles are written (docs/FORMATS.md, "Tiled log").
pub fn append(log: &Path, input: &str, binary: bool, tiles: Option<&Path>, engine: &EngineArgs) -> Result<ExitCode> {
    let events = crate::read_input(input)?;
    // Canonical bytes of the batch, framed (parsed by core, so bad input is refused before any write).
    let parsed = if binary {
        omega_core::Event::decode_all(&events, &omega_core::Limits::default())
            .map_err(|(i, at, e)| anyhow!("error {}: event {i} (starting at byte {at}): {e}", omega_core::ErrorCode::code(&e)))
    } else {
        omega_core::api::json::parse_events(&events, &omega_core::Limits::default()).map_err(|e| anyhow!("error {}: {e}", omega_core::ErrorCode::code(&e)))
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("omega: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let frames = frame::encode_frames(&parsed);
    let mut f = open_locked(log)?;
    let mut existing = Vec::new();
    let len = f.metadata()?.len();
    let created = len < frame::HEADER_LEN as u64 && {
        // Empty (new, or a creation that crashed before its header) or a torn
        // header omega wrote: completing the header loses nothing.
        f.read_to_end(&mut existing)?;
        if !torn_header(&existing) {
            eprintln!(
                "omega: error 3803: {} holds {len} bytes that are not the start of an omega log header; it is not an omega log, so nothing was appended",
                log.display()
            );
            return Ok(ExitCode::from(2));
        }
        f.set_len(0)?;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&frame::header(frame::DEFAULT_MAX_FRAME))?;
        f.sync_all()?;
        sync_dir(log);
        true
    };
    let mut tiled = None;
    if !created || tiles.is_some() {
        // SAFETY: read-only map of a file this process holds the exclusive lock on.
        let map = unsafe { memmap2::Mmap::map(&f) }.with_context(|| format!("cannot map {}", log.display()))?;
        let r = frame::scan(&map);
        if r.error.is_none() {
            if let Some(dir) = tiles {
                match crate::commands::tiles::prepare(dir, log, &map, &parsed, engine) {
                    Ok(t) => tiled = Some(t),
                    Err(e) => return crate::commands::tiles::refusal_exit(e),
                }
            }
        }
        drop(map);
        if let Some(e) = &r.error {
            let advice = match (e.offset(), r.after_damage) {
                (0, _) => "its header is not a readable omega log header; nothing can be appended to it".to_string(),
                (_, Some(a)) if a.intact_frames > 0 => format!(
                    "{} intact frame(s) follow the damage; run `omega ingest --input {} --salvage` to keep them and set the damaged bytes aside",
                    a.intact_frames,
                    log.display()
                ),
                _ => format!("the damage is only a tail; run `omega ingest --input {} --repair` to cut it (the cut bytes are kept in a side file)", log.display()),
            };
            eprintln!("omega: error {}: {} is damaged ({e}); appending after it would hide the damage, so nothing was appended: {advice}", omega_core::ErrorCode::code(e), log.display());
            return Ok(ExitCode::from(2));
        }
    }
    let start = f.seek(SeekFrom::End(0))?;
    // One write, then fsync: a crash leaves at worst a torn last frame, which
    // readers report and `ingest --repair` cuts; the frames before it stay intact.
    f.write_all(&frames).with_context(|| format!("writing to {}", log.display()))?;
    f.sync_all().with_context(|| format!("fsync of {}", log.display()))?;
    let mut m = vec![
        ("status", "ok".into()),
        ("log", log.display().to_string().into()),
        ("created", created.into()),
        ("appended", parsed.len().into()),
        ("offset", start.into()),
        ("bytes", (start + frames.len() as u64).into()),
    ];
    if let Some(t) = tiled {
        match t.finish(parsed, start + frames.len() as u64) {
            Ok(j) => m.push(("tiles", j)),
            Err(e) => {
                eprintln!("omega: the events were appended to {}, but the tile store was not brought up to it: {e:#}; `omega tiles --log {} --out DIR` catches it up", log.display(), log.display());
                return Ok(ExitCode::from(2));
            }
        }
    }
    let body = J::O(m);
    print(body.pretty().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Opens (creating if absent) and exclusively locks the log at `path`. If
/// another process replaced the file while this one waited for the lock
/// (`ingest --salvage` renames a new file into place), the new file is
/// opened and locked instead, so nothing is ever written to an unlinked log.
fn open_locked(path: &Path) -> Result<File> {
    use std::os::unix::fs::MetadataExt;
    loop {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open or create {}", path.display()))?;
        let meta = f.metadata()?;
        if !meta.is_file() {
            bail!("{} is not a regular file; a log must be one", path.display());
        }
        f.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        match std::fs::metadata(path) {
            Ok(now) if now.dev() == meta.dev() && now.ino() == meta.ino() => return Ok(f),
            _ => continue,
        }
    }
}

/// What `omega ingest` does to a damaged log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// Only report.
    None,
    /// Cut a damaged tail (refused when intact frames follow the damage).
    Repair,
    /// Keep every intact frame, set every damaged span aside in a side file.
    Salvage,
}

/// `omega ingest --input L [--repair | --salvage]`.
pub fn ingest(input: &Path, fix: Fix, engine: &EngineArgs) -> Result<ExitCode> {
    // A writer's exclusive lock for the whole check-and-fix, a reader's shared one otherwise.
    let locked = if fix == Fix::None {
        None
    } else {
        if !input.exists() {
            bail!("cannot open {}: no such file", input.display());
        }
        Some(open_locked(input)?)
    };
    let bytes = match &locked {
        // A copy: the fix changes the file afterwards.
        Some(f) => {
            let mut v = Vec::new();
            let mut r: &File = f;
            r.read_to_end(&mut v).with_context(|| format!("cannot read {}", input.display()))?;
            Bytes::Owned(v)
        }
        None => map(input)?,
    };
    let resp = match engine.engine {
        EngineKind::Native => {
            let total = bytes.len() as u64;
            let bar = (total >= 64 << 20).then(|| {
                let b = indicatif::ProgressBar::new(total);
                b.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} ingest [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
            let r = frame::scan_with(&bytes, 16 << 20, |done| {
                if let Some(b) = &bar {
                    b.set_position(done);
                }
            });
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            ops::ingest_response(&r)
        }
        EngineKind::Wasm => run_op(engine, Op::Ingest, &make_fields(&[&bytes]))?,
    };
    if resp.status == abi::STATUS_ERROR {
        report_error(&resp.body);
        return Ok(ExitCode::from(2));
    }
    let (Some(f), abi::STATUS_OBSTRUCTION) = (&locked, resp.status) else {
        print(&resp.body)?;
        return Ok(exit_for(&resp));
    };
    let report: serde_json::Value = serde_json::from_slice(&resp.body)?;
    let valid = report.get("valid_bytes").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let intact_after = report.pointer("/after_damage/intact_frames").and_then(serde_json::Value::as_u64);
    let size = bytes.len() as u64;
    let Some(intact_after) = intact_after else {
        // The header itself is bad: no frame can be trusted.
        if torn_header(&bytes) {
            // A creation that crashed before its header was whole: no frame was ever written.
            // the report is made before the log changes, so nothing can fail after it did
            let detail = J::O(vec![("header_rewritten", true.into()), ("dropped_bytes", 0.into())]);
            let report = with_status(&resp.body, "repaired", detail)?;
            f.set_len(0)?;
            let mut w = f;
            w.seek(SeekFrom::Start(0))?;
            w.write_all(&frame::header(frame::DEFAULT_MAX_FRAME))?;
            w.sync_all()?;
            print(&report)?;
            eprintln!("omega: repaired {}: its header was torn ({size} of 16 bytes written) and no frame followed; the header is complete now", input.display());
            return Ok(ExitCode::SUCCESS);
        }
        print(&resp.body)?;
        eprintln!("omega: the header of {} is not a valid omega log header, so no frame can be trusted; nothing was changed", input.display());
        return Ok(ExitCode::from(2));
    };
    if fix == Fix::Repair && intact_after > 0 {
        print(&resp.body)?;
        eprintln!(
            "omega: {} is damaged at byte {valid} and {intact_after} intact frame(s) follow the damage; cutting the log there would lose them, so nothing was changed.\n\
             omega: `omega ingest --input {} --salvage` keeps every intact frame and moves the damaged bytes to a side file",
            input.display(),
            input.display()
        );
        return Ok(ExitCode::from(2));
    }
    let plan = frame::salvage(&bytes).map_err(|e| anyhow!("{e}"))?;
    // Set the damaged bytes aside first: nothing leaves the log before it is safely elsewhere.
    let (side, mut sf) = side_file(input, "damaged")?;
    let mut spans = Vec::new();
    for d in &plan.damaged {
        let chunk = bytes.get(d.start as usize..d.end as usize).unwrap_or_default();
        sf.write_all(chunk).with_context(|| format!("writing {}", side.display()))?;
        spans.push(J::O(vec![("offset", d.start.into()), ("bytes", (d.end - d.start).into())]));
    }
    sf.sync_all()?;
    sync_dir(&side);
    let kept_frames = plan.frames();
    let damaged_bytes = plan.damaged_bytes();
    if fix == Fix::Repair {
        let detail = J::O(vec![
            ("truncated_to", valid.into()),
            ("dropped_bytes", (size - valid).into()),
            ("saved_to", side.display().to_string().into()),
        ]);
        let report = with_status(&resp.body, "repaired", detail)?;
        drop(bytes);
        f.set_len(valid).with_context(|| format!("cannot truncate {}", input.display()))?;
        f.sync_all()?;
        print(&report)?;
        eprintln!(
            "omega: repaired {}: cut the damaged tail of {} bytes after byte {valid} (no intact frame was in it) and kept those bytes in {}; all {kept_frames} intact frames are kept",
            input.display(),
            size - valid,
            side.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Salvage: header, then every run of intact frames, into a new file that replaces the log.
    let mut out = bytes.get(..frame::HEADER_LEN).unwrap_or_default().to_vec();
    for r in &plan.runs {
        out.extend_from_slice(bytes.get(r.span.start as usize..r.span.end as usize).unwrap_or_default());
    }
    drop(bytes);
    let detail = J::O(vec![
        ("kept_frames", kept_frames.into()),
        ("kept_bytes", out.len().into()),
        ("damaged_spans", J::A(spans)),
        ("damaged_bytes", damaged_bytes.into()),
        ("saved_to", side.display().to_string().into()),
    ]);
    let report = with_status(&resp.body, "salvaged", detail)?;
    let (tmp, mut tf) = side_file(input, &format!("salvage-{}.tmp", std::process::id()))?;
    tf.write_all(&out).with_context(|| format!("writing {}", tmp.display()))?;
    tf.sync_all()?;
    drop(tf);
    std::fs::rename(&tmp, input).with_context(|| format!("cannot replace {} by {}", input.display(), tmp.display()))?;
    sync_dir(input);
    print(&report)?;
    eprintln!(
        "omega: salvaged {}: kept {kept_frames} intact frames in their order; moved {damaged_bytes} damaged bytes ({} span(s)) to {}. \
         The frames after the damage now sit at new indices: certificates over them must be checked again",
        input.display(),
        plan.damaged.len(),
        side.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The ingest report `body` (in its order) with `status` set to `status`
/// (`repaired` or `salvaged`) and, last, a member of that name holding `detail`.
fn with_status(body: &[u8], status: &'static str, detail: J) -> Result<Vec<u8>> {
    let mut m = json_out::members(body)?;
    for (k, v) in &mut m {
        if k == "status" {
            *v = serde_json::Value::from(status).to_string();
        }
    }
    let detail = detail.pretty();
    m.push((status.to_string(), detail.trim_end().replace('\n', "\n  ")));
    Ok(json_out::object(&m))
}

/// `omega snapshot (--state R.json | --log L [--prior P] | --world W) [--world W] --out S`.
pub fn snapshot(state: Option<&Path>, log: Option<&Path>, prior: Option<&Path>, world: Option<&Path>, out: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let from: Vec<u8> = match (state, log) {
        (Some(s), None) => std::fs::read(s).with_context(|| format!("cannot read {}", s.display()))?,
        (None, Some(l)) => {
            let bytes = map(l)?;
            let p = prior.map(std::fs::read).transpose()?.unwrap_or_default();
            let r = run_op(engine, Op::ReconcileLog, &make_fields(&[&bytes, &p]))?;
            match r.status {
                abi::STATUS_OK => r.body,
                abi::STATUS_OBSTRUCTION => {
                    print(&r.body)?;
                    eprintln!("omega: the log obstructs; a snapshot is taken only of a clean history");
                    return Ok(ExitCode::from(1));
                }
                _ => {
                    report_error(&r.body);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        // a genesis snapshot: the empty history and the world it starts from
        (None, None) if world.is_some() => Vec::new(),
        _ => bail!("give exactly one of --state (a result or state file) or --log (or only --world, for the empty history)"),
    };
    let world = world.map(|w| std::fs::read(w).with_context(|| format!("cannot read the world {}", w.display()))).transpose()?;
    let r = match &world {
        None => run_op(engine, Op::Snapshot, &make_fields(&[&from]))?,
        Some(w) => run_op(engine, Op::Snapshot, &make_fields(&[&from, w]))?,
    };
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.get("snapshot").and_then(|s| s.as_str()).unwrap_or_default();
    let bytes = omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("the engine returned a snapshot that is not base64"))?;
    std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    // op 15's body in its order, `snapshot` (now in the file) replaced by `out`
    let mut m: Vec<(String, String)> = json_out::members(&r.body)?.into_iter().filter(|(k, _)| k != "snapshot").collect();
    m.push(("out".to_string(), serde_json::Value::from(out.display().to_string()).to_string()));
    print(&json_out::object(&m))?;
    Ok(ExitCode::SUCCESS)
}

/// `omega replay [--snapshot S] --log L [--cert C]`.
pub fn replay(snap: Option<&Path>, log: &Path, certs: &[PathBuf], world: Option<&Path>, inject: Option<&str>, engine: &EngineArgs) -> Result<ExitCode> {
    let s = snap.map(std::fs::read).transpose().context("cannot read the snapshot")?.unwrap_or_default();
    let certs = certs.iter().map(|c| std::fs::read(c).with_context(|| format!("cannot read the certificate {}", c.display()))).collect::<Result<Vec<_>>>()?;
    let w = world.map(|p| std::fs::read(p).with_context(|| format!("cannot read the world {}", p.display()))).transpose()?.unwrap_or_default();
    let l = map(log)?;
    // op 16: snapshot, log, first certificate, reference world, inject, the other certificates
    let first = certs.first().cloned().unwrap_or_default();
    let mut fields: Vec<&[u8]> = vec![&s, &l, &first, &w, inject.unwrap_or_default().as_bytes()];
    fields.extend(certs.iter().skip(1).map(Vec::as_slice));
    let r = run_op(engine, Op::Replay, &make_fields(&fields))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    print(&r.body)?;
    Ok(exit_for(&r))
}

/// Where crash bundles go without `--bundle`: `<state>/omega/bundles/`,
/// `<state>` being `$OMEGA_STATE_DIR`, else `$XDG_STATE_HOME` (when
/// absolute), else `~/.local/state`: never the current folder.
pub fn bundle_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = var("OMEGA_STATE_DIR")
        .or_else(|| var("XDG_STATE_HOME").filter(|p| p.is_absolute()))
        .or_else(|| var("HOME").map(|h| h.join(".local/state")))?;
    Some(base.join("omega").join("bundles"))
}

/// After an obstruction: writes the crash bundle and says where.
pub fn write_bundle(engine: &EngineArgs, events: &[u8], format: &[u8], prior: &[u8], resp: &Response, path: Option<&Path>) -> Result<()> {
    let r = run_op(engine, Op::Bundle, &make_fields(&[events, format, prior]))?;
    if r.status != abi::STATUS_OK {
        report_error(&r.body);
        return Ok(());
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.get("bundle").and_then(|b| b.as_str()).unwrap_or_default();
    let bytes = omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("bundle is not base64"))?;
    let evidence: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let hash = evidence.get("evidence_hash").and_then(|h| h.as_str()).unwrap_or("unknown");
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let dir = bundle_dir().ok_or_else(|| anyhow!("no folder for crash bundles: set $OMEGA_STATE_DIR or $HOME, or pass --bundle PATH"))?;
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            dir.join(format!("omega-bundle-{}.omb", hash.get(..12).unwrap_or(hash)))
        }
    };
    std::fs::write(&path, bytes).with_context(|| format!("cannot write the crash bundle {}", path.display()))?;
    eprintln!("omega: obstruction; crash bundle written to {} (reproduce it with `omega explain --bundle {}`)", path.display(), path.display());
    Ok(())
}

/// `omega explain --bundle B`.
pub fn explain_bundle(bundle: &Path, json: bool, engine: &EngineArgs) -> Result<ExitCode> {
    let b = std::fs::read(bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let r = run_op(engine, Op::ExplainBundle, &make_fields(&[&b]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    if json {
        print(&r.body)?;
    } else {
        let v: serde_json::Value = serde_json::from_slice(&r.body)?;
        let res = v.get("result").cloned().unwrap_or_default();
        println!("crash bundle {}", bundle.display());
        println!(
            "  prior state   {} events, state hash {}",
            v.get("prior_tree_size").unwrap_or(&serde_json::Value::Null),
            v.get("prior_state_hash").and_then(|s| s.as_str()).unwrap_or("?")
        );
        println!("  batch         {} events (canonical bytes)", v.get("events").unwrap_or(&serde_json::Value::Null));
        println!(
            "  reproduced    {}",
            if v.get("reproduced").and_then(serde_json::Value::as_bool) == Some(true) {
                "yes: reconciling the batch again gives byte for byte the recorded evidence"
            } else {
                "NO: the recorded evidence differs from what this engine computes"
            }
        );
        println!("  evidence hash {}", res.get("evidence_hash").and_then(|s| s.as_str()).unwrap_or("?"));
        for viol in res.get("violations").and_then(|v| v.as_array()).into_iter().flatten() {
            println!(
                "  {} {}: {}",
                viol.get("code").unwrap_or(&serde_json::Value::Null),
                viol.get("reason").and_then(|s| s.as_str()).unwrap_or("?"),
                viol.get("message").and_then(|s| s.as_str()).unwrap_or("")
            );
        }
    }
    Ok(exit_for(&r))
}

/// `omega sample`: writes a deterministic history. The shape is checked
/// first against the limits omega's readers enforce and the sample caps
/// (error 4101, exit 2, nothing written); unshuffled, the events are
/// generated and written one at a time, so a large log needs little memory.
pub fn sample(seed: u64, shape: omega_core::event::sample::Shape, shuffle: Option<u64>, prior: Option<&Path>, format: crate::InputFormat, out: &Path) -> Result<ExitCode> {
    use omega_core::ErrorCode as _;
    use omega_core::event::sample::History;
    use std::io::BufWriter;
    if let Err(e) = shape.check(&omega_core::Limits::default(), frame::DEFAULT_MAX_FRAME, shuffle.is_some()) {
        eprintln!("omega: error {}: {e}", e.code());
        return Ok(ExitCode::from(2));
    }
    let state = match prior {
        None => omega_core::State::new(),
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read the prior {}", p.display()))?;
            match omega_core::api::abi::parse_any_prior(&bytes) {
                Ok(s) => s,
                Err((code, msg)) => {
                    eprintln!("omega: error {code}: {}: {msg}", p.display());
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    let history = History::after(seed, shape, &state);
    if history.last_lamport().is_none() {
        eprintln!(
            "omega: error {}: sample shape: the prior's frontier is at Lamport time {}, too close to 2^64 for {} more rounds",
            omega_core::api::code::SAMPLE_SHAPE,
            state.frontier().map_or(0, |k| k.lamport()),
            shape.per_stream
        );
        return Ok(ExitCode::from(2));
    }
    let f = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let events: Box<dyn Iterator<Item = omega_core::Event>> = match shuffle {
        Some(s) => {
            let mut all: Vec<omega_core::Event> = history.collect();
            omega_core::event::sample::shuffle(&mut all, s);
            Box::new(all.into_iter())
        }
        None => Box::new(history),
    };
    let mut buf = Vec::new();
    let mut n = 0u64;
    if let crate::InputFormat::Json = format {
        w.write_all(b"[")?;
    }
    if let crate::InputFormat::Omega = format {
        w.write_all(&frame::header(frame::DEFAULT_MAX_FRAME))?;
    }
    for e in events {
        buf.clear();
        match format {
            crate::InputFormat::Json => {
                // one row of events_to_json's array: "[\n  ROW\n]\n" for one event
                let one = omega_core::api::json::events_to_json(std::slice::from_ref(&e));
                let row = one.get(4..one.len().saturating_sub(3)).unwrap_or_default();
                buf.extend_from_slice(if n == 0 { &b"\n  "[..] } else { &b",\n  "[..] });
                buf.extend_from_slice(row);
            }
            crate::InputFormat::Binary => e.encode_into(&mut buf),
            crate::InputFormat::Omega => {
                let mut ev = Vec::new();
                e.encode_into(&mut ev);
                frame::push_frame(&mut buf, &ev);
            }
        }
        w.write_all(&buf)?;
        n += 1;
    }
    if let crate::InputFormat::Json = format {
        w.write_all(if n == 0 { &b"]\n"[..] } else { &b"\n]\n"[..] })?;
    }
    w.flush()?;
    let size = w.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
    eprintln!("omega: wrote {n} events ({size} bytes) to {}", out.display());
    Ok(ExitCode::SUCCESS)
}
