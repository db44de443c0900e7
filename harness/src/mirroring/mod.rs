//! The server's mirroring: fetching incidents, the sync job on the virtual clock, mirroring in
//! (get-modified-remote-data, get-remote-data) and out (update-remote-system), local changes,
//! and the debug commands.
//!
//! Seed: mirroring-integration.md; the semantics are summarised in design.md, "Mirroring
//! semantics". One job run, per instance:
//! 1. outgoing: every Out/Both incident with local changes (dirty fields, tagged entries, close
//!    or reopen, or no remote id yet) goes through update-remote-system; the returned id
//!    becomes dbotMirrorId;
//! 2. incoming: get-modified-remote-data since the previous run picks the In/Both incidents to
//!    refresh (`API rate limit` / `skip update` skip this run, NotImplementedError means all of
//!    them, full entries are applied directly); get-remote-data per incident applies fields
//!    (keeping dirty fields under server 6.1 and earlier), entries, close and reopen. An
//!    `API rate limit` error stops the run; the next run starts again from that incident and
//!    keeps the previous `lastUpdate`, so nothing is lost.

mod apply;
pub mod debug;
pub mod incident;

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::runtime::{RunEnd, RuntimeError};
use crate::scenario::{LocalChange, NewIncident, ServerSpec};
use crate::session::{Call, CommandRecord, Session};
use crate::version::Version;
pub use apply::{entry_contents, error_entries, error_text, is_error_entry, returned_id};
pub use incident::{Incident, Origin, Status, WarRoomEntry};

/// The instance params that name the tags of entries to mirror out.
pub const MIRROR_TAG_PARAMS: &[&str] = &["comment_tag", "work_notes_tag", "file_tag"];

/// The error text that makes the server stop a run and retry later.
pub const RATE_LIMIT: &str = "API rate limit";
/// The error text that makes the server skip get-remote-data this run.
pub const SKIP_UPDATE: &str = "skip update";

/// The server's incidents and mirroring job.
#[derive(Debug)]
pub struct MirrorState {
    /// Every incident, by id order.
    pub incidents: Vec<Incident>,
    /// Whether the job runs (`sync.mirror.job.enable`).
    pub enabled: bool,
    /// The job interval, ms (`delayAdvanced` seconds, else `delay` minutes).
    pub interval_ms: i64,
    /// When the job runs next.
    pub next_job_at: i64,
    /// The fetch interval, if fetching is scheduled.
    pub fetch_interval_ms: Option<i64>,
    /// When fetch runs next.
    pub next_fetch_at: Option<i64>,
    /// The `lastUpdate` of the next get-modified-remote-data.
    pub last_update: i64,
    /// When the job last ran.
    pub last_run: Option<i64>,
    /// Where the next incoming pass starts after a rate limit.
    pub resume_from: Option<u64>,
    /// How many times the remote rate limited a run.
    pub rate_limited: u64,
    /// Incidents whose get-remote-data was rate limited at least once.
    pub rate_limited_incidents: BTreeSet<u64>,
    /// Incidents whose sync records were purged: they no longer mirror.
    pub purged: BTreeSet<u64>,
    /// Whether an incoming update keeps dirty fields (server 6.1.0 and earlier).
    pub dirty_fields_stick: bool,
}

impl MirrorState {
    /// The state at the start of a scenario, at `now`.
    pub fn new(spec: &ServerSpec, now: i64) -> Self {
        let millis = |ms: u128| i64::try_from(ms.max(1000)).unwrap_or(i64::MAX);
        let delay_ms = spec
            .mirror_job_delay_advanced
            .map_or(spec.mirror_job_delay.saturating_mul(60_000), |seconds| {
                seconds.saturating_mul(1000)
            });
        let interval_ms = millis(u128::from(delay_ms));
        let fetch_interval_ms = spec.fetch_interval.map(|d| millis(d.0.as_millis()));
        Self {
            incidents: Vec::new(),
            enabled: spec.mirror_job_enable,
            interval_ms,
            next_job_at: now.saturating_add(interval_ms),
            fetch_interval_ms,
            next_fetch_at: fetch_interval_ms.map(|i| now.saturating_add(i)),
            last_update: now,
            last_run: None,
            resume_from: None,
            rate_limited: 0,
            rate_limited_incidents: BTreeSet::new(),
            purged: BTreeSet::new(),
            // An unreadable version is a current server's (the scenario parser's default).
            dirty_fields_stick: Version::parse(&spec.version)
                .is_some_and(|v| v <= Version([6, 1, 0])),
        }
    }

    /// The incident with this id.
    pub fn incident(&self, id: u64) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }

    fn incident_mut(&mut self, id: u64) -> Option<&mut Incident> {
        self.incidents.iter_mut().find(|i| i.id == id)
    }

    fn next_id(&self) -> u64 {
        self.incidents.len() as u64 + 1
    }

    /// Whether the incident takes part in mirroring for `instance`.
    fn mirrors(&self, incident: &Incident, instance: &str) -> bool {
        incident.mirror.instance.as_deref() == Some(instance) && !self.purged.contains(&incident.id)
    }
}

/// Runs fetch-incidents once and creates the incidents it returns.
pub async fn fetch(session: &mut Session<'_>) -> Result<(CommandRecord, Vec<u64>), RuntimeError> {
    let record = session.run_command(Call::new("fetch-incidents")).await?;
    let mut fetched: Vec<Value> = Vec::new();
    if record.run.end == RunEnd::Completed {
        for entry in &record.run.entries {
            if let Value::Array(items) = apply::entry_contents(entry) {
                fetched.extend(items.into_iter().filter(Value::is_object));
            }
        }
    }
    fetched.append(&mut session.server.created_incidents);
    let now = session.clock.now_millis();
    let mut created = Vec::new();
    for raw in fetched {
        let id = session.server.mirror.next_id();
        let incident = apply::incident_from_fetch(&mut session.server, id, &raw, now).await;
        session.server.mirror.incidents.push(incident);
        created.push(id);
    }
    Ok((record, created))
}

/// What an `advance` did: the integration runs, and the incidents its fetches created.
#[derive(Debug, Default)]
pub struct Advanced {
    /// The runs, in order.
    pub records: Vec<CommandRecord>,
    /// Incidents created by scheduled fetches.
    pub created: Vec<u64>,
}

/// Moves the clock by `by`, running fetch and the mirroring job at every tick that falls due.
/// It stops at the first run that crashes, hangs or breaks the protocol: later ticks would
/// only repeat the failure.
pub async fn advance(
    session: &mut Session<'_>,
    by: std::time::Duration,
) -> Result<Advanced, RuntimeError> {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    let target = session.clock.now_millis().saturating_add(by);
    let mut advanced = Advanced::default();
    loop {
        let mirror = &session.server.mirror;
        let job_due = mirror.enabled.then_some(mirror.next_job_at);
        let next = [job_due, mirror.next_fetch_at]
            .into_iter()
            .flatten()
            .filter(|t| *t <= target)
            .min();
        let Some(tick) = next else { break };
        session.clock.set_millis(tick);
        let before = advanced.records.len();
        if session.server.mirror.next_fetch_at == Some(tick) {
            let interval = session.server.mirror.fetch_interval_ms.unwrap_or(i64::MAX);
            session.server.mirror.next_fetch_at = Some(tick.saturating_add(interval));
            let (record, created) = fetch(session).await?;
            advanced.records.push(record);
            advanced.created.extend(created);
        }
        if job_due == Some(tick) {
            let interval = session.server.mirror.interval_ms;
            session.server.mirror.next_job_at = tick.saturating_add(interval);
            advanced
                .records
                .extend(run_job(session, None, false).await?);
        }
        if advanced.records[before..].iter().any(broken) {
            return Ok(advanced);
        }
    }
    session.clock.set_millis(target);
    Ok(advanced)
}

/// Whether a run crashed, hung or broke the protocol.
fn broken(record: &CommandRecord) -> bool {
    !matches!(record.run.end, RunEnd::Completed | RunEnd::Exception(_))
}

/// One run of the mirroring job for the scenario's instance; `only` limits it to one incident
/// (triggerDebugMirroringRun), `debug` turns the integration's debug logging on.
pub async fn run_job(
    session: &mut Session<'_>,
    only: Option<u64>,
    debug: bool,
) -> Result<Vec<CommandRecord>, RuntimeError> {
    let now = session.clock.now_millis();
    let instance = session.server.instance.name.clone();
    session.server.mirror.last_run = Some(now);
    let mut records = Vec::new();

    let outgoing: Vec<u64> = selected(session, &instance, only, |i| {
        i.mirror.direction.outgoing() && i.has_outgoing_changes()
    });
    for id in outgoing {
        let record = push_out(session, id, debug).await?;
        let stop = broken(&record);
        records.push(record);
        if stop {
            return Ok(records);
        }
    }

    let incoming: Vec<u64> = selected(session, &instance, only, |i| {
        i.mirror.direction.incoming() && i.mirror.id.is_some()
    });
    if incoming.is_empty() {
        return Ok(records);
    }
    let last_update = mock_vendors::clock::format_iso_millis(session.server.mirror.last_update);
    let targets = if only.is_some() {
        incoming
    } else {
        let record = session
            .run_command(
                Call::new("get-modified-remote-data")
                    .args(object(json!({"lastUpdate": last_update})))
                    .server_invoked()
                    .debug(debug),
            )
            .await?;
        let modified = apply::modified(&record);
        let stop = broken(&record);
        records.push(record);
        if stop {
            return Ok(records);
        }
        match modified {
            apply::Modified::Ids(ids) => incoming
                .into_iter()
                .filter(|id| {
                    session
                        .server
                        .mirror
                        .incident(*id)
                        .and_then(|i| i.mirror.id.as_ref())
                        .is_some_and(|m| ids.contains(m))
                })
                .collect(),
            apply::Modified::All => incoming,
            apply::Modified::Entries(objects) => {
                for object in objects {
                    apply::apply_full_entry(session, &incoming, &object).await;
                }
                session.server.mirror.last_update = now;
                return Ok(records);
            }
            apply::Modified::RateLimited => {
                session.server.mirror.rate_limited += 1;
                return Ok(records);
            }
            apply::Modified::Skip => return Ok(records),
        }
    };
    // A debug run of one incident leaves the job's resume point alone.
    let resume = if only.is_none() {
        session.server.mirror.resume_from.take()
    } else {
        None
    };
    let targets = resume_order(targets, resume);
    for id in targets {
        let (remote_id, last_sync) = match session.server.mirror.incident(id) {
            Some(i) => (
                i.mirror.id.clone().unwrap_or_default(),
                i.mirror.last_sync.unwrap_or(i.created),
            ),
            None => continue,
        };
        let args = object(json!({
            "id": remote_id,
            "lastUpdate": mock_vendors::clock::format_iso_millis(last_sync),
        }));
        let record = session
            .run_command(
                Call::new("get-remote-data")
                    .args(args)
                    .server_invoked()
                    .debug(debug),
            )
            .await?;
        let rate_limited = apply::error_text(&record).is_some_and(|e| e.contains(RATE_LIMIT));
        if rate_limited {
            let mirror = &mut session.server.mirror;
            mirror.rate_limited += 1;
            mirror.rate_limited_incidents.insert(id);
            mirror.resume_from = Some(id);
            records.push(record);
            // Keep lastUpdate: the next run asks again for everything this one did not apply.
            return Ok(records);
        }
        apply::apply_remote_data(session, id, &record).await;
        let stop = broken(&record);
        records.push(record);
        if stop {
            return Ok(records);
        }
    }
    if only.is_none() {
        session.server.mirror.last_update = now;
    }
    Ok(records)
}

fn selected(
    session: &Session<'_>,
    instance: &str,
    only: Option<u64>,
    wanted: impl Fn(&Incident) -> bool,
) -> Vec<u64> {
    let mirror = &session.server.mirror;
    mirror
        .incidents
        .iter()
        .filter(|i| mirror.mirrors(i, instance) && only.is_none_or(|o| o == i.id) && wanted(i))
        .map(|i| i.id)
        .collect()
}

/// The targets, starting from `resume` when a previous run stopped there.
fn resume_order(mut targets: Vec<u64>, resume: Option<u64>) -> Vec<u64> {
    if let Some(position) = resume.and_then(|r| targets.iter().position(|t| *t >= r)) {
        targets.rotate_left(position);
    }
    targets
}

/// Pushes one incident's local changes through update-remote-system.
async fn push_out(
    session: &mut Session<'_>,
    id: u64,
    debug: bool,
) -> Result<CommandRecord, RuntimeError> {
    let Some(incident) = session.server.mirror.incident(id).cloned() else {
        return Err(RuntimeError::io(
            "find the incident to push",
            std::io::Error::other(format!("no incident {id}")),
        ));
    };
    let now = session.clock.now_millis();
    let data = apply::outgoing_data(&mut session.server, &incident, now).await;
    let mut delta = Map::new();
    for field in &incident.mirror.current_dirty {
        let value = match field.as_str() {
            "name" => json!(incident.name),
            _ => incident.fields.get(field).cloned().unwrap_or(Value::Null),
        };
        delta.insert(field.clone(), value);
    }
    if incident.status_changed && incident.status == Status::Done {
        for field in ["closeReason", "closeNotes"] {
            delta.insert(
                field.into(),
                incident.fields.get(field).cloned().unwrap_or(json!("")),
            );
        }
    }
    let entries: Vec<Value> = incident
        .pending_entries
        .iter()
        .filter_map(|index| incident.entries.get(*index))
        .map(|e| {
            json!({
                "id": e.id,
                "type": e.kind,
                "tags": e.tags,
                "contents": e.contents,
                "format": e.format,
                "user": "analyst",
                "note": e.note,
                "file": e.file,
            })
        })
        .collect();
    let args = object(json!({
        "data": data,
        "entries": entries,
        "incidentChanged": !incident.mirror.current_dirty.is_empty() || incident.status_changed,
        "remoteId": incident.mirror.id.clone().unwrap_or_default(),
        "status": incident.status.code(),
        "delta": delta,
    }));
    let record = session
        .run_command(
            Call::new("update-remote-system")
                .args(args)
                .server_invoked()
                .incidents(vec![incident.as_object()])
                .debug(debug),
        )
        .await?;
    let returned = apply::returned_id(&record);
    let succeeded = record.run.end == RunEnd::Completed && apply::error_text(&record).is_none();
    if let (true, Some(incident)) = (succeeded, session.server.mirror.incident_mut(id)) {
        if let Some(remote_id) = returned.filter(|r| !r.is_empty()) {
            incident.mirror.id.get_or_insert(remote_id);
        }
        incident.mirror.current_dirty.clear();
        incident.pending_entries.clear();
        incident.status_changed = false;
    }
    Ok(record)
}

/// Applies an analyst's change; `Err` says what is wrong with the step.
pub fn local_change(session: &mut Session<'_>, change: &LocalChange) -> Result<(), String> {
    let now = session.clock.now_millis();
    let id = change.incident.value;
    let tag_params = mirror_tags_of_instance(session);
    let files_dir = match change.file {
        Some(_) => Some(
            session
                .files_dir()
                .map_err(|e| format!("cannot store the file entry: {e}"))?,
        ),
        None => None,
    };
    let server = &mut session.server;
    let known = server
        .mirror
        .incidents
        .iter()
        .map(|i| i.id.to_string())
        .collect::<Vec<_>>();
    let incident = server.mirror.incident_mut(id).ok_or_else(|| {
        format!(
            "there is no incident {id} (incidents: {})",
            if known.is_empty() {
                "none yet".to_owned()
            } else {
                known.join(", ")
            }
        )
    })?;
    for (field, value) in &change.set {
        if field == "name" {
            incident.name = value.as_str().unwrap_or_default().to_owned();
        } else {
            incident.fields.insert(field.clone(), value.clone());
        }
        incident.mirror.dirty.insert(field.clone());
        incident.mirror.current_dirty.insert(field.clone());
    }
    let tags_to_push: Vec<String> = if incident.mirror.tags.is_empty() {
        tag_params
    } else {
        incident.mirror.tags.clone()
    };
    let queue = |incident: &mut Incident, index: usize, tags: &[String]| {
        if incident.mirror.direction.outgoing() && tags.iter().any(|t| tags_to_push.contains(t)) {
            incident.pending_entries.push(index);
            incident.entries[index].queued = true;
        }
    };
    if let Some(entry) = &change.entry {
        let index = incident.add_entry(WarRoomEntry {
            id: String::new(),
            kind: 1,
            contents: json!(entry.text),
            format: "text".into(),
            tags: entry.tags.clone(),
            note: entry.note,
            origin: Origin::Local,
            file: None,
            queued: false,
        });
        queue(incident, index, &entry.tags);
    }
    if let (Some(file), Some(files_dir)) = (&change.file, files_dir) {
        let index = incident.add_entry(WarRoomEntry {
            id: String::new(),
            kind: 3,
            contents: json!(file.name),
            format: "text".into(),
            tags: file.tags.clone(),
            note: false,
            origin: Origin::Local,
            file: Some(file.name.clone()),
            queued: false,
        });
        let entry_id = incident.entries[index].id.clone();
        let path = files_dir.join(entry_id.replace('@', "_"));
        std::fs::write(&path, &file.text)
            .map_err(|e| format!("cannot store the file entry: {e}"))?;
        queue(incident, index, &file.tags);
        server.files.insert(entry_id, (file.name.clone(), path));
    }
    let Some(incident) = server.mirror.incident_mut(id) else {
        return Ok(());
    };
    if let Some(close) = &change.close {
        incident.status = Status::Done;
        incident.closed = Some(now);
        incident
            .fields
            .insert("closeReason".into(), json!(close.reason));
        incident
            .fields
            .insert("closeNotes".into(), json!(close.notes));
        incident.status_changed = true;
    }
    if change.reopen {
        incident.status = Status::Active;
        incident.closed = None;
        incident.status_changed = true;
    }
    Ok(())
}

/// Creates a local incident that the instance mirrors out; returns its id.
pub fn create_local(session: &mut Session<'_>, new: &NewIncident) -> u64 {
    let now = session.clock.now_millis();
    let tags = mirror_tags_of_instance(session);
    let server = &mut session.server;
    let id = server.mirror.next_id();
    let kind = new
        .kind
        .clone()
        .or_else(|| configured_incident_type(&server.instance.params))
        .unwrap_or_else(|| UNCLASSIFIED.to_owned());
    let mut incident = Incident::new(id, new.name.clone(), kind, now);
    incident
        .fields
        .extend(new.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    incident.mirror.direction = new.direction;
    incident.mirror.instance = Some(server.instance.name.clone());
    incident.mirror.tags = tags;
    server.mirror.incidents.push(incident);
    id
}

fn mirror_tags_of_instance(session: &Session<'_>) -> Vec<String> {
    MIRROR_TAG_PARAMS
        .iter()
        .filter_map(|p| {
            session
                .server
                .instance
                .params
                .get(*p)
                .and_then(Value::as_str)
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The type of an incident nothing classifies.
pub(crate) const UNCLASSIFIED: &str = "Unclassified";

/// The instance's `incidentType` param, if set.
pub(crate) fn configured_incident_type(params: &Map<String, Value>) -> Option<String> {
    params
        .get("incidentType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limited_pass_resumes_at_the_failed_incident() {
        assert_eq!(resume_order(vec![1, 2, 3, 4], Some(3)), vec![3, 4, 1, 2]);
        assert_eq!(resume_order(vec![1, 2, 4], Some(3)), vec![4, 1, 2]);
        assert_eq!(resume_order(vec![1, 2], None), vec![1, 2]);
    }
}
