//! functionConfig: the four accepted forms, mapped to one [`FunctionConfig`].
//!
//! - typed, `fn.kpt.dev/v1alpha1` `InjectOtelPython` ([`typed`]): checked
//!   against the JSON Schema derived from its types, then by the semantic
//!   rules the schema cannot express (the operator webhook's among them);
//! - the operator's `opentelemetry.io/v1alpha1` `Instrumentation`: its
//!   Python-relevant spec, with the webhook's defaults and validation rules
//!   (same messages);
//! - a `v1` `ConfigMap` whose `data` keys are dotted typed field paths;
//! - none (absent, null, `{}`, or a ConfigMap with empty `data`, which is
//!   what `kpt fn eval` sends without arguments).
//!
//! Every problem is one result pointing at the config object and the field.

mod configmap;
mod model;
mod operator;
mod schema;
pub mod typed;

use serde_json::{Map, Value};

use crate::krm::{Item, KrmResult, ResourceList, Severity};
use crate::yaml::{Doc, Kind, NodeId};

pub use configmap::valid_keys as configmap_keys;
pub use model::*;

use schema::{FieldPath, Finding, Flavor};

/// `apiVersion` of the operator's Instrumentation.
pub const INSTRUMENTATION_API_VERSION: &str = "opentelemetry.io/v1alpha1";
/// `kind` of the operator's Instrumentation.
pub const INSTRUMENTATION_KIND: &str = "Instrumentation";

/// The functionConfig read from a ResourceList.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConfigOutcome {
    /// `None` when any result is an error.
    pub config: Option<FunctionConfig>,
    /// Errors and warnings about the config, each pointing at the config
    /// object and the field.
    pub results: Vec<KrmResult>,
}

/// True for the operator's Instrumentation kind (the only served version).
/// The Instrumentation settings of a config that sets none: the operator
/// webhook's defaults (default image, init container resources).
pub fn default_instrumentation() -> Instrumentation {
    operator::instrumentation(&typed::InjectOtelPythonSpec::default(), None)
}

pub fn is_instrumentation(api_version: &str, kind: &str) -> bool {
    api_version == INSTRUMENTATION_API_VERSION && kind == INSTRUMENTATION_KIND
}

/// The JSON Schema of the typed functionConfig.
pub fn schema() -> Value {
    typed::schema()
}

/// The JSON Schema of the typed functionConfig, pretty-printed, with a
/// final newline.
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// An [`Item`] describing the functionConfig object, for results about it
/// (it is not in `items`: `position` is 0).
pub fn config_item(doc: &Doc<'_>, node: NodeId) -> Item {
    Item::describe(doc, node, 0)
}

/// Reads the functionConfig of `list`, in any accepted form.
pub fn read(list: &ResourceList<'_, '_>) -> ConfigOutcome {
    let doc = list.doc;
    let no_config = || ConfigOutcome {
        config: Some(FunctionConfig::default()),
        results: Vec::new(),
    };
    let Some(node) = list.function_config else {
        return no_config();
    };
    if doc.kind(node) != Kind::Map {
        return ConfigOutcome {
            config: None,
            results: vec![KrmResult::new(
                Severity::Error,
                "functionConfig must be an object",
            )],
        };
    }
    if doc.entries(node).next().is_none() {
        return no_config();
    }
    let item = config_item(doc, node);
    let (config, results) = match (item.api_version.as_str(), item.kind.as_str()) {
        (typed::API_VERSION, typed::KIND) => read_typed(doc, node, &item),
        (api, kind) if is_instrumentation(api, kind) => {
            let (inst, results) = instrumentation_from_object(doc, node, &item);
            let config = inst.map(|i| FunctionConfig {
                settings: Settings::default(),
                instrumentation: Some(i),
            });
            (config, results)
        }
        ("v1", "ConfigMap") => {
            let data = doc.get(node, "data");
            if configmap::is_empty_data(doc, data) {
                return no_config();
            }
            match data {
                Some(data) => read_configmap(doc, data, &item),
                None => (Some(FunctionConfig::default()), Vec::new()),
            }
        }
        (api, kind) => {
            let shown = |s: &str, what: &str| {
                if s.is_empty() {
                    format!("(no {what})")
                } else {
                    s.to_string()
                }
            };
            let message = format!(
                "functionConfig must be an InjectOtelPython ({}), an Instrumentation ({}) or a ConfigMap, but got {}/{}",
                typed::API_VERSION,
                INSTRUMENTATION_API_VERSION,
                shown(api, "apiVersion"),
                shown(kind, "kind"),
            );
            (
                None,
                vec![KrmResult::about(&item, Severity::Error, message)],
            )
        }
    };
    let config = config.filter(|_| !results.iter().any(|r| r.severity == Severity::Error));
    ConfigOutcome { config, results }
}

/// An `Instrumentation` object (among the items, or the functionConfig):
/// its Python-relevant spec after the operator webhook's defaults, checked
/// by the webhook's rules. `None` when any result is an error. Fields the
/// function does not use (other languages, ...) are ignored.
pub fn instrumentation_from_object(
    doc: &Doc<'_>,
    node: NodeId,
    item: &Item,
) -> (Option<Instrumentation>, Vec<KrmResult>) {
    let value = match doc.to_value(node) {
        Ok(v) => schema::strip_nulls(v),
        Err(e) => {
            let message = format!("cannot read the Instrumentation: {e}");
            return (None, vec![KrmResult::about(item, Severity::Error, message)]);
        }
    };
    let mut findings = Vec::new();
    let spec = match value.get("spec") {
        None => Map::new(),
        Some(Value::Object(spec)) => spec
            .iter()
            .filter(|(k, _)| operator::SHARED_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Some(other) => {
            findings.push(
                Finding::error(
                    FieldPath::keys(&["spec"]),
                    format!(
                        "must be an object, but is {}",
                        schema::describe_value(other)
                    ),
                )
                .with_current(other.clone()),
            );
            Map::new()
        }
    };
    let instance = typed_instance(spec);
    let (checked, more) = check(Flavor::Instrumentation, &instance, true);
    findings.extend(more);
    let results = to_results(item, findings, |p| p.to_string());
    let origin = (item.namespace.clone(), item.name.clone());
    let inst = checked
        .filter(|_| !results.iter().any(|r| r.severity == Severity::Error))
        .map(|spec| operator::instrumentation(&spec, Some(origin)));
    (inst, results)
}

/// `{apiVersion, kind, spec}` of the typed form around a spec.
fn typed_instance(spec: Map<String, Value>) -> Value {
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::from(typed::API_VERSION));
    object.insert("kind".into(), Value::from(typed::KIND));
    object.insert("spec".into(), Value::Object(spec));
    Value::Object(object)
}

fn read_typed(
    doc: &Doc<'_>,
    node: NodeId,
    item: &Item,
) -> (Option<FunctionConfig>, Vec<KrmResult>) {
    let value = match doc.to_value(node) {
        Ok(v) => schema::strip_nulls(v),
        Err(e) => {
            let message = format!("cannot read the functionConfig: {e}");
            return (None, vec![KrmResult::about(item, Severity::Error, message)]);
        }
    };
    let (checked, findings) = check(Flavor::Typed, &value, false);
    let has_instrumentation = has_shared_fields(&value);
    let results = to_results(item, findings, |p| p.to_string());
    (
        checked.map(|spec| function_config(&spec, has_instrumentation)),
        results,
    )
}

fn read_configmap(
    doc: &Doc<'_>,
    data: NodeId,
    item: &Item,
) -> (Option<FunctionConfig>, Vec<KrmResult>) {
    let converted = configmap::convert(doc, data);
    let instance = typed_instance(converted.spec);
    let mut findings = converted.findings;
    let data_ok = findings.is_empty();
    let (checked, more) = check(Flavor::Typed, &instance, false);
    findings.extend(more);
    let has_instrumentation = has_shared_fields(&instance);
    let keys = converted.keys;
    let results = to_results(item, findings, |p| {
        configmap::field_for(p, &keys).to_string()
    });
    let config = checked
        .filter(|_| data_ok)
        .map(|spec| function_config(&spec, has_instrumentation));
    (config, results)
}

fn has_shared_fields(value: &Value) -> bool {
    value
        .get("spec")
        .and_then(Value::as_object)
        .is_some_and(|spec| {
            spec.keys()
                .any(|k| operator::SHARED_KEYS.contains(&k.as_str()))
        })
}

/// Schema and semantic checks of a typed-shape object (nulls removed); the
/// deserialized spec when nothing is an error. A semantic error on a field
/// the schema already reported is dropped (the same problem twice, such as
/// an unknown sampler type).
fn check(
    flavor: Flavor,
    instance: &Value,
    force_instrumentation: bool,
) -> (Option<typed::InjectOtelPythonSpec>, Vec<Finding>) {
    let mut findings = schema::validate(flavor, instance);
    let empty = Value::Object(Map::new());
    let spec = instance.get("spec").unwrap_or(&empty);
    let mut semantic = function_findings(spec);
    if force_instrumentation || has_shared_fields(instance) {
        // An unset sampler is the SDK default: the webhook warns about it on
        // Instrumentation objects; in the function's own config it is noise.
        semantic.extend(
            operator::webhook_findings(spec).into_iter().filter(|f| {
                flavor == Flavor::Instrumentation || f.message != "sampler type not set"
            }),
        );
    }
    semantic
        .retain(|s| s.severity != Severity::Error || !findings.iter().any(|f| f.path == s.path));
    findings.extend(semantic);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return (None, findings);
    }
    match serde_json::from_value::<typed::InjectOtelPython>(instance.clone()) {
        Ok(config) => (Some(config.spec.unwrap_or_default()), findings),
        Err(e) => {
            findings.push(Finding::error(FieldPath::keys(&["spec"]), e.to_string()));
            (None, findings)
        }
    }
}

/// The function's own semantic rules (what the schema cannot express).
fn function_findings(spec: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let expressions = spec
        .pointer("/selector/labels/matchExpressions")
        .and_then(Value::as_array);
    for (i, expr) in expressions.into_iter().flatten().enumerate() {
        let path = FieldPath::keys(&["spec", "selector", "labels", "matchExpressions"])
            .index(i)
            .key("values");
        let values = expr.get("values").and_then(Value::as_array);
        let has_values = values.is_some_and(|v| !v.is_empty());
        match expr.get("operator").and_then(Value::as_str) {
            Some(op @ ("In" | "NotIn")) if !has_values => out.push(Finding::error(
                path,
                format!("must be given (and not empty) when operator is {op}"),
            )),
            Some(op @ ("Exists" | "DoesNotExist")) if has_values => out.push(Finding::error(
                path,
                format!("must be empty when operator is {op}"),
            )),
            _ => {}
        }
    }
    for (list, base) in [
        (spec.get("env"), FieldPath::keys(&["spec", "env"])),
        (
            spec.pointer("/python/env"),
            FieldPath::keys(&["spec", "python", "env"]),
        ),
    ] {
        for (i, env) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let value = env.get("value").and_then(Value::as_str).unwrap_or_default();
            if !value.is_empty() && env.get("valueFrom").is_some() {
                out.push(Finding::error(
                    base.clone().index(i).key("valueFrom"),
                    "may not be given when value is not empty",
                ));
            }
        }
    }
    out
}

/// The FunctionConfig of a checked typed spec.
fn function_config(
    spec: &typed::InjectOtelPythonSpec,
    has_instrumentation: bool,
) -> FunctionConfig {
    FunctionConfig {
        settings: settings(spec),
        instrumentation: has_instrumentation.then(|| operator::instrumentation(spec, None)),
    }
}

fn settings(spec: &typed::InjectOtelPythonSpec) -> Settings {
    let strings = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    let pairs = |m: &Option<Map<String, Value>>| -> Vec<(String, String)> {
        m.iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    let django = spec.django.clone().unwrap_or_default();
    Settings {
        mode: match spec.mode {
            None | Some(typed::Mode::Inject) => Mode::Inject,
            Some(typed::Mode::Remove) => Mode::Remove,
            Some(typed::Mode::Check) => Mode::Check,
        },
        selector: spec.selector.as_ref().map(|s| Selector {
            kinds: strings(&s.kinds),
            names: strings(&s.names),
            namespaces: strings(&s.namespaces),
            labels: s.labels.as_ref().map(|l| LabelSelector {
                match_labels: pairs(&l.match_labels),
                match_expressions: l
                    .match_expressions
                    .iter()
                    .flatten()
                    .map(|e| LabelExpression {
                        key: e.key.clone(),
                        operator: match e.operator {
                            typed::LabelOperator::In => LabelOperator::In,
                            typed::LabelOperator::NotIn => LabelOperator::NotIn,
                            typed::LabelOperator::Exists => LabelOperator::Exists,
                            typed::LabelOperator::DoesNotExist => LabelOperator::DoesNotExist,
                        },
                        values: strings(&e.values),
                    })
                    .collect(),
            }),
        }),
        container_names: strings(&spec.container_names),
        platform: spec.platform.map(|p| match p {
            typed::Platform::Glibc => Platform::Glibc,
            typed::Platform::Musl => Platform::Musl,
            typed::Platform::Auto => Platform::Auto,
        }),
        django: Django {
            settings_module: django.settings_module.filter(|s| !s.is_empty()),
            app_root: django.app_root.filter(|s| !s.is_empty()),
        },
        workloads: spec
            .workloads
            .iter()
            .flatten()
            .map(|w| WorkloadKind {
                api_version: w.api_version.clone(),
                kind: w.kind.clone(),
                pod_template_path: w
                    .pod_template_path
                    .as_deref()
                    .unwrap_or("spec.template")
                    .split('.')
                    .map(str::to_string)
                    .collect(),
            })
            .collect(),
    }
}

/// Findings as results about `item`, with `field` from `field_path`.
fn to_results(
    item: &Item,
    findings: Vec<Finding>,
    field_path: impl Fn(&FieldPath) -> String,
) -> Vec<KrmResult> {
    findings
        .into_iter()
        .map(|f| {
            let mut result = KrmResult::about(item, f.severity, f.message);
            let path = field_path(&f.path);
            if !path.is_empty() {
                result = result.field(path);
            }
            match f.current {
                Some(v) => result.current(v),
                None => result,
            }
        })
        .collect()
}
