//! A picture of the namespaces, as inline SVG drawn here without any library:
//! the lab ("host"), every named process, the learner's shell and every pin as
//! rows, the eight kinds as columns. Each namespace identity has one colour
//! within its column, so sharing shows at a glance; the cells a step changed
//! are outlined; pins are drawn as holders (a ring around what they hold);
//! user-namespace owners and pid-namespace parents are arrows. Hovering a
//! cell shows its inode and who holds it.
//!
//! The picture is plain data ([`Picture`]): the live page's comes from what
//! the kernel showed (`serve::worker`), the static book's from the lesson's
//! own actions and expectations ([`expected`]). Both are drawn by [`Picture::svg`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::lesson::{Action, Expectation, Lesson, Step, Subject};
use crate::ns::NsKind;

/// What a row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The lab's own namespaces: the lesson's "host".
    Host,
    /// A named process.
    Process,
    /// The learner's shell, in an exercise.
    Shell,
    /// A pin: a bind mount that holds one namespace.
    Pin,
}

/// One namespace in one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// Its identity: cells with the same identity are the same namespace.
    pub ident: String,
    /// Its inode, when it was seen (not in an expected picture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ino: Option<u64>,
    /// True when the step changed it.
    pub changed: bool,
}

/// A process, the shell or a pin, and its namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// `host`, the process's or pin's name, or `your shell`.
    pub name: String,
    /// What it is.
    pub role: Role,
    /// One cell per kind, in [`NsKind::ALL`] order; `None` where it has none
    /// (a pin holds one namespace; a process that is gone, none).
    pub cells: Vec<Option<Cell>>,
    /// A word shown beside the name (`gone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How two namespaces are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// `from` is owned by the user namespace `to` (NS_GET_USERNS).
    OwnedBy,
    /// The pid namespace `from` is a child of `to` (NS_GET_PARENT).
    ChildOf,
}

/// An arrow between two namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The kind of `from`.
    pub from_kind: NsKind,
    /// The identity it starts at.
    pub from: String,
    /// The identity it points to (a user namespace, or a pid namespace).
    pub to: String,
    /// What it means.
    pub relation: Relation,
}

/// The namespaces of a lab at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// The rows, host first.
    pub rows: Vec<Row>,
    /// Owner and parent arrows.
    #[serde(default)]
    pub links: Vec<Link>,
    /// True when drawn from the lesson's expectations, not from the kernel.
    #[serde(default)]
    pub expected: bool,
}

// ---- drawing ----------------------------------------------------------------------

const LABEL_W: f64 = 80.0;
const CELL_W: f64 = 34.0;
const CELL_H: f64 = 22.0;
const GAP: f64 = 3.0;
const HEAD_H: f64 = 20.0;
const TOP: f64 = 4.0;

/// Fill colours for the namespaces of a column other than the host's, in
/// order of appearance: mid-tones with some transparency, which read on a
/// light page and a dark one alike.
const PALETTE: [&str; 8] = ["#3b82f6", "#e4572e", "#2ca58d", "#a855f7", "#f2a541", "#d6336c", "#0ea5e9", "#84cc16"];

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn column(kind: NsKind) -> usize {
    NsKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

impl Picture {
    /// The picture as one `<svg>` element: its natural width is about 390
    /// CSS pixels, and the page lets it scroll inside its own box when
    /// narrower. Text is drawn in `currentColor`, so both themes work.
    pub fn svg(&self) -> String {
        let kinds = NsKind::ALL;
        let width = LABEL_W + kinds.len() as f64 * (CELL_W + GAP) + 8.0;
        // Owner arrows bow below their row, into a band of their own.
        let band = if self.links.iter().any(|l| l.relation == Relation::OwnedBy) { 12.0 } else { 0.0 };
        let pitch = CELL_H + GAP + band;
        let rows_h = self.rows.len() as f64 * pitch;
        let legend_y = TOP + HEAD_H + rows_h + 14.0;
        let height = legend_y + 8.0;
        // Colours: per column, the host's identity is neutral, the others
        // take the palette in order of appearance.
        let mut colours: BTreeMap<(usize, &str), &str> = BTreeMap::new();
        for (c, _) in kinds.iter().enumerate() {
            let host = self.rows.iter().find(|r| r.role == Role::Host).and_then(|r| r.cells.get(c)).and_then(|x| x.as_ref()).map(|x| x.ident.as_str());
            let mut next = 0;
            for row in &self.rows {
                if let Some(Some(cell)) = row.cells.get(c) {
                    let key = (c, cell.ident.as_str());
                    if colours.contains_key(&key) {
                        continue;
                    }
                    let colour = if Some(cell.ident.as_str()) == host {
                        "#8a8f98"
                    } else {
                        next += 1;
                        PALETTE[(next - 1) % PALETTE.len()]
                    };
                    colours.insert(key, colour);
                }
            }
        }
        let what = if self.expected { crate::t!("svg-expected") } else { crate::t!("svg-seen") };
        let mut s = String::new();
        let _ = write!(
            s,
            "<svg class=\"nslab-picture-svg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"{}\" font-family=\"ui-monospace, SFMono-Regular, Menlo, monospace\" font-size=\"10\">",
            xml(&crate::t!("svg-label", what = what, rows = self.rows.len()))
        );
        s.push_str("<defs><marker id=\"nslab-arrow\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"currentColor\"/></marker></defs>");
        for (c, k) in kinds.iter().enumerate() {
            let x = LABEL_W + c as f64 * (CELL_W + GAP) + CELL_W / 2.0;
            let _ =
                write!(s, "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"currentColor\" opacity=\"0.8\" font-size=\"9\">{k}</text>", TOP + 12.0);
        }
        // Who holds each identity, for the hover text.
        let mut holders: BTreeMap<(usize, &str), Vec<String>> = BTreeMap::new();
        for row in &self.rows {
            for (c, cell) in row.cells.iter().enumerate() {
                if let Some(cell) = cell {
                    let who = match row.role {
                        Role::Pin => crate::t!("svg-the-pin", name = row.name.as_str()),
                        _ => row.name.clone(),
                    };
                    holders.entry((c, cell.ident.as_str())).or_default().push(who);
                }
            }
        }
        let mut centres: BTreeMap<(usize, &str), (f64, f64)> = BTreeMap::new();
        for (r, row) in self.rows.iter().enumerate() {
            let y = TOP + HEAD_H + r as f64 * pitch;
            let label = match (row.role, &row.note) {
                (Role::Pin, _) => format!("📌 {}", row.name),
                (_, Some(n)) => format!("{} ({n})", row.name),
                _ => row.name.clone(),
            };
            let short: String = if label.chars().count() > 12 { label.chars().take(11).chain(std::iter::once('…')).collect() } else { label.clone() };
            let _ = write!(
                s,
                "<text x=\"2\" y=\"{:.1}\" fill=\"currentColor\"{}><title>{}</title>{}</text>",
                y + CELL_H / 2.0 + 3.5,
                if row.role == Role::Host { " font-weight=\"bold\"" } else { "" },
                xml(&label),
                xml(&short)
            );
            for (c, cell) in row.cells.iter().enumerate() {
                let x = LABEL_W + c as f64 * (CELL_W + GAP);
                let Some(cell) = cell else {
                    if row.role != Role::Pin {
                        let _ = write!(
                            s,
                            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"currentColor\" opacity=\"0.4\">–</text>",
                            x + CELL_W / 2.0,
                            y + CELL_H / 2.0 + 3.5
                        );
                    }
                    continue;
                };
                let colour = colours.get(&(c, cell.ident.as_str())).copied().unwrap_or("#8a8f98");
                centres.entry((c, cell.ident.as_str())).or_insert((x + CELL_W / 2.0, y + CELL_H / 2.0));
                let kind = kinds[c];
                let held = holders.get(&(c, cell.ident.as_str())).map(|h| h.join(", ")).unwrap_or_default();
                let id = match cell.ino {
                    Some(ino) => crate::t!("svg-ns", kind = kind.name(), ino = ino.to_string()),
                    None if cell.ident.starts_with("host.") => crate::t!("svg-ns-host", kind = kind.name()),
                    None => crate::t!("svg-ns-new", kind = kind.name()),
                };
                let changed = if cell.changed { crate::t!("svg-changed") } else { String::new() };
                let title = crate::t!("svg-held", id = id, held = held, changed = changed);
                let class = if cell.changed { "nslab-cell changed" } else { "nslab-cell" };
                let (rx, dash) = if row.role == Role::Pin { (11.0, " stroke-dasharray=\"3 2\"") } else { (3.0, "") };
                let (stroke, sw) = if cell.changed {
                    ("#f59e0b", 2.5)
                } else if row.role == Role::Pin {
                    ("currentColor", 1.2)
                } else {
                    ("none", 0.0)
                };
                let text = match cell.ino {
                    Some(ino) => format!("{:04}", ino % 10000),
                    None if cell.ident.starts_with("host.") => "lab".to_string(),
                    None => crate::t!("svg-new"),
                };
                let _ = write!(
                    s,
                    "<g class=\"{class}\" data-kind=\"{kind}\"><title>{}</title><rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{CELL_W:.0}\" height=\"{CELL_H:.0}\" rx=\"{rx}\" fill=\"{colour}\" fill-opacity=\"0.45\" stroke=\"{stroke}\" stroke-width=\"{sw}\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"currentColor\">{text}</text></g>",
                    xml(&title),
                    x + 0.5,
                    x + CELL_W / 2.0,
                    y + CELL_H / 2.0 + 3.5
                );
            }
        }
        // Arrows: from the first cell showing `from` to the first showing `to`.
        for link in &self.links {
            let to_col = match link.relation {
                Relation::OwnedBy => column(NsKind::User),
                Relation::ChildOf => column(NsKind::Pid),
            };
            let (Some(&(x1, y1)), Some(&(x2, y2))) = (centres.get(&(column(link.from_kind), link.from.as_str())), centres.get(&(to_col, link.to.as_str())))
            else {
                continue;
            };
            let (title, dash) = match link.relation {
                Relation::OwnedBy => (crate::t!("svg-owned-by", kind = link.from_kind.name()), " stroke-dasharray=\"4 2\""),
                Relation::ChildOf => (crate::t!("svg-child-of"), ""),
            };
            let path = if (x1 - x2).abs() < 1.0 {
                // Same column (a pid parent): a bow to the right of the cells.
                let bow = x1 + CELL_W / 2.0 + 6.0;
                format!("M{:.1},{y1:.1} C{bow:.1},{y1:.1} {bow:.1},{y2:.1} {:.1},{y2:.1}", x1 + CELL_W / 2.0 - 2.0, x2 + CELL_W / 2.0)
            } else {
                // An owner, usually in the same row: a bow below the cells.
                let drop = y1.max(y2) + CELL_H / 2.0 + band - 1.0;
                format!("M{x1:.1},{:.1} C{x1:.1},{drop:.1} {x2:.1},{drop:.1} {x2:.1},{:.1}", y1 + CELL_H / 2.0, y2 + CELL_H / 2.0)
            };
            let _ = write!(
                s,
                "<path class=\"nslab-link\" data-relation=\"{}\" d=\"{path}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.2\" opacity=\"0.8\"{dash} marker-end=\"url(#nslab-arrow)\"><title>{}</title></path>",
                match link.relation {
                    Relation::OwnedBy => "owned-by",
                    Relation::ChildOf => "child-of",
                },
                xml(&title)
            );
        }
        let legend = if self.expected { crate::t!("svg-legend-expected") } else { crate::t!("svg-legend-seen") };
        let _ = write!(s, "<text x=\"2\" y=\"{legend_y:.1}\" fill=\"currentColor\" opacity=\"0.7\" font-size=\"9\">{}</text>", xml(&legend));
        s.push_str("</svg>");
        s
    }
}

// ---- the expected picture, from the lesson ----------------------------------------------

/// The lab as the lesson says it will be: an identity per (row, kind).
#[derive(Debug, Clone, Default)]
struct Model {
    host: Vec<String>,
    processes: Vec<(String, Option<Vec<String>>)>,
    shell: Option<Vec<String>>,
    pins: Vec<(String, NsKind, String)>,
    captures: BTreeMap<String, (NsKind, String)>,
    links: Vec<Link>,
    fresh: usize,
}

impl Model {
    fn new() -> Model {
        Model { host: NsKind::ALL.iter().map(|k| format!("host.{k}")).collect(), ..Model::default() }
    }

    fn fresh(&mut self, owner: &str, kind: NsKind) -> String {
        self.fresh += 1;
        format!("{owner}.{kind}.{}", self.fresh)
    }

    fn process(&self, name: &str) -> Option<&Vec<String>> {
        self.processes.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_ref())
    }

    fn ident(&self, subject: &Subject, kind: Option<NsKind>) -> Option<String> {
        match subject {
            Subject::Host => Some(self.host[column(kind?)].clone()),
            Subject::Process(n) => Some(self.process(n)?[column(kind?)].clone()),
            Subject::Shell => Some(self.shell.as_ref()?[column(kind?)].clone()),
            Subject::Pin(p) => self.pins.iter().find(|(n, _, _)| n == p).map(|(_, _, i)| i.clone()),
            Subject::Capture(c) => self.captures.get(c).map(|(_, i)| i.clone()),
        }
    }

    fn set(&mut self, subject: &Subject, kind: NsKind, ident: String) {
        let c = column(kind);
        match subject {
            Subject::Host => self.host[c] = ident,
            Subject::Process(n) => {
                if let Some((_, Some(v))) = self.processes.iter_mut().find(|(p, _)| p == n) {
                    v[c] = ident;
                }
            }
            Subject::Shell => {
                let base = self.host.clone();
                self.shell.get_or_insert(base)[c] = ident;
            }
            Subject::Pin(p) => {
                if let Some(pin) = self.pins.iter_mut().find(|(n, _, _)| n == p) {
                    pin.2 = ident;
                } else {
                    self.pins.push((p.clone(), kind, ident));
                }
            }
            Subject::Capture(_) => {}
        }
    }

    fn apply(&mut self, step: &Step) {
        match &step.action.value {
            Action::Start { name, kinds, inside } => {
                let base = inside.as_ref().and_then(|i| self.process(i).cloned()).unwrap_or_else(|| self.host.clone());
                let mut idents = base.clone();
                for k in kinds.iter() {
                    idents[column(k)] = self.fresh(name, k);
                }
                // A new user namespace owns the others made with it; a new pid
                // namespace is a child of the one it was made from.
                if kinds.contains(NsKind::User) {
                    let user = idents[column(NsKind::User)].clone();
                    for k in kinds.iter().filter(|k| *k != NsKind::User) {
                        self.links.push(Link { from_kind: k, from: idents[column(k)].clone(), to: user.clone(), relation: Relation::OwnedBy });
                    }
                }
                if kinds.contains(NsKind::Pid) {
                    let from = idents[column(NsKind::Pid)].clone();
                    self.links.push(Link { from_kind: NsKind::Pid, from, to: base[column(NsKind::Pid)].clone(), relation: Relation::ChildOf });
                }
                self.processes.retain(|(n, _)| n != name);
                self.processes.push((name.clone(), Some(idents)));
            }
            Action::Pin { process, kind, pin } => {
                let subject = if process == "host" { Subject::Host } else { Subject::Process(process.clone()) };
                if let Some(ident) = self.ident(&subject, Some(*kind)) {
                    self.pins.retain(|(n, _, _)| n != pin);
                    self.pins.push((pin.clone(), *kind, ident));
                }
            }
            Action::Unpin { pin } => self.pins.retain(|(n, _, _)| n != pin),
            Action::Stop { name } => {
                if let Some(p) = self.processes.iter_mut().find(|(n, _)| n == name) {
                    p.1 = None;
                }
            }
            Action::Run { .. } | Action::Unshare { .. } | Action::Lsns { .. } | Action::YourTurn => {}
        }
        for e in &step.expectations {
            match &e.value {
                Expectation::Changed { ns } => {
                    if let Some(k) = ns.kind {
                        let owner = ns.subject.to_string();
                        let fresh = self.fresh(&owner, k);
                        self.set(&ns.subject, k, fresh);
                    }
                }
                Expectation::SameAs { ns, other } => {
                    if let Some(k) = ns.kind
                        && let Some(ident) = self.ident(other, Some(k))
                    {
                        self.set(&ns.subject, k, ident);
                    }
                }
                Expectation::DiffersFrom { ns, other } => {
                    if let Some(k) = ns.kind {
                        let mine = self.ident(&ns.subject, Some(k)).or_else(|| (ns.subject == Subject::Shell).then(|| self.host[column(k)].clone()));
                        if mine.is_none() || mine == self.ident(other, Some(k)) {
                            let owner = ns.subject.to_string();
                            let fresh = self.fresh(&owner, k);
                            self.set(&ns.subject, k, fresh);
                        }
                    }
                }
                Expectation::PinnedAt { ns, pin } => {
                    if let Some(k) = ns.kind
                        && let Some(ident) = self.ident(&ns.subject, Some(k))
                    {
                        self.set(&Subject::Pin(pin.clone()), k, ident);
                    }
                }
                _ => {}
            }
            // `shell …` anything: the shell is in the picture.
            if e.value.ns().is_some_and(|n| n.subject == Subject::Shell) && self.shell.is_none() {
                self.shell = Some(self.host.clone());
            }
        }
        for save in &step.saves {
            let s = &save.value;
            if let Some(ident) = self.ident(&s.subject, Some(s.kind)) {
                self.captures.insert(s.capture.clone(), (s.kind, ident));
            }
        }
    }

    /// The picture of the model, with the cells that differ from `before` outlined.
    fn picture(&self, before: &Model) -> Picture {
        let cells = |now: &[String], was: Option<&Vec<String>>| -> Vec<Option<Cell>> {
            now.iter().enumerate().map(|(c, ident)| Some(Cell { ident: ident.clone(), ino: None, changed: was.is_some_and(|w| &w[c] != ident) })).collect()
        };
        let mut rows = vec![Row { name: "lab".into(), role: Role::Host, cells: cells(&self.host, Some(&before.host)), note: None }];
        for (name, idents) in &self.processes {
            let row = match idents {
                Some(v) => {
                    // A process new in this step is compared with the host it came from.
                    let was = before.process(name).cloned().unwrap_or_else(|| before.host.clone());
                    Row { name: name.clone(), role: Role::Process, cells: cells(v, Some(&was)), note: None }
                }
                None => Row { name: name.clone(), role: Role::Process, cells: vec![None; 8], note: Some("gone".into()) },
            };
            rows.push(row);
        }
        if let Some(shell) = &self.shell {
            rows.push(Row {
                name: crate::t!("picture-your-shell"),
                role: Role::Shell,
                cells: cells(shell, Some(before.shell.as_ref().unwrap_or(&before.host))),
                note: None,
            });
        }
        for (name, kind, ident) in &self.pins {
            let was = before.pins.iter().find(|(n, _, _)| n == name).map(|(_, _, i)| i);
            let mut cells = vec![None; 8];
            cells[column(*kind)] = Some(Cell { ident: ident.clone(), ino: None, changed: was != Some(ident) });
            rows.push(Row { name: name.clone(), role: Role::Pin, cells, note: None });
        }
        // Only the arrows between namespaces still in the picture.
        let shown = |i: &str| rows.iter().any(|r| r.cells.iter().flatten().any(|c| c.ident == i));
        let links = self.links.iter().filter(|l| shown(&l.from) && shown(&l.to)).cloned().collect();
        Picture { rows, links, expected: true }
    }
}

/// True when a step has something to draw: it starts, stops or pins, or
/// expects something of a namespace.
pub fn step_touches_namespaces(step: &Step) -> bool {
    matches!(step.action.value, Action::Start { .. } | Action::Stop { .. } | Action::Pin { .. } | Action::Unpin { .. } | Action::Unshare { .. })
        || step.expectations.iter().any(|e| {
            matches!(e.value, Expectation::Changed { .. } | Expectation::SameAs { .. } | Expectation::DiffersFrom { .. } | Expectation::PinnedAt { .. })
        })
}

/// The picture after each step of `lesson`, as its actions and
/// expectations say the lab will be (one per step, in order).
pub fn expected(lesson: &Lesson) -> Vec<Picture> {
    let mut model = Model::new();
    lesson
        .steps
        .iter()
        .map(|step| {
            let before = model.clone();
            model.apply(step);
            let picture = model.picture(&before);
            // An exercise's shell is the learner's, for this exercise only.
            model.shell = None;
            picture
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(text: &str) -> Lesson {
        crate::lesson::parse_lesson(text, std::path::Path::new("t.md")).unwrap()
    }

    const BOX: &str = "---\nid: t\ntitle: T\n---\n\n```nslab\nstart box: net uts\nexpect: box net differs from host\n```\n\n```nslab\npin box net as keep\nexpect: box net pinned at keep\n```\n\n```nslab\nstop box\nexpect: keep net in lsns\n```\n\n```nslab\nstart c: user pid\nexpect: c user differs from host\n```\n";

    #[test]
    fn the_expected_picture_follows_the_lesson() {
        let pics = expected(&lesson(BOX));
        assert_eq!(pics.len(), 4);
        let started = &pics[0];
        assert_eq!(started.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["lab", "box"]);
        let boxed = &started.rows[1];
        let changed: Vec<&str> = NsKind::ALL.iter().zip(&boxed.cells).filter(|(_, c)| c.as_ref().is_some_and(|c| c.changed)).map(|(k, _)| k.name()).collect();
        assert_eq!(changed, ["net", "uts"]);
        assert_eq!(boxed.cells[column(NsKind::Ipc)].as_ref().unwrap().ident, "host.ipc", "what box did not get new is the host's");
        // The pin holds box's net namespace; once box is gone, the pin still does.
        let pinned = &pics[1];
        let pin = pinned.rows.iter().find(|r| r.role == Role::Pin).unwrap();
        assert_eq!(pin.cells[column(NsKind::Net)].as_ref().unwrap().ident, boxed.cells[column(NsKind::Net)].as_ref().unwrap().ident);
        let stopped = &pics[2];
        assert_eq!(stopped.rows[1].note.as_deref(), Some("gone"));
        assert!(stopped.rows.iter().any(|r| r.role == Role::Pin));
        // A user namespace owns the pid namespace made with it; the pid namespace has the host's as parent.
        let c = &pics[3];
        assert!(c.links.iter().any(|l| l.relation == Relation::OwnedBy && l.from_kind == NsKind::Pid));
        assert!(c.links.iter().any(|l| l.relation == Relation::ChildOf && l.to == "host.pid"));
    }

    #[test]
    fn an_exercise_pictures_the_shell_it_asks_for() {
        let text = "---\nid: t\ntitle: T\n---\n\n```nslab exercise\nid: join\ngoal: join target's net\nstart target: net uts\nsolution: nsenter -t $NSLAB_PID_TARGET -n sh -c check\nexpect: shell net same as target\nexpect: shell uts same as host\n```\n";
        let pics = expected(&lesson(text));
        let p = &pics[0];
        let shell = p.rows.iter().find(|r| r.role == Role::Shell).expect("the shell is drawn");
        let target = p.rows.iter().find(|r| r.name == "target").unwrap();
        let net = column(NsKind::Net);
        assert_eq!(shell.cells[net].as_ref().unwrap().ident, target.cells[net].as_ref().unwrap().ident, "the shell shares target's net");
        assert!(shell.cells[net].as_ref().unwrap().changed);
        assert_eq!(shell.cells[column(NsKind::Uts)].as_ref().unwrap().ident, "host.uts");
    }

    #[test]
    fn the_svg_outlines_changes_and_names_holders() {
        let pics = expected(&lesson(BOX));
        let svg = pics[1].svg();
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"nslab-cell changed\"").count(), 1, "only the pin's cell is new in step 2:\n{svg}");
        assert!(svg.contains("held by box, the pin keep"), "{svg}");
        assert!(svg.contains("📌 keep"));
        let arrows = pics[3].svg();
        assert!(arrows.contains("data-relation=\"owned-by\"") && arrows.contains("data-relation=\"child-of\""), "{arrows}");
        // Names are escaped.
        let mut p = pics[0].clone();
        p.rows[1].name = "<b>".into();
        assert!(p.svg().contains("&lt;b&gt;") && !p.svg().contains("<b>"));
    }
}
