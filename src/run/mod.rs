//! The runner. One flow, one way: lesson → [`driver::LessonRun`] ⇄
//! [`lab::Lab`] → [`observe::Snapshot`] → [`verify`] (pure) →
//! [`event::Event`] → a face (`ui::face::TerminalFace` for a learner at a
//! terminal; [`face::Terminal`] for `--yes`, pipes and `--format json`, words
//! or JSON Lines through [`report`]; `serve::worker` for the page). The driver
//! owns step order, skips, replays and fail-fast, and never prints; a face
//! never reads the kernel. This module runs lessons one after another, each in
//! a worker process, and hands the results ([`RunEnd`]) to `cmd`, which
//! decides the exit code.
//!
//! Each lesson runs in a worker process forked for it. The worker builds a
//! lab of its own ([`sandbox`]: an init in new user, mount, uts, ipc, net,
//! cgroup and pid namespaces, with a root file system of its own), so each
//! lesson starts from nothing and its "host" side never touches the real
//! host. The worker has a parent-death
//! signal, and so has the lab's init: if nslab is killed, every process of the
//! lab dies and the lab's mounts (the pins) go with its mount namespace.

pub mod cgroup;
pub mod driver;
pub mod event;
pub mod exec;
pub mod exercise;
pub mod face;
pub mod fake;
pub mod lab;
pub mod observe;
pub mod progress;
pub mod record;
pub mod relay;
pub mod report;
pub mod sandbox;
pub mod session;
pub mod term;
pub mod verify;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::lesson::Lesson;
use crate::ns::{self, NsKind};
use driver::Face;
use event::{Event, LessonResult, OutcomeKind, StepSummary};
use exec::INTERRUPTED;
use lab::SessionLab;
use report::Format;

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
    /// Run each lesson in the sandbox (see [`sandbox`]); `false` is
    /// `--no-sandbox`.
    pub sandbox: bool,
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
            sandbox: true,
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
        return Some(crate::t!("cannot-needs-root"));
    }
    if let (Some(min), Some(have)) = (needs.min_kernel, settings.kernel)
        && have < min
    {
        let release = settings.kernel_release.clone().unwrap_or_else(|| have.to_string());
        return Some(crate::t!("cannot-needs-kernel", min = min.to_string(), release = release.to_string()));
    }
    if let Some(e) = crate::doctor::missing_tools(needs.any_tool, settings.tools) {
        return Some(crate::t!("cannot-why-fix", why = e.why.as_str(), fix = e.fix.as_str()));
    }
    let kinds = crate::doctor::Requirements::of(lesson).kinds;
    let missing = NsKind::ALL.into_iter().find(|k| kinds.contains(*k) && settings.lacks(*k))?;
    let e = crate::doctor::missing_kind(missing);
    Some(crate::t!("cannot-kinds", kinds = missing.to_string(), why = e.why.as_str(), fix = e.fix.as_str()))
}

static WORKER: AtomicI32 = AtomicI32::new(0);

/// A learner is at the terminal: Ctrl-C reaches the worker from the terminal
/// itself, and is the worker's to answer (retry, skip or quit), so it is not
/// passed on.
static ATTENDED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    INTERRUPTED.store(sig, Ordering::SeqCst);
    let worker = WORKER.load(Ordering::SeqCst);
    if worker > 0 && !(sig == libc::SIGINT && ATTENDED.load(Ordering::SeqCst)) {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(worker, sig) };
    }
}

/// Catches SIGINT, SIGTERM and SIGHUP (the terminal went away): the current
/// step is stopped, the lab torn down, and nslab exits with 128 + the signal.
pub fn catch_signals() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
    // No SA_RESTART: a blocking poll or read returns EINTR and sees the flag.
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to atomics and calls kill.
        unsafe {
            let _ = sigaction(sig, &action);
        }
    }
}

/// How a run of lessons ended, as data: the caller (`cmd`) turns it into
/// the exit code.
#[derive(Debug, Default)]
pub struct RunEnd {
    /// Each lesson's result, in order.
    pub results: Vec<LessonResult>,
    /// The signal that interrupted the run, if one did.
    pub signal: Option<i32>,
    /// The first error writing the report to stdout (a closed pipe), if any.
    pub write_error: Option<String>,
}

impl RunEnd {
    /// True when a step failed.
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.counts().1 > 0)
    }

    /// True when a lesson could not run here.
    pub fn cannot_run(&self) -> bool {
        self.results.iter().any(|r| r.cannot_run.is_some())
    }
}

/// Runs `lessons` one after another, each in its own worker and lab.
pub fn run_lessons(lessons: &[Lesson], opts: &RunOptions, progress: &mut progress::Progress) -> RunEnd {
    catch_signals();
    ATTENDED.store(opts.interactive, Ordering::SeqCst);
    let fds_at_start = open_fds();
    let mut results = Vec::new();
    let mut stdout = face::Terminal::new(std::io::stdout(), opts);
    // The lessons to run; `g` at the terminal may send the learner to another.
    let mut queue: Vec<Lesson> = lessons.to_vec();
    let mut n = 0;
    while let Some(lesson) = queue.get(n).cloned() {
        let lesson = &lesson;
        if INTERRUPTED.load(Ordering::SeqCst) != 0 {
            break;
        }
        // At a terminal, the learner reads the end of one lesson before the next begins.
        if n > 0 && opts.interactive && opts.format == report::Format::Human && !crate::ui::face::next_lesson(lesson, opts.color) {
            break;
        }
        let result = match cannot_run_reason(lesson) {
            Some(reason) => {
                stdout.event(&Event::LessonCannotRun { lesson: lesson.meta.id.clone(), reason: reason.clone() });
                LessonResult { lesson: lesson.meta.id.clone(), title: lesson.meta.title.clone(), cannot_run: Some(reason), ..LessonResult::default() }
            }
            None => {
                // `b` and `g` at the terminal start the lesson over from a step,
                // in a fresh worker and lab, the steps before it replayed quietly.
                let mut opts = opts.clone();
                loop {
                    let mut result = run_in_worker(lesson, &opts);
                    // At a terminal, Ctrl-C in a step is the learner's to answer
                    // (retry, skip, quit): the run ends only if the worker stopped.
                    if opts.interactive && !result.interrupted && INTERRUPTED.load(Ordering::SeqCst) == libc::SIGINT {
                        INTERRUPTED.store(0, Ordering::SeqCst);
                    }
                    match result.resume_at.take() {
                        Some(step) if INTERRUPTED.load(Ordering::SeqCst) == 0 => {
                            progress.record(lesson, &result);
                            opts.from = Some(step);
                        }
                        _ => break result,
                    }
                }
            }
        };
        progress.record(lesson, &result);
        let jump = result.open_lesson.as_deref().and_then(|id| lessons_from(id, lessons));
        let stop = (result.interrupted || result.quit) && jump.is_none();
        results.push(result);
        if stop {
            break;
        }
        if let Some(rest) = jump {
            queue.truncate(n + 1);
            queue.extend(rest);
        }
        n += 1;
    }
    if let Err(e) = progress.save() {
        eprintln!("nslab: cannot save your progress: {e}");
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
    let write_error = stdout.write_error.map(|e| e.to_string()).or_else(|| results.iter().find_map(|r| r.write_error.clone()));
    RunEnd { results, signal: (sig != 0).then_some(sig), write_error }
}

/// The lesson `id` and the ones after it: among `given`, else among the
/// built-in lessons.
fn lessons_from(id: &str, given: &[Lesson]) -> Option<Vec<Lesson>> {
    let builtin = crate::catalog::builtin().unwrap_or_default();
    [given.to_vec(), builtin].into_iter().find_map(|pool| pool.iter().position(|l| l.meta.id == id).map(|at| pool[at..].to_vec()))
}

/// Forks a worker for `lesson`, and collects its result from a pipe.
fn run_in_worker(lesson: &Lesson, opts: &RunOptions) -> LessonResult {
    let started = Instant::now();
    let failed = |why: String| LessonResult {
        lesson: lesson.meta.id.clone(),
        title: lesson.meta.title.clone(),
        path: lesson.source_path.display().to_string(),
        steps: vec![StepSummary { id: "(worker)".into(), outcome: OutcomeKind::Failed, message: Some(why), duration_ms: 0 }],
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
            cgroup::remove_of(pid as u32);
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

/// The worker: enters a lab, drives the lesson through it, tears down.
fn worker_main(lesson: &Lesson, opts: &RunOptions) -> LessonResult {
    let mut terminal = face::Terminal::new(std::io::stdout(), opts);
    // A learner at the terminal gets the terminal face (ui::face).
    let mut learner = (opts.interactive && opts.format == report::Format::Human).then(|| crate::ui::face::TerminalFace::new(lesson, opts));
    let face: &mut dyn driver::Face = match learner.as_mut() {
        Some(f) => f,
        None => &mut terminal,
    };
    let mut result = LessonResult {
        lesson: lesson.meta.id.clone(),
        title: lesson.meta.title.clone(),
        path: lesson.source_path.display().to_string(),
        ..LessonResult::default()
    };
    face.event(&Event::LessonStarted { lesson: result.lesson.clone(), title: result.title.clone(), path: result.path.clone(), steps: lesson.steps.len() });
    match SessionLab::enter(opts.sandbox) {
        Ok(lab) => {
            let mut run = driver::LessonRun::new(lesson, lab, opts.clone());
            run.drive(face);
            result = run.finish(&mut |e| face.event(&e));
        }
        Err(e) => {
            let reason = lab_failure_reason(&e);
            face.event(&Event::LessonCannotRun { lesson: result.lesson.clone(), reason: reason.clone() });
            result.cannot_run = Some(reason);
        }
    }
    result.worker_peak_kib = peak_rss_kib();
    if let Some(f) = learner {
        result.resume_at = f.resume_at;
        result.open_lesson = f.open_lesson;
    }
    result.write_error = terminal.write_error.map(|e| e.to_string());
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

/// Why the lab could not be set up, in the doctor's words when the settings
/// and the kernel's error explain it (AppArmor, max_user_namespaces, a
/// container without CAP_SYS_ADMIN, a fake /proc…), with the command that
/// fixes it.
pub fn lab_failure_reason(err: &session::SessionError) -> String {
    lab_blocked(err, &crate::doctor::Settings::read(&crate::doctor::Sources::host()), is_root())
}

/// [`lab_failure_reason`] on a machine with `settings`, as root or not.
pub fn lab_blocked(err: &session::SessionError, settings: &crate::doctor::Settings, root: bool) -> String {
    use crate::doctor::{Capability, SandboxPart, Way, explain, unprivileged_block};
    // Anyone else needs a user namespace first; root makes the lab's
    // namespaces directly, and the sandbox's user namespace with them.
    let errno = err.raw_os_error();
    let sandbox = || explain(settings, Capability::Sandbox(SandboxPart::UserNs), Way::AsRoot, errno);
    let explained = if root && (settings.max_user_namespaces == Some(0) || settings.lacks(NsKind::User)) {
        sandbox()
    } else if root {
        explain(settings, Capability::Namespace(NsKind::Mnt), Way::AsRoot, errno).or_else(sandbox)
    } else {
        unprivileged_block(settings).or_else(|| explain(settings, Capability::Namespace(NsKind::User), Way::Rootless, errno))
    };
    match explained {
        Some(e) => crate::t!("cannot-lab-why-fix", why = e.why.as_str(), fix = e.fix.as_str()),
        None => crate::t!("cannot-lab", error = err.to_string()),
    }
}
