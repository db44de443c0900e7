//! The war-room routes: reading an investigation's entries, downloading a
//! file entry, and writing text, notes and files.

use serde_json::{Map, Value, json};

use super::body::{body_object, count, instant};
use super::errors::XsoarError;
use super::investigation::{Entry, EntryFilter, Format, NewEntry, StoredFile};
use super::store::Store;
use crate::kit::call::Call;
use crate::kit::multipart;
use crate::kit::reply::Reply;

/// Entries per read when `pageSize` is absent or 0.
const DEFAULT_PAGE_SIZE: usize = 100;

/// `POST /investigation/{id}` `{pageSize, fromTime, categories, tags,
/// tagsAndOperator}` -> `{"entries": [...], "total"}`: the matching
/// entries created strictly after `fromTime`, oldest first, the first
/// `pageSize` of `total`. The filter is kept for checks.
pub(super) fn read(store: &mut Store, id: &str, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = if call.body().iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        body_object(call)?
    };
    let page_size = match count(&body, "pageSize", 0, "")? {
        None | Some(0) => DEFAULT_PAGE_SIZE,
        Some(size) => usize::try_from(size).unwrap_or(usize::MAX),
    };
    let from = instant(&body, "fromTime", "")?;
    let filter = EntryFilter {
        categories: texts(&body, "categories")?,
        tags: texts(&body, "tags")?,
        all_tags: match body.get("tagsAndOperator") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => true,
            Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => false,
            Some(_) => {
                return Err(XsoarError::BadRequest(
                    "tagsAndOperator: expected true or false".to_owned(),
                ));
            }
        },
    };
    let investigation = store
        .investigation(id)
        .ok_or_else(|| XsoarError::NoInvestigation(id.to_owned()))?;
    let mut matching: Vec<&Entry> = investigation
        .entries
        .iter()
        .filter(|entry| from.is_none_or(|from| entry.created > from))
        .filter(|entry| filter.matches(entry))
        .collect();
    // Oldest first, whatever order seeds and actions wrote them in.
    matching.sort_by_key(|entry| (entry.created, entry.number));
    let matching: Vec<Value> = matching.into_iter().map(Entry::to_json).collect();
    investigation.last_filter = Some(filter);
    let total = matching.len();
    let entries: Vec<Value> = matching.into_iter().take(page_size).collect();
    Ok(Reply::json(
        200,
        json!({"entries": entries, "total": total}),
    ))
}

/// A list of strings (absent or `null` is empty).
fn texts(body: &Map<String, Value>, field: &str) -> Result<Vec<String>, XsoarError> {
    let wrong = || XsoarError::BadRequest(format!("{field}: expected a list of strings"));
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect(),
        Some(_) => Err(wrong()),
    }
}

/// `GET /entry/download/{entryId}`: the file's bytes.
pub(super) fn download(store: &Store, id: &str) -> Result<Reply, XsoarError> {
    let file = store
        .entry(id)
        .and_then(|entry| entry.new.file.as_ref())
        .ok_or_else(|| XsoarError::NoFileEntry(id.to_owned()))?;
    Ok(
        Reply::bytes(file.bytes.clone(), file.content_type.clone()).header(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file.name.replace('"', "")),
        ),
    )
}

/// The text of a required string field.
fn required_text(body: &Map<String, Value>, field: &str) -> Result<String, XsoarError> {
    match body.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        _ => Err(XsoarError::BadRequest(format!("{field}: required"))),
    }
}

/// Writes an entry by the API key's user and answers it.
fn write(
    store: &mut Store,
    investigation: &str,
    new: NewEntry,
    now: i64,
) -> Result<Reply, XsoarError> {
    let entry = store.add_entry(investigation, new, now)?;
    Ok(Reply::json(200, entry.to_json()))
}

/// `POST /entry/formatted` `{investigationId, contents, format, tags?}`.
pub(super) fn formatted(store: &mut Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let investigation = required_text(&body, "investigationId")?;
    let format = match body.get("format") {
        None | Some(Value::Null) => Ok(Format::Text),
        Some(Value::String(name)) => Format::named(Some(name)),
        Some(_) => Err(Format::EXPECTED),
    }
    .map_err(|expected| XsoarError::BadRequest(format!("format: {expected}")))?;
    let contents = match body.get("contents") {
        Some(Value::String(text)) => text.clone(),
        // A JSON entry may send its contents as JSON.
        Some(value) if format == Format::Json && !value.is_null() => value.to_string(),
        _ => return Err(XsoarError::BadRequest("contents: required".to_owned())),
    };
    let new = NewEntry {
        contents,
        format,
        note: false,
        tags: texts(&body, "tags")?,
        file: None,
        user: store.api_user().username,
    };
    write(store, &investigation, new, call.now)
}

/// `POST /entry/note` `{investigationId, data, markdown, tags?}`.
pub(super) fn note(store: &mut Store, call: &Call<'_>) -> Result<Reply, XsoarError> {
    let body = body_object(call)?;
    let investigation = required_text(&body, "investigationId")?;
    let data = match body.get("data") {
        Some(Value::String(text)) => text.clone(),
        _ => return Err(XsoarError::BadRequest("data: required".to_owned())),
    };
    let markdown = body.get("markdown").and_then(Value::as_bool) == Some(true);
    let new = NewEntry {
        contents: data,
        format: if markdown {
            Format::Markdown
        } else {
            Format::Text
        },
        note: true,
        tags: texts(&body, "tags")?,
        file: None,
        user: store.api_user().username,
    };
    write(store, &investigation, new, call.now)
}

/// `POST /entry/upload/{investigationId}`, multipart: the `file` part
/// (its filename and bytes), optional `fileComment` and `tags`
/// (comma-separated).
pub(super) fn upload(
    store: &mut Store,
    investigation: &str,
    call: &Call<'_>,
) -> Result<Reply, XsoarError> {
    let invalid = |error: multipart::MultipartError| {
        XsoarError::BadRequest(format!("the upload is not a readable form: {error}"))
    };
    let boundary =
        multipart::boundary(call.header("content-type").unwrap_or_default()).map_err(invalid)?;
    let parts = multipart::parse(call.body(), &boundary).map_err(invalid)?;
    let field = |name: &str| parts.iter().find(|part| part.name == name);
    let file = field("file")
        .ok_or_else(|| XsoarError::BadRequest("the form has no `file` part".to_owned()))?;
    let name = file
        .filename
        .clone()
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| XsoarError::BadRequest("the `file` part has no filename".to_owned()))?;
    let tags = field("tags").map_or_else(Vec::new, |part| {
        part.text()
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let new = NewEntry {
        contents: field("fileComment").map_or_else(String::new, multipart::Part::text),
        format: Format::Text,
        note: false,
        tags,
        file: Some(StoredFile {
            name,
            content_type: file
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            bytes: file.body.clone(),
        }),
        user: store.api_user().username,
    };
    write(store, investigation, new, call.now)
}
