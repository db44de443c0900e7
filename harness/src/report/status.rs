//! A live status line on a terminal: scenarios done of all, the ones running, the time so far;
//! redrawn in place and wiped before the report is printed.

use std::io::{IsTerminal as _, Write};
use std::time::Duration;

use super::reporters::{Event, ReportError, Reporter};

/// The width assumed when the terminal does not say.
const DEFAULT_WIDTH: usize = 100;

/// A reporter that keeps one status line on stderr while the suite runs: `[12/140 2:05]
/// running iam/create-new-user, mirroring/hour-of-mirroring`, cut to the terminal's width.
/// For terminals only: [`StatusLine::on_terminal`] gives none when stderr is a file or a pipe,
/// where a log keeps plain lines.
#[derive(Debug)]
pub struct StatusLine {
    width: usize,
    total: usize,
    done: usize,
    /// The scenarios running: (file as displayed, name), in the order they started.
    running: Vec<(String, String)>,
    elapsed: Duration,
    /// Whether a line is on the screen to be wiped.
    shown: bool,
}

impl StatusLine {
    /// A status line on stderr if stderr is a terminal, as wide as the terminal (100 columns
    /// when it does not say).
    pub fn on_terminal() -> Option<Self> {
        std::io::stderr()
            .is_terminal()
            .then(|| Self::new(terminal_width().unwrap_or(DEFAULT_WIDTH)))
    }

    fn new(width: usize) -> Self {
        Self {
            width,
            total: 0,
            done: 0,
            running: Vec::new(),
            elapsed: Duration::ZERO,
            shown: false,
        }
    }

    /// Updates the state from one event; whether the line is to be redrawn (`Some(true)`),
    /// wiped for good (`Some(false)`), or left (`None`).
    fn update(&mut self, event: &Event<'_>) -> Option<bool> {
        match event {
            Event::Listed { scenarios, .. } => {
                self.total = *scenarios;
                None
            }
            Event::ScenarioStarted { path, name } => {
                self.running
                    .push((path.display().to_string(), (*name).to_owned()));
                Some(true)
            }
            Event::ScenarioFinished(report) => {
                self.finished(&report.path.display().to_string());
                Some(true)
            }
            Event::ScenarioFailed(failure) => {
                self.finished(&failure.path);
                Some(true)
            }
            Event::ScenarioNotRun { .. } => {
                self.done += 1;
                Some(true)
            }
            Event::Tick { elapsed } => {
                self.elapsed = *elapsed;
                Some(true)
            }
            Event::Finished(_) => Some(false),
            _ => None,
        }
    }

    fn finished(&mut self, path: &str) {
        self.done += 1;
        self.running.retain(|(running, _)| running != path);
    }

    /// The line: what it says, cut to fit one row short of the width (a full row would wrap
    /// on some terminals).
    fn line(&self) -> String {
        let seconds = self.elapsed.as_secs();
        let mut line = format!(
            "[{}/{} {}:{:02}]",
            self.done,
            self.total,
            seconds / 60,
            seconds % 60
        );
        if !self.running.is_empty() {
            let names: Vec<&str> = self.running.iter().map(|(_, name)| name.as_str()).collect();
            line.push_str(" running ");
            line.push_str(&names.join(", "));
        }
        cut(&line, self.width.saturating_sub(1))
    }
}

/// `text` cut to `width` characters, ending in `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

impl Reporter for StatusLine {
    fn report(&mut self, event: &Event<'_>) -> Result<(), ReportError> {
        let Some(draw) = self.update(event) else {
            return Ok(());
        };
        // Carriage return, then erase to the end of the row: the line is redrawn in place.
        let text = if draw {
            format!("\r\x1b[K{}", self.line())
        } else if self.shown {
            "\r\x1b[K".to_owned()
        } else {
            return Ok(());
        };
        self.shown = draw;
        let mut err = std::io::stderr().lock();
        err.write_all(text.as_bytes())
            .and_then(|()| err.flush())
            .map_err(|source| ReportError::Terminal { source })
    }

    fn tick(&self) -> Option<Duration> {
        Some(Duration::from_secs(1))
    }
}

/// The width of the terminal on stderr, else `$COLUMNS`.
fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes a `winsize` into the struct it is given, which lives across
    // the call; on a descriptor that is no terminal it fails and the struct is not read.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let asked = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) };
    if asked == 0 && size.ws_col > 0 {
        return Some(usize::from(size.ws_col));
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse().ok())
        .filter(|&columns| columns > 0)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::FailureKind;
    use crate::report::{Report, ScenarioFailure};

    #[test]
    fn the_line_counts_names_the_running_and_fits_the_width() {
        let mut status = StatusLine::new(60);
        let skipped = Vec::new();
        status.update(&Event::Listed {
            scenarios: 3,
            skipped: &skipped,
        });
        for name in ["iam/create-new-user", "mirroring/hour-of-mirroring"] {
            let path = format!("scenarios/{name}.yaml");
            status.update(&Event::ScenarioStarted {
                path: Path::new(&path),
                name,
            });
        }
        status.update(&Event::Tick {
            elapsed: Duration::from_secs(125),
        });
        assert_eq!(
            status.line(),
            "[0/3 2:05] running iam/create-new-user, mirroring/hour-of-…"
        );
        assert_eq!(status.line().chars().count(), 59);
        let failure = ScenarioFailure {
            path: "scenarios/iam/create-new-user.yaml".into(),
            kind: FailureKind::Load,
            message: "bad".into(),
        };
        assert_eq!(status.update(&Event::ScenarioFailed(&failure)), Some(true));
        status.update(&Event::ScenarioNotRun {
            path: Path::new("scenarios/x.yaml"),
        });
        assert_eq!(
            status.line(),
            "[2/3 2:05] running mirroring/hour-of-mirroring"
        );
        assert_eq!(
            status.update(&Event::Finished(&Report::default())),
            Some(false)
        );
    }

    #[test]
    fn cutting_keeps_short_text_and_marks_a_cut() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("abcd", 0), "");
    }
}
