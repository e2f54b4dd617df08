//! The scanner behind `nslab lsns`: every namespace on the system, found
//! through the processes in `/proc`, the nsfs bind mounts in mountinfo, and the
//! namespace files processes hold open.
//!
//! The proc root is a value so that tests can scan a fixture tree. Cost grows
//! linearly with the number of processes: one pass over `/proc`, a hash map of
//! namespaces, and per-row details read only for the rows that are shown.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::{KindSet, NsId, NsKind, NsLink, sys};

/// What a namespace's NETNSID column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetNsId {
    /// The id the caller's network namespace assigned to it.
    Id(i32),
    /// No id assigned (util-linux prints `unassigned`).
    Unassigned,
}

/// One namespace as listed by lsns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its identity.
    pub id: NsId,
    /// Its kind.
    pub kind: NsKind,
    /// How many processes (thread-group leaders) are in it.
    pub nprocs: usize,
    /// The lowest readable pid in it.
    pub pid: Option<i32>,
    /// That process's parent.
    pub ppid: Option<i32>,
    /// The owner of `/proc/PID` of that process.
    pub uid: Option<u32>,
    /// The name of that uid.
    pub user: Option<String>,
    /// Its command line (NULs as spaces), else its comm.
    pub command: Option<String>,
    /// A path through which the namespace can be opened.
    pub path: Option<PathBuf>,
    /// The nsfs bind mounts that hold it (mount points).
    pub nsfs: Vec<PathBuf>,
    /// Open file descriptors that hold it, as `/proc/PID/fd/N`.
    pub held_by_fds: Vec<PathBuf>,
    /// A socket that holds it (a net namespace): (pid, fd) of one holder.
    pub held_by_socket: Option<(i32, i32)>,
    /// NETNSID (net namespaces only).
    pub netnsid: Option<NetNsId>,
    /// The parent namespace's inode (pid and user), 0 when unknown.
    pub pns: u64,
    /// The owning user namespace's inode, 0 when unknown.
    pub ons: u64,
}

impl Namespace {
    /// A namespace with no holder found yet (no process, pin or descriptor).
    pub fn new(id: NsId, kind: NsKind) -> Namespace {
        Namespace {
            id,
            kind,
            nprocs: 0,
            pid: None,
            ppid: None,
            uid: None,
            user: None,
            command: None,
            path: None,
            nsfs: Vec::new(),
            held_by_fds: Vec::new(),
            held_by_socket: None,
            netnsid: None,
            pns: 0,
            ons: 0,
        }
    }

    /// `net:[4026531840]`.
    pub fn link(&self) -> NsLink {
        NsLink { kind: self.kind, ino: self.id.ino }
    }
}

/// Which details to read for the listed namespaces; each costs system calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details {
    /// PPID.
    pub ppid: bool,
    /// UID and USER.
    pub user: bool,
    /// COMMAND.
    pub command: bool,
    /// NETNSID.
    pub netnsid: bool,
    /// PNS and ONS (nsfs ioctls).
    pub relations: bool,
}

impl Details {
    /// Every detail.
    pub const ALL: Details = Details { ppid: true, user: true, command: true, netnsid: true, relations: true };
    /// Identity and counts only.
    pub const NONE: Details = Details { ppid: false, user: false, command: false, netnsid: false, relations: false };
}

/// A scan request.
#[derive(Debug, Clone)]
pub struct Scanner {
    /// The proc root, normally `/proc`.
    pub proc_root: PathBuf,
    /// The mountinfo to read nsfs mounts from; normally `/proc/self/mountinfo`.
    pub mountinfo: Option<PathBuf>,
    /// The kinds to list.
    pub kinds: KindSet,
    /// Also look for namespaces held only by open file descriptors.
    pub open_fds: bool,
    /// The nsfs device; `None` reads it from the kernel.
    pub nsfs_dev: Option<u64>,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            proc_root: super::view::proc_root(),
            mountinfo: Some(super::view::proc_root().join("self/mountinfo")),
            kinds: KindSet::ALL,
            open_fds: true,
            nsfs_dev: None,
        }
    }
}

/// The result of a scan: namespaces sorted by inode.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The namespaces, sorted by inode.
    pub namespaces: Vec<Namespace>,
}

impl Listing {
    /// The namespace with this identity.
    pub fn find(&self, id: NsId) -> Option<&Namespace> {
        self.namespaces.binary_search_by_key(&(id.ino, id.dev), |n| (n.id.ino, n.id.dev)).ok().map(|i| &self.namespaces[i])
    }
}

/// What one thread found in its share of the processes.
#[derive(Default)]
struct Partial {
    /// Inode → (kind, process count, lowest pid), lowest pid first seen.
    found: HashMap<u64, (NsKind, usize, i32)>,
    /// Namespaces held by open descriptors: (link, pid, fd name).
    fd_holds: Vec<(NsLink, i32, Vec<u8>)>,
    /// Net namespaces of sockets: (link, pid, fd).
    socket_holds: Vec<(NsLink, i32, i32)>,
}

/// `cgroup`, `ipc`, … as C strings, for readlinkat in `/proc/PID/ns`.
fn ns_names() -> [(NsKind, std::ffi::CString); 8] {
    NsKind::ALL.map(|k| (k, std::ffi::CString::new(k.name()).expect("no NUL")))
}

/// Reads the namespaces (and open namespace files) of `pids`, in order.
fn scan_pids(root: &sys::DirHandle, pids: &[i32], kinds: KindSet, open_fds: bool, nsfs_dev: u64) -> Partial {
    let mut part = Partial::default();
    let names = ns_names();
    let mut link = [0u8; 256];
    let mut dents = vec![0u8; 32 * 1024];
    let mut fd_link = [0u8; 256];
    // Sockets already asked for their net namespace (shared between processes).
    let mut sockets_seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
    for &pid in pids {
        // A handle on /proc/PID/ns: each link is then one short lookup (a
        // name in /proc/PID itself is searched for among sixty entries).
        let Ok(ns_dir) = std::ffi::CString::new(format!("{pid}/ns")) else { continue };
        // A process that exited meanwhile, or that we may not read, is skipped.
        let Some(dir) = root.open_child(&ns_dir) else { continue };
        for (kind, name) in names.iter().filter(|(k, _)| kinds.contains(*k)) {
            // EACCES (not ours to read), ENOENT (gone, or a kind this kernel
            // lacks): skipped silently, as util-linux does.
            let Some(found) = dir.readlink(name, &mut link).and_then(NsLink::parse_bytes) else { continue };
            if found.kind != *kind {
                continue;
            }
            let entry = part.found.entry(found.ino).or_insert((found.kind, 0, pid));
            entry.1 += 1;
        }
        if open_fds {
            // An nsfs file opened through /proc shows as `net:[4026531840]`;
            // one opened through a bind mount shows as a path (`/` once the
            // mount is gone, as after `ip netns delete`) and is told apart
            // by its device, as util-linux's master does.
            let Ok(fd_dir) = std::ffi::CString::new(format!("{pid}/fd")) else { continue };
            let mut detached: Vec<Vec<u8>> = Vec::new();
            let mut sockets: Vec<(i32, u64)> = Vec::new();
            root.for_each_link(&fd_dir, &mut dents, &mut fd_link, |fd, target| {
                if let Some(l) = NsLink::parse_bytes(target).filter(|l| kinds.contains(l.kind)) {
                    part.fd_holds.push((l, pid, fd.to_vec()));
                } else if target.starts_with(b"/") && !is_terminal_or_null(target) {
                    detached.push(fd.to_vec());
                } else if let Some(ino) = target.strip_prefix(b"socket:[").and_then(|t| t.strip_suffix(b"]")).filter(|_| kinds.contains(NsKind::Net)) {
                    let fd = std::str::from_utf8(fd).ok().and_then(|f| f.parse().ok());
                    let ino = std::str::from_utf8(ino).ok().and_then(|i| i.parse().ok());
                    if let (Some(fd), Some(ino)) = (fd, ino) {
                        sockets.push((fd, ino));
                    }
                }
            });
            let fd_handle = if detached.is_empty() { None } else { root.open_child(&fd_dir) };
            for fd in detached {
                let (Some(handle), Ok(name)) = (&fd_handle, std::ffi::CString::new(fd.clone())) else { continue };
                if handle.stat_child(&name).is_none_or(|(dev, _)| dev != nsfs_dev) {
                    continue;
                }
                let link = handle.open_file(&name).and_then(|f| Some(NsLink { kind: sys::ns_kind_of_fd(&f).ok()?, ino: fd_ino(&f)? }));
                if let Some(l) = link.filter(|l| kinds.contains(l.kind)) {
                    part.fd_holds.push((l, pid, fd));
                }
            }
            sockets.retain(|(_, ino)| sockets_seen.insert(*ino));
            if !sockets.is_empty()
                && let Ok(pidfd) = sys::pidfd_open(pid)
            {
                for (fd, _) in sockets {
                    let netns = sys::pidfd_getfd(&pidfd, fd).and_then(|sock| sys::socket_netns(&sock));
                    if let Some(ino) = netns.ok().and_then(|ns| fd_ino(&ns)) {
                        part.socket_holds.push((NsLink { kind: NsKind::Net, ino }, pid, fd));
                    }
                }
            }
        }
    }
    part
}

impl Scanner {
    /// Scans, and reads `details` for every namespace found.
    pub fn scan(&self, details: Details) -> io::Result<Listing> {
        let mut listing = self.scan_bare()?;
        self.fill_details(&mut listing.namespaces, details);
        Ok(listing)
    }

    /// Finds every namespace with its count, lowest pid and holders, but reads
    /// no per-row details (see [`Scanner::fill_details`]).
    pub fn scan_bare(&self) -> io::Result<Listing> {
        let nsfs_dev = self.nsfs_dev.or_else(sys::nsfs_dev).unwrap_or(0);
        let mut pids: Vec<i32> = std::fs::read_dir(&self.proc_root)?
            .filter_map(|e| e.ok())
            .filter_map(|e| std::str::from_utf8(e.file_name().as_bytes()).ok()?.parse().ok())
            .collect();
        pids.sort_unstable();

        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut namespaces: Vec<Namespace> = Vec::new();
        let mut add = |namespaces: &mut Vec<Namespace>, link: NsLink| -> usize {
            *index.entry(link.ino).or_insert_with(|| {
                namespaces.push(Namespace::new(NsId { dev: nsfs_dev, ino: link.ino }, link.kind));
                namespaces.len() - 1
            })
        };

        // Each /proc lookup is a system call of a few microseconds, so large
        // process tables are read by a few threads, each over a contiguous
        // range of pids; merging in pid order keeps "lowest pid" right.
        let root = sys::DirHandle::open(&self.proc_root)?;
        let threads = if pids.len() < 512 { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()).min(4) };
        let chunk = pids.len().div_ceil(threads).max(1);
        let partials: Vec<Partial> = if threads == 1 {
            vec![scan_pids(&root, &pids, self.kinds, self.open_fds, nsfs_dev)]
        } else {
            std::thread::scope(|s| {
                // A thread that cannot be made (a process or pids limit
                // reached) is no error: its share is read right here.
                let handles: Vec<_> = pids
                    .chunks(chunk)
                    .map(|part| {
                        let root = &root;
                        std::thread::Builder::new().spawn_scoped(s, move || scan_pids(root, part, self.kinds, self.open_fds, nsfs_dev)).map_err(|_| part)
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| match h {
                        Ok(h) => h.join().unwrap_or_default(),
                        Err(part) => scan_pids(&root, part, self.kinds, self.open_fds, nsfs_dev),
                    })
                    .collect()
            })
        };
        let mut fd_holds = Vec::new();
        let mut socket_holds = Vec::new();
        for part in partials {
            let mut found: Vec<(u64, (NsKind, usize, i32))> = part.found.into_iter().collect();
            found.sort_unstable_by_key(|(_, (_, _, pid))| *pid);
            for (ino, (kind, count, pid)) in found {
                let i = add(&mut namespaces, NsLink { kind, ino });
                let ns = &mut namespaces[i];
                ns.nprocs += count;
                if ns.pid.is_none() {
                    ns.pid = Some(pid);
                }
            }
            fd_holds.extend(part.fd_holds);
            socket_holds.extend(part.socket_holds);
        }
        for (link, pid, fd) in fd_holds {
            let i = add(&mut namespaces, link);
            let mut path = self.proc_root.join(pid.to_string());
            path.push("fd");
            path.push(OsStr::from_bytes(&fd));
            namespaces[i].held_by_fds.push(path);
        }
        // Sockets only add namespaces nothing else holds (lowest pid first).
        for (link, pid, fd) in socket_holds {
            let i = add(&mut namespaces, link);
            if namespaces[i].held_by_socket.is_none() {
                namespaces[i].held_by_socket = Some((pid, fd));
            }
        }
        if let Some(mountinfo) = &self.mountinfo
            && let Ok(text) = std::fs::read(mountinfo)
        {
            for (link, target) in nsfs_mounts(&text) {
                if self.kinds.contains(link.kind) {
                    let i = add(&mut namespaces, link);
                    if !namespaces[i].nsfs.contains(&target) {
                        namespaces[i].nsfs.push(target);
                    }
                }
            }
        }
        namespaces.sort_unstable_by_key(|n| n.id.ino);
        for ns in &mut namespaces {
            ns.path = match ns.pid {
                Some(pid) => Some(super::view::ns_path(&self.proc_root, pid, ns.kind)),
                None => ns.nsfs.first().or(ns.held_by_fds.first()).cloned(),
            };
        }
        Ok(Listing { namespaces })
    }

    /// Reads the requested details of each namespace: about its lowest-pid
    /// process, and from the nsfs ioctls and netlink. Failures leave a field
    /// empty (the process may have exited meanwhile).
    pub fn fill_details(&self, namespaces: &mut [Namespace], details: Details) {
        let mut users: HashMap<u32, Option<String>> = HashMap::new();
        // The details of a representative process: (ppid, uid, command).
        type ProcDetails = (Option<i32>, Option<u32>, Option<String>);
        let mut procs: HashMap<i32, ProcDetails> = HashMap::new();
        for ns in namespaces.iter_mut() {
            if let Some(pid) = ns.pid {
                let (ppid, uid, command) = procs.entry(pid).or_insert_with(|| {
                    let dir = self.proc_root.join(pid.to_string());
                    let ppid = if details.ppid { read_ppid(&dir) } else { None };
                    let uid = if details.user { std::fs::metadata(&dir).ok().map(|m| std::os::unix::fs::MetadataExt::uid(&m)) } else { None };
                    let command = if details.command { read_command(&dir) } else { None };
                    (ppid, uid, command)
                });
                ns.ppid = *ppid;
                ns.uid = *uid;
                ns.command = command.clone();
                if let Some(uid) = ns.uid {
                    ns.user = users.entry(uid).or_insert_with(|| user_name(uid)).clone();
                }
            }
            let owner_uid = details.user && ns.pid.is_none();
            if ns.pid.is_none() && details.user {
                // As util-linux: the owner of a user namespace, else 0.
                ns.uid = Some(0);
            }
            if !(details.relations || details.netnsid && ns.kind == NsKind::Net || owner_uid && ns.kind == NsKind::User) {
                if let Some(uid) = ns.uid.filter(|_| owner_uid) {
                    ns.user = users.entry(uid).or_insert_with(|| user_name(uid)).clone();
                }
                continue;
            }
            let Some(fd) = ns.path.as_deref().and_then(|p| sys::open_ns(p).ok()).or_else(|| socket_ns(ns.held_by_socket?)) else { continue };
            if owner_uid {
                if ns.kind == NsKind::User {
                    ns.uid = sys::ns_owner_uid(&fd).ok().or(ns.uid);
                }
                if let Some(uid) = ns.uid {
                    ns.user = users.entry(uid).or_insert_with(|| user_name(uid)).clone();
                }
            }
            if details.relations {
                ns.ons = sys::owner_userns(&fd).ok().and_then(|f| fd_ino(&f)).unwrap_or(0);
                if matches!(ns.kind, NsKind::Pid | NsKind::User) {
                    ns.pns = sys::parent_ns(&fd).ok().and_then(|f| fd_ino(&f)).unwrap_or(0);
                }
            }
            if details.netnsid && ns.kind == NsKind::Net {
                ns.netnsid = match sys::netnsid(&fd) {
                    Ok(Some(id)) => Some(NetNsId::Id(id)),
                    Ok(None) => Some(NetNsId::Unassigned),
                    Err(_) => None,
                };
            }
        }
    }
}

/// `/dev/null`, `/dev/pts/N`, `/dev/ttyN` and `/dev/console`: the standard
/// streams of nearly every process, device nodes that no namespace is
/// mounted on, so their descriptors are not stat'ed.
fn is_terminal_or_null(target: &[u8]) -> bool {
    target == b"/dev/null" || target == b"/dev/console" || target.starts_with(b"/dev/pts/") || target.starts_with(b"/dev/tty")
}

/// The net namespace of socket `fd` of process `pid`, opened again.
fn socket_ns((pid, fd): (i32, i32)) -> Option<std::os::fd::OwnedFd> {
    let pidfd = sys::pidfd_open(pid).ok()?;
    let sock = sys::pidfd_getfd(&pidfd, fd).ok()?;
    sys::socket_netns(&sock).ok()
}

/// The pids, in order, whose namespace of `kind` is `ino`.
pub fn pids_in(proc_root: &Path, kind: NsKind, ino: u64) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir(proc_root) else { return Vec::new() };
    let mut pids: Vec<i32> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| std::str::from_utf8(e.file_name().as_bytes()).ok()?.parse().ok())
        .filter(|pid: &i32| {
            std::fs::read_link(super::view::ns_path(proc_root, *pid, kind))
                .ok()
                .and_then(|l| NsLink::parse_bytes(l.as_os_str().as_bytes()))
                .is_some_and(|l| l.ino == ino)
        })
        .collect();
    pids.sort_unstable();
    pids
}

fn fd_ino(fd: &std::os::fd::OwnedFd) -> Option<u64> {
    nix::sys::stat::fstat(fd).ok().map(|st| st.st_ino)
}

/// The nsfs mounts in a mountinfo text: the namespace (the mount's root field,
/// `net:[…]`) and the mount point, with `\040`-style escapes undone.
pub fn nsfs_mounts(mountinfo: &[u8]) -> Vec<(NsLink, PathBuf)> {
    let mut out = Vec::new();
    for line in mountinfo.split(|&b| b == b'\n') {
        let Some(sep) = line.windows(3).position(|w| w == b" - ") else { continue };
        let mut after = line[sep + 3..].split(|&b| b == b' ');
        if after.next() != Some(b"nsfs") {
            continue;
        }
        let mut fields = line[..sep].split(|&b| b == b' ');
        let (Some(root), Some(target)) = (fields.nth(3), fields.next()) else { continue };
        if let Some(link) = NsLink::parse_bytes(root) {
            out.push((link, PathBuf::from(OsStr::from_bytes(&unescape_octal(target)))));
        }
    }
    out
}

fn unescape_octal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 3 < s.len() && s[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((s[i + 1] - b'0') * 64 + (s[i + 2] - b'0') * 8 + (s[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// The parent pid from `/proc/PID/stat` (the field after the `(comm)`, which
/// may itself hold spaces and parentheses).
fn read_ppid(dir: &Path) -> Option<i32> {
    let stat = std::fs::read(dir.join("stat")).ok()?;
    parse_stat_ppid(&stat)
}

/// Parses the ppid out of a `/proc/PID/stat` line.
pub fn parse_stat_ppid(stat: &[u8]) -> Option<i32> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
}

/// `/proc/PID/cmdline` with NULs as spaces, else `comm` (kernel threads).
fn read_command(dir: &Path) -> Option<String> {
    if let Ok(cmdline) = std::fs::read(dir.join("cmdline"))
        && let Some(cmd) = command_from_cmdline(&cmdline)
    {
        return Some(cmd);
    }
    let comm = std::fs::read(dir.join("comm")).ok()?;
    Some(String::from_utf8_lossy(comm.strip_suffix(b"\n").unwrap_or(&comm)).into_owned())
}

/// Joins a NUL-separated cmdline with spaces; `None` when empty.
pub fn command_from_cmdline(cmdline: &[u8]) -> Option<String> {
    let trimmed = cmdline.strip_suffix(b"\0").unwrap_or(cmdline);
    if trimmed.is_empty() {
        return None;
    }
    let spaced: Vec<u8> = trimmed.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    Some(String::from_utf8_lossy(&spaced).into_owned())
}

fn user_name(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok().flatten().map(|u| u.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nsfs_mounts() {
        let info = b"36 25 0:4 net:[4026532281] /run/netns/x rw shared:5 - nsfs nsfs rw\n\
                     40 25 0:4 uts:[4026532300] /tmp/with\\040space rw - nsfs nsfs rw\n\
                     22 1 0:21 / /proc rw,nosuid - proc proc rw\n\
                     bad line\n";
        let got = nsfs_mounts(info);
        assert_eq!(
            got,
            vec![
                (NsLink { kind: NsKind::Net, ino: 4026532281 }, PathBuf::from("/run/netns/x")),
                (NsLink { kind: NsKind::Uts, ino: 4026532300 }, PathBuf::from("/tmp/with space")),
            ]
        );
    }

    /// A fixture proc tree: pids 1 and 2 share net:[100]; pid 3 has its own
    /// net:[300] and holds an fd to net:[500]; pid 4 is unreadable; uts:[400]
    /// is only bind-mounted.
    fn fixture() -> tempfile::TempDir {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let proc_ = dir.path();
        for (pid, net, cmdline, comm) in [(1, 100, "/sbin/init\0splash\0", "init"), (2, 100, "", "kthreadd"), (3, 300, "sleep\0", "sleep")] {
            let ns = proc_.join(format!("{pid}/ns"));
            std::fs::create_dir_all(&ns).unwrap();
            symlink(format!("net:[{net}]"), ns.join("net")).unwrap();
            symlink("uts:[200]", ns.join("uts")).unwrap();
            std::fs::write(proc_.join(format!("{pid}/cmdline")), cmdline).unwrap();
            std::fs::write(proc_.join(format!("{pid}/comm")), format!("{comm}\n")).unwrap();
            std::fs::write(proc_.join(format!("{pid}/stat")), format!("{pid} ({comm}) S 0 0")).unwrap();
        }
        std::fs::create_dir_all(proc_.join("3/fd")).unwrap();
        symlink("net:[500]", proc_.join("3/fd/5")).unwrap();
        symlink("socket:[77]", proc_.join("3/fd/6")).unwrap();
        symlink("/dev/null", proc_.join("3/fd/0")).unwrap();
        std::fs::create_dir_all(proc_.join("4")).unwrap();
        std::fs::create_dir_all(proc_.join("sys")).unwrap();
        std::fs::write(proc_.join("mountinfo"), "50 1 0:4 uts:[400] /run/uts-pin rw - nsfs nsfs rw\n").unwrap();
        dir
    }

    #[test]
    fn scans_a_fixture_tree() {
        let dir = fixture();
        let scanner = Scanner {
            proc_root: dir.path().to_path_buf(),
            mountinfo: Some(dir.path().join("mountinfo")),
            kinds: KindSet::ALL,
            open_fds: true,
            nsfs_dev: Some(4),
        };
        let listing = scanner.scan(Details { relations: false, netnsid: false, ..Details::ALL }).unwrap();
        let rows: Vec<(u64, NsKind, usize, Option<i32>)> = listing.namespaces.iter().map(|n| (n.id.ino, n.kind, n.nprocs, n.pid)).collect();
        assert_eq!(
            rows,
            vec![
                (100, NsKind::Net, 2, Some(1)),
                (200, NsKind::Uts, 3, Some(1)),
                (300, NsKind::Net, 1, Some(3)),
                (400, NsKind::Uts, 0, None),
                (500, NsKind::Net, 0, None),
            ]
        );
        let by = |ino| listing.find(NsId { dev: 4, ino }).unwrap();
        assert_eq!(by(100).command.as_deref(), Some("/sbin/init splash"));
        assert_eq!(by(100).ppid, Some(0));
        assert_eq!(by(300).command.as_deref(), Some("sleep"));
        assert_eq!(by(400).nsfs, vec![PathBuf::from("/run/uts-pin")]);
        assert_eq!(by(400).path, Some(PathBuf::from("/run/uts-pin")));
        assert_eq!(by(500).held_by_fds, vec![dir.path().join("3/fd/5")]);
        assert_eq!(by(500).path, Some(dir.path().join("3/fd/5")));
        assert_eq!(by(100).path, Some(dir.path().join("1/ns/net")));

        let only_uts = Scanner { kinds: [NsKind::Uts].into_iter().collect(), ..scanner };
        let inos: Vec<u64> = only_uts.scan_bare().unwrap().namespaces.iter().map(|n| n.id.ino).collect();
        assert_eq!(inos, vec![200, 400]);
    }

    #[test]
    fn kernel_thread_command_falls_back_to_comm() {
        let dir = fixture();
        assert_eq!(read_command(&dir.path().join("2")).as_deref(), Some("kthreadd"));
    }

    #[test]
    fn parses_stat_and_cmdline() {
        assert_eq!(parse_stat_ppid(b"42 (a) b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parse_stat_ppid(b"garbage"), None);
        assert_eq!(command_from_cmdline(b"sleep\x0030\x00").as_deref(), Some("sleep 30"));
        assert_eq!(command_from_cmdline(b""), None);
    }
}
