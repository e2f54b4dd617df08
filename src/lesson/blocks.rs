//! Finding the ```` ```nslab ```` fenced blocks of a Markdown body with
//! pulldown-cmark; every other fence (and an `nslab` fence shown inside a longer
//! one) is left alone.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::diagnostic::Diagnostics;
use super::model::StepKind;

/// The info string word that marks a runnable block.
pub const FENCE_WORD: &str = "nslab";

/// One `nslab` fenced block, as found in the source.
#[derive(Debug)]
pub(crate) struct Block<'a> {
    /// Step or exercise.
    pub kind: StepKind,
    /// The whole block, fences included.
    pub range: Range<usize>,
    /// The opening fence line.
    pub opening: Range<usize>,
    /// The content lines, each with the offset of its first byte; borrowed from
    /// the source unless a container (list, quote) made pulldown-cmark rewrite them.
    pub lines: Vec<(usize, Cow<'a, str>)>,
    /// False when the block has no closing fence (it then runs to the end of
    /// the file or of its container).
    pub terminated: bool,
    /// For a ```` ```nslab file NAME ```` block, a source file the lesson
    /// carries: its name as written, and the name's range.
    pub file: Option<(String, Range<usize>)>,
}

/// Finds the `nslab` blocks in `source[body_start..]`.
pub(crate) fn find<'a>(source: &'a str, body_start: usize, diags: &mut Diagnostics) -> Vec<Block<'a>> {
    let body = source.get(body_start..).unwrap_or("");
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    // One builder serves every block, so its line buffer is reused.
    let mut lines = LineBuilder::new(source);
    for (event, range) in Parser::new_ext(body, Options::empty()).into_offset_iter() {
        let range = range.start + body_start..range.end + body_start;
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let mut words = info.split_whitespace();
                if words.next() != Some(FENCE_WORD) {
                    continue;
                }
                let opening = opening_line(source, range.clone());
                let word_at = |word: &str| source[opening.clone()].find(word).map_or(opening.clone(), |i| opening.start + i..opening.start + i + word.len());
                let mut file = None;
                let kind = match words.next() {
                    None => StepKind::Step,
                    Some("exercise") => StepKind::Exercise,
                    Some("file") => {
                        match words.next() {
                            Some(name) => file = Some((name.to_string(), word_at(name))),
                            None => diags.error_help(opening.clone(), crate::t!("block-file-unnamed"), crate::t!("block-file-unnamed-help")),
                        }
                        StepKind::Step
                    }
                    Some(other) => {
                        diags.error_help(word_at(other), crate::t!("block-unknown-kind", kind = other), crate::t!("block-kinds-help"));
                        StepKind::Step
                    }
                };
                if let Some(extra) = words.next() {
                    diags.error(word_at(extra), crate::t!("block-extra-word", word = extra));
                }
                let terminated = is_terminated(source, range.clone());
                lines.open = None;
                lines.done.clear();
                current = Some(Block { kind, range, opening, lines: Vec::new(), terminated, file });
            }
            Event::Text(text) if current.is_some() => {
                if source.get(range.clone()) == Some(&*text) {
                    lines.push_exact(range);
                } else {
                    lines.push_rewritten(&text, range.start);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(mut block) = current.take() {
                    block.lines = lines.finish();
                    blocks.push(block);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// Joins the text chunks of a code block into lines with source offsets.
#[derive(Debug)]
struct LineBuilder<'a> {
    source: &'a str,
    done: Vec<(usize, Cow<'a, str>)>,
    /// A line not yet ended by `\n`.
    open: Option<(usize, Cow<'a, str>)>,
}

impl<'a> LineBuilder<'a> {
    fn new(source: &'a str) -> Self {
        LineBuilder { source, done: Vec::new(), open: None }
    }

    /// Adds the chunk `source[range]`, verbatim source text: its lines are
    /// borrowed and their offsets exact.
    fn push_exact(&mut self, range: Range<usize>) {
        let source = self.source;
        let mut offset = range.start;
        while offset < range.end {
            // The next line, with its `\n` if it has one.
            let (len, piece_len) = match memchr::memchr(b'\n', &source.as_bytes()[offset..range.end]) {
                Some(i) => (i, i + 1),
                None => (range.end - offset, range.end - offset),
            };
            let piece = &source[offset..offset + piece_len];
            let line = match self.open.take() {
                // Continues a borrowed line right before it in the source.
                Some((start, Cow::Borrowed(prev))) if start + prev.len() == offset => (start, Cow::Borrowed(&source[start..offset + len])),
                Some((start, prev)) => (start, Cow::Owned(prev.into_owned() + &piece[..len])),
                None => (offset, Cow::Borrowed(&source[offset..offset + len])),
            };
            self.end_or_keep(line, len < piece.len());
            offset += piece.len();
        }
    }

    /// Adds a chunk that pulldown-cmark rewrote (e.g. in a container): its lines
    /// are copied and placed at `at`.
    fn push_rewritten(&mut self, text: &str, at: usize) {
        for piece in text.split_inclusive('\n') {
            let content = piece.strip_suffix('\n');
            let text = content.unwrap_or(piece);
            let line = match self.open.take() {
                Some((start, prev)) => (start, Cow::Owned(prev.into_owned() + text)),
                None => (at, Cow::Owned(text.to_string())),
            };
            self.end_or_keep(line, content.is_some());
        }
    }

    fn end_or_keep(&mut self, line: (usize, Cow<'a, str>), ended: bool) {
        if ended {
            self.end(line);
        } else {
            self.open = Some(line);
        }
    }

    /// Stores a complete line, without a final `\r`.
    fn end(&mut self, (start, line): (usize, Cow<'a, str>)) {
        let line = match line {
            Cow::Borrowed(l) => Cow::Borrowed(l.strip_suffix('\r').unwrap_or(l)),
            Cow::Owned(mut l) => {
                if l.ends_with('\r') {
                    l.pop();
                }
                Cow::Owned(l)
            }
        };
        self.done.push((start, line));
    }

    /// The lines of the block, leaving the builder empty for the next one.
    fn finish(&mut self) -> Vec<(usize, Cow<'a, str>)> {
        if let Some(line) = self.open.take() {
            self.end(line);
        }
        // An exact-size copy: one allocation per block, none for growing.
        self.done.drain(..).collect()
    }
}

/// The first line of `range`, without its line ending.
fn opening_line(source: &str, range: Range<usize>) -> Range<usize> {
    let text = source.get(range.clone()).unwrap_or("");
    let len = text.find('\n').unwrap_or(text.len());
    let len = text[..len].strip_suffix('\r').map_or(len, str::len);
    range.start..range.start + len
}

/// The fence character and length of a fence line (container markers `>` and
/// indentation skipped).
fn fence(line: &str) -> Option<(u8, usize, &str)> {
    let line = line.trim_start_matches(['>', ' ', '\t']);
    let c = *line.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = line.bytes().take_while(|b| *b == c).count();
    (n >= 3).then(|| (c, n, &line[n..]))
}

/// True when the block in `range` ends with a closing fence matching its opening.
fn is_terminated(source: &str, range: Range<usize>) -> bool {
    let text = source.get(range).unwrap_or("");
    let text = text.trim_end_matches(['\n', '\r']);
    let Some((first, _)) = text.split_once('\n') else {
        return false;
    };
    let last = text.rsplit('\n').next().unwrap_or("");
    match (fence(first), fence(last.trim_end_matches('\r'))) {
        (Some((c, n, _)), Some((c2, n2, rest))) => c == c2 && n2 >= n && rest.trim().is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(src: &str) -> Vec<Block<'_>> {
        let mut d = Diagnostics::default();
        let b = find(src, 0, &mut d);
        assert!(d.is_empty());
        b
    }

    fn texts(b: &Block, src: &str) -> Vec<String> {
        // Every exact line offset points at its text in the source.
        for (at, line) in &b.lines {
            assert!(src[*at..].starts_with(&**line), "{at} {line:?}");
        }
        b.lines.iter().map(|(_, l)| l.to_string()).collect()
    }

    #[test]
    fn finds_only_nslab_fences() {
        let src = "text\n```sh\nstart x: net\n```\n\n```nslab\nstart box: uts\nexpect: box uts changed\n```\n~~~nslab exercise\ngoal: g\n~~~\n";
        let b = blocks(src);
        assert_eq!(b.len(), 2);
        assert_eq!(texts(&b[0], src), ["start box: uts", "expect: box uts changed"]);
        assert!(b[0].terminated && b[1].terminated);
        assert_eq!(b[1].kind, StepKind::Exercise);
        assert_eq!(&src[b[0].opening.clone()], "```nslab");
    }

    #[test]
    fn a_fence_inside_a_longer_fence_is_an_example() {
        let src = "````markdown\n```nslab\nstart box: uts\n```\n````\n";
        assert!(blocks(src).is_empty());
    }

    #[test]
    fn unterminated_fences() {
        for src in
            ["```nslab\nstart box: uts\n", "```nslab", "````nslab\nrun: x\n```\n", "```nslab\nrun: x\n``` not a close\n", "> ```nslab\n> run: x\n\nafter\n"]
        {
            let b = blocks(src);
            assert_eq!(b.len(), 1, "{src:?}");
            assert!(!b[0].terminated, "{src:?}");
        }
        for src in ["```nslab\n```", "```nslab\nrun: x\n`````  \n", "> ```nslab\n> run: x\n> ```\n", "  ```nslab\n  run: x\n  ```\n"] {
            let b = blocks(src);
            assert!(b[0].terminated, "{src:?}");
        }
    }

    #[test]
    fn containers_keep_offsets() {
        let src = "- item\n\n  ```nslab\n  run: x\n  expect: status 0\n  ```\n\n> ```nslab\n> run: y\n> ```\n";
        let b = blocks(src);
        assert_eq!(texts(&b[0], src), ["run: x", "expect: status 0"]);
        assert_eq!(texts(&b[1], src), ["run: y"]);
    }

    #[test]
    fn crlf_lines() {
        let src = "```nslab\r\nrun: x\r\n```\r\n";
        let b = blocks(src);
        assert_eq!(texts(&b[0], src), ["run: x"]);
        assert!(b[0].terminated);
    }

    #[test]
    fn unknown_block_kind() {
        let mut d = Diagnostics::default();
        let b = find("```nslab demo\nrun: x\n```\n", 0, &mut d);
        assert_eq!(b.len(), 1);
        assert!(!d.is_empty());
    }
}
