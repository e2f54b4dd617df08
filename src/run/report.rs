//! Results are data; this module renders them: the human report (with the
//! namespace table), JSON Lines events, and JUnit XML.

use std::fmt::Write as _;
use std::io::Write;

use console::Style;
use serde::Serialize;

use super::exec::CommandResult;
use super::observe::Snapshot;
use super::verify::Verdict;
use crate::ns::{NsId, NsKind};

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum StepOutcome {
    /// Every expectation held.
    Passed,
    /// Some expectation failed, or the action could not be performed.
    Failed,
    /// Not run, and why.
    Skipped(String),
}

/// One step's result, as data.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The step's id.
    pub step: String,
    /// Its 1-based number.
    pub number: usize,
    /// Its title, or its id.
    pub title: String,
    /// The action, as written.
    pub action: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: StepOutcome,
    /// The action's error, if it could not be performed.
    pub error: Option<String>,
    /// Each expectation's verdict.
    pub verdicts: Vec<Verdict>,
    /// The command's result, for command steps.
    pub command: Option<CommandResult>,
    /// The namespaces observed before the step.
    #[serde(skip)]
    pub before: Option<Snapshot>,
    /// The namespaces observed after the step.
    pub observed: Option<Snapshot>,
    /// Hints of the step, shown on failure.
    #[serde(skip)]
    pub hints: Vec<String>,
    /// Output to show the learner (an lsns listing).
    #[serde(skip)]
    pub display: Option<String>,
    /// How long the step took, in milliseconds.
    pub duration_ms: u64,
    /// nslab's own share of the step, in microseconds: the whole step minus
    /// the time its command ran (for benchmarks).
    pub overhead_us: u64,
}

impl StepResult {
    /// A result for `step` with `outcome` and nothing observed yet.
    pub fn new(step: &crate::lesson::Step, outcome: StepOutcome) -> StepResult {
        StepResult {
            step: step.id.clone(),
            number: step.number,
            title: step.display_title().to_string(),
            action: step.action.value.to_string(),
            outcome,
            error: None,
            verdicts: Vec::new(),
            command: None,
            before: None,
            observed: None,
            hints: step.hints.clone(),
            display: None,
            duration_ms: 0,
            overhead_us: 0,
        }
    }
}

/// A lesson's result, as data (sent from the worker to the coordinator).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct LessonResult {
    /// The lesson's id.
    pub lesson: String,
    /// Its title.
    pub title: String,
    /// The file it came from.
    pub path: String,
    /// Per step: id, outcome word, failure text.
    pub steps: Vec<StepSummary>,
    /// Why it could not run on this machine, if so.
    pub cannot_run: Option<String>,
    /// True when the run was interrupted (SIGINT/SIGTERM).
    pub interrupted: bool,
    /// True when the learner quit.
    pub quit: bool,
    /// Total time, in milliseconds.
    pub duration_ms: u64,
    /// The worker's peak resident memory, in KiB.
    #[serde(default)]
    pub worker_peak_kib: u64,
}

/// One step, as the coordinator needs it for JUnit and progress.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StepSummary {
    /// The step's id.
    pub id: String,
    /// "passed", "failed" or "skipped".
    pub outcome: String,
    /// What failed, or why it was skipped.
    pub message: Option<String>,
    /// Time taken, in milliseconds.
    pub duration_ms: u64,
}

impl LessonResult {
    /// Counts of passed, failed and skipped steps.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |w: &str| self.steps.iter().filter(|s| s.outcome == w).count();
        (n("passed"), n("failed"), n("skipped"))
    }
}

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

    fn json(&mut self, value: serde_json::Value) {
        let _ = writeln!(self.out, "{value}");
        let _ = self.out.flush();
    }

    /// Writes raw text (human format only).
    pub fn text(&mut self, text: &str) {
        if self.format == Format::Human {
            let _ = self.out.write_all(text.as_bytes());
            let _ = self.out.flush();
        }
    }

    /// A lesson begins.
    pub fn lesson_started(&mut self, id: &str, title: &str, path: &str, steps: usize) {
        match self.format {
            Format::Json => self.json(serde_json::json!({"event": "lesson_started", "lesson": id, "title": title, "path": path, "steps": steps})),
            Format::Human => {
                let head = self.style(Style::new().bold()).apply_to(title.to_string());
                let _ = writeln!(self.out, "\n{head}  ({id}, {steps} steps)");
            }
        }
    }

    /// A step begins.
    pub fn step_started(&mut self, lesson: &str, number: usize, total: usize, id: &str, title: &str, action: &str) {
        match self.format {
            Format::Json => {
                self.json(serde_json::json!({"event": "step_started", "lesson": lesson, "step": id, "number": number, "title": title, "action": action}))
            }
            Format::Human => {
                let arrow = self.style(Style::new().cyan().bold()).apply_to("▶");
                let _ = writeln!(self.out, "\n{arrow} [{number}/{total}] {title}");
                let act = self.style(Style::new().dim()).apply_to(action);
                let _ = writeln!(self.out, "  {act}");
            }
        }
    }

    /// A step ended.
    pub fn step_finished(&mut self, lesson: &str, r: &StepResult) {
        if self.format == Format::Json {
            let word = match r.outcome {
                StepOutcome::Passed => "step_passed",
                StepOutcome::Failed => "step_failed",
                StepOutcome::Skipped(_) => "step_skipped",
            };
            let mut obj = serde_json::Map::new();
            obj.insert("event".into(), word.into());
            obj.insert("lesson".into(), lesson.into());
            if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(r) {
                obj.extend(fields);
            }
            self.json(serde_json::Value::Object(obj));
            return;
        }
        let text = self.human_step(r);
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    fn human_step(&self, r: &StepResult) -> String {
        let mut s = String::new();
        let ok = self.style(Style::new().green());
        let bad = self.style(Style::new().red().bold());
        let dim = self.style(Style::new().dim());
        if let StepOutcome::Skipped(why) = &r.outcome {
            let _ = writeln!(s, "  {} skipped: {why}", self.style(Style::new().yellow()).apply_to("↷"));
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
                    let _ = writeln!(s, "    {}", dim.apply_to(format!("│ … {} more lines", total - max)));
                }
            };
            shown(&c.stdout, 40, &mut s);
            shown(&c.stderr, 20, &mut s);
            if c.dropped_bytes > 0 {
                let _ = writeln!(s, "    {}", dim.apply_to(format!("│ … and {} more bytes, not kept", c.dropped_bytes)));
            }
            if c.timed_out {
                let _ = writeln!(s, "  {} the command timed out after {:.1} s and was killed", bad.apply_to("⏱"), c.elapsed.as_secs_f64());
            }
        }
        if let Some(err) = &r.error {
            let _ = writeln!(s, "  {} the action failed: {err}", bad.apply_to("✘"));
        }
        for v in &r.verdicts {
            if v.holds {
                let _ = writeln!(s, "  {} {}", ok.apply_to("✔"), v.expected);
            } else {
                let _ = writeln!(s, "  {} {}", bad.apply_to("✘"), v.expected);
                let mut lines = v.observed.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(s, "      observed: {first}");
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
            let _ = writeln!(s, "  {} {h}", self.style(Style::new().yellow()).apply_to("hint:"));
        }
        s
    }

    /// The process × kind table: each cell is the namespace's short id (the
    /// inode's last four digits), or `host` where it is the host's; cells that
    /// changed during the step are marked with `*`.
    pub fn table(&self, before: &Snapshot, after: &Snapshot) -> String {
        let rows = table_rows(before, after);
        let name_w = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(4).max(4);
        let mut s = String::new();
        let head = self.style(Style::new().dim());
        let mut header = format!("    {:name_w$}", "");
        for k in NsKind::ALL {
            let _ = write!(header, " {:<6}", k.name());
        }
        let _ = writeln!(s, "{}", head.apply_to(header.trim_end()));
        let mark = self.style(Style::new().yellow().bold());
        for row in rows {
            let mut line = format!("    {:name_w$}", row.name);
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

    /// A lesson ended.
    pub fn lesson_finished(&mut self, r: &LessonResult) {
        let (passed, failed, skipped) = r.counts();
        match self.format {
            Format::Json => self.json(serde_json::json!({
                "event": "lesson_finished", "lesson": r.lesson, "passed": passed, "failed": failed,
                "skipped": skipped, "interrupted": r.interrupted, "duration_ms": r.duration_ms,
            })),
            Format::Human => {
                let summary = format!("{passed} passed, {failed} failed, {skipped} skipped");
                let style = if failed > 0 { Style::new().red().bold() } else { Style::new().green().bold() };
                let _ = writeln!(self.out, "\n{}: {}", r.lesson, self.style(style).apply_to(summary));
            }
        }
    }

    /// A lesson that cannot run here.
    pub fn cannot_run(&mut self, lesson: &str, reason: &str) {
        match self.format {
            Format::Json => self.json(serde_json::json!({"event": "lesson_cannot_run", "lesson": lesson, "reason": reason})),
            Format::Human => {
                let _ = writeln!(self.out, "\n{lesson}: cannot run here: {reason}");
            }
        }
    }
}

/// One row of the process × kind table: `host`, then each named process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableRow {
    /// `host` or the process's name.
    pub name: String,
    /// One cell per kind, in [`NsKind::ALL`] order.
    pub cells: Vec<TableCell>,
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableCell {
    /// The namespace's short id (the inode's last four digits), `host` where
    /// it is the host's, `-` where there is none.
    pub text: String,
    /// True when it changed during the step.
    pub changed: bool,
}

/// The process × kind table as data, for the terminal and for `nslab serve`'s page.
pub fn table_rows(before: &Snapshot, after: &Snapshot) -> Vec<TableRow> {
    let short = |id: Option<NsId>| id.map_or("-".to_string(), |id| format!("{:04}", id.ino % 10000));
    let mut rows = Vec::new();
    let host_cells = NsKind::ALL.iter().map(|&k| TableCell { text: short(after.host.get(k)), changed: before.host.get(k) != after.host.get(k) }).collect();
    rows.push(TableRow { name: "host".into(), cells: host_cells });
    for (name, view) in &after.processes {
        // A process new in this step is compared with where it came from:
        // the host (or the process it was started in, which the host
        // approximates well enough for marking cells).
        let was = before.processes.get(name).and_then(|v| v.as_ref()).unwrap_or(&before.host);
        let cells = NsKind::ALL
            .iter()
            .map(|&k| {
                let now = view.as_ref().and_then(|v| v.get(k));
                let text = if now.is_some() && now == after.host.get(k) { "host".to_string() } else { short(now) };
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
            match step.outcome.as_str() {
                "failed" => {
                    let _ = writeln!(s, ">\n      <failure message=\"expectation failed\">{msg}</failure>\n    </testcase>");
                }
                "skipped" => {
                    let _ = writeln!(s, ">\n      <skipped message=\"{msg}\"/>\n    </testcase>");
                }
                _ => {
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

    #[test]
    fn junit_escapes_and_counts() {
        let r = LessonResult {
            lesson: "uts".into(),
            steps: vec![
                StepSummary { id: "a".into(), outcome: "passed".into(), message: None, duration_ms: 5 },
                StepSummary { id: "b".into(), outcome: "failed".into(), message: Some("x < y & \"z\"".into()), duration_ms: 5 },
                StepSummary { id: "c".into(), outcome: "skipped".into(), message: Some("depends on b".into()), duration_ms: 0 },
            ],
            ..LessonResult::default()
        };
        let xml = junit(&[r]);
        assert!(xml.contains("tests=\"3\" failures=\"1\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("x &lt; y &amp; &quot;z&quot;"), "{xml}");
        assert!(xml.contains("<skipped message=\"depends on b\"/>"), "{xml}");
    }
}
