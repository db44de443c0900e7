//! HTTP dispatch: from a request to the Table API, the Attachment
//! API or the OAuth token endpoint, and back to ServiceNow's answer.

use serde_json::{Map, Value, json};
use wiremock::Request;
use wiremock::http::HeaderValue;

use crate::response::Response;

use crate::request::{BodyType, base_url, body_type, decode_segment};

use super::Config;
use super::attachments;
use super::auth::Sessions;
use super::display::{DisplayMode, View};
use super::errors::ServiceNowError;
use super::listing;
use super::schema::Table;
use super::store::{Actor, Store, Write, stored_text};

/// One request being answered.
pub(crate) struct Call<'a> {
    pub(crate) request: &'a Request,
    /// Virtual now, epoch millis.
    pub(crate) now: i64,
    /// `http://host:port` as the client addressed us, for links.
    pub(crate) base: String,
    /// The decoded query parameters, in order.
    pub(crate) params: Vec<(String, String)>,
}

impl<'a> Call<'a> {
    pub(crate) fn new(request: &'a Request, now: i64) -> Self {
        Self {
            request,
            now,
            base: base_url(request),
            params: request
                .url
                .query_pairs()
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        }
    }

    /// The first value of a query parameter.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether a parameter is `true` (ASCII case ignored, so the `True`
    /// Python clients send counts).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
    }

    /// A request header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    /// How records should read in this request's answer.
    pub(crate) fn view(&self) -> View {
        let fields = self
            .param("sysparm_fields")
            .map(|fields| {
                fields
                    .split(',')
                    .map(str::trim)
                    .filter(|field| !field.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|fields| !fields.is_empty());
        View {
            mode: DisplayMode::parse(self.param("sysparm_display_value")),
            exclude_reference_link: self.flag("sysparm_exclude_reference_link"),
            fields,
            base: self.base.clone(),
        }
    }

    /// The body as a write: a JSON object whose values become strings. An
    /// empty body is an empty object.
    ///
    /// A body under a `Content-Type` that is not JSON is a 415 (none at all
    /// is read as JSON); one that is not a JSON object (not JSON, not
    /// UTF-8) a 400.
    fn write(&self) -> Result<Write, ServiceNowError> {
        let body = &self.request.body;
        let object = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else if let BodyType::Other(content_type) = body_type(self.request) {
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
            input_display_value: self.flag("sysparm_input_display_value"),
            trusted: false,
        })
    }
}

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

/// An answer before it becomes a [`Response`].
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    /// `{"result": result}`.
    pub(crate) fn result(status: u16, result: Value) -> Self {
        Self::json(status, json!({ "result": result }))
    }

    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub(crate) fn bytes(bytes: Vec<u8>, content_type: String) -> Self {
        Self {
            status: 200,
            body: Body::Bytes {
                bytes,
                content_type,
            },
            headers: Vec::new(),
        }
    }

    pub(crate) fn error(error: &ServiceNowError) -> Self {
        Self::json(error.status(), error.body())
    }

    /// Adds a header (repeatable).
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn into_template(self) -> Response {
        let mut template = Response::new(self.status);
        match self.body {
            Body::Empty => {}
            Body::Json(body) => template = template.set_body_json(body),
            Body::Bytes {
                bytes,
                content_type,
            } => {
                template = template.set_body_bytes(bytes);
                let content_type = HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                template = template.insert_header("Content-Type", content_type);
            }
        }
        for (name, value) in self.headers {
            // Values may carry client text (file names); skip one that is
            // not representable in HTTP.
            if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                template = template.append_header(name, value);
            }
        }
        template
    }
}

/// Answers one request.
pub(crate) fn dispatch(
    store: &mut Store,
    sessions: &mut Sessions,
    config: &Config,
    call: &Call<'_>,
) -> Reply {
    route(store, sessions, config, call).unwrap_or_else(|error| Reply::error(&error))
}

fn route(
    store: &mut Store,
    sessions: &mut Sessions,
    config: &Config,
    call: &Call<'_>,
) -> Result<Reply, ServiceNowError> {
    // Tolerate `//` and a trailing slash, as clients joining URLs produce them.
    let segments: Vec<String> = call
        .request
        .url
        .path()
        .split('/')
        .filter(|segment| !segment.is_empty())
        .map(decode_segment)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.request.method.as_str();
    let (api, rest) = match segments.as_slice() {
        ["oauth_token.do"] if method == "POST" => {
            let granted = sessions.grant(
                &call.request.body,
                &config.credentials,
                &config.oauth,
                call.now,
            );
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
    let view = call.view();
    let render = |store: &Store, sys_id: &str| {
        store
            .get(table, sys_id)
            .map(|record| view.render(store, table, record))
            .ok_or(ServiceNowError::NoRecord)
    };
    match (call.request.method.as_str(), sys_id) {
        ("GET", None) => Ok(listing::list(store, table, call, &|record| {
            view.render(store, table, record)
        })),
        ("POST", None) => {
            let write = call.write()?;
            let sys_id = store.insert(table, &write, actor);
            let location = format!("{}/api/now/table/{}/{sys_id}", call.base, table.name());
            Ok(Reply::result(201, render(store, &sys_id)?).header("Location", location))
        }
        ("GET", Some(sys_id)) => Ok(Reply::result(200, render(store, sys_id)?)),
        ("PATCH" | "PUT", Some(sys_id)) => {
            let write = call.write()?;
            store.update(table, sys_id, &write, actor)?;
            Ok(Reply::result(200, render(store, sys_id)?))
        }
        ("DELETE", Some(sys_id)) => {
            store.delete(table, sys_id)?;
            Ok(Reply::empty(204))
        }
        _ => Err(ServiceNowError::MethodNotSupported),
    }
}
