//! A small client for the Okta mock, so tests read like the API calls they make.

use std::sync::Arc;

use mock_vendors::okta::{DEFAULT_TOKEN, Okta};
use mock_vendors::{Clock, MockVendor, Vendor};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A running Okta mock plus a client that authenticates by default.
pub(crate) struct OktaApi {
    pub(crate) server: MockVendor,
    pub(crate) clock: Clock,
    client: reqwest::Client,
}

/// One answer, read completely.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// All values of a repeated header.
    pub(crate) fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    /// The `errorCode` of an Okta error body.
    pub(crate) fn error_code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or_default()
    }

    /// The URL of the `Link` header with this `rel`.
    pub(crate) fn link(&self, rel: &str) -> Option<String> {
        let suffix = format!("; rel=\"{rel}\"");
        self.header_all("link").into_iter().find_map(|link| {
            link.strip_suffix(&suffix)
                .map(|url| url.trim_start_matches('<').trim_end_matches('>').to_owned())
        })
    }

    /// The `id`s of a list answer.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.body
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|user| user["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `profile.login`s of a list answer.
    pub(crate) fn logins(&self) -> Vec<String> {
        self.body
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|user| user["profile"]["login"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl OktaApi {
    /// An empty org (only the admin user).
    pub(crate) async fn start() -> Self {
        let clock = Clock::default();
        let vendor = Arc::new(Okta::new(clock.clone(), DEFAULT_TOKEN));
        Self {
            server: MockVendor::start(vendor).await,
            clock,
            client: reqwest::Client::new(),
        }
    }

    /// An org holding `seed`.
    pub(crate) async fn seeded(seed: Value) -> Result<Self, Box<dyn std::error::Error>> {
        let api = Self::start().await;
        api.vendor().seed(&seed)?;
        Ok(api)
    }

    pub(crate) fn vendor(&self) -> &Arc<dyn Vendor> {
        self.server.vendor()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server.uri())
    }

    /// A request with the right token.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Reply, reqwest::Error> {
        let request = self
            .client
            .request(method, self.url(path))
            .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"));
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        read(request.send().await?).await
    }

    /// A request to an absolute URL (e.g. a `Link`), with the right token.
    pub(crate) async fn follow(&self, url: &str) -> Result<Reply, reqwest::Error> {
        let request = self
            .client
            .get(url)
            .header("Authorization", format!("SSWS {DEFAULT_TOKEN}"));
        read(request.send().await?).await
    }

    /// A raw request builder without authentication.
    pub(crate) fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Reply, reqwest::Error> {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn post_empty(&self, path: &str) -> Result<Reply, reqwest::Error> {
        self.call(Method::POST, path, None).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<Reply, reqwest::Error> {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a user with a complete profile; returns its id.
    pub(crate) async fn create_user(
        &self,
        login: &str,
        query: &str,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let reply = self
            .post(&format!("/users{query}"), profile_body(login))
            .await?;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        Ok(reply.body["id"].as_str().unwrap_or_default().to_owned())
    }
}

/// Reads status, headers and a JSON (or empty) body.
pub(crate) async fn read(response: reqwest::Response) -> Result<Reply, reqwest::Error> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// `{"profile": {...}}` with every required field derived from `login`.
pub(crate) fn profile_body(login: &str) -> Value {
    let first = login.split('@').next().unwrap_or_default();
    serde_json::json!({
        "profile": {
            "login": login,
            "email": login,
            "firstName": first,
            "lastName": "Tester",
        }
    })
}
