//! Who is calling: verification of bearer tokens issued by an external authorization server
//! (AuthKit), with its JWKS cached per isolate, and the caller's standing in their
//! organization when the token does not say it. No `worker` types; I/O through
//! [`crate::http::HttpClient`].
pub mod authkit;
pub mod org_access;
pub mod principal;

pub use authkit::{verify_token, AuthkitClaims, AuthkitKeys, AuthkitTokenError, Expectations};
