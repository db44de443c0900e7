//! The catalogue of rules: every documented contract a run or a manifest can break, with the
//! id scenarios and reports use and where the rule is written down.
//!
//! Scenarios name rules (`expect_failure.rule`, `manifest_findings`) and parse them into these
//! types; the checks produce violations of them; reports print their ids and sources.

use std::fmt;

/// A documented rule a run can violate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Every IAM.Vendor record has all documented keys with the right types.
    IamVendorRecordShape,
    /// A failure (success false) carries errorCode and errorMessage.
    IamFailureHasError,
    /// A skipped result carries a reason.
    IamSkipHasReason,
    /// `active` matches the vendor's state of the account.
    IamActiveMatchesVendor,
    /// Management commands never end in an uncaught exception.
    IamNoUncaughtException,
    /// A management command does what the IAMCommand semantics say for the user's state at the
    /// vendor and the instance's settings: its result and its effect on the accounts.
    IamCommandSemantics,
    /// The integration process died before completing.
    RuntimeCrash,
    /// The integration did not complete within the timeout.
    RuntimeTimeout,
    /// The integration wrote something that is not a protocol message.
    RuntimeProtocol,
    /// The integration exited without `completed` or `exception`.
    RuntimeIncomplete,
    /// The integration imports a module its Python environment does not have.
    RuntimeMissingModule,
    /// A run ended while processes it started were still running.
    RuntimeLeftoverProcess,
    /// A run reached a bound: its output, its messages or its memory.
    RuntimeLimit,
    /// Every fetched incident mirrored in some direction has a dbotMirrorId.
    MirrorIdSet,
    /// A fetch brings only new incidents: none mirrors a remote incident another incident of the
    /// instance mirrors already.
    MirrorFetchNewOnly,
    /// update-remote-system returns the remote id.
    MirrorUpdateReturnsId,
    /// Entries mirrored out do not come back in.
    MirrorNoEcho,
    /// No entry is lost or duplicated in either direction.
    MirrorEntriesExactlyOnce,
    /// Nothing is mirrored against the incident's direction.
    MirrorDirection,
    /// update-remote-system writes only what changed locally.
    MirrorDeltaOnly,
    /// The outgoing mapper writes only fields the remote schema (get-mapping-fields) has.
    MapperFieldsInSchema,
    /// A classifier or mapper uses an operator that is neither built in nor a runnable script.
    MapperUnsupportedOperator,
    /// A classifier or mapper field could not be computed.
    MapperMappingFailed,
    /// A step's `expect` did not hold.
    ScenarioExpect,
    /// A step could not be carried out on the state the earlier steps left.
    ScenarioStep,
    /// The integration YAML breaks a manifest rule (errors only; warnings do not fail).
    Manifest(ManifestRule),
}

impl Rule {
    /// Every scenario rule (the manifest rules are in [`ManifestRule::ALL`]).
    pub const ALL: &'static [Rule] = &[
        Rule::IamVendorRecordShape,
        Rule::IamFailureHasError,
        Rule::IamSkipHasReason,
        Rule::IamActiveMatchesVendor,
        Rule::IamNoUncaughtException,
        Rule::IamCommandSemantics,
        Rule::RuntimeCrash,
        Rule::RuntimeTimeout,
        Rule::RuntimeProtocol,
        Rule::RuntimeIncomplete,
        Rule::RuntimeMissingModule,
        Rule::RuntimeLeftoverProcess,
        Rule::RuntimeLimit,
        Rule::MirrorIdSet,
        Rule::MirrorFetchNewOnly,
        Rule::MirrorUpdateReturnsId,
        Rule::MirrorNoEcho,
        Rule::MirrorEntriesExactlyOnce,
        Rule::MirrorDirection,
        Rule::MirrorDeltaOnly,
        Rule::MapperFieldsInSchema,
        Rule::MapperUnsupportedOperator,
        Rule::MapperMappingFailed,
        Rule::ScenarioExpect,
        Rule::ScenarioStep,
    ];

    /// The id scenarios and reports use.
    pub fn id(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "iam.vendor-record-shape",
            Rule::IamFailureHasError => "iam.failure-has-error",
            Rule::IamSkipHasReason => "iam.skip-has-reason",
            Rule::IamActiveMatchesVendor => "iam.active-matches-vendor",
            Rule::IamNoUncaughtException => "iam.no-uncaught-exception",
            Rule::IamCommandSemantics => "iam.command-semantics",
            Rule::RuntimeCrash => "runtime.crash",
            Rule::RuntimeTimeout => "runtime.timeout",
            Rule::RuntimeProtocol => "runtime.protocol",
            Rule::RuntimeIncomplete => "runtime.incomplete",
            Rule::RuntimeMissingModule => "runtime.missing-module",
            Rule::RuntimeLeftoverProcess => "runtime.leftover-process",
            Rule::RuntimeLimit => "runtime.limit",
            Rule::MirrorIdSet => "mirror.mirror-id-set",
            Rule::MirrorFetchNewOnly => "mirror.fetch-new-only",
            Rule::MirrorUpdateReturnsId => "mirror.update-returns-id",
            Rule::MirrorNoEcho => "mirror.no-echo",
            Rule::MirrorEntriesExactlyOnce => "mirror.entries-exactly-once",
            Rule::MirrorDirection => "mirror.direction",
            Rule::MirrorDeltaOnly => "mirror.delta-only",
            Rule::MapperFieldsInSchema => "mapper.fields-in-schema",
            Rule::MapperUnsupportedOperator => "mapper.unsupported-operator",
            Rule::MapperMappingFailed => "mapper.mapping-failed",
            Rule::ScenarioExpect => "scenario.expect",
            Rule::ScenarioStep => "scenario.step",
            Rule::Manifest(rule) => rule.id(),
        }
    }

    /// Whether the rule is about the run itself (a crash, a hang, garbage, a bound): later
    /// steps of the scenario would only repeat it.
    pub fn is_runtime(self) -> bool {
        matches!(
            self,
            Rule::RuntimeCrash
                | Rule::RuntimeTimeout
                | Rule::RuntimeProtocol
                | Rule::RuntimeIncomplete
                | Rule::RuntimeMissingModule
                | Rule::RuntimeLeftoverProcess
                | Rule::RuntimeLimit
        )
    }

    /// Where the rule is documented.
    pub fn source(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "seed iam-integration.md, \"IAM Commands need to be supported\", Outputs",
            Rule::IamFailureHasError => "seed iam-integration.md, \"Additional Methods to Implement\" 2 (handle_exception); xsoar-runtime.md §3",
            Rule::IamSkipHasReason => "xsoar-runtime.md §3, IAMCommand table (skipped, reason)",
            Rule::IamActiveMatchesVendor => "seed iam-integration.md, iam-disable-user / allow-enable Outputs (active)",
            Rule::IamNoUncaughtException => "seed iam-integration.md, \"Additional Methods to Implement\" 2: management commands must not fail",
            Rule::IamCommandSemantics => "seed iam-integration.md, \"IAM Commands need to be supported\" (each command's description); xsoar-runtime.md §3, IAMCommand table",
            Rule::RuntimeCrash | Rule::RuntimeTimeout | Rule::RuntimeProtocol | Rule::RuntimeIncomplete => {
                "xsoar-runtime.md §0, the server <-> script protocol"
            }
            Rule::RuntimeLimit => "the scenario's `limits` (output, messages and memory of one command); README, Limits",
            Rule::RuntimeLeftoverProcess => "xsoar-runtime.md §0 (a run ends at `completed` or `exception`; the runner then waits for the next start message)",
            Rule::RuntimeMissingModule => "xsoar-runtime.md §8, the integration's Docker image (its packages and what the code imports)",
            Rule::MirrorIdSet => "seed mirroring-integration.md, \"Incident fields on a XSOAR incident\" (dbotMirrorId)",
            Rule::MirrorFetchNewOnly => "seed mirroring-integration.md, fetch-incidents (fetches new incidents) and get-remote-data (updates existing incidents)",
            Rule::MirrorUpdateReturnsId => "seed mirroring-integration.md, update-remote-system (returns the remote incident id)",
            Rule::MirrorNoEcho => "vendors.md A, Journal (mirroring clients skip what they wrote); seed mirroring-integration.md, get-remote-data",
            Rule::MirrorEntriesExactlyOnce => "seed mirroring-integration.md, get-remote-data (API rate limit) and update-remote-system (entries)",
            Rule::MirrorDirection => "seed mirroring-integration.md, dbotMirrorDirection; design.md, Mirroring semantics",
            Rule::MirrorDeltaOnly => "seed mirroring-integration.md, update-remote-system (delta) and the dirty-fields note",
            Rule::MapperFieldsInSchema => "seed mirroring-integration.md, get-mapping-fields (the schema users map outgoing fields to); seed iam-integration.md, get-mapping-fields",
            Rule::MapperUnsupportedOperator => "xsoar-runtime.md §4, transformers and filters (built-in operators, or automation scripts tagged transformer / filter)",
            Rule::MapperMappingFailed => "xsoar-runtime.md §4 (a mapping that cannot be computed is an error the server shows for that field); admin guide, Transformers Operators (a failed cast fails the task)",
            Rule::ScenarioExpect => "the scenario's own `expect`",
            Rule::ScenarioStep => "the scenario's own steps",
            Rule::Manifest(rule) => rule.source(),
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|rule| rule.id() == id)
            .or_else(|| ManifestRule::from_id(id).map(Rule::Manifest))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Looks like a break of the rule but is a documented pattern: said, never counted.
    Note,
    /// Works, but not the documented way.
    Warning,
    /// The server will not run the integration the way the manifest claims.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A documented rule an integration manifest can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManifestRule {
    /// A script flag is true but the code does not handle the command it turns on.
    FlagWithoutCommand,
    /// The code handles a flag-gated command but the flag is not true.
    CommandWithoutFlag,
    /// Incoming mirroring without get-modified-remote-data.
    ModifiedRemoteDataMissing,
    /// A mirroring integration without `fromversion` 6.0.0 or later.
    MirroringFromversion,
    /// An IAM integration misses a management command or get-mapping-fields.
    IamCommands,
    /// An IAM management command without a required `user-profile` argument.
    IamUserProfileRequired,
    /// iam-create-user / iam-update-user without `allow-enable` offering exactly 'true' and 'false'.
    IamAllowEnable,
    /// An IAM integration without `mapper-in` / `mapper-out` parameters with default mapper names.
    IamMappers,
    /// A `mirror_direction` parameter that is not the documented single select.
    MirrorDirectionOptions,
    /// A mirroring integration without a `mirror_direction` parameter.
    MirrorDirectionMissing,
    /// A parameter holding a secret in a clear-text type.
    SecretInClearText,
    /// A parameter type outside the documented set.
    UnknownParamType,
    /// Two parameters with the same name.
    DuplicateParam,
    /// Two commands with the same name.
    DuplicateCommand,
    /// Two arguments of one command with the same name.
    DuplicateArgument,
}

impl ManifestRule {
    /// Every rule.
    pub const ALL: &'static [ManifestRule] = &[
        ManifestRule::FlagWithoutCommand,
        ManifestRule::CommandWithoutFlag,
        ManifestRule::ModifiedRemoteDataMissing,
        ManifestRule::MirroringFromversion,
        ManifestRule::IamCommands,
        ManifestRule::IamUserProfileRequired,
        ManifestRule::IamAllowEnable,
        ManifestRule::IamMappers,
        ManifestRule::MirrorDirectionOptions,
        ManifestRule::MirrorDirectionMissing,
        ManifestRule::SecretInClearText,
        ManifestRule::UnknownParamType,
        ManifestRule::DuplicateParam,
        ManifestRule::DuplicateCommand,
        ManifestRule::DuplicateArgument,
    ];

    /// The id reports and fixtures use.
    ///
    /// ```
    /// use xsoar_harness::rules::ManifestRule;
    ///
    /// assert_eq!(ManifestRule::IamMappers.id(), "manifest.iam-mappers");
    /// assert_eq!(ManifestRule::from_id("manifest.iam-mappers"), Some(ManifestRule::IamMappers));
    /// ```
    pub fn id(self) -> &'static str {
        match self {
            ManifestRule::FlagWithoutCommand => "manifest.flag-without-command",
            ManifestRule::CommandWithoutFlag => "manifest.command-without-flag",
            ManifestRule::ModifiedRemoteDataMissing => "manifest.modified-remote-data-missing",
            ManifestRule::MirroringFromversion => "manifest.mirroring-fromversion",
            ManifestRule::IamCommands => "manifest.iam-commands",
            ManifestRule::IamUserProfileRequired => "manifest.iam-user-profile-required",
            ManifestRule::IamAllowEnable => "manifest.iam-allow-enable",
            ManifestRule::IamMappers => "manifest.iam-mappers",
            ManifestRule::MirrorDirectionOptions => "manifest.mirror-direction-options",
            ManifestRule::MirrorDirectionMissing => "manifest.mirror-direction-missing",
            ManifestRule::SecretInClearText => "manifest.secret-in-clear-text",
            ManifestRule::UnknownParamType => "manifest.unknown-param-type",
            ManifestRule::DuplicateParam => "manifest.duplicate-param",
            ManifestRule::DuplicateCommand => "manifest.duplicate-command",
            ManifestRule::DuplicateArgument => "manifest.duplicate-argument",
        }
    }

    /// Where the rule is documented.
    pub fn source(self) -> &'static str {
        match self {
            ManifestRule::FlagWithoutCommand => {
                "seed mirroring-integration.md, \"Required Parameters\" and \"Commands\"; xsoar-runtime.md §2"
            }
            ManifestRule::CommandWithoutFlag => {
                "xsoar-runtime.md §2 (server-invoked commands are gated by the YAML flags); seed mirroring-integration.md, \"Required Parameters\""
            }
            ManifestRule::ModifiedRemoteDataMissing => {
                "seed mirroring-integration.md, \"Commands\" (get-modified-remote-data)"
            }
            ManifestRule::MirroringFromversion => {
                "seed mirroring-integration.md, \"Supported Server Version\""
            }
            ManifestRule::IamCommands => "seed iam-integration.md, \"IAM Commands need to be supported\"",
            ManifestRule::IamUserProfileRequired => {
                "seed iam-integration.md, \"IAM Commands need to be supported\", Inputs (user-profile: Required)"
            }
            ManifestRule::IamAllowEnable => {
                "seed iam-integration.md, iam-create-user and iam-update-user Inputs (allow-enable); xsoar-runtime.md §6"
            }
            ManifestRule::IamMappers => "seed iam-integration.md, \"Mappers\"",
            ManifestRule::MirrorDirectionOptions | ManifestRule::MirrorDirectionMissing => {
                "seed mirroring-integration.md, \"Optional Parameters\" (mirror_direction); xsoar-runtime.md §6"
            }
            ManifestRule::SecretInClearText => {
                "xsoar-runtime.md §6 (credentials: type 9); demisto-sdk ParameterType (4 encrypted, 14 encrypted text area)"
            }
            ManifestRule::UnknownParamType => {
                "xsoar-runtime.md §6 (param types); demisto-sdk ParameterType"
            }
            ManifestRule::DuplicateParam
            | ManifestRule::DuplicateCommand
            | ManifestRule::DuplicateArgument => {
                "xsoar-runtime.md §6 (names key demisto.params(), the command and demisto.args())"
            }
        }
    }

    /// How bad breaking the rule is: an error when the server would not run the integration
    /// the way the manifest claims, a warning when it works but not the documented way.
    ///
    /// The mirroring rules follow the newest seed (mirroring-integration.md): it says mirroring
    /// works from server 6.0.0 on but no longer requires `fromversion: 6.0.0` (an integration
    /// older than mirroring keeps serving older servers with its other commands), and it calls
    /// get-modified-remote-data and `mirror_direction` optional. A command the code handles
    /// without its flag is dead code the server never runs, not a failure.
    pub fn severity(self) -> Severity {
        match self {
            ManifestRule::ModifiedRemoteDataMissing
            | ManifestRule::MirrorDirectionMissing
            | ManifestRule::MirroringFromversion
            | ManifestRule::CommandWithoutFlag => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<ManifestRule> {
        ManifestRule::ALL
            .iter()
            .copied()
            .find(|rule| rule.id() == id)
    }
}

impl fmt::Display for ManifestRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

// Reports carry the id, not the variant name.
impl serde::Serialize for ManifestRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// Parses a rule id where a scenario names a rule; anything else is an error that lists the
/// ids there are.
fn rule_from_id<'de, D, T>(
    deserializer: D,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
    known: Vec<&'static str>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let id = <String as serde::Deserialize>::deserialize(deserializer)?;
    parse(&id).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown {what} `{id}` (rules: {})",
            known.join(", ")
        ))
    })
}

impl<'de> serde::Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let known = Rule::ALL.iter().map(|r| r.id()).collect();
        rule_from_id(deserializer, "rule", Rule::from_id, known)
    }
}

impl<'de> serde::Deserialize<'de> for ManifestRule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let known = ManifestRule::ALL.iter().map(|r| r.id()).collect();
        rule_from_id(deserializer, "manifest rule", ManifestRule::from_id, known)
    }
}

/// A rule id as a scenario names it (`expect_failure.rule`): any rule of [`Rule::ALL`] or
/// [`ManifestRule::ALL`], as [`Rule::from_id`] reads them.
impl schemars::JsonSchema for Rule {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Rule".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = Rule::ALL
            .iter()
            .map(|rule| rule.id())
            .chain(ManifestRule::ALL.iter().map(|rule| rule.id()))
            .collect();
        schemars::json_schema!({
            "description": "A rule id (`iam.failure-has-error`, `manifest.iam-mappers`, ...).",
            "type": "string",
            "enum": ids,
        })
    }
}

/// A manifest rule id (`manifest_findings`), as [`ManifestRule::from_id`] reads them.
impl schemars::JsonSchema for ManifestRule {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ManifestRule".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = ManifestRule::ALL.iter().map(|rule| rule.id()).collect();
        schemars::json_schema!({
            "description": "A manifest rule id (`manifest.iam-mappers`, ...).",
            "type": "string",
            "enum": ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_rules_are_the_ones_named_runtime() {
        for rule in Rule::ALL {
            assert_eq!(
                rule.is_runtime(),
                rule.id().starts_with("runtime."),
                "{rule}"
            );
        }
    }
}
