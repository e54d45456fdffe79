//! Library errors. Every message says what is wrong and what to do about it; data errors
//! name the file, line and column (`path:line: column 'x': ...`).

use std::path::PathBuf;

/// Errors the library returns. The binary maps them all to exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value that cannot be parsed, or a setting that makes no sense.
    #[error("{}:{line}: column '{column}': {message}", path.display())]
    Data {
        path: PathBuf,
        line: u64,
        column: String,
        message: String,
    },
    /// A CSV that is not valid CSV (unterminated quote, bad UTF-8 ...).
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A file whose header matches no known export.
    #[error(
        "{}: not a recognised Posit Connect export (header: {found}).\n  accepted headers:\n{accepted}",
        path.display()
    )]
    UnknownKind {
        path: PathBuf,
        found: String,
        accepted: String,
    },
    /// Reading or writing a file or directory failed. (The I/O error is part of the
    /// message, not a separate cause, so it is printed once.)
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// No input file was found.
    #[error("no export files found in {0}; pass CSV (or .csv.gz) exports or folders holding them. {NEEDED_EXPORTS}")]
    NoInputs(String),
    /// An invalid option value detected after argument parsing.
    #[error("{0}")]
    Usage(String),
    /// A config file (`--config`) that cannot be used. Exit code 2, like a bad flag.
    #[error("{}{}: {message}; see the README's config file section", path.display(), if *line > 0 { format!(":{line}:{column}") } else { String::new() })]
    Config {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

/// Which exports an analysis needs and the commands that make them: the message for a
/// folder without any, or with only content and user lists.
pub const NEEDED_EXPORTS: &str = "Sessions and visits come from a usage export: Shiny usage \
(R connectapi: `get_usage_shiny(client, limit = Inf)` saved with `write.csv`), content \
visits (`get_usage_static(client, limit = Inf)`), or posit-sdk-py's \
`client.metrics.usage.find()` saved with pandas `to_csv`; the content list \
(`get_content(client)`), users (`get_users(client)`) and jobs (`get_jobs()` of each \
content item) add settings, publishers and measured processes. \
`connect-capacity fetch --server URL --out DIR` (API key in CONNECT_API_KEY) writes them \
all.";

/// How to install a build with the `parquet` feature (Parquet and Posit Chronicle input,
/// Parquet tables) from the source folder: the one command every message and the README's
/// install section give.
pub const INSTALL_PARQUET: &str = "cargo install --locked --features parquet --path .";

/// Library result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A data error for `path:line`, column `column`.
    pub fn data(
        path: impl Into<PathBuf>,
        line: u64,
        column: &str,
        message: impl Into<String>,
    ) -> Self {
        Error::Data {
            path: path.into(),
            line,
            column: column.to_string(),
            message: message.into(),
        }
    }
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_gives_the_install_command_of_the_messages() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&format!("`{}`", super::INSTALL_PARQUET)),
            "README's install section and INSTALL_PARQUET differ"
        );
    }
}
