//! `man`: the roff man page connect-capacity(1), generated from the one clap definition
//! ([`crate::cmd::Cli`]) with clap_mangen, so it never drifts from the arguments.
//!
//! One page holds every command: the top-level sections, then a section per subcommand
//! with its synopsis, description and options (clap_mangen's own subcommand list points
//! to one page per subcommand, which the packages do not ship). The page carries the
//! crate version only, never the git commit (see [`crate::version`]).

use std::io::{self, Write};

use clap::CommandFactory;
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

/// Arguments of `man` (none).
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Writes the man page to `out`.
pub fn write(_args: &ManArgs, out: &mut dyn Write) -> io::Result<()> {
    let cmd = <crate::cmd::Cli as CommandFactory>::command()
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    let mut page = Vec::new();
    let man = Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut cmd = cmd;
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_subcommand(sub, &mut page)?;
    }
    closing_sections().to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    out.write_all(without_repeated_preamble(&page).as_bytes())?;
    out.flush()
}

/// The page with the two preamble lines that every clap_mangen call writes kept once.
fn without_repeated_preamble(page: &[u8]) -> String {
    let text = String::from_utf8_lossy(page);
    let mut seen = [false; 2];
    let mut kept = String::with_capacity(text.len());
    for line in text.lines() {
        if let Some(i) = PREAMBLE.iter().position(|p| *p == line) {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// What roff's writer puts before its content (a portable apostrophe).
const PREAMBLE: [&str; 2] = [r".ie \n(.g .ds Aq \(aq", ".el .ds Aq '"];

/// One subcommand as a section `COMMAND NAME`: its description, synopsis and options,
/// clap_mangen's section headings turned into subsection headings.
fn render_subcommand(sub: &clap::Command, page: &mut Vec<u8>) -> io::Result<()> {
    let heading = format!("COMMAND {}", sub.get_name().to_uppercase());
    Roff::new()
        .control("SH", [heading.as_str()])
        .to_writer(&mut *page)?;
    let man = Man::new(sub.clone());
    let mut body = Vec::new();
    man.render_description_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    man.render_options_section(&mut body)?;
    let body = String::from_utf8_lossy(&body);
    for line in body.lines() {
        match line.strip_prefix(".SH ") {
            Some("DESCRIPTION") => {}
            Some(title) => writeln!(page, ".SS {title}")?,
            None => writeln!(page, "{line}")?,
        }
    }
    Ok(())
}

/// Exit status, environment and where the rest of the documentation is.
fn closing_sections() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in EXIT_CODES {
        roff.control("TP", [])
            .text([bold(*code)])
            .text([roman(*meaning)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (var, meaning) in ENVIRONMENT {
        roff.control("TP", [])
            .text([bold(*var)])
            .text([roman(*meaning)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "README.md (in /usr/share/doc/connect-capacity when installed from a package): \
         usage, report formats, metric definitions, the JSON contract and the scheduled \
         runs (cron and the systemd timer connect-capacity.timer).",
    )]);
    roff
}

/// Exit codes, as in main.rs and the README.
const EXIT_CODES: &[(&str, &str)] = &[
    (
        "0",
        "Success (also when the reader of a pipe goes away early).",
    ),
    (
        "1",
        "Runtime or data error: unreadable file, unknown export, unparseable value.",
    ),
    (
        "2",
        "Usage error: unknown flag, bad value, a config file that cannot be used.",
    ),
    (
        "3",
        "Alert: utilisation reached --alert-at (the report is written first).",
    ),
];

/// Environment variables the tool reads.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "CONNECT_API_KEY",
        "The Connect API key for fetch and analyze --server (no flag takes it).",
    ),
    ("CONNECT_SERVER", "Default of fetch --server."),
    ("NO_COLOR", "When set, the terminal report has no colour."),
];

/// Runs the command: the text to stdout.
pub fn run(args: &ManArgs) -> anyhow::Result<super::Outcome> {
    write(args, &mut io::stdout().lock())?;
    Ok(super::Outcome::default())
}
