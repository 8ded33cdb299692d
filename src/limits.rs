//! The per-IP limiters (Cloudflare's Workers Rate Limiting binding, `[[ratelimits]]` in
//! wrangler.toml) for what an anonymous caller can make the Worker write to KV or fetch —
//! registration, sign-in starts, authorization, token requests. Which route goes through which
//! is in the route table (`route_table.rs`); the bearer-checked MCP endpoints are not limited.

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

/// The key a caller is counted under: the client IP Cloudflare reports (one bucket for callers
/// without one, which only happens outside Cloudflare).
pub fn key_for(client_ip: Option<&str>) -> String {
    client_ip.map(str::trim).filter(|ip| !ip.is_empty() && ip.len() <= 64).unwrap_or("unknown").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiters_and_keys() {
        assert!(Limiter::SignIn.answers_with_page() && !Limiter::Token.answers_with_page());
        assert_eq!(key_for(Some(" 203.0.113.9 ")), "203.0.113.9");
        assert_eq!(key_for(None), "unknown");
        assert_eq!(key_for(Some(&"x".repeat(65))), "unknown");
    }
}
