//! Discovery documents: RFC 8414 authorization-server metadata and RFC 9728
//! protected-resource metadata (root and per endpoint).
use super::resource::Audience;
use super::token::BASE_SCOPE;
use serde_json::{json, Value};

pub const AS_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const PRM_PATH: &str = "/.well-known/oauth-protected-resource";
const AUTH_METHODS: [&str; 3] = ["none", "client_secret_basic", "client_secret_post"];

pub fn authorization_server(origin: &str) -> Value {
    json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": format!("{origin}/token"),
        "registration_endpoint": format!("{origin}/register"),
        "revocation_endpoint": format!("{origin}/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": [BASE_SCOPE],
    })
}

/// The protected-resource document for a path below [`PRM_PATH`] (`""`, `/mcp`, `/sse`).
/// `authorization_server` is our own origin, or the AuthKit domain in AuthKit mode (whose
/// scopes are AuthKit's business, so none are advertised then).
pub fn protected_resource(origin: &str, suffix: &str, authorization_server: &str) -> Option<Value> {
    let audience = Audience::from_metadata_suffix(suffix)?;
    let mut doc = json!({
        "resource": audience.resource(origin),
        "authorization_servers": [authorization_server],
        "bearer_methods_supported": ["header"],
        "resource_name": "MCP server (WorkOS AuthKit)",
    });
    if authorization_server == origin {
        doc["scopes_supported"] = json!([BASE_SCOPE]);
    }
    Some(doc)
}

/// `WWW-Authenticate` for a refused MCP request at `path` (RFC 6750 §3, RFC 9728 §5.1).
/// The protected resource an MCP endpoint belongs to, as a suffix of the origin: `/mcp`, or
/// `/sse` (also for `/sse/message`).
pub fn resource_suffix(path: &str) -> &'static str {
    match path {
        "/mcp" => "/mcp",
        _ => "/sse",
    }
}

pub fn bearer_challenge(origin: &str, path: &str, error: Option<&str>, with_scope: bool) -> String {
    let mut h = format!("Bearer resource_metadata=\"{origin}{PRM_PATH}{path}\"");
    if with_scope {
        h.push_str(&format!(", scope=\"{BASE_SCOPE}\""));
    }
    if let Some(description) = error {
        // Descriptions are our own fixed strings; quotes are removed all the same.
        h.push_str(&format!(
            ", error=\"invalid_token\", error_description=\"{}\"",
            description.replace(['"', '\\'], "")
        ));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    const O: &str = "https://mcp.example.com";

    #[test]
    fn as_metadata_names_our_endpoints_and_s256_only() {
        let m = authorization_server(O);
        assert_eq!(m["issuer"], O);
        assert_eq!(m["token_endpoint"], "https://mcp.example.com/token");
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["client_id_metadata_document_supported"], true);
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    }

    #[test]
    fn resource_documents_exist_for_root_mcp_and_sse_only() {
        assert_eq!(protected_resource(O, "", O).unwrap()["resource"], O);
        assert_eq!(protected_resource(O, "/mcp", O).unwrap()["resource"], "https://mcp.example.com/mcp");
        assert_eq!(protected_resource(O, "/sse", O).unwrap()["authorization_servers"], json!([O]));
        assert_eq!(protected_resource(O, "/sse", O).unwrap()["scopes_supported"], json!(["mcp"]));
        assert!(protected_resource(O, "/other", O).is_none());
        assert!(protected_resource(O, "/sse/message", O).is_none());
    }

    #[test]
    fn in_authkit_mode_the_resource_names_authkit_and_no_scopes() {
        let doc = protected_resource(O, "/mcp", "https://acme.authkit.app").unwrap();
        assert_eq!(doc["authorization_servers"], json!(["https://acme.authkit.app"]));
        assert_eq!(doc["resource"], "https://mcp.example.com/mcp");
        assert!(doc.get("scopes_supported").is_none());
    }

    #[test]
    fn challenges_point_at_the_endpoints_own_document() {
        assert_eq!(bearer_challenge(O, "/mcp", None, true), "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\", scope=\"mcp\"");
        assert_eq!(
            bearer_challenge(O, "/mcp", None, false),
            "Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\""
        );
        let h = bearer_challenge(O, "/sse", Some("expired \"x\""), true);
        assert!(h.ends_with(", error=\"invalid_token\", error_description=\"expired x\""), "{h}");
    }
}
