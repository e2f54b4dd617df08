//! A lesson's session: the lab it runs in, its named processes, pins and
//! captures, and the teardown that leaves nothing behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::os::unix::fs::DirBuilderExt;

use crate::ns::{self, Creation, KindSet, NsId, NsKind, Process, Spawn, Stdio};

/// Where a lab keeps its pins: on the lab's own tmpfs, so parallel runs never
/// collide and nothing is left on the host.
pub const RUN_DIR: &str = "/run/nslab";

/// The namespaces a lab gets, besides a user namespace when rootless: the
/// lesson's "host" side is contained, so `run: hostname x` or a mount made by
/// a step never reach the real host.
pub const LAB_KINDS: [NsKind; 6] = [NsKind::Mnt, NsKind::Uts, NsKind::Ipc, NsKind::Net, NsKind::Cgroup, NsKind::Pid];

/// Errors setting up or using a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The lab could not be entered.
    #[error("cannot set up the lab: {0}")]
    Lab(std::io::Error),
    /// The run folder could not be made.
    #[error("cannot create the run folder: {0}")]
    RunDir(std::io::Error),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] ns::EngineError),
}

impl SessionError {
    /// The error number the kernel gave, if this is a failed system call.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            SessionError::Lab(e) | SessionError::RunDir(e) => e.raw_os_error(),
            SessionError::Engine(
                ns::EngineError::Io { source, .. } | ns::EngineError::Child { source, .. } | ns::EngineError::NeedsPrivilege { source, .. },
            ) => source.raw_os_error(),
            SessionError::Engine(_) => None,
        }
    }
}

/// A lesson's live state. Dropping it kills every process and releases every
/// pin; if nslab is killed instead, the lab's init dies with it (parent-death
/// signal), which ends every process in the lab's pid namespace, and the
/// lab's private mount namespace — with the pins — goes with the last of them.
pub struct Session {
    /// The lab's init: pid 1 of the lab's pid namespace, in exactly the lab's
    /// namespaces. Its view is the lesson's "host".
    lab_init: Process,
    /// The lab's ids when it is a sandbox (`None` with `--no-sandbox`).
    sandbox: Option<super::sandbox::LabIds>,
    /// nslab's binary as the worker can bind it (see `sandbox::Staged`).
    exe: Option<PathBuf>,
    /// The staged root, kept for a fresh lab in the same worker.
    staged: Option<super::sandbox::Staged>,
    processes: BTreeMap<String, Process>,
    pins: BTreeMap<String, PathBuf>,
    captures: BTreeMap<String, (NsKind, NsId, Option<u64>)>,
    run_dir: PathBuf,
    checker: Option<super::exercise::Checker>,
    /// The lab's cgroup, where one could be made (the worker is in it).
    cgroup: Option<super::cgroup::LabCgroup>,
}

impl Session {
    /// Moves this (single-threaded, dedicated worker) process into a new lab
    /// and starts the lab's init. `rootless` adds a user namespace in which
    /// the worker is root.
    pub fn enter_lab(rootless: bool) -> Result<Session, SessionError> {
        let mut kinds: KindSet = LAB_KINDS.into_iter().collect();
        if rootless {
            kinds.insert(NsKind::User);
        }
        ns::sys::enter_lab(kinds.clone_flags(), rootless).map_err(SessionError::Lab)?;
        // A fresh tmpfs on /run, in the lab's private mount namespace: pins live
        // in /run/nslab, and `ip netns add` in a step writes /run/netns there.
        // It vanishes with the lab, even if nslab is killed.
        ns::sys::mount_tmpfs(Path::new("/run")).map_err(SessionError::RunDir)?;
        let run_dir = PathBuf::from(RUN_DIR);
        std::fs::DirBuilder::new().mode(0o700).create(&run_dir).map_err(SessionError::RunDir)?;
        // Two mount namespaces: the worker's, where /proc stays the host's
        // (nslab reads every process's namespaces there), and the lab's, made
        // by the lab's init, with a /proc of the lab's own pid namespace — so
        // inside the lab /proc/PID and pids agree, and nothing a lesson runs
        // can reach a host process's namespace files. The lab receives what
        // the worker mounts on /run (its pins, `check`); what the lab mounts
        // stays in the lab, and nslab looks at it through the init's
        // mountinfo and root.
        ns::sys::set_propagation(Path::new("/run"), libc::MS_SHARED).map_err(SessionError::Lab)?;
        let mut init = Spawn::new("/proc/self/exe");
        init.args(["lab-init", "lab"]).death_signal(libc::SIGKILL);
        init.new_namespaces([NsKind::Mnt].into_iter().collect(), Creation::Clone).receive_mounts(true).mount_proc(true);
        init.stdio(Stdio::Null, Stdio::Null, Stdio::Null);
        let lab_init = init.start()?;
        Ok(Session::around(lab_init, run_dir))
    }

    /// A session of the lab whose init is `lab_init`, with nothing started
    /// or pinned yet, and no sandbox until the caller says what it is.
    fn around(lab_init: Process, run_dir: PathBuf) -> Session {
        Session {
            lab_init,
            sandbox: None,
            exe: None,
            staged: None,
            processes: BTreeMap::new(),
            pins: BTreeMap::new(),
            captures: BTreeMap::new(),
            run_dir,
            checker: None,
            cgroup: None,
        }
    }

    /// Moves this (single-threaded, dedicated worker) process into a mount
    /// namespace of its own, stages the lab's root there and starts the
    /// lab's init in it: the lab as a sandbox (see [`super::sandbox`]).
    pub fn enter_sandbox() -> Result<Session, SessionError> {
        // Before anything else (an ordinary user's worker is about to enter a
        // user namespace of its own, where the machine's cgroups are no one's):
        // the lab's init is then born in it.
        let cgroup = super::cgroup::LabCgroup::enter().unwrap_or_else(|e| {
            eprintln!("nslab: warning: no cgroup for the lab ({e}): its processes are bounded one by one");
            None
        });
        let staged = super::sandbox::stage(super::is_root()).map_err(SessionError::Lab)?;
        let mut session = Session::start_sandbox(staged)?;
        session.cgroup = cgroup;
        Ok(session)
    }

    /// The lab's cgroup, if it has one.
    pub fn cgroup(&self) -> Option<&super::cgroup::LabCgroup> {
        self.cgroup.as_ref()
    }

    /// A fresh lab in place of this one, in the same worker (going back a
    /// step): the old lab's processes and pins are gone first, and a
    /// sandbox's writable places are new.
    pub fn renew(&mut self) -> Result<(), SessionError> {
        self.teardown();
        let Some(staged) = self.staged.take() else {
            // Without the sandbox: a lab inside the old one, made where this
            // worker is root already (so no user namespace).
            *self = Session::enter_lab(false)?;
            return Ok(());
        };
        // Children are born in this worker's own pid namespace again: the
        // old lab's is gone.
        ns::sys::setns_path(Path::new("/proc/self/ns/pid"), NsKind::Pid).map_err(SessionError::Lab)?;
        super::sandbox::refresh(&staged).map_err(SessionError::Lab)?;
        let cgroup = self.cgroup.take();
        *self = Session::start_sandbox(staged)?;
        self.cgroup = cgroup;
        Ok(())
    }

    fn start_sandbox(staged: super::sandbox::Staged) -> Result<Session, SessionError> {
        let ids = staged.ids.clone();
        let run_dir = PathBuf::from(RUN_DIR);
        std::fs::DirBuilder::new().mode(0o700).create(&run_dir).map_err(SessionError::RunDir)?;
        std::os::unix::fs::chown(&run_dir, Some(ids.owner.0), Some(ids.owner.1)).map_err(SessionError::RunDir)?;
        let mut init = Spawn::new("/proc/self/exe");
        init.args(["lab-init", "lab"]).death_signal(libc::SIGKILL);
        let kinds: KindSet = LAB_KINDS.into_iter().chain([NsKind::User]).collect();
        init.new_namespaces(kinds, Creation::Clone).receive_mounts(true).lab_root(&staged.root).id_maps(ids.uid_map.clone(), ids.gid_map.clone());
        init.env_clear().new_session(true).close_other_fds(true).cwd("/");
        init.stdio(Stdio::Null, Stdio::Null, Stdio::Null);
        let lab_init = init.start()?;
        // The worker's children are born in the lab's pid namespace (as when
        // the worker unshared it itself): only a process that lives in a pid
        // namespace may create a child pid namespace of it, which `start
        // box: pid` does through the worker's intermediate process.
        let pid_ns = ns::view::ns_path(&ns::view::proc_root(), lab_init.pid(), NsKind::Pid);
        ns::sys::setns_path(&pid_ns, NsKind::Pid).map_err(SessionError::Lab)?;
        super::sandbox::limit().map_err(SessionError::Lab)?;
        let mut session = Session::around(lab_init, run_dir);
        session.sandbox = Some(ids);
        session.exe = Some(staged.exe.clone());
        session.staged = Some(staged);
        Ok(session)
    }

    /// Enters a lab: a sandbox, or with `sandbox == false` (`--no-sandbox`)
    /// the namespaces alone, with a warning: then a step as root is root on
    /// the machine.
    pub fn enter(sandbox: bool) -> Result<Session, SessionError> {
        if sandbox {
            return Session::enter_sandbox();
        }
        eprintln!(
            "nslab: warning: --no-sandbox: this lesson runs in namespaces only, without the sandbox; \
             its steps can change your machine's files{}",
            if super::is_root() { " and, as root, the machine itself" } else { "" }
        );
        Session::enter_lab(!super::is_root())
    }

    /// True when the lab is a sandbox (not `--no-sandbox`).
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Makes `spawn` a process of the lab as every step's is: in a new
    /// session with no terminal, no descriptor above 2, the lab's
    /// environment only, and the lab's root before it joins anything (never
    /// the worker's own ids, which as root are root on the machine).
    pub fn confine(&self, spawn: &mut Spawn) {
        spawn.env_clear().new_session(true).close_other_fds(true);
        if self.sandbox.is_some() {
            spawn.enter_as_root(ns::view::ns_path(&ns::view::proc_root(), self.host_pid(), NsKind::User));
        }
        for (k, v) in super::sandbox::lab_env() {
            spawn.env(k, v);
        }
        for (k, v) in self.env() {
            spawn.env(k, v);
        }
    }

    /// Gives a file nslab made in the run folder to the lab's root.
    pub fn give_to_lab(&self, path: &Path) -> std::io::Result<()> {
        match &self.sandbox {
            Some(ids) => std::os::unix::fs::lchown(path, Some(ids.owner.0), Some(ids.owner.1)),
            None => Ok(()),
        }
    }

    /// The pid of the lab's init, whose namespaces are the lesson's "host".
    pub fn host_pid(&self) -> i32 {
        self.lab_init.pid()
    }

    /// `path` as the lab's mount namespace shows it, for nslab, which lives
    /// in a mount namespace of its own (through the init's `/proc/PID/root`).
    pub fn lab_path(&self, path: &Path) -> PathBuf {
        let mut at = ns::view::proc_root().join(self.host_pid().to_string()).join("root");
        at.push(path.strip_prefix("/").unwrap_or(path));
        at
    }

    /// The lab's mount table (`/proc/PID/mountinfo` of its init): pins nslab
    /// made and mounts made in the lab, with paths as the lab sees them.
    pub fn mountinfo(&self) -> PathBuf {
        ns::view::proc_root().join(self.host_pid().to_string()).join("mountinfo")
    }

    /// A scanner of the machine's namespaces that sees the nsfs mounts of the
    /// lab (not those of nslab's own mount namespace).
    pub fn scanner(&self, kinds: KindSet) -> ns::Scanner {
        ns::Scanner { kinds, mountinfo: Some(self.mountinfo()), ..ns::Scanner::default() }
    }

    /// The run's private folder (mode 0700), where pins live.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// Starts a named long-lived process in new namespaces of `kinds`, inside
    /// the namespaces of `inside` if given.
    pub fn start(&mut self, name: &str, kinds: KindSet, inside: Option<i32>) -> Result<i32, SessionError> {
        let mut spawn = Spawn::new("/proc/self/exe");
        spawn.args(["lab-init", name]).new_namespaces(kinds, Creation::Clone).death_signal(libc::SIGKILL);
        // A process in a new user namespace would be "nobody" there; map the
        // lab's root to root, as `unshare -r` does, so the others it creates
        // are usable.
        spawn.map_root(kinds.contains(NsKind::User));
        spawn.stdio(Stdio::Null, Stdio::Null, Stdio::Null);
        self.confine(&mut spawn);
        spawn.join_all_of(inside.unwrap_or(self.host_pid()))?;
        let process = spawn.start()?;
        let pid = process.pid();
        if let Some(mut old) = self.processes.insert(name.to_string(), process) {
            let _ = old.kill();
        }
        Ok(pid)
    }

    /// The pid of a named process.
    pub fn pid(&self, name: &str) -> Option<i32> {
        self.processes.get(name).map(Process::pid)
    }

    /// The names of the processes, sorted.
    pub fn process_names(&self) -> impl Iterator<Item = &str> {
        self.processes.keys().map(String::as_str)
    }

    /// Stops a named process: SIGKILL, then reaped.
    pub fn stop(&mut self, name: &str) -> Option<ns::ExitStatus> {
        let mut p = self.processes.remove(name)?;
        p.kill().ok()
    }

    /// The path a pin named `pin` has (whether or not it exists).
    pub fn pin_path(&self, pin: &str) -> PathBuf {
        self.run_dir.join(pin)
    }

    /// The path of a live pin.
    pub fn pin(&self, pin: &str) -> Option<&Path> {
        self.pins.get(pin).map(PathBuf::as_path)
    }

    /// The names of the pins, sorted.
    pub fn pin_names(&self) -> impl Iterator<Item = &str> {
        self.pins.keys().map(String::as_str)
    }

    /// Pins the `kind` namespace of `pid` at the pin named `pin`.
    pub fn add_pin(&mut self, pid: i32, kind: NsKind, pin: &str) -> Result<NsId, SessionError> {
        let target = self.pin_path(pin);
        let id = ns::pin(&ns::view::ns_path(&ns::view::proc_root(), pid, kind), &target)?;
        self.pins.insert(pin.to_string(), target);
        Ok(id)
    }

    /// Releases the pin named `pin` and removes its file.
    pub fn remove_pin(&mut self, pin: &str) -> Result<(), SessionError> {
        if let Some(path) = self.pins.remove(pin) {
            ns::unpin(&path)?;
            let _ = std::fs::remove_file(&path);
        }
        Ok(())
    }

    /// Remembers a namespace identity under a capture name, with its serial
    /// (NS_GET_ID) where the kernel has one: inodes of freed namespaces are
    /// reused at once, so "gone" must not be fooled by a newcomer.
    pub fn capture(&mut self, name: &str, kind: NsKind, id: NsId, serial: Option<u64>) {
        self.captures.insert(name.to_string(), (kind, id, serial));
    }

    /// A captured identity.
    pub fn captured(&self, name: &str) -> Option<(NsKind, NsId)> {
        self.captures.get(name).map(|(k, id, _)| (*k, *id))
    }

    /// The names of the captures, sorted.
    pub fn capture_names(&self) -> impl Iterator<Item = &str> {
        self.captures.keys().map(String::as_str)
    }

    /// The serial of a capture, if the kernel gave one.
    pub fn captured_serial(&self, name: &str) -> Option<u64> {
        self.captures.get(name).and_then(|(_, _, s)| *s)
    }

    /// The serial (NS_GET_ID) of the `kind` namespace `subject` has now.
    pub fn serial_of(&self, subject: &crate::lesson::Subject, kind: NsKind) -> Option<u64> {
        use crate::lesson::Subject;
        let proc_link = |pid: i32| ns::view::ns_path(&ns::view::proc_root(), pid, kind);
        match subject {
            Subject::Host => ns::sys::ns_serial_of(&proc_link(self.host_pid())),
            Subject::Process(n) => ns::sys::ns_serial_of(&proc_link(self.pid(n)?)),
            Subject::Pin(p) => ns::sys::ns_serial_of(&self.pin_path(p)),
            Subject::Capture(c) => self.captured_serial(c),
            Subject::Shell => None,
        }
    }

    /// Environment variables that name the session's processes and pins for
    /// commands in the lab: `NSLAB_PID_BOX` (the pid of `box` as the lab's
    /// own pid namespace numbers it, which is what `/proc`, `kill`, `nsenter
    /// -t` and `ip … netns` inside the lab expect), `NSLAB_PIN_MYNET` (a pin's
    /// path) and `NSLAB_RUN_DIR`.
    pub fn env(&self) -> Vec<(String, String)> {
        let var = |prefix: &str, name: &str| format!("NSLAB_{prefix}_{}", name.to_ascii_uppercase().replace('-', "_"));
        let mut env = vec![("NSLAB_RUN_DIR".to_string(), self.run_dir.display().to_string())];
        for (name, p) in &self.processes {
            if let Some(pid) = lab_pid(p.pid()) {
                env.push((var("PID", name), pid.to_string()));
            }
        }
        for (name, path) in &self.pins {
            env.push((var("PIN", name), path.display().to_string()));
        }
        env
    }

    /// Sets up the `check` command for exercises (once per session).
    pub fn prepare_checker(&mut self) -> std::io::Result<()> {
        if self.checker.is_none() {
            let checker = super::exercise::Checker::new(&self.run_dir, self.exe.as_deref())?;
            for made in checker.paths() {
                self.give_to_lab(&made)?;
            }
            self.checker = Some(checker);
        }
        Ok(())
    }

    /// The `check` machinery, once prepared.
    pub fn checker(&self) -> Option<&super::exercise::Checker> {
        self.checker.as_ref()
    }

    /// Kills every process and releases every pin. Also done on drop.
    pub fn teardown(&mut self) {
        for (_, mut p) in std::mem::take(&mut self.processes) {
            let _ = p.kill();
        }
        for (_, path) in std::mem::take(&mut self.pins) {
            let _ = ns::unpin(&path);
            let _ = std::fs::remove_file(&path);
        }
        let _ = self.lab_init.kill();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The cgroup goes after (a field), once the lab's processes have.
        self.teardown();
    }
}

/// The pid of host pid `pid` in the lab's pid namespace: the second field of
/// the `NSpid` line of its status (the first is the host's).
fn lab_pid(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(ns::view::proc_root().join(pid.to_string()).join("status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("NSpid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The lab's init and the named processes: pid 1 of a pid namespace, which
/// only waits. Orphans re-parented to it are reaped by the kernel, since it
/// ignores SIGCHLD.
pub fn lab_init() -> ! {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code.
    unsafe {
        let _ = signal(Signal::SIGCHLD, SigHandler::SigIgn);
        let _ = signal(Signal::SIGINT, SigHandler::SigIgn);
        let _ = signal(Signal::SIGTERM, SigHandler::SigIgn);
        let _ = signal(Signal::SIGHUP, SigHandler::SigIgn);
    }
    loop {
        nix::unistd::pause();
    }
}
