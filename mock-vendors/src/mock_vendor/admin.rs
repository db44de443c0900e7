//! The admin routes of a running vendor (no auth; for people and scripts
//! driving a standalone mock):
//!
//! | route | answer |
//! |---|---|
//! | `GET /__admin/state` | 200, the vendor's dump |
//! | `POST /__admin/reset` | 204, state back to the seed |
//! | `GET /__admin/journal` | 200, the journal (admin calls excluded) |
//! | `POST /__admin/seed` | 204, JSON body = the new seed; 400 `{"error"}` if refused |

use std::sync::Arc;

use serde_json::{Value, json};
use wiremock::{Match, Request, ResponseTemplate};

use super::journal::Journal;
use crate::vendor::Vendor;

/// Every admin path starts with this.
pub(crate) const ADMIN_PREFIX: &str = "/__admin/";

/// The routes, for help texts: (method, path).
pub(crate) const ADMIN_ROUTES: [(&str, &str); 4] = [
    ("GET", "/__admin/state"),
    ("POST", "/__admin/reset"),
    ("GET", "/__admin/journal"),
    ("POST", "/__admin/seed"),
];

/// Matches every request under [`ADMIN_PREFIX`].
pub(crate) struct AdminPath;

impl Match for AdminPath {
    fn matches(&self, request: &Request) -> bool {
        request.url.path().starts_with(ADMIN_PREFIX)
    }
}

/// Answers one admin request.
pub(crate) fn respond(
    vendor: &Arc<dyn Vendor>,
    journal: &Journal,
    request: &Request,
) -> ResponseTemplate {
    let route = request.url.path().trim_start_matches(ADMIN_PREFIX);
    match (request.method.as_str(), route) {
        ("GET", "state") => ResponseTemplate::new(200).set_body_json(vendor.dump()),
        ("POST", "reset") => {
            vendor.reset();
            ResponseTemplate::new(204)
        }
        ("GET", "journal") => ResponseTemplate::new(200).set_body_json(journal.since(0)),
        ("POST", "seed") => match serde_json::from_slice::<Value>(&request.body) {
            Err(error) => error_reply(400, format!("the seed is not valid JSON: {error}")),
            Ok(seed) => match vendor.seed(&seed) {
                Ok(()) => ResponseTemplate::new(204),
                Err(error) => error_reply(400, error.to_string()),
            },
        },
        (_, "state" | "reset" | "journal" | "seed") => {
            error_reply(405, format!("{} is not allowed here", request.method))
        }
        _ => error_reply(404, format!("no admin route {}", request.url.path())),
    }
}

fn error_reply(status: u16, message: String) -> ResponseTemplate {
    let routes: Vec<String> = ADMIN_ROUTES
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    ResponseTemplate::new(status).set_body_json(json!({ "error": message, "routes": routes }))
}
