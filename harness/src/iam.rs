//! The IAM side of the emulation: which commands are IAM management commands, and reading the
//! `IAM.Vendor` / `IAM.UserProfile` outputs out of a command's entries.
//!
//! Seed: iam-integration.md; facts: xsoar-runtime.md §3.

use serde_json::{Map, Value};

/// The management commands every IAM integration implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IamCommand {
    Create,
    Get,
    Update,
    Disable,
}

impl IamCommand {
    pub(crate) const ALL: [IamCommand; 4] = [
        IamCommand::Create,
        IamCommand::Get,
        IamCommand::Update,
        IamCommand::Disable,
    ];

    /// The command name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            IamCommand::Create => "iam-create-user",
            IamCommand::Get => "iam-get-user",
            IamCommand::Update => "iam-update-user",
            IamCommand::Disable => "iam-disable-user",
        }
    }

    /// The management command of this name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the command takes `allow-enable` (it may enable a disabled user).
    pub(crate) fn takes_allow_enable(self) -> bool {
        matches!(self, IamCommand::Create | IamCommand::Update)
    }

    /// Its `IAMActions` value.
    pub(crate) const fn action(self) -> &'static str {
        match self {
            IamCommand::Create => "create",
            IamCommand::Get => "get",
            IamCommand::Update => "update",
            IamCommand::Disable => "disable",
        }
    }
}

/// The instance settings an IAMCommand is built from, read from the instance parameters the
/// IAM integrations name them by (the HelloIAMWorld template's); `None` for one the instance
/// leaves unset, whose value only the integration's code knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IamSettings {
    /// `create_user_enabled`.
    pub(crate) create: Option<bool>,
    /// `update_user_enabled`.
    pub(crate) update: Option<bool>,
    /// `enable_user_enabled`.
    pub(crate) enable: Option<bool>,
    /// `disable_user_enabled`.
    pub(crate) disable: Option<bool>,
    /// `create_if_not_exists`.
    pub(crate) create_if_not_exists: Option<bool>,
}

impl IamSettings {
    /// The parameter names, in the order of the fields.
    pub(crate) const PARAMS: [&'static str; 5] = [
        "create_user_enabled",
        "update_user_enabled",
        "enable_user_enabled",
        "disable_user_enabled",
        "create_if_not_exists",
    ];

    /// The settings the instance parameters `params` say.
    pub(crate) fn of(params: &Map<String, Value>) -> Self {
        let [create, update, enable, disable, create_if_not_exists] =
            Self::PARAMS.map(|name| params.get(name).map(is_true));
        Self {
            create,
            update,
            enable,
            disable,
            create_if_not_exists,
        }
    }
}

/// How IAMCommand reads `allow-enable`: the text `true` (the server sends arguments as text).
pub(crate) fn allows_enable(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `argToBoolean`'s reading of a parameter.
pub(crate) fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "true" | "yes"),
        _ => false,
    }
}

/// The context path of the vendor action results.
pub(crate) const VENDOR_PATH: &str = "IAM.Vendor";
/// The context path of the user profiles.
pub(crate) const USER_PROFILE_PATH: &str = "IAM.UserProfile";

/// The documented `IAMActions` values.
pub(crate) const ACTIONS: &[&str] = &[
    IamCommand::Get.action(),
    IamCommand::Update.action(),
    IamCommand::Create.action(),
    IamCommand::Disable.action(),
    "enable",
];

/// Whether `command` is an IAM management command.
pub(crate) fn is_management_command(command: &str) -> bool {
    IamCommand::from_name(command).is_some()
}

/// Every value the entries put under `path` (`IAM.Vendor`) in their EntryContext, whatever
/// the DT expression of the key.
pub(crate) fn outputs(entries: &[Value], path: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for entry in entries {
        let Some(context) = entry.get("EntryContext").and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in context {
            let key_path = key.split('(').next().unwrap_or(key).trim();
            if key_path == path {
                match value {
                    Value::Array(items) => found.extend(items.iter().cloned()),
                    other => found.push(other.clone()),
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_found_whatever_the_dt_expression() {
        use serde_json::json;

        let entry = json!({"EntryContext": {"IAM.Vendor(val.id == obj.id)": {"id": "1"}}});
        assert_eq!(outputs(&[entry], "IAM.Vendor"), vec![json!({"id": "1"})]);
    }
}
