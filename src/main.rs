#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    // color-eyre formats panics; the terminal program installs its own hook on top that restores the
    // terminal first, so a report always prints on a clean screen.
    let _ = color_eyre::install();
    let cli = chartroom::cli::Cli::parse();
    match chartroom::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chartroom: {e}");
            std::process::ExitCode::from(e.status)
        }
    }
}
