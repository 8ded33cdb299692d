//! WorkOS API client over the [`crate::http::HttpClient`] boundary (Fetch API on Workers).
//! See `shared/reference/workos-api.md` for the contract each call follows.
pub mod client;
pub mod error;
pub mod jwt;
pub mod types;

pub use client::{AuthorizeParams, WorkosClient};
pub use error::WorkosError;
pub use jwt::{AccessClaims, JwksCache, TokenError};
pub use types::{AuditEvent, AuthResponse, Membership, Organization, Role, User};
