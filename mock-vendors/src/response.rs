//! [`Response`]: what a vendor answers one request with, before
//! [`MockVendor`](crate::MockVendor) writes it to the wire.
//!
//! The builder methods never panic: a header name or value that is not
//! representable in HTTP is left out (every caller builds headers from its
//! own text or from validated stub files, so this only guards against the
//! unexpected), and a body that cannot be serialised to JSON becomes a 500
//! saying so.

use std::time::Duration;

use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

/// One answer: a status, headers, a body and an optional delay before it
/// is sent.
///
/// ```
/// use mock_vendors::Response;
/// use serde_json::json;
///
/// let answer = Response::new(201)
///     .set_body_json(json!({"result": {"number": "INC0010001"}}))
///     .insert_header("Location", "/api/now/table/incident/1");
/// assert_eq!(answer.status(), 201);
/// assert_eq!(answer.header("content-type"), Some("application/json"));
/// assert_eq!(answer.body(), br#"{"result":{"number":"INC0010001"}}"#);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    delay: Option<Duration>,
}

impl Response {
    /// An answer with this status, no headers and no body.
    ///
    /// A status outside 100..=999 cannot be written on the wire; such an
    /// answer goes out as a 500 (see [`Response::status`]).
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// assert_eq!(Response::new(204).status(), 204);
    /// assert_eq!(Response::new(42).status(), 500);
    /// ```
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Vec::new(),
            delay: None,
        }
    }

    /// Sets a header, replacing every value it had; an unrepresentable name
    /// or value is left out.
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// let answer = Response::new(200).insert_header("X-A", "1").insert_header("X-A", "2");
    /// assert_eq!(answer.header("x-a"), Some("2"));
    /// assert_eq!(Response::new(200).insert_header("bad name", "1").headers().len(), 0);
    /// ```
    pub fn insert_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        if let (Ok(name), Ok(value)) = (name.try_into(), value.try_into()) {
            self.headers.insert(name, value);
        }
        self
    }

    /// Adds a header value (a second value repeats the header); an
    /// unrepresentable name or value is left out.
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// let answer = Response::new(200).append_header("Link", "<a>").append_header("Link", "<b>");
    /// assert_eq!(answer.headers().get_all("link").iter().count(), 2);
    /// ```
    pub fn append_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        V: TryInto<HeaderValue>,
    {
        if let (Ok(name), Ok(value)) = (name.try_into(), value.try_into()) {
            self.headers.append(name, value);
        }
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// let answer = Response::new(200).set_body_json(serde_json::json!([1, 2]));
    /// assert_eq!(answer.body(), b"[1,2]");
    /// ```
    pub fn set_body_json<B: Serialize>(self, body: B) -> Self {
        match serde_json::to_vec(&body) {
            Ok(bytes) => self.set_body_raw(bytes, "application/json"),
            Err(error) => Response::new(500)
                .set_body_string(format!("the mock could not serialise its answer: {error}")),
        }
    }

    /// A text body, with `Content-Type: text/plain`.
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// assert_eq!(Response::new(200).set_body_string("pong").header("content-type"), Some("text/plain"));
    /// ```
    pub fn set_body_string(self, body: impl Into<String>) -> Self {
        self.set_body_raw(body.into().into_bytes(), "text/plain")
    }

    /// A body whose `Content-Type` the caller sets (or not).
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// let answer = Response::new(200).set_body_bytes(vec![0xff, 0x00]);
    /// assert_eq!((answer.body(), answer.header("content-type")), (&[0xff, 0x00][..], None));
    /// ```
    pub fn set_body_bytes(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A body with its `Content-Type` (replacing any set before).
    ///
    /// ```
    /// use mock_vendors::Response;
    ///
    /// let answer = Response::new(200).set_body_raw(b"<a/>".to_vec(), "application/xml");
    /// assert_eq!(answer.header("content-type"), Some("application/xml"));
    /// ```
    pub fn set_body_raw(mut self, body: impl Into<Vec<u8>>, mime: &str) -> Self {
        self.body = body.into();
        self.insert_header(CONTENT_TYPE, mime)
    }

    /// Sends the answer this much later (the connection stays open
    /// meanwhile).
    ///
    /// ```
    /// use mock_vendors::Response;
    /// use std::time::Duration;
    ///
    /// let late = Response::new(200).set_delay(Duration::from_millis(5));
    /// assert_eq!(late.delay(), Some(Duration::from_millis(5)));
    /// ```
    pub fn set_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The status written on the wire: the one given to [`Response::new`],
    /// or 500 if that one has no three-digit form.
    pub fn status(&self) -> u16 {
        if (100..=999).contains(&self.status) {
            self.status
        } else {
            500
        }
    }

    /// The headers (without the framing ones the server adds:
    /// `Content-Length`, `Connection`, `Date`).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a header, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body bytes (empty when there is none).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// How long to wait before answering.
    pub fn delay(&self) -> Option<Duration> {
        self.delay
    }
}
