//! The one internal configuration every functionConfig form maps to.

use serde_json::{Map, Value};

/// What the function does to the selected workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Inject,
    Remove,
    Check,
}

/// Which build of the instrumentation the init container copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Glibc,
    Musl,
    /// musl for Alpine-based images, else glibc.
    Auto,
}

/// `spec.selector`: every present field must match (kinds, names and
/// namespaces are each "any of").
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Selector {
    pub kinds: Vec<String>,
    pub names: Vec<String>,
    pub namespaces: Vec<String>,
    pub labels: Option<LabelSelector>,
}

/// A Kubernetes label selector, applied to the workload's `metadata.labels`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<LabelExpression>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelExpression {
    pub key: String,
    pub operator: LabelOperator,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// An extra pod-template kind (`spec.workloads`).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadKind {
    pub api_version: String,
    pub kind: String,
    /// Dotted path of the pod template (`spec.template`).
    pub pod_template_path: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Django {
    /// -> `DJANGO_SETTINGS_MODULE`, unless the container sets it.
    pub settings_module: Option<String>,
    /// Joined into `PYTHONPATH` between the instrumentation prefix and suffix.
    pub app_root: Option<String>,
}

/// The function's own settings (everything that is not the operator's
/// Instrumentation spec).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Settings {
    pub mode: Mode,
    /// `None`: only pod templates that opt in by annotation.
    pub selector: Option<Selector>,
    pub container_names: Vec<String>,
    /// `None`: the pod annotation, else auto-detection.
    pub platform: Option<Platform>,
    pub django: Django,
    pub workloads: Vec<WorkloadKind>,
}

/// TLS of the exporter (`spec.exporter.tls`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tls {
    pub secret_name: String,
    pub config_map_name: String,
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

/// The operator's Instrumentation spec as it concerns Python, after the
/// operator webhook's defaults (image, resource requirements) were applied.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Instrumentation {
    /// `namespace/name` of the Instrumentation object it came from, if any.
    pub origin: Option<(Option<String>, String)>,
    pub exporter_endpoint: String,
    pub tls: Option<Tls>,
    pub propagators: Vec<String>,
    pub sampler_type: String,
    pub sampler_argument: String,
    /// `spec.resource.resourceAttributes`, in the order given.
    pub resource_attributes: Vec<(String, String)>,
    pub add_k8s_uid_attributes: bool,
    pub use_labels_for_resource_attributes: bool,
    /// `spec.env`: EnvVar objects as given.
    pub env: Vec<Value>,
    pub image_pull_policy: Option<String>,
    pub init_container_security_context: Option<Value>,
    pub python_image: String,
    /// `spec.python.env`: EnvVar objects as given.
    pub python_env: Vec<Value>,
    /// `spec.python.resourceRequirements` after defaulting (`limits`,
    /// `requests`, ... as an object; empty when none).
    pub resource_requirements: Map<String, Value>,
    pub volume_claim_template: Option<Value>,
    pub volume_limit_size: Option<String>,
}

/// The operator's default Python instrumentation image (versions.txt
/// `autoinstrumentation-python=0.64b0`).
pub const DEFAULT_PYTHON_IMAGE: &str =
    "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0";

/// The resolved functionConfig.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FunctionConfig {
    pub settings: Settings,
    /// `None`: no Instrumentation in the config; `Instrumentation` objects
    /// among the items are the configurations, chosen per pod template by
    /// the opt-in annotation.
    pub instrumentation: Option<Instrumentation>,
}
