//! The one route table: every path the Worker answers, the methods each takes and the handler
//! for each, who reads the answers (people, API clients, MCP clients), whether anonymous
//! callers are rate-limited there, and whether AuthKit mode offers it. Dispatch, CORS
//! preflights, `Allow` headers, HEAD and the 404 set all derive from it: adding an endpoint
//! touches this table and one handler.
use crate::limits::Limiter;

/// Who reads a route's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// People in a browser: HTML pages and redirects, no CORS.
    Page,
    /// OAuth clients, some of them in browsers: JSON with CORS for any origin.
    Api,
    /// MCP clients: CORS only for the Worker's origin and `MCP_ALLOWED_ORIGINS`.
    Mcp,
}

/// What answers a (route, method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Account,
    RevokeApp,
    LoginPage,
    LoginStart,
    Callback,
    ChooseOrganization,
    Logout,
    AsMetadata,
    ResourceMetadata,
    Register,
    Authorize,
    AuthorizeDecision,
    Token,
    Revoke,
    WorkosWebhook,
    Mcp,
    /// HEAD where a GET would act (consume or start a sign-in, open a stream): the resource is
    /// there, nothing happens.
    HeadOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMatch {
    Exact(&'static str),
    /// The path itself or anything below it (`/.well-known/oauth-protected-resource/mcp`).
    Prefix(&'static str),
}

#[derive(Debug)]
pub struct Route {
    pub path: PathMatch,
    /// (method, handler); HEAD is derived from GET (see [`Route::handler_for`]).
    pub methods: &'static [(&'static str, Handler)],
    pub audience: Audience,
    /// Methods whose anonymous callers are limited per IP, and by which limiter.
    pub limited: &'static [(&'static str, Limiter)],
    /// Only in the Worker's own mode: in AuthKit mode AuthKit is the authorization server.
    pub worker_mode_only: bool,
    /// A GET that changes something: HEAD must not run it.
    pub get_acts: bool,
}

use Handler as H;

pub static ROUTES: &[Route] = &[
    page("/", &[("GET", H::Account)], false),
    page("/account", &[("GET", H::Account)], false),
    Route { worker_mode_only: true, ..page("/account/apps/revoke", &[("POST", H::RevokeApp)], false) },
    Route {
        limited: &[("POST", Limiter::SignIn)],
        // Its GET acts for AuthKit's bridge: a signed-in browser's `external_auth_id` is
        // completed at once.
        ..page("/login", &[("GET", H::LoginPage), ("POST", H::LoginStart)], true)
    },
    page("/login/organization", &[("POST", H::ChooseOrganization)], false),
    page("/callback", &[("GET", H::Callback)], true),
    page("/logout", &[("POST", H::Logout)], false),
    Route {
        limited: &[("GET", Limiter::SignIn), ("POST", Limiter::SignIn)],
        worker_mode_only: true,
        ..page("/authorize", &[("GET", H::Authorize), ("POST", H::AuthorizeDecision)], true)
    },
    api(PathMatch::Exact("/.well-known/oauth-authorization-server"), &[("GET", H::AsMetadata)], &[], false),
    api(PathMatch::Prefix("/.well-known/oauth-protected-resource"), &[("GET", H::ResourceMetadata)], &[], false),
    api(PathMatch::Exact("/register"), &[("POST", H::Register)], &[("POST", Limiter::Register)], true),
    api(PathMatch::Exact("/token"), &[("POST", H::Token)], &[("POST", Limiter::Token)], true),
    api(PathMatch::Exact("/revoke"), &[("POST", H::Revoke)], &[("POST", Limiter::Token)], true),
    // WorkOS events (both modes); answers 404 without WORKOS_WEBHOOK_SECRET.
    api(PathMatch::Exact("/webhooks/workos"), &[("POST", H::WorkosWebhook)], &[], false),
    mcp("/mcp", &[("POST", H::Mcp)], false),
    mcp("/sse", &[("GET", H::Mcp)], true),
    mcp("/sse/message", &[("POST", H::Mcp)], false),
];

const fn page(path: &'static str, methods: &'static [(&'static str, Handler)], get_acts: bool) -> Route {
    Route {
        path: PathMatch::Exact(path),
        methods,
        audience: Audience::Page,
        limited: &[],
        worker_mode_only: false,
        get_acts,
    }
}

const fn api(
    path: PathMatch,
    methods: &'static [(&'static str, Handler)],
    limited: &'static [(&'static str, Limiter)],
    worker_mode_only: bool,
) -> Route {
    Route { path, methods, audience: Audience::Api, limited, worker_mode_only, get_acts: false }
}

/// `methods`: the transport's own methods (the handler takes every method, see `handler_for`).
const fn mcp(path: &'static str, methods: &'static [(&'static str, Handler)], get_acts: bool) -> Route {
    Route {
        path: PathMatch::Exact(path),
        methods,
        audience: Audience::Mcp,
        limited: &[],
        worker_mode_only: false,
        get_acts,
    }
}

/// The route for `path`, if the Worker answers it at all (else: 404).
pub fn find(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| match r.path {
        PathMatch::Exact(p) => p == path,
        PathMatch::Prefix(p) => path == p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')),
    })
}

impl Route {
    /// The handler for `method`: HEAD runs GET's handler unless the GET acts; the MCP endpoints
    /// answer every method themselves (a wrong one with a JSON-RPC error naming 405).
    pub fn handler_for(&self, method: &str) -> Option<Handler> {
        if self.audience == Audience::Mcp && method != "HEAD" {
            return Some(H::Mcp);
        }
        let lookup = |m: &str| self.methods.iter().find(|(mm, _)| *mm == m).map(|(_, h)| *h);
        match method {
            "HEAD" => lookup("GET").map(|h| if self.get_acts { H::HeadOnly } else { h }),
            m => lookup(m),
        }
    }

    /// The `Allow` header for a method this route does not take.
    pub fn allow(&self) -> String {
        let mut methods: Vec<&str> = self.methods.iter().map(|(m, _)| *m).collect();
        if methods.contains(&"GET") {
            methods.push("HEAD");
        }
        methods.join(", ")
    }

    pub fn limiter_for(&self, method: &str) -> Option<Limiter> {
        self.limited.iter().find(|(m, _)| *m == method).map(|(_, l)| *l)
    }

    /// Browser clients may call it from other origins (CORS preflights are answered).
    pub fn cross_origin(&self) -> bool {
        self.audience != Audience::Page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_found_once_and_only_known_paths_are_found() {
        for r in ROUTES {
            let path = match r.path {
                PathMatch::Exact(p) | PathMatch::Prefix(p) => p,
            };
            assert!(std::ptr::eq(find(path).unwrap(), r), "{path} finds its own route");
        }
        assert!(find("/.well-known/oauth-protected-resource/mcp").is_some());
        for unknown in ["/nope", "/login/", "/.well-known/oauth-protected-resourcex", "/mcp/x", "", "/favicon.ico"] {
            assert!(find(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn methods_head_and_allow() {
        let login = find("/login").unwrap();
        assert_eq!(login.handler_for("GET"), Some(H::LoginPage));
        assert_eq!(find("/account").unwrap().handler_for("HEAD"), Some(H::Account), "a page's HEAD is its GET");
        assert_eq!(login.handler_for("HEAD"), Some(H::HeadOnly), "its GET completes AuthKit's bridge");
        assert_eq!(login.handler_for("PUT"), None);
        assert_eq!(login.allow(), "GET, POST, HEAD");
        // A GET that acts is answered for HEAD without acting.
        assert_eq!(find("/callback").unwrap().handler_for("HEAD"), Some(H::HeadOnly));
        assert_eq!(find("/authorize").unwrap().handler_for("HEAD"), Some(H::HeadOnly));
        assert_eq!(find("/sse").unwrap().handler_for("HEAD"), Some(H::HeadOnly));
        assert_eq!(find("/token").unwrap().allow(), "POST");
        assert_eq!(find("/logout").unwrap().handler_for("GET"), None);
        assert_eq!(
            find("/mcp").unwrap().handler_for("PUT"),
            Some(H::Mcp),
            "the MCP transport answers wrong methods itself"
        );
        assert_eq!(find("/mcp").unwrap().handler_for("HEAD"), None);
    }

    #[test]
    fn anonymous_writes_are_limited_and_cors_follows_the_audience() {
        let limiter = |p: &str, m: &str| find(p).and_then(|r| r.limiter_for(m));
        assert_eq!(limiter("/register", "POST"), Some(Limiter::Register));
        assert_eq!(limiter("/login", "POST"), Some(Limiter::SignIn));
        assert_eq!(limiter("/authorize", "GET"), Some(Limiter::SignIn));
        assert_eq!(limiter("/authorize", "POST"), Some(Limiter::SignIn));
        assert_eq!(limiter("/token", "POST"), Some(Limiter::Token));
        assert_eq!(limiter("/revoke", "POST"), Some(Limiter::Token));
        for (p, m) in [
            ("/login", "GET"),
            ("/mcp", "POST"),
            ("/sse", "GET"),
            ("/", "GET"),
            ("/.well-known/oauth-authorization-server", "GET"),
        ] {
            assert_eq!(limiter(p, m), None, "{m} {p}");
        }
        assert!(!find("/login").unwrap().cross_origin());
        assert!(find("/token").unwrap().cross_origin() && find("/mcp").unwrap().cross_origin());
        for p in ["/register", "/authorize", "/token", "/revoke"] {
            assert!(find(p).unwrap().worker_mode_only, "{p}: not offered in AuthKit mode");
        }
        assert!(!find("/login").unwrap().worker_mode_only, "the bridge signs people in in AuthKit mode too");
    }
}
