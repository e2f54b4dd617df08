//! The lesson driver on the in-memory lab: order, skips and what depends on
//! them, fail-fast, replays for `--from`, for steps run out of order and for
//! going back, and verdicts the kernel could not back. No root, no
//! namespaces: these run as any user, in milliseconds.

use std::path::Path;

use nslab::lesson::{Lesson, Step};
use nslab::run::RunOptions;
use nslab::run::driver::{Decision, Face, LessonRun};
use nslab::run::event::{Event, LessonResult, OutcomeKind, Setup, SkipReason, StepOutcome, StepResult};
use nslab::run::fake::FakeLab;
use nslab::run::verify::Truth;

fn lesson(body: &str) -> Lesson {
    let text = format!("---\nid: t\ntitle: T\n---\n\n{body}");
    nslab::lesson::parse_bytes(text.as_bytes(), Path::new("t.md")).unwrap_or_else(|d| panic!("{}", nslab::lesson::render(&d, false)))
}

fn step(text: &str) -> String {
    format!("```nslab\n{text}\n```\n\n")
}

/// A face that records events and answers from a script, one answer per question.
#[derive(Default)]
struct Scripted {
    attended: bool,
    events: Vec<Event>,
    answers: Vec<(&'static str, Decision)>,
    asked: Vec<String>,
}

impl Scripted {
    fn answer(&mut self, question: &str, step: &Step) -> Decision {
        self.asked.push(format!("{question} {}", step.id));
        match self.answers.iter().position(|(q, _)| *q == question) {
            Some(i) => self.answers.remove(i).1,
            None => Decision::Run,
        }
    }

    /// `step:outcome` for every finished step, in order.
    fn outcomes(&self) -> Vec<String> {
        self.events.iter().filter_map(|e| e.step_result().map(|r| format!("{}:{}", r.step, r.outcome.kind()))).collect()
    }

    fn result(&self, id: &str) -> &StepResult {
        self.events.iter().rev().filter_map(Event::step_result).find(|r| r.step == id).unwrap()
    }
}

impl Face for Scripted {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn attended(&self) -> bool {
        self.attended
    }
    fn before_step(&mut self, _: &Lesson, step: &Step) -> Decision {
        if step.id == "skip-me" { self.answer("before", step) } else { Decision::Run }
    }
    fn after_failure(&mut self, _: &Lesson, step: &Step, _: &StepResult) -> Decision {
        let d = self.answer("after", step);
        if d == Decision::Run { Decision::Skip } else { d }
    }
    fn unmet(&mut self, _: &Lesson, step: &Step, _: &SkipReason) -> Decision {
        self.answer("unmet", step)
    }
}

fn drive(l: &Lesson, lab: FakeLab, opts: RunOptions, face: &mut Scripted) -> (LessonResult, Vec<String>) {
    let mut run = LessonRun::new(l, lab, opts);
    run.drive(face);
    let result = run.finish(&mut |e| face.events.push(e));
    (result, run.lab().log.clone())
}

fn box_lesson() -> Lesson {
    lesson(
        &[
            step("id: start-box\nstart box: net uts\nexpect: box net differs from host"),
            step("id: in-box\nrun in box: echo hi\nexpect: stdout: hi"),
            step("id: wrong\nrun: echo one\nexpect: stdout: two"),
            step("id: after-wrong\nrun: echo fine\nexpect: stdout: fine"),
            step("id: stop-box\nstop box\nexpect: host net same"),
        ]
        .concat(),
    )
}

#[test]
fn steps_run_in_order_and_a_failure_does_not_stop_the_others() {
    let l = box_lesson();
    let mut face = Scripted::default();
    let (result, log) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["start-box:passed", "in-box:passed", "wrong:failed", "after-wrong:passed", "stop-box:passed"]);
    assert_eq!(log, ["start box", "run echo hi", "run echo one", "run echo fine", "stop box", "teardown"]);
    assert_eq!(result.counts(), (4, 1, 0));
    let wrong = face.result("wrong");
    assert_eq!(wrong.verdicts[0].truth, Truth::Fails);
    assert!(matches!(face.events.last(), Some(Event::LessonFinished { passed: 4, failed: 1, skipped: 0, .. })));
    // Every finished step was announced first.
    let started = face.events.iter().filter(|e| matches!(e, Event::StepStarted { .. })).count();
    assert_eq!(started, 5);
}

#[test]
fn a_failed_setup_skips_what_depends_on_it_and_says_which_step() {
    let l = lesson(
        &[
            step("id: start-box\nstart box: uts\nexpect: box net differs from host"),
            step("id: in-box\nrun in box: echo hi\nexpect: stdout: hi"),
            step("id: free\nrun: echo free\nexpect: stdout: free"),
        ]
        .concat(),
    );
    let mut face = Scripted::default();
    let (result, log) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["start-box:failed", "in-box:skipped", "free:passed"]);
    assert_eq!(face.result("in-box").outcome, StepOutcome::Skipped(SkipReason::Needs { name: "box".into(), step: "start-box".into(), setup: Setup::Failed }));
    assert!(!log.contains(&"run echo hi".to_string()), "{log:?}");
    assert_eq!(result.counts(), (1, 1, 1));
}

#[test]
fn fail_fast_skips_everything_after_the_first_failure() {
    let l = box_lesson();
    let mut face = Scripted::default();
    let (_, log) = drive(&l, FakeLab::new(), RunOptions { fail_fast: true, ..RunOptions::default() }, &mut face);
    assert_eq!(face.outcomes(), ["start-box:passed", "in-box:passed", "wrong:failed", "after-wrong:skipped", "stop-box:skipped"]);
    assert_eq!(face.result("stop-box").outcome, StepOutcome::Skipped(SkipReason::FailFast { failed: "wrong".into() }));
    assert!(!log.contains(&"stop box".to_string()));
}

fn skip_lesson() -> Lesson {
    lesson(
        &[
            step("id: skip-me\nstart box: net\nexpect: box net differs from host"),
            step("id: free\nrun: echo free\nexpect: stdout: free"),
            step("id: needs-box\nrun in box: echo inside\nexpect: stdout: inside"),
        ]
        .concat(),
    )
}

#[test]
fn a_skipped_setup_step_can_be_run_when_a_step_needs_it() {
    let l = skip_lesson();
    let mut face = Scripted { attended: true, answers: vec![("before", Decision::Skip), ("unmet", Decision::Run)], ..Scripted::default() };
    let (result, _) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.asked, ["before skip-me", "unmet needs-box"]);
    // Skipped, then run when needs-box asked for it, then needs-box passes.
    assert_eq!(face.outcomes(), ["skip-me:skipped", "free:passed", "skip-me:passed", "needs-box:passed"]);
    assert_eq!(result.counts(), (3, 0, 0), "the summary keeps each step's last outcome");
}

#[test]
fn a_skipped_setup_step_left_skipped_names_itself() {
    let l = skip_lesson();
    let mut face = Scripted { attended: true, answers: vec![("before", Decision::Skip), ("unmet", Decision::Skip)], ..Scripted::default() };
    let (result, log) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["skip-me:skipped", "free:passed", "needs-box:skipped"]);
    let why = SkipReason::Needs { name: "box".into(), step: "skip-me".into(), setup: Setup::Skipped };
    assert_eq!(face.result("needs-box").outcome, StepOutcome::Skipped(why.clone()));
    assert_eq!(why.to_string(), "depends on box, which step skip-me sets up, and skip-me was skipped: run skip-me first");
    assert!(!log.iter().any(|l| l.starts_with("start")));
    assert_eq!(result.counts(), (1, 0, 2));
}

#[test]
fn unattended_runs_never_ask() {
    let l = skip_lesson();
    let mut face = Scripted { answers: vec![("before", Decision::Skip)], ..Scripted::default() };
    drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert!(face.asked.is_empty());
    assert_eq!(face.outcomes(), ["skip-me:passed", "free:passed", "needs-box:passed"]);
}

#[test]
fn quit_ends_the_lesson_cleanly() {
    let l = box_lesson();
    let mut face = Scripted { attended: true, answers: vec![("after", Decision::Quit)], ..Scripted::default() };
    let (result, log) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["start-box:passed", "in-box:passed", "wrong:failed"]);
    assert!(result.quit);
    assert_eq!(log.last().map(String::as_str), Some("teardown"));
    assert!(matches!(face.events.last(), Some(Event::LessonFinished { quit: true, .. })));
}

#[test]
fn from_replays_the_earlier_steps_quietly() {
    let l = box_lesson();
    let mut face = Scripted::default();
    let (result, log) = drive(&l, FakeLab::new(), RunOptions { from: Some("after-wrong".into()), ..RunOptions::default() }, &mut face);
    // The replay ran everything before after-wrong; only its failure is reported.
    assert_eq!(log[..3], ["start box", "run echo hi", "run echo one"]);
    assert!(matches!(&face.events[0], Event::ReplayFailed { step, target, .. } if step == "wrong" && target == "after-wrong"));
    assert_eq!(face.outcomes(), ["wrong:failed", "after-wrong:passed", "stop-box:passed"]);
    let started: Vec<&str> = face.events.iter().filter_map(|e| if let Event::StepStarted { step, .. } = e { Some(step.as_str()) } else { None }).collect();
    assert_eq!(started, ["after-wrong", "stop-box"]);
    assert_eq!(result.steps.len(), 5, "replayed steps count in the result");
}

#[test]
fn a_step_run_out_of_order_replays_what_comes_before() {
    let l = box_lesson();
    let mut run = LessonRun::new(&l, FakeLab::new(), RunOptions::default());
    let mut events = Vec::new();
    let last = run.index("stop-box").unwrap();
    assert_eq!(run.run(last, &mut |e| events.push(e)), StepOutcome::Passed);
    assert_eq!(run.lab().log, ["start box", "run echo hi", "run echo one", "run echo fine", "stop box"]);
    let kinds: Vec<&str> = events.iter().map(event_name).collect();
    assert_eq!(kinds, ["replay_failed", "step_failed", "step_started", "step_passed"]);
    // Running a failed step again, and passing, makes its names available again.
    assert_eq!(run.outcome(2), Some(OutcomeKind::Failed));
}

#[test]
fn going_back_starts_a_fresh_lab_and_replays() {
    let l = box_lesson();
    let mut run = LessonRun::new(&l, FakeLab::new(), RunOptions::default());
    let mut events = Vec::new();
    for i in 0..l.steps.len() {
        run.run(i, &mut |e| events.push(e));
    }
    events.clear();
    run.lab_mut().log.clear();
    run.back(1, &mut |e| events.push(e)).unwrap();
    assert_eq!(run.lab().log, ["reset", "start box"]);
    assert!(matches!(&events[..], [Event::LabReset { step, .. }] if step == "in-box"));
    assert_eq!((run.outcome(0), run.outcome(1), run.outcome(4)), (Some(OutcomeKind::Passed), None, None));
    assert_eq!(run.run(1, &mut |e| events.push(e)), StepOutcome::Passed);
}

#[test]
fn back_from_the_face_goes_back() {
    let l = box_lesson();
    let mut face = Scripted { attended: true, answers: vec![("after", Decision::Back("in-box".into()))], ..Scripted::default() };
    let (_, log) = drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(
        face.outcomes(),
        ["start-box:passed", "in-box:passed", "wrong:failed", "in-box:passed", "wrong:failed", "after-wrong:passed", "stop-box:passed"]
    );
    assert!(log.contains(&"reset".to_string()));
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::LessonStarted { .. } => "lesson_started",
        Event::LessonCannotRun { .. } => "lesson_cannot_run",
        Event::StepStarted { .. } => "step_started",
        Event::StepPassed(_) => "step_passed",
        Event::StepFailed(_) => "step_failed",
        Event::StepSkipped(_) => "step_skipped",
        Event::ReplayFailed { .. } => "replay_failed",
        Event::LabReset { .. } => "lab_reset",
        Event::Recorded { .. } => "recorded",
        Event::LessonFinished { .. } => "lesson_finished",
    }
}

fn reuse_lesson() -> Lesson {
    lesson(
        &[
            step("id: start-box\nstart box: net\nsave box net as @old\nexpect: box net differs from host"),
            step("id: stop-box\nstop box\nexpect: @old gone from lsns"),
            step("id: start-other\nstart other: net\nexpect: other net differs from host\nexpect: @old gone from lsns"),
        ]
        .concat(),
    )
}

#[test]
fn a_namespace_that_reuses_a_freed_inode_is_not_the_old_one() {
    let l = reuse_lesson();
    let mut lab = FakeLab::new();
    lab.reuse_inodes = true;
    let mut face = Scripted::default();
    drive(&l, lab, RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["start-box:passed", "stop-box:passed", "start-other:passed"]);
    // The new namespace has the old one's inode: only the serial tells them apart.
    let other = face.result("start-other");
    let old_ino = face.result("start-box").observed.as_ref().unwrap().captures["old"].id;
    assert_eq!(other.observed.as_ref().unwrap().process("other", nslab::ns::NsKind::Net), Some(old_ino));
}

#[test]
fn a_failed_scan_makes_a_step_unknown_not_passed() {
    let l = reuse_lesson();
    let mut lab = FakeLab::new();
    lab.scan_fails = true;
    let mut face = Scripted::default();
    let (result, _) = drive(&l, lab, RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["start-box:passed", "stop-box:failed", "start-other:failed"]);
    let v = &face.result("stop-box").verdicts[0];
    assert_eq!(v.truth, Truth::Unknown);
    assert!(result.steps[1].message.as_deref().unwrap().contains("unknown: cannot tell: the scan of /proc failed"), "{:?}", result.steps[1]);
}

#[test]
fn exercises_run_their_solution_unattended_and_check_solutions_proves_them_fair() {
    let body = [
        step("id: setup\nstart box: net\nexpect: box net differs from host"),
        "```nslab exercise\nid: ex\ngoal: print done\nsolution: echo done\nexpect: shell net same as host\n```\n\n".to_string(),
    ]
    .concat();
    let l = lesson(&body);
    let mut face = Scripted::default();
    drive(&l, FakeLab::new(), RunOptions::default(), &mut face);
    assert_eq!(face.outcomes(), ["setup:passed", "ex:passed"]);
    let mut face = Scripted::default();
    drive(&l, FakeLab::new(), RunOptions { check_solutions: true, ..RunOptions::default() }, &mut face);
    // The expectation holds with nothing done, so the exercise is not fair.
    assert_eq!(face.outcomes(), ["setup:passed", "ex:failed"]);
    assert!(face.result("ex").error.as_deref().unwrap().contains("passes with nothing done"));
}
