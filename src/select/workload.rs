//! Workload kinds, pod-template locations, objects that are never touched,
//! and the `Namespace` objects among the items.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::config::WorkloadKind;
use crate::krm::Item;
use crate::yaml::{Doc, Kind, NodeId, ViewError};

/// `config.kubernetes.io/local-config`.
pub const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";
/// `config.kubernetes.io/function`: marks a function's config object
/// (kustomize `transformers:`, kpt `--fn-config` files).
pub const FUNCTION_ANNOTATION: &str = "config.kubernetes.io/function";
/// The namespace a namespace-less object is assumed to be in (see the module
/// documentation of [`crate::select`]).
pub const DEFAULT_NAMESPACE: &str = "default";

/// `apiVersion` group, without the version (`""` for the core group `v1`).
fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Where the pod template of an object is, as keys from the object root.
///
/// - `Pod` (core) → `[]`: the object itself (its `metadata` and `spec`) is
///   the template.
/// - `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet` (`apps`; the
///   retired `extensions` group too for Deployment, DaemonSet and
///   ReplicaSet), `ReplicationController` (core), `Job` (`batch`), Argo
///   `Rollout` (`argoproj.io`) → `spec.template`.
/// - `CronJob` (`batch`, any version: v1, v1beta1, v2alpha1) →
///   `spec.jobTemplate.spec.template`.
/// - `PodTemplate` (core) → `template`.
///
/// Built-ins match on kind (case-sensitive, as Kubernetes does) and group;
/// the version is ignored. `extra` (`spec.workloads`) is consulted first, so
/// it can also override a built-in. An extra entry matches on kind and on
/// `apiVersion`: equal, or `<group>/*` for any version of a group, or empty
/// for any apiVersion.
///
/// `None` for every other kind: not a workload.
pub fn pod_template_path(
    api_version: &str,
    kind: &str,
    extra: &[WorkloadKind],
) -> Option<Vec<String>> {
    if let Some(w) = extra
        .iter()
        .find(|w| w.kind == kind && extra_api_version_matches(&w.api_version, api_version))
    {
        return Some(w.pod_template_path.clone());
    }
    let group = group_of(api_version);
    let path: &[&str] = match (group, kind) {
        ("", "Pod") => &[],
        ("", "PodTemplate") => &["template"],
        ("", "ReplicationController")
        | ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("extensions", "Deployment" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job")
        | ("argoproj.io", "Rollout") => &["spec", "template"],
        ("batch", "CronJob") => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    };
    Some(path.iter().map(|s| (*s).to_string()).collect())
}

fn extra_api_version_matches(pattern: &str, api_version: &str) -> bool {
    if pattern.is_empty() || pattern == api_version {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(group) => api_version.contains('/') && group_of(api_version) == group,
        None => false,
    }
}

/// The pod-template node of a workload item (the item itself for a `Pod`):
/// `None` when the kind has no pod template or the template is missing or
/// not a mapping (an Argo Rollout with `workloadRef`, a half-written
/// manifest). An alias at the template is followed.
pub fn pod_template(doc: &Doc<'_>, item: &Item, extra: &[WorkloadKind]) -> Option<NodeId> {
    let path = pod_template_path(&item.api_version, &item.kind, extra)?;
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    let node = resolve_alias(doc, doc.path(item.node, &keys)?)?;
    (doc.kind(node) == Kind::Map).then_some(node)
}

fn resolve_alias(doc: &Doc<'_>, node: NodeId) -> Option<NodeId> {
    match doc.kind(node) {
        Kind::Alias => doc.alias_target(node),
        _ => Some(node),
    }
}

fn text<'d>(doc: &'d Doc<'_>, node: NodeId, keys: &[&str]) -> Option<&'d str> {
    doc.path(node, keys)
        .filter(|&n| !doc.is_null(n))
        .and_then(|n| doc.scalar(n))
        .filter(|s| !s.is_empty())
}

/// Items the function never changes (krm-conventions §1 item 8):
///
/// - local-config objects: `config.kubernetes.io/local-config` present with
///   any value other than empty or `"false"` (the kpt SDK's `IsLocalConfig`
///   rule; the spec only defines `"true"`, anything else is treated as "do
///   not touch");
/// - function config objects: any object carrying
///   `config.kubernetes.io/function`;
/// - the `Kptfile` (kind `Kptfile`, group `kpt.dev`);
/// - the function's own config: same apiVersion, kind, `metadata.name` and
///   `metadata.namespace` as `function_config` (kpt ≤ beta.56 also sends it
///   in `items`).
///
/// Kinds without a pod template are not listed here; they are skipped
/// because [`pod_template_path`] returns `None`.
pub fn is_never_touched(doc: &Doc<'_>, item: &Item, function_config: Option<NodeId>) -> bool {
    if let Some(annotations) = doc.path(item.node, &["metadata", "annotations"]) {
        let local = doc
            .get(annotations, LOCAL_CONFIG_ANNOTATION)
            .filter(|&n| !doc.is_null(n))
            .and_then(|n| doc.scalar(n))
            .is_some_and(|v| !v.is_empty() && v != "false");
        if local || doc.get(annotations, FUNCTION_ANNOTATION).is_some() {
            return true;
        }
    }
    if item.kind == "Kptfile" && group_of(&item.api_version) == "kpt.dev" {
        return true;
    }
    let Some(fc) = function_config else {
        return false;
    };
    text(doc, fc, &["apiVersion"]).unwrap_or_default() == item.api_version
        && text(doc, fc, &["kind"]).unwrap_or_default() == item.kind
        && text(doc, fc, &["metadata", "name"]).unwrap_or_default() == item.name
        && text(doc, fc, &["metadata", "namespace"]) == item.namespace.as_deref()
}

/// The namespace an object is taken to be in: its own, or [`DEFAULT_NAMESPACE`]
/// when absent or empty.
pub fn effective_namespace(namespace: Option<&str>) -> &str {
    match namespace {
        Some(ns) if !ns.is_empty() => ns,
        _ => DEFAULT_NAMESPACE,
    }
}

/// `Namespace` objects (core `v1`) among the items: name →
/// `metadata.annotations` node (a mapping). A Namespace without annotations
/// is left out (the same as empty annotations). When two Namespace objects
/// share a name, the first wins. Every Namespace counts, local-config ones
/// included (a local-config Namespace is a way to give the function
/// namespace annotations without deploying them).
///
/// Look a pod's namespace up with [`effective_namespace`], and read the node
/// with [`annotation_map`] to feed [`crate::select::annotation_value`].
pub fn namespace_annotations(doc: &Doc<'_>, items: &[Item]) -> HashMap<String, NodeId> {
    let mut out = HashMap::new();
    for item in items {
        if item.kind != "Namespace"
            || !group_of(&item.api_version).is_empty()
            || item.name.is_empty()
        {
            continue;
        }
        let Some(node) = doc
            .path(item.node, &["metadata", "annotations"])
            .and_then(|n| resolve_alias(doc, n))
            .filter(|&n| doc.kind(n) == Kind::Map)
        else {
            continue;
        };
        out.entry(item.name.clone()).or_insert(node);
    }
    out
}

/// A mapping node as a JSON object (aliases and merge keys applied, as
/// kubectl reads it); anything that is not a mapping gives an empty object.
pub fn annotation_map(doc: &Doc<'_>, node: NodeId) -> Result<Map<String, Value>, ViewError> {
    Ok(match doc.to_value(node)? {
        Value::Object(map) => map,
        _ => Map::new(),
    })
}
