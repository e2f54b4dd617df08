//! Lessons: what each needs ([`Requirements`]), and whether it runs here
//! ([`Probe::verdict`], a plain function of the probe's findings).

use std::path::PathBuf;

use serde::Serialize;

use super::{Capability, Explanation, Outcome, Probe, SandboxPart, Way};
use crate::lesson::{Action, Lesson, Needs, Tool, ToolSet};
use crate::ns::{KindSet, NsKind};

/// The tools found as executable files in the folders of `path` (a `PATH` value).
pub fn tools_on_path(path: Option<&std::ffi::OsStr>) -> ToolSet {
    use std::os::unix::fs::PermissionsExt;
    let dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(p).collect()).unwrap_or_default();
    let found = |tool: &Tool| dirs.iter().any(|d| std::fs::metadata(d.join(tool.name())).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0));
    Tool::ALL.into_iter().filter(found).collect()
}

/// Why a lesson that needs one of `wanted` cannot run on a machine that has
/// `have`, or `None` when it can.
pub fn missing_tools(wanted: ToolSet, have: ToolSet) -> Option<Explanation> {
    if wanted.is_empty() || wanted.iter().any(|t| have.contains(t)) {
        return None;
    }
    let names: Vec<&str> = wanted.iter().map(Tool::name).collect();
    let none = if names.len() > 1 { format!("neither {} is installed", names.join(" nor ")) } else { format!("{wanted} is not installed") };
    Some(Explanation::new(
        format!("it builds or runs programs with {wanted}, and {none}"),
        "install a C compiler or Python 3 (Debian and Ubuntu: `sudo apt install gcc python3`)",
    ))
}

/// What a lesson needs from the machine, as the doctor judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requirements {
    /// The lesson's `needs:`.
    pub needs: Needs,
    /// The kinds of namespace its steps create (`start`, `unshare`), plus any
    /// the runner adds around every lesson.
    pub kinds: KindSet,
    /// Whether it pins a namespace (bind-mounts an nsfs file).
    pub pins: bool,
    /// Whether a fresh /proc is mounted in a new pid namespace for it.
    pub mount_proc: bool,
}

impl Requirements {
    /// What `lesson` needs: its `needs:` and what its steps do.
    pub fn of(lesson: &Lesson) -> Requirements {
        let mut req = Requirements { needs: lesson.meta.needs, ..Requirements::default() };
        for step in &lesson.steps {
            match &step.action.value {
                Action::Start { kinds, .. } | Action::Unshare { kinds, .. } => req.kinds = union(req.kinds, *kinds),
                Action::Pin { .. } => req.pins = true,
                _ => {}
            }
        }
        req
    }

    /// Both `self` and `other` (e.g. a lesson's and those of the runner's lab
    /// around it).
    pub fn and(self, other: Requirements) -> Requirements {
        Requirements {
            needs: Needs {
                root: self.needs.root || other.needs.root,
                userns: self.needs.userns || other.needs.userns,
                min_kernel: self.needs.min_kernel.max(other.needs.min_kernel),
                // One side's "any of these programs" (the runner's lab needs none).
                any_tool: if self.needs.any_tool.is_empty() { other.needs.any_tool } else { self.needs.any_tool },
            },
            kinds: union(self.kinds, other.kinds),
            pins: self.pins || other.pins,
            mount_proc: self.mount_proc || other.mount_proc,
        }
    }
}

fn union(a: KindSet, b: KindSet) -> KindSet {
    a.iter().chain(b.iter()).collect()
}

/// Whether a lesson runs here one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Everything it needs works.
    Runs,
    /// Something it needs is missing.
    Blocked {
        /// What, in the doctor's words.
        reason: String,
        /// The one command that fixes it, when there is one.
        fix: Option<String>,
    },
    /// The probe could not tell (run it as root to know).
    NotTried {
        /// Why.
        reason: String,
    },
}

/// One lesson's verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonReport {
    /// The lesson's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its `needs:`.
    pub needs: Needs,
    /// Whether it runs as root.
    pub as_root: Verdict,
    /// Whether it runs rootless.
    pub rootless: Verdict,
}

impl LessonReport {
    /// Judges a lesson with these requirements against the probe.
    pub fn new(id: &str, title: &str, req: &Requirements, probe: &Probe) -> LessonReport {
        LessonReport {
            id: id.to_string(),
            title: title.to_string(),
            needs: req.needs,
            as_root: probe.verdict(req, Way::AsRoot),
            rootless: probe.verdict(req, Way::Rootless),
        }
    }

    /// The verdict for `way`.
    pub fn verdict(&self, way: Way) -> &Verdict {
        match way {
            Way::AsRoot => &self.as_root,
            Way::Rootless => &self.rootless,
        }
    }
}

impl Probe {
    /// Whether a lesson with these requirements runs here `way`, and if not, why.
    pub fn verdict(&self, req: &Requirements, way: Way) -> Verdict {
        if way == Way::Rootless && req.needs.root {
            return Verdict::Blocked { reason: "needs root".into(), fix: None };
        }
        if way == Way::AsRoot && !self.as_root {
            return Verdict::NotTried { reason: "run `sudo nslab doctor` to try as root".into() };
        }
        if let (Some(min), Some(have)) = (req.needs.min_kernel, self.settings.kernel)
            && have < min
        {
            return Verdict::Blocked { reason: format!("needs Linux {min} or later, this is {have}"), fix: None };
        }
        if let Some(e) = missing_tools(req.needs.any_tool, self.settings.tools) {
            return Verdict::Blocked { reason: e.why, fix: Some(e.fix) };
        }
        // `needs: userns` (unprivileged user namespaces) is what the rootless
        // way always takes, so it adds no check of its own.
        let mut needed = Vec::new();
        if way == Way::Rootless || req.kinds.contains(NsKind::User) {
            needed.extend([Capability::Namespace(NsKind::User), Capability::IdMaps]);
        }
        needed.extend(req.kinds.iter().filter(|k| *k != NsKind::User).map(Capability::Namespace));
        if req.mount_proc {
            needed.push(Capability::MountProc);
        }
        if req.pins {
            needed.push(Capability::NsfsBind);
        }
        needed.push(Capability::ReadNsLinks);
        // Every lesson runs in the sandbox.
        needed.extend(SandboxPart::NEEDED.map(Capability::Sandbox));
        // A probe that did not start a lab (the library's `Probe::run`
        // alone) says nothing of the sandbox; the doctor always tries it.
        let sandbox_tried = self.checks.iter().any(|c| matches!(c.capability, Capability::Sandbox(_)) && !matches!(c.outcome, Outcome::NotTried { .. }));
        for capability in needed {
            if matches!(capability, Capability::Sandbox(_)) && !sandbox_tried {
                continue;
            }
            let Some(check) = self.check(capability, way) else { continue };
            match &check.outcome {
                // (Absent is only an optional part's, which no lesson needs.)
                Outcome::Works | Outcome::Absent { .. } => {}
                Outcome::Fails { explanation, error } => {
                    let why = explanation.as_ref().map_or(error, |e| &e.why);
                    return Verdict::Blocked { reason: format!("{} fails: {why}", check.name), fix: explanation.as_ref().map(|e| e.fix.clone()) };
                }
                Outcome::NotTried { reason } => {
                    return Verdict::NotTried { reason: format!("{} not tried: {reason}", check.name) };
                }
            }
        }
        Verdict::Runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::fixtures::probe_with;
    use crate::lesson::KernelVersion;

    #[test]
    fn verdicts() {
        let kinds = |list: &[NsKind]| list.iter().copied().collect::<KindSet>();
        let plain = Requirements { kinds: kinds(&[NsKind::Net, NsKind::Uts]), ..Requirements::default() };
        let root_only = Requirements { needs: Needs { root: true, ..Needs::default() }, ..plain };
        let new_kernel = Requirements { needs: Needs { min_kernel: Some(KernelVersion { major: 7, minor: 0 }), ..Needs::default() }, ..plain };
        let pins = Requirements { pins: true, ..plain };
        let userns = Requirements { needs: Needs { userns: true, ..Needs::default() }, ..plain };
        let time = Requirements { kinds: kinds(&[NsKind::Time]), ..Requirements::default() };

        let all_work = probe_with(true, &[]);
        assert_eq!(all_work.verdict(&plain, Way::AsRoot), Verdict::Runs);
        assert_eq!(all_work.verdict(&plain, Way::Rootless), Verdict::Runs);
        assert_eq!(all_work.verdict(&root_only, Way::Rootless), Verdict::Blocked { reason: "needs root".into(), fix: None });
        assert!(matches!(all_work.verdict(&new_kernel, Way::AsRoot), Verdict::Blocked { reason, .. } if reason == "needs Linux 7.0 or later, this is 6.8"));

        let no_nsfs_rootless = probe_with(true, &[(Capability::NsfsBind, Way::Rootless)]);
        assert_eq!(no_nsfs_rootless.verdict(&pins, Way::AsRoot), Verdict::Runs);
        assert_eq!(
            no_nsfs_rootless.verdict(&pins, Way::Rootless),
            Verdict::Blocked { reason: "nsfs bind mount in a user namespace fails: because".into(), fix: Some("fix it".into()) }
        );
        assert_eq!(no_nsfs_rootless.verdict(&plain, Way::Rootless), Verdict::Runs);

        let no_userns = probe_with(true, &[(Capability::Namespace(NsKind::User), Way::Rootless)]);
        assert_eq!(no_userns.verdict(&plain, Way::AsRoot), Verdict::Runs);
        // `needs: userns` says what running rootless takes; as root it asks nothing more.
        assert_eq!(no_userns.verdict(&userns, Way::AsRoot), Verdict::Runs);
        assert!(matches!(no_userns.verdict(&userns, Way::Rootless), Verdict::Blocked { .. }));
        assert!(matches!(no_userns.verdict(&plain, Way::Rootless), Verdict::Blocked { .. }));

        let no_time = probe_with(true, &[(Capability::Namespace(NsKind::Time), Way::AsRoot)]);
        assert!(matches!(no_time.verdict(&time, Way::AsRoot), Verdict::Blocked { .. }));
        assert_eq!(no_time.verdict(&plain, Way::AsRoot), Verdict::Runs);

        let lab = Requirements { kinds: kinds(&[NsKind::Pid, NsKind::Mnt]), mount_proc: true, ..Requirements::default() };
        let no_proc = probe_with(true, &[(Capability::MountProc, Way::Rootless)]);
        assert_eq!(no_proc.verdict(&plain, Way::Rootless), Verdict::Runs);
        assert!(matches!(no_proc.verdict(&plain.and(lab), Way::Rootless), Verdict::Blocked { reason, .. } if reason.starts_with("mount /proc")));
        let both = root_only.and(new_kernel).and(lab);
        assert!(both.needs.root && both.mount_proc && both.needs.min_kernel == Some(KernelVersion { major: 7, minor: 0 }));
        assert_eq!(both.kinds.to_string(), "mnt net pid uts");

        let rootless_user = probe_with(false, &[]);
        assert!(matches!(rootless_user.verdict(&plain, Way::AsRoot), Verdict::NotTried { .. }));
        assert_eq!(rootless_user.verdict(&plain, Way::Rootless), Verdict::Runs);
    }
}
