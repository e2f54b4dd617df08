//! The learner's terminal: lesson prose rendered from Markdown, and the key
//! prompt before a step and after a failure.

use std::fmt::Write as _;

use console::{Key, Style, Term};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::lesson::{Lesson, Step};

/// What the learner chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Run (or retry) the step.
    Run,
    /// Skip it (or go on after a failure).
    Skip,
    /// Stop the lesson, cleanly.
    Quit,
}

/// Renders Markdown for the terminal: headings, emphasis, inline and block code.
pub fn render_markdown(text: &str, color: bool) -> String {
    let st = |s: Style| s.force_styling(color);
    let mut out = String::new();
    let mut styles: Vec<Style> = Vec::new();
    let mut in_code_block = false;
    let mut list_depth = 0usize;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                out.push('\n');
                styles.push(st(if level == HeadingLevel::H1 { Style::new().bold().underlined() } else { Style::new().bold() }));
            }
            Event::End(TagEnd::Heading(_)) => {
                styles.pop();
                out.push_str("\n\n");
            }
            Event::Start(Tag::Emphasis) => styles.push(st(Style::new().italic())),
            Event::Start(Tag::Strong) => styles.push(st(Style::new().bold())),
            Event::End(TagEnd::Emphasis | TagEnd::Strong) => {
                styles.pop();
            }
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push('\n');
            }
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                let _ = write!(out, "{}• ", "  ".repeat(list_depth.saturating_sub(1)));
            }
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(TagEnd::Paragraph) => out.push_str(if list_depth > 0 { "" } else { "\n\n" }),
            Event::Text(t) if in_code_block => {
                for line in t.lines() {
                    let _ = writeln!(out, "    {}", st(Style::new().dim()).apply_to(line));
                }
            }
            Event::Text(t) => {
                let styled = styles.last().map_or_else(|| t.to_string(), |s| s.apply_to(&*t).to_string());
                out.push_str(&styled);
            }
            Event::Code(c) => {
                let _ = write!(out, "{}", st(Style::new().cyan()).apply_to(&*c));
            }
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            _ => {}
        }
    }
    let trimmed = out.trim_matches('\n');
    format!("{trimmed}\n")
}

/// A key the learner pressed at a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pressed {
    Enter,
    Retry,
    Skip,
    Quit,
}

/// Shows the prose before `step` and what it will do, then asks:
/// Enter runs it, `s` skips, `h` shows the hint, `q` quits.
pub fn before_step(lesson: &Lesson, step: &Step, color: bool) -> Choice {
    let term = Term::stdout();
    let prose = lesson.prose(step);
    if !prose.trim().is_empty() {
        let _ = term.write_str(&render_markdown(prose, color));
    }
    let keys = match &step.exercise {
        Some(ex) => {
            let goal = Style::new().bold().force_styling(color).apply_to(format!("  Your turn: {}", ex.goal));
            let _ = term.write_line(&goal.to_string());
            let _ = term.write_line("  nslab opens a shell in the lab; reach the goal, type `check` there, and leave it (exit) to go on.");
            "  [Enter] open the shell  [s] skip  [h] hint  [q] quit "
        }
        None => "  [Enter] run  [s] skip  [h] hint  [q] quit ",
    };
    match prompt(&term, &step.hints, None, color, keys) {
        Pressed::Enter | Pressed::Retry => Choice::Run,
        Pressed::Skip => Choice::Skip,
        Pressed::Quit => Choice::Quit,
    }
}

/// After a failure: `r` retries, Enter or `c` goes on, `h` shows the next
/// hint (`hints`: computed from what was seen, then the lesson's), `v` shows
/// an exercise's solution, `q` quits.
pub fn after_failure(step: &Step, hints: &[String], color: bool) -> Choice {
    let term = Term::stdout();
    let (keys, solution) = match &step.exercise {
        Some(ex) => ("  [r] try again  [h] next hint  [v] view the solution  [Enter] continue  [q] quit ", Some(ex.solution.as_str())),
        None => ("  [r] retry  [Enter] continue  [h] hint  [q] quit ", None),
    };
    match prompt(&term, hints, solution, color, keys) {
        Pressed::Retry => Choice::Run,
        Pressed::Enter | Pressed::Skip => Choice::Skip,
        Pressed::Quit => Choice::Quit,
    }
}

/// Asks with the prompt `keys`: Enter runs, `s` skips, `q` quits.
pub fn ask(keys: &str) -> Choice {
    match prompt(&Term::stdout(), &[], None, false, keys) {
        Pressed::Enter | Pressed::Retry => Choice::Run,
        Pressed::Skip => Choice::Skip,
        Pressed::Quit => Choice::Quit,
    }
}

/// Reads keys until one of the prompt's; `h` shows the next hint and `v` the
/// solution, and it asks again.
fn prompt(term: &Term, all_hints: &[String], solution: Option<&str>, color: bool, keys: &str) -> Pressed {
    let mut hints = all_hints.iter();
    loop {
        let _ = term.write_str(keys);
        let key = term.read_key();
        let _ = term.write_line("");
        match key {
            Ok(Key::Enter) => return Pressed::Enter,
            Ok(Key::Char('r' | 'R')) => return Pressed::Retry,
            Ok(Key::Char('s' | 'S' | 'c' | 'C')) => return Pressed::Skip,
            Ok(Key::Char('q' | 'Q')) | Ok(Key::Escape) | Err(_) => return Pressed::Quit,
            Ok(Key::Char('h' | 'H')) => {
                let text = match hints.next() {
                    Some(h) => format!("  hint: {h}"),
                    None if all_hints.is_empty() => "  (this step has no hint)".to_string(),
                    None => "  (no more hints)".to_string(),
                };
                let _ = term.write_line(&Style::new().yellow().force_styling(color).apply_to(text).to_string());
            }
            Ok(Key::Char('v' | 'V')) if solution.is_some() => {
                let _ = term.write_line("  the reference solution:");
                for line in solution.unwrap_or("").lines() {
                    let _ = term.write_line(&format!("    {}", Style::new().cyan().force_styling(color).apply_to(line)));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_without_markup() {
        let text = render_markdown("# Title\n\nSome *emphasis* and `code`.\n\n```\nls -l\n```\n", false);
        assert_eq!(text, "Title\n\nSome emphasis and code.\n\n    ls -l\n");
    }
}
