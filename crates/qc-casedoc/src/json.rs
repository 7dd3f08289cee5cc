//! JSON values in and out of Automerge objects, so domain types (serde) map to CRDT maps and
//! lists field by field: concurrent edits to different fields merge instead of overwriting.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};

use crate::DocError;

/// Keys whose string values are stored as Automerge Text (free text edited character by
/// character, merged without losing either side's typing).
const TEXT_KEYS: &[&str] = &["summary", "found", "answer"];

/// A JSON scalar as an Automerge scalar (None for objects and arrays).
fn scalar(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => ScalarValue::Int(i),
            (None, Some(u), _) => ScalarValue::Uint(u),
            (None, None, Some(f)) => ScalarValue::F64(f),
            _ => ScalarValue::Null,
        },
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// Writes `value` under `key` of map `obj`.
pub fn put(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: &Json) -> Result<(), DocError> {
    match value {
        Json::Object(m) => {
            let child = doc.put_object(obj, key, ObjType::Map)?;
            fill_map(doc, &child, m)?;
        }
        Json::Array(items) => {
            let child = doc.put_object(obj, key, ObjType::List)?;
            fill_list(doc, &child, items)?;
        }
        Json::String(s) if TEXT_KEYS.contains(&key) => {
            let text = doc.put_object(obj, key, ObjType::Text)?;
            doc.splice_text(&text, 0, 0, s)?;
        }
        other => {
            if let Some(s) = scalar(other) {
                doc.put(obj, key, s)?;
            }
        }
    }
    Ok(())
}

fn fill_map(doc: &mut AutoCommit, obj: &ObjId, m: &Map<String, Json>) -> Result<(), DocError> {
    for (k, v) in m {
        put(doc, obj, k, v)?;
    }
    Ok(())
}

fn fill_list(doc: &mut AutoCommit, list: &ObjId, items: &[Json]) -> Result<(), DocError> {
    for item in items {
        insert(doc, list, doc.length(list), item)?;
    }
    Ok(())
}

/// Inserts `value` at `index` of list `list`.
pub fn insert(
    doc: &mut AutoCommit,
    list: &ObjId,
    index: usize,
    value: &Json,
) -> Result<(), DocError> {
    match value {
        Json::Object(m) => {
            let child = doc.insert_object(list, index, ObjType::Map)?;
            fill_map(doc, &child, m)?;
        }
        Json::Array(items) => {
            let child = doc.insert_object(list, index, ObjType::List)?;
            fill_list(doc, &child, items)?;
        }
        other => {
            if let Some(s) = scalar(other) {
                doc.insert(list, index, s)?;
            }
        }
    }
    Ok(())
}

/// Makes `key` of map `obj` equal `value`, writing only what differs: unchanged fields keep
/// their history, Text is spliced, so concurrent edits to different parts merge.
pub fn update(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: &Json) -> Result<(), DocError> {
    match (doc.get(obj, key)?, value) {
        (Some((Value::Object(ObjType::Map), child)), Json::Object(m)) => update_map(doc, &child, m),
        (Some((Value::Object(ObjType::List), child)), Json::Array(items)) => {
            update_list(doc, &child, items)
        }
        (Some((Value::Object(ObjType::Text), child)), Json::String(s)) => {
            doc.update_text(&child, s)?;
            Ok(())
        }
        (Some((v @ Value::Scalar(_), id)), _)
            if read_value(doc, v.clone(), || id.clone())? == *value =>
        {
            Ok(())
        }
        _ => put(doc, obj, key, value),
    }
}

fn update_map(doc: &mut AutoCommit, obj: &ObjId, m: &Map<String, Json>) -> Result<(), DocError> {
    let gone: Vec<String> = doc.keys(obj).filter(|k| !m.contains_key(k)).collect();
    for k in gone {
        doc.delete(obj, k.as_str())?;
    }
    for (k, v) in m {
        update(doc, obj, k, v)?;
    }
    Ok(())
}

fn update_list(doc: &mut AutoCommit, list: &ObjId, items: &[Json]) -> Result<(), DocError> {
    let len = doc.length(list);
    for (i, item) in items.iter().enumerate() {
        if i >= len {
            insert(doc, list, i, item)?;
            continue;
        }
        match (doc.get(list, i)?, item) {
            (Some((Value::Object(ObjType::Map), child)), Json::Object(m)) => {
                update_map(doc, &child, m)?
            }
            (Some((Value::Object(ObjType::List), child)), Json::Array(a)) => {
                update_list(doc, &child, a)?
            }
            (Some((v, id)), _) if read_value(doc, v.clone(), || id.clone())? == *item => {}
            _ => {
                doc.delete(list, i)?;
                insert(doc, list, i, item)?;
            }
        }
    }
    for i in (items.len()..len).rev() {
        doc.delete(list, i)?;
    }
    Ok(())
}

/// Reads the object `obj` (map, list or text) back as JSON. A map's and a list's values are
/// read in one pass over the object: looking each key up anew walked its operations again
/// (a case header took about 45 µs to read that way).
pub fn read(doc: &AutoCommit, obj: &ObjId) -> Result<Json, DocError> {
    Ok(match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => Json::Object(
            doc.map_range(obj, ..)
                .map(|item| {
                    let value = read_value(doc, item.value.clone().into_value(), || item.id())?;
                    Ok((item.key.into_owned(), value))
                })
                .collect::<Result<_, DocError>>()?,
        ),
        ObjType::List => Json::Array(
            doc.list_range(obj, ..)
                .map(|item| read_value(doc, item.value.clone().into_value(), || item.id()))
                .collect::<Result<_, _>>()?,
        ),
        ObjType::Text => Json::String(doc.text(obj)?),
    })
}

/// A value as JSON; `id` names it when it is an object.
fn read_value(
    doc: &AutoCommit,
    v: Value<'_>,
    id: impl FnOnce() -> ObjId,
) -> Result<Json, DocError> {
    Ok(match v {
        Value::Object(_) => read(doc, &id())?,
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Null => Json::Null,
            ScalarValue::Boolean(b) => Json::Bool(*b),
            ScalarValue::Int(i) => Json::from(*i),
            ScalarValue::Uint(u) => Json::from(*u),
            ScalarValue::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
            ScalarValue::Str(s) => Json::String(s.to_string()),
            ScalarValue::Timestamp(t) => Json::from(*t),
            ScalarValue::Counter(c) => Json::from(i64::from(c)),
            other => return Err(DocError::Malformed(format!("unexpected value {other:?}"))),
        },
    })
}
