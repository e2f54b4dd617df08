//! Source positions: byte ranges with the line and column they start at.

use std::cell::Cell;
use std::ops::Range;

use serde::Serialize;

/// A piece of a lesson's source: a byte range, and the 1-based line and column
/// (counted in characters) where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in characters.
    pub col: usize,
}

impl Span {
    /// The byte range of this span.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// True when the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// A value together with the part of the source it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    /// The parsed value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs `value` with `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// Turns byte offsets into lines and columns.
///
/// Line starts are computed once (O(n)); a lookup is a binary search plus a
/// character count from the start of the line. Lookups that move forward on the
/// same line continue counting from the previous one, so walking a single huge
/// line in order stays linear overall.
#[derive(Debug)]
pub struct LineIndex<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
    /// The last lookup: (line index, byte offset, 0-based column).
    last: Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `source`.
    pub fn new(source: &'a str) -> Self {
        let mut line_starts = Vec::with_capacity(source.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        LineIndex { source, line_starts, last: Cell::new((0, 0, 0)) }
    }

    /// The source this index was built from.
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// The 0-based line index holding byte `offset`. Lookups mostly move
    /// forward a little, so the search gallops forward from line `hint` when
    /// `offset` is at or after it, and is a binary search otherwise.
    fn line_of(&self, offset: usize, hint: usize) -> usize {
        let starts = &self.line_starts;
        if hint >= starts.len() || starts[hint] > offset {
            return starts.partition_point(|s| *s <= offset) - 1;
        }
        // starts[lo] <= offset; the line is in lo..hi.
        let (mut lo, mut hi, mut step) = (hint, hint + 1, 1);
        while hi < starts.len() && starts[hi] <= offset {
            lo = hi;
            step *= 2;
            hi = lo + step;
        }
        let hi = hi.min(starts.len());
        lo + starts[lo + 1..hi].partition_point(|s| *s <= offset)
    }

    /// The 1-based line and character column of byte `offset` (clamped to the
    /// source, and moved back to a character boundary).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_boundary(self.source, offset.min(self.source.len()));
        let (last_line, last_offset, last_col) = self.last.get();
        let line = self.line_of(offset, last_line);
        let line_start = self.line_starts[line];
        let col = if last_line == line && last_offset <= offset && last_offset >= line_start {
            last_col + self.source[last_offset..offset].chars().count()
        } else {
            self.source[line_start..offset].chars().count()
        };
        self.last.set((line, offset, col));
        (line + 1, col + 1)
    }

    /// A span for the byte range `range`.
    pub fn span(&self, range: Range<usize>) -> Span {
        let (line, col) = self.line_col(range.start);
        Span { start: range.start, end: range.end.max(range.start), line, col }
    }

    /// The byte range of 1-based line `line`, without its line ending.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let i = line.saturating_sub(1).min(self.line_starts.len() - 1);
        let start = self.line_starts[i];
        let mut end = self.line_starts.get(i + 1).map_or(self.source.len(), |next| next - 1);
        if end > start && self.source.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }
}

/// The greatest character boundary of `s` at or before `i`.
pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The least character boundary of `s` at or after `i`.
pub(crate) fn ceil_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "ab\ncdé f\n\nx";
        let idx = LineIndex::new(src);
        let cases = [
            (0, (1, 1)),
            (1, (1, 2)),
            (2, (1, 3)),
            (3, (2, 1)),
            (7, (2, 4)), // after the two-byte é
            (9, (2, 6)),
            (10, (3, 1)),
            (11, (4, 1)),
            (12, (4, 2)),
            (99, (4, 2)),
        ];
        for (offset, want) in cases {
            assert_eq!(idx.line_col(offset), want, "offset {offset}");
        }
        // Backwards after forwards still works.
        assert_eq!(idx.line_col(4), (2, 2));
    }

    #[test]
    fn offsets_inside_a_character_move_back() {
        let idx = LineIndex::new("é");
        assert_eq!(idx.line_col(1), (1, 1));
    }

    #[test]
    fn line_ranges_drop_line_endings() {
        let src = "one\r\ntwo\nthree";
        let idx = LineIndex::new(src);
        assert_eq!(&src[idx.line_range(1)], "one");
        assert_eq!(&src[idx.line_range(2)], "two");
        assert_eq!(&src[idx.line_range(3)], "three");
    }
}
