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

        use crate::i18n::{pad, width as cols};
        use crate::t;
        let kernel = s.kernel_release.as_deref().map_or(t!("doctor-unknown-kernel"), |r| format!("Linux {r}"));
        let user = match (probe.as_root, s.initial_user_namespace) {
            (true, Some(false)) => t!("doctor-as-root-in-userns"),
            (true, _) => t!("doctor-as-root"),
            (false, _) => t!("doctor-as-user"),
        };
        let container =
            s.container.as_ref().map_or(String::new(), |c| t!("doctor-in-container", runtime = c.runtime.to_string(), evidence = c.evidence.to_string()));
        let _ = writeln!(out, "nslab doctor: {kernel}, {user}{container}\n");

        let _ = writeln!(out, "{}", p.bold(&t!("doctor-settings")));
        let absent = t!("doctor-absent");
        let unknown = t!("doctor-unknown");
        let switch = |v: Option<bool>| v.map_or(absent.clone(), |b| if b { "1" } else { "0" }.to_string());
        let settings = [
            ("user.max_user_namespaces".to_string(), s.max_user_namespaces.map_or(absent.clone(), |n| n.to_string())),
            ("kernel.unprivileged_userns_clone".to_string(), switch(s.unprivileged_userns_clone)),
            ("kernel.apparmor_restrict_unprivileged_userns".to_string(), switch(s.apparmor_restrict_unprivileged_userns)),
            ("/proc".to_string(), if s.proc_is_procfs { "procfs".into() } else { t!("doctor-not-procfs") }),
            (
                t!("doctor-kinds"),
                match s.namespace_kinds {
                    None => unknown.clone(),
                    Some(k) if k == KindSet::ALL => t!("doctor-all-eight"),
                    Some(k) => t!("doctor-only", kinds = k.to_string()),
                },
            ),
            ("CAP_SYS_ADMIN".to_string(), s.cap_sys_admin.map_or(unknown.clone(), |c| if c { t!("doctor-yes") } else { t!("doctor-no") })),
            (
                "seccomp".to_string(),
                match s.seccomp {
                    None => unknown.clone(),
                    Some(0) => t!("doctor-off"),
                    Some(1) => "strict".into(),
                    Some(_) => "filter".into(),
                },
            ),
        ];
        let width = settings.iter().map(|(k, _)| cols(k)).max().unwrap_or(0);
        for (key, value) in settings {
            let _ = writeln!(out, "  {}  {value}", pad(&key, width));
        }

        // Columns padded by display width: the words may be Chinese.
        let cell_w = [t!("doctor-works"), t!("doctor-fails"), t!("doctor-not-tried"), t!("doctor-none"), Way::AsRoot.label()]
            .iter()
            .map(|w| cols(w))
            .max()
            .unwrap_or(9)
            .max(9);
        let width = probe.checks.iter().map(|c| cols(&c.capability.describe())).max().unwrap_or(0).max(10);
        let head = format!("{}  {}  {}", pad(&t!("doctor-capability"), width + 2), pad(&Way::AsRoot.label(), cell_w), Way::Rootless.label());
        let _ = writeln!(out, "\n{}", p.bold(&head));
        for capability in Capability::ALL {
            let mut line = format!("  {}", pad(&capability.describe(), width));
            for way in Way::BOTH {
                let cell = match probe.check(capability, way).map(|c| &c.outcome) {
                    Some(Outcome::Works) => p.green(&pad(&t!("doctor-works"), cell_w)),
                    Some(Outcome::Fails { .. }) => p.red(&pad(&t!("doctor-fails"), cell_w)),
                    Some(Outcome::NotTried { .. }) | None => p.dim(&pad(&t!("doctor-not-tried"), cell_w)),
                    Some(Outcome::Absent { .. }) => p.dim(&pad(&t!("doctor-none"), cell_w)),
                };
                line.push_str("  ");
                line.push_str(&cell);
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }

        for check in probe.checks.iter() {
            if let Outcome::Absent { reason } = &check.outcome {
                let _ = writeln!(out, "\n{}", t!("doctor-absent-part", check = check.name.as_str(), way = check.way.label(), reason = reason.as_str()));
            }
        }
        self.render_problems(&mut out, &p);
        self.render_lessons(&mut out, &p);

        if let Some(reason) = probe.checks.iter().find_map(|c| match &c.outcome {
            Outcome::NotTried { reason } => Some(reason),
            _ => None,
        }) {
            let _ = writeln!(out, "\n{}", crate::t!("doctor-as-root-not-tried", reason = reason.to_string()));
        }
        if probe.as_root {
            let _ = writeln!(out, "\n{}", crate::t!("doctor-rootless-as-root"));
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
        let _ = writeln!(out, "\n{}", p.bold(&crate::t!("doctor-why-and-fix")));
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
            let _ = writeln!(out, "  {}", crate::t!("doctor-checks-why", checks = self.name_checks(&members), why = explanation.why.as_str()));
            if let Outcome::Fails { error, .. } = &members[0].outcome {
                let _ = writeln!(out, "    {}", crate::i18n::labelled(&crate::i18n::pad(&crate::t!("doctor-error"), 6), error));
            }
            let _ = writeln!(out, "    {}", crate::i18n::labelled(&crate::i18n::pad(&crate::t!("doctor-fix"), 6), &p.bold(&explanation.fix)));
        }
        for check in failed {
            if let Outcome::Fails { error, explanation: None } = &check.outcome {
                let _ = writeln!(out, "  {}", crate::t!("doctor-check-error", check = check.name.as_str(), way = check.way.label(), error = error.to_string()));
                let _ = writeln!(out, "    {}", crate::t!("doctor-unexplained"));
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
                names.push(crate::t!("doctor-every-check", way = way.label()));
            } else {
                names.extend(of_way.iter().map(|c| crate::t!("doctor-check-way", check = c.name.as_str(), way = way.label())));
            }
        }
        names.join(", ")
    }

    fn render_lessons(&self, out: &mut String, p: &Paint) {
        if self.lessons.is_empty() {
            return;
        }
        use crate::i18n::{pad, width as cols};
        use crate::t;
        let width = self.lessons.iter().map(|l| l.id.len()).max().unwrap_or(0).max(8);
        let cell_w = [t!("doctor-runs"), t!("doctor-cannot"), t!("doctor-not-tried"), Way::AsRoot.label()].iter().map(|w| cols(w)).max().unwrap_or(9).max(9);
        let head = format!("{}  {}  {}", pad(&t!("doctor-lessons"), width + 2), pad(&Way::AsRoot.label(), cell_w), Way::Rootless.label());
        let _ = writeln!(out, "\n{}", p.bold(&head));
        let mut reasons = Vec::new();
        for lesson in &self.lessons {
            let mut line = format!("  {:<width$}", lesson.id);
            for way in Way::BOTH {
                let cell = match lesson.verdict(way) {
                    Verdict::Runs => p.green(&pad(&t!("doctor-runs"), cell_w)),
                    Verdict::Blocked { reason, .. } => {
                        reasons.push((lesson, way, reason));
                        p.red(&pad(&t!("doctor-cannot"), cell_w))
                    }
                    Verdict::NotTried { .. } => p.dim(&pad(&t!("doctor-not-tried"), cell_w)),
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
                let _ = writeln!(out, "  {}", t!("doctor-lesson-reason", id = lesson.id.as_str(), way = way.label(), reason = reason.to_string()));
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
