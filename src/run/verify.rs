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
use crate::t;

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
        None => t!("seen-nothing"),
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
            let seen = snap.host.as_ref().map_err(|e| t!("seen-lab-unreadable", error = e.to_string()))?;
            Ok(kind.and_then(|k| seen.get(k)))
        }
        Subject::Shell => Ok(kind.and_then(|k| snap.shell.as_ref()?.get(k))),
        Subject::Process(n) => match snap.processes.get(n) {
            None | Some(Presence::Gone) => Ok(None),
            Some(Presence::Alive(seen)) => Ok(kind.and_then(|k| seen.get(k))),
            Some(Presence::Unreadable(e)) => Err(t!("seen-process-unreadable", name = n.as_str(), error = e.to_string())),
        },
        Subject::Pin(p) => match snap.pins.get(p) {
            None => Ok(None),
            Some(pin) => pin.held.clone().map(of_kind).map_err(|e| t!("seen-pin-unreadable", pin = p.as_str(), error = e.to_string())),
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
        None => Err(t!("seen-no-listing")),
        Some(Err(e)) => Err(t!("seen-scan-failed", error = e.to_string())),
        Some(Ok(listed)) => listed.find(who),
    }
}

fn check(e: &Expectation, action: &Action, ev: &Evidence) -> Verdict {
    let expected = e.describe();
    let unknown = |why: String| Verdict { expected: e.describe(), truth: Truth::Unknown, observed: t!("seen-cannot-tell", why = why) };
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
                t!("seen-reused", ns = ns.to_string(), now = show(k, after))
            } else if changed {
                t!("seen-changed", ns = ns.to_string(), was = show(k, before), now = show(k, after))
            } else {
                t!("seen-unchanged", ns = ns.to_string(), now = show(k, after))
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
            let seen = if matches!(other, Subject::Capture(_)) {
                t!("seen-compared-capture", ns = ns.to_string(), mine = show(k, mine), other = other.to_string(), theirs = show(k, theirs))
            } else {
                t!("seen-compared", ns = ns.to_string(), mine = show(k, mine), other = other.to_string(), theirs = show(k, theirs))
            };
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
                return Verdict::judged(expected, false, t!("seen-not-found-lookup", ns = ns.to_string()));
            };
            let row = match listed(ev, &who) {
                Ok(r) => r,
                Err(why) => return unknown(why),
            };
            let seen = match row {
                Some(row) => t!("seen-listed", link = show(who.kind, Some(who)), count = row.nprocs),
                None => t!("seen-not-listed", link = show(who.kind, Some(who))),
            };
            Verdict::judged(expected, row.is_some() == matches!(e, Expectation::InLsns { .. }), seen)
        }
        Expectation::Nprocs { ns, count } => {
            let kind = kind_of(ns, ev);
            let who = match resolve(&ns.subject, kind, ev.after) {
                Ok(Some(i)) => i,
                Ok(None) => return Verdict::judged(expected, false, t!("seen-not-found", ns = ns.to_string())),
                Err(why) => return unknown(why),
            };
            match listed(ev, &who) {
                Err(why) => unknown(why),
                Ok(Some(row)) => Verdict::judged(expected, row.nprocs == *count as usize, t!("seen-holds", link = row.link().to_string(), count = row.nprocs)),
                Ok(None) => Verdict::judged(expected, false, t!("seen-not-in-lsns", ns = ns.to_string())),
            }
        }
        Expectation::PinnedAt { ns, pin } => {
            let kind = kind_of(ns, ev);
            let who = match resolve(&ns.subject, kind, ev.after) {
                Ok(Some(i)) => i,
                Ok(None) => return Verdict::judged(expected, false, t!("seen-not-found", ns = ns.to_string())),
                Err(why) => return unknown(why),
            };
            let path = ev.after.run_dir.join(pin);
            match listed(ev, &who) {
                Err(why) => unknown(why),
                Ok(None) => Verdict::judged(expected, false, t!("seen-not-in-lsns", ns = ns.to_string())),
                Ok(Some(row)) => {
                    let paths: Vec<String> = row.nsfs.iter().map(|p| p.display().to_string()).collect();
                    let seen = if paths.is_empty() {
                        t!("seen-no-nsfs", link = row.link().to_string())
                    } else {
                        t!("seen-mounted-at", link = row.link().to_string(), paths = paths.join(", "))
                    };
                    Verdict::judged(expected, row.nsfs.contains(&path), seen)
                }
            }
        }
        Expectation::Status { status } => match ev.command {
            None => Verdict::judged(expected, false, t!("seen-no-command")),
            Some(c) if c.timed_out => Verdict::judged(expected, false, t!("seen-timed-out", seconds = format!("{:.1}", c.elapsed.as_secs_f64()))),
            Some(c) => {
                let holds = match (status, c.status.map(|s| s.code())) {
                    (ExpectedStatus::Code(want), Some(code)) => code == i32::from(*want),
                    (ExpectedStatus::Nonzero, Some(code)) => code != 0,
                    (_, None) => false,
                };
                let seen = c.status.map_or_else(|| t!("seen-no-status"), |s| s.to_string());
                Verdict::judged(expected, holds, seen)
            }
        },
        Expectation::Output { stream, matcher } => match ev.command {
            None => Verdict::judged(expected, false, t!("seen-no-command")),
            Some(c) => {
                let text = match stream {
                    Stream::Stdout => &c.stdout,
                    Stream::Stderr => &c.stderr,
                };
                let seen = if text.is_empty() {
                    t!("seen-output-empty", stream = stream.to_string())
                } else {
                    format!("{}\n{}", t!("seen-output-was", stream = stream.to_string()), text.trim_end())
                };
                Verdict::judged(expected, matcher.matches(text), seen)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    //! Every expectation form, on made-up snapshots: held, failed, and
    //! unknown where the state it needs could not be read.

    use super::*;
    use crate::lesson::OutputMatcher;
    use crate::ns::{ExitStatus, Namespace, NsId, NsView, scan::Listing};
    use crate::run::observe::{Listed, Pinned, ReadError, Seen};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// A namespace `ino` with serial `serial`.
    fn ns(ino: u64, serial: u64) -> (NsId, u64) {
        (NsId { dev: 4, ino }, serial)
    }

    /// A view with the given net and uts namespaces, the rest shared (ino 1..).
    fn seen(net: (NsId, u64), uts: (NsId, u64)) -> Seen {
        let mut view = NsView::default();
        let mut serials = BTreeMap::new();
        for (i, k) in NsKind::ALL.into_iter().enumerate() {
            let (id, s) = match k {
                NsKind::Net => net,
                NsKind::Uts => uts,
                _ => ns(i as u64 + 1, i as u64 + 1),
            };
            view.current.insert(k, id);
            serials.insert(k, s);
        }
        Seen { view, serials }
    }

    fn host() -> Seen {
        seen(ns(100, 100), ns(101, 101))
    }

    fn snap(box_: Option<Seen>) -> Snapshot {
        let mut s = Snapshot { host: Ok(host()), run_dir: PathBuf::from("/run/nslab"), ..Snapshot::default() };
        if let Some(b) = box_ {
            s.processes.insert("box".into(), Presence::Alive(b));
        }
        s
    }

    fn row(id: NsId, kind: NsKind, nprocs: usize, nsfs: &[&str]) -> Namespace {
        Namespace { nprocs, nsfs: nsfs.iter().map(PathBuf::from).collect(), ..Namespace::new(id, kind) }
    }

    /// `snap` with a listing of `rows` (with their serials).
    fn listed(mut s: Snapshot, rows: Vec<(Namespace, u64)>) -> Snapshot {
        let serials = rows.iter().map(|(r, s)| (r.id, *s)).collect();
        let mut namespaces: Vec<Namespace> = rows.into_iter().map(|(r, _)| r).collect();
        namespaces.sort_by_key(|n| (n.id.ino, n.id.dev));
        s.listing = Some(Ok(Listed { listing: Listing { namespaces }, serials, unreadable: Default::default() }));
        s
    }

    fn scan_failed(mut s: Snapshot) -> Snapshot {
        s.listing = Some(Err(ReadError("cannot scan /proc: EACCES".into())));
        s
    }

    fn r(subject: Subject, kind: NsKind) -> NsRef {
        NsRef { subject, kind: Some(kind) }
    }

    fn boxed(kind: NsKind) -> NsRef {
        r(Subject::Process("box".into()), kind)
    }

    fn old() -> NsRef {
        NsRef { subject: Subject::Capture("old".into()), kind: None }
    }

    fn with_old(mut s: Snapshot, id: (NsId, u64)) -> Snapshot {
        s.captures.insert("old".into(), Identity { kind: NsKind::Net, id: id.0, serial: Some(id.1) });
        s
    }

    fn judge(e: Expectation, action: &Action, before: &Snapshot, after: &Snapshot, command: Option<&CommandResult>) -> Verdict {
        verify_all(&[Spanned::new(e, crate::lesson::Span::default())], action, &Evidence { before, after, command }).remove(0)
    }

    fn truth(e: Expectation, before: &Snapshot, after: &Snapshot) -> Truth {
        judge(e, &Action::YourTurn, before, after, None).truth
    }

    use Truth::{Fails, Holds, Unknown};

    #[test]
    fn changed_and_unchanged() {
        let a = snap(Some(seen(ns(200, 200), ns(201, 201))));
        let b = snap(Some(seen(ns(300, 300), ns(201, 201))));
        assert_eq!(truth(Expectation::Changed { ns: boxed(NsKind::Net) }, &a, &b), Holds);
        assert_eq!(truth(Expectation::Changed { ns: boxed(NsKind::Uts) }, &a, &b), Fails);
        assert_eq!(truth(Expectation::Unchanged { ns: boxed(NsKind::Uts) }, &a, &b), Holds);
        assert_eq!(truth(Expectation::Unchanged { ns: boxed(NsKind::Net) }, &a, &b), Fails);
        // Gone after the step: nothing to compare, so neither holds.
        let gone = snap(None);
        assert_eq!(truth(Expectation::Changed { ns: boxed(NsKind::Net) }, &a, &gone), Fails);
        assert_eq!(truth(Expectation::Unchanged { ns: boxed(NsKind::Net) }, &a, &gone), Fails);
    }

    #[test]
    fn a_reused_inode_is_another_namespace() {
        // The same inode before and after, but the serial changed: the box's
        // net namespace was freed and a new one took its number.
        let a = snap(Some(seen(ns(200, 7), ns(201, 201))));
        let b = snap(Some(seen(ns(200, 8), ns(201, 201))));
        assert_eq!(truth(Expectation::Changed { ns: boxed(NsKind::Net) }, &a, &b), Holds);
        let v = judge(Expectation::Unchanged { ns: boxed(NsKind::Net) }, &Action::YourTurn, &a, &b, None);
        assert_eq!(v.truth, Fails);
        assert!(v.observed.contains("serial"), "{}", v.observed);
        // Without serials (an older kernel) the inode is all there is.
        let mut a2 = a.clone();
        let mut b2 = b.clone();
        for s in [&mut a2, &mut b2] {
            if let Some(Presence::Alive(seen)) = s.processes.get_mut("box") {
                seen.serials.clear();
            }
        }
        assert_eq!(truth(Expectation::Unchanged { ns: boxed(NsKind::Net) }, &a2, &b2), Holds);
    }

    #[test]
    fn a_process_started_by_the_step_is_compared_with_where_it_came_from() {
        let before = snap(None);
        let after = snap(Some(seen(ns(200, 200), ns(101, 101))));
        let start = Action::Start { name: "box".into(), kinds: [NsKind::Net].into_iter().collect(), inside: None };
        let t = |e| judge(e, &start, &before, &after, None).truth;
        assert_eq!(t(Expectation::Changed { ns: boxed(NsKind::Net) }), Holds);
        assert_eq!(t(Expectation::Unchanged { ns: boxed(NsKind::Uts) }), Holds);
        assert_eq!(t(Expectation::Changed { ns: boxed(NsKind::Uts) }), Fails);
    }

    #[test]
    fn same_as_and_differs_from() {
        let s = snap(Some(seen(ns(200, 200), ns(101, 101))));
        let host = Subject::Host;
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Uts), other: host.clone() }, &s, &s), Holds);
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Net), other: host.clone() }, &s, &s), Fails);
        assert_eq!(truth(Expectation::DiffersFrom { ns: boxed(NsKind::Net), other: host.clone() }, &s, &s), Holds);
        assert_eq!(truth(Expectation::DiffersFrom { ns: boxed(NsKind::Uts), other: host.clone() }, &s, &s), Fails);
        // Against something that is not there, neither holds.
        let none = Subject::Process("nobody".into());
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Net), other: none.clone() }, &s, &s), Fails);
        assert_eq!(truth(Expectation::DiffersFrom { ns: boxed(NsKind::Net), other: none }, &s, &s), Fails);
        // A capture with the box's inode but an older serial is another namespace.
        let reused = with_old(s.clone(), ns(200, 199));
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Net), other: Subject::Capture("old".into()) }, &reused, &reused), Fails);
        assert_eq!(truth(Expectation::DiffersFrom { ns: boxed(NsKind::Net), other: Subject::Capture("old".into()) }, &reused, &reused), Holds);
        let kept = with_old(s, ns(200, 200));
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Net), other: Subject::Capture("old".into()) }, &kept, &kept), Holds);
    }

    #[test]
    fn in_and_gone_from_lsns() {
        let base = with_old(snap(None), ns(200, 7));
        let listed_old = listed(base.clone(), vec![(row(NsId { dev: 4, ino: 200 }, NsKind::Net, 1, &[]), 7)]);
        let listed_new = listed(base.clone(), vec![(row(NsId { dev: 4, ino: 200 }, NsKind::Net, 1, &[]), 8)]);
        let empty = listed(base.clone(), vec![]);
        assert_eq!(truth(Expectation::InLsns { ns: old() }, &base, &listed_old), Holds);
        assert_eq!(truth(Expectation::GoneFromLsns { ns: old() }, &base, &listed_old), Fails);
        assert_eq!(truth(Expectation::InLsns { ns: old() }, &base, &empty), Fails);
        assert_eq!(truth(Expectation::GoneFromLsns { ns: old() }, &base, &empty), Holds);
        // The inode is listed again, but it is a new namespace: the old one is gone.
        assert_eq!(truth(Expectation::GoneFromLsns { ns: old() }, &base, &listed_new), Holds);
        assert_eq!(truth(Expectation::InLsns { ns: old() }, &base, &listed_new), Fails);
    }

    #[test]
    fn a_failed_scan_is_unknown_never_passed() {
        let base = with_old(snap(Some(seen(ns(200, 200), ns(101, 101)))), ns(200, 200));
        let failed = scan_failed(base.clone());
        for e in [
            Expectation::GoneFromLsns { ns: old() },
            Expectation::InLsns { ns: old() },
            Expectation::Nprocs { ns: old(), count: 0 },
            Expectation::PinnedAt { ns: old(), pin: "p".into() },
        ] {
            let v = judge(e.clone(), &Action::YourTurn, &base, &failed, None);
            assert_eq!(v.truth, Unknown, "{e:?}");
            assert!(!v.holds());
            assert!(v.observed.contains("EACCES"), "{}", v.observed);
        }
        // No listing at all is no evidence either.
        assert_eq!(truth(Expectation::GoneFromLsns { ns: old() }, &base, &base), Unknown);
    }

    #[test]
    fn a_listed_inode_whose_serial_cannot_be_read_is_unknown() {
        // The namespace listed with the capture's inode lost its holder before
        // its serial was read: it may be the old one or a newcomer.
        let base = with_old(snap(None), ns(200, 7));
        let mut after = listed(base.clone(), vec![(row(NsId { dev: 4, ino: 200 }, NsKind::Net, 1, &[]), 7)]);
        if let Some(Ok(l)) = after.listing.as_mut() {
            l.serials.clear();
            l.unreadable.insert(NsId { dev: 4, ino: 200 });
        }
        for e in [Expectation::InLsns { ns: old() }, Expectation::GoneFromLsns { ns: old() }, Expectation::Nprocs { ns: old(), count: 1 }] {
            assert_eq!(truth(e.clone(), &base, &after), Unknown, "{e:?}");
        }
    }

    #[test]
    fn unreadable_namespaces_are_unknown() {
        let mut bad = snap(None);
        bad.host = Err(ReadError("EACCES".into()));
        bad.processes.insert("box".into(), Presence::Unreadable(ReadError("EACCES".into())));
        let good = snap(Some(seen(ns(200, 200), ns(101, 101))));
        assert_eq!(truth(Expectation::Unchanged { ns: r(Subject::Host, NsKind::Uts) }, &good, &bad), Unknown);
        assert_eq!(truth(Expectation::Changed { ns: boxed(NsKind::Net) }, &good, &bad), Unknown);
        assert_eq!(truth(Expectation::SameAs { ns: boxed(NsKind::Net), other: Subject::Host }, &bad, &bad), Unknown);
        let mut pin_bad = good.clone();
        pin_bad.pins.insert("p".into(), Pinned { path: "/run/nslab/p".into(), held: Err(ReadError("EIO".into())) });
        assert_eq!(truth(Expectation::InLsns { ns: r(Subject::Pin("p".into()), NsKind::Net) }, &good, &pin_bad), Unknown);
    }

    #[test]
    fn nprocs_and_pinned_at() {
        let base = with_old(snap(None), ns(200, 7));
        let after = listed(base.clone(), vec![(row(NsId { dev: 4, ino: 200 }, NsKind::Net, 2, &["/run/nslab/keep"]), 7)]);
        assert_eq!(truth(Expectation::Nprocs { ns: old(), count: 2 }, &base, &after), Holds);
        assert_eq!(truth(Expectation::Nprocs { ns: old(), count: 0 }, &base, &after), Fails);
        assert_eq!(truth(Expectation::PinnedAt { ns: old(), pin: "keep".into() }, &base, &after), Holds);
        assert_eq!(truth(Expectation::PinnedAt { ns: old(), pin: "other".into() }, &base, &after), Fails);
        let unlisted = listed(base.clone(), vec![]);
        assert_eq!(truth(Expectation::Nprocs { ns: old(), count: 0 }, &base, &unlisted), Fails);
        assert_eq!(truth(Expectation::PinnedAt { ns: old(), pin: "keep".into() }, &base, &unlisted), Fails);
    }

    #[test]
    fn status_and_output() {
        let s = snap(None);
        let ran = |code: i32, out: &str| CommandResult { status: Some(ExitStatus::Exited(code)), stdout: out.into(), ..CommandResult::default() };
        let t = |e: Expectation, c: Option<&CommandResult>| judge(e, &Action::YourTurn, &s, &s, c).truth;
        let ok = ran(0, "hello\n");
        let bad = ran(3, "");
        let timed_out = CommandResult { timed_out: true, ..CommandResult::default() };
        let killed = CommandResult { status: Some(ExitStatus::Signaled(9)), ..CommandResult::default() };
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Code(0) }, Some(&ok)), Holds);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Code(0) }, Some(&bad)), Fails);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Code(3) }, Some(&bad)), Holds);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Nonzero }, Some(&bad)), Holds);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Nonzero }, Some(&killed)), Holds);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Nonzero }, Some(&ok)), Fails);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Nonzero }, Some(&timed_out)), Fails);
        assert_eq!(t(Expectation::Status { status: ExpectedStatus::Code(0) }, None), Fails);
        let out = |m: OutputMatcher| Expectation::Output { stream: Stream::Stdout, matcher: m };
        assert_eq!(t(out(OutputMatcher::Contains("ell".into())), Some(&ok)), Holds);
        assert_eq!(t(out(OutputMatcher::Contains("bye".into())), Some(&ok)), Fails);
        assert_eq!(t(out(OutputMatcher::Matches("^h.*o$".into())), Some(&ok)), Holds);
        assert_eq!(t(Expectation::Output { stream: Stream::Stderr, matcher: OutputMatcher::Contains("x".into()) }, Some(&ok)), Fails);
        assert_eq!(t(out(OutputMatcher::Contains("".into())), None), Fails);
    }

    #[test]
    fn the_shell_is_judged_when_seen() {
        let mut s = snap(None);
        assert_eq!(truth(Expectation::DiffersFrom { ns: r(Subject::Shell, NsKind::Uts), other: Subject::Host }, &s, &s), Fails);
        s.shell = Some(seen(ns(100, 100), ns(555, 555)));
        assert_eq!(truth(Expectation::DiffersFrom { ns: r(Subject::Shell, NsKind::Uts), other: Subject::Host }, &s, &s), Holds);
        assert_eq!(truth(Expectation::SameAs { ns: r(Subject::Shell, NsKind::Net), other: Subject::Host }, &s, &s), Holds);
    }

    #[test]
    fn verdicts_keep_holds_in_json() {
        let v = Verdict { expected: "x".into(), truth: Unknown, observed: "y".into() };
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"{"expected":"x","holds":false,"truth":"unknown","observed":"y"}"#);
        assert_eq!(serde_json::from_str::<Verdict>(&text).unwrap(), v);
        let old: Verdict = serde_json::from_str(r#"{"expected":"x","holds":true,"observed":"y"}"#).unwrap();
        assert_eq!(old.truth, Holds);
    }
}
