//! Explanations: settings → why a capability fails and the command that
//! fixes it. Pure.

use super::{Capability, Explanation, MAX_USER_NAMESPACES_FIX, Settings, Way};
use crate::ns::NsKind;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::ContainerHint;
    use crate::doctor::fixtures::host_like;
    use crate::lesson::KernelVersion;
    use crate::ns::KindSet;

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
}
