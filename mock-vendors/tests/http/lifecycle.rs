//! `POST /users/{id}/lifecycle/{operation}` with Okta's status rules.

use serde_json::{Value, json};

use crate::support::{OktaApi, TestResult};

/// The outcome a row expects.
#[derive(Debug)]
enum Expect {
    /// 200 and the user's new status.
    Moves(&'static str),
    /// This HTTP status and error code; the status stays.
    Refused(u16, &'static str),
}

use Expect::{Moves, Refused};

const RULES: [(&str, &str, Expect); 40] = [
    ("STAGED", "activate", Moves("PROVISIONED")),
    ("PROVISIONED", "activate", Moves("PROVISIONED")),
    ("DEPROVISIONED", "activate", Moves("PROVISIONED")),
    ("ACTIVE", "activate", Refused(403, "E0000016")),
    ("SUSPENDED", "activate", Refused(403, "E0000016")),
    ("LOCKED_OUT", "activate", Refused(403, "E0000016")),
    ("PROVISIONED", "reactivate", Moves("PROVISIONED")),
    ("RECOVERY", "reactivate", Moves("RECOVERY")),
    ("STAGED", "reactivate", Refused(403, "E0000038")),
    ("ACTIVE", "reactivate", Refused(403, "E0000038")),
    ("LOCKED_OUT", "reactivate", Refused(403, "E0000038")),
    ("PASSWORD_EXPIRED", "reactivate", Refused(403, "E0000038")),
    ("DEPROVISIONED", "reactivate", Refused(403, "E0000038")),
    ("STAGED", "deactivate", Moves("DEPROVISIONED")),
    ("PROVISIONED", "deactivate", Moves("DEPROVISIONED")),
    ("ACTIVE", "deactivate", Moves("DEPROVISIONED")),
    ("SUSPENDED", "deactivate", Moves("DEPROVISIONED")),
    ("LOCKED_OUT", "deactivate", Moves("DEPROVISIONED")),
    ("DEPROVISIONED", "deactivate", Refused(404, "E0000007")),
    ("ACTIVE", "suspend", Moves("SUSPENDED")),
    ("STAGED", "suspend", Refused(400, "E0000001")),
    ("SUSPENDED", "suspend", Refused(400, "E0000001")),
    ("SUSPENDED", "unsuspend", Moves("ACTIVE")),
    ("ACTIVE", "unsuspend", Refused(400, "E0000001")),
    ("DEPROVISIONED", "unsuspend", Refused(400, "E0000001")),
    ("LOCKED_OUT", "unlock", Moves("ACTIVE")),
    ("ACTIVE", "unlock", Moves("ACTIVE")),
    ("STAGED", "unlock", Refused(403, "E0000032")),
    ("SUSPENDED", "unlock", Refused(403, "E0000032")),
    ("ACTIVE", "reset_password", Moves("RECOVERY")),
    ("LOCKED_OUT", "reset_password", Moves("RECOVERY")),
    ("PASSWORD_EXPIRED", "reset_password", Moves("RECOVERY")),
    ("STAGED", "reset_password", Refused(403, "E0000038")),
    ("DEPROVISIONED", "reset_password", Refused(403, "E0000038")),
    ("ACTIVE", "expire_password", Moves("PASSWORD_EXPIRED")),
    ("RECOVERY", "expire_password", Moves("PASSWORD_EXPIRED")),
    ("PROVISIONED", "expire_password", Refused(403, "E0000038")),
    ("SUSPENDED", "expire_password", Refused(403, "E0000038")),
    ("DEPROVISIONED", "expire_password", Refused(403, "E0000038")),
    ("STAGED", "expire_password", Refused(403, "E0000038")),
];

#[tokio::test]
async fn every_transition_is_allowed_or_refused_with_its_code() -> TestResult {
    let users: Vec<Value> = RULES
        .iter()
        .enumerate()
        .map(|(row, (status, _, _))| {
            json!({
                "id": format!("00urow{row:014}"),
                "status": status,
                "profile": {"login": format!("row{row}@example.com")},
            })
        })
        .collect();
    let api = OktaApi::seeded(json!({ "users": users })).await?;
    for (row, (status, operation, expect)) in RULES.iter().enumerate() {
        let id = format!("00urow{row:014}");
        let reply = api
            .post_empty(&format!("/users/{id}/lifecycle/{operation}"))
            .await?;
        let after = api.get(&format!("/users/{id}")).await?.body["status"].clone();
        let context = format!("{status} -> {operation}: {:?}", reply.body);
        match expect {
            Moves(target) => {
                assert_eq!(reply.status, 200, "{context}");
                assert_eq!(after, *target, "{context}");
                if *operation == "expire_password" {
                    assert_eq!(reply.body["status"], "PASSWORD_EXPIRED", "{context}");
                } else {
                    assert_eq!(reply.body, json!({}), "{context}");
                }
            }
            Refused(http, code) => {
                assert_eq!(reply.status, *http, "{context}");
                assert_eq!(reply.error_code(), *code, "{context}");
                assert_eq!(after, *status, "{context}");
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn refusals_carry_okta_summaries() -> TestResult {
    let api = OktaApi::start().await;
    let already = api.post_empty("/users/me/lifecycle/activate").await?;
    assert_eq!(
        already.body["errorSummary"],
        "Activation failed because the user is already active"
    );
    let not_allowed = api.post_empty("/users/me/lifecycle/reactivate").await?;
    assert_eq!(
        not_allowed.body["errorSummary"],
        "This operation is not allowed in the user's current status."
    );
    let unknown = api
        .post_empty("/users/00unobody/lifecycle/activate")
        .await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error_code(), "E0000007");
    let get = api.get("/users/me/lifecycle/activate").await?;
    assert_eq!(get.status, 405);
    Ok(())
}

#[tokio::test]
async fn iam_create_then_activate_without_email() -> TestResult {
    let api = OktaApi::start().await;
    let id = api
        .create_user("ada@example.com", "?activate=false&provider=true")
        .await?;
    assert_eq!(api.vendor().account_active(&id), Some(true));
    assert_eq!(
        api.get(&format!("/users/{id}")).await?.body["status"],
        "STAGED"
    );

    api.clock.advance(std::time::Duration::from_secs(5));
    let activated = api
        .post_empty(&format!("/users/{id}/lifecycle/activate?sendEmail=false"))
        .await?;
    assert_eq!(activated.status, 200);
    let token = activated.body["activationToken"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(token.len(), 20);
    assert_eq!(
        activated.body["activationUrl"],
        format!("{}/welcome/{token}", api.server.uri())
    );
    let user = api.get(&format!("/users/{id}")).await?.body;
    assert_eq!(user["status"], "ACTIVE");
    assert_eq!(user["activated"], "2025-01-01T00:00:05.000Z");
    assert_eq!(user["statusChanged"], "2025-01-01T00:00:05.000Z");

    api.post_empty(&format!("/users/{id}/lifecycle/suspend"))
        .await?;
    assert_eq!(api.vendor().account_active(&id), Some(false));
    api.post_empty(&format!("/users/{id}/lifecycle/unsuspend"))
        .await?;
    assert_eq!(api.vendor().account_active("ada@example.com"), Some(true));
    api.post_empty(&format!("/users/{id}/lifecycle/deactivate"))
        .await?;
    assert_eq!(api.vendor().account_active(&id), Some(false));
    assert_eq!(api.vendor().account_active("00unobody"), None);
    Ok(())
}

#[tokio::test]
async fn reset_password_link_without_email() -> TestResult {
    let api = OktaApi::start().await;
    let reply = api
        .post_empty("/users/me/lifecycle/reset_password?sendEmail=false")
        .await?;
    assert_eq!(reply.status, 200);
    let url = reply.body["resetPasswordUrl"].as_str().unwrap_or_default();
    assert!(
        url.starts_with(&format!("{}/reset_password/", api.server.uri())),
        "{url}"
    );
    assert_eq!(api.get("/users/me").await?.body["status"], "RECOVERY");
    Ok(())
}

#[tokio::test]
async fn reactivate_restarts_activation_for_provisioned_and_recovery_users() -> TestResult {
    let api = OktaApi::seeded(json!({"users": [
        {"status": "PROVISIONED", "profile": {"login": "prov@example.com"}},
        {"status": "RECOVERY", "profile": {"login": "recovering@example.com"}},
    ]}))
    .await?;
    for (login, status) in [
        ("prov@example.com", "PROVISIONED"),
        ("recovering@example.com", "RECOVERY"),
    ] {
        let user = api.get(&format!("/users/{login}")).await?.body;
        let id = user["id"].as_str().unwrap_or_default();
        let reactivate = format!(
            "{}/api/v1/users/{id}/lifecycle/reactivate",
            api.server.uri()
        );
        assert_eq!(user["_links"]["reactivate"]["href"], reactivate, "{login}");
        let reply = api
            .post_empty(&format!("/users/{id}/lifecycle/reactivate?sendEmail=false"))
            .await?;
        assert_eq!(reply.status, 200, "{login}: {:?}", reply.body);
        let token = reply.body["activationToken"].as_str().unwrap_or_default();
        assert_eq!(token.len(), 20, "{login}");
        assert_eq!(
            reply.body["activationUrl"],
            format!("{}/welcome/{token}", api.server.uri())
        );
        let after = api.get(&format!("/users/{id}")).await?.body;
        assert_eq!(after["status"], status, "{login}");
    }
    Ok(())
}

#[tokio::test]
async fn expire_password_with_a_temporary_password() -> TestResult {
    let api = OktaApi::seeded(json!({"users": [
        {"status": "ACTIVE", "profile": {"login": "ada@example.com"}},
        {"status": "LOCKED_OUT", "profile": {"login": "bob@example.com"}},
        {"status": "ACTIVE", "profile": {"login": "carol@example.com"}},
        {"status": "STAGED", "profile": {"login": "dave@example.com"}},
    ]}))
    .await?;
    api.clock.advance(std::time::Duration::from_secs(30));
    let mut temp_passwords = Vec::new();
    for path in [
        "/users/ada@example.com/lifecycle/expire_password_with_temp_password",
        "/users/bob@example.com/lifecycle/expire_password?tempPassword=true",
        "/users/ada@example.com/lifecycle/expire_password_with_temp_password?revokeSessions=true",
    ] {
        let reply = api.post_empty(path).await?;
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
        let fields: Vec<&String> = reply
            .body
            .as_object()
            .map(|body| body.keys().collect())
            .unwrap_or_default();
        assert_eq!(fields, ["tempPassword"], "{path}");
        let temp = reply.body["tempPassword"].as_str().unwrap_or_default();
        assert!(temp.len() >= 8, "{path}: {temp:?}");
        temp_passwords.push(temp.to_owned());
    }
    assert_ne!(temp_passwords[0], temp_passwords[2]);
    for login in ["ada@example.com", "bob@example.com"] {
        let user = api.get(&format!("/users/{login}")).await?.body;
        assert_eq!(user["status"], "PASSWORD_EXPIRED", "{login}");
        assert_eq!(
            user["passwordChanged"], "2025-01-01T00:00:30.000Z",
            "{login}"
        );
    }
    // Without tempPassword, expire_password answers the user and sets no password.
    let plain = api
        .post_empty("/users/carol@example.com/lifecycle/expire_password?tempPassword=false")
        .await?;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.body["status"], "PASSWORD_EXPIRED");
    assert_eq!(plain.body.get("tempPassword"), None);

    let staged = api
        .post_empty("/users/dave@example.com/lifecycle/expire_password_with_temp_password")
        .await?;
    assert_eq!((staged.status, staged.error_code()), (403, "E0000038"));
    let unknown = api
        .post_empty("/users/nobody/lifecycle/expire_password_with_temp_password")
        .await?;
    assert_eq!((unknown.status, unknown.error_code()), (404, "E0000007"));
    let bad_flag = api
        .post_empty("/users/carol@example.com/lifecycle/expire_password?tempPassword=maybe")
        .await?;
    assert_eq!((bad_flag.status, bad_flag.error_code()), (400, "E0000001"));
    Ok(())
}

#[tokio::test]
async fn reset_factors_answers_an_empty_object() -> TestResult {
    let api = OktaApi::start().await;
    let id = api
        .create_user("ada@example.com", "?activate=false")
        .await?;
    for key in ["me", id.as_str()] {
        let before = api.get(&format!("/users/{key}")).await?.body;
        let reply = api
            .post_empty(&format!("/users/{key}/lifecycle/reset_factors"))
            .await?;
        assert_eq!((reply.status, &reply.body), (200, &json!({})), "{key}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{key}"
        );
        let after = api.get(&format!("/users/{key}")).await?.body;
        assert_eq!(after, before, "{key}: reset_factors changes no user field");
    }
    let unknown = api
        .post_empty("/users/00unobody/lifecycle/reset_factors")
        .await?;
    assert_eq!((unknown.status, unknown.error_code()), (404, "E0000007"));
    assert_eq!(
        unknown.body["errorSummary"],
        "Not found: Resource not found: 00unobody (User)"
    );
    let get = api.get("/users/me/lifecycle/reset_factors").await?;
    assert_eq!((get.status, get.error_code()), (405, "E0000022"));
    Ok(())
}
