//! Seeds, resets, dumps, the journal and the admin routes.

use std::sync::Arc;

use mock_vendors::okta::Okta;
use mock_vendors::{Clock, MockVendor, Vendor};
use serde_json::{Value, json};

use crate::support::{OktaApi, TestResult, profile_body, read};

#[tokio::test]
async fn seed_reset_and_dump() -> TestResult {
    let api = OktaApi::seeded(json!({
        "users": [{
            "id": "00useededuser0000001",
            "status": "SUSPENDED",
            "created": "2024-06-01T12:00:00Z",
            "profile": {"login": "ada@example.com", "email": "ada@example.com"},
        }],
    }))
    .await?;
    let dump = api.vendor().dump();
    let users = dump["users"].as_array().cloned().unwrap_or_default();
    assert_eq!(users.len(), 2, "the seeded user, then the admin");
    assert_eq!(users[0]["id"], "00useededuser0000001");
    assert_eq!(users[0]["status"], "SUSPENDED");
    assert_eq!(users[0]["created"], "2024-06-01T12:00:00.000Z");
    assert_eq!(users[0].get("_links"), None);
    assert_eq!(users[1]["profile"]["login"], "admin@harness.example");

    api.create_user("bob@example.com", "").await?;
    api.post_empty("/users/00useededuser0000001/lifecycle/unsuspend")
        .await?;
    assert_eq!(
        api.vendor().dump()["users"].as_array().map(Vec::len),
        Some(3)
    );

    api.vendor().reset();
    assert_eq!(api.vendor().dump(), dump);

    // A dump is a valid seed.
    api.vendor().seed(&dump)?;
    assert_eq!(api.vendor().dump(), dump);
    Ok(())
}

#[tokio::test]
async fn a_refused_seed_leaves_the_state_alone() -> TestResult {
    let api = OktaApi::start().await;
    let before = api.vendor().dump();
    let refused = api
        .vendor()
        .seed(&json!({"users": [{"profile": {"login": 7}}]}));
    assert!(refused.is_err());
    assert_eq!(api.vendor().dump(), before);
    Ok(())
}

#[tokio::test]
async fn same_scenario_same_ids() -> TestResult {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let api = OktaApi::start().await;
        api.create_user("ada@example.com", "").await?;
        let error = api.get("/users/nobody").await?;
        runs.push((api.vendor().dump(), error.body["errorId"].clone()));
    }
    assert_eq!(runs[0], runs[1]);
    Ok(())
}

#[tokio::test]
async fn journal_records_requests_without_credentials() -> TestResult {
    let api = OktaApi::start().await;
    let mut body = profile_body("ada@example.com");
    body["credentials"] = json!({"password": {"value": "Secr3t!pass"}});
    api.post("/users?activate=false", body).await?;
    api.get("/users?limit=5").await?;
    let journal = api.server.journal().await;
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].method, "POST");
    assert_eq!(journal[0].path, "/api/v1/users");
    assert_eq!(journal[0].query.as_deref(), Some("activate=false"));
    let recorded = journal[0].body.clone().unwrap_or_default();
    assert_eq!(recorded["profile"]["login"], "ada@example.com");
    assert_eq!(recorded["credentials"]["password"], "[REDACTED]");
    assert_eq!(journal[1].body, None);
    let serialised = serde_json::to_string(&journal)?;
    assert!(!serialised.contains("SSWS"));
    assert!(!serialised.contains("harness-okta-token"));
    assert!(!serialised.contains("Secr3t"));
    Ok(())
}

#[tokio::test]
async fn admin_routes() -> TestResult {
    let api = OktaApi::start().await;
    api.server.mount_admin().await;
    api.server.mount_admin().await;
    let admin = |path: &str| format!("{}/__admin/{path}", api.server.uri());
    let client = reqwest::Client::new();

    let seed =
        json!({"users": [{"profile": {"login": "ada@example.com"}}], "owner": "ada@example.com"});
    let seeded = client.post(admin("seed")).json(&seed).send().await?;
    assert_eq!(seeded.status().as_u16(), 204);

    let state = read(client.get(admin("state")).send().await?).await?;
    assert_eq!(state.status, 200);
    assert_eq!(state.body["users"].as_array().map(Vec::len), Some(1));

    api.create_user("bob@example.com", "").await?;
    let journal = read(client.get(admin("journal")).send().await?).await?;
    assert_eq!(
        journal.body,
        json!([{"method": "POST", "path": "/api/v1/users", "query": null, "body": profile_body("bob@example.com"), "status": 200}])
    );
    assert_eq!(journal.header("x-journal-next"), Some("1"));
    assert_eq!(journal.header("x-journal-dropped"), Some("0"));

    // A reset returns to the seed and empties the journal; marks go on.
    let reset = client.post(admin("reset")).send().await?;
    assert_eq!(reset.status().as_u16(), 204);
    assert_eq!(api.vendor().dump(), state.body);
    let journal = read(client.get(admin("journal")).send().await?).await?;
    assert_eq!(journal.body, json!([]));
    assert_eq!(journal.header("x-journal-next"), Some("1"));
    let since = read(client.get(admin("journal?since=0")).send().await?).await?;
    assert_eq!(since.header("x-journal-dropped"), Some("1"));
    let bad_mark = read(client.get(admin("journal?since=x")).send().await?).await?;
    assert_eq!(bad_mark.status, 400);
    api.create_user("cy@example.com", "").await?;

    let refused = read(
        client
            .post(admin("seed"))
            .json(&json!({"users": 1}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("invalid seed"))
    );
    let not_json = read(client.post(admin("seed")).body("{").send().await?).await?;
    assert_eq!(not_json.status, 400);
    let unknown = read(client.get(admin("nothing")).send().await?).await?;
    assert_eq!(unknown.status, 404);
    let wrong_method = read(client.delete(admin("state")).send().await?).await?;
    assert_eq!(wrong_method.status, 405);
    // Admin calls stay out of the journal.
    assert_eq!(api.server.journal().await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn start_on_a_given_listener() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let vendor: Arc<dyn Vendor> = Arc::new(Okta::new(Clock::default(), "t"));
    let server = MockVendor::start_on(vendor, listener).await;
    assert_eq!(server.uri(), format!("http://127.0.0.1:{port}"));
    let reply = read(
        reqwest::Client::new()
            .get(format!("{}/api/v1/users/me", server.uri()))
            .header("Authorization", "SSWS t")
            .send()
            .await?,
    )
    .await?;
    assert_eq!(reply.status, 200);
    let _: &Value = &reply.body;
    Ok(())
}
