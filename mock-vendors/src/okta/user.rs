//! One Okta user: its statuses, timestamps and JSON rendering.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::clock::format_iso_millis;

/// The default user type every user gets (`oty` + 17 characters).
pub(crate) const DEFAULT_TYPE_ID: &str = "oty000harnessdefault";

/// A user's lifecycle status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Status {
    Staged,
    Provisioned,
    Active,
    Recovery,
    LockedOut,
    PasswordExpired,
    Suspended,
    Deprovisioned,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Staged => "STAGED",
            Status::Provisioned => "PROVISIONED",
            Status::Active => "ACTIVE",
            Status::Recovery => "RECOVERY",
            Status::LockedOut => "LOCKED_OUT",
            Status::PasswordExpired => "PASSWORD_EXPIRED",
            Status::Suspended => "SUSPENDED",
            Status::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Whether an IAM integration should call the user active: every status
    /// but SUSPENDED and DEPROVISIONED (a STAGED or PROVISIONED user is
    /// on its way in).
    pub(crate) fn is_active(self) -> bool {
        !matches!(self, Status::Suspended | Status::Deprovisioned)
    }
}

/// What the user can sign in with. Passwords themselves are never kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) has_password: bool,
    pub(crate) recovery_question: Option<String>,
    pub(crate) provider_type: String,
    pub(crate) provider_name: String,
    /// Created with `provider=true`: an external provider owns the
    /// credentials, so activation makes the user ACTIVE without a password.
    pub(crate) provider_managed: bool,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            has_password: false,
            recovery_question: None,
            provider_type: "OKTA".to_owned(),
            provider_name: "OKTA".to_owned(),
            provider_managed: false,
        }
    }
}

impl Credentials {
    /// Reads the `credentials` object of a create or update body over
    /// `self`; a password only sets a flag. Returns whether one was given.
    pub(crate) fn apply(&mut self, credentials: &Value) -> bool {
        let password = &credentials["password"];
        let password_given = password.get("value").is_some() || password.get("hash").is_some();
        self.has_password |= password_given;
        if let Some(question) = credentials["recovery_question"]["question"].as_str() {
            self.recovery_question = Some(question.to_owned());
        }
        let provider = &credentials["provider"];
        if let Some(kind) = provider["type"].as_str() {
            self.provider_type = kind.to_owned();
        }
        if let Some(name) = provider["name"].as_str() {
            self.provider_name = name.to_owned();
        }
        password_given
    }

    /// Whether activation can make the user ACTIVE rather than PROVISIONED.
    pub(crate) fn can_sign_in(&self) -> bool {
        self.has_password || self.provider_managed
    }

    fn to_json(&self) -> Value {
        let mut credentials = Map::new();
        if self.has_password {
            credentials.insert("password".to_owned(), json!({}));
        }
        if let Some(question) = &self.recovery_question {
            credentials.insert(
                "recovery_question".to_owned(),
                json!({ "question": question }),
            );
        }
        credentials.insert(
            "provider".to_owned(),
            json!({ "type": self.provider_type, "name": self.provider_name }),
        );
        Value::Object(credentials)
    }
}

/// A user as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct User {
    /// Creation order, for listing and paging cursors.
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) status: Status,
    pub(crate) created: i64,
    pub(crate) activated: Option<i64>,
    pub(crate) status_changed: Option<i64>,
    pub(crate) last_login: Option<i64>,
    pub(crate) last_updated: i64,
    pub(crate) password_changed: Option<i64>,
    pub(crate) type_id: String,
    pub(crate) profile: Map<String, Value>,
    pub(crate) credentials: Credentials,
}

impl User {
    /// `profile.login`, or "" when absent.
    pub(crate) fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The part of the login before `@`.
    pub(crate) fn shortname(&self) -> &str {
        let login = self.login();
        login.split_once('@').map_or(login, |(short, _)| short)
    }

    /// Moves to `status` at `now`.
    pub(crate) fn transition(&mut self, status: Status, now: i64) {
        if status != self.status {
            self.status = status;
            self.status_changed = Some(now);
        }
        self.last_updated = now;
    }

    /// The API representation; `base` (scheme and authority of the request)
    /// adds `_links`, which a dump leaves out because it depends on the port.
    pub(crate) fn to_json(&self, base: Option<&str>) -> Value {
        let instant = |millis: Option<i64>| millis.map(format_iso_millis);
        let mut user = json!({
            "id": self.id,
            "status": self.status.as_str(),
            "created": format_iso_millis(self.created),
            "activated": instant(self.activated),
            "statusChanged": instant(self.status_changed),
            "lastLogin": instant(self.last_login),
            "lastUpdated": format_iso_millis(self.last_updated),
            "passwordChanged": instant(self.password_changed),
            "type": { "id": self.type_id },
            "transitioningToStatus": null,
            "profile": self.profile,
            "credentials": self.credentials.to_json(),
        });
        if let (Some(base), Some(fields)) = (base, user.as_object_mut()) {
            fields.insert("_links".to_owned(), self.links(base));
        }
        user
    }

    /// The representation in a list: `_links` holds only `self`, as in
    /// Okta's list answers (the lifecycle links come with a single user).
    pub(crate) fn to_list_json(&self, base: &str) -> Value {
        let mut user = self.to_json(None);
        if let Some(fields) = user.as_object_mut() {
            fields.insert(
                "_links".to_owned(),
                json!({ "self": { "href": self.url(base) } }),
            );
        }
        user
    }

    /// `{base}/api/v1/users/{id}`.
    fn url(&self, base: &str) -> String {
        format!("{base}/api/v1/users/{}", self.id)
    }

    /// `self`, `type`, `schema` and the lifecycle operations the current
    /// status allows (mirroring the rules in the store).
    fn links(&self, base: &str) -> Value {
        let user_url = self.url(base);
        let mut links = Map::new();
        links.insert("self".to_owned(), json!({ "href": user_url }));
        links.insert(
            "type".to_owned(),
            json!({ "href": format!("{base}/api/v1/meta/types/user/{}", self.type_id) }),
        );
        links.insert(
            "schema".to_owned(),
            json!({ "href": format!("{base}/api/v1/meta/schemas/user/default") }),
        );
        let operations: &[(&str, &str)] = match self.status {
            Status::Staged => &[("activate", "activate"), ("deactivate", "deactivate")],
            Status::Provisioned => &[
                ("activate", "activate"),
                ("reactivate", "reactivate"),
                ("deactivate", "deactivate"),
            ],
            Status::Active => &[
                ("suspend", "suspend"),
                ("resetPassword", "reset_password"),
                ("expirePassword", "expire_password"),
                ("deactivate", "deactivate"),
            ],
            Status::Recovery => &[
                ("reactivate", "reactivate"),
                ("resetPassword", "reset_password"),
                ("expirePassword", "expire_password"),
                ("deactivate", "deactivate"),
            ],
            Status::PasswordExpired => &[
                ("resetPassword", "reset_password"),
                ("expirePassword", "expire_password"),
                ("deactivate", "deactivate"),
            ],
            Status::LockedOut => &[
                ("unlock", "unlock"),
                ("resetPassword", "reset_password"),
                ("expirePassword", "expire_password"),
                ("deactivate", "deactivate"),
            ],
            Status::Suspended => &[("unsuspend", "unsuspend"), ("deactivate", "deactivate")],
            Status::Deprovisioned => &[("activate", "activate")],
        };
        for (name, operation) in operations {
            links.insert(
                (*name).to_owned(),
                json!({ "href": format!("{user_url}/lifecycle/{operation}"), "method": "POST" }),
            );
        }
        Value::Object(links)
    }
}
