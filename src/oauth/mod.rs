//! The Worker as OAuth 2.1 authorization server for MCP clients (WorkOS is the identity
//! provider behind it). Protocol core only: no `worker` types; I/O through `Store`/`HttpClient`.
pub mod access;
mod approvals;
pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod client_document;
pub mod connected;
pub mod consent;
pub mod current_access;
pub mod error;
pub mod form;
pub mod grant;
mod grant_change;
pub mod metadata;
pub mod pkce;
pub mod redirect_uri;
pub mod registry;
pub mod resource;
pub mod revocation;
pub mod token;
pub mod types;
pub mod workos_events;

pub use error::{ErrorCode, OAuthError};

#[cfg(test)]
mod flow_tests;
