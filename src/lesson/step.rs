//! The line grammar inside an `nslab` block: one action, `save` lines,
//! `expect:` lines and step settings, parsed into a draft for the checker.

use std::ops::Range;
use std::time::Duration;

use super::blocks::Block;
use super::diagnostic::Diagnostics;
use super::model::{Action, Expectation, ExpectedStatus, NsRef, RunTarget, Save, StepKind, Stream, Subject};
use super::output::{ANY_LINES, LinePattern, OutputMatcher};
use super::syntax::{FastSet, InlineVec, TrimWs, Words, closest, is_ascii_space, is_name, is_step_id, words};
use crate::ns::{KindSet, NsKind};

/// Every word a step line may start with.
const LINE_WORDS: [&str; 19] = [
    "id", "title", "start", "run", "unshare", "pin", "unpin", "stop", "lsns", "save", "expect", "hint", "timeout", "stdin", "goal", "solution", "creates",
    "probe", "needs",
];

/// The words that may follow `SUBJ KIND` (or `@cap`) in an expectation.
const PREDICATES: [&str; 7] = ["changed", "same", "differs", "in", "gone", "nprocs", "pinned"];

/// The longest regex accepted in `matches:`.
const MAX_REGEX_LEN: usize = 1000;

/// The longest accepted timeout.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

const EXPECTATION_FORMS: &str = "expectations are `SUBJ KIND changed|same`, `SUBJ KIND same as|differs from OTHER`, \
`… in lsns`, `… gone from lsns`, `… nprocs N`, `… pinned at PIN` (where `…` is `SUBJ KIND` or `@capture`), \
`status N|nonzero`, `stdout: TEXT`, `stdout contains: TEXT`, `stdout matches: REGEX` (and the same for stderr)";

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

/// Parses the content lines of `block`.
///
/// `regexes` holds the patterns already found valid in this lesson, so each
/// distinct pattern is compiled once.
/// True for the words that name the lab, the lesson's own namespaces: `lab`,
/// and `host`, its older name.
pub(crate) fn is_lab(word: &str) -> bool {
    word == "lab" || word == "host"
}

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
                None => diags.error_help(
                    range.start..range.start + 1,
                    "a `|` line outside an output block",
                    "`|` lines continue `expect: stdout:`, `expect: stderr:` or `stdin:` with nothing after the colon",
                ),
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
                        diags.error(range, "`id:` is given twice in this step");
                    } else if !is_step_id(value) {
                        diags.error_help(value_range, format!("invalid step id `{value}`"), "a step id uses a-z, 0-9, `-` and `_`, e.g. `start-box`");
                    } else {
                        step.id = Some((value.to_string(), value_range));
                    }
                }
            }
            "title" => {
                if let Some((value, at)) = line.value() {
                    if step.title.is_some() {
                        diags.error(range, "`title:` is given twice in this step");
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
                            diags.error(range, "`timeout:` is given twice in this step");
                        }
                        Some(t) => step.timeout = Some(t),
                        None => diags.error_help(
                            at..at + value.len(),
                            format!("invalid timeout `{value}`"),
                            "write a whole number of seconds or milliseconds, e.g. `5s` or `500ms` (at most 3600s)",
                        ),
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
                                diags.error_help(
                                    at..at + value.len(),
                                    format!("invalid program name `{program}` in `needs:`"),
                                    "name programs the step runs, separated by commas, e.g. `needs: nft`",
                                );
                                break;
                            }
                        }
                    }
                }
            }
            "stdin" => {
                if let Some((value, _)) = line.value_or_empty() {
                    if step.stdin.is_some() {
                        diags.error(range, "`stdin:` is given twice in this step");
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
                        diags.error_help(range, "`creates:` belongs in an exercise", "open the block with ```nslab exercise");
                    } else if let [name, kind_word] = words[..] {
                        let kind_at = at + value.find(kind_word).unwrap_or(0);
                        if !is_name(name) {
                            diags.error_help(
                                at..at + name.len(),
                                format!("invalid pin name `{}`", shorten(name)),
                                "a pin is a file name in the run folder: a-z, 0-9, `-` and `_`",
                            );
                        } else if let Some(k) = kind(kind_word, kind_at, diags) {
                            step.creates.push((name.to_string(), k, range.clone()));
                        }
                    } else {
                        diags.error_help(range, "expected `creates: NAME KIND`", "e.g. `creates: mynet net`: the learner pins a net namespace at `mynet`");
                    }
                }
            }
            "solution" if line.value_or_empty().is_some_and(|(v, _)| v.is_empty()) => {
                if block.kind != StepKind::Exercise {
                    diags.error_help(range, "`solution:` belongs in an exercise", "open the block with ```nslab exercise");
                } else if step.solution.is_some() {
                    diags.error(range, "`solution:` is given twice in this step");
                } else {
                    step.solution = Some(String::new());
                    open = Some((Continued::Solution, range, false));
                }
            }
            "probe" => {
                if let Some((value, _)) = line.value() {
                    if block.kind != StepKind::Exercise {
                        diags.error_help(range, "`probe:` belongs in an exercise", "open the block with ```nslab exercise");
                    } else if step.probe.is_some() {
                        diags.error(range, "`probe:` is given twice in this step");
                    } else {
                        step.probe = Some((value.to_string(), range));
                    }
                }
            }
            "goal" | "solution" => {
                if let Some((value, _)) = line.value() {
                    let slot = if word == "goal" { &mut step.goal } else { &mut step.solution };
                    if block.kind != StepKind::Exercise {
                        diags.error_help(range, format!("`{word}:` belongs in an exercise"), "open the block with ```nslab exercise");
                    } else if slot.is_some() {
                        diags.error(range, format!("`{word}:` is given twice in this step"));
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
                    Some(w) => format!("did you mean `{w}`?"),
                    None => "a step line is an action (start, run, run in, unshare, pin, unpin, stop, lsns), \
                             `save`, `expect:`, `id:`, `title:`, `hint:`, `timeout:`, `stdin:` or `needs:`"
                        .to_string(),
                };
                let end = if word.is_empty() { range.end } else { at + word.len() };
                diags.error_help(at..end, format!("unknown step line `{shown}`"), help);
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
            Continued::Output(_) => "expected output",
            Continued::Stdin => "`stdin:`",
            Continued::Solution => "`solution:`",
        };
        diags.error_help(
            range,
            format!("{what} with nothing after the colon needs `| ` lines below it"),
            "write the text on the same line, or on following lines that start with `| `",
        );
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
            self.diags.error(self.range.clone(), format!("`{}:` needs a value", self.word));
            return None;
        }
        Some((value, at))
    }

    /// The value of a `key: value` line, possibly empty.
    fn value_or_empty(&mut self) -> Option<(&'a str, usize)> {
        let after = self.rest.trim_start_ws();
        let Some(value) = after.strip_prefix(':') else {
            self.diags.error(self.range.clone(), format!("expected `{}: …`", self.word));
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
            self.diags.error_help(self.range.clone(), format!("expected `{usage}`"), format!("write `{usage}`"));
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
                self.diags.error_help(
                    range,
                    format!("`{name}` is not a process name here"),
                    format!("`{name}` stands for the lab, the lesson's own namespaces; name processes something else, e.g. `box`"),
                );
                return None;
            }
            tokens.push(range);
            return Some("host".to_string());
        }
        if !is_name(name) {
            self.diags.error_help(range, format!("invalid name `{}`", shorten(name)), "names start with a-z and use a-z, 0-9, `-` and `_`");
            return None;
        }
        tokens.push(range);
        Some(name.to_string())
    }

    /// A list of kinds, each recorded as a token; `None` if any is bad.
    fn kinds(&mut self, list: &[(usize, &str)], tokens: &mut Tokens) -> Option<KindSet> {
        if list.len() > NsKind::ALL.len() {
            let (first, last) = (list[0], list[list.len() - 1]);
            self.diags.error_help(
                first.0..last.0 + last.1.len(),
                format!("{} namespace kinds listed; there are only eight", list.len()),
                "kinds are cgroup, ipc, mnt, net, pid, time, user, uts, each listed once",
            );
            return None;
        }
        let mut set = KindSet::EMPTY;
        let mut ok = true;
        for (at, word) in list {
            match kind(word, *at, self.diags) {
                Some(k) if set.contains(k) => {
                    self.error(*at..at + word.len(), format!("`{k}` is listed twice"));
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

    /// An action line.
    fn action(&mut self) -> Option<Item<Action>> {
        let mut tokens = Tokens::default();
        let value = match self.word {
            "start" => self.start(&mut tokens)?,
            "run" => {
                let (head, command, _) = self.head_tail("run: COMMAND` or `run in NAME: COMMAND")?;
                let target = match head.as_slice() {
                    [] => RunTarget::Host,
                    [(_, "in"), (_, lab)] if is_lab(lab) => RunTarget::Host,
                    [(_, "in"), name] => RunTarget::Process(self.name(*name, false, &mut tokens)?),
                    _ => {
                        self.error(self.range.clone(), "expected `run: COMMAND` or `run in NAME: COMMAND`");
                        return None;
                    }
                };
                Action::Run { target, command: self.command(command)? }
            }
            "unshare" => {
                let (head, command, _) = self.head_tail("unshare KIND…: COMMAND")?;
                if head.is_empty() {
                    self.error(self.range.clone(), "`unshare` needs at least one namespace kind");
                    return None;
                }
                let kinds = self.kinds(&head, &mut tokens);
                let command = self.command(command);
                Action::Unshare { kinds: kinds?, command: command? }
            }
            "pin" => {
                let w = words(self.rest, self.rest_at);
                let [name, (kind_at, kind_word), (_, "as"), (pin_at, pin)] = w.as_slice() else {
                    self.error(self.range.clone(), "expected `pin NAME KIND as PIN`");
                    return None;
                };
                let process = self.name(*name, true, &mut tokens);
                let k = kind(kind_word, *kind_at, self.diags);
                tokens.push(*kind_at..kind_at + kind_word.len());
                let pin = self.pin_name(*pin_at, pin, &mut tokens);
                Action::Pin { process: process?, kind: k?, pin: pin? }
            }
            "unpin" | "stop" => {
                let w = words(self.rest, self.rest_at);
                let [name] = w.as_slice() else {
                    self.error(self.range.clone(), format!("expected `{} NAME`", self.word));
                    return None;
                };
                if self.word == "unpin" {
                    Action::Unpin { pin: self.pin_name(name.0, name.1, &mut tokens)? }
                } else {
                    Action::Stop { name: self.name(*name, false, &mut tokens)? }
                }
            }
            _ => self.lsns(&mut tokens)?,
        };
        Some(Item { value, range: self.range.clone(), tokens })
    }

    /// `start NAME: KIND… [in OTHER]`.
    fn start(&mut self, tokens: &mut Tokens) -> Option<Action> {
        let (head, _, tail_at) = self.head_tail("start NAME: KIND…")?;
        let [name] = head.as_slice() else {
            self.error(self.range.clone(), "expected `start NAME: KIND…` with one name before the colon");
            return None;
        };
        let name = self.name(*name, false, tokens);
        let tail = self.rest.get(tail_at - self.rest_at..).unwrap_or("");
        let mut list = words(tail, tail_at);
        let mut inside = None;
        if let Some(i) = list.iter().position(|(_, w)| *w == "in") {
            match &list[i..] {
                [_, other] => {
                    inside = Some(self.name(*other, false, tokens));
                    list.truncate(i);
                }
                _ => {
                    self.error(self.range.clone(), "expected `start NAME: KIND… in OTHER`, with one name after `in`");
                    return None;
                }
            }
        }
        if list.is_empty() {
            self.diags.error_help(self.range.clone(), "`start` needs at least one namespace kind", "e.g. `start box: uts net`");
            return None;
        }
        let kinds = self.kinds(&list, tokens);
        Some(Action::Start {
            name: name?,
            kinds: kinds?,
            inside: match inside {
                Some(other) => Some(other?),
                None => None,
            },
        })
    }

    /// `lsns` or `lsns: -t KIND…`.
    fn lsns(&mut self, tokens: &mut Tokens) -> Option<Action> {
        let after = self.rest.trim_start_ws();
        if after.is_empty() {
            return Some(Action::Lsns { kinds: KindSet::EMPTY });
        }
        let Some(args) = after.strip_prefix(':') else {
            self.error(self.range.clone(), "expected `lsns` or `lsns: -t KIND`");
            return None;
        };
        let args_at = self.rest_at + (self.rest.len() - args.len());
        let w = words(args, args_at);
        if w.len() > 2 * NsKind::ALL.len() {
            self.diags.error_help(self.range.clone(), "too many `lsns` options", "`lsns` takes only `-t KIND` options, at most one per kind");
            return None;
        }
        let mut kinds = Vec::new();
        let mut ok = true;
        let mut chunks = w.chunks(2);
        for chunk in chunks.by_ref() {
            match chunk {
                [(_, "-t"), k] => kinds.push(*k),
                [(at, word), ..] => {
                    self.diags.error_help(
                        *at..at + word.len(),
                        format!("unexpected `{}` in `lsns`", shorten(word)),
                        "`lsns` takes only `-t KIND` options, e.g. `lsns: -t net -t uts`",
                    );
                    ok = false;
                    break;
                }
                [] => {}
            }
        }
        let kinds = self.kinds(&kinds, tokens);
        if !ok {
            return None;
        }
        Some(Action::Lsns { kinds: kinds? })
    }

    /// A shell command, non-empty.
    fn command(&mut self, command: &str) -> Option<String> {
        if command.is_empty() {
            self.error(self.range.clone(), "the command is empty");
            return None;
        }
        Some(command.to_string())
    }

    /// A pin name, which must not be a path.
    fn pin_name(&mut self, at: usize, pin: &str, tokens: &mut Tokens) -> Option<String> {
        let range = at..at + pin.len();
        if pin.contains('/') {
            self.diags.error_help(range, format!("pin `{}` is a path", shorten(pin)), "pins live in the run's folder; give a name, not a path");
            return None;
        }
        self.name((at, pin), false, tokens)
    }

    /// `save NAME KIND as @cap`.
    fn save(&mut self) -> Option<Item<Save>> {
        let w = words(self.rest, self.rest_at);
        let [name, (kind_at, kind_word), (_, "as"), (cap_at, cap)] = w.as_slice() else {
            self.error(self.range.clone(), "expected `save NAME KIND as @capture`");
            return None;
        };
        let mut tokens = Tokens::default();
        let subject = self.name(*name, true, &mut tokens);
        let k = kind(kind_word, *kind_at, self.diags);
        tokens.push(*kind_at..kind_at + kind_word.len());
        let capture = capture(cap, *cap_at, self.diags);
        tokens.push(*cap_at..cap_at + cap.len());
        let subject = subject?;
        Some(Item {
            value: Save {
                subject: match subject.as_str() {
                    "host" => Subject::Host,
                    "shell" => Subject::Shell,
                    _ => Subject::Process(subject),
                },
                kind: k?,
                capture: capture?,
            },
            range: self.range.clone(),
            tokens,
        })
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
                _ if bare != word && bare.parse::<NsKind>().is_ok() => "separate kinds with spaces, not commas: `uts net`".to_string(),
                Some(k) => format!("did you mean `{k}`? kinds are cgroup, ipc, mnt, net, pid, time, user, uts"),
                None => "kinds are cgroup, ipc, mnt, net, pid, time, user, uts".to_string(),
            };
            diags.error_help(at..at + word.len(), format!("unknown namespace kind `{}`", shorten(word)), help);
            None
        }
    }
}

/// Parses `@name` into `name`.
fn capture(word: &str, at: usize, diags: &mut Diagnostics) -> Option<String> {
    match word.strip_prefix('@') {
        Some(name) if is_name(name) => Some(name.to_string()),
        _ => {
            diags.error_help(
                at..at + word.len(),
                format!("invalid capture `{}`", shorten(word)),
                "a capture is written `@name`, with a name of a-z, 0-9, `-` and `_`",
            );
            None
        }
    }
}

/// Parses `5s` or `500ms`.
/// A program's name as `needs:` takes it: a file name to look up on the
/// lab's PATH (letters, digits, `.`, `_`, `+`, `-`; not starting with `.` or `-`).
fn is_program_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.starts_with(['.', '-']) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

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

/// Parses the text after `expect:`. Returns the item and whether it opens a
/// multi-line output block.
fn parse_expectation(value: &str, at: usize, range: Range<usize>, regexes: &mut FastSet<String>, diags: &mut Diagnostics) -> Option<(Item<Expectation>, bool)> {
    let item = |value, tokens| Item { value, range: range.clone(), tokens };
    for (stream, word) in [(Stream::Stdout, "stdout"), (Stream::Stderr, "stderr")] {
        let Some(after) = value.strip_prefix(word) else {
            continue;
        };
        if !(after.is_empty() || after.starts_with(':') || after.starts_with(char::is_whitespace)) {
            continue;
        }
        return parse_output(stream, after, at + word.len(), regexes, diags)
            .map(|(matcher, multi)| (item(Expectation::Output { stream, matcher }, Tokens::default()), multi));
    }
    let w = words(value, at);
    let mut tokens = Tokens::default();
    let whole = at..at + value.len();
    let (first_at, first) = *w.first()?;
    if first == "status" {
        let status = match w.as_slice() {
            [_, (_, "nonzero")] => Some(ExpectedStatus::Nonzero),
            [_, (_, n)] => n.parse::<u8>().ok().map(ExpectedStatus::Code),
            _ => None,
        };
        return match status {
            Some(status) => Some((item(Expectation::Status { status }, tokens), false)),
            None => {
                diags.error_help(whole, "expected `status N` or `status nonzero`", "N is an exit status from 0 to 255");
                None
            }
        };
    }
    // The namespace: `@cap`, or `SUBJ KIND`.
    let (ns, pred) = if first.starts_with('@') {
        tokens.push(first_at..first_at + first.len());
        let name = capture(first, first_at, diags)?;
        (NsRef { subject: Subject::Capture(name), kind: None }, &w[1..])
    } else if is_lab(first) || is_name(first) {
        tokens.push(first_at..first_at + first.len());
        let Some(&(kind_at, kind_word)) = w.get(1) else {
            diags.error_help(
                whole,
                format!("incomplete expectation about `{first}`"),
                format!("say which namespace and what about it, e.g. `{first} net changed`"),
            );
            return None;
        };
        if PREDICATES.contains(&kind_word) {
            diags.error_help(
                kind_at..kind_at + kind_word.len(),
                format!("which namespace of `{first}`?"),
                format!("name the kind before `{kind_word}`, e.g. `{first} net {kind_word}`"),
            );
            return None;
        }
        let k = kind(kind_word, kind_at, diags)?;
        tokens.push(kind_at..kind_at + kind_word.len());
        let subject = match first {
            lab if is_lab(lab) => Subject::Host,
            "shell" => Subject::Shell,
            _ => Subject::Process(first.to_string()),
        };
        (NsRef { subject, kind: Some(k) }, &w[2..])
    } else {
        let help = match closest(first, &["status", "stdout", "stderr"]) {
            Some(w) => format!("did you mean `{w}`?"),
            None => EXPECTATION_FORMS.to_string(),
        };
        diags.error_help(first_at..first_at + first.len(), format!("unknown expectation `{}`", shorten(value)), help);
        return None;
    };
    let plain: Vec<&str> = pred.iter().map(|(_, w)| *w).collect();
    let mut other = |word: (usize, &str), tokens: &mut Tokens| -> Option<Subject> {
        let (o_at, o) = word;
        tokens.push(o_at..o_at + o.len());
        if is_lab(o) {
            Some(Subject::Host)
        } else if o == "shell" {
            Some(Subject::Shell)
        } else if o.starts_with('@') {
            capture(o, o_at, diags).map(Subject::Capture)
        } else if is_name(o) {
            Some(Subject::Process(o.to_string()))
        } else {
            diags.error_help(o_at..o_at + o.len(), format!("invalid name `{}`", shorten(o)), "compare with a process name, `lab`, or an `@capture`");
            None
        }
    };
    let expectation = match plain.as_slice() {
        ["changed"] => Expectation::Changed { ns },
        ["same"] => Expectation::Unchanged { ns },
        ["same", "as", _] => Expectation::SameAs { ns, other: other(pred[2], &mut tokens)? },
        ["differs", "from", _] => Expectation::DiffersFrom { ns, other: other(pred[2], &mut tokens)? },
        ["in", "lsns"] => Expectation::InLsns { ns },
        ["gone", "from", "lsns"] => Expectation::GoneFromLsns { ns },
        ["nprocs", n] => match n.parse::<u32>() {
            Ok(count) => Expectation::Nprocs { ns, count },
            Err(_) => {
                let (n_at, n) = pred[1];
                diags.error(n_at..n_at + n.len(), format!("`{}` is not a process count", shorten(n)));
                return None;
            }
        },
        ["pinned", "at", pin] => {
            let (p_at, _) = pred[2];
            if pin.contains('/') {
                diags.error_help(p_at..p_at + pin.len(), format!("pin `{}` is a path", shorten(pin)), "pins live in the run's folder; give a name, not a path");
                return None;
            }
            if !is_name(pin) {
                diags.error(p_at..p_at + pin.len(), format!("invalid pin name `{}`", shorten(pin)));
                return None;
            }
            tokens.push(p_at..p_at + pin.len());
            Expectation::PinnedAt { ns, pin: pin.to_string() }
        }
        _ => {
            let pred_range = match (pred.first(), pred.last()) {
                (Some((a, _)), Some((b, w))) => *a..b + w.len(),
                _ => whole,
            };
            let help = match plain.first().and_then(|w| closest(w, &PREDICATES)) {
                Some(p) if !PREDICATES.contains(&plain[0]) => format!("did you mean `{p}`?"),
                _ => EXPECTATION_FORMS.to_string(),
            };
            let what =
                if plain.is_empty() { format!("incomplete expectation about {}", ns) } else { format!("unknown expectation `{}`", shorten(&plain.join(" "))) };
            diags.error_help(pred_range, what, help);
            return None;
        }
    };
    Some((item(expectation, tokens), false))
}

/// Parses what follows `stdout`/`stderr` (starting at `at`).
fn parse_output(stream: Stream, after: &str, at: usize, regexes: &mut FastSet<String>, diags: &mut Diagnostics) -> Option<(OutputMatcher, bool)> {
    let trimmed = after.trim_start_ws();
    let t_at = at + (after.len() - trimmed.len());
    // A suffix `s` of `trimmed`, trimmed, with the offset where it starts.
    fn text_of<'t>(s: &'t str, trimmed: &str, t_at: usize) -> (&'t str, usize) {
        (s.trim_ws(), t_at + (trimmed.len() - s.len()) + (s.len() - s.trim_start_ws().len()))
    }
    if let Some(text) = trimmed.strip_prefix(':') {
        let (text, _) = text_of(text, trimmed, t_at);
        return Some(if text.is_empty() {
            (OutputMatcher::Lines(Vec::new()), true)
        } else if text == ANY_LINES {
            (OutputMatcher::Lines(vec![LinePattern::AnyLines]), false)
        } else {
            (OutputMatcher::Lines(vec![LinePattern::Text(text.to_string())]), false)
        });
    }
    for (word, is_regex) in [("contains", false), ("matches", true)] {
        let Some(rest) = trimmed.strip_prefix(word) else {
            continue;
        };
        let Some(text) = rest.trim_start_ws().strip_prefix(':') else {
            break;
        };
        let (text, text_at) = text_of(text, trimmed, t_at);
        if text.is_empty() {
            diags.error(at - stream.to_string().len()..t_at + trimmed.len(), format!("`{stream} {word}:` needs a text"));
            return None;
        }
        if !is_regex {
            return Some((OutputMatcher::Contains(text.to_string()), false));
        }
        let range = text_at..text_at + text.len();
        if text.len() > MAX_REGEX_LEN {
            diags.error(range, format!("the regex is longer than {MAX_REGEX_LEN} bytes"));
            return None;
        }
        if regexes.contains(text) {
            return Some((OutputMatcher::Matches(text.to_string()), false));
        }
        return match super::output::regex(text) {
            Ok(_) => {
                regexes.insert(text.to_string());
                Some((OutputMatcher::Matches(text.to_string()), false))
            }
            Err(e) => {
                diags.error(range, format!("invalid regex: {}", regex_reason(&e)));
                None
            }
        };
    }
    diags.error_help(
        at - stream.to_string().len()..t_at + trimmed.len(),
        format!("expected `{stream}: TEXT`, `{stream} contains: TEXT` or `{stream} matches: REGEX`"),
        format!("for several lines, write `expect: {stream}:` and then `| ` lines"),
    );
    None
}

/// The one-line reason in a regex error (its message draws the pattern and a caret
/// over several lines; we draw our own).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines().rev().find_map(|l| l.trim().strip_prefix("error: ")).map_or_else(|| text.lines().last().unwrap_or("").trim().to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::blocks::find;
    use crate::lesson::span::LineIndex;
    use std::path::Path;

    /// Parses one block's content; returns the draft and the messages.
    fn draft(content: &str) -> (StepDraft, Vec<String>) {
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

    fn expectation(line: &str) -> Result<Expectation, Vec<String>> {
        let (step, msgs) = draft(&format!("expect: {line}"));
        if msgs.is_empty() { Ok(step.expectations[0].value.clone()) } else { Err(msgs) }
    }

    fn ns(name: &str, kind: NsKind) -> NsRef {
        let subject = if name == "host" { Subject::Host } else { Subject::Process(name.into()) };
        NsRef { subject, kind: Some(kind) }
    }

    fn cap(name: &str) -> NsRef {
        NsRef { subject: Subject::Capture(name.into()), kind: None }
    }

    #[test]
    fn actions() {
        let kinds = |ks: &[NsKind]| ks.iter().copied().collect::<KindSet>();
        let cases = [
            ("start box: uts net", Action::Start { name: "box".into(), kinds: kinds(&[NsKind::Uts, NsKind::Net]), inside: None }),
            ("start inner: net in box", Action::Start { name: "inner".into(), kinds: kinds(&[NsKind::Net]), inside: Some("box".into()) }),
            ("run: echo a: b", Action::Run { target: RunTarget::Host, command: "echo a: b".into() }),
            ("run in box:  hostname  ", Action::Run { target: RunTarget::Process("box".into()), command: "hostname".into() }),
            ("unshare net uts: ip link", Action::Unshare { kinds: kinds(&[NsKind::Net, NsKind::Uts]), command: "ip link".into() }),
            ("pin box net as netns1", Action::Pin { process: "box".into(), kind: NsKind::Net, pin: "netns1".into() }),
            ("unpin netns1", Action::Unpin { pin: "netns1".into() }),
            ("stop box", Action::Stop { name: "box".into() }),
            ("lsns", Action::Lsns { kinds: KindSet::EMPTY }),
            ("lsns: -t net -t uts", Action::Lsns { kinds: kinds(&[NsKind::Net, NsKind::Uts]) }),
        ];
        for (line, want) in cases {
            let (step, msgs) = draft(line);
            assert!(msgs.is_empty(), "{line}: {msgs:?}");
            assert_eq!(step.actions.len(), 1, "{line}");
            assert_eq!(step.actions[0].value, want, "{line}");
        }
    }

    #[test]
    fn bad_actions() {
        let cases: &[(&str, &[&str])] = &[
            ("start box: netw", &["1:12 unknown namespace kind `netw`"]),
            ("start box: net net", &["1:16 `net` is listed twice"]),
            ("start box:", &["1:1 `start` needs at least one namespace kind"]),
            ("start box uts", &["1:1 expected `start NAME: KIND…`"]),
            ("start host: uts", &["1:7 `host` is not a process name here"]),
            ("start Box: uts", &["1:7 invalid name `Box`"]),
            ("start a: uts in", &["1:1 expected `start NAME: KIND… in OTHER`, with one name after `in`"]),
            ("run:", &["1:1 the command is empty"]),
            ("run on box: x", &["1:1 expected `run: COMMAND` or `run in NAME: COMMAND`"]),
            ("unshare: x", &["1:1 `unshare` needs at least one namespace kind"]),
            ("pin box net as /tmp/x", &["1:16 pin `/tmp/x` is a path"]),
            ("pin box net to x", &["1:1 expected `pin NAME KIND as PIN`"]),
            ("stop host", &["1:6 `host` is not a process name here"]),
            ("lsns: -x", &["1:7 unexpected `-x` in `lsns`"]),
            ("lsns: -t netw", &["1:10 unknown namespace kind `netw`"]),
            ("strat box: uts", &["1:1 unknown step line `strat`"]),
            ("save box net as old", &["1:17 invalid capture `old`"]),
            ("timeout: 5 minutes", &["1:10 invalid timeout `5 minutes`"]),
            ("timeout: 0s", &["1:10 invalid timeout `0s`"]),
            ("id: Bad", &["1:5 invalid step id `Bad`"]),
            ("goal: x", &["1:1 `goal:` belongs in an exercise"]),
            ("title", &["1:1 expected `title: …`"]),
            ("| stray", &["1:1 a `|` line outside an output block"]),
            ("expect: stdout:", &["1:1 expected output with nothing after the colon needs `| ` lines below it"]),
        ];
        for (line, want) in cases {
            let (_, msgs) = draft(line);
            assert_eq!(&msgs, want, "{line}");
        }
    }

    #[test]
    fn expectations() {
        let cases = [
            ("box net changed", Expectation::Changed { ns: ns("box", NsKind::Net) }),
            ("host uts same", Expectation::Unchanged { ns: ns("host", NsKind::Uts) }),
            ("box uts same as host", Expectation::SameAs { ns: ns("box", NsKind::Uts), other: Subject::Host }),
            ("box net differs from @old", Expectation::DiffersFrom { ns: ns("box", NsKind::Net), other: Subject::Capture("old".into()) }),
            ("@old in lsns", Expectation::InLsns { ns: cap("old") }),
            ("@old gone from lsns", Expectation::GoneFromLsns { ns: cap("old") }),
            ("box pid in lsns", Expectation::InLsns { ns: ns("box", NsKind::Pid) }),
            ("@old nprocs 2", Expectation::Nprocs { ns: cap("old"), count: 2 }),
            ("@old pinned at netns1", Expectation::PinnedAt { ns: cap("old"), pin: "netns1".into() }),
            ("status 0", Expectation::Status { status: ExpectedStatus::Code(0) }),
            ("status nonzero", Expectation::Status { status: ExpectedStatus::Nonzero }),
            ("stdout: net:[..]", Expectation::Output { stream: Stream::Stdout, matcher: OutputMatcher::Lines(vec![LinePattern::Text("net:[..]".into())]) }),
            ("stderr contains: denied", Expectation::Output { stream: Stream::Stderr, matcher: OutputMatcher::Contains("denied".into()) }),
            ("stdout matches: ^[0-9]+$", Expectation::Output { stream: Stream::Stdout, matcher: OutputMatcher::Matches("^[0-9]+$".into()) }),
        ];
        for (line, want) in cases {
            assert_eq!(expectation(line), Ok(want), "{line}");
        }
    }

    #[test]
    fn bad_expectations() {
        let cases: &[(&str, &str)] = &[
            ("box netw changed", "1:13 unknown namespace kind `netw`"),
            ("box changed", "1:13 which namespace of `box`?"),
            ("box net vanished", "1:17 unknown expectation `vanished`"),
            ("box net", "1:9 incomplete expectation about box net"),
            ("status 256", "1:9 expected `status N` or `status nonzero`"),
            ("stdout matches: (", "1:25 invalid regex: unclosed group"),
            ("stdout contains:", "1:9 `stdout contains:` needs a text"),
            ("stdout is x", "1:9 expected `stdout: TEXT`, `stdout contains: TEXT` or `stdout matches: REGEX`"),
            ("@old nprocs many", "1:21 `many` is not a process count"),
            ("@old pinned at a/b", "1:24 pin `a/b` is a path"),
            ("Box net changed", "1:9 unknown expectation `Box net changed`"),
            ("box net same as Other", "1:25 invalid name `Other`"),
        ];
        for (line, want) in cases {
            assert_eq!(expectation(line), Err(vec![want.to_string()]), "{line}");
        }
    }

    #[test]
    fn multi_line_output_and_stdin() {
        let (step, msgs) = draft("run: x\nexpect: stdout:\n| a [..]\n\n| ...\n|\n  | last  \nstdin:\n| one\n| two\nexpect: status 0");
        assert!(msgs.is_empty(), "{msgs:?}");
        let Expectation::Output { matcher: OutputMatcher::Lines(lines), .. } = &step.expectations[0].value else {
            panic!("not an output expectation");
        };
        assert_eq!(lines, &[LinePattern::Text("a [..]".into()), LinePattern::AnyLines, LinePattern::Text(String::new()), LinePattern::Text("last".into()),]);
        assert_eq!(step.stdin.as_ref().map(|s| s.0.as_str()), Some("one\ntwo\n"));
        assert_eq!(step.expectations.len(), 2);
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
