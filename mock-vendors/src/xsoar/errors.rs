//! The remote server's error answers: a non-2xx status with
//! `{"id", "status", "title", "detail", "error", "encrypted", "multires"}`,
//! `id` being the title as a snake_case slug (`bad_request`, `forbidden`).

use serde_json::{Value, json};

use super::store::WriteError;
use crate::rejection::Rejection;

/// One error answer of the remote server. The `Display` text is the body's
/// `detail`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum XsoarError {
    /// 401: no `Authorization` header, or an empty one.
    #[error("Missing API key: send it in the Authorization header")]
    MissingKey,
    /// 403: a key the server does not know.
    #[error("Invalid API key")]
    WrongKey,
    /// 401 (XSOAR 8): `x-xdr-auth-id` missing or not the key's id.
    #[error("Missing or wrong API key id: send the key's id in the x-xdr-auth-id header")]
    KeyId,
    /// 404: no route for this path.
    #[error("No API answers {0}")]
    UnknownPath(String),
    /// 405: a known path, a method it does not serve.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The method sent.
        method: String,
        /// The path.
        path: String,
        /// The methods it serves, for `Allow`.
        allow: &'static str,
    },
    /// 404: no incident with that id.
    #[error("Could not find incident {0}")]
    NoIncident(String),
    /// 404: no incident has that investigation.
    #[error("Could not find investigation {0}")]
    NoInvestigation(String),
    /// 404: no file entry with that id.
    #[error("Could not find a file entry {0}")]
    NoFileEntry(String),
    /// 400: a body that cannot be used, for the reason given.
    #[error("{0}")]
    BadRequest(String),
    /// 400: a search query outside the language the server parses.
    #[error("Failed to parse the query: {0}")]
    BadQuery(String),
    /// 409: the incident moved on since the client read it.
    #[error("Could not save incident {id}: version conflict")]
    VersionConflict {
        /// The incident.
        id: u64,
        /// Its stored version.
        stored: i64,
        /// The version the request carried.
        sent: i64,
    },
    /// A request the server could not read whole (400 for an unreadable
    /// body, or the rejection's status: 413, 431, ...).
    #[error("The request could not be read")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// An injected status (429 included) with the generic text for it.
    #[error("{}", title(*.0))]
    Injected(u16),
}

impl XsoarError {
    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            XsoarError::MissingKey | XsoarError::KeyId => 401,
            XsoarError::WrongKey => 403,
            XsoarError::UnknownPath(_)
            | XsoarError::NoIncident(_)
            | XsoarError::NoInvestigation(_)
            | XsoarError::NoFileEntry(_) => 404,
            XsoarError::MethodNotAllowed { .. } => 405,
            XsoarError::BadRequest(_) | XsoarError::BadQuery(_) => 400,
            XsoarError::VersionConflict { .. } => 409,
            XsoarError::Rejected { status, .. } => *status,
            XsoarError::Injected(status) => *status,
        }
    }

    /// The body's `error`: the technical reason behind `detail`.
    fn error_text(&self) -> String {
        match self {
            XsoarError::BadRequest(reason)
            | XsoarError::BadQuery(reason)
            | XsoarError::Rejected { reason, .. } => reason.clone(),
            XsoarError::VersionConflict { stored, sent, .. } => format!(
                "DB version conflict: the stored version is {stored}, the request has {sent}"
            ),
            XsoarError::MissingKey | XsoarError::WrongKey | XsoarError::KeyId => {
                "auth failed".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The answer body.
    pub(crate) fn body(&self) -> Value {
        let status = self.status();
        let title = title(status);
        json!({
            "id": title.to_ascii_lowercase().replace(' ', "_"),
            "status": status,
            "title": title,
            "detail": self.to_string(),
            "error": self.error_text(),
            "encrypted": false,
            "multires": null,
        })
    }

    /// The answer to a request the server could not read.
    pub(crate) fn rejected(rejection: &Rejection) -> Self {
        XsoarError::Rejected {
            status: rejection.status(),
            reason: rejection.to_string(),
        }
    }
}

impl From<WriteError> for XsoarError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::NoIncident(id) => XsoarError::NoIncident(id),
            WriteError::NoInvestigation(id) => XsoarError::NoInvestigation(id),
            WriteError::Stale { id, stored, sent } => {
                XsoarError::VersionConflict { id, stored, sent }
            }
            WriteError::Field(error) => XsoarError::BadRequest(error.to_string()),
        }
    }
}

/// The server's title for a status (its `http.StatusText`, the Go
/// server's wording).
pub(crate) fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ if (400..500).contains(&status) => "Bad Request",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_slug_status_title_and_detail() {
        let body = XsoarError::WrongKey.body();
        assert_eq!(body["id"], "forbidden");
        assert_eq!(body["status"], 403);
        assert_eq!(body["title"], "Forbidden");
        assert_eq!(body["detail"], "Invalid API key");
        assert_eq!(XsoarError::Injected(429).body()["id"], "too_many_requests");
    }
}
