//! `nslab lsns`: columns, trees and the table, raw and JSON printers, with
//! util-linux lsns's names, defaults and JSON schema.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

use crate::ns::scan::{Details, Namespace, NetNsId};

/// One output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// NS: the inode number.
    Ns,
    /// TYPE: the kind.
    Type,
    /// PATH: a path to open the namespace by.
    Path,
    /// NPROCS: how many processes are in it.
    Nprocs,
    /// PID: the lowest pid in it.
    Pid,
    /// PPID: that process's parent.
    Ppid,
    /// COMMAND: that process's command line.
    Command,
    /// UID: that process's uid.
    Uid,
    /// USER: that uid's name.
    User,
    /// NETNSID: the network namespace id.
    Netnsid,
    /// NSFS: nsfs bind mounts holding it.
    Nsfs,
    /// PNS: the parent namespace.
    Pns,
    /// ONS: the owner user namespace.
    Ons,
}

impl Column {
    /// Every column, in util-linux's order.
    pub const ALL: [Column; 13] = [
        Column::Ns,
        Column::Type,
        Column::Path,
        Column::Nprocs,
        Column::Pid,
        Column::Ppid,
        Column::Command,
        Column::Uid,
        Column::User,
        Column::Netnsid,
        Column::Nsfs,
        Column::Pns,
        Column::Ons,
    ];

    /// The default columns: `NS TYPE NPROCS PID USER COMMAND`, with NETNSID and
    /// NSFS before COMMAND when only net namespaces are listed.
    pub fn defaults(net_only: bool) -> Vec<Column> {
        use Column::*;
        if net_only { vec![Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command] } else { vec![Ns, Type, Nprocs, Pid, User, Command] }
    }

    /// The heading.
    pub fn name(self) -> &'static str {
        match self {
            Column::Ns => "NS",
            Column::Type => "TYPE",
            Column::Path => "PATH",
            Column::Nprocs => "NPROCS",
            Column::Pid => "PID",
            Column::Ppid => "PPID",
            Column::Command => "COMMAND",
            Column::Uid => "UID",
            Column::User => "USER",
            Column::Netnsid => "NETNSID",
            Column::Nsfs => "NSFS",
            Column::Pns => "PNS",
            Column::Ons => "ONS",
        }
    }

    /// What the column shows, for `--help`.
    pub fn help(self) -> &'static str {
        match self {
            Column::Ns => "namespace identifier (inode number)",
            Column::Type => "kind of namespace",
            Column::Path => "path to the namespace",
            Column::Nprocs => "number of processes in the namespace",
            Column::Pid => "lowest PID in the namespace",
            Column::Ppid => "PPID of the PID",
            Column::Command => "command line of the PID",
            Column::Uid => "UID of the PID",
            Column::User => "username of the PID",
            Column::Netnsid => "namespace ID as used by network subsystem",
            Column::Nsfs => "nsfs mountpoint (usually used network subsystem)",
            Column::Pns => "parent namespace identifier (inode number)",
            Column::Ons => "owner namespace identifier (inode number)",
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Ns | Column::Nprocs | Column::Pid | Column::Ppid | Column::Uid | Column::Netnsid | Column::Pns | Column::Ons)
    }

    fn json_number(self) -> bool {
        matches!(self, Column::Ns | Column::Nprocs | Column::Pid | Column::Ppid | Column::Uid | Column::Pns | Column::Ons)
    }

    /// The details the scanner must read for these columns.
    pub fn details(columns: &[Column], tree: Option<Tree>) -> Details {
        let has = |c| columns.contains(&c);
        Details {
            ppid: has(Column::Ppid) || tree == Some(Tree::Process),
            user: has(Column::Uid) || has(Column::User),
            command: has(Column::Command),
            netnsid: has(Column::Netnsid),
            relations: has(Column::Pns) || has(Column::Ons) || matches!(tree, Some(Tree::Owner | Tree::Parent)),
        }
    }

    fn cell(self, ns: &Namespace) -> Option<String> {
        let path = |p: &std::path::PathBuf| p.display().to_string();
        match self {
            Column::Ns => Some(ns.id.ino.to_string()),
            Column::Type => Some(ns.kind.name().to_string()),
            Column::Path => ns.path.as_ref().map(path),
            Column::Nprocs => Some(ns.nprocs.to_string()),
            Column::Pid => ns.pid.map(|p| p.to_string()),
            Column::Ppid => ns.ppid.map(|p| p.to_string()),
            Column::Command => ns.command.clone(),
            Column::Uid => ns.uid.map(|u| u.to_string()),
            Column::User => ns.user.clone(),
            Column::Netnsid => ns.netnsid.map(|n| match n {
                NetNsId::Id(id) => id.to_string(),
                NetNsId::Unassigned => "unassigned".to_string(),
            }),
            Column::Nsfs => (!ns.nsfs.is_empty()).then(|| ns.nsfs.iter().map(path).collect::<Vec<_>>().join("\n")),
            Column::Pns => Some(ns.pns.to_string()),
            Column::Ons => Some(ns.ons.to_string()),
        }
    }
}

/// An unknown column name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown column '{0}' (expected one of NS, TYPE, PATH, NPROCS, PID, PPID, COMMAND, UID, USER, NETNSID, NSFS, PNS, ONS)")]
pub struct UnknownColumn(pub String);

impl FromStr for Column {
    type Err = UnknownColumn;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Column::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(s)).ok_or_else(|| UnknownColumn(s.to_string()))
    }
}

/// Parses `-o LIST`: `NS,TYPE` replaces the defaults, `+PNS,ONS` appends to them.
pub fn parse_columns(list: &str, defaults: &[Column]) -> Result<Vec<Column>, UnknownColumn> {
    let (mut columns, list) = match list.strip_prefix('+') {
        Some(rest) => (defaults.to_vec(), rest),
        None => (Vec::new(), list),
    };
    for name in list.split(',').filter(|n| !n.is_empty()) {
        columns.push(name.trim().parse()?);
    }
    Ok(columns)
}

/// How rows nest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tree {
    /// Under the row of the parent process of the row's process.
    Process,
    /// Under the user namespace that owns it.
    Owner,
    /// Under its parent namespace (pid and user).
    Parent,
}

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns with a heading.
    Table,
    /// Space-separated, unaligned, with unsafe characters escaped.
    Raw,
    /// util-linux's JSON: `{"namespaces":[…]}`.
    Json,
}

/// Everything that decides the printed form.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The output format.
    pub format: Format,
    /// Nesting, or `None` for a flat list.
    pub tree: Option<Tree>,
    /// Print the heading line.
    pub headings: bool,
}

/// For each row, the index of its parent row, by `tree`. A row never gets a
/// parent that would make a cycle.
pub fn parents(rows: &[Namespace], tree: Tree) -> Vec<Option<usize>> {
    let mut out = vec![None; rows.len()];
    match tree {
        Tree::Process => {
            // util-linux: a row hangs under the last earlier row shown for its
            // process's parent.
            let mut last_row_of_pid: HashMap<i32, usize> = HashMap::new();
            for (i, ns) in rows.iter().enumerate() {
                out[i] = ns.ppid.and_then(|pp| last_row_of_pid.get(&pp).copied());
                if let Some(pid) = ns.pid {
                    last_row_of_pid.insert(pid, i);
                }
            }
        }
        Tree::Owner | Tree::Parent => {
            let by_ino: HashMap<u64, usize> = rows.iter().enumerate().map(|(i, n)| (n.id.ino, i)).collect();
            for (i, ns) in rows.iter().enumerate() {
                let target = if tree == Tree::Owner { ns.ons } else { ns.pns };
                out[i] = by_ino.get(&target).copied().filter(|&p| p != i);
            }
            // Break any cycle (not expected from the kernel, but cheap to rule out).
            for i in 0..rows.len() {
                let mut seen = 0;
                let mut cur = out[i];
                while let Some(p) = cur {
                    seen += 1;
                    if p == i || seen > rows.len() {
                        out[i] = None;
                        break;
                    }
                    cur = out[p];
                }
            }
        }
    }
    out
}

/// Rows in print order, each with its depth and whether it is the last child.
fn walk(parents: &[Option<usize>]) -> Vec<(usize, Vec<bool>)> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); parents.len()];
    let mut roots = Vec::new();
    for (i, p) in parents.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    let mut out = Vec::with_capacity(parents.len());
    // (row, ancestors' "is last" flags including its own)
    let mut stack: Vec<(usize, Vec<bool>)> = roots.iter().rev().map(|&r| (r, Vec::new())).collect();
    while let Some((row, lasts)) = stack.pop() {
        let kids = &children[row];
        for (k, &child) in kids.iter().enumerate().rev() {
            let mut l = lasts.clone();
            l.push(k + 1 == kids.len());
            stack.push((child, l));
        }
        out.push((row, lasts));
    }
    out
}

fn tree_prefix(lasts: &[bool]) -> String {
    let mut s = String::new();
    for (depth, &last) in lasts.iter().enumerate() {
        let at_row = depth + 1 == lasts.len();
        s.push_str(match (at_row, last) {
            (true, true) => "└─",
            (true, false) => "├─",
            (false, true) => "  ",
            (false, false) => "│ ",
        });
    }
    s
}

/// Prints `rows` with `layout`.
pub fn render(rows: &[Namespace], layout: &Layout) -> String {
    match layout.format {
        Format::Json => render_json(rows, layout),
        Format::Table | Format::Raw => render_text(rows, layout),
    }
}

fn tree_column(layout: &Layout) -> Option<Column> {
    match layout.tree? {
        Tree::Process => layout.columns.contains(&Column::Command).then_some(Column::Command),
        Tree::Owner | Tree::Parent => layout.columns.first().copied(),
    }
}

fn render_text(rows: &[Namespace], layout: &Layout) -> String {
    let order: Vec<(usize, Vec<bool>)> = match layout.tree {
        Some(tree) => walk(&parents(rows, tree)),
        None => (0..rows.len()).map(|i| (i, Vec::new())).collect(),
    };
    let tree_col = tree_column(layout);
    let mut table: Vec<Vec<String>> = Vec::with_capacity(order.len() + 1);
    if layout.headings {
        table.push(layout.columns.iter().map(|c| c.name().to_string()).collect());
    }
    for (row, lasts) in &order {
        let ns = &rows[*row];
        table.push(
            layout
                .columns
                .iter()
                .map(|&c| {
                    let mut cell = c.cell(ns).unwrap_or_default();
                    if Some(c) == tree_col {
                        cell = tree_prefix(lasts) + &cell;
                    }
                    match layout.format {
                        Format::Raw => raw_escape(&cell),
                        _ => cell.replace('\n', ","),
                    }
                })
                .collect(),
        );
    }
    let mut out = String::new();
    if layout.format == Format::Raw {
        for line in table {
            out.push_str(&line.join(" "));
            out.push('\n');
        }
        return out;
    }
    let widths: Vec<usize> = (0..layout.columns.len()).map(|i| table.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    for line in table {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                text.push(' ');
            }
            if layout.columns[i].right_aligned() && Some(layout.columns[i]) != tree_col {
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if !last {
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// libsmartcols's raw escaping: space, backslash and anything outside
/// printable ASCII as `\xNN`.
fn raw_escape(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len());
    for &b in cell.as_bytes() {
        if b.is_ascii_graphic() && b != b'\\' {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn json_row(ns: &Namespace, layout: &Layout) -> serde_json::Map<String, serde_json::Value> {
    let mut obj = serde_json::Map::new();
    for &c in &layout.columns {
        let value = match c.cell(ns) {
            None => serde_json::Value::Null,
            Some(text) if c.json_number() => text.parse::<u64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(text)),
            Some(text) => serde_json::Value::String(text),
        };
        obj.insert(c.name().to_ascii_lowercase(), value);
    }
    obj
}

fn render_json(rows: &[Namespace], layout: &Layout) -> String {
    use serde_json::Value;
    let list: Vec<Value> = match layout.tree {
        None => rows.iter().map(|ns| Value::Object(json_row(ns, layout))).collect(),
        Some(tree) => {
            let parents = parents(rows, tree);
            let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
            for (i, p) in parents.iter().enumerate() {
                if let Some(p) = p {
                    children[*p].push(i);
                }
            }
            fn build(i: usize, rows: &[Namespace], children: &[Vec<usize>], layout: &Layout) -> Value {
                let mut obj = json_row(&rows[i], layout);
                if !children[i].is_empty() {
                    let kids = children[i].iter().map(|&c| build(c, rows, children, layout)).collect();
                    obj.insert("children".into(), Value::Array(kids));
                }
                Value::Object(obj)
            }
            (0..rows.len()).filter(|&i| parents[i].is_none()).map(|i| build(i, rows, &children, layout)).collect()
        }
    };
    let mut text = serde_json::to_string_pretty(&serde_json::json!({ "namespaces": list })).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ns::{NsId, NsKind};

    fn ns(ino: u64, kind: NsKind, pid: Option<i32>, ppid: Option<i32>) -> Namespace {
        let mut n = crate::ns::scan::Namespace {
            id: NsId { dev: 4, ino },
            kind,
            nprocs: pid.map_or(0, |_| 1),
            pid,
            ppid,
            uid: pid.map(|_| 0),
            user: pid.map(|_| "root".into()),
            command: pid.map(|p| format!("cmd {p}")),
            path: None,
            nsfs: Vec::new(),
            held_by_fds: Vec::new(),
            netnsid: None,
            pns: 0,
            ons: 0,
        };
        if pid.is_none() {
            n.nsfs.push("/run/netns/x".into());
        }
        n
    }

    #[test]
    fn columns_parse_like_util_linux() {
        let d = Column::defaults(false);
        assert_eq!(parse_columns("ns,type", &d).unwrap(), vec![Column::Ns, Column::Type]);
        assert_eq!(parse_columns("+PNS", &d).unwrap().last(), Some(&Column::Pns));
        assert_eq!(parse_columns("+PNS", &d).unwrap().len(), d.len() + 1);
        assert_eq!(parse_columns("NS,BOGUS", &d).unwrap_err(), UnknownColumn("BOGUS".into()));
        assert_eq!(Column::defaults(true)[5..7], [Column::Netnsid, Column::Nsfs]);
    }

    #[test]
    fn json_has_numbers_strings_and_nulls() {
        let rows = vec![ns(10, NsKind::Net, Some(1), None), ns(11, NsKind::Net, None, None)];
        let layout = Layout { columns: Column::defaults(true), format: Format::Json, tree: None, headings: true };
        let v: serde_json::Value = serde_json::from_str(&render(&rows, &layout)).unwrap();
        let list = v["namespaces"].as_array().unwrap();
        assert_eq!(list[0]["ns"], 10);
        assert_eq!(list[0]["type"], "net");
        assert_eq!(list[0]["pid"], 1);
        assert_eq!(list[0]["nsfs"], serde_json::Value::Null);
        assert_eq!(list[1]["pid"], serde_json::Value::Null);
        assert_eq!(list[1]["nprocs"], 0);
        assert_eq!(list[1]["nsfs"], "/run/netns/x");
        assert_eq!(list[0].as_object().unwrap().keys().count(), 8);
    }

    #[test]
    fn process_tree_hangs_rows_under_the_parent_process() {
        let rows = vec![ns(1, NsKind::Mnt, Some(1), None), ns(2, NsKind::Net, Some(1), None), ns(3, NsKind::Mnt, Some(5), Some(1))];
        assert_eq!(parents(&rows, Tree::Process), vec![None, None, Some(1)]);
        let layout = Layout { columns: vec![Column::Ns, Column::Command], format: Format::Table, tree: Some(Tree::Process), headings: true };
        let text = render(&rows, &layout);
        assert_eq!(text, "NS COMMAND\n 1 cmd 1\n 2 cmd 1\n 3 └─cmd 5\n");
        let json: serde_json::Value = serde_json::from_str(&render(&rows, &Layout { format: Format::Json, ..layout })).unwrap();
        assert_eq!(json["namespaces"][1]["children"][0]["ns"], 3);
    }

    #[test]
    fn owner_tree_nests_and_survives_cycles() {
        let mut rows = vec![ns(1, NsKind::User, Some(1), None), ns(2, NsKind::Net, Some(1), None), ns(3, NsKind::User, Some(2), None)];
        rows[1].ons = 3;
        rows[2].ons = 1;
        assert_eq!(parents(&rows, Tree::Owner), vec![None, Some(2), Some(0)]);
        let layout = Layout { columns: vec![Column::Ns, Column::Type], format: Format::Table, tree: Some(Tree::Owner), headings: false };
        assert_eq!(render(&rows, &layout), "1     user\n└─3   user\n  └─2 net\n");
        rows[0].ons = 2;
        let p = parents(&rows, Tree::Owner);
        assert!(p.iter().any(|x| x.is_none()), "a cycle is broken: {p:?}");
    }

    #[test]
    fn raw_escapes_like_libsmartcols() {
        let rows = vec![ns(7, NsKind::Uts, Some(3), None)];
        let layout = Layout { columns: vec![Column::Ns, Column::Command], format: Format::Raw, tree: None, headings: false };
        assert_eq!(render(&rows, &layout), "7 cmd\\x203\n");
    }
}
