//! The typed kernel API: the ops, their requests and responses, and the error
//! codes, defined once. The byte ABI (`abi`) is the transport every engine
//! shares; this module is what it carries.
#[cfg(feature = "json")]
pub mod abi;
pub mod code;
pub mod cut;
pub mod explain;
#[cfg(feature = "json")]
mod error;
#[cfg(feature = "json")]
pub mod input;
#[cfg(feature = "json")]
pub mod json;
mod op;
#[cfg(feature = "json")]
pub mod ops;
#[cfg(feature = "json")]
pub mod request;
#[cfg(feature = "json")]
pub mod response;
#[cfg(feature = "json")]
pub mod session;
#[cfg(feature = "json")]
pub mod vectors;

pub use op::{Op, UnknownOp};
#[cfg(feature = "json")]
pub use error::ApiError;
#[cfg(feature = "json")]
pub use request::Call;
