//! Moving plain JSON-shaped records in and out of Automerge documents.
//!
//! Records (a group, a meeting series, a contact, a journal entry) are maps of plain values, per
//! DESIGN.md 3.1: no collaborative text unless real co-editing is needed. Writing a record
//! *reconciles* it with what the document holds: only fields whose value changed are put, so two
//! devices that edit different fields of one record offline both keep their edit after merging.
//! Lists (emotions, tags, availability) are replaced whole when they change.
//!
//! Reading is lenient: whatever a document holds comes back as JSON, and the typed layer above
//! decides what it accepts. A merged document from another device can therefore never crash a
//! projection; at worst a malformed record is skipped.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value as AmValue};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};

/// Reads the object `obj` (map, list or text) as JSON.
pub fn read_object(doc: &impl ReadDoc, obj: &ObjId) -> Value {
    match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => {
            let mut out = Map::new();
            for key in doc.keys(obj) {
                if let Ok(Some((value, id))) = doc.get(obj, key.as_str()) {
                    out.insert(key, read_value(doc, value, &id));
                }
            }
            Value::Object(out)
        }
        Ok(ObjType::List) => Value::Array(
            (0..doc.length(obj))
                .filter_map(|i| doc.get(obj, i).ok().flatten())
                .map(|(value, id)| read_value(doc, value, &id))
                .collect(),
        ),
        Ok(ObjType::Text) => doc.text(obj).map(Value::String).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

fn read_value(doc: &impl ReadDoc, value: AmValue<'_>, id: &ObjId) -> Value {
    match value {
        AmValue::Object(_) => read_object(doc, id),
        AmValue::Scalar(scalar) => scalar_to_json(&scalar),
    }
}

fn scalar_to_json(scalar: &ScalarValue) -> Value {
    match scalar {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) => Value::from(*i),
        ScalarValue::Uint(u) => Value::from(*u),
        ScalarValue::F64(f) => Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ScalarValue::Counter(c) => Value::from(i64::from(c)),
        ScalarValue::Timestamp(t) => Value::from(*t),
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } | ScalarValue::Null => Value::Null,
    }
}

fn json_to_scalar(value: &Value) -> Option<ScalarValue> {
    match value {
        Value::Bool(b) => Some(ScalarValue::Boolean(*b)),
        Value::String(s) => Some(ScalarValue::Str(s.as_str().into())),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(ScalarValue::Int(i))
            } else if let Some(u) = n.as_u64() {
                Some(ScalarValue::Uint(u))
            } else {
                n.as_f64().map(ScalarValue::F64)
            }
        }
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Records live at the document's root under `<collection>/<key>` rather than inside a
/// `root[collection]` map. A collection map would be created separately by each device that
/// adds its first record, and Automerge would then keep one of those maps and hide the other's
/// records; the root map exists on every replica from the start, so nothing can conflict there.
fn record_key(collection_name: &str, key: &str) -> String {
    format!("{collection_name}/{key}")
}

/// Splits a root key into (collection, record key).
pub fn split_key(root_key: &str) -> Option<(&str, &str)> {
    root_key.split_once('/')
}

/// The record `<collection>/<key>` as JSON, if present.
pub fn read_record(doc: &impl ReadDoc, collection_name: &str, key: &str) -> Option<Value> {
    match doc.get(automerge::ROOT, record_key(collection_name, key)) {
        Ok(Some((AmValue::Object(_), id))) => Some(read_object(doc, &id)),
        _ => None,
    }
}

/// Keys of every record in `collection`.
pub fn record_keys(doc: &impl ReadDoc, collection_name: &str) -> Vec<String> {
    doc.keys(automerge::ROOT)
        .filter_map(|k| match split_key(&k) {
            Some((c, key)) if c == collection_name => Some(key.to_owned()),
            _ => None,
        })
        .collect()
}

/// Writes `record` at `<collection>/<key>`, changing only what differs.
pub fn write_record<T: Transactable + ReadDoc>(
    tx: &mut T,
    collection_name: &str,
    key: &str,
    record: &Value,
) -> Result<()> {
    let Value::Object(fields) = record else {
        return Err(Error::invalid("a record must be a JSON object"));
    };
    let obj = ensure_map(tx, &automerge::ROOT, &record_key(collection_name, key))?;
    reconcile_map(tx, &obj, fields)
}

/// Removes `<collection>/<key>`. Removing a record that is not there is not an error.
pub fn delete_record<T: Transactable + ReadDoc>(
    tx: &mut T,
    collection_name: &str,
    key: &str,
) -> Result<()> {
    let full = record_key(collection_name, key);
    if tx
        .get(automerge::ROOT, full.as_str())
        .map_err(am)?
        .is_some()
    {
        tx.delete(automerge::ROOT, full.as_str()).map_err(am)?;
    }
    Ok(())
}

fn ensure_map<T: Transactable + ReadDoc>(tx: &mut T, parent: &ObjId, key: &str) -> Result<ObjId> {
    match tx.get(parent, key).map_err(am)? {
        Some((AmValue::Object(ObjType::Map), id)) => Ok(id),
        _ => tx.put_object(parent, key, ObjType::Map).map_err(am),
    }
}

fn reconcile_map<T: Transactable + ReadDoc>(
    tx: &mut T,
    obj: &ObjId,
    fields: &Map<String, Value>,
) -> Result<()> {
    let stale: Vec<String> = tx.keys(obj).filter(|k| !fields.contains_key(k)).collect();
    for key in stale {
        tx.delete(obj, key.as_str()).map_err(am)?;
    }
    for (key, value) in fields {
        reconcile_field(tx, obj, key, value)?;
    }
    Ok(())
}

fn reconcile_field<T: Transactable + ReadDoc>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: &Value,
) -> Result<()> {
    let existing = tx.get(obj, key).map_err(am)?;
    match value {
        Value::Null => {
            if existing.is_some() {
                tx.delete(obj, key).map_err(am)?;
            }
        }
        Value::Object(fields) => {
            let id = match existing {
                Some((AmValue::Object(ObjType::Map), id)) => id,
                _ => tx.put_object(obj, key, ObjType::Map).map_err(am)?,
            };
            reconcile_map(tx, &id, fields)?;
        }
        Value::Array(items) => {
            let same = match &existing {
                Some((AmValue::Object(ObjType::List), id)) => read_object(tx, id) == *value,
                _ => false,
            };
            if !same {
                let list = tx.put_object(obj, key, ObjType::List).map_err(am)?;
                for (index, item) in items.iter().enumerate() {
                    insert_item(tx, &list, index, item)?;
                }
            }
        }
        scalar => {
            let same = match &existing {
                Some((AmValue::Scalar(current), _)) => scalar_to_json(current) == *scalar,
                _ => false,
            };
            if !same && let Some(s) = json_to_scalar(scalar) {
                tx.put(obj, key, s).map_err(am)?;
            }
        }
    }
    Ok(())
}

fn insert_item<T: Transactable + ReadDoc>(
    tx: &mut T,
    list: &ObjId,
    index: usize,
    item: &Value,
) -> Result<()> {
    match item {
        Value::Object(fields) => {
            let id = tx.insert_object(list, index, ObjType::Map).map_err(am)?;
            reconcile_map(tx, &id, fields)
        }
        Value::Array(items) => {
            let id = tx.insert_object(list, index, ObjType::List).map_err(am)?;
            for (i, inner) in items.iter().enumerate() {
                insert_item(tx, &id, i, inner)?;
            }
            Ok(())
        }
        scalar => {
            let s = json_to_scalar(scalar).unwrap_or(ScalarValue::Null);
            tx.insert(list, index, s).map_err(am)
        }
    }
}

fn am(e: automerge::AutomergeError) -> Error {
    Error::document("(in memory)", e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::Automerge;
    use serde_json::json;

    fn write(doc: &mut Automerge, key: &str, record: Value) {
        doc.transact::<_, _, Error>(|tx| write_record(tx, "things", key, &record))
            .expect("transaction");
    }

    #[test]
    fn records_round_trip() {
        let mut doc = Automerge::new();
        let record = json!({"name": "Tuesday evening", "n": 3, "ok": true, "tags": ["a", "b"],
                            "nested": {"x": 1.5}, "items": [{"day": "mon"}]});
        write(&mut doc, "r1", record.clone());
        assert_eq!(read_record(&doc, "things", "r1"), Some(record));
        assert_eq!(record_keys(&doc, "things"), vec!["r1".to_owned()]);
    }

    #[test]
    fn unchanged_fields_make_no_operations() {
        let mut doc = Automerge::new();
        write(&mut doc, "r1", json!({"a": "x", "b": ["y"]}));
        let heads = doc.get_heads();
        write(&mut doc, "r1", json!({"a": "x", "b": ["y"]}));
        assert_eq!(
            doc.get_heads(),
            heads,
            "rewriting the same record must not commit a change"
        );
    }

    #[test]
    fn concurrent_edits_of_different_fields_both_survive() {
        let mut a = Automerge::new();
        write(&mut a, "r1", json!({"text": "hello", "mood": 3}));
        let mut b = a.fork();
        write(&mut a, "r1", json!({"text": "hello there", "mood": 3}));
        write(&mut b, "r1", json!({"text": "hello", "mood": 4}));
        a.merge(&mut b).expect("merge");
        assert_eq!(
            read_record(&a, "things", "r1"),
            Some(json!({"text": "hello there", "mood": 4}))
        );
    }

    #[test]
    fn records_added_concurrently_to_one_collection_all_survive() {
        // Two devices each add their first record to the same collection, then merge.
        let mut a = Automerge::new();
        let mut b = Automerge::new();
        write(&mut a, "from-a", json!({"n": 1}));
        write(&mut b, "from-b", json!({"n": 2}));
        a.merge(&mut b).expect("merge");
        let mut keys = record_keys(&a, "things");
        keys.sort();
        assert_eq!(keys, vec!["from-a".to_owned(), "from-b".to_owned()]);
        assert_eq!(read_record(&a, "things", "from-b"), Some(json!({"n": 2})));
    }

    #[test]
    fn removed_fields_and_records_disappear() {
        let mut doc = Automerge::new();
        write(&mut doc, "r1", json!({"a": 1, "b": 2}));
        write(&mut doc, "r1", json!({"a": 1}));
        assert_eq!(read_record(&doc, "things", "r1"), Some(json!({"a": 1})));
        doc.transact::<_, _, Error>(|tx| delete_record(tx, "things", "r1"))
            .expect("delete");
        assert_eq!(read_record(&doc, "things", "r1"), None);
    }
}
