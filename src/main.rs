//! Binary: parse arguments, call the library, map errors to exit codes
//! (0 ok, 1 runtime or data error, 2 usage error, 3 utilisation alert). A closed pipe
//! exits 0 quietly.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use connect_capacity::cli::{Cli, Command};
use connect_capacity::{cmd, commands, sample, Error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Analyze(args) => args
            .settings()
            .and_then(|s| commands::analyze(&s))
            .map_err(anyhow::Error::from),
        Command::Compare(args) => args
            .settings()
            .and_then(|s| commands::compare_periods(&s))
            .map_err(anyhow::Error::from),
        Command::Trend(args) => args
            .settings()
            .and_then(|s| commands::trend(&s))
            .map_err(anyhow::Error::from),
        Command::Fetch(args) => args
            .settings()
            .and_then(|s| commands::fetch(&s))
            .map_err(anyhow::Error::from),
        Command::Sample(args) => write_sample(args).map(|()| commands::Outcome::default()),
        Command::Completions(args) => cmd::completions::run(args, &mut io::stdout().lock())
            .map(|()| commands::Outcome::default())
            .map_err(anyhow::Error::from),
        Command::Man(args) => cmd::man::run(args, &mut io::stdout().lock())
            .map(|()| commands::Outcome::default())
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(commands::Outcome { alert: Some(line) }) => {
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

/// `sample`: write the seeded sample exports.
fn write_sample(args: &connect_capacity::cli::SampleArgs) -> anyhow::Result<()> {
    let spec = sample::SampleSpec {
        sessions: args.sessions,
        days: args.days,
        seed: args.seed,
        ..Default::default()
    };
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    if args.shiny_only {
        let path = args.out.join("shiny_usage.csv");
        let n = sample::generate_shiny_usage_only(&spec, &path).map_err(|e| Error::io(&path, e))?;
        eprintln!("wrote {n} sessions to {}", path.display());
    } else {
        let s = sample::generate(&spec, &args.out).map_err(|e| Error::io(&args.out, e))?;
        eprintln!(
            "wrote {} files to {} ({} sessions, {} visits, {} jobs)",
            s.files.len(),
            args.out.display(),
            s.sessions_written,
            s.visits_written,
            s.jobs_written
        );
    }
    Ok(())
}

/// True when the error is a write to a closed pipe (`| head`).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<Error>(), Some(Error::Io { error, .. }) if error.kind() == io::ErrorKind::BrokenPipe)
    })
}
