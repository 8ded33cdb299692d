//! The conformance suite's 2026-07-28 fixtures (`MCP_CONFORMANCE_FIXTURES=true` only, like
//! [`super::fixtures`]): tools and a prompt that ask for input through input-required results
//! (elicitation, sampling, roots, several at once, several rounds, sealed state), one that needs
//! a client capability, and two that report while they run. They use the product's own
//! [`Round`], so the suite exercises the real sealing and answer checks.
use super::input_required::{Answer, Question, Round};
use super::jsonrpc::McpError;
use super::model::Prompt;
use crate::tools::{CallToolResult, LogLevel, Notices, ToolDescription};
use serde_json::{json, Map, Value};

const TOOLS: &[(&str, &str)] = &[
    ("test_missing_capability", "Needs the client's sampling capability (-32021 without it)."),
    ("test_streaming_elicitation", "Answers at once; never sends a request on the stream."),
    ("test_logging_tool", "Logs one message when the request asks for a log level."),
    ("test_input_required_result_elicitation", "Asks the user's name (elicitation), then greets them."),
    ("test_input_required_result_sampling", "Asks the client's model a question (sampling)."),
    ("test_input_required_result_list_roots", "Asks for the client's roots."),
    ("test_input_required_result_request_state", "Asks for a confirmation and carries sealed state."),
    ("test_input_required_result_multiple_inputs", "Asks for a name, a greeting and the roots at once."),
    ("test_input_required_result_multi_round", "Asks a name, then a colour, over two rounds."),
    ("test_input_required_result_tampered_state", "Refuses a retry whose state was altered."),
    ("test_input_required_result_capabilities", "Asks only what the client declared it can answer."),
];

const PROMPT: &str = "test_input_required_result_prompt";

pub const PROMPTS: &[Prompt] = &[Prompt {
    name: PROMPT,
    title: "Prompt that asks for context",
    description: "Asks the user for context (elicitation), then builds the prompt with it.",
    arguments: &[],
}];

pub fn tools() -> impl Iterator<Item = ToolDescription> {
    super::fixtures::describe(TOOLS)
}

/// Answers a fixture `tools/call` or `prompts/get`; `None` when `params.name` is not one.
pub fn answer(
    method: &str,
    params: Option<&Value>,
    round: &Round,
    notices: &Notices,
) -> Option<Result<Value, McpError>> {
    let name = params.and_then(|p| p.get("name")).and_then(Value::as_str)?;
    match (method, name) {
        ("prompts/get", PROMPT) => Some(prompt(round)),
        ("tools/call", _) => tool(name, round, notices),
        _ => None,
    }
}

fn text(t: impl Into<String>) -> Result<Value, McpError> {
    serde_json::to_value(CallToolResult::text(t)).map_err(|e| McpError::Internal(e.to_string()))
}

fn form(message: &str, field: &str, kind: &str) -> Question {
    Question::Elicit {
        message: message.into(),
        schema: json!({ "type": "object", "properties": { field: { "type": kind } }, "required": [field] }),
    }
}

fn field<'c>(content: &'c Map<String, Value>, key: &str) -> &'c str {
    content.get(key).and_then(Value::as_str).unwrap_or("unknown")
}

fn tool(name: &str, round: &Round, notices: &Notices) -> Option<Result<Value, McpError>> {
    Some(match name {
        "test_missing_capability" if round.declares("sampling") => text("Success"),
        "test_missing_capability" => Err(McpError::MissingCapability(json!({ "sampling": {} }))),
        "test_streaming_elicitation" => text("Streaming complete"),
        "test_logging_tool" => {
            notices.log(LogLevel::Info, "Logging evaluated");
            text("Logging evaluated")
        }
        "test_input_required_result_elicitation" => elicitation(round),
        "test_input_required_result_sampling" => {
            let q = Question::Sample { prompt: "What is the capital of France?".into(), max_tokens: 100 };
            match round.answer("sample_request", &q) {
                Ok(Some(Answer::Sampled(t))) => text(format!("Sampling result: {t}")),
                Ok(_) => round.ask(&[("sample_request", q)], None),
                Err(e) => Err(e),
            }
        }
        "test_input_required_result_list_roots" => match round.answer("roots_request", &Question::Roots) {
            Ok(Some(Answer::Roots(roots))) => text(format!("Found {} root(s)", roots.len())),
            Ok(_) => round.ask(&[("roots_request", Question::Roots)], None),
            Err(e) => Err(e),
        },
        "test_input_required_result_request_state" => {
            confirmed(round, "request-state", "state-ok: requestState validated")
        }
        "test_input_required_result_tampered_state" => confirmed(round, "tamper-test", "integrity-ok: state verified"),
        "test_input_required_result_multiple_inputs" => multiple_inputs(round),
        "test_input_required_result_multi_round" => multi_round(round),
        "test_input_required_result_capabilities" => capabilities(round),
        _ => return None,
    })
}

fn elicitation(round: &Round) -> Result<Value, McpError> {
    let q = form("What is your name?", "name", "string");
    match round.answer("user_name", &q)? {
        None => round.ask(&[("user_name", q)], None),
        Some(Answer::Accepted(content)) => text(format!("Hello, {}!", field(&content, "name"))),
        Some(_) => text("No name was given."),
    }
}

/// One confirmation, with state that must come back unaltered.
fn confirmed(round: &Round, kind: &str, done: &str) -> Result<Value, McpError> {
    let q = form("Please confirm", "ok", "boolean");
    let state = json!({ "kind": kind });
    match (round.state(), round.answer("confirm", &q)?) {
        (Some(s), Some(Answer::Accepted(c))) if *s == state && c.get("ok") == Some(&json!(true)) => text(done),
        _ => round.ask(&[("confirm", q)], Some(state)),
    }
}

fn multiple_inputs(round: &Round) -> Result<Value, McpError> {
    let name = form("What is your name?", "name", "string");
    let greeting = Question::Sample { prompt: "Generate a greeting".into(), max_tokens: 50 };
    let state = json!({ "kind": "multiple-inputs" });
    let answers = (
        round.answer("user_name", &name)?,
        round.answer("greeting", &greeting)?,
        round.answer("client_roots", &Question::Roots)?,
    );
    match (round.state(), answers) {
        (Some(s), (Some(Answer::Accepted(n)), Some(Answer::Sampled(g)), Some(Answer::Roots(r)))) if *s == state => {
            text(format!("Name: {}; Greeting: {g}; Roots: {}", field(&n, "name"), r.len()))
        }
        _ => round.ask(&[("user_name", name), ("greeting", greeting), ("client_roots", Question::Roots)], Some(state)),
    }
}

fn multi_round(round: &Round) -> Result<Value, McpError> {
    let step1 = form("Step 1: What is your name?", "name", "string");
    let step2 = form("Step 2: What is your favorite color?", "color", "string");
    let state_round = round.state().and_then(|s| s.get("round")).and_then(Value::as_u64);
    match state_round {
        Some(1) => {
            if let Some(Answer::Accepted(c)) = round.answer("step1", &step1)? {
                return round.ask(&[("step2", step2)], Some(json!({ "round": 2, "name": field(&c, "name") })));
            }
        }
        Some(2) => {
            if let Some(Answer::Accepted(c)) = round.answer("step2", &step2)? {
                let name = round.state().and_then(|s| s.get("name")).and_then(Value::as_str).unwrap_or("unknown");
                return text(format!("Multi-round complete for {name} who likes {}", field(&c, "color")));
            }
        }
        _ => {}
    }
    round.ask(&[("step1", step1)], Some(json!({ "round": 1 })))
}

fn capabilities(round: &Round) -> Result<Value, McpError> {
    if round.answered_any() {
        return text(format!("capabilities-ok: received {}", round.answered_keys().join(", ")));
    }
    let mut questions = Vec::new();
    if round.declares("elicitation") {
        questions.push(("elicit_input", form("Provide a value", "value", "string")));
    }
    if round.declares("sampling") {
        questions.push(("sample_input", Question::Sample { prompt: "Sample request".into(), max_tokens: 50 }));
    }
    if questions.is_empty() {
        return text("No supported capabilities declared");
    }
    round.ask(&questions, Some(json!({ "kind": "capabilities" })))
}

fn prompt(round: &Round) -> Result<Value, McpError> {
    let q = form("What context should the prompt use?", "context", "string");
    match round.answer("user_context", &q)? {
        Some(Answer::Accepted(c)) => Ok(json!({
            "description": PROMPTS[0].description,
            "messages": [{ "role": "user", "content": { "type": "text",
                "text": format!("Prompt with context: {}", field(&c, "context")) } }],
        })),
        _ => round.ask(&[("user_context", q)], None),
    }
}
