//! Reading a signature code on the command line: from the terminal without echo (raw mode, so the
//! code never shows on screen nor in the scrollback), or from standard input when a script says so
//! with `--signature-stdin`. Never from an argument or the environment, which other accounts on the
//! host can read (`ps`, `/proc`).

use super::CliError;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::io::{BufRead, IsTerminal, Write};

/// Asks for a code with `prompt`: one line of standard input when `from_stdin`, else typed at the
/// terminal unseen. Refused when neither is possible.
pub fn read_code(prompt: &str, from_stdin: bool) -> Result<String, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::new(format!("could not read the signature code from standard input: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(CliError::new(
            "a signature code is needed and there is no terminal to ask it on; give it on standard input \
             with --signature-stdin"
                .into(),
        ));
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}: ");
    let _ = err.flush();
    crossterm::terminal::enable_raw_mode().map_err(|e| CliError::new(format!("the terminal: {e}")))?;
    let typed = typed_unseen();
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = writeln!(err);
    typed
}

/// Keys until Enter, nothing echoed. Esc or Ctrl-C gives up.
fn typed_unseen() -> Result<String, CliError> {
    let mut code = String::new();
    loop {
        let key = match event::read().map_err(|e| CliError::new(format!("the terminal: {e}")))? {
            Event::Key(key) if key.kind != KeyEventKind::Release => key,
            _ => continue,
        };
        match key.code {
            KeyCode::Enter => return Ok(code),
            KeyCode::Esc => return Err(CliError::new("cancelled".into())),
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return Err(CliError::new("cancelled".into()));
            }
            KeyCode::Backspace => {
                code.pop();
            }
            KeyCode::Char(c) => code.push(c),
            _ => {}
        }
    }
}
