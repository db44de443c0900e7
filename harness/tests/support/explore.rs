//! The broken variants explore must find, and the bases they run on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use xsoar_harness::explore::ExploreConfig;
use xsoar_harness::rules::Rule;

use super::Tree;

/// Each broken variant (mirroring, IAM, then the mappers): the base it runs on (under `explore/`, or a scenario under `scenarios/` without its steps), its
/// code under `integrations/broken/` if it is code, and the rules explore may find it breaking
/// (one defect can show in more than one way).
/// The subtle ones (after the comment) are one-line changes of the reference integrations that
/// the hand-written scenarios passed.
pub(crate) const VARIANTS: &[(&str, Option<&str>, &[Rule])] = &[
    (
        "servicenow-mirror.yaml",
        Some("servicenow_echo_comments.py"),
        &[Rule::MirrorNoEcho],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_no_mirror_id.py"),
        &[Rule::MirrorIdSet],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_no_remote_id.py"),
        &[Rule::MirrorUpdateReturnsId],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_drops_entries_on_rate_limit.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror-6-1.yaml",
        Some("servicenow_ignores_dirty_fields.py"),
        &[Rule::MirrorDeltaOnly],
    ),
    (
        "servicenow-incoming.yaml",
        Some("servicenow_writes_while_mirroring_in.py"),
        &[Rule::MirrorDirection],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_echo_own_entries.py"),
        &[Rule::MirrorNoEcho],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_first_entry_only.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_refetches.py"),
        &[Rule::MirrorFetchNewOnly],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_pushes_whole_incident.py"),
        &[Rule::MirrorDeltaOnly],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_no_conflict_retry.py"),
        &[Rule::MirrorUpdateReturnsId],
    ),
    (
        "xsoar-incoming.yaml",
        Some("xsoar_writes_while_mirroring_in.py"),
        &[Rule::MirrorDirection],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_first_modified_only.py"),
        // The incident it does not refresh misses field edits as well as entries.
        &[Rule::MirrorEntriesExactlyOnce, Rule::MirrorFieldsConverge],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_bad_vendor_record.py"),
        &[Rule::IamVendorRecordShape],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_leaves_process.py"),
        &[Rule::RuntimeLeftoverProcess],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_crash.py"),
        &[Rule::RuntimeCrash],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_disable_reports_active.py"),
        &[Rule::IamActiveMatchesVendor],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_garbage.py"),
        &[Rule::RuntimeProtocol],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_hang.py"),
        &[Rule::RuntimeTimeout],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_huge_entry.py"),
        &[Rule::RuntimeLimit],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_missing_module.py"),
        &[Rule::RuntimeMissingModule],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_no_completed.py"),
        &[Rule::RuntimeIncomplete],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_no_error_code.py"),
        &[Rule::IamFailureHasError],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_skip_without_reason.py"),
        &[Rule::IamSkipHasReason],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_uncaught_exception.py"),
        &[Rule::IamNoUncaughtException],
    ),
    // Subtle: one-line changes of the reference integrations that the hand-written scenarios
    // pass.
    (
        "servicenow-mirror.yaml",
        Some("servicenow_first_journal_row_only.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_first_tagged_entry_only.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_journal_capped_at_3.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_forgets_fetched_ids.py"),
        &[Rule::MirrorFetchNewOnly],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_fetches_own_tickets.py"),
        &[Rule::MirrorFetchNewOnly],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_resends_entries_after_failure.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_drops_text_with_file_tag.py"),
        &[Rule::MirrorEntriesExactlyOnce],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_forgets_failed_syncs.py"),
        // The sync it forgets loses the window's field edits as well as its comments.
        &[Rule::MirrorEntriesExactlyOnce, Rule::MirrorFieldsConverge],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_enable_follows_disable_setting.py"),
        &[Rule::IamCommandSemantics],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_creates_when_create_enabled.py"),
        &[Rule::IamCommandSemantics],
    ),
    (
        "okta-iam.yaml",
        Some("okta_iam_looks_up_by_login.py"),
        &[Rule::IamCommandSemantics],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_closes_regardless.py"),
        &[Rule::MirrorCloseFollowsSettings],
    ),
    (
        "xsoar-mirror.yaml",
        Some("xsoar_never_closes_out.py"),
        &[Rule::MirrorCloseFollowsSettings],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_pushes_unmapped_delta.py"),
        &[Rule::MirrorFieldsConverge],
    ),
    (
        "servicenow-mirror.yaml",
        Some("servicenow_changed_since_created.py"),
        &[Rule::MirrorFieldsConverge],
    ),
    // The broken mappers: the scenarios that prove them, without their steps, are the bases.
    (
        "scenarios/mirroring/broken-mapper-text-as-number.yaml",
        None,
        &[Rule::MapperMappingFailed],
    ),
    (
        "scenarios/mirroring/broken-mapper-unknown-operator.yaml",
        None,
        &[Rule::MapperUnsupportedOperator],
    ),
    (
        "scenarios/iam/broken-mapper-hire-date.yaml",
        None,
        &[Rule::MapperMappingFailed],
    ),
];

/// The bases of the reference integrations.
pub(crate) const BASES: &[&str] = &[
    "servicenow-mirror.yaml",
    "servicenow-mirror-6-1.yaml",
    "servicenow-incoming.yaml",
    "xsoar-mirror.yaml",
    "xsoar-incoming.yaml",
    "okta-iam.yaml",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The base `explore/<base>`, or the scenario `scenarios/...` without its steps, its paths made
/// absolute, running `code` (under `integrations/broken/`) when given.
pub(crate) fn base_text(base: &str, code: Option<&str>) -> String {
    let root = workspace();
    let integrations = format!("{}/integrations/", root.display());
    let text = if base.starts_with("scenarios/") {
        let text = std::fs::read_to_string(root.join(base)).expect("a bundled scenario");
        let (head, _steps) = text.split_once("\nsteps:").expect("a scenario with steps");
        format!("{head}\n").replace("../../integrations/", &integrations)
    } else {
        let text =
            std::fs::read_to_string(root.join("explore").join(base)).expect("a bundled base");
        text.replace("../integrations/", &integrations)
    };
    match code {
        Some(code) => {
            let (head, tail) = text.split_once("\n  yaml: ").expect("an integration yaml");
            let (yaml, rest) = tail.split_once('\n').expect("a line end");
            format!("{head}\n  yaml: {yaml}\n  code: {integrations}broken/{code}\n{rest}")
        }
        None => text,
    }
}

/// A variant's name, for messages and file names: its code's or its base's stem.
pub(crate) fn variant_name(base: &str, code: Option<&str>) -> String {
    let file = code.unwrap_or(base);
    let file = file.rsplit('/').next().unwrap_or(file);
    file.trim_end_matches(".py")
        .trim_end_matches(".yaml")
        .to_owned()
}

/// Writes the base `name` into `tree` and configures `cases` cases of it, seed 1, findings
/// written in the tree.
pub(crate) fn config(tree: &Tree, name: &str, text: &str, cases: u32) -> ExploreConfig {
    tree.write(&format!("{name}.yaml"), text);
    ExploreConfig::new(tree.path(&format!("{name}.yaml")))
        .cases(cases)
        .seed(1)
        .time_budget(Duration::from_secs(600))
        .out(tree.path("findings"))
}
