//! The generic SDK configuration (`injectCommonSDKConfig`,
//! operator-python.md §3): service name, exporter, resource attributes,
//! propagators and sampler.

use std::collections::{BTreeMap, HashSet};

use crate::config::Instrumentation;

use super::env::{
    self, EnvList, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_PROPAGATORS, OTEL_RESOURCE_ATTRIBUTES,
    OTEL_RESOURCE_ATTRIBUTES_NODE_NAME, OTEL_RESOURCE_ATTRIBUTES_POD_NAME,
    OTEL_RESOURCE_ATTRIBUTES_POD_UID, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG, field_ref, plain,
};
use super::image::service_version_from_image;
use super::pod::{Located, PodView, TlsLayout};
use super::{Problem, Workload};

const ANNOTATION_PREFIX: &str = "resource.opentelemetry.io/";
/// `constants.LabelAppName`: first non-empty wins.
const APP_NAME_LABELS: [&str; 2] = ["app.kubernetes.io/instance", "app.kubernetes.io/name"];
const APP_VERSION_LABEL: &str = "app.kubernetes.io/version";

const K8S_NAMESPACE_NAME: &str = "k8s.namespace.name";
const K8S_CONTAINER_NAME: &str = "k8s.container.name";
const K8S_POD_NAME: &str = "k8s.pod.name";
const K8S_POD_UID: &str = "k8s.pod.uid";
const K8S_NODE_NAME: &str = "k8s.node.name";
const K8S_DEPLOYMENT_NAME: &str = "k8s.deployment.name";
const K8S_REPLICASET_NAME: &str = "k8s.replicaset.name";
const K8S_STATEFULSET_NAME: &str = "k8s.statefulset.name";
const K8S_DAEMONSET_NAME: &str = "k8s.daemonset.name";
const K8S_JOB_NAME: &str = "k8s.job.name";
const K8S_JOB_UID: &str = "k8s.job.uid";
const K8S_CRONJOB_NAME: &str = "k8s.cronjob.name";
const SERVICE_NAME: &str = "service.name";
const SERVICE_VERSION: &str = "service.version";
const SERVICE_NAMESPACE: &str = "service.namespace";
const SERVICE_INSTANCE_ID: &str = "service.instance.id";

const POD_NAMESPACE_VAR: &str = "OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE";
const POD_TEMPLATE_HASH_VAR: &str = "OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH";
const JOB_NAME_VAR: &str = "OTEL_RESOURCE_ATTRIBUTES_JOB_NAME";
const JOB_UID_VAR: &str = "OTEL_RESOURCE_ATTRIBUTES_JOB_UID";

/// A value only known at run time, read through the downward API.
struct RuntimeVar {
    name: &'static str,
    field_path: &'static str,
}

impl RuntimeVar {
    fn reference(&self) -> String {
        reference(self.name)
    }
}

fn reference(var: &str) -> String {
    format!("$({var})")
}

/// What the operator knows about the pod when it computes the resource map,
/// with the owner chain derived from the workload kind.
pub(super) struct PodContext<'a> {
    inst: &'a Instrumentation,
    /// The namespace, or a reference to the run-time var when the manifest
    /// sets none.
    namespace: String,
    /// `metadata.name` of the pod ("" for templates: pods get generated names).
    pod_name: String,
    node_name: String,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    /// `addParentResourceLabels`, from the workload instead of ownerReferences.
    owner_attributes: Vec<(&'static str, String)>,
    /// A service name taken from the workload where the operator would use
    /// a name that changes with every rollout (Argo Rollout).
    workload_service_name: Option<String>,
    /// The downward-API vars this pod may need, in the order they are added.
    runtime_vars: Vec<RuntimeVar>,
}

impl<'a> PodContext<'a> {
    pub(super) fn new(
        pod: &PodView<'_>,
        workload: &Workload<'_>,
        inst: &'a Instrumentation,
    ) -> Self {
        let mut runtime_vars = Vec::new();
        let namespace = match workload.namespace.filter(|ns| !ns.is_empty()) {
            Some(ns) => ns.to_string(),
            None => {
                let var = RuntimeVar {
                    name: POD_NAMESPACE_VAR,
                    field_path: "metadata.namespace",
                };
                let value = var.reference();
                runtime_vars.push(var);
                value
            }
        };
        let pod_name = match workload.kind {
            "Pod" if workload.name.is_empty() => pod.name(),
            "Pod" => workload.name.to_string(),
            _ => String::new(),
        };
        let owner = Owner::of(workload, inst.add_k8s_uid_attributes);
        runtime_vars.extend(owner.runtime_vars);
        PodContext {
            inst,
            namespace,
            pod_name,
            node_name: pod.node_name(),
            labels: pod.labels(),
            annotations: pod.annotations(),
            owner_attributes: owner.attributes,
            workload_service_name: owner.service_name,
            runtime_vars,
        }
    }

    fn annotation(&self, attribute: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k.strip_prefix(ANNOTATION_PREFIX) == Some(attribute))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// `chooseLabelOrAnnotation`: the `resource.opentelemetry.io/`
    /// annotation, then (if enabled) the first non-empty label.
    fn annotation_or_label(&self, attribute: &str, labels: &[&str]) -> Option<&str> {
        self.annotation(attribute).or_else(|| {
            if self.inst.use_labels_for_resource_attributes {
                labels.iter().find_map(|key| self.label(key))
            } else {
                None
            }
        })
    }

    /// `createResourceMap` (operator-python.md §3.2), before the pod name,
    /// uid, version and node name are added. Keys found in the container's
    /// existing `OTEL_RESOURCE_ATTRIBUTES` are never set.
    fn resource_map(&self, container: &str, existing: Option<&str>) -> BTreeMap<String, String> {
        let existing = existing_keys(existing.unwrap_or(""));
        let mut res = BTreeMap::new();
        for (key, value) in &self.inst.resource_attributes {
            if !existing.contains(key.as_str()) {
                res.insert(key.clone(), value.clone());
            }
        }
        for (key, value) in self.k8s_attributes(container) {
            if !existing.contains(key) && !value.is_empty() {
                res.insert(key.to_string(), value);
            }
        }
        for (key, value) in &self.annotations {
            if let Some(attribute) = key.strip_prefix(ANNOTATION_PREFIX)
                && !existing.contains(attribute)
                && attribute != SERVICE_NAME
            {
                res.insert(attribute.to_string(), value.clone());
            }
        }
        let service_namespace = self
            .annotation(SERVICE_NAMESPACE)
            .unwrap_or(&self.namespace);
        if !service_namespace.is_empty() && !existing.contains(SERVICE_NAMESPACE) {
            res.insert(SERVICE_NAMESPACE.to_string(), service_namespace.to_string());
        }
        res
    }

    /// The k8s metadata attributes (empty values are dropped by the caller).
    fn k8s_attributes(&self, container: &str) -> Vec<(&'static str, String)> {
        let mut attributes = vec![
            (K8S_NAMESPACE_NAME, self.namespace.clone()),
            (K8S_CONTAINER_NAME, container.to_string()),
            (K8S_POD_NAME, self.pod_name.clone()),
            (K8S_NODE_NAME, self.node_name.clone()),
            (SERVICE_INSTANCE_ID, self.service_instance_id(container)),
        ];
        attributes.extend(self.owner_attributes.iter().cloned());
        attributes
    }

    /// `createServiceInstanceId`: the annotation, else
    /// `<ns>.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).<container>`.
    fn service_instance_id(&self, container: &str) -> String {
        if let Some(id) = self.annotation(SERVICE_INSTANCE_ID) {
            return id.to_string();
        }
        if self.namespace.is_empty() || container.is_empty() {
            return String::new();
        }
        format!(
            "{}.{}.{container}",
            self.namespace,
            reference(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)
        )
    }

    /// `chooseServiceName`. Candidates that reference a run-time var are
    /// skipped: `OTEL_SERVICE_NAME` comes before those vars and would keep
    /// the literal `$(…)`.
    fn service_name(&self, res: &BTreeMap<String, String>, container: &str) -> String {
        if let Some(name) = self.annotation_or_label(SERVICE_NAME, &APP_NAME_LABELS) {
            return name.to_string();
        }
        let from_map = |key: &str| {
            res.get(key)
                .filter(|v| !v.is_empty() && !v.contains("$("))
                .cloned()
        };
        from_map(K8S_DEPLOYMENT_NAME)
            .or_else(|| from_map(K8S_REPLICASET_NAME))
            .or_else(|| self.workload_service_name.clone())
            .or_else(|| from_map(K8S_STATEFULSET_NAME))
            .or_else(|| from_map(K8S_DAEMONSET_NAME))
            .or_else(|| from_map(K8S_CRONJOB_NAME))
            .or_else(|| from_map(K8S_JOB_NAME))
            .or_else(|| from_map(K8S_POD_NAME))
            .unwrap_or_else(|| container.to_string())
    }

    /// `chooseServiceVersion`: the annotation, the version label (if
    /// enabled), else the image's tag and/or digest.
    fn service_version(&self, image: &str) -> Option<String> {
        self.annotation_or_label(SERVICE_VERSION, &[APP_VERSION_LABEL])
            .map(str::to_string)
            .or_else(|| service_version_from_image(image))
    }
}

/// The owner chain of a pod created from the workload, as the operator's
/// `addParentResourceLabels` would find it through ownerReferences.
struct Owner {
    attributes: Vec<(&'static str, String)>,
    runtime_vars: Vec<RuntimeVar>,
    service_name: Option<String>,
}

impl Owner {
    fn of(workload: &Workload<'_>, add_uids: bool) -> Owner {
        let mut owner = Owner {
            attributes: Vec::new(),
            runtime_vars: Vec::new(),
            service_name: None,
        };
        let name = workload.name;
        if name.is_empty() {
            return owner;
        }
        match workload.kind {
            // Pods are owned by a ReplicaSet `<deployment>-<pod-template-hash>`.
            "Deployment" => {
                owner
                    .attributes
                    .push((K8S_DEPLOYMENT_NAME, name.to_string()));
                owner.add_replica_set(name, "metadata.labels['pod-template-hash']");
            }
            // Argo Rollouts name ReplicaSets the same way with their own label.
            "Rollout" => {
                owner.add_replica_set(name, "metadata.labels['rollouts-pod-template-hash']");
                owner.service_name = Some(name.to_string());
            }
            "ReplicaSet" => owner
                .attributes
                .push((K8S_REPLICASET_NAME, name.to_string())),
            "StatefulSet" => owner
                .attributes
                .push((K8S_STATEFULSET_NAME, name.to_string())),
            "DaemonSet" => owner
                .attributes
                .push((K8S_DAEMONSET_NAME, name.to_string())),
            "Job" => {
                owner.attributes.push((K8S_JOB_NAME, name.to_string()));
                if add_uids {
                    owner.add_job_uid();
                }
            }
            // Pods are owned by a Job the CronJob controller names at run time.
            "CronJob" => {
                owner.attributes.push((K8S_CRONJOB_NAME, name.to_string()));
                owner.add_runtime(
                    K8S_JOB_NAME,
                    RuntimeVar {
                        name: JOB_NAME_VAR,
                        field_path: "metadata.labels['batch.kubernetes.io/job-name']",
                    },
                );
                if add_uids {
                    owner.add_job_uid();
                }
            }
            _ => {}
        }
        owner
    }

    fn add_replica_set(&mut self, name: &str, hash_field_path: &'static str) {
        let hash = RuntimeVar {
            name: POD_TEMPLATE_HASH_VAR,
            field_path: hash_field_path,
        };
        self.attributes
            .push((K8S_REPLICASET_NAME, format!("{name}-{}", hash.reference())));
        self.runtime_vars.push(hash);
    }

    /// The Job controller labels its pods with the Job's uid.
    fn add_job_uid(&mut self) {
        self.add_runtime(
            K8S_JOB_UID,
            RuntimeVar {
                name: JOB_UID_VAR,
                field_path: "metadata.labels['batch.kubernetes.io/controller-uid']",
            },
        );
    }

    fn add_runtime(&mut self, attribute: &'static str, var: RuntimeVar) {
        self.attributes.push((attribute, var.reference()));
        self.runtime_vars.push(var);
    }
}

/// `injectCommonSDKConfig` (operator-python.md §3.4) on one container, plus
/// the run-time vars of templates.
pub(super) fn add_sdk_config(
    env: &mut EnvList,
    context: &PodContext<'_>,
    target: &Located<'_>,
    tls: &TlsLayout,
    inst: &Instrumentation,
) -> Result<(), Problem> {
    if let Some(index) = env.index_of(OTEL_RESOURCE_ATTRIBUTES)
        && env::has_value_from(env.get(index))
    {
        return Err(target.problem(
            env.original_index_of(OTEL_RESOURCE_ATTRIBUTES),
            env::value_from_message(OTEL_RESOURCE_ATTRIBUTES),
        ));
    }
    let container = target.name();
    let existing = env.value_of_first(OTEL_RESOURCE_ATTRIBUTES);
    let mut res = context.resource_map(container, existing.as_deref());

    if !env.contains(OTEL_SERVICE_NAME) {
        let name = context.service_name(&res, container);
        env.append(plain(OTEL_SERVICE_NAME, &name));
    }
    if !inst.exporter_endpoint.is_empty() {
        env.append_if_not_set(plain(OTEL_EXPORTER_OTLP_ENDPOINT, &inst.exporter_endpoint));
    }
    for (name, path) in tls.env() {
        env.append_if_not_set(plain(name, path));
    }

    // Always appended, even when the user has one (operator ≥ 0.105.0).
    env.append(field_ref(
        OTEL_RESOURCE_ATTRIBUTES_POD_NAME,
        "metadata.name",
    ));
    res.insert(
        K8S_POD_NAME.to_string(),
        reference(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),
    );
    if inst.add_k8s_uid_attributes && is_unset(&res, K8S_POD_UID) {
        env.append(field_ref(OTEL_RESOURCE_ATTRIBUTES_POD_UID, "metadata.uid"));
        res.insert(
            K8S_POD_UID.to_string(),
            reference(OTEL_RESOURCE_ATTRIBUTES_POD_UID),
        );
    }
    // The operator looks for the substring, not for the key.
    let has_version = env
        .value_of_first(OTEL_RESOURCE_ATTRIBUTES)
        .is_some_and(|v| v.contains(SERVICE_VERSION));
    if !has_version && let Some(version) = context.service_version(&target.image()) {
        res.insert(SERVICE_VERSION.to_string(), version);
    }
    if is_unset(&res, K8S_NODE_NAME) {
        env.append(field_ref(
            OTEL_RESOURCE_ATTRIBUTES_NODE_NAME,
            "spec.nodeName",
        ));
        res.insert(
            K8S_NODE_NAME.to_string(),
            reference(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),
        );
    }
    for var in &context.runtime_vars {
        let used = res.values().any(|v| v.contains(&var.reference()));
        if used {
            env.append_if_not_set(field_ref(var.name, var.field_path));
        }
    }

    merge_resource_attributes(env, &to_attribute_string(&res));
    add_propagators_and_sampler(env, inst);
    if let Some(index) = env.index_of(OTEL_RESOURCE_ATTRIBUTES) {
        env.move_to_end(index);
    }
    Ok(())
}

/// Appends `OTEL_RESOURCE_ATTRIBUTES`, or adds the attributes to the
/// existing value (after a `,` unless it already ends with one).
fn merge_resource_attributes(env: &mut EnvList, attributes: &str) {
    match env.index_of(OTEL_RESOURCE_ATTRIBUTES) {
        None => env.append(plain(OTEL_RESOURCE_ATTRIBUTES, attributes)),
        Some(index) => {
            let current = env::value_of(env.get(index));
            let merged = if current.ends_with(',') {
                format!("{current}{attributes}")
            } else {
                format!("{current},{attributes}")
            };
            env.set_value(index, merged);
        }
    }
}

/// Propagators if the CR lists some; the sampler only if the CR sets a
/// type and the container sets neither of the two sampler vars.
fn add_propagators_and_sampler(env: &mut EnvList, inst: &Instrumentation) {
    if !env.contains(OTEL_PROPAGATORS) && !inst.propagators.is_empty() {
        env.append(plain(OTEL_PROPAGATORS, &inst.propagators.join(",")));
    }
    let sampler_set = env.contains(OTEL_TRACES_SAMPLER) || env.contains(OTEL_TRACES_SAMPLER_ARG);
    if !sampler_set && !inst.sampler_type.is_empty() {
        env.append(plain(OTEL_TRACES_SAMPLER, &inst.sampler_type));
        if !inst.sampler_argument.is_empty() {
            env.append(plain(OTEL_TRACES_SAMPLER_ARG, &inst.sampler_argument));
        }
    }
}

fn is_unset(res: &BTreeMap<String, String>, key: &str) -> bool {
    res.get(key).is_none_or(String::is_empty)
}

/// Keys of an `OTEL_RESOURCE_ATTRIBUTES` value as the operator parses it:
/// each `,`-separated item, trimmed, that splits on `=` into exactly two
/// parts.
fn existing_keys(value: &str) -> HashSet<&str> {
    value
        .split(',')
        .filter_map(|item| {
            let mut parts = item.trim().split('=');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(key), Some(_), None) => Some(key),
                _ => None,
            }
        })
        .collect()
}

/// `resourceMapToStr`: `k=v` joined with `,`, keys sorted byte-wise (the
/// order of a `BTreeMap<String, _>`), no escaping.
fn to_attribute_string(res: &BTreeMap<String, String>) -> String {
    res.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}
