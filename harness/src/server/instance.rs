//! The integration instance: parameter values as the server sends them, and their secrets.

use serde_json::{Map, Value};

use crate::integration::{Manifest, ParamType};
use crate::scenario::InstanceSpec;
use crate::secrets::Secrets;

/// Why an instance cannot be configured as asked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstanceError {
    /// A param the integration does not declare.
    #[error("instance param `{name}` is not declared by integration `{integration}` (declared: {})", .declared.join(", "))]
    Undeclared {
        /// The param given.
        name: String,
        /// The integration.
        integration: String,
        /// The params it declares.
        declared: Vec<String>,
    },
    /// A required param without a value or a default.
    #[error("integration `{integration}` requires the instance param `{param}` and it has no default; set it under instance.params")]
    MissingRequired {
        /// The integration.
        integration: String,
        /// The param.
        param: String,
    },
}

/// A configured instance of an integration.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The brand: the integration name.
    pub brand: String,
    /// The instance name.
    pub name: String,
    /// `demisto.params()`.
    pub params: Map<String, Value>,
    /// Values that must never appear in snapshots, reports or logs.
    pub secrets: Secrets,
}

impl Instance {
    /// Builds the instance a scenario describes: the YAML defaults, then the scenario's
    /// overrides, then `vendor_url` (param name and value) unless the scenario set that param.
    /// `secrets` are those the scenario file names; the manifest's secret types add theirs.
    pub(crate) fn configure(
        manifest: &Manifest,
        spec: &InstanceSpec,
        mut secrets: Secrets,
        vendor_url: Option<(&str, String)>,
    ) -> Result<Self, InstanceError> {
        let mut params = Map::new();
        for param in &manifest.configuration {
            if let Some(default) = &param.defaultvalue {
                params.insert(param.name.clone(), as_sent(param.kind, default));
            }
        }
        for (name, value) in &spec.params {
            let Some(param) = manifest.param(name) else {
                return Err(InstanceError::Undeclared {
                    name: name.clone(),
                    integration: manifest.name.clone(),
                    declared: manifest
                        .configuration
                        .iter()
                        .map(|p| p.name.clone())
                        .collect(),
                });
            };
            params.insert(name.clone(), as_sent(param.kind, &value.value));
        }
        if let Some((url_param, url)) = vendor_url {
            if !spec.params.contains_key(url_param) {
                params.insert(url_param.to_owned(), Value::String(url));
            }
        }
        if let Some(missing) = manifest
            .configuration
            .iter()
            .find(|p| p.required && !params.contains_key(&p.name))
        {
            return Err(InstanceError::MissingRequired {
                integration: manifest.name.clone(),
                param: missing.name.clone(),
            });
        }
        // What the manifest's types say is a secret.
        for param in &manifest.configuration {
            match (param.kind, params.get(&param.name)) {
                (ParamType::Encrypted, Some(Value::String(secret))) => secrets.add(secret),
                (ParamType::Credentials, Some(credentials)) => {
                    let text = |key: &str| {
                        credentials
                            .get(key)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    };
                    secrets.add_credentials(text("identifier"), text("password"));
                }
                _ => {}
            }
        }
        Ok(Self {
            brand: manifest.name.clone(),
            name: spec
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_instance_1", manifest.name)),
            params,
            secrets,
        })
    }

    /// The calling context the server puts in every start message.
    pub(crate) fn calling_context(&self, incidents: &[Value]) -> Value {
        serde_json::json!({
            "IntegrationBrand": self.brand,
            "IntegrationInstance": self.name,
            "Inv": {"id": super::INVESTIGATION_ID},
            "Incidents": incidents,
            "ParentEntry": null,
            "ExecutionContext": "action",
            "ExecutedCommands": null,
            "IsDebug": false,
        })
    }
}

/// A parameter value the way the server delivers it for the parameter's type.
fn as_sent(kind: ParamType, value: &Value) -> Value {
    match (kind, value) {
        (ParamType::Boolean, Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" | "" => Value::Bool(false),
            _ => value.clone(),
        },
        (ParamType::Credentials, Value::Object(given)) => {
            let mut credentials = given.clone();
            for key in ["identifier", "password"] {
                credentials
                    .entry(key)
                    .or_insert_with(|| Value::String(String::new()));
            }
            Value::Object(credentials)
        }
        (ParamType::MultiSelect, Value::String(s)) => Value::Array(
            s.split(',')
                .map(|part| Value::String(part.trim().to_owned()))
                .filter(|part| part.as_str() != Some(""))
                .collect(),
        ),
        (ParamType::Boolean | ParamType::MultiSelect, _) => value.clone(),
        (_, Value::Number(n)) => Value::String(n.to_string()),
        (_, Value::Bool(b)) => Value::String(b.to_string()),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_arrive_typed_as_the_server_sends_them() {
        assert_eq!(as_sent(ParamType::Boolean, &json!("true")), json!(true));
        assert_eq!(as_sent(ParamType::Boolean, &json!(false)), json!(false));
        assert_eq!(as_sent(ParamType::ShortText, &json!(30)), json!("30"));
        assert_eq!(
            as_sent(ParamType::MultiSelect, &json!("a, b")),
            json!(["a", "b"])
        );
        assert_eq!(
            as_sent(ParamType::Credentials, &json!({"password": "p"})),
            json!({"identifier": "", "password": "p"})
        );
    }
}
