//! A session's worker: the single-threaded process (`nslab serve-worker
//! LESSON`, started by the server) that enters a lab of its own and runs the
//! steps the page asks for through the runner's own driver (`LessonRun`):
//! in lesson order, the same skips, replays and verdicts as `nslab run`, and
//! the same events, written one a line in their serde form.
//!
//! It has a parent-death signal, and so has its lab's init: when the server
//! kills it (tab closed, Reset, idle time-out, server stopped) or dies, every
//! process of the lab dies and the lab's mounts go with its mount namespace.

use std::io::{BufRead, Read, Write};
use std::os::fd::AsFd;

use super::protocol::{Op, Request, StepView, WorkerLine};
use crate::lesson::{Lesson, Step, StepKind};
use crate::picture::{Cell, Link, Picture, Relation, Role, Row};
use crate::run::driver::LessonRun;
use crate::run::event::{Event, StepOutcome, StepResult};
use crate::run::exercise::OpenExercise;
use crate::run::lab::SessionLab;
use crate::run::observe::Snapshot;
use crate::run::report::{Format, table_rows};
use crate::run::session::Session;
use crate::run::{self, RunOptions};

/// The longest request line read from the server.
const MAX_REQUEST: u64 = 16 * 1024;

/// Where the lesson comes from: `builtin:ID` or a lesson file.
pub fn load_lesson(source: &str) -> Result<Lesson, String> {
    if let Some(id) = source.strip_prefix("builtin:") {
        let (lang, id) = match id.split_once('/') {
            Some((folder, id)) if Some(folder) == crate::i18n::Lang::Zh.folder() => (crate::i18n::Lang::Zh, id),
            _ => (crate::i18n::Lang::En, id),
        };
        let lessons = crate::catalog::builtin_in(lang).map_err(|d| crate::lesson::render(&d, false))?;
        return crate::catalog::find(&lessons, id).cloned().ok_or_else(|| format!("no built-in lesson {id}"));
    }
    crate::lesson::check_file(std::path::Path::new(source)).map_err(|d| crate::lesson::render(&d, false))
}

/// The worker's main: returns the exit code. With `digest`, the lesson's
/// text must be the one the server checked when it started: the browser may
/// run only steps the server vetted.
pub fn main(source: &str, digest: Option<&str>) -> i32 {
    let loaded = load_lesson(source).and_then(|lesson| match digest {
        Some(d) if crate::lesson::digest(&lesson.source) != d => {
            Err(format!("{source} changed since nslab serve checked it; restart nslab serve to serve the new text"))
        }
        _ => Ok(lesson),
    });
    let lesson = match loaded {
        Ok(l) => l,
        Err(e) => {
            eprintln!("nslab serve-worker: {e}");
            return run::EXIT_INVALID;
        }
    };
    // A translation speaks its language: its verdicts and hints reach the
    // page in the words of the book it is in.
    if lesson.meta.translates.is_some() && lesson.source_path.parent().and_then(|d| d.file_name()).and_then(|n| n.to_str()) == crate::i18n::Lang::Zh.folder() {
        crate::i18n::set(crate::i18n::Lang::Zh);
    }
    let path = lesson.source_path.display().to_string();
    emit(Event::LessonStarted { lesson: lesson.meta.id.clone(), title: lesson.meta.title.clone(), path, steps: lesson.steps.len() });
    if let Some(reason) = run::cannot_run_reason(&lesson) {
        emit(Event::LessonCannotRun { lesson: lesson.meta.id.clone(), reason });
        return run::EXIT_CANNOT_RUN;
    }
    // Read before entering the lab: inside its user namespace we are root.
    let rootless = !run::is_root();
    let lab = match SessionLab::enter(true) {
        Ok(l) => l,
        Err(e) => {
            emit(Event::LessonCannotRun { lesson: lesson.meta.id.clone(), reason: run::lab_failure_reason(&e) });
            return run::EXIT_CANNOT_RUN;
        }
    };
    let opts = RunOptions { format: Format::Json, ..RunOptions::default() };
    let mut worker = Worker { run: LessonRun::new(&lesson, lab, opts), exercise: None, rootless };
    say(&WorkerLine::Ready);
    // Unbuffered stdin under our own buffer, whose emptiness we can see
    // before waiting on the descriptor.
    match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => worker.serve(std::io::BufReader::new(std::fs::File::from(fd))),
        Err(e) => eprintln!("nslab serve-worker: cannot read stdin: {e}"),
    }
    worker.close_exercise();
    worker.run.lab_mut().session.teardown();
    run::EXIT_OK
}

/// A finished step's view, waiting for its picture (see [`flush_views`]).
struct PendingView {
    view: StepView,
    snapshots: Option<(Snapshot, Snapshot)>,
}

thread_local! {
    /// The views of the steps finished during the current request.
    static PENDING: std::cell::RefCell<Vec<PendingView>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes an event on its line; a finished step's view (the namespace
/// table, hints, an lsns listing) waits for [`flush_views`], which can read
/// the lab for the picture's arrows.
fn emit(event: Event) {
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", serde_json::to_string(&event).unwrap_or_default());
        let _ = out.flush();
    }
    if let Some(r) = event.step_result() {
        let snapshots = r.before.clone().zip(r.observed.clone());
        let table = snapshots.as_ref().map(|(b, a)| table_rows(b, a)).unwrap_or_default();
        let kinds = crate::ns::NsKind::ALL.iter().map(|k| k.name().to_string()).collect();
        let view = StepView { step: r.step.clone(), kinds, table, picture: None, hints: r.hints.clone(), display: r.display.clone() };
        PENDING.with(|p| p.borrow_mut().push(PendingView { view, snapshots }));
    }
}

/// Writes the views of the steps finished since the last call, each with
/// its picture: what the kernel showed, and the owner and parent arrows
/// read from the lab now.
fn flush_views(session: &Session) {
    for pending in PENDING.with(|p| std::mem::take(&mut *p.borrow_mut())) {
        let mut view = pending.view;
        if let Some((before, after)) = &pending.snapshots {
            let mut picture = seen_picture(before, after);
            picture.links = links(session, after);
            view.picture = Some(picture.svg());
        }
        say(&WorkerLine::View(view));
    }
}

/// A namespace's identity in a picture: its device and inode.
fn ident(id: crate::ns::NsId) -> String {
    format!("{}:{}", id.dev, id.ino)
}

/// The picture of what the kernel showed after a step, the cells that
/// changed outlined.
fn seen_picture(before: &Snapshot, after: &Snapshot) -> Picture {
    use crate::ns::{NsKind, NsView};
    use crate::run::observe::Presence;
    let cells = |now: &NsView, was: Option<&NsView>| -> Vec<Option<Cell>> {
        NsKind::ALL
            .iter()
            .map(|&k| {
                let id = now.get(k)?;
                Some(Cell { ident: ident(id), ino: Some(id.ino), changed: was.is_some_and(|w| w.get(k) != Some(id)) })
            })
            .collect()
    };
    let host_before = before.host_view();
    let mut rows = Vec::new();
    if let Some(host) = after.host_view() {
        rows.push(Row { name: "lab".into(), role: Role::Host, cells: cells(host, host_before), note: None });
    }
    for (name, presence) in &after.processes {
        let row = match presence {
            // A process new in this step is compared with the host it came from.
            Presence::Alive(seen) => {
                Row { name: name.clone(), role: Role::Process, cells: cells(&seen.view, before.process_view(name).or(host_before)), note: None }
            }
            Presence::Gone => Row { name: name.clone(), role: Role::Process, cells: vec![None; 8], note: Some("gone".into()) },
            Presence::Unreadable(_) => Row { name: name.clone(), role: Role::Process, cells: vec![None; 8], note: Some("unreadable".into()) },
        };
        rows.push(row);
    }
    if let Some(shell) = &after.shell {
        let was = before.shell.as_ref().map(|s| &s.view).or(host_before);
        rows.push(Row { name: "your shell".into(), role: Role::Shell, cells: cells(&shell.view, was), note: None });
    }
    for (name, pinned) in &after.pins {
        let mut row = Row { name: name.clone(), role: Role::Pin, cells: vec![None; 8], note: None };
        match &pinned.held {
            Ok(Some(held)) => {
                let was = before.pins.get(name).and_then(|p| p.held.clone().ok().flatten()).map(|i| i.id);
                let at = NsKind::ALL.iter().position(|k| *k == held.kind).unwrap_or(0);
                row.cells[at] = Some(Cell { ident: ident(held.id), ino: Some(held.id.ino), changed: was != Some(held.id) });
            }
            Ok(None) => row.note = Some("holds nothing".into()),
            Err(_) => row.note = Some("unreadable".into()),
        }
        rows.push(row);
    }
    Picture { rows, links: Vec::new(), expected: false }
}

/// The owner and parent arrows the lesson touches: for each process in a
/// user namespace other than the lab's, which user namespace owns each of
/// its other new namespaces (NS_GET_USERNS); for each process in a pid
/// namespace other than the lab's, its pid namespace's parent
/// (NS_GET_PARENT). What cannot be read is left out.
fn links(session: &Session, after: &Snapshot) -> Vec<Link> {
    use crate::ns::NsKind;
    use crate::ns::sys::{ns_id_of_fd, open_ns, owner_userns, parent_ns};
    let Some(host) = after.host_view() else { return Vec::new() };
    let root = crate::ns::view::proc_root();
    let related = |pid: i32, kind: NsKind, parent: bool| -> Option<crate::ns::NsId> {
        let fd = open_ns(&root.join(pid.to_string()).join("ns").join(kind.name())).ok()?;
        let other = if parent { parent_ns(&fd) } else { owner_userns(&fd) }.ok()?;
        ns_id_of_fd(&other).ok()?
    };
    let mut out: Vec<Link> = Vec::new();
    for name in after.processes.keys() {
        let (Some(view), Some(pid)) = (after.process_view(name), session.pid(name)) else { continue };
        if view.get(NsKind::User).is_some() && view.get(NsKind::User) != host.get(NsKind::User) {
            for &k in NsKind::ALL.iter().filter(|k| **k != NsKind::User) {
                let Some(id) = view.get(k) else { continue };
                if host.get(k) == Some(id) {
                    continue;
                }
                if let Some(owner) = related(pid, k, false) {
                    out.push(Link { from_kind: k, from: ident(id), to: ident(owner), relation: Relation::OwnedBy });
                }
            }
        }
        if let Some(id) = view.get(NsKind::Pid)
            && host.get(NsKind::Pid) != Some(id)
            && let Some(parent) = related(pid, NsKind::Pid, true)
        {
            out.push(Link { from_kind: NsKind::Pid, from: ident(id), to: ident(parent), relation: Relation::ChildOf });
        }
    }
    out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    out.dedup();
    out
}

/// Writes one of the worker's own lines.
fn say(line: &WorkerLine) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", serde_json::to_string(line).unwrap_or_default());
    let _ = out.flush();
}

struct Worker<'a> {
    /// The lesson's run: its order, skips, replays and verdicts.
    run: LessonRun<'a, SessionLab>,
    /// The open exercise, by step index.
    exercise: Option<(usize, OpenExercise)>,
    /// The lab has a user namespace (the server is not root).
    rootless: bool,
}

impl Worker<'_> {
    /// Answers requests until stdin closes; between them, answers `check`
    /// typed in a shell attached to the lab while an exercise is open.
    fn serve(&mut self, mut reader: std::io::BufReader<std::fs::File>) {
        loop {
            if reader.buffer().is_empty() {
                self.idle_until_request();
            }
            let mut line = String::new();
            match reader.by_ref().take(MAX_REQUEST).read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            match serde_json::from_str::<Request>(line.trim_end()) {
                Ok(req) => self.handle(&req),
                Err(e) => eprintln!("nslab serve-worker: a request that does not parse: {e}"),
            }
        }
    }

    /// Waits for stdin to be readable (a request, or its end), answering
    /// `check` on the exercise socket meanwhile.
    fn idle_until_request(&mut self) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        loop {
            let stdin = std::io::stdin();
            let socket = self.exercise.as_ref().and(OpenExercise::socket(self.session()));
            let mut fds = vec![PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            if let Some(s) = socket {
                fds.push(PollFd::new(s, PollFlags::POLLIN));
            }
            if poll(&mut fds, PollTimeout::NONE).is_err() {
                continue;
            }
            let ready = |i: usize| fds.get(i).and_then(|f| f.revents()).is_some_and(|r| !r.is_empty());
            let (request, check) = (ready(0), ready(1));
            drop(fds);
            if check {
                self.answer_check();
            }
            if request {
                return;
            }
        }
    }

    fn handle(&mut self, req: &Request) {
        say(&WorkerLine::Begin { id: req.id });
        let error = match self.run.index(&req.step) {
            None => Some(format!("lesson {} has no step {}", self.lesson().meta.id, req.step)),
            Some(i) => match req.op {
                Op::Run => self.run(i),
                Op::Skip => self.skip(i),
                Op::Check => self.check(i),
            }
            .err(),
        };
        flush_views(self.session());
        say(&WorkerLine::Done { id: req.id, error });
    }

    fn lesson(&self) -> &Lesson {
        self.run.lesson()
    }

    fn step(&self, i: usize) -> &Step {
        &self.run.lesson().steps[i]
    }

    fn session(&self) -> &Session {
        &self.run.lab().session
    }

    fn run(&mut self, i: usize) -> Result<(), String> {
        if self.step(i).kind == StepKind::Exercise {
            return self.open_exercise(i);
        }
        self.close_exercise();
        self.replay_to(i);
        self.run.run(i, &mut emit);
        Ok(())
    }

    /// Runs the steps before `i` that have not run, quietly (as `nslab run
    /// --from` does: a failure is reported in full), and tells the page which
    /// ran quietly and passed, so that it can mark them "ran before this one".
    fn replay_to(&mut self, i: usize) {
        let before: Vec<_> = (0..i).map(|j| self.run.outcome(j)).collect();
        self.run.replay_to(i, &mut emit);
        for (j, was) in before.into_iter().enumerate() {
            if was.is_none() && self.run.outcome(j) == Some(crate::run::event::OutcomeKind::Passed) {
                say(&WorkerLine::Quiet { step: self.step(j).id.clone() });
            }
        }
    }

    fn skip(&mut self, i: usize) -> Result<(), String> {
        self.close_exercise();
        self.run.skip(i, &mut emit);
        Ok(())
    }

    /// Opens exercise `i` (after the steps before it), unless it is open.
    fn open_exercise(&mut self, i: usize) -> Result<(), String> {
        if self.exercise.as_ref().is_none_or(|(e, _)| *e != i) {
            self.close_exercise();
            self.replay_to(i);
            let lesson = self.run.lesson();
            let step = &lesson.steps[i];
            if let Some(why) = self.run.blocked(i) {
                emit(self.run.step_started(i));
                self.run.report(i, StepResult::skipped(step, why), &mut emit);
                return Ok(());
            }
            let opts = self.run.options().clone();
            match OpenExercise::open(&mut self.run.lab_mut().session, step, &opts) {
                Ok(ex) => self.exercise = Some((i, ex)),
                Err(e) => {
                    emit(self.run.step_started(i));
                    let r = StepResult { error: Some(e), ..StepResult::new(step, StepOutcome::Failed) };
                    self.run.report(i, r, &mut emit);
                    return Ok(());
                }
            }
        }
        say(&WorkerLine::Exercise { step: self.step(i).id.clone(), attach: self.attach_command(i) });
        Ok(())
    }

    fn check(&mut self, i: usize) -> Result<(), String> {
        if self.step(i).kind != StepKind::Exercise {
            return Err(format!("step {} is not an exercise: there is nothing to check", self.step(i).id));
        }
        self.open_exercise(i)?;
        let Some((_, ex)) = &self.exercise else { return Ok(()) };
        let mut r = ex.verify(self.session(), &self.run.lesson().steps[i]);
        unseen_shell(&self.run.lesson().steps[i], &mut r);
        emit(self.run.step_started(i));
        self.run.report(i, r, &mut emit);
        Ok(())
    }

    /// `check` was typed in a shell attached to the lab.
    fn answer_check(&mut self) {
        let Some((i, ex)) = &mut self.exercise else { return };
        let i = *i;
        let lesson = self.run.lesson();
        if let Some(r) = ex.answer(&self.run.lab().session, &lesson.steps[i]) {
            emit(self.run.step_started(i));
            self.run.report(i, r, &mut emit);
            flush_views(self.session());
        }
    }

    fn close_exercise(&mut self) {
        if let Some((_, ex)) = self.exercise.take() {
            ex.close(&self.run.lab().session);
        }
    }

    /// A command line that opens a shell in the lab's namespaces, in the run
    /// folder, with `check` and the lesson's variables: what a learner types
    /// in their own terminal, as the user that runs `nslab serve`.
    fn attach_command(&self, i: usize) -> String {
        let step = self.step(i);
        // Into the lab's user namespace too, so that the shell holds no
        // privilege over the machine. Made without privilege, that namespace
        // denies setgroups, which nsenter -U calls unless it keeps the
        // caller's ids (which map to root there anyway); made by root, it
        // maps root to an unprivileged range, and nsenter becomes its root.
        let kinds = if self.rootless { "-U --preserve-credentials -m -u -i -n -p -C" } else { "-U -m -u -i -n -p -C" };
        let mut vars: Vec<String> = self.session().env().into_iter().map(|(k, v)| format!("{k}={}", shell_quote(&v))).collect();
        vars.push(format!("NSLAB_LESSON={}", self.lesson().meta.id));
        vars.push(format!("NSLAB_STEP={}", step.id));
        // bash expands `\w \$` in a prompt; dash and other plain shells show
        // it as it is, so they get a prompt without escapes.
        vars.push(format!("PS1={}", shell_quote(&format!("[nslab {} · {}] \\w \\$ ", self.lesson().meta.id, step.id))));
        vars.push(format!("NSLAB_PLAIN_PS1={}", shell_quote(&format!("[nslab {} · {}] $ ", self.lesson().meta.id, step.id))));
        let bin = OpenExercise::bin_dir(self.session()).map(|b| b.display().to_string()).unwrap_or_default();
        // nsenter opens a --wd folder before it enters the mount namespace,
        // so the shell changes to the run folder itself.
        format!(
            // Only the lab's environment: processes in the lab may read the
            // shell's, and the learner's may hold secrets.
            "nsenter -t {} {kinds} env -i TERM=\"$TERM\" LANG=\"$LANG\" SHELL=\"$SHELL\" HOME=/root {} PATH={bin}:{path} sh -c 'cd \"$NSLAB_RUN_DIR\" || exit; case \"${{SHELL:-sh}}\" in *bash) ;; *) PS1=$NSLAB_PLAIN_PS1 ;; esac; exec \"${{SHELL:-sh}}\" -i'",
            self.session().host_pid(),
            vars.join(" "),
            path = crate::run::sandbox::SAFE_PATH
        )
    }
}

/// What the learner is told when the page's Check ran before `check` was
/// typed in any shell (or that shell has exited).
pub const SHELL_UNSEEN: &str = "nslab could not see your shell: type `check` in the shell you worked in (its answer shows here too)";

/// A Check from the page with no shell seen: every expectation about "your
/// shell" says that nslab could not see it — not that it is wrong — and the
/// only hint is to type `check`, since a learner who did it right must not
/// be told to do it again.
fn unseen_shell(step: &Step, r: &mut StepResult) {
    use crate::lesson::{Expectation, Subject};
    if r.observed.as_ref().is_none_or(|s| s.shell.is_some()) {
        return;
    }
    let about_shell = |e: &Expectation| {
        e.ns().is_some_and(|n| n.subject == Subject::Shell)
            || matches!(e, Expectation::SameAs { other: Subject::Shell, .. } | Expectation::DiffersFrom { other: Subject::Shell, .. })
    };
    let mut unseen = false;
    for (v, e) in r.verdicts.iter_mut().zip(&step.expectations) {
        if !v.holds() && about_shell(&e.value) {
            v.observed = SHELL_UNSEEN.to_string();
            unseen = true;
        }
    }
    if unseen {
        r.hints = vec![SHELL_UNSEEN.to_string()];
    }
}

/// `s` as one shell word.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-:=@".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("/run/nslab"), "/run/nslab");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
