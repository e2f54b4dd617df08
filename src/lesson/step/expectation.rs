//! The expectations of a step: the text after `expect:`, about a
//! namespace (`SUBJ KIND …`, `@capture …`), the exit status, or the output.

use std::ops::Range;

use super::{Item, Tokens, capture, is_lab, kind, shorten};
use crate::lesson::diagnostic::Diagnostics;
use crate::lesson::model::{Expectation, ExpectedStatus, NsRef, Stream, Subject};
use crate::lesson::output::{ANY_LINES, LinePattern, OutputMatcher};
use crate::lesson::syntax::{FastSet, TrimWs, closest, is_name, words};

/// The words that may follow `SUBJ KIND` (or `@cap`) in an expectation.
const PREDICATES: [&str; 7] = ["changed", "same", "differs", "in", "gone", "nprocs", "pinned"];

/// The longest regex accepted in `matches:`.
const MAX_REGEX_LEN: usize = 1000;

const EXPECTATION_FORMS: &str = "expectations are `SUBJ KIND changed|same`, `SUBJ KIND same as|differs from OTHER`, \
`… in lsns`, `… gone from lsns`, `… nprocs N`, `… pinned at PIN` (where `…` is `SUBJ KIND` or `@capture`), \
`status N|nonzero`, `stdout: TEXT`, `stdout contains: TEXT`, `stdout matches: REGEX` (and the same for stderr)";

/// Parses the text after `expect:`. Returns the item and whether it opens a
/// multi-line output block.
pub(super) fn parse_expectation(
    value: &str,
    at: usize,
    range: Range<usize>,
    regexes: &mut FastSet<String>,
    diags: &mut Diagnostics,
) -> Option<(Item<Expectation>, bool)> {
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
        return match crate::lesson::output::regex(text) {
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
    use crate::lesson::step::tests::draft;
    use crate::ns::NsKind;

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
}
