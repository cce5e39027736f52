//! The byte-level call entry shared by the native engine and the blob's raw
//! C-ABI (`omega_call`). One function, so both engines run the same code from
//! request bytes to response bytes.
//!
//! Request for ops 1 and 2: `u32 little-endian n | n bytes of events | prior`,
//! where `prior` is empty, a previous `ok` result JSON, or the binary state
//! (starts with `OMGS`). Op 1 takes JSON events, op 2 concatenated canonical
//! binary events. Op 0 (version) takes nothing.
//!
//! Response: a status (0 ok, 1 obstruction, 2 error) and a UTF-8 JSON body
//! ending in a newline.
use crate::error::ErrorCode;
use crate::event::{Event, Limits};
use crate::json::{self, JsonError};
use crate::reconcile::{Outcome, reconcile};
use crate::state::State;
use alloc::string::{String, ToString};
use alloc::format;
use alloc::vec::Vec;

/// Op: the version JSON.
pub const OP_VERSION: u32 = 0;
/// Op: reconcile JSON events.
pub const OP_RECONCILE_JSON: u32 = 1;
/// Op: reconcile canonical binary events.
pub const OP_RECONCILE_BINARY: u32 = 2;

/// Status: the batch extends the history.
pub const STATUS_OK: u8 = 0;
/// Status: the batch obstructs.
pub const STATUS_OBSTRUCTION: u8 = 1;
/// Status: the request was refused (bad input); the body is the error JSON.
pub const STATUS_ERROR: u8 = 2;

/// Error code: the request bytes are not framed as the op requires.
pub const CODE_BAD_REQUEST: u16 = 3301;
/// Error code: the op is unknown.
pub const CODE_UNKNOWN_OP: u16 = 3302;

/// A response: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// 0 ok, 1 obstruction, 2 error.
    pub status: u8,
    /// UTF-8 JSON ending in `\n`.
    pub body: Vec<u8>,
}

impl Response {
    fn error(code: u16, message: &str) -> Self {
        Response { status: STATUS_ERROR, body: json::error_to_json(code, message, None, None) }
    }
    fn from_json_error(e: &JsonError) -> Self {
        let field = e.field();
        Response {
            status: STATUS_ERROR,
            body: json::error_to_json(e.code(), &format!("{e}"), e.index(), field.as_deref()),
        }
    }
    /// `status byte || body`, the form the JS `abiCall` returns.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + self.body.len());
        v.push(self.status);
        v.extend_from_slice(&self.body);
        v
    }
}

/// Splits a reconcile request into events bytes and prior bytes.
pub fn split_request(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = input.split_first_chunk::<4>()?;
    let n = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    (n <= rest.len()).then(|| rest.split_at(n))
}

/// Builds a reconcile request from its parts.
pub fn make_request(events: &[u8], prior: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + events.len() + prior.len());
    v.extend_from_slice(&u32::try_from(events.len()).unwrap_or(u32::MAX).to_le_bytes());
    v.extend_from_slice(events);
    v.extend_from_slice(prior);
    v
}

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
        return crate::snapshot::Snapshot::decode(prior).map(|s| s.state).map_err(|e| (e.code(), e.to_string()));
    }
    parse_prior(prior).map_err(|e| (e.code(), e.to_string()))
}

/// Runs one op on request bytes.
pub fn call(op: u32, input: &[u8]) -> Response {
    let limits = Limits::default();
    match op {
        OP_VERSION => Response {
            status: STATUS_OK,
            body: format!("{{\n  \"version\": \"{}\"\n}}\n", crate::VERSION).into_bytes(),
        },
        OP_RECONCILE_JSON | OP_RECONCILE_BINARY => {
            let Some((events, prior)) = split_request(input) else {
                return Response::error(CODE_BAD_REQUEST, "request must start with a u32 little-endian length that fits the request");
            };
            let prior = match crate::ops::prior_state(prior) {
                Ok(p) => p,
                Err(e) => return e,
            };
            let events = if op == OP_RECONCILE_JSON {
                match json::parse_events(events, &limits) {
                    Ok(ev) => ev,
                    Err(e) => return Response::from_json_error(&e),
                }
            } else {
                match Event::decode_all(events, &limits) {
                    Ok(ev) => ev,
                    Err((i, at, e)) => {
                        let msg = format!("event {i} (starting at byte {at}): {e}");
                        return Response { status: STATUS_ERROR, body: json::error_to_json(e.code(), &msg, Some(i), None) };
                    }
                }
            };
            respond(&reconcile(&prior, &events))
        }
        3..=21 => crate::ops::call(op, input),
        _ => Response::error(CODE_UNKNOWN_OP, &format!("unknown op {op}; this build knows ops 0 to 21")),
    }
}

/// The response for an outcome.
pub fn respond(outcome: &Outcome) -> Response {
    let status = match outcome {
        Outcome::Ok(_) => STATUS_OK,
        Outcome::Obstruction(_) => STATUS_OBSTRUCTION,
    };
    Response { status, body: json::outcome_to_json(outcome) }
}
