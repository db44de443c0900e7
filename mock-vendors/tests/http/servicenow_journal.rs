//! Comments and work notes: journal rows from writes, the notes query,
//! the display-value rendering, `ticket_notes`.

use std::time::Duration;

use mock_vendors::TicketNote;
use serde_json::json;

use crate::servicenow_support::{SnApi, column};
use crate::support::TestResult;

#[tokio::test]
async fn writes_append_journal_rows() -> TestResult {
    let api =
        SnApi::seeded(json!({"sys_user": [{"user_name": "beth", "name": "Beth Anglin"}]})).await?;
    let incident = api
        .create_incident(json!({"comments": "opened by the API"}))
        .await?;
    let id = incident["sys_id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/now/table/incident/{id}");
    assert_eq!(incident["comments"], "");

    api.clock.advance(Duration::from_secs(60));
    let noted = api
        .patch(&path, json!({"work_notes": "internal note"}))
        .await?;
    assert_eq!(noted.body["result"]["work_notes"], "");
    assert_eq!(noted.body["result"]["sys_mod_count"], "1");
    assert_eq!(
        noted.body["result"]["sys_updated_on"],
        "2025-01-01 00:01:00"
    );
    api.clock.advance(Duration::from_secs(60));
    api.put(
        &path,
        json!({"comments": "(dbot): hi\n\n Mirrored from Cortex XSOAR"}),
    )
    .await?;
    // An empty comment is no comment.
    let empty = api.patch(&path, json!({"comments": ""})).await?;
    assert_eq!(empty.body["result"]["sys_mod_count"], "2");

    let rows = api
        .get(
            "/api/now/table/sys_journal_field",
            &[("sysparm_query", &format!("element_id={id}"))],
        )
        .await?;
    let rows = rows.body["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3);
    let row = &rows[1];
    assert_eq!(row["element_id"], id.as_str());
    assert_eq!(row["name"], "incident");
    assert_eq!(row["element"], "work_notes");
    assert_eq!(row["value"], "internal note");
    assert_eq!(row["sys_created_on"], "2025-01-01 00:01:00");
    assert_eq!(row["sys_created_by"], "harness");
    assert_eq!(row["sys_id"].as_str().map(str::len), Some(32));
    let keys: Vec<&String> = row
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 7);

    // What get-remote-data sends.
    let query = format!(
        "element_id={id}^element=comments^ORelement=work_notes^sys_created_on>2025-01-01 00:00:30"
    );
    let notes = api
        .get(
            "/api/now/table/sys_journal_field",
            &[
                ("sysparm_query", &query),
                ("sysparm_limit", "10"),
                ("sysparm_offset", "0"),
            ],
        )
        .await?;
    assert_eq!(
        column(&notes.body, "value"),
        ["internal note", "(dbot): hi\n\n Mirrored from Cortex XSOAR"]
    );
    let comments_only = format!("element_id={id}^element=comments");
    assert_eq!(
        api.list_field(
            "sys_journal_field",
            &[("sysparm_query", &comments_only)],
            "element"
        )
        .await?,
        ["comments", "comments"]
    );
    Ok(())
}

#[tokio::test]
async fn display_values_render_the_journal() -> TestResult {
    let api =
        SnApi::seeded(json!({"sys_user": [{"user_name": "beth", "name": "Beth Anglin"}]})).await?;
    let incident = api.create_incident(json!({"comments": "first"})).await?;
    let id = incident["sys_id"].as_str().unwrap_or_default().to_owned();
    api.clock.advance(Duration::from_secs(90));
    api.vendor()
        .act(&json!({"update": {"record": id, "fields": {"comments": "second", "work_notes": "note"}, "user": "beth"}}))?;
    let path = format!("/api/now/table/incident/{id}");

    let display = api
        .get(&path, &[("sysparm_display_value", "true")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(
        display["comments"],
        "2025-01-01 00:01:30 - Beth Anglin (Additional comments)\nsecond\n\n\
         2025-01-01 00:00:00 - Harness Integration (Additional comments)\nfirst\n\n"
    );
    assert_eq!(
        display["work_notes"],
        "2025-01-01 00:01:30 - Beth Anglin (Work notes)\nnote\n\n"
    );
    assert_eq!(
        display["comments_and_work_notes"],
        "2025-01-01 00:01:30 - Beth Anglin (Work notes)\nnote\n\n\
         2025-01-01 00:01:30 - Beth Anglin (Additional comments)\nsecond\n\n\
         2025-01-01 00:00:00 - Harness Integration (Additional comments)\nfirst\n\n"
    );

    let all = api
        .get(&path, &[("sysparm_display_value", "all")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(
        all["work_notes"],
        json!({"display_value": "2025-01-01 00:01:30 - Beth Anglin (Work notes)\nnote\n\n", "value": ""})
    );
    let raw = api.get(&path, &[]).await?.body["result"].clone();
    for field in ["comments", "work_notes", "comments_and_work_notes"] {
        assert_eq!(raw[field], "", "{field}");
    }
    Ok(())
}

#[tokio::test]
async fn ticket_notes_oldest_first() -> TestResult {
    let api = SnApi::start().await;
    let incident = api.create_incident(json!({"work_notes": "one"})).await?;
    let id = incident["sys_id"].as_str().unwrap_or_default().to_owned();
    api.clock.advance(Duration::from_secs(1));
    api.patch(
        &format!("/api/now/table/incident/{id}"),
        json!({"comments": "two"}),
    )
    .await?;
    let notes = api.vendor().ticket_notes("INC0010001");
    assert_eq!(
        notes,
        Some(vec![
            TicketNote {
                kind: "work_notes".into(),
                text: "one".into(),
                created_by: "harness".into(),
                created_at_millis: 1_735_689_600_000,
                must_mirror: true,
            },
            TicketNote {
                kind: "comments".into(),
                text: "two".into(),
                created_by: "harness".into(),
                created_at_millis: 1_735_689_601_000,
                must_mirror: true,
            },
        ])
    );
    assert_eq!(
        api.vendor().ticket_notes(&id).map(|notes| notes.len()),
        Some(2)
    );
    assert_eq!(api.vendor().ticket_notes("INC0099999"), None);
    Ok(())
}
