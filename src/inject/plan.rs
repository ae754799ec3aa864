//! The mutation, planned on values: given a pod template and the
//! configuration, compute exactly what the OpenTelemetry Operator's webhook
//! would add to a Pod created from it (docs/operator-python.md §1–§4), as a
//! [`Plan`] that another module turns into text edits.
//!
//! The planner is pure: it reads `serde_json` values and never sees YAML
//! text. It follows the operator's per-pod algorithm step by step
//! (operator-python.md §2) on a model of each target's env list, then
//! expresses the result as additions around the original list
//! ([`EnvPlan`]) so that the edit module can leave every original item
//! where it is.
//!
//! # Templates (product.md §4)
//!
//! For workloads the result is what the operator gives a Pod created from
//! the template, with the owner chain taken from the workload kind instead
//! of `ownerReferences`. Values that exist only at run time come from the
//! downward API through extra env vars, appended right after
//! `OTEL_RESOURCE_ATTRIBUTES_NODE_NAME` (so that `OTEL_RESOURCE_ATTRIBUTES`,
//! which is always last, can reference them) and only when an attribute
//! uses them:
//!
//! | var | fieldRef | used by |
//! |---|---|---|
//! | `OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE` | `metadata.namespace` | `k8s.namespace.name`, `service.namespace`, `service.instance.id` when the manifest sets no namespace |
//! | `OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH` | `metadata.labels['pod-template-hash']` (Rollout: `['rollouts-pod-template-hash']`) | `k8s.replicaset.name=<name>-$(…)` of a Deployment or Argo Rollout |
//! | `OTEL_RESOURCE_ATTRIBUTES_JOB_NAME` | `metadata.labels['batch.kubernetes.io/job-name']` | `k8s.job.name` of a CronJob |
//! | `OTEL_RESOURCE_ATTRIBUTES_JOB_UID` | `metadata.labels['batch.kubernetes.io/controller-uid']` | `k8s.job.uid` of a Job or CronJob, with `addK8sUIDAttributes` |
//!
//! A bare Pod whose manifest sets a namespace gets none of them, so its
//! output is operator-exact.
//!
//! # Deviations from the operator (each one because the operator's output
//! fails at run time, or cannot be known before the pod exists)
//!
//! - **Unknowable owner UIDs**: `k8s.deployment.uid`, `k8s.replicaset.uid`,
//!   `k8s.statefulset.uid`, `k8s.daemonset.uid`, `k8s.cronjob.uid` are not
//!   set (no downward-API field carries them); `k8s.job.uid` is, from the
//!   Job controller's label.
//! - **Argo Rollout**: the operator would name the service after the
//!   ReplicaSet (`<rollout>-<hash>`, a new name on every rollout); here the
//!   service name is the Rollout's name, and `k8s.replicaset.name` is
//!   `<rollout>-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH)`.
//! - **Service name never references a run-time var**: `OTEL_SERVICE_NAME`
//!   comes before the downward-API vars, so a candidate that only exists at
//!   run time (for example the ReplicaSet name when the user's own
//!   `OTEL_RESOURCE_ATTRIBUTES` already sets `k8s.deployment.name`) is
//!   skipped in favour of the next candidate of the operator's order.
//! - **`valueFrom` `OTEL_RESOURCE_ATTRIBUTES`**: the operator adds a `value`
//!   next to the `valueFrom`, which the API server rejects; here the
//!   container gets a [`Problem`] and is not injected (like a `valueFrom`
//!   `PYTHONPATH`). The same holds for a `valueFrom` `PYTHONPATH` coming
//!   from `spec.python.env`.
//! - **Init container running as root under `runAsNonRoot`** (operator
//!   #2272): see [`NON_ROOT_INIT_USER`].
//! - **Volume and mount of the Python volume** are not added twice when one
//!   of that name already exists (the operator would produce a pod the API
//!   server rejects for a duplicate name or mount path).
//!
//! # Django (product.md §4)
//!
//! - `django.settingsModule` → `DJANGO_SETTINGS_MODULE`, appended right
//!   after the `PYTHONPATH` step (the Python env layer of operator-python.md
//!   §2.2 slot 5), only if no var of that name exists by then (container env
//!   or `spec.python.env`). It therefore wins over `spec.env`, like every
//!   Python-specific setting does.
//! - `django.appRoot` joins `PYTHONPATH` between the prefix and the suffix:
//!   `prefix:<appRoot>:suffix` when the container sets no `PYTHONPATH`,
//!   `prefix:<existing>:<appRoot>:suffix` when it does (the user's own
//!   entries keep their precedence), and `prefix:<existing>:suffix` when
//!   `<appRoot>` is already one of the existing entries.

use serde_json::{Value, json};

use crate::config::{Django, Instrumentation};

mod env;
mod image;
mod pod;
mod resource;

pub use env::{EnvPlan, final_env};
pub use image::service_version_from_image;

/// Name of the init container (and of the volume) the operator adds.
pub const INIT_CONTAINER_NAME: &str = "opentelemetry-auto-instrumentation-python";
/// Name of the volume the instrumentation is copied into.
pub const VOLUME_NAME: &str = "opentelemetry-auto-instrumentation-python";
/// Where the volume is mounted, in the init container and in every target.
pub const MOUNT_PATH: &str = "/otel-auto-instrumentation-python";
/// First `PYTHONPATH` entry: the directory holding `sitecustomize.py`.
pub const PYTHONPATH_PREFIX: &str =
    "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation";
/// Last `PYTHONPATH` entry: the instrumentation's packages.
pub const PYTHONPATH_SUFFIX: &str = "/otel-auto-instrumentation-python";
/// `emptyDir.sizeLimit` when the Instrumentation sets none.
pub const DEFAULT_VOLUME_SIZE: &str = "200Mi";
/// The uid given to the init container when it would otherwise inherit
/// `runAsNonRoot: true` with no uid at all: the instrumentation image has
/// no `USER`, so the kubelet refuses to start it ("container has
/// runAsNonRoot and image will run as root", operator #2272). 65532 is the
/// conventional "nonroot" uid of distroless images; `cp -r` only needs to
/// read the image's files (`chmod -R go+r`) and write the emptyDir
/// (world-writable).
pub const NON_ROOT_INIT_USER: i64 = 65532;

/// The workload whose pod template is planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workload<'a> {
    /// `Pod`, `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`,
    /// `ReplicationController`, `Job`, `CronJob`, `PodTemplate`, `Rollout`,
    /// or a custom kind.
    pub kind: &'a str,
    /// The workload's `metadata.name` (for a bare Pod: the pod name, may be "").
    pub name: &'a str,
    /// `metadata.namespace` of the workload; `None` when the manifest does
    /// not set it (an empty string counts as not set).
    pub namespace: Option<&'a str>,
}

/// A container to instrument, chosen by another module, in the operator's
/// order: init containers first by position, then regular containers in
/// annotation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    /// `true`: the container is in `spec.initContainers`.
    pub init: bool,
}

/// Which build of the instrumentation the init container copies (already
/// resolved from the annotation, the config or the image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformChoice {
    Glibc,
    Musl,
}

impl PlatformChoice {
    /// The directory the init container copies from.
    pub fn source_dir(self) -> &'static str {
        match self {
            PlatformChoice::Glibc => "/autoinstrumentation/.",
            PlatformChoice::Musl => "/autoinstrumentation-musl/.",
        }
    }
}

/// Everything the operator would add to or change in the pod.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The `opentelemetry-auto-instrumentation-python` init container, keys
    /// in the operator's order: name, image, command, resources (if
    /// non-empty), volumeMounts, imagePullPolicy (if set), securityContext
    /// (if any).
    pub init_container: Value,
    /// Insertion index in the original `spec.initContainers`: right before
    /// the first target when that target is an init container, else after
    /// all existing init containers.
    pub init_container_index: usize,
    /// Appended to `spec.volumes`, in order: the TLS secret volume, the TLS
    /// configmap volume (each only when at least one container is injected
    /// and no volume of that name exists), then the Python volume.
    pub volumes: Vec<Value>,
    /// One per target that could be injected, in target order.
    pub containers: Vec<ContainerPlan>,
    /// Targets that could not be injected, and why.
    pub problems: Vec<Problem>,
}

/// The changes to one target container.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerPlan {
    pub name: String,
    pub init: bool,
    /// Position in the original `spec.containers` / `spec.initContainers`
    /// (before the init container is inserted).
    pub index: usize,
    pub env: EnvPlan,
    /// Appended to `volumeMounts`: the Python mount, then the TLS secret
    /// mount, then the configmap mount (both `readOnly`), each only if the
    /// container has no mount of that name.
    pub mounts: Vec<Value>,
}

/// A target that cannot be injected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub container: String,
    /// Path relative to the pod template, e.g. `spec.containers[0].env[2]`.
    pub field: String,
    pub message: String,
}

/// Plans the injection into one pod template.
///
/// `template` is `{metadata: {labels, annotations, name?}, spec: {...}}`.
/// The caller has already checked that the pod is not instrumented (no
/// init container named [`INIT_CONTAINER_NAME`]) and resolved the targets
/// and the platform; with no target that exists in the pod, `containers`
/// is empty and the plan must not be applied.
pub fn plan(
    template: &Value,
    workload: &Workload,
    inst: &Instrumentation,
    platform: PlatformChoice,
    django: &Django,
    targets: &[Target],
) -> Plan {
    let pod = pod::PodView::new(template);
    let context = resource::PodContext::new(&pod, workload, inst);
    let tls = pod::TlsLayout::new(inst);
    let located: Vec<pod::Located<'_>> = targets.iter().filter_map(|t| pod.locate(t)).collect();

    let mut containers = Vec::new();
    let mut problems = Vec::new();
    for target in &located {
        match plan_container(target, &context, &tls, inst, django) {
            Ok(container) => containers.push(container),
            Err(problem) => problems.push(problem),
        }
    }

    // The operator adds the TLS volumes while configuring the first
    // container that was injected, and the Python volume afterwards even
    // when every container failed (operator-python.md §1.5).
    let mut volumes = Vec::new();
    if !containers.is_empty() {
        volumes.extend(tls.volumes().into_iter().filter(|v| !pod.has_volume(v)));
    }
    let python_volume = pod::python_volume(inst);
    if !pod.has_volume(&python_volume) {
        volumes.push(python_volume);
    }

    let first = located.first();
    Plan {
        init_container: pod::init_container(inst, platform, first, &pod),
        init_container_index: pod.init_container_index(first),
        volumes,
        containers,
        problems,
    }
}

/// The operator's per-container steps (operator-python.md §2), in order.
fn plan_container(
    target: &pod::Located<'_>,
    context: &resource::PodContext<'_>,
    tls: &pod::TlsLayout,
    inst: &Instrumentation,
    django: &Django,
) -> Result<ContainerPlan, Problem> {
    let original = target.env();
    let mut env = env::EnvList::new(original);

    if let Some(index) = env.index_of(env::PYTHONPATH)
        && env::has_value_from(env.get(index))
    {
        return Err(target.problem(Some(index), env::value_from_message(env::PYTHONPATH)));
    }
    env.append_all_if_not_set(&inst.python_env);
    add_python_path(&mut env, django, target)?;
    if let Some(module) = non_empty(django.settings_module.as_deref()) {
        env.append_if_not_set(env::plain(env::DJANGO_SETTINGS_MODULE, module));
    }

    // injectCommonEnvVar: POD_IP is prepended first, so NODE_IP ends up first.
    env.prepend_if_not_set(env::field_ref(env::OTEL_POD_IP, "status.podIP"));
    env.prepend_if_not_set(env::field_ref(env::OTEL_NODE_IP, "status.hostIP"));
    env.append_all_if_not_set(&inst.env);
    env.append_all_if_not_set(&env::python_defaults());

    resource::add_sdk_config(&mut env, context, target, tls, inst)?;

    Ok(ContainerPlan {
        name: target.name().to_string(),
        init: target.init(),
        index: target.index(),
        env: env.into_plan(),
        mounts: target.missing_mounts(tls),
    })
}

/// `PYTHONPATH`: rewritten in place around the existing value, or appended
/// (operator-python.md §1.3 step 4), with `django.appRoot` joined in.
fn add_python_path(
    env: &mut env::EnvList,
    django: &Django,
    target: &pod::Located<'_>,
) -> Result<(), Problem> {
    let app_root = non_empty(django.app_root.as_deref());
    match env.index_of(env::PYTHONPATH) {
        Some(index) => {
            // Only a PYTHONPATH from spec.python.env can get here with a
            // valueFrom (the container's own was refused above).
            if env::has_value_from(env.get(index)) {
                return Err(target.problem(
                    None,
                    format!(
                        "spec.python.env defines {} via valueFrom; it cannot be joined with the instrumentation path",
                        env::PYTHONPATH
                    ),
                ));
            }
            let existing = env::value_of(env.get(index));
            let joined = match app_root {
                Some(root) if !existing.split(':').any(|entry| entry == root) => {
                    format!("{PYTHONPATH_PREFIX}:{existing}:{root}:{PYTHONPATH_SUFFIX}")
                }
                _ => format!("{PYTHONPATH_PREFIX}:{existing}:{PYTHONPATH_SUFFIX}"),
            };
            env.set_value(index, joined);
        }
        None => {
            let value = match app_root {
                Some(root) => format!("{PYTHONPATH_PREFIX}:{root}:{PYTHONPATH_SUFFIX}"),
                None => format!("{PYTHONPATH_PREFIX}:{PYTHONPATH_SUFFIX}"),
            };
            env.append(env::plain(env::PYTHONPATH, &value));
        }
    }
    Ok(())
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// `{name, mountPath}` of the Python volume.
fn python_mount() -> Value {
    json!({"name": VOLUME_NAME, "mountPath": MOUNT_PATH})
}

/// The text of a scalar as a string-typed Kubernetes field would hold it.
/// The YAML view types plain scalars (`value: 20` is a number), so numbers
/// and booleans are given back as their text.
fn scalar_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A string-to-string map field (`labels`, `annotations`) as pairs.
fn string_pairs(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), scalar_text(Some(v))))
                .collect()
        })
        .unwrap_or_default()
}
