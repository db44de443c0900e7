//! [`Seeded`]: a vendor's state behind one lock, with the seed it returns
//! to on reset.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use super::vendor::SeedError;
use crate::clock::Clock;

/// The state of one vendor, as [`Seeded`] builds and replaces it.
pub(crate) trait VendorState: Sized {
    /// What stays across seeds and resets (credentials, limits).
    type Config;

    /// The state a seed describes, stamped at `now`.
    ///
    /// # Errors
    ///
    /// [`SeedError`] when the seed does not have the vendor's shape or
    /// holds an unacceptable value.
    fn build(seed: &Value, config: &Self::Config, now: i64) -> Result<Self, SeedError>;

    /// The state when a seed accepted once is refused on reset (building
    /// is deterministic, so only a bug gets here).
    fn empty(config: &Self::Config) -> Self;

    /// What a new state takes over from the one it replaces (streams of
    /// ids that must stay fresh for the life of the vendor). Nothing by
    /// default.
    fn carry_over(&mut self, _replaced: &Self) {}
}

/// A vendor's clock, configuration and state; the state is replaced
/// whole by a seed and rebuilt from the last seed by a reset.
pub(crate) struct Seeded<S: VendorState> {
    clock: Clock,
    config: S::Config,
    held: Mutex<Held<S>>,
}

struct Held<S> {
    state: S,
    /// The last accepted seed, for `reset`.
    seed: Value,
}

/// The locked state.
pub(crate) struct StateGuard<'a, S>(MutexGuard<'a, Held<S>>);

impl<S> Deref for StateGuard<'_, S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.0.state
    }
}

impl<S> DerefMut for StateGuard<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.0.state
    }
}

impl<S: VendorState> Seeded<S> {
    /// The state of the empty seed `{}`.
    pub(crate) fn new(clock: Clock, config: S::Config) -> Self {
        let seed = json!({});
        let state =
            S::build(&seed, &config, clock.now_millis()).unwrap_or_else(|_| S::empty(&config));
        Self {
            clock,
            config,
            held: Mutex::new(Held { state, seed }),
        }
    }

    /// The virtual clock records are stamped from.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The clock's now, epoch millis.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// What stays across seeds and resets.
    pub(crate) fn config(&self) -> &S::Config {
        &self.config
    }

    /// Changes what stays across seeds and resets (builders, before the
    /// vendor is shared).
    pub(crate) fn config_mut(&mut self) -> &mut S::Config {
        &mut self.config
    }

    /// The state, even if a panic elsewhere poisoned the lock: every
    /// mutation is completed before it becomes visible, so the data is
    /// consistent.
    pub(crate) fn lock(&self) -> StateGuard<'_, S> {
        StateGuard(self.held.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the state with the one `seed` describes and keeps the seed
    /// for [`reset`](Self::reset).
    ///
    /// # Errors
    ///
    /// The [`SeedError`] of [`VendorState::build`]; the state is then left
    /// as it was.
    pub(crate) fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        // Built outside the lock: requests go on meanwhile.
        let mut fresh = S::build(seed, &self.config, self.now())?;
        let mut held = self.lock();
        fresh.carry_over(&held);
        held.0.state = fresh;
        held.0.seed = seed.clone();
        Ok(())
    }

    /// Rebuilds the state from the last seed (the empty one if never
    /// seeded), at the clock's now.
    pub(crate) fn reset(&self) {
        let mut held = self.lock();
        let mut fresh = S::build(&held.0.seed, &self.config, self.now())
            .unwrap_or_else(|_| S::empty(&self.config));
        fresh.carry_over(&held);
        held.0.state = fresh;
    }
}
