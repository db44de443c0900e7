//! HTTP dispatch: from a request to the Table API, the Attachment
//! API or the OAuth token endpoint, and back to ServiceNow's answer.

use serde_json::{Map, Value};

use super::Config;
use super::attachments;
use super::auth::Sessions;
use super::display::{self, View};
use super::errors::ServiceNowError;
use super::listing;
use super::schema::Table;
use super::store::{Actor, Store, Write, stored_text};
use crate::kit::call::Call;
use crate::kit::reply::Reply;
use crate::kit::request::BodyType;

/// The body as a write: a JSON object whose values become strings. An
/// empty body is an empty object.
///
/// A body under a `Content-Type` that is not JSON is a 415 (none at all is
/// read as JSON); one that is not a JSON object (not JSON, not UTF-8) a 400.
fn write(call: &Call<'_>) -> Result<Write, ServiceNowError> {
    let body = call.body();
    let object = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else if let BodyType::Other(content_type) = call.body_type() {
        return Err(ServiceNowError::UnsupportedMediaType(content_type));
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => object,
            Ok(_) => {
                return Err(ServiceNowError::MalformedBody(
                    "The payload is not a JSON object".to_owned(),
                ));
            }
            Err(error) => {
                return Err(ServiceNowError::MalformedBody(format!(
                    "Cannot decode: {error}"
                )));
            }
        }
    };
    Ok(Write {
        fields: object
            .into_iter()
            .map(|(field, value)| (field, stored_text(&value)))
            .collect(),
        input_display_value: call.flag("sysparm_input_display_value"),
        trusted: false,
    })
}

/// Answers one request.
pub(crate) fn dispatch(
    store: &mut Store,
    sessions: &mut Sessions,
    config: &Config,
    call: &Call<'_>,
) -> Result<Reply, ServiceNowError> {
    let segments = Call::segments(call.path());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.method();
    let (api, rest) = match segments.as_slice() {
        ["oauth_token.do"] if method == "POST" => {
            let granted = sessions.grant(call.body(), &config.credentials, &config.oauth, call.now);
            return Ok(match granted {
                Ok(body) => Reply::json(200, body),
                Err(error) => Reply::json(error.status(), error.body()),
            });
        }
        ["oauth_token.do"] => return Err(ServiceNowError::MethodNotSupported),
        ["api", "now", rest @ ..] => (true, rest),
        ["api", ..] => (true, &[][..]),
        _ => (false, &[][..]),
    };
    if !api {
        return Err(ServiceNowError::UnknownResource { status: 404 });
    }
    let user_name = sessions.authenticate(call.request, &config.credentials, call.now)?;
    let actor = Actor {
        user_name: &user_name,
        now: call.now,
    };
    let (version, rest) = match rest {
        ["v1", rest @ ..] => (Some(1), rest),
        ["v2", rest @ ..] => (Some(2), rest),
        rest => (None, rest),
    };
    match (rest, method) {
        (["table", table], _) => table_route(store, call, actor, table, None),
        (["table", table, sys_id], _) => table_route(store, call, actor, table, Some(sys_id)),
        // The Attachment API has no v2.
        (["attachment", ..], _) if version == Some(2) => {
            Err(ServiceNowError::UnknownResource { status: 400 })
        }
        (["attachment"], "GET") => Ok(attachments::list(store, call)),
        (["attachment", "file"], "POST") => attachments::upload_raw(store, call, actor),
        (["attachment", "upload"], "POST") => attachments::upload_multipart(store, call, actor),
        (["attachment", sys_id], "GET") => attachments::metadata(store, call, sys_id),
        (["attachment", sys_id], "DELETE") => attachments::delete(store, sys_id),
        (["attachment", sys_id, "file"], "GET") => attachments::download(store, call, sys_id),
        (["attachment", ..], _) => Err(ServiceNowError::MethodNotSupported),
        _ => Err(ServiceNowError::UnknownResource { status: 400 }),
    }
}

/// `/table/{table}` and `/table/{table}/{sys_id}`.
fn table_route(
    store: &mut Store,
    call: &Call<'_>,
    actor: Actor<'_>,
    table: &str,
    sys_id: Option<&str>,
) -> Result<Reply, ServiceNowError> {
    let table = Table::from_api_name(table)
        .ok_or_else(|| ServiceNowError::InvalidTable(table.to_owned()))?;
    let view = View::of(call);
    let render = |store: &Store, sys_id: &str| {
        store
            .get(table, sys_id)
            .map(|record| view.render(store, table, record))
            .ok_or(ServiceNowError::NoRecord)
    };
    match (call.method(), sys_id) {
        ("GET", None) => Ok(listing::list(store, table, call, &|record| {
            view.render(store, table, record)
        })),
        ("POST", None) => {
            let write = write(call)?;
            let sys_id = store.insert(table, &write, actor);
            let location = format!("{}/api/now/table/{}/{sys_id}", call.base, table.name());
            Ok(display::result(201, render(store, &sys_id)?).header("Location", location))
        }
        ("GET", Some(sys_id)) => Ok(display::result(200, render(store, sys_id)?)),
        ("PATCH" | "PUT", Some(sys_id)) => {
            let write = write(call)?;
            store.update(table, sys_id, &write, actor)?;
            Ok(display::result(200, render(store, sys_id)?))
        }
        ("DELETE", Some(sys_id)) => {
            store.delete(table, sys_id)?;
            Ok(Reply::empty(204))
        }
        _ => Err(ServiceNowError::MethodNotSupported),
    }
}
