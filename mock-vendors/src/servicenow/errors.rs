//! ServiceNow's error answers: `{"error": {"message", "detail"}, "status":
//! "failure"}` with the HTTP status the real instance uses for each case.

use serde_json::{Value, json};

use super::RATE_LIMIT_MESSAGE;
use crate::rejection::Rejection;

/// One error answer of the Table or Attachment API. The `Display` text is
/// the body's `error.message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ServiceNowError {
    /// 404: no record with that sys_id (or ACLs hide it).
    #[error("No Record found")]
    NoRecord,
    /// 401: missing, wrong or expired credentials.
    #[error("User Not Authenticated")]
    NotAuthenticated,
    /// 403: a write ACL refused the operation.
    #[error("Operation Failed")]
    AclDenied,
    /// 400: a table the instance does not have.
    #[error("Invalid table {0}")]
    InvalidTable(String),
    /// 400 under `/api`, 404 elsewhere: no API answers this path.
    #[error("Requested URI does not represent any resource")]
    UnknownResource {
        /// 400 or 404.
        status: u16,
    },
    /// 405: a known resource, a method it does not serve.
    #[error("Method not Supported")]
    MethodNotSupported,
    /// 400: a body that is not a JSON object; the detail says why.
    #[error("Exception while reading request")]
    MalformedBody(String),
    /// 400: a required request parameter is absent.
    #[error("Missing parameter: {0}")]
    MissingParameter(&'static str),
    /// 400: a request the API cannot use, for the reason given.
    #[error("Invalid request")]
    InvalidRequest(String),
    /// 415: a write whose `Content-Type` is not JSON; the detail names it.
    /// (ServiceNow documents 415 for request formats an API does not take;
    /// the wording is a best guess.)
    #[error("Requested media type is not supported")]
    UnsupportedMediaType(String),
    /// A request the server could not read whole: 400 for an unreadable
    /// body, or the rejection's status (413, 431, ...); the detail says
    /// what was wrong. (The message texts are a best guess: the instance's
    /// front end answers these.)
    #[error("{message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The message for it.
        message: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// 429: an injected rate limit.
    #[error("{RATE_LIMIT_MESSAGE}")]
    RateLimited {
        /// The rule's limit, for the detail.
        per_hour: u32,
    },
    /// An injected status with a generic message for it.
    #[error("{message}")]
    Injected {
        /// The HTTP status.
        status: u16,
        /// What the instance says for it.
        message: &'static str,
    },
}

impl ServiceNowError {
    /// The HTTP status.
    pub(crate) fn status(&self) -> u16 {
        match self {
            ServiceNowError::NoRecord => 404,
            ServiceNowError::NotAuthenticated => 401,
            ServiceNowError::AclDenied => 403,
            ServiceNowError::InvalidTable(_)
            | ServiceNowError::MalformedBody(_)
            | ServiceNowError::MissingParameter(_)
            | ServiceNowError::InvalidRequest(_) => 400,
            ServiceNowError::UnknownResource { status } => *status,
            ServiceNowError::MethodNotSupported => 405,
            ServiceNowError::UnsupportedMediaType(_) => 415,
            ServiceNowError::Rejected { status, .. } => *status,
            ServiceNowError::RateLimited { .. } => 429,
            ServiceNowError::Injected { status, .. } => *status,
        }
    }

    /// The body's `error.detail` (`null` when absent).
    pub(crate) fn detail(&self) -> Option<String> {
        let detail = match self {
            ServiceNowError::NoRecord => {
                "Record doesn't exist or ACL restricts the record retrieval".to_owned()
            }
            ServiceNowError::NotAuthenticated => "Required to provide Auth information".to_owned(),
            ServiceNowError::AclDenied => {
                "ACL Exception Update Failed due to security constraints".to_owned()
            }
            ServiceNowError::MethodNotSupported => {
                "Method not supported for the resource".to_owned()
            }
            ServiceNowError::MalformedBody(detail)
            | ServiceNowError::InvalidRequest(detail)
            | ServiceNowError::Rejected { detail, .. } => detail.clone(),
            ServiceNowError::UnsupportedMediaType(content_type) => {
                format!("The Content-Type {content_type:?} is not supported: send application/json")
            }
            ServiceNowError::RateLimited { per_hour } => {
                format!("The rate limit of {per_hour} requests per hour for this user was exceeded")
            }
            ServiceNowError::InvalidTable(_)
            | ServiceNowError::UnknownResource { .. }
            | ServiceNowError::MissingParameter(_)
            | ServiceNowError::Injected { .. } => return None,
        };
        Some(detail)
    }

    /// The answer to a request the server could not read: an unreadable
    /// body is "Exception while reading request" (what the instance says of
    /// a body it cannot parse), the rest gets a message for its status.
    pub(crate) fn rejected(rejection: &Rejection) -> Self {
        let status = rejection.status();
        let message = match status {
            400 if rejection.is_body_problem() => {
                return ServiceNowError::MalformedBody(rejection.to_string());
            }
            400 => "Bad Request",
            408 => "Request Timeout",
            413 => "Request Entity Too Large",
            431 => "Request Header Fields Too Large",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Bad Request",
        };
        ServiceNowError::Rejected {
            status,
            message,
            detail: rejection.to_string(),
        }
    }

    /// The closest error for an injected HTTP status (400-599).
    pub(crate) fn for_status(status: u16, per_hour: u32) -> Self {
        let message = match status {
            401 => return ServiceNowError::NotAuthenticated,
            403 => return ServiceNowError::AclDenied,
            404 => return ServiceNowError::NoRecord,
            405 => return ServiceNowError::MethodNotSupported,
            429 => return ServiceNowError::RateLimited { per_hour },
            400 => "Bad Request",
            408 => "Request Timeout",
            409 => "Conflict",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            status if status < 500 => "Request Failed",
            _ => "Server Error",
        };
        ServiceNowError::Injected { status, message }
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        json!({
            "error": {"message": self.to_string(), "detail": self.detail()},
            "status": "failure",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_servicenow_shape() {
        assert_eq!(
            ServiceNowError::NoRecord.body(),
            json!({
                "error": {
                    "message": "No Record found",
                    "detail": "Record doesn't exist or ACL restricts the record retrieval",
                },
                "status": "failure",
            })
        );
        assert_eq!(
            ServiceNowError::InvalidTable("problem".into()).body(),
            json!({"error": {"message": "Invalid table problem", "detail": null}, "status": "failure"})
        );
        assert_eq!(
            ServiceNowError::NotAuthenticated.body()["error"]["detail"],
            "Required to provide Auth information"
        );
    }

    #[test]
    fn rejections_have_the_servicenow_shape() {
        let chunk = ServiceNowError::rejected(&Rejection::MalformedChunk("x".into()));
        assert_eq!(chunk.status(), 400);
        assert_eq!(
            chunk.body()["error"]["message"],
            "Exception while reading request"
        );
        let large = ServiceNowError::rejected(&Rejection::HeadTooLarge { limit: 9 });
        assert_eq!(large.status(), 431);
        assert_eq!(large.body()["status"], "failure");
        assert!(
            large.body()["error"]["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains("limit of 9 bytes"))
        );
    }

    #[test]
    fn injected_statuses() {
        assert_eq!(ServiceNowError::for_status(503, 1).status(), 503);
        assert_eq!(
            ServiceNowError::for_status(503, 1).to_string(),
            "Service Unavailable"
        );
        assert_eq!(
            ServiceNowError::for_status(404, 1),
            ServiceNowError::NoRecord
        );
        assert_eq!(
            ServiceNowError::for_status(429, 7),
            ServiceNowError::RateLimited { per_hour: 7 }
        );
        assert_eq!(ServiceNowError::for_status(418, 1).status(), 418);
        assert_eq!(
            ServiceNowError::RateLimited { per_hour: 1 }.to_string(),
            RATE_LIMIT_MESSAGE
        );
    }
}
