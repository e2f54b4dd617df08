//! Every subcommand, from parsed flags to the calls that do it: the engine's
//! (`lsns`, `unshare`, `nsenter`), which return util-linux's exit status, and
//! nslab's own (`run`, `list`, `reset`, `check`, `new`, `doctor`, `serve`,
//! `mdbook`, …), which return an [`Exit`]. `main` turns either into the
//! process's exit code; nothing here exits.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{EnterFlags, KindFlags, LsnsArgs, NsenterArgs, UnshareArgs};
use crate::lsns::{self, Column, Format, Layout};
use crate::ns::{self, Creation, EngineError, JoinTarget, KindSet, NsKind, Scanner, Spawn, TimeOffsets};

/// Why a command failed before or instead of running its program.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// Bad input on an engine command's command line (exit 1, as util-linux).
    #[error("{0}")]
    Usage(String),
    /// A command line or input nslab cannot act on (exit 2), said in words.
    #[error("{0}")]
    Invalid(String),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(std::io::Error),
    /// Reading or writing a file or a stream failed (exit 1).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A report (`--junit`) could not be written (exit 1).
    #[error("cannot write the report {}: {source}", path.display())]
    Report {
        /// The report's path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How a command ended. `main` turns it into the process's exit code, and
/// nothing else decides one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; every expectation held.
    Ok,
    /// 1: some expectation failed (or an exercise is not fair).
    Failed,
    /// 2: an invalid lesson or command line (explained on stderr).
    Invalid,
    /// 3: a lesson cannot run on this machine (with the reason).
    CannotRun,
    /// 128 + N: interrupted by signal N.
    Signal(i32),
    /// An engine command's own status, or that of the program it ran, passed on.
    Status(i32),
}

/// `nslab lsns`.
pub fn lsns(args: &LsnsArgs) -> Result<i32, CmdError> {
    if args.list_columns {
        let mut out = String::new();
        for c in Column::ALL {
            out.push_str(&format!("{:<8} {:<7} {}\n", c.name(), c.json_type(), c.help()));
        }
        std::io::stdout().lock().write_all(out.as_bytes()).map_err(CmdError::Output)?;
        return Ok(0);
    }
    let kinds: KindSet = if args.types.is_empty() {
        KindSet::ALL
    } else {
        args.types.iter().map(|t| t.parse::<NsKind>().map_err(|_| CmdError::Usage(format!("unknown namespace type: {t}")))).collect::<Result<_, _>>()?
    };
    let namespace =
        args.namespace.as_deref().map(|n| n.parse::<u64>().map_err(|_| CmdError::Usage(format!("invalid namespace argument: '{n}'")))).transpose()?;
    let with_net = args.types.iter().any(|t| t == "net");
    let defaults = if namespace.is_some() { vec![Column::Pid, Column::Ppid, Column::User, Column::Command] } else { Column::defaults(with_net) };
    let columns = match (&args.output, args.output_all) {
        (_, true) => Column::ALL.to_vec(),
        (Some(list), false) => lsns::parse_columns(list, &defaults).map_err(|e| CmdError::Usage(e.to_string()))?,
        (None, false) => defaults,
    };
    let tree = match (args.list, args.tree) {
        (_, Some(t)) => Some(t),
        (true, None) => None,
        (false, None) => Some(lsns::Tree::Process),
    };
    let format = if args.json {
        Format::Json
    } else if args.raw {
        Format::Raw
    } else {
        Format::Table
    };
    let filter = args.filter.as_deref().map(lsns::Filter::parse).transpose().map_err(|e| CmdError::Usage(e.to_string()))?;
    let mut needed = columns.clone();
    if let Some(f) = &filter {
        f.columns(&mut needed);
    }

    let scanner = Scanner { kinds, ..Scanner::default() };
    let mut listing = scanner.scan_bare().map_err(|e| EngineError::Io { what: "reading /proc".into(), source: e })?;
    if let Some(pid) = args.pid {
        // A pid that is gone or that we may not read lists nothing, as util-linux does.
        match ns::NsView::read(&ns::view::proc_root(), pid) {
            Ok(view) => listing.namespaces.retain(|n| view.get(n.kind).is_some_and(|id| id.ino == n.id.ino)),
            Err(_) => listing.namespaces.clear(),
        }
    }
    if args.persistent {
        listing.namespaces.retain(|n| n.nprocs == 0);
    }
    let mut rows = match namespace {
        None => listing.namespaces,
        Some(ino) => {
            let ns = listing.namespaces.into_iter().find(|n| n.id.ino == ino).ok_or_else(|| CmdError::Usage(format!("not found namespace: {ino}")))?;
            // One row per process in it.
            ns::scan::pids_in(&scanner.proc_root, ns.kind, ino).into_iter().map(|pid| lsns_row_for(&ns, pid)).collect()
        }
    };
    scanner.fill_details(&mut rows, Column::details(&needed, tree));
    if let Some(f) = &filter {
        rows.retain(|r| f.matches(r));
    }
    let layout = Layout { columns, format, tree, headings: !args.noheadings };
    let text = lsns::render_with(&rows, &layout, args.nowrap);
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CmdError::Output)?;
    Ok(0)
}

/// The row of `ns` as seen from process `pid` (`lsns NAMESPACE`).
fn lsns_row_for(ns: &ns::Namespace, pid: i32) -> ns::Namespace {
    let mut row = ns.clone();
    row.pid = Some(pid);
    row.path = Some(ns::view::ns_path(&ns::view::proc_root(), pid, ns.kind));
    row
}

/// The kinds whose flag was given, with the FILE given to each, if any
/// (`-n` alone is `Some("")`: no file).
fn given_kinds(all: [(NsKind, &Option<String>); 8]) -> Vec<(NsKind, Option<PathBuf>)> {
    all.into_iter().filter_map(|(k, v)| v.as_ref().map(|p| (k, (!p.is_empty()).then(|| PathBuf::from(p))))).collect()
}

/// The kinds named by `-m -u …` flags, with the FILE given to each, if any.
fn kind_flags(flags: &KindFlags) -> Vec<(NsKind, Option<PathBuf>)> {
    let all = [
        (NsKind::Mnt, &flags.mount),
        (NsKind::Uts, &flags.uts),
        (NsKind::Ipc, &flags.ipc),
        (NsKind::Net, &flags.net),
        (NsKind::Pid, &flags.pid),
        (NsKind::User, &flags.user),
        (NsKind::Cgroup, &flags.cgroup),
        (NsKind::Time, &flags.time),
    ];
    given_kinds(all)
}

/// The program to run: the given command, else `$SHELL`, else `/bin/sh`.
fn program(command: &[String]) -> Spawn {
    match command.split_first() {
        Some((prog, args)) => {
            let mut s = Spawn::new(prog);
            s.args(args);
            s
        }
        None => Spawn::new(std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into())),
    }
}

/// Ignores SIGINT and SIGTERM while waiting for the program, as util-linux does:
/// the program (which has them at their defaults) decides, and we report.
fn wait_for(mut child: ns::Process) -> Result<i32, CmdError> {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code.
    unsafe {
        let _ = signal(Signal::SIGINT, SigHandler::SigIgn);
        let _ = signal(Signal::SIGTERM, SigHandler::SigIgn);
    }
    let status = child.wait().map_err(|e| EngineError::Io { what: "waiting for the program".into(), source: e })?;
    Ok(status.code())
}

/// A uid: a number, or a user name looked up in the user database.
fn parse_uid(text: &str, what: &str) -> Result<u32, CmdError> {
    if let Ok(n) = text.parse() {
        return Ok(n);
    }
    match nix::unistd::User::from_name(text) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        _ => Err(CmdError::Usage(format!("{what} '{text}': not a uid or a user name"))),
    }
}

/// A gid: a number, or a group name looked up in the group database.
fn parse_gid(text: &str, what: &str) -> Result<u32, CmdError> {
    if let Ok(n) = text.parse() {
        return Ok(n);
    }
    match nix::unistd::Group::from_name(text) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        _ => Err(CmdError::Usage(format!("{what} '{text}': not a gid or a group name"))),
    }
}

/// A signal: `KILL`, `SIGKILL`, `kill` or `9`.
fn parse_signal(text: &str) -> Result<i32, CmdError> {
    if let Ok(n) = text.parse::<i32>()
        && nix::sys::signal::Signal::try_from(n).is_ok()
    {
        return Ok(n);
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") { upper } else { format!("SIG{upper}") };
    name.parse::<nix::sys::signal::Signal>().map(|s| s as i32).map_err(|_| CmdError::Usage(format!("unknown signal: {text}")))
}

/// The first range of `/etc/subuid` (or subgid) that belongs to the user.
fn first_subid_range(file: &str, name: &str, id: u32) -> Result<(u32, u32), CmdError> {
    let text = std::fs::read_to_string(file).map_err(|e| CmdError::Usage(format!("{file}: {e}")))?;
    text.lines()
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let (owner, start, count) = (f.next()?, f.next()?.parse().ok()?, f.next()?.parse().ok()?);
            (owner == name || owner == id.to_string()).then_some((start, count))
        })
        .next()
        .ok_or_else(|| CmdError::Usage(format!("{file}: no range for {name}")))
}

/// One `--map-users`/`--map-groups` value as (inner, outer, count) blocks.
fn parse_id_block(text: &str, users: bool) -> Result<Vec<(u32, u32, u32)>, CmdError> {
    let (file, id, name) = if users {
        let uid = nix::unistd::geteuid();
        ("/etc/subuid", uid.as_raw(), nix::unistd::User::from_uid(uid).ok().flatten().map(|u| u.name).unwrap_or_else(|| uid.to_string()))
    } else {
        let gid = nix::unistd::getegid();
        ("/etc/subgid", gid.as_raw(), nix::unistd::Group::from_gid(gid).ok().flatten().map(|g| g.name).unwrap_or_else(|| gid.to_string()))
    };
    let bad = || CmdError::Usage(format!("--map-{}={text}: expected INNER:OUTER:COUNT, auto, subids or all", if users { "users" } else { "groups" }));
    match text {
        "auto" => {
            let (start, count) = first_subid_range(file, &name, id)?;
            Ok(vec![(0, start, count)])
        }
        "subids" => {
            let (start, count) = first_subid_range(file, &name, id)?;
            Ok(vec![(start, start, count)])
        }
        "all" => {
            // Pass every id of our own namespace through.
            let map = std::fs::read_to_string(if users { "/proc/self/uid_map" } else { "/proc/self/gid_map" }).map_err(|e| CmdError::Usage(e.to_string()))?;
            Ok(map
                .lines()
                .filter_map(|l| {
                    let v: Vec<u32> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
                    (v.len() == 3).then(|| (v[0], v[0], v[2]))
                })
                .collect())
        }
        _ => {
            // INNER:OUTER:COUNT, or 2.38's OUTER,INNER,COUNT.
            let (sep, swap) = if text.contains(':') { (':', false) } else { (',', true) };
            let v: Vec<u32> = text.split(sep).map(|x| x.trim().parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
            match v[..] {
                [a, b, c] if c > 0 => Ok(vec![if swap { (b, a, c) } else { (a, b, c) }]),
                _ => Err(bad()),
            }
        }
    }
}

/// The lines of an id map: the single mapping first, then the blocks, each
/// block with a hole where it would collide with the single one (its top id
/// dropped), as util-linux does.
pub fn id_map_lines(single: Option<(u32, u32)>, blocks: &[(u32, u32, u32)]) -> Vec<(u32, u32, u32)> {
    let mut out: Vec<(u32, u32, u32)> = single.map(|(i, o)| (i, o, 1)).into_iter().collect();
    for &(inner, outer, count) in blocks {
        let Some((si, so)) = single else {
            out.push((inner, outer, count));
            continue;
        };
        // The offset in the block that collides, on either side.
        let hit = [so.checked_sub(outer), si.checked_sub(inner)].into_iter().flatten().filter(|&k| k < count).min();
        match hit {
            None => out.push((inner, outer, count)),
            Some(k) => {
                if k > 0 {
                    out.push((inner, outer, k));
                }
                if count - k > 1 {
                    out.push((inner + k + 1, outer + k + 1, count - k - 1));
                }
            }
        }
    }
    out
}

/// Writes a new user namespace's id maps from outside, as util-linux does
/// for everything beyond `-r`: directly when the kernel lets us, else
/// through newuidmap/newgidmap (shadow's setuid helpers).
fn write_id_maps(pid: i32, setgroups: Option<&str>, uids: &[(u32, u32, u32)], gids: &[(u32, u32, u32)]) -> Result<(), EngineError> {
    let proc_ = ns::view::proc_root().join(pid.to_string());
    if let Some(value) = setgroups {
        std::fs::write(proc_.join("setgroups"), value).map_err(|e| EngineError::Io { what: format!("writing {value} to /proc/{pid}/setgroups"), source: e })?;
    }
    for (file, helper, lines) in [("gid_map", "newgidmap", gids), ("uid_map", "newuidmap", uids)] {
        if lines.is_empty() {
            continue;
        }
        let text: String = lines.iter().map(|(i, o, c)| format!("{i} {o} {c}\n")).collect();
        match std::fs::write(proc_.join(file), &text) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {
                let mut cmd = std::process::Command::new(helper);
                cmd.arg(pid.to_string());
                for (i, o, c) in lines {
                    cmd.args([i.to_string(), o.to_string(), c.to_string()]);
                }
                match cmd.status() {
                    Ok(s) if s.success() => {}
                    Ok(s) => return Err(EngineError::Io { what: format!("{helper} {pid}"), source: std::io::Error::other(format!("exited with {s}")) }),
                    Err(_) => return Err(EngineError::Io { what: format!("writing /proc/{pid}/{file} ({helper} is not installed)"), source: e }),
                }
            }
            Err(e) => return Err(EngineError::Io { what: format!("writing /proc/{pid}/{file}"), source: e }),
        }
    }
    Ok(())
}

/// `nslab unshare`.
pub fn unshare(args: &UnshareArgs) -> Result<i32, CmdError> {
    let mut kinds = KindSet::EMPTY;
    let mut persist: Vec<(NsKind, PathBuf)> = Vec::new();
    for (kind, file) in kind_flags(&args.kinds) {
        kinds.insert(kind);
        persist.extend(file.map(|f| (kind, f)));
    }
    for spec in &args.persist {
        let (kind, path) = spec
            .split_once('=')
            .filter(|(_, p)| !p.is_empty())
            .ok_or_else(|| CmdError::Usage(format!("--persist {spec}: expected KIND=PATH, e.g. net=/run/mynet")))?;
        let kind: NsKind = kind.parse().map_err(|e: ns::UnknownKind| CmdError::Usage(format!("--persist {spec}: {e}")))?;
        kinds.insert(kind);
        persist.push((kind, PathBuf::from(path)));
    }
    let propagation = match args.propagation.as_deref() {
        None => None,
        Some("slave") => Some(Some(libc::MS_SLAVE)),
        Some("shared") => Some(Some(libc::MS_SHARED)),
        Some("private") => Some(Some(libc::MS_PRIVATE)),
        Some("unchanged") => Some(None),
        Some(other) => return Err(CmdError::Usage(format!("unsupported propagation mode: {other}"))),
    };
    let setgroups = match args.setgroups.as_deref() {
        None | Some("allow" | "deny") => args.setgroups.as_deref(),
        Some(other) => return Err(CmdError::Usage(format!("unsupported --setgroups argument '{other}'"))),
    };
    let euid = nix::unistd::geteuid().as_raw();
    let egid = nix::unistd::getegid().as_raw();
    // The single mapping of our own ids (-r, -c, --map-user, --map-group).
    let mut map_uid = args.map_root.then_some(0).or(args.map_current.then_some(euid));
    let mut map_gid = args.map_root.then_some(0).or(args.map_current.then_some(egid));
    if let Some(u) = &args.map_user {
        map_uid = Some(parse_uid(u, "--map-user")?);
    }
    if let Some(g) = &args.map_group {
        map_gid = Some(parse_gid(g, "--map-group")?);
    }
    let mut uid_blocks = Vec::new();
    let mut gid_blocks = Vec::new();
    if args.map_auto || args.map_subids {
        let how = if args.map_auto { "auto" } else { "subids" };
        uid_blocks.extend(parse_id_block(how, true)?);
        gid_blocks.extend(parse_id_block(how, false)?);
    }
    if let Some(m) = &args.map_users {
        uid_blocks.extend(parse_id_block(m, true)?);
    }
    if let Some(m) = &args.map_groups {
        gid_blocks.extend(parse_id_block(m, false)?);
    }
    if map_gid.is_some() && gid_blocks.is_empty() && setgroups == Some("allow") && euid != 0 {
        return Err(CmdError::Usage("options --setgroups=allow and --map-group are mutually exclusive".into()));
    }
    let any_map = map_uid.is_some() || map_gid.is_some() || !uid_blocks.is_empty() || !gid_blocks.is_empty();
    if any_map || setgroups.is_some() || args.keep_caps && kinds.is_empty() {
        kinds.insert(NsKind::User);
    }
    if args.mount_proc.is_some() {
        kinds.insert(NsKind::Mnt);
    }
    if args.monotonic.is_some() || args.boottime.is_some() {
        kinds.insert(NsKind::Time);
    }
    let kill_signal = args.kill_child.as_deref().map(parse_signal).transpose()?;
    let fork = args.fork || kill_signal.is_some() || args.forward_signals;
    // Plain -r (the common case) is done by the child itself; any other map
    // is written from here while the child waits.
    let child_maps = args.map_root
        && !args.map_current
        && args.map_user.is_none()
        && args.map_group.is_none()
        && uid_blocks.is_empty()
        && gid_blocks.is_empty()
        && setgroups.is_none();
    let setgroups_value = match setgroups {
        Some(v) => Some(v),
        // An unprivileged gid_map needs setgroups denied first.
        None if map_gid.is_some() && gid_blocks.is_empty() => Some("deny"),
        None => None,
    };
    let uid_lines = if child_maps { Vec::new() } else { id_map_lines(map_uid.map(|u| (u, euid)), &uid_blocks) };
    let gid_lines = if child_maps { Vec::new() } else { id_map_lines(map_gid.map(|g| (g, egid)), &gid_blocks) };

    let mut spawn = program(&args.command);
    spawn
        .new_namespaces(kinds, if fork { Creation::Clone } else { Creation::Unshare })
        .map_root(child_maps)
        .mount_proc(args.mount_proc.as_deref() == Some("/proc"));
    if let Some(p) = propagation {
        spawn.propagation(p);
    }
    if args.monotonic.is_some() || args.boottime.is_some() {
        spawn.time_offsets(TimeOffsets { monotonic: args.monotonic.unwrap_or(0), boottime: args.boottime.unwrap_or(0) });
    }
    if let Some(sig) = kill_signal {
        spawn.death_signal(sig);
    }
    if args.clear_env || args.whitelist_env.is_some() {
        spawn.env_clear();
        for name in args.whitelist_env.iter().flat_map(|l| l.split(',')) {
            if let Some(value) = std::env::var_os(name) {
                spawn.env(name, value);
            }
        }
    }
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| CmdError::Usage(format!("{}: contains a NUL byte", p.display())));
    let mut extra = ns::sys::Extra {
        mount_proc_at: args.mount_proc.as_deref().filter(|d| *d != "/proc").map(|d| c(Path::new(d))).transpose()?,
        root_path: args.root.as_deref().map(c).transpose()?,
        wd_path: args.wd.as_deref().map(c).transpose()?,
        keep_caps: args.keep_caps,
        ..Default::default()
    };
    if let Some(g) = &args.setgid {
        extra.gid = Some(parse_gid(g, "--setgid")?);
        // As util-linux: dropping the supplementary groups must work.
        extra.clear_groups = true;
        extra.strict_groups = true;
    }
    if let Some(u) = &args.setuid {
        extra.uid = Some(parse_uid(u, "--setuid")?);
    }
    spawn.extra(extra);
    if args.forward_signals {
        // Blocked before the program starts (it unblocks them for itself), so
        // that none arrives before we forward them.
        let mut set = nix::sys::signal::SigSet::empty();
        set.add(nix::sys::signal::Signal::SIGTERM);
        set.add(nix::sys::signal::Signal::SIGINT);
        set.thread_block().map_err(|e| EngineError::Io { what: "blocking signals".into(), source: e.into() })?;
    }
    let child = spawn.start_with(|pid| {
        if !uid_lines.is_empty() || !gid_lines.is_empty() || setgroups_value.is_some() && !child_maps {
            write_id_maps(pid, setgroups_value.filter(|_| !child_maps), &uid_lines, &gid_lines)?;
        }
        let mut made: Vec<&Path> = Vec::new();
        for (kind, target) in &persist {
            // Without a fork the program itself stays in the old pid and time
            // namespaces; the new ones are those of its children.
            let link = match kind.for_children_name() {
                Some(name) if !fork => name,
                _ => kind.name(),
            };
            let source = PathBuf::from(format!("/proc/{pid}/ns/{link}"));
            if let Err(e) = ns::pin(&source, target) {
                for done in made {
                    let _ = ns::unpin(done);
                }
                return Err(e);
            }
            made.push(target);
        }
        Ok(())
    })?;
    if args.forward_signals { wait_forwarding(child) } else { wait_for(child) }
}

/// Waits for the program, passing on every SIGTERM and SIGINT we get
/// (`unshare --forward-signals`).
fn wait_forwarding(mut child: ns::Process) -> Result<i32, CmdError> {
    use nix::sys::signal::{SigSet, Signal};
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    use std::os::fd::AsFd;
    let mut set = SigSet::empty();
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGINT);
    set.thread_block().map_err(|e| EngineError::Io { what: "blocking signals".into(), source: e.into() })?;
    let sfd = SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
        .map_err(|e| EngineError::Io { what: "creating a signalfd".into(), source: e.into() })?;
    loop {
        let mut fds =
            [nix::poll::PollFd::new(child.pidfd().as_fd(), nix::poll::PollFlags::POLLIN), nix::poll::PollFd::new(sfd.as_fd(), nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(EngineError::Io { what: "waiting for the program".into(), source: e.into() }.into()),
            Ok(_) => {}
        }
        while let Ok(Some(info)) = sfd.read_signal() {
            let _ = child.signal(info.ssi_signo as i32);
        }
        if let Some(status) = child.try_wait().map_err(|e| EngineError::Io { what: "waiting for the program".into(), source: e })? {
            return Ok(status.code());
        }
    }
}

/// The target's uid or gid (`-S follow`, `-G follow`): the owner of /proc/PID.
fn target_owner(target: Option<i32>, what: &str) -> Result<(u32, u32), CmdError> {
    use std::os::unix::fs::MetadataExt;
    let pid = target.ok_or_else(|| CmdError::Usage(format!("{what} follow needs a target process: -t PID")))?;
    let meta = std::fs::metadata(format!("/proc/{pid}")).map_err(|_| EngineError::NoSuchProcess(pid))?;
    Ok((meta.uid(), meta.gid()))
}

/// Opens a directory for `-r`/`-w`: DIR, or the target's root or cwd link.
fn open_dir(value: &str, target: Option<i32>, link: &str, flag: &str) -> Result<std::os::fd::OwnedFd, CmdError> {
    let path = if value.is_empty() {
        let pid = target.ok_or_else(|| CmdError::Usage(format!("no target PID specified for {flag}")))?;
        PathBuf::from(format!("/proc/{pid}/{link}"))
    } else {
        PathBuf::from(value)
    };
    std::fs::File::open(&path).map(Into::into).map_err(|e| CmdError::Engine(EngineError::Open { path, source: e }))
}

/// `nslab nsenter`.
pub fn nsenter(args: &NsenterArgs) -> Result<i32, CmdError> {
    if let Some(pid) = args.target
        && !Path::new(&format!("/proc/{pid}")).exists()
    {
        return Err(EngineError::NoSuchProcess(pid).into());
    }
    let mut spawn = program(&args.command);
    let flags = enter_flags(&args.kinds);
    let mut user = flags.iter().any(|(k, _)| *k == NsKind::User);
    if args.all {
        let pid = args.target.ok_or_else(|| CmdError::Usage("-a needs a target process: -t PID".into()))?;
        spawn.join_all_of(pid)?;
        let theirs = ns::NsView::read(&ns::view::proc_root(), pid).ok();
        let ours = ns::NsView::of_self().ok();
        user |= theirs.zip(ours).is_some_and(|(t, o)| t.get(NsKind::User) != o.get(NsKind::User));
    }
    let mut targets = Vec::new();
    for (kind, file) in flags {
        targets.push(match (file, args.target) {
            (Some(path), _) => JoinTarget::File { path, kind: Some(kind) },
            (None, Some(pid)) => JoinTarget::Process { pid, kind },
            (None, None) => {
                return Err(CmdError::Usage(format!("-{} needs a target: give -t PID, or --{}=FILE", kind.short_flag(), long_name(kind))));
            }
        });
    }
    // -N FD: the network namespace of the target's socket FD.
    let mut _socket_ns = None;
    if let Some(fd) = args.net_socket {
        let pid = args.target.ok_or_else(|| CmdError::Usage("--net-socket needs a target process: -t PID".into()))?;
        let pidfd = ns::sys::pidfd_open(pid).map_err(|_| EngineError::NoSuchProcess(pid))?;
        let sock = ns::sys::pidfd_getfd(&pidfd, fd).map_err(|e| EngineError::Io { what: format!("getting descriptor {fd} of pid {pid}"), source: e })?;
        let netns =
            ns::sys::socket_netns(&sock).map_err(|e| EngineError::Io { what: format!("the network namespace of socket {fd} of pid {pid}"), source: e })?;
        targets.push(JoinTarget::File { path: PathBuf::from(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&netns))), kind: Some(NsKind::Net) });
        _socket_ns = Some(netns);
    }
    // util-linux's master refuses this too (2.38 ran the program unchanged).
    if targets.is_empty() && !args.all {
        return Err(CmdError::Usage("no namespace specified: give -a, or the namespaces to enter (-m -u -i -n -p -U -C -T, -N)".into()));
    }
    spawn.join(targets);

    let mut extra = ns::sys::Extra { keep_caps: args.keep_caps && user, ..Default::default() };
    if let Some(r) = &args.root {
        extra.root_fd = Some(open_dir(r, args.target, "root", "--root")?);
    }
    if let Some(w) = &args.wd {
        extra.wd_fd = Some(open_dir(w, args.target, "cwd", "--wd")?);
    } else if extra.root_fd.is_some() && args.wdns.as_ref().is_none_or(|w| w.as_os_str().is_empty()) {
        extra.wd_fd = Some(open_dir(".", None, "", "")?);
    }
    if let Some(w) = args.wdns.as_ref().filter(|w| !w.as_os_str().is_empty()) {
        extra.wd_path = Some(std::ffi::CString::new(w.as_os_str().as_encoded_bytes()).map_err(|_| CmdError::Usage("--wdns: contains a NUL byte".into()))?);
    }
    // Entering a user namespace makes you root there, unless asked not to.
    if user && !args.preserve_credentials {
        extra.uid = Some(0);
        extra.gid = Some(0);
        extra.clear_groups = true;
    }
    if let Some(u) = &args.setuid {
        extra.uid = Some(if u == "follow" { target_owner(args.target, "-S")?.0 } else { parse_uid(u, "--setuid")? });
    }
    if let Some(g) = &args.setgid {
        extra.gid = Some(if g == "follow" { target_owner(args.target, "-G")?.1 } else { parse_gid(g, "--setgid")? });
        extra.clear_groups = true;
    }
    spawn.extra(extra);
    if args.env {
        let pid = args.target.ok_or_else(|| CmdError::Usage("--env needs a target process: -t PID".into()))?;
        let environ =
            std::fs::read(format!("/proc/{pid}/environ")).map_err(|e| EngineError::Io { what: format!("reading the environment of pid {pid}"), source: e })?;
        spawn.env_clear();
        for entry in environ.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            use std::os::unix::ffi::OsStrExt;
            if let Some(eq) = entry.iter().position(|&b| b == b'=') {
                spawn.env(std::ffi::OsStr::from_bytes(&entry[..eq]), std::ffi::OsStr::from_bytes(&entry[eq + 1..]));
            }
        }
    }
    let cgroup_procs = if args.join_cgroup {
        let pid = args.target.ok_or_else(|| CmdError::Usage("--join-cgroup needs a target process: -t PID".into()))?;
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .map_err(|e| EngineError::Io { what: format!("reading the cgroup of pid {pid}"), source: e })?;
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("0::"))
            .ok_or_else(|| EngineError::Io { what: format!("the cgroup of pid {pid}"), source: std::io::Error::other("not in a cgroup v2 hierarchy") })?;
        Some(PathBuf::from(format!("/sys/fs/cgroup{path}/cgroup.procs")))
    } else {
        None
    };
    let child = spawn.start_with(|pid| match &cgroup_procs {
        Some(file) => std::fs::write(file, pid.to_string()).map_err(|e| EngineError::Io { what: format!("writing to {}", file.display()), source: e }),
        None => Ok(()),
    })?;
    wait_for(child)
}

/// The kinds named by nsenter's `-m -u …` flags, with the FILE given to each.
fn enter_flags(flags: &EnterFlags) -> Vec<(NsKind, Option<PathBuf>)> {
    let all = [
        (NsKind::Mnt, &flags.mount),
        (NsKind::Uts, &flags.uts),
        (NsKind::Ipc, &flags.ipc),
        (NsKind::Net, &flags.net),
        (NsKind::Pid, &flags.pid),
        (NsKind::User, &flags.user),
        (NsKind::Cgroup, &flags.cgroup),
        (NsKind::Time, &flags.time),
    ];
    given_kinds(all)
}

fn long_name(kind: NsKind) -> &'static str {
    match kind {
        NsKind::Mnt => "mount",
        other => other.name(),
    }
}

/// Whether to colour output to stdout.
pub fn use_color(choice: crate::cli::ColorChoice) -> bool {
    use crate::cli::ColorChoice;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && console::Term::stdout().is_term(),
    }
}

fn print_diagnostics(diags: &[crate::lesson::Diagnostic]) {
    let color = use_color(crate::cli::ColorChoice::Auto) && console::Term::stderr().is_term();
    eprint!("{}", crate::lesson::render(diags, color));
}

/// The language nslab speaks in this process: the command's `--lang`, else
/// the locale's (`LC_ALL`, `LC_MESSAGES`, `LANG`).
pub fn language(command: Option<&crate::cli::Command>) -> crate::catalog::Lang {
    use crate::cli::Command;
    let flag = match command {
        Some(Command::Run(a)) => a.lang,
        Some(Command::New(a)) => a.lang,
        Some(Command::List(a)) => a.lang,
        Some(Command::Check(a)) => a.lang,
        Some(Command::Doctor(a)) => a.lang,
        Some(Command::Serve(a)) => a.lang,
        _ => None,
    };
    flag.unwrap_or_else(crate::catalog::Lang::from_env)
}

/// `nslab run`.
pub fn run(args: &crate::cli::RunArgs) -> Result<Exit, CmdError> {
    use crate::run::{self, RunOptions, progress};
    let lessons = match crate::catalog::load_in(&args.paths, crate::i18n::lang()) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    if let Some(step) = &args.from
        && !lessons.iter().any(|l| l.step(step).is_some())
    {
        return Err(CmdError::Invalid(crate::t!("run-from-unknown", step = step.as_str())));
    }
    let format = match args.format {
        crate::cli::OutputFormat::Human => run::report::Format::Human,
        crate::cli::OutputFormat::Json => run::report::Format::Json,
    };
    let terminal = crate::ui::at_terminal();
    if !terminal && !args.yes {
        eprint!("{}", crate::ui::no_terminal());
        return Ok(Exit::Invalid);
    }
    let opts = RunOptions {
        interactive: terminal && !args.yes && format == run::report::Format::Human,
        format,
        color: format == run::report::Format::Human && use_color(args.color),
        fail_fast: args.fail_fast,
        timeout: args.timeout.0,
        junit: args.junit.clone(),
        from: args.from.clone(),
        record: args.record,
        check_solutions: false,
        sandbox: !args.no_sandbox,
    };
    // No paths: the built-in lessons, from the first unfinished one.
    // Straight through, progress is kept only when asked for.
    let mut progress =
        if args.yes && !args.save_progress { progress::Progress::ephemeral() } else { progress::Progress::load(progress::state_dir().as_deref()) };
    let lessons = if args.paths.is_empty() {
        let next = lessons.iter().position(|l| !progress.get(&l.meta.id).is_some_and(|p| p.finished)).unwrap_or(0);
        lessons.into_iter().skip(next).collect()
    } else {
        lessons
    };
    let end = run::run_lessons(&lessons, &opts, &mut progress);
    conclude(&end, opts.junit.as_deref())
}

/// How a run ends: interrupted (128 + N) above all; else a report nslab
/// could not write is an error of its own; else the lessons' verdicts.
fn conclude(end: &crate::run::RunEnd, junit: Option<&Path>) -> Result<Exit, CmdError> {
    let written = junit
        .map_or(Ok(()), |path| crate::run::report::write_junit(path, &end.results).map_err(|source| CmdError::Report { path: path.to_path_buf(), source }));
    if let Some(sig) = end.signal {
        return Ok(Exit::Signal(sig));
    }
    written?;
    if let Some(e) = &end.write_error {
        return Err(CmdError::Output(std::io::Error::other(e.clone())));
    }
    Ok(if end.failed() {
        Exit::Failed
    } else if end.cannot_run() {
        Exit::CannotRun
    } else {
        Exit::Ok
    })
}

/// `nslab` with no arguments: continue with the next unfinished built-in lesson.
pub fn continue_learning() -> Result<Exit, CmdError> {
    use crate::run::progress;
    let lessons = match crate::catalog::builtin_in(crate::i18n::lang()) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    if !crate::ui::at_terminal() {
        eprint!("{}", crate::ui::no_terminal());
        return Ok(Exit::Invalid);
    }
    let progress = progress::Progress::load(progress::state_dir().as_deref());
    let Some(lesson) = lessons.iter().find(|l| !progress.get(&l.meta.id).is_some_and(|p| p.finished)) else {
        println!("{}", crate::t!("all-finished"));
        return Ok(Exit::Ok);
    };
    let from = progress.next_step(lesson).filter(|s| s.number > 1).map(|s| s.id.clone());
    let args = crate::cli::RunArgs {
        no_sandbox: false,
        paths: Vec::new(),
        yes: false,
        save_progress: false,
        format: crate::cli::OutputFormat::Human,
        color: crate::cli::ColorChoice::Auto,
        fail_fast: false,
        timeout: crate::cli::Seconds(crate::run::DEFAULT_TIMEOUT),
        junit: None,
        from,
        record: false,
        lang: None,
    };
    run(&args)
}

/// `nslab list`.
pub fn list(args: &crate::cli::ListArgs) -> Result<Exit, CmdError> {
    use crate::run::progress;
    let lessons = match crate::catalog::load_in(&args.paths, crate::i18n::lang()) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    let progress = progress::Progress::load(progress::state_dir().as_deref());
    let mut out = String::new();
    let width = lessons.iter().map(|l| l.meta.id.len()).max().unwrap_or(2);
    for l in &lessons {
        let done = progress.get(&l.meta.id).map_or(0, |p| l.steps.iter().filter(|s| p.passed.contains(&s.id)).count());
        let status = if done == l.steps.len() {
            crate::t!("list-done")
        } else if done == 0 {
            crate::t!("list-not-started")
        } else {
            crate::t!("list-partly", done = done, total = l.steps.len())
        };
        let next = match progress.next_step(l) {
            Some(s) if done < l.steps.len() => crate::t!("list-next", step = s.id.as_str()),
            _ => String::new(),
        };
        let needs = if l.meta.needs.is_nothing() { String::new() } else { format!("[{}]", crate::t!("list-needs", needs = l.meta.needs.to_string())) };
        // Padded by display width: a Chinese status is two columns a character.
        let status = crate::ui::pad(&status, 12);
        out.push_str(&format!("{:width$}  {status} {}  {next} {needs}\n", l.meta.id, l.meta.title).replace("  \n", "\n"));
    }
    print!("{out}");
    Ok(Exit::Ok)
}

/// `nslab reset`.
pub fn reset(args: &crate::cli::ResetArgs) -> Result<Exit, CmdError> {
    use crate::run::progress;
    let mut progress = progress::Progress::load(progress::state_dir().as_deref());
    let builtin = crate::catalog::builtin().unwrap_or_default();
    // A built-in lesson by id or file name, or any lesson with progress kept.
    let id = args.lesson.as_deref().map(|id| crate::catalog::find(&builtin, id).map_or(id.to_string(), |l| l.meta.id.clone()));
    if let Some(id) = &id {
        if crate::catalog::find(&builtin, id).is_none() && progress.get(id).is_none() {
            eprintln!("nslab reset: {}", crate::t!("reset-no-such", id = format!("{id:?}")));
            return Ok(Exit::Invalid);
        }
    } else if !args.yes {
        match crate::ui::confirm(&crate::t!("reset-question")) {
            Some(true) => {}
            Some(false) => {
                println!("{}", crate::t!("reset-kept"));
                return Ok(Exit::Ok);
            }
            None => {
                eprintln!("nslab reset: {}", crate::t!("reset-no-terminal"));
                return Ok(Exit::Invalid);
            }
        }
    }
    let had = progress.reset(id.as_deref());
    progress.save().map_err(CmdError::Output)?;
    match (&args.lesson, had) {
        (Some(l), true) => println!("{}", crate::t!("reset-forgot", id = l.as_str())),
        (Some(l), false) => println!("{}", crate::t!("reset-nothing", id = l.as_str())),
        (None, _) => println!("{}", crate::t!("reset-forgot-all")),
    }
    Ok(Exit::Ok)
}

/// `nslab check`.
pub fn check(args: &crate::cli::CheckArgs) -> Result<Exit, CmdError> {
    let color = use_color(args.color);
    let clean = crate::lesson::check_paths(&args.paths, &mut std::io::stdout().lock(), color).map_err(CmdError::Output)?;
    if !clean {
        return Ok(Exit::Invalid);
    }
    if args.solutions {
        return check_solutions(&args.paths, color);
    }
    Ok(Exit::Ok)
}

/// `nslab check --solutions`: every exercise must fail with nothing done and
/// pass with its reference solution.
fn check_solutions(paths: &[PathBuf], color: bool) -> Result<Exit, CmdError> {
    use crate::lesson::StepKind;
    use crate::run::{self, RunOptions, progress::Progress};
    let lessons = match crate::catalog::load(paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    let with_exercises: Vec<_> = lessons.into_iter().filter(|l| l.steps.iter().any(|s| s.kind == StepKind::Exercise)).collect();
    let opts = RunOptions { color, check_solutions: true, ..RunOptions::default() };
    let end = run::run_lessons(&with_exercises, &opts, &mut Progress::ephemeral());
    let results = &end.results;
    let mut total = 0;
    let mut fair = 0;
    for (lesson, result) in with_exercises.iter().zip(results) {
        for step in lesson.steps.iter().filter(|s| s.kind == StepKind::Exercise) {
            total += 1;
            if result.steps.iter().any(|s| s.id == step.id && s.outcome == crate::run::event::OutcomeKind::Passed) {
                fair += 1;
            }
        }
    }
    println!("\n{}", crate::t!("check-fair", count = total, fair = fair, unfair = total - fair));
    match conclude(&end, None)? {
        Exit::Signal(n) => Ok(Exit::Signal(n)),
        _ if fair == total => Ok(Exit::Ok),
        _ => Ok(Exit::Failed),
    }
}

/// `nslab new`.
pub fn new_lesson(args: &crate::cli::NewArgs) -> Result<Exit, CmdError> {
    use crate::lesson::NewLessonError;
    let error = |e| match e {
        NewLessonError::Io { path, source } => CmdError::Io { what: format!("cannot write {}", path.display()), source },
        other => CmdError::Invalid(other.to_string()),
    };
    let path = if args.lang == Some(crate::catalog::Lang::Zh) {
        let (path, zh) = crate::lesson::new_lesson_zh(&args.name, &args.dir).map_err(error)?;
        println!("{}", crate::t!("new-wrote-zh", path = zh.display().to_string()));
        path
    } else {
        crate::lesson::new_lesson(&args.name, &args.dir).map_err(error)?
    };
    println!("{}", crate::t!("new-wrote", path = path.display().to_string()));
    Ok(Exit::Ok)
}

/// `nslab mdbook`: answer `supports`, or preprocess stdin to stdout.
pub fn mdbook(query: Option<&crate::cli::MdbookQuery>) -> Result<Exit, CmdError> {
    use std::io::Read;
    if let Some(crate::cli::MdbookQuery::Supports { renderer }) = query {
        return Ok(if crate::book::supports(renderer) { Exit::Ok } else { Exit::Failed });
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|source| CmdError::Io { what: "reading mdbook's input".into(), source })?;
    let mut cli = <crate::cli::Cli as clap::CommandFactory>::command();
    let commands = crate::book::command_reference(&mut cli);
    match crate::book::preprocess(&input, &commands) {
        Ok(book) => {
            std::io::stdout().lock().write_all(book.as_bytes()).map_err(CmdError::Output)?;
            Ok(Exit::Ok)
        }
        Err(crate::book::BookError::Lesson(diags)) => {
            eprint!("{diags}");
            Ok(Exit::Invalid)
        }
        Err(e @ crate::book::BookError::Input(_)) => Err(CmdError::Invalid(e.to_string())),
    }
}

/// `nslab completions SHELL`: generated from the clap definitions.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CmdError> {
    let full = <crate::cli::Cli as clap::CommandFactory>::command();
    // The generators would offer the hidden internal commands too
    // (`lab-init`, `serve-worker`…): complete only what a user may type.
    let root = clap::Command::new("nslab").version(env!("CARGO_PKG_VERSION"));
    let mut cli = full.get_arguments().cloned().fold(root, clap::Command::arg);
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        cli = cli.subcommand(sub.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "nslab", &mut out);
    std::io::stdout().lock().write_all(&out).map_err(CmdError::Output)?;
    Ok(Exit::Ok)
}

/// `nslab man`: the man page, generated from the clap definitions.
pub fn man() -> Result<Exit, CmdError> {
    let cli = <crate::cli::Cli as clap::CommandFactory>::command();
    // The examples under `nslab --help` become an EXAMPLES section (the
    // generator would call it EXTRA).
    let examples = cli.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    clap_mangen::Man::new(cli.after_help(None::<&str>)).render(&mut out).map_err(CmdError::Output)?;
    out.extend_from_slice(man_examples(&examples).as_bytes());
    std::io::stdout().lock().write_all(&out).map_err(CmdError::Output)?;
    Ok(Exit::Ok)
}

/// `Examples:` lines (`  COMMAND   what it does`) as a roff EXAMPLES section.
fn man_examples(help: &str) -> String {
    let roff = |s: &str| s.replace('\\', "\\\\").replace('-', "\\-");
    let mut out = String::from(".SH EXAMPLES\n");
    for line in help.lines().map(str::trim).filter(|l| l.starts_with("nslab")) {
        let (command, what) = line.split_once("   ").map_or((line, ""), |(c, w)| (c, w.trim()));
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(command.trim()), roff(what)));
    }
    out
}

/// The lab every lesson runs in, as the doctor judges requirements.
pub fn lab_requirements() -> crate::doctor::Requirements {
    crate::doctor::Requirements { kinds: crate::run::session::LAB_KINDS.into_iter().collect(), mount_proc: true, ..Default::default() }
}

/// `nslab doctor`.
pub fn doctor(args: &crate::cli::DoctorArgs) -> Result<Exit, CmdError> {
    use crate::doctor::{Report, Settings, Sources};
    let lessons = match crate::catalog::load(&args.paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    use crate::lesson::tools;
    let probe = crate::run::sandbox::probe_all(Settings::read(&Sources::host()));
    let mut report = Report::new(probe, &lessons, lab_requirements());
    // The programs the lessons call: a lesson that calls a missing one cannot run.
    let dirs = tools::search_path(std::env::var("PATH").ok().as_deref());
    let inventory = tools::inventory(&lessons, &dirs);
    for (lesson, verdicts) in lessons.iter().zip(report.lessons.iter_mut()) {
        let missing = tools::missing(lesson, &dirs);
        let Some(first) = missing.first() else { continue };
        let reason = format!("it calls {}, missing here", missing.iter().map(tools::MissingTool::describe).collect::<Vec<_>>().join(", "));
        let fix = first.package.map(|(deb, _)| format!("sudo apt install {deb}"));
        for v in [&mut verdicts.as_root, &mut verdicts.rootless] {
            if *v == crate::doctor::Verdict::Runs {
                *v = crate::doctor::Verdict::Blocked { reason: reason.clone(), fix: fix.clone() };
            }
        }
    }
    let out = if args.json {
        let mut value: serde_json::Value = serde_json::from_str(&report.to_json()).map_err(|e| CmdError::Usage(e.to_string()))?;
        value["programs"] = serde_json::to_value(&inventory).map_err(|e| CmdError::Usage(e.to_string()))?;
        serde_json::to_string_pretty(&value).map_err(|e| CmdError::Usage(e.to_string()))? + "\n"
    } else {
        report.render(use_color(args.color)) + &tools::render_inventory(&inventory, use_color(args.color))
    };
    std::io::stdout().lock().write_all(out.as_bytes()).map_err(CmdError::Output)?;
    Ok(if report.exit_code() == 0 { Exit::Ok } else { Exit::CannotRun })
}

/// `nslab lesson-json`: the parsed lessons, as JSON.
pub fn lesson_json(paths: &[PathBuf]) -> Result<Exit, CmdError> {
    match crate::catalog::load(paths) {
        Ok(lessons) => {
            let text = serde_json::to_string_pretty(&lessons).map_err(|e| CmdError::Output(e.into()))?;
            println!("{text}");
            Ok(Exit::Ok)
        }
        Err(diags) => {
            print_diagnostics(&diags);
            Ok(Exit::Invalid)
        }
    }
}

/// `nslab serve`: prints the URL to open, serves until Ctrl-C.
pub fn serve(args: &crate::cli::ServeArgs) -> Result<Exit, CmdError> {
    use crate::serve::{self, ServeOptions};
    let opts = ServeOptions {
        book: args.book.clone(),
        port: args.port,
        lessons: args.lessons.clone(),
        idle: std::time::Duration::from_secs(args.idle_timeout.max(1)),
        max_sessions: serve::DEFAULT_MAX_SESSIONS,
        trust_book: args.trust_book,
        header_timeout: std::time::Duration::from_millis(args.header_timeout_ms.max(1)),
        max_connections: args.max_connections.max(1),
    };
    let announce = |url: &str| {
        println!("nslab serve: {}", crate::t!("serve-live-at", url = url));
        println!("  {}", crate::t!("serve-only-here"));
        let _ = std::io::stdout().flush();
    };
    match serve::serve(&opts, announce) {
        Ok(0) => Ok(Exit::Ok),
        Ok(code) => Ok(Exit::Status(code)),
        Err(serve::ServeError::Io { what, source }) => Err(CmdError::Io { what, source }),
        Err(e) => Err(CmdError::Invalid(e.to_string())),
    }
}

#[cfg(test)]
mod engine_tests {
    use super::*;

    #[test]
    fn id_maps_put_the_single_mapping_first_and_hole_the_blocks() {
        assert_eq!(id_map_lines(Some((0, 1000)), &[]), vec![(0, 1000, 1)]);
        assert_eq!(id_map_lines(None, &[(0, 100000, 65536)]), vec![(0, 100000, 65536)]);
        // No collision: both lines as given.
        assert_eq!(id_map_lines(Some((0, 1000)), &[(1, 100000, 10)]), vec![(0, 1000, 1), (1, 100000, 10)]);
        // Inner 0 is taken: the block starts one later on both sides, one shorter.
        assert_eq!(id_map_lines(Some((0, 0)), &[(0, 100000, 3)]), vec![(0, 0, 1), (1, 100001, 2)]);
        // Outer 100002 is taken: split around it.
        assert_eq!(id_map_lines(Some((5000, 100002)), &[(0, 100000, 5)]), vec![(5000, 100002, 1), (0, 100000, 2), (3, 100003, 2)]);
    }

    #[test]
    fn id_blocks_read_both_forms() {
        assert_eq!(parse_id_block("0:100000:10", true).unwrap(), vec![(0, 100000, 10)]);
        assert_eq!(parse_id_block("100000,0,10", true).unwrap(), vec![(0, 100000, 10)]);
        assert!(parse_id_block("1:2", true).is_err());
        assert!(parse_id_block("1:2:0", false).is_err());
    }

    #[test]
    fn signals_by_name_or_number() {
        assert_eq!(parse_signal("KILL").unwrap(), libc::SIGKILL);
        assert_eq!(parse_signal("sigterm").unwrap(), libc::SIGTERM);
        assert_eq!(parse_signal("2").unwrap(), libc::SIGINT);
        assert!(parse_signal("BOGUS").is_err());
    }
}
