use super::*;
use std::collections::HashMap;

const KEY: &str = "0123456789abcdef0123456789abcdef";

fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|n| map.get(n).cloned())
}

fn base() -> Vec<(&'static str, &'static str)> {
    vec![("WORKOS_CLIENT_ID", "client_123"), ("WORKOS_API_KEY", "sk_test_1"), ("COOKIE_ENCRYPTION_KEY", KEY)]
}

#[test]
fn minimal_config_uses_defaults() {
    let c = cfg(&base()).unwrap();
    assert_eq!(c.api_base_url, "https://api.workos.com");
    assert_eq!(c.organization_id, None);
    assert_eq!(c.api_key, "sk_test_1");
}

#[test]
fn each_required_variable_is_named_when_missing() {
    for name in ["WORKOS_CLIENT_ID", "WORKOS_API_KEY", "COOKIE_ENCRYPTION_KEY"] {
        let vars: Vec<_> = base().into_iter().filter(|(k, _)| *k != name).collect();
        assert_eq!(cfg(&vars).err(), Some(ConfigError::Missing(name)), "{name}");
        let blank: Vec<_> = base().into_iter().map(|(k, v)| if k == name { (k, "  ") } else { (k, v) }).collect();
        assert_eq!(cfg(&blank).err(), Some(ConfigError::Missing(name)), "{name} blank");
    }
}

#[test]
fn client_secret_is_accepted_as_the_api_key() {
    let mut vars: Vec<_> = base().into_iter().filter(|(k, _)| *k != "WORKOS_API_KEY").collect();
    vars.push(("WORKOS_CLIENT_SECRET", "sk_live_x"));
    assert_eq!(cfg(&vars).unwrap().api_key, "sk_live_x");
}

#[test]
fn short_cookie_key_is_invalid_and_named() {
    let mut vars = base();
    vars[2] = ("COOKIE_ENCRYPTION_KEY", "short");
    let err = cfg(&vars).err().unwrap();
    assert_eq!(err.variable(), "COOKIE_ENCRYPTION_KEY");
    assert!(matches!(err, ConfigError::Invalid { .. }));
}

#[test]
fn base_url_rules() {
    for (raw, ok) in [
        ("https://api.workos.com/", Some("https://api.workos.com")),
        ("http://127.0.0.1:4100", Some("http://127.0.0.1:4100")),
        ("http://localhost:4100/", Some("http://localhost:4100")),
        ("http://api.workos.com", None),
        ("ftp://x", None),
        ("api.workos.com", None),
        ("https://api.workos.com/?x=1", None),
        ("https://user:pw@api.workos.com", None),
        ("https://:secret@api.workos.com", None),
    ] {
        let mut vars = base();
        vars.push(("WORKOS_API_BASE_URL", raw));
        match (cfg(&vars), ok) {
            (Ok(c), Some(want)) => assert_eq!(c.api_base_url, want),
            (Err(e), None) => assert_eq!(e.variable(), "WORKOS_API_BASE_URL"),
            (r, want) => panic!("{raw}: got {:?}, want {want:?}", r.map(|c| c.api_base_url)),
        }
    }
}

#[test]
fn organization_id_is_validated() {
    let mut vars = base();
    vars.push(("WORKOS_ORGANIZATION_ID", "org_01ABC"));
    assert_eq!(cfg(&vars).unwrap().organization_id.as_deref(), Some("org_01ABC"));
    let mut bad = base();
    bad.push(("WORKOS_ORGANIZATION_ID", "acme"));
    assert_eq!(cfg(&bad).err().unwrap().variable(), "WORKOS_ORGANIZATION_ID");
}

#[test]
fn loopback_client_metadata_is_off_unless_set_to_true() {
    assert!(!cfg(&base()).unwrap().allow_loopback_client_metadata);
    let mut on = base();
    on.push(("ALLOW_LOOPBACK_CLIENT_METADATA", "true"));
    assert!(cfg(&on).unwrap().allow_loopback_client_metadata);
    let mut bad = base();
    bad.push(("ALLOW_LOOPBACK_CLIENT_METADATA", "yes"));
    assert_eq!(cfg(&bad).err().unwrap().variable(), "ALLOW_LOOPBACK_CLIENT_METADATA");
}

#[test]
fn conformance_fixtures_are_off_unless_set_to_true() {
    assert!(!cfg(&base()).unwrap().mcp_conformance_fixtures);
    let mut on = base();
    on.push(("MCP_CONFORMANCE_FIXTURES", "true"));
    assert!(cfg(&on).unwrap().mcp_conformance_fixtures);
    let mut bad = base();
    bad.push(("MCP_CONFORMANCE_FIXTURES", "1"));
    assert_eq!(cfg(&bad).err().unwrap().variable(), "MCP_CONFORMANCE_FIXTURES");
}

#[test]
fn sign_ins_are_audited_unless_turned_off() {
    assert!(cfg(&base()).unwrap().audit_sign_ins);
    for (value, on) in [("on", true), ("off", false)] {
        let mut vars = base();
        vars.push(("AUDIT_SIGN_INS", value));
        assert_eq!(cfg(&vars).unwrap().audit_sign_ins, on);
    }
    let mut bad = base();
    bad.push(("AUDIT_SIGN_INS", "false"));
    assert_eq!(cfg(&bad).err().unwrap().variable(), "AUDIT_SIGN_INS");
}

#[test]
fn sse_sessions_idle_for_half_an_hour_unless_said_otherwise() {
    assert_eq!(cfg(&base()).unwrap().sse_idle_secs, 1800);
    for (value, secs) in [("30", 30), ("86400", 86_400), (" 600 ", 600)] {
        let mut vars = base();
        vars.push(("MCP_SSE_IDLE_SECONDS", value));
        assert_eq!(cfg(&vars).unwrap().sse_idle_secs, secs, "{value}");
    }
    for value in ["29", "0", "-5", "10m", "1.5"] {
        let mut bad = base();
        bad.push(("MCP_SSE_IDLE_SECONDS", value));
        assert_eq!(cfg(&bad).err().unwrap().variable(), "MCP_SSE_IDLE_SECONDS", "{value}");
    }
}

#[test]
fn tool_calls_are_audited_gated_unless_said_otherwise() {
    assert_eq!(cfg(&base()).unwrap().audit_tool_calls, ToolAuditPolicy::Gated);
    for (value, policy) in
        [("all", ToolAuditPolicy::All), ("gated", ToolAuditPolicy::Gated), ("off", ToolAuditPolicy::Off)]
    {
        let mut vars = base();
        vars.push(("AUDIT_TOOL_CALLS", value));
        assert_eq!(cfg(&vars).unwrap().audit_tool_calls, policy);
    }
    let mut bad = base();
    bad.push(("AUDIT_TOOL_CALLS", "everything"));
    assert_eq!(cfg(&bad).err().unwrap().variable(), "AUDIT_TOOL_CALLS");
}

#[test]
fn the_webhook_endpoint_exists_only_with_a_real_secret() {
    assert_eq!(cfg(&base()).unwrap().webhook_secret, None);
    let mut on = base();
    on.push(("WORKOS_WEBHOOK_SECRET", " whsec_0123456789abcdef "));
    assert_eq!(cfg(&on).unwrap().webhook_secret.as_deref(), Some("whsec_0123456789abcdef"));
    let mut short = base();
    short.push(("WORKOS_WEBHOOK_SECRET", "secret"));
    assert_eq!(cfg(&short).err().unwrap().variable(), "WORKOS_WEBHOOK_SECRET");
}

#[test]
fn mcp_origins_default_to_the_playground_and_are_validated() {
    assert_eq!(cfg(&base()).unwrap().mcp_allowed_origins, vec!["https://playground.ai.cloudflare.com".to_string()]);
    let mut two = base();
    two.push(("MCP_ALLOWED_ORIGINS", "https://a.example, http://localhost:6274"));
    assert_eq!(
        cfg(&two).unwrap().mcp_allowed_origins,
        vec!["https://a.example".to_string(), "http://localhost:6274".to_string()]
    );
    let mut none = base();
    none.push(("MCP_ALLOWED_ORIGINS", "none"));
    assert!(cfg(&none).unwrap().mcp_allowed_origins.is_empty());
    for bad in ["https://a.example/path", "javascript:alert(1)", "not a url"] {
        let mut v = base();
        v.push(("MCP_ALLOWED_ORIGINS", bad));
        assert_eq!(cfg(&v).err().unwrap().variable(), "MCP_ALLOWED_ORIGINS", "{bad}");
    }
}

#[test]
fn authkit_mode_is_off_by_default_and_takes_a_domain() {
    assert_eq!(cfg(&base()).unwrap().auth_mode, AuthMode::Worker);
    for (raw, issuer) in [
        ("acme.authkit.app", "https://acme.authkit.app"),
        ("https://auth.example.com/", "https://auth.example.com"),
        ("http://127.0.0.1:4102", "http://127.0.0.1:4102"),
    ] {
        let mut v = base();
        v.push(("WORKOS_AUTHKIT_DOMAIN", raw));
        v.push(("WORKOS_AUTHKIT_AUDIENCE", "client_123"));
        assert_eq!(
            cfg(&v).unwrap().auth_mode,
            AuthMode::Authkit { issuer: issuer.into(), audience: Some("client_123".into()) },
            "{raw}"
        );
    }
    for bad in ["http://acme.authkit.app", "acme.authkit.app/path", "https://acme.authkit.app?x=1", "nodot"] {
        let mut v = base();
        v.push(("WORKOS_AUTHKIT_DOMAIN", bad));
        assert_eq!(cfg(&v).err().map(|e| e.variable()), Some("WORKOS_AUTHKIT_DOMAIN"), "{bad}");
    }
}
