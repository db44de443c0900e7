//! Changes an administrator makes in the Okta admin console
//! ([`Vendor::act`](crate::Vendor::act)):
//!
//! ```json
//! {"deactivate": "ada@example.com"}
//! {"activate": "ada@example.com"}
//! {"update": {"login": "ada@example.com", "profile": {"title": "CISO"}}}
//! ```
//!
//! A user is named by id, login or shortname; `update` merges into the
//! profile. The same status rules as the API's apply; the answer is the
//! user afterwards.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::errors::OktaError;
use super::store::{Lifecycle, ProfileChange, Store};
use crate::kit::vendor::ActError;

/// What the error says is expected.
const EXPECTED: &str = "expected {\"deactivate\": login}, {\"activate\": login} or \
    {\"update\": {\"login\": login, \"profile\": {...}}}";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Action {
    Deactivate(String),
    Activate(String),
    Update(Update),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    login: String,
    profile: Map<String, Value>,
}

/// Runs one action at `now`; answers with the user afterwards.
pub(crate) fn act(store: &mut Store, action: &Value, now: i64) -> Result<Value, ActError> {
    let action = Action::deserialize(action)
        .map_err(|error| ActError::Invalid(format!("{error}; {EXPECTED}")))?;
    let key = match action {
        Action::Deactivate(key) => {
            store
                .lifecycle(&key, Lifecycle::Deactivate, now)
                .map_err(refused)?;
            key
        }
        Action::Activate(key) => {
            store
                .lifecycle(&key, Lifecycle::Activate, now)
                .map_err(refused)?;
            key
        }
        Action::Update(update) => {
            let change = ProfileChange::Merge(update.profile);
            store
                .update(&update.login, change, None, now)
                .map_err(refused)?;
            update.login
        }
    };
    let user = store.get(&key).map_err(refused)?;
    Ok(user.to_json(None))
}

/// An API error as the reason an action was refused.
fn refused(error: OktaError) -> ActError {
    let mut reason = format!("{} ({})", error.summary, error.code);
    for cause in &error.causes {
        reason.push_str(&format!("; {cause}"));
    }
    ActError::Invalid(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::seed;
    use serde_json::json;

    #[test]
    fn deactivate_activate_update() -> Result<(), Box<dyn std::error::Error>> {
        let mut store = seed::build(
            &json!({"users": [{"profile": {
                "login": "ada@example.com", "email": "ada@example.com",
                "firstName": "Ada", "lastName": "Lovelace",
            }}]}),
            0,
        )?;
        let user = act(&mut store, &json!({"deactivate": "ada@example.com"}), 1_000)?;
        assert_eq!(user["status"], "DEPROVISIONED");
        let user = act(&mut store, &json!({"activate": "ada@example.com"}), 2_000)?;
        assert_eq!(user["status"], "ACTIVE");
        let user = act(
            &mut store,
            &json!({"update": {"login": "ada@example.com", "profile": {"title": "CISO"}}}),
            3_000,
        )?;
        assert_eq!(user["profile"]["title"], "CISO");
        assert_eq!(user["profile"]["email"], "ada@example.com");

        for action in [
            json!({"activate": "ada@example.com"}),
            json!({"deactivate": "nobody@example.com"}),
            json!({"suspend": "ada@example.com"}),
            json!({"update": {"login": "ada@example.com"}}),
        ] {
            assert!(
                matches!(act(&mut store, &action, 4_000), Err(ActError::Invalid(_))),
                "{action}"
            );
        }
        Ok(())
    }
}
