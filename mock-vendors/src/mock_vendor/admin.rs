//! The admin routes of a running vendor (no auth; for people and scripts
//! driving a standalone mock):
//!
//! | route | answer |
//! |---|---|
//! | `GET /__admin/state` | 200, the vendor's dump |
//! | `POST /__admin/reset` | 204, state back to the seed, journal emptied |
//! | `GET /__admin/journal[?since=MARK]` | 200, the journal entries still held (admin calls excluded) |
//! | `POST /__admin/seed` | 204, JSON body = the new seed; 400 `{"error"}` if refused |
//!
//! The journal is a bounded ring ([`Limits`](super::Limits)): its answer
//! carries `X-Journal-Next` (the mark to pass as `since` next time: how many
//! requests were ever journaled) and `X-Journal-Dropped` (how many entries
//! after `since`, 0 by default, are no longer held: pushed out of the ring
//! or cleared by a reset). `since` that is not a number is a 400.

use std::sync::Arc;

use serde_json::{Value, json};
use wiremock::Request;

use crate::response::Response;

use super::journal::Journal;
use crate::kit::vendor::Vendor;

/// Every admin path starts with this.
pub(crate) const ADMIN_PREFIX: &str = "/__admin/";

/// The routes, for help texts: (method, path).
pub(crate) const ADMIN_ROUTES: [(&str, &str); 4] = [
    ("GET", "/__admin/state"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/journal"),
    ("POST", "/__admin/seed"),
];

/// Whether a request is for the admin routes.
pub(crate) fn is_admin(request: &Request) -> bool {
    request.url.path().starts_with(ADMIN_PREFIX)
}

/// Answers one admin request.
pub(crate) fn respond(vendor: &Arc<dyn Vendor>, journal: &Journal, request: &Request) -> Response {
    let route = request.url.path().trim_start_matches(ADMIN_PREFIX);
    match (request.method.as_str(), route) {
        ("GET", "state") => Response::new(200).set_body_json(vendor.dump()),
        ("POST", "reset") => {
            vendor.reset();
            journal.clear();
            Response::new(204)
        }
        ("GET", "journal") => {
            let since = request
                .url
                .query_pairs()
                .find(|(name, _)| name == "since")
                .map(|(_, value)| value.parse::<u64>().map_err(|_| value.into_owned()));
            match since {
                Some(Err(value)) => error_reply(
                    400,
                    format!("since={value:?} is not a journal mark (a number)"),
                ),
                Some(Ok(mark)) => journal_reply(journal, mark),
                None => journal_reply(journal, 0),
            }
        }
        ("POST", "seed") => match serde_json::from_slice::<Value>(&request.body) {
            Err(error) => error_reply(400, format!("the seed is not valid JSON: {error}")),
            Ok(seed) => match vendor.seed(&seed) {
                Ok(()) => Response::new(204),
                Err(error) => error_reply(400, error.to_string()),
            },
        },
        (_, "state" | "reset" | "journal" | "seed") => {
            error_reply(405, format!("{} is not allowed here", request.method))
        }
        _ => error_reply(404, format!("no admin route {}", request.url.path())),
    }
}

fn journal_reply(journal: &Journal, mark: u64) -> Response {
    let next = journal.total();
    let window = journal.window(mark);
    Response::new(200)
        .set_body_json(&window.entries)
        .insert_header("X-Journal-Next", next.to_string())
        .insert_header("X-Journal-Dropped", window.dropped.to_string())
}

fn error_reply(status: u16, message: String) -> Response {
    let routes: Vec<String> = ADMIN_ROUTES
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    Response::new(status).set_body_json(json!({ "error": message, "routes": routes }))
}
