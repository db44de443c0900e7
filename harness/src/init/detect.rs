//! What an integration implements, and which mock vendor its API looks like: the facts `init`
//! plans a starter set from, read from the manifest and the code only.

use std::collections::HashSet;

use mock_vendors::VendorKind;

use crate::iam::IamCommand;
use crate::integration::{Manifest, ParamSpec, ParamType, ServerCommand};

/// What the server would run on the integration, from its declared commands and script flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// The IAM management commands it declares, in [`IamCommand::ALL`] order.
    pub(crate) iam: Vec<IamCommand>,
    /// `get-mapping-fields`: declared, or turned on by `ismappable`.
    pub(crate) mapping_fields: bool,
    /// `isfetch`: fetch-incidents.
    pub(crate) fetch: bool,
    /// `isremotesyncin`: get-remote-data (mirroring in).
    pub(crate) incoming: bool,
    /// `isremotesyncout` on an integration that is not IAM: update-remote-system (mirroring
    /// out). On an IAM integration the flag is the outgoing mapper's schema pattern.
    pub(crate) outgoing: bool,
}

impl Capabilities {
    /// The capabilities the manifest declares.
    pub(crate) fn of(manifest: &Manifest) -> Self {
        let script = &manifest.script;
        let iam: Vec<IamCommand> = IamCommand::ALL
            .into_iter()
            .filter(|command| manifest.command(command.name()).is_some())
            .collect();
        Self {
            mapping_fields: script.ismappable
                || manifest
                    .command(ServerCommand::GetMappingFields.name())
                    .is_some(),
            fetch: script.isfetch,
            incoming: script.isremotesyncin,
            outgoing: script.isremotesyncout && iam.is_empty(),
            iam,
        }
    }

    /// Whether it mirrors incidents either way.
    pub(crate) fn mirrors(&self) -> bool {
        self.incoming || self.outgoing
    }
}

/// The vendor a starter set runs against, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorChoice {
    /// The mock vendor.
    pub kind: VendorKind,
    /// The fact it was chosen on, for people (`the code calls /api/now/table`).
    pub reason: String,
}

/// One built-in vendor's fingerprint.
struct Fingerprint {
    kind: VendorKind,
    /// Alternatives, each a set of fragments that string literals of the code must all
    /// contain (each fragment in some literal).
    code: &'static [&'static [&'static str]],
    /// Fragments of the URL param's default value or label.
    url: &'static [&'static str],
    /// What the mock serves, so that a match on a vendor whose mock cannot serve the flows
    /// falls back to stubs.
    serves: fn(&Capabilities) -> bool,
    serves_what: &'static str,
}

/// The vendor detection rules, the only place they are written. The first fingerprint that
/// matches picks the vendor; none picks stubs (`kind: stub`):
///
/// 1. **xsoar** (a remote XSOAR server) when a string literal of the code names the XSOAR REST
///    API (`incidents/search`, `incident/load`, `investigation/`), or the URL param's default or
///    label says `xsoar`; the mock serves fetching and mirroring.
/// 2. **servicenow** (the Table API) when a literal names `/api/now/table`, or literals name
///    both `/api/now/` and `table/`, or the URL param's default or label says `service-now` /
///    `servicenow`; the mock serves fetching and mirroring.
/// 3. **okta** (the Users API) when a literal names `/api/v1/users`, or literals name both
///    `/api/v1/` and `users`, or the URL param's default or label says `okta`; the mock serves
///    the IAM commands.
///
/// A fingerprint that matches but whose mock does not serve what the integration implements
/// (an IAM integration calling the Table API, say) picks stubs, and the reason says so.
const FINGERPRINTS: [Fingerprint; 3] = [
    Fingerprint {
        kind: VendorKind::Xsoar,
        code: &[
            &["incidents/search"],
            &["incident/load"],
            &["investigation/"],
        ],
        url: &["xsoar"],
        serves: |c| c.fetch || c.mirrors(),
        serves_what: "fetching and mirroring incidents",
    },
    Fingerprint {
        kind: VendorKind::ServiceNow,
        code: &[&["/api/now/table"], &["/api/now/", "table/"]],
        url: &["service-now", "servicenow"],
        serves: |c| c.fetch || c.mirrors(),
        serves_what: "fetching and mirroring incidents",
    },
    Fingerprint {
        kind: VendorKind::Okta,
        code: &[&["/api/v1/users"], &["/api/v1/", "users"]],
        url: &["okta"],
        serves: |c| !c.iam.is_empty(),
        serves_what: "the IAM commands",
    },
];

/// Picks the vendor for an integration by [`FINGERPRINTS`], from its code's string literals and
/// its URL param.
pub(crate) fn choose_vendor(
    manifest: &Manifest,
    literals: &HashSet<&str>,
    capabilities: &Capabilities,
) -> VendorChoice {
    let url = url_param(manifest);
    let url_text = url
        .map(|p| {
            let default = p
                .defaultvalue
                .as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let label = p
                .display
                .as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            format!("{default} {label}").to_ascii_lowercase()
        })
        .unwrap_or_default();
    for print in &FINGERPRINTS {
        let by_code = print.code.iter().find(|fragments| {
            fragments
                .iter()
                .all(|fragment| literals.iter().any(|l| l.contains(fragment)))
        });
        let by_url = print.url.iter().find(|f| url_text.contains(*f));
        let fact = match (by_code, by_url) {
            (Some(fragments), _) => format!(
                "the code calls {}",
                fragments
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            (None, Some(fragment)) => format!(
                "the URL param `{}` says `{fragment}`",
                url.map_or("url", |p| p.name.as_str())
            ),
            (None, None) => continue,
        };
        let name = print.kind.as_str();
        if (print.serves)(capabilities) {
            return VendorChoice {
                kind: print.kind,
                reason: format!("{name}: {fact}"),
            };
        }
        return VendorChoice {
            kind: VendorKind::Stub,
            reason: format!(
                "stubs: {fact}, which looks like {name}, but the {name} mock serves {} and the integration implements none of them",
                print.serves_what
            ),
        };
    }
    VendorChoice {
        kind: VendorKind::Stub,
        reason: "stubs: neither the code nor the URL param names an API the harness mocks (Okta users, ServiceNow tables, XSOAR incidents)".to_owned(),
    }
}

/// The instance param that receives the mock's base URL: `url`, else the first text param whose
/// name says url, server or host.
pub(crate) fn url_param(manifest: &Manifest) -> Option<&ParamSpec> {
    manifest.param("url").or_else(|| {
        manifest.configuration.iter().find(|p| {
            let name = p.name.to_ascii_lowercase();
            p.kind == ParamType::ShortText
                && ["url", "server", "host"].iter().any(|w| name.contains(w))
        })
    })
}

/// Paths the code names as string literals, for guessing stub routes: a base (`/api/now/`)
/// and endpoints (`/users`, `users/{id}`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CodePaths {
    /// The first literal that looks like an API base: starts and ends with `/`, has a segment.
    pub(crate) base: Option<String>,
    /// Path-like literals.
    endpoints: Vec<String>,
}

impl CodePaths {
    /// The path-like literals of the code.
    pub(crate) fn of(literals: &HashSet<&str>) -> Self {
        let mut paths: Vec<&str> = literals
            .iter()
            .copied()
            .filter(|l| {
                !l.is_empty()
                    && l.len() < 80
                    && l.chars().any(|c| c.is_ascii_alphabetic())
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_/.{}-".contains(c))
                    && !l.contains("//")
            })
            .collect();
        // Literals come from a set: sort so that the same code gives the same guess.
        paths.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
        let base = paths
            .iter()
            .find(|p| p.len() > 2 && p.starts_with('/') && p.ends_with('/'))
            .map(|p| (*p).to_owned());
        Self {
            base,
            endpoints: paths.into_iter().map(str::to_owned).collect(),
        }
    }

    /// The full path of the shortest endpoint literal with `segment` as a path segment, under
    /// the base: `/api/now/users`.
    pub(crate) fn endpoint(&self, segment: &str) -> Option<String> {
        let found = self
            .endpoints
            .iter()
            .filter(|p| p.contains('/') || p.as_str() == segment)
            .find(|p| p.split('/').any(|s| s == segment))?;
        let path = found
            .split('{')
            .next()
            .unwrap_or(found)
            .trim_end_matches('/');
        Some(self.under_base(path))
    }

    /// `path` under the base (as the integration's HTTP client joins them).
    pub(crate) fn under_base(&self, path: &str) -> String {
        let base = self.base.as_deref().unwrap_or("/");
        if path.starts_with(base) && base != "/" {
            return path.to_owned();
        }
        format!(
            "{}/{}",
            base.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(yaml: &str) -> Manifest {
        Manifest::parse(yaml, std::path::Path::new("X.yml")).expect("a manifest")
    }

    const IAM: &str = "{commonfields: {id: X}, name: X, configuration: [{name: url, type: 0, display: Base URL}], script: {script: '-', commands: [{name: iam-get-user}]}}";
    const MIRROR: &str = "{commonfields: {id: X}, name: X, configuration: [{name: url, type: 0, display: URL}], script: {script: '-', isfetch: true, isremotesyncin: true}}";

    #[test]
    fn the_code_picks_the_vendor() {
        let iam = manifest(IAM);
        let caps = Capabilities::of(&iam);
        let okta = choose_vendor(&iam, &["/api/v1/", "users/me"].into(), &caps);
        assert_eq!(okta.kind, VendorKind::Okta, "{}", okta.reason);
        let mirror = manifest(MIRROR);
        let caps = Capabilities::of(&mirror);
        let snow = choose_vendor(&mirror, &["/api/now/", "table/{TABLE}"].into(), &caps);
        assert_eq!(snow.kind, VendorKind::ServiceNow, "{}", snow.reason);
        let xsoar = choose_vendor(&mirror, &["incidents/search"].into(), &caps);
        assert_eq!(xsoar.kind, VendorKind::Xsoar);
        let unknown = choose_vendor(&mirror, &["/api/now/", "/users"].into(), &caps);
        assert_eq!(unknown.kind, VendorKind::Stub);
    }

    #[test]
    fn a_vendor_whose_mock_cannot_serve_the_flows_falls_back_to_stubs() {
        let iam = manifest(IAM);
        let caps = Capabilities::of(&iam);
        let choice = choose_vendor(&iam, &["/api/now/table/sys_user"].into(), &caps);
        assert_eq!(choice.kind, VendorKind::Stub);
        assert!(
            choice.reason.contains("looks like servicenow"),
            "{}",
            choice.reason
        );
    }

    #[test]
    fn the_url_default_picks_the_vendor_when_the_code_says_nothing() {
        let iam = manifest(&IAM.replace("display: Base URL", "defaultvalue: https://x.okta.com"));
        let caps = Capabilities::of(&iam);
        let choice = choose_vendor(&iam, &HashSet::new(), &caps);
        assert_eq!(choice.kind, VendorKind::Okta);
        assert!(
            choice.reason.contains("URL param `url`"),
            "{}",
            choice.reason
        );
    }

    #[test]
    fn endpoints_are_joined_under_the_base() {
        let paths = CodePaths::of(&["/api/now/", "/users", "/users/{user_id}", "ok"].into());
        assert_eq!(paths.base.as_deref(), Some("/api/now/"));
        assert_eq!(paths.endpoint("users").as_deref(), Some("/api/now/users"));
        assert_eq!(paths.endpoint("schema"), None);
    }
}
