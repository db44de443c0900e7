//! Incident fields and incident types, what `get-mapping-fields` builds
//! its schema from (`GET /incidentfields`, `GET /incidenttype`), and the
//! server's users (`GET /user`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One incident field definition.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FieldDefinition {
    /// The machine name, the key under `CustomFields`.
    pub(crate) cli_name: String,
    /// The display name; the cliName when not seeded.
    #[serde(default)]
    pub(crate) name: String,
    /// `shortText`, `longText`, `singleSelect`, `date`, `number`, ...
    #[serde(default = "short_text", rename = "type")]
    pub(crate) kind: String,
    /// 0 for incident fields (1 evidence, 2 indicator fields).
    #[serde(default)]
    pub(crate) group: u8,
    /// A built-in field rather than a custom one.
    #[serde(default)]
    pub(crate) system: bool,
    /// Shipped by a content pack.
    #[serde(default = "yes")]
    pub(crate) content: bool,
    /// Used by every incident type.
    #[serde(default = "yes")]
    pub(crate) associated_to_all: bool,
    /// The types that use it when not all do.
    #[serde(default)]
    pub(crate) associated_types: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub(crate) description: String,
    /// The choices of a select field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) select_values: Vec<String>,
}

/// One incident type.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IncidentType {
    /// Its name, also its id when none is seeded.
    pub(crate) name: String,
    /// Its id.
    #[serde(default)]
    pub(crate) id: String,
    /// The playbook it runs.
    #[serde(default)]
    pub(crate) playbook_id: String,
    /// Whether it is turned off.
    #[serde(default)]
    pub(crate) disabled: bool,
    /// Built in.
    #[serde(default)]
    pub(crate) system: bool,
}

impl IncidentType {
    /// The type every server has.
    pub(crate) fn unclassified() -> Self {
        Self {
            name: "Unclassified".to_owned(),
            id: "Unclassified".to_owned(),
            playbook_id: String::new(),
            disabled: false,
            system: true,
        }
    }
}

/// A user of the remote server.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct User {
    /// The login name entries carry as their `user`.
    pub(crate) username: String,
    /// Its id; the username when not seeded.
    #[serde(default)]
    pub(crate) id: String,
    /// The display name.
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) email: String,
}

impl User {
    /// The API key's user when the seed names none.
    pub(crate) fn admin() -> Self {
        Self {
            username: "admin".to_owned(),
            id: "admin".to_owned(),
            name: "Admin".to_owned(),
            email: "admin@remote-xsoar.example".to_owned(),
        }
    }
}

fn short_text() -> String {
    "shortText".to_owned()
}

fn yes() -> bool {
    true
}

/// A list as JSON; these types always serialise.
pub(crate) fn to_json<T: Serialize>(items: &[T]) -> Value {
    serde_json::to_value(items).unwrap_or(Value::Array(Vec::new()))
}
