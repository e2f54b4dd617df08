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
    /// NSFS before COMMAND when `-t net` is among the types asked for.
    pub fn defaults(with_net: bool) -> Vec<Column> {
        use Column::*;
        if with_net { vec![Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command] } else { vec![Ns, Type, Nprocs, Pid, User, Command] }
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

    /// libsmartcols's width hint for the column (util-linux's table).
    fn width_hint(self) -> usize {
        match self {
            Column::Ns | Column::Pns | Column::Ons => 10,
            Column::Type | Column::Nprocs | Column::Pid | Column::Ppid => 5,
            _ => 0,
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Ns | Column::Nprocs | Column::Pid | Column::Ppid | Column::Uid | Column::Netnsid | Column::Pns | Column::Ons)
    }

    /// The JSON type util-linux gives the column, for `--list-columns`.
    pub fn json_type(self) -> &'static str {
        if self.json_number() { "number" } else { "string" }
    }

    fn json_number(self) -> bool {
        matches!(self, Column::Ns | Column::Nprocs | Column::Pid | Column::Ppid | Column::Uid | Column::Pns | Column::Ons)
    }

    /// The details the scanner must read for these columns (and those a filter names).
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
            // util-linux leaves PATH empty without a process; nslab names the
            // mount or descriptor that holds the namespace (a file to enter it by).
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
    /// Under its parent namespace (pid and user), else its owner.
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
                let owner = by_ino.get(&ns.ons).copied().filter(|&p| p != i);
                out[i] = match tree {
                    Tree::Owner => owner,
                    // A pid or user namespace under its parent; the others are
                    // roots (printed after their owner: see `tree_order`).
                    _ => by_ino.get(&ns.pns).copied().filter(|&p| p != i && ns.pns != 0),
                };
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

/// The order util-linux adds rows to an owner or parent tree: each after its
/// owner (or its parent, in a parent tree; its owner when it has none), so a
/// root's position is where its first descendant in inode order is.
pub fn tree_order(rows: &[Namespace], tree: Tree) -> Vec<usize> {
    let by_ino: HashMap<u64, usize> = rows.iter().enumerate().map(|(i, n)| (n.id.ino, i)).collect();
    let before = |i: usize| -> Option<usize> {
        let ns = &rows[i];
        let owner = by_ino.get(&ns.ons).copied().filter(|&p| p != i);
        match tree {
            Tree::Parent => by_ino.get(&ns.pns).copied().filter(|&p| p != i && ns.pns != 0).or(owner),
            _ => owner,
        }
    };
    let mut added = vec![false; rows.len()];
    let mut order = Vec::with_capacity(rows.len());
    for start in 0..rows.len() {
        // The chain of not yet added ancestors, oldest added first.
        let mut chain = Vec::new();
        let mut cur = Some(start);
        while let Some(i) = cur {
            if added[i] || chain.contains(&i) {
                break;
            }
            chain.push(i);
            cur = before(i);
        }
        for &i in chain.iter().rev() {
            added[i] = true;
            order.push(i);
        }
    }
    order
}

/// Prints `rows` with `layout`, several NSFS mounts of a row one per line.
pub fn render(rows: &[Namespace], layout: &Layout) -> String {
    render_with(rows, layout, false)
}

/// Prints `rows` with `layout`; `nowrap` (`-W`) joins several NSFS mounts
/// with commas on one line (raw output always does).
pub fn render_with(rows: &[Namespace], layout: &Layout, nowrap: bool) -> String {
    if let Some(tree @ (Tree::Owner | Tree::Parent)) = layout.tree {
        let ordered: Vec<Namespace> = tree_order(rows, tree).into_iter().map(|i| rows[i].clone()).collect();
        if ordered.iter().zip(rows).any(|(a, b)| a.id != b.id) {
            return render_with(&ordered, &Layout { tree: Some(tree), ..layout.clone() }, nowrap);
        }
    }
    match layout.format {
        Format::Json => render_json(rows, layout, nowrap),
        Format::Table | Format::Raw => render_text(rows, layout, nowrap),
    }
}

fn tree_column(layout: &Layout) -> Option<Column> {
    match layout.tree? {
        Tree::Process => layout.columns.contains(&Column::Command).then_some(Column::Command),
        Tree::Owner | Tree::Parent => layout.columns.first().copied(),
    }
}

fn render_text(rows: &[Namespace], layout: &Layout, nowrap: bool) -> String {
    if rows.is_empty() {
        // libsmartcols prints no heading over an empty table.
        return String::new();
    }
    let order: Vec<(usize, Vec<bool>)> = match layout.tree {
        Some(tree) => walk(&parents(rows, tree)),
        None => (0..rows.len()).map(|i| (i, Vec::new())).collect(),
    };
    let tree_col = tree_column(layout);
    let join = if nowrap || layout.format == Format::Raw { "," } else { "\n" };
    // Each row may span several lines (one NSFS mount per line).
    let mut table: Vec<Vec<String>> = Vec::with_capacity(order.len() + 1);
    if layout.headings {
        table.push(layout.columns.iter().map(|c| c.name().to_string()).collect());
    }
    let has_children: Vec<bool> = {
        let mut v = vec![false; order.len()];
        for i in 0..order.len() {
            v[i] = order.get(i + 1).is_some_and(|(_, next)| next.len() > order[i].1.len());
        }
        v
    };
    for (at, (row, lasts)) in order.iter().enumerate() {
        let ns = &rows[*row];
        let cells: Vec<Vec<String>> = layout
            .columns
            .iter()
            .map(|&c| {
                let cell = c.cell(ns).unwrap_or_default().replace('\n', join);
                cell.split('\n').map(str::to_string).collect::<Vec<String>>()
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            table.push(
                layout
                    .columns
                    .iter()
                    .zip(&cells)
                    .map(|(&c, lines)| {
                        let text = lines.get(line).cloned().unwrap_or_default();
                        let text = if Some(c) != tree_col {
                            text
                        } else if line == 0 {
                            tree_prefix(lasts) + &text
                        } else {
                            // A continuation line: the ancestors' bars, then this row's.
                            let mut prefix: String = lasts.iter().map(|&last| if last { "  " } else { "│ " }).collect();
                            if has_children[at] {
                                prefix.push_str("│ ");
                            }
                            prefix + &text
                        };
                        if layout.format == Format::Raw { raw_escape(&text) } else { text }
                    })
                    .collect(),
            );
        }
    }
    let mut out = String::new();
    if layout.format == Format::Raw {
        for line in table {
            out.push_str(&line.join(" "));
            out.push('\n');
        }
        return out;
    }
    let width = |s: &str| console::measure_text_width(s);
    // libsmartcols (2.38 to 2.41): the widest cell; at least the heading's
    // width (also without headings); a column as wide as its heading or wider
    // but narrower than its hint gets the hint.
    let widths: Vec<usize> = (0..layout.columns.len())
        .map(|i| {
            let min = width(layout.columns[i].name());
            let data = table.iter().skip(usize::from(layout.headings)).map(|r| width(&r[i])).max().unwrap_or(0);
            let hint = layout.columns[i].width_hint();
            if data < min {
                min
            } else if data < hint && min < hint {
                hint
            } else {
                data
            }
        })
        .collect();
    for line in table {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let pad = widths[i] - width(cell);
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
        // libsmartcols pads every cell but the last, even an empty one.
        out.push_str(&text);
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

fn json_row(ns: &Namespace, layout: &Layout, nowrap: bool) -> Vec<(String, serde_json::Value)> {
    let mut obj = Vec::new();
    for &c in &layout.columns {
        let value = match c.cell(ns) {
            None => serde_json::Value::Null,
            Some(text) if c.json_number() => text.parse::<u64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(text)),
            Some(text) if nowrap => serde_json::Value::String(text.replace('\n', ",")),
            Some(text) => serde_json::Value::String(text),
        };
        obj.push((c.name().to_ascii_lowercase(), value));
    }
    obj
}

/// libsmartcols's JSON: three-space indents, siblings joined by `},{`.
fn render_json(rows: &[Namespace], layout: &Layout, nowrap: bool) -> String {
    let parents = match layout.tree {
        Some(tree) => parents(rows, tree),
        None => vec![None; rows.len()],
    };
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (i, p) in parents.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    fn object(out: &mut String, i: usize, depth: usize, rows: &[Namespace], children: &[Vec<usize>], layout: &Layout, nowrap: bool) {
        let pad = "   ".repeat(depth + 1);
        let fields = json_row(&rows[i], layout, nowrap);
        let n = fields.len();
        for (k, (name, value)) in fields.into_iter().enumerate() {
            let comma = if k + 1 < n || !children[i].is_empty() { "," } else { "" };
            let _ = writeln!(out, "{pad}\"{name}\": {value}{comma}");
        }
        if !children[i].is_empty() {
            let _ = writeln!(out, "{pad}\"children\": [");
            list(out, &children[i], depth + 1, rows, children, layout, nowrap);
            let _ = writeln!(out, "{pad}]");
        }
    }
    fn list(out: &mut String, items: &[usize], depth: usize, rows: &[Namespace], children: &[Vec<usize>], layout: &Layout, nowrap: bool) {
        let pad = "   ".repeat(depth + 1);
        if items.is_empty() {
            out.push('\n');
            return;
        }
        for (k, &i) in items.iter().enumerate() {
            if k == 0 {
                let _ = writeln!(out, "{pad}{{");
            }
            object(out, i, depth + 1, rows, children, layout, nowrap);
            if k + 1 < items.len() {
                let _ = writeln!(out, "{pad}}},{{");
            } else {
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }
    let roots: Vec<usize> = (0..rows.len()).filter(|&i| parents[i].is_none()).collect();
    let mut out = String::from("{\n   \"namespaces\": [\n");
    list(&mut out, &roots, 1, rows, &children, layout, nowrap);
    out.push_str("   ]\n}\n");
    out
}

/// `-Q EXPR`: a row filter in libsmartcols's expression language, a subset:
/// column names, numbers, 'strings' and "strings", `true`/`false`, the
/// comparisons `==` `!=` `<` `<=` `>` `>=` (and `eq ne lt le gt ge`), `=~` and
/// `!~` (regular expressions), `&&`/`and`, `||`/`or`, `!`/`not`, parentheses.
/// A bare column is true when it has a value.
#[derive(Debug, Clone)]
pub enum Filter {
    /// A column's value.
    Column(Column),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// A comparison.
    Compare(Box<Filter>, Op, Box<Filter>),
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Not.
    Not(Box<Filter>),
}

/// A comparison operator of a filter.
#[derive(Debug, Clone)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=~`
    Match(Option<regex::Regex>),
    /// `!~`
    NoMatch(Option<regex::Regex>),
}

/// A filter that does not parse, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to parse filter expression at column {at}: {what}")]
pub struct FilterError {
    /// 1-based character position in the expression.
    pub at: usize,
    /// What is wrong.
    pub what: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(f64),
    Str(String),
    Sym(&'static str),
    LParen,
    RParen,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            out.push((at, if c == '(' { Tok::LParen } else { Tok::RParen }));
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(FilterError { at, what: "unterminated string".into() });
            }
            i += 1;
            out.push((at, Tok::Str(s)));
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if let Some(sym) = ["==", "!=", "<=", ">=", "=~", "!~", "&&", "||"].into_iter().find(|s| *s == two) {
            out.push((at, Tok::Sym(sym)));
            i += 2;
            continue;
        }
        if let Some(sym) = ["<", ">", "!"].into_iter().find(|s| s.starts_with(c)) {
            out.push((at, Tok::Sym(sym)));
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            let n = s.parse().map_err(|_| FilterError { at, what: format!("bad number '{s}'") })?;
            out.push((at, Tok::Num(n)));
            continue;
        }
        if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '%' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_-.%:".contains(chars[i])) {
                i += 1;
            }
            out.push((at, Tok::Word(chars[start..i].iter().collect())));
            continue;
        }
        return Err(FilterError { at, what: format!("unexpected '{c}'") });
    }
    Ok(out)
}

struct FilterParser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl FilterParser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }
    fn word_is(&self, words: &[&str]) -> bool {
        match self.peek() {
            Some(Tok::Word(w)) => words.iter().any(|x| w.eq_ignore_ascii_case(x)),
            Some(Tok::Sym(s)) => words.contains(s),
            _ => false,
        }
    }
    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.word_is(&["||", "or"]) {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.not()?;
        while self.word_is(&["&&", "and"]) {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Filter, FilterError> {
        if self.word_is(&["!", "not"]) {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.not()?)));
        }
        self.compare()
    }
    fn compare(&mut self) -> Result<Filter, FilterError> {
        let left = self.primary()?;
        let op = match self.peek() {
            Some(Tok::Sym("==")) => Op::Eq,
            Some(Tok::Sym("!=")) => Op::Ne,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=")) => Op::Ge,
            Some(Tok::Sym("=~")) => Op::Match(None),
            Some(Tok::Sym("!~")) => Op::NoMatch(None),
            Some(Tok::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "lt" => Op::Lt,
                "le" => Op::Le,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                _ => return Ok(left),
            },
            _ => return Ok(left),
        };
        self.pos += 1;
        let at = self.at();
        let right = self.primary()?;
        let op = match (op, &right) {
            (Op::Match(_), Filter::Text(re)) | (Op::NoMatch(_), Filter::Text(re)) => {
                let compiled = regex::Regex::new(re).map_err(|e| FilterError { at, what: e.to_string() })?;
                if matches!(self.toks[self.pos - 2].1, Tok::Sym("=~")) { Op::Match(Some(compiled)) } else { Op::NoMatch(Some(compiled)) }
            }
            (Op::Match(_) | Op::NoMatch(_), _) => return Err(FilterError { at, what: "a regular expression must be a string".into() }),
            (op, _) => op,
        };
        Ok(Filter::Compare(Box::new(left), op, Box::new(right)))
    }
    fn primary(&mut self) -> Result<Filter, FilterError> {
        let at = self.at();
        let tok = self.peek().cloned().ok_or(FilterError { at, what: "unexpected end of the expression".into() })?;
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(FilterError { at: self.at(), what: "missing ')'".into() });
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Num(n) => Ok(Filter::Number(n)),
            Tok::Str(s) => Ok(Filter::Text(s)),
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Ok(Filter::Bool(true)),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Ok(Filter::Bool(false)),
            Tok::Word(w) => w.parse::<Column>().map(Filter::Column).map_err(|_| FilterError { at, what: format!("unknown column '{w}'") }),
            other => Err(FilterError { at, what: format!("unexpected {other:?}") }),
        }
    }
}

/// A value while evaluating a filter.
enum Val {
    Null,
    Num(f64),
    Text(String),
    Bool(bool),
}

impl Filter {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let toks = tokenize(text)?;
        let mut p = FilterParser { toks, pos: 0, end: text.chars().count() + 1 };
        let f = p.or()?;
        if p.pos < p.toks.len() {
            return Err(FilterError { at: p.at(), what: "unexpected text after the expression".into() });
        }
        Ok(f)
    }

    /// The columns the expression reads.
    pub fn columns(&self, out: &mut Vec<Column>) {
        match self {
            Filter::Column(c) => out.push(*c),
            Filter::Compare(a, _, b) | Filter::And(a, b) | Filter::Or(a, b) => {
                a.columns(out);
                b.columns(out);
            }
            Filter::Not(a) => a.columns(out),
            _ => {}
        }
    }

    fn value(&self, ns: &Namespace, nowrap: bool) -> Val {
        match self {
            Filter::Column(c) => match c.cell(ns) {
                None => Val::Null,
                Some(t) if c.json_number() => t.parse().map(Val::Num).unwrap_or(Val::Text(t)),
                Some(t) => Val::Text(if nowrap { t.replace('\n', ",") } else { t }),
            },
            Filter::Number(n) => Val::Num(*n),
            Filter::Text(t) => Val::Text(t.clone()),
            Filter::Bool(b) => Val::Bool(*b),
            other => Val::Bool(other.matches_with(ns, nowrap)),
        }
    }

    /// Whether the row passes.
    pub fn matches(&self, ns: &Namespace) -> bool {
        self.matches_with(ns, false)
    }

    fn matches_with(&self, ns: &Namespace, nowrap: bool) -> bool {
        match self {
            Filter::And(a, b) => a.matches_with(ns, nowrap) && b.matches_with(ns, nowrap),
            Filter::Or(a, b) => a.matches_with(ns, nowrap) || b.matches_with(ns, nowrap),
            Filter::Not(a) => !a.matches_with(ns, nowrap),
            Filter::Compare(a, op, b) => {
                let (l, r) = (a.value(ns, nowrap), b.value(ns, nowrap));
                let ord = match (&l, &r) {
                    (Val::Null, _) | (_, Val::Null) => return matches!(op, Op::Ne) && !matches!((&l, &r), (Val::Null, Val::Null)),
                    (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
                    (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
                    (x, y) => Some(text_of(x).cmp(&text_of(y))),
                };
                match op {
                    Op::Eq => ord == Some(std::cmp::Ordering::Equal),
                    Op::Ne => ord != Some(std::cmp::Ordering::Equal),
                    Op::Lt => ord == Some(std::cmp::Ordering::Less),
                    Op::Le => matches!(ord, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
                    Op::Gt => ord == Some(std::cmp::Ordering::Greater),
                    Op::Ge => matches!(ord, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
                    Op::Match(re) => re.as_ref().is_some_and(|re| re.is_match(&text_of(&l))),
                    Op::NoMatch(re) => re.as_ref().is_some_and(|re| !re.is_match(&text_of(&l))),
                }
            }
            other => match other.value(ns, nowrap) {
                Val::Null => false,
                Val::Bool(b) => b,
                Val::Num(n) => n != 0.0,
                Val::Text(t) => !t.is_empty(),
            },
        }
    }
}

fn text_of(v: &Val) -> String {
    match v {
        Val::Null => String::new(),
        Val::Num(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        Val::Num(n) => n.to_string(),
        Val::Text(t) => t.clone(),
        Val::Bool(b) => b.to_string(),
    }
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
            held_by_socket: None,
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
        assert_eq!(render(&rows, &layout), "1          user\n└─3        user\n  └─2      net\n", "NS is ten wide, as libsmartcols's hint says");
        rows[0].ons = 2;
        let p = parents(&rows, Tree::Owner);
        assert!(p.iter().any(|x| x.is_none()), "a cycle is broken: {p:?}");
    }

    #[test]
    fn filters_parse_and_match() {
        let mut row = ns(4026531836, NsKind::Pid, Some(1), None);
        row.nprocs = 3;
        let yes = |e: &str| Filter::parse(e).unwrap().matches(&row);
        assert!(yes("NS == 4026531836 && NPROCS == 3"));
        assert!(yes("TYPE == 'pid' and not (NPROCS < 2)"));
        assert!(yes("type eq \"pid\" || NS == 1"));
        assert!(yes("COMMAND =~ '^cmd'"));
        assert!(!yes("COMMAND !~ 'cmd'"));
        assert!(!yes("NETNSID == '7'"), "an empty cell equals nothing");
        assert!(yes("NETNSID != '7'"));
        assert!(yes("PID"), "a column with a value is true");
        assert!(!yes("NSFS"));
        let err = Filter::parse("NS == ").unwrap_err();
        assert_eq!(err.at, 7);
        assert!(Filter::parse("COLOUR == 1").unwrap_err().what.contains("COLOUR"));
        assert!(Filter::parse("(NS == 1").is_err());
        assert!(Filter::parse("NS =~ 5").is_err());
    }

    #[test]
    fn parent_tree_orders_rows_after_their_owner() {
        // Inode order: mnt 1, user 2 (owns both), pid 3 (child of pid 4), pid 4.
        let mut rows =
            vec![ns(1, NsKind::Mnt, Some(1), None), ns(2, NsKind::User, Some(1), None), ns(3, NsKind::Pid, Some(5), None), ns(4, NsKind::Pid, Some(1), None)];
        for r in &mut rows {
            r.ons = 2;
        }
        rows[1].ons = 0;
        rows[2].pns = 4;
        assert_eq!(tree_order(&rows, Tree::Parent), vec![1, 0, 3, 2]);
        assert_eq!(parents(&rows, Tree::Parent), vec![None, None, Some(3), None]);
        assert_eq!(tree_order(&rows, Tree::Owner), vec![1, 0, 2, 3]);
    }

    #[test]
    fn empty_listings_print_like_libsmartcols() {
        let layout = Layout { columns: Column::defaults(false), format: Format::Table, tree: None, headings: true };
        assert_eq!(render(&[], &layout), "");
        assert_eq!(render(&[], &Layout { format: Format::Json, ..layout }), "{\n   \"namespaces\": [\n\n   ]\n}\n");
    }

    #[test]
    fn raw_escapes_like_libsmartcols() {
        let rows = vec![ns(7, NsKind::Uts, Some(3), None)];
        let layout = Layout { columns: vec![Column::Ns, Column::Command], format: Format::Raw, tree: None, headings: false };
        assert_eq!(render(&rows, &layout), "7 cmd\\x203\n");
    }
}
