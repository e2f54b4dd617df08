//! The learner's terminal: what `nslab` does without a terminal, with
//! `--yes`, with a lesson id, on `reset`, and when a lesson calls a program
//! this machine lacks.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{As, command_as, nslab_path, stderr, stdout};
use unicode_width::UnicodeWidthStr;

/// A fresh home for one test: HOME and the XDG folders inside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::Builder::new().prefix("nslab-term-").tempdir().unwrap();
        support::set_mode(dir.path(), 0o755);
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn progress(&self) -> std::path::PathBuf {
        self.path().join("state/nslab/progress.json")
    }

    /// `nslab ARGS` with this home, no terminal, stdin empty.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command_as(As::Caller, nslab_path(), args);
        cmd.env("HOME", self.path())
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        support::wait_bounded(self.command(args).spawn().unwrap(), Duration::from_secs(60))
    }

    /// Writes a lesson file `name` with `text`, readable by anyone.
    fn lesson(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        support::set_mode(&path, 0o644);
        path
    }

    /// `nslab run WHAT` in a tmux window of 80×24 with this home; the status
    /// it exits with is written to the returned file.
    fn tmux_run(&self, what: &str) -> (Tmux, std::path::PathBuf) {
        let status = self.path().join("status");
        let command = format!(
            "env HOME={h} XDG_STATE_HOME={h}/state {nslab} run {what}; echo $? > {status}; sleep 60",
            h = self.path().display(),
            nslab = nslab_path().display(),
            status = status.display()
        );
        (Tmux::start(&command, 80, 24), status)
    }

    /// Writes a progress file with `text`, as an earlier session would have.
    fn seed_progress(&self, text: &str) {
        std::fs::create_dir_all(self.progress().parent().unwrap()).unwrap();
        std::fs::write(self.progress(), text).unwrap();
    }
}

const SEEDED: &str = r#"{"lessons":{"observe":{"passed":["lsns-types"],"finished":false}}}"#;

#[test]
fn without_a_terminal_nslab_says_how_and_exits_2_touching_no_progress() {
    let home = Home::new();
    home.seed_progress(SEEDED);
    // `nslab` with its output to a pipe and its input empty.
    let out = home.run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("nslab run --yes") && err.contains("--save-progress"), "{err}");
    assert!(stdout(&out).is_empty(), "no lesson ran: {}", stdout(&out));
    for args in [&["run"][..], &["run", "uts"], &["run", "--format", "json", "uts"]] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?} ran something: {}", stdout(&out));
    }
    assert_eq!(std::fs::read_to_string(home.progress()).unwrap(), SEEDED, "progress untouched");
}

#[test]
fn nslab_piped_into_cat_exits_2() {
    let home = Home::new();
    home.seed_progress(SEEDED);
    let out = support::wait_bounded(
        Command::new("bash")
            .args(["-c", "set -o pipefail; \"$0\" | cat"])
            .arg(nslab_path())
            .env("HOME", home.path())
            .env("XDG_STATE_HOME", home.path().join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(home.progress()).unwrap(), SEEDED, "progress untouched");
}

#[test]
fn run_by_id_with_yes_passes_and_keeps_progress_only_when_asked() {
    if !support::require_root("run_by_id_with_yes_passes_and_keeps_progress_only_when_asked") {
        return;
    }
    let _guard = support::serial();
    let home = Home::new();
    let out = home.run(&["run", "uts", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("(uts,"), "{}", stdout(&out));
    assert!(!home.progress().exists(), "--yes alone records nothing");
    let out = home.run(&["run", "03-uts", "--yes", "--save-progress"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let saved = std::fs::read_to_string(home.progress()).unwrap();
    assert!(saved.contains("\"uts\""), "{saved}");
    let out = home.run(&["run", "nosuch", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nosuch") && stderr(&out).contains("no built-in lesson"), "{}", stderr(&out));
}

#[test]
fn reset_refuses_unknown_ids_and_asks_before_forgetting_everything() {
    let home = Home::new();
    home.seed_progress(SEEDED);
    let out = home.run(&["reset", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nosuch"), "{}", stderr(&out));
    // No terminal to ask on: nothing is forgotten.
    let out = home.run(&["reset"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(home.progress()).unwrap(), SEEDED);
    // By file name, the built-in lesson's progress goes.
    let out = home.run(&["reset", "01-observe"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!std::fs::read_to_string(home.progress()).unwrap().contains("lsns-types"));
    home.seed_progress(SEEDED);
    let out = home.run(&["reset", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!std::fs::read_to_string(home.progress()).unwrap().contains("lsns-types"));
}

/// nslab runs in a mount namespace of this test's own (root only), where
/// `ping` is hidden behind a bind mount of /dev/null: no file to execute.
#[test]
fn a_lesson_calling_a_missing_program_is_skipped_with_its_package_named() {
    if !support::require_root("a_lesson_calling_a_missing_program_is_skipped_with_its_package_named") {
        return;
    }
    let _guard = support::serial();
    let home = Home::new();
    let lesson = home.path().join("pings.md");
    std::fs::write(
        &lesson,
        "---\nid: pings\ntitle: Pings\n---\n\n```nslab\nid: ping-self\nrun: ping -c 1 127.0.0.1 >/dev/null && echo ok\nexpect: status 0\n```\n",
    )
    .unwrap();
    let hide =
        "for p in $(command -v ping) /usr/bin/ping /bin/ping /usr/sbin/ping /sbin/ping; do [ -e \"$p\" ] && mount --bind /dev/null \"$p\"; done; exec \"$@\"";
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", hide, "sh"])
        .arg(nslab_path())
        .args(["run", "--yes", "--color", "never"])
        .arg(&lesson)
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = support::wait_bounded(cmd.spawn().unwrap(), Duration::from_secs(60));
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(text.contains("ping") && text.contains("iputils-ping") && text.contains("iputils"), "{text}");
    assert!(!text.contains("ok\n"), "the step did not run: {text}");
    // The doctor names it too, for the shipped lessons that call it.
    let mut doctor = Command::new("unshare");
    doctor.args(["--mount", "--propagation", "private", "sh", "-c", hide, "sh"]).arg(nslab_path()).args(["doctor", "--json"]);
    let out = support::wait_bounded(doctor.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(3), "a lesson cannot run here: {}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ping = report["programs"].as_array().unwrap().iter().find(|p| p["program"] == "ping").expect("ping is listed").clone();
    assert_eq!(ping["path"], serde_json::Value::Null, "{ping}");
    assert_eq!((ping["debian"].as_str(), ping["fedora"].as_str()), (Some("iputils-ping"), Some("iputils")));
    assert!(ping["lessons"].as_array().unwrap().iter().any(|l| l == "net"), "{ping}");
    let net = report["lessons"].as_array().unwrap().iter().find(|l| l["id"] == "net").unwrap().clone();
    assert!(net.to_string().contains("it calls ping"), "{net}");
    // With ping where it belongs, the same lesson runs.
    let out = home.run(&["run", "--yes", lesson.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

// ---------------------------------------------------------------------------
// The learner's terminal, driven in tmux like a learner would.
// ---------------------------------------------------------------------------

/// A tmux server of this test's own (`tmux -S` on a socket in a folder of
/// the test's, removed with it: no other tmux server is ever touched, and no
/// socket is left behind), with one window of `cols`×`rows` running
/// `command` through `sh -c`.
struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(command: &str, cols: u16, rows: u16) -> Tmux {
        let dir = tempfile::Builder::new().prefix("nslab-test-tmux-").tempdir().unwrap();
        let t = Tmux { dir };
        let (c, r) = (cols.to_string(), rows.to_string());
        let out = t.tmux(&["-f", "/dev/null", "new-session", "-d", "-x", &c, "-y", &r, "-s", "t", command]);
        assert!(out.status.success(), "tmux: {}", stderr(&out));
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-S").arg(self.dir.path().join("socket")).args(args).env_remove("TMUX").output().expect("tmux runs (.ci/run installs it)")
    }

    /// The screen, as text.
    fn screen(&self) -> String {
        stdout(&self.tmux(&["capture-pane", "-p", "-t", "t"]))
    }

    fn send(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }

    /// Presses `key` at `screen` and waits until nslab has answered it (the
    /// screen changed), so that no key is pressed twice.
    fn press(&self, key: &str, screen: &str) {
        self.send(key);
        self.wait(&format!("an answer to {key}"), 30, |s| s != screen);
    }

    /// The pid of the program running in the window.
    fn pane_pid(&self) -> i32 {
        stdout(&self.tmux(&["display", "-p", "-t", "t", "#{pane_pid}"])).trim().parse().unwrap()
    }

    /// Waits until the screen satisfies `done`, at most `secs` seconds.
    fn wait(&self, what: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(std::time::Instant::now() < deadline, "waited {secs} s for {what}; the screen shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The last line of the screen with text on it.
fn last_line(screen: &str) -> &str {
    screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// What the screen waits for, judged by its last line.
#[derive(Debug, PartialEq)]
enum Waiting {
    More,
    Step(usize),
    Other,
}

fn waiting(screen: &str) -> Waiting {
    let last = last_line(screen);
    if last.contains("more: Space or Enter") {
        return Waiting::More;
    }
    if last.starts_with("[Enter] run") || last.starts_with("[Enter] open the shell") {
        // The card's head: "── Step N of M ──".
        if let Some(n) = screen.lines().rev().find_map(|l| l.strip_prefix("── Step ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()))
        {
            return Waiting::Step(n);
        }
    }
    Waiting::Other
}

/// Every process descending from `root` (itself included), by /proc.
fn descendants(root: i32) -> Vec<i32> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        if let Some(ppid) = stat_field(pid, 1).and_then(|p| p.parse::<i32>().ok()) {
            parent.insert(pid, ppid);
        }
    }
    let mut found = vec![root];
    loop {
        let more: Vec<i32> = parent.iter().filter(|(p, pp)| found.contains(pp) && !found.contains(p)).map(|(p, _)| *p).collect();
        if more.is_empty() {
            return found;
        }
        found.extend(more);
    }
}

/// Field `n` after the command of /proc/PID/stat (0: state, 1: ppid).
fn stat_field(pid: i32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(n).map(str::to_string)
}

/// True while `pid` runs (a zombie has ended; only its parent has not looked yet).
fn alive(pid: i32) -> bool {
    stat_field(pid, 0).is_some_and(|s| s != "Z")
}

/// The namespaces of `pids`: `KIND:[INODE]` with the namespace's serial
/// (Linux 6.11 and later; inode numbers of freed namespaces are reused at
/// once, serials never are).
fn namespaces_of(pids: &[i32]) -> std::collections::BTreeMap<String, Option<u64>> {
    let mut out = std::collections::BTreeMap::new();
    for pid in pids {
        for kind in ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"] {
            let path = std::path::PathBuf::from(format!("/proc/{pid}/ns/{kind}"));
            if let Ok(link) = std::fs::read_link(&path) {
                out.insert(link.to_string_lossy().into_owned(), nslab::ns::sys::ns_serial_of(&path));
            }
        }
    }
    out
}

/// Which of `ours` is still alive anywhere: in a process's namespaces (the
/// same serial, where the kernel has serials) or held by an nsfs mount here.
fn still_alive(ours: &std::collections::BTreeMap<String, Option<u64>>) -> Vec<String> {
    let pids: Vec<i32> = std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_string_lossy().parse().ok()).collect();
    let now = namespaces_of(&pids);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    ours.iter()
        .filter(|(link, serial)| {
            let held = now.get(*link).is_some_and(|s| serial.is_none() || s.is_none() || s == *serial);
            held || mounts.lines().any(|l| l.contains(" nsfs ") && l.contains(link.as_str()))
        })
        .map(|(link, _)| link.clone())
        .collect()
}

/// The built-in lesson 1, as nslab has it.
fn lesson_one() -> nslab::lesson::Lesson {
    nslab::catalog::builtin().unwrap().into_iter().find(|l| l.meta.id == "observe").unwrap()
}

/// Drives `nslab` through lesson 1 from a fresh state at 80×24: reads every
/// screen, steps back once with `b`, and goes to the end.
#[test]
fn lesson_one_at_80x24_reads_well_and_steps_back() {
    let _guard = support::serial();
    let home = Home::new();
    let lesson = lesson_one();
    let words: std::collections::HashSet<String> =
        lesson.source.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string()).collect();
    let command = format!(
        "env HOME={h} XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data {nslab}; echo EXIT=$?; sleep 60",
        h = home.path().display(),
        nslab = nslab_path().display()
    );
    let tmux = Tmux::start(&command, 80, 24);
    let mut screens: Vec<String> = Vec::new();
    let mut went_back = false;
    let mut prompts = std::collections::BTreeSet::new();
    // The last step whose prompt was answered: its prompt stays the last line
    // for a while (the spinner comes and goes under it), and must not be
    // answered twice.
    let mut answered: Option<usize> = None;
    let end = loop {
        let screen = tmux.wait("a prompt or the end", 30, |s| {
            let w = waiting(s);
            (w != Waiting::Other && answered.is_none_or(|n| w != Waiting::Step(n))) || last_line(s).contains("[Enter] start it")
        });
        screens.push(screen.clone());
        if last_line(&screen).contains("[Enter] start it") {
            // The next lesson is named; stop here.
            assert!(screen.contains("Next: Programming the API"), "{screen}");
            tmux.send("q");
            let exit = tmux.wait("nslab's exit", 10, |s| s.contains("EXIT="));
            break format!("{screen}\n{exit}");
        }
        match waiting(&screen) {
            Waiting::More => tmux.press("Space", &screen),
            Waiting::Step(n) => {
                // The command and the checks, in words, are on screen at the prompt.
                let step = &lesson.steps[n - 1];
                let shown = match &step.action.value {
                    nslab::lesson::Action::Run { command, .. } => format!("$ {}", &command[..command.len().min(30)]),
                    other => other.to_string(),
                };
                assert!(screen.contains(&shown), "step {n}: {shown:?} is not on screen at its prompt:\n{screen}");
                assert!(screen.contains("then nslab checks that"), "step {n}: no checks at the prompt:\n{screen}");
                if let Some(e) = step.expectations.last() {
                    let words = e.value.describe();
                    let tail = words.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
                    if !matches!(e.value, nslab::lesson::Expectation::Output { .. }) {
                        assert!(screen.contains(&tail), "step {n}: the check {words:?} is not on screen:\n{screen}");
                    }
                }
                prompts.insert(n);
                answered = Some(n);
                // Step 7 starts box; at step 8, go back to it.
                if n == 8 && !went_back {
                    went_back = true;
                    tmux.press("b", &screen);
                    // Back to step 7, in a fresh lab where box does not exist yet.
                    let back = tmux.wait("step 7 again", 30, |s| waiting(s) == Waiting::Step(7));
                    assert!(back.contains("↺"), "{back}");
                    tmux.press("Enter", &back);
                    let ran = tmux.wait("step 7's result", 30, |s| s.contains("✔ the pid namespace of box is the same as the lab's"));
                    assert!(ran.contains("✔ the uts namespace of box differs from the lab's"), "box started afresh:\n{ran}");
                    assert!(!ran.contains("✘"), "{ran}");
                    let picture = ran.lines().find(|l| l.starts_with("box ")).unwrap_or_default().to_string();
                    assert!(picture.contains("A*") && picture.contains("B*"), "the step made box's namespaces:\n{ran}");
                    answered = Some(7);
                    continue;
                }
                if last_line(&screen).starts_with("[Enter] open the shell") {
                    // An exercise: the learner's shell, on the terminal nslab
                    // relays. Solve it by typing, check, and leave the shell.
                    let solution = step.exercise.as_ref().map(|e| e.solution.clone()).unwrap_or_default();
                    tmux.press("Enter", &screen);
                    let prompt = format!("[nslab observe · {}]", step.id);
                    let shell = tmux.wait("the shell's prompt", 30, |s| last_line(s).starts_with(&prompt));
                    tmux.send(&solution);
                    tmux.press("Enter", &shell);
                    let checked = tmux.wait("check's answer", 30, |s| s.matches(&prompt).count() >= 2 && last_line(s).starts_with(&prompt));
                    assert!(!checked.contains("✘"), "the solution, typed in the relayed shell, passes check:\n{checked}");
                    tmux.send("exit");
                    tmux.send("Enter");
                    continue;
                }
                tmux.press("Enter", &screen);
            }
            Waiting::Other => unreachable!(),
        }
    };
    assert!(went_back, "step 8 was reached");
    assert_eq!(prompts.len(), lesson.steps.len(), "every step had its prompt: {prompts:?}");
    assert!(end.contains("EXIT=0"), "the lesson passed:\n{end}");
    let all = screens.join("\n");
    // The table of kinds: one row per kind, its flag on the same line.
    for (kind, flag) in [
        ("mnt", "CLONE_NEWNS"),
        ("uts", "CLONE_NEWUTS"),
        ("ipc", "CLONE_NEWIPC"),
        ("pid", "CLONE_NEWPID"),
        ("net", "CLONE_NEWNET"),
        ("user", "CLONE_NEWUSER"),
        ("cgroup", "CLONE_NEWCGROUP"),
        ("time", "CLONE_NEWTIME"),
    ] {
        let row = all.lines().find(|l| l.split_whitespace().next() == Some(kind) && l.contains('│'));
        assert!(row.is_some_and(|r| r.contains(flag)), "no row of the table with {kind} and {flag}:\n{all}");
    }
    // No word cut at the edge: a line that fills the width and runs on into
    // the next one is the terminal's wrap, not nslab's.
    for screen in &screens {
        let lines: Vec<&str> = screen.lines().collect();
        for pair in lines.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let full = a.width() >= 80;
            let runs_on = a.chars().last().is_some_and(char::is_alphanumeric) && b.chars().next().is_some_and(char::is_alphanumeric);
            if full && runs_on {
                let x = a.split_whitespace().last().unwrap_or("");
                let y = b.split_whitespace().next().unwrap_or("");
                let whole = |w: &str| words.contains(w.trim_matches(|c: char| !c.is_alphanumeric()));
                assert!(whole(x) && whole(y), "a word is cut at the edge: {x:?} / {y:?}\n{screen}");
            }
        }
    }
    // The lesson ends with its "What you learned", then the summary.
    let learned = end.find("What you learned").unwrap_or_else(|| panic!("no 'What you learned' at the end:\n{end}"));
    let closing = end.find("usual last holder").expect("the last words of the lesson");
    let summary = end.find("12 passed, 0 failed, 0 skipped").expect("the summary");
    assert!(learned < closing && closing < summary, "{end}");
    let saved = std::fs::read_to_string(home.progress()).unwrap();
    assert!(saved.contains("observe"), "the lesson is recorded as done: {saved}");
}

/// Closing the terminal (here: killing the tmux session, or SIGHUP) in the
/// middle of a lesson ends nslab: a second later no process it started, no
/// lab and no namespace of the lesson is left. SIGTERM ends it the same way.
#[test]
fn a_closed_terminal_leaves_nothing_behind() {
    let _guard = support::serial();
    let cases = [(As::Caller, "kill the session"), (As::Caller, "SIGHUP"), (As::Caller, "SIGTERM"), (As::Nobody, "kill the session"), (As::Nobody, "SIGHUP")];
    for (who, how) in cases {
        let home = Home::new();
        support::set_mode(home.path(), 0o777);
        let status = home.path().join("status");
        // `exec`: the window's program is nslab itself (for the signals, the
        // status it exits with is written by a waiting shell). As nobody,
        // setpriv execs nslab: the pid stays the same.
        let user = if who == As::Nobody { "setpriv --reuid=65534 --regid=65534 --clear-groups -- " } else { "" };
        let run = format!("env HOME={h} XDG_STATE_HOME={h}/state {user}{nslab} run observe", h = home.path().display(), nslab = nslab_path().display());
        let how = &*format!("{how}{}", if who == As::Nobody { " (as nobody)" } else { "" });
        let command = if how.starts_with("kill") { format!("exec {run}") } else { format!("{run}; echo $? > {}; sleep 60", status.display()) };
        let tmux = Tmux::start(&command, 80, 24);
        // Into step 8: box runs in namespaces of its own.
        let mut answered = 0;
        loop {
            let screen = tmux.wait("a prompt", 30, |s| !matches!(waiting(s), Waiting::Other) && waiting(s) != Waiting::Step(answered));
            match waiting(&screen) {
                Waiting::Step(8) => break,
                Waiting::More => tmux.press("Space", &screen),
                Waiting::Step(n) => {
                    answered = n;
                    tmux.press("Enter", &screen);
                }
                Waiting::Other => unreachable!(),
            }
        }
        let pane = tmux.pane_pid();
        let ours = descendants(pane);
        let nslab: Vec<i32> = ours.iter().copied().filter(|&p| p != pane || how.starts_with("kill")).collect();
        let mine = namespaces_of(&[std::process::id() as i32]);
        let lab_namespaces: std::collections::BTreeMap<String, Option<u64>> =
            namespaces_of(&ours).into_iter().filter(|(link, _)| !mine.contains_key(link)).collect();
        assert!(nslab.len() >= 3, "nslab, its worker, the lab's init and box: {ours:?}");
        assert!(lab_namespaces.keys().any(|n| n.starts_with("uts:")), "box's uts namespace: {lab_namespaces:?}");
        // The check below sees them while the lesson runs.
        assert_eq!(still_alive(&lab_namespaces).len(), lab_namespaces.len());
        let started = std::time::Instant::now();
        let signal = if how.starts_with("SIGHUP") {
            libc::SIGHUP
        } else if how.starts_with("SIGTERM") {
            libc::SIGTERM
        } else {
            0
        };
        if signal == 0 {
            tmux.tmux(&["kill-session", "-t", "t"]);
        } else {
            let coordinator = ours.iter().copied().find(|&p| stat_field(p, 1).is_some_and(|pp| pp == pane.to_string())).unwrap();
            // SAFETY: signals a process this test started.
            unsafe { libc::kill(coordinator, signal) };
        }
        while nslab.iter().any(|&p| alive(p)) && started.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let left: Vec<i32> = nslab.iter().copied().filter(|&p| alive(p)).collect();
        assert!(left.is_empty(), "{how}: still running a second later: {left:?}");
        let kept = still_alive(&lab_namespaces);
        assert!(kept.is_empty(), "{how}: the lesson's namespaces outlived it: {kept:?}");
        if signal != 0 {
            let code = std::fs::read_to_string(&status).unwrap_or_default();
            assert_eq!(code.trim(), (128 + signal).to_string(), "{how}: nslab's exit status");
        }
    }
}

/// A slow step shows a spinner with its time; Ctrl-C stops it, says
/// "interrupted" and offers retry, skip or quit; skipping goes on with the
/// lesson, and quitting after Ctrl-C at a prompt exits 130.
#[test]
fn ctrl_c_in_a_step_offers_retry_skip_quit() {
    let _guard = support::serial();
    let home = Home::new();
    let lesson = home.lesson(
        "slow.md",
        "---\nid: slow\ntitle: Slow\n---\n\nA slow step.\n\n```nslab\nid: nap\nrun: sleep 20\nexpect: status 0\n```\n\nThen a quick one.\n\n```nslab\nid: quick\nrun: echo done\nexpect: stdout: done\n```\n",
    );
    let (tmux, status) = home.tmux_run(&lesson.display().to_string());
    let screen = tmux.wait("step 1", 30, |s| waiting(s) == Waiting::Step(1));
    tmux.press("Enter", &screen);
    let spinning = tmux.wait("the spinner", 10, |s| s.contains("running 0.") || s.contains("running 1."));
    assert!(spinning.contains("(Ctrl-C stops it)"), "{spinning}");
    tmux.send("C-c");
    let asked = tmux.wait("the question after Ctrl-C", 10, |s| last_line(s).contains("[r] retry"));
    assert!(asked.contains("interrupted: step 1 stopped by Ctrl-C"), "{asked}");
    assert!(!asked.contains("SIGKILL") && !asked.contains("signal 9"), "{asked}");
    tmux.press("s", &asked);
    let next = tmux.wait("step 2", 10, |s| waiting(s) == Waiting::Step(2));
    tmux.press("Enter", &next);
    let done = tmux.wait("step 2's result and the summary", 10, |s| s.contains("✔ stdout is `done`") && s.contains("the end"));
    assert!(done.contains("1 passed, 1 failed, 0 skipped"), "the interrupted step is not passed:\n{done}");
    let code = std::fs::read_to_string(&status);
    let started = std::time::Instant::now();
    let code = loop {
        match std::fs::read_to_string(&status) {
            Ok(c) if !c.is_empty() => break c,
            _ if started.elapsed() > Duration::from_secs(10) => panic!("nslab did not exit: {code:?}\n{}", tmux.screen()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(code.trim(), "1", "the interrupted step counts as not passed");
    // Ctrl-C at a prompt leaves nslab: 130.
    std::fs::remove_file(&status).unwrap();
    drop(tmux);
    let (tmux, status) = home.tmux_run(&lesson.display().to_string());
    tmux.wait("step 1", 30, |s| waiting(s) == Waiting::Step(1));
    tmux.send("C-c");
    let started = std::time::Instant::now();
    let code = loop {
        match std::fs::read_to_string(&status) {
            Ok(c) if !c.is_empty() => break c,
            _ if started.elapsed() > Duration::from_secs(10) => panic!("nslab did not exit after Ctrl-C:\n{}", tmux.screen()),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(code.trim(), "130");
}

/// `?` shows the keys and `l` the steps; skipping a step that a later one
/// needs is named at that step, with an offer to run it now, quietly.
#[test]
fn a_skipped_setup_step_is_offered_when_needed() {
    let _guard = support::serial();
    let home = Home::new();
    let lesson = home.lesson(
        "needs.md",
        "---\nid: needs\ntitle: Needs\n---\n\nFirst a box.\n\n```nslab\nid: start-box\nstart box: uts\nexpect: box uts differs from host\n```\n\nThen inside it.\n\n```nslab\nid: in-box\nrun in box: hostname inside && hostname\nexpect: stdout: inside\n```\n",
    );
    let (tmux, status) = home.tmux_run(&lesson.display().to_string());
    let screen = tmux.wait("step 1", 30, |s| waiting(s) == Waiting::Step(1));
    tmux.press("?", &screen);
    let help = tmux.wait("the keys", 10, |s| s.contains("back one step"));
    assert!(help.contains("go to a step by number or id") && help.contains("(exit 130)"), "{help}");
    tmux.press("l", &help);
    let list = tmux.wait("the list", 10, |s| s.contains("(in-box)"));
    assert!(list.contains("▶· 1 start-box") && list.contains(" · 2 in-box"), "{list}");
    tmux.press("s", &list);
    let offer = tmux.wait("the offer", 10, |s| last_line(s).contains("[Enter] run start-box first"));
    assert!(offer.contains("step 2 (in-box) depends on box, which step start-box sets up"), "{offer}");
    tmux.press("Enter", &offer);
    let ran = tmux.wait("step 2's prompt", 20, |s| waiting(s) == Waiting::Step(2));
    assert!(ran.contains("✔ ran step 1 (start-box)"), "{ran}");
    tmux.press("Enter", &ran);
    let done = tmux.wait("the end", 20, |s| s.contains("the end") && s.contains(" skipped, in "));
    assert!(done.contains("✔ stdout is `inside`") && done.contains("2 passed, 0 failed, 0 skipped"), "{done}");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&status).unwrap_or_default().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "nslab did not exit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
}

/// `g` goes to a step of the lesson (a fresh lab, the steps before it
/// replayed quietly) or to another lesson by its id.
#[test]
fn g_goes_to_a_step_or_a_lesson() {
    let _guard = support::serial();
    let home = Home::new();
    let (tmux, status) = home.tmux_run("uts");
    let mut screen = tmux.wait("a prompt", 30, |s| waiting(s) != Waiting::Other);
    while waiting(&screen) == Waiting::More {
        tmux.press("Space", &screen);
        screen = tmux.wait("a prompt", 30, |s| waiting(s) != Waiting::Other);
    }
    assert_eq!(waiting(&screen), Waiting::Step(1), "{screen}");
    tmux.press("g", &screen);
    tmux.send("3");
    let asked = tmux.wait("the question", 10, |s| s.contains("go to step") && last_line(s).ends_with('3'));
    tmux.press("Enter", &asked);
    let mut screen = tmux.wait("step 3", 30, |s| waiting(s) != Waiting::Other && s.contains("↺"));
    while waiting(&screen) == Waiting::More {
        tmux.press("Space", &screen);
        screen = tmux.wait("a prompt", 30, |s| waiting(s) != Waiting::Other);
    }
    assert_eq!(waiting(&screen), Waiting::Step(3), "{screen}");
    tmux.press("g", &screen);
    tmux.send("observe");
    let asked = tmux.wait("the question", 10, |s| last_line(s).ends_with("observe"));
    tmux.press("Enter", &asked);
    let next = tmux.wait("the next lesson", 20, |s| last_line(s).contains("[Enter] start it"));
    assert!(next.contains("Next: Observing namespaces (observe)"), "{next}");
    tmux.press("Enter", &next);
    tmux.wait("lesson 1", 20, |s| s.contains("Observing namespaces  (observe, 12 steps)"));
    let mut screen = tmux.wait("a prompt", 30, |s| waiting(s) != Waiting::Other);
    while waiting(&screen) == Waiting::More {
        tmux.press("Space", &screen);
        screen = tmux.wait("a prompt", 30, |s| waiting(s) != Waiting::Other);
    }
    assert_eq!(waiting(&screen), Waiting::Step(1), "{screen}");
    tmux.send("q");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&status).unwrap_or_default().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "nslab did not exit:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
}

/// On a busy machine (more than 512 processes, as a learner's desktop has)
/// the lsns scan uses threads; a lesson's worker cannot start any (it has
/// unshared a pid namespace), and the scan must still be made, not panic.
#[test]
fn lsns_expectations_hold_on_a_busy_machine() {
    let _guard = support::serial();
    let home = Home::new();
    let lesson = home.path().join("busy.md");
    std::fs::write(
        &lesson,
        "---\nid: busy\ntitle: Busy\n---\n\n```nslab\nid: start-box\nstart box: uts\nsave box uts as @u\nexpect: box uts in lsns\n```\n\n```nslab\nid: stop-box\nstop box\nexpect: @u gone from lsns\n```\n",
    )
    .unwrap();
    support::set_mode(&lesson, 0o644);
    let count = std::fs::read_dir("/proc").unwrap().flatten().filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok()).count();
    let mut crowd: Vec<std::process::Child> = (count..600).map(|_| Command::new("sleep").arg("60").stdin(Stdio::null()).spawn().unwrap()).collect();
    let out = home.run(&["run", "--yes", "--color", "never", lesson.to_str().unwrap()]);
    for c in &mut crowd {
        let _ = c.kill();
        let _ = c.wait();
    }
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
