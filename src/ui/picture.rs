//! The namespace picture: after each step, which process (and which pin) is
//! in which namespace, drawn so that a learner reads it at a glance.
//!
//! Every namespace that is not the lab's own gets a letter; the same letter
//! is the same namespace, whoever is in it, and each letter has a colour of
//! its own. A dot is the lab's namespace of that kind. What the
//! step changed carries a `*`. Pins appear as holders of the namespace they
//! keep alive. Under the grid a key names each letter's kind, inode number
//! and holders. When the grid does not fit, each holder gets a line instead.
//!
//! A pure function of the observed data: no terminal, no kernel.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use console::{Style, measure_text_width};

use crate::ns::{NsId, NsKind};
use crate::run::observe::{Pinned, Presence, Seen, Snapshot};

/// One holder of namespaces: the lab itself, a named process, the learner's
/// shell, or a pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// What the learner calls it: `lab`, `box`, `pin netns1`.
    pub name: String,
    /// Its namespaces now, by kind; `None` when it is gone.
    pub now: Option<BTreeMap<NsKind, NsId>>,
    /// Its namespaces before the step (for a process new in the step: the
    /// host's, where it came from); what differs is marked as changed.
    pub was: BTreeMap<NsKind, NsId>,
    /// Its namespaces could not be read (`now` is then `None`).
    pub unreadable: bool,
}

/// How to draw the picture.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// Columns available.
    pub width: usize,
    /// ANSI colours.
    pub color: bool,
    /// Explain the signs (the first time the picture appears).
    pub legend: bool,
}

/// The holders seen in a step: the host, each named process, the learner's
/// shell in an exercise, and each pin. What could not be read counts as
/// unreadable, never as empty.
pub fn holders(before: &Snapshot, after: &Snapshot) -> Vec<Holder> {
    let map = |v: &Seen| v.view.current.clone();
    let host_before = before.host.as_ref().map(map).unwrap_or_default();
    let mut out = vec![match &after.host {
        Ok(seen) => Holder { name: "lab".into(), now: Some(map(seen)), was: host_before.clone(), unreadable: false },
        Err(_) => Holder { name: "lab".into(), now: None, was: host_before.clone(), unreadable: true },
    }];
    for (name, presence) in &after.processes {
        let was = match before.processes.get(name) {
            Some(Presence::Alive(seen)) => map(seen),
            _ => host_before.clone(),
        };
        let (now, unreadable) = match presence {
            Presence::Alive(seen) => (Some(map(seen)), false),
            Presence::Gone => (None, false),
            Presence::Unreadable(_) => (None, true),
        };
        out.push(Holder { name: name.clone(), now, was, unreadable });
    }
    if let Some(shell) = &after.shell {
        let was = before.shell.as_ref().map_or_else(|| host_before.clone(), map);
        out.push(Holder { name: crate::t!("picture-your-shell"), now: Some(map(shell)), was, unreadable: false });
    }
    for (name, pinned) in &after.pins {
        let one = |p: &Pinned| match &p.held {
            Ok(Some(i)) => Some(BTreeMap::from([(i.kind, i.id)])),
            _ => None,
        };
        let was = before.pins.get(name).and_then(one).unwrap_or_default();
        out.push(Holder { name: crate::t!("picture-pin", name = name.as_str()), now: one(pinned), was, unreadable: pinned.held.is_err() });
    }
    out
}

/// The letter of the `n`th namespace: A…Z, then AA, AB…
fn label(n: usize) -> String {
    let letter = |i: usize| char::from(b'A' + (i % 26) as u8);
    if n < 26 { letter(n).to_string() } else { format!("{}{}", letter(n / 26 - 1), letter(n)) }
}

/// The colours namespaces take, in turn.
const PALETTE: [fn(Style) -> Style; 6] = [Style::cyan, Style::magenta, Style::yellow, Style::green, Style::blue, Style::red];

/// What a cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// The host's namespace of the kind.
    Host,
    /// Another namespace, by its label index.
    Other(usize),
    /// Not held (a pin holds one kind) or unreadable.
    None,
}

/// Draws the picture of `holders`.
pub fn render(holders: &[Holder], look: Look) -> String {
    let host = holders.first().and_then(|h| h.now.clone()).unwrap_or_default();
    // Number each namespace that is not the host's, in reading order.
    let mut labels: BTreeMap<(NsKind, NsId), usize> = BTreeMap::new();
    let mut order: Vec<(NsKind, NsId)> = Vec::new();
    for h in holders.iter().skip(1) {
        for (&kind, &id) in h.now.iter().flatten() {
            if host.get(&kind) != Some(&id) && !labels.contains_key(&(kind, id)) {
                labels.insert((kind, id), order.len());
                order.push((kind, id));
            }
        }
    }
    let mark = |h: &Holder, kind: NsKind| -> (Mark, bool) {
        let Some(now) = &h.now else { return (Mark::None, false) };
        let changed = now.get(&kind) != h.was.get(&kind);
        let m = match now.get(&kind) {
            Some(id) if h.name == "lab" || host.get(&kind) == Some(id) => Mark::Host,
            Some(id) => Mark::Other(labels[&(kind, *id)]),
            None => Mark::None,
        };
        (m, changed && m != Mark::None)
    };
    let st = |s: Style| s.force_styling(look.color);
    let cell_text = |m: &Mark, changed: bool| -> String {
        let base = match m {
            Mark::Host => "·".to_string(),
            Mark::Other(n) => label(*n),
            Mark::None => " ".to_string(),
        };
        if changed { format!("{base}*") } else { base }
    };
    let paint = |m: &Mark, changed: bool, text: String| -> String {
        let mut s = match m {
            Mark::Other(n) => PALETTE[n % PALETTE.len()](Style::new()),
            Mark::Host => Style::new().dim(),
            Mark::None => Style::new(),
        };
        if changed {
            s = s.bold().reverse();
            if *m == Mark::Host {
                s = Style::new().bold().reverse();
            }
        }
        st(s).apply_to(text).to_string()
    };

    let name_w = holders.iter().map(|h| measure_text_width(&h.name)).max().unwrap_or(4);
    let cell_w: Vec<usize> = NsKind::ALL
        .iter()
        .map(|&k| holders.iter().map(|h| cell_text(&mark(h, k).0, mark(h, k).1).chars().count()).max().unwrap_or(1).max(k.name().len()))
        .collect();
    let grid_w = name_w + cell_w.iter().map(|w| w + 1).sum::<usize>();
    let mut out = String::new();
    if look.legend {
        let legend = crate::t!("picture-legend");
        for line in textwrap::wrap(&legend, crate::ui::markdown::wrap_options(&legend, look.width.max(20))) {
            let _ = writeln!(out, "{}", st(Style::new().dim()).apply_to(line));
        }
    }
    if grid_w <= look.width {
        let mut header = " ".repeat(name_w);
        for (k, w) in NsKind::ALL.iter().zip(&cell_w) {
            let _ = write!(header, " {:<w$}", k.name());
        }
        let _ = writeln!(out, "{}", st(Style::new().dim()).apply_to(header.trim_end()));
        for h in holders {
            let pad = name_w - measure_text_width(&h.name);
            let mut line = format!("{}{}", h.name, " ".repeat(pad));
            if h.now.is_none() {
                let _ = write!(
                    line,
                    " {}",
                    st(Style::new().dim()).apply_to(if h.unreadable { crate::t!("picture-unreadable") } else { crate::t!("picture-gone") })
                );
            } else {
                for (&k, &w) in NsKind::ALL.iter().zip(&cell_w) {
                    let (m, changed) = mark(h, k);
                    let text = cell_text(&m, changed);
                    // Centred under the kind's name; a `*` hangs to the right.
                    let gap = w.saturating_sub(1) / 2;
                    let after = w.saturating_sub(gap + text.chars().count());
                    let _ = write!(line, " {}{}{}", " ".repeat(gap), paint(&m, changed, text), " ".repeat(after));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    } else {
        // Too narrow for the grid: a line per holder, naming what is not the host's.
        for h in holders {
            let text = match &h.now {
                None if h.unreadable => format!("{}: {}", h.name, crate::t!("picture-unreadable")),
                None => format!("{}: {}", h.name, crate::t!("picture-gone")),
                Some(_) => {
                    let mut parts = Vec::new();
                    let mut changed_host = Vec::new();
                    for k in NsKind::ALL {
                        let (m, changed) = mark(h, k);
                        match m {
                            Mark::Other(_) => parts.push(format!("{k} {}", paint(&m, changed, cell_text(&m, changed)))),
                            Mark::Host if changed => changed_host.push(format!("{k} {}", paint(&m, changed, cell_text(&m, changed)))),
                            _ => {}
                        }
                    }
                    parts.extend(changed_host);
                    let all_host = parts.is_empty();
                    let rest = if h.name.starts_with(&crate::t!("picture-pin", name = "")) {
                        String::new()
                    } else if all_host && h.name == "lab" {
                        crate::t!("picture-lab-own")
                    } else if all_host {
                        crate::t!("picture-all-host")
                    } else {
                        crate::t!("picture-rest-host")
                    };
                    format!("{}: {}{rest}", h.name, parts.join(", "))
                }
            };
            let opts = crate::ui::markdown::wrap_options(&text, look.width.max(20)).subsequent_indent("  ");
            for line in textwrap::wrap(&text, opts) {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    // The key: each letter's kind, inode and holders.
    for (n, (kind, id)) in order.iter().enumerate() {
        let holders_of: Vec<&str> = holders.iter().filter(|h| h.now.as_ref().is_some_and(|now| now.get(kind) == Some(id))).map(|h| h.name.as_str()).collect();
        let tag = paint(&Mark::Other(n), false, label(n));
        let text = format!("{tag} {kind}:[{}] — {}", id.ino, holders_of.join(", "));
        let opts = crate::ui::markdown::wrap_options(&text, look.width.max(20)).subsequent_indent("    ");
        for line in textwrap::wrap(&text, opts) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ino: u64) -> NsId {
        NsId { dev: 4, ino }
    }

    fn view(over: &[(NsKind, u64)]) -> BTreeMap<NsKind, NsId> {
        let mut m: BTreeMap<NsKind, NsId> = NsKind::ALL.iter().enumerate().map(|(i, &k)| (k, id(4026531835 + i as u64))).collect();
        for &(k, ino) in over {
            m.insert(k, id(ino));
        }
        m
    }

    /// Lesson 1 after `start box: uts net`, with a pin on box's net.
    fn scene() -> Vec<Holder> {
        let host = view(&[]);
        let box_now = view(&[(NsKind::Uts, 4026532290), (NsKind::Net, 4026532292)]);
        vec![
            Holder { name: "lab".into(), now: Some(host.clone()), was: host.clone(), unreadable: false },
            Holder { name: "box".into(), now: Some(box_now), was: host.clone(), unreadable: false },
            Holder { name: "other".into(), now: Some(view(&[(NsKind::Net, 4026532292)])), was: view(&[(NsKind::Net, 4026532292)]), unreadable: false },
            Holder { name: "pin net1".into(), now: Some([(NsKind::Net, id(4026532292))].into()), was: BTreeMap::new(), unreadable: false },
            Holder { name: "old".into(), now: None, was: host, unreadable: false },
        ]
    }

    #[test]
    fn grid_at_80_columns() {
        let text = render(&scene(), Look { width: 80, color: false, legend: true });
        insta::assert_snapshot!(text);
    }

    #[test]
    fn shared_namespaces_share_a_letter() {
        let text = render(&scene(), Look { width: 80, color: false, legend: false });
        let lines: Vec<&str> = text.lines().collect();
        let row = |name: &str| lines.iter().find(|l| l.starts_with(name)).copied().unwrap_or_default();
        // box's new net and the other's net are one namespace: one letter.
        assert!(row("box").contains("A*"), "{text}");
        assert!(row("other ").contains(" A"), "{text}");
        assert!(row("pin net1").contains(" A"), "{text}");
        assert!(text.contains("A net:[4026532292] — box, other, pin net1"), "{text}");
        assert!(text.contains("B uts:[4026532290] — box"), "{text}");
        assert!(row("old").contains("gone"), "{text}");
        assert!(!row("lab").contains('*'), "{text}");
    }

    #[test]
    fn narrow_lists_each_holder() {
        let text = render(&scene(), Look { width: 40, color: false, legend: false });
        for line in text.lines() {
            assert!(measure_text_width(line) <= 40, "{line:?}");
        }
        insta::assert_snapshot!(text);
    }

    #[test]
    fn colour_is_per_namespace() {
        let text = render(&scene(), Look { width: 80, color: true, legend: false });
        // A (box's net, shared with other and the pin) is cyan wherever it
        // appears, and B (box's uts) magenta.
        assert_eq!(text.matches("\x1b[36m").count(), 4, "{text:?}");
        assert_eq!(text.matches("\x1b[35m").count(), 2, "{text:?}");
        insta::assert_snapshot!(text);
    }
}
