//! WorkOS API client over the [`crate::outbound::HttpClient`] boundary (Fetch API on Workers).
//! Every request follows WorkOS's OpenAPI document (`@workos/openapi-spec`); the e2e stack checks
//! each one against it (dev/contract.mjs).
pub mod access;
pub mod client;
pub mod error;
pub mod jwt;
pub mod key_cache;
pub mod org_names;
pub mod rs256;
pub mod types;
pub mod urls;
pub mod webhook;

pub use client::{BridgeUser, WorkosClient};
pub use error::{PendingAuthentication, WorkosError};
pub use jwt::{AccessClaims, JwksCache, TokenError, WorkosTokenRules};
pub use org_names::OrgNames;
pub use types::{AuditEvent, AuthResponse, Membership, Organization, OrganizationChoice, Role, User};
pub use urls::AuthorizeParams;
