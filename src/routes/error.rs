//! One way for a route to fail. Every handler returns `Result<Response, RouteError>`; the router
//! turns an error into its response in one place (`RouteError::into_response`), with the status,
//! body and headers its audience expects: a page for people, an RFC 6749 error for OAuth
//! clients, a bearer challenge or a JSON-RPC error for MCP clients.
use crate::mcp::model::{ErrorCode, RequestId};
use crate::oauth::access::BearerError;
use crate::oauth::authorize::Refusal;
use crate::oauth::error::ErrorBody;
use crate::oauth::OAuthError;
use crate::responses as web;
use crate::signin::SigninError;
use worker::Response;

#[derive(Debug)]
pub enum RouteError {
    /// A sign-in problem: a page with a fresh sign-in link; `set_cookies` still go out.
    Signin {
        error: SigninError,
        set_cookies: Vec<String>,
    },
    /// An authorization request refused without a redirect: a page.
    Refused(Refusal),
    /// An RFC 6749 error answer (`/register`, `/token`, `/revoke`, metadata).
    OAuth(OAuthError),
    /// A refused bearer token: 401 with the challenge, 403 or 503.
    Bearer {
        error: BearerError,
        challenge: Option<String>,
    },
    /// The MCP transport refused the request itself: a JSON-RPC error with this HTTP status.
    Mcp {
        status: u16,
        code: ErrorCode,
        message: String,
        allow: Option<&'static str>,
    },
    /// Too many requests from this address (`page`: for a person).
    RateLimited {
        page: bool,
    },
    /// A form larger than any this site has (413) or one that could not be read (400).
    Form {
        status: u16,
    },
    /// A method the route does not take.
    MethodNotAllowed {
        allow: String,
    },
    NotFound,
    /// Configuration or a binding is missing: a page naming it.
    Misconfigured(String),
    /// The platform failed: logged, and a plain 500 page.
    Platform(worker::Error),
}

impl From<OAuthError> for RouteError {
    fn from(e: OAuthError) -> Self {
        RouteError::OAuth(e)
    }
}

impl From<SigninError> for RouteError {
    fn from(error: SigninError) -> Self {
        RouteError::Signin { error, set_cookies: vec![] }
    }
}

impl From<Refusal> for RouteError {
    fn from(r: Refusal) -> Self {
        RouteError::Refused(r)
    }
}

impl From<worker::Error> for RouteError {
    fn from(e: worker::Error) -> Self {
        RouteError::Platform(e)
    }
}

impl From<serde_json::Error> for RouteError {
    fn from(e: serde_json::Error) -> Self {
        RouteError::Platform(e.into())
    }
}

impl RouteError {
    /// A sign-in error that also clears or sets cookies.
    pub fn signin(error: SigninError, set_cookies: Vec<String>) -> RouteError {
        RouteError::Signin { error, set_cookies }
    }

    /// The MCP transport's own refusal (`-32600`; [`Self::mcp_code`] for another code).
    pub fn mcp(status: u16, message: impl Into<String>) -> RouteError {
        RouteError::mcp_code(status, ErrorCode::INVALID_REQUEST, message)
    }

    /// An MCP transport error with its JSON-RPC `code`.
    pub fn mcp_code(status: u16, code: ErrorCode, message: impl Into<String>) -> RouteError {
        RouteError::Mcp { status, code, message: message.into(), allow: None }
    }

    pub fn into_response(self) -> worker::Result<Response> {
        match self {
            RouteError::Signin { error, set_cookies } => {
                let cookies: Vec<&str> = set_cookies.iter().map(String::as_str).collect();
                web::signin_error(&error, &cookies)
            }
            RouteError::Refused(r) => {
                worker::console_warn!("authorize refused ({}): {}", r.status, r.message);
                let resp = web::error_page(r.status, &r.title, &r.message, None)?;
                if let Some(secs) = r.retry_after {
                    resp.headers().set("Retry-After", &secs.to_string())?;
                }
                Ok(resp)
            }
            RouteError::OAuth(e) => web::oauth_error(&e),
            RouteError::Bearer { error, challenge } => {
                let (status, code) = match error {
                    BearerError::OutsideOrganization => (403, "access_denied"),
                    BearerError::Unavailable => (503, "temporarily_unavailable"),
                    _ => (401, "invalid_token"),
                };
                let resp = web::json(status, &ErrorBody { error: code, error_description: error.description() })?;
                if status == 503 {
                    resp.headers().set("Retry-After", &BearerError::RETRY_AFTER_SECS.to_string())?;
                }
                if let Some(challenge) = challenge {
                    resp.headers().set("WWW-Authenticate", &challenge)?;
                }
                Ok(resp)
            }
            RouteError::Mcp { status, code, message, allow } => {
                let body = crate::mcp::model::error_response(RequestId::Null, code, &message, None);
                let resp = web::json(status, &body)?;
                if let Some(methods) = allow {
                    resp.headers().set("Allow", methods)?;
                }
                Ok(resp)
            }
            RouteError::RateLimited { page } => web::too_many_requests(page),
            RouteError::Form { status: 413 } => {
                web::error_page(413, "Form too large", "The form sent was larger than any form of this site.", None)
            }
            RouteError::Form { .. } => web::error_page(400, "Bad request", "The form could not be read.", None),
            RouteError::MethodNotAllowed { allow } => web::method_not_allowed(&allow),
            RouteError::NotFound => web::not_found(),
            RouteError::Misconfigured(what) => {
                worker::console_error!("configuration error: {what}");
                web::error_page(
                    500,
                    "Server misconfigured",
                    &format!("Configuration error: {what}. See .dev.vars.example."),
                    None,
                )
            }
            RouteError::Platform(e) => {
                worker::console_error!("unhandled error: {e}");
                web::error_page(500, "Something went wrong", "The server could not handle this request.", None)
            }
        }
    }
}
