//! Okta's error answers: `{errorCode, errorSummary, errorLink, errorId,
//! errorCauses}` with the status code the real API uses for each code.

use serde_json::{Value, json};

use crate::rejection::Rejection;

/// One Okta error, before it gets its random `errorId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OktaError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) summary: String,
    pub(crate) causes: Vec<String>,
    /// The `Allow` header of a 405.
    pub(crate) allow: Option<&'static str>,
}

impl OktaError {
    fn new(status: u16, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
            allow: None,
        }
    }

    fn with_causes(mut self, causes: Vec<String>) -> Self {
        self.causes = causes;
        self
    }

    /// 400 E0000001, `Api validation failed: <field>` with one cause per
    /// problem.
    pub(crate) fn validation(field: &str, causes: Vec<String>) -> Self {
        Self::new(400, "E0000001", format!("Api validation failed: {field}")).with_causes(causes)
    }

    /// 400 E0000001 for a duplicate login, with the cause clients look for.
    pub(crate) fn duplicate_login() -> Self {
        Self::validation(
            "login",
            vec![
                "login: An object with this field already exists in the current organization"
                    .to_owned(),
            ],
        )
    }

    /// 400 E0000003, a body that is not a JSON object.
    pub(crate) fn malformed_body() -> Self {
        Self::new(400, "E0000003", "The request body was not well-formed.")
    }

    /// 415 E0000021: a body whose `Content-Type` is not JSON. (Okta's
    /// code for a media type it does not take; the status and summary are
    /// a best guess from its error list.)
    pub(crate) fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "E0000021",
            "Bad request. Accept and/or Content-Type headers likely do not match supported values.",
        )
        .with_causes(vec![format!(
            "Content-Type {content_type:?} is not supported: send application/json"
        )])
    }

    /// The answer to a request the server could not read: 400 E0000003
    /// (Okta's reader error) when the body could not be read, E0000009 for
    /// a 503, otherwise E0000002 ("The request was not valid") with the
    /// rejection's status. Only E0000003 for unreadable bodies is Okta's
    /// documented wording; the rest is a best guess (Okta's edge answers
    /// these before its API does).
    pub(crate) fn rejected(rejection: &Rejection) -> Self {
        let status = rejection.status();
        let error = match status {
            400 if rejection.is_body_problem() => Self::malformed_body(),
            503 => Self::for_status(503),
            _ => Self::new(
                status,
                "E0000002",
                format!("The request was not valid: {rejection}"),
            ),
        };
        error.with_causes(vec![rejection.to_string()])
    }

    /// 403 E0000006.
    pub(crate) fn forbidden() -> Self {
        Self::new(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// 404 E0000007 for a user id, login or shortname.
    pub(crate) fn user_not_found(key: &str) -> Self {
        Self::new(
            404,
            "E0000007",
            format!("Not found: Resource not found: {key} (User)"),
        )
    }

    /// 404 E0000007 for a path no route serves.
    pub(crate) fn unknown_endpoint(path: &str) -> Self {
        Self::new(
            404,
            "E0000007",
            format!("Not found: Resource not found: {path} (Endpoint)"),
        )
    }

    /// 500 E0000009.
    pub(crate) fn internal() -> Self {
        Self::new(500, "E0000009", "Internal Server Error")
    }

    /// 401 E0000011, a missing or wrong `SSWS` token.
    pub(crate) fn invalid_token() -> Self {
        Self::new(401, "E0000011", "Invalid token provided")
    }

    /// 403 E0000016, activating a user that is not STAGED, PROVISIONED or
    /// DEPROVISIONED.
    pub(crate) fn already_active() -> Self {
        Self::new(
            403,
            "E0000016",
            "Activation failed because the user is already active",
        )
    }

    /// 405 E0000022, a known path with a method it does not serve.
    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        let mut error = Self::new(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        );
        error.allow = Some(allow);
        error
    }

    /// 400 E0000031, an expression or paging parameter that does not parse.
    pub(crate) fn invalid_search(cause: impl Into<String>) -> Self {
        Self::new(400, "E0000031", "Invalid search criteria.").with_causes(vec![cause.into()])
    }

    /// 403 E0000032, unlocking a user that is not locked out.
    pub(crate) fn unlock_not_allowed() -> Self {
        Self::new(403, "E0000032", "Unlock is not allowed for this user.")
    }

    /// 400 E0000033, two of `q`, `filter`, `search` in one request.
    pub(crate) fn conflicting_search() -> Self {
        Self::new(
            400,
            "E0000033",
            "Bad request. Can't specify a search query and filter in the same request.",
        )
    }

    /// 403 E0000038, a lifecycle operation the current status forbids.
    pub(crate) fn status_not_allowed() -> Self {
        Self::new(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        )
    }

    /// 429 E0000047.
    pub(crate) fn rate_limited() -> Self {
        Self::new(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// The closest Okta error for an injected HTTP status.
    pub(crate) fn for_status(status: u16) -> Self {
        match status {
            401 => Self::invalid_token(),
            403 => Self::forbidden(),
            404 => Self::new(404, "E0000007", "Not found: Resource not found"),
            405 => Self::method_not_allowed("GET, POST, PUT, DELETE"),
            429 => Self::rate_limited(),
            400..=499 => Self::new(status, "E0000001", "Api validation failed"),
            _ => {
                let mut error = Self::internal();
                error.status = status;
                error
            }
        }
    }

    /// The JSON body, stamped with `error_id`.
    pub(crate) fn body(&self, error_id: &str) -> Value {
        let causes: Vec<Value> = self
            .causes
            .iter()
            .map(|cause| json!({ "errorSummary": cause }))
            .collect();
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": error_id,
            "errorCauses": causes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_okta_shape() {
        let body = OktaError::duplicate_login().body("oae123");
        assert_eq!(
            body,
            json!({
                "errorCode": "E0000001",
                "errorSummary": "Api validation failed: login",
                "errorLink": "E0000001",
                "errorId": "oae123",
                "errorCauses": [{"errorSummary": "login: An object with this field already exists in the current organization"}],
            })
        );
    }

    #[test]
    fn rejections_use_the_reader_error_for_bodies() {
        let chunk = OktaError::rejected(&Rejection::MalformedChunk("x".into()));
        assert_eq!((chunk.status, chunk.code), (400, "E0000003"));
        let large = OktaError::rejected(&Rejection::BodyTooLarge { limit: 9 });
        assert_eq!((large.status, large.code), (413, "E0000002"));
        assert!(large.summary.contains("limit of 9 bytes"));
        let head = OktaError::rejected(&Rejection::HeadTooLarge { limit: 9 });
        assert_eq!((head.status, head.code), (431, "E0000002"));
        let busy = OktaError::rejected(&Rejection::TooManyConnections { limit: 9 });
        assert_eq!((busy.status, busy.code), (503, "E0000009"));
    }

    #[test]
    fn injected_statuses_map_to_okta_codes() {
        assert_eq!(OktaError::for_status(429).code, "E0000047");
        assert_eq!(OktaError::for_status(503).code, "E0000009");
        assert_eq!(OktaError::for_status(503).status, 503);
        assert_eq!(OktaError::for_status(401).code, "E0000011");
        assert_eq!(OktaError::for_status(403).code, "E0000006");
        assert_eq!(OktaError::for_status(404).code, "E0000007");
        assert_eq!(OktaError::for_status(418).status, 418);
    }
}
