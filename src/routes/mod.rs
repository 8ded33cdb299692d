//! Thin HTTP handlers, one file per audience, and the request helpers they share.
pub mod error;
pub mod login;
pub mod mcp;
pub mod oauth;
pub mod webhooks;

use crate::cookies::read_cookie;
use error::RouteError;
use std::collections::HashMap;
use worker::{Request, Response, Result};

/// What every handler returns.
pub type Answer = std::result::Result<Response, RouteError>;

/// How much of a too-large request body is read on (and dropped) so the sender sees the 413.
const MAX_DISCARDED_BYTES: usize = 64 << 20;

/// Browser forms here are a few hidden fields; anything bigger is not ours.
const MAX_FORM_BYTES: usize = 8 * 1024;

pub(crate) fn query(req: &Request) -> Result<HashMap<String, String>> {
    Ok(req.url()?.query_pairs().into_owned().collect())
}

/// A small browser form, as pairs (repeats kept, so callers can refuse them); a body that is
/// too large (413) or unreadable (400) is refused with a page.
pub(crate) async fn form_pairs(req: &mut Request) -> std::result::Result<Vec<(String, String)>, RouteError> {
    match body_limited(req, MAX_FORM_BYTES).await {
        Ok(bytes) => Ok(url::form_urlencoded::parse(&bytes).into_owned().collect()),
        Err(BodyError::TooLarge) => Err(RouteError::Form { status: 413 }),
        Err(BodyError::Unreadable) => Err(RouteError::Form { status: 400 }),
    }
}

pub(crate) async fn form(req: &mut Request) -> std::result::Result<HashMap<String, String>, RouteError> {
    form_pairs(req).await.map(|pairs| pairs.into_iter().collect())
}

/// Why a body was not read.
pub(crate) enum BodyError {
    /// Over the limit (by `Content-Length`, before reading, or by the bytes themselves).
    TooLarge,
    Unreadable,
}

/// The request body, at most `max` bytes: a declared `Content-Length` above it is refused
/// before reading. A body within a declared length is read whole, in one call into the runtime
/// (the runtime delivers exactly the declared bytes: the framing is its length); one without
/// (chunked) is read as a stream that stops at `max` + 1 bytes.
pub(crate) async fn body_limited(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, BodyError> {
    match header(req, "Content-Length").map(|l| l.parse::<usize>()) {
        Some(Ok(declared)) if declared > max => return Err(BodyError::TooLarge),
        Some(Ok(_)) => {
            let body = req.bytes().await.map_err(|_| BodyError::Unreadable)?;
            // Checked again all the same: the limit never rests on the declaration alone.
            return if body.len() > max { Err(BodyError::TooLarge) } else { Ok(body) };
        }
        _ => {}
    }
    let Ok(stream) = req.stream() else {
        return Ok(Vec::new()); // no body at all
    };
    crate::outbound::read_capped(stream, max, crate::outbound::Overflow::Discard(MAX_DISCARDED_BYTES)).await.map_err(
        |e| match e {
            crate::outbound::ReadError::TooLarge => BodyError::TooLarge,
            crate::outbound::ReadError::Broken => BodyError::Unreadable,
        },
    )
}

/// True when the request's `Content-Type` is `media` (parameters such as `charset` ignored).
pub(crate) fn has_media_type(req: &Request, media: &str) -> bool {
    header(req, "Content-Type").is_some_and(|c| c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(media))
}

pub(crate) fn header(req: &Request, name: &'static str) -> Option<String> {
    crate::platform::js::header(&req.headers().0, name)
}

pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    read_cookie(header(req, "Cookie").as_deref(), name).map(str::to_string)
}
