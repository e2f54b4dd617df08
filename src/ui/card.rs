//! The step card (what a step will do and what nslab will check, in words),
//! the list of a lesson's steps with their status, and the lesson's summary.
//! Pure text for a given width; the face prints it.

use std::fmt::Write as _;

use console::Style;

use super::markdown::wrap_options;
use crate::lesson::{Action, Lesson, RunTarget, Step};
use crate::t;

/// What became of a step in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Not run (yet).
    #[default]
    NotRun,
    /// Every expectation held.
    Passed,
    /// Something failed.
    Failed,
    /// Skipped.
    Skipped,
}

impl Status {
    /// The sign shown in lists.
    pub fn sign(self) -> &'static str {
        match self {
            Status::NotRun => "·",
            Status::Passed => "✔",
            Status::Failed => "✘",
            Status::Skipped => "↷",
        }
    }

    fn style(self) -> Style {
        match self {
            Status::NotRun => Style::new().dim(),
            Status::Passed => Style::new().green(),
            Status::Failed => Style::new().red().bold(),
            Status::Skipped => Style::new().yellow(),
        }
    }
}

/// Wraps `text` to `width` with `first` before the first line and `rest`
/// before the others.
fn wrapped(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let opts = wrap_options(text, width).initial_indent(first).subsequent_indent(rest);
    for line in textwrap::wrap(text, opts) {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// What the action does, in words, for a learner.
pub fn action_in_words(action: &Action) -> String {
    let kinds_list = |kinds: &crate::ns::KindSet| {
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => t!("kinds-list", rest = rest.join(&t!("kinds-separator")), last = *last),
            _ => names.join(""),
        }
    };
    match action {
        Action::Start { name, kinds, inside } => {
            let place = inside.as_ref().map_or(String::new(), |o| t!("card-inside", owner = o.as_str()));
            if kinds.is_empty() {
                t!("card-start-plain", name = name.as_str(), place = place)
            } else {
                t!("card-start", name = name.as_str(), kinds = kinds_list(kinds), place = place)
            }
        }
        Action::Run { target: RunTarget::Host, .. } => t!("card-run-lab"),
        Action::Run { target: RunTarget::Process(n), .. } => t!("card-run-in", name = n.as_str()),
        Action::Run { target: RunTarget::Pin(n), .. } => t!("card-run-pinned", pin = n.as_str()),
        Action::Unshare { kinds, .. } => t!("card-unshare", kinds = kinds_list(kinds)),
        Action::Pin { process, kind, pin } => t!("card-pin", name = process.as_str(), kind = kind.to_string(), pin = pin.as_str()),
        Action::Unpin { pin } => t!("card-unpin", pin = pin.as_str()),
        Action::Stop { name } => t!("card-stop", name = name.as_str()),
        Action::Lsns { kinds } if kinds.is_empty() => t!("card-lsns-all"),
        Action::Lsns { kinds } => t!("card-lsns", kinds = kinds_list(kinds)),
        Action::YourTurn => t!("card-your-turn"),
    }
}

/// The step card: its number and title, what it does, the command, and
/// what nslab checks afterwards, in words. Shown after the step's prose, just
/// above the prompt. `compact` (for a short terminal) names expected output
/// in a few words instead of listing its lines.
pub fn step_card(lesson: &Lesson, step: &Step, width: usize, color: bool, compact: bool) -> String {
    let st = |s: Style| s.force_styling(color);
    let mut out = String::new();
    let head = format!("── {} ", t!("card-head", number = step.number, total = lesson.steps.len()));
    let fill = width.saturating_sub(console::measure_text_width(&head));
    let _ = writeln!(out, "{}", st(Style::new().dim()).apply_to(format!("{head}{}", "─".repeat(fill))));
    let title = st(Style::new().bold()).apply_to(step.display_title()).to_string();
    wrapped(&mut out, &title, width, "", "");
    if let Some(ex) = &step.exercise {
        wrapped(&mut out, &t!("card-goal", goal = ex.goal.as_str()), width, "  ", "  ");
        wrapped(&mut out, &t!("card-exercise"), width, "  ", "  ");
    }
    if step.action.value != Action::YourTurn {
        wrapped(&mut out, &action_in_words(&step.action.value), width, "  ", "  ");
        if let Action::Run { command, .. } | Action::Unshare { command, .. } = &step.action.value {
            for (i, line) in command.lines().enumerate() {
                let prompt = if i == 0 { "    $ " } else { "      " };
                let opts = wrap_options(line, width).initial_indent(prompt).subsequent_indent("        ");
                for piece in textwrap::wrap(line, opts) {
                    let (lead, body) = piece.split_at(piece.len() - piece.trim_start_matches([' ', '$']).len());
                    let _ = writeln!(out, "{lead}{}", st(Style::new().cyan()).apply_to(body));
                }
            }
        } else {
            let _ = writeln!(out, "    {}", st(Style::new().cyan()).apply_to(step.action.value.to_string()));
        }
    }
    if !step.expectations.is_empty() {
        let _ = writeln!(out, "  {}", t!("card-checks"));
        for e in &step.expectations {
            use crate::lesson::{Expectation, LinePattern, OutputMatcher};
            match &e.value {
                // The expected lines themselves, as the lesson gives them.
                Expectation::Output { stream, matcher: OutputMatcher::Lines(lines) } if lines.len() > 1 && !compact => {
                    let _ = writeln!(out, "    • {}", t!("card-stream-is", stream = stream.to_string()));
                    let any = format!("… {}", t!("card-any-lines"));
                    for line in lines {
                        let text = match line {
                            LinePattern::Text(t) => t.as_str(),
                            LinePattern::AnyLines => any.as_str(),
                        };
                        let bar = st(Style::new().dim()).apply_to("│");
                        let _ = writeln!(out, "      {bar} {}", console::truncate_str(text, width.saturating_sub(8), "…"));
                    }
                }
                other => wrapped(&mut out, &other.describe(), width, "    • ", "      "),
            }
        }
    }
    out
}

/// The lesson's steps with what became of each; `current` is marked.
pub fn step_list(lesson: &Lesson, statuses: &[Status], current: Option<usize>, width: usize, color: bool) -> String {
    let st = |s: Style| s.force_styling(color);
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", st(Style::new().bold()).apply_to(&lesson.meta.title), t!("list-steps", count = lesson.steps.len()));
    let digits = lesson.steps.len().to_string().len();
    for (i, step) in lesson.steps.iter().enumerate() {
        let status = statuses.get(i).copied().unwrap_or_default();
        let here = if current == Some(i) { "▶" } else { " " };
        let sign = st(status.style()).apply_to(status.sign()).to_string();
        let first = format!("{here}{sign} {:>digits$} ", step.number);
        let text = format!("{}  ({})", step.display_title(), step.id);
        let rest = " ".repeat(digits + 4);
        let opts = wrap_options(&text, width).initial_indent(&first).subsequent_indent(&rest);
        for line in textwrap::wrap(&text, opts) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// The end of a lesson: counts, the steps that did not pass, and what next.
pub fn summary(lesson: &Lesson, statuses: &[Status], seconds: u64, width: usize, color: bool) -> String {
    let st = |s: Style| s.force_styling(color);
    let count = |want: Status| statuses.iter().filter(|s| **s == want).count();
    let (passed, failed, skipped) = (count(Status::Passed), count(Status::Failed), count(Status::Skipped));
    let mut out = String::new();
    let head = format!("── {} ", t!("summary-head", title = lesson.meta.title.as_str()));
    let fill = width.saturating_sub(console::measure_text_width(&head));
    let _ = writeln!(out, "{}", st(Style::new().dim()).apply_to(format!("{head}{}", "─".repeat(fill))));
    let time = if seconds >= 60 { t!("minutes-seconds", minutes = seconds / 60, seconds = seconds % 60) } else { t!("seconds", seconds = seconds) };
    let style = if failed > 0 { Style::new().red().bold() } else { Style::new().green().bold() };
    let counts = st(style).apply_to(t!("counts", passed = passed, failed = failed, skipped = skipped));
    let _ = writeln!(out, "{}", t!("counts-in", counts = counts.to_string(), time = time));
    for (i, step) in lesson.steps.iter().enumerate() {
        let status = statuses.get(i).copied().unwrap_or_default();
        if matches!(status, Status::Failed | Status::Skipped | Status::NotRun) {
            let word = match status {
                Status::Failed => t!("status-failed"),
                Status::Skipped => t!("status-skipped"),
                _ => t!("status-not-run"),
            };
            let line = t!("summary-step", number = step.number, id = step.id.as_str(), status = word);
            wrapped(&mut out, &format!("{} {line}", status.sign()), width, "  ", "    ");
        }
    }
    let next = if failed + skipped == 0 { t!("summary-next") } else { t!("summary-again") };
    wrapped(&mut out, &next, width, "", "");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson() -> Lesson {
        let text = include_str!("../../tests/fixtures/render/observe.md");
        crate::lesson::parse_lesson(text, std::path::Path::new("observe.md")).unwrap()
    }

    #[test]
    fn the_card_says_what_runs_and_what_is_checked() {
        let l = lesson();
        let card = step_card(&l, l.step("start-box").unwrap(), 60, false, false);
        insta::assert_snapshot!(card);
        let compact = step_card(&l, l.step("lsns-types").unwrap(), 40, false, true);
        assert!(compact.contains("• stdout has the 7 lines shown") && !compact.contains("│ cgroup"), "{compact}");
        let card = step_card(&l, l.step("lsns-types").unwrap(), 40, false, false);
        assert!(card.contains("    $ lsns --noheadings --output TYPE\n        | sort"), "{card}");
        assert!(card.contains("    • stdout is\n      │ cgroup\n      │ ipc\n"), "{card}");
        assert!(card.contains("      │ … (any lines)\n"), "{card}");
        assert!(card.contains("• the command exits with status 0"), "{card}");
        for line in card.lines() {
            assert!(console::measure_text_width(line) <= 40, "{line:?}");
        }
    }

    #[test]
    fn list_and_summary() {
        let l = lesson();
        let mut statuses = vec![Status::Passed; l.steps.len()];
        statuses[5] = Status::Skipped;
        statuses[6] = Status::Failed;
        statuses[9] = Status::NotRun;
        insta::assert_snapshot!(step_list(&l, &statuses, Some(7), 60, false));
        insta::assert_snapshot!(summary(&l, &statuses, 95, 60, false));
    }
}
