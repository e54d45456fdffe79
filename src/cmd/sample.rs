//! `sample`: write the seeded, realistic sample exports (the ones in sample_data/).

use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use crate::error::Error;
use crate::format::count;
use crate::sample;

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write the exports to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Approximate number of Shiny sessions.
    #[arg(long, default_value_t = 20_000)]
    pub sessions: u64,
    /// Number of days covered.
    #[arg(long, default_value_t = 244)]
    pub days: u32,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write only a Shiny usage CSV (for benchmarks).
    #[arg(long)]
    pub shiny_only: bool,
}

/// Writes the sample exports.
pub fn run(args: &SampleArgs) -> anyhow::Result<Outcome> {
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
        eprintln!("wrote {} sessions to {}", count(n), path.display());
    } else {
        let s = sample::generate(&spec, &args.out).map_err(|e| Error::io(&args.out, e))?;
        eprintln!(
            "wrote {} files to {} ({} sessions, {} visits, {} jobs, {} job metrics samples)",
            count(s.files.len()),
            args.out.display(),
            count(s.sessions_written),
            count(s.visits_written),
            count(s.jobs_written),
            count(s.samples_written)
        );
    }
    Ok(Outcome::default())
}
