//! WorkOS events change access now, not at the next refresh (`POST /webhooks/workos`).
//!
//! A delivery is checked first (`WorkOS-Signature`, see [`crate::workos::webhook`]); anything
//! that fails the check changes nothing. Each event is applied once: its id is remembered for a
//! day (`webhook:event:<id>`), so WorkOS's retries change nothing more. What an event does:
//!
//! - `user.deleted`: every grant of the user ends;
//! - `organization_membership.deleted`: the user's grants in that organization end;
//! - `organization_membership.updated`: the membership is read again from WorkOS — not an
//!   active member any more: those grants end; otherwise their role and permissions are
//!   recorded on each grant, and the bearer check applies them over the tokens' own copy;
//! - `session.revoked`: the grants that came from that WorkOS session end;
//! - `role.updated` / `organization_role.updated`: every grant whose user holds that role (as
//!   primary role or one of several) is re-read as for a membership update.
//!
//! An event about one user or one role first leaves a mark (`store::keys::access_changed`,
//! `store::keys::role_changed`): a grant the listing below cannot show (made after the sign-in
//! it outdates, or listed late by KV) has its older tokens refused by the bearer check until a
//! refresh reads WorkOS again.
//!
//! A grant is changed by its owner ([`GrantOwner`]: on Workers, the grant's Durable Object), in
//! line with its refreshes. In AuthKit mode, where AuthKit keeps the grants, the cached
//! membership lookups of the user are dropped instead, so the next request reads WorkOS again.
use super::access::note_change;
use super::connected::{indexed_grants, user_grants};
use super::current_access::CurrentAccess;
use super::grant::{self, Grant};
use super::OAuthError;
use crate::config::AuthMode;
use crate::context::Ctx;
use crate::ids::{GrantId, UserId};
use crate::outbound::HttpClient;
use crate::store::{keys, Store};
use crate::workos::access::fetch;
use crate::workos::webhook::{self, AccessChange, Event, Refusal};
use serde::{Deserialize, Serialize};
use std::cell::Cell;

/// How long an event id is remembered (WorkOS retries failed deliveries for up to a few days;
/// a retry after a success arrives within minutes).
pub const REMEMBER_EVENTS_SECS: u64 = 24 * 3600;
/// Grants a role change looks through at most (the index of all users' grants; a KV read each,
/// within the 1,000 KV operations one invocation may make).
pub const MAX_SCANNED_GRANTS: usize = 500;
/// Calls one delivery makes at most to grants' objects (one per grant changed) and to WorkOS
/// (about [`REREAD_COST`] per standing re-read): with the role scan's reads
/// ([`MAX_SCANNED_GRANTS`]), within the 1,000 operations one invocation may make on the Paid
/// plan. The grants left over are the event's mark's: their older tokens are refused at the
/// bearer check until a refresh reads WorkOS. Past the limit a delivery would fail every time
/// WorkOS retried it, and each retry would write a newer mark. (The Free plan allows 50
/// subrequests: there a delivery that needs more fails, and is retried, as before this limit.)
pub const MAX_SUBREQUESTS: u32 = 400;
/// WorkOS calls one re-read of a standing makes, counted as (memberships, a role's permissions,
/// the organization's name, the user; a member of several roles asks once per role).
const REREAD_COST: u32 = 4;

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
    /// Apply `change` to `grant` if it is `user`'s; false when there is no such grant.
    async fn change(&self, grant: &GrantId, user: &UserId, change: &GrantChange) -> Result<bool, OAuthError>;
}

/// One change applied to one grant in `store` (what the owner runs).
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
        // order) changes nothing: the later reading stands.
        GrantChange::Access(access) if g.access.as_ref().is_some_and(|held| held.at > access.at) => {}
        GrantChange::Access(access) => {
            g.access = Some(access.clone());
            grant::save(store, &mut g, now).await?;
        }
    }
    Ok(true)
}

/// Why a delivery changed nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Undelivered {
    /// The signature check failed (401).
    Refused(Refusal),
    /// Signed, but not an event (400).
    Malformed,
    /// Storage or WorkOS failed (503: WorkOS retries the delivery).
    Unavailable(String),
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Received {
    /// The event was delivered before: nothing was done again.
    pub duplicate: bool,
    /// Grants whose tokens stopped working or changed (this isolate forgets its look at them).
    pub changed: Vec<GrantId>,
    /// Grants were left to the event's mark: the delivery's work ran out ([`MAX_SUBREQUESTS`]),
    /// or WorkOS refused to answer about someone for good (a 4xx: asking again would not help).
    pub left_to_mark: bool,
}

/// Check and apply one delivery.
pub async fn receive<S: Store, H: HttpClient, O: GrantOwner>(
    ctx: &Ctx<'_, S, H>,
    owner: &O,
    secret: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Received, Undelivered> {
    webhook::verify(signature, body, secret, ctx.http.now_ms()).map_err(Undelivered::Refused)?;
    let event = Event::parse(body).ok_or(Undelivered::Malformed)?;
    let seen = keys::webhook_event(&event.id);
    let unavailable = |e: OAuthError| Undelivered::Unavailable(e.description);
    if ctx.store.get(&seen).await.map_err(|e| Undelivered::Unavailable(e.0))?.is_some() {
        return Ok(Received { duplicate: true, ..Received::default() });
    }
    let (changed, left_to_mark) = apply(ctx, owner, &event.access_change()).await.map_err(unavailable)?;
    ctx.store.put(&seen, &event.event, REMEMBER_EVENTS_SECS).await.map_err(|e| Undelivered::Unavailable(e.0))?;
    Ok(Received { duplicate: false, changed, left_to_mark })
}

/// What a delivery may still spend ([`MAX_SUBREQUESTS`]), and whether it has left grants to
/// the event's mark.
struct Work {
    budget: Cell<u32>,
    left_to_mark: Cell<bool>,
}

impl Work {
    /// Spend `n`; false, and grants left to the mark, when that much is not left.
    fn take(&self, n: u32) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(n));
        self.left_to_mark.set(self.left_to_mark.get() || left < n);
        left >= n
    }
}

/// Apply what an event means; returns the grants changed, and whether some were left to the
/// event's mark ([`Received::left_to_mark`]).
pub async fn apply<S: Store, H: HttpClient, O: GrantOwner>(
    ctx: &Ctx<'_, S, H>,
    owner: &O,
    change: &AccessChange,
) -> Result<(Vec<GrantId>, bool), OAuthError> {
    let work = &Work { budget: Cell::new(MAX_SUBREQUESTS), left_to_mark: Cell::new(false) };
    let in_org = |org: &str| {
        let org = org.to_string();
        move |g: &(Grant, Option<crate::principal::Principal>)| {
            g.1.as_ref().and_then(|p| p.organization_id.as_deref()) == Some(org.as_str())
        }
    };
    let at_ms = ctx.http.now_ms();
    if let (Some(mark), AuthMode::Worker) = (mark(change), &ctx.config.auth_mode) {
        // First: the grants listed below are those KV's listing shows now; the mark reaches the
        // others (made meanwhile, or listed up to a minute late) at the bearer check.
        note_change(ctx.store, &mark, at_ms).await?;
    }
    let at = at_ms / 1000;
    let changed = match change {
        AccessChange::None => Ok(Vec::new()),
        AccessChange::UserDeleted { user_id } => {
            let user = UserId::new(user_id.as_str());
            let grants = user_grants(ctx, &user).await?;
            change_all(owner, &user, grants.iter().map(|(g, _)| &g.id), &GrantChange::Revoke, work).await
        }
        AccessChange::MembershipDeleted { user_id, organization_id } => {
            forget_cached_access(ctx, user_id, organization_id).await;
            let user = UserId::new(user_id.as_str());
            let grants: Vec<_> = user_grants(ctx, &user).await?.into_iter().filter(in_org(organization_id)).collect();
            change_all(owner, &user, grants.iter().map(|(g, _)| &g.id), &GrantChange::Revoke, work).await
        }
        AccessChange::MembershipUpdated { user_id, organization_id } => {
            forget_cached_access(ctx, user_id, organization_id).await;
            let user = UserId::new(user_id.as_str());
            let grants: Vec<_> = user_grants(ctx, &user).await?.into_iter().filter(in_org(organization_id)).collect();
            reread(ctx, owner, &user, organization_id, grants.iter().map(|(g, _)| &g.id), at, work).await
        }
        AccessChange::SessionRevoked { session_id, user_id: Some(user_id) } => {
            let user = UserId::new(user_id.as_str());
            let from_session = |g: &(Grant, Option<crate::principal::Principal>)| {
                g.1.as_ref().and_then(|p| p.workos_session_id.as_deref()) == Some(session_id.as_str())
            };
            let grants: Vec<_> = user_grants(ctx, &user).await?.into_iter().filter(from_session).collect();
            change_all(owner, &user, grants.iter().map(|(g, _)| &g.id), &GrantChange::Revoke, work).await
        }
        // Without the user, the session's grants cannot be found; they end at their next refresh
        // (WorkOS refuses the ended session's refresh token).
        AccessChange::SessionRevoked { user_id: None, .. } => Ok(Vec::new()),
        AccessChange::RoleUpdated { slug, organization_id } => {
            let mut changed = Vec::new();
            for (user, org, ids) in holders_of_role(ctx, slug, organization_id.as_deref()).await? {
                forget_cached_access(ctx, user.as_str(), &org).await;
                changed.extend(reread(ctx, owner, &user, &org, ids.iter(), at, work).await?);
            }
            Ok(changed)
        }
    }?;
    Ok((changed, work.left_to_mark.get()))
}

/// The change mark an event leaves: its user's, or its role's (none for a revoked session whose
/// user the event does not name: that session's grants end at their next refresh anyway).
fn mark(change: &AccessChange) -> Option<String> {
    match change {
        AccessChange::RoleUpdated { slug, .. } => Some(keys::role_changed(slug)),
        _ => change.user().map(keys::access_changed),
    }
}

async fn change_all<'a, O: GrantOwner>(
    owner: &O,
    user: &UserId,
    ids: impl Iterator<Item = &'a GrantId>,
    change: &GrantChange,
    work: &Work,
) -> Result<Vec<GrantId>, OAuthError> {
    let mut changed = Vec::new();
    for id in ids {
        if !work.take(1) {
            break;
        }
        if owner.change(id, user, change).await? {
            changed.push(id.clone());
        }
    }
    Ok(changed)
}

/// Read the user's standing in `org` from WorkOS and record it on each grant, dated `at` (or
/// end them). WorkOS unreachable, rate-limited or failing: the delivery fails (WorkOS retries
/// it). WorkOS refusing for good (a 4xx: a role deleted meanwhile, an API key without the
/// permission): this user's grants are left to the event's mark, and the delivery goes on.
async fn reread<'a, S: Store, H: HttpClient, O: GrantOwner>(
    ctx: &Ctx<'_, S, H>,
    owner: &O,
    user: &UserId,
    org: &str,
    ids: impl Iterator<Item = &'a GrantId>,
    at: u64,
    work: &Work,
) -> Result<Vec<GrantId>, OAuthError> {
    let ids: Vec<&GrantId> = ids.collect();
    if ids.is_empty() || !work.take(REREAD_COST) {
        return Ok(Vec::new());
    }
    let change = match fetch(&ctx.workos(), user.as_str(), org).await {
        Ok(Some(access)) => GrantChange::Access(CurrentAccess {
            role: access.role,
            other_roles: access.other_roles,
            permissions: access.permissions,
            at,
        }),
        Ok(None) => GrantChange::Revoke,
        Err(e) if e.is_transient() => {
            return Err(OAuthError::unavailable(format!("WorkOS could not be asked: {e}"), Some(30)))
        }
        Err(_) => {
            work.left_to_mark.set(true);
            return Ok(Vec::new());
        }
    };
    change_all(owner, user, ids.into_iter(), &change, work).await
}

/// Every (user, organization, grants) whose grants hold role `slug`, primary or not (in `org`,
/// for an organization's own role), from the index of all users' grants.
async fn holders_of_role<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    slug: &str,
    org: Option<&str>,
) -> Result<Vec<(UserId, String, Vec<GrantId>)>, OAuthError> {
    let mut found: Vec<(UserId, String, Vec<GrantId>)> = Vec::new();
    for (g, p) in indexed_grants(ctx, keys::USER_GRANTS_PREFIX, MAX_SCANNED_GRANTS).await? {
        let Some(p) = p else { continue };
        let Some(grant_org) = p.organization_id.clone() else { continue };
        // Any of its roles, as an event since reported them or else as the grant was made.
        let holds = match &g.access {
            Some(a) => a.roles().any(|r| r == slug),
            None => p.roles().any(|r| r == slug),
        };
        if !holds || org.is_some_and(|o| o != grant_org) {
            continue;
        }
        match found.iter_mut().find(|(u, o, _)| *u == g.user_id && *o == grant_org) {
            Some((_, _, ids)) => ids.push(g.id.clone()),
            None => found.push((g.user_id.clone(), grant_org, vec![g.id.clone()])),
        }
    }
    Ok(found)
}

/// AuthKit mode's shared copy of the user's standing (best effort: it is fresh for 5 minutes
/// at most anyway).
async fn forget_cached_access<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>, user: &str, org: &str) {
    let _ = ctx.store.delete(&keys::org_access(org, user)).await;
}
