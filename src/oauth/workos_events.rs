//! WorkOS events change access now, not at the next refresh (`POST /webhooks/workos`).
//!
//! A delivery is checked first (`WorkOS-Signature`, see [`crate::workos::webhook`]); anything
//! that fails the check changes nothing. Each event is applied once: its id is remembered for a
//! day (`webhook:event:<id>`), so WorkOS's retries change nothing more. What an event does:
//!
//! - `user.deleted`: every grant of the user ends;
//! - `organization_membership.updated` and `.deleted`: the membership is read again from
//!   WorkOS — not an active member any more: the user's grants in that organization end;
//!   otherwise their role and permissions are recorded on each grant, and the bearer check
//!   applies them over the tokens' own copy (a deletion's late retry, after the person was
//!   added again, leaves the grants of their new sign-in);
//! - `session.revoked`: the grants that came from that WorkOS session end;
//! - `role.updated` / `organization_role.updated`, and their `.deleted`: every grant whose user
//!   holds that role (as primary role or one of several) is re-read as for a membership update;
//! - `permission.deleted`: every grant that held the permission is re-read the same way;
//! - `organization.deleted`: every grant in that organization ends (WorkOS is not asked: an
//!   organization does not come back).
//!
//! An event about one user or one role first leaves a mark (`store::keys::access_changed`,
//! `store::keys::role_changed`): a grant the listing below cannot show (made after the sign-in
//! it outdates, or listed late by KV) has its older tokens refused by the bearer check until a
//! refresh reads WorkOS again.
//!
//! A grant is changed by its owner ([`GrantOwner`]: on Workers, the grant's Durable Object), in
//! line with its refreshes. In AuthKit mode, where AuthKit keeps the grants, the marks (and a
//! deleted permission's, `store::keys::PERMISSION_DELETED`) set aside the shared copies of
//! standings read from WorkOS before them, and a membership's event drops its copy, so the
//! next request reads WorkOS again. An ended session changes no standing: in AuthKit mode it
//! leaves no mark.
use super::access::note_change;
use super::connected::{indexed_grants, user_grants, MAX_USER_READS};
use super::current_access::CurrentAccess;
pub use super::grant_change::{change_grant, change_grants, GrantChange, GrantOwner, MAX_GRANTS_PER_CALL};
use super::types::grant_object_name;
use super::OAuthError;
use crate::config::AuthMode;
use crate::context::Ctx;
use crate::ids::{GrantId, UserId};
use crate::outbound::HttpClient;
use crate::principal::Principal;
use crate::store::{keys, Store};
use crate::workos::access::fetch;
use crate::workos::webhook::{self, AccessChange, Event, Refusal};
use std::cell::Cell;

/// How long an event id is remembered (WorkOS retries failed deliveries for up to a few days;
/// a retry after a success arrives within minutes).
pub const REMEMBER_EVENTS_SECS: u64 = 24 * 3600;
/// Reads a role change's scan of the index of all users' grants makes at most: a grant's record
/// each, each person's partition listed (a read whether it finds grants or none) and each page
/// of the index's listing: within the 1,000 KV operations one invocation may make.
pub const MAX_SCAN_READS: usize = 500;
/// Calls one delivery makes at most to grants' objects (one per person whose grants change, or
/// per [`MAX_GRANTS_PER_CALL`] of their grants) and to WorkOS ([`REREAD_COST`] per standing
/// re-read and more per further role): with the reads looking for grants ([`MAX_SCAN_READS`] or
/// `MAX_USER_READS`), within the 1,000 operations
/// one invocation may make on the Paid plan. The grants left over are the event's mark's: their
/// older tokens are refused at the bearer check until a refresh reads WorkOS. Past the limit a
/// delivery would fail every time WorkOS retried it, and each retry would write a newer mark.
/// (The Free plan allows 50 subrequests: a person's update takes about 7, a role's as many per
/// holder; a delivery that needs more fails there, and is retried.)
pub const MAX_SUBREQUESTS: u32 = 400;
/// WorkOS calls one re-read of a standing makes, counted as (memberships, a role's permissions —
/// two calls for an organization's own role —, the organization's name, the user). A member of
/// several roles costs [`EXTRA_ROLE_COST`] more for each further role, charged once WorkOS has
/// named them.
pub(crate) const REREAD_COST: u32 = 5;
/// WorkOS calls each further role of a member costs (its permissions: one or two calls).
const EXTRA_ROLE_COST: u32 = 2;

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
    /// Some grants (or, in AuthKit mode, cached standings) were not reached: past the role scan
    /// ([`MAX_SCAN_READS`]) or the reads for one person's grants (`MAX_USER_READS`), the
    /// delivery's work ran out ([`MAX_SUBREQUESTS`]), or WorkOS refused to answer about someone
    /// for good (a 4xx: asking again would not help). The event's mark covers them where it
    /// leaves one; otherwise their tokens' next refresh does.
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
    let (changed, left_to_mark) =
        apply(ctx, owner, &event.access_change(), MAX_SUBREQUESTS).await.map_err(unavailable)?;
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

/// Apply what an event means, with at most `calls` calls ([`MAX_SUBREQUESTS`]); returns the
/// grants changed, and whether some were left to the event's mark ([`Received::left_to_mark`]).
pub async fn apply<S: Store, H: HttpClient, O: GrantOwner>(
    ctx: &Ctx<'_, S, H>,
    owner: &O,
    change: &AccessChange,
    calls: u32,
) -> Result<(Vec<GrantId>, bool), OAuthError> {
    let work = &Work { budget: Cell::new(calls), left_to_mark: Cell::new(false) };
    let in_org = |org: &str| {
        let org = org.to_string();
        move |p: Option<&Principal>| p.and_then(|p| p.organization_id.as_deref()) == Some(org.as_str())
    };
    let at_ms = ctx.http.now_ms();
    let worker_mode = ctx.config.auth_mode == AuthMode::Worker;
    if let Some(mark) = mark(change, worker_mode) {
        // First: the grants listed below are those KV's listing shows now; the mark reaches the
        // others (made meanwhile, or listed up to a minute late) at the bearer check. In AuthKit
        // mode it sets aside the shared copies of standings read from WorkOS before it.
        note_change(ctx.store, &mark, at_ms).await?;
    }
    let changed = match change {
        AccessChange::None => Ok(Vec::new()),
        AccessChange::UserDeleted { user_id } => {
            let user = UserId::new(user_id.as_str());
            change_all(owner, &user, &grant_ids(ctx, &user, &|_| true, work).await?, &GrantChange::Revoke, work).await
        }
        // A deletion is read again too: a retry of it may arrive after the person was added
        // again and signed in anew, and their new grants stand.
        AccessChange::MembershipChanged { user_id, organization_id } => {
            forget_cached_access(ctx, user_id, organization_id).await;
            let user = UserId::new(user_id.as_str());
            let ids = grant_ids(ctx, &user, &in_org(organization_id), work).await?;
            reread(ctx, owner, &user, organization_id, &ids, at_ms, work).await
        }
        AccessChange::SessionRevoked { session_id, user_id: Some(user_id) } => {
            let user = UserId::new(user_id.as_str());
            let from_session =
                |p: Option<&Principal>| p.and_then(|p| p.workos_session_id.as_deref()) == Some(session_id.as_str());
            change_all(owner, &user, &grant_ids(ctx, &user, &from_session, work).await?, &GrantChange::Revoke, work)
                .await
        }
        // Without the user, the session's grants cannot be found; they end at their next refresh
        // (WorkOS refuses the ended session's refresh token).
        AccessChange::SessionRevoked { user_id: None, .. } => Ok(Vec::new()),
        // AuthKit keeps the grants. A role's mark sets its holders' shared copies of standings
        // aside; a deleted permission's or organization's sets them all aside, so the next
        // request reads WorkOS.
        AccessChange::RoleUpdated { .. }
        | AccessChange::PermissionDeleted { .. }
        | AccessChange::OrganizationDeleted { .. }
            if !worker_mode =>
        {
            Ok(Vec::new())
        }
        AccessChange::RoleUpdated { .. }
        | AccessChange::PermissionDeleted { .. }
        | AccessChange::OrganizationDeleted { .. } => {
            let mut changed = Vec::new();
            // (Worker mode: there are no shared copies of standings to forget.)
            for (user, org, ids) in holders(ctx, change, work).await? {
                changed.extend(match change {
                    // For good (an organization does not come back): WorkOS is not asked.
                    AccessChange::OrganizationDeleted { .. } => {
                        change_all(owner, &user, &ids, &GrantChange::Revoke, work).await?
                    }
                    _ => reread(ctx, owner, &user, &org, &ids, at_ms, work).await?,
                });
            }
            Ok(changed)
        }
    }?;
    Ok((changed, work.left_to_mark.get()))
}

/// The change mark an event leaves, in the Worker's own mode (`worker_mode`) or AuthKit's: its
/// user's, or its role's. None for a revoked session whose user the event does not name (that
/// session's grants end at their next refresh anyway), nor in AuthKit mode for any ended session
/// (it changes no standing). A deleted permission leaves one in AuthKit mode only
/// ([`keys::PERMISSION_DELETED`], read by the standing lookup): the bearer check reads no mark
/// per permission, so a grant the re-read misses (listed late, past the scan or the calls) keeps
/// it until its token's refresh.
fn mark(change: &AccessChange, worker_mode: bool) -> Option<String> {
    match change {
        AccessChange::RoleUpdated { slug, .. } => Some(keys::role_changed(slug)),
        AccessChange::PermissionDeleted { .. } | AccessChange::OrganizationDeleted { .. } if !worker_mode => {
            Some(keys::PERMISSION_DELETED.into())
        }
        AccessChange::SessionRevoked { .. } if !worker_mode => None,
        _ => change.user().map(keys::access_changed),
    }
}

/// `change` to `user`'s grants `ids`: one call to each object that keeps some (one keeps all of a
/// person's grants; a grant from before partitions has its own), [`MAX_GRANTS_PER_CALL`] at a
/// time, each call counted against the delivery's work.
async fn change_all<O: GrantOwner>(
    owner: &O,
    user: &UserId,
    ids: &[GrantId],
    change: &GrantChange,
    work: &Work,
) -> Result<Vec<GrantId>, OAuthError> {
    let mut changed = Vec::new();
    // A person's grants come together, so their object's are next to each other.
    for same_object in ids.chunk_by(|a, b| grant_object_name(a.as_str()) == grant_object_name(b.as_str())) {
        for call in same_object.chunks(MAX_GRANTS_PER_CALL) {
            if !work.take(1) {
                return Ok(changed);
            }
            changed.extend(owner.change(call, user, change).await?);
        }
    }
    Ok(changed)
}

/// The ids of `user`'s grants whose principal (`None`: its secrets no longer open) `keep` takes,
/// of those [`MAX_USER_READS`] find (the rest are left to the event's mark).
async fn grant_ids<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    user: &UserId,
    keep: &dyn Fn(Option<&Principal>) -> bool,
    work: &Work,
) -> Result<Vec<GrantId>, OAuthError> {
    let (grants, more) = user_grants(ctx, user, MAX_USER_READS).await?;
    work.left_to_mark.set(work.left_to_mark.get() || more);
    Ok(grants.into_iter().filter(|(_, p)| keep(p.as_ref())).map(|(g, _)| g.id).collect())
}

/// Read the user's standing in `org` from WorkOS and record it on each grant, dated `at_ms` (or
/// end them). WorkOS unreachable, rate-limited or failing: the delivery fails (WorkOS retries
/// it). WorkOS refusing for good (a 4xx: a role deleted meanwhile, an API key without the
/// permission): this user's grants are left to the event's mark, and the delivery goes on.
async fn reread<S: Store, H: HttpClient, O: GrantOwner>(
    ctx: &Ctx<'_, S, H>,
    owner: &O,
    user: &UserId,
    org: &str,
    ids: &[GrantId],
    at_ms: u64,
    work: &Work,
) -> Result<Vec<GrantId>, OAuthError> {
    if ids.is_empty() || !work.take(REREAD_COST) {
        return Ok(Vec::new());
    }
    let change = match fetch(&ctx.workos(), user.as_str(), org).await {
        Ok(Some(access)) => {
            // Its further roles' calls are made: counted now (the next re-read may be refused).
            work.take(EXTRA_ROLE_COST * access.other_roles.len() as u32);
            GrantChange::Access(CurrentAccess::new(access.role, access.other_roles, access.permissions, at_ms))
        }
        Ok(None) => GrantChange::Revoke,
        Err(e) if e.is_transient() => {
            return Err(OAuthError::unavailable(format!("WorkOS could not be asked: {e}"), Some(30)))
        }
        Err(_) => {
            work.left_to_mark.set(true);
            return Ok(Vec::new());
        }
    };
    change_all(owner, user, ids, &change, work).await
}

/// Every (user, organization, grants) whose grants hold what `change` is about: a role, primary
/// or not (in its organization, for an organization's own role), a permission, or a place in a
/// deleted organization; from the index of all users' grants.
async fn holders<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    change: &AccessChange,
    work: &Work,
) -> Result<Vec<(UserId, String, Vec<GrantId>)>, OAuthError> {
    let mut found: Vec<(UserId, String, Vec<GrantId>)> = Vec::new();
    let (grants, more) = indexed_grants(ctx, keys::USER_GRANTS_PREFIX, MAX_SCAN_READS).await?;
    // Grants past the scan are not reached.
    work.left_to_mark.set(work.left_to_mark.get() || more);
    for (g, p) in grants {
        let Some(p) = p else { continue };
        let Some(grant_org) = p.organization_id.clone() else { continue };
        // Its standing, as an event since reported it or else as the grant was made.
        let (role, other_roles, permissions) = match &g.access {
            Some(a) => (&a.role, &a.other_roles, &a.permissions),
            None => (&p.role, &p.other_roles, &p.permissions),
        };
        let holds = match change {
            AccessChange::RoleUpdated { slug, organization_id } => {
                crate::principal::roles(role, other_roles).any(|r| r == slug)
                    && organization_id.as_ref().is_none_or(|o| *o == grant_org)
            }
            AccessChange::PermissionDeleted { slug } => permissions.contains(slug),
            AccessChange::OrganizationDeleted { organization_id } => grant_org == *organization_id,
            _ => false,
        };
        if !holds {
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
