//! The learner's terminal: what `nslab` does without a terminal, with
//! `--yes`, with a lesson id, on `reset`, and when a lesson calls a program
//! this machine lacks.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{As, command_as, nslab_path, stderr, stdout};

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
    let out = home.run(&["run", "02-uts", "--yes", "--save-progress"]);
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
        "for p in $(which -a ping) /usr/bin/ping /bin/ping /usr/sbin/ping /sbin/ping; do [ -e \"$p\" ] && mount --bind /dev/null \"$p\"; done; exec \"$@\"";
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
    // With ping where it belongs, the same lesson runs.
    let out = home.run(&["run", "--yes", lesson.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}
