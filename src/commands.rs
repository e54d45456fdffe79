//! The subcommands as library functions: read, compute, render, store. The binary only
//! parses arguments and maps the outcome to an exit code.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

use crate::anonymize::Pseudonyms;
use crate::cli::{AnalyzeSettings, CompareSettings, TrendSettings};
use crate::error::Result;
use crate::history::{self, Stored};
use crate::ingest;
use crate::model::compare::{compare, Comparison};
use crate::model::report::SCHEMA_VERSION;
use crate::model::trend::{
    options_fingerprint, period_figures, trend_report, Every, TrendReport, Utilisation,
};
use crate::model::{self, Options};
use crate::report;

/// What a run asks the binary to do beyond exit code 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// One-line alert when utilisation reached `--alert-at` (exit code 3).
    pub alert: Option<String>,
}

/// `fetch`: pull a server's data into CSV files.
pub fn fetch(s: &crate::fetch::FetchSettings) -> Result<Outcome> {
    crate::fetch::run(s, &mut io::stderr())?;
    Ok(Outcome::default())
}

/// `analyze`: the report, then the history, then the alert (with `--server`, a fetch into
/// the cache first).
pub fn analyze(s: &AnalyzeSettings) -> Result<Outcome> {
    let paths = match &s.fetch {
        Some(f) => {
            crate::fetch::run(f, &mut io::stderr())?;
            vec![f.out.clone()]
        }
        None => s.paths.clone(),
    };
    // Ingest draws its own progress bar for large inputs; the spinner covers the analysis.
    let (data, [opts]) = read_data(&paths, &s.ingest, s.anonymize, [&s.model])?;
    let spinner = spinner("analysing");
    let report = model::analyze(&data, &opts);
    spinner.finish_and_clear();
    let report = report?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let color = s.output.is_none() && stdout_wants_colour();
    emit(s.output.as_deref(), |out| {
        report::render_styled(&report, s.format, color, out)
    })?;
    if let Some(dir) = &s.watch.history {
        let figures = snapshot_figures(&data, &opts, &s.model, s.watch.every)?;
        note_stored(dir, &history::store(dir, &figures)?);
    }
    Ok(Outcome {
        alert: report.utilisation.as_ref().and_then(alert_line),
    })
}

/// `compare`: two reports and their differences.
pub fn compare_periods(s: &CompareSettings) -> Result<Outcome> {
    let read = |(paths, opts): &(Vec<PathBuf>, Options)| -> Result<model::Report> {
        let (data, [opts]) = read_data(paths, &s.ingest, s.anonymize, [opts])?;
        model::analyze(&data, &opts)
    };
    let (b, c) = if s.baseline.0 == s.current.0 {
        let both = [&s.baseline.1, &s.current.1];
        let (data, [b, c]) = read_data(&s.baseline.0, &s.ingest, s.anonymize, both)?;
        (model::analyze(&data, &b)?, model::analyze(&data, &c)?)
    } else {
        (read(&s.baseline)?, read(&s.current)?)
    };
    let cmp = CompareReport {
        schema_version: SCHEMA_VERSION,
        comparison: compare(&b, &c),
    };
    for w in &cmp.comparison.warnings {
        eprintln!("warning: {w}");
    }
    emit(s.output.as_deref(), |out| {
        report::compare::render(&cmp, s.format, out)
    })?;
    Ok(Outcome::default())
}

/// The `compare` output.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompareReport {
    /// JSON contract version.
    pub schema_version: u32,
    /// The comparison.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// `trend`: fresh periods from the exports merged with the history.
pub fn trend(s: &TrendSettings) -> Result<Outcome> {
    let every: Every = s.watch.every;
    let mut option_warnings = Vec::new();
    let (fresh, now) = if s.paths.is_empty() {
        (Vec::new(), None)
    } else {
        let (data, [opts]) = read_data(&s.paths, &s.ingest, s.anonymize, [&s.model])?;
        let whole = model::analyze(&data, &opts)?;
        let now = whole.sizing.map(|z| z.now.size);
        option_warnings = whole.warnings;
        (snapshot_figures(&data, &opts, &s.model, every)?, now)
    };
    let (stored, damaged) = match &s.watch.history {
        Some(dir) => {
            let (found, damaged) = history::load(dir, every)?;
            (found, damaged)
        }
        None => (Vec::new(), Vec::new()),
    };
    let skipped: Vec<String> = damaged
        .iter()
        .map(|d| format!("{}: {}", d.path.display(), d.message))
        .collect();
    for line in &skipped {
        eprintln!("warning: skipped snapshot {line}");
    }
    let mut t: TrendReport = trend_report(
        every,
        s.model.tz.name(),
        &fresh,
        &stored,
        skipped,
        &s.model.capacity.server,
        now.as_ref(),
    );
    t.warnings.splice(0..0, option_warnings);
    for w in &t.warnings {
        eprintln!("warning: {w}");
    }
    emit(s.output.as_deref(), |out| {
        report::trend::render(&t, s.format, out)
    })?;
    if let Some(dir) = s.watch.history.as_ref().filter(|_| !fresh.is_empty()) {
        note_stored(dir, &history::store(dir, &fresh)?);
    }
    Ok(Outcome {
        alert: t.utilisation.as_ref().and_then(alert_line),
    })
}

/// The figures of every period, analysed with `used` (the options as mapped for
/// `--anonymize`) but fingerprinted by `given` (as typed), so that plain and anonymised runs
/// with the same options share one history.
fn snapshot_figures(
    data: &ingest::Dataset,
    used: &Options,
    given: &Options,
    every: Every,
) -> Result<Vec<crate::model::trend::PeriodFigures>> {
    let mut figures = period_figures(data, used, every)?;
    let fingerprint = options_fingerprint(given);
    for f in &mut figures {
        f.options.clone_from(&fingerprint);
    }
    Ok(figures)
}

/// Reads the inputs; with `--anonymize`, replaces every name by its pseudonym and maps
/// each of `opts` the same way, so options naming users or content still match.
fn read_data<const N: usize>(
    paths: &[PathBuf],
    ingest: &ingest::IngestOptions,
    anonymize: bool,
    opts: [&Options; N],
) -> Result<(ingest::Dataset, [Options; N])> {
    let mut data = ingest::read_inputs(paths, ingest)?;
    if !anonymize {
        return Ok((data, opts.map(Options::clone)));
    }
    let p = Pseudonyms::new(&data, &opts);
    p.apply(&mut data);
    Ok((data, opts.map(|o| p.options(o))))
}

/// Colour only on a terminal, and never with `NO_COLOR` set (to anything but "").
fn stdout_wants_colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A ticking spinner on stderr while a long analysis runs; hidden unless stderr is a
/// terminal, so logs and pipes see nothing.
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

/// Writes to `path` atomically, or to stdout.
fn emit(path: Option<&Path>, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    match path {
        Some(p) => crate::atomic::write(p, render),
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            render(&mut out).map_err(|e| crate::Error::io("<stdout>", e))?;
            out.flush().map_err(|e| crate::Error::io("<stdout>", e))
        }
    }
}

/// One stderr line about the history.
fn note_stored(dir: &Path, stored: &[Stored]) {
    let written = stored
        .iter()
        .filter(|s| matches!(s, Stored::Written(_)))
        .count();
    let kept = stored.len() - written;
    eprintln!(
        "history: {written} period snapshot(s) written to {}{}",
        dir.display(),
        if kept > 0 {
            format!(", {kept} kept (the stored version covers more of its period)")
        } else {
            String::new()
        }
    );
}

/// The alert line when utilisation reached the threshold.
fn alert_line(u: &Utilisation) -> Option<String> {
    let at = u.alert_at?;
    u.alert.then(|| {
        let detail = match u.limited_by.as_str() {
            "ram" => format!(
                "{} GiB of RAM needed of {} GiB",
                u.ram_gib_needed,
                u.capacity_ram_gib.unwrap_or(0.0)
            ),
            _ => format!(
                "{} cores needed of {}",
                u.cores_needed,
                u.capacity_cores.unwrap_or(0)
            ),
        };
        format!(
            "alert: utilisation {:.0} % is at or above {:.0} % ({detail})",
            u.utilisation * 100.0,
            at * 100.0
        )
    })
}
