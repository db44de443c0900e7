//! Seeds, dumps, resets, remote actions, `create` and the admin routes for
//! the ServiceNow mock.

use std::time::Duration;

use mock_vendors::{ActError, CreateError, create};
use mock_vendors::{Clock, MockVendor, VendorKind};
use serde_json::{Value, json};

use crate::servicenow_support::{SnApi, column};
use crate::support::{TestResult, read};

fn seed() -> Value {
    json!({
        "sys_user": [
            {"user_name": "beth", "first_name": "Beth", "last_name": "Anglin", "email": "beth@example.com"},
            {"user_name": "remote.analyst", "name": "Remote Analyst"},
        ],
        "sys_user_group": [{"name": "Security", "manager": "beth"}],
        "incident": [{
            "number": "INC0020001",
            "short_description": "Seeded",
            "caller_id": "beth@example.com",
            "assignment_group": "Security",
            "sys_created_on": "2024-06-01 12:00:00",
            "sys_created_by": "beth",
            "comments": "seeded comment",
        }],
        "sys_journal_field": [{
            "element_id": "INC0020001", "element": "work_notes", "value": "seeded note",
            "sys_created_on": "2024-06-01 12:05:00", "sys_created_by": "remote.analyst",
        }],
        "attachments": [{"record": "INC0020001", "file_name": "seed.txt", "content": "seeded bytes"}],
    })
}

#[tokio::test]
async fn seed_dump_and_reset() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    let dump = api.vendor().dump();
    let users = dump["sys_user"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        column(&json!({"result": users}), "user_name"),
        ["beth", "remote.analyst", "harness"]
    );
    assert_eq!(users[0]["name"], "Beth Anglin");
    let incident = &dump["incident"][0];
    assert_eq!(incident["number"], "INC0020001");
    assert_eq!(incident["caller_id"], users[0]["sys_id"]);
    assert_eq!(incident["opened_at"], "2024-06-01 12:00:00");
    assert_eq!(incident["comments"], "");
    assert_eq!(dump["sys_journal_field"].as_array().map(Vec::len), Some(2));
    let attachment = &dump["attachments"][0];
    assert_eq!(attachment["file_name"], "seed.txt");
    assert_eq!(attachment["size_bytes"], "12");
    assert_eq!(attachment.get("download_link"), None);
    assert_eq!(attachment.get("content"), None);
    assert_eq!(
        dump.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(
            vec![
                "incident",
                "sys_user",
                "sys_user_group",
                "sys_journal_field",
                "attachments"
            ]
            .into_iter()
            .map(String::from)
            .collect()
        )
    );

    // New incidents continue after the highest seeded number.
    let created = api.create_incident(json!({})).await?;
    assert_eq!(created["number"], "INC0020002");
    let seeded_file = api
        .client
        .get(api.url(&format!(
            "/api/now/attachment/{}/file",
            attachment["sys_id"].as_str().unwrap_or_default()
        )))
        .basic_auth("harness", Some("harness-password"))
        .send()
        .await?;
    assert_eq!(seeded_file.text().await?, "seeded bytes");

    api.vendor().reset();
    assert_eq!(api.vendor().dump(), dump);

    // A dump is a valid seed (attachment bytes aside).
    api.vendor().seed(&dump)?;
    let mut again = api.vendor().dump();
    again["attachments"][0]["size_bytes"] = json!("12");
    again["attachments"][0]["size_compressed"] = json!("12");
    assert_eq!(again, dump);
    Ok(())
}

#[tokio::test]
async fn a_refused_seed_leaves_the_state_alone() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    let before = api.vendor().dump();
    for refused in [
        json!({"incident": [{"assigned_to": "nobody"}]}),
        json!({"problem": []}),
        json!({"sys_user": [{"user_name": "x", "sys_created_on": "today"}]}),
    ] {
        assert!(api.vendor().seed(&refused).is_err(), "{refused}");
    }
    assert_eq!(api.vendor().dump(), before);
    Ok(())
}

#[tokio::test]
async fn same_scenario_same_ids() -> TestResult {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let api = SnApi::seeded(seed()).await?;
        api.create_incident(json!({"work_notes": "x"})).await?;
        runs.push(api.vendor().dump());
    }
    assert_eq!(runs[0], runs[1]);
    Ok(())
}

#[tokio::test]
async fn remote_actions() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    api.clock.advance(Duration::from_secs(3_600));
    let updated = api.vendor().act(&json!({"update": {
        "table": "incident",
        "record": "INC0020001",
        "fields": {"state": "Resolved", "close_code": "Solved", "comments": "fixed remotely"},
    }}))?;
    assert_eq!(updated["record"]["state"], "6");
    assert_eq!(updated["record"]["sys_updated_by"], "remote.analyst");
    assert_eq!(updated["record"]["sys_updated_on"], "2025-01-01 01:00:00");
    assert_eq!(updated["record"]["resolved_at"], "2025-01-01 01:00:00");

    // The API sees it as the mirroring client would.
    let modified = api
        .list_field(
            "incident",
            &[("sysparm_query", "sys_updated_on>2025-01-01 00:30:00")],
            "number",
        )
        .await?;
    assert_eq!(modified, ["INC0020001"]);
    let shown = api
        .get(
            "/api/now/table/incident",
            &[("number", "INC0020001"), ("sysparm_display_value", "true")],
        )
        .await?;
    assert!(
        shown.body["result"][0]["comments"]
            .as_str()
            .is_some_and(|journal| journal.starts_with(
                "2025-01-01 01:00:00 - Remote Analyst (Additional comments)\nfixed remotely"
            ))
    );

    let inserted = api.vendor().act(&json!({"insert": {"fields": {"short_description": "Remote", "caller_id": "beth"}, "user": "beth"}}))?;
    assert_eq!(inserted["record"]["number"], "INC0020002");
    assert_eq!(inserted["record"]["sys_created_by"], "beth");

    let attached = api.vendor().act(&json!({"attach": {"record": "INC0020002", "file_name": "note.txt", "content": "hello", "content_type": "text/plain"}}))?;
    let attachment = attached["sys_id"].as_str().unwrap_or_default().to_owned();
    let file = api
        .client
        .get(api.url(&format!("/api/now/attachment/{attachment}/file")))
        .basic_auth("harness", Some("harness-password"))
        .send()
        .await?;
    assert_eq!(file.text().await?, "hello");

    let deleted = api
        .vendor()
        .act(&json!({"delete": {"table": "incident", "record": "INC0020002"}}))?;
    assert_eq!(deleted["deleted"], true);

    let invalid = api
        .vendor()
        .act(&json!({"update": {"record": "INC0099999", "fields": {}}}));
    assert!(matches!(invalid, Err(ActError::Invalid(message)) if message.contains("INC0099999")));
    Ok(())
}

#[tokio::test]
async fn create_and_admin_routes() -> TestResult {
    let vendor = create(
        VendorKind::ServiceNow,
        Clock::default(),
        Some("svc:s3cret".into()),
    )?;
    assert_eq!(vendor.kind(), VendorKind::ServiceNow);
    assert_eq!(vendor.account_active("svc"), None);
    assert!(matches!(
        create(
            VendorKind::ServiceNow,
            Clock::default(),
            Some(":nouser".into())
        ),
        Err(CreateError::InvalidToken { .. })
    ));
    let server = MockVendor::start(vendor).await;
    server.mount_admin().await;
    let client = reqwest::Client::new();
    let created = read(
        client
            .post(format!("{}/api/now/table/incident", server.uri()))
            .basic_auth("svc", Some("s3cret"))
            .json(&json!({"short_description": "x"}))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["result"]["sys_created_by"], "svc");

    let state = read(
        client
            .get(format!("{}/__admin/state", server.uri()))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(state.body["incident"][0]["short_description"], "x");
    let seeded = client
        .post(format!("{}/__admin/seed", server.uri()))
        .json(&json!({"incident": [{"short_description": "from admin"}]}))
        .send()
        .await?;
    assert_eq!(seeded.status().as_u16(), 204);
    assert_eq!(
        server.vendor().dump()["incident"][0]["short_description"],
        "from admin"
    );
    Ok(())
}
