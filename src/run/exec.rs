//! Performing a step's action through the engine, and running its commands
//! with a time limit, bounded output and /dev/null as stdin.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::session::{Session, SessionError};
use crate::lesson::{Action, RunTarget};
use crate::ns::{self, Creation, JoinTarget, KindSet, Spawn, Stdio};

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn from_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    <u64 as serde::Deserialize>::deserialize(d).map(Duration::from_millis)
}

/// At most this much of each output stream is kept; the rest is counted.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// What a command did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct CommandResult {
    /// How it ended; `None` when it timed out (and was killed).
    pub status: Option<ns::ExitStatus>,
    /// Its standard output (at most [`OUTPUT_LIMIT`] bytes, lossy UTF-8).
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// True when it ran past the step's time limit.
    pub timed_out: bool,
    /// Bytes of output dropped beyond the limit.
    pub dropped_bytes: usize,
    /// How long it ran (`elapsed_ms` in JSON).
    #[serde(rename = "elapsed_ms", serialize_with = "millis", deserialize_with = "from_millis")]
    pub elapsed: Duration,
}

/// The outcome of an action.
#[derive(Debug, Default)]
pub struct ActionResult {
    /// For commands: what the command did.
    pub command: Option<CommandResult>,
    /// Text to show the learner (an lsns listing).
    pub display: Option<String>,
}

/// Why an action could not be performed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A name the parser accepted is not alive in this session.
    #[error("{0} is not running")]
    NotRunning(String),
    /// A pin that does not exist.
    #[error("there is no pin named {0}")]
    NoPin(String),
    /// The session refused.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The engine refused.
    #[error(transparent)]
    Engine(#[from] ns::EngineError),
}

/// Set by the SIGINT/SIGTERM handlers: the run must stop at once.
pub static INTERRUPTED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) != 0
}

/// The pid of a process named in a step, where `host` is the lab itself.
fn pid_of(session: &Session, name: &str) -> Result<i32, ActionError> {
    if name == "host" {
        return Ok(session.host_pid());
    }
    session.pid(name).ok_or_else(|| ActionError::NotRunning(name.to_string()))
}

/// Performs `action` in `session`.
pub fn perform(session: &mut Session, action: &Action, stdin: Option<&str>, timeout: Duration) -> Result<ActionResult, ActionError> {
    let mut result = ActionResult::default();
    match action {
        Action::Start { name, kinds, inside } => {
            let inside = inside.as_deref().map(|n| pid_of(session, n)).transpose()?;
            session.start(name, *kinds, inside)?;
        }
        Action::Run { target, command } => {
            let mut spawn = Spawn::shell(command);
            session.confine(&mut spawn);
            match target {
                RunTarget::Host => {
                    spawn.join_all_of(session.host_pid())?;
                }
                RunTarget::Process(name) => {
                    spawn.join_all_of(pid_of(session, name)?)?;
                }
                RunTarget::Pin(pin) => {
                    let path = session.pin(pin).ok_or_else(|| ActionError::NoPin(pin.clone()))?.to_path_buf();
                    spawn.join([JoinTarget::File { path, kind: None }]);
                }
            }
            result.command = Some(run_command(spawn, stdin, timeout)?);
        }
        Action::Unshare { kinds, command } => {
            let mut spawn = Spawn::shell(command);
            session.confine(&mut spawn);
            spawn.join_all_of(session.host_pid())?.new_namespaces(*kinds, Creation::Unshare);
            result.command = Some(run_command(spawn, stdin, timeout)?);
        }
        Action::Pin { process, kind, pin } => {
            let pid = pid_of(session, process)?;
            session.add_pin(pid, *kind, pin)?;
        }
        Action::Unpin { pin } => {
            if session.pin(pin).is_none() {
                return Err(ActionError::NoPin(pin.clone()));
            }
            session.remove_pin(pin)?;
        }
        Action::Stop { name } => {
            session.stop(name).ok_or_else(|| ActionError::NotRunning(name.clone()))?;
        }
        Action::YourTurn => {}
        Action::Lsns { kinds } => {
            let kinds = if kinds.is_empty() { KindSet::ALL } else { *kinds };
            result.display = Some(lsns_table(session, kinds));
        }
    }
    Ok(result)
}

/// An lsns table of `kinds`, as `nslab lsns -l` prints it.
pub fn lsns_table(session: &Session, kinds: KindSet) -> String {
    use crate::lsns::{Column, Format, Layout};
    let scanner = session.scanner(kinds);
    let net_only = kinds == [ns::NsKind::Net].into_iter().collect();
    let columns = Column::defaults(net_only);
    let details = Column::details(&columns, None);
    let listing = scanner.scan(details).unwrap_or_default();
    crate::lsns::render(&listing.namespaces, &Layout { columns, format: Format::Table, tree: None, headings: true })
}

fn set_nonblocking(fd: &OwnedFd) {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    if let Ok(flags) = fcntl(fd, FcntlArg::F_GETFL) {
        let _ = fcntl(fd, FcntlArg::F_SETFL(OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK));
    }
}

/// A growing capture of one stream, bounded by [`OUTPUT_LIMIT`].
#[derive(Default)]
struct Capture {
    bytes: Vec<u8>,
    dropped: usize,
    open: bool,
}

impl Capture {
    /// Reads what is available now; marks the stream closed at EOF.
    fn read_from(&mut self, fd: &OwnedFd) {
        let mut buf = [0u8; 16384];
        loop {
            match nix::unistd::read(fd, &mut buf) {
                Ok(0) => {
                    self.open = false;
                    return;
                }
                Ok(n) => {
                    let room = OUTPUT_LIMIT.saturating_sub(self.bytes.len());
                    self.bytes.extend_from_slice(&buf[..n.min(room)]);
                    self.dropped += n.saturating_sub(room);
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return, // EAGAIN: nothing more for now
            }
        }
    }
}

/// Runs a command in its own process group with stdin from `stdin` (or
/// /dev/null), collecting its output until it exits or `timeout` passes.
/// Once the command has exited, output still held open by something it left
/// behind is not waited for: the group is killed and what was written is kept.
pub fn run_command(mut spawn: Spawn, stdin: Option<&str>, timeout: Duration) -> Result<CommandResult, ns::EngineError> {
    let stdin_mode = if stdin.is_some() { Stdio::Piped } else { Stdio::Null };
    spawn.stdio(stdin_mode, Stdio::Piped, Stdio::Piped).new_process_group(true).death_signal(libc::SIGKILL);
    let started = Instant::now();
    let mut child = spawn.start()?;
    if let (Some(text), Some(fd)) = (stdin, child.stdin.take()) {
        // Small texts fit the pipe; a command that never reads is not waited for.
        set_nonblocking(&fd);
        let _ = std::io::Write::write_all(&mut std::fs::File::from(fd), text.as_bytes());
    }
    let out_fd = child.stdout.take().expect("stdout is piped");
    let err_fd = child.stderr.take().expect("stderr is piped");
    set_nonblocking(&out_fd);
    set_nonblocking(&err_fd);
    let mut out = Capture { open: true, ..Capture::default() };
    let mut err = Capture { open: true, ..Capture::default() };
    let deadline = started + timeout;
    let mut status = None;
    let mut timed_out = false;
    while status.is_none() {
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            break;
        }
        if interrupted() {
            break;
        }
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let mut fds = vec![PollFd::new(child.pidfd().as_fd(), PollFlags::POLLIN)];
        let streams: Vec<usize> = [out.open, err.open].iter().enumerate().filter(|(_, o)| **o).map(|(i, _)| i).collect();
        for &i in &streams {
            fds.push(PollFd::new(if i == 0 { out_fd.as_fd() } else { err_fd.as_fd() }, PollFlags::POLLIN));
        }
        let wait_ms = (deadline - now).as_millis().clamp(1, 1000) as u16;
        let _ = poll(&mut fds, PollTimeout::from(wait_ms));
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        for (slot, &i) in streams.iter().enumerate() {
            if ready[slot + 1] {
                if i == 0 { out.read_from(&out_fd) } else { err.read_from(&err_fd) }
            }
        }
        if ready[0] {
            status = child.try_wait().ok().flatten();
        }
    }
    // What the command wrote before it ended is in the pipes now.
    out.read_from(&out_fd);
    err.read_from(&err_fd);
    let _ = child.kill_group();
    Ok(CommandResult {
        status: if timed_out { None } else { status.or_else(|| child.try_wait().ok().flatten()) },
        stdout: String::from_utf8_lossy(&out.bytes).into_owned(),
        stderr: String::from_utf8_lossy(&err.bytes).into_owned(),
        timed_out,
        dropped_bytes: out.dropped + err.dropped,
        elapsed: started.elapsed(),
    })
}
