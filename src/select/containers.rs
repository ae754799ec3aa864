//! Which containers of a pod template get the instrumentation
//! (operator-python.md §4.3 steps 4 and 6, §4.4), and the operator's
//! "already instrumented" check (§4.3 step 1).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

/// A container to instrument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    /// In `spec.initContainers` rather than `spec.containers`.
    pub init: bool,
}

/// Where the list of container names came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetSource {
    /// `spec.containerNames` of the functionConfig.
    Config,
    /// The `container-names` / `python-container-names` annotations.
    Annotation,
    /// Neither: the first regular container.
    FirstContainer,
}

/// The result of [`target_containers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Targets {
    /// Init containers first, by position in `spec.initContainers`, then
    /// regular containers in list order. Empty: nothing to inject.
    pub targets: Vec<Target>,
    /// Listed names that are neither a container nor an init container, in
    /// list order, once each (the operator drops them silently; the caller
    /// can warn).
    pub unmatched: Vec<String>,
    pub source: TargetSource,
}

/// The operator's check of a `container-names` / `*-container-names` value:
/// empty, or matching `^[a-zA-Z0-9-,]+$`.
pub fn valid_container_names_annotation(value: &str) -> Result<(), String> {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ',')
    {
        Ok(())
    } else {
        Err(format!(
            "not valid characters included in the instrumentation container annotation {value}"
        ))
    }
}

/// The operator's `findDuplicatedContainers`: names that occur more than
/// once, sorted, as `duplicated container names detected: [a b]` (Go `%s`
/// of a `[]string`).
pub fn duplicated_container_names(names: &[String]) -> Result<(), String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for n in names {
        *counts.entry(n.as_str()).or_default() += 1;
    }
    let duplicates: Vec<&str> = counts
        .into_iter()
        .filter(|&(_, c)| c > 1)
        .map(|(n, _)| n)
        .collect();
    if duplicates.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "duplicated container names detected: [{}]",
            duplicates.join(" ")
        ))
    }
}

/// Names of the containers in `pod_spec[key]`, by position (`""` for a
/// container without a name, as Go's zero value).
fn names<'v>(pod_spec: &'v Value, key: &str) -> Vec<&'v str> {
    pod_spec
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| c.get("name").and_then(Value::as_str).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// The containers of `pod_spec` (a pod template's `spec`, as a value) to
/// instrument, in the operator's order.
///
/// The list of names:
/// 1. `config_container_names` (`spec.containerNames`) when non-empty. It
///    wins outright: the annotations are then neither read nor validated;
///    a repeated name is taken once.
/// 2. Else the merged `container-names` annotation (checked against
///    `^[a-zA-Z0-9-,]+$`, error `not valid characters included in the
///    instrumentation container annotation <v>`), split on `,`, with the
///    merged `python-container-names` (same check) appended — the operator
///    with multi-instrumentation on, its default. A name listed twice is
///    the error `duplicated container names detected: [a b]` (the operator
///    then leaves the pod unchanged).
/// 3. Else the first regular container.
///
/// Each name is looked up in `spec.containers`, then in
/// `spec.initContainers`; unknown names go to [`Targets::unmatched`]. Init
/// containers come first, by position in `spec.initContainers`, then regular
/// containers in list order.
///
/// A pod spec without regular containers gets no targets (the operator's
/// injector does nothing then), after the annotation checks.
pub fn target_containers(
    pod_spec: &Value,
    config_container_names: &[String],
    container_names_annotation: &str,
    python_container_names_annotation: &str,
) -> Result<Targets, String> {
    let regular = names(pod_spec, "containers");
    let init = names(pod_spec, "initContainers");
    let (list, source) = if config_container_names.is_empty() {
        valid_container_names_annotation(container_names_annotation)?;
        let mut list: Vec<String> = Vec::new();
        if !container_names_annotation.is_empty() {
            list.extend(container_names_annotation.split(',').map(str::to_string));
        }
        if !python_container_names_annotation.is_empty() {
            valid_container_names_annotation(python_container_names_annotation)?;
            list.extend(
                python_container_names_annotation
                    .split(',')
                    .map(str::to_string),
            );
        }
        if list.is_empty() {
            let first = regular.first().map(|n| (*n).to_string());
            (first.into_iter().collect(), TargetSource::FirstContainer)
        } else {
            duplicated_container_names(&list)?;
            (list, TargetSource::Annotation)
        }
    } else {
        let mut seen = HashSet::new();
        let list = config_container_names
            .iter()
            .filter(|n| seen.insert(n.as_str()))
            .cloned()
            .collect();
        (list, TargetSource::Config)
    };
    if regular.is_empty() {
        return Ok(Targets {
            targets: Vec::new(),
            unmatched: Vec::new(),
            source,
        });
    }
    let mut init_hits: Vec<usize> = Vec::new();
    let mut regular_hits: Vec<Target> = Vec::new();
    let mut unmatched: Vec<String> = Vec::new();
    for name in list {
        if regular.contains(&name.as_str()) {
            regular_hits.push(Target { name, init: false });
        } else if let Some(pos) = init.iter().position(|n| *n == name) {
            init_hits.push(pos);
        } else if !unmatched.contains(&name) {
            unmatched.push(name);
        }
    }
    init_hits.sort_unstable();
    init_hits.dedup();
    let mut targets: Vec<Target> = init_hits
        .into_iter()
        .filter_map(|pos| init.get(pos))
        .map(|n| Target {
            name: (*n).to_string(),
            init: true,
        })
        .collect();
    targets.extend(regular_hits);
    Ok(Targets {
        targets,
        unmatched,
        source,
    })
}

/// Init containers the operator adds, one per language (§4.3 step 1).
pub const OPERATOR_INIT_CONTAINER_NAMES: [&str; 6] = [
    "opentelemetry-auto-instrumentation-dotnet",
    "opentelemetry-auto-instrumentation-java",
    "opentelemetry-auto-instrumentation-nodejs",
    "opentelemetry-auto-instrumentation-python",
    "otel-agent-attach-apache",
    "otel-agent-source-container-clone",
];
/// The operator's Go instrumentation sidecar.
pub const GO_SIDECAR_NAME: &str = "opentelemetry-auto-instrumentation";
/// The collector sidecar, exempt from the env check.
pub const OTC_CONTAINER_NAME: &str = "otc-container";
const ENV_NODE_NAME: &str = "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME";

/// The operator's `isAutoInstrumentationInjected` on a pod spec: an init
/// container named like one of [`OPERATOR_INIT_CONTAINER_NAMES`], a regular
/// container named [`GO_SIDECAR_NAME`], or a regular container other than
/// [`OTC_CONTAINER_NAME`] with an `OTEL_RESOURCE_ATTRIBUTES_NODE_NAME` env
/// entry (even one the user wrote).
///
/// A template this function injected also passes this check; telling the
/// two apart (the function's record) is the caller's job.
pub fn instrumented_by_operator(pod_spec: &Value) -> bool {
    if names(pod_spec, "initContainers")
        .iter()
        .any(|n| OPERATOR_INIT_CONTAINER_NAMES.contains(n))
    {
        return true;
    }
    let containers = pod_spec
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    containers.iter().any(|c| {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        if name == GO_SIDECAR_NAME {
            return true;
        }
        name != OTC_CONTAINER_NAME
            && c.get("env").and_then(Value::as_array).is_some_and(|env| {
                env.iter()
                    .any(|e| e.get("name").and_then(Value::as_str) == Some(ENV_NODE_NAME))
            })
    })
}
