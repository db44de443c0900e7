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
//!    (keeping dirty fields under server 6.1 and earlier, and fields whose push is pending on
//!    an incident that mirrors out), entries, close and reopen. An
//!    `API rate limit` error stops the run; the next run starts again from that incident and
//!    keeps the previous `lastUpdate`, so nothing is lost.

mod apply;
pub(crate) mod debug;
pub(crate) mod incident;
mod read_back;

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::run::{Call, CommandRecord, Driver};
use super::Server;
use crate::entries::EntryType;
use crate::integration::ServerCommand;
use crate::runtime::{RunEnd, RuntimeError};
use crate::scenario::{LocalChange, NewIncident, ServerSpec};
use crate::version::Version;
pub(crate) use apply::returned_id;
pub(crate) use incident::{Incident, MirrorFields, Origin, Status, WarRoomEntry};
use mock_vendors::format_iso_millis;
pub(crate) use read_back::{alike_mapped_out, read_back};

/// The error text that makes the server stop a run and retry later.
pub(crate) const RATE_LIMIT: &str = "API rate limit";
/// The error text that makes the server skip get-remote-data this run.
pub(crate) const SKIP_UPDATE: &str = "skip update";

/// The server's incidents and mirroring job.
#[derive(Debug)]
pub(crate) struct MirrorState {
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
    /// Turns the scheduled job on or off (`sync.mirror.job.enable`); switched on, it runs
    /// again at the first tick of its interval at or after `now`.
    pub(crate) fn switch_job(&mut self, on: bool, now: i64) {
        if on && !self.enabled && self.next_job_at < now {
            let interval = self.interval_ms.max(1);
            // Whole intervals until the first tick at or after `now` (both are positive).
            let missed = (now - self.next_job_at + interval - 1) / interval;
            self.next_job_at = self
                .next_job_at
                .saturating_add(missed.saturating_mul(interval));
        }
        self.enabled = on;
    }

    /// The state at the start of a scenario, at `now`.
    pub(crate) fn new(spec: &ServerSpec, now: i64) -> Self {
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
            dirty_fields_stick: spec.version <= Version([6, 1, 0]),
        }
    }

    /// The incident with this id.
    pub(crate) fn incident(&self, id: u64) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }

    fn incident_mut(&mut self, id: u64) -> Option<&mut Incident> {
        self.incidents.iter_mut().find(|i| i.id == id)
    }

    fn next_id(&self) -> u64 {
        self.incidents.len() as u64 + 1
    }

    /// Whether the incident takes part in mirroring for `instance`.
    pub(crate) fn mirrors(&self, incident: &Incident, instance: &str) -> bool {
        incident.mirror.instance.as_deref() == Some(instance) && !self.purged.contains(&incident.id)
    }
}

/// Runs fetch-incidents once and creates the incidents it returns.
pub(crate) async fn fetch(
    server: &mut Server,
    driver: &mut dyn Driver,
) -> Result<(CommandRecord, Vec<u64>), RuntimeError> {
    let last_run = server.last_run.clone();
    let record = server
        .run(driver, Call::new(ServerCommand::FetchIncidents.name()))
        .await?;
    if !matches!(record.run.end, RunEnd::Completed | RunEnd::Exception(_)) {
        // A fetch that never finished stored nothing: the next one starts from the same lastRun.
        server.last_run = last_run;
    }
    let mut fetched: Vec<Value> = Vec::new();
    if record.run.end == RunEnd::Completed {
        for entry in &record.run.entries {
            if let Value::Array(items) = crate::entries::entry_contents(entry) {
                fetched.extend(items.into_iter().filter(Value::is_object));
            }
        }
    }
    fetched.append(&mut server.created_incidents);
    let now = server.now();
    let mut created = Vec::new();
    for raw in fetched {
        let id = server.mirror.next_id();
        let incident = apply::incident_from_fetch(server, id, &raw, now).await;
        server.mirror.incidents.push(incident);
        created.push(id);
    }
    Ok((record, created))
}

/// What an `advance` did: the integration runs, and the incidents its fetches created.
#[derive(Debug, Default)]
pub(crate) struct Advanced {
    /// The runs, in order.
    pub records: Vec<CommandRecord>,
    /// Incidents created by scheduled fetches.
    pub created: Vec<u64>,
}

/// Moves the clock by `by`, running fetch and the mirroring job at every tick that falls due.
/// It stops at the first run that crashes, hangs or breaks the protocol: later ticks would
/// only repeat the failure.
pub(crate) async fn advance(
    server: &mut Server,
    driver: &mut dyn Driver,
    by: std::time::Duration,
) -> Result<Advanced, RuntimeError> {
    let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    let target = server.now().saturating_add(by);
    let mut advanced = Advanced::default();
    loop {
        let mirror = &server.mirror;
        let job_due = mirror.enabled.then_some(mirror.next_job_at);
        let next = [job_due, mirror.next_fetch_at]
            .into_iter()
            .flatten()
            .filter(|t| *t <= target)
            .min();
        let Some(tick) = next else { break };
        server.clock.set_millis(tick);
        let before = advanced.records.len();
        if server.mirror.next_fetch_at == Some(tick) {
            let interval = server.mirror.fetch_interval_ms.unwrap_or(i64::MAX);
            server.mirror.next_fetch_at = Some(tick.saturating_add(interval));
            let (record, created) = fetch(server, driver).await?;
            advanced.records.push(record);
            advanced.created.extend(created);
        }
        if job_due == Some(tick) {
            let interval = server.mirror.interval_ms;
            server.mirror.next_job_at = tick.saturating_add(interval);
            advanced
                .records
                .extend(run_job(server, driver, None, false).await?);
        }
        if advanced.records[before..]
            .iter()
            .any(CommandRecord::is_broken)
        {
            return Ok(advanced);
        }
    }
    server.clock.set_millis(target);
    Ok(advanced)
}

/// One run of the mirroring job for the scenario's instance: the outgoing pass, then the
/// incoming one, unless a run of the first breaks. `only` limits it to one incident
/// (triggerDebugMirroringRun), `debug` turns the integration's debug logging on.
pub(crate) async fn run_job(
    server: &mut Server,
    driver: &mut dyn Driver,
    only: Option<u64>,
    debug: bool,
) -> Result<Vec<CommandRecord>, RuntimeError> {
    server.mirror.last_run = Some(server.now());
    let mut job = JobRun {
        only,
        debug,
        records: Vec::new(),
    };
    if push_outgoing(server, driver, &mut job).await? == Pass::Done {
        pull_incoming(server, driver, &mut job).await?;
    }
    Ok(job.records)
}

/// One run of the job: what it is limited to, and the integration runs so far.
struct JobRun {
    /// The one incident of a debug run.
    only: Option<u64>,
    /// Whether the integration logs at debug level.
    debug: bool,
    records: Vec<CommandRecord>,
}

impl JobRun {
    /// Keeps a run; a run that broke stops the pass.
    fn keep(&mut self, record: CommandRecord) -> Pass {
        let broken = record.is_broken();
        self.records.push(record);
        if broken {
            Pass::Stopped
        } else {
            Pass::Done
        }
    }
}

/// Whether a pass went through or stopped at a run that broke.
#[derive(Debug, PartialEq, Eq)]
enum Pass {
    Done,
    Stopped,
}

/// The outgoing pass: every Out/Both incident with local changes goes through
/// update-remote-system.
async fn push_outgoing(
    server: &mut Server,
    driver: &mut dyn Driver,
    job: &mut JobRun,
) -> Result<Pass, RuntimeError> {
    let outgoing = selected(server, job.only, |i| {
        i.mirror.direction.outgoing() && i.has_outgoing_changes()
    });
    for id in outgoing {
        let Some(incident) = server.mirror.incident(id).cloned() else {
            continue;
        };
        let record = push_out(server, driver, incident, job.debug).await?;
        if job.keep(record) == Pass::Stopped {
            return Ok(Pass::Stopped);
        }
    }
    Ok(Pass::Done)
}

/// The incoming pass: get-modified-remote-data picks the In/Both incidents to refresh (all of
/// them for a debug run of one), get-remote-data refreshes each.
async fn pull_incoming(
    server: &mut Server,
    driver: &mut dyn Driver,
    job: &mut JobRun,
) -> Result<Pass, RuntimeError> {
    let (only, debug) = (job.only, job.debug);
    let now = server.now();
    let incoming = selected(server, only, |i| {
        i.mirror.direction.incoming() && i.mirror.id.is_some()
    });
    if incoming.is_empty() {
        return Ok(Pass::Done);
    }
    let targets = if only.is_some() {
        incoming
    } else {
        let last_update = format_iso_millis(server.mirror.last_update);
        let record = server
            .run(
                driver,
                Call::new(ServerCommand::GetModifiedRemoteData.name())
                    .args(object(json!({"lastUpdate": last_update})))
                    .server_invoked()
                    .debug(debug),
            )
            .await?;
        let modified = apply::modified(&record);
        if job.keep(record) == Pass::Stopped {
            return Ok(Pass::Stopped);
        }
        match modified {
            apply::Modified::Ids(ids) => incoming
                .into_iter()
                .filter(|id| {
                    server
                        .mirror
                        .incident(*id)
                        .and_then(|i| i.mirror.id.as_ref())
                        .is_some_and(|m| ids.contains(m))
                })
                .collect(),
            apply::Modified::All => incoming,
            apply::Modified::Entries(objects) => {
                for object in objects {
                    apply::apply_full_entry(server, &incoming, &object).await;
                }
                server.mirror.last_update = now;
                return Ok(Pass::Done);
            }
            apply::Modified::RateLimited => {
                server.mirror.rate_limited += 1;
                return Ok(Pass::Done);
            }
            apply::Modified::Skip => return Ok(Pass::Done),
        }
    };
    // A debug run of one incident leaves the job's resume point alone.
    let resume = if only.is_none() {
        server.mirror.resume_from.take()
    } else {
        None
    };
    for id in resume_order(targets, resume) {
        let Some(incident) = server.mirror.incident(id) else {
            continue;
        };
        let args = object(json!({
            "id": incident.mirror.id.clone().unwrap_or_default(),
            "lastUpdate": format_iso_millis(incident.mirror.last_sync.unwrap_or(incident.created)),
        }));
        let record = server
            .run(
                driver,
                Call::new(ServerCommand::GetRemoteData.name())
                    .args(args)
                    .server_invoked()
                    .debug(debug),
            )
            .await?;
        let rate_limited = record.error_text().is_some_and(|e| e.contains(RATE_LIMIT));
        if rate_limited || record.vendor_stall().is_some() {
            let mirror = &mut server.mirror;
            if rate_limited {
                mirror.rate_limited += 1;
                mirror.rate_limited_incidents.insert(id);
            }
            mirror.resume_from = Some(id);
            job.records.push(record);
            // Keep lastUpdate: the next run asks again for everything this one did not apply.
            return Ok(Pass::Stopped);
        }
        apply::apply_remote_data(server, id, &record).await;
        if job.keep(record) == Pass::Stopped {
            return Ok(Pass::Stopped);
        }
    }
    if only.is_none() {
        server.mirror.last_update = now;
    }
    Ok(Pass::Done)
}

/// The incidents of the instance the job may touch (`only` one, for a debug run) that are
/// `wanted`.
fn selected(server: &Server, only: Option<u64>, wanted: impl Fn(&Incident) -> bool) -> Vec<u64> {
    let instance = server.instance.name.as_str();
    let mirror = &server.mirror;
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
    server: &mut Server,
    driver: &mut dyn Driver,
    incident: Incident,
    debug: bool,
) -> Result<CommandRecord, RuntimeError> {
    let id = incident.id;
    let now = server.now();
    let data = apply::outgoing_data(server, &incident, now).await;
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
                "type": e.kind.code(),
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
    let record = server
        .run(
            driver,
            Call::new(ServerCommand::UpdateRemoteSystem.name())
                .args(args)
                .server_invoked()
                .incidents(vec![incident.as_object()])
                .debug(debug),
        )
        .await?;
    let returned = apply::returned_id(&record);
    let succeeded = record.run.end == RunEnd::Completed && record.error_text().is_none();
    let Some(incident) = server.mirror.incident_mut(id) else {
        return Ok(record);
    };
    if succeeded {
        if let Some(remote_id) = returned.filter(|r| !r.is_empty()) {
            incident.mirror.id.get_or_insert(remote_id);
        }
        incident.mirror.current_dirty.clear();
        incident.pending_entries.clear();
        incident.status_changed = false;
    } else if record.sent_a_write_answered_late() {
        // The changes go again with the next run, and the vendor may have taken them already.
        let pending = incident.pending_entries.clone();
        incident.resent.extend(pending);
    }
    Ok(record)
}

/// Why an analyst's change could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LocalChangeError {
    /// The step names an incident the server does not have.
    #[error("there is no incident {id} (incidents: {})", known_ids(.known))]
    NoIncident {
        /// The incident asked for.
        id: u64,
        /// The incidents there are.
        known: Vec<u64>,
    },
    /// The file of a file entry could not be stored.
    #[error("cannot store the file entry: {0}")]
    StoreFile(#[source] std::io::Error),
}

fn known_ids(known: &[u64]) -> String {
    if known.is_empty() {
        return "none yet".to_owned();
    }
    let ids: Vec<String> = known.iter().map(u64::to_string).collect();
    ids.join(", ")
}

/// Applies an analyst's change.
pub(crate) fn local_change(
    server: &mut Server,
    change: &LocalChange,
) -> Result<(), LocalChangeError> {
    let now = server.now();
    let id = change.incident.value;
    let files_dir = match change.file {
        Some(_) => Some(server.files_dir().map_err(LocalChangeError::StoreFile)?),
        None => None,
    };
    let known: Vec<u64> = server.mirror.incidents.iter().map(|i| i.id).collect();
    let incident = server
        .mirror
        .incident_mut(id)
        .ok_or(LocalChangeError::NoIncident { id, known })?;
    for (field, value) in &change.set {
        if field == "name" {
            incident.name = value.as_str().unwrap_or_default().to_owned();
        } else {
            incident.fields.insert(field.clone(), value.clone());
        }
        incident.mirror.dirty.insert(field.clone());
        incident.mirror.current_dirty.insert(field.clone());
    }
    // Only entries with one of the incident's dbotMirrorTags go out.
    let tags_to_push = incident.mirror.tags.clone();
    let queue = |incident: &mut Incident, index: usize, tags: &[String]| {
        if incident.mirror.direction.outgoing() && tags.iter().any(|t| tags_to_push.contains(t)) {
            incident.pending_entries.push(index);
            incident.entries[index].queued = true;
        }
    };
    if let Some(entry) = &change.entry {
        let index = incident.add_entry(WarRoomEntry {
            id: String::new(),
            kind: EntryType::Note,
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
            kind: EntryType::File,
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
        std::fs::write(&path, &file.text).map_err(LocalChangeError::StoreFile)?;
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
pub(crate) fn create_local(server: &mut Server, new: &NewIncident) -> u64 {
    let now = server.now();
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
    incident.mirror.tags.clone_from(&new.tags);
    server.mirror.incidents.push(incident);
    id
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
