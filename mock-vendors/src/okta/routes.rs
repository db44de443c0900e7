//! HTTP dispatch: from a request to a store operation and back to
//! Okta's answer (status, JSON body, `Link` headers).

use serde_json::{Map, Value, json};

use super::errors::OktaError;
use super::filter::{Attribute, Expression, Mode};
use super::schema::default_user_schema;
use super::store::{Lifecycle, NewUser, Outcome, ProfileChange, Store};
use super::user::{Status, User};
use crate::clock::format_iso_millis;
use crate::kit::call::Call;
use crate::kit::reply::Reply;
use crate::kit::request::BodyType;
use crate::prng::Prng;

const API_PREFIX: &str = "/api/v1";
const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 200;
const DEFAULT_QUERY_LIMIT: usize = 10;
/// Characters of a generated temporary password.
const TEMP_PASSWORD_LEN: usize = 10;

/// A `true`/`false` query parameter (ASCII case ignored).
fn bool_param(call: &Call<'_>, name: &str, default: bool) -> Result<bool, OktaError> {
    match call.param(name) {
        None => Ok(default),
        Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
        Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
        Some(value) => Err(OktaError::validation(
            name,
            vec![format!("{name}: {value:?} is not true or false")],
        )),
    }
}

/// The body as a JSON object: 415 E0000021 when its `Content-Type` is not
/// JSON (none at all is read as JSON), 400 E0000003 when it is not a JSON
/// object (not JSON, not UTF-8, empty).
fn json_body(call: &Call<'_>) -> Result<Map<String, Value>, OktaError> {
    if let BodyType::Other(content_type) = call.body_type() {
        return Err(OktaError::unsupported_media_type(&content_type));
    }
    match serde_json::from_slice(call.body()) {
        Ok(Value::Object(body)) => Ok(body),
        _ => Err(OktaError::malformed_body()),
    }
}

/// Answers one request against the store.
pub(crate) fn dispatch(
    store: &mut Store,
    tokens: &mut Prng,
    api_token: &str,
    call: &Call<'_>,
) -> Result<Reply, OktaError> {
    let path = call.path();
    let rest = path
        .strip_prefix(API_PREFIX)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .ok_or_else(|| OktaError::unknown_endpoint(path))?;
    authenticate(call, api_token)?;
    let segments = Call::segments(rest);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = call.method();
    match (segments.as_slice(), method) {
        (["users"], "GET") => list_users(store, call),
        (["users"], "POST") => create_user(store, call),
        (["users"], _) => Err(OktaError::method_not_allowed("GET, POST")),
        (["users", key], "GET") => Ok(user_reply(store.get(key)?, call)),
        (["users", key], "POST") => update_user(store, call, key, ProfileChange::Merge),
        (["users", key], "PUT") => update_user(store, call, key, ProfileChange::Replace),
        (["users", key], "DELETE") => {
            store.delete(key, call.now)?;
            Ok(Reply::empty(204))
        }
        (["users", _], _) => Err(OktaError::method_not_allowed("GET, POST, PUT, DELETE")),
        (["users", key, "lifecycle", operation], _) => {
            let operation =
                Lifecycle::parse(operation).ok_or_else(|| OktaError::unknown_endpoint(path))?;
            if method != "POST" {
                return Err(OktaError::method_not_allowed("POST"));
            }
            lifecycle(store, tokens, call, key, operation)
        }
        (["meta", "schemas", "user", "default"], "GET") => Ok(Reply::json(
            200,
            default_user_schema(&call.base, &format_iso_millis(call.now)),
        )),
        (["meta", "schemas", "user", "default"], _) => Err(OktaError::method_not_allowed("GET")),
        _ => Err(OktaError::unknown_endpoint(path)),
    }
}

/// `Authorization: SSWS <token>`, or 401 E0000011.
fn authenticate(call: &Call<'_>, api_token: &str) -> Result<(), OktaError> {
    let presented = call.header("authorization").and_then(presented_token);
    if presented == Some(api_token) {
        Ok(())
    } else {
        Err(OktaError::invalid_token())
    }
}

/// The token of an `SSWS` authorization value. Okta takes the scheme in any
/// case and with or without a space before the token: the official SDK
/// sends `SSWS<token>`.
fn presented_token(authorization: &str) -> Option<&str> {
    let (scheme, rest) = (authorization.get(..4)?, authorization.get(4..)?);
    if !scheme.eq_ignore_ascii_case("SSWS") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

fn user_reply(user: &User, call: &Call<'_>) -> Reply {
    Reply::json(200, user.to_json(Some(&call.base)))
}

fn create_user(store: &mut Store, call: &Call<'_>) -> Result<Reply, OktaError> {
    let activate = bool_param(call, "activate", true)?;
    let provider = bool_param(call, "provider", false)?;
    let change_password = match call.param("nextLogin") {
        None => false,
        Some("changePassword") => true,
        Some(value) => {
            return Err(OktaError::validation(
                "nextLogin",
                vec![format!("nextLogin: {value:?} is not changePassword")],
            ));
        }
    };
    let mut body = json_body(call)?;
    let profile = match body.remove("profile") {
        None => Map::new(),
        Some(profile) => object("profile", profile)?,
    };
    let new = NewUser {
        profile,
        credentials: body.remove("credentials"),
        activate,
        provider,
        change_password,
    };
    Ok(user_reply(store.create(new, call.now)?, call))
}

fn update_user(
    store: &mut Store,
    call: &Call<'_>,
    key: &str,
    change: fn(Map<String, Value>) -> ProfileChange,
) -> Result<Reply, OktaError> {
    let mut body = json_body(call)?;
    let change = match body.remove("profile") {
        Some(profile) => change(object("profile", profile)?),
        None => ProfileChange::Keep,
    };
    let credentials = body.remove("credentials");
    let user = store.update(key, change, credentials.as_ref(), call.now)?;
    Ok(user_reply(user, call))
}

/// A body member that must be a JSON object.
fn object(name: &str, value: Value) -> Result<Map<String, Value>, OktaError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(OktaError::validation(
            name,
            vec![format!("{name}: The field must be an object")],
        )),
    }
}

fn lifecycle(
    store: &mut Store,
    tokens: &mut Prng,
    call: &Call<'_>,
    key: &str,
    operation: Lifecycle,
) -> Result<Reply, OktaError> {
    let send_email = bool_param(call, "sendEmail", true)?;
    // Accepted and checked; the mock keeps no sessions to revoke.
    bool_param(call, "revokeSessions", false)?;
    let operation = match operation {
        Lifecycle::ExpirePassword if bool_param(call, "tempPassword", false)? => {
            Lifecycle::ExpirePasswordWithTempPassword
        }
        other => other,
    };
    let body = match store.lifecycle(key, operation, call.now)? {
        Outcome::ActivationLink if !send_email => {
            let token = tokens.alphanumeric(20);
            json!({
                "activationUrl": format!("{}/welcome/{token}", call.base),
                "activationToken": token,
            })
        }
        Outcome::ResetPasswordLink if !send_email => {
            let token = tokens.alphanumeric(20);
            json!({ "resetPasswordUrl": format!("{}/reset_password/{token}", call.base) })
        }
        Outcome::TempPassword => json!({ "tempPassword": tokens.alphanumeric(TEMP_PASSWORD_LEN) }),
        Outcome::Empty | Outcome::ActivationLink | Outcome::ResetPasswordLink => json!({}),
        Outcome::User(user) => user.to_json(Some(&call.base)),
    };
    Ok(Reply::json(200, body))
}

/// Where the next page starts. Unsorted lists page by creation order, so a
/// user deleted between pages does not shift the rest (as with Okta's
/// id-based cursors); sorted searches page by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cursor {
    AfterSeq(u64),
    Offset(usize),
}

impl Cursor {
    fn encode(self) -> String {
        match self {
            Cursor::AfterSeq(seq) => format!("c{seq}"),
            Cursor::Offset(offset) => format!("o{offset}"),
        }
    }

    fn decode(text: &str) -> Option<Cursor> {
        if let Some(seq) = text.strip_prefix('c') {
            return seq.parse().ok().map(Cursor::AfterSeq);
        }
        text.strip_prefix('o')
            .and_then(|offset| offset.parse().ok())
            .map(Cursor::Offset)
    }
}

/// The users a list request asks for, before paging.
struct Selection<'a> {
    users: Vec<&'a User>,
    default_limit: usize,
    /// Ordered by `sortBy` rather than by creation.
    sorted: bool,
    /// Whether a cut-off page links to the next one (`q` answers one page
    /// only, as Okta's does).
    paged: bool,
}

fn list_users(store: &Store, call: &Call<'_>) -> Result<Reply, OktaError> {
    let selection = select_users(store.users(), call)?;
    let matching = selection.users;
    let limit = page_limit(call, selection.default_limit)?;
    let start = page_start(call, &matching)?;
    let end = start.saturating_add(limit).min(matching.len());
    let page = &matching[start..end];
    let mut reply = Reply::json(
        200,
        page.iter()
            .map(|user| user.to_list_json(&call.base))
            .collect(),
    );
    reply = reply.header("Link", self_link(call));
    if selection.paged && end < matching.len() {
        let cursor = match page.last() {
            Some(last) if !selection.sorted => Cursor::AfterSeq(last.seq),
            _ => Cursor::Offset(end),
        };
        reply = reply.header("Link", next_link(call, cursor, limit));
    }
    Ok(reply)
}

/// Applies `search` (+ `sortBy`/`sortOrder`), `filter` or `q`; at most one.
fn select_users<'a>(users: &'a [User], call: &Call<'_>) -> Result<Selection<'a>, OktaError> {
    let q = call.param("q");
    let filter = call.param("filter");
    let search = call.param("search");
    if [&q, &filter, &search]
        .iter()
        .filter(|param| param.is_some())
        .count()
        > 1
    {
        return Err(OktaError::conflicting_search());
    }
    let mut selection = Selection {
        users: Vec::new(),
        default_limit: DEFAULT_LIMIT,
        sorted: false,
        paged: true,
    };
    if let Some(text) = search {
        let expression = parse_expression(text, Mode::Search)?;
        selection.users = matching_expression(users, &expression);
        if let Some(sort_by) = call.param("sortBy") {
            sort_users(&mut selection.users, sort_by, call.param("sortOrder"))?;
            selection.sorted = true;
        }
    } else if let Some(text) = filter {
        let expression = parse_expression(text, Mode::Filter)?;
        selection.users = matching_expression(users, &expression);
    } else if let Some(text) = q {
        let prefix = text.to_lowercase();
        let starts_with_prefix = |user: &User, field: &str| {
            user.profile
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|value| value.to_lowercase().starts_with(&prefix))
        };
        selection.users = listed(users)
            .filter(|user| {
                ["firstName", "lastName", "email"]
                    .iter()
                    .any(|field| starts_with_prefix(user, field))
            })
            .collect();
        selection.default_limit = DEFAULT_QUERY_LIMIT;
        selection.paged = false;
    } else {
        selection.users = listed(users).collect();
    }
    Ok(selection)
}

/// `limit`: absent or below 1 -> the default, above 200 -> 200.
fn page_limit(call: &Call<'_>, default_limit: usize) -> Result<usize, OktaError> {
    let Some(text) = call.param("limit") else {
        return Ok(default_limit);
    };
    match text.trim().parse::<i64>() {
        Ok(limit) if limit < 1 => Ok(default_limit),
        Ok(limit) => Ok(usize::try_from(limit).map_or(MAX_LIMIT, |limit| limit.min(MAX_LIMIT))),
        Err(_) => Err(OktaError::validation(
            "limit",
            vec![format!("limit: {text:?} is not a number")],
        )),
    }
}

/// Where `after` says the page starts in `matching`.
fn page_start(call: &Call<'_>, matching: &[&User]) -> Result<usize, OktaError> {
    let Some(text) = call.param("after") else {
        return Ok(0);
    };
    match Cursor::decode(text) {
        Some(Cursor::AfterSeq(seq)) => Ok(matching
            .iter()
            .position(|user| user.seq > seq)
            .unwrap_or(matching.len())),
        Some(Cursor::Offset(offset)) => Ok(offset.min(matching.len())),
        None => Err(OktaError::invalid_search(format!(
            "after: {text:?} is not a cursor this API returned"
        ))),
    }
}

/// Users a plain list or `q` shows: all but DEPROVISIONED.
fn listed(users: &[User]) -> impl Iterator<Item = &User> {
    users
        .iter()
        .filter(|user| user.status != Status::Deprovisioned)
}

fn parse_expression(text: &str, mode: Mode) -> Result<Expression, OktaError> {
    Expression::parse(text, mode).map_err(|error| OktaError::invalid_search(error.to_string()))
}

/// Users of any status matching `expression`.
fn matching_expression<'a>(users: &'a [User], expression: &Expression) -> Vec<&'a User> {
    users
        .iter()
        .filter(|user| expression.matches(&user.to_json(None)))
        .collect()
}

/// `sortBy` (a search attribute) and `sortOrder` (`asc`, the default, or `desc`).
fn sort_users(users: &mut [&User], sort_by: &str, order: Option<&str>) -> Result<(), OktaError> {
    let attribute = Attribute::parse(sort_by, Mode::Search)
        .map_err(|error| OktaError::invalid_search(format!("sortBy: {error}")))?;
    let descending = match order {
        None => false,
        Some(order) if order.eq_ignore_ascii_case("asc") => false,
        Some(order) if order.eq_ignore_ascii_case("desc") => true,
        Some(order) => {
            return Err(OktaError::invalid_search(format!(
                "sortOrder: {order:?} is not asc or desc"
            )));
        }
    };
    let mut keyed: Vec<(Value, &User)> = users
        .iter()
        .map(|user| (user.to_json(None), *user))
        .collect();
    // A stable sort keeps creation order among equal keys.
    keyed.sort_by(|(a, _), (b, _)| {
        let ordering = attribute.compare(a, b);
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    for (slot, (_, user)) in users.iter_mut().zip(keyed) {
        *slot = user;
    }
    Ok(())
}

/// `<the request URL>; rel="self"`.
fn self_link(call: &Call<'_>) -> String {
    let url = &call.request.url;
    match url.query() {
        Some(query) => format!("<{}{}?{query}>; rel=\"self\"", call.base, url.path()),
        None => format!("<{}{}>; rel=\"self\"", call.base, url.path()),
    }
}

/// The request URL with `after` and `limit` replaced; `rel="next"`.
fn next_link(call: &Call<'_>, cursor: Cursor, limit: usize) -> String {
    let mut url = call.request.url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "after" && key != "limit")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("after", &cursor.encode())
        .append_pair("limit", &limit.to_string());
    format!(
        "<{}{}?{}>; rel=\"next\"",
        call.base,
        url.path(),
        url.query().unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssws_tokens_with_or_without_a_space() {
        assert_eq!(presented_token("SSWS t0ken"), Some("t0ken"));
        assert_eq!(presented_token("SSWSt0ken"), Some("t0ken"));
        assert_eq!(presented_token("ssws  t0ken "), Some("t0ken"));
        assert_eq!(presented_token("SSWS"), None);
        assert_eq!(presented_token("SSWS   "), None);
        assert_eq!(presented_token("Bearer t0ken"), None);
        assert_eq!(presented_token("SSW"), None);
        // Not a char boundary at 4: refused, not a panic.
        assert_eq!(presented_token("SSW\u{e9}t0ken"), None);
    }

    #[test]
    fn cursors_round_trip() {
        for cursor in [Cursor::AfterSeq(0), Cursor::AfterSeq(42), Cursor::Offset(7)] {
            assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        }
        assert_eq!(Cursor::decode("00uabc"), None);
        assert_eq!(Cursor::decode("c"), None);
    }
}
