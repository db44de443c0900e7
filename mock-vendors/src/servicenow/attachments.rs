//! The Attachment API under `/api/now/attachment` (and `/api/now/v1/…`):
//!
//! | route | answer |
//! |---|---|
//! | `GET /attachment?sysparm_query=…` | 200, metadata list (queries as for tables) |
//! | `GET /attachment/{sys_id}` | 200 metadata, 404 |
//! | `GET /attachment/{sys_id}/file` | 200, the bytes, `Content-Type`, `X-Attachment-Metadata` |
//! | `POST /attachment/file?table_name=&table_sys_id=&file_name=` | 201 + `Location`, raw body |
//! | `POST /attachment/upload` | 201, `multipart/form-data` |
//! | `DELETE /attachment/{sys_id}` | 204, 404 |
//!
//! Metadata: `{sys_id, file_name, table_name, table_sys_id, content_type,
//! size_bytes, size_compressed, compressed, download_link, sys_*}`.

use serde_json::{Map, Value};

use super::display;
use super::errors::ServiceNowError;
use super::listing;
use super::schema::Table;
use super::store::{Actor, NewAttachment, Record, Store};
use crate::kit::call::Call;
use crate::kit::multipart::{self, Part};
use crate::kit::reply::Reply;

/// The content type of a file whose type is unknown.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Content types by file extension, for uploads that name none or send
/// the wildcard `*/*` (as Python clients do for unknown types).
const CONTENT_TYPES: [(&str, &str); 13] = [
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("csv", "text/csv"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("eml", "message/rfc822"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
];

/// An attachment's metadata as the API shows it; `base` adds
/// `download_link` (dumps leave it out).
pub(crate) fn metadata_json(record: &Record, base: Option<&str>) -> Value {
    let mut metadata: Map<String, Value> = record
        .fields
        .iter()
        .map(|(field, value)| (field.clone(), Value::String(value.clone())))
        .collect();
    if let Some(base) = base {
        let link = format!("{base}/api/now/attachment/{}/file", record.sys_id());
        metadata.insert("download_link".to_owned(), Value::String(link));
    }
    Value::Object(metadata)
}

/// `GET /attachment`.
pub(crate) fn list(store: &Store, call: &Call<'_>) -> Reply {
    listing::list(store, Table::SysAttachment, call, &|record| {
        metadata_json(record, Some(&call.base))
    })
}

fn find<'a>(store: &'a Store, sys_id: &str) -> Result<&'a Record, ServiceNowError> {
    store
        .get(Table::SysAttachment, sys_id)
        .ok_or(ServiceNowError::NoRecord)
}

/// `GET /attachment/{sys_id}`.
pub(crate) fn metadata(
    store: &Store,
    call: &Call<'_>,
    sys_id: &str,
) -> Result<Reply, ServiceNowError> {
    let record = find(store, sys_id)?;
    Ok(display::result(
        200,
        metadata_json(record, Some(&call.base)),
    ))
}

/// `GET /attachment/{sys_id}/file`.
pub(crate) fn download(
    store: &Store,
    call: &Call<'_>,
    sys_id: &str,
) -> Result<Reply, ServiceNowError> {
    let record = find(store, sys_id)?;
    let bytes = store.file(sys_id).unwrap_or_default().to_vec();
    let metadata = metadata_json(record, Some(&call.base)).to_string();
    Ok(Reply::bytes(bytes, record.get("content_type").to_owned())
        .header("X-Attachment-Metadata", metadata))
}

/// `DELETE /attachment/{sys_id}`.
pub(crate) fn delete(store: &mut Store, sys_id: &str) -> Result<Reply, ServiceNowError> {
    store.delete_attachment(sys_id)?;
    Ok(Reply::empty(204))
}

/// `POST /attachment/file?table_name=&table_sys_id=&file_name=`, the
/// request body being the file.
pub(crate) fn upload_raw(
    store: &mut Store,
    call: &Call<'_>,
    actor: Actor<'_>,
) -> Result<Reply, ServiceNowError> {
    let required = |name: &'static str| {
        call.param(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or(ServiceNowError::MissingParameter(name))
    };
    let table_name = required("table_name")?;
    let table_sys_id = required("table_sys_id")?;
    let file_name = required("file_name")?;
    let content_type = call
        .header("content-type")
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            ServiceNowError::InvalidRequest("A Content-Type header is required".to_owned())
        })?;
    let new = NewAttachment {
        sys_id: None,
        table: parent_table(store, table_name, table_sys_id)?,
        table_sys_id: table_sys_id.to_owned(),
        file_name: file_name.to_owned(),
        content_type: content_type_for(Some(content_type), file_name),
        bytes: call.body().to_vec(),
    };
    created(store, call, new, actor)
}

/// `POST /attachment/upload`: a form with `table_name`, `table_sys_id` (or
/// `record_sys_id`), an optional `file_name`, and the file part (the last
/// part with a filename, else the part named `file`).
pub(crate) fn upload_multipart(
    store: &mut Store,
    call: &Call<'_>,
    actor: Actor<'_>,
) -> Result<Reply, ServiceNowError> {
    let invalid = |error: multipart::MultipartError| {
        ServiceNowError::InvalidRequest(format!("Failed to read the multipart form: {error}"))
    };
    let boundary =
        multipart::boundary(call.header("content-type").unwrap_or_default()).map_err(invalid)?;
    let parts = multipart::parse(call.body(), &boundary).map_err(invalid)?;
    let field = |name: &str| {
        parts
            .iter()
            .filter(|part| part.filename.is_none())
            .find(|part| part.name == name)
            .map(Part::text)
            .filter(|text| !text.is_empty())
    };
    let table_name = field("table_name").ok_or(ServiceNowError::MissingParameter("table_name"))?;
    let table_sys_id = field("table_sys_id")
        .or_else(|| field("record_sys_id"))
        .ok_or(ServiceNowError::MissingParameter("table_sys_id"))?;
    let file = parts
        .iter()
        .rev()
        .find(|part| part.filename.is_some())
        .or_else(|| parts.iter().rev().find(|part| part.name == "file"))
        .ok_or(ServiceNowError::MissingParameter("file"))?;
    let file_name = field("file_name")
        .or_else(|| file.filename.clone().filter(|name| !name.is_empty()))
        .unwrap_or_else(|| file.name.clone());
    let content_type = content_type_for(file.content_type.as_deref(), &file_name);
    let new = NewAttachment {
        sys_id: None,
        table: parent_table(store, &table_name, &table_sys_id)?,
        table_sys_id,
        file_name,
        content_type,
        bytes: file.body.clone(),
    };
    created(store, call, new, actor)
}

/// The type a client named, unless it named none or the wildcard; then
/// the type the file name's extension suggests.
fn content_type_for(given: Option<&str>, file_name: &str) -> String {
    let given = given
        .map(str::trim)
        .filter(|given| !given.is_empty() && *given != "*/*");
    if let Some(given) = given {
        return given.to_owned();
    }
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase());
    CONTENT_TYPES
        .iter()
        .find(|(known, _)| Some(*known) == extension.as_deref())
        .map_or(DEFAULT_CONTENT_TYPE, |(_, content_type)| content_type)
        .to_owned()
}

/// The table of the record a file is attached to: 400 for an unknown
/// table, 404 for an unknown record.
fn parent_table(store: &Store, table_name: &str, sys_id: &str) -> Result<Table, ServiceNowError> {
    let table = Table::from_api_name(table_name)
        .ok_or_else(|| ServiceNowError::InvalidTable(table_name.to_owned()))?;
    store
        .get(table, sys_id)
        .map(|_| table)
        .ok_or(ServiceNowError::NoRecord)
}

fn created(
    store: &mut Store,
    call: &Call<'_>,
    new: NewAttachment,
    actor: Actor<'_>,
) -> Result<Reply, ServiceNowError> {
    let sys_id = store.add_attachment(new, actor);
    let record = find(store, &sys_id)?;
    let location = format!("{}/api/now/attachment/{sys_id}", call.base);
    Ok(display::result(201, metadata_json(record, Some(&call.base))).header("Location", location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type_for(Some("image/gif"), "a.txt"), "image/gif");
        assert_eq!(
            content_type_for(Some("*/*"), "report.PDF"),
            "application/pdf"
        );
        assert_eq!(content_type_for(None, "notes.txt"), "text/plain");
        assert_eq!(content_type_for(Some(" "), "blob"), DEFAULT_CONTENT_TYPE);
        assert_eq!(
            content_type_for(None, "archive.tar.gz"),
            DEFAULT_CONTENT_TYPE
        );
    }
}
