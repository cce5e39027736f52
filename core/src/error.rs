//! Error types shared across modules, each with a stable numeric code.
use core::fmt;

/// A stable numeric code for an error or a violation. Codes never change
/// meaning once released; `docs/FORMATS.md` lists them all.
pub trait ErrorCode {
    /// The stable code.
    fn code(&self) -> u16;
}

/// Why canonical event bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside the event: `need` more bytes were expected at `offset`.
    Truncated {
        /// Offset (within the event) of the field that did not fit.
        offset: usize,
        /// The field's name.
        field: &'static str,
    },
    /// The dependency list is not sorted ascending and unique.
    DepsNotCanonical {
        /// Index of the first dependency out of order.
        index: usize,
    },
    /// More dependencies than the limit allows.
    TooManyDeps {
        /// How many the event declares.
        count: u64,
        /// The limit.
        max: u32,
    },
    /// The payload is longer than the limit allows.
    PayloadTooLarge {
        /// The declared length.
        len: u64,
        /// The limit.
        max: u32,
    },
    /// Bytes follow the event where exactly one event was expected (a log frame).
    Trailing {
        /// Offset (within the frame) where the event ended.
        offset: usize,
    },
}

impl ErrorCode for DecodeError {
    fn code(&self) -> u16 {
        match self {
            DecodeError::Truncated { .. } => crate::api::code::EVENT_TRUNCATED,
            DecodeError::DepsNotCanonical { .. } => crate::api::code::EVENT_DEPS,
            DecodeError::TooManyDeps { .. } | DecodeError::PayloadTooLarge { .. } => crate::api::code::EVENT_LIMIT,
            DecodeError::Trailing { .. } => crate::api::code::EVENT_TRAILING,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { offset, field } => write!(
                f,
                "event bytes end at offset {offset}, inside the `{field}` field"
            ),
            DecodeError::DepsNotCanonical { index } => write!(
                f,
                "dependency {index} is not greater than the one before it; canonical deps are sorted ascending and unique"
            ),
            DecodeError::TooManyDeps { count, max } => {
                write!(f, "event declares {count} dependencies; the limit is {max}")
            }
            DecodeError::PayloadTooLarge { len, max } => {
                write!(f, "payload is {len} bytes; the limit is {max}")
            }
            DecodeError::Trailing { offset } => {
                write!(f, "the event ends at offset {offset} but the frame holds more bytes")
            }
        }
    }
}
