//! The lab as a sandbox: what a lesson's worker builds before the lab's init
//! exists, so that nothing a step does reaches the machine.
//!
//! The lab's init is created in new user, mount, uts, ipc, net, cgroup and
//! pid namespaces at once, so that every namespace of the lab is owned by
//! the lab's own user namespace. Its root is an unprivileged id outside
//! (a range of `/etc/subuid`, or [`DEFAULT_RANGE_START`] when nslab runs as
//! root; the learner's own id otherwise), so it holds no capability over the
//! machine. Its root file system is staged here by the worker, in a mount
//! namespace of the worker's own: the machine's system folders bound
//! read-only, nosuid and nodev; tmpfs where lessons write; a minimal `/dev`
//! with a devpts of its own. The init finishes it (a `/proc` and `/sys` of
//! the lab's own), pivots into it and
//! detaches the old root. Because the lab's mount namespace belongs to a
//! less privileged user namespace than the one that made these mounts, the
//! kernel locks them: the lab cannot unmount them to see what is below, nor
//! make a read-only one writable.
//!
//! Every process nslab starts in the lab is in a new session without a
//! controlling terminal, with descriptors above 2 closed and an environment
//! from an allow-list ([`lab_env`]); the worker sets no_new_privs and
//! resource limits that every lab process inherits ([`LIMITS`]), and, where
//! it may, puts the lab in a cgroup of its own ([`super::cgroup`]).

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::doctor::SandboxPart;
use crate::ns::sys;

/// Where the worker stages the lab's root, in its own mount namespace (the
/// machine's `/tmp` is never touched: a tmpfs is mounted over it there).
pub const STAGE: &str = "/tmp";

/// The first outer id of the lab's ids when nslab runs as root and
/// `/etc/subuid` has no range for root: lab uid N is uid
/// `DEFAULT_RANGE_START + N` on the machine, which owns no file.
pub const DEFAULT_RANGE_START: u32 = 1_000_000_000;

/// How many ids the lab has when nslab runs as root.
pub const RANGE_SIZE: u32 = 65536;

/// The system folders of the machine the lab sees, read-only (the others —
/// `/home`, `/root`, `/tmp`, `/run`, `/mnt`, `/media`, `/srv`, `/boot` —
/// are not there, or are the lab's own).
const SYSTEM_DIRS: [&str; 10] = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var"];

/// Devices the lab may use, bound from the machine's `/dev`.
const DEVICES: [&str; 7] = ["null", "zero", "full", "random", "urandom", "tty", "net/tun"];

/// Resource limits of every process in the lab: (resource, name, value).
/// `RLIMIT_NPROC` counts the processes of the lab's root in the lab's user
/// namespace (the kernel records the limit when the namespace is made).
pub const LIMITS: [(libc::__rlimit_resource_t, &str, u64); 4] = [
    (libc::RLIMIT_NPROC, "processes", 512),
    (libc::RLIMIT_NOFILE, "open files per process", 4096),
    (libc::RLIMIT_FSIZE, "file size", 256 << 20),
    // Memory, where the lab has no cgroup of its own (`super::cgroup`):
    // each process's address space is bounded (the tmpfs sizes bound what
    // its files hold).
    (libc::RLIMIT_AS, "address space per process", 2 << 30),
];

/// Sizes of the lab's writable places: (path in the lab, mode, size).
const WRITABLE: [(&str, u32, &str); 5] =
    [("tmp", 0o1777, "256m"), ("run", 0o755, "64m"), ("var/tmp", 0o1777, "64m"), ("root", 0o700, "64m"), ("mnt", 0o755, "16m")];

/// The lab's ids: the maps of its user namespace (as the worker writes
/// them) and who its root is, in the worker's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabIds {
    /// `/proc/PID/uid_map` of the lab's init.
    pub uid_map: String,
    /// `/proc/PID/gid_map` of the lab's init.
    pub gid_map: String,
    /// The lab root's uid and gid as the worker sees them (owner of the
    /// lab's writable places).
    pub owner: (u32, u32),
}

impl LabIds {
    /// The ids for a worker running as root (`subuid`, `subgid`: the text of
    /// `/etc/subuid` and `/etc/subgid`) or, when `root` is false, for a worker
    /// that is root in a user namespace of its own mapped to one id.
    pub fn new(root: bool, subuid: &str, subgid: &str) -> LabIds {
        if !root {
            return LabIds { uid_map: "0 0 1\n".into(), gid_map: "0 0 1\n".into(), owner: (0, 0) };
        }
        let uid = subordinate_start(subuid, "root", 0).unwrap_or(DEFAULT_RANGE_START);
        let gid = subordinate_start(subgid, "root", 0).unwrap_or(DEFAULT_RANGE_START);
        LabIds { uid_map: format!("0 {uid} {RANGE_SIZE}\n"), gid_map: format!("0 {gid} {RANGE_SIZE}\n"), owner: (uid, gid) }
    }

    /// The ids for this process.
    pub fn for_this_process(root: bool) -> LabIds {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        LabIds::new(root, &read("/etc/subuid"), &read("/etc/subgid"))
    }
}

/// The start of `user`'s (or `uid`'s) first subordinate range of at least
/// [`RANGE_SIZE`] ids in an `/etc/subuid`-style text.
fn subordinate_start(text: &str, user: &str, uid: u32) -> Option<u32> {
    text.lines().find_map(|line| {
        let mut f = line.trim().split(':');
        let (who, start, count) = (f.next()?, f.next()?.parse::<u32>().ok()?, f.next()?.parse::<u32>().ok()?);
        ((who == user || who == uid.to_string()) && count >= RANGE_SIZE && start > 0).then_some(start)
    })
}

/// The lab's `PATH`.
pub const SAFE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The environment of every process in the lab: an allow-list of the
/// learner's (terminal, language, shell) and nslab's own variables; never
/// secrets, tokens or paths of the learner's machine.
pub fn lab_env() -> Vec<(String, String)> {
    let mut env = vec![
        ("PATH".to_string(), SAFE_PATH.to_string()),
        ("HOME".to_string(), "/root".to_string()),
        ("USER".to_string(), "root".to_string()),
        ("LOGNAME".to_string(), "root".to_string()),
    ];
    for (k, v) in std::env::vars() {
        // Programs' messages stay in English (LC_MESSAGES=C below): lessons
        // expect the words util-linux and the kernel's errors print, whatever
        // language the learner reads nslab in. LC_ALL would override that, so
        // its value stands for LANG instead; LANGUAGE would too (GNU gettext).
        let allowed =
            matches!(k.as_str(), "TERM" | "LANG" | "COLORTERM" | "NO_COLOR" | "SHELL" | "TZ") || (k.starts_with("LC_") && k != "LC_ALL" && k != "LC_MESSAGES");
        if k == "LC_ALL" && !v.is_empty() {
            env.retain(|(name, _)| name != "LANG");
            env.push(("LANG".to_string(), v));
        } else if allowed && !(k == "LANG" && env.iter().any(|(name, _)| name == "LANG")) {
            env.push((k, v));
        }
    }
    env.push(("LC_MESSAGES".to_string(), "C".to_string()));
    env
}

/// Sets [`LIMITS`] on the worker, for every process it starts in the lab
/// from now on. Called once the lab's user namespace exists: the kernel
/// bounds a namespace's processes by the limit its creator had, so the
/// lab's processes are counted among themselves (at most 512), never with
/// the other labs' or the machine's processes of the same user.
pub fn limit() -> io::Result<()> {
    for (resource, _, value) in LIMITS {
        sys::set_rlimit(resource, value)?;
    }
    Ok(())
}

/// An unprivileged worker's own user namespace, in which it is root: with
/// the user's subordinate ids too (`/etc/subuid`, `/etc/subgid`, written by
/// the set-user-ID `newuidmap` and `newgidmap`) where they exist, as rootless
/// podman does, so that the lab has 65,536 ids; else the user alone.
fn enter_own_userns() -> io::Result<LabIds> {
    // SAFETY: getuid and getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let name = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok().flatten().map(|u| u.name).unwrap_or_default();
    // Both files name the user (newgidmap looks subgid up by user too).
    let ranges = subordinate_start(&read("/etc/subuid"), &name, uid).zip(subordinate_start(&read("/etc/subgid"), &name, uid));
    let tools = ["newuidmap", "newgidmap"].map(|t| SAFE_PATH.split(':').map(|d| Path::new(d).join(t)).find(|p| p.exists()));
    if let (Some((subuid, subgid)), [Some(newuidmap), Some(newgidmap)]) = (ranges, tools) {
        // The maps must be written from outside the new namespace: a child
        // waits until this process has made it, then runs the two tools.
        let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let me = std::process::id().to_string();
        let uid_args = [me.as_str(), "0", &uid.to_string(), "1", "1", &subuid.to_string(), &RANGE_SIZE.to_string()].map(String::from);
        let gid_args = [me.as_str(), "0", &gid.to_string(), "1", "1", &subgid.to_string(), &RANGE_SIZE.to_string()].map(String::from);
        let helper = sys::fork_worker()?;
        if helper.is_none() {
            drop(ready_w);
            let mut byte = [0u8; 1];
            let ok = nix::unistd::read(&ready_r, &mut byte).is_ok_and(|n| n == 1)
                && std::process::Command::new(&newuidmap).args(&uid_args).status().is_ok_and(|s| s.success())
                && std::process::Command::new(&newgidmap).args(&gid_args).status().is_ok_and(|s| s.success());
            // SAFETY: _exit ends the helper without running the worker's code.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        let helper = helper.unwrap_or_default();
        drop(ready_r);
        let made = sys::unshare(libc::CLONE_NEWUSER);
        let _ = nix::unistd::write(&ready_w, if made.is_ok() { b"1" } else { b"" });
        drop(ready_w);
        let status = sys::wait_pid(helper, true)?;
        made?;
        if status.is_some_and(|s| s.success()) {
            // One line per line of this namespace's map: a range of a child's
            // map must lie within one range of its parent's.
            let map = format!("0 0 1\n1 1 {RANGE_SIZE}\n");
            return Ok(LabIds { uid_map: map.clone(), gid_map: map, owner: (0, 0) });
        }
        return Err(io::Error::other("newuidmap or newgidmap could not write the maps of nslab's user namespace"));
    }
    sys::unshare(libc::CLONE_NEWUSER)?;
    sys::map_self_to_root(uid, gid)?;
    Ok(LabIds::new(false, "", ""))
}

/// What the worker staged: where the lab's root is, and who owns it.
#[derive(Debug)]
pub struct Staged {
    /// The root, in the worker's mount namespace.
    pub root: PathBuf,
    /// The lab's ids.
    pub ids: LabIds,
    /// nslab's own binary, bound into the staged root (read-only), from
    /// where `check` is bound into the run folder: its own path may be
    /// under a folder the staged root covers (`/tmp`), or one the lab's
    /// ids may not enter.
    pub exe: PathBuf,
}

/// Moves this (single-threaded) worker into a mount namespace of its own —
/// after a user namespace of its own when it is not root — and stages the
/// lab's root file system at [`STAGE`]. The worker's `/run` becomes the
/// lab's `/run` (one tmpfs, shared with the lab), so pins and `check` have
/// the same paths on both sides.
pub fn stage(root: bool) -> io::Result<Staged> {
    let ids = if root { LabIds::for_this_process(true) } else { enter_own_userns()? };
    sys::unshare(libc::CLONE_NEWNS)?;
    sys::set_propagation(Path::new("/"), libc::MS_REC | libc::MS_PRIVATE)?;
    // Opened by its path in this mount namespace (a bind mount must come
    // from this namespace's own mounts, which /proc/self/exe does not lead
    // to), before anything covers that path.
    let exe_fd = std::fs::File::open(std::fs::read_link("/proc/self/exe")?)?;
    let r = PathBuf::from(STAGE);
    sys::mount_tmpfs_with(&r, "mode=0755,size=16m")?;
    let exe = r.join(".nslab");
    std::fs::write(&exe, b"")?;
    sys::bind(&Path::new("/proc/self/fd").join(std::os::fd::AsRawFd::as_raw_fd(&exe_fd).to_string()), &exe, false)?;
    sys::make_read_only_tree(&exe)?;
    drop(exe_fd);
    let mkdir = |p: &Path, mode: u32| std::fs::DirBuilder::new().recursive(true).mode(mode).create(p);
    for name in SYSTEM_DIRS {
        let host = Path::new("/").join(name);
        let Ok(meta) = std::fs::symlink_metadata(&host) else { continue };
        let inside = r.join(name);
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&host)?, &inside)?;
        } else if meta.is_dir() {
            mkdir(&inside, 0o755)?;
            sys::bind(&host, &inside, true)?;
            sys::make_read_only_tree(&inside)?;
        }
    }
    for dir in ["proc", "sys", "dev", "home"] {
        mkdir(&r.join(dir), 0o755)?;
    }
    stage_dev(&r.join("dev"))?;
    stage_writable(&r, &ids)?;
    sys::no_new_privs()?;
    Ok(Staged { root: r, ids, exe })
}

/// The lab's writable places, fresh: tmpfs for `/tmp`, `/var/tmp`, `/run`,
/// `/root`, `/mnt` (owned by the lab's root), a devpts instance of its own,
/// and the worker's `/run` bound to the lab's.
fn stage_writable(r: &Path, ids: &LabIds) -> io::Result<()> {
    let mkdir = |p: &Path, mode: u32| std::fs::DirBuilder::new().recursive(true).mode(mode).create(p);
    for (path, mode, size) in WRITABLE {
        let at = r.join(path);
        if !at.exists() {
            // /var/tmp when the machine has no /var: nothing to cover.
            if path.contains('/') {
                continue;
            }
            mkdir(&at, 0o755)?;
        }
        sys::mount_tmpfs_with(&at, &format!("mode={mode:o},size={size}"))?;
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode))?;
        std::os::unix::fs::chown(&at, Some(ids.owner.0), Some(ids.owner.1))?;
    }
    sys::mount_devpts(&r.join("dev/pts"))?;
    // The lab's /run is also the worker's: one tmpfs, shared, so that pins
    // and `check` the worker puts there appear in the lab (which receives
    // mounts from it and sends none back).
    let run = r.join("run");
    sys::set_propagation(&run, libc::MS_SHARED)?;
    sys::bind(&run, Path::new("/run"), false)
}

/// Makes the staged root fresh for another lab in the same worker (going
/// back a step starts a new lab): what the last lab wrote is dropped with
/// its tmpfs, and new ones take their place.
pub fn refresh(staged: &Staged) -> io::Result<()> {
    let r = &staged.root;
    let _ = sys::unmount_detached(Path::new("/run"));
    for (path, _, _) in WRITABLE {
        let _ = sys::unmount_detached(&r.join(path));
    }
    let _ = sys::unmount_detached(&r.join("dev/pts"));
    stage_writable(r, &staged.ids)
}

/// A minimal `/dev`: a few device nodes bound from the machine's, the usual
/// links, `shm`, and a devpts instance of the lab's own (so its terminals
/// are not the machine's).
fn stage_dev(dev: &Path) -> io::Result<()> {
    sys::mount_tmpfs_with(dev, "mode=0755,size=1m")?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        if !host.exists() {
            continue;
        }
        let inside = dev.join(name);
        if let Some(parent) = inside.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&inside, b"")?;
        sys::bind(&host, &inside, false)?;
    }
    for (link, target) in
        [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")]
    {
        std::os::unix::fs::symlink(target, dev.join(link))?;
    }
    std::fs::DirBuilder::new().mode(0o755).create(dev.join("pts"))?;
    std::fs::DirBuilder::new().create(dev.join("shm"))?;
    std::fs::set_permissions(dev.join("shm"), std::fs::Permissions::from_mode(0o1777))?;
    Ok(())
}

/// The doctor's whole probe: every capability (`doctor::Probe::run`), and
/// the sandbox tried by starting a real lab each way this user can.
pub fn probe_all(settings: crate::doctor::Settings) -> crate::doctor::Probe {
    use crate::doctor::Way;
    let mut probe = crate::doctor::Probe::run(settings);
    for way in Way::BOTH {
        if way == Way::AsRoot && !probe.as_root {
            continue;
        }
        probe.set_sandbox(way, &self::probe(way == Way::AsRoot));
    }
    probe
}

pub use crate::doctor::PartResult;

/// The probe's answer on its pipe: each part's index and its failure.
type Answer = Vec<(usize, Option<(String, Option<i32>)>)>;

/// Starts a real lab in a throwaway worker — as root when `as_root` and this
/// process is root, else as `nobody` (or as the unprivileged user this is)
/// — and reads back from the kernel what each part of the sandbox is:
/// the lab's root is not the machine's root, its root file system is not
/// the machine's and the machine's folders are read-only in it, a step is
/// alone in its session without a terminal, and its limits are set.
pub fn probe(as_root: bool) -> Vec<(SandboxPart, PartResult)> {
    use std::io::{Read, Write};
    let fail_all = |e: String, errno: Option<i32>| SandboxPart::ALL.iter().map(|p| (*p, Err((e.clone(), errno)))).collect();
    let Ok((read_end, write_end)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return fail_all("cannot create a pipe".into(), None);
    };
    let _ = io::stdout().flush();
    match sys::fork_worker() {
        Err(e) => fail_all(format!("cannot fork: {e}"), e.raw_os_error()),
        Ok(None) => {
            drop(read_end);
            let found = probe_here(as_root);
            let text: Answer = found.into_iter().enumerate().map(|(i, (_, r))| (i, r.err())).collect();
            let mut pipe = std::fs::File::from(write_end);
            let _ = pipe.write_all(serde_json::to_string(&text).unwrap_or_default().as_bytes());
            drop(pipe);
            // SAFETY: _exit ends the worker without running the caller's code.
            unsafe { libc::_exit(0) }
        }
        Ok(Some(pid)) => {
            drop(write_end);
            let mut text = String::new();
            let _ = std::fs::File::from(read_end).read_to_string(&mut text);
            let _ = sys::wait_pid(pid, true);
            super::cgroup::remove_of(pid as u32);
            match serde_json::from_str::<Answer>(&text) {
                Ok(list) if list.len() == SandboxPart::ALL.len() => list.into_iter().map(|(i, e)| (SandboxPart::ALL[i], e.map_or(Ok(()), Err))).collect(),
                _ => fail_all("the probe's worker ended without an answer".into(), None),
            }
        }
    }
}

/// The probe, in the worker.
fn probe_here(as_root: bool) -> Vec<(SandboxPart, PartResult)> {
    use crate::doctor::SandboxPart::*;
    let fail = |what: &str| Err((what.to_string(), None));
    if super::is_root() && !as_root {
        // The rootless way, for real: as nobody.
        // SAFETY: plain system calls on integers.
        // (Changing ids makes a process non-dumpable, its /proc files root's:
        // it could not write its own id maps.)
        let dropped = unsafe {
            libc::setgroups(0, std::ptr::null()) == 0
                && libc::setresgid(65534, 65534, 65534) == 0
                && libc::setresuid(65534, 65534, 65534) == 0
                && libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) == 0
                // (It also clears the parent-death signal.)
                && libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) == 0
        };
        if !dropped {
            return SandboxPart::ALL.iter().map(|p| (*p, fail("cannot become nobody to try the rootless way"))).collect();
        }
    }
    let machine_root = std::fs::metadata("/").ok();
    let root = super::is_root();
    let our_userns = crate::ns::NsView::of_self().ok().and_then(|v| v.get(crate::ns::NsKind::User));
    let session = match super::session::Session::enter_sandbox() {
        Ok(s) => s,
        Err(e) => return SandboxPart::ALL.iter().map(|p| (*p, Err((format!("starting a lab: {e}"), e.raw_os_error())))).collect(),
    };
    let init = session.host_pid();
    let proc = crate::ns::view::proc_root().join(init.to_string());
    // Its root is no one on the machine: as root, the uid the init has
    // outside (an unprivileged user's lab is that user at most); and its
    // user namespace is not ours.
    let uid = std::fs::read_to_string(proc.join("status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next().map(str::to_string)));
    let lab_userns = crate::ns::NsView::read(&crate::ns::view::proc_root(), init).ok().and_then(|v| v.get(crate::ns::NsKind::User));
    let userns = match uid.as_deref() {
        None => fail("cannot read the lab init's ids"),
        Some("0") if root => fail("the lab's root is root on the machine"),
        Some(_) if lab_userns.is_none() || lab_userns == our_userns => fail("the lab has no user namespace of its own"),
        Some(_) => Ok(()),
    };
    use std::os::unix::fs::MetadataExt;
    let lab_root = std::fs::metadata(proc.join("root")).ok();
    let read_only = nix::sys::statvfs::statvfs(&proc.join("root/usr")).map(|v| v.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY));
    let rootfs = match (machine_root, lab_root, read_only) {
        (Some(m), Some(l), Ok(true)) if (m.dev(), m.ino()) != (l.dev(), l.ino()) => Ok(()),
        (_, _, Ok(false)) => fail("the machine's /usr is writable in the lab"),
        (Some(_), Some(_), Ok(_)) => fail("the lab's root is the machine's"),
        _ => fail("cannot look at the lab's root"),
    };
    let mut spawn = crate::ns::Spawn::shell("cat /proc/self/stat; cat /proc/self/limits; ls /proc/self/fd");
    session.confine(&mut spawn);
    let joined = spawn.join_all_of(init).is_ok();
    let step = if joined { super::exec::run_command(spawn, None, std::time::Duration::from_secs(5)).ok() } else { None };
    let (session_part, limits) = match step {
        None => (fail("a step did not run"), fail("a step did not run")),
        Some(out) => {
            // stat: pid (comm) state ppid pgrp session tty_nr …
            let fields: Vec<&str> = out
                .stdout
                .lines()
                .next()
                .and_then(|l| l.rsplit_once(") "))
                .map(|(head, rest)| {
                    let mut f = vec![head.split(' ').next().unwrap_or("")];
                    f.extend(rest.split(' '));
                    f
                })
                .unwrap_or_default();
            // The step's shell leads its session (cat is in its group), and
            // no terminal is the session's.
            let alone = fields.len() > 6 && fields[3] == fields[4] && fields[5] == "0";
            let fds: Vec<&str> = out.stdout.lines().rev().take_while(|l| l.chars().all(|c| c.is_ascii_digit())).collect();
            let session_part = if !alone {
                fail("a step shares nslab's session or terminal")
            } else if fds.len() > 4 {
                fail("a step inherits descriptors")
            } else {
                Ok(())
            };
            let nproc = out.stdout.lines().find(|l| l.starts_with("Max processes")).map(|l| l.split_whitespace().nth(2).unwrap_or("").to_string());
            let limits = match nproc.as_deref() {
                Some(n) if n == LIMITS[0].2.to_string() => Ok(()),
                Some(n) => Err((format!("a step may start {n} processes"), None)),
                None => fail("cannot read a step's limits"),
            };
            (session_part, limits)
        }
    };
    // The lab's cgroup: the kernel lists the lab's init among its members.
    let cgroup = match session.cgroup() {
        None => fail("no cgroup nslab may make here"),
        Some(cg) => {
            let member = |dir: &Path| std::fs::read_to_string(dir.join("cgroup.procs")).is_ok_and(|t| t.lines().any(|l| l == init.to_string()));
            if cg.dirs().all(member) { Ok(()) } else { fail("the lab's init is not in the lab's cgroup") }
        }
    };
    vec![(UserNs, userns), (RootFs, rootfs), (Session, session_part), (Limits, limits), (Cgroup, cgroup)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_maps_to_a_subordinate_range_or_the_default() {
        let ids = LabIds::new(true, "alice:100000:65536\nroot:200000:65536\n", "root:300000:70000\n");
        assert_eq!(ids.uid_map, "0 200000 65536\n");
        assert_eq!(ids.gid_map, "0 300000 65536\n");
        assert_eq!(ids.owner, (200000, 300000));
        let ids = LabIds::new(true, "root:200000:100\n", "");
        assert_eq!(ids.uid_map, format!("0 {DEFAULT_RANGE_START} 65536\n"), "a range too small is not used");
        assert_eq!(ids.owner.1, DEFAULT_RANGE_START);
    }

    #[test]
    fn rootless_maps_the_worker_itself() {
        let ids = LabIds::new(false, "root:1:65536", "");
        assert_eq!((ids.uid_map.as_str(), ids.owner), ("0 0 1\n", (0, 0)));
    }

    #[test]
    fn the_environment_is_an_allow_list() {
        let env = lab_env();
        assert!(env.iter().any(|(k, v)| k == "HOME" && v == "/root"));
        assert!(
            env.iter()
                .all(|(k, _)| ["PATH", "HOME", "USER", "LOGNAME", "TERM", "LANG", "LANGUAGE", "COLORTERM", "NO_COLOR", "SHELL", "TZ"].contains(&k.as_str())
                    || k.starts_with("LC_"))
        );
    }
}
