//! The lookup screen's side of the model: search as you type, paging the results, and the
//! audit event each search owes once it settles.

use super::*;

/// A search whose audit event is owed: once it settles (a pause, opening a row, leaving, quitting),
/// or once results that were on screen are replaced by another query's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSearchAudit {
    pub generation: u64,
    pub shape: QueryShape,
    /// The rows on screen: each patient's access report lists the search that showed them.
    pub shown: Vec<crate::domain::patient::PatientRow>,
    pub more: bool,
    /// The query as typed, spaces collapsed and upper-cased: held in memory only (never logged or
    /// audited), to tell an edit of this query from a new one.
    pub text: String,
    /// A frame has shown these results.
    pub drawn: bool,
}

impl PendingSearchAudit {
    /// Whether these results, replaced by a search of `text` that found `shown` rows in `shape`, are
    /// owed their event now. Results that were drawn with rows count once they were on screen, unless
    /// the new query only continues typing or correcting this one (one text starts the other, same
    /// shape, rows still shown): the whole edit is then audited once, by whichever result settles or
    /// is replaced in turn. So a word typed letter by letter writes one event, not one per letter,
    /// and results glimpsed for half a second before the clerk typed another name or cleared the
    /// field still write theirs. Results never drawn, or with no rows, showed no patient.
    fn owed_when_replaced_by(&self, shape: Option<QueryShape>, text: &str, shown: usize) -> bool {
        if !self.drawn || self.shown.is_empty() {
            return false;
        }
        let continues = shape == Some(self.shape)
            && shown > 0
            && (text.starts_with(self.text.as_str()) || self.text.starts_with(text));
        !continues
    }
}

/// A query's text as [`PendingSearchAudit::text`] keeps it.
fn audit_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}
impl App {
    /// Writes the owed audit event of the last search, if any.
    pub(super) fn flush_search_audit(&mut self) -> Vec<Command> {
        match self.pending_audit.take() {
            Some(p) => vec![Command::RecordSearch { shape: p.shape, shown: p.shown, more: p.more }],
            None => Vec::new(),
        }
    }

    pub(super) fn go_lookup(&mut self) -> Vec<Command> {
        let changed = self.screen != Screen::Lookup;
        self.screen = Screen::Lookup;
        self.lookup.field_focused = true;
        // Like every change of screen, it re-reads the header (a role changed meanwhile shows).
        if changed { vec![Command::LoadInfo] } else { Vec::new() }
    }

    pub(super) fn on_lookup_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::OpenSelected => {
                let Some(row) = self.lookup.selected_row().cloned() else {
                    self.toast = Some(if self.lookup.query.text().trim().is_empty() {
                        "Type an MRN, a name (LAST,FIRST), S4821, a birth date or an account number.".into()
                    } else if self.lookup.searching() {
                        "Still searching…".into()
                    } else if self.lookup.error.is_some() || self.lookup.problem.is_some() {
                        "Nothing to open: the search was not run (why is on screen).".into()
                    } else {
                        "Nothing to open: no patient matches.".into()
                    });
                    return Vec::new();
                };
                let id = self.next_request();
                self.pending_chart = Some(id);
                self.chart_return = Screen::Lookup;
                let mut commands = self.flush_search_audit();
                commands.push(Command::OpenChart { id, patient_id: row.patient_id, encounter_id: row.encounter_id });
                commands
            }
            Action::ClearOrLeave => {
                if self.lookup.query.text().is_empty() {
                    self.lookup.field_focused = false;
                    Vec::new()
                } else {
                    self.lookup.clear();
                    self.flush_search_audit()
                }
            }
            Action::FocusResults => {
                self.lookup.field_focused = false;
                Vec::new()
            }
            Action::FocusFind => {
                self.lookup.field_focused = true;
                Vec::new()
            }
            Action::NextRow => self.lookup_move(1),
            Action::PrevRow => self.lookup_move(-1),
            Action::NextPage => self.lookup_move(self.lookup.visible_rows as isize),
            Action::PrevPage => self.lookup_move(-(self.lookup.visible_rows as isize)),
            Action::FirstRow => self.lookup_move(isize::MIN / 2),
            Action::LastRow => self.lookup_move(isize::MAX / 2),
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// Moves the highlight; at the end of a page with more below, fetches the next page.
    pub(super) fn lookup_move(&mut self, delta: isize) -> Vec<Command> {
        let at_end = self.lookup.move_selection(delta);
        if at_end && self.lookup.has_more && !self.lookup.searching() {
            let id = self.next_request();
            self.lookup.latest = Some(id);
            return vec![Command::Search {
                id,
                text: self.lookup.query.text(),
                offset: self.lookup.rows.len(),
                append: true,
            }];
        }
        Vec::new()
    }

    /// The search on the lookup screen run anew (after the store changed under it); nothing when
    /// the field is empty.
    pub(super) fn search_again(&mut self) -> Vec<Command> {
        let text = self.lookup.query.text();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let id = self.next_request();
        self.lookup.begin_search(id);
        vec![Command::Search { id, text, offset: 0, append: false }]
    }

    pub(super) fn on_find_text(&mut self, key: KeyEvent) -> Vec<Command> {
        let before = self.lookup.query.text();
        // `:` in an empty field is the palette, as outside a field; anywhere else in text it is text.
        if before.is_empty() && key.code == crossterm::event::KeyCode::Char(':') && key.modifiers.is_empty() {
            return self.open_palette("");
        }
        self.lookup.query.input(key);
        let text = self.lookup.query.text();
        if text == before {
            return Vec::new();
        }
        let id = self.next_request();
        self.lookup.begin_search(id);
        vec![Command::Search { id, text, offset: 0, append: false }]
    }

    pub(super) fn on_search_done(
        &mut self,
        id: RequestId,
        append: bool,
        result: Result<SearchOutcome, String>,
    ) -> Vec<Command> {
        if self.lookup.latest != Some(id) {
            // A newer search superseded this one: its answer is dropped unseen.
            self.dirty = false;
            return Vec::new();
        }
        self.lookup.latest = None;
        let mut commands = Vec::new();
        match result {
            Ok(outcome) => {
                let shape = outcome.shape;
                // The latest search's answer: the field still holds the text it searched.
                let text = audit_text(&self.lookup.query.text());
                self.lookup.show(outcome, append);
                let shown = self.lookup.rows.len();
                let replaced = self.pending_audit.take();
                let mut still_drawn = false;
                if let Some(old) = replaced {
                    if old.owed_when_replaced_by(shape, &text, shown) {
                        commands.push(Command::RecordSearch { shape: old.shape, shown: old.shown, more: old.more });
                    }
                    // More rows of the same query: the first ones are still on screen.
                    still_drawn = append && old.drawn;
                }
                if let Some(shape) = shape {
                    self.audit_generation += 1;
                    self.pending_audit = Some(PendingSearchAudit {
                        generation: self.audit_generation,
                        shape,
                        shown: self.lookup.rows.clone(),
                        more: self.lookup.has_more,
                        text,
                        drawn: still_drawn,
                    });
                }
            }
            Err(e) => {
                // Rows of an earlier query are not this one's: the body says why nothing shows.
                if !append {
                    self.lookup.rows.clear();
                    self.lookup.selected = 0;
                    self.lookup.has_more = false;
                }
                self.lookup.error = Some(e);
            }
        }
        commands
    }

    /// The search whose audit event waits for a pause, for the event loop's timer.
    pub fn settle_generation(&self) -> Option<u64> {
        self.pending_audit.as_ref().map(|p| p.generation)
    }

    /// The event loop drew a frame: the results on screen have now been seen.
    pub fn frame_drawn(&mut self) {
        if let Some(pending) = self.pending_audit.as_mut() {
            pending.drawn = true;
        }
    }
}
