//! Memory and throughput of a long-running Okta mock.
//!
//! Starts the Okta mock in-process (its server runs on its own thread, as
//! `mock-vendors serve` does), sends `MOCK_BENCH_REQUESTS` requests
//! (default 1 000 000) from `MOCK_BENCH_TASKS` concurrent clients (default
//! 4) over keep-alive connections, and prints the process's resident memory
//! (`VmRSS`) before, at each quarter and after, with the requests per
//! second. The mix, per 20 requests: 12 `GET /api/v1/users`, 7 profile
//! updates (`POST /api/v1/users/{id}` with a ~2 KB body) and one refused
//! create carrying a ~100 KB body (a duplicate login: 400), so that the
//! vendor's own state stays the same size and only the server and its
//! journal could grow.
//!
//! ```text
//! cargo bench -p mock-vendors --bench memory
//! MOCK_BENCH_REQUESTS=100000 cargo bench -p mock-vendors --bench memory
//! ```
//!
//! Not part of `cargo test` (`harness = false`, `test = false`); it talks
//! only to 127.0.0.1 and stops by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mock_vendors::okta::DEFAULT_TOKEN;
use mock_vendors::{Clock, MockVendor, VendorKind, create};
use serde_json::{Value, json};

type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The process's resident set size, from `/proc/self/status`.
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .map(|line| line.trim_start_matches("VmRSS:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".to_owned())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() -> BenchResult {
    let total = env_number("MOCK_BENCH_REQUESTS", 1_000_000);
    let tasks = env_number("MOCK_BENCH_TASKS", 4).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(total, tasks))
}

async fn run(total: u64, tasks: u64) -> BenchResult {
    let vendor = create(VendorKind::Okta, Clock::default(), None)?;
    let server = Arc::new(MockVendor::start(vendor).await);
    let base = format!("{}/api/v1", server.uri());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::try_from(tasks)?)
        .build()?;
    let auth = format!("SSWS {DEFAULT_TOKEN}");
    let me: Value = client
        .get(format!("{base}/users/me"))
        .header("Authorization", &auth)
        .send()
        .await?
        .json()
        .await?;
    let admin = me["id"].as_str().ok_or("no admin id")?.to_owned();
    let login = me["profile"]["login"]
        .as_str()
        .ok_or("no admin login")?
        .to_owned();

    println!("requests: {total}, concurrent clients: {tasks}");
    println!("VmRSS before:        {}", rss());
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..tasks {
        let (client, base, auth, admin, login) = (
            client.clone(),
            base.clone(),
            auth.clone(),
            admin.clone(),
            login.clone(),
        );
        let (sent, failed) = (Arc::clone(&sent), Arc::clone(&failed));
        workers.push(tokio::spawn(async move {
            let update = json!({"profile": {"title": "x".repeat(2_000)}});
            let big = json!({"profile": {"login": login, "email": login, "firstName": "Dup",
                "lastName": "Licate", "description": "y".repeat(100_000)}});
            loop {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let request = match n % 20 {
                    0..=11 => client.get(format!("{base}/users?limit=5")),
                    12..=18 => client.post(format!("{base}/users/{admin}")).json(&update),
                    _ => client
                        .post(format!("{base}/users?activate=false"))
                        .json(&big),
                };
                let ok = match request.header("Authorization", &auth).send().await {
                    Ok(response) => response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let reporter = {
        let (sent, server) = (Arc::clone(&sent), Arc::clone(&server));
        tokio::spawn(async move {
            let mut next = 1;
            while next < 4 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let done = sent.load(Ordering::Relaxed).min(total);
                if done >= total * next / 4 {
                    println!(
                        "VmRSS at {:>3}% ({done:>8} requests): {}  (journal holds {})",
                        25 * next,
                        rss(),
                        server.journal_held()
                    );
                    next += 1;
                }
            }
        })
    };
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed();
    reporter.abort();
    println!(
        "VmRSS after:         {}  (journal holds {}, {} journaled in all)",
        rss(),
        server.journal_held(),
        server.journal_len()
    );
    let failures = failed.load(Ordering::Relaxed);
    println!(
        "{total} requests in {:.1} s: {:.0} requests/s, {failures} failed",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
