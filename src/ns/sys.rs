//! The one module that talks to the kernel with raw system calls: clone3, setns,
//! unshare, mount, the nsfs ioctls and the netlink NSID query. Everything above
//! it is plain Rust.
//!
//! The child side of a spawn runs between clone3 and execve in a copy of a
//! process that may have had other threads, so it only makes system calls on
//! data prepared beforehand: no allocation, no locks, no `std::io`.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::OnceLock;

use super::{NsId, NsKind};

// The nsfs ioctls, from <linux/nsfs.h>: _IO(0xb7, n).
const NS_GET_USERNS: libc::c_ulong = 0xb701;
const NS_GET_PARENT: libc::c_ulong = 0xb702;
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

fn cpath(path: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// The device number of the nsfs filesystem, on which every namespace file lives.
pub fn nsfs_dev() -> Option<u64> {
    static DEV: OnceLock<Option<u64>> = OnceLock::new();
    *DEV.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(super::view::proc_root().join("self/ns/net")).ok().map(|m| m.dev())
    })
}

/// Opens a namespace file (a `/proc/PID/ns` link or a bind mount of one) for
/// the ioctls and setns below.
pub fn open_ns(path: &Path) -> io::Result<OwnedFd> {
    let c = cpath(path)?;
    // SAFETY: c is a valid C string; the returned fd is owned by us.
    let fd = cvt(unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    // SAFETY: fd was just returned by open.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The identity of the namespace an open nsfs fd refers to, or `None` when the
/// fd is not on nsfs.
pub fn ns_id_of_fd(fd: &OwnedFd) -> io::Result<Option<NsId>> {
    let file = std::fs::File::from(fd.try_clone()?);
    let meta = file.metadata()?;
    let id = NsId::from_metadata(&meta);
    Ok((Some(id.dev) == nsfs_dev()).then_some(id))
}

/// The kind of the namespace behind `fd` (NS_GET_NSTYPE).
pub fn ns_kind_of_fd(fd: &OwnedFd) -> io::Result<NsKind> {
    // SAFETY: plain ioctl on an fd we own; no pointers involved.
    let flag = cvt(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE) })?;
    NsKind::from_clone_flag(flag).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unknown namespace type {flag:#x}")))
}

fn ns_ioctl_fd(fd: &OwnedFd, request: libc::c_ulong) -> io::Result<OwnedFd> {
    // SAFETY: NS_GET_USERNS and NS_GET_PARENT take no argument and return a new fd.
    let new = cvt(unsafe { libc::ioctl(fd.as_raw_fd(), request) })?;
    // SAFETY: the ioctl returned a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// The namespace's unique serial number (NS_GET_ID, Linux 6.18+), which
/// unlike its inode is never reused; `None` on older kernels.
pub fn ns_serial(fd: &OwnedFd) -> Option<u64> {
    const NS_GET_ID: libc::c_ulong = 0x8008_b70d; // _IOR(0xb7, 13, __u64)
    let mut id: u64 = 0;
    // SAFETY: the ioctl writes one u64 into `id`.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_ID, &mut id as *mut u64) };
    (ret == 0).then_some(id)
}

/// The serial of the namespace behind a file (see [`ns_serial`]).
pub fn ns_serial_of(path: &Path) -> Option<u64> {
    ns_serial(&open_ns(path).ok()?)
}

/// The user namespace that owns the namespace behind `fd` (NS_GET_USERNS).
/// Fails with EPERM when that user namespace is outside the caller's view.
pub fn owner_userns(fd: &OwnedFd) -> io::Result<OwnedFd> {
    ns_ioctl_fd(fd, NS_GET_USERNS)
}

/// The parent of a pid or user namespace (NS_GET_PARENT). Fails with EPERM at
/// the top of the caller's view and EINVAL for the other kinds.
pub fn parent_ns(fd: &OwnedFd) -> io::Result<OwnedFd> {
    ns_ioctl_fd(fd, NS_GET_PARENT)
}

/// The NSID the caller's network namespace has assigned to the network
/// namespace behind `fd` (RTM_GETNSID), `Ok(None)` when none is assigned.
pub fn netnsid(fd: &OwnedFd) -> io::Result<Option<i32>> {
    // The request: nlmsghdr (16) + rtgenmsg (1, padded to 4) + rtattr (4) + u32 fd.
    const RTM_GETNSID: u16 = 90;
    const RTM_NEWNSID: u16 = 88;
    const NETNSA_NSID: u16 = 1;
    const NETNSA_FD: u16 = 3;
    // SAFETY: creating a socket has no memory-safety preconditions.
    let sock = cvt(unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) })?;
    // SAFETY: sock was just created and is owned here.
    let sock = unsafe { OwnedFd::from_raw_fd(sock) };
    let mut req = [0u8; 28];
    req[0..4].copy_from_slice(&28u32.to_ne_bytes());
    req[4..6].copy_from_slice(&RTM_GETNSID.to_ne_bytes());
    req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req[16] = libc::AF_UNSPEC as u8;
    req[20..22].copy_from_slice(&8u16.to_ne_bytes());
    req[22..24].copy_from_slice(&NETNSA_FD.to_ne_bytes());
    req[24..28].copy_from_slice(&fd.as_raw_fd().to_ne_bytes());
    // SAFETY: req is a valid buffer of the given length.
    if unsafe { libc::send(sock.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut buf = [0u8; 256];
    // SAFETY: buf is a valid writable buffer of the given length.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let msg = &buf[..n as usize];
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "unexpected netlink answer");
    if msg.len() < 20 || u16::from_ne_bytes([msg[4], msg[5]]) != RTM_NEWNSID {
        return Err(bad());
    }
    let mut attrs = &msg[20..];
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let ty = u16::from_ne_bytes([attrs[2], attrs[3]]);
        if len < 4 || len > attrs.len() {
            break;
        }
        if ty == NETNSA_NSID && len >= 8 {
            let id = i32::from_ne_bytes([attrs[4], attrs[5], attrs[6], attrs[7]]);
            return Ok((id >= 0).then_some(id));
        }
        attrs = &attrs[(len + 3) & !3..];
    }
    Err(bad())
}

/// Bind-mounts the namespace file `source` onto the existing file `target`,
/// which keeps the namespace alive while the mount exists.
pub fn bind_mount(source: &Path, target: &Path) -> io::Result<()> {
    let (s, t) = (cpath(source)?, cpath(target)?);
    // SAFETY: valid C strings; null fstype and data are allowed for MS_BIND.
    cvt(unsafe { libc::mount(s.as_ptr(), t.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) }).map(drop)
}

/// Sets the propagation type of the mount at `target` (`MS_SHARED`,
/// `MS_PRIVATE`, with `MS_REC` for the mounts below it too).
pub fn set_propagation(target: &Path, flags: libc::c_ulong) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: a valid C string; null source, fstype and data are allowed here.
    cvt(unsafe { libc::mount(std::ptr::null(), t.as_ptr(), std::ptr::null(), flags, std::ptr::null()) }).map(drop)
}

/// Unmounts `target` (one mount, not recursively).
pub fn unmount(target: &Path) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::umount2(t.as_ptr(), libc::UMOUNT_NOFOLLOW) }).map(drop)
}

/// Detaches the mount at `target` and everything below it (MNT_DETACH).
pub fn unmount_detached(target: &Path) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: valid C string.
    cvt(unsafe { libc::umount2(t.as_ptr(), libc::MNT_DETACH | libc::UMOUNT_NOFOLLOW) }).map(drop)
}

/// Sends `signal` through a pidfd, which cannot hit a recycled pid.
pub fn pidfd_send_signal(pidfd: &OwnedFd, signal: libc::c_int) -> io::Result<()> {
    // SAFETY: the syscall takes an fd, a signal number and two null arguments.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), signal, std::ptr::null::<u8>(), 0) };
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// How a child process ended, as `waitpid` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExitStatus {
    /// It called exit with this code.
    Exited(i32),
    /// A signal with this number ended it.
    Signaled(i32),
}

impl ExitStatus {
    /// The status as a shell reports it: the exit code, or 128 + the signal number.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }

    /// True when the process exited with 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ExitStatus::Exited(c) => write!(f, "exit status {c}"),
            ExitStatus::Signaled(s) => write!(f, "killed by signal {s} ({})", signal_name(s)),
        }
    }
}

/// The conventional name of a signal number, e.g. `SIGKILL`.
pub fn signal_name(sig: i32) -> &'static str {
    nix::sys::signal::Signal::try_from(sig).map(|s| s.as_str()).unwrap_or("unknown signal")
}

/// Waits for the child `pid`; with `block == false` returns `None` while it runs.
pub fn wait_pid(pid: libc::pid_t, block: bool) -> io::Result<Option<ExitStatus>> {
    let mut status = 0;
    let flags = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: status is a valid out-pointer.
        let ret = unsafe { libc::waitpid(pid, &mut status, flags) };
        if ret < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if ret == 0 {
            return Ok(None);
        }
        return Ok(Some(if libc::WIFSIGNALED(status) { ExitStatus::Signaled(libc::WTERMSIG(status)) } else { ExitStatus::Exited(libc::WEXITSTATUS(status)) }));
    }
}

/// Makes the caller a child subreaper: orphans below it are re-parented to it,
/// so it can reap (and account for) everything it started.
pub fn set_child_subreaper() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    cvt(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }).map(drop)
}

// ---------------------------------------------------------------------------
// Spawning: clone3, then a fixed program of system calls in the child.
// ---------------------------------------------------------------------------

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
unsafe fn clone3(flags: u64, pidfd: Option<&mut libc::c_int>) -> io::Result<libc::pid_t> {
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
const MSG_READY: u8 = 0;
const MSG_GO: u8 = 0xff;

/// A file the child writes one buffer to (an id map or time offsets).
pub struct ProcWrite {
    /// The file, e.g. `/proc/self/uid_map`.
    pub path: CString,
    /// What to write.
    pub data: Vec<u8>,
    /// Whether ENOENT is fine (setgroups on old kernels).
    pub optional: bool,
}

/// The lab's root file system, as its init finishes it: the tree was staged
/// by nslab at `root` (read-only binds of the machine's tree, tmpfs where
/// lessons write); the init, inside the lab's new pid, net and user
/// namespaces, mounts a /proc and a /sys of its own there (nothing mounted
/// over parts of /proc, which would keep the lab's own containers from
/// mounting theirs), pivots into `root` and detaches the old root, so that no
/// path leads back to the machine's tree. Paths are prepared as C strings:
/// the child must not allocate.
pub struct LabRoot {
    /// The staged root.
    pub root: CString,
    /// `root/proc`.
    pub proc: CString,
    /// `root/sys`.
    pub sys: CString,
}

impl LabRoot {
    /// The plan for a root staged at `root`.
    pub fn at(root: &Path) -> io::Result<LabRoot> {
        Ok(LabRoot { root: cpath(root)?, proc: cpath(&root.join("proc"))?, sys: cpath(&root.join("sys"))? })
    }
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
    /// After joining a user namespace, become its root (uid and gid 0, no
    /// supplementary groups), as nsenter(1) does without
    /// --preserve-credentials.
    pub become_root: bool,
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
}

impl ChildPlan {
    /// True when the process must be created by an intermediate process: it has
    /// namespaces to join, or a time namespace whose offsets must be written
    /// before anyone enters it.
    fn needs_intermediate(&self) -> bool {
        !self.joins.is_empty() || self.pre_unshare_flags != 0 || self.via_intermediate
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
}

/// Why a spawn failed.
#[derive(Debug)]
pub enum SpawnFailure {
    /// A system call in the parent failed.
    Parent(io::Error),
    /// The child reported a failure (it has exited and been reaped).
    Child(ChildFailure),
}

fn send_msg(sock: RawFd, tag: u8, index: u8, errno: i32) {
    let e = errno.to_le_bytes();
    let msg = [tag, index, e[0], e[1], e[2], e[3]];
    // SAFETY: msg is a valid buffer; MSG_NOSIGNAL avoids SIGPIPE if the parent left.
    unsafe { libc::send(sock, msg.as_ptr().cast(), msg.len(), libc::MSG_NOSIGNAL) };
}

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn fail(sock: RawFd, stage: Stage, index: usize, exit: i32) -> ! {
    send_msg(sock, stage as u8, index as u8, errno());
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(exit) }
}

fn write_file(w: &ProcWrite) -> bool {
    write_raw(&w.path, &w.data, w.optional)
}

/// The pointers execve needs, built in the parent (the child must not allocate).
struct ExecVectors {
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
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
struct Creator {
    uid: libc::uid_t,
    gid: libc::gid_t,
}

impl Creator {
    fn now() -> Creator {
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
/// namespaces and waits; call [`Pending::release`] to let it exec.
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

    match recv_msg(ours.as_raw_fd()) {
        Ok(Some((MSG_READY, _, _))) => {
            if let Some((uid_map, gid_map)) = &plan.parent_maps
                && let Err(e) = write_maps_of(pid, uid_map, gid_map)
            {
                let _ = pidfd_send_signal(&pidfd, libc::SIGKILL);
                let _ = wait_pid(pid, true);
                return Err(SpawnFailure::Child(ChildFailure { stage: Stage::IdMap, index: 0, errno: e.raw_os_error().unwrap_or(libc::EIO) }));
            }
            Ok(Pending { pid, pidfd, sock: ours })
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

impl Pending {
    /// Lets the child exec, and reports whether the exec succeeded.
    pub fn release(self) -> Result<(libc::pid_t, OwnedFd), SpawnFailure> {
        send_msg(self.sock.as_raw_fd(), MSG_GO, 0, 0);
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

fn send_fd(sock: RawFd, fd: RawFd) -> bool {
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
    let info = std::fs::read_to_string(super::view::proc_root().join(format!("self/fdinfo/{}", pidfd.as_raw_fd())))?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse().ok())
        .filter(|&p: &libc::pid_t| p > 0)
        .ok_or_else(|| io::Error::other("the new process is not visible in this pid namespace"))
}

/// The intermediate process: joins namespaces (and creates a time namespace
/// whose offsets it sets), then creates the real child with CLONE_PARENT so the
/// caller is its parent, passes its pidfd up on `fd_sock`, and exits.
fn intermediate(plan: &ChildPlan, exec: &ExecVectors, sock: RawFd, fd_sock: RawFd) -> ! {
    join_all(&plan.joins, fd_sock);
    if plan.become_root && plan.joins.iter().any(|(k, _)| *k == NsKind::User) && !become_root() {
        fail(fd_sock, Stage::Credentials, 0, 1);
    }
    if plan.pre_unshare_flags != 0 {
        let creator = Creator::now();
        // SAFETY: unshare with flags only.
        if unsafe { libc::unshare(plan.pre_unshare_flags) } < 0 {
            fail(fd_sock, Stage::Unshare, 0, 1);
        }
        if plan.pre_map_root && !map_root(creator) {
            fail(fd_sock, Stage::IdMap, 0, 1);
        }
        for w in &plan.pre_writes {
            if !write_file(w) {
                fail(fd_sock, Stage::TimeOffsets, 0, 1);
            }
        }
    }
    let creator = Creator::now();
    let mut pidfd: libc::c_int = -1;
    // SAFETY: the grandchild only runs child_main.
    match unsafe { clone3(plan.clone_flags | libc::CLONE_PARENT as u64, Some(&mut pidfd)) } {
        Err(_) => fail(fd_sock, Stage::Clone, 0, 1),
        Ok(0) => child_main(plan, exec, creator, sock),
        Ok(_) => {
            let code = if send_fd(fd_sock, pidfd) { 0 } else { 1 };
            // SAFETY: _exit never returns.
            unsafe { libc::_exit(code) }
        }
    }
}

/// setns into every namespace of `joins`, the way nsenter(1) does: a first pass
/// over all but the user namespace, tolerating failures, then the user namespace
/// and whatever failed before. Root dropping into a container must join user
/// last (it would lose the rights to join the rest); an unprivileged caller
/// gaining rights must join user first (the others need its capabilities).
fn join_all(joins: &[(NsKind, OwnedFd)], sock: RawFd) {
    let mut done = [false; 16];
    for pass in 0..2 {
        for (i, (kind, fd)) in joins.iter().enumerate().take(done.len()) {
            if done[i] || (pass == 0 && *kind == NsKind::User) {
                continue;
            }
            // SAFETY: setns on an fd we own, with the kind's flag.
            if unsafe { libc::setns(fd.as_raw_fd(), kind.clone_flag()) } == 0 {
                done[i] = true;
            } else if pass == 1 {
                fail(sock, Stage::Setns, i, 1);
            }
        }
    }
}

/// Formats `n` in decimal into `buf`, returning the digits (no allocation).
fn itoa(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Writes `0 ID 1` to an id map file.
fn write_id_map(path: &CStr, id: u32) -> bool {
    let mut line = [0u8; 24];
    let mut digits = [0u8; 10];
    let id = itoa(id, &mut digits);
    line[..2].copy_from_slice(b"0 ");
    line[2..2 + id.len()].copy_from_slice(id);
    let end = 2 + id.len();
    line[end..end + 3].copy_from_slice(b" 1\n");
    write_raw(path, &line[..end + 3], false)
}

fn write_raw(path: &CStr, data: &[u8], optional: bool) -> bool {
    // SAFETY: valid C string, a buffer of the given length, an fd we close.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return optional && errno() == libc::ENOENT;
        }
        let ok = libc::write(fd, data.as_ptr().cast(), data.len()) == data.len() as isize;
        libc::close(fd);
        ok
    }
}

/// uid and gid 0 in the caller's user namespace, with no supplementary
/// groups where the namespace allows setgroups (a namespace made without
/// privilege denies it; the groups are then kept, as the kernel requires).
fn become_root() -> bool {
    // SAFETY: plain system calls on integers.
    unsafe {
        libc::setgroups(0, std::ptr::null());
        // Changing ids makes a process non-dumpable, which makes its /proc
        // files root's: it could then not write its own id maps when it
        // creates a user namespace.
        libc::setresgid(0, 0, 0) == 0 && libc::setresuid(0, 0, 0) == 0 && libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) == 0
    }
}

/// Writes the uid and gid maps of process `pid` from outside its user
/// namespace (setgroups is left as it is: the writer holds CAP_SETGID over
/// the namespace's parent).
fn write_maps_of(pid: libc::pid_t, uid_map: &[u8], gid_map: &[u8]) -> io::Result<()> {
    let proc = super::view::proc_root().join(pid.to_string());
    std::fs::write(proc.join("uid_map"), uid_map)?;
    std::fs::write(proc.join("gid_map"), gid_map)
}

/// Maps `creator`'s uid and gid to 0 in the caller's new user namespace, the
/// way `unshare -r` does: setgroups must be denied before an unprivileged
/// process may write gid_map.
fn map_root(creator: Creator) -> bool {
    write_raw(c"/proc/self/setgroups", b"deny", true) && write_id_map(c"/proc/self/gid_map", creator.gid) && write_id_map(c"/proc/self/uid_map", creator.uid)
}

/// The lab init's part of the lab's root (see [`LabRoot`]). Runs in the
/// child, in its new mount namespace, after the tree was made a receiver.
fn enter_lab_root(r: &LabRoot, sock: RawFd) {
    let none = std::ptr::null::<libc::c_void>();
    let nul = std::ptr::null::<libc::c_char>();
    // SAFETY: plain system calls on C strings prepared by the parent.
    unsafe {
        let nosuid = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        // The staged root came from a more privileged mount namespace, so
        // the kernel locked it with everything below it, and pivot_root
        // refuses a locked new root. A bind of it onto itself is a mount of
        // this namespace (unlocked); what is below stays locked.
        if libc::mount(r.root.as_ptr(), r.root.as_ptr(), nul, libc::MS_BIND | libc::MS_REC, none) < 0 {
            fail(sock, Stage::RootFs, 7, 1);
        }
        // /proc and /sys of the lab's own pid and network namespaces. The
        // kernel allows them only while a full /proc and /sys are visible in
        // this mount namespace: before the old root goes.
        if libc::mount(c"proc".as_ptr(), r.proc.as_ptr(), c"proc".as_ptr(), nosuid, none) < 0 {
            fail(sock, Stage::MountProc, 0, 1);
        }
        // Writable, as a container's: the machine's settings in it stay
        // root's on the machine. Twice (a bind on top): `ip netns exec` unmounts /sys and
        // mounts a sysfs of its own, which the kernel allows only while
        // another, fully visible, remains in the mount namespace.
        if libc::mount(c"sysfs".as_ptr(), r.sys.as_ptr(), c"sysfs".as_ptr(), nosuid, none) < 0
            || libc::mount(r.sys.as_ptr(), r.sys.as_ptr(), nul, libc::MS_BIND, none) < 0
        {
            fail(sock, Stage::RootFs, 1, 1);
        }
        // pivot_root(".", "."): the old root ends up stacked on the new one,
        // and is detached with everything below it.
        if libc::chdir(r.root.as_ptr()) < 0 {
            fail(sock, Stage::RootFs, 3, 1);
        }
        if libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) < 0 {
            fail(sock, Stage::RootFs, 4, 1);
        }
        if libc::umount2(c".".as_ptr(), libc::MNT_DETACH) < 0 {
            fail(sock, Stage::RootFs, 5, 1);
        }
        if libc::chdir(c"/".as_ptr()) < 0 {
            fail(sock, Stage::RootFs, 6, 1);
        }
    }
}

/// The process itself: finishes its set-up, reports ready, waits for go, execs.
fn child_main(plan: &ChildPlan, exec: &ExecVectors, creator: Creator, sock: RawFd) -> ! {
    // SAFETY: every call below is a plain system call on prepared data.
    unsafe {
        if let Some(sig) = plan.death_signal
            && libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) < 0
        {
            fail(sock, Stage::DeathSignal, 0, 1);
        }
        if plan.new_session {
            if libc::setsid() < 0 {
                fail(sock, Stage::Session, 0, 1);
            }
        } else if plan.new_process_group {
            libc::setpgid(0, 0);
        }
        if plan.unshare_flags != 0 && libc::unshare(plan.unshare_flags) < 0 {
            fail(sock, Stage::Unshare, 0, 1);
        }
        if plan.map_root && !map_root(creator) {
            fail(sock, Stage::IdMap, 0, 1);
        }
        if let Some(propagation) = plan.root_propagation
            && libc::mount(c"none".as_ptr(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | propagation, std::ptr::null()) < 0
        {
            fail(sock, Stage::MountPrivate, 0, 1);
        }
        if plan.mount_proc {
            // The old /proc goes first where it may (it may not in a user
            // namespace, where it is locked): stacked under the new one, it
            // would come back with an `umount /proc`, and with it the files of
            // processes outside the new pid namespace.
            libc::umount2(c"/proc".as_ptr(), libc::MNT_DETACH);
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            if libc::mount(c"proc".as_ptr(), c"/proc".as_ptr(), c"proc".as_ptr(), flags, std::ptr::null()) < 0 {
                fail(sock, Stage::MountProc, 0, 1);
            }
        }
        if let Some(root) = &plan.lab_root {
            enter_lab_root(root, sock);
            if plan.clone_flags & libc::CLONE_NEWNET as u64 != 0 && loopback_up().is_err() {
                fail(sock, Stage::RootFs, 9, 1);
            }
        }
        send_msg(sock, MSG_READY, 0, 0);
        let mut go = [0u8; 6];
        let n = libc::recv(sock, go.as_mut_ptr().cast(), go.len(), 0);
        if n <= 0 || go[0] != MSG_GO {
            libc::_exit(1);
        }
        // The parent has written the maps of the new user namespace: become
        // its root, so that the process is no longer the id it was created
        // with (root on the machine, when nslab runs as root), only the
        // lab's.
        if plan.parent_maps.is_some() {
            if !become_root() {
                fail(sock, Stage::Credentials, 0, 1);
            }
            // Changing ids clears the parent-death signal: set it again, and
            // end here if the parent died before it was (its end of the
            // socket is closed then).
            if let Some(sig) = plan.death_signal {
                libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0);
                let mut pfd = libc::pollfd { fd: sock, events: libc::POLLRDHUP, revents: 0 };
                if libc::poll(&mut pfd, 1, 0) != 0 {
                    libc::_exit(1);
                }
            }
        }
        if let Some(dir) = &plan.cwd
            && libc::chdir(dir.as_ptr()) < 0
        {
            fail(sock, Stage::Chdir, 0, 1);
        }
        for (target, fd) in plan.stdio.iter().enumerate() {
            if let Some(fd) = fd
                && libc::dup2(fd.as_raw_fd(), target as libc::c_int) < 0
            {
                fail(sock, Stage::Stdio, target, 1);
            }
        }
        if plan.controlling_tty && libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
            fail(sock, Stage::Session, 1, 1);
        }
        if plan.close_fds {
            // Descriptors the caller inherited from whatever started it (one
            // to the machine's namespaces, say) never reach the program;
            // close on exec, so that a failed exec can still report.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, libc::CLOSE_RANGE_CLOEXEC);
        }
        if plan.foreground {
            // A background group that sets the foreground gets SIGTTOU.
            libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            libc::tcsetpgrp(0, libc::getpgrp());
            libc::signal(libc::SIGTTOU, libc::SIG_DFL);
        }
        // Undo what the runner may have set for itself: ignored or handled
        // signals must not reach the program as ignored.
        for sig in [libc::SIGPIPE, libc::SIGINT, libc::SIGTERM, libc::SIGQUIT, libc::SIGHUP] {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());

        let mut saved = libc::ENOENT;
        for path in &plan.candidates {
            libc::execve(path.as_ptr(), exec.argv.as_ptr(), exec.envp.as_ptr());
            let e = errno();
            // Like execvp: a missing file means try the next directory; any other
            // failure (EACCES, ENOEXEC…) is remembered and reported.
            // EACCES on a path that does not exist for us (an unsearchable
            // directory in PATH) is "not here" too.
            let exists = e != libc::EACCES || libc::access(path.as_ptr(), libc::F_OK) == 0;
            if e != libc::ENOENT && e != libc::ENOTDIR && exists {
                saved = e;
            }
        }
        *libc::__errno_location() = saved;
        let code = if saved == libc::ENOENT { 127 } else { 126 };
        fail(sock, Stage::Exec, 0, code)
    }
}

// ---------------------------------------------------------------------------
// The lab: a worker process that moves itself into namespaces of its own.
// ---------------------------------------------------------------------------

/// Forks a worker process (plain fork: the caller must be single-threaded,
/// which the `nslab` binary is). The worker gets SIGKILL when the caller dies.
/// Returns `Ok(None)` in the worker and `Ok(Some(pid))` in the caller.
pub fn fork_worker() -> io::Result<Option<libc::pid_t>> {
    // SAFETY: getpid cannot fail.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the binary is single-threaded when it forks its workers, so the
    // child may run ordinary Rust code.
    let pid = cvt(unsafe { libc::fork() })?;
    if pid > 0 {
        return Ok(Some(pid));
    }
    // SAFETY: prctl and getppid take plain integers.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        if libc::getppid() != parent {
            libc::_exit(1); // the parent died before the death signal was armed
        }
    }
    Ok(None)
}

/// Moves the calling process into new namespaces of `flags` (CLONE_NEWPID
/// affects its children only), maps it to root when it creates a user
/// namespace without privileges, makes its mount tree private so nothing it
/// mounts reaches the host, and brings up loopback in a new network namespace.
///
/// Only for a dedicated single-threaded worker: unshare(CLONE_NEWUSER) and
/// CLONE_NEWNS fail in a process with threads.
pub fn enter_lab(flags: libc::c_int, map_root: bool) -> io::Result<()> {
    let creator = Creator::now();
    // SAFETY: unshare with flags only.
    cvt(unsafe { libc::unshare(flags) })?;
    if map_root && !self::map_root(creator) {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::CLONE_NEWNS != 0 {
        // SAFETY: valid C strings and null pointers where allowed.
        cvt(unsafe { libc::mount(c"none".as_ptr(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) })?;
    }
    if flags & libc::CLONE_NEWNET != 0 {
        loopback_up()?;
    }
    Ok(())
}

/// Sets IFF_UP on `lo` (SIOCGIFFLAGS / SIOCSIFFLAGS).
fn loopback_up() -> io::Result<()> {
    // SAFETY: a datagram socket, an ifreq we own, and two ioctls on it.
    unsafe {
        let sock = cvt(libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0))?;
        let sock = OwnedFd::from_raw_fd(sock);
        let mut req: libc::ifreq = std::mem::zeroed();
        for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        cvt(libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req))?;
        req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        cvt(libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req))?;
    }
    Ok(())
}

/// Kills a whole process group (a step's command and what it forked).
pub fn kill_process_group(pgid: libc::pid_t) {
    if pgid > 1 {
        // SAFETY: kill with a negative pid signals the group.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// Mounts a fresh tmpfs (mode 0755) on `target`, in the caller's mount namespace.
pub fn mount_tmpfs(target: &Path) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: valid C strings.
    cvt(unsafe { libc::mount(c"tmpfs".as_ptr(), t.as_ptr(), c"tmpfs".as_ptr(), libc::MS_NOSUID | libc::MS_NODEV, c"mode=0755".as_ptr().cast()) }).map(drop)
}

/// Mounts a tmpfs on `target` with `options` (e.g. `mode=0755,size=64m`),
/// nosuid and nodev.
pub fn mount_tmpfs_with(target: &Path, options: &str) -> io::Result<()> {
    let t = cpath(target)?;
    let o = CString::new(options).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: valid C strings.
    cvt(unsafe { libc::mount(c"tmpfs".as_ptr(), t.as_ptr(), c"tmpfs".as_ptr(), libc::MS_NOSUID | libc::MS_NODEV, o.as_ptr().cast()) }).map(drop)
}

/// Mounts a new devpts instance (its own pty numbers) on `target`.
pub fn mount_devpts(target: &Path) -> io::Result<()> {
    let t = cpath(target)?;
    // SAFETY: valid C strings.
    cvt(unsafe {
        libc::mount(
            c"devpts".as_ptr(),
            t.as_ptr(),
            c"devpts".as_ptr(),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            c"newinstance,ptmxmode=0666,mode=0620".as_ptr().cast(),
        )
    })
    .map(drop)
}

/// Bind-mounts `source` on `target`, with what is mounted below it when
/// `recursive` (which the kernel requires when `source` has mounts it may
/// not reveal).
pub fn bind(source: &Path, target: &Path, recursive: bool) -> io::Result<()> {
    let (s, t) = (cpath(source)?, cpath(target)?);
    let flags = libc::MS_BIND | if recursive { libc::MS_REC } else { 0 };
    // SAFETY: valid C strings and a null data pointer.
    cvt(unsafe { libc::mount(s.as_ptr(), t.as_ptr(), std::ptr::null(), flags, std::ptr::null()) }).map(drop)
}

/// Makes the mount at `target` and every mount below it read-only, nosuid
/// and nodev (mount_setattr with AT_RECURSIVE, Linux 5.12).
pub fn make_read_only_tree(target: &Path) -> io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const MOUNT_ATTR_NOSUID: u64 = 0x2;
    const MOUNT_ATTR_NODEV: u64 = 0x4;
    const AT_RECURSIVE: libc::c_uint = 0x8000;
    let t = cpath(target)?;
    let attr = MountAttr { attr_set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, attr_clr: 0, propagation: 0, userns_fd: 0 };
    // SAFETY: a valid C string and a struct of the size we pass.
    let r = unsafe { libc::syscall(libc::SYS_mount_setattr, libc::AT_FDCWD, t.as_ptr(), AT_RECURSIVE, &attr as *const MountAttr, size_of::<MountAttr>()) };
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// setns(2) of the calling process into the namespace behind `path` (of
/// kind `kind`). For a pid namespace this changes only where the caller's
/// children are born (`pid_for_children`), never the caller's own.
pub fn setns_path(path: &Path, kind: NsKind) -> io::Result<()> {
    let fd = open_ns(path)?;
    // SAFETY: setns on an fd we own, with the kind's flag.
    cvt(unsafe { libc::setns(fd.as_raw_fd(), kind.clone_flag()) }).map(drop)
}

/// unshare(2) of the calling process (which must be single-threaded for
/// user and mount namespaces).
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare with flags only.
    cvt(unsafe { libc::unshare(flags) }).map(drop)
}

/// Maps the caller's uid and gid to root in the user namespace it has just
/// created (as `unshare -r` does).
pub fn map_self_to_root(uid: libc::uid_t, gid: libc::gid_t) -> io::Result<()> {
    if map_root(Creator { uid, gid }) { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Sets a resource limit (soft and hard) of the calling process.
pub fn set_rlimit(resource: libc::__rlimit_resource_t, limit: u64) -> io::Result<()> {
    let l = libc::rlimit { rlim_cur: limit, rlim_max: limit };
    // SAFETY: a valid rlimit struct.
    cvt(unsafe { libc::setrlimit(resource, &l) }).map(drop)
}

/// PR_SET_NO_NEW_PRIVS: no exec from here on (of this process or its
/// children) can gain privileges through set-user-ID bits or file
/// capabilities.
pub fn no_new_privs() -> io::Result<()> {
    // SAFETY: prctl with integer arguments.
    cvt(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
}

/// Opens a new pseudo-terminal on the devpts instance whose `ptmx` is
/// given, and returns (master, slave): the slave opened through the master
/// (TIOCGPTPEER), so it comes from the same instance whatever the caller's
/// /dev/pts is.
pub fn open_pty(ptmx: &Path) -> io::Result<(OwnedFd, OwnedFd)> {
    let p = cpath(ptmx)?;
    // SAFETY: valid C string; the fds are ours.
    unsafe {
        let master = OwnedFd::from_raw_fd(cvt(libc::open(p.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC))?);
        let mut unlock: libc::c_int = 0;
        cvt(libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &mut unlock))?;
        const TIOCGPTPEER: libc::c_ulong = 0x5441;
        let slave = cvt(libc::ioctl(master.as_raw_fd(), TIOCGPTPEER, libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC))?;
        Ok((master, OwnedFd::from_raw_fd(slave)))
    }
}

// ---------------------------------------------------------------------------
// Fast /proc reading for the scanner: one O_PATH handle per process, names
// read relative to it, and the fd directory read with raw getdents64 (glibc's
// opendir adds an fstat per directory).
// ---------------------------------------------------------------------------

/// A directory opened with O_PATH, to resolve names relative to it.
pub struct DirHandle(OwnedFd);

impl DirHandle {
    /// Opens `path` (a directory).
    pub fn open(path: &Path) -> io::Result<DirHandle> {
        let c = cpath(path)?;
        // SAFETY: a valid C string; the fd is ours.
        let fd = cvt(unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) })?;
        // SAFETY: open returned a fresh fd.
        Ok(DirHandle(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Opens the subdirectory `name` (e.g. a pid) relative to this one.
    pub fn open_child(&self, name: &CStr) -> Option<DirHandle> {
        // SAFETY: a valid dirfd and C string; the fd is ours.
        let fd = unsafe { libc::openat(self.0.as_raw_fd(), name.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        // SAFETY: openat returned a fresh fd.
        (fd >= 0).then(|| DirHandle(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// The target of the symlink `name` relative to this directory, read into
    /// `buf`; `None` when it cannot be read (gone, EACCES, not a link).
    pub fn readlink<'b>(&self, name: &CStr, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        // SAFETY: a valid dirfd, C string and writable buffer of its length.
        let n = unsafe { libc::readlinkat(self.0.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        (n > 0).then(|| &buf[..n as usize])
    }

    /// Calls `f(name, link)` for every symlink in the subdirectory `sub` (such
    /// as a process's `fd`), skipping what cannot be read.
    pub fn for_each_link(&self, sub: &CStr, dents: &mut [u8], link: &mut [u8], mut f: impl FnMut(&[u8], &[u8])) {
        // SAFETY: a valid dirfd and C string; the fd is ours.
        let fd = unsafe { libc::openat(self.0.as_raw_fd(), sub.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return;
        }
        // SAFETY: openat returned a fresh fd.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        loop {
            // SAFETY: getdents64 fills at most dents.len() bytes of dents.
            let n = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), dents.as_mut_ptr(), dents.len()) };
            if n <= 0 {
                return;
            }
            let mut off = 0usize;
            while off + 19 < n as usize {
                // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name…
                let reclen = u16::from_ne_bytes([dents[off + 16], dents[off + 17]]) as usize;
                if reclen == 0 {
                    return;
                }
                let d_type = dents[off + 18];
                let name_area = &dents[off + 19..off + reclen];
                let name_len = name_area.iter().position(|&b| b == 0).unwrap_or(name_area.len());
                if d_type == libc::DT_LNK || d_type == libc::DT_UNKNOWN {
                    let name = &name_area[..=name_len.min(name_area.len() - 1)];
                    if let Ok(cname) = CStr::from_bytes_with_nul(name) {
                        // SAFETY: a valid dirfd, C string and writable buffer.
                        let l = unsafe { libc::readlinkat(dir.as_raw_fd(), cname.as_ptr(), link.as_mut_ptr().cast(), link.len()) };
                        if l > 0 {
                            f(&name_area[..name_len], &link[..l as usize]);
                        }
                    }
                }
                off += reclen;
            }
            // procfs fills the buffer until the directory is exhausted, so
            // room left for another entry means there is none: this saves
            // the final empty getdents64 per process.
            if n as usize + 512 < dents.len() {
                return;
            }
        }
    }
}
