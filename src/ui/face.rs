//! The learner's terminal: a face of the lesson driver for a person at a
//! terminal. Each step's prose comes first, rendered from Markdown at the
//! terminal's width and paged; then the step card (what it does, the
//! command, the checks in words) right above the prompt. Results show the
//! command's output, the verdicts and the namespace picture. After the last
//! step come the lesson's closing prose and a summary.
//!
//! Keys: `?` help, `b` back a step (a fresh lab, earlier steps replayed
//! quietly), `g` go to a step, `l` the list of steps, `h` hints, `s` skip,
//! `q` quit. Ctrl-C in a running step stops it and offers retry, skip or
//! quit. A terminal that goes away (EOF, EIO) is treated as a hang-up: the
//! parent is told with SIGHUP, and the run ends with 129.

use std::sync::atomic::Ordering;

use console::Style;

use super::card::{self, Status};
use super::keys::{self, Action, Key, Prompt};
use super::markdown;
use super::picture::{self, Look};
use super::screen::{Gone, Screen};
use super::spinner::Spinner;
use crate::lesson::{Lesson, Step, StepKind};
use crate::run::driver::{Decision, Face};
use crate::run::event::{Event, SkipReason, StepOutcome, StepResult};
use crate::run::exec::INTERRUPTED;
use crate::t;

/// The terminal face of one lesson.
pub struct TerminalFace<'l> {
    lesson: &'l Lesson,
    screen: Screen<'static>,
    color: bool,
    statuses: Vec<Status>,
    current: Option<usize>,
    legend_shown: bool,
    spinner: Option<Spinner>,
    /// A decision taken at the "interrupted" prompt, for the driver's next question.
    pending: Option<Decision>,
    /// Steps before this index are skipped without asking (`g` to a later step).
    skip_until: Option<usize>,
    /// The step run at the learner's request to set up another: its result is one line.
    setup_run: Option<usize>,
    /// The step this run starts at (`--from`, or after `b`/`g`), the ones before it replayed quietly.
    from: Option<String>,
    /// The step to start the lesson over from, in a fresh lab (`b`, `g`): the
    /// worker ends and the coordinator starts a new one there.
    pub resume_at: Option<String>,
    /// The lesson to go to instead (`g` with a lesson's id).
    pub open_lesson: Option<String>,
    started: std::time::Instant,
    /// Draw a spinner for slow steps (not in tests: the timer is per process).
    spin: bool,
}

/// The terminal is gone: tell the coordinator as a hang-up would, so the run
/// ends with 129 and the lab is torn down.
fn hang_up() {
    if INTERRUPTED.load(Ordering::SeqCst) == 0 {
        INTERRUPTED.store(libc::SIGHUP, Ordering::SeqCst);
        // SAFETY: signals our own parent, the coordinator that forked this worker.
        unsafe { libc::kill(libc::getppid(), libc::SIGHUP) };
    }
}

impl<'l> TerminalFace<'l> {
    /// A face for `lesson` on this process's terminal.
    pub fn new(lesson: &'l Lesson, opts: &crate::run::RunOptions) -> TerminalFace<'l> {
        let screen = Screen::new(std::io::stdout(), || keys::read_key(&INTERRUPTED), keys::size, opts.color);
        let mut face = TerminalFace::with_screen(lesson, screen, opts.color);
        face.from = opts.from.clone();
        face.spin = true;
        face
    }

    /// A face drawing on `screen` (tests give it a scripted one).
    pub fn with_screen(lesson: &'l Lesson, screen: Screen<'static>, color: bool) -> TerminalFace<'l> {
        TerminalFace {
            lesson,
            screen,
            color,
            statuses: vec![Status::NotRun; lesson.steps.len()],
            current: None,
            legend_shown: false,
            spinner: None,
            pending: None,
            skip_until: None,
            setup_run: None,
            from: None,
            resume_at: None,
            open_lesson: None,
            started: std::time::Instant::now(),
            spin: false,
        }
    }

    fn st(&self, s: Style) -> Style {
        s.force_styling(self.color)
    }

    fn width(&self) -> usize {
        self.screen.width()
    }

    /// Prints words wrapped at the terminal's width (continued lines
    /// indented by `indent`), paging.
    fn say(&mut self, text: &str, indent: &str) -> bool {
        let width = self.width();
        let mut out = String::new();
        for line in text.lines() {
            let opts = markdown::wrap_options(line, width).subsequent_indent(indent);
            for piece in textwrap::wrap(line, opts) {
                out.push_str(&piece);
                out.push('\n');
            }
        }
        self.print(&out)
    }

    /// Prints, paging; a dead terminal ends the lesson.
    fn print(&mut self, text: &str) -> bool {
        match self.screen.print(text) {
            Ok(()) => true,
            Err(Gone(key)) => {
                if key == Key::HangUp {
                    hang_up();
                }
                false
            }
        }
    }

    fn print_whole(&mut self, text: &str) -> bool {
        match self.screen.print_whole(text) {
            Ok(()) => true,
            Err(Gone(key)) => {
                if key == Key::HangUp {
                    hang_up();
                }
                false
            }
        }
    }

    /// The reminder of `prompt`'s keys that fits the terminal.
    fn reminder(&self, prompt: Prompt) -> String {
        let long = keys::reminder(prompt);
        if console::measure_text_width(&long) < self.width() { long } else { keys::short_reminder(prompt) }
    }

    /// Waits for a key after `reminder`.
    fn ask(&mut self, reminder: &str) -> Key {
        let key = self.screen.ask(reminder);
        if key == Key::HangUp {
            hang_up();
        }
        key
    }

    /// Runs the spinner for a step about to run (not for an exercise: the
    /// learner's shell has the terminal).
    fn arm(&mut self, step: &Step) {
        if self.spin && step.kind != StepKind::Exercise && self.spinner.is_none() {
            self.spinner = Some(Spinner::start(libc::STDOUT_FILENO));
        }
    }

    fn disarm(&mut self) {
        if let Some(s) = self.spinner.take() {
            s.stop();
        }
    }

    fn index(&self, step: &Step) -> usize {
        step.number.saturating_sub(1)
    }

    /// `g`: asks for a step by number or id; the decision that goes there.
    fn go_to(&mut self, i: usize) -> Option<Decision> {
        let question = format!("  {} ", t!("go-to-question", last = self.lesson.steps.len()));
        self.screen.raw(&question);
        let mut echo = std::io::stdout();
        let answer = keys::read_line(&INTERRUPTED, &mut echo);
        self.screen.raw("\n");
        self.screen.reset();
        let answer = answer?;
        let answer = answer.trim();
        let target = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .filter(|&n| n < self.lesson.steps.len())
            .or_else(|| self.lesson.steps.iter().position(|s| s.id == answer));
        let Some(j) = target else {
            // Another lesson, by its id or file name.
            let lessons = crate::catalog::builtin().unwrap_or_default();
            if let Some(other) = crate::catalog::find(&lessons, answer).filter(|l| l.meta.id != self.lesson.meta.id) {
                self.open_lesson = Some(other.meta.id.clone());
                return Some(Decision::Quit);
            }
            self.say(&format!("  {}\n", t!("go-to-nowhere", answer = format!("{answer:?}"))), "    ");
            return None;
        };
        if j == i {
            self.print(&format!("  {}\n", t!("go-to-here")));
            return None;
        }
        Some(self.resume(j))
    }

    /// Starts the lesson over at step `j` in a fresh lab: this worker quits,
    /// and the coordinator runs a new one from there.
    fn resume(&mut self, j: usize) -> Decision {
        self.resume_at = Some(self.lesson.steps[j].id.clone());
        Decision::Quit
    }

    /// The keys every prompt shares; `Some` ends the prompt with a decision.
    fn common(&mut self, action: Action, i: usize, prompt: Prompt, hints: &mut std::slice::Iter<'_, String>, all: &[String]) -> Option<Decision> {
        match action {
            Action::Quit => Some(Decision::Quit),
            Action::Back => match i.checked_sub(1) {
                Some(j) => Some(self.resume(j)),
                None => {
                    self.print(&format!("  {}\n", t!("back-at-first")));
                    None
                }
            },
            Action::GoTo => self.go_to(i),
            Action::List => {
                let list = card::step_list(self.lesson, &self.statuses, Some(i), self.width(), self.color);
                self.print(&list);
                None
            }
            Action::Help => {
                // Wrapped, the descriptions' continued lines under their first.
                let text = format!("{}\n", keys::help(prompt).trim_end());
                self.say(&text, "          ");
                None
            }
            Action::Hint => {
                let text = match hints.next() {
                    Some(h) => format!("  {}", crate::i18n::labelled(&t!("hint-label"), h)),
                    None if all.is_empty() => format!("  {}", t!("hint-none")),
                    None => format!("  {}", t!("hint-no-more")),
                };
                let text = format!("{}\n", self.st(Style::new().yellow()).apply_to(text));
                self.print(&text);
                None
            }
            Action::Run | Action::Skip | Action::Solution => None,
        }
    }

    /// Renders a finished step: output, verdicts, the picture.
    fn show_result(&mut self, r: &StepResult) {
        let i = r.number.saturating_sub(1);
        let st = |s: Style| s.force_styling(self.color);
        let (ok, bad, dim) = (st(Style::new().green()), st(Style::new().red().bold()), st(Style::new().dim()));
        let mut s = String::new();
        use std::fmt::Write as _;
        if let StepOutcome::Skipped(why) = &r.outcome {
            let _ = writeln!(s, "  {} {}", st(Style::new().yellow()).apply_to("↷"), t!("step-skipped", number = r.number, why = why.to_string()));
            self.print(&s);
            return;
        }
        if self.setup_run == Some(i) {
            self.setup_run = None;
            let word = if r.outcome == StepOutcome::Passed { ok.apply_to(t!("setup-ran")) } else { bad.apply_to(t!("setup-failed")) };
            let _ = writeln!(s, "  {word} {}", t!("setup-step", number = r.number, id = r.step.as_str()));
            if r.outcome != StepOutcome::Passed {
                for v in r.verdicts.iter().filter(|v| !v.holds()) {
                    let _ = writeln!(s, "    {} — {}", v.expected, v.observed);
                }
            }
            self.print(&s);
            return;
        }
        let width = self.width();
        if let Some(display) = &r.display {
            for line in display.lines() {
                let _ = writeln!(s, "    {}", console::truncate_str(line, width.saturating_sub(4), "…"));
            }
        }
        if let Some(c) = &r.command {
            let room = width.saturating_sub(6).max(10);
            for (text, max) in [(&c.stdout, 40), (&c.stderr, 20)] {
                let total = text.lines().count();
                for line in text.lines().take(max) {
                    let _ = writeln!(s, "    {}", dim.apply_to(format!("│ {}", console::truncate_str(line, room, "…"))));
                }
                if total > max {
                    let _ = writeln!(s, "    {}", dim.apply_to(format!("│ … {}", t!("more-lines", count = total - max))));
                }
            }
            if c.timed_out {
                let _ = writeln!(s, "  {} {}", bad.apply_to("⏱"), t!("timed-out-stopped", seconds = format!("{:.1}", c.elapsed.as_secs_f64())));
            }
        }
        if let Some(err) = &r.error {
            let lead = format!("  ✘ {}", crate::i18n::labelled(&t!("action-failed"), ""));
            let opts = markdown::wrap_options(err, width).initial_indent(&lead).subsequent_indent("    ");
            for line in textwrap::wrap(err, opts) {
                let _ = writeln!(s, "{line}");
            }
        }
        for v in &r.verdicts {
            let (sign, style) = match v.truth {
                crate::run::verify::Truth::Holds => ("✔", ok.clone()),
                crate::run::verify::Truth::Fails => ("✘", bad.clone()),
                crate::run::verify::Truth::Unknown => ("?", st(Style::new().yellow())),
            };
            let opts = markdown::wrap_options(&v.expected, width.saturating_sub(2)).initial_indent("  ").subsequent_indent("  ");
            // The sign takes the first line's indent: continued lines align with the text.
            for (n, line) in textwrap::wrap(&v.expected, opts).into_iter().enumerate() {
                if n == 0 {
                    let _ = writeln!(s, "  {} {}", style.apply_to(sign), line.trim_start());
                } else {
                    let _ = writeln!(s, "  {line}");
                }
            }
            if !v.holds() {
                let mut lines = v.observed.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(s, "      {}", crate::i18n::labelled(&t!("observed-label"), first));
                }
                for line in lines.take(20) {
                    let _ = writeln!(s, "        {line}");
                }
            }
        }
        if let (Some(before), Some(after)) = (&r.before, &r.observed) {
            let look = Look { width, color: self.color, legend: !self.legend_shown };
            self.legend_shown = true;
            s.push_str(&picture::render(&picture::holders(before, after), look));
        }
        if r.outcome == StepOutcome::Failed
            && let Some(h) = r.hints.first()
        {
            let label = t!("hint-label");
            let _ = writeln!(s, "  {}{}{h}", st(Style::new().yellow()).apply_to(&label), if label.ends_with('：') { "" } else { " " });
        }
        self.print(&s);
    }

    /// Ctrl-C stopped the step: say so, and ask what next.
    fn interrupted(&mut self, r: &StepResult) {
        let text = format!("  {} {}\n", self.st(Style::new().yellow().bold()).apply_to(t!("interrupted-label")), t!("interrupted-step", number = r.number));
        self.say(&text, "    ");
        // The Ctrl-C is answered here; another one while asking quits.
        INTERRUPTED.store(0, Ordering::SeqCst);
        loop {
            let key = self.ask(&self.reminder(Prompt::Interrupted));
            match keys::action(Prompt::Interrupted, key) {
                Some(Action::Run) => {
                    self.pending = Some(Decision::Run);
                    return;
                }
                Some(Action::Skip) => {
                    self.pending = Some(Decision::Skip);
                    return;
                }
                Some(Action::Quit) => {
                    // Leaving after Ctrl-C: exit 130, as Ctrl-C anywhere else.
                    let _ = INTERRUPTED.compare_exchange(0, libc::SIGINT, Ordering::SeqCst, Ordering::SeqCst);
                    return;
                }
                _ => {}
            }
        }
    }

    /// The closing prose and the summary.
    fn finish(&mut self, quit: bool, interrupted: bool) {
        let width = self.width();
        if quit || interrupted {
            let at = self.current.map_or(1, |i| i + 1);
            let text = format!("\n{}\n", t!("stopped-at", number = at, total = self.lesson.steps.len()));
            self.say(&text, "");
            return;
        }
        let outro = markdown::render(self.lesson.text(self.lesson.outro), width, self.color);
        if !outro.trim().is_empty() {
            let text = format!("\n{outro}");
            self.print(&text);
        }
        let summary = card::summary(self.lesson, &self.statuses, self.started.elapsed().as_secs(), width, self.color);
        let text = format!("\n{summary}");
        self.print_whole(&text);
    }
}

impl Face for TerminalFace<'_> {
    fn event(&mut self, event: &Event) {
        match event {
            Event::LessonStarted { title, lesson, steps, .. } => {
                let head = self.st(Style::new().bold()).apply_to(title);
                let text = match self.from.as_deref().and_then(|id| self.lesson.step(id)) {
                    Some(s) => {
                        format!("\n{} {head}{}\n", self.st(Style::new().cyan().bold()).apply_to("↺"), t!("resumed-at", number = s.number, total = *steps))
                    }
                    None => format!("\n{head}  {}\n", t!("lesson-started", id = lesson.as_str(), steps = *steps)),
                };
                self.say(&text, "  ");
            }
            Event::LessonCannotRun { lesson, reason } => {
                let text = format!("\n{}\n", t!("lesson-cannot-run", id = lesson.as_str(), reason = reason.to_string()));
                self.say(&text, "  ");
            }
            Event::StepStarted { number, .. } => {
                let i = number.saturating_sub(1);
                // Steps replayed quietly on the way here passed (a replay that
                // did not pass reports its step).
                if self.current.is_none() {
                    for s in self.statuses.iter_mut().take(i).filter(|s| **s == Status::NotRun) {
                        *s = Status::Passed;
                    }
                }
                self.current = Some(i);
            }
            Event::StepPassed(r) | Event::StepFailed(r) | Event::StepSkipped(r) => {
                self.disarm();
                let r = &r.result;
                let i = r.number.saturating_sub(1);
                // The learner's shell had the terminal: the screen starts afresh.
                if self.lesson.steps.get(i).is_some_and(|s| s.kind == StepKind::Exercise) {
                    self.screen.reset();
                }
                if let Some(s) = self.statuses.get_mut(i) {
                    *s = match r.outcome {
                        StepOutcome::Passed => Status::Passed,
                        StepOutcome::Failed => Status::Failed,
                        StepOutcome::Skipped(_) => Status::Skipped,
                    };
                }
                // A skip the learner asked for, or one on the way to a `g` target, needs no words.
                let silent = matches!(&r.outcome, StepOutcome::Skipped(SkipReason::Learner)) && self.skip_until.is_some_and(|t| i < t);
                if INTERRUPTED.load(Ordering::SeqCst) == libc::SIGINT && r.outcome == StepOutcome::Failed {
                    self.interrupted(r);
                } else if !silent {
                    self.show_result(r);
                }
            }
            Event::ReplayFailed { step, target, .. } => {
                let text = format!("  {}\n", t!("replay-failed", step = step.to_string(), target = target.to_string()));
                self.say(&text, "    ");
            }
            Event::LabReset { step, .. } => {
                let n = self.lesson.step(step).map_or(1, |s| s.number);
                for s in self.statuses.iter_mut().skip(n - 1) {
                    *s = Status::NotRun;
                }
                let text = format!("\n{} {}\n", self.st(Style::new().cyan().bold()).apply_to("↺"), t!("back-to", number = n));
                self.print(&text);
            }
            Event::Recorded { path, count, .. } => {
                let text = format!("{}\n", t!("recorded", count = *count, path = path.to_string()));
                self.print(&text);
            }
            Event::LessonFinished { quit, interrupted, .. } => {
                self.disarm();
                if self.resume_at.is_none() && self.open_lesson.is_none() {
                    self.finish(*quit, *interrupted);
                }
            }
        }
    }

    fn attended(&self) -> bool {
        true
    }

    fn before_step(&mut self, lesson: &Lesson, step: &Step) -> Decision {
        let i = self.index(step);
        self.current = Some(i);
        if let Some(t) = self.skip_until {
            if i < t {
                return Decision::Skip;
            }
            self.skip_until = None;
        }
        let width = self.width();
        let prose = markdown::render(lesson.prose(step), width, self.color);
        if !prose.trim().is_empty() && !self.print(&format!("\n{prose}")) {
            return Decision::Quit;
        }
        let mut card = card::step_card(lesson, step, width, self.color, false);
        // On a short terminal the card must still fit above the prompt.
        if card.lines().count() >= self.screen.room() {
            card = card::step_card(lesson, step, width, self.color, true);
        }
        if !self.print_whole(&format!("\n{card}")) {
            return Decision::Quit;
        }
        let prompt = Prompt::BeforeStep { exercise: step.kind == StepKind::Exercise };
        let mut hints = step.hints.iter();
        loop {
            let key = self.ask(&self.reminder(prompt));
            let Some(action) = keys::action(prompt, key) else { continue };
            match action {
                Action::Run => {
                    self.arm(step);
                    return Decision::Run;
                }
                Action::Skip => return Decision::Skip,
                other => {
                    if let Some(d) = self.common(other, i, prompt, &mut hints, &step.hints) {
                        return d;
                    }
                }
            }
        }
    }

    fn after_failure(&mut self, _lesson: &Lesson, step: &Step, result: &StepResult) -> Decision {
        if let Some(d) = self.pending.take() {
            if matches!(d, Decision::Run) {
                self.arm(step);
            }
            return d;
        }
        self.screen.reset();
        let i = self.index(step);
        let prompt = Prompt::AfterFailure { exercise: step.kind == StepKind::Exercise };
        let all = result.hints.clone();
        let mut hints = all.iter();
        loop {
            let key = self.ask(&self.reminder(prompt));
            let Some(action) = keys::action(prompt, key) else { continue };
            match action {
                Action::Run => {
                    self.arm(step);
                    return Decision::Run;
                }
                Action::Skip => return Decision::Skip,
                Action::Solution => {
                    let solution = step.exercise.as_ref().map_or("", |e| e.solution.as_str());
                    let code = self.st(Style::new().cyan());
                    let text: String = std::iter::once(format!("  {}\n", t!("solution-label")))
                        .chain(solution.lines().map(|l| format!("    {}\n", code.apply_to(l))))
                        .collect();
                    self.print(&text);
                }
                other => {
                    if let Some(d) = self.common(other, i, prompt, &mut hints, &all) {
                        return d;
                    }
                }
            }
        }
    }

    fn unmet(&mut self, lesson: &Lesson, step: &Step, why: &SkipReason) -> Decision {
        let i = self.index(step);
        if self.skip_until.is_some_and(|t| i < t) {
            return Decision::Skip;
        }
        let SkipReason::Needs { step: setup, .. } = why else { return Decision::Skip };
        let setup_step = lesson.step(setup);
        let n = setup_step.map_or(0, |s| s.number);
        let text = format!(
            "\n{} {}\n",
            self.st(Style::new().yellow().bold()).apply_to("!"),
            t!("unmet", number = step.number, title = step.display_title().to_string(), why = why.to_string())
        );
        if !self.say(&text, "  ") {
            return Decision::Quit;
        }
        if !self.say(&format!("  {}\n", t!("unmet-offer", number = n, setup = setup.as_str())), "  ") {
            return Decision::Quit;
        }
        let reminder = t!("keys-unmet", setup = setup.as_str());
        let mut hints = [].iter();
        loop {
            let key = self.ask(&reminder);
            let action = match key {
                Key::Enter => Some(Action::Run),
                Key::Char('s' | 'S') => Some(Action::Skip),
                other => keys::action(Prompt::BeforeStep { exercise: false }, other),
            };
            match action {
                Some(Action::Run) => {
                    self.setup_run = setup_step.map(|s| s.number - 1);
                    if let Some(s) = setup_step {
                        self.arm(s);
                    }
                    return Decision::Run;
                }
                Some(Action::Skip) => return Decision::Skip,
                Some(other) => {
                    if let Some(d) = self.common(other, i, Prompt::BeforeStep { exercise: false }, &mut hints, &[]) {
                        return d;
                    }
                }
                None => {}
            }
        }
    }
}

/// Between two lessons at the terminal: names the next one and asks; false
/// when the learner stops here (or the terminal is gone).
pub fn next_lesson(next: &Lesson, color: bool) -> bool {
    let title = Style::new().bold().force_styling(color).apply_to(&next.meta.title);
    let mut screen = Screen::new(std::io::stdout(), || keys::read_key(&INTERRUPTED), keys::size, color);
    let _ = screen.print(&format!("\n{}", t!("next-lesson", title = title.to_string(), id = next.meta.id.as_str())));
    loop {
        match screen.ask(&t!("keys-next-lesson")) {
            Key::Enter | Key::Space => return true,
            Key::Char('q' | 'Q') | Key::Escape | Key::Interrupted => return false,
            Key::HangUp => {
                hang_up_here();
                return false;
            }
            _ => {}
        }
    }
}

/// The terminal went away while the coordinator itself was asking.
fn hang_up_here() {
    INTERRUPTED.compare_exchange(0, libc::SIGHUP, Ordering::SeqCst, Ordering::SeqCst).ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RunOptions;
    use crate::run::driver::LessonRun;
    use crate::run::fake::FakeLab;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Drives `text` through a made-up lab with `keys` pressed in turn (then
    /// `q`); returns what the screen showed and the face.
    fn run(text: &str, keys: &[Key]) -> (String, Option<String>) {
        let lesson = crate::lesson::parse_lesson(text, std::path::Path::new("t.md")).unwrap();
        let out = Shared::default();
        let queue = Rc::new(RefCell::new(keys.iter().copied().collect::<VecDeque<Key>>()));
        let q = queue.clone();
        let screen = Screen::new(out.clone(), move || q.borrow_mut().pop_front().unwrap_or(Key::Char('q')), || (80, 200), false);
        let mut face = TerminalFace::with_screen(&lesson, screen, false);
        let mut run = LessonRun::new(&lesson, FakeLab::new(), RunOptions { interactive: true, ..RunOptions::default() });
        run.drive(&mut face);
        run.finish(&mut |e| face.event(&e));
        assert!(queue.borrow().is_empty(), "keys left unread: {:?}", queue.borrow());
        let shown = String::from_utf8(out.0.borrow().clone()).unwrap();
        (shown, face.resume_at.clone())
    }

    const TWO: &str = "---\nid: t\ntitle: T\n---\n\n# T\n\nIntro **prose** for step one.\n\n```nslab\nid: one\nrun: echo hi\nexpect: stdout: hi\n```\n\nBetween text.\n\n```nslab\nid: two\nrun: echo one\nexpect: stdout: two\n```\n\n## What you learned\n\n- closing words\n";

    /// The positions of `parts` in `text`, each after the one before.
    fn in_order(text: &str, parts: &[&str]) {
        let mut at = 0;
        for part in parts {
            match text[at..].find(part) {
                Some(p) => at += p + part.len(),
                None => panic!("{part:?} is not after what came before in:\n{text}"),
            }
        }
    }

    #[test]
    fn prose_then_card_then_prompt_and_the_closing_words_last() {
        let (shown, _) = run(TWO, &[Key::Enter, Key::Enter, Key::Enter]);
        in_order(
            &shown,
            &[
                "Intro prose for step one.",
                "── Step 1 of 2",
                "$ echo hi",
                "• stdout is `hi`",
                "[Enter] run",
                "✔ stdout is `hi`",
                "Between text.",
                "── Step 2 of 2",
                "[Enter] run",
                "✘ stdout is `two`",
                "[r] retry",
                "What you learned",
                "• closing words",
                "1 passed, 1 failed, 0 skipped",
            ],
        );
    }

    #[test]
    fn back_ends_the_worker_to_start_over_at_the_previous_step() {
        let (shown, resume) = run(TWO, &[Key::Enter, Key::Char('b')]);
        assert_eq!(resume.as_deref(), Some("one"));
        assert!(!shown.contains("Stopped at step") && !shown.contains("What you learned"), "{shown}");
        // At the first step there is nowhere to go back to.
        let (shown, resume) = run(TWO, &[Key::Char('b'), Key::Char('q')]);
        assert_eq!(resume, None);
        assert!(shown.contains("this is the first step"), "{shown}");
    }

    #[test]
    fn a_skipped_setup_is_offered_and_run_when_needed() {
        let text = "---\nid: t\ntitle: T\n---\n\n```nslab\nid: start-box\nstart box: uts\nexpect: box uts differs from host\n```\n\n```nslab\nid: in-box\nrun in box: echo hi\nexpect: stdout: hi\n```\n";
        let (shown, _) = run(text, &[Key::Char('s'), Key::Enter, Key::Enter]);
        in_order(
            &shown,
            &[
                "skipped: skipped by the learner",
                "step 2 (in-box) depends on box",
                "[Enter] run start-box first",
                "✔ ran step 1 (start-box)",
                "── Step 2 of 2",
                "✔ stdout is `hi`",
                "2 passed, 0 failed, 0 skipped",
            ],
        );
    }

    /// A Chinese lesson at 80 columns, with the interface in Chinese: the
    /// prose, the cards, the verdicts, the picture and the summary. Every line
    /// fits in 80 columns of display width (a wide character is two), and the
    /// picture's columns line up under their kinds whatever the width of the
    /// names before them.
    #[test]
    fn a_chinese_lesson_at_80_columns() {
        let text = include_str!("../../tests/fixtures/render/zh-uts.md");
        let keys = [Key::Enter, Key::Enter, Key::Enter, Key::Enter, Key::Char('h'), Key::Char('?'), Key::Enter];
        let (shown, _) = crate::i18n::with_lang(crate::i18n::Lang::Zh, || run(text, &keys));
        insta::assert_snapshot!(shown);
        for line in shown.lines() {
            assert!(console::measure_text_width(line) <= 80, "wider than 80 columns: {line:?}");
        }
        in_order(
            &shown,
            &[
                "── 第 1 步，共 4 步",
                "然后 nslab 检查：",
                "• box 的 uts 命名空间与实验环境的不同",
                "[Enter] 运行  [s] 跳过",
                "✔ box 的 uts 命名空间与实验环境的不同",
                "谁在哪个命名空间里",
                "✔ box 的 uts 命名空间持久化在 keep-uts",
                "✔ stdout 是 `你好，世界`",
                "✘ stdout 是 `box`",
                "实际看到：stdout 是：",
                "✘ 实验环境的 uts 命名空间改变了",
                "提示：实验环境的主机名还是 lab",
                "[r] 重试  [Enter] 继续",
                "提示：实验环境的主机名还是 lab",
                "再运行一次这一步",
                "你学到了什么",
                "── UTS 命名空间：主机名 —— 结束",
                "通过 3，失败 1，跳过 0",
                "第 4 步（wrong）：失败",
            ],
        );
        // The picture: each mark sits under its kind's name (a `*` may hang
        // one column after), whatever the display width of the names before.
        let lines: Vec<&str> = shown.lines().collect();
        let kinds = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];
        let mut tables = 0;
        for (i, header) in lines.iter().enumerate().filter(|(_, l)| l.trim_start().starts_with("cgroup ipc")) {
            tables += 1;
            let spans: Vec<(usize, usize)> = kinds
                .iter()
                .map(|k| {
                    let at = console::measure_text_width(&header[..header.find(&format!(" {k}")).unwrap() + 1]);
                    (at, at + k.len())
                })
                .collect();
            for row in lines[i + 1..].iter().take_while(|l| !l.is_empty() && !l.starts_with("A ")) {
                let mut at = 0;
                for c in row.chars() {
                    let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    if at >= spans[0].0 && c != ' ' {
                        assert!(spans.iter().any(|(a, b)| at >= *a && at <= *b), "{row:?}: {c:?} at column {at} is under no kind\n{header}");
                    } else if at < spans[0].0 {
                        assert!(at + w < spans[0].0 || c == ' ', "{row:?}: the name runs into the cells");
                    }
                    at += w;
                }
            }
        }
        assert!(tables >= 3, "the picture after each namespace step:\n{shown}");
    }

    #[test]
    fn hints_help_and_the_list_answer_without_running() {
        let (shown, _) = run(TWO, &[Key::Char('h'), Key::Char('?'), Key::Char('l'), Key::Other, Key::Char('q')]);
        in_order(&shown, &["(this step has no hint)", "back one step", "▶· 1 one"]);
        assert!(shown.contains("Stopped at step 1 of 2"), "{shown}");
    }
}
