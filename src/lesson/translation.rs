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
use crate::t;

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
        diags.error_help(at, t!("tr-not-a-file-name", name = name.as_str()), t!("tr-not-a-file-name-help"));
    } else if own.as_deref() != Some(name.as_str()) {
        diags.error_help(
            at,
            t!("tr-named-otherwise", own = own.unwrap_or_default(), name = name.as_str()),
            t!("tr-named-otherwise-help", name = name.as_str()),
        );
    } else {
        let original_at = original_path(&translation.source_path, name);
        match super::check_file(&original_at) {
            Err(problems) if !original_at.exists() => {
                let why = problems.first().map_or(String::new(), |d| d.message.clone());
                diags.error_help(at, t!("tr-original-missing", path = original_at.display().to_string(), why = why), t!("tr-original-missing-help"));
            }
            Err(problems) => {
                diags.error_help(at, t!("tr-original-broken", path = original_at.display().to_string(), count = problems.len()), t!("tr-original-broken-help"))
            }
            Ok(original) if original.meta.translates.is_some() => {
                diags.error_help(at, t!("tr-original-translated", path = original_at.display().to_string()), t!("tr-original-translated-help"));
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
    let path = original.source_path.display().to_string();
    let path = path.as_str();
    if translation.meta.id != original.meta.id {
        diags.error_help(
            key_line("id"),
            t!("tr-id-differs", id = translation.meta.id.as_str(), original = original.meta.id.as_str()),
            t!("tr-id-differs-help", original = original.meta.id.as_str()),
        );
    }
    if translation.meta.needs != original.meta.needs {
        diags.error_help(
            key_line("needs"),
            t!("tr-needs-differ", needs = translation.meta.needs.to_string(), original = original.meta.needs.to_string()),
            t!("tr-needs-differ-help", original = original.meta.needs.to_string()),
        );
    }

    let now = fingerprint(original);
    let mine = fingerprint(translation);
    let recorded = link.source_steps.as_ref();
    // The translation still matches the original it was made from, which has
    // changed since: its differences are the original's changes.
    let stale = recorded.is_some_and(|r| r.value == mine && r.value != now);
    let why = if stale { t!("tr-why-stale", path = path) } else { t!("tr-why-match") };
    for (i, (t, o)) in translation.steps.iter().zip(&original.steps).enumerate() {
        step_differences(i + 1, t, o, original, source, &why, diags);
    }
    let (nt, no) = (translation.steps.len(), original.steps.len());
    if nt > no {
        for t in &translation.steps[no..] {
            diags.error_help(first_line(t.span, source), t!("tr-extra-step", number = t.number, id = t.id.as_str(), count = no), why.clone());
        }
    } else if nt < no {
        let missing: Vec<String> = original.steps[nt..].iter().map(|o| format!("`{}` ({}:{})", o.id, path, o.span.line)).collect();
        let end = source.len();
        diags.error_help(end..end, t!("tr-fewer-steps", mine = nt, count = no), t!("tr-fewer-steps-help", steps = missing.join(", ")));
    }

    match recorded {
        None => diags.error_help(
            link.original.span.range(),
            t!("tr-no-fingerprint"),
            if mine == now { t!("tr-add-fingerprint", path = path, now = now.as_str()) } else { t!("tr-match-then-add", path = path, now = now.as_str()) },
        ),
        Some(r) if r.value.len() != 16 || !r.value.bytes().all(|b| b.is_ascii_hexdigit()) => diags.error_help(
            r.span.range(),
            t!("tr-bad-fingerprint", value = r.value.as_str()),
            if mine == now { t!("tr-write-fingerprint", path = path, now = now.as_str()) } else { t!("tr-match-then-write", path = path, now = now.as_str()) },
        ),
        Some(r) if r.value != now => {
            let help = if mine == now { t!("tr-matches-again", now = now.as_str()) } else { t!("tr-bring-in-line", path = path, now = now.as_str()) };
            diags.error_help(r.span.range(), t!("tr-stale", path = path, then = r.value.as_str(), now = now.as_str()), help);
        }
        Some(_) => {}
    }
}

/// Reports the first part in which translated step `t` differs from the
/// original's step `o` at the same position.
fn step_differences(number: usize, t: &Step, o: &Step, original: &Lesson, source: &str, why: &str, diags: &mut Diagnostics) {
    let (ts, os) = (shape(t), shape(o));
    let Some((key, label)) = PARTS.iter().find(|(k, _)| ts.get(*k) != os.get(*k)) else { return };
    let head = t!("tr-step-head", number = number, id = t.id.as_str());
    let label = t!("tr-part", part = *key, label = *label);
    let whole = first_line(t.span, source);
    let (at, message, help) = match *key {
        "id" => (
            whole,
            t!("tr-other-id", head = head.as_str(), number = number, id = o.id.as_str()),
            t!("tr-give-id", why = why, id = o.id.as_str(), quote = quote(original, o.span)),
        ),
        "kind" => {
            let word = |k: StepKind| if k == StepKind::Exercise { t!("tr-an-exercise") } else { t!("tr-a-step") };
            (
                whole,
                t!("tr-other-kind", head = head.as_str(), mine = word(t.kind), theirs = word(o.kind)),
                t!("tr-why-quote", why = why, quote = quote(original, o.span)),
            )
        }
        "action" => (
            t.action.span.range(),
            t!("tr-other-action", head = head.as_str(), action = t.action.value.to_string()),
            t!("tr-original-has", why = why, quote = quote(original, o.action.span)),
        ),
        "expectations" | "saves" => {
            let (tl, ol) = if *key == "saves" { (lines(&t.saves), lines(&o.saves)) } else { (lines(&t.expectations), lines(&o.expectations)) };
            let n = tl.iter().zip(&ol).position(|(a, b)| a.0 != b.0).unwrap_or(tl.len().min(ol.len()));
            match (tl.get(n), ol.get(n)) {
                (Some((_, ts)), Some((_, os))) => {
                    (ts.range(), t!("tr-line-differs", head = head.as_str()), t!("tr-original-has", why = why, quote = quote(original, *os)))
                }
                (Some((_, ts)), None) => (ts.range(), t!("tr-line-extra", head = head.as_str()), why.to_string()),
                (None, Some((_, os))) => {
                    (whole, t!("tr-lacks", head = head.as_str(), part = label.as_str()), t!("tr-add", why = why, quote = quote(original, *os)))
                }
                (None, None) => (whole, t!("tr-part-differs", head = head.as_str(), part = label.as_str()), why.to_string()),
            }
        }
        _ => (whole, t!("tr-part-differs", head = head.as_str(), part = label.as_str()), t!("tr-why-quote", why = why, quote = quote(original, o.span))),
    };
    diags.error_help(at, message, help);
}

/// Each line's value, to compare, and where it is written.
fn lines<T: serde::Serialize>(items: &[Spanned<T>]) -> Vec<(Value, Span)> {
    items.iter().map(|i| (serde_json::to_value(&i.value).unwrap_or(Value::Null), i.span)).collect()
}
