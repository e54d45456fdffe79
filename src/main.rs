//! Binary: parse arguments, call the library, map errors to exit codes
//! (0 ok, 1 runtime or data error, 2 usage error). A closed pipe exits 0 quietly.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use connect_capacity::cli::{Cli, Command};
use connect_capacity::{ingest, model, report, sample, Error};
use indicatif::{ProgressBar, ProgressStyle};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Sample(args) => write_sample(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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

/// `analyze`: read, compute, render. A spinner on stderr (only when stderr is a
/// terminal) shows that a long ingest is alive; stdout carries nothing but the report.
fn analyze(args: &connect_capacity::cli::AnalyzeArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let spinner = spinner("reading exports");
    let data = ingest::read_inputs(&settings.paths, &settings.ingest);
    spinner.set_message("analysing");
    let report = data
        .map_err(anyhow::Error::from)
        .and_then(|data| model::analyze(&data, &settings.model).map_err(anyhow::Error::from));
    spinner.finish_and_clear();
    let report = report?;
    match &settings.output {
        Some(path) => report::write_atomically(&report, settings.format, path)?,
        None => {
            let stdout = io::stdout();
            let color =
                stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut out = io::BufWriter::new(stdout.lock());
            report::render_styled(&report, settings.format, color, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// A ticking spinner on stderr; hidden when stderr is not a terminal.
fn spinner(message: &'static str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
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
            || matches!(c.downcast_ref::<Error>(), Some(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe)
    })
}
