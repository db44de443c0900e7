//! The mirroring contract checks: after each run, after a fetch, and at the end of a scenario.

use mock_vendors::{JournalEntry, Vendor, VendorKind};
use serde_json::{Map, Value};

use super::Rule;
use crate::integration::ServerCommand;
use crate::runtime::RunEnd;
use crate::scenario::Direction;
use crate::server::mirroring::{self, Incident, Origin};
use crate::server::MapperRole;
use crate::server::{CommandRecord, Server};

/// The checks of one integration run.
pub(crate) fn per_run(
    server: &Server,
    vendor: Option<&dyn Vendor>,
    record: &CommandRecord,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    if record.command != ServerCommand::UpdateRemoteSystem.name()
        || record.run.end != RunEnd::Completed
    {
        return found;
    }
    if let Some(error) = record.error_text() {
        // The server keeps the changes of a failed push and pushes them again in the next run:
        // a failure the vendor caused (a rate limit, an outage, a dropped connection) is judged
        // by what arrives in the end. Any other failure is the integration's own.
        let vendor_failed = record
            .requests
            .iter()
            .any(|request| request.fault.is_some());
        if !error.contains(mirroring::RATE_LIMIT) && !vendor_failed {
            found.push((
                Rule::MirrorUpdateReturnsId,
                format!(
                    "update-remote-system failed instead of returning the remote id: {}",
                    crate::failure::error_summary(&error)
                ),
            ));
        }
        return found;
    }
    let remote_id = record
        .args
        .get("remoteId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if mirroring::returned_id(record).is_none_or(|id| id.is_empty()) {
        found.push((
            Rule::MirrorUpdateReturnsId,
            format!(
                "update-remote-system (remoteId {remote_id:?}) returned no id; it must return the remote incident id as a plain string"
            ),
        ));
    }
    if remote_id.is_empty() {
        return found;
    }
    let delta = record
        .args
        .get("delta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let allowed = allowed_fields(server, remote_id, &delta);
    for request in &record.requests {
        // The vendor says which record fields a request writes (its journal and close fields
        // aside, which go with entries and closes).
        let Some(write) = vendor.and_then(|vendor| {
            vendor.record_write(
                &request.method,
                &request.path,
                request.query.as_deref(),
                request.body.as_ref(),
            )
        }) else {
            continue;
        };
        if write.record != remote_id {
            continue;
        }
        let extra: Vec<&str> = write
            .fields
            .iter()
            .map(String::as_str)
            .filter(|k| !allowed.iter().any(|a| a == k))
            .collect();
        if !extra.is_empty() {
            found.push((
                Rule::MirrorDeltaOnly,
                format!(
                    "update-remote-system wrote {} on remote {remote_id}, which the analyst did not change (delta: {})",
                    extra.join(", "),
                    if delta.is_empty() { "empty".to_owned() } else { delta.keys().cloned().collect::<Vec<_>>().join(", ") }
                ),
            ));
        }
    }
    found
}

/// The vendor fields the delta may write: the delta's own keys and what the outgoing mapper
/// makes of them.
fn allowed_fields(server: &Server, remote_id: &str, delta: &Map<String, Value>) -> Vec<String> {
    let mut allowed: Vec<String> = delta.keys().cloned().collect();
    let kind = server
        .incidents()
        .iter()
        .find(|i| i.mirror().id.as_deref() == Some(remote_id))
        .map(|i| i.kind().to_owned());
    let mapper = server.instance_mapper(MapperRole::Outgoing);
    if let Some(rules) = mapper.zip(kind).and_then(|(m, kind)| m.rules_for(&kind)) {
        // A vendor field is the delta's when its rule reads a changed field (or nothing: a
        // constant goes out with every push).
        let changed = |path: &String| delta.contains_key(path.split('.').next().unwrap_or(path));
        for (target, rule) in rules {
            let reads = rule.reads();
            if reads.is_empty() || reads.iter().any(changed) {
                allowed.push(target.clone());
            }
        }
    }
    allowed
}

/// The checks of the incidents a fetch created: each one mirrored in some direction (its own,
/// or the instance's `mirror_direction` when the fetch set none) has a dbotMirrorId.
pub(crate) fn after_fetch(server: &Server, created: &Value) -> Vec<(Rule, String)> {
    let configured = server
        .instance()
        .params
        .get("mirror_direction")
        .and_then(Value::as_str)
        .and_then(Direction::parse)
        .unwrap_or_default();
    let ids = created.as_array().cloned().unwrap_or_default();
    let fetched: Vec<&Incident> = ids
        .iter()
        .filter_map(Value::as_u64)
        .filter_map(|id| server.incident(id))
        .collect();
    let mut found = fetched_twice(server, &fetched);
    found.extend(fetched.into_iter().filter_map(|i| {
            let direction = match i.mirror().direction {
                Direction::None => configured,
                own => own,
            };
            (direction != Direction::None && i.mirror().id.is_none()).then(|| {
                (
                    Rule::MirrorIdSet,
                    format!(
                        "incident {} ({}) should mirror `{}` but the fetch left dbotMirrorId empty; set it from the remote id (directly or through the incoming mapper)",
                        i.id(),
                        i.name(),
                        direction.as_str()
                    ),
                )
            })
        }));
    found
}

/// Fetched incidents that mirror a remote incident an earlier incident of the same instance
/// mirrors already (fetched again, or one of ours fetched back).
fn fetched_twice(server: &Server, fetched: &[&Incident]) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    for incident in fetched {
        let Some(remote_id) = incident.mirror().id.as_deref() else {
            continue;
        };
        let earlier = server.incidents().iter().find(|other| {
            other.id() < incident.id()
                && other.mirror().id.as_deref() == Some(remote_id)
                && other.mirror().instance == incident.mirror().instance
        });
        if let Some(earlier) = earlier {
            found.push((
                Rule::MirrorFetchNewOnly,
                format!(
                    "the fetch created incident {} ({}) for remote incident {remote_id:?}, which incident {} ({}) mirrors already; a fetch must skip what it fetched before (dedup by remote id) and what this instance created at the remote itself",
                    incident.id(),
                    incident.name(),
                    earlier.id(),
                    earlier.name()
                ),
            ));
        }
    }
    found
}

/// The checks over the whole scenario: entries exactly once both ways, no echo, direction.
pub(crate) fn end_of_scenario(
    server: &Server,
    vendor: Option<&dyn Vendor>,
    journal: &[JournalEntry],
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    for incident in server.incidents() {
        let Some(remote_id) = incident.mirror().id.as_deref() else {
            continue;
        };
        found.extend(no_echo(incident));
        if let Some(notes) = vendor.and_then(|v| v.ticket_notes(remote_id)) {
            found.extend(exactly_once(
                incident,
                &notes,
                server.mirrored_until(incident),
            ));
        }
        if !incident.mirror().direction.outgoing() {
            let writes = |r: &&JournalEntry| writes_to(vendor, r, remote_id);
            found.extend(journal.iter().filter(writes).map(|r| {
                (
                    Rule::MirrorDirection,
                    format!(
                        "incident {} mirrors `{}` but the integration wrote to its remote record: {} {}",
                        incident.id(),
                        incident.mirror().direction.as_str(),
                        r.method,
                        r.path
                    ),
                )
            }));
        }
    }
    found
}

/// Whether a request writes to the remote record `remote_id`: as the vendor tells its writes;
/// for a vendor that knows no records (stubs), a request other than a GET that names the id.
fn writes_to(vendor: Option<&dyn Vendor>, request: &JournalEntry, remote_id: &str) -> bool {
    match vendor.filter(|vendor| vendor.kind() != VendorKind::Stub) {
        Some(vendor) => vendor
            .record_write(
                &request.method,
                &request.path,
                request.query.as_deref(),
                request.body.as_ref(),
            )
            .is_some_and(|write| write.record == remote_id),
        None => request.method != "GET" && names_record(request, remote_id),
    }
}

/// Whether a request names the record: the id as a whole path segment, or anywhere in the query
/// or body.
fn names_record(request: &JournalEntry, remote_id: &str) -> bool {
    request.path.split('/').any(|segment| segment == remote_id)
        || request
            .query
            .as_deref()
            .is_some_and(|q| q.contains(remote_id))
        || request
            .body
            .as_ref()
            .is_some_and(|b| b.to_string().contains(remote_id))
}

/// Whether `text` holds `part` as whole lines: mirrors wrap what they copy in lines of their
/// own (who wrote it, a marker), and "note 1" must not count inside "note 10".
fn holds_text(text: &str, part: &str) -> bool {
    let part: Vec<&str> = part.trim().lines().map(str::trim_end).collect();
    if part.is_empty() || part.iter().all(|line| line.is_empty()) {
        return false;
    }
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines
        .windows(part.len())
        .any(|window| window == part.as_slice())
}

fn local_texts(incident: &Incident) -> Vec<String> {
    incident
        .entries()
        .iter()
        .filter(|e| e.origin == Origin::Local && e.file.is_none())
        .map(|e| e.text())
        .filter(|t| !t.trim().is_empty())
        .collect()
}

fn no_echo(incident: &Incident) -> Vec<(Rule, String)> {
    let local = local_texts(incident);
    incident
        .entries()
        .iter()
        .filter(|e| e.origin == Origin::Mirrored)
        .filter_map(|e| {
            let text = e.text();
            local.iter().find(|l| holds_text(&text, l)).map(|l| {
                (
                    Rule::MirrorNoEcho,
                    format!(
                        "incident {}: entry {} mirrored in is the analyst's own entry {:?} coming back; skip what the integration wrote itself",
                        incident.id(), e.id, l
                    ),
                )
            })
        })
        .collect()
}

/// `mirrored_until`: when the job last finished its incoming pass, if it still mirrors the
/// incident.
fn exactly_once(
    incident: &Incident,
    notes: &[mock_vendors::TicketNote],
    mirrored_until: Option<i64>,
) -> Vec<(Rule, String)> {
    let mut found = Vec::new();
    let local = local_texts(incident);
    let mirrored: Vec<String> = incident
        .entries()
        .iter()
        .filter(|e| e.origin == Origin::Mirrored)
        .map(|e| e.text())
        .collect();
    // Zero is judged only where the entry must mirror; twice or more always.
    let mut judge = |what: String, count: usize, must: bool, whence: &str| {
        if count > 1 || (must && count == 0) {
            found.push((
                Rule::MirrorEntriesExactlyOnce,
                format!(
                    "incident {}: {what} appears {count} times {whence}, expected exactly once",
                    incident.id()
                ),
            ));
        }
    };
    if incident.mirror().direction.incoming() {
        // What the job has read: up to the incident's own last sync, and everything before
        // its last complete incoming pass (an incident it stopped refreshing still owes it).
        let read_until = incident
            .mirror()
            .last_sync
            .unwrap_or(i64::MIN)
            .max(mirrored_until.map_or(i64::MIN, |until| until - 1));
        {
            for note in notes.iter().filter(|n| {
                !n.text.trim().is_empty()
                    && n.created_at_millis > incident.created()
                    && n.created_at_millis <= read_until
                    && !local.iter().any(|l| holds_text(&n.text, l))
            }) {
                let count = mirrored
                    .iter()
                    .filter(|m| holds_text(m, &note.text))
                    .count();
                judge(
                    format!("the remote {} {:?}", note.kind, note.text),
                    count,
                    note.must_mirror,
                    "in the war room",
                );
            }
        }
    }
    if incident.mirror().direction.outgoing() {
        for (index, entry) in incident.entries().iter().enumerate() {
            let pushed = entry.queued && entry.file.is_none() && !incident.is_pending(index);
            if pushed {
                let text = entry.text();
                let count = notes.iter().filter(|n| holds_text(&n.text, &text)).count();
                // Sent again after a push whose write was answered too late to be known: at
                // least once is all a retry can promise.
                if count > 1 && incident.was_resent(index) {
                    continue;
                }
                judge(
                    format!("the analyst's entry {} {:?}", entry.id, text),
                    count,
                    true,
                    "at the remote",
                );
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::holds_text;

    #[test]
    fn texts_are_found_as_whole_lines() {
        let mirrored = "ServiceNow comment by beth on 2025-01-01 00:00:01 UTC:\nremote note 10";
        assert!(holds_text(mirrored, "remote note 10"));
        assert!(!holds_text(mirrored, "remote note 1"));
        assert!(holds_text(
            "two\nlines\n\nMirrored from Cortex XSOAR",
            "two\nlines"
        ));
        assert!(!holds_text("anything", "  "));
    }
}
