//! `ApiError`: the one error every op answers with, on every engine.
use super::abi::{Response, STATUS_ERROR};
use super::code;
use super::json::{self, JsonError};
use crate::error::ErrorCode;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

/// A refused request: a stable code (see [`code`]), a message a person can
/// act on, and where known the index of the event and the field at fault.
/// Its wire form is the error JSON `{"status": "error", "code", "message",
/// "index"?, "field"?}` with response status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The stable code.
    pub code: u16,
    /// What went wrong, in words.
    pub message: String,
    /// The index of the event at fault, when there is one.
    pub index: Option<usize>,
    /// The field at fault, when there is one.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), index: None, field: None }
    }

    /// A malformed request (3301).
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(code::BAD_REQUEST, message)
    }

    /// Any coded error, with its own message.
    pub fn of<E: ErrorCode + fmt::Display + ?Sized>(e: &E) -> Self {
        ApiError::new(e.code(), e.to_string())
    }

    /// Any coded error, its message after a prefix (`"chain[2]: "`).
    pub fn within<E: ErrorCode + fmt::Display + ?Sized>(prefix: &str, e: &E) -> Self {
        ApiError::new(e.code(), format!("{prefix}{e}"))
    }

    /// The same error naming the event at fault.
    pub fn at_index(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }

    /// The error as the response every engine prints (status 2).
    pub fn to_response(&self) -> Response {
        Response { status: STATUS_ERROR, body: json::error_to_json(self.code, &self.message, self.index, self.field.as_deref()) }
    }
}

impl From<JsonError> for ApiError {
    fn from(e: JsonError) -> Self {
        ApiError { code: e.code(), message: e.to_string(), index: e.index(), field: e.field() }
    }
}

impl From<&JsonError> for ApiError {
    fn from(e: &JsonError) -> Self {
        ApiError { code: e.code(), message: e.to_string(), index: e.index(), field: e.field() }
    }
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Response {
        e.to_response()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

impl ErrorCode for ApiError {
    fn code(&self) -> u16 {
        self.code
    }
}
