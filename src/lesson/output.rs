//! Expected command output: exact lines with `[..]` wildcards, substrings and
//! regexes, and how to match them against what a command printed.

use serde::Serialize;

use super::model::Stream;

/// The wildcard that matches any run of characters within one line.
pub const WILDCARD: &str = "[..]";

/// A line of expected output that stands for any number of lines (`| ...`).
pub const ANY_LINES: &str = "...";

/// One line of an expected output block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "text", rename_all = "snake_case")]
pub enum LinePattern {
    /// A line, where `[..]` matches any run of characters.
    Text(String),
    /// `...`: any number of lines, none included.
    AnyLines,
}

/// How a stream's output must look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "pattern", rename_all = "snake_case")]
pub enum OutputMatcher {
    /// The whole output, line by line (`stdout: TEXT`, or `stdout:` and `| ` lines).
    Lines(Vec<LinePattern>),
    /// The output contains this text (`stdout contains: TEXT`).
    Contains(String),
    /// The output matches this regex somewhere (`stdout matches: REGEX`).
    Matches(String),
}

impl OutputMatcher {
    /// True when `actual` satisfies the matcher. A regex that does not compile
    /// matches nothing (the checker reports bad regexes before any run).
    pub fn matches(&self, actual: &str) -> bool {
        match self {
            OutputMatcher::Lines(lines) => lines_match(lines, actual),
            OutputMatcher::Contains(text) => actual.contains(text.as_str()),
            OutputMatcher::Matches(re) => regex(re).is_ok_and(|re| re.is_match(actual)),
        }
    }

    /// Plain words, e.g. "stdout is `hi`" or "stderr contains `denied`".
    pub fn describe(&self, stream: Stream) -> String {
        match self {
            OutputMatcher::Lines(lines) => match lines.as_slice() {
                [] => crate::t!("expect-output-empty", stream = stream.to_string()),
                [LinePattern::Text(t)] => crate::t!("expect-output-is", stream = stream.to_string(), text = t.as_str()),
                _ if lines.contains(&LinePattern::AnyLines) => {
                    let n = lines.iter().filter(|l| **l != LinePattern::AnyLines).count();
                    crate::t!("expect-output-lines-gaps", stream = stream.to_string(), count = n)
                }
                _ => crate::t!("expect-output-lines", stream = stream.to_string(), count = lines.len()),
            },
            OutputMatcher::Contains(t) => crate::t!("expect-output-contains", stream = stream.to_string(), text = t.as_str()),
            OutputMatcher::Matches(re) => crate::t!("expect-output-matches", stream = stream.to_string(), regex = re.as_str()),
        }
    }
}

/// The compiled form of a `matches:` regex. As in grep, `^` and `$` match at
/// the start and end of every line: a command's output ends with a newline,
/// and `stdout matches: ^box[0-9]+$` means a line that is `box` and digits.
pub fn regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).multi_line(true).size_limit(1 << 20).build()
}

/// True when the line `actual` matches `pattern`, where `[..]` matches any run
/// of characters. Trailing whitespace is ignored on both sides.
pub fn line_matches(pattern: &str, actual: &str) -> bool {
    let pattern = pattern.trim_end();
    let actual = actual.trim_end();
    let mut parts = pattern.split(WILDCARD);
    // `split` always yields at least one part.
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    // Leftmost matching of each middle part is optimal for `*`-style wildcards.
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// True when the text `actual` matches the lines `patterns`. One final newline
/// of `actual` is ignored; `AnyLines` stands for any number of lines.
pub fn lines_match(patterns: &[LinePattern], actual: &str) -> bool {
    let actual = actual.strip_suffix('\n').unwrap_or(actual);
    let actual = actual.strip_suffix('\r').unwrap_or(actual);
    let lines: Vec<&str> = if actual.is_empty() { Vec::new() } else { actual.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect() };
    // Split the patterns into runs of plain lines separated by `...`.
    let mut segments: Vec<Vec<&str>> = vec![Vec::new()];
    for p in patterns {
        match p {
            LinePattern::Text(t) => {
                if let Some(seg) = segments.last_mut() {
                    seg.push(t);
                }
            }
            LinePattern::AnyLines => segments.push(Vec::new()),
        }
    }
    let seg_matches_at = |seg: &[&str], at: usize| at + seg.len() <= lines.len() && seg.iter().zip(&lines[at..]).all(|(p, l)| line_matches(p, l));
    if segments.len() == 1 {
        return segments[0].len() == lines.len() && seg_matches_at(&segments[0], 0);
    }
    let (first, rest) = segments.split_first().unwrap_or((&segments[0], &[]));
    let (last, middle) = rest.split_last().unwrap_or((&rest[0], &[]));
    if !seg_matches_at(first, 0) {
        return false;
    }
    let mut pos = first.len();
    for seg in middle {
        match (pos..=lines.len()).find(|&at| seg_matches_at(seg, at)) {
            Some(at) => pos = at + seg.len(),
            None => return false,
        }
    }
    lines.len() >= pos + last.len() && seg_matches_at(last, lines.len() - last.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_anchor_at_lines() {
        let m = |re: &str, out: &str| OutputMatcher::Matches(re.into()).matches(out);
        assert!(m("^box[0-9]+$", "box1\n"), "a command's trailing newline is not in the way");
        assert!(m("^box[0-9]+$", "lo\nbox2\n"), "any line may match");
        assert!(!m("^box[0-9]+$", "a box1\n"));
        assert!(!m("^box[0-9]+$", "box1 up\n"));
        assert!(m("\\Abox1\\z", "box1"), "\\A and \\z still anchor at the whole output");
    }

    #[test]
    fn wildcard_lines() {
        let cases = [
            ("hello", "hello", true),
            ("hello", "hello  ", true),
            ("hello", "hell", false),
            ("net:[..]", "net:[4026531840]", true),
            ("[..]", "", true),
            ("[..]", "anything", true),
            ("a[..]b[..]c", "a1b2c", true),
            ("a[..]b[..]c", "abc", true),
            ("a[..]b[..]c", "acb", false),
            ("a[..]a", "a", false),
            ("[..]ab", "aab", true),
            ("x[..]", "y", false),
        ];
        for (pattern, actual, want) in cases {
            assert_eq!(line_matches(pattern, actual), want, "{pattern:?} vs {actual:?}");
        }
    }

    fn pats(lines: &[&str]) -> Vec<LinePattern> {
        lines.iter().map(|l| if *l == ANY_LINES { LinePattern::AnyLines } else { LinePattern::Text((*l).to_string()) }).collect()
    }

    #[test]
    fn multi_line_blocks() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["a", "b"], "a\nb\n", true),
            (&["a", "b"], "a\nb", true),
            (&["a", "b"], "a\nb\nc\n", false),
            (&[], "", true),
            (&[], "\n", true),
            (&[""], "\n\n", false),
            (&["..."], "", true),
            (&["..."], "x\ny\n", true),
            (&["a", "..."], "a\nz\n", true),
            (&["...", "z"], "a\nz\n", true),
            (&["a", "...", "c", "...", "e"], "a\nb\nc\nd\ne\n", true),
            (&["a", "...", "c", "...", "e"], "a\ne\n", false),
            (&["a", "...", "a"], "a\n", false),
            (&["[..]", "..."], "", false),
        ];
        for (p, actual, want) in cases {
            assert_eq!(lines_match(&pats(p), actual), *want, "{p:?} vs {actual:?}");
        }
    }

    #[test]
    fn other_matchers() {
        assert!(OutputMatcher::Contains("ell".into()).matches("hello"));
        assert!(OutputMatcher::Matches("^h.l+o$".into()).matches("hello"));
        assert!(!OutputMatcher::Matches("(".into()).matches("("));
    }
}
