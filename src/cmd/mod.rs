//! The commands: one file each, holding its arguments and its `run`. [`Cli`] is the one
//! top-level clap definition; [`run`] dispatches to the command, and the binary maps the
//! [`Outcome`] or the error to an exit code.

pub mod analyze;
pub mod compare;
pub mod completions;
pub mod fetch;
pub mod man;
pub mod sample;
mod shared;
pub mod trend;

use clap::{Parser, Subcommand};

/// Historical concurrency, processes and sizing for Posit Connect, from its usage exports.
#[derive(Debug, Parser)]
#[command(name = "connect-capacity", version = crate::version::VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse export files or folders and print a capacity report.
    Analyze(Box<analyze::AnalyzeArgs>),
    /// Compare two periods (or two export folders) figure by figure.
    Compare(Box<compare::CompareArgs>),
    /// Key figures per week or month, from the exports and the snapshot history.
    Trend(Box<trend::TrendArgs>),
    /// Write a seeded, realistic set of sample exports (the one in sample_data/).
    Sample(sample::SampleArgs),
    /// Fetch usage, content, users, jobs and job metrics from a Connect server into CSV
    /// files (incremental; API key in CONNECT_API_KEY).
    Fetch(Box<fetch::FetchArgs>),
    /// Print shell completions (bash, zsh, fish, powershell, elvish) to stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man(man::ManArgs),
}

/// What a run asks the binary to do beyond exit code 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// One-line alert when utilisation reached `--alert-at` (exit code 3).
    pub alert: Option<String>,
}

/// Runs the command the arguments name.
pub fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Trend(args) => trend::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}
