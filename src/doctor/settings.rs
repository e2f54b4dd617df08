//! Settings: what the kernel is configured to allow, read from `/proc`,
//! `/sys` and the environment ([`Settings::read`]), with the plain parsers
//! of what it reads.

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::{TIME_NS_KERNEL, tools_on_path};
use crate::lesson::{KernelVersion, ToolSet};
use crate::ns::{KindSet, NsKind};

/// `CAP_SYS_ADMIN`'s bit in `CapEff`.
const CAP_SYS_ADMIN_BIT: u32 = 21;

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
    /// The `PATH` in which to look for the programs a lesson may need.
    pub path: Option<std::ffi::OsString>,
}

impl Sources {
    /// The real machine: `/proc`, `/` and this process's environment.
    pub fn host() -> Sources {
        Sources {
            proc_root: PathBuf::from("/proc"),
            fs_root: PathBuf::from("/"),
            container_env: std::env::var("container").ok().filter(|v| !v.is_empty()),
            path: std::env::var_os("PATH"),
        }
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
    /// The programs a lesson may need (`needs: cc or python3`) that are on
    /// this process's `PATH`.
    pub tools: ToolSet,
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
            tools: tools_on_path(sources.path.as_deref()),
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
}
