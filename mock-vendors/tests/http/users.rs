//! Creating, reading, updating and deleting users; auth; schema; rate limits.

use reqwest::Method;
use serde_json::json;

use mock_vendors::{Fault, FaultResponse};

use crate::support::{OktaApi, TestResult, profile_body};

#[tokio::test]
async fn create_status_follows_activate_provider_and_password() -> TestResult {
    let api = OktaApi::start().await;
    let password = json!({"password": {"value": "Secr3t!pass"}});
    let cases = [
        ("", None, "PROVISIONED"),
        ("?activate=true", None, "PROVISIONED"),
        ("?activate=false", None, "STAGED"),
        ("?activate=false&provider=true", None, "STAGED"),
        ("?activate=true&provider=true", None, "ACTIVE"),
        ("?activate=TRUE", Some(&password), "ACTIVE"),
        ("?activate=false", Some(&password), "STAGED"),
    ];
    for (index, (query, credentials, expected)) in cases.into_iter().enumerate() {
        let mut body = profile_body(&format!("user{index}@example.com"));
        if let Some(credentials) = credentials {
            body["credentials"] = credentials.clone();
        }
        let reply = api.post(&format!("/users{query}"), body).await?;
        assert_eq!(reply.status, 200, "{query}: {:?}", reply.body);
        assert_eq!(reply.body["status"], expected, "{query}");
        let user = &reply.body;
        let id = user["id"].as_str().unwrap_or_default();
        assert!(id.starts_with("00u") && id.len() == 20, "{id}");
        assert_eq!(user["created"], "2025-01-01T00:00:00.000Z");
        assert_eq!(user["lastUpdated"], "2025-01-01T00:00:00.000Z");
        let activated = if expected == "STAGED" {
            json!(null)
        } else {
            user["created"].clone()
        };
        assert_eq!(user["activated"], activated, "{query}");
        assert_eq!(
            user["credentials"]["provider"],
            json!({"type": "OKTA", "name": "OKTA"})
        );
        assert_eq!(
            user["credentials"].get("password").is_some(),
            credentials.is_some(),
            "password presence, never its value: {}",
            user["credentials"]
        );
        assert_eq!(
            user["type"]["id"].as_str().map(|t| t.starts_with("oty")),
            Some(true)
        );
        assert_eq!(user["transitioningToStatus"], json!(null));
        assert_eq!(
            user["_links"]["self"]["href"],
            format!("{}/api/v1/users/{id}", api.server.uri())
        );
        // A single user carries its lifecycle links (a list only `self`).
        assert_eq!(
            user["_links"]["deactivate"]["href"],
            format!(
                "{}/api/v1/users/{id}/lifecycle/deactivate",
                api.server.uri()
            )
        );
    }
    assert!(!api.server.journal().await.iter().any(|entry| {
        entry
            .body
            .as_ref()
            .is_some_and(|body| body.to_string().contains("Secr3t"))
    }));
    Ok(())
}

#[tokio::test]
async fn next_login_change_password_expires_the_new_password() -> TestResult {
    let api = OktaApi::start().await;
    let password = json!({"password": {"value": "Secr3t!pass"}});
    let cases = [
        (
            "?activate=true&nextLogin=changePassword",
            true,
            "PASSWORD_EXPIRED",
        ),
        ("?nextLogin=changePassword", true, "PASSWORD_EXPIRED"),
        // Nothing to expire without a password, nothing to do before activation.
        (
            "?activate=true&nextLogin=changePassword",
            false,
            "PROVISIONED",
        ),
        ("?activate=false&nextLogin=changePassword", true, "STAGED"),
        (
            "?activate=true&provider=true&nextLogin=changePassword",
            false,
            "ACTIVE",
        ),
    ];
    for (index, (query, with_password, expected)) in cases.into_iter().enumerate() {
        let mut body = profile_body(&format!("next{index}@example.com"));
        if with_password {
            body["credentials"] = password.clone();
        }
        let reply = api.post(&format!("/users{query}"), body).await?;
        assert_eq!(reply.status, 200, "{query}: {:?}", reply.body);
        assert_eq!(reply.body["status"], expected, "{query}");
        let stored = api.get(&format!("/users/next{index}@example.com")).await?;
        assert_eq!(stored.body["status"], expected, "{query}");
        if expected == "PASSWORD_EXPIRED" {
            assert_eq!(stored.body["activated"], stored.body["created"]);
            assert!(stored.body["credentials"]["password"].is_object());
        }
    }
    let bad = api
        .post(
            "/users?activate=true&nextLogin=resetPassword",
            profile_body("bad@example.com"),
        )
        .await?;
    assert_eq!((bad.status, bad.error_code()), (400, "E0000001"));
    assert_eq!(bad.body["errorSummary"], "Api validation failed: nextLogin");
    Ok(())
}

#[tokio::test]
async fn duplicate_login_is_refused_ignoring_case() -> TestResult {
    let api = OktaApi::start().await;
    api.create_user("ada@example.com", "").await?;
    let reply = api.post("/users", profile_body("ADA@Example.com")).await?;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "E0000001");
    assert_eq!(reply.body["errorSummary"], "Api validation failed: login");
    assert_eq!(reply.body["errorLink"], "E0000001");
    assert_eq!(
        reply.body["errorCauses"],
        json!([{"errorSummary": "login: An object with this field already exists in the current organization"}])
    );
    let error_id = reply.body["errorId"].as_str().unwrap_or_default();
    assert!(
        error_id.starts_with("oae") && error_id.len() == 25,
        "{error_id}"
    );
    Ok(())
}

#[tokio::test]
async fn invalid_profiles_name_the_field() -> TestResult {
    let api = OktaApi::start().await;
    let mut no_login = profile_body("ada@example.com");
    no_login["profile"]
        .as_object_mut()
        .map(|profile| profile.remove("login"));
    let mut bad_email = profile_body("ada@example.com");
    bad_email["profile"]["email"] = json!("not-an-email");
    let mut short_login = profile_body("ada@example.com");
    short_login["profile"]["login"] = json!("a@b");
    let cases = [
        (no_login, "login", "login: The field cannot be left blank"),
        (bad_email, "email", "email: Does not match required pattern"),
        (
            short_login,
            "login",
            "login: The field must be between 5 and 100 characters long",
        ),
    ];
    for (body, field, cause) in cases {
        let reply = api.post("/users", body).await?;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error_code(), "E0000001");
        assert_eq!(
            reply.body["errorSummary"],
            format!("Api validation failed: {field}")
        );
        assert_eq!(reply.body["errorCauses"][0]["errorSummary"], cause);
    }
    Ok(())
}

#[tokio::test]
async fn malformed_json_is_e0000003() -> TestResult {
    let api = OktaApi::start().await;
    let response = api
        .raw(Method::POST, "/users")
        .header("Authorization", "SSWS harness-okta-token")
        .header("Content-Type", "application/json")
        .body("{\"profile\": ")
        .send()
        .await?;
    let reply = crate::support::read(response).await?;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code(), "E0000003");
    assert_eq!(
        reply.body["errorSummary"],
        "The request body was not well-formed."
    );
    Ok(())
}

#[tokio::test]
async fn get_by_id_login_shortname_and_me() -> TestResult {
    let api = OktaApi::start().await;
    let id = api.create_user("ada.lovelace@example.com", "").await?;
    for key in [
        id.as_str(),
        "ada.lovelace@example.com",
        "ADA.LOVELACE%40EXAMPLE.COM",
        "ada.lovelace",
    ] {
        let reply = api.get(&format!("/users/{key}")).await?;
        assert_eq!(reply.status, 200, "{key}");
        assert_eq!(reply.body["id"], id.as_str(), "{key}");
    }
    let me = api.get("/users/me").await?;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["profile"]["login"], "admin@harness.example");
    assert_eq!(me.body["profile"]["firstName"], "Harness");
    assert_eq!(me.body["status"], "ACTIVE");

    let missing = api.get("/users/00unothere").await?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code(), "E0000007");
    assert_eq!(
        missing.body["errorSummary"],
        "Not found: Resource not found: 00unothere (User)"
    );
    Ok(())
}

#[tokio::test]
async fn partial_update_merges_and_full_update_replaces() -> TestResult {
    let api = OktaApi::start().await;
    let mut body = profile_body("ada@example.com");
    body["profile"]["title"] = json!("Countess");
    let created = api.post("/users", body).await?;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();

    api.clock.advance(std::time::Duration::from_secs(60));
    let merged = api
        .post(
            &format!("/users/{id}"),
            json!({"profile": {"department": "Math"}}),
        )
        .await?;
    assert_eq!(merged.status, 200);
    assert_eq!(merged.body["profile"]["title"], "Countess");
    assert_eq!(merged.body["profile"]["department"], "Math");
    assert_eq!(merged.body["lastUpdated"], "2025-01-01T00:01:00.000Z");
    assert_eq!(merged.body["created"], "2025-01-01T00:00:00.000Z");
    assert!(merged.body["_links"]["activate"].is_object(), "{merged:?}");

    let replaced = api
        .put(&format!("/users/{id}"), profile_body("ada@example.com"))
        .await?;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.body["profile"].get("title"), None);
    assert_eq!(replaced.body["profile"].get("department"), None);

    let incomplete = api
        .put(
            &format!("/users/{id}"),
            json!({"profile": {"login": "ada@example.com"}}),
        )
        .await?;
    assert_eq!(incomplete.status, 400);
    assert_eq!(incomplete.error_code(), "E0000001");

    api.create_user("bob@example.com", "").await?;
    let clash = api
        .post(
            &format!("/users/{id}"),
            json!({"profile": {"login": "BOB@example.com"}}),
        )
        .await?;
    assert_eq!(clash.status, 400);
    assert_eq!(clash.error_code(), "E0000001");

    let stored = api.get(&format!("/users/{id}")).await?;
    assert_eq!(stored.body["profile"]["login"], "ada@example.com");
    Ok(())
}

#[tokio::test]
async fn deprovisioned_users_cannot_be_updated() -> TestResult {
    let api = OktaApi::start().await;
    let id = api.create_user("ada@example.com", "").await?;
    let deactivated = api
        .post_empty(&format!("/users/{id}/lifecycle/deactivate"))
        .await?;
    assert_eq!(deactivated.status, 200);
    let update = api
        .post(&format!("/users/{id}"), json!({"profile": {"title": "x"}}))
        .await?;
    assert_eq!(update.status, 404);
    assert_eq!(update.error_code(), "E0000007");
    let get = api.get(&format!("/users/{id}")).await?;
    assert_eq!(get.body["status"], "DEPROVISIONED");
    Ok(())
}

#[tokio::test]
async fn delete_deactivates_then_deletes() -> TestResult {
    let api = OktaApi::start().await;
    let id = api.create_user("ada@example.com", "").await?;
    let first = api.delete(&format!("/users/{id}")).await?;
    assert_eq!((first.status, &first.body), (204, &json!(null)));
    assert_eq!(
        api.get(&format!("/users/{id}")).await?.body["status"],
        "DEPROVISIONED"
    );
    let second = api.delete(&format!("/users/{id}")).await?;
    assert_eq!(second.status, 204);
    let gone = api.get(&format!("/users/{id}")).await?;
    assert_eq!(gone.status, 404);
    let third = api.delete(&format!("/users/{id}")).await?;
    assert_eq!(third.status, 404);
    assert_eq!(third.error_code(), "E0000007");
    Ok(())
}

#[tokio::test]
async fn default_schema_has_titles() -> TestResult {
    let api = OktaApi::start().await;
    let reply = api.get("/meta/schemas/user/default").await?;
    assert_eq!(reply.status, 200);
    let schema = &reply.body;
    assert_eq!(schema["name"], "user");
    assert_eq!(schema["title"], "Default Okta User");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    let base = &schema["definitions"]["base"]["properties"];
    assert_eq!(base["login"]["title"], "Username");
    assert_eq!(base["login"]["required"], true);
    assert_eq!(base["firstName"]["title"], "First name");
    assert_eq!(base["lastName"]["title"], "Last name");
    assert_eq!(base["email"]["title"], "Primary email");
    assert_eq!(base["department"]["title"], "Department");
    assert_eq!(schema["definitions"]["custom"]["properties"], json!({}));
    Ok(())
}

#[tokio::test]
async fn missing_or_wrong_tokens_are_e0000011() -> TestResult {
    let api = OktaApi::start().await;
    let attempts = [
        None,
        Some("SSWS wrong-token"),
        Some("SSWSwrong-token"),
        Some("Bearer harness-okta-token"),
        Some("harness-okta-token"),
        Some("SSWS"),
        Some("SSWS-harness-okta-token"),
    ];
    for authorization in attempts {
        let request = api.raw(Method::GET, "/users/me");
        let request = match authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        };
        let reply = crate::support::read(request.send().await?).await?;
        assert_eq!(reply.status, 401, "{authorization:?}");
        assert_eq!(reply.error_code(), "E0000011");
        assert_eq!(reply.body["errorSummary"], "Invalid token provided");
        assert!(reply.header("x-rate-limit-remaining").is_some());
    }
    Ok(())
}

#[tokio::test]
async fn ssws_tokens_are_accepted_with_or_without_a_space() -> TestResult {
    let api = OktaApi::start().await;
    // The official SDK sends `SSWS<token>`; hand-written clients `SSWS <token>`.
    for authorization in [
        "SSWS harness-okta-token",
        "SSWSharness-okta-token",
        "ssws harness-okta-token",
    ] {
        let request = api
            .raw(Method::GET, "/users/me")
            .header("Authorization", authorization);
        let reply = crate::support::read(request.send().await?).await?;
        assert_eq!(reply.status, 200, "{authorization}: {:?}", reply.body);
        assert_eq!(reply.body["profile"]["login"], "admin@harness.example");
    }
    Ok(())
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_okta_shape() -> TestResult {
    let api = OktaApi::start().await;
    let unknown = api.get("/groups").await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error_code(), "E0000007");
    let unknown_operation = api.post_empty("/users/me/lifecycle/explode").await?;
    assert_eq!(unknown_operation.status, 404);
    let wrong_method = api.call(Method::PATCH, "/users/me", None).await?;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.error_code(), "E0000022");
    assert_eq!(
        wrong_method.body["errorSummary"],
        "The endpoint does not support the provided HTTP method"
    );
    assert_eq!(wrong_method.header("allow"), Some("GET, POST, PUT, DELETE"));
    let outside =
        crate::support::read(reqwest::get(format!("{}/oauth2/v1/token", api.server.uri())).await?)
            .await?;
    assert_eq!(outside.status, 404);
    assert_eq!(outside.error_code(), "E0000007");
    Ok(())
}

#[tokio::test]
async fn rate_limit_headers_count_down_per_virtual_minute() -> TestResult {
    let api = OktaApi::start().await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let reply = api.get("/users/me").await?;
        assert_eq!(reply.header("x-rate-limit-limit"), Some("600"));
        // 2025-01-01T00:01:00Z
        assert_eq!(reply.header("x-rate-limit-reset"), Some("1735689660"));
        remaining.push(
            reply
                .header("x-rate-limit-remaining")
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["599", "598", "597"]);
    let error = api.get("/users/nobody").await?;
    assert_eq!(error.header("x-rate-limit-remaining"), Some("596"));

    api.clock.advance(std::time::Duration::from_secs(60));
    let next_window = api.get("/users/me").await?;
    assert_eq!(next_window.header("x-rate-limit-remaining"), Some("599"));
    assert_eq!(next_window.header("x-rate-limit-reset"), Some("1735689720"));
    Ok(())
}

#[tokio::test]
async fn every_answer_has_a_fresh_request_id() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(&Fault::new(FaultResponse::RateLimit).path("/api/v1/users/limited"))
        .await;
    api.server
        .inject(&Fault::new(FaultResponse::Status(503)).path("/api/v1/users/down"))
        .await;
    let id = api.create_user("ada@example.com", "").await?;
    let unauthenticated = api.raw(Method::GET, "/users/me").send().await?;
    let mut replies = vec![
        ("401", crate::support::read(unauthenticated).await?),
        ("200", api.get("/users/me").await?),
        ("200 list", api.get("/users").await?),
        ("404", api.get("/users/nobody").await?),
        ("405", api.call(Method::PATCH, "/users/me", None).await?),
        ("429", api.get("/users/limited").await?),
        ("503", api.get("/users/down").await?),
        ("204", api.delete(&format!("/users/{id}")).await?),
    ];
    api.vendor().reset();
    replies.push(("after reset", api.get("/users/me").await?));
    let mut seen = std::collections::HashSet::new();
    for (what, reply) in &replies {
        let request_id = reply.header("x-okta-request-id").unwrap_or_default();
        assert_eq!(request_id.len(), 27, "{what}: {request_id:?}");
        assert!(
            request_id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{what}: {request_id:?}"
        );
        assert!(!request_id.contains("harness-okta-token"), "{what}");
        assert!(
            seen.insert(request_id.to_owned()),
            "{what} repeats {request_id}"
        );
    }
    assert_eq!(replies[5].1.status, 429);
    assert_eq!(replies[6].1.status, 503);
    Ok(())
}
