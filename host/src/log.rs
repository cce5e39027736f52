//! `omega append | ingest | snapshot | replay`, `reconcile --format omega`,
//! and crash bundles: the framed log on disk.
use crate::{EngineArgs, EngineKind, exit_for, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::abi::{self, Response};
use omega_core::frame;
use omega_core::ops::{self, make_fields};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::ExitCode;

/// A file's bytes, mapped when it is a regular non-empty file (zero copy), read otherwise.
pub(crate) enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Maps `path` read-only.
pub(crate) fn map(path: &Path) -> Result<Bytes> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    // SAFETY: the map is read-only; omega's reader checks every bound, so a
    // concurrent writer can at worst make a frame fail its CRC, never cause UB
    // in safe code reading a &[u8] (the usual memmap caveat applies: do not
    // truncate a log while it is being ingested).
    let m = unsafe { memmap2::Mmap::map(&f) }.with_context(|| format!("cannot map {}", path.display()))?;
    Ok(Bytes::Mapped(m))
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

/// `omega append --log L --input EVENTS [--format json|binary]`.
pub fn append(log: &Path, input: &str, binary: bool) -> Result<ExitCode> {
    let events = crate::read_input(input)?;
    // Canonical bytes of the batch, framed (parsed by core, so bad input is refused before any write).
    let parsed = if binary {
        omega_core::Event::decode_all(&events, &omega_core::Limits::default())
            .map_err(|(i, at, e)| anyhow!("event {i} (starting at byte {at}): {e}"))
    } else {
        omega_core::json::parse_events(&events, &omega_core::Limits::default()).map_err(|e| anyhow!("error {}: {e}", omega_core::ErrorCode::code(&e)))
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("omega: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let frames = frame::encode_frames(&parsed);
    let created = !log.exists();
    let mut f = if created {
        let mut f = OpenOptions::new().write(true).create_new(true).open(log).with_context(|| format!("cannot create {}", log.display()))?;
        f.write_all(&frame::header(frame::DEFAULT_MAX_FRAME))?;
        f.sync_all()?;
        sync_dir(log);
        f
    } else {
        let bytes = map(log)?;
        let r = frame::scan(&bytes);
        if let Some(e) = &r.error {
            bail!(
                "{} is damaged ({e}); appending after a bad tail would hide it. Run `omega ingest --input {} --repair` first",
                log.display(),
                log.display()
            );
        }
        drop(bytes);
        OpenOptions::new().append(true).open(log).with_context(|| format!("cannot open {} for appending", log.display()))?
    };
    let start = f.seek(SeekFrom::End(0))?;
    // One write, then fsync: a crash leaves at worst a torn last frame, which
    // readers report and `ingest --repair` cuts; the frames before it stay intact.
    f.write_all(&frames).with_context(|| format!("writing to {}", log.display()))?;
    f.sync_all().with_context(|| format!("fsync of {}", log.display()))?;
    let body = serde_json::json!({
        "status": "ok",
        "log": log.display().to_string(),
        "created": created,
        "appended": parsed.len(),
        "offset": start,
        "bytes": start + frames.len() as u64,
    });
    print(format!("{}\n", serde_json::to_string_pretty(&body)?).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `omega ingest --input L [--repair]`.
pub fn ingest(input: &Path, repair: bool, engine: &EngineArgs) -> Result<ExitCode> {
    let bytes = map(input)?;
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
        EngineKind::Wasm => run_op(engine, ops::OP_INGEST, &make_fields(&[&bytes]))?,
    };
    drop(bytes);
    if resp.status == abi::STATUS_ERROR {
        report_error(&resp.body);
        return Ok(ExitCode::from(2));
    }
    let mut report: serde_json::Value = serde_json::from_slice(&resp.body)?;
    let bad = report.get("first_bad_offset").and_then(serde_json::Value::as_u64);
    let valid = report.get("valid_bytes").and_then(serde_json::Value::as_u64).unwrap_or(0);
    let header_bad = report.get("error").and_then(|e| e.get("code")).and_then(serde_json::Value::as_u64).is_some_and(|c| c < 3804);
    if repair && bad.is_some() {
        if header_bad {
            print(&resp.body)?;
            eprintln!("omega: the header itself is bad; there is no valid prefix to keep, so nothing was cut");
            return Ok(ExitCode::from(2));
        }
        let f = OpenOptions::new().write(true).open(input).with_context(|| format!("cannot open {} to repair it", input.display()))?;
        let size = f.metadata()?.len();
        f.set_len(valid).with_context(|| format!("cannot truncate {}", input.display()))?;
        f.sync_all()?;
        if let Some(o) = report.as_object_mut() {
            o.insert("status".into(), serde_json::Value::from("repaired"));
            o.insert(
                "repaired".into(),
                serde_json::json!({ "truncated_to": valid, "dropped_bytes": size - valid }),
            );
        }
        print(format!("{}\n", serde_json::to_string_pretty(&report)?).as_bytes())?;
        eprintln!("omega: repaired {}: dropped {} bytes after byte {valid}; every frame before it is kept", input.display(), size - valid);
        return Ok(ExitCode::SUCCESS);
    }
    print(&resp.body)?;
    Ok(exit_for(&resp))
}

/// `omega snapshot (--state R.json | --log L [--prior P]) --out S`.
pub fn snapshot(state: Option<&Path>, log: Option<&Path>, prior: Option<&Path>, out: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let from: Vec<u8> = match (state, log) {
        (Some(s), None) => std::fs::read(s).with_context(|| format!("cannot read {}", s.display()))?,
        (None, Some(l)) => {
            let bytes = map(l)?;
            let p = prior.map(std::fs::read).transpose()?.unwrap_or_default();
            let r = run_op(engine, ops::OP_RECONCILE_LOG, &make_fields(&[&bytes, &p]))?;
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
        _ => bail!("give exactly one of --state (a result or state file) or --log"),
    };
    let r = run_op(engine, ops::OP_SNAPSHOT, &make_fields(&[&from]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    let mut v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.as_object_mut().and_then(|o| o.remove("snapshot")).and_then(|s| s.as_str().map(str::to_string)).unwrap_or_default();
    let bytes = omega_core::note::b64_decode(&b64).ok_or_else(|| anyhow!("the engine returned a snapshot that is not base64"))?;
    std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("out".into(), serde_json::Value::from(out.display().to_string()));
    }
    print(format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `omega replay [--snapshot S] --log L [--cert C]`.
pub fn replay(snap: Option<&Path>, log: &Path, cert: Option<&Path>, engine: &EngineArgs) -> Result<ExitCode> {
    let s = snap.map(std::fs::read).transpose().context("cannot read the snapshot")?.unwrap_or_default();
    let c = cert.map(std::fs::read).transpose().context("cannot read the certificate")?.unwrap_or_default();
    let l = map(log)?;
    let r = run_op(engine, ops::OP_REPLAY, &make_fields(&[&s, &l, &c]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    print(&r.body)?;
    Ok(exit_for(&r))
}

/// After an obstruction: writes the crash bundle and says where.
pub fn write_bundle(engine: &EngineArgs, events: &[u8], format: &[u8], prior: &[u8], resp: &Response, path: Option<&Path>) -> Result<()> {
    let r = run_op(engine, ops::OP_BUNDLE, &make_fields(&[events, format, prior]))?;
    if r.status != abi::STATUS_OK {
        report_error(&r.body);
        return Ok(());
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.get("bundle").and_then(|b| b.as_str()).unwrap_or_default();
    let bytes = omega_core::note::b64_decode(b64).ok_or_else(|| anyhow!("bundle is not base64"))?;
    let evidence: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let hash = evidence.get("evidence_hash").and_then(|h| h.as_str()).unwrap_or("unknown");
    let default = format!("omega-bundle-{}.omb", hash.get(..12).unwrap_or(hash));
    let path = path.map_or_else(|| Path::new(&default).to_path_buf(), Path::to_path_buf);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write the crash bundle {}", path.display()))?;
    eprintln!("omega: obstruction; crash bundle written to {} (reproduce it with `omega explain --bundle {}`)", path.display(), path.display());
    Ok(())
}

/// `omega explain --bundle B`.
pub fn explain_bundle(bundle: &Path, json: bool, engine: &EngineArgs) -> Result<ExitCode> {
    let b = std::fs::read(bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let r = run_op(engine, ops::OP_EXPLAIN_BUNDLE, &make_fields(&[&b]))?;
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

/// `omega sample`: writes a deterministic history, streaming it in chunks of
/// whole (node, stream) rounds so a 1 GB log needs little memory when unshuffled.
pub fn sample(seed: u64, shape: omega_core::sample::Shape, shuffle: Option<u64>, format: crate::InputFormat, out: &Path) -> Result<ExitCode> {
    use std::io::BufWriter;
    let f = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut events = omega_core::sample::history(seed, shape);
    if let Some(s) = shuffle {
        omega_core::sample::shuffle(&mut events, s);
    }
    let mut buf = Vec::new();
    match format {
        crate::InputFormat::Json => w.write_all(&omega_core::json::events_to_json(&events))?,
        crate::InputFormat::Binary => {
            for e in &events {
                buf.clear();
                e.encode_into(&mut buf);
                w.write_all(&buf)?;
            }
        }
        crate::InputFormat::Omega => {
            w.write_all(&frame::header(frame::DEFAULT_MAX_FRAME))?;
            let mut framed = Vec::new();
            for e in &events {
                buf.clear();
                framed.clear();
                e.encode_into(&mut buf);
                frame::push_frame(&mut framed, &buf);
                w.write_all(&framed)?;
            }
        }
    }
    w.flush()?;
    let size = w.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
    eprintln!("omega: wrote {} events ({size} bytes) to {}", events.len(), out.display());
    Ok(ExitCode::SUCCESS)
}
