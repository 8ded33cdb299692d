//! The grants' side of a WorkOS event ([`super::workos_events`]): what one grant's change is,
//! and its owner (on Workers, the grant's Durable Object) applying it, in line with the grant's
//! other operations.
use super::current_access::CurrentAccess;
use super::grant;
use super::OAuthError;
use crate::ids::{GrantId, UserId};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// What happens to one grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantChange {
    Revoke,
    Access(CurrentAccess),
}

/// Where grants live: a change runs there, in line with the grant's other operations.
#[allow(async_fn_in_trait)]
pub trait GrantOwner {
    /// Apply `change` to those of `grants` (all kept by one object: [`super::types::grant_object_name`]) that
    /// are `user`'s; the grants changed.
    async fn change(&self, grants: &[GrantId], user: &UserId, change: &GrantChange)
        -> Result<Vec<GrantId>, OAuthError>;
}

/// Grants one call to an object changes at most: a read and a write or two each, well within
/// the 1,000 storage and KV operations of the object's own invocation.
pub const MAX_GRANTS_PER_CALL: usize = 100;

/// [`change_grant`] for each of `ids` in turn (what the owner runs); the grants changed. A
/// failure part way leaves the grants before it changed, and the delivery fails: WorkOS's retry
/// applies the change again (changing those grants again is harmless).
pub async fn change_grants<S: Store>(
    store: &S,
    ids: &[GrantId],
    user: &UserId,
    change: &GrantChange,
    now: u64,
) -> Result<Vec<GrantId>, OAuthError> {
    let mut changed = Vec::new();
    for id in ids {
        if change_grant(store, id, user, change, now).await? {
            changed.push(id.clone());
        }
    }
    Ok(changed)
}

/// One change applied to one grant in `store`.
pub async fn change_grant<S: Store>(
    store: &S,
    id: &GrantId,
    user: &UserId,
    change: &GrantChange,
    now: u64,
) -> Result<bool, OAuthError> {
    let Some(mut g) = grant::load(store, id, now).await? else { return Ok(false) };
    if g.user_id != *user {
        return Ok(false);
    }
    match change {
        GrantChange::Revoke => {
            grant::revoke(store, id).await?;
            grant::unindex(store, user, id).await?;
        }
        // A reading older than the one the grant holds (two events' re-reads finishing out of
        // order, or one finishing after a refresh read WorkOS again) changes nothing: the later
        // reading stands.
        GrantChange::Access(access) if g.access.as_ref().is_some_and(|held| held.dated_ms() > access.dated_ms()) => {}
        GrantChange::Access(access) => {
            g.access = Some(access.clone());
            grant::save(store, &mut g, now).await?;
        }
    }
    Ok(true)
}
