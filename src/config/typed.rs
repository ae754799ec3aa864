//! The typed functionConfig, `fn.kpt.dev/v1alpha1` `InjectOtelPython`: the
//! Rust types are the single source of its JSON Schema (derived with
//! schemars; doc comments become descriptions).
//!
//! The `spec` fields shared with the operator's `Instrumentation` carry the
//! operator's JSON names and meaning, so an Instrumentation spec can be
//! pasted in. Free-form Kubernetes objects (EnvVar lists, resource
//! requirements, the volume claim template) are kept as the JSON they were
//! given in (key order included) and only *described* by schema-only types.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `apiVersion` of the typed functionConfig.
pub const API_VERSION: &str = "fn.kpt.dev/v1alpha1";
/// `kind` of the typed functionConfig.
pub const KIND: &str = "InjectOtelPython";

/// A Kubernetes resource quantity (`resource.Quantity`), as the API server's
/// CRD schemas check it.
pub const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// A dotted Python module name (`shop.settings`).
pub const PYTHON_MODULE_PATTERN: &str = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$";

/// A dotted path of mapping keys (`spec.template`).
pub const DOTTED_PATH_PATTERN: &str = r"^[^.]+(\.[^.]+)*$";

/// Configuration of the inject-otel-python KRM function: which workloads get
/// OpenTelemetry Python auto-instrumentation, and how it is configured. The
/// `spec` fields shared with the OpenTelemetry Operator's `Instrumentation`
/// (`opentelemetry.io/v1alpha1`) carry its names and meaning.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "InjectOtelPython")]
pub struct InjectOtelPython {
    /// Always `fn.kpt.dev/v1alpha1`.
    #[schemars(extend("const" = "fn.kpt.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `InjectOtelPython`.
    #[schemars(extend("const" = "InjectOtelPython"))]
    pub kind: String,
    /// Standard object metadata (name, annotations, ...).
    pub metadata: Option<Map<String, Value>>,
    /// What to inject where. Every field is optional.
    pub spec: Option<InjectOtelPythonSpec>,
}

/// The function's settings plus the fields of the operator's Instrumentation
/// spec that concern Python.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InjectOtelPythonSpec {
    /// `inject` (default) adds or updates the instrumentation; `remove` takes
    /// it out again; `check` changes nothing and reports every selected
    /// workload that is not injected or has drifted from this config.
    pub mode: Option<Mode>,
    /// Which workloads to instrument. Omitted: only pod templates that opt in
    /// with the `instrumentation.opentelemetry.io/inject-python` annotation.
    /// Present: every matched workload, unless that annotation is `"false"`.
    pub selector: Option<Selector>,
    /// Names of the containers to instrument. Omitted: the
    /// `container-names` / `python-container-names` annotations, else the
    /// first container.
    pub container_names: Option<Vec<String>>,
    /// Which build of the instrumentation to copy: `glibc`, `musl`, or `auto`
    /// (musl for Alpine-based images, else glibc). The
    /// `instrumentation.opentelemetry.io/otel-python-platform` annotation
    /// wins over this field.
    pub platform: Option<Platform>,
    /// Django support.
    pub django: Option<Django>,
    /// Extra pod-template kinds (for example custom resources), on top of the
    /// built-in Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
    /// ReplicationController, Job, CronJob, PodTemplate and Argo Rollout.
    pub workloads: Option<Vec<Workload>>,
    /// Instrumentation `spec.exporter`: where telemetry is sent.
    pub exporter: Option<Exporter>,
    /// Instrumentation `spec.propagators`: the `OTEL_PROPAGATORS` list, in
    /// this order.
    #[schemars(with = "Option<Vec<Propagator>>")]
    pub propagators: Option<Vec<String>>,
    /// Instrumentation `spec.sampler`: `OTEL_TRACES_SAMPLER` and its argument.
    pub sampler: Option<Sampler>,
    /// Instrumentation `spec.resource`: resource attributes.
    pub resource: Option<Resource>,
    /// Instrumentation `spec.defaults`.
    pub defaults: Option<Defaults>,
    /// Instrumentation `spec.env`: env vars added to every instrumented
    /// container (Kubernetes EnvVar objects).
    #[schemars(with = "Option<Vec<EnvVar>>")]
    pub env: Option<Vec<Map<String, Value>>>,
    /// Instrumentation `spec.imagePullPolicy` of the injected init container.
    #[schemars(with = "Option<ImagePullPolicy>")]
    pub image_pull_policy: Option<String>,
    /// Instrumentation `spec.initContainerSecurityContext`: the
    /// securityContext of the injected init container (a Kubernetes
    /// SecurityContext object).
    pub init_container_security_context: Option<Map<String, Value>>,
    /// Instrumentation `spec.python`.
    pub python: Option<Python>,
}

/// What the function does to the selected workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Inject,
    Remove,
    Check,
}

/// Which build of the instrumentation the init container copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Glibc,
    Musl,
    Auto,
}

/// Which workloads to instrument: every given field must match (each list
/// is "any of").
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Selector {
    /// Workload kinds (`Deployment`, `StatefulSet`, ...).
    pub kinds: Option<Vec<String>>,
    /// Workload names (`metadata.name`).
    pub names: Option<Vec<String>>,
    /// Workload namespaces (`metadata.namespace`).
    pub namespaces: Option<Vec<String>>,
    /// A Kubernetes label selector on the workload's `metadata.labels`.
    pub labels: Option<LabelSelector>,
}

/// A Kubernetes label selector.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Labels that must all be present with these values.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub match_labels: Option<Map<String, Value>>,
    /// Requirements that must all hold.
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

/// One label selector requirement.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: LabelOperator,
    /// Values for `In` and `NotIn` (required and non-empty there); must be
    /// empty for `Exists` and `DoesNotExist`.
    pub values: Option<Vec<String>>,
}

/// A label selector operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum LabelOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// Django settings.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Django {
    /// Dotted settings module (`shop.settings`), set as
    /// `DJANGO_SETTINGS_MODULE` unless the container sets it.
    #[schemars(regex(pattern = PYTHON_MODULE_PATTERN))]
    pub settings_module: Option<String>,
    /// Directory of the Django project in the image (`/app`), placed in
    /// `PYTHONPATH` between the instrumentation's prefix and suffix.
    pub app_root: Option<String>,
}

/// An extra pod-template kind.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// `apiVersion` of the kind (`argoproj.io/v1alpha1`).
    #[schemars(length(min = 1))]
    pub api_version: String,
    /// The kind (`Rollout`).
    #[schemars(length(min = 1))]
    pub kind: String,
    /// Dotted path of the pod template in the object; default
    /// `spec.template`.
    #[schemars(regex(pattern = DOTTED_PATH_PATTERN))]
    pub pod_template_path: Option<String>,
}

/// Instrumentation `spec.exporter`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Exporter {
    /// OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`), for example
    /// `http://otel-collector.observability:4318`. The Python image exports
    /// OTLP over HTTP.
    pub endpoint: Option<String>,
    /// TLS settings of the exporter.
    pub tls: Option<Tls>,
}

/// Instrumentation `spec.exporter.tls`. File names are relative to the
/// mounted Secret / ConfigMap, or absolute.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Secret (in the workload's namespace) holding the client certificate
    /// and key; mounted into the instrumented containers.
    #[serde(rename = "secretName")]
    pub secret_name: Option<String>,
    /// ConfigMap (in the workload's namespace) holding the CA certificate;
    /// mounted into the instrumented containers.
    #[serde(rename = "configMapName")]
    pub config_map_name: Option<String>,
    /// CA certificate file (`OTEL_EXPORTER_OTLP_CERTIFICATE`).
    pub ca_file: Option<String>,
    /// Client certificate file (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    pub cert_file: Option<String>,
    /// Client key file (`OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    pub key_file: Option<String>,
}

/// A propagator of the Instrumentation CRD.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Propagator {
    TraceContext,
    Baggage,
    B3,
    B3Multi,
    Jaeger,
    XRay,
    OTTrace,
    None,
}

/// Instrumentation `spec.sampler`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sampler {
    /// `OTEL_TRACES_SAMPLER`.
    #[schemars(with = "Option<SamplerType>")]
    #[serde(rename = "type")]
    pub sampler_type: Option<String>,
    /// `OTEL_TRACES_SAMPLER_ARG`: a ratio in 0..1 for the `traceidratio`
    /// samplers (`"0.25"`), `endpoint=...,pollingIntervalMs=...,
    /// initialSamplingRate=...` for `jaeger_remote`. A string.
    pub argument: Option<String>,
}

/// A sampler type of the Instrumentation CRD.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SamplerType {
    AlwaysOn,
    AlwaysOff,
    #[serde(rename = "traceidratio")]
    TraceIdRatio,
    ParentbasedAlwaysOn,
    ParentbasedAlwaysOff,
    #[serde(rename = "parentbased_traceidratio")]
    ParentbasedTraceIdRatio,
    JaegerRemote,
    #[serde(rename = "xray")]
    XRay,
}

/// Instrumentation `spec.resource`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`); attributes the
    /// workload sets itself win.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub resource_attributes: Option<Map<String, Value>>,
    /// Also set `k8s.<workload>.uid` attributes.
    #[serde(rename = "addK8sUIDAttributes")]
    pub add_k8s_uid_attributes: Option<bool>,
}

/// Instrumentation `spec.defaults`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Take `service.name` and `service.version` from the
    /// `app.kubernetes.io/{instance,name,version}` labels.
    pub use_labels_for_resource_attributes: Option<bool>,
}

/// Image pull policy of the injected init container.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
pub enum ImagePullPolicy {
    Always,
    Never,
    IfNotPresent,
}

/// Instrumentation `spec.python`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Python {
    /// The auto-instrumentation image; default
    /// `ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0`.
    pub image: Option<String>,
    /// Env vars added to every instrumented container, after `spec.env`
    /// (Kubernetes EnvVar objects).
    #[schemars(with = "Option<Vec<EnvVar>>")]
    pub env: Option<Vec<Map<String, Value>>>,
    /// Resources of the injected init container. Omitted `limits` default to
    /// `{cpu: 500m, memory: 256Mi}` and omitted `requests` to
    /// `{cpu: 50m, memory: 64Mi}`, each on its own, as the operator does.
    #[schemars(with = "Option<ResourceRequirements>")]
    pub resource_requirements: Option<Map<String, Value>>,
    /// An ephemeral volume claim template for the instrumentation volume,
    /// instead of an `emptyDir`. Not together with `volumeLimitSize`.
    #[schemars(with = "Option<VolumeClaimTemplate>")]
    pub volume_claim_template: Option<Map<String, Value>>,
    /// Size limit of the instrumentation `emptyDir` volume (default
    /// `200Mi`). Deprecated by the operator.
    #[schemars(with = "Option<Quantity>")]
    pub volume_limit_size: Option<Value>,
}

/// A Kubernetes EnvVar.
#[derive(Clone, Debug, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    /// Name of the variable.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Its value (`$(VAR)` references are expanded by the kubelet).
    pub value: Option<String>,
    /// Where the value comes from (a Kubernetes EnvVarSource), instead of
    /// `value`.
    pub value_from: Option<Map<String, Value>>,
}

/// Kubernetes ResourceRequirements.
#[derive(Clone, Debug, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    /// Maximum resources (`cpu`, `memory`, ...).
    pub limits: Option<BTreeMap<String, Quantity>>,
    /// Requested resources (`cpu`, `memory`, ...).
    pub requests: Option<BTreeMap<String, Quantity>>,
    /// Dynamic resource claims, passed through as given.
    pub claims: Option<Vec<Map<String, Value>>>,
}

/// A Kubernetes PersistentVolumeClaimTemplate.
#[derive(Clone, Debug, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeClaimTemplate {
    /// Labels and annotations of the generated claim.
    pub metadata: Option<Map<String, Value>>,
    /// A Kubernetes PersistentVolumeClaimSpec.
    pub spec: Map<String, Value>,
}

/// A Kubernetes quantity (`200Mi`, `1Gi`, `500m`, `2`).
#[derive(Clone, Debug)]
pub struct Quantity;

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity (`200Mi`, `1Gi`, `500m`, `2`).",
            "type": ["string", "number"],
            "pattern": QUANTITY_PATTERN,
        })
    }
}

/// The JSON Schema of the typed functionConfig (Draft 2020-12). Null is not
/// allowed anywhere: a null value means "absent" and is removed before
/// validation, as the API server does.
pub fn schema() -> Value {
    let generator = SchemaGenerator::new(SchemaSettings::draft2020_12());
    let mut schema = generator
        .into_root_schema_for::<InjectOtelPython>()
        .to_value();
    disallow_null(&mut schema);
    schema
}

/// Removes the `null` alternative schemars adds for `Option` fields.
fn disallow_null(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t != "null");
                if let [single] = types.as_slice() {
                    let single = single.clone();
                    obj.insert("type".into(), single);
                }
            }
            let null_branch = |v: &Value| v.get("type").is_some_and(|t| t == "null");
            if let Some(Value::Array(branches)) = obj.get("anyOf")
                && branches.len() == 2
                && branches.iter().any(null_branch)
                && let Some(Value::Object(other)) = branches.iter().find(|b| !null_branch(b))
            {
                let other = other.clone();
                obj.remove("anyOf");
                for (k, v) in other {
                    obj.entry(k).or_insert(v);
                }
            }
            for value in obj.values_mut() {
                disallow_null(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(disallow_null),
        _ => {}
    }
}
