//! IAM exploration: sequences of the management commands (create, get, update, disable) on a
//! small pool of users, some of them seeded at the vendor by the base, with random profiles,
//! `allow-enable`, instance settings (which commands are enabled, create_if_not_exists) and
//! vendor faults between the commands. Every IAM rule judges each run, the IAMCommand model
//! (`iam.command-semantics`) included.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::base::Case;
use crate::iam::{IamCommand, IamSettings};

/// The users a plan names (email, given name, surname, hire date as HR profiles spell it): a
/// base seeds some of them (in whatever statuses it likes), the others do not exist until a
/// create.
const USERS: [(&str, &str, &str, &str); 5] = [
    ("ada.lovelace@example.com", "Ada", "Lovelace", "12/10/2015"),
    ("grace.hopper@example.com", "Grace", "Hopper", "12/09/2016"),
    ("alan.turing@example.com", "Alan", "Turing", "06/23/2012"),
    ("new.hire@example.com", "New", "Hire", "03/15/2024"),
    ("joan.clarke@example.com", "Joan", "Clarke", "06/24/2017"),
];

/// The titles a profile may carry, so that updates change something.
const TITLES: [&str; 3] = ["Engineer", "Analyst", "Director"];

/// One case: the instance's settings (in the order of [`IamSettings::PARAMS`]) and the
/// actions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    settings: [bool; 5],
    actions: Vec<Action>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    /// One management command.
    Call {
        command: IamCommand,
        user: u8,
        title: u8,
        allow_enable: bool,
    },
    /// The vendor's next request gets a fault: its rate limit, or a 503.
    Fault { rate_limit: bool },
}

fn actions() -> impl Strategy<Value = Action> {
    let call = (
        proptest::sample::select(&IamCommand::ALL[..]),
        0u8..5,
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(command, user, title, allow_enable)| Action::Call {
            command,
            user,
            title,
            allow_enable,
        });
    prop_oneof![
        8 => call,
        1 => any::<bool>().prop_map(|rate_limit| Action::Fault { rate_limit }),
    ]
}

/// Plans of 1 to `max` actions; each setting is on in most plans, so that most commands run
/// their flow.
pub(crate) fn plans(max: usize) -> impl Strategy<Value = Plan> {
    (
        proptest::array::uniform5(proptest::bool::weighted(0.8)),
        proptest::collection::vec(actions(), 1..=max.max(1)),
    )
        .prop_map(|(settings, actions)| Plan { settings, actions })
}

/// The case of a plan: its settings as instance parameters, its actions as steps.
pub(crate) fn case(plan: &Plan) -> Case {
    let params: Map<String, Value> = IamSettings::PARAMS
        .iter()
        .zip(plan.settings)
        .map(|(name, on)| ((*name).to_owned(), json!(on)))
        .collect();
    let steps = plan.actions.iter().map(step).collect();
    Case { params, steps }
}

fn step(action: &Action) -> Value {
    let (command, user, title, allow_enable) = match action {
        Action::Fault { rate_limit } => {
            let respond = if *rate_limit {
                json!("rate-limit")
            } else {
                json!({"status": 503})
            };
            return json!({"fault": {"match": {"path": "/**"}, "respond": respond, "times": 1}});
        }
        Action::Call {
            command,
            user,
            title,
            allow_enable,
        } => (*command, *user, *title, *allow_enable),
    };
    let (email, given, surname, hired) = USERS[usize::from(user) % USERS.len()];
    let profile = match command {
        // A get or a disable names the user only.
        IamCommand::Get | IamCommand::Disable => json!({"email": email}),
        IamCommand::Create | IamCommand::Update => json!({
            "email": email,
            "givenname": given,
            "surname": surname,
            "title": TITLES[usize::from(title) % TITLES.len()],
            "hiredate": hired,
        }),
    };
    let mut args = json!({"user-profile": profile});
    if let (true, Value::Object(args)) = (command.takes_allow_enable(), &mut args) {
        args.insert("allow-enable".to_owned(), json!(allow_enable));
    }
    json!({"command": command.name(), "args": args})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_become_instance_settings_and_command_steps() {
        let plan = Plan {
            settings: [true, true, false, true, false],
            actions: vec![
                Action::Call {
                    command: IamCommand::Create,
                    user: 6,
                    title: 1,
                    allow_enable: true,
                },
                Action::Fault { rate_limit: true },
                Action::Call {
                    command: IamCommand::Disable,
                    user: 1,
                    title: 0,
                    allow_enable: true,
                },
            ],
        };
        let case = case(&plan);
        assert_eq!(
            Value::Object(case.params),
            json!({"create_user_enabled": true, "update_user_enabled": true,
                   "enable_user_enabled": false, "disable_user_enabled": true,
                   "create_if_not_exists": false})
        );
        assert_eq!(
            case.steps,
            [
                json!({"command": "iam-create-user", "args": {"allow-enable": true, "user-profile": {
                    "email": "grace.hopper@example.com", "givenname": "Grace", "surname": "Hopper", "title": "Analyst", "hiredate": "12/09/2016"}}}),
                json!({"fault": {"match": {"path": "/**"}, "respond": "rate-limit", "times": 1}}),
                json!({"command": "iam-disable-user", "args": {"user-profile": {"email": "grace.hopper@example.com"}}}),
            ]
        );
    }
}
