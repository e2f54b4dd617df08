//! A process's view of namespaces, read from `/proc/PID/ns/*`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{NsId, NsKind};

/// The `/proc` nslab reads other processes through. It is always the one of
/// nslab's own mount namespace: a lesson's lab gets a procfs of its own pid
/// namespace, but in a mount namespace of the lab's (see `run::session`).
pub fn proc_root() -> PathBuf {
    PathBuf::from("/proc")
}

/// Which namespaces one process is in, as the kernel shows them at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NsView {
    /// The namespace of each kind the process is in; a kind the caller may not
    /// read, or the kernel lacks, is absent.
    pub current: BTreeMap<NsKind, NsId>,
    /// `pid_for_children` and `time_for_children`: where the process's next
    /// children will be created. Absent when unreadable.
    pub for_children: BTreeMap<NsKind, NsId>,
}

impl NsView {
    /// Reads the view of `pid` under the proc root `proc_root` (normally `/proc`).
    ///
    /// Fails with ENOENT/ESRCH when the process is gone, and EACCES when the
    /// caller may read none of its links.
    pub fn read(proc_root: &Path, pid: i32) -> io::Result<NsView> {
        Self::read_dir(&proc_root.join(pid.to_string()).join("ns"))
    }

    /// Reads the view of the calling process.
    pub fn of_self() -> io::Result<NsView> {
        Self::read_dir(&proc_root().join("self/ns"))
    }

    fn read_dir(dir: &Path) -> io::Result<NsView> {
        let mut view = NsView::default();
        let mut first_error = None;
        for kind in NsKind::ALL {
            match std::fs::metadata(dir.join(kind.name())) {
                Ok(meta) => {
                    view.current.insert(kind, NsId::from_metadata(&meta));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
            if let Some(name) = kind.for_children_name()
                && let Ok(meta) = std::fs::metadata(dir.join(name))
            {
                view.for_children.insert(kind, NsId::from_metadata(&meta));
            }
        }
        match first_error {
            Some(e) if view.current.is_empty() => Err(e),
            _ => Ok(view),
        }
    }

    /// The namespace of `kind`, if readable.
    pub fn get(&self, kind: NsKind) -> Option<NsId> {
        self.current.get(&kind).copied()
    }
}

/// The path of a process's namespace link: `/proc/PID/ns/KIND`.
pub fn ns_path(proc_root: &Path, pid: i32, kind: NsKind) -> PathBuf {
    proc_root.join(pid.to_string()).join("ns").join(kind.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_view() {
        let view = NsView::of_self().unwrap();
        assert_eq!(view.current.len(), NsKind::ALL.len(), "all eight kinds readable for self");
        let again = NsView::read(Path::new("/proc"), std::process::id() as i32).unwrap();
        assert_eq!(view, again);
        assert_eq!(view.for_children.get(&NsKind::Pid), view.current.get(&NsKind::Pid));
    }

    #[test]
    fn missing_process_is_an_error() {
        let err = NsView::read(Path::new("/proc"), i32::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
