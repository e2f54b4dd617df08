//! The seam between the driver and the kernel: [`Lab`] is everything the
//! driver asks of the lab a lesson runs in — start, stop, run, pin, unpin,
//! snapshot — as youki's `Syscall` trait is for its container. The real one
//! is [`SessionLab`], a [`Session`] in a lab of its own; [`super::fake::FakeLab`]
//! keeps a made-up kernel in memory, so the driver is tested without root.

use std::collections::BTreeSet;
use std::time::Duration;

use super::exec::{self, ActionError, CommandResult};
use super::exercise::{self, Mode};
use super::observe::{Identity, Listed, Pinned, Presence, ReadError, Seen, Snapshot, Want, listing_serials, read_pin};
use super::session::{Session, SessionError};
use super::{RunOptions, event::StepResult};
use crate::lesson::{Action, Lesson, RunTarget, Step};
use crate::ns::{KindSet, NsKind};

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// In the namespaces of the lab, a named process or a pin (`run:`, `run in NAME:`).
    In(&'a RunTarget),
    /// In the lab, after unsharing these kinds (`unshare KIND…:`).
    Unshare(KindSet),
}

/// What the driver asks of a lab.
pub trait Lab {
    /// Starts a long-lived process `name` in new namespaces of `kinds`, in the
    /// namespaces of the process `inside` (or of the lab).
    fn start(&mut self, name: &str, kinds: KindSet, inside: Option<&str>) -> Result<(), ActionError>;
    /// Stops (kills and reaps) a named process.
    fn stop(&mut self, name: &str) -> Result<(), ActionError>;
    /// Runs a shell command with a time limit, `stdin` (or /dev/null) as its input.
    fn run(&mut self, place: Place<'_>, command: &str, stdin: Option<&str>, timeout: Duration) -> Result<CommandResult, ActionError>;
    /// Pins the `kind` namespace of a named process (or `host`) at the pin `pin`.
    fn pin(&mut self, process: &str, kind: NsKind, pin: &str) -> Result<(), ActionError>;
    /// Releases a pin.
    fn unpin(&mut self, pin: &str) -> Result<(), ActionError>;
    /// An lsns table of `kinds`, to show the learner.
    fn lsns(&self, kinds: KindSet) -> String;
    /// What the kernel shows now: everything named, the captures, and what `want` asks besides.
    fn snapshot(&self, want: &Want) -> Snapshot;
    /// Remembers an identity under a capture name (`save … as @name`).
    fn capture(&mut self, name: &str, who: Identity);
    /// Runs an exercise in `mode` (the learner's shell, the reference
    /// solution, or nothing done) and judges it.
    fn exercise(&mut self, lesson: &Lesson, step: &Step, opts: &RunOptions, mode: Mode) -> StepResult;
    /// Starts over in a fresh lab: nothing of the steps run so far remains.
    fn reset(&mut self) -> Result<(), String>;
    /// Kills every process and releases every pin.
    fn teardown(&mut self);
}

/// The result of performing an action.
pub use exec::ActionResult;

/// Performs `action` in `lab`.
pub fn perform<L: Lab + ?Sized>(lab: &mut L, action: &Action, stdin: Option<&str>, timeout: Duration) -> Result<ActionResult, ActionError> {
    let mut result = ActionResult::default();
    match action {
        Action::Start { name, kinds, inside } => lab.start(name, *kinds, inside.as_deref())?,
        Action::Run { target, command } => result.command = Some(lab.run(Place::In(target), command, stdin, timeout)?),
        Action::Unshare { kinds, command } => result.command = Some(lab.run(Place::Unshare(*kinds), command, stdin, timeout)?),
        Action::Pin { process, kind, pin } => lab.pin(process, *kind, pin)?,
        Action::Unpin { pin } => lab.unpin(pin)?,
        Action::Stop { name } => lab.stop(name)?,
        Action::YourTurn => {}
        Action::Lsns { kinds } => result.display = Some(lab.lsns(if kinds.is_empty() { KindSet::ALL } else { *kinds })),
    }
    Ok(result)
}

/// The real lab: a [`Session`] whose worker process has moved into new
/// namespaces of its own.
pub struct SessionLab {
    /// The session.
    pub session: Session,
}

impl SessionLab {
    /// Moves this (single-threaded, dedicated worker) process into a new
    /// lab: the sandbox, or with `sandbox == false` (`--no-sandbox`) the
    /// namespaces alone.
    pub fn enter(sandbox: bool) -> Result<SessionLab, SessionError> {
        Ok(SessionLab { session: Session::enter(sandbox)? })
    }

    fn act(&mut self, action: Action, stdin: Option<&str>, timeout: Duration) -> Result<ActionResult, ActionError> {
        exec::perform(&mut self.session, &action, stdin, timeout)
    }
}

const NO_TIMEOUT: Duration = Duration::from_secs(3600);

impl Lab for SessionLab {
    fn start(&mut self, name: &str, kinds: KindSet, inside: Option<&str>) -> Result<(), ActionError> {
        self.act(Action::Start { name: name.into(), kinds, inside: inside.map(String::from) }, None, NO_TIMEOUT).map(drop)
    }

    fn stop(&mut self, name: &str) -> Result<(), ActionError> {
        self.act(Action::Stop { name: name.into() }, None, NO_TIMEOUT).map(drop)
    }

    fn run(&mut self, place: Place<'_>, command: &str, stdin: Option<&str>, timeout: Duration) -> Result<CommandResult, ActionError> {
        let action = match place {
            Place::In(target) => Action::Run { target: target.clone(), command: command.into() },
            Place::Unshare(kinds) => Action::Unshare { kinds, command: command.into() },
        };
        Ok(self.act(action, stdin, timeout)?.command.unwrap_or_default())
    }

    fn pin(&mut self, process: &str, kind: NsKind, pin: &str) -> Result<(), ActionError> {
        self.act(Action::Pin { process: process.into(), kind, pin: pin.into() }, None, NO_TIMEOUT).map(drop)
    }

    fn unpin(&mut self, pin: &str) -> Result<(), ActionError> {
        self.act(Action::Unpin { pin: pin.into() }, None, NO_TIMEOUT).map(drop)
    }

    fn lsns(&self, kinds: KindSet) -> String {
        exec::lsns_table(&self.session, kinds)
    }

    fn snapshot(&self, want: &Want) -> Snapshot {
        Snapshot::take_with(&self.session, want)
    }

    fn capture(&mut self, name: &str, who: Identity) {
        self.session.capture(name, who.kind, who.id, who.serial);
    }

    fn exercise(&mut self, lesson: &Lesson, step: &Step, opts: &RunOptions, mode: Mode) -> StepResult {
        exercise::run_exercise(&mut self.session, lesson, step, opts, mode)
    }

    fn reset(&mut self) -> Result<(), String> {
        self.session.renew().map_err(|e| e.to_string())
    }

    fn teardown(&mut self) {
        self.session.teardown();
    }
}

impl Snapshot {
    /// Reads the state of `session` now; scans `/proc` for the listing too when
    /// `with_listing`.
    pub fn take(session: &Session, with_listing: bool) -> Snapshot {
        Snapshot::take_with(session, &Want { listing: with_listing, serials_of: BTreeSet::new() })
    }

    /// Reads the state of `session` now, and what `want` asks besides.
    pub fn take_with(session: &Session, want: &Want) -> Snapshot {
        let host = Seen::read(session.host_pid()).map_err(|e| ReadError(format!("cannot read the lab's namespaces: {e}")));
        let processes = session
            .process_names()
            .map(|name| {
                let presence = match session.pid(name).map(Seen::read) {
                    None => Presence::Gone,
                    Some(Ok(seen)) => Presence::Alive(seen),
                    Some(Err(e)) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ESRCH)) => Presence::Gone,
                    Some(Err(e)) => Presence::Unreadable(ReadError(format!("cannot read the namespaces of {name}: {e}"))),
                };
                (name.to_string(), presence)
            })
            .collect();
        let pins = session
            .pin_names()
            .map(|name| {
                let path = session.pin_path(name);
                let held = read_pin(&path);
                (name.to_string(), Pinned { path, held })
            })
            .collect();
        let captures = session
            .capture_names()
            .filter_map(|name| session.captured(name).map(|(kind, id)| (name.to_string(), Identity { kind, id, serial: session.captured_serial(name) })))
            .collect();
        let mut snap = Snapshot { host, processes, pins, captures, run_dir: session.run_dir().to_path_buf(), listing: None, shell: None };
        if want.listing {
            let scanned = session.scanner(crate::ns::KindSet::ALL).scan_bare();
            snap.listing = Some(match scanned {
                Ok(listing) => {
                    let mut ids = want.serials_of.clone();
                    ids.extend(snap.identities().map(|i| i.id));
                    // An nsfs mount made in the lab is reached through the lab's root.
                    let serial_of = |p: &std::path::Path| crate::ns::sys::ns_serial_of(p).or_else(|| crate::ns::sys::ns_serial_of(&session.lab_path(p)));
                    let (serials, unreadable) = listing_serials(&listing, &ids, &serial_of);
                    Ok(Listed { listing, serials, unreadable })
                }
                Err(e) => Err(ReadError(format!("cannot scan /proc: {e}"))),
            });
        }
        snap
    }
}
