//! The Table API: codes and bodies of every method, incident rules, display
//! values, `sysparm_fields`, errors.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::servicenow_support::{SnApi, message};
use crate::support::TestResult;

fn seed() -> Value {
    json!({
        "sys_user": [
            {"user_name": "beth", "first_name": "Beth", "last_name": "Anglin", "email": "beth@example.com"},
        ],
        "sys_user_group": [{"name": "Security"}],
    })
}

#[tokio::test]
async fn create_read_update_delete() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    api.clock.advance(Duration::from_secs(30));
    let created = api
        .post(
            "/api/now/table/incident",
            json!({"short_description": "Phishing", "impact": 2, "urgency": "1", "u_vendor_ref": "X-1"}),
        )
        .await?;
    assert_eq!(created.status, 201);
    let incident = &created.body["result"];
    let sys_id = incident["sys_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(sys_id.len(), 32);
    assert!(sys_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        created.header("location"),
        Some(
            api.url(&format!("/api/now/table/incident/{sys_id}"))
                .as_str()
        )
    );
    let harness = api.vendor().dump()["sys_user"][1]["sys_id"].clone();
    for (field, expected) in [
        ("number", json!("INC0010001")),
        ("state", json!("1")),
        ("incident_state", json!("1")),
        ("active", json!("true")),
        ("impact", json!("2")),
        ("priority", json!("2")),
        ("opened_at", json!("2025-01-01 00:00:30")),
        ("sys_created_on", json!("2025-01-01 00:00:30")),
        ("sys_updated_on", json!("2025-01-01 00:00:30")),
        ("sys_created_by", json!("harness")),
        ("sys_updated_by", json!("harness")),
        ("sys_mod_count", json!("0")),
        ("sys_class_name", json!("incident")),
        ("comments", json!("")),
        ("closed_at", json!("")),
        ("assigned_to", json!("")),
        ("u_vendor_ref", json!("X-1")),
    ] {
        assert_eq!(incident[field], expected, "{field}");
    }
    assert_eq!(incident["opened_by"]["value"], harness);
    assert!(
        incident
            .as_object()
            .is_some_and(|o| o.values().all(|v| v.is_string() || v.is_object()))
    );

    let second = api.create_incident(json!({})).await?;
    assert_eq!(second["number"], "INC0010002");

    let path = format!("/api/now/table/incident/{sys_id}");
    let read = api.get(&path, &[]).await?;
    assert_eq!(
        (read.status, &read.body["result"]["number"]),
        (200, &json!("INC0010001"))
    );

    api.clock.advance(Duration::from_secs(60));
    let patched = api
        .patch(
            &path,
            json!({"assigned_to": "beth", "assignment_group": "Security", "description": null}),
        )
        .await?;
    assert_eq!(patched.status, 200);
    let result = &patched.body["result"];
    assert_eq!(result["sys_mod_count"], "1");
    assert_eq!(result["sys_updated_on"], "2025-01-01 00:01:30");
    assert_eq!(result["sys_created_on"], "2025-01-01 00:00:30");
    assert_eq!(
        result["assigned_to"]["link"],
        format!(
            "{}/api/now/table/sys_user/{}",
            api.server.uri(),
            result["assigned_to"]["value"].as_str().unwrap_or_default()
        )
    );
    assert_eq!(
        result["assignment_group"]["value"].as_str().map(str::len),
        Some(32)
    );

    let put = api
        .put(&path, json!({"short_description": "Phishing (confirmed)"}))
        .await?;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["result"]["sys_mod_count"], "2");
    assert_eq!(
        put.body["result"]["assigned_to"]["value"],
        result["assigned_to"]["value"]
    );

    // A write that changes nothing is not an update.
    let same = api
        .patch(&path, json!({"short_description": "Phishing (confirmed)"}))
        .await?;
    assert_eq!(same.body["result"]["sys_mod_count"], "2");

    let deleted = api.delete(&path).await?;
    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, Value::Null);
    let gone = api.get(&path, &[]).await?;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        json!({
            "error": {"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"},
            "status": "failure",
        })
    );
    assert_eq!(api.patch(&path, json!({})).await?.status, 404);
    assert_eq!(api.delete(&path).await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn versioned_paths_and_other_tables() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    let created = api
        .post(
            "/api/now/v2/table/incident",
            json!({"short_description": "v2"}),
        )
        .await?;
    assert_eq!(created.status, 201);
    let id = created.body["result"]["sys_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for prefix in ["/api/now", "/api/now/v1", "/api/now/v2", "/api/now//"] {
        let reply = api
            .get(&format!("{prefix}/table/incident/{id}"), &[])
            .await?;
        assert_eq!(reply.status, 200, "{prefix}");
    }
    let users = api
        .list_field("sys_user", &[("sysparm_query", "user_name=beth")], "name")
        .await?;
    assert_eq!(users, ["Beth Anglin"]);
    let group = api
        .post(
            "/api/now/table/sys_user_group",
            json!({"name": "Network", "manager": "beth"}),
        )
        .await?;
    assert_eq!(group.status, 201);
    assert_eq!(group.body["result"]["active"], "true");
    assert_eq!(
        group.body["result"]["manager"]["value"]
            .as_str()
            .map(str::len),
        Some(32)
    );
    Ok(())
}

#[tokio::test]
async fn errors_have_the_servicenow_shape() -> TestResult {
    let api = SnApi::start().await;
    let invalid = api.get("/api/now/table/problem", &[]).await?;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.body,
        json!({"error": {"message": "Invalid table problem", "detail": null}, "status": "failure"})
    );
    assert_eq!(
        message(&api.post("/api/now/table/sys_attachment", json!({})).await?),
        "Invalid table sys_attachment"
    );

    let malformed = api
        .send(
            api.authed(Method::POST, "/api/now/table/incident")
                .header("Content-Type", "application/json")
                .body("{\"short_description\": "),
        )
        .await?;
    assert_eq!(malformed.status, 400);
    assert_eq!(message(&malformed), "Exception while reading request");
    assert!(
        malformed.body["error"]["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(malformed.body["status"], "failure");
    let not_object = api.post("/api/now/table/incident", json!(["x"])).await?;
    assert_eq!(
        (not_object.status, message(&not_object)),
        (400, "Exception while reading request")
    );

    let unknown = api.get("/api/now/nothing/here", &[]).await?;
    assert_eq!(
        (unknown.status, message(&unknown)),
        (400, "Requested URI does not represent any resource")
    );
    let outside = api.get("/nothing", &[]).await?;
    assert_eq!(outside.status, 404);
    assert_eq!(outside.body["status"], "failure");

    let collection_patch = api.patch("/api/now/table/incident", json!({})).await?;
    assert_eq!(
        (collection_patch.status, message(&collection_patch)),
        (405, "Method not Supported")
    );
    // An empty body is an empty write.
    let empty = api
        .send(api.authed(Method::POST, "/api/now/table/incident"))
        .await?;
    assert_eq!(empty.status, 201);
    assert_eq!(
        api.vendor().dump()["incident"].as_array().map(Vec::len),
        Some(1)
    );
    Ok(())
}

#[tokio::test]
async fn resolving_closing_and_reopening() -> TestResult {
    let api = SnApi::start().await;
    let incident = api
        .create_incident(json!({"short_description": "x"}))
        .await?;
    let path = format!(
        "/api/now/table/incident/{}",
        incident["sys_id"].as_str().unwrap_or_default()
    );
    let harness = api.vendor().dump()["sys_user"][0]["sys_id"].clone();

    api.clock.advance(Duration::from_secs(60));
    let resolved = api
        .patch(
            &path,
            json!({"state": "6", "close_code": "Solved (Permanently)"}),
        )
        .await?;
    let result = &resolved.body["result"];
    assert_eq!(result["resolved_at"], "2025-01-01 00:01:00");
    assert_eq!(result["resolved_by"]["value"], harness);
    assert_eq!(result["closed_at"], "");
    assert_eq!(result["active"], "false");
    assert_eq!(result["incident_state"], "6");

    api.clock.advance(Duration::from_secs(60));
    let closed = api.patch(&path, json!({"state": 7})).await?;
    let result = &closed.body["result"];
    assert_eq!(result["resolved_at"], "2025-01-01 00:01:00");
    assert_eq!(result["closed_at"], "2025-01-01 00:02:00");
    assert_eq!(result["closed_by"]["value"], harness);

    api.clock.advance(Duration::from_secs(60));
    let reopened = api.patch(&path, json!({"state": "2"})).await?;
    let result = &reopened.body["result"];
    for field in ["resolved_at", "closed_at", "resolved_by", "closed_by"] {
        assert_eq!(result[field], "", "{field}");
    }
    assert_eq!(result["active"], "true");
    assert_eq!(result["sys_mod_count"], "3");

    // A closure time the client sends itself wins.
    let closed = api
        .patch(
            &path,
            json!({"state": "7", "closed_at": "2024-12-31 23:00:00"}),
        )
        .await?;
    assert_eq!(closed.body["result"]["closed_at"], "2024-12-31 23:00:00");
    Ok(())
}

#[tokio::test]
async fn input_display_values() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    let labelled = api
        .send(
            api.authed(Method::POST, "/api/now/table/incident")
                .query(&[("sysparm_input_display_value", "True")])
                .json(&json!({"state": "In Progress", "impact": "1 - High", "urgency": "High", "assigned_to": "Beth Anglin"})),
        )
        .await?;
    let result = &labelled.body["result"];
    assert_eq!(
        (&result["state"], &result["impact"], &result["priority"]),
        (&json!("2"), &json!("1"), &json!("1"))
    );
    assert_eq!(
        result["assigned_to"]["value"].as_str().map(str::len),
        Some(32)
    );

    let raw = api
        .send(
            api.authed(Method::POST, "/api/now/table/incident")
                .query(&[("sysparm_input_display_value", "False")])
                .json(&json!({"state": "2", "urgency": "High"})),
        )
        .await?;
    assert_eq!(raw.body["result"]["state"], "2");
    // Without input display values a label is stored as sent, as the instance does.
    assert_eq!(raw.body["result"]["urgency"], "High");
    Ok(())
}

#[tokio::test]
async fn display_values_and_reference_links() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    let incident = api
        .create_incident(json!({"assigned_to": "beth", "assignment_group": "Security", "state": "3", "impact": "1", "urgency": "2"}))
        .await?;
    let path = format!(
        "/api/now/table/incident/{}",
        incident["sys_id"].as_str().unwrap_or_default()
    );
    let beth = incident["assigned_to"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let link = api.url(&format!("/api/now/table/sys_user/{beth}"));

    let raw = api.get(&path, &[]).await?.body["result"].clone();
    assert_eq!(raw["assigned_to"], json!({"link": link, "value": beth}));
    assert_eq!(raw["caller_id"], "");
    assert_eq!(raw["state"], "3");

    let display = api
        .get(&path, &[("sysparm_display_value", "true")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(
        display["assigned_to"],
        json!({"display_value": "Beth Anglin", "link": link})
    );
    assert_eq!(display["assignment_group"]["display_value"], "Security");
    assert_eq!(display["state"], "On Hold");
    assert_eq!(display["priority"], "2 - High");
    assert_eq!(display["impact"], "1 - High");
    assert_eq!(display["urgency"], "2 - Medium");
    assert_eq!(display["number"], "INC0010001");
    assert_eq!(display["caller_id"], "");

    let all = api
        .get(&path, &[("sysparm_display_value", "all")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(
        all["assigned_to"],
        json!({"display_value": "Beth Anglin", "link": link, "value": beth})
    );
    assert_eq!(
        all["state"],
        json!({"display_value": "On Hold", "value": "3"})
    );
    assert_eq!(
        all["sys_created_on"],
        json!({"display_value": "2025-01-01 00:00:00", "value": "2025-01-01 00:00:00"})
    );
    assert_eq!(all["caller_id"], json!({"display_value": "", "value": ""}));
    assert!(
        all.as_object()
            .is_some_and(|o| o.values().all(|v| v.get("value").is_some()))
    );

    let excluded = [("sysparm_exclude_reference_link", "true")];
    let raw = api.get(&path, &excluded).await?.body["result"].clone();
    assert_eq!(raw["assigned_to"], json!(beth));
    let display = api
        .get(&path, &[excluded[0], ("sysparm_display_value", "true")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(display["assigned_to"], "Beth Anglin");
    let all = api
        .get(&path, &[excluded[0], ("sysparm_display_value", "all")])
        .await?
        .body["result"]
        .clone();
    assert_eq!(
        all["assigned_to"],
        json!({"display_value": "Beth Anglin", "value": beth})
    );
    Ok(())
}

#[tokio::test]
async fn sysparm_fields_pick_columns_in_order() -> TestResult {
    let api = SnApi::seeded(seed()).await?;
    api.create_incident(json!({"caller_id": "beth", "short_description": "x"}))
        .await?;
    let reply = api
        .get(
            "/api/now/table/incident",
            &[(
                "sysparm_fields",
                "number, short_description,caller_id.email,bogus,sys_id",
            )],
        )
        .await?;
    let record = &reply.body["result"][0];
    let keys: Vec<&String> = record
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["number", "short_description", "caller_id.email", "sys_id"]
    );
    assert_eq!(record["caller_id.email"], "beth@example.com");

    // What get-modified-remote-data asks for.
    let ids = api
        .get(
            "/api/now/table/incident",
            &[
                ("sysparm_query", "sys_updated_on>2024-01-02 03:04:05"),
                ("sysparm_fields", "sys_id"),
                ("sysparm_limit", "100"),
                ("sysparm_offset", "0"),
            ],
        )
        .await?;
    assert_eq!(
        ids.body["result"]
            .as_array()
            .map(|r| r[0].as_object().map(|o| o.len())),
        Some(Some(1))
    );
    // A single record honours it too.
    let id = reply.body["result"][0]["sys_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let one = api
        .get(
            &format!("/api/now/table/incident/{id}"),
            &[("sysparm_fields", "number")],
        )
        .await?;
    assert_eq!(one.body["result"], json!({"number": "INC0010001"}));
    Ok(())
}

#[tokio::test]
async fn name_value_filters() -> TestResult {
    let api = SnApi::start().await;
    api.create_incident(json!({})).await?;
    api.create_incident(json!({})).await?;
    let numbers = api
        .list_field("incident", &[("number", "INC0010002")], "number")
        .await?;
    assert_eq!(numbers, ["INC0010002"]);
    // Unknown parameters are ignored.
    let numbers = api
        .list_field("incident", &[("_", "123")], "number")
        .await?;
    assert_eq!(numbers.len(), 2);
    // The client's table probe: `table/incident?sysparm_limit=1` in the path.
    let probe = api
        .get("/api/now/table/incident?sysparm_limit=1", &[])
        .await?;
    assert_eq!(probe.body["result"].as_array().map(Vec::len), Some(1));
    Ok(())
}
