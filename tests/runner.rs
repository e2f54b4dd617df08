//! `nslab run` against the real kernel, with the lessons in
//! `tests/fixtures/run/`: as root and as `nobody`, each run checked for what it
//! left behind.

mod support;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use support::{As, HostState, command_as, nslab_path, serial, stderr, stdout};

/// Runs `nslab run ARGS` as `who`, with its progress kept in a private folder.
fn run_as(who: As, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = command_as(who, nslab_path(), &[&["run", "--color", "never"], args].concat());
    cmd.current_dir(dir).env("XDG_STATE_HOME", dir.join("state"));
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    support::wait_bounded(child, Duration::from_secs(60))
}

fn state_dir(dir: &Path) {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    support::set_mode(&state, 0o777);
}

#[test]
fn a_passing_lesson_exits_0_as_root_and_rootless() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let out = run_as(who, fixtures.path(), &["--yes", "pass.md"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{text}\n{}", stderr(&out));
        assert!(text.contains("fixture-pass: 9 passed, 0 failed, 0 skipped"), "{who:?}:\n{text}");
        before.assert_restored("a passing run");
    }
}

#[test]
fn a_wrong_expectation_exits_1_with_expected_and_observed() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let out = run_as(who, fixtures.path(), &["--yes", "wrong.md"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{who:?}:\n{text}");
        assert!(text.contains("✘ the net namespace of box differs from the lab's"), "{text}");
        assert!(text.contains("observed: box net is net:["), "{text}");
        assert!(text.contains("hint: only uts was asked for."), "{text}");
        assert!(text.contains("skipped: depends on box, which a failed step (start-a-box) was to set up"), "{text}");
        assert!(text.contains("✔ stdout is `independent`"), "a step that does not depend on the failure still runs:\n{text}");
        // --fail-fast stops at the first failure instead.
        let out = run_as(who, fixtures.path(), &["--yes", "--fail-fast", "wrong.md"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).contains("0 passed, 1 failed, 2 skipped"), "{}", stdout(&out));
        before.assert_restored("a failing run");
    }
}

#[test]
fn a_step_past_its_time_limit_is_killed_and_reported() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let started = Instant::now();
        let out = run_as(who, fixtures.path(), &["--yes", "timeout.md"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("│ started"), "what it printed so far is shown:\n{text}");
        assert!(text.contains("the command timed out after 0.5 s and was killed"), "{text}");
        // The daemon that keeps stdout open and the command that reads stdin
        // (it gets /dev/null) do not hang the run: both pass.
        assert!(text.contains("fixture-timeout: 2 passed, 1 failed"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(20), "the 30 s sleeps were not waited for");
        before.assert_restored("a timed-out run");
    }
}

#[test]
fn a_lesson_that_needs_more_exits_3_with_the_reason() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    for who in As::BOTH {
        let out = run_as(who, fixtures.path(), &["--yes", "needs-root.md"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(3), "{text}");
        let reason = if who.rootless() { "it needs root" } else { "it needs Linux 99.0 or later" };
        assert!(text.contains(&format!("fixture-needs-root: cannot run here: {reason}")), "{text}");
    }
}

/// A step with `needs: PROGRAM` is skipped where PROGRAM is not installed,
/// with the reason, and the rest of the lesson runs; without `needs:`, the
/// same missing program blocks the whole lesson (exit 3).
#[test]
fn a_step_that_needs_a_missing_program_is_skipped_with_the_reason() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let out = run_as(who, fixtures.path(), &["--yes", "needs-program.md"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{text}\n{}", stderr(&out));
        assert!(
            text.contains("skipped: it runs `nslab-fixture-no-such-program`, which is not installed here: install it to run this step"),
            "{who:?}:\n{text}"
        );
        assert!(text.contains("✔ stdout is `present`"), "{text}");
        assert!(text.contains("fixture-needs-program: 2 passed, 0 failed, 1 skipped"), "{text}");
        let out = run_as(who, fixtures.path(), &["--yes", "--format", "json", "needs-program.md"]);
        let skipped = stdout(&out).lines().find(|l| l.contains("\"step\":\"missing\"") && l.contains("step_skipped")).map(str::to_owned);
        let skipped = skipped.unwrap_or_else(|| panic!("no step_skipped event for `missing`:\n{}", stdout(&out)));
        assert!(skipped.contains("\"why\":\"program\"") && skipped.contains("\"name\":\"nslab-fixture-no-such-program\""), "{skipped}");
        before.assert_restored("a run with a skipped step");
    }
    // Without `needs:`, the program blocks the lesson.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixtures.path().join("needs-program.md")).unwrap().replace("needs: nslab-fixture-no-such-program\n", "");
    std::fs::write(dir.path().join("blocked.md"), text).unwrap();
    state_dir(dir.path());
    let out = run_as(As::Caller, dir.path(), &["--yes", "blocked.md"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("nslab-fixture-no-such-program (install it with your distribution's package manager) — needed by missing"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_invalid_lesson_exits_2_with_its_location() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.md"), "---\nid: bad\ntitle: Bad\n---\n\n```nslab\nstart box: warp\nexpect: box net same as host\n```\n").unwrap();
    let out = run_as(As::Caller, dir.path(), &["--yes", "bad.md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.md:7:12: error:"), "{}", stderr(&out));
    let out = run_as(As::Caller, dir.path(), &["--yes", "--timeout", "-1", "bad.md"]);
    assert_eq!(out.status.code(), Some(2), "a bad command line is 2 too");
}

/// Starts `nslab run --yes slow.md`, sends `signal` once the long step is
/// running, and returns how it ended: `Ok(exit code)` or `Err(signal)`.
fn interrupt(who: As, dir: &Path, signal: i32) -> Result<i32, i32> {
    let mut cmd = command_as(who, nslab_path(), &["run", "--yes", "--color", "never", "slow.md"]);
    cmd.current_dir(dir).env("XDG_STATE_HOME", dir.join("state")).stdout(Stdio::piped()).stderr(Stdio::null());
    let child = cmd.spawn().unwrap();
    // setpriv execs nslab, so the child's pid is nslab's. Wait until the lab's
    // `sleep 20` runs: the long step is under way.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !support::ours_running("sleep 20") {
        assert!(Instant::now() < deadline, "the long step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill with a valid pid and signal.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = support::wait_bounded(child, Duration::from_secs(30));
    use std::os::unix::process::ExitStatusExt;
    out.status.code().ok_or_else(|| out.status.signal().unwrap_or(0))
}

#[test]
fn interrupted_runs_tear_down_and_leave_nothing() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        // SIGINT and SIGTERM: caught, the lab torn down, then a real exit
        // with 128 + N; SIGKILL cannot be caught.
        for (signal, ended) in [(libc::SIGINT, Ok(130)), (libc::SIGTERM, Ok(143)), (libc::SIGKILL, Err(libc::SIGKILL))] {
            let got = interrupt(who, fixtures.path(), signal);
            assert_eq!(got, ended, "{who:?} signal {signal}");
            before.assert_restored(&format!("{who:?} run interrupted by signal {signal}"));
        }
    }
}

/// The redactions for snapshots: inode numbers, short ids, pids, times.
fn redact(text: &str) -> String {
    let rules = [
        (r"\b4026\d{6}\b", "[INO]"),
        (r#""(dev|ino|pid|duration_ms|overhead_us|elapsed_ms)":\d+"#, "\"$1\":0"),
        (r"(?m)\b\d{4}(\*?)( |$)", "####$1$2"),
        (r"(\d+\.\d) s\b", "N.N s"),
    ];
    let mut out = text.to_string();
    for (re, with) in rules {
        out = regex::Regex::new(re).unwrap().replace_all(&out, with).into_owned();
    }
    out
}

#[test]
fn reports_snapshot() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let human = run_as(As::Caller, fixtures.path(), &["--yes", "wrong.md"]);
    insta::assert_snapshot!("human_report", redact(&stdout(&human)));
    let json = run_as(As::Caller, fixtures.path(), &["--yes", "--format", "json", "wrong.md"]);
    let text = stdout(&json);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["event"].is_string());
    }
    insta::assert_snapshot!("json_events", redact(&text));
}

#[test]
fn junit_report_for_graders() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let report = fixtures.path().join("report.xml");
    let out = run_as(As::Caller, fixtures.path(), &["--yes", "--junit", report.to_str().unwrap(), "pass.md", "wrong.md"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(report).unwrap();
    assert!(xml.contains(r#"<testsuite name="fixture-pass" tests="9" failures="0" skipped="0""#), "{xml}");
    assert!(xml.contains(r#"<testsuite name="fixture-wrong" tests="3" failures="1" skipped="1""#), "{xml}");
    assert!(xml.contains("observed: box net is net:["), "{xml}");

    // A report that cannot be written is an error of its own, even when every step passed.
    let nowhere = fixtures.path().join("no-such-dir/report.xml");
    let out = run_as(As::Caller, fixtures.path(), &["--yes", "--junit", nowhere.to_str().unwrap(), "pass.md"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write the report"), "{}", stderr(&out));
    assert!(stdout(&out).contains("9 passed, 0 failed"), "the lesson itself ran: {}", stdout(&out));
}

#[test]
fn a_closed_output_pipe_is_an_error_not_a_pass() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    // Standard output is a pipe nobody reads: the first write fails (EPIPE).
    let (read_end, write_end) = nix::unistd::pipe().unwrap();
    drop(read_end);
    let mut cmd = command_as(As::Caller, nslab_path(), &["run", "--yes", "--format", "json", "pass.md"]);
    cmd.current_dir(fixtures.path()).env("XDG_STATE_HOME", fixtures.path().join("state"));
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::from(write_end)).stderr(Stdio::piped()).spawn().unwrap();
    let out = support::wait_bounded(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("writing output"), "{}", stderr(&out));
}

#[test]
fn progress_is_saved_listed_resumed_and_reset() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let dir = fixtures.path();
    let list = |args: &[&str]| {
        let mut cmd = command_as(As::Caller, nslab_path(), args);
        cmd.current_dir(dir).env("XDG_STATE_HOME", dir.join("state"));
        stdout(&cmd.output().unwrap())
    };
    assert!(list(&["list", "pass.md", "wrong.md"]).contains("fixture-wrong  not started"), "{}", list(&["list", "pass.md", "wrong.md"]));
    // --yes alone leaves progress alone; --save-progress records it.
    run_as(As::Caller, dir, &["--yes", "wrong.md"]);
    assert!(list(&["list", "pass.md", "wrong.md"]).contains("fixture-wrong  not started"));
    run_as(As::Caller, dir, &["--yes", "--save-progress", "wrong.md"]);
    let listed = list(&["list", "pass.md", "wrong.md"]);
    assert!(listed.contains("fixture-wrong  1/3 steps"), "{listed}");
    assert!(listed.contains("next: start-a-box"), "{listed}");
    run_as(As::Caller, dir, &["--yes", "--save-progress", "pass.md"]);
    assert!(list(&["list", "pass.md"]).contains("fixture-pass  done"));
    // --from replays the earlier steps quietly, so later ones find their state.
    let out = run_as(As::Caller, dir, &["--yes", "--from", "run-in-the-pin", "pass.md"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("[1/9]") && text.contains("[7/9] Run in the pin"), "{text}");
    list(&["reset", "fixture-pass"]);
    assert!(list(&["list", "pass.md"]).contains("fixture-pass  not started"));
}

#[test]
fn record_mode_rewrites_output_expectations() {
    let _guard = serial();
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("rec.md");
    std::fs::write(
        &lesson,
        "---\nid: rec\ntitle: Record\n---\n\n```nslab\nrun: echo one; echo two\nexpect: stdout: old\n```\n\n```nslab\nstart box: net\nexpect: box net differs from host\n```\n\n```nslab\nrun in box: readlink /proc/self/ns/net; echo kept\nexpect: stdout:\n| net:[[..]]\n| changed\n```\n",
    )
    .unwrap();
    let out = run_as(As::Caller, dir.path(), &["--yes", "--record", "rec.md"]);
    assert_eq!(out.status.code(), Some(0), "a successful recording exits 0:\n{}", stdout(&out));
    let text = std::fs::read_to_string(&lesson).unwrap();
    assert!(text.contains("expect: stdout:\n| one\n| two\n"), "{text}");
    assert!(text.contains("| net:[[..]]\n| kept\n"), "wildcards kept, no inode written:\n{text}");
    assert!(!regex::Regex::new(r"4026\d{6}").unwrap().is_match(&text));
    let again = run_as(As::Caller, dir.path(), &["--yes", "rec.md"]);
    assert_eq!(again.status.code(), Some(0), "the recorded lesson passes:\n{}", stdout(&again));
}

/// A learner at a real terminal: runs a step, asks for hints, skips, retries
/// a failure, goes on, and quits; the lab is gone afterwards.
#[test]
fn interactive_terminal_step_skip_hint_retry_quit() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let mut cmd = command_as(who, nslab_path(), &["run", "--color", "never", "interactive.md"]);
        cmd.current_dir(fixtures.path()).env("XDG_STATE_HOME", fixtures.path().join("state")).env("TERM", "xterm");
        let mut pty = support::Pty::spawn(cmd);
        let screen = pty.expect("[Enter] run", 20);
        // Without colour, emphasis is plain and inline code keeps its backticks.
        assert!(screen.contains("Some prose before the first step, with `inline code`."), "prose rendered without markup:\n{screen}");
        pty.send("\r");
        pty.expect("✔ the uts namespace of box differs from the lab's", 20);
        pty.expect("[Enter] run", 20);
        pty.send("h");
        pty.expect("hint: first hint", 20);
        pty.send("h");
        pty.expect("hint: second hint", 20);
        pty.send("s");
        pty.expect("skipped: skipped by the learner", 20);
        pty.expect("[Enter] run", 20);
        pty.send("\r");
        pty.expect("✘ stdout is `yes`", 20);
        pty.expect("[r] retry", 20);
        pty.send("h");
        pty.expect("hint: it says nope", 20);
        pty.send("r");
        pty.expect("✘ stdout is `yes`", 20);
        pty.expect("[r] retry", 20);
        pty.send("\r");
        pty.expect("Step 4 of 4", 20);
        pty.expect("Fourth", 20);
        pty.expect("[Enter] run", 20);
        pty.send("q");
        assert_eq!(pty.wait(20), Some(1), "{who:?}: a failed step makes the exit code 1");
        before.assert_restored("an interactive run");
    }
}

/// A learner at a terminal works the exercises: solves one in their shell,
/// fails one and takes a hint, views the solution and tries again, and quits
/// in the middle of the last; nothing is left behind.
#[test]
fn interactive_exercises_in_a_live_shell() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let mut cmd = command_as(who, nslab_path(), &["run", "--color", "never", "exercise.md"]);
        cmd.current_dir(fixtures.path()).env("XDG_STATE_HOME", fixtures.path().join("state")).env("TERM", "xterm").env("SHELL", "/bin/sh");
        let mut pty = support::Pty::spawn(cmd);
        pty.expect("[Enter] run", 20);
        pty.send("\r");
        pty.expect("✔ the net namespace of box differs", 20);
        // Exercise 1: solved in a nested shell.
        pty.expect("Your turn: put a shell in a new uts namespace", 20);
        pty.expect("[Enter] open the shell", 20);
        pty.send("\r");
        pty.expect("[nslab fixture-exercise", 20);
        pty.send("unshare -u sh\n");
        // The probe (`hostname`) runs in the shell's namespaces: a wrong name fails.
        pty.send("hostname nope; check\n");
        pty.expect("✘ stdout is `lab`", 20);
        pty.expect("stdout was:", 20);
        pty.expect("nope", 20);
        pty.send("hostname lab; check\n");
        pty.expect("✔ the uts namespace of your shell differs from the lab's", 20);
        pty.expect("✔ stdout is `lab`", 20);
        pty.expect("All of it holds", 20);
        pty.send("exit\n");
        pty.send("exit\n");
        pty.expect("Step 3 of 4", 20);
        pty.expect("Join the box", 20);
        // Exercise 2: a wrong try, a hint, the solution, then solved.
        pty.expect("[Enter] open the shell", 20);
        pty.send("\r");
        pty.expect("[nslab fixture-exercise", 20);
        pty.send("check\n");
        pty.expect("✘ the net namespace of your shell is the same as box's", 20);
        pty.send("exit\n");
        pty.expect("[v] view the solution", 20);
        pty.send("h");
        pty.expect("hint: your shell is not in the net namespace of box: nsenter -t $NSLAB_PID_BOX -n joins it", 20);
        pty.send("v");
        pty.expect("nsenter -t $NSLAB_PID_BOX -n sh -c check", 20);
        pty.send("r");
        pty.expect("[nslab fixture-exercise", 20);
        pty.send("nsenter -t $NSLAB_PID_BOX -n sh\n");
        pty.send("check\n");
        pty.expect("✔ the net namespace of your shell is the same as box's", 20);
        pty.send("exit\n");
        pty.send("exit\n");
        pty.expect("Step 4 of 4", 20);
        pty.expect("Keep one alive", 20);
        // Exercise 3: the learner leaves at once, then quits.
        pty.expect("[Enter] open the shell", 20);
        pty.send("\r");
        pty.expect("[nslab fixture-exercise", 20);
        pty.send("sleep 300 &\nexit\n");
        pty.expect("[v] view the solution", 20);
        pty.send("q");
        assert_eq!(pty.wait(20), Some(1), "{who:?}: the unsolved exercise failed");
        before.assert_restored(&format!("{who:?} interactive exercises"));
        assert!(!support::ours_running("sleep 300"), "the learner's background job was killed");
    }
}

/// zsh and fish take no PS1 from the environment; their exercise shells show
/// the lesson and step all the same, and `check` works in them.
#[test]
fn exercise_prompts_in_zsh_and_fish() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for (shell, who) in [("/usr/bin/zsh", As::Caller), ("/usr/bin/fish", As::Caller), ("/usr/bin/zsh", As::Nobody), ("/usr/bin/fish", As::Nobody)] {
        assert!(Path::new(shell).exists(), "{shell} is installed (.ci/run installs it)");
        let mut cmd = command_as(who, nslab_path(), &["run", "--color", "never", "exercise.md"]);
        cmd.current_dir(fixtures.path()).env("XDG_STATE_HOME", fixtures.path().join("state")).env("TERM", "xterm").env("SHELL", shell);
        let mut pty = support::Pty::spawn(cmd);
        pty.expect("[Enter] run", 20);
        pty.send("\r");
        pty.expect("[Enter] open the shell", 20);
        pty.send("\r");
        pty.expect("[nslab fixture-exercise · a-shell-with-a-host-name-of-its-own]", 20);
        pty.send("check\n");
        pty.expect("✘ the uts namespace of your shell differs from the lab's", 20);
        pty.send("exit\n");
        pty.expect("[v] view the solution", 20);
        pty.send("q");
        assert_eq!(pty.wait(20), Some(1), "{shell} as {who:?}");
        before.assert_restored(&format!("{shell} as {who:?}"));
    }
}

#[test]
fn exercises_run_their_solution_without_a_terminal_and_are_proven_fair() {
    let _guard = serial();
    let fixtures = support::fixtures("run");
    state_dir(fixtures.path());
    let before = HostState::now();
    for who in As::BOTH {
        let out = run_as(who, fixtures.path(), &["--yes", "exercise.md"]);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{}", stdout(&out));
        let mut cmd = command_as(who, nslab_path(), &["check", "--solutions", "--color", "never", "exercise.md"]);
        cmd.current_dir(fixtures.path());
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{}", stdout(&out));
        assert!(stdout(&out).trim_end().ends_with("3 exercises: 3 fair, 0 not"), "{}", stdout(&out));
        before.assert_restored("exercises");
    }
    // An exercise whose check holds whatever the learner does is not fair.
    let unfair = fixtures.path().join("unfair.md");
    std::fs::write(&unfair, "---\nid: unfair\ntitle: Unfair\n---\n\n```nslab exercise\ngoal: anything\nsolution: true\nexpect: host net same as host\n```\n")
        .unwrap();
    support::set_mode(&unfair, 0o644);
    let mut cmd = command_as(As::Caller, nslab_path(), &["check", "--solutions", "--color", "never", "unfair.md"]);
    cmd.current_dir(fixtures.path());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("it passes with nothing done"), "{}", stdout(&out));
    assert!(stdout(&out).trim_end().ends_with("1 exercise: 0 fair, 1 not"), "{}", stdout(&out));
}
