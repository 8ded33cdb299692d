//! Discovery documents: RFC 8414 authorization-server metadata and RFC 9728
//! protected-resource metadata (root and per endpoint).
use super::resource::Audience;
use super::token::BASE_SCOPE;

pub const AS_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
pub const PRM_PATH: &str = "/.well-known/oauth-protected-resource";

/// RFC 8414's document for the Worker at `origin`, as JSON text (written out: the `json!` form
/// cost about a kilobyte of Wasm).
pub fn authorization_server(origin: &str) -> String {
    // The origin as the content of a JSON string, for each place it is written.
    let quoted = json_string(origin);
    let o = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
    let methods = r#"["none","client_secret_basic","client_secret_post"]"#;
    format!(
        r#"{{"issuer":"{o}","authorization_endpoint":"{o}/authorize","token_endpoint":"{o}/token","registration_endpoint":"{o}/register","revocation_endpoint":"{o}/revoke","response_types_supported":["code"],"response_modes_supported":["query"],"grant_types_supported":["authorization_code","refresh_token"],"code_challenge_methods_supported":["S256"],"token_endpoint_auth_methods_supported":{methods},"revocation_endpoint_auth_methods_supported":{methods},"client_id_metadata_document_supported":true,"authorization_response_iss_parameter_supported":true,"scopes_supported":["{BASE_SCOPE}"]}}"#
    )
}

/// The protected-resource document for a path below [`PRM_PATH`] (`""`, `/mcp`, `/sse`).
/// `authorization_server` is our own origin, or the AuthKit domain in AuthKit mode (whose
/// scopes are AuthKit's business, so none are advertised then).
pub fn protected_resource(origin: &str, suffix: &str, authorization_server: &str) -> Option<String> {
    let audience = Audience::from_metadata_suffix(suffix)?;
    // Our own scopes (`BASE_SCOPE`) when we are the authorization server.
    let scopes = if authorization_server == origin { r#","scopes_supported":["mcp"]"# } else { "" };
    let (resource, server) = (json_string(&audience.resource(origin)), json_string(authorization_server));
    Some(format!(
        r#"{{"resource":{resource},"authorization_servers":[{server}],"bearer_methods_supported":["header"],"resource_name":"MCP server (WorkOS AuthKit)"{scopes}}}"#
    ))
}

/// `text` as a JSON string (quoted and escaped).
fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
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
    use serde_json::{json, Value};
    const O: &str = "https://mcp.example.com";

    #[test]
    fn as_metadata_names_our_endpoints_and_s256_only() {
        let m: Value = serde_json::from_str(&authorization_server(O)).unwrap();
        assert_eq!(m["issuer"], O);
        assert_eq!(m["authorization_endpoint"], "https://mcp.example.com/authorize");
        assert_eq!(m["registration_endpoint"], "https://mcp.example.com/register");
        assert_eq!(m["revocation_endpoint"], "https://mcp.example.com/revoke");
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            json!(["none", "client_secret_basic", "client_secret_post"])
        );
        assert_eq!(m["scopes_supported"], json!([BASE_SCOPE]));
        // A quote in the origin cannot break out of its string.
        let odd: Value = serde_json::from_str(&authorization_server("https://a\"b")).unwrap();
        assert_eq!(odd["token_endpoint"], "https://a\"b/token");
        assert_eq!(m["token_endpoint"], "https://mcp.example.com/token");
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["client_id_metadata_document_supported"], true);
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
    }

    fn resource_doc(origin: &str, suffix: &str, server: &str) -> Option<Value> {
        protected_resource(origin, suffix, server).map(|text| serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn resource_documents_exist_for_root_mcp_and_sse_only() {
        assert_eq!(resource_doc(O, "", O).unwrap()["resource"], O);
        assert_eq!(resource_doc(O, "/mcp", O).unwrap()["resource"], "https://mcp.example.com/mcp");
        assert_eq!(resource_doc(O, "/sse", O).unwrap()["authorization_servers"], json!([O]));
        assert_eq!(resource_doc(O, "/sse", O).unwrap()["scopes_supported"], json!([BASE_SCOPE]));
        assert!(resource_doc(O, "/other", O).is_none());
        assert!(resource_doc(O, "/sse/message", O).is_none());
    }

    #[test]
    fn in_authkit_mode_the_resource_names_authkit_and_no_scopes() {
        let doc = resource_doc(O, "/mcp", "https://acme.authkit.app").unwrap();
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
