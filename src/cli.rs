//! The command line: clap definitions only. No behaviour lives here.

use clap::{Args, Parser, Subcommand};

use crate::lsns::Tree;

/// Learn Linux namespaces by doing: runnable lessons that check the kernel
///
/// Each lesson step calls clone, setns or unshare, then nslab reads the namespaces back
/// from /proc and verifies what the lesson expects.
#[derive(Debug, Parser)]
#[command(name = "nslab", version, about, max_term_width = 100)]
#[command(after_help = "Examples:
  nslab                                 continue with the next unfinished lesson
  nslab run --yes lessons/              run every lesson straight through (CI, grading)
  nslab lsns -t net                     list network namespaces, with NSID and nsfs mounts
  nslab unshare -r -u hostname          a new uts namespace as an unprivileged user
  nslab nsenter -t 4242 -n ip link      a command in the net namespace of pid 4242")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run lessons step by step and verify what the kernel shows
    ///
    /// At a terminal nslab asks before each step (Enter runs it, ? shows the keys); with
    /// --yes it runs straight through, and without a terminal it needs --yes. LESSON may be
    /// a file, a folder or a built-in lesson's id (`nslab run uts`). Exit status: 0 when
    /// every expectation held, 1 when some failed (or the report could not be written), 2 for
    /// an invalid lesson or command line, 3 when a lesson cannot run on this machine, 128+N
    /// when signal N stopped it: 130 after Ctrl-C, 129 when the terminal went away, 143 on
    /// SIGTERM.
    Run(RunArgs),
    /// List the lessons with your progress
    List(ListArgs),
    /// Forget your progress (one lesson, or all)
    Reset(ResetArgs),
    /// Check lessons for mistakes, reported as file:line:col
    Check(CheckArgs),
    /// Write a new lesson with one working step
    New(NewArgs),
    /// List namespaces, like util-linux lsns
    ///
    /// Also lists namespaces held only by an nsfs bind mount (ip netns add, unshare
    /// --net=FILE) or only by an open file descriptor.
    Lsns(LsnsArgs),
    /// Run a program in new namespaces, like util-linux unshare
    Unshare(Box<UnshareArgs>),
    /// Run a program in the namespaces of a process or file, like nsenter
    Nsenter(Box<NsenterArgs>),
    /// Check what this machine lets lessons do, and which lessons will run here
    ///
    /// Tries, in throwaway children, every namespace kind with and without a user
    /// namespace, uid/gid maps, mounting /proc in a pid namespace, nsfs bind mounts and
    /// reading /proc/PID/ns; reads the settings that explain a failure; prints what works,
    /// what does not, why, and the one command that fixes it. Exit 0 when every lesson can
    /// run here, 3 when some cannot.
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, …)
    ///
    /// For example: nslab completions bash > ~/.local/share/bash-completion/completions/nslab
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (try: nslab man | man -l -)
    Man,
    /// Render lessons as book chapters (an mdBook preprocessor)
    ///
    /// In book.toml: [preprocessor.nslab] command = "nslab mdbook".
    Mdbook {
        /// `supports RENDERER`: exit 0 when nslab can preprocess for RENDERER.
        #[command(subcommand)]
        query: Option<MdbookQuery>,
    },
    /// Print lessons as parsed, in JSON (for tools and benchmarks).
    #[command(hide = true)]
    LessonJson {
        /// Lesson files or folders.
        paths: Vec<std::path::PathBuf>,
    },
    /// Serve the book with live steps: Run, Check and the namespace table in the page
    ///
    /// Builds the mdBook in BOOK_DIR (or serves BOOK_DIR as an already built book) on
    /// 127.0.0.1 only, and prints a URL with a random token: open it in a browser. Each
    /// lesson page gets a lab session of its own, torn down when the page is closed, on
    /// Reset, after the idle time-out, or when the server stops (Ctrl-C).
    Serve(ServeArgs),
    /// A lab session's worker for `nslab serve` (internal).
    #[command(hide = true)]
    ServeWorker {
        /// `builtin:ID` or a lesson file.
        source: String,
        /// The digest of the text the server checked: a file that changed
        /// since is refused.
        digest: Option<String>,
    },
    /// The init of a lesson's lab (internal).
    #[command(hide = true)]
    LabInit {
        /// What it stands for, shown in lsns's COMMAND column.
        #[arg(default_value = "host")]
        name: String,
    },
}

/// The question mdBook asks a preprocessor.
#[derive(Debug, Subcommand)]
pub enum MdbookQuery {
    /// Exit 0 when RENDERER is supported (html, markdown, linkcheck).
    Supports {
        /// The renderer's name.
        renderer: String,
    },
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The output format of `nslab run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Words and tables for people.
    Human,
    /// JSON Lines events for programs.
    Json,
}

/// `nslab run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Lesson files or folders (default: the built-in lessons, from the next unfinished one).
    #[arg(value_name = "LESSON|DIR")]
    pub paths: Vec<std::path::PathBuf>,
    /// Run straight through without asking (needed when there is no terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// With --yes: record the lessons run as your progress (without it, --yes leaves your progress alone).
    #[arg(long)]
    pub save_progress: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Stop at the first failed step.
    #[arg(long)]
    pub fail_fast: bool,
    /// Time limit of a step without its own, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub timeout: Seconds,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// Resume at step STEP, replaying the earlier steps quietly.
    #[arg(long, value_name = "STEP", value_parser = parse_step_id)]
    pub from: Option<String>,
    /// Rewrite the lesson's output expectations from what the commands printed.
    #[arg(long)]
    pub record: bool,
    /// Run the lab as namespaces only, without the sandbox (no user
    /// namespace as root, the machine's own files): steps can change your
    /// machine. For kernels where the sandbox cannot be had.
    #[arg(long)]
    pub no_sandbox: bool,
    /// The language of the lessons (their translations, where they have one) and of nslab's
    /// words: zh (Simplified Chinese) or en; by default from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

/// A positive time limit, given in seconds (`10`, `0.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub std::time::Duration);

fn parse_seconds(text: &str) -> Result<Seconds, String> {
    let secs: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds (e.g. 10 or 0.5)"))?;
    if secs.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(format!("{text}: a time limit must be more than 0 seconds"));
    }
    std::time::Duration::try_from_secs_f64(secs).map(Seconds).map_err(|_| format!("{text}: too long a time limit"))
}

/// A step id as lessons write them: lowercase letters, digits, `-` and `_`.
fn parse_step_id(text: &str) -> Result<String, String> {
    let ok = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok { Ok(text.to_string()) } else { Err(format!("`{text}` is not a step id (lowercase letters, digits, `-` and `_`)")) }
}

/// `nslab doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// JSON output, for scripts.
    #[arg(long)]
    pub json: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Lesson files or folders to judge (default: the built-in lessons).
    #[arg(value_name = "LESSON|DIR")]
    pub paths: Vec<std::path::PathBuf>,
    /// The language nslab speaks: zh (Simplified Chinese) or en; by default from LC_ALL,
    /// LC_MESSAGES or LANG. Untranslated messages stay English.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

/// `nslab list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Lesson files or folders (default: the built-in lessons).
    #[arg(value_name = "LESSON|DIR")]
    pub paths: Vec<std::path::PathBuf>,
    /// The language nslab speaks: zh (Simplified Chinese) or en; by default from LC_ALL,
    /// LC_MESSAGES or LANG. Untranslated messages stay English.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

/// `nslab reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The lesson to forget (default: all, after asking).
    pub lesson: Option<String>,
    /// Forget everything without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// `nslab check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Lesson files or folders.
    #[arg(value_name = "PATH", default_value = "lessons")]
    pub paths: Vec<std::path::PathBuf>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also prove every exercise fair: it fails with nothing done and passes with its solution.
    #[arg(long)]
    pub solutions: bool,
    /// The language nslab speaks: zh (Simplified Chinese) or en; by default from LC_ALL,
    /// LC_MESSAGES or LANG. Untranslated messages stay English.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

/// `nslab new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The lesson's id and file name, e.g. `uts-basics`.
    pub name: String,
    /// The folder to write it in.
    #[arg(long, default_value = "lessons")]
    pub dir: std::path::PathBuf,
    /// Also write its translation: zh writes DIR/zh/NAME.md, in Simplified Chinese.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

/// `nslab lsns`.
#[derive(Debug, Args)]
#[command(args_override_self = true, version)]
#[command(after_help = "Unlike util-linux lsns: PATH names the mount or descriptor that holds a namespace without a \
process; -Q knows comparisons, =~, and/or/not and parentheses; columns are never truncated. \
Usage errors exit 1, as util-linux's do. Every difference: the book's command reference.")]
pub struct LsnsArgs {
    /// Only namespaces of this type (cgroup, ipc, mnt, net, pid, time, user, uts); repeatable.
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only the namespaces process PID is in (nothing when PID is gone or unreadable).
    #[arg(short = 'p', long = "task", value_name = "PID", conflicts_with_all = ["persistent", "namespace"])]
    pub pid: Option<i32>,
    /// JSON output, in util-linux's schema.
    #[arg(short = 'J', long, conflicts_with = "raw")]
    pub json: bool,
    /// Columns to show (NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS,PNS,ONS); `+LIST` adds to the defaults.
    #[arg(short = 'o', long, value_name = "LIST")]
    pub output: Option<String>,
    /// Show every column.
    #[arg(long)]
    pub output_all: bool,
    /// Only namespaces without processes (held by a bind mount or a descriptor).
    #[arg(short = 'P', long)]
    pub persistent: bool,
    /// Only rows for which EXPR holds, e.g. 'TYPE == "net" && NPROCS > 1' (see the reference).
    #[arg(short = 'Q', long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// No heading line.
    #[arg(short = 'n', long)]
    pub noheadings: bool,
    /// Raw output: space-separated, unsafe characters escaped.
    #[arg(short = 'r', long)]
    pub raw: bool,
    /// A flat list instead of the process tree.
    #[arg(short = 'l', long, conflicts_with = "tree")]
    pub list: bool,
    /// Nest rows by parent process, owner user namespace (the default of a bare -T), or parent namespace.
    #[arg(short = 'T', long, value_name = "REL", num_args = 0..=1, require_equals = true, default_missing_value = "owner")]
    pub tree: Option<Tree>,
    /// Accepted for util-linux compatibility: nslab never truncates.
    #[arg(short = 'u', long)]
    pub notruncate: bool,
    /// Several NSFS mounts on one line, joined by commas (instead of one per line).
    #[arg(short = 'W', long)]
    pub nowrap: bool,
    /// List the columns and what they show.
    #[arg(short = 'H', long)]
    pub list_columns: bool,
    /// A namespace (inode number): list the processes in it.
    #[arg(value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

/// The per-kind flags of unshare: `-n` or `--net[=FILE]`.
#[derive(Debug, Args, Default)]
pub struct KindFlags {
    /// Mount namespace [=FILE: persist it there].
    #[arg(short = 'm', long = "mount", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub mount: Option<String>,
    /// UTS namespace (host name) [=FILE].
    #[arg(short = 'u', long = "uts", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub uts: Option<String>,
    /// IPC namespace [=FILE].
    #[arg(short = 'i', long = "ipc", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub ipc: Option<String>,
    /// Network namespace [=FILE].
    #[arg(short = 'n', long = "net", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    /// PID namespace [=FILE].
    #[arg(short = 'p', long = "pid", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub pid: Option<String>,
    /// User namespace [=FILE].
    #[arg(short = 'U', long = "user", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub user: Option<String>,
    /// Cgroup namespace [=FILE].
    #[arg(short = 'C', long = "cgroup", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub cgroup: Option<String>,
    /// Time namespace [=FILE].
    #[arg(short = 'T', long = "time", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub time: Option<String>,
}

/// `nslab unshare`.
#[derive(Debug, Args)]
#[command(args_override_self = true, version)]
#[command(after_help = "Unlike util-linux unshare: --net=FILE (and the other kinds) creates a missing FILE; \
--persist is nslab's own; --map-users writes maps directly when allowed; --mount-binfmt, --load-interp \
and --owner are not supported. Usage errors exit 1, as util-linux's do. Every difference: the book's command reference.")]
pub struct UnshareArgs {
    /// The namespaces to create.
    #[command(flatten)]
    pub kinds: KindFlags,
    /// Map your uid and gid to root in a new user namespace (implies -U).
    #[arg(short = 'r', long = "map-root-user")]
    pub map_root: bool,
    /// Map your uid and gid to themselves in a new user namespace (implies -U).
    #[arg(short = 'c', long = "map-current-user")]
    pub map_current: bool,
    /// Map your uid to UID (a number or a user name) in a new user namespace (implies -U).
    #[arg(long, value_name = "UID")]
    pub map_user: Option<String>,
    /// Map your gid to GID (a number or a group name) in a new user namespace (implies -U).
    #[arg(long, value_name = "GID")]
    pub map_group: Option<String>,
    /// Map COUNT uids from OUTER to INNER (INNER:OUTER:COUNT; util-linux 2.38's OUTER,INNER,COUNT too; `auto`) (implies -U).
    #[arg(long, value_name = "INNER:OUTER:COUNT")]
    pub map_users: Option<String>,
    /// Map COUNT gids from OUTER to INNER (INNER:OUTER:COUNT; OUTER,INNER,COUNT; `auto`) (implies -U).
    #[arg(long, value_name = "INNER:OUTER:COUNT")]
    pub map_groups: Option<String>,
    /// Map your user and group to root, then your first ranges of /etc/subuid and /etc/subgid from 1 (implies -U).
    #[arg(long)]
    pub map_auto: bool,
    /// Map the first ranges of /etc/subuid and /etc/subgid to 0 in the new user namespace (implies -U).
    #[arg(long)]
    pub map_subids: bool,
    /// Let the new user namespace's processes call setgroups(2), or deny it (allow|deny).
    #[arg(long, value_name = "allow|deny")]
    pub setgroups: Option<String>,
    /// Keep the capabilities of the new user namespace across exec, as ambient ones.
    #[arg(long)]
    pub keep_caps: bool,
    /// Fork: run the program as a child that is inside the new pid and time namespaces.
    #[arg(short = 'f', long)]
    pub fork: bool,
    /// Mount a fresh /proc (on DIR, default /proc) (implies -m; use with -p -f).
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "/proc")]
    pub mount_proc: Option<String>,
    /// The propagation of every mount in the new mount namespace: slave|shared|private|unchanged (default private).
    #[arg(long, value_name = "slave|shared|private|unchanged")]
    pub propagation: Option<String>,
    /// Run the program with DIR as its root directory.
    #[arg(short = 'R', long, value_name = "DIR")]
    pub root: Option<std::path::PathBuf>,
    /// Run the program in directory DIR.
    #[arg(short = 'w', long = "wd", value_name = "DIR")]
    pub wd: Option<std::path::PathBuf>,
    /// Run the program as UID in the new namespaces.
    #[arg(short = 'S', long, value_name = "UID")]
    pub setuid: Option<String>,
    /// Run the program as GID in the new namespaces (and with no supplementary groups).
    #[arg(short = 'G', long, value_name = "GID")]
    pub setgid: Option<String>,
    /// Kill the program with SIGNAL (default SIGKILL) when nslab dies (implies -f).
    #[arg(long, value_name = "SIGNAL", num_args = 0..=1, require_equals = true, default_missing_value = "KILL")]
    pub kill_child: Option<String>,
    /// Forward SIGTERM and SIGINT to the program (implies -f).
    #[arg(long)]
    pub forward_signals: bool,
    /// Start the program with an empty environment.
    #[arg(long)]
    pub clear_env: bool,
    /// Start the program with only these variables of the environment (comma-separated).
    #[arg(long, value_name = "LIST")]
    pub whitelist_env: Option<String>,
    /// Keep a new namespace alive by bind-mounting it onto PATH, e.g. net=/run/mynet (repeatable).
    #[arg(long, value_name = "KIND=PATH")]
    pub persist: Vec<String>,
    /// Offset of CLOCK_MONOTONIC in the new time namespace, in seconds (implies -T).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub monotonic: Option<i64>,
    /// Offset of CLOCK_BOOTTIME in the new time namespace, in seconds (implies -T).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub boottime: Option<i64>,
    /// The program and its arguments (default: $SHELL); `--` before it is optional.
    #[arg(value_name = "PROGRAM", trailing_var_arg = true)]
    pub command: Vec<String>,
}

/// The per-kind flags of nsenter: `-n`, `-nFILE` or `--net[=FILE]`.
#[derive(Debug, Args, Default)]
pub struct EnterFlags {
    /// Mount namespace [=FILE: the namespace behind FILE].
    #[arg(short = 'm', long = "mount", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub mount: Option<String>,
    /// UTS namespace (host name) [=FILE].
    #[arg(short = 'u', long = "uts", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub uts: Option<String>,
    /// IPC namespace [=FILE].
    #[arg(short = 'i', long = "ipc", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub ipc: Option<String>,
    /// Network namespace [=FILE].
    #[arg(short = 'n', long = "net", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub net: Option<String>,
    /// PID namespace [=FILE].
    #[arg(short = 'p', long = "pid", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub pid: Option<String>,
    /// User namespace [=FILE].
    #[arg(short = 'U', long = "user", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub user: Option<String>,
    /// Cgroup namespace [=FILE].
    #[arg(short = 'C', long = "cgroup", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub cgroup: Option<String>,
    /// Time namespace [=FILE].
    #[arg(short = 'T', long = "time", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub time: Option<String>,
}

/// `nslab nsenter`.
#[derive(Debug, Args)]
#[command(args_override_self = true, version)]
#[command(after_help = "Unlike util-linux nsenter: the program always runs as a new process (-F is accepted); \
-Z, --user-parent and =:NSID are not supported. As with util-linux, -mu means --mount=u: write -m -u. \
Usage errors exit 1, as util-linux's do. Every difference: the book's command reference.")]
pub struct NsenterArgs {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long, value_name = "PID")]
    pub target: Option<i32>,
    /// Enter every namespace of the target (but your own user namespace).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The namespaces to enter; `--net=FILE` (or `-nFILE`) enters the namespace behind FILE.
    #[command(flatten)]
    pub kinds: EnterFlags,
    /// Enter the network namespace of the target's socket descriptor FD (needs -t).
    #[arg(short = 'N', long, value_name = "FD")]
    pub net_socket: Option<i32>,
    /// Run as UID in the entered namespaces (`follow`: the target's uid).
    #[arg(short = 'S', long, value_name = "UID")]
    pub setuid: Option<String>,
    /// Run as GID in the entered namespaces (`follow`: the target's gid).
    #[arg(short = 'G', long, value_name = "GID")]
    pub setgid: Option<String>,
    /// Keep your uid, gid and groups when entering a user namespace (default: become 0 there).
    #[arg(long)]
    pub preserve_credentials: bool,
    /// Keep the capabilities of the entered user namespace across exec, as ambient ones.
    #[arg(long)]
    pub keep_caps: bool,
    /// Set the root directory (default: the target's).
    #[arg(short = 'r', long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub root: Option<String>,
    /// Set the working directory (default: the target's).
    #[arg(short = 'w', long = "wd", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub wd: Option<String>,
    /// Change to DIR after entering the namespaces (a path inside them; `--wdns=DIR` or `-WDIR`).
    #[arg(short = 'W', long = "wdns", value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub wdns: Option<std::path::PathBuf>,
    /// Run the program with the target's environment.
    #[arg(short = 'e', long)]
    pub env: bool,
    /// Accepted for util-linux compatibility: nslab always runs the program as a new process.
    #[arg(short = 'F', long)]
    pub no_fork: bool,
    /// Move the program into the target's cgroup first.
    #[arg(short = 'c', long)]
    pub join_cgroup: bool,
    /// The program and its arguments (default: $SHELL); `--` before it is optional.
    #[arg(value_name = "PROGRAM", trailing_var_arg = true)]
    pub command: Vec<String>,
}

/// The engine's commands follow util-linux's getopt where clap differs: an
/// optional value glued to a short option of nsenter (`-u/proc/1/ns/uts`,
/// `-r/`) or lsns (`-Tparent`) becomes `--uts=/proc/1/ns/uts`. Everything
/// after the first non-option (nsenter's program) is left alone.
pub fn getopt_compat(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use std::ffi::OsString;
    let Some(sub) = args.iter().skip(1).position(|a| !a.to_string_lossy().starts_with('-')).map(|i| i + 1) else { return args };
    let lsns = args[sub] == "lsns";
    if args[sub] != "nsenter" && !lsns {
        return args;
    }
    let long_of = |c: char| match c {
        'T' if lsns => Some("tree"),
        _ if lsns => None,
        'm' => Some("mount"),
        'u' => Some("uts"),
        'i' => Some("ipc"),
        'n' => Some("net"),
        'p' => Some("pid"),
        'C' => Some("cgroup"),
        'U' => Some("user"),
        'T' => Some("time"),
        'r' => Some("root"),
        'w' => Some("wd"),
        'W' => Some("wdns"),
        _ => None,
    };
    let takes_value = |c: char| if lsns { matches!(c, 'p' | 'o' | 't' | 'Q') } else { matches!(c, 't' | 'N' | 'S' | 'G') };
    let rest = args.split_off(sub + 1);
    let mut it = rest.into_iter();
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy().into_owned();
        if lsns && text != "--" && (!text.starts_with('-') || text == "-") {
            // lsns takes options after its NAMESPACE argument too (getopt permutes).
            args.push(arg);
            continue;
        }
        if text == "--" || !text.starts_with('-') || text == "-" {
            args.push(arg);
            args.extend(it);
            break;
        }
        if text.starts_with("--") {
            let needs_next = ["--target", "--net-socket", "--setuid", "--setgid", "--task", "--output", "--type", "--filter"].contains(&text.as_str());
            args.push(arg);
            if needs_next {
                args.extend(it.next());
            }
            continue;
        }
        let chars: Vec<char> = text[1..].chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let glued: String = chars[i + 1..].iter().collect();
            if let Some(long) = long_of(c).filter(|_| !glued.is_empty()) {
                // util-linux skips a `=` after the letter (`-T=parent`).
                let value = glued.strip_prefix('=').unwrap_or(&glued);
                args.push(OsString::from(format!("--{long}={value}")));
                break;
            }
            if takes_value(c) {
                args.push(OsString::from(format!("-{c}")));
                if glued.is_empty() {
                    args.extend(it.next());
                } else {
                    args.push(OsString::from(glued));
                }
                break;
            }
            args.push(OsString::from(format!("-{c}")));
        }
    }
    args
}

/// A command line clap refused (or `--help`/`--version`, which clap reports
/// the same way), and whether it was one of the engine's commands.
#[derive(Debug)]
pub struct ParseError {
    /// clap's report; `print()` it.
    pub error: clap::Error,
    /// `lsns`, `unshare` or `nsenter`: their usage errors exit with 1, as
    /// util-linux's do (main decides).
    pub engine: bool,
}

/// Parses the process's command line, after [`getopt_compat`].
pub fn try_parse() -> Result<Cli, ParseError> {
    use clap::Parser as _;
    let args = getopt_compat(std::env::args_os().collect());
    Cli::try_parse_from(&args).map_err(|error| {
        let engine = args.iter().skip(1).find(|a| !a.to_string_lossy().starts_with('-')).is_some_and(|a| a == "lsns" || a == "unshare" || a == "nsenter");
        ParseError { error, engine }
    })
}

/// `nslab serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// An mdBook folder (with book.toml) to build, or a folder with a built book.
    #[arg(value_name = "BOOK_DIR", default_value = "book")]
    pub book: std::path::PathBuf,
    /// The port to listen on, on 127.0.0.1 only (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 8470)]
    pub port: u16,
    /// The lessons the page may run (default: BOOK_DIR/../lessons, else the built-in ones).
    #[arg(long, value_name = "DIR")]
    pub lessons: Option<std::path::PathBuf>,
    /// Tear a lab session down after this many seconds without a request.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub idle_timeout: u64,
    /// Run every preprocessor and renderer the book's book.toml names (by default only nslab's own run).
    #[arg(long)]
    pub trust_book: bool,
    /// Close a connection that has not sent a request's headers within this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// At most this many connections at once; more are answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub max_connections: usize,
    /// The language nslab speaks: zh (Simplified Chinese) or en; by default from LC_ALL,
    /// LC_MESSAGES or LANG. Untranslated messages stay English.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::catalog::Lang>,
}

#[cfg(test)]
mod tests {
    use super::getopt_compat;

    fn compat(line: &str) -> Vec<String> {
        getopt_compat(line.split(' ').map(Into::into).collect()).into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn getopt_glues_values_to_short_options_as_util_linux_does() {
        assert_eq!(compat("nslab nsenter -t 42 -u/proc/42/ns/uts hostname"), ["nslab", "nsenter", "-t", "42", "--uts=/proc/42/ns/uts", "hostname"]);
        // As getopt's `m::`: the rest of the cluster is -m's file.
        assert_eq!(compat("nslab nsenter -mu -t42 true"), ["nslab", "nsenter", "--mount=u", "-t", "42", "true"]);
        assert_eq!(compat("nslab nsenter -a -t 42 -W/tmp pwd -u/x"), ["nslab", "nsenter", "-a", "-t", "42", "--wdns=/tmp", "pwd", "-u/x"]);
        assert_eq!(compat("nslab lsns -Tparent -n 4026531836"), ["nslab", "lsns", "--tree=parent", "-n", "4026531836"]);
        assert_eq!(compat("nslab lsns -T=owner"), ["nslab", "lsns", "--tree=owner"]);
        // Other commands, and unshare's short options (no optional values), are left alone.
        assert_eq!(compat("nslab unshare -un true"), ["nslab", "unshare", "-un", "true"]);
        assert_eq!(compat("nslab run -y x"), ["nslab", "run", "-y", "x"]);
    }
}
