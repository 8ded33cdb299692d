//! Who is calling: verification of bearer tokens issued by an external authorization server
//! (AuthKit), with its JWKS cached per isolate. No `worker` types; I/O through
//! [`crate::http::HttpClient`].
pub mod authkit;

pub use authkit::{verify_token, AuthkitClaims, AuthkitKeys, AuthkitTokenError, Expectations};
