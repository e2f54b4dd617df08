//! Small lexical helpers shared by the front matter and step parsers: lines with
//! offsets, words with offsets, names, slugs and "did you mean".

/// The lines of `text` (which starts at byte `base` of the source), each with
/// the offset of its first byte; line endings (`\n`, `\r\n`) are dropped.
pub(crate) fn lines(text: &str, base: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = base;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        (start, line.strip_suffix('\r').unwrap_or(line))
    })
}

/// The whitespace separated words of `text` (which starts at byte `base`),
/// each with its offset.
pub(crate) fn words(text: &str, base: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((base + s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((base + s, &text[s..]));
    }
    out
}

/// `line` without a `#` comment; `#` starts a comment only at the start of the
/// line or after whitespace.
pub(crate) fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// True for a name of a process, pin or capture: `[a-z][a-z0-9_-]*`.
pub(crate) fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// True for a step id: `[a-z0-9][a-z0-9_-]*`.
pub(crate) fn is_step_id(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The slug of a title: lower-case ASCII letters and digits, other runs turned
/// into one `-`, none at either end. Empty when the title has no ASCII letter
/// or digit.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// The candidate closest to `word` by edit distance, if it is close enough to be
/// a likely typo.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // Two-letter words are too short to guess from; very long ones are not typos.
    if word.len() < 3 || word.len() > 40 {
        return None;
    }
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_offsets() {
        let got: Vec<_> = lines("a\r\nbc\n\nd", 10).collect();
        assert_eq!(got, vec![(10, "a"), (13, "bc"), (16, ""), (17, "d")]);
        assert_eq!(lines("", 0).count(), 0);
    }

    #[test]
    fn words_keep_offsets() {
        assert_eq!(words("  start  box:\tuts ", 5), vec![(7, "start"), (14, "box:"), (19, "uts")]);
    }

    #[test]
    fn comments() {
        let cases = [
            ("a # c", "a "),
            ("# c", ""),
            ("a#b", "a#b"),
            ("title: C# is\t# x", "title: C# is\t"),
        ];
        for (line, want) in cases {
            assert_eq!(strip_comment(line), want);
        }
    }

    #[test]
    fn names_and_slugs() {
        for ok in ["box", "a", "net-1", "my_pin"] {
            assert!(is_name(ok), "{ok}");
        }
        for bad in ["", "1box", "Box", "a/b", "-x", "@c", "bö"] {
            assert!(!is_name(bad), "{bad}");
        }
        assert!(is_step_id("1-start"));
        assert_eq!(slug("Start a box, in UTS!"), "start-a-box-in-uts");
        assert_eq!(slug("  -- "), "");
        assert_eq!(slug("Über 2"), "ber-2");
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("expcet", &["expect", "start"]), Some("expect"));
        assert_eq!(closest("strat", &["expect", "start"]), Some("start"));
        assert_eq!(closest("zzzzzz", &["expect", "start"]), None);
        assert_eq!(closest("rn", &["run"]), None);
        assert_eq!(closest("is", &["in"]), None);
    }
}
