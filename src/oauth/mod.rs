//! The Worker as OAuth 2.1 authorization server for MCP clients (WorkOS is the identity
//! provider behind it). Protocol core only: no `worker` types; I/O through `Store`/`HttpClient`.
pub mod error;

pub use error::{ErrorCode, OAuthError};
