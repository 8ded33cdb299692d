//! What a tool reports while it runs: progress (when the client asked for it with a progress
//! token) and log messages (at or above the client's logging level). The MCP core turns them
//! into `notifications/progress` and `notifications/message`, sent before the result on the
//! request's own event stream.
use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;

/// MCP logging levels (RFC 5424 severities), least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    /// Sent unless a client asks otherwise: a plain call stays a plain JSON answer.
    #[default]
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl LogLevel {
    pub const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    pub fn parse(s: &str) -> Option<LogLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }
}

/// One report, in the order it was made.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Progress { progress: f64, total: Option<f64>, message: Option<String> },
    Log { level: LogLevel, data: Value },
}

/// Collects a request's reports. Progress is kept only when the client sent a progress token;
/// log messages only at or above `min_level` (`None`: logging off).
#[derive(Debug, Default)]
pub struct Notices {
    wants_progress: bool,
    min_level: Option<LogLevel>,
    sent: RefCell<Vec<Notice>>,
}

impl Notices {
    pub fn new(wants_progress: bool, min_level: Option<LogLevel>) -> Notices {
        Notices { wants_progress, min_level, sent: RefCell::default() }
    }

    /// Nothing is kept (requests that cannot stream).
    pub fn none() -> Notices {
        Notices::default()
    }

    pub fn progress(&self, progress: f64, total: Option<f64>, message: impl Into<String>) {
        if self.wants_progress {
            let message = Some(message.into()).filter(|m| !m.is_empty());
            self.sent.borrow_mut().push(Notice::Progress { progress, total, message });
        }
    }

    pub fn log(&self, level: LogLevel, data: impl Into<Value>) {
        if self.min_level.is_some_and(|min| level >= min) {
            self.sent.borrow_mut().push(Notice::Log { level, data: data.into() });
        }
    }

    pub fn take(&self) -> Vec<Notice> {
        self.sent.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_when_asked_and_logs_only_at_or_above_the_level() {
        let n = Notices::new(false, Some(LogLevel::Warning));
        n.progress(1.0, Some(2.0), "half");
        n.log(LogLevel::Info, "quiet");
        n.log(LogLevel::Error, "loud");
        assert_eq!(n.take(), vec![Notice::Log { level: LogLevel::Error, data: "loud".into() }]);
        let n = Notices::new(true, None);
        n.progress(1.0, None, "");
        n.log(LogLevel::Emergency, "off");
        assert_eq!(n.take(), vec![Notice::Progress { progress: 1.0, total: None, message: None }]);
        assert!(n.take().is_empty(), "taken once");
    }

    #[test]
    fn levels_parse_and_order_as_rfc_5424() {
        assert_eq!(LogLevel::parse("warning"), Some(LogLevel::Warning));
        assert_eq!(LogLevel::parse("WARNING"), None);
        assert_eq!(LogLevel::parse("warn"), None);
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Alert < LogLevel::Emergency);
        assert_eq!(serde_json::to_value(LogLevel::Critical).unwrap(), "critical");
    }
}
