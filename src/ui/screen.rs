//! The screen as a pager: text is written line by line, counting the rows
//! it takes since the learner last pressed a key; when a screenful is
//! reached, it waits for Space or Enter, so nothing scrolls away unread. A
//! block that must be seen whole (the step card above its prompt) starts a
//! fresh screen when it would not fit below what is there.

use std::io::Write;

use console::{Style, measure_text_width};

use super::keys::Key;

/// The terminal went away, or a signal arrived, while waiting for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone(pub Key);

/// Where text goes, and where keys come from.
pub struct Screen<'a> {
    out: Box<dyn Write + 'a>,
    keys: Box<dyn FnMut() -> Key + 'a>,
    size: Box<dyn Fn() -> (usize, usize) + 'a>,
    color: bool,
    /// Rows written since the last key press.
    since: usize,
}

impl<'a> Screen<'a> {
    /// A screen writing to `out`, reading keys with `keys`, `size` giving
    /// (columns, rows) at each moment (the terminal may be resized).
    pub fn new(out: impl Write + 'a, keys: impl FnMut() -> Key + 'a, size: impl Fn() -> (usize, usize) + 'a, color: bool) -> Screen<'a> {
        Screen { out: Box::new(out), keys: Box::new(keys), size: Box::new(size), color, since: 0 }
    }

    /// Columns.
    pub fn width(&self) -> usize {
        (self.size)().0
    }

    /// Rows for text: the last row is kept for a prompt.
    pub fn room(&self) -> usize {
        (self.size)().1.saturating_sub(1).max(1)
    }

    /// Whether the screen is coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    /// The rows `line` takes on the terminal.
    fn rows(&self, line: &str) -> usize {
        measure_text_width(line).div_ceil(self.width().max(1)).max(1)
    }

    /// Writes `text`, pausing whenever a screenful has gone by.
    pub fn print(&mut self, text: &str) -> Result<(), Gone> {
        for line in text.lines() {
            let rows = self.rows(line);
            if self.since + rows > self.room() && self.since > 0 {
                self.more()?;
            }
            let _ = writeln!(self.out, "{line}");
            self.since += rows;
        }
        let _ = self.out.flush();
        Ok(())
    }

    /// Writes `block` so that all of it is on screen at once: when it does
    /// not fit below what came since the last key, the learner is asked for
    /// more first.
    pub fn print_whole(&mut self, block: &str) -> Result<(), Gone> {
        let rows: usize = block.lines().map(|l| self.rows(l)).sum();
        if self.since > 0 && self.since + rows > self.room() {
            self.more()?;
        }
        self.print(block)
    }

    /// Waits for a key after a screenful.
    fn more(&mut self) -> Result<(), Gone> {
        let note = Style::new().dim().reverse().force_styling(self.color).apply_to(format!(" {} ", crate::t!("pager-more")));
        let _ = write!(self.out, "{note}");
        let _ = self.out.flush();
        loop {
            match (self.keys)() {
                k @ (Key::HangUp | Key::Interrupted) => {
                    let _ = writeln!(self.out);
                    return Err(Gone(k));
                }
                Key::Other => continue,
                _ => break,
            }
        }
        // The note goes; the text goes on where it was.
        let _ = write!(self.out, "\r\x1b[2K");
        self.since = 0;
        Ok(())
    }

    /// Shows `reminder` on the prompt row and waits for a key.
    pub fn ask(&mut self, reminder: &str) -> Key {
        let text = Style::new().bold().force_styling(self.color).apply_to(reminder);
        let _ = write!(self.out, "{text} ");
        let _ = self.out.flush();
        let key = (self.keys)();
        let _ = writeln!(self.out);
        self.since = 0;
        key
    }

    /// Writes raw text (a question being typed into, a spinner) without
    /// counting it.
    pub fn raw(&mut self, text: &str) {
        let _ = write!(self.out, "{text}");
        let _ = self.out.flush();
    }

    /// Reads a key (for a line being typed); the screen starts afresh.
    pub fn key(&mut self) -> Key {
        self.since = 0;
        (self.keys)()
    }

    /// Counts text that was written to the terminal some other way (the
    /// learner's shell in an exercise): the screen starts afresh.
    pub fn reset(&mut self) {
        self.since = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn screen<'a>(out: &'a RefCell<Vec<u8>>, keys: &'a RefCell<Vec<Key>>, rows: usize) -> Screen<'a> {
        struct Sink<'a>(&'a RefCell<Vec<u8>>);
        impl Write for Sink<'_> {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.borrow_mut().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        Screen::new(Sink(out), move || keys.borrow_mut().remove(0), move || (20, rows), false)
    }

    #[test]
    fn long_text_pauses_every_screenful() {
        let out = RefCell::new(Vec::new());
        let keys = RefCell::new(vec![Key::Space, Key::Enter]);
        let mut s = screen(&out, &keys, 5);
        let text: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        s.print(&text).unwrap();
        let shown = String::from_utf8(out.borrow().clone()).unwrap();
        // Four rows, a pause, four more, a pause, the last two.
        assert_eq!(shown.matches(" more: Space or Enter ").count(), 2, "{shown}");
        let first = shown.find(" more").unwrap();
        assert_eq!(shown[..first].lines().count(), 4);
        assert!(keys.borrow().is_empty());
    }

    #[test]
    fn a_block_is_kept_whole_and_a_dead_terminal_stops_the_pager() {
        let out = RefCell::new(Vec::new());
        let keys = RefCell::new(vec![Key::Enter, Key::HangUp]);
        let mut s = screen(&out, &keys, 6);
        s.print("a\nb\nc\n").unwrap();
        // Four rows do not fit under three: a pause comes first.
        s.print_whole("1\n2\n3\n4\n").unwrap();
        let shown = String::from_utf8(out.borrow().clone()).unwrap();
        assert!(shown.starts_with("a\nb\nc\n more"), "{shown:?}");
        assert!(shown.ends_with("1\n2\n3\n4\n"), "{shown:?}");
        // A wide line takes two rows of a 20-column terminal.
        assert_eq!(s.print(&"x".repeat(30)), Err(Gone(Key::HangUp)));
    }
}
