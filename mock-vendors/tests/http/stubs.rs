//! Stubs: each matcher, response sequences, precedence against the default
//! routes, faults and other stubs, delays, the journal, and the stub-only
//! vendor.

use std::time::{Duration, Instant};

use mock_vendors::{Clock, MockVendor, VendorKind, create};
use mock_vendors::{Fault, FaultResponse};
use mock_vendors::{Stub, StubError, StubResponse};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{OktaApi, Reply, TestResult, read};

/// A running stub-only vendor and a plain client.
struct StubApi {
    server: MockVendor,
    client: reqwest::Client,
}

impl StubApi {
    async fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let vendor = create(VendorKind::Stub, Clock::default(), None)?;
        Ok(Self {
            server: MockVendor::start(vendor).await,
            client: reqwest::Client::new(),
        })
    }

    /// A stub-only vendor with the stubs of a YAML list.
    async fn with_yaml(yaml: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let api = Self::start().await?;
        for stub in serde_saphyr::from_str::<Vec<Stub>>(yaml)? {
            api.server.stub(&stub).await?;
        }
        Ok(api)
    }

    fn request(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path_and_query}", self.server.uri());
        self.client.request(method, url)
    }

    async fn get(&self, path_and_query: &str) -> Result<Reply, reqwest::Error> {
        read(self.request(Method::GET, path_and_query).send().await?).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        read(self.request(Method::POST, path).json(&body).send().await?).await
    }
}

/// A stub answering `{"stub": name}`.
fn named(name: &str) -> Stub {
    Stub::new(StubResponse::json(json!({ "stub": name })))
}

#[tokio::test]
async fn the_stub_vendor_answers_404_naming_the_unmatched_request() -> TestResult {
    let api = StubApi::start().await?;
    let reply = api
        .post(
            "/api/now/table/sys_user?sysparm_limit=1&x=a%20b&x=c",
            json!({}),
        )
        .await?;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.body,
        json!({
            "error": "no stub matches",
            "method": "POST",
            "path": "/api/now/table/sys_user",
            "query": {"sysparm_limit": "1", "x": ["a b", "c"]},
        })
    );
    assert_eq!(api.server.vendor().dump(), json!({}));
    Ok(())
}

#[tokio::test]
async fn method_matches_ignoring_case() -> TestResult {
    let api = StubApi::start().await?;
    api.server.stub(&named("get").method("get")).await?;
    assert_eq!(api.get("/anything").await?.body, json!({"stub": "get"}));
    let post = api.post("/anything", json!({})).await?;
    assert_eq!(
        (post.status, post.body["method"].clone()),
        (404, json!("POST"))
    );
    Ok(())
}

#[tokio::test]
async fn path_matches_exactly_or_by_glob() -> TestResult {
    let api = StubApi::start().await?;
    api.server
        .stub(&named("exact").path("/api/v1/users"))
        .await?;
    api.server
        .stub(&named("one").path("/api/v1/users/*"))
        .await?;
    api.server
        .stub(&named("any").path("/api/**/activate"))
        .await?;

    assert_eq!(api.get("/api/v1/users").await?.body["stub"], "exact");
    assert_eq!(
        api.get("/api/v1/users?limit=2").await?.body["stub"],
        "exact"
    );
    assert_eq!(api.get("/api/v1/users/00u1").await?.body["stub"], "one");
    let deep = api.get("/api/v1/users/00u1/lifecycle/activate").await?;
    assert_eq!(deep.body["stub"], "any");
    assert_eq!(api.get("/api/v1/users/00u1/lifecycle").await?.status, 404);
    assert_eq!(api.get("/api/v1/user").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn query_needs_every_listed_parameter_with_its_value() -> TestResult {
    let api = StubApi::with_yaml(
        r#"
- match:
    path: /api/now/table/sys_user
    query: {email: jdoe@example.com, sysparm_limit: 1}
  respond: {json: {result: [{user_name: jdoe}]}}
"#,
    )
    .await?;
    let path = "/api/now/table/sys_user";
    // Order, extra parameters and percent-encoding do not matter.
    let found = api
        .get(&format!(
            "{path}?sysparm_limit=1&extra=x&email=jdoe%40example.com"
        ))
        .await?;
    assert_eq!(found.body["result"][0]["user_name"], "jdoe");
    assert_eq!(
        api.get(&format!("{path}?email=jdoe@example.com"))
            .await?
            .status,
        404,
        "a listed parameter is missing"
    );
    assert_eq!(
        api.get(&format!("{path}?email=ada@example.com&sysparm_limit=1"))
            .await?
            .status,
        404,
        "a listed parameter has another value"
    );
    Ok(())
}

#[tokio::test]
async fn body_matches_as_a_subset() -> TestResult {
    let api = StubApi::with_yaml(
        r#"
- match:
    method: POST
    body: {profile: {active: false}, type: user}
  respond: {status: 201, json: {created: true}}
- match:
    body: "grant_type=password&username=ada"
  respond: {json: {access_token: t}}
"#,
    )
    .await?;
    let matching = json!({"type": "user", "profile": {"active": false, "login": "ada"}, "x": 1});
    let reply = api.post("/users", matching).await?;
    assert_eq!(
        (reply.status, reply.body.clone()),
        (201, json!({"created": true}))
    );
    let other_value = json!({"type": "user", "profile": {"active": true}});
    assert_eq!(api.post("/users", other_value).await?.status, 404);
    let missing_key = json!({"profile": {"active": false}});
    assert_eq!(api.post("/users", missing_key).await?.status, 404);

    // A form body matches a string stub body exactly.
    let form = api
        .request(Method::POST, "/oauth_token.do")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=password&username=ada")
        .send()
        .await?;
    assert_eq!(read(form).await?.body["access_token"], "t");
    Ok(())
}

#[tokio::test]
async fn headers_match_with_names_in_any_case() -> TestResult {
    let api = StubApi::start().await?;
    let stub = named("authorized").header("authorization", "Bearer good");
    api.server.stub(&stub).await?;
    let send = |value: &'static str| {
        api.request(Method::GET, "/me")
            .header("AUTHORIZATION", value)
            .send()
    };
    assert_eq!(
        read(send("Bearer good").await?).await?.body["stub"],
        "authorized"
    );
    assert_eq!(read(send("Bearer bad").await?).await?.status, 404);
    assert_eq!(api.get("/me").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn responses_carry_status_headers_and_bodies() -> TestResult {
    let api = StubApi::with_yaml(
        r#"
- match: {path: /json}
  respond:
    status: 202
    headers: {X-Thing: a, Link: ['<http://x/1>; rel="self"', '<http://x/2>; rel="next"']}
    json: {result: []}
- match: {path: /text}
  respond: {status: 418, body: "short and stout"}
- match: {path: /scim}
  respond: {headers: {Content-Type: application/scim+json}, json: {schemas: []}}
- match: {path: /empty}
  respond: {status: 204}
"#,
    )
    .await?;
    let json_reply = api.get("/json").await?;
    assert_eq!(json_reply.status, 202);
    assert_eq!(json_reply.body, json!({"result": []}));
    assert_eq!(json_reply.header("content-type"), Some("application/json"));
    assert_eq!(json_reply.header("x-thing"), Some("a"));
    assert_eq!(json_reply.link("next").as_deref(), Some("http://x/2"));
    assert_eq!(json_reply.header_all("link").len(), 2);

    let text = api.request(Method::GET, "/text").send().await?;
    assert_eq!(text.status(), 418);
    let content_type = text.headers().get("content-type").cloned();
    assert_eq!(text.text().await?, "short and stout");
    assert_eq!(
        content_type.as_ref().and_then(|value| value.to_str().ok()),
        Some("text/plain")
    );

    let scim = api.get("/scim").await?;
    assert_eq!(scim.header("content-type"), Some("application/scim+json"));
    assert_eq!(scim.body, json!({"schemas": []}));

    let empty = api.get("/empty").await?;
    assert_eq!((empty.status, empty.body.clone()), (204, Value::Null));
    Ok(())
}

#[tokio::test]
async fn times_limits_give_a_response_sequence() -> TestResult {
    let api = StubApi::with_yaml(
        r#"
- match: {method: GET, path: /api/v1/users/00u1}
  respond: {status: 503}
  times: 2
- match: {method: GET, path: /api/v1/users/00u1}
  respond: {json: {status: STAGED}}
  times: 1
- match: {method: GET, path: /api/v1/users/00u1}
  respond: {json: {status: ACTIVE}}
"#,
    )
    .await?;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let reply = api.get("/api/v1/users/00u1").await?;
        seen.push((reply.status, reply.body["status"].clone()));
    }
    assert_eq!(
        seen,
        [
            (503, Value::Null),
            (503, Value::Null),
            (200, json!("STAGED")),
            (200, json!("ACTIVE")),
            (200, json!("ACTIVE")),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn spent_stubs_fall_through_and_times_zero_is_a_no_op() -> TestResult {
    let api = StubApi::start().await?;
    api.server.stub(&named("never").times(0)).await?;
    api.server.stub(&named("once").path("/x").times(1)).await?;
    assert_eq!(api.get("/x").await?.body["stub"], "once");
    let after = api.get("/x").await?;
    assert_eq!(
        (after.status, after.body["error"].clone()),
        (404, json!("no stub matches"))
    );
    Ok(())
}

#[tokio::test]
async fn a_stub_overrides_one_okta_route_and_leaves_the_rest() -> TestResult {
    let api = OktaApi::start().await;
    let stub = Stub::new(StubResponse::json(
        json!({"id": "00ustubbed", "status": "SUSPENDED"}),
    ))
    .method("GET")
    .path("/api/v1/users/me");
    api.server.stub(&stub).await?;

    let me = api.get("/users/me").await?;
    assert_eq!(me.body, json!({"id": "00ustubbed", "status": "SUSPENDED"}));
    // Not even Okta's auth check runs for a stubbed route.
    let unauthenticated = read(api.raw(Method::GET, "/users/me").send().await?).await?;
    assert_eq!(unauthenticated.body["id"], "00ustubbed");
    // Everything else is still the stateful Okta.
    let id = api.create_user("ada@example.com", "").await?;
    let ada = api.get(&format!("/users/{id}")).await?;
    assert_eq!(ada.body["profile"]["login"], "ada@example.com");
    Ok(())
}

#[tokio::test]
async fn stubs_over_okta_get_its_rate_limit_headers_and_request_ids() -> TestResult {
    let api = OktaApi::start().await;
    let plain = Stub::new(StubResponse::json(json!({"stub": true})))
        .method("GET")
        .path("/api/v1/users/me");
    let own = Stub::new(
        StubResponse::new(429)
            .header("X-Rate-Limit-Remaining", "0")
            .header("x-okta-request-id", "scripted"),
    )
    .path("/api/v1/users/limited");
    api.server.stub(&plain).await?;
    api.server.stub(&own).await?;

    let first = api.get("/users/me").await?;
    let default_route = api.get("/users/nobody").await?;
    let second = api.get("/users/me").await?;
    assert_eq!(first.body, json!({"stub": true}));
    let remaining: Vec<Option<&str>> = [&first, &default_route, &second]
        .iter()
        .map(|reply| reply.header("x-rate-limit-remaining"))
        .collect();
    // Stubbed answers count against the same budget as the others.
    assert_eq!(remaining, [Some("599"), Some("598"), Some("597")]);
    for reply in [&first, &second] {
        assert_eq!(reply.header("x-rate-limit-limit"), Some("600"));
        assert_eq!(reply.header("x-rate-limit-reset"), Some("1735689660"));
        assert_eq!(reply.header_all("x-rate-limit-remaining").len(), 1);
    }
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .filter_map(|reply| reply.header("x-okta-request-id"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);

    // A header the stub sets itself wins; the others are still added.
    let limited = api.get("/users/limited").await?;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header_all("x-rate-limit-remaining"), ["0"]);
    assert_eq!(limited.header_all("x-okta-request-id"), ["scripted"]);
    assert_eq!(limited.header("x-rate-limit-limit"), Some("600"));
    assert!(limited.header("x-rate-limit-reset").is_some());
    Ok(())
}

#[tokio::test]
async fn stubs_over_servicenow_and_the_stub_vendor_get_no_extra_headers() -> TestResult {
    let servicenow = crate::servicenow_support::SnApi::start().await;
    servicenow
        .server
        .stub(&named("sn").path("/api/now/table/incident"))
        .await?;
    let reply = servicenow.get("/api/now/table/incident", &[]).await?;
    assert_eq!(reply.body, json!({"stub": "sn"}));

    let stub_only = StubApi::start().await?;
    stub_only.server.stub(&named("only").path("/x")).await?;
    let only = stub_only.get("/x").await?;
    assert_eq!(only.body, json!({"stub": "only"}));

    for reply in [&reply, &only] {
        let names: Vec<&str> = reply
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.contains("rate") || name.contains("okta"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
    Ok(())
}

#[tokio::test]
async fn faults_win_over_stubs() -> TestResult {
    let api = StubApi::start().await?;
    api.server.stub(&named("stub").path("/x")).await?;
    api.server
        .inject(&Fault::new(FaultResponse::Status(503)).path("/x"))
        .await;
    let faulted = api.get("/x").await?;
    assert_eq!(
        (faulted.status, faulted.body.clone()),
        (503, json!({"error": "injected fault", "status": 503}))
    );
    assert_eq!(api.get("/x").await?.body["stub"], "stub");
    Ok(())
}

#[tokio::test]
async fn earlier_stubs_win_over_later_ones() -> TestResult {
    let api = StubApi::start().await?;
    api.server
        .stub(&named("specific").path("/api/v1/users/me"))
        .await?;
    api.server.stub(&named("catch-all")).await?;
    api.server
        .stub(&named("too late").path("/api/v1/users/me"))
        .await?;
    for _ in 0..2 {
        assert_eq!(api.get("/api/v1/users/me").await?.body["stub"], "specific");
    }
    assert_eq!(api.get("/elsewhere").await?.body["stub"], "catch-all");
    Ok(())
}

#[tokio::test]
async fn admin_routes_stay_above_stubs() -> TestResult {
    let api = StubApi::start().await?;
    api.server.mount_admin().await;
    api.server.stub(&named("catch-all")).await?;
    assert_eq!(api.get("/anything").await?.body["stub"], "catch-all");
    let journal = api.get("/__admin/journal").await?;
    assert_eq!(journal.body[0]["path"], "/anything");
    Ok(())
}

#[tokio::test]
async fn a_stub_delay_answers_late() -> TestResult {
    let api =
        StubApi::with_yaml("- {match: {path: /slow}, respond: {delay: 250ms, body: late}}").await?;
    let started = Instant::now();
    let reply = api.request(Method::GET, "/slow").send().await?;
    assert_eq!(reply.text().await?, "late");
    assert!(started.elapsed() >= Duration::from_millis(250));

    let quick = Instant::now();
    assert_eq!(api.get("/fast").await?.status, 404);
    assert!(quick.elapsed() < Duration::from_millis(250));
    Ok(())
}

#[tokio::test]
async fn stubbed_requests_are_journaled_like_any_other() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .stub(
            &Stub::new(StubResponse::new(204))
                .method("POST")
                .path("/api/v1/groups"),
        )
        .await?;
    api.get("/users/me").await?;
    api.post("/groups", json!({"name": "admins", "password": "hunter2"}))
        .await?;
    api.get("/users/me").await?;
    let journal = api.server.journal().await;
    let calls: Vec<(&str, &str)> = journal
        .iter()
        .map(|entry| (entry.method.as_str(), entry.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("GET", "/api/v1/users/me"),
            ("POST", "/api/v1/groups"),
            ("GET", "/api/v1/users/me"),
        ]
    );
    // Redacted like every journaled body.
    assert_eq!(
        journal[1].body,
        Some(json!({"name": "admins", "password": "[REDACTED]"}))
    );
    Ok(())
}

#[tokio::test]
async fn an_invalid_stub_built_in_code_is_an_error_and_mounts_nothing() -> TestResult {
    let api = StubApi::start().await?;
    let both = StubResponse {
        body: Some("x".into()),
        ..StubResponse::json(json!({}))
    };
    assert_eq!(
        api.server.stub(&Stub::new(both)).await,
        Err(StubError::JsonAndBody)
    );
    let bad_path = named("x").path("api/v1/users");
    assert!(matches!(
        api.server.stub(&bad_path).await,
        Err(StubError::Path { .. })
    ));
    assert_eq!(
        api.server.stub(&Stub::new(StubResponse::new(1000))).await,
        Err(StubError::Status(1000))
    );
    assert_eq!(api.get("/api/v1/users").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn invalid_stub_yaml_is_refused_with_its_location() {
    let yaml = "- match: {path: /ok}\n  respond: {}\n- respond:\n    status: 700\n";
    let error = serde_saphyr::from_str::<Vec<Stub>>(yaml)
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(error.contains("line 4 column 13"), "{error}");
    assert!(
        error.contains("respond.status 700 is not a final HTTP status between 200 and 599"),
        "{error}"
    );
}

#[tokio::test]
async fn the_stub_vendor_refuses_tokens_and_seeds() -> TestResult {
    let token = create(VendorKind::Stub, Clock::default(), Some("t0ken".into()));
    assert!(token.is_err());
    let vendor = create(VendorKind::Stub, Clock::default(), None)?;
    assert!(vendor.seed(&json!({})).is_ok());
    let error = vendor
        .seed(&json!({"users": []}))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "invalid seed at users: the stub vendor has no state: give no seed and lay stubs instead"
        )
    );
    Ok(())
}
