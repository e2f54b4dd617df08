//! The `nslab` binary: dispatch and exit codes, decided here and nowhere else.

use std::process::ExitCode;

use nslab::cli::Command;
use nslab::cmd::{self, CmdError, Exit};

/// mimalloc: a big lesson's thousands of small names and lists parse in
/// two thirds of the time they take with the system allocator
/// (`cargo bench --bench parse`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Inside an exercise, nslab is also the learner's `check` command.
    if std::env::args_os().next().is_some_and(|a| std::path::Path::new(&a).file_name().is_some_and(|n| n == "check")) {
        nslab::run::exercise::client_main();
    }
    let cli = match nslab::cli::try_parse() {
        Ok(cli) => cli,
        Err(bad) => {
            let _ = bad.error.print();
            // --help and --version are reported the same way but are no
            // error; a bad command line of an engine command exits 1, as
            // util-linux's do; of any other command, 2.
            let exit = if !bad.error.use_stderr() {
                Exit::Ok
            } else if bad.engine {
                Exit::Status(1)
            } else {
                Exit::Invalid
            };
            return ExitCode::from(code(exit));
        }
    };
    nslab::i18n::set(cmd::language(cli.command.as_ref()));
    let result = match cli.command {
        None => cmd::continue_learning(),
        Some(Command::Run(args)) => cmd::run(&args),
        Some(Command::List(args)) => cmd::list(&args),
        Some(Command::Reset(args)) => cmd::reset(&args),
        Some(Command::Check(args)) => cmd::check(&args),
        Some(Command::New(args)) => cmd::new_lesson(&args),
        Some(Command::Lsns(args)) => cmd::lsns(&args).map(Exit::Status),
        Some(Command::Unshare(args)) => cmd::unshare(&args).map(Exit::Status),
        Some(Command::Nsenter(args)) => cmd::nsenter(&args).map(Exit::Status),
        Some(Command::Mdbook { query }) => cmd::mdbook(query.as_ref()),
        Some(Command::Doctor(args)) => cmd::doctor(&args),
        Some(Command::Completions { shell }) => cmd::completions(shell),
        Some(Command::Man) => cmd::man(),
        Some(Command::LessonJson { paths }) => cmd::lesson_json(&paths),
        Some(Command::Serve(args)) => cmd::serve(&args),
        Some(Command::ServeWorker { source, digest }) => Ok(Exit::Status(nslab::serve::worker::main(&source, digest.as_deref()))),
        Some(Command::LabInit { .. }) => nslab::run::session::lab_init(),
    };
    let exit = match result {
        Ok(exit) => exit,
        Err(err) => {
            eprintln!("nslab: {err}");
            error_exit(&err)
        }
    };
    ExitCode::from(code(exit))
}

/// What each error means for the exit code.
fn error_exit(err: &CmdError) -> Exit {
    match err {
        CmdError::Invalid(_) => Exit::Invalid,
        CmdError::Engine(e) => Exit::Status(e.exit_code()),
        // Engine commands keep util-linux's exit code for a bad command line.
        CmdError::Usage(_) => Exit::Status(1),
        CmdError::Output(_) | CmdError::Io { .. } | CmdError::Report { .. } => Exit::Failed,
    }
}

/// The exit codes, documented in the README and `nslab --help`: 0 every
/// expectation held, 1 some failed (or nslab could not write its report),
/// 2 invalid lesson or command line, 3 cannot run here, 128 + N signal N.
fn code(exit: Exit) -> u8 {
    match exit {
        Exit::Ok => 0,
        Exit::Failed => 1,
        Exit::Invalid => 2,
        Exit::CannotRun => 3,
        Exit::Signal(n) => (128 + n).clamp(0, 255) as u8,
        Exit::Status(n) => n.clamp(0, 255) as u8,
    }
}
