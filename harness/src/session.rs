//! One scenario's world: the integration, the server emulation, the mock vendor and the
//! clock, and running commands against them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mock_vendors::{Clock, JournalEntry, Limits as VendorLimits, MockVendor, Vendor};

use crate::error::HarnessError;
use crate::integration::Integration;
use crate::pypi::PypiError;
use crate::runtime::content::{ContentRoot, ModuleSource};
use crate::runtime::image::imported_modules;
use crate::runtime::protocol::{HarnessInfo, StartMessage};
use crate::runtime::{CommandRun, PythonEnv, Runtime, RuntimeError, ServerSide};
use crate::scenario::{IntegrationSource, Limits, Scenario, ScenarioError, Step};
use crate::server::instance::{Instance, InstanceError};
use crate::server::scripts::ScriptOperators;
use crate::server::{Call, CommandRecord, Driver, Invocation, Server};
use crate::BoxFuture;

/// The integration, server, vendor and clock of a running scenario.
pub(crate) struct Session<'a> {
    /// The scenario.
    scenario: &'a Scenario,
    /// The integration under test.
    integration: Integration,
    /// The server emulation.
    server: Server,
    /// What runs the integration's commands for the server.
    runs: IntegrationRuns<'a>,
    /// Where CommonServerPython and the API modules come from.
    modules: ModuleSource,
}

/// The driver of the integration under test: each command a run of its code in a separate
/// Python process, within the scenario's bounds, with the vendor requests it caused.
pub(crate) struct IntegrationRuns<'a> {
    runtime: &'a Runtime,
    code: String,
    script_name: String,
    /// Modules whose names the code gets without importing them.
    preload: Vec<String>,
    /// The Python environment the integration runs in.
    python: Arc<PythonEnv>,
    /// The module search path of every run: the modules, the integration's folder, the
    /// modules the server always provides.
    python_path: Vec<PathBuf>,
    /// The mock vendor, if the scenario has one.
    vendor: Option<MockVendor>,
    limits: Limits,
    /// The integration runs so far (bounded by `limits.runs`).
    count: u64,
}

impl Driver for IntegrationRuns<'_> {
    fn run<'a>(
        &'a mut self,
        invocation: Invocation,
        server: &'a mut dyn ServerSide,
    ) -> BoxFuture<'a, Result<(CommandRun, Vec<JournalEntry>), RuntimeError>> {
        Box::pin(async move {
            let limit = self.limits.runs;
            if self.count >= limit {
                return Err(RuntimeError::RunsExhausted { limit });
            }
            self.count += 1;
            let start = StartMessage {
                script: self.code.clone(),
                integration: true,
                native: false,
                command: invocation.command,
                args: invocation.args,
                params: invocation.params,
                context: invocation.context,
                harness: HarnessInfo {
                    now: invocation.now,
                    script_name: self.script_name.clone(),
                    server_version: invocation.server_version,
                    build_number: crate::runtime::protocol::BUILD_NUMBER.to_owned(),
                    preload: self.preload.clone(),
                    memory_limit: None,
                },
            };
            let journal_before = self.vendor.as_ref().map_or(0, MockVendor::journal_len);
            let run = self
                .runtime
                .run(
                    &start,
                    &self.python.python,
                    &self.python_path,
                    server,
                    self.limits.run,
                )
                .await?;
            let requests = match &self.vendor {
                Some(vendor) => vendor.journal_since(journal_before),
                None => Vec::new(),
            };
            Ok((run, requests))
        })
    }
}

impl IntegrationRuns<'_> {
    /// The Python environment the integration runs in.
    pub(crate) fn python(&self) -> &PythonEnv {
        &self.python
    }

    /// The mock vendor, if the scenario has one.
    pub(crate) fn vendor(&self) -> Option<&MockVendor> {
        self.vendor.as_ref()
    }

    /// The machine's Python and the runtime files.
    pub(crate) fn host(&self) -> &crate::runtime::PythonHost {
        self.runtime.host()
    }

    /// The vendor's state, if there is a vendor.
    pub(crate) fn vendor_state(&self) -> Option<&dyn Vendor> {
        self.vendor
            .as_ref()
            .map(|v| v.vendor().as_ref() as &dyn Vendor)
    }

    /// Every request the vendor received so far.
    pub(crate) async fn journal(&self) -> Vec<JournalEntry> {
        match &self.vendor {
            Some(vendor) => vendor.journal().await,
            None => Vec::new(),
        }
    }
}

impl<'a> Session<'a> {
    /// Loads the integration, prepares its Python environment, starts and seeds the vendor,
    /// lays the faults and configures the instance. `modules` applies unless the scenario
    /// names its own content root. Load errors point at the place in the scenario.
    pub(crate) async fn start(
        runtime: &'a Runtime,
        modules: &ModuleSource,
        scenario: &'a Scenario,
    ) -> Result<Self, HarnessError> {
        let integration = load_integration(scenario, runtime).await?;
        let modules = match &scenario.spec.content_root {
            Some(root) => ModuleSource::Content(
                ContentRoot::open(scenario.resolve(&root.value))
                    .map_err(|e| ScenarioError::invalid(&scenario.path, root, e.to_string()))?,
            ),
            None => modules.clone(),
        };
        steps_fit(scenario, &integration)?;
        let (python_path, python) = prepare_python(runtime, &modules, scenario, &integration)
            .await
            .map_err(|e| HarnessError::run(&scenario.path, e))?;
        let spec = &scenario.spec;
        let path = &scenario.path;
        let clock = Clock::default();
        let mut vendor_url = None;
        let vendor = match &spec.vendor {
            None => None,
            Some(section) => {
                let vendor_spec = &section.value;
                let created = mock_vendors::create(
                    vendor_spec.kind,
                    clock.clone(),
                    vendor_spec.token.clone(),
                )
                .map_err(|e| ScenarioError::invalid(path, section, e.to_string()))?;
                if let Some(seed) = &vendor_spec.seed {
                    created.seed(&seed.value).map_err(|e| {
                        ScenarioError::invalid(path, seed, format!("vendor seed: {e}"))
                    })?;
                }
                let running =
                    MockVendor::start_with(Arc::clone(&created), None, VendorLimits::default())
                        .await
                        .map_err(|e| {
                            HarnessError::run(path, RuntimeError::io("serve the mock vendor", e))
                        })?;
                for fault in &vendor_spec.faults {
                    running.inject(fault).await;
                }
                for stub in &vendor_spec.stubs {
                    running.stub(stub).await.map_err(|e| {
                        ScenarioError::invalid(path, section, format!("vendor stub: {e}"))
                    })?;
                }
                vendor_url = Some((vendor_spec.url_param.as_str(), running.uri()));
                Some(running)
            }
        };
        let mut instance = Instance::configure(
            &integration.manifest,
            &spec.instance,
            scenario.secrets.clone(),
            vendor_url,
        )
        .map_err(|e| {
            let message = e.to_string();
            match &e {
                InstanceError::Undeclared { name, .. } => match spec.instance.params.get(name) {
                    Some(value) => ScenarioError::invalid(path, value, message),
                    None => ScenarioError::invalid(path, &spec.integration.yaml, message),
                },
                _ => ScenarioError::invalid(path, &spec.integration.yaml, message),
            }
        })?;
        // The token the mock accepts is a secret wherever the scenario puts it.
        if let Some(token) = spec.vendor.as_ref().and_then(|v| v.value.token.as_deref()) {
            instance.secrets.add(token);
            if let Some((_, password)) = token.split_once(':') {
                instance.secrets.add(password);
            }
        }
        let content = match &modules {
            ModuleSource::Content(root) => Some(root.clone()),
            ModuleSource::BuiltIn => None,
        };
        let operators = ScriptOperators::new(
            runtime.clone(),
            content,
            spec.server.version.to_string(),
            scenario.limits().run,
        );
        let mut server = Server::new(
            instance,
            &integration.manifest,
            integration.definitions.clone(),
            &spec.server,
            operators,
            clock,
        );
        server
            .resolve_definitions(&spec.instance, &integration.manifest)
            .map_err(|e| ScenarioError::invalid(path, &spec.integration.yaml, e.to_string()))?;
        let runs = IntegrationRuns {
            runtime,
            code: integration.code.clone(),
            script_name: integration.script_name(),
            preload: preload(&integration),
            python,
            python_path,
            vendor,
            limits: scenario.limits(),
            count: 0,
        };
        Ok(Self {
            scenario,
            integration,
            server,
            runs,
            modules,
        })
    }
}

impl<'a> Session<'a> {
    /// The scenario.
    pub(crate) fn scenario(&self) -> &'a Scenario {
        self.scenario
    }

    /// The integration under test.
    pub(crate) fn integration(&self) -> &Integration {
        &self.integration
    }

    /// The server emulation.
    pub(crate) fn server(&self) -> &Server {
        &self.server
    }

    /// The server emulation, to change.
    pub(crate) fn server_mut(&mut self) -> &mut Server {
        &mut self.server
    }

    /// What runs the integration's commands.
    pub(crate) fn runs(&self) -> &IntegrationRuns<'a> {
        &self.runs
    }

    /// The server and the driver of the integration, for the server to run commands with.
    pub(crate) fn parts_mut(&mut self) -> (&mut Server, &mut IntegrationRuns<'a>) {
        (&mut self.server, &mut self.runs)
    }

    /// Where CommonServerPython and the API modules come from.
    pub(crate) fn modules(&self) -> &ModuleSource {
        &self.modules
    }

    /// Runs a command as the server would.
    pub(crate) async fn run_command(&mut self, call: Call) -> Result<CommandRecord, RuntimeError> {
        self.server.run(&mut self.runs, call).await
    }
}

/// IAM integrations get the IAMApiModule surface even without the import line (the
/// demisto-sdk HelloIAMWorld template uses it that way, and the IAM docs describe every IAM
/// integration as importing it).
fn preload(integration: &Integration) -> Vec<String> {
    let is_iam = integration
        .manifest
        .script
        .commands
        .iter()
        .any(|c| crate::iam::is_management_command(&c.name));
    let imports = imported_modules(&integration.code);
    if is_iam && !imports.iter().any(|m| m == "IAMApiModule") {
        vec!["IAMApiModule".to_owned()]
    } else {
        Vec::new()
    }
}

/// The module search path of the integration's runs (its folder among them) and its Python
/// environment, with the scenario's own packages.
async fn prepare_python(
    runtime: &Runtime,
    modules: &ModuleSource,
    scenario: &Scenario,
    integration: &Integration,
) -> Result<(Vec<PathBuf>, Arc<PythonEnv>), RuntimeError> {
    // The process runs in a private folder: the search path must be absolute.
    let folder = integration.folder();
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_owned());
    runtime
        .prepare(
            modules,
            &integration.code,
            &[folder],
            integration.manifest.script.dockerimage.clone(),
            scenario.spec.python.packages.clone(),
        )
        .await
}

/// The integration the scenario names: a YAML (or pack folder) beside the scenario, or a
/// `pypi:` location, with the code and mappers it lists.
async fn load_integration(
    scenario: &Scenario,
    runtime: &Runtime,
) -> Result<Integration, HarnessError> {
    let spec = &scenario.spec.integration;
    let invalid = |message: String| ScenarioError::invalid(&scenario.path, &spec.yaml, message);
    let yaml = match &spec.yaml.value {
        IntegrationSource::Pypi { requirement, path } => {
            // pip may download: keep it off the async workers the mock vendors answer on.
            let host = runtime.host().clone();
            let (requirement, path) = (requirement.clone(), path.clone());
            let fetched = tokio::task::spawn_blocking(move || {
                crate::pypi::resolve(&host, &requirement, &path)
            })
            .await
            .map_err(|e| HarnessError::Internal {
                path: scenario.path.clone(),
                message: format!("fetching from PyPI stopped: {e}"),
            })?;
            match fetched {
                Ok(yaml) => yaml,
                // The wheel is there but the scenario names a path it does not hold.
                Err(e @ PypiError::NotInWheel { .. }) => return Err(invalid(e.to_string()).into()),
                Err(source) => {
                    return Err(HarnessError::Fetch {
                        path: scenario.path.clone(),
                        source,
                    })
                }
            }
        }
        IntegrationSource::Path(relative) => {
            let resolved = scenario.resolve(relative);
            // A folder is a pack integration folder.
            if let Some(problem) = file_problem(&resolved, true) {
                return Err(
                    invalid(format!("integration YAML {} {problem}", resolved.display())).into(),
                );
            }
            resolved
        }
    };
    let code = resolve_all(scenario, spec.code.as_slice(), "integration code")?;
    let mappers = match &spec.mappers {
        Some(list) => Some(resolve_all(scenario, list, "mapper file")?),
        None => None,
    };
    Integration::load(
        &yaml,
        code.first().map(PathBuf::as_path),
        mappers.as_deref(),
    )
    .map_err(|e| invalid(e.to_string()).into())
}

/// Why `path` cannot be read as a file (or, with `folder_too`, a folder); `None` when it can.
fn file_problem(path: &Path, folder_too: bool) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() || (folder_too && meta.is_dir()) => None,
        Ok(meta) if meta.is_dir() => Some("is a folder; give the file"),
        Ok(_) => Some(crate::scenario::NOT_A_FILE),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("does not exist"),
        Err(_) => Some("cannot be read"),
    }
}

/// Resolves scenario-relative files that must exist.
fn resolve_all(
    scenario: &Scenario,
    given: &[serde_saphyr::Spanned<PathBuf>],
    what: &str,
) -> Result<Vec<PathBuf>, ScenarioError> {
    given
        .iter()
        .map(|item| {
            let resolved = scenario.resolve(&item.value);
            let Some(problem) = file_problem(&resolved, false) else {
                return Ok(resolved);
            };
            Err(ScenarioError::invalid(
                &scenario.path,
                item,
                format!("{what} {} {problem}", resolved.display()),
            ))
        })
        .collect()
}

/// Every command the steps run is one the integration has, and `remote` steps have a vendor
/// to act on: what only the loaded integration can tell.
fn steps_fit(scenario: &Scenario, integration: &Integration) -> Result<(), ScenarioError> {
    let manifest = &integration.manifest;
    let path = &scenario.path;
    for step in &scenario.spec.steps {
        match &step.value {
            Step::Command(command) if !manifest.knows_command(&command.name.value) => {
                let declared: Vec<&str> = manifest
                    .script
                    .commands
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(ScenarioError::invalid(
                    path,
                    &command.name,
                    format!(
                        "integration `{}` has no command `{}` (declared: {}; the server also runs test-module, fetch-incidents, get-mapping-fields and the mirroring commands)",
                        manifest.name,
                        command.name.value,
                        declared.join(", ")
                    ),
                ));
            }
            Step::Remote(remote) if scenario.spec.vendor.is_none() => {
                return Err(ScenarioError::invalid(
                    path,
                    remote,
                    "a `remote` step needs a `vendor`",
                ));
            }
            Step::Fault(fault) if scenario.spec.vendor.is_none() => {
                return Err(ScenarioError::invalid(
                    path,
                    fault,
                    "a `fault` step needs a `vendor`",
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
