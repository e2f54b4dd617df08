//! The child side of a spawn: the intermediate process that joins
//! namespaces, and the process itself, which finishes its set-up and execs.
//! Everything here runs between clone3 and execve in a copy of a process that
//! may have had other threads: system calls on data the parent prepared, no
//! allocation, no locks, no `std::io`.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::lab::{enter_lab_root, loopback_up};
use super::spawn::{ChildPlan, Creator, ExecVectors, Extra, MSG_GO, MSG_READY, ProcWrite, Stage, clone3, send_fd, send_msg};
use crate::ns::NsKind;

pub(super) fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

pub(super) fn fail(sock: RawFd, stage: Stage, index: usize, exit: i32) -> ! {
    send_msg(sock, stage as u8, index as u8, errno());
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(exit) }
}

fn write_file(w: &ProcWrite) -> bool {
    write_raw(&w.path, &w.data, w.optional)
}

/// The intermediate process: joins namespaces (and creates a time namespace
/// whose offsets it sets), then creates the real child with CLONE_PARENT so the
/// caller is its parent, passes its pidfd up on `fd_sock`, and exits.
pub(super) fn intermediate(plan: &ChildPlan, exec: &ExecVectors, sock: RawFd, fd_sock: RawFd) -> ! {
    if let Some(userns) = &plan.enter_as_root {
        // SAFETY: setns on an fd we own.
        if unsafe { libc::setns(userns.as_raw_fd(), libc::CLONE_NEWUSER) } < 0 || !become_root() {
            fail(fd_sock, Stage::Credentials, 0, 1);
        }
    }
    join_all(&plan.joins, fd_sock);
    if plan.enter_as_root.is_some() && plan.joins.iter().any(|(k, _)| *k == NsKind::User) {
        // Root of the deeper user namespace too, where it maps 0 (as
        // nsenter does); else still the lab's root.
        become_root();
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

/// Maps `creator`'s uid and gid to 0 in the caller's new user namespace, the
/// way `unshare -r` does: setgroups must be denied before an unprivileged
/// process may write gid_map.
pub(super) fn map_root(creator: Creator) -> bool {
    write_raw(c"/proc/self/setgroups", b"deny", true) && write_id_map(c"/proc/self/gid_map", creator.gid) && write_id_map(c"/proc/self/uid_map", creator.uid)
}

/// The process itself: finishes its set-up, reports ready, waits for go, execs.
pub(super) fn child_main(plan: &ChildPlan, exec: &ExecVectors, creator: Creator, sock: RawFd) -> ! {
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
        if plan.hold {
            send_msg(sock, MSG_READY, 0, 0);
        }
        // Held, waiting for the maps the parent writes, or for the
        // intermediate to be reaped: go on at the parent's word.
        if plan.waits_for_go() {
            let mut go = [0u8; 6];
            let n = libc::recv(sock, go.as_mut_ptr().cast(), go.len(), 0);
            if n <= 0 || go[0] != MSG_GO {
                libc::_exit(1);
            }
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
        child_extra(&plan.extra, sock);
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

fn child_extra(x: &Extra, sock: RawFd) {
    // SAFETY: plain system calls on data prepared by the parent.
    unsafe {
        if let Some(dir) = &x.mount_proc_at {
            let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            if libc::mount(c"proc".as_ptr(), dir.as_ptr(), c"proc".as_ptr(), flags, std::ptr::null()) < 0 {
                fail(sock, Stage::IdMap, 5, 1);
            }
        }
        if let Some(fd) = &x.root_fd
            && (libc::fchdir(fd.as_raw_fd()) < 0 || libc::chroot(c".".as_ptr()) < 0 || libc::chdir(c"/".as_ptr()) < 0)
        {
            fail(sock, Stage::Chdir, 1, 1);
        }
        if let Some(path) = &x.root_path
            && (libc::chroot(path.as_ptr()) < 0 || libc::chdir(c"/".as_ptr()) < 0)
        {
            fail(sock, Stage::Chdir, 1, 1);
        }
        if let Some(fd) = &x.wd_fd
            && libc::fchdir(fd.as_raw_fd()) < 0
        {
            fail(sock, Stage::Chdir, 2, 1);
        }
        if let Some(path) = &x.wd_path
            && libc::chdir(path.as_ptr()) < 0
        {
            fail(sock, Stage::Chdir, 2, 1);
        }
        if x.clear_groups && libc::setgroups(0, std::ptr::null()) < 0 && x.strict_groups {
            fail(sock, Stage::IdMap, 1, 1);
        }
        if let Some(gid) = x.gid
            && libc::setgid(gid) < 0
        {
            fail(sock, Stage::IdMap, 2, 1);
        }
        if let Some(uid) = x.uid
            && libc::setuid(uid) < 0
        {
            fail(sock, Stage::IdMap, 3, 1);
        }
        if x.keep_caps && !permitted_to_ambient() {
            fail(sock, Stage::IdMap, 4, 1);
        }
    }
}

/// Makes every permitted capability inheritable and ambient, so that it
/// survives the exec of a program run by a non-root uid.
fn permitted_to_ambient() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const VERSION_3: u32 = 0x2008_0522;
    let mut header = Header { version: VERSION_3, pid: 0 };
    let mut data = [Data::default(); 2];
    // SAFETY: a v3 header and two data structs, as the kernel expects.
    unsafe {
        if libc::syscall(libc::SYS_capget, &mut header as *mut Header, data.as_mut_ptr()) < 0 {
            return false;
        }
        for d in &mut data {
            d.inheritable = d.permitted;
        }
        if libc::syscall(libc::SYS_capset, &mut header as *mut Header, data.as_ptr()) < 0 {
            return false;
        }
        let permitted = u64::from(data[0].permitted) | (u64::from(data[1].permitted) << 32);
        for cap in 0..64u64 {
            if permitted & (1 << cap) != 0 && libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, cap, 0, 0) < 0 {
                return false;
            }
        }
    }
    true
}
