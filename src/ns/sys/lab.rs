//! The lab: a worker process that moves itself into namespaces of its own,
//! and the part of the lab's init that builds its root file system.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::child::{fail, map_root};
use super::raw::{cpath, cvt};
use super::spawn::{Creator, Stage};

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

/// The lab init's part of the lab's root (see [`LabRoot`]). Runs in the
/// child, in its new mount namespace, after the tree was made a receiver.
pub(super) fn enter_lab_root(r: &LabRoot, sock: RawFd) {
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
pub(super) fn loopback_up() -> io::Result<()> {
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

/// Maps the caller's uid and gid to root in the user namespace it has just
/// created (as `unshare -r` does).
pub fn map_self_to_root(uid: libc::uid_t, gid: libc::gid_t) -> io::Result<()> {
    if map_root(Creator { uid, gid }) { Ok(()) } else { Err(io::Error::last_os_error()) }
}
