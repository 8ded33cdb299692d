//! HTML pages (askama templates in `static/`, auto-escaped). Pure: rendering only.
use askama::Template;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub return_to: &'a str,
    pub login_hint: &'a str,
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

/// Render, falling back to a fixed page: a template error must not become a panic or a 500 loop.
pub fn render<T: Template>(page: &T) -> String {
    page.render().unwrap_or_else(|_| "<!doctype html><title>Error</title><h1>Something went wrong</h1>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_escapes_untrusted_text() {
        let html = render(&ErrorPage { title: "Sign-in was not completed", message: "<script>alert(1)</script>", sign_in_href: Some("/login?return_to=%2F\"x") });
        assert!(!html.contains("<script>alert(1)</script>"));
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(!html.contains("%2F\"x"));
        assert!(html.contains("data-testid=\"sign-in-again\""));
    }

    #[test]
    fn account_page_lists_each_permission() {
        let perms = vec!["image_generation".to_string(), "a<b".to_string()];
        let html = render(&AccountPage { name: "Alice", email: "alice@example.com", organization: "Acme", role: "admin", permissions: &perms, csrf: "tok" });
        assert!(html.contains("<li>image_generation</li>"));
        assert!(html.contains("<li>a&#60;b</li>"));
        assert!(html.contains("name=\"csrf\" value=\"tok\""));
    }

    #[test]
    fn login_page_keeps_hidden_fields_escaped() {
        let html = render(&LoginPage { return_to: "/x\"><script>", login_hint: "bob@example.com" });
        assert!(!html.contains("\"><script>"));
        assert!(html.contains("value=\"bob@example.com\""));
    }
}
