//! The engine against the real kernel and against util-linux: `nslab unshare`,
//! `nslab nsenter` and `nslab lsns`, as root and as `nobody`. Every test checks
//! that it left no namespace, nsfs mount or process behind.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use support::{As, HostState, nslab, serial, sh, stderr, stdout};

const KINDS: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/// A script that prints `KIND INODE-LINK` for each of its own namespaces.
const SHOW_NS: &str = "for k in cgroup ipc mnt net pid time user uts; do echo $k $(readlink /proc/self/ns/$k); done";

fn parse_ns(text: &str) -> BTreeMap<String, String> {
    text.lines().filter_map(|l| l.split_once(' ')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn own_ns() -> BTreeMap<String, String> {
    parse_ns(&stdout(&sh(SHOW_NS)))
}

fn flag(kind: &str) -> &'static str {
    match kind {
        "cgroup" => "-C",
        "ipc" => "-i",
        "mnt" => "-m",
        "net" => "-n",
        "pid" => "-p",
        "time" => "-T",
        "user" => "-U",
        "uts" => "-u",
        _ => unreachable!(),
    }
}

/// `nslab unshare -X -f` changes X and nothing else, for each kind: as root
/// directly, and as nobody through -r (which adds the user namespace).
#[test]
fn unshare_changes_exactly_the_asked_kind() {
    let _guard = serial();
    if !support::require_root("unshare_changes_exactly_the_asked_kind") {
        return;
    }
    let before = HostState::now();
    let host = own_ns();
    assert_eq!(host.len(), 8, "all eight kinds readable: {host:?}");
    for who in As::BOTH {
        for kind in KINDS {
            let mut args = vec!["unshare", flag(kind), "-f"];
            if who == As::Nobody {
                args.push("-r");
            }
            args.extend(["--", "sh", "-c", SHOW_NS]);
            let out = nslab(who, &args);
            assert!(out.status.success(), "{who:?} {args:?}: {}", stderr(&out));
            let inside = parse_ns(&stdout(&out));
            for other in KINDS {
                let changed = inside[other] != host[other];
                let expected = other == kind || (who == As::Nobody && other == "user");
                assert_eq!(changed, expected, "{who:?} unshare {kind}: {other} changed={changed} ({inside:?})");
            }
        }
    }
    before.assert_restored("unshare");
}

/// Without -f, util-linux semantics: the program itself stays in the old pid
/// namespace and only its children enter the new one. (A time namespace is
/// entered on execve, so there the program is inside — util-linux agrees.)
#[test]
fn unshare_without_fork_leaves_pid_to_children() {
    let _guard = serial();
    if !support::require_root("unshare_without_fork_leaves_pid_to_children") {
        return;
    }
    let host = own_ns();
    for kind in ["pid", "time"] {
        // The readlink process is the program's first child; $$ is the program.
        let script = format!("readlink /proc/$$/ns/{kind} /proc/self/ns/{kind}");
        let changed = |out: &std::process::Output| -> Vec<bool> {
            assert!(out.status.success(), "{kind}: {}", stderr(out));
            stdout(out).lines().map(|l| l != host[kind]).collect()
        };
        let ours = changed(&nslab(As::Caller, &["unshare", flag(kind), "--", "sh", "-c", &script]));
        let reference = changed(&Command::new("unshare").args([flag(kind), "--", "sh", "-c", &script]).output().unwrap());
        assert_eq!(ours, reference, "{kind}: nslab and util-linux agree");
        let expected = if kind == "pid" { [false, true] } else { [true, true] };
        assert_eq!(ours, expected, "{kind}: (program changed, child changed)");
    }
}

/// The child's status passes through: its code, 127, 126, 128+N.
#[test]
fn exit_status_passes_through() {
    let _guard = serial();
    for who in As::BOTH {
        let r = if who == As::Nobody { "-r" } else { "-U" };
        let cases: [(&[&str], i32); 4] =
            [(&["sh", "-c", "exit 7"], 7), (&["/nonexistent/program"], 127), (&["/etc/hostname"], 126), (&["sh", "-c", "kill -TERM $$"], 128 + 15)];
        for (cmd, code) in cases {
            let mut args = vec!["unshare", r, "-f", "--"];
            args.extend(cmd);
            let out = nslab(who, &args);
            assert_eq!(out.status.code(), Some(code), "{who:?} {cmd:?}: {}", stderr(&out));
        }
        let out = nslab(who, &["unshare", r, "--", "no-such-program-anywhere"]);
        assert_eq!(stderr(&out).trim(), "nslab: no-such-program-anywhere: command not found");
    }
}

/// Rootless without -r: one line that says why and suggests -r.
#[test]
fn rootless_without_map_suggests_r() {
    let _guard = serial();
    let before = HostState::now();
    let out = nslab(As::Nobody, &["unshare", "-n", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("net") && err.contains("-r"), "{err}");
    let out = nslab(
        As::Nobody,
        &[
            "unshare",
            "-r",
            "-n",
            "-u",
            "-i",
            "-m",
            "-p",
            "-C",
            "-T",
            "-f",
            "--mount-proc",
            "--",
            "sh",
            "-c",
            "id -u; echo $$; hostname lab; hostname; ps -e -o pid= | wc -l",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).split_whitespace().collect::<Vec<_>>(), ["0", "1", "lab", "3"], "root, pid 1, own host name, /proc shows sh ps wc");
    before.assert_restored("rootless unshare");
}

/// As `nobody`, the user-namespace options print what util-linux's do (the
/// program without `--`, as learners type it).
#[test]
fn rootless_maps_match_util_linux() {
    let _guard = serial();
    let cases: [&[&str]; 7] = [
        &["unshare", "-r", "id", "-u"],
        &["unshare", "-c", "id", "-u"],
        &["unshare", "--map-user=1000", "--map-group=1000", "id"],
        &["unshare", "-U", "--map-user=0", "cat", "/proc/self/uid_map", "/proc/self/setgroups"],
        &["unshare", "-U", "--setgroups=deny", "cat", "/proc/self/setgroups"],
        &["unshare", "-r", "-u", "sh", "-c", "hostname lab; hostname"],
        &["unshare", "--map-user=1000", "--keep-caps", "grep", "CapAmb", "/proc/self/status"],
    ];
    for args in cases {
        let ours = nslab(As::Nobody, args);
        let theirs = support::command_as(As::Nobody, std::path::Path::new("/usr/bin/unshare"), &args[1..]).output().unwrap();
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}: {} / {}", stderr(&ours), stderr(&theirs));
        assert_eq!(stdout(&ours), stdout(&theirs), "{args:?}");
        assert_eq!(stderr(&ours), "", "{args:?}");
    }
}

/// nsenter joins the namespaces of a process, as util-linux nsenter does,
/// including a pid namespace (which needs a fork).
#[test]
fn nsenter_joins_like_util_linux() {
    let _guard = serial();
    if !support::require_root("nsenter_joins_like_util_linux") {
        return;
    }
    let before = HostState::now();
    let mut target = Command::new("unshare").args(["-u", "-n", "-i", "-p", "-f", "--kill-child", "sleep", "60"]).stdout(Stdio::null()).spawn().unwrap();
    let pid = wait_for_child_of(target.id());
    let theirs = parse_ns(&stdout(&sh(&format!("for k in cgroup ipc mnt net pid time user uts; do echo $k $(readlink /proc/{pid}/ns/$k); done"))));
    let pid_s = pid.to_string();
    for args in
        [vec!["nsenter", "-t", &pid_s, "-u", "-n", "-i", "-p", "--", "sh", "-c", SHOW_NS], vec!["nsenter", "-t", &pid_s, "-a", "--", "sh", "-c", SHOW_NS]]
    {
        let out = nslab(As::Caller, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let ours = parse_ns(&stdout(&out));
        let reference = Command::new("nsenter").args(&args[1..]).output().unwrap();
        assert_eq!(ours, parse_ns(&stdout(&reference)), "{args:?} agrees with util-linux");
        for k in ["uts", "net", "ipc", "pid"] {
            assert_eq!(ours[k], theirs[k], "{args:?}: joined {k}");
        }
    }
    // A pinned file works as a target too.
    let out = nslab(As::Caller, &["nsenter", &format!("--uts=/proc/{pid}/ns/uts"), "--", "readlink", "/proc/self/ns/uts"]);
    assert_eq!(stdout(&out).trim(), theirs["uts"]);
    target.kill().unwrap();
    target.wait().unwrap();
    before.assert_restored("nsenter");
}

fn wait_for_child_of(parent: u32) -> u32 {
    for _ in 0..200 {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
        if let Some(c) = children.split_whitespace().next() {
            return c.parse().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no child of {parent}");
}

/// Bad input: one line naming the thing and what was expected, exit 1 (as
/// util-linux), nothing left mounted or running.
#[test]
fn bad_input_is_one_clear_line() {
    let _guard = serial();
    let before = HostState::now();
    let cases: [(&[&str], &str); 9] = [
        (&["nsenter", "-t", "999999999", "-n", "--", "true"], "no process with pid 999999999"),
        (&["nsenter", "--net=/nonexistent/netns", "--", "true"], "/nonexistent/netns: no such file"),
        (&["nsenter", "--net=/etc/hostname", "--", "true"], "/etc/hostname: not a namespace file"),
        (&["nsenter", "--net=/proc/self/ns/uts", "--", "true"], "is a uts namespace, not net"),
        (&["lsns", "-t", "network"], "unknown namespace type: network"),
        (&["lsns", "-o", "NS,COLOUR"], "unknown column 'COLOUR'"),
        (&["lsns", "4026", "-p", "1"], "cannot be used with"),
        (&["unshare", "--propagation", "sideways", "true"], "unsupported propagation mode: sideways"),
        (&["unshare", "--persist", "net", "--", "true"], "expected KIND=PATH"),
    ];
    for (args, needle) in cases {
        let out = nslab(As::Caller, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        // The engine's own errors are one line; clap's usage errors say it on the first.
        let first = err.lines().next().unwrap_or_default();
        assert!(first.starts_with("nslab: ") && err.lines().count() == 1 || first.starts_with("error: "), "{args:?}: {err}");
        assert!(first.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    before.assert_restored("bad input");
}

fn listing(json: &[u8]) -> BTreeMap<u64, serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(json).expect("JSON");
    v["namespaces"].as_array().unwrap().iter().map(|n| (n["ns"].as_u64().unwrap(), n.clone())).collect()
}

/// util-linux's and nslab's `lsns -J -l`, one after the other, as `who`, in a
/// new pid namespace of this test's own holding a few processes in new
/// namespaces (one of them `nobody`'s): only what the test started is listed.
fn sandboxed_listings(who: As) -> (BTreeMap<u64, serde_json::Value>, BTreeMap<u64, serde_json::Value>) {
    let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups --";
    let run_as = if who == As::Nobody { nobody } else { "" };
    let nslab = support::nslab_path().display().to_string();
    let script = format!(
        "unshare -u -n sleep 100 & a=$!; {nobody} unshare -r -n -u sleep 100 & b=$!; \
         while [ \"$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$')\" -lt 2 ]; do :; done; \
         {run_as} lsns -J -l; echo ===; {run_as} {nslab} lsns -J -l; kill $a $b"
    );
    let out =
        Command::new("unshare").args(["--pid", "--mount", "--fork", "--mount-proc", "--kill-child", "sh", "-c", &script]).current_dir("/").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (theirs, ours) = text.split_once("===\n").expect("both listings");
    (listing(theirs.as_bytes()), listing(ours.as_bytes()))
}

/// `nslab lsns -J -l` agrees with util-linux `lsns -J -l` run just before it:
/// the same namespaces with processes (util-linux 2.38 lists no others), pid
/// and nprocs, and the same user and command.
#[test]
fn lsns_agrees_with_util_linux() {
    let _guard = serial();
    if !support::require_root("lsns_agrees_with_util_linux") {
        return;
    }
    for who in As::BOTH {
        let mut last = String::new();
        let agreed = (0..5).any(|_| {
            let (reference, mut ours) = sandboxed_listings(who);
            ours.retain(|_, n| n["nprocs"] != 0);
            let mut diffs = Vec::new();
            if ours.keys().ne(reference.keys()) {
                diffs.push(format!("namespaces: ours {:?} util-linux {:?}", ours.keys(), reference.keys()));
            }
            for (ns, r) in &reference {
                let Some(o) = ours.get(ns) else { continue };
                for key in ["type", "nprocs", "user"] {
                    if o[key] != r[key] {
                        diffs.push(format!("{ns} {key}: ours {} util-linux {}", o[key], r[key]));
                    }
                }
                // Where the lowest pid is the lister itself (as nobody it sees
                // little else), pid and command differ by nature.
                let lister = |v: &serde_json::Value| v["command"].as_str().is_some_and(|c| c.contains("lsns"));
                let keys: &[&str] = if lister(o) || lister(r) { &["pid", "command"] } else { &[] };
                for key in ["pid", "command"] {
                    if !keys.contains(&key) && o[key] != r[key] {
                        diffs.push(format!("{ns} {key}: ours {} util-linux {}", o[key], r[key]));
                    }
                }
            }
            last = diffs.join("\n");
            diffs.is_empty() && reference.len() > 2
        });
        assert!(agreed, "{who:?}: nslab lsns and util-linux lsns disagree:\n{last}");
    }
}

/// The default table matches util-linux's headings and columns; -t net adds
/// NETNSID and NSFS.
#[test]
fn lsns_default_columns_match_util_linux() {
    let _guard = serial();
    // As root, both list inside a pid and mount namespace of the test's own:
    // what other programs start and end meanwhile is not theirs to show.
    let own = |program: &str, args: &[&str]| {
        let mut c = if support::is_root() {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--mount", "--fork", "--mount-proc", "--kill-child", program]);
            c
        } else {
            Command::new(program)
        };
        stdout(&c.args(args).current_dir("/").output().unwrap())
    };
    let nslab_path = support::nslab_path().display().to_string();
    for args in [&["lsns"][..], &["lsns", "-t", "net"], &["lsns", "-o", "+PNS,ONS", "-l"], &["lsns", "--output-all", "-l"]] {
        let ours = own(&nslab_path, args);
        let reference = own("lsns", &args[1..]);
        let heads = |t: &str| t.lines().next().unwrap_or("").split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(heads(&ours), heads(&reference), "{args:?}");
    }
}

/// `sleep 60` in a new net namespace (by util-linux unshare): the process,
/// its namespace file, and the namespace's inode once it has moved there.
fn in_a_new_net_namespace() -> (std::process::Child, String, u64) {
    let mut child = Command::new("unshare").args(["-n", "sleep", "60"]).spawn().unwrap();
    let path = format!("/proc/{}/ns/net", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let ino = loop {
        let link = std::fs::read_link(&path).ok().map(|l| l.display().to_string());
        if let Some(link) = link.filter(|l| *l != own_ns()["net"]) {
            break link.trim_start_matches("net:[").trim_end_matches(']').parse::<u64>().ok();
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    match ino {
        Some(ino) => (child, path, ino),
        None => {
            // Never leave the sleeper behind, even when failing.
            let _ = child.kill();
            let _ = child.wait();
            panic!("unshare -n did not move its child into a new net namespace");
        }
    }
}

/// Namespaces held only by a bind mount (`--persist`, `ip netns add`) or only
/// by an open file descriptor are listed with NPROCS 0, and go when released.
/// Mounts are made in a private mount namespace so the host is never touched.
#[test]
fn lsns_finds_pinned_and_fd_held_namespaces() {
    let _guard = serial();
    if !support::require_root("lsns_finds_pinned_and_fd_held_namespaces") {
        return;
    }
    let before = HostState::now();
    let nslab_bin = support::nslab_path().display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let pin = dir.path().join("mynet");
    let netns = format!("nslab-test-{}", std::process::id());
    // In a private mount namespace: pin one net namespace with --persist and
    // make another with ip netns add; list; release both; list again.
    let script = format!(
        r#"set -e
        {nslab} unshare --persist net={pin} -- true
        ip netns add {netns}
        {nslab} lsns -J -l -t net -o NS,NPROCS,PID,NSFS,PATH
        echo ---
        umount {pin}
        ip netns delete {netns}
        {nslab} lsns -J -l -t net -o NS,NPROCS,NSFS
        "#,
        nslab = nslab_bin,
        pin = pin.display()
    );
    let out = Command::new("unshare").args(["-m", "--propagation", "private", "sh", "-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (held, released) = text.split_once("---\n").unwrap();
    let held = listing(held.as_bytes());
    let pinned: Vec<&serde_json::Value> = held.values().filter(|n| n["nprocs"] == 0).collect();
    assert_eq!(pinned.len(), 2, "two process-less net namespaces: {held:?}");
    let paths: Vec<&str> = pinned.iter().map(|n| n["nsfs"].as_str().unwrap()).collect();
    assert!(paths.contains(&pin.to_str().unwrap()), "{paths:?}");
    assert!(paths.contains(&format!("/run/netns/{netns}").as_str()), "{paths:?}");
    for n in &pinned {
        assert_eq!(n["pid"], serde_json::Value::Null);
        assert_eq!(n["path"], n["nsfs"], "a pinned namespace is opened through its mount");
    }
    let released = listing(released.as_bytes());
    for n in &pinned {
        assert!(!released.contains_key(&n["ns"].as_u64().unwrap()), "released namespace is gone: {released:?}");
    }

    // Held by an open descriptor only: this test process opens the namespace
    // file of a process, which then exits.
    let (mut holder, path, ino) = in_a_new_net_namespace();
    let file = std::fs::File::open(&path).unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();
    let listed = listing(&nslab(As::Caller, &["lsns", "-J", "-l", "-t", "net", "-o", "NS,NPROCS,PATH"]).stdout);
    let n = listed.get(&ino).unwrap_or_else(|| panic!("fd-held namespace {ino} listed: {listed:?}"));
    assert_eq!(n["nprocs"], 0);
    let via = n["path"].as_str().unwrap();
    assert!(via.starts_with(&format!("/proc/{}/fd/", std::process::id())), "{via}");
    drop(file);
    let listed = listing(&nslab(As::Caller, &["lsns", "-J", "-l", "-t", "net", "-o", "NS"]).stdout);
    assert!(!listed.contains_key(&ino), "closing the descriptor frees it");
    before.assert_restored("pinned namespaces");
}

/// A namespace file held past thousands of other descriptors is found too:
/// listing that process's descriptors takes more than one read of the
/// directory.
#[test]
fn lsns_finds_a_namespace_held_past_many_descriptors() {
    let _guard = serial();
    if !support::require_root("lsns_finds_a_namespace_held_past_many_descriptors") {
        return;
    }
    let before = HostState::now();
    let (mut owner, ns_path, ino) = in_a_new_net_namespace();
    const HIGH: i32 = 3000;
    let ns_c = std::ffi::CString::new(ns_path).unwrap();
    let mut holder = Command::new("sleep");
    holder.arg("60");
    // SAFETY: only async-signal-safe calls (setrlimit, open, dup2, close).
    unsafe {
        use std::os::unix::process::CommandExt;
        holder.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: 4096, rlim_max: 4096 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            for fd in 10..HIGH {
                libc::dup2(null, fd);
            }
            let ns = libc::open(ns_c.as_ptr(), libc::O_RDONLY);
            if null < 0 || ns < 0 || libc::dup2(ns, HIGH) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(ns);
            libc::close(null);
            Ok(())
        });
    }
    let mut holder = holder.spawn().unwrap();
    owner.kill().unwrap();
    owner.wait().unwrap();
    let listed = listing(&nslab(As::Caller, &["lsns", "-J", "-l", "-t", "net", "-o", "NS,NPROCS,PATH"]).stdout);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let n = listed.get(&ino).unwrap_or_else(|| panic!("namespace {ino} held at fd {HIGH} listed: {listed:?}"));
    assert_eq!(n["nprocs"], 0);
    assert_eq!(n["path"].as_str().unwrap(), format!("/proc/{}/fd/{HIGH}", holder.id()));
    before.assert_restored("a namespace held past many descriptors");
}

/// A failed --persist undoes the pins it made: no mount, no process. (In a
/// private mount namespace, so the host's mounts are never touched.)
#[test]
fn failed_persist_leaves_nothing() {
    let _guard = serial();
    if !support::require_root("failed_persist_leaves_nothing") {
        return;
    }
    let before = HostState::now();
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{nslab} unshare --persist=uts={d}/ok --persist=net={d}/missing-dir/x -- true; echo rc=$?; grep -c ' - nsfs ' /proc/self/mountinfo || true",
        nslab = support::nslab_path().display(),
        d = dir.path().display()
    );
    let out = Command::new("unshare").args(["-m", "--propagation", "private", "sh", "-c", &script]).output().unwrap();
    assert_eq!(stdout(&out).split_whitespace().collect::<Vec<_>>(), ["rc=1", "0"], "{}", stderr(&out));
    assert!(stderr(&out).contains("missing-dir/x"), "{}", stderr(&out));
    before.assert_restored("failed persist");
}
