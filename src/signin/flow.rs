//! Starting a sign-in (state + PKCE + redirect to WorkOS) and completing it at `/callback` —
//! or, for a person in several organizations, at the organization picker (`organization.rs`).
use super::finish::{finish, Completed, Resume};
use super::organization::{self, Picker};
use super::session::{confirm_with_workos, Session};
use super::{ClientInfo, SigninError, SIGNIN_COOKIE, STATE_TTL};
use crate::b64::URL_SAFE_NO_PAD;
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::return_path::safe_return_path;
use crate::store::{keys, Store};
use crate::workos::urls::authorization_url;
use crate::workos::{AuthorizeParams, WorkosError};
use crate::{cookies, random};
use futures_util::future::join;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Default, Clone)]
pub struct StartRequest<'a> {
    pub return_to: Option<&'a str>,
    pub login_hint: Option<&'a str>,
    pub screen_hint: Option<&'a str>,
    /// AuthKit's "bring your own login": complete this AuthKit request after the sign-in.
    pub external_auth_id: Option<&'a str>,
}

#[derive(Debug)]
pub struct Started {
    /// The WorkOS authorization URL.
    pub location: String,
    /// `Set-Cookie` binding the state to this browser.
    pub set_cookie: String,
}

/// What a sign-in needs at `/callback`: kept in the browser's sealed binding cookie, or in KV
/// when too long for a cookie.
#[derive(Debug, Serialize, Deserialize)]
struct StateRecord {
    verifier: crate::secret::Secret<String>,
    return_to: String,
    created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_auth_id: Option<String>,
}

/// What the binding cookie seals for this browser: the state, then, when the cookie can carry
/// it, `.` and its record's JSON (the sign-in then writes nothing to KV until `/callback` marks
/// the state used). A record too long for a cookie is kept in KV under the state, as it was
/// before the cookie carried it; the cookie then seals the state alone (a state is URL-safe
/// base64: no `.`).
fn binding(state: &str, record: Option<&str>) -> Vec<u8> {
    match record {
        Some(json) => [state, ".", json].concat().into_bytes(),
        None => state.as_bytes().to_vec(),
    }
}

/// The state and the record's JSON a binding cookie seals (see [`binding`]).
fn unbind(sealed: &[u8]) -> Option<(&str, Option<&str>)> {
    let text = std::str::from_utf8(sealed).ok()?;
    Some(match text.split_once('.') {
        Some((state, record)) => (state, Some(record)),
        None => (text, None),
    })
}

/// The longest binding cookie value sealed with its record: browsers keep about 4 KiB per
/// cookie, name and attributes included, and the request carries the Worker's other cookies.
const MAX_BINDING_CHARS: usize = 3072;

pub async fn start<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    req: StartRequest<'_>,
) -> Result<Started, SigninError> {
    let state = random::token(32);
    let verifier = random::token(32);
    let external_auth_id = match req.external_auth_id.filter(|_| ctx.config.authkit_bridge()) {
        Some(id) if super::bridge::valid_external_auth_id(id) => Some(id.to_string()),
        Some(_) => {
            return Err(SigninError::Bridge(
                "The sign-in request from AuthKit is malformed. Start again from your application.".into(),
            ))
        }
        None => None,
    };
    // An /authorize request's own path comes back here whole, however long its parameters (up
    // to the URL length the platform accepts, the return-path rule's limit).
    let return_to = safe_return_path(req.return_to);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let record = StateRecord { verifier: verifier.into(), return_to, created_at: ctx.now, external_auth_id };
    let expires_at = ctx.now + STATE_TTL;
    let json =
        serde_json::to_string(&record).map_err(|e| SigninError::Storage(crate::store::StoreError(e.to_string())))?;
    let mut sealed = ctx.config.seal_keys.seal(SIGNIN_COOKIE, &binding(&state, Some(&json)), expires_at);
    if sealed.len() > MAX_BINDING_CHARS {
        ctx.store.put(&keys::signin_state(&state), &json, STATE_TTL).await.map_err(SigninError::Storage)?;
        sealed = ctx.config.seal_keys.seal(SIGNIN_COOKIE, &binding(&state, None), expires_at);
    }
    let callback = ctx.callback_url();
    let location = authorization_url(
        &ctx.config.api_base_url,
        &ctx.config.client_id,
        &AuthorizeParams {
            redirect_uri: &callback,
            state: &state,
            code_challenge: &challenge,
            organization_id: ctx.config.organization_id.as_deref(),
            login_hint: req.login_hint.filter(|h| is_reasonable_hint(h)),
            screen_hint: req.screen_hint.filter(|h| matches!(*h, "sign-in" | "sign-up")),
        },
    );
    Ok(Started { location, set_cookie: cookies::set_cookie(SIGNIN_COOKIE, &sealed, STATE_TTL) })
}

fn is_reasonable_hint(h: &str) -> bool {
    !h.is_empty() && h.len() <= 320 && !h.chars().any(char::is_control)
}

/// Query parameters of `GET /callback`.
#[derive(Debug, Default, Clone)]
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
}

/// How `/callback` ends: signed in, or the person must first pick an organization.
#[derive(Debug)]
pub enum Outcome {
    SignedIn(Box<Completed>),
    ChooseOrganization(Picker),
}

pub async fn complete<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    cb: Callback<'_>,
    signin_cookie: Option<&str>,
    client: &ClientInfo,
) -> Result<Outcome, SigninError> {
    let (record, used) = read_state(ctx, cb.state, signin_cookie).await?;
    // A state is good for one attempt, whatever its outcome: it is marked used before any
    // answer, and, when there is a code to exchange, while WorkOS exchanges it. The mark is a key
    // of its own: KV takes one write to a key per second, and a WorkOS that still has a session
    // sends the browser back within one of the state's write, so deleting the state would wait.
    let consume = ctx.store.put(&used, "1", STATE_TTL);
    let usable = record.and_then(|record| {
        if let Some(error) = cb.error {
            return Err(SigninError::Provider {
                error: error.chars().take(100).collect(),
                description: cb.error_description.map(|d| d.chars().take(300).collect()),
            });
        }
        let code = cb.code.filter(|c| !c.is_empty()).ok_or(SigninError::CodeMissing)?;
        Ok((record, code))
    });
    let (record, code) = match usable {
        Ok(usable) => usable,
        Err(e) => {
            consume.await.map_err(SigninError::Storage)?;
            return Err(e);
        }
    };
    let resume = Resume { return_to: record.return_to, external_auth_id: record.external_auth_id };
    let workos = ctx.workos();
    let asked_ms = ctx.http.now_ms();
    let exchange = workos.authenticate_with_code(
        code,
        record.verifier.as_str(),
        client.ip.as_deref(),
        client.user_agent.as_deref(),
    );
    let (consumed, exchange) = join(consume, exchange).await;
    consumed.map_err(SigninError::Storage)?;
    let auth = match exchange {
        Ok(auth) => auth,
        // Several organizations and none implied: this server's own, else the person chooses.
        Err(WorkosError::OrganizationSelection(pending)) => match ctx.config.organization_id.as_deref() {
            Some(org) => organization::select(ctx, &pending, org, client).await?,
            None => return organization::offer(ctx, pending, resume).await.map(Outcome::ChooseOrganization),
        },
        Err(e) => return Err(SigninError::Workos(e)),
    };
    finish(ctx, auth, asked_ms, resume, client).await.map(|done| Outcome::SignedIn(Box::new(done)))
}

/// Check the state against this browser's binding cookie and read it: the record (or why it
/// cannot be used) and the key of its used mark, which the caller writes (one-time). A state
/// that is not this browser's is not read, nor marked; one already marked reads as unknown.
async fn read_state<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    state: Option<&str>,
    signin_cookie: Option<&str>,
) -> Result<(Result<StateRecord, SigninError>, String), SigninError> {
    let state = state.filter(|s| !s.is_empty()).ok_or(SigninError::StateMissing)?;
    let bound = signin_cookie
        .and_then(|c| ctx.config.seal_keys.open(SIGNIN_COOKIE, c, ctx.now))
        .ok_or(SigninError::StateNotBound)?;
    let (bound_state, carried) = unbind(&bound).ok_or(SigninError::StateNotBound)?;
    if !bool::from(bound_state.as_bytes().ct_eq(state.as_bytes())) {
        return Err(SigninError::StateForeign);
    }
    let used_key = keys::signin_state_used(state);
    let (raw, used) = match carried {
        Some(json) => (json.to_string(), ctx.store.get(&used_key).await),
        None => {
            let (raw, used) = join(ctx.store.get(&keys::signin_state(state)), ctx.store.get(&used_key)).await;
            (raw.map_err(SigninError::Storage)?.ok_or(SigninError::StateUnknown)?, used)
        }
    };
    if used.map_err(SigninError::Storage)?.is_some() {
        return Err(SigninError::StateUnknown);
    }
    let record = crate::json::from_str::<StateRecord>(&raw).map_err(|_| SigninError::StateUnknown).and_then(|r| {
        match ctx.now.saturating_sub(r.created_at) > STATE_TTL {
            true => Err(SigninError::StateUnknown),
            false => Ok(r),
        }
    });
    Ok((record, used_key))
}

/// How long after a sign-in its session stands on WorkOS's word at the sign-in (the same minute a
/// Worker-mode consent hands a sign-in's standing to its grant without asking WorkOS again).
pub const VOUCHED_SECS: u64 = 60;

/// `/login?external_auth_id=…` in a browser that is already signed in: complete at once, as
/// the person the session names. A session older than `VOUCHED_SECS` first has WorkOS
/// confirm that its WorkOS session still stands ([`confirm_with_workos`], one call in place of
/// reading the user): `None` when it has ended, and the browser must sign in again.
pub async fn complete_bridge_for_session<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    session_id: &str,
    session: &Session,
    external_auth_id: &str,
) -> Result<Option<String>, SigninError> {
    if !ctx.config.authkit_bridge() {
        return Err(SigninError::Bridge("This server does not take sign-in requests from AuthKit.".into()));
    }
    if !super::bridge::valid_external_auth_id(external_auth_id) {
        return Err(SigninError::Bridge(
            "The sign-in request from AuthKit is malformed. Start again from your application.".into(),
        ));
    }
    let user = match ctx.now.saturating_sub(session.created_at) <= VOUCHED_SECS {
        // Signed in moments ago: WorkOS has just vouched for the session.
        true => ctx.workos().get_user(session.principal.user_id.as_str()).await.map_err(SigninError::Workos)?,
        false => match confirm_with_workos(ctx, session_id, session).await? {
            Some(user) => user,
            None => return Ok(None),
        },
    };
    super::bridge::complete(ctx, external_auth_id, &user).await.map(Some)
}

/// For tests: the record of the sign-in whose binding cookie is `cookie` (its value), from the
/// cookie or, for one too long for it, from KV; and whether it was kept in KV.
#[cfg(test)]
pub(crate) fn kept_record<S: Store>(
    seal: &crate::seal::SealKeys,
    store: &S,
    cookie: &str,
    now: u64,
) -> (serde_json::Value, bool) {
    let sealed = seal.open(SIGNIN_COOKIE, cookie, now).expect("a binding cookie");
    let (state, carried) = unbind(&sealed).expect("a binding");
    let (json, in_kv) = match carried {
        Some(json) => (json.to_string(), false),
        None => (futures_executor::block_on(store.get(&keys::signin_state(state))).unwrap().expect("in KV"), true),
    };
    (serde_json::from_str(&json).expect("JSON"), in_kv)
}
