//! The programs a lesson's commands call (`ip`, `ping`, `ipcmk`, `setpriv` …),
//! found by reading the shell text of its steps, exercise solutions and
//! probes; which of them this machine lacks; and the package that provides
//! each on Debian/Ubuntu and on Fedora.
//!
//! The reading is a small shell word splitter: quotes, `;` `&&` `||` `|`,
//! subshells, `$(…)` and backticks (also inside double quotes), `sh -c '…'`,
//! and wrappers that run a command (`nsenter -t 1 -n CMD`, `timeout 5 CMD`,
//! `ip netns exec NAME CMD`). It finds what a lesson plainly calls; a program
//! named only through a variable is not found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Action, Lesson};

/// Where a program is needed: the step ids that call it.
pub type Uses = BTreeMap<String, Vec<String>>;

/// Every program `lesson` calls, with the steps that call it.
pub fn programs(lesson: &Lesson) -> Uses {
    calls(lesson, |_| true)
}

/// The programs `lesson` needs: those called by a step whose verdict
/// depends on its command working — one that expects its output, or a
/// status other than "nonzero" — and by exercises (their solution and probe
/// must work). A step that only checks namespaces, or expects a failure,
/// runs the same whether the program is there or not; a program a step
/// names in `needs:` does not block the lesson, only that step (skipped).
pub fn needed(lesson: &Lesson) -> Uses {
    use super::{Expectation, ExpectedStatus};
    let mut uses = calls(lesson, |step| {
        step.exercise.is_some()
            || step.expectations.iter().any(|e| match &e.value {
                Expectation::Output { .. } => true,
                Expectation::Status { status } => *status != ExpectedStatus::Nonzero,
                _ => false,
            })
    });
    for step in lesson.steps.iter().filter(|s| !s.needs.is_empty()) {
        for program in &step.needs {
            if let Some(steps) = uses.get_mut(program) {
                steps.retain(|s| s != &step.id);
            }
        }
    }
    uses.retain(|_, steps| !steps.is_empty());
    uses
}

/// True when `command` is a shell reading its script from stdin (`sh`,
/// `sh -e`, `bash -eu` …: a shell with options only).
fn reads_script(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let shell = words.next().map(|w| w.rsplit('/').next().unwrap_or(w));
    matches!(shell, Some("sh" | "bash" | "dash" | "zsh")) && words.all(|w| w.starts_with('-') && w != "-c")
}

fn calls(lesson: &Lesson, counts: impl Fn(&super::Step) -> bool) -> Uses {
    let mut uses = Uses::new();
    for step in lesson.steps.iter().filter(|s| counts(s)) {
        let mut texts: Vec<&str> = Vec::new();
        if let Action::Run { command, .. } | Action::Unshare { command, .. } = &step.action.value {
            texts.push(command);
            // `run: sh -e` with a `stdin:` script: the script is the commands.
            if let Some(script) = step.stdin.as_deref().filter(|_| reads_script(command)) {
                texts.push(script);
            }
        }
        if let Some(ex) = &step.exercise {
            texts.push(&ex.solution);
            texts.extend(ex.probe.as_deref());
        }
        for text in texts {
            for program in command_programs(text) {
                let steps = uses.entry(program).or_default();
                if !steps.contains(&step.id) {
                    steps.push(step.id.clone());
                }
            }
        }
    }
    uses
}

/// The programs one shell command line calls, without repeats.
pub fn command_programs(command: &str) -> Vec<String> {
    static FUNCTION: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*\)").expect("a fixed pattern"));
    let mut found = Vec::new();
    scan(command, &mut found, 0);
    // Shell functions the line defines (`ino() { stat …; }`) are no programs.
    let functions: Vec<&str> = FUNCTION.captures_iter(command).filter_map(|c| c.get(1)).map(|m| m.as_str()).collect();
    found.retain(|p| !functions.contains(&p.as_str()));
    found
}

/// Shell words after which the command's program follows.
const KEYWORDS: &[&str] = &["if", "then", "else", "elif", "while", "until", "do", "time", "!", "{", "}", "exec", "command", "fi", "done", "esac", "[["];

/// Builtins of `sh` (and nslab's own `check`): not programs to install.
const BUILTINS: &[&str] = &[
    "echo", "printf", "test", "[", "cd", "pwd", "read", "exit", "return", "export", "set", "unset", "true", "false", "kill", "wait", "trap", "eval", "source",
    ".", ":", "shift", "local", "break", "continue", "ulimit", "umask", "alias", "type", "hash", "getopts", "times", "let", "declare", "readonly", "jobs",
    "fg", "bg", "check", "in", "function",
];

/// Programs that run another program given after their options.
fn wrapper_args(program: &str, option: &str) -> Option<bool> {
    // Some(true): this option takes a separate argument.
    let takes = match program {
        "sudo" => matches!(option, "-u" | "-g" | "-C" | "-D"),
        "env" => matches!(option, "-u" | "-C" | "-S"),
        "nice" => matches!(option, "-n"),
        "nsenter" => matches!(option, "-t" | "--target" | "-S" | "-G" | "--setuid" | "--setgid" | "--wd" | "-w" | "-r" | "--root"),
        "unshare" => matches!(
            option,
            "-S" | "--setuid"
                | "-G"
                | "--setgid"
                | "--propagation"
                | "--setgroups"
                | "--map-user"
                | "--map-group"
                | "--map-users"
                | "--map-groups"
                | "-R"
                | "--root"
                | "-w"
                | "--wd"
                | "--monotonic"
                | "--boottime"
        ),
        "setpriv" => matches!(
            option,
            "--reuid"
                | "--regid"
                | "--ruid"
                | "--rgid"
                | "--euid"
                | "--egid"
                | "--groups"
                | "--inh-caps"
                | "--ambient-caps"
                | "--bounding-set"
                | "--securebits"
                | "--pdeathsig"
        ),
        "timeout" => matches!(option, "-s" | "--signal" | "-k" | "--kill-after"),
        "ionice" => matches!(option, "-c" | "-n" | "-p"),
        "xargs" => matches!(option, "-n" | "-I" | "-P" | "-d" | "-L" | "-s" | "-a" | "-E"),
        "stdbuf" | "setsid" | "nohup" | "chroot" | "chrt" | "taskset" | "prlimit" | "capsh" | "runuser" | "busybox" => false,
        _ => return None,
    };
    Some(takes)
}

/// Operands a wrapper takes before its program: `timeout 5 CMD`, `chroot DIR CMD`.
fn leading_operands(program: &str) -> usize {
    usize::from(matches!(program, "timeout" | "chroot" | "chrt" | "taskset"))
}

fn is_program_name(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or("");
    !name.is_empty()
        && (word == name || word.starts_with('/'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
}

fn scan(text: &str, found: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    for words in simple_commands(text, found, depth) {
        programs_of(&words, found, depth);
    }
}

/// The programs of one simple command: after assignments, keywords and
/// redirections, the first word; then, for a wrapper, the program it runs.
fn programs_of(words: &[String], found: &mut Vec<String>, depth: usize) {
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        // A redirection: `>file`, `2>&1`, or `>` and its target.
        if let Some(rest) = w.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix(['<', '>']) {
            let rest = rest.trim_start_matches(['<', '>', '&', '|']);
            i += if rest.is_empty() && !w.ends_with('&') { 2 } else { 1 };
            continue;
        }
        if matches!(w, "for" | "case" | "select") {
            return;
        }
        if KEYWORDS.contains(&w) || (w.contains('=') && !w.starts_with(['-', '='])) {
            i += 1;
            continue;
        }
        if BUILTINS.contains(&w) {
            return;
        }
        if !is_program_name(w) {
            return;
        }
        let name = w.rsplit('/').next().unwrap_or(w).to_string();
        if !found.contains(&name) {
            found.push(name.clone());
        }
        let args = &words[i + 1..];
        // `sh -c 'SCRIPT'`: the script's programs.
        if matches!(name.as_str(), "sh" | "bash" | "dash" | "zsh") {
            if let Some(at) = args.iter().position(|a| a == "-c")
                && let Some(script) = args.get(at + 1)
            {
                scan(script, found, depth + 1);
            }
            return;
        }
        // `ip netns exec NAME CMD`.
        if name == "ip" && args.len() > 3 && args[0] == "netns" && args[1] == "exec" {
            i += 4;
            continue;
        }
        let Some(_) = wrapper_args(&name, "") else { return };
        i += 1;
        while i < words.len() && words[i].starts_with('-') {
            let opt = words[i].as_str();
            i += 1;
            if opt == "--" {
                break;
            }
            if wrapper_args(&name, opt) == Some(true) {
                i += 1;
            }
        }
        i += leading_operands(&name);
    }
}

/// Splits `text` into simple commands (lists of words, quotes removed),
/// scanning `$(…)` and backtick substitutions as commands of their own.
fn simple_commands(text: &str, found: &mut Vec<String>, depth: usize) -> Vec<Vec<String>> {
    let chars: Vec<char> = text.chars().collect();
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                if let Some(&n) = chars.get(i + 1) {
                    word.push(n);
                    in_word = true;
                }
                i += 2;
                continue;
            }
            '\'' => {
                let close = chars[i + 1..].iter().position(|&c| c == '\'').map_or(chars.len(), |p| i + 1 + p);
                word.extend(&chars[i + 1..close.min(chars.len())]);
                in_word = true;
                i = close + 1;
                continue;
            }
            '"' => {
                i += 1;
                in_word = true;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        word.push(chars[i + 1]);
                        i += 2;
                    } else if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                        i = substitution(&chars, i + 2, found, depth);
                        word.push_str("$(…)");
                    } else if chars[i] == '`' {
                        i = backticks(&chars, i + 1, found, depth);
                        word.push_str("`…`");
                    } else {
                        word.push(chars[i]);
                        i += 1;
                    }
                }
                i += 1;
                continue;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                i = substitution(&chars, i + 2, found, depth);
                word.push_str("$(…)");
                in_word = true;
                continue;
            }
            '`' => {
                i = backticks(&chars, i + 1, found, depth);
                word.push_str("`…`");
                in_word = true;
                continue;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ';' | '&' | '|' | '\n' | '(' | ')' => {
                // `>&2` and `2>&1` are redirections, not a background `&`.
                if c == '&' && (word.ends_with('>') || word.ends_with('<')) {
                    word.push(c);
                    i += 1;
                    continue;
                }
                end_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => end_word(&mut words, &mut word, &mut in_word),
            c => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// Scans the `$(…)` starting at `start` (after the parenthesis); returns
/// the index after its closing parenthesis. `$((…))` is arithmetic.
fn substitution(chars: &[char], start: usize, found: &mut Vec<String>, depth: usize) -> usize {
    let mut level = 1;
    let mut i = start;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        match (quote, chars[i]) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(chars[i]),
            (None, '(') => level += 1,
            (None, ')') => {
                level -= 1;
                if level == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let inner: String = chars[start..i.min(chars.len())].iter().collect();
    if !inner.starts_with('(') {
        scan(&inner, found, depth + 1);
    }
    i + 1
}

/// Scans the backtick substitution starting at `start`; returns the index after it.
fn backticks(chars: &[char], start: usize, found: &mut Vec<String>, depth: usize) -> usize {
    let close = chars[start..].iter().position(|&c| c == '`').map_or(chars.len(), |p| start + p);
    let inner: String = chars[start..close].iter().collect();
    scan(&inner, found, depth + 1);
    close + 1
}

/// The package providing `program`: (Debian/Ubuntu, Fedora); `None` when
/// nslab does not know it.
pub fn package(program: &str) -> Option<(&'static str, &'static str)> {
    Some(match program {
        "ip" | "ss" | "bridge" | "tc" | "nstat" => ("iproute2", "iproute"),
        "ping" | "tracepath" => ("iputils-ping", "iputils"),
        "ps" | "pgrep" | "pkill" | "top" | "free" | "pidof" | "sysctl" | "watch" => ("procps", "procps-ng"),
        "lsns" | "unshare" | "nsenter" | "setpriv" | "findmnt" | "ipcmk" | "ipcs" | "ipcrm" | "prlimit" | "chrt" | "ionice" | "taskset" | "setsid"
        | "flock" | "runuser" | "lsblk" | "choom" | "uuidgen" | "script" | "pivot_root" => ("util-linux", "util-linux"),
        "mount" | "umount" | "losetup" | "swapon" => ("mount", "util-linux"),
        "hostname" | "domainname" | "nisdomainname" => ("hostname", "hostname"),
        "grep" | "egrep" | "fgrep" => ("grep", "grep"),
        "sed" => ("sed", "sed"),
        "awk" | "gawk" => ("gawk", "gawk"),
        "find" | "xargs" => ("findutils", "findutils"),
        "capsh" | "getpcaps" | "setcap" | "getcap" => ("libcap2-bin", "libcap"),
        "newuidmap" | "newgidmap" => ("uidmap", "shadow-utils"),
        "nc" => ("netcat-openbsd", "nmap-ncat"),
        "busybox" => ("busybox", "busybox"),
        "python3" => ("python3", "python3"),
        "strace" => ("strace", "strace"),
        "iptables" => ("iptables", "iptables-nft"),
        "nft" => ("nftables", "nftables"),
        "getent" | "ldd" => ("libc-bin", "glibc-common"),
        "sh" | "dash" => ("dash", "bash"),
        "bash" => ("bash", "bash"),
        "cat" | "cut" | "tr" | "stat" | "readlink" | "ls" | "mkdir" | "rmdir" | "sleep" | "head" | "tail" | "sort" | "uniq" | "wc" | "id" | "touch" | "rm"
        | "ln" | "tee" | "basename" | "dirname" | "env" | "nice" | "nohup" | "timeout" | "stdbuf" | "chroot" | "realpath" | "seq" | "date" | "mknod"
        | "mkfifo" | "nproc" | "uname" | "whoami" | "df" | "du" | "cp" | "mv" | "chmod" | "chown" | "sync" | "yes" | "printenv" | "expr" | "od" | "base64"
        | "md5sum" | "sha256sum" | "truncate" | "dd" | "install" | "logname" | "groups" | "mktemp" | "tac" | "nl" | "paste" | "join" | "comm" | "fold"
        | "fmt" | "pr" | "split" | "csplit" | "shuf" | "factor" | "numfmt" | "users" | "who" | "pinky" | "hostid" | "arch" | "tty" | "stty" | "true"
        | "false" | "printf" | "echo" | "test" | "kill" | "pwd" => ("coreutils", "coreutils"),
        _ => return None,
    })
}

/// The folders searched for programs: `$PATH` plus the usual system folders
/// (an ordinary user's PATH often lacks `/usr/sbin`, where `ip` lives).
pub fn search_path(path_var: Option<&str>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = path_var.unwrap_or("").split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect();
    for d in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        if !dirs.iter().any(|x| x == Path::new(d)) {
            dirs.push(PathBuf::from(d));
        }
    }
    dirs
}

/// Where `program` is found in `dirs`: an executable file.
pub fn locate(program: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.starts_with('/') {
        return std::fs::metadata(program).ok().filter(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).map(|_| PathBuf::from(program));
    }
    dirs.iter().map(|d| d.join(program)).find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// A program a lesson needs that is not installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingTool {
    /// The program.
    pub program: String,
    /// The steps that call it.
    pub steps: Vec<String>,
    /// Its package on Debian/Ubuntu and on Fedora, when known.
    pub package: Option<(&'static str, &'static str)>,
}

impl MissingTool {
    /// "ping (Debian/Ubuntu: apt install iputils-ping; Fedora: dnf install iputils)".
    pub fn describe(&self) -> String {
        match self.package {
            Some((deb, rpm)) => format!("{} (Debian/Ubuntu: apt install {deb}; Fedora: dnf install {rpm})", self.program),
            None => crate::t!("tool-no-package", program = self.program.as_str()),
        }
    }
}

/// The programs `lesson` needs (see [`needed`]) that are not found in `dirs`.
pub fn missing(lesson: &Lesson, dirs: &[PathBuf]) -> Vec<MissingTool> {
    needed(lesson)
        .into_iter()
        .filter(|(p, _)| locate(p, dirs).is_none())
        .map(|(program, steps)| MissingTool { package: package(&program), program, steps })
        .collect()
}

/// Why `lesson` cannot run here for want of programs, if so: each missing
/// program with the steps that need it and the package to install.
pub fn missing_reason(lesson: &Lesson) -> Option<String> {
    let dirs = search_path(std::env::var("PATH").ok().as_deref());
    let missing = missing(lesson, &dirs);
    if missing.is_empty() {
        return None;
    }
    let list: Vec<String> = missing.iter().map(|m| crate::t!("tool-needed-by", tool = m.describe(), steps = m.steps.join(", "))).collect();
    Some(crate::t!("tools-lacking", list = list.join("; ")))
}

/// One program the lessons call, as `nslab doctor` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolStatus {
    /// The program.
    pub program: String,
    /// Where it was found; `None` when missing.
    pub path: Option<PathBuf>,
    /// Its package on Debian/Ubuntu, when known.
    pub debian: Option<&'static str>,
    /// Its package on Fedora, when known.
    pub fedora: Option<&'static str>,
    /// The lessons that call it.
    pub lessons: Vec<String>,
}

/// Every program `lessons` call, present or missing, in name order.
pub fn inventory(lessons: &[Lesson], dirs: &[PathBuf]) -> Vec<ToolStatus> {
    let mut by_program: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for lesson in lessons {
        for program in programs(lesson).into_keys() {
            by_program.entry(program).or_default().push(lesson.meta.id.clone());
        }
    }
    by_program
        .into_iter()
        .map(|(program, lessons)| {
            let pkg = package(&program);
            ToolStatus { path: locate(&program, dirs), debian: pkg.map(|p| p.0), fedora: pkg.map(|p| p.1), program, lessons }
        })
        .collect()
}

/// The inventory as a table for people: program, present or MISSING, the
/// packages, the lessons; then the one command installing what is missing.
pub fn render_inventory(tools: &[ToolStatus], color: bool) -> String {
    use std::fmt::Write as _;
    let paint = |text: String, s: console::Style| s.force_styling(color).apply_to(text).to_string();
    let mut out = String::new();
    if tools.is_empty() {
        return out;
    }
    use crate::i18n::{pad, width as cols};
    // Padded by display width: the words may be Chinese.
    let w = tools.iter().map(|t| t.program.len()).max().unwrap_or(0).max(7).max(cols(&crate::t!("tools-programs")).saturating_sub(2));
    let pw = tools.iter().map(|t| t.debian.unwrap_or("?").len() + t.fedora.unwrap_or("?").len() + 3).max().unwrap_or(0);
    let (present, missing_word) = (crate::t!("tools-present"), crate::t!("tools-missing"));
    let hw = [crate::t!("tools-here"), present.clone(), missing_word.clone()].iter().map(|x| cols(x)).max().unwrap_or(8).max(8);
    let head = format!(
        "{}  {}  {}  {}",
        pad(&crate::t!("tools-programs"), w + 2),
        pad(&crate::t!("tools-here"), hw),
        pad("Debian/Ubuntu / Fedora", pw),
        crate::t!("tools-lessons")
    );
    let _ = writeln!(out, "\n{}", paint(head, console::Style::new().bold()));
    for t in tools {
        let here =
            if t.path.is_some() { paint(pad(&present, hw), console::Style::new().green()) } else { paint(pad(&missing_word, hw), console::Style::new().red()) };
        let pkgs = format!("{} / {}", t.debian.unwrap_or("?"), t.fedora.unwrap_or("?"));
        let _ = writeln!(out, "  {:<w$}  {here}  {pkgs:<pw$}  {}", t.program, t.lessons.join(" "));
    }
    let missing: Vec<&ToolStatus> = tools.iter().filter(|t| t.path.is_none()).collect();
    if !missing.is_empty() {
        let deb: Vec<&str> = missing.iter().filter_map(|t| t.debian).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let rpm: Vec<&str> = missing.iter().filter_map(|t| t.fedora).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let _ = writeln!(out, "\n  {}", crate::t!("tools-install"));
        if !deb.is_empty() {
            let _ = writeln!(out, "    Debian/Ubuntu: {}", paint(format!("sudo apt install {}", deb.join(" ")), console::Style::new().bold()));
            let _ = writeln!(out, "    Fedora:        {}", paint(format!("sudo dnf install {}", rpm.join(" ")), console::Style::new().bold()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_programs_of_a_command_line() {
        let cases: &[(&str, &[&str])] = &[
            ("lsns --noheadings --output TYPE | sort", &["lsns", "sort"]),
            ("ipcmk -Q && echo \"queues: $(ipcs -q | grep -c '^0x')\"", &["ipcmk", "ipcs", "grep"]),
            ("for k in cgroup ipc; do if [ \"$(readlink /proc/self/ns/$k)\" = x ]; then echo same; fi; done", &["readlink"]),
            ("nsenter -t $NSLAB_PID_BOX -n ip link", &["nsenter", "ip"]),
            ("unshare --ipc sh -c 'ipcmk -Q >/dev/null && check'", &["unshare", "sh", "ipcmk"]),
            ("timeout 5 ping -c 1 10.0.0.2 2>&1 >/dev/null", &["timeout", "ping"]),
            ("ip netns exec blue ping -c1 10.1.1.1", &["ip", "ping"]),
            ("X=1 setpriv --reuid=65534 --clear-groups id -u", &["setpriv", "id"]),
            ("echo `hostname` > out; cat out # a comment naming rm", &["hostname", "cat"]),
            ("echo $((1 + 2)); ps -o pid= -p $$", &["ps"]),
            ("$NSLAB_RUN_DIR/prog; ./local", &[]),
            ("ino() { stat -L -c %i /proc/$1/ns/user; }; [ \"$(ino 1)\" = 1 ]", &["stat"]),
        ];
        for (line, want) in cases {
            let mut got = command_programs(line);
            let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn missing_programs_name_their_package() {
        let text = "---\nid: t\ntitle: T\n---\n\n```nslab\nid: a\nrun: ping -c 1 127.0.0.1 && no-such-tool-xyz\nexpect: status 0\n```\n";
        let lesson = crate::lesson::parse_lesson(text, Path::new("t.md")).unwrap();
        let empty = tempfile::tempdir().unwrap();
        let m = missing(&lesson, &[empty.path().to_path_buf()]);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].describe(), "no-such-tool-xyz (install it with your distribution's package manager)");
        assert_eq!(m[1].describe(), "ping (Debian/Ubuntu: apt install iputils-ping; Fedora: dnf install iputils)");
        assert_eq!(m[1].steps, ["a"]);
        // A step that checks only namespaces, or expects a failure, runs all the same.
        let text = "---\nid: t\ntitle: T\n---\n\n```nslab\nid: a\nrun: modprobe dummy\nexpect: host uts same\n```\n\n```nslab\nid: b\nrun: insmod x\nexpect: status nonzero\n```\n";
        let lesson = crate::lesson::parse_lesson(text, Path::new("t.md")).unwrap();
        assert!(missing(&lesson, &[empty.path().to_path_buf()]).is_empty());
        assert_eq!(programs(&lesson).into_keys().collect::<Vec<_>>(), ["insmod", "modprobe"]);
    }
}
