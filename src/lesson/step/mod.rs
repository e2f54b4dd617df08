//! The line grammar inside an `nslab` block: one action, `save` lines,
//! `expect:` lines and step settings, parsed into a draft for the checker.
//! This file reads the lines and the settings (`id:`, `timeout:`, `stdin:`,
//! an exercise's lines) and holds what both grammars share (names, kinds,
//! captures); the actions are parsed in `action.rs`, the expectations in
//! `expectation.rs`.

mod action;
mod expectation;

use std::ops::Range;
use std::time::Duration;

use super::blocks::Block;
use super::diagnostic::Diagnostics;
use super::model::{Action, Expectation, Save, StepKind};
use super::output::{ANY_LINES, LinePattern, OutputMatcher};
use super::syntax::{FastSet, InlineVec, TrimWs, Words, closest, is_ascii_space, is_name, is_step_id, words};
use crate::ns::{KindSet, NsKind};
use expectation::parse_expectation;

/// Every word a step line may start with.
const LINE_WORDS: [&str; 19] = [
    "id", "title", "start", "run", "unshare", "pin", "unpin", "stop", "lsns", "save", "expect", "hint", "timeout", "stdin", "goal", "solution", "creates",
    "probe", "needs",
];

/// The longest accepted timeout.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// A parsed line with its range and the ranges of the names and kinds in it, so
/// the checker can point at them.
#[derive(Debug, Clone)]
pub(crate) struct Item<T> {
    /// The parsed value.
    pub value: T,
    /// The whole line (for a multi-line output block, through its last `|` line).
    pub range: Range<usize>,
    /// The names, `@captures` and kinds in the line.
    pub tokens: Tokens,
}

impl<T> Item<T> {
    /// The range of the token `text` in `source`, or of the whole line.
    pub fn at(&self, source: &str, text: &str) -> Range<usize> {
        self.tokens.find(source, text).unwrap_or_else(|| self.range.clone())
    }
}

/// The byte ranges of the names and kinds in a line (inline up to four),
/// as 32-bit offsets: a lesson is at most 10 MB, and items are moved often.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens(InlineVec<(u32, u32), 4>);

impl Tokens {
    fn push(&mut self, range: Range<usize>) {
        self.0.push((range.start as u32, range.end as u32));
    }

    /// The range of the token whose text in `source` is `text`.
    pub fn find(&self, source: &str, text: &str) -> Option<Range<usize>> {
        self.0.iter().map(|(start, end)| *start as usize..*end as usize).find(|r| source.get(r.clone()) == Some(text))
    }
}

/// A step as written, before names are resolved and the step-level rules are
/// checked.
#[derive(Debug)]
pub(crate) struct StepDraft {
    pub kind: StepKind,
    /// The whole block.
    pub block: Range<usize>,
    /// The opening fence line.
    pub opening: Range<usize>,
    pub id: Option<(String, Range<usize>)>,
    pub title: Option<(String, Range<usize>)>,
    /// Every valid action line (more than one is an error the checker reports).
    pub actions: Vec<Item<Action>>,
    /// Action lines seen, valid or not.
    pub action_lines: usize,
    /// Lines that were not understood (possibly a misspelt action or `expect:`).
    pub unknown_lines: usize,
    pub saves: Vec<Item<Save>>,
    pub expectations: Vec<Item<Expectation>>,
    /// `expect:` lines seen, valid or not.
    pub expectation_lines: usize,
    pub hints: Vec<String>,
    pub timeout: Option<Duration>,
    /// Programs the step needs (`needs:`).
    pub needs: Vec<String>,
    pub stdin: Option<(String, Range<usize>)>,
    pub goal: Option<String>,
    pub solution: Option<String>,
    /// An exercise's `probe:` command, with its line.
    pub probe: Option<(String, Range<usize>)>,
    /// `creates: NAME KIND` lines of an exercise, with the range of each.
    pub creates: Vec<(String, NsKind, Range<usize>)>,
    /// Names (`@name` for captures) that a `start`, `pin` or `save` line with an
    /// error would have defined; the checker accepts them quietly.
    pub tentative: Vec<String>,
}

/// What a run of `| ` lines continues.
enum Continued {
    /// The expectation at this index of `expectations`.
    Output(usize),
    Stdin,
    /// An exercise's `solution:`.
    Solution,
}

/// True for the words that name the lab, the lesson's own namespaces: `lab`,
/// and `host`, its older name.
pub(crate) fn is_lab(word: &str) -> bool {
    word == "lab" || word == "host"
}

/// Parses the content lines of `block`.
///
/// `regexes` holds the patterns already found valid in this lesson, so each
/// distinct pattern is compiled once.
pub(crate) fn parse(block: &Block, regexes: &mut FastSet<String>, diags: &mut Diagnostics) -> StepDraft {
    let mut step = StepDraft {
        kind: block.kind,
        block: block.range.clone(),
        opening: block.opening.clone(),
        id: None,
        title: None,
        actions: Vec::new(),
        action_lines: 0,
        unknown_lines: 0,
        saves: Vec::new(),
        expectations: Vec::new(),
        expectation_lines: 0,
        hints: Vec::new(),
        timeout: None,
        needs: Vec::new(),
        stdin: None,
        goal: None,
        solution: None,
        probe: None,
        creates: Vec::new(),
        tentative: Vec::new(),
    };
    // The open `stdout:` / `stdin:` block, with its opener's range and whether it got a line.
    let mut open: Option<(Continued, Range<usize>, bool)> = None;
    for (offset, line) in &block.lines {
        let trimmed = line.trim_ws();
        let at = offset + (line.len() - line.trim_start_ws().len());
        let range = at..at + trimmed.len();
        if let Some(rest) = trimmed.strip_prefix('|') {
            let text = rest.strip_prefix(' ').unwrap_or(rest);
            match open.as_mut() {
                Some((target, _, got)) => {
                    *got = true;
                    continue_block(&mut step, target, text, range);
                }
                None => diags.error_help(range.start..range.start + 1, crate::t!("step-bar-outside"), crate::t!("step-bar-outside-help")),
            }
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        close_block(open.take(), diags);
        // The first word ends at whitespace or `:`; decided byte by byte
        // while the line is ASCII.
        let word_len = match trimmed.bytes().position(|b| is_ascii_space(b) || b == b':' || !b.is_ascii()) {
            Some(i) if !trimmed.as_bytes()[i].is_ascii() => i + trimmed[i..].find(|c: char| c.is_whitespace() || c == ':').unwrap_or(trimmed.len() - i),
            Some(i) => i,
            None => trimmed.len(),
        };
        let word = &trimmed[..word_len];
        let rest = &trimmed[word_len..];
        let rest_at = at + word_len;
        let mut line = Line { word, rest, rest_at, range: range.clone(), diags: &mut *diags };
        match word {
            "start" | "run" | "unshare" | "pin" | "unpin" | "stop" | "lsns" => {
                step.action_lines += 1;
                match line.action() {
                    Some(action) => step.actions.push(action),
                    None => step.tentative.extend(would_define(word, rest)),
                }
            }
            "save" => match line.save() {
                Some(save) => step.saves.push(save),
                None => step.tentative.extend(would_define(word, rest)),
            },
            "expect" => {
                step.expectation_lines += 1;
                if let Some((value, at)) = line.value()
                    && let Some((item, multi)) = parse_expectation(value, at, range.clone(), regexes, diags)
                {
                    step.expectations.push(item);
                    if multi {
                        open = Some((Continued::Output(step.expectations.len() - 1), range, false));
                    }
                }
            }
            "id" => {
                if let Some((value, at)) = line.value() {
                    let value_range = at..at + value.len();
                    if step.id.is_some() {
                        diags.error(range, crate::t!("step-twice", word = "id"));
                    } else if !is_step_id(value) {
                        diags.error_help(value_range, crate::t!("step-bad-id", id = value), crate::t!("step-bad-id-help"));
                    } else {
                        step.id = Some((value.to_string(), value_range));
                    }
                }
            }
            "title" => {
                if let Some((value, at)) = line.value() {
                    if step.title.is_some() {
                        diags.error(range, crate::t!("step-twice", word = "title"));
                    } else {
                        step.title = Some((value.to_string(), at..at + value.len()));
                    }
                }
            }
            "hint" => {
                if let Some((value, _)) = line.value() {
                    step.hints.push(value.to_string());
                }
            }
            "timeout" => {
                if let Some((value, at)) = line.value() {
                    match parse_timeout(value) {
                        _ if step.timeout.is_some() => {
                            diags.error(range, crate::t!("step-twice", word = "timeout"));
                        }
                        Some(t) => step.timeout = Some(t),
                        None => diags.error_help(at..at + value.len(), crate::t!("step-bad-timeout", timeout = value), crate::t!("step-bad-timeout-help")),
                    }
                }
            }
            "needs" => {
                if let Some((value, at)) = line.value() {
                    if !step.needs.is_empty() {
                        diags.error(range, "`needs:` is given twice in this step");
                    } else {
                        for program in value.split(',').map(str::trim) {
                            if is_program_name(program) {
                                step.needs.push(program.to_string());
                            } else {
                                diags.error_help(at..at + value.len(), crate::t!("step-bad-program", program = program), crate::t!("step-bad-program-help"));
                                break;
                            }
                        }
                    }
                }
            }
            "stdin" => {
                if let Some((value, _)) = line.value_or_empty() {
                    if step.stdin.is_some() {
                        diags.error(range, crate::t!("step-twice", word = "stdin"));
                    } else if value.is_empty() {
                        step.stdin = Some((String::new(), range.clone()));
                        open = Some((Continued::Stdin, range, false));
                    } else {
                        step.stdin = Some((format!("{value}\n"), range));
                    }
                }
            }
            "creates" => {
                if let Some((value, at)) = line.value() {
                    let words: Vec<&str> = value.split_whitespace().collect();
                    if block.kind != StepKind::Exercise {
                        diags.error_help(range, crate::t!("step-exercise-only", word = "creates"), crate::t!("step-exercise-only-help"));
                    } else if let [name, kind_word] = words[..] {
                        let kind_at = at + value.find(kind_word).unwrap_or(0);
                        if !is_name(name) {
                            diags.error_help(at..at + name.len(), crate::t!("step-bad-pin", name = shorten(name).to_string()), crate::t!("step-bad-pin-help"));
                        } else if let Some(k) = kind(kind_word, kind_at, diags) {
                            step.creates.push((name.to_string(), k, range.clone()));
                        }
                    } else {
                        diags.error_help(range, crate::t!("step-creates-usage"), crate::t!("step-creates-usage-help"));
                    }
                }
            }
            "solution" if line.value_or_empty().is_some_and(|(v, _)| v.is_empty()) => {
                if block.kind != StepKind::Exercise {
                    diags.error_help(range, crate::t!("step-exercise-only", word = "solution"), crate::t!("step-exercise-only-help"));
                } else if step.solution.is_some() {
                    diags.error(range, crate::t!("step-twice", word = "solution"));
                } else {
                    step.solution = Some(String::new());
                    open = Some((Continued::Solution, range, false));
                }
            }
            "probe" => {
                if let Some((value, _)) = line.value() {
                    if block.kind != StepKind::Exercise {
                        diags.error_help(range, crate::t!("step-exercise-only", word = "probe"), crate::t!("step-exercise-only-help"));
                    } else if step.probe.is_some() {
                        diags.error(range, crate::t!("step-twice", word = "probe"));
                    } else {
                        step.probe = Some((value.to_string(), range));
                    }
                }
            }
            "goal" | "solution" => {
                if let Some((value, _)) = line.value() {
                    let slot = if word == "goal" { &mut step.goal } else { &mut step.solution };
                    if block.kind != StepKind::Exercise {
                        diags.error_help(range, crate::t!("step-exercise-only", word = word), crate::t!("step-exercise-only-help"));
                    } else if slot.is_some() {
                        diags.error(range, crate::t!("step-twice", word = word));
                    } else {
                        *slot = Some(value.to_string());
                    }
                }
            }
            _ => {
                step.unknown_lines += 1;
                step.tentative.extend(would_define("start", rest));
                let shown = if word.is_empty() { trimmed } else { word };
                let shown: String = shown.chars().take(40).collect();
                let help = match closest(word, &LINE_WORDS) {
                    Some(w) => crate::t!("did-you-mean", word = w),
                    None => crate::t!("step-lines-help"),
                };
                let end = if word.is_empty() { range.end } else { at + word.len() };
                diags.error_help(at..end, crate::t!("step-unknown-line", line = shown), help);
            }
        }
    }
    close_block(open.take(), diags);
    step
}

/// Adds one `| ` line to the open block.
fn continue_block(step: &mut StepDraft, target: &Continued, text: &str, range: Range<usize>) {
    let text = text.trim_end_ws();
    match target {
        Continued::Output(i) => {
            if let Some(item) = step.expectations.get_mut(*i) {
                item.range.end = range.end;
                if let Expectation::Output { matcher: OutputMatcher::Lines(lines), .. } = &mut item.value {
                    lines.push(if text == ANY_LINES { LinePattern::AnyLines } else { LinePattern::Text(text.to_string()) });
                }
            }
        }
        Continued::Stdin => {
            if let Some((stdin, r)) = step.stdin.as_mut() {
                stdin.push_str(text);
                stdin.push('\n');
                r.end = range.end;
            }
        }
        Continued::Solution => {
            if let Some(solution) = step.solution.as_mut() {
                solution.push_str(text);
                solution.push('\n');
            }
        }
    }
}

/// Complains when a block opener got no `| ` line.
fn close_block(open: Option<(Continued, Range<usize>, bool)>, diags: &mut Diagnostics) {
    if let Some((target, range, false)) = open {
        let what = match target {
            Continued::Output(_) => crate::t!("step-expected-output"),
            Continued::Stdin => "`stdin:`".to_string(),
            Continued::Solution => "`solution:`".to_string(),
        };
        diags.error_help(range, crate::t!("step-needs-bars", what = what), crate::t!("step-needs-bars-help"));
    }
}

/// One step line being parsed: its first word and the rest.
struct Line<'a, 'd> {
    word: &'a str,
    rest: &'a str,
    rest_at: usize,
    range: Range<usize>,
    diags: &'d mut Diagnostics,
}

impl<'a> Line<'a, '_> {
    /// The value of a `key: value` line, non-empty.
    fn value(&mut self) -> Option<(&'a str, usize)> {
        let (value, at) = self.value_or_empty()?;
        if value.is_empty() {
            self.diags.error(self.range.clone(), crate::t!("step-needs-value", word = self.word.to_string()));
            return None;
        }
        Some((value, at))
    }

    /// The value of a `key: value` line, possibly empty.
    fn value_or_empty(&mut self) -> Option<(&'a str, usize)> {
        let after = self.rest.trim_start_ws();
        let Some(value) = after.strip_prefix(':') else {
            self.diags.error(self.range.clone(), crate::t!("step-expected-word", word = self.word.to_string()));
            return None;
        };
        let value_trimmed = value.trim_ws();
        let at = self.rest_at + (self.rest.len() - value.len()) + (value.len() - value.trim_start_ws().len());
        Some((value_trimmed, at))
    }

    /// `head: tail` where head is the part after the first word; `None` (with a
    /// diagnostic showing `usage`) when there is no colon.
    fn head_tail(&mut self, usage: &str) -> Option<(Words<'a>, &'a str, usize)> {
        let Some(colon) = self.rest.find(':') else {
            self.diags.error_help(
                self.range.clone(),
                crate::t!("step-expected-usage", usage = usage.to_string()),
                crate::t!("step-write-usage", usage = usage.to_string()),
            );
            return None;
        };
        let head = words(&self.rest[..colon], self.rest_at);
        let tail = &self.rest[colon + 1..];
        let tail_at = self.rest_at + colon + 1 + (tail.len() - tail.trim_start_ws().len());
        Some((head, tail.trim_ws(), tail_at))
    }

    fn error(&mut self, range: Range<usize>, message: impl Into<String>) {
        self.diags.error(range, message);
    }

    /// A process name (or the lab, `lab` or `host`, when `host_ok`; returned
    /// as `host`), recorded as a token.
    fn name(&mut self, (at, name): (usize, &str), host_ok: bool, tokens: &mut Tokens) -> Option<String> {
        let range = at..at + name.len();
        if is_lab(name) {
            if !host_ok {
                self.diags.error_help(range, crate::t!("step-lab-not-process", name = name), crate::t!("step-lab-not-process-help", name = name));
                return None;
            }
            tokens.push(range);
            return Some("host".to_string());
        }
        if !is_name(name) {
            self.diags.error_help(range, crate::t!("step-bad-name", name = shorten(name).to_string()), crate::t!("step-bad-name-help"));
            return None;
        }
        tokens.push(range);
        Some(name.to_string())
    }

    /// A list of kinds, each recorded as a token; `None` if any is bad.
    fn kinds(&mut self, list: &[(usize, &str)], tokens: &mut Tokens) -> Option<KindSet> {
        if list.len() > NsKind::ALL.len() {
            let (first, last) = (list[0], list[list.len() - 1]);
            self.diags.error_help(first.0..last.0 + last.1.len(), crate::t!("step-too-many-kinds", count = list.len()), crate::t!("step-kinds-once"));
            return None;
        }
        let mut set = KindSet::EMPTY;
        let mut ok = true;
        for (at, word) in list {
            match kind(word, *at, self.diags) {
                Some(k) if set.contains(k) => {
                    self.error(*at..at + word.len(), crate::t!("step-kind-twice", kind = k.name()));
                    ok = false;
                }
                Some(k) => {
                    set.insert(k);
                    tokens.push(*at..at + word.len());
                }
                None => ok = false,
            }
        }
        ok.then_some(set)
    }
}

/// The name a `start`, `pin` or `save` line that failed to parse was meant to define.
fn would_define(word: &str, rest: &str) -> Option<String> {
    let w: Vec<&str> = rest.split_whitespace().collect();
    let name = match (word, w.as_slice()) {
        ("start", [name, ..]) => name.trim_end_matches(':'),
        ("pin", [.., "as", pin]) => pin,
        ("save", [.., "as", cap]) => cap,
        _ => return None,
    };
    let bare = name.strip_prefix('@').unwrap_or(name);
    is_name(bare).then(|| name.to_string())
}

/// The first 40 characters of `s`, for messages.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Parses a kind, reporting an unknown one.
fn kind(word: &str, at: usize, diags: &mut Diagnostics) -> Option<NsKind> {
    match word.parse::<NsKind>() {
        Ok(k) => Some(k),
        Err(_) => {
            let names: Vec<&str> = NsKind::ALL.iter().map(|k| k.name()).collect();
            let bare = word.trim_end_matches(',');
            let help = match closest(word, &names) {
                _ if bare != word && bare.parse::<NsKind>().is_ok() => crate::t!("step-kinds-commas"),
                Some(k) => crate::t!("step-kind-did-you-mean", kind = k),
                None => crate::t!("step-kinds"),
            };
            diags.error_help(at..at + word.len(), crate::t!("step-unknown-kind", kind = shorten(word).to_string()), help);
            None
        }
    }
}

/// Parses `@name` into `name`.
fn capture(word: &str, at: usize, diags: &mut Diagnostics) -> Option<String> {
    match word.strip_prefix('@') {
        Some(name) if is_name(name) => Some(name.to_string()),
        _ => {
            diags.error_help(at..at + word.len(), crate::t!("step-bad-capture", capture = shorten(word).to_string()), crate::t!("step-bad-capture-help"));
            None
        }
    }
}

/// A program's name as `needs:` takes it: a file name to look up on the
/// lab's PATH (letters, digits, `.`, `_`, `+`, `-`; not starting with `.` or `-`).
fn is_program_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.starts_with(['.', '-']) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

/// Parses `5s` or `500ms`.
fn parse_timeout(s: &str) -> Option<Duration> {
    let (digits, millis) = match s.strip_suffix("ms") {
        Some(d) => (d, true),
        None => (s.strip_suffix('s')?, false),
    };
    let digits = digits.trim_end_ws();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let d = if millis { Duration::from_millis(n) } else { Duration::from_secs(n) };
    (!d.is_zero() && d <= MAX_TIMEOUT).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::blocks::find;
    use crate::lesson::span::LineIndex;
    use std::path::Path;

    /// Parses one block's content; returns the draft and the messages.
    pub(super) fn draft(content: &str) -> (StepDraft, Vec<String>) {
        let src = format!("```nslab\n{content}\n```\n");
        let mut d = Diagnostics::default();
        let blocks = find(&src, 0, &mut d);
        let step = parse(&blocks[0], &mut FastSet::default(), &mut d);
        let msgs = d
            .finish(Path::new("x"), &LineIndex::new(&src))
            .into_iter()
            .map(|d| {
                let l = d.location.unwrap();
                format!("{}:{} {}", l.line - 1, l.col, d.message)
            })
            .collect();
        (step, msgs)
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("3601s"), None);
        assert_eq!(parse_timeout("99999999999999999999s"), None);
        assert_eq!(parse_timeout("s"), None);
        assert_eq!(parse_timeout("-1s"), None);
    }
}
