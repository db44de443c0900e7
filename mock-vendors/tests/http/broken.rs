//! Broken requests sent as raw bytes over TCP: every one gets a status and
//! the vendor's error body (never a panic, never a silent close), and the
//! server goes on answering.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::servicenow_support::SnApi;
use crate::support::{OktaApi, TestResult};

/// `Authorization` for the Okta mock's default token.
const OKTA_AUTH: &str = "Authorization: SSWS harness-okta-token\r\n";
/// `Authorization` for the ServiceNow mock's default user (`harness:harness-password`).
const SN_AUTH: &str = "Authorization: Basic aGFybmVzczpoYXJuZXNzLXBhc3N3b3Jk\r\n";

/// One answer read off the wire.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `bytes` on a fresh connection, optionally closes the sending side,
/// and reads the answer until the server closes the connection.
async fn send(
    uri: &str,
    bytes: &[u8],
    half_close: bool,
) -> Result<Raw, Box<dyn std::error::Error>> {
    let address = uri.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(bytes).await?;
    if half_close {
        stream.shutdown().await?;
    }
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await??;
    parse(&answer)
}

fn parse(answer: &[u8]) -> Result<Raw, Box<dyn std::error::Error>> {
    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| format!("no answer head in {:?}", String::from_utf8_lossy(answer)))?;
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let body = serde_json::from_slice(&answer[split + 4..]).unwrap_or(Value::Null);
    Ok(Raw { status, head, body })
}

/// The Okta error shape, with this code.
fn assert_okta_error(raw: &Raw, status: u16, code: &str) {
    assert_eq!(raw.status, status, "{raw:?}");
    assert_eq!(raw.body["errorCode"], code, "{raw:?}");
    assert_eq!(raw.body["errorLink"], code, "{raw:?}");
    assert!(raw.body["errorSummary"].is_string(), "{raw:?}");
    assert!(raw.body["errorId"].is_string(), "{raw:?}");
    assert!(raw.body["errorCauses"].is_array(), "{raw:?}");
    assert_eq!(raw.header("content-type"), Some("application/json"));
}

/// The ServiceNow error shape, with this message.
fn assert_servicenow_error(raw: &Raw, status: u16, message: &str) {
    assert_eq!(raw.status, status, "{raw:?}");
    assert_eq!(raw.body["status"], "failure", "{raw:?}");
    assert_eq!(raw.body["error"]["message"], message, "{raw:?}");
    assert!(raw.body["error"]["detail"].is_string(), "{raw:?}");
}

/// A normal request still gets a normal answer.
async fn okta_still_answers(api: &OktaApi) -> TestResult {
    assert_eq!(api.get("/users/me").await?.status, 200);
    Ok(())
}

async fn servicenow_still_answers(api: &SnApi) -> TestResult {
    let reply = api
        .authed(reqwest::Method::GET, "/api/now/table/incident")
        .send()
        .await?;
    assert_eq!(reply.status().as_u16(), 200);
    Ok(())
}

#[tokio::test]
async fn a_malformed_chunk_size_line_is_okta_400_e0000003() -> TestResult {
    let api = OktaApi::start().await;
    let wire = format!(
        "POST /api/v1/users?activate=false HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let raw = send(&api.server.uri(), wire.as_bytes(), false).await?;
    assert_okta_error(&raw, 400, "E0000003");
    assert_eq!(
        raw.body["errorSummary"],
        "The request body was not well-formed."
    );
    assert!(
        raw.body["errorCauses"][0]["errorSummary"]
            .as_str()
            .is_some_and(|cause| cause.contains("not hexadecimal")),
        "{raw:?}"
    );
    assert_eq!(raw.header("connection"), Some("close"));
    // Nothing reached the vendor.
    assert_eq!(api.server.journal().await.len(), 0);
    okta_still_answers(&api).await
}

#[tokio::test]
async fn a_chunk_longer_than_its_size_is_servicenow_400() -> TestResult {
    let api = SnApi::start().await;
    let wire = format!(
        "POST /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{\"a\":1}}\r\n0\r\n\r\n"
    );
    let raw = send(&api.server.uri(), wire.as_bytes(), false).await?;
    assert_servicenow_error(&raw, 400, "Exception while reading request");
    servicenow_still_answers(&api).await
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_then_a_half_close_is_400() -> TestResult {
    let api = OktaApi::start().await;
    let wire = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"profile\":"
    );
    let raw = send(&api.server.uri(), wire.as_bytes(), true).await?;
    assert_okta_error(&raw, 400, "E0000003");
    assert!(
        raw.body["errorCauses"][0]["errorSummary"]
            .as_str()
            .is_some_and(|cause| cause.contains("after 11 of the 100 bytes")),
        "{raw:?}"
    );
    okta_still_answers(&api).await?;

    let sn = SnApi::start().await;
    let wire = format!(
        "PATCH /api/now/table/incident/x HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{{\"state\""
    );
    let raw = send(&sn.server.uri(), wire.as_bytes(), true).await?;
    assert_servicenow_error(&raw, 400, "Exception while reading request");
    // A chunked body cut before its last chunk, too.
    let wire = format!(
        "POST /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Transfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":"
    );
    let raw = send(&sn.server.uri(), wire.as_bytes(), true).await?;
    assert_servicenow_error(&raw, 400, "Exception while reading request");
    servicenow_still_answers(&sn).await
}

#[tokio::test]
async fn a_100_kb_header_is_431_in_the_vendor_format() -> TestResult {
    let api = OktaApi::start().await;
    let huge = "a".repeat(100 * 1024);
    let wire = format!(
        "GET /api/v1/users/me HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}X-Huge: {huge}\r\n\r\n"
    );
    let raw = send(&api.server.uri(), wire.as_bytes(), false).await?;
    assert_okta_error(&raw, 431, "E0000002");
    okta_still_answers(&api).await?;

    let sn = SnApi::start().await;
    let wire =
        format!("GET /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\nCookie: {huge}\r\n\r\n");
    let raw = send(&sn.server.uri(), wire.as_bytes(), false).await?;
    assert_servicenow_error(&raw, 431, "Request Header Fields Too Large");
    servicenow_still_answers(&sn).await
}

#[tokio::test]
async fn invalid_utf8_json_is_the_vendors_bad_body_error() -> TestResult {
    let api = OktaApi::start().await;
    let body = b"{\"profile\": {\"login\": \"\xff\xfe@example.com\"}}";
    let mut wire = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    let raw = send(&api.server.uri(), &wire, false).await?;
    assert_okta_error(&raw, 400, "E0000003");
    okta_still_answers(&api).await?;

    let sn = SnApi::start().await;
    let body = b"{\"short_description\": \"\xc3\x28\"}";
    let mut wire = format!(
        "POST /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    wire.extend_from_slice(body);
    let raw = send(&sn.server.uri(), &wire, false).await?;
    assert_servicenow_error(&raw, 400, "Exception while reading request");
    servicenow_still_answers(&sn).await
}

#[tokio::test]
async fn a_non_json_content_type_is_415() -> TestResult {
    let api = OktaApi::start().await;
    let body = r#"{"profile": {"login": "ada@example.com"}}"#;
    let wire = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let raw = send(&api.server.uri(), wire.as_bytes(), false).await?;
    assert_okta_error(&raw, 415, "E0000021");

    let sn = SnApi::start().await;
    let body = "short_description=x";
    let wire = format!(
        "POST /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let raw = send(&sn.server.uri(), wire.as_bytes(), false).await?;
    assert_servicenow_error(&raw, 415, "Requested media type is not supported");

    // No Content-Type at all still reads as JSON (what clients that forget it get).
    let body = r#"{"short_description": "no type"}"#;
    let wire = format!(
        "POST /api/now/table/incident HTTP/1.1\r\nHost: sn.test\r\n{SN_AUTH}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let raw = send(&sn.server.uri(), wire.as_bytes(), false).await?;
    assert_eq!(raw.status, 201, "{raw:?}");
    assert_eq!(raw.body["result"]["short_description"], "no type");
    Ok(())
}

#[tokio::test]
async fn broken_heads_get_an_answer() -> TestResult {
    let api = OktaApi::start().await;
    let cases: [(&[u8], u16); 5] = [
        (b"GET /api/v1/users HTTP/1.1\r\nBad Header\r\n\r\n", 400),
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
            400,
        ),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        (
            b"POST /api/v1/users HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
            400,
        ),
        (
            b"POST /api/v1/users HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
        ),
    ];
    for (wire, status) in cases {
        let raw = send(&api.server.uri(), wire, false).await?;
        assert_eq!(
            raw.status,
            status,
            "{:?}: {raw:?}",
            String::from_utf8_lossy(wire)
        );
        assert!(raw.body["errorCode"].is_string(), "{raw:?}");
    }
    // A head cut short by the client is still answered.
    let raw = send(
        &api.server.uri(),
        b"GET /api/v1/users HTTP/1.1\r\nHost: x",
        true,
    )
    .await?;
    assert_okta_error(&raw, 400, "E0000002");
    okta_still_answers(&api).await
}

#[tokio::test]
async fn keep_alive_and_pipelining_still_work() -> TestResult {
    let api = OktaApi::start().await;
    let one = format!("GET /api/v1/users/me HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\r\n");
    let last = format!(
        "GET /api/v1/users/me HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}Connection: close\r\n\r\n"
    );
    let wire = format!("{one}{one}{last}");
    let address = api.server.uri().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(wire.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await??;
    let text = String::from_utf8_lossy(&answer);
    assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{text}");
    // Only the last answer closes the connection.
    let closes: Vec<bool> = text
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| answer.contains("connection: close"))
        .collect();
    assert_eq!(closes, [false, false, true], "{text}");
    assert_eq!(
        text.matches(r#""login":"admin@harness.example""#).count(),
        3
    );
    assert_eq!(api.server.journal().await.len(), 3);
    Ok(())
}

#[tokio::test]
async fn expect_100_continue_is_honoured_and_too_many_headers_are_431() -> TestResult {
    let api = OktaApi::start().await;
    let body = serde_json::to_string(&crate::support::profile_body("ada@example.com"))?;
    let address = api.server.uri().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await?;
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nHost: okta.test\r\n{OKTA_AUTH}\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    let mut interim = [0; 25];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut interim)).await??;
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await??;
    let raw = parse(&answer)?;
    assert_eq!(raw.status, 200, "{raw:?}");
    assert_eq!(raw.body["profile"]["login"], "ada@example.com");

    let many: String = (0..150).map(|n| format!("X-H{n}: {n}\r\n")).collect();
    let wire = format!("GET /api/v1/users/me HTTP/1.1\r\nHost: okta.test\r\n{many}\r\n");
    let raw = send(&api.server.uri(), wire.as_bytes(), false).await?;
    assert_okta_error(&raw, 431, "E0000002");
    okta_still_answers(&api).await
}
