//! The stub-only vendor: no state, no routes of its own. Every answer comes
//! from the [`Stub`](crate::Stub)s laid over it; anything else gets a
//! 404 naming the request, so an integration author sees what to stub next.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mock_vendors::{Stub, StubResponse};
//! use mock_vendors::{create, Clock, MockVendor, VendorKind};
//! use serde_json::json;
//!
//! let server = MockVendor::start(create(VendorKind::Stub, Clock::default(), None)?).await;
//! server.stub(&Stub::new(StubResponse::json(json!({"ok": true}))).path("/ping")).await?;
//!
//! let client = reqwest::Client::new();
//! let ping = client.get(format!("{}/ping", server.uri())).send().await?;
//! assert_eq!(ping.status(), 200);
//! let missing = client.get(format!("{}/users?id=7", server.uri())).send().await?;
//! assert_eq!(missing.status(), 404);
//! let body: serde_json::Value = missing.json().await?;
//! assert_eq!(
//!     body,
//!     json!({"error": "no stub matches", "method": "GET", "path": "/users", "query": {"id": "7"}})
//! );
//! # Ok(())
//! # }
//! ```

use serde_json::{Map, Value, json};
use wiremock::Request;

use crate::faults::FaultResponse;
use crate::kit::errors::VendorErrors;
use crate::kit::reply::Reply;
use crate::kit::vendor::{SeedError, Vendor, VendorKind};
use crate::rejection::Rejection;
use crate::response::Response;

/// A vendor that knows nothing: its default route answers 404
/// `{"error": "no stub matches", "method", "path", "query"}`.
///
/// ```
/// use mock_vendors::{StubVendor, Vendor, VendorKind};
/// use serde_json::json;
///
/// let vendor = StubVendor::new();
/// assert_eq!(vendor.kind(), VendorKind::Stub);
/// assert!(vendor.seed(&json!({})).is_ok());
/// assert_eq!(vendor.dump(), json!({}));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct StubVendor;

impl StubVendor {
    /// The stub-only vendor.
    ///
    /// ```
    /// use mock_vendors::StubVendor;
    ///
    /// let _vendor = StubVendor::new();
    /// ```
    pub fn new() -> Self {
        Self
    }
}

impl Vendor for StubVendor {
    fn kind(&self) -> VendorKind {
        VendorKind::Stub
    }

    fn handle(&self, request: &Request) -> Response {
        Response::new(404).set_body_json(json!({
            "error": "no stub matches",
            "method": request.method.as_str(),
            "path": request.url.path(),
            "query": query_object(request),
        }))
    }

    /// A generic JSON API's answers, there being no vendor to imitate:
    /// `{"error", "status"}`, 429 with `Retry-After: 1`.
    fn fault_response(&self, fault: &FaultResponse) -> Response {
        self.fault_answer(fault)
    }

    /// `{"error": <what was wrong>, "status": <status>}`.
    fn reject(&self, rejection: &Rejection) -> Response {
        self.rejection_answer(rejection)
    }

    /// Only an empty seed (`null` or `{}`): there is no state to seed.
    fn seed(&self, seed: &Value) -> Result<(), SeedError> {
        match seed {
            Value::Null => Ok(()),
            Value::Object(fields) => match fields.keys().next() {
                None => Ok(()),
                Some(field) => Err(no_state(field)),
            },
            _ => Err(no_state("(top level)")),
        }
    }

    fn reset(&self) {}

    fn dump(&self) -> Value {
        Value::Object(Map::new())
    }
}

fn no_state(path: &str) -> SeedError {
    SeedError::Invalid {
        path: path.to_owned(),
        reason: "the stub vendor has no state: give no seed and lay stubs instead".to_owned(),
    }
}

/// A generic JSON API error.
pub(crate) struct GenericError {
    status: u16,
    message: String,
}

impl VendorErrors for StubVendor {
    type Error = GenericError;

    fn status_error(&self, status: u16) -> GenericError {
        let message = match status {
            429 => "rate limited",
            _ => "injected fault",
        };
        GenericError {
            status,
            message: message.to_owned(),
        }
    }

    fn rejection_error(&self, rejection: &Rejection) -> GenericError {
        GenericError {
            status: rejection.status(),
            message: rejection.to_string(),
        }
    }

    fn error_reply(&self, error: &GenericError) -> Reply {
        let reply = Reply::json(
            error.status,
            json!({ "error": error.message, "status": error.status }),
        );
        match error.status {
            429 => reply.header("Retry-After", "1".to_owned()),
            _ => reply,
        }
    }

    fn success_body(&self) -> Value {
        json!({})
    }
}

/// The query as an object, as a stub's `match.query` would list it; a
/// repeated parameter becomes a list of its values.
fn query_object(request: &Request) -> Value {
    let mut query = Map::new();
    for (name, value) in request.url.query_pairs() {
        let value = Value::String(value.into_owned());
        match query.get_mut(name.as_ref()) {
            None => {
                query.insert(name.into_owned(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    Value::Object(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::http::{HeaderMap, Method, Url};

    fn get(url: &str) -> Result<Request, Box<dyn std::error::Error>> {
        Ok(Request {
            url: Url::parse(url)?,
            method: Method::GET,
            headers: HeaderMap::new(),
            body: Vec::new(),
        })
    }

    #[test]
    fn repeated_query_parameters_become_lists() -> Result<(), Box<dyn std::error::Error>> {
        let request = get("http://stub.test/x?a=1&b=2&a=3&a=4&c=%20d")?;
        assert_eq!(
            query_object(&request),
            json!({"a": ["1", "3", "4"], "b": "2", "c": " d"})
        );
        assert_eq!(query_object(&get("http://stub.test/x")?), json!({}));
        Ok(())
    }

    #[test]
    fn only_empty_seeds_are_accepted() {
        let vendor = StubVendor::new();
        assert!(vendor.seed(&Value::Null).is_ok());
        assert!(vendor.seed(&json!({})).is_ok());
        for (seed, path) in [
            (json!({"users": []}), "users"),
            (json!([]), "(top level)"),
            (json!("x"), "(top level)"),
        ] {
            match vendor.seed(&seed) {
                Err(SeedError::Invalid { path: at, .. }) => assert_eq!(at, path, "{seed}"),
                other => panic!("{seed} should be refused, got {other:?}"),
            }
        }
    }
}
