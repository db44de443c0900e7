//! `mock-vendors serve` end to end: a real listener, files from disk.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use mock_vendors::cli::{Cli, run};

use crate::support::{TestResult, read};

/// A file under the temp dir, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> std::io::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("mock-vendors-http-{}-{name}", std::process::id()));
        std::fs::write(&path, text)?;
        Ok(Self(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A port nothing listens on right now.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The `mock-vendors` binary, killed when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_lays_the_faults_file_over_the_routes() -> TestResult {
    let faults = TempFile::new(
        "serve-faults.yaml",
        "- match: {method: GET, path: /api/v1/users}\n  times: 2\n  respond: rate-limit\n\
         - match: {path: /api/v1/users/me}\n  respond: {status: 503}\n",
    )?;
    let port = free_port()?;
    let _served = Served(
        std::process::Command::new(env!("CARGO_BIN_EXE_mock-vendors"))
            .args([
                "serve",
                "--vendor",
                "okta",
                "--port",
                &port.to_string(),
                "--faults",
            ])
            .arg(&faults.0)
            .stdout(std::process::Stdio::null())
            .spawn()?,
    );

    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("http://127.0.0.1:{port}/api/v1{path}"))
            .header("Authorization", "SSWS harness-okta-token")
            .send()
    };
    // Wait for the listener.
    let mut first = None;
    for _ in 0..200 {
        match get("/users").await {
            Ok(response) => {
                first = Some(read(response).await?);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let first = first.ok_or("the server never answered")?;
    assert_eq!((first.status, first.error_code()), (429, "E0000047"));
    assert_eq!(first.header("x-rate-limit-remaining"), Some("0"));
    assert!(first.header("x-rate-limit-reset").is_some());
    assert_eq!(read(get("/users").await?).await?.status, 429);
    assert_eq!(read(get("/users").await?).await?.status, 200);
    let me = read(get("/users/me").await?).await?;
    assert_eq!((me.status, me.error_code()), (503, "E0000009"));
    assert_eq!(read(get("/users/me").await?).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn serve_refuses_a_malformed_faults_file_before_listening() -> TestResult {
    let faults = TempFile::new("serve-bad-faults.yaml", "- respond: {status: 700}\n")?;
    let port = free_port()?.to_string();
    let path = faults.0.display().to_string();
    let cli = Cli::try_parse_from([
        "mock-vendors",
        "serve",
        "--vendor",
        "okta",
        "--port",
        &port,
        "--faults",
        &path,
    ])?;
    let error = run(cli).await.err().map(|error| error.to_string());
    let message = error.unwrap_or_default();
    assert!(
        message.starts_with(&format!("cannot parse the faults file {path}: ")),
        "{message}"
    );
    assert!(message.contains("line 1 column"), "{message}");
    Ok(())
}

#[tokio::test]
async fn serve_keeps_a_journal_of_journal_limit_requests_and_reset_empties_it() -> TestResult {
    let port = free_port()?;
    let _served = Served(
        std::process::Command::new(env!("CARGO_BIN_EXE_mock-vendors"))
            .args(["serve", "--vendor", "okta", "--port", &port.to_string()])
            .args(["--journal-limit", "3"])
            .stdout(std::process::Stdio::null())
            .spawn()?,
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut listening = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/__admin/state"))
            .send()
            .await
            .is_ok()
        {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening, "the server never answered");
    for n in 0..5 {
        client
            .get(format!("{base}/api/v1/users?limit={n}"))
            .send()
            .await?;
    }
    let journal = read(
        client
            .get(format!("{base}/__admin/journal?since=0"))
            .send()
            .await?,
    )
    .await?;
    let queries: Vec<&str> = journal
        .body
        .as_array()
        .map(|entries| entries.iter().filter_map(|e| e["query"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(queries, ["limit=2", "limit=3", "limit=4"]);
    assert_eq!(journal.header("x-journal-dropped"), Some("2"));
    assert_eq!(journal.header("x-journal-next"), Some("5"));

    let reset = client.post(format!("{base}/__admin/reset")).send().await?;
    assert_eq!(reset.status().as_u16(), 204);
    let journal = read(client.get(format!("{base}/__admin/journal")).send().await?).await?;
    assert_eq!(journal.body, serde_json::json!([]));
    Ok(())
}
