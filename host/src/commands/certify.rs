//! `omega keygen | certify | cosign | verify | explain | prove | note`: the
//! certify commands. Each builds an ABI request and runs it on the chosen
//! engine, so native and wasm print the same bytes.
use crate::{EngineArgs, ProveFormat, exit_for, read_input, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use omega_core::api::ops::make_fields;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

/// Reads a signer key file, refusing one that others can read or write.
pub(crate) fn read_key(path: &Path) -> Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "the key file {} is readable or writable by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    read(path, "key file")
}

/// Refuses a path that is a directory (or a link to one), with a message that says so.
fn not_a_directory(path: &Path, what: &str) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        bail!("{} is a directory; give the path of the {what} file to write (e.g. {})", path.display(), path.join("NAME").display());
    }
    Ok(())
}

/// A new, empty file next to `path` that no other process uses:
/// `<path>.<pid>.<random>.tmp`, created with create_new (so an existing file
/// or a symlink planted under that name is never opened), created with
/// `mode` on unix (less the umask).
fn unique_temp(path: &Path, mode: u32) -> Result<(PathBuf, std::fs::File)> {
    let name = path.file_name().ok_or_else(|| anyhow!("{} does not name a file", path.display()))?;
    let mut last = None;
    for _ in 0..16 {
        let mut r = [0u8; 8];
        getrandom::fill(&mut r).map_err(|e| anyhow!("the system's random source failed: {e}"))?;
        let mut n = name.to_os_string();
        n.push(format!(".{}.{:016x}.tmp", std::process::id(), u64::from_le_bytes(r)));
        let tmp = path.with_file_name(n);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        match o.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e).with_context(|| format!("cannot create a temporary file next to {}", path.display())),
        }
    }
    Err(anyhow!("cannot create a temporary file next to {}: {}", path.display(), last.map(|e| e.to_string()).unwrap_or_default()))
}

/// Writes `bytes` to `path` atomically: a unique temporary file in the same
/// directory, synced, then renamed over `path`. A symlink at `path` is
/// replaced, never written through; concurrent writers never share a file.
/// A `private` file is mode 0600; others get the usual mode (0666 less the umask).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let (tmp, mut f) = unique_temp(path, if private { 0o600 } else { 0o666 })?;
    let done = (|| -> Result<()> {
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        Ok(())
    })()
    .with_context(|| format!("cannot write {}", path.display()));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d }) {
        // make the rename durable; best effort
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Writes `bytes` to a key file only its owner can read (mode 0600). Without
/// `force` the file must not exist (nor a symlink by that name); with it, an
/// existing file or symlink is replaced (atomically), never written through.
fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    not_a_directory(path, "key")?;
    if force {
        return write_atomic(path, bytes, true);
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).with_context(|| {
        if std::fs::symlink_metadata(path).is_ok() {
            format!("{} exists; pass --force to replace it", path.display())
        } else {
            format!("cannot create {}", path.display())
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Opens `path` and takes an exclusive advisory lock on it, held until the
/// file is dropped. Writers replace the certificate by renaming a new file
/// over it, so after the lock is taken the path is checked to still name the
/// locked file; if another process replaced it meanwhile, the new one is
/// locked instead. Whoever holds the lock reads, signs and replaces the
/// certificate before anyone else reads it: concurrent in-place cosigns all land.
fn lock_in_place(path: &Path) -> Result<std::fs::File> {
    for _ in 0..1000 {
        let f = std::fs::File::open(path).with_context(|| format!("cannot read the certificate {}", path.display()))?;
        f.lock().with_context(|| format!("cannot lock the certificate {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let held = f.metadata()?;
            match std::fs::metadata(path) {
                Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => return Ok(f),
                Ok(_) => continue,
                Err(e) => return Err(e).with_context(|| format!("the certificate {} went away while waiting for its lock", path.display())),
            }
        }
        #[cfg(not(unix))]
        return Ok(f);
    }
    bail!("the certificate {} keeps being replaced by other processes; try again", path.display())
}

/// Whether `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Runs an op; on an error response prints it and returns Err(exit 2).
fn run(engine: &EngineArgs, op: Op, fields: &[&[u8]]) -> Result<std::result::Result<Response, ExitCode>> {
    let resp = run_op(engine, op, &make_fields(fields))?;
    if resp.status == abi::STATUS_ERROR {
        report_error(&resp.body);
        return Ok(Err(ExitCode::from(2)));
    }
    Ok(Ok(resp))
}

fn body_json(resp: &Response) -> Result<serde_json::Value> {
    serde_json::from_slice(&resp.body).context("the engine returned a body that is not JSON")
}

fn print(bytes: &[u8]) -> Result<()> {
    std::io::stdout().write_all(bytes).context("writing standard output")
}

/// `omega keygen --name NAME --out KEYFILE [--force]`.
pub fn keygen(name: &str, out: &Path, force: bool, witness: bool, engine: &EngineArgs) -> Result<ExitCode> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("the system's random source failed: {e}"))?;
    let kind: &[u8] = if witness { b"witness" } else { b"" };
    let resp = match run(engine, Op::Keygen, &[name.as_bytes(), &seed, kind])? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let v = body_json(&resp)?;
    let signer = v.get("signer_key").and_then(|s| s.as_str()).ok_or_else(|| anyhow!("no signer key in the response"))?;
    let verifier = v.get("verifier_key").and_then(|s| s.as_str()).unwrap_or_default();
    write_private(out, format!("{signer}\n").as_bytes(), force)?;
    println!("{verifier}");
    eprintln!("omega: signer key written to {} (mode 600); the line above is its verifier key", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `omega committee --threshold K --out C.json MEMBER...`: a committee file
/// from signer key files (as `keygen` writes them; only their verifier key is
/// used), files holding a verifier key, or verifier keys themselves, checked
/// as every reader checks a committee (docs/FORMATS.md, "Committee and quorum").
pub fn committee(threshold: u32, members: &[String], out: &Path) -> Result<ExitCode> {
    use omega_core::ErrorCode as _;
    use omega_core::certify::note::{SignerKey, VerifierKey};
    let mut keys = Vec::with_capacity(members.len());
    for m in members {
        let path = Path::new(m);
        let (text, from) = if path.is_file() {
            let bytes = if std::fs::read(path).is_ok_and(|b| b.starts_with(b"PRIVATE+KEY+")) { read_key(path)? } else { read(path, "member file")? };
            (String::from_utf8_lossy(&bytes).trim().to_string(), format!("the file {m}"))
        } else {
            (m.trim().to_string(), format!("{m:?} (not a file, so read as a verifier key)"))
        };
        let key = if text.starts_with("PRIVATE+KEY+") {
            SignerKey::parse(&text).map(|k| k.verifier().clone())
        } else {
            VerifierKey::parse(&text)
        };
        match key {
            Ok(k) => keys.push(k),
            Err(e) => {
                eprintln!("omega: error {}: member {from}: {e}", e.code());
                return Ok(ExitCode::from(2));
            }
        }
    }
    let c = match omega_core::certify::cert::Committee::new(threshold, keys.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("omega: error {}: {e}", e.code());
            return Ok(ExitCode::from(2));
        }
    };
    let members: Vec<String> = keys.iter().map(ToString::to_string).collect();
    // the documented order: threshold, then members
    let quoted: Vec<String> = members.iter().map(|m| format!("    {}", serde_json::Value::from(m.as_str()))).collect();
    let text = format!("{{\n  \"threshold\": {threshold},\n  \"members\": [\n{}\n  ]\n}}\n", quoted.join(",\n"));
    let text = text.into_bytes();
    write_atomic(out, &text, false)?;
    println!("{}", omega_core::hex::encode(&c.hash()));
    eprintln!(
        "omega: committee ({threshold} of {}) written to {}; the line above is its hash",
        members.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the certificate a certify/cosign response carries; prints the rest
/// of the JSON in the response's own (declared, documented) key order.
fn write_cert(resp: &Response, out: &Path) -> Result<ExitCode> {
    let v = body_json(resp)?;
    let b64 = v.get("certificate").and_then(|c| c.as_str()).ok_or_else(|| anyhow!("no certificate in the response"))?;
    let bytes = omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("the certificate is not base64"))?;
    write_atomic(out, &bytes, false)?;
    let rest: Vec<(String, String)> = crate::json_out::members(&resp.body)?.into_iter().filter(|(k, _)| k != "certificate").collect();
    print(&crate::json_out::object(&rest))?;
    Ok(ExitCode::SUCCESS)
}

/// `omega certify`.
pub fn certify(
    result: &Path,
    key: &Path,
    origin: &str,
    prev: Option<&Path>,
    committee: Option<&Path>,
    world: Option<&str>,
    out: &Path,
    engine: &EngineArgs,
) -> Result<ExitCode> {
    not_a_directory(out, "certificate")?;
    let result = read(result, "result")?;
    let key = read_key(key)?;
    let prev = prev.map(|p| read(p, "previous certificate")).transpose()?.unwrap_or_default();
    let committee = committee.map(|p| read(p, "committee file")).transpose()?.unwrap_or_default();
    let mut fields: Vec<&[u8]> = vec![&result, origin.as_bytes(), &key, &prev, &committee];
    if let Some(w) = world {
        fields.push(w.as_bytes());
    }
    match run(engine, Op::Certify, &fields)? {
        Ok(r) => write_cert(&r, out),
        Err(code) => Ok(code),
    }
}

/// `omega cosign`. In place (no `--out`, or `--out` naming the certificate
/// itself), the certificate is locked from before it is read until the
/// signed one has replaced it, so concurrent cosigns of one file all land.
pub fn cosign(cert: &Path, key: &Path, out: Option<&Path>, time: Option<u64>, engine: &EngineArgs) -> Result<ExitCode> {
    let key = read_key(key)?;
    let time = timestamp_field(&key, time)?;
    let out = out.unwrap_or(cert);
    not_a_directory(out, "certificate")?;
    let _lock = if same_file(cert, out) { Some(lock_in_place(cert)?) } else { None };
    let c = read(cert, "certificate")?;
    match run(engine, Op::Cosign, &[&c, &key, time.as_bytes()])? {
        Ok(r) => write_cert(&r, out),
        Err(code) => Ok(code),
    }
}

/// The timestamp field of ops 5 and 31: `given`, else the host clock's
/// POSIX seconds for a witness key (type 0x04), else none (an empty field:
/// a note key takes no timestamp, and the op refuses one given).
pub(crate) fn timestamp_field(key: &[u8], given: Option<u64>) -> Result<String> {
    if let Some(t) = given {
        return Ok(t.to_string());
    }
    let text = String::from_utf8_lossy(key);
    if omega_core::certify::note::SignerKey::parse(text.trim()).is_ok_and(|k| k.is_cosigner()) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|_| anyhow!("the system clock is before 1970"))?;
        return Ok(now.as_secs().to_string());
    }
    Ok(String::new())
}

/// `omega verify`.
pub fn verify(cert: &Path, committee: &Path, chain: &[PathBuf], engine: &EngineArgs) -> Result<ExitCode> {
    let c = read(cert, "certificate")?;
    let k = read(committee, "committee file")?;
    let chain: Vec<Vec<u8>> = chain.iter().map(|p| read(p, "chain certificate")).collect::<Result<_>>()?;
    let mut fields: Vec<&[u8]> = vec![&c, &k];
    fields.extend(chain.iter().map(Vec::as_slice));
    match run(engine, Op::Verify, &fields)? {
        Ok(r) => {
            print(&r.body)?;
            Ok(exit_for(&r))
        }
        Err(code) => Ok(code),
    }
}

/// `omega explain`.
pub fn explain(cert: &Path, committee: Option<&Path>, json: bool, engine: &EngineArgs) -> Result<ExitCode> {
    let c = read(cert, "certificate")?;
    let k = committee.map(|p| read(p, "committee file")).transpose()?.unwrap_or_default();
    match run(engine, Op::Explain, &[&c, &k])? {
        Ok(r) => {
            if json {
                print(&r.body)?;
            } else {
                let v = body_json(&r)?;
                print(v.get("text").and_then(|t| t.as_str()).unwrap_or_default().as_bytes())?;
            }
            Ok(exit_for(&r))
        }
        Err(code) => Ok(code),
    }
}

/// `omega note`.
pub fn note(cert: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let c = read(cert, "certificate")?;
    match run(engine, Op::Note, &[&c])? {
        Ok(r) => {
            let v = body_json(&r)?;
            print(v.get("note").and_then(|t| t.as_str()).unwrap_or_default().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// `omega prove`.
pub fn prove(input: &str, format: ProveFormat, index: Option<u64>, old_size: Option<u64>, engine: &EngineArgs) -> Result<ExitCode> {
    let events = read_input(input)?;
    let fmt: &[u8] = match format {
        ProveFormat::Json => b"json",
        ProveFormat::Binary => b"binary",
        ProveFormat::Omega => b"omega",
        ProveFormat::Leaves => b"leaves",
    };
    let (op, n) = match (index, old_size) {
        (Some(i), None) => (Op::ProveInclusion, i),
        (None, Some(m)) => (Op::ProveConsistency, m),
        _ => bail!("give exactly one of --index (inclusion proof) or --old-size (consistency proof)"),
    };
    match run(engine, op, &[&events, fmt, n.to_string().as_bytes()])? {
        Ok(r) => {
            print(&r.body)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

/// `omega verify-proof`.
pub fn verify_proof(proof: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let p = read(proof, "proof file")?;
    // Only picks the op; the core parses the proof strictly (a repeated key is 3007).
    let v = omega_core::api::json::parse_strict(&p).unwrap_or_default();
    let op = if v.get("leaf_index").is_some() { Op::VerifyInclusion } else { Op::VerifyConsistency };
    match run(engine, op, &[&p])? {
        Ok(r) => {
            print(&r.body)?;
            Ok(exit_for(&r))
        }
        Err(code) => Ok(code),
    }
}

/// `omega note verify`: a C2SP signed note (any, not only omega's) checked
/// against the given verifier keys (op 22). Prints the report; exit 0 when
/// valid, 1 when not, 2 when the note or a key is malformed.
/// `omega note verify --policy FILE`: op 30. Exit 0 valid, 1 invalid, 2 malformed.
pub fn policy_verify(note: &str, policy: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let p = read(policy, "policy file")?;
    let n = read_input(note)?;
    match run(engine, Op::PolicyVerify, &[&p, &n])? {
        Ok(r) => {
            print(&r.body)?;
            Ok(exit_for(&r))
        }
        Err(code) => Ok(code),
    }
}

/// `omega note sign`: op 31; prints (or writes) the signed note.
pub fn note_sign(note: &str, key: &Path, time: Option<u64>, out: Option<&Path>, engine: &EngineArgs) -> Result<ExitCode> {
    let key = read_key(key)?;
    let time = timestamp_field(&key, time)?;
    let n = read_input(note)?;
    let key_text = String::from_utf8_lossy(&key).trim().to_string();
    match run(engine, Op::NoteSign, &[&n, key_text.as_bytes(), time.as_bytes()])? {
        Ok(r) => {
            let v = body_json(&r)?;
            let signed = v.get("note").and_then(|n| n.as_str()).ok_or_else(|| anyhow!("no note in the response"))?;
            match out {
                Some(p) => write_atomic(p, signed.as_bytes(), false)?,
                None => print(signed.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(code) => Ok(code),
    }
}

pub fn note_verify(note: &str, vkeys: &[String], engine: &EngineArgs) -> Result<ExitCode> {
    let n = read_input(note)?;
    let mut fields: Vec<&[u8]> = vec![&n];
    fields.extend(vkeys.iter().map(|k| k.trim().as_bytes()));
    match run(engine, Op::NoteVerify, &fields)? {
        Ok(r) => {
            print(&r.body)?;
            Ok(exit_for(&r))
        }
        Err(code) => Ok(code),
    }
}
