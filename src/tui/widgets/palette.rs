//! The command palette (`:` or Ctrl-P): named commands with completion, VistA-style arguments.

use crate::desk::queue_filter::FilterKey;
use crate::domain::text::clean;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The queue's bulk actions, by their two-letter VistA mnemonics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// `QC` quick complete, with an optional resolved date.
    Complete,
    /// `AS` assign or reassign to a provider (NPI).
    Assign,
    /// `PA` pause aging from one date to another, with a reason.
    Pause,
    /// `CM` comment: a message to the provider.
    Comment,
    /// `ST` move to a step of the ladder: DICTATED, TRANSCRIBED, SIGNED, REVIEWED, REJECTED.
    Step,
    /// `VD` void, with a reason (supervisor).
    Void,
}

impl BulkAction {
    fn from_mnemonic(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "QC" => Some(Self::Complete),
            "AS" => Some(Self::Assign),
            "PA" => Some(Self::Pause),
            "CM" => Some(Self::Comment),
            "ST" => Some(Self::Step),
            "VD" => Some(Self::Void),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteCommand {
    Lookup,
    Chart,
    Deficiencies,
    /// A bulk action in VistA's grammar: `QC` (the selected rows), `QC=1-3`, `AS=2 4 NPI`,
    /// `PA=1-3 02/20/2025 02/25/2025 chart in coding`, `CM=1 text…`. `args` are the words after the rows.
    Bulk {
        action: BulkAction,
        rows: Option<Vec<usize>>,
        args: Vec<String>,
    },
    Mrn(String),
    /// The physician view: everything one physician owes.
    Physician(String),
    /// Run the overnight job now.
    Nightly,
    /// `import csv DIR` or `import fhir PATH…`, with `facility=CODE` when the store has several,
    /// and `into-demo` when real records are meant to go into the demo hospital.
    Import {
        fhir: bool,
        paths: Vec<std::path::PathBuf>,
        facility: Option<String>,
        into_demo: bool,
    },
    /// Narrow the queue: `filter type=DS-D service=SURGERY facility=RGH category=SUMMARY status=OPEN
    /// mrn=204511`; `filter` alone clears them. The desk checks the values.
    Filter(Vec<(FilterKey, String)>),
    /// Take items to work: the rows named, else the selected ones, else the highlighted one.
    Take(Option<Vec<usize>>),
    /// Give items up, named as for `Take`.
    Release(Option<Vec<usize>>),
    /// The session's messages, in full (`:messages`).
    Messages,
    /// Release of information: `roi` and its subcommands.
    Roi(RoiPalette),
    /// `accounting MRN [DATE]`, `accounting void why`, `accounting print`.
    Accounting(AccountingPalette),
    /// The Director's ROI figures: `roi-stats`, or `roi-stats FROM TO` (the days as typed; the
    /// model reads them against today).
    RoiStats(Option<(String, String)>),
    /// The privacy office's list of break-the-glass events.
    Privacy,
    /// The file room (screen 5); `scan` opens it on the scan line.
    FileRoom {
        scan: bool,
    },
    /// The file room's pull list of a day (as typed; the model reads it against today).
    PullList(Option<String>),
    /// The highlighted pull-list request cannot be filled, and why.
    NotFillable(String),
    Help,
    Quit,
}

/// What `:roi …` asks for. Dates and amounts stay as typed: the model checks them against today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoiPalette {
    /// The ROI queue (screen 4).
    Queue,
    /// Narrow the queue: `status=pended,on_hold type=subpoena requester=smith assigned=me|none|USER
    /// overdue due=5`, or `clear`.
    Filter(Vec<(String, String)>),
    /// A new request for the patient with this MRN.
    New(String),
    /// A request by its number.
    Open(String),
    /// A step of the status machine, with the reason typed after it.
    Step {
        step: crate::domain::roi::status::Step,
        reason: String,
    },
    /// Assign the request: a username, `me`, or `none`.
    Assign(String),
    Extend {
        to: String,
        reason: String,
    },
    Pay {
        on: String,
        amount: String,
    },
    Release {
        on: Option<String>,
    },
    /// The authorization form for the request on screen.
    Authorization,
    /// A paper received for the request's subpoena or order, dated as typed: the assurance (with
    /// a note), a QPO, or a §2.64 order (its number, then its court).
    Legal {
        paper: LegalWhat,
        on: String,
        rest: String,
    },
    /// A write-off or refund of an amount on the request's invoice, or its void, with why.
    Adjust {
        kind: crate::domain::roi::fees::AdjustmentKind,
        amount: Option<String>,
        reason: String,
    },
}

/// Which paper `:roi assurance|qpo|order` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalWhat {
    Assurance,
    Qpo,
    Part2Order,
}

/// What `:accounting …` asks for. The date stays as typed: the model checks it against today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountingPalette {
    Open { mrn: String, date: Option<String> },
    Void { reason: String },
    Print,
    Deliver,
}

/// Every command: name, argument hint, description. Later screens add theirs here.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("lookup", "", "Chart lookup (screen 1)"),
    ("chart", "", "The open chart (screen 2)"),
    ("deficiencies", "", "The deficiency queue (screen 3)"),
    ("mrn", " MRN", "Open a chart by MRN: mrn 100234"),
    ("physician", " NAME|NPI", "What one physician owes: physician patel"),
    ("nightly", "", "Run the nightly deficiency job now"),
    ("import", " csv DIR | fhir PATH…", "Import a Synthea export [facility=CODE] [into-demo]"),
    ("filter", " type= service= …", "Narrow the queue; alone: clear"),
    ("take", " [rows]", "Take selected or numbered rows to work"),
    ("release", " [rows]", "Give up selected or numbered rows"),
    ("roi", " [status= type= overdue due=N…]", "The release-of-information queue (screen 4), narrowed"),
    ("roi new", " MRN", "Log a new release-of-information request"),
    ("roi open", " RGH-00041", "Open a request by its number"),
    ("roi assign", " USER|me|none", "Assign the request on screen or highlighted"),
    ("roi pend", " why", "Pend the request: the requester must supply something"),
    ("roi hold", " why", "Put the request on hold"),
    ("roi exception", " why", "Raise an exception on the request"),
    ("roi rework", " why", "Send the request back from QC"),
    ("roi reject", " why", "Reject the request (a rejection letter goes out)"),
    ("roi cancel", " why", "Cancel a request entered in error (supervisor)"),
    ("roi extend", " DATE why", "Extend the due date once, with written notice"),
    ("roi pay", " DATE AMOUNT", "Record a payment for the request"),
    ("roi write-off", " AMOUNT why", "Write off part of the invoice's balance (supervisor)"),
    ("roi refund", " AMOUNT why", "Refund money paid on the invoice (supervisor)"),
    ("roi void-invoice", " why", "Void an invoice nothing is paid on (supervisor)"),
    ("roi release", " [DATE]", "Release the records: the disclosure is recorded"),
    ("roi assurance", " DATE [note]", "Record the subpoena's satisfactory assurance (164.512(e))"),
    ("roi qpo", " DATE", "Record a qualified protective order for the subpoena"),
    ("roi order", " DATE NUMBER court", "Record a §2.64 order authorizing Part 2 records"),
    ("accounting", " MRN [DATE]", "The patient's accounting of disclosures (164.528)"),
    ("accounting void", " why", "Void the highlighted disclosure (supervisor)"),
    ("accounting print", "", "Print the accounting on screen (text and PDF)"),
    ("accounting deliver", "", "Deliver the accounting on screen to the patient, recorded"),
    ("roi-stats", " [FROM TO]", "The Director's ROI figures, for the days typed (supervisor)"),
    ("roi authorization", "", "Key the authorization received for the request, its checklist live"),
    ("privacy", "", "Restricted charts opened past their warning, newest first (privacy officer)"),
    ("file-room", "", "The file room (screen 5): scan, overdue, missing, pull list"),
    ("scan", "", "Scan mode: a location, then volumes to move them there"),
    ("pull-list", " [DATE]", "The file room's pull list of a day, in terminal-digit order"),
    ("not-fillable", " why", "Mark the highlighted pull-list request not fillable"),
    ("messages", "", "Every message of this session"),
    ("help", "", "All keys"),
    ("quit", "", "Quit chartroom"),
    ("QC", "=1-3 [date]", "Quick complete: selected or numbered rows"),
    ("AS", "=1-3 NAME|NPI", "Assign rows to a provider"),
    ("PA", "=1-3 FROM TO why", "Pause aging of rows"),
    ("CM", "=1-3 text", "Comment to the provider on rows"),
    ("ST", "=1-3 SIGNED", "Move rows along the ladder"),
    ("VD", "=1-3 reason", "Void rows (supervisor)"),
];

/// Characters the command line holds: room for a comment of the desk's longest (255) with its
/// rows and dates.
pub const MAX_INPUT: usize = 320;

/// Commands that do nothing without an argument: Enter on one of them highlighted completes its
/// name into the input instead of running it.
const NEEDS_ARGUMENT: &[&str] = &[
    "mrn",
    "physician",
    "import",
    "roi new",
    "roi open",
    "roi assign",
    "roi pend",
    "roi hold",
    "roi exception",
    "roi rework",
    "roi reject",
    "roi cancel",
    "roi extend",
    "roi pay",
    "roi write-off",
    "roi refund",
    "roi void-invoice",
    "roi assurance",
    "roi qpo",
    "roi order",
    "accounting",
    "accounting void",
    "not-fillable",
    "AS",
    "PA",
    "CM",
    "ST",
    "VD",
];

/// A provider the palette can complete: `physician patel` or `AS=1 patel` finds him by name or NPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderChoice {
    pub npi: String,
    /// `PATEL, ALICE`, as the chart shows physicians.
    pub name: String,
    pub specialty: String,
}

impl ProviderChoice {
    fn key(&self) -> String {
        letters(&self.name)
    }
}

/// Upper-case letters and digits only: `Patel, Al` and `PATEL AL` compare alike.
fn letters(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// One line of the palette's list: a command, or a provider while one is being named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteEntry {
    /// The name with its argument hint (`mrn MRN`), or the provider's name.
    pub label: String,
    pub description: String,
    /// What Tab (and Enter, for a command that needs an argument) puts in the input.
    completion: String,
}

#[derive(Debug, Clone, Default)]
pub struct PaletteState {
    pub input: String,
    pub selected: usize,
    /// The providers known to the desk, for completing a physician's name.
    pub providers: std::sync::Arc<Vec<ProviderChoice>>,
}

impl PaletteState {
    pub fn new(providers: std::sync::Arc<Vec<ProviderChoice>>) -> Self {
        Self { input: String::new(), selected: 0, providers }
    }

    /// The palette opened with text already typed (`CM ` from a chart's `m`).
    pub fn with_input(providers: std::sync::Arc<Vec<ProviderChoice>>, input: &str) -> Self {
        Self { input: input.to_string(), selected: 0, providers }
    }

    /// Commands whose name starts with what was typed (before any argument); then, while only a
    /// word of three letters or more is typed, those whose description has a word starting with
    /// it, so that a clerk who types `queue` finds the deficiency queue by what it is called.
    pub fn matches(&self) -> Vec<&'static (&'static str, &'static str, &'static str)> {
        let word = self.input.split(|c: char| c.is_whitespace() || c == '=').next().unwrap_or("").to_ascii_lowercase();
        // A command of two words (`roi pend`) is matched on both once a second is typed.
        let second = self.input.split_whitespace().nth(1).map(str::to_ascii_lowercase);
        let mut found: Vec<_> = COMMANDS
            .iter()
            .filter(|(name, _, _)| {
                let name = name.to_ascii_lowercase();
                let mut words = name.split(' ');
                let first = words.next().unwrap_or_default();
                match (words.next(), &second) {
                    (None, _) => name.starts_with(&word),
                    (Some(sub), Some(typed)) => first == word && (sub.starts_with(typed.as_str())),
                    (Some(_), None) => first.starts_with(&word),
                }
            })
            .collect();
        let one_word = !self.input.trim_end().contains(char::is_whitespace) && !self.input.contains('=');
        if one_word && word.chars().count() >= 3 {
            let described = COMMANDS.iter().filter(|command| {
                !found.contains(command)
                    && command
                        .2
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w.to_ascii_lowercase().starts_with(&word))
            });
            found.extend(described.collect::<Vec<_>>());
        }
        found
    }

    /// When a provider is being named (`physician pat`, `AS=1 pat`): the command as typed up to the
    /// name, and the name typed so far.
    fn naming_provider(&self) -> Option<(String, String)> {
        let trimmed = self.input.trim_start();
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("physician ") {
            return Some(("physician ".to_string(), trimmed[trimmed.len() - rest.len()..].trim().to_string()));
        }
        let mnemonic = trimmed.get(..2)?;
        if !mnemonic.eq_ignore_ascii_case("AS") {
            return None;
        }
        let after = &trimmed[2..];
        let (rows, name) = match after.strip_prefix('=') {
            Some(r) => {
                let words: Vec<&str> = r.split_whitespace().collect();
                let split = words.iter().position(|w| !is_rows(w)).unwrap_or(words.len());
                (format!("AS={} ", words[..split].join(" ")), words[split..].join(" "))
            }
            None if after.starts_with(char::is_whitespace) => ("AS ".to_string(), after.trim().to_string()),
            None => return None,
        };
        Some((rows, name))
    }

    /// Providers whose NPI or name (`PATEL, AL`, `patel al`) starts with what was typed.
    fn provider_matches(&self, typed: &str) -> Vec<&ProviderChoice> {
        let key = letters(typed);
        if key.is_empty() {
            return self.providers.iter().collect();
        }
        self.providers.iter().filter(|p| p.npi.starts_with(&key) || p.key().starts_with(&key)).collect()
    }

    /// The lines the palette lists under its input, in order; arrows move over them.
    pub fn entries(&self) -> Vec<PaletteEntry> {
        if let Some((command, typed)) = self.naming_provider() {
            return self
                .provider_matches(&typed)
                .into_iter()
                .map(|p| {
                    // A provider imported without an NPI is named, never by the store's key for it.
                    let npi = crate::domain::chart::npi_label(&p.npi);
                    let named_by = if npi == p.npi { npi.clone() } else { p.name.clone() };
                    PaletteEntry {
                        label: p.name.clone(),
                        description: if npi == p.npi {
                            format!("NPI {npi}  {}", p.specialty)
                        } else {
                            format!("{npi}  {}", p.specialty)
                        },
                        completion: format!("{command}{named_by}"),
                    }
                })
                .collect();
        }
        self.matches()
            .into_iter()
            .map(|(name, arg, description)| PaletteEntry {
                label: format!("{name}{arg}"),
                description: description.to_string(),
                completion: if NEEDS_ARGUMENT.contains(name) || !arg.is_empty() {
                    format!("{name} ")
                } else {
                    name.to_string()
                },
            })
            .collect()
    }

    /// `None`: still open. `Some(Ok(None))`: closed. `Some(Ok(Some(c)))`: run `c`. `Some(Err)`: say why.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Result<Option<PaletteCommand>, String>> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Some(Ok(None)),
            KeyCode::Enter => {
                // A highlighted command that needs an argument is completed, not run half-said.
                if self.naming_provider().is_none()
                    && !self.input.contains(char::is_whitespace)
                    && !self.input.contains('=')
                    && let Some((name, _, _)) = self.matches().get(self.selected)
                    && NEEDS_ARGUMENT.contains(name)
                    && !self.input.eq_ignore_ascii_case(name)
                {
                    self.input = format!("{name} ");
                    self.selected = 0;
                    return None;
                }
                return Some(self.parse());
            }
            KeyCode::Tab => {
                if let Some(entry) = self.entries().get(self.selected) {
                    let rest: Vec<&str> = self.input.split_whitespace().skip(1).collect();
                    self.input = if self.naming_provider().is_some() || rest.is_empty() {
                        entry.completion.clone()
                    } else {
                        format!("{} {}", entry.completion.trim_end(), rest.join(" "))
                    };
                    self.selected = 0;
                }
            }
            KeyCode::Down => self.selected = (self.selected + 1).min(self.entries().len().saturating_sub(1)),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => self.selected = (self.selected + 10).min(self.entries().len().saturating_sub(1)),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(10),
            KeyCode::Backspace => {
                self.input.pop();
                self.selected = 0;
            }
            KeyCode::Char('u') if ctrl => self.input.clear(),
            KeyCode::Char(c) if !ctrl && !crate::domain::text::is_unsafe_char(c) => {
                // A full line refuses the key out loud: text cut silently would be saved cut.
                if self.input.chars().count() >= MAX_INPUT {
                    return Some(Err(format!(
                        "The command line holds {MAX_INPUT} characters; nothing more was typed."
                    )));
                }
                self.input.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        None
    }

    /// The NPI of the provider named by `typed`: an NPI as typed, or the highlighted match.
    fn resolve_provider(&self, typed: &str) -> Result<String, String> {
        if typed.len() == 10 && typed.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(typed.to_string());
        }
        let matches = self.provider_matches(typed);
        if typed.trim().is_empty() {
            return Err("name the physician: a name (PATEL, AL) or a 10-digit NPI".into());
        }
        match matches.get(self.selected).or_else(|| matches.first()) {
            Some(p) => Ok(p.npi.clone()),
            None if self.providers.is_empty() && typed.bytes().all(|b| b.is_ascii_digit()) => {
                Err(format!("{typed:?}: an NPI has 10 digits"))
            }
            None => Err(format!("no provider matches {:?}; type a name (PATEL, AL) or an NPI", clean(typed))),
        }
    }

    fn parse(&self) -> Result<Option<PaletteCommand>, String> {
        let trimmed = self.input.trim();
        if let Some(action) = trimmed.get(..2).and_then(BulkAction::from_mnemonic)
            && trimmed[2..].chars().next().is_none_or(|c| c == '=' || c.is_whitespace())
        {
            let mut command = parse_bulk(action, &trimmed[2..])?;
            // `AS=1 patel`: the provider is named as a clerk names him; the desk gets his NPI.
            if let PaletteCommand::Bulk { action: BulkAction::Assign, args, .. } = &mut command
                && let Some((_, typed)) = self.naming_provider()
                && !typed.is_empty()
            {
                *args = vec![self.resolve_provider(&typed)?];
            }
            return Ok(Some(command));
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
                    return Err(format!("no command {:?}; Tab completes, Esc closes", clean(&typed)));
                }
            }
        };
        Ok(Some(match name.to_ascii_lowercase().as_str() {
            "lookup" => PaletteCommand::Lookup,
            "chart" => PaletteCommand::Chart,
            "deficiencies" => PaletteCommand::Deficiencies,
            "qc" => PaletteCommand::Bulk { action: BulkAction::Complete, rows: None, args: Vec::new() },
            "help" => PaletteCommand::Help,
            "messages" => PaletteCommand::Messages,
            "privacy" => PaletteCommand::Privacy,
            "file-room" => PaletteCommand::FileRoom { scan: false },
            "scan" => PaletteCommand::FileRoom { scan: true },
            "pull-list" => PaletteCommand::PullList(match argument.as_slice() {
                [] => None,
                [day] => Some(day.to_string()),
                _ => return Err("pull-list, or pull-list DATE (03/04/2025)".into()),
            }),
            "not-fillable" => {
                let reason = argument.join(" ");
                if reason.is_empty() {
                    return Err("not-fillable why: say why the chart cannot be pulled".into());
                }
                PaletteCommand::NotFillable(reason)
            }
            "quit" => PaletteCommand::Quit,
            "nightly" => PaletteCommand::Nightly,
            "import" => {
                let fhir = match argument.first().map(|k| k.to_ascii_lowercase()) {
                    Some(k) if k == "csv" => false,
                    Some(k) if k == "fhir" => true,
                    _ => {
                        return Err(
                            "import csv DIR, or import fhir PATH… (facility=CODE when there are several)".into()
                        );
                    }
                };
                let mut paths = Vec::new();
                let mut facility = None;
                let mut into_demo = false;
                for word in &argument[1..] {
                    match word.split_once('=') {
                        Some((key, code)) if key.eq_ignore_ascii_case("facility") => {
                            facility = Some(code.to_ascii_uppercase())
                        }
                        _ if word.eq_ignore_ascii_case("into-demo") => into_demo = true,
                        _ => paths.push(std::path::PathBuf::from(word)),
                    }
                }
                if paths.is_empty() || (!fhir && paths.len() > 1) {
                    return Err(if fhir {
                        "import fhir PATH…: name files or directories"
                    } else {
                        "import csv DIR: one directory"
                    }
                    .into());
                }
                PaletteCommand::Import { fhir, paths, facility, into_demo }
            }
            "filter" => {
                let mut terms = Vec::new();
                for word in &argument {
                    let (key, value) = word
                        .split_once('=')
                        .ok_or_else(|| format!("{word:?}: write key=value ({})", FilterKey::listed()))?;
                    let Some(key) = FilterKey::parse(key).filter(|_| !value.is_empty()) else {
                        return Err(format!("filter by {}, not {key:?}", FilterKey::listed()));
                    };
                    terms.push((key, value.to_string()));
                }
                PaletteCommand::Filter(terms)
            }
            "take" | "release" => {
                let rows = if argument.is_empty() { None } else { Some(parse_rows(&argument.join(" "))?) };
                if name.eq_ignore_ascii_case("take") {
                    PaletteCommand::Take(rows)
                } else {
                    PaletteCommand::Release(rows)
                }
            }
            "physician" => PaletteCommand::Physician(self.resolve_provider(&argument.join(" "))?),
            "roi" => PaletteCommand::Roi(parse_roi(&argument)?),
            "accounting" => PaletteCommand::Accounting(parse_accounting(&argument)?),
            "roi-stats" => PaletteCommand::RoiStats(match argument.as_slice() {
                [] => None,
                [from, to] => Some((from.to_string(), to.to_string())),
                _ => return Err("roi-stats, or roi-stats FROM TO (03/01/2025 03/31/2025)".into()),
            }),
            "mrn" => {
                let mrn = argument.join("");
                crate::domain::mrn::Mrn::parse(&mrn).map_err(|e| e.to_string())?;
                PaletteCommand::Mrn(mrn)
            }
            other => {
                return Err(format!("{} needs more: {}", other.to_ascii_uppercase(), self.hint_of(other)));
            }
        }))
    }

    fn hint_of(&self, name: &str) -> String {
        COMMANDS
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, arg, _)| format!("{n}{arg}"))
            .unwrap_or_default()
    }
}

/// `accounting`'s words after its name: `void why`, `print`, or an MRN and a day.
fn parse_accounting(words: &[&str]) -> Result<AccountingPalette, String> {
    match words.first().map(|w| w.to_ascii_lowercase()).as_deref() {
        Some("void") => Ok(AccountingPalette::Void { reason: words[1..].join(" ") }),
        Some("print") if words.len() == 1 => Ok(AccountingPalette::Print),
        Some("deliver") if words.len() == 1 => Ok(AccountingPalette::Deliver),
        Some(_) if words.len() <= 2 => {
            crate::domain::mrn::Mrn::parse(words[0]).map_err(|e| e.to_string())?;
            Ok(AccountingPalette::Open { mrn: words[0].to_string(), date: words.get(1).map(|d| d.to_string()) })
        }
        _ => Err("accounting MRN [DATE], accounting void why, accounting print, or accounting deliver".into()),
    }
}

/// `roi`'s words after its name: a subcommand and its arguments, a request number, or filters.
fn parse_roi(words: &[&str]) -> Result<RoiPalette, String> {
    use crate::domain::roi::status::Step;
    let rest = |from: usize| words.get(from..).map(|w| w.join(" ")).unwrap_or_default();
    let Some(first) = words.first() else { return Ok(RoiPalette::Queue) };
    let sub = first.to_ascii_lowercase();
    Ok(match sub.as_str() {
        "new" => {
            let mrn = rest(1).replace(' ', "");
            if mrn.is_empty() {
                return Err("roi new MRN: the patient's MRN".into());
            }
            crate::domain::mrn::Mrn::parse(&mrn).map_err(|e| e.to_string())?;
            RoiPalette::New(mrn)
        }
        "open" => {
            let number = rest(1);
            crate::domain::roi::RequestNumber::parse(&number)
                .ok_or_else(|| format!("{:?} is not a request number (RGH-00041)", clean(&number)))?;
            RoiPalette::Open(number)
        }
        "assign" => match words.get(1) {
            Some(who) if words.len() == 2 => RoiPalette::Assign(who.to_string()),
            _ => return Err("roi assign USER (or me, or none)".into()),
        },
        "extend" => match words.get(1) {
            Some(date) => RoiPalette::Extend { to: date.to_string(), reason: rest(2) },
            None => return Err("roi extend DATE why: the new due date (MM/DD/YYYY), then why".into()),
        },
        "pay" => match (words.get(1), words.get(2)) {
            (Some(on), Some(amount)) if words.len() == 3 => {
                RoiPalette::Pay { on: on.to_string(), amount: amount.to_string() }
            }
            _ => return Err("roi pay DATE AMOUNT: the day it was paid and the dollars (12.50)".into()),
        },
        "release" => match words.len() {
            1 => RoiPalette::Release { on: None },
            2 => RoiPalette::Release { on: Some(words[1].to_string()) },
            _ => return Err("roi release [DATE]: the day the records left (today when not given)".into()),
        },
        "authorization" if words.len() == 1 => RoiPalette::Authorization,
        "assurance" => match words.get(1) {
            Some(on) => RoiPalette::Legal { paper: LegalWhat::Assurance, on: on.to_string(), rest: rest(2) },
            None => return Err("roi assurance DATE [note]: the day the assurance came, then what it says".into()),
        },
        "qpo" => match words.get(1) {
            Some(on) if words.len() == 2 => {
                RoiPalette::Legal { paper: LegalWhat::Qpo, on: on.to_string(), rest: String::new() }
            }
            _ => return Err("roi qpo DATE: the day the qualified protective order came".into()),
        },
        "order" => match (words.get(1), words.get(2)) {
            (Some(on), Some(_)) if words.len() > 3 => {
                RoiPalette::Legal { paper: LegalWhat::Part2Order, on: on.to_string(), rest: rest(2) }
            }
            _ => return Err("roi order DATE NUMBER court: the §2.64 order's date, its number, then its court".into()),
        },
        "write-off" | "refund" => match words.get(1) {
            Some(amount) => RoiPalette::Adjust {
                kind: if sub == "refund" {
                    crate::domain::roi::fees::AdjustmentKind::Refund
                } else {
                    crate::domain::roi::fees::AdjustmentKind::WriteOff
                },
                amount: Some(amount.to_string()),
                reason: rest(2),
            },
            None => return Err(format!("roi {sub} AMOUNT why: the dollars (12.50), then why")),
        },
        "void-invoice" => {
            RoiPalette::Adjust { kind: crate::domain::roi::fees::AdjustmentKind::Void, amount: None, reason: rest(1) }
        }
        "clear" if words.len() == 1 => RoiPalette::Filter(vec![("clear".into(), String::new())]),
        _ if Step::parse(&sub).is_some() => {
            let step = Step::parse(&sub).ok_or("no such step")?;
            RoiPalette::Step { step, reason: rest(1) }
        }
        _ if words.len() == 1 && crate::domain::roi::RequestNumber::parse(first).is_some() => {
            RoiPalette::Open(first.to_string())
        }
        _ => {
            let mut terms = Vec::new();
            for word in words {
                let (key, value) = match word.split_once('=') {
                    Some((k, v)) => (k.to_ascii_lowercase(), v.to_string()),
                    None => (word.to_ascii_lowercase(), String::new()),
                };
                let known = matches!(key.as_str(), "status" | "type" | "requester" | "assigned" | "due")
                    && !value.is_empty()
                    || key == "overdue" && value.is_empty();
                if !known {
                    return Err(format!(
                        "roi {}: not understood; roi new MRN, roi RGH-00041, roi pend why…, or filters status= type= \
                         requester= assigned= overdue due=N",
                        clean(word)
                    ));
                }
                terms.push((key, value));
            }
            RoiPalette::Filter(terms)
        }
    })
}

fn is_rows(w: &&str) -> bool {
    w.split(',').all(|p| {
        !p.is_empty()
            && p.split('-').count() <= 2
            && p.split('-').all(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// `=1-3,5 03/03/2025`, `=2 4 1000000002`, `` (nothing: the selected rows), ` 3/3/25` (arguments only).
/// After `=`, words that read as row numbers or ranges are rows; the rest are the action's arguments.
fn parse_bulk(action: BulkAction, rest: &str) -> Result<PaletteCommand, String> {
    let rest = rest.trim();
    let (rows, args) = match rest.strip_prefix('=') {
        Some(after) => {
            let words: Vec<&str> = after.split_whitespace().collect();
            let split = words.iter().position(|w| !is_rows(w)).unwrap_or(words.len());
            (Some(parse_rows(&words[..split].join(" "))?), words[split..].iter().map(|w| w.to_string()).collect())
        }
        None => (None, rest.split_whitespace().map(str::to_string).collect()),
    };
    Ok(PaletteCommand::Bulk { action, rows, args })
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
    fn a_screen_is_found_by_what_it_is_called_too() {
        let names = |p: &PaletteState| p.matches().iter().map(|(name, _, _)| *name).collect::<Vec<_>>();
        assert_eq!(names(&typed("queue")), vec!["deficiencies", "filter", "roi"], "by the description's words");
        assert_eq!(enter(&mut typed("queue")), Some(Ok(Some(PaletteCommand::Deficiencies))));
        // A name still comes before a description that mentions it.
        assert_eq!(names(&typed("release"))[0], "release");
        // Two letters are a name's beginning only; an argument ends the search of descriptions.
        assert_eq!(names(&typed("qu")), vec!["quit"]);
        assert!(names(&typed("mrn queue")).contains(&"mrn") && !names(&typed("mrn queue")).contains(&"deficiencies"));
    }

    #[test]
    fn vista_pre_selection() {
        assert_eq!(parse_rows("1-3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_rows("2 4"), Ok(vec![2, 4]));
        assert_eq!(parse_rows("1-3,5"), Ok(vec![1, 2, 3, 5]));
        assert!(parse_rows("0").is_err());
        assert!(parse_rows("3-1").is_err());
        assert!(parse_rows("x").is_err());
        let bulk = |action, rows: Option<Vec<usize>>, args: &[&str]| {
            Some(Ok(Some(PaletteCommand::Bulk { action, rows, args: args.iter().map(|a| a.to_string()).collect() })))
        };
        assert_eq!(
            enter(&mut typed("QC=1-3 03/03/2025")),
            bulk(BulkAction::Complete, Some(vec![1, 2, 3]), &["03/03/2025"])
        );
        assert_eq!(enter(&mut typed("qc")), bulk(BulkAction::Complete, None, &[]));
        assert_eq!(enter(&mut typed("QC=2 4")), bulk(BulkAction::Complete, Some(vec![2, 4]), &[]));
        assert_eq!(enter(&mut typed("AS=2 4 1000000002")), bulk(BulkAction::Assign, Some(vec![2, 4]), &["1000000002"]));
        assert_eq!(
            enter(&mut typed("PA=1 02/20/2025 02/25/2025 chart in coding")),
            bulk(BulkAction::Pause, Some(vec![1]), &["02/20/2025", "02/25/2025", "chart", "in", "coding"])
        );
        assert_eq!(enter(&mut typed("CM please sign")), bulk(BulkAction::Comment, None, &["please", "sign"]));
        assert!(matches!(enter(&mut typed("QC=0")), Some(Err(_))));
        assert_eq!(enter(&mut typed("take")), Some(Ok(Some(PaletteCommand::Take(None)))));
        assert_eq!(enter(&mut typed("take 1-2 4")), Some(Ok(Some(PaletteCommand::Take(Some(vec![1, 2, 4]))))));
        assert_eq!(enter(&mut typed("release 3")), Some(Ok(Some(PaletteCommand::Release(Some(vec![3]))))));
        assert!(matches!(enter(&mut typed("take x")), Some(Err(_))));
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
