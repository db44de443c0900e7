//! The base of an exploration: a scenario file's integration, instance, server settings and
//! vendor seed, its steps left out, written back with generated steps as ordinary scenario
//! text.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use mock_vendors::VendorKind;
use serde_json::{Map, Value};

use super::ExploreError;
use crate::iam::IamCommand;
use crate::scenario::{yaml, IntegrationSource, ScenarioSpec};
use crate::Integration;

/// Keys of the base that the generated scenarios never take from it.
const DROPPED: [&str; 4] = [
    "steps",
    "expect_failure",
    "description",
    "manifest_findings",
];

/// A base scenario, with every path it names rewritten for the folder the generated scenarios
/// are written to.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    /// The base file.
    pub(crate) path: PathBuf,
    /// The file's keys but the dropped ones, in the file's order.
    fields: Map<String, Value>,
    /// What the scenario's server settings say, for the length of a quiet period.
    pub(crate) job_interval_secs: u64,
    /// The command timeout, which a stall fault outlasts.
    pub(crate) timeout: Duration,
    /// The mock vendor's kind, if the base has one.
    pub(crate) vendor_kind: Option<VendorKind>,
    /// Whether the integration implements the IAM commands (explored with IAM plans rather
    /// than mirroring ones).
    pub(crate) manages_identities: bool,
    /// The instance parameters the integration declares: a case sets only those.
    declared: Vec<String>,
}

impl Base {
    /// Reads the base at `path`; its paths are rewritten relative to `out` (which must exist).
    pub(crate) fn load(path: &Path, out: &Path) -> Result<Self, ExploreError> {
        let text = yaml::read(path).map_err(ExploreError::Scenario)?;
        let mut fields = match yaml::parse::<Value>(&text, path).map_err(ExploreError::Scenario)? {
            Value::Object(fields) => fields,
            _ => {
                return Err(ExploreError::Base {
                    path: path.to_owned(),
                    reason: "expected a scenario: a mapping with `integration`, `instance`, \
                             `vendor`, ... (its steps are ignored)"
                        .to_owned(),
                })
            }
        };
        // The base must be a scenario but for its steps: one without steps is read with a
        // step added at its end, so that whatever is wrong is told at its place in the file.
        let spec: ScenarioSpec = if fields.contains_key("steps") {
            yaml::parse(&text, path)
        } else {
            yaml::parse(&format!("{text}\nsteps: [{{fetch: {{}}}}]\n"), path)
        }
        .map_err(ExploreError::Scenario)?;
        let (manages_identities, declared) = match integration(&spec, path)? {
            Some(integration) => (
                integration
                    .manifest
                    .script
                    .commands
                    .iter()
                    .any(|command| IamCommand::from_name(&command.name).is_some()),
                integration
                    .manifest
                    .configuration
                    .iter()
                    .map(|param| param.name.clone())
                    .collect(),
            ),
            None => (false, Vec::new()),
        };
        for key in DROPPED {
            fields.shift_remove(key);
        }
        let here = path.parent().unwrap_or_else(|| Path::new("."));
        rewrite_paths(&mut fields, here, out)?;
        let job_interval_secs = spec
            .server
            .mirror_job_delay_advanced
            .unwrap_or(spec.server.mirror_job_delay.saturating_mul(60))
            .max(1);
        Ok(Self {
            path: path.to_owned(),
            fields,
            job_interval_secs,
            timeout: spec.limits().run.timeout,
            vendor_kind: spec.vendor.as_ref().map(|vendor| vendor.value.kind),
            manages_identities,
            declared,
        })
    }

    /// The base's stem, for file names.
    pub(crate) fn stem(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(|| "base".to_owned(), |s| s.to_string_lossy().into_owned())
    }

    /// The scenario text of `case`, under a header of comment lines.
    pub(crate) fn text(&self, header: &[String], description: &str, case: &Case) -> String {
        let mut fields = Map::new();
        fields.insert(
            "description".to_owned(),
            Value::String(description.to_owned()),
        );
        fields.extend(self.fields.clone());
        if !case.params.is_empty() {
            let instance = fields
                .entry("instance")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(instance) = instance {
                let params = instance
                    .entry("params")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(params) = params {
                    let declared = case
                        .params
                        .iter()
                        .filter(|(name, _)| self.declared.contains(name));
                    params.extend(declared.map(|(name, value)| (name.clone(), value.clone())));
                }
            }
        }
        fields.insert("steps".to_owned(), Value::Array(case.steps.clone()));
        let mut text: String = header.iter().map(|line| format!("# {line}\n")).collect();
        // A map of JSON values always serialises.
        text.push_str(&serde_saphyr::to_string(&Value::Object(fields)).unwrap_or_default());
        text
    }
}

/// One generated case: instance parameters that override the base's, and the steps.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Case {
    pub(crate) params: Map<String, Value>,
    pub(crate) steps: Vec<Value>,
}

impl Case {
    /// Steps on the base's instance as it is.
    pub(crate) fn steps(steps: Vec<Value>) -> Self {
        Self {
            params: Map::new(),
            steps,
        }
    }
}

/// The base's integration; `None` for one from a wheel, which is read only when it runs (it
/// is explored as a mirroring one, its instance as the base has it).
fn integration(spec: &ScenarioSpec, path: &Path) -> Result<Option<Integration>, ExploreError> {
    let IntegrationSource::Path(yaml) = &spec.integration.yaml.value else {
        return Ok(None);
    };
    let here = path.parent().unwrap_or_else(|| Path::new("."));
    let code = spec
        .integration
        .code
        .as_ref()
        .map(|code| here.join(&code.value));
    Integration::load(&here.join(yaml), code.as_deref(), Some(&[]))
        .map(Some)
        .map_err(|error| ExploreError::Base {
            path: path.to_owned(),
            reason: error.to_string(),
        })
}

/// Makes the paths a scenario names (integration YAML and code, mappers, content root)
/// relative to `out` instead of `here`.
fn rewrite_paths(
    fields: &mut Map<String, Value>,
    here: &Path,
    out: &Path,
) -> Result<(), ExploreError> {
    let moved = |value: &mut Value| -> Result<(), ExploreError> {
        let Value::String(text) = value else {
            return Ok(());
        };
        if text.starts_with(IntegrationSource::PYPI) {
            return Ok(());
        }
        *value = Value::String(relative(&absolute(&here.join(&*text))?, &absolute(out)?));
        Ok(())
    };
    if let Some(Value::Object(integration)) = fields.get_mut("integration") {
        for key in ["yaml", "code"] {
            if let Some(value) = integration.get_mut(key) {
                moved(value)?;
            }
        }
        if let Some(Value::Array(mappers)) = integration.get_mut("mappers") {
            for mapper in mappers {
                moved(mapper)?;
            }
        }
    }
    if let Some(root) = fields.get_mut("content_root") {
        moved(root)?;
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf, ExploreError> {
    std::path::absolute(path).map_err(|source| ExploreError::Io {
        what: "find the absolute path of",
        path: path.to_owned(),
        source,
    })
}

/// `target` written relative to the folder `from` (both absolute), `/` separated.
fn relative(target: &Path, from: &Path) -> String {
    fn normal(path: &Path) -> Vec<Component<'_>> {
        let mut parts = Vec::new();
        for part in path.components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts
    }
    let (target, from) = (normal(target), normal(from));
    let common = target
        .iter()
        .zip(&from)
        .take_while(|(left, right)| left == right)
        .count();
    let ups = std::iter::repeat_n("..".to_owned(), from.len() - common);
    let downs = target[common..]
        .iter()
        .map(|part| part.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rewritten_relative_to_the_output_folder() {
        assert_eq!(
            relative(
                Path::new("/w/integrations/A/A.yml"),
                Path::new("/w/scenarios/x")
            ),
            "../../integrations/A/A.yml"
        );
        assert_eq!(
            relative(
                Path::new("/w/scenarios/x/../../i/A.yml"),
                Path::new("/w/out")
            ),
            "../i/A.yml"
        );
        assert_eq!(
            relative(Path::new("/w/out/A.yml"), Path::new("/w/out")),
            "A.yml"
        );
    }
}
