//! [`Rejection`]: why the HTTP front of a
//! [`MockVendor`](crate::MockVendor) could not read a request,
//! and the status it answers with.
//!
//! A rejected request never reaches the vendor's routes (nor the journal):
//! the vendor only words the answer, in its own error format
//! ([`Vendor::reject`](crate::Vendor::reject)). After a rejection
//! the connection is closed, since the rest of its bytes cannot be framed.
//!
//! | rejection | status |
//! |---|---|
//! | [`MalformedHead`](Rejection::MalformedHead) | 400 |
//! | [`HeadTooLarge`](Rejection::HeadTooLarge), [`TooManyHeaders`](Rejection::TooManyHeaders) | 431 |
//! | [`UnsupportedVersion`](Rejection::UnsupportedVersion) | 505 |
//! | [`BadContentLength`](Rejection::BadContentLength), [`ConflictingFraming`](Rejection::ConflictingFraming) | 400 |
//! | [`UnsupportedTransferEncoding`](Rejection::UnsupportedTransferEncoding) | 501 |
//! | [`MalformedChunk`](Rejection::MalformedChunk), [`TruncatedBody`](Rejection::TruncatedBody) | 400 |
//! | [`BodyTooLarge`](Rejection::BodyTooLarge) | 413 |
//! | [`Timeout`](Rejection::Timeout) | 408 |
//! | [`TooManyConnections`](Rejection::TooManyConnections) | 503 |

//! # How the vendors word them
//!
//! | broken input | Okta | ServiceNow |
//! |---|---|---|
//! | unreadable body (malformed chunk, shorter than `Content-Length`, bad `Content-Length`) | 400 `E0000003` "The request body was not well-formed." | 400 "Exception while reading request", detail saying what was wrong |
//! | body over the limit | 413 `E0000002` | 413 "Request Entity Too Large" |
//! | head over the limit | 431 `E0000002` | 431 "Request Header Fields Too Large" |
//! | body not JSON, not UTF-8 (read by the routes) | 400 `E0000003` | 400 "Exception while reading request" |
//! | `Content-Type` not JSON on a JSON route (read by the routes) | 415 `E0000021` | 415 "Requested media type is not supported" |
//!
//! Okta's error list documents E0000003 for a body that is not well-formed
//! and E0000021 for a media type it does not take; ServiceNow documents 415
//! for request formats an API does not accept and "Exception while reading
//! request" is its message for a body it cannot parse. The rest (the
//! wording of 413, 431 and 408, E0000002 for them, Okta's 415 status) is a
//! best guess: the real services answer those at their front ends.

use std::time::Duration;

/// Why a request could not be read. The `Display` text says what was
/// wrong and, for a bound, which bound.
///
/// ```
/// use mock_vendors::Rejection;
///
/// let rejection = Rejection::BodyTooLarge { limit: 1024 };
/// assert_eq!(rejection.status(), 413);
/// assert_eq!(rejection.to_string(), "the request body is larger than the mock's limit of 1024 bytes");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The request line or a header line does not parse.
    #[error("the request head is malformed: {0}")]
    MalformedHead(String),
    /// The request line and headers together are longer than the limit.
    #[error(
        "the request head (request line and headers) is larger than the mock's limit of {limit} bytes"
    )]
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More header lines than the limit.
    #[error("the request has more than the mock's limit of {limit} headers")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// Not HTTP/1.0 or HTTP/1.1 (an HTTP/2 preface, for example).
    #[error("only HTTP/1.0 and HTTP/1.1 are served")]
    UnsupportedVersion,
    /// A `Content-Length` that is not one decimal number.
    #[error("the Content-Length header is not valid: {0}")]
    BadContentLength(String),
    /// Both `Content-Length` and `Transfer-Encoding`.
    #[error("the request has both Content-Length and Transfer-Encoding")]
    ConflictingFraming,
    /// A `Transfer-Encoding` other than `chunked`.
    #[error("the Transfer-Encoding {0:?} is not supported (only chunked)")]
    UnsupportedTransferEncoding(String),
    /// A chunked body that does not follow the chunked format.
    #[error("the chunked request body is malformed: {0}")]
    MalformedChunk(String),
    /// The client stopped sending (closed its side) before the body ended.
    #[error("{}", truncated(*.expected, *.received))]
    TruncatedBody {
        /// The announced length (`None` for a chunked body).
        expected: Option<u64>,
        /// The body bytes that arrived.
        received: u64,
    },
    /// The body is larger than the limit.
    #[error("the request body is larger than the mock's limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The client sent part of a request, then nothing for this long.
    #[error("the request was not complete within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The server already holds its limit of open connections.
    #[error("the mock already holds its limit of {limit} open connections")]
    TooManyConnections {
        /// The limit.
        limit: usize,
    },
}

fn truncated(expected: Option<u64>, received: u64) -> String {
    match expected {
        Some(expected) => format!(
            "the request body ended after {received} of the {expected} bytes its Content-Length announced"
        ),
        None => {
            format!("the chunked request body ended after {received} bytes, before its last chunk")
        }
    }
}

impl Rejection {
    /// The HTTP status of the answer.
    ///
    /// ```
    /// use mock_vendors::Rejection;
    ///
    /// assert_eq!(Rejection::HeadTooLarge { limit: 1 }.status(), 431);
    /// assert_eq!(Rejection::MalformedChunk("x".into()).status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Rejection::MalformedHead(_)
            | Rejection::BadContentLength(_)
            | Rejection::ConflictingFraming
            | Rejection::MalformedChunk(_)
            | Rejection::TruncatedBody { .. } => 400,
            Rejection::HeadTooLarge { .. } | Rejection::TooManyHeaders { .. } => 431,
            Rejection::UnsupportedVersion => 505,
            Rejection::UnsupportedTransferEncoding(_) => 501,
            Rejection::BodyTooLarge { .. } => 413,
            Rejection::Timeout(_) => 408,
            Rejection::TooManyConnections { .. } => 503,
        }
    }

    /// Whether the head was fine and the body could not be read (vendors
    /// word these as their "request body not readable" error).
    pub(crate) fn is_body_problem(&self) -> bool {
        matches!(
            self,
            Rejection::BadContentLength(_)
                | Rejection::ConflictingFraming
                | Rejection::UnsupportedTransferEncoding(_)
                | Rejection::MalformedChunk(_)
                | Rejection::TruncatedBody { .. }
                | Rejection::BodyTooLarge { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_problems_are_told_apart() {
        assert!(Rejection::BodyTooLarge { limit: 1 }.is_body_problem());
        assert!(
            Rejection::TruncatedBody {
                expected: Some(10),
                received: 3
            }
            .is_body_problem()
        );
        assert!(!Rejection::UnsupportedVersion.is_body_problem());
    }
}
