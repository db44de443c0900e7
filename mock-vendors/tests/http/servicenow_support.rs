//! A small client for the ServiceNow mock, so tests read like the API
//! calls they make.

use std::sync::Arc;

use mock_vendors::servicenow::{DEFAULT_CREDENTIALS, ServiceNow};
use mock_vendors::{Clock, MockVendor, Vendor};
use reqwest::Method;
use serde_json::Value;

use crate::support::{Reply, read};

pub(crate) const USER: &str = "harness";
pub(crate) const PASSWORD: &str = "harness-password";

/// A running ServiceNow mock plus a client that authenticates by default.
pub(crate) struct SnApi {
    pub(crate) server: MockVendor,
    pub(crate) clock: Clock,
    pub(crate) client: reqwest::Client,
}

impl SnApi {
    /// An instance holding only the API user.
    pub(crate) async fn start() -> Self {
        let clock = Clock::default();
        let vendor = Arc::new(ServiceNow::new(clock.clone(), DEFAULT_CREDENTIALS));
        Self {
            server: MockVendor::start(vendor).await,
            clock,
            client: reqwest::Client::new(),
        }
    }

    /// An instance holding `seed`.
    pub(crate) async fn seeded(seed: Value) -> Result<Self, Box<dyn std::error::Error>> {
        let api = Self::start().await;
        api.vendor().seed(&seed)?;
        Ok(api)
    }

    pub(crate) fn vendor(&self) -> &Arc<dyn Vendor> {
        self.server.vendor()
    }

    /// The server's base URL + `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    /// A request without credentials.
    pub(crate) fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with the API user's Basic credentials.
    pub(crate) fn authed(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.raw(method, path).basic_auth(USER, Some(PASSWORD))
    }

    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Reply, reqwest::Error> {
        read(request.send().await?).await
    }

    /// `GET` with query parameters.
    pub(crate) async fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        self.send(self.authed(Method::GET, path).query(params))
            .await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.send(self.authed(Method::POST, path).json(&body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.send(self.authed(Method::PATCH, path).json(&body))
            .await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.send(self.authed(Method::PUT, path).json(&body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<Reply, reqwest::Error> {
        self.send(self.authed(Method::DELETE, path)).await
    }

    /// Creates an incident; returns the `result`.
    pub(crate) async fn create_incident(
        &self,
        fields: Value,
    ) -> Result<Value, Box<dyn std::error::Error>> {
        let reply = self.post("/api/now/table/incident", fields).await?;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        Ok(reply.body["result"].clone())
    }

    /// The values of `field` in a list answer's `result`.
    pub(crate) async fn list_field(
        &self,
        table: &str,
        params: &[(&str, &str)],
        field: &str,
    ) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let reply = self.get(&format!("/api/now/table/{table}"), params).await?;
        assert_eq!(reply.status, 200, "{params:?}: {:?}", reply.body);
        Ok(column(&reply.body, field))
    }
}

/// The values of `field` in `{"result": [...]}`.
pub(crate) fn column(body: &Value, field: &str) -> Vec<String> {
    body["result"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .map(|record| match &record[field] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `error.message` of a ServiceNow error body.
pub(crate) fn message(reply: &Reply) -> &str {
    reply.body["error"]["message"].as_str().unwrap_or_default()
}
