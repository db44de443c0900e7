//! The remote XSOAR server over HTTP: auth, search, load, save with
//! versions, close, definitions, faults, dump and `serve --vendor xsoar`.

use std::sync::Arc;
use std::time::Duration;

use mock_vendors::xsoar::{DEFAULT_API_KEY, Xsoar};
use mock_vendors::{Clock, Fault, FaultResponse, MockVendor, Vendor};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Reply, TestResult, read};

/// A running remote server plus a client that sends the key by default.
pub(crate) struct XsoarApi {
    pub(crate) server: MockVendor,
    pub(crate) clock: Clock,
    client: reqwest::Client,
}

impl XsoarApi {
    pub(crate) async fn seeded(seed: Value) -> Result<Self, Box<dyn std::error::Error>> {
        let clock = Clock::default();
        let vendor = Arc::new(Xsoar::new(clock.clone(), DEFAULT_API_KEY));
        vendor.seed(&seed)?;
        Ok(Self {
            server: MockVendor::start(vendor).await,
            clock,
            client: reqwest::Client::new(),
        })
    }

    pub(crate) fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.server.uri()))
    }

    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Reply, reqwest::Error> {
        read(request.send().await?).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.send(
            self.raw(Method::POST, path)
                .header("Authorization", DEFAULT_API_KEY)
                .json(&body),
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Reply, reqwest::Error> {
        self.send(
            self.raw(Method::GET, path)
                .header("Authorization", DEFAULT_API_KEY),
        )
        .await
    }

    /// The ids a search answers, in order, and its total.
    async fn search(
        &self,
        filter: Value,
    ) -> Result<(Vec<String>, u64), Box<dyn std::error::Error>> {
        let reply = self
            .post("/incidents/search", json!({"filter": filter}))
            .await?;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let ids = reply.body["data"]
            .as_array()
            .ok_or("no data")?
            .iter()
            .filter_map(|incident| incident["id"].as_str().map(str::to_owned))
            .collect();
        Ok((ids, reply.body["total"].as_u64().ok_or("no total")?))
    }
}

/// The error body's `(status, id, title)`.
pub(crate) fn error_of(reply: &Reply) -> (u16, String, String) {
    let text = |field: &str| reply.body[field].as_str().unwrap_or_default().to_owned();
    assert_eq!(reply.body["status"], reply.status, "{}", reply.body);
    (reply.status, text("id"), text("title"))
}

fn three_incidents() -> Value {
    json!({"incidents": [
        {"name": "Phish", "type": "Phishing", "sourceBrand": "Mail Gate", "severity": 2,
         "created": "2025-01-01T00:00:00Z", "CustomFields": {"team": "blue"}},
        {"name": "Malware", "type": "Malware", "sourceBrand": "EDR", "severity": 3,
         "created": "2025-01-02T00:00:00Z"},
        {"name": "Old phish", "type": "Phishing", "sourceBrand": "Mail Gate", "status": 2,
         "created": "2024-12-01T00:00:00Z", "closeReason": "Resolved"},
    ]})
}

#[tokio::test]
async fn a_missing_key_is_401_and_a_wrong_key_403_forbidden() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    let body = json!({"filter": {}});
    let missing = api
        .send(api.raw(Method::POST, "/incidents/search").json(&body))
        .await?;
    assert_eq!(
        error_of(&missing),
        (401, "unauthorized".to_owned(), "Unauthorized".to_owned())
    );
    let wrong = api
        .send(
            api.raw(Method::GET, "/incident/load/1")
                .header("Authorization", "not-the-key"),
        )
        .await?;
    assert_eq!(
        error_of(&wrong),
        (403, "forbidden".to_owned(), "Forbidden".to_owned())
    );
    assert_eq!(wrong.body["detail"], "Invalid API key");
    // A scheme in front of the raw key is a wrong key too.
    let schemed = api
        .send(
            api.raw(Method::GET, "/incidentfields")
                .header("Authorization", format!("Bearer {DEFAULT_API_KEY}")),
        )
        .await?;
    assert_eq!(schemed.status, 403);
    // Even unknown paths check the key first.
    let unknown = api.send(api.raw(Method::GET, "/nowhere")).await?;
    assert_eq!(unknown.status, 401);
    Ok(())
}

#[tokio::test]
async fn search_takes_the_query_subset_integrations_send() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    let cases = [
        ("", vec!["1", "2", "3"]),
        ("type:Phishing", vec!["1", "3"]),
        (r#"sourceBrand:"Mail Gate" and -status:closed"#, vec!["1"]),
        ("-type:phishing", vec!["2"]),
        (r#"created:>="2025-01-01T00:00:00Z""#, vec!["1", "2"]),
        (
            r#"created:<"2025-01-01T00:00:00Z" AND status:closed"#,
            vec!["3"],
        ),
        ("severity:>=3", vec!["2"]),
        ("team:blue", vec!["1"]),
        ("id:2", vec!["2"]),
        (r#"name:"old phish""#, vec!["3"]),
    ];
    for (query, expected) in cases {
        let (ids, total) = api.search(json!({"query": query})).await?;
        assert_eq!(ids, expected, "{query}");
        assert_eq!(total, expected.len() as u64, "{query}");
    }
    Ok(())
}

#[tokio::test]
async fn search_pages_sorts_and_bounds_by_from_date() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    let sort = json!([{"field": "created", "asc": true}]);
    let (ids, total) = api
        .search(json!({"size": 2, "page": 0, "sort": sort}))
        .await?;
    assert_eq!((ids, total), (vec!["3".to_owned(), "1".to_owned()], 3));
    let (ids, total) = api
        .search(json!({"size": 2, "page": 1, "sort": sort}))
        .await?;
    assert_eq!((ids, total), (vec!["2".to_owned()], 3));
    let (ids, _) = api
        .search(json!({"sort": [{"field": "severity", "asc": false}]}))
        .await?;
    assert_eq!(ids, ["2", "1", "3"]);
    let (ids, total) = api
        .search(json!({"fromDate": "2025-01-01T12:00:00Z", "query": "type:Malware"}))
        .await?;
    assert_eq!((ids, total), (vec!["2".to_owned()], 1));
    let (ids, total) = api.search(json!({"page": 5})).await?;
    assert_eq!((ids.len(), total), (0, 3));
    Ok(())
}

#[tokio::test]
async fn queries_outside_the_subset_are_400s_saying_where() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    let cases = [
        (
            "type:a or type:b",
            r#"unsupported syntax "or" at position 7"#,
        ),
        ("phishing", "expected field:value at position 0"),
        (r#"name:"open"#, "unterminated quote starting at position 5"),
        ("type:a and", "\"and\" at position 7 must join two terms"),
        ("created:>=yesterday", "created: expected an ISO-8601 time"),
        ("(type:a)", "unsupported syntax \"(type:a)\""),
        ("name:phi*", "unsupported syntax \"phi*\""),
    ];
    for (query, detail) in cases {
        let reply = api
            .post("/incidents/search", json!({"filter": {"query": query}}))
            .await?;
        assert_eq!(
            error_of(&reply),
            (400, "bad_request".to_owned(), "Bad Request".to_owned()),
            "{query}"
        );
        let text = reply.body["detail"].as_str().unwrap_or_default();
        assert!(text.starts_with("Failed to parse the query: "), "{text}");
        assert!(text.contains(detail), "{query}: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn unusable_search_bodies_are_400s() -> TestResult {
    let api = XsoarApi::seeded(json!({})).await?;
    let not_json = api
        .send(
            api.raw(Method::POST, "/incidents/search")
                .header("Authorization", DEFAULT_API_KEY)
                .body("{filter"),
        )
        .await?;
    assert_eq!(not_json.status, 400);
    assert!(
        not_json.body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("the request body is not JSON")
    );
    for (filter, detail) in [
        (
            json!({"size": -1}),
            "filter.size: expected a whole number from 0",
        ),
        (json!({"query": 5}), "filter.query: expected a string"),
        (
            json!({"fromDate": "soon"}),
            "filter.fromDate: expected an ISO-8601 time",
        ),
        (
            json!({"sort": [{"field": "colour"}]}),
            "filter.sort[0].field: \"colour\" is not sortable",
        ),
    ] {
        let reply = api
            .post("/incidents/search", json!({"filter": filter}))
            .await?;
        assert_eq!(reply.status, 400, "{filter}");
        let text = reply.body["detail"].as_str().unwrap_or_default();
        assert!(text.starts_with(detail), "{text}");
    }
    Ok(())
}

#[tokio::test]
async fn load_answers_the_incident_or_404() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    let phish = api.get("/incident/load/1").await?;
    assert_eq!(phish.status, 200);
    assert_eq!(phish.body["name"], "Phish");
    assert_eq!(phish.body["version"], 1);
    assert_eq!(phish.body["status"], 1);
    assert_eq!(phish.body["investigationId"], "1");
    assert_eq!(phish.body["created"], "2025-01-01T00:00:00.000Z");
    assert_eq!(phish.body["closed"], "0001-01-01T00:00:00Z");
    assert_eq!(phish.body["CustomFields"]["team"], "blue");
    let closed = api.get("/incident/load/3").await?;
    assert_eq!(
        (
            closed.body["status"].clone(),
            closed.body["closeReason"].clone()
        ),
        (json!(2), json!("Resolved"))
    );
    for id in ["99", "abc"] {
        let missing = api.get(&format!("/incident/load/{id}")).await?;
        assert_eq!(
            error_of(&missing),
            (404, "not_found".to_owned(), "Not Found".to_owned())
        );
        assert_eq!(
            missing.body["detail"],
            format!("Could not find incident {id}")
        );
    }
    Ok(())
}

#[tokio::test]
async fn create_stamps_from_the_clock_and_numbers_from_the_seed() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    api.clock.advance(Duration::from_secs(90));
    let created = api
        .post(
            "/incident",
            json!({"name": "Pushed", "type": "Phishing", "severity": 1, "createInvestigation": true,
                   "CustomFields": {"team": "red"}, "dbotMirrorId": "77"}),
        )
        .await?;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["id"], "4");
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["status"], 1);
    assert_eq!(created.body["investigationId"], "4");
    assert_eq!(created.body["created"], "2025-01-01T00:01:30.000Z");
    assert_eq!(created.body["dbotMirrorId"], "77");
    let pending = api
        .post("/incident", json!({"name": "Quiet", "id": ""}))
        .await?;
    assert_eq!(
        (
            pending.body["id"].clone(),
            pending.body["status"].clone(),
            pending.body["investigationId"].clone()
        ),
        (json!("5"), json!(0), json!(""))
    );
    let loaded = api.get("/incident/load/4").await?;
    assert_eq!(loaded.body, created.body);
    let bad = api
        .post("/incident", json!({"name": "x", "severity": "high"}))
        .await?;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body["detail"],
        "severity: expected a number from 0 to 4"
    );
    Ok(())
}

#[tokio::test]
async fn an_update_needs_the_current_version_and_a_stale_one_is_a_409() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    api.clock.advance(Duration::from_secs(60));
    let updated = api
        .post(
            "/incident",
            json!({"id": "1", "version": 1, "severity": 4, "CustomFields": {"extra": "x"}}),
        )
        .await?;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["severity"], 4);
    assert_eq!(updated.body["name"], "Phish");
    assert_eq!(
        updated.body["CustomFields"],
        json!({"team": "blue", "extra": "x"})
    );
    assert_eq!(updated.body["modified"], "2025-01-01T00:01:00.000Z");

    let stale = api
        .post(
            "/incident",
            json!({"id": "1", "version": 1, "name": "Lost write"}),
        )
        .await?;
    assert_eq!(
        error_of(&stale),
        (409, "conflict".to_owned(), "Conflict".to_owned())
    );
    assert_eq!(
        stale.body["detail"],
        "Could not save incident 1: version conflict"
    );
    assert_eq!(
        stale.body["error"],
        "DB version conflict: the stored version is 2, the request has 1"
    );
    assert_eq!(api.get("/incident/load/1").await?.body["name"], "Phish");

    let forced = api
        .post(
            "/incident",
            json!({"id": "1", "version": -1, "name": "Forced"}),
        )
        .await?;
    assert_eq!(
        (forced.body["version"].clone(), forced.body["name"].clone()),
        (json!(3), json!("Forced"))
    );
    let unversioned = api
        .post("/incident", json!({"id": "1", "name": "x"}))
        .await?;
    assert_eq!(unversioned.status, 400);
    let unknown = api
        .post("/incident", json!({"id": "42", "version": 1}))
        .await?;
    assert_eq!(unknown.status, 404);
    Ok(())
}

#[tokio::test]
async fn close_sets_status_2_with_the_reason_and_checks_the_version() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    api.clock.advance(Duration::from_secs(3600));
    let closed = api
        .post(
            "/incident/close",
            json!({"id": "2", "version": 1, "closeReason": "Resolved", "closeNotes": "Cleaned"}),
        )
        .await?;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["status"], 2);
    assert_eq!(closed.body["version"], 2);
    assert_eq!(closed.body["closed"], "2025-01-01T01:00:00.000Z");
    assert_eq!(closed.body["closeNotes"], "Cleaned");
    let stale = api
        .post("/incident/close", json!({"id": "2", "version": 1}))
        .await?;
    assert_eq!(stale.status, 409);
    let (ids, _) = api.search(json!({"query": "status:closed"})).await?;
    assert_eq!(ids, ["2", "3"]);
    let no_id = api.post("/incident/close", json!({"version": 1})).await?;
    assert_eq!(no_id.status, 400);
    Ok(())
}

#[tokio::test]
async fn fields_and_types_answer_the_seeded_definitions() -> TestResult {
    let api = XsoarApi::seeded(json!({
        "fields": [{"cliName": "team", "type": "singleSelect", "selectValues": ["blue", "red"]}],
        "types": [{"name": "Phishing"}, {"name": "Unclassified", "system": true}],
    }))
    .await?;
    let fields = api.get("/incidentfields").await?;
    assert_eq!(fields.status, 200);
    assert_eq!(fields.body[0]["cliName"], "team");
    assert_eq!(fields.body[0]["name"], "team");
    assert_eq!(fields.body[0]["group"], 0);
    assert_eq!(fields.body[0]["associatedToAll"], true);
    let types = api.get("/incidenttype").await?;
    let names: Vec<&str> = types
        .body
        .as_array()
        .ok_or("no list")?
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["Phishing", "Unclassified"]);
    Ok(())
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() -> TestResult {
    let api = XsoarApi::seeded(json!({})).await?;
    let unknown = api.get("/incidents/everything").await?;
    assert_eq!(
        error_of(&unknown),
        (404, "not_found".to_owned(), "Not Found".to_owned())
    );
    let wrong_method = api.get("/incidents/search").await?;
    assert_eq!(
        error_of(&wrong_method),
        (
            405,
            "method_not_allowed".to_owned(),
            "Method Not Allowed".to_owned()
        )
    );
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let typed = api.post("/incidenttype", json!({})).await?;
    assert_eq!((typed.status, typed.header("allow")), (405, Some("GET")));
    Ok(())
}

#[tokio::test]
async fn faults_answer_with_the_servers_error_body() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    api.server
        .inject(&Fault::new(FaultResponse::RateLimit).path("/incidents/search"))
        .await;
    api.server
        .inject(
            &Fault::new(FaultResponse::Status(503))
                .path("/incident")
                .times(2),
        )
        .await;
    let limited = api.post("/incidents/search", json!({"filter": {}})).await?;
    assert_eq!(
        error_of(&limited),
        (
            429,
            "too_many_requests".to_owned(),
            "Too Many Requests".to_owned()
        )
    );
    assert_eq!(api.search(json!({})).await?.1, 3);
    for _ in 0..2 {
        let down = api.post("/incident", json!({"name": "x"})).await?;
        assert_eq!(
            error_of(&down),
            (
                503,
                "service_unavailable".to_owned(),
                "Service Unavailable".to_owned()
            )
        );
    }
    // Faulted writes changed nothing; the next one goes through.
    assert_eq!(
        api.post("/incident", json!({"name": "x"})).await?.body["id"],
        "4"
    );
    Ok(())
}

#[tokio::test]
async fn the_dump_follows_writes_and_reset_returns_to_the_seed() -> TestResult {
    let api = XsoarApi::seeded(three_incidents()).await?;
    api.post("/incident/close", json!({"id": "1", "version": 1}))
        .await?;
    let dump = api.server.vendor().dump();
    assert_eq!(dump["incidents"][0]["status"], 2);
    assert_eq!(dump["incidents"].as_array().map(Vec::len), Some(3));
    assert_eq!(dump["types"][0]["name"], "Unclassified");
    api.server.vendor().reset();
    assert_eq!(api.server.vendor().dump()["incidents"][0]["status"], 1);
    Ok(())
}

#[test]
fn bad_seeds_are_refused_naming_the_place() {
    let xsoar = Xsoar::new(Clock::default(), DEFAULT_API_KEY);
    let error = xsoar
        .seed(&json!({"incidents": [{"name": "a"}, {"status": 9}]}))
        .err()
        .map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "invalid seed at incidents[1].status: expected 0 (pending), 1 (active), 2 (done) or 3 (archived)"
        )
    );
    assert!(xsoar.seed(&json!({"incidnets": []})).is_err());
    // A refused seed leaves the state as it was.
    assert_eq!(xsoar.dump()["incidents"], json!([]));
}

#[tokio::test]
async fn serve_vendor_xsoar_answers_with_the_seed_file() -> TestResult {
    let seed = std::env::temp_dir().join(format!(
        "mock-vendors-http-{}-xsoar-seed.yaml",
        std::process::id()
    ));
    std::fs::write(
        &seed,
        "version: 8.4.0\nkey_id: \"9\"\nincidents:\n  - name: Served\n    sourceBrand: Mail\n    entries: [{contents: seeded note, note: true}]\n",
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mock-vendors"))
        .args([
            "serve",
            "--vendor",
            "xsoar",
            "--port",
            &port.to_string(),
            "--token",
            "k3y",
            "--seed",
        ])
        .arg(&seed)
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let client = reqwest::Client::new();
    let call = |path: &str, body: Value| {
        client
            .post(format!("http://127.0.0.1:{port}/xsoar{path}"))
            .header("Authorization", "k3y")
            .header("x-xdr-auth-id", "9")
            .json(&body)
            .send()
    };
    let mut answers = Vec::new();
    for _ in 0..200 {
        match call(
            "/incidents/search",
            json!({"filter": {"query": "sourceBrand:Mail"}}),
        )
        .await
        {
            Ok(response) => {
                answers.push(read(response).await?);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    if !answers.is_empty() {
        let note = json!({"investigationId": "1", "data": "from a client"});
        for (path, body) in [
            ("/entry/note", note),
            ("/investigation/1", json!({"categories": ["notes"]})),
            (
                "/public/v1/incidents/modified",
                json!({"fromDate": "2020-01-01T00:00:00Z"}),
            ),
        ] {
            answers.push(read(call(path, body).await?).await?);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&seed);
    let [search, note, entries, modified] = &answers[..] else {
        return Err(format!("the server answered {} of 4 calls", answers.len()).into());
    };
    assert_eq!(search.status, 200, "{}", search.body);
    assert_eq!(search.body["data"][0]["name"], "Served");
    assert_eq!((note.status, note.body["id"].clone()), (200, json!("2@1")));
    assert_eq!(entries.body["total"], 2, "{}", entries.body);
    assert_eq!(modified.body["data"][0]["id"], "1", "{}", modified.body);
    Ok(())
}
