//! The incident context: where entries' `EntryContext` lands, merged by DT key.
//!
//! An EntryContext key is a dotted path, optionally followed by a DT expression that says when
//! a new object is the same as one already stored:
//! `IAM.Vendor(val.instanceName && val.instanceName == obj.instanceName)`. A new object that
//! matches a stored one (every `val.X == obj.X` pair equal) updates it in place; otherwise it is
//! appended, turning a single stored object into a list. A key without a DT expression appends
//! as well, as the server does.

use serde_json::{Map, Value};

/// The context of one investigation.
#[derive(Debug, Default, Clone)]
pub(crate) struct ContextStore {
    root: Map<String, Value>,
}

/// A parsed EntryContext key.
#[derive(Debug, PartialEq, Eq)]
struct DtKey<'a> {
    path: Vec<&'a str>,
    /// `(val field, obj field)` pairs that must all be equal for two objects to be the same.
    identity: Vec<(&'a str, &'a str)>,
}

impl<'a> DtKey<'a> {
    fn parse(key: &'a str) -> Self {
        let (path, expression) = match key.find('(') {
            Some(open) => (
                &key[..open],
                key[open + 1..].trim_end().trim_end_matches(')'),
            ),
            None => (key, ""),
        };
        let identity = expression
            .split("&&")
            .filter_map(|term| {
                // `==` and `===` both appear in content integrations.
                let (left, right) = term.split_once("==")?;
                let left = left.trim().strip_prefix("val.")?;
                let right = right.trim_start_matches('=').trim().strip_prefix("obj.")?;
                Some((left, right))
            })
            .collect();
        Self {
            path: path.trim().split('.').filter(|s| !s.is_empty()).collect(),
            identity,
        }
    }

    fn same(&self, stored: &Value, new: &Value) -> bool {
        !self.identity.is_empty()
            && self.identity.iter().all(|(val, obj)| {
                let (a, b) = (stored.get(*val), new.get(*obj));
                a.is_some() && a == b
            })
    }
}

impl ContextStore {
    /// Merges an entry's `EntryContext` object.
    pub(crate) fn merge(&mut self, entry_context: &Value) {
        let Some(keys) = entry_context.as_object() else {
            return;
        };
        for (key, value) in keys {
            let dt = DtKey::parse(key);
            let Some((last, parents)) = dt.path.split_last() else {
                continue;
            };
            let mut node = &mut self.root;
            for part in parents {
                let child = node
                    .entry((*part).to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !child.is_object() {
                    *child = Value::Object(Map::new());
                }
                let Value::Object(map) = child else {
                    unreachable!("made an object above")
                };
                node = map;
            }
            let new_items = match value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let slot = node.entry((*last).to_owned()).or_insert(Value::Null);
            for item in new_items {
                merge_item(slot, item, &dt);
            }
        }
    }

    /// The value at a dotted path (`IAM.Vendor`), or null.
    #[cfg(test)]
    pub(crate) fn get(&self, path: &str) -> Value {
        crate::mapping::path::get_path(&Value::Object(self.root.clone()), path)
    }

    /// The whole context.
    pub(crate) fn to_value(&self) -> Value {
        Value::Object(self.root.clone())
    }
}

fn merge_item(slot: &mut Value, item: Value, dt: &DtKey<'_>) {
    match slot {
        Value::Null => *slot = item,
        Value::Array(stored) => match stored.iter_mut().find(|s| dt.same(s, &item)) {
            Some(existing) => update(existing, item),
            None => stored.push(item),
        },
        single if dt.same(single, &item) => update(single, item),
        single => {
            let first = single.take();
            *single = Value::Array(vec![first, item]);
        }
    }
}

/// Updates a stored object with a new one: new keys win.
fn update(stored: &mut Value, new: Value) {
    match (stored.as_object_mut(), new) {
        (Some(map), Value::Object(fresh)) => map.extend(fresh),
        (_, fresh) => *stored = fresh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dt_key_updates_the_matching_item_and_adds_the_others() {
        use serde_json::json;

        let mut store = ContextStore::default();
        let key = "User(val.id && val.id == obj.id)";
        store.merge(&json!({key: {"id": 1, "name": "a"}}));
        store.merge(&json!({key: {"id": 1, "name": "b"}}));
        store.merge(&json!({key: {"id": 2, "name": "c"}}));
        assert_eq!(
            store.get("User"),
            json!([{"id": 1, "name": "b"}, {"id": 2, "name": "c"}])
        );
    }
    use serde_json::json;

    const VENDOR: &str = "IAM.Vendor(val.instanceName && val.instanceName == obj.instanceName && val.email && val.email == obj.email)";

    #[test]
    fn dt_keys_parse_path_and_identity() {
        let dt = DtKey::parse(VENDOR);
        assert_eq!(dt.path, vec!["IAM", "Vendor"]);
        assert_eq!(
            dt.identity,
            vec![("instanceName", "instanceName"), ("email", "email")]
        );
        assert_eq!(DtKey::parse("Plain.Key").identity, vec![]);
        assert_eq!(
            DtKey::parse("A(val.ID === obj.ID)").identity,
            vec![("ID", "ID")]
        );
    }

    #[test]
    fn same_identity_updates_in_place_and_others_append() {
        let mut store = ContextStore::default();
        store.merge(&json!({VENDOR: {"instanceName": "i", "email": "a@x", "success": false}}));
        store.merge(&json!({VENDOR: {"instanceName": "i", "email": "a@x", "success": true}}));
        assert_eq!(
            store.get("IAM.Vendor"),
            json!({"instanceName": "i", "email": "a@x", "success": true})
        );
        store.merge(&json!({VENDOR: {"instanceName": "i", "email": "b@x"}}));
        assert_eq!(store.get("IAM.Vendor").as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn keys_without_identity_append() {
        let mut store = ContextStore::default();
        store.merge(&json!({"A.B": 1}));
        store.merge(&json!({"A.B": [2, 3]}));
        assert_eq!(store.get("A.B"), json!([1, 2, 3]));
    }
}
