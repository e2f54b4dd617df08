//! Exercises: the learner reaches a goal with their own commands in a shell
//! nslab opens in the lab, types `check`, and nslab verifies the kernel state
//! — of the shell `check` was typed in, and of the pins the exercise names.
//!
//! `check` is nslab itself (bind-mounted into the lab as `check`): it connects
//! to the worker's socket, and the worker learns who asked from the socket's
//! peer credentials — the kernel's word, not the shell's. "Your shell" is
//! where `check` runs: `check` inherits the namespaces of the shell it was
//! typed in, and a shell may run its last command in its own place (`bash -c
//! '… && check'` execs it), so the caller's parent is the shell only when it
//! is in the same namespaces.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::observe::Snapshot;
use super::report::{StepOutcome, StepResult};
use super::session::Session;
use super::verify::{self, Verdict};
use super::{RunOptions, exec};
use crate::lesson::{Expectation, Lesson, NsRef, Step, Subject};
use crate::ns::{self, NsKind, NsView, Spawn, Stdio};

/// How an exercise is worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A learner at a terminal, in their own shell.
    Learner,
    /// The reference solution runs instead (no terminal, `--yes`, CI).
    Solution,
    /// Nothing is done: a plain shell checks at once. Used to prove that an
    /// exercise cannot pass before it is solved.
    Nothing,
}

const SOCKET: &str = ".check.sock";

/// `check` inside an exercise shell: asks nslab to verify, prints the answer,
/// and exits 0 when every expectation holds, 1 when not, 2 outside an exercise.
pub fn client_main() -> ! {
    let Some(dir) = std::env::var_os("NSLAB_RUN_DIR") else {
        eprintln!("check: not in an nslab exercise (NSLAB_RUN_DIR is not set)");
        std::process::exit(2);
    };
    let mut stream = match UnixStream::connect(Path::new(&dir).join(SOCKET)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("check: cannot reach nslab: {e}");
            std::process::exit(2);
        }
    };
    let _ = stream.write_all(b"check\n");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    let (status, text) = reply.split_once('\n').unwrap_or(("2", &reply));
    print!("{text}");
    std::process::exit(status.trim().parse().unwrap_or(2));
}

/// The exercise machinery of a session: the `check` command and its socket.
pub struct Checker {
    listener: UnixListener,
    bin_dir: PathBuf,
}

impl Checker {
    /// Sets up `check` in the run folder: a socket, and nslab's own binary
    /// bind-mounted at `bin/check`.
    pub fn new(run_dir: &Path, exe: Option<&Path>) -> std::io::Result<Checker> {
        let socket = run_dir.join(SOCKET);
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        listener.set_nonblocking(true)?;
        let bin_dir = run_dir.join("bin");
        std::fs::create_dir_all(&bin_dir)?;
        let check = bin_dir.join("check");
        std::fs::write(&check, b"")?;
        // By its path, not through /proc/self/exe: that link points into the
        // mount namespace nslab started in, and a bind mount must come from
        // the lab's own.
        let exe = match exe {
            Some(exe) => exe.to_path_buf(),
            None => std::fs::read_link(ns::view::proc_root().join("self/exe"))?,
        };
        if let Err(e) = ns::sys::bind_mount(&exe, &check) {
            let _ = std::fs::remove_file(&check);
            return Err(e);
        }
        Ok(Checker { listener, bin_dir })
    }

    /// What `new` made in the run folder: the socket and the `bin` folder.
    pub fn paths(&self) -> Vec<PathBuf> {
        let socket = self.bin_dir.parent().map(|run| run.join(SOCKET));
        socket.into_iter().chain([self.bin_dir.clone()]).collect()
    }
}

/// Runs an exercise step in `mode` and returns its result.
pub fn run_exercise(session: &mut Session, lesson: &Lesson, step: &Step, opts: &RunOptions, mode: Mode) -> StepResult {
    let started = Instant::now();
    let mut result = StepResult::new(step, StepOutcome::Failed);
    let before = Snapshot::take(session, false);
    let timeout = step.timeout.unwrap_or(opts.timeout);
    if let Err(e) = exec::perform(session, &step.action.value, None, timeout) {
        result.error = Some(e.to_string());
        return result;
    }
    if let Err(e) = session.prepare_checker() {
        result.error = Some(format!("cannot set up `check`: {e}"));
        return result;
    }
    let Some(checker) = session.checker() else { return result };
    let lab_before = lab_processes(session);
    let mounts_before = mount_points(session);
    let creates = step.exercise.as_ref().map(|e| e.creates.clone()).unwrap_or_default();

    // The learner's shell runs on a pseudo-terminal of the lab's own devpts,
    // in a session of its own; nslab relays between it and the learner's
    // terminal. The shell never holds nslab's terminal, so nothing in the
    // lab can push input to it (TIOCSTI) or keep it after the lesson.
    let mut relay = None;
    let spawned = shell(session, &checker.bin_dir, lesson, step, mode).and_then(|mut spawn| {
        if mode == Mode::Learner {
            let ptmx = session.lab_path(Path::new("/dev/pts/ptmx"));
            let ptmx = if ptmx.exists() { ptmx } else { PathBuf::from("/dev/ptmx") };
            let (master, slave) = ns::sys::open_pty(&ptmx).map_err(|e| ns::EngineError::Io { what: "opening a terminal for the shell".into(), source: e })?;
            let dup = |fd: &std::os::fd::OwnedFd| fd.try_clone().map_err(|e| ns::EngineError::Io { what: "duplicating the terminal".into(), source: e });
            spawn.stdio(Stdio::Fd(dup(&slave)?), Stdio::Fd(dup(&slave)?), Stdio::Fd(slave)).controlling_tty(true);
            relay = Some(super::relay::Relay::new(master));
        }
        spawn.start()
    });
    let mut shell_proc = match spawned {
        Ok(p) => p,
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    let deadline = (mode != Mode::Learner).then(|| Instant::now() + timeout);

    // Verify at each `check`, and once more when the shell is gone.
    let mut best: Option<(Vec<Verdict>, Snapshot)> = None;
    let mut checks = 0;
    loop {
        if exec::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) != 0 {
            break;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            result.error = Some(format!("the solution did not finish within {:.1} s", timeout.as_secs_f64()));
            break;
        }
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let mut fds = vec![PollFd::new(shell_proc.pidfd().as_fd(), PollFlags::POLLIN), PollFd::new(checker.listener.as_fd(), PollFlags::POLLIN)];
        if let Some(r) = &relay {
            fds.extend(r.poll_fds());
        }
        let _ = poll(&mut fds, PollTimeout::from(200u16));
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        let (exited, asked) = (ready[0], ready[1]);
        if let Some(r) = relay.as_mut()
            && r.pump(&ready[2..]).is_err()
        {
            // The learner's terminal is gone: the shell goes too.
            break;
        }
        if asked {
            while let Ok((mut stream, _)) = checker.listener.accept() {
                checks += 1;
                let shell_pid = peer(&stream);
                let (verdicts, after) = verify_now(session, step, &before, shell_pid, &creates);
                let passed = verdicts.iter().all(|v| v.holds());
                let text = reply_text(step, &verdicts, passed, mode, opts.color);
                let _ = stream.set_nonblocking(false);
                let _ = stream.write_all(format!("{}\n{text}", u8::from(!passed)).as_bytes());
                if passed || best.as_ref().is_none_or(|(v, _)| !v.iter().all(|v| v.holds())) {
                    best = Some((verdicts, after));
                }
            }
        }
        if exited {
            if let Some(r) = relay.as_mut() {
                r.drain();
            }
            break;
        }
    }
    let _ = shell_proc.kill_group();
    drop(relay);
    // A last look once the learner's shell is gone: what they left (a pin, a
    // process) may be the goal itself.
    let (final_verdicts, final_after) = verify_now(session, step, &before, None, &creates);
    let final_passed = final_verdicts.iter().all(|v| v.holds());
    let (verdicts, after) = match best {
        Some((v, a)) if v.iter().all(|v| v.holds()) || !final_passed => (v, a),
        _ => (final_verdicts, final_after),
    };
    clean_up(session, &lab_before, &mounts_before);
    let passed = result.error.is_none() && verdicts.iter().all(|v| v.holds());
    result.outcome = if passed { StepOutcome::Passed } else { StepOutcome::Failed };
    if !passed {
        result.hints = computed_hints(step, &verdicts).into_iter().chain(step.hints.iter().cloned()).collect();
        if checks == 0 && mode == Mode::Learner {
            result.hints.insert(0, "type `check` in the shell to have nslab look, before you leave it".into());
        }
    }
    result.verdicts = verdicts;
    result.before = Some(before);
    result.observed = Some(after);
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

/// An exercise left open for a learner who works in a shell nslab did not
/// start (`nslab serve`: the page asks, the learner's shell is attached to
/// the lab from their own terminal). The scene is set and `check` listens;
/// verification happens when asked, not in a loop around a shell.
pub struct OpenExercise {
    before: Snapshot,
    lab_before: HashSet<i32>,
    mounts_before: Vec<String>,
    creates: Vec<(String, NsKind)>,
    shell: Option<i32>,
    started: Instant,
}

impl OpenExercise {
    /// Performs the exercise's action (its scene) and sets up `check`.
    pub fn open(session: &mut Session, step: &Step, opts: &RunOptions) -> Result<OpenExercise, String> {
        let started = Instant::now();
        let before = Snapshot::take(session, false);
        exec::perform(session, &step.action.value, None, step.timeout.unwrap_or(opts.timeout)).map_err(|e| e.to_string())?;
        session.prepare_checker().map_err(|e| format!("cannot set up `check`: {e}"))?;
        let creates = step.exercise.as_ref().map(|e| e.creates.clone()).unwrap_or_default();
        Ok(OpenExercise { before, lab_before: lab_processes(session), mounts_before: mount_points(session), creates, shell: None, started })
    }

    /// The socket on which `check`, typed in a shell in the lab, asks.
    pub fn socket(session: &Session) -> Option<std::os::fd::BorrowedFd<'_>> {
        session.checker().map(|c| c.listener.as_fd())
    }

    /// The folder holding the `check` command, to put first on a shell's PATH.
    pub fn bin_dir(session: &Session) -> Option<&Path> {
        session.checker().map(|c| c.bin_dir.as_path())
    }

    /// Answers one `check` waiting on the socket: the shell it was typed in
    /// becomes "your shell" (by the socket's peer credentials), the verdicts go
    /// back to that terminal, and the result is returned.
    pub fn answer(&mut self, session: &Session, step: &Step) -> Option<StepResult> {
        let (mut stream, _) = session.checker()?.listener.accept().ok()?;
        self.shell = peer(&stream);
        let r = self.verify(session, step);
        let passed = r.outcome == StepOutcome::Passed;
        let text = reply_text(step, &r.verdicts, passed, Mode::Learner, false);
        let _ = stream.set_nonblocking(false);
        let _ = stream.write_all(format!("{}\n{text}", u8::from(!passed)).as_bytes());
        Some(r)
    }

    /// Verifies the exercise now, with the shell that last typed `check` (if
    /// it is still alive) as "your shell".
    pub fn verify(&self, session: &Session, step: &Step) -> StepResult {
        let (verdicts, after) = verify_now(session, step, &self.before, self.shell, &self.creates);
        let passed = verdicts.iter().all(|v| v.holds());
        let hints = if passed { step.hints.clone() } else { computed_hints(step, &verdicts).into_iter().chain(step.hints.iter().cloned()).collect() };
        StepResult {
            verdicts,
            before: Some(self.before.clone()),
            observed: Some(after),
            hints,
            duration_ms: self.started.elapsed().as_millis() as u64,
            ..StepResult::new(step, if passed { StepOutcome::Passed } else { StepOutcome::Failed })
        }
    }

    /// Ends the exercise: kills what the learner started in the lab (their
    /// attached shells too) and unmounts what they mounted.
    pub fn close(self, session: &Session) {
        clean_up(session, &self.lab_before, &self.mounts_before);
    }
}

/// The shell for `mode`: the learner's `$SHELL` with the lesson and step in
/// its prompt, the reference solution, or a shell that checks at once.
fn shell(session: &Session, bin_dir: &Path, lesson: &Lesson, step: &Step, mode: Mode) -> Result<Spawn, ns::EngineError> {
    let solution = step.exercise.as_ref().map_or("", |e| e.solution.as_str());
    let mut spawn = match mode {
        Mode::Learner => {
            let program = std::env::var("SHELL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into());
            let mut s = Spawn::new(&program);
            let tag = format!("[nslab {} · {}]", lesson.meta.id, step.id);
            // The prompt shows the lesson and step: each shell is told its own way,
            // and the learner's own startup files (which may set a prompt) are not read.
            match Path::new(&program).file_name().and_then(|n| n.to_str()) {
                Some("bash") => {
                    s.args(["--norc", "-i"]);
                }
                Some("zsh") => {
                    // zsh takes no PS1 from the environment: a .zshrc of nslab's.
                    let dir = session.run_dir().join(".zsh");
                    let _ = std::fs::create_dir_all(&dir);
                    let _ = std::fs::write(dir.join(".zshrc"), format!("PS1='{} %~ %# '\n", tag.replace('\'', "")));
                    s.env("ZDOTDIR", &dir).args(["-i"]);
                }
                Some("fish") => {
                    let prompt = format!("function fish_prompt; echo -n '{} '(prompt_pwd)' > '; end", tag.replace('\'', ""));
                    s.args(["--no-config", "--init-command", &prompt, "--interactive"]);
                }
                _ => {
                    s.args(["-i"]);
                }
            }
            s
        }
        Mode::Solution => Spawn::shell(solution),
        Mode::Nothing => Spawn::shell("check >/dev/null"),
    };
    session.confine(&mut spawn);
    let path = super::sandbox::lab_env().into_iter().find(|(k, _)| k == "PATH").map(|(_, v)| v).unwrap_or_default();
    spawn.env("PATH", format!("{}:{path}", bin_dir.display()));
    // bash expands \w and \$ in its prompt; dash and other POSIX shells print
    // them as they are.
    let tag = format!("[nslab {} · {}]", lesson.meta.id, step.id);
    let bash = spawn_program_is(&spawn, "bash");
    spawn.env("PS1", if bash { format!("{tag} \\w \\$ ") } else { format!("{tag} # ") });
    spawn.env("NSLAB_LESSON", &lesson.meta.id).env("NSLAB_STEP", &step.id);
    spawn.cwd(session.run_dir()).death_signal(libc::SIGKILL);
    // In the lab, as every command of the lesson: never in nslab's own mount
    // namespace, where the host's /proc is.
    spawn.join_all_of(session.host_pid())?;
    if mode != Mode::Learner {
        spawn.stdio(Stdio::Null, Stdio::Null, Stdio::Null);
    }
    Ok(spawn)
}

/// True when `spawn` runs the program named `name` (by its file name).
fn spawn_program_is(spawn: &Spawn, name: &str) -> bool {
    Path::new(spawn.program()).file_name().is_some_and(|n| n == name)
}

/// The pid (in nslab's pid namespace) that stands for the learner's shell:
/// the `check` process at the other end of the socket, or its parent when
/// that is in exactly the same namespaces (the shell `check` was typed in,
/// which outlives it, so a later check from the page still sees it).
fn peer(stream: &UnixStream) -> Option<i32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let check = getsockopt(stream, PeerCredentials).ok().map(|cred| cred.pid()).filter(|p| *p > 0)?;
    let root = ns::view::proc_root();
    let parent = std::fs::read_to_string(root.join(check.to_string()).join("status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("PPid:")).and_then(|v| v.trim().parse::<i32>().ok()))
        .filter(|p| *p > 0);
    let view = |pid: i32| NsView::read(&root, pid).ok();
    match parent {
        Some(parent) if view(parent).is_some_and(|p| Some(p) == view(check)) => Some(parent),
        _ => Some(check),
    }
}

fn verify_now(session: &Session, step: &Step, before: &Snapshot, shell: Option<i32>, creates: &[(String, NsKind)]) -> (Vec<Verdict>, Snapshot) {
    let needs_listing = step
        .expectations
        .iter()
        .any(|e| matches!(e.value, Expectation::InLsns { .. } | Expectation::GoneFromLsns { .. } | Expectation::Nprocs { .. } | Expectation::PinnedAt { .. }));
    let mut after = Snapshot::take(session, needs_listing);
    after.shell = shell.and_then(|pid| super::observe::Seen::read(pid).ok());
    after.add_created_pins(&session.lab_path(session.run_dir()), creates);
    // The probe runs where the learner's shell is, while `check` waits there.
    let probe = match (step.exercise.as_ref().and_then(|e| e.probe.as_deref()), shell) {
        (Some(command), Some(pid)) => run_probe(session, command, pid),
        _ => None,
    };
    let evidence = verify::Evidence { before, after: &after, command: probe.as_ref() };
    let mut verdicts = verify::verify(step, &evidence);
    if probe.is_none() {
        for (v, e) in verdicts.iter_mut().zip(&step.expectations) {
            if e.value.needs_command() {
                v.observed = crate::t!("probe-not-run");
            }
        }
    }
    (verdicts, after)
}

/// How long an exercise's probe may take.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs an exercise's `probe:` in every namespace of `pid` (the learner's
/// `check`), with the lesson's variables; `None` if it could not start.
fn run_probe(session: &Session, command: &str, pid: i32) -> Option<exec::CommandResult> {
    let mut spawn = Spawn::shell(command);
    session.confine(&mut spawn);
    spawn.join_all_of(pid).ok()?;
    exec::run_command(spawn, None, PROBE_TIMEOUT).ok()
}

/// Hints computed from what was seen, e.g. "the uts namespace of your shell is
/// still the host's: was -u given to unshare?".
pub fn computed_hints(step: &Step, verdicts: &[Verdict]) -> Vec<String> {
    let flag = |k: NsKind| format!("-{} (--{})", k.short_flag(), if k == NsKind::Mnt { "mount" } else { k.name() });
    step.expectations
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| !v.holds())
        .filter_map(|(e, v)| match &e.value {
            Expectation::DiffersFrom { ns: NsRef { subject: Subject::Shell, kind: Some(k) }, other: Subject::Host }
            | Expectation::Changed { ns: NsRef { subject: Subject::Shell, kind: Some(k) } } => {
                // "nothing": verify's words for a namespace it could not find, in this language.
                if v.observed.contains(&crate::t!("seen-nothing")) {
                    Some(crate::t!("hint-shell-unseen"))
                } else {
                    Some(crate::t!("hint-still-lab", kind = k.name(), flag = flag(*k)))
                }
            }
            Expectation::SameAs { ns: NsRef { subject: Subject::Shell, kind: Some(k) }, other: Subject::Process(p) } => {
                let command = format!("nsenter -t $NSLAB_PID_{} {}", p.to_ascii_uppercase().replace('-', "_"), flag(*k).split(' ').next().unwrap_or(""));
                Some(crate::t!("hint-not-in", kind = k.name(), name = p.as_str(), command = command))
            }
            Expectation::SameAs { ns: NsRef { subject: Subject::Shell, kind: Some(k) }, other: Subject::Host } => {
                Some(crate::t!("hint-own-ns", kind = k.name()))
            }
            Expectation::PinnedAt { pin, .. } | Expectation::InLsns { ns: NsRef { subject: Subject::Pin(pin), .. } } => {
                Some(crate::t!("hint-nothing-pinned", pin = pin.as_str()))
            }
            _ => None,
        })
        .collect()
}

fn reply_text(step: &Step, verdicts: &[Verdict], passed: bool, mode: Mode, color: bool) -> String {
    use console::Style;
    let st = |s: Style| s.force_styling(color && mode == Mode::Learner);
    let mut out = String::new();
    for v in verdicts {
        if v.holds() {
            out.push_str(&format!("{} {}\n", st(Style::new().green()).apply_to("✔"), v.expected));
        } else {
            out.push_str(&format!(
                "{} {}\n      {}\n",
                st(Style::new().red().bold()).apply_to("✘"),
                v.expected,
                crate::i18n::labelled(&crate::t!("observed-label"), &v.observed.replace('\n', "\n        "))
            ));
        }
    }
    if passed {
        out.push_str(&format!("{}\n", crate::t!("exercise-all-holds")));
    } else if let Some(h) = computed_hints(step, verdicts).first() {
        let label = crate::t!("hint-label");
        out.push_str(&format!("{}{}{h}\n", st(Style::new().yellow()).apply_to(&label), if label.ends_with('：') { "" } else { " " }));
    }
    out
}

/// The processes in the lab's pid namespace (or one below it), by pid in
/// nslab's own pid namespace.
fn lab_processes(session: &Session) -> HashSet<i32> {
    let root = ns::view::proc_root();
    let Some(lab) = NsView::read(&root, session.host_pid()).ok().and_then(|v| v.get(NsKind::Pid)) else {
        return HashSet::new();
    };
    let Ok(dir) = std::fs::read_dir(&root) else { return HashSet::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(fd) = ns::sys::open_ns(&root.join(pid.to_string()).join("ns/pid")) else { return false };
            let mut cur = Some(fd);
            // Walk up the pid namespace tree (NS_GET_PARENT) to the lab's.
            for _ in 0..32 {
                let Some(fd) = cur.take() else { break };
                match ns::sys::ns_id_of_fd(&fd) {
                    Ok(Some(id)) if id == lab => return true,
                    _ => {}
                }
                cur = ns::sys::parent_ns(&fd).ok();
            }
            false
        })
        .collect()
}

/// The mount points of the lab, as it sees them.
fn mount_points(session: &Session) -> Vec<String> {
    let text = std::fs::read_to_string(session.mountinfo()).unwrap_or_default();
    text.lines().filter_map(|l| l.split(' ').nth(4).map(str::to_owned)).collect()
}

/// Kills what the learner started in the lab and unmounts what they mounted.
fn clean_up(session: &Session, lab_before: &HashSet<i32>, mounts_before: &[String]) {
    let keep: HashSet<i32> = session.process_names().filter_map(|n| session.pid(n)).chain([session.host_pid()]).collect();
    for pid in lab_processes(session) {
        if !lab_before.contains(&pid) && !keep.contains(&pid) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
    let before: HashSet<&str> = mounts_before.iter().map(String::as_str).collect();
    let new: Vec<String> = mount_points(session).into_iter().rev().filter(|p| !before.contains(p.as_str())).map(|p| p.replace("\\040", " ")).collect();
    if !new.is_empty() {
        // The mounts are in the lab's mount namespace, not nslab's: unmounted
        // from inside it, newest first.
        let mut umount = Spawn::new("umount");
        umount.args(["--lazy", "--"]).args(&new);
        session.confine(&mut umount);
        if umount.join_all_of(session.host_pid()).is_ok() {
            let _ = exec::run_command(umount, None, std::time::Duration::from_secs(5));
        }
    }
}
