//! AuthKit's "bring your own login" (standalone Connect): AuthKit sends the person to our
//! `/login?external_auth_id=…`; once they are signed in here we tell AuthKit who they are
//! (`POST /authkit/oauth2/complete`) and follow the `redirect_uri` it returns — only to AuthKit.
use super::SigninError;
use crate::config::AuthMode;
use crate::context::Ctx;
use crate::outbound::HttpClient;
use crate::store::Store;
use crate::workos::{BridgeUser, User, WorkosError};

/// AuthKit's ids are short opaque tokens; anything else is not one.
pub fn valid_external_auth_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 200 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Where completion may send the browser: `https` on `*.workos.com`, `*.authkit.app`, or the
/// configured AuthKit domain (same origin; a loopback stand-in in tests).
pub fn completion_redirect_allowed(uri: &str, mode: &AuthMode) -> bool {
    let Ok(url) = crate::uri::parse(uri) else { return false };
    if crate::uri::has_credentials(&url) {
        return false;
    }
    if let AuthMode::Authkit { issuer, .. } = mode {
        if url.origin().ascii_serialization() == *issuer {
            return true;
        }
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    url.scheme() == "https" && url.port().is_none() && (host.ends_with(".workos.com") || host.ends_with(".authkit.app"))
}

/// Complete the AuthKit flow for `user`; returns the checked redirect.
///
/// WorkOS reads the completion's `user.id` as the application's own id for the person and
/// finds its user by that `external_id` (creating one when none has it). Sending a WorkOS user
/// id there would make WorkOS try to create a second user with a taken email. So the person's
/// `external_id` is sent; when they have none yet it is first set to their WorkOS user id — a
/// stable value — so the completion resolves to the same WorkOS user, memberships and all.
pub async fn complete<S: Store, H: HttpClient>(
    ctx: &Ctx<'_, S, H>,
    external_auth_id: &str,
    user: &User,
) -> Result<String, SigninError> {
    let external_id = match user.external_id.as_deref().filter(|e| !e.is_empty()) {
        Some(existing) => existing.to_string(),
        None => {
            ctx.workos().set_external_id(&user.id, &user.id).await.map_err(SigninError::Workos)?;
            user.id.clone()
        }
    };
    let person = BridgeUser {
        external_id: &external_id,
        email: &user.email,
        first_name: user.first_name.as_deref(),
        last_name: user.last_name.as_deref(),
    };
    let redirect = ctx.workos().complete_authkit_oauth2(external_auth_id, &person).await.map_err(refusal)?;
    if !completion_redirect_allowed(&redirect, &ctx.config.auth_mode) {
        return Err(SigninError::BridgeRedirectRefused(redirect.chars().take(200).collect()));
    }
    Ok(redirect)
}

/// WorkOS's documented 400 codes (and 404) each get their own page.
fn refusal(e: WorkosError) -> SigninError {
    let code = match &e {
        WorkosError::Api { status: 400, code: Some(code), .. } => code.as_str(),
        WorkosError::Api { status: 404, .. } => "not_found",
        _ => return SigninError::Workos(e),
    };
    let message = match code {
        "external_auth_session_already_completed" => {
            "This sign-in request was already completed. Start again from your application."
        }
        "not_found" => "This sign-in request has expired or is unknown to AuthKit. Start again from your application.",
        "email_not_available" => {
            "Your email address belongs to another account in AuthKit, so this sign-in cannot be completed."
        }
        "invalid_email" => "AuthKit did not accept your email address.",
        "email_change_not_allowed" => "AuthKit does not allow changing the email address of an existing account.",
        "user_consent_options_not_supported" => "AuthKit refused the consent options of this sign-in.",
        _ => return SigninError::Workos(e),
    };
    SigninError::Bridge(message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_redirects_go_only_to_authkit() {
        let worker = AuthMode::Worker;
        let authkit = AuthMode::Authkit { issuer: "https://auth.example.com".into(), audience: None };
        let local = AuthMode::Authkit { issuer: "http://127.0.0.1:4102".into(), audience: None };
        for ok in [
            "https://acme.authkit.app/oauth2/continue?state=abc",
            "https://x.workos.com/oauth/authorize/complete?state=e",
        ] {
            assert!(completion_redirect_allowed(ok, &worker), "{ok}");
        }
        assert!(completion_redirect_allowed("https://auth.example.com/oauth2/continue", &authkit));
        assert!(completion_redirect_allowed("http://127.0.0.1:4102/oauth2/continue", &local));
        for bad in [
            "http://acme.authkit.app/x",
            "https://evil.example/x",
            "https://authkit.app.evil.example/x",
            "https://evilauthkit.app/x",
            "https://user@acme.authkit.app/x",
            "https://acme.authkit.app:8443/x",
            "javascript:alert(1)",
            "/relative",
            "",
            "https://auth.example.com.evil.example/x",
        ] {
            assert!(!completion_redirect_allowed(bad, &authkit), "{bad}");
        }
        assert!(
            !completion_redirect_allowed("http://127.0.0.1:4102/x", &worker),
            "loopback only when it is the configured domain"
        );
    }

    use super::super::test_world::{world, Scenario, ALICE};
    use futures_executor::block_on;

    fn bridge_calls(external_id: Option<&str>) -> (String, Vec<(crate::outbound::Method, String)>) {
        let w = world(Scenario { external_id: external_id.map(str::to_string), ..Default::default() }, None);
        let user = User {
            id: ALICE.into(),
            email: "alice@example.com".into(),
            first_name: Some("Alice".into()),
            last_name: None,
            email_verified: None,
            profile_picture_url: None,
            external_id: external_id.map(str::to_string),
        };
        let location = block_on(complete(&w.ctx(), "ext_auth_01TEST", &user)).unwrap();
        let calls = w
            .http
            .requests
            .borrow()
            .iter()
            .map(|r| (r.method, crate::uri::parse(&r.url).unwrap().path().to_string()))
            .collect();
        (location, calls)
    }

    #[test]
    fn the_completion_names_the_person_by_external_id_set_first_when_missing() {
        use crate::outbound::Method::{Post, Put};
        // No external id yet: set it to the WorkOS user id (the fake checks the PUT body), then complete with it.
        let (location, calls) = bridge_calls(None);
        assert!(location.starts_with("https://acme.authkit.app/"));
        assert_eq!(
            calls,
            vec![(Put, format!("/user_management/users/{ALICE}")), (Post, "/authkit/oauth2/complete".to_string())]
        );
        // The application's own id already there: sent as is, nothing else written.
        let (_, calls) = bridge_calls(Some("crm-0042"));
        assert_eq!(calls, vec![(Post, "/authkit/oauth2/complete".to_string())]);
    }

    #[test]
    fn external_auth_ids_are_opaque_tokens() {
        assert!(valid_external_auth_id("ext_auth_01HXYZ123456789ABCDEFGHIJ"));
        assert!(valid_external_auth_id("01J3X4Y5Z6A7B8C9D0E1F2G3H4"));
        for bad in ["", "a b", "x/../y", "<script>", &"a".repeat(201)] {
            assert!(!valid_external_auth_id(bad), "{bad}");
        }
    }
}
