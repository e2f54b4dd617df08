//! Small lexical helpers shared by the front matter and step parsers: lines with
//! offsets, words with offsets, names, slugs and "did you mean".

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A fast, non-cryptographic hasher (FxHash) for the parser's maps and sets of
/// names and regexes: hashing with SipHash was a visible part of parsing a big
/// lesson, and these tables only ever hold one lesson's own strings.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, mut bytes: &[u8]) {
        while let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*chunk));
            bytes = rest;
        }
        if let Some((chunk, rest)) = bytes.split_first_chunk::<4>() {
            self.add(u64::from(u32::from_le_bytes(*chunk)));
            bytes = rest;
        }
        for b in bytes {
            self.add(u64::from(*b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`FxHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` hashed with [`FxHasher`].
pub(crate) type FastSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

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

/// `str::trim` and friends with a fast path for ASCII: the same results
/// (whitespace as `char::is_whitespace`), without decoding ASCII characters.
pub(crate) trait TrimWs {
    fn trim_ws(&self) -> &str;
    fn trim_start_ws(&self) -> &str;
    fn trim_end_ws(&self) -> &str;
}

/// ASCII whitespace as `char::is_whitespace` sees it (which includes `\x0B`).
pub(crate) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

impl TrimWs for str {
    fn trim_ws(&self) -> &str {
        self.trim_start_ws().trim_end_ws()
    }

    fn trim_start_ws(&self) -> &str {
        let bytes = self.as_bytes();
        let i = bytes.iter().take_while(|b| is_ascii_space(**b)).count();
        match bytes.get(i) {
            Some(b) if !b.is_ascii() => self[i..].trim_start(),
            _ => &self[i..],
        }
    }

    fn trim_end_ws(&self) -> &str {
        let bytes = self.as_bytes();
        let n = bytes.iter().rev().take_while(|b| is_ascii_space(**b)).count();
        let end = bytes.len() - n;
        match end.checked_sub(1).map(|i| bytes[i]) {
            Some(b) if !b.is_ascii() => self[..end].trim_end(),
            _ => &self[..end],
        }
    }
}

/// A list that keeps up to `N` items inline and only allocates beyond that:
/// step lines have a handful of words and tokens, and parsing a big lesson
/// should not allocate for each of them.
pub(crate) type InlineVec<T, const N: usize> = smallvec::SmallVec<[T; N]>;

/// Words of a line: inline up to eight.
pub(crate) type Words<'a> = InlineVec<(usize, &'a str), 8>;

/// The whitespace separated words of `text` (which starts at byte `base`),
/// each with its offset.
pub(crate) fn words(text: &str, base: usize) -> Words<'_> {
    let mut out = Words::default();
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // The common case, decided byte by byte without decoding.
        let (mut i, n) = (0, bytes.len());
        loop {
            while i < n && is_ascii_space(bytes[i]) {
                i += 1;
            }
            if i == n {
                return out;
            }
            let start = i;
            while i < n && !is_ascii_space(bytes[i]) {
                i += 1;
            }
            out.push((base + start, &text[start..i]));
        }
    }
    let mut start = None;
    let mut i = 0;
    while i < bytes.len() {
        // ASCII is decided from the byte; anything else decodes one character.
        let (space, len) = match bytes[i] {
            b if b.is_ascii() => (is_ascii_space(b), 1),
            _ => match text[i..].chars().next() {
                Some(c) => (c.is_whitespace(), c.len_utf8()),
                None => break,
            },
        };
        match (space, start) {
            (true, Some(s)) => {
                out.push((base + s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
        i += len;
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
    bytes.next().is_some_and(|b| b.is_ascii_lowercase()) && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
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
    candidates.iter().map(|c| (edit_distance(word, c), *c)).filter(|(d, c)| *d <= 2.max(c.len() / 3) && *d < c.len()).min_by_key(|(d, _)| *d).map(|(_, c)| c)
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
        assert_eq!(words("  start  box:\tuts ", 5).as_slice(), [(7, "start"), (14, "box:"), (19, "uts")]);
        let many = words("a b c d e f g h i j", 0);
        assert_eq!(many.len(), 10);
        assert_eq!(many[9], (18, "j"));
        // Unicode spaces separate words too; other characters do not.
        assert_eq!(words("é\u{a0}ü x", 0).as_slice(), [(0, "é"), (4, "ü"), (7, "x")]);
        // Whitespace is what `char::is_whitespace` says, on the ASCII path too.
        assert_eq!(words("a\x0bb\x0cc", 0).as_slice(), [(0, "a"), (2, "b"), (4, "c")]);
    }

    #[test]
    fn trims_like_std() {
        for s in ["", " ", " a ", "\t\x0b\x0ca b\r\n", "\u{a0}x\u{2003}", " é ", "é", "a\u{a0}", "\u{3000} \u{3000}", " ü\u{a0} "] {
            assert_eq!(s.trim_ws(), s.trim(), "{s:?}");
            assert_eq!(s.trim_start_ws(), s.trim_start(), "{s:?}");
            assert_eq!(s.trim_end_ws(), s.trim_end(), "{s:?}");
        }
    }

    #[test]
    fn comments() {
        let cases = [("a # c", "a "), ("# c", ""), ("a#b", "a#b"), ("title: C# is\t# x", "title: C# is\t")];
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
