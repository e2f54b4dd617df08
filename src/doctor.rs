//! `nslab doctor`: what this machine lets lessons do, found by trying each
//! capability for real in a throwaway child, with the kernel settings that
//! explain a failure, the one command that fixes it, and which lessons will
//! run here as root and rootless.
//!
//! Reading the settings ([`Settings::read`]) and trying the capabilities
//! ([`Probe::run`]) are the only parts that look at the machine; explaining
//! ([`explain`]), judging lessons ([`Probe::verdict`]) and rendering
//! ([`Report::render`]) are plain functions of their inputs.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::lesson::{Action, KernelVersion, Lesson, Needs};
use crate::ns::{Creation, EngineError, ExitStatus, KindSet, NsKind, NsView, Process, Spawn, Stdio};

/// The exit status of `nslab doctor` when some lesson cannot run here as the
/// user who ran it (0 when every one can).
pub const EXIT_SOME_CANNOT_RUN: i32 = 3;

/// The value the fix for a zero or exhausted `user.max_user_namespaces` sets.
pub const MAX_USER_NAMESPACES_FIX: u64 = 15000;

/// The first kernel with time namespaces.
pub const TIME_NS_KERNEL: KernelVersion = KernelVersion { major: 5, minor: 6 };

/// How long one throwaway child may take before it counts as hung.
const CHILD_TIMEOUT: Duration = Duration::from_secs(10);

/// `CAP_SYS_ADMIN`'s bit in `CapEff`.
const CAP_SYS_ADMIN_BIT: u32 = 21;

// ---------------------------------------------------------------------------
// Settings: what the kernel is configured to allow.
// ---------------------------------------------------------------------------

/// Where the settings are read from: values, so tests can point them at a
/// fake tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// The proc root, normally `/proc` (sysctls are under `sys/` in it).
    pub proc_root: PathBuf,
    /// The file system root, normally `/`, where `/.dockerenv` and
    /// `/run/.containerenv` give a container away.
    pub fs_root: PathBuf,
    /// The `container` environment variable (set by systemd-nspawn, podman,
    /// LXC and others).
    pub container_env: Option<String>,
}

impl Sources {
    /// The real machine: `/proc`, `/` and this process's environment.
    pub fn host() -> Sources {
        Sources { proc_root: PathBuf::from("/proc"), fs_root: PathBuf::from("/"), container_env: std::env::var("container").ok().filter(|v| !v.is_empty()) }
    }
}

/// A hint that nslab runs in a container, and what gave it away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHint {
    /// `docker`, `podman`, `lxc`, `kubernetes`, or the `container` variable's value.
    pub runtime: String,
    /// What gave it away, e.g. `/.dockerenv`.
    pub evidence: String,
}

/// The kernel settings and facts that explain why a capability fails. Any of
/// them may be unknown (absent file, unreadable value).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Settings {
    /// `/proc/sys/user/max_user_namespaces`: 0 switches user namespaces off.
    pub max_user_namespaces: Option<u64>,
    /// `/proc/sys/kernel/unprivileged_userns_clone` (a Debian/Ubuntu patch):
    /// false forbids user namespaces to unprivileged users.
    pub unprivileged_userns_clone: Option<bool>,
    /// `/proc/sys/kernel/apparmor_restrict_unprivileged_userns` (Ubuntu 23.10+):
    /// true gives unprivileged user namespaces no capabilities.
    pub apparmor_restrict_unprivileged_userns: Option<bool>,
    /// The kernel release, as `uname -r` prints it (`/proc/sys/kernel/osrelease`).
    pub kernel_release: Option<String>,
    /// Its major and minor version.
    pub kernel: Option<KernelVersion>,
    /// The kinds this kernel has, from the links in `/proc/self/ns`; `None`
    /// when that folder is unreadable.
    #[serde(serialize_with = "serialize_kinds")]
    pub namespace_kinds: Option<KindSet>,
    /// Whether the proc root is a real procfs (statfs magic `0x9fa0`).
    pub proc_is_procfs: bool,
    /// Mount points below `/proc` that cover part of it (as containers do to
    /// `/proc/kcore` and others); the kernel then refuses a new /proc in a
    /// user namespace.
    pub proc_covered: Vec<String>,
    /// Whether this process has CAP_SYS_ADMIN (`CapEff` in `/proc/self/status`).
    pub cap_sys_admin: Option<bool>,
    /// This process's seccomp mode (`Seccomp:`): 0 none, 1 strict, 2 filter.
    pub seccomp: Option<u32>,
    /// Whether nslab runs in a container, best effort.
    pub container: Option<ContainerHint>,
    /// Whether this process is in the initial user namespace (its
    /// `uid_map` maps all ids onto themselves); false for root inside a
    /// user namespace.
    pub initial_user_namespace: Option<bool>,
}

fn serialize_kinds<S: Serializer>(kinds: &Option<KindSet>, s: S) -> Result<S::Ok, S::Error> {
    match kinds {
        Some(k) => s.collect_seq(k.iter()),
        None => s.serialize_none(),
    }
}

impl Settings {
    /// Reads the settings from `sources`. Nothing here fails: what cannot be
    /// read stays unknown.
    pub fn read(sources: &Sources) -> Settings {
        let proc = &sources.proc_root;
        let text = |rel: &str| std::fs::read_to_string(proc.join(rel)).ok();
        let kernel_release = text("sys/kernel/osrelease").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let status = text("self/status").unwrap_or_default();
        Settings {
            max_user_namespaces: text("sys/user/max_user_namespaces").and_then(|s| s.trim().parse().ok()),
            unprivileged_userns_clone: text("sys/kernel/unprivileged_userns_clone").and_then(|s| parse_switch(&s)),
            apparmor_restrict_unprivileged_userns: text("sys/kernel/apparmor_restrict_unprivileged_userns").and_then(|s| parse_switch(&s)),
            kernel: kernel_release.as_deref().and_then(parse_kernel_release),
            kernel_release,
            namespace_kinds: namespace_kinds(&proc.join("self/ns")),
            proc_is_procfs: is_procfs(proc),
            proc_covered: text("self/mountinfo").map(|m| covered_proc_mounts(&m)).unwrap_or_default(),
            cap_sys_admin: status_field(&status, "CapEff").and_then(|v| u64::from_str_radix(v, 16).ok()).map(|caps| caps & (1 << CAP_SYS_ADMIN_BIT) != 0),
            seccomp: status_field(&status, "Seccomp").and_then(|v| v.parse().ok()),
            container: container_hint(sources),
            initial_user_namespace: text("self/uid_map").map(|m| is_identity_map(&m)),
        }
    }

    /// True when the kernel is known to lack namespaces of `kind`.
    pub fn lacks(&self, kind: NsKind) -> bool {
        let missing = self.namespace_kinds.is_some_and(|k| !k.contains(kind));
        let too_old = kind == NsKind::Time && self.kernel.is_some_and(|k| k < TIME_NS_KERNEL);
        missing || too_old
    }
}

/// True for the initial user namespace's map: `0 0 4294967295`.
fn is_identity_map(map: &str) -> bool {
    map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"]
}

/// `0` or `1` in a sysctl file.
fn parse_switch(text: &str) -> Option<bool> {
    match text.trim() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// The version in a release string: `6.8.0-45-generic` is 6.8.
pub fn parse_kernel_release(release: &str) -> Option<KernelVersion> {
    let mut parts = release.trim().split(['.', '-', '+', '_']);
    let number = |s: Option<&str>| -> Option<u32> {
        let s = s?;
        let digits = s.find(|c: char| !c.is_ascii_digit()).map_or(s, |end| &s[..end]);
        digits.parse().ok()
    };
    Some(KernelVersion { major: number(parts.next())?, minor: number(parts.next())? })
}

/// The value of `Name:` in `/proc/PID/status`.
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

fn namespace_kinds(ns_dir: &Path) -> Option<KindSet> {
    std::fs::read_dir(ns_dir).ok()?;
    Some(NsKind::ALL.into_iter().filter(|k| std::fs::symlink_metadata(ns_dir.join(k.name())).is_ok()).collect())
}

/// Whether `path` is on a procfs: statfs(2) reports PROC_SUPER_MAGIC (0x9fa0).
fn is_procfs(path: &Path) -> bool {
    nix::sys::statfs::statfs(path).is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}

/// Mount points strictly below `/proc` that hide part of it. binfmt_misc is
/// mounted on a directory procfs keeps empty on purpose, which the kernel
/// does not count, so it is left out.
pub fn covered_proc_mounts(mountinfo: &str) -> Vec<String> {
    mountinfo.lines().filter_map(|l| l.split(' ').nth(4)).filter(|m| m.starts_with("/proc/") && *m != "/proc/sys/fs/binfmt_misc").map(str::to_owned).collect()
}

/// The container runtime named by a `/proc/1/cgroup`, if any.
pub fn container_in_cgroup(cgroup: &str) -> Option<&'static str> {
    const HINTS: [(&str, &str); 6] = [
        ("kubepods", "kubernetes"),
        ("docker", "docker"),
        ("libpod", "podman"),
        ("containerd", "containerd"),
        ("lxc", "lxc"),
        ("machine.slice/systemd-nspawn", "systemd-nspawn"),
    ];
    HINTS.into_iter().find(|(needle, _)| cgroup.contains(needle)).map(|(_, name)| name)
}

fn container_hint(sources: &Sources) -> Option<ContainerHint> {
    let hint = |runtime: &str, evidence: String| Some(ContainerHint { runtime: runtime.to_string(), evidence });
    if let Some(v) = &sources.container_env {
        return hint(v, "the container environment variable".into());
    }
    if sources.fs_root.join(".dockerenv").exists() {
        return hint("docker", "/.dockerenv".into());
    }
    if sources.fs_root.join("run/.containerenv").exists() {
        return hint("podman", "/run/.containerenv".into());
    }
    // /proc/1 may be unreadable (hidepid, another user namespace): no hint then.
    let cgroup = std::fs::read_to_string(sources.proc_root.join("1/cgroup")).ok()?;
    container_in_cgroup(&cgroup).and_then(|name| hint(name, "/proc/1/cgroup".into()))
}

// ---------------------------------------------------------------------------
// Capabilities and checks.
// ---------------------------------------------------------------------------

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
}

/// What trying one part of the sandbox showed: `Err((what failed, errno))`.
pub type PartResult = Result<(), (String, Option<i32>)>;

impl SandboxPart {
    /// Every part, in the table's order.
    pub const ALL: [SandboxPart; 4] = [SandboxPart::UserNs, SandboxPart::RootFs, SandboxPart::Session, SandboxPart::Limits];
}

impl Capability {
    /// Every capability, in the order of the doctor's table (user namespace first).
    pub const ALL: [Capability; 16] = [
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
        }
    }

    /// The namespaces a throwaway child gets to try it, and whether it maps
    /// its creator to root (always, in a new user namespace, but for the bare
    /// user namespace check).
    fn plan(self, way: Way) -> (KindSet, bool) {
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
    fn new(why: impl Into<String>, fix: impl Into<String>) -> Explanation {
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

// ---------------------------------------------------------------------------
// Explanations: settings → why and fix. Pure.
// ---------------------------------------------------------------------------

/// The `CONFIG_*` option a kind depends on.
fn config_option(kind: NsKind) -> &'static str {
    match kind {
        NsKind::Cgroup => "CONFIG_CGROUPS",
        NsKind::Ipc => "CONFIG_IPC_NS",
        NsKind::Mnt => "CONFIG_NAMESPACES",
        NsKind::Net => "CONFIG_NET_NS",
        NsKind::Pid => "CONFIG_PID_NS",
        NsKind::Time => "CONFIG_TIME_NS",
        NsKind::User => "CONFIG_USER_NS",
        NsKind::Uts => "CONFIG_UTS_NS",
    }
}

/// Why a kernel without `kind` namespaces cannot run what needs them.
pub fn missing_kind(kind: NsKind) -> Explanation {
    if kind == NsKind::Time {
        return Explanation::new("this kernel has no time namespaces (they came with Linux 5.6, CONFIG_TIME_NS)", "needs Linux 5.6 or later (CONFIG_TIME_NS)");
    }
    let option = config_option(kind);
    Explanation::new(format!("this kernel has no {kind} namespaces ({option} is off)"), format!("needs a kernel built with {option}=y"))
}

/// Why unprivileged users may not have user namespaces here, when a setting
/// says so: the settings a root run cannot try, since they spare root.
pub fn unprivileged_block(settings: &Settings) -> Option<Explanation> {
    if settings.unprivileged_userns_clone == Some(false) {
        return Some(Explanation::new(
            "unprivileged user namespaces are switched off: kernel.unprivileged_userns_clone is 0 (a Debian/Ubuntu setting)",
            "sudo sysctl -w kernel.unprivileged_userns_clone=1",
        ));
    }
    if settings.apparmor_restrict_unprivileged_userns == Some(true) {
        return Some(Explanation::new(
            "AppArmor restricts unprivileged user namespaces: kernel.apparmor_restrict_unprivileged_userns is 1 (Ubuntu 23.10 and later)",
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        ));
    }
    None
}

/// Why `capability`, tried `way`, fails, from the settings and the error
/// number the kernel gave (if any); `None` when the settings do not say.
/// The first cause that applies wins, most specific first.
pub fn explain(settings: &Settings, capability: Capability, way: Way, errno: Option<i32>) -> Option<Explanation> {
    let reads_proc = matches!(capability, Capability::MountProc | Capability::ReadNsLinks);
    if reads_proc && !settings.proc_is_procfs {
        return Some(not_procfs());
    }
    if let Capability::Namespace(kind) = capability
        && settings.lacks(kind)
    {
        return Some(missing_kind(kind));
    }
    let (plan, _) = capability.plan(way);
    if plan.contains(NsKind::User) {
        if settings.lacks(NsKind::User) {
            return Some(missing_kind(NsKind::User));
        }
        if settings.max_user_namespaces == Some(0) {
            return Some(Explanation::new(
                "user namespaces are switched off: user.max_user_namespaces is 0",
                format!("sudo sysctl -w user.max_user_namespaces={MAX_USER_NAMESPACES_FIX}"),
            ));
        }
        if way == Way::Rootless
            && let Some(e) = unprivileged_block(settings)
        {
            return Some(e);
        }
    }
    if errno == Some(libc::ENOSPC) {
        // ENOSPC from clone is a per-user namespace count limit.
        let limit = match capability {
            Capability::Namespace(k) if !plan.contains(NsKind::User) => format!("user.max_{k}_namespaces"),
            _ => "user.max_user_namespaces".to_string(),
        };
        let now = match (limit.as_str(), settings.max_user_namespaces) {
            ("user.max_user_namespaces", Some(n)) => format!(" (now {n})"),
            _ => String::new(),
        };
        return Some(Explanation::new(
            format!("too many namespaces exist: the limit {limit}{now} is reached"),
            format!("sudo sysctl -w {limit}={MAX_USER_NAMESPACES_FIX}"),
        ));
    }
    let refused = matches!(errno, Some(libc::EPERM) | Some(libc::EACCES));
    if refused && capability == Capability::MountProc && plan.contains(NsKind::User) && !settings.proc_covered.is_empty() {
        let covered = settings.proc_covered.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let fix = if settings.container.is_some() {
            "start the container with --security-opt systempaths=unconfined".to_string()
        } else {
            format!("sudo umount {}", settings.proc_covered[0])
        };
        return Some(Explanation::new(format!("parts of /proc are covered by mounts ({covered}), so the kernel refuses a new /proc in a user namespace"), fix));
    }
    if refused && way == Way::AsRoot && settings.cap_sys_admin == Some(false) {
        return Some(Explanation::new(
            "this root lacks CAP_SYS_ADMIN, which creating namespaces needs",
            match &settings.container {
                Some(c) => format!("start the {} container with --privileged (or --cap-add SYS_ADMIN)", c.runtime),
                None => "run nslab as root with CAP_SYS_ADMIN".to_string(),
            },
        ));
    }
    if refused && let Some(c) = &settings.container {
        let filter = if settings.seccomp == Some(2) { "its seccomp filter" } else { "its security profile" };
        return Some(Explanation::new(
            format!("the {} container forbids creating namespaces ({filter} or missing capabilities)", c.runtime),
            "start the container with --privileged (or --security-opt seccomp=unconfined)",
        ));
    }
    // The engine writes id maps and reads namespaces through /proc, so a fake
    // one explains any failure nothing above explains.
    (!settings.proc_is_procfs).then(not_procfs)
}

fn not_procfs() -> Explanation {
    Explanation::new("/proc is not a procfs (a container or WSL?)", "run nslab where /proc is a real procfs: on the host or in a VM")
}

// ---------------------------------------------------------------------------
// The probe: try each capability in a throwaway child.
// ---------------------------------------------------------------------------

/// What the probe found: the settings, who ran it, and every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The settings read before trying.
    pub settings: Settings,
    /// Whether the probe ran as root (effective uid 0).
    pub as_root: bool,
    /// Every capability, each way, in [`Capability::ALL`] order, as root first.
    pub checks: Vec<Check>,
}

/// A failed attempt: what went wrong and the kernel's error number, if any.
#[derive(Debug)]
struct Failure {
    error: String,
    errno: Option<i32>,
}

impl Failure {
    fn new(error: impl Into<String>) -> Failure {
        Failure { error: error.into(), errno: None }
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        let (error, source) = match &e {
            // Its own message advises -r or root; here the table says what to do.
            EngineError::NeedsPrivilege { kinds, source } => (format!("creating {kinds} namespaces: {source}"), Some(source)),
            EngineError::Child { source, .. } | EngineError::Io { source, .. } => (e.to_string(), Some(source)),
            _ => (e.to_string(), None),
        };
        Failure { error, errno: source.and_then(io::Error::raw_os_error) }
    }
}

impl Probe {
    /// Tries every capability for real, each in a throwaway child that is
    /// waited for: as root when run as root (else those checks are not
    /// tried), and rootless inside new user namespaces. Never changes the
    /// host: mounts happen only in the children's private mount namespaces,
    /// and the one scratch file is removed again.
    ///
    /// As root, the rootless checks show what the kernel supports; the
    /// settings that spare root (`kernel.unprivileged_userns_clone`,
    /// AppArmor's restriction) are then applied from `settings`.
    pub fn run(settings: Settings) -> Probe {
        let as_root = nix::unistd::geteuid().is_root();
        let ours = NsView::of_self().unwrap_or_default();
        let mut checks = Vec::new();
        for way in Way::BOTH {
            for capability in Capability::ALL {
                let outcome = if way == Way::AsRoot && !as_root {
                    Outcome::NotTried { reason: "needs root; run `sudo nslab doctor` to try it".into() }
                } else if let Capability::Sandbox(_) = capability {
                    // A real lab is started for these: see `Probe::set_sandbox`.
                    Outcome::NotTried { reason: "the sandbox was not tried".into() }
                } else {
                    match attempt(capability, way, &ours) {
                        Ok(()) => match unprivileged_block(&settings).filter(|_| as_root && way == Way::Rootless) {
                            None => Outcome::Works,
                            Some(explanation) => Outcome::Fails {
                                error: "works as root, but the kernel refuses it to unprivileged users".into(),
                                explanation: Some(explanation),
                            },
                        },
                        Err(f) => Outcome::Fails { explanation: explain(&settings, capability, way, f.errno), error: f.error },
                    }
                };
                checks.push(Check::new(capability, way, outcome));
            }
        }
        Probe { settings, as_root, checks }
    }

    /// Records what starting a real lab `way` showed of each sandbox part
    /// (`Err`: what failed, and the kernel's error number if it gave one).
    pub fn set_sandbox(&mut self, way: Way, parts: &[(SandboxPart, PartResult)]) {
        let settings = self.settings.clone();
        for (part, result) in parts {
            let capability = Capability::Sandbox(*part);
            let outcome = match result {
                // As in `run`: root is spared settings that refuse others.
                Ok(()) => match unprivileged_block(&settings).filter(|_| self.as_root && way == Way::Rootless) {
                    None => Outcome::Works,
                    Some(explanation) => {
                        Outcome::Fails { error: "works as root, but the kernel refuses it to unprivileged users".into(), explanation: Some(explanation) }
                    }
                },
                Err((error, errno)) => Outcome::Fails { error: error.clone(), explanation: explain(&settings, capability, way, *errno) },
            };
            if let Some(check) = self.checks.iter_mut().find(|c| c.capability == capability && c.way == way) {
                check.outcome = outcome;
            }
        }
    }

    /// The check of `capability` tried `way`.
    pub fn check(&self, capability: Capability, way: Way) -> Option<&Check> {
        self.checks.iter().find(|c| c.capability == capability && c.way == way)
    }

    /// The way the user who ran the probe runs lessons.
    pub fn own_way(&self) -> Way {
        if self.as_root { Way::AsRoot } else { Way::Rootless }
    }

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
        needed.extend(SandboxPart::ALL.map(Capability::Sandbox));
        // A probe that did not start a lab (the library's `Probe::run`
        // alone) says nothing of the sandbox; the doctor always tries it.
        let sandbox_tried = self.checks.iter().any(|c| matches!(c.capability, Capability::Sandbox(_)) && !matches!(c.outcome, Outcome::NotTried { .. }));
        for capability in needed {
            if matches!(capability, Capability::Sandbox(_)) && !sandbox_tried {
                continue;
            }
            let Some(check) = self.check(capability, way) else { continue };
            match &check.outcome {
                Outcome::Works => {}
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

/// Tries one capability in a throwaway child.
fn attempt(capability: Capability, way: Way, ours: &NsView) -> Result<(), Failure> {
    let (kinds, map_root) = capability.plan(way);
    if capability == Capability::NsfsBind {
        return attempt_nsfs_bind(kinds, map_root);
    }
    // `cat` waits on its stdin: the child stays alive, in its namespaces,
    // until we have read them back, and then ends on its own with status 0.
    let mut spawn = Spawn::new("cat");
    spawn.new_namespaces(kinds, Creation::Clone).map_root(map_root).mount_proc(capability == Capability::MountProc).death_signal(libc::SIGKILL).stdio(
        Stdio::Piped,
        Stdio::Null,
        Stdio::Null,
    );
    let mut child = spawn.start()?;
    let verified = verify(capability, &child, kinds, ours);
    drop(child.stdin.take());
    let finished = finish(&mut child, "cat");
    // What the kernel showed says more than how cat ended.
    verified.and(finished)
}

/// Reads the child's state back from the kernel: what it claims is never the evidence.
fn verify(capability: Capability, child: &Process, kinds: KindSet, ours: &NsView) -> Result<(), Failure> {
    let pid = child.pid();
    let view = child.view().map_err(|e| Failure { error: format!("reading /proc/{pid}/ns: {e}"), errno: e.raw_os_error() })?;
    for kind in kinds.iter() {
        match view.get(kind) {
            None => return Err(Failure::new(format!("/proc/{pid}/ns/{kind} is unreadable"))),
            Some(id) if Some(id) == ours.get(kind) => {
                return Err(Failure::new(format!("the child is still in our {kind} namespace")));
            }
            Some(_) => {}
        }
    }
    match capability {
        Capability::IdMaps => {
            let uid = nix::unistd::getuid().as_raw();
            let gid = nix::unistd::getgid().as_raw();
            for (file, id) in [("uid_map", uid), ("gid_map", gid)] {
                let path = format!("/proc/{pid}/{file}");
                let map = std::fs::read_to_string(&path).map_err(|e| Failure::new(format!("reading {path}: {e}")))?;
                let fields: Vec<&str> = map.split_whitespace().collect();
                if fields != ["0", &id.to_string(), "1"] {
                    return Err(Failure::new(format!("{path} is {:?}, not \"0 {id} 1\"", map.trim())));
                }
            }
        }
        Capability::MountProc => {
            use std::os::unix::fs::MetadataExt;
            // A new procfs is a new superblock, so a device number of its own.
            let inside = format!("/proc/{pid}/root/proc");
            let theirs = std::fs::metadata(&inside).map_err(|e| Failure::new(format!("stat {inside}: {e}")))?;
            let host = std::fs::metadata("/proc").map_err(|e| Failure::new(format!("stat /proc: {e}")))?;
            if theirs.dev() == host.dev() {
                return Err(Failure::new("the child still sees our /proc"));
            }
        }
        Capability::ReadNsLinks => {
            let missing: Vec<&str> = ours.current.keys().filter(|k| view.get(**k).is_none()).map(|k| k.name()).collect();
            if !missing.is_empty() {
                return Err(Failure::new(format!("/proc/{pid}/ns lacks {}", missing.join(" "))));
            }
        }
        Capability::Namespace(_) | Capability::NsfsBind | Capability::Sandbox(_) => {}
    }
    Ok(())
}

/// Waits for a throwaway child and wants status 0.
fn finish(child: &mut Process, program: &str) -> Result<(), Failure> {
    let status = child.wait_timeout(CHILD_TIMEOUT).map_err(|e| Failure::new(format!("waiting for {program}: {e}")))?;
    match status {
        Some(ExitStatus::Exited(0)) => Ok(()),
        Some(ExitStatus::Exited(127)) => Err(Failure::new(format!("{program}: a command it needs was not found"))),
        Some(s) => Err(Failure::new(format!("{program} ended with {s}"))),
        None => Err(Failure::new(format!("{program} hung for {}s and was killed", CHILD_TIMEOUT.as_secs()))),
    }
}

/// Bind-mounts the child's `/proc/self/ns/net` onto a scratch file, checks
/// that the file is now that namespace, and unmounts it: all inside the
/// child's own mount namespace, which is private, so the host never sees it.
fn attempt_nsfs_bind(kinds: KindSet, map_root: bool) -> Result<(), Failure> {
    const SCRIPT: &str = r#"mount --bind /proc/self/ns/net "$1" &&
[ "$(stat -L -c %i "$1")" = "$(stat -L -c %i /proc/self/ns/net)" ] &&
umount "$1""#;
    let target = ScratchFile::create()?;
    let mut spawn = Spawn::shell(SCRIPT);
    spawn
        .args([std::ffi::OsStr::new("nslab-doctor"), target.path.as_os_str()])
        .new_namespaces(kinds, Creation::Clone)
        .map_root(map_root)
        .death_signal(libc::SIGKILL)
        .stdio(Stdio::Null, Stdio::Null, Stdio::Piped);
    let mut child = spawn.start()?;
    let finished = finish(&mut child, "mount --bind");
    let mut stderr = String::new();
    if let Some(fd) = child.stderr.take() {
        let _ = std::fs::File::from(fd).take(4096).read_to_string(&mut stderr);
    }
    finished.map_err(|f| match stderr.trim() {
        "" => f,
        text => Failure::new(format!("{}: {}", f.error, text.lines().next().unwrap_or(text))),
    })
}

/// An empty file of our own in the temp folder, removed on drop. Created
/// with O_EXCL, so nothing planted there beforehand is ever used.
struct ScratchFile {
    path: PathBuf,
}

impl ScratchFile {
    fn create() -> Result<ScratchFile, Failure> {
        let dir = std::env::temp_dir();
        let mut last = None;
        for attempt in 0..16u32 {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let path = dir.join(format!("nslab-doctor-{}-{nanos:x}{attempt}", std::process::id()));
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(ScratchFile { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(Failure::new(format!("creating a scratch file in {}: {e}", dir.display()))),
            }
        }
        Err(Failure::new(format!("creating a scratch file in {}: {}", dir.display(), last.map_or(String::new(), |e| e.to_string()))))
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

// ---------------------------------------------------------------------------
// Lessons: what each needs, and whether it runs here.
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// The report: data for --json, a table for people.
// ---------------------------------------------------------------------------

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
                };
                line.push_str("  ");
                line.push_str(&cell);
            }
            let _ = writeln!(out, "{}", line.trim_end());
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

    #[test]
    fn kernel_releases() {
        let cases = [
            ("6.8.0-45-generic", Some((6, 8))),
            ("5.4.0-150-generic", Some((5, 4))),
            ("6.18.44-fc-v595", Some((6, 18))),
            ("4.19.0+", Some((4, 19))),
            ("5.15.153.1-microsoft-standard-WSL2", Some((5, 15))),
            ("6.1", Some((6, 1))),
            ("6", None),
            ("", None),
        ];
        for (release, want) in cases {
            let got = parse_kernel_release(release).map(|k| (k.major, k.minor));
            assert_eq!(got, want, "{release}");
        }
    }

    #[test]
    fn covered_proc_paths() {
        let mountinfo = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
30 22 0:40 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
31 22 0:5 /null /proc/kcore rw,nosuid - devtmpfs udev rw
32 22 0:41 / /proc/acpi ro - tmpfs tmpfs ro
33 27 0:42 / /processes rw - tmpfs tmpfs rw
";
        assert_eq!(covered_proc_mounts(mountinfo), vec!["/proc/kcore", "/proc/acpi"]);
    }

    #[test]
    fn containers_in_cgroup_paths() {
        let cases = [
            ("0::/\n", None),
            ("12:pids:/docker/3f1e\n0::/system.slice/docker-3f1e.scope\n", Some("docker")),
            ("0::/kubepods/besteffort/pod1/abc\n", Some("kubernetes")),
            ("0::/machine.slice/libpod-abc.scope\n", Some("podman")),
            ("0::/lxc.payload.c1\n", Some("lxc")),
        ];
        for (cgroup, want) in cases {
            assert_eq!(container_in_cgroup(cgroup), want, "{cgroup}");
        }
    }

    #[test]
    fn status_fields() {
        let status = "Name:\tcat\nCapEff:\t000001ffffffffff\nSeccomp:\t2\n";
        assert_eq!(status_field(status, "CapEff"), Some("000001ffffffffff"));
        assert_eq!(status_field(status, "Seccomp"), Some("2"));
        assert_eq!(status_field(status, "Cap"), None);
    }

    fn host_like() -> Settings {
        Settings {
            max_user_namespaces: Some(63000),
            kernel_release: Some("6.8.0".into()),
            kernel: Some(KernelVersion { major: 6, minor: 8 }),
            namespace_kinds: Some(KindSet::ALL),
            proc_is_procfs: true,
            cap_sys_admin: Some(true),
            seccomp: Some(0),
            ..Settings::default()
        }
    }

    /// (settings change, capability, way, errno) → expected fix (or None).
    #[test]
    fn explanations_pick_the_first_cause() {
        let net = Capability::Namespace(NsKind::Net);
        let time = Capability::Namespace(NsKind::Time);
        type Tweak = fn(&mut Settings);
        type Case = (&'static str, Tweak, Capability, Way, Option<i32>, Option<&'static str>);
        let cases: [Case; 12] = [
            ("nothing wrong", |_| {}, net, Way::Rootless, Some(libc::EINVAL), None),
            (
                "apparmor",
                |s| s.apparmor_restrict_unprivileged_userns = Some(true),
                net,
                Way::Rootless,
                Some(libc::EPERM),
                Some("sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
            ),
            ("apparmor spares root", |s| s.apparmor_restrict_unprivileged_userns = Some(true), net, Way::AsRoot, Some(libc::EPERM), None),
            (
                "max 0 before apparmor",
                |s| {
                    s.max_user_namespaces = Some(0);
                    s.apparmor_restrict_unprivileged_userns = Some(true)
                },
                net,
                Way::Rootless,
                Some(libc::ENOSPC),
                Some("sudo sysctl -w user.max_user_namespaces=15000"),
            ),
            (
                "clone 0",
                |s| s.unprivileged_userns_clone = Some(false),
                Capability::IdMaps,
                Way::Rootless,
                Some(libc::EPERM),
                Some("sudo sysctl -w kernel.unprivileged_userns_clone=1"),
            ),
            (
                "old kernel",
                |s| s.kernel = Some(KernelVersion { major: 5, minor: 4 }),
                time,
                Way::AsRoot,
                Some(libc::EINVAL),
                Some("needs Linux 5.6 or later (CONFIG_TIME_NS)"),
            ),
            (
                "no time link",
                |s| s.namespace_kinds = Some(KindSet::ALL.iter().filter(|k| *k != NsKind::Time).collect()),
                time,
                Way::Rootless,
                Some(libc::EINVAL),
                Some("needs Linux 5.6 or later (CONFIG_TIME_NS)"),
            ),
            ("net limit", |_| {}, net, Way::AsRoot, Some(libc::ENOSPC), Some("sudo sysctl -w user.max_net_namespaces=15000")),
            (
                "not procfs",
                |s| s.proc_is_procfs = false,
                Capability::MountProc,
                Way::AsRoot,
                Some(libc::EPERM),
                Some("run nslab where /proc is a real procfs: on the host or in a VM"),
            ),
            (
                "covered /proc",
                |s| {
                    s.proc_covered = vec!["/proc/kcore".into()];
                    s.container = Some(ContainerHint { runtime: "docker".into(), evidence: "/.dockerenv".into() })
                },
                Capability::MountProc,
                Way::Rootless,
                Some(libc::EPERM),
                Some("start the container with --security-opt systempaths=unconfined"),
            ),
            (
                "root without CAP_SYS_ADMIN",
                |s| s.cap_sys_admin = Some(false),
                net,
                Way::AsRoot,
                Some(libc::EPERM),
                Some("run nslab as root with CAP_SYS_ADMIN"),
            ),
            (
                "container seccomp",
                |s| {
                    s.seccomp = Some(2);
                    s.container = Some(ContainerHint { runtime: "docker".into(), evidence: "/.dockerenv".into() })
                },
                net,
                Way::Rootless,
                Some(libc::EPERM),
                Some("start the container with --privileged (or --security-opt seccomp=unconfined)"),
            ),
        ];
        for (what, tweak, capability, way, errno, want) in cases {
            let mut settings = host_like();
            tweak(&mut settings);
            let got = explain(&settings, capability, way, errno);
            assert_eq!(got.as_ref().map(|e| e.fix.as_str()), want, "{what}: {got:?}");
        }
    }

    fn probe_with(as_root: bool, fails: &[(Capability, Way)]) -> Probe {
        let mut checks = Vec::new();
        for way in Way::BOTH {
            for capability in Capability::ALL {
                let outcome = if fails.contains(&(capability, way)) {
                    Outcome::Fails { error: "boom".into(), explanation: Some(Explanation::new("because", "fix it")) }
                } else if way == Way::AsRoot && !as_root {
                    Outcome::NotTried { reason: "needs root".into() }
                } else {
                    Outcome::Works
                };
                checks.push(Check::new(capability, way, outcome));
            }
        }
        Probe { settings: host_like(), as_root, checks }
    }

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
