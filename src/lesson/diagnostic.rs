//! Problems found in a lesson, and their rustc-like rendering:
//! `file:line:col: error: message`, then the source line with a caret
//! underneath and the help, drawn by `annotate-snippets`.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::renderer::{AnsiColor, Effects};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet as Source};
use console::Style;
use serde::Serialize;

use super::span::{LineIndex, ceil_boundary, floor_boundary};

/// At most this many diagnostics are kept per file; the rest are counted.
pub const MAX_DIAGNOSTICS: usize = 200;

/// Source lines longer than this (in bytes) are shown as a window around the caret.
const MAX_SHOWN_LINE: usize = 160;

/// One problem in a lesson file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The lesson file.
    pub path: PathBuf,
    /// What is wrong, one line.
    pub message: String,
    /// Where, if the problem has a place in the file.
    pub location: Option<Location>,
    /// The offending source line with the part to underline.
    pub snippet: Option<Snippet>,
    /// A suggestion, shown as `= help: …`.
    pub help: Option<String>,
    /// A warning: worth fixing, but the lesson still runs.
    pub warning: bool,
}

/// A place in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// Byte offset.
    pub offset: usize,
}

/// The source line a diagnostic points into, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// 1-based line number.
    pub line: usize,
    /// The line's text (a window of it, with `…` at cut ends, when it is long).
    pub text: String,
    /// 0-based character column in `text` where the underline starts.
    pub caret_col: usize,
    /// Length of the underline in characters, at least 1.
    pub caret_len: usize,
}

impl Diagnostic {
    /// A diagnostic about the file as a whole, with no position.
    pub fn whole_file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic { path: path.to_path_buf(), message: message.into(), location: None, snippet: None, help: None, warning: false }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// A problem before it is placed: a byte range and the words.
#[derive(Debug)]
pub(crate) struct RawDiagnostic {
    /// `None` for a problem with the file as a whole.
    range: Option<Range<usize>>,
    message: String,
    help: Option<String>,
    warning: bool,
}

/// Collects problems while a lesson is parsed and checked, in any order, and
/// turns them into positioned [`Diagnostic`]s sorted by place in the file.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    raw: Vec<RawDiagnostic>,
    dropped: usize,
}

impl Diagnostics {
    /// Records a problem at `range`.
    pub(crate) fn error(&mut self, range: Range<usize>, message: impl Into<String>) {
        self.push(range, message.into(), None);
    }

    /// Records a problem at `range` with a help line.
    pub(crate) fn error_help(&mut self, range: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.push(range, message.into(), Some(help.into()));
    }

    /// Records a warning at `range`, with a help line.
    pub(crate) fn warn(&mut self, range: Range<usize>, message: impl Into<String>, help: impl Into<String>) {
        self.push_raw(Some(range), message.into(), Some(help.into()));
        if let Some(last) = self.raw.last_mut() {
            last.warning = true;
        }
    }

    /// Records a problem with the file as a whole.
    pub(crate) fn whole_file(&mut self, message: impl Into<String>, help: impl Into<String>) {
        self.push_raw(None, message.into(), Some(help.into()));
    }

    fn push(&mut self, range: Range<usize>, message: String, help: Option<String>) {
        self.push_raw(Some(range), message, help);
    }

    fn push_raw(&mut self, range: Option<Range<usize>>, message: String, help: Option<String>) {
        if self.raw.len() >= MAX_DIAGNOSTICS {
            self.dropped += 1;
        } else {
            self.raw.push(RawDiagnostic { range, message, help, warning: false });
        }
    }

    /// True when nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Positions every problem in `index`'s source, sorted by offset.
    pub(crate) fn finish(mut self, path: &Path, index: &LineIndex<'_>) -> Vec<Diagnostic> {
        self.raw.sort_by_key(|d| d.range.as_ref().map(|r| r.start));
        let mut out: Vec<Diagnostic> = self.raw.into_iter().map(|d| place(path, index, d)).collect();
        if self.dropped > 0 {
            out.push(Diagnostic::whole_file(path, format!("{} more errors not shown", self.dropped)));
        }
        out
    }
}

/// Builds the positioned diagnostic for `raw`.
fn place(path: &Path, index: &LineIndex<'_>, raw: RawDiagnostic) -> Diagnostic {
    let Some(range) = raw.range else {
        return Diagnostic { help: raw.help, warning: raw.warning, ..Diagnostic::whole_file(path, raw.message) };
    };
    let source = index.source();
    let start = floor_boundary(source, range.start.min(source.len()));
    let (line, col) = index.line_col(start);
    let line_range = index.line_range(line);
    let end = floor_boundary(source, range.end.clamp(start, line_range.end.max(start)));

    // Window the line around the caret when it is long.
    let mut shown = line_range.clone();
    let (mut prefix, mut suffix) = ("", "");
    if shown.len() > MAX_SHOWN_LINE {
        let from = floor_boundary(source, start.saturating_sub(MAX_SHOWN_LINE / 3).max(line_range.start));
        let to = ceil_boundary(source, (from + MAX_SHOWN_LINE).min(line_range.end));
        if from > line_range.start {
            prefix = "…";
        }
        if to < line_range.end {
            suffix = "…";
        }
        shown = from..to;
    }
    let text = &source[shown.clone()];
    let caret_from = start.clamp(shown.start, shown.end);
    let caret_to = end.clamp(caret_from, shown.end);
    let caret_col = prefix.chars().count() + source[shown.start..caret_from].chars().count();
    let caret_len = source[caret_from..caret_to].chars().count().max(1);
    Diagnostic {
        path: path.to_path_buf(),
        message: raw.message,
        location: Some(Location { line, col, offset: start }),
        snippet: Some(Snippet { line, text: format!("{prefix}{text}{suffix}"), caret_col, caret_len }),
        help: raw.help,
        warning: raw.warning,
    }
}

/// Replaces control characters (which could drive the terminal) with `�`, and
/// tabs with a space: for the lines written here (the first line and the
/// help), not for the source line, which annotate-snippets shows itself.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Renders diagnostics like rustc, one blank line between them. With `colored`,
/// ANSI colours are forced on; without, the text is plain.
///
/// The first line of each is ours, `file:line:col: error: message`, the form
/// editors and CI logs pick places from; the source line, its underline and
/// the help below it are drawn by `annotate-snippets` (which measures by
/// display width, expands tabs and shows control characters as symbols).
pub fn render(diagnostics: &[Diagnostic], colored: bool) -> String {
    let paint = |style: Style| style.force_styling(colored);
    let error = paint(Style::new().red().bold());
    let warning = paint(Style::new().yellow().bold());
    let bold = paint(Style::new().bold());
    let renderer = snippet_renderer(colored);
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let place = match d.location {
            Some(l) => format!("{}:{}:{}", d.path.display(), l.line, l.col),
            None => d.path.display().to_string(),
        };
        let (severity, what) = if d.warning { (&warning, "warning:") } else { (&error, "error:") };
        let _ = writeln!(out, "{}: {} {}", bold.apply_to(printable(&place)), severity.apply_to(what), bold.apply_to(printable(&d.message)));
        let level = if d.warning { Level::WARNING } else { Level::ERROR };
        let mut group = Group::with_level(level);
        if let Some(s) = &d.snippet {
            // The caret's place in characters of `text`, as annotate-snippets
            // wants it: a byte range (past the end of the trimmed line, where
            // a missing word is reported, it points just after the text).
            let text = s.text.trim_end();
            let byte = |col: usize| text.char_indices().nth(col).map_or(text.len(), |(b, _)| b);
            let span = byte(s.caret_col)..byte(s.caret_col + s.caret_len);
            group = group.element(Source::source(text).line_start(s.line).annotation(AnnotationKind::Primary.span(span)));
        }
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(printable(help)));
        }
        if !group.is_empty() {
            let _ = writeln!(out, "{}", renderer.render(&[group]));
        }
    }
    out
}

/// The renderer for the part under a diagnostic's first line, in the colours
/// that line uses. Its width is wide enough that it never cuts a line again:
/// [`place`] already shows a long one as a window around the caret.
fn snippet_renderer(colored: bool) -> Renderer {
    let bold = |c: AnsiColor| c.on_default().effects(Effects::BOLD);
    let renderer = if colored {
        Renderer::styled().error(bold(AnsiColor::Red)).warning(bold(AnsiColor::Yellow)).line_num(bold(AnsiColor::Blue)).help(bold(AnsiColor::Blue))
    } else {
        Renderer::plain()
    };
    renderer.term_width(4 * MAX_SHOWN_LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnose(src: &str, range: Range<usize>, msg: &str) -> Vec<Diagnostic> {
        let mut d = Diagnostics::default();
        d.error_help(range, msg, "try again");
        d.finish(Path::new("x.md"), &LineIndex::new(src))
    }

    #[test]
    fn renders_like_rustc() {
        let src = "one\nstart box: netw\n";
        let d = diagnose(src, 15..19, "unknown namespace kind 'netw'");
        assert_eq!(
            render(&d, false),
            "x.md:2:12: error: unknown namespace kind 'netw'\n  |\n2 | start box: netw\n  |            ^^^^\n  |\n  = help: try again\n"
        );
        assert!(render(&d, true).contains("\u{1b}["));
    }

    #[test]
    fn carets_are_placed_by_display_width() {
        // Two wide characters take four columns, a tab is expanded: the caret
        // still sits under `netw`.
        for line in ["start 中文: netw", "start\tbox: netw"] {
            let src = format!("{line}\n");
            let at = src.find("netw").unwrap();
            let out = render(&diagnose(&src, at..at + 4, "bad"), false);
            let lines: Vec<&str> = out.lines().collect();
            let (shown, caret) = (lines[2], lines[3]);
            let col = |s: &str, what: &str| console::measure_text_width(&s[..s.find(what).unwrap()]);
            assert_eq!(col(caret, "^^^^"), col(shown, "netw"), "{out}");
        }
    }

    #[test]
    fn long_lines_are_windowed() {
        let src = format!("{}BAD{}", "a".repeat(5000), "b".repeat(5000));
        let d = diagnose(&src, 5000..5003, "bad");
        let s = d[0].snippet.as_ref().unwrap();
        assert!(s.text.chars().count() < MAX_SHOWN_LINE + 3);
        let under: String = s.text.chars().skip(s.caret_col).take(s.caret_len).collect();
        assert_eq!(under, "BAD");
        assert_eq!(d[0].location.unwrap().col, 5001);
    }

    #[test]
    fn control_characters_are_not_printed() {
        let d = diagnose("\u{1b}[31mred\n", 0..1, "x\u{7}");
        let out = render(&d, false);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'));
    }

    #[test]
    fn too_many_are_counted() {
        let mut d = Diagnostics::default();
        for i in 0..MAX_DIAGNOSTICS + 5 {
            d.error(i..i + 1, "x");
        }
        let out = d.finish(Path::new("x.md"), &LineIndex::new(&"x".repeat(300)));
        assert_eq!(out.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(out.last().unwrap().message, "5 more errors not shown");
    }
}
