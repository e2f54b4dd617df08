//! The `nslab` binary: dispatch and exit codes, decided here and nowhere else.

use std::process::ExitCode;

use nslab::cli::Command;
use nslab::cmd;

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
    let cli = nslab::cli::parse();
    let result = match cli.command {
        None => cmd::continue_learning(),
        Some(Command::Run(args)) => cmd::run(&args),
        Some(Command::List(args)) => cmd::list(&args),
        Some(Command::Reset(args)) => cmd::reset(&args),
        Some(Command::Check(args)) => cmd::check(&args),
        Some(Command::New(args)) => cmd::new_lesson(&args),
        Some(Command::Lsns(args)) => cmd::lsns(&args),
        Some(Command::Unshare(args)) => cmd::unshare(&args),
        Some(Command::Nsenter(args)) => cmd::nsenter(&args),
        Some(Command::Mdbook { query }) => cmd::mdbook(query.as_ref()),
        Some(Command::Doctor(args)) => cmd::doctor(&args),
        Some(Command::Completions { shell }) => cmd::completions(shell),
        Some(Command::Man) => cmd::man(),
        Some(Command::LessonJson { paths }) => cmd::lesson_json(&paths),
        Some(Command::Serve(args)) => cmd::serve(&args),
        Some(Command::ServeWorker { source, digest }) => Ok(nslab::serve::worker::main(&source, digest.as_deref())),
        Some(Command::LabInit { .. }) => nslab::run::session::lab_init(),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(err) => {
            eprintln!("nslab: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
