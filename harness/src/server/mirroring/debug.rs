//! The server's hidden mirroring debug commands.

use serde_json::{json, Value};

use super::{run_job, Status};
use crate::runtime::RuntimeError;
use crate::scenario::{DebugCommand, Direction};
use crate::server::run::{CommandRecord, Driver};
use crate::server::Server;
use mock_vendors::format_iso_millis;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whether the server keeps a sync record for the incident: it mirrors, and was not purged.
fn is_record(mirror: &super::MirrorState, incident: &super::Incident) -> bool {
    incident.mirror.id.is_some()
        && incident.mirror.direction != Direction::None
        && !mirror.purged.contains(&incident.id)
}

/// Why a debug command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DebugError {
    /// The command was called wrongly, as the server would answer in the war room.
    #[error("{0}")]
    Usage(String),
    /// An integration run could not start.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Runs a debug command: its result, and the integration runs it caused.
pub(crate) async fn run(
    server: &mut Server,
    driver: &mut dyn Driver,
    command: DebugCommand,
    args: &serde_json::Map<String, Value>,
) -> Result<(Value, Vec<CommandRecord>), DebugError> {
    let arg = |name: &str| args.get(name).map(crate::text::text);
    match command {
        DebugCommand::GetMirrorStatistics => Ok((statistics(server), Vec::new())),
        DebugCommand::GetSyncMirrorRecords => Ok((records(server), Vec::new())),
        DebugCommand::PurgeClosedSyncMirrorRecords => {
            let instance = arg("dbotMirrorInstance").ok_or_else(|| {
                DebugError::Usage(
                    "purgeClosedSyncMirrorRecords needs dbotMirrorInstance".to_owned(),
                )
            })?;
            let days = match arg("olderThan") {
                None => 0,
                Some(text) => text.trim().parse::<i64>().map_err(|_| {
                    DebugError::Usage(format!("olderThan must be a number of days, got `{text}`"))
                })?,
            };
            let cutoff = server.now() - days.saturating_mul(DAY_MS);
            let mirror = &mut server.mirror;
            let purge: Vec<u64> = mirror
                .incidents
                .iter()
                .filter(|i| {
                    i.mirror.instance.as_deref() == Some(instance.as_str())
                        && i.status == Status::Done
                        && i.closed.is_some_and(|at| at <= cutoff)
                        && !mirror.purged.contains(&i.id)
                })
                .map(|i| i.id)
                .collect();
            mirror.purged.extend(purge.iter().copied());
            Ok((json!({"purged": purge}), Vec::new()))
        }
        DebugCommand::TriggerDebugMirroringRun => {
            let id = arg("incidentId")
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    DebugError::Usage(
                        "triggerDebugMirroringRun needs a numeric incidentId".to_owned(),
                    )
                })?;
            if server.mirror.incident(id).is_none() {
                return Err(DebugError::Usage(format!("there is no incident {id}")));
            }
            let records = run_job(server, driver, Some(id), true).await?;
            let mut log = vec![format!(
                "debug mirroring run for incident {id} at {}",
                server.now_iso()
            )];
            for record in &records {
                log.push(format!("ran {}", record.command));
                log.extend(
                    record
                        .run
                        .logs
                        .iter()
                        .map(|l| format!("  [{}] {}", l.level, l.message)),
                );
            }
            Ok((json!({"incidentId": id, "log": log}), records))
        }
    }
}

fn statistics(server: &Server) -> Value {
    let mirror = &server.mirror;
    let live: Vec<_> = mirror
        .incidents
        .iter()
        .filter(|i| is_record(mirror, i))
        .collect();
    let closed = live.iter().filter(|i| i.status == Status::Done);
    json!({
        "totalMirrored": live.len(),
        "rateLimited": mirror.rate_limited,
        "lastRun": mirror.last_run.map(format_iso_millis),
        "closedRecords": closed.clone().count(),
        "closedRateLimitedRecords": closed.filter(|i| mirror.rate_limited_incidents.contains(&i.id)).count(),
    })
}

fn records(server: &Server) -> Value {
    let mirror = &server.mirror;
    let records: Vec<Value> = mirror
        .incidents
        .iter()
        .filter(|i| is_record(mirror, i))
        .map(|i| {
            json!({
                "incidentId": i.id,
                "dbotMirrorId": i.mirror.id,
                "dbotMirrorInstance": i.mirror.instance,
                "dbotMirrorDirection": i.mirror.direction.as_str(),
                "lastSync": i.mirror.last_sync.map(format_iso_millis),
                "closed": i.status == Status::Done,
                "closedAt": i.closed.map(format_iso_millis),
                "rateLimited": mirror.rate_limited_incidents.contains(&i.id),
            })
        })
        .collect();
    Value::Array(records)
}
