//! The probe: try each capability for real in a throwaway child, and record
//! what starting a real lab showed of the sandbox.

use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::{Capability, Check, Outcome, PartResult, SandboxPart, Settings, Way, explain, unprivileged_block};
use crate::ns::{Creation, EngineError, ExitStatus, KindSet, NsView, Process, Spawn, Stdio};

/// How long one throwaway child may take before it counts as hung.
const CHILD_TIMEOUT: Duration = Duration::from_secs(10);

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
                // The lab's own cgroup is optional: without one, rlimits
                // bound each process.
                Err((error, _)) if *part == SandboxPart::Cgroup => Outcome::Absent {
                    reason: format!("{error} (as root, or in a cgroup delegated to this user); rlimits bound each of the lab's processes instead"),
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
