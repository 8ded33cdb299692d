//! Which requests an anonymous caller can use to make the Worker write to KV or fetch for it —
//! registration, sign-in starts, authorization, token requests — and the per-IP limiter each
//! goes through (Cloudflare's Workers Rate Limiting binding, `[[ratelimits]]` in wrangler.toml).
//! Everything else (the bearer-checked MCP endpoints, static documents) is not limited here.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// `POST /register`: each success is stored for 90 days.
    Register,
    /// `POST /login` and `/authorize`: each may write a sign-in state or fetch a metadata document.
    SignIn,
    /// `POST /token`, `POST /revoke`.
    Token,
}

impl Limiter {
    /// The binding's name in wrangler.toml.
    pub fn binding(self) -> &'static str {
        match self {
            Limiter::Register => "REGISTER_LIMITER",
            Limiter::SignIn => "SIGNIN_LIMITER",
            Limiter::Token => "TOKEN_LIMITER",
        }
    }

    /// A person's browser sees a page; API callers get an OAuth error body.
    pub fn answers_with_page(self) -> bool {
        self == Limiter::SignIn
    }
}

/// The limiters' period (the binding allows 10 or 60 s): how long a refused caller waits.
pub const PERIOD_SECS: u64 = 60;

/// The limiter a request goes through, if any.
pub fn limiter_for(method: &str, path: &str) -> Option<Limiter> {
    match (method, path) {
        ("POST", "/register") => Some(Limiter::Register),
        ("POST", "/login") | ("GET" | "POST", "/authorize") => Some(Limiter::SignIn),
        ("POST", "/token" | "/revoke") => Some(Limiter::Token),
        _ => None,
    }
}

/// The key a caller is counted under: the client IP Cloudflare reports (one bucket for callers
/// without one, which only happens outside Cloudflare).
pub fn key_for(client_ip: Option<&str>) -> String {
    client_ip.map(str::trim).filter(|ip| !ip.is_empty() && ip.len() <= 64).unwrap_or("unknown").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoints_an_anonymous_caller_can_make_write_are_limited() {
        assert_eq!(limiter_for("POST", "/register"), Some(Limiter::Register));
        assert_eq!(limiter_for("POST", "/login"), Some(Limiter::SignIn));
        assert_eq!(limiter_for("GET", "/authorize"), Some(Limiter::SignIn));
        assert_eq!(limiter_for("POST", "/authorize"), Some(Limiter::SignIn));
        assert_eq!(limiter_for("POST", "/token"), Some(Limiter::Token));
        assert_eq!(limiter_for("POST", "/revoke"), Some(Limiter::Token));
        for (m, p) in [
            ("GET", "/login"),
            ("POST", "/mcp"),
            ("GET", "/sse"),
            ("GET", "/.well-known/oauth-authorization-server"),
            ("GET", "/"),
            ("GET", "/register"),
        ] {
            assert_eq!(limiter_for(m, p), None, "{m} {p}");
        }
        assert!(Limiter::SignIn.answers_with_page() && !Limiter::Token.answers_with_page());
        assert_eq!(key_for(Some(" 203.0.113.9 ")), "203.0.113.9");
        assert_eq!(key_for(None), "unknown");
        assert_eq!(key_for(Some(&"x".repeat(65))), "unknown");
    }
}
