//! Record mode (`nslab run --record`): collects what each command printed and
//! rewrites the lesson's output expectations that no longer match.

use std::fmt::Write as _;

use super::exec::CommandResult;
use crate::lesson::{Expectation, Lesson, LinePattern, OutputMatcher, Step, Stream};

/// Record mode: collects what each command printed and rewrites the lesson's
/// output expectations that no longer match, keeping `[..]` lines that still
/// match and never writing an inode number.
pub struct Recorder {
    source: String,
    path: std::path::PathBuf,
    edits: Vec<(std::ops::Range<usize>, String)>,
}

impl Recorder {
    /// A recorder for `lesson`.
    pub fn new(lesson: &Lesson) -> Recorder {
        Recorder { source: lesson.source.clone(), path: lesson.source_path.clone(), edits: Vec::new() }
    }

    /// Notes the output of `step`'s command, planning an edit for each output
    /// expectation it does not satisfy.
    pub fn observe(&mut self, step: &Step, command: Option<&CommandResult>) {
        let Some(c) = command else { return };
        for e in &step.expectations {
            let Expectation::Output { stream, matcher } = &e.value else { continue };
            let actual = match stream {
                Stream::Stdout => &c.stdout,
                Stream::Stderr => &c.stderr,
            };
            if matcher.matches(actual) {
                continue;
            }
            let span = e.span.range();
            let original = self.source.get(span.clone()).unwrap_or("");
            let indent: String = original.lines().nth(1).map(|l| l.chars().take_while(|c| c.is_whitespace()).collect()).unwrap_or_default();
            let keep = match matcher {
                OutputMatcher::Lines(lines) => lines.clone(),
                _ => Vec::new(),
            };
            let text = expectation_text(*stream, &keep, actual, original, &indent);
            self.edits.push((span, text));
        }
    }

    /// Writes the lesson back; returns how many expectations were rewritten.
    pub fn write(mut self) -> std::io::Result<usize> {
        let n = self.edits.len();
        if n == 0 {
            return Ok(0);
        }
        self.edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
        let mut text = self.source;
        for (range, new) in self.edits {
            text.replace_range(range, &new);
        }
        std::fs::write(&self.path, text)?;
        Ok(n)
    }
}

/// Replaces what looks like a namespace inode number (nsfs inodes are at or
/// above 0xF0000000 = 4026531840, ten digits) by `[..]`.
pub fn hide_inodes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
            let end = bytes[i..].iter().position(|b| !b.is_ascii_digit()).map_or(bytes.len(), |p| i + p);
            let digits = &line[i..end];
            if digits.len() == 10 && digits.parse::<u64>().is_ok_and(|n| n >= 0xF000_0000) {
                out.push_str(crate::lesson::WILDCARD);
            } else {
                out.push_str(digits);
            }
            i = end;
        } else {
            let ch = line[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The new text of an output expectation: one line when the output is one
/// line, else a `| ` block. Expected lines that still match their observed
/// line are kept as written (with their wildcards).
fn expectation_text(stream: Stream, keep: &[LinePattern], actual: &str, original: &str, indent: &str) -> String {
    let lines: Vec<&str> = actual.strip_suffix('\n').unwrap_or(actual).split('\n').collect();
    let rendered: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| match keep.get(i) {
            Some(LinePattern::Text(p)) if crate::lesson::line_matches(p, line) => p.clone(),
            _ => hide_inodes(line),
        })
        .collect();
    let head = if original.trim_start().starts_with("expect:") { "expect: " } else { "" };
    if actual.is_empty() {
        return format!("{head}{stream}:\n{indent}| ");
    }
    if rendered.len() == 1 {
        return format!("{head}{stream}: {}", rendered[0]);
    }
    let mut s = format!("{head}{stream}:");
    for line in rendered {
        let _ = write!(s, "\n{indent}| {line}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inode_numbers_are_hidden() {
        assert_eq!(hide_inodes("net:[4026531840] and 12345 and 40265318401"), "net:[[..]] and 12345 and 40265318401");
        assert_eq!(hide_inodes("pid 1234567890"), "pid 1234567890");
    }

    #[test]
    fn recorded_text_keeps_matching_wildcards() {
        let keep = vec![LinePattern::Text("a [..]".into()), LinePattern::Text("old".into())];
        let t = expectation_text(Stream::Stdout, &keep, "a b\nnet:[4026532001]\n", "stdout:\n| a [..]\n| old", "");
        assert_eq!(t, "stdout:\n| a [..]\n| net:[[..]]");
        assert_eq!(expectation_text(Stream::Stderr, &[], "x\n", "expect: stderr: y", ""), "expect: stderr: x");
    }
}
