//! Files a lesson carries: a ```` ```nslab file NAME ```` block holds the text
//! of a small program or script, which nslab writes into the run folder before
//! the step that follows the block. This module checks the blocks: a plain
//! name, no two files of one name, no clash with a pin (pins live in the run
//! folder too), and a step after the block to use it.

use std::ops::Range;

use super::blocks::Block;
use super::diagnostic::Diagnostics;
use super::model::{Action, LessonFile};
use super::span::LineIndex;
use super::step::StepDraft;

/// The longest file name accepted, in bytes.
const MAX_NAME: usize = 64;

/// Names the run folder already uses for nslab's own things.
const RESERVED: &[&str] = &["bin"];

/// True for a plain file name: a letter or digit, then letters, digits, `.`,
/// `_` or `-`, at most [`MAX_NAME`] bytes, and no `..`.
pub(crate) fn is_file_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_NAME
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !name.contains("..")
}

/// The file that `block` carries, or `None` (with a diagnostic) when its name
/// is bad or already taken by one of `earlier`.
pub(crate) fn carried(
    block: &Block,
    name: &str,
    at: Range<usize>,
    earlier: &[(usize, LessonFile, Range<usize>)],
    index: &LineIndex<'_>,
    diags: &mut Diagnostics,
) -> Option<LessonFile> {
    if !block.terminated {
        diags.error_help(block.opening.clone(), crate::t!("file-unterminated", name = name), crate::t!("file-unterminated-help"));
        return None;
    }
    if !is_file_name(name) {
        let help = if name.contains('/') { crate::t!("file-name-is-path") } else { crate::t!("file-name-chars") };
        diags.error_help(at, crate::t!("file-bad-name", name = name), help);
        return None;
    }
    if RESERVED.contains(&name) {
        diags.error_help(at, crate::t!("file-reserved", name = name), crate::t!("file-reserved-help"));
        return None;
    }
    if let Some((_, first, _)) = earlier.iter().find(|(_, f, _)| f.name == name) {
        let line = first.span.line;
        diags.error_help(at, crate::t!("file-twice", name = name, line = line), crate::t!("file-twice-help"));
        return None;
    }
    let mut text = String::new();
    for (_, line) in &block.lines {
        text.push_str(line);
        text.push('\n');
    }
    Some(LessonFile { name: name.to_string(), text, span: index.span(block.range.clone()) })
}

/// Checks that every file has a step after it, and that no pin of the lesson
/// (`pin … as NAME`, or an exercise's `creates: NAME`) has a file's name.
pub(crate) fn belong(files: &[(usize, LessonFile, Range<usize>)], drafts: &[StepDraft], diags: &mut Diagnostics) {
    let mut pins: Vec<(&str, Range<usize>)> = Vec::new();
    for draft in drafts {
        for action in &draft.actions {
            if let Action::Pin { pin, .. } = &action.value {
                pins.push((pin, action.range.clone()));
            }
        }
        pins.extend(draft.creates.iter().map(|(name, _, range)| (name.as_str(), range.clone())));
    }
    for (step, file, at) in files {
        if *step >= drafts.len() {
            diags.error_help(at.clone(), crate::t!("file-no-step", name = file.name.as_str()), crate::t!("file-no-step-help"));
        }
        if let Some((_, range)) = pins.iter().find(|(pin, _)| *pin == file.name) {
            diags.error_help(range.clone(), crate::t!("file-pin-clash", name = file.name.as_str()), crate::t!("file-pin-clash-help"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for ok in ["uts.c", "a", "ns_exec.py", "Makefile", "x-1.sh"] {
            assert!(is_file_name(ok), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "../x", "a..b", "-x", "a b", "é.c", &"x".repeat(65)] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }
}
