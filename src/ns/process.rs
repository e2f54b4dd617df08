//! Starting processes in namespaces (clone, setns, unshare) and keeping
//! namespaces alive on files (pins): the engine's library API.
//!
//! All namespace changes happen in the new child (see `sys`), never in the
//! caller, which may have other threads.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::sys::{self, ChildFailure, ChildPlan, ExitStatus, SpawnFailure, Stage};
use super::view::{NsView, ns_path, proc_root};
use super::{KindSet, NsId, NsKind};

/// Errors of the engine's operations. Each says what was being done.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A pid that is not (or no longer) a process.
    #[error("no process with pid {0}")]
    NoSuchProcess(i32),
    /// A namespace file that does not exist.
    #[error("{}: no such file", .0.display())]
    MissingFile(PathBuf),
    /// A file that is not a namespace (not on nsfs).
    #[error("{}: not a namespace file (expected a /proc/PID/ns link or a bind mount of one)", .0.display())]
    NotANamespace(PathBuf),
    /// A namespace file of another kind than asked for.
    #[error("{}: is a {found} namespace, not {wanted}", path.display())]
    WrongKind {
        /// The file.
        path: PathBuf,
        /// The kind asked for.
        wanted: NsKind,
        /// The kind it is.
        found: NsKind,
    },
    /// Opening a namespace file failed.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The program to run was not found (exit 127).
    #[error("{program}: command not found")]
    NotFound {
        /// The program name.
        program: String,
    },
    /// The program could not be executed (exit 126).
    #[error("{program}: cannot execute: {source}")]
    CannotExecute {
        /// The program name.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// Creating namespaces needs privileges the caller lacks.
    #[error("creating {kinds} namespaces needs privileges: {source}; run as root, or map yourself to root in a new user namespace (-r)")]
    NeedsPrivilege {
        /// The kinds asked for.
        kinds: KindSet,
        /// The kernel's answer.
        source: io::Error,
    },
    /// A system call in the child failed.
    #[error("{what} failed: {source}")]
    Child {
        /// What the child was doing.
        what: String,
        /// The kernel's answer.
        source: io::Error,
    },
    /// Any other system error, with what was being done.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The kernel's answer.
        source: io::Error,
    },
}

impl EngineError {
    /// The exit status a command-line tool should use: 127 and 126 for a
    /// program that cannot be run, as shells do, and 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            EngineError::NotFound { .. } => 127,
            EngineError::CannotExecute { .. } => 126,
            _ => 1,
        }
    }
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> EngineError {
    let what = what.into();
    move |source| EngineError::Io { what, source }
}

/// A namespace to join: one kind of a process, or a namespace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinTarget {
    /// The namespace of `kind` that process `pid` is in.
    Process {
        /// The process.
        pid: i32,
        /// Which of its namespaces.
        kind: NsKind,
    },
    /// The namespace behind a file: `/proc/PID/ns/net`, a pin, `/run/netns/x`.
    File {
        /// The file.
        path: PathBuf,
        /// The kind it must be; `None` accepts any and learns it from the file.
        kind: Option<NsKind>,
    },
}

/// Where a standard stream of the new process goes.
#[derive(Debug, Default)]
pub enum Stdio {
    /// Shared with the caller.
    #[default]
    Inherit,
    /// `/dev/null`.
    Null,
    /// A pipe; the caller gets the other end from [`Process`].
    Piped,
    /// This descriptor.
    Fd(OwnedFd),
}

/// Offsets for a new time namespace, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeOffsets {
    /// Added to CLOCK_MONOTONIC.
    pub monotonic: i64,
    /// Added to CLOCK_BOOTTIME.
    pub boottime: i64,
}

/// How new namespaces come into being.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Creation {
    /// clone3 with CLONE_NEW* flags: the process starts inside every new
    /// namespace, pid and time included (it is pid 1 of a new pid namespace).
    #[default]
    Clone,
    /// The process calls unshare(2) before exec: it leaves its namespaces for
    /// new ones, except pid and time, which only its children enter.
    Unshare,
}

/// A process to start in namespaces: the engine's one way to run anything.
#[derive(Debug)]
pub struct Spawn {
    program: OsString,
    args: Vec<OsString>,
    new: KindSet,
    creation: Creation,
    joins: Vec<JoinTarget>,
    map_root: bool,
    mount_proc: bool,
    receive_mounts: bool,
    time_offsets: Option<TimeOffsets>,
    death_signal: Option<i32>,
    new_process_group: bool,
    foreground: bool,
    cwd: Option<PathBuf>,
    stdio: [Stdio; 3],
    env: Vec<(OsString, OsString)>,
    propagation: Option<Option<libc::c_ulong>>,
    extra: sys::Extra,
    env_clear: bool,
    new_session: bool,
    controlling_tty: bool,
    close_fds: bool,
    enter_as_root: Option<PathBuf>,
    lab_root: Option<PathBuf>,
    parent_maps: Option<(String, String)>,
}

impl Spawn {
    /// A spawn of `program` with no arguments, in the caller's namespaces.
    pub fn new(program: impl AsRef<OsStr>) -> Spawn {
        Spawn {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            new: KindSet::EMPTY,
            creation: Creation::Clone,
            joins: Vec::new(),
            map_root: false,
            mount_proc: false,
            receive_mounts: false,
            time_offsets: None,
            death_signal: None,
            new_process_group: false,
            foreground: false,
            cwd: None,
            stdio: [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit],
            env: Vec::new(),
            propagation: None,
            extra: sys::Extra::default(),
            env_clear: false,
            new_session: false,
            controlling_tty: false,
            close_fds: false,
            enter_as_root: None,
            lab_root: None,
            parent_maps: None,
        }
    }

    /// A spawn of `sh -c SCRIPT`.
    pub fn shell(script: &str) -> Spawn {
        let mut s = Spawn::new("sh");
        s.args(["-c", script]);
        s
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Creates new namespaces of these kinds, by `creation`.
    pub fn new_namespaces(&mut self, kinds: KindSet, creation: Creation) -> &mut Self {
        self.new = kinds;
        self.creation = creation;
        self
    }

    /// Joins these namespaces first (setns), in the order nsenter(1) uses.
    pub fn join(&mut self, targets: impl IntoIterator<Item = JoinTarget>) -> &mut Self {
        self.joins.extend(targets);
        self
    }

    /// Joins every namespace of `pid` that differs from the caller's, as
    /// `nsenter -a -t PID` does. Namespaces the caller is already in are
    /// skipped: joining them changes nothing, setns into one's own user
    /// namespace fails with EINVAL, and once inside a new user namespace an
    /// unprivileged caller may not "re-join" the host's others.
    pub fn join_all_of(&mut self, pid: i32) -> Result<&mut Self, EngineError> {
        let theirs = NsView::read(&proc_root(), pid).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => EngineError::NoSuchProcess(pid),
            _ => EngineError::Io { what: format!("reading the namespaces of pid {pid}"), source: e },
        })?;
        let ours = NsView::of_self().map_err(io_err("reading our own namespaces"))?;
        for kind in KindSet::ALL.iter() {
            if theirs.get(kind).is_some() && theirs.get(kind) != ours.get(kind) {
                self.joins.push(JoinTarget::Process { pid, kind });
            }
        }
        Ok(self)
    }

    /// Maps the caller's uid and gid to root in the new user namespace.
    pub fn map_root(&mut self, yes: bool) -> &mut Self {
        self.map_root = yes;
        self
    }

    /// Mounts a fresh /proc (needs new pid and mount namespaces).
    pub fn mount_proc(&mut self, yes: bool) -> &mut Self {
        self.mount_proc = yes;
        self
    }

    /// Makes a new mount namespace a receiver of the caller's: what the
    /// caller mounts under its shared mounts appears in it too, and nothing
    /// mounted in it comes back (`MS_SLAVE`). By default a new mount
    /// namespace is made recursively private: nothing crosses either way.
    pub fn receive_mounts(&mut self, yes: bool) -> &mut Self {
        self.receive_mounts = yes;
        self
    }

    /// Offsets for the new time namespace.
    pub fn time_offsets(&mut self, offsets: TimeOffsets) -> &mut Self {
        self.time_offsets = Some(offsets);
        self
    }

    /// A signal the process gets when its parent dies (PR_SET_PDEATHSIG).
    pub fn death_signal(&mut self, signal: i32) -> &mut Self {
        self.death_signal = Some(signal);
        self
    }

    /// Puts the process in a process group of its own, so that it and what it
    /// forks can be killed together ([`Process::kill_group`]).
    pub fn new_process_group(&mut self, yes: bool) -> &mut Self {
        self.new_process_group = yes;
        self
    }

    /// Puts the process in a process group of its own that is the terminal's
    /// foreground group (of the terminal on stdin) from its first
    /// instruction on, as a shell starts a job: an interactive program then
    /// reads the terminal and receives Ctrl-C itself.
    pub fn foreground(&mut self, yes: bool) -> &mut Self {
        self.foreground = yes;
        self
    }

    /// The working directory the program starts in.
    pub fn cwd(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Where stdin, stdout and stderr go.
    pub fn stdio(&mut self, stdin: Stdio, stdout: Stdio, stderr: Stdio) -> &mut Self {
        self.stdio = [stdin, stdout, stderr];
        self
    }

    /// Sets an environment variable for the process.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// The propagation every mount of a new mount namespace gets
    /// (`MS_PRIVATE`, `MS_SLAVE`, `MS_SHARED`), or `None` to leave it unchanged,
    /// as `unshare --propagation` sets it. Overrides [`Spawn::receive_mounts`].
    pub fn propagation(&mut self, flags: Option<libc::c_ulong>) -> &mut Self {
        self.propagation = Some(flags);
        self
    }

    /// The last steps before exec: root and working directory, credentials,
    /// capabilities (the options of `unshare` and `nsenter` beyond namespaces).
    pub fn extra(&mut self, extra: sys::Extra) -> &mut Self {
        self.extra = extra;
        self
    }

    /// Starts from an empty environment: only what [`Spawn::env`] sets.
    pub fn env_clear(&mut self) -> &mut Self {
        self.env_clear = true;
        self
    }

    /// Starts the process in a new session (setsid), with no controlling
    /// terminal: it cannot read, write or push input to nslab's terminal
    /// (TIOCSTI), and it leads a process group of its own, so it can be
    /// killed with everything it forks ([`Process::kill_group`]).
    pub fn new_session(&mut self, yes: bool) -> &mut Self {
        self.new_session = yes;
        self
    }

    /// With [`Spawn::new_session`]: the terminal on stdin (a pseudo-terminal
    /// slave) becomes the session's controlling terminal.
    pub fn controlling_tty(&mut self, yes: bool) -> &mut Self {
        self.controlling_tty = yes;
        self
    }

    /// Closes every descriptor above 2 at exec.
    pub fn close_other_fds(&mut self, yes: bool) -> &mut Self {
        self.close_fds = yes;
        self
    }

    /// Enters the user namespace behind `userns` first and becomes its root,
    /// before joining anything else (see `sys::ChildPlan::enter_as_root`).
    pub fn enter_as_root(&mut self, userns: impl Into<PathBuf>) -> &mut Self {
        self.enter_as_root = Some(userns.into());
        self
    }

    /// Finishes the root file system staged at `root` (a fresh /proc and
    /// /sys) and pivots into it; needs new user, mount, pid and net
    /// namespaces (see `sys::LabRoot`).
    pub fn lab_root(&mut self, root: impl Into<PathBuf>) -> &mut Self {
        self.lab_root = Some(root.into());
        self
    }

    /// The uid and gid maps (`/proc/PID/uid_map` text) of the new user
    /// namespace, written by the caller rather than by the process itself.
    pub fn id_maps(&mut self, uid_map: String, gid_map: String) -> &mut Self {
        self.parent_maps = Some((uid_map, gid_map));
        self
    }

    /// The namespaces this spawn creates.
    pub fn new_kinds(&self) -> KindSet {
        self.new
    }

    /// The program this spawn runs.
    pub fn program(&self) -> &OsStr {
        &self.program
    }

    fn program_name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// Starts the process. It runs once this returns; its pipes, if any, are in
    /// the returned handle.
    pub fn start(self) -> Result<Process, EngineError> {
        self.launch(false, |_| Ok(()))
    }

    /// Starts the process, calling `before_exec` with its pid once its
    /// namespaces exist and before it runs the program (to pin them, say). An
    /// error from `before_exec` kills the process and is returned.
    pub fn start_with(self, before_exec: impl FnOnce(i32) -> Result<(), EngineError>) -> Result<Process, EngineError> {
        self.launch(true, before_exec)
    }

    /// Starts the process; `hold` keeps it waiting before exec while
    /// `before_exec` runs.
    fn launch(mut self, hold: bool, before_exec: impl FnOnce(i32) -> Result<(), EngineError>) -> Result<Process, EngineError> {
        let (mut plan, mut pipes) = self.plan()?;
        plan.hold = hold;
        let pending = sys::spawn(&plan).map_err(|f| self.explain(&plan, f))?;
        drop(plan);
        if let Err(e) = before_exec(pending.pid) {
            pending.abort();
            return Err(e);
        }
        let (pid, pidfd) = pending.release().map_err(|f| self.explain_exec(f))?;
        Ok(Process { pid, pidfd, status: None, stdin: pipes[0].take(), stdout: pipes[1].take(), stderr: pipes[2].take() })
    }

    /// Turns the request into the child's fixed program.
    fn plan(&mut self) -> Result<(ChildPlan, [Option<OwnedFd>; 3]), EngineError> {
        let mut joins = Vec::new();
        for target in &self.joins {
            joins.push(open_join(target)?);
        }
        let enter_as_root = match &self.enter_as_root {
            None => None,
            Some(path) => {
                let fd = sys::open_ns(path).map_err(|source| EngineError::Open { path: path.clone(), source })?;
                // Already in it once entered: setns into one's own user
                // namespace fails.
                let id = sys::ns_id_of_fd(&fd).ok().flatten();
                joins.retain(|(k, f)| *k != NsKind::User || id.is_none() || sys::ns_id_of_fd(f).ok().flatten() != id);
                Some(fd)
            }
        };
        // nsenter's order: user first in the list (join_all skips it on the first
        // pass), then the rest in its order; mnt late, as it changes the root.
        const ORDER: [NsKind; 8] = [NsKind::User, NsKind::Cgroup, NsKind::Ipc, NsKind::Uts, NsKind::Net, NsKind::Pid, NsKind::Mnt, NsKind::Time];
        joins.sort_by_key(|(k, _)| ORDER.iter().position(|o| o == k));

        let mut clone_flags = 0u64;
        let mut unshare_flags = 0;
        let mut pre_unshare_flags = 0;
        let mut pre_writes = Vec::new();
        let (mut map_root, mut pre_map_root) = (self.map_root, false);
        if let Some(offsets) = self.time_offsets.filter(|_| self.new.contains(NsKind::Time)) {
            // Offsets can only be written before any process enters the new time
            // namespace, so the intermediate process creates every namespace by
            // unshare, sets them, and the child is born inside.
            pre_unshare_flags = self.new.clone_flags();
            pre_map_root = map_root;
            map_root = false;
            let data = format!("monotonic {} 0\nboottime {} 0\n", offsets.monotonic, offsets.boottime);
            pre_writes.push(sys::ProcWrite { path: c"/proc/self/timens_offsets".into(), data: data.into_bytes(), optional: false });
        } else {
            match self.creation {
                Creation::Clone => clone_flags = self.new.clone_flags() as u64,
                Creation::Unshare => unshare_flags = self.new.clone_flags(),
            }
        }

        let mut stdio: [Option<OwnedFd>; 3] = [None, None, None];
        let mut pipes: [Option<OwnedFd>; 3] = [None, None, None];
        for (i, s) in std::mem::take(&mut self.stdio).into_iter().enumerate() {
            stdio[i] = match s {
                Stdio::Inherit => None,
                Stdio::Null => Some(std::fs::OpenOptions::new().read(i == 0).write(i != 0).open("/dev/null").map_err(io_err("opening /dev/null"))?.into()),
                Stdio::Piped => {
                    let (r, w) =
                        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| EngineError::Io { what: "creating a pipe".into(), source: e.into() })?;
                    let (child_end, our_end) = if i == 0 { (r, w) } else { (w, r) };
                    pipes[i] = Some(our_end);
                    Some(child_end)
                }
                Stdio::Fd(fd) => Some(fd),
            };
        }

        let to_c = |s: &OsStr| {
            CString::new(s.as_bytes())
                .map_err(|_| EngineError::Io { what: format!("argument {:?}", s), source: io::Error::new(io::ErrorKind::InvalidInput, "contains a NUL byte") })
        };
        let mut argv = vec![to_c(&self.program)?];
        for a in &self.args {
            argv.push(to_c(a)?);
        }
        let mut env: Vec<(OsString, OsString)> = if self.env_clear { Vec::new() } else { std::env::vars_os().collect() };
        for (k, v) in &self.env {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
        let mut envp = Vec::with_capacity(env.len());
        for (k, v) in &env {
            let mut kv = k.clone();
            kv.push("=");
            kv.push(v);
            envp.push(to_c(&kv)?);
        }
        let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone());
        let candidates = exec_candidates(&self.program, path.as_deref()).into_iter().map(|p| to_c(p.as_os_str())).collect::<Result<_, _>>()?;

        let plan = ChildPlan {
            joins,
            clone_flags,
            unshare_flags,
            pre_unshare_flags,
            pre_map_root,
            pre_writes,
            map_root,
            root_propagation: match self.propagation {
                _ if !self.new.contains(NsKind::Mnt) => None,
                Some(chosen) => chosen,
                None => Some(if self.receive_mounts { libc::MS_SLAVE } else { libc::MS_PRIVATE }),
            },
            mount_proc: self.mount_proc,
            death_signal: self.death_signal,
            new_process_group: self.new_process_group || self.foreground,
            foreground: self.foreground,
            cwd: self.cwd.as_deref().map(|d| to_c(d.as_os_str())).transpose()?,
            via_intermediate: clone_flags & libc::CLONE_NEWPID as u64 != 0 && pid_ns_pending(),
            new_session: self.new_session,
            controlling_tty: self.controlling_tty,
            close_fds: self.close_fds,
            enter_as_root,
            lab_root: self.lab_root.as_deref().map(sys::LabRoot::at).transpose().map_err(io_err("preparing the lab's root"))?,
            parent_maps: self.parent_maps.clone().map(|(u, g)| (u.into_bytes(), g.into_bytes())),
            stdio,
            candidates,
            argv,
            envp,
            extra: std::mem::take(&mut self.extra),
            hold: false,
        };
        Ok((plan, pipes))
    }

    fn explain(&self, plan: &ChildPlan, failure: SpawnFailure) -> EngineError {
        let f = match failure {
            SpawnFailure::Parent(source) => {
                if source.raw_os_error() == Some(libc::EPERM) && !self.new.is_empty() {
                    return EngineError::NeedsPrivilege { kinds: self.new, source };
                }
                return EngineError::Io { what: "creating the process".into(), source };
            }
            SpawnFailure::Child(f) => f,
        };
        let source = io::Error::from_raw_os_error(f.errno);
        let what = match f.stage {
            Stage::Setns => {
                let kind = plan.joins.get(f.index).map(|(k, _)| k.name()).unwrap_or("?");
                format!("setns into the {kind} namespace of {}", self.join_label(plan, f.index))
            }
            Stage::Unshare | Stage::Clone if matches!(f.errno, libc::EPERM | libc::EACCES) && !self.new.is_empty() => {
                return EngineError::NeedsPrivilege { kinds: self.new, source };
            }
            Stage::Unshare => format!("unshare of {}", self.new),
            Stage::Clone => format!("creating the process in new {} namespaces", self.new),
            Stage::IdMap => late_step(Stage::IdMap, f.index),
            Stage::MountPrivate => "making the mount tree private".into(),
            Stage::MountProc => "mounting /proc".into(),
            Stage::TimeOffsets => "writing the time namespace offsets".into(),
            Stage::DeathSignal => "setting the parent-death signal".into(),
            Stage::Stdio => "setting up stdin, stdout and stderr".into(),
            Stage::Chdir if f.index > 0 => late_step(Stage::Chdir, f.index),
            Stage::Chdir => format!("changing to {}", self.cwd.as_deref().unwrap_or(Path::new("?")).display()),
            Stage::RootFs => format!(
                "{} in the lab's root",
                [
                    "mounting /proc",
                    "mounting /sys",
                    "making /proc/sys read-only",
                    "chdir",
                    "pivot_root",
                    "detaching the old root",
                    "chdir /",
                    "binding the root onto itself",
                    "",
                    "bringing up loopback"
                ]
                .get(f.index)
                .copied()
                .unwrap_or("setting up")
            ),
            Stage::Session => {
                if f.index == 0 {
                    "setsid".into()
                } else {
                    "taking the terminal (TIOCSCTTY)".into()
                }
            }
            Stage::Credentials => "becoming root in the joined user namespace".into(),
            Stage::Exec => return self.explain_exec(SpawnFailure::Child(f)),
        };
        EngineError::Child { what, source }
    }

    fn join_label(&self, plan: &ChildPlan, index: usize) -> String {
        let Some((kind, _)) = plan.joins.get(index) else { return "the target".into() };
        self.joins
            .iter()
            .find_map(|t| match t {
                JoinTarget::Process { pid, kind: k } if k == kind => Some(format!("pid {pid}")),
                JoinTarget::File { path, kind: k } if k.is_none_or(|k| k == *kind) => Some(path.display().to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "the target".into())
    }

    fn explain_exec(&self, failure: SpawnFailure) -> EngineError {
        match failure {
            SpawnFailure::Child(ChildFailure { stage: Stage::Exec, errno, .. }) => {
                if errno == libc::ENOENT {
                    EngineError::NotFound { program: self.program_name() }
                } else {
                    EngineError::CannotExecute { program: self.program_name(), source: io::Error::from_raw_os_error(errno) }
                }
            }
            SpawnFailure::Child(f) => EngineError::Child { what: late_step(f.stage, f.index), source: io::Error::from_raw_os_error(f.errno) },
            SpawnFailure::Parent(source) => EngineError::Io { what: "starting the program".into(), source },
        }
    }
}

/// What the child was doing in its last steps (`sys::Extra`, after go).
fn late_step(stage: Stage, index: usize) -> String {
    match (stage, index) {
        (Stage::IdMap, 1) => "dropping the supplementary groups (setgroups)".into(),
        (Stage::IdMap, 2) => "setgid".into(),
        (Stage::IdMap, 3) => "setuid".into(),
        (Stage::IdMap, 4) => "keeping the capabilities".into(),
        (Stage::IdMap, 5) => "mounting proc".into(),
        (Stage::IdMap, _) => "writing the uid and gid maps".into(),
        (Stage::Chdir, 1) => "changing the root directory".into(),
        (Stage::Chdir, _) => "changing the working directory".into(),
        (other, _) => format!("{other:?}").to_lowercase(),
    }
}

/// True when the caller's children are created in another pid namespace
/// than its own (it has unshared CLONE_NEWPID, as a lesson's lab worker has).
fn pid_ns_pending() -> bool {
    let view = NsView::of_self().unwrap_or_default();
    view.for_children.get(&NsKind::Pid).is_some_and(|c| Some(*c) != view.get(NsKind::Pid))
}

/// The paths to try for `program`, as execvp would: the name itself when it
/// holds a slash, else each directory of PATH.
fn exec_candidates(program: &OsStr, path: Option<&OsStr>) -> Vec<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        return vec![PathBuf::from(program)];
    }
    let path = path.unwrap_or(OsStr::new("/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| if dir.is_empty() { Path::new(".") } else { Path::new(OsStr::from_bytes(dir)) })
        .map(|dir| dir.join(program))
        .collect()
}

/// Opens the namespace file behind a join target, checking that it is one and
/// of the right kind.
fn open_join(target: &JoinTarget) -> Result<(NsKind, OwnedFd), EngineError> {
    let (path, want) = match target {
        JoinTarget::Process { pid, kind } => (ns_path(&proc_root(), *pid, *kind), Some(*kind)),
        JoinTarget::File { path, kind } => (path.clone(), *kind),
    };
    let fd = sys::open_ns(&path).map_err(|source| match (source.kind(), target) {
        (io::ErrorKind::NotFound, JoinTarget::Process { pid, .. }) => EngineError::NoSuchProcess(*pid),
        (io::ErrorKind::NotFound, _) => EngineError::MissingFile(path.clone()),
        _ => EngineError::Open { path: path.clone(), source },
    })?;
    let found = check_ns_fd(&path, &fd, want)?;
    Ok((found, fd))
}

/// Checks that `fd` (opened from `path`) is a namespace, of kind `want` if given.
fn check_ns_fd(path: &Path, fd: &OwnedFd, want: Option<NsKind>) -> Result<NsKind, EngineError> {
    let on_nsfs = sys::ns_id_of_fd(fd).map_err(io_err(format!("stat {}", path.display())))?;
    if on_nsfs.is_none() {
        return Err(EngineError::NotANamespace(path.to_path_buf()));
    }
    let found = sys::ns_kind_of_fd(fd).map_err(io_err(format!("reading the type of {}", path.display())))?;
    match want {
        Some(wanted) if wanted != found => Err(EngineError::WrongKind { path: path.to_path_buf(), wanted, found }),
        _ => Ok(found),
    }
}

/// The namespace behind a file, with its kind: checks that `path` is a
/// namespace file at all.
pub fn namespace_of_file(path: &Path, want: Option<NsKind>) -> Result<(NsKind, NsId), EngineError> {
    let (kind, fd) = open_join(&JoinTarget::File { path: path.to_path_buf(), kind: want })?;
    let id = sys::ns_id_of_fd(&fd).map_err(io_err(format!("stat {}", path.display())))?;
    id.map(|id| (kind, id)).ok_or_else(|| EngineError::NotANamespace(path.to_path_buf()))
}

/// A started process. Dropping it kills it (SIGKILL) and reaps it, so nothing
/// the engine starts outlives its handle by accident.
#[must_use = "dropping a Process kills it"]
#[derive(Debug)]
pub struct Process {
    pid: i32,
    pidfd: OwnedFd,
    status: Option<ExitStatus>,
    /// Our end of its stdin, when piped.
    pub stdin: Option<OwnedFd>,
    /// Our end of its stdout, when piped.
    pub stdout: Option<OwnedFd>,
    /// Our end of its stderr, when piped.
    pub stderr: Option<OwnedFd>,
}

impl Process {
    /// Its pid, in the caller's pid namespace.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// A pidfd for it, readable once it has exited.
    pub fn pidfd(&self) -> &OwnedFd {
        &self.pidfd
    }

    /// Its namespaces, read back from `/proc` now.
    pub fn view(&self) -> io::Result<NsView> {
        NsView::read(&proc_root(), self.pid)
    }

    /// Sends a signal (through the pidfd: never to a recycled pid). A process
    /// that has already exited is not an error.
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        match sys::pidfd_send_signal(&self.pidfd, signal) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// Waits for it to exit.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(s) = self.status {
            return Ok(s);
        }
        let s = sys::wait_pid(self.pid, true)?.expect("a blocking wait returns a status");
        self.status = Some(s);
        Ok(s)
    }

    /// Its status if it has exited, without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = sys::wait_pid(self.pid, false)?;
        }
        Ok(self.status)
    }

    /// Waits at most `timeout`; `None` when it is still running then.
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            let mut pfd = libc::pollfd { fd: self.pidfd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
            if ready < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        self.try_wait()
    }

    /// Kills its process group (itself and what it forked, if it was started
    /// with [`Spawn::new_process_group`]), then reaps it.
    /// The group outlives its leader while members remain (a daemon that
    /// forked away), and the kernel does not reuse a pid that names a live group.
    pub fn kill_group(&mut self) -> io::Result<ExitStatus> {
        sys::kill_process_group(self.pid);
        self.kill()
    }

    /// Kills it with SIGKILL and reaps it.
    pub fn kill(&mut self) -> io::Result<ExitStatus> {
        self.signal(libc::SIGKILL)?;
        self.wait()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.kill();
        }
    }
}

/// Keeps the namespace behind `source` (a `/proc/PID/ns/KIND` link or another
/// namespace file) alive by bind-mounting it onto `target`, as
/// `mount --bind /proc/PID/ns/net FILE` and `ip netns add` do. `target` is
/// created as an empty file when missing (and removed again if the mount fails).
pub fn pin(source: &Path, target: &Path) -> Result<NsId, EngineError> {
    let (_, id) = namespace_of_file(source, None)?;
    let created = match std::fs::OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
        Err(e) => return Err(EngineError::Io { what: format!("creating {}", target.display()), source: e }),
    };
    if let Err(source) = sys::bind_mount(source, target) {
        if created {
            let _ = std::fs::remove_file(target);
        }
        return Err(EngineError::Io { what: format!("bind-mounting the namespace onto {}", target.display()), source });
    }
    Ok(id)
}

/// Releases a pin made by [`pin`]: unmounts `target` after checking that it is
/// a namespace file (never unmounts anything else). The namespace dies when
/// nothing else holds it.
pub fn unpin(target: &Path) -> Result<(), EngineError> {
    namespace_of_file(target, None)?;
    sys::unmount(target).map_err(io_err(format!("unmounting {}", target.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_candidates_follow_path() {
        let got = exec_candidates(OsStr::new("ls"), Some(OsStr::new("/a::/b")));
        assert_eq!(got, vec![PathBuf::from("/a/ls"), PathBuf::from("./ls"), PathBuf::from("/b/ls")]);
        assert_eq!(exec_candidates(OsStr::new("./x"), None), vec![PathBuf::from("./x")]);
    }

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(EngineError::NotFound { program: "x".into() }.exit_code(), 127);
        assert_eq!(ExitStatus::Signaled(9).code(), 137);
        assert_eq!(ExitStatus::Exited(3).code(), 3);
    }
}
