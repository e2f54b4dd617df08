//! The engine's library API, as the runner uses it: a long-lived process in new
//! namespaces, its view read back from /proc, a command run inside it, and the
//! caller's own namespaces never touched.

mod support;

use std::io::Read;
use std::time::Duration;

use nslab::ns::{Creation, JoinTarget, KindSet, NsKind, NsView, Spawn, Stdio};
use support::{HostState, serial};

fn kinds(list: &[NsKind]) -> KindSet {
    list.iter().copied().collect()
}

fn read_all(fd: std::os::fd::OwnedFd) -> String {
    let mut s = String::new();
    std::fs::File::from(fd).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn long_lived_process_and_commands_inside_it() {
    let _guard = serial();
    let before = HostState::now();
    let ours = NsView::of_self().unwrap();
    // Rootless callers need a user namespace of their own, with themselves as root.
    let new = if support::is_root() {
        kinds(&[NsKind::Uts, NsKind::Net, NsKind::Pid, NsKind::Time])
    } else {
        kinds(&[NsKind::User, NsKind::Uts, NsKind::Net, NsKind::Pid, NsKind::Time])
    };
    let mut spawn = Spawn::new("sleep");
    spawn.args(["60"]).new_namespaces(new, Creation::Clone).map_root(!support::is_root()).death_signal(libc::SIGKILL);
    spawn.stdio(Stdio::Null, Stdio::Null, Stdio::Null);
    let mut boxed = spawn.start().expect("start box");

    let view = boxed.view().unwrap();
    for kind in NsKind::ALL {
        let changed = view.get(kind) != ours.get(kind);
        assert_eq!(changed, new.contains(kind), "{kind}: changed={changed}");
    }

    // Run a command inside every namespace of the box (setns), capturing output.
    let mut run = Spawn::shell("hostname inside; hostname; echo $$; readlink /proc/self/ns/net");
    run.join_all_of(boxed.pid()).unwrap();
    run.stdio(Stdio::Null, Stdio::Piped, Stdio::Null);
    let mut cmd = run.start().expect("run inside");
    let out = read_all(cmd.stdout.take().unwrap());
    assert!(cmd.wait().unwrap().success());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "inside");
    assert_ne!(lines[1], "1", "a fresh pid in the box's pid namespace, where sleep is 1");
    assert!(lines[1].parse::<u32>().unwrap() < 100, "pid inside the box: {}", lines[1]);
    assert_eq!(lines[2], format!("net:[{}]", view.get(NsKind::Net).unwrap().ino));

    // The same through a namespace file.
    let mut by_file = Spawn::new("hostname");
    by_file.join([JoinTarget::File { path: format!("/proc/{}/ns/uts", boxed.pid()).into(), kind: Some(NsKind::Uts) }]);
    if !support::is_root() {
        by_file.join([JoinTarget::Process { pid: boxed.pid(), kind: NsKind::User }]);
    }
    by_file.stdio(Stdio::Null, Stdio::Piped, Stdio::Null);
    let mut c = by_file.start().unwrap();
    assert_eq!(read_all(c.stdout.take().unwrap()).trim(), "inside");
    c.wait().unwrap();

    // The caller never moved, and its host name is its own.
    assert_eq!(NsView::of_self().unwrap(), ours);
    assert_eq!(boxed.wait_timeout(Duration::from_millis(10)).unwrap(), None, "still running");
    drop(boxed);
    before.assert_restored("library API");
}

#[test]
fn unshare_mode_sends_pid_to_children_only() {
    let _guard = serial();
    let ours = NsView::of_self().unwrap();
    let mut new = kinds(&[NsKind::Pid]);
    if !support::is_root() {
        new.insert(NsKind::User);
    }
    let mut spawn = Spawn::shell("readlink /proc/$$/ns/pid /proc/self/ns/pid");
    spawn.new_namespaces(new, Creation::Unshare).map_root(!support::is_root());
    spawn.stdio(Stdio::Null, Stdio::Piped, Stdio::Null);
    let mut p = spawn.start().unwrap();
    let out = read_all(p.stdout.take().unwrap());
    p.wait().unwrap();
    let host = format!("pid:[{}]", ours.get(NsKind::Pid).unwrap().ino);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], host, "the unsharing process stays");
    assert_ne!(lines[1], host, "its child is in the new pid namespace");
}

#[test]
fn dropping_a_process_kills_and_reaps_it() {
    let _guard = serial();
    let before = HostState::now();
    let mut spawn = Spawn::new("sleep");
    spawn.args(["60"]);
    let p = spawn.start().unwrap();
    let pid = p.pid();
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(p);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "killed and reaped");
    before.assert_restored("drop");
}

/// The tests above, once more as `nobody` (when run as root): the library must
/// work rootless through a user namespace of its own.
#[test]
fn library_api_as_nobody() {
    let _guard = serial();
    if !support::is_root() {
        return; // this run already is the unprivileged one
    }
    let dir = tempfile::Builder::new().prefix("nslab-lib-").tempdir().unwrap();
    support::set_mode(dir.path(), 0o755);
    let exe = dir.path().join("library-tests");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    support::set_mode(&exe, 0o755);
    let out = support::command_as(
        support::As::Nobody,
        &exe,
        &["--test-threads=1", "long_lived_process_and_commands_inside_it", "unshare_mode_sends_pid_to_children_only", "dropping_a_process_kills_and_reaps_it"],
    )
    .env("NSLAB_TEST_BIN", support::nslab_path())
    .output()
    .unwrap();
    let text = support::stdout(&out);
    assert!(out.status.success() && text.contains("3 passed"), "{text}\n{}", support::stderr(&out));
}
