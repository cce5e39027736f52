//! `omega publish` (events into a log's stream) and `omega seal` (one batch
//! boundary into it).
use super::{Names, NatsArgs, connect, hex, runtime};
use crate::InputFormat;
use anyhow::{Context, Result, anyhow, bail};
use async_nats::jetstream::{self, message::PublishMessage as Publish};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use omega_core::Event;
use std::process::ExitCode;

/// Reads an events file as events (JSON array, concatenated binary, or a framed log).
pub(crate) fn read_events(input: &str, format: InputFormat) -> Result<Vec<Event>> {
    let bytes = crate::read_input(input)?;
    let limits = omega_core::Limits::default();
    match format {
        InputFormat::Json => omega_core::api::json::parse_events(&bytes, &limits).map_err(|e| anyhow!("error {}: {e}", omega_core::ErrorCode::code(&e))),
        InputFormat::Binary => Event::decode_all(&bytes, &limits).map_err(|(i, at, e)| anyhow!("event {i} (starting at byte {at}): {e}")),
        InputFormat::Omega => omega_core::event::frame::read_events(&bytes).map_err(|e| anyhow!("error {}: {e}", omega_core::ErrorCode::code(&e))),
    }
}

/// The message id of an event: its id and its leaf hash, so a re-send of the
/// same bytes is dropped by JetStream's duplicate window while two different
/// events with one id (an equivocation) both reach the nodes, which report it.
pub(crate) fn msg_id(e: &Event) -> String {
    format!("{}-{}", hex(e.key().event_id().as_bytes()), hex(&e.leaf_hash()))
}

/// `omega publish --nats URL --log NAME --input EVENTS [--format F] [--max-inflight N] [--keep-order] [--retry-for S]`.
/// `no_msg_id` (hidden `--no-msg-id`) sends without a `Nats-Msg-Id`, as a re-send beyond the
/// duplicate window arrives: for tests that the nodes drop such re-sends themselves.
pub fn publish(nats: &NatsArgs, input: &str, format: InputFormat, max_inflight: usize, keep_order: bool, no_msg_id: bool, retry_for: u64) -> Result<ExitCode> {
    let names = Names::new(&nats.log)?;
    let mut events = read_events(input, format)?;
    if !keep_order {
        // Canonical (key) order: a batch cut anywhere in it is then a key prefix of what is left,
        // so no event of this file can arrive after a greater key was appended (docs/CLUSTER.md).
        events.sort_by_cached_key(|e| (e.key(), e.leaf_hash()));
    }
    runtime()?.block_on(async {
        let client = connect(nats, "omega publish").await?;
        // The context's own cap on acks awaited (async-nats's default is 5,000, and a publish
        // waits for room) must not be below ours, or the loop below would wait on itself.
        let js = jetstream::ContextBuilder::new().max_ack_inflight(max_inflight.max(1)).build(client);
        // Whether the server says the stream does not exist: then "no stream" answers mean just
        // that, and fail at once. Otherwise (it exists, or no answer: a NATS cluster without a
        // leader, or a producer without the right to ask) they are retried like any failure.
        let missing = match js.get_stream(&names.stream).await {
            Err(e) => matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j) if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND),
            Ok(_) => false,
        };
        let bar = indicatif::ProgressBar::with_draw_target(Some(events.len() as u64), indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} publishing {pos}/{len} events [{bar:30}] {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        // Events are sent one after another, in order (the stream keeps the file's order); only
        // their acks are awaited together. When one fails, no more are sent until every ack in
        // flight has settled; then, after 250 ms, sending resumes in order from the first event
        // not acked (skipping the acked ones), so a stream without a leader for a while gets
        // the events in order all the same. A re-sent event carries its message id: one the
        // server kept though its ack was lost is dropped, not stored twice.
        // (event index, the ack or (whether the server said no stream takes the subject, why))
        type Acked = std::pin::Pin<Box<dyn std::future::Future<Output = (usize, Result<jetstream::publish::PublishAck, (bool, String)>)> + Send>>;
        let no_stream = |e: &jetstream::context::PublishError| e.kind() == jetstream::context::PublishErrorKind::StreamNotFound;
        let mut inflight: FuturesUnordered<Acked> = FuturesUnordered::new();
        let (mut acked, mut duplicates, mut retries) = (0u64, 0u64, 0u64);
        let mut first_seq: Option<u64> = None;
        let mut last_seq = 0u64;
        let mut done = vec![false; events.len()];
        // Since when publishing has been failing (reset by every ack), and the first event to re-send.
        let mut failing_since: Option<std::time::Instant> = None;
        let mut resend_from: Option<usize> = None;
        let mut next = 0usize;
        loop {
            if resend_from.is_none() {
                while next < events.len() && inflight.len() < max_inflight.max(1) {
                    let i = next;
                    next += 1;
                    if done.get(i).copied().unwrap_or(true) {
                        continue;
                    }
                    let Some(e) = events.get(i) else { break };
                    let mut bytes = Vec::new();
                    e.encode_into(&mut bytes);
                    let msg = Publish::build().payload(bytes.into());
                    let msg = if no_msg_id { msg } else { msg.message_id(msg_id(e)) };
                    match js.send_publish(names.events.clone(), msg).await {
                        Ok(ack) => inflight.push(Box::pin(async move { (i, ack.await.map_err(|e| (no_stream(&e), e.to_string()))) }) as Acked),
                        Err(e) => inflight.push(Box::pin(async move { (i, Err((no_stream(&e), e.to_string()))) }) as Acked),
                    }
                }
            }
            let Some((i, r)) = inflight.next().await else {
                match resend_from.take() {
                    // every ack settled after a failure: resume in order from the first not acked
                    Some(from) => {
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                        next = from;
                        continue;
                    }
                    None if next >= events.len() => break,
                    None => continue,
                }
            };
            match r {
                Ok(ack) => {
                    failing_since = None;
                    if let Some(d) = done.get_mut(i)
                        && !*d
                    {
                        *d = true;
                        acked += 1;
                        if ack.duplicate {
                            duplicates += 1;
                        }
                        bar.inc(1);
                    }
                    first_seq = Some(first_seq.map_or(ack.sequence, |s: u64| s.min(ack.sequence)));
                    last_seq = last_seq.max(ack.sequence);
                }
                Err((no, e)) => {
                    let since = *failing_since.get_or_insert_with(std::time::Instant::now);
                    if (no && missing) || since.elapsed() >= std::time::Duration::from_secs(retry_for) {
                        bar.abandon();
                        return Err(no_stream_hint(&names, if retries > 0 { format!("{e} (retried for {retry_for} s)") } else { e }));
                    }
                    if retries == 0 {
                        bar.suspend(|| eprintln!("omega: publishing failed ({e}); retrying for up to {retry_for} s (a re-sent event is dropped by its message id)"));
                    }
                    retries += 1;
                    resend_from = Some(resend_from.map_or(i, |f| f.min(i)));
                }
            }
        }
        bar.finish_and_clear();
        let body = serde_json::json!({
            "status": "ok",
            "log": names.log,
            "published": events.len(),
            "acked": acked,
            "duplicates": duplicates,
            "retries": retries,
            "first_seq": first_seq,
            "last_seq": last_seq,
        });
        println!("{}", serde_json::to_string_pretty(&body)?);
        Ok(ExitCode::SUCCESS)
    })
}

fn no_stream_hint(names: &Names, e: String) -> anyhow::Error {
    if e.contains("no responders") {
        anyhow!(
            "no JetStream stream takes {}: start an `omega node --log {}` (it creates the stream {}), or check the server has JetStream on ({e})",
            names.events,
            names.log,
            names.stream
        )
    } else {
        anyhow!("publishing failed: {e}")
    }
}

/// What a seal message carries, read and written by the kernel (op 27), so a node and a
/// browser tab read any body alike.
pub(crate) use omega_core::api::cut::{DEFAULT_DELAY, DEFAULT_HORIZON, Seal};

/// Publishes seal number `n` (its message id `seal-<n>`, so two sealers that
/// race to seal the same batch are deduplicated by JetStream). Returns the
/// stream sequence and whether it was a duplicate.
pub(crate) async fn send_seal(js: &jetstream::Context, names: &Names, seal: Seal) -> Result<(u64, bool)> {
    let body = seal.encode();
    let ack = js
        .send_publish(names.seal.clone(), Publish::build().payload(body.into()).message_id(format!("seal-{}", seal.n)))
        .await
        .map_err(|e| no_stream_hint(names, e.to_string()))?
        .await
        .map_err(|e| no_stream_hint(names, e.to_string()))?;
    Ok((ack.sequence, ack.duplicate))
}

/// The number of the last seal in the stream (0 when there is none).
pub(crate) async fn last_seal(js: &jetstream::Context, names: &Names) -> Result<u64> {
    let stream = js.get_stream(&names.stream).await.map_err(|e| anyhow!("cannot open the stream {}: {e}", names.stream))?;
    match stream.get_last_raw_message_by_subject(&names.seal).await {
        Ok(m) => Ok(Seal::parse(&m.payload).0.n),
        Err(e) if e.kind() == jetstream::stream::LastRawMessageErrorKind::NoMessageFound => Ok(0),
        Err(e) => bail!("cannot read the last seal of {}: {e}", names.stream),
    }
}

/// `omega seal --nats URL --log NAME [--horizon H] [--delay D]`.
pub fn seal(nats: &NatsArgs, horizon: u32, delay: u32) -> Result<ExitCode> {
    let names = Names::new(&nats.log)?;
    runtime()?.block_on(async {
        let client = connect(nats, "omega seal").await?;
        let js = jetstream::new(client);
        let n = last_seal(&js, &names).await.context("reading the seal count")? + 1;
        let (seq, duplicate) = send_seal(&js, &names, Seal { n, horizon, delay }).await?;
        let body = serde_json::json!({ "status": "ok", "log": names.log, "seal": n, "seq": seq, "duplicate": duplicate, "horizon": horizon, "delay": delay });
        println!("{}", serde_json::to_string_pretty(&body)?);
        Ok(ExitCode::SUCCESS)
    })
}
