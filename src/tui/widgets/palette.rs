//! The command palette (`:` or Ctrl-P): named commands with completion, VistA-style arguments.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCommand {
    Lookup,
    Chart,
    Mrn(String),
    Help,
    Quit,
}

/// Every command: name, argument hint, description. Later screens add theirs here.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("lookup", "", "Chart lookup (screen 1)"),
    ("chart", "", "The open chart (screen 2)"),
    ("mrn", " MRN", "Open a chart by MRN: mrn 1002345"),
    ("help", "", "All keys"),
    ("quit", "", "Quit chartroom"),
];

#[derive(Debug, Clone, Default)]
pub struct PaletteState {
    pub input: String,
    pub selected: usize,
}

impl PaletteState {
    /// Commands whose name starts with what was typed (before any argument).
    pub fn matches(&self) -> Vec<&'static (&'static str, &'static str, &'static str)> {
        let word = self.input.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
        COMMANDS.iter().filter(|(name, _, _)| name.starts_with(&word)).collect()
    }

    /// `None`: still open. `Some(Ok(None))`: closed. `Some(Ok(Some(c)))`: run `c`. `Some(Err)`: say why.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Result<Option<PaletteCommand>, String>> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Some(Ok(None)),
            KeyCode::Enter => return Some(self.parse()),
            KeyCode::Tab => {
                if let Some((name, _, _)) = self.matches().get(self.selected) {
                    let rest: Vec<&str> = self.input.split_whitespace().skip(1).collect();
                    self.input =
                        if rest.is_empty() { format!("{name} ") } else { format!("{name} {}", rest.join(" ")) };
                    self.selected = 0;
                }
            }
            KeyCode::Down => self.selected = (self.selected + 1).min(self.matches().len().saturating_sub(1)),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Backspace => {
                self.input.pop();
                self.selected = 0;
            }
            KeyCode::Char('u') if ctrl => self.input.clear(),
            KeyCode::Char(c) if !ctrl && !crate::domain::text::is_unsafe_char(c) && self.input.len() < 60 => {
                self.input.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        None
    }

    fn parse(&self) -> Result<Option<PaletteCommand>, String> {
        let mut words = self.input.split_whitespace();
        let typed = words.next().unwrap_or("").to_ascii_lowercase();
        let argument: Vec<&str> = words.collect();
        let matches = self.matches();
        let name = if COMMANDS.iter().any(|(n, _, _)| *n == typed) {
            typed.as_str()
        } else {
            match matches.get(self.selected) {
                Some((name, _, _)) => name,
                None => {
                    return Err(format!(
                        "no command {:?}; Tab completes, Esc closes",
                        crate::domain::text::clean(&typed)
                    ));
                }
            }
        };
        Ok(Some(match name {
            "lookup" => PaletteCommand::Lookup,
            "chart" => PaletteCommand::Chart,
            "help" => PaletteCommand::Help,
            "quit" => PaletteCommand::Quit,
            "mrn" => {
                let mrn = argument.join("");
                crate::domain::mrn::Mrn::parse(&mrn).map_err(|e| e.to_string())?;
                PaletteCommand::Mrn(mrn)
            }
            _ => return Err("unknown command".into()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> PaletteState {
        let mut p = PaletteState::default();
        for c in text.chars() {
            assert!(p.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)).is_none());
        }
        p
    }

    fn enter(p: &mut PaletteState) -> Option<Result<Option<PaletteCommand>, String>> {
        p.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
    }

    #[test]
    fn completes_and_runs() {
        assert_eq!(enter(&mut typed("mrn 1002345")), Some(Ok(Some(PaletteCommand::Mrn("1002345".into())))));
        assert_eq!(enter(&mut typed("q")), Some(Ok(Some(PaletteCommand::Quit))));
        assert_eq!(enter(&mut typed("lo")), Some(Ok(Some(PaletteCommand::Lookup))));
        assert!(matches!(enter(&mut typed("mrn 12")), Some(Err(_))));
        assert!(matches!(enter(&mut typed("zzz")), Some(Err(_))));
        let mut p = typed("m");
        p.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        assert_eq!(p.input, "mrn ");
        assert_eq!(p.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)), Some(Ok(None)));
    }
}
