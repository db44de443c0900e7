//! The Attachment API: list, metadata, download, raw and multipart upload,
//! delete.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::servicenow_support::{SnApi, column, message};
use crate::support::TestResult;

const BOUNDARY: &str = "c0ffee-b0undary";

/// A `multipart/form-data` body as Python's requests builds it: the form
/// fields, then the file part.
fn form(fields: &[(&str, &str)], file: Option<(&str, &str, &str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, filename, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    api: &SnApi,
    path: &str,
    body: Vec<u8>,
) -> Result<crate::support::Reply, reqwest::Error> {
    api.send(
        api.authed(Method::POST, path)
            .header("Accept", "application/json")
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body),
    )
    .await
}

async fn incident(api: &SnApi) -> Result<String, Box<dyn std::error::Error>> {
    let incident = api
        .create_incident(json!({"short_description": "with files"}))
        .await?;
    Ok(incident["sys_id"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn raw_upload_metadata_download_delete() -> TestResult {
    let api = SnApi::start().await;
    let id = incident(&api).await?;
    api.clock.advance(Duration::from_secs(5));
    let created = api
        .send(
            api.authed(Method::POST, "/api/now/attachment/file")
                .query(&[
                    ("table_name", "incident"),
                    ("table_sys_id", &id),
                    ("file_name", "report.json"),
                ])
                .header("Content-Type", "application/json")
                .body("{\"ioc\": \"1.2.3.4\"}"),
        )
        .await?;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let metadata = created.body["result"].clone();
    let attachment = metadata["sys_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        created.header("location"),
        Some(
            api.url(&format!("/api/now/attachment/{attachment}"))
                .as_str()
        )
    );
    for (field, expected) in [
        ("file_name", "report.json"),
        ("table_name", "incident"),
        ("table_sys_id", id.as_str()),
        ("content_type", "application/json"),
        ("size_bytes", "18"),
        ("sys_created_on", "2025-01-01 00:00:05"),
        ("sys_created_by", "harness"),
    ] {
        assert_eq!(metadata[field], expected, "{field}");
    }
    let download_link = api.url(&format!("/api/now/attachment/{attachment}/file"));
    assert_eq!(metadata["download_link"], download_link.as_str());

    let read = api
        .get(&format!("/api/now/attachment/{attachment}"), &[])
        .await?;
    assert_eq!((read.status, &read.body["result"]), (200, &metadata));
    let v1 = api
        .get(&format!("/api/now/v1/attachment/{attachment}"), &[])
        .await?;
    assert_eq!(v1.status, 200);
    let v2 = api
        .get(&format!("/api/now/v2/attachment/{attachment}"), &[])
        .await?;
    assert_eq!(v2.status, 400);

    // The client downloads through download_link with the same credentials.
    let file = api
        .client
        .get(&download_link)
        .basic_auth("harness", Some("harness-password"))
        .send()
        .await?;
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(
        file.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let header: Value = serde_json::from_str(
        file.headers()
            .get("x-attachment-metadata")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    )?;
    assert_eq!(header["file_name"], "report.json");
    assert_eq!(file.bytes().await?.as_ref(), b"{\"ioc\": \"1.2.3.4\"}");

    let deleted = api
        .delete(&format!("/api/now/attachment/{attachment}"))
        .await?;
    assert_eq!(deleted.status, 204);
    let missing = api
        .get(&format!("/api/now/attachment/{attachment}"), &[])
        .await?;
    assert_eq!(
        (missing.status, message(&missing)),
        (404, "No Record found")
    );
    assert_eq!(
        api.get(&format!("/api/now/attachment/{attachment}/file"), &[])
            .await?
            .status,
        404
    );
    assert_eq!(
        api.delete(&format!("/api/now/attachment/{attachment}"))
            .await?
            .status,
        404
    );
    Ok(())
}

#[tokio::test]
async fn raw_upload_errors() -> TestResult {
    let api = SnApi::start().await;
    let id = incident(&api).await?;
    let post = |params: Vec<(&'static str, String)>| {
        api.authed(Method::POST, "/api/now/attachment/file")
            .query(&params)
            .header("Content-Type", "text/plain")
            .body("x")
    };
    let missing = api
        .send(post(vec![
            ("table_name", "incident".into()),
            ("file_name", "a.txt".into()),
        ]))
        .await?;
    assert_eq!(
        (missing.status, message(&missing)),
        (400, "Missing parameter: table_sys_id")
    );
    let no_table = api
        .send(post(vec![
            ("table_sys_id", id.clone()),
            ("file_name", "a.txt".into()),
        ]))
        .await?;
    assert_eq!(
        (no_table.status, message(&no_table)),
        (400, "Missing parameter: table_name")
    );
    let unknown_record = api
        .send(post(vec![
            ("table_name", "incident".into()),
            ("table_sys_id", "0".repeat(32)),
            ("file_name", "a.txt".into()),
        ]))
        .await?;
    assert_eq!(unknown_record.status, 404);
    let bad_table = api
        .send(post(vec![
            ("table_name", "problem".into()),
            ("table_sys_id", id.clone()),
            ("file_name", "a.txt".into()),
        ]))
        .await?;
    assert_eq!(
        (bad_table.status, message(&bad_table)),
        (400, "Invalid table problem")
    );
    let no_type = api
        .send(
            api.authed(Method::POST, "/api/now/attachment/file")
                .query(&[
                    ("table_name", "incident"),
                    ("table_sys_id", &id),
                    ("file_name", "a.txt"),
                ])
                .body("x"),
        )
        .await?;
    assert_eq!(no_type.status, 400);
    Ok(())
}

#[tokio::test]
async fn multipart_upload_as_clients_send_it() -> TestResult {
    let api = SnApi::start().await;
    let id = incident(&api).await?;
    // ServiceNowv2's upload_file: table_name, table_sys_id, file_name, then `file`.
    let body = form(
        &[
            ("table_name", "incident"),
            ("table_sys_id", &id),
            ("file_name", "evidence_mirrored_from_xsoar.txt"),
        ],
        Some((
            "file",
            "evidence_mirrored_from_xsoar.txt",
            "text/plain",
            b"line 1\r\nline 2",
        )),
    );
    let created = upload(&api, "/api/now/v1/attachment/upload", body).await?;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        created.body["result"]["file_name"],
        "evidence_mirrored_from_xsoar.txt"
    );
    assert_eq!(created.body["result"]["size_bytes"], "14");
    assert_eq!(created.body["result"]["content_type"], "text/plain");

    // record_sys_id instead of table_sys_id, no file_name field, a binary file.
    let bytes: Vec<u8> = (0..=255).collect();
    let body = form(
        &[("table_name", "incident"), ("record_sys_id", &id)],
        Some(("upload", "blob.bin", "application/octet-stream", &bytes)),
    );
    let created = upload(&api, "/api/now/attachment/upload", body).await?;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["result"]["file_name"], "blob.bin");
    let link = created.body["result"]["download_link"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let downloaded = api
        .client
        .get(&link)
        .basic_auth("harness", Some("harness-password"))
        .send()
        .await?;
    assert_eq!(downloaded.bytes().await?.as_ref(), bytes.as_slice());

    // What the mirroring client lists: table_sys_id plus a creation cut-off.
    let all = api
        .get(
            "/api/now/attachment",
            &[("sysparm_query", &format!("table_sys_id={id}"))],
        )
        .await?;
    assert_eq!(
        column(&all.body, "file_name"),
        ["evidence_mirrored_from_xsoar.txt", "blob.bin"]
    );
    assert_eq!(all.header("x-total-count"), Some("2"));
    Ok(())
}

#[tokio::test]
async fn multipart_errors() -> TestResult {
    let api = SnApi::start().await;
    let id = incident(&api).await?;
    let no_table = upload(
        &api,
        "/api/now/attachment/upload",
        form(
            &[("table_sys_id", &id)],
            Some(("file", "a", "text/plain", b"x")),
        ),
    )
    .await?;
    assert_eq!(
        (no_table.status, message(&no_table)),
        (400, "Missing parameter: table_name")
    );
    let no_record = upload(
        &api,
        "/api/now/attachment/upload",
        form(
            &[("table_name", "incident")],
            Some(("file", "a", "text/plain", b"x")),
        ),
    )
    .await?;
    assert_eq!(
        (no_record.status, message(&no_record)),
        (400, "Missing parameter: table_sys_id")
    );
    let no_file = upload(
        &api,
        "/api/now/attachment/upload",
        form(&[("table_name", "incident"), ("table_sys_id", &id)], None),
    )
    .await?;
    assert_eq!(
        (no_file.status, message(&no_file)),
        (400, "Missing parameter: file")
    );
    let unknown = upload(
        &api,
        "/api/now/attachment/upload",
        form(
            &[
                ("table_name", "incident"),
                ("table_sys_id", &"f".repeat(32)),
            ],
            Some(("file", "a", "text/plain", b"x")),
        ),
    )
    .await?;
    assert_eq!(unknown.status, 404);
    let garbage = upload(&api, "/api/now/attachment/upload", b"not a form".to_vec()).await?;
    assert_eq!(garbage.status, 400);
    assert_eq!(garbage.body["status"], "failure");
    let json = api
        .post(
            "/api/now/attachment/upload",
            json!({"table_name": "incident"}),
        )
        .await?;
    assert_eq!(json.status, 400);
    Ok(())
}

#[tokio::test]
async fn attachment_queries() -> TestResult {
    let api = SnApi::start().await;
    let first = incident(&api).await?;
    let second = incident(&api).await?;
    for (record, name, minutes) in [
        (&first, "a.txt", 1),
        (&second, "b.txt", 2),
        (&first, "c.png", 3),
    ] {
        api.clock.advance(Duration::from_secs(60 * minutes));
        api.vendor()
            .act(&json!({"attach": {"record": record, "file_name": name, "content": name}}))?;
    }
    let names = |query: String| {
        let api = &api;
        async move {
            let reply = api
                .get("/api/now/attachment", &[("sysparm_query", query.as_str())])
                .await?;
            Ok::<_, reqwest::Error>(column(&reply.body, "file_name"))
        }
    };
    assert_eq!(
        names(format!("table_sys_id={first}")).await?,
        ["a.txt", "c.png"]
    );
    assert_eq!(
        names(format!(
            "table_sys_id={first}^sys_created_on>2025-01-01 00:01:00"
        ))
        .await?,
        ["c.png"]
    );
    assert_eq!(
        names("table_name=incident^ORDERBYDESCsys_created_on".to_owned()).await?,
        ["c.png", "b.txt", "a.txt"]
    );
    assert_eq!(names("file_nameENDSWITH.png".to_owned()).await?, ["c.png"]);
    assert_eq!(
        names("content_typeSTARTSWITHtext".to_owned()).await?.len(),
        3
    );
    let limited = api
        .get("/api/now/attachment", &[("sysparm_limit", "1")])
        .await?;
    assert!(
        limited
            .header("link")
            .is_some_and(|link| link.contains("rel=\"next\""))
    );

    // Deleting the record takes its attachments along.
    api.delete(&format!("/api/now/table/incident/{first}"))
        .await?;
    assert_eq!(names(String::new()).await?, ["b.txt"]);
    Ok(())
}
