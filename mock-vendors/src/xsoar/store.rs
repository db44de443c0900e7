//! The remote server's state: incidents by id (their investigations,
//! entries and files join them in later slices, keyed by the incident's
//! `investigationId`), incident fields and types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::incident::{FieldError, Incident, Status};
use super::schema::{FieldDefinition, IncidentType};

/// Why a write was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WriteError {
    /// No incident with that id.
    #[error("no incident {0}")]
    NoIncident(String),
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
    pub(crate) fields: Vec<FieldDefinition>,
    pub(crate) types: Vec<IncidentType>,
}

impl Store {
    /// An empty server with only the Unclassified type.
    pub(crate) fn new() -> Self {
        Self {
            incidents: BTreeMap::new(),
            next_id: 1,
            fields: Vec::new(),
            types: vec![IncidentType::unclassified()],
        }
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
        edited.version = incident.version + 1;
        edited.modified = now;
        *incident = edited;
        Ok(incident)
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
