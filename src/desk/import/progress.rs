//! Where a long import stands, as a line for a log or a bar for a terminal.

/// Where an import stands: the records of one kind done so far, the time spent on them and the
/// share of the work done (by bytes read, or bundles).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProgress {
    pub what: &'static str,
    pub records: usize,
    pub elapsed: std::time::Duration,
    /// From 0 to 1.
    pub done: f64,
}

impl ImportProgress {
    pub fn since(what: &'static str, records: usize, started: std::time::Instant, done: f64) -> Self {
        Self { what, records, elapsed: started.elapsed(), done: done.clamp(0.0, 1.0) }
    }

    fn rate(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(0.001)
    }

    /// The seconds left at the pace so far, while there is a pace to go by.
    fn seconds_left(&self) -> Option<f64> {
        (self.done > 0.0 && self.done < 1.0).then(|| self.elapsed.as_secs_f64() * (1.0 - self.done) / self.done)
    }

    /// `patients: 45000 · 12300/s · 41% · 6 s left`: a line for a log or the TUI's status line.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {} · {:.0}/s · {:.0}%", self.what, self.records, self.rate(), self.done * 100.0);
        if let Some(left) = self.seconds_left() {
            line.push_str(&format!(" · {left:.0} s left"));
        }
        line
    }

    /// `encounters [=========>          ]  45%  450000  12300/s  0:06 left`: a bar for a terminal,
    /// in ASCII so that any locale and font draws it, `width` cells between the brackets.
    pub fn bar(&self, width: usize) -> String {
        let filled = ((self.done * width as f64).round() as usize).min(width);
        let mut cells = "=".repeat(filled);
        if filled < width {
            cells.push(if filled > 0 { '>' } else { ' ' });
            cells.push_str(&" ".repeat(width - filled - 1));
        }
        let mut bar =
            format!("{:<10} [{cells}] {:>3.0}%  {}  {:.0}/s", self.what, self.done * 100.0, self.records, self.rate());
        if let Some(left) = self.seconds_left() {
            let left = left.round() as u64;
            bar.push_str(&format!("  {}:{:02} left", left / 60, left % 60));
        }
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::ImportProgress;
    use std::time::Duration;

    fn at(records: usize, seconds: u64, done: f64) -> ImportProgress {
        ImportProgress { what: "encounters", records, elapsed: Duration::from_secs(seconds), done }
    }

    #[test]
    fn a_progress_line_says_rate_share_and_time_left() {
        assert_eq!(at(50_000, 10, 0.25).line(), "encounters: 50000 · 5000/s · 25% · 30 s left");
        assert_eq!(at(100, 10, 1.0).line(), "encounters: 100 · 10/s · 100%");
    }

    #[test]
    fn a_progress_bar_fills_with_the_share_done() {
        assert_eq!(at(50_000, 10, 0.25).bar(8), "encounters [==>     ]  25%  50000  5000/s  0:30 left");
        assert_eq!(at(0, 0, 0.0).bar(4), "encounters [    ]   0%  0  0/s");
        assert_eq!(at(9, 90, 1.0).bar(4), "encounters [====] 100%  9  0/s");
        let long = at(1, 1, 0.01).bar(20);
        assert!(long.ends_with("1/s  1:39 left"), "{long}");
    }
}
