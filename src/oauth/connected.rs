//! Connected apps: the MCP clients a person has authorized (for the account page), and taking
//! one's access away. A grant is found through its user's index in KV: `oauth:user-grant:<user>:
//! <partition>`, one per person, which names the partition their grants' ids begin with (the
//! partition's object lists them), or `oauth:user-grant:<user>:<grant>` for a grant from before
//! partitions — an index the bearer check never reads.
use super::grant::{self, Grant, GrantPhase};
use super::{registry, OAuthError};
use crate::context::Ctx;
use crate::ids::{GrantId, UserId};
use crate::outbound::HttpClient;
use crate::principal::Principal;
use crate::store::{keys, Store};

/// Apps listed at most (a person with more sees the most recently used).
pub const MAX_LISTED: usize = 50;

/// One authorized MCP client, as the account page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectedApp {
    pub grant_id: GrantId,
    pub client_name: String,
    /// The host its redirect URI points to; `None` when that is this computer (loopback).
    pub redirect_host: Option<String>,
    /// Unix seconds.
    pub authorized_at: u64,
    /// Unix seconds: the code exchange or the latest refresh.
    pub last_used_at: u64,
    /// What its tokens carry now (refreshed with the grant).
    pub permissions: Vec<String>,
}

/// Reads an event about one person makes looking for their grants ([`user_grants`]) at most:
/// with the event's other work, within the 1,000 operations one invocation may make.
pub const MAX_USER_READS: usize = 500;
/// The same for the account page, whose listed apps may each cost a client's lookup besides.
const MAX_LIST_READS: usize = 400;

/// The apps `user` has authorized and not revoked, most recently used first (of those
/// [`MAX_LIST_READS`] find). A grant still waiting for its code exchange is not listed (nothing
/// holds a token yet).
pub async fn list<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    user: &UserId,
) -> Result<Vec<ConnectedApp>, OAuthError> {
    let mut apps = Vec::new();
    for (g, principal) in user_grants(ctx, user, MAX_LIST_READS).await?.0 {
        if let Some(app) = describe(ctx, &g, principal).await? {
            apps.push(app);
        }
    }
    apps.sort_by(|a, b| b.last_used_at.cmp(&a.last_used_at).then_with(|| a.client_name.cmp(&b.client_name)));
    apps.truncate(MAX_LISTED);
    Ok(apps)
}

/// `user`'s grants, each with the principal its tokens were issued for (`None` if its secrets no
/// longer open), found in at most `max` reads; true beside them when more were left.
pub async fn user_grants<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    user: &UserId,
    max: usize,
) -> Result<(Vec<(Grant, Option<Principal>)>, bool), OAuthError> {
    let (mut grants, more) = indexed_grants(ctx, &keys::user_grants_prefix(user.as_str()), max).await?;
    // The prefix of `user`'s entries also begins the entries of any user id that extends it
    // with a `:` (WorkOS ids have none): only `user`'s own grants are theirs.
    grants.retain(|(g, _)| g.user_id.as_str() == user.as_str());
    Ok((grants, more))
}

/// The grants the index entries under `prefix` find (at most `max` reads: a grant's record or a
/// partition's listing each; true beside them when more were left), each once, with its
/// principal. An entry names a grant (an entry of one
/// grant; dropped here if its grant is gone), or a partition, whose grants are those under ids
/// that begin with it (listed by the partition's object: those waiting for their code exchange
/// too). Only the entry's user's grants count.
pub(super) async fn indexed_grants<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    prefix: &str,
    max: usize,
) -> Result<(Vec<(Grant, Option<Principal>)>, bool), OAuthError> {
    let mut grants: Vec<(Grant, Option<Principal>)> = Vec::new();
    // Every entry costs a read at least, so no more than `max` can be used: the listing stops
    // there (one more tells whether some were left), however large the index.
    let keys = ctx.store.list(prefix, max + 1).await?;
    let cut = keys.len() > max;
    // Each read (and each delete of a stale entry) spends one of `max`: true once past it. The
    // listing itself is one a page of 1,000 keys (KV's).
    let mut looked = 1 + keys.len() / 1000;
    let mut spend = || {
        looked += 1;
        looked > max
    };
    for key in keys {
        let Some((user, named)) = keys::user_grant_parts(&key) else { continue };
        let own_entry = grant::is_grant_id(named);
        let ids = if own_entry {
            vec![named.to_string()]
        } else if crate::b64::is_url_safe(named, super::types::PARTITION_CHARS) {
            // Listing a partition is a read of its own, whether it finds grants or none.
            if spend() {
                return Ok((grants, true));
            }
            let listed = ctx.store.list(&keys::oauth_grant(named), max + 1).await?;
            let of_partition = |id: &&str| grant::is_grant_id(id) && super::types::grant_object_name(id) == named;
            listed.iter().filter_map(|k| keys::grant_id_of_key(k)).filter(of_partition).map(str::to_string).collect()
        } else {
            Vec::new()
        };
        for id in ids {
            if spend() {
                return Ok((grants, true));
            }
            let Some(g) = grant::load(ctx.store, &GrantId::new(id), ctx.now).await? else {
                if own_entry {
                    // A write, counted as a read is (the next read stops past `max`).
                    spend();
                    ctx.store.delete(&key).await?;
                }
                continue;
            };
            if g.user_id.as_str() == user && !grants.iter().any(|(seen, _)| seen.id == g.id) {
                let principal = g.open_secrets(&ctx.config.seal_keys, ctx.now).map(|s| s.principal);
                grants.push((g, principal));
            }
        }
    }
    Ok((grants, cut))
}

async fn describe<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    g: &Grant,
    principal: Option<Principal>,
) -> Result<Option<ConnectedApp>, OAuthError> {
    let GrantPhase::Active { redeemed_at_ms, refresh, .. } = &g.phase else { return Ok(None) };
    let last_used_ms = refresh.rotated_at_ms.or(*redeemed_at_ms).unwrap_or(g.created_at * 1000);
    // A client that can no longer be found (an expired registration) is still listed: its
    // grant works until revoked.
    let client_name = match registry::find(ctx, g.client_id.as_str()).await {
        Ok(Some(client)) => client.display_name().to_string(),
        _ => "Unknown client".to_string(),
    };
    // What its tokens carry now: a WorkOS event's news wins over what they were issued with.
    let permissions = match &g.access {
        Some(access) => access.permissions.clone(),
        None => principal.map(|p| p.permissions).unwrap_or_default(),
    };
    Ok(Some(ConnectedApp {
        grant_id: g.id.clone(),
        client_name,
        redirect_host: (!g.redirect_uri.is_loopback()).then(|| g.redirect_uri.display_host()),
        authorized_at: g.created_at,
        last_used_at: last_used_ms / 1000,
        permissions,
    }))
}

/// `user` takes an app's access away: the grant and everything issued from it are revoked (by
/// the grant's own object, in line with any refresh), and the approvals their browsers remember
/// for that client no longer stand (it asks for consent again). False when there is no such
/// grant of theirs — nothing changes then.
pub async fn revoke<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    user: &UserId,
    grant_id: &str,
) -> Result<bool, OAuthError> {
    if !grant::is_grant_id(grant_id) {
        return Ok(false);
    }
    let id = GrantId::new(grant_id);
    let Some(g) = grant::load(ctx.store, &id, ctx.now).await? else { return Ok(false) };
    if g.user_id != *user {
        return Ok(false);
    }
    // First: were it to fail after the revocation, a retry would find no grant, and no time to
    // write. It outlives every approval it withdraws.
    let withdrawn = super::approvals::withdrawn_key(user.as_str(), g.client_id.as_str());
    ctx.store.put(&withdrawn, &ctx.now.to_string(), super::approvals::CONSENT_TTL).await?;
    grant::revoke(ctx.store, &id).await?;
    grant::unindex(ctx.store, user, &id).await?;
    Ok(true)
}
