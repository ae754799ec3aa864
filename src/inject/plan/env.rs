//! A container's env list while the operator's steps run on it, and the
//! [`EnvPlan`] it turns into.

use serde_json::{Value, json};

use super::scalar_text;

pub(super) const PYTHONPATH: &str = "PYTHONPATH";
pub(super) const DJANGO_SETTINGS_MODULE: &str = "DJANGO_SETTINGS_MODULE";
pub(super) const OTEL_NODE_IP: &str = "OTEL_NODE_IP";
pub(super) const OTEL_POD_IP: &str = "OTEL_POD_IP";
pub(super) const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
pub(super) const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub(super) const OTEL_EXPORTER_OTLP_CERTIFICATE: &str = "OTEL_EXPORTER_OTLP_CERTIFICATE";
pub(super) const OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: &str =
    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE";
pub(super) const OTEL_EXPORTER_OTLP_CLIENT_KEY: &str = "OTEL_EXPORTER_OTLP_CLIENT_KEY";
pub(super) const OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
pub(super) const OTEL_RESOURCE_ATTRIBUTES_POD_NAME: &str = "OTEL_RESOURCE_ATTRIBUTES_POD_NAME";
pub(super) const OTEL_RESOURCE_ATTRIBUTES_POD_UID: &str = "OTEL_RESOURCE_ATTRIBUTES_POD_UID";
pub(super) const OTEL_RESOURCE_ATTRIBUTES_NODE_NAME: &str = "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME";
pub(super) const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";
pub(super) const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
pub(super) const OTEL_TRACES_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";

/// How a container's env list changes.
///
/// The target env list = `prepend` ++ (original items, with `set_values`
/// applied and `remove` dropped) ++ `append`. Original items never move
/// otherwise: the only item the operator moves, `OTEL_RESOURCE_ATTRIBUTES`,
/// is expressed as the removal of its original index plus the merged var
/// in `append`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvPlan {
    pub prepend: Vec<Value>,
    /// `(original index, new value)`: the item's `value` is replaced (or
    /// added when it had none); every other key of the item is kept.
    pub set_values: Vec<(usize, String)>,
    /// Original indexes to drop, ascending.
    pub remove: Vec<usize>,
    pub append: Vec<Value>,
}

/// The env list that results from applying `plan` to `original`.
pub fn final_env(original: &[Value], plan: &EnvPlan) -> Vec<Value> {
    let kept = original
        .iter()
        .enumerate()
        .filter(|(index, _)| !plan.remove.contains(index))
        .map(
            |(index, var)| match plan.set_values.iter().rev().find(|(i, _)| *i == index) {
                Some((_, value)) => with_value(var, value),
                None => var.clone(),
            },
        );
    plan.prepend
        .iter()
        .cloned()
        .chain(kept)
        .chain(plan.append.iter().cloned())
        .collect()
}

/// Where an item of the working list comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Prepended,
    /// Index in the container's original list.
    Original(usize),
    Appended,
}

#[derive(Clone, Debug)]
struct Item {
    var: Value,
    origin: Origin,
    /// Set when the operator rewrote the value of an original item.
    new_value: Option<String>,
}

/// The working env list of one container, each item tagged with where it
/// came from, so the result can be given back as an [`EnvPlan`].
#[derive(Clone, Debug)]
pub(super) struct EnvList {
    items: Vec<Item>,
}

impl EnvList {
    pub(super) fn new(original: &[Value]) -> Self {
        let items = original
            .iter()
            .enumerate()
            .map(|(index, var)| Item {
                var: var.clone(),
                origin: Origin::Original(index),
                new_value: None,
            })
            .collect();
        EnvList { items }
    }

    /// Index of the first var of that name (the operator's `getIndexOfEnv`).
    pub(super) fn index_of(&self, name: &str) -> Option<usize> {
        self.items
            .iter()
            .position(|item| name_of(&item.var) == name)
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.index_of(name).is_some()
    }

    pub(super) fn get(&self, index: usize) -> &Value {
        &self.items[index].var
    }

    /// The `value` of the first var of that name, if there is one.
    pub(super) fn value_of_first(&self, name: &str) -> Option<String> {
        self.index_of(name).map(|index| value_of(self.get(index)))
    }

    /// Where the first var of that name came from: its original index, or
    /// `None` when a layer of the Instrumentation added it.
    pub(super) fn original_index_of(&self, name: &str) -> Option<usize> {
        let index = self.index_of(name)?;
        match self.items[index].origin {
            Origin::Original(original) => Some(original),
            Origin::Prepended | Origin::Appended => None,
        }
    }

    pub(super) fn append(&mut self, var: Value) {
        self.items.push(Item {
            var,
            origin: Origin::Appended,
            new_value: None,
        });
    }

    /// The operator's `appendIfNotSet` for one var.
    pub(super) fn append_if_not_set(&mut self, var: Value) {
        if !self.contains(name_of(&var)) {
            self.append(var);
        }
    }

    /// The operator's `appendIfNotSet`: each var in order, first one of a
    /// name wins.
    pub(super) fn append_all_if_not_set(&mut self, vars: &[Value]) {
        for var in vars {
            self.append_if_not_set(var.clone());
        }
    }

    pub(super) fn prepend_if_not_set(&mut self, var: Value) {
        if !self.contains(name_of(&var)) {
            self.items.insert(
                0,
                Item {
                    var,
                    origin: Origin::Prepended,
                    new_value: None,
                },
            );
        }
    }

    pub(super) fn set_value(&mut self, index: usize, value: String) {
        let item = &mut self.items[index];
        item.var = with_value(&item.var, &value);
        if let Origin::Original(_) = item.origin {
            item.new_value = Some(value);
        }
    }

    /// The operator's `moveEnvToListEnd`.
    pub(super) fn move_to_end(&mut self, index: usize) {
        let item = self.items.remove(index);
        self.items.push(item);
    }

    /// The changes around the original list. An original item that ends up
    /// after an added one was moved: it is removed from its place and
    /// appended.
    pub(super) fn into_plan(self) -> EnvPlan {
        let mut plan = EnvPlan::default();
        let mut appending = false;
        let mut last_in_place: Option<usize> = None;
        for item in self.items {
            match item.origin {
                Origin::Prepended => plan.prepend.push(item.var),
                Origin::Appended => {
                    appending = true;
                    plan.append.push(item.var);
                }
                Origin::Original(index) => {
                    let in_order = last_in_place.is_none_or(|last| index > last);
                    if !appending && in_order {
                        last_in_place = Some(index);
                        if let Some(value) = item.new_value {
                            plan.set_values.push((index, value));
                        }
                    } else {
                        plan.remove.push(index);
                        plan.append.push(item.var);
                    }
                }
            }
        }
        plan.remove.sort_unstable();
        plan
    }
}

/// The env var's `name`.
pub(super) fn name_of(var: &Value) -> &str {
    var.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The env var's `value` ("" when it has none, as the API reads it).
pub(super) fn value_of(var: &Value) -> String {
    scalar_text(var.get("value"))
}

/// `valueFrom != nil` in the operator's terms: present and not null.
pub(super) fn has_value_from(var: &Value) -> bool {
    var.get("valueFrom").is_some_and(|v| !v.is_null())
}

/// The operator's message for a var it refuses to rewrite.
pub(super) fn value_from_message(name: &str) -> String {
    format!("the container defines env var value via ValueFrom, envVar: {name}")
}

/// `{name, value}`.
pub(super) fn plain(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// `{name, valueFrom: {fieldRef: {fieldPath}}}`, with no `apiVersion`, as
/// the operator writes it.
pub(super) fn field_ref(name: &str, field_path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}})
}

/// `getDefaultPythonEnvVars` (operator-python.md §1.4), in order.
pub(super) fn python_defaults() -> [Value; 4] {
    [
        plain("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        plain("OTEL_TRACES_EXPORTER", "otlp"),
        plain("OTEL_METRICS_EXPORTER", "otlp"),
        plain("OTEL_LOGS_EXPORTER", "otlp"),
    ]
}

/// The var with its `value` replaced, keeping its other keys in place.
fn with_value(var: &Value, value: &str) -> Value {
    let mut var = var.clone();
    if let Some(fields) = var.as_object_mut() {
        fields.insert("value".to_string(), Value::String(value.to_string()));
    }
    var
}
