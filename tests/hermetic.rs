//! The tests judge only what they started: other programs creating and
//! destroying namespaces and `sleep 300` processes on the same machine
//! (`tests/support/noise.sh`, which CI runs beside the whole suite) change
//! nothing a leak check looks at, while what a test starts is seen.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{HostState, MARK, ours_running, serial};

fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "waited 10 s for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn other_programs_namespaces_and_processes_are_not_ours() {
    let _guard = serial();
    let before = HostState::now();
    // Another program: not started the way the tests start their subjects,
    // and no descendant of this test (setsid -f leaves it to pid 1).
    let noise_sh = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/noise.sh");
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("noise.pid");
    let script = format!("echo $$ > {}; exec bash {noise_sh}", pidfile.display());
    let started = Command::new("setsid").args(["-f", "sh", "-c", &script]).env_remove(MARK).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
    assert!(started.success());
    eventually("the noise to say its pid", || std::fs::read_to_string(&pidfile).is_ok_and(|p| p.ends_with('\n')));
    let noise: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let noisy = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default().split_whitespace().count() >= 4;
    eventually("the noise to start its namespaces and sleeps", || noisy(noise));
    assert!(!ours_running("sleep 300"), "the noise's sleeps are not ours");
    before.assert_restored("nothing of ours, with noise beside");

    // What this test starts is seen, namespaces and all, until it is gone.
    let new_ns: &[&str] = if support::is_root() { &["unshare", "-n"] } else { &["unshare", "-r", "-n"] };
    let mut mine = Command::new(new_ns[0]).args(&new_ns[1..]).args(["sleep", "300"]).spawn().unwrap();
    eventually("our sleep 300 to be seen", || ours_running("sleep 300"));
    assert_ne!(HostState::now(), before, "a process of ours in a namespace of its own is a change");
    mine.kill().unwrap();
    mine.wait().unwrap();
    before.assert_restored("our own sleep, killed");

    // SAFETY: kill with the pid the noise wrote.
    unsafe { libc::kill(noise, libc::SIGTERM) };
    eventually("the noise to end what it started, and itself", || !std::path::Path::new(&format!("/proc/{noise}")).exists() || !noisy(noise));
}
