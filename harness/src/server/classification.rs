//! Classification and mapping on the server: which classifier and mappers the instance
//! uses, applying them (fetch, mirroring, `mapObject`), and the failures they report.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::mapping::{Classification, Definition, FieldError, Mapper};
use crate::scenario::InstanceSpec;

use super::{Refused, Server};

/// Why the instance's classifier or mappers cannot be chosen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DefinitionError {
    /// The instance names one that is not loaded.
    #[error("the instance's {kind} `{name}` is not loaded (loaded: {loaded}); give its file under integration.mappers, or put it in the pack's Classifiers/ folder or beside the integration YAML")]
    NotLoaded {
        /// `classifier`, `incoming mapper` or `outgoing mapper`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// What is loaded.
        loaded: String,
    },
    /// Several are loaded and nothing says which one the instance uses.
    #[error("{} {kind}s are loaded ({}) and nothing says which one the instance uses: name it under instance ({scenario_key}) or give the YAML `{yaml_key}`", .names.len(), .names.join(", "))]
    Ambiguous {
        /// `classifier`, `incoming mapper` or `outgoing mapper`.
        kind: &'static str,
        /// The loaded ones.
        names: Vec<String>,
        /// The scenario key that chooses one.
        scenario_key: &'static str,
        /// The YAML key that chooses one.
        yaml_key: &'static str,
    },
}

/// A field (or classification) the server could not compute: never dropped, always reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingFailure {
    /// What computed it: ``mapper `X` ``, ``classifier `Y` ``, `fetch-incidents`.
    pub source: String,
    /// The incident type it mapped for (empty when there is none).
    pub incident_type: String,
    /// The target field (none for a classifier or a mapper that cannot be used at all).
    pub field: Option<String>,
    /// What went wrong.
    pub error: FieldError,
    /// When: `fetch of incident 1`, `mapObject from iam-create-user`, ...
    pub during: String,
}

impl fmt::Display for MappingFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if !self.incident_type.is_empty() {
            write!(f, ", type `{}`", self.incident_type)?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, " ({}): {}", self.during, self.error)
    }
}

impl MappingFailure {
    /// The same failure, whenever it happens.
    fn key(&self) -> (String, String, Option<String>, FieldError) {
        (
            self.source.clone(),
            self.incident_type.clone(),
            self.field.clone(),
            self.error.clone(),
        )
    }
}

/// Who computed a value that failed.
pub(crate) fn mapper_source(name: &str) -> String {
    format!("mapper `{name}`")
}

/// Which mapper a mapping uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MapperRole {
    /// The instance's incoming mapper.
    Incoming,
    /// The instance's outgoing mapper.
    Outgoing,
}

impl Server {
    /// Picks the instance's classifier and mappers: the scenario's choice, else the instance
    /// params (`mapper-in` / `mapper-out`, as IAM instances name theirs), else the YAML's
    /// defaults (`defaultclassifier`, `defaultmapperin`, `defaultmapperout`), else the only
    /// loaded one of each kind. A name that is not loaded is an error.
    pub(crate) fn resolve_definitions(
        &mut self,
        spec: &InstanceSpec,
        manifest: &crate::integration::Manifest,
    ) -> Result<(), DefinitionError> {
        let loaded = || {
            let names: Vec<&str> = self.definitions.iter().map(Definition::name).collect();
            let mut text = if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            };
            if !self.other_versions.is_empty() {
                text.push_str(&format!(
                    "; left out as they are for other server versions than {}: {}",
                    self.version,
                    self.other_versions.join(", ")
                ));
            }
            text
        };
        let script = &manifest.script;
        // Which instance settings the integration's commands make the server use.
        let used = |kind: &str| match kind {
            "outgoing mapper" => script.isremotesyncout,
            _ => script.isfetch || script.isremotesyncin,
        };
        let pick = |chosen: Option<&String>,
                    param: Option<&str>,
                    default: Option<&String>,
                    kind: &'static str|
         -> Result<Option<String>, DefinitionError> {
            let from_param = param
                .and_then(|p| self.instance.params.get(p))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let explicit = chosen.cloned().or(from_param).filter(|n| !n.is_empty());
            // The YAML's default only matters for what the integration's commands use.
            let named =
                explicit.or_else(|| default.cloned().filter(|n| !n.is_empty() && used(kind)));
            let of_kind = |d: &&Definition| kind_of(d) == kind;
            match named {
                Some(name) => match self
                    .definitions
                    .iter()
                    .filter(of_kind)
                    .find(|d| d.is_called(&name))
                {
                    Some(found) => Ok(Some(found.name().to_owned())),
                    None => Err(DefinitionError::NotLoaded {
                        kind,
                        name,
                        loaded: loaded(),
                    }),
                },
                None => {
                    let found: Vec<&str> = self
                        .definitions
                        .iter()
                        .filter(of_kind)
                        .map(Definition::name)
                        .collect();
                    match found.as_slice() {
                        [] => Ok(None),
                        [only] => Ok(Some((*only).to_owned())),
                        several if used(kind) => Err(DefinitionError::Ambiguous {
                            kind,
                            names: several.iter().map(|n| (*n).to_owned()).collect(),
                            scenario_key: match kind {
                                "classifier" => "classifier",
                                "incoming mapper" => "incoming_mapper",
                                _ => "outgoing_mapper",
                            },
                            yaml_key: match kind {
                                "classifier" => "defaultclassifier",
                                "incoming mapper" => "defaultmapperin",
                                _ => "defaultmapperout",
                            },
                        }),
                        _ => Ok(None),
                    }
                }
            }
        };
        let classifier = pick(
            spec.classifier.as_ref(),
            None,
            manifest.defaultclassifier.as_ref(),
            "classifier",
        )?;
        let incoming = pick(
            spec.incoming_mapper.as_ref(),
            Some("mapper-in"),
            manifest.defaultmapperin.as_ref(),
            "incoming mapper",
        )?;
        let outgoing = pick(
            spec.outgoing_mapper.as_ref(),
            Some("mapper-out"),
            manifest.defaultmapperout.as_ref(),
            "outgoing mapper",
        )?;
        self.classifier = classifier;
        self.incoming_mapper = incoming;
        self.outgoing_mapper = outgoing;
        Ok(())
    }

    /// The loaded mapper with this name or id.
    pub(crate) fn mapper(&self, name: &str) -> Option<&Mapper> {
        find_mapper(&self.definitions, name)
    }

    /// The instance's mapper of a role.
    pub(crate) fn instance_mapper(&self, role: MapperRole) -> Option<&Mapper> {
        self.mapper(self.mapper_name(role)?)
    }

    fn mapper_name(&self, role: MapperRole) -> Option<&str> {
        match role {
            MapperRole::Incoming => self.incoming_mapper.as_deref(),
            MapperRole::Outgoing => self.outgoing_mapper.as_deref(),
        }
    }

    /// Classifies a fetched event with the instance's classifier: the type and how it was
    /// chosen; `None` without a classifier. A classifier that fails is reported.
    pub(crate) async fn classify(
        &mut self,
        source: &Value,
        during: &str,
    ) -> Option<(String, Classification)> {
        let name = self.classifier.clone()?;
        let definitions = Arc::clone(&self.definitions);
        let classifier = definitions.iter().find_map(|d| match d {
            Definition::Classifier(c) if d.is_called(&name) => Some(c),
            _ => None,
        })?;
        match classifier.classify(source, &mut self.operators).await {
            Ok(classification) => Some((name, classification)),
            Err(error) => {
                self.report(MappingFailure {
                    source: format!("classifier `{name}`"),
                    incident_type: String::new(),
                    field: None,
                    error,
                    during: during.to_owned(),
                });
                Some((
                    name,
                    Classification {
                        key: None,
                        matched: false,
                        incident_type: classifier.default_incident_type.clone(),
                    },
                ))
            }
        }
    }

    /// Maps `source` with the instance's mapper of `role` for `incident_type`: the
    /// fields it computed. Every field that fails, and a mapper without a mapping for the
    /// type, is recorded for the report; `None` when nothing was mapped (no such mapper, or
    /// no mapping for the type).
    pub(crate) async fn map_with(
        &mut self,
        role: MapperRole,
        source: &Value,
        incident_type: &str,
        during: &str,
    ) -> Option<Map<String, Value>> {
        let definitions = Arc::clone(&self.definitions);
        let mapper = find_mapper(&definitions, self.mapper_name(role)?)?;
        match self.map_fields(mapper, source, incident_type, during).await {
            Ok(fields) => Some(fields),
            Err(no_mapping) => {
                let consequence = match role {
                    MapperRole::Incoming => "the server maps no field",
                    MapperRole::Outgoing => "update-remote-system gets the incident unmapped",
                };
                let message = format!("{no_mapping}; {consequence}");
                self.record_failure(
                    mapper_source(&mapper.name),
                    incident_type,
                    None,
                    message,
                    during,
                );
                None
            }
        }
    }

    /// Maps with `mapper`, recording every failed field; `Err` when the mapper has no mapping
    /// for the type.
    async fn map_fields(
        &mut self,
        mapper: &Mapper,
        source: &Value,
        incident_type: &str,
        during: &str,
    ) -> Result<Map<String, Value>, crate::mapping::NoMapping> {
        let mapped = mapper
            .map(source, incident_type, &mut self.operators)
            .await?;
        for (field, error) in mapped.failures {
            self.report(MappingFailure {
                source: mapper_source(&mapper.name),
                incident_type: incident_type.to_owned(),
                field: Some(field),
                error,
                during: during.to_owned(),
            });
        }
        Ok(mapped.fields)
    }

    /// `mapObject`: applies a mapper by name or id. Without a mapper name the object passes
    /// through unchanged, as on an instance with no mapper selected.
    pub(super) async fn map_object(
        &mut self,
        source: &Value,
        mapper: &str,
        kind: &str,
    ) -> Result<Value, Refused> {
        if mapper.trim().is_empty() {
            return Ok(source.clone());
        }
        let during = format!(
            "mapObject from {}",
            self.running.as_deref().unwrap_or("the integration")
        );
        let definitions = Arc::clone(&self.definitions);
        let Some(found) = find_mapper(&definitions, mapper) else {
            let loaded: Vec<&str> = self.definitions.iter().map(Definition::name).collect();
            let refused = Refused::NoMapper {
                mapper: mapper.to_owned(),
                loaded: if loaded.is_empty() {
                    "none".to_owned()
                } else {
                    loaded.join(", ")
                },
            };
            self.record_failure(
                mapper_source(mapper),
                kind,
                None,
                refused.to_string(),
                &during,
            );
            return Err(refused);
        };
        match self.map_fields(found, source, kind, &during).await {
            Ok(fields) => Ok(Value::Object(fields)),
            Err(no_mapping) => {
                self.record_failure(
                    mapper_source(mapper),
                    kind,
                    None,
                    no_mapping.to_string(),
                    &during,
                );
                Err(no_mapping.into())
            }
        }
    }

    /// Records a failure that is not an operator's (a missing mapper, a wrong value).
    pub(crate) fn record_failure(
        &mut self,
        source: String,
        incident_type: &str,
        field: Option<String>,
        message: String,
        during: &str,
    ) {
        self.report(MappingFailure {
            source,
            incident_type: incident_type.to_owned(),
            field,
            error: FieldError::expression(message),
            during: during.to_owned(),
        });
    }

    /// Keeps a failure for the report, unless the same one was reported before.
    fn report(&mut self, failure: MappingFailure) {
        if self.reported.insert(failure.key()) {
            self.mapping_failures.push(failure);
        }
    }

    /// The mapping failures since the last call.
    pub(crate) fn take_mapping_failures(&mut self) -> Vec<MappingFailure> {
        std::mem::take(&mut self.mapping_failures)
    }
}

/// Whether a definition is a classifier, an incoming or an outgoing mapper.
fn kind_of(definition: &Definition) -> &'static str {
    match definition {
        Definition::Classifier(_) => "classifier",
        Definition::Mapper(m) if m.kind.as_deref() == Some("mapping-outgoing") => "outgoing mapper",
        Definition::Mapper(_) => "incoming mapper",
    }
}
/// The mapper named (or with the id) `name` among `definitions`.
fn find_mapper<'d>(definitions: &'d [Definition], name: &str) -> Option<&'d Mapper> {
    definitions.iter().find_map(|d| match d {
        Definition::Mapper(m) if d.is_called(name) => Some(m),
        _ => None,
    })
}
