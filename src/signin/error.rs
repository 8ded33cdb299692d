//! Everything that can stop a sign-in, and how each is told to a person.
use crate::store::StoreError;
use crate::workos::{TokenError, WorkosError};

#[derive(Debug, Clone, PartialEq)]
pub enum SigninError {
    StateMissing,
    /// No (valid) binding cookie: the flow did not start in this browser, or cookies are blocked.
    StateNotBound,
    /// The binding cookie names another state.
    StateForeign,
    /// Unknown, expired or already used.
    StateUnknown,
    CodeMissing,
    /// WorkOS redirected back with `error`.
    Provider {
        error: String,
        description: Option<String>,
    },
    Workos(WorkosError),
    /// The access token WorkOS returned failed verification.
    Token(TokenError),
    NotInOrganization,
    MembershipInactive,
    Storage(StoreError),
    /// A state-changing form without a valid CSRF token.
    Csrf,
    /// A state-changing request from another origin.
    ForeignOrigin,
    /// AuthKit refused the "bring your own login" completion (a readable reason).
    Bridge(String),
    /// AuthKit's completion pointed somewhere other than AuthKit.
    BridgeRedirectRefused(String),
    /// The organization picker is unknown, expired or already used in this browser.
    PickExpired,
    /// The picker form named an organization that was not offered.
    OrganizationNotOffered,
}

/// What the person sees.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorView {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl SigninError {
    pub fn view(&self) -> ErrorView {
        use SigninError::*;
        let (status, title, message) = match self {
            StateMissing => (400, "Sign-in link incomplete", "The sign-in response had no state parameter.".to_string()),
            StateNotBound => (400, "Sign-in not started in this browser", "This sign-in was not started in this browser, or cookies are blocked. Start again from the sign-in page.".to_string()),
            StateForeign => (400, "Sign-in belongs to another browser", "This sign-in response does not match the sign-in started in this browser.".to_string()),
            StateUnknown => (400, "Sign-in expired", "This sign-in link has expired or has already been used.".to_string()),
            CodeMissing => (400, "Sign-in incomplete", "WorkOS sent no authorization code.".to_string()),
            Provider { error, description } => (400, "Sign-in was not completed", match description {
                Some(d) => format!("WorkOS reported: {d} ({error})"),
                None => format!("WorkOS reported: {error}"),
            }),
            Workos(e) => return workos_view(e),
            Token(_) => (502, "Could not verify the sign-in", "WorkOS returned an access token that could not be verified.".to_string()),
            NotInOrganization => (403, "Not a member", "Your account is not a member of the organization this server is restricted to.".to_string()),
            MembershipInactive => (403, "Membership inactive", "Your membership in this server's organization is not active.".to_string()),
            Storage(_) => (503, "Temporarily unavailable", "Session storage is unavailable. Please try again.".to_string()),
            Csrf => (403, "Request refused", "The form was stale or did not come from this site. Reload the page and try again.".to_string()),
            ForeignOrigin => (403, "Request refused", "Requests from other sites are not accepted.".to_string()),
            Bridge(message) => (400, "AuthKit could not complete the sign-in", message.clone()),
            BridgeRedirectRefused(_) => (502, "AuthKit could not complete the sign-in", "AuthKit answered with an address outside AuthKit, so we did not follow it.".to_string()),
            PickExpired => (400, "Sign-in expired", "This organization choice has expired or was already made. Start the sign-in again.".to_string()),
            OrganizationNotOffered => (400, "Organization not available", "That organization was not one of the choices. Start the sign-in again.".to_string()),
        };
        ErrorView { status, title, message, retry_after: None }
    }

    /// One line for the Worker log (no secrets: errors never hold tokens or keys).
    pub fn log_line(&self) -> String {
        match self {
            SigninError::Workos(e) => format!("sign-in failed: WorkOS: {e}"),
            SigninError::Token(e) => format!("sign-in failed: token verification: {e:?}"),
            SigninError::Storage(e) => format!("sign-in failed: {e}"),
            SigninError::Provider { error, .. } => format!("sign-in failed: provider error {error}"),
            SigninError::BridgeRedirectRefused(to) => {
                format!("authkit completion refused: redirect_uri outside AuthKit: {to}")
            }
            SigninError::Bridge(reason) => format!("sign-in refused: AuthKit: {reason}"),
            other => format!("sign-in refused: {}", other.name()),
        }
    }

    /// The refusal's name, for the log (a derived `Debug` would link every payload's too).
    fn name(&self) -> &'static str {
        match self {
            SigninError::StateMissing => "StateMissing",
            SigninError::StateNotBound => "StateNotBound",
            SigninError::StateForeign => "StateForeign",
            SigninError::StateUnknown => "StateUnknown",
            SigninError::CodeMissing => "CodeMissing",
            SigninError::NotInOrganization => "NotInOrganization",
            SigninError::MembershipInactive => "MembershipInactive",
            SigninError::Csrf => "Csrf",
            SigninError::ForeignOrigin => "ForeignOrigin",
            SigninError::PickExpired => "PickExpired",
            SigninError::OrganizationNotOffered => "OrganizationNotOffered",
            SigninError::Provider { .. } => "Provider",
            SigninError::Workos(_) => "Workos",
            SigninError::Token(_) => "Token",
            SigninError::Storage(_) => "Storage",
            SigninError::Bridge(_) => "Bridge",
            SigninError::BridgeRedirectRefused(_) => "BridgeRedirectRefused",
        }
    }
}

fn workos_view(e: &WorkosError) -> ErrorView {
    let (status, title, message) = match e {
        WorkosError::Unreachable { .. } => (
            503,
            "WorkOS is unreachable",
            "We could not reach WorkOS to finish signing you in. Please try again in a moment.".to_string(),
        ),
        WorkosError::RateLimited { .. } => (
            503,
            "Too many sign-ins",
            "WorkOS is rate limiting sign-ins right now. Please try again shortly.".to_string(),
        ),
        WorkosError::Server { .. } => (
            502,
            "WorkOS had a problem",
            "WorkOS answered with a server error. Please try again in a moment.".to_string(),
        ),
        // A code (or an organization choice's pending token) that has expired or was used.
        WorkosError::OAuth { error: c, .. } | WorkosError::Api { code: Some(c), .. }
            if c == "invalid_grant" || c == "invalid_pending_authentication_token" =>
        {
            (400, "Sign-in expired", "The sign-in code has expired or was already used.".to_string())
        }
        WorkosError::StepUp { code, message } => return authentication_view(code, message),
        WorkosError::OrganizationSelection(_) => (
            403,
            "Choose an organization",
            "Your account belongs to several organizations. Sign in again to choose one.".to_string(),
        ),
        WorkosError::Malformed { .. } => {
            (502, "WorkOS had a problem", "WorkOS sent a response we could not read. Please try again.".to_string())
        }
        // WorkOS's own words go to the log (log_line), never onto the page.
        WorkosError::OAuth { .. } | WorkosError::Api { .. } => (
            502,
            "WorkOS refused the sign-in",
            "WorkOS refused the request. Please sign in again; if it keeps happening, tell the server's administrator."
                .to_string(),
        ),
    };
    ErrorView { status, title, message, retry_after: e.retry_after() }
}

/// A readable page for each code of WorkOS's authentication family (the spec's 403 list for
/// `/user_management/authenticate`, plus `sso_required` and the older radar names).
fn authentication_view(code: &str, message: &str) -> ErrorView {
    let (title, text) = match code {
        "mfa_enrollment" => ("Set up two-factor authentication", "Your organization requires two-factor authentication. Sign in again and set it up when WorkOS asks."),
        "mfa_challenge" | "mfa_verification" => ("Two-factor check needed", "Sign in again and complete the two-factor check WorkOS shows."),
        "sso_required" => ("Use your organization's single sign-on", "Your organization requires signing in through its identity provider. Sign in again and choose single sign-on."),
        "email_verification_required" => ("Verify your email address", "WorkOS needs you to verify your email address first. Follow the link WorkOS sent you, then sign in again."),
        "application_consent_required" => ("Consent required", "This application needs your consent before you can use it. Sign in again and accept when WorkOS asks."),
        "email_password_auth_disabled" => ("Password sign-in is turned off", "Signing in with an email and password is disabled for this application. Sign in again with another method."),
        "authentication_method_not_allowed" => ("Sign-in method not allowed", "Your organization does not allow the sign-in method you used. Sign in again with another method, such as single sign-on."),
        "passkey_progressive_enrollment" => ("Set up a passkey", "WorkOS asks you to set up a passkey. Sign in again and follow the steps WorkOS shows."),
        "radar_challenge" | "radar_email_challenge" | "radar_sms_challenge" | "radar_sign_up_challenge" | "radar_sms_sign_in_challenge" => {
            ("Extra verification needed", "WorkOS's fraud protection wants to verify this sign-in. Sign in again and complete the verification WorkOS shows.")
        }
        "organization_selection_required" => ("Choose an organization", "Your account belongs to several organizations. Sign in again to choose one."),
        _ => return ErrorView { status: 403, title: "More verification needed", message: format!("WorkOS needs another step before you can sign in: {message}"), retry_after: None },
    };
    ErrorView { status: 403, title, message: text.to_string(), retry_after: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workos_refusal_page_never_quotes_workos() {
        for (e, status, title) in [
            (
                WorkosError::OAuth {
                    status: 400,
                    error: "invalid_grant".into(),
                    description: Some("Refresh token already exchanged.".into()),
                    request_id: Some("req_1".into()),
                },
                400,
                "Sign-in expired",
            ),
            (
                WorkosError::Api {
                    status: 422,
                    code: Some("invalid_request_parameters".into()),
                    message: "Validation failed.".into(),
                    request_id: None,
                },
                502,
                "WorkOS refused the sign-in",
            ),
        ] {
            let v = SigninError::Workos(e).view();
            assert_eq!((v.status, v.title), (status, title));
            for raw in
                ["invalid_grant", "already exchanged", "req_1", "invalid_request_parameters", "Validation failed"]
            {
                assert!(!v.message.contains(raw), "{raw} on the page: {}", v.message);
            }
        }
    }

    #[test]
    fn every_documented_authentication_code_gets_its_own_readable_page() {
        let codes = crate::workos::error::AUTHENTICATION_CODES;
        let mut titles = std::collections::HashSet::new();
        for code in codes {
            let e =
                SigninError::Workos(WorkosError::StepUp { code: code.to_string(), message: "raw WorkOS text".into() });
            let v = e.view();
            assert_eq!(v.status, 403, "{code}");
            assert_ne!(v.title, "More verification needed", "{code} has a page of its own");
            assert!(!v.message.contains("raw WorkOS text") && v.message.ends_with('.'), "{code}: {}", v.message);
            titles.insert(v.title);
        }
        assert!(titles.len() >= 10, "distinct pages: {titles:?}");
        let unknown =
            SigninError::Workos(WorkosError::StepUp { code: "brand_new".into(), message: "Do the new thing".into() })
                .view();
        assert_eq!((unknown.status, unknown.title), (403, "More verification needed"));
        assert!(unknown.message.contains("Do the new thing"));
    }
}
