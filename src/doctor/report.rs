//! The report: data for `--json`, a table for people, and the exit code.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Capability, Check, EXIT_SOME_CANNOT_RUN, Explanation, LessonReport, Outcome, Probe, Requirements, Verdict, Way};
use crate::lesson::Lesson;
use crate::ns::KindSet;

/// Everything `nslab doctor` prints: the probe and the lessons' verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What the probe found.
    #[serde(flatten)]
    pub probe: Probe,
    /// Each lesson's verdicts, in the order given.
    pub lessons: Vec<LessonReport>,
}

impl Report {
    /// A report on `lessons`, each judged by [`Requirements::of`] and `lab`,
    /// what the runner needs around every lesson (its lab's namespaces and
    /// /proc).
    pub fn new(probe: Probe, lessons: &[Lesson], lab: Requirements) -> Report {
        let lessons = lessons.iter().map(|l| LessonReport::new(&l.meta.id, &l.meta.title, &Requirements::of(l).and(lab), &probe)).collect();
        Report { probe, lessons }
    }

    /// 0 when every lesson runs here as the user who ran the probe (or, with
    /// no lessons, when every check of that way works); else
    /// [`EXIT_SOME_CANNOT_RUN`].
    pub fn exit_code(&self) -> i32 {
        let way = self.probe.own_way();
        let ok = if self.lessons.is_empty() {
            self.probe.checks.iter().filter(|c| c.way == way).all(Check::works)
        } else {
            self.lessons.iter().all(|l| *l.verdict(way) == Verdict::Runs)
        };
        if ok { 0 } else { EXIT_SOME_CANNOT_RUN }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report as a short table, coloured when `color` is true.
    pub fn render(&self, color: bool) -> String {
        let p = Paint(color);
        let probe = &self.probe;
        let s = &probe.settings;
        let mut out = String::new();

        let kernel = s.kernel_release.as_deref().map_or("an unknown kernel".to_string(), |r| format!("Linux {r}"));
        let user = match (probe.as_root, s.initial_user_namespace) {
            (true, Some(false)) => "as root in a user namespace",
            (true, _) => "as root",
            (false, _) => "as an unprivileged user",
        };
        let container = s.container.as_ref().map_or(String::new(), |c| format!(", in a container ({}: {})", c.runtime, c.evidence));
        let _ = writeln!(out, "nslab doctor: {kernel}, {user}{container}\n");

        let _ = writeln!(out, "{}", p.bold("Settings"));
        let switch = |v: Option<bool>| v.map_or("absent", |b| if b { "1" } else { "0" }).to_string();
        let settings = [
            ("user.max_user_namespaces", s.max_user_namespaces.map_or("absent".into(), |n| n.to_string())),
            ("kernel.unprivileged_userns_clone", switch(s.unprivileged_userns_clone)),
            ("kernel.apparmor_restrict_unprivileged_userns", switch(s.apparmor_restrict_unprivileged_userns)),
            ("/proc", if s.proc_is_procfs { "procfs".into() } else { "not a procfs".into() }),
            (
                "namespace kinds",
                match s.namespace_kinds {
                    None => "unknown".into(),
                    Some(k) if k == KindSet::ALL => "all eight".into(),
                    Some(k) => format!("only {k}"),
                },
            ),
            ("CAP_SYS_ADMIN", s.cap_sys_admin.map_or("unknown", |c| if c { "yes" } else { "no" }).into()),
            (
                "seccomp",
                match s.seccomp {
                    None => "unknown".into(),
                    Some(0) => "off".into(),
                    Some(1) => "strict".into(),
                    Some(_) => "filter".into(),
                },
            ),
        ];
        let width = settings.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, value) in settings {
            let _ = writeln!(out, "  {key:<width$}  {value}");
        }

        let width = probe.checks.iter().map(|c| c.capability.describe().len()).max().unwrap_or(0).max(10);
        let _ = writeln!(out, "\n{}", p.bold(&format!("{:<w$}  {:<9}  {}", "Capability", Way::AsRoot.label(), Way::Rootless.label(), w = width + 2)));
        for capability in Capability::ALL {
            let mut line = format!("  {:<width$}", capability.describe());
            for way in Way::BOTH {
                let cell = match probe.check(capability, way).map(|c| &c.outcome) {
                    Some(Outcome::Works) => p.green(&format!("{:<9}", "works")),
                    Some(Outcome::Fails { .. }) => p.red(&format!("{:<9}", "FAILS")),
                    Some(Outcome::NotTried { .. }) | None => p.dim(&format!("{:<9}", "not tried")),
                    Some(Outcome::Absent { .. }) => p.dim(&format!("{:<9}", "none")),
                };
                line.push_str("  ");
                line.push_str(&cell);
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }

        for check in probe.checks.iter() {
            if let Outcome::Absent { reason } = &check.outcome {
                let _ = writeln!(out, "\n{} ({}): none: {reason}.", check.name, check.way.label());
            }
        }
        self.render_problems(&mut out, &p);
        self.render_lessons(&mut out, &p);

        if let Some(reason) = probe.checks.iter().find_map(|c| match &c.outcome {
            Outcome::NotTried { reason } => Some(reason),
            _ => None,
        }) {
            let _ = writeln!(out, "\nThe as-root column: not tried, {reason}.");
        }
        if probe.as_root {
            let _ =
                writeln!(out, "\nThe rootless column was tried as root, inside user namespaces; run `nslab doctor` as your own user to try it unprivileged.");
        }
        out
    }

    /// Each distinct explanation once, with the checks it explains; then
    /// failures no setting explains, with their errors.
    fn render_problems(&self, out: &mut String, p: &Paint) {
        let failed: Vec<&Check> = self.probe.checks.iter().filter(|c| c.fails()).collect();
        if failed.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{}", p.bold("Why, and the fix"));
        let mut groups: Vec<(&Explanation, Vec<&Check>)> = Vec::new();
        for check in &failed {
            if let Outcome::Fails { explanation: Some(e), .. } = &check.outcome {
                match groups.iter_mut().find(|(g, _)| *g == e) {
                    Some((_, members)) => members.push(check),
                    None => groups.push((e, vec![check])),
                }
            }
        }
        for (explanation, members) in groups {
            let _ = writeln!(out, "  {}: {}", self.name_checks(&members), explanation.why);
            if let Outcome::Fails { error, .. } = &members[0].outcome {
                let _ = writeln!(out, "    error: {error}");
            }
            let _ = writeln!(out, "    fix:   {}", p.bold(&explanation.fix));
        }
        for check in failed {
            if let Outcome::Fails { error, explanation: None } = &check.outcome {
                let _ = writeln!(out, "  {} ({}): {error}", check.name, check.way.label());
                let _ = writeln!(out, "    no setting explains it");
            }
        }
    }

    /// `every rootless check`, or the checks' names.
    fn name_checks(&self, members: &[&Check]) -> String {
        let mut names = Vec::new();
        for way in Way::BOTH {
            let of_way: Vec<&&Check> = members.iter().filter(|c| c.way == way).collect();
            let tried = self.probe.checks.iter().filter(|c| c.way == way && !matches!(c.outcome, Outcome::NotTried { .. })).count();
            if of_way.len() > 1 && of_way.len() == tried {
                names.push(format!("every {} check", way.label()));
            } else {
                names.extend(of_way.iter().map(|c| format!("{} ({})", c.name, way.label())));
            }
        }
        names.join(", ")
    }

    fn render_lessons(&self, out: &mut String, p: &Paint) {
        if self.lessons.is_empty() {
            return;
        }
        let width = self.lessons.iter().map(|l| l.id.len()).max().unwrap_or(0).max(8);
        let _ = writeln!(out, "\n{}", p.bold(&format!("{:<w$}  {:<9}  {}", "Lessons", Way::AsRoot.label(), Way::Rootless.label(), w = width + 2)));
        let mut reasons = Vec::new();
        for lesson in &self.lessons {
            let mut line = format!("  {:<width$}", lesson.id);
            for way in Way::BOTH {
                let cell = match lesson.verdict(way) {
                    Verdict::Runs => p.green(&format!("{:<9}", "runs")),
                    Verdict::Blocked { reason, .. } => {
                        reasons.push((lesson, way, reason));
                        p.red(&format!("{:<9}", "no"))
                    }
                    Verdict::NotTried { .. } => p.dim(&format!("{:<9}", "not tried")),
                };
                line.push_str("  ");
                line.push_str(&cell);
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if !reasons.is_empty() {
            let _ = writeln!(out);
            // The fixes are in the section above.
            for (lesson, way, reason) in reasons {
                let _ = writeln!(out, "  {} {}: {reason}", lesson.id, way.label());
            }
        }
    }
}

/// Colours when asked, plain text otherwise.
struct Paint(bool);

impl Paint {
    fn paint(&self, text: &str, f: impl FnOnce(console::StyledObject<&str>) -> console::StyledObject<&str>) -> String {
        if self.0 { f(console::style(text).force_styling(true)).to_string() } else { text.to_string() }
    }
    fn bold(&self, text: &str) -> String {
        self.paint(text, |s| s.bold())
    }
    fn green(&self, text: &str) -> String {
        self.paint(text, |s| s.green())
    }
    fn red(&self, text: &str) -> String {
        self.paint(text, |s| s.red().bold())
    }
    fn dim(&self, text: &str) -> String {
        self.paint(text, |s| s.dim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::fixtures::probe_with;
    use crate::lesson::Needs;

    #[test]
    fn exit_codes() {
        let req = Requirements::default();
        let lesson = |probe: &Probe, root: bool| {
            let req = Requirements { needs: Needs { root, ..Needs::default() }, ..req };
            LessonReport::new("l", "L", &req, probe)
        };
        let root = probe_with(true, &[]);
        let user = probe_with(false, &[]);
        let cases = [
            (Report { lessons: vec![lesson(&root, true), lesson(&root, false)], probe: root.clone() }, 0),
            (Report { lessons: vec![lesson(&user, false)], probe: user.clone() }, 0),
            (Report { lessons: vec![lesson(&user, true)], probe: user.clone() }, EXIT_SOME_CANNOT_RUN),
            (Report { lessons: vec![], probe: user }, 0),
            (Report { lessons: vec![], probe: probe_with(true, &[(Capability::MountProc, Way::AsRoot)]) }, EXIT_SOME_CANNOT_RUN),
        ];
        for (i, (report, want)) in cases.into_iter().enumerate() {
            assert_eq!(report.exit_code(), want, "case {i}");
        }
    }
}
