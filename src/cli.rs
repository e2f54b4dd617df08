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
  nslab unshare -r -u -f -- hostname    a new uts namespace as an unprivileged user
  nslab nsenter -t 4242 -n -- ip link   a command in the net namespace of pid 4242")]
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
    Unshare(UnshareArgs),
    /// Run a program in the namespaces of a process or file, like nsenter
    Nsenter(NsenterArgs),
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
}

/// `nslab list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Lesson files or folders (default: the built-in lessons).
    #[arg(value_name = "LESSON|DIR")]
    pub paths: Vec<std::path::PathBuf>,
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
}

/// `nslab new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The lesson's id and file name, e.g. `uts-basics`.
    pub name: String,
    /// The folder to write it in.
    #[arg(long, default_value = "lessons")]
    pub dir: std::path::PathBuf,
}

/// `nslab lsns`.
#[derive(Debug, Args)]
pub struct LsnsArgs {
    /// Only namespaces of this type (cgroup, ipc, mnt, net, pid, time, user, uts); repeatable.
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only the namespaces process PID is in.
    #[arg(short = 'p', long = "task", value_name = "PID")]
    pub pid: Option<i32>,
    /// JSON output, in util-linux's schema.
    #[arg(short = 'J', long)]
    pub json: bool,
    /// Columns to show (NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS,PNS,ONS); `+LIST` adds to the defaults.
    #[arg(short = 'o', long, value_name = "LIST")]
    pub output: Option<String>,
    /// Show every column.
    #[arg(long)]
    pub output_all: bool,
    /// No heading line.
    #[arg(short = 'n', long)]
    pub noheadings: bool,
    /// Raw output: space-separated, unsafe characters escaped.
    #[arg(short = 'r', long)]
    pub raw: bool,
    /// A flat list instead of the process tree.
    #[arg(short = 'l', long)]
    pub list: bool,
    /// Nest rows by parent process, owner user namespace, or parent namespace.
    #[arg(short = 'T', long, value_name = "REL")]
    pub tree: Option<Tree>,
    /// Accepted for util-linux compatibility: nslab never truncates.
    #[arg(short = 'u', long, hide = true)]
    pub notruncate: bool,
    /// Accepted for util-linux compatibility.
    #[arg(short = 'W', long, hide = true)]
    pub nowrap: bool,
}

/// The per-kind flags shared by unshare and nsenter: `-n` or `--net[=FILE]`.
#[derive(Debug, Args, Default)]
pub struct KindFlags {
    /// Mount namespace [=FILE: persist it there (unshare) or enter it (nsenter)].
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
pub struct UnshareArgs {
    /// The namespaces to create.
    #[command(flatten)]
    pub kinds: KindFlags,
    /// Map your uid and gid to root in a new user namespace (implies -U).
    #[arg(short = 'r', long = "map-root-user")]
    pub map_root: bool,
    /// Fork: run the program as a child that is inside the new pid and time namespaces.
    #[arg(short = 'f', long)]
    pub fork: bool,
    /// Mount a fresh /proc (implies -m; use with -p -f).
    #[arg(long)]
    pub mount_proc: bool,
    /// Kill the program when nslab dies (implies -f).
    #[arg(long)]
    pub kill_child: bool,
    /// Keep a new namespace alive by bind-mounting it onto PATH, e.g. net=/run/mynet (repeatable).
    #[arg(long, value_name = "KIND=PATH")]
    pub persist: Vec<String>,
    /// Offset of CLOCK_MONOTONIC in the new time namespace, in seconds (implies -T).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub monotonic: Option<i64>,
    /// Offset of CLOCK_BOOTTIME in the new time namespace, in seconds (implies -T).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub boottime: Option<i64>,
    /// The program and its arguments (default: $SHELL).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `nslab nsenter`.
#[derive(Debug, Args)]
pub struct NsenterArgs {
    /// The process whose namespaces to enter.
    #[arg(short = 't', long, value_name = "PID")]
    pub target: Option<i32>,
    /// Enter every namespace of the target (but your own user namespace).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The namespaces to enter; `--net=FILE` enters the namespace behind FILE.
    #[command(flatten)]
    pub kinds: KindFlags,
    /// The program and its arguments (default: $SHELL).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
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
}
