//! List requests, for tables and attachments alike: the encoded query,
//! name-value filters, `ORDERBY`, `sysparm_offset`/`sysparm_limit`, and
//! the `X-Total-Count` and `Link` headers.

use serde_json::{Value, json};

use super::query::{Query, ValueKind};
use super::schema::{FieldKind, Table};
use super::store::{Record, Store};
use crate::kit::call::Call;
use crate::kit::reply::Reply;

/// Records per page when `sysparm_limit` is absent or unusable.
pub(crate) const DEFAULT_LIMIT: usize = 10_000;

/// The matching records of `table`, one page of them rendered by `render`.
pub(crate) fn list(
    store: &Store,
    table: Table,
    call: &Call<'_>,
    render: &dyn Fn(&Record) -> Value,
) -> Reply {
    let kind_of = |path: &str| store.field_kind(table, path).map(value_kind);
    let mut query = Query::parse(call.param("sysparm_query").unwrap_or_default(), &kind_of);
    // `GET /table/incident?number=INC0010001` filters like `number=…`.
    for (name, value) in &call.params {
        if let Some(kind) = filter_kind(store, table, name) {
            query.and_equals(name, value, kind);
        }
    }
    let value_of = |record: &Record, path: &str| store.field_value(table, record, path);
    let mut matching: Vec<&Record> = store
        .records(table)
        .iter()
        .filter(|record| query.matches(&|path| value_of(record, path)))
        .collect();
    query.sort(&mut matching, &|record, path| value_of(record, path));

    let total = matching.len();
    let offset = number_param(call, "sysparm_offset").unwrap_or(0);
    let limit = number_param(call, "sysparm_limit")
        .filter(|&limit| limit > 0)
        .unwrap_or(DEFAULT_LIMIT);
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|record| render(record))
        .collect();
    let mut reply =
        Reply::json(200, json!({ "result": page })).header("X-Total-Count", total.to_string());
    let links = links(call, offset, limit, total)
        .filter(|_| !call.flag("sysparm_suppress_pagination_header"));
    if let Some(links) = links {
        reply = reply.header("Link", links);
    }
    reply
}

/// A name-value filter parameter: not a `sysparm_*` one, naming a column.
fn filter_kind(store: &Store, table: Table, name: &str) -> Option<ValueKind> {
    if name.starts_with("sysparm_") {
        return None;
    }
    store.field_kind(table, name).map(value_kind)
}

/// How a column compares in queries.
pub(crate) fn value_kind(kind: FieldKind) -> ValueKind {
    match kind {
        FieldKind::Integer | FieldKind::Choice(_) => ValueKind::Number,
        FieldKind::DateTime => ValueKind::DateTime,
        FieldKind::Text | FieldKind::Boolean | FieldKind::Reference(_) | FieldKind::Journal => {
            ValueKind::Text
        }
    }
}

/// A non-negative whole-number parameter; anything else counts as absent.
fn number_param(call: &Call<'_>, name: &str) -> Option<usize> {
    call.param(name)?.trim().parse().ok()
}

/// `<…>;rel="first",<…>;rel="prev",<…>;rel="next",<…>;rel="last"`, or
/// `None` when everything fits on one page.
fn links(call: &Call<'_>, offset: usize, limit: usize, total: usize) -> Option<String> {
    if offset == 0 && total <= limit {
        return None;
    }
    let last = total.saturating_sub(1) / limit * limit;
    let mut links = vec![(0, "first")];
    if offset > 0 {
        links.push((offset.saturating_sub(limit), "prev"));
    }
    if offset.saturating_add(limit) < total {
        links.push((offset + limit, "next"));
    }
    links.push((last, "last"));
    let rendered: Vec<String> = links
        .into_iter()
        .map(|(offset, rel)| format!("<{}>;rel=\"{rel}\"", page_url(call, offset, limit)))
        .collect();
    Some(rendered.join(","))
}

/// The request URL with `sysparm_offset` and `sysparm_limit` replaced.
fn page_url(call: &Call<'_>, offset: usize, limit: usize) -> String {
    let mut url = call.request.url.clone();
    let kept: Vec<(String, String)> = call
        .params
        .iter()
        .filter(|(name, _)| name != "sysparm_offset" && name != "sysparm_limit")
        .cloned()
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("sysparm_offset", &offset.to_string())
        .append_pair("sysparm_limit", &limit.to_string());
    format!(
        "{}{}?{}",
        call.base,
        url.path(),
        url.query().unwrap_or_default()
    )
}
