//! The seed: `{incidents: [...], fields: [...], types: [...]}`, each list
//! optional.
//!
//! - `incidents`: objects in the API's incident shape. `id` (decimal
//!   text or number) defaults to the next free one, `version` to 1,
//!   `created` to now, `occurred` to `created`, `modified` to `created`;
//!   `status` to 1 (active, with its investigation; 0 is pending, without
//!   one; 2 closed, `closed` defaulting to `modified`). Every other field
//!   is taken as `POST /incident` takes it.
//! - `fields`: incident field definitions; `cliName` required, the rest
//!   defaulted (`name` to the cliName, `type` to `shortText`, ...).
//! - `types`: incident types; `name` required. Without `types` the server
//!   has only `Unclassified`.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::incident::{Incident, Status, time};
use super::schema::{FieldDefinition, IncidentType};
use super::store::Store;
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
        let incident = incident(&store, body, now)
            .map_err(|(field, reason)| invalid(format!("{path}.{field}"), reason))?;
        store.put(incident);
    }
    Ok(store)
}

/// One seeded incident, or the field that is wrong and why.
fn incident(
    store: &Store,
    body: &Map<String, Value>,
    now: i64,
) -> Result<Incident, (String, String)> {
    let id = match body.get("id") {
        None => store.next_id(),
        Some(value) => {
            let id = match value {
                Value::String(text) => text.trim().parse().ok(),
                Value::Number(number) => number.as_u64(),
                _ => None,
            }
            .filter(|id| *id >= 1)
            .ok_or_else(|| {
                (
                    "id".to_owned(),
                    "expected a positive whole number".to_owned(),
                )
            })?;
            if store.get(&id.to_string()).is_some() {
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
            .as_i64()
            .filter(|version| *version >= 1)
            .ok_or_else(|| {
                (
                    "version".to_owned(),
                    "expected a whole number from 1".to_owned(),
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
    }
}
