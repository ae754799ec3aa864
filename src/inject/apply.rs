//! A [`Plan`] turned into text edits, with a record of what was added, so
//! that a later run converges: running again with another config (or in
//! `remove` mode) first undoes the recorded additions, then applies the new
//! plan, in one set of edits planned against the one parse.
//!
//! The record is an annotation on the pod template. It names every item the
//! function added (by list and name), remembers the source text of every
//! value it rewrote and of every item it moved, and whether it created the
//! lists and maps it filled. Undoing it gives back the original text.

use serde_json::{Map, Value, json};

use super::plan::{ContainerPlan, EnvPlan, Plan};
use crate::yaml::{Doc, EditError, Editor, Kind, NodeId};

/// The annotation that records what the function added to a pod template.
pub const RECORD_ANNOTATION: &str = "inject-otel-python.kpt.dev/record";

const RECORD_VERSION: u64 = 1;

/// What was added to one list (`volumes`, `volumeMounts`): the names of the
/// appended items, and how the list came to be.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListRecord {
    pub appended: Vec<String>,
    pub origin: ListOrigin,
}

/// Whether a list the function filled was there before.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ListOrigin {
    /// The list existed.
    #[default]
    Existing,
    /// The key was absent; the function added it.
    Created,
    /// The key held a null, whose source text this is (`""`, `~`, `null`).
    Null(String),
}

/// What was done to a container's env list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvRecord {
    pub prepended: Vec<String>,
    pub appended: Vec<String>,
    pub origin: ListOrigin,
    /// `(original index, original source text, original value)` of
    /// rewritten values (source text `""`: the item had no `value`).
    pub modified: Vec<(usize, String, String)>,
    /// `(original index, source text relative to its dash, value)` of
    /// removed (moved) items.
    pub removed: Vec<(usize, String, Value)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerRecord {
    pub name: String,
    pub init: bool,
    pub env: EnvRecord,
    pub mounts: ListRecord,
}

/// The whole record of one pod template.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Index of the injected init container in `initContainers`.
    pub init_container: usize,
    pub init_containers: ListOrigin,
    pub volumes: ListRecord,
    pub containers: Vec<ContainerRecord>,
    /// Whether the function created `metadata` / `metadata.annotations` to
    /// hold this record.
    pub metadata_created: bool,
    pub annotations_created: bool,
}

/// The nodes of one pod template, in the current document.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// `{metadata, spec}` (for a Pod: the object itself).
    pub node: NodeId,
    pub spec: NodeId,
}

/// Why an injection cannot be planned or applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("{field}: {message}")]
    Record { field: String, message: String },
}

fn record_error(field: &str, message: impl Into<String>) -> ApplyError {
    ApplyError::Record {
        field: field.to_string(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------
// The record as JSON.

impl ListOrigin {
    fn to_value(&self) -> Value {
        match self {
            ListOrigin::Existing => Value::Null,
            ListOrigin::Created => json!("created"),
            ListOrigin::Null(raw) => json!({ "null": raw }),
        }
    }

    fn from_value(v: Option<&Value>) -> Result<Self, String> {
        match v {
            None | Some(Value::Null) => Ok(ListOrigin::Existing),
            Some(Value::String(s)) if s == "created" => Ok(ListOrigin::Created),
            Some(Value::Object(m)) => match m.get("null") {
                Some(Value::String(raw)) => Ok(ListOrigin::Null(raw.clone())),
                _ => Err("bad list origin".into()),
            },
            _ => Err("bad list origin".into()),
        }
    }

    fn is_existing(&self) -> bool {
        *self == ListOrigin::Existing
    }
}

fn names_value(names: &[String]) -> Value {
    Value::Array(names.iter().map(|n| json!(n)).collect())
}

fn names_from(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "bad name".to_string())
            })
            .collect(),
        _ => Err("bad name list".into()),
    }
}

/// Inserts `key: value` unless `value` is empty (null, `[]`, `{}`, `false`).
fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        m.insert(key.to_string(), value);
    }
}

impl ListRecord {
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "appended", names_value(&self.appended));
        put(&mut m, "origin", self.origin.to_value());
        Value::Object(m)
    }

    fn from_value(v: Option<&Value>) -> Result<Self, String> {
        let empty = Map::new();
        let m = v.and_then(Value::as_object).unwrap_or(&empty);
        Ok(ListRecord {
            appended: names_from(m.get("appended"))?,
            origin: ListOrigin::from_value(m.get("origin"))?,
        })
    }
}

impl Record {
    /// The record as the compact JSON written into the annotation.
    pub fn to_json(&self) -> String {
        let containers: Vec<Value> = self
            .containers
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("name".into(), json!(c.name));
                put(&mut m, "init", json!(c.init));
                let mut env = Map::new();
                put(&mut env, "prepended", names_value(&c.env.prepended));
                put(&mut env, "appended", names_value(&c.env.appended));
                put(&mut env, "origin", c.env.origin.to_value());
                put(
                    &mut env,
                    "modified",
                    Value::Array(
                        c.env
                            .modified
                            .iter()
                            .map(|(i, raw, v)| json!({"index": i, "raw": raw, "value": v}))
                            .collect(),
                    ),
                );
                put(
                    &mut env,
                    "removed",
                    Value::Array(
                        c.env
                            .removed
                            .iter()
                            .map(|(i, raw, v)| json!({"index": i, "raw": raw, "value": v}))
                            .collect(),
                    ),
                );
                put(&mut m, "env", Value::Object(env));
                put(&mut m, "volumeMounts", c.mounts.to_value());
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert("version".into(), json!(RECORD_VERSION));
        m.insert("initContainer".into(), json!(self.init_container));
        put(&mut m, "initContainers", self.init_containers.to_value());
        put(&mut m, "volumes", self.volumes.to_value());
        m.insert("containers".into(), Value::Array(containers));
        put(&mut m, "metadataCreated", json!(self.metadata_created));
        put(
            &mut m,
            "annotationsCreated",
            json!(self.annotations_created),
        );
        Value::Object(m).to_string()
    }

    /// Reads a record written by [`Record::to_json`].
    pub fn from_json(text: &str) -> Result<Record, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let m = v.as_object().ok_or("not an object")?;
        if m.get("version").and_then(Value::as_u64) != Some(RECORD_VERSION) {
            return Err(format!(
                "unknown record version (this function writes {RECORD_VERSION})"
            ));
        }
        let index = |v: Option<&Value>| -> Result<usize, String> {
            v.and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| "bad index".to_string())
        };
        let mut containers = Vec::new();
        for c in m
            .get("containers")
            .and_then(Value::as_array)
            .ok_or("no containers")?
        {
            let c = c.as_object().ok_or("bad container")?;
            let empty = Map::new();
            let env = c.get("env").and_then(Value::as_object).unwrap_or(&empty);
            let triples = |key: &str| -> Result<Vec<(usize, String, Value)>, String> {
                let Some(list) = env.get(key) else {
                    return Ok(Vec::new());
                };
                list.as_array()
                    .ok_or("bad list")?
                    .iter()
                    .map(|e| {
                        Ok((
                            index(e.get("index"))?,
                            e.get("raw")
                                .and_then(Value::as_str)
                                .ok_or("bad raw")?
                                .to_string(),
                            e.get("value").cloned().unwrap_or(Value::Null),
                        ))
                    })
                    .collect()
            };
            containers.push(ContainerRecord {
                name: c
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or("bad name")?
                    .to_string(),
                init: c.get("init").and_then(Value::as_bool).unwrap_or(false),
                env: EnvRecord {
                    prepended: names_from(env.get("prepended"))?,
                    appended: names_from(env.get("appended"))?,
                    origin: ListOrigin::from_value(env.get("origin"))?,
                    modified: triples("modified")?
                        .into_iter()
                        .map(|(i, raw, v)| (i, raw, v.as_str().unwrap_or_default().to_string()))
                        .collect(),
                    removed: triples("removed")?,
                },
                mounts: ListRecord::from_value(c.get("volumeMounts"))?,
            });
        }
        Ok(Record {
            init_container: index(m.get("initContainer"))?,
            init_containers: ListOrigin::from_value(m.get("initContainers"))?,
            volumes: ListRecord::from_value(m.get("volumes"))?,
            containers,
            metadata_created: m
                .get("metadataCreated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            annotations_created: m
                .get("annotationsCreated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// The record on a pod template, if any.
pub fn read_record(template: &Value) -> Option<Result<Record, String>> {
    template
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(RECORD_ANNOTATION))
        .map(|v| Record::from_json(v.as_str().unwrap_or_default()))
}

// ---------------------------------------------------------------------------
// Undo on values: the template as it was before the recorded injection.

fn name_of(v: &Value) -> Option<&str> {
    v.get("name").and_then(Value::as_str)
}

/// Removes the last `names.len()` items of `list`, checking their names.
fn drop_tail(list: &mut Vec<Value>, names: &[String], field: &str) -> Result<(), ApplyError> {
    let keep = list
        .len()
        .checked_sub(names.len())
        .ok_or_else(|| record_error(field, "has fewer items than the record says were added"))?;
    if list[keep..]
        .iter()
        .map(name_of)
        .ne(names.iter().map(|n| Some(n.as_str())))
    {
        return Err(record_error(
            field,
            "its added items changed since they were added",
        ));
    }
    list.truncate(keep);
    Ok(())
}

/// Undoes a list addition on the value of `parent[key]`.
fn undo_list(
    parent: &mut Map<String, Value>,
    key: &str,
    rec: &ListRecord,
    field: &str,
) -> Result<(), ApplyError> {
    let mut list = match parent.get(key) {
        Some(Value::Array(a)) => a.clone(),
        _ if rec.appended.is_empty() => return Ok(()),
        _ => return Err(record_error(field, "is missing")),
    };
    drop_tail(&mut list, &rec.appended, field)?;
    match &rec.origin {
        ListOrigin::Existing => {
            parent.insert(key.to_string(), Value::Array(list));
        }
        ListOrigin::Created if list.is_empty() => {
            parent.shift_remove(key);
        }
        ListOrigin::Null(_) if list.is_empty() => {
            parent.insert(key.to_string(), Value::Null);
        }
        _ => return Err(record_error(field, "holds items the function did not add")),
    }
    Ok(())
}

/// The pod template as it was before the recorded injection.
pub fn original_template(current: &Value, rec: &Record) -> Result<Value, ApplyError> {
    let mut t = current.clone();
    let obj = t
        .as_object_mut()
        .ok_or_else(|| record_error("", "not an object"))?;
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
            ann.shift_remove(RECORD_ANNOTATION);
            if rec.annotations_created && ann.is_empty() {
                meta.shift_remove("annotations");
            }
        }
        if rec.metadata_created && meta.is_empty() {
            obj.shift_remove("metadata");
        }
    }
    let spec = obj
        .get_mut("spec")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| record_error("spec", "is missing"))?;
    // The init container.
    let inits = ListRecord {
        appended: Vec::new(),
        origin: rec.init_containers.clone(),
    };
    match spec.get_mut("initContainers") {
        Some(Value::Array(list))
            if list.get(rec.init_container).and_then(name_of)
                == Some(super::plan::INIT_CONTAINER_NAME) =>
        {
            list.remove(rec.init_container);
            if list.is_empty() {
                match &inits.origin {
                    ListOrigin::Created => {
                        spec.shift_remove("initContainers");
                    }
                    ListOrigin::Null(_) => {
                        spec.insert("initContainers".into(), Value::Null);
                    }
                    ListOrigin::Existing => {}
                }
            }
        }
        _ => {
            return Err(record_error(
                "spec.initContainers",
                "lost the injected init container",
            ));
        }
    }
    undo_list(spec, "volumes", &rec.volumes, "spec.volumes")?;
    for c in &rec.containers {
        let key = if c.init {
            "initContainers"
        } else {
            "containers"
        };
        let field = format!("spec.{key}[{}]", c.name);
        let container = spec
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .and_then(|l| l.iter_mut().find(|x| name_of(x) == Some(c.name.as_str())))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| record_error(&field, "is missing"))?;
        undo_env(container, &c.env, &format!("{field}.env"))?;
        undo_list(
            container,
            "volumeMounts",
            &c.mounts,
            &format!("{field}.volumeMounts"),
        )?;
    }
    Ok(t)
}

fn undo_env(
    container: &mut Map<String, Value>,
    rec: &EnvRecord,
    field: &str,
) -> Result<(), ApplyError> {
    let mut list = match container.get("env") {
        Some(Value::Array(a)) => a.clone(),
        _ => return Err(record_error(field, "is missing")),
    };
    if list.len() < rec.prepended.len()
        || list[..rec.prepended.len()]
            .iter()
            .map(name_of)
            .ne(rec.prepended.iter().map(|n| Some(n.as_str())))
    {
        return Err(record_error(
            field,
            "its added items changed since they were added",
        ));
    }
    list.drain(..rec.prepended.len());
    drop_tail(&mut list, &rec.appended, field)?;
    for (index, _, value) in &rec.removed {
        if *index > list.len() {
            return Err(record_error(field, "a moved item cannot be put back"));
        }
        list.insert(*index, value.clone());
    }
    for (index, raw, value) in &rec.modified {
        let item = list
            .get_mut(*index)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| record_error(field, "a rewritten value is missing"))?;
        if raw.is_empty() {
            item.shift_remove("value");
        } else {
            item.insert("value".into(), json!(value));
        }
    }
    match &rec.origin {
        ListOrigin::Existing => {
            container.insert("env".into(), Value::Array(list));
        }
        ListOrigin::Created if list.is_empty() => {
            container.shift_remove("env");
        }
        ListOrigin::Null(_) if list.is_empty() => {
            container.insert("env".into(), Value::Null);
        }
        _ => return Err(record_error(field, "holds items the function did not add")),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Edits: from the current text (with `old` applied) to `new` applied on the
// original.

/// Plans the edits that take the pod template from its current state
/// (`old` applied, or nothing) to `new` applied on the original, and returns
/// the record to keep (`None` when nothing is injected any more).
///
/// `original` is the original template (see [`original_template`]); the
/// new record is written by the caller with [`write_record`].
pub fn apply(
    editor: &mut Editor<'_, '_>,
    template: Template,
    old: Option<&Record>,
    new: Option<&Plan>,
    original: &Value,
) -> Result<Option<Record>, ApplyError> {
    let doc = editor.doc();
    let spec = template.spec;
    let original_spec = original.get("spec").cloned().unwrap_or(Value::Null);
    let mut record = Record::default();

    // The init container.
    let new_init = new.map(|p| (&p.init_container, p.init_container_index));
    record.init_containers = sync_init_container(editor, doc, spec, old, new_init, &original_spec)?;
    if let Some(p) = new {
        record.init_container = p.init_container_index;
    }

    // Volumes.
    let new_volumes: &[Value] = new.map_or(&[], |p| &p.volumes);
    record.volumes = sync_tail_list(
        editor,
        doc,
        spec,
        "volumes",
        old.map(|r| &r.volumes),
        new_volumes,
    )?;

    // Containers: those of the old record and those of the new plan.
    let mut names: Vec<(String, bool)> = Vec::new();
    for (name, init) in old
        .into_iter()
        .flat_map(|r| r.containers.iter().map(|c| (c.name.clone(), c.init)))
        .chain(
            new.into_iter()
                .flat_map(|p| p.containers.iter().map(|c| (c.name.clone(), c.init))),
        )
    {
        if !names.contains(&(name.clone(), init)) {
            names.push((name, init));
        }
    }
    for (name, init) in names {
        let old_c = old.and_then(|r| {
            r.containers
                .iter()
                .find(|c| c.name == name && c.init == init)
        });
        let new_c = new.and_then(|p| {
            p.containers
                .iter()
                .find(|c| c.name == name && c.init == init)
        });
        let key = if init { "initContainers" } else { "containers" };
        let container = doc
            .get(spec, key)
            .and_then(|l| {
                doc.items(l).iter().copied().find(|&c| {
                    doc.get(c, "name").and_then(|n| doc.scalar(n)) == Some(name.as_str())
                })
            })
            .ok_or_else(|| {
                record_error(&format!("spec.{key}"), format!("has no container {name:?}"))
            })?;
        let original_env: Vec<Value> = original_spec
            .get(key)
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find(|c| name_of(c) == Some(name.as_str())))
            .and_then(|c| c.get("env"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let env = sync_env(
            editor,
            doc,
            container,
            old_c.map(|c| &c.env),
            new_c.map(|c| &c.env),
            &original_env,
        )?;
        let mounts = sync_tail_list(
            editor,
            doc,
            container,
            "volumeMounts",
            old_c.map(|c| &c.mounts),
            new_c.map_or(&[], |c: &ContainerPlan| &c.mounts),
        )?;
        if new_c.is_some() {
            record.containers.push(ContainerRecord {
                name,
                init,
                env,
                mounts,
            });
        }
    }
    Ok(new.map(|_| record))
}

fn values_of(doc: &Doc<'_>, nodes: &[NodeId]) -> Result<Vec<Value>, ApplyError> {
    nodes
        .iter()
        .map(|&n| doc.to_value(n))
        .collect::<Result<_, _>>()
        .map_err(|e| record_error(&e.path, e.message))
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| name_of(v).unwrap_or_default().to_string())
        .collect()
}

/// The list at `parent[key]`, when it is a list.
fn list_at(doc: &Doc<'_>, parent: NodeId, key: &str) -> Option<NodeId> {
    doc.get(parent, key).filter(|&n| doc.kind(n) == Kind::Seq)
}

/// A list the function appends to: undoes the old additions and makes the
/// new ones, touching the text only where they differ.
fn sync_tail_list(
    editor: &mut Editor<'_, '_>,
    doc: &Doc<'_>,
    parent: NodeId,
    key: &str,
    old: Option<&ListRecord>,
    new: &[Value],
) -> Result<ListRecord, ApplyError> {
    let appended = names(new);
    let Some(old) = old.filter(|o| !o.appended.is_empty() || !o.origin.is_existing()) else {
        // Nothing of ours there yet.
        if new.is_empty() {
            return Ok(ListRecord::default());
        }
        let origin = match doc.get(parent, key) {
            None => ListOrigin::Created,
            Some(n) if doc.is_null(n) => {
                ListOrigin::Null(editor.raw_scalar(n).unwrap_or_default().to_string())
            }
            Some(_) => ListOrigin::Existing,
        };
        editor.append_to_list(parent, key, new)?;
        return Ok(ListRecord { appended, origin });
    };
    let list =
        list_at(doc, parent, key).ok_or_else(|| record_error(key, "is not a list any more"))?;
    let items = doc.items(list);
    let ours = items.len() - old.appended.len().min(items.len());
    let current = values_of(doc, &items[ours..])?;
    if current == new {
        return Ok(ListRecord {
            appended,
            origin: old.origin.clone(),
        });
    }
    if ours == 0 && new.is_empty() {
        // The whole list was ours: put back what was there.
        restore_list(editor, parent, key, &old.origin)?;
    } else {
        editor.replace_items(list, ours..items.len(), new)?;
    }
    Ok(ListRecord {
        appended,
        origin: old.origin.clone(),
    })
}

/// Takes out a list that holds only the function's items: removes the key
/// it created, puts back the null it filled, or empties the list that was
/// empty.
fn restore_list(
    editor: &mut Editor<'_, '_>,
    parent: NodeId,
    key: &str,
    origin: &ListOrigin,
) -> Result<(), ApplyError> {
    let doc = editor.doc();
    match origin {
        ListOrigin::Created => editor.remove_entries(parent, &[key])?,
        ListOrigin::Null(raw) => editor.restore_value(parent, key, raw)?,
        ListOrigin::Existing => {
            if let Some(list) = list_at(doc, parent, key) {
                editor.replace_items(list, 0..doc.items(list).len(), &[])?;
            }
        }
    }
    Ok(())
}

fn sync_init_container(
    editor: &mut Editor<'_, '_>,
    doc: &Doc<'_>,
    spec: NodeId,
    old: Option<&Record>,
    new: Option<(&Value, usize)>,
    original_spec: &Value,
) -> Result<ListOrigin, ApplyError> {
    let original_len = original_spec
        .get("initContainers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let Some(old) = old else {
        let origin = match doc.get(spec, "initContainers") {
            None => ListOrigin::Created,
            Some(n) if doc.is_null(n) => {
                ListOrigin::Null(editor.raw_scalar(n).unwrap_or_default().to_string())
            }
            Some(_) => ListOrigin::Existing,
        };
        if let Some((ic, index)) = new {
            match list_at(doc, spec, "initContainers") {
                Some(list) if index < original_len => {
                    editor.replace_items(list, index..index, std::slice::from_ref(ic))?
                }
                _ => editor.append_to_list(spec, "initContainers", std::slice::from_ref(ic))?,
            }
        }
        return Ok(origin);
    };
    let list = list_at(doc, spec, "initContainers")
        .ok_or_else(|| record_error("spec.initContainers", "is not a list any more"))?;
    let at = old.init_container;
    let current = doc
        .items(list)
        .get(at)
        .map(|&n| doc.to_value(n))
        .transpose()
        .map_err(|e| record_error(&e.path, e.message))?;
    match new {
        Some((ic, index)) if index == at => {
            if current.as_ref() != Some(ic) {
                editor.replace_items(list, at..at + 1, std::slice::from_ref(ic))?;
            }
        }
        Some((ic, index)) => {
            // Current positions: the original list with ours at `at`.
            let current_index = if index > at { index + 1 } else { index };
            editor.replace_items(list, at..at + 1, &[])?;
            editor.replace_items(list, current_index..current_index, std::slice::from_ref(ic))?;
        }
        None if original_len == 0 => {
            restore_list(editor, spec, "initContainers", &old.init_containers)?
        }
        None => editor.replace_items(list, at..at + 1, &[])?,
    }
    Ok(old.init_containers.clone())
}

/// The env list: prepended and appended runs, rewritten values and moved
/// items, each undone and redone where the old and new injections differ.
fn sync_env(
    editor: &mut Editor<'_, '_>,
    doc: &Doc<'_>,
    container: NodeId,
    old: Option<&EnvRecord>,
    new: Option<&EnvPlan>,
    original: &[Value],
) -> Result<EnvRecord, ApplyError> {
    let empty = EnvPlan::default();
    let plan = new.unwrap_or(&empty);
    let mut record = EnvRecord {
        prepended: names(&plan.prepend),
        appended: names(&plan.append),
        ..EnvRecord::default()
    };
    let list = list_at(doc, container, "env");
    let Some(old) = old else {
        // First injection: the original list is the current one.
        record.origin = match doc.get(container, "env") {
            None => ListOrigin::Created,
            Some(n) if doc.is_null(n) => {
                ListOrigin::Null(editor.raw_scalar(n).unwrap_or_default().to_string())
            }
            Some(_) => ListOrigin::Existing,
        };
        let Some(list) = list.filter(|&l| !doc.items(l).is_empty()) else {
            // No items to keep: the new list is prepend ++ append.
            let all: Vec<Value> = plan.prepend.iter().chain(&plan.append).cloned().collect();
            if let Some(l) = list {
                editor.append_items(l, &all)?;
            } else {
                editor.append_to_list(container, "env", &all)?;
            }
            return Ok(record);
        };
        let items = doc.items(list);
        if !plan.prepend.is_empty() {
            editor.replace_items(list, 0..0, &plan.prepend)?;
        }
        for (index, value) in &plan.set_values {
            let raw = set_env_value(editor, doc, items[*index], None, value)?;
            record
                .modified
                .push((*index, raw, original_value(original, *index)));
        }
        if !plan.remove.is_empty() {
            for &index in &plan.remove {
                let raw = editor
                    .raw_item(items[index])
                    .ok_or_else(|| record_error("env", "an item to move cannot be read back"))?;
                record.removed.push((index, raw, original[index].clone()));
            }
            editor.remove_items(list, &plan.remove)?;
        }
        editor.append_items(list, &plan.append)?;
        return Ok(record);
    };
    record.origin = old.origin.clone();
    let list = list.ok_or_else(|| record_error("env", "is not a list any more"))?;
    let items = doc.items(list);
    let (p, a) = (old.prepended.len(), old.appended.len());
    if p + a > items.len() {
        return Err(record_error(
            "env",
            "has fewer items than the record says were added",
        ));
    }
    let middle_end = items.len() - a;
    let whole_list_ours = p + a == items.len() && original.is_empty();
    if whole_list_ours && new.is_none() {
        restore_list(editor, container, "env", &old.origin)?;
        return Ok(record);
    }
    // Prepended run.
    if values_of(doc, &items[..p])? != plan.prepend {
        if whole_list_ours {
            let all: Vec<Value> = plan.prepend.iter().chain(&plan.append).cloned().collect();
            if values_of(doc, items)? != all {
                editor.replace_items(list, 0..items.len(), &all)?;
            }
            return Ok(record);
        }
        editor.replace_items(list, 0..p, &plan.prepend)?;
    }
    // Original items: where each one sits now.
    let mut current_of = Vec::with_capacity(original.len());
    let mut at = p;
    for index in 0..original.len() {
        if old.removed.iter().any(|(i, _, _)| *i == index) {
            current_of.push(None);
        } else {
            current_of.push(Some(at));
            at += 1;
        }
    }
    if at != middle_end {
        return Err(record_error(
            "env",
            "its original items changed since the injection",
        ));
    }
    let mut restore: Vec<(usize, String)> = Vec::new();
    let mut remove_now = Vec::new();
    for (index, position) in current_of.iter().enumerate() {
        let removed_old = old.removed.iter().find(|(i, _, _)| *i == index);
        let removed_new = plan.remove.contains(&index);
        let modified_old = old.modified.iter().find(|(i, _, _)| *i == index);
        let modified_new = plan.set_values.iter().find(|(i, _)| *i == index);
        match (position, removed_old, removed_new) {
            (None, Some((_, raw, value)), true) => {
                record.removed.push((index, raw.clone(), value.clone()))
            }
            (None, Some((_, raw, _)), false) => {
                // Put it back before the next original item still there.
                let before = current_of[index + 1..]
                    .iter()
                    .flatten()
                    .next()
                    .copied()
                    .unwrap_or(middle_end);
                restore.push((before, raw.clone()));
            }
            (Some(pos), _, true) => {
                let raw = editor
                    .raw_item(items[*pos])
                    .ok_or_else(|| record_error("env", "an item to move cannot be read back"))?;
                record.removed.push((index, raw, original[index].clone()));
                remove_now.push(*pos);
            }
            (Some(pos), _, false) => {
                let item = items[*pos];
                match (modified_old, modified_new) {
                    (Some((_, raw, was)), Some((_, value))) => {
                        let now = doc.get(item, "value").and_then(|v| doc.scalar(v));
                        if now != Some(value.as_str()) {
                            set_env_value(editor, doc, item, Some(raw), value)?;
                        }
                        record.modified.push((index, raw.clone(), was.clone()));
                    }
                    (Some((_, raw, _)), None) => {
                        let node = doc
                            .get(item, "value")
                            .ok_or_else(|| record_error("env", "a rewritten value is missing"))?;
                        if raw.is_empty() {
                            editor.remove_entries(item, &["value"])?;
                        } else {
                            editor.restore_scalar(node, raw)?;
                        }
                    }
                    (None, Some((_, value))) => {
                        let raw = set_env_value(editor, doc, item, None, value)?;
                        record
                            .modified
                            .push((index, raw, original_value(original, index)));
                    }
                    (None, None) => {}
                }
            }
            (None, None, _) => return Err(record_error("env", "lost an original item")),
        }
    }
    for (before, raw) in restore {
        editor.insert_raw_items(list, before, &[raw])?;
    }
    if !remove_now.is_empty() {
        editor.remove_items(list, &remove_now)?;
    }
    // Appended run.
    if values_of(doc, &items[middle_end..])? != plan.append {
        editor.replace_items(list, middle_end..items.len(), &plan.append)?;
    }
    Ok(record)
}

/// The text of the `value` of original env item `index`.
fn original_value(original: &[Value], index: usize) -> String {
    match original.get(index).and_then(|v| v.get("value")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Rewrites an env item's `value` (adding it when the item has none) in
/// the style of `like` (the original source text), else of the current
/// text. Returns the original source text to record (`""`: no value).
fn set_env_value(
    editor: &mut Editor<'_, '_>,
    doc: &Doc<'_>,
    item: NodeId,
    like: Option<&str>,
    value: &str,
) -> Result<String, ApplyError> {
    match doc.get(item, "value") {
        Some(node) => {
            let raw = like.map_or_else(
                || editor.raw_scalar(node).unwrap_or_default().to_string(),
                str::to_string,
            );
            editor.set_scalar_like(node, &raw, value)?;
            Ok(raw)
        }
        None => {
            editor.insert_entry(item, "value", &json!(value))?;
            Ok(like.unwrap_or_default().to_string())
        }
    }
}

/// Writes, updates or removes the record annotation. `old_raw` is the
/// current annotation text, if any.
pub fn write_record(
    editor: &mut Editor<'_, '_>,
    template: Template,
    record: Option<&mut Record>,
    had_record: bool,
) -> Result<(), ApplyError> {
    let doc = editor.doc();
    let metadata = doc
        .get(template.node, "metadata")
        .filter(|&m| !doc.is_null(m));
    let annotations = metadata
        .and_then(|m| doc.get(m, "annotations"))
        .filter(|&a| !doc.is_null(a));
    let current = annotations.and_then(|a| doc.get(a, RECORD_ANNOTATION));
    match record {
        Some(record) => {
            if had_record {
                if let Some(old) = current
                    .and_then(|c| doc.scalar(c))
                    .and_then(|t| Record::from_json(t).ok())
                {
                    record.metadata_created = old.metadata_created;
                    record.annotations_created = old.annotations_created;
                }
            } else {
                record.metadata_created = metadata.is_none();
                record.annotations_created = annotations.is_none();
            }
            let text = record.to_json();
            match (current, metadata) {
                (Some(node), _) => {
                    if doc.scalar(node) != Some(text.as_str()) {
                        editor.set_scalar(node, &text)?;
                    }
                }
                (None, Some(meta)) => {
                    let mut entry = Map::new();
                    entry.insert(RECORD_ANNOTATION.into(), json!(text));
                    editor.insert_into_map(meta, "annotations", &entry)?;
                }
                (None, None) => {
                    editor.insert_entry(
                        template.node,
                        "metadata",
                        &json!({"annotations": {RECORD_ANNOTATION: text}}),
                    )?;
                }
            }
        }
        None => {
            let Some(node) = current else {
                return Ok(());
            };
            let old = doc
                .scalar(node)
                .and_then(|t| Record::from_json(t).ok())
                .unwrap_or_default();
            let (Some(meta), Some(ann)) = (metadata, annotations) else {
                return Ok(());
            };
            let only_ours = doc.entries(ann).count() == 1;
            if old.metadata_created && only_ours && doc.entries(meta).count() == 1 {
                editor.remove_entries(template.node, &["metadata"])?;
            } else if old.annotations_created && only_ours {
                editor.remove_entries(meta, &["annotations"])?;
            } else {
                editor.remove_entries(ann, &[RECORD_ANNOTATION])?;
            }
        }
    }
    Ok(())
}
