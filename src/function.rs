//! The KRM function: reads the config, decides per workload, plans the
//! operator's mutation and applies it (or undoes it, or checks it).

use serde_json::{Map, Value};

use crate::config::{self, FunctionConfig, Instrumentation, Mode, Platform};
use crate::inject::apply::{self, Template};
use crate::inject::plan::{self, PlatformChoice, Target, Workload};
use crate::krm::{Function, Item, KrmResult, ResourceList, Results, Severity};
use crate::select::{self, InjectDecision};
use crate::yaml::{Doc, Editor, Kind, NodeId, SeqIndent};

/// The function the binary runs.
pub struct Injector;

impl Function for Injector {
    fn run(&self, list: &ResourceList<'_, '_>, editor: &mut Editor<'_, '_>, results: &mut Results) {
        let outcome = config::read(list);
        for r in outcome.results {
            results.push(r);
        }
        let Some(config) = outcome.config else {
            return;
        };
        let context = Context::new(list, &config, results);
        let mut selected_any = false;
        for item in &list.items {
            if select::is_never_touched(list.doc, item, list.function_config) {
                continue;
            }
            let Some(template) = select::pod_template(list.doc, item, &config.settings.workloads)
            else {
                continue;
            };
            selected_any |= context.selected(item) == Some(true);
            editor.set_default_seq_indent(item.seq_indent.unwrap_or(SeqIndent::Compact));
            let mark = editor.len();
            if let Err(result) = context.workload(item, template, editor, results) {
                editor.truncate(mark);
                results.push(*result);
            }
        }
        let unmatched = config.settings.selector.is_some()
            && !selected_any
            && config.settings.mode != Mode::Remove;
        if let Some(node) = list.function_config.filter(|_| unmatched) {
            let config_item = config::config_item(list.doc, node);
            results.push(
                KrmResult::about(
                    &config_item,
                    Severity::Warning,
                    "spec.selector matched no workload among the items",
                )
                .field("spec.selector")
                .tag("check", "selector-unmatched"),
            );
        }
    }
}

/// What every workload's decision needs: the config and the Instrumentation
/// objects and Namespaces among the items.
struct Context<'c> {
    doc: &'c Doc<'c>,
    config: &'c FunctionConfig,
    /// `(namespace, name)` of each usable Instrumentation, and the spec.
    available: Vec<(Option<String>, String)>,
    instrumentations: Vec<Instrumentation>,
    namespaces: std::collections::HashMap<String, NodeId>,
    /// Whether a config with any setting was given (not form 4, "none").
    has_config: bool,
}

impl<'c> Context<'c> {
    fn new(
        list: &'c ResourceList<'c, 'c>,
        config: &'c FunctionConfig,
        results: &mut Results,
    ) -> Self {
        let doc = list.doc;
        let mut available = Vec::new();
        let mut instrumentations = Vec::new();
        if let Some((inst, (ns, name))) = config
            .instrumentation
            .as_ref()
            .and_then(|i| i.origin.as_ref().map(|o| (i, o)))
        {
            available.push((ns.clone(), name.clone()));
            instrumentations.push(inst.clone());
        }
        for item in &list.items {
            // kpt (up to beta.56) also sends the functionConfig among the
            // items; it is counted once, as the config.
            if !config::is_instrumentation(&item.api_version, &item.kind)
                || list
                    .function_config
                    .is_some_and(|f| same_object(doc, f, item))
            {
                continue;
            }
            let (inst, found) = config::instrumentation_from_object(doc, item.node, item);
            for r in found {
                results.push(r);
            }
            if let Some(inst) = inst {
                available.push((item.namespace.clone(), item.name.clone()));
                instrumentations.push(inst);
            }
        }
        Context {
            doc,
            config,
            available,
            instrumentations,
            namespaces: select::namespace_annotations(doc, &list.items),
            has_config: *config != FunctionConfig::default(),
        }
    }

    /// Whether `spec.selector` matches the workload (`None`: no selector).
    fn selected(&self, item: &Item) -> Option<bool> {
        let doc = self.doc;
        self.config.settings.selector.as_ref().map(|s| {
            let labels = doc
                .path(item.node, &["metadata", "labels"])
                .and_then(|n| doc.to_value(n).ok())
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default();
            select::selector_matches(
                s,
                &item.kind,
                &item.name,
                item.namespace.as_deref(),
                &labels,
            )
        })
    }

    /// Decides, plans and applies one workload; an `Err` is the one error
    /// result that stops it.
    fn workload(
        &self,
        item: &Item,
        template: NodeId,
        editor: &mut Editor<'_, '_>,
        results: &mut Results,
    ) -> Result<(), Box<KrmResult>> {
        let doc = self.doc;
        let settings = &self.config.settings;
        let prefix = doc.path_within(template, Some(item.node));
        let at = |field: &str| join_path(&prefix, field);
        let fail = |field: &str, message: String| {
            Box::new(KrmResult::about(item, Severity::Error, message).field(at(field)))
        };
        let current = doc
            .to_value(template)
            .map_err(|e| fail("", e.to_string()))?;
        let spec = doc
            .get(template, "spec")
            .filter(|&s| doc.kind(s) == Kind::Map)
            .ok_or_else(|| fail("spec", "the pod template has no spec".into()))?;
        let record = match apply::read_record(&current) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                results.push(
                    KrmResult::about(
                        item,
                        Severity::Warning,
                        format!(
                            "left alone: its {} annotation cannot be read ({e})",
                            apply::RECORD_ANNOTATION
                        ),
                    )
                    .field(at("metadata.annotations")),
                );
                return Ok(());
            }
            None => None,
        };
        let original = match &record {
            Some(r) => match apply::original_template(&current, r) {
                Ok(o) => o,
                Err(e) => {
                    results.push(
                        KrmResult::about(item, Severity::Warning, format!("left alone: the injection recorded on it was changed by hand ({e}); remove it by hand or restore it"))
                            .field(at("spec")),
                    );
                    return Ok(());
                }
            },
            None => current.clone(),
        };
        let pod_annotations = object_at(&original, "/metadata/annotations");
        let namespace_annotations = self
            .namespaces
            .get(select::effective_namespace(item.namespace.as_deref()))
            .and_then(|&n| select::annotation_map(doc, n).ok());
        let merged = |key: &str| {
            select::annotation_value(namespace_annotations.as_ref(), &pod_annotations, key)
        };
        let workload_labels = doc
            .path(item.node, &["metadata", "labels"])
            .and_then(|n| doc.to_value(n).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let selected = settings.selector.as_ref().map(|s| {
            select::selector_matches(
                s,
                &item.kind,
                &item.name,
                item.namespace.as_deref(),
                &workload_labels,
            )
        });
        let decision = match settings.mode {
            Mode::Remove => InjectDecision::No,
            _ => select::decide(selected, &merged(select::ANNOTATION_INJECT_PYTHON)),
        };
        let wanted = decision != InjectDecision::No;
        if record.is_none() && select::instrumented_by_operator(&original["spec"]) {
            if wanted {
                results.push(
                    KrmResult::about(item, Severity::Warning, "left alone: already instrumented by something else (an OpenTelemetry init container or sidecar with no record of this function)")
                        .field(at("spec"))
                        .tag("check", "instrumented-elsewhere"),
                );
            }
            return Ok(());
        }
        let plan = match decision {
            InjectDecision::No => None,
            InjectDecision::Instance(value) => {
                let inst = self
                    .instrumentation(&value, item)
                    .map_err(|m| fail("metadata.annotations", m))?;
                let targets = select::target_containers(
                    &original["spec"],
                    &settings.container_names,
                    &merged(select::ANNOTATION_CONTAINER_NAMES),
                    &merged(select::ANNOTATION_PYTHON_CONTAINER_NAMES),
                )
                .map_err(|m| fail("metadata.annotations", m))?;
                for name in &targets.unmatched {
                    results.push(
                        KrmResult::about(item, Severity::Warning, format!("container {name:?} is neither a container nor an init container of this pod template"))
                            .field(at("spec.containers"))
                            .tag("check", "container-unmatched"),
                    );
                }
                if targets.targets.is_empty() {
                    results.push(
                        KrmResult::about(item, Severity::Warning, "no container to instrument")
                            .field(at("spec.containers"))
                            .tag("check", "container-unmatched"),
                    );
                    None
                } else {
                    let first_image = first_image(&original["spec"], &targets.targets[0]);
                    let platform = select::choose_platform(
                        &merged(select::ANNOTATION_PYTHON_PLATFORM),
                        settings.platform,
                        first_image.as_deref(),
                    )
                    .map_err(|m| fail("metadata.annotations", m))?;
                    let choice = match platform.platform {
                        Platform::Musl => PlatformChoice::Musl,
                        _ => PlatformChoice::Glibc,
                    };
                    let targets: Vec<Target> = targets
                        .targets
                        .iter()
                        .map(|t| Target {
                            name: t.name.clone(),
                            init: t.init,
                        })
                        .collect();
                    let workload = Workload {
                        kind: &item.kind,
                        name: &item.name,
                        namespace: item.namespace.as_deref(),
                    };
                    let plan = plan::plan(
                        &original,
                        &workload,
                        &inst,
                        choice,
                        &settings.django,
                        &targets,
                    );
                    if let Some(problem) = plan.problems.first() {
                        return Err(fail(&problem.field, problem.message.clone()));
                    }
                    Some((plan, inst, choice))
                }
            }
        };
        if record.is_none() && plan.is_none() {
            return Ok(());
        }
        let mark = editor.len();
        let t = Template {
            node: template,
            spec,
        };
        let mut new_record = apply::apply(
            editor,
            t,
            record.as_ref(),
            plan.as_ref().map(|p| &p.0),
            &original,
        )
        .map_err(|e| fail("spec", e.to_string()))?;
        apply::write_record(editor, t, new_record.as_mut(), record.as_ref())
            .map_err(|e| fail("metadata.annotations", e.to_string()))?;
        let changed = editor.len() > mark;
        if changed && settings.mode != Mode::Check {
            forget_comment_tracking(editor, item)
                .map_err(|e| fail("metadata.annotations", e.to_string()))?;
        }
        match (settings.mode, &plan) {
            (Mode::Check, _) => {
                editor.truncate(mark);
                if changed {
                    let message = match (&record, &plan) {
                        (None, _) => {
                            "not injected: the function would inject Python auto-instrumentation here"
                        }
                        (Some(_), None) => "injected, but the config no longer selects it",
                        (Some(_), Some(_)) => {
                            "the injection has drifted from the config: run the function to update it"
                        }
                    };
                    results.push(
                        KrmResult::about(item, Severity::Error, message)
                            .field(at("spec"))
                            .tag("check", "drift"),
                    );
                }
            }
            (_, Some((plan, inst, choice))) => {
                let names: Vec<&str> = plan.containers.iter().map(|c| c.name.as_str()).collect();
                let platform = match choice {
                    PlatformChoice::Glibc => "glibc",
                    PlatformChoice::Musl => "musl",
                };
                results.push(
                    KrmResult::about(
                        item,
                        Severity::Info,
                        format!(
                            "Python auto-instrumentation {}: containers {}, platform {platform}, image {}",
                            if changed { "injected" } else { "up to date" },
                            names.join(", "),
                            inst.python_image
                        ),
                    )
                    .field(at("spec"))
                    .tag("containers", names.join(","))
                    .tag("platform", platform)
                    .tag("image", inst.python_image.clone()),
                );
            }
            (_, None) => {
                results.push(
                    KrmResult::about(
                        item,
                        Severity::Info,
                        "removed the Python auto-instrumentation this function had injected",
                    )
                    .field(at("spec")),
                );
            }
        }
        Ok(())
    }

    /// The Instrumentation an opt-in value names: `"true"` is the
    /// functionConfig's own when it has one, else the only one in the pod's
    /// namespace; a name or `ns/name` is looked up among the items (and the
    /// functionConfig, when it is an Instrumentation object).
    fn instrumentation(&self, value: &str, item: &Item) -> Result<Instrumentation, String> {
        if let Some(inst) = self
            .config
            .instrumentation
            .as_ref()
            .filter(|_| value == "true")
        {
            return Ok(inst.clone());
        }
        let index =
            match select::resolve_instance(value, item.namespace.as_deref(), &self.available) {
                Ok(index) => index,
                // A config that sets only the function's own fields, with no
                // Instrumentation among the items: the operator's defaults.
                Err(e)
                    if value == "true"
                        && self.has_config
                        && e == select::messages::NO_INSTANCES =>
                {
                    return Ok(config::default_instrumentation());
                }
                Err(e) => return Err(e),
            };
        self.instrumentations
            .get(index)
            .cloned()
            .ok_or_else(|| "instrumentation index out of range".to_string())
    }
}

/// The ids kpt and kustomize set on each item just before calling a
/// function, to copy the item's comments back onto the function's output
/// (kyaml `copyCommentsAndSyncOrder`), and strip right after.
const COMMENT_TRACKING_IDS: [&str; 2] = ["internal.config.kubernetes.io/id", "config.k8s.io/id"];

/// Drops the comment-tracking ids of an item the function edited. The edit
/// keeps every comment in place already; kyaml would copy the input's
/// comments onto the output again, matching list items by position, so a
/// list that grew at its start (`OTEL_NODE_IP`, `OTEL_POD_IP`) would get its
/// comments moved onto the wrong items. Without the ids kyaml leaves the
/// item's text as the function wrote it (and it strips these ids anyway).
fn forget_comment_tracking(
    editor: &mut Editor<'_, '_>,
    item: &Item,
) -> Result<(), crate::yaml::EditError> {
    let doc = editor.doc();
    let Some(annotations) = doc
        .path(item.node, &["metadata", "annotations"])
        .filter(|&a| doc.kind(a) == Kind::Map)
    else {
        return Ok(());
    };
    let present: Vec<&str> = COMMENT_TRACKING_IDS
        .into_iter()
        .filter(|k| doc.get(annotations, k).is_some())
        .collect();
    if present.is_empty() || present.len() == doc.entries(annotations).count() {
        return Ok(());
    }
    editor.remove_entries(annotations, &present)
}

/// Whether `item` is the object `node` (the functionConfig) describes.
fn same_object(doc: &Doc<'_>, node: NodeId, item: &Item) -> bool {
    let text = |path: &[&str]| {
        doc.path(node, path)
            .and_then(|n| doc.scalar(n))
            .unwrap_or_default()
            .to_string()
    };
    text(&["apiVersion"]) == item.api_version
        && text(&["kind"]) == item.kind
        && text(&["metadata", "name"]) == item.name
}

fn object_at(v: &Value, pointer: &str) -> Map<String, Value> {
    v.pointer(pointer)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn first_image(spec: &Value, target: &select::Target) -> Option<String> {
    let key = if target.init {
        "initContainers"
    } else {
        "containers"
    };
    spec.get(key)?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(target.name.as_str()))?
        .get("image")?
        .as_str()
        .map(str::to_string)
}

fn join_path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}.{field}"),
    }
}
