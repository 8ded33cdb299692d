//! From a WorkOS authentication response to a verified principal: organization, role,
//! permissions. A code exchange WorkOS scoped to an organization speaks for the membership
//! (WorkOS scopes only through an active one, and the token carries the role and permissions);
//! otherwise the memberships are read, and when an organization applies we switch the session to
//! it with a refresh (WorkOS's own mechanism).
use super::SigninError;
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::principal::{other_roles, Principal};
use crate::secret::Secret;
use crate::store::Store;
use crate::workos::jwt::{peek_kid, verify_prepared};
use crate::workos::{AccessClaims, AuthResponse, Membership, TokenError, WorkosError};
use futures_util::future::join;

/// A user's memberships in one organization, asked for while WorkOS refreshed their session
/// (the user and organization are known before the answer: the session's or the grant's).
pub struct Prefetched {
    user_id: String,
    organization_id: String,
    memberships: Result<Vec<Membership>, WorkosError>,
}

/// WorkOS's refresh of `refresh_token` (scoped to `organization_id`), and at the same time the
/// memberships [`resolve_principal`] will read: one round trip to WorkOS instead of two in a row.
pub async fn refresh_with_memberships<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    refresh_token: &str,
    user_id: &str,
    organization_id: Option<&str>,
) -> (Result<AuthResponse, WorkosError>, Option<Prefetched>) {
    let workos = ctx.workos();
    let refresh = workos.authenticate_with_refresh_token(refresh_token, organization_id);
    let Some(org) = organization_id else { return (refresh.await, None) };
    let (auth, memberships) = join(refresh, workos.list_memberships(user_id, Some(org))).await;
    (auth, Some(Prefetched { user_id: user_id.to_string(), organization_id: org.to_string(), memberships }))
}

/// Where a WorkOS answer came from, which says what it already proves.
pub enum Source {
    /// A sign-in: the code exchange, or its organization selection.
    SignIn,
    /// A refresh, with the memberships asked for at the same time when the organization was known.
    Refresh(Option<Prefetched>),
}

/// Returns the principal and the newest WorkOS refresh token. A sign-in WorkOS scoped to the
/// organization that applies needs no membership lookup; `prefetched` memberships are used when
/// they are the user's in the organization that applies; otherwise WorkOS is asked.
pub async fn resolve_principal<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    mut auth: AuthResponse,
    source: Source,
) -> Result<(Principal, Secret<String>), SigninError> {
    let mut claims = verify_access_token(ctx, auth.access_token.as_str()).await?;
    if claims.sub != auth.user.id {
        return Err(SigninError::Token(TokenError::Malformed("sub does not match the user".into())));
    }
    let prefetched = match source {
        Source::SignIn => {
            if let Some(org) = scoped_signin(&auth, &claims, ctx.config.organization_id.as_deref()) {
                let org = org.to_string();
                let name = organization_name(ctx, &org, None).await;
                return Ok((principal_of(&auth, claims, Some((org, name)), None), auth.refresh_token));
            }
            None
        }
        Source::Refresh(prefetched) => prefetched,
    };
    // Filter by the organization when one is known (this server's, or the one WorkOS scoped
    // the session to); otherwise every membership, page by page.
    let known_org =
        ctx.config.organization_id.clone().or_else(|| auth.organization_id.clone()).or_else(|| claims.org_id.clone());
    let memberships = match prefetched {
        Some(p) if p.user_id == auth.user.id && known_org.as_deref() == Some(p.organization_id.as_str()) => {
            p.memberships
        }
        _ => ctx.workos().list_memberships(&auth.user.id, known_org.as_deref()).await,
    }
    .map_err(SigninError::Workos)?;
    let membership =
        choose_membership(&memberships, ctx.config.organization_id.as_deref(), auth.organization_id.as_deref())?;

    // The organization's name (the membership's, else one WorkOS call) is read while the session
    // is switched to that organization.
    let organization_name = match membership {
        Some(m) if claims.org_id.as_deref() != Some(m.organization_id.as_str()) => {
            let switch = async {
                let switched = ctx
                    .workos()
                    .authenticate_with_refresh_token(auth.refresh_token.as_str(), Some(&m.organization_id))
                    .await
                    .map_err(SigninError::Workos)?;
                let switched_claims = verify_access_token(ctx, switched.access_token.as_str()).await?;
                Ok::<_, SigninError>((switched, switched_claims))
            };
            let name = organization_name(ctx, &m.organization_id, m.organization_name.as_deref());
            let (switched, name) = join(switch, name).await;
            (auth, claims) = switched?;
            if claims.sub != auth.user.id || claims.org_id.as_deref() != Some(m.organization_id.as_str()) {
                return Err(SigninError::Token(TokenError::Malformed(
                    "organization switch returned another scope".into(),
                )));
            }
            name
        }
        Some(m) => organization_name(ctx, &m.organization_id, m.organization_name.as_deref()).await,
        None => None,
    };
    let organization = membership.map(|m| (m.organization_id.clone(), organization_name));
    let membership_roles = membership.map(|m| MembershipRoles {
        primary: m.primary_role().map(str::to_string),
        all: m.role_slugs().into_iter().map(str::to_string).collect(),
    });
    Ok((principal_of(&auth, claims, organization, membership_roles), auth.refresh_token))
}

/// The roles of the membership read from WorkOS, for a token that does not carry them.
struct MembershipRoles {
    primary: Option<String>,
    all: Vec<String>,
}

/// The principal for WorkOS's verified answer in `organization` (id, name), or in none. Roles
/// and permissions count only within an organization; the primary role is WorkOS's `role`
/// claim, else the membership's `role` (not `roles[0]`); the others are the token's `roles`,
/// else the membership's.
fn principal_of(
    auth: &AuthResponse,
    claims: AccessClaims,
    organization: Option<(String, Option<String>)>,
    membership: Option<MembershipRoles>,
) -> Principal {
    let in_organization = organization.is_some();
    let (organization_id, organization_name) = organization.map_or((None, None), |(id, name)| (Some(id), name));
    let (membership_role, membership_roles) = membership.map_or((None, Vec::new()), |m| (m.primary, m.all));
    let role = if in_organization { claims.role.or(membership_role) } else { None };
    let all_roles = claims.roles.unwrap_or(membership_roles);
    Principal {
        user_id: auth.user.id.as_str().into(),
        email: auth.user.email.clone(),
        name: auth.user.display_name(),
        organization_id,
        organization_name,
        other_roles: match in_organization {
            true => other_roles(role.as_deref(), all_roles.iter().map(String::as_str)),
            false => Vec::new(),
        },
        role,
        permissions: if in_organization { claims.permissions.unwrap_or_default() } else { Vec::new() },
        workos_session_id: claims.sid,
    }
}

/// The organization a sign-in's token is scoped to, when that settles the organization rule:
/// WorkOS's answer and the verified token name the same one, it is this server's (if set), and
/// the token carries the role (else the membership's is needed).
fn scoped_signin<'a>(auth: &AuthResponse, claims: &'a AccessClaims, required_org: Option<&str>) -> Option<&'a str> {
    let org = claims.org_id.as_deref()?;
    let agreed = auth.organization_id.as_deref() == Some(org) && required_org.is_none_or(|r| r == org);
    (agreed && claims.role.is_some()).then_some(org)
}

/// An organization's name as [`WorkosClient::organization_name`] reads it, with this isolate's
/// copy first when no membership carried it; whatever is read is remembered.
///
/// [`WorkosClient::organization_name`]: crate::workos::WorkosClient::organization_name
async fn organization_name<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    organization_id: &str,
    from_membership: Option<&str>,
) -> Option<String> {
    if from_membership.is_none() {
        let known = ctx.org_names.borrow().get(organization_id, ctx.now).map(str::to_string);
        if known.is_some() {
            return known;
        }
    }
    let name = ctx.workos().organization_name(organization_id, from_membership).await?;
    ctx.org_names.borrow_mut().remember(organization_id, &name, u64::MAX, ctx.now);
    Some(name)
}

/// The organization rule: with `WORKOS_ORGANIZATION_ID` the user must hold an active
/// membership there; otherwise the organization WorkOS chose, else the first active one, else none.
fn choose_membership<'m>(
    memberships: &'m [Membership],
    required_org: Option<&str>,
    workos_org: Option<&str>,
) -> Result<Option<&'m Membership>, SigninError> {
    if let Some(required) = required_org {
        let m = memberships.iter().find(|m| m.organization_id == required).ok_or(SigninError::NotInOrganization)?;
        return if m.is_active() { Ok(Some(m)) } else { Err(SigninError::MembershipInactive) };
    }
    let mut active = memberships.iter().filter(|m| m.is_active());
    let preferred = workos_org.and_then(|o| memberships.iter().find(|m| m.is_active() && m.organization_id == o));
    Ok(preferred.or_else(|| active.next()))
}

/// Verify a WorkOS access token against the (cached) JWKS; refetch once for an unknown key.
pub async fn verify_access_token<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    token: &str,
) -> Result<AccessClaims, SigninError> {
    let stale = ctx.jwks.borrow().is_stale(ctx.now);
    if stale {
        // Stale keys still verify: WorkOS rotates with overlap, so a failed refresh only
        // fails the sign-in when there is nothing cached, or only keys a day old.
        if let Err(e) = refresh_jwks(ctx).await {
            if !ctx.jwks.borrow().usable(ctx.now) {
                return Err(e);
            }
        }
    }
    // The cache is borrowed for the synchronous part only, never across an `.await`.
    let first = ctx.jwks.borrow().prepare(token);
    let prepared = match first {
        Err(TokenError::UnknownKey(_))
            if ctx.jwks.borrow_mut().should_refetch_for(peek_kid(token).as_deref(), ctx.now) =>
        {
            refresh_jwks(ctx).await?;
            let again = ctx.jwks.borrow().prepare(token);
            again.map_err(SigninError::Token)?
        }
        other => other.map_err(SigninError::Token)?,
    };
    verify_prepared(prepared, &ctx.config.workos_tokens, ctx.now).await.map_err(SigninError::Token)
}

async fn refresh_jwks<S: Store, H: HttpClient>(ctx: &Ctx<'_, S, H>) -> Result<(), SigninError> {
    let jwks = ctx.workos().fetch_jwks().await.map_err(SigninError::Workos)?;
    ctx.jwks.borrow_mut().load(&jwks, ctx.now).map_err(SigninError::Token)
}
