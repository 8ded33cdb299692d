//! Which origin the server is. Everything the server says about itself — discovery documents,
//! the bearer challenge, redirect targets, token issuers, the Origin rule of the MCP endpoints —
//! uses it, so it must not come from a request's `Host` header unchecked: a web page that
//! rebinds its own name to a local server (DNS rebinding) would otherwise be that server's origin.
//!
//! With `PUBLIC_ORIGIN` set, it is that origin, and a request for any other host is refused.
//! Without it: a loopback host (local development) is taken as it is; a foreign host over plain
//! `http` is refused (this server is never served that way: its cookies and tokens need https; a
//! page that rebound its name to a local dev server is), and so is one on a request from this
//! very machine; anything else reached the Worker through Cloudflare, whose routes decide which
//! hosts can (production). The client address (`CF-Connecting-IP`) alone cannot keep a local
//! server safe: Cloudflare sets it, but a local `wrangler dev` keeps one the request brings.

/// A request for a host this server does not answer (HTTP 421 Misdirected Request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misdirected {
    pub host: String,
}

/// `scheme://host[:port]` of an http(s) URL as the runtime serializes a request's URL (WHATWG:
/// lowercase scheme and host, no default port), read off the text without parsing it; `None`
/// for anything else (another scheme, credentials in it), which is then parsed.
pub fn origin_of_url(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(&url[..url.len() - rest.len() + authority.len()])
}

/// The server's origin for a request whose URL has `request_origin` (`scheme://host[:port]`),
/// from `client_ip` (`CF-Connecting-IP`, read only when it decides).
pub fn server_origin(
    public_origin: Option<&str>,
    request_origin: &str,
    client_ip: impl FnOnce() -> Option<String>,
) -> Result<String, Misdirected> {
    let host = host_of(request_origin);
    match public_origin {
        Some(pinned) if pinned.eq_ignore_ascii_case(request_origin) => Ok(pinned.to_string()),
        Some(_) => Err(Misdirected { host: host.to_string() }),
        None if is_loopback_host(host) => Ok(request_origin.to_string()),
        None if !request_origin.starts_with("https://") || client_ip().is_some_and(|ip| is_loopback_ip(&ip)) => {
            Err(Misdirected { host: host.to_string() })
        }
        None => Ok(request_origin.to_string()),
    }
}

/// `example.com` of `https://example.com:8443`.
fn host_of(origin: &str) -> &str {
    let rest = origin.split_once("://").map_or(origin, |(_, r)| r);
    match rest.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
        None => rest
            .rsplit_once(':')
            .map_or(rest, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { rest }),
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || is_loopback_ip(&host)
}

fn is_loopback_ip(ip: &str) -> bool {
    ip.trim_matches(|c| c == '[' || c == ']').parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
}

/// `PUBLIC_ORIGIN` as configured: `https://host[:port]` (or `http` on a loopback host), no path.
pub fn parse_public_origin(raw: &str) -> Result<String, String> {
    let url = crate::uri::parse(raw.trim()).map_err(|_| "not a URL".to_string())?;
    let origin = url.origin().ascii_serialization();
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || crate::uri::has_credentials(&url) {
        return Err("an origin only: scheme://host[:port], no path".into());
    }
    match url.scheme() {
        "https" => Ok(origin),
        "http" if url.host_str().is_some_and(is_loopback_host) => Ok(origin),
        _ => Err("https (http only for a loopback host)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_taken_as_they_are_and_a_rebound_name_is_refused() {
        let local = || Some("127.0.0.1".to_string());
        for origin in ["http://127.0.0.1:8788", "http://localhost:8788", "http://[::1]:8788", "http://app.localhost:1"]
        {
            assert_eq!(server_origin(None, origin, local), Ok(origin.to_string()), "{origin}");
        }
        for (origin, ip) in [
            ("http://evil.example.com:8788", "127.0.0.1"),
            ("http://evil.example.com", "::1"),
            ("https://evil.example.com:8788", "127.0.0.1"),
            // A local `wrangler dev` keeps the address a request brings: a rebound page's forged
            // one does not make its name a deployment's.
            ("http://evil.example.com:8788", "203.0.113.7"),
            ("http://evil.example.com", "203.0.113.7"),
        ] {
            assert_eq!(
                server_origin(None, origin, || Some(ip.to_string())),
                Err(Misdirected { host: "evil.example.com".into() }),
                "{origin} from {ip}"
            );
        }
        // Through Cloudflare (a public client address): the routes decide which hosts arrive.
        assert_eq!(
            server_origin(None, "https://mcp.example.com", || Some("203.0.113.7".into())),
            Ok("https://mcp.example.com".to_string())
        );
    }

    #[test]
    fn a_pinned_origin_is_the_only_one_answered() {
        let pinned = Some("https://mcp.example.com");
        assert_eq!(
            server_origin(pinned, "https://mcp.example.com", || Some("203.0.113.7".into())),
            Ok("https://mcp.example.com".into())
        );
        assert_eq!(server_origin(pinned, "https://MCP.example.com", || None), Ok("https://mcp.example.com".into()));
        for other in ["https://evil.example.com", "http://mcp.example.com", "https://mcp.example.com:8443"] {
            assert!(server_origin(pinned, other, || Some("203.0.113.7".into())).is_err(), "{other}");
        }
    }

    #[test]
    fn the_client_address_is_read_only_when_it_decides() {
        let unread = || -> Option<String> { panic!("CF-Connecting-IP read") };
        assert!(server_origin(Some("https://mcp.example.com"), "https://mcp.example.com", unread).is_ok());
        assert!(server_origin(None, "http://localhost:8788", unread).is_ok());
    }

    #[test]
    fn the_origin_read_off_a_serialized_url_is_the_parsed_one() {
        for raw in [
            "http://127.0.0.1:8788/mcp",
            "http://localhost:8788/",
            "HTTPS://MCP.Example.COM:443/a/b?c=d#e",
            "https://mcp.example.com:8443?x=/y",
            "http://[::1]:8788/sse/message?sessionId=1",
            "http://[0:0:0:0:0:0:0:1]/",
            "https://xn--bcher-kva.example/",
            "http://app.localhost:1#frag",
        ] {
            let url = url::Url::parse(raw).unwrap();
            assert_eq!(origin_of_url(url.as_str()), Some(url.origin().ascii_serialization().as_str()), "{raw}");
        }
        for other in
            ["https://user:pw@mcp.example.com/", "ftp://example.com/", "file:///etc/passwd", "https:///x", "/mcp"]
        {
            assert_eq!(origin_of_url(other), None, "{other}");
        }
    }

    #[test]
    fn public_origin_values() {
        assert_eq!(parse_public_origin("https://mcp.example.com"), Ok("https://mcp.example.com".into()));
        assert_eq!(parse_public_origin("https://mcp.example.com/"), Ok("https://mcp.example.com".into()));
        assert_eq!(parse_public_origin("http://127.0.0.1:8788"), Ok("http://127.0.0.1:8788".into()));
        for bad in [
            "http://mcp.example.com",
            "https://mcp.example.com/mcp",
            "mcp.example.com",
            "https://u@x.example",
            "https://:pw@x.example",
            "ftp://x",
        ] {
            assert!(parse_public_origin(bad).is_err(), "{bad}");
        }
    }
}
