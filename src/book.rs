//! `nslab mdbook`: the mdBook preprocessor that turns lessons into readable
//! chapters. It speaks mdBook's protocol (`supports RENDERER`, then
//! `[context, book]` JSON on stdin and the book on stdout) for both the 0.4
//! (`sections`) and 0.5 (`items`) shapes, and touches nothing but the
//! `content` of chapters that hold lessons or nslab placeholders.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::lesson::{self, Action, Diagnostic, Lesson, RunTarget, Step, StepKind};

/// The renderers whose output the rendered steps suit.
pub const RENDERERS: [&str; 3] = ["html", "markdown", "linkcheck"];

/// The placeholder a chapter uses to get the command reference.
pub const COMMANDS_PLACEHOLDER: &str = "{{#nslab-commands}}";

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
    let mut problems = Vec::new();
    // 0.5 names the list `items`, 0.4 `sections`; both hold the same items.
    for key in ["items", "sections"] {
        if let Some(Value::Array(items)) = book.get_mut(key) {
            for item in items {
                visit(item, &src_dir, commands, &mut problems);
            }
        }
    }
    if !problems.is_empty() {
        return Err(BookError::Lesson(lesson::render(&problems, false)));
    }
    serde_json::to_string(&book).map_err(|e| BookError::Input(e.to_string()))
}

fn visit(item: &mut Value, src_dir: &Path, commands: &str, problems: &mut Vec<Diagnostic>) {
    let Some(chapter) = item.get_mut("Chapter") else { return };
    let source = chapter.get("source_path").and_then(Value::as_str).map(PathBuf::from);
    if let Some(Value::String(content)) = chapter.get_mut("content") {
        let file = lesson_file(src_dir, source.as_deref());
        match render_chapter(content, &file, commands) {
            Ok(Some(new)) => *content = new,
            Ok(None) => {}
            Err(diags) => problems.extend(diags),
        }
    }
    if let Some(Value::Array(subs)) = chapter.get_mut("sub_items") {
        for sub in subs {
            visit(sub, src_dir, commands, problems);
        }
    }
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

/// The chapter's new text, or `None` when it holds nothing of nslab's.
pub fn render_chapter(content: &str, file: &Path, commands: &str) -> Result<Option<String>, Vec<Diagnostic>> {
    let mut text = content.to_string();
    let mut changed = false;
    if text.contains(COMMANDS_PLACEHOLDER) {
        text = text.replace(COMMANDS_PLACEHOLDER, commands);
        changed = true;
    }
    let is_lesson = text.starts_with("---\n") || has_step_fence(&text);
    if !is_lesson {
        return Ok(changed.then_some(text));
    }
    let lesson = lesson::parse_lesson(&text, file)?;
    Ok(Some(render_lesson(&lesson)))
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
        facts.push(format!("about {m} minutes"));
    }
    facts.push(if meta.needs.is_nothing() { "runs anywhere".to_string() } else { format!("needs {}", meta.needs) });
    facts.push(format!("{} steps", lesson.steps.len()));
    let _ = writeln!(out, "<div class=\"nslab-lesson-meta\">{} · run it with <code>nslab run {}</code></div>\n", escape(&facts.join(" · ")), escape(&meta.id));
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
                let shown = format!(
                    "<p class=\"nslab-file\">nslab puts this file in the run folder as <code>{}</code>:</p>\n\n{fence}{lang}\n{}{fence}",
                    escape(&file.name),
                    file.text
                );
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
        [one] => format!("a new {one} namespace"),
        [rest @ .., last] => format!("new {} and {last} namespaces", rest.join(", ")),
        [] => "no new namespace".into(),
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
    match action {
        Action::Start { name, kinds, inside } => {
            let place = inside.as_ref().map(|i| format!(", inside the namespaces of <b>{}</b>", escape(i))).unwrap_or_default();
            let enter = inside.as_ref().map(|i| format!("nsenter -t {} -a ", pid_var(i))).unwrap_or_default();
            (
                format!("Start a process <b>{}</b> in {}{place} (clone). By hand:", escape(name), new_namespaces(*kinds)),
                Some(format!("{enter}unshare {} sleep infinity &", unshare_options(*kinds))),
            )
        }
        Action::Run { target: RunTarget::Host, command } => ("Run in the lab:".into(), Some(command.clone())),
        Action::Run { target: RunTarget::Process(n), command } => {
            (format!("Run inside the namespaces of <b>{}</b> (setns):", escape(n)), Some(command.clone()))
        }
        Action::Run { target: RunTarget::Pin(p), command } => {
            (format!("Run inside the namespace pinned at <b>{}</b> (setns):", escape(p)), Some(command.clone()))
        }
        Action::Unshare { kinds, command } => (format!("Move into {} (unshare), then run:", new_namespaces(*kinds)), Some(command.clone())),
        Action::Pin { process, kind, pin } => (
            format!("Keep the {kind} namespace of <b>{}</b> alive with a bind mount at <b>{}</b>. By hand:", escape(process), escape(pin)),
            Some(format!("touch {pin} && mount --bind {} {pin}", ns_file(process, *kind))),
        ),
        Action::Unpin { pin } => (format!("Unmount the pin <b>{}</b>. By hand:", escape(pin)), Some(format!("umount {pin} && rm {pin}"))),
        Action::Stop { name } => (format!("Stop <b>{}</b> (it is killed and reaped). By hand:", escape(name)), Some(format!("kill -KILL {}", pid_var(name)))),
        Action::YourTurn => ("Your turn: reach the goal with your own commands.".into(), None),
        Action::Lsns { kinds } if kinds.is_empty() => ("List every namespace:".into(), Some("lsns".into())),
        Action::Lsns { kinds } => {
            let types: Vec<String> = kinds.iter().map(|k| format!("-t {k}")).collect();
            (format!("List the {kinds} namespaces:"), Some(format!("lsns {}", types.join(" "))))
        }
    }
}

fn render_step(step: &Step, picture: Option<&crate::picture::Picture>, out: &mut String) {
    let kind = if step.kind == StepKind::Exercise { "Your turn" } else { "Step" };
    let class = if step.kind == StepKind::Exercise { "nslab-step nslab-exercise" } else { "nslab-step" };
    let _ = writeln!(out, "\n<div class=\"{class}\" id=\"step-{}\" data-step=\"{}\">", escape(&step.id), escape(&step.id));
    let title = step.title.as_deref().map(|t| format!(" · {}", inline(t))).unwrap_or_default();
    let _ = writeln!(out, "<div class=\"nslab-step-title\">{kind} {}{title}</div>", step.number);
    if !step.needs.is_empty() {
        let programs: Vec<String> = step.needs.iter().map(|p| format!("<code>{}</code>", escape(p))).collect();
        let _ = writeln!(out, "<p class=\"nslab-needs\">Needs {}: where it is not installed, nslab skips this step and says why.</p>", programs.join(", "));
    }
    if let Some(ex) = &step.exercise {
        let _ = writeln!(out, "<p class=\"nslab-goal\">{}</p>", inline(&ex.goal));
        if let Some(probe) = &ex.probe {
            let _ = writeln!(out, "<p class=\"nslab-action\">When you type <code>check</code>, nslab runs this in your shell's namespaces:</p>");
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
            lesson::Subject::Host => "the lab".to_string(),
            other => format!("<b>{}</b>", escape(&other.to_string())),
        };
        let _ = writeln!(out, "<p class=\"nslab-save\">nslab notes the {} namespace of {whose} as <b>@{}</b>.</p>", s.kind, escape(&s.capture));
    }
    if !step.expectations.is_empty() {
        let _ = writeln!(out, "<p class=\"nslab-expect-title\">nslab then checks that:</p>\n<ul class=\"nslab-expect\">");
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
                    let _ = writeln!(out, "<li>{stream} is:<pre><code>{}</code></pre></li>", escape(&text.join("\n")));
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
        let what =
            if step.kind == StepKind::Exercise { "When you are done, the lab should look like this" } else { "Afterwards the lab should look like this" };
        let _ = writeln!(out, "<div class=\"nslab-picture\"><p class=\"nslab-picture-title\">{what}:</p>{}</div>", p.svg());
    }
    for (i, hint) in step.hints.iter().enumerate() {
        let label = if step.hints.len() > 1 { format!("Hint {}", i + 1) } else { "Hint".to_string() };
        let _ = writeln!(out, "<details class=\"nslab-hint\"><summary>{label}</summary>{}</details>", inline(hint));
    }
    if let Some(ex) = &step.exercise {
        let _ = writeln!(
            out,
            "<details class=\"nslab-solution\"><summary>Solution</summary><pre><code class=\"language-sh\">{}</code></pre></details>",
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
