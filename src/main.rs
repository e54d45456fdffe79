//! Binary: parse arguments, run the command, map the outcome to an exit code
//! (0 ok, 1 runtime or data error, 2 usage error, 3 utilisation alert). A closed pipe
//! exits 0 quietly.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use connect_capacity::cmd::{self, Cli, Outcome};
use connect_capacity::Error;

fn main() -> ExitCode {
    match cmd::run(&Cli::parse()) {
        Ok(Outcome { alert: Some(line) }) => {
            eprintln!("{line}");
            ExitCode::from(3)
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let usage = matches!(
                e.downcast_ref::<Error>(),
                Some(Error::Usage(_) | Error::Config { .. })
            );
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

/// True when the error is a write to a closed pipe (`| head`).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<Error>(), Some(Error::Io { error, .. }) if error.kind() == io::ErrorKind::BrokenPipe)
    })
}
