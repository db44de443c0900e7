//! [`Call`]: one request as a vendor's routes read it.

use wiremock::Request;

use super::request::{BodyType, base_url, body_type, decode_segment};

/// One request being answered, with what every vendor reads off it first.
pub(crate) struct Call<'a> {
    /// The request as it arrived, whole.
    pub(crate) request: &'a Request,
    /// Virtual now, epoch millis.
    pub(crate) now: i64,
    /// `http://host:port` as the client addressed us, for links.
    pub(crate) base: String,
    /// The decoded query parameters, in order.
    pub(crate) params: Vec<(String, String)>,
}

impl<'a> Call<'a> {
    /// The call for `request` at virtual time `now`.
    pub(crate) fn new(request: &'a Request, now: i64) -> Self {
        Self {
            request,
            now,
            base: base_url(request),
            params: request
                .url
                .query_pairs()
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        }
    }

    /// The HTTP method, e.g. `GET`.
    pub(crate) fn method(&self) -> &str {
        self.request.method.as_str()
    }

    /// The path as sent (still percent-encoded).
    pub(crate) fn path(&self) -> &str {
        self.request.url.path()
    }

    /// The decoded segments of `path`, empty ones left out: clients joining
    /// URLs produce `//` and trailing slashes, and vendors tolerate them.
    pub(crate) fn segments(path: &str) -> Vec<String> {
        path.split('/')
            .filter(|segment| !segment.is_empty())
            .map(decode_segment)
            .collect()
    }

    /// The first value of a query parameter.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether a parameter is `true` (ASCII case and surrounding spaces
    /// ignored, so the `True` Python clients send counts).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
    }

    /// A request header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// What the `Content-Type` says about a JSON body.
    pub(crate) fn body_type(&self) -> BodyType {
        body_type(self.request)
    }

    /// The body bytes.
    pub(crate) fn body(&self) -> &[u8] {
        &self.request.body
    }
}
