//! HTML pages (askama templates in `static/`, auto-escaped). Pure: rendering only.
use askama::Template;

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
        });
        assert!(html.contains("<li>image_generation</li>"));
        assert!(html.contains("<li>a&#60;b</li>"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
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
