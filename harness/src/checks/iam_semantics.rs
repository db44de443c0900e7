//! The documented IAMCommand semantics as a model: from the accounts the vendor kept before a
//! management command, the instance's settings and the command's arguments, what its
//! IAM.Vendor record must say and what the accounts must be afterwards.
//!
//! The model names the user by the profile's `email` (IAMCommand's default IAM attribute) and
//! judges nothing it cannot predict: a profile without an email, two accounts with the same
//! email, or a setting the instance leaves to the integration's code.
//!
//! A vendor may refuse what the model predicts (a login taken by another account, a status it
//! cannot leave, a server error on the lookup): a failed write, a refused lookup, a server
//! error, a rate limit or an injected fault excuses a skipped or failed record, though never a
//! change to the other accounts. A GET's 404 is a lookup's "not found" and excuses nothing.
//!
//! "Active" is the vendor's word for the account ([`mock_vendors::Vendor::accounts`]: the
//! Okta-like vendor calls SUSPENDED and DEPROVISIONED users inactive), the same the
//! `iam.active-matches-vendor` rule compares `active` with.

use mock_vendors::{Account, FaultResponse, JournalEntry};
use serde_json::{Map, Value};

use super::iam::shown;
use crate::iam::{allows_enable, IamCommand, IamSettings};
use crate::server::CommandRecord;

/// What the model predicts for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prediction {
    /// The row of the IAMCommand table (xsoar-runtime.md §3) that applies, for messages.
    case: String,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// success true; `active` when the model knows it; the user's account afterwards.
    Success { active: Option<bool>, after: After },
    /// skipped true, the accounts unchanged.
    Skipped,
    /// success false with an error (get of a user that does not exist), the accounts unchanged.
    NotFound,
}

/// The user's account after a successful command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// As before.
    Unchanged,
    /// A new account with the profile's email.
    Created,
    /// The account, active or not.
    Active(bool),
}

/// What the command's record and its effect on the accounts break of the model (empty when
/// they follow it); `None` when the model cannot tell.
pub(crate) fn iam_semantics(
    record: &CommandRecord,
    vendor_record: &Value,
    settings: &IamSettings,
    before: &[Account],
    after: &[Account],
) -> Option<Vec<String>> {
    let command = IamCommand::from_name(&record.command)?;
    let email = profile_email(&record.args)?;
    if has_old_user_data(&record.args) && command == IamCommand::Update {
        // The update flow looks the user up by the old data (a changed email); not modelled.
        return None;
    }
    let mut matching = before.iter().filter(|a| same_email(a, &email));
    let target = matching.next();
    if matching.next().is_some() {
        return None;
    }
    let allow_enable = record.args.get("allow-enable").is_some_and(allows_enable);
    let prediction = predict(command, settings, target, allow_enable)?;
    let name = command.name();
    let contract = |what: String| {
        format!(
            "{name} of {email}: for `{}` the IAM contract says {what}",
            prediction.case
        )
    };
    let flag = |key: &str| vendor_record.get(key).and_then(Value::as_bool) == Some(true);
    let (succeeded, skipped) = (flag("success") && !flag("skipped"), flag("skipped"));
    let refused = record.requests.iter().any(vendor_refused);
    let mut found = Vec::new();

    // The record.
    let told = format!(
        "the record says success {}, skipped {}",
        shown(vendor_record.get("success")),
        shown(vendor_record.get("skipped"))
    );
    match prediction.outcome {
        // The vendor turned the command down: a skip or a failure is the integration's way
        // of saying so, whatever the model expected.
        _ if refused && !succeeded => {}
        Outcome::Success { active, .. } => {
            if !succeeded {
                found.push(contract(format!("it succeeds, but {told}")));
            } else if let Some(active) = active {
                if vendor_record.get("active").and_then(Value::as_bool) != Some(active) {
                    found.push(contract(format!(
                        "active is {active} afterwards, but the record says active {}",
                        shown(vendor_record.get("active"))
                    )));
                }
            }
        }
        Outcome::Skipped if !skipped => {
            found.push(contract(format!("it is skipped, but {told}")));
        }
        Outcome::NotFound if succeeded || skipped => {
            found.push(contract(format!(
                "it fails with an error (the user does not exist), but {told}"
            )));
        }
        Outcome::Skipped | Outcome::NotFound => {}
    }

    // The accounts: the others never change; the user's changes as predicted.
    for account in before.iter().filter(|a| Some(*a) != target) {
        match after.iter().find(|a| a.id == account.id) {
            None => found.push(format!(
                "{name} of {email}: the vendor no longer has account `{}` ({}), which is another user's",
                account.id,
                account.email.as_deref().unwrap_or("no email")
            )),
            Some(now) if now.active != account.active => found.push(format!(
                "{name} of {email}: another user's account `{}` ({}) went from {} to {}",
                account.id,
                account.email.as_deref().unwrap_or("no email"),
                activity(account.active),
                activity(now.active)
            )),
            Some(_) => {}
        }
    }
    let new: Vec<&Account> = after
        .iter()
        .filter(|a| !before.iter().any(|b| b.id == a.id))
        .collect();
    let expected_after = match prediction.outcome {
        Outcome::Success { after, .. } if succeeded => Some(after),
        // A refused command may have done part of its work; only the others are judged.
        Outcome::Success { .. } => None,
        Outcome::Skipped | Outcome::NotFound => Some(After::Unchanged),
    };
    let created = matches!(expected_after, Some(After::Created));
    let unexpected: Vec<&&Account> = new
        .iter()
        .filter(|a| !(created && same_email(a, &email)))
        .collect();
    if let Some(account) = unexpected.first() {
        found.push(format!(
            "{name} of {email}: the vendor has a new account `{}` ({}) that the command had no reason to create ({})",
            account.id,
            account.email.as_deref().unwrap_or("no email"),
            prediction.case
        ));
    }
    let now = target.and_then(|t| after.iter().find(|a| a.id == t.id));
    match (expected_after, target, now) {
        (Some(After::Created), _, _) if !new.iter().any(|a| same_email(a, &email)) => {
            found.push(contract(format!(
                "the user is created, but the vendor has no new account with email {email}"
            )));
        }
        (Some(After::Active(active)), Some(_), Some(now)) if now.active != active => {
            found.push(contract(format!(
                "the user is {} afterwards, but the vendor has them {}",
                activity(active),
                activity(now.active)
            )));
        }
        (Some(After::Unchanged | After::Active(_)), Some(_), None) => {
            found.push(contract(
                "the user's account stays, but the vendor no longer has it".to_owned(),
            ));
        }
        (Some(After::Unchanged), Some(before), Some(now)) if now.active != before.active => {
            found.push(contract(format!(
                "nothing changes at the vendor, but the user went from {} to {}",
                activity(before.active),
                activity(now.active)
            )));
        }
        _ => {}
    }
    Some(found)
}

/// The model: what `command` does to the user `target` (`None`: no account has the email).
/// `None` when the outcome hangs on a setting the instance does not say.
fn predict(
    command: IamCommand,
    settings: &IamSettings,
    target: Option<&Account>,
    allow_enable: bool,
) -> Option<Prediction> {
    let at = |case: &str, outcome| Prediction {
        case: format!("{} | {case}", command.action()),
        outcome,
    };
    let success = |active, after| Outcome::Success { active, after };
    Some(match command {
        IamCommand::Get => match target {
            Some(user) => at("found", success(Some(user.active), After::Unchanged)),
            None => at("not found", Outcome::NotFound),
        },
        IamCommand::Disable => match (settings.disable?, target) {
            (false, _) => at("command disabled", Outcome::Skipped),
            (true, None) => at("not found", Outcome::Skipped),
            (true, Some(user)) if !user.active => at("already inactive", Outcome::Skipped),
            (true, Some(_)) => at("active", success(Some(false), After::Active(false))),
        },
        IamCommand::Create => match (settings.create?, target) {
            (false, _) => at("command disabled", Outcome::Skipped),
            (true, Some(_)) => {
                let update = predict(IamCommand::Update, settings, target, allow_enable)?;
                Prediction {
                    case: format!("create | exists, then {}", update.case),
                    outcome: update.outcome,
                }
            }
            (true, None) => at("not found", success(None, After::Created)),
        },
        IamCommand::Update => match (settings.update?, target) {
            (false, _) => at("command disabled", Outcome::Skipped),
            (true, None) => {
                if !settings.create_if_not_exists? {
                    return Some(at(
                        "not found, create_if_not_exists false",
                        Outcome::Skipped,
                    ));
                }
                let create = predict(IamCommand::Create, settings, None, allow_enable)?;
                Prediction {
                    case: format!("update | not found, then {}", create.case),
                    outcome: create.outcome,
                }
            }
            (true, Some(user)) => {
                let enables = allow_enable && !user.active && settings.enable?;
                let active = user.active || enables;
                let case = if allow_enable && !user.active {
                    format!("exists, inactive, allow-enable, enable_user_enabled {enables}")
                } else {
                    "exists".to_owned()
                };
                at(&case, success(Some(active), After::Active(active)))
            }
        },
    })
}

/// Whether the vendor turned down a request: an injected fault that changed the answer, an
/// answer it did not give, a server error or rate limit, a failed write, or a lookup it
/// refused (a GET's 404 is a lookup's "not found").
fn vendor_refused(request: &JournalEntry) -> bool {
    let faulted = request
        .fault
        .as_ref()
        .is_some_and(|fault| !matches!(fault, FaultResponse::Delay(_)));
    faulted
        || match request.status {
            None => true,
            Some(status) => status >= 400 && !(status == 404 && request.method == "GET"),
        }
}

/// The `user-profile` argument (an object, or its JSON text); `None` when it is neither.
fn profile(args: &Map<String, Value>) -> Option<Value> {
    match args.get("user-profile")? {
        // Text that is not JSON names no user the model can look up.
        Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    }
}

/// The profile's `email`, the IAM attribute users are looked up by.
fn profile_email(args: &Map<String, Value>) -> Option<String> {
    let email = profile(args)?.get("email")?.as_str()?.trim().to_owned();
    (!email.is_empty()).then_some(email)
}

/// Whether the profile carries `olduserdata`, which the update flow looks the user up by.
fn has_old_user_data(args: &Map<String, Value>) -> bool {
    profile(args).is_some_and(|p| p.get("olduserdata").is_some_and(|old| !old.is_null()))
}

fn same_email(account: &Account, email: &str) -> bool {
    account
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(email))
}

fn activity(active: bool) -> &'static str {
    if active {
        "active"
    } else {
        "inactive"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(on: bool) -> IamSettings {
        IamSettings {
            create: Some(on),
            update: Some(on),
            enable: Some(on),
            disable: Some(on),
            create_if_not_exists: Some(on),
        }
    }

    fn account(active: bool) -> Account {
        Account::new("00u1", Some("ada@example.com".to_owned()), active)
    }

    #[test]
    fn the_model_follows_the_iamcommand_table() {
        let on = all(true);
        let inactive = account(false);
        let active = account(true);
        let outcome = |command, settings: &IamSettings, target, allow| {
            predict(command, settings, target, allow).map(|p| p.outcome)
        };
        assert_eq!(
            outcome(IamCommand::Disable, &on, Some(&active), false),
            Some(Outcome::Success {
                active: Some(false),
                after: After::Active(false)
            })
        );
        assert_eq!(
            outcome(IamCommand::Disable, &on, Some(&inactive), false),
            Some(Outcome::Skipped)
        );
        // Create of an existing, inactive user runs the update flow, which enables it.
        assert_eq!(
            outcome(IamCommand::Create, &on, Some(&inactive), true),
            Some(Outcome::Success {
                active: Some(true),
                after: After::Active(true)
            })
        );
        let no_enable = IamSettings {
            enable: Some(false),
            ..all(true)
        };
        assert_eq!(
            outcome(IamCommand::Update, &no_enable, Some(&inactive), true),
            Some(Outcome::Success {
                active: Some(false),
                after: After::Active(false)
            })
        );
        // Update of a missing user: created, unless create_if_not_exists (or create) is off.
        assert_eq!(
            outcome(IamCommand::Update, &on, None, false),
            Some(Outcome::Success {
                active: None,
                after: After::Created
            })
        );
        let no_create = IamSettings {
            create: Some(false),
            ..all(true)
        };
        assert_eq!(
            outcome(IamCommand::Update, &no_create, None, false),
            Some(Outcome::Skipped)
        );
        assert_eq!(
            outcome(IamCommand::Get, &all(false), None, false),
            Some(Outcome::NotFound)
        );
        // A setting the instance does not say: no prediction.
        let unknown = IamSettings {
            create_if_not_exists: None,
            ..all(true)
        };
        assert_eq!(outcome(IamCommand::Update, &unknown, None, false), None);
        assert!(outcome(IamCommand::Update, &unknown, Some(&active), false).is_some());
    }

    #[test]
    fn a_refused_write_excuses_a_failure_but_a_missed_lookup_does_not() {
        let entry = |method: &str, status| JournalEntry {
            method: method.to_owned(),
            path: "/api/v1/users".to_owned(),
            query: None,
            body: None,
            fault: None,
            status,
        };
        assert!(vendor_refused(&entry("POST", Some(400))));
        assert!(vendor_refused(&entry("GET", Some(503))));
        assert!(vendor_refused(&entry("GET", None)));
        assert!(!vendor_refused(&entry("GET", Some(404))));
        assert!(vendor_refused(&entry("GET", Some(401))));
        assert!(!vendor_refused(&entry("POST", Some(200))));
    }
}
