//! The engine's commands — `lsns`, `unshare`, `nsenter` — turned from parsed
//! flags into engine calls. Each returns the exit code to use.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{KindFlags, LsnsArgs, NsenterArgs, UnshareArgs};
use crate::lsns::{self, Column, Format, Layout};
use crate::ns::{self, Creation, EngineError, JoinTarget, KindSet, NsKind, Scanner, Spawn, TimeOffsets};

/// Why a command failed before or instead of running its program.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// Bad input on an engine command's command line (exit 1, as util-linux).
    #[error("{0}")]
    Usage(String),
    /// A command line or input nslab cannot act on (exit 2), said in words.
    #[error("{0}")]
    Invalid(String),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(std::io::Error),
    /// Reading or writing a file or a stream failed (exit 1).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A report (`--junit`) could not be written (exit 1).
    #[error("cannot write the report {}: {source}", path.display())]
    Report {
        /// The report's path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How a command ended. `main` turns it into the process's exit code, and
/// nothing else decides one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; every expectation held.
    Ok,
    /// 1: some expectation failed (or an exercise is not fair).
    Failed,
    /// 2: an invalid lesson or command line (explained on stderr).
    Invalid,
    /// 3: a lesson cannot run on this machine (with the reason).
    CannotRun,
    /// 128 + N: interrupted by signal N.
    Signal(i32),
    /// An engine command's own status, or that of the program it ran, passed on.
    Status(i32),
}

/// `nslab lsns`.
pub fn lsns(args: &LsnsArgs) -> Result<i32, CmdError> {
    let kinds: KindSet = if args.types.is_empty() {
        KindSet::ALL
    } else {
        args.types.iter().map(|t| t.parse::<NsKind>()).collect::<Result<_, _>>().map_err(|e| CmdError::Usage(e.to_string()))?
    };
    let net_only = kinds == [NsKind::Net].into_iter().collect();
    let defaults = Column::defaults(net_only);
    let columns = match (&args.output, args.output_all) {
        (_, true) => Column::ALL.to_vec(),
        (Some(list), false) => lsns::parse_columns(list, &defaults).map_err(|e| CmdError::Usage(e.to_string()))?,
        (None, false) => defaults,
    };
    let tree = match (args.list, args.tree) {
        (_, Some(t)) => Some(t),
        (true, None) => None,
        (false, None) => Some(lsns::Tree::Process),
    };
    let format = if args.json {
        Format::Json
    } else if args.raw {
        Format::Raw
    } else {
        Format::Table
    };

    let scanner = Scanner { kinds, ..Scanner::default() };
    let mut listing = scanner.scan_bare().map_err(|e| EngineError::Io { what: "reading /proc".into(), source: e })?;
    if let Some(pid) = args.pid {
        let view = ns::NsView::read(&ns::view::proc_root(), pid).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EngineError::NoSuchProcess(pid),
            _ => EngineError::Io { what: format!("reading the namespaces of pid {pid}"), source: e },
        })?;
        listing.namespaces.retain(|n| view.get(n.kind).is_some_and(|id| id.ino == n.id.ino));
    }
    scanner.fill_details(&mut listing.namespaces, Column::details(&columns, tree));
    let layout = Layout { columns, format, tree, headings: !args.noheadings };
    let text = lsns::render(&listing.namespaces, &layout);
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CmdError::Output)?;
    Ok(0)
}

/// The kinds named by `-m -u …` flags, with the FILE given to each, if any.
fn kind_flags(flags: &KindFlags) -> Vec<(NsKind, Option<PathBuf>)> {
    let all = [
        (NsKind::Mnt, &flags.mount),
        (NsKind::Uts, &flags.uts),
        (NsKind::Ipc, &flags.ipc),
        (NsKind::Net, &flags.net),
        (NsKind::Pid, &flags.pid),
        (NsKind::User, &flags.user),
        (NsKind::Cgroup, &flags.cgroup),
        (NsKind::Time, &flags.time),
    ];
    all.into_iter().filter_map(|(k, v)| v.as_ref().map(|p| (k, (!p.is_empty()).then(|| PathBuf::from(p))))).collect()
}

/// The program to run: the given command, else `$SHELL`, else `/bin/sh`.
fn program(command: &[String]) -> Spawn {
    match command.split_first() {
        Some((prog, args)) => {
            let mut s = Spawn::new(prog);
            s.args(args);
            s
        }
        None => Spawn::new(std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into())),
    }
}

/// Ignores SIGINT and SIGTERM while waiting for the program, as util-linux does:
/// the program (which has them at their defaults) decides, and we report.
fn wait_for(mut child: ns::Process) -> Result<i32, CmdError> {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: SIG_IGN installs no handler code.
    unsafe {
        let _ = signal(Signal::SIGINT, SigHandler::SigIgn);
        let _ = signal(Signal::SIGTERM, SigHandler::SigIgn);
    }
    let status = child.wait().map_err(|e| EngineError::Io { what: "waiting for the program".into(), source: e })?;
    Ok(status.code())
}

/// `nslab unshare`.
pub fn unshare(args: &UnshareArgs) -> Result<i32, CmdError> {
    let mut kinds = KindSet::EMPTY;
    let mut persist: Vec<(NsKind, PathBuf)> = Vec::new();
    for (kind, file) in kind_flags(&args.kinds) {
        kinds.insert(kind);
        persist.extend(file.map(|f| (kind, f)));
    }
    for spec in &args.persist {
        let (kind, path) = spec
            .split_once('=')
            .filter(|(_, p)| !p.is_empty())
            .ok_or_else(|| CmdError::Usage(format!("--persist {spec}: expected KIND=PATH, e.g. net=/run/mynet")))?;
        let kind: NsKind = kind.parse().map_err(|e: ns::UnknownKind| CmdError::Usage(format!("--persist {spec}: {e}")))?;
        kinds.insert(kind);
        persist.push((kind, PathBuf::from(path)));
    }
    if args.map_root {
        kinds.insert(NsKind::User);
    }
    if args.mount_proc {
        kinds.insert(NsKind::Mnt);
    }
    if args.monotonic.is_some() || args.boottime.is_some() {
        kinds.insert(NsKind::Time);
    }
    let fork = args.fork || args.kill_child;

    let mut spawn = program(&args.command);
    spawn.new_namespaces(kinds, if fork { Creation::Clone } else { Creation::Unshare }).map_root(args.map_root).mount_proc(args.mount_proc);
    if args.monotonic.is_some() || args.boottime.is_some() {
        spawn.time_offsets(TimeOffsets { monotonic: args.monotonic.unwrap_or(0), boottime: args.boottime.unwrap_or(0) });
    }
    if args.kill_child {
        spawn.death_signal(libc::SIGKILL);
    }
    let child = spawn.start_with(|pid| {
        let mut made: Vec<&Path> = Vec::new();
        for (kind, target) in &persist {
            // Without a fork the program itself stays in the old pid and time
            // namespaces; the new ones are those of its children.
            let link = match kind.for_children_name() {
                Some(name) if !fork => name,
                _ => kind.name(),
            };
            let source = PathBuf::from(format!("/proc/{pid}/ns/{link}"));
            if let Err(e) = ns::pin(&source, target) {
                for done in made {
                    let _ = ns::unpin(done);
                }
                return Err(e);
            }
            made.push(target);
        }
        Ok(())
    })?;
    wait_for(child)
}

/// `nslab nsenter`.
pub fn nsenter(args: &NsenterArgs) -> Result<i32, CmdError> {
    let mut spawn = program(&args.command);
    let flags = kind_flags(&args.kinds);
    if args.all {
        let pid = args.target.ok_or_else(|| CmdError::Usage("-a needs a target process: -t PID".into()))?;
        spawn.join_all_of(pid)?;
    }
    let mut targets = Vec::new();
    for (kind, file) in flags {
        targets.push(match (file, args.target) {
            (Some(path), _) => JoinTarget::File { path, kind: Some(kind) },
            (None, Some(pid)) => JoinTarget::Process { pid, kind },
            (None, None) => {
                return Err(CmdError::Usage(format!("-{} needs a target: give -t PID, or --{}=FILE", kind.short_flag(), long_name(kind))));
            }
        });
    }
    if targets.is_empty() && !args.all {
        return Err(CmdError::Usage("nothing to enter: give -a, or the namespaces to enter (-m -u -i -n -p -U -C -T)".into()));
    }
    if let Some(pid) = args.target
        && !Path::new(&format!("/proc/{pid}")).exists()
    {
        return Err(EngineError::NoSuchProcess(pid).into());
    }
    spawn.join(targets);
    let child = spawn.start()?;
    wait_for(child)
}

fn long_name(kind: NsKind) -> &'static str {
    match kind {
        NsKind::Mnt => "mount",
        other => other.name(),
    }
}

/// Whether to colour output to stdout.
pub fn use_color(choice: crate::cli::ColorChoice) -> bool {
    use crate::cli::ColorChoice;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && console::Term::stdout().is_term(),
    }
}

fn print_diagnostics(diags: &[crate::lesson::Diagnostic]) {
    let color = use_color(crate::cli::ColorChoice::Auto) && console::Term::stderr().is_term();
    eprint!("{}", crate::lesson::render(diags, color));
}

/// `nslab run`.
pub fn run(args: &crate::cli::RunArgs) -> Result<Exit, CmdError> {
    use crate::run::{self, RunOptions, progress};
    let lessons = match crate::catalog::load(&args.paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    if let Some(step) = &args.from
        && !lessons.iter().any(|l| l.step(step).is_some())
    {
        return Err(CmdError::Invalid(format!("--from {step}: no lesson here has a step with that id")));
    }
    let format = match args.format {
        crate::cli::OutputFormat::Human => run::report::Format::Human,
        crate::cli::OutputFormat::Json => run::report::Format::Json,
    };
    let terminal = crate::ui::at_terminal();
    if !terminal && !args.yes {
        eprint!("{}", crate::ui::NO_TERMINAL);
        return Ok(Exit::Invalid);
    }
    let opts = RunOptions {
        interactive: terminal && !args.yes && format == run::report::Format::Human,
        format,
        color: format == run::report::Format::Human && use_color(args.color),
        fail_fast: args.fail_fast,
        timeout: args.timeout.0,
        junit: args.junit.clone(),
        from: args.from.clone(),
        record: args.record,
        check_solutions: false,
        sandbox: !args.no_sandbox,
    };
    // No paths: the built-in lessons, from the first unfinished one.
    // Straight through, progress is kept only when asked for.
    let mut progress =
        if args.yes && !args.save_progress { progress::Progress::ephemeral() } else { progress::Progress::load(progress::state_dir().as_deref()) };
    let lessons = if args.paths.is_empty() {
        let next = lessons.iter().position(|l| !progress.get(&l.meta.id).is_some_and(|p| p.finished)).unwrap_or(0);
        lessons.into_iter().skip(next).collect()
    } else {
        lessons
    };
    let end = run::run_lessons(&lessons, &opts, &mut progress);
    conclude(&end, opts.junit.as_deref())
}

/// How a run ends: interrupted (128 + N) above all; else a report nslab
/// could not write is an error of its own; else the lessons' verdicts.
fn conclude(end: &crate::run::RunEnd, junit: Option<&Path>) -> Result<Exit, CmdError> {
    let written = junit
        .map_or(Ok(()), |path| crate::run::report::write_junit(path, &end.results).map_err(|source| CmdError::Report { path: path.to_path_buf(), source }));
    if let Some(sig) = end.signal {
        return Ok(Exit::Signal(sig));
    }
    written?;
    if let Some(e) = &end.write_error {
        return Err(CmdError::Output(std::io::Error::other(e.clone())));
    }
    Ok(if end.failed() {
        Exit::Failed
    } else if end.cannot_run() {
        Exit::CannotRun
    } else {
        Exit::Ok
    })
}

/// `nslab` with no arguments: continue with the next unfinished built-in lesson.
pub fn continue_learning() -> Result<Exit, CmdError> {
    use crate::run::progress;
    let lessons = match crate::catalog::builtin() {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    if !crate::ui::at_terminal() {
        eprint!("{}", crate::ui::NO_TERMINAL);
        return Ok(Exit::Invalid);
    }
    let progress = progress::Progress::load(progress::state_dir().as_deref());
    let Some(lesson) = lessons.iter().find(|l| !progress.get(&l.meta.id).is_some_and(|p| p.finished)) else {
        println!("You have finished every lesson. `nslab list` shows them; `nslab reset` starts over.");
        return Ok(Exit::Ok);
    };
    let from = progress.next_step(lesson).filter(|s| s.number > 1).map(|s| s.id.clone());
    let args = crate::cli::RunArgs {
        no_sandbox: false,
        paths: Vec::new(),
        yes: false,
        save_progress: false,
        format: crate::cli::OutputFormat::Human,
        color: crate::cli::ColorChoice::Auto,
        fail_fast: false,
        timeout: crate::cli::Seconds(crate::run::DEFAULT_TIMEOUT),
        junit: None,
        from,
        record: false,
    };
    run(&args)
}

/// `nslab list`.
pub fn list(args: &crate::cli::ListArgs) -> Result<Exit, CmdError> {
    use crate::run::progress;
    let lessons = match crate::catalog::load(&args.paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    let progress = progress::Progress::load(progress::state_dir().as_deref());
    let mut out = String::new();
    let width = lessons.iter().map(|l| l.meta.id.len()).max().unwrap_or(2);
    for l in &lessons {
        let done = progress.get(&l.meta.id).map_or(0, |p| l.steps.iter().filter(|s| p.passed.contains(&s.id)).count());
        let status = if done == l.steps.len() {
            "done".to_string()
        } else if done == 0 {
            "not started".to_string()
        } else {
            format!("{done}/{} steps", l.steps.len())
        };
        let next = match progress.next_step(l) {
            Some(s) if done < l.steps.len() => format!("next: {}", s.id),
            _ => String::new(),
        };
        let needs = if l.meta.needs.is_nothing() { String::new() } else { format!("[needs {}]", l.meta.needs) };
        out.push_str(&format!("{:width$}  {:<12} {}  {next} {needs}\n", l.meta.id, status, l.meta.title).replace("  \n", "\n"));
    }
    print!("{out}");
    Ok(Exit::Ok)
}

/// `nslab reset`.
pub fn reset(args: &crate::cli::ResetArgs) -> Result<Exit, CmdError> {
    use crate::run::progress;
    let mut progress = progress::Progress::load(progress::state_dir().as_deref());
    let builtin = crate::catalog::builtin().unwrap_or_default();
    // A built-in lesson by id or file name, or any lesson with progress kept.
    let id = args.lesson.as_deref().map(|id| crate::catalog::find(&builtin, id).map_or(id.to_string(), |l| l.meta.id.clone()));
    if let Some(id) = &id {
        if crate::catalog::find(&builtin, id).is_none() && progress.get(id).is_none() {
            eprintln!("nslab reset: no lesson has the id {id:?} (`nslab list` shows them)");
            return Ok(Exit::Invalid);
        }
    } else if !args.yes {
        match crate::ui::confirm("Forget your progress in every lesson?") {
            Some(true) => {}
            Some(false) => {
                println!("kept your progress");
                return Ok(Exit::Ok);
            }
            None => {
                eprintln!("nslab reset: no terminal to ask on; `nslab reset --yes` forgets your progress in every lesson");
                return Ok(Exit::Invalid);
            }
        }
    }
    let had = progress.reset(id.as_deref());
    progress.save().map_err(CmdError::Output)?;
    match (&args.lesson, had) {
        (Some(l), true) => println!("forgot your progress in {l}"),
        (Some(l), false) => println!("no progress recorded for {l}"),
        (None, _) => println!("forgot your progress in every lesson"),
    }
    Ok(Exit::Ok)
}

/// `nslab check`.
pub fn check(args: &crate::cli::CheckArgs) -> Result<Exit, CmdError> {
    let color = use_color(args.color);
    let clean = crate::lesson::check_paths(&args.paths, &mut std::io::stdout().lock(), color).map_err(CmdError::Output)?;
    if !clean {
        return Ok(Exit::Invalid);
    }
    if args.solutions {
        return check_solutions(&args.paths, color);
    }
    Ok(Exit::Ok)
}

/// `nslab check --solutions`: every exercise must fail with nothing done and
/// pass with its reference solution.
fn check_solutions(paths: &[PathBuf], color: bool) -> Result<Exit, CmdError> {
    use crate::lesson::StepKind;
    use crate::run::{self, RunOptions, progress::Progress};
    let lessons = match crate::catalog::load(paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    let with_exercises: Vec<_> = lessons.into_iter().filter(|l| l.steps.iter().any(|s| s.kind == StepKind::Exercise)).collect();
    let opts = RunOptions { color, check_solutions: true, ..RunOptions::default() };
    let end = run::run_lessons(&with_exercises, &opts, &mut Progress::ephemeral());
    let results = &end.results;
    let mut total = 0;
    let mut fair = 0;
    for (lesson, result) in with_exercises.iter().zip(results) {
        for step in lesson.steps.iter().filter(|s| s.kind == StepKind::Exercise) {
            total += 1;
            if result.steps.iter().any(|s| s.id == step.id && s.outcome == crate::run::event::OutcomeKind::Passed) {
                fair += 1;
            }
        }
    }
    let noun = if total == 1 { "exercise" } else { "exercises" };
    println!("\n{total} {noun}: {fair} fair, {} not", total - fair);
    match conclude(&end, None)? {
        Exit::Signal(n) => Ok(Exit::Signal(n)),
        _ if fair == total => Ok(Exit::Ok),
        _ => Ok(Exit::Failed),
    }
}

/// `nslab new`.
pub fn new_lesson(args: &crate::cli::NewArgs) -> Result<Exit, CmdError> {
    use crate::lesson::NewLessonError;
    let path = crate::lesson::new_lesson(&args.name, &args.dir).map_err(|e| match e {
        NewLessonError::Io { path, source } => CmdError::Io { what: format!("cannot write {}", path.display()), source },
        other => CmdError::Invalid(other.to_string()),
    })?;
    println!("wrote {} — check it with `nslab check {}`, run it with `nslab run {}`", path.display(), path.display(), path.display());
    Ok(Exit::Ok)
}

/// `nslab mdbook`: answer `supports`, or preprocess stdin to stdout.
pub fn mdbook(query: Option<&crate::cli::MdbookQuery>) -> Result<Exit, CmdError> {
    use std::io::Read;
    if let Some(crate::cli::MdbookQuery::Supports { renderer }) = query {
        return Ok(if crate::book::supports(renderer) { Exit::Ok } else { Exit::Failed });
    }
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|source| CmdError::Io { what: "reading mdbook's input".into(), source })?;
    let mut cli = <crate::cli::Cli as clap::CommandFactory>::command();
    let commands = crate::book::command_reference(&mut cli);
    match crate::book::preprocess(&input, &commands) {
        Ok(book) => {
            std::io::stdout().lock().write_all(book.as_bytes()).map_err(CmdError::Output)?;
            Ok(Exit::Ok)
        }
        Err(crate::book::BookError::Lesson(diags)) => {
            eprint!("{diags}");
            Ok(Exit::Invalid)
        }
        Err(e @ crate::book::BookError::Input(_)) => Err(CmdError::Invalid(e.to_string())),
    }
}

/// `nslab completions SHELL`: generated from the clap definitions.
pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CmdError> {
    let full = <crate::cli::Cli as clap::CommandFactory>::command();
    // The generators would offer the hidden internal commands too
    // (`lab-init`, `serve-worker`…): complete only what a user may type.
    let root = clap::Command::new("nslab").version(env!("CARGO_PKG_VERSION"));
    let mut cli = full.get_arguments().cloned().fold(root, clap::Command::arg);
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        cli = cli.subcommand(sub.clone());
    }
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cli, "nslab", &mut out);
    std::io::stdout().lock().write_all(&out).map_err(CmdError::Output)?;
    Ok(Exit::Ok)
}

/// `nslab man`: the man page, generated from the clap definitions.
pub fn man() -> Result<Exit, CmdError> {
    let cli = <crate::cli::Cli as clap::CommandFactory>::command();
    // The examples under `nslab --help` become an EXAMPLES section (the
    // generator would call it EXTRA).
    let examples = cli.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    clap_mangen::Man::new(cli.after_help(None::<&str>)).render(&mut out).map_err(CmdError::Output)?;
    out.extend_from_slice(man_examples(&examples).as_bytes());
    std::io::stdout().lock().write_all(&out).map_err(CmdError::Output)?;
    Ok(Exit::Ok)
}

/// `Examples:` lines (`  COMMAND   what it does`) as a roff EXAMPLES section.
fn man_examples(help: &str) -> String {
    let roff = |s: &str| s.replace('\\', "\\\\").replace('-', "\\-");
    let mut out = String::from(".SH EXAMPLES\n");
    for line in help.lines().map(str::trim).filter(|l| l.starts_with("nslab")) {
        let (command, what) = line.split_once("   ").map_or((line, ""), |(c, w)| (c, w.trim()));
        out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(command.trim()), roff(what)));
    }
    out
}

/// The lab every lesson runs in, as the doctor judges requirements.
pub fn lab_requirements() -> crate::doctor::Requirements {
    crate::doctor::Requirements { kinds: crate::run::session::LAB_KINDS.into_iter().collect(), mount_proc: true, ..Default::default() }
}

/// `nslab doctor`.
pub fn doctor(args: &crate::cli::DoctorArgs) -> Result<Exit, CmdError> {
    use crate::doctor::{Report, Settings, Sources};
    let lessons = match crate::catalog::load(&args.paths) {
        Ok(l) => l,
        Err(diags) => {
            print_diagnostics(&diags);
            return Ok(Exit::Invalid);
        }
    };
    use crate::lesson::tools;
    let probe = crate::run::sandbox::probe_all(Settings::read(&Sources::host()));
    let mut report = Report::new(probe, &lessons, lab_requirements());
    // The programs the lessons call: a lesson that calls a missing one cannot run.
    let dirs = tools::search_path(std::env::var("PATH").ok().as_deref());
    let inventory = tools::inventory(&lessons, &dirs);
    for (lesson, verdicts) in lessons.iter().zip(report.lessons.iter_mut()) {
        let missing = tools::missing(lesson, &dirs);
        let Some(first) = missing.first() else { continue };
        let reason = format!("it calls {}, missing here", missing.iter().map(tools::MissingTool::describe).collect::<Vec<_>>().join(", "));
        let fix = first.package.map(|(deb, _)| format!("sudo apt install {deb}"));
        for v in [&mut verdicts.as_root, &mut verdicts.rootless] {
            if *v == crate::doctor::Verdict::Runs {
                *v = crate::doctor::Verdict::Blocked { reason: reason.clone(), fix: fix.clone() };
            }
        }
    }
    let out = if args.json {
        let mut value: serde_json::Value = serde_json::from_str(&report.to_json()).map_err(|e| CmdError::Usage(e.to_string()))?;
        value["programs"] = serde_json::to_value(&inventory).map_err(|e| CmdError::Usage(e.to_string()))?;
        serde_json::to_string_pretty(&value).map_err(|e| CmdError::Usage(e.to_string()))? + "\n"
    } else {
        report.render(use_color(args.color)) + &tools::render_inventory(&inventory, use_color(args.color))
    };
    std::io::stdout().lock().write_all(out.as_bytes()).map_err(CmdError::Output)?;
    Ok(if report.exit_code() == 0 { Exit::Ok } else { Exit::CannotRun })
}

/// `nslab lesson-json`: the parsed lessons, as JSON.
pub fn lesson_json(paths: &[PathBuf]) -> Result<Exit, CmdError> {
    match crate::catalog::load(paths) {
        Ok(lessons) => {
            let text = serde_json::to_string_pretty(&lessons).map_err(|e| CmdError::Output(e.into()))?;
            println!("{text}");
            Ok(Exit::Ok)
        }
        Err(diags) => {
            print_diagnostics(&diags);
            Ok(Exit::Invalid)
        }
    }
}

/// `nslab serve`: prints the URL to open, serves until Ctrl-C.
pub fn serve(args: &crate::cli::ServeArgs) -> Result<Exit, CmdError> {
    use crate::serve::{self, ServeOptions};
    let opts = ServeOptions {
        book: args.book.clone(),
        port: args.port,
        lessons: args.lessons.clone(),
        idle: std::time::Duration::from_secs(args.idle_timeout.max(1)),
        max_sessions: serve::DEFAULT_MAX_SESSIONS,
    };
    let announce = |url: &str| {
        println!("nslab serve: the book is live at {url}");
        println!("  only this machine can reach it, and only with the token; Ctrl-C stops it and tears every lab down");
        let _ = std::io::stdout().flush();
    };
    match serve::serve(&opts, announce) {
        Ok(0) => Ok(Exit::Ok),
        Ok(code) => Ok(Exit::Status(code)),
        Err(serve::ServeError::Io { what, source }) => Err(CmdError::Io { what, source }),
        Err(e) => Err(CmdError::Invalid(e.to_string())),
    }
}
