//! A control group of the lab's own, where nslab may make one: the whole
//! lab's memory and processes bounded together, where rlimits bound each
//! process alone.
//!
//! nslab makes one where it may write below its own cgroup — as root, or in
//! a cgroup delegated to the learner (owned by them) — in the cgroup v2
//! hierarchy where the cgroup above hands the memory and pids controllers
//! down, else in the v1 `memory` and `pids` hierarchies. (Not yet: a v2
//! cgroup delegated to an ordinary user that nslab itself is a member of,
//! such as a systemd scope with `Delegate=yes`; v2 gives a cgroup with
//! members no controllers for its children, so nslab would first have to
//! move itself into a leaf below.) The worker moves itself in before it creates the lab's
//! init, so that everything in the lab is born inside, and the lab's cgroup
//! namespace has the lab's cgroup as its root. The process that forked the
//! worker removes it once the worker has ended ([`remove_of`]); one left by
//! a worker whose parent was killed too is removed by the next lab made
//! beside it (the kernel refuses to remove one that still has processes, so
//! a live lab's is never touched).
//!
//! Where none can be had (an ordinary user without a delegated cgroup), the
//! limits are the rlimits of [`super::sandbox::LIMITS`] alone, and the
//! doctor says so.

use std::io;
use std::path::{Path, PathBuf};

/// The most memory the whole lab may use (the kernel reclaims, then kills
/// inside the lab, past it).
pub const MEMORY_MAX: u64 = 1 << 30;

/// The most processes (threads included) the whole lab may have.
pub const PIDS_MAX: u64 = 512;

/// The prefix of a lab's cgroup's name; the worker's pid and a number follow.
const PREFIX: &str = "nslab-lab-";

/// The lab's cgroup: one directory (cgroup v2) or one per controller (v1).
#[derive(Debug)]
pub struct LabCgroup {
    /// Each directory and the one above it, where the worker goes back.
    dirs: Vec<(PathBuf, PathBuf)>,
    /// "cgroup v2" or "cgroup v1", for the doctor.
    pub kind: &'static str,
}

impl LabCgroup {
    /// Makes the lab's cgroup, with [`MEMORY_MAX`] and [`PIDS_MAX`], and moves
    /// the calling process into it. `Ok(None)` when nslab may make none here
    /// (not root and nothing delegated, or no such controllers).
    pub fn enter() -> io::Result<Option<LabCgroup>> {
        let places = Places::read()?;
        // The pid names the worker (for `sweep`); the clock tells apart
        // workers with one pid in different pid namespaces.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("{PREFIX}{}-{nanos:09}", std::process::id());
        for parent in places.v2 {
            let controls = std::fs::read_to_string(parent.join("cgroup.subtree_control")).unwrap_or_default();
            if has_both(&controls) && writable(&parent) {
                let dir = parent.join(&name);
                return make(&[(dir, parent)], "cgroup v2", &[("memory.max", MEMORY_MAX), ("pids.max", PIDS_MAX)]).map(Some);
            }
        }
        match places.v1 {
            Some(parents) if parents.iter().all(|p| writable(p)) => {
                let dirs: Vec<(PathBuf, PathBuf)> = parents.into_iter().map(|p| (p.join(&name), p)).collect();
                make(&dirs, "cgroup v1", &[("memory.limit_in_bytes", MEMORY_MAX), ("pids.max", PIDS_MAX)]).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The directories, for the doctor and tests.
    pub fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.dirs.iter().map(|(d, _)| d.as_path())
    }
}

impl Drop for LabCgroup {
    /// Removes the lab's cgroup if it is empty: when making it failed half
    /// way. Once the worker is in it, the worker's parent removes it after
    /// the worker ends ([`remove_of`]): moving the worker out first would
    /// cost a second wait for the kernel (see [`remove_of`]).
    fn drop(&mut self) {
        for (dir, _) in &self.dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Removes the cgroups of the lab worker `pid`, which has ended (called by
/// the process that forked it and has reaped it). The worker does not move
/// itself out before it ends: on cgroup v1 every move of a process waits for
/// an RCU grace period (about 16 ms here), and one, on the way in, is enough.
pub fn remove_of(pid: u32) {
    let prefix = format!("{PREFIX}{pid}-");
    for parent in Places::all() {
        let Ok(entries) = std::fs::read_dir(&parent) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                let _ = std::fs::remove_dir(entry.path());
            }
        }
    }
}

/// Where a lab's cgroup may be made, from this process's own cgroups (a
/// worker's, before it moves, are its parent's).
struct Places {
    /// cgroup v2: below our own cgroup (possible only at the root of the
    /// hierarchy we see, where members and controllers may be together),
    /// else, as root, below that root.
    v2: Vec<PathBuf>,
    /// cgroup v1: our cgroups in the `memory` and the `pids` hierarchy,
    /// when both are there.
    v1: Option<Vec<PathBuf>>,
}

impl Places {
    fn read() -> io::Result<Places> {
        let own = std::fs::read_to_string("/proc/self/cgroup")?;
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
        let ours = |controller| {
            let (mnt, root) = mount_of(&mounts, controller)?;
            let path = cgroup_of(&own, controller)?;
            locate(&mnt, &root, path).map(|dir| (dir, mnt))
        };
        let v2 = ours(None).map(|(dir, mnt)| vec![dir, mnt]).unwrap_or_default();
        let v1 = ["memory", "pids"].into_iter().map(|c| ours(Some(c)).map(|(dir, _)| dir)).collect();
        Ok(Places { v2, v1 })
    }

    /// Every one of them.
    fn all() -> Vec<PathBuf> {
        Places::read().map(|p| p.v2.into_iter().chain(p.v1.into_iter().flatten()).collect()).unwrap_or_default()
    }
}

/// Creates `dirs`, writes `limits` into whichever has each file, then moves
/// the caller in. Undone on any failure.
fn make(dirs: &[(PathBuf, PathBuf)], kind: &'static str, limits: &[(&str, u64)]) -> io::Result<LabCgroup> {
    for (_, parent) in dirs {
        sweep(parent);
    }
    let mut made = LabCgroup { dirs: Vec::new(), kind };
    let result = (|| {
        for (dir, parent) in dirs {
            std::fs::create_dir(dir)?;
            made.dirs.push((dir.clone(), parent.clone()));
            for (file, value) in limits {
                let path = dir.join(file);
                if path.exists() {
                    std::fs::write(&path, value.to_string())?;
                }
            }
        }
        for (dir, _) in dirs {
            std::fs::write(dir.join("cgroup.procs"), b"0")?;
        }
        Ok(())
    })();
    // On failure, dropping what was made undoes it.
    result.map(|()| made)
}

/// Removes the cgroups of labs whose worker is gone (killed with the process
/// that would have removed it). The kernel refuses to remove a cgroup with
/// processes, so a live lab's stays; one younger than a few seconds is left
/// alone too, as its worker may be moving in right now. (The worker's pid in
/// the name cannot tell: it may be another pid namespace's.)
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let ours = entry.file_name().to_str().is_some_and(|n| n.starts_with(PREFIX));
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > std::time::Duration::from_secs(10)));
        if ours && old {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

fn has_both(controls: &str) -> bool {
    let words: Vec<&str> = controls.split_whitespace().collect();
    words.contains(&"memory") && words.contains(&"pids")
}

/// May this process make a cgroup below `dir`: root, or the owner of a
/// delegated one.
fn writable(dir: &Path) -> bool {
    nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_ok() && nix::unistd::access(&dir.join("cgroup.procs"), nix::unistd::AccessFlags::W_OK).is_ok()
}

fn join(mnt: &Path, path: &str) -> PathBuf {
    mnt.join(path.trim_start_matches('/'))
}

/// This process's cgroup directory under a hierarchy mounted at `mnt`, whose
/// mount shows cgroup `root`; `path` is the process's cgroup, both as this
/// process's cgroup namespace names them. Inside a cgroup namespace, a
/// hierarchy mounted outside it shows a root above the namespace's
/// (`/../..`): the directories between are found by looking for this
/// process among the members at that depth.
fn locate(mnt: &Path, root: &str, path: &str) -> Option<PathBuf> {
    let ups = root.split('/').filter(|c| *c == "..").count();
    if ups == 0 {
        let rest = path.strip_prefix(root.trim_end_matches('/'))?;
        return Some(join(mnt, rest));
    }
    if root.split('/').any(|c| !c.is_empty() && c != "..") {
        return None;
    }
    let me = std::process::id().to_string();
    let mut level = vec![mnt.to_path_buf()];
    for _ in 0..ups {
        level = level
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
    }
    level.into_iter().map(|d| join(&d, path)).find(|d| std::fs::read_to_string(d.join("cgroup.procs")).is_ok_and(|t| t.lines().any(|l| l == me)))
}

/// The mount point and shown root of the cgroup v2 hierarchy
/// (`controller == None`) or of the v1 hierarchy of `controller`, from a
/// mountinfo text.
fn mount_of(mountinfo: &str, controller: Option<&str>) -> Option<(PathBuf, String)> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mut r = right.split_whitespace();
        let (fstype, _source, options) = (r.next()?, r.next()?, r.next().unwrap_or(""));
        let mut l = left.split_whitespace();
        let (root, point) = (l.nth(3)?, l.next()?);
        let fits = match controller {
            None => fstype == "cgroup2",
            Some(c) => fstype == "cgroup" && options.split(',').any(|o| o == c),
        };
        fits.then(|| (PathBuf::from(point), root.to_string()))
    })
}

/// This process's cgroup path in the v2 hierarchy (`0::PATH`) or in the v1
/// hierarchy of `controller`, from a `/proc/self/cgroup` text.
fn cgroup_of<'a>(text: &'a str, controller: Option<&str>) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (_id, controllers, path) = (f.next()?, f.next()?, f.next()?);
        let fits = match controller {
            None => controllers.is_empty(),
            Some(c) => controllers.split(',').any(|x| x == c),
        };
        fits.then_some(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "35 24 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n\
                          36 24 0:31 /../.. /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory\n\
                          37 24 0:32 / /sys/fs/cgroup/pids rw,nosuid shared:12 - cgroup cgroup rw,pids\n";

    #[test]
    fn finds_each_hierarchy() {
        let at = |p: &str, r: &str| Some((PathBuf::from(p), r.to_string()));
        assert_eq!(mount_of(HYBRID, None), at("/sys/fs/cgroup/unified", "/"));
        assert_eq!(mount_of(HYBRID, Some("memory")), at("/sys/fs/cgroup/memory", "/../.."));
        assert_eq!(mount_of(HYBRID, Some("pids")), at("/sys/fs/cgroup/pids", "/"));
        assert_eq!(mount_of(HYBRID, Some("cpu")), None);
    }

    #[test]
    fn locates_below_the_mounts_root() {
        assert_eq!(locate(Path::new("/c"), "/", "/a/b"), Some(PathBuf::from("/c/a/b")));
        assert_eq!(locate(Path::new("/c"), "/a", "/a/b"), Some(PathBuf::from("/c/b")));
        assert_eq!(locate(Path::new("/c"), "/x", "/a/b"), None);
        assert_eq!(locate(Path::new("/c"), "/../x", "/"), None);
    }

    /// Above the cgroup namespace's root, the directories between are found
    /// by membership: this test process is a member of its own cgroup.
    #[test]
    fn locates_above_a_cgroup_namespace_root() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("outer/inner");
        std::fs::create_dir_all(&ours).unwrap();
        std::fs::create_dir_all(dir.path().join("other/inner")).unwrap();
        std::fs::write(dir.path().join("other/inner/cgroup.procs"), "1\n").unwrap();
        std::fs::write(ours.join("cgroup.procs"), format!("1\n{}\n", std::process::id())).unwrap();
        assert_eq!(locate(dir.path(), "/../..", "/"), Some(ours));
    }

    #[test]
    fn reads_own_cgroup() {
        let own = "9:name=systemd:/\n8:pids:/a\n4:memory:/process_api/x\n1:cpu,cpuacct:/\n0::/user.slice\n";
        assert_eq!(cgroup_of(own, None), Some("/user.slice"));
        assert_eq!(cgroup_of(own, Some("memory")), Some("/process_api/x"));
        assert_eq!(cgroup_of(own, Some("cpuacct")), Some("/"));
        assert_eq!(join(Path::new("/sys/fs/cgroup/memory"), "/process_api/x"), PathBuf::from("/sys/fs/cgroup/memory/process_api/x"));
    }

    #[test]
    fn both_controllers_needed() {
        assert!(has_both("cpu memory io pids"));
        assert!(!has_both("cpu memory"));
    }
}
