//! `completions SHELL`: shell completions generated from the one clap definition
//! ([`crate::cli::Cli`]), so they never drift from the arguments.

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to `out`.
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = <crate::cli::Cli as CommandFactory>::command();
    let name = cmd.get_name().to_string();
    // clap_complete panics on a failed write (`| head`): render to memory, then write.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    out.write_all(&script)?;
    out.flush()
}
