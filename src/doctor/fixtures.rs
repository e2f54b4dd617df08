//! What the doctor's unit tests share: settings of an ordinary host, and a
//! probe whose checks work but for the ones a test names.

use super::{Capability, Check, Explanation, Outcome, Probe, Settings, Way};
use crate::lesson::KernelVersion;
use crate::ns::KindSet;

pub(super) fn host_like() -> Settings {
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

pub(super) fn probe_with(as_root: bool, fails: &[(Capability, Way)]) -> Probe {
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
