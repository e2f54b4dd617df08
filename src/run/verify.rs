//! Checking a step's expectations against two snapshots of the kernel's state
//! and the command's result. It reads the kernel only through the snapshots
//! and the functions in [`Evidence`], so tests can hand it any state.

use serde::Serialize;

use super::exec::CommandResult;
use super::observe::Snapshot;
use crate::lesson::{Action, Expectation, ExpectedStatus, NsRef, Step, Stream, Subject};
use crate::ns::{NsId, NsKind, NsLink};

/// One expectation's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The expectation in plain words.
    pub expected: String,
    /// Whether it held.
    pub holds: bool,
    /// What was seen, in words.
    pub observed: String,
}

/// Everything an expectation may refer to.
pub struct Evidence<'a> {
    /// The state before the step.
    pub before: &'a Snapshot,
    /// The state after the step.
    pub after: &'a Snapshot,
    /// The command's result, for command steps.
    pub command: Option<&'a CommandResult>,
    /// Captured identities (`@name` → kind, id).
    pub captures: &'a dyn Fn(&str) -> Option<(NsKind, NsId)>,
    /// The path a pin name stands for.
    pub pin_path: &'a dyn Fn(&str) -> std::path::PathBuf,
    /// The serial (NS_GET_ID) of a subject's namespace now, where the kernel
    /// has serials; captures keep the one they were saved with.
    pub serial: &'a dyn Fn(&Subject, NsKind) -> Option<u64>,
    /// The serial of the namespace behind a file (a listed namespace's path).
    pub path_serial: &'a dyn Fn(&std::path::Path) -> Option<u64>,
}

/// False when both sides have serials and they differ: the same inode, but a
/// namespace that was freed and another that reused its number.
fn same_serial(ev: &Evidence, a: &Subject, b: &Subject, kind: NsKind) -> bool {
    match ((ev.serial)(a, kind), (ev.serial)(b, kind)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// The lsns row of the namespace `subject` denotes, checking a capture's
/// serial against the listed namespace's (an inode can be reused).
fn listed<'s>(ev: &Evidence<'s>, subject: &Subject, kind: NsKind, id: NsId) -> Option<&'s crate::ns::Namespace> {
    let row = ev.after.listing.as_ref()?.find(id)?;
    if let Subject::Capture(_) = subject
        && let Some(saved) = (ev.serial)(subject, kind)
        && let Some(now) = row.path.as_deref().and_then(ev.path_serial)
        && saved != now
    {
        return None;
    }
    Some(row)
}

fn show(kind: NsKind, id: Option<NsId>) -> String {
    match id {
        Some(id) => NsLink { kind, ino: id.ino }.to_string(),
        None => "nothing (gone or unreadable)".into(),
    }
}

/// The namespace `subject` has of `kind` in `snap`.
fn resolve(subject: &Subject, kind: Option<NsKind>, snap: &Snapshot, ev: &Evidence) -> Option<(NsKind, NsId)> {
    match subject {
        Subject::Host => kind.and_then(|k| snap.host.get(k).map(|id| (k, id))),
        Subject::Shell => kind.and_then(|k| snap.shell.as_ref()?.get(k).map(|id| (k, id))),
        Subject::Process(n) => kind.and_then(|k| snap.process(n, k).map(|id| (k, id))),
        Subject::Pin(p) => snap.pins.get(p).copied().flatten().filter(|(k, _)| kind.is_none_or(|w| w == *k)),
        Subject::Capture(c) => (ev.captures)(c),
    }
}

/// Where a subject stood before the step: a process started by this very
/// step had no namespaces before, so it is compared with where it came from —
/// the process it was started in, or the host.
fn resolve_before(subject: &Subject, kind: Option<NsKind>, step: &Step, ev: &Evidence) -> Option<(NsKind, NsId)> {
    if let (Subject::Process(n), Action::Start { name, inside, .. }) = (subject, &step.action.value)
        && n == name
    {
        let origin = inside.as_ref().map_or(Subject::Host, |i| Subject::Process(i.clone()));
        return resolve(&origin, kind, ev.before, ev);
    }
    resolve(subject, kind, ev.before, ev)
}

fn kind_of(ns: &NsRef, ev: &Evidence) -> Option<NsKind> {
    ns.kind.or_else(|| match &ns.subject {
        Subject::Capture(c) => (ev.captures)(c).map(|(k, _)| k),
        _ => None,
    })
}

/// Checks every expectation of `step`.
pub fn verify(step: &Step, ev: &Evidence) -> Vec<Verdict> {
    step.expectations.iter().map(|e| check(&e.value, step, ev)).collect()
}

fn check(e: &Expectation, step: &Step, ev: &Evidence) -> Verdict {
    let expected = e.describe();
    let (holds, observed) = match e {
        Expectation::Changed { ns } | Expectation::Unchanged { ns } => {
            let kind = kind_of(ns, ev);
            let before = resolve_before(&ns.subject, kind, step, ev).map(|(_, id)| id);
            let after = resolve(&ns.subject, kind, ev.after, ev).map(|(_, id)| id);
            let changed = before != after;
            let k = kind.unwrap_or(NsKind::Net);
            let seen = if changed {
                format!("{ns} was {} before and is {} after", show(k, before), show(k, after))
            } else {
                format!("{ns} is {} before and after", show(k, after))
            };
            let want_changed = matches!(e, Expectation::Changed { .. });
            (after.is_some() && changed == want_changed, seen)
        }
        Expectation::SameAs { ns, other } | Expectation::DiffersFrom { ns, other } => {
            let kind = kind_of(ns, ev);
            let mine = resolve(&ns.subject, kind, ev.after, ev);
            let other_kind = kind.or(mine.map(|(k, _)| k));
            let theirs = resolve(other, other_kind, ev.after, ev);
            let k = other_kind.unwrap_or(NsKind::Net);
            let seen = format!(
                "{ns} is {}; {other} {} {}",
                show(k, mine.map(|(_, id)| id)),
                if matches!(other, Subject::Capture(_)) { "was" } else { "has" },
                show(k, theirs.map(|(_, id)| id))
            );
            let same = mine.is_some() && mine.map(|(_, id)| id) == theirs.map(|(_, id)| id) && same_serial(ev, &ns.subject, other, k);
            let want_same = matches!(e, Expectation::SameAs { .. });
            (mine.is_some() && theirs.is_some() && same == want_same, seen)
        }
        Expectation::InLsns { ns } | Expectation::GoneFromLsns { ns } => {
            let kind = kind_of(ns, ev);
            let id = resolve(&ns.subject, kind, ev.after, ev).or_else(|| resolve(&ns.subject, kind, ev.before, ev));
            let listed = id.and_then(|(k, id)| listed(ev, &ns.subject, k, id));
            let want = matches!(e, Expectation::InLsns { .. });
            let seen = match (id, listed) {
                (None, _) => format!("{ns} could not be read, so it cannot be looked up"),
                (Some((k, id)), Some(row)) => format!("{} is listed, with {} processes", show(k, Some(id)), row.nprocs),
                (Some((k, id)), None) => format!("{} is not listed", show(k, Some(id))),
            };
            (id.is_some() && listed.is_some() == want, seen)
        }
        Expectation::Nprocs { ns, count } => {
            let kind = kind_of(ns, ev);
            let id = resolve(&ns.subject, kind, ev.after, ev);
            let row = id.and_then(|(k, id)| listed(ev, &ns.subject, k, id));
            match row {
                Some(row) => (row.nprocs == *count as usize, format!("{} holds {} processes", row.link(), row.nprocs)),
                None => (false, format!("{ns} is not listed by lsns")),
            }
        }
        Expectation::PinnedAt { ns, pin } => {
            let kind = kind_of(ns, ev);
            let id = resolve(&ns.subject, kind, ev.after, ev);
            let row = id.and_then(|(k, id)| listed(ev, &ns.subject, k, id));
            let path = (ev.pin_path)(pin);
            match row {
                Some(row) => {
                    let paths: Vec<String> = row.nsfs.iter().map(|p| p.display().to_string()).collect();
                    let seen = if paths.is_empty() {
                        format!("{} has no nsfs mount", row.link())
                    } else {
                        format!("{} is mounted at {}", row.link(), paths.join(", "))
                    };
                    (row.nsfs.contains(&path), seen)
                }
                None => (false, format!("{ns} is not listed by lsns")),
            }
        }
        Expectation::Status { status } => match ev.command {
            None => (false, "no command ran".into()),
            Some(c) if c.timed_out => (false, format!("the command timed out after {:.1} s", c.elapsed.as_secs_f64())),
            Some(c) => {
                let got = c.status.map(|s| s.code());
                let holds = match (status, got) {
                    (ExpectedStatus::Code(want), Some(code)) => code == i32::from(*want),
                    (ExpectedStatus::Nonzero, Some(code)) => code != 0,
                    (_, None) => false,
                };
                let seen = match c.status {
                    Some(s) => format!("{s}"),
                    None => "no status".into(),
                };
                (holds, seen)
            }
        },
        Expectation::Output { stream, matcher } => match ev.command {
            None => (false, "no command ran".into()),
            Some(c) => {
                let text = match stream {
                    Stream::Stdout => &c.stdout,
                    Stream::Stderr => &c.stderr,
                };
                let seen = if text.is_empty() { format!("{stream} was empty") } else { format!("{stream} was:\n{}", text.trim_end()) };
                (matcher.matches(text), seen)
            }
        },
    };
    Verdict { expected, holds, observed }
}
