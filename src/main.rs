#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    // color-eyre formats panics; the terminal program installs its own hook on top that restores the
    // terminal first, so a report always prints on a clean screen.
    let _ = color_eyre::install();
    let cli = match chartroom::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and the version go to stdout as clap writes them.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // clap quotes the arguments it refuses: the user's own text is cleaned of control
            // characters as data is, so a pasted escape sequence cannot act on the terminal.
            eprint!("{}", printable(&e.render().to_string()));
            return std::process::ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match chartroom::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote what the user typed (an MRN, a path, a name) beside what the data held.
            eprintln!("chartroom: {}", printable(&e.message));
            std::process::ExitCode::from(e.status)
        }
    }
}

fn printable(message: &str) -> String {
    chartroom::domain::text::clean_multiline(message)
}
