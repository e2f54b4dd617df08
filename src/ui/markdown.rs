//! Lesson prose for a terminal: Markdown rendered at the terminal's width —
//! headings, paragraphs wrapped at word boundaries, lists, block quotes,
//! inline and block code, links with their URL, and tables with aligned,
//! wrapping columns (or a stacked form when the terminal is too narrow).
//!
//! Everything is measured in display columns, so wide characters (Chinese,
//! Japanese, emoji) align. Styles are ANSI colours from `console`; without
//! colour the text stays readable: headings are underlined with a rule and
//! inline code keeps its backticks.

use console::{Style, measure_text_width};
use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The narrowest width rendering aims at; a terminal narrower than this gets
/// lines this wide (its own wrapping then takes over).
pub const MIN_WIDTH: usize = 20;

/// Renders `markdown` for a terminal `width` columns wide, with ANSI styles
/// when `color`. Every line of the result ends with `\n` and is at most
/// `width` columns wide, except a single word longer than the line.
pub fn render(markdown: &str, width: usize, color: bool) -> String {
    let events: Vec<Event> = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS).collect();
    let mut r = Renderer::new(width.max(MIN_WIDTH), color);
    r.run(&events);
    let mut text = r.lines.join("\n");
    let trimmed = text.trim_end_matches('\n').len();
    text.truncate(trimmed);
    while text.starts_with('\n') {
        text.remove(0);
    }
    if text.is_empty() { text } else { text + "\n" }
}

/// A container that prefixes the lines inside it: a block quote's bar, or a
/// list item's bullet (on its first line) and hanging indent (on the rest).
#[derive(Debug, Clone)]
struct Prefix {
    first: String,
    rest: String,
    used: bool,
}

/// One table being collected: alignments, the header row, the body rows.
#[derive(Debug, Default)]
struct TableData {
    align: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    header_rows: usize,
    row: Vec<String>,
}

struct Renderer {
    width: usize,
    color: bool,
    lines: Vec<String>,
    prefixes: Vec<Prefix>,
    /// The inline text of the current block, styled.
    inline: String,
    /// Numbering of the open lists: `Some(next)` for ordered ones.
    lists: Vec<Option<u64>>,
    /// Whether each open list is tight (no blank line between items).
    tight: Vec<bool>,
    need_blank: bool,
    strong: usize,
    emphasis: usize,
    strike: usize,
    heading: Option<HeadingLevel>,
    links: Vec<String>,
    code_block: Option<String>,
    table: Option<TableData>,
}

impl Renderer {
    fn new(width: usize, color: bool) -> Self {
        Renderer {
            width,
            color,
            lines: Vec::new(),
            prefixes: Vec::new(),
            inline: String::new(),
            lists: Vec::new(),
            tight: Vec::new(),
            need_blank: false,
            strong: 0,
            emphasis: 0,
            strike: 0,
            heading: None,
            links: Vec::new(),
            code_block: None,
            table: None,
        }
    }

    fn style(&self, s: Style) -> Style {
        s.force_styling(self.color)
    }

    /// The style of plain text at this point: bold, italic, struck through…
    fn text_style(&self) -> Style {
        let mut s = Style::new();
        if self.strong > 0 || self.heading.is_some() {
            s = s.bold();
        }
        if self.emphasis > 0 {
            s = s.italic();
        }
        if self.strike > 0 {
            s = s.strikethrough();
        }
        if !self.links.is_empty() {
            s = s.underlined();
        }
        if self.heading == Some(HeadingLevel::H1) {
            s = s.underlined();
        }
        self.style(s)
    }

    fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let styled = self.text_style().apply_to(text).to_string();
        self.inline.push_str(&styled);
    }

    fn push_code(&mut self, code: &str) {
        let shown = if self.color { code.to_string() } else { format!("`{code}`") };
        let styled = self.style(Style::new().cyan()).apply_to(shown).to_string();
        self.inline.push_str(&styled);
    }

    /// The prefixes for the next line: the first line of a list item gets its
    /// bullet once, every other line the hanging indent.
    fn take_prefix(&mut self) -> (String, String) {
        let mut first = String::new();
        let mut rest = String::new();
        for p in &mut self.prefixes {
            if p.used {
                first.push_str(&p.rest);
            } else {
                first.push_str(&p.first);
                p.used = true;
            }
            rest.push_str(&p.rest);
        }
        (first, rest)
    }

    /// The prefix of a blank line between blocks (a quote keeps its bar).
    fn blank_prefix(&self) -> String {
        let s: String = self.prefixes.iter().map(|p| p.rest.as_str()).collect();
        s.trim_end().to_string()
    }

    fn available(&self) -> usize {
        let used: usize = self.prefixes.iter().map(|p| measure_text_width(&p.rest)).sum();
        self.width.saturating_sub(used).max(MIN_WIDTH / 2)
    }

    fn start_block(&mut self) {
        if self.need_blank && !self.lines.is_empty() {
            let blank = self.blank_prefix();
            self.lines.push(blank);
        }
        self.need_blank = false;
    }

    fn end_block(&mut self) {
        self.need_blank = true;
    }

    /// Writes the pending inline text as a wrapped paragraph.
    fn flush_paragraph(&mut self) {
        let text = std::mem::take(&mut self.inline);
        if text.trim().is_empty() {
            return;
        }
        self.start_block();
        let width = self.available();
        let (first, rest) = self.take_prefix();
        for (i, line) in wrap_styled(text.trim(), width).into_iter().enumerate() {
            let prefix = if i == 0 { &first } else { &rest };
            self.lines.push(format!("{prefix}{line}").trim_end().to_string());
        }
        self.end_block();
    }

    fn run(&mut self, events: &[Event]) {
        for (i, event) in events.iter().enumerate() {
            self.event(event, events.get(i + 1));
        }
        self.flush_paragraph();
    }

    fn event(&mut self, event: &Event, next: Option<&Event>) {
        if let Some(code) = &mut self.code_block {
            match event {
                Event::Text(t) => code.push_str(t),
                Event::End(TagEnd::CodeBlock) => {
                    let code = self.code_block.take().unwrap_or_default();
                    self.code(&code);
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, next),
            Event::End(tag) => self.end(*tag),
            Event::Text(t) => self.push_text(t),
            Event::Code(c) => self.push_code(c),
            Event::InlineMath(m) | Event::DisplayMath(m) => self.push_code(m),
            // HTML is for the book (`<details>`, `<summary>`): its text is
            // shown, its tags are not.
            Event::Html(h) | Event::InlineHtml(h) => {
                let text = strip_tags(h);
                if !text.trim().is_empty() {
                    self.push_text(text.trim_end_matches('\n'));
                }
            }
            // A line break in the source is a space between words, but
            // nothing between two wide (CJK) characters: Chinese has no
            // spaces, and a wrapped Chinese paragraph would get one at each
            // break (CSS Text 3's segment break rule).
            Event::SoftBreak if !(ends_wide(&self.inline) && starts_wide(next)) => self.inline.push(' '),
            Event::SoftBreak => {}
            Event::HardBreak => self.inline.push('\n'),
            Event::Rule => {
                self.flush_paragraph();
                self.start_block();
                let rule = self.style(Style::new().dim()).apply_to("─".repeat(self.available())).to_string();
                let (first, _) = self.take_prefix();
                self.lines.push(format!("{first}{rule}"));
                self.end_block();
            }
            Event::TaskListMarker(done) => self.inline.push_str(if *done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(name) => self.push_text(&format!("[{name}]")),
        }
    }

    fn start(&mut self, tag: &Tag, next: Option<&Event>) {
        match tag {
            Tag::Paragraph => self.flush_paragraph(),
            Tag::Heading { level, .. } => {
                self.flush_paragraph();
                self.heading = Some(*level);
            }
            Tag::BlockQuote(_) => {
                self.flush_paragraph();
                self.start_block();
                let bar = self.style(Style::new().dim()).apply_to("│ ").to_string();
                self.prefixes.push(Prefix { first: bar.clone(), rest: bar, used: false });
            }
            Tag::CodeBlock(_) => {
                self.flush_paragraph();
                self.code_block = Some(String::new());
            }
            Tag::List(start) => {
                self.flush_paragraph();
                // A nested list follows its item's text without a blank line.
                if !self.lists.is_empty() {
                    self.need_blank = false;
                }
                self.lists.push(*start);
                self.tight.push(true);
            }
            Tag::Item => {
                self.flush_paragraph();
                let loose = matches!(next, Some(Event::Start(Tag::Paragraph)));
                if let Some(t) = self.tight.last_mut() {
                    *t = !loose;
                }
                let depth = self.lists.len();
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let b = format!("{n}. ");
                        *n += 1;
                        b
                    }
                    _ => (if depth % 2 == 1 { "• " } else { "◦ " }).to_string(),
                };
                let indent = " ".repeat(measure_text_width(&bullet));
                self.prefixes.push(Prefix { first: bullet, rest: indent, used: false });
            }
            Tag::Emphasis => self.emphasis += 1,
            Tag::Strong => self.strong += 1,
            Tag::Strikethrough => self.strike += 1,
            Tag::Link { dest_url, .. } => self.links.push(dest_url.to_string()),
            Tag::Image { dest_url, .. } => {
                self.push_text("[image: ");
                self.links.push(dest_url.to_string());
            }
            Tag::Table(align) => {
                self.flush_paragraph();
                self.table = Some(TableData { align: align.clone(), ..TableData::default() });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.row.clear();
                }
                if matches!(tag, Tag::TableHead) {
                    self.strong += 1;
                }
            }
            Tag::TableCell => self.inline.clear(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush_paragraph(),
            TagEnd::Heading(level) => {
                let text = std::mem::take(&mut self.inline);
                self.heading = None;
                self.heading_block(text.trim(), level);
            }
            TagEnd::BlockQuote(_) => {
                self.flush_paragraph();
                self.prefixes.pop();
                self.end_block();
            }
            TagEnd::List(_) => {
                self.flush_paragraph();
                self.lists.pop();
                self.tight.pop();
                self.end_block();
            }
            TagEnd::Item => {
                let tight = self.tight.last().copied().unwrap_or(true);
                self.flush_paragraph();
                self.prefixes.pop();
                // Items of a tight list follow each other without a blank line.
                self.need_blank = !tight;
            }
            TagEnd::Emphasis => self.emphasis = self.emphasis.saturating_sub(1),
            TagEnd::Strong => self.strong = self.strong.saturating_sub(1),
            TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
            TagEnd::Link | TagEnd::Image => {
                let url = self.links.pop().unwrap_or_default();
                let plain = console::strip_ansi_codes(&self.inline).to_string();
                let image = matches!(tag, TagEnd::Image);
                if image {
                    self.push_text("]");
                }
                // An autolink shows its URL as its text already.
                if !url.is_empty() && !plain.ends_with(url.as_str()) && !url.starts_with('#') {
                    let shown = self.style(Style::new().dim()).apply_to(format!(" ({url})")).to_string();
                    self.inline.push_str(&shown);
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(t) = &mut self.table {
                    t.row.push(cell.trim().to_string());
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(t) = &mut self.table {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                    if matches!(tag, TagEnd::TableHead) {
                        t.header_rows = t.rows.len();
                    }
                }
                if matches!(tag, TagEnd::TableHead) {
                    self.strong = self.strong.saturating_sub(1);
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.table_block(&t);
                }
            }
            _ => {}
        }
    }

    fn heading_block(&mut self, text: &str, level: HeadingLevel) {
        if text.is_empty() {
            return;
        }
        // A heading stands apart: a blank line before it even after a list.
        self.need_blank = true;
        self.start_block();
        let width = self.available();
        let (first, rest) = self.take_prefix();
        let lines = wrap_styled(text, width);
        let widest = lines.iter().map(|l| measure_text_width(l)).max().unwrap_or(0);
        for (i, line) in lines.into_iter().enumerate() {
            let prefix = if i == 0 { &first } else { &rest };
            self.lines.push(format!("{prefix}{line}"));
        }
        let rule = match level {
            HeadingLevel::H1 => Some("═"),
            HeadingLevel::H2 => Some("─"),
            _ => None,
        };
        if let Some(rule) = rule {
            let rule = self.style(Style::new().dim()).apply_to(rule.repeat(widest)).to_string();
            self.lines.push(format!("{rest}{rule}"));
        }
        self.end_block();
    }

    fn code(&mut self, code: &str) {
        self.start_block();
        let style = self.style(Style::new().cyan());
        let indent = "    ";
        let width = self.available().saturating_sub(indent.len()).max(MIN_WIDTH / 2);
        let (first, rest) = self.take_prefix();
        let mut n = 0;
        for source_line in code.trim_end_matches('\n').split('\n') {
            // Long lines break at spaces, continued two columns further in.
            let opts = wrap_options("", width).subsequent_indent("  ");
            let pieces = if source_line.is_empty() { vec![std::borrow::Cow::Borrowed("")] } else { textwrap::wrap(source_line, opts) };
            for piece in pieces {
                let prefix = if n == 0 { &first } else { &rest };
                n += 1;
                let line = if piece.is_empty() { String::new() } else { format!("{indent}{}", style.apply_to(&*piece)) };
                self.lines.push(format!("{prefix}{line}").trim_end().to_string());
            }
        }
        self.end_block();
    }

    fn table_block(&mut self, t: &TableData) {
        let columns = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        self.start_block();
        let avail = self.available();
        let (first, rest) = self.take_prefix();
        let lines = match column_widths(&t.rows, columns, avail) {
            Some(widths) => self.grid(t, &widths),
            None => self.stacked(t, avail),
        };
        for (i, line) in lines.into_iter().enumerate() {
            let prefix = if i == 0 { &first } else { &rest };
            self.lines.push(format!("{prefix}{line}").trim_end().to_string());
        }
        self.end_block();
    }

    /// The table as a grid: columns separated by `│`, the header underlined,
    /// cells wrapped within their column.
    fn grid(&self, t: &TableData, widths: &[usize]) -> Vec<String> {
        let sep = self.style(Style::new().dim()).apply_to(" │ ").to_string();
        let mut out = Vec::new();
        for (r, row) in t.rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = widths.iter().enumerate().map(|(c, &w)| wrap_styled(row.get(c).map_or("", String::as_str), w)).collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            for l in 0..height {
                let parts: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(c, lines)| {
                        let text = lines.get(l).map_or("", String::as_str);
                        pad(text, widths[c], t.align.get(c).copied().unwrap_or(Alignment::None))
                    })
                    .collect();
                out.push(parts.join(&sep).trim_end().to_string());
            }
            if r + 1 == t.header_rows {
                let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
                out.push(self.style(Style::new().dim()).apply_to(rule.join("─┼─")).to_string());
            }
        }
        out
    }

    /// The table for a narrow terminal: one block per row, the first cell as
    /// its title and every other cell under it as `header: value`.
    fn stacked(&self, t: &TableData, avail: usize) -> Vec<String> {
        let header: &[String] = if t.header_rows > 0 { &t.rows[0] } else { &[] };
        let mut out = Vec::new();
        for row in &t.rows[t.header_rows..] {
            if !out.is_empty() {
                out.push(String::new());
            }
            let mut cells = row.iter().enumerate();
            if let Some((_, title)) = cells.next() {
                let title = if self.color { title.clone() } else { console::strip_ansi_codes(title).to_string() };
                let title = self.style(Style::new().bold()).apply_to(title).to_string();
                match header.first() {
                    Some(h) if !h.is_empty() => out.extend(wrap_styled(&format!("{h}: {title}"), avail)),
                    _ => out.extend(wrap_styled(&title, avail)),
                }
            }
            for (c, cell) in cells {
                let label = header.get(c).filter(|h| !h.is_empty());
                let text = match label {
                    Some(h) => format!("{h}: {cell}"),
                    None => cell.clone(),
                };
                let opts = wrap_options(&text, avail).initial_indent("  ").subsequent_indent("    ");
                out.extend(textwrap::wrap(&text, opts).into_iter().map(|l| l.into_owned()));
            }
        }
        carry_styles(out)
    }
}

/// Widths for the table's columns within `avail` columns: each column's
/// natural width when all fit, else at least its longest word plus a share
/// of what is left; `None` when even the longest words do not fit.
fn column_widths(rows: &[Vec<String>], columns: usize, avail: usize) -> Option<Vec<usize>> {
    let seps = 3 * columns.saturating_sub(1);
    let mut natural = vec![0usize; columns];
    let mut least = vec![0usize; columns];
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            natural[c] = natural[c].max(measure_text_width(cell));
            let plain = console::strip_ansi_codes(cell);
            let longest = plain.split_whitespace().map(unicode_width::UnicodeWidthStr::width).max().unwrap_or(0);
            least[c] = least[c].max(longest);
        }
    }
    let sum = |v: &[usize]| v.iter().sum::<usize>() + seps;
    if sum(&natural) <= avail {
        return Some(natural);
    }
    if sum(&least) > avail {
        return None;
    }
    // Share out the spare columns in proportion to what each column lacks.
    let mut widths = least.clone();
    let spare = avail - sum(&least);
    let lacks: Vec<usize> = (0..columns).map(|c| natural[c] - least[c]).collect();
    let total: usize = lacks.iter().sum();
    for c in 0..columns {
        widths[c] += (spare * lacks[c]).checked_div(total).unwrap_or(0);
    }
    let mut left = avail - sum(&widths);
    while left > 0 {
        let Some(c) = (0..columns).filter(|&c| widths[c] < natural[c]).max_by_key(|&c| natural[c] - widths[c]) else { break };
        widths[c] += 1;
        left -= 1;
    }
    Some(widths)
}

/// Pads `text` (styled) to `width` display columns.
fn pad(text: &str, width: usize, align: Alignment) -> String {
    let gap = width.saturating_sub(measure_text_width(text));
    match align {
        Alignment::Right => format!("{}{text}", " ".repeat(gap)),
        Alignment::Center => format!("{}{text}{}", " ".repeat(gap / 2), " ".repeat(gap - gap / 2)),
        Alignment::Left | Alignment::None => format!("{text}{}", " ".repeat(gap)),
    }
}

/// Wraps styled text at word boundaries (Unicode line breaking: spaces, and
/// between CJK characters) to `width` display columns. Hard breaks (`\n`)
/// are kept. A style that spans a line break is closed at the end of the line
/// and opened again on the next, so each line stands on its own.
pub fn wrap_styled(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for part in text.split('\n') {
        let wrapped = textwrap::wrap(part, wrap_options(part, width));
        if wrapped.is_empty() {
            lines.push(String::new());
        }
        lines.extend(wrapped.into_iter().map(|l| l.into_owned()));
    }
    carry_styles(lines)
}

/// How to wrap `text`: at spaces only (a URL or `pid_for_children` stays
/// whole), and where Unicode allows a break when the text has wide
/// characters (Chinese and Japanese put no spaces between words).
pub fn wrap_options(text: &str, width: usize) -> textwrap::Options<'static> {
    let wide = text.chars().any(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > 1);
    let separator = if wide { textwrap::WordSeparator::UnicodeBreakProperties } else { textwrap::WordSeparator::AsciiSpace };
    textwrap::Options::new(width.max(1)).word_separator(separator).word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// Closes the ANSI styles open at the end of each line and reopens them at
/// the start of the next.
fn carry_styles(lines: Vec<String>) -> Vec<String> {
    let mut open = String::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let mut text = format!("{open}{line}");
        open.clear();
        // The SGR sequences still in force at the end of the line.
        let mut rest = text.as_str();
        let mut active = String::new();
        while let Some(start) = rest.find("\x1b[") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(|c: char| c.is_ascii_alphabetic()) else { break };
            let seq = &rest[start..start + 2 + end + 1];
            if seq.ends_with('m') {
                if seq == "\x1b[0m" || seq == "\x1b[m" {
                    active.clear();
                } else {
                    active.push_str(seq);
                }
            }
            rest = &after[end + 1..];
        }
        if !active.is_empty() {
            text.push_str("\x1b[0m");
            open = active;
        }
        out.push(text);
    }
    out
}

/// The text of an HTML fragment without its tags (`<summary>Why</summary>`
/// is `Why`); a `<` that opens no tag is kept.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) if rest[open + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') => rest = &rest[open + close + 1..],
            _ => {
                out.push('<');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_wide(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > 1
}

/// True when the visible text so far ends with a wide character (styles'
/// escape codes aside).
fn ends_wide(inline: &str) -> bool {
    console::strip_ansi_codes(inline).chars().next_back().is_some_and(is_wide)
}

/// True when the next event is text or code that starts with a wide character.
fn starts_wide(next: Option<&Event>) -> bool {
    match next {
        Some(Event::Text(t) | Event::Code(t)) => t.chars().next().is_some_and(is_wide),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn a_line_break_between_chinese_characters_is_no_space() {
        assert_eq!(plain("此后两者\n互不相干，\nand then\nwords", 80), "此后两者互不相干， and then words\n");
        // Between a wide character and a word, the break is still a space.
        assert_eq!(plain("命名空间\nnamespace", 80), "命名空间 namespace\n");
    }

    fn plain(md: &str, width: usize) -> String {
        render(md, width, false)
    }

    #[test]
    fn paragraphs_wrap_at_words() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let out = plain(text, 20);
        assert_eq!(out, "one two three four\nfive six seven eight\nnine ten eleven\ntwelve\n");
    }

    #[test]
    fn headings_are_ruled_without_colour() {
        assert_eq!(plain("# Title\n\n## Part two\n\ntext", 40), "Title\n═════\n\nPart two\n────────\n\ntext\n");
    }

    #[test]
    fn lists_hang_and_nest() {
        let md = "- first item that is long enough to wrap\n- second\n  - inner\n\n1. one\n2. two\n";
        let out = plain(md, 24);
        assert_eq!(out, "• first item that is\n  long enough to wrap\n• second\n  ◦ inner\n\n1. one\n2. two\n");
    }

    #[test]
    fn quotes_and_code() {
        let out = plain("> quoted words here\n\n```\nls -l\n```\n\nSee `lsns` and [the man page](https://man7.org/x).", 40);
        assert_eq!(out, "│ quoted words here\n\n    ls -l\n\nSee `lsns` and the man page\n(https://man7.org/x).\n");
    }

    #[test]
    fn table_columns_align_and_wrap() {
        let md = "| kind | isolates |\n|---|---|\n| `mnt` | the mount table: which file systems are mounted where |\n| `uts` | the host name |\n";
        let out = plain(md, 40);
        let expected = "kind  │ isolates\n──────┼─────────────────────────────────\n`mnt` │ the mount table: which file\n      │ systems are mounted where\n`uts` │ the host name\n";
        assert_eq!(out, expected);
        for line in out.lines() {
            assert!(line.width() <= 40, "{line:?}");
        }
    }

    #[test]
    fn narrow_table_stacks() {
        let md = "| kind | clone flag | since |\n|---|---|---:|\n| `cgroup` | `CLONE_NEWCGROUP` | 4.6 |\n";
        let out = plain(md, 22);
        assert_eq!(out, "kind: `cgroup`\n  clone flag:\n    `CLONE_NEWCGROUP`\n  since: 4.6\n");
    }

    #[test]
    fn wide_characters_align() {
        let md = "| 种类 | 隔离 |\n|---|---|\n| `uts` | 主机名和域名 |\n| `net` | 网络设备、地址、路由、端口和防火墙规则 |\n";
        let out = plain(md, 24);
        let bars: Vec<usize> = out.lines().filter(|l| l.contains('│')).map(|l| l[..l.find('│').unwrap()].width()).collect();
        assert!(bars.windows(2).all(|w| w[0] == w[1]), "{out}");
        for line in out.lines() {
            assert!(line.width() <= 24, "{line:?} in\n{out}");
        }
        // Chinese wraps between characters, not by cutting one in half.
        let para = plain("命名空间把一种全局资源包装起来，使其中的进程拥有它自己的实例。", 20);
        assert!(para.lines().count() > 1 && para.lines().all(|l| l.width() <= 20), "{para}");
    }

    #[test]
    fn styles_do_not_leak_across_lines() {
        let out = render("**bold words that wrap over the edge of the line**", 20, true);
        for line in out.lines() {
            assert!(line.starts_with("\x1b[1m"), "{line:?}");
            assert!(line.ends_with("\x1b[0m"), "{line:?}");
            assert!(measure_text_width(line) <= 20);
        }
    }
}
