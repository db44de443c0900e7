//! Reading the remote side of an incident back, for a settled check: get-remote-data run as
//! the job runs it, but asking for everything since the epoch, its object mapped through the
//! incoming mapper and applied to nothing. What the integration keeps between runs (its
//! integration context, last runs) is put back afterwards, so that reading changes nothing
//! the job does next.

use serde_json::{json, Map, Value};

use super::apply;
use crate::entries::entry_contents;
use crate::integration::ServerCommand;
use crate::runtime::{RunEnd, RuntimeError};
use crate::server::run::{Call, CommandRecord, Driver};
use crate::server::Server;
use mock_vendors::format_iso_millis;

/// One read-back: the run, and the remote object as the incoming mapper makes it (`None` when
/// the run failed or answered no object).
pub(crate) struct ReadBack {
    pub(crate) record: CommandRecord,
    pub(crate) fields: Option<Map<String, Value>>,
}

/// Reads incident `id`'s remote record back; `None` for an incident without a remote id.
pub(crate) async fn read_back(
    server: &mut Server,
    driver: &mut dyn Driver,
    id: u64,
) -> Result<Option<ReadBack>, RuntimeError> {
    let Some((remote_id, kind)) = server
        .mirror
        .incident(id)
        .and_then(|i| Some((i.mirror.id.clone()?, i.kind.clone())))
    else {
        return Ok(None);
    };
    let kept = (
        server.integration_context.clone(),
        server.integration_context_version,
        server.last_run.clone(),
        server.last_mirror_run.clone(),
    );
    let args = Map::from_iter([
        ("id".to_owned(), json!(remote_id)),
        ("lastUpdate".to_owned(), json!(format_iso_millis(0))),
    ]);
    let call = Call::new(ServerCommand::GetRemoteData.name())
        .args(args)
        .server_invoked();
    let record = server.run(driver, call).await?;
    (
        server.integration_context,
        server.integration_context_version,
        server.last_run,
        server.last_mirror_run,
    ) = kept;
    let answered = record.run.end == RunEnd::Completed && record.error_text().is_none();
    let fields = match record.run.entries.first().map(entry_contents) {
        Some(source @ Value::Object(_)) if answered && source != json!({}) => {
            let now = server.now();
            Some(apply::incoming_map(server, &source, &kind, id, now).await)
        }
        _ => None,
    };
    Ok(Some(ReadBack { record, fields }))
}

/// Whether incident `id` maps out alike with `field` set to `value`: a difference the
/// outgoing mapper does not carry to the remote (XSOAR's 4 Critical and 3 High both map to
/// ServiceNow's 1 High, which maps back to 3).
pub(crate) async fn alike_mapped_out(
    server: &mut Server,
    id: u64,
    field: &str,
    value: &Value,
) -> bool {
    let Some(incident) = server.mirror.incident(id).cloned() else {
        return false;
    };
    let mut other = incident.clone();
    let change = Map::from_iter([(field.to_owned(), value.clone())]);
    apply::apply_fields(&mut other, &change);
    let now = server.now();
    apply::outgoing_data(server, &incident, now).await
        == apply::outgoing_data(server, &other, now).await
}
