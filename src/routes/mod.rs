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
    let bytes = req.bytes().await.ok()?;
    if bytes.len() > MAX_FORM_BYTES {
        return None;
    }
    Some(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

pub(crate) async fn form(req: &mut Request) -> Option<HashMap<String, String>> {
    form_pairs(req).await.map(|pairs| pairs.into_iter().collect())
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub(crate) fn cookie(req: &Request, name: &str) -> Option<String> {
    read_cookie(header(req, "Cookie").as_deref(), name).map(str::to_string)
}
