//! Which workloads, which pod templates, which containers.
//!
//! Everything here decides; nothing edits. The pieces, in the order a
//! caller uses them for one item:
//!
//! 1. [`is_never_touched`]: local-config objects, the Kptfile, function
//!    configs (product §3, krm-conventions §1 item 8).
//! 2. [`pod_template_path`] / [`pod_template`]: where the pod template is
//!    (built-in kinds plus `spec.workloads`); `None` means "not a workload".
//! 3. [`selector_matches`] (`spec.selector`), [`annotation_value`] (the
//!    operator's namespace/pod merge, with [`namespace_annotations`] for the
//!    `Namespace` objects among the items), then [`decide`] /
//!    [`inject_decision`] and [`resolve_instance`].
//! 4. [`instrumented_by_operator`]: the operator's "already instrumented"
//!    gate (a pod template instrumented by something else is left alone).
//! 5. [`target_containers`]: the containers to instrument, operator order.
//! 6. [`choose_platform`] / [`parse_platform`] / [`is_musl_image`]: glibc or
//!    musl.
//!
//! ## Namespaces
//!
//! A manifest without `metadata.namespace` is applied to the namespace of
//! the kubectl context, which the function cannot know. Two rules, on
//! purpose:
//! - **Operator emulation** (instance resolution, the Namespace whose
//!   annotations apply): an absent or empty namespace is taken to be
//!   `default` ([`effective_namespace`]). So a namespace-less pod and a
//!   namespace-less Instrumentation match, and both match an object in
//!   `default`. A wrong guess costs nothing at run time (the configuration is
//!   baked into the template), while refusing would block the build.
//! - **`spec.selector.namespaces`** is a filter the user writes: a workload
//!   without namespace matches only when the list is empty or contains `""`
//!   (see [`selector_matches`]); `default` does not match it.

mod annotations;
mod containers;
mod platform;
mod selector;
mod workload;

pub use annotations::{
    ANNOTATION_CONTAINER_NAMES, ANNOTATION_INJECT_PYTHON, ANNOTATION_PYTHON_CONTAINER_NAMES,
    ANNOTATION_PYTHON_PLATFORM, InjectDecision, annotation_text, annotation_value, decide,
    inject_decision, is_opt_out, resolve_instance,
};
pub use containers::{
    GO_SIDECAR_NAME, OPERATOR_INIT_CONTAINER_NAMES, OTC_CONTAINER_NAME, Target, TargetSource,
    Targets, duplicated_container_names, instrumented_by_operator, target_containers,
    valid_container_names_annotation,
};
pub use platform::{
    PlatformChoice, PlatformSource, choose_platform, is_musl_image, parse_platform,
    platform_annotation,
};
pub use selector::{label_selector_matches, selector_matches};
pub use workload::{
    DEFAULT_NAMESPACE, FUNCTION_ANNOTATION, LOCAL_CONFIG_ANNOTATION, annotation_map,
    effective_namespace, is_never_touched, namespace_annotations, pod_template, pod_template_path,
};

/// The text of a label or annotation value. Kubernetes only has strings; an
/// unquoted YAML scalar that reads as a number or boolean is taken by its
/// text (`"1"`, `"true"`), null, lists and objects count as absent.
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The operator's error texts, exact (operator-python.md §4.1, §4.3, §1.2).
pub mod messages {
    pub const NO_INSTANCES: &str = "no OpenTelemetry Instrumentation instances available";
    pub const MULTIPLE_INSTANCES: &str = "multiple OpenTelemetry Instrumentation instances available, cannot determine which one to select";
}
