//! Classification and mapping as the server does them: classifier JSON picks an incident type,
//! mapper JSON (`mapObject`) computes fields from an object.
//!
//! A mapper holds, per incident type, an `internalMapping` from target fields to either a
//! `simple` DT expression (`path`) or a `complex` rule: a `root`, `filters` that keep the
//! root's matching items, an `accessor` below them, and `transformers` applied in order. The
//! section `dbot_classification_incident_type_all` applies to every type; a type's own
//! section wins for the fields both define. Built-in operators are in `transformers` and
//! `filters`; any other operator is an automation script (tagged `transformer` or `filter`),
//! which the caller's `Operators` runs or has a native equivalent for (`scripts`).
//!
//! A complex rule whose value is empty (missing, `""`, `[]` or `{}`) maps nothing: its
//! transformers do not run on nothing. A field that cannot be computed does not stop the
//! others: it is reported with the reason ([`FieldError`]), never dropped silently.
//!
//! Public here is what the server emulation hands out: the [`Definition`]s an integration
//! loads, the [`Classification`] of a fetched event, the [`FieldError`] of a field that
//! failed, the [`NoMapping`] of a mapper without rules for a type, and the
//! [`DefinitionParseError`] of a file that is no classifier or mapper.

mod dates;
mod error;
mod filters;
pub(crate) mod path;
pub(crate) mod scripts;
pub(crate) mod transformers;
pub(crate) mod value;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::version::Version;
pub(crate) use crate::BoxFuture;
use error::BuiltinError;
use path::PathError;

/// The section every type falls back to.
const ALL_TYPES: &str = "dbot_classification_incident_type_all";

/// Why a file is not a classifier or mapper.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DefinitionParseError {
    /// Not JSON, or its `type` or `mapping` are not a text and a value.
    #[error("{source}")]
    Unreadable {
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A classifier or mapper whose fields are not what its kind has.
    #[error("{source}")]
    Invalid {
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A `type` that is neither a classifier's nor a mapper's.
    #[error(
        "its type `{kind}` is neither `classification`, `mapping-incoming` nor `mapping-outgoing`"
    )]
    UnknownType {
        /// The `type`.
        kind: String,
    },
    /// Neither a `type` nor a `mapping` that would make it a mapper.
    #[error("it has neither a `type` nor a `mapping`")]
    Untyped,
}

/// A classification or mapping file.
#[derive(Debug, Clone)]
pub enum Definition {
    /// `type: classification`.
    Classifier(Classifier),
    /// `type: mapping-incoming` or `mapping-outgoing`.
    Mapper(Mapper),
}

impl Definition {
    /// Parses classifier or mapper JSON, by its `type`.
    pub(crate) fn from_json(text: &str) -> Result<Self, DefinitionParseError> {
        #[derive(Deserialize)]
        struct Kind {
            #[serde(rename = "type", default)]
            kind: Option<String>,
            #[serde(default)]
            mapping: Option<Value>,
        }
        let kind: Kind = serde_json::from_str(text)
            .map_err(|source| DefinitionParseError::Unreadable { source })?;
        let invalid = |source| DefinitionParseError::Invalid { source };
        match (kind.kind.as_deref(), kind.mapping.is_some()) {
            (Some("classification"), _) => serde_json::from_str(text)
                .map(Definition::Classifier)
                .map_err(invalid),
            (Some("mapping-incoming" | "mapping-outgoing"), _) | (None, true) => {
                serde_json::from_str(text)
                    .map(Definition::Mapper)
                    .map_err(invalid)
            }
            (Some(other), _) => Err(DefinitionParseError::UnknownType {
                kind: other.to_owned(),
            }),
            (None, false) => Err(DefinitionParseError::Untyped),
        }
    }

    /// What every content item has, whichever kind it is.
    fn header(&self) -> Header<'_> {
        let (id, name, from, to) = match self {
            Definition::Classifier(c) => (&c.id, &c.name, &c.from_version, &c.to_version),
            Definition::Mapper(m) => (&m.id, &m.name, &m.from_version, &m.to_version),
        };
        Header {
            id: id.as_deref(),
            name,
            from_version: from.as_deref(),
            to_version: to.as_deref(),
        }
    }

    /// The name instances and YAMLs refer to it by.
    pub(crate) fn name(&self) -> &str {
        self.header().name
    }

    /// Whether a server of `version` uses it: content items name the versions they are for
    /// (`fromVersion`, `toVersion`; a pack keeps the 5.x classifier beside the 6.x one).
    pub(crate) fn serves(&self, version: Version) -> bool {
        let header = self.header();
        let bound = |v: Option<&str>| v.and_then(Version::parse);
        bound(header.from_version).is_none_or(|from| from <= version)
            && bound(header.to_version).is_none_or(|to| version <= to)
    }

    /// Whether it is called `name` (its name or its id).
    pub(crate) fn is_called(&self, name: &str) -> bool {
        let header = self.header();
        header.name == name || header.id == Some(name)
    }
}

/// The id, name and server versions of a classifier or mapper.
struct Header<'a> {
    id: Option<&'a str>,
    name: &'a str,
    from_version: Option<&'a str>,
    to_version: Option<&'a str>,
}

/// A classifier: picks the incident type of a fetched event.
#[derive(Debug, Clone, Deserialize)]
pub struct Classifier {
    /// The id.
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// The name.
    #[serde(default)]
    pub(crate) name: String,
    /// The value to look up in `keyTypeMap`.
    #[serde(default)]
    pub(crate) transformer: Option<FieldRule>,
    /// Value -> incident type.
    #[serde(rename = "keyTypeMap", default)]
    pub(crate) key_type_map: BTreeMap<String, String>,
    /// The type when no key matches.
    #[serde(rename = "defaultIncidentType", default)]
    pub(crate) default_incident_type: Option<String>,
    /// The first server version it is for.
    #[serde(rename = "fromVersion", default)]
    pub(crate) from_version: Option<String>,
    /// The last server version it is for.
    #[serde(rename = "toVersion", default)]
    pub(crate) to_version: Option<String>,
}

/// A parsed XSOAR mapper.
#[derive(Debug, Clone, Deserialize)]
pub struct Mapper {
    /// The id.
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// The name instances refer to it by.
    pub(crate) name: String,
    /// `mapping-incoming` or `mapping-outgoing`.
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    /// Per incident type, the field rules.
    #[serde(default)]
    pub(crate) mapping: BTreeMap<String, TypeMapping>,
    /// The first server version it is for.
    #[serde(rename = "fromVersion", default)]
    pub(crate) from_version: Option<String>,
    /// The last server version it is for.
    #[serde(rename = "toVersion", default)]
    pub(crate) to_version: Option<String>,
}

/// The rules of one incident type.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TypeMapping {
    /// Target field -> rule.
    #[serde(rename = "internalMapping", default)]
    pub(crate) internal_mapping: BTreeMap<String, FieldRule>,
}

/// How one value is computed: a DT expression or a complex rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct FieldRule {
    /// A DT expression (a path, a `.=` constant, ...).
    #[serde(default)]
    pub(crate) simple: Option<String>,
    /// A root with filters, accessor and transformers.
    #[serde(default)]
    pub(crate) complex: Option<Complex>,
}

/// A complex rule.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Complex {
    /// The path into the source.
    #[serde(default)]
    pub(crate) root: String,
    /// A path below the root, applied after the filters.
    #[serde(default)]
    pub(crate) accessor: Option<String>,
    /// Outer list: all must hold; inner list: any may hold.
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) filters: Vec<Vec<Condition>>,
    /// Applied in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) transformers: Vec<Transformer>,
}

/// One filter condition.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Condition {
    /// A built-in filter id or a filter script's name.
    pub(crate) operator: String,
    /// The left side, usually a path into the item.
    #[serde(default)]
    pub(crate) left: Option<Operand>,
    /// The right side, usually a literal.
    #[serde(default)]
    pub(crate) right: Option<Operand>,
    /// Compare text ignoring case (`ignoreCase`, or `ignorecase` as playbooks write it).
    #[serde(rename = "ignoreCase", alias = "ignorecase", default)]
    pub(crate) ignore_case: bool,
}

/// An operand or transformer argument: a literal or a path (`isContext`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Operand {
    /// `{"simple": "..."}` or `{"complex": {...}}`; null or absent means not given.
    #[serde(default)]
    pub(crate) value: Option<FieldRule>,
    /// Whether `value.simple` is a path rather than a literal.
    #[serde(rename = "isContext", alias = "iscontext", default)]
    pub(crate) is_context: bool,
}

/// One transformer.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Transformer {
    /// A built-in transformer id or a transformer script's name.
    pub(crate) operator: String,
    /// Named arguments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) args: BTreeMap<String, Operand>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Runs the operators that are not built in: transformer and filter scripts.
pub(crate) trait Operators: Send {
    /// Runs transformer `name` on `value` with `args` (all resolved).
    fn transformer<'a>(
        &'a mut self,
        name: &'a str,
        value: Value,
        args: transformers::Args,
    ) -> BoxFuture<'a, Result<Value, OperatorError>>;

    /// Runs filter `name` on the resolved sides.
    fn filter<'a>(
        &'a mut self,
        name: &'a str,
        left: Value,
        right: Value,
    ) -> BoxFuture<'a, Result<bool, OperatorError>>;
}

/// Why an operator produced no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum OperatorError {
    /// Neither built in nor a script that can run here: what was looked for.
    #[error("{0}")]
    Unsupported(String),
    /// A script ran and failed: why.
    #[error("{0}")]
    Failed(String),
    /// A built-in operator or a native equivalent failed.
    #[error(transparent)]
    Builtin(#[from] BuiltinError),
}

/// Why one field (or a classifier's key) could not be computed.
///
/// It keeps the operator's reason as text: the server emulation reports a failure once, by
/// its source, field and this value, however often a sync repeats it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    /// The operator that failed, if one did.
    pub(crate) operator: Option<String>,
    /// The operator is neither built in nor a script the harness can run.
    pub(crate) unsupported: bool,
    /// What happened.
    pub(crate) message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operator {
            Some(operator) => write!(f, "operator `{operator}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FieldError {}

impl From<PathError> for FieldError {
    fn from(error: PathError) -> Self {
        Self::expression(error.to_string())
    }
}

impl FieldError {
    /// A failure no operator caused: a DT expression, a missing mapper, a wrong value.
    pub(crate) fn expression(message: String) -> Self {
        Self {
            operator: None,
            unsupported: false,
            message,
        }
    }

    fn of(operator: &str, error: OperatorError) -> Self {
        let unsupported = matches!(error, OperatorError::Unsupported(_));
        let message = error.to_string();
        Self {
            operator: Some(operator.to_owned()),
            unsupported,
            message,
        }
    }
}

/// What mapping an object produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Mapped {
    /// The fields that were computed (a field whose value is empty is left out).
    pub(crate) fields: Map<String, Value>,
    /// The fields that could not be computed, with why.
    pub(crate) failures: Vec<(String, FieldError)>,
}

/// The mapper has no rules for a type (and no `dbot_classification_incident_type_all`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mapper `{mapper}` has no mapping for incident type `{incident_type}` (it maps: {known})")]
pub(crate) struct NoMapping {
    /// The mapper.
    pub(crate) mapper: String,
    /// The type asked for.
    pub(crate) incident_type: String,
    /// The types it maps.
    pub(crate) known: String,
}

impl Mapper {
    /// Maps `source` with the rules for `incident_type`.
    pub(crate) async fn map(
        &self,
        source: &Value,
        incident_type: &str,
        operators: &mut dyn Operators,
    ) -> Result<Mapped, NoMapping> {
        let rules = self.rules_for(incident_type).ok_or_else(|| NoMapping {
            mapper: self.name.clone(),
            incident_type: incident_type.to_owned(),
            known: self.mapping.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        let mut mapped = Mapped::default();
        for (field, rule) in rules {
            match rule.evaluate(source, operators).await {
                Ok(Value::Null) => {}
                Ok(value) => {
                    mapped.fields.insert(field.clone(), value);
                }
                Err(error) => mapped.failures.push((field.clone(), error)),
            }
        }
        Ok(mapped)
    }

    /// The rules for `incident_type`: the all-types section with the type's own section over
    /// it. A type `X - Y` without a section of its own takes `X`'s (IAM mappers hold only
    /// `User Profile` for `User Profile - Create` and the others).
    pub(crate) fn rules_for(&self, incident_type: &str) -> Option<BTreeMap<&String, &FieldRule>> {
        let base = incident_type.split(" - ").next().unwrap_or(incident_type);
        let own = [incident_type, base]
            .iter()
            .find_map(|t| self.mapping.get(*t));
        let all = self.mapping.get(ALL_TYPES);
        if own.is_none() && all.is_none() {
            return None;
        }
        let mut rules = BTreeMap::new();
        for section in [all, own].into_iter().flatten() {
            rules.extend(section.internal_mapping.iter());
        }
        Some(rules)
    }
}

/// How a classifier classified an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classification {
    /// The value looked up in `keyTypeMap` (`None` when the transformer gave nothing).
    pub(crate) key: Option<String>,
    /// Whether `keyTypeMap` has the key (else the type is the default).
    pub(crate) matched: bool,
    /// The incident type: the key's, else the classifier's default.
    pub(crate) incident_type: Option<String>,
}

impl Classifier {
    /// Classifies `source`.
    pub(crate) async fn classify(
        &self,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Classification, FieldError> {
        let value = match &self.transformer {
            Some(rule) => rule.evaluate(source, operators).await?,
            None => Value::Null,
        };
        let keys: Vec<String> = value::items(&value).iter().map(crate::text::text).collect();
        let matched = keys
            .iter()
            .find_map(|k| self.key_type_map.get(k).map(|t| (k.clone(), t.clone())));
        Ok(match matched {
            Some((key, incident_type)) => Classification {
                key: Some(key),
                matched: true,
                incident_type: Some(incident_type),
            },
            None => Classification {
                key: keys.into_iter().next(),
                matched: false,
                incident_type: self.default_incident_type.clone().filter(|t| !t.is_empty()),
            },
        })
    }
}

impl FieldRule {
    /// The paths into the source the rule reads: its DT path or root, and the context paths of
    /// its arguments and filters. A constant reads none.
    pub(crate) fn reads(&self) -> Vec<String> {
        let mut paths = Vec::new();
        if let Some(simple) = self.simple.as_deref().map(str::trim) {
            if !simple.is_empty() && !simple.starts_with(".=") {
                paths.push(simple.to_owned());
            }
        }
        if let Some(complex) = &self.complex {
            if !complex.root.trim().is_empty() {
                paths.push(complex.root.trim().to_owned());
            }
            let operands = complex
                .filters
                .iter()
                .flatten()
                .flat_map(|c| c.left.iter().chain(&c.right))
                .chain(complex.transformers.iter().flat_map(|t| t.args.values()));
            for operand in operands.filter(|o| o.is_context) {
                paths.extend(operand.value.iter().flat_map(FieldRule::reads));
            }
        }
        paths
    }

    /// The value of the rule for `source`.
    pub(crate) fn evaluate<'a>(
        &'a self,
        source: &'a Value,
        operators: &'a mut dyn Operators,
    ) -> BoxFuture<'a, Result<Value, FieldError>> {
        Box::pin(async move {
            match (&self.complex, self.simple.as_deref().map(str::trim)) {
                (Some(complex), _) => complex.evaluate(source, operators).await,
                (None, Some(simple)) if !simple.is_empty() => {
                    path::evaluate(source, simple).map_err(FieldError::from)
                }
                _ => Ok(Value::Null),
            }
        })
    }
}

impl Complex {
    async fn evaluate(
        &self,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Value, FieldError> {
        let root = path::evaluate(source, &self.root).map_err(FieldError::from)?;
        let filtered = if self.filters.is_empty() {
            root
        } else {
            match root {
                Value::Null => Value::Null,
                Value::Array(items) => {
                    let mut kept = Vec::new();
                    for item in items {
                        if self.keeps(&item, source, operators).await? {
                            kept.push(item);
                        }
                    }
                    if kept.is_empty() {
                        Value::Null
                    } else {
                        Value::Array(kept)
                    }
                }
                item => {
                    if self.keeps(&item, source, operators).await? {
                        item
                    } else {
                        Value::Null
                    }
                }
            }
        };
        let mut value = match self.accessor.as_deref().map(str::trim) {
            Some(accessor) if !accessor.is_empty() => {
                path::evaluate(&filtered, accessor).map_err(FieldError::from)?
            }
            _ => filtered,
        };
        // An empty value (a ServiceNow `closed_at: ""` of an open ticket) is no value: there
        // is nothing to transform, and the field stays unset.
        if value::is_empty(&value) {
            return Ok(Value::Null);
        }
        for transformer in &self.transformers {
            value = transformer.apply(value, source, operators).await?;
        }
        Ok(value)
    }

    /// Whether an item of the root passes the filters: every group has a condition that holds.
    async fn keeps(
        &self,
        item: &Value,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<bool, FieldError> {
        for group in &self.filters {
            let mut holds = false;
            for condition in group {
                if condition.holds(item, &self.root, source, operators).await? {
                    holds = true;
                    break;
                }
            }
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Condition {
    async fn holds(
        &self,
        item: &Value,
        root: &str,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<bool, FieldError> {
        let left = Self::side(self.left.as_ref(), item, root, source, operators).await?;
        let right = Self::side(self.right.as_ref(), item, root, source, operators).await?;
        let held = match filters::holds(&self.operator, &left, &right, self.ignore_case) {
            Some(result) => result.map_err(OperatorError::Builtin),
            None => operators.filter(&self.operator, left, right).await,
        };
        held.map_err(|e| FieldError::of(&self.operator, e))
    }
}

impl Condition {
    /// The value of a side; `null` when the condition has none.
    async fn side(
        operand: Option<&Operand>,
        item: &Value,
        root: &str,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Value, FieldError> {
        match operand {
            Some(operand) => operand.resolve_on_item(item, root, source, operators).await,
            None => Ok(Value::Null),
        }
    }
}

impl Operand {
    /// The operand's value: a path read from `source`, or a literal with `${...}` filled in.
    async fn resolve(
        &self,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Value, FieldError> {
        let Some(value) = &self.value else {
            return Ok(Value::Null);
        };
        if value.complex.is_some() || self.is_context {
            return value.evaluate(source, operators).await;
        }
        match value.simple.as_deref() {
            Some(literal) => path::interpolate(source, literal)
                .map(Value::String)
                .map_err(FieldError::from),
            None => Ok(Value::Null),
        }
    }

    /// A filter side: a context path written from the root (`root.field`, or the root itself)
    /// reads the current item, as the UI writes it; a path the item has reads the item; any
    /// other path reads the whole source.
    async fn resolve_on_item(
        &self,
        item: &Value,
        root: &str,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Value, FieldError> {
        let path = self
            .value
            .as_ref()
            .and_then(|v| v.simple.as_deref())
            .map(str::trim)
            .filter(|_| self.is_context);
        let Some(path) = path else {
            return self.resolve(source, operators).await;
        };
        let root = root.trim();
        if path == root {
            return Ok(item.clone());
        }
        if let Some(below) = path.strip_prefix(root).and_then(|p| p.strip_prefix('.')) {
            if !root.is_empty() {
                return path::evaluate(item, below).map_err(FieldError::from);
            }
        }
        let on_item = path::evaluate(item, path).map_err(FieldError::from)?;
        if !on_item.is_null() {
            return Ok(on_item);
        }
        path::evaluate(source, path).map_err(FieldError::from)
    }
}

impl Transformer {
    async fn apply(
        &self,
        value: Value,
        source: &Value,
        operators: &mut dyn Operators,
    ) -> Result<Value, FieldError> {
        let mut args = transformers::Args::new();
        for (name, operand) in &self.args {
            args.insert(name.clone(), operand.resolve(source, operators).await?);
        }
        let applied = match transformers::apply(&self.operator, value.clone(), &args) {
            Some(result) => result.map_err(OperatorError::Builtin),
            None => operators.transformer(&self.operator, value, args).await,
        };
        applied.map_err(|e| FieldError::of(&self.operator, e))
    }
}

#[cfg(test)]
mod tests {
    use super::scripts::NativeOperators;
    use super::*;
    use serde_json::json;

    fn mapper(sections: Value) -> Mapper {
        serde_json::from_value(json!({"name": "m", "mapping": sections})).expect("valid mapper")
    }

    fn block<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    fn map(m: &Mapper, source: Value, kind: &str) -> Mapped {
        block(m.map(&source, kind, &mut NativeOperators)).expect("a mapping")
    }

    #[test]
    fn the_all_types_section_applies_under_the_types_own() {
        let m = mapper(json!({
            "dbot_classification_incident_type_all": {"internalMapping": {
                "a": {"simple": "x"}, "b": {"simple": "x"}}},
            "Phishing": {"internalMapping": {"b": {"simple": "y"}}}
        }));
        let source = json!({"x": 1, "y": 2});
        assert_eq!(
            map(&m, source.clone(), "Phishing").fields,
            json!({"a": 1, "b": 2}).as_object().unwrap().clone()
        );
        assert_eq!(
            map(&m, source, "Malware").fields,
            json!({"a": 1, "b": 1}).as_object().unwrap().clone()
        );
    }

    #[test]
    fn subtypes_fall_back_to_the_base_type_and_unknown_types_are_errors() {
        let m = mapper(json!({"User Profile": {"internalMapping": {"x": {"simple": "a"}}}}));
        assert_eq!(
            map(&m, json!({"a": 1}), "User Profile - Update").fields["x"],
            json!(1)
        );
        let err = block(m.map(&json!({}), "Phishing", &mut NativeOperators)).unwrap_err();
        assert!(
            err.to_string()
                .contains("no mapping for incident type `Phishing`"),
            "{err}"
        );
    }

    #[test]
    fn filters_read_items_by_root_relative_paths() {
        let m = mapper(json!({"T": {"internalMapping": {
            "hosts": {"complex": {
                "root": "impact.entities",
                "filters": [[{"operator": "isEqualString",
                              "left": {"value": {"simple": "impact.entities.type"}, "isContext": true},
                              "right": {"value": {"simple": "HOST"}}, "ignoreCase": true}]],
                "accessor": "name",
                "transformers": [{"operator": "join", "args": {"separator": {"value": {"simple": ";"}}}}]}},
            "work": {"complex": {
                "root": "emails",
                "filters": [[{"operator": "isEqualString", "left": {"value": {"simple": "type"}, "isContext": true},
                              "right": {"value": {"simple": "work"}}}]],
                "accessor": "value"}}
        }}}));
        let source = json!({
            "impact": {"entities": [{"type": "host", "name": "a"}, {"type": "user", "name": "u"}, {"type": "HOST", "name": "b"}]},
            "emails": [{"type": "home", "value": "h@x"}, {"type": "work", "value": "w@x"}]
        });
        let mapped = map(&m, source, "T");
        assert_eq!(mapped.fields["hosts"], json!("a;b"));
        assert_eq!(mapped.fields["work"], json!(["w@x"]));
    }

    #[test]
    fn a_failing_field_is_reported_and_the_others_still_map() {
        let m = mapper(json!({"T": {"internalMapping": {
            "ok": {"simple": "a"},
            "bad": {"complex": {"root": "a", "transformers": [{"operator": "toMagic"}]}},
            "cast": {"complex": {"root": "obj", "transformers": [{"operator": "toUpperCase"}]}}
        }}}));
        let mapped = map(&m, json!({"a": "v", "obj": {"k": 1}}), "T");
        assert_eq!(
            mapped.fields,
            json!({"ok": "v"}).as_object().unwrap().clone()
        );
        let failures: Vec<(&str, bool)> = mapped
            .failures
            .iter()
            .map(|(f, e)| (f.as_str(), e.unsupported))
            .collect();
        assert_eq!(failures, [("bad", true), ("cast", false)]);
        assert!(mapped.failures[0].1.to_string().contains("toMagic"));
    }

    #[test]
    fn classifiers_look_the_key_up_and_fall_back_to_the_default() {
        let Definition::Classifier(c) = Definition::from_json(
            r#"{"id": "c", "name": "C", "type": "classification",
            "transformer": {"simple": "sys_class_name"}, "keyTypeMap": {"incident": "Ticket"},
            "defaultIncidentType": "Other"}"#,
        )
        .unwrap() else {
            panic!("a classifier")
        };
        let classify = |v: Value| block(c.classify(&v, &mut NativeOperators)).unwrap();
        assert_eq!(
            classify(json!({"sys_class_name": "incident"}))
                .incident_type
                .as_deref(),
            Some("Ticket")
        );
        let other = classify(json!({"sys_class_name": "problem"}));
        assert_eq!(
            (other.key.as_deref(), other.incident_type.as_deref()),
            (Some("problem"), Some("Other"))
        );
    }

    #[test]
    fn files_that_are_no_classifier_or_mapper_say_why() {
        let why = |text: &str| Definition::from_json(text).unwrap_err().to_string();
        assert_eq!(
            why(r#"{"type": "layout"}"#),
            "its type `layout` is neither `classification`, `mapping-incoming` nor `mapping-outgoing`"
        );
        assert_eq!(why("{}"), "it has neither a `type` nor a `mapping`");
        assert_eq!(why("{"), "EOF while parsing an object at line 1 column 1");
        assert_eq!(
            why(r#"{"type": "mapping-incoming"}"#),
            "missing field `name` at line 1 column 28"
        );
        let invalid = Definition::from_json(r#"{"type": "mapping-incoming"}"#).unwrap_err();
        assert!(std::error::Error::source(&invalid).is_some());
    }

    #[test]
    fn an_outgoing_mapper_maps_a_user_profile_subtype() {
        let Definition::Mapper(mapper) = Definition::from_json(
            r#"{"name": "out", "type": "mapping-outgoing", "mapping": {
            "User Profile": {"internalMapping": {
                "login": {"complex": {"root": "email", "transformers": [{"operator": "toLowerCase"}]}},
                "firstName": {"simple": "givenname"}}}}}"#,
        )
        .unwrap() else {
            panic!("a mapper")
        };
        let mapped = map(
            &mapper,
            json!({"email": "JDoe@Example.com", "givenname": "John"}),
            "User Profile - Create",
        );
        assert_eq!(
            mapped.fields,
            json!({"firstName": "John", "login": "jdoe@example.com"})
                .as_object()
                .unwrap()
                .clone()
        );
        assert!(mapped.failures.is_empty());
    }

    #[test]
    fn failures_name_the_operator_and_quote_its_reason() {
        let m = mapper(json!({"T": {"internalMapping": {
            "n": {"complex": {"root": "a", "transformers": [{"operator": "multiply", "args": {"by": {"value": {"simple": "2"}}}}]}},
            "dt": {"simple": "a + b"},
            "f": {"complex": {"root": "l", "filters": [[{"operator": "greaterThan",
                "left": {"value": {"simple": "l"}, "isContext": true}, "right": {"value": {"simple": "1"}}}]]}}
        }}}));
        let mapped = map(&m, json!({"a": "many", "l": ["x"]}), "T");
        let failures: Vec<(&str, String)> = mapped
            .failures
            .iter()
            .map(|(f, e)| (f.as_str(), e.to_string()))
            .collect();
        assert_eq!(
            failures,
            [
                ("dt", "DT expression `a + b` is beyond what the harness reads (paths, [n], (val.x == 'y') selectors, .= constants)".to_owned()),
                ("f", "operator `greaterThan`: left side: cannot cast \"x\" to a number".to_owned()),
                ("n", "operator `multiply`: cannot cast \"many\" to a number".to_owned()),
            ]
        );
    }

    #[test]
    fn literal_arguments_interpolate_and_dt_constants_map() {
        let m = mapper(json!({"T": {"internalMapping": {
            "cn": {"complex": {"root": "givenname", "transformers": [
                {"operator": "concat", "args": {"suffix": {"value": {"simple": " ${surname}"}, "isContext": false}, "prefix": {}}}]}},
            "dbotMirrorDirection": {"simple": ".='Both'"},
            "bad": {"simple": "a + b"}
        }}}));
        let mapped = map(&m, json!({"givenname": "Ann", "surname": "Lee"}), "T");
        assert_eq!(mapped.fields["cn"], json!("Ann Lee"));
        assert_eq!(mapped.fields["dbotMirrorDirection"], json!("Both"));
        assert_eq!(mapped.failures.len(), 1);
    }
}
