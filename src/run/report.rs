//! The driver's events are data ([`super::event`]); this module renders
//! them: the human report (with the namespace table), JSON Lines (each event's
//! serde form, one a line), and JUnit XML (from the lessons' results).

use std::fmt::Write as _;
use std::io::Write;

use console::Style;
use serde::Serialize;

pub use super::event::{Event, LessonResult, OutcomeKind, StepOutcome, StepResult, StepSummary};
use super::observe::Snapshot;
use crate::ns::{NsId, NsKind};
use crate::t;

/// Where events go, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Words, colours and tables for people.
    Human,
    /// One JSON object per line, for programs.
    Json,
}

/// Renders events to a writer.
pub struct Reporter<W: Write> {
    out: W,
    format: Format,
    color: bool,
}

impl<W: Write> Reporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W, format: Format, color: bool) -> Self {
        Reporter { out, format, color }
    }

    /// The output format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether human output is coloured.
    pub fn color(&self) -> bool {
        self.color
    }

    fn style(&self, s: Style) -> Style {
        if self.color { s.force_styling(true) } else { s.force_styling(false) }
    }

    /// Renders one event: its serde form on a line (JSON), or words.
    /// Fails when the output cannot be written (a closed pipe).
    pub fn event(&mut self, event: &Event) -> std::io::Result<()> {
        match self.format {
            Format::Json => {
                let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
                writeln!(self.out, "{line}")?;
            }
            Format::Human => {
                let text = self.human(event);
                self.out.write_all(text.as_bytes())?;
            }
        }
        self.out.flush()
    }

    /// An event in words.
    pub fn human(&self, event: &Event) -> String {
        let mut s = String::new();
        match event {
            Event::LessonStarted { lesson, title, steps, .. } => {
                let head = self.style(Style::new().bold()).apply_to(title.to_string());
                let _ = writeln!(s, "\n{head}  {}", t!("report-lesson-started", id = lesson.as_str(), steps = *steps));
            }
            Event::LessonCannotRun { lesson, reason } => {
                let _ = writeln!(s, "\n{}", t!("lesson-cannot-run", id = lesson.as_str(), reason = reason.as_str()));
            }
            Event::StepStarted { number, total, title, action, .. } => {
                let arrow = self.style(Style::new().cyan().bold()).apply_to("▶");
                let _ = writeln!(s, "\n{arrow} [{number}/{total}] {title}");
                let act = self.style(Style::new().dim()).apply_to(action);
                let _ = writeln!(s, "  {act}");
            }
            Event::StepPassed(r) | Event::StepFailed(r) | Event::StepSkipped(r) => s = self.human_step(&r.result),
            Event::ReplayFailed { step, target, .. } => {
                let _ = writeln!(s, "{}", t!("report-replay-failed", step = step.as_str(), target = target.as_str()));
            }
            Event::LabReset { step, .. } => {
                let _ = writeln!(s, "\n{}", t!("report-back-to", step = step.as_str()));
            }
            Event::Recorded { path, count, .. } => {
                let _ = writeln!(s, "{}", t!("recorded", count = *count, path = path.as_str()));
            }
            Event::LessonFinished { lesson, passed, failed, skipped, .. } => {
                let summary = t!("counts", passed = *passed, failed = *failed, skipped = *skipped);
                let style = if *failed > 0 { Style::new().red().bold() } else { Style::new().green().bold() };
                let _ = writeln!(s, "\n{lesson}: {}", self.style(style).apply_to(summary));
            }
        }
        s
    }

    fn human_step(&self, r: &StepResult) -> String {
        let mut s = String::new();
        let ok = self.style(Style::new().green());
        let bad = self.style(Style::new().red().bold());
        let dim = self.style(Style::new().dim());
        if let StepOutcome::Skipped(why) = &r.outcome {
            let _ = writeln!(s, "  {} {}", self.style(Style::new().yellow()).apply_to("↷"), t!("report-skipped", why = why.to_string()));
            return s;
        }
        if let Some(display) = &r.display {
            for line in display.lines() {
                let _ = writeln!(s, "    {line}");
            }
        }
        if let Some(c) = &r.command {
            let shown = |text: &str, max: usize, s: &mut String| {
                let total = text.lines().count();
                for line in text.lines().take(max) {
                    let line: String = if line.chars().count() > 160 { line.chars().take(160).chain(['…']).collect() } else { line.to_string() };
                    let _ = writeln!(s, "    {}", dim.apply_to(format!("│ {line}")));
                }
                if total > max {
                    let _ = writeln!(s, "    {}", dim.apply_to(format!("│ … {}", t!("more-lines", count = total - max))));
                }
            };
            shown(&c.stdout, 40, &mut s);
            shown(&c.stderr, 20, &mut s);
            if c.dropped_bytes > 0 {
                let _ = writeln!(s, "    {}", dim.apply_to(format!("│ … {}", t!("more-bytes", count = c.dropped_bytes))));
            }
            if c.timed_out {
                let _ = writeln!(s, "  {} {}", bad.apply_to("⏱"), t!("timed-out-killed", seconds = format!("{:.1}", c.elapsed.as_secs_f64())));
            }
        }
        if let Some(err) = &r.error {
            let _ = writeln!(s, "  {} {}", bad.apply_to("✘"), crate::i18n::labelled(&t!("action-failed"), err));
        }
        for v in &r.verdicts {
            if v.holds() {
                let _ = writeln!(s, "  {} {}", ok.apply_to("✔"), v.expected);
            } else {
                let (mark, label) = if v.is_unknown() { ("?", t!("unknown-label")) } else { ("✘", t!("observed-label")) };
                let _ = writeln!(s, "  {} {}", bad.apply_to(mark), v.expected);
                let mut lines = v.observed.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(s, "      {}", crate::i18n::labelled(&label, first));
                }
                for line in lines.take(20) {
                    let _ = writeln!(s, "        {line}");
                }
            }
        }
        if let (Some(before), Some(after)) = (&r.before, &r.observed) {
            s.push_str(&self.table(before, after));
        }
        if r.outcome == StepOutcome::Failed
            && let Some(h) = r.hints.first()
        {
            let label = t!("hint-label");
            let _ = writeln!(s, "  {}{}{h}", self.style(Style::new().yellow()).apply_to(&label), if label.ends_with('：') { "" } else { " " });
        }
        s
    }

    /// The process × kind table: each cell is the namespace's short id (the
    /// inode's last four digits), or `host` where it is the host's; cells that
    /// changed during the step are marked with `*`.
    pub fn table(&self, before: &Snapshot, after: &Snapshot) -> String {
        let rows = table_rows(before, after);
        let name_w = rows.iter().map(|r| console::measure_text_width(&r.name)).max().unwrap_or(4).max(4);
        let mut s = String::new();
        let head = self.style(Style::new().dim());
        let mut header = format!("    {:name_w$}", "");
        for k in NsKind::ALL {
            let _ = write!(header, " {:<6}", k.name());
        }
        let _ = writeln!(s, "{}", head.apply_to(header.trim_end()));
        let mark = self.style(Style::new().yellow().bold());
        for row in rows {
            // Padded by display width: a wide character takes two columns.
            let mut line = format!("    {}{}", row.name, " ".repeat(name_w - console::measure_text_width(&row.name)));
            for TableCell { text, changed } in row.cells {
                let cell = if changed { format!("{text}*") } else { text };
                let padded = format!(" {cell:<6}");
                if changed {
                    let _ = write!(line, "{}", mark.apply_to(padded));
                } else {
                    line.push_str(&padded);
                }
            }
            let _ = writeln!(s, "{}", line.trim_end());
        }
        s
    }
}

/// One row of the process × kind table: `host`, then each named process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableRow {
    /// `lab` or the process's name.
    pub name: String,
    /// One cell per kind, in [`NsKind::ALL`] order.
    pub cells: Vec<TableCell>,
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableCell {
    /// The namespace's short id (the inode's last four digits), `lab` where
    /// it is the lab's, `-` where there is none.
    pub text: String,
    /// True when it changed during the step.
    pub changed: bool,
}

/// The process × kind table as data, for the terminal and for `nslab serve`'s page.
pub fn table_rows(before: &Snapshot, after: &Snapshot) -> Vec<TableRow> {
    let short = |id: Option<NsId>| id.map_or("-".to_string(), |id| format!("{:04}", id.ino % 10000));
    let mut rows = Vec::new();
    let empty = crate::ns::NsView::default();
    let (host_before, host_after) = (before.host_view().unwrap_or(&empty), after.host_view().unwrap_or(&empty));
    let host_cells = NsKind::ALL.iter().map(|&k| TableCell { text: short(host_after.get(k)), changed: host_before.get(k) != host_after.get(k) }).collect();
    rows.push(TableRow { name: "lab".into(), cells: host_cells });
    for name in after.processes.keys() {
        // A process new in this step is compared with where it came from:
        // the host (or the process it was started in, which the host
        // approximates well enough for marking cells).
        let was = before.process_view(name).unwrap_or(host_before);
        let view = after.process_view(name);
        let cells = NsKind::ALL
            .iter()
            .map(|&k| {
                let now = view.and_then(|v| v.get(k));
                let text = if now.is_some() && now == host_after.get(k) { "lab".to_string() } else { short(now) };
                TableCell { text, changed: was.get(k) != now }
            })
            .collect();
        rows.push(TableRow { name: name.clone(), cells });
    }
    rows
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes the JUnit report of `results` at `path`, atomically: a reader
/// sees the old file or the whole new one.
pub fn write_junit(path: &std::path::Path, results: &[LessonResult]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(junit(results).as_bytes())?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A JUnit XML report: one test suite per lesson, one test case per step.
pub fn junit(results: &[LessonResult]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nslab\">\n");
    for r in results {
        let (_, failed, skipped) = r.counts();
        let failures = failed + usize::from(r.cannot_run.is_some());
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            xml_escape(&r.lesson),
            r.steps.len().max(1),
            r.duration_ms as f64 / 1000.0
        );
        if let Some(reason) = &r.cannot_run {
            let _ = writeln!(
                s,
                "    <testcase classname=\"{0}\" name=\"{0}\">\n      <failure message=\"cannot run here\">{1}</failure>\n    </testcase>",
                xml_escape(&r.lesson),
                xml_escape(reason)
            );
        }
        for step in &r.steps {
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(&r.lesson),
                xml_escape(&step.id),
                step.duration_ms as f64 / 1000.0
            );
            let msg = xml_escape(step.message.as_deref().unwrap_or(""));
            match step.outcome {
                OutcomeKind::Failed => {
                    let _ = writeln!(s, ">\n      <failure message=\"expectation failed\">{msg}</failure>\n    </testcase>");
                }
                OutcomeKind::Skipped => {
                    let _ = writeln!(s, ">\n      <skipped message=\"{msg}\"/>\n    </testcase>");
                }
                OutcomeKind::Passed => {
                    let _ = writeln!(s, "/>");
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_step() -> StepResult {
        use crate::run::verify::{Truth, Verdict};
        StepResult {
            step: "gone".into(),
            number: 2,
            title: "Gone".into(),
            action: "stop box".into(),
            outcome: StepOutcome::Failed,
            error: None,
            verdicts: vec![
                Verdict { expected: "the box is stopped".into(), truth: Truth::Holds, observed: "yes".into() },
                Verdict { expected: "@old is gone from lsns".into(), truth: Truth::Unknown, observed: "cannot tell: the scan of /proc failed".into() },
            ],
            command: None,
            before: None,
            observed: None,
            hints: vec!["look again".into()],
            display: None,
            duration_ms: 1,
            overhead_us: 1,
        }
    }

    #[test]
    fn an_unknown_verdict_reads_as_unknown_never_as_held() {
        let r = Reporter::new(Vec::new(), Format::Human, false);
        let text = r.human(&Event::step_finished("l", failed_step()));
        assert!(text.contains("  ✔ the box is stopped\n"), "{text}");
        assert!(text.contains("  ? @old is gone from lsns\n      unknown: cannot tell: the scan of /proc failed"), "{text}");
        assert!(text.contains("hint: look again"), "{text}");
        assert!(failed_step().failure_text().contains("unknown: cannot tell"), "{}", failed_step().failure_text());
    }

    #[test]
    fn json_lines_are_each_events_serde_form() {
        let mut r = Reporter::new(Vec::new(), Format::Json, false);
        let events = [
            Event::LessonStarted { lesson: "l".into(), title: "L".into(), path: "l.md".into(), steps: 2 },
            Event::step_finished("l", failed_step()),
            Event::LessonFinished { lesson: "l".into(), passed: 0, failed: 1, skipped: 0, interrupted: false, quit: false, duration_ms: 3 },
        ];
        for e in &events {
            r.event(e).unwrap();
        }
        let text = String::from_utf8(r.out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        for (line, e) in lines.iter().zip(&events) {
            assert_eq!(*line, serde_json::to_string(e).unwrap());
            let back: Event = serde_json::from_str(line).unwrap();
            assert_eq!(back.lesson(), "l");
        }
        assert!(lines[1].starts_with(r#"{"event":"step_failed","lesson":"l","step":"gone""#), "{}", lines[1]);
    }

    #[test]
    fn a_closed_output_is_an_error() {
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut r = Reporter::new(Closed, Format::Json, false);
        let e = r.event(&Event::LessonCannotRun { lesson: "l".into(), reason: "r".into() }).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let r = LessonResult {
            lesson: "uts".into(),
            steps: vec![
                StepSummary { id: "a".into(), outcome: OutcomeKind::Passed, message: None, duration_ms: 5 },
                StepSummary { id: "b".into(), outcome: OutcomeKind::Failed, message: Some("x < y & \"z\"".into()), duration_ms: 5 },
                StepSummary { id: "c".into(), outcome: OutcomeKind::Skipped, message: Some("depends on b".into()), duration_ms: 0 },
            ],
            ..LessonResult::default()
        };
        let xml = junit(&[r]);
        assert!(xml.contains("tests=\"3\" failures=\"1\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("x &lt; y &amp; &quot;z&quot;"), "{xml}");
        assert!(xml.contains("<skipped message=\"depends on b\"/>"), "{xml}");
    }
}
