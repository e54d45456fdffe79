//! `sample`: write the seeded, realistic sample exports (the ones in sample_data/).

use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use crate::error::Error;
use crate::format::count;
use crate::sample;

/// The server shape to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShapeArg {
    /// The bundled sample_data: 30 content items, 120 users, 244 days.
    Small,
    /// A busy server: 400 content items with long-tailed popularity, 5,000 users, 400
    /// days (for benchmarks).
    Busy,
}

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write the exports to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Approximate number of Shiny sessions; a few planted rows (two sessions still open
    /// at the end among them) are written even with 0.
    #[arg(long, default_value_t = 20_000)]
    pub sessions: u64,
    /// The server shape: content items, users and days unless given below.
    #[arg(long, value_enum, default_value_t = ShapeArg::Small)]
    pub shape: ShapeArg,
    /// Number of days covered [default: 244 small, 400 busy].
    #[arg(long)]
    pub days: Option<u32>,
    /// Number of content items [default: 30 small, 400 busy].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub contents: Option<u32>,
    /// Number of users, the health-check account included [default: 120 small, 5,000 busy].
    #[arg(long, value_parser = clap::value_parser!(u32).range(3..))]
    pub users: Option<u32>,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write only a Shiny usage CSV (for benchmarks).
    #[arg(long)]
    pub shiny_only: bool,
    /// Replace files of these names already in the folder (without it, an existing one
    /// stops the run: it may be a real export).
    #[arg(long)]
    pub force: bool,
}

/// The generator's spec: the shape's defaults, then what was given.
fn spec_of(args: &SampleArgs) -> sample::SampleSpec {
    let shape = match args.shape {
        ShapeArg::Small => sample::Shape::Small,
        ShapeArg::Busy => sample::Shape::Busy,
    };
    let base = sample::SampleSpec::of_shape(shape);
    sample::SampleSpec {
        sessions: args.sessions,
        seed: args.seed,
        days: args.days.unwrap_or(base.days),
        contents: args.contents.unwrap_or(base.contents),
        users: args.users.unwrap_or(base.users),
        ..base
    }
}

/// The files `sample` writes into `--out`.
fn targets(args: &SampleArgs) -> Vec<PathBuf> {
    let names: &[&str] = if args.shiny_only {
        &[sample::SHINY_FILE]
    } else {
        &sample::FILES
    };
    names.iter().map(|n| args.out.join(n)).collect()
}

/// Without `--force`, a file `sample` would replace is a usage error: the folder may hold
/// a server's real exports.
fn refuse_replacing(args: &SampleArgs) -> Result<(), Error> {
    let existing: Vec<String> = targets(args)
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if args.force || existing.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "sample --out {}: would replace {} (real exports, perhaps); choose an empty or new \
         folder, or pass --force to replace them",
        args.out.display(),
        existing.join(", ")
    )))
}

/// Writes the sample exports.
pub fn run(args: &SampleArgs) -> anyhow::Result<Outcome> {
    refuse_replacing(args)?;
    let spec = spec_of(args);
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    if args.shiny_only {
        let path = args.out.join(sample::SHINY_FILE);
        let n = sample::generate_shiny_usage_only(&spec, &path).map_err(Error::from)?;
        eprintln!("wrote {} sessions to {}", count(n), path.display());
    } else {
        let s = sample::generate(&spec, &args.out).map_err(Error::from)?;
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
