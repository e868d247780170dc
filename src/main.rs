//! The `runner-medic` binary: parse the command line, run, map the outcome
//! to an exit status (0 fine, 1 unhealthy runners found when asked to
//! fail on them, 2 an error).

use std::process::ExitCode;

use clap::Parser;

use runner_medic::app;
use runner_medic::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // File names and contents can carry terminal escapes.
            let text = runner_medic::app::error_text(&e);
            eprintln!(
                "runner-medic: error: {}",
                runner_medic::redact::escape_controls(&text)
            );
            ExitCode::from(2)
        }
    }
}
