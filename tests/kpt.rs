//! The function end to end under the real `kpt` (1.0.0-beta.56): `kpt fn
//! render` with a Kptfile `exec:` mutator and `configPath: otel.yaml`, and
//! `kpt fn eval --exec … --fn-config otel.yaml`, running the real binary on
//! a package with a Deployment (wide lists, comments, quoting, flow
//! labels), a StatefulSet (compact lists, an existing env with a
//! `PYTHONPATH`) and a CronJob (`spec.jobTemplate.spec.template`, an
//! existing init container, a securityContext), plus a Service that must
//! be left alone (product.md §4–§6, krm-conventions.md §3).
//!
//! kpt rewrites every file itself (it re-serialises the items it reads and
//! restores comments, key order and list indentation; see
//! docs/yaml-engine.md §8.2), so the files are first run through `cat` as a
//! no-op function. That output is the baseline: an injection must write the
//! baseline plus exactly the lines below, which are written by hand from
//! docs/operator-python.md §1–§3 (env order §2.2, vectors V-A and V-B) and
//! the template rules of `src/inject/plan.rs` (downward-API vars for what
//! only exists at run time), not copied from the function's output.
//!
//! `kpt` and `git` must be on PATH: the tests fail (they do not skip)
//! without them.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const DEPLOY: &str = include_str!("fixtures/kpt/deploy.yaml");
const STORE: &str = include_str!("fixtures/kpt/store.yaml");
const CRON: &str = include_str!("fixtures/kpt/cron.yaml");
/// The typed functionConfig: selector on the three workload kinds, an
/// endpoint, two propagators and a sampler.
const OTEL: &str = include_str!("fixtures/kpt/otel.yaml");

/// The function under test.
const BIN: &str = env!("CARGO_BIN_EXE_inject-otel-python");

/// The operator's default Python image (operator-python.md §5.3).
const IMAGE: &str =
    "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0";

/// The annotation that records the injection on each pod template.
const RECORD_KEY: &str = "inject-otel-python.kpt.dev/record";
/// What a record annotation's value is replaced with before comparing
/// (its content is checked separately, see [`mask_records`]).
const RECORD_MASK: &str = "<record>";

/// The separator before the Service in `store.yaml`.
const SERVICE_SEPARATOR: &str = "\n---\n";

/// One expected change to a baseline file. Each anchor must occur exactly
/// once in the baseline.
enum Edit {
    /// `lines` added right after the baseline line equal to `after`.
    Insert {
        after: &'static str,
        lines: &'static [&'static str],
    },
    /// The baseline line equal to `line` rewritten as `to`.
    Rewrite {
        line: &'static str,
        to: &'static str,
    },
}

/// `deploy.yaml` (wide lists). The target is the first container, `app`
/// (no `env`, no `volumeMounts`); the pod has no `initContainers` and no
/// `volumes`, so all four keys are new, at the end of their mappings. The
/// template's metadata gets an `annotations` key for the record.
///
/// Env (operator-python.md §2.2 and V-A): NODE_IP and POD_IP first, then
/// PYTHONPATH (prefix:suffix), the four Python defaults, the service name
/// (the Deployment's name), the endpoint, POD_NAME and NODE_NAME, then the
/// ReplicaSet's pod-template-hash from the downward API (plan.rs: only a
/// run-time value; right after NODE_NAME), the propagators, the sampler and
/// its argument (quoted: a float to YAML), and OTEL_RESOURCE_ATTRIBUTES last
/// with keys sorted byte-wise and `service.version` from the image tag.
const DEPLOY_EDITS: &[Edit] = &[
    Edit::Insert {
        after: "      labels: {app: web}",
        lines: &[
            "      annotations:",
            "        inject-otel-python.kpt.dev/record: <record>",
        ],
    },
    Edit::Insert {
        after: "              memory: 256Mi",
        lines: &[
            "          env:",
            "            - name: OTEL_NODE_IP",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: status.hostIP",
            "            - name: OTEL_POD_IP",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: status.podIP",
            "            - name: PYTHONPATH",
            "              value: /otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python",
            "            - name: OTEL_EXPORTER_OTLP_PROTOCOL",
            "              value: http/protobuf",
            "            - name: OTEL_TRACES_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_METRICS_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_LOGS_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_SERVICE_NAME",
            "              value: web",
            "            - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "              value: http://otel-collector.observability:4318",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_POD_NAME",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: metadata.name",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_NODE_NAME",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: spec.nodeName",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: metadata.labels['pod-template-hash']",
            "            - name: OTEL_PROPAGATORS",
            "              value: tracecontext,baggage",
            "            - name: OTEL_TRACES_SAMPLER",
            "              value: parentbased_traceidratio",
            "            - name: OTEL_TRACES_SAMPLER_ARG",
            "              value: \"0.25\"",
            "            - name: OTEL_RESOURCE_ATTRIBUTES",
            "              value: k8s.container.name=app,k8s.deployment.name=web,k8s.namespace.name=shop,\
             k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),\
             k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),\
             k8s.replicaset.name=web-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),\
             service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).app,\
             service.namespace=shop,service.version=1.4.2",
            "          volumeMounts:",
            "            - name: opentelemetry-auto-instrumentation-python",
            "              mountPath: /otel-auto-instrumentation-python",
        ],
    },
    Edit::Insert {
        after: "              value: \"sidecar\"",
        lines: &[
            "      initContainers:",
            "        - name: opentelemetry-auto-instrumentation-python",
            "          image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0",
            "          command:",
            "            - cp",
            "            - -r",
            "            - /autoinstrumentation/.",
            "            - /otel-auto-instrumentation-python",
            "          resources:",
            "            limits:",
            "              cpu: 500m",
            "              memory: 256Mi",
            "            requests:",
            "              cpu: 50m",
            "              memory: 64Mi",
            "          volumeMounts:",
            "            - name: opentelemetry-auto-instrumentation-python",
            "              mountPath: /otel-auto-instrumentation-python",
            "      volumes:",
            "        - name: opentelemetry-auto-instrumentation-python",
            "          emptyDir:",
            "            sizeLimit: 200Mi",
        ],
    },
];

/// `store.yaml` (compact lists). The container `db` has an env list with
/// `PYTHONPATH=/app/lib`: NODE_IP and POD_IP are prepended, the
/// PYTHONPATH value is rewritten in place as `prefix:/app/lib:suffix`
/// (operator-python.md §1.3 step 4, V-B), the rest is appended after the
/// original items. A StatefulSet needs no run-time var. The mount and the
/// volume go at the end of the existing lists; `initContainers` is a new
/// key at the end of the pod spec (after `volumes`).
///
/// The line comments on the first and the last env items guard against
/// kpt's comment restoration, which matches list items by index
/// (krm-conventions.md §3.7): once the list is shifted by the two
/// prepended items, kpt would copy `# one per core` (input item 3) onto
/// the PYTHONPATH value (output item 3), and on removal `# keep quiet in
/// prod` (input item 2) onto CACHE (output item 2).
const STORE_EDITS: &[Edit] = &[
    Edit::Insert {
        after: "        app: store",
        lines: &[
            "      annotations:",
            "        inject-otel-python.kpt.dev/record: <record>",
        ],
    },
    Edit::Insert {
        after: "        env:",
        lines: &[
            "        - name: OTEL_NODE_IP",
            "          valueFrom:",
            "            fieldRef:",
            "              fieldPath: status.hostIP",
            "        - name: OTEL_POD_IP",
            "          valueFrom:",
            "            fieldRef:",
            "              fieldPath: status.podIP",
        ],
    },
    Edit::Rewrite {
        line: "          value: /app/lib",
        to: "          value: /otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/app/lib:/otel-auto-instrumentation-python",
    },
    Edit::Insert {
        after: "          value: \"4\" # one per core",
        lines: &[
            "        - name: OTEL_EXPORTER_OTLP_PROTOCOL",
            "          value: http/protobuf",
            "        - name: OTEL_TRACES_EXPORTER",
            "          value: otlp",
            "        - name: OTEL_METRICS_EXPORTER",
            "          value: otlp",
            "        - name: OTEL_LOGS_EXPORTER",
            "          value: otlp",
            "        - name: OTEL_SERVICE_NAME",
            "          value: store",
            "        - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "          value: http://otel-collector.observability:4318",
            "        - name: OTEL_RESOURCE_ATTRIBUTES_POD_NAME",
            "          valueFrom:",
            "            fieldRef:",
            "              fieldPath: metadata.name",
            "        - name: OTEL_RESOURCE_ATTRIBUTES_NODE_NAME",
            "          valueFrom:",
            "            fieldRef:",
            "              fieldPath: spec.nodeName",
            "        - name: OTEL_PROPAGATORS",
            "          value: tracecontext,baggage",
            "        - name: OTEL_TRACES_SAMPLER",
            "          value: parentbased_traceidratio",
            "        - name: OTEL_TRACES_SAMPLER_ARG",
            "          value: \"0.25\"",
            "        - name: OTEL_RESOURCE_ATTRIBUTES",
            "          value: k8s.container.name=db,k8s.namespace.name=shop,\
             k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),\
             k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.statefulset.name=store,\
             service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).db,\
             service.namespace=shop,service.version=3.1",
        ],
    },
    Edit::Insert {
        after: "          mountPath: /var/lib/store",
        lines: &[
            "        - name: opentelemetry-auto-instrumentation-python",
            "          mountPath: /otel-auto-instrumentation-python",
        ],
    },
    Edit::Insert {
        after: "        emptyDir: {}",
        lines: &[
            "      - name: opentelemetry-auto-instrumentation-python",
            "        emptyDir:",
            "          sizeLimit: 200Mi",
            "      initContainers:",
            "      - name: opentelemetry-auto-instrumentation-python",
            "        image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0",
            "        command:",
            "        - cp",
            "        - -r",
            "        - /autoinstrumentation/.",
            "        - /otel-auto-instrumentation-python",
            "        resources:",
            "          limits:",
            "            cpu: 500m",
            "            memory: 256Mi",
            "          requests:",
            "            cpu: 50m",
            "            memory: 64Mi",
            "        volumeMounts:",
            "        - name: opentelemetry-auto-instrumentation-python",
            "          mountPath: /otel-auto-instrumentation-python",
        ],
    },
];

/// `cron.yaml` (compact lists, template at `spec.jobTemplate.spec.template`).
/// The target is the regular container `report`: the Python init container
/// goes after the existing `migrate` (operator-python.md §1.5 step 3) and
/// copies the target's securityContext (step 4). The service name is the
/// CronJob's name (§3.2: `k8s.cronjob.name` before `k8s.job.name`); the
/// Job's name only exists at run time, so it comes from the Job
/// controller's label (plan.rs), right after NODE_NAME.
const CRON_EDITS: &[Edit] = &[
    Edit::Insert {
        after: "            app: report",
        lines: &[
            "          annotations:",
            "            inject-otel-python.kpt.dev/record: <record>",
        ],
    },
    Edit::Insert {
        after: "            command: [\"python\", \"-m\", \"migrate\"]",
        lines: &[
            "          - name: opentelemetry-auto-instrumentation-python",
            "            image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0",
            "            command:",
            "            - cp",
            "            - -r",
            "            - /autoinstrumentation/.",
            "            - /otel-auto-instrumentation-python",
            "            resources:",
            "              limits:",
            "                cpu: 500m",
            "                memory: 256Mi",
            "              requests:",
            "                cpu: 50m",
            "                memory: 64Mi",
            "            volumeMounts:",
            "            - name: opentelemetry-auto-instrumentation-python",
            "              mountPath: /otel-auto-instrumentation-python",
            "            securityContext:",
            "              runAsNonRoot: true",
            "              runAsUser: 1000",
        ],
    },
    Edit::Insert {
        after: "              runAsUser: 1000",
        lines: &[
            "            env:",
            "            - name: OTEL_NODE_IP",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: status.hostIP",
            "            - name: OTEL_POD_IP",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: status.podIP",
            "            - name: PYTHONPATH",
            "              value: /otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python",
            "            - name: OTEL_EXPORTER_OTLP_PROTOCOL",
            "              value: http/protobuf",
            "            - name: OTEL_TRACES_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_METRICS_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_LOGS_EXPORTER",
            "              value: otlp",
            "            - name: OTEL_SERVICE_NAME",
            "              value: nightly-report",
            "            - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "              value: http://otel-collector.observability:4318",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_POD_NAME",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: metadata.name",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_NODE_NAME",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: spec.nodeName",
            "            - name: OTEL_RESOURCE_ATTRIBUTES_JOB_NAME",
            "              valueFrom:",
            "                fieldRef:",
            "                  fieldPath: metadata.labels['batch.kubernetes.io/job-name']",
            "            - name: OTEL_PROPAGATORS",
            "              value: tracecontext,baggage",
            "            - name: OTEL_TRACES_SAMPLER",
            "              value: parentbased_traceidratio",
            "            - name: OTEL_TRACES_SAMPLER_ARG",
            "              value: \"0.25\"",
            "            - name: OTEL_RESOURCE_ATTRIBUTES",
            "              value: k8s.container.name=report,k8s.cronjob.name=nightly-report,\
             k8s.job.name=$(OTEL_RESOURCE_ATTRIBUTES_JOB_NAME),k8s.namespace.name=shop,\
             k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),\
             k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),\
             service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).report,\
             service.namespace=shop,service.version=0.9",
            "            volumeMounts:",
            "            - name: opentelemetry-auto-instrumentation-python",
            "              mountPath: /otel-auto-instrumentation-python",
            "          volumes:",
            "          - name: opentelemetry-auto-instrumentation-python",
            "            emptyDir:",
            "              sizeLimit: 200Mi",
        ],
    },
];

/// One injected workload: its file, its expected edits, and how kpt names
/// it in a result line.
struct Injected {
    file: &'static str,
    edits: &'static [Edit],
    /// `apiVersion/kind/namespace/name`.
    resource: &'static str,
    /// The pod template's spec, as the result's field path.
    field: &'static str,
    container: &'static str,
}

/// In kpt's result order (by file path).
const INJECTED: [Injected; 3] = [
    Injected {
        file: "cron.yaml",
        edits: CRON_EDITS,
        resource: "batch/v1/CronJob/shop/nightly-report",
        field: "spec.jobTemplate.spec.template.spec",
        container: "report",
    },
    Injected {
        file: "deploy.yaml",
        edits: DEPLOY_EDITS,
        resource: "apps/v1/Deployment/shop/web",
        field: "spec.template.spec",
        container: "app",
    },
    Injected {
        file: "store.yaml",
        edits: STORE_EDITS,
        resource: "apps/v1/StatefulSet/shop/store",
        field: "spec.template.spec",
        container: "db",
    },
];

/// kpt's display of a workload's info result (`injected`, `up to date`).
fn info_line(w: &Injected, state: &str) -> String {
    format!(
        "    [info] {} {}: Python auto-instrumentation {state}: containers {}, platform glibc, image {IMAGE}\n",
        w.resource, w.field, w.container
    )
}

/// kpt's display of a workload's info result in `remove` mode.
fn removed_line(w: &Injected) -> String {
    format!(
        "    [info] {} {}: removed the Python auto-instrumentation this function had injected\n",
        w.resource, w.field
    )
}

/// Files of the package (relative path → content), `.git` excluded.
type Files = BTreeMap<String, String>;

/// How kpt runs the function.
#[derive(Clone, Copy)]
enum Run {
    /// `kpt fn eval PKG --exec BIN --fn-config PKG/otel.yaml`.
    Eval,
    /// `kpt fn render PKG --allow-exec` (the Kptfile's `exec:` mutator).
    Render,
}

impl Run {
    fn label(self) -> &'static str {
        match self {
            Run::Eval => "kpt fn eval --exec … --fn-config otel.yaml",
            Run::Render => "kpt fn render --allow-exec",
        }
    }
}

#[test]
fn kpt_writes_the_baseline_plus_exactly_the_injected_lines() {
    let kpt = Kpt::find();
    let pkg = Package::new(OTEL, STORE);
    let original = pkg.files();
    let baseline = pkg.baseline(&kpt);
    let service = service_of(&original["store.yaml"]);

    let mut written = Vec::new();
    for run in [Run::Eval, Run::Render] {
        let label = run.label();
        let out = pkg.run(&kpt, run, &[]);
        let text = assert_success(&out, label);
        for w in &INJECTED {
            let line = info_line(w, "injected");
            assert!(
                text.contains(&line),
                "{label}: no `{}` in kpt's output:\n{text}",
                line.trim()
            );
        }
        assert_no_findings(label, &text);

        let files = pkg.files();
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            original.keys().collect::<Vec<_>>(),
            "{label}: the set of files changed"
        );
        for file in ["Kptfile", "otel.yaml"] {
            assert_eq!(files[file], original[file], "{label}: {file} changed");
        }
        for w in &INJECTED {
            assert_edits(
                label,
                w.file,
                &baseline[w.file],
                &files[w.file],
                w.edits,
                w.container,
            );
        }
        assert_eq!(
            service_of(&files["store.yaml"]),
            service,
            "{label}: the Service is not byte-identical"
        );

        // A second run over the first run's output changes nothing.
        pkg.git.commit_all(&format!("after {label}"));
        let again = pkg.run(&kpt, run, &[]);
        let text = assert_success(&again, &format!("{label} (second run)"));
        for w in &INJECTED {
            let line = info_line(w, "up to date");
            assert!(
                text.contains(&line),
                "{label}: second run: no `{}` in kpt's output:\n{text}",
                line.trim()
            );
        }
        pkg.assert_unchanged(&format!("{label}: the second run"));

        written.push(files);
        pkg.git.reset_hard("HEAD~1");
        assert_eq!(pkg.files(), original, "reset to the original commit");
    }
    assert_eq!(
        written[0], written[1],
        "kpt fn eval and kpt fn render wrote different files"
    );
}

#[test]
fn kpt_render_follows_a_changed_config_and_removes_back_to_the_baseline() {
    let kpt = Kpt::find();
    let pkg = Package::new(OTEL, STORE);
    let baseline = pkg.baseline(&kpt);

    let out = pkg.run(&kpt, Run::Render, &[]);
    assert_success(&out, "first render");
    pkg.git.commit_all("injected");
    let injected_commit = pkg.git.head();
    let injected = pkg.files();

    // Another endpoint, one more propagator, no sampler.
    let changed_config = replace_once(
        &replace_once(
            &replace_once(
                OTEL,
                "http://otel-collector.observability:4318",
                "http://otel-gateway.monitoring:4318",
            ),
            "[tracecontext, baggage]",
            "[tracecontext, baggage, b3]",
        ),
        "  sampler:\n    type: parentbased_traceidratio\n    argument: \"0.25\"\n",
        "",
    );
    pkg.write("otel.yaml", &changed_config);
    let out = pkg.run(&kpt, Run::Render, &[]);
    let text = assert_success(&out, "render with a changed config");
    assert_no_findings("render with a changed config", &text);
    let changed = pkg.files();
    for w in &INJECTED {
        assert_ne!(
            changed[w.file], injected[w.file],
            "{}: the changed config changed nothing",
            w.file
        );
    }

    // The same config rendered on the original package.
    let fresh = Package::new(&changed_config, STORE);
    let out = fresh.run(&kpt, Run::Render, &[]);
    assert_success(&out, "render of the changed config on the original package");
    let direct = fresh.files();
    for (file, text) in &changed {
        assert!(
            *text == direct[file],
            "{file}: re-rendering with a changed config differs from rendering it on the \
             original package.\ndirect → re-rendered:\n{}",
            line_diff(&lines(&direct[file]), &lines(text))
        );
    }

    pkg.git.commit_all("changed config");
    let changed_commit = pkg.git.head();
    let out = pkg.run(&kpt, Run::Render, &[]);
    assert_success(&out, "render with the changed config (second run)");
    pkg.assert_unchanged("the second render with the changed config");

    // `mode: remove` restores the baseline byte for byte.
    let remove_config = replace_once(&changed_config, "\nspec:\n", "\nspec:\n  mode: remove\n");
    for (label, run, from) in [
        (
            "eval, mode: remove, after the first injection",
            Run::Eval,
            &injected_commit,
        ),
        (
            "render, mode: remove, after the config change",
            Run::Render,
            &changed_commit,
        ),
    ] {
        pkg.git.reset_hard(from);
        pkg.write("otel.yaml", &remove_config);
        let out = pkg.run(&kpt, run, &[]);
        let text = assert_success(&out, label);
        for w in &INJECTED {
            let line = removed_line(w);
            assert!(
                text.contains(&line),
                "{label}: no `{}` in kpt's output:\n{text}",
                line.trim()
            );
        }
        assert_no_findings(label, &text);
        let files = pkg.files();
        for (file, text) in &files {
            let expected = if file == "otel.yaml" {
                &remove_config
            } else {
                &baseline[file]
            };
            assert!(
                text == expected,
                "{label}: {file} is not restored.\nbaseline → written:\n{}",
                line_diff(&lines(expected), &lines(text))
            );
        }
        pkg.git.commit_all(&format!("after {label}"));
        let out = pkg.run(&kpt, run, &[]);
        let text = assert_success(&out, &format!("{label} (second run)"));
        assert!(
            !text.contains("removed the Python auto-instrumentation"),
            "{label}: the second run removed again:\n{text}"
        );
        pkg.assert_unchanged(&format!("{label}: the second run"));
    }
}

/// One failing run: what kpt must print, and the error result it must keep.
struct Failure {
    label: &'static str,
    run: Run,
    otel: String,
    store: String,
    /// kpt's display of the error result.
    error: &'static str,
    /// The file named in the stderr summary, if the item has a path.
    file: Option<&'static str>,
    kind: &'static str,
    name: &'static str,
    message: &'static str,
    field: &'static str,
}

#[test]
fn kpt_fails_on_errors_and_leaves_the_files_alone() {
    let kpt = Kpt::find();
    let bad_ratio = replace_once(OTEL, "argument: \"0.25\"", "argument: \"1.5\"");
    let config_error = "[error] fn.kpt.dev/v1alpha1/InjectOtelPython/otel spec.sampler.argument: \
                        spec.sampler.argument should be in rage [0..1]: 1.5";
    let config_message = "spec.sampler.argument should be in rage [0..1]: 1.5";
    let cases = [
        Failure {
            label: "render, sampler argument 1.5",
            run: Run::Render,
            otel: bad_ratio.clone(),
            store: STORE.to_owned(),
            error: config_error,
            file: Some("otel.yaml"),
            kind: "InjectOtelPython",
            name: "otel",
            message: config_message,
            field: "spec.sampler.argument",
        },
        Failure {
            label: "eval, sampler argument 1.5",
            run: Run::Eval,
            otel: bad_ratio,
            store: STORE.to_owned(),
            error: config_error,
            // `--fn-config` passes the config without a path annotation.
            file: None,
            kind: "InjectOtelPython",
            name: "otel",
            message: config_message,
            field: "spec.sampler.argument",
        },
        // An error on one workload: nothing is written, not even the
        // other two workloads' injections.
        Failure {
            label: "render, PYTHONPATH from valueFrom",
            run: Run::Render,
            otel: OTEL.to_owned(),
            store: replace_once(
                STORE,
                "          value: /app/lib\n",
                "          valueFrom: {configMapKeyRef: {name: store-paths, key: pythonpath}}\n",
            ),
            error: "[error] apps/v1/StatefulSet/shop/store spec.template.spec.containers[0].env[1]: \
                    the container defines env var value via ValueFrom, envVar: PYTHONPATH",
            file: Some("store.yaml"),
            kind: "StatefulSet",
            name: "store",
            message: "the container defines env var value via ValueFrom, envVar: PYTHONPATH",
            field: "spec.template.spec.containers[0].env[1]",
        },
    ];
    for case in cases {
        let label = case.label;
        let pkg = Package::new(&case.otel, &case.store);
        let original = pkg.files();
        let results_dir = pkg.cwd.join("results");
        let out = pkg.run(&kpt, case.run, &["--results-dir", path_str(&results_dir)]);
        let text = combined(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{label}: exit status {}:\n{text}",
            out.status
        );
        pkg.assert_unchanged(label);
        assert_eq!(pkg.files(), original, "{label}: files changed on failure");

        let results_file = results_dir.join("results.yaml");
        let summary = match case.file {
            Some(file) => format!("\"  {} ({file})\"", case.error),
            None => format!("\"  {}\"", case.error),
        };
        for needle in [
            format!("[FAIL] \"{BIN}\""),
            format!("    {}\n", case.error),
            "  Stderr:\n".to_owned(),
            "\"inject-otel-python: 1 error, 0 warnings\"".to_owned(),
            summary,
            "  Exit code: 1\n".to_owned(),
            format!("For complete results, see {}", path_str(&results_file)),
        ] {
            assert!(
                text.contains(&needle),
                "{label}: no `{needle}` in kpt's output:\n{text}"
            );
        }

        let yaml = fs::read_to_string(&results_file)
            .unwrap_or_else(|e| panic!("{label}: read {}: {e}", results_file.display()));
        let list: Value = serde_saphyr::from_str(&yaml)
            .unwrap_or_else(|e| panic!("{label}: results.yaml is not YAML ({e}):\n{yaml}"));
        let context = format!("{label}: results.yaml:\n{yaml}");
        assert_eq!(list["kind"], "FunctionResultList", "{context}");
        assert_eq!(list["exitCode"], 1, "{context}");
        let items = list["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items; {context}"));
        assert_eq!(items.len(), 1, "{context}");
        assert_eq!(items[0]["exec"], BIN, "{context}");
        assert_eq!(items[0]["exitCode"], 1, "{context}");
        let errors: Vec<&Value> = items[0]["results"]
            .as_array()
            .unwrap_or_else(|| panic!("no results; {context}"))
            .iter()
            .filter(|r| r["severity"] == "error")
            .collect();
        assert_eq!(errors.len(), 1, "{context}");
        let error = errors[0];
        assert_eq!(error["message"], case.message, "{context}");
        assert_eq!(error["resourceRef"]["kind"], case.kind, "{context}");
        assert_eq!(error["resourceRef"]["name"], case.name, "{context}");
        assert_eq!(error["field"]["path"], case.field, "{context}");
        if let Some(file) = case.file {
            assert_eq!(error["file"]["path"], file, "{context}");
        }
    }
}

/// `text` with `from` (which must occur exactly once) replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur exactly once in:\n{text}"
    );
    text.replacen(from, to, 1)
}

/// No warning or error result in kpt's output.
fn assert_no_findings(label: &str, text: &str) {
    for severity in ["[warning]", "[error]"] {
        assert!(
            !text.contains(severity),
            "{label}: unexpected {severity} result:\n{text}"
        );
    }
}

/// Asserts that `actual` is `baseline` with exactly `edits` applied: first
/// that every baseline line not rewritten by an edit is still there, in
/// order (the line diff removes nothing else), then that the result is
/// exactly the expected text, with each record annotation's value masked
/// after checking it names `container` (see [`mask_records`]).
fn assert_edits(
    label: &str,
    file: &str,
    baseline: &str,
    actual: &str,
    edits: &[Edit],
    container: &str,
) {
    let base = lines(baseline);
    let got = lines(actual);
    let anchor = |wanted: &str| -> usize {
        let hits: Vec<usize> = base
            .iter()
            .enumerate()
            .filter(|(_, line)| line.trim_end_matches(['\n', '\r']) == wanted)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "{label}: {file}: anchor `{wanted}` must occur exactly once in the baseline:\n{baseline}"
        );
        hits[0]
    };
    let mut inserts: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    let mut rewrites: BTreeMap<usize, &str> = BTreeMap::new();
    for edit in edits {
        match edit {
            Edit::Insert { after, lines } => {
                inserts.entry(anchor(after)).or_default().extend(*lines);
            }
            Edit::Rewrite { line, to } => {
                rewrites.insert(anchor(line), to);
            }
        }
    }

    // Greedy subsequence match: every kept baseline line must appear, in order.
    let mut rest = got.iter();
    let first_missing = base
        .iter()
        .enumerate()
        .filter(|(i, _)| !rewrites.contains_key(i))
        .find(|&(_, &line)| !rest.any(|&g| g == line));
    assert!(
        first_missing.is_none(),
        "{label}: {file}: lines were removed or changed (first missing: {first_missing:?}):\n{}",
        line_diff(&base, &got)
    );

    let mut expected = String::new();
    for (i, line) in base.iter().enumerate() {
        match rewrites.get(&i) {
            Some(to) => {
                expected.push_str(to);
                expected.push('\n');
            }
            None => expected.push_str(line),
        }
        for added in inserts.get(&i).into_iter().flatten() {
            expected.push_str(added);
            expected.push('\n');
        }
    }
    let masked = mask_records(label, file, actual, container);
    assert!(
        expected == masked,
        "{label}: {file}: the written lines differ from the expected ones.\n\
         expected → written (record masked):\n{}\nbaseline → written:\n{}",
        line_diff(&lines(&expected), &lines(&masked)),
        line_diff(&base, &got)
    );
}

/// `text` with the value of its one record annotation replaced by
/// [`RECORD_MASK`], after checking the value: a YAML string holding a JSON
/// object with `version: 1` and exactly one container, `container`.
fn mask_records(label: &str, file: &str, text: &str, container: &str) -> String {
    let key = format!("{RECORD_KEY}: ");
    let mut found = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        match body.trim_start().strip_prefix(&key) {
            Some(raw) => {
                found += 1;
                let json: String = serde_saphyr::from_str(raw).unwrap_or_else(|e| {
                    panic!("{label}: {file}: the record is not a YAML string ({e}): {raw}")
                });
                let record: Value = serde_json::from_str(&json).unwrap_or_else(|e| {
                    panic!("{label}: {file}: the record is not JSON ({e}): {json}")
                });
                assert_eq!(record["version"], 1, "{label}: {file}: record {json}");
                let names: Vec<&Value> = record["containers"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{label}: {file}: no containers in record {json}"))
                    .iter()
                    .map(|c| &c["name"])
                    .collect();
                assert_eq!(names, [container], "{label}: {file}: record {json}");
                out.push_str(&body[..indent]);
                out.push_str(&key);
                out.push_str(RECORD_MASK);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    assert_eq!(
        found, 1,
        "{label}: {file}: expected one {RECORD_KEY} annotation:\n{text}"
    );
    out
}

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// A plain LCS line diff (` `, `-`, `+` prefixes), for failure messages.
fn line_diff(a: &[&str], b: &[&str]) -> String {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    let mut push = |mark: char, line: &str| {
        out.push(mark);
        out.push_str(line.trim_end_matches(['\n', '\r']));
        out.push('\n');
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            push(' ', a[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            push('+', b[j]);
            j += 1;
        } else {
            push('-', a[i]);
            i += 1;
        }
    }
    out
}

/// The text of the `---`-separated Service document in `store.yaml`.
fn service_of(store: &str) -> &str {
    let (_, service) = store
        .split_once(SERVICE_SEPARATOR)
        .unwrap_or_else(|| panic!("no `---` before the Service in store.yaml:\n{store}"));
    assert!(
        service.contains("kind: Service\n"),
        "not the Service:\n{service}"
    );
    service
}

/// The Kptfile: the function as its one mutator, configured by `otel.yaml`.
fn kptfile() -> String {
    format!(
        "apiVersion: kpt.dev/v1\n\
         kind: Kptfile\n\
         metadata:\n\
        \x20 name: pkg\n\
        \x20 annotations:\n\
        \x20   config.kubernetes.io/local-config: \"true\"\n\
         info:\n\
        \x20 description: kpt integration fixture for inject-otel-python\n\
         pipeline:\n\
        \x20 mutators:\n\
        \x20   - exec: {}\n\
        \x20     configPath: otel.yaml\n",
        shell_quote(BIN)
    )
}

/// A package in a throwaway git repository; kpt runs from its parent.
struct Package {
    _tmp: tempfile::TempDir,
    /// kpt's working directory (the package's parent).
    cwd: PathBuf,
    dir: PathBuf,
    git: Git,
}

impl Package {
    fn new(otel: &str, store: &str) -> Package {
        let tmp = tempfile::tempdir().expect("create a temp dir");
        let cwd = tmp.path().to_owned();
        let dir = cwd.join("pkg");
        fs::create_dir(&dir).expect("create the package dir");
        for (name, text) in [
            ("Kptfile", kptfile().as_str()),
            ("otel.yaml", otel),
            ("deploy.yaml", DEPLOY),
            ("store.yaml", store),
            ("cron.yaml", CRON),
        ] {
            fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
        }
        let git = Git::init(&dir);
        Package {
            _tmp: tmp,
            cwd,
            dir,
            git,
        }
    }

    fn write(&self, name: &str, text: &str) {
        fs::write(self.dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    /// Every file of the package except `.git`, by relative path.
    fn files(&self) -> Files {
        read_package(&self.dir)
    }

    /// Runs the function through kpt, with `extra` kpt flags.
    fn run(&self, kpt: &Kpt, run: Run, extra: &[&str]) -> Output {
        let bin = shell_quote(BIN);
        let config = self.dir.join("otel.yaml");
        let pkg = path_str(&self.dir);
        let mut args: Vec<&str> = match run {
            Run::Eval => vec![
                "fn",
                "eval",
                pkg,
                "--exec",
                &bin,
                "--fn-config",
                path_str(&config),
            ],
            Run::Render => vec!["fn", "render", pkg, "--allow-exec"],
        };
        args.extend(extra);
        kpt.run(&self.cwd, &args)
    }

    /// kpt's own rewrite of the package (a no-op `cat` function), with
    /// the package reset to its last commit afterwards.
    fn baseline(&self, kpt: &Kpt) -> Files {
        let original = self.files();
        let out = kpt.run(
            &self.cwd,
            &["fn", "eval", path_str(&self.dir), "--exec", "cat"],
        );
        assert_success(&out, "kpt fn eval --exec cat (baseline)");
        let noise = self.git.run(&["diff"]);
        if noise.trim().is_empty() {
            eprintln!("kpt baseline (cat) changed nothing");
        } else {
            eprintln!("kpt baseline noise (cat), compared against below:\n{noise}");
        }
        let status = self
            .git
            .run(&["status", "--porcelain", "--untracked-files=all"]);
        assert!(
            !status.lines().any(|l| l.starts_with("??")),
            "the no-op run created files:\n{status}"
        );
        let baseline = self.files();
        self.git.reset_hard("HEAD");
        assert_eq!(
            service_of(&baseline["store.yaml"]),
            service_of(&original["store.yaml"]),
            "kpt itself changed the Service (pick a kpt-clean fixture)"
        );
        baseline
    }

    /// The working tree equals the last commit, with no new file.
    fn assert_unchanged(&self, what: &str) {
        let diff = self.git.run(&["diff", "HEAD"]);
        assert!(diff.is_empty(), "{what} changed files:\n{diff}");
        let status = self
            .git
            .run(&["status", "--porcelain", "--untracked-files=all"]);
        assert!(status.is_empty(), "{what} left files:\n{status}");
    }
}

/// Every file of the package except `.git`, by relative path.
fn read_package(pkg: &Path) -> Files {
    fn walk(root: &Path, dir: &Path, files: &mut Files) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
                .path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                files.insert(rel, text);
            }
        }
    }
    let mut files = Files::new();
    walk(pkg, pkg, &mut files);
    files
}

fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 path: {}", path.display()))
}

/// Quotes a path for kpt's shlex split of `--exec` and `exec:`.
fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// stdout followed by stderr (kpt prints its progress on stderr).
fn combined(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_success(out: &Output, label: &str) -> String {
    let text = combined(out);
    assert!(
        out.status.success(),
        "{label} failed ({}):\n{text}",
        out.status
    );
    assert!(
        text.contains("[PASS]"),
        "{label}: no [PASS] in kpt's output:\n{text}"
    );
    text
}

struct Kpt {
    version: String,
}

impl Kpt {
    /// Fails the test, clearly, when `kpt` is not on PATH.
    fn find() -> Kpt {
        match Command::new("kpt").arg("version").output() {
            Ok(out) if out.status.success() => Kpt {
                version: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            },
            Ok(out) => panic!("`kpt version` failed ({}):\n{}", out.status, combined(&out)),
            Err(e) if e.kind() == ErrorKind::NotFound => panic!(
                "`kpt` is not on PATH: these integration tests need the real kpt \
                 (1.0.0-beta.56, https://github.com/kptdev/kpt/releases); install it and re-run"
            ),
            Err(e) => panic!("cannot run `kpt`: {e}"),
        }
    }

    fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new("kpt")
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap_or_else(|e| panic!("run kpt {} (kpt {}): {e}", args.join(" "), self.version))
    }
}

/// A throwaway git repository holding the package.
struct Git {
    dir: PathBuf,
}

impl Git {
    fn init(dir: &Path) -> Git {
        let git = Git {
            dir: dir.to_owned(),
        };
        git.run(&["init", "-q"]);
        git.run(&["config", "user.name", "kpt test"]);
        git.run(&["config", "user.email", "kpt-test@example.com"]);
        git.run(&["config", "commit.gpgsign", "false"]);
        git.run(&["config", "core.autocrlf", "false"]);
        git.commit_all("original");
        git
    }

    fn commit_all(&self, message: &str) {
        self.run(&["add", "-A"]);
        self.run(&[
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
        ]);
    }

    /// The commit id of HEAD.
    fn head(&self) -> String {
        self.run(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    fn reset_hard(&self, rev: &str) {
        self.run(&["reset", "-q", "--hard", rev]);
        self.run(&["clean", "-q", "-fdx"]);
    }

    /// Runs git in the package; fails the test on error; returns stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap_or_else(|e| match e.kind() {
                ErrorKind::NotFound => panic!("`git` is not on PATH: these tests need git"),
                _ => panic!("run git {}: {e}", args.join(" ")),
            });
        assert!(
            out.status.success(),
            "git {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            combined(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
