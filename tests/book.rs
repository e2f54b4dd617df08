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

/// The text of an HTML page a reader sees as prose: every text node outside
/// `<code>`, `<pre>`, `<kbd>` (code and command output), `<script>` and
/// `<style>`, outside elements marked `lang="en"` (the glossary's English
/// column, the link to the English page), and outside mdBook's own template
/// words (its keyboard help and theme menu, which `book/zh/zh.js` puts in
/// Chinese when the page loads). One string per text node.
fn prose(html: &str) -> Vec<String> {
    const VOID: [&str; 14] = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "!doctype"];
    let mut out = Vec::new();
    // Open elements: (name, whether its text is left out).
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if !open.iter().any(|(_, skip)| *skip) {
                out.push(rest.to_string());
            }
            break;
        };
        if lt > 0 && !open.iter().any(|(_, skip)| *skip) {
            out.push(rest[..lt].to_string());
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(at) = open.iter().rposition(|(n, _)| *n == name) {
                open.truncate(at);
            }
            continue;
        }
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("").to_ascii_lowercase();
        if VOID.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if name == "script" || name == "style" {
            let end = format!("</{name}>");
            rest = rest.find(&end).map_or("", |e| &rest[e + end.len()..]);
            continue;
        }
        let skip = matches!(name.as_str(), "code" | "pre" | "kbd")
            || tag.contains("lang=\"en\"")
            || tag.contains("id=\"mdbook-help-container\"")
            || tag.contains("id=\"mdbook-theme-list\"");
        open.push((name, skip));
    }
    out
}

/// Words that English prose cannot do without: a run of English words with
/// one of these in it is a sentence or a phrase, not a name.
const ENGLISH_GLUE: [&str; 40] = [
    "the", "a", "an", "is", "are", "was", "be", "of", "to", "in", "on", "at", "by", "for", "from", "with", "and", "or", "not", "no", "it", "its", "this",
    "that", "these", "you", "your", "what", "when", "then", "than", "can", "will", "has", "have", "as", "The", "This", "You", "Your",
];

/// English a Chinese page may quote as it is, because it is what a program
/// prints or the title a manual gives: the learner meets it in English.
const QUOTED_ENGLISH: [&str; 3] = [
    // umount's message for EINVAL (lesson 6).
    "not mounted",
    // strerror(ENOSPC), as a failed unshare prints it (lesson 8).
    "No space left on device",
    // A section of man 7 mount_namespaces, cited by its title (lesson 6).
    "Restrictions on mount namespaces",
];

/// English phrases in a text: runs of two or more ASCII words with only
/// spaces and punctuation between them, holding a glue word. Names and
/// identifiers alone (Linux, nslab, util-linux, lsns, CLONE_NEWNS, System V
/// IPC, a process called `box`) are not prose and pass.
fn english_phrases(text: &str) -> Vec<String> {
    let text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#x27;", "'").replace("&nbsp;", " ");
    let mut found = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, found: &mut Vec<String>| {
        if run.len() >= 2 && run.iter().any(|w| ENGLISH_GLUE.contains(w)) && !QUOTED_ENGLISH.contains(&run.join(" ").as_str()) {
            found.push(run.join(" "));
        }
        run.clear();
    };
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let wordish = c.is_ascii_alphanumeric() || c == '\'' || c == '_' || c == '-';
        match (wordish, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let word = &text[s..i];
                if word.chars().any(|c| c.is_ascii_alphabetic()) {
                    run.push(word);
                } else {
                    flush(&mut run, &mut found);
                }
                start = None;
                // Anything but ASCII spaces and light punctuation ends a run.
                if !(c.is_ascii_whitespace() || matches!(c, ',' | '\'' | '"' | ':' | ';' | '.' | '(' | ')')) {
                    flush(&mut run, &mut found);
                }
            }
            (false, None) if !(c.is_ascii_whitespace() || matches!(c, ',' | '\'' | '"' | ':' | ';' | '.' | '(' | ')')) => flush(&mut run, &mut found),
            _ => {}
        }
    }
    flush(&mut run, &mut found);
    found
}

#[test]
fn the_prose_scan_finds_english_and_lets_names_pass() {
    let page = "<main><p>用 lsns 看 util-linux 的 System V IPC，CLONE_NEWNS。</p><pre><code>the output is here</code></pre>\
                <p>这是 <span lang=\"en\">bind mount</span>。</p><p>Step 1 · the lab's own namespaces</p><div id=\"mdbook-theme-list\"><p>Press to show this help</p></div></main>";
    let found: Vec<String> = prose(page).iter().flat_map(|t| english_phrases(t)).collect();
    assert_eq!(found, ["the lab's own namespaces"]);
    assert_eq!(english_phrases("[ A -ef B ] 检验"), Vec::<String>::new());
    assert_eq!(english_phrases("run it with nslab"), ["run it with nslab"]);
}

/// Every HTML page under `dir`, recursively.
fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "html") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The target of the language switch on `page`, as a file, if the page has one.
fn switch_target(page: &Path, html: &str) -> Option<PathBuf> {
    let at = html.find("<div class=\"nslab-lang\"><a href=\"")? + "<div class=\"nslab-lang\"><a href=\"".len();
    let href = &html[at..at + html[at..].find('"')?];
    Some(page.parent()?.join(href))
}

#[test]
fn the_chinese_book_builds_beside_the_english_one_in_chinese_with_a_switch_on_every_page() {
    let Some(mdbook) = mdbook() else { return };
    let out_dir = tempfile::tempdir().unwrap();
    let (en, zh) = (out_dir.path().to_path_buf(), out_dir.path().join("zh"));
    let out = build(&mdbook, &repo().join("book"), &en);
    assert!(out.status.success(), "mdbook build book failed:\n{}", support::stderr(&out));
    let out = build(&mdbook, &repo().join("book/zh"), &zh);
    assert!(out.status.success(), "mdbook build book/zh failed:\n{}", support::stderr(&out));
    let html_lang = std::fs::read_to_string(zh.join("index.html")).unwrap();
    assert!(html_lang.contains("<html lang=\"zh\""), "the Chinese pages say they are Chinese");

    // Each translated lesson is its page, with Chinese step cards; the
    // others say they are not translated yet and link to the original.
    let mut translated = 0;
    for entry in std::fs::read_dir(repo().join("lessons")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        let page = zh.join("lessons").join(name.replace(".md", ".html"));
        let html = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("{name} has a Chinese page"));
        let translation = repo().join("lessons/zh").join(&name);
        if translation.is_file() {
            translated += 1;
            let lesson: Lesson = lesson::check_file(&translation).unwrap_or_else(|d| panic!("{}", lesson::render(&d, false)));
            assert!(html.contains(&html_escape(&lesson.meta.title)), "{name}: its Chinese title");
            for step in &lesson.steps {
                let label = if step.kind == lesson::StepKind::Exercise { "练习" } else { "第" };
                let at = html.find(&format!("id=\"step-{}\"", step.id)).unwrap_or_else(|| panic!("{name}: step {}", step.id));
                let block = &html[at..];
                let block = &block[..block[1..].find("id=\"step-").map_or(block.len(), |i| i + 1)];
                assert!(block.contains(&format!("<div class=\"nslab-step-title\">{label}")), "{name} {}: a Chinese card:\n{block}", step.id);
                if !step.expectations.is_empty() {
                    assert!(block.contains("然后 nslab 检查："), "{name} {}: the checks in Chinese", step.id);
                }
            }
            // The sidebar names the lesson by its translated title.
            let toc = std::fs::read_to_string(zh.join("toc.html")).unwrap();
            assert!(toc.contains(&html_escape(&lesson.meta.title)), "{name}: the sidebar has its Chinese title");
        } else {
            assert!(
                html.contains("这一课还没有中文版") && html.contains(&format!("href=\"../../lessons/{}\"", name.replace(".md", ".html"))),
                "{name}: {html}"
            );
        }
    }
    assert!(translated >= 2, "lessons/zh holds translations");

    // No English prose on any Chinese page.
    let mut english = Vec::new();
    for page in pages(&zh) {
        let mut html = std::fs::read_to_string(&page).unwrap();
        // mdBook writes the 404 page's title itself ("Page not found", in
        // hbs_renderer.rs); book/zh/zh.js puts it in Chinese when it loads.
        if page.ends_with("404.html")
            && let (Some(a), Some(b)) = (html.find("<title>"), html.find("</title>"))
        {
            html.replace_range(a..b, "");
        }
        for phrase in prose(&html).iter().flat_map(|t| english_phrases(t)) {
            english.push(format!("{}: {phrase:?}", page.strip_prefix(&zh).unwrap().display()));
        }
    }
    assert!(english.is_empty(), "English prose on Chinese pages:\n{}", english.join("\n"));

    // Every chapter page of each book links to a page of the other that exists.
    for (book, other) in [(&en, &zh), (&zh, &en)] {
        for page in pages(book).into_iter().filter(|p| !p.starts_with(&zh) || book == &zh) {
            let name = page.file_name().unwrap().to_string_lossy().into_owned();
            if ["print.html", "toc.html", "404.html"].contains(&name.as_str()) {
                continue;
            }
            let html = std::fs::read_to_string(&page).unwrap();
            let target = switch_target(&page, &html).unwrap_or_else(|| panic!("{} has no language switch", page.display()));
            let target = target.canonicalize().unwrap_or_else(|_| panic!("{}: the switch leads nowhere ({})", page.display(), target.display()));
            let in_other = if other == &en { !target.starts_with(zh.canonicalize().unwrap()) } else { target.starts_with(zh.canonicalize().unwrap()) };
            assert!(in_other, "{}: the switch leads to {} in the same book", page.display(), target.display());
        }
    }
    // A translated page leads to its original and back.
    let zh_observe = std::fs::read_to_string(zh.join("lessons/01-observe.html")).unwrap();
    assert!(zh_observe.contains("<div class=\"nslab-lang\"><a href=\"../../lessons/01-observe.html\" hreflang=\"en\" lang=\"en\">English</a></div>"));
    let en_observe = std::fs::read_to_string(en.join("lessons/01-observe.html")).unwrap();
    assert!(en_observe.contains("<div class=\"nslab-lang\"><a href=\"../zh/lessons/01-observe.html\" hreflang=\"zh\" lang=\"zh\">中文</a></div>"));
}
