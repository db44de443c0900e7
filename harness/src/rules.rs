//! The catalogue of rules: every documented contract a run or a manifest can break, with the
//! id scenarios and reports use and where the rule is written down.
//!
//! Scenarios name rules (`expect_failure.rule`, `manifest_findings`) and parse them into these
//! types; the checks produce violations of them; reports print their ids and sources.

use std::fmt;

/// A documented rule a run can violate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Closes mirror as close_incident / close_out say, and only then.
    MirrorCloseFollowsSettings,
    /// Once the job caught up, a field changed on one side holds the same value on the other.
    MirrorFieldsConverge,
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
        Rule::MirrorCloseFollowsSettings,
        Rule::MirrorFieldsConverge,
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
            Rule::MirrorCloseFollowsSettings => "mirror.close-follows-settings",
            Rule::MirrorFieldsConverge => "mirror.fields-converge",
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
        self.section() == Section::Runtime
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
            Rule::MirrorCloseFollowsSettings => "seed mirroring-integration.md, \"Optional Parameters\" (close_incident, close_out) and get-remote-data (dbotIncidentClose, dbotIncidentReopen)",
            Rule::MirrorFieldsConverge => "seed mirroring-integration.md, get-remote-data (the remote object mapped onto the incident), update-remote-system (the delta) and the dirty-fields note; design.md, Mirroring semantics (the job pushes before it pulls)",
            Rule::MapperFieldsInSchema => "seed mirroring-integration.md, get-mapping-fields (the schema users map outgoing fields to); seed iam-integration.md, get-mapping-fields",
            Rule::MapperUnsupportedOperator => "xsoar-runtime.md §4, transformers and filters (built-in operators, or automation scripts tagged transformer / filter)",
            Rule::MapperMappingFailed => "xsoar-runtime.md §4 (a mapping that cannot be computed is an error the server shows for that field); admin guide, Transformers Operators (a failed cast fails the task)",
            Rule::ScenarioExpect => "the scenario's own `expect`",
            Rule::ScenarioStep => "the scenario's own steps",
            Rule::Manifest(rule) => rule.source(),
        }
    }

    /// The part of the contract the rule belongs to (conformance scores group by it).
    pub fn section(self) -> Section {
        match self {
            Rule::IamVendorRecordShape
            | Rule::IamFailureHasError
            | Rule::IamSkipHasReason
            | Rule::IamActiveMatchesVendor
            | Rule::IamNoUncaughtException
            | Rule::IamCommandSemantics => Section::Iam,
            Rule::RuntimeCrash
            | Rule::RuntimeTimeout
            | Rule::RuntimeProtocol
            | Rule::RuntimeIncomplete
            | Rule::RuntimeMissingModule
            | Rule::RuntimeLeftoverProcess
            | Rule::RuntimeLimit => Section::Runtime,
            Rule::MirrorIdSet
            | Rule::MirrorFetchNewOnly
            | Rule::MirrorUpdateReturnsId
            | Rule::MirrorNoEcho
            | Rule::MirrorEntriesExactlyOnce
            | Rule::MirrorDirection
            | Rule::MirrorDeltaOnly
            | Rule::MirrorCloseFollowsSettings
            | Rule::MirrorFieldsConverge => Section::Mirroring,
            Rule::MapperFieldsInSchema
            | Rule::MapperUnsupportedOperator
            | Rule::MapperMappingFailed => Section::Mapping,
            Rule::ScenarioExpect | Rule::ScenarioStep => Section::Scenario,
            Rule::Manifest(_) => Section::Manifest,
        }
    }

    /// What the rule asks, in one sentence.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "Every IAM.Vendor record has brand, instanceName, action, success, active, id, username, email, errorCode, errorMessage, details, skipped and reason with the documented types, and its brand and instanceName are the calling context's.",
            Rule::IamFailureHasError => "A record with success false carries an errorCode and an errorMessage.",
            Rule::IamSkipHasReason => "A record with skipped true carries a reason.",
            Rule::IamActiveMatchesVendor => "A successful record's active is what the vendor says of that account.",
            Rule::IamNoUncaughtException => "A management command never ends in an uncaught exception: the playbook must go on.",
            Rule::IamCommandSemantics => "A management command does what the IAMCommand table says for the user's account and the instance's settings: skipped, failed or succeeded with the right active, and the vendor's accounts changed accordingly, never another user's.",
            Rule::RuntimeCrash => "The integration process does not die before it completes.",
            Rule::RuntimeTimeout => "The integration completes within the scenario's timeout.",
            Rule::RuntimeProtocol => "The integration writes only protocol messages to stdout.",
            Rule::RuntimeIncomplete => "The integration ends every run with completed or exception.",
            Rule::RuntimeMissingModule => "Every module the integration imports is in its Docker image's Python environment.",
            Rule::RuntimeLeftoverProcess => "A run leaves no process it started running after it completes.",
            Rule::RuntimeLimit => "A command stays within the scenario's limits: output, messages and memory.",
            Rule::MirrorIdSet => "Every fetched incident that mirrors in some direction has a dbotMirrorId.",
            Rule::MirrorFetchNewOnly => "A fetch brings only new incidents: none mirrors a remote incident that another incident of the instance mirrors already.",
            Rule::MirrorUpdateReturnsId => "update-remote-system returns the remote incident's id.",
            Rule::MirrorNoEcho => "What the integration mirrored out does not come back in as a new entry.",
            Rule::MirrorEntriesExactlyOnce => "Every remote note reaches the war room once, and every local entry tagged for mirroring reaches the remote once.",
            Rule::MirrorDirection => "Nothing is mirrored against the incident's dbotMirrorDirection.",
            Rule::MirrorDeltaOnly => "update-remote-system writes only the fields that changed locally (the delta; on 6.1 servers, the dirty fields).",
            Rule::MirrorCloseFollowsSettings => "Once the job caught up, a remote close has closed the incident when close_incident is on, a local close has closed the remote record when close_out is on, and with the setting off the other side kept its state.",
            Rule::MirrorFieldsConverge => "Once the job caught up, a field changed last on one side has the same value on the other, where the direction carries it there and (server 6.1 and earlier) no local edit made it dirty; get-remote-data reads the remote side back.",
            Rule::MapperFieldsInSchema => "The outgoing mapper writes only fields that get-mapping-fields' schema has.",
            Rule::MapperUnsupportedOperator => "Classifiers and mappers use only built-in transformers and filters, or scripts the pack ships.",
            Rule::MapperMappingFailed => "Every classifier and mapper field can be computed from the incident or event.",
            Rule::ScenarioExpect => "What the scenario's own expect, check and expect_failure ask for holds.",
            Rule::ScenarioStep => "Each step can be carried out on the state the earlier steps left.",
            Rule::Manifest(rule) => rule.summary(),
        }
    }

    /// How to fix a violation of the rule.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::IamVendorRecordShape => "Build the result with IAMUserProfile.set_result(...) and return user_profile.to_entry() (IAMApiModule) instead of writing IAM.Vendor by hand; the message names the key that is missing or has the wrong type.",
            Rule::IamFailureHasError => "In handle_exception, pass error_code and error_message to set_result(success=False, ...): take them from the vendor's error body (get_error_details).",
            Rule::IamSkipHasReason => "Pass skip_reason with skip=True to set_result: say why nothing was done (for example the vendor's error message for a code in ERROR_CODES_TO_SKIP).",
            Rule::IamActiveMatchesVendor => "Report active from the vendor's answer (IAMUserAppData.is_active of the user after the change), not from what the command meant to do.",
            Rule::IamNoUncaughtException => "Catch the vendor's errors in the client and let IAMCommand hand them to handle_exception; a management command reports a failure in its record, it does not raise.",
            Rule::IamCommandSemantics => "Build IAMCommand from the instance's create_user_enabled, update_user_enabled, enable_user_enabled, disable_user_enabled and create_if_not_exists, look the user up by the profile's email, and make enable_user and disable_user leave the account active or inactive; the message names the table row that applies.",
            Rule::RuntimeCrash => "Read the stderr the report shows: the process died (a signal, os._exit, a native crash). Let errors reach return_error instead.",
            Rule::RuntimeTimeout => "Something waits forever or too long: give every HTTP call a timeout, bound retries, and do not sleep out a rate limit longer than the command may run.",
            Rule::RuntimeProtocol => "Do not print to stdout: use demisto.debug / demisto.info for logs and return_results for output.",
            Rule::RuntimeIncomplete => "End main() through return_results / return_error; do not sys.exit() or let a thread keep the process past the command.",
            Rule::RuntimeMissingModule => "Use only packages the integration's dockerimage has, or name an image that has the module (the message lists the image's packages); API modules must be in the pack or the content root.",
            Rule::RuntimeLeftoverProcess => "Wait for every process you start (subprocess.run, or Popen with wait/communicate) before the command returns; never detach daemons.",
            Rule::RuntimeLimit => "Page or truncate what the command returns, or raise the scenario's limits if the size is right.",
            Rule::MirrorIdSet => "Set dbotMirrorId (the remote id), dbotMirrorDirection and dbotMirrorInstance on every incident fetch-incidents returns for mirroring.",
            Rule::MirrorFetchNewOnly => "Keep in lastRun what you fetched (the newest time and the ids at that time) and leave out what you created yourself; changes of known incidents come in through get-remote-data.",
            Rule::MirrorUpdateReturnsId => "Return the remote incident's id from update-remote-system, also when nothing changed; raise (or return_error) when the vendor fails, so the server pushes again.",
            Rule::MirrorNoEcho => "Skip the remote entries your own pushes wrote (by author, a marker, or the ids you created) when get-remote-data builds entries.",
            Rule::MirrorEntriesExactlyOnce => "Incoming: return every remote note newer than lastUpdate, all pages of them, and none twice. Outgoing: push every entry the server hands you, once, and do not resend entries of a push that already reached the remote.",
            Rule::MirrorDirection => "Check dbotMirrorDirection (or the mirror_direction param) before writing: an incoming-only incident is never written to the remote, and an outgoing-only one never takes remote changes.",
            Rule::MirrorDeltaOnly => "Send only UpdateRemoteSystemArgs.delta (on 6.1, the fields the server marks dirty), not the whole incident.",
            Rule::MirrorCloseFollowsSettings => "Read close_incident and close_out from the params: return a dbotIncidentClose entry from get-remote-data for a closed remote record only with close_incident on, and close the remote record in update-remote-system (status done) only with close_out on.",
            Rule::MirrorFieldsConverge => "Push every field of the delta under the remote name the outgoing mapper gives it, and return the whole remote object from get-remote-data whenever the record changed since lastUpdate; the message names the field and both values.",
            Rule::MapperFieldsInSchema => "Map outgoing fields only to names get-mapping-fields returns, or add the missing fields to the schema it builds.",
            Rule::MapperUnsupportedOperator => "Use a built-in transformer or filter (the message names the operator), or ship the script with the pack, tagged transformer or filter.",
            Rule::MapperMappingFailed => "Fix the mapper's path or transformer for the field the message names, or guard it so a missing value maps to nothing instead of failing.",
            Rule::ScenarioExpect => "Either the integration or the scenario is wrong: compare the expectation the message quotes with what happened, and fix the one that is wrong.",
            Rule::ScenarioStep => "Change the step so that it applies to the state the earlier steps left (the message says what is missing).",
            Rule::Manifest(rule) => rule.fix(),
        }
    }

    /// Every rule, the manifest rules included, in catalogue order.
    pub fn every() -> impl Iterator<Item = Rule> {
        Rule::ALL
            .iter()
            .copied()
            .chain(ManifestRule::ALL.iter().copied().map(Rule::Manifest))
    }

    /// The rule for people: what it asks, where it is written down, how to fix a violation.
    ///
    /// ```
    /// use xsoar_harness::rules::Rule;
    ///
    /// let text = Rule::MirrorNoEcho.explain();
    /// assert!(text.starts_with("mirror.no-echo (mirroring)"));
    /// assert!(text.contains("documented in: "));
    /// assert!(text.contains("to fix: "));
    /// ```
    pub fn explain(self) -> String {
        let severity = match self {
            Rule::Manifest(rule) if rule.severity() == Severity::Warning => {
                "\na warning: reported, it does not fail the scenario"
            }
            _ => "",
        };
        format!(
            "{} ({})\n{}\ndocumented in: {}\nto fix: {}{severity}\n",
            self.id(),
            self.section(),
            self.summary(),
            self.source(),
            self.fix()
        )
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::every().find(|rule| rule.id() == id)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The parts of the contract, as the seeds and reference documents split it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// The IAM commands and their results (seed iam-integration.md).
    Iam,
    /// Mirroring in and out (seed mirroring-integration.md).
    Mirroring,
    /// Classifiers and mappers (xsoar-runtime.md §4).
    Mapping,
    /// The integration process and the protocol (xsoar-runtime.md §0, §8).
    Runtime,
    /// The integration YAML.
    Manifest,
    /// The scenario's own expectations: not part of a conformance score.
    Scenario,
}

impl Section {
    /// Every section of a conformance score, in report order.
    pub const SCORED: [Section; 5] = [
        Section::Iam,
        Section::Mirroring,
        Section::Mapping,
        Section::Runtime,
        Section::Manifest,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Section::Iam => "iam",
            Section::Mirroring => "mirroring",
            Section::Mapping => "mapping",
            Section::Runtime => "runtime",
            Section::Manifest => "manifest",
            Section::Scenario => "scenario",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// What the rule asks, in one sentence.
    pub fn summary(self) -> &'static str {
        match self {
            ManifestRule::FlagWithoutCommand => "A script flag (ismappable, isremotesyncin, isremotesyncout, isfetch) is true only when the code handles the command it turns on.",
            ManifestRule::CommandWithoutFlag => "A server-run command the code handles has its flag set to true, or the server never runs it.",
            ManifestRule::ModifiedRemoteDataMissing => "An integration that mirrors in implements get-modified-remote-data.",
            ManifestRule::MirroringFromversion => "A mirroring integration declares fromversion 6.0.0 or later.",
            ManifestRule::IamCommands => "An IAM integration declares every management command and get-mapping-fields.",
            ManifestRule::IamUserProfileRequired => "Every IAM management command takes a required user-profile argument.",
            ManifestRule::IamAllowEnable => "iam-create-user and iam-update-user take allow-enable with exactly the options true and false.",
            ManifestRule::IamMappers => "An IAM integration has mapper-in and mapper-out parameters whose defaults name its mappers.",
            ManifestRule::MirrorDirectionOptions => "A mirror_direction parameter is the documented single select: None, Incoming, Outgoing, Incoming And Outgoing.",
            ManifestRule::MirrorDirectionMissing => "A mirroring integration has a mirror_direction parameter.",
            ManifestRule::SecretInClearText => "A parameter that holds a secret has a secret type (credentials 9, encrypted 4 or 14).",
            ManifestRule::UnknownParamType => "Every parameter type is one of the documented ones.",
            ManifestRule::DuplicateParam => "No two parameters share a name.",
            ManifestRule::DuplicateCommand => "No two commands share a name.",
            ManifestRule::DuplicateArgument => "No two arguments of one command share a name.",
        }
    }

    /// How to fix a violation of the rule.
    pub fn fix(self) -> &'static str {
        match self {
            ManifestRule::FlagWithoutCommand => "Handle the command in main() (the message names it), or set the flag to false.",
            ManifestRule::CommandWithoutFlag => "Set the flag (ismappable for get-mapping-fields, isremotesyncin for get-remote-data, isremotesyncout for update-remote-system, isfetch for fetch-incidents) to true, or remove the dead branch.",
            ManifestRule::ModifiedRemoteDataMissing => "Implement get-modified-remote-data so that the server asks get-remote-data only for incidents that changed.",
            ManifestRule::MirroringFromversion => "Set fromversion: 6.0.0 (or later) in the integration YAML.",
            ManifestRule::IamCommands => "Declare the missing commands (the message lists them) in script.commands and handle them through IAMCommand.",
            ManifestRule::IamUserProfileRequired => "Declare user-profile with required: true on every management command.",
            ManifestRule::IamAllowEnable => "Declare allow-enable with predefined: ['true', 'false'] (and auto: PREDEFINED) on iam-create-user and iam-update-user.",
            ManifestRule::IamMappers => "Add mapper-in and mapper-out parameters with defaultvalue set to the names of the pack's incoming and outgoing mappers.",
            ManifestRule::MirrorDirectionOptions => "Make mirror_direction type 15 with the options None, Incoming, Outgoing, Incoming And Outgoing.",
            ManifestRule::MirrorDirectionMissing => "Add a mirror_direction parameter (type 15, the four documented options) and read it in fetch-incidents.",
            ManifestRule::SecretInClearText => "Give the parameter type 9 (credentials) or 4 (encrypted), so the server never shows or logs it.",
            ManifestRule::UnknownParamType => "Use a documented parameter type (the message lists them).",
            ManifestRule::DuplicateParam | ManifestRule::DuplicateCommand | ManifestRule::DuplicateArgument => "Remove or rename the duplicate: the server keeps only one of them, and which is not defined.",
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
        let ids: Vec<&str> = Rule::every().map(Rule::id).collect();
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

    #[test]
    fn every_rule_explains_itself_in_the_section_its_id_names() {
        for rule in Rule::every() {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
            let section = rule.section().name();
            let prefix = rule.id().split('.').next().unwrap_or_default();
            let expected = match prefix {
                "mirror" => "mirroring",
                "mapper" => "mapping",
                other => other,
            };
            assert_eq!(section, expected, "{rule}");
            for text in [rule.summary(), rule.fix()] {
                assert!(text.len() > 20 && text.ends_with('.'), "{rule}: {text}");
            }
        }
    }
}
