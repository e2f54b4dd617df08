//! An in-memory [`Lab`]: a made-up kernel with namespaces, processes and
//! pins, so the driver is tested without root, without namespaces and in
//! microseconds. It frees a namespace when nothing holds it any more and can
//! hand its inode to the next new one (with a new serial), as the kernel
//! does; it can fail its `/proc` scan, or its reads of the lab.
//!
//! Commands are a tiny language: `echo TEXT` prints TEXT, `exit N` ends with
//! N, `true` and `false`; anything else is not found (127). Lines joined by
//! `;` run in turn.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::RunOptions;
use super::event::{StepOutcome, StepResult};
use super::exec::{ActionError, CommandResult};
use super::exercise::Mode;
use super::lab::{Lab, Place};
use super::observe::{Identity, Listed, Pinned, Presence, ReadError, Seen, Snapshot, Want};
use super::verify::{self, Evidence, Verdict};
use crate::lesson::{Lesson, RunTarget, Step};
use crate::ns::{ExitStatus, KindSet, Namespace, NsId, NsKind, NsView, scan::Listing};

/// The lab's run folder, as in the real lab.
const RUN_DIR: &str = "/run/nslab";

/// A lab that lives in memory.
#[derive(Debug, Clone)]
pub struct FakeLab {
    host: NsView,
    processes: BTreeMap<String, NsView>,
    pins: BTreeMap<String, (NsKind, NsId)>,
    captures: BTreeMap<String, Identity>,
    serials: BTreeMap<NsId, u64>,
    next_ino: u64,
    next_serial: u64,
    freed: Vec<NsId>,
    /// Give a freed namespace's inode to the next new namespace.
    pub reuse_inodes: bool,
    /// Fail every `/proc` scan (the listing), as a scan that hit EACCES would.
    pub scan_fails: bool,
    /// Fail every read of the lab's own namespaces.
    pub host_unreadable: bool,
    /// Every action performed, in order (`start box`, `run echo hi`, `reset` …).
    pub log: Vec<String>,
}

impl Default for FakeLab {
    fn default() -> Self {
        FakeLab::new()
    }
}

impl FakeLab {
    /// A fresh lab: the host in one namespace of each kind.
    pub fn new() -> FakeLab {
        let mut lab = FakeLab {
            host: NsView::default(),
            processes: BTreeMap::new(),
            pins: BTreeMap::new(),
            captures: BTreeMap::new(),
            serials: BTreeMap::new(),
            next_ino: 4_026_531_835,
            next_serial: 1,
            freed: Vec::new(),
            reuse_inodes: false,
            scan_fails: false,
            host_unreadable: false,
            log: Vec::new(),
        };
        for kind in NsKind::ALL {
            let id = lab.new_namespace();
            lab.host.current.insert(kind, id);
        }
        lab
    }

    fn new_namespace(&mut self) -> NsId {
        let id = match self.reuse_inodes.then(|| self.freed.pop()).flatten() {
            Some(id) => id,
            None => {
                self.next_ino += 1;
                NsId { dev: 4, ino: self.next_ino }
            }
        };
        self.serials.insert(id, self.next_serial);
        self.next_serial += 1;
        id
    }

    /// Every namespace something holds, with how many processes are in it.
    fn live(&self) -> BTreeMap<NsId, (NsKind, usize)> {
        let mut live: BTreeMap<NsId, (NsKind, usize)> = BTreeMap::new();
        for view in std::iter::once(&self.host).chain(self.processes.values()) {
            for (&kind, &id) in &view.current {
                live.entry(id).or_insert((kind, 0)).1 += 1;
            }
        }
        for &(kind, id) in self.pins.values() {
            live.entry(id).or_insert((kind, 0));
        }
        live
    }

    /// Frees the namespaces nothing holds any more.
    fn collect(&mut self) {
        let live = self.live();
        let dead: Vec<NsId> = self.serials.keys().filter(|id| !live.contains_key(id)).copied().collect();
        for id in dead {
            self.serials.remove(&id);
            self.freed.push(id);
        }
    }

    fn view_of(&self, name: &str) -> Result<&NsView, ActionError> {
        if name == "host" {
            return Ok(&self.host);
        }
        self.processes.get(name).ok_or_else(|| ActionError::NotRunning(name.to_string()))
    }

    fn seen(&self, view: &NsView) -> Seen {
        let serials = view.current.iter().filter_map(|(&k, id)| self.serials.get(id).map(|&s| (k, s))).collect();
        Seen { view: view.clone(), serials }
    }

    fn identity(&self, kind: NsKind, id: NsId) -> Identity {
        Identity { kind, id, serial: self.serials.get(&id).copied() }
    }

    /// Runs the tiny command language.
    fn shell(command: &str) -> CommandResult {
        let mut out = CommandResult::default();
        let mut status = 0;
        for part in command.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let (word, rest) = part.split_once(' ').unwrap_or((part, ""));
            status = match word {
                "echo" => {
                    out.stdout.push_str(rest);
                    out.stdout.push('\n');
                    0
                }
                "true" => 0,
                "false" => 1,
                "exit" => {
                    status = rest.trim().parse().unwrap_or(2);
                    break;
                }
                _ => {
                    out.stderr.push_str(&format!("sh: {word}: not found\n"));
                    127
                }
            };
        }
        out.status = Some(ExitStatus::Exited(status));
        out
    }
}

impl Lab for FakeLab {
    fn start(&mut self, name: &str, kinds: KindSet, inside: Option<&str>) -> Result<(), ActionError> {
        self.log.push(format!("start {name}"));
        let mut view = self.view_of(inside.unwrap_or("host"))?.clone();
        for kind in kinds.iter() {
            let id = self.new_namespace();
            view.current.insert(kind, id);
        }
        self.processes.insert(name.to_string(), view);
        self.collect();
        Ok(())
    }

    fn stop(&mut self, name: &str) -> Result<(), ActionError> {
        self.log.push(format!("stop {name}"));
        self.processes.remove(name).ok_or_else(|| ActionError::NotRunning(name.to_string()))?;
        self.collect();
        Ok(())
    }

    fn run(&mut self, place: Place<'_>, command: &str, _stdin: Option<&str>, _timeout: Duration) -> Result<CommandResult, ActionError> {
        match place {
            Place::In(RunTarget::Process(name)) => {
                self.view_of(name)?;
            }
            Place::In(RunTarget::Pin(pin)) if !self.pins.contains_key(pin) => return Err(ActionError::NoPin(pin.clone())),
            _ => {}
        }
        self.log.push(format!("run {command}"));
        Ok(FakeLab::shell(command))
    }

    fn pin(&mut self, process: &str, kind: NsKind, pin: &str) -> Result<(), ActionError> {
        self.log.push(format!("pin {pin}"));
        let id = self.view_of(process)?.get(kind).ok_or_else(|| ActionError::NotRunning(process.to_string()))?;
        self.pins.insert(pin.to_string(), (kind, id));
        Ok(())
    }

    fn unpin(&mut self, pin: &str) -> Result<(), ActionError> {
        self.log.push(format!("unpin {pin}"));
        self.pins.remove(pin).ok_or_else(|| ActionError::NoPin(pin.to_string()))?;
        self.collect();
        Ok(())
    }

    fn lsns(&self, kinds: KindSet) -> String {
        self.live().iter().filter(|(_, (k, _))| kinds.contains(*k)).map(|(id, (k, n))| format!("{} {k} {n}\n", id.ino)).collect()
    }

    fn snapshot(&self, want: &Want) -> Snapshot {
        let host = if self.host_unreadable { Err(ReadError("EACCES (the fake lab was told to fail)".into())) } else { Ok(self.seen(&self.host)) };
        let processes = self.processes.iter().map(|(n, v)| (n.clone(), Presence::Alive(self.seen(v)))).collect();
        let run_dir = PathBuf::from(RUN_DIR);
        let pins = self.pins.iter().map(|(n, &(kind, id))| (n.clone(), Pinned { path: run_dir.join(n), held: Ok(Some(self.identity(kind, id))) })).collect();
        let listing = want.listing.then(|| {
            if self.scan_fails {
                return Err(ReadError("cannot read /proc: EACCES (the fake lab was told to fail)".into()));
            }
            let namespaces = self
                .live()
                .into_iter()
                .map(|(id, (kind, nprocs))| Namespace {
                    nprocs,
                    nsfs: self.pins.iter().filter(|(_, (_, p))| *p == id).map(|(n, _)| run_dir.join(n)).collect(),
                    ..Namespace::new(id, kind)
                })
                .collect();
            Ok(Listed { listing: Listing { namespaces }, serials: self.serials.clone(), unreadable: Default::default() })
        });
        Snapshot { host, processes, pins, captures: self.captures.clone(), run_dir, listing, shell: None }
    }

    fn capture(&mut self, name: &str, who: Identity) {
        self.captures.insert(name.to_string(), who);
    }

    /// The exercise is worked in the host's namespaces: its reference
    /// solution runs as a command (in [`Mode::Solution`]), or nothing does.
    fn exercise(&mut self, _lesson: &Lesson, step: &Step, _opts: &RunOptions, mode: Mode) -> StepResult {
        let before = self.snapshot(&Want::views());
        let solution = step.exercise.as_ref().map_or("", |e| e.solution.as_str());
        let command = (mode != Mode::Nothing).then(|| FakeLab::shell(solution));
        let mut after = self.snapshot(&Want::listing_after(&before));
        after.shell = after.host.clone().ok();
        let verdicts = verify::verify(step, &Evidence { before: &before, after: &after, command: command.as_ref() });
        // With nothing done, only the verdicts count (as `check` typed at once).
        let solved = command.as_ref().is_none_or(|c| c.status == Some(ExitStatus::Exited(0)));
        let passed = solved && verdicts.iter().all(Verdict::holds);
        StepResult {
            verdicts,
            command,
            before: Some(before),
            observed: Some(after),
            ..StepResult::new(step, if passed { StepOutcome::Passed } else { StepOutcome::Failed })
        }
    }

    fn place_file(&mut self, name: &str, _text: &str) -> Result<(), String> {
        self.log.push(format!("file {name}"));
        Ok(())
    }

    fn reset(&mut self) -> Result<(), String> {
        let log = std::mem::take(&mut self.log);
        let (reuse, scan, host) = (self.reuse_inodes, self.scan_fails, self.host_unreadable);
        *self = FakeLab { reuse_inodes: reuse, scan_fails: scan, host_unreadable: host, log, ..FakeLab::new() };
        self.log.push("reset".into());
        Ok(())
    }

    fn teardown(&mut self) {
        self.log.push("teardown".into());
        self.processes.clear();
        self.pins.clear();
        self.collect();
    }
}
