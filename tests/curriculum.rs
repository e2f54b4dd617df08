//! The curriculum in `lessons/`: it passes `nslab check`, every lesson passes
//! as root and as `nobody` and leaves nothing behind, and its expectations
//! bite — a copy of a lesson with one expectation turned around fails, at that
//! expectation.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use support::{As, HostState, command_as, nslab_path, serial, stderr, stdout};

/// One lesson file of the curriculum.
struct Lesson {
    /// The file name, `01-observe.md`.
    file: String,
    /// Its text.
    text: String,
    /// Its id, from the front matter.
    id: String,
    /// Whether its `needs:` include root.
    needs_root: bool,
    /// Its steps, in order.
    steps: Vec<Step>,
}

/// One ```` ```nslab ```` block.
struct Step {
    /// The step's `id:`.
    id: Option<String>,
    /// Its lines (without the fences), each with its line index in the file.
    lines: Vec<(usize, String)>,
}

fn lessons_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

/// Every `lessons/*.md`, in file-name order.
fn lessons() -> Vec<Lesson> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(lessons_dir()).expect("lessons/").map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
    files.sort();
    assert!(!files.is_empty(), "no lessons in lessons/");
    files.iter().map(|p| parse(p.file_name().unwrap().to_str().unwrap(), &std::fs::read_to_string(p).unwrap())).collect()
}

/// The little of a lesson's structure these tests need: front matter keys and
/// the `nslab` step blocks (the lessons use three-backtick fences only).
fn parse(file: &str, text: &str) -> Lesson {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"---"), "{file}: no front matter");
    let end = lines.iter().skip(1).position(|l| *l == "---").expect("front matter closed") + 1;
    let front: BTreeMap<&str, &str> = lines[1..end].iter().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
    let id = front.get("id").unwrap_or_else(|| panic!("{file}: no id")).to_string();
    let needs_root = front.get("needs").is_some_and(|n| n.split(',').any(|w| w.trim() == "root"));
    let mut steps = Vec::new();
    let mut current: Option<Step> = None;
    let mut other_fence = false;
    for (i, line) in lines.iter().enumerate().skip(end + 1) {
        if let Some(step) = current.as_mut() {
            if line.starts_with("```") {
                steps.push(current.take().unwrap());
            } else {
                if let Some(id) = line.strip_prefix("id:") {
                    step.id = Some(id.trim().to_string());
                }
                step.lines.push((i, line.to_string()));
            }
        } else if other_fence {
            other_fence = !line.starts_with("```");
        } else if let Some(info) = line.strip_prefix("```") {
            let mut words = info.split_whitespace();
            // A ```nslab file NAME block is a file the lesson carries, not a step.
            if words.next() == Some("nslab") && words.next() != Some("file") {
                current = Some(Step { id: None, lines: Vec::new() });
            } else {
                other_fence = true;
            }
        }
    }
    assert!(current.is_none(), "{file}: an nslab block is not closed");
    Lesson { file: file.to_string(), text: text.to_string(), id, needs_root, steps }
}

/// A world-readable folder holding `files` (name, text), so `nobody` can read them.
fn world_readable(files: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("nslab-curriculum-").tempdir().unwrap();
    support::set_mode(dir.path(), 0o755);
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        support::set_mode(&path, 0o644);
    }
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    support::set_mode(&state, 0o777);
    dir
}

/// A world-readable copy of the curriculum.
fn curriculum_copy(lessons: &[Lesson]) -> tempfile::TempDir {
    world_readable(&lessons.iter().map(|l| (l.file.clone(), l.text.clone())).collect::<Vec<_>>())
}

/// Runs `nslab ARGS` as `who` from `dir`, with its progress kept under
/// `state`, killing it past `limit`.
fn nslab_in(who: As, dir: &Path, state: &Path, args: &[&str], limit: Duration) -> Output {
    let mut cmd = command_as(who, nslab_path(), args);
    cmd.current_dir(dir).env("XDG_STATE_HOME", state).env("NO_COLOR", "1");
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_bounded(child, limit, &format!("nslab {}", args.join(" ")))
}

/// Waits for `child` at most `limit`, reading its output meanwhile (a full
/// pipe would block it): a hung run fails the test instead of hanging it.
fn wait_bounded(mut child: Child, limit: Duration, what: &str) -> Output {
    use std::io::Read;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            let text = String::from_utf8_lossy(&out.join().unwrap()).into_owned();
            panic!("{what} did not finish within {limit:?}:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output { status, stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Whether the nobody runs can happen: they need root (setpriv). In CI they must.
fn nobody_too(test: &str) -> bool {
    support::require_root(test)
}

#[test]
fn the_curriculum_passes_nslab_check() {
    let lessons = lessons();
    let out = support::nslab(As::Caller, &["check", lessons_dir().to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    let n = lessons.len();
    assert!(text.contains(&format!("checked {n} lessons: {n} ok")), "{text}");
}

/// The rules the curriculum keeps beyond what `nslab check` enforces: files
/// numbered in teaching order, a Goals and a "What you learned" section, an
/// id and a hint on every step, output checked beyond the status, and no
/// inode number written down.
#[test]
fn every_lesson_follows_the_house_rules() {
    let inode = regex::Regex::new(r"\b4026\d{6}\b").unwrap();
    let name = regex::Regex::new(r"^\d\d-[a-z0-9-]+\.md$").unwrap();
    let lessons = lessons();
    for (n, lesson) in lessons.iter().enumerate() {
        let file = &lesson.file;
        assert!(name.is_match(file), "{file}: lessons are named NN-topic.md");
        assert_eq!(file[..2].parse::<usize>().unwrap(), n + 1, "{file}: lessons are numbered 01, 02, … in order");
        assert!(!inode.is_match(&lesson.text), "{file}: writes down an inode number; use `[..]` or `save … as @cap`");
        assert!(lesson.text.contains("\n## Goals\n"), "{file}: no Goals section");
        assert!(lesson.text.contains("\n## What you learned\n"), "{file}: no \"What you learned\" section");
        assert!(lesson.text.lines().any(|l| l.starts_with("# ")), "{file}: no title heading");
        assert!(!lesson.steps.is_empty(), "{file}: no steps");
        for step in &lesson.steps {
            let at = step.lines.first().map_or(0, |(i, _)| i + 1);
            assert!(step.id.is_some(), "{file}:{at}: a step without `id:`");
            assert!(step.lines.iter().any(|(_, l)| l.starts_with("hint:")), "{file}:{at}: a step without `hint:`");
            let expects: Vec<&str> = step.lines.iter().filter_map(|(_, l)| l.strip_prefix("expect:").map(str::trim)).collect();
            let runs_command = step.lines.iter().any(|(_, l)| l.starts_with("run:") || l.starts_with("run in ") || l.starts_with("unshare "));
            if runs_command {
                assert!(expects.iter().any(|e| !e.starts_with("status")), "{file}:{at}: a command step must check more than its status");
            }
        }
    }
}

/// The summary line of lesson `id` in a human report.
fn summary(report: &str, id: &str) -> Option<String> {
    report.lines().find(|l| l.starts_with(&format!("{id}: "))).map(str::to_owned)
}

#[test]
fn every_lesson_passes_as_root_and_as_nobody_and_leaves_nothing_behind() {
    let _guard = serial();
    let lessons = lessons();
    let copy = curriculum_copy(&lessons);
    let dir = copy.path();
    let state = dir.join("state");
    let users: Vec<As> = if nobody_too("every_lesson_passes_as_root_and_as_nobody") { As::BOTH.to_vec() } else { vec![As::Caller] };
    let before = HostState::now();
    for &who in &users {
        let rootless = who == As::Nobody || !support::is_root();
        // The whole curriculum in one run, as a learner or a grader would.
        let started = Instant::now();
        let out = nslab_in(who, dir, &state, &["run", "--yes", "--color", "never", "."], Duration::from_secs(120));
        let report = stdout(&out);
        eprintln!("nslab run --yes lessons/ as {who:?}: {:.1} s", started.elapsed().as_secs_f64());
        let root_only = lessons.iter().filter(|l| l.needs_root).count();
        let want = if rootless && root_only > 0 { 3 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "{who:?}:\n{report}\n{}", stderr(&out));
        for lesson in &lessons {
            let line = summary(&report, &lesson.id).unwrap_or_else(|| panic!("{who:?}: no summary for {}:\n{report}", lesson.id));
            if rootless && lesson.needs_root {
                assert!(line.contains("cannot run here: it needs root"), "{who:?}: {line}");
            } else {
                let n = lesson.steps.len();
                assert_eq!(line, format!("{}: {n} passed, 0 failed, 0 skipped", lesson.id), "{who:?}:\n{report}");
            }
        }
        before.assert_restored(&format!("the curriculum run as {who:?}"));
        // Each lesson on its own: it passes, and leaves nothing behind.
        for lesson in lessons.iter().filter(|l| !(rootless && l.needs_root)) {
            let started = Instant::now();
            let out = nslab_in(who, dir, &state, &["run", "--yes", "--color", "never", &lesson.file], Duration::from_secs(60));
            let report = stdout(&out);
            assert_eq!(out.status.code(), Some(0), "{who:?} {}:\n{report}\n{}", lesson.file, stderr(&out));
            eprintln!("  {} as {who:?}: {:.2} s", lesson.file, started.elapsed().as_secs_f64());
            before.assert_restored(&format!("{} as {who:?}", lesson.file));
        }
    }
}

/// One expectation turned around.
#[derive(Debug, Clone)]
struct Mutant {
    /// The lesson's file.
    file: String,
    /// The step's id.
    step: String,
    /// Which expectation of the step (0-based), as the runner's verdicts are ordered.
    expectation: usize,
    /// What kind of change this is.
    kind: &'static str,
    /// The line index in the file and the new text of that line.
    line: usize,
    new_line: String,
}

/// The mutations of one `expect:` line: `changed`↔`same`, `same as`↔`differs
/// from`, `in lsns`↔`gone from lsns`, `nprocs N`→`N+1`, `status N`→`N+1`,
/// `status nonzero`→`status 0`, and exact or `contains` output with
/// `-mutated` appended. For `stdout:` with `| ` lines, the first exact line
/// below is changed instead (see [`mutants_of`]).
fn mutate(expect: &str) -> Option<(&'static str, String)> {
    let nprocs = regex::Regex::new(r"^(.*) nprocs (\d+)$").unwrap();
    if let Some(c) = nprocs.captures(expect) {
        let n: u32 = c[2].parse().unwrap();
        return Some(("nprocs", format!("{} nprocs {}", &c[1], n + 1)));
    }
    if let Some(rest) = expect.strip_prefix("status ") {
        return Some(match rest.trim() {
            "nonzero" => ("status", "status 0".to_string()),
            n => ("status", format!("status {}", n.parse::<u8>().ok()?.checked_add(1)?)),
        });
    }
    for (from, to, kind) in [(" same as ", " differs from ", "same-as"), (" differs from ", " same as ", "differs-from")] {
        if expect.contains(from) {
            return Some((kind, expect.replacen(from, to, 1)));
        }
    }
    for (from, to, kind) in
        [(" gone from lsns", " in lsns", "gone"), (" in lsns", " gone from lsns", "in-lsns"), (" changed", " same", "changed"), (" same", " changed", "same")]
    {
        if let Some(head) = expect.strip_suffix(from) {
            return Some((kind, format!("{head}{to}")));
        }
    }
    for (prefix, kind) in [("stdout: ", "stdout"), ("stderr: ", "stderr"), ("stdout contains: ", "contains"), ("stderr contains: ", "contains")] {
        if let Some(text) = expect.strip_prefix(prefix)
            && !text.trim().is_empty()
        {
            return Some((kind, format!("{prefix}{text}-mutated")));
        }
    }
    None
}

/// Every mutant of a lesson, in document order.
fn mutants_of(lesson: &Lesson) -> Vec<Mutant> {
    let mut out = Vec::new();
    for step in &lesson.steps {
        let step_id = step.id.clone().expect("every step has an id");
        let mut index = 0;
        for (k, (line, text)) in step.lines.iter().enumerate() {
            let Some(expect) = text.strip_prefix("expect:").map(str::trim) else { continue };
            let mutant = |kind: &'static str, line: usize, new_line: String| Mutant {
                file: lesson.file.clone(),
                step: step_id.clone(),
                expectation: index,
                kind,
                line,
                new_line,
            };
            if expect == "stdout:" || expect == "stderr:" {
                // A block of `| ` lines: change the first one that is not `| ...`.
                let target = step.lines[k + 1..].iter().take_while(|(_, l)| l.starts_with('|')).find(|(_, l)| l.trim() != "| ...");
                if let Some((at, l)) = target {
                    let new_line = if l == "|" { "| -mutated".to_string() } else { format!("{l}-mutated") };
                    out.push(mutant("lines", *at, new_line));
                }
            } else if let Some((kind, new)) = mutate(expect) {
                out.push(mutant(kind, *line, format!("expect: {new}")));
            }
            index += 1;
        }
    }
    out
}

/// At most `per_lesson` mutants: one of each kind of change in turn, and
/// within a kind, picks spread evenly over the lesson.
fn pick(mutants: Vec<Mutant>, per_lesson: usize) -> Vec<Mutant> {
    let mut by_kind: BTreeMap<&str, Vec<Mutant>> = BTreeMap::new();
    for m in mutants {
        by_kind.entry(m.kind).or_default().push(m);
    }
    // Each kind's mutants in spread order: evenly spaced through the lesson.
    let spread: Vec<Vec<Mutant>> = by_kind
        .into_values()
        .map(|list| {
            let n = list.len().min(per_lesson);
            (0..n).map(|r| list[r * list.len() / n].clone()).collect()
        })
        .collect();
    let mut picked: Vec<Mutant> = Vec::new();
    let rounds = spread.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for list in &spread {
            if let Some(m) = list.get(round)
                && picked.len() < per_lesson
                && !picked.iter().any(|p| p.line == m.line)
            {
                picked.push(m.clone());
            }
        }
    }
    picked
}

/// The lesson text with the mutant's line replaced.
fn apply(lesson: &Lesson, m: &Mutant) -> String {
    let mut lines: Vec<String> = lesson.text.lines().map(str::to_owned).collect();
    lines[m.line] = m.new_line.clone();
    lines.join("\n") + "\n"
}

/// Checks the JSON events of a mutant's run: the first failed step is the
/// mutated one, failed at the mutated expectation and at no other.
fn failed_where_mutated(m: &Mutant, events: &str) -> Result<(), String> {
    let failed: Vec<serde_json::Value> =
        events.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).filter(|v| v["event"] == "step_failed").collect();
    let first = failed.first().ok_or("no step failed")?;
    if first["step"] != m.step.as_str() {
        return Err(format!("step {} failed first, not {}", first["step"], m.step));
    }
    if !first["error"].is_null() {
        return Err(format!("the action failed: {}", first["error"]));
    }
    let verdicts = first["verdicts"].as_array().ok_or("no verdicts")?;
    for (i, v) in verdicts.iter().enumerate() {
        let holds = v["holds"].as_bool().unwrap_or(true);
        if holds == (i == m.expectation) {
            return Err(format!("verdict {i} ({}) holds: {holds}", v["expected"]));
        }
    }
    if verdicts.len() <= m.expectation {
        return Err(format!("only {} verdicts", verdicts.len()));
    }
    Ok(())
}

/// How many mutants each lesson gets; `NSLAB_MUTANTS=all` tries every one
/// (about 350, some 25 s).
fn mutants_per_lesson() -> usize {
    match std::env::var("NSLAB_MUTANTS").as_deref() {
        Ok("all") => usize::MAX,
        Ok(n) => n.parse().expect("NSLAB_MUTANTS is a number or `all`"),
        Err(_) => 8,
    }
}

#[test]
fn every_lesson_fails_when_one_expectation_is_turned_around() {
    let _guard = serial();
    if !support::require_root("every_lesson_fails_when_one_expectation_is_turned_around") {
        return;
    }
    let lessons = lessons();
    let mut files = Vec::new();
    let mut mutants = Vec::new();
    for lesson in &lessons {
        let all = mutants_of(lesson);
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(|m| m.kind).collect();
        let picked = pick(all, mutants_per_lesson());
        assert!(picked.len() >= 2, "{}: fewer than 2 mutants ({picked:?})", lesson.file);
        let picked_kinds: std::collections::BTreeSet<&str> = picked.iter().map(|m| m.kind).collect();
        assert!(picked_kinds.len() >= 2.min(kinds.len()), "{}: mutants of a single kind", lesson.file);
        for m in picked {
            let name = format!("mutant-{:03}-{}", mutants.len(), m.file);
            files.push((name.clone(), apply(lesson, &m)));
            mutants.push((name, m));
        }
    }
    let dir = world_readable(&files);
    let before = HostState::now();
    let started = Instant::now();
    // One after another: a namespace's identity is its inode number, which the
    // kernel hands out again once the namespace is freed. Runs in parallel
    // create namespaces all the time and could take a number that one run has
    // just seen freed, making its `gone from lsns` look false (or a turned-around
    // `in lsns` true).
    let mut failures = Vec::new();
    for (name, m) in &mutants {
        let state = dir.path().join(format!("state-{name}"));
        let out = nslab_in(As::Caller, dir.path(), &state, &["run", "--yes", "--fail-fast", "--format", "json", name], Duration::from_secs(60));
        let verdict = match out.status.code() {
            Some(1) => failed_where_mutated(m, &stdout(&out)),
            code => Err(format!("exit status {code:?}, not 1")),
        };
        if let Err(why) = verdict {
            failures.push(format!("{} step {} expectation {} ({}: `{}`): {why}\n{}", m.file, m.step, m.expectation, m.kind, m.new_line, stderr(&out)));
        }
    }
    eprintln!("{} mutants of {} lessons in {:.1} s", mutants.len(), lessons.len(), started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} of {} mutants did not fail where they should:\n{}", failures.len(), mutants.len(), failures.join("\n"));
    before.assert_restored("the mutant runs");
}

/// The mutation rules themselves, on lines of each kind.
#[test]
fn mutations_turn_expectations_around() {
    let cases = [
        ("box uts changed", "box uts same"),
        ("host net same", "host net changed"),
        ("box net same as host", "box net differs from host"),
        ("@a differs from box", "@a same as box"),
        ("@a in lsns", "@a gone from lsns"),
        ("@a gone from lsns", "@a in lsns"),
        ("@a nprocs 0", "@a nprocs 1"),
        ("status 0", "status 1"),
        ("status nonzero", "status 0"),
        ("stdout: lab", "stdout: lab-mutated"),
        ("stderr contains: denied", "stderr contains: denied-mutated"),
    ];
    for (from, to) in cases {
        assert_eq!(mutate(from).map(|(_, m)| m), Some(to.to_string()), "{from}");
    }
    assert_eq!(mutate("status 255"), None, "no status above 255");
    assert_eq!(mutate("@a pinned at keep"), None);
    let lesson = parse(
        "x.md",
        "---\nid: x\ntitle: X\n---\n\n```nslab\nid: one\nrun: true\nexpect: status 0\nexpect: stdout:\n| ...\n| b\nhint: h\n```\n\n```sh\nexpect: status 0\n```\n",
    );
    let ms = mutants_of(&lesson);
    assert_eq!(ms.len(), 2, "{ms:?}");
    assert_eq!((ms[1].expectation, ms[1].new_line.as_str()), (1, "| b-mutated"));
    assert_eq!(apply(&lesson, &ms[1]).lines().nth(11), Some("| b-mutated"));
}

/// Every exercise of the curriculum is fair — it fails with nothing done and
/// passes with its reference solution — as root and as nobody; and every
/// lesson has one.
#[test]
fn every_exercise_is_fair_as_root_and_as_nobody() {
    let _guard = serial();
    let lessons = lessons();
    for lesson in &lessons {
        assert!(lesson.text.contains("```nslab exercise"), "{}: every lesson has an exercise", lesson.file);
    }
    let exercises: usize = lessons.iter().map(|l| l.text.matches("```nslab exercise").count()).sum();
    assert!(exercises >= 12, "at least twelve exercises ({exercises})");
    let copy = curriculum_copy(&lessons);
    let before = HostState::now();
    let whos: &[As] = if nobody_too("every_exercise_is_fair_as_root_and_as_nobody") { &As::BOTH } else { &[As::Caller] };
    for &who in whos {
        let out = nslab_in(who, copy.path(), &copy.path().join("state"), &["check", "--solutions", "."], Duration::from_secs(120));
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{text}\n{}", stderr(&out));
        let last = text.trim_end().lines().last().unwrap_or("");
        assert!(last.ends_with(", 0 not") && last.contains(" fair"), "{who:?}: {last}");
        before.assert_restored(&format!("check --solutions as {who:?}"));
    }
}

/// The API lesson's programs build and run in the lab, as root and as nobody:
/// with `cc` where there is one, and through Python's ctypes where there is
/// not (the same lesson with the compiler hidden from its build script).
#[test]
fn the_api_lessons_programs_build_and_run_in_the_lab_with_cc_and_with_python() {
    let _guard = serial();
    let lessons = lessons();
    let api = lessons.iter().find(|l| l.id == "api").expect("the API lesson");
    let hide_cc = "command -v cc >/dev/null";
    assert_eq!(api.text.matches(hide_cc).count(), 2, "the build script decides on `{hide_cc}`");
    let with_python = api.text.replace(hide_cc, "false");
    let copy = world_readable(&[("api.md".to_string(), api.text.clone()), ("api-python.md".to_string(), with_python)]);
    let have_cc = std::process::Command::new("sh").args(["-c", "command -v cc"]).output().is_ok_and(|o| o.status.success());
    assert!(have_cc || std::env::var_os("CI").is_none(), "CI has a C compiler (Rust links with it)");
    let before = HostState::now();
    let whos: &[As] = if nobody_too("the_api_lessons_programs_build_and_run") { &As::BOTH } else { &[As::Caller] };
    for &who in whos {
        for (file, tool) in [("api.md", if have_cc { "cc" } else { "python3 and ctypes" }), ("api-python.md", "python3 and ctypes")] {
            let started = Instant::now();
            let out = nslab_in(who, copy.path(), &copy.path().join("state"), &["run", "--yes", "--color", "never", file], Duration::from_secs(60));
            let report = stdout(&out);
            assert_eq!(out.status.code(), Some(0), "{who:?} {file}:\n{report}\n{}", stderr(&out));
            assert!(report.contains(&format!("building with {tool}")), "{who:?} {file}: built with {tool}?\n{report}");
            assert!(report.contains("child: my host name is inner") && report.contains("setns: Invalid argument"), "{who:?} {file}:\n{report}");
            eprintln!("  {file} as {who:?}: {:.2} s", started.elapsed().as_secs_f64());
        }
    }
    before.assert_restored("the API lesson");
}

/// Where neither a C compiler nor Python 3 is installed, the API lesson is an
/// explained skip (exit status 3, "cannot run here" and the fix), and the
/// doctor says the same; here, a `PATH` with neither stands for such a machine.
#[test]
fn without_cc_and_python_the_api_lesson_is_an_explained_skip() {
    let lessons = lessons();
    let api = lessons.iter().find(|l| l.id == "api").expect("the API lesson");
    let copy = world_readable(&[("api.md".to_string(), api.text.clone())]);
    let empty = copy.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    let mut cmd = std::process::Command::new(nslab_path());
    cmd.args(["run", "--yes", "--color", "never", "api.md"]).current_dir(copy.path()).env("PATH", &empty).env("XDG_STATE_HOME", copy.path().join("state"));
    let out =
        wait_bounded(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap(), Duration::from_secs(30), "nslab run api.md");
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{report}\n{}", stderr(&out));
    let why = "cannot run here: it builds or runs programs with cc or python3, and neither cc nor python3 is installed";
    assert!(report.contains(why) && report.contains("fix: install a C compiler or Python 3"), "{report}");
    let mut cmd = std::process::Command::new(nslab_path());
    cmd.args(["doctor", "--color", "never", "api.md"]).current_dir(copy.path()).env("PATH", &empty);
    let out = wait_bounded(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap(), Duration::from_secs(30), "nslab doctor");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("api rootless: it builds or runs programs with cc or python3, and neither cc nor python3 is installed"), "{text}");
}
