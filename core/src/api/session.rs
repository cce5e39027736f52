//! A resident ECS run: op 19 (`ecs_run`) kept open between calls, so a host
//! that runs the world in chunks (to stream its tick reports, or to bound
//! one call's work) sends the world once instead of a snapshot each way per
//! chunk (issue 13).
//!
//! [`EcsSession::open`] takes op 19's request (its start, events and
//! injection; its `ticks` and `mode` are decoded and checked as op 19 checks
//! them, then ignored) and refuses exactly what op 19 refuses, with the same
//! error. [`EcsSession::step`] runs more ticks and answers with the body op 19
//! prints for ONE run from the session's start to now, except that `reports`
//! holds only this step's ticks. So, for any `a`, `b`, ...:
//!
//! - open, then `step(a)`, `step(b)`, ...: the steps' `reports` concatenated
//!   are op 19's `reports` for `a + b + ...` ticks, and the last step's body
//!   is otherwise byte for byte op 19's body for `a + b + ...` ticks
//!   (`start_tick`, `end_tick`, `state_hash`, `digest` over every tick so far,
//!   `checkpoints` so far, `history`, `undecodable`, and `snapshot` when the
//!   step's mode asks for it);
//! - a step in mode `prestep` answers as op 19 does (the world brought to the
//!   start of the next tick in the snapshot), but the session itself stays at
//!   the end of the tick run: the next step continues as if `prestep` had not
//!   been asked.
//!
//! [`Slot`] is the one-session holder every engine shares (the blob's raw
//! exports `omega_ecs_open`, `omega_ecs_step`, `omega_ecs_close`, and the
//! host's native kernel): byte requests in, [`Response`]s out, so the engines
//! answer the same bytes, refusals included. `docs/FORMATS.md` (the raw
//! C-ABI) describes the exports.
use super::abi::{Response, STATUS_OK};
use super::error::ApiError;
use super::op::Op;
use super::request::{self, Call, EcsMode};
use super::response::{self, EcsCheckpoint, EcsHistory, EcsRunReport, Sorted, StatusOk, TickReport, Undecodable};
use crate::ecs::Run;
use crate::hex;
use alloc::vec::Vec;

/// An open ECS run: the world, its commands and injection, and what the
/// ticks run so far have accumulated (digest, checkpoints).
#[derive(Clone)]
pub struct EcsSession {
    run: Run,
    history: EcsHistory,
    undecodable: Vec<Undecodable>,
}

impl core::fmt::Debug for EcsSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcsSession").field("run", &self.run).field("history", &self.history).finish_non_exhaustive()
    }
}

/// Decodes a mode field as op 19 does (empty: `reports`), with op 19's error.
pub fn decode_mode(mode: &[u8]) -> Result<EcsMode, ApiError> {
    let probe = request::make_fields(&[b"", b"0", b"", mode, b""]);
    match Call::decode(Op::EcsRun, &probe)? {
        Call::EcsRun(r) => Ok(r.mode),
        _ => Err(ApiError::bad_request("op 19 decoded as another op")),
    }
}

impl EcsSession {
    /// Opens a session from a decoded op-19 request: its start (a config
    /// JSON or a world snapshot), events and injection, checked in op 19's
    /// order with op 19's errors. `ticks` and `mode` are not used.
    pub fn open(r: &request::EcsRun<'_>) -> Result<EcsSession, ApiError> {
        let world = super::ops::ecs_start(r.start)?;
        let (cmds, history, undecodable) = super::ops::ecs_commands(r.events.unwrap_or_default())?;
        Ok(EcsSession { run: Run::new(world, cmds, r.inject), history, undecodable })
    }

    /// Opens a session from op 19's request bytes (the fields `start`,
    /// `ticks`, `events`, `mode`, `inject`); a request op 19 refuses is
    /// refused with the same error.
    pub fn open_request(input: &[u8]) -> Result<EcsSession, ApiError> {
        match Call::decode(Op::EcsRun, input)? {
            Call::EcsRun(r) => EcsSession::open(&r),
            _ => Err(ApiError::bad_request("op 19 decoded as another op")),
        }
    }

    /// Runs `ticks` more ticks; the body is op 19's for the whole run so
    /// far, `reports` (when `mode` asks for them) holding this step's ticks
    /// only (see the module docs).
    pub fn step(&mut self, ticks: u64, mode: EcsMode) -> Response {
        let mut lines = Vec::new();
        self.run.step_n(ticks, |r| {
            if mode.reports {
                lines.push(Sorted(TickReport::from(r)));
            }
        });
        let body = if mode.prestep {
            // the start of the next tick, on a copy: the session stays at the last tick run
            let mut next = self.run.clone();
            next.prestep();
            self.body(&next, lines, mode)
        } else {
            self.body(&self.run, lines, mode)
        };
        Response { status: STATUS_OK, body: response::to_json(&body) }
    }

    /// Op 19's body for `run` (this session's run, or a copy of it), built
    /// as `ops::ecs_run` builds it.
    fn body(&self, run: &Run, lines: Vec<Sorted<TickReport>>, mode: EcsMode) -> EcsRunReport {
        EcsRunReport {
            checkpoints: run.checkpoints().iter().map(|(t, h)| EcsCheckpoint { state_hash: hex::encode(h), tick: *t }).collect(),
            digest: hex::encode(&run.digest()),
            end_tick: run.tick(),
            history: self.history.clone(),
            reports: mode.reports.then_some(lines),
            snapshot: mode.snapshot.then(|| crate::certify::note::b64(&run.world().encode())),
            start_tick: run.start_tick(),
            state_hash: hex::encode(&run.state_hash()),
            status: StatusOk::Is,
            undecodable: self.undecodable.clone(),
        }
    }

    /// The run (world, tick, digest so far).
    pub fn run(&self) -> &Run {
        &self.run
    }
}

/// At most one open session, driven by bytes: what the blob's raw exports
/// and the host's native kernel hold, so both answer the same bytes.
#[derive(Debug, Default)]
pub struct Slot(Option<EcsSession>);

impl Slot {
    /// An empty slot.
    pub const fn new() -> Slot {
        Slot(None)
    }

    /// Opens a session from op 19's request bytes, replacing (closing) the
    /// open one, if any, even when the request is refused. On success the
    /// body is op 19's for 0 ticks in mode `summary` (the start tick, the
    /// world's state hash, the history); a refusal is op 19's error.
    pub fn open(&mut self, request: &[u8]) -> Response {
        self.0 = None;
        match EcsSession::open_request(request) {
            Ok(mut s) => {
                let r = s.step(0, EcsMode::default());
                self.0 = Some(s);
                r
            }
            Err(e) => e.to_response(),
        }
    }

    /// Runs `ticks` more ticks of the open session (see [`EcsSession::step`]);
    /// `mode` is op 19's mode field (empty: `reports`). Refused (3301) when
    /// no session is open or the mode is unknown; the session is unchanged then.
    pub fn step(&mut self, ticks: u64, mode: &[u8]) -> Response {
        let mode = match decode_mode(mode) {
            Ok(m) => m,
            Err(e) => return e.to_response(),
        };
        match &mut self.0 {
            Some(s) => s.step(ticks, mode),
            None => ApiError::bad_request("no ECS session is open (open one first with op 19's request)").to_response(),
        }
    }

    /// Closes the open session, if any.
    pub fn close(&mut self) {
        self.0 = None;
    }

    /// The open session.
    pub fn session(&self) -> Option<&EcsSession> {
        self.0.as_ref()
    }
}
