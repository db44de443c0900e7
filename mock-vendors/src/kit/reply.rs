//! [`Reply`]: a vendor's answer while its routes build it, before it
//! becomes a [`Response`].

use serde_json::Value;

use crate::response::Response;

/// An answer body.
#[derive(Debug)]
enum Body {
    Empty,
    Json(Value),
    Bytes {
        bytes: Vec<u8>,
        content_type: String,
    },
}

/// An answer before it becomes a [`Response`]: status, body, headers.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON body.
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self::with_body(status, Body::Json(body))
    }

    /// No body.
    pub(crate) fn empty(status: u16) -> Self {
        Self::with_body(status, Body::Empty)
    }

    /// A 200 with these bytes, of this content type.
    pub(crate) fn bytes(bytes: Vec<u8>, content_type: String) -> Self {
        Self::with_body(
            200,
            Body::Bytes {
                bytes,
                content_type,
            },
        )
    }

    fn with_body(status: u16, body: Body) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// Adds a header (a repeated name repeats the header).
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status.
    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    /// The answer as it goes out. A header value that is not representable
    /// in HTTP (values may carry client text, such as file names) is left
    /// out, and so is an unrepresentable content type
    /// (`application/octet-stream` then).
    pub(crate) fn into_response(self) -> Response {
        let mut response = Response::new(self.status);
        match self.body {
            Body::Empty => {}
            Body::Json(body) => response = response.set_body_json(body),
            Body::Bytes {
                bytes,
                content_type,
            } => {
                response = response
                    .set_body_raw(bytes, "application/octet-stream")
                    .insert_header("Content-Type", content_type);
            }
        }
        for (name, value) in self.headers {
            response = response.append_header(name, value);
        }
        response
    }
}
