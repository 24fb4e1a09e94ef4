//! The command palette (`:` or Ctrl-P): named commands with completion, VistA-style arguments.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCommand {
    Lookup,
    Chart,
    Deficiencies,
    /// VistA's Quick Complete: `QC` (the selected rows), `QC=1-3`, `QC=1 3 4 03/03/2025`.
    QuickComplete {
        rows: Option<Vec<usize>>,
        resolved: Option<String>,
    },
    Mrn(String),
    Help,
    Quit,
}

/// Every command: name, argument hint, description. Later screens add theirs here.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("lookup", "", "Chart lookup (screen 1)"),
    ("chart", "", "The open chart (screen 2)"),
    ("deficiencies", "", "The deficiency queue (screen 3)"),
    ("mrn", " MRN", "Open a chart by MRN: mrn 1002345"),
    ("help", "", "All keys"),
    ("quit", "", "Quit chartroom"),
    ("QC", "=1-3 [date]", "Quick complete: selected or numbered rows"),
];

#[derive(Debug, Clone, Default)]
pub struct PaletteState {
    pub input: String,
    pub selected: usize,
}

impl PaletteState {
    /// Commands whose name starts with what was typed (before any argument).
    pub fn matches(&self) -> Vec<&'static (&'static str, &'static str, &'static str)> {
        let word = self.input.split(|c: char| c.is_whitespace() || c == '=').next().unwrap_or("").to_ascii_lowercase();
        COMMANDS.iter().filter(|(name, _, _)| name.to_ascii_lowercase().starts_with(&word)).collect()
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
        let trimmed = self.input.trim();
        if trimmed.len() >= 2 && trimmed[..2].eq_ignore_ascii_case("qc") {
            return parse_quick_complete(&trimmed[2..]).map(Some);
        }
        let mut words = self.input.split_whitespace();
        let typed = words.next().unwrap_or("").to_ascii_lowercase();
        let argument: Vec<&str> = words.collect();
        let matches = self.matches();
        let name = if COMMANDS.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(&typed)) {
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
        Ok(Some(match name.to_ascii_lowercase().as_str() {
            "lookup" => PaletteCommand::Lookup,
            "chart" => PaletteCommand::Chart,
            "deficiencies" => PaletteCommand::Deficiencies,
            "qc" => PaletteCommand::QuickComplete { rows: None, resolved: None },
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

/// `=1-3,5 03/03/2025`, `=2 4`, `` (nothing: the selected rows), ` 3/3/25` (a date only).
fn parse_quick_complete(rest: &str) -> Result<PaletteCommand, String> {
    let rest = rest.trim();
    let (rows_text, date_text) = match rest.strip_prefix('=') {
        Some(after) => {
            // Row numbers run until the first word with a slash or a dash between digits of a date.
            let words: Vec<&str> = after.split_whitespace().collect();
            let split =
                words.iter().position(|w| w.contains('/') || w.matches('-').count() == 2).unwrap_or(words.len());
            (Some(words[..split].join(" ")), words.get(split).map(|s| s.to_string()))
        }
        None if rest.is_empty() => (None, None),
        None => (None, Some(rest.to_string())),
    };
    let rows = match rows_text {
        Some(text) => Some(parse_rows(&text)?),
        None => None,
    };
    Ok(PaletteCommand::QuickComplete { rows, resolved: date_text })
}

/// VistA pre-selection: `1-3`, `1 3 4`, `1-3,5`.
pub fn parse_rows(text: &str) -> Result<Vec<usize>, String> {
    let mut rows = Vec::new();
    for part in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|p| !p.is_empty()) {
        let bad = || format!("{part:?} is not a row number or range (1-3, 2 4)");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a == 0 || b < a || b - a > 1000 {
                    return Err(bad());
                }
                rows.extend(a..=b);
            }
            None => {
                let n: usize = part.parse().map_err(|_| bad())?;
                if n == 0 {
                    return Err(bad());
                }
                rows.push(n);
            }
        }
    }
    if rows.is_empty() {
        return Err("name the rows: QC=1-3".into());
    }
    rows.dedup();
    Ok(rows)
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
    fn vista_pre_selection() {
        assert_eq!(parse_rows("1-3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_rows("2 4"), Ok(vec![2, 4]));
        assert_eq!(parse_rows("1-3,5"), Ok(vec![1, 2, 3, 5]));
        assert!(parse_rows("0").is_err());
        assert!(parse_rows("3-1").is_err());
        assert!(parse_rows("x").is_err());
        assert_eq!(
            enter(&mut typed("QC=1-3 03/03/2025")),
            Some(Ok(Some(PaletteCommand::QuickComplete {
                rows: Some(vec![1, 2, 3]),
                resolved: Some("03/03/2025".into())
            })))
        );
        assert_eq!(
            enter(&mut typed("qc")),
            Some(Ok(Some(PaletteCommand::QuickComplete { rows: None, resolved: None })))
        );
        assert_eq!(
            enter(&mut typed("QC=2 4")),
            Some(Ok(Some(PaletteCommand::QuickComplete { rows: Some(vec![2, 4]), resolved: None })))
        );
        assert!(matches!(enter(&mut typed("QC=a-b")), Some(Err(_))));
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
