//! Conformance scores: per integration under test, how many of the rules its scenarios
//! exercised it passed, by section of the contract.
//!
//! A rule is applicable to a scenario when the scenario ran what the rule judges (an IAM rule
//! needs a management command, `mirror.delta-only` an update-remote-system, a runtime rule any
//! command, a manifest rule any run, IAM and mirroring manifest rules the flows they describe)
//! and, for the rules that need more (an account vendor for `iam.active-matches-vendor` and
//! `iam.command-semantics`, a settled check for `mirror.close-follows-settings`), when the
//! check had something to judge. A rule a scenario broke, or a manifest error it lists as
//! known, counts as applicable and failed whatever ran. Manifest warnings never fail and are
//! not scored. Scenarios that expect a failure prove a check on a deliberately broken
//! integration and do not count.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Checks, ScenarioReport};
use crate::iam;
use crate::integration::ServerCommand;
use crate::rules::{ManifestRule, Rule, Section, Severity};

/// The score of one integration under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conformance {
    /// The integration: its name, and the code file when scenarios run other code against its
    /// YAML.
    pub integration: String,
    /// Its scenarios that count.
    pub scenarios: usize,
    /// The score per section, in [`Section::SCORED`] order, sections no scenario exercised
    /// left out.
    pub sections: Vec<SectionScore>,
}

/// The score of one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionScore {
    /// The section's name (`iam`, `mirroring`, ...).
    pub section: &'static str,
    /// Rules the scenarios exercised.
    pub applicable: usize,
    /// Of those, the rules no scenario broke.
    pub passed: usize,
    /// The ids of the rules some scenario broke.
    pub failed: Vec<&'static str>,
}

impl Conformance {
    /// The scores of the integrations `scenarios` test, by integration name.
    pub fn of(scenarios: &[ScenarioReport]) -> Vec<Conformance> {
        #[derive(Default)]
        struct Tally {
            scenarios: usize,
            applicable: BTreeSet<Rule>,
            failed: BTreeSet<Rule>,
        }
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for scenario in scenarios {
            if matches!(scenario.checks, Checks::ProvenFailure(_)) {
                continue;
            }
            let tally = tallies.entry(&scenario.integration).or_default();
            tally.scenarios += 1;
            let commands: BTreeSet<&str> = scenario
                .steps
                .iter()
                .flat_map(|step| &step.runs)
                .map(|run| run.command.as_str())
                .collect();
            tally
                .applicable
                .extend(Rule::every().filter(|rule| applies(*rule, &commands, &scenario.judged)));
            for rule in &scenario.acknowledged {
                tally.applicable.insert(*rule);
                tally.failed.insert(*rule);
            }
            for violation in &scenario.violations {
                let Some(rule) = Rule::from_id(violation.rule) else {
                    continue;
                };
                if rule.section() != Section::Scenario {
                    tally.applicable.insert(rule);
                    tally.failed.insert(rule);
                }
            }
        }
        tallies
            .into_iter()
            .map(|(integration, tally)| Conformance {
                integration: integration.to_owned(),
                scenarios: tally.scenarios,
                sections: Section::SCORED
                    .iter()
                    .filter_map(|section| {
                        let applicable = tally
                            .applicable
                            .iter()
                            .filter(|rule| rule.section() == *section)
                            .count();
                        let failed: Vec<&'static str> = tally
                            .failed
                            .iter()
                            .filter(|rule| rule.section() == *section)
                            .map(|rule| rule.id())
                            .collect();
                        (applicable > 0).then(|| SectionScore {
                            section: section.name(),
                            applicable,
                            passed: applicable - failed.len(),
                            failed,
                        })
                    })
                    .collect(),
            })
            .collect()
    }

    /// `iam 6/6, runtime 7/7, manifest 11/11`.
    pub fn line(&self) -> String {
        self.sections
            .iter()
            .map(|s| format!("{} {}/{}", s.section, s.passed, s.applicable))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The ids of every rule broken, in section order.
    pub fn failed(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sections.iter().flat_map(|s| s.failed.iter().copied())
    }
}

/// Whether a scenario that ran `commands`, whose context-dependent checks judged `judged`,
/// exercised `rule`.
fn applies(rule: Rule, commands: &BTreeSet<&str>, judged: &[Rule]) -> bool {
    let ran = |command: ServerCommand| commands.contains(command.name());
    let manages_identities = commands.iter().any(|c| iam::is_management_command(c));
    let mirrors = ran(ServerCommand::GetRemoteData) || ran(ServerCommand::UpdateRemoteSystem);
    let maps = manages_identities || mirrors || ran(ServerCommand::FetchIncidents);
    match rule.section() {
        Section::Runtime => !commands.is_empty(),
        Section::Scenario => false,
        Section::Iam => match rule {
            Rule::IamActiveMatchesVendor | Rule::IamCommandSemantics => judged.contains(&rule),
            _ => manages_identities,
        },
        Section::Mirroring => match rule {
            Rule::MirrorCloseFollowsSettings | Rule::MirrorFieldsConverge => judged.contains(&rule),
            Rule::MirrorIdSet | Rule::MirrorFetchNewOnly => {
                ran(ServerCommand::FetchIncidents) && mirrors
            }
            Rule::MirrorUpdateReturnsId | Rule::MirrorDeltaOnly => {
                ran(ServerCommand::UpdateRemoteSystem)
            }
            _ => mirrors,
        },
        Section::Mapping => match rule {
            Rule::MapperFieldsInSchema => ran(ServerCommand::GetMappingFields),
            _ => maps,
        },
        Section::Manifest => match rule {
            Rule::Manifest(rule) if rule.severity() != Severity::Error => false,
            Rule::Manifest(
                ManifestRule::IamCommands
                | ManifestRule::IamUserProfileRequired
                | ManifestRule::IamAllowEnable
                | ManifestRule::IamMappers,
            ) => manages_identities,
            Rule::Manifest(
                ManifestRule::ModifiedRemoteDataMissing
                | ManifestRule::MirroringFromversion
                | ManifestRule::MirrorDirectionOptions
                | ManifestRule::MirrorDirectionMissing,
            ) => mirrors,
            _ => !commands.is_empty(),
        },
    }
}
