//! What a clerk can ask for, by name. Bindings map keys to these; the footer and `?` help are
//! generated from them, so documentation cannot drift from behaviour.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    CommandPalette,
    Help,
    Suspend,
    OpenSelected,
    ClearOrLeave,
    FocusResults,
    FocusFind,
    NextRow,
    PrevRow,
    NextPage,
    PrevPage,
    FirstRow,
    LastRow,
    Back,
    NextSection,
    PrevSection,
    ScreenLookup,
    ScreenChart,
    ScreenQueue,
    ToggleSelect,
    SelectAll,
    SelectAllInFilter,
    CycleSort,
    ToggleDelinquent,
    CycleBucket,
    Reload,
}

impl Action {
    pub const ALL: [Self; 27] = [
        Self::Quit,
        Self::CommandPalette,
        Self::Help,
        Self::Suspend,
        Self::OpenSelected,
        Self::ClearOrLeave,
        Self::FocusResults,
        Self::FocusFind,
        Self::NextRow,
        Self::PrevRow,
        Self::NextPage,
        Self::PrevPage,
        Self::FirstRow,
        Self::LastRow,
        Self::Back,
        Self::NextSection,
        Self::PrevSection,
        Self::ScreenLookup,
        Self::ScreenChart,
        Self::ScreenQueue,
        Self::ToggleSelect,
        Self::SelectAll,
        Self::SelectAllInFilter,
        Self::CycleSort,
        Self::ToggleDelinquent,
        Self::CycleBucket,
        Self::Reload,
    ];

    /// The snake_case name used in `config.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::CommandPalette => "command_palette",
            Self::Help => "help",
            Self::Suspend => "suspend",
            Self::OpenSelected => "open_selected",
            Self::ClearOrLeave => "clear_or_leave",
            Self::FocusResults => "focus_results",
            Self::FocusFind => "focus_find",
            Self::NextRow => "next_row",
            Self::PrevRow => "prev_row",
            Self::NextPage => "next_page",
            Self::PrevPage => "prev_page",
            Self::FirstRow => "first_row",
            Self::LastRow => "last_row",
            Self::Back => "back",
            Self::NextSection => "next_section",
            Self::PrevSection => "prev_section",
            Self::ScreenLookup => "screen_lookup",
            Self::ScreenChart => "screen_chart",
            Self::ScreenQueue => "screen_queue",
            Self::ToggleSelect => "toggle_select",
            Self::SelectAll => "select_all",
            Self::SelectAllInFilter => "select_all_in_filter",
            Self::CycleSort => "cycle_sort",
            Self::ToggleDelinquent => "toggle_delinquent",
            Self::CycleBucket => "cycle_bucket",
            Self::Reload => "reload",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Shown in `?` help.
    pub fn description(self) -> &'static str {
        match self {
            Self::Quit => "Quit chartroom",
            Self::CommandPalette => "Open the command palette",
            Self::Help => "Show all keys",
            Self::Suspend => "Suspend to the shell (fg to return)",
            Self::OpenSelected => "Open the highlighted row",
            Self::ClearOrLeave => "Clear the field; again to leave it",
            Self::FocusResults => "Move into the results",
            Self::FocusFind => "Back to the Find field",
            Self::NextRow => "Next row",
            Self::PrevRow => "Previous row",
            Self::NextPage => "Page down (fetches more results)",
            Self::PrevPage => "Page up",
            Self::FirstRow => "First row",
            Self::LastRow => "Last row",
            Self::Back => "Back",
            Self::NextSection => "Next chart section",
            Self::PrevSection => "Previous chart section",
            Self::ScreenLookup => "Screen 1: chart lookup",
            Self::ScreenChart => "Screen 2: the open chart",
            Self::ScreenQueue => "Screen 3: the deficiency queue",
            Self::ToggleSelect => "Select or unselect the row",
            Self::SelectAll => "Select every listed row (again: none)",
            Self::SelectAllInFilter => "Select every item the filter matches, listed or not",
            Self::CycleSort => "Sort: oldest, physician, type, MRN, discharge",
            Self::ToggleDelinquent => "Only delinquent items, or all",
            Self::CycleBucket => "Age bucket: 0-14, 15-21, 22-30, 31-60, >60, all",
            Self::Reload => "Reload the queue and its counts",
        }
    }

    /// The footer's short label.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::CommandPalette => "command",
            Self::Help => "help",
            Self::Suspend => "suspend",
            Self::OpenSelected => "open chart",
            Self::ClearOrLeave => "clear",
            Self::FocusResults => "results",
            Self::FocusFind => "find",
            Self::NextRow | Self::PrevRow => "move",
            Self::NextPage | Self::PrevPage => "page",
            Self::FirstRow | Self::LastRow => "ends",
            Self::Back => "back",
            Self::NextSection => "section",
            Self::PrevSection => "section",
            Self::ScreenLookup => "lookup",
            Self::ScreenChart => "chart",
            Self::ScreenQueue => "queue",
            Self::ToggleSelect => "select",
            Self::SelectAll => "all",
            Self::SelectAllInFilter => "all in filter",
            Self::CycleSort => "sort",
            Self::ToggleDelinquent => "delinquent",
            Self::CycleBucket => "age",
            Self::Reload => "reload",
        }
    }
}
