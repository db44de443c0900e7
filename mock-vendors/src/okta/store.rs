//! The users of one Okta org and the rules that change them: profile
//! validation, creation statuses and the lifecycle state machine.

use serde_json::{Map, Value};

use super::errors::OktaError;
use super::user::{Credentials, DEFAULT_TYPE_ID, Status, User};
use crate::prng::Prng;

/// Seed of the user-id stream; fixed so ids repeat from run to run.
const USER_ID_SEED: u64 = 0x0075_5345_5253; // "uSERS"

/// The users, in creation order, and who owns the API token.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    users: Vec<User>,
    /// Id of the user `/users/me` answers with.
    owner: Option<String>,
    ids: Prng,
    next_seq: u64,
}

/// A user to create, as read from `POST /users`.
#[derive(Clone, Debug)]
pub(crate) struct NewUser {
    pub(crate) profile: Map<String, Value>,
    pub(crate) credentials: Option<Value>,
    pub(crate) activate: bool,
    pub(crate) provider: bool,
    /// `nextLogin=changePassword`: with `activate=true`, the password is
    /// expired at once, so the user must change it at the next sign-in.
    pub(crate) change_password: bool,
}

/// How an update treats the stored profile.
#[derive(Clone, Debug)]
pub(crate) enum ProfileChange {
    /// No `profile` in the body.
    Keep,
    /// `POST /users/{id}`: the given properties overwrite, others stay.
    Merge(Map<String, Value>),
    /// `PUT /users/{id}`: the given properties are the whole profile.
    Replace(Map<String, Value>),
}

/// `POST /users/{id}/lifecycle/{operation}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Activate,
    Reactivate,
    Deactivate,
    Suspend,
    Unsuspend,
    Unlock,
    ResetPassword,
    ExpirePassword,
    /// `expire_password_with_temp_password`, or `expire_password?tempPassword=true`.
    ExpirePasswordWithTempPassword,
    ResetFactors,
}

/// What a lifecycle operation answers with.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Empty,
    /// `{activationUrl, activationToken}` when the caller asked for no email.
    ActivationLink,
    /// `{resetPasswordUrl}` when the caller asked for no email.
    ResetPasswordLink,
    /// `{tempPassword}`: the password was replaced by a generated one.
    TempPassword,
    /// The updated user.
    User(Box<User>),
}

impl Lifecycle {
    /// The operation named by the last path segment.
    pub(crate) fn parse(segment: &str) -> Option<Lifecycle> {
        let operation = match segment {
            "activate" => Lifecycle::Activate,
            "reactivate" => Lifecycle::Reactivate,
            "deactivate" => Lifecycle::Deactivate,
            "suspend" => Lifecycle::Suspend,
            "unsuspend" => Lifecycle::Unsuspend,
            "unlock" => Lifecycle::Unlock,
            "reset_password" => Lifecycle::ResetPassword,
            "expire_password" => Lifecycle::ExpirePassword,
            "expire_password_with_temp_password" => Lifecycle::ExpirePasswordWithTempPassword,
            "reset_factors" => Lifecycle::ResetFactors,
            _ => return None,
        };
        Some(operation)
    }
}

impl Store {
    /// No users, no owner, a fresh id stream.
    pub(crate) fn new() -> Self {
        Self {
            users: Vec::new(),
            owner: None,
            ids: Prng::new(USER_ID_SEED),
            next_seq: 0,
        }
    }

    pub(crate) fn users(&self) -> &[User] {
        &self.users
    }

    pub(crate) fn set_owner(&mut self, id: String) {
        self.owner = Some(id);
    }

    /// A fresh `00u` + 17 character id no user has.
    pub(crate) fn new_id(&mut self) -> String {
        loop {
            let id = format!("00u{}", self.ids.alphanumeric(17));
            if self.index_of_id(&id).is_none() {
                return id;
            }
        }
    }

    /// Appends `user` (its `seq` is assigned here) and returns it.
    pub(crate) fn insert(&mut self, mut user: User) -> &User {
        user.seq = self.next_seq;
        self.next_seq += 1;
        self.users.push(user);
        let last = self.users.len() - 1;
        &self.users[last]
    }

    pub(crate) fn index_of_id(&self, id: &str) -> Option<usize> {
        self.users.iter().position(|user| user.id == id)
    }

    /// `me`, an id, a login or an unambiguous login shortname.
    pub(crate) fn find(&self, key: &str) -> Option<usize> {
        if key == "me" {
            return self.owner.as_deref().and_then(|id| self.index_of_id(id));
        }
        if let Some(index) = self.index_of_id(key) {
            return Some(index);
        }
        let key = key.to_lowercase();
        if let Some(index) = self
            .users
            .iter()
            .position(|user| user.login().to_lowercase() == key)
        {
            return Some(index);
        }
        let mut shortnames = self
            .users
            .iter()
            .enumerate()
            .filter(|(_, user)| user.shortname().to_lowercase() == key);
        match (shortnames.next(), shortnames.next()) {
            (Some((index, _)), None) => Some(index),
            _ => None,
        }
    }

    /// The user for `key`, or 404 E0000007.
    pub(crate) fn get(&self, key: &str) -> Result<&User, OktaError> {
        self.find(key)
            .map(|index| &self.users[index])
            .ok_or_else(|| OktaError::user_not_found(key))
    }

    /// Whether another user (not `except_id`) has this login, ignoring case.
    pub(crate) fn login_taken(&self, login: &str, except_id: Option<&str>) -> bool {
        let login = login.to_lowercase();
        self.users
            .iter()
            .any(|user| Some(user.id.as_str()) != except_id && user.login().to_lowercase() == login)
    }

    /// `POST /users`: validates, picks the status from `activate`,
    /// `provider`, `nextLogin` and the credentials, and stores the user.
    pub(crate) fn create(&mut self, new: NewUser, now: i64) -> Result<&User, OktaError> {
        self.validate_profile(&new.profile, None)?;
        let mut credentials = Credentials {
            provider_managed: new.provider,
            ..Credentials::default()
        };
        let password_set = new
            .credentials
            .as_ref()
            .is_some_and(|given| credentials.apply(given));
        let status = match (new.activate, credentials.can_sign_in()) {
            (false, _) => Status::Staged,
            (true, false) => Status::Provisioned,
            (true, true) if new.change_password && credentials.has_password => {
                Status::PasswordExpired
            }
            (true, true) => Status::Active,
        };
        let activated = (status != Status::Staged).then_some(now);
        let user = User {
            seq: 0,
            id: self.new_id(),
            status,
            created: now,
            activated,
            status_changed: activated,
            last_login: None,
            last_updated: now,
            password_changed: password_set.then_some(now),
            type_id: DEFAULT_TYPE_ID.to_owned(),
            profile: new.profile,
            credentials,
        };
        Ok(self.insert(user))
    }

    /// `POST` or `PUT /users/{key}`. A DEPROVISIONED user answers 404, as
    /// the real API does.
    pub(crate) fn update(
        &mut self,
        key: &str,
        change: ProfileChange,
        credentials: Option<&Value>,
        now: i64,
    ) -> Result<&User, OktaError> {
        let index = self
            .find(key)
            .filter(|&index| self.users[index].status != Status::Deprovisioned)
            .ok_or_else(|| OktaError::user_not_found(key))?;
        let profile = match change {
            ProfileChange::Keep => None,
            ProfileChange::Merge(patch) => {
                let mut profile = self.users[index].profile.clone();
                profile.extend(patch);
                Some(profile)
            }
            ProfileChange::Replace(profile) => Some(profile),
        };
        if let Some(profile) = &profile {
            self.validate_profile(profile, Some(&self.users[index].id))?;
        }
        let user = &mut self.users[index];
        if let Some(profile) = profile {
            user.profile = profile;
        }
        if credentials.is_some_and(|given| user.credentials.apply(given)) {
            user.password_changed = Some(now);
        }
        user.last_updated = now;
        Ok(&self.users[index])
    }

    /// Runs a lifecycle operation with Okta's status rules.
    pub(crate) fn lifecycle(
        &mut self,
        key: &str,
        operation: Lifecycle,
        now: i64,
    ) -> Result<Outcome, OktaError> {
        let index = self
            .find(key)
            .ok_or_else(|| OktaError::user_not_found(key))?;
        let user = &mut self.users[index];
        let outcome = match (operation, user.status) {
            (Lifecycle::Activate, Status::Staged | Status::Provisioned | Status::Deprovisioned) => {
                let target = if user.credentials.can_sign_in() {
                    Status::Active
                } else {
                    Status::Provisioned
                };
                user.transition(target, now);
                user.activated = Some(now);
                Outcome::ActivationLink
            }
            (Lifecycle::Activate, _) => return Err(OktaError::already_active()),
            // Restarts an activation that was not completed; the status stays.
            (Lifecycle::Reactivate, Status::Provisioned | Status::Recovery) => {
                user.last_updated = now;
                Outcome::ActivationLink
            }
            (Lifecycle::Reactivate, _) => return Err(OktaError::status_not_allowed()),
            (Lifecycle::Deactivate, Status::Deprovisioned) => {
                return Err(OktaError::user_not_found(key));
            }
            (Lifecycle::Deactivate, _) => {
                user.transition(Status::Deprovisioned, now);
                Outcome::Empty
            }
            (Lifecycle::Suspend, Status::Active) => {
                user.transition(Status::Suspended, now);
                Outcome::Empty
            }
            (Lifecycle::Suspend, _) => {
                return Err(OktaError::validation(
                    "status",
                    vec!["Cannot suspend a user that is not active".to_owned()],
                ));
            }
            (Lifecycle::Unsuspend, Status::Suspended) => {
                user.transition(Status::Active, now);
                Outcome::Empty
            }
            (Lifecycle::Unsuspend, _) => {
                return Err(OktaError::validation(
                    "status",
                    vec!["Cannot unsuspend a user that is not suspended".to_owned()],
                ));
            }
            (Lifecycle::Unlock, Status::LockedOut | Status::Active) => {
                user.transition(Status::Active, now);
                Outcome::Empty
            }
            (Lifecycle::Unlock, _) => return Err(OktaError::unlock_not_allowed()),
            (
                Lifecycle::ResetPassword,
                Status::Active | Status::Recovery | Status::LockedOut | Status::PasswordExpired,
            ) => {
                user.transition(Status::Recovery, now);
                Outcome::ResetPasswordLink
            }
            (
                Lifecycle::ExpirePassword,
                Status::Active | Status::Recovery | Status::LockedOut | Status::PasswordExpired,
            ) => {
                user.transition(Status::PasswordExpired, now);
                Outcome::User(Box::new(user.clone()))
            }
            (
                Lifecycle::ExpirePasswordWithTempPassword,
                Status::Active | Status::Recovery | Status::LockedOut | Status::PasswordExpired,
            ) => {
                user.transition(Status::PasswordExpired, now);
                user.credentials.has_password = true;
                user.password_changed = Some(now);
                Outcome::TempPassword
            }
            (
                Lifecycle::ResetPassword
                | Lifecycle::ExpirePassword
                | Lifecycle::ExpirePasswordWithTempPassword,
                _,
            ) => {
                return Err(OktaError::status_not_allowed());
            }
            // Every factor enrollment is dropped; the mock keeps none, so
            // nothing about the user changes.
            (Lifecycle::ResetFactors, _) => Outcome::Empty,
        };
        Ok(outcome)
    }

    /// `DELETE /users/{key}`: deactivates first, deletes the second time.
    pub(crate) fn delete(&mut self, key: &str, now: i64) -> Result<(), OktaError> {
        let index = self
            .find(key)
            .ok_or_else(|| OktaError::user_not_found(key))?;
        if self.users[index].status == Status::Deprovisioned {
            let removed = self.users.remove(index);
            if self.owner.as_deref() == Some(removed.id.as_str()) {
                self.owner = None;
            }
        } else {
            self.users[index].transition(Status::Deprovisioned, now);
        }
        Ok(())
    }

    /// The default schema's rules: login (5-100 characters, email form,
    /// unique), email, firstName and lastName required.
    fn validate_profile(
        &self,
        profile: &Map<String, Value>,
        except_id: Option<&str>,
    ) -> Result<(), OktaError> {
        let mut problems = Problems::default();
        match profile.get("login") {
            Some(Value::String(login)) if !login.trim().is_empty() => {
                if !(5..=100).contains(&login.chars().count()) {
                    problems.add(
                        "login",
                        "The field must be between 5 and 100 characters long",
                    );
                } else if !looks_like_email(login) {
                    problems.add("login", "Username must be in the form of an email address");
                }
            }
            Some(value) if !value.is_null() && !value.is_string() => {
                problems.add("login", "The field must be a string")
            }
            _ => problems.add("login", "The field cannot be left blank"),
        }
        match profile.get("email") {
            Some(Value::String(email)) if !email.trim().is_empty() => {
                if !looks_like_email(email) {
                    problems.add("email", "Does not match required pattern");
                }
            }
            Some(value) if !value.is_null() && !value.is_string() => {
                problems.add("email", "The field must be a string")
            }
            _ => problems.add("email", "The field cannot be left blank"),
        }
        for name in ["firstName", "lastName"] {
            let given = profile
                .get(name)
                .and_then(Value::as_str)
                .is_some_and(|text| !text.trim().is_empty());
            if !given {
                problems.add(name, "The field cannot be left blank");
            }
        }
        if let Some(error) = problems.into_error() {
            return Err(error);
        }
        let login = profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if self.login_taken(login, except_id) {
            return Err(OktaError::duplicate_login());
        }
        Ok(())
    }
}

/// Validation causes, in the order found; the first field names the error.
#[derive(Default)]
struct Problems {
    first_field: Option<&'static str>,
    causes: Vec<String>,
}

impl Problems {
    fn add(&mut self, field: &'static str, message: &str) {
        self.first_field.get_or_insert(field);
        self.causes.push(format!("{field}: {message}"));
    }

    fn into_error(self) -> Option<OktaError> {
        self.first_field
            .map(|field| OktaError::validation(field, self.causes))
    }
}

/// `local@domain.tld` without spaces: the check Okta's default pattern makes.
fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(login: &str) -> Map<String, Value> {
        let value = json!({
            "login": login,
            "email": login,
            "firstName": "Ada",
            "lastName": "Lovelace",
        });
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn create(store: &mut Store, login: &str, activate: bool, password: bool) -> String {
        let new = NewUser {
            profile: profile(login),
            credentials: password.then(|| json!({"password": {"value": "secret"}})),
            activate,
            provider: false,
            change_password: false,
        };
        match store.create(new, 0) {
            Ok(user) => user.id.clone(),
            Err(error) => panic!("create failed: {error:?}"),
        }
    }

    #[test]
    fn ids_are_deterministic_and_okta_shaped() {
        let mut a = Store::new();
        let mut b = Store::new();
        let id = create(&mut a, "ada@example.com", true, false);
        assert_eq!(id, create(&mut b, "ada@example.com", true, false));
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00u"));
    }

    #[test]
    fn lookup_by_login_and_unambiguous_shortname() {
        let mut store = Store::new();
        let ada = create(&mut store, "ada@example.com", true, false);
        create(&mut store, "bob@example.com", true, false);
        create(&mut store, "bob@example.org", true, false);
        assert_eq!(
            store.get("ADA@example.com").map(|u| u.id.clone()),
            Ok(ada.clone())
        );
        assert_eq!(store.get("ada").map(|u| u.id.clone()), Ok(ada));
        assert!(store.get("bob").is_err());
        assert!(store.get("me").is_err());
    }

    #[test]
    fn validation_names_every_problem() {
        let mut store = Store::new();
        let mut bad = profile("nope");
        bad.remove("lastName");
        let error = store.create(
            NewUser {
                profile: bad,
                credentials: None,
                activate: true,
                provider: false,
                change_password: false,
            },
            0,
        );
        let Err(error) = error else {
            panic!("should be refused");
        };
        assert_eq!(error.summary, "Api validation failed: login");
        assert_eq!(
            error.causes,
            [
                "login: The field must be between 5 and 100 characters long",
                "email: Does not match required pattern",
                "lastName: The field cannot be left blank",
            ]
        );
    }

    #[test]
    fn activation_depends_on_credentials() -> Result<(), OktaError> {
        let mut store = Store::new();
        let plain = create(&mut store, "plain@example.com", false, false);
        let with_password = create(&mut store, "pw@example.com", false, true);
        store.lifecycle(&plain, Lifecycle::Activate, 1)?;
        store.lifecycle(&with_password, Lifecycle::Activate, 1)?;
        assert_eq!(store.get(&plain)?.status, Status::Provisioned);
        assert_eq!(store.get(&with_password)?.status, Status::Active);
        Ok(())
    }
}
