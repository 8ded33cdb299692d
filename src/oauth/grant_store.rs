//! Reading and writing grants (a part of `grant`): the record, its user's index entry, and
//! how a write that fails leaves them.
use super::{Grant, CODE_TTL, INDEX_SLACK, REFRESH_TTL};
use crate::ids::{GrantId, UserId};
use crate::oauth::OAuthError;
use crate::store::{keys, Store};

pub async fn load<S: Store>(store: &S, grant_id: &GrantId, now: u64) -> Result<Option<Grant>, OAuthError> {
    let Some(raw) = store.get(&keys::oauth_grant(grant_id.as_str())).await? else { return Ok(None) };
    match crate::json::from_str::<Grant>(&raw) {
        Ok(g) if g.expires_at > now && g.id == *grant_id => Ok(Some(g)),
        _ => Ok(None),
    }
}

/// Write the grant. Its user's index entry ([`index_key`]) is written first when the grant would
/// outlive it, to last [`INDEX_SLACK`] longer: the record notes that only once it is written, so
/// the next save writes one that could not be. While the entry written before still lives, such
/// a failure does not stop the record: the caller's change (a refresh that WorkOS has already
/// answered with a new token of its own) is kept. Without a live entry, nothing is written.
pub async fn save<S: Store>(store: &S, grant: &mut Grant, now: u64) -> Result<(), OAuthError> {
    save_with(store, grant, now, Write::Whole).await
}

/// [`save`] for a code's redemption: a record that could not be written in full stays as it
/// was ([`Store::put_or_nothing`]), so the exchange's retry redeems the code rather than reading
/// as its replay.
pub async fn save_redeemed<S: Store>(store: &S, grant: &mut Grant, now: u64) -> Result<(), OAuthError> {
    save_with(store, grant, now, Write::OrNothing).await
}

/// [`save`] for a refresh's rotation, which stands once the grant's record holds it, even when
/// KV's mirror of the record could not be written. The mirror then holds the grant as it was
/// before the refresh until the grant's next write (its next refresh, within the hour): the new
/// tokens carry their own standing, and an access older than a token's is not applied to it.
/// What lags with it (docs/security.md): what the refresh read is not applied to tokens issued
/// before it, and the event paths choose grants by the older copy. Answering 503 instead would
/// spend the rotation its client never received: the replaced token's one retry
/// ([`GRACE_MS`](super::GRACE_MS)) would carry on from it, and a KV outage longer than that
/// retry's wait would read the next retry as reuse and revoke the grant. Unless `mirror_lasts`
/// (the mirror as it was outlives the new access token; not so for a grant idle for about 30
/// days, whose mirror would be gone before the token and refuse it): then as [`save`].
pub async fn save_refreshed<S: Store>(
    store: &S,
    grant: &mut Grant,
    now: u64,
    mirror_lasts: bool,
) -> Result<(), OAuthError> {
    save_with(store, grant, now, if mirror_lasts { Write::Refreshed } else { Write::Whole }).await
}

/// How a grant's write stands when part of it fails (see the three functions above).
enum Write {
    Whole,
    OrNothing,
    Refreshed,
}

async fn save_with<S: Store>(store: &S, grant: &mut Grant, now: u64, how: Write) -> Result<(), OAuthError> {
    if grant.expires_at > grant.indexed_until {
        let until = grant.expires_at + INDEX_SLACK;
        match store.put(&index_key(grant), grant.client_id.as_str(), until.saturating_sub(now)).await {
            Ok(()) => grant.indexed_until = until,
            Err(_) if grant.indexed_until > now => {}
            Err(e) => return Err(e.into()),
        }
    }
    let json = serde_json::to_string(grant).map_err(|e| OAuthError::server_error(e.to_string()))?;
    let (key, ttl) = (keys::oauth_grant(grant.id.as_str()), grant.ttl(now));
    Ok(match how {
        Write::Whole => store.put(&key, &json, ttl).await,
        Write::OrNothing => store.put_or_nothing(&key, &json, ttl).await,
        Write::Refreshed => store.put_record(&key, &json, ttl).await,
    }?)
}

/// The index entry's expiry for a grant created `now`: its code's lifetime, then its refresh
/// token's and [`INDEX_SLACK`], so that neither redeeming the code nor the refreshes of the
/// first week write the entry again.
pub fn first_index_expiry(now: u64) -> u64 {
    now + CODE_TTL + REFRESH_TTL + INDEX_SLACK
}

/// Write a new grant and its user's index entry (until the grant's `indexed_until`), unless its
/// id is taken: false then, and nothing written. Where grants live in their own objects, the
/// object runs the check and the writes as one operation.
pub async fn create<S: Store>(store: &S, grant: &Grant, now: u64) -> Result<bool, OAuthError> {
    let json = serde_json::to_string(grant).map_err(|e| OAuthError::server_error(e.to_string()))?;
    let index = index_key(grant);
    let also = [(index.as_str(), grant.client_id.as_str())];
    let index_ttl = grant.indexed_until.saturating_sub(now).max(grant.ttl(now));
    Ok(store.put_new(&keys::oauth_grant(grant.id.as_str()), &json, grant.ttl(now), &also, index_ttl).await?)
}

/// The user's index entry that finds `grant` (the account page and WorkOS's events): one per
/// person and partition, naming it, or for a grant from before partitions one of its own. The
/// object writes a person's entry only when it would not outlive what is asked.
pub fn index_key(grant: &Grant) -> String {
    keys::user_grant(grant.user_id.as_str(), crate::oauth::types::grant_object_name(grant.id.as_str()))
}

/// Drop a revoked grant's index entry if it has one of its own (a person's finds their others).
pub async fn unindex<S: Store>(store: &S, user: &UserId, id: &GrantId) -> Result<(), OAuthError> {
    if crate::oauth::types::grant_object_name(id.as_str()) == id.as_str() {
        store.delete(&keys::user_grant(user.as_str(), id.as_str())).await?;
    }
    Ok(())
}

pub async fn revoke<S: Store>(store: &S, grant_id: &GrantId) -> Result<(), OAuthError> {
    store.delete(&keys::oauth_grant(grant_id.as_str())).await?;
    Ok(())
}
