//! HTML pages (askama templates in `static/`, auto-escaped). Pure: rendering only.
use askama::Template;

/// The pages' style sheet, inlined into each page by `base.html`. A constant rather than an
/// askama `include`, which would copy it into every template's code (five copies in the Wasm).
pub const STYLE: &str = include_str!("../static/style.css");

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub return_to: &'a str,
    pub login_hint: &'a str,
    /// AuthKit's "bring your own login" request id, carried through the sign-in.
    pub external_auth_id: &'a str,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub organization: &'a str,
    pub role: &'a str,
    pub permissions: &'a [String],
    pub csrf: &'a str,
    /// `None` in AuthKit mode (AuthKit keeps the grants).
    pub apps: Option<&'a [AppRow]>,
}

/// A connected app as the account page shows it.
pub struct AppRow {
    pub grant_id: String,
    pub name: String,
    /// The host it redirects to, or "this computer".
    pub redirects_to: String,
    pub authorized: String,
    pub last_used: String,
    pub permissions: String,
}

impl AppRow {
    pub fn new(app: &crate::oauth::connected::ConnectedApp) -> AppRow {
        let day = |t: u64| crate::time::iso8601(t)[..16].replace('T', " ") + " UTC";
        AppRow {
            grant_id: app.grant_id.to_string(),
            name: app.client_name.clone(),
            redirects_to: app.redirect_host.clone().unwrap_or_else(|| "this computer".to_string()),
            authorized: day(app.authorized_at),
            last_used: day(app.last_used_at),
            permissions: if app.permissions.is_empty() { "none".to_string() } else { app.permissions.join(", ") },
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub sign_in_href: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub client_name: &'a str,
    pub redirect_host: &'a str,
    pub user_email: &'a str,
    pub hidden: &'a [(String, String)],
    pub csrf: &'a str,
    pub localhost_only: bool,
    /// Where the client's metadata document lives, when it identified itself with one.
    pub metadata_host: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "organization.html")]
pub struct OrganizationPage<'a> {
    pub organizations: &'a [crate::workos::OrganizationChoice],
    pub csrf: &'a str,
}

/// Render, falling back to a fixed page: a template error must not become a panic or a 500 loop.
pub fn render<T: Template>(page: &T) -> String {
    page.render().unwrap_or_else(|_| "<!doctype html><title>Error</title><h1>Something went wrong</h1>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_escapes_untrusted_text() {
        let html = render(&ErrorPage {
            title: "Sign-in was not completed",
            message: "<script>alert(1)</script>",
            sign_in_href: Some("/login?return_to=%2F\"x"),
        });
        assert!(!html.contains("<script>alert(1)</script>"));
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(!html.contains("%2F\"x"));
        assert!(html.contains("data-testid=\"sign-in-again\""));
    }

    #[test]
    fn account_page_lists_each_permission() {
        let perms = vec!["image_generation".to_string(), "a<b".to_string()];
        let html = render(&AccountPage {
            name: "Alice",
            email: "alice@example.com",
            organization: "Acme",
            role: "admin",
            permissions: &perms,
            csrf: "tok",
            apps: None,
        });
        assert!(html.contains("<li>image_generation</li>"));
        assert!(html.contains("<li>a&#60;b</li>"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
    }

    #[test]
    fn account_page_lists_connected_apps_each_with_its_revoke_form() {
        let app = crate::oauth::connected::ConnectedApp {
            grant_id: crate::ids::GrantId::new("g_1"),
            client_name: "<i>Tool</i>".into(),
            redirect_host: None,
            authorized_at: 1_795_357_445,
            last_used_at: 1_795_361_045,
            permissions: vec!["image_generation".into()],
        };
        let rows = [AppRow::new(&app)];
        let page = |apps| {
            render(&AccountPage {
                name: "A",
                email: "a@example.com",
                organization: "Acme",
                role: "admin",
                permissions: &[],
                csrf: "tok",
                apps,
            })
        };
        let html = page(Some(&rows));
        assert!(html.contains("&#60;i&#62;Tool&#60;/i&#62;") && !html.contains("<i>Tool"));
        assert!(
            html.contains("this computer")
                && html.contains("2026-11-22 14:24 UTC")
                && html.contains("2026-11-22 15:24 UTC")
        );
        assert!(html.contains("name=\"grant_id\" value=\"g_1\"") && html.contains("action=\"/account/apps/revoke\""));
        assert!(page(Some(&[])).contains("data-testid=\"apps-none\""));
        assert!(!page(None).contains("Connected apps"), "AuthKit mode has no apps of ours");
    }

    #[test]
    fn consent_page_escapes_the_client_and_carries_every_field() {
        let hidden = vec![("client_id".to_string(), "abc".to_string()), ("state".to_string(), "\"><x".to_string())];
        let html = render(&ConsentPage {
            client_name: "<b>Evil</b>",
            redirect_host: "localhost:1234",
            user_email: "alice@example.com",
            hidden: &hidden,
            csrf: "tok",
            localhost_only: true,
            metadata_host: None,
        });
        assert!(!html.contains("<b>Evil</b>"));
        assert!(html.contains("name=\"client_id\" value=\"abc\""));
        assert!(!html.contains("\"><x"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
        assert!(html.contains("data-testid=\"consent-localhost-warning\""));
        assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    }

    #[test]
    fn organization_page_offers_each_organization_escaped() {
        use crate::workos::OrganizationChoice;
        let orgs = vec![
            OrganizationChoice { id: "org_1".into(), name: "Acme <Corp>".into() },
            OrganizationChoice { id: "org_2".into(), name: String::new() },
        ];
        let html = render(&OrganizationPage { organizations: &orgs, csrf: "tok" });
        assert!(html.contains("name=\"organization_id\" value=\"org_1\""));
        assert!(html.contains("Acme &#60;Corp&#62;") && !html.contains("<Corp>"));
        assert!(html.contains(">org_2</button>"), "an unnamed organization shows its id");
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
        assert!(html.contains("action=\"/login/organization\""));
    }

    #[test]
    fn login_page_keeps_hidden_fields_escaped() {
        let html =
            render(&LoginPage { return_to: "/x\"><script>", login_hint: "bob@example.com", external_auth_id: "ext_1" });
        assert!(!html.contains("\"><script>"));
        assert!(html.contains("value=\"bob@example.com\""));
    }
}
