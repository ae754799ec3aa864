//! KRM function results: the structured findings written into the output
//! ResourceList, their deterministic order, and the human summary on stderr.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::resource_list::Item;
use crate::yaml::{Doc, EditError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Field {
    pub path: String,
    pub current_value: Option<Value>,
    pub proposed_value: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FileRef {
    pub path: String,
    pub index: Option<u64>,
}

/// One result, as the KRM Functions spec defines it.
#[derive(Clone, Debug, PartialEq)]
pub struct KrmResult {
    pub message: String,
    pub severity: Severity,
    pub resource_ref: Option<ResourceRef>,
    pub field: Option<Field>,
    pub file: Option<FileRef>,
    pub tags: BTreeMap<String, String>,
}

impl KrmResult {
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        KrmResult {
            message: message.into(),
            severity,
            resource_ref: None,
            field: None,
            file: None,
            tags: BTreeMap::new(),
        }
    }

    /// A result about an item: its resourceRef and file come from the item.
    pub fn about(item: &Item, severity: Severity, message: impl Into<String>) -> Self {
        KrmResult {
            resource_ref: Some(item.resource_ref()),
            file: item.file.clone(),
            ..KrmResult::new(severity, message)
        }
    }

    /// An edit of `item` that the document layer refused, pointing at the
    /// refused field.
    pub fn edit_refused(item: &Item, doc: &Doc<'_>, error: &EditError) -> Self {
        let result = KrmResult::about(item, Severity::Error, error.reason());
        match error.node() {
            Some(node) => result.field(doc.path_within(node, Some(item.node))),
            None => result,
        }
    }

    pub fn field(mut self, path: impl Into<String>) -> Self {
        self.field_mut().path = path.into();
        self
    }

    pub fn current(mut self, value: Value) -> Self {
        self.field_mut().current_value = Some(value);
        self
    }

    pub fn proposed(mut self, value: Value) -> Self {
        self.field_mut().proposed_value = Some(value);
        self
    }

    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    fn field_mut(&mut self) -> &mut Field {
        self.field.get_or_insert_with(Field::default)
    }

    /// The result as it appears in the output ResourceList.
    pub fn to_value(&self) -> Value {
        let mut out = Map::new();
        out.insert("message".into(), json!(self.message));
        out.insert("severity".into(), json!(self.severity.as_str()));
        if let Some(r) = &self.resource_ref {
            let mut m = Map::new();
            m.insert("apiVersion".into(), json!(r.api_version));
            m.insert("kind".into(), json!(r.kind));
            m.insert("name".into(), json!(r.name));
            if let Some(ns) = &r.namespace {
                m.insert("namespace".into(), json!(ns));
            }
            out.insert("resourceRef".into(), Value::Object(m));
        }
        if let Some(f) = &self.field {
            let mut m = Map::new();
            m.insert("path".into(), json!(f.path));
            if let Some(v) = &f.current_value {
                m.insert("currentValue".into(), v.clone());
            }
            if let Some(v) = &f.proposed_value {
                m.insert("proposedValue".into(), v.clone());
            }
            out.insert("field".into(), Value::Object(m));
        }
        if let Some(f) = &self.file {
            let mut m = Map::new();
            m.insert("path".into(), json!(f.path));
            if let Some(i) = f.index {
                m.insert("index".into(), json!(i));
            }
            out.insert("file".into(), Value::Object(m));
        }
        if !self.tags.is_empty() {
            let tags: Map<String, Value> = self
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            out.insert("tags".into(), Value::Object(tags));
        }
        Value::Object(out)
    }

    /// `[severity] apiVersion/kind/namespace/name field: message`, as kpt
    /// prints results.
    pub fn summary_line(&self) -> String {
        let mut line = format!("[{}]", self.severity.as_str());
        if let Some(r) = &self.resource_ref {
            let ns = r
                .namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            let _ = write!(line, " {}/{}/{ns}{}", r.api_version, r.kind, r.name);
        }
        if let Some(f) = &self.field {
            let _ = write!(line, " {}", f.path);
        }
        let _ = write!(line, ": {}", self.message);
        if let Some(file) = &self.file {
            let _ = write!(line, " ({})", file.path);
        }
        line
    }

    fn sort_key(
        &self,
    ) -> (
        Severity,
        &Option<FileRef>,
        &Option<ResourceRef>,
        Option<&str>,
        &str,
    ) {
        (
            self.severity,
            &self.file,
            &self.resource_ref,
            self.field.as_ref().map(|f| f.path.as_str()),
            &self.message,
        )
    }
}

/// The results of one run.
#[derive(Debug, Default)]
pub struct Results {
    list: Vec<KrmResult>,
}

impl Results {
    pub fn push(&mut self, result: KrmResult) {
        self.list.push(result);
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|r| r.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &KrmResult> {
        self.list.iter()
    }

    /// The results in their output order: errors first, then warnings, then
    /// info (kpt shows only the first lines), each by file, resource, field
    /// and message; equal keys keep the order they were found in.
    pub fn sorted(mut self) -> Vec<KrmResult> {
        // Sorts indices, then moves the results into place: a stable sort
        // of the results themselves would need scratch space for half of
        // them (thousands, hundreds of bytes each).
        let list = &mut self.list;
        let mut order: Vec<usize> = (0..list.len()).collect();
        order.sort_by(|&a, &b| list[a].sort_key().cmp(&list[b].sort_key()));
        // Position `i` takes the result at `order[i]`, cycle by cycle.
        for start in 0..order.len() {
            let mut cur = start;
            while order[cur] != cur {
                let next = order[cur];
                order[cur] = cur;
                if next == start {
                    break;
                }
                list.swap(cur, next);
                cur = next;
            }
        }
        self.list
    }
}

/// The short human summary for stderr: counts, then one line per error and
/// warning (kustomize shows users nothing else).
pub fn stderr_summary(results: &[KrmResult]) -> String {
    let count = |s| results.iter().filter(|r| r.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    if errors == 0 && warnings == 0 {
        return String::new();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = format!(
        "inject-otel-python: {}, {}\n",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    for r in results.iter().filter(|r| r.severity != Severity::Info) {
        let _ = writeln!(out, "  {}", r.summary_line());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place permutation gives what a stable sort of the results
    /// gives: equal keys keep the order they were found in.
    #[test]
    fn sorted_is_a_stable_sort() {
        let mut results = Results::default();
        let mut reference = Vec::new();
        let mut seed = 7u64;
        for i in 0..500 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let severity =
                [Severity::Info, Severity::Warning, Severity::Error][(seed >> 33) as usize % 3];
            let mut r =
                KrmResult::new(severity, format!("m{}", (seed >> 40) % 4)).tag("i", i.to_string());
            if seed >> 50 & 1 == 0 {
                r = r.field(format!("f{}", (seed >> 20) % 3));
            }
            results.push(r.clone());
            reference.push(r);
        }
        reference.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        assert_eq!(results.sorted(), reference);
    }
}
