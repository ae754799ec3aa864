//! A small edit of the engine's own, for tests and benchmarks that need real
//! edits before the injection exists: in every workload's first container
//! it adds two env vars and a volume mount, and adds a volume to the pod.
//! It is idempotent (a container that has `PROBE_PORT` is left alone), and
//! with `fail: "true"` in a ConfigMap functionConfig it reports an error on
//! every workload instead.

use inject_otel_python::krm::{Function, KrmResult, ResourceList, Results, Severity};
use inject_otel_python::yaml::{Editor, Kind, SeqIndent};
use serde_json::json;

pub struct EditProbe;

impl Function for EditProbe {
    fn run(&self, list: &ResourceList<'_, '_>, editor: &mut Editor<'_, '_>, results: &mut Results) {
        let doc = list.doc;
        let fail = list
            .function_config
            .and_then(|c| doc.path(c, &["data", "fail"]))
            .and_then(|n| doc.scalar(n))
            == Some("true");
        for item in &list.items {
            let Some(pod) = doc.path(item.node, &["spec", "template", "spec"]) else {
                continue;
            };
            let Some(container) = doc
                .get(pod, "containers")
                .and_then(|c| doc.items(c).first().copied())
                .filter(|&c| doc.kind(c) == Kind::Map)
            else {
                continue;
            };
            if fail {
                results.push(
                    KrmResult::about(item, Severity::Error, "probe: failing on purpose")
                        .field("spec.template.spec.containers[0]")
                        .tag("check", "probe"),
                );
                continue;
            }
            let done = doc.get(container, "env").is_some_and(|env| {
                doc.items(env)
                    .iter()
                    .any(|&e| doc.get(e, "name").and_then(|n| doc.scalar(n)) == Some("PROBE_PORT"))
            });
            if done {
                continue;
            }
            editor.set_default_seq_indent(item.seq_indent.unwrap_or(SeqIndent::Compact));
            let mark = editor.len();
            let edits = editor
                .append_to_list(
                    container,
                    "env",
                    &[
                        json!({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector:4318"}),
                        json!({"name": "PROBE_PORT", "value": "4317"}),
                    ],
                )
                .and_then(|()| {
                    editor.append_to_list(
                        container,
                        "volumeMounts",
                        &[json!({"name": "probe", "mountPath": "/probe"})],
                    )
                })
                .and_then(|()| {
                    editor.append_to_list(pod, "volumes", &[json!({"name": "probe", "emptyDir": {}})])
                });
            match edits {
                Ok(()) => results.push(
                    KrmResult::about(item, Severity::Info, "probe: edited the first container")
                        .tag("check", "probe"),
                ),
                Err(e) => {
                    editor.truncate(mark);
                    results.push(KrmResult::edit_refused(item, doc, &e));
                }
            }
        }
    }
}
