//! An incident's investigation on the remote server: its war-room
//! entries (text, notes, files), and the filter `POST /investigation/{id}`
//! reads them with.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::clock::format_iso_millis;

/// How an entry's text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    Markdown,
    Json,
}

impl Format {
    /// What a format is expected to be, for errors.
    pub(crate) const EXPECTED: &'static str = "expected text, markdown or json";

    /// The format a field names, text when it names none.
    ///
    /// # Errors
    ///
    /// [`Format::EXPECTED`] for another name.
    pub(crate) fn named(text: Option<&str>) -> Result<Format, &'static str> {
        text.map_or(Ok(Format::Text), |text| {
            Format::parse(text).ok_or(Format::EXPECTED)
        })
    }

    /// `text`, `markdown` or `json` (ASCII case ignored).
    fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(Format::Text),
            "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }
}

/// A file an entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredFile {
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) bytes: Vec<u8>,
}

/// What a new entry says; the store numbers and stamps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewEntry {
    pub(crate) contents: String,
    pub(crate) format: Format,
    /// Marked as a note (category `notes`).
    pub(crate) note: bool,
    pub(crate) tags: Vec<String>,
    /// A file entry (category `attachments`) when present.
    pub(crate) file: Option<StoredFile>,
    pub(crate) user: String,
}

impl NewEntry {
    /// An entry as a seed or a person writes it: its format by name (text by default) and
    /// its file as written.
    ///
    /// # Errors
    ///
    /// The field that is wrong (`format`, `file.name`) and why.
    pub(crate) fn written(
        contents: String,
        format: Option<&str>,
        note: bool,
        tags: Vec<String>,
        file: Option<FileSpec>,
        user: String,
    ) -> Result<NewEntry, (&'static str, String)> {
        let format = Format::named(format).map_err(|expected| ("format", expected.to_owned()))?;
        let file = file
            .map(FileSpec::stored)
            .transpose()
            .map_err(|reason| ("file.name", reason))?;
        Ok(NewEntry {
            contents,
            format,
            note,
            tags,
            file,
            user,
        })
    }
}

/// A file as seeds and actions write it: `{name, content, type?}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSpec {
    pub(crate) name: String,
    /// The bytes, as text.
    #[serde(default)]
    pub(crate) content: String,
    /// The media type, `text/plain` by default.
    #[serde(rename = "type")]
    pub(crate) content_type: Option<String>,
}

impl FileSpec {
    /// The stored file, refusing a nameless one.
    pub(crate) fn stored(self) -> Result<StoredFile, String> {
        if self.name.trim().is_empty() {
            return Err("a file needs a name".to_owned());
        }
        Ok(StoredFile {
            name: self.name,
            content_type: self.content_type.unwrap_or_else(|| "text/plain".to_owned()),
            bytes: self.content.into_bytes(),
        })
    }
}

/// One war-room entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its number in the investigation, from 1.
    pub(crate) number: u64,
    pub(crate) investigation: String,
    pub(crate) new: NewEntry,
    pub(crate) created: i64,
}

impl Entry {
    /// `<number>@<investigation>`, the id the API uses.
    pub(crate) fn id(&self) -> String {
        format!("{}@{}", self.number, self.investigation)
    }

    /// `attachments` for files, `notes` for notes, `chats` for the rest.
    pub(crate) fn category(&self) -> &'static str {
        if self.new.file.is_some() {
            "attachments"
        } else if self.new.note {
            "notes"
        } else {
            "chats"
        }
    }

    /// The entry as the API answers it.
    pub(crate) fn to_json(&self) -> Value {
        let new = &self.new;
        let mut json = json!({
            "id": self.id(),
            "investigationId": self.investigation,
            // 1 note (text), 3 file.
            "type": if new.file.is_some() { 3 } else { 1 },
            "category": self.category(),
            "contents": new.contents,
            "format": new.format.as_str(),
            "tags": new.tags,
            "note": new.note,
            "file": new.file.as_ref().map_or("", |file| file.name.as_str()),
            "created": format_iso_millis(self.created),
            "modified": format_iso_millis(self.created),
            "user": new.user,
        });
        if let (Some(file), Value::Object(fields)) = (&new.file, &mut json) {
            fields.insert(
                "fileMetadata".to_owned(),
                json!({"size": file.bytes.len(), "type": file.content_type}),
            );
        }
        json
    }
}

/// Which entries a read asks for: categories (none = all), tags (none =
/// any), and whether every tag must be there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EntryFilter {
    /// Category names as sent; a name the server does not give entries
    /// (`playbookTaskResult`, ...) matches nothing here.
    pub(crate) categories: Vec<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) all_tags: bool,
}

impl EntryFilter {
    /// Whether `entry` passes.
    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        let category = entry.category();
        let in_category = self.categories.is_empty()
            || self
                .categories
                .iter()
                .any(|name| name.eq_ignore_ascii_case(category));
        let has = |tag: &String| entry.new.tags.iter().any(|own| own == tag);
        let tagged = self.tags.is_empty()
            || if self.all_tags {
                self.tags.iter().all(has)
            } else {
                self.tags.iter().any(has)
            };
        in_category && tagged
    }

    /// The filter as the dump shows it.
    pub(crate) fn to_json(&self) -> Value {
        json!({"categories": self.categories, "tags": self.tags, "tagsAndOperator": self.all_tags})
    }
}

/// An incident's entries, and the last filter they were read with (what
/// the client said it mirrors; checks judge incoming entries by it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Investigation {
    pub(crate) entries: Vec<Entry>,
    pub(crate) last_filter: Option<EntryFilter>,
}

impl Investigation {
    /// Appends an entry to investigation `id` at `now`; a file entry
    /// without text reads as its file's name.
    pub(crate) fn add(&mut self, id: &str, mut new: NewEntry, now: i64) -> &Entry {
        if let Some(file) = new.file.as_ref().filter(|_| new.contents.is_empty()) {
            new.contents.clone_from(&file.name);
        }
        let number = self.entries.len() as u64 + 1;
        self.entries.push(Entry {
            number,
            investigation: id.to_owned(),
            new,
            created: now,
        });
        &self.entries[self.entries.len() - 1]
    }

    /// The investigation as the dump shows it.
    pub(crate) fn to_json(&self) -> Value {
        let mut json = Map::new();
        json.insert(
            "entries".to_owned(),
            self.entries.iter().map(Entry::to_json).collect(),
        );
        if let Some(filter) = &self.last_filter {
            json.insert("last_filter".to_owned(), filter.to_json());
        }
        Value::Object(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(note: bool, tags: &[&str], file: bool) -> Entry {
        Entry {
            number: 1,
            investigation: "4".to_owned(),
            new: NewEntry {
                contents: "c".to_owned(),
                format: Format::Text,
                note,
                tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
                file: file.then(|| StoredFile {
                    name: "a.txt".to_owned(),
                    content_type: "text/plain".to_owned(),
                    bytes: b"abc".to_vec(),
                }),
                user: "beth".to_owned(),
            },
            created: 0,
        }
    }

    fn filter(categories: &[&str], tags: &[&str], all_tags: bool) -> EntryFilter {
        EntryFilter {
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            all_tags,
        }
    }

    #[test]
    fn categories_and_tags_filter_with_and_or_or() {
        let note = entry(true, &["a", "b"], false);
        let chat = entry(false, &["a"], false);
        let file = entry(false, &[], true);
        assert_eq!(
            (note.category(), chat.category(), file.category()),
            ("notes", "chats", "attachments")
        );
        let notes_only = filter(&["notes"], &[], false);
        assert!(notes_only.matches(&note) && !notes_only.matches(&chat));
        let any_of = filter(&[], &["b", "c"], false);
        assert!(any_of.matches(&note) && !any_of.matches(&chat) && !any_of.matches(&file));
        let all_of = filter(&[], &["a", "b"], true);
        assert!(all_of.matches(&note) && !all_of.matches(&chat));
        assert!(!filter(&["playbookTaskResult"], &[], false).matches(&note));
        assert!(EntryFilter::default().matches(&file));
    }

    #[test]
    fn ids_and_file_metadata() {
        let json = entry(false, &[], true).to_json();
        assert_eq!(json["id"], "1@4");
        assert_eq!(
            (json["type"].clone(), json["file"].clone()),
            (json!(3), json!("a.txt"))
        );
        assert_eq!(
            json["fileMetadata"],
            json!({"size": 3, "type": "text/plain"})
        );
    }
}
