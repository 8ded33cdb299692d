//! Where a request's time went, for the `Server-Timing` header of the sign-in and authorization
//! endpoints (`/login`, `/callback`, `/authorize`, `/token`; the benchmark and the browser's
//! developer tools read it): each outbound call with its method and path (ids masked), and KV
//! as one entry with its read and write counts. Only I/O is timed: the Workers clock stands
//! still while the Worker computes.
use std::cell::{Cell, RefCell};

/// The calls and KV operations of one request.
#[derive(Debug, Default)]
pub struct Timings {
    calls: RefCell<Vec<(String, f64)>>,
    kv_reads: Cell<u32>,
    kv_writes: Cell<u32>,
    kv_ms: Cell<f64>,
    /// Requests to grant objects (Durable Objects) and their time.
    objects: Cell<u32>,
    objects_ms: Cell<f64>,
}

impl Timings {
    /// An outbound call to `url` that took `ms`.
    pub fn call(&self, method: &str, url: &str, ms: f64) {
        self.calls.borrow_mut().push((format!("{method} {}", masked_path(url)), ms));
    }

    /// A KV read (`write: false`) or write/delete that took `ms`.
    pub fn kv(&self, write: bool, ms: f64) {
        let count = if write { &self.kv_writes } else { &self.kv_reads };
        count.set(count.get() + 1);
        self.kv_ms.set(self.kv_ms.get() + ms);
    }

    /// A request to a grant's Durable Object (its storage, its KV mirror) that took `ms`.
    pub fn object(&self, ms: f64) {
        self.objects.set(self.objects.get() + 1);
        self.objects_ms.set(self.objects_ms.get() + ms);
    }

    pub fn kv_reads(&self) -> u32 {
        self.kv_reads.get()
    }

    /// `fetch;desc="POST /user_management/authenticate";dur=41, kv;desc="reads=2 writes=1";dur=3,
    /// total;dur=47` — calls in the order they were made, then KV, then the requests to grant
    /// objects (`grant-object;desc="requests=1";dur=6`, only when there were any), then
    /// `total_ms` under `total_name` (`total` for the request, `grant` for a grant object's part of it).
    pub fn header(&self, total_name: &str, total_ms: f64) -> String {
        let mut parts: Vec<String> =
            self.calls.borrow().iter().map(|(desc, ms)| format!("fetch;desc=\"{desc}\";dur={}", round(*ms))).collect();
        parts.push(format!(
            "kv;desc=\"reads={} writes={}\";dur={}",
            self.kv_reads.get(),
            self.kv_writes.get(),
            round(self.kv_ms.get())
        ));
        if self.objects.get() > 0 {
            parts.push(format!(
                "grant-object;desc=\"requests={}\";dur={}",
                self.objects.get(),
                round(self.objects_ms.get())
            ));
        }
        parts.push(format!("{total_name};dur={}", round(total_ms)));
        parts.join(", ")
    }
}

/// Milliseconds to one decimal, by integer arithmetic (`{:.1}` links core's exact float
/// formatting, about 10 KB of Wasm, for this one header).
fn round(ms: f64) -> String {
    let tenths = (ms.max(0.0) * 10.0).round() as u64;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The URL's path with id-like segments (`user_01H…`, `org_…`, `client_…`) as `{id}`, and no
/// query: the header names endpoints, never identifiers or codes.
fn masked_path(url: &str) -> String {
    let path = crate::uri::parse(url).map(|u| u.path().to_string()).unwrap_or_default();
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| {
            let id_like = s.len() >= 12
                && s.bytes().any(|b| b.is_ascii_digit())
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if id_like {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    segments.join("/").chars().filter(|c| *c != '"' && *c != '\\').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists_calls_in_order_then_kv_then_total() {
        let t = Timings::default();
        t.call("POST", "https://api.workos.com/user_management/authenticate", 41.26);
        t.call("GET", "https://api.workos.com/organizations/org_01HXYZABCDEFGH?x=secret", 12.0);
        t.kv(false, 1.0);
        t.kv(false, 0.5);
        t.kv(true, 2.0);
        assert_eq!(t.kv_reads(), 2);
        assert_eq!(
            t.header("total", 60.0),
            "fetch;desc=\"POST /user_management/authenticate\";dur=41.3, \
             fetch;desc=\"GET /organizations/{id}\";dur=12.0, kv;desc=\"reads=2 writes=1\";dur=3.5, total;dur=60.0"
        );
        assert!(t.header("grant", 7.0).ends_with(", grant;dur=7.0"));
        // Requests to grant objects come after KV, counted and timed together.
        t.object(6.0);
        t.object(2.25);
        assert!(
            t.header("total", 70.0).ends_with(
                "kv;desc=\"reads=2 writes=1\";dur=3.5, grant-object;desc=\"requests=2\";dur=8.3, total;dur=70.0"
            ),
            "{}",
            t.header("total", 70.0)
        );
    }

    #[test]
    fn durations_have_one_decimal_and_are_never_negative() {
        for (ms, shown) in
            [(0.0, "0.0"), (0.04, "0.0"), (0.05, "0.1"), (12.96, "13.0"), (1234.56, "1234.6"), (-3.0, "0.0")]
        {
            assert_eq!(round(ms), shown, "{ms}");
        }
    }

    #[test]
    fn ids_codes_and_queries_never_appear() {
        for (url, path) in [
            ("https://api.workos.com/user_management/users/user_01HABCDEFGHJKM", "/user_management/users/{id}"),
            ("https://api.workos.com/sso/jwks/client_01HABCDEFGHJKM", "/sso/jwks/{id}"),
            (
                "https://api.workos.com/user_management/organization_memberships?user_id=u",
                "/user_management/organization_memberships",
            ),
            ("https://a.example/x/0123456789abcdef0123", "/x/{id}"),
            ("not a url", ""),
        ] {
            assert_eq!(masked_path(url), path, "{url}");
        }
    }
}
