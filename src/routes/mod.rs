//! Thin HTTP handlers, one file per audience.
pub mod login;
