//! `omega reconcile`: a batch (JSON, binary or a framed log) against an
//! optional prior, on either engine; an obstruction keeps a crash bundle.
use super::log;
use crate::{EngineArgs, InputFormat, exit_for, read_input, report_error, run_op};
use anyhow::{Context, Result, bail};
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// `omega reconcile`.
pub(crate) fn run(
    input: &str,
    prior: Option<&Path>,
    format: InputFormat,
    bundle: Option<Option<&Path>>,
    engine: &EngineArgs,
) -> Result<ExitCode> {
    let events: log::Bytes = if format == InputFormat::Omega && input != "-" {
        log::map(Path::new(input))?
    } else {
        log::Bytes::Owned(read_input(input)?)
    };
    let prior = match prior {
        Some(p) => std::fs::read(p).with_context(|| format!("cannot read the prior state {}", p.display()))?,
        None => Vec::new(),
    };
    if events.len() > u32::MAX as usize {
        bail!("input is over 4 GiB; split it into batches and pass each result as --prior to the next");
    }
    let (resp, fmt): (Response, &[u8]) = match format {
        InputFormat::Json => (run_op(engine, Op::ReconcileJson, &abi::make_request(&events, &prior))?, b"json"),
        InputFormat::Binary => (run_op(engine, Op::ReconcileBinary, &abi::make_request(&events, &prior))?, b"binary"),
        InputFormat::Omega => (run_op(engine, Op::ReconcileLog, &omega_core::api::ops::make_fields(&[&events, &prior]))?, b"omega"),
    };
    if resp.status == abi::STATUS_ERROR {
        report_error(&resp.body);
    } else {
        std::io::stdout().write_all(&resp.body).context("writing standard output")?;
    }
    if resp.status == abi::STATUS_OBSTRUCTION {
        if let Some(path) = bundle {
            // The obstruction is the answer (exit 1) whether or not its bundle could be kept.
            if let Err(e) = log::write_bundle(engine, &events, fmt, &prior, &resp, path) {
                eprintln!("omega: warning: the obstruction above stands, but its crash bundle was not written: {e:#}");
            }
        }
    }
    Ok(exit_for(&resp))
}
