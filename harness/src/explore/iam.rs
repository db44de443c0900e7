//! IAM exploration: sequences of the management commands (create, get, update, disable) on a
//! small pool of users, some of them seeded at the vendor by the base, with random profiles
//! and `allow-enable`; every IAM rule judges each run.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::iam::IamCommand;

/// The users a plan names: a base seeds some of them (in whatever statuses it likes), the
/// others do not exist until a create.
const USERS: [(&str, &str, &str); 4] = [
    ("ada.lovelace@example.com", "Ada", "Lovelace"),
    ("grace.hopper@example.com", "Grace", "Hopper"),
    ("alan.turing@example.com", "Alan", "Turing"),
    ("new.hire@example.com", "New", "Hire"),
];

/// The titles a profile may carry, so that updates change something.
const TITLES: [&str; 3] = ["Engineer", "Analyst", "Director"];

/// One management command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    command: IamCommand,
    user: u8,
    title: u8,
    allow_enable: bool,
}

fn calls() -> impl Strategy<Value = Call> {
    (
        proptest::sample::select(&IamCommand::ALL[..]),
        0u8..4,
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(command, user, title, allow_enable)| Call {
            command,
            user,
            title,
            allow_enable,
        })
}

/// Plans of 1 to `max` commands.
pub(crate) fn plans(max: usize) -> impl Strategy<Value = Vec<Call>> {
    proptest::collection::vec(calls(), 1..=max.max(1))
}

/// The `command` steps of a plan.
pub(crate) fn steps(plan: &[Call]) -> Vec<Value> {
    plan.iter()
        .map(|call| {
            let (email, given, surname) = USERS[usize::from(call.user) % USERS.len()];
            let profile = match call.command {
                // A get or a disable names the user only.
                IamCommand::Get | IamCommand::Disable => json!({"email": email}),
                IamCommand::Create | IamCommand::Update => json!({
                    "email": email,
                    "givenname": given,
                    "surname": surname,
                    "title": TITLES[usize::from(call.title) % TITLES.len()],
                }),
            };
            let mut args = json!({"user-profile": profile});
            if let (true, Value::Object(args)) = (call.command.takes_allow_enable(), &mut args) {
                args.insert("allow-enable".to_owned(), json!(call.allow_enable));
            }
            json!({"command": call.command.name(), "args": args})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_become_command_steps_with_profiles() {
        let plan = vec![
            Call {
                command: IamCommand::Create,
                user: 5,
                title: 1,
                allow_enable: true,
            },
            Call {
                command: IamCommand::Disable,
                user: 1,
                title: 0,
                allow_enable: true,
            },
        ];
        assert_eq!(
            steps(&plan),
            [
                json!({"command": "iam-create-user", "args": {"allow-enable": true, "user-profile": {
                    "email": "grace.hopper@example.com", "givenname": "Grace", "surname": "Hopper", "title": "Analyst"}}}),
                json!({"command": "iam-disable-user", "args": {"user-profile": {"email": "grace.hopper@example.com"}}}),
            ]
        );
    }
}
