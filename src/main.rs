//! The `nslab` binary: dispatch and exit codes, decided here and nowhere else.

use std::process::ExitCode;

use clap::Parser;
use nslab::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lsns(args) => nslab::cmd::lsns(&args),
        Command::Unshare(args) => nslab::cmd::unshare(&args),
        Command::Nsenter(args) => nslab::cmd::nsenter(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(err) => {
            eprintln!("nslab: {err}");
            ExitCode::from(err.exit_code() as u8)
        }
    }
}
