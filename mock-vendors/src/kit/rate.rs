//! [`RateWindow`]: a vendor's rate-limit budget over windows of the
//! virtual clock, for its rate-limit headers.
//!
//! A window is the clock's current minute (or hour, ...). The mocks only
//! report the budget; refusing requests is left to an explicit
//! `rate-limit` fault so scenarios stay predictable.

/// One minute, for per-minute windows.
pub(crate) const MINUTE_MILLIS: i64 = 60_000;

/// One hour, for per-hour windows.
pub(crate) const HOUR_MILLIS: i64 = 3_600_000;

/// Requests counted in the current window.
#[derive(Clone, Debug)]
pub(crate) struct RateWindow {
    limit: u32,
    length_millis: i64,
    window_start: i64,
    used: u32,
}

/// The budget one answer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateBudget {
    /// Requests per window.
    pub(crate) limit: u32,
    /// Requests left in this window.
    pub(crate) remaining: u32,
    /// Epoch seconds when the window ends.
    pub(crate) reset: i64,
    /// Whole seconds from now until the window ends (rounded up).
    pub(crate) retry_after: i64,
}

impl RateWindow {
    /// `limit` requests per window of `length_millis`.
    pub(crate) fn new(limit: u32, length_millis: i64) -> Self {
        Self {
            limit,
            length_millis,
            window_start: i64::MIN,
            used: 0,
        }
    }

    /// Spends one request at `now` (epoch millis).
    pub(crate) fn spend(&mut self, now: i64) -> RateBudget {
        let window_start = self.start_of(now);
        if window_start != self.window_start {
            self.window_start = window_start;
            self.used = 0;
        }
        self.used = self.used.saturating_add(1);
        self.budget(now, self.limit.saturating_sub(self.used))
    }

    /// The budget at `now` of a window whose requests are spent (a 429).
    pub(crate) fn exhausted(&self, now: i64) -> RateBudget {
        self.budget(now, 0)
    }

    fn start_of(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.length_millis)
    }

    fn budget(&self, now: i64, remaining: u32) -> RateBudget {
        let end = self.start_of(now) + self.length_millis;
        RateBudget {
            limit: self.limit,
            remaining,
            reset: end.div_euclid(1_000),
            retry_after: (end - now + 999) / 1_000,
        }
    }
}

impl RateBudget {
    /// The same budget with nothing left (a rate-limited answer).
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
        let mut window = RateWindow::new(3, MINUTE_MILLIS);
        let start = 1_735_689_600_000;
        let first = window.spend(start + 5_000);
        assert_eq!(
            first,
            RateBudget {
                limit: 3,
                remaining: 2,
                reset: 1_735_689_660,
                retry_after: 55,
            }
        );
        assert_eq!(window.spend(start + 59_999).remaining, 1);
        assert_eq!(window.spend(start + 59_999).remaining, 0);
        assert_eq!(window.spend(start + 59_999).remaining, 0);
        let next_minute = window.spend(start + 60_000);
        assert_eq!(next_minute.remaining, 2);
        assert_eq!(next_minute.reset, 1_735_689_720);
    }

    #[test]
    fn an_hour_window_reports_when_it_ends() {
        let window = RateWindow::new(5_000, HOUR_MILLIS);
        let budget = window.exhausted(1_735_689_600_000 + 1);
        assert_eq!(budget.remaining, 0);
        assert_eq!(budget.reset, 1_735_693_200);
        assert_eq!(budget.retry_after, 3_600);
    }
}
