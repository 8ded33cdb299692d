//! The approvals a browser remembers: which (user, client, exact redirect URI, resource) its
//! person has approved, and when, in the sealed `__Host-mcp-consent` cookie, so the next
//! authorization to the same redirect URI, for that resource or a narrower one, skips the
//! consent page for 30 days after the approval.
use super::resource::Audience;
use crate::cookies;

/// Remembers, per browser, which (user, client, exact redirect URI, resource) were approved.
pub const CONSENT_COOKIE: &str = "__Host-mcp-consent";
pub const CONSENT_TTL: u64 = 30 * 24 * 3600;
/// The cookie stays well under browsers' 4 KiB limit.
const MAX_REMEMBERED: usize = 12;

/// (user, client, hash of the exact redirect URI and the resource, when approved): approving
/// `http://127.0.0.1:5555/cb` does not approve another port (a local process could otherwise
/// receive a code silently, RFC 8252 §8.6), nor approving `/mcp` the whole origin. The hash
/// keeps the cookie small. Each approval ends 30 days after it was given, however often the
/// cookie is written again meanwhile.
type Approvals = Vec<(String, String, String, u64)>;

/// The approvals still standing (a cookie of an earlier form reads as none).
pub(super) fn approvals(ctx_keys: &crate::seal::SealKeys, cookie: Option<&str>, now: u64) -> Approvals {
    let mut list: Approvals = cookie.and_then(|c| ctx_keys.open_json(CONSENT_COOKIE, c, now)).unwrap_or_default();
    list.retain(|(_, _, _, at)| now < at.saturating_add(CONSENT_TTL));
    list
}

/// Where the time `user_id` last withdrew their approvals of `client_id` is kept.
pub(super) fn withdrawn_key(user_id: &str, client_id: &str) -> String {
    crate::store::keys::consent_withdrawn(user_id, &super::types::TokenHash::of(client_id).as_str()[..32])
}

fn approval_key(redirect_uri: &str, audience: Audience) -> String {
    super::types::TokenHash::of(&format!("{redirect_uri}\n{}", audience.path())).as_str()[..32].to_string()
}

/// Whether this browser approved `client_id` at `redirect_uri` for `user_id`, for the resource
/// asked (`None`: for any, as where only the redirect itself is at stake) or a broader one.
pub(super) fn approved(
    list: &Approvals,
    user_id: &str,
    client_id: &str,
    redirect_uri: &str,
    audience: Option<Audience>,
) -> bool {
    approved_at(list, user_id, client_id, redirect_uri, audience).is_some()
}

/// When [`approved`] was given (the latest, of several that cover the request).
pub(super) fn approved_at(
    list: &Approvals,
    user_id: &str,
    client_id: &str,
    redirect_uri: &str,
    audience: Option<Audience>,
) -> Option<u64> {
    let covering: &[Audience] = match audience {
        Some(Audience::Origin) => &[Audience::Origin],
        Some(narrower) => &[narrower, Audience::Origin],
        None => &[Audience::Origin, Audience::Mcp, Audience::Sse],
    };
    let keys: Vec<String> = covering.iter().map(|a| approval_key(redirect_uri, *a)).collect();
    list.iter().filter(|(u, c, k, _)| u == user_id && c == client_id && keys.contains(k)).map(|(.., at)| *at).max()
}

pub(super) fn remember(
    ctx_keys: &crate::seal::SealKeys,
    mut list: Approvals,
    (user_id, client_id, redirect_uri): (&str, &str, &str),
    audience: Audience,
    now: u64,
) -> String {
    let key = approval_key(redirect_uri, audience);
    list.retain(|(u, c, k, _)| !(u == user_id && c == client_id && *k == key));
    list.push((user_id.to_string(), client_id.to_string(), key, now));
    if list.len() > MAX_REMEMBERED {
        list.drain(..list.len() - MAX_REMEMBERED);
    }
    let sealed = ctx_keys.seal_json(CONSENT_COOKIE, &list, now + CONSENT_TTL);
    cookies::set_cookie(CONSENT_COOKIE, &sealed, CONSENT_TTL)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000;
    const CB: &str = "https://app.example/cb";

    fn keys() -> crate::seal::SealKeys {
        crate::seal::SealKeys::parse(&"k".repeat(40)).unwrap()
    }

    /// The cookie's value, as the browser sends it back.
    fn value(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
    }

    #[test]
    fn an_approval_covers_its_resource_and_narrower_ones_only() {
        let k = keys();
        let cookie = value(&remember(&k, Vec::new(), ("u1", "c1", CB), Audience::Mcp, T0));
        let list = approvals(&k, Some(&cookie), T0 + 1);
        assert!(approved(&list, "u1", "c1", CB, Some(Audience::Mcp)));
        assert!(approved(&list, "u1", "c1", CB, None), "any, for an error's redirect");
        assert!(!approved(&list, "u1", "c1", CB, Some(Audience::Origin)), "not the whole origin");
        assert!(!approved(&list, "u1", "c1", CB, Some(Audience::Sse)));
        assert!(!approved(&list, "u2", "c1", CB, Some(Audience::Mcp)), "another person");
        assert!(!approved(&list, "u1", "c1", "https://app.example/cb2", Some(Audience::Mcp)), "another URI");
        let cookie = value(&remember(&k, list, ("u1", "c1", CB), Audience::Origin, T0 + 2));
        let list = approvals(&k, Some(&cookie), T0 + 3);
        for a in [Audience::Origin, Audience::Mcp, Audience::Sse] {
            assert!(approved(&list, "u1", "c1", CB, Some(a)), "{a:?}: the origin covers it");
        }
    }

    #[test]
    fn an_approval_ends_thirty_days_after_it_was_given_whatever_came_after() {
        let k = keys();
        let first = value(&remember(&k, Vec::new(), ("u1", "c1", CB), Audience::Mcp, T0));
        // Another approval a day short of the end writes the cookie again, for 30 days more.
        let later = T0 + CONSENT_TTL - 24 * 3600;
        let list = approvals(&k, Some(&first), later);
        let both = value(&remember(&k, list, ("u1", "c2", CB), Audience::Mcp, later));
        let list = approvals(&k, Some(&both), T0 + CONSENT_TTL);
        assert!(!approved(&list, "u1", "c1", CB, Some(Audience::Mcp)), "the first has ended");
        assert!(approved(&list, "u1", "c2", CB, Some(Audience::Mcp)), "the second stands");
        assert_eq!(list.len(), 1);
    }
}
