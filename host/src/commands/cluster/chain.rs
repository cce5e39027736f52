//! `omega chain` (export the quorum-certified chain) and `omega verify-fraud`
//! (check a double-signing proof offline).
use super::store::chain_in;
use super::{Names, NatsArgs, connect, runtime};
use crate::EngineArgs;
use anyhow::{Context, Result, anyhow, bail};
use async_nats::jetstream;
use futures_util::StreamExt;
use omega_core::api::Op;
use omega_core::api::ops::make_fields;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Where `omega chain` reads certificates from.
pub(crate) enum Source<'a> {
    /// A node's `--data` folder (its `chain/`).
    Data(&'a Path),
    /// The log's stream (`omega.<log>.cert`): the first valid certificate of each height.
    Nats(&'a NatsArgs),
}

fn verify(engine: &EngineArgs, cert: &[u8], committee: &[u8]) -> Result<(bool, Value)> {
    let resp = crate::run_op(engine, Op::Verify, &make_fields(&[cert, committee]))?;
    let v: Value = serde_json::from_slice(&resp.body)?;
    if resp.status == omega_core::api::abi::STATUS_ERROR {
        return Ok((false, v));
    }
    Ok((resp.status == 0, v))
}

/// `omega chain (--data DIR | --nats URL --log NAME) --committee C --out DIR`:
/// writes `<height>.cert` for every height with a valid certificate, checks the
/// whole chain (op 6 with `--chain`) and prints a summary; exit 1 when the
/// exported chain is not a valid chain (a gap, say), 2 on bad input.
pub fn export(src: Source<'_>, committee_path: &Path, out: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let committee = std::fs::read(committee_path).with_context(|| format!("cannot read the committee file {}", committee_path.display()))?;
    let mut certs: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut rejected = 0u64;
    let candidates: Vec<Vec<u8>> = match src {
        Source::Data(dir) => chain_in(&dir.join("chain"))?.into_values().collect(),
        Source::Nats(nats) => read_certs(nats)?,
    };
    for c in candidates {
        let (ok, v) = verify(engine, &c, &committee)?;
        let Some(h) = v.get("height").and_then(Value::as_u64) else {
            rejected += 1;
            continue;
        };
        if !ok {
            rejected += 1;
            continue;
        }
        certs.entry(h).or_insert(c);
    }
    if certs.is_empty() {
        bail!("no valid certificate for this committee was found");
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut files = Vec::new();
    for (h, c) in &certs {
        let p = out.join(format!("{h:012}.cert"));
        crate::commands::certify::write_atomic(&p, c, false)?;
        files.push(p.display().to_string());
    }
    // The whole chain, checked as `omega verify --cert LAST --chain REST...` checks it.
    let list: Vec<&Vec<u8>> = certs.values().collect();
    let (last, rest) = list.split_last().ok_or_else(|| anyhow!("empty chain"))?;
    let mut f: Vec<&[u8]> = vec![last, &committee];
    f.extend(rest.iter().map(|c| c.as_slice()));
    let resp = crate::run_op(engine, Op::Verify, &make_fields(&f))?;
    let v: Value = serde_json::from_slice(&resp.body)?;
    let valid = resp.status == 0;
    let body = json!({
        "status": if valid { "valid" } else { "invalid" },
        "heights": certs.len(),
        "first": certs.keys().next(),
        "last": certs.keys().next_back(),
        "tree_size": v.get("tree_size"),
        "rejected": rejected,
        "out": out.display().to_string(),
        "chain": v.get("chain"),
    });
    println!("{}", serde_json::to_string_pretty(&body)?);
    Ok(if valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Every message on the log's cert subject, in stream order.
fn read_certs(nats: &NatsArgs) -> Result<Vec<Vec<u8>>> {
    let names = Names::new(&nats.log)?;
    runtime()?.block_on(async {
        let client = connect(nats, "omega chain").await?;
        let js = jetstream::new(client);
        let mut stream = js.get_stream(&names.stream).await.map_err(|e| anyhow!("cannot open the stream {}: {e}", names.stream))?;
        let last = stream.info().await.map_err(|e| anyhow!("cannot read the stream {}: {e}", names.stream))?.state.last_sequence;
        let mut out = Vec::new();
        if last == 0 {
            return Ok(out);
        }
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig { filter_subject: names.cert.clone(), ..Default::default() })
            .await
            .map_err(|e| anyhow!("cannot read the stream {}: {e}", names.stream))?;
        let mut messages = consumer.messages().await.map_err(|e| anyhow!("cannot read the stream {}: {e}", names.stream))?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(5), messages.next()).await;
            let Ok(Some(Ok(m))) = next else { break };
            let pending = m.info().map(|i| i.pending).unwrap_or(0);
            out.push(m.payload.to_vec());
            if pending == 0 {
                break;
            }
        }
        Ok(out)
    })
}

/// `omega verify-fraud --committee C --proof FILE`: exit 0 when the proof shows a
/// committee member signed two different checkpoints at one height, 1 when it
/// does not, 2 on bad input.
pub fn verify_fraud(committee_path: &Path, proof: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let committee = std::fs::read(committee_path).with_context(|| format!("cannot read the committee file {}", committee_path.display()))?;
    let p: Value = serde_json::from_slice(&std::fs::read(proof).with_context(|| format!("cannot read {}", proof.display()))?)
        .with_context(|| format!("{} is not a fraud proof (JSON)", proof.display()))?;
    let note = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| anyhow!("{}: no {k:?} note", proof.display()));
    let (a, b) = (note("a")?, note("b")?);
    let resp = crate::run_op(engine, Op::Fraud, &make_fields(&[&committee, a.as_bytes(), b.as_bytes()]))?;
    if resp.status == omega_core::api::abi::STATUS_ERROR {
        crate::report_error(&resp.body);
        return Ok(ExitCode::from(2));
    }
    std::io::Write::write_all(&mut std::io::stdout(), &resp.body)?;
    Ok(crate::exit_for(&resp))
}
