//! The operator's annotations: names, the namespace/pod merge, the
//! `inject-python` decision and Instrumentation instance resolution
//! (operator-python.md §4.1, §4.2).

use serde_json::{Map, Value};

use super::messages::{MULTIPLE_INSTANCES, NO_INSTANCES};
use super::scalar_text;
use super::workload::effective_namespace;

/// `instrumentation.opentelemetry.io/inject-python`.
pub const ANNOTATION_INJECT_PYTHON: &str = "instrumentation.opentelemetry.io/inject-python";
/// `instrumentation.opentelemetry.io/python-container-names`.
pub const ANNOTATION_PYTHON_CONTAINER_NAMES: &str =
    "instrumentation.opentelemetry.io/python-container-names";
/// `instrumentation.opentelemetry.io/container-names`.
pub const ANNOTATION_CONTAINER_NAMES: &str = "instrumentation.opentelemetry.io/container-names";
/// `instrumentation.opentelemetry.io/otel-python-platform`.
pub const ANNOTATION_PYTHON_PLATFORM: &str =
    "instrumentation.opentelemetry.io/otel-python-platform";

/// The text of annotation `key` in `annotations`; `""` when absent (the Go
/// map lookup's zero value). Non-string scalars are taken by their text.
pub fn annotation_text(annotations: &Map<String, Value>, key: &str) -> String {
    annotations
        .get(key)
        .and_then(scalar_text)
        .unwrap_or_default()
}

/// The operator's `annotationValue`: merges the Namespace's and the pod's
/// annotation `key` (§4.2). `namespace_annotations` is `None` when there is
/// no Namespace object for the pod's namespace.
///
/// | namespace | pod | result |
/// |---|---|---|
/// | "" | any | pod |
/// | non-empty | "" | namespace |
/// | non-empty | not `true` | pod |
/// | `false` | `true` | pod (`true`) |
/// | `true` or an instance | `true` | namespace |
///
/// `true` and `false` compare case-insensitively (Go `strings.EqualFold`).
pub fn annotation_value(
    namespace_annotations: Option<&Map<String, Value>>,
    pod_annotations: &Map<String, Value>,
    key: &str,
) -> String {
    let pod = annotation_text(pod_annotations, key);
    let ns = namespace_annotations
        .map(|m| annotation_text(m, key))
        .unwrap_or_default();
    if ns.is_empty() {
        return pod;
    }
    if pod.is_empty() {
        return ns;
    }
    if !pod.eq_ignore_ascii_case("true") {
        return pod;
    }
    if ns.eq_ignore_ascii_case("false") {
        return pod;
    }
    ns
}

/// What the merged `inject-python` value asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InjectDecision {
    /// No injection.
    No,
    /// Inject with this instance: `"true"` (the only Instrumentation in the
    /// pod's namespace — or the functionConfig's, when it has one), a name
    /// (in the pod's namespace) or `ns/name`. Resolve it with
    /// [`resolve_instance`].
    Instance(String),
}

/// The operator's reading of the merged `inject-python` value: `""` or
/// `false` (any case) → [`InjectDecision::No`]; `true` (any case) →
/// `Instance("true")`; anything else → `Instance(value)`.
pub fn inject_decision(value: &str) -> InjectDecision {
    if value.is_empty() || value.eq_ignore_ascii_case("false") {
        InjectDecision::No
    } else if value.eq_ignore_ascii_case("true") {
        InjectDecision::Instance("true".into())
    } else {
        InjectDecision::Instance(value.into())
    }
}

/// Whether the merged `inject-python` value opts out (`false`, any case).
pub fn is_opt_out(value: &str) -> bool {
    value.eq_ignore_ascii_case("false")
}

/// The product's decision (product.md §3), from the selector outcome and
/// the merged `inject-python` value:
///
/// - no selector (`selected` is `None`): the annotation alone decides, as
///   the operator does ([`inject_decision`]);
/// - a selector that does not match (`Some(false)`): [`InjectDecision::No`],
///   whatever the annotation says — the selector is the function's scope;
/// - a selector that matches (`Some(true)`): injected unless the annotation
///   says `false`; no annotation means `Instance("true")` (the default
///   instance), an instance name or `ns/name` is kept.
pub fn decide(selected: Option<bool>, merged_inject_python: &str) -> InjectDecision {
    match selected {
        None => inject_decision(merged_inject_python),
        Some(false) => InjectDecision::No,
        Some(true) if merged_inject_python.is_empty() => InjectDecision::Instance("true".into()),
        Some(true) => inject_decision(merged_inject_python),
    }
}

/// The operator's `getInstrumentationInstance`, against the Instrumentation
/// objects available offline: `available` holds their `(namespace, name)`
/// (the items' Instrumentations, plus the functionConfig if the caller
/// counts it). Returns the index into `available`.
///
/// - `true` (any case): the Instrumentations in the pod's namespace; none →
///   `no OpenTelemetry Instrumentation instances available`, more than one →
///   `multiple OpenTelemetry Instrumentation instances available, cannot
///   determine which one to select`.
/// - `name`: that name in the pod's namespace; `ns/name` (split at the first
///   `/`): that name in `ns`. Not found →
///   `instrumentations.opentelemetry.io "<name>" not found`.
///
/// Namespaces compare through [`effective_namespace`]: an absent or empty
/// namespace (pod, Instrumentation, or the `ns` of `/name`) is `default`.
/// Two objects with the same namespace and name: the first is used.
pub fn resolve_instance(
    value: &str,
    pod_namespace: Option<&str>,
    available: &[(Option<String>, String)],
) -> Result<usize, String> {
    let in_ns = |ns: &str| -> Vec<usize> {
        available
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| effective_namespace(n.as_deref()) == ns)
            .map(|(i, _)| i)
            .collect()
    };
    let pod_ns = effective_namespace(pod_namespace);
    if value.eq_ignore_ascii_case("true") {
        return match in_ns(pod_ns).as_slice() {
            [] => Err(NO_INSTANCES.into()),
            [i] => Ok(*i),
            _ => Err(MULTIPLE_INSTANCES.into()),
        };
    }
    let (ns, name) = match value.split_once('/') {
        Some((ns, name)) => (effective_namespace(Some(ns)), name),
        None => (pod_ns, value),
    };
    in_ns(ns)
        .into_iter()
        .find(|&i| available.get(i).is_some_and(|(_, n)| n == name))
        .ok_or_else(|| format!("instrumentations.opentelemetry.io \"{name}\" not found"))
}
