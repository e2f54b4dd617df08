//! `nslab run`'s face of the driver for output that is not a learner's
//! screen (`--yes`, a pipe, `--format json`): renders events as words or JSON
//! Lines (`report::Reporter`). When built `interactive` it asks before each
//! step and after a failure (`term`); `nslab run` gives a learner at a
//! terminal `ui::face::TerminalFace` instead.

use std::io::Write;

use super::RunOptions;
use super::driver::{Decision, Face};
use super::event::{Event, SkipReason, StepResult};
use super::report::Reporter;
use super::term;
use crate::lesson::{Lesson, Step};

/// The terminal (or a pipe, for `--yes` and `--format json`).
pub struct Terminal<W: Write> {
    out: Reporter<W>,
    interactive: bool,
    color: bool,
    /// The first error writing the output (a closed pipe): the run goes on,
    /// and the caller reports it.
    pub write_error: Option<std::io::Error>,
}

impl<W: Write> Terminal<W> {
    /// A face writing to `out`, asking the learner when `opts.interactive`.
    pub fn new(out: W, opts: &RunOptions) -> Self {
        Terminal { out: Reporter::new(out, opts.format, opts.color), interactive: opts.interactive, color: opts.color, write_error: None }
    }
}

fn choice(c: term::Choice) -> Decision {
    match c {
        term::Choice::Run => Decision::Run,
        term::Choice::Skip => Decision::Skip,
        term::Choice::Quit => Decision::Quit,
    }
}

impl<W: Write> Face for Terminal<W> {
    fn event(&mut self, event: &Event) {
        if self.write_error.is_none()
            && let Err(e) = self.out.event(event)
        {
            self.write_error = Some(e);
        }
    }

    fn attended(&self) -> bool {
        self.interactive
    }

    fn before_step(&mut self, lesson: &Lesson, step: &Step) -> Decision {
        choice(term::before_step(lesson, step, self.color))
    }

    fn after_failure(&mut self, _lesson: &Lesson, step: &Step, result: &StepResult) -> Decision {
        choice(term::after_failure(step, &result.hints, self.color))
    }

    fn unmet(&mut self, lesson: &Lesson, step: &Step, why: &SkipReason) -> Decision {
        let SkipReason::Needs { step: setup, .. } = why else { return Decision::Skip };
        let text = format!("  {why}.\n  [Enter] run {setup} now  [s] skip {}  [q] quit ", step.id);
        let _ = lesson;
        match term::ask(&text) {
            term::Choice::Run => Decision::Run,
            term::Choice::Skip => Decision::Skip,
            term::Choice::Quit => Decision::Quit,
        }
    }
}
