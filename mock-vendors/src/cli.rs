//! The `mock-vendors` command line: serve one vendor standalone.
//!
//! ```text
//! mock-vendors serve --vendor okta --port 8080 [--seed users.yaml] [--token T]
//! mock-vendors serve --vendor servicenow --port 8081 [--seed incidents.yaml] [--token user:password]
//! mock-vendors serve --vendor stub --port 8082 --stubs stubs.yaml
//! mock-vendors serve --vendor xsoar --port 8083 [--seed incidents.yaml] [--token API_KEY]
//! mock-vendors serve --vendor okta --port 8080 --faults faults.yaml
//! ```
//!
//! The request journal (`GET /__admin/journal`) is a ring: it holds the
//! latest `--journal-limit N` requests (default 10 000), each body cut at
//! 64 KiB with a marker, and `POST /__admin/reset` empties it, so a long
//! session's memory stays flat.
//!
//! `--stubs` (a YAML or JSON list of [`Stub`]s) works with every vendor:
//! over a stateful one it overrides single routes.
//!
//! `--faults FILE` (a YAML or JSON list of the built-in [`Fault`]s, the
//! shape scenarios use under `vendor.faults`) lays faults over the routes
//! the way scenarios do: above the stubs and the default routes, the first
//! listed answering first, each for its `times` matching requests (default
//! 1). For example, to see how a client backs off from two rate-limited
//! list calls and survives a dropped lifecycle call:
//!
//! ```yaml
//! - match: {method: GET, path: /api/v1/users}
//!   times: 2
//!   respond: rate-limit
//! - match: {path: /api/v1/users/*/lifecycle/**}
//!   respond: drop
//! - respond: {delay: 2s}     # the next request of any kind answers late
//! ```
//!
//! A file that cannot be read or parsed stops the command before anything
//! listens, with an error naming the file (and the line and column of a
//! parse error).
//!
//! The binary is a thin `main` around [`Cli`] and [`run`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

use crate::clock::Clock;
use crate::faults::Fault;
use crate::kit::vendor::{SeedError, UnknownVendor, VendorKind};
use crate::mock_vendor::{Limits, MockVendor};
use crate::okta;
use crate::registry::{self, CreateError};
use crate::servicenow;
use crate::stubs::{Stub, StubError};
use crate::xsoar;

/// How often the standalone clock catches up with the wall clock.
const CLOCK_TICK: Duration = Duration::from_millis(200);

/// The parsed command line.
//
// `about` and `long_about` are set here because clap would otherwise take
// the whole doc comment, examples and all, as the long help.
#[derive(Debug, Parser)]
#[command(
    name = "mock-vendors",
    version,
    about = "Stateful mock vendor APIs for contract-testing XSOAR integrations.",
    long_about = "Stateful mock vendor APIs (Okta-like, ServiceNow-like, a remote XSOAR server, or stubs only) for \
contract-testing XSOAR integrations.\n\n\
Serve one vendor standalone, with its admin routes (/__admin/state, /__admin/reset, \
/__admin/journal, /__admin/seed), until Ctrl-C:\n\n  \
mock-vendors serve --vendor okta --port 8080 [--seed users.yaml] [--token T]\n  \
mock-vendors serve --vendor stub --port 8082 --stubs stubs.yaml\n  \
mock-vendors serve --vendor xsoar --port 8083 [--seed incidents.yaml] [--token API_KEY]"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
///
/// ```
/// use clap::Parser;
/// use mock_vendors::cli::{Cli, Command};
///
/// let cli = Cli::parse_from(["mock-vendors", "serve", "--vendor", "okta", "--port", "0"]);
/// assert!(matches!(cli.command, Command::Serve(_)));
/// ```
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve one vendor on 127.0.0.1 until Ctrl-C, with the admin routes.
    Serve(ServeArgs),
}

/// Arguments of `mock-vendors serve`.
///
/// ```
/// use clap::Parser;
/// use mock_vendors::cli::{Cli, Command};
/// use mock_vendors::VendorKind;
///
/// let cli = Cli::parse_from([
///     "mock-vendors", "serve", "--vendor", "okta", "--port", "8080", "--seed", "users.yaml",
/// ]);
/// let Command::Serve(args) = cli.command;
/// assert_eq!((args.vendor, args.port), (VendorKind::Okta, 8080));
/// assert_eq!(args.token, None);
/// ```
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The vendor to serve: okta, servicenow, stub or xsoar (only --stubs answer).
    #[arg(long, value_parser = parse_vendor)]
    pub vendor: VendorKind,
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long)]
    pub port: u16,
    /// A seed file, YAML or JSON, in the vendor's seed shape.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// The credential clients must present: Okta's API token,
    /// `user:password` for ServiceNow, the API key for XSOAR (default: the
    /// vendor's default).
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// A YAML or JSON list of stubs laid over the vendor's routes (the
    /// whole API of the stub vendor).
    #[arg(long, value_name = "FILE")]
    pub stubs: Option<PathBuf>,
    /// A YAML or JSON list of faults (as under a scenario's
    /// `vendor.faults`) laid over the routes, stubs included.
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// How many requests the journal holds (the oldest leave first; 0
    /// keeps none).
    #[arg(long, value_name = "N", default_value_t = Limits::default().journal_entries)]
    pub journal_limit: usize,
}

fn parse_vendor(text: &str) -> Result<VendorKind, UnknownVendor> {
    text.parse()
}

/// Why `mock-vendors` stopped with an error.
///
/// ```
/// use mock_vendors::cli::CliError;
/// use mock_vendors::{create, Clock, VendorKind};
///
/// let refused = create(VendorKind::Stub, Clock::default(), Some("t0ken".into())).err();
/// let error = CliError::from(refused.ok_or("the stub vendor takes no token")?);
/// assert_eq!(error.exit_code(), std::process::ExitCode::from(2));
/// assert!(error.to_string().starts_with("invalid credentials for the stub mock vendor"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The vendor cannot be built.
    #[error(transparent)]
    Vendor(#[from] CreateError),
    /// The seed file cannot be read.
    #[error("cannot read the seed file {path}: {source}")]
    ReadSeed {
        /// The seed file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The seed file is not YAML or JSON.
    #[error("cannot parse the seed file {path}: {source}")]
    ParseSeed {
        /// The seed file.
        path: PathBuf,
        /// The parse error, with line and column.
        source: Box<serde_saphyr::Error>,
    },
    /// The vendor refused the seed.
    #[error("the seed file {path} was refused: {source}")]
    Seed {
        /// The seed file.
        path: PathBuf,
        /// Why.
        source: SeedError,
    },
    /// The stubs file cannot be read.
    #[error("cannot read the stubs file {path}: {source}")]
    ReadStubs {
        /// The stubs file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The stubs file is not a YAML or JSON list of valid stubs.
    #[error("cannot parse the stubs file {path}: {source}")]
    ParseStubs {
        /// The stubs file.
        path: PathBuf,
        /// The parse or validation error, with line and column.
        source: Box<serde_saphyr::Error>,
    },
    /// A stub could not be mounted.
    #[error("the stubs file {path} holds an invalid stub: {source}")]
    Stub {
        /// The stubs file.
        path: PathBuf,
        /// Why.
        source: StubError,
    },
    /// The faults file cannot be read.
    #[error("cannot read the faults file {path}: {source}")]
    ReadFaults {
        /// The faults file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The faults file is not a YAML or JSON list of faults.
    #[error("cannot parse the faults file {path}: {source}")]
    ParseFaults {
        /// The faults file.
        path: PathBuf,
        /// The parse error, with line and column.
        source: Box<serde_saphyr::Error>,
    },
    /// The port cannot be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The requested port.
        port: u16,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

impl CliError {
    /// 2 for a vendor that is not available (a usage problem, like clap's
    /// own errors), 1 for everything else.
    ///
    /// ```
    /// use mock_vendors::cli::CliError;
    ///
    /// let error = CliError::Signal(std::io::Error::other("no signals here"));
    /// assert_eq!(error.exit_code(), std::process::ExitCode::FAILURE);
    /// ```
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Vendor(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// Runs a parsed command line to completion.
///
/// # Errors
///
/// A [`CliError`] when the vendor, the seed file or the port is unusable;
/// [`CliError::exit_code`] says how the process should exit.
///
/// ```no_run
/// # async fn example() -> Result<(), mock_vendors::cli::CliError> {
/// use clap::Parser;
/// use mock_vendors::cli::{run, Cli};
///
/// run(Cli::parse_from(["mock-vendors", "serve", "--vendor", "okta", "--port", "8080"])).await?;
/// # Ok(())
/// # }
/// ```
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let clock = Clock::new(wall_clock_millis());
    let vendor = registry::create(args.vendor, clock.clone(), args.token.clone())?;
    if let Some(path) = &args.seed {
        let seed = load_seed(path)?;
        vendor.seed(&seed).map_err(|source| CliError::Seed {
            path: path.clone(),
            source,
        })?;
    }
    // Read before binding, so a bad file fails before anything listens.
    let stubs = match &args.stubs {
        Some(path) => load_stubs(path)?,
        None => Vec::new(),
    };
    let faults = match &args.faults {
        Some(path) => load_faults(path)?,
        None => Vec::new(),
    };
    let listener =
        std::net::TcpListener::bind(("127.0.0.1", args.port)).map_err(|source| CliError::Bind {
            port: args.port,
            source,
        })?;
    let limits = Limits {
        journal_entries: args.journal_limit,
        ..Limits::default()
    };
    let server = MockVendor::start_with(vendor, Some(listener), limits)
        .await
        .map_err(|source| CliError::Bind {
            port: args.port,
            source,
        })?;
    server.mount_admin().await;
    for stub in &stubs {
        server.stub(stub).await.map_err(|source| CliError::Stub {
            path: args.stubs.clone().unwrap_or_default(),
            source,
        })?;
    }
    for fault in &faults {
        server.inject(fault).await;
    }
    // A person pointing a real client at the mock expects time to pass.
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(CLOCK_TICK);
        loop {
            interval.tick().await;
            clock.set_millis(wall_clock_millis());
        }
    });
    print_banner(&server, &args, stubs.len(), faults.len());
    let stopped = tokio::signal::ctrl_c().await.map_err(CliError::Signal);
    ticker.abort();
    println!("mock-vendors: stopped");
    stopped
}

fn print_banner(server: &MockVendor, args: &ServeArgs, stubs: usize, faults: usize) {
    let uri = server.uri();
    println!("mock-vendors: {} listening on {uri}", args.vendor);
    match args.vendor {
        VendorKind::Okta => {
            let token = match &args.token {
                Some(_) => "<the --token value>",
                None => okta::DEFAULT_TOKEN,
            };
            println!("  API:   {uri}/api/v1  (Authorization: SSWS {token})");
        }
        VendorKind::ServiceNow => {
            let credentials = match &args.token {
                Some(_) => "<the --token user:password>",
                None => servicenow::DEFAULT_CREDENTIALS,
            };
            println!("  API:   {uri}/api/now  (Basic {credentials})");
            println!(
                "  OAuth: POST {uri}/oauth_token.do  (client_id {}, client_secret {})",
                servicenow::DEFAULT_OAUTH_CLIENT_ID,
                servicenow::DEFAULT_OAUTH_CLIENT_SECRET,
            );
        }
        VendorKind::Xsoar => {
            let key = match &args.token {
                Some(_) => "<the --token value>",
                None => xsoar::DEFAULT_API_KEY,
            };
            println!("  API:   {uri}  (Authorization: {key})");
        }
        VendorKind::Stub => {
            println!(
                "  API:   {uri}/...  (only the stubs answer; anything else: 404 naming the request)"
            );
        }
    }
    if let Some(path) = &args.stubs {
        println!("  stubs: {stubs} from {}", path.display());
    }
    if let Some(path) = &args.faults {
        println!("  faults: {faults} from {}", path.display());
    }
    for (method, path) in MockVendor::admin_routes() {
        println!("  admin: {method:<4} {uri}{path}");
    }
    println!(
        "  journal: the latest {} requests (--journal-limit)",
        server.limits().journal_entries
    );
    println!("Press Ctrl-C to stop.");
}

/// Reads a YAML or JSON seed file into JSON.
fn load_seed(path: &Path) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadSeed {
        path: path.to_owned(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|source| CliError::ParseSeed {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// Reads a YAML or JSON list of stubs (validated while parsed).
fn load_stubs(path: &Path) -> Result<Vec<Stub>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadStubs {
        path: path.to_owned(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|source| CliError::ParseStubs {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

/// Reads a YAML or JSON list of faults.
fn load_faults(path: &Path) -> Result<Vec<Fault>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFaults {
        path: path.to_owned(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|source| CliError::ParseFaults {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

fn wall_clock_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultResponse;

    /// A file under the temp dir, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, text: &str) -> std::io::Result<Self> {
            let path =
                std::env::temp_dir().join(format!("mock-vendors-{}-{name}", std::process::id()));
            std::fs::write(&path, text)?;
            Ok(Self(path))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn serve_takes_a_stubs_file() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "mock-vendors",
            "serve",
            "--vendor",
            "stub",
            "--port",
            "0",
            "--stubs",
            "stubs.yaml",
        ])?;
        let Command::Serve(args) = cli.command;
        assert_eq!(args.vendor, VendorKind::Stub);
        assert_eq!(args.stubs, Some(PathBuf::from("stubs.yaml")));
        Ok(())
    }

    #[test]
    fn stubs_files_load_or_say_where_they_are_wrong() -> std::io::Result<()> {
        let good = TempFile::new(
            "good.yaml",
            "- match: {path: /ping}\n  respond: {body: pong}\n- respond: {status: 404}\n",
        )?;
        let stubs = load_stubs(&good.0).map_err(std::io::Error::other)?;
        assert_eq!(stubs.len(), 2);

        let bad = TempFile::new("bad.yaml", "- respond: {json: {}, body: x}\n")?;
        let error = load_stubs(&bad.0).err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("cannot parse the stubs file")
                    && e.contains("respond has both json and body")),
            "{error:?}"
        );

        let missing = load_stubs(Path::new("/nonexistent/stubs.yaml"));
        assert!(matches!(missing, Err(CliError::ReadStubs { .. })));
        Ok(())
    }

    #[test]
    fn serve_takes_a_journal_limit() -> Result<(), clap::Error> {
        let parse = |extra: &[&str]| {
            let mut line = vec!["mock-vendors", "serve", "--vendor", "okta", "--port", "0"];
            line.extend_from_slice(extra);
            Cli::try_parse_from(line).map(|cli| {
                let Command::Serve(args) = cli.command;
                args.journal_limit
            })
        };
        assert_eq!(parse(&[])?, 10_000);
        assert_eq!(parse(&["--journal-limit", "25"])?, 25);
        assert!(parse(&["--journal-limit", "-1"]).is_err());
        Ok(())
    }

    #[test]
    fn serve_takes_a_faults_file() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "mock-vendors",
            "serve",
            "--vendor",
            "okta",
            "--port",
            "0",
            "--faults",
            "faults.yaml",
        ])?;
        let Command::Serve(args) = cli.command;
        assert_eq!(args.faults, Some(PathBuf::from("faults.yaml")));
        assert_eq!(args.stubs, None);
        Ok(())
    }

    #[test]
    fn faults_files_load_as_yaml_or_json() -> std::io::Result<()> {
        let yaml = TempFile::new(
            "faults.yaml",
            "- match: {method: GET, path: /api/v1/users}\n  times: 2\n  respond: rate-limit\n\
             - respond: {status: 503}\n\
             - match: {path: /api/v1/users/*/lifecycle/**}\n  respond: drop\n",
        )?;
        let faults = load_faults(&yaml.0).map_err(std::io::Error::other)?;
        assert_eq!(
            faults,
            [
                Fault::new(FaultResponse::RateLimit)
                    .method("GET")
                    .path("/api/v1/users")
                    .times(2),
                Fault::new(FaultResponse::Status(503)),
                Fault::new(FaultResponse::Drop).path("/api/v1/users/*/lifecycle/**"),
            ]
        );
        let json = TempFile::new(
            "faults.json",
            r#"[{"respond": {"delay": "250ms"}, "times": 3}]"#,
        )?;
        let faults = load_faults(&json.0).map_err(std::io::Error::other)?;
        assert_eq!(
            faults,
            [Fault::new(FaultResponse::Delay(Duration::from_millis(250).into())).times(3)]
        );
        let empty = TempFile::new("faults-empty.yaml", "[]")?;
        assert_eq!(load_faults(&empty.0).map_err(std::io::Error::other)?, []);
        Ok(())
    }

    #[test]
    fn bad_faults_files_name_the_file_and_where() -> std::io::Result<()> {
        let bad = TempFile::new(
            "faults-bad.yaml",
            "- respond: rate-limit\n- respond: {status: 700}\n",
        )?;
        let error = load_faults(&bad.0).err();
        assert!(
            matches!(error, Some(CliError::ParseFaults { .. })),
            "{error:?}"
        );
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        let file = bad.0.display().to_string();
        assert!(
            message.starts_with(&format!("cannot parse the faults file {file}: ")),
            "{message}"
        );
        assert!(message.contains("status 700"), "{message}");
        assert!(message.contains("line 2"), "{message}");

        let unknown = TempFile::new("faults-unknown.yaml", "- respond: explode\n")?;
        let message = load_faults(&unknown.0).err().map(|e| e.to_string());
        assert!(
            message
                .as_deref()
                .is_some_and(|m| m.contains("explode") && m.contains("faults-unknown.yaml")),
            "{message:?}"
        );

        let not_a_list = TempFile::new("faults-map.yaml", "respond: drop\n")?;
        assert!(matches!(
            load_faults(&not_a_list.0),
            Err(CliError::ParseFaults { .. })
        ));

        let missing = load_faults(Path::new("/nonexistent/faults.yaml"));
        let message = missing.as_ref().err().map(ToString::to_string);
        assert!(matches!(missing, Err(CliError::ReadFaults { .. })));
        assert!(
            message.as_deref().is_some_and(
                |m| m.starts_with("cannot read the faults file /nonexistent/faults.yaml")
            ),
            "{message:?}"
        );
        Ok(())
    }
}
