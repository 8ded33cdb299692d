//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3): exactly as the
//! client registered — public clients send only `client_id`, confidential ones HTTP Basic or
//! `client_secret_post` — with the secret compared in constant time.
use super::client::{AuthMethod, ClientAuth, ClientRecord};
use super::form::Form;
use super::{registry, ErrorCode, OAuthError};
use crate::b64::STANDARD;
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::store::Store;

/// Client authentication exactly as the client registered: public clients send only
/// `client_id`; confidential ones HTTP Basic or `client_secret_post`, whichever they chose.
pub async fn authenticate_client<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    form: &Form,
    authorization: Option<&str>,
) -> Result<ClientRecord, OAuthError> {
    Credentials::presented(form, authorization)?.authenticate(ctx).await
}

/// Before a grant's object takes its turn for `/token` or `/revoke`: the presented client's
/// metadata document, when a document names the client, looked up (its cached copy, else
/// fetched, for up to 5 s). The object serves every grant of one person one request at a time,
/// and a fetch must not hold it: whoever has seen one of a person's codes or tokens could
/// otherwise name a slow document server and stall all of that person's clients. A document
/// that cannot be had now (no answer, 5xx, 429: not remembered) refuses the request here; any
/// other outcome is cached, and the turn's client authentication, which answers in its own
/// order, reads it from the cache. A registered client is left to the turn: it is only read.
pub async fn document_ready<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    form: &Form,
    authorization: Option<&str>,
) -> Result<(), OAuthError> {
    let Ok(credentials) = Credentials::presented(form, authorization) else { return Ok(()) };
    let allow_loopback = ctx.config.allow_loopback_client_metadata;
    if !matches!(super::client_document::metadata_document_url(&credentials.client_id, allow_loopback), Some(Ok(_))) {
        return Ok(());
    }
    match registry::find(ctx, &credentials.client_id).await {
        Err(e) if e.code == ErrorCode::TemporarilyUnavailable => Err(e),
        _ => Ok(()),
    }
}

/// A client's credentials as presented (HTTP Basic, or the form), before anything is looked up.
pub(super) struct Credentials {
    pub(super) client_id: String,
    secret: Option<String>,
    method: AuthMethod,
    /// Sent as HTTP Basic: a refusal then carries the `WWW-Authenticate: Basic` challenge.
    basic: bool,
}

impl Credentials {
    pub(super) fn presented(form: &Form, authorization: Option<&str>) -> Result<Credentials, OAuthError> {
        let basic = authorization.map(parse_basic).transpose()?;
        if basic.is_some() && form.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request("use one client authentication method, not two"));
        }
        let (client_id, secret, method) = match (basic, form.get("client_id")) {
            (Some((id, _)), Some(form_id)) if id != form_id => {
                return Err(basic_failure("client_id does not match the Authorization header"))
            }
            (Some((id, secret)), _) => (id, Some(secret), AuthMethod::ClientSecretBasic),
            (None, Some(id)) => match form.get("client_secret") {
                Some(secret) => (id.to_string(), Some(secret.to_string()), AuthMethod::ClientSecretPost),
                None => (id.to_string(), None, AuthMethod::None),
            },
            (None, None) => return Err(OAuthError::invalid_client("client authentication is required (client_id)")),
        };
        Ok(Credentials { client_id, secret, method, basic: method == AuthMethod::ClientSecretBasic })
    }

    fn refusal(&self, why: &str) -> OAuthError {
        if self.basic {
            basic_failure(why)
        } else {
            OAuthError::invalid_client(why)
        }
    }

    /// The registration, read from the registry, and the credentials checked against it.
    pub(super) async fn authenticate<S: Store, H: HttpClient>(
        self,
        ctx: &Ctx<'_, S, H>,
    ) -> Result<ClientRecord, OAuthError> {
        Ok(self.authenticate_with_renewal(ctx).await?.0)
    }

    /// [`Self::authenticate`], with what [`registry::renew`] needs to keep the registration.
    pub(super) async fn authenticate_with_renewal<S: Store, H: HttpClient>(
        self,
        ctx: &Ctx<'_, S, H>,
    ) -> Result<(ClientRecord, registry::Renewal), OAuthError> {
        self.against_registry(&ctx.shared()).await
    }

    /// Clients live in the store's shared part: this is built once, for it.
    async fn against_registry<S: Store, H: HttpClient>(
        self,
        ctx: &Ctx<'_, S, H>,
    ) -> Result<(ClientRecord, registry::Renewal), OAuthError> {
        let (client, renewal) = registry::find_with_renewal(ctx, &self.client_id)
            .await
            .map_err(|e| if e.code == ErrorCode::TemporarilyUnavailable { e } else { self.refusal("unknown client") })?
            .ok_or_else(|| self.refusal("unknown client"))?;
        self.check(&ClientAuth::of(&client))?;
        Ok((client, renewal))
    }

    /// The credentials against how the client registered to authenticate (the secret compared
    /// in constant time).
    pub(super) fn check(&self, registered: &ClientAuth) -> Result<(), OAuthError> {
        let ok = match (registered.method, self.method, self.secret.as_deref()) {
            (AuthMethod::None, AuthMethod::None, _) => true,
            // Some public clients send Basic with an empty password.
            (AuthMethod::None, AuthMethod::ClientSecretBasic, Some("")) => true,
            (method, used, Some(secret)) if method == used => registered.verify_secret(secret),
            _ => false,
        };
        match ok {
            true => Ok(()),
            false => {
                Err(self.refusal("client authentication failed (wrong secret or not the method the client registered)"))
            }
        }
    }
}

fn basic_failure(why: &str) -> OAuthError {
    OAuthError { basic_challenge: true, ..OAuthError::invalid_client(why) }
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let (scheme, value) =
        header.trim().split_once(' ').ok_or_else(|| basic_failure("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(basic_failure("only HTTP Basic client authentication is supported in the Authorization header"));
    }
    let decoded = STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| basic_failure("malformed Basic credentials"))?;
    let (id, secret) = decoded.split_once(':').ok_or_else(|| basic_failure("malformed Basic credentials"))?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.to_string()).unwrap_or_default()
    };
    Ok((unescape(id), unescape(secret)))
}
