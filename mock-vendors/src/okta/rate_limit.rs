//! Okta's per-minute rate-limit window and its `X-Rate-Limit-*` headers.
//!
//! The window follows the virtual clock: it is the clock's current minute,
//! and every answer (faults included) spends one unit of it. The mock only
//! reports the budget; refusing requests is left to an explicit
//! `rate-limit` fault so scenarios stay predictable.

const WINDOW_MILLIS: i64 = 60_000;

/// Requests counted in the current virtual minute.
#[derive(Clone, Debug)]
pub(crate) struct RateWindow {
    limit: u32,
    window_start: i64,
    used: u32,
}

/// The three headers of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Epoch seconds when the window ends.
    pub(crate) reset: i64,
}

impl RateWindow {
    pub(crate) fn new(limit: u32) -> Self {
        Self {
            limit,
            window_start: i64::MIN,
            used: 0,
        }
    }

    /// Spends one request at `now` (epoch millis).
    pub(crate) fn tick(&mut self, now: i64) -> RateHeaders {
        let window_start = now - now.rem_euclid(WINDOW_MILLIS);
        if window_start != self.window_start {
            self.window_start = window_start;
            self.used = 0;
        }
        self.used = self.used.saturating_add(1);
        RateHeaders {
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            reset: (window_start + WINDOW_MILLIS).div_euclid(1_000),
        }
    }
}

impl RateHeaders {
    /// The headers of a rate-limited answer: nothing left.
    pub(crate) fn exhausted(self) -> Self {
        Self {
            remaining: 0,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_within_a_minute_and_resets_after() {
        let mut window = RateWindow::new(3);
        let start = 1_735_689_600_000;
        let first = window.tick(start + 5_000);
        assert_eq!(
            first,
            RateHeaders {
                limit: 3,
                remaining: 2,
                reset: 1_735_689_660
            }
        );
        assert_eq!(window.tick(start + 59_999).remaining, 1);
        assert_eq!(window.tick(start + 59_999).remaining, 0);
        assert_eq!(window.tick(start + 59_999).remaining, 0);
        let next_minute = window.tick(start + 60_000);
        assert_eq!(next_minute.remaining, 2);
        assert_eq!(next_minute.reset, 1_735_689_720);
    }
}
