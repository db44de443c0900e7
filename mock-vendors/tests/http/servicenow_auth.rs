//! Basic credentials, the OAuth token endpoint, bearer tokens, and faults.

use std::time::Duration;

use mock_vendors::servicenow::{
    DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, RATE_LIMIT_MESSAGE, RATE_LIMIT_RULE,
};
use mock_vendors::{Fault, FaultResponse};
use reqwest::Method;
use serde_json::{Value, json};

use crate::servicenow_support::{PASSWORD, SnApi, USER, message};
use crate::support::{Reply, TestResult};

const NOT_AUTHENTICATED: &str = "User Not Authenticated";

#[tokio::test]
async fn basic_auth_failures() -> TestResult {
    let api = SnApi::start().await;
    let path = "/api/now/table/incident";
    let attempts = [
        api.raw(Method::GET, path),
        api.raw(Method::GET, path).basic_auth(USER, Some("wrong")),
        api.raw(Method::GET, path)
            .basic_auth("someone", Some(PASSWORD)),
        api.raw(Method::GET, path)
            .header("Authorization", "Basic !!!"),
        api.raw(Method::GET, path).bearer_auth("not-a-token"),
        api.raw(Method::GET, "/api/now/attachment"),
        api.raw(Method::POST, "/api/now/attachment/upload"),
        api.raw(Method::GET, "/api/now/nothing"),
    ];
    for attempt in attempts {
        let reply = api.send(attempt).await?;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.body,
            json!({
                "error": {"message": NOT_AUTHENTICATED, "detail": "Required to provide Auth information"},
                "status": "failure",
            })
        );
    }
    // User names ignore case, as the instance's logins do.
    let upper = api
        .send(
            api.raw(Method::GET, path)
                .basic_auth("HARNESS", Some(PASSWORD)),
        )
        .await?;
    assert_eq!(upper.status, 200);
    Ok(())
}

async fn token(api: &SnApi, form: &[(&str, &str)]) -> Result<Reply, reqwest::Error> {
    let body: Vec<String> = form
        .iter()
        .map(|(name, value)| format!("{name}={}", value.replace('@', "%40").replace(' ', "+")))
        .collect();
    api.send(
        api.raw(Method::POST, "/oauth_token.do")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.join("&")),
    )
    .await
}

fn password_grant(password: &str) -> [(&str, &str); 5] {
    [
        ("client_id", DEFAULT_OAUTH_CLIENT_ID),
        ("client_secret", DEFAULT_OAUTH_CLIENT_SECRET),
        ("username", USER),
        ("password", password),
        ("grant_type", "password"),
    ]
}

fn text(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn oauth_password_refresh_and_bearer() -> TestResult {
    let api = SnApi::start().await;
    let granted = token(&api, &password_grant(PASSWORD)).await?;
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["token_type"], "Bearer");
    assert_eq!(granted.body["expires_in"], 1799);
    assert_eq!(granted.body["scope"], "useraccount");
    let access = text(&granted.body, "access_token");
    let refresh = text(&granted.body, "refresh_token");
    assert!(!access.is_empty() && !refresh.is_empty());

    let created = api
        .send(
            api.raw(Method::POST, "/api/now/table/incident")
                .bearer_auth(&access)
                .json(&json!({})),
        )
        .await?;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["result"]["sys_created_by"], USER);

    // Expiry follows the virtual clock.
    api.clock.advance(Duration::from_secs(1_799));
    let expired = api
        .send(
            api.raw(Method::GET, "/api/now/table/incident")
                .bearer_auth(&access),
        )
        .await?;
    assert_eq!(
        (expired.status, message(&expired)),
        (401, NOT_AUTHENTICATED)
    );

    let refreshed = token(
        &api,
        &[
            ("client_id", DEFAULT_OAUTH_CLIENT_ID),
            ("client_secret", DEFAULT_OAUTH_CLIENT_SECRET),
            ("refresh_token", &refresh),
            ("grant_type", "refresh_token"),
        ],
    )
    .await?;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
    assert_eq!(text(&refreshed.body, "refresh_token"), refresh);
    let renewed = text(&refreshed.body, "access_token");
    assert_ne!(renewed, access);
    let listed = api
        .send(
            api.raw(Method::GET, "/api/now/table/incident")
                .bearer_auth(&renewed),
        )
        .await?;
    assert_eq!(listed.status, 200);

    // The token endpoint's secrets stay out of the journal.
    let journal = serde_json::to_string(&api.server.journal().await)?;
    assert!(!journal.contains(PASSWORD));
    assert!(!journal.contains(&refresh));
    Ok(())
}

#[tokio::test]
async fn oauth_refusals() -> TestResult {
    let api = SnApi::start().await;
    let wrong_password = token(&api, &password_grant("nope")).await?;
    assert_eq!(wrong_password.status, 401);
    assert_eq!(
        wrong_password.body,
        json!({"error_description": "access_denied", "error": "server_error"})
    );
    let mut wrong_client = password_grant(PASSWORD);
    wrong_client[1] = ("client_secret", "guess");
    assert_eq!(token(&api, &wrong_client).await?.status, 401);
    let bad_refresh = token(
        &api,
        &[
            ("client_id", DEFAULT_OAUTH_CLIENT_ID),
            ("client_secret", DEFAULT_OAUTH_CLIENT_SECRET),
            ("refresh_token", "forged"),
            ("grant_type", "refresh_token"),
        ],
    )
    .await?;
    assert_eq!(bad_refresh.status, 401);
    let unsupported = token(&api, &[("grant_type", "client_credentials")]).await?;
    assert_eq!(unsupported.status, 400);
    assert_eq!(unsupported.body["error"], "unsupported_grant_type");
    Ok(())
}

#[tokio::test]
async fn rate_limit_fault_headers_and_body() -> TestResult {
    let api = SnApi::start().await;
    api.clock.advance(Duration::from_secs(20 * 60));
    api.server
        .inject(
            &Fault::new(FaultResponse::RateLimit)
                .path("/api/now/table/**")
                .times(2),
        )
        .await;
    for _ in 0..2 {
        let reply = api.get("/api/now/table/incident", &[]).await?;
        assert_eq!(reply.status, 429);
        assert_eq!(message(&reply), RATE_LIMIT_MESSAGE);
        assert_eq!(reply.body["status"], "failure");
        assert!(
            reply.body["error"]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("5000"))
        );
        assert_eq!(reply.header("retry-after"), Some("2400"));
        assert_eq!(reply.header("x-ratelimit-limit"), Some("5000"));
        assert_eq!(reply.header("x-ratelimit-reset"), Some("1735693200"));
        assert_eq!(reply.header("x-ratelimit-rule"), Some(RATE_LIMIT_RULE));
    }
    assert_eq!(api.get("/api/now/table/incident", &[]).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn status_faults_use_servicenow_bodies() -> TestResult {
    let api = SnApi::start().await;
    for (status, expected) in [
        (503, "Service Unavailable"),
        (500, "Internal Server Error"),
        (401, NOT_AUTHENTICATED),
        (403, "Operation Failed"),
        (404, "No Record found"),
        (429, RATE_LIMIT_MESSAGE),
    ] {
        api.server
            .inject(&Fault::new(FaultResponse::Status(status)))
            .await;
        let reply = api.get("/api/now/table/incident", &[]).await?;
        assert_eq!((reply.status, message(&reply)), (status, expected));
        assert_eq!(reply.body["status"], "failure");
    }
    api.server
        .inject(&Fault::new(FaultResponse::Status(204)))
        .await;
    let empty = api.get("/api/now/table/incident", &[]).await?;
    assert_eq!((empty.status, empty.body.clone()), (204, Value::Null));
    assert_eq!(api.get("/api/now/table/incident", &[]).await?.status, 200);
    Ok(())
}
