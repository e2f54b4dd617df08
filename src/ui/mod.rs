//! Faces: what the learner sees. `face` is the terminal face of the lesson
//! driver; `markdown` renders lesson prose for a terminal, `picture` draws
//! who is in which namespace after a step, `card` says what a step will do,
//! `screen` pages, `keys` reads keys and says what they mean, `spinner` shows
//! a slow step's time. This module holds the few questions asked outside a
//! lesson.

pub mod card;
pub mod face;
pub mod keys;
pub mod markdown;
pub mod picture;
pub mod screen;
pub mod spinner;

use std::io::IsTerminal;

/// What `nslab` and `nslab run` say when there is no terminal to ask on and
/// `--yes` was not given. Nothing runs and no progress is touched.
pub fn no_terminal() -> String {
    format!("nslab: {}\n", crate::t!("no-terminal"))
}

pub use crate::i18n::pad;

/// True when stdin, stdout and stderr are all a terminal: the learner is there
/// to read and answer.
pub fn at_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no `question` on the terminal (no is the default); `None` when
/// there is no terminal to ask on.
pub fn confirm(question: &str) -> Option<bool> {
    if !at_terminal() {
        return None;
    }
    let term = console::Term::stderr();
    let _ = term.write_str(&format!("{question} {} ", crate::t!("confirm-keys")));
    let answer = term.read_line().ok()?;
    Some(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES" | "是"))
}
