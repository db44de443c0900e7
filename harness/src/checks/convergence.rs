//! Fields converge (seed mirroring-integration.md, get-remote-data, update-remote-system and
//! the dirty-fields note): once the mirroring job has caught up, a field a person changed on
//! one side has the same value on the other, where the incident's direction carries it there.
//!
//! The ledger keeps, per incident, the fields analysts set (scenario `local` steps) and the
//! last time a person changed the remote record (`remote` steps), in step order, since the last
//! settled check. The remote side is read back through the integration's own get-remote-data
//! and incoming mapper, so the check needs nothing vendor-specific. A field set here after the
//! record last changed must read back the same when the incident mirrors out (or differ only
//! where the outgoing mapper cannot tell the values apart: 4 Critical and 3 High are both
//! ServiceNow's 1 High); any mapped field of a record changed at the remote since must be the
//! same here when the incident mirrors in, unless a local edit made it dirty on a server that
//! keeps dirty fields (6.1 and earlier). The job pushes before it pulls, and an incoming update
//! leaves a field whose push is pending as it is, so a field both sides changed between two
//! runs ends up with the local value on both.

use std::collections::BTreeMap;

use mock_vendors::Vendor;
use serde_json::{Map, Value};

use crate::mapping::value::shown;
use crate::server::mirroring::alike_mapped_out;
use crate::server::Server;
use crate::text::text;

/// Each mirroring incident's remote record, as the vendor keeps it.
pub(crate) fn remote_records(server: &Server, vendor: Option<&dyn Vendor>) -> Vec<(u64, Value)> {
    server
        .incidents()
        .iter()
        .filter_map(|incident| {
            let record = vendor?.record(incident.mirror().id.as_deref()?)?;
            Some((incident.id(), record))
        })
        .collect()
}

/// What people changed of one incident since the last judgement, in step order.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    /// The fields analysts set: when, and the last value.
    local: BTreeMap<String, (u64, Value)>,
    /// When a person last changed the remote record.
    remote: Option<u64>,
}

/// The field changes people made since the last judgement.
#[derive(Debug, Default)]
pub(crate) struct FieldLedger {
    /// Counts changes, to order them.
    seq: u64,
    touched: BTreeMap<u64, Touched>,
    /// Whether a judgement had a field to judge.
    pub(crate) judged_any: bool,
}

impl FieldLedger {
    /// Records the fields an analyst set on `incident`.
    pub(crate) fn record_local<'a>(
        &mut self,
        incident: u64,
        fields: impl IntoIterator<Item = (&'a String, &'a Value)>,
    ) {
        for (field, value) in fields {
            self.seq += 1;
            let touched = self.touched.entry(incident).or_default();
            touched
                .local
                .insert(field.clone(), (self.seq, value.clone()));
        }
    }

    /// Records which remote records a person's step changed, from the records before and
    /// after it.
    pub(crate) fn record_remote(&mut self, before: &[(u64, Value)], after: &[(u64, Value)]) {
        for (incident, now) in after {
            let changed = before
                .iter()
                .find(|(id, _)| id == incident)
                .is_some_and(|(_, then)| then != now);
            if changed {
                self.seq += 1;
                self.touched.entry(*incident).or_default().remote = Some(self.seq);
            }
        }
    }

    /// The incidents to read back, with what changed; the ledger starts afresh.
    pub(crate) fn take(&mut self) -> BTreeMap<u64, Touched> {
        std::mem::take(&mut self.touched)
    }

    /// What the remote side read back (`remote`, local field names) breaks of `touched`.
    pub(crate) async fn judge(
        &mut self,
        server: &mut Server,
        incident: u64,
        touched: &Touched,
        remote: &Map<String, Value>,
    ) -> Vec<String> {
        let Some(mirrored) = server.incident(incident) else {
            return Vec::new();
        };
        let direction = mirrored.mirror().direction;
        let dirty = mirrored.mirror().dirty.clone();
        let here = mirrored.as_object();
        let sticks = server.dirty_fields_stick();
        let mut found = Vec::new();
        for (field, there) in remote {
            // The analyst's value, when the analyst changed the field after the record last
            // changed: the documented winner.
            let analyst = touched
                .local
                .get(field)
                .filter(|(set, _)| touched.remote.is_none_or(|r| *set > r))
                .map(|(_, value)| value);
            let judged = match analyst {
                Some(_) => direction.outgoing(),
                None => {
                    touched.remote.is_some()
                        && direction.incoming()
                        && !(sticks && dirty.contains(field))
                }
            };
            if !judged || field == "type" {
                continue;
            }
            self.judged_any = true;
            let value = here.get(field).unwrap_or(&Value::Null);
            // Equal, or equal as far as the outgoing mapper can tell.
            let mut alike = async |a: &Value, b: &Value| {
                text(a) == text(b) || alike_mapped_out(server, incident, field, b).await
            };
            let problem = match analyst {
                Some(set) if !alike(value, set).await => format!(
                    "{field} was set here last, to {}, and the incident mirrors {}, but once the job caught up it is {} here (and {} at the remote): mirroring in overwrote the analyst's change",
                    shown(set),
                    direction.as_str(),
                    shown(value),
                    shown(there)
                ),
                Some(_) if !alike(value, there).await => format!(
                    "{field} was set here last, to {}, and the incident mirrors {}, but once the job caught up get-remote-data reads {} back from the remote",
                    shown(value),
                    direction.as_str(),
                    shown(there)
                ),
                None if text(value) != text(there) => format!(
                    "the remote record changed last, and get-remote-data reads {field} {} back from it; the incident mirrors {}, but once the job caught up {field} is {} here",
                    shown(there),
                    direction.as_str(),
                    shown(value)
                ),
                _ => continue,
            };
            found.push(format!("incident {incident}: {problem}"));
        }
        found
    }
}
