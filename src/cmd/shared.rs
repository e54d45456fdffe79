//! What several commands share: reading the inputs (with `--anonymize`), the history's
//! period figures, writing to a file or stdout, the spinner and the alert line.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

use crate::anonymize::Pseudonyms;
use crate::error::Result;
use crate::format::{count, percent, short};
use crate::history::Aliases;
use crate::history::Stored;
use crate::ingest;
use crate::model::over_time::trend::{
    legacy_fingerprint, options_fingerprint, period_figures, Every, Utilisation,
};
use crate::model::Options;
use crate::report::{self, Format, Renderable};

/// The figures of every period, analysed with `used` (the options as mapped for
/// `--anonymize`) but fingerprinted by `given` (as typed), so that plain and anonymised runs
/// with the same options share one history.
pub(super) fn snapshot_figures(
    data: &ingest::Dataset,
    used: &Options,
    given: &Options,
    every: Every,
) -> Result<Vec<crate::model::over_time::trend::PeriodFigures>> {
    let mut figures = period_figures(data, used, every)?;
    let fingerprint = options_fingerprint(given);
    for f in &mut figures {
        f.options.clone_from(&fingerprint);
    }
    Ok(figures)
}

/// Reads the inputs; with `--anonymize`, replaces every name by its pseudonym and maps
/// each of `opts` the same way, so options naming users or content still match.
pub(super) fn read_data<const N: usize>(
    paths: &[PathBuf],
    ingest: &ingest::IngestOptions,
    anonymize: bool,
    opts: [&Options; N],
    output: Option<&Path>,
) -> Result<(ingest::Dataset, [Options; N])> {
    let mut data = ingest::read_inputs(paths, ingest)?;
    refuse_output_over_input(output, &data)?;
    for f in &data.notes.skipped_files {
        eprintln!(
            "note: skipped {}: not a Posit Connect export (header: {})",
            f.path.display(),
            f.header
        );
    }
    if !anonymize {
        return Ok((data, opts.map(Options::clone)));
    }
    let p = Pseudonyms::new(&data, &opts);
    p.apply(&mut data);
    Ok((data, opts.map(|o| p.options(o))))
}

/// `-o` naming a file this run read as an export is a usage error: the report would
/// replace the export (`analyze exports -o exports/visits.csv`). Paths are compared
/// absolute and free of links; a new file cannot be an input.
fn refuse_output_over_input(output: Option<&Path>, data: &ingest::Dataset) -> Result<()> {
    let Some(real) = output.and_then(|o| std::fs::canonicalize(o).ok()) else {
        return Ok(());
    };
    // The files read, and the files rows came from (a Chronicle metric's Parquet files).
    let read = data
        .files
        .iter()
        .map(|f| &f.path)
        .chain(&data.row_files)
        .find(|p| std::fs::canonicalize(p).is_ok_and(|p| p == real));
    match read {
        Some(p) => Err(crate::Error::Usage(format!(
            "-o {}: this is the export {} that this run reads; the report would replace \
             it. Write the report to another file",
            output.unwrap_or(&real).display(),
            p.display()
        ))),
        None => Ok(()),
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set (to anything but "").
fn stdout_wants_colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A ticking spinner on stderr while a long analysis runs; hidden unless stderr is a
/// terminal, so logs and pipes see nothing.
pub(super) fn spinner(message: &'static str) -> ProgressBar {
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

/// Writes `item` in `format` to `path` atomically, or to stdout (coloured when stdout
/// is a terminal that wants colour).
pub(super) fn emit<T: Renderable>(item: &T, format: Format, path: Option<&Path>) -> Result<()> {
    match path {
        Some(p) => report::write_atomically(item, format, p),
        None => {
            let color = stdout_wants_colour();
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report::render(item, format, color, &mut out)
                .map_err(|e| crate::Error::io("<stdout>", e))?;
            out.flush().map_err(|e| crate::Error::io("<stdout>", e))
        }
    }
}

/// The history's aliases for `given` (the options as typed): snapshots that 0.1.0 stored
/// under its older fingerprint of the same options count as made with them. None when
/// `given` sets an option 0.1.0 did not have.
pub(super) fn history_aliases(given: &Options) -> Aliases {
    match legacy_fingerprint(given) {
        Some(legacy) => Aliases::new(legacy, options_fingerprint(given)),
        None => Aliases::none(),
    }
}

/// One stderr line about the history.
pub(super) fn note_stored(dir: &Path, stored: &[Stored]) {
    let written = stored
        .iter()
        .filter(|s| matches!(s, Stored::Written(_)))
        .count();
    let kept = stored.len() - written;
    eprintln!(
        "history: {} period snapshot(s) written to {}{}",
        count(written),
        dir.display(),
        if kept > 0 {
            format!(
                ", {} kept (the stored version covers more of its period)",
                count(kept)
            )
        } else {
            String::new()
        }
    );
}

/// The alert line when utilisation reached the threshold.
pub(super) fn alert_line(u: &Utilisation) -> Option<String> {
    let at = u.alert_at?;
    u.alert.then(|| {
        let detail = match u.limited_by.as_str() {
            "ram" => format!(
                "{} GiB of RAM needed of {} GiB",
                count(u.ram_gib_needed),
                short(u.capacity_ram_gib.unwrap_or(0.0), 2)
            ),
            _ => format!(
                "{} cores needed of {}",
                count(u.cores_needed),
                count(u.capacity_cores.unwrap_or(0))
            ),
        };
        format!(
            "alert: utilisation {} is at or above {} ({detail})",
            percent(u.utilisation, 0),
            percent(at, 0)
        )
    })
}
