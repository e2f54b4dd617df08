//! What happens in a lesson run, as data. The driver ([`super::driver`])
//! emits one [`Event`] for everything that happens; every face renders the
//! same events: the terminal (`report::Reporter`), `--format json` (one event
//! a line, exactly its serde form), JUnit (from the [`LessonResult`] the
//! events add up to) and `nslab serve`'s worker, which writes them on its
//! pipe for the server to parse back with serde.

use serde::{Deserialize, Serialize};

use super::exec::CommandResult;
use super::observe::Snapshot;
use super::verify::Verdict;

/// One thing that happened in a lesson run. Its JSON form carries the kind in
/// an `event` key: `{"event":"step_passed", …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A lesson begins.
    LessonStarted {
        /// The lesson's id.
        lesson: String,
        /// Its title.
        title: String,
        /// The file it came from.
        path: String,
        /// How many steps it has.
        steps: usize,
    },
    /// A lesson cannot run on this machine (or its lab could not be set up).
    LessonCannotRun {
        /// The lesson's id.
        lesson: String,
        /// Why, in the doctor's words, with the fix.
        reason: String,
    },
    /// A step begins (not sent for steps replayed quietly).
    StepStarted {
        /// The lesson's id.
        lesson: String,
        /// The step's id.
        step: String,
        /// Its 1-based number.
        number: usize,
        /// How many steps the lesson has.
        #[serde(default)]
        total: usize,
        /// Its title, or its id.
        title: String,
        /// The action, as written.
        action: String,
    },
    /// A step ended and every expectation held.
    StepPassed(StepReport),
    /// A step ended and something failed (or could not be judged).
    StepFailed(StepReport),
    /// A step was not run, and why.
    StepSkipped(StepReport),
    /// A step replayed quietly (for `--from`, or to go back) did not pass: its
    /// own `step_failed` or `step_skipped` follows.
    ReplayFailed {
        /// The lesson's id.
        lesson: String,
        /// The replayed step's id.
        step: String,
        /// The step the replay was to reach.
        target: String,
    },
    /// The lab was set up afresh, to go back to an earlier step.
    LabReset {
        /// The lesson's id.
        lesson: String,
        /// The step the run goes back to.
        step: String,
    },
    /// `--record` rewrote output expectations in the lesson's file.
    Recorded {
        /// The lesson's id.
        lesson: String,
        /// The file rewritten.
        path: String,
        /// How many expectations were rewritten.
        count: usize,
    },
    /// A lesson ended.
    LessonFinished {
        /// The lesson's id.
        lesson: String,
        /// Steps that passed.
        passed: usize,
        /// Steps that failed.
        failed: usize,
        /// Steps not run.
        skipped: usize,
        /// True when the run was interrupted (SIGINT/SIGTERM).
        interrupted: bool,
        /// True when the learner quit.
        #[serde(default)]
        quit: bool,
        /// Total time, in milliseconds.
        duration_ms: u64,
    },
}

impl Event {
    /// The event for a finished step: passed, failed or skipped by its outcome.
    pub fn step_finished(lesson: &str, result: StepResult) -> Event {
        let report = StepReport { lesson: lesson.to_string(), result };
        match report.result.outcome {
            StepOutcome::Passed => Event::StepPassed(report),
            StepOutcome::Failed => Event::StepFailed(report),
            StepOutcome::Skipped(_) => Event::StepSkipped(report),
        }
    }

    /// The finished step this event reports, if it reports one.
    pub fn step_result(&self) -> Option<&StepResult> {
        match self {
            Event::StepPassed(r) | Event::StepFailed(r) | Event::StepSkipped(r) => Some(&r.result),
            _ => None,
        }
    }

    /// The lesson this event is about.
    pub fn lesson(&self) -> &str {
        match self {
            Event::LessonStarted { lesson, .. }
            | Event::LessonCannotRun { lesson, .. }
            | Event::StepStarted { lesson, .. }
            | Event::ReplayFailed { lesson, .. }
            | Event::LabReset { lesson, .. }
            | Event::Recorded { lesson, .. }
            | Event::LessonFinished { lesson, .. } => lesson,
            Event::StepPassed(r) | Event::StepFailed(r) | Event::StepSkipped(r) => &r.lesson,
        }
    }
}

/// A finished step, with the lesson it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    /// The lesson's id.
    pub lesson: String,
    /// The step's result.
    #[serde(flatten)]
    pub result: StepResult,
}

/// How a step ended.
///
/// In JSON: `"outcome": "passed" | "failed" | "skipped"`; a skipped step also
/// has `"reason"` (in words) and `"skip"` (the same, as data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "OutcomeWire", from = "OutcomeWire")]
pub enum StepOutcome {
    /// Every expectation held.
    Passed,
    /// Some expectation failed or could not be judged, or the action could
    /// not be performed.
    Failed,
    /// Not run, and why.
    Skipped(SkipReason),
}

impl StepOutcome {
    /// The outcome's kind, without the reason.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            StepOutcome::Passed => OutcomeKind::Passed,
            StepOutcome::Failed => OutcomeKind::Failed,
            StepOutcome::Skipped(_) => OutcomeKind::Skipped,
        }
    }
}

/// Passed, failed or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// Every expectation held.
    Passed,
    /// Something failed.
    Failed,
    /// Not run.
    Skipped,
}

impl std::fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutcomeKind::Passed => "passed",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Skipped => "skipped",
        })
    }
}

#[derive(Serialize, Deserialize)]
struct OutcomeWire {
    outcome: OutcomeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    skip: Option<SkipReason>,
}

impl From<StepOutcome> for OutcomeWire {
    fn from(o: StepOutcome) -> OutcomeWire {
        let outcome = o.kind();
        match o {
            StepOutcome::Skipped(why) => OutcomeWire { outcome, reason: Some(why.to_string()), skip: Some(why) },
            _ => OutcomeWire { outcome, reason: None, skip: None },
        }
    }
}

impl From<OutcomeWire> for StepOutcome {
    fn from(w: OutcomeWire) -> StepOutcome {
        match w.outcome {
            OutcomeKind::Passed => StepOutcome::Passed,
            OutcomeKind::Failed => StepOutcome::Failed,
            OutcomeKind::Skipped => StepOutcome::Skipped(w.skip.unwrap_or(SkipReason::Other { text: w.reason.unwrap_or_default() })),
        }
    }
}

/// Why a step was not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum SkipReason {
    /// The learner chose to skip it.
    Learner,
    /// An earlier step failed and `--fail-fast` was given.
    FailFast {
        /// The first step that failed.
        failed: String,
    },
    /// It uses a name (a process, a pin, a capture) that an earlier step was
    /// to set up, and that step failed or was skipped: run it first.
    Needs {
        /// The name it uses.
        name: String,
        /// The step that sets it up.
        step: String,
        /// What became of that step.
        setup: Setup,
    },
    /// It runs a program (`needs:`) that is not installed where the lab
    /// looks for programs.
    Program {
        /// The program's name.
        name: String,
    },
    /// A reason given in words only (from an older worker).
    Other {
        /// The reason.
        text: String,
    },
}

/// What became of a step another one needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setup {
    /// It ran and failed.
    Failed,
    /// It was skipped.
    Skipped,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Learner => f.write_str(&crate::t!("skip-learner")),
            SkipReason::FailFast { .. } => f.write_str(&crate::t!("skip-fail-fast")),
            SkipReason::Needs { name, step, setup: Setup::Failed } => f.write_str(&crate::t!("skip-needs-failed", name = name.as_str(), step = step.as_str())),
            SkipReason::Needs { name, step, setup: Setup::Skipped } => {
                f.write_str(&crate::t!("skip-needs-skipped", name = name.as_str(), step = step.as_str()))
            }
            SkipReason::Program { name } => match crate::lesson::tools::package(name) {
                Some((deb, rpm)) => f.write_str(&crate::t!("skip-program-package", name = name.as_str(), deb = deb, rpm = rpm)),
                None => f.write_str(&crate::t!("skip-program", name = name.as_str())),
            },
            SkipReason::Other { text } => f.write_str(text),
        }
    }
}

/// One step's result, as data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// The step's id.
    pub step: String,
    /// Its 1-based number.
    pub number: usize,
    /// Its title, or its id.
    pub title: String,
    /// The action, as written.
    pub action: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: StepOutcome,
    /// The action's error, if it could not be performed.
    pub error: Option<String>,
    /// Each expectation's verdict.
    pub verdicts: Vec<Verdict>,
    /// The command's result, for command steps.
    pub command: Option<CommandResult>,
    /// The namespaces observed before the step.
    #[serde(skip)]
    pub before: Option<Snapshot>,
    /// The namespaces observed after the step.
    pub observed: Option<Snapshot>,
    /// Hints of the step, shown on failure.
    #[serde(skip)]
    pub hints: Vec<String>,
    /// Output to show the learner (an lsns listing).
    #[serde(skip)]
    pub display: Option<String>,
    /// How long the step took, in milliseconds.
    pub duration_ms: u64,
    /// nslab's own share of the step, in microseconds: the whole step minus
    /// the time its command ran (for benchmarks).
    pub overhead_us: u64,
}

impl StepResult {
    /// A result for `step` with `outcome` and nothing observed yet.
    pub fn new(step: &crate::lesson::Step, outcome: StepOutcome) -> StepResult {
        StepResult {
            step: step.id.clone(),
            number: step.number,
            title: step.display_title().to_string(),
            action: step.action.value.to_string(),
            outcome,
            error: None,
            verdicts: Vec::new(),
            command: None,
            before: None,
            observed: None,
            hints: step.hints.clone(),
            display: None,
            duration_ms: 0,
            overhead_us: 0,
        }
    }

    /// The result of a step that was not run, and why.
    pub fn skipped(step: &crate::lesson::Step, why: SkipReason) -> StepResult {
        StepResult { hints: Vec::new(), ..StepResult::new(step, StepOutcome::Skipped(why)) }
    }

    /// What failed, in words: the action's error, then each expectation that
    /// did not hold (or could not be judged) with what was observed.
    pub fn failure_text(&self) -> String {
        let mut lines: Vec<String> = self.error.iter().map(|e| format!("the action failed: {e}")).collect();
        for v in self.verdicts.iter().filter(|v| !v.holds()) {
            lines.push(format!("expected: {}\n{}: {}", v.expected, if v.is_unknown() { "unknown" } else { "observed" }, v.observed));
        }
        lines.join("\n")
    }

    /// The summary the coordinator keeps of this step.
    pub fn summary(&self) -> StepSummary {
        let message = match &self.outcome {
            StepOutcome::Passed => None,
            StepOutcome::Failed => Some(self.failure_text()),
            StepOutcome::Skipped(why) => Some(why.to_string()),
        };
        StepSummary { id: self.step.clone(), outcome: self.outcome.kind(), message, duration_ms: self.duration_ms }
    }
}

/// A lesson's result, as data (sent from the worker to the coordinator).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LessonResult {
    /// The lesson's id.
    pub lesson: String,
    /// Its title.
    pub title: String,
    /// The file it came from.
    pub path: String,
    /// Per step: id, outcome, failure text.
    pub steps: Vec<StepSummary>,
    /// Why it could not run on this machine, if so.
    pub cannot_run: Option<String>,
    /// True when the run was interrupted (SIGINT/SIGTERM).
    pub interrupted: bool,
    /// True when the learner quit.
    pub quit: bool,
    /// Total time, in milliseconds.
    pub duration_ms: u64,
    /// The worker's peak resident memory, in KiB.
    #[serde(default)]
    pub worker_peak_kib: u64,
    /// Why the worker could not write its report (a closed pipe), if so.
    #[serde(default)]
    pub write_error: Option<String>,
    /// The learner asked (`b`, `g` at the terminal) to start the lesson
    /// over from this step, in a fresh lab, the steps before it replayed quietly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<String>,
    /// The learner asked (`g` at the terminal) to go to this lesson instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_lesson: Option<String>,
}

/// One step, as the coordinator needs it for JUnit and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSummary {
    /// The step's id.
    pub id: String,
    /// Passed, failed or skipped.
    pub outcome: OutcomeKind,
    /// What failed, or why it was skipped.
    pub message: Option<String>,
    /// Time taken, in milliseconds.
    pub duration_ms: u64,
}

impl LessonResult {
    /// Counts of passed, failed and skipped steps.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |w: OutcomeKind| self.steps.iter().filter(|s| s.outcome == w).count();
        (n(OutcomeKind::Passed), n(OutcomeKind::Failed), n(OutcomeKind::Skipped))
    }

    /// The event that ends this lesson.
    pub fn finished_event(&self) -> Event {
        let (passed, failed, skipped) = self.counts();
        Event::LessonFinished {
            lesson: self.lesson.clone(),
            passed,
            failed,
            skipped,
            interrupted: self.interrupted,
            quit: self.quit,
            duration_ms: self.duration_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_through_json() {
        for o in [
            StepOutcome::Passed,
            StepOutcome::Failed,
            StepOutcome::Skipped(SkipReason::Learner),
            StepOutcome::Skipped(SkipReason::FailFast { failed: "a".into() }),
            StepOutcome::Skipped(SkipReason::Needs { name: "box".into(), step: "start".into(), setup: Setup::Skipped }),
        ] {
            let text = serde_json::to_string(&o).unwrap();
            assert_eq!(serde_json::from_str::<StepOutcome>(&text).unwrap(), o, "{text}");
        }
        let text = serde_json::to_string(&StepOutcome::Skipped(SkipReason::Learner)).unwrap();
        assert_eq!(text, r#"{"outcome":"skipped","reason":"skipped by the learner","skip":{"why":"learner"}}"#);
    }

    #[test]
    fn events_round_trip_with_their_tag() {
        let step = StepResult {
            step: "s".into(),
            number: 1,
            title: "S".into(),
            action: "run: true".into(),
            outcome: StepOutcome::Skipped(SkipReason::Needs { name: "box".into(), step: "start".into(), setup: Setup::Failed }),
            error: None,
            verdicts: Vec::new(),
            command: None,
            before: None,
            observed: None,
            hints: Vec::new(),
            display: None,
            duration_ms: 3,
            overhead_us: 4,
        };
        let e = Event::step_finished("l", step);
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.starts_with(r#"{"event":"step_skipped","lesson":"l","step":"s""#), "{text}");
        assert!(text.contains(r#""reason":"depends on box, which a failed step (start) was to set up""#), "{text}");
        let back: Event = serde_json::from_str(&text).unwrap();
        let r = back.step_result().unwrap();
        assert_eq!(r.outcome, StepOutcome::Skipped(SkipReason::Needs { name: "box".into(), step: "start".into(), setup: Setup::Failed }));
        assert_eq!((r.duration_ms, back.lesson()), (3, "l"));
        let f: Event =
            serde_json::from_str(r#"{"event":"lesson_finished","lesson":"l","passed":1,"failed":0,"skipped":2,"interrupted":false,"duration_ms":9}"#).unwrap();
        assert!(matches!(f, Event::LessonFinished { passed: 1, skipped: 2, quit: false, .. }));
    }
}
