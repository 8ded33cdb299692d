//! `generateImage`: Workers AI flux-1-schnell when the deployment has the AI binding; without
//! it (local dev, tests) a deterministic PNG rendered here, labelled as a local preview.
use super::{preview, CallToolResult, Content};
use super::{LogLevel, Notices, ToolEnv};
use crate::b64::STANDARD;

/// `generateImage`'s arguments, once validated (1–2000 characters; 4–8 steps, 4 by default).
#[derive(Debug)]
pub struct GenerateImageArgs {
    pub prompt: String,
    pub steps: u32,
}

pub async fn run<E: ToolEnv>(
    env: &E,
    GenerateImageArgs { prompt, steps }: GenerateImageArgs,
    notices: &Notices,
) -> CallToolResult {
    if prompt.trim().is_empty() {
        return CallToolResult::error(
            "Invalid arguments for generateImage: \"prompt\" must describe the image; it is blank.",
        );
    }
    notices.progress(0.0, Some(1.0), format!("generating the image ({steps} steps)"));
    let generated = env.generate_image(&prompt, steps).await;
    let (level, line) = match &generated {
        Some(Ok(_)) => (LogLevel::Info, format!("Workers AI (flux-1-schnell) generated the image in {steps} steps")),
        Some(Err(reason)) => (LogLevel::Error, format!("Workers AI failed: {reason}")),
        None => (LogLevel::Notice, "no Workers AI binding here: rendering a local preview".to_string()),
    };
    notices.log(level, line);
    notices.progress(1.0, Some(1.0), "done");
    match generated {
        Some(Ok(image)) if !image.base64.is_empty() => {
            CallToolResult::success(vec![Content::image(image.base64, image.mime_type)])
        }
        Some(Ok(_)) => {
            CallToolResult::error("Image generation failed: Workers AI returned no image. Please try again.")
        }
        Some(Err(reason)) => {
            CallToolResult::error(format!("Image generation failed: {reason}. Please try again shortly."))
        }
        None => local_preview(&prompt, steps),
    }
}

fn local_preview(prompt: &str, steps: u32) -> CallToolResult {
    match preview::render(prompt, steps) {
        Ok(png) => CallToolResult::success(vec![
            Content::image(STANDARD.encode(png), "image/png"),
            Content::text(format!(
                "Local preview: the Workers AI binding is not configured here, so this image was rendered locally \
from your prompt ({steps} steps) as a deterministic pattern, not by the flux-1-schnell model. Deploy with the AI \
binding to generate real images."
            )),
        ]),
        Err(_) => CallToolResult::error("Image generation failed: the local preview could not be rendered."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::args::validate;
    use crate::tools::registry::find;
    use crate::tools::testing::ScriptedEnv;
    use crate::tools::GeneratedImage;
    use futures_executor::block_on;
    use serde_json::{json, Value};

    fn args(v: Value) -> GenerateImageArgs {
        validate(find("generateImage").unwrap(), Some(v)).unwrap().generate_image().unwrap()
    }

    fn wire(r: &CallToolResult) -> Value {
        serde_json::to_value(r).unwrap()
    }

    #[test]
    fn uses_workers_ai_when_bound() {
        let env =
            ScriptedEnv::with_ai(Ok(GeneratedImage { base64: "/9j/4AAQ".into(), mime_type: "image/jpeg".into() }));
        let r = block_on(run(&env, args(json!({"prompt": "a red fox", "steps": 8})), &Notices::none()));
        assert_eq!(env.calls(), vec!["generate_image(a red fox, 8)"]);
        assert_eq!(wire(&r), json!({"content": [{"type": "image", "data": "/9j/4AAQ", "mimeType": "image/jpeg"}]}));
    }

    #[test]
    fn default_steps_is_four() {
        let env = ScriptedEnv::with_ai(Ok(GeneratedImage { base64: "x".into(), mime_type: "image/jpeg".into() }));
        block_on(run(&env, args(json!({"prompt": "p"})), &Notices::none()));
        assert_eq!(env.calls(), vec!["generate_image(p, 4)"]);
    }

    #[test]
    fn ai_failures_are_tool_errors() {
        let env = ScriptedEnv::with_ai(Err("Workers AI could not generate the image right now".into()));
        let r = block_on(run(&env, args(json!({"prompt": "p"})), &Notices::none()));
        assert!(r.is_error);
        assert_eq!(
            r.first_text(),
            "Image generation failed: Workers AI could not generate the image right now. Please try again shortly."
        );
        let env = ScriptedEnv::with_ai(Ok(GeneratedImage { base64: String::new(), mime_type: "image/jpeg".into() }));
        assert!(block_on(run(&env, args(json!({"prompt": "p"})), &Notices::none())).is_error);
    }

    #[test]
    fn renders_a_labelled_png_preview_without_the_binding() {
        let env = ScriptedEnv::local();
        let r = block_on(run(&env, args(json!({"prompt": "a red fox", "steps": 6})), &Notices::none()));
        assert!(!r.is_error);
        let r = wire(&r);
        assert_eq!(env.calls(), vec!["generate_image(a red fox, 6)"]);
        assert_eq!(r["content"][0]["type"], "image");
        assert_eq!(r["content"][0]["mimeType"], "image/png");
        let png = STANDARD.decode(r["content"][0]["data"].as_str().unwrap_or_default()).unwrap_or_default();
        assert_eq!(png, preview::render("a red fox", 6).unwrap_or_default());
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(r["content"][1]["type"], "text");
        assert!(r["content"][1]["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Local preview: the Workers AI binding is not configured here"));
    }

    #[test]
    fn blank_prompts_are_refused_before_any_work() {
        let env = ScriptedEnv::local();
        let r = block_on(run(&env, args(json!({"prompt": "   \n"})), &Notices::none()));
        assert!(r.is_error);
        assert!(env.calls().is_empty());
    }

    #[test]
    fn reports_progress_and_a_log_line_when_asked() {
        use crate::tools::Notice;
        let notices = Notices::new(true, Some(LogLevel::Info));
        let r = block_on(run(&ScriptedEnv::local(), args(json!({"prompt": "p"})), &notices));
        assert!(!r.is_error);
        let sent = notices.take();
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert!(matches!(&sent[0], Notice::Progress { progress, total: Some(t), .. } if *progress == 0.0 && *t == 1.0));
        assert!(
            matches!(&sent[1], Notice::Log { level: LogLevel::Notice, data } if data.as_str().is_some_and(|d| d.contains("local preview")))
        );
        assert!(matches!(&sent[2], Notice::Progress { progress, .. } if *progress == 1.0));
        let quiet = Notices::new(false, Some(LogLevel::Warning));
        block_on(run(&ScriptedEnv::local(), args(json!({"prompt": "p"})), &quiet));
        assert!(quiet.take().is_empty(), "no token, and a notice is below warning");
    }
}
