//! The seed: `{version, key_id, users, incidents, fields, types}`, each
//! optional.
//!
//! - `version`: the server version played, `6.10.0` by default; from 8
//!   the API is under `/xsoar`, needs `x-xdr-auth-id: <key_id>` (`key_id`,
//!   `"1"` by default, only on 8) and lists modified incidents.
//! - `users`: `[{username, id?, name?, email?}]`; the first is the API
//!   key's user (`admin` when none is seeded).
//! - `incidents`: objects in the API's incident shape. `id` (decimal
//!   text or number) defaults to the next free one, `version` to 1,
//!   `created` to now, `occurred` to `created`, `modified` to `created`;
//!   `status` to 1 (active, with its investigation; 0 is pending, without
//!   one; 2 closed, `closed` defaulting to `modified`). `entries` lists
//!   the investigation's entries oldest first, `{contents, note?, tags?,
//!   format?, user?, created?, file?: {name, content, type?}}` (`user`
//!   defaults to `remote.analyst`, `created` to the incident's).
//!   Every other field is taken as `POST /incident` takes it.
//! - `fields`: incident field definitions; `cliName` required, the rest
//!   defaulted (`name` to the cliName, `type` to `shortText`, ...).
//! - `types`: incident types; `name` required. Without `types` the server
//!   has only `Unclassified`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::act::DEFAULT_ACT_USER;
use super::incident::{Incident, MAX_NUMBER, Status, id_field, time};
use super::investigation::{FileSpec, NewEntry};
use super::schema::{FieldDefinition, IncidentType, User};
use super::store::{ServerVersion, Store};
use crate::kit::vendor::SeedError;

/// The seed's top level; typos in its keys are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    #[serde(default)]
    incidents: Vec<Value>,
    #[serde(default)]
    fields: Vec<FieldDefinition>,
    types: Option<Vec<IncidentType>>,
    #[serde(default)]
    users: Vec<User>,
    version: Option<String>,
    key_id: Option<String>,
}

/// One seeded entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedEntry {
    #[serde(default)]
    contents: String,
    #[serde(default)]
    note: bool,
    #[serde(default)]
    tags: Vec<String>,
    format: Option<String>,
    user: Option<String>,
    created: Option<Value>,
    file: Option<FileSpec>,
}

/// Builds the store a seed describes, stamped at `now`.
///
/// # Errors
///
/// [`SeedError::Shape`] for a seed not of the shape above,
/// [`SeedError::Invalid`] naming the place of a bad value.
pub(crate) fn build(seed: &Value, now: i64) -> Result<Store, SeedError> {
    let seed = Seed::deserialize(seed)?;
    let mut store = Store::new();
    store.version = server_version(seed.version, seed.key_id)?;
    for (at, mut user) in seed.users.into_iter().enumerate() {
        if user.username.trim().is_empty() {
            return Err(invalid(
                format!("users[{at}].username"),
                "a username is required",
            ));
        }
        if store
            .users
            .iter()
            .any(|known| known.username == user.username)
        {
            return Err(invalid(
                format!("users[{at}].username"),
                format!("{:?} is seeded twice", user.username),
            ));
        }
        if user.id.is_empty() {
            user.id.clone_from(&user.username);
        }
        store.users.push(user);
    }
    let mut cli_names = BTreeSet::new();
    for (at, mut field) in seed.fields.into_iter().enumerate() {
        if field.cli_name.trim().is_empty() {
            return Err(invalid(
                format!("fields[{at}].cliName"),
                "a cliName is required",
            ));
        }
        if !cli_names.insert(field.cli_name.to_ascii_lowercase()) {
            return Err(invalid(
                format!("fields[{at}].cliName"),
                format!("{:?} is defined twice", field.cli_name),
            ));
        }
        if field.name.is_empty() {
            field.name.clone_from(&field.cli_name);
        }
        store.fields.push(field);
    }
    if let Some(types) = seed.types {
        store.types.clear();
        for (at, mut kind) in types.into_iter().enumerate() {
            if kind.name.trim().is_empty() {
                return Err(invalid(format!("types[{at}].name"), "a name is required"));
            }
            if store.types.iter().any(|known| known.name == kind.name) {
                return Err(invalid(
                    format!("types[{at}].name"),
                    format!("{:?} is defined twice", kind.name),
                ));
            }
            if kind.id.is_empty() {
                kind.id.clone_from(&kind.name);
            }
            store.types.push(kind);
        }
    }
    for (at, value) in seed.incidents.iter().enumerate() {
        let path = format!("incidents[{at}]");
        let Value::Object(body) = value else {
            return Err(invalid(path, "expected an incident object"));
        };
        let mut body = body.clone();
        let entries = body.remove("entries");
        let incident = incident(&store, &body, now)
            .map_err(|(field, reason)| invalid(format!("{path}.{field}"), reason))?;
        let (investigation, created) = (incident.investigation_id.clone(), incident.created);
        store.put(incident);
        let entries = match entries {
            None | Some(Value::Null) => Vec::new(),
            Some(entries) => Vec::<SeedEntry>::deserialize(entries)
                .map_err(|error| invalid(format!("{path}.entries"), error.to_string()))?,
        };
        if !entries.is_empty() && investigation.is_empty() {
            return Err(invalid(
                format!("{path}.entries"),
                "a pending incident (status 0) has no investigation to hold entries",
            ));
        }
        for (number, entry) in entries.into_iter().enumerate() {
            let place = format!("{path}.entries[{number}]");
            let stamp = match &entry.created {
                None => created,
                Some(value) => time("created", value)
                    .map_err(|error| invalid(format!("{place}.created"), error.reason))?,
            };
            let new = seed_entry(entry)
                .map_err(|(field, reason)| invalid(format!("{place}.{field}"), reason))?;
            store
                .add_entry(&investigation, new, stamp)
                .map_err(|error| invalid(place, error.to_string()))?;
        }
    }
    Ok(store)
}

/// The server version and key id a seed names.
fn server_version(
    version: Option<String>,
    key_id: Option<String>,
) -> Result<ServerVersion, SeedError> {
    let text = version.unwrap_or_else(|| ServerVersion::DEFAULT.to_owned());
    let major: u64 = text
        .trim()
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .filter(|major| (6..=8).contains(major))
        .ok_or_else(|| {
            invalid(
                "version".to_owned(),
                format!("{text:?} is not a server version from 6 to 8 such as 6.10.0 or 8.4.0"),
            )
        })?;
    let key_id = match (major >= 8, key_id) {
        (true, key_id) => Some(key_id.unwrap_or_else(|| "1".to_owned())),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(invalid(
                "key_id".to_owned(),
                "only an XSOAR 8 server (version 8.x) has API key ids",
            ));
        }
    };
    Ok(ServerVersion { text, key_id })
}

/// A seeded entry, or the field that is wrong and why.
fn seed_entry(entry: SeedEntry) -> Result<NewEntry, (&'static str, String)> {
    NewEntry::written(
        entry.contents,
        entry.format.as_deref(),
        entry.note,
        entry.tags,
        entry.file,
        entry.user.unwrap_or_else(|| DEFAULT_ACT_USER.to_owned()),
    )
}

/// One seeded incident, or the field that is wrong and why.
fn incident(
    store: &Store,
    body: &Map<String, Value>,
    now: i64,
) -> Result<Incident, (String, String)> {
    let bad_id = || {
        (
            "id".to_owned(),
            format!("expected a positive whole number up to {MAX_NUMBER}"),
        )
    };
    let id = match id_field(body.get("id")).map_err(|_| bad_id())? {
        None => store.next_id(),
        Some(text) => {
            let id: u64 = text
                .parse()
                .ok()
                .filter(|id| (1..=MAX_NUMBER).contains(id))
                .ok_or_else(bad_id)?;
            if store.get(&text).is_some() {
                return Err(("id".to_owned(), format!("incident {id} is seeded twice")));
            }
            id
        }
    };
    let stamp = |field: &str| -> Result<Option<i64>, (String, String)> {
        body.get(field)
            .map(|value| time(field, value).map_err(|error| (error.field, error.reason)))
            .transpose()
    };
    let created = stamp("created")?.unwrap_or(now);
    let mut incident = Incident::new(id, created);
    incident.status = Status::Active;
    incident
        .edit(body)
        .map_err(|error| (error.field, error.reason))?;
    if let Some(version) = body.get("version") {
        incident.version = version
            .as_u64()
            .filter(|version| (1..=MAX_NUMBER).contains(version))
            .and_then(|version| i64::try_from(version).ok())
            .ok_or_else(|| {
                (
                    "version".to_owned(),
                    format!("expected a whole number from 1 to {MAX_NUMBER}"),
                )
            })?;
    }
    if !body.contains_key("occurred") {
        incident.occurred = created;
    }
    incident.modified = stamp("modified")?.unwrap_or(created);
    if incident.status != Status::Pending {
        incident.open_investigation();
    }
    incident.closed = match (stamp("closed")?, incident.status) {
        (Some(closed), _) => Some(closed),
        (None, Status::Done | Status::Archived) => Some(incident.modified),
        (None, _) => None,
    };
    Ok(incident)
}

fn invalid(path: String, reason: impl Into<String>) -> SeedError {
    SeedError::Invalid {
        path,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(seed: Value) -> String {
        build(&seed, 0)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn ids_versions_and_stamps_default() -> Result<(), SeedError> {
        let store = build(
            &json!({"incidents": [{"name": "a"}, {"id": "7", "version": 3, "status": 2}, {"status": 0}]}),
            1_000,
        )?;
        let ids: Vec<(u64, i64)> = store.incidents().map(|i| (i.id, i.version)).collect();
        assert_eq!(ids, [(1, 1), (7, 3), (8, 1)]);
        assert_eq!(store.get("7").and_then(|i| i.closed), Some(1_000));
        assert_eq!(
            store.get("1").map(|i| i.investigation_id.as_str()),
            Some("1")
        );
        assert_eq!(
            store.get("8").map(|i| i.investigation_id.as_str()),
            Some("")
        );
        assert_eq!(store.types.len(), 1);
        Ok(())
    }

    #[test]
    fn bad_seeds_name_the_place() {
        assert_eq!(
            refused(json!({"incidents": [{}, {"severity": "high"}]})),
            "invalid seed at incidents[1].severity: expected a number from 0 to 4"
        );
        assert_eq!(
            refused(json!({"incidents": [{"id": 2}, {"id": "2"}]})),
            "invalid seed at incidents[1].id: incident 2 is seeded twice"
        );
        assert_eq!(
            refused(json!({"incidents": [{"created": "yesterday"}]})),
            "invalid seed at incidents[0].created: expected an ISO-8601 time such as 2025-01-01T00:00:00Z"
        );
        assert_eq!(
            refused(json!({"fields": [{"cliName": "a"}, {"cliName": "A"}]})),
            r#"invalid seed at fields[1].cliName: "A" is defined twice"#
        );
        assert!(
            refused(json!({"incident": []})).starts_with("invalid seed: unknown field `incident`")
        );
        assert!(
            refused(json!({"fields": [{"cliname": "a"}]}))
                .starts_with("invalid seed: unknown field `cliname`")
        );
        assert_eq!(
            refused(json!({"incidents": [3]})),
            "invalid seed at incidents[0]: expected an incident object"
        );
        assert_eq!(
            refused(json!({"version": "5.5"})),
            r#"invalid seed at version: "5.5" is not a server version from 6 to 8 such as 6.10.0 or 8.4.0"#
        );
        assert_eq!(
            refused(json!({"key_id": "3"})),
            "invalid seed at key_id: only an XSOAR 8 server (version 8.x) has API key ids"
        );
        assert_eq!(
            refused(json!({"incidents": [{"status": 0, "entries": [{"contents": "x"}]}]})),
            "invalid seed at incidents[0].entries: a pending incident (status 0) has no investigation to hold entries"
        );
        assert_eq!(
            refused(json!({"incidents": [{"entries": [{}, {"format": "html"}]}]})),
            "invalid seed at incidents[0].entries[1].format: expected text, markdown or json"
        );
        assert!(
            refused(json!({"incidents": [{"entries": [{"text": "x"}]}]}))
                .starts_with("invalid seed at incidents[0].entries: unknown field `text`")
        );
        assert_eq!(
            refused(json!({"users": [{"username": "a"}, {"username": "a"}]})),
            r#"invalid seed at users[1].username: "a" is seeded twice"#
        );
    }

    #[test]
    fn entries_default_to_a_remote_person_and_the_incidents_time() -> Result<(), SeedError> {
        let store = build(
            &json!({"version": "8.4.0", "users": [{"username": "svc"}],
                    "incidents": [{"created": "2025-01-01T00:00:00Z", "entries": [{"contents": "x"}]}]}),
            0,
        )?;
        let entry = store
            .entry("1@1")
            .ok_or("no entry")
            .map_err(|e| invalid(String::new(), e))?;
        assert_eq!(
            (entry.new.user.as_str(), entry.created),
            ("remote.analyst", 1_735_689_600_000)
        );
        assert_eq!(store.api_user().username, "svc");
        assert_eq!(store.version.key_id.as_deref(), Some("1"));
        Ok(())
    }
}
