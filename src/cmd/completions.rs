//! `completions SHELL`: shell completions generated from the one clap definition
//! ([`crate::cmd::Cli`]), so they never drift from the arguments.

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
pub fn write(args: &CompletionsArgs, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = <crate::cmd::Cli as CommandFactory>::command();
    let name = cmd.get_name().to_string();
    // clap_complete panics on a failed write (`| head`): render to memory, then write.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, name, &mut script);
    out.write_all(&script)?;
    out.flush()
}

/// Runs the command: the text to stdout.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<super::Outcome> {
    write(args, &mut io::stdout().lock())?;
    Ok(super::Outcome::default())
}
