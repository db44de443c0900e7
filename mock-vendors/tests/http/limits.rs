//! The bounds of a served vendor: body size, slow clients, connections, and
//! the journal ring.

use std::sync::Arc;
use std::time::Duration;

use mock_vendors::okta::{DEFAULT_TOKEN, Okta};
use mock_vendors::{Clock, Vendor};
use mock_vendors::{Limits, MockVendor, truncation_marker};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestResult, profile_body, read};

async fn okta(limits: Limits) -> Result<MockVendor, Box<dyn std::error::Error>> {
    let vendor: Arc<dyn Vendor> = Arc::new(Okta::new(Clock::default(), DEFAULT_TOKEN));
    Ok(MockVendor::start_with(vendor, None, limits).await?)
}

fn address(server: &MockVendor) -> String {
    server.address().to_string()
}

/// Reads until the server closes; the status and the JSON body.
async fn answer(stream: &mut TcpStream) -> Result<(u16, Value), Box<dyn std::error::Error>> {
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes)).await??;
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no answer head")?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or("no status")?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

async fn users_me(server: &MockVendor) -> Result<u16, reqwest::Error> {
    let reply = reqwest::Client::new()
        .get(format!("{}/api/v1/users/me", server.uri()))
        .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
        .send()
        .await?;
    Ok(reply.status().as_u16())
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_or_while_it_is_read() -> TestResult {
    let server = okta(Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    })
    .await?;
    // Announced by Content-Length: refused on the head, the body sent anyway.
    let mut stream = TcpStream::connect(address(&server)).await?;
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS {DEFAULT_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&[b' '; 4096]).await?;
    let (status, body) = answer(&mut stream).await?;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["errorCode"], "E0000002");
    assert!(
        body["errorSummary"]
            .as_str()
            .is_some_and(|summary| summary.contains("limit of 1024 bytes")),
        "{body}"
    );
    // Chunked: refused at the chunk that crosses the limit.
    let mut stream = TcpStream::connect(address(&server)).await?;
    let wire = "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                200\r\n";
    stream.write_all(wire.as_bytes()).await?;
    stream.write_all(&[b' '; 0x200]).await?;
    stream.write_all(b"\r\n400\r\n").await?;
    let (status, body) = answer(&mut stream).await?;
    assert_eq!(status, 413, "{body}");
    // Under the limit is fine, and the server goes on.
    let created = reqwest::Client::new()
        .post(format!("{}/api/v1/users", server.uri()))
        .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
        .json(&profile_body("ada@example.com"))
        .send()
        .await?;
    assert_eq!(created.status().as_u16(), 200);
    assert_eq!(users_me(&server).await?, 200);
    Ok(())
}

#[tokio::test]
async fn a_stalled_request_is_408_and_blocks_no_one() -> TestResult {
    let server = okta(Limits {
        read_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await?;
    let mut stalled = TcpStream::connect(address(&server)).await?;
    stalled
        .write_all(b"POST /api/v1/users HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")
        .await?;
    // Others are served meanwhile.
    assert_eq!(users_me(&server).await?, 200);
    let (status, body) = answer(&mut stalled).await?;
    assert_eq!(status, 408, "{body}");
    assert!(body["errorCode"].is_string(), "{body}");
    Ok(())
}

#[tokio::test]
async fn connections_over_the_limit_get_503() -> TestResult {
    let server = okta(Limits {
        max_connections: 1,
        ..Limits::default()
    })
    .await?;
    let _held = TcpStream::connect(address(&server)).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(address(&server)).await?;
    let (status, body) = answer(&mut extra).await?;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errorCode"], "E0000009");
    Ok(())
}

#[tokio::test]
async fn the_journal_is_a_ring_and_marks_say_what_was_dropped() -> TestResult {
    let server = okta(Limits {
        journal_entries: 3,
        ..Limits::default()
    })
    .await?;
    let mark = server.journal_len();
    let client = reqwest::Client::new();
    for n in 0..5 {
        client
            .get(format!("{}/api/v1/users?limit={n}", server.uri()))
            .send()
            .await?;
    }
    assert_eq!(server.journal_len(), 5);
    assert_eq!(server.journal_held(), 3);
    let queries: Vec<Option<String>> = server
        .journal()
        .await
        .into_iter()
        .map(|entry| entry.query)
        .collect();
    let expected: Vec<Option<String>> = (2..5).map(|n| Some(format!("limit={n}"))).collect();
    assert_eq!(queries, expected);
    // An old mark gets what is still held, and how much is gone.
    let window = server.journal_window(mark);
    assert_eq!((window.dropped, window.entries.len()), (2, 3));
    assert!(!window.is_complete());
    assert_eq!(server.journal_since(mark).len(), 3);
    // A recent mark is complete; a future one is empty.
    let window = server.journal_window(3);
    assert_eq!((window.dropped, window.entries.len()), (0, 2));
    assert!(server.journal_since(99).is_empty());
    Ok(())
}

#[tokio::test]
async fn journaled_bodies_are_cut_with_a_marker_and_still_redacted() -> TestResult {
    let server = okta(Limits {
        journal_body_bytes: 64,
        ..Limits::default()
    })
    .await?;
    // Secrets first, so that they fall inside the part that is kept.
    let mut body = json!({"credentials": {"password": {"value": "hunter2-hunter2"}}});
    body["profile"] = profile_body("ada@example.com")["profile"].clone();
    body["profile"]["description"] = json!("x".repeat(500));
    let reply = reqwest::Client::new()
        .post(format!("{}/api/v1/users", server.uri()))
        .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"))
        .json(&body)
        .send()
        .await?;
    let sent = serde_json::to_vec(&body)?.len();
    let _ = read(reply).await?;
    let journal = server.journal().await;
    let text = journal[0]
        .body
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(text.ends_with(&truncation_marker(sent, 64)), "{text}");
    assert!(
        text.contains("[REDACTED]") && !text.contains("hunter2"),
        "{text}"
    );
    assert_eq!(
        text.chars().count(),
        64 + truncation_marker(sent, 64).chars().count()
    );
    Ok(())
}
