//! One function per system call or ioctl, for the parent side: namespace
//! files and their nsfs ioctls, the netlink NSID query, mounts, waiting for
//! and signalling processes, limits, and pseudo-terminals.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::OnceLock;

use crate::ns::{NsId, NsKind};

// The nsfs ioctls, from <linux/nsfs.h>: _IO(0xb7, n).
const NS_GET_USERNS: libc::c_ulong = 0xb701;
const NS_GET_PARENT: libc::c_ulong = 0xb702;
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

pub(super) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(ret) }
}

pub(super) fn cpath(path: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// The device number of the nsfs filesystem, on which every namespace file lives.
pub fn nsfs_dev() -> Option<u64> {
    static DEV: OnceLock<Option<u64>> = OnceLock::new();
    *DEV.get_or_init(|| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(crate::ns::view::proc_root().join("self/ns/net")).ok().map(|m| m.dev())
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

/// A duplicate of descriptor `fd` of the process behind `pidfd`
/// (pidfd_getfd(2); needs the right to ptrace it).
pub fn pidfd_getfd(pidfd: &OwnedFd, fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: plain integers; the kernel returns a new descriptor we own.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pidfd_getfd returned a fresh descriptor (O_CLOEXEC).
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// A pidfd for `pid`.
pub fn pidfd_open(pid: libc::pid_t) -> io::Result<OwnedFd> {
    // SAFETY: plain integers; the kernel returns a new descriptor we own.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pidfd_open returned a fresh descriptor (close-on-exec).
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// The network namespace of a socket (ioctl SIOCGSKNS), as an nsfs descriptor.
pub fn socket_netns(socket: &OwnedFd) -> io::Result<OwnedFd> {
    const SIOCGSKNS: libc::c_ulong = 0x894C;
    // SAFETY: SIOCGSKNS takes no argument and returns a new descriptor.
    let ret = unsafe { libc::ioctl(socket.as_raw_fd(), SIOCGSKNS as _) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the ioctl returned a fresh descriptor (O_CLOEXEC).
    Ok(unsafe { OwnedFd::from_raw_fd(ret) })
}

/// The owner uid of a user namespace (ioctl NS_GET_OWNER_UID).
pub fn ns_owner_uid(fd: &OwnedFd) -> io::Result<libc::uid_t> {
    const NS_GET_OWNER_UID: libc::c_ulong = 0xb704;
    let mut uid: libc::uid_t = 0;
    // SAFETY: the ioctl writes one uid_t.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_OWNER_UID as _, &mut uid as *mut libc::uid_t) })?;
    Ok(uid)
}
