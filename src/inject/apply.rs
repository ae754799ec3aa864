//! A [`Plan`] turned into text edits, with a record of what was added, so
//! that a later run converges: running again with another config (or in
//! `remove` mode) first undoes the recorded additions, then applies the new
//! plan, in one set of edits planned against the one parse.
//!
//! The record is an annotation on the pod template. It names every item the
//! function added (by list and name), remembers the source text of every
//! value it rewrote and of every item it moved, and whether it created the
//! lists and maps it filled. Undoing it gives back the original text.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::plan::{ContainerPlan, EnvPlan, Plan, final_env};
use crate::yaml::{Doc, EditError, Editor, Kind, NodeId};

/// The annotation that records what the function added to a pod template.
pub const RECORD_ANNOTATION: &str = "inject-otel-python.kpt.dev/record";

const RECORD_VERSION: u64 = 1;

/// What was added to one list (`volumes`, `volumeMounts`): the names of the
/// appended items, and how the list came to be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ListRecord {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appended: Vec<String>,
    #[serde(skip_serializing_if = "ListOrigin::is_existing")]
    pub origin: ListOrigin,
}

impl ListRecord {
    fn is_empty(&self) -> bool {
        self.appended.is_empty() && self.origin.is_existing()
    }
}

/// Whether a list or map the function filled was there before.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListOrigin {
    /// It existed.
    #[default]
    Existing,
    /// The key was absent; the function added it.
    Created,
    /// The key held a null, whose source text this is (`""`, `~`, `null`).
    Null(String),
}

impl ListOrigin {
    fn is_existing(&self) -> bool {
        *self == ListOrigin::Existing
    }
}

/// An env value the function rewrote in place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rewritten {
    /// Position in the original list.
    pub index: usize,
    /// The original source text of the value (`""`: the item had none).
    pub raw: String,
    /// The original value.
    pub value: String,
}

/// An env item the function moved (took out; its merged form is appended).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub index: usize,
    /// The item's source text, indented relative to its dash.
    pub raw: String,
    pub value: Value,
    /// Comment lines above it, left in place when it was taken out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub comments: usize,
    /// Blank or shallower comment lines below it, left in place too.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub below: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A flow-style env list, replaced as a whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowList {
    pub raw: String,
    pub value: Value,
}

/// What was done to a container's env list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvRecord {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prepended: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub appended: Vec<String>,
    #[serde(skip_serializing_if = "ListOrigin::is_existing")]
    pub origin: ListOrigin,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewritten: Vec<Rewritten>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
    /// Set when the original list was in flow style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowList>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRecord {
    pub name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    #[serde(default)]
    pub env: EnvRecord,
    #[serde(default, skip_serializing_if = "ListRecord::is_empty")]
    pub volume_mounts: ListRecord,
}

/// The whole record of one pod template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub version: u64,
    /// Index of the injected init container in `initContainers`.
    pub init_container: usize,
    #[serde(default, skip_serializing_if = "ListOrigin::is_existing")]
    pub init_containers: ListOrigin,
    #[serde(default, skip_serializing_if = "ListRecord::is_empty")]
    pub volumes: ListRecord,
    pub containers: Vec<ContainerRecord>,
    /// How the template's `metadata` and `metadata.annotations` that hold
    /// this record came to be.
    #[serde(default, skip_serializing_if = "ListOrigin::is_existing")]
    pub metadata: ListOrigin,
    #[serde(default, skip_serializing_if = "ListOrigin::is_existing")]
    pub annotations: ListOrigin,
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

impl Record {
    /// The record as the compact JSON written into the annotation.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a record written by [`Record::to_json`].
    pub fn from_json(text: &str) -> Result<Record, String> {
        let record: Record = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if record.version != RECORD_VERSION {
            return Err(format!(
                "unknown record version {} (this function writes {RECORD_VERSION})",
                record.version
            ));
        }
        Ok(record)
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

fn names_match(items: &[Value], names: &[String]) -> bool {
    items
        .iter()
        .map(name_of)
        .eq(names.iter().map(|n| Some(n.as_str())))
}

/// Removes the last `names.len()` items of `list`, checking their names.
fn drop_tail(list: &mut Vec<Value>, names: &[String], field: &str) -> Result<(), ApplyError> {
    let keep = list
        .len()
        .checked_sub(names.len())
        .ok_or_else(|| record_error(field, "has fewer items than the record says were added"))?;
    if !names_match(&list[keep..], names) {
        return Err(record_error(
            field,
            "its added items changed since they were added",
        ));
    }
    list.truncate(keep);
    Ok(())
}

/// Puts a list value back as it came: kept, removed, or null.
fn put_back(
    parent: &mut Map<String, Value>,
    key: &str,
    list: Vec<Value>,
    origin: &ListOrigin,
    field: &str,
) -> Result<(), ApplyError> {
    match origin {
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

/// Undoes a list addition on the value of `parent[key]`.
fn undo_list(
    parent: &mut Map<String, Value>,
    key: &str,
    rec: &ListRecord,
    field: &str,
) -> Result<(), ApplyError> {
    if rec.is_empty() {
        return Ok(());
    }
    let mut list = match parent.get(key) {
        Some(Value::Array(a)) => a.clone(),
        _ => return Err(record_error(field, "is missing")),
    };
    drop_tail(&mut list, &rec.appended, field)?;
    put_back(parent, key, list, &rec.origin, field)
}

/// Undoes a map the function created or filled to hold its record.
fn undo_map(parent: &mut Map<String, Value>, key: &str, origin: &ListOrigin) {
    let empty = parent
        .get(key)
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty);
    match origin {
        ListOrigin::Created if empty => {
            parent.shift_remove(key);
        }
        ListOrigin::Null(_) if empty => {
            parent.insert(key.to_string(), Value::Null);
        }
        _ => {}
    }
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
        }
        undo_map(meta, "annotations", &rec.annotations);
    }
    undo_map(obj, "metadata", &rec.metadata);
    let spec = obj
        .get_mut("spec")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| record_error("spec", "is missing"))?;
    match spec.get_mut("initContainers") {
        Some(Value::Array(list))
            if list.get(rec.init_container).and_then(name_of)
                == Some(super::plan::INIT_CONTAINER_NAME) =>
        {
            let mut list = std::mem::take(list);
            list.remove(rec.init_container);
            put_back(
                spec,
                "initContainers",
                list,
                &rec.init_containers,
                "spec.initContainers",
            )?;
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
            &c.volume_mounts,
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
    if let Some(flow) = &rec.flow {
        container.insert("env".into(), flow.value.clone());
        return Ok(());
    }
    if *rec == EnvRecord::default() {
        return Ok(());
    }
    let mut list = match container.get("env") {
        Some(Value::Array(a)) => a.clone(),
        _ => return Err(record_error(field, "is missing")),
    };
    let p = rec.prepended.len();
    if list.len() < p || !names_match(&list[..p], &rec.prepended) {
        return Err(record_error(
            field,
            "its added items changed since they were added",
        ));
    }
    list.drain(..p);
    drop_tail(&mut list, &rec.appended, field)?;
    for moved in &rec.moved {
        if moved.index > list.len() {
            return Err(record_error(field, "a moved item cannot be put back"));
        }
        list.insert(moved.index, moved.value.clone());
    }
    for r in &rec.rewritten {
        let item = list
            .get_mut(r.index)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| record_error(field, "a rewritten value is missing"))?;
        if r.raw.is_empty() {
            item.shift_remove("value");
        } else {
            item.insert("value".into(), json!(r.value));
        }
    }
    put_back(container, "env", list, &rec.origin, field)
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
    let mut record = Record {
        version: RECORD_VERSION,
        ..Record::default()
    };
    let new_init = new.map(|p| (&p.init_container, p.init_container_index));
    record.init_containers = sync_init_container(editor, doc, spec, old, new_init, &original_spec)?;
    if let Some(p) = new {
        record.init_container = p.init_container_index;
    }
    let new_volumes: &[Value] = new.map_or(&[], |p| &p.volumes);
    record.volumes = sync_tail_list(
        editor,
        doc,
        spec,
        "volumes",
        old.map(|r| &r.volumes),
        new_volumes,
    )?;

    // The new plan's containers, in its order, then the old record's others
    // (undone, not recorded).
    let mut names: Vec<(String, bool)> = Vec::new();
    for (name, init) in new
        .into_iter()
        .flat_map(|p| p.containers.iter().map(|c| (c.name.clone(), c.init)))
        .chain(
            old.into_iter()
                .flat_map(|r| r.containers.iter().map(|c| (c.name.clone(), c.init))),
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
        let volume_mounts = sync_tail_list(
            editor,
            doc,
            container,
            "volumeMounts",
            old_c.map(|c| &c.volume_mounts),
            new_c.map_or(&[], |c: &ContainerPlan| &c.mounts),
        )?;
        if new_c.is_some() {
            record.containers.push(ContainerRecord {
                name,
                init,
                env,
                volume_mounts,
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

/// How the value at `parent[key]` came to be, before the function fills it.
fn origin_of(editor: &Editor<'_, '_>, parent: NodeId, key: &str) -> ListOrigin {
    let doc = editor.doc();
    match doc.get(parent, key) {
        None => ListOrigin::Created,
        Some(n) if doc.is_null(n) => {
            ListOrigin::Null(editor.raw_scalar(n).unwrap_or_default().to_string())
        }
        Some(_) => ListOrigin::Existing,
    }
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
    let Some(old) = old.filter(|o| !o.is_empty()) else {
        if new.is_empty() {
            return Ok(ListRecord::default());
        }
        let origin = origin_of(editor, parent, key);
        editor.append_to_list(parent, key, new)?;
        return Ok(ListRecord { appended, origin });
    };
    let list =
        list_at(doc, parent, key).ok_or_else(|| record_error(key, "is not a list any more"))?;
    let items = doc.items(list);
    let ours = items.len() - old.appended.len().min(items.len());
    if values_of(doc, &items[ours..])? != new {
        if ours == 0 && new.is_empty() {
            restore_list(editor, parent, key, &old.origin)?;
        } else {
            editor.replace_items(list, ours..items.len(), new)?;
        }
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
        let origin = origin_of(editor, spec, "initContainers");
        if let Some((ic, index)) = new {
            match list_at(doc, spec, "initContainers") {
                Some(list) if index < original_len => {
                    editor.replace_items(list, index..index, std::slice::from_ref(ic))?;
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

/// The dash-to-content offset of a raw item text (`-   name` is 4).
fn raw_offset(raw: &str) -> Option<usize> {
    let rest = raw.strip_prefix('-')?;
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    (spaces > 0 && !rest.trim_start().starts_with('#')).then_some(spaces + 1)
}

/// The offset a fresh injection gives appended env items: that of the last
/// original item that stays, else of the last original item.
fn append_offset(
    editor: &Editor<'_, '_>,
    items: &[NodeId],
    kept_last: Option<usize>,
    moved_last: Option<&str>,
) -> Option<usize> {
    match kept_last {
        Some(i) => editor.raw_item(items[i]).as_deref().and_then(raw_offset),
        None => moved_last.and_then(raw_offset),
    }
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

    // A flow list (`env: [...]`, JSON) is rewritten as a whole.
    let old_flow = old.and_then(|o| o.flow.clone());
    let is_flow = list.is_some_and(|l| doc.is_flow(l)) && (old.is_none() || old_flow.is_some());
    if is_flow {
        let Some(node) = list else {
            return Err(record_error("env", "is not a list any more"));
        };
        let flow = match old_flow {
            Some(f) => f,
            None => FlowList {
                raw: editor.raw_text(node).to_string(),
                value: Value::Array(original.to_vec()),
            },
        };
        if new.is_some() {
            let text = editor.flow_text(&Value::Array(final_env(original, plan)));
            if editor.raw_text(node) != text {
                editor.replace_text(node, &text)?;
            }
            record.flow = Some(flow);
        } else if editor.raw_text(node) != flow.raw {
            editor.replace_text(node, &flow.raw)?;
        }
        return Ok(record);
    }

    let Some(old) = old else {
        // First injection: the original list is the current one.
        record.origin = origin_of(editor, container, "env");
        let Some(list) = list.filter(|&l| !doc.items(l).is_empty()) else {
            let all: Vec<Value> = plan.prepend.iter().chain(&plan.append).cloned().collect();
            match list {
                Some(l) => editor.append_items(l, &all)?,
                None => editor.append_to_list(container, "env", &all)?,
            }
            return Ok(record);
        };
        let items = doc.items(list);
        if !plan.prepend.is_empty() {
            editor.replace_items(list, 0..0, &plan.prepend)?;
        }
        for (index, value) in &plan.set_values {
            let raw = set_env_value(editor, doc, items[*index], None, value)?;
            record.rewritten.push(Rewritten {
                index: *index,
                raw,
                value: original_value(original, *index),
            });
        }
        for &index in &plan.remove {
            record.moved.push(Moved {
                index,
                raw: editor
                    .raw_item(items[index])
                    .ok_or_else(|| record_error("env", "an item to move cannot be read back"))?,
                value: original[index].clone(),
                comments: editor.comment_lines_above(list, index),
                below: editor.lines_below(list, index),
            });
            editor.remove_item_lines(list, index)?;
        }
        let kept_last = (0..items.len()).rev().find(|i| !plan.remove.contains(i));
        let moved_last = record.moved.last().map(|m| m.raw.clone());
        let offset = append_offset(editor, items, kept_last, moved_last.as_deref());
        editor.replace_items_styled(list, items.len()..items.len(), &plan.append, offset)?;
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
    if p + a == items.len() && original.is_empty() && new.is_none() {
        restore_list(editor, container, "env", &old.origin)?;
        return Ok(record);
    }
    // Prepended run.
    if values_of(doc, &items[..p])? != plan.prepend {
        editor.replace_items(list, 0..p, &plan.prepend)?;
    }
    // Original items: where each one sits now.
    let mut current_of = Vec::with_capacity(original.len());
    let mut at = p;
    for index in 0..original.len() {
        if old.moved.iter().any(|m| m.index == index) {
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
    let mut remove_now = Vec::new();
    for (index, position) in current_of.iter().enumerate() {
        let moved_old = old.moved.iter().find(|m| m.index == index);
        let moved_new = plan.remove.contains(&index);
        let rewritten_old = old.rewritten.iter().find(|r| r.index == index);
        let rewritten_new = plan.set_values.iter().find(|(i, _)| *i == index);
        match (position, moved_old, moved_new) {
            (None, Some(m), true) => record.moved.push(m.clone()),
            (None, Some(m), false) => {
                // Put it back before the next original item still there.
                let before = current_of[index + 1..]
                    .iter()
                    .flatten()
                    .next()
                    .copied()
                    .unwrap_or(middle_end);
                editor.insert_raw_item(list, before, &m.raw, m.comments, m.below)?;
            }
            (Some(pos), _, true) => {
                record.moved.push(Moved {
                    index,
                    raw: editor.raw_item(items[*pos]).ok_or_else(|| {
                        record_error("env", "an item to move cannot be read back")
                    })?,
                    value: original[index].clone(),
                    comments: editor.comment_lines_above(list, *pos),
                    below: editor.lines_below(list, *pos),
                });
                remove_now.push(*pos);
            }
            (Some(pos), _, false) => {
                let item = items[*pos];
                match (rewritten_old, rewritten_new) {
                    (Some(r), Some((_, value))) => {
                        let now = doc.get(item, "value").and_then(|v| doc.scalar(v));
                        if now != Some(value.as_str()) {
                            set_env_value(editor, doc, item, Some(&r.raw), value)?;
                        }
                        record.rewritten.push(r.clone());
                    }
                    (Some(r), None) => {
                        if r.raw.is_empty() {
                            editor.remove_entries(item, &["value"])?;
                        } else {
                            let node = doc.get(item, "value").ok_or_else(|| {
                                record_error("env", "a rewritten value is missing")
                            })?;
                            editor.restore_scalar(node, &r.raw)?;
                        }
                    }
                    (None, Some((_, value))) => {
                        let raw = set_env_value(editor, doc, item, None, value)?;
                        record.rewritten.push(Rewritten {
                            index,
                            raw,
                            value: original_value(original, index),
                        });
                    }
                    (None, None) => {}
                }
            }
            (None, None, _) => return Err(record_error("env", "lost an original item")),
        }
    }
    for pos in remove_now {
        editor.remove_item_lines(list, pos)?;
    }
    // Appended run.
    if values_of(doc, &items[middle_end..])? != plan.append {
        let kept_last = (0..original.len())
            .rev()
            .find(|i| !plan.remove.contains(i))
            .and_then(|i| current_of[i]);
        let moved_last = plan
            .remove
            .iter()
            .max()
            .and_then(|i| record.moved.iter().find(|m| m.index == *i))
            .map(|m| m.raw.clone());
        let offset = if original.is_empty() {
            None
        } else {
            append_offset(editor, items, kept_last, moved_last.as_deref())
        };
        editor.replace_items_styled(list, middle_end..items.len(), &plan.append, offset)?;
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

/// Writes, updates or removes the record annotation.
pub fn write_record(
    editor: &mut Editor<'_, '_>,
    template: Template,
    record: Option<&mut Record>,
    old: Option<&Record>,
) -> Result<(), ApplyError> {
    let doc = editor.doc();
    let metadata = doc
        .get(template.node, "metadata")
        .filter(|&m| doc.kind(m) == Kind::Map);
    let annotations = metadata
        .and_then(|m| doc.get(m, "annotations"))
        .filter(|&a| doc.kind(a) == Kind::Map);
    let current = annotations.and_then(|a| doc.get(a, RECORD_ANNOTATION));
    match (record, old) {
        (Some(record), old) => {
            match old {
                Some(old) => {
                    record.metadata = old.metadata.clone();
                    record.annotations = old.annotations.clone();
                }
                None => {
                    record.metadata = origin_of(editor, template.node, "metadata");
                    record.annotations = match metadata {
                        Some(m) => origin_of(editor, m, "annotations"),
                        None => ListOrigin::Created,
                    };
                }
            }
            let text = record.to_json();
            let mut entry = Map::new();
            entry.insert(RECORD_ANNOTATION.into(), json!(text));
            match (current, metadata) {
                (Some(node), _) => {
                    if doc.scalar(node) != Some(text.as_str()) {
                        editor.set_scalar_fresh(node, &text)?;
                    }
                }
                (None, Some(meta)) => editor.insert_into_map(meta, "annotations", &entry)?,
                (None, None) => {
                    let mut meta = Map::new();
                    meta.insert("annotations".into(), Value::Object(entry));
                    editor.insert_into_map(template.node, "metadata", &meta)?;
                }
            }
        }
        (None, Some(old)) => {
            let (Some(meta), Some(ann), Some(_)) = (metadata, annotations, current) else {
                return Ok(());
            };
            let only_ours = doc.entries(ann).count() == 1;
            let meta_only_annotations = doc.entries(meta).count() == 1;
            if only_ours && meta_only_annotations && !old.metadata.is_existing() {
                restore_list(editor, template.node, "metadata", &old.metadata)?;
            } else if only_ours && !old.annotations.is_existing() {
                restore_list(editor, meta, "annotations", &old.annotations)?;
            } else {
                editor.remove_entries(ann, &[RECORD_ANNOTATION])?;
            }
        }
        (None, None) => {}
    }
    Ok(())
}
