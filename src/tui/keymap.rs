//! Key bindings as data: per context, overridable in `config.toml`; a conflicting or unknown binding
//! is refused at start with the file and line.

use super::action::Action;
use crate::config::KeymapOverride;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// Where the keyboard focus is. A key is looked up in the focused context first, then globally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// A text field has focus: printable keys are text, so only non-text keys may be bound here.
    Find,
    Results,
    Chart,
    Queue,
    /// The release-of-information queue.
    Roi,
    /// One release-of-information request.
    Request,
    /// The intake form: like Find, printable keys are text.
    Intake,
    /// A patient's accounting of disclosures.
    Accounting,
    /// The authorization form, from a request or from intake: printable keys are text.
    Authorization,
    /// A request's release packet: its documents, picked and released.
    Packet,
    /// The Director's ROI figures.
    RoiStats,
    /// The file room's scan line: printable keys are the scan (a wedge scanner types them).
    Scan,
    /// The file room's lists: overdue, missing, the pull list.
    FileRoom,
}

impl Context {
    pub const ALL: [Self; 14] = [
        Self::Global,
        Self::Find,
        Self::Results,
        Self::Chart,
        Self::Queue,
        Self::Roi,
        Self::Request,
        Self::Intake,
        Self::Accounting,
        Self::Authorization,
        Self::Packet,
        Self::RoiStats,
        Self::Scan,
        Self::FileRoom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Find => "find",
            Self::Results => "results",
            Self::Chart => "chart",
            Self::Queue => "queue",
            Self::Roi => "roi",
            Self::Request => "request",
            Self::Intake => "intake",
            Self::Accounting => "accounting",
            Self::Authorization => "authorization",
            Self::Packet => "packet",
            Self::RoiStats => "roi_stats",
            Self::Scan => "scan",
            Self::FileRoom => "file_room",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Find => "In the Find field",
            Self::Results => "In the results",
            Self::Chart => "In a chart",
            Self::Queue => "In the deficiency queue",
            Self::Roi => "In the ROI queue",
            Self::Request => "In a request",
            Self::Intake => "In the request form",
            Self::Accounting => "In an accounting of disclosures",
            Self::Authorization => "In the authorization form",
            Self::Packet => "In a release packet",
            Self::RoiStats => "In the Director's ROI figures",
            Self::Scan => "In the file room's scan line",
            Self::FileRoom => "In the file room's lists",
        }
    }

    /// A context where a field has focus: printable keys type text there.
    pub fn types_text(self) -> bool {
        matches!(self, Self::Find | Self::Intake | Self::Authorization | Self::Scan)
    }
}

/// One key with its modifiers, as written in config: `ctrl-p`, `f1`, `enter`, `?`, `shift-tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: ChordCode,
    pub ctrl: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChordCode {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Backspace,
    Delete,
}

impl KeyChord {
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.trim().to_ascii_lowercase();
        let mut ctrl = false;
        let mut shift = false;
        let mut rest = lower.as_str();
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").or_else(|| rest.strip_prefix("c-")) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("shift-") {
                shift = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" | "return" => ChordCode::Enter,
            "esc" | "escape" => ChordCode::Esc,
            "tab" if shift => {
                shift = false;
                ChordCode::BackTab
            }
            "tab" => ChordCode::Tab,
            "backtab" => ChordCode::BackTab,
            "up" => ChordCode::Up,
            "down" => ChordCode::Down,
            "left" => ChordCode::Left,
            "right" => ChordCode::Right,
            "pageup" | "pgup" => ChordCode::PageUp,
            "pagedown" | "pgdn" => ChordCode::PageDown,
            "home" => ChordCode::Home,
            "end" => ChordCode::End,
            "backspace" => ChordCode::Backspace,
            "delete" | "del" => ChordCode::Delete,
            "space" => ChordCode::Char(' '),
            f if f.starts_with('f') && f.len() > 1 => {
                ChordCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
            }
            _ => {
                if rest.chars().count() != 1 {
                    return None;
                }
                // A single character keeps its case from the original text: `G` is not `g`.
                let c = text.trim().chars().last()?;
                ChordCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Self { code, ctrl, shift })
    }

    pub fn from_event(key: &KeyEvent) -> Option<Self> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let code = match key.code {
            KeyCode::Char(c) => {
                // Shift is already in the character (`?`, `G`); keep only Ctrl.
                return Some(Self {
                    code: ChordCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
                    ctrl,
                    shift: false,
                });
            }
            KeyCode::F(n) => ChordCode::F(n),
            KeyCode::Enter => ChordCode::Enter,
            KeyCode::Esc => ChordCode::Esc,
            KeyCode::Tab => ChordCode::Tab,
            KeyCode::BackTab => return Some(Self { code: ChordCode::BackTab, ctrl, shift: false }),
            KeyCode::Up => ChordCode::Up,
            KeyCode::Down => ChordCode::Down,
            KeyCode::Left => ChordCode::Left,
            KeyCode::Right => ChordCode::Right,
            KeyCode::PageUp => ChordCode::PageUp,
            KeyCode::PageDown => ChordCode::PageDown,
            KeyCode::Home => ChordCode::Home,
            KeyCode::End => ChordCode::End,
            KeyCode::Backspace => ChordCode::Backspace,
            KeyCode::Delete => ChordCode::Delete,
            _ => return None,
        };
        Some(Self { code, ctrl, shift })
    }

    /// A chord that types text when a field has focus: a plain printable character.
    pub fn is_text(self) -> bool {
        matches!(self.code, ChordCode::Char(_)) && !self.ctrl
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            ChordCode::Char(' ') => f.write_str("Space"),
            ChordCode::Char(c) if self.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            ChordCode::Char(c) => write!(f, "{c}"),
            ChordCode::F(n) => write!(f, "F{n}"),
            ChordCode::Enter => f.write_str("Enter"),
            ChordCode::Esc => f.write_str("Esc"),
            ChordCode::Tab => f.write_str("Tab"),
            ChordCode::BackTab => f.write_str("Shift-Tab"),
            ChordCode::Up => f.write_str("↑"),
            ChordCode::Down => f.write_str("↓"),
            ChordCode::Left => f.write_str("←"),
            ChordCode::Right => f.write_str("→"),
            ChordCode::PageUp => f.write_str("PgUp"),
            ChordCode::PageDown => f.write_str("PgDn"),
            ChordCode::Home => f.write_str("Home"),
            ChordCode::End => f.write_str("End"),
            ChordCode::Backspace => f.write_str("Backspace"),
            ChordCode::Delete => f.write_str("Del"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeymapError {
    #[error(
        "{origin}: unknown keymap context {context:?} (contexts: global, find, results, chart, queue, roi, request, intake, authorization, scan, file_room)"
    )]
    UnknownContext { origin: String, context: String },
    #[error("{origin}: {key:?} is not a key (write keys like ctrl-p, f1, enter, esc, tab, down, ?)")]
    BadKey { origin: String, key: String },
    #[error("{origin}: unknown action {action:?}; `chartroom` help (?) lists the actions")]
    UnknownAction { origin: String, action: String },
    #[error("{origin}: {key} types text in that context's fields; bind Ctrl-, F- or named keys there")]
    TextKeyInField { origin: String, key: String },
    #[error("{origin}: {key} is bound twice in [{context}] ({first} and {second})")]
    Conflict { origin: String, context: String, key: String, first: String, second: String },
}

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<(Context, KeyChord), Action>,
}

const DEFAULTS: &[(Context, &str, Action)] = &[
    (Context::Global, "ctrl-q", Action::Quit),
    (Context::Global, "ctrl-p", Action::CommandPalette),
    (Context::Global, "f1", Action::Help),
    (Context::Global, "ctrl-z", Action::Suspend),
    (Context::Global, "ctrl-f", Action::NewFind),
    (Context::Find, "enter", Action::OpenSelected),
    (Context::Find, "esc", Action::ClearOrLeave),
    (Context::Find, "down", Action::FocusResults),
    (Context::Find, "tab", Action::FocusResults),
    (Context::Results, "enter", Action::OpenSelected),
    (Context::Results, "down", Action::NextRow),
    (Context::Results, "up", Action::PrevRow),
    (Context::Results, "pagedown", Action::NextPage),
    (Context::Results, "pageup", Action::PrevPage),
    (Context::Results, "home", Action::FirstRow),
    (Context::Results, "end", Action::LastRow),
    (Context::Results, "esc", Action::FocusFind),
    (Context::Results, "/", Action::NewFind),
    (Context::Results, "shift-tab", Action::FocusFind),
    (Context::Results, "?", Action::Help),
    (Context::Results, ":", Action::CommandPalette),
    (Context::Chart, "tab", Action::NextSection),
    (Context::Chart, "right", Action::NextSection),
    (Context::Chart, "shift-tab", Action::PrevSection),
    (Context::Chart, "left", Action::PrevSection),
    (Context::Chart, "down", Action::NextRow),
    (Context::Chart, "j", Action::NextRow),
    (Context::Chart, "up", Action::PrevRow),
    (Context::Chart, "k", Action::PrevRow),
    (Context::Chart, "pagedown", Action::NextPage),
    (Context::Chart, "pageup", Action::PrevPage),
    (Context::Chart, "home", Action::FirstRow),
    (Context::Chart, "end", Action::LastRow),
    (Context::Chart, "enter", Action::OpenSelected),
    (Context::Chart, "esc", Action::Back),
    (Context::Chart, "?", Action::Help),
    (Context::Chart, ":", Action::CommandPalette),
    (Context::Chart, "1", Action::ScreenLookup),
    (Context::Chart, "2", Action::ScreenChart),
    (Context::Chart, "3", Action::ScreenQueue),
    (Context::Chart, "4", Action::ScreenRoi),
    (Context::Chart, "5", Action::ScreenFileRoom),
    (Context::Chart, "n", Action::NewRequest),
    (Context::Chart, "/", Action::NewFind),
    (Context::Chart, "space", Action::ToggleSelect),
    (Context::Chart, "c", Action::CompleteItems),
    (Context::Chart, "m", Action::CommentItems),
    (Context::Chart, "r", Action::ReassignItems),
    (Context::Chart, "p", Action::PauseItems),
    (Context::Chart, "B", Action::RequestPaperChart),
    (Context::Queue, "down", Action::NextRow),
    (Context::Queue, "j", Action::NextRow),
    (Context::Queue, "up", Action::PrevRow),
    (Context::Queue, "k", Action::PrevRow),
    (Context::Queue, "pagedown", Action::NextPage),
    (Context::Queue, "pageup", Action::PrevPage),
    (Context::Queue, "home", Action::FirstRow),
    (Context::Queue, "end", Action::LastRow),
    (Context::Queue, "enter", Action::OpenSelected),
    (Context::Queue, "space", Action::ToggleSelect),
    (Context::Queue, "a", Action::SelectAll),
    (Context::Queue, "A", Action::SelectAllInFilter),
    (Context::Queue, "s", Action::CycleSort),
    (Context::Queue, "d", Action::ToggleDelinquent),
    (Context::Queue, "b", Action::CycleBucket),
    (Context::Queue, "r", Action::Reload),
    (Context::Queue, "z", Action::ToggleFold),
    (Context::Queue, "t", Action::TakeItems),
    (Context::Queue, "m", Action::CycleClaimFilter),
    (Context::Queue, "esc", Action::Back),
    (Context::Queue, "?", Action::Help),
    (Context::Queue, ":", Action::CommandPalette),
    (Context::Queue, "1", Action::ScreenLookup),
    (Context::Queue, "2", Action::ScreenChart),
    (Context::Queue, "3", Action::ScreenQueue),
    (Context::Queue, "4", Action::ScreenRoi),
    (Context::Queue, "5", Action::ScreenFileRoom),
    (Context::Queue, "/", Action::NewFind),
    (Context::Roi, "down", Action::NextRow),
    (Context::Roi, "j", Action::NextRow),
    (Context::Roi, "up", Action::PrevRow),
    (Context::Roi, "k", Action::PrevRow),
    (Context::Roi, "pagedown", Action::NextPage),
    (Context::Roi, "pageup", Action::PrevPage),
    (Context::Roi, "home", Action::FirstRow),
    (Context::Roi, "end", Action::LastRow),
    (Context::Roi, "enter", Action::OpenSelected),
    (Context::Roi, "s", Action::CycleSort),
    (Context::Roi, "o", Action::ToggleOverdue),
    (Context::Roi, "w", Action::CycleDueWithin),
    (Context::Roi, "m", Action::CycleClaimFilter),
    (Context::Roi, "t", Action::TakeItems),
    (Context::Roi, "a", Action::AssignTo),
    (Context::Roi, "n", Action::NewRequest),
    (Context::Roi, "r", Action::Reload),
    (Context::Roi, "esc", Action::Back),
    (Context::Roi, "?", Action::Help),
    (Context::Roi, ":", Action::CommandPalette),
    (Context::Roi, "1", Action::ScreenLookup),
    (Context::Roi, "2", Action::ScreenChart),
    (Context::Roi, "3", Action::ScreenQueue),
    (Context::Roi, "4", Action::ScreenRoi),
    (Context::Roi, "5", Action::ScreenFileRoom),
    (Context::Roi, "/", Action::NewFind),
    (Context::Roi, "S", Action::RoiStats),
    (Context::RoiStats, "w", Action::StatsFourWeeks),
    (Context::RoiStats, "q", Action::StatsQuarter),
    (Context::RoiStats, "y", Action::StatsYear),
    (Context::RoiStats, "left", Action::StatsEarlier),
    (Context::RoiStats, "h", Action::StatsEarlier),
    (Context::RoiStats, "right", Action::StatsLater),
    (Context::RoiStats, "l", Action::StatsLater),
    (Context::RoiStats, "p", Action::StatsPeriod),
    (Context::RoiStats, "r", Action::Reload),
    (Context::RoiStats, "esc", Action::Back),
    (Context::RoiStats, "?", Action::Help),
    (Context::RoiStats, ":", Action::CommandPalette),
    (Context::RoiStats, "1", Action::ScreenLookup),
    (Context::RoiStats, "2", Action::ScreenChart),
    (Context::RoiStats, "3", Action::ScreenQueue),
    (Context::RoiStats, "4", Action::ScreenRoi),
    (Context::RoiStats, "5", Action::ScreenFileRoom),
    (Context::RoiStats, "/", Action::NewFind),
    (Context::Request, "tab", Action::NextSection),
    (Context::Request, "right", Action::NextSection),
    (Context::Request, "shift-tab", Action::PrevSection),
    (Context::Request, "left", Action::PrevSection),
    (Context::Request, "down", Action::NextRow),
    (Context::Request, "j", Action::NextRow),
    (Context::Request, "up", Action::PrevRow),
    (Context::Request, "k", Action::PrevRow),
    (Context::Request, "pagedown", Action::NextPage),
    (Context::Request, "pageup", Action::PrevPage),
    (Context::Request, "home", Action::FirstRow),
    (Context::Request, "esc", Action::Back),
    (Context::Request, "v", Action::StepValidate),
    (Context::Request, "p", Action::StepPend),
    (Context::Request, "h", Action::StepHold),
    (Context::Request, "e", Action::StepException),
    (Context::Request, "u", Action::StepResume),
    (Context::Request, "f", Action::StepFulfil),
    (Context::Request, "q", Action::StepQc),
    (Context::Request, "b", Action::StepRework),
    (Context::Request, "w", Action::StepAwaitPayment),
    (Context::Request, "$", Action::RecordPayment),
    (Context::Request, "F", Action::QuoteFee),
    (Context::Request, "I", Action::IssueInvoice),
    (Context::Request, "W", Action::WriteOff),
    (Context::Request, "M", Action::Refund),
    (Context::Request, "V", Action::VoidInvoice),
    (Context::Request, "P", Action::OpenPacket),
    (Context::Request, "y", Action::StepReadyToRelease),
    (Context::Request, "R", Action::ReleaseRequest),
    (Context::Request, "C", Action::StepClose),
    (Context::Request, "x", Action::StepReject),
    (Context::Request, "X", Action::StepCancel),
    (Context::Request, "E", Action::ExtendDue),
    (Context::Request, "S", Action::LegalAssurance),
    (Context::Request, "Q", Action::LegalQpo),
    (Context::Request, "O", Action::LegalPart2Order),
    (Context::Request, "t", Action::TakeItems),
    (Context::Request, "A", Action::AuthorizationReceived),
    (Context::Request, "a", Action::AssignTo),
    (Context::Request, "B", Action::RequestPaperChart),
    (Context::Request, "?", Action::Help),
    (Context::Request, ":", Action::CommandPalette),
    (Context::Request, "1", Action::ScreenLookup),
    (Context::Request, "2", Action::ScreenChart),
    (Context::Request, "3", Action::ScreenQueue),
    (Context::Request, "4", Action::ScreenRoi),
    (Context::Request, "5", Action::ScreenFileRoom),
    (Context::Request, "/", Action::NewFind),
    (Context::Intake, "tab", Action::NextField),
    (Context::Intake, "shift-tab", Action::PrevField),
    (Context::Intake, "ctrl-s", Action::SubmitForm),
    (Context::Intake, "f10", Action::SubmitForm),
    (Context::Intake, "esc", Action::Back),
    (Context::Packet, "down", Action::NextRow),
    (Context::Packet, "j", Action::NextRow),
    (Context::Packet, "up", Action::PrevRow),
    (Context::Packet, "k", Action::PrevRow),
    (Context::Packet, "pagedown", Action::NextPage),
    (Context::Packet, "pageup", Action::PrevPage),
    (Context::Packet, "home", Action::FirstRow),
    (Context::Packet, "end", Action::LastRow),
    (Context::Packet, "space", Action::ToggleSelect),
    (Context::Packet, "R", Action::ReleaseRequest),
    (Context::Packet, "esc", Action::Back),
    (Context::Packet, "?", Action::Help),
    (Context::Packet, ":", Action::CommandPalette),
    (Context::Packet, "1", Action::ScreenLookup),
    (Context::Packet, "2", Action::ScreenChart),
    (Context::Packet, "3", Action::ScreenQueue),
    (Context::Packet, "4", Action::ScreenRoi),
    (Context::Packet, "5", Action::ScreenFileRoom),
    (Context::Packet, "/", Action::NewFind),
    (Context::Accounting, "down", Action::NextRow),
    (Context::Accounting, "j", Action::NextRow),
    (Context::Accounting, "up", Action::PrevRow),
    (Context::Accounting, "k", Action::PrevRow),
    (Context::Accounting, "pagedown", Action::NextPage),
    (Context::Accounting, "pageup", Action::PrevPage),
    (Context::Accounting, "home", Action::FirstRow),
    (Context::Accounting, "end", Action::LastRow),
    (Context::Accounting, "esc", Action::Back),
    (Context::Accounting, "V", Action::VoidDisclosure),
    (Context::Accounting, "P", Action::PrintAccounting),
    (Context::Accounting, "D", Action::DeliverAccounting),
    (Context::Accounting, "?", Action::Help),
    (Context::Accounting, ":", Action::CommandPalette),
    (Context::Accounting, "1", Action::ScreenLookup),
    (Context::Accounting, "2", Action::ScreenChart),
    (Context::Accounting, "3", Action::ScreenQueue),
    (Context::Accounting, "4", Action::ScreenRoi),
    (Context::Accounting, "5", Action::ScreenFileRoom),
    (Context::Accounting, "/", Action::NewFind),
    (Context::Authorization, "tab", Action::NextField),
    (Context::Authorization, "shift-tab", Action::PrevField),
    (Context::Authorization, "ctrl-s", Action::SubmitForm),
    (Context::Authorization, "f10", Action::SubmitForm),
    (Context::Authorization, "esc", Action::Back),
    (Context::Scan, "enter", Action::TakeScan),
    (Context::Scan, "esc", Action::Back),
    (Context::Scan, "tab", Action::NextTab),
    (Context::Scan, "shift-tab", Action::PrevTab),
    (Context::FileRoom, "tab", Action::NextTab),
    (Context::FileRoom, "right", Action::NextTab),
    (Context::FileRoom, "shift-tab", Action::PrevTab),
    (Context::FileRoom, "left", Action::PrevTab),
    (Context::FileRoom, "down", Action::NextRow),
    (Context::FileRoom, "j", Action::NextRow),
    (Context::FileRoom, "up", Action::PrevRow),
    (Context::FileRoom, "k", Action::PrevRow),
    (Context::FileRoom, "pagedown", Action::NextPage),
    (Context::FileRoom, "pageup", Action::PrevPage),
    (Context::FileRoom, "home", Action::FirstRow),
    (Context::FileRoom, "end", Action::LastRow),
    (Context::FileRoom, "s", Action::ScanMode),
    (Context::FileRoom, "f", Action::FillRequest),
    (Context::FileRoom, "x", Action::NotFillable),
    (Context::FileRoom, "N", Action::WriteNotices),
    (Context::FileRoom, "d", Action::PullListDate),
    (Context::FileRoom, "r", Action::Reload),
    (Context::FileRoom, "esc", Action::Back),
    (Context::FileRoom, "?", Action::Help),
    (Context::FileRoom, ":", Action::CommandPalette),
    (Context::FileRoom, "1", Action::ScreenLookup),
    (Context::FileRoom, "2", Action::ScreenChart),
    (Context::FileRoom, "3", Action::ScreenQueue),
    (Context::FileRoom, "4", Action::ScreenRoi),
    (Context::FileRoom, "5", Action::ScreenFileRoom),
    (Context::FileRoom, "/", Action::NewFind),
];

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for (context, key, action) in DEFAULTS {
            if let Some(chord) = KeyChord::parse(key) {
                bindings.insert((*context, chord), *action);
            }
        }
        Self { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's overrides applied. A key named in an override replaces the
    /// default binding of that key in that context; binding the same key twice in the config, or
    /// binding a key that a context would also take from a global override, is refused.
    pub fn with_overrides(overrides: &[KeymapOverride]) -> Result<Self, KeymapError> {
        let mut keymap = Self::default();
        let mut seen: BTreeMap<(Context, KeyChord), (String, Action)> = BTreeMap::new();
        for o in overrides {
            let context = Context::from_name(&o.context)
                .ok_or_else(|| KeymapError::UnknownContext { origin: o.origin.clone(), context: o.context.clone() })?;
            let chord = KeyChord::parse(&o.key)
                .ok_or_else(|| KeymapError::BadKey { origin: o.origin.clone(), key: o.key.clone() })?;
            let action = Action::from_name(&o.action)
                .ok_or_else(|| KeymapError::UnknownAction { origin: o.origin.clone(), action: o.action.clone() })?;
            if context.types_text() && chord.is_text() {
                return Err(KeymapError::TextKeyInField { origin: o.origin.clone(), key: chord.to_string() });
            }
            if let Some((first_origin, first_action)) = seen.get(&(context, chord))
                && *first_action != action
            {
                return Err(KeymapError::Conflict {
                    origin: o.origin.clone(),
                    context: context.name().into(),
                    key: chord.to_string(),
                    first: format!("{} at {first_origin}", first_action.name()),
                    second: action.name().into(),
                });
            }
            seen.insert((context, chord), (o.origin.clone(), action));
            keymap.bindings.insert((context, chord), action);
        }
        // A global override must not be shadowed silently by a context binding of the same key.
        for ((context, chord), (origin, action)) in &seen {
            if *context != Context::Global {
                continue;
            }
            for other in Context::ALL.into_iter().filter(|c| *c != Context::Global) {
                if let Some(local) = keymap.bindings.get(&(other, *chord))
                    && local != action
                    && !seen.contains_key(&(other, *chord))
                {
                    return Err(KeymapError::Conflict {
                        origin: origin.clone(),
                        context: "global".into(),
                        key: chord.to_string(),
                        first: format!("{} in [{}] by default", local.name(), other.name()),
                        second: action.name().into(),
                    });
                }
            }
        }
        Ok(keymap)
    }

    /// The action for a key in a context, falling back to the global bindings.
    pub fn action(&self, context: Context, key: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(key)?;
        self.bindings.get(&(context, chord)).or_else(|| self.bindings.get(&(Context::Global, chord))).copied()
    }

    /// The first key bound to `action` in `context` (or globally), for hints.
    pub fn key_for(&self, context: Context, action: Action) -> Option<KeyChord> {
        let find =
            |ctx: Context| self.bindings.iter().find(|((c, _), a)| *c == ctx && **a == action).map(|((_, k), _)| *k);
        find(context).or_else(|| find(Context::Global))
    }

    /// Every binding of a context, grouped by action, for `?` help.
    pub fn bindings_of(&self, context: Context) -> Vec<(Action, Vec<KeyChord>)> {
        let mut grouped: BTreeMap<Action, Vec<KeyChord>> = BTreeMap::new();
        for ((c, chord), action) in &self.bindings {
            if *c == context {
                grouped.entry(*action).or_default().push(*chord);
            }
        }
        grouped.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn o(context: &str, key: &str, action: &str, line: usize) -> KeymapOverride {
        KeymapOverride {
            context: context.into(),
            key: key.into(),
            action: action.into(),
            origin: format!("c.toml:{line}"),
        }
    }

    #[test]
    fn defaults_resolve_through_global() {
        let km = Keymap::default();
        assert_eq!(km.action(Context::Find, &key(KeyCode::Char('q'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(
            km.action(Context::Find, &key(KeyCode::Char('?'), KeyModifiers::NONE)),
            None,
            "? is text in a field"
        );
        assert_eq!(km.action(Context::Results, &key(KeyCode::Char('?'), KeyModifiers::SHIFT)), Some(Action::Help));
        assert_eq!(km.action(Context::Chart, &key(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::PrevSection));
    }

    #[test]
    fn chords_parse_and_print() {
        for text in ["ctrl-p", "f1", "enter", "esc", "shift-tab", "?", "j", "pagedown"] {
            let chord = KeyChord::parse(text).unwrap();
            let printed = chord.to_string().replace('↑', "up").replace('↓', "down");
            assert_eq!(KeyChord::parse(&printed), Some(chord), "{text} printed as {printed}");
        }
        assert_eq!(KeyChord::parse("ctrl-p").unwrap().to_string(), "Ctrl-P");
        assert!(KeyChord::parse("f13").is_none());
        assert!(KeyChord::parse("ctrl-").is_none() || KeyChord::parse("ctrl-").is_some());
        assert!(KeyChord::parse("banana").is_none());
    }

    #[test]
    fn overrides_apply_and_bad_ones_name_file_and_line() {
        let km = Keymap::with_overrides(&[o("results", "x", "open_selected", 3)]).unwrap();
        assert_eq!(
            km.action(Context::Results, &key(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::OpenSelected)
        );

        let err = Keymap::with_overrides(&[o("result", "x", "quit", 4)]).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:4: unknown keymap context"));
        let err = Keymap::with_overrides(&[o("results", "x", "launch", 5)]).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:5: unknown action"));
        let err = Keymap::with_overrides(&[o("results", "hyper-x", "quit", 6)]).unwrap_err();
        assert!(matches!(err, KeymapError::BadKey { .. }));
        let err = Keymap::with_overrides(&[o("find", "q", "quit", 7)]).unwrap_err();
        assert!(matches!(err, KeymapError::TextKeyInField { .. }));
        let err = Keymap::with_overrides(&[
            o("results", "x", "quit", 8),
            o("results", "X", "help", 9),
            o("results", "x", "help", 10),
        ])
        .unwrap_err();
        assert!(err.to_string().starts_with("c.toml:10: x is bound twice in [results]"), "{err}");
        let err = Keymap::with_overrides(&[o("global", "enter", "quit", 11)]).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:11:"), "{err}");
    }
}
