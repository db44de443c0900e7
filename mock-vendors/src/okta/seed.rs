//! The Okta seed shape and how a seed becomes a [`Store`].
//!
//! ```json
//! {"users": [{"id"?: "00u…", "status"?: "ACTIVE", "profile": {"login": …}, "created"?: "…Z"}],
//!  "owner"?: "<login or id of the token owner>"}
//! ```
//!
//! A seeded user may carry every field of a dumped user, so a dump can be
//! fed back as a seed. Without an owner, an admin user is added as the
//! token owner (`/users/me`).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::store::Store;
use super::user::{Credentials, DEFAULT_TYPE_ID, Status, User};
use crate::clock::parse_iso;
use crate::kit::vendor::SeedError;

/// Login of the admin user added when the seed names no owner.
pub(crate) const ADMIN_LOGIN: &str = "admin@harness.example";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OktaSeed {
    #[serde(default)]
    users: Vec<SeedUser>,
    owner: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedUser {
    id: Option<String>,
    status: Option<Status>,
    profile: Map<String, Value>,
    created: Option<String>,
    activated: Option<String>,
    status_changed: Option<String>,
    last_login: Option<String>,
    last_updated: Option<String>,
    password_changed: Option<String>,
    #[serde(rename = "type")]
    user_type: Option<Value>,
    credentials: Option<Value>,
    // Accepted so a dump (or an API answer) can be replayed as a seed.
    #[serde(rename = "transitioningToStatus")]
    _transitioning_to_status: Option<Value>,
    #[serde(rename = "_links")]
    _links: Option<Value>,
}

/// Builds the store a seed describes, timestamps defaulting to `now`.
pub(crate) fn build(seed: &Value, now: i64) -> Result<Store, SeedError> {
    let seed = OktaSeed::deserialize(seed)?;
    let mut store = Store::new();
    for (index, seeded) in seed.users.into_iter().enumerate() {
        let user = seeded_user(&mut store, seeded, index, now)?;
        store.insert(user);
    }
    let owner = match &seed.owner {
        Some(owner) => store.find(owner).ok_or_else(|| SeedError::Invalid {
            path: "owner".to_owned(),
            reason: format!("no seeded user has the id or login {owner:?}"),
        })?,
        None => match store.find(ADMIN_LOGIN) {
            Some(index) => index,
            None => {
                let admin = admin_user(&mut store, now);
                store.insert(admin);
                store.users().len() - 1
            }
        },
    };
    let owner_id = store.users()[owner].id.clone();
    store.set_owner(owner_id);
    Ok(store)
}

fn seeded_user(
    store: &mut Store,
    seeded: SeedUser,
    index: usize,
    now: i64,
) -> Result<User, SeedError> {
    let invalid = |field: &str, reason: String| SeedError::Invalid {
        path: format!("users[{index}].{field}"),
        reason,
    };
    let login = seeded
        .profile
        .get("login")
        .and_then(Value::as_str)
        .filter(|login| !login.trim().is_empty())
        .ok_or_else(|| invalid("profile.login", "a login is required".to_owned()))?;
    let lowercase = login.to_lowercase();
    if let Some(other) = store
        .users()
        .iter()
        .position(|user| user.login().to_lowercase() == lowercase)
    {
        return Err(invalid(
            "profile.login",
            format!("login {login:?} is already used by users[{other}]"),
        ));
    }
    let id = match seeded.id {
        Some(id) if id.trim().is_empty() => {
            return Err(invalid("id", "an id cannot be empty".to_owned()));
        }
        Some(id) if store.index_of_id(&id).is_some() => {
            return Err(invalid("id", format!("id {id:?} is used twice")));
        }
        Some(id) => id,
        None => store.new_id(),
    };
    let instant = |field: &str, text: Option<String>| -> Result<Option<i64>, SeedError> {
        text.map(|text| {
            parse_iso(&text).ok_or_else(|| {
                invalid(
                    field,
                    format!("{text:?} is not an ISO-8601 instant like 2025-01-01T00:00:00.000Z"),
                )
            })
        })
        .transpose()
    };
    let status = seeded.status.unwrap_or(Status::Active);
    let created = instant("created", seeded.created)?.unwrap_or(now);
    let since_created = (status != Status::Staged).then_some(created);
    let mut credentials = Credentials::default();
    match &seeded.credentials {
        Some(given) => {
            credentials.apply(given);
            // A dump shows a password as `{}`: its presence is what counts.
            credentials.has_password |= given.get("password").is_some_and(|p| !p.is_null());
        }
        // Users past activation are assumed to have a password.
        None => {
            credentials.has_password = !matches!(
                status,
                Status::Staged | Status::Provisioned | Status::Deprovisioned
            );
        }
    }
    let type_id = seeded
        .user_type
        .as_ref()
        .and_then(|kind| kind["id"].as_str())
        .unwrap_or(DEFAULT_TYPE_ID)
        .to_owned();
    Ok(User {
        seq: 0,
        id,
        status,
        created,
        activated: instant("activated", seeded.activated)?.or(since_created),
        status_changed: instant("statusChanged", seeded.status_changed)?.or(since_created),
        last_login: instant("lastLogin", seeded.last_login)?,
        last_updated: instant("lastUpdated", seeded.last_updated)?.unwrap_or(created),
        password_changed: instant("passwordChanged", seeded.password_changed)?,
        type_id,
        profile: seeded.profile,
        credentials,
    })
}

fn admin_user(store: &mut Store, now: i64) -> User {
    let profile = json!({
        "login": ADMIN_LOGIN,
        "email": ADMIN_LOGIN,
        "firstName": "Harness",
        "lastName": "Admin",
    });
    User {
        seq: 0,
        id: store.new_id(),
        status: Status::Active,
        created: now,
        activated: Some(now),
        status_changed: Some(now),
        last_login: None,
        last_updated: now,
        password_changed: Some(now),
        type_id: DEFAULT_TYPE_ID.to_owned(),
        profile: match profile {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        credentials: Credentials {
            has_password: true,
            ..Credentials::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_seed_has_only_the_admin_owner() -> Result<(), SeedError> {
        let store = build(&json!({}), 0)?;
        let users = store.users();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].login(), ADMIN_LOGIN);
        assert_eq!(store.find("me"), Some(0));
        Ok(())
    }

    #[test]
    fn named_owner_replaces_the_admin() -> Result<(), SeedError> {
        let seed = json!({
            "users": [{"profile": {"login": "ada@example.com"}, "status": "STAGED"}],
            "owner": "ADA@example.com",
        });
        let store = build(&seed, 0)?;
        assert_eq!(store.users().len(), 1);
        assert_eq!(store.find("me"), Some(0));
        assert_eq!(store.users()[0].activated, None);
        Ok(())
    }

    #[test]
    fn bad_seeds_say_where() {
        let cases = [
            (
                json!({"users": [{"profile": {}}]}),
                "users[0].profile.login",
            ),
            (
                json!({"users": [{"profile": {"login": "a@b.c"}}, {"profile": {"login": "A@B.C"}}]}),
                "users[1].profile.login",
            ),
            (
                json!({"users": [{"id": "x", "profile": {"login": "a@b.c"}}, {"id": "x", "profile": {"login": "b@b.c"}}]}),
                "users[1].id",
            ),
            (
                json!({"users": [{"profile": {"login": "a@b.c"}, "created": "yesterday"}]}),
                "users[0].created",
            ),
            (json!({"owner": "nobody@b.c"}), "owner"),
        ];
        for (seed, expected_path) in cases {
            match build(&seed, 0) {
                Err(SeedError::Invalid { path, .. }) => assert_eq!(path, expected_path),
                other => panic!("{seed} gave {other:?}"),
            }
        }
        assert!(matches!(
            build(
                &json!({"users": [{"profile": {"login": "a@b.c"}, "status": "GONE"}]}),
                0
            ),
            Err(SeedError::Shape(_))
        ));
        assert!(matches!(
            build(&json!({"user": []}), 0),
            Err(SeedError::Shape(_))
        ));
    }
}
