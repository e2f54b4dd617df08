//! The runner: steps through a lesson, calls the engine, reads the kernel's
//! state back, verifies it, and reports.
//!
//! Each lesson runs in a worker process forked for it. The worker moves into a
//! lab of its own (new mount, uts, ipc, net, cgroup and pid namespaces, plus a
//! user namespace when rootless), so each lesson starts from nothing and its
//! "host" side never touches the real host. The worker has a parent-death
//! signal, and so has the lab's init: if nslab is killed, every process of the
//! lab dies and the lab's mounts (the pins) go with its mount namespace.

pub mod exec;
pub mod exercise;
pub mod observe;
pub mod progress;
pub mod report;
pub mod session;
pub mod term;
pub mod verify;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::lesson::{Lesson, Step, Subject};
use crate::ns::{self, NsId, NsKind};
use exec::INTERRUPTED;
use observe::Snapshot;
use report::{Format, LessonResult, Reporter, StepOutcome, StepResult, StepSummary};
use session::Session;

/// Exit code: every expectation held.
pub const EXIT_OK: i32 = 0;
/// Exit code: some expectation failed.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: a lesson is invalid, or the command line is wrong.
pub const EXIT_INVALID: i32 = 2;
/// Exit code: a lesson cannot run on this machine.
pub const EXIT_CANNOT_RUN: i32 = 3;

/// The default time limit of a step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Ask before each step (a terminal is attached and `--yes` was not given).
    pub interactive: bool,
    /// Human or JSON Lines output.
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// Stop at the first failed step.
    pub fail_fast: bool,
    /// The time limit of a step without its own `timeout:`.
    pub timeout: Duration,
    /// Write a JUnit report here.
    pub junit: Option<PathBuf>,
    /// Resume at this step id, replaying the earlier ones quietly.
    pub from: Option<String>,
    /// Rewrite output expectations from what was observed.
    pub record: bool,
    /// Prove each exercise fair instead of running it: it must fail with
    /// nothing done and pass with its reference solution.
    pub check_solutions: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            interactive: false,
            format: Format::Human,
            color: false,
            fail_fast: false,
            timeout: DEFAULT_TIMEOUT,
            junit: None,
            from: None,
            record: false,
            check_solutions: false,
        }
    }
}

/// True when this process is root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Why `lesson` cannot run here, if it cannot: it needs root, a newer
/// kernel, a kind of namespace this kernel lacks (the doctor's words), or a
/// program this machine lacks (named, with its package).
pub fn cannot_run_reason(lesson: &Lesson) -> Option<String> {
    lesson_blocked(lesson, &crate::doctor::Settings::read(&crate::doctor::Sources::host()), is_root()).or_else(|| crate::lesson::tools::missing_reason(lesson))
}

/// [`cannot_run_reason`] on a machine with `settings`, as root or not.
pub fn lesson_blocked(lesson: &Lesson, settings: &crate::doctor::Settings, root: bool) -> Option<String> {
    let needs = &lesson.meta.needs;
    if needs.root && !root {
        return Some("it needs root: run it with sudo (it cannot work inside an unprivileged user namespace)".into());
    }
    if let (Some(min), Some(have)) = (needs.min_kernel, settings.kernel)
        && have < min
    {
        let release = settings.kernel_release.clone().unwrap_or_else(|| have.to_string());
        return Some(format!("it needs Linux {min} or later; this kernel is {release}"));
    }
    let kinds = crate::doctor::Requirements::of(lesson).kinds;
    let missing = NsKind::ALL.into_iter().find(|k| kinds.contains(*k) && settings.lacks(*k))?;
    let e = crate::doctor::missing_kind(missing);
    Some(format!("it uses {missing} namespaces, but {} — fix: {}", e.why, e.fix))
}

static WORKER: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(sig, Ordering::SeqCst);
    let worker = WORKER.load(Ordering::SeqCst);
    if worker > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(worker, sig) };
    }
}

/// Catches SIGINT and SIGTERM: the current step is stopped, the lab torn
/// down, and nslab exits with 128 + the signal.
pub fn catch_signals() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    // No SA_RESTART: a blocking poll or read returns EINTR and sees the flag.
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to atomics and calls kill.
        unsafe {
            let _ = sigaction(sig, &action);
        }
    }
}

/// Runs `lessons` one after another, each in its own worker and lab, and
/// returns the exit code.
pub fn run_lessons(lessons: &[Lesson], opts: &RunOptions, progress: &mut progress::Progress) -> i32 {
    run_lessons_with_results(lessons, opts, progress).0
}

/// [`run_lessons`], also returning each lesson's result.
pub fn run_lessons_with_results(lessons: &[Lesson], opts: &RunOptions, progress: &mut progress::Progress) -> (i32, Vec<LessonResult>) {
    catch_signals();
    let fds_at_start = open_fds();
    let mut results = Vec::new();
    let mut stdout = Reporter::new(std::io::stdout(), opts.format, opts.color);
    for lesson in lessons {
        if INTERRUPTED.load(Ordering::SeqCst) != 0 {
            break;
        }
        let result = match cannot_run_reason(lesson) {
            Some(reason) => {
                stdout.cannot_run(&lesson.meta.id, &reason);
                LessonResult { lesson: lesson.meta.id.clone(), title: lesson.meta.title.clone(), cannot_run: Some(reason), ..LessonResult::default() }
            }
            None => run_in_worker(lesson, opts),
        };
        progress.record(lesson, &result);
        let stop = result.interrupted || result.quit;
        results.push(result);
        if stop {
            break;
        }
    }
    let _ = progress.save();
    if let Some(path) = &opts.junit
        && let Err(e) = std::fs::write(path, report::junit(&results))
    {
        eprintln!("nslab: cannot write {}: {e}", path.display());
    }
    // For the reliability tests: nslab's own peak memory and descriptors.
    if let Some(path) = std::env::var_os("NSLAB_RESOURCE_REPORT") {
        let report = serde_json::json!({
            "peak_rss_kib": peak_rss_kib(),
            "worker_peak_rss_kib": results.iter().map(|r| r.worker_peak_kib).max().unwrap_or(0),
            "fds_at_start": fds_at_start,
            "fds_at_end": open_fds(),
        });
        let _ = std::fs::write(path, report.to_string());
    }
    let sig = INTERRUPTED.load(Ordering::SeqCst);
    let code = if sig != 0 {
        128 + sig
    } else if results.iter().any(|r| r.counts().1 > 0) {
        EXIT_FAILED
    } else if results.iter().any(|r| r.cannot_run.is_some()) {
        EXIT_CANNOT_RUN
    } else {
        EXIT_OK
    };
    (code, results)
}

/// Forks a worker for `lesson`, and collects its result from a pipe.
fn run_in_worker(lesson: &Lesson, opts: &RunOptions) -> LessonResult {
    let started = Instant::now();
    let failed = |why: String| LessonResult {
        lesson: lesson.meta.id.clone(),
        title: lesson.meta.title.clone(),
        path: lesson.source_path.display().to_string(),
        steps: vec![StepSummary { id: "(worker)".into(), outcome: "failed".into(), message: Some(why), duration_ms: 0 }],
        interrupted: INTERRUPTED.load(Ordering::SeqCst) != 0,
        duration_ms: started.elapsed().as_millis() as u64,
        ..LessonResult::default()
    };
    let (read_end, write_end) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok(p) => p,
        Err(e) => return failed(format!("cannot create a pipe: {e}")),
    };
    let _ = std::io::stdout().flush();
    match ns::sys::fork_worker() {
        Err(e) => failed(format!("cannot fork a worker: {e}")),
        Ok(None) => {
            drop(read_end);
            let result = worker_main(lesson, opts);
            let mut pipe = std::fs::File::from(write_end);
            let _ = pipe.write_all(serde_json::to_string(&result).unwrap_or_default().as_bytes());
            drop(pipe);
            let _ = std::io::stdout().flush();
            // The worker ends here, without running the coordinator's code.
            std::process::exit(0);
        }
        Ok(Some(pid)) => {
            WORKER.store(pid, Ordering::SeqCst);
            drop(write_end);
            let mut text = String::new();
            let _ = std::fs::File::from(read_end).read_to_string(&mut text);
            let status = ns::sys::wait_pid(pid, true);
            WORKER.store(0, Ordering::SeqCst);
            match serde_json::from_str::<LessonResult>(&text) {
                Ok(r) => r,
                Err(_) => failed(match status {
                    Ok(Some(s)) => format!("the lesson's worker ended without a result ({s})"),
                    _ => "the lesson's worker ended without a result".into(),
                }),
            }
        }
    }
}

/// The worker: enters a lab, runs the steps, tears down.
fn worker_main(lesson: &Lesson, opts: &RunOptions) -> LessonResult {
    let started = Instant::now();
    let mut out = Reporter::new(std::io::stdout(), opts.format, opts.color);
    let mut result = LessonResult {
        lesson: lesson.meta.id.clone(),
        title: lesson.meta.title.clone(),
        path: lesson.source_path.display().to_string(),
        ..LessonResult::default()
    };
    out.lesson_started(&lesson.meta.id, &lesson.meta.title, &result.path, lesson.steps.len());
    let mut session = match Session::enter_lab(!is_root()) {
        Ok(s) => s,
        Err(e) => {
            let reason = lab_failure_reason(&e);
            out.cannot_run(&lesson.meta.id, &reason);
            result.cannot_run = Some(reason);
            return result;
        }
    };
    let from_index = opts.from.as_ref().and_then(|id| lesson.steps.iter().position(|s| &s.id == id)).unwrap_or(0);
    let mut failed_names: HashSet<String> = HashSet::new();
    let mut failed_step: Option<String> = None;
    let mut recorder = opts.record.then(|| term::Recorder::new(lesson));
    let steps = lesson.steps.iter().enumerate();
    for (i, step) in steps {
        if INTERRUPTED.load(Ordering::SeqCst) != 0 {
            result.interrupted = true;
            break;
        }
        let skip_reason = if opts.fail_fast && failed_step.is_some() {
            Some("not run: an earlier step failed and --fail-fast was given".to_string())
        } else {
            step.uses
                .iter()
                .find(|u| failed_names.contains(*u))
                .map(|u| format!("depends on {u}, which a failed step ({}) was to set up", failed_step.as_deref().unwrap_or("?")))
        };
        let quiet = i < from_index;
        if !quiet {
            out.step_started(&lesson.meta.id, step.number, lesson.steps.len(), &step.id, step.display_title(), &step.action.value.to_string());
        }
        if let Some(reason) = skip_reason {
            let r = skipped(step, reason);
            out.step_finished(&lesson.meta.id, &r);
            result.steps.push(summary(&r));
            continue;
        }
        if opts.interactive && !quiet {
            match term::before_step(lesson, step, opts.color) {
                term::Choice::Run => {}
                term::Choice::Skip => {
                    let r = skipped(step, "skipped by the learner".into());
                    out.step_finished(&lesson.meta.id, &r);
                    result.steps.push(summary(&r));
                    failed_names.extend(step.defines.iter().cloned());
                    continue;
                }
                term::Choice::Quit => {
                    result.quit = true;
                    break;
                }
            }
        }
        let mut r = perform_step(&mut session, lesson, step, opts, quiet);
        if let Some(rec) = recorder.as_mut() {
            rec.observe(step, r.command.as_ref());
            record_outputs(step, &mut r);
        }
        if quiet {
            if r.outcome != StepOutcome::Passed {
                out.text(&format!("replaying step {} to reach {} failed\n", step.id, opts.from.as_deref().unwrap_or("")));
                out.step_finished(&lesson.meta.id, &r);
            }
        } else {
            out.step_finished(&lesson.meta.id, &r);
        }
        if opts.interactive && r.outcome == StepOutcome::Failed {
            loop {
                match term::after_failure(step, &r.hints, opts.color) {
                    term::Choice::Run => {
                        r = perform_step(&mut session, lesson, step, opts, false);
                        out.step_finished(&lesson.meta.id, &r);
                        if r.outcome == StepOutcome::Passed {
                            break;
                        }
                    }
                    term::Choice::Skip => break,
                    term::Choice::Quit => {
                        result.quit = true;
                        break;
                    }
                }
            }
        }
        if r.outcome == StepOutcome::Failed {
            failed_names.extend(step.defines.iter().cloned());
            failed_step.get_or_insert_with(|| step.id.clone());
        }
        result.steps.push(summary(&r));
        if result.quit {
            break;
        }
    }
    if INTERRUPTED.load(Ordering::SeqCst) != 0 {
        result.interrupted = true;
    }
    session.teardown();
    if let Some(rec) = recorder {
        match rec.write() {
            Ok(n) => out.text(&format!("recorded {n} output expectation(s) in {}\n", lesson.source_path.display())),
            Err(e) => eprintln!("nslab: cannot rewrite {}: {e}", lesson.source_path.display()),
        }
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.worker_peak_kib = peak_rss_kib();
    out.lesson_finished(&result);
    result
}

/// Peak resident memory of this process, in KiB: VmHWM, the high-water mark
/// of its own address space (getrusage's ru_maxrss would also count the
/// process that forked and exec'd us).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string(ns::view::proc_root().join("self/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir(ns::view::proc_root().join("self/fd")).map(|d| d.count()).unwrap_or(0)
}

/// In record mode, output expectations are being rewritten from what was
/// observed, so they hold by definition; a step fails only on the rest.
fn record_outputs(step: &Step, r: &mut StepResult) {
    for (v, e) in r.verdicts.iter_mut().zip(&step.expectations) {
        if !v.holds && matches!(e.value, crate::lesson::Expectation::Output { .. }) {
            v.holds = true;
            v.observed = "recorded".into();
        }
    }
    if r.error.is_none() && r.verdicts.iter().all(|v| v.holds) {
        r.outcome = StepOutcome::Passed;
    }
}

/// Why the lab could not be set up, in the doctor's words when the settings
/// and the kernel's error explain it (AppArmor, max_user_namespaces, a
/// container without CAP_SYS_ADMIN, a fake /proc…), with the command that
/// fixes it.
pub fn lab_failure_reason(err: &session::SessionError) -> String {
    lab_blocked(err, &crate::doctor::Settings::read(&crate::doctor::Sources::host()), is_root())
}

/// [`lab_failure_reason`] on a machine with `settings`, as root or not.
pub fn lab_blocked(err: &session::SessionError, settings: &crate::doctor::Settings, root: bool) -> String {
    use crate::doctor::{Capability, Way, explain, unprivileged_block};
    // Root makes the lab's namespaces directly; anyone else needs a user
    // namespace first.
    let (way, capability) = if root { (Way::AsRoot, Capability::Namespace(NsKind::Mnt)) } else { (Way::Rootless, Capability::Namespace(NsKind::User)) };
    let blocked = (!root).then(|| unprivileged_block(settings)).flatten();
    match blocked.or_else(|| explain(settings, capability, way, err.raw_os_error())) {
        Some(e) => format!("{} — fix: {} (`nslab doctor` tells more)", e.why, e.fix),
        None => format!("{err} (`nslab doctor` shows what this machine can do)"),
    }
}

/// The result of a step that was not run, and why.
pub fn skipped(step: &Step, reason: String) -> StepResult {
    StepResult { hints: Vec::new(), ..StepResult::new(step, StepOutcome::Skipped(reason)) }
}

fn summary(r: &StepResult) -> StepSummary {
    let (outcome, message) = match &r.outcome {
        StepOutcome::Passed => ("passed", None),
        StepOutcome::Failed => {
            let mut lines: Vec<String> = r.error.iter().map(|e| format!("the action failed: {e}")).collect();
            for v in r.verdicts.iter().filter(|v| !v.holds) {
                lines.push(format!("expected: {}\nobserved: {}", v.expected, v.observed));
            }
            ("failed", Some(lines.join("\n")))
        }
        StepOutcome::Skipped(why) => ("skipped", Some(why.clone())),
    };
    StepSummary { id: r.step.clone(), outcome: outcome.into(), message, duration_ms: r.duration_ms }
}

/// Runs a step, or an exercise: by the learner at a terminal, else with its
/// reference solution — or, for `check --solutions`, both ways round.
pub fn perform_step(session: &mut Session, lesson: &Lesson, step: &Step, opts: &RunOptions, quiet: bool) -> StepResult {
    use exercise::Mode;
    if step.kind != crate::lesson::StepKind::Exercise {
        return run_step(session, step, opts);
    }
    if !opts.check_solutions {
        let mode = if opts.interactive && !quiet { Mode::Learner } else { Mode::Solution };
        return exercise::run_exercise(session, lesson, step, opts, mode);
    }
    let unsolved = exercise::run_exercise(session, lesson, step, opts, Mode::Nothing);
    let mut solved = exercise::run_exercise(session, lesson, step, opts, Mode::Solution);
    let mut problems = Vec::new();
    if unsolved.outcome == StepOutcome::Passed {
        problems.push("it passes with nothing done: an expectation holds whatever the learner does".to_string());
    }
    if solved.outcome != StepOutcome::Passed {
        let why: Vec<String> = solved.verdicts.iter().filter(|v| !v.holds).map(|v| format!("{} ({})", v.expected, v.observed)).collect();
        problems.push(format!("its reference solution fails: {}", solved.error.clone().unwrap_or_else(|| why.join("; "))));
    }
    solved.outcome = if problems.is_empty() { StepOutcome::Passed } else { StepOutcome::Failed };
    solved.error = (!problems.is_empty()).then(|| problems.join("; and "));
    solved.display = Some(if problems.is_empty() { "fair: fails with nothing done, passes with the reference solution".into() } else { "NOT fair".into() });
    solved
}

/// Runs one step: snapshot, action, saves, snapshot, verdicts.
pub fn run_step(session: &mut Session, step: &Step, opts: &RunOptions) -> StepResult {
    let started = Instant::now();
    let needs_listing = step.expectations.iter().any(|e| {
        use crate::lesson::Expectation::*;
        matches!(e.value, InLsns { .. } | GoneFromLsns { .. } | Nprocs { .. } | PinnedAt { .. })
    });
    let before = Snapshot::take(session, false);
    let timeout = step.timeout.unwrap_or(opts.timeout);
    let performed = exec::perform(session, &step.action.value, step.stdin.as_deref(), timeout);
    let (action, error) = match performed {
        Ok(a) => (a, None),
        Err(e) => (exec::ActionResult::default(), Some(e.to_string())),
    };
    let mut after = Snapshot::take(session, needs_listing);
    for save in &step.saves {
        let s = &save.value;
        let id: Option<NsId> = match &s.subject {
            Subject::Host => after.host.get(s.kind),
            Subject::Shell => after.shell.as_ref().and_then(|v| v.get(s.kind)),
            Subject::Process(n) => after.process(n, s.kind),
            Subject::Pin(p) => after.pins.get(p).copied().flatten().map(|(_, id)| id),
            Subject::Capture(c) => session.captured(c).map(|(_, id)| id),
        };
        if let Some(id) = id {
            let serial = session.serial_of(&s.subject, s.kind);
            session.capture(&s.capture, s.kind, id, serial);
        }
    }
    let captures = |name: &str| session.captured(name);
    let pin_path = |name: &str| session.pin_path(name);
    let serial = |subject: &Subject, kind| session.serial_of(subject, kind);
    let check = |after: &Snapshot| {
        let evidence = verify::Evidence {
            before: &before,
            after,
            command: action.command.as_ref(),
            captures: &captures,
            pin_path: &pin_path,
            serial: &serial,
            path_serial: &crate::ns::sys::ns_serial_of,
        };
        verify::verify(step, &evidence)
    };
    let mut verdicts = check(&after);
    // The kernel frees some namespaces after the last reference is gone, not
    // at once (network namespaces in a workqueue), and a killed process may
    // take a moment to leave its namespaces: look again for up to a second
    // before saying that a namespace is not gone or a count is off.
    let settling = |v: &[verify::Verdict]| {
        v.iter().zip(&step.expectations).any(|(v, e)| {
            use crate::lesson::Expectation::*;
            !v.holds && matches!(e.value, GoneFromLsns { .. } | Nprocs { .. })
        })
    };
    let deadline = Instant::now() + Duration::from_secs(1);
    while settling(&verdicts) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(25));
        after = Snapshot::take(session, needs_listing);
        verdicts = check(&after);
    }
    let command_time = action.command.as_ref().map_or(Duration::ZERO, |c| c.elapsed);
    let passed = error.is_none() && verdicts.iter().all(|v| v.holds);
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
