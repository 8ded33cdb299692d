//! Argument validation against a tool's declared parameters. Failures are explained per
//! argument and returned to the model as an `isError` tool result (SEP-1303), so it can retry.
use super::add::AddArgs;
use super::generate_image::GenerateImageArgs;
use super::registry::{Param, ParamKind, Tool};
use super::CallToolResult;
use serde_json::{Map, Value};

/// Unexpected argument names an error message lists by name.
const MAX_NAMED_UNEXPECTED: usize = 5;

/// Arguments that passed validation, with defaults filled in.
#[derive(Debug, Default)]
pub struct Args(Map<String, Value>);

impl Args {
    /// `add`'s arguments.
    pub fn add(mut self) -> Result<AddArgs, CallToolResult> {
        Ok(AddArgs { a: self.number("a")?, b: self.number("b")? })
    }

    /// `generateImage`'s arguments.
    pub fn generate_image(mut self) -> Result<GenerateImageArgs, CallToolResult> {
        Ok(GenerateImageArgs { prompt: self.string("prompt")?, steps: self.count("steps")? })
    }

    /// Argument `name`, read by `read`. Validation has already checked it against the registry,
    /// so a failure here means the tool and the registry disagree: an error result naming the
    /// argument, never a panic. (Read by hand rather than through serde: the tools' few
    /// arguments did not need serde's reader of `Value`s, about 3 KB of the Wasm.)
    fn take<T>(&mut self, name: &str, read: impl FnOnce(Value) -> Option<T>) -> Result<T, CallToolResult> {
        let value = self.0.remove(name).and_then(read);
        value.ok_or_else(|| CallToolResult::error(format!("The tool could not read its argument \"{name}\".")))
    }

    /// A number argument (validation checked it is finite).
    fn number(&mut self, name: &str) -> Result<f64, CallToolResult> {
        self.take(name, |v| v.as_f64())
    }

    /// An integer argument that fits a `u32` (validation checked its range).
    fn count(&mut self, name: &str) -> Result<u32, CallToolResult> {
        self.take(name, |v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
    }

    /// A string argument.
    fn string(&mut self, name: &str) -> Result<String, CallToolResult> {
        self.take(name, |v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
    }
}

/// Check `arguments` (absent or null = `{}`) against `tool.params`; all problems are reported at once.
pub fn validate(tool: &Tool, arguments: Option<Value>) -> Result<Args, String> {
    let given = match arguments {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(format!(
                "Invalid arguments for {}: arguments must be an object, not {}.",
                tool.name,
                kind_of(&other)
            ));
        }
    };
    let mut problems = Vec::new();
    let mut args = Map::new();
    // A few unexpected names are named; a flood of them is counted (the reply stays small
    // whatever the request held).
    let unexpected: Vec<&String> = given.keys().filter(|k| !tool.params.iter().any(|p| p.name == k.as_str())).collect();
    for key in unexpected.iter().take(MAX_NAMED_UNEXPECTED) {
        problems.push(format!("unexpected argument \"{}\"", clip(key)));
    }
    if unexpected.len() > MAX_NAMED_UNEXPECTED {
        problems.push(format!("and {} more unexpected arguments", unexpected.len() - MAX_NAMED_UNEXPECTED));
    }
    for param in tool.params {
        match given.get(param.name) {
            // Models often send null for an optional argument they mean to leave out.
            None | Some(Value::Null) if !param.required => {
                if let ParamKind::Integer { default: Some(d), .. } = param.kind {
                    args.insert(param.name.into(), Value::from(d));
                }
            }
            None => problems.push(format!("missing required argument \"{}\" ({})", param.name, param.expectation())),
            Some(value) => match check(param, value) {
                Ok(v) => {
                    args.insert(param.name.into(), v);
                }
                Err(p) => problems.push(p),
            },
        }
    }
    if !problems.is_empty() {
        let accepted = if tool.params.is_empty() {
            "it takes no arguments".to_string()
        } else {
            let list: Vec<String> = tool.params.iter().map(|p| format!("{} ({})", p.name, p.expectation())).collect();
            format!("it accepts {}", list.join(", "))
        };
        return Err(format!(
            "Invalid arguments for {}: {}. {}.",
            tool.name,
            problems.join("; "),
            upper_first(&accepted)
        ));
    }
    Ok(Args(args))
}

fn check(param: &Param, value: &Value) -> Result<Value, String> {
    let wrong = || format!("\"{}\" must be {}, not {}", param.name, param.expectation(), describe(value));
    match param.kind {
        ParamKind::Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(value.clone()),
            _ => Err(wrong()),
        },
        ParamKind::Integer { min, max, .. } => {
            // JSON Schema counts 5.0 as an integer.
            let n = value
                .as_i64()
                .or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64));
            match n {
                Some(n) if (min..=max).contains(&n) => Ok(Value::from(n)),
                _ => Err(wrong()),
            }
        }
        ParamKind::String { min_chars, max_chars } => match value.as_str() {
            Some(s) if (min_chars..=max_chars).contains(&s.chars().count()) => Ok(value.clone()),
            Some(s) => Err(format!(
                "\"{}\" must be {}, not {} characters long",
                param.name,
                param.expectation(),
                s.chars().count()
            )),
            None => Err(wrong()),
        },
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The offending value, briefly: numbers as written, other kinds by their type.
fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind_of(other).to_string(),
    }
}

/// Argument names come from the client: keep error texts bounded.
fn clip(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

/// The first letter in upper case (parameter names are ASCII; others are left as they are).
fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| std::iter::once(f.to_ascii_uppercase()).chain(c).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::registry::find;
    use serde_json::json;

    fn run(tool: &str, args: Value) -> Result<Args, String> {
        validate(find(tool).unwrap(), Some(args))
    }

    #[test]
    fn valid_arguments_and_defaults() {
        let image = |v| run("generateImage", v).unwrap().generate_image().unwrap();
        let a = run("add", json!({"a": 1, "b": -2.5})).unwrap().add().unwrap();
        assert_eq!((a.a, a.b), (1.0, -2.5));
        let a = image(json!({"prompt": "a cat"}));
        assert_eq!((a.prompt.as_str(), a.steps), ("a cat", 4));
        assert_eq!(image(json!({"prompt": "a cat", "steps": 8.0})).steps, 8);
        assert_eq!(image(json!({"prompt": "x", "steps": null})).steps, 4);
        assert!(validate(find("whoami").unwrap(), None).is_ok());
        assert!(validate(find("whoami").unwrap(), Some(Value::Null)).is_ok());
        assert!(run("whoami", json!({})).is_ok());
        let long = "é".repeat(2000);
        assert!(run("generateImage", json!({"prompt": long})).is_ok(), "length counts characters, not bytes");
    }

    #[test]
    fn a_tool_reading_an_argument_the_registry_does_not_give_it_gets_an_error_result() {
        let mut args = run("add", json!({"a": 1, "b": 2})).unwrap();
        assert_eq!(args.number("a").unwrap(), 1.0);
        let missing = args.number("a").unwrap_err();
        assert!(missing.is_error && missing.first_text().contains("argument \"a\""), "{missing:?}");
        assert!(args.string("b").is_err(), "a number is not a string");
        let mut args = run("generateImage", json!({"prompt": "x", "steps": 8})).unwrap();
        assert!(args.count("prompt").is_err());
        assert_eq!(args.count("steps").unwrap(), 8);
    }

    #[test]
    fn each_problem_names_the_argument() {
        let e = run("add", json!({"a": "1"})).unwrap_err();
        assert!(e.starts_with("Invalid arguments for add: "), "{e}");
        assert!(e.contains("\"a\" must be a number, not a string"), "{e}");
        assert!(e.contains("missing required argument \"b\" (a number)"), "{e}");
        assert!(e.contains("It accepts a (a number), b (a number)."), "{e}");

        let e = run("generateImage", json!({"prompt": "x", "steps": 9})).unwrap_err();
        assert!(e.contains("\"steps\" must be an integer from 4 to 8, not 9"), "{e}");
        let e = run("generateImage", json!({"prompt": "x", "steps": 4.5})).unwrap_err();
        assert!(e.contains("not 4.5"), "{e}");
        let e = run("generateImage", json!({"prompt": "x", "steps": "8"})).unwrap_err();
        assert!(e.contains("\"steps\" must be an integer from 4 to 8, not a string"), "{e}");
        let e = run("generateImage", json!({"prompt": ""})).unwrap_err();
        assert!(e.contains("\"prompt\" must be a string of 1–2000 characters, not 0 characters long"), "{e}");
        let e = run("generateImage", json!({"prompt": "x".repeat(2001)})).unwrap_err();
        assert!(e.contains("not 2001 characters long"), "{e}");
        let e = run("generateImage", json!({"steps": 4})).unwrap_err();
        assert!(e.contains("missing required argument \"prompt\""), "{e}");
        let e = run("add", json!({"a": null, "b": 1})).unwrap_err();
        assert!(e.contains("\"a\" must be a number, not null"), "{e}");
    }

    #[test]
    fn extra_properties_and_non_objects_are_refused() {
        let e = run("add", json!({"a": 1, "b": 2, "c": 3})).unwrap_err();
        assert!(e.contains("unexpected argument \"c\""), "{e}");
        let e = run("whoami", json!({"verbose": true})).unwrap_err();
        assert!(e.contains("unexpected argument \"verbose\"") && e.contains("It takes no arguments."), "{e}");
        let e = run("add", json!([1, 2])).unwrap_err();
        assert_eq!(e, "Invalid arguments for add: arguments must be an object, not an array.");
        let e = run("whoami", json!({"k".repeat(500): 1})).unwrap_err();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn a_flood_of_arguments_gets_a_small_answer() {
        // 10,000 unexpected arguments (~200 KB): the error names five and counts the rest.
        let many: Map<String, Value> = (0..10_000).map(|i| (format!("argument_number_{i:05}"), json!(i))).collect();
        let e = run("whoami", Value::Object(many)).unwrap_err();
        assert!(e.len() < 500, "{} bytes: {e}", e.len());
        assert!(e.contains("and 9995 more unexpected arguments"), "{e}");
    }
}
