//! The remote XSOAR server's war rooms over HTTP (entries by category,
//! tag and time, notes, formatted entries, uploads and downloads), the
//! XSOAR 8 variant, and the remote actions scenarios use.

use std::time::Duration;

use mock_vendors::Vendor;
use mock_vendors::xsoar::DEFAULT_API_KEY;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestResult;
use crate::xsoar::{XsoarApi, error_of};

/// Incident 1 with a note, a tagged chat and a file, written a minute apart.
fn war_room() -> Value {
    json!({"incidents": [{"name": "Phish", "created": "2025-01-01T00:00:00Z", "entries": [
        {"contents": "first look", "note": true, "tags": ["mirror", "triage"], "user": "beth",
         "created": "2025-01-01T00:01:00Z"},
        {"contents": "asked the user", "tags": ["mirror"], "user": "beth",
         "created": "2025-01-01T00:02:00Z"},
        {"file": {"name": "headers.txt", "content": "Received: from evil"}, "user": "beth",
         "created": "2025-01-01T00:03:00Z"},
    ]}]})
}

/// The `(id, category)` of the entries a read answers, and its total.
async fn read(
    api: &XsoarApi,
    filter: Value,
) -> Result<(Vec<(String, String)>, u64), Box<dyn std::error::Error>> {
    let reply = api.post("/investigation/1", filter).await?;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let entries = reply.body["entries"]
        .as_array()
        .ok_or("no entries")?
        .iter()
        .map(|entry| {
            (
                entry["id"].as_str().unwrap_or_default().to_owned(),
                entry["category"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Ok((entries, reply.body["total"].as_u64().ok_or("no total")?))
}

fn ids(entries: &[(String, String)]) -> Vec<&str> {
    entries.iter().map(|(id, _)| id.as_str()).collect()
}

#[tokio::test]
async fn entries_filter_by_category_tags_time_and_page_size() -> TestResult {
    let api = XsoarApi::seeded(war_room()).await?;
    let (all, total) = read(&api, json!({})).await?;
    assert_eq!(
        all,
        [
            ("1@1".to_owned(), "notes".to_owned()),
            ("2@1".to_owned(), "chats".to_owned()),
            ("3@1".to_owned(), "attachments".to_owned()),
        ]
    );
    assert_eq!(total, 3);
    let (notes, _) = read(&api, json!({"categories": ["notes", "attachments"]})).await?;
    assert_eq!(ids(&notes), ["1@1", "3@1"]);
    let (any, _) = read(&api, json!({"tags": ["triage", "mirror"]})).await?;
    assert_eq!(ids(&any), ["1@1", "2@1"]);
    let (both, _) = read(
        &api,
        json!({"tags": ["triage", "mirror"], "tagsAndOperator": true}),
    )
    .await?;
    assert_eq!(ids(&both), ["1@1"]);
    // Strictly after fromTime, and pageSize cuts the page but not the total.
    let (later, _) = read(&api, json!({"fromTime": "2025-01-01T00:01:00Z"})).await?;
    assert_eq!(ids(&later), ["2@1", "3@1"]);
    let (page, total) = read(&api, json!({"pageSize": 1})).await?;
    assert_eq!((ids(&page), total), (vec!["1@1"], 3));
    // The dump keeps the last filter: what the client said it mirrors.
    assert_eq!(
        api.server.vendor().dump()["investigations"]["1"]["last_filter"],
        json!({"categories": [], "tags": [], "tagsAndOperator": false})
    );
    let bad = api
        .post("/investigation/1", json!({"tags": "mirror"}))
        .await?;
    assert_eq!(error_of(&bad).0, 400);
    assert_eq!(bad.body["detail"], "tags: expected a list of strings");
    let unknown = api.post("/investigation/9", json!({})).await?;
    assert_eq!(
        error_of(&unknown),
        (404, "not_found".to_owned(), "Not Found".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn notes_formatted_entries_and_uploads_are_the_keys_user_and_download_back() -> TestResult {
    let api = XsoarApi::seeded(war_room()).await?;
    api.clock.advance(Duration::from_secs(600));
    let note = api
        .post(
            "/entry/note",
            json!({"investigationId": "1", "data": "**done**", "markdown": true, "tags": ["out"]}),
        )
        .await?;
    assert_eq!(note.status, 200, "{}", note.body);
    assert_eq!(
        (
            note.body["id"].clone(),
            note.body["category"].clone(),
            note.body["format"].clone()
        ),
        (json!("4@1"), json!("notes"), json!("markdown"))
    );
    assert_eq!(
        (note.body["user"].clone(), note.body["tags"].clone()),
        (json!("admin"), json!(["out"]))
    );
    assert_eq!(note.body["created"], "2025-01-01T00:10:00.000Z");
    let chat = api
        .post(
            "/entry/formatted",
            json!({"investigationId": "1", "contents": {"a": 1}, "format": "json"}),
        )
        .await?;
    assert_eq!(
        (chat.body["category"].clone(), chat.body["contents"].clone()),
        (json!("chats"), json!(r#"{"a":1}"#))
    );

    let boundary = "harness-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ioc.csv\"\r\nContent-Type: text/csv\r\n\r\nip,203.0.113.7\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nout, files\r\n--{boundary}--\r\n"
    );
    let upload = api
        .send(
            api.raw(Method::POST, "/entry/upload/1")
                .header("Authorization", DEFAULT_API_KEY)
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(form),
        )
        .await?;
    assert_eq!(upload.status, 200, "{}", upload.body);
    assert_eq!(
        (
            upload.body["type"].clone(),
            upload.body["file"].clone(),
            upload.body["contents"].clone()
        ),
        (json!(3), json!("ioc.csv"), json!("ioc.csv"))
    );
    assert_eq!(upload.body["tags"], json!(["out", "files"]));
    assert_eq!(
        upload.body["fileMetadata"],
        json!({"size": 14, "type": "text/csv"})
    );

    let download = api
        .raw(Method::GET, "/entry/download/6@1")
        .header("Authorization", DEFAULT_API_KEY)
        .send()
        .await?;
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(
        download
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"ioc.csv\"")
    );
    assert_eq!(download.bytes().await?.as_ref(), b"ip,203.0.113.7");
    let seeded = api.get("/entry/download/3@1").await?;
    assert_eq!(seeded.status, 200);
    let text = api.get("/entry/download/1@1").await?;
    assert_eq!(
        (error_of(&text).0, text.body["detail"].clone()),
        (404, json!("Could not find a file entry 1@1"))
    );

    // An entry marks its incident modified without a new version.
    let incident = api.get("/incident/load/1").await?;
    assert_eq!(
        (
            incident.body["version"].clone(),
            incident.body["modified"].clone()
        ),
        (json!(1), json!("2025-01-01T00:10:00.000Z"))
    );
    let missing = api
        .post("/entry/note", json!({"investigationId": "1"}))
        .await?;
    assert_eq!(
        (missing.status, missing.body["detail"].clone()),
        (400, json!("data: required"))
    );
    let bad_form = api
        .send(
            api.raw(Method::POST, "/entry/upload/1")
                .header("Authorization", DEFAULT_API_KEY)
                .header("Content-Type", "application/json")
                .body("{}"),
        )
        .await?;
    assert_eq!(error_of(&bad_form).0, 400);
    Ok(())
}

#[tokio::test]
async fn xsoar_8_serves_under_its_prefix_with_the_key_id_and_lists_modified_incidents() -> TestResult
{
    let api = XsoarApi::seeded(json!({"version": "8.4.0", "key_id": "7", "incidents": [
        {"name": "a", "created": "2025-01-01T00:00:00Z"}, {"name": "b", "created": "2025-01-01T00:00:00Z"},
    ]}))
    .await?;
    let with_id = |method: Method, path: &str, id: &str| {
        api.raw(method, path)
            .header("Authorization", DEFAULT_API_KEY)
            .header("x-xdr-auth-id", id)
    };
    let loaded = api
        .send(with_id(Method::GET, "/xsoar/incident/load/1", "7"))
        .await?;
    assert_eq!(loaded.status, 200, "{}", loaded.body);
    let wrong_id = api
        .send(with_id(Method::GET, "/xsoar/incident/load/1", "8"))
        .await?;
    assert_eq!(error_of(&wrong_id).0, 401);
    let no_id = api.get("/xsoar/incident/load/1").await?;
    assert_eq!(error_of(&no_id).0, 401);
    let root = api
        .send(with_id(Method::GET, "/incident/load/1", "7"))
        .await?;
    assert_eq!(error_of(&root).0, 404);

    api.clock.advance(Duration::from_secs(60));
    api.server
        .vendor()
        .act(&json!({"edit": {"incident": "2", "fields": {"severity": 3}}}))?;
    let modified = api
        .send(
            with_id(Method::POST, "/xsoar/public/v1/incidents/modified", "7")
                .json(&json!({"fromDate": "2025-01-01T00:00:00Z"})),
        )
        .await?;
    assert_eq!(
        modified.body,
        json!({"total": 1, "data": [{"id": "2", "version": 2, "modified": "2025-01-01T00:01:00.000Z"}]})
    );
    let six = XsoarApi::seeded(json!({})).await?;
    let none = six.post("/public/v1/incidents/modified", json!({})).await?;
    assert_eq!(error_of(&none).0, 404);
    let prefixed = six.get("/xsoar/incidentfields").await?;
    assert_eq!(error_of(&prefixed).0, 404);
    Ok(())
}

#[tokio::test]
async fn remote_actions_add_entries_edit_close_reopen_and_create() -> TestResult {
    let api = XsoarApi::seeded(war_room()).await?;
    let vendor = api.server.vendor();
    api.clock.advance(Duration::from_secs(3600));
    let entry = vendor.act(
        &json!({"entry": {"incident": 1, "contents": "user confirmed", "tags": ["mirror"]}}),
    )?;
    assert_eq!(
        (entry["entry"]["id"].clone(), entry["entry"]["user"].clone()),
        (json!("4@1"), json!("remote.analyst"))
    );
    let file = vendor.act(
        &json!({"file": {"incident": "1", "name": "x.eml", "content": "From: a", "user": "beth"}}),
    )?;
    assert_eq!(file["entry"]["file"], "x.eml");
    let edited = vendor.act(&json!({"edit": {"incident": "1", "fields": {"severity": 4, "CustomFields": {"team": "red"}}}}))?;
    assert_eq!(
        (
            edited["incident"]["version"].clone(),
            edited["incident"]["severity"].clone()
        ),
        (json!(2), json!(4))
    );
    let closed = vendor
        .act(&json!({"close": {"incident": "1", "reason": "Resolved", "notes": "benign"}}))?;
    assert_eq!(
        (
            closed["incident"]["status"].clone(),
            closed["incident"]["closed"].clone()
        ),
        (json!(2), json!("2025-01-01T01:00:00.000Z"))
    );
    let reopened = vendor.act(&json!({"reopen": {"incident": "1"}}))?;
    assert_eq!(
        (
            reopened["incident"]["status"].clone(),
            reopened["incident"]["closed"].clone(),
            reopened["incident"]["version"].clone()
        ),
        (json!(1), json!("0001-01-01T00:00:00Z"), json!(4))
    );
    let created =
        vendor.act(&json!({"create": {"fields": {"name": "New", "sourceBrand": "Mail"}}}))?;
    assert_eq!(
        (
            created["incident"]["id"].clone(),
            created["incident"]["investigationId"].clone()
        ),
        (json!("2"), json!("2"))
    );

    // Reopening through the API is a status edit.
    let stale = api
        .post(
            "/incident/close",
            json!({"id": "1", "version": 4, "closeReason": "x"}),
        )
        .await?;
    assert_eq!(stale.status, 200, "{}", stale.body);
    let reopen = api
        .post("/incident", json!({"id": "1", "version": 5, "status": 1}))
        .await?;
    assert_eq!(
        (reopen.body["status"].clone(), reopen.body["closed"].clone()),
        (json!(1), json!("0001-01-01T00:00:00Z"))
    );

    let refused = vendor.act(&json!({"entry": {"incident": "9", "contents": "x"}}));
    assert!(refused.is_err_and(|error| {
        error
            .to_string()
            .contains("incident \"9\": no such incident")
    }));
    let unknown = vendor.act(&json!({"comment": {}}));
    assert!(unknown.is_err_and(|error| error.to_string().contains("expected {\"entry\"")));
    Ok(())
}

#[tokio::test]
async fn notes_must_mirror_when_they_match_the_clients_last_filter() -> TestResult {
    let api = XsoarApi::seeded(war_room()).await?;
    let vendor = api.server.vendor();
    let must = |vendor: &dyn Vendor| -> Vec<(String, bool)> {
        vendor
            .ticket_notes("1")
            .unwrap_or_default()
            .into_iter()
            .map(|note| (note.text, note.must_mirror))
            .collect()
    };
    // Never read: every entry is owed; files are not notes.
    assert_eq!(
        must(vendor.as_ref()),
        [
            ("first look".to_owned(), true),
            ("asked the user".to_owned(), true)
        ]
    );
    read(&api, json!({"categories": ["notes"]})).await?;
    api.post(
        "/entry/note",
        json!({"investigationId": "1", "data": "pushed by the client"}),
    )
    .await?;
    assert_eq!(
        must(vendor.as_ref()),
        [
            ("first look".to_owned(), true),
            ("asked the user".to_owned(), false),
            // The client's own entry never has to come back.
            ("pushed by the client".to_owned(), false),
        ]
    );
    assert_eq!(vendor.ticket_notes("9"), None);
    Ok(())
}

#[tokio::test]
async fn every_route_answers_garbage_with_the_servers_error_body() -> TestResult {
    let api = XsoarApi::seeded(war_room()).await?;
    let posts = [
        "/incidents/search",
        "/incident",
        "/incident/close",
        "/investigation/1",
        "/entry/note",
        "/entry/formatted",
        "/entry/upload/1",
    ];
    let bodies: [&[u8]; 6] = [
        b"not json",
        b"[1, 2]",
        b"{\"id\": {}, \"version\": \"x\", \"filter\": 3, \"pageSize\": -1}",
        b"{\"investigationId\": [], \"contents\": 1, \"data\": null}",
        b"\xff\xfe\x00garbage",
        b"{\"filter\": {\"query\": \"((\", \"sort\": [{\"field\": \"nope\"}]}}",
    ];
    for path in posts {
        for (at, body) in bodies.into_iter().enumerate() {
            let reply = api
                .send(
                    api.raw(Method::POST, path)
                        .header("Authorization", DEFAULT_API_KEY)
                        .header("Content-Type", "application/json")
                        .body(body.to_vec()),
                )
                .await?;
            // An object may still read as a request (a search ignoring fields it does not
            // know, an incident with odd fields); what is not an object never does.
            let object = matches!(at, 2 | 3 | 5) && path != "/entry/upload/1";
            if reply.status == 200 && object {
                continue;
            }
            let (status, id, title) = error_of(&reply);
            assert!(
                (400..500).contains(&status) && !id.is_empty() && !title.is_empty(),
                "{path} {:?}: {status} {}",
                String::from_utf8_lossy(body),
                reply.body
            );
            assert!(reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        }
    }
    // And it still answers.
    assert_eq!(api.get("/incident/load/1").await?.status, 200);
    Ok(())
}
