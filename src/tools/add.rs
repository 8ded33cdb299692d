//! `add`: the template's smallest tool, useful to check a connection end to end.
use super::CallToolResult;
use serde_json::{json, Value};

/// `add`'s arguments, once validated (two finite numbers).
#[derive(Debug)]
pub struct AddArgs {
    pub a: f64,
    pub b: f64,
}

pub fn run(AddArgs { a, b }: AddArgs) -> CallToolResult {
    let sum = a + b;
    if !sum.is_finite() {
        return CallToolResult::error(format!("The sum of {} and {} is too large to represent.", show(a), show(b)));
    }
    CallToolResult::text(show(sum)).with_structured(json!({ "sum": number(sum) }))
}

/// Integers as JSON integers (`5`, not `5.0`), like the text.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < EXACT {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// `{"sum": number}`.
pub const OUTPUT_SCHEMA: &str = r#"{
    "type": "object",
    "properties": { "sum": { "type": "number", "description": "a + b" } },
    "required": ["sum"],
    "additionalProperties": false
}"#;

/// Exact integers without ".0"; other numbers in shortest round-trip form ("0.1", "2e+300") by
/// serde_json's formatter, which the Worker links anyway (core's float formatting is larger).
const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact

fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < EXACT {
        format!("{}", n as i64)
    } else {
        serde_json::Number::from_f64(n).map(|v| v.to_string()).unwrap_or_else(|| "not a finite number".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::args::validate;
    use crate::tools::registry::find;
    use serde_json::{json, Value};

    fn sum(a: Value, b: Value) -> CallToolResult {
        let args = validate(find("add").unwrap(), Some(json!({"a": a, "b": b}))).unwrap();
        run(args.add().unwrap())
    }

    #[test]
    fn sums_integers_without_decimal_point() {
        assert_eq!(sum(json!(2), json!(3)).first_text(), "5");
        assert_eq!(sum(json!(2.5), json!(0.5)).first_text(), "3");
        assert_eq!(sum(json!(-0.0), json!(0)).first_text(), "0");
        assert_eq!(sum(json!(-7), json!(2)).first_text(), "-5");
        assert_eq!(sum(json!(9007199254740991_i64), json!(0)).first_text(), "9007199254740991");
    }

    #[test]
    fn sums_fractions_and_large_numbers() {
        assert_eq!(sum(json!(0.1), json!(0.2)).first_text(), "0.30000000000000004");
        assert_eq!(sum(json!(1.5), json!(1)).first_text(), "2.5");
        assert_eq!(sum(json!(1e300), json!(1e300)).first_text(), "2e+300");
        assert_eq!(sum(json!(1e-7), json!(5e-8)).first_text(), "1.5e-7");
        assert_eq!(sum(json!(1e20), json!(1e20)).first_text(), "2e+20");
    }

    #[test]
    fn the_sum_is_also_structured_content_matching_the_output_schema() {
        let r = sum(json!(2.5), json!(-1));
        assert_eq!(r.structured_content, Some(json!({"sum": 1.5})));
        assert_eq!(serde_json::to_string(&sum(json!(2), json!(3)).structured_content).unwrap(), r#"{"sum":5}"#);
        let schema = super::super::registry::find("add").and_then(|t| t.output_schema_value()).unwrap_or_default();
        assert_eq!(schema["required"], json!(["sum"]));
        assert_eq!(schema["properties"]["sum"]["type"], "number");
    }

    #[test]
    fn overflow_is_a_tool_error() {
        let r = sum(json!(1.7e308), json!(1.7e308));
        assert!(r.is_error && r.structured_content.is_none());
        assert_eq!(r.first_text(), "The sum of 1.7e+308 and 1.7e+308 is too large to represent.");
    }
}
