//! Closes and reopens follow the instance's `close_incident` and `close_out` (seed
//! mirroring-integration.md, "Optional Parameters"): once the mirroring job has caught up, a
//! close made at the remote has closed the mirrored incident when close_incident is on, a
//! local close has closed the remote record when close_out is on, and with the setting off
//! (or the direction not mirroring that way) the other side kept the state it had.
//!
//! The ledger keeps the closes and reopens that people made (scenario `remote` and `local`
//! steps), on either side, since the last time it was judged (a `check: {settled: true}`
//! step). An incident both sides closed or reopened in that time is not judged: no document
//! says which side wins. Reopens propagate as the integration sees fit when the setting is on;
//! only their staying on their side when it is off is judged.

use std::collections::BTreeMap;

use mock_vendors::Vendor;
use serde_json::{Map, Value};

use crate::iam::is_true;
use crate::server::Server;

/// The instance parameter that lets remote closes close the mirrored incident (seed
/// mirroring-integration.md, "Optional Parameters").
pub(crate) const CLOSE_INCIDENT: &str = "close_incident";
/// The instance parameter that lets local closes close the remote record.
pub(crate) const CLOSE_OUT: &str = "close_out";

/// Which side a person changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Local,
    Remote,
}

/// One incident's close state on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloseState {
    incident: u64,
    remote_id: String,
    local: bool,
    remote: Option<bool>,
}

/// The close states of every incident that mirrors a remote record.
pub(crate) fn close_states(server: &Server, vendor: Option<&dyn Vendor>) -> Vec<CloseState> {
    server
        .incidents()
        .iter()
        .filter_map(|incident| {
            let remote_id = incident.mirror().id.clone()?;
            Some(CloseState {
                incident: incident.id(),
                remote: vendor.and_then(|v| v.record_closed(&remote_id)),
                remote_id,
                local: incident.is_closed(),
            })
        })
        .collect()
}

/// A person's last close or reopen of one incident, and the other side's state before it.
#[derive(Debug, Clone, Copy)]
struct Change {
    side: Side,
    closed: bool,
    other_before: Option<bool>,
    /// Both sides changed since the last judgement.
    contested: bool,
}

/// The closes and reopens people made since the last judgement.
#[derive(Debug, Default)]
pub(crate) struct CloseLedger {
    changes: BTreeMap<u64, Change>,
    /// Whether a judgement had a change to judge.
    pub(crate) judged_any: bool,
}

impl CloseLedger {
    /// Records what a person's step changed, from the states before and after it.
    pub(crate) fn record(&mut self, before: &[CloseState], after: &[CloseState]) {
        for now in after {
            let then = before.iter().find(|b| b.incident == now.incident);
            let changed = |side: Side| match (side, then) {
                (Side::Local, Some(then)) => (then.local != now.local).then_some(now.local),
                (Side::Remote, Some(then)) => match (then.remote, now.remote) {
                    (Some(was), Some(is)) if was != is => Some(is),
                    _ => None,
                },
                // An incident that started mirroring in this step: nothing to compare.
                (_, None) => None,
            };
            for side in [Side::Local, Side::Remote] {
                let Some(closed) = changed(side) else {
                    continue;
                };
                let other_before = then.and_then(|then| match side {
                    Side::Local => then.remote,
                    Side::Remote => Some(then.local),
                });
                let contested = self
                    .changes
                    .get(&now.incident)
                    .is_some_and(|earlier| earlier.side != side || earlier.contested);
                self.changes.insert(
                    now.incident,
                    Change {
                        side,
                        closed,
                        other_before,
                        contested,
                    },
                );
            }
        }
    }

    /// What the states now break of the settings; the ledger starts afresh.
    pub(crate) fn judge(&mut self, server: &Server, now: &[CloseState]) -> Vec<String> {
        let params = &server.instance().params;
        let mut found = Vec::new();
        for (incident, change) in std::mem::take(&mut self.changes) {
            let (Some(state), Some(mirrored)) = (
                now.iter().find(|s| s.incident == incident),
                server.incident(incident),
            ) else {
                continue;
            };
            if change.contested {
                continue;
            }
            let direction = mirrored.mirror().direction;
            let (setting, flows, other_now, other) = match change.side {
                Side::Remote => (
                    CLOSE_INCIDENT,
                    direction.incoming(),
                    Some(state.local),
                    format!("incident {incident}"),
                ),
                Side::Local => (
                    CLOSE_OUT,
                    direction.outgoing(),
                    state.remote,
                    format!("remote record {}", state.remote_id),
                ),
            };
            let Some(on) = setting_of(params, setting) else {
                continue;
            };
            let what = match (change.side, change.closed) {
                (Side::Remote, true) => format!("the remote closed {}", state.remote_id),
                (Side::Remote, false) => format!("the remote reopened {}", state.remote_id),
                (Side::Local, true) => format!("incident {incident} was closed in XSOAR"),
                (Side::Local, false) => format!("incident {incident} was reopened in XSOAR"),
            };
            // A side whose state the vendor cannot tell is not judged.
            let (Some(other_now), Some(other_before)) = (other_now, change.other_before) else {
                continue;
            };
            self.judged_any = true;
            let shown = |closed: bool| if closed { "closed" } else { "open" };
            if on && flows {
                if change.closed && !other_now {
                    found.push(format!(
                        "{what} and {setting} is on (direction {}), but once the job caught up {other} is open",
                        direction.as_str(),
                    ));
                }
            } else if other_now != other_before {
                let why = if on {
                    format!("the incident mirrors {} only", direction.as_str())
                } else {
                    format!("{setting} is off")
                };
                found.push(format!(
                    "{what}; {why}, yet {other} went from {} to {}",
                    shown(other_before),
                    shown(other_now)
                ));
            }
        }
        found
    }
}

/// An instance's boolean setting; `None` when the instance does not set it.
fn setting_of(params: &Map<String, Value>, name: &str) -> Option<bool> {
    params.get(name).map(is_true)
}
