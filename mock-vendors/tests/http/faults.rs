//! Faults laid over the default routes, each for exactly N requests.

use std::time::{Duration, Instant};

use mock_vendors::{Fault, FaultResponse};

use crate::support::{OktaApi, TestResult};

#[tokio::test]
async fn rate_limit_fault_answers_okta_429_for_n_requests() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(&Fault::new(FaultResponse::RateLimit).times(2))
        .await;
    for _ in 0..2 {
        let reply = api.get("/users/me").await?;
        assert_eq!(reply.status, 429);
        assert_eq!(reply.error_code(), "E0000047");
        assert_eq!(
            reply.body["errorSummary"],
            "API call exceeded rate limit due to too many requests."
        );
        assert_eq!(reply.header("x-rate-limit-limit"), Some("600"));
        assert_eq!(reply.header("x-rate-limit-remaining"), Some("0"));
        assert_eq!(reply.header("x-rate-limit-reset"), Some("1735689660"));
    }
    let after = api.get("/users/me").await?;
    assert_eq!(after.status, 200);
    // Faulted answers spent the budget too.
    assert_eq!(after.header("x-rate-limit-remaining"), Some("597"));
    Ok(())
}

/// The official SDK backs off on a 429 only when it can read how long to
/// wait: `X-Rate-Limit-Reset` (epoch seconds) against the `Date` header;
/// it echoes `X-Okta-Request-Id` in `X-Okta-Retry-For` when it retries.
#[tokio::test]
async fn every_429_carries_what_clients_need_to_back_off() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(&Fault::new(FaultResponse::RateLimit).path("/api/v1/users"))
        .await;
    api.server
        .inject(&Fault::new(FaultResponse::Status(429)).path("/api/v1/users/*"))
        .await;
    for path in ["/users", "/users/me"] {
        let reply = api.get(path).await?;
        assert_eq!(
            (reply.status, reply.error_code()),
            (429, "E0000047"),
            "{path}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("x-rate-limit-limit"), Some("600"), "{path}");
        assert_eq!(reply.header("x-rate-limit-remaining"), Some("0"), "{path}");
        let reset: i64 = reply
            .header("x-rate-limit-reset")
            .unwrap_or_default()
            .parse()?;
        assert_eq!(
            reset, 1_735_689_660,
            "{path}: the end of the virtual minute"
        );
        assert!(reply.header("x-okta-request-id").is_some(), "{path}");
        assert!(reply.header("date").is_some(), "{path}: no Date header");
    }
    Ok(())
}

#[tokio::test]
async fn status_fault_uses_the_okta_error_body() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(&Fault::new(FaultResponse::Status(503)))
        .await;
    let reply = api.get("/users/me").await?;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.error_code(), "E0000009");
    assert_eq!(reply.body["errorSummary"], "Internal Server Error");
    assert!(reply.header("x-rate-limit-remaining").is_some());
    assert_eq!(api.get("/users/me").await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn faults_only_hit_matching_requests_in_injection_order() -> TestResult {
    let api = OktaApi::start().await;
    let create = Fault::new(FaultResponse::Status(500))
        .method("post")
        .path("/api/v1/users");
    api.server.inject(&create).await;
    api.server
        .inject(&Fault::new(FaultResponse::Status(502)).path("/api/v1/users"))
        .await;
    api.server
        .inject(&Fault::new(FaultResponse::Status(403)).path("/api/v1/users/*/lifecycle/**"))
        .await;

    // Not matched by any fault.
    assert_eq!(api.get("/users/me").await?.status, 200);
    // The first matching fault answers first, then the next.
    let body = crate::support::profile_body("ada@example.com");
    assert_eq!(api.post("/users", body.clone()).await?.status, 500);
    assert_eq!(api.post("/users", body.clone()).await?.status, 502);
    assert_eq!(api.post("/users", body).await?.status, 200);
    let forbidden = api.post_empty("/users/me/lifecycle/suspend").await?;
    assert_eq!(
        (forbidden.status, forbidden.error_code()),
        (403, "E0000006")
    );
    assert_eq!(
        api.post_empty("/users/me/lifecycle/suspend").await?.status,
        200
    );
    Ok(())
}

#[tokio::test]
async fn a_fault_with_after_lets_that_many_matching_requests_pass_first() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(
            &Fault::new(FaultResponse::Status(503))
                .method("GET")
                .after(2)
                .times(1),
        )
        .await;
    let statuses = [
        api.get("/users/me").await?.status,
        api.get("/users/me").await?.status,
        api.get("/users/me").await?.status,
        api.get("/users/me").await?.status,
    ];
    assert_eq!(statuses, [200, 200, 503, 200]);
    Ok(())
}

#[tokio::test]
async fn delay_fault_answers_normally_but_late() -> TestResult {
    let api = OktaApi::start().await;
    let delay = Duration::from_millis(300);
    api.server
        .inject(&Fault::new(FaultResponse::Delay(delay.into())))
        .await;
    let started = Instant::now();
    let late = api.get("/users/me").await?;
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(late.status, 200);
    assert_eq!(late.body["profile"]["login"], "admin@harness.example");

    let started = Instant::now();
    assert_eq!(api.get("/users/me").await?.status, 200);
    assert!(started.elapsed() < delay);
    Ok(())
}

#[tokio::test]
async fn drop_fault_closes_the_connection() -> TestResult {
    let api = OktaApi::start().await;
    api.server.inject(&Fault::new(FaultResponse::Drop)).await;
    let dropped = api.get("/users/me").await;
    assert!(dropped.is_err(), "{dropped:?}");
    assert_eq!(api.get("/users/me").await?.status, 200);
    assert_eq!(api.server.journal().await.len(), 2);
    Ok(())
}

#[tokio::test]
async fn zero_times_is_a_no_op() -> TestResult {
    let api = OktaApi::start().await;
    api.server
        .inject(&Fault::new(FaultResponse::Drop).times(0))
        .await;
    assert_eq!(api.get("/users/me").await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn faults_from_yaml() -> TestResult {
    let api = OktaApi::start().await;
    let fault: Fault = serde_saphyr::from_str(
        "match: {method: GET, path: /api/v1/users/*}\ntimes: 1\nrespond: {status: 404}\n",
    )?;
    api.server.inject(&fault).await;
    let reply = api.get("/users/me").await?;
    assert_eq!((reply.status, reply.error_code()), (404, "E0000007"));
    Ok(())
}
