//! The per-IP limiters (Cloudflare's Workers Rate Limiting binding, `[[ratelimits]]` in
//! wrangler.toml) for what an anonymous caller can make the Worker write to KV or fetch —
//! registration, sign-in starts, authorization, token requests. Which route goes through which
//! is in the route table (`route_table.rs`). Of the bearer-checked MCP endpoints, only the
//! opening of a legacy SSE session is limited (per person: each holds a Durable Object).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limiter {
    /// `POST /register`: each success is stored for 90 days.
    Register,
    /// `POST /login` and `/authorize`: each may write a sign-in state or fetch a metadata document.
    /// Also, counted per person (key `bridge:<user id>`), a signed-in browser's AuthKit bridge
    /// completions (`GET /login?external_auth_id=…`): each asks WorkOS.
    SignIn,
    /// `POST /token`, `POST /revoke`.
    Token,
    /// A tool call that asks WorkOS (`getUserProfile`), counted per person: WorkOS's rate
    /// limit on the API key is shared with everyone's sign-ins and lookups. Also, under the key
    /// `audit:<user id>`, the tool events a person's calls send to WorkOS's audit log.
    WorkosTool,
    /// `GET /sse`, counted per person (key `sse:<user id>`): each opens a session, a Durable
    /// Object that runs until its client leaves or lets it idle (`MCP_SSE_IDLE_SECONDS`).
    SseOpen,
}

impl Limiter {
    /// The binding's name in wrangler.toml.
    pub fn binding(self) -> &'static str {
        match self {
            Limiter::Register => "REGISTER_LIMITER",
            Limiter::SignIn => "SIGNIN_LIMITER",
            Limiter::Token => "TOKEN_LIMITER",
            Limiter::WorkosTool => "WORKOS_TOOL_LIMITER",
            Limiter::SseOpen => "SSE_LIMITER",
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
/// without one, which only happens outside Cloudflare). An IPv6 caller is counted by its /64:
/// one subscriber usually holds a whole /64, and a bucket per address would give them 2⁶⁴.
pub fn key_for(client_ip: Option<&str>) -> String {
    let ip = client_ip.map(str::trim).filter(|ip| !ip.is_empty() && ip.len() <= 64).unwrap_or("unknown");
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => ip.to_string(),
    }
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
        // IPv6: one bucket per /64, however the address inside it is spelled.
        assert_eq!(key_for(Some("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(key_for(Some("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")), "2001:db8:1:2::/64");
        assert_ne!(key_for(Some("2001:db8:1:3::1")), key_for(Some("2001:db8:1:2::1")));
        assert_eq!(key_for(Some("::ffff:203.0.113.9")), "::ffff:203.0.113.9");
    }
}
