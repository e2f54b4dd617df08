//! What the server and a session's worker say to each other, one JSON object
//! a line: requests on the worker's stdin; on its stdout, the driver's events
//! (`run::event::Event`, as `nslab run --format json` writes them) mixed with
//! the worker's own lines, which carry a `worker` key instead of `event`.
//! Both are read back with serde.

use serde::{Deserialize, Serialize};

use crate::run::report::TableRow;

/// What the page can ask of a step. Nothing here names a command: the worker
/// only ever runs steps of the lesson it was started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Run a step (after the earlier ones, replayed quietly if they have not
    /// run in this session); for an exercise, set its scene and open it.
    Run,
    /// Skip a step, as the learner may at a terminal.
    Skip,
    /// Verify an exercise now (opening it first if needed).
    Check,
}

impl Op {
    /// Its name, as in the URL path.
    pub fn name(self) -> &'static str {
        match self {
            Op::Run => "run",
            Op::Skip => "skip",
            Op::Check => "check",
        }
    }
}

/// A request to the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// A number the worker echoes, to tell this request's lines apart.
    pub id: u64,
    /// What to do.
    pub op: Op,
    /// The step's id.
    pub step: String,
}

/// A line of the worker's own (not one of the runner's events).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "worker", rename_all = "snake_case")]
pub enum WorkerLine {
    /// The lab is up; requests are read from now on.
    Ready,
    /// The lines up to `Done` with the same id answer request `id`.
    Begin {
        /// The request's id.
        id: u64,
    },
    /// Request `id` is answered; `error` says why it could not be done.
    Done {
        /// The request's id.
        id: u64,
        /// Why the request was refused, if it was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// What the terminal shows besides the event: the namespace table,
    /// hints, an lsns listing. Follows a step's finishing event.
    View(StepView),
    /// An exercise is open: the learner may attach a shell to the lab.
    Exercise {
        /// The step's id.
        step: String,
        /// A command line that opens a shell in the lab, with `check` on its PATH.
        attach: String,
    },
}

/// The presentation of a finished step that its JSON event does not carry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StepView {
    /// The step's id.
    pub step: String,
    /// The table's columns: the namespace kinds, in order.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The process × kind table, as `nslab run` prints it.
    #[serde(default)]
    pub table: Vec<TableRow>,
    /// Hints (computed ones first, for exercises), shown on failure.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Output to show the learner (an lsns listing).
    #[serde(default)]
    pub display: Option<String>,
}

/// A line from the worker, classified.
#[derive(Debug, Clone)]
pub enum Line {
    /// One of the runner's events, parsed, and exactly as `nslab run --format
    /// json` writes it.
    Report(Box<crate::run::event::Event>, String),
    /// One of the worker's own lines, parsed, and as it came.
    Worker(WorkerLine, String),
}

impl Line {
    /// Classifies a line; `None` for anything that is neither.
    pub fn parse(text: &str) -> Option<Line> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        if value.get("event").is_some() {
            return serde_json::from_value(value).ok().map(|e| Line::Report(Box::new(e), text.to_string()));
        }
        serde_json::from_value(value).ok().map(|w| Line::Worker(w, text.to_string()))
    }
}

/// True for a lesson or step id as the lesson format allows them: lowercase
/// letters, digits, `-` and `_`, starting with a letter or digit, at most 64
/// bytes. Anything else (a command line, a path) is refused before lookup.
pub fn is_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for (s, ok) in [
            ("name-the-lab", true),
            ("a1_b", true),
            ("9x", true),
            ("", false),
            ("-x", false),
            ("Name", false),
            ("rm -rf /", false),
            ("../etc", false),
            ("x;id", false),
            (&"a".repeat(65), false),
        ] {
            assert_eq!(is_id(s), ok, "{s:?}");
        }
    }

    #[test]
    fn lines_are_classified() {
        let started = r#"{"event":"step_started","lesson":"l","step":"x","number":1,"total":2,"title":"X","action":"run: true"}"#;
        assert!(matches!(Line::parse(started), Some(Line::Report(e, _)) if matches!(*e, crate::run::event::Event::StepStarted { number: 1, .. })));
        assert!(Line::parse(r#"{"event":"step_started","step":"x"}"#).is_none(), "an event without its fields is no event");
        assert!(Line::parse(r#"{"event":"no_such_event"}"#).is_none());
        assert!(matches!(Line::parse(r#"{"worker":"done","id":3}"#), Some(Line::Worker(WorkerLine::Done { id: 3, error: None }, _))));
        assert!(matches!(Line::parse(r#"{"worker":"ready"}"#), Some(Line::Worker(WorkerLine::Ready, _))));
        assert!(Line::parse("not json").is_none());
        assert!(Line::parse(r#"{"worker":"nonsense"}"#).is_none());
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let ok: Request = serde_json::from_str(r#"{"id":1,"op":"run","step":"a"}"#).unwrap();
        assert_eq!(ok.op, Op::Run);
        assert!(serde_json::from_str::<Request>(r#"{"id":1,"op":"run","step":"a","command":"id"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"id":1,"op":"exec","step":"a"}"#).is_err());
    }
}
