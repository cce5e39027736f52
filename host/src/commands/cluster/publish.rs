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

/// `omega publish --nats URL --log NAME --input EVENTS [--format F] [--max-inflight N] [--keep-order]`.
/// `no_msg_id` (hidden `--no-msg-id`) sends without a `Nats-Msg-Id`, as a re-send beyond the
/// duplicate window arrives: for tests that the nodes drop such re-sends themselves.
pub fn publish(nats: &NatsArgs, input: &str, format: InputFormat, max_inflight: usize, keep_order: bool, no_msg_id: bool) -> Result<ExitCode> {
    let names = Names::new(&nats.log)?;
    let mut events = read_events(input, format)?;
    if !keep_order {
        // Canonical (key) order: a batch cut anywhere in it is then a key prefix of what is left,
        // so no event of this file can arrive after a greater key was appended (docs/CLUSTER.md).
        events.sort_by_cached_key(|e| (e.key(), e.leaf_hash()));
    }
    runtime()?.block_on(async {
        let client = connect(nats, "omega publish").await?;
        let js = jetstream::new(client);
        let bar = indicatif::ProgressBar::with_draw_target(Some(events.len() as u64), indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} publishing {pos}/{len} events [{bar:30}] {per_sec} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut inflight = FuturesUnordered::new();
        let (mut acked, mut duplicates) = (0u64, 0u64);
        let mut first_seq: Option<u64> = None;
        let mut last_seq = 0u64;
        let mut settle = |r: Result<jetstream::publish::PublishAck, jetstream::context::PublishError>| -> Result<()> {
            let ack = r.map_err(|e| no_stream_hint(&names, e.to_string()))?;
            acked += 1;
            if ack.duplicate {
                duplicates += 1;
            }
            first_seq = Some(first_seq.map_or(ack.sequence, |s: u64| s.min(ack.sequence)));
            last_seq = last_seq.max(ack.sequence);
            Ok(())
        };
        for e in &events {
            let mut bytes = Vec::new();
            e.encode_into(&mut bytes);
            let msg = Publish::build().payload(bytes.into());
            let msg = if no_msg_id { msg } else { msg.message_id(msg_id(e)) };
            let ack = js
                .send_publish(names.events.clone(), msg)
                .await
                .map_err(|e| no_stream_hint(&names, e.to_string()))?;
            inflight.push(ack.into_future());
            while inflight.len() >= max_inflight.max(1) {
                if let Some(r) = inflight.next().await {
                    settle(r)?;
                    bar.inc(1);
                }
            }
        }
        while let Some(r) = inflight.next().await {
            settle(r)?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        let body = serde_json::json!({
            "status": "ok",
            "log": names.log,
            "published": events.len(),
            "acked": acked,
            "duplicates": duplicates,
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

/// What a seal message carries (JSON): its number, and the cut's horizon and delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Seal {
    pub n: u64,
    pub horizon: u32,
    pub delay: u32,
}

/// Defaults of a seal whose body cannot be read (every node reads the same bytes, so every node agrees).
pub(crate) const DEFAULT_HORIZON: u32 = 8;
pub(crate) const DEFAULT_DELAY: u32 = 0;

impl Seal {
    /// Reads a seal body. Only the canonical text counts, exactly as `send_seal` writes it
    /// (`{"n":N,"horizon":H,"delay":D}`, no spaces, no other fields): anything else means
    /// n 0 and the defaults, and a horizon outside 1..=1,000,000 or a delay above 1,000,000
    /// means the defaults. So every reader (a node, a browser tab) reads any body alike,
    /// with no JSON parser's leniency in between.
    pub fn parse(body: &[u8]) -> Seal {
        let fallback = Seal { n: 0, horizon: DEFAULT_HORIZON, delay: DEFAULT_DELAY };
        let Ok(s) = serde_json::from_slice::<Seal>(body) else { return fallback };
        if serde_json::to_vec(&s).ok().as_deref() != Some(body) {
            return fallback;
        }
        if (1..=1_000_000).contains(&s.horizon) && s.delay <= 1_000_000 { s } else { Seal { n: s.n, horizon: DEFAULT_HORIZON, delay: DEFAULT_DELAY } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_seal_text_counts() {
        assert_eq!(Seal::parse(br#"{"n":3,"horizon":5,"delay":2}"#), Seal { n: 3, horizon: 5, delay: 2 });
        let defaults = Seal { n: 0, horizon: DEFAULT_HORIZON, delay: DEFAULT_DELAY };
        for odd in [
            &br#"{"n":3, "horizon":5,"delay":2}"#[..],
            br#"{"n":3,"horizon":5,"delay":2,"delay":9}"#,
            br#"{"horizon":5,"n":3,"delay":2}"#,
            br#"{"n":3,"horizon":5,"delay":2,"x":1}"#,
            br#"[3,5,2]"#,
            br#"{"n":3,"horizon":5.0,"delay":2}"#,
            br#"{"n":3,"horizon":4294967296,"delay":2}"#,
            b"",
            &[0xff],
        ] {
            assert_eq!(Seal::parse(odd), defaults, "{}", String::from_utf8_lossy(odd));
        }
        assert_eq!(Seal::parse(br#"{"n":3,"horizon":0,"delay":2}"#), Seal { n: 3, ..defaults });
        assert_eq!(Seal::parse(br#"{"n":3,"horizon":5,"delay":1000001}"#), Seal { n: 3, ..defaults });
        let max = format!(r#"{{"n":{},"horizon":1000000,"delay":1000000}}"#, u64::MAX);
        assert_eq!(Seal::parse(max.as_bytes()), Seal { n: u64::MAX, horizon: 1_000_000, delay: 1_000_000 });
    }
}

/// Publishes seal number `n` (its message id `seal-<n>`, so two sealers that
/// race to seal the same batch are deduplicated by JetStream). Returns the
/// stream sequence and whether it was a duplicate.
pub(crate) async fn send_seal(js: &jetstream::Context, names: &Names, seal: Seal) -> Result<(u64, bool)> {
    let body = serde_json::to_vec(&seal)?;
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
        Ok(m) => Ok(Seal::parse(&m.payload).n),
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
