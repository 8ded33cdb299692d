//! Resource indicators (RFC 8707) and audiences: which of this server's endpoints a token
//! may be used at. The rule lives here only.

/// The protected resources this Worker publishes metadata for (RFC 9728).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The origin itself: every protected endpoint.
    Origin,
    /// `/mcp` (Streamable HTTP).
    Mcp,
    /// `/sse` and its message endpoint `/sse/message`.
    Sse,
}

impl Audience {
    /// The path suffix of the resource (and of its metadata document).
    pub fn path(self) -> &'static str {
        match self {
            Audience::Origin => "",
            Audience::Mcp => "/mcp",
            Audience::Sse => "/sse",
        }
    }

    pub fn resource(self, origin: &str) -> String {
        format!("{origin}{}", self.path())
    }

    /// The audience named by a metadata-document suffix (`""`, `/mcp`, `/sse`).
    pub fn from_metadata_suffix(suffix: &str) -> Option<Audience> {
        match suffix {
            "" | "/" => Some(Audience::Origin),
            "/mcp" => Some(Audience::Mcp),
            "/sse" => Some(Audience::Sse),
            _ => None,
        }
    }

    /// May a token for this audience be used at `path`?
    pub fn admits(self, path: &str) -> bool {
        match self {
            Audience::Origin => true,
            Audience::Mcp => path == "/mcp",
            Audience::Sse => path == "/sse" || path == "/sse/message",
        }
    }

    /// True when `other` is this audience or narrower (a refresh may narrow, never widen).
    pub fn contains(self, other: Audience) -> bool {
        self == Audience::Origin || self == other
    }
}

/// Parse a `resource` parameter against our origin. Canonical form per the MCP spec: scheme
/// and host compared case-insensitively, no fragment, no query, a trailing slash tolerated.
pub fn parse_resource(value: &str, origin: &str) -> Result<Audience, String> {
    let refuse =
        || format!("resource {} is not this server (expected {origin}, {origin}/mcp or {origin}/sse)", shorten(value));
    let url = crate::uri::parse(value).map_err(|_| refuse())?;
    if url.fragment().is_some() || url.query().is_some() || crate::uri::has_credentials(&url) {
        return Err(refuse());
    }
    if url.origin().ascii_serialization() != origin {
        return Err(refuse());
    }
    let path = url.path();
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    Audience::from_metadata_suffix(path).ok_or_else(refuse)
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(100).collect();
    if s.len() > out.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    const O: &str = "https://mcp.example.com";

    #[test]
    fn resources_of_this_server_parse_to_their_audience() {
        for (value, aud) in [
            ("https://mcp.example.com", Audience::Origin),
            ("https://mcp.example.com/", Audience::Origin),
            ("HTTPS://MCP.EXAMPLE.COM/mcp", Audience::Mcp),
            ("https://mcp.example.com/mcp/", Audience::Mcp),
            ("https://mcp.example.com:443/sse", Audience::Sse),
        ] {
            assert_eq!(parse_resource(value, O), Ok(aud), "{value}");
        }
    }

    #[test]
    fn foreign_or_odd_resources_are_refused() {
        for value in [
            "https://evil.example/mcp",
            "http://mcp.example.com/mcp",
            "https://mcp.example.com:8443/mcp",
            "https://mcp.example.com/mcp#x",
            "https://mcp.example.com/mcp?x=1",
            "https://user@mcp.example.com/mcp",
            "https://mcp.example.com/other",
            "https://mcp.example.com/MCP",
            "/mcp",
            "",
        ] {
            assert!(parse_resource(value, O).is_err(), "{value}");
        }
    }

    #[test]
    fn audiences_admit_only_their_endpoints() {
        assert!(Audience::Origin.admits("/mcp") && Audience::Origin.admits("/sse/message"));
        assert!(Audience::Mcp.admits("/mcp") && !Audience::Mcp.admits("/sse") && !Audience::Mcp.admits("/sse/message"));
        assert!(Audience::Sse.admits("/sse") && Audience::Sse.admits("/sse/message") && !Audience::Sse.admits("/mcp"));
        assert!(Audience::Origin.contains(Audience::Mcp) && !Audience::Mcp.contains(Audience::Origin));
    }
}
