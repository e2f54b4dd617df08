//! Keys: reading one key press from the terminal without a spin on a dead
//! one, and what each key means at each prompt.
//!
//! A key is read in raw mode (no echo, no line editing) only for as long as
//! the read lasts, so the terminal is never left raw. End of file, `EIO` and
//! a hang-up on the terminal are [`Key::HangUp`]; a signal that nslab
//! catches (Ctrl-C, SIGTERM, SIGHUP) ends the wait as [`Key::Interrupted`].

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A key press, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Enter (or Return).
    Enter,
    /// Space.
    Space,
    /// Escape.
    Escape,
    /// Backspace.
    Backspace,
    /// A printable character.
    Char(char),
    /// A key nslab has no use for (arrows, function keys…).
    Other,
    /// The terminal is gone: end of file, an I/O error, a hang-up.
    HangUp,
    /// A signal nslab catches arrived while waiting.
    Interrupted,
}

/// The length of the first key in `bytes`: an escape sequence, a UTF-8
/// character, or one byte.
fn key_len(bytes: &[u8]) -> usize {
    match bytes {
        [] => 0,
        // ESC [ … final byte, or ESC O x (function keys); ESC alone is Escape.
        [0x1b, b'[', rest @ ..] => 2 + rest.iter().position(|b| (0x40..=0x7e).contains(b)).map_or(rest.len(), |p| p + 1),
        [0x1b, b'O', _, ..] => 3,
        [0x1b, ..] => 1,
        [b, ..] if *b >= 0xf0 => 4.min(bytes.len()),
        [b, ..] if *b >= 0xe0 => 3.min(bytes.len()),
        [b, ..] if *b >= 0xc0 => 2.min(bytes.len()),
        _ => 1,
    }
}

thread_local! {
    /// Bytes read but not yet taken: keys typed (or pasted) faster than asked for.
    static PENDING: std::cell::RefCell<std::collections::VecDeque<u8>> = const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// Takes the first key from the pending bytes, if any.
fn take_pending() -> Option<Key> {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_empty() {
            return None;
        }
        let bytes: Vec<u8> = p.iter().copied().collect();
        let n = key_len(&bytes).max(1);
        p.drain(..n);
        Some(parse(&bytes[..n]))
    })
}

/// The key `bytes` (one key's bytes) stands for.
pub fn parse(bytes: &[u8]) -> Key {
    match bytes {
        [] => Key::HangUp,
        [b'\r' | b'\n', ..] => Key::Enter,
        [b' ', ..] => Key::Space,
        [0x1b] => Key::Escape,
        [0x1b, ..] => Key::Other,
        [0x7f | 0x08, ..] => Key::Backspace,
        // Ctrl-C typed while signals are off; Ctrl-D, as in a shell: leave.
        [0x03, ..] => Key::Interrupted,
        [0x04, ..] => Key::Escape,
        _ => match std::str::from_utf8(bytes).ok().and_then(|s| s.chars().next()) {
            Some(c) if !c.is_control() => Key::Char(c),
            _ => Key::Other,
        },
    }
}

/// The terminal's size as (columns, rows); 80×24 when it cannot tell.
pub fn size() -> (usize, usize) {
    let (rows, cols) = console::Term::stdout().size_checked().unwrap_or((24, 80));
    (usize::from(cols).max(1), usize::from(rows).max(1))
}

/// Restores the terminal's modes when dropped.
struct Raw<'a> {
    fd: BorrowedFd<'a>,
    saved: nix::sys::termios::Termios,
}

impl<'a> Raw<'a> {
    /// No echo, no line editing; signals (Ctrl-C) still arrive as signals.
    fn enter(fd: BorrowedFd<'a>) -> Option<Raw<'a>> {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        let saved = tcgetattr(fd).ok()?;
        let mut raw = saved.clone();
        raw.local_flags.remove(LocalFlags::ICANON | LocalFlags::ECHO);
        tcsetattr(fd, SetArg::TCSANOW, &raw).ok()?;
        Some(Raw { fd, saved })
    }
}

impl Drop for Raw<'_> {
    fn drop(&mut self) {
        let _ = nix::sys::termios::tcsetattr(self.fd, nix::sys::termios::SetArg::TCSANOW, &self.saved);
    }
}

/// Reads one key from stdin. Waits in slices of 100 ms, checking between
/// them whether a caught signal (`interrupted`) arrived; returns
/// [`Key::HangUp`] as soon as the terminal is gone, never spinning on it.
pub fn read_key(interrupted: &std::sync::atomic::AtomicI32) -> Key {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    if let Some(key) = take_pending() {
        return key;
    }
    let stdin = std::io::stdin();
    let fd = stdin.as_fd();
    let _raw = Raw::enter(fd);
    loop {
        if interrupted.load(Ordering::SeqCst) != 0 {
            return Key::Interrupted;
        }
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(100u16)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Key::HangUp,
        }
        let revents = fds[0].revents().unwrap_or(PollFlags::empty());
        if revents.intersects(PollFlags::POLLERR | PollFlags::POLLNVAL) {
            return Key::HangUp;
        }
        let mut buf = [0u8; 64];
        match nix::unistd::read(fd, &mut buf) {
            Ok(0) => return Key::HangUp,
            Ok(n) => {
                PENDING.with(|p| p.borrow_mut().extend(&buf[..n]));
                if let Some(key) = take_pending() {
                    return key;
                }
            }
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {
                // POLLHUP with nothing to read would come back at once: gone.
                if revents.contains(PollFlags::POLLHUP) {
                    return Key::HangUp;
                }
            }
            Err(_) => return Key::HangUp,
        }
    }
}

/// Reads a line (for `g`: a step or lesson to go to), echoing what is typed;
/// `None` on Escape, a hang-up or a signal.
pub fn read_line(interrupted: &std::sync::atomic::AtomicI32, out: &mut dyn std::io::Write) -> Option<String> {
    let mut line = String::new();
    loop {
        match read_key(interrupted) {
            Key::Enter => return Some(line),
            Key::Char(c) => {
                line.push(c);
                let _ = write!(out, "{c}");
            }
            Key::Space => {
                line.push(' ');
                let _ = write!(out, " ");
            }
            Key::Backspace => {
                if line.pop().is_some() {
                    let _ = write!(out, "\x08 \x08");
                }
            }
            Key::Other => {}
            Key::Escape | Key::HangUp | Key::Interrupted => return None,
        }
        let _ = out.flush();
    }
}

/// Where the learner is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Before a step (an exercise when `exercise`).
    BeforeStep {
        /// The step is an exercise: Enter opens the learner's shell.
        exercise: bool,
    },
    /// After a step failed.
    AfterFailure {
        /// The step is an exercise: `v` shows its solution.
        exercise: bool,
    },
    /// A step was interrupted with Ctrl-C.
    Interrupted,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run the step, or run it again.
    Run,
    /// Skip the step, or go on after a failure.
    Skip,
    /// Show the next hint.
    Hint,
    /// Show the exercise's reference solution.
    Solution,
    /// Go back one step (the lab is replayed quietly to it).
    Back,
    /// Go to a step of this lesson.
    GoTo,
    /// List the lesson's steps with their status.
    List,
    /// Show the keys.
    Help,
    /// Stop the lesson.
    Quit,
}

/// What `key` means at `prompt`, if anything.
pub fn action(prompt: Prompt, key: Key) -> Option<Action> {
    use Action::*;
    let c = match key {
        Key::Enter => {
            return Some(match prompt {
                Prompt::BeforeStep { .. } => Run,
                Prompt::AfterFailure { .. } | Prompt::Interrupted => Skip,
            });
        }
        Key::Escape | Key::HangUp | Key::Interrupted => return Some(Quit),
        Key::Char(c) => c.to_ascii_lowercase(),
        Key::Space | Key::Backspace | Key::Other => return None,
    };
    Some(match (prompt, c) {
        (_, '?') => Help,
        (_, 'q') => Quit,
        (_, 'b') => Back,
        (_, 'g') => GoTo,
        (_, 'l') => List,
        (_, 'h') => Hint,
        (Prompt::BeforeStep { .. }, 's') => Skip,
        (Prompt::AfterFailure { .. } | Prompt::Interrupted, 'r') => Run,
        (Prompt::AfterFailure { .. } | Prompt::Interrupted, 's' | 'c') => Skip,
        (Prompt::AfterFailure { exercise: true }, 'v') => Solution,
        _ => return None,
    })
}

/// The one-line reminder shown at `prompt`.
pub fn reminder(prompt: Prompt) -> String {
    match prompt {
        Prompt::BeforeStep { exercise: false } => crate::t!("keys-before-step"),
        Prompt::BeforeStep { exercise: true } => crate::t!("keys-before-exercise"),
        Prompt::AfterFailure { exercise: false } => crate::t!("keys-after-failure"),
        Prompt::AfterFailure { exercise: true } => crate::t!("keys-after-failed-exercise"),
        Prompt::Interrupted => crate::t!("keys-interrupted"),
    }
}

/// The reminder for a terminal too narrow for [`reminder`].
pub fn short_reminder(prompt: Prompt) -> String {
    match prompt {
        Prompt::BeforeStep { exercise: false } => crate::t!("keys-short-before-step"),
        Prompt::BeforeStep { exercise: true } => crate::t!("keys-short-before-exercise"),
        Prompt::AfterFailure { .. } => crate::t!("keys-short-after-failure"),
        Prompt::Interrupted => crate::t!("keys-short-interrupted"),
    }
}

/// The help screen (`?`): each key and what it does, the descriptions in a
/// column (keys are ASCII, so padding by characters aligns them).
pub fn help(prompt: Prompt) -> String {
    let mut lines = vec![("Enter", if matches!(prompt, Prompt::BeforeStep { .. }) { crate::t!("help-enter-run") } else { crate::t!("help-enter-go-on") })];
    if !matches!(prompt, Prompt::BeforeStep { .. }) {
        lines.push(("r", crate::t!("help-retry")));
    }
    lines.extend([
        ("s", crate::t!("help-skip")),
        ("h", crate::t!("help-hint")),
        ("b", crate::t!("help-back")),
        ("g", crate::t!("help-go-to")),
        ("l", crate::t!("help-list")),
        ("Space", crate::t!("help-space")),
        ("Ctrl-C", crate::t!("help-ctrl-c")),
        ("q", crate::t!("help-quit")),
        ("?", crate::t!("help-keys")),
    ]);
    if prompt == (Prompt::AfterFailure { exercise: true }) {
        lines.insert(3, ("v", crate::t!("help-solution")));
    }
    lines.iter().map(|(k, what)| format!("  {k:<7} {what}\n")).collect()
}

/// How long to wait between frames of a spinner.
pub const SPINNER_TICK: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_become_keys() {
        assert_eq!(parse(b"\r"), Key::Enter);
        assert_eq!(parse(b"\n"), Key::Enter);
        assert_eq!(parse(b" "), Key::Space);
        assert_eq!(parse(b"\x1b"), Key::Escape);
        assert_eq!(parse(b"\x1b[A"), Key::Other);
        assert_eq!(parse(b"b"), Key::Char('b'));
        assert_eq!(parse("é".as_bytes()), Key::Char('é'));
        assert_eq!(parse(b""), Key::HangUp);
        assert_eq!(parse(b"\x04"), Key::Escape);
        assert_eq!(parse(b"\x03"), Key::Interrupted);
        assert_eq!(parse(b"\x7f"), Key::Backspace);
        // Keys typed faster than they are read come out one by one.
        assert_eq!(key_len(b"observe"), 1);
        assert_eq!(key_len(b"\x1b[A\r"), 3);
        assert_eq!(key_len("éx".as_bytes()), 2);
        assert_eq!(key_len(b"\x1b"), 1);
        PENDING.with(|p| p.borrow_mut().extend(b"g3\x1b[B\r"));
        let keys: Vec<Key> = std::iter::from_fn(take_pending).collect();
        assert_eq!(keys, [Key::Char('g'), Key::Char('3'), Key::Other, Key::Enter]);
    }

    #[test]
    fn keys_mean_what_the_help_says() {
        let before = Prompt::BeforeStep { exercise: false };
        let failed = Prompt::AfterFailure { exercise: true };
        let table = [
            (before, Key::Enter, Some(Action::Run)),
            (before, Key::Char('s'), Some(Action::Skip)),
            (before, Key::Char('b'), Some(Action::Back)),
            (before, Key::Char('g'), Some(Action::GoTo)),
            (before, Key::Char('l'), Some(Action::List)),
            (before, Key::Char('?'), Some(Action::Help)),
            (before, Key::Char('r'), None),
            (before, Key::Char('v'), None),
            (before, Key::HangUp, Some(Action::Quit)),
            (failed, Key::Enter, Some(Action::Skip)),
            (failed, Key::Char('R'), Some(Action::Run)),
            (failed, Key::Char('v'), Some(Action::Solution)),
            (Prompt::Interrupted, Key::Char('r'), Some(Action::Run)),
            (Prompt::Interrupted, Key::Char('s'), Some(Action::Skip)),
            (Prompt::Interrupted, Key::Char('q'), Some(Action::Quit)),
        ];
        for (prompt, key, want) in table {
            assert_eq!(action(prompt, key), want, "{prompt:?} {key:?}");
        }
        // Every key the help names does something there.
        for prompt in [before, failed, Prompt::AfterFailure { exercise: false }] {
            for line in help(prompt).lines() {
                let key = line.split_whitespace().next().unwrap();
                if key.chars().count() == 1 {
                    assert!(action(prompt, Key::Char(key.chars().next().unwrap())).is_some(), "{key} at {prompt:?}");
                }
            }
        }
    }
}
