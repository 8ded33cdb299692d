//! The approvals a browser remembers: which (user, client, exact redirect URI) its person has
//! approved, in the sealed `__Host-mcp-consent` cookie, so the next authorization to the same
//! redirect URI skips the consent page.
use crate::cookies;

/// Remembers, per browser, which (user, client, exact redirect URI) were approved.
pub const CONSENT_COOKIE: &str = "__Host-mcp-consent";
pub const CONSENT_TTL: u64 = 30 * 24 * 3600;
/// The cookie stays well under browsers' 4 KiB limit.
const MAX_REMEMBERED: usize = 12;

/// (user, client, hash of the exact redirect URI): approving `http://127.0.0.1:5555/cb` does
/// not approve another port — a local process could otherwise receive a code silently
/// (RFC 8252 §8.6). The hash keeps the cookie small.
type Approvals = Vec<(String, String, String)>;

pub(super) fn approvals(ctx_keys: &crate::seal::SealKeys, cookie: Option<&str>, now: u64) -> Approvals {
    cookie.and_then(|c| ctx_keys.open_json::<Approvals>(CONSENT_COOKIE, c, now)).unwrap_or_default()
}

fn redirect_key(redirect_uri: &str) -> String {
    super::types::TokenHash::of(redirect_uri).as_str()[..32].to_string()
}

pub(super) fn approved(list: &Approvals, user_id: &str, client_id: &str, redirect_uri: &str) -> bool {
    let r = redirect_key(redirect_uri);
    list.iter().any(|(u, c, h)| u == user_id && c == client_id && *h == r)
}

pub(super) fn remember(
    ctx_keys: &crate::seal::SealKeys,
    mut list: Approvals,
    user_id: &str,
    client_id: &str,
    redirect_uri: &str,
    now: u64,
) -> String {
    let r = redirect_key(redirect_uri);
    list.retain(|(u, c, h)| !(u == user_id && c == client_id && *h == r));
    list.push((user_id.to_string(), client_id.to_string(), r));
    if list.len() > MAX_REMEMBERED {
        list.drain(..list.len() - MAX_REMEMBERED);
    }
    let sealed = ctx_keys.seal_json(CONSENT_COOKIE, &list, now + CONSENT_TTL);
    cookies::set_cookie(CONSENT_COOKIE, &sealed, CONSENT_TTL)
}
