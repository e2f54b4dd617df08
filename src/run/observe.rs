//! What the kernel shows at one moment: the namespaces of the lab ("host"),
//! of every named process and of every pin, read from `/proc` and nsfs — never
//! from the session's own bookkeeping.

use std::collections::BTreeMap;

use serde::Serialize;

use super::session::Session;
use crate::ns::{NsId, NsKind, NsView, scan::Listing};

/// The namespaces of everything a lesson knows, read at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// The lab's namespaces: the lesson's "host".
    pub host: NsView,
    /// Each named process's namespaces; `None` once it is gone.
    pub processes: BTreeMap<String, Option<NsView>>,
    /// The namespace each pin holds; `None` when the pin is not a namespace
    /// file (any more).
    pub pins: BTreeMap<String, Option<(NsKind, NsId)>>,
    /// The lsns listing, read only when a step's expectations need it.
    #[serde(skip)]
    pub listing: Option<Listing>,
    /// In an exercise: the learner's shell's namespaces, when it is alive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<NsView>,
}

impl Snapshot {
    /// Reads the state of `session` now; scans `/proc` for the listing too when
    /// `with_listing`.
    pub fn take(session: &Session, with_listing: bool) -> Snapshot {
        let proc_root = &crate::ns::view::proc_root();
        let host = NsView::read(proc_root, session.host_pid()).unwrap_or_default();
        let processes = session
            .process_names()
            .map(|name| {
                let view = session.pid(name).and_then(|pid| NsView::read(proc_root, pid).ok());
                (name.to_string(), view)
            })
            .collect();
        let pins = session
            .pin_names()
            .map(|name| {
                let id = session.pin(name).and_then(|p| crate::ns::process::namespace_of_file(p, None).ok());
                (name.to_string(), id)
            })
            .collect();
        let listing = with_listing.then(|| session.scanner(crate::ns::KindSet::ALL).scan_bare().unwrap_or_default());
        Snapshot { host, processes, pins, listing, shell: None }
    }

    /// Adds the namespaces held at files the learner was to create in the
    /// run folder (an exercise's `creates:`), by name.
    pub fn add_created_pins(&mut self, run_dir: &std::path::Path, creates: &[(String, NsKind)]) {
        for (name, _) in creates {
            let id = crate::ns::process::namespace_of_file(&run_dir.join(name), None).ok();
            self.pins.insert(name.clone(), id);
        }
    }

    /// The namespace of `kind` of a named process, if it is alive and readable.
    pub fn process(&self, name: &str, kind: NsKind) -> Option<NsId> {
        self.processes.get(name)?.as_ref()?.get(kind)
    }
}
