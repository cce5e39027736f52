//! The byte-level transport shared by the native engine and the blob's raw
//! C-ABI (`omega_call`): an op number and request bytes in, a status and a
//! JSON body out. One function, so every engine runs the same code from
//! request bytes to response bytes. What the bytes carry is typed in
//! [`request`](super::request) (one type per op) and [`Op`].
//!
//! Response: a status (0 ok, 1 obstruction or invalid, 2 error) and a UTF-8
//! JSON body ending in a newline.
use super::code;
use super::error::ApiError;
use super::op::Op;
use crate::api::json::{self, JsonError};
use crate::error::ErrorCode;
use crate::reconcile::Outcome;
use crate::reconcile::state::State;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Status: the batch extends the history.
pub const STATUS_OK: u8 = 0;
/// Status: the batch obstructs.
pub const STATUS_OBSTRUCTION: u8 = 1;
/// Status: the request was refused (bad input); the body is the error JSON.
pub const STATUS_ERROR: u8 = 2;

/// A response: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// 0 ok, 1 obstruction, 2 error.
    pub status: u8,
    /// UTF-8 JSON ending in `\n`.
    pub body: Vec<u8>,
}

impl Response {
    /// `status byte || body`, the form the JS `abiCall` returns.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + self.body.len());
        v.push(self.status);
        v.extend_from_slice(&self.body);
        v
    }
}

pub use super::request::{make_request, split_request};

/// Parses prior-state bytes: empty (the empty history), the binary state, or a previous `ok` result JSON.
pub fn parse_prior(prior: &[u8]) -> Result<State, JsonError> {
    if prior.is_empty() {
        Ok(State::new())
    } else if prior.starts_with(b"OMGS") {
        State::decode(prior).map_err(|e| JsonError::Prior(format!("{e}")))
    } else {
        json::parse_prior(prior)
    }
}

/// Parses a prior in any of its forms: empty, an ok result JSON, a binary
/// state (`OMGS`) or a snapshot (`OMSN`, whose own checks and code 3901
/// apply). Every engine and op that takes a prior goes through this; the
/// error is the stable code and the message.
pub fn parse_any_prior(prior: &[u8]) -> Result<State, (u16, String)> {
    if prior.starts_with(b"OMSN") {
        return crate::replay::snapshot::Snapshot::decode(prior).map(|s| s.state).map_err(|e| (e.code(), e.to_string()));
    }
    parse_prior(prior).map_err(|e| (e.code(), e.to_string()))
}

/// Runs one op on request bytes: the number is checked against [`Op`]
/// (3302 when unknown), the request decoded ([`Call`](super::Call)), then handled.
pub fn call(op: u32, input: &[u8]) -> Response {
    match Op::try_from(op) {
        Ok(op) => super::ops::run(op, input),
        Err(e) => ApiError::new(code::UNKNOWN_OP, e.to_string()).to_response(),
    }
}

/// The response for an outcome.
pub fn respond(outcome: &Outcome) -> Response {
    let status = match outcome {
        Outcome::Ok(_) => STATUS_OK,
        Outcome::Obstruction(_) => STATUS_OBSTRUCTION,
    };
    Response { status, body: super::response::to_json(&super::response::ReconcileResult::from(outcome)) }
}
