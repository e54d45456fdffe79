//! `--format` and `-o`: where and how `analyze`, `compare` and `trend` write.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::report::Format;

/// `--format` values; each maps onto [`Format`], the renderers' own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Aligned tables for a terminal.
    Terminal,
    /// The documented JSON contract.
    Json,
    /// GitHub-flavoured Markdown: the report's sections and tables, for wikis and e-mail.
    Markdown,
    /// One self-contained HTML page with charts (opens offline, prints well).
    Html,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Terminal => Format::Terminal,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
        }
    }
}

/// Where and how a command writes its result (shared by `analyze`, `compare`, `trend`).
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Output format; default: from the -o extension (.json, .md/.markdown, .html/.htm),
    /// else terminal.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the result to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// The format: as given, else from the output file's extension.
    pub fn format(&self) -> Format {
        self.format
            .map_or_else(|| Format::from_path(self.output.as_deref()), Format::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_extension_picks_the_format() {
        use std::path::Path;
        let f = |p: &str| Format::from_path(Some(Path::new(p)));
        assert_eq!(f("r.json"), Format::Json);
        assert_eq!(f("r.md"), Format::Markdown);
        assert_eq!(f("r.MARKDOWN"), Format::Markdown);
        assert_eq!(f("out/report.html"), Format::Html);
        assert_eq!(f("report.HTM"), Format::Html);
        assert_eq!(f("report.txt"), Format::Terminal);
        assert_eq!(f("report"), Format::Terminal);
        assert_eq!(Format::from_path(None), Format::Terminal);
    }

    #[test]
    fn an_explicit_format_wins_over_the_extension() {
        let o = OutputArgs {
            format: Some(FormatArg::Json),
            output: Some(PathBuf::from("r.html")),
        };
        assert_eq!(o.format(), Format::Json);
    }
}
