//! Thin HTTP handlers, one file per audience, and the request helpers they share.
pub mod login;
pub mod mcp;
pub mod oauth;

use crate::cookies::read_cookie;
use std::collections::HashMap;
use worker::{Request, Result};

/// Browser forms here are a few hidden fields; anything bigger is not ours.
const MAX_FORM_BYTES: usize = 8 * 1024;

pub(crate) fn query(req: &Request) -> Result<HashMap<String, String>> {
    Ok(req.url()?.query_pairs().into_owned().collect())
}

/// A small browser form, as pairs (repeats kept, so callers can refuse them).
pub(crate) async fn form_pairs(req: &mut Request) -> Option<Vec<(String, String)>> {
    let bytes = body_limited(req, MAX_FORM_BYTES).await.ok()?;
    Some(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

pub(crate) async fn form(req: &mut Request) -> Option<HashMap<String, String>> {
    form_pairs(req).await.map(|pairs| pairs.into_iter().collect())
}

/// Why a body was not read.
pub(crate) enum BodyError {
    /// Over the limit (by `Content-Length`, before reading, or by the bytes themselves).
    TooLarge,
    Unreadable,
}

/// The request body, at most `max` bytes.
pub(crate) async fn body_limited(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, BodyError> {
    if header(req, "Content-Length").and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| l > max) {
        return Err(BodyError::TooLarge);
    }
    let body = req.bytes().await.map_err(|_| BodyError::Unreadable)?;
    if body.len() > max {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

/// True when the request's `Content-Type` is `media` (parameters such as `charset` ignored).
pub(crate) fn has_media_type(req: &Request, media: &str) -> bool {
    header(req, "Content-Type").is_some_and(|c| c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(media))
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    read_cookie(header(req, "Cookie").as_deref(), name).map(str::to_string)
}
