//! Checking a step's expectations: a pure function of the snapshots before and
//! after the step and the command's result ([`Evidence`]). It reads nothing
//! else — no kernel, no session — so every form is tested on made-up state
//! below. What a snapshot could not read makes a verdict *unknown*, which is
//! reported as such and never counts as holding.

use serde::{Deserialize, Serialize};

use super::exec::CommandResult;
use super::observe::{Identity, Presence, Snapshot};
use crate::lesson::{Action, Expectation, ExpectedStatus, NsRef, Spanned, Step, Stream, Subject};
use crate::ns::{NsKind, NsLink};

/// Whether an expectation held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// It held.
    Holds,
    /// It did not hold.
    Fails,
    /// It could not be judged: the state it needs could not be read.
    Unknown,
}

/// One expectation's verdict.
///
/// In JSON: `expected`, `holds` (true only when it held), `truth`
/// (`holds`, `fails` or `unknown`) and `observed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "VerdictWire", from = "VerdictWire")]
pub struct Verdict {
    /// The expectation in plain words.
    pub expected: String,
    /// Whether it held.
    pub truth: Truth,
    /// What was seen, in words (for an unknown verdict: what could not be read).
    pub observed: String,
}

impl Verdict {
    /// True when the expectation held.
    pub fn holds(&self) -> bool {
        self.truth == Truth::Holds
    }

    /// True when it could not be judged.
    pub fn is_unknown(&self) -> bool {
        self.truth == Truth::Unknown
    }

    /// A verdict that held or failed.
    pub fn judged(expected: String, holds: bool, observed: String) -> Verdict {
        Verdict { expected, truth: if holds { Truth::Holds } else { Truth::Fails }, observed }
    }
}

#[derive(Serialize, Deserialize)]
struct VerdictWire {
    expected: String,
    holds: bool,
    #[serde(default)]
    truth: Option<Truth>,
    observed: String,
}

impl From<Verdict> for VerdictWire {
    fn from(v: Verdict) -> VerdictWire {
        VerdictWire { holds: v.holds(), truth: Some(v.truth), expected: v.expected, observed: v.observed }
    }
}

impl From<VerdictWire> for Verdict {
    fn from(w: VerdictWire) -> Verdict {
        let truth = w.truth.unwrap_or(if w.holds { Truth::Holds } else { Truth::Fails });
        Verdict { expected: w.expected, truth, observed: w.observed }
    }
}

/// Everything an expectation may refer to: plain data.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The state before the step.
    pub before: &'a Snapshot,
    /// The state after the step.
    pub after: &'a Snapshot,
    /// The command's result, for command steps (or an exercise's probe).
    pub command: Option<&'a CommandResult>,
}

/// Checks every expectation of `step`.
pub fn verify(step: &Step, ev: &Evidence) -> Vec<Verdict> {
    verify_all(&step.expectations, &step.action.value, ev)
}

/// Checks `expectations` of a step whose action was `action`.
pub fn verify_all(expectations: &[Spanned<Expectation>], action: &Action, ev: &Evidence) -> Vec<Verdict> {
    expectations.iter().map(|e| check(&e.value, action, ev)).collect()
}

/// The answer to "which namespace is this?": one, none (gone, never made, a
/// pin holding nothing), or an error when the state could not be read.
type Resolved = Result<Option<Identity>, String>;

fn show(kind: NsKind, who: Option<Identity>) -> String {
    match who {
        Some(i) => NsLink { kind, ino: i.id.ino }.to_string(),
        None => "nothing (gone or never made)".into(),
    }
}

/// The namespace `subject` has of `kind` in `snap`: one, none (gone, never
/// made, a pin holding nothing), or why it could not be read.
pub fn identity_of(subject: &Subject, kind: Option<NsKind>, snap: &Snapshot) -> Result<Option<Identity>, String> {
    resolve(subject, kind, snap)
}

/// The namespace `subject` has of `kind` in `snap`.
fn resolve(subject: &Subject, kind: Option<NsKind>, snap: &Snapshot) -> Resolved {
    let of_kind = |who: Option<Identity>| who.filter(|i| kind.is_none_or(|k| k == i.kind));
    match subject {
        Subject::Host => {
            let seen = snap.host.as_ref().map_err(|e| format!("the lab's namespaces could not be read: {e}"))?;
            Ok(kind.and_then(|k| seen.get(k)))
        }
        Subject::Shell => Ok(kind.and_then(|k| snap.shell.as_ref()?.get(k))),
        Subject::Process(n) => match snap.processes.get(n) {
            None | Some(Presence::Gone) => Ok(None),
            Some(Presence::Alive(seen)) => Ok(kind.and_then(|k| seen.get(k))),
            Some(Presence::Unreadable(e)) => Err(format!("the namespaces of {n} could not be read: {e}")),
        },
        Subject::Pin(p) => match snap.pins.get(p) {
            None => Ok(None),
            Some(pin) => pin.held.clone().map(of_kind).map_err(|e| format!("pin {p} could not be read: {e}")),
        },
        Subject::Capture(c) => Ok(of_kind(snap.captures.get(c).copied())),
    }
}

/// Where a subject stood before the step: a process started by this very
/// step had no namespaces before, so it is compared with where it came from —
/// the process it was started in, or the host.
fn resolve_before(subject: &Subject, kind: Option<NsKind>, action: &Action, ev: &Evidence) -> Resolved {
    if let (Subject::Process(n), Action::Start { name, inside, .. }) = (subject, action)
        && n == name
    {
        let origin = inside.as_ref().map_or(Subject::Host, |i| Subject::Process(i.clone()));
        return resolve(&origin, kind, ev.before);
    }
    resolve(subject, kind, ev.before)
}

/// The kind an expectation is about: written, or the capture's.
fn kind_of(ns: &NsRef, ev: &Evidence) -> Option<NsKind> {
    ns.kind.or_else(|| match &ns.subject {
        Subject::Capture(c) => ev.after.captures.get(c).or_else(|| ev.before.captures.get(c)).map(|i| i.kind),
        _ => None,
    })
}

fn same(a: Option<Identity>, b: Option<Identity>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.same(&b),
        (None, None) => true,
        _ => false,
    }
}

/// The listed namespace that is `who`, or why the listing cannot say.
fn listed<'s>(ev: &Evidence<'s>, who: &Identity) -> Result<Option<&'s crate::ns::Namespace>, String> {
    match &ev.after.listing {
        None => Err("no lsns listing was taken".into()),
        Some(Err(e)) => Err(format!("the scan of /proc failed: {e}")),
        Some(Ok(listed)) => Ok(listed.find(who)),
    }
}

fn check(e: &Expectation, action: &Action, ev: &Evidence) -> Verdict {
    let expected = e.describe();
    let unknown = |why: String| Verdict { expected: e.describe(), truth: Truth::Unknown, observed: format!("cannot tell: {why}") };
    match e {
        Expectation::Changed { ns } | Expectation::Unchanged { ns } => {
            let kind = kind_of(ns, ev);
            let (before, after) = match (resolve_before(&ns.subject, kind, action, ev), resolve(&ns.subject, kind, ev.after)) {
                (Ok(b), Ok(a)) => (b, a),
                (Err(why), _) | (_, Err(why)) => return unknown(why),
            };
            let changed = !same(before, after);
            let k = kind.unwrap_or(NsKind::Net);
            let seen = if changed && before.map(|i| i.id) == after.map(|i| i.id) {
                format!("{ns} is {} before and after, but another namespace now has that number (its serial changed)", show(k, after))
            } else if changed {
                format!("{ns} was {} before and is {} after", show(k, before), show(k, after))
            } else {
                format!("{ns} is {} before and after", show(k, after))
            };
            let want_changed = matches!(e, Expectation::Changed { .. });
            Verdict::judged(expected, after.is_some() && changed == want_changed, seen)
        }
        Expectation::SameAs { ns, other } | Expectation::DiffersFrom { ns, other } => {
            let kind = kind_of(ns, ev);
            let mine = match resolve(&ns.subject, kind, ev.after) {
                Ok(m) => m,
                Err(why) => return unknown(why),
            };
            let other_kind = kind.or(mine.map(|i| i.kind));
            let theirs = match resolve(other, other_kind, ev.after) {
                Ok(t) => t,
                Err(why) => return unknown(why),
            };
            let k = other_kind.unwrap_or(NsKind::Net);
            let seen = format!("{ns} is {}; {other} {} {}", show(k, mine), if matches!(other, Subject::Capture(_)) { "was" } else { "has" }, show(k, theirs));
            let want_same = matches!(e, Expectation::SameAs { .. });
            Verdict::judged(expected, mine.is_some() && theirs.is_some() && same(mine, theirs) == want_same, seen)
        }
        Expectation::InLsns { ns } | Expectation::GoneFromLsns { ns } => {
            let kind = kind_of(ns, ev);
            let who = match resolve(&ns.subject, kind, ev.after) {
                Ok(Some(i)) => Some(i),
                Ok(None) => match resolve(&ns.subject, kind, ev.before) {
                    Ok(b) => b,
                    Err(why) => return unknown(why),
                },
                Err(why) => return unknown(why),
            };
            let Some(who) = who else {
                return Verdict::judged(expected, false, format!("{ns} could not be found, so it cannot be looked up"));
            };
            let row = match listed(ev, &who) {
                Ok(r) => r,
                Err(why) => return unknown(why),
            };
            let seen = match row {
                Some(row) => format!("{} is listed, with {} processes", show(who.kind, Some(who)), row.nprocs),
                None => format!("{} is not listed", show(who.kind, Some(who))),
            };
            Verdict::judged(expected, row.is_some() == matches!(e, Expectation::InLsns { .. }), seen)
        }
        Expectation::Nprocs { ns, count } => {
            let kind = kind_of(ns, ev);
            let who = match resolve(&ns.subject, kind, ev.after) {
                Ok(Some(i)) => i,
                Ok(None) => return Verdict::judged(expected, false, format!("{ns} could not be found")),
                Err(why) => return unknown(why),
            };
            match listed(ev, &who) {
                Err(why) => unknown(why),
                Ok(Some(row)) => Verdict::judged(expected, row.nprocs == *count as usize, format!("{} holds {} processes", row.link(), row.nprocs)),
                Ok(None) => Verdict::judged(expected, false, format!("{ns} is not listed by lsns")),
            }
        }
        Expectation::PinnedAt { ns, pin } => {
            let kind = kind_of(ns, ev);
            let who = match resolve(&ns.subject, kind, ev.after) {
                Ok(Some(i)) => i,
                Ok(None) => return Verdict::judged(expected, false, format!("{ns} could not be found")),
                Err(why) => return unknown(why),
            };
            let path = ev.after.run_dir.join(pin);
            match listed(ev, &who) {
                Err(why) => unknown(why),
                Ok(None) => Verdict::judged(expected, false, format!("{ns} is not listed by lsns")),
                Ok(Some(row)) => {
                    let paths: Vec<String> = row.nsfs.iter().map(|p| p.display().to_string()).collect();
                    let seen = if paths.is_empty() {
                        format!("{} has no nsfs mount", row.link())
                    } else {
                        format!("{} is mounted at {}", row.link(), paths.join(", "))
                    };
                    Verdict::judged(expected, row.nsfs.contains(&path), seen)
                }
            }
        }
        Expectation::Status { status } => match ev.command {
            None => Verdict::judged(expected, false, "no command ran".into()),
            Some(c) if c.timed_out => Verdict::judged(expected, false, format!("the command timed out after {:.1} s", c.elapsed.as_secs_f64())),
            Some(c) => {
                let holds = match (status, c.status.map(|s| s.code())) {
                    (ExpectedStatus::Code(want), Some(code)) => code == i32::from(*want),
                    (ExpectedStatus::Nonzero, Some(code)) => code != 0,
                    (_, None) => false,
                };
                let seen = c.status.map_or_else(|| "no status".into(), |s| s.to_string());
                Verdict::judged(expected, holds, seen)
            }
        },
        Expectation::Output { stream, matcher } => match ev.command {
            None => Verdict::judged(expected, false, "no command ran".into()),
            Some(c) => {
                let text = match stream {
                    Stream::Stdout => &c.stdout,
                    Stream::Stderr => &c.stderr,
                };
                let seen = if text.is_empty() { format!("{stream} was empty") } else { format!("{stream} was:\n{}", text.trim_end()) };
                Verdict::judged(expected, matcher.matches(text), seen)
            }
        },
    }
}
