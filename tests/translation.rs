//! Translations (`lessons/zh/*.md`) keep their original's steps: `nslab
//! check` refuses a translated step that differs from the original's, and
//! reports a translation whose original changed since it was translated.

mod support;

use std::path::{Path, PathBuf};

use support::{As, stdout};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A temporary `lessons/` holding lesson 1 and its Chinese translation, as in the repository.
fn copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("zh")).unwrap();
    for rel in ["01-observe.md", "zh/01-observe.md"] {
        std::fs::copy(repo(&format!("lessons/{rel}")), dir.path().join(rel)).unwrap();
    }
    dir
}

/// Replaces the one line `from` by `to` in `path`, and returns its 1-based line number.
fn edit_line(path: &Path, from: &str, to: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let at = text.lines().position(|l| l == from).unwrap_or_else(|| panic!("no line `{from}` in {}", path.display()));
    assert_eq!(text.lines().filter(|l| *l == from).count(), 1, "`{from}` is not unique");
    std::fs::write(path, text.replacen(&format!("\n{from}\n"), &format!("\n{to}\n"), 1)).unwrap();
    at + 1
}

/// Runs `nslab check DIR` and returns its exit code and output.
fn check(dir: &Path) -> (Option<i32>, String) {
    let out = support::nslab(As::Caller, &["check", "--color", "never", dir.to_str().unwrap()]);
    (out.status.code(), stdout(&out))
}

#[test]
fn the_repositorys_translations_match_their_originals() {
    let zh: Vec<_> = std::fs::read_dir(repo("lessons/zh")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "md")).collect();
    let n = zh.len();
    assert!(n > 0);
    let (code, text) = check(&repo("lessons"));
    assert_eq!(code, Some(0), "{text}");
    let noun = if n == 1 { "translation" } else { "translations" };
    assert!(text.contains(&format!("checked {n} {noun}: {n} ok")), "{text}");
}

#[test]
fn a_translation_whose_original_changed_is_reported_stale() {
    let dir = copy();
    assert_eq!(check(dir.path()), (Some(0), check(dir.path()).1));
    // A hint, a title or the prose of the original may change freely.
    let hint = "hint: The box process is the only one in its new UTS namespace.";
    edit_line(&dir.path().join("01-observe.md"), hint, "hint: box is alone in its UTS namespace.");
    edit_line(&dir.path().join("01-observe.md"), "title: Stop box", "title: Stop the box process");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(0), "a changed hint or title is no change of the steps:\n{text}");

    // One expectation changes: the translation is stale, at its fingerprint,
    // and the step is shown with the original's new line.
    let line = edit_line(&dir.path().join("01-observe.md"), "expect: box uts nprocs 1", "expect: box uts nprocs 2");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    let zh = dir.path().join("zh/01-observe.md");
    let zh = zh.display();
    assert!(text.contains(&format!("{zh}:7:15: error: stale translation")), "{text}");
    assert!(text.contains("then set `source-steps: "), "{text}");
    let step_line = std::fs::read_to_string(dir.path().join("zh/01-observe.md")).unwrap().lines().position(|l| l == "expect: box uts nprocs 1").unwrap() + 1;
    assert!(text.contains(&format!("{zh}:{step_line}:1: error: step 10 `nslab-lsns`: this line differs from the original's")), "{text}");
    assert!(
        text.contains(&format!(
            "changed since this was translated; the original has {}:{line}: `expect: box uts nprocs 2`",
            dir.path().join("01-observe.md").display()
        )),
        "{text}"
    );
    assert!(text.contains("checked 1 lesson: 1 ok\nchecked 1 translation: 0 ok, 1 with 2 errors"), "{text}");

    // The translator brings the step in line: only the fingerprint is left to update, and it is named.
    edit_line(&dir.path().join("zh/01-observe.md"), "expect: box uts nprocs 1", "expect: box uts nprocs 2");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    let want = text.split("update the fingerprint to `source-steps: ").nth(1).and_then(|r| r.split('`').next()).unwrap_or_else(|| panic!("{text}")).to_string();
    let old = std::fs::read_to_string(dir.path().join("zh/01-observe.md")).unwrap().lines().find(|l| l.starts_with("source-steps: ")).unwrap().to_string();
    edit_line(&dir.path().join("zh/01-observe.md"), &old, &format!("source-steps: {want}"));
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn an_edited_step_in_a_translation_is_refused() {
    let dir = copy();
    let zh = dir.path().join("zh/01-observe.md");
    // Its titles and hints are its own.
    edit_line(&zh, "title: 停止 box", "title: 让 box 退出");
    assert_eq!(check(dir.path()).0, Some(0));

    let line = edit_line(&zh, "expect: box ipc same as lab", "expect: box ipc differs from lab");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    let zh = zh.display();
    assert!(text.contains(&format!("{zh}:{line}:1: error: step 7 `start-box`: this line differs from the original's")), "{text}");
    assert!(text.contains("its steps must match the original's; the original has "), "{text}");
    assert!(!text.contains("stale"), "the original did not change:\n{text}");

    // An action, and a step's id, are the original's too.
    edit_line(&dir.path().join("zh/01-observe.md"), "expect: box ipc differs from lab", "expect: box ipc same as lab");
    let line = edit_line(&dir.path().join("zh/01-observe.md"), "run: readlink /proc/self/ns/uts", "run: readlink /proc/self/ns/net");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!("{zh}:{line}:1: error: step 3 `readlink`: the action `run: readlink /proc/self/ns/net` differs from the original's")),
        "{text}"
    );
    edit_line(&dir.path().join("zh/01-observe.md"), "run: readlink /proc/self/ns/net", "run: readlink /proc/self/ns/uts");
    let line = edit_line(&dir.path().join("zh/01-observe.md"), "id: readlink", "id: read-link");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    // The step's opening fence, the line above its `id:`.
    assert!(text.contains(&format!("{zh}:{}:1: error: step 3 `read-link`: the original's step 3 is `readlink`", line - 1)), "{text}");
    assert!(text.contains("give it `id: readlink`"), "{text}");
}

/// `nslab check` in Chinese: the same places (`file:line:col`) and the same
/// `error:` word editors look for, the words from the Chinese catalogue.
#[test]
fn nslab_check_lang_zh_reports_drift_in_chinese_at_the_same_places() {
    let dir = copy();
    let zh = dir.path().join("zh/01-observe.md");
    let line = edit_line(&zh, "expect: box ipc same as lab", "expect: box ipc differs from lab");
    let check_in = |lang: &str, env: Option<(&str, &str)>| {
        let mut cmd = support::command_as(As::Caller, support::nslab_path(), &["check", "--color", "never", "--lang", lang, dir.path().to_str().unwrap()]);
        if let Some((k, v)) = env {
            cmd.env_remove("LC_ALL").env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.code(), stdout(&out))
    };
    let (code, text) = check_in("zh", None);
    assert_eq!(code, Some(2), "{text}");
    let at = format!("{}:{line}:1: error: ", zh.display());
    assert!(text.contains(&format!("{at}第 7 步 `start-box`：这一行与原文的不同")), "{text}");
    assert!(text.contains("译文只改正文、标题、提示和目标；步骤必须与原文一致；原文是 "), "{text}");
    assert!(text.contains("检查了 1 课：1 课无误\n检查了 1 篇译文：0 篇无误，其中 1 个有 1 个错误"), "{text}");
    // The original changes: stale, in Chinese, at the fingerprint.
    edit_line(&zh, "expect: box ipc differs from lab", "expect: box ipc same as lab");
    edit_line(&dir.path().join("01-observe.md"), "expect: box uts nprocs 1", "expect: box uts nprocs 2");
    let (_, text) = check_in("zh", None);
    assert!(text.contains(&format!("{}:7:15: error: 译文过时了：翻译之后 ", zh.display())), "{text}");
    // English by --lang, whatever the locale says.
    let (_, text) = check_in("en", Some(("LANG", "zh_CN.UTF-8")));
    assert!(text.contains("error: stale translation"), "{text}");
}

#[test]
fn a_new_translation_is_told_its_fingerprint() {
    let dir = copy();
    let zh = dir.path().join("zh/01-observe.md");
    let old = std::fs::read_to_string(&zh).unwrap().lines().find(|l| l.starts_with("source-steps: ")).unwrap().to_string();
    let want = old.trim_start_matches("source-steps: ").to_string();
    edit_line(&zh, &old, "source-steps: 0");
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("{}:7:15: error: `0` is not a fingerprint of steps (16 hex digits)", zh.display())), "{text}");
    assert!(text.contains(&format!("write `source-steps: {want}`")), "{text}");
}

#[test]
fn a_translation_without_its_original_is_refused() {
    let dir = copy();
    std::fs::remove_file(dir.path().join("01-observe.md")).unwrap();
    let (code, text) = check(dir.path());
    assert_eq!(code, Some(2), "{text}");
    let zh = dir.path().join("zh/01-observe.md");
    assert!(text.contains(&format!("{}:6:13: error: the original {} is missing", zh.display(), dir.path().join("01-observe.md").display())), "{text}");
}

/// A world-readable copy of lesson 1 and its translation, with a state folder
/// anyone may write, for runs as root and as `nobody`.
fn world_readable_copy() -> tempfile::TempDir {
    let dir = copy();
    for rel in ["", "zh"] {
        support::set_mode(&dir.path().join(rel), 0o755);
    }
    for rel in ["01-observe.md", "zh/01-observe.md"] {
        support::set_mode(&dir.path().join(rel), 0o644);
    }
    std::fs::create_dir(dir.path().join("state")).unwrap();
    support::set_mode(&dir.path().join("state"), 0o777);
    dir
}

/// What a run's JSON events say step by step: each event's kind, step and
/// outcome, and each verdict's truth in order. The words (titles, and the
/// verdicts' own, which `--lang` translates) are left out.
fn step_by_step(events: &str) -> Vec<String> {
    events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .map(|e| {
            let verdicts: Vec<String> = e["verdicts"].as_array().map_or(Vec::new(), |v| v.iter().map(|v| format!("{} {}", v["truth"], v["holds"])).collect());
            format!("{} {} {} {}", e["event"], e["step"], e["outcome"], verdicts.join("; "))
        })
        .collect()
}

/// Runs `nslab run --yes --format json ARGS .` as `who` in `dir`, with `env`.
fn run_json(who: As, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    run_json_on(who, dir, &[args, &["."]].concat(), env)
}

/// Runs `nslab run --yes --format json ARGS` as `who` in `dir`, with `env`.
fn run_json_on(who: As, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    run_nslab(who, dir, &[&["run", "--yes", "--format", "json"], args].concat(), env)
}

/// Runs `nslab ARGS` as `who` in `dir`, its progress in `dir/state`, with
/// `env` and none of the caller's language variables.
fn run_nslab(who: As, dir: &Path, all: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = support::command_as(who, support::nslab_path(), all);
    cmd.current_dir(dir).env("XDG_STATE_HOME", dir.join("state")).env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("LANG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), format!("{}{}", stdout(&out), support::stderr(&out)))
}

#[test]
fn the_chinese_lesson_runs_as_the_english_one_step_for_step_as_root_and_as_nobody() {
    let _guard = support::serial();
    let users: Vec<As> = if support::require_root("the_chinese_lesson_runs_as_the_english_one") { As::BOTH.to_vec() } else { vec![As::Caller] };
    let dir = world_readable_copy();
    let before = support::HostState::now();
    for who in users {
        let (code, en) = run_json(who, dir.path(), &["--lang", "en"], &[]);
        assert_eq!(code, Some(0), "{who:?} en:\n{en}");
        let (code, zh) = run_json(who, dir.path(), &["--lang", "zh"], &[]);
        assert_eq!(code, Some(0), "{who:?} zh:\n{zh}");
        // The folder holds both; each language runs its own file, once.
        assert_eq!(en.matches("\"event\":\"lesson_started\"").count(), 1, "{en}");
        assert!(en.contains("\"title\":\"Observing namespaces\",\"path\":\"./01-observe.md\""), "{en}");
        assert_eq!(zh.matches("\"event\":\"lesson_started\"").count(), 1, "{zh}");
        assert!(zh.contains("\"title\":\"观察命名空间\",\"path\":\"./zh/01-observe.md\""), "{zh}");
        let (en, zh) = (step_by_step(&en), step_by_step(&zh));
        assert_eq!(en.len(), 12 * 2 + 2, "{en:#?}");
        assert_eq!(en, zh, "{who:?}: the same results, step for step");
        before.assert_restored(&format!("lesson 1 in both languages as {who:?}"));
    }
    // Without --lang, the locale chooses; --lang wins over it.
    let (_, zh) = run_json(As::Caller, dir.path(), &[], &[("LANG", "zh_CN.UTF-8")]);
    assert!(zh.contains("\"title\":\"观察命名空间\""), "{zh}");
    let (_, en) = run_json(As::Caller, dir.path(), &[], &[("LANG", "zh_CN.UTF-8"), ("LC_ALL", "C.UTF-8")]);
    assert!(en.contains("\"title\":\"Observing namespaces\""), "LC_ALL comes first:\n{en}");
    let (_, en) = run_json(As::Caller, dir.path(), &["--lang", "en"], &[("LC_ALL", "zh_CN.UTF-8")]);
    assert!(en.contains("\"title\":\"Observing namespaces\""), "{en}");
    before.assert_restored("lesson 1 chosen by locale");
}

#[test]
fn nslab_new_lang_zh_writes_a_lesson_and_its_translation_that_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let lessons = dir.path().join("lessons");
    let out = support::nslab(As::Caller, &["new", "--lang", "zh", "--dir", lessons.to_str().unwrap(), "uts-basics"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), support::stderr(&out));
    let zh = std::fs::read_to_string(lessons.join("zh/uts-basics.md")).unwrap();
    assert!(zh.contains("translates: uts-basics.md\nsource-steps: ") && zh.contains("title: 在新的 UTS 命名空间里启动一个进程"), "{zh}");
    let (code, text) = check(&lessons);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("checked 1 lesson: 1 ok\nchecked 1 translation: 1 ok"), "{text}");
    // Neither file is overwritten.
    let again = support::nslab(As::Caller, &["new", "--lang", "zh", "--dir", lessons.to_str().unwrap(), "uts-basics"]);
    assert_eq!(again.status.code(), Some(2), "{}", support::stderr(&again));
    assert_eq!(std::fs::read_to_string(lessons.join("zh/uts-basics.md")).unwrap(), zh);
}

/// Runs `nslab run --yes ARGS` on lesson 1 (the folder: each language takes
/// its own file) as the caller, with `env` and no locale of the test's own.
fn run_words(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    run_nslab(As::Caller, dir, &[&["run", "--yes", "--color", "never"], args, &["."]].concat(), env)
}

#[test]
fn nslab_run_lang_zh_gives_its_verdicts_in_chinese() {
    let _guard = support::serial();
    support::require_root("nslab_run_lang_zh_gives_its_verdicts_in_chinese");
    let dir = world_readable_copy();
    let before = support::HostState::now();
    let (code, zh) = run_words(dir.path(), &["--lang", "zh"], &[]);
    assert_eq!(code, Some(0), "{zh}");
    // The verdicts in words, computed from what the kernel showed.
    for words in [
        "✔ box 的 uts 命名空间与实验环境的不同",
        "✔ box 的 ipc 命名空间与实验环境的相同",
        "✔ lsns 列出了 box 的 uts 命名空间",
        "✔ box 的 uts 命名空间里有 1 个进程",
        "✔ 保存为 @box-uts 的命名空间已从 lsns 中消失",
        "✔ 你的 shell 的 net 命名空间与 target 的不同",
        "✔ 命令的退出状态是 0",
        "（observe，共 12 步）",
        "observe: 通过 12，失败 0，跳过 0",
    ] {
        assert!(zh.contains(words), "{words:?} is not in:\n{zh}");
    }
    assert!(!zh.contains("namespace of") && !zh.contains("passed,"), "English verdicts in the Chinese run:\n{zh}");
    // The same run in English says it in English; the locale chooses when --lang is not given.
    let (code, en) = run_words(dir.path(), &["--lang", "en"], &[("LANG", "zh_CN.UTF-8")]);
    assert_eq!(code, Some(0), "{en}");
    assert!(en.contains("✔ the uts namespace of box differs from the lab's") && en.contains("observe: 12 passed, 0 failed, 0 skipped"), "{en}");
    let (_, by_locale) = run_words(dir.path(), &[], &[("LC_MESSAGES", "zh_CN.UTF-8")]);
    assert!(by_locale.contains("✔ box 的 uts 命名空间与实验环境的不同"), "{by_locale}");
    before.assert_restored("lesson 1's verdicts in both languages");
}

/// Every translation in `lessons/zh/` with its original, in a world-readable
/// copy (`NN.md` and `zh/NN.md`), and the translated file names in order.
fn translated_curriculum() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::Builder::new().prefix("nslab-zh-curriculum-").tempdir().unwrap();
    std::fs::create_dir(dir.path().join("zh")).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(repo("lessons/zh")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".md")).collect();
    names.sort();
    for name in &names {
        for rel in [name.clone(), format!("zh/{name}")] {
            std::fs::copy(repo(&format!("lessons/{rel}")), dir.path().join(&rel)).unwrap();
            support::set_mode(&dir.path().join(&rel), 0o644);
        }
    }
    for rel in ["", "zh"] {
        support::set_mode(&dir.path().join(rel), 0o755);
    }
    std::fs::create_dir(dir.path().join("state")).unwrap();
    support::set_mode(&dir.path().join("state"), 0o777);
    (dir, names)
}

/// Runs `nslab run --yes --format json --lang LANG FILES…` as `who` in `dir`.
fn run_files(who: As, dir: &Path, lang: &str, files: &[String]) -> (Option<i32>, String) {
    let mut args = vec!["--lang", lang];
    args.extend(files.iter().map(String::as_str));
    run_json_on(who, dir, &args, &[])
}

/// The whole Chinese curriculum — every lesson `lessons/zh/` holds, so the
/// test grows as translations land — runs as its English originals do, as
/// root and as nobody: the same exit status, and the same events, steps,
/// outcomes and verdicts, step for step. Its verdicts are in Chinese.
#[test]
fn the_whole_chinese_curriculum_runs_as_the_english_one_step_for_step_as_root_and_as_nobody() {
    let _guard = support::serial();
    let users: Vec<As> = if support::require_root("the_whole_chinese_curriculum_runs_as_the_english_one") { As::BOTH.to_vec() } else { vec![As::Caller] };
    let (dir, names) = translated_curriculum();
    assert!(!names.is_empty(), "lessons/zh/ holds no translation");
    let zh_files: Vec<String> = names.iter().map(|n| format!("zh/{n}")).collect();
    let before = support::HostState::now();
    for who in users {
        let started = std::time::Instant::now();
        let (en_code, en) = run_files(who, dir.path(), "en", &names);
        let (zh_code, zh) = run_files(who, dir.path(), "zh", &zh_files);
        eprintln!("{} translated lessons in en and zh as {who:?}: {:.1} s", names.len(), started.elapsed().as_secs_f64());
        assert_eq!(en_code, zh_code, "{who:?}: the same exit status\nen:\n{en}\nzh:\n{zh}");
        assert!(matches!(en_code, Some(0 | 3)), "{who:?}: the originals pass (or cannot run here as nobody):\n{en}");
        for (lang, events) in [("en", &en), ("zh", &zh)] {
            let started = events.matches("\"event\":\"lesson_started\"").count() + events.matches("\"event\":\"lesson_cannot_run\"").count();
            assert_eq!(started, names.len(), "{who:?} {lang}: each lesson once:\n{events}");
        }
        let (en_steps, zh_steps) = (step_by_step(&en), step_by_step(&zh));
        assert_eq!(en_steps.len(), zh_steps.len(), "{who:?}: as many events");
        for (n, (e, z)) in en_steps.iter().zip(&zh_steps).enumerate() {
            assert_eq!(e, z, "{who:?}: event {n} differs (en, then zh)");
        }
        // The words are the translation's: a verdict that held says so in Chinese.
        if zh.contains("\"truth\":\"holds\"") {
            assert!(zh.contains("命名空间") || zh.contains("退出状态"), "{who:?}: Chinese verdicts:\n{zh}");
            assert!(!zh.contains("\"expected\":\"the command exits"), "{who:?}: an English verdict in the Chinese run");
        }
        before.assert_restored(&format!("the Chinese curriculum as {who:?}"));
    }
}

/// Every exercise of the Chinese curriculum is fair (`nslab check
/// --solutions --lang zh`), as root and as nobody, as the English one is in
/// tests/curriculum.rs: it fails with nothing done and passes with its
/// reference solution.
#[test]
fn every_chinese_exercise_is_fair_as_root_and_as_nobody() {
    let _guard = support::serial();
    let users: Vec<As> = if support::require_root("every_chinese_exercise_is_fair_as_root_and_as_nobody") { As::BOTH.to_vec() } else { vec![As::Caller] };
    let (dir, names) = translated_curriculum();
    let exercises: usize = names.iter().map(|n| std::fs::read_to_string(dir.path().join("zh").join(n)).unwrap().matches("```nslab exercise").count()).sum();
    assert!(exercises >= names.len(), "every translated lesson has an exercise");
    let before = support::HostState::now();
    for who in users {
        let mut cmd = support::command_as(who, support::nslab_path(), &["check", "--solutions", "--lang", "zh", "--color", "never", "zh"]);
        cmd.current_dir(dir.path()).env("XDG_STATE_HOME", dir.path().join("state"));
        let out = cmd.output().unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{who:?}:\n{text}\n{}", support::stderr(&out));
        let last = text.trim_end().lines().last().unwrap_or("");
        assert_eq!(last, format!("{exercises} 个练习：{exercises} 个公平，0 个不公平"), "{who:?}:\n{text}");
        before.assert_restored(&format!("check --solutions --lang zh as {who:?}"));
    }
}

/// A lesson's own mistakes, in Chinese: the same `file:line:col` and caret
/// as in English, the words from the Chinese catalogue.
#[test]
fn nslab_check_lang_zh_reports_a_lessons_mistakes_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, "---\nid: bad\ntitle: Bad\n---\n\n```nslab\nstart box: net warp\nexpect: box net same as lab\n```\n").unwrap();
    let run = |lang: &str| {
        let out = support::nslab(As::Caller, &["check", "--color", "never", "--lang", lang, bad.to_str().unwrap()]);
        (out.status.code(), stdout(&out))
    };
    let (code, zh) = run("zh");
    assert_eq!(code, Some(2), "{zh}");
    let at = format!("{}:7:16: error: ", bad.display());
    assert!(zh.contains(&format!("{at}未知的命名空间种类 `warp`")), "{zh}");
    assert!(zh.contains("种类有 cgroup、ipc、mnt、net、pid、time、user、uts"), "{zh}");
    assert!(zh.contains("检查了 1 课：0 课无误，其中 1 个有"), "{zh}");
    let (_, en) = run("en");
    assert!(en.contains(&format!("{at}unknown namespace kind `warp`")), "{en}");
    // The caret is under the same word in both.
    let caret = |text: &str| text.lines().find(|l| l.contains('^')).map(str::to_string);
    assert_eq!(caret(&zh), caret(&en), "en:\n{en}\nzh:\n{zh}");
}
