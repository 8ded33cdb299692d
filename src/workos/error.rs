//! Typed WorkOS failures: the four error-body families of the reference (§0.1) plus transport.
use super::types::OrganizationChoice;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum WorkosError {
    /// Not reachable within 5 s, or the connection failed.
    Unreachable { timeout: bool, detail: String },
    /// 429; `retry_after` in seconds when WorkOS sent `Retry-After` (seconds or HTTP-date).
    RateLimited { retry_after: Option<u64>, code: Option<String> },
    /// 5xx (any body).
    Server { status: u16, retry_after: Option<u64>, request_id: Option<String> },
    /// Plain family `{"message","code"[,"errors"]}` (4xx other than the ones below).
    Api { status: u16, code: Option<String>, message: String, request_id: Option<String> },
    /// OAuth family `{"error","error_description"}`.
    OAuth { status: u16, error: String, description: Option<String>, request_id: Option<String> },
    /// The authentication family (any 4xx): WorkOS wants another step, or refuses this way of
    /// signing in (`mfa_enrollment`, `sso_required`, `application_consent_required`, …).
    StepUp { code: String, message: String },
    /// 403 `organization_selection_required`: the person belongs to several organizations and
    /// must pick one; finished with the organization-selection grant.
    OrganizationSelection(PendingAuthentication),
    /// 2xx (or error) body that is not the JSON we expect (truncated, HTML…).
    Malformed { status: u16, detail: String },
}

/// A paused authentication: the token that resumes it (a credential: never shown, logged or
/// stored in clear) and the organizations WorkOS offers.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAuthentication {
    pub token: crate::secret::Secret<String>,
    pub organizations: Vec<OrganizationChoice>,
}

/// Organizations a picker offers at most (WorkOS lists every membership).
pub const MAX_ORGANIZATION_CHOICES: usize = 100;

/// Codes of the authentication family (WorkOS's third error family and the OpenAPI document's 403 list for
/// `/user_management/authenticate`), recognised on any 4xx.
pub const AUTHENTICATION_CODES: &[&str] = &[
    "application_consent_required",
    "authentication_method_not_allowed",
    "email_password_auth_disabled",
    "email_verification_required",
    "mfa_challenge",
    "mfa_enrollment",
    "mfa_verification",
    "organization_selection_required",
    "passkey_progressive_enrollment",
    "radar_challenge",
    "radar_email_challenge",
    "radar_sign_up_challenge",
    "radar_sms_challenge",
    "radar_sms_sign_in_challenge",
    "sso_required",
];

/// Longest piece of WorkOS-provided text we keep (messages end up in logs and pages).
const MAX_TEXT: usize = 200;
/// `Retry-After` values are clamped to this (seconds).
pub const MAX_RETRY_AFTER: u64 = 3600;

impl WorkosError {
    /// Parse a non-2xx response into the right family. `retry_after_header` is the raw
    /// `Retry-After` value; `now` (unix s) resolves HTTP-dates.
    pub fn from_response(
        status: u16,
        body: &[u8],
        retry_after_header: Option<&str>,
        request_id: Option<&str>,
        now: u64,
    ) -> WorkosError {
        let retry_after = retry_after_header.and_then(|v| parse_retry_after(v, now));
        let request_id = request_id.map(clean).filter(|s| !s.is_empty());
        // Only a JSON object counts; anything else (HTML from a proxy, plain text) is never echoed.
        let json = match crate::json::from_bytes::<Value>(body) {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        };
        let field = |name: &str| json.as_ref().and_then(|m| text(m, name));
        if status == 429 {
            return WorkosError::RateLimited { retry_after, code: field("code").or_else(|| field("error")) };
        }
        if status >= 500 {
            return WorkosError::Server { status, retry_after, request_id };
        }
        if let Some(step) = json.as_ref().and_then(step_up) {
            return step;
        }
        if let Some(error) = field("error") {
            let description = field("error_description").or_else(|| field("message"));
            return WorkosError::OAuth { status, error, description, request_id };
        }
        match field("message") {
            Some(message) => WorkosError::Api { status, code: field("code"), message, request_id },
            None => WorkosError::Api {
                status,
                code: field("code"),
                message: format!("WorkOS returned HTTP {status}"),
                request_id,
            },
        }
    }

    /// True for failures worth retrying later (unreachable, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, WorkosError::Unreachable { .. } | WorkosError::RateLimited { .. } | WorkosError::Server { .. })
    }

    /// WorkOS refused a refresh token for good (a 4xx): its session has ended (signed out,
    /// revoked, expired, the token used already: `invalid_grant` in either error family), or
    /// signing in again needs the person (the authentication family). Not a refusal of this
    /// server's own request — 401/403 (its API key), `invalid_client`/`unauthorized_client` (its
    /// client id), a request WorkOS finds malformed — which says nothing of the token.
    pub fn refused_refresh(&self) -> bool {
        const OURS: &[&str] =
            &["invalid_client", "unauthorized_client", "invalid_request", "invalid_request_parameters"];
        let (status, code) = match self {
            WorkosError::StepUp { .. } | WorkosError::OrganizationSelection(_) => return true,
            WorkosError::OAuth { status, error, .. } => (*status, Some(error.as_str())),
            WorkosError::Api { status, code, .. } => (*status, code.as_deref()),
            _ => return false,
        };
        (400..=499).contains(&status) && !matches!(status, 401 | 403 | 422) && !code.is_some_and(|c| OURS.contains(&c))
    }

    /// Seconds the caller should wait, when known.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            WorkosError::RateLimited { retry_after, .. } | WorkosError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Replace every occurrence of `secret` in the error's text (defence in depth: a WorkOS
    /// message or transport detail that echoes a request value must not reach a log or page).
    /// Values shorter than 8 characters are no secrets worth mangling ordinary words for.
    pub fn redact(mut self, secret: &str) -> WorkosError {
        if secret.chars().count() < 8 {
            return self;
        }
        let fix = |s: &mut String| {
            if s.contains(secret) {
                *s = s.replace(secret, "[redacted]");
            }
        };
        match &mut self {
            WorkosError::Unreachable { detail, .. } | WorkosError::Malformed { detail, .. } => fix(detail),
            WorkosError::RateLimited { code, .. } => code.iter_mut().for_each(fix),
            WorkosError::Server { request_id, .. } => request_id.iter_mut().for_each(fix),
            WorkosError::Api { code, message, request_id, .. } => {
                fix(message);
                code.iter_mut().chain(request_id.iter_mut()).for_each(fix);
            }
            WorkosError::OAuth { error, description, request_id, .. } => {
                fix(error);
                description.iter_mut().chain(request_id.iter_mut()).for_each(fix);
            }
            WorkosError::StepUp { code, message } => {
                fix(code);
                fix(message);
            }
            WorkosError::OrganizationSelection(pending) => {
                pending.organizations.iter_mut().for_each(|o| fix(&mut o.name))
            }
        }
        self
    }
}

/// A 4xx body of the authentication family, if it is one.
fn step_up(body: &Map<String, Value>) -> Option<WorkosError> {
    let code = text(body, "code").or_else(|| text(body, "error"));
    let known = code.as_deref().is_some_and(|c| AUTHENTICATION_CODES.contains(&c));
    if !known && !body.contains_key("pending_authentication_token") {
        return None;
    }
    if code.as_deref() == Some("organization_selection_required") {
        if let Some(pending) = pending_selection(body) {
            return Some(WorkosError::OrganizationSelection(pending));
        }
    }
    let message = text(body, "message")
        .or_else(|| text(body, "error_description"))
        .unwrap_or_else(|| "WorkOS requires another authentication step".to_string());
    Some(WorkosError::StepUp { code: code.unwrap_or_else(|| "step_up_required".to_string()), message })
}

/// The pending token and the organizations (id and name, cleaned) of a selection request;
/// `None` when either is missing (then it is only a step-up without a way forward).
fn pending_selection(body: &Map<String, Value>) -> Option<PendingAuthentication> {
    let token = body
        .get("pending_authentication_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= 1024)?;
    let organizations: Vec<OrganizationChoice> = body
        .get("organizations")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|o| {
            let id = o.get("id").and_then(Value::as_str).filter(|id| is_organization_id(id))?;
            let name = o.get("name").and_then(Value::as_str).map(clean).unwrap_or_default();
            Some(OrganizationChoice { id: id.to_string(), name })
        })
        .take(MAX_ORGANIZATION_CHOICES)
        .collect();
    (!organizations.is_empty()).then(|| PendingAuthentication { token: token.into(), organizations })
}

/// WorkOS organization ids are `org_` + an alphanumeric ULID.
pub fn is_organization_id(id: &str) -> bool {
    id.len() <= 64
        && id
            .strip_prefix("org_")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A string field, cleaned for one-line display.
fn text(body: &Map<String, Value>, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(clean).filter(|s| !s.is_empty())
}

/// Control characters become spaces; at most [`MAX_TEXT`] characters are kept.
pub(crate) fn clean(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_TEXT).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out.trim().to_string()
}

impl std::fmt::Display for WorkosError {
    /// One line, safe for logs and pages: never contains the API key or tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rid = |r: &Option<String>| r.as_ref().map(|r| format!(" (request {r})")).unwrap_or_default();
        match self {
            WorkosError::Unreachable { timeout: true, .. } => write!(f, "WorkOS did not answer in time"),
            WorkosError::Unreachable { timeout: false, detail } => {
                write!(f, "WorkOS is unreachable: {}", clean(detail))
            }
            WorkosError::RateLimited { retry_after, code } => {
                write!(f, "WorkOS rate limit reached")?;
                if let Some(c) = code {
                    write!(f, " ({c})")?;
                }
                match retry_after {
                    Some(s) => write!(f, "; retry after {s} s"),
                    None => Ok(()),
                }
            }
            WorkosError::Server { status, request_id, .. } => {
                write!(f, "WorkOS server error HTTP {status}{}", rid(request_id))
            }
            WorkosError::Api { status, code, message, request_id } => match code {
                Some(c) => write!(f, "WorkOS HTTP {status} {c}: {message}{}", rid(request_id)),
                None => write!(f, "WorkOS HTTP {status}: {message}{}", rid(request_id)),
            },
            WorkosError::OAuth { status, error, description, request_id } => match description {
                Some(d) => write!(f, "WorkOS HTTP {status} {error}: {d}{}", rid(request_id)),
                None => write!(f, "WorkOS HTTP {status} {error}{}", rid(request_id)),
            },
            WorkosError::StepUp { code, message } => write!(f, "WorkOS requires another step ({code}): {message}"),
            WorkosError::OrganizationSelection(p) => {
                write!(f, "WorkOS asks which organization to sign in to ({} offered)", p.organizations.len())
            }
            WorkosError::Malformed { status, detail } => {
                write!(f, "WorkOS sent an unreadable response (HTTP {status}): {}", clean(detail))
            }
        }
    }
}

impl std::error::Error for WorkosError {}

/// `Retry-After` as seconds: delta-seconds or an IMF-fixdate relative to `now`; capped at 3600.
pub fn parse_retry_after(value: &str, now: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too many for u64: still "a very long time".
        return Some(value.parse::<u64>().unwrap_or(u64::MAX).min(MAX_RETRY_AFTER));
    }
    let at = parse_imf_fixdate(value)?;
    Some(at.saturating_sub(now).min(MAX_RETRY_AFTER))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7) → unix seconds. Other HTTP-date forms
/// (RFC 850, asctime) are obsolete and not sent by WorkOS.
fn parse_imf_fixdate(value: &str) -> Option<u64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts: Vec<&str> = value.split(' ').collect();
    let [weekday, day, month, year, time, "GMT"] = parts.as_slice() else { return None };
    let weekday = weekday.strip_suffix(',')?;
    if !DAYS.contains(&weekday) || day.len() != 2 || year.len() != 4 || time.len() != 8 {
        return None;
    }
    let day = digits(day)?;
    let month = u32::try_from(MONTHS.iter().position(|m| m == month)? + 1).ok()?;
    let year = digits(year)?;
    let mut hms = time.split(':');
    let (h, m, s) = (digits(hms.next()?)?, digits(hms.next()?)?, digits(hms.next()?)?);
    if year < 1970 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + u64::from(h) * 3600 + u64::from(m) * 60 + u64::from(s))
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a Gregorian date on or after it (Howard Hinnant's algorithm).
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = u64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
