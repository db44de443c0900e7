//! [`VendorErrors`]: how one vendor's errors look, and the one ladder
//! from a route's error, an injected fault or an unreadable request to the
//! vendor's answer.
//!
//! | injected | answer |
//! |---|---|
//! | `rate-limit`, `{status: 429}` | the vendor's error for 429 (its rate limit) |
//! | `{status: 204}`, `{status: 304}` | that status, no body |
//! | other 2xx and 3xx | that status, [`success_body`](VendorErrors::success_body) |
//! | 4xx, 5xx | the vendor's error for that status |
//! | `{delay: …}`, asked of the vendor | its 504 error, late |
//! | `drop`, asked of the vendor | its 502 error |
//!
//! The server answers `delay` (the normal answer, late) and `drop` (no
//! answer) by itself; the last two rows are the closest HTTP equivalents
//! for a caller that asks the vendor directly.

use serde_json::Value;

use super::reply::Reply;
use crate::faults::FaultResponse;
use crate::rejection::Rejection;
use crate::response::Response;

/// What a vendor says about its errors; the ladder itself is written once,
/// in the provided methods.
pub(crate) trait VendorErrors {
    /// The vendor's error type.
    type Error;

    /// Its error for a status from 400 to 599 (for 429, its rate-limit
    /// error).
    fn status_error(&self, status: u16) -> Self::Error;

    /// Its error for a request the server could not read.
    fn rejection_error(&self, rejection: &Rejection) -> Self::Error;

    /// The answer carrying `error`: its status, body and headers.
    fn error_reply(&self, error: &Self::Error) -> Reply;

    /// The body of an injected 2xx or 3xx status (except 204 and 304,
    /// which have none).
    fn success_body(&self) -> Value;

    /// The last touch on every answer, such as headers the vendor puts on
    /// all of them. None by default.
    fn finish(&self, reply: Reply) -> Response {
        reply.into_response()
    }

    /// The answer to a route's outcome.
    fn answer(&self, outcome: Result<Reply, Self::Error>) -> Response {
        let reply = outcome.unwrap_or_else(|error| self.error_reply(&error));
        self.finish(reply)
    }

    /// The answer to an injected fault (the table in the module docs).
    fn fault_answer(&self, fault: &FaultResponse) -> Response {
        let status = match fault {
            FaultResponse::RateLimit => 429,
            FaultResponse::Status(status @ (204 | 304)) => {
                return self.finish(Reply::empty(*status));
            }
            FaultResponse::Status(status @ 200..=399) => {
                return self.finish(Reply::json(*status, self.success_body()));
            }
            FaultResponse::Status(status @ 400..=599) => *status,
            FaultResponse::Status(_) => 500,
            FaultResponse::Delay(delay) => {
                return self
                    .answer(Err(self.status_error(504)))
                    .set_delay(delay.duration());
            }
            FaultResponse::Drop => 502,
        };
        self.answer(Err(self.status_error(status)))
    }

    /// The answer to a request the server could not read.
    fn rejection_answer(&self, rejection: &Rejection) -> Response {
        self.answer(Err(self.rejection_error(rejection)))
    }
}
