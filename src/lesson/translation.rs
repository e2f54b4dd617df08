//! Translations: `lessons/zh/01-observe.md` translates `lessons/01-observe.md`.
//!
//! A translation changes prose, titles, hints and goals only; its steps must do
//! exactly what the original's do. Its front matter names the original
//! (`translates: 01-observe.md`) and the fingerprint of the original's steps
//! it was translated from (`source-steps: …`). `nslab check` compares the two
//! step by step, and reports a translation whose original changed since
//! (stale), so that drift cannot go unseen.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostic, Diagnostics};
use super::model::{Lesson, Step, StepKind};
use super::span::{LineIndex, Span, Spanned};

/// What makes up a step's structure, in fingerprint order, with the words
/// used to name each part in a message.
const PARTS: [(&str, &str); 11] = [
    ("id", "id"),
    ("kind", "kind (step or exercise)"),
    ("action", "action"),
    ("saves", "`save` lines"),
    ("expectations", "`expect:` lines"),
    ("timeout", "`timeout:`"),
    ("stdin", "`stdin:`"),
    ("solution", "`solution:`"),
    ("creates", "`creates:` lines"),
    ("probe", "`probe:`"),
    ("files", "carried files (```nslab file blocks)"),
];

/// A step's structure: everything the runner does and checks (id, kind,
/// action, saves, expectations, timeout, stdin, solution, creates, probe,
/// carried files), none of what the learner reads (title, hints, goal, prose).
fn shape(step: &Step) -> Map<String, Value> {
    fn values<T: serde::Serialize>(items: &[Spanned<T>]) -> Value {
        items.iter().map(|i| serde_json::to_value(&i.value).unwrap_or(Value::Null)).collect()
    }
    let exercise = step.exercise.as_ref();
    let mut m = Map::new();
    m.insert("id".into(), json!(step.id));
    m.insert("kind".into(), json!(step.kind));
    m.insert("action".into(), serde_json::to_value(&step.action.value).unwrap_or(Value::Null));
    m.insert("saves".into(), values(&step.saves));
    m.insert("expectations".into(), values(&step.expectations));
    m.insert("timeout".into(), json!(step.timeout.map(|d| d.as_millis() as u64)));
    m.insert("stdin".into(), json!(step.stdin));
    m.insert("solution".into(), json!(exercise.map(|e| &e.solution)));
    m.insert("creates".into(), json!(exercise.map(|e| &e.creates)));
    m.insert("probe".into(), json!(exercise.map(|e| &e.probe)));
    m.insert("files".into(), step.files.iter().map(|f| json!([f.name, f.text])).collect());
    // Only where given, so that the fingerprints of steps without it stay.
    if !step.needs.is_empty() {
        m.insert("needs".into(), json!(step.needs));
    }
    m
}

/// The fingerprint of a lesson's step structure: 16 hex digits of the
/// SHA-256 of every step's [`shape`] and the lesson's `needs:`. Titles, hints,
/// goals and prose do not count, so a translation has its original's
/// fingerprint exactly when its steps do the same.
pub fn fingerprint(lesson: &Lesson) -> String {
    let steps: Vec<Value> = lesson.steps.iter().map(|s| Value::Object(shape(s))).collect();
    let all = json!({ "needs": lesson.meta.needs.to_string(), "steps": steps });
    let digest = Sha256::digest(all.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Where the original of a translation at `path` is: `translates: NAME` names
/// a file in the folder above the translation's (`lessons/zh/x.md` →
/// `lessons/NAME`).
pub fn original_path(path: &Path, name: &str) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && dir != Path::new(".") => dir.parent().unwrap_or(Path::new("")).join(name),
        _ => Path::new("..").join(name),
    }
}

/// Checks a translation (a lesson whose front matter has `translates:`)
/// against its original, read from disk: every problem, positioned in the
/// translation. A lesson that is not a translation has none.
pub fn check(translation: &Lesson) -> Vec<Diagnostic> {
    let Some(link) = &translation.meta.translates else {
        return Vec::new();
    };
    let index = LineIndex::new(&translation.source);
    let mut diags = Diagnostics::default();
    let name = &link.original.value;
    let at = link.original.span.range();
    let own = translation.source_path.file_name().map(|n| n.to_string_lossy().into_owned());
    if name.contains('/') || !name.ends_with(".md") {
        diags.error_help(at, format!("`translates: {name}` is not a lesson file name"), "name the original's file, e.g. `translates: 01-observe.md`");
    } else if own.as_deref() != Some(name.as_str()) {
        diags.error_help(
            at,
            format!("this translation is named {} but translates {name}", own.unwrap_or_default()),
            format!("a translation has its original's file name: rename it to {name}"),
        );
    } else {
        let original_at = original_path(&translation.source_path, name);
        match super::check_file(&original_at) {
            Err(problems) if !original_at.exists() => {
                let why = problems.first().map_or(String::new(), |d| d.message.clone());
                diags.error_help(
                    at,
                    format!("the original {} is missing ({why})", original_at.display()),
                    "a translation in lessons/LANG/ translates the lesson of the same name in lessons/",
                );
            }
            Err(problems) => diags.error_help(
                at,
                format!("the original {} does not pass `nslab check` ({} errors)", original_at.display(), problems.len()),
                "fix the original first",
            ),
            Ok(original) if original.meta.translates.is_some() => {
                diags.error_help(at, format!("{} is itself a translation", original_at.display()), "translate the original lesson");
            }
            Ok(original) => compare(translation, &original, &mut diags),
        }
    }
    diags.finish(&translation.source_path, &index)
}

/// The first line of `span`.
fn first_line(span: Span, source: &str) -> Range<usize> {
    let text = source.get(span.range()).unwrap_or("");
    span.start..span.start + text.find('\n').unwrap_or(text.len())
}

/// `01-observe.md:42` and the line's text, to quote the original in a help.
fn quote(original: &Lesson, span: Span) -> String {
    let line = original.source.get(first_line(span, &original.source)).unwrap_or("").trim();
    format!("{}:{}: `{line}`", original.source_path.display(), span.line)
}

/// Compares the translation's front matter and steps with the original's.
fn compare(translation: &Lesson, original: &Lesson, diags: &mut Diagnostics) {
    let Some(link) = &translation.meta.translates else { return };
    let source = &translation.source;
    let front = first_line(translation.meta.span, source);
    let key_line = |key: &str| -> Range<usize> {
        let block = translation.meta.span.range();
        let mut offset = block.start;
        for line in source.get(block).unwrap_or("").split_inclusive('\n') {
            if line.starts_with(&format!("{key}:")) {
                return offset..offset + line.trim_end().len();
            }
            offset += line.len();
        }
        front.clone()
    };
    let path = original.source_path.display();
    if translation.meta.id != original.meta.id {
        diags.error_help(
            key_line("id"),
            format!("the lesson id `{}` differs from the original's `{}`", translation.meta.id, original.meta.id),
            format!("a translation keeps its original's id: `id: {}`", original.meta.id),
        );
    }
    if translation.meta.needs != original.meta.needs {
        diags.error_help(
            key_line("needs"),
            format!("`needs: {}` differs from the original's `needs: {}`", translation.meta.needs, original.meta.needs),
            format!("a translation needs what its original needs: `needs: {}`", original.meta.needs),
        );
    }

    let now = fingerprint(original);
    let mine = fingerprint(translation);
    let recorded = link.source_steps.as_ref();
    // The translation still matches the original it was made from, which has
    // changed since: its differences are the original's changes.
    let stale = recorded.is_some_and(|r| r.value == mine && r.value != now);
    let why = if stale {
        format!("{path} changed since this was translated")
    } else {
        "a translation changes prose, titles, hints and goals only; its steps must match the original's".to_string()
    };
    for (i, (t, o)) in translation.steps.iter().zip(&original.steps).enumerate() {
        step_differences(i + 1, t, o, original, source, &why, diags);
    }
    let (nt, no) = (translation.steps.len(), original.steps.len());
    if nt > no {
        for t in &translation.steps[no..] {
            diags.error_help(first_line(t.span, source), format!("step {} `{}` is not in the original, which has {no} steps", t.number, t.id), why.clone());
        }
    } else if nt < no {
        let missing: Vec<String> = original.steps[nt..].iter().map(|o| format!("`{}` ({}:{})", o.id, path, o.span.line)).collect();
        let end = source.len();
        diags.error_help(
            end..end,
            format!("this translation has {nt} steps; the original has {no}"),
            format!("translate the missing steps: {}", missing.join(", ")),
        );
    }

    match recorded {
        None => diags.error_help(
            link.original.span.range(),
            "a translation needs `source-steps:`, the fingerprint of the original's steps it was translated from",
            if mine == now {
                format!("the steps match {path}: add the line `source-steps: {now}`")
            } else {
                format!("make the steps match {path}, then add the line `source-steps: {now}`")
            },
        ),
        Some(r) if r.value.len() != 16 || !r.value.bytes().all(|b| b.is_ascii_hexdigit()) => diags.error_help(
            r.span.range(),
            format!("`{}` is not a fingerprint of steps (16 hex digits)", r.value),
            if mine == now {
                format!("the steps match {path}: write `source-steps: {now}`")
            } else {
                format!("make the steps match {path}, then write `source-steps: {now}`")
            },
        ),
        Some(r) if r.value != now => {
            let help = if mine == now {
                format!("the steps match the original again: update the fingerprint to `source-steps: {now}`")
            } else {
                format!("bring the prose and steps in line with {path} (its changed steps are reported here), then set `source-steps: {now}`")
            };
            diags.error_help(
                r.span.range(),
                format!("stale translation: the steps of {path} changed since it was translated (fingerprint {} then, {now} now)", r.value),
                help,
            );
        }
        Some(_) => {}
    }
}

/// Reports the first part in which translated step `t` differs from the
/// original's step `o` at the same position.
fn step_differences(number: usize, t: &Step, o: &Step, original: &Lesson, source: &str, why: &str, diags: &mut Diagnostics) {
    let (ts, os) = (shape(t), shape(o));
    let Some((key, label)) = PARTS.iter().find(|(k, _)| ts.get(*k) != os.get(*k)) else { return };
    let head = format!("step {number} `{}`", t.id);
    let whole = first_line(t.span, source);
    let (at, message, help) = match *key {
        "id" => (whole, format!("{head}: the original's step {number} is `{}`", o.id), format!("{why}; give it `id: {}` ({})", o.id, quote(original, o.span))),
        "kind" => {
            let word = |k: StepKind| if k == StepKind::Exercise { "an exercise" } else { "a step" };
            (whole, format!("{head} is {}; the original's is {}", word(t.kind), word(o.kind)), format!("{why} ({})", quote(original, o.span)))
        }
        "action" => (
            t.action.span.range(),
            format!("{head}: the action `{}` differs from the original's", t.action.value),
            format!("{why}; the original has {}", quote(original, o.action.span)),
        ),
        "expectations" | "saves" => {
            let (tl, ol) = if *key == "saves" { (lines(&t.saves), lines(&o.saves)) } else { (lines(&t.expectations), lines(&o.expectations)) };
            let n = tl.iter().zip(&ol).position(|(a, b)| a.0 != b.0).unwrap_or(tl.len().min(ol.len()));
            match (tl.get(n), ol.get(n)) {
                (Some((_, ts)), Some((_, os))) => {
                    (ts.range(), format!("{head}: this line differs from the original's"), format!("{why}; the original has {}", quote(original, *os)))
                }
                (Some((_, ts)), None) => (ts.range(), format!("{head}: this line is not in the original's step"), why.to_string()),
                (None, Some((_, os))) => (whole, format!("{head} lacks one of the original's {label}"), format!("{why}; add {}", quote(original, *os))),
                (None, None) => (whole, format!("{head}: its {label} differ from the original's"), why.to_string()),
            }
        }
        _ => (whole, format!("{head}: its {label} differ from the original's"), format!("{why} ({})", quote(original, o.span))),
    };
    diags.error_help(at, message, help);
}

/// Each line's value, to compare, and where it is written.
fn lines<T: serde::Serialize>(items: &[Spanned<T>]) -> Vec<(Value, Span)> {
    items.iter().map(|i| (serde_json::to_value(&i.value).unwrap_or(Value::Null), i.span)).collect()
}
