//! Input-required results (2026-07-28, SEP-2322): in place of server-initiated requests, a
//! `tools/call`, `prompts/get` or `resources/read` may answer `resultType: "input_required"` with
//! the questions it needs answered (elicitation, sampling, roots) and an opaque `requestState`;
//! the client asks its user or model and sends the same request again with `inputResponses`
//! and the state, echoed verbatim.
//!
//! The state is the client's to carry but never to change: it is sealed (AES-GCM, the keys of
//! `COOKIE_ENCRYPTION_KEY`) and bound to the user, the organization they act in, the MCP client
//! (else the WorkOS session: see [`Principal::bound_to`]), the method and its target, for ten
//! minutes.
//! State that does not open is refused with -32602 and nothing runs. Answers are checked against
//! what was asked: a malformed answer is refused, a missing one is asked again, extra ones are
//! ignored; questions go only to capabilities the client declared.
//!
//! Only the conformance fixtures ask for input so far: in a build without them (the deployed one)
//! the asking half is unused until a tool asks, and only [`Round::open`]'s check of a sent state runs.
#![cfg_attr(not(any(test, feature = "conformance-fixtures")), allow(dead_code))]
use super::jsonrpc::McpError;
use crate::principal::Principal;
use crate::seal::SealKeys;
use serde_json::{json, Map, Value};

const PURPOSE: &str = "mcp-request-state";
const STATE_TTL_SECONDS: u64 = 600;

/// One question for the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// Form elicitation: ask the user, answers checked against `schema` (an object schema).
    Elicit { message: String, schema: Value },
    /// Sampling: ask the client's model.
    Sample { prompt: String, max_tokens: u32 },
    /// The client's roots.
    Roots,
}

impl Question {
    /// The client capability the question needs.
    pub fn capability(&self) -> &'static str {
        match self {
            Question::Elicit { .. } => "elicitation",
            Question::Sample { .. } => "sampling",
            Question::Roots => "roots",
        }
    }

    fn request(&self) -> Value {
        match self {
            Question::Elicit { message, schema } => json!({
                "method": "elicitation/create",
                "params": { "mode": "form", "message": message, "requestedSchema": schema },
            }),
            Question::Sample { prompt, max_tokens } => json!({
                "method": "sampling/createMessage",
                "params": {
                    "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
                    "maxTokens": max_tokens,
                },
            }),
            Question::Roots => json!({ "method": "roots/list", "params": {} }),
        }
    }
}

/// Whose request a state belongs to, as the seal's associated data: it opens only for the same
/// user, organization, client (or WorkOS session), method and target. Each part is
/// length-prefixed (an absent one is `-`), so no two bindings read alike.
fn binding(parts: [Option<&str>; 5]) -> String {
    use std::fmt::Write;
    let mut aad = String::from(PURPOSE);
    for part in parts {
        let _ = match part {
            Some(p) => write!(aad, "\n{}:{p}", p.len()),
            None => write!(aad, "\n-"),
        };
    }
    aad
}

/// A request that may ask for input: what the client declared, what it answered, and the state
/// it carried back (opened and verified).
#[derive(Debug)]
pub struct Round<'a> {
    capabilities: &'a Map<String, Value>,
    responses: Map<String, Value>,
    state: Option<Value>,
    seal: Sealer<'a>,
}

#[derive(Debug)]
struct Sealer<'a> {
    keys: &'a SealKeys,
    now: u64,
    /// The seal's associated data ([`binding`]).
    binding: String,
}

/// The answer to one question, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// An elicitation the user accepted, with the content they entered.
    Accepted(Map<String, Value>),
    /// An elicitation the user declined or cancelled.
    Refused,
    /// The model's text.
    Sampled(String),
    /// The client's root URIs.
    Roots(Vec<String>),
}

impl<'a> Round<'a> {
    /// Read `inputResponses` and `requestState` from a request's params. A state that was not
    /// sealed by this server, for this user, organization, client (`client_id`, the token's),
    /// method and target (`uri` for `resources/read`, else `name`), or that expired, is refused; so is an
    /// `inputResponses` that is not an object.
    pub fn open(
        principal: &Principal,
        client_id: Option<&str>,
        method: &str,
        params: Option<&Value>,
        capabilities: &'a Map<String, Value>,
        keys: &'a SealKeys,
        now: u64,
    ) -> Result<Round<'a>, McpError> {
        // The field the method acts on: a resource's `uri`, a tool's or prompt's `name`.
        let target_key = if method == "resources/read" { "uri" } else { "name" };
        let target = params.and_then(|p| p.get(target_key)).and_then(Value::as_str).unwrap_or_default();
        let holder = principal.bound_to(client_id);
        let binding = binding([
            Some(principal.user_id.as_str()),
            principal.organization_id.as_deref(),
            holder.as_deref(),
            Some(method),
            Some(target),
        ]);
        let responses = match params.and_then(|p| p.get("inputResponses")) {
            None => Map::new(),
            Some(Value::Object(r)) => r.clone(),
            Some(_) => return Err(McpError::InvalidParams("inputResponses must be an object".into())),
        };
        let state = match params.and_then(|p| p.get("requestState")) {
            None => None,
            Some(Value::String(s)) => match keys.open_json::<Value>(&binding, s, now) {
                Some(data) => Some(data),
                None => {
                    return Err(McpError::InvalidParams(
                        "requestState integrity check failed (altered, expired, or not for this request)".into(),
                    ))
                }
            },
            Some(_) => return Err(McpError::InvalidParams("requestState must be a string".into())),
        };
        Ok(Round { capabilities, responses, state, seal: Sealer { keys, now, binding } })
    }

    /// Whether the client declared `capability` (`elicitation`, `sampling`, `roots`).
    pub fn declares(&self, capability: &str) -> bool {
        self.capabilities.get(capability).is_some_and(Value::is_object)
    }

    /// The verified state this round carried, if any.
    pub fn state(&self) -> Option<&Value> {
        self.state.as_ref()
    }

    /// Whether the client sent any answers at all.
    pub fn answered_any(&self) -> bool {
        !self.responses.is_empty()
    }

    /// The keys the client answered, in order.
    pub fn answered_keys(&self) -> Vec<&str> {
        self.responses.keys().map(String::as_str).collect()
    }

    /// The answer to `question` under `key`: `Ok(None)` when the client did not answer it,
    /// an error when the answer is not one `question` can have.
    pub fn answer(&self, key: &str, question: &Question) -> Result<Option<Answer>, McpError> {
        let Some(value) = self.responses.get(key) else { return Ok(None) };
        let bad = || {
            McpError::InvalidParams(format!(
                "inputResponses.{key} is not a valid answer to {}",
                question.request()["method"]
            ))
        };
        let answer = match question {
            Question::Elicit { schema, .. } => match value.get("action").and_then(Value::as_str) {
                Some("accept") => {
                    let content = value.get("content").and_then(Value::as_object).ok_or_else(bad)?;
                    if !fits(schema, content) {
                        return Err(bad());
                    }
                    Answer::Accepted(content.clone())
                }
                Some("decline" | "cancel") => Answer::Refused,
                _ => return Err(bad()),
            },
            Question::Sample { .. } => {
                let text = value.pointer("/content/text").and_then(Value::as_str).ok_or_else(bad)?;
                Answer::Sampled(text.to_string())
            }
            Question::Roots => {
                let roots = value.get("roots").and_then(Value::as_array).ok_or_else(bad)?;
                let uris: Option<Vec<String>> =
                    roots.iter().map(|r| r.get("uri").and_then(Value::as_str).map(str::to_string)).collect();
                Answer::Roots(uris.ok_or_else(bad)?)
            }
        };
        Ok(Some(answer))
    }

    /// The `input_required` result asking `questions` (keys in order), carrying `state` sealed
    /// for the retry. Every question must be one the client can answer: ask only for capabilities
    /// it declared ([`declares`](Self::declares)); one it did not is a -32021 error instead.
    pub fn ask(&self, questions: &[(&str, Question)], state: Option<Value>) -> Result<Value, McpError> {
        let missing: Map<String, Value> = questions
            .iter()
            .filter(|(_, q)| !self.declares(q.capability()))
            .map(|(_, q)| (q.capability().to_string(), json!({})))
            .collect();
        if !missing.is_empty() {
            return Err(McpError::MissingCapability(Value::Object(missing)));
        }
        let requests: Map<String, Value> = questions.iter().map(|(k, q)| (k.to_string(), q.request())).collect();
        let mut result = json!({ "resultType": "input_required", "inputRequests": requests });
        if let Some(data) = state {
            let token = self.seal.keys.seal_json(&self.seal.binding, &data, self.seal.now + STATE_TTL_SECONDS);
            result["requestState"] = Value::String(token);
        }
        Ok(result)
    }
}

/// Whether elicited `content` has every required property of `schema` with the declared
/// primitive type (the form schemas elicitation allows are flat objects of primitives).
fn fits(schema: &Value, content: &Map<String, Value>) -> bool {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required = schema.get("required").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let typed = |name: &str, value: &Value| match properties
        .and_then(|p| p.get(name))
        .and_then(|p| p.get("type"))
        .and_then(Value::as_str)
    {
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("number") => value.is_number(),
        Some("integer") => value.is_i64() || value.is_u64(),
        _ => true,
    };
    required.iter().filter_map(Value::as_str).all(|name| content.contains_key(name))
        && content.iter().all(|(name, value)| typed(name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::{alice, bob};

    fn keys() -> SealKeys {
        SealKeys::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn name_question() -> Question {
        Question::Elicit {
            message: "Name?".into(),
            schema: json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
        }
    }

    fn all_caps() -> Map<String, Value> {
        json!({"elicitation": {}, "sampling": {}, "roots": {"listChanged": true}}).as_object().unwrap().clone()
    }

    #[test]
    fn state_round_trips_only_for_the_same_user_organization_client_method_and_target() {
        let (k, caps) = (keys(), all_caps());
        let params = json!({"name": "t"});
        let first = Round::open(&alice(), Some("client_a"), "tools/call", Some(&params), &caps, &k, 1000).unwrap();
        let asked = first.ask(&[("q", name_question())], Some(json!({"round": 1}))).unwrap();
        assert_eq!(asked["resultType"], "input_required");
        assert_eq!(asked["inputRequests"]["q"]["method"], "elicitation/create");
        let state = asked["requestState"].as_str().unwrap().to_string();

        let retry = json!({"name": "t", "requestState": state, "inputResponses": {"q": {"action": "accept", "content": {"name": "Ann"}}}});
        let round = Round::open(&alice(), Some("client_a"), "tools/call", Some(&retry), &caps, &k, 1001).unwrap();
        assert_eq!(round.state(), Some(&json!({"round": 1})));
        let mut ann = Map::new();
        ann.insert("name".into(), json!("Ann"));
        assert_eq!(round.answer("q", &name_question()).unwrap(), Some(Answer::Accepted(ann)));

        let refused = |params: Value, who: &Principal, client: Option<&str>, method: &str, now: u64| {
            matches!(Round::open(who, client, method, Some(&params), &caps, &k, now), Err(McpError::InvalidParams(_)))
        };
        let sent = json!({"name": "t", "requestState": state});
        let in_other_org = Principal { organization_id: Some("org_other".into()), ..alice() };
        let tampered = json!({"name": "t", "requestState": format!("{state}-TAMPERED")});
        assert!(refused(tampered, &alice(), Some("client_a"), "tools/call", 1001));
        let other_tool = json!({"name": "other", "requestState": state});
        assert!(refused(other_tool, &alice(), Some("client_a"), "tools/call", 1001));
        assert!(refused(sent.clone(), &alice(), Some("client_a"), "prompts/get", 1001));
        assert!(refused(sent.clone(), &bob(), Some("client_a"), "tools/call", 1001));
        assert!(refused(sent.clone(), &in_other_org, Some("client_a"), "tools/call", 1001));
        assert!(refused(sent.clone(), &alice(), Some("client_b"), "tools/call", 1001));
        // Without a client, the WorkOS session stands in for it; not the client's.
        assert!(refused(sent.clone(), &alice(), None, "tools/call", 1001));
        assert!(refused(sent.clone(), &alice(), Some("client_a"), "tools/call", 1000 + STATE_TTL_SECONDS));
        assert!(refused(json!({"name": "t", "requestState": 7}), &alice(), Some("client_a"), "tools/call", 1001));
        assert!(refused(json!({"name": "t", "inputResponses": null}), &alice(), None, "tools/call", 1001));
        assert!(refused(json!({"name": "t", "inputResponses": [1]}), &alice(), None, "tools/call", 1001));
    }

    #[test]
    fn a_resources_state_is_bound_to_its_uri_whatever_name_it_carries() {
        let (k, caps) = (keys(), all_caps());
        let params = json!({"uri": "res://a", "name": "x"});
        let first = Round::open(&alice(), None, "resources/read", Some(&params), &caps, &k, 1).unwrap();
        let asked = first.ask(&[("q", name_question())], Some(json!(1))).unwrap();
        let open = |uri: &str| {
            let sent = json!({"uri": uri, "name": "x", "requestState": asked["requestState"]});
            Round::open(&alice(), None, "resources/read", Some(&sent), &caps, &k, 2).map(|r| r.state().cloned())
        };
        assert_eq!(open("res://a").unwrap(), Some(json!(1)));
        assert!(matches!(open("res://b"), Err(McpError::InvalidParams(_))));
    }

    #[test]
    fn no_two_bindings_read_alike() {
        let a = binding([Some("u"), Some("o"), None, Some("tools/call"), Some("t")]);
        let shifted = binding([Some("u\n1:o"), None, None, Some("tools/call"), Some("t")]);
        let empty = binding([Some("u"), Some("o"), Some(""), Some("tools/call"), Some("t")]);
        let dash = binding([Some("u"), Some("o"), Some("-"), Some("tools/call"), Some("t")]);
        assert!(a != shifted && a != empty && a != dash && empty != dash);
    }

    #[test]
    fn without_a_client_state_is_bound_to_the_workos_session() {
        let (k, caps) = (keys(), all_caps());
        let first = Round::open(&alice(), None, "tools/call", Some(&json!({"name": "t"})), &caps, &k, 1000).unwrap();
        let asked = first.ask(&[("q", name_question())], Some(json!(1))).unwrap();
        let sent = json!({"name": "t", "requestState": asked["requestState"]});
        let open = |who: &Principal| {
            Round::open(who, None, "tools/call", Some(&sent), &caps, &k, 1001).map(|r| r.state().cloned())
        };
        assert_eq!(open(&alice()).unwrap(), Some(json!(1)));
        let other_session = Principal { workos_session_id: Some("session_2".into()), ..alice() };
        assert!(matches!(open(&other_session), Err(McpError::InvalidParams(_))));
        // A client whose id is the session's id is another holder.
        let no_session = Principal { workos_session_id: None, ..alice() };
        let as_client = Round::open(&no_session, Some("session_1"), "tools/call", Some(&sent), &caps, &k, 1001);
        assert!(matches!(as_client, Err(McpError::InvalidParams(_))));
    }

    #[test]
    fn answers_are_checked_against_the_question() {
        let (k, caps) = (keys(), all_caps());
        let params = json!({"name": "t", "inputResponses": {
            "n": 12345,
            "typed": {"action": "accept", "content": {"name": 5}},
            "missing": {"action": "accept", "content": {}},
            "no": {"action": "decline"},
            "s": {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"},
            "r": {"roots": [{"uri": "file:///a"}, {"uri": "file:///b", "name": "B"}]},
        }});
        let round = Round::open(&alice(), None, "tools/call", Some(&params), &caps, &k, 1).unwrap();
        let q = name_question();
        for bad in ["n", "typed", "missing"] {
            assert!(round.answer(bad, &q).is_err(), "{bad}");
        }
        assert_eq!(round.answer("no", &q).unwrap(), Some(Answer::Refused));
        assert_eq!(round.answer("absent", &q).unwrap(), None);
        let sample = Question::Sample { prompt: "Capital?".into(), max_tokens: 10 };
        assert_eq!(round.answer("s", &sample).unwrap(), Some(Answer::Sampled("Paris".into())));
        assert!(round.answer("r", &sample).is_err());
        assert_eq!(
            round.answer("r", &Question::Roots).unwrap(),
            Some(Answer::Roots(vec!["file:///a".into(), "file:///b".into()]))
        );
        assert!(round.answer("s", &Question::Roots).is_err());
    }

    #[test]
    fn questions_go_only_to_declared_capabilities() {
        let k = keys();
        let caps = json!({"sampling": {}}).as_object().unwrap().clone();
        let round = Round::open(&alice(), None, "tools/call", Some(&json!({"name": "t"})), &caps, &k, 1).unwrap();
        assert!(round.declares("sampling") && !round.declares("elicitation") && !round.declares("roots"));
        let err = round.ask(&[("a", name_question()), ("b", Question::Roots)], None).unwrap_err();
        assert_eq!(err, McpError::MissingCapability(json!({"elicitation": {}, "roots": {}})));
        let ok = round.ask(&[("s", Question::Sample { prompt: "p".into(), max_tokens: 5 })], None).unwrap();
        assert_eq!(ok["inputRequests"]["s"]["params"]["maxTokens"], 5);
        assert!(ok.get("requestState").is_none());
    }
}
