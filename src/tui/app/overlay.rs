//! What is open over a screen — help, messages, the command palette, a question — and the
//! commands the palette runs.

use super::*;

impl App {
    pub(super) fn on_overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> Vec<Command> {
        use crossterm::event::KeyCode;
        match overlay {
            Overlay::Help { scroll } | Overlay::Messages { scroll } => {
                let help = matches!(overlay, Overlay::Help { .. });
                let (width, height) = chrome::text_overlay_room(self.size);
                let lines = if help {
                    chrome::help_lines(&self.keymap, width, &Theme::monochrome()).len()
                } else {
                    chrome::message_lines(&self.messages, width).len()
                };
                let last = u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
                let scroll = match key.code {
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(height.max(2) - 1),
                    KeyCode::PageUp => scroll.saturating_sub(height.max(2) - 1),
                    KeyCode::Home => 0,
                    KeyCode::End => last,
                    _ if self.keymap.action(Context::Global, &key) == Some(Action::Quit) => return self.quit(),
                    _ => return Vec::new(),
                }
                .min(last);
                self.overlay = Some(if help { Overlay::Help { scroll } } else { Overlay::Messages { scroll } });
                Vec::new()
            }
            Overlay::Confirm { command, .. } => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    self.confirmed(command)
                } else {
                    self.toast = Some("Nothing changed.".into());
                    Vec::new()
                }
            }
            Overlay::Draft(offer) => self.on_draft_offer_key(*offer, key),
            Overlay::BreakGlass(form) => self.on_break_glass_key(form, key),
            Overlay::ReleaseSignature(form) => self.on_release_signature_key(form, key),
            Overlay::Privacy { scroll, rows } => self.on_privacy_key(scroll, rows, key),
            Overlay::DiscardAuthorization { .. } => self.on_discard_authorization_key(key),
            Overlay::ProceedOrWithdraw { command, withdrawn, .. } => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    vec![command]
                } else {
                    self.toast = Some(withdrawn);
                    Vec::new()
                }
            }
            Overlay::Palette(mut palette) => {
                if self.keymap.action(Context::Global, &key) == Some(Action::Quit) {
                    return self.quit();
                }
                match palette.on_key(key) {
                    None => {
                        self.overlay = Some(Overlay::Palette(palette));
                        Vec::new()
                    }
                    Some(Ok(Some(command))) => self.run_palette(command),
                    Some(Ok(None)) => Vec::new(),
                    Some(Err(problem)) => {
                        self.toast = Some(problem);
                        self.overlay = Some(Overlay::Palette(palette));
                        Vec::new()
                    }
                }
            }
        }
    }

    /// `?`: the help, opened at the keys of where the clerk is (the palette's `help` too, from the
    /// screen behind it); the Everywhere keys are above, a scroll away.
    pub(super) fn open_help(&mut self) {
        let (width, height) = chrome::text_overlay_room(self.size);
        let lines = chrome::help_lines(&self.keymap, width, &Theme::monochrome()).len();
        let last = lines.saturating_sub(usize::from(height));
        let start = chrome::help_section_start(&self.keymap, width, self.context()).min(last);
        self.overlay = Some(Overlay::Help { scroll: u16::try_from(start).unwrap_or(u16::MAX) });
    }

    pub(super) fn run_palette(&mut self, command: PaletteCommand) -> Vec<Command> {
        match command {
            PaletteCommand::Lookup => self.go_lookup(),
            PaletteCommand::Chart => self.on_action(Action::ScreenChart),
            PaletteCommand::Help => {
                self.open_help();
                Vec::new()
            }
            PaletteCommand::Quit => self.quit(),
            PaletteCommand::Deficiencies => self.on_action(Action::ScreenQueue),
            PaletteCommand::Bulk { action, rows, args } if self.screen == Screen::Chart => {
                self.chart_bulk(action, rows, args)
            }
            PaletteCommand::Bulk { action, rows, args } => self.bulk(action, rows, args),
            PaletteCommand::Messages => {
                let (width, height) = chrome::text_overlay_room(self.size);
                let lines = chrome::message_lines(&self.messages, width).len();
                let scroll = u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
                self.overlay = Some(Overlay::Messages { scroll });
                Vec::new()
            }
            PaletteCommand::Physician(npi) => vec![Command::LoadPhysician { npi }],
            PaletteCommand::Filter(terms) => self.filter_queue(terms),
            PaletteCommand::Take(rows) => self.claim_rows(rows, false),
            PaletteCommand::Release(rows) => self.claim_rows(rows, true),
            PaletteCommand::Nightly => {
                let prompt = format!(
                    "Run the nightly deficiency job for {} now? (y/N)",
                    crate::domain::dates::us_date(self.today)
                );
                self.overlay = Some(Overlay::Confirm { prompt, command: Command::RunNightly { date: self.today } });
                Vec::new()
            }
            PaletteCommand::Import { fhir, paths, facility, into_demo } => {
                if self.header.is_demo && !into_demo {
                    // Said before the question; the desk refuses it again whatever the screen knew.
                    self.toast = Some(
                        "This store holds the demo hospital: real patients imported into it would mix with made-up \
                         ones. Import into a store of its own (chartroom init --empty), or add into-demo if this is \
                         meant."
                            .into(),
                    );
                    return Vec::new();
                }
                let shown: Vec<String> =
                    paths.iter().map(|p| crate::domain::text::clean(&p.display().to_string()).into_owned()).collect();
                let prompt = format!(
                    "Import Synthea {} from {}{}{}? (y/N)",
                    if fhir { "FHIR" } else { "CSV" },
                    shown.join(" "),
                    facility.as_ref().map(|f| format!(" into {f}")).unwrap_or_default(),
                    if into_demo { ", among the demo hospital's made-up patients" } else { "" }
                );
                let open_since = self.today - chrono::Duration::days(30);
                self.overlay = Some(Overlay::Confirm {
                    prompt,
                    command: Command::RunImport { fhir, paths, facility, open_since, into_demo },
                });
                Vec::new()
            }
            PaletteCommand::Roi(roi) => self.run_roi_palette(roi),
            PaletteCommand::Accounting(a) => {
                use crate::tui::widgets::palette::AccountingPalette;
                match a {
                    AccountingPalette::Open { mrn, date } => self.open_accounting(mrn, date),
                    AccountingPalette::Void { reason } => self.void_selected(Some(reason)),
                    AccountingPalette::Print => self.on_accounting_action(Action::PrintAccounting),
                    AccountingPalette::Deliver => self.on_accounting_action(Action::DeliverAccounting),
                }
            }
            PaletteCommand::RoiStats(period) => self.open_roi_stats(period),
            PaletteCommand::Privacy => self.open_privacy(),
            PaletteCommand::FileRoom { scan } => self.open_file_room(scan),
            PaletteCommand::PullList(day) => self.pull_list_on(day),
            PaletteCommand::NotFillable(reason) => self.ask_not_fillable(Some(reason)),
            PaletteCommand::Mrn(mrn) => {
                let id = self.next_request();
                self.pending_chart = Some(id);
                let mut commands = self.flush_search_audit();
                commands.push(Command::OpenChartByMrn { id, mrn });
                commands
            }
        }
    }

    /// Opens the palette, with `input` typed; the first time, asks for the providers to complete.
    pub(super) fn open_palette(&mut self, input: &str) -> Vec<Command> {
        self.overlay = Some(Overlay::Palette(PaletteState::with_input(self.providers.clone(), input)));
        if self.providers_asked {
            return Vec::new();
        }
        self.providers_asked = true;
        vec![Command::LoadProviders]
    }
}
