//! Typed configuration from the Worker's environment. Every problem names the variable.
use crate::seal::{KeyError, SealKeys};
use crate::workos::WorkosTokenRules;

pub const DEFAULT_API_BASE_URL: &str = "https://api.workos.com";

pub struct Config {
    pub client_id: String,
    pub api_key: String,
    pub seal_keys: SealKeys,
    /// No trailing slash.
    pub api_base_url: String,
    /// Restricts sign-in to members of this organization and scopes sessions to it.
    pub organization_id: Option<String>,
    /// Local development only: accept `http://localhost` Client ID Metadata Document URLs.
    pub allow_loopback_client_metadata: bool,
    /// The MCP conformance suite's fixture tools, resources and prompts (test-only; served only
    /// when the server's own origin is a loopback host, see `App::conformance_fixtures`).
    pub mcp_conformance_fixtures: bool,
    /// Browser origins (besides the Worker's own) allowed to call the MCP endpoints.
    pub mcp_allowed_origins: Vec<String>,
    /// Who issues the MCP bearer tokens.
    pub auth_mode: AuthMode,
    /// The issuers and audience a WorkOS sign-in access token must name.
    pub workos_tokens: WorkosTokenRules,
    /// The secret WorkOS signs webhook deliveries with; without it `/webhooks/workos` is 404.
    pub webhook_secret: Option<String>,
    /// Which tool calls go to WorkOS's audit log (`AUDIT_TOOL_CALLS`).
    pub audit_tool_calls: ToolAuditPolicy,
    /// Sign-ins go to WorkOS's audit log (`AUDIT_SIGN_INS`: `on`, the default, or `off`).
    pub audit_sign_ins: bool,
    /// The server's one origin (`PUBLIC_ORIGIN`); requests for other hosts are refused.
    pub public_origin: Option<String>,
    /// An SSE session nobody posted to for this long ends (`MCP_SSE_IDLE_SECONDS`).
    pub sse_idle_secs: u64,
}

/// `MCP_SSE_IDLE_SECONDS`' default: half an hour. A Durable Object holding a stream runs (and is
/// billed) for as long as its client keeps the stream open; a client that is forgotten in a
/// tab would otherwise keep it running for good.
pub const DEFAULT_SSE_IDLE_SECS: u64 = 30 * 60;
/// Shorter idle limits are refused: a session would end at its first keepalive, having shown
/// none. (The check runs at the keepalives: a session lasts up to the limit plus 25 s.)
pub const MIN_SSE_IDLE_SECS: u64 = 30;

/// `AUDIT_TOOL_CALLS`: `gated` (default) records calls of permission-gated tools and every
/// refusal for a missing permission; `all` every tool call; `off` none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolAuditPolicy {
    All,
    #[default]
    Gated,
    Off,
}

/// Shorter webhook secrets are refused (WorkOS's are long random strings; a short one is a typo
/// or a placeholder).
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

/// The Worker as authorization server (default), or AuthKit (`WORKOS_AUTHKIT_DOMAIN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    Worker,
    Authkit {
        /// `https://<authkit domain>`: the tokens' `iss`, the AS named in our resource metadata.
        issuer: String,
        /// An extra accepted `aud` (WorkOS's default audience when no Resource Indicator is set).
        audience: Option<String>,
    },
}

/// The Workers AI playground is a browser client of remote MCP servers.
pub const DEFAULT_MCP_ALLOWED_ORIGINS: &str = "https://playground.ai.cloudflare.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Missing(&'static str),
    Invalid { name: &'static str, reason: String },
}

impl ConfigError {
    pub fn variable(&self) -> &'static str {
        match self {
            ConfigError::Missing(n) | ConfigError::Invalid { name: n, .. } => n,
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Missing(n) => write!(f, "{n} is not set"),
            ConfigError::Invalid { name, reason } => write!(f, "{name} is invalid: {reason}"),
        }
    }
}

impl Config {
    /// Whether AuthKit's "bring your own login" requests (`/login?external_auth_id=…`) are taken:
    /// in AuthKit mode only. In the Worker's own mode no AuthKit request can be waiting for
    /// this server, so the parameter is ignored (a link carrying it does nothing).
    pub fn authkit_bridge(&self) -> bool {
        matches!(self.auth_mode, AuthMode::Authkit { .. })
    }

    /// `lookup` returns a variable's value (secret or plain var); blank counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let client_id = get("WORKOS_CLIENT_ID").ok_or(ConfigError::Missing("WORKOS_CLIENT_ID"))?;
        if !client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(invalid("WORKOS_CLIENT_ID", "expected an id like client_01…"));
        }
        // Cloudflare's template calls the API key WORKOS_CLIENT_SECRET; accept either name.
        let api_key = get("WORKOS_API_KEY")
            .or_else(|| get("WORKOS_CLIENT_SECRET"))
            .ok_or(ConfigError::Missing("WORKOS_API_KEY"))?;
        if api_key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("WORKOS_API_KEY", "contains whitespace"));
        }
        let raw_keys = get("COOKIE_ENCRYPTION_KEY").ok_or(ConfigError::Missing("COOKIE_ENCRYPTION_KEY"))?;
        let seal_keys = SealKeys::parse(&raw_keys).map_err(|e| match e {
            KeyError::Empty => ConfigError::Missing("COOKIE_ENCRYPTION_KEY"),
            KeyError::TooShort { index, min } => invalid(
                "COOKIE_ENCRYPTION_KEY",
                &format!(
                    "key #{} is shorter than {min} characters (generate one with `openssl rand -hex 32`)",
                    index + 1
                ),
            ),
        })?;
        let api_base_url = parse_base_url(get("WORKOS_API_BASE_URL").as_deref().unwrap_or(DEFAULT_API_BASE_URL))?;
        let organization_id = get("WORKOS_ORGANIZATION_ID");
        if let Some(org) = &organization_id {
            if !org.starts_with("org_") || !org.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(invalid("WORKOS_ORGANIZATION_ID", "expected an id like org_01…"));
            }
        }
        let flag = |name: &'static str| match get(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(invalid(name, "expected true or false")),
        };
        let allow_loopback_client_metadata = flag("ALLOW_LOOPBACK_CLIENT_METADATA")?;
        let mcp_conformance_fixtures = flag("MCP_CONFORMANCE_FIXTURES")?;
        let mcp_allowed_origins =
            parse_origins(get("MCP_ALLOWED_ORIGINS").as_deref().unwrap_or(DEFAULT_MCP_ALLOWED_ORIGINS))?;
        let auth_mode = match get("WORKOS_AUTHKIT_DOMAIN") {
            None => AuthMode::Worker,
            Some(domain) => {
                AuthMode::Authkit { issuer: parse_authkit_domain(&domain)?, audience: get("WORKOS_AUTHKIT_AUDIENCE") }
            }
        };
        let custom_auth_domain =
            get("WORKOS_CUSTOM_AUTH_DOMAIN").map(|d| parse_domain("WORKOS_CUSTOM_AUTH_DOMAIN", &d)).transpose()?;
        let workos_tokens = WorkosTokenRules::new(&client_id, &api_base_url, custom_auth_domain.as_deref());
        let webhook_secret = match get("WORKOS_WEBHOOK_SECRET").map(|s| s.trim().to_string()) {
            None => None,
            Some(s) if s.chars().count() >= MIN_WEBHOOK_SECRET_CHARS => Some(s),
            Some(_) => {
                return Err(invalid(
                    "WORKOS_WEBHOOK_SECRET",
                    &format!("at least {MIN_WEBHOOK_SECRET_CHARS} characters (copy it from the WorkOS dashboard)"),
                ))
            }
        };
        let audit_tool_calls = match get("AUDIT_TOOL_CALLS").as_deref() {
            None | Some("gated") => ToolAuditPolicy::Gated,
            Some("all") => ToolAuditPolicy::All,
            Some("off") => ToolAuditPolicy::Off,
            Some(_) => return Err(invalid("AUDIT_TOOL_CALLS", "expected all, gated or off")),
        };
        let audit_sign_ins = match get("AUDIT_SIGN_INS").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(invalid("AUDIT_SIGN_INS", "expected on or off")),
        };
        let public_origin = get("PUBLIC_ORIGIN")
            .map(|o| crate::origin::parse_public_origin(&o).map_err(|why| invalid("PUBLIC_ORIGIN", &why)))
            .transpose()?;
        let sse_idle_secs = match get("MCP_SSE_IDLE_SECONDS") {
            None => DEFAULT_SSE_IDLE_SECS,
            Some(raw) => raw.parse().ok().filter(|s| *s >= MIN_SSE_IDLE_SECS).ok_or_else(|| {
                invalid("MCP_SSE_IDLE_SECONDS", &format!("expected a number of seconds, at least {MIN_SSE_IDLE_SECS}"))
            })?,
        };
        Ok(Config {
            client_id,
            api_key,
            seal_keys,
            api_base_url,
            organization_id,
            allow_loopback_client_metadata,
            mcp_conformance_fixtures,
            mcp_allowed_origins,
            auth_mode,
            workos_tokens,
            webhook_secret,
            audit_tool_calls,
            audit_sign_ins,
            public_origin,
            sse_idle_secs,
        })
    }
}

/// Comma-separated origins (`scheme://host[:port]`, no path); `none` allows only the Worker's own.
fn parse_origins(raw: &str) -> Result<Vec<String>, ConfigError> {
    const NAME: &str = "MCP_ALLOWED_ORIGINS";
    if raw.trim() == "none" {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let url = crate::uri::parse(o)
                .map_err(|_| invalid(NAME, &format!("{o} is not an origin like https://example.com")))?;
            let origin = url.origin().ascii_serialization();
            if !matches!(url.scheme(), "http" | "https") || origin.trim_end_matches('/') != o.trim_end_matches('/') {
                return Err(invalid(NAME, &format!("{o} is not an origin like https://example.com (no path)")));
            }
            Ok(origin)
        })
        .collect()
}

fn invalid(name: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid { name, reason: reason.to_string() }
}

/// `acme.authkit.app` (or a custom AuthKit domain) → `https://acme.authkit.app`. A full
/// `https://…` origin is accepted too, and `http://` only for a loopback stand-in (tests).
fn parse_authkit_domain(raw: &str) -> Result<String, ConfigError> {
    parse_domain("WORKOS_AUTHKIT_DOMAIN", raw)
}

/// A domain (`auth.example.com`) or origin (`https://auth.example.com`) → the `https` origin.
fn parse_domain(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let with_scheme = if raw.contains("://") { raw.to_string() } else { format!("https://{raw}") };
    let origin = parse_url(name, &with_scheme)?;
    let url = crate::uri::parse(&origin).map_err(|_| invalid(name, "not a domain like auth.example.com"))?;
    if url.path() != "/" || url.host_str().is_none_or(|h| !h.contains('.') && h != "localhost") {
        return Err(invalid(name, "expected a domain like auth.example.com (no path)"));
    }
    Ok(url.origin().ascii_serialization())
}

/// https everywhere; plain http only for a loopback emulator.
fn parse_base_url(raw: &str) -> Result<String, ConfigError> {
    parse_url("WORKOS_API_BASE_URL", raw)
}

fn parse_url(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let url = crate::uri::parse(raw).map_err(|_| invalid(name, "not an absolute URL"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid(name, "must be https (http is allowed only for localhost)")),
    }
    if url.query().is_some() || url.fragment().is_some() || crate::uri::has_credentials(&url) {
        return Err(invalid(name, "must not carry a query, fragment or credentials"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
