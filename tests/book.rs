//! The book: the `nslab mdbook` preprocessor on fixture JSON in mdBook 0.4's
//! and 0.5's shapes, and a real `mdbook build` of `book/`, checked in the HTML.
//!
//! The build needs mdBook. Without it the build tests skip, except where
//! `NSLAB_REQUIRE_MDBOOK` is set (CI sets it): there a missing mdBook fails.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nslab::lesson::{self, Lesson};
use support::{As, nslab, stdout};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `nslab mdbook` with `input` on stdin.
fn preprocess(input: &str) -> std::process::Output {
    let mut child = Command::new(support::nslab_path()).arg("mdbook").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn supports_html_and_not_pdf() {
    assert!(nslab(As::Caller, &["mdbook", "supports", "html"]).status.success());
    assert!(!nslab(As::Caller, &["mdbook", "supports", "pdf"]).status.success());
}

#[test]
fn preprocessor_snapshots_in_both_shapes() {
    for (version, key) in [("0.4", "sections"), ("0.5", "items")] {
        let input = std::fs::read_to_string(repo().join(format!("tests/fixtures/mdbook/book-{version}.json"))).unwrap();
        let out = preprocess(&input);
        assert!(out.status.success(), "{}", support::stderr(&out));
        let book: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let original: serde_json::Value = serde_json::from_str(&input).unwrap();
        // Every field but chapter content is as it came.
        let mut expected = original[1].clone();
        let mut got = book.clone();
        for v in [&mut expected, &mut got] {
            v[key][0]["Chapter"]["content"] = serde_json::Value::Null;
        }
        assert_eq!(got, expected, "{version}: only content changes");
        let content = book[key][0]["Chapter"]["content"].as_str().unwrap().to_string();
        insta::assert_snapshot!(format!("chapter_{version}"), content);
    }
}

#[test]
fn a_broken_lesson_fails_the_preprocessor_with_its_location() {
    let input = std::fs::read_to_string(repo().join("tests/fixtures/mdbook/book-0.5.json")).unwrap();
    let broken = input.replace("start box: uts", "start box: warp");
    let out = preprocess(&broken);
    assert_eq!(out.status.code(), Some(2));
    let err = support::stderr(&out);
    assert!(err.contains("error: unknown namespace kind `warp`") && err.contains(":19:12:"), "{err}");
}

/// Every lesson has its chapter, which includes the lesson file itself (never
/// a copy), and a line in SUMMARY.md.
#[test]
fn every_lesson_is_a_chapter() {
    let summary = std::fs::read_to_string(repo().join("book/src/SUMMARY.md")).unwrap();
    let mut lessons = 0;
    for entry in std::fs::read_dir(repo().join("lessons")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        lessons += 1;
        let chapter = std::fs::read_to_string(repo().join("book/src/lessons").join(&name)).unwrap_or_else(|_| panic!("book/src/lessons/{name} is missing"));
        assert_eq!(chapter.trim(), format!("{{{{#include ../../../lessons/{name}}}}}"), "{name}");
        assert!(summary.contains(&format!("(lessons/{name})")), "{name} is in SUMMARY.md");
    }
    assert!(lessons >= 12, "the curriculum has its lessons");
}

/// mdBook, or None where a skip is allowed.
fn mdbook() -> Option<PathBuf> {
    let candidates = [PathBuf::from("mdbook"), PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo/bin/mdbook")];
    let found = candidates.into_iter().find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    if found.is_none() {
        assert!(std::env::var_os("NSLAB_REQUIRE_MDBOOK").is_none(), "mdBook is required here (NSLAB_REQUIRE_MDBOOK) but not installed");
        eprintln!("skipping: mdBook is not installed");
    }
    found
}

/// Builds the book at `book` with the nslab under test on PATH.
fn build(mdbook: &Path, book: &Path, out: &Path) -> std::process::Output {
    let bin = support::nslab_path().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    Command::new(mdbook).arg("build").arg(book).arg("-d").arg(out).env("PATH", path).output().unwrap()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[test]
fn the_book_builds_with_every_step_in_words() {
    let Some(mdbook) = mdbook() else { return };
    let out_dir = tempfile::tempdir().unwrap();
    let out = build(&mdbook, &repo().join("book"), out_dir.path());
    assert!(out.status.success(), "mdbook build failed:\n{}", support::stderr(&out));
    // mdBook 0.5 fingerprints the file name: theme/nslab-HASH.css.
    let css = std::fs::read_dir(out_dir.path().join("theme")).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("nslab"));
    assert!(css, "the step stylesheet is part of the site");
    let mut steps = 0;
    for entry in std::fs::read_dir(repo().join("lessons")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let lesson: Lesson = lesson::check_file(&path).unwrap_or_else(|d| panic!("{}", lesson::render(&d, false)));
        let page = out_dir.path().join("lessons").join(path.file_stem().unwrap()).with_extension("html");
        let html = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("{} has its page", lesson.meta.id));
        assert!(html.contains(&html_escape(&lesson.meta.title)), "{}: title", lesson.meta.id);
        for step in &lesson.steps {
            steps += 1;
            let at = html.find(&format!("id=\"step-{}\"", step.id)).unwrap_or_else(|| panic!("{}: step {}", lesson.meta.id, step.id));
            // This step's block: up to the next step's.
            let block = &html[at..];
            let block = &block[..block[1..].find("id=\"step-").map_or(block.len(), |i| i + 1)];
            let what = format!("{} step {}", lesson.meta.id, step.id);
            if step.action.value != lesson::Action::YourTurn {
                assert!(block.contains("<pre><code class=\"language-sh\">"), "{what}: the action in a code block:\n{block}");
            }
            for e in &step.expectations {
                let words = e.value.describe();
                match &e.value {
                    // Several expected lines are shown themselves, in a block.
                    lesson::Expectation::Output { stream, matcher: lesson::OutputMatcher::Lines(lines) } if lines.len() > 1 => {
                        assert!(block.contains(&format!("{stream} is:")) && block.contains("<pre><code>"), "{what}: {words:?}");
                        for line in lines {
                            if let lesson::LinePattern::Text(t) = line {
                                assert!(block.contains(&html_escape(t)), "{what}: expected line {t:?} shown");
                            }
                        }
                    }
                    // Inline code in the words becomes <code>…</code>: each part is there.
                    _ => {
                        for part in words.split('`').filter(|p| !p.is_empty()) {
                            assert!(block.contains(&html_escape(part)), "{what}: {words:?} in words:\n{block}");
                        }
                    }
                }
            }
            for save in &step.saves {
                assert!(block.contains(&format!("as <b>@{}</b>", save.value.capture)), "{what}: the save of @{} is shown", save.value.capture);
            }
            assert_eq!(block.matches("<details class=\"nslab-hint\">").count(), step.hints.len(), "{what}: each hint collapsed");
            // The expected picture, where the step touches namespaces: one SVG
            // that reached the page whole (Markdown left it one HTML block).
            let pictured = nslab::picture::step_touches_namespaces(step);
            assert_eq!(block.matches("<svg class=\"nslab-picture-svg\"").count(), usize::from(pictured), "{what}: the expected picture");
            if pictured {
                let svg = &block[block.find("<svg").unwrap()..];
                assert!(svg.contains("</svg></div>") && !svg[..svg.find("</svg>").unwrap()].contains("<p>"), "{what}: the picture is whole");
            }
            if let lesson::Action::Start { kinds, .. } = &step.action.value {
                let changed = block.matches("class=\"nslab-cell changed\"").count();
                assert!(changed >= kinds.iter().count(), "{what}: the new namespaces are outlined ({changed})");
            }
        }
        for raw in ["language-nslab", "```nslab", "\nexpect:", ">expect:", "\nhint:", "\nstart ", "\nsave ", "\nrun in ", "\n| ", "\nsolution:"] {
            assert!(!html.contains(raw), "{}: raw step syntax {raw:?} reached the page", lesson.meta.id);
        }
    }
    assert!(steps > 50, "the lessons have their steps");
    let commands = std::fs::read_to_string(out_dir.path().join("reference/commands.html")).unwrap();
    assert!(commands.contains("nslab lsns") && commands.contains("--fail-fast"), "the command reference is generated from the CLI");
}

#[test]
fn a_broken_lesson_fails_the_build() {
    let Some(mdbook) = mdbook() else { return };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(dir.path().join("book.toml"), "[book]\ntitle = \"t\"\n[preprocessor.nslab]\ncommand = \"nslab mdbook\"\n").unwrap();
    std::fs::write(src.join("SUMMARY.md"), "# Summary\n\n- [Bad](bad.md)\n").unwrap();
    std::fs::write(src.join("bad.md"), "---\nid: bad\ntitle: Bad\n---\n\n```nslab\nstart box: warp\nexpect: box net same as host\n```\n").unwrap();
    let out = build(&mdbook, dir.path(), &dir.path().join("out"));
    assert!(!out.status.success(), "the build fails");
    let err = support::stderr(&out);
    assert!(err.contains("bad.md:7:12: error: unknown namespace kind `warp`"), "{err}");
    let _ = stdout(&out);
}
