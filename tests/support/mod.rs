//! Shared helpers for the integration tests: running the built `nslab`, as
//! root or as `nobody`, and checking that a test left nothing behind.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Tests that create namespaces or compare system-wide listings take this lock,
/// so that one test's processes never show up in another's before/after check.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when this test process is root.
pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether a privileged test may skip here. In CI (`CI` set) nothing skips:
/// a missing privilege is a failure.
pub fn require_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "{test} needs root, and CI must run it as root");
    not_run(test, "it needs root (run the tests as root to run it)");
    false
}

/// Says, in one line that the test harness does not swallow, that `test`
/// was not run and why.
pub fn not_run(test: &str, why: &str) {
    use std::io::Write;
    // Straight to the descriptor: the harness captures only print! and eprint!.
    let _ = std::io::stderr().lock().write_all(format!("not run: {test}: {why}\n").as_bytes());
}

/// The copy of the binary under test, removed when the test process exits.
static TEST_BIN: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_test_bin() {
    if let Some(dir) = TEST_BIN.get().and_then(|p| p.parent())
        && std::env::var_os("NSLAB_TEST_BIN").is_none()
    {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The `nslab` binary under test, copied once into a world-readable folder so
/// that `nobody` can run it even when the checkout is not reachable for it.
/// The folder is removed when the test process exits; a test run that starts
/// another one as `nobody` hands it the copy in `NSLAB_TEST_BIN`.
pub fn nslab_path() -> &'static Path {
    mark_our_processes();
    TEST_BIN.get_or_init(|| {
        if let Some(given) = std::env::var_os("NSLAB_TEST_BIN") {
            return PathBuf::from(given);
        }
        let built = PathBuf::from(env!("CARGO_BIN_EXE_nslab"));
        let dir = tempfile::Builder::new().prefix("nslab-test-bin-").tempdir().unwrap().keep();
        set_mode(&dir, 0o755);
        let copy = dir.join("nslab");
        std::fs::copy(&built, &copy).unwrap();
        set_mode(&copy, 0o755);
        // SAFETY: registers a plain function with no arguments.
        unsafe { libc::atexit(remove_test_bin) };
        copy
    })
}

/// Sets a file's permission bits.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Who runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    /// This test process's user (root in CI).
    Caller,
    /// `nobody`, through setpriv.
    Nobody,
}

impl As {
    /// Both users, for tests that must hold as root and rootless.
    pub const BOTH: [As; 2] = [As::Caller, As::Nobody];

    /// True when commands run as `self` are unprivileged: `nobody`, or the
    /// caller when the tests run as an ordinary user.
    pub fn rootless(self) -> bool {
        self == As::Nobody || !is_root()
    }
}

/// A command that runs `program args` as `who`, from a neutral directory.
/// When the tests themselves run as an ordinary user, `nobody` is that user:
/// both are unprivileged, and only root may switch users.
pub fn command_as(who: As, program: &Path, args: &[&str]) -> Command {
    let mut cmd = match who {
        As::Nobody if is_root() => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(program);
            c
        }
        As::Caller | As::Nobody => Command::new(program),
    };
    cmd.args(args).current_dir("/").env_remove("SHELL");
    cmd
}

/// Runs `nslab args` as `who` and returns its output.
pub fn nslab(who: As, args: &[&str]) -> Output {
    command_as(who, nslab_path(), args).output().expect("running nslab")
}

/// Runs a command line through `sh -c` as the caller.
pub fn sh(script: &str) -> Output {
    Command::new("sh").args(["-c", script]).output().expect("running sh")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The variable that marks every process this test process starts, and
/// everything those start in turn (the environment is inherited, also by
/// processes that outlive their parent).
pub const MARK: &str = "NSLAB_TEST_OWNER";

/// Marks this test process's environment, so that everything it starts can be
/// told apart from every other process on the machine (see [`ours`]). Done
/// once, before the first command is started.
pub fn mark_our_processes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: std's environment lock guards this against std's own
        // readers; nothing in the tests reads the environment through libc.
        unsafe { std::env::set_var(MARK, std::process::id().to_string()) };
    });
}

/// Every live process on the machine that this test process started,
/// directly or not, with its command line: those with the mark in their
/// environment (orphans too), and every descendant of those (a sandboxed lab
/// gives its processes an environment of its own). Other programs'
/// processes, however many and whatever their names, are never in it.
pub fn ours() -> Vec<(i32, String)> {
    mark_our_processes();
    let me = std::process::id() as i32;
    let mark = format!("{MARK}={me}");
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    // One pass over /proc: each live process's parent, command line, and mark.
    let mut live: std::collections::BTreeMap<i32, (i32, String, bool)> = std::collections::BTreeMap::new();
    for pid in dir.flatten().filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok()).filter(|&pid| pid != me) {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // State and parent follow the command's closing parenthesis; a zombie holds nothing.
        let mut fields = stat.rsplit_once(") ").map(|(_, rest)| rest.split_whitespace()).into_iter().flatten();
        let (Some(state), Some(ppid)) = (fields.next(), fields.next().and_then(|p| p.parse::<i32>().ok())) else { continue };
        if state == "Z" || state == "X" {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let marked = environ.split(|&b| b == 0).any(|kv| kv == mark.as_bytes());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        live.insert(pid, (ppid, String::from_utf8_lossy(&cmdline).replace('\0', " ").trim_end().to_string(), marked));
    }
    let mut children: std::collections::BTreeMap<i32, Vec<i32>> = std::collections::BTreeMap::new();
    for (&pid, (ppid, _, _)) in &live {
        children.entry(*ppid).or_default().push(pid);
    }
    let mut todo: Vec<i32> = live.iter().filter(|(_, (_, _, marked))| *marked).map(|(p, _)| *p).chain(children.get(&me).cloned().unwrap_or_default()).collect();
    let mut found = BTreeSet::new();
    while let Some(pid) = todo.pop() {
        if found.insert(pid) {
            todo.extend(children.get(&pid).cloned().unwrap_or_default());
        }
    }
    found.into_iter().filter_map(|pid| live.get(&pid).map(|(_, cmd, _)| (pid, cmd.clone()))).collect()
}

/// True when a process this test started runs exactly `cmdline` (e.g. `sleep 300`).
pub fn ours_running(cmdline: &str) -> bool {
    ours().iter().any(|(_, c)| c == cmdline)
}

/// What a test may change only temporarily, judged only on what the tests
/// started: the namespaces this test process and the processes it started
/// ([`ours`], orphans too) are in, the nsfs mounts of our mount namespace,
/// those processes themselves, and the host name.
/// Other programs creating namespaces and processes on the machine (a
/// browser's sandbox, a container engine, `tests/support/noise.sh`) do not
/// change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostState {
    namespaces: BTreeSet<u64>,
    nsfs_mounts: Vec<String>,
    children: BTreeSet<String>,
    hostname: String,
}

impl HostState {
    /// Reads the state now.
    pub fn now() -> HostState {
        let ours = ours();
        let mut namespaces = BTreeSet::new();
        for pid in std::iter::once(std::process::id() as i32).chain(ours.iter().map(|(p, _)| *p)) {
            let Ok(links) = std::fs::read_dir(format!("/proc/{pid}/ns")) else { continue };
            for link in links.flatten() {
                use std::os::unix::fs::MetadataExt;
                if let Ok(meta) = std::fs::metadata(link.path()) {
                    namespaces.insert(meta.ino());
                }
            }
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let nsfs_mounts = mountinfo.lines().filter(|l| l.contains(" - nsfs ")).map(str::to_owned).collect();
        let children = ours.into_iter().map(|(pid, cmd)| format!("{pid} {cmd}")).collect();
        let hostname = nix::unistd::gethostname().unwrap().to_string_lossy().into_owned();
        HostState { namespaces, nsfs_mounts, children, hostname }
    }

    /// True when nothing is here that was not in `before`: no new namespace,
    /// nsfs mount or process, and the same host name. (Something of `before`
    /// may be gone: the kernel frees some namespaces a little later.)
    fn within(&self, before: &HostState) -> bool {
        self.namespaces.is_subset(&before.namespaces)
            && self.nsfs_mounts.iter().all(|m| before.nsfs_mounts.contains(m))
            && self.children.is_subset(&before.children)
            && self.hostname == before.hostname
    }

    /// Asserts that the run left nothing behind since `self` was taken,
    /// waiting (at most 10 s) for the kernel to finish killing and freeing
    /// what a killed run left to it.
    pub fn assert_restored(&self, what: &str) {
        let mut now = HostState::now();
        for _ in 0..500 {
            if now.within(self) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            now = HostState::now();
        }
        assert_eq!(&now, self, "{what} left something behind");
    }
}

/// A world-readable copy of `tests/fixtures/SUB`, so `nobody` can read it
/// even when the checkout is in a folder only root can enter.
pub fn fixtures(sub: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("nslab-fixtures-").tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(sub);
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            let to = dir.path().join(entry.file_name());
            std::fs::copy(entry.path(), &to).unwrap();
            set_mode(&to, 0o644);
        }
    }
    dir
}

/// A program running on a pseudo-terminal, driven like a learner would.
pub struct Pty {
    master: std::fs::File,
    /// The program.
    pub child: std::process::Child,
    seen: String,
}

impl Drop for Pty {
    /// A test that fails half-way must not leave its program running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Pty {
    /// Starts `cmd` with a new pty as its controlling terminal and stdio.
    pub fn spawn(mut cmd: Command) -> Pty {
        use std::os::unix::process::CommandExt;
        let pty = nix::pty::openpty(None, None).unwrap();
        // The program must not inherit the master: holding it, it would never
        // see the terminal hang up when the test ends.
        nix::fcntl::fcntl(&pty.master, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC)).unwrap();
        let slave: std::fs::File = pty.slave.into();
        cmd.stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        let master: std::fs::File = pty.master.into();
        Pty { master, child, seen: String::new() }
    }

    /// Reads until `needle` appears (after what earlier calls consumed);
    /// panics with the screen so far after `secs` seconds.
    pub fn expect(&mut self, needle: &str, secs: u64) -> String {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(at) = self.seen.find(needle) {
                let upto: String = self.seen.drain(..at + needle.len()).collect();
                return upto;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "waited {secs} s for {needle:?}; the screen shows:\n{}", self.seen);
            let mut pfd = libc::pollfd { fd: self.master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(500) as i32) };
            if pfd.revents != 0 {
                let mut buf = [0u8; 4096];
                match self.master.read(&mut buf) {
                    Ok(n) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                    _ => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
        }
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        use std::io::Write;
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    /// Waits for the program to exit (at most `secs`), returning its code.
    pub fn wait(mut self, secs: u64) -> Option<i32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("did not exit within {secs} s; screen:\n{}", self.seen);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// Waits for `child` at most `limit`, reading its output meanwhile (a full
/// pipe would block it); past the limit it is killed and the test fails.
pub fn wait_bounded(child: std::process::Child, limit: std::time::Duration) -> Output {
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("waiting for the child"),
        Err(_) => {
            // SAFETY: kill with a pid we started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("the command did not finish within {limit:?}");
        }
    }
}
