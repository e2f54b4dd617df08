//! What the kernel shows at one moment: the namespaces of the lab ("host"),
//! of every named process and of every pin, the captured identities and, when
//! asked, the lsns listing — read from `/proc` and nsfs, never from the
//! session's own bookkeeping. A [`Snapshot`] holds everything a verdict needs
//! (`verify` reads nothing else), including what could not be read: a failed
//! read is kept as an error, never turned into an empty answer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ns::{NsId, NsKind, NsView, scan::Listing};

/// One namespace's identity: its kind, its nsfs inode (and device), and its
/// serial (NS_GET_ID, Linux 6.11 and later) where the kernel has serials.
/// Inodes of freed namespaces are reused at once; serials never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The namespace's kind.
    pub kind: NsKind,
    /// Its inode and device.
    pub id: NsId,
    /// Its serial, if the kernel gave one. Not written out (it differs on
    /// every run); verdicts are made where the snapshot is taken.
    #[serde(skip)]
    pub serial: Option<u64>,
}

impl Identity {
    /// True when `self` and `other` are the same namespace: same inode and,
    /// where both have one, same serial (the same inode with another serial is
    /// a namespace that reused a freed one's number).
    pub fn same(&self, other: &Identity) -> bool {
        self.id == other.id && self.serial.zip(other.serial).is_none_or(|(a, b)| a == b)
    }
}

/// A failed read of the kernel's state: what was read, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

/// A process's namespaces, with their serials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The namespaces, as `/proc/PID/ns` shows them.
    #[serde(flatten)]
    pub view: NsView,
    /// The serial of each namespace in `view.current`, where the kernel has
    /// serials. Not written out: they differ on every run, and only verdicts,
    /// which are made where the snapshot is taken, need them.
    #[serde(skip)]
    pub serials: BTreeMap<NsKind, u64>,
}

impl Seen {
    /// Reads the namespaces of `pid` (and their serials).
    pub fn read(pid: i32) -> std::io::Result<Seen> {
        let root = crate::ns::view::proc_root();
        let view = NsView::read(&root, pid)?;
        let serials = view.current.keys().filter_map(|&k| crate::ns::sys::ns_serial_of(&crate::ns::view::ns_path(&root, pid, k)).map(|s| (k, s))).collect();
        Ok(Seen { view, serials })
    }

    /// A view without serials (a kernel older than 6.11, or a test).
    pub fn of(view: NsView) -> Seen {
        Seen { view, serials: BTreeMap::new() }
    }

    /// The identity of the namespace of `kind`.
    pub fn get(&self, kind: NsKind) -> Option<Identity> {
        self.view.get(kind).map(|id| Identity { kind, id, serial: self.serials.get(&kind).copied() })
    }
}

/// A named process, as seen. In JSON: its namespaces, `null` when it is
/// gone, or `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "OrError<Option<Seen>>", from = "OrError<Option<Seen>>")]
pub enum Presence {
    /// It is alive, in these namespaces.
    Alive(Seen),
    /// It is gone.
    Gone,
    /// It may be alive, but its namespaces could not be read.
    Unreadable(ReadError),
}

/// A value, or why it could not be read: in JSON the value, or `{"error": …}`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum OrError<T> {
    Error { error: ReadError },
    Value(T),
}

impl From<Presence> for OrError<Option<Seen>> {
    fn from(p: Presence) -> Self {
        match p {
            Presence::Alive(s) => OrError::Value(Some(s)),
            Presence::Gone => OrError::Value(None),
            Presence::Unreadable(error) => OrError::Error { error },
        }
    }
}

impl From<OrError<Option<Seen>>> for Presence {
    fn from(w: OrError<Option<Seen>>) -> Self {
        match w {
            OrError::Value(Some(s)) => Presence::Alive(s),
            OrError::Value(None) => Presence::Gone,
            OrError::Error { error } => Presence::Unreadable(error),
        }
    }
}

/// (De)serializes a `Result<T, ReadError>` as the value or `{"error": …}`.
mod or_error {
    use super::{OrError, ReadError};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(untagged)]
    enum Ref<'a, T> {
        Error { error: &'a ReadError },
        Value(&'a T),
    }

    pub fn serialize<T: Serialize, S: Serializer>(r: &Result<T, ReadError>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Ok(v) => Ref::Value(v).serialize(s),
            Err(error) => {
                let r: Ref<'_, T> = Ref::Error { error };
                r.serialize(s)
            }
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Result<T, ReadError>, D::Error> {
        Ok(match OrError::<T>::deserialize(d)? {
            OrError::Value(v) => Ok(v),
            OrError::Error { error } => Err(error),
        })
    }
}

/// A pin, as seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// Its path, as the lab sees it.
    pub path: PathBuf,
    /// The namespace it holds; `Ok(None)` when it holds none (any more).
    #[serde(with = "or_error")]
    pub held: Result<Option<Identity>, ReadError>,
}

/// The lsns listing, with the serials of the listed namespaces that a
/// verdict may compare (those whose inode an earlier identity had).
#[derive(Debug, Clone, Default)]
pub struct Listed {
    /// The listing.
    pub listing: Listing,
    /// Serials of some listed namespaces, by identity.
    pub serials: BTreeMap<NsId, u64>,
    /// Listed namespaces whose serial was asked for but could not be read
    /// (the process that held it ended between the scan and the read).
    pub unreadable: BTreeSet<NsId>,
}

impl Listed {
    /// The listed namespace that is `who`: same inode, and the same serial
    /// where both are known. An error when the listed namespace with that
    /// inode cannot be told apart from a newcomer that reused it.
    pub fn find(&self, who: &Identity) -> Result<Option<&crate::ns::Namespace>, String> {
        let Some(row) = self.listing.find(who.id) else { return Ok(None) };
        match (who.serial, self.serials.get(&who.id)) {
            (Some(a), Some(b)) if a != *b => Ok(None),
            (Some(_), None) if self.unreadable.contains(&who.id) => {
                Err(format!("a namespace with inode {} is listed, but its serial could not be read to tell whether it is the same one", who.id.ino))
            }
            _ => Ok(Some(row)),
        }
    }
}

/// What a snapshot is to read besides the namespaces of everything named.
#[derive(Debug, Clone, Default)]
pub struct Want {
    /// Scan `/proc` for the lsns listing.
    pub listing: bool,
    /// Read the serials of these listed namespaces (when they are listed).
    pub serials_of: BTreeSet<NsId>,
}

impl Want {
    /// Just the namespaces, no listing.
    pub fn views() -> Want {
        Want::default()
    }

    /// The listing too, with the serials needed to compare it with every
    /// identity in `earlier` (an inode in it may have been reused since).
    pub fn listing_after(earlier: &Snapshot) -> Want {
        Want { listing: true, serials_of: earlier.identities().map(|i| i.id).collect() }
    }
}

/// The namespaces of everything a lesson knows, read at one moment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// The lab's namespaces: the lesson's "host".
    #[serde(with = "or_error")]
    pub host: Result<Seen, ReadError>,
    /// Each named process.
    pub processes: BTreeMap<String, Presence>,
    /// Each pin.
    pub pins: BTreeMap<String, Pinned>,
    /// The identities saved with `save … as @name` (name without `@`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub captures: BTreeMap<String, Identity>,
    /// The run folder, as the lab sees it: where pins live.
    #[serde(default)]
    pub run_dir: PathBuf,
    /// The lsns listing, when it was asked for; an error when the scan failed.
    #[serde(skip)]
    pub listing: Option<Result<Listed, ReadError>>,
    /// In an exercise: the learner's shell's namespaces, when it is alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Seen>,
}

impl Default for Snapshot {
    fn default() -> Snapshot {
        Snapshot {
            host: Ok(Seen::default()),
            processes: BTreeMap::new(),
            pins: BTreeMap::new(),
            captures: BTreeMap::new(),
            run_dir: PathBuf::new(),
            listing: None,
            shell: None,
        }
    }
}

impl Snapshot {
    /// The lab's namespaces, if they could be read.
    pub fn host_view(&self) -> Option<&NsView> {
        self.host.as_ref().ok().map(|s| &s.view)
    }

    /// The namespace of `kind` of a named process, if it is alive and readable.
    pub fn process(&self, name: &str, kind: NsKind) -> Option<NsId> {
        self.process_view(name)?.get(kind)
    }

    /// The namespaces of a named process, if it is alive and readable.
    pub fn process_view(&self, name: &str) -> Option<&NsView> {
        match self.processes.get(name)? {
            Presence::Alive(seen) => Some(&seen.view),
            _ => None,
        }
    }

    /// Every identity this snapshot saw (host, processes, pins, captures).
    pub fn identities(&self) -> impl Iterator<Item = Identity> + '_ {
        let seen = |s: &Seen| -> Vec<Identity> { s.view.current.keys().filter_map(|&k| s.get(k)).collect() };
        let host = self.host.as_ref().map(seen).unwrap_or_default();
        let procs = self.processes.values().flat_map(move |p| match p {
            Presence::Alive(s) => seen(s),
            _ => Vec::new(),
        });
        let pins = self.pins.values().filter_map(|p| p.held.clone().ok().flatten());
        host.into_iter().chain(procs).chain(pins).chain(self.captures.values().copied())
    }

    /// Adds the namespaces held at files the learner was to create in the
    /// run folder (an exercise's `creates:`), by name; `run_dir` is the run
    /// folder as nslab reaches it.
    pub fn add_created_pins(&mut self, run_dir: &Path, creates: &[(String, NsKind)]) {
        for (name, _) in creates {
            let held = read_pin(&run_dir.join(name));
            self.pins.insert(name.clone(), Pinned { path: self.run_dir.join(name), held });
        }
    }
}

/// The namespace held at `path`: `Ok(None)` when there is no file or it is
/// not a namespace (any more), an error when it could not be looked at.
pub fn read_pin(path: &Path) -> Result<Option<Identity>, ReadError> {
    use crate::ns::EngineError;
    match crate::ns::process::namespace_of_file(path, None) {
        Ok((kind, id)) => Ok(Some(Identity { kind, id, serial: crate::ns::sys::ns_serial_of(path) })),
        Err(EngineError::NotANamespace(_) | EngineError::MissingFile(_)) => Ok(None),
        Err(e) => {
            let errno = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>()).and_then(std::io::Error::raw_os_error);
            if matches!(errno, Some(libc::ENOENT | libc::EINVAL | libc::ENOTTY | libc::ENOTDIR)) {
                Ok(None)
            } else {
                Err(ReadError(format!("cannot read {}: {e}", path.display())))
            }
        }
    }
}

/// Reads a listing's serials for the identities in `want`: the serials
/// read, and the listed identities whose serial could not be read.
/// `serial_of` reads the serial of the namespace behind a path: the
/// process's link, an nsfs mount (as the lab sees it) or an fd.
pub fn listing_serials(listing: &Listing, want: &BTreeSet<NsId>, serial_of: &dyn Fn(&Path) -> Option<u64>) -> (BTreeMap<NsId, u64>, BTreeSet<NsId>) {
    let mut serials = BTreeMap::new();
    let mut unreadable = BTreeSet::new();
    for id in want {
        let Some(row) = listing.find(*id) else { continue };
        let mut paths = row.path.iter().chain(&row.nsfs).chain(&row.held_by_fds);
        match paths.find_map(|p| serial_of(p)) {
            Some(serial) => {
                serials.insert(*id, serial);
            }
            None => {
                unreadable.insert(*id);
            }
        }
    }
    (serials, unreadable)
}
