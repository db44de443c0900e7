//! `sysparm_query` over HTTP: the strings real clients send, every
//! operator, `^OR`/`^NQ` precedence, `ORDERBY`, paging headers.

use serde_json::{Value, json};

use crate::servicenow_support::SnApi;
use crate::support::TestResult;

/// Five incidents with distinct states, priorities and open times.
fn five_incidents() -> Value {
    let incident = |number: &str, state: &str, priority: &str, opened: &str, text: &str| {
        json!({
            "number": number, "state": state, "priority": priority, "opened_at": opened,
            "sys_created_on": opened, "short_description": text, "active": if state == "6" || state == "7" { "false" } else { "true" },
        })
    };
    json!({
        "sys_user": [{"user_name": "beth", "name": "Beth Anglin"}],
        "incident": [
            incident("INC0000001", "1", "3", "2024-01-01 00:00:00", "Phishing mail"),
            incident("INC0000002", "2", "1", "2024-01-02 03:04:05", "Malware on laptop"),
            incident("INC0000003", "6", "2", "2024-01-03 00:00:00", "phishing again"),
            incident("INC0000004", "7", "5", "2024-01-04 00:00:00", "Lost badge"),
            incident("INC0000005", "3", "4", "2024-01-05 12:30:00", ""),
        ],
    })
}

async fn numbers(api: &SnApi, query: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let numbers = api
        .list_field("incident", &[("sysparm_query", query)], "number")
        .await?;
    Ok(numbers
        .into_iter()
        .map(|number| number.trim_start_matches("INC000000").to_owned())
        .collect())
}

#[tokio::test]
async fn strings_real_clients_send() -> TestResult {
    let api = SnApi::seeded(five_incidents()).await?;
    // fetch-incidents
    assert_eq!(
        numbers(
            &api,
            "stateNOT IN6,7^ORDERBYopened_at^opened_at>2024-01-02 03:04:05"
        )
        .await?,
        ["5"]
    );
    assert_eq!(
        numbers(
            &api,
            "stateNOT IN6,7^ORDERBYopened_at^opened_at>2024-01-01 00:00:00"
        )
        .await?,
        ["2", "5"]
    );
    // test-module
    let probe = api
        .get(
            "/api/now/table/incident",
            &[("sysparm_limit", "1"), ("sysparm_query", "active=true")],
        )
        .await?;
    assert_eq!(probe.body["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(probe.body["result"][0]["number"], "INC0000001");
    // get-modified-remote-data
    let modified = api
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
    assert_eq!(modified.body["result"].as_array().map(Vec::len), Some(3));
    // The dateGenerate form.
    assert_eq!(
        numbers(
            &api,
            "sys_updated_on>=javascript:gs.dateGenerate('2024-01-03','00:00:00')"
        )
        .await?,
        ["3", "4", "5"]
    );
    assert_eq!(
        numbers(
            &api,
            "sys_updated_on>=javascript:gs.dateGenerate('2019-01-01','00:00:00')"
        )
        .await?
        .len(),
        5
    );
    // What Python's str(datetime) produces, microseconds included.
    assert_eq!(
        numbers(&api, "opened_at>2024-01-04 00:00:00.500000").await?,
        ["5"]
    );
    Ok(())
}

#[tokio::test]
async fn every_operator_over_http() -> TestResult {
    let api = SnApi::seeded(five_incidents()).await?;
    let cases: [(&str, &[&str]); 22] = [
        ("state=2", &["2"]),
        ("state!=2", &["1", "3", "4", "5"]),
        ("priority>3", &["4", "5"]),
        ("priority>=3", &["1", "4", "5"]),
        ("priority<2", &["2"]),
        ("priority<=2", &["2", "3"]),
        ("short_descriptionLIKEphish", &["1", "3"]),
        ("short_descriptionNOTLIKEphish", &["2", "4", "5"]),
        ("short_descriptionSTARTSWITHmal", &["2"]),
        ("short_descriptionENDSWITHbadge", &["4"]),
        ("numberININC0000001,INC0000004", &["1", "4"]),
        ("stateNOT IN1,2,3", &["3", "4"]),
        ("short_descriptionISEMPTY", &["5"]),
        ("short_descriptionISNOTEMPTY", &["1", "2", "3", "4"]),
        ("short_descriptionANYTHING", &["1", "2", "3", "4", "5"]),
        (
            "opened_atBETWEEN2024-01-02 00:00:00@2024-01-04 00:00:00",
            &["2", "3", "4"],
        ),
        ("priorityBETWEEN2@4", &["1", "3", "5"]),
        ("opened_at<2024-01-02", &["1"]),
        ("opened_at>=2024-01-05T12:30:00Z", &["5"]),
        ("active=true", &["1", "2", "5"]),
        // Seeding #4 as Closed stamped its closed_at.
        ("closed_atISEMPTY^stateIN6,7", &["3"]),
        ("bogus=1^state=1", &["1"]),
    ];
    for (query, expected) in cases {
        assert_eq!(numbers(&api, query).await?, expected, "{query}");
    }
    Ok(())
}

#[tokio::test]
async fn or_and_nq_precedence() -> TestResult {
    let api = SnApi::seeded(five_incidents()).await?;
    // a ^ (b OR c)
    assert_eq!(
        numbers(&api, "active=true^state=1^ORstate=3").await?,
        ["1", "5"]
    );
    // (a OR b) ^ c
    assert_eq!(
        numbers(&api, "state=1^ORstate=6^short_descriptionLIKEagain").await?,
        ["3"]
    );
    // (a ^ b) OR (c)
    assert_eq!(
        numbers(&api, "active=true^priority=1^NQstate=7").await?,
        ["2", "4"]
    );
    assert_eq!(
        numbers(&api, "state=1^NQstate=2^NQstate=3").await?,
        ["1", "2", "5"]
    );
    Ok(())
}

#[tokio::test]
async fn order_by() -> TestResult {
    let api = SnApi::seeded(five_incidents()).await?;
    assert_eq!(
        numbers(&api, "ORDERBYpriority").await?,
        ["2", "3", "1", "5", "4"]
    );
    assert_eq!(
        numbers(&api, "ORDERBYDESCopened_at").await?,
        ["5", "4", "3", "2", "1"]
    );
    assert_eq!(
        numbers(&api, "active=false^ORDERBYDESCnumber").await?,
        ["4", "3"]
    );
    assert_eq!(
        numbers(&api, "ORDERBYactive^ORDERBYDESCpriority").await?,
        ["4", "3", "5", "1", "2"]
    );
    Ok(())
}

#[tokio::test]
async fn paging_headers() -> TestResult {
    let api = SnApi::seeded(five_incidents()).await?;
    let base = api.url("/api/now/table/incident");
    fn page(offset: &str) -> [(&str, &str); 3] {
        [
            ("sysparm_query", "ORDERBYnumber"),
            ("sysparm_limit", "2"),
            ("sysparm_offset", offset),
        ]
    }
    let link = |offset: usize, rel: &str| {
        format!(
            "<{base}?sysparm_query=ORDERBYnumber&sysparm_offset={offset}&sysparm_limit=2>;rel=\"{rel}\""
        )
    };

    let first = api.get("/api/now/table/incident", &page("0")).await?;
    assert_eq!(first.header("x-total-count"), Some("5"));
    assert_eq!(
        crate::servicenow_support::column(&first.body, "number"),
        ["INC0000001", "INC0000002"]
    );
    assert_eq!(
        first.header("link"),
        Some(
            [link(0, "first"), link(2, "next"), link(4, "last")]
                .join(",")
                .as_str()
        )
    );

    let middle = api.get("/api/now/table/incident", &page("2")).await?;
    assert_eq!(
        middle.header("link"),
        Some(
            [
                link(0, "first"),
                link(0, "prev"),
                link(4, "next"),
                link(4, "last")
            ]
            .join(",")
            .as_str()
        )
    );

    let last = api.get("/api/now/table/incident", &page("4")).await?;
    assert_eq!(
        crate::servicenow_support::column(&last.body, "number"),
        ["INC0000005"]
    );
    assert_eq!(
        last.header("link"),
        Some(
            [link(0, "first"), link(2, "prev"), link(4, "last")]
                .join(",")
                .as_str()
        )
    );

    // Following a link works.
    let next = api
        .send(
            api.client
                .get(format!(
                    "{base}?sysparm_query=ORDERBYnumber&sysparm_offset=2&sysparm_limit=2"
                ))
                .basic_auth("harness", Some("harness-password")),
        )
        .await?;
    assert_eq!(
        crate::servicenow_support::column(&next.body, "number"),
        ["INC0000003", "INC0000004"]
    );

    let single = api
        .get("/api/now/table/incident", &[("sysparm_limit", "10")])
        .await?;
    assert_eq!(single.header("x-total-count"), Some("5"));
    assert_eq!(single.header("link"), None);

    let suppressed = api
        .get(
            "/api/now/table/incident",
            &[
                ("sysparm_limit", "2"),
                ("sysparm_suppress_pagination_header", "true"),
            ],
        )
        .await?;
    assert_eq!(suppressed.header("link"), None);
    assert_eq!(suppressed.header("x-total-count"), Some("5"));

    let none = api
        .get("/api/now/table/incident", &[("sysparm_query", "state=42")])
        .await?;
    assert_eq!(none.body, json!({"result": []}));
    assert_eq!(none.header("x-total-count"), Some("0"));
    // Past the end: an empty page.
    let past = api.get("/api/now/table/incident", &page("10")).await?;
    assert_eq!(past.body, json!({"result": []}));
    Ok(())
}
