//! `spec.selector`: kinds, names, namespaces and a Kubernetes label selector.

use serde_json::{Map, Value};

use super::scalar_text;
use crate::config::{LabelOperator, LabelSelector, Selector};

/// Whether a workload matches `spec.selector`. Every present criterion must
/// match:
///
/// - `kinds`, `names`: any of (exact, case-sensitive); empty = any.
/// - `namespaces`: any of; empty = any. A workload **without** namespace
///   matches only when the list is empty or contains `""`: where it will be
///   deployed is unknown at build time, so `default` does not match it.
/// - `labels`: [`label_selector_matches`] on the workload's
///   `metadata.labels` (not the pod template's).
pub fn selector_matches(
    sel: &Selector,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    labels: &Map<String, Value>,
) -> bool {
    let any_of = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
    let namespace = namespace.unwrap_or_default();
    any_of(&sel.kinds, kind)
        && any_of(&sel.names, name)
        && any_of(&sel.namespaces, namespace)
        && sel
            .labels
            .as_ref()
            .is_none_or(|l| label_selector_matches(l, labels))
}

/// Kubernetes label-selector semantics (`metav1.LabelSelectorAsSelector`):
/// every `matchLabels` pair and every expression must hold; an empty
/// selector matches everything.
///
/// - `In`: the key is present and its value is one of `values`.
/// - `NotIn`: the key is absent, or its value is none of `values`.
/// - `Exists` / `DoesNotExist`: presence of the key; `values` ignored.
///
/// Label values are strings in Kubernetes; an unquoted YAML scalar that
/// reads as a number or boolean (`version: 1`) is compared by its text
/// (`"1"`, `"true"`); null, lists and objects count as absent.
pub fn label_selector_matches(sel: &LabelSelector, labels: &Map<String, Value>) -> bool {
    let value = |key: &str| labels.get(key).and_then(scalar_text);
    sel.match_labels
        .iter()
        .all(|(k, v)| value(k).as_deref() == Some(v.as_str()))
        && sel.match_expressions.iter().all(|e| {
            let current = value(&e.key);
            match e.operator {
                LabelOperator::In => current.is_some_and(|c| e.values.contains(&c)),
                LabelOperator::NotIn => current.is_none_or(|c| !e.values.contains(&c)),
                LabelOperator::Exists => current.is_some(),
                LabelOperator::DoesNotExist => current.is_none(),
            }
        })
}
