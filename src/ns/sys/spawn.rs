//! Spawning: clone3, then a fixed program of system calls in the child (see
//! `child.rs`). This file holds what the parent prepares (the [`ChildPlan`]),
//! the clone itself, and the parent's end of the socket the child reports on.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::child::{child_main, intermediate};
use super::lab::LabRoot;
use super::raw::{cvt, pidfd_send_signal, wait_pid};
use crate::ns::NsKind;

/// The kernel's `struct clone_args` (version 2, 88 bytes).
#[repr(C, align(8))]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// clone3 with fork semantics (no new stack: the child continues on a copy of
/// ours). Returns 0 in the child and the child's pid in the parent.
///
/// Why clone3 and not clone(2): CLONE_NEWTIME (0x80) lies inside the CSIGNAL
/// byte of clone(2)'s flags, where it is read as the exit signal, so only
/// clone3, with its separate `exit_signal` field, can create a process directly
/// in a new time namespace. clone3 also hands back a pidfd.
///
/// # Safety
/// In the child only async-signal-safe work may follow (see the module docs).
pub(super) unsafe fn clone3(flags: u64, pidfd: Option<&mut libc::c_int>) -> io::Result<libc::pid_t> {
    // With CLONE_PARENT the child inherits the caller's exit signal, and clone3
    // insists that exit_signal be 0.
    let exit_signal = if flags & libc::CLONE_PARENT as u64 != 0 { 0 } else { libc::SIGCHLD as u64 };
    let mut args = CloneArgs { flags, exit_signal, ..CloneArgs::default() };
    if let Some(p) = pidfd {
        args.flags |= libc::CLONE_PIDFD as u64;
        args.pidfd = p as *mut libc::c_int as u64;
    }
    // SAFETY: args is a valid clone_args of the size we pass; with stack = 0 the
    // kernel gives the child a copy-on-write copy of our stack, as fork does.
    let ret = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, size_of::<CloneArgs>()) };
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret as libc::pid_t) }
}

/// What the child was doing when a system call failed; sent to the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    /// setns(2) into the namespace at index `n` of the join list.
    Setns = 1,
    /// unshare(2).
    Unshare = 2,
    /// Writing /proc/self/setgroups, uid_map or gid_map.
    IdMap = 3,
    /// Making the mount tree private in a new mount namespace.
    MountPrivate = 4,
    /// Mounting a fresh /proc.
    MountProc = 5,
    /// Writing /proc/self/timens_offsets.
    TimeOffsets = 6,
    /// The second clone3 after joining namespaces.
    Clone = 7,
    /// prctl(PR_SET_PDEATHSIG).
    DeathSignal = 8,
    /// Setting up stdin, stdout and stderr.
    Stdio = 9,
    /// execve(2) of every candidate path.
    Exec = 10,
    /// chdir(2) to the working directory.
    Chdir = 11,
    /// Building the lab's root: /proc, /sys, pivot_root.
    RootFs = 12,
    /// setsid(2) and the controlling terminal.
    Session = 13,
    /// Becoming root in a joined user namespace.
    Credentials = 14,
}

impl Stage {
    fn from_u8(b: u8) -> Option<Stage> {
        use Stage::*;
        [Setns, Unshare, IdMap, MountPrivate, MountProc, TimeOffsets, Clone, DeathSignal, Stdio, Exec, Chdir, RootFs, Session, Credentials]
            .into_iter()
            .find(|s| *s as u8 == b)
    }
}

// Messages on the parent/child socket: [tag, index, errno (4 bytes LE)].
pub(super) const MSG_READY: u8 = 0;
pub(super) const MSG_GO: u8 = 0xff;

/// A file the child writes one buffer to (an id map or time offsets).
pub struct ProcWrite {
    /// The file, e.g. `/proc/self/uid_map`.
    pub path: CString,
    /// What to write.
    pub data: Vec<u8>,
    /// Whether ENOENT is fine (setgroups on old kernels).
    pub optional: bool,
}

/// Everything the child does between clone3 and execve, prepared in the parent.
pub struct ChildPlan {
    /// Namespace fds to join, in the order to try them, with their kind.
    pub joins: Vec<(NsKind, OwnedFd)>,
    /// Flags for the clone3 that creates the process.
    pub clone_flags: u64,
    /// Flags the process passes to unshare(2) itself before exec.
    pub unshare_flags: libc::c_int,
    /// Flags the intermediate process passes to unshare(2) before it creates
    /// the process (used for time namespaces with offsets, which can only be
    /// set before any process enters).
    pub pre_unshare_flags: libc::c_int,
    /// Whether the intermediate maps its ids to root after its unshare.
    pub pre_map_root: bool,
    /// Files written by the intermediate process after its unshare (timens_offsets).
    pub pre_writes: Vec<ProcWrite>,
    /// Map the creator's uid and gid to root in the new user namespace, as
    /// `unshare -r` does (setgroups deny, then gid_map, then uid_map).
    pub map_root: bool,
    /// The propagation to give `/` and everything below it in a new mount
    /// namespace (`MS_PRIVATE`, or `MS_SLAVE` to keep receiving the
    /// creator's mounts).
    pub root_propagation: Option<libc::c_ulong>,
    /// Mount a fresh procfs on /proc.
    pub mount_proc: bool,
    /// Signal to receive when the parent dies.
    pub death_signal: Option<libc::c_int>,
    /// Start a new process group (so the whole group can be killed at once).
    pub new_process_group: bool,
    /// Make that group the foreground of the terminal on stdin before exec,
    /// as a shell does for a job: an interactive shell started in the
    /// background stops itself (SIGTTIN) and would wait for a SIGCONT.
    pub foreground: bool,
    /// Create the process through an intermediate even without joins: needed
    /// for a new pid namespace when the caller has already unshared its own
    /// (clone fails with EINVAL unless the creator lives in its
    /// pid_for_children namespace).
    pub via_intermediate: bool,
    /// Start a new session (setsid): no controlling terminal, and a process
    /// group of its own.
    pub new_session: bool,
    /// Make the terminal on stdin the controlling terminal of the new
    /// session (TIOCSCTTY): for a shell on a pseudo-terminal nslab relays.
    pub controlling_tty: bool,
    /// Close every descriptor above 2 at exec, whatever the caller left open.
    pub close_fds: bool,
    /// A user namespace to enter first, becoming its root (uid and gid 0, no
    /// supplementary groups), before any other join: the lab's. Whatever is
    /// joined after it is joined as the lab's root, never as the caller, and
    /// in a deeper user namespace that does not map 0 the process stays the
    /// lab's root.
    pub enter_as_root: Option<OwnedFd>,
    /// Build the lab's root and pivot into it (see [`LabRoot`]).
    pub lab_root: Option<LabRoot>,
    /// Id maps the parent writes for the child's new user namespace once the
    /// child is ready: `(uid_map, gid_map)`. Only a process outside the new
    /// namespace with CAP_SETUID there may map more than its own id.
    pub parent_maps: Option<(Vec<u8>, Vec<u8>)>,
    /// Descriptors to install as 0, 1 and 2 (`None` keeps the inherited one).
    pub stdio: [Option<OwnedFd>; 3],
    /// The working directory to change to before exec.
    pub cwd: Option<CString>,
    /// Candidate paths to execve, in order (PATH search done in advance).
    pub candidates: Vec<CString>,
    /// The argument vector.
    pub argv: Vec<CString>,
    /// The environment, as `KEY=VALUE` strings.
    pub envp: Vec<CString>,
    /// The engine commands' last steps before exec (see [`Extra`]).
    pub extra: Extra,
    /// Wait, once set up, for [`Pending::release`]: the caller has work to
    /// do between the namespaces' birth and the exec (pinning them, say).
    /// Without it the child runs straight on to exec (after its maps, if
    /// the parent writes them), and the parent waits for one answer only.
    pub hold: bool,
}

impl ChildPlan {
    /// True when the child waits for the parent's go before it runs on to
    /// exec: held, or waiting for its maps, or made through an intermediate
    /// process, which must be gone (reaped) first — else the program could
    /// see it, an extra process of the lab's, in `/proc`.
    pub(super) fn waits_for_go(&self) -> bool {
        self.hold || self.parent_maps.is_some() || self.needs_intermediate()
    }

    /// True when the process must be created by an intermediate process: it has
    /// namespaces to join, or a time namespace whose offsets must be written
    /// before anyone enters it.
    pub(super) fn needs_intermediate(&self) -> bool {
        !self.joins.is_empty() || self.pre_unshare_flags != 0 || self.via_intermediate || self.enter_as_root.is_some()
    }
}

/// A failure reported by the child: what it was doing, on which join, and errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildFailure {
    /// The step that failed.
    pub stage: Stage,
    /// For `Stage::Setns`, the index into the join list.
    pub index: usize,
    /// The errno.
    pub errno: i32,
}

/// The parent's end of a spawn in progress: the child has been created and has
/// finished its namespace set-up, and waits for `go` before it execs.
pub struct Pending {
    /// The pid, as the caller sees it.
    pub pid: libc::pid_t,
    /// A pidfd for the process.
    pub pidfd: OwnedFd,
    sock: OwnedFd,
    /// The child was let go at once (not [`ChildPlan::hold`]).
    released: bool,
}

/// Why a spawn failed.
#[derive(Debug)]
pub enum SpawnFailure {
    /// A system call in the parent failed.
    Parent(io::Error),
    /// The child reported a failure (it has exited and been reaped).
    Child(ChildFailure),
}

pub(super) fn send_msg(sock: RawFd, tag: u8, index: u8, errno: i32) {
    let e = errno.to_le_bytes();
    let msg = [tag, index, e[0], e[1], e[2], e[3]];
    // SAFETY: msg is a valid buffer; MSG_NOSIGNAL avoids SIGPIPE if the parent left.
    unsafe { libc::send(sock, msg.as_ptr().cast(), msg.len(), libc::MSG_NOSIGNAL) };
}

/// The pointers execve needs, built in the parent (the child must not allocate).
pub(super) struct ExecVectors {
    pub(super) argv: Vec<*const libc::c_char>,
    pub(super) envp: Vec<*const libc::c_char>,
}

impl ExecVectors {
    fn new(plan: &ChildPlan) -> ExecVectors {
        let ptrs = |v: &[CString]| v.iter().map(|c| c.as_ptr()).chain([std::ptr::null()]).collect();
        ExecVectors { argv: ptrs(&plan.argv), envp: ptrs(&plan.envp) }
    }
}

/// The uid and gid of the process that creates a user namespace, captured just
/// before the clone (inside the new namespace they read as the overflow id).
#[derive(Clone, Copy)]
pub(super) struct Creator {
    pub(super) uid: libc::uid_t,
    pub(super) gid: libc::gid_t,
}

impl Creator {
    pub(super) fn now() -> Creator {
        // SAFETY: getuid and getgid cannot fail.
        unsafe { Creator { uid: libc::getuid(), gid: libc::getgid() } }
    }
}

fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid out-array of two ints.
    cvt(unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) })?;
    // SAFETY: socketpair just returned these two fds.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Starts the process described by `plan`. On success the process has its
/// namespaces and, if the plan holds it, waits; call [`Pending::release`] to
/// let it exec and learn whether the exec succeeded.
pub fn spawn(plan: &ChildPlan) -> Result<Pending, SpawnFailure> {
    let exec = ExecVectors::new(plan);
    let (ours, theirs) = socket_pair().map_err(SpawnFailure::Parent)?;

    let (pid, pidfd) = if plan.needs_intermediate() {
        // A second channel carries the pidfd, so that it cannot race with the
        // child's own messages on the first.
        let (h_ours, h_theirs) = socket_pair().map_err(SpawnFailure::Parent)?;
        // SAFETY: the child only runs `intermediate`, which is async-signal-safe.
        let helper = unsafe { clone3(0, None) }.map_err(SpawnFailure::Parent)?;
        if helper == 0 {
            intermediate(plan, &exec, theirs.as_raw_fd(), h_theirs.as_raw_fd());
        }
        drop(h_theirs);
        let received = recv_fd(h_ours.as_raw_fd());
        let _ = wait_pid(helper, true);
        let pidfd = match received {
            Ok(Ok(fd)) => fd,
            Ok(Err(failure)) => return Err(SpawnFailure::Child(failure)),
            Err(e) => return Err(SpawnFailure::Parent(e)),
        };
        let pid = pid_of_pidfd(&pidfd).map_err(SpawnFailure::Parent)?;
        (pid, pidfd)
    } else {
        let creator = Creator::now();
        let mut pidfd: libc::c_int = -1;
        // SAFETY: the child only runs `child_main`, which is async-signal-safe.
        let pid = unsafe { clone3(plan.clone_flags, Some(&mut pidfd)) }.map_err(SpawnFailure::Parent)?;
        if pid == 0 {
            child_main(plan, &exec, creator, theirs.as_raw_fd());
        }
        // SAFETY: clone3 stored a fresh pidfd for us.
        (pid, unsafe { OwnedFd::from_raw_fd(pidfd) })
    };
    drop(theirs);

    if !plan.hold {
        // Nothing to do between set-up and exec but the maps: write them
        // now (the new user namespace exists since clone) and let the child
        // go; it execs as soon as its set-up is done, and `release` waits for
        // that answer alone. One round trip less per process (no READY),
        // which is what a step costs on a busy machine (each wake-up waits
        // for a CPU).
        if let Some((uid_map, gid_map)) = &plan.parent_maps
            && let Err(e) = write_maps_of(pid, uid_map, gid_map)
        {
            return Err(killed_during_setup(pid, &pidfd, &ours, Stage::IdMap, e));
        }
        // (The intermediate, if any, has been reaped above.)
        if plan.waits_for_go() {
            send_msg(ours.as_raw_fd(), MSG_GO, 0, 0);
        }
        return Ok(Pending { pid, pidfd, sock: ours, released: true });
    }

    match recv_msg(ours.as_raw_fd()) {
        Ok(Some((MSG_READY, _, _))) => {
            if let Some((uid_map, gid_map)) = &plan.parent_maps
                && let Err(e) = write_maps_of(pid, uid_map, gid_map)
            {
                return Err(killed_during_setup(pid, &pidfd, &ours, Stage::IdMap, e));
            }
            Ok(Pending { pid, pidfd, sock: ours, released: false })
        }
        Ok(Some((tag, index, errno))) => {
            let _ = wait_pid(pid, true);
            let stage = Stage::from_u8(tag).unwrap_or(Stage::Exec);
            Err(SpawnFailure::Child(ChildFailure { stage, index: index as usize, errno }))
        }
        Ok(None) | Err(_) => {
            let _ = wait_pid(pid, true);
            Err(SpawnFailure::Parent(io::Error::other("the child exited during set-up")))
        }
    }
}

/// Ends a child whose set-up the parent could not finish (`stage`, failing
/// with `error`). If the child had failed first and said why, that reason
/// is the one reported.
fn killed_during_setup(pid: libc::pid_t, pidfd: &OwnedFd, sock: &OwnedFd, stage: Stage, error: io::Error) -> SpawnFailure {
    let _ = pidfd_send_signal(pidfd, libc::SIGKILL);
    let _ = wait_pid(pid, true);
    if let Ok(Some((tag, index, errno))) = recv_msg(sock.as_raw_fd())
        && tag != MSG_READY
    {
        return SpawnFailure::Child(ChildFailure { stage: Stage::from_u8(tag).unwrap_or(Stage::Exec), index: index as usize, errno });
    }
    SpawnFailure::Child(ChildFailure { stage, index: 0, errno: error.raw_os_error().unwrap_or(libc::EIO) })
}

impl Pending {
    /// Lets the child exec, and reports whether the exec succeeded.
    pub fn release(self) -> Result<(libc::pid_t, OwnedFd), SpawnFailure> {
        if !self.released {
            send_msg(self.sock.as_raw_fd(), MSG_GO, 0, 0);
        }
        match recv_msg(self.sock.as_raw_fd()) {
            // The socket closed on exec (it is CLOEXEC): the program runs.
            Ok(None) => Ok((self.pid, self.pidfd)),
            Ok(Some((tag, index, errno))) => {
                let _ = wait_pid(self.pid, true);
                let stage = Stage::from_u8(tag).unwrap_or(Stage::Exec);
                Err(SpawnFailure::Child(ChildFailure { stage, index: index as usize, errno }))
            }
            Err(e) => {
                let _ = pidfd_send_signal(&self.pidfd, libc::SIGKILL);
                let _ = wait_pid(self.pid, true);
                Err(SpawnFailure::Parent(e))
            }
        }
    }

    /// Kills the waiting child instead of letting it exec.
    pub fn abort(self) {
        let _ = pidfd_send_signal(&self.pidfd, libc::SIGKILL);
        let _ = wait_pid(self.pid, true);
    }
}

fn recv_msg(sock: RawFd) -> io::Result<Option<(u8, u8, i32)>> {
    let mut buf = [0u8; 6];
    loop {
        // SAFETY: buf is a valid writable buffer.
        let n = unsafe { libc::recv(sock, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Ok(None);
        }
        return Ok(Some((buf[0], buf[1], i32::from_le_bytes([buf[2], buf[3], buf[4], buf[5]]))));
    }
}

/// Receives either a pidfd (SCM_RIGHTS) or a failure message from the intermediate.
fn recv_fd(sock: RawFd) -> io::Result<Result<OwnedFd, ChildFailure>> {
    let mut buf = [0u8; 6];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    let mut cmsg = [0u64; 8];
    // SAFETY: zeroed msghdr is valid; we fill in the pointers below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&cmsg) as _;
    let n = loop {
        // SAFETY: msg points at valid buffers that outlive the call.
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break n;
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n == 0 {
        return Err(io::Error::other("the intermediate process exited without an answer"));
    }
    // SAFETY: msg was filled in by recvmsg; the CMSG macros walk its control buffer.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        if !c.is_null() && (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
            let fd = std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::c_int);
            return Ok(Ok(OwnedFd::from_raw_fd(fd)));
        }
    }
    let stage = Stage::from_u8(buf[0]).unwrap_or(Stage::Clone);
    Ok(Err(ChildFailure { stage, index: buf[1] as usize, errno: i32::from_le_bytes([buf[2], buf[3], buf[4], buf[5]]) }))
}

pub(super) fn send_fd(sock: RawFd, fd: RawFd) -> bool {
    let mut byte = [0u8; 6];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: byte.len() };
    let mut cmsg = [0u64; 8];
    // SAFETY: all pointers refer to stack buffers that live through sendmsg; the
    // CMSG macros only compute addresses inside `cmsg`.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cmsg.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(size_of::<libc::c_int>() as u32) as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut libc::c_int, fd);
        libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) >= 0
    }
}

/// The pid, in the caller's pid namespace, of the process a pidfd refers to.
fn pid_of_pidfd(pidfd: &OwnedFd) -> io::Result<libc::pid_t> {
    let info = std::fs::read_to_string(crate::ns::view::proc_root().join(format!("self/fdinfo/{}", pidfd.as_raw_fd())))?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
        .filter(|&p: &libc::pid_t| p > 0)
        .ok_or_else(|| io::Error::other("the new process is not visible in this pid namespace"))
}

/// Writes the uid and gid maps of process `pid` from outside its user
/// namespace (setgroups is left as it is: the writer holds CAP_SETGID over
/// the namespace's parent).
fn write_maps_of(pid: libc::pid_t, uid_map: &[u8], gid_map: &[u8]) -> io::Result<()> {
    let proc = crate::ns::view::proc_root().join(pid.to_string());
    std::fs::write(proc.join("uid_map"), uid_map)?;
    std::fs::write(proc.join("gid_map"), gid_map)
}

// ---------------------------------------------------------------------------
// The engine commands' extra steps (unshare -R -w -S -G --keep-caps
// --mount-proc=DIR, nsenter -r -w -W -S -G): run by the child after go, so
// after the parent wrote any id maps, in util-linux's order.
// ---------------------------------------------------------------------------

/// What the child does last, before exec. Failures are reported as
/// `Stage::Chdir` (index 1: root, 2: working directory) and `Stage::IdMap`
/// (index 1: setgroups, 2: setgid, 3: setuid, 4: capabilities, 5: mounting proc).
#[derive(Default, Debug)]
pub struct Extra {
    /// Mount a fresh proc here (`unshare --mount-proc=DIR`).
    pub mount_proc_at: Option<CString>,
    /// Change the root to this open directory (`nsenter -r`).
    pub root_fd: Option<OwnedFd>,
    /// Change the root to this path (`unshare -R`), then chdir to `/`.
    pub root_path: Option<CString>,
    /// Then change to this open directory (`nsenter -w`).
    pub wd_fd: Option<OwnedFd>,
    /// Then change to this path (`unshare -w`, `nsenter -W`).
    pub wd_path: Option<CString>,
    /// Drop supplementary groups (errors are fatal only when `strict_groups`).
    pub clear_groups: bool,
    /// Whether a failed setgroups is an error.
    pub strict_groups: bool,
    /// setgid to this.
    pub gid: Option<libc::gid_t>,
    /// setuid to this.
    pub uid: Option<libc::uid_t>,
    /// Raise every permitted capability as ambient, to survive exec.
    pub keep_caps: bool,
}
