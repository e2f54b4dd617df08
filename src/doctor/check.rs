//! Capabilities and checks: what the probe tries ([`Capability`], each
//! [`Way`]), and what it found ([`Check`], [`Outcome`], [`Explanation`]).

use serde::{Serialize, Serializer};

use crate::ns::{KindSet, NsKind};

/// Something a lesson relies on, tried by the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Creating a namespace of this kind.
    Namespace(NsKind),
    /// Writing uid and gid maps for a new user namespace (mapping yourself to root).
    IdMaps,
    /// Mounting a fresh /proc in new pid and mount namespaces.
    MountProc,
    /// Bind-mounting a `/proc/PID/ns` file (a pin), in a private mount namespace.
    NsfsBind,
    /// Reading `/proc/PID/ns` of one's own children.
    ReadNsLinks,
    /// A part of the lab's sandbox, tried by starting a real lab.
    Sandbox(SandboxPart),
}

/// The parts of the sandbox a lab runs in (see `run::sandbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SandboxPart {
    /// The lab's own user namespace, its root no one on the machine.
    UserNs,
    /// The lab's own root file system, the machine's read-only.
    RootFs,
    /// Steps in a new session, without a terminal or nslab's descriptors.
    Session,
    /// Limits on the lab's processes and files.
    Limits,
    /// A cgroup of the lab's own, bounding the whole lab's memory and
    /// processes (root, or a delegated cgroup; not needed to run lessons).
    Cgroup,
}

/// What trying one part of the sandbox showed: `Err((what failed, errno))`.
pub type PartResult = Result<(), (String, Option<i32>)>;

impl SandboxPart {
    /// Every part, in the table's order.
    pub const ALL: [SandboxPart; 5] = [SandboxPart::UserNs, SandboxPart::RootFs, SandboxPart::Session, SandboxPart::Limits, SandboxPart::Cgroup];

    /// The parts every lab must have to run a lesson (not the cgroup: without
    /// one, rlimits bound each process).
    pub const NEEDED: [SandboxPart; 4] = [SandboxPart::UserNs, SandboxPart::RootFs, SandboxPart::Session, SandboxPart::Limits];
}

impl Capability {
    /// Every capability, in the order of the doctor's table (user namespace first).
    pub const ALL: [Capability; 17] = [
        Capability::Namespace(NsKind::User),
        Capability::IdMaps,
        Capability::Namespace(NsKind::Cgroup),
        Capability::Namespace(NsKind::Ipc),
        Capability::Namespace(NsKind::Mnt),
        Capability::Namespace(NsKind::Net),
        Capability::Namespace(NsKind::Pid),
        Capability::Namespace(NsKind::Time),
        Capability::Namespace(NsKind::Uts),
        Capability::MountProc,
        Capability::NsfsBind,
        Capability::ReadNsLinks,
        Capability::Sandbox(SandboxPart::UserNs),
        Capability::Sandbox(SandboxPart::RootFs),
        Capability::Sandbox(SandboxPart::Session),
        Capability::Sandbox(SandboxPart::Limits),
        Capability::Sandbox(SandboxPart::Cgroup),
    ];

    /// A short stable name, for JSON: `net`, `uid-gid-maps`, `mount-proc`.
    pub fn id(self) -> &'static str {
        match self {
            Capability::Namespace(k) => k.name(),
            Capability::IdMaps => "uid-gid-maps",
            Capability::MountProc => "mount-proc",
            Capability::NsfsBind => "nsfs-bind-mount",
            Capability::ReadNsLinks => "read-ns-links",
            Capability::Sandbox(SandboxPart::UserNs) => "sandbox-userns",
            Capability::Sandbox(SandboxPart::RootFs) => "sandbox-root-fs",
            Capability::Sandbox(SandboxPart::Session) => "sandbox-session",
            Capability::Sandbox(SandboxPart::Limits) => "sandbox-limits",
            Capability::Sandbox(SandboxPart::Cgroup) => "sandbox-cgroup",
        }
    }

    /// What it is, in words: `net namespace`, `mount /proc in a pid namespace`.
    pub fn describe(self) -> String {
        match self {
            Capability::Namespace(k) => format!("{k} namespace"),
            Capability::IdMaps => "uid/gid maps".into(),
            Capability::MountProc => "mount /proc in a pid namespace".into(),
            Capability::NsfsBind => "nsfs bind mount".into(),
            Capability::ReadNsLinks => "read /proc/PID/ns".into(),
            Capability::Sandbox(SandboxPart::UserNs) => "lab: its own user namespace".into(),
            Capability::Sandbox(SandboxPart::RootFs) => "lab: its own root file system".into(),
            Capability::Sandbox(SandboxPart::Session) => "lab: new session, no fds".into(),
            Capability::Sandbox(SandboxPart::Limits) => "lab: limits".into(),
            Capability::Sandbox(SandboxPart::Cgroup) => "lab: its own cgroup".into(),
        }
    }

    /// The namespaces a throwaway child gets to try it, and whether it maps
    /// its creator to root (always, in a new user namespace, but for the bare
    /// user namespace check).
    pub(super) fn plan(self, way: Way) -> (KindSet, bool) {
        let mut kinds = match self {
            Capability::Namespace(k) => [k].into_iter().collect(),
            Capability::IdMaps => KindSet::EMPTY,
            Capability::MountProc => [NsKind::Pid, NsKind::Mnt].into_iter().collect(),
            Capability::NsfsBind => [NsKind::Mnt].into_iter().collect(),
            Capability::ReadNsLinks => [NsKind::Uts].into_iter().collect(),
            Capability::Sandbox(_) => KindSet::EMPTY,
        };
        if way == Way::Rootless || matches!(self, Capability::IdMaps | Capability::Sandbox(_)) {
            kinds.insert(NsKind::User);
        }
        let map_root = kinds.contains(NsKind::User) && self != Capability::Namespace(NsKind::User);
        (kinds, map_root)
    }
}

impl Serialize for Capability {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// The two ways nslab runs a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// As root: namespaces are created directly.
    AsRoot,
    /// As an ordinary user: every namespace is created inside a new user
    /// namespace in which the user is mapped to root.
    Rootless,
}

impl Way {
    /// Both, in the table's column order.
    pub const BOTH: [Way; 2] = [Way::AsRoot, Way::Rootless];

    /// The column heading: `as root`, `rootless`.
    pub fn label(self) -> &'static str {
        match self {
            Way::AsRoot => "as root",
            Way::Rootless => "rootless",
        }
    }
}

/// Why a capability fails, and the one thing that fixes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Explanation {
    /// The cause, from the settings.
    pub why: String,
    /// One command (or, when there is none, the one thing to do).
    pub fix: String,
}

impl Explanation {
    pub(super) fn new(why: impl Into<String>, fix: impl Into<String>) -> Explanation {
        Explanation { why: why.into(), fix: fix.into() }
    }
}

/// What trying one capability gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// It works.
    Works,
    /// It fails.
    Fails {
        /// What went wrong, as the engine or the check saw it.
        error: String,
        /// Why, and the fix, when the settings explain it.
        #[serde(flatten)]
        explanation: Option<Explanation>,
    },
    /// It was not tried.
    NotTried {
        /// Why not.
        reason: String,
    },
    /// Tried, and not there, but nothing needs it: an optional part (the
    /// lab's own cgroup, where rlimits stand in).
    Absent {
        /// Why it is not there, and what stands in for it.
        reason: String,
    },
}

/// One capability, tried one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was tried.
    pub capability: Capability,
    /// As root, or rootless (inside a new user namespace).
    pub way: Way,
    /// In words: `net namespace in a user namespace`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
}

impl Check {
    /// A check with its name derived from capability and way.
    pub fn new(capability: Capability, way: Way, outcome: Outcome) -> Check {
        let mut name = capability.describe();
        let bare_userns = matches!(capability, Capability::Namespace(NsKind::User) | Capability::IdMaps | Capability::Sandbox(_));
        if way == Way::Rootless && !bare_userns {
            name.push_str(" in a user namespace");
        }
        Check { capability, way, name, outcome }
    }

    /// True when it was tried and works.
    pub fn works(&self) -> bool {
        self.outcome == Outcome::Works
    }

    /// True when it was tried and fails.
    pub fn fails(&self) -> bool {
        matches!(self.outcome, Outcome::Fails { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names() {
        let name = |c, w| Check::new(c, w, Outcome::Works).name;
        assert_eq!(name(Capability::Namespace(NsKind::Net), Way::AsRoot), "net namespace");
        assert_eq!(name(Capability::Namespace(NsKind::Net), Way::Rootless), "net namespace in a user namespace");
        assert_eq!(name(Capability::Namespace(NsKind::User), Way::Rootless), "user namespace");
        assert_eq!(name(Capability::IdMaps, Way::Rootless), "uid/gid maps");
    }

    #[test]
    fn plans() {
        let (kinds, map) = Capability::Namespace(NsKind::Net).plan(Way::AsRoot);
        assert_eq!((kinds.to_string().as_str(), map), ("net", false));
        let (kinds, map) = Capability::Namespace(NsKind::Net).plan(Way::Rootless);
        assert_eq!((kinds.to_string().as_str(), map), ("net user", true));
        let (kinds, map) = Capability::Namespace(NsKind::User).plan(Way::AsRoot);
        assert_eq!((kinds.to_string().as_str(), map), ("user", false));
        let (kinds, map) = Capability::IdMaps.plan(Way::AsRoot);
        assert_eq!((kinds.to_string().as_str(), map), ("user", true));
        let (kinds, map) = Capability::MountProc.plan(Way::Rootless);
        assert_eq!((kinds.to_string().as_str(), map), ("mnt pid user", true));
    }
}
