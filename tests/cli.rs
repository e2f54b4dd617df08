//! The command line as users meet it: help, completions, man page and
//! `nslab doctor` from the binary.

mod support;

use support::{As, nslab, serial, stdout};

#[test]
fn help_reads_well() {
    let out = nslab(As::Caller, &["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    // Each subcommand on one line, examples at the bottom.
    let commands: Vec<&str> = text.lines().skip_while(|l| *l != "Commands:").skip(1).take_while(|l| !l.is_empty()).collect();
    assert!(commands.iter().all(|l| l.starts_with("  ") && !l.starts_with("    ")), "one line each:\n{text}");
    assert!(text.trim_end().lines().last().unwrap().contains("nslab nsenter"), "examples close the help");
    insta::assert_snapshot!("help", text);
}

#[test]
fn completions_are_generated_from_the_cli() {
    let out = nslab(As::Caller, &["completions", "bash"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for sub in ["run", "lsns", "unshare", "nsenter", "doctor", "check", "mdbook"] {
        assert!(text.contains(sub), "{sub} completes");
    }
    for internal in ["lab-init", "serve-worker", "lesson-json"] {
        assert!(!text.contains(internal), "the internal command {internal} is not offered");
    }
    insta::assert_snapshot!("completions_bash", text);
    for shell in ["zsh", "fish"] {
        assert!(nslab(As::Caller, &["completions", shell]).status.success());
    }
}

#[test]
fn man_page_is_generated() {
    let out = nslab(As::Caller, &["man"]);
    let text = stdout(&out);
    assert!(out.status.success() && text.starts_with(".ie") && text.contains(".TH nslab 1"), "{text}");
    assert!(text.contains("doctor") && text.contains("unshare"));
    assert!(text.contains(".SH EXAMPLES\n.TP\n\\fBnslab\\fR\ncontinue with the next unfinished lesson"), "{text}");
    assert!(text.contains("\\fBnslab run \\-\\-yes lessons/\\fR"), "{text}");
    assert!(!text.contains("EXTRA"), "{text}");
}

/// On this machine (root and user namespaces work), the doctor says every
/// capability works, as root and as nobody, in text and in JSON.
#[test]
fn doctor_on_this_machine_says_everything_works() {
    let _guard = serial();
    for who in As::BOTH {
        let out = nslab(who, &["doctor", "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{who:?}: {e}: {}", stdout(&out)));
        let checks = json["checks"].as_array().unwrap_or_else(|| panic!("{json}"));
        let failing: Vec<&serde_json::Value> = checks.iter().filter(|c| c["outcome"]["result"] == "fails").collect();
        assert!(checks.iter().any(|c| c["outcome"]["result"] == "works"), "{json}");
        assert!(failing.is_empty(), "{who:?}: {failing:?}");
        assert_eq!(out.status.code(), Some(0), "{who:?}: every lesson can run here");
        let out = nslab(who, &["doctor", "--color", "never"]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{text}");
        assert!(text.contains("user namespace") && text.contains("works"), "{text}");
        assert!(!text.to_lowercase().contains("fails"), "{who:?}:\n{text}");
        // Every built-in lesson is listed as running here, in both columns.
        let lessons: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("Lessons")).skip(1).take_while(|l| !l.trim().is_empty()).collect();
        assert_eq!(lessons.len(), 12, "{who:?}:\n{text}");
        // nobody cannot try root; the rootless column is the one it can.
        let want: &[&str] = if who.rootless() { &["not", "tried", "runs"] } else { &["runs", "runs"] };
        for line in lessons {
            assert_eq!(line.split_whitespace().skip(1).collect::<Vec<_>>(), want, "{who:?}: {line}");
        }
    }
}

/// The lessons are built into the binary: an installed nslab lists and runs
/// them from anywhere, without the repository.
#[test]
fn lessons_are_built_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::command_as(As::Caller, support::nslab_path(), &["list"]);
    cmd.current_dir(dir.path()).env("XDG_STATE_HOME", dir.path());
    let out = cmd.output().unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    assert_eq!(text.lines().count(), shipped, "every shipped lesson is listed:\n{text}");
    assert!(text.lines().all(|l| l.contains("not started")), "{text}");
}

#[test]
fn a_bad_run_command_line_exits_2_naming_the_problem() {
    let lesson = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/run/pass.md");
    for (args, says) in [
        (vec!["run", "--timeout", "0", lesson], "more than 0 seconds"),
        (vec!["run", "--timeout", "-1", lesson], "unexpected argument"),
        (vec!["run", "--timeout", "ten", lesson], "not a number of seconds"),
        (vec!["run", "--timeout", "NaN", lesson], "more than 0 seconds"),
        (vec!["run", "--from", "Not An Id", lesson], "not a step id"),
        (vec!["run", "--from", "nosuchstep", lesson], "--from nosuchstep: no lesson here has a step with that id"),
        (vec!["new", "Bad Name"], "invalid lesson name"),
    ] {
        let out = nslab(As::Caller, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", support::stderr(&out));
        assert!(support::stderr(&out).contains(says), "{args:?}: {}", support::stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?} ran nothing");
    }
}
