//! AuthKit as the authorization server (`WORKOS_AUTHKIT_DOMAIN`): its access tokens verified
//! against its JWKS (cached per isolate and shared between isolates), its RFC 8414 document
//! (fetched and cached), and the caller behind a token — with their standing in the
//! organization read from WorkOS when the token does not say it. No `worker` types; I/O through
//! [`crate::outbound::HttpClient`].
pub mod caller;
pub mod metadata;
pub mod org_access;
pub mod shared;
pub mod tokens;

pub use shared::SharedKeys;
pub use tokens::{verify_token, AuthkitClaims, AuthkitKeys, AuthkitTokenError, Expectations};
