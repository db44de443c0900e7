//! Incidents and their war rooms, as the server keeps them.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use crate::entries::EntryType;
use crate::scenario::Direction;

/// `IncidentStatus` (the server's 0, pending, is never the state of an incident here: fetched
/// and created incidents start active).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 1.
    Active,
    /// 2.
    Done,
}

impl Status {
    /// The number integrations compare with `IncidentStatus`.
    pub(crate) fn code(self) -> i64 {
        match self {
            Self::Active => 1,
            Self::Done => 2,
        }
    }
}

/// Who wrote a war-room entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// An analyst, in XSOAR.
    Local,
    /// get-remote-data, from the remote system.
    Mirrored,
    /// The server itself (close, reopen).
    Server,
}

/// One war-room entry.
#[derive(Debug, Clone)]
pub(crate) struct WarRoomEntry {
    /// `<n>@<incident id>`.
    pub id: String,
    /// The entry Type (1 note, 3 file, 4 error, ...).
    pub kind: EntryType,
    /// The Contents.
    pub contents: Value,
    /// The ContentsFormat.
    pub format: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Marked as a note.
    pub note: bool,
    /// Who wrote it.
    pub origin: Origin,
    /// For file entries: the file name.
    pub file: Option<String>,
    /// Tagged for mirroring out when it was written.
    pub queued: bool,
}

impl WarRoomEntry {
    /// The text a check compares: the Contents as a string.
    pub(crate) fn text(&self) -> String {
        crate::text::text(&self.contents)
    }
}

/// The mirroring fields of an incident (`dbot*`).
#[derive(Debug, Clone, Default)]
pub(crate) struct MirrorFields {
    /// `dbotMirrorId`.
    pub id: Option<String>,
    /// `dbotMirrorInstance`.
    pub instance: Option<String>,
    /// `dbotMirrorDirection`.
    pub direction: Direction,
    /// `dbotMirrorTags`.
    pub tags: Vec<String>,
    /// `dbotDirtyFields`: fields changed locally, for the incident's life.
    pub dirty: BTreeSet<String>,
    /// `dbotCurrentDirtyFields`: fields changed locally since the last push.
    pub current_dirty: BTreeSet<String>,
    /// `dbotMirrorLastSync`, epoch ms.
    pub last_sync: Option<i64>,
}

/// How the server chose a fetched incident's type and incoming mapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classified {
    /// The classifier, when the instance has one.
    pub classifier: Option<String>,
    /// The value the classifier looked up in its `keyTypeMap`.
    pub key: Option<String>,
    /// Where the type came from: `keyTypeMap`, `the classifier's default`, `the incidentType
    /// param`, `the incident's type` or `no classification`.
    pub type_from: &'static str,
    /// The incoming mapper that mapped it.
    pub mapper: Option<String>,
}

/// An incident.
#[derive(Debug, Clone)]
pub(crate) struct Incident {
    /// The local id, from 1.
    pub(in crate::server) id: u64,
    /// The incident name.
    pub(in crate::server) name: String,
    /// The incident type.
    pub(in crate::server) kind: String,
    /// The status.
    pub(in crate::server) status: Status,
    /// Every other field, by XSOAR name (`severity`, `details`, `closeReason`, custom fields).
    pub(in crate::server) fields: Map<String, Value>,
    /// The mirroring fields.
    pub(in crate::server) mirror: MirrorFields,
    /// The war room.
    pub(in crate::server) entries: Vec<WarRoomEntry>,
    /// When it was created, epoch ms.
    pub(in crate::server) created: i64,
    /// When it was closed, epoch ms.
    pub(in crate::server) closed: Option<i64>,
    /// Entries queued for the next update-remote-system (indexes into `entries`).
    pub(in crate::server) pending_entries: Vec<usize>,
    /// A local close or reopen not pushed yet.
    pub(in crate::server) status_changed: bool,
    /// Entries (indexes into `entries`) a failed push carried while a write of it was answered
    /// late: the server sent them again, so the remote may hold them more than once.
    pub(in crate::server) resent: BTreeSet<usize>,
    /// How a fetched incident was classified and mapped.
    pub(in crate::server) classified: Option<Classified>,
}

impl Incident {
    /// A new active incident.
    /// The id (incidents are numbered from 1 in creation order).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The incident type.
    pub(crate) fn kind(&self) -> &str {
        &self.kind
    }

    /// When it was created, epoch milliseconds.
    pub(crate) fn created(&self) -> i64 {
        self.created
    }

    /// Whether it is closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.status == Status::Done
    }

    /// Its mirroring state.
    pub(crate) fn mirror(&self) -> &MirrorFields {
        &self.mirror
    }

    /// Its war room, in order.
    pub(crate) fn entries(&self) -> &[WarRoomEntry] {
        &self.entries
    }

    /// Whether the war-room entry at `index` still waits to be pushed.
    pub(crate) fn is_pending(&self, index: usize) -> bool {
        self.pending_entries.contains(&index)
    }

    /// Whether the entry at `index` went out again after a push whose write was answered late.
    pub(crate) fn was_resent(&self, index: usize) -> bool {
        self.resent.contains(&index)
    }

    pub(crate) fn new(id: u64, name: String, kind: String, now: i64) -> Self {
        Self {
            id,
            name,
            kind,
            status: Status::Active,
            fields: Map::new(),
            mirror: MirrorFields::default(),
            entries: Vec::new(),
            created: now,
            closed: None,
            pending_entries: Vec::new(),
            status_changed: false,
            resent: BTreeSet::new(),
            classified: None,
        }
    }

    /// Adds an entry; returns its index.
    pub(crate) fn add_entry(&mut self, mut entry: WarRoomEntry) -> usize {
        entry.id = format!("{}@{}", self.entries.len() + 1, self.id);
        self.entries.push(entry);
        self.entries.len() - 1
    }

    /// Whether there is something to push out.
    pub(crate) fn has_outgoing_changes(&self) -> bool {
        !self.mirror.current_dirty.is_empty()
            || !self.pending_entries.is_empty()
            || self.status_changed
            || self.mirror.id.is_none()
    }

    /// The incident as integrations see it (`data` of update-remote-system, mapper source).
    pub(crate) fn as_object(&self) -> Value {
        let mut object = self.fields.clone();
        object.insert("id".into(), json!(self.id.to_string()));
        object.insert("name".into(), json!(self.name));
        object.insert("type".into(), json!(self.kind));
        object.insert("status".into(), json!(self.status.code()));
        let mirror = &self.mirror;
        object.insert(
            "dbotMirrorId".into(),
            json!(mirror.id.clone().unwrap_or_default()),
        );
        object.insert(
            "dbotMirrorInstance".into(),
            json!(mirror.instance.clone().unwrap_or_default()),
        );
        object.insert(
            "dbotMirrorDirection".into(),
            json!(mirror.direction.as_str()),
        );
        object.insert("dbotMirrorTags".into(), json!(mirror.tags));
        Value::Object(object)
    }

    /// The incident for snapshots and checks: fields, mirroring fields, war room.
    pub(crate) fn view(&self, format_time: impl Fn(i64) -> String) -> Value {
        let mut view = Map::new();
        view.insert("id".into(), json!(self.id));
        view.insert("name".into(), json!(self.name));
        view.insert("type".into(), json!(self.kind));
        if let Some(classified) = &self.classified {
            let mut record = Map::new();
            if let Some(classifier) = &classified.classifier {
                record.insert("classifier".into(), json!(classifier));
            }
            if let Some(key) = &classified.key {
                record.insert("key".into(), json!(key));
            }
            record.insert("type_from".into(), json!(classified.type_from));
            record.insert("mapper".into(), json!(classified.mapper));
            view.insert("classified".into(), Value::Object(record));
        }
        view.insert(
            "status".into(),
            json!(match self.status {
                Status::Active => "active",
                Status::Done => "closed",
            }),
        );
        view.insert("fields".into(), Value::Object(self.fields.clone()));
        let mirror = &self.mirror;
        view.insert("dbotMirrorId".into(), json!(mirror.id));
        view.insert("dbotMirrorInstance".into(), json!(mirror.instance));
        view.insert(
            "dbotMirrorDirection".into(),
            json!(mirror.direction.as_str()),
        );
        view.insert("dbotMirrorTags".into(), json!(mirror.tags));
        view.insert("dbotDirtyFields".into(), json!(mirror.dirty));
        view.insert("dbotCurrentDirtyFields".into(), json!(mirror.current_dirty));
        view.insert(
            "dbotMirrorLastSync".into(),
            json!(mirror.last_sync.map(&format_time)),
        );
        let entries: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut entry = Map::new();
                entry.insert("id".into(), json!(e.id));
                entry.insert(
                    "by".into(),
                    json!(match e.origin {
                        Origin::Local => "analyst",
                        Origin::Mirrored => "mirror",
                        Origin::Server => "server",
                    }),
                );
                entry.insert("type".into(), json!(e.kind.code()));
                entry.insert("contents".into(), e.contents.clone());
                if !e.tags.is_empty() {
                    entry.insert("tags".into(), json!(e.tags));
                }
                if e.note {
                    entry.insert("note".into(), json!(true));
                }
                if let Some(file) = &e.file {
                    entry.insert("file".into(), json!(file));
                }
                Value::Object(entry)
            })
            .collect();
        view.insert("entries".into(), Value::Array(entries));
        Value::Object(view)
    }
}
