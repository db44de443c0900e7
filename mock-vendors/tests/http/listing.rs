//! `GET /users`: plain lists, `q`, `filter`, `search`, paging.

use serde_json::{Value, json};

use crate::support::{OktaApi, TestResult};

fn user(login: &str, first: &str, last: &str, status: &str, created: &str) -> Value {
    json!({
        "status": status,
        "created": created,
        "profile": {"login": login, "email": login, "firstName": first, "lastName": last},
    })
}

/// Five users, Ada owning the token (so no admin user is added).
fn five_users() -> Value {
    json!({
        "owner": "ada@example.com",
        "users": [
            user("ada@example.com", "Ada", "Lovelace", "ACTIVE", "2024-01-01T00:00:00.000Z"),
            user("bob@example.com", "Bob", "Builder", "STAGED", "2024-02-01T00:00:00.000Z"),
            user("carol@example.org", "Carol", "Danvers", "DEPROVISIONED", "2024-03-01T00:00:00.000Z"),
            user("dave@example.org", "Dave", "Adams", "SUSPENDED", "2024-04-01T00:00:00.000Z"),
            user("eve@example.com", "Eve", "Lovelace", "ACTIVE", "2024-05-01T00:00:00.000Z"),
        ],
    })
}

async fn logins(api: &OktaApi, query: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let reply = api.get(&format!("/users?{query}")).await?;
    assert_eq!(reply.status, 200, "{query}: {:?}", reply.body);
    Ok(reply
        .logins()
        .into_iter()
        .map(|login| login.split('@').next().unwrap_or_default().to_owned())
        .collect())
}

fn encoded(expression: &str) -> String {
    expression
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('"', "%22")
        .replace('(', "%28")
        .replace(')', "%29")
}

#[tokio::test]
async fn plain_list_hides_deprovisioned_users() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    assert_eq!(logins(&api, "").await?, ["ada", "bob", "dave", "eve"]);
    Ok(())
}

#[tokio::test]
async fn filter_takes_eq_and_ranges_on_last_updated() -> TestResult {
    let mut seed = five_users();
    // Bob and Dave changed later than the others.
    seed["users"][1]["lastUpdated"] = json!("2024-06-01T00:00:00.000Z");
    seed["users"][3]["lastUpdated"] = json!("2024-07-01T00:00:00.000Z");
    let api = OktaApi::seeded(seed).await?;
    let cases: [(&str, &[&str]); 12] = [
        (r#"profile.login eq "ADA@example.com""#, &["ada"]),
        (r#"profile.email eq "eve@example.com""#, &["eve"]),
        (r#"profile.firstName eq "carol""#, &["carol"]),
        (r#"profile.lastName eq "Lovelace""#, &["ada", "eve"]),
        (r#"status eq "DEPROVISIONED""#, &["carol"]),
        (r#"status eq "ACTIVE""#, &["ada", "eve"]),
        (r#"lastUpdated gt "2024-06-01T00:00:00.000Z""#, &["dave"]),
        (
            r#"lastUpdated ge "2024-06-01T00:00:00.000Z""#,
            &["bob", "dave"],
        ),
        (r#"lastUpdated lt "2024-02-01T00:00:00Z""#, &["ada"]),
        (
            r#"lastUpdated le "2024-03-01T00:00:00Z""#,
            &["ada", "carol"],
        ),
        (
            r#"status eq "ACTIVE" and profile.firstName eq "eve" or status eq "STAGED""#,
            &["bob", "eve"],
        ),
        (
            r#"status EQ "ACTIVE" AND (profile.firstName eq "eve" OR profile.firstName eq "ada")"#,
            &["ada", "eve"],
        ),
    ];
    for (expression, expected) in cases {
        let found = logins(&api, &format!("filter={}", encoded(expression))).await?;
        assert_eq!(found, expected, "{expression}");
    }
    let id = api.get("/users/eve@example.com").await?.body["id"].clone();
    let by_id = logins(&api, &format!("filter={}", encoded(&format!("id eq {id}")))).await?;
    assert_eq!(by_id, ["eve"]);
    Ok(())
}

#[tokio::test]
async fn search_takes_sw_co_pr_ranges_and_not() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    let cases: [(&str, &[&str]); 13] = [
        (r#"profile.lastName sw "love""#, &["ada", "eve"]),
        (r#"profile.lastName co "VER""#, &["carol"]),
        (r#"profile.firstName co "a""#, &["ada", "carol", "dave"]),
        (r#"profile.email co ".org""#, &["carol", "dave"]),
        (r#"profile.login co "e@""#, &["dave", "eve"]),
        (r#"created gt "2024-03-01T00:00:00.000Z""#, &["dave", "eve"]),
        (
            r#"created ge "2024-03-01T00:00:00.000Z""#,
            &["carol", "dave", "eve"],
        ),
        (r#"created lt "2024-02-01T00:00:00Z""#, &["ada"]),
        ("profile.email pr", &["ada", "bob", "carol", "dave", "eve"]),
        ("profile.title pr", &[]),
        (
            r#"not (status eq "ACTIVE" or status eq "DEPROVISIONED")"#,
            &["bob", "dave"],
        ),
        (
            r#"profile.email co "example.com" and not profile.firstName sw "a""#,
            &["bob", "eve"],
        ),
        (
            r#"(status eq "SUSPENDED" or status eq "DEPROVISIONED") and profile.email sw "carol""#,
            &["carol"],
        ),
    ];
    for (expression, expected) in cases {
        let found = logins(&api, &format!("search={}", encoded(expression))).await?;
        assert_eq!(found, expected, "{expression}");
    }
    for expression in [
        r#"profile.title co "x""#,
        r#"status co "ACT""#,
        r#"id co "00u""#,
    ] {
        let reply = api
            .get(&format!("/users?search={}", encoded(expression)))
            .await?;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "E0000031"),
            "{expression}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn bad_filters_are_e0000031() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    for expression in [
        r#"profile.login eq"#,
        r#"Profile.login eq "ada@example.com""#,
        r#"status equals "ACTIVE""#,
        r#"status eq ACTIVE"#,
        r#"(status eq "ACTIVE""#,
        r#"lastUpdated gt "last week""#,
        r#"type.id eq "oty""#,
        // More than Okta's filter takes: it belongs in `search`.
        r#"profile.lastName sw "love""#,
        r#"profile.email co "example""#,
        "profile.email pr",
        r#"created gt "2024-03-01T00:00:00.000Z""#,
        r#"profile.title eq "CEO""#,
        r#"status gt "A""#,
        r#"not status eq "ACTIVE""#,
    ] {
        let reply = api
            .get(&format!("/users?filter={}", encoded(expression)))
            .await?;
        assert_eq!(reply.status, 400, "{expression}");
        assert_eq!(reply.error_code(), "E0000031", "{expression}");
        assert_eq!(reply.body["errorSummary"], "Invalid search criteria.");
        let cause = reply.body["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap_or_default();
        assert!(!cause.is_empty(), "{expression}: no cause");
    }
    Ok(())
}

#[tokio::test]
async fn filter_and_search_together_are_refused() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    let query = format!(
        "/users?filter={}&search={}",
        encoded(r#"status eq "ACTIVE""#),
        encoded(r#"status eq "ACTIVE""#)
    );
    let reply = api.get(&query).await?;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "E0000033");
    Ok(())
}

#[tokio::test]
async fn listed_users_link_only_to_themselves() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    let base = format!("{}/api/v1/users", api.server.uri());
    let search = encoded(r#"profile.email pr"#);
    for query in ["", "?q=a", "?filter=status%20eq%20%22ACTIVE%22"]
        .into_iter()
        .map(str::to_owned)
        .chain([format!("?search={search}")])
    {
        let reply = api.get(&format!("/users{query}")).await?;
        let users = reply.body.as_array().cloned().unwrap_or_default();
        assert!(!users.is_empty(), "{query}");
        for user in users {
            let id = user["id"].as_str().unwrap_or_default();
            assert_eq!(
                user["_links"],
                json!({"self": {"href": format!("{base}/{id}")}}),
                "{query}"
            );
        }
    }
    // One user on its own carries its lifecycle links.
    let ada = api.get("/users/ada@example.com").await?;
    let links = &ada.body["_links"];
    let id = ada.body["id"].as_str().unwrap_or_default();
    assert_eq!(links["self"]["href"], format!("{base}/{id}"));
    assert_eq!(
        links["deactivate"],
        json!({"href": format!("{base}/{id}/lifecycle/deactivate"), "method": "POST"})
    );
    assert!(links["suspend"].is_object() && links["schema"].is_object());
    Ok(())
}

#[tokio::test]
async fn q_matches_name_and_email_prefixes() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    assert_eq!(logins(&api, "q=love").await?, ["ada", "eve"]);
    assert_eq!(logins(&api, "q=ADA").await?, ["ada", "dave"]);
    assert_eq!(logins(&api, "q=carol").await?, Vec::<String>::new());
    assert_eq!(logins(&api, "q=bob%40").await?, ["bob"]);
    Ok(())
}

/// `count` active users called Same Name, `same00@example.com` onwards.
fn same_named(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            user(
                &format!("same{i:02}@example.com"),
                "Same",
                "Name",
                "ACTIVE",
                "2024-01-01T00:00:00Z",
            )
        })
        .collect()
}

#[tokio::test]
async fn q_defaults_to_ten_results() -> TestResult {
    let api = OktaApi::seeded(json!({"users": same_named(12)})).await?;
    let reply = api.get("/users?q=same").await?;
    assert_eq!(reply.ids().len(), 10);
    assert_eq!(api.get("/users").await?.ids().len(), 13);
    Ok(())
}

#[tokio::test]
async fn q_answers_one_page_without_a_next_link() -> TestResult {
    let api = OktaApi::seeded(json!({"users": same_named(5)})).await?;
    let reply = api.get("/users?q=same&limit=2").await?;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.ids().len(), 2);
    assert_eq!(reply.link("next"), None, "{:?}", reply.header_all("link"));
    assert_eq!(
        reply.link("self"),
        Some(format!("{}/api/v1/users?q=same&limit=2", api.server.uri()))
    );
    // A filter cut off the same way still pages.
    let filter = encoded(r#"profile.firstName eq "Same""#);
    let filtered = api.get(&format!("/users?filter={filter}&limit=2")).await?;
    assert!(filtered.link("next").is_some());
    Ok(())
}

#[tokio::test]
async fn search_sorts_and_includes_more_attributes() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    let search = encoded(r#"profile.email sw "" and type.id pr"#);
    assert_eq!(
        logins(
            &api,
            &format!("search={search}&sortBy=profile.firstName&sortOrder=desc")
        )
        .await?,
        ["eve", "dave", "carol", "bob", "ada"]
    );
    assert_eq!(
        logins(&api, &format!("search={search}&sortBy=profile.lastName")).await?,
        ["dave", "bob", "carol", "ada", "eve"]
    );
    let bad_order = api
        .get(&format!(
            "/users?search={search}&sortBy=profile.lastName&sortOrder=up"
        ))
        .await?;
    assert_eq!(bad_order.error_code(), "E0000031");
    Ok(())
}

#[tokio::test]
async fn pages_follow_link_headers() -> TestResult {
    let api = OktaApi::seeded(json!({
        "owner": "u0@example.com",
        "users": (0..5)
            .map(|i| user(&format!("u{i}@example.com"), "U", "Ser", "ACTIVE", "2024-01-01T00:00:00Z"))
            .collect::<Vec<_>>(),
    }))
    .await?;
    let first = api.get("/users?limit=2").await?;
    assert_eq!(
        first.link("self"),
        Some(format!("{}/api/v1/users?limit=2", api.server.uri()))
    );
    let mut pages = vec![first.logins()];
    let mut next = first.link("next");
    while let Some(url) = next {
        assert!(url.contains("after=") && url.ends_with("limit=2"), "{url}");
        let page = api.follow(&url).await?;
        assert_eq!(page.status, 200);
        assert_eq!(page.link("self"), Some(url.clone()));
        pages.push(page.logins());
        next = page.link("next");
        assert!(pages.len() <= 3, "too many pages");
    }
    assert_eq!(
        pages,
        [
            vec!["u0@example.com", "u1@example.com"],
            vec!["u2@example.com", "u3@example.com"],
            vec!["u4@example.com"],
        ]
    );
    let all = api.get("/users").await?;
    assert_eq!(all.ids().len(), 5);
    assert_eq!(all.link("next"), None);
    assert_eq!(all.header_all("link").len(), 1);
    Ok(())
}

#[tokio::test]
async fn paging_survives_a_deletion_between_pages() -> TestResult {
    let api = OktaApi::seeded(json!({
        "users": (0..4)
            .map(|i| user(&format!("u{i}@example.com"), "U", "Ser", "ACTIVE", "2024-01-01T00:00:00Z"))
            .collect::<Vec<_>>(),
    }))
    .await?;
    let first = api.get("/users?limit=2").await?;
    for id in first.ids() {
        api.post_empty(&format!("/users/{id}/lifecycle/deactivate"))
            .await?;
    }
    let next = first.link("next").unwrap_or_default();
    let second = api.follow(&next).await?;
    assert_eq!(second.logins(), ["u2@example.com", "u3@example.com"]);
    Ok(())
}

#[tokio::test]
async fn limits_and_cursors_are_checked() -> TestResult {
    let api = OktaApi::seeded(five_users()).await?;
    assert_eq!(api.get("/users?limit=1000").await?.ids().len(), 4);
    assert_eq!(api.get("/users?limit=0").await?.ids().len(), 4);
    assert_eq!(api.get("/users?limit=many").await?.error_code(), "E0000001");
    assert_eq!(
        api.get("/users?after=bogus").await?.error_code(),
        "E0000031"
    );
    Ok(())
}
