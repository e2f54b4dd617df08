//! The lesson driver: one state machine for a lesson run, used by every face —
//! the terminal, `--yes`, `--format json`, JUnit and `nslab serve`'s worker —
//! so they cannot disagree. [`LessonRun`] owns the step order, what a skipped
//! or failed step means for the steps that use what it was to set up,
//! `--fail-fast`, replaying earlier steps quietly (for `--from`, for a step
//! the page runs out of order, and for going back), and the lesson's
//! progress. It never prints: it emits [`Event`]s, and asks a [`Face`] for
//! the learner's decisions. It reaches the kernel only through a [`Lab`].

use std::time::{Duration, Instant};

use super::RunOptions;
use super::event::{Event, LessonResult, OutcomeKind, Setup, SkipReason, StepOutcome, StepResult, StepSummary};
use super::exercise::Mode;
use super::lab::{self, Lab};
use super::observe::Want;
use super::verify::{self, Evidence, Verdict};
use crate::lesson::{Expectation, Lesson, Step, StepKind};

/// What the learner decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the step (before it), retry it (after a failure), or run the
    /// skipped step it needs (when it needs one).
    Run,
    /// Skip it (before it), or go on (after a failure).
    Skip,
    /// Go back to the step with this id: the lab starts afresh and the steps
    /// before it are replayed quietly.
    Back(String),
    /// Stop the lesson, cleanly.
    Quit,
}

/// A face of the driver: renders its events and, when someone is there to
/// ask, hands back the learner's decisions. The defaults are those of a run
/// nobody attends (`--yes`, CI): run every step, go on after a failure.
pub trait Face {
    /// Renders one event.
    fn event(&mut self, event: &Event);

    /// True when a learner is at this face: exercises open their shell, and
    /// the driver asks before steps.
    fn attended(&self) -> bool {
        false
    }

    /// Before `step`: run it, skip it, go back, or quit.
    fn before_step(&mut self, _lesson: &Lesson, _step: &Step) -> Decision {
        Decision::Run
    }

    /// After `step` failed: retry it, go on, go back, or quit.
    fn after_failure(&mut self, _lesson: &Lesson, _step: &Step, _result: &StepResult) -> Decision {
        Decision::Skip
    }

    /// `step` needs what a skipped step sets up (`why`): run that step now
    /// ([`Decision::Run`]), skip this one, or quit.
    fn unmet(&mut self, _lesson: &Lesson, _step: &Step, _why: &SkipReason) -> Decision {
        Decision::Skip
    }
}

/// A lesson being run in a lab.
pub struct LessonRun<'l, L: Lab> {
    lesson: &'l Lesson,
    lab: L,
    opts: RunOptions,
    /// How each step last ended in this lab; `None`: not run in it.
    state: Vec<Option<OutcomeKind>>,
    /// Each step's latest summary, for the lesson's result.
    summaries: Vec<Option<StepSummary>>,
    first_failure: Option<String>,
    recorder: Option<super::record::Recorder>,
    started: Instant,
    quit: bool,
    interrupted: bool,
}

impl<'l, L: Lab> LessonRun<'l, L> {
    /// A run of `lesson` in `lab`, nothing done yet.
    pub fn new(lesson: &'l Lesson, lab: L, opts: RunOptions) -> Self {
        let n = lesson.steps.len();
        let recorder = opts.record.then(|| super::record::Recorder::new(lesson));
        LessonRun {
            lesson,
            lab,
            opts,
            state: vec![None; n],
            summaries: vec![None; n],
            first_failure: None,
            recorder,
            started: Instant::now(),
            quit: false,
            interrupted: false,
        }
    }

    /// The lesson.
    pub fn lesson(&self) -> &'l Lesson {
        self.lesson
    }

    /// The lab.
    pub fn lab(&self) -> &L {
        &self.lab
    }

    /// The lab, to change.
    pub fn lab_mut(&mut self) -> &mut L {
        &mut self.lab
    }

    /// The options it runs with.
    pub fn options(&self) -> &RunOptions {
        &self.opts
    }

    /// The index of the step with id `id`.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.lesson.steps.iter().position(|s| s.id == id)
    }

    /// How step `i` last ended in this lab, if it ran (or was skipped).
    pub fn outcome(&self, i: usize) -> Option<OutcomeKind> {
        self.state.get(i).copied().flatten()
    }

    /// The event that opens the lesson.
    pub fn started_event(&self) -> Event {
        let l = self.lesson;
        Event::LessonStarted { lesson: l.meta.id.clone(), title: l.meta.title.clone(), path: l.source_path.display().to_string(), steps: l.steps.len() }
    }

    /// The event that opens step `i`.
    pub fn step_started(&self, i: usize) -> Event {
        let (l, s) = (self.lesson, &self.lesson.steps[i]);
        Event::StepStarted {
            lesson: l.meta.id.clone(),
            step: s.id.clone(),
            number: s.number,
            total: l.steps.len(),
            title: s.display_title().to_string(),
            action: s.action.value.to_string(),
        }
    }

    /// The step before `before` that last defines `name`.
    fn definer(&self, name: &str, before: usize) -> Option<usize> {
        (0..before.min(self.lesson.steps.len())).rev().find(|&j| self.lesson.steps[j].defines.iter().any(|d| d == name))
    }

    /// Why step `i` cannot run now: `--fail-fast` after a failure, or a name
    /// it uses whose step failed or was skipped.
    pub fn blocked(&self, i: usize) -> Option<SkipReason> {
        if self.opts.fail_fast
            && let Some(failed) = &self.first_failure
        {
            return Some(SkipReason::FailFast { failed: failed.clone() });
        }
        let step = &self.lesson.steps[i];
        if let Some(name) = step.needs.iter().find(|p| !installed(p)) {
            return Some(SkipReason::Program { name: name.clone() });
        }
        step.uses.iter().find_map(|name| {
            let j = self.definer(name, i)?;
            let setup = match self.state[j]? {
                OutcomeKind::Failed => Setup::Failed,
                OutcomeKind::Skipped => Setup::Skipped,
                OutcomeKind::Passed => return None,
            };
            Some(SkipReason::Needs { name: name.clone(), step: self.lesson.steps[j].id.clone(), setup })
        })
    }

    /// Records how step `i` ended and emits its event.
    pub fn report(&mut self, i: usize, result: StepResult, sink: &mut dyn FnMut(Event)) {
        self.note(i, &result);
        sink(Event::step_finished(&self.lesson.meta.id, result));
    }

    /// Records how step `i` ended, without an event (a quiet replay that passed).
    fn note(&mut self, i: usize, result: &StepResult) {
        let kind = result.outcome.kind();
        self.state[i] = Some(kind);
        self.summaries[i] = Some(result.summary());
        if kind == OutcomeKind::Failed {
            self.first_failure.get_or_insert_with(|| self.lesson.steps[i].id.clone());
        }
    }

    /// Runs, quietly, every step before `i` that has not run in this lab, as
    /// `--from` does: only what does not pass is reported. True when all passed.
    pub fn replay_to(&mut self, i: usize, sink: &mut dyn FnMut(Event)) -> bool {
        let mut all_passed = true;
        for j in 0..i.min(self.lesson.steps.len()) {
            if self.state[j].is_some() {
                continue;
            }
            if let Some(why) = self.blocked(j) {
                all_passed = false;
                self.report(j, StepResult::skipped(&self.lesson.steps[j], why), sink);
                continue;
            }
            let r = self.perform(j, true, false);
            if r.outcome == StepOutcome::Passed {
                self.note(j, &r);
            } else {
                all_passed = false;
                sink(Event::ReplayFailed { lesson: self.lesson.meta.id.clone(), step: r.step.clone(), target: self.lesson.steps[i].id.clone() });
                self.report(j, r, sink);
            }
        }
        all_passed
    }

    /// Runs step `i` now, after replaying the earlier steps that have not run
    /// in this lab; a step that cannot run is reported skipped, with why.
    pub fn run(&mut self, i: usize, sink: &mut dyn FnMut(Event)) -> StepOutcome {
        self.replay_to(i, sink);
        sink(self.step_started(i));
        let r = match self.blocked(i) {
            Some(why) => StepResult::skipped(&self.lesson.steps[i], why),
            None => self.perform(i, false, false),
        };
        let outcome = r.outcome.clone();
        self.report(i, r, sink);
        outcome
    }

    /// Skips step `i` at the learner's word.
    pub fn skip(&mut self, i: usize, sink: &mut dyn FnMut(Event)) {
        sink(self.step_started(i));
        self.report(i, StepResult::skipped(&self.lesson.steps[i], SkipReason::Learner), sink);
    }

    /// Goes back to step `i`: a fresh lab, and the steps before `i` replayed
    /// quietly. Step `i` and those after it count as not run.
    pub fn back(&mut self, i: usize, sink: &mut dyn FnMut(Event)) -> Result<(), String> {
        self.lab.reset()?;
        self.state.iter_mut().for_each(|s| *s = None);
        self.first_failure = None;
        sink(Event::LabReset { lesson: self.lesson.meta.id.clone(), step: self.lesson.steps[i].id.clone() });
        self.replay_to(i, sink);
        Ok(())
    }

    /// Runs the whole lesson in order, from `--from` if given (the steps
    /// before it replayed quietly), asking `face` before each step and after
    /// each failure when someone attends it.
    pub fn drive(&mut self, face: &mut dyn Face) {
        let n = self.lesson.steps.len();
        let from = self.opts.from.as_deref().and_then(|id| self.index(id)).unwrap_or(0);
        self.replay_to(from, &mut |e| face.event(&e));
        let mut i = from;
        while i < n {
            if interrupted() {
                self.interrupted = true;
                break;
            }
            if self.state[i].is_some() {
                i += 1;
                continue;
            }
            face.event(&self.step_started(i));
            let lesson = self.lesson;
            let step = &lesson.steps[i];
            if let Some(why) = self.blocked(i) {
                if let SkipReason::Needs { step: setup, setup: Setup::Skipped, .. } = &why
                    && face.attended()
                {
                    match face.unmet(self.lesson, step, &why) {
                        Decision::Run => {
                            if let Some(j) = self.index(setup) {
                                face.event(&self.step_started(j));
                                let r = self.perform(j, false, true);
                                self.report(j, r, &mut |e| face.event(&e));
                                continue;
                            }
                        }
                        Decision::Quit => {
                            self.quit = true;
                            break;
                        }
                        Decision::Back(id) => {
                            if self.go_back(&id, face, &mut i) {
                                continue;
                            }
                        }
                        Decision::Skip => {}
                    }
                }
                self.report(i, StepResult::skipped(step, why), &mut |e| face.event(&e));
                i += 1;
                continue;
            }
            if face.attended() {
                match face.before_step(self.lesson, step) {
                    Decision::Run => {}
                    Decision::Skip => {
                        self.report(i, StepResult::skipped(step, SkipReason::Learner), &mut |e| face.event(&e));
                        i += 1;
                        continue;
                    }
                    Decision::Back(id) => {
                        if self.go_back(&id, face, &mut i) {
                            continue;
                        }
                    }
                    Decision::Quit => {
                        self.quit = true;
                        break;
                    }
                }
            }
            loop {
                let r = self.perform(i, false, face.attended());
                let failed = r.outcome == StepOutcome::Failed;
                let kept = failed.then(|| r.clone());
                self.report(i, r, &mut |e| face.event(&e));
                let Some(r) = kept.filter(|_| face.attended() && !interrupted()) else { break };
                match face.after_failure(self.lesson, step, &r) {
                    Decision::Run => face.event(&self.step_started(i)),
                    Decision::Skip => break,
                    Decision::Back(id) => {
                        self.go_back(&id, face, &mut i);
                        break;
                    }
                    Decision::Quit => {
                        self.quit = true;
                        break;
                    }
                }
            }
            if self.quit {
                break;
            }
            if self.state[i].is_some() {
                i += 1;
            }
        }
    }

    /// Goes back to the step `id` before `*i`; false when there is no such step.
    fn go_back(&mut self, id: &str, face: &mut dyn Face, i: &mut usize) -> bool {
        let Some(j) = self.index(id).filter(|j| *j <= *i) else { return false };
        match self.back(j, &mut |e| face.event(&e)) {
            Ok(()) => {
                *i = j;
                true
            }
            Err(why) => {
                face.event(&Event::LessonCannotRun { lesson: self.lesson.meta.id.clone(), reason: format!("cannot start the lab afresh: {why}") });
                self.quit = true;
                false
            }
        }
    }

    /// Ends the run: tears the lab down, writes what `--record` collected,
    /// and emits the lesson's last event. Returns the lesson's result.
    pub fn finish(&mut self, sink: &mut dyn FnMut(Event)) -> LessonResult {
        if interrupted() {
            self.interrupted = true;
        }
        self.lab.teardown();
        let path = self.lesson.source_path.display().to_string();
        if let Some(rec) = self.recorder.take() {
            match rec.write() {
                Ok(count) => sink(Event::Recorded { lesson: self.lesson.meta.id.clone(), path: path.clone(), count }),
                Err(e) => eprintln!("nslab: cannot rewrite {path}: {e}"),
            }
        }
        let result = LessonResult {
            lesson: self.lesson.meta.id.clone(),
            title: self.lesson.meta.title.clone(),
            path,
            steps: self.summaries.iter().flatten().cloned().collect(),
            cannot_run: None,
            interrupted: self.interrupted,
            quit: self.quit,
            duration_ms: self.started.elapsed().as_millis() as u64,
            worker_peak_kib: 0,
            write_error: None,
            resume_at: None,
            open_lesson: None,
        };
        sink(result.finished_event());
        result
    }

    /// Performs step `i` (`quiet`: as part of a replay; `attended`: a learner
    /// works its exercise) and judges it. Emits nothing, records nothing.
    pub fn perform(&mut self, i: usize, quiet: bool, attended: bool) -> StepResult {
        let step = &self.lesson.steps[i];
        for file in &step.files {
            if let Err(e) = self.lab.place_file(&file.name, &file.text) {
                return StepResult { error: Some(e), ..StepResult::new(step, StepOutcome::Failed) };
            }
        }
        let mut r = if step.kind != StepKind::Exercise {
            run_step(&mut self.lab, step, &self.opts)
        } else {
            perform_exercise(&mut self.lab, self.lesson, step, &self.opts, attended && !quiet)
        };
        if let Some(rec) = self.recorder.as_mut() {
            rec.observe(step, r.command.as_ref());
            record_outputs(step, &mut r);
        }
        r
    }
}

/// True when `program` is an executable file in a folder of the PATH that
/// steps run with (the lab's system folders are the machine's, read-only).
fn installed(program: &str) -> bool {
    let path = super::sandbox::lab_env().into_iter().find(|(k, _)| k == "PATH").map(|(_, v)| v);
    crate::lesson::tools::locate(program, &crate::lesson::tools::search_path(path.as_deref())).is_some()
}

fn interrupted() -> bool {
    super::exec::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) != 0
}

/// In record mode, output expectations are being rewritten from what was
/// observed, so they hold by definition; a step fails only on the rest.
fn record_outputs(step: &Step, r: &mut StepResult) {
    for (v, e) in r.verdicts.iter_mut().zip(&step.expectations) {
        if !v.holds() && matches!(e.value, Expectation::Output { .. }) {
            *v = Verdict::judged(v.expected.clone(), true, "recorded".into());
        }
    }
    if r.error.is_none() && r.verdicts.iter().all(Verdict::holds) {
        r.outcome = StepOutcome::Passed;
    }
}

/// Runs an exercise: by the learner when `learner`, else with its reference
/// solution — or, for `check --solutions`, both ways round.
fn perform_exercise<L: Lab + ?Sized>(lab: &mut L, lesson: &Lesson, step: &Step, opts: &RunOptions, learner: bool) -> StepResult {
    if !opts.check_solutions {
        return lab.exercise(lesson, step, opts, if learner { Mode::Learner } else { Mode::Solution });
    }
    let unsolved = lab.exercise(lesson, step, opts, Mode::Nothing);
    let mut solved = lab.exercise(lesson, step, opts, Mode::Solution);
    let mut problems = Vec::new();
    if unsolved.outcome == StepOutcome::Passed {
        problems.push(crate::t!("unfair-passes-anyway"));
    }
    if solved.outcome != StepOutcome::Passed {
        let why: Vec<String> = solved.verdicts.iter().filter(|v| !v.holds()).map(|v| format!("{} ({})", v.expected, v.observed)).collect();
        problems.push(crate::t!("unfair-solution-fails", why = solved.error.clone().unwrap_or_else(|| why.join("; "))));
    }
    solved.outcome = if problems.is_empty() { StepOutcome::Passed } else { StepOutcome::Failed };
    solved.error = (!problems.is_empty()).then(|| problems.join("; and "));
    solved.display = Some(if problems.is_empty() { "fair: fails with nothing done, passes with the reference solution".into() } else { "NOT fair".into() });
    solved
}

/// How long to look again at a namespace that should be gone, or a count
/// that is off: the kernel frees some namespaces after the last reference
/// is gone, not at once (network namespaces in a workqueue), and a killed
/// process may take a moment to leave its namespaces.
const SETTLE: Duration = Duration::from_secs(1);

/// Runs one step: snapshot, action, saves, snapshot, verdicts.
pub fn run_step<L: Lab + ?Sized>(lab: &mut L, step: &Step, opts: &RunOptions) -> StepResult {
    let started = Instant::now();
    let needs_listing = step.expectations.iter().any(|e| {
        use Expectation::*;
        matches!(e.value, InLsns { .. } | GoneFromLsns { .. } | Nprocs { .. } | PinnedAt { .. })
    });
    let before = lab.snapshot(&Want::views());
    let want = if needs_listing { Want::listing_after(&before) } else { Want::views() };
    let timeout = step.timeout.unwrap_or(opts.timeout);
    let (action, error) = match lab::perform(lab, &step.action.value, step.stdin.as_deref(), timeout) {
        Ok(a) => (a, None),
        Err(e) => (lab::ActionResult::default(), Some(e.to_string())),
    };
    let mut after = lab.snapshot(&want);
    for save in &step.saves {
        let s = &save.value;
        if let Ok(Some(who)) = verify::identity_of(&s.subject, Some(s.kind), &after) {
            lab.capture(&s.capture, who);
            after.captures.insert(s.capture.clone(), who);
        }
    }
    let judge = |after: &super::observe::Snapshot| verify::verify(step, &Evidence { before: &before, after, command: action.command.as_ref() });
    let mut verdicts = judge(&after);
    // Look again, too, when a verdict could not be judged: a namespace's
    // holder may have ended between the scan and reading its serial.
    let settling = |v: &[Verdict]| {
        v.iter()
            .zip(&step.expectations)
            .any(|(v, e)| v.is_unknown() || (!v.holds() && matches!(e.value, Expectation::GoneFromLsns { .. } | Expectation::Nprocs { .. })))
    };
    let deadline = Instant::now() + SETTLE;
    while settling(&verdicts) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
        after = lab.snapshot(&want);
        verdicts = judge(&after);
    }
    let command_time = action.command.as_ref().map_or(Duration::ZERO, |c| c.elapsed);
    let passed = error.is_none() && verdicts.iter().all(Verdict::holds);
    StepResult {
        error,
        verdicts,
        command: action.command,
        before: Some(before),
        observed: Some(after),
        display: action.display,
        duration_ms: started.elapsed().as_millis() as u64,
        overhead_us: started.elapsed().saturating_sub(command_time).as_micros() as u64,
        ..StepResult::new(step, if passed { StepOutcome::Passed } else { StepOutcome::Failed })
    }
}
