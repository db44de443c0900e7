//! The remote server's state: incidents by id, their investigations
//! (entries and files, keyed by the incident's `investigationId`),
//! incident fields and types, users, and which server version it plays.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::incident::{FieldError, Incident, Status};
use super::investigation::{Entry, Investigation, NewEntry};
use super::schema::{FieldDefinition, IncidentType, User};

/// The server version the mock plays: 6.x serves its API at the root;
/// 8.x under `/xsoar`, with the key id in `x-xdr-auth-id` and the listing
/// of modified incidents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServerVersion {
    /// As seeded, e.g. `8.4.0`.
    pub(crate) text: String,
    /// The API key's id, on 8.x only.
    pub(crate) key_id: Option<String>,
}

impl ServerVersion {
    /// The version a server has when the seed names none.
    pub(crate) const DEFAULT: &'static str = "6.10.0";

    /// Whether this is an XSOAR 8 server.
    pub(crate) fn is_8(&self) -> bool {
        self.key_id.is_some()
    }
}

/// Why a write was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WriteError {
    /// No incident with that id.
    #[error("no incident {0}")]
    NoIncident(String),
    /// No incident has that investigation.
    #[error("no investigation {0}")]
    NoInvestigation(String),
    /// The request's version is not the stored one.
    #[error("incident {id}: version {sent} is stale (stored {stored})")]
    Stale {
        /// The incident.
        id: u64,
        /// Its stored version.
        stored: i64,
        /// The request's.
        sent: i64,
    },
    /// A field the server cannot take.
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// Incidents, fields and types.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    incidents: BTreeMap<u64, Incident>,
    /// The next id to hand out (ids are never reused).
    next_id: u64,
    /// Entries by investigation id.
    investigations: BTreeMap<String, Investigation>,
    pub(crate) fields: Vec<FieldDefinition>,
    pub(crate) types: Vec<IncidentType>,
    /// As seeded; the first is the API key's user.
    pub(crate) users: Vec<User>,
    pub(crate) version: ServerVersion,
    /// The fields each client save changed, by incident id and the version the save sent
    /// (custom fields by cliName): what a push really wrote, whole bodies and partial ones
    /// alike.
    saves: BTreeMap<(u64, i64), Vec<String>>,
}

impl Store {
    /// An empty server with only the Unclassified type.
    pub(crate) fn new() -> Self {
        Self {
            incidents: BTreeMap::new(),
            next_id: 1,
            investigations: BTreeMap::new(),
            fields: Vec::new(),
            types: vec![IncidentType::unclassified()],
            users: Vec::new(),
            version: ServerVersion {
                text: ServerVersion::DEFAULT.to_owned(),
                key_id: None,
            },
            saves: BTreeMap::new(),
        }
    }

    /// The user the API key belongs to (the first seeded, else
    /// [`User::admin`]): API writes are theirs.
    pub(crate) fn api_user(&self) -> User {
        self.users.first().cloned().unwrap_or_else(User::admin)
    }

    /// Every incident by id.
    pub(crate) fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    /// The incident `id` names (the API's decimal text).
    pub(crate) fn get(&self, id: &str) -> Option<&Incident> {
        self.incidents.get(&id.trim().parse().ok()?)
    }

    /// Stores a seeded incident as it is.
    pub(crate) fn put(&mut self, incident: Incident) {
        self.next_id = self.next_id.max(incident.id + 1);
        self.incidents.insert(incident.id, incident);
    }

    /// The id the next incident gets.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Creates an incident from `body` at `now`; `investigation` opens its
    /// investigation (`createInvestigation: true`).
    pub(crate) fn create(
        &mut self,
        body: &Map<String, Value>,
        investigation: bool,
        now: i64,
    ) -> Result<&Incident, WriteError> {
        let id = self.next_id;
        let mut incident = Incident::new(id, now);
        incident.edit(body)?;
        if investigation {
            incident.open_investigation();
        }
        self.put(incident);
        Ok(&self.incidents[&id])
    }

    /// Edits incident `id` if `version` is the stored one (`-1` skips the
    /// check, as the server allows), bumping the version.
    pub(crate) fn update(
        &mut self,
        id: &str,
        version: i64,
        now: i64,
        change: impl FnOnce(&mut Incident) -> Result<(), FieldError>,
    ) -> Result<&Incident, WriteError> {
        let (key, _) = self.apply(id, version, now, change)?;
        Ok(&self.incidents[&key])
    }

    /// A client's `POST /incident` edit (see [`update`](Self::update)),
    /// keeping which fields it changed for
    /// [`changed_by_save`](Self::changed_by_save).
    pub(crate) fn save(
        &mut self,
        id: &str,
        version: i64,
        now: i64,
        body: &Map<String, Value>,
    ) -> Result<&Incident, WriteError> {
        let (key, changed) = self.apply(id, version, now, |incident| incident.edit(body))?;
        if version != -1 {
            self.saves.insert((key, version), changed);
        }
        Ok(&self.incidents[&key])
    }

    /// The fields the client's save of incident `id` with version
    /// `version` changed, when it went through (only one save can go from
    /// one version).
    pub(crate) fn changed_by_save(&self, id: u64, version: i64) -> Option<&[String]> {
        self.saves.get(&(id, version)).map(Vec::as_slice)
    }

    /// The edit itself: the incident's key and the fields whose values
    /// changed.
    fn apply(
        &mut self,
        id: &str,
        version: i64,
        now: i64,
        change: impl FnOnce(&mut Incident) -> Result<(), FieldError>,
    ) -> Result<(u64, Vec<String>), WriteError> {
        let key: u64 = id
            .trim()
            .parse()
            .ok()
            .filter(|key| self.incidents.contains_key(key))
            .ok_or_else(|| WriteError::NoIncident(id.to_owned()))?;
        let incident = self
            .incidents
            .get_mut(&key)
            .ok_or_else(|| WriteError::NoIncident(id.to_owned()))?;
        if version != -1 && version != incident.version {
            return Err(WriteError::Stale {
                id: key,
                stored: incident.version,
                sent: version,
            });
        }
        let mut edited = incident.clone();
        change(&mut edited)?;
        // A status edit closes or reopens as the close route would.
        match edited.status {
            Status::Done | Status::Archived => {
                edited.closed.get_or_insert(now);
            }
            Status::Pending | Status::Active => edited.closed = None,
        }
        edited.version = incident.version + 1;
        edited.modified = now;
        let changed = changed_fields(incident, &edited);
        *incident = edited;
        Ok((key, changed))
    }

    /// Reopens incident `id` (active again, `closed` cleared): the remote
    /// actions' reopen and the mock's own `POST /incident/reopen`.
    pub(crate) fn reopen(
        &mut self,
        id: &str,
        version: i64,
        now: i64,
    ) -> Result<&Incident, WriteError> {
        self.update(id, version, now, |incident| {
            incident.status = Status::Active;
            Ok(())
        })
    }

    /// The incident that owns investigation `id`.
    fn owner_of(&self, investigation: &str) -> Option<u64> {
        self.incidents
            .values()
            .find(|incident| {
                !incident.investigation_id.is_empty()
                    && incident.investigation_id == investigation.trim()
            })
            .map(|incident| incident.id)
    }

    /// Investigation `id`, if an incident has it (empty when nothing was
    /// written yet).
    pub(crate) fn investigation(&mut self, id: &str) -> Option<&mut Investigation> {
        let owner = self.owner_of(id)?;
        let key = self.incidents[&owner].investigation_id.clone();
        Some(self.investigations.entry(key).or_default())
    }

    /// The entries of investigation `id`, for the dump and checks.
    pub(crate) fn entries_of(&self, id: &str) -> Option<&Investigation> {
        self.investigations.get(id)
    }

    /// Appends an entry to investigation `id` at `now`; its incident counts
    /// as modified (its version stays).
    pub(crate) fn add_entry(
        &mut self,
        investigation: &str,
        new: NewEntry,
        now: i64,
    ) -> Result<&Entry, WriteError> {
        let owner = self
            .owner_of(investigation)
            .ok_or_else(|| WriteError::NoInvestigation(investigation.to_owned()))?;
        let incident = self
            .incidents
            .get_mut(&owner)
            .ok_or_else(|| WriteError::NoInvestigation(investigation.to_owned()))?;
        incident.modified = now;
        let key = incident.investigation_id.clone();
        Ok(self
            .investigations
            .entry(key.clone())
            .or_default()
            .add(&key, new, now))
    }

    /// The entry an id (`<number>@<investigation>`) names.
    pub(crate) fn entry(&self, id: &str) -> Option<&Entry> {
        let (number, investigation) = id.trim().split_once('@')?;
        let number: u64 = number.parse().ok()?;
        self.investigations
            .get(investigation)?
            .entries
            .iter()
            .find(|entry| entry.number == number)
    }

    /// Closes incident `id` (see [`update`](Self::update) for `version`).
    pub(crate) fn close(
        &mut self,
        id: &str,
        version: i64,
        reason: &str,
        notes: &str,
        now: i64,
    ) -> Result<&Incident, WriteError> {
        self.update(id, version, now, |incident| {
            incident.status = Status::Done;
            incident.closed = Some(now);
            incident.close_reason = reason.to_owned();
            incident.close_notes = notes.to_owned();
            Ok(())
        })
    }
}

/// The fields whose values differ between two versions of an incident, custom fields by
/// cliName; what the server stamps itself (version, modified) and the status and close
/// fields (which go with closes and reopens) left out.
fn changed_fields(before: &Incident, after: &Incident) -> Vec<String> {
    let (before, after) = (before.to_json(), after.to_json());
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (field, value) in &after {
        match field.as_str() {
            "version" | "modified" | "status" | "closed" | "closeReason" | "closeNotes" => {}
            "CustomFields" => {
                let old = before.get(field).and_then(Value::as_object);
                if let Value::Object(custom) = value {
                    changed.extend(
                        custom
                            .iter()
                            .filter(|(name, value)| {
                                old.and_then(|old| old.get(*name)) != Some(*value)
                            })
                            .map(|(name, _)| name.clone()),
                    );
                }
            }
            _ if before.get(field) != Some(value) => changed.push(field.clone()),
            _ => {}
        }
    }
    changed
}
