//! The headers on every Okta answer, whoever writes its body (the default
//! routes, a fault, a stub): the rate-limit budget and `X-Okta-Request-Id`.

use crate::kit::rate::RateBudget;
use crate::response::Response;

/// Characters of a request id (Okta's are 27 characters long).
pub(crate) const REQUEST_ID_LEN: usize = 27;

/// What one answer is stamped with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) rate: RateBudget,
    /// An opaque id, fresh for every answer; clients echo it in
    /// `X-Okta-Retry-For` when they retry.
    pub(crate) request_id: String,
}

impl Stamp {
    /// The same stamp with the rate budget spent (a 429).
    pub(crate) fn exhausted(self) -> Self {
        Self {
            rate: self.rate.exhausted(),
            ..self
        }
    }

    /// The headers as name-value pairs.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("X-Rate-Limit-Limit", self.rate.limit.to_string()),
            ("X-Rate-Limit-Remaining", self.rate.remaining.to_string()),
            ("X-Rate-Limit-Reset", self.rate.reset.to_string()),
            ("X-Okta-Request-Id", self.request_id.clone()),
        ]
    }

    /// Sets the headers on `template`, replacing any of the same name.
    pub(crate) fn apply(&self, mut response: Response) -> Response {
        for (name, value) in self.headers() {
            response = response.insert_header(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausted_keeps_the_id_and_empties_the_budget() {
        let stamp = Stamp {
            rate: RateBudget {
                limit: 600,
                remaining: 42,
                reset: 1_735_689_660,
                retry_after: 60,
            },
            request_id: "abc".to_owned(),
        };
        let headers = stamp.exhausted().headers();
        assert_eq!(
            headers,
            [
                ("X-Rate-Limit-Limit", "600".to_owned()),
                ("X-Rate-Limit-Remaining", "0".to_owned()),
                ("X-Rate-Limit-Reset", "1735689660".to_owned()),
                ("X-Okta-Request-Id", "abc".to_owned()),
            ]
        );
    }
}
