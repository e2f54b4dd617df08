//! `nslab mdbook`: the mdBook preprocessor that turns lessons into readable
//! chapters. It speaks mdBook's protocol (`supports RENDERER`, then
//! `[context, book]` JSON on stdin and the book on stdout) for both the 0.4
//! (`sections`) and 0.5 (`items`) shapes, and touches nothing but the
//! `content` of chapters that hold lessons or nslab placeholders (and, for
//! a placeholder lesson, the chapter's `name`).
//!
//! One preprocessor serves the English book (`book/`) and the Chinese one
//! (`book/zh/`): the book's `language` chooses the words of the step cards
//! (from the message catalogue), `{{#nslab-lesson FILE}}` puts a lesson from
//! the folder `[preprocessor.nslab] lessons` names in a chapter (or, where
//! that language has no such lesson yet, a note linking to the other book's),
//! and `[preprocessor.nslab] translation = { book, url, label }` puts a link
//! to the same page in the other book at the top of every chapter.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::lesson::{self, Action, Diagnostic, Lesson, RunTarget, Step, StepKind};

/// The renderers whose output the rendered steps suit.
pub const RENDERERS: [&str; 3] = ["html", "markdown", "linkcheck"];

/// The placeholder a chapter uses to get the command reference.
pub const COMMANDS_PLACEHOLDER: &str = "{{#nslab-commands}}";

/// The placeholder a chapter uses to be a lesson: `{{#nslab-lesson 01-observe.md}}`.
pub const LESSON_PLACEHOLDER: &str = "{{#nslab-lesson ";

/// The other book of a translated pair, as `[preprocessor.nslab] translation` names it.
#[derive(Debug, Clone)]
struct Switch {
    /// The other book's sources (its folder's `src`).
    other_src: PathBuf,
    /// The other book's URL from this book's root (`zh/`, `../`).
    url: String,
    /// The link's text: the other language's own name.
    label: String,
    /// The other language's code, for `hreflang`.
    lang: String,
}

/// What every chapter is rendered with.
struct Env<'a> {
    src_dir: PathBuf,
    commands: &'a str,
    /// Where `{{#nslab-lesson FILE}}` finds FILE.
    lessons: Option<PathBuf>,
    switch: Option<Switch>,
}

/// Why preprocessing failed.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// stdin was not `[context, book]` JSON.
    #[error("mdbook sent something other than [context, book] JSON: {0}")]
    Input(String),
    /// A lesson does not parse; the diagnostics are rendered.
    #[error("{0}")]
    Lesson(String),
}

/// True for a renderer nslab supports.
pub fn supports(renderer: &str) -> bool {
    RENDERERS.contains(&renderer)
}

/// Preprocesses mdBook's input: returns the book JSON to print.
pub fn preprocess(input: &str, commands: &str) -> Result<String, BookError> {
    let value: Value = serde_json::from_str(input).map_err(|e| BookError::Input(e.to_string()))?;
    let Value::Array(mut pair) = value else { return Err(BookError::Input("not an array".into())) };
    if pair.len() != 2 {
        return Err(BookError::Input(format!("an array of {} items", pair.len())));
    }
    let mut book = pair.pop().unwrap_or_default();
    let context = pair.pop().unwrap_or_default();
    let root = context.get("root").and_then(Value::as_str).map(PathBuf::from).unwrap_or_default();
    let src = context.pointer("/config/book/src").and_then(Value::as_str).unwrap_or("src");
    let src_dir = root.join(src);
    // The words of the cards: the book's language.
    let language = context.pointer("/config/book/language").and_then(Value::as_str).map_or(crate::i18n::Lang::En, crate::i18n::Lang::from_locale);
    crate::i18n::set(language);
    // Paths in nslab's settings are from the book's real folder (`nslab
    // serve` builds from a folder of links to it).
    let book_dir = std::fs::canonicalize(&src_dir).ok().and_then(|s| s.parent().map(Path::to_path_buf)).unwrap_or_else(|| root.clone());
    let settings = context.pointer("/config/preprocessor/nslab");
    let lessons = settings.and_then(|s| s.get("lessons")).and_then(Value::as_str).map(|l| book_dir.join(l));
    let switch = settings.and_then(|s| s.get("translation")).and_then(|t| {
        let field = |k: &str| t.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Switch {
            other_src: book_dir.join(field("book")?).join("src"),
            url: field("url")?,
            label: field("label")?,
            lang: field("lang").unwrap_or_default(),
        })
    });
    let env = Env { src_dir, commands, lessons, switch };
    let mut problems = Vec::new();
    // 0.5 names the list `items`, 0.4 `sections`; both hold the same items.
    for key in ["items", "sections"] {
        if let Some(Value::Array(items)) = book.get_mut(key) {
            for item in items {
                visit(item, &env, &mut problems);
            }
        }
    }
    if !problems.is_empty() {
        return Err(BookError::Lesson(lesson::render(&problems, false)));
    }
    serde_json::to_string(&book).map_err(|e| BookError::Input(e.to_string()))
}

fn visit(item: &mut Value, env: &Env, problems: &mut Vec<Diagnostic>) {
    let Some(chapter) = item.get_mut("Chapter") else { return };
    let source = chapter.get("source_path").and_then(Value::as_str).map(PathBuf::from);
    let mut title = None;
    let mut placeholder = false;
    if let Some(Value::String(content)) = chapter.get_mut("content") {
        let mut file = lesson_file(&env.src_dir, source.as_deref());
        // A placeholder lesson: the lesson's text, or a note that it is not here yet.
        if let Some(name) = content.trim().strip_prefix(LESSON_PLACEHOLDER).and_then(|r| r.strip_suffix("}}")).map(|n| n.trim().to_string()) {
            let path = env.lessons.as_ref().map(|dir| dir.join(&name));
            match path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) {
                Some(text) => {
                    file = path.unwrap_or_default();
                    *content = text;
                    placeholder = true;
                }
                None => *content = untranslated(env.switch.as_ref(), source.as_deref()),
            }
        }
        match render_chapter(content, &file, env.commands) {
            Ok(Some((new, lesson_title))) => {
                *content = new;
                // A placeholder's chapter is named by the lesson it turned out to be.
                title = lesson_title.filter(|_| placeholder);
            }
            Ok(None) => {}
            Err(diags) => problems.extend(diags),
        }
        if let (Some(switch), Some(source)) = (&env.switch, source.as_deref()) {
            *content = format!("{}\n\n{content}", switch_link(switch, source));
        }
    }
    if let Some(t) = title
        && chapter.get("name").is_some()
    {
        chapter["name"] = Value::String(t);
    }
    if let Some(Value::Array(subs)) = chapter.get_mut("sub_items") {
        for sub in subs {
            visit(sub, env, problems);
        }
    }
}

/// The URL of `source`'s page from this page (both in the same book): as
/// many `../` as `source` has folders.
fn to_root(source: &Path) -> String {
    "../".repeat(source.components().count().saturating_sub(1))
}

/// The other book's page for `source`, or its first page when it has none.
fn counterpart(switch: &Switch, source: &Path) -> String {
    let page = if switch.other_src.join(source).is_file() { source.with_extension("html").display().to_string() } else { "index.html".to_string() };
    format!("{}{}{page}", to_root(source), switch.url)
}

/// The language switch at the top of a chapter: a link to the same page in
/// the other book.
fn switch_link(switch: &Switch, source: &Path) -> String {
    format!(
        "<div class=\"nslab-lang\"><a href=\"{}\" hreflang=\"{}\" lang=\"{}\">{}</a></div>",
        escape(&counterpart(switch, source)),
        escape(&switch.lang),
        escape(&switch.lang),
        escape(&switch.label)
    )
}

/// The chapter of a lesson this book's language has no translation of yet.
fn untranslated(switch: Option<&Switch>, source: Option<&Path>) -> String {
    let link = match (switch, source) {
        (Some(s), Some(p)) => counterpart(s, p),
        _ => "index.html".to_string(),
    };
    format!("# {}\n\n{}\n", crate::t!("book-untranslated-title"), crate::t!("book-untranslated", link = link))
}

/// The file a chapter's text comes from, for diagnostics: a chapter that is
/// only `{{#include PATH}}` stands for PATH (the lesson itself).
fn lesson_file(src_dir: &Path, source: Option<&Path>) -> PathBuf {
    let Some(source) = source else { return PathBuf::from("(chapter)") };
    let wrapper = src_dir.join(source);
    if let Ok(text) = std::fs::read_to_string(&wrapper) {
        let t = text.trim();
        if let Some(inner) = t.strip_prefix("{{#include ").and_then(|r| r.strip_suffix("}}"))
            && !t[2..].contains("{{")
        {
            let path = wrapper.parent().unwrap_or(src_dir).join(inner.trim());
            return std::fs::canonicalize(&path).unwrap_or(path);
        }
    }
    wrapper
}

/// The chapter's new text (and, for a lesson, its title), or `None` when it
/// holds nothing of nslab's.
pub fn render_chapter(content: &str, file: &Path, commands: &str) -> Result<Option<(String, Option<String>)>, Vec<Diagnostic>> {
    let mut text = content.to_string();
    let mut changed = false;
    if text.contains(COMMANDS_PLACEHOLDER) {
        text = text.replace(COMMANDS_PLACEHOLDER, commands);
        changed = true;
    }
    let is_lesson = text.starts_with("---\n") || has_step_fence(&text);
    if !is_lesson {
        return Ok(changed.then_some((text, None)));
    }
    let lesson = lesson::parse_lesson(&text, file)?;
    Ok(Some((render_lesson(&lesson), Some(lesson.meta.title.clone()))))
}

fn has_step_fence(text: &str) -> bool {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
    Parser::new(text).any(|e| {
        matches!(e, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
            if info.split_whitespace().next() == Some(lesson::FENCE_WORD))
    })
}

/// A lesson as a chapter: the metadata line, the prose as written, and each
/// step block replaced by its readable form.
pub fn render_lesson(lesson: &Lesson) -> String {
    let mut out = String::new();
    let meta = &lesson.meta;
    let mut facts = Vec::new();
    if let Some(m) = meta.duration_minutes {
        facts.push(crate::t!("book-minutes", minutes = m));
    }
    // What a lesson needs, as its `needs:` line says it: code.
    let needs = format!("<code>{}</code>", escape(&meta.needs.to_string()));
    facts.push(if meta.needs.is_nothing() { crate::t!("book-runs-anywhere") } else { crate::t!("book-needs", needs = needs) });
    facts.push(crate::t!("list-steps", count = lesson.steps.len()));
    let run = format!("<code>nslab run {}</code>", escape(&meta.id));
    let _ = writeln!(out, "<div class=\"nslab-lesson-meta\">{} · {}</div>\n", facts.join(" · "), crate::t!("book-run-it", command = run));
    let pictures = crate::picture::expected(lesson);
    for (step, picture) in lesson.steps.iter().zip(&pictures) {
        let mut prose = lesson.prose(step).to_string();
        // A file the lesson carries shows as source code, with its name.
        for file in step.files.iter().rev() {
            let at = file.span.start.saturating_sub(step.prose.start);
            if let Some(block) = prose.get(at..at + (file.span.end - file.span.start)) {
                let lang = match file.name.rsplit_once('.').map(|(_, ext)| ext) {
                    Some("c") => "c",
                    Some("py") => "python",
                    Some("sh") => "sh",
                    _ => "text",
                };
                // A fence longer than any run of backticks in the file.
                let longest = file.text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                let name = format!("<code>{}</code>", escape(&file.name));
                let shown = format!("<p class=\"nslab-file\">{}</p>\n\n{fence}{lang}\n{}{fence}", crate::t!("book-file", name = name), file.text);
                prose = prose.replacen(block, &shown, 1);
            }
        }
        out.push_str(&prose);
        render_step(step, crate::picture::step_touches_namespaces(step).then_some(picture), &mut out);
    }
    out.push_str(lesson.text(lesson.outro));
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Inline Markdown code spans (`x`) as <code>, the rest escaped.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// "a new uts namespace" or "new uts and net namespaces".
fn new_namespaces(kinds: crate::ns::KindSet) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    match names.as_slice() {
        [one] => crate::t!("book-new-ns", kinds = *one),
        [rest @ .., last] => crate::t!("book-new-nss", kinds = crate::t!("kinds-list", rest = rest.join(&crate::t!("kinds-separator")), last = *last)),
        [] => crate::t!("book-no-new-ns"),
    }
}

/// `$NSLAB_PID_BOX`: how a lab's shell names the pid of process `name`.
fn pid_var(name: &str) -> String {
    format!("$NSLAB_PID_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// The namespace file of `kind` of `process` (`host`: the lab's pid 1).
fn ns_file(process: &str, kind: crate::ns::NsKind) -> String {
    match process {
        "host" => format!("/proc/1/ns/{kind}"),
        p => format!("/proc/{}/ns/{kind}", pid_var(p)),
    }
}

/// `unshare` options for new namespaces of `kinds`, as a long-lived process
/// gets them (`--fork` where only children enter, a root map for a user
/// namespace).
fn unshare_options(kinds: crate::ns::KindSet) -> String {
    use crate::ns::NsKind;
    let mut opts: Vec<&str> = Vec::new();
    for k in kinds.iter() {
        opts.push(match k {
            NsKind::Cgroup => "--cgroup",
            NsKind::Ipc => "--ipc",
            NsKind::Mnt => "--mount",
            NsKind::Net => "--net",
            NsKind::Pid => "--pid",
            NsKind::Time => "--time",
            NsKind::User => "--user --map-root-user",
            NsKind::Uts => "--uts",
        });
    }
    if kinds.contains(NsKind::Pid) || kinds.contains(NsKind::Time) {
        opts.push("--fork");
    }
    opts.join(" ")
}

/// What the action does, in words, and the shell command it runs — or, for
/// an action nslab performs itself, the same done by hand with util-linux.
fn describe_action(action: &Action) -> (String, Option<String>) {
    use crate::t;
    let b = |s: &str| format!("<b>{}</b>", escape(s));
    match action {
        Action::Start { name, kinds, inside } => {
            let place = inside.as_ref().map(|i| t!("book-inside", name = b(i))).unwrap_or_default();
            let enter = inside.as_ref().map(|i| format!("nsenter -t {} -a ", pid_var(i))).unwrap_or_default();
            (
                t!("book-start", name = b(name), namespaces = new_namespaces(*kinds), place = place),
                Some(format!("{enter}unshare {} sleep infinity &", unshare_options(*kinds))),
            )
        }
        Action::Run { target: RunTarget::Host, command } => (t!("book-run-lab"), Some(command.clone())),
        Action::Run { target: RunTarget::Process(n), command } => (t!("book-run-in", name = b(n)), Some(command.clone())),
        Action::Run { target: RunTarget::Pin(p), command } => (t!("book-run-pinned", pin = b(p)), Some(command.clone())),
        Action::Unshare { kinds, command } => (t!("book-unshare", namespaces = new_namespaces(*kinds)), Some(command.clone())),
        Action::Pin { process, kind, pin } => (
            t!("book-pin", kind = kind.name(), name = b(process), pin = b(pin)),
            Some(format!("touch {pin} && mount --bind {} {pin}", ns_file(process, *kind))),
        ),
        Action::Unpin { pin } => (t!("book-unpin", pin = b(pin)), Some(format!("umount {pin} && rm {pin}"))),
        Action::Stop { name } => (t!("book-stop", name = b(name)), Some(format!("kill -KILL {}", pid_var(name)))),
        Action::YourTurn => (t!("book-your-turn"), None),
        Action::Lsns { kinds } if kinds.is_empty() => (t!("book-lsns-all"), Some("lsns".into())),
        Action::Lsns { kinds } => {
            let types: Vec<String> = kinds.iter().map(|k| format!("-t {k}")).collect();
            (t!("book-lsns", kinds = kinds.to_string()), Some(format!("lsns {}", types.join(" "))))
        }
    }
}

fn render_step(step: &Step, picture: Option<&crate::picture::Picture>, out: &mut String) {
    let kind =
        if step.kind == StepKind::Exercise { crate::t!("book-exercise-n", number = step.number) } else { crate::t!("book-step-n", number = step.number) };
    let class = if step.kind == StepKind::Exercise { "nslab-step nslab-exercise" } else { "nslab-step" };
    let _ = writeln!(out, "\n<div class=\"{class}\" id=\"step-{}\" data-step=\"{}\">", escape(&step.id), escape(&step.id));
    let title = step.title.as_deref().map(|t| format!(" · {}", inline(t))).unwrap_or_default();
    let _ = writeln!(out, "<div class=\"nslab-step-title\">{kind}{title}</div>");
    if !step.needs.is_empty() {
        let programs: Vec<String> = step.needs.iter().map(|p| format!("<code>{}</code>", escape(p))).collect();
        let _ = writeln!(out, "<p class=\"nslab-needs\">{}</p>", crate::t!("book-step-needs", programs = programs.join(", ")));
    }
    if let Some(ex) = &step.exercise {
        let _ = writeln!(out, "<p class=\"nslab-goal\">{}</p>", inline(&ex.goal));
        if let Some(probe) = &ex.probe {
            let _ = writeln!(out, "<p class=\"nslab-action\">{}</p>", crate::t!("book-probe"));
            let _ = writeln!(out, "<pre><code class=\"language-sh\">{}</code></pre>", escape(probe));
        }
    } else {
        let (words, command) = describe_action(&step.action.value);
        let _ = writeln!(out, "<p class=\"nslab-action\">{words}</p>");
        if let Some(cmd) = command {
            let _ = writeln!(out, "<pre><code class=\"language-sh\">{}</code></pre>", escape(&cmd));
        }
    }
    for save in &step.saves {
        let s = &save.value;
        let whose = match &s.subject {
            lesson::Subject::Host => crate::t!("book-the-lab"),
            other => format!("<b>{}</b>", escape(&other.to_string())),
        };
        let capture = format!("<b>@{}</b>", escape(&s.capture));
        let _ = writeln!(out, "<p class=\"nslab-save\">{}</p>", crate::t!("book-save", kind = s.kind.name(), whose = whose, capture = capture));
    }
    if !step.expectations.is_empty() {
        let _ = writeln!(out, "<p class=\"nslab-expect-title\">{}</p>\n<ul class=\"nslab-expect\">", crate::t!("book-checks"));
        for e in &step.expectations {
            match &e.value {
                // Several expected lines: show them, not just their count.
                lesson::Expectation::Output { stream, matcher: lesson::OutputMatcher::Lines(lines) } if lines.len() > 1 => {
                    let text: Vec<&str> = lines
                        .iter()
                        .map(|l| match l {
                            lesson::LinePattern::Text(t) => t.as_str(),
                            lesson::LinePattern::AnyLines => lesson::ANY_LINES,
                        })
                        .collect();
                    let _ = writeln!(
                        out,
                        "<li>{}<pre><code>{}</code></pre></li>",
                        crate::t!("book-stream-is", stream = stream.to_string()),
                        escape(&text.join("\n"))
                    );
                }
                other => {
                    let _ = writeln!(out, "<li>{}</li>", inline(&other.describe()));
                }
            }
        }
        out.push_str("</ul>\n");
    }
    if let Some(p) = picture {
        // One line, with no blank line in it: Markdown keeps it one HTML block.
        let what = if step.kind == StepKind::Exercise { crate::t!("book-picture-done") } else { crate::t!("book-picture-after") };
        let _ = writeln!(out, "<div class=\"nslab-picture\"><p class=\"nslab-picture-title\">{what}</p>{}</div>", p.svg());
    }
    for (i, hint) in step.hints.iter().enumerate() {
        let label = if step.hints.len() > 1 { crate::t!("book-hint-n", number = i + 1) } else { crate::t!("book-hint") };
        let _ = writeln!(out, "<details class=\"nslab-hint\"><summary>{label}</summary>{}</details>", inline(hint));
    }
    if let Some(ex) = &step.exercise {
        let _ = writeln!(
            out,
            "<details class=\"nslab-solution\"><summary>{}</summary><pre><code class=\"language-sh\">{}</code></pre></details>",
            crate::t!("book-solution"),
            escape(&ex.solution)
        );
    }
    out.push_str("</div>\n\n");
}

/// The command reference: every subcommand's help, from the clap definitions.
pub fn command_reference(cmd: &mut clap::Command) -> String {
    let mut out = String::new();
    let name = cmd.get_name().to_string();
    let _ = writeln!(out, "```text\n{}\n```\n", cmd.render_long_help().to_string().trim_end());
    let subs: Vec<clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned().collect();
    for sub in subs {
        let sub_name = sub.get_name().to_string();
        let _ = writeln!(out, "## `{name} {sub_name}`\n");
        let mut sub = sub.bin_name(format!("{name} {sub_name}"));
        let _ = writeln!(out, "```text\n{}\n```\n", sub.render_long_help().to_string().trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LESSON: &str = "---\nid: demo\ntitle: Demo\nneeds: userns\nduration: 5 min\n---\n\n# Demo\n\nSome prose.\n\n```nslab\ntitle: Start\nstart box: net uts\nexpect: box net differs from host\nexpect: box pid same as host\nhint: use `start`\n```\n\n```nslab\nrun in box: hostname x && hostname\nexpect: stdout: x\nhint: it is x\n```\n\n## What you learned\n\nThings.\n";

    fn book(shape: &str, content: &str) -> String {
        let chapter = serde_json::json!({"Chapter": {"name": "Demo", "content": content, "number": [1], "sub_items": [], "path": "demo.md", "source_path": "demo.md", "parent_names": []}});
        let list = serde_json::json!([chapter, "Separator", {"PartTitle": "Part"}]);
        let book = if shape == "items" { serde_json::json!({"items": list}) } else { serde_json::json!({"sections": list, "__non_exhaustive": null}) };
        let ctx = serde_json::json!({"root": "/nonexistent", "config": {"book": {"src": "src"}}, "renderer": "html", "mdbook_version": "0.5.4"});
        serde_json::json!([ctx, book]).to_string()
    }

    #[test]
    fn both_shapes_are_rendered_and_other_fields_kept() {
        for shape in ["items", "sections"] {
            let out: Value = serde_json::from_str(&preprocess(&book(shape, LESSON), "").unwrap()).unwrap();
            let items = out[shape].as_array().unwrap();
            assert_eq!(items[1], "Separator");
            assert_eq!(items[2]["PartTitle"], "Part");
            let ch = &items[0]["Chapter"];
            assert_eq!(ch["number"], serde_json::json!([1]));
            assert_eq!(ch["path"], "demo.md");
            let content = ch["content"].as_str().unwrap();
            assert!(!content.contains("```nslab") && !content.contains("expect:"), "{content}");
            assert!(
                content.contains("<li>the net namespace of box differs from the lab&#x27;s</li>")
                    || content.contains("<li>the net namespace of box differs from the lab's</li>"),
                "{content}"
            );
            assert!(content.contains("<details class=\"nslab-hint\"><summary>Hint</summary>use <code>start</code></details>"), "{content}");
            assert!(content.contains("<pre><code class=\"language-sh\">hostname x &amp;&amp; hostname</code></pre>"), "{content}");
            assert!(content.contains("# Demo") && content.contains("## What you learned"));
            if shape == "sections" {
                assert!(out.get("__non_exhaustive").is_some(), "unknown fields are kept");
            }
        }
    }

    #[test]
    fn chapters_without_lessons_are_untouched() {
        let input = book("items", "# Intro\n\n```sh\nls\n```\n");
        let out: Value = serde_json::from_str(&preprocess(&input, "").unwrap()).unwrap();
        assert_eq!(out["items"][0]["Chapter"]["content"], "# Intro\n\n```sh\nls\n```\n");
    }

    #[test]
    fn a_broken_lesson_fails_with_its_location() {
        let broken = LESSON.replace("start box: net uts", "start box: net warp");
        let err = preprocess(&book("items", &broken), "").unwrap_err().to_string();
        assert!(err.contains("demo.md:14:16: error: unknown namespace kind `warp`"), "{err}");
    }

    #[test]
    fn placeholder_gets_the_command_reference() {
        let input = book("items", "# Commands\n\n{{#nslab-commands}}\n");
        let out: Value = serde_json::from_str(&preprocess(&input, "THE HELP").unwrap()).unwrap();
        assert_eq!(out["items"][0]["Chapter"]["content"], "# Commands\n\nTHE HELP\n");
    }

    #[test]
    fn supports_html() {
        assert!(supports("html"));
        assert!(!supports("pdf"));
    }
}
