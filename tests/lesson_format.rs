//! The lesson format end to end: fixtures parsed to models and diagnostics
//! (insta snapshots), hostile input, author tools and the reference chapter.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nslab::lesson::{self, Action, Lesson, MAX_LESSON_BYTES, check_file, parse_bytes, parse_lesson, render};

const FIXTURES: &str = "tests/fixtures/lessons";

/// Runs `f` with snapshots kept beside the lesson fixtures.
fn with_snapshots(f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("fixtures/lessons/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// The files in a fixture folder, sorted.
fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(Path::new(FIXTURES).join(dir))
        .expect("fixture folder")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn parse_ok(path: &Path) -> Lesson {
    match check_file(path) {
        Ok(lesson) => lesson,
        Err(diags) => panic!("{} should parse:\n{}", path.display(), render(&diags, false)),
    }
}

mod models {
    use super::*;

    #[test]
    fn ok_lessons_parse_to_the_snapshotted_models() {
        let files = fixtures("ok");
        assert!(files.len() >= 3);
        with_snapshots(|| {
            for path in files {
                let lesson = parse_ok(&path);
                insta::assert_json_snapshot!(format!("ok-{}", stem(&path)), lesson);
            }
        });
    }

    #[test]
    fn prose_and_outro_hold_the_markdown_around_steps() {
        let lesson = parse_ok(&Path::new(FIXTURES).join("ok/uts.md"));
        assert_eq!(lesson.steps.len(), 3, "the ````markdown example is not a step");
        let first = lesson.prose(&lesson.steps[0]);
        assert!(first.contains("# The UTS namespace") && first.contains("hostname"));
        assert!(!first.contains("id: uts"), "the front matter is not prose");
        assert!(lesson.prose(&lesson.steps[2]).contains("not a step"));
        assert!(lesson.text(lesson.outro).contains("## What you learned"));
        assert_eq!(lesson.steps[0].id, "start-a-box");
        assert_eq!(lesson.steps[1].uses, ["box"]);
        assert_eq!(lesson.steps[0].defines, ["@box-uts", "box"]);
        let stop = &lesson.steps[2];
        assert_eq!(stop.action.value, Action::Stop { name: "box".into() });
        assert_eq!(lesson.text(stop.action.span), "stop box");
        assert_eq!(stop.expectations[0].value.describe(), "the namespace saved as @box-uts is gone from lsns");
    }

    #[test]
    fn every_span_points_at_its_text() {
        for path in fixtures("ok") {
            let lesson = parse_ok(&path);
            for step in &lesson.steps {
                let block = lesson.text(step.span);
                assert!(block.trim_start_matches(['>', ' ']).starts_with("```") || block.starts_with("~~~"));
                assert!(block.contains(lesson.text(step.action.span)));
                for e in &step.expectations {
                    assert!(lesson.text(e.span).starts_with("expect:"), "{}", lesson.text(e.span));
                }
                for s in &step.saves {
                    assert!(lesson.text(s.span).starts_with("save "));
                }
                // line/col agree with the offset.
                let before = &lesson.source[..step.action.span.start];
                assert_eq!(step.action.span.line, before.matches('\n').count() + 1);
            }
        }
    }
}

mod diagnostics {
    use super::*;

    #[test]
    fn broken_lessons_render_the_snapshotted_diagnostics() {
        let files = fixtures("broken");
        assert!(files.len() >= 17);
        with_snapshots(|| {
            for path in files {
                let diags = match check_file(&path) {
                    Ok(_) => panic!("{} should not parse", path.display()),
                    Err(d) => d,
                };
                insta::assert_snapshot!(format!("broken-{}", stem(&path)), render(&diags, false));
            }
        });
    }

    #[test]
    fn every_problem_is_reported_in_one_run() {
        let diags = check_file(&Path::new(FIXTURES).join("broken/many-problems.md")).unwrap_err();
        assert!(diags.len() >= 7, "{}", render(&diags, false));
        let lines: Vec<usize> = diags.iter().filter_map(|d| d.location.map(|l| l.line)).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted by place: {lines:?}");
    }

    #[test]
    fn colour_is_optional() {
        let diags = check_file(&Path::new(FIXTURES).join("broken/unknown-kind.md")).unwrap_err();
        assert!(!render(&diags, false).contains('\u{1b}'));
        assert!(render(&diags, true).contains('\u{1b}'));
    }
}

mod hostile {
    use super::*;

    const FRONT: &str = "---\nid: big\ntitle: Big\n---\n";

    #[test]
    fn files_over_the_limit_are_refused_without_reading_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("huge.md");
        let file = fs::File::create(&path).expect("create");
        // A sparse file: 11 MiB long, nothing written, so reading it would be noticed only by time.
        file.set_len(MAX_LESSON_BYTES + 1024 * 1024).expect("set_len");
        let started = Instant::now();
        let diags = check_file(&path).unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("at most 10485760 bytes"), "{}", diags[0].message);
        // The same limit holds for bytes handed over directly.
        let bytes = vec![b'a'; MAX_LESSON_BYTES as usize + 1];
        assert!(parse_bytes(&bytes, &path).is_err());
    }

    #[test]
    fn a_five_megabyte_line_is_handled_in_linear_time() {
        let long = "x".repeat(5 * 1024 * 1024);
        let inputs = [
            format!("{FRONT}{long}\n"),
            format!("{FRONT}```nslab\nrun: echo {long}\nexpect: stdout: {long}\n```\n"),
            format!("{FRONT}```nslab\nstart box: {}\nexpect: box net changed\n```\n", "netw ".repeat(1024 * 1024)),
            format!("{FRONT}{}\n", "[*`_<".repeat(1024 * 1024)),
            format!("{FRONT}```nslab\n{}\n```\n", "| ".repeat(2 * 1024 * 1024)),
            format!("---\n{}\n---\n", "id: x # ".repeat(600_000)),
        ];
        for input in inputs {
            let started = Instant::now();
            let result = parse_lesson(&input, Path::new("long.md"));
            if let Err(diags) = &result {
                let _ = render(diags, true);
                assert!(diags.len() <= lesson::MAX_DIAGNOSTICS + 1);
            }
            let took = started.elapsed();
            // Generous for debug builds; quadratic behaviour would take minutes.
            assert!(took < Duration::from_secs(10), "took {took:?} on {:?}…", &input[..60]);
        }
    }

    #[test]
    fn a_five_megabyte_line_in_a_file_reports_its_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("line.md");
        let spaces = " ".repeat(5 * 1024 * 1024);
        let text = format!("{FRONT}```nslab\nlsns:{spaces}-t netw\nexpect: host net same\n```\n");
        fs::write(&path, text).expect("write");
        let diags = check_file(&path).unwrap_err();
        let out = render(&diags, false);
        let want = format!("line.md:6:{}: error: unknown namespace kind `netw`", spaces.len() + 9);
        assert!(out.contains(&want), "{out}");
        assert!(out.contains("  -t netw\n"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 400), "long lines are windowed");
    }

    #[test]
    fn odd_bytes_never_panic() {
        let samples: &[&[u8]] = &[
            b"",
            b"\n",
            b"---",
            b"---\n---",
            b"---\n:\n---\n```nslab",
            b"```nslab\n| x\n```",
            b"---\nid: a\ntitle: b\n---\n```nslab exercise extra\nexpect: stdout:\n",
            b"---\nid: a\ntitle: b\n---\n> ```nslab\n> expect: @x gone from lsns\n",
            b"\xef\xbb\xbf---\nid: bom\n",
            b"---\r\nid: a\r\ntitle: b\r\n---\r\n```nslab\r\nrun: x\r\nexpect: status 0\r\n```\r\n",
            "---\nid: é\ntitle: ü\n---\n```nslab\nstart bé: ütß\nexpect: é\n```".as_bytes(),
            b"\xff\xfe",
            b"ok\x00",
        ];
        for bytes in samples {
            if let Err(diags) = parse_bytes(bytes, Path::new("odd.md")) {
                let _ = render(&diags, false);
            }
        }
    }

    #[test]
    fn crlf_lessons_parse() {
        let text = "---\r\nid: a\r\ntitle: b\r\n---\r\n```nslab\r\nrun: x\r\nexpect: status 0\r\n```\r\n";
        let lesson = parse_lesson(text, Path::new("crlf.md")).expect("parses");
        assert_eq!(lesson.steps[0].action.value.to_string(), "run: x");
    }
}

mod author {
    use super::*;
    use nslab::lesson::{NewLessonError, check_paths, new_lesson};

    #[test]
    fn a_new_lesson_passes_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = new_lesson("uts-basics", &dir.path().join("lessons")).expect("new lesson");
        assert_eq!(path, dir.path().join("lessons/uts-basics.md"));
        let lesson = parse_ok(&path);
        assert_eq!(lesson.meta.id, "uts-basics");
        assert_eq!(lesson.steps.len(), 1);
        assert!(!lesson.steps[0].hints.is_empty());
        assert!(lesson.text(lesson.outro).contains("What you learned"));
        // Never overwrites.
        assert!(matches!(new_lesson("uts-basics", &dir.path().join("lessons")), Err(NewLessonError::Exists(_))));
        for bad in ["", "Uts", "a/b", "../x", "a b"] {
            assert!(matches!(new_lesson(bad, dir.path()), Err(NewLessonError::InvalidName(_))), "{bad}");
        }
    }

    #[test]
    fn check_paths_summarises() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lessons = dir.path().join("lessons");
        new_lesson("one", &lessons).expect("one");
        new_lesson("two", &lessons.join("nested")).expect("two");
        fs::write(lessons.join("notes.txt"), "not a lesson").expect("write");
        let mut out = Vec::new();
        let clean = check_paths(std::slice::from_ref(&lessons), &mut out, false).expect("check");
        assert!(clean);
        assert_eq!(String::from_utf8_lossy(&out), "checked 2 lessons: 2 ok\n");

        fs::copy(Path::new(FIXTURES).join("broken/two-actions.md"), lessons.join("bad.md")).expect("copy");
        fs::copy(Path::new(FIXTURES).join("broken/pin-path.md"), lessons.join("worse.md")).expect("copy");
        let mut out = Vec::new();
        let clean = check_paths(std::slice::from_ref(&lessons), &mut out, false).expect("check");
        let text = String::from_utf8_lossy(&out);
        assert!(!clean);
        assert!(text.ends_with("checked 4 lessons: 2 ok, 2 with 2 errors\n"), "{text}");
        assert!(text.contains("bad.md:8:1: error: a second action in one step"), "{text}");

        let mut out = Vec::new();
        let clean = check_paths(&[dir.path().join("missing")], &mut out, false).expect("check");
        assert!(!clean);
        assert!(String::from_utf8_lossy(&out).contains("cannot read"));
    }

    #[test]
    fn duplicate_lesson_ids_across_files_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = new_lesson("same", &dir.path().join("a")).expect("a");
        let b = new_lesson("same", &dir.path().join("b")).expect("b");
        let mut out = Vec::new();
        assert!(!check_paths(&[a, b], &mut out, false).expect("check"));
        assert!(String::from_utf8_lossy(&out).contains("lesson id `same` is also used by"));
    }
}

mod reference {
    use super::*;

    /// The ````markdown blocks of the reference chapter.
    fn markdown_examples(chapter: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut current: Option<String> = None;
        for line in chapter.lines() {
            match &mut current {
                None if line.trim_end() == "````markdown" => current = Some(String::new()),
                Some(text) if line.trim_end() == "````" => {
                    out.push(std::mem::take(text));
                    current = None;
                }
                Some(text) => {
                    text.push_str(line);
                    text.push('\n');
                }
                None => {}
            }
        }
        out
    }

    #[test]
    fn the_complete_example_in_the_reference_parses() {
        let chapter = fs::read_to_string("book/src/reference/lesson-format.md").expect("reference chapter");
        let examples = markdown_examples(&chapter);
        let complete: Vec<&String> = examples.iter().filter(|e| e.starts_with("---\n")).collect();
        assert_eq!(complete.len(), 1, "one complete example lesson");
        match parse_lesson(complete[0], Path::new("lesson-format.md#example")) {
            Ok(lesson) => assert!(lesson.steps.len() >= 5),
            Err(diags) => panic!("{}", render(&diags, false)),
        }
    }

    #[test]
    fn the_chapter_itself_has_no_runnable_steps() {
        let chapter = fs::read_to_string("book/src/reference/lesson-format.md").expect("reference chapter");
        let text = format!("---\nid: reference\ntitle: Reference\n---\n{chapter}");
        let diags = parse_lesson(&text, Path::new("lesson-format.md")).unwrap_err();
        assert_eq!(diags.len(), 1, "{}", render(&diags, false));
        assert!(diags.iter().any(|d| d.message == "this lesson has no steps"), "{}", render(&diags, false));
    }
}

mod exercises {
    use super::*;
    use nslab::lesson::{Action, Subject};

    const HEAD: &str = "---\nid: ex\ntitle: Ex\n---\n\n";

    #[test]
    fn an_exercise_needs_no_action_and_may_name_the_shell_and_its_pins() {
        let text = format!(
            "{HEAD}```nslab exercise\ngoal: pin a net namespace\ncreates: mynet net\nsolution:\n| touch mynet\n| unshare -n sh -c 'mount --bind /proc/$$/ns/net mynet'\nexpect: mynet net nprocs 0\nexpect: shell uts same as host\n```\n"
        );
        let lesson = parse_lesson(&text, Path::new("ex.md")).unwrap_or_else(|d| panic!("{}", render(&d, false)));
        let step = &lesson.steps[0];
        assert_eq!(step.action.value, Action::YourTurn);
        let ex = step.exercise.as_ref().unwrap();
        assert_eq!(ex.probe, None);
        assert_eq!(ex.creates, vec![("mynet".to_string(), nslab::ns::NsKind::Net)]);
        assert_eq!(ex.solution, "touch mynet\nunshare -n sh -c 'mount --bind /proc/$$/ns/net mynet'\n");
        assert_eq!(step.expectations[1].value.ns().unwrap().subject, Subject::Shell);
    }

    #[test]
    fn a_probe_is_the_command_an_exercises_output_expectations_are_about() {
        let text = format!(
            "{HEAD}```nslab exercise\ngoal: name it lab\nsolution: unshare -u sh -c 'hostname lab && check'\nprobe: hostname\nexpect: shell uts differs from host\nexpect: stdout: lab\n```\n"
        );
        let lesson = parse_lesson(&text, Path::new("ex.md")).unwrap_or_else(|d| panic!("{}", render(&d, false)));
        assert_eq!(lesson.steps[0].exercise.as_ref().unwrap().probe.as_deref(), Some("hostname"));
    }

    #[test]
    fn shell_and_creates_belong_in_exercises_and_their_pins_end_with_them() {
        let cases = [
            ("```nslab\nrun: true\nexpect: shell uts same as host\n```\n", "`shell` is the learner's shell, which exists only in an exercise"),
            ("```nslab\nrun: true\ncreates: mynet net\nexpect: status 0\n```\n", "`creates:` belongs in an exercise"),
            ("```nslab exercise\ngoal: g\nsolution: s\ncreates: mynet\nexpect: host net same\n```\n", "expected `creates: NAME KIND`"),
            (
                "```nslab exercise\ngoal: g\nsolution: s\ncreates: mynet net\nexpect: mynet net nprocs 0\n```\n\n```nslab\nrun in mynet: true\nexpect: status 0\n```\n",
                "`mynet` is not defined here",
            ),
            // Status and output in an exercise are its probe's; without one they could never hold.
            (
                "```nslab exercise\ngoal: g\nsolution: s\nexpect: stdout: mine\n```\n",
                "status and output in an exercise are those of its `probe:`, and it has none",
            ),
            (
                "```nslab exercise\ngoal: g\nsolution: s\nrun: true\nexpect: status 0\n```\n",
                "status and output in an exercise are those of its `probe:`, and it has none",
            ),
            ("```nslab\nrun: true\nprobe: hostname\nexpect: status 0\n```\n", "`probe:` belongs in an exercise"),
            ("```nslab exercise\ngoal: g\nsolution: s\nprobe: a\nprobe: b\nexpect: stdout: x\n```\n", "`probe:` is given twice in this step"),
        ];
        for (body, want) in cases {
            let diags = parse_lesson(&format!("{HEAD}{body}"), Path::new("ex.md")).unwrap_err();
            let text = render(&diags, false);
            assert!(text.contains(want), "{body}\n{text}");
        }
    }
}

/// ```` ```nslab file NAME ```` blocks: the lesson carries a source file, which
/// goes with the step after it; bad names, clashes and a file with no step
/// after it are errors at their place.
mod carried_files {
    use super::*;

    fn lesson(body: &str) -> Result<Lesson, String> {
        let text = format!("---\nid: files\ntitle: Files\n---\n\n{body}");
        parse_lesson(&text, Path::new("files.md")).map_err(|d| render(&d, false))
    }

    const STEP: &str = "```nslab\nid: build\nrun: cc uts.c\nexpect: status 0\n```\n";

    #[test]
    fn a_file_goes_with_the_next_step_and_shows_in_its_prose() {
        let body =
            format!("Intro.\n\n```nslab file uts.c\nint main(void)\n{{ return 0; }}\n```\n\n{STEP}\n```nslab\nid: two\nrun: true\nexpect: status 0\n```\n");
        let lesson = lesson(&body).unwrap();
        assert_eq!(lesson.steps[0].files.len(), 1);
        let file = &lesson.steps[0].files[0];
        assert_eq!((file.name.as_str(), file.text.as_str()), ("uts.c", "int main(void)\n{ return 0; }\n"));
        assert!(lesson.prose(&lesson.steps[0]).contains("int main(void)"), "the reader sees the source before the step");
        assert!(lesson.steps[1].files.is_empty());
    }

    #[test]
    fn bad_names_clashes_and_orphans_are_errors_with_their_place() {
        let cases: &[(String, &str)] = &[
            (format!("```nslab file ../x.c\nx\n```\n{STEP}"), "files.md:6:15: error: invalid file name `../x.c`"),
            (format!("```nslab file a/b\nx\n```\n{STEP}"), "give a name, not a path"),
            (format!("```nslab file\nx\n```\n{STEP}"), "files.md:6:1: error: a file block without a name"),
            (format!("```nslab file bin\nx\n```\n{STEP}"), "`bin` is a name nslab uses in the run folder"),
            (
                format!("```nslab file a.c\nx\n```\n\n```nslab file a.c\ny\n```\n{STEP}"),
                "files.md:10:15: error: a file named `a.c` is already carried at line 6",
            ),
            (format!("{STEP}\n```nslab file late.c\nx\n```\n"), "files.md:12:15: error: no step follows the file `late.c`"),
            (
                "```nslab file keep\nx\n```\n```nslab\nid: s\nstart box: net\nexpect: box net differs from lab\n```\n```nslab\nid: p\npin box net as keep\nexpect: keep net same as box\n```\n".to_string(),
                "the pin `keep` has the name of a file the lesson carries",
            ),
            (format!("```nslab file a.c x\nx\n```\n{STEP}"), "unexpected `x` after the block kind"),
        ];
        for (body, want) in cases {
            let err = lesson(body).expect_err(body);
            assert!(err.contains(want), "{body}\nwanted {want:?} in:\n{err}");
        }
    }
}

/// `needs: PROGRAM, …` in a step: programs the step runs that a machine may
/// lack. Parsed into the model, checked for names, kept out of the programs
/// that block the whole lesson, and part of the steps' fingerprint only where
/// given.
mod step_needs {
    use super::*;

    fn lesson(body: &str) -> Result<Lesson, String> {
        let text = format!("---\nid: needs\ntitle: Needs\n---\n\n{body}");
        parse_lesson(&text, Path::new("needs.md")).map_err(|d| render(&d, false))
    }

    const NAT: &str = "```nslab\nid: nat\nneeds: nft, ip\nrun: nft list ruleset && ip -o link\nexpect: status 0\n```\n";

    #[test]
    fn programs_are_parsed_and_only_block_their_step() {
        let nat = lesson(NAT).unwrap();
        assert_eq!(nat.steps[0].needs, ["nft", "ip"]);
        assert!(nslab::lesson::tools::programs(&nat).contains_key("nft"), "the doctor still lists what the step calls");
        assert!(!nslab::lesson::tools::needed(&nat).contains_key("nft"), "a missing nft skips the step, not the lesson");
        let plain = lesson(&NAT.replace("needs: nft, ip\n", "")).unwrap();
        assert!(nslab::lesson::tools::needed(&plain).contains_key("nft"));
    }

    #[test]
    fn a_script_on_a_shells_stdin_is_read_for_programs_too() {
        let step = |run: &str| format!("```nslab\nid: nat\nneeds: nft\nstdin:\n| nft -f rules.nft\n| nstat -asz\nrun: {run}\nexpect: status 0\n```\n");
        let script = lesson(&step("sh -e")).unwrap();
        let programs = nslab::lesson::tools::programs(&script);
        assert!(programs.contains_key("nft") && programs.contains_key("nstat"), "{programs:?}");
        let needed = nslab::lesson::tools::needed(&script);
        assert!(needed.contains_key("nstat") && !needed.contains_key("nft"), "{needed:?}");
        // Text on the stdin of a program that is not a shell is data, not commands.
        let data = lesson(&step("cat")).unwrap();
        assert!(!nslab::lesson::tools::programs(&data).contains_key("nstat"));
        let with_c = lesson(&step("sh -c 'echo hi'")).unwrap();
        assert!(!nslab::lesson::tools::programs(&with_c).contains_key("nstat"));
    }

    #[test]
    fn only_a_step_that_has_it_changes_its_fingerprint() {
        let with = lesson(NAT).unwrap();
        let without = lesson(&NAT.replace("needs: nft, ip\n", "")).unwrap();
        assert_ne!(nslab::lesson::fingerprint(&with), nslab::lesson::fingerprint(&without));
        let plain = "```nslab\nid: one\nrun: true\nexpect: status 0\n```\n";
        // The fingerprint of a lesson without `needs:` lines is what it was
        // before the setting existed (translations made then stay fresh).
        assert_eq!(nslab::lesson::fingerprint(&lesson(plain).unwrap()), "44f7a0c04b045aad");
    }

    #[test]
    fn bad_names_and_repeats_are_errors_with_their_place() {
        let cases = [
            ("```nslab\nid: a\nneeds: ../nft\nrun: true\nexpect: status 0\n```\n", "needs.md:8:8: error: invalid program name `../nft` in `needs:`"),
            ("```nslab\nid: a\nneeds: nft,\nrun: true\nexpect: status 0\n```\n", "invalid program name `` in `needs:`"),
            ("```nslab\nid: a\nneeds: nft\nneeds: ip\nrun: true\nexpect: status 0\n```\n", "needs.md:9:1: error: `needs:` is given twice in this step"),
        ];
        for (body, want) in cases {
            let err = lesson(body).expect_err(body);
            assert!(err.contains(want), "{body}\nwanted {want:?} in:\n{err}");
        }
    }
}

/// `lab` names the lab in the lesson language, and `host` still does.
mod lab_word {
    use super::*;

    #[test]
    fn lab_and_host_are_the_same_subject() {
        let step = |subject: &str| {
            let text = format!(
                "---\nid: l\ntitle: L\n---\n\n```nslab\nid: a\nstart box: uts\nsave {subject} uts as @mine\nexpect: box uts differs from {subject}\nexpect: {subject} net same\n```\n\n```nslab\nid: b\nrun in {subject}: true\nexpect: status 0\n```\n\n```nslab\nid: c\npin {subject} net as here\nexpect: here net same as {subject}\n```\n"
            );
            let lesson = parse_lesson(&text, Path::new("l.md")).unwrap_or_else(|d| panic!("{}", render(&d, false)));
            serde_json::to_value(&lesson.steps).unwrap()
        };
        let mut lab = step("lab");
        let host = step("host");
        // The spans differ by the length of the word; the meaning must not.
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.retain(|k, _| !matches!(k.as_str(), "span" | "prose"));
                    m.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        strip(&mut lab);
        let mut host = host;
        strip(&mut host);
        assert_eq!(lab, host);
        let err = parse_lesson("---\nid: l\ntitle: L\n---\n\n```nslab\nstart lab: uts\nexpect: lab uts same\n```\n", Path::new("l.md")).unwrap_err();
        assert!(render(&err, false).contains("`lab` is not a process name here"));
    }
}

/// `nslab check` warns when a hint, a goal or the prose quotes step syntax,
/// which the learner never sees; the lesson still passes.
mod quoted_syntax {
    use super::*;

    #[test]
    fn hints_goals_and_prose_that_quote_step_syntax_are_warned_about() {
        let text = "---\nid: q\ntitle: Q\n---\n\nHere `run in box` joins box, and `unshare --net` is a command.\n\n```nslab\nid: a\nstart box: uts\nexpect: box uts differs from lab\nhint: `start box: uts` asks for a new uts namespace.\nhint: box got a new uts namespace only; `hostname` shows it.\n```\n\n```nslab exercise\nid: b\ngoal: do `pin box uts as keep`\nsolution: check\nexpect: shell uts differs from lab\n```\n\n## What you learned\n\n- `stop box` ends it.\n";
        let lesson = parse_lesson(text, Path::new("q.md")).unwrap_or_else(|d| panic!("{}", render(&d, false)));
        let warnings = lesson::warnings(&lesson);
        let shown = render(&warnings, false);
        let places: Vec<String> = warnings.iter().map(|d| format!("{}:{} {}", d.location.unwrap().line, d.location.unwrap().col, d.message)).collect();
        assert_eq!(
            places,
            [
                "6:6 the prose quotes step syntax `run in box`",
                "12:7 a hint quotes step syntax `start box: uts`",
                "18:10 a goal quotes step syntax `pin box uts as keep`",
                "25:3 the prose quotes step syntax `stop box`",
            ],
            "{shown}"
        );
        assert!(warnings.iter().all(|d| d.warning) && shown.contains("q.md:12:7: warning: a hint quotes step syntax"), "{shown}");
    }

    #[test]
    fn nslab_check_prints_warnings_and_still_passes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("w.md");
        fs::write(
            &file,
            "---\nid: w\ntitle: W\n---\n\n```nslab\nid: a\nstart box: uts\nexpect: box uts differs from lab\nhint: `start box: uts` does it.\n```\n",
        )
        .unwrap();
        let mut out = Vec::new();
        let clean = lesson::check_paths(&[file], &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(clean, "{text}");
        assert!(text.contains("w.md:10:7: warning: a hint quotes step syntax `start box: uts`"), "{text}");
        assert!(text.contains("checked 1 lesson: 1 ok, 1 warning"), "{text}");
    }
}

/// `needs: cc or python3`: programs of which one must be installed.
mod needed_programs {
    use super::*;

    #[test]
    fn needs_names_programs_of_which_one_is_enough() {
        let parse = |needs: &str| {
            parse_lesson(&format!("---\nid: p\ntitle: P\nneeds: {needs}\n---\n\n```nslab\nrun: true\nexpect: status 0\n```\n"), Path::new("p.md"))
        };
        let lesson = parse("userns, cc or python3").unwrap_or_else(|d| panic!("{}", render(&d, false)));
        let tools: Vec<lesson::Tool> = lesson.meta.needs.any_tool.iter().collect();
        assert_eq!(tools, [lesson::Tool::Cc, lesson::Tool::Python3]);
        assert_eq!(lesson.meta.needs.to_string(), "userns, cc or python3");
        assert_eq!(parse("python3").unwrap().meta.needs.to_string(), "python3");
        let err = render(&parse("userns, cc or rustc").unwrap_err(), false);
        assert!(err.contains("p.md:4:16: error: unknown need `cc or rustc`") && err.contains("`cc or python3`"), "{err}");
    }
}

/// Commands that plainly aim at the machine are warnings, not refusals: the
/// lab is a sandbox, so the lesson runs, and the author is told where.
#[test]
fn hostile_commands_are_warnings_with_their_place() {
    let text = "---\nid: h\ntitle: H\n---\n\n```nslab\nrun: echo hi; kill -9 -1\nexpect: status 0\n```\n\n```nslab\nunshare mnt: mount --bind /tmp /\nexpect: status 0\n```\n\n\
```nslab exercise\ngoal: g\nsolution: rm -rf / ; check\nprobe: reboot\nexpect: status 0\n```\n";
    let lesson = parse_lesson(text, Path::new("h.md")).expect("a hostile command does not stop a lesson");
    let rendered = render(&nslab::lesson::warnings(&lesson), false);
    for want in [
        "h.md:7:1: warning: this command would signal every process it can reach (kill -1)",
        "h.md:12:1: warning: this command would mount over `/`",
        "h.md:18:1: warning: the solution: this command would delete the whole file system",
        "h.md:19:1: warning: the probe: this command would stop or restart the machine",
        "in the lab only, which is a sandbox",
    ] {
        assert!(rendered.contains(want), "missing {want:?} in:\n{rendered}");
    }
}
