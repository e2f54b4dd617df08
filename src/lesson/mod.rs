//! Lessons: the Markdown format, its parser and diagnostics.
//!
//! A lesson is a Markdown file with front matter and fenced ```` ```nslab ````
//! blocks, each a runnable step. Parsing is pure: it reads text and returns
//! plain data with spans ([`Lesson`]) or every problem found ([`Diagnostic`]s).
//! The format is described in `book/src/reference/lesson-format.md`.

mod author;
mod blocks;
mod check;
mod diagnostic;
mod files;
mod frontmatter;
mod hostile;
mod model;
mod output;
mod span;
mod step;
mod syntax;
pub mod tools;
mod translation;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use author::{NewLessonError, check_paths, lesson_files, new_lesson, new_lesson_zh};
pub use blocks::FENCE_WORD;
pub use diagnostic::{Diagnostic, Location, MAX_DIAGNOSTICS, Snippet, render};
pub use model::{
    Action, Exercise, Expectation, ExpectedStatus, KernelVersion, Lesson, LessonFile, LessonMeta, Needs, NsRef, RunTarget, Save, Step, StepKind, Stream,
    Subject, Tool, ToolSet, Translates,
};
pub use output::{ANY_LINES, LinePattern, OutputMatcher, WILDCARD, line_matches, lines_match};
pub use span::{LineIndex, Span, Spanned};
pub use syntax::slug;
pub use translation::{fingerprint, original_path};

use diagnostic::Diagnostics;

/// The largest lesson file accepted, in bytes (10 MiB).
pub const MAX_LESSON_BYTES: u64 = 10 * 1024 * 1024;

/// Reads and parses the lesson at `path`, returning it or every problem found.
///
/// A file over [`MAX_LESSON_BYTES`] is refused from its metadata, without being read.
pub fn check_file(path: &Path) -> Result<Lesson, Vec<Diagnostic>> {
    let fail = |message: String| Err(vec![Diagnostic::whole_file(path, message)]);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return fail(crate::t!("lesson-unreadable", error = e.to_string())),
    };
    if meta.is_dir() {
        return fail(crate::t!("lesson-is-dir"));
    }
    if meta.len() > MAX_LESSON_BYTES {
        return Err(vec![too_big(path, meta.len())]);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let read = File::open(path).and_then(|f| f.take(MAX_LESSON_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return fail(crate::t!("lesson-unreadable", error = e.to_string()));
    }
    parse_bytes(&bytes, path)
}

fn too_big(path: &Path, len: u64) -> Diagnostic {
    Diagnostic::whole_file(path, crate::t!("lesson-too-big", bytes = len.to_string(), max = MAX_LESSON_BYTES.to_string()))
        .with_help(crate::t!("lesson-too-big-help"))
}

/// Parses a lesson from raw bytes: refuses empty, oversized, binary and
/// non-UTF-8 input with one clear diagnostic, then parses the text.
pub fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Lesson, Vec<Diagnostic>> {
    if bytes.len() as u64 > MAX_LESSON_BYTES {
        return Err(vec![too_big(path, bytes.len() as u64)]);
    }
    if let Some(nul) = bytes.iter().position(|b| *b == 0) {
        let (line, col) = byte_line_col(bytes, nul);
        let mut d = Diagnostic::whole_file(path, crate::t!("lesson-binary", at = nul.to_string())).with_help(crate::t!("lesson-binary-help"));
        d.location = Some(Location { line, col, offset: nul });
        return Err(vec![d]);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_lesson(text, path),
        Err(e) => {
            let bad = e.valid_up_to();
            // The prefix is valid UTF-8, so it can be indexed and shown.
            let prefix = std::str::from_utf8(&bytes[..bad]).unwrap_or("");
            let index = LineIndex::new(prefix);
            let mut diags = Diagnostics::default();
            diags.error_help(bad..bad, crate::t!("lesson-not-utf8", at = bad.to_string()), crate::t!("lesson-not-utf8-help"));
            Err(diags.finish(path, &index))
        }
    }
}

/// The 1-based line and column of byte `at` in possibly non-UTF-8 `bytes`.
fn byte_line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, col)
}

/// A short fingerprint of a lesson's text, to tell whether a file still holds
/// the text that was checked (not a defence against a deliberate collision).
pub fn digest(text: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The warnings about a lesson that parsed: things worth fixing that do not
/// stop it from running (step syntax quoted in a hint, a goal or the prose;
/// a command that plainly aims at the machine).
pub fn warnings(lesson: &Lesson) -> Vec<Diagnostic> {
    let index = LineIndex::new(&lesson.source);
    let mut diags = Diagnostics::default();
    check::hostile_commands(lesson, &mut diags);
    check::quoted_syntax(lesson, &mut diags);
    diags.finish(&lesson.source_path, &index)
}

/// Parses lesson text. `path` is only recorded and used in diagnostics.
pub fn parse_lesson(source: &str, path: &Path) -> Result<Lesson, Vec<Diagnostic>> {
    let index = LineIndex::new(source);
    let mut diags = Diagnostics::default();
    if source.trim().is_empty() {
        diags.whole_file(crate::t!("lesson-empty"), crate::t!("lesson-empty-help"));
        return Err(diags.finish(path, &index));
    }
    let front = frontmatter::parse(source, &index, &mut diags);
    let found = blocks::find(source, front.body_start, &mut diags);
    if found.is_empty() && front.well_formed {
        diags.whole_file(crate::t!("lesson-no-steps"), crate::t!("lesson-no-steps-help"));
    }
    let mut drafts = Vec::with_capacity(found.len());
    let mut prose = Vec::with_capacity(found.len());
    let mut prev_end = front.body_start;
    let mut regexes = syntax::FastSet::default();
    // The file blocks of the lesson, each with the number of the step it goes with.
    let mut files: Vec<(usize, LessonFile, std::ops::Range<usize>)> = Vec::new();
    for block in &found {
        if let Some((name, at)) = &block.file {
            if let Some(file) = files::carried(block, name, at.clone(), &files, &index, &mut diags) {
                files.push((drafts.len(), file, at.clone()));
            }
            continue;
        }
        if !block.terminated {
            let fence: String = source[block.opening.clone()].trim_start_matches(['>', ' ', '\t']).chars().take_while(|c| *c == '`' || *c == '~').collect();
            diags.error_help(
                block.opening.clone(),
                crate::t!("lesson-unterminated", fence = fence.as_str()),
                crate::t!("lesson-unterminated-help", fence = fence.as_str()),
            );
            continue;
        }
        drafts.push(step::parse(block, &mut regexes, &mut diags));
        prose.push(prev_end.min(block.range.start)..block.range.start);
        // The prose after a block starts on the line after its closing fence.
        let rest = &source.as_bytes()[block.range.end.min(source.len())..];
        prev_end = block.range.end
            + match rest {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] => 1,
                _ => 0,
            };
    }
    let checked = check::check(source, &mut drafts, &mut diags);
    files::belong(&files, &drafts, &mut diags);
    let meta = match front.meta {
        Some(meta) if diags.is_empty() => meta,
        _ => {
            if diags.is_empty() {
                diags.whole_file(crate::t!("lesson-incomplete-front"), crate::t!("lesson-incomplete-front-help"));
            }
            return Err(diags.finish(path, &index));
        }
    };
    let mut steps = Vec::with_capacity(drafts.len());
    for (i, ((draft, facts), prose)) in drafts.into_iter().zip(checked).zip(prose).enumerate() {
        let action = match draft.actions.into_iter().next() {
            Some(action) => action,
            // An exercise may leave the action to the learner.
            None if draft.kind == crate::lesson::StepKind::Exercise => {
                step::Item { value: Action::YourTurn, range: draft.opening.clone(), tokens: Default::default() }
            }
            // The checker reported a step without an action; unreachable with no diagnostics.
            None => continue,
        };
        fn spanned<T>(index: &LineIndex<'_>, range: std::ops::Range<usize>, value: T) -> Spanned<T> {
            Spanned::new(value, index.span(range))
        }
        // Spans are looked up in source order (the prose, then the block and
        // its lines), which keeps each line lookup short.
        let prose = index.span(prose);
        let span = index.span(draft.block);
        steps.push(Step {
            number: i + 1,
            id: facts.id,
            kind: draft.kind,
            title: draft.title.map(|(t, _)| t),
            action: spanned(&index, action.range, action.value),
            saves: draft.saves.into_iter().map(|s| spanned(&index, s.range, s.value)).collect(),
            expectations: draft.expectations.into_iter().map(|e| spanned(&index, e.range, e.value)).collect(),
            hints: draft.hints,
            timeout: draft.timeout,
            needs: draft.needs,
            stdin: draft.stdin.map(|(s, _)| s),
            exercise: match (draft.goal, draft.solution) {
                (Some(goal), Some(solution)) => {
                    Some(Exercise { goal, solution, creates: draft.creates.into_iter().map(|(n, k, _)| (n, k)).collect(), probe: draft.probe.map(|(p, _)| p) })
                }
                _ => None,
            },
            files: files.iter().filter(|(n, _, _)| *n == i).map(|(_, f, _)| f.clone()).collect(),
            uses: facts.uses,
            defines: facts.defines,
            prose,
            span,
        });
    }
    Ok(Lesson { source_path: path.to_path_buf(), meta, steps, outro: index.span(prev_end.min(source.len())..source.len()), source: source.to_string() })
}
