//! What every vendor reads off a request the same way: the base URL its links point at, and
//! percent-decoding (path segments, form bodies, RFC 5987 values).

use wiremock::Request;

/// `http://` + the `Host` header when it is a plain host[:port], else the request URL's
/// origin.
pub(crate) fn base_url(request: &Request) -> String {
    let host = request
        .headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
        });
    match host {
        Some(host) => format!("http://{host}"),
        None => request.url.origin().ascii_serialization(),
    }
}

/// What the `Content-Type` of a request says about a JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyType {
    /// No `Content-Type` (vendors read the body as JSON anyway).
    Unstated,
    /// `application/json` or any `+json` type, parameters allowed.
    Json,
    /// Anything else, as sent.
    Other(String),
}

/// Classifies the `Content-Type` of `request`.
pub(crate) fn body_type(request: &Request) -> BodyType {
    let Some(value) = request.headers.get("content-type") else {
        return BodyType::Unstated;
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let is_json = essence.split_once('/').is_some_and(|(kind, subtype)| {
        !kind.is_empty()
            && (subtype == "json" && kind == "application" || subtype.ends_with("+json"))
    });
    if is_json {
        BodyType::Json
    } else {
        BodyType::Other(text.into_owned())
    }
}

/// Decodes `%XX` escapes, and `+` as a space when `plus_is_space` (form bodies); a `%` that
/// starts no escape stays as it is.
pub(crate) fn percent_decode(text: &[u8], plus_is_space: bool) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let escaped = (text[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (text[i], escaped) {
            (_, Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (b'+', None) if plus_is_space => {
                decoded.push(b' ');
                i += 1;
            }
            (byte, None) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    decoded
}

/// A decoded path segment; one that does not decode to UTF-8 stays as written.
pub(crate) fn decode_segment(segment: &str) -> String {
    String::from_utf8(percent_decode(segment.as_bytes(), false))
        .unwrap_or_else(|_| segment.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_decode_and_bad_escapes_stay() {
        assert_eq!(decode_segment("ada%40example.com"), "ada@example.com");
        assert_eq!(decode_segment("a%20b"), "a b");
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz"), "%zz");
        assert_eq!(decode_segment("%ff"), "%ff");
        assert_eq!(decode_segment("%+1"), "%+1");
    }

    #[test]
    fn json_content_types() {
        use wiremock::http::{HeaderMap, Method, Url};
        let typed = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(value) = value {
                headers.insert("content-type", value.parse().expect("a header value"));
            }
            body_type(&Request {
                url: Url::parse("http://x/").expect("a URL"),
                method: Method::POST,
                headers,
                body: Vec::new(),
            })
        };
        assert_eq!(typed(None), BodyType::Unstated);
        assert_eq!(typed(Some("application/json")), BodyType::Json);
        assert_eq!(
            typed(Some("Application/JSON; charset=UTF-8")),
            BodyType::Json
        );
        assert_eq!(typed(Some("application/merge-patch+json")), BodyType::Json);
        assert_eq!(
            typed(Some("text/plain")),
            BodyType::Other("text/plain".into())
        );
        assert_eq!(
            typed(Some("text/json")),
            BodyType::Other("text/json".into())
        );
    }

    #[test]
    fn forms_turn_plus_into_space() {
        assert_eq!(percent_decode(b"a+b%21", true), b"a b!");
        assert_eq!(percent_decode(b"a+b", false), b"a+b");
    }
}
