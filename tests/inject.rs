//! End to end: ResourceLists through the Injector (in process with
//! `krm::process`, and through the real binary for exit codes and stderr).
//!
//! Every expected value is written from the docs, not copied from output:
//! product.md §2–§6 and the operator vectors of operator-python.md §7
//! (with the Instrumentation webhook's defaults of §5.3 applied: the init
//! container gets `resources`, and the default image when none is given).

mod support;

use inject_otel_python::function::Injector;
use inject_otel_python::krm::{self, Limits};
use serde_json::{Value, json};
use support::run::{bin, run, run_with};

// ------------------------------------------------------------------ values

/// `P` of operator-python.md §7.
const P: &str = "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python";
const PREFIX: &str =
    "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation";
const SUFFIX: &str = "/otel-auto-instrumentation-python";
const DEFAULT_IMAGE: &str =
    "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0";
const GLIBC: &str = "/autoinstrumentation/.";
const MUSL: &str = "/autoinstrumentation-musl/.";
const INIT_NAME: &str = "opentelemetry-auto-instrumentation-python";

fn ev(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn field_ref(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}})
}

fn node_ip() -> Value {
    field_ref("OTEL_NODE_IP", "status.hostIP")
}

fn pod_ip() -> Value {
    field_ref("OTEL_POD_IP", "status.podIP")
}

fn pod_name() -> Value {
    field_ref("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "metadata.name")
}

fn node_name() -> Value {
    field_ref("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "spec.nodeName")
}

fn protocol() -> Value {
    ev("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
}

/// `D4` of operator-python.md §7.
fn d4() -> Vec<Value> {
    vec![
        protocol(),
        ev("OTEL_TRACES_EXPORTER", "otlp"),
        ev("OTEL_METRICS_EXPORTER", "otlp"),
        ev("OTEL_LOGS_EXPORTER", "otlp"),
    ]
}

fn vol() -> Value {
    json!({"name": INIT_NAME, "emptyDir": {"sizeLimit": "200Mi"}})
}

fn mnt() -> Value {
    json!({"name": INIT_NAME, "mountPath": "/otel-auto-instrumentation-python"})
}

/// `INIT(img, src)` with the webhook's default resources (§5.3).
fn init(image: &str, src: &str) -> Value {
    json!({
        "name": INIT_NAME,
        "image": image,
        "command": ["cp", "-r", src, "/otel-auto-instrumentation-python"],
        "resources": {
            "limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"cpu": "50m", "memory": "64Mi"}
        },
        "volumeMounts": [mnt()]
    })
}

fn with(mut object: Value, key: &str, value: Value) -> Value {
    object
        .as_object_mut()
        .expect("an object")
        .insert(key.to_string(), value);
    object
}

/// The operator's resource attributes of a bare Pod in `ns` (§3.2–§3.4),
/// with `service.version` when the image has a tag.
fn bare_pod_attributes(ns: &str, container: &str, version: Option<&str>) -> String {
    let mut s = format!(
        "k8s.container.name={container},k8s.namespace.name={ns},k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id={ns}.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).{container},service.namespace={ns}"
    );
    if let Some(v) = version {
        s.push_str(&format!(",service.version={v}"));
    }
    s
}

fn attributes(value: &str) -> Value {
    ev("OTEL_RESOURCE_ATTRIBUTES", value)
}

// ------------------------------------------------------------ ResourceLists

/// Strips the first empty line and the common indentation, so YAML can be
/// written indented in the source.
fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| if l.len() >= indent { &l[indent..] } else { "" })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A `config.kubernetes.io/v1` ResourceList of `items` (each an unindented
/// YAML mapping) and an optional functionConfig.
fn list(items: &[&str], function_config: Option<&str>) -> String {
    let mut s = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for item in items {
        let item = dedent(item);
        for (i, line) in item.lines().enumerate() {
            if i == 0 {
                s.push_str("- ");
            } else if !line.is_empty() {
                s.push_str("  ");
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    if let Some(fc) = function_config {
        s.push_str("functionConfig:\n");
        for line in dedent(fc).lines() {
            if !line.is_empty() {
                s.push_str("  ");
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// A typed functionConfig with this `spec` body (unindented YAML).
fn typed(spec: &str) -> String {
    let mut s = String::from(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: otel\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\nspec:\n",
    );
    for line in dedent(spec).lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// An Instrumentation object with this `spec` body (unindented YAML).
fn instrumentation(name: &str, namespace: &str, spec: &str) -> String {
    let mut s = format!(
        "apiVersion: opentelemetry.io/v1alpha1\nkind: Instrumentation\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
    );
    for line in dedent(spec).lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// The part of a ResourceList text before `functionConfig:` / `results:`
/// (the header and the items).
fn items_part(text: &str) -> &str {
    let cut = ["\nfunctionConfig:", "\nresults:"]
        .iter()
        .filter_map(|k| text.find(k))
        .min()
        .map_or(text.len(), |i| i + 1);
    &text[..cut]
}

struct Out {
    text: String,
    value: Value,
    code: i32,
    stderr: String,
}

impl Out {
    fn items(&self) -> &Vec<Value> {
        self.value["items"].as_array().expect("items")
    }

    fn item(&self, kind: &str, name: &str) -> &Value {
        self.items()
            .iter()
            .find(|i| i["kind"] == kind && i["metadata"]["name"].as_str().unwrap_or("") == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in\n{}", self.text))
    }

    fn results(&self) -> Vec<Value> {
        self.value["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn with_severity(&self, severity: &str) -> Vec<Value> {
        self.results()
            .into_iter()
            .filter(|r| r["severity"] == severity)
            .collect()
    }

    fn messages(&self, severity: &str) -> Vec<String> {
        self.with_severity(severity)
            .iter()
            .map(|r| r["message"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn assert_ok(&self) {
        assert_eq!(
            self.code,
            0,
            "errors: {:?}\n{}",
            self.messages("error"),
            self.text
        );
    }
}

fn parse(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("output is not YAML: {e}\n{text}"))
}

/// Runs the Injector in process.
fn process(src: &str) -> Out {
    let outcome = krm::process(src, &Limits::default(), &Injector)
        .unwrap_or_else(|e| panic!("input error: {e}\n{src}"));
    let text = outcome.output();
    Out {
        value: parse(&text),
        code: outcome.exit_code(),
        stderr: outcome.stderr(),
        text,
    }
}

/// Runs the real binary.
fn exec(src: &str) -> Out {
    let r = run(&bin(), src);
    Out {
        value: parse(&r.stdout),
        code: r.code.expect("an exit code"),
        stderr: r.stderr,
        text: r.stdout,
    }
}

/// The pod template of an output item (product.md §3).
fn template(item: &Value) -> &Value {
    match item["kind"].as_str().unwrap_or("") {
        "Pod" => item,
        "CronJob" => &item["spec"]["jobTemplate"]["spec"]["template"],
        "PodTemplate" => &item["template"],
        // The `spec.workloads` kind of these tests.
        "WebApp" => &item["spec"]["podTemplate"],
        _ => &item["spec"]["template"],
    }
}

fn init_containers(item: &Value) -> Vec<Value> {
    template(item)["spec"]["initContainers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn is_injected(item: &Value) -> bool {
    init_containers(item).iter().any(|c| c["name"] == INIT_NAME)
}

fn container<'v>(item: &'v Value, name: &str) -> &'v Value {
    let spec = &template(item)["spec"];
    spec["containers"]
        .as_array()
        .into_iter()
        .chain(spec["initContainers"].as_array())
        .flatten()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {item:#}"))
}

fn env(item: &Value, name: &str) -> Vec<Value> {
    container(item, name)["env"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn env_names(item: &Value, name: &str) -> Vec<String> {
    env(item, name)
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn env_value(item: &Value, container_name: &str, var: &str) -> Option<String> {
    env(item, container_name)
        .iter()
        .find(|e| e["name"] == var)
        .map(|e| e["value"].as_str().unwrap_or("").to_string())
}

/// Asserts that `out` holds the items of `src` unchanged, byte for byte.
fn assert_items_unchanged(src: &str, out: &Out) {
    assert_eq!(
        items_part(&out.text),
        items_part(src),
        "items must be unchanged"
    );
}

// =========================================== 1. operator parity (bare Pod)

/// The ways of naming the Instrumentation (product.md §2 form 2, §3): the
/// functionConfig with `"true"`; an item with `"true"` and no
/// functionConfig; an item by name; an item in another namespace by
/// `ns/name`. `pod` holds `INJECT_VALUE` where the annotation value goes.
fn forms(inst_spec: &str, pod: &str, pod_ns: &str) -> Vec<(&'static str, String)> {
    let pod_with = |value: &str| dedent(pod).replace("INJECT_VALUE", value);
    let same_ns = instrumentation("python", pod_ns, inst_spec);
    let other_ns = instrumentation("python", "observability", inst_spec);
    vec![
        (
            "functionConfig, \"true\"",
            list(&[&pod_with("\"true\"")], Some(&same_ns)),
        ),
        (
            "item, \"true\"",
            list(&[&same_ns, &pod_with("\"true\"")], None),
        ),
        ("item, name", list(&[&same_ns, &pod_with("python")], None)),
        (
            "item, ns/name",
            list(&[&other_ns, &pod_with("observability/python")], None),
        ),
    ]
}

/// Runs every form and compares the Pod's whole `spec` with `expected`;
/// Instrumentation items stay as they were.
fn assert_parity(inst_spec: &str, pod: &str, pod_ns: &str, expected_spec: &Value) {
    for (form, src) in forms(inst_spec, pod, pod_ns) {
        let out = process(&src);
        out.assert_ok();
        let input = parse(&src);
        let pods: Vec<&Value> = out.items().iter().filter(|i| i["kind"] == "Pod").collect();
        assert_eq!(pods.len(), 1);
        let pod = pods[0];
        assert_eq!(
            &pod["spec"], expected_spec,
            "form {form}: the Pod's spec differs from the operator's.\ngot:\n{:#}\nwant:\n{:#}",
            pod["spec"], expected_spec
        );
        for (i, item) in out.items().iter().enumerate() {
            if item["kind"] == "Instrumentation" {
                assert_eq!(
                    item, &input["items"][i],
                    "form {form}: Instrumentation changed"
                );
            }
        }
        let infos = out.with_severity("info");
        assert_eq!(infos.len(), 1, "form {form}: {:?}", out.results());
        assert_eq!(infos[0]["resourceRef"]["kind"], "Pod");
    }
}

/// Instrumentation "I1" of operator-python.md §7.2.
const I1: &str = r#"
    python:
      image: otel/python:1
      env:
      - {name: OTEL_LOG_LEVEL, value: debug}
      - {name: OTEL_TRACES_EXPORTER, value: otlp}
      - {name: OTEL_METRICS_EXPORTER, value: otlp}
      - {name: OTEL_LOGS_EXPORTER, value: otlp}
      - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://localhost:4318"}
    exporter:
      endpoint: http://collector:12345
    env:
    - {name: OTEL_EXPORTER_OTLP_TIMEOUT, value: "20"}
    - {name: OTEL_TRACES_SAMPLER, value: parentbased_traceidratio}
    - {name: OTEL_TRACES_SAMPLER_ARG, value: "0.85"}
    - {name: SPLUNK_TRACE_RESPONSE_HEADER_ENABLED, value: "true"}
"#;

/// The env of §7.2 (a) for container `c` in namespace `ns`.
fn i1_env(ns: &str, c: &str) -> Value {
    json!([
        node_ip(),
        pod_ip(),
        ev("OTEL_LOG_LEVEL", "debug"),
        ev("OTEL_TRACES_EXPORTER", "otlp"),
        ev("OTEL_METRICS_EXPORTER", "otlp"),
        ev("OTEL_LOGS_EXPORTER", "otlp"),
        ev("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"),
        ev("PYTHONPATH", P),
        ev("OTEL_EXPORTER_OTLP_TIMEOUT", "20"),
        ev("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ev("OTEL_TRACES_SAMPLER_ARG", "0.85"),
        ev("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        protocol(),
        ev("OTEL_SERVICE_NAME", c),
        pod_name(),
        node_name(),
        attributes(&bare_pod_attributes(ns, c, None)),
    ])
}

/// §7.2 (a) "python injection, true". The operator's pod has no name
/// (generateName), so the service name is the container's.
#[test]
fn parity_mutate_pod_a_python_injection_true() {
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          generateName: app-
          namespace: python
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
        spec:
          containers:
          - name: app
    "#;
    let expected = json!({
        "containers": [{"name": "app", "env": i1_env("python", "app"), "volumeMounts": [mnt()]}],
        "initContainers": [init("otel/python:1", GLIBC)],
        "volumes": [vol()],
    });
    assert_parity(I1, pod, "python", &expected);
}

/// §7.2 (b) "python injection multiple containers, true".
#[test]
fn parity_mutate_pod_b_multiple_containers() {
    let ns = "python-multiple-containers";
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          generateName: app-
          namespace: python-multiple-containers
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
            instrumentation.opentelemetry.io/container-names: "app1,app2"
        spec:
          containers:
          - name: app1
          - name: app2
    "#;
    let expected = json!({
        "containers": [
            {"name": "app1", "env": i1_env(ns, "app1"), "volumeMounts": [mnt()]},
            {"name": "app2", "env": i1_env(ns, "app2"), "volumeMounts": [mnt()]},
        ],
        "initContainers": [init("otel/python:1", GLIBC)],
        "volumes": [vol()],
    });
    assert_parity(I1, pod, ns, &expected);
}

/// §7.3 `TestInjectPython`.
#[test]
fn parity_sdk_test_inject_python() {
    let inst = r#"
        python: {image: "img:1"}
        exporter: {endpoint: "https://collector:4318"}
    "#;
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          generateName: app-
          namespace: ns
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
        spec:
          containers:
          - name: app
            image: app:latest
    "#;
    let mut env = vec![node_ip(), pod_ip(), ev("PYTHONPATH", P)];
    env.extend(d4());
    env.extend([
        ev("OTEL_SERVICE_NAME", "app"),
        ev("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
        pod_name(),
        node_name(),
        attributes(&bare_pod_attributes("ns", "app", Some("latest"))),
    ]);
    let expected = json!({
        "containers": [{"name": "app", "image": "app:latest", "env": env, "volumeMounts": [mnt()]}],
        "initContainers": [init("img:1", GLIBC)],
        "volumes": [vol()],
    });
    assert_parity(inst, pod, "ns", &expected);
}

/// The CR of e2e E1/E2 (operator-python.md §7.5), without a python image:
/// the webhook's default image applies.
const E2_CR: &str = r#"
    env:
    - {name: OTEL_EXPORTER_OTLP_TIMEOUT, value: "20000"}
    - {name: OTEL_TRACES_SAMPLER, value: always_on}
    - {name: SPLUNK_TRACE_RESPONSE_HEADER_ENABLED, value: "true"}
    exporter:
      endpoint: http://deployment-collector:4317
    propagators: [jaeger, b3]
    sampler:
      type: parentbased_traceidratio
      argument: "0.25"
    python:
      env:
      - {name: OTEL_LOG_LEVEL, value: debug}
      - {name: OTEL_TRACES_EXPORTER, value: otlp}
      - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://deployment-collector:4318"}
"#;

/// §7.5 E2 `instrumentation-python-musl`, as a bare Pod: musl through the
/// annotation; the init container copies the target's securityContext.
#[test]
fn parity_e2e_musl_by_annotation() {
    let ns = "e2e-musl";
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          name: my-python-musl
          namespace: e2e-musl
          labels: {app: my-python-musl}
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
            instrumentation.opentelemetry.io/otel-python-platform: "musl"
        spec:
          securityContext:
            runAsUser: 1000
            runAsGroup: 3000
            fsGroup: 3000
          containers:
          - name: myapp
            image: ghcr.io/open-telemetry/opentelemetry-operator/e2e-test-app-python:main
            ports:
            - containerPort: 8080
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [ALL]
    "#;
    let sc = json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
    let env = json!([
        node_ip(),
        pod_ip(),
        ev("OTEL_LOG_LEVEL", "debug"),
        ev("OTEL_TRACES_EXPORTER", "otlp"),
        ev(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318"
        ),
        ev("PYTHONPATH", P),
        ev("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
        ev("OTEL_TRACES_SAMPLER", "always_on"),
        ev("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        protocol(),
        ev("OTEL_METRICS_EXPORTER", "otlp"),
        ev("OTEL_LOGS_EXPORTER", "otlp"),
        ev("OTEL_SERVICE_NAME", "my-python-musl"),
        pod_name(),
        node_name(),
        ev("OTEL_PROPAGATORS", "jaeger,b3"),
        attributes(&bare_pod_attributes(ns, "myapp", Some("main"))),
    ]);
    let expected = json!({
        "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 3000},
        "containers": [{
            "name": "myapp",
            "image": "ghcr.io/open-telemetry/opentelemetry-operator/e2e-test-app-python:main",
            "ports": [{"containerPort": 8080}],
            "securityContext": sc.clone(),
            "env": env,
            "volumeMounts": [mnt()],
        }],
        "initContainers": [with(init(DEFAULT_IMAGE, MUSL), "securityContext", sc)],
        "volumes": [vol()],
    });
    assert_parity(E2_CR, pod, ns, &expected);
}

/// §7.5 E4 `instrumentation-python-initcontainer`: the target is an init
/// container; the Python init container goes right before it and copies
/// its securityContext; `main-app` is untouched.
#[test]
fn parity_e2e_init_container_target() {
    let ns = "e2e-init";
    let inst = r#"
        env:
        - {name: OTEL_EXPORTER_OTLP_TIMEOUT, value: "20000"}
        - {name: OTEL_TRACES_SAMPLER, value: always_on}
        exporter:
          endpoint: http://deployment-collector:4318
        propagators: [jaeger, b3]
        python:
          env:
          - {name: OTEL_LOG_LEVEL, value: debug}
          - {name: OTEL_TRACES_EXPORTER, value: otlp}
          - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://deployment-collector:4318"}
          - {name: OTEL_PYTHON_DISABLED_INSTRUMENTATIONS, value: system_metrics}
    "#;
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          name: my-python-initcontainer
          namespace: e2e-init
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
            instrumentation.opentelemetry.io/container-names: "python-init"
        spec:
          initContainers:
          - name: python-init
            image: ghcr.io/open-telemetry/opentelemetry-operator/e2e-test-app-python:main
            command: [timeout, "10", flask, run]
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [ALL]
              seccompProfile:
                type: RuntimeDefault
          containers:
          - name: main-app
            image: busybox
            command: [sleep, "3600"]
    "#;
    let sc = json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}
    });
    let env = json!([
        node_ip(),
        pod_ip(),
        ev("OTEL_LOG_LEVEL", "debug"),
        ev("OTEL_TRACES_EXPORTER", "otlp"),
        ev(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318"
        ),
        ev("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "system_metrics"),
        ev("PYTHONPATH", P),
        ev("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
        ev("OTEL_TRACES_SAMPLER", "always_on"),
        protocol(),
        ev("OTEL_METRICS_EXPORTER", "otlp"),
        ev("OTEL_LOGS_EXPORTER", "otlp"),
        ev("OTEL_SERVICE_NAME", "my-python-initcontainer"),
        pod_name(),
        node_name(),
        ev("OTEL_PROPAGATORS", "jaeger,b3"),
        attributes(&bare_pod_attributes(ns, "python-init", Some("main"))),
    ]);
    let expected = json!({
        "initContainers": [
            with(init(DEFAULT_IMAGE, GLIBC), "securityContext", sc.clone()),
            {
                "name": "python-init",
                "image": "ghcr.io/open-telemetry/opentelemetry-operator/e2e-test-app-python:main",
                "command": ["timeout", "10", "flask", "run"],
                "securityContext": sc,
                "env": env,
                "volumeMounts": [mnt()],
            }
        ],
        "containers": [{"name": "main-app", "image": "busybox", "command": ["sleep", "3600"]}],
        "volumes": [vol()],
    });
    assert_parity(inst, pod, ns, &expected);
}

/// §7.6 V-C: TLS volumes before the Python volume; the Python mount, then
/// the secret and configmap mounts (readOnly); the three file env vars
/// right after the endpoint.
#[test]
fn parity_derived_tls() {
    let inst = r#"
        exporter:
          endpoint: https://collector:4318
          tls:
            secretName: my-certs
            configMapName: ca-bundle
            ca_file: ca.crt
            cert_file: tls.crt
            key_file: tls.key
    "#;
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          name: tls-app
          namespace: shop
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
        spec:
          containers:
          - name: app
            image: registry.example.com/shop/app:2.0
            volumeMounts:
            - name: data
              mountPath: /data
          volumes:
          - name: data
            emptyDir: {}
    "#;
    let mut env = vec![node_ip(), pod_ip(), ev("PYTHONPATH", P)];
    env.extend(d4());
    env.extend([
        ev("OTEL_SERVICE_NAME", "tls-app"),
        ev("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
        ev(
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            "/otel-auto-instrumentation-configmap-ca-bundle/ca.crt",
        ),
        ev(
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            "/otel-auto-instrumentation-secret-my-certs/tls.crt",
        ),
        ev(
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            "/otel-auto-instrumentation-secret-my-certs/tls.key",
        ),
        pod_name(),
        node_name(),
        attributes(&bare_pod_attributes("shop", "app", Some("2.0"))),
    ]);
    let expected = json!({
        "containers": [{
            "name": "app",
            "image": "registry.example.com/shop/app:2.0",
            "volumeMounts": [
                {"name": "data", "mountPath": "/data"},
                mnt(),
                {"name": "otel-auto-secret-my-certs", "mountPath": "/otel-auto-instrumentation-secret-my-certs", "readOnly": true},
                {"name": "otel-auto-configmap-ca-bundle", "mountPath": "/otel-auto-instrumentation-configmap-ca-bundle", "readOnly": true},
            ],
            "env": env,
        }],
        "volumes": [
            {"name": "data", "emptyDir": {}},
            {"name": "otel-auto-secret-my-certs", "secret": {"secretName": "my-certs"}},
            {"name": "otel-auto-configmap-ca-bundle", "configMap": {"name": "ca-bundle"}},
            vol(),
        ],
        "initContainers": [init(DEFAULT_IMAGE, GLIBC)],
    });
    assert_parity(inst, pod, "shop", &expected);
}

/// §7.5 E5 `instrumentation-python-specenv` (#4068): `spec.env` overrides
/// the Python defaults; the restricted securityContext has a uid, so it is
/// copied as is.
#[test]
fn parity_e2e_spec_env_overrides_defaults() {
    let ns = "e2e-specenv";
    let inst = r#"
        env:
        - {name: OTEL_METRICS_EXPORTER, value: none}
        - {name: OTEL_LOGS_EXPORTER, value: none}
        exporter:
          endpoint: http://deployment-collector:4317
        python:
          env:
          - {name: OTEL_TRACES_EXPORTER, value: otlp}
          - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://deployment-collector:4318"}
    "#;
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          name: my-python-specenv
          namespace: e2e-specenv
          annotations:
            instrumentation.opentelemetry.io/inject-python: INJECT_VALUE
        spec:
          containers:
          - name: myapp
            image: python:3.8-slim
            securityContext:
              runAsNonRoot: true
              runAsUser: 1000
              seccompProfile: {type: RuntimeDefault}
              capabilities: {drop: [ALL]}
    "#;
    let sc = json!({
        "runAsNonRoot": true,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
        "capabilities": {"drop": ["ALL"]}
    });
    let env = json!([
        node_ip(),
        pod_ip(),
        ev("OTEL_TRACES_EXPORTER", "otlp"),
        ev(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318"
        ),
        ev("PYTHONPATH", P),
        ev("OTEL_METRICS_EXPORTER", "none"),
        ev("OTEL_LOGS_EXPORTER", "none"),
        protocol(),
        ev("OTEL_SERVICE_NAME", "my-python-specenv"),
        pod_name(),
        node_name(),
        attributes(&bare_pod_attributes(ns, "myapp", Some("3.8-slim"))),
    ]);
    let expected = json!({
        "containers": [{
            "name": "myapp",
            "image": "python:3.8-slim",
            "securityContext": sc.clone(),
            "env": env,
            "volumeMounts": [mnt()],
        }],
        "initContainers": [with(init(DEFAULT_IMAGE, GLIBC), "securityContext", sc)],
        "volumes": [vol()],
    });
    assert_parity(inst, pod, ns, &expected);
}

/// The webhook's defaults and the volume options (operator-python.md §1.5,
/// §5.2, §5.3): `limits` and `requests` are defaulted each on its own;
/// `volumeLimitSize` sizes the emptyDir (with the deprecation warning);
/// a `volumeClaimTemplate` gives an ephemeral volume; `imagePullPolicy`
/// goes on the init container.
#[test]
fn webhook_defaults_and_volume_options() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\nspec:\n  containers:\n  - name: app\n    image: python:3.12\n";
    let run = |spec: &str| {
        let out = process(&list(
            &[&instrumentation("python", "shop", spec), pod],
            None,
        ));
        out.assert_ok();
        let item = out.item("Pod", "app").clone();
        (out, item)
    };

    let (_, item) = run(
        "python:\n  resourceRequirements:\n    limits: {cpu: \"1\", memory: 512Mi}\nimagePullPolicy: Always\n",
    );
    let init = &init_containers(&item)[0];
    assert_eq!(
        init["resources"],
        json!({"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}})
    );
    assert_eq!(init["imagePullPolicy"], "Always");
    assert_eq!(init["image"], DEFAULT_IMAGE);

    let (out, item) = run("python:\n  volumeLimitSize: 500Mi\n");
    assert_eq!(
        template(&item)["spec"]["volumes"],
        json!([{"name": INIT_NAME, "emptyDir": {"sizeLimit": "500Mi"}}])
    );
    assert!(
        out.messages("warning").contains(
            &"spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead".to_string()
        ),
        "{:?}",
        out.results()
    );

    let (_, item) = run(
        "python:\n  volumeClaimTemplate:\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 1Gi}}\n",
    );
    assert_eq!(
        template(&item)["spec"]["volumes"],
        json!([{"name": INIT_NAME, "ephemeral": {"volumeClaimTemplate": {"spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}}
        }}}}])
    );
}

/// An Instrumentation among the items that the webhook would reject is an
/// error about that object, with the webhook's message (product.md §2).
#[test]
fn invalid_instrumentation_item_is_an_error() {
    let inst = dedent(
        r#"
        apiVersion: opentelemetry.io/v1alpha1
        kind: Instrumentation
        metadata:
          name: python
          namespace: shop
          annotations:
            config.kubernetes.io/path: otel/inst.yaml
            config.kubernetes.io/index: '0'
        spec:
          sampler: {type: parentbased_traceidratio, argument: "1.5"}
        "#,
    );
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\nspec:\n  containers:\n  - name: app\n    image: python:3.12\n";
    let src = list(&[&inst, pod], None);
    let out = exec(&src);
    assert_eq!(out.code, 1, "{}", out.text);
    assert_items_unchanged(&src, &out);
    let errors = out.with_severity("error");
    let about_inst = errors
        .iter()
        .find(|e| e["resourceRef"]["kind"] == "Instrumentation")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(
        about_inst["message"],
        "spec.sampler.argument should be in rage [0..1]: 1.5"
    );
    assert_eq!(about_inst["field"]["path"], "spec.sampler.argument");
    assert_eq!(
        about_inst["file"],
        json!({"path": "otel/inst.yaml", "index": 0})
    );
}

/// kpt up to beta.56 also sends the functionConfig among the items: the
/// same Instrumentation counts once, so `"true"` is not ambiguous.
#[test]
fn function_config_repeated_among_items_counts_once() {
    let inst = instrumentation("python", "shop", "python: {image: \"img:1\"}\n");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\nspec:\n  containers:\n  - name: app\n    image: python:3.12\n";
    let src = list(&[&inst, pod], Some(&inst));
    let out = process(&src);
    out.assert_ok();
    assert_eq!(init_containers(out.item("Pod", "app"))[0]["image"], "img:1");
    let input = parse(&src);
    assert_eq!(
        out.items()[0],
        input["items"][0],
        "the Instrumentation item is not touched"
    );
}

// ============================================================ 2. selection

const EXPORTER_ONLY: &str = "exporter: {endpoint: \"http://collector:4318\"}\n";

fn deployment(name: &str, namespace: Option<&str>, extra_meta: &str, tmpl_ann: &str) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    let meta = dedent(extra_meta)
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>();
    let ann = dedent(tmpl_ann)
        .lines()
        .map(|l| format!("        {l}\n"))
        .collect::<String>();
    let ann = if ann.is_empty() {
        String::new()
    } else {
        format!("      annotations:\n{ann}")
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}{meta}spec:\n  template:\n    metadata:\n      labels: {{app: {name}}}\n{ann}    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.0\n"
    )
}

fn injected_names(out: &Out) -> Vec<String> {
    out.items()
        .iter()
        .filter(|i| is_injected(i))
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn selector_kinds_names_namespaces() {
    let items = [
        deployment("web", Some("shop"), "", ""),
        deployment("api", Some("shop"), "", ""),
        deployment("web", Some("billing"), "", ""),
        deployment("web", None, "", ""),
        dedent(
            r#"
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: web, namespace: shop}
            spec:
              template:
                spec:
                  containers:
                  - {name: app, image: "python:3.12"}
            "#,
        ),
    ];
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    let injected = |selector: &str| -> Vec<(String, String, String)> {
        let spec = format!("{EXPORTER_ONLY}selector:\n{}", indent2(selector));
        let out = process(&list(&items, Some(&typed(&spec))));
        out.assert_ok();
        out.items()
            .iter()
            .filter(|i| is_injected(i))
            .map(|i| {
                (
                    i["kind"].as_str().unwrap_or("").to_string(),
                    i["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    i["metadata"]["name"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let t = |k: &str, ns: &str, n: &str| (k.to_string(), ns.to_string(), n.to_string());
    assert_eq!(
        injected("kinds: [StatefulSet]\n"),
        vec![t("StatefulSet", "shop", "web")]
    );
    assert_eq!(
        injected("kinds: [Deployment]\nnames: [web]\n"),
        vec![
            t("Deployment", "shop", "web"),
            t("Deployment", "billing", "web"),
            t("Deployment", "", "web")
        ]
    );
    assert_eq!(
        injected("kinds: [Deployment]\nnamespaces: [shop]\n"),
        vec![
            t("Deployment", "shop", "web"),
            t("Deployment", "shop", "api")
        ]
    );
    assert_eq!(
        injected("names: [web]\nnamespaces: [shop, billing]\n"),
        vec![
            t("Deployment", "shop", "web"),
            t("Deployment", "billing", "web"),
            t("StatefulSet", "shop", "web")
        ]
    );
}

fn indent2(text: &str) -> String {
    dedent(text).lines().map(|l| format!("  {l}\n")).collect()
}

#[test]
fn selector_labels_match_labels_and_expressions() {
    let items = [
        deployment("a", Some("shop"), "labels: {app: web, tier: frontend}", ""),
        deployment("b", Some("shop"), "labels: {app: web, tier: backend}", ""),
        deployment("c", Some("shop"), "labels: {app: api}", ""),
        deployment("d", Some("shop"), "", ""),
    ];
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    let injected = |labels: &str| {
        let spec = format!("{EXPORTER_ONLY}selector:\n  labels:\n{}", indent4(labels));
        let out = process(&list(&items, Some(&typed(&spec))));
        out.assert_ok();
        injected_names(&out)
    };
    assert_eq!(injected("matchLabels: {app: web}\n"), ["a", "b"]);
    assert_eq!(injected("matchLabels: {app: web, tier: backend}\n"), ["b"]);
    assert_eq!(
        injected("matchExpressions:\n- {key: tier, operator: In, values: [frontend, backend]}\n"),
        ["a", "b"]
    );
    assert_eq!(
        injected("matchExpressions:\n- {key: tier, operator: NotIn, values: [frontend]}\n"),
        ["b", "c", "d"]
    );
    assert_eq!(
        injected("matchExpressions:\n- {key: app, operator: Exists}\n"),
        ["a", "b", "c"]
    );
    assert_eq!(
        injected("matchExpressions:\n- {key: app, operator: DoesNotExist}\n"),
        ["d"]
    );
    assert_eq!(
        injected(
            "matchLabels: {app: web}\nmatchExpressions:\n- {key: tier, operator: NotIn, values: [backend]}\n"
        ),
        ["a"]
    );
}

fn indent4(text: &str) -> String {
    dedent(text).lines().map(|l| format!("    {l}\n")).collect()
}

/// With a selector, every matched workload is injected unless its
/// annotation says `"false"` (product.md §3).
#[test]
fn selector_opt_out_with_false() {
    let items = [
        deployment("in", Some("shop"), "", ""),
        deployment(
            "out",
            Some("shop"),
            "",
            "instrumentation.opentelemetry.io/inject-python: \"false\"",
        ),
        deployment(
            "out-upper",
            Some("shop"),
            "",
            "instrumentation.opentelemetry.io/inject-python: \"FALSE\"",
        ),
    ];
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    let spec = format!("{EXPORTER_ONLY}selector: {{kinds: [Deployment]}}\n");
    let out = process(&list(&items, Some(&typed(&spec))));
    out.assert_ok();
    assert_eq!(injected_names(&out), ["in"]);
}

#[test]
fn selector_that_matches_nothing_warns() {
    let item = deployment("web", Some("shop"), "", "");
    let spec = format!("{EXPORTER_ONLY}selector: {{names: [ghost]}}\n");
    let src = list(&[&item], Some(&typed(&spec)));
    let out = process(&src);
    out.assert_ok();
    assert_items_unchanged(&src, &out);
    let warnings = out.with_severity("warning");
    assert_eq!(warnings.len(), 1, "{:?}", out.results());
    // product.md §6: the field at fault is the config's selector.
    assert_eq!(
        warnings[0]["resourceRef"],
        json!({"apiVersion": "fn.kpt.dev/v1alpha1", "kind": "InjectOtelPython", "name": "otel"}),
        "{warnings:?}"
    );
    assert_eq!(
        warnings[0]["field"]["path"], "spec.selector",
        "{warnings:?}"
    );
}

/// A selector that matched a workload whose injection then failed did
/// match: the only finding is that workload's error.
#[test]
fn selector_matching_a_failing_workload_is_not_unmatched() {
    let item = deployment(
        "web",
        Some("shop"),
        "",
        "instrumentation.opentelemetry.io/otel-python-platform: MUSL",
    );
    let spec = format!("{EXPORTER_ONLY}selector: {{kinds: [Deployment]}}\n");
    let out = process(&list(&[&item], Some(&typed(&spec))));
    assert_eq!(out.code, 1);
    assert_eq!(out.with_severity("error").len(), 1, "{:?}", out.results());
    assert!(
        out.with_severity("warning").is_empty(),
        "{:?}",
        out.results()
    );
}

/// A typed config with only the function's own settings (every field is
/// optional, product.md §2) and no Instrumentation anywhere: the operator's
/// defaults (default image, webhook resources) apply, as with an empty
/// Instrumentation spec.
#[test]
fn typed_config_without_instrumentation_fields_uses_the_defaults() {
    let item = deployment("web", Some("shop"), "", "");
    let src = list(
        &[&item],
        Some(&typed("selector: {kinds: [Deployment]}\nplatform: glibc\n")),
    );
    let out = process(&src);
    out.assert_ok();
    let web = out.item("Deployment", "web");
    assert_eq!(init_containers(web), vec![init(DEFAULT_IMAGE, GLIBC)]);
    assert_eq!(env_value(web, "app", "OTEL_EXPORTER_OTLP_ENDPOINT"), None);
}

/// No selector: the Namespace's annotation merged with the pod's by the
/// operator's rule (operator-python.md §4.2).
#[test]
fn namespace_annotation_merge() {
    let ns = |value: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: {value}\n"
        )
    };
    let pod_ann = |value: &str| format!("instrumentation.opentelemetry.io/inject-python: {value}");
    let inst_a = instrumentation("python-a", "shop", "python: {image: \"a:1\"}\n");
    let inst_b = instrumentation("python-b", "shop", "python: {image: \"b:1\"}\n");
    // (namespace value, pod value or none) -> image used, or None.
    let cases: [(&str, Option<&str>, Option<&str>); 8] = [
        ("python-a", None, Some("a:1")),
        ("python-b", Some("\"true\""), Some("b:1")),
        ("python-b", Some("python-a"), Some("a:1")),
        ("python-b", Some("\"false\""), None),
        ("\"false\"", Some("python-b"), Some("b:1")),
        ("\"true\"", Some("\"false\""), None),
        ("\"false\"", None, None),
        ("shop/python-a", None, Some("a:1")),
    ];
    for (ns_value, pod_value, image) in cases {
        let dep = deployment(
            "web",
            Some("shop"),
            "",
            &pod_value.map(pod_ann).unwrap_or_default(),
        );
        let other = deployment("web", Some("billing"), "", "");
        let namespace = ns(ns_value);
        let src = list(&[&namespace, &inst_a, &inst_b, &dep, &other], None);
        let out = process(&src);
        out.assert_ok();
        let web = out
            .items()
            .iter()
            .find(|i| i["kind"] == "Deployment" && i["metadata"]["namespace"] == "shop")
            .expect("web");
        let got = init_containers(web)
            .iter()
            .find(|c| c["name"] == INIT_NAME)
            .map(|c| c["image"].as_str().unwrap_or("").to_string());
        assert_eq!(
            got.as_deref(),
            image,
            "namespace {ns_value}, pod {pod_value:?}"
        );
        let billing = out
            .items()
            .iter()
            .find(|i| i["metadata"]["namespace"] == "billing")
            .expect("billing");
        assert!(!is_injected(billing), "another namespace is not affected");
    }
}

/// The operator's errors for "true" with none / several Instrumentations in
/// the pod's namespace and for an unknown name (operator-python.md §4.1):
/// an error result about the workload, exit 1, items unchanged.
#[test]
fn instance_resolution_errors() {
    let pod = |value: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    config.kubernetes.io/path: pods/app.yaml\n    config.kubernetes.io/index: '0'\n    instrumentation.opentelemetry.io/inject-python: {value}\nspec:\n  containers:\n  - name: app\n    image: python:3.12\n"
        )
    };
    let a = instrumentation("a", "shop", EXPORTER_ONLY);
    let b = instrumentation("b", "shop", EXPORTER_ONLY);
    let elsewhere = instrumentation("a", "observability", EXPORTER_ONLY);
    let no_instances = "no OpenTelemetry Instrumentation instances available";
    let multiple = "multiple OpenTelemetry Instrumentation instances available, cannot determine which one to select";
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![pod("\"true\"")], no_instances),
        (vec![elsewhere.clone(), pod("\"true\"")], no_instances),
        (vec![a.clone(), b.clone(), pod("\"true\"")], multiple),
        (
            vec![a.clone(), pod("doesnotexists")],
            "instrumentations.opentelemetry.io \"doesnotexists\" not found",
        ),
        (
            vec![a.clone(), pod("shop/doesnotexists")],
            "instrumentations.opentelemetry.io \"doesnotexists\" not found",
        ),
        (
            vec![elsewhere.clone(), pod("a")],
            "instrumentations.opentelemetry.io \"a\" not found",
        ),
    ];
    for (items, message) in cases {
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        let src = list(&items, None);
        let out = exec(&src);
        assert_eq!(out.code, 1, "{message}\n{}", out.text);
        assert_items_unchanged(&src, &out);
        let errors = out.with_severity("error");
        assert_eq!(errors.len(), 1, "{:?}", out.results());
        assert_eq!(errors[0]["message"], message);
        assert_eq!(
            errors[0]["resourceRef"],
            json!({"apiVersion": "v1", "kind": "Pod", "name": "app", "namespace": "shop"})
        );
        assert_eq!(
            errors[0]["file"],
            json!({"path": "pods/app.yaml", "index": 0})
        );
        assert!(out.stderr.contains(message), "{}", out.stderr);
    }
}

fn pod_with_annotations(annotations: &str, init: &str, containers: &str) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\n",
    );
    for l in dedent(annotations).lines() {
        s.push_str(&format!("    {l}\n"));
    }
    s.push_str("spec:\n");
    if !init.is_empty() {
        s.push_str("  initContainers:\n");
        for l in dedent(init).lines() {
            s.push_str(&format!("  {l}\n"));
        }
    }
    s.push_str("  containers:\n");
    for l in dedent(containers).lines() {
        s.push_str(&format!("  {l}\n"));
    }
    s
}

fn config_inst() -> String {
    instrumentation("python", "shop", EXPORTER_ONLY)
}

#[test]
fn container_names_annotation_errors() {
    let containers =
        "- {name: app, image: \"python:3.12\"}\n- {name: app-2, image: \"python:3.12\"}\n";
    let cases = [
        (
            "instrumentation.opentelemetry.io/container-names: \"app, app-2\"",
            "not valid characters included in the instrumentation container annotation app, app-2",
        ),
        (
            "instrumentation.opentelemetry.io/container-names: app_2",
            "not valid characters included in the instrumentation container annotation app_2",
        ),
        (
            "instrumentation.opentelemetry.io/container-names: \"app,app-2,app\"",
            "duplicated container names detected: [app]",
        ),
        (
            // python-container-names is appended to container-names.
            "instrumentation.opentelemetry.io/container-names: \"app,app-2\"\ninstrumentation.opentelemetry.io/python-container-names: \"app-2,app\"",
            "duplicated container names detected: [app app-2]",
        ),
    ];
    for (annotations, message) in cases {
        let pod = pod_with_annotations(annotations, "", containers);
        let src = list(&[&pod], Some(&config_inst()));
        let out = exec(&src);
        assert_eq!(out.code, 1, "{annotations}\n{}", out.text);
        assert_items_unchanged(&src, &out);
        assert_eq!(out.messages("error"), [message], "{annotations}");
    }
}

/// `TestContainersToInstrument` / `insertInitContainer` vectors
/// (operator-python.md §4.4): init-container targets first by position,
/// the Python init container right before the first of them.
#[test]
fn init_container_targets_ordering() {
    let init = "- {name: init-a, image: \"python:3.12\"}\n- {name: init-b, image: \"python:3.12\"}\n- {name: init-c, image: \"python:3.12\"}\n";
    let containers =
        "- {name: app, image: \"python:3.12\"}\n- {name: app2, image: \"python:3.12\"}\n";
    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "app,init-b,init-a",
            &[INIT_NAME, "init-a", "init-b", "init-c"],
            &["init-a", "init-b", "app"],
        ),
        (
            "init-b",
            &["init-a", INIT_NAME, "init-b", "init-c"],
            &["init-b"],
        ),
        (
            "app2,init-c,app",
            &["init-a", "init-b", INIT_NAME, "init-c"],
            &["init-c", "app2", "app"],
        ),
        (
            "app2",
            &["init-a", "init-b", "init-c", INIT_NAME],
            &["app2"],
        ),
    ];
    for (names, order, targets) in cases {
        let pod = pod_with_annotations(
            &format!("instrumentation.opentelemetry.io/container-names: \"{names}\""),
            init,
            containers,
        );
        let out = process(&list(&[&pod], Some(&config_inst())));
        out.assert_ok();
        let item = out.item("Pod", "app");
        let got: Vec<String> = init_containers(item)
            .iter()
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(got, order, "{names}");
        for name in ["init-a", "init-b", "init-c", "app", "app2"] {
            let has = env_names(item, name).contains(&"PYTHONPATH".to_string());
            assert_eq!(has, targets.contains(&name), "{names}: {name}");
        }
        let info = &out.with_severity("info")[0];
        assert_eq!(info["tags"]["containers"], targets.join(","), "{names}");
    }
}

/// `spec.containerNames` wins over the annotations; a name that is not in
/// the pod is a warning (product.md §7 "a container name that matched
/// nothing").
#[test]
fn config_container_names_missing_container_warns() {
    let item = deployment("web", Some("shop"), "", "");
    let spec = format!("{EXPORTER_ONLY}selector: {{}}\ncontainerNames: [app, worker]\n");
    let out = process(&list(&[&item], Some(&typed(&spec))));
    out.assert_ok();
    let web = out.item("Deployment", "web");
    assert!(env_names(web, "app").contains(&"PYTHONPATH".to_string()));
    let warnings = out.with_severity("warning");
    assert_eq!(warnings.len(), 1, "{:?}", out.results());
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("worker"),
        "{warnings:?}"
    );
    assert_eq!(warnings[0]["resourceRef"]["name"], "web");
    assert!(
        warnings[0]["field"]["path"]
            .as_str()
            .unwrap_or("")
            .starts_with("spec.template.spec"),
        "{warnings:?}"
    );

    // Only missing names: nothing injected, still a warning.
    let spec = format!("{EXPORTER_ONLY}selector: {{}}\ncontainerNames: [worker]\n");
    let src = list(&[&item], Some(&typed(&spec)));
    let out = process(&src);
    out.assert_ok();
    assert_items_unchanged(&src, &out);
    assert!(
        out.messages("warning").iter().any(|m| m.contains("worker")),
        "{:?}",
        out.results()
    );
}

/// Local-config objects, function config objects, the Kptfile and the
/// function's own config (kpt ≤ beta.56 also sends it among the items) are
/// never touched, even when a selector matching everything and
/// `spec.workloads` make them look like workloads.
#[test]
fn never_touched_objects() {
    let config = dedent(
        r#"
        apiVersion: fn.kpt.dev/v1alpha1
        kind: InjectOtelPython
        metadata:
          name: otel
          spec:
            containers:
            - {name: app, image: "python:3.12"}
        spec:
          selector: {}
          exporter: {endpoint: "http://collector:4318"}
          workloads:
          - {apiVersion: kpt.dev/v1, kind: Kptfile, podTemplatePath: spec.template}
          - {apiVersion: fn.kpt.dev/v1alpha1, kind: InjectOtelPython, podTemplatePath: metadata}
        "#,
    );
    let kptfile = r#"
        apiVersion: kpt.dev/v1
        kind: Kptfile
        metadata: {name: pkg}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12"}
    "#;
    let local = deployment(
        "local",
        Some("shop"),
        "annotations: {config.kubernetes.io/local-config: \"true\"}",
        "instrumentation.opentelemetry.io/inject-python: \"true\"",
    );
    let function = deployment(
        "fn",
        Some("shop"),
        "annotations: {config.kubernetes.io/function: \"exec: {path: ./fn}\"}",
        "",
    );
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: app}\n";
    let real = deployment("real", Some("shop"), "", "");
    let src = list(
        &[kptfile, &config, &local, &function, service, &real],
        Some(&config),
    );
    let out = process(&src);
    out.assert_ok();
    let input = parse(&src);
    for (i, item) in out.items().iter().enumerate() {
        let name = item["metadata"]["name"].as_str().unwrap_or("");
        if name == "real" {
            assert!(is_injected(item));
        } else {
            assert_eq!(item, &input["items"][i], "{name} must not be touched");
        }
    }
}

/// CronJob, PodTemplate, Argo Rollout and a `spec.workloads` kind are
/// injected at their pod template (product.md §3); the service name and the
/// workload attribute come from the workload (§4).
#[test]
fn workload_kinds_are_injected_at_their_template() {
    let cronjob = r#"
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: nightly, namespace: shop}
        spec:
          schedule: "0 3 * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                  - {name: job, image: "python:3.12"}
    "#;
    let pod_template = r#"
        apiVersion: v1
        kind: PodTemplate
        metadata: {name: tmpl, namespace: shop}
        template:
          spec:
            containers:
            - {name: app, image: "python:3.12"}
    "#;
    let rollout = r#"
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: canary, namespace: shop}
        spec:
          strategy: {canary: {}}
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12"}
    "#;
    let custom = r#"
        apiVersion: example.com/v1
        kind: WebApp
        metadata: {name: custom, namespace: shop}
        spec:
          podTemplate:
            spec:
              containers:
              - {name: app, image: "python:3.12"}
    "#;
    let unknown = r#"
        apiVersion: example.com/v1
        kind: Other
        metadata: {name: other, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12"}
    "#;
    let spec = format!(
        "{EXPORTER_ONLY}selector: {{}}\nworkloads:\n- {{apiVersion: example.com/v1, kind: WebApp, podTemplatePath: spec.podTemplate}}\n"
    );
    let src = list(
        &[cronjob, pod_template, rollout, custom, unknown],
        Some(&typed(&spec)),
    );
    let out = process(&src);
    out.assert_ok();

    let cj = out.item("CronJob", "nightly");
    assert!(is_injected(cj));
    assert!(cj["spec"]["template"].is_null(), "not at spec.template");
    assert_eq!(
        env_value(cj, "job", "OTEL_SERVICE_NAME").as_deref(),
        Some("nightly")
    );
    let ra = env_value(cj, "job", "OTEL_RESOURCE_ATTRIBUTES").unwrap_or_default();
    assert!(ra.contains("k8s.cronjob.name=nightly"), "{ra}");
    // k8s.job.name only exists at run time: a downward-API var with the
    // Job controller's label, defined before OTEL_RESOURCE_ATTRIBUTES.
    let cj_env = env(cj, "job");
    let job_var = cj_env
        .iter()
        .position(|e| {
            e["valueFrom"]["fieldRef"]["fieldPath"]
                == "metadata.labels['batch.kubernetes.io/job-name']"
        })
        .expect("a job-name fieldRef var");
    let ra_pos = cj_env
        .iter()
        .position(|e| e["name"] == "OTEL_RESOURCE_ATTRIBUTES")
        .expect("OTEL_RESOURCE_ATTRIBUTES");
    assert!(job_var < ra_pos);
    let var = cj_env[job_var]["name"].as_str().unwrap_or("");
    assert!(ra.contains(&format!("k8s.job.name=$({var})")), "{ra}");

    let pt = out.item("PodTemplate", "tmpl");
    assert!(is_injected(pt));
    assert!(env_names(pt, "app").contains(&"PYTHONPATH".to_string()));

    let ro = out.item("Rollout", "canary");
    assert!(is_injected(ro));
    assert_eq!(
        env_value(ro, "app", "OTEL_SERVICE_NAME").as_deref(),
        Some("canary")
    );

    let wa = out.item("WebApp", "custom");
    assert!(is_injected(wa));
    assert!(wa["spec"]["podTemplate"]["spec"]["initContainers"].is_array());

    let input = parse(&src);
    assert_eq!(out.item("Other", "other"), &input["items"][4]);
    assert_eq!(out.with_severity("info").len(), 4, "{:?}", out.results());
}

/// V-A (operator-python.md §7.6), as the template form gives it: the
/// ReplicaSet name comes from the pod-template-hash label through the
/// downward API.
#[test]
fn deployment_template_vector_v_a() {
    let item = r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: registry.example.com/shop/web:1.4.2
    "#;
    let spec = r#"
        selector: {kinds: [Deployment]}
        exporter: {endpoint: "http://otel-collector.observability:4318"}
        propagators: [tracecontext, baggage]
        sampler: {type: parentbased_traceidratio, argument: "0.25"}
        python: {image: "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0"}
    "#;
    let out = process(&list(&[item], Some(&typed(spec))));
    out.assert_ok();
    let web = out.item("Deployment", "web");
    let env = env(web, "web");
    let hash = env
        .iter()
        .find(|e| e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['pod-template-hash']")
        .expect("a pod-template-hash fieldRef var");
    let hash_name = hash["name"].as_str().unwrap_or("").to_string();
    let mut want = vec![node_ip(), pod_ip(), ev("PYTHONPATH", P)];
    want.extend(d4());
    want.extend([
        ev("OTEL_SERVICE_NAME", "web"),
        ev(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://otel-collector.observability:4318",
        ),
        pod_name(),
        node_name(),
        ev("OTEL_PROPAGATORS", "tracecontext,baggage"),
        ev("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        ev("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        attributes(&format!(
            "k8s.container.name=web,k8s.deployment.name=web,k8s.namespace.name=shop,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name=web-$({hash_name}),service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).web,service.namespace=shop,service.version=1.4.2"
        )),
    ]);
    let without_hash: Vec<Value> = env.iter().filter(|e| *e != hash).cloned().collect();
    assert_eq!(Value::Array(without_hash), Value::Array(want));
    let hash_pos = env.iter().position(|e| e == hash).unwrap_or(usize::MAX);
    assert!(
        hash_pos < env.len() - 1,
        "defined before OTEL_RESOURCE_ATTRIBUTES"
    );
    assert_eq!(
        init_containers(web),
        vec![init(DEFAULT_IMAGE, GLIBC)],
        "resources defaulted"
    );
}

// ============================================================== 3. results

#[test]
fn one_info_result_per_injected_workload() {
    let a = dedent(
        r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: a
          namespace: shop
          annotations:
            internal.config.kubernetes.io/path: deploy/a.yaml
            internal.config.kubernetes.io/index: '1'
        spec:
          template:
            spec:
              containers:
              - {name: sidecar, image: "envoyproxy/envoy:v1.30"}
              - {name: web, image: "python:3.12-alpine"}
        "#,
    );
    let b = dedent(
        r#"
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: b
          annotations:
            config.kubernetes.io/path: sts/b.yaml
            config.kubernetes.io/index: '0'
        spec:
          template:
            spec:
              containers:
              - {name: api, image: "python:3.12"}
              - {name: worker, image: "python:3.12"}
        "#,
    );
    let spec = r#"
        selector: {kinds: [Deployment, StatefulSet]}
        containerNames: [web, api, worker]
        platform: auto
        exporter: {endpoint: "http://collector:4318"}
        python: {image: "registry.example.com/otel/python:0.64b0"}
    "#;
    let out = process(&list(&[&a, &b], Some(&typed(spec))));
    out.assert_ok();
    let infos = out.with_severity("info");
    assert_eq!(infos.len(), 2, "{:?}", out.results());
    let find = |kind: &str| {
        infos
            .iter()
            .find(|r| r["resourceRef"]["kind"] == kind)
            .unwrap_or_else(|| panic!("no info about {kind}: {infos:?}"))
    };
    let ra = find("Deployment");
    assert_eq!(
        ra["resourceRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "a", "namespace": "shop"})
    );
    assert_eq!(ra["file"], json!({"path": "deploy/a.yaml", "index": 1}));
    assert_eq!(
        ra["tags"],
        json!({"containers": "web", "platform": "musl", "image": "registry.example.com/otel/python:0.64b0"})
    );
    let message = ra["message"].as_str().unwrap_or("");
    for part in ["web", "musl", "registry.example.com/otel/python:0.64b0"] {
        assert!(message.contains(part), "{message}");
    }
    let rb = find("StatefulSet");
    assert_eq!(
        rb["resourceRef"],
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "b"})
    );
    assert_eq!(rb["file"], json!({"path": "sts/b.yaml", "index": 0}));
    assert_eq!(rb["tags"]["containers"], "api,worker");
    assert_eq!(rb["tags"]["platform"], "glibc");
    let message = rb["message"].as_str().unwrap_or("");
    assert!(message.contains("api") && message.contains("worker") && message.contains("glibc"));
}

/// product.md §6: an error anywhere → exit 1, every item unchanged (the
/// good workload too), results in the output, errors and warnings on
/// stderr, results ordered errors, warnings, info.
#[test]
fn errors_fail_the_run_and_keep_every_item_unchanged() {
    let good = dedent(
        r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: good
          namespace: shop
          annotations:
            config.kubernetes.io/path: deploy/good.yaml
            config.kubernetes.io/index: '0'
        spec:
          template:
            metadata:
              annotations:
                instrumentation.opentelemetry.io/inject-python: "true"
                instrumentation.opentelemetry.io/container-names: "app,ghost"
            spec:
              containers:
              - {name: app, image: "python:3.12"}
        "#,
    );
    let bad = dedent(
        r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: bad
          namespace: shop
          annotations:
            config.kubernetes.io/path: deploy/bad.yaml
            config.kubernetes.io/index: '1'
        spec:
          template:
            metadata:
              annotations:
                instrumentation.opentelemetry.io/inject-python: "true"
                instrumentation.opentelemetry.io/container-names: "app;rm"
            spec:
              containers:
              - {name: app, image: "python:3.12"}
        "#,
    );
    let src = list(&[&good, &bad], Some(&typed(EXPORTER_ONLY)));
    let out = exec(&src);
    assert_eq!(out.code, 1, "{}", out.text);
    assert_items_unchanged(&src, &out);
    assert!(
        out.text.starts_with(items_part(&src)) && out.text.contains("\nresults:\n"),
        "{}",
        out.text
    );

    let errors = out.with_severity("error");
    assert_eq!(errors.len(), 1, "{:?}", out.results());
    let error = &errors[0];
    let message =
        "not valid characters included in the instrumentation container annotation app;rm";
    assert_eq!(error["message"], message);
    assert_eq!(
        error["resourceRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "bad", "namespace": "shop"})
    );
    assert_eq!(
        error["file"],
        json!({"path": "deploy/bad.yaml", "index": 1})
    );
    let error_field = error["field"]["path"].as_str().unwrap_or("").to_string();
    assert!(
        error_field.starts_with("spec.template.metadata.annotations"),
        "{error_field}"
    );

    let warnings = out.with_severity("warning");
    let ghost = warnings
        .iter()
        .find(|w| w["message"].as_str().unwrap_or("").contains("ghost"))
        .unwrap_or_else(|| panic!("no warning about ghost: {warnings:?}"));
    assert_eq!(ghost["resourceRef"]["name"], "good");
    assert_eq!(
        ghost["file"],
        json!({"path": "deploy/good.yaml", "index": 0})
    );
    assert!(ghost["field"]["path"].is_string());

    // Order: errors, then warnings, then info.
    let rank = |s: &str| match s {
        "error" => 0,
        "warning" => 1,
        _ => 2,
    };
    let ranks: Vec<i32> = out
        .results()
        .iter()
        .map(|r| rank(r["severity"].as_str().unwrap_or("")))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");

    // stderr: the counts, then one line per error and warning.
    let n_warnings = warnings.len();
    let header = format!(
        "inject-otel-python: 1 error, {n_warnings} warning{}\n",
        if n_warnings == 1 { "" } else { "s" }
    );
    assert!(out.stderr.starts_with(&header), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "[error] apps/v1/Deployment/shop/bad {error_field}: {message} (deploy/bad.yaml)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains("[warning] apps/v1/Deployment/shop/good") && l.contains("ghost")),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1 + 1 + n_warnings);

    // Deterministic: the same input gives the same output.
    let again = exec(&src);
    assert_eq!(again.text, out.text);
    assert_eq!(again.stderr, out.stderr);
}

/// A successful run through the binary: exit 0, nothing but warnings on
/// stderr (none here), and the items changed.
#[test]
fn binary_success_run() {
    let item = deployment(
        "web",
        Some("shop"),
        "",
        "instrumentation.opentelemetry.io/inject-python: \"true\"",
    );
    let src = list(&[&item], Some(&typed(EXPORTER_ONLY)));
    let out = exec(&src);
    out.assert_ok();
    assert_eq!(out.stderr, "");
    assert!(is_injected(out.item("Deployment", "web")));
    let infos = out.with_severity("info");
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0]["tags"]["image"], DEFAULT_IMAGE);
}

// ========================================================= 4. config forms

fn config_map(data: &str) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ndata:\n",
    );
    for l in dedent(data).lines() {
        s.push_str(&format!("  {l}\n"));
    }
    s
}

/// The ConfigMap form (dotted keys, comma lists, `K=V,...` maps) gives the
/// same items as the typed form (product.md §2 form 3).
#[test]
fn config_map_form_equals_typed_form() {
    let item = r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - {name: sidecar, image: "envoyproxy/envoy:v1.30"}
              - {name: app, image: "registry.example.com/shop/web:1.4.2"}
    "#;
    let other = r#"
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12"}
    "#;
    let typed_src = list(
        &[item, other],
        Some(&typed(
            r#"
            selector: {kinds: [Deployment]}
            containerNames: [app]
            exporter: {endpoint: "http://otel-collector.observability:4318"}
            propagators: [tracecontext, baggage]
            sampler: {type: parentbased_traceidratio, argument: "0.25"}
            resource:
              resourceAttributes: {deployment.environment: prod, team: shop}
            python: {image: "registry.example.com/otel/python:0.64b0"}
            "#,
        )),
    );
    let cm_src = list(
        &[item, other],
        Some(&config_map(
            r#"
            selector.kinds: Deployment
            containerNames: app
            exporter.endpoint: http://otel-collector.observability:4318
            propagators: tracecontext,baggage
            sampler.type: parentbased_traceidratio
            sampler.argument: "0.25"
            resource.resourceAttributes: deployment.environment=prod,team=shop
            python.image: registry.example.com/otel/python:0.64b0
            "#,
        )),
    );
    let t = process(&typed_src);
    let c = process(&cm_src);
    t.assert_ok();
    c.assert_ok();
    assert_eq!(items_part(&c.text), items_part(&t.text));
    let web = c.item("Deployment", "web");
    assert!(is_injected(web));
    assert!(container(web, "sidecar")["env"].is_null());
    let ra = env_value(web, "app", "OTEL_RESOURCE_ATTRIBUTES").unwrap_or_default();
    assert!(
        ra.starts_with("deployment.environment=prod,k8s.container.name=app,"),
        "{ra}"
    );
    assert!(ra.ends_with(",service.version=1.4.2,team=shop"), "{ra}");
    assert_eq!(
        env_value(web, "app", "OTEL_PROPAGATORS").as_deref(),
        Some("tracecontext,baggage")
    );
    assert_eq!(
        init_containers(web)[0]["image"],
        "registry.example.com/otel/python:0.64b0"
    );
    assert!(!is_injected(c.item("StatefulSet", "db")));
    assert_eq!(
        c.with_severity("info")[0]["tags"],
        t.with_severity("info")[0]["tags"]
    );
}

#[test]
fn config_map_unknown_key_lists_valid_keys() {
    let item = deployment("web", Some("shop"), "", "");
    let src = list(
        &[&item],
        Some(&config_map(
            "exporter.endpiont: http://collector:4318\npython.image: img:1\n",
        )),
    );
    let out = exec(&src);
    assert_eq!(out.code, 1);
    assert_items_unchanged(&src, &out);
    let errors = out.with_severity("error");
    assert_eq!(errors.len(), 1, "{:?}", out.results());
    let message = errors[0]["message"].as_str().unwrap_or("");
    assert!(message.contains("exporter.endpiont"), "{message}");
    for key in [
        "python.image",
        "exporter.endpoint",
        "sampler.type",
        "sampler.argument",
        "django.settingsModule",
        "platform",
        "mode",
        "propagators",
        "containerNames",
        "selector.kinds",
        "resource.resourceAttributes",
    ] {
        assert!(message.contains(key), "{key} missing from: {message}");
    }
    assert_eq!(
        errors[0]["resourceRef"],
        json!({"apiVersion": "v1", "kind": "ConfigMap", "name": "function-input"})
    );
    assert_eq!(errors[0]["field"]["path"], "data.exporter.endpiont");
}

#[test]
fn config_map_bad_sampler_argument_points_at_the_key() {
    let item = deployment("web", Some("shop"), "", "");
    let src = list(
        &[&item],
        Some(&config_map(
            "sampler.type: traceidratio\nsampler.argument: abc\n",
        )),
    );
    let out = process(&src);
    assert_eq!(out.code, 1);
    assert_items_unchanged(&src, &out);
    let errors = out.with_severity("error");
    assert_eq!(errors.len(), 1, "{:?}", out.results());
    assert_eq!(
        errors[0]["message"],
        "spec.sampler.argument is not a number: abc"
    );
    assert_eq!(errors[0]["field"]["path"], "data.sampler.argument");
}

/// Typed schema and rule violations: one error per problem, each about the
/// config object and the field (product.md §2).
#[test]
fn typed_config_violations_point_at_the_field() {
    let item = deployment("web", Some("shop"), "", "");
    let config = dedent(
        r#"
        apiVersion: fn.kpt.dev/v1alpha1
        kind: InjectOtelPython
        metadata:
          name: otel
          namespace: tools
          annotations:
            config.kubernetes.io/local-config: "true"
            config.kubernetes.io/path: fn/otel.yaml
            config.kubernetes.io/index: '0'
        spec:
          platform: arm
          mode: dryrun
          sampler: {type: traceidratio, argument: "1.5"}
        "#,
    );
    let src = list(&[&item], Some(&config));
    let out = exec(&src);
    assert_eq!(out.code, 1, "{}", out.text);
    assert_items_unchanged(&src, &out);
    let errors = out.with_severity("error");
    let mut fields: Vec<String> = errors
        .iter()
        .map(|e| e["field"]["path"].as_str().unwrap_or("").to_string())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["spec.mode", "spec.platform", "spec.sampler.argument"],
        "{errors:?}"
    );
    for e in &errors {
        assert_eq!(
            e["resourceRef"],
            json!({"apiVersion": "fn.kpt.dev/v1alpha1", "kind": "InjectOtelPython", "name": "otel", "namespace": "tools"})
        );
        assert_eq!(e["file"], json!({"path": "fn/otel.yaml", "index": 0}));
    }
    let sampler = errors
        .iter()
        .find(|e| e["field"]["path"] == "spec.sampler.argument")
        .expect("sampler error");
    assert_eq!(
        sampler["message"],
        "spec.sampler.argument should be in rage [0..1]: 1.5"
    );
    let platform = errors
        .iter()
        .find(|e| e["field"]["path"] == "spec.platform")
        .expect("platform error");
    assert!(
        platform["message"].as_str().unwrap_or("").contains("arm")
            || platform["field"]["currentValue"] == "arm",
        "{platform}"
    );
    for e in &errors {
        assert!(
            out.stderr.contains(e["message"].as_str().unwrap_or("")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn schema_subcommand_prints_the_json_schema() {
    let r = run_with(
        &bin(),
        &["schema"],
        &[],
        b"",
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let schema: Value = serde_json::from_str(&r.stdout).expect("valid JSON");
    assert!(schema["$schema"].is_string(), "{schema}");
    let spec = &schema["properties"]["spec"];
    assert!(spec.is_object(), "{schema}");
}

/// Like every other output of the function, the schema ends with one
/// newline (no blank line after it).
#[test]
fn schema_subcommand_ends_with_one_newline() {
    let r = run_with(
        &bin(),
        &["schema"],
        &[],
        b"",
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.ends_with("}\n"),
        "{:?}",
        &r.stdout[r.stdout.len().saturating_sub(8)..]
    );
}

// ================================================================ 5. modes

fn with_config(previous_output: &str, config: &str) -> String {
    let mut s = items_part(previous_output).to_string();
    s.push_str("functionConfig:\n");
    for l in dedent(config).lines() {
        s.push_str(&format!("  {l}\n"));
    }
    s
}

const WEB: &str = r#"
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web   # the web tier
      namespace: shop
    spec:
      replicas: 2
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
          - name: app
            image: "registry.example.com/shop/web:1.4.2"
            env:
            - name: PYTHONPATH
              value: /app   # project root
            - name: MODE
              value: "yes"
            volumeMounts:
            - {name: data, mountPath: /data}
          volumes:
          - {name: data, emptyDir: {}}
"#;

#[test]
fn remove_restores_the_original() {
    let inject = typed(&format!(
        "{EXPORTER_ONLY}selector: {{kinds: [Deployment]}}\n"
    ));
    let original = list(&[WEB], Some(&inject));
    let injected = process(&original);
    injected.assert_ok();
    let web = injected.item("Deployment", "web");
    assert!(is_injected(web));
    assert_eq!(
        env_value(web, "app", "PYTHONPATH").as_deref(),
        Some(format!("{PREFIX}:/app:{SUFFIX}").as_str())
    );

    let remove = typed(&format!(
        "{EXPORTER_ONLY}mode: remove\nselector: {{kinds: [Deployment]}}\n"
    ));
    let removed = process(&with_config(&injected.text, &remove));
    removed.assert_ok();
    assert_eq!(items_part(&removed.text), items_part(&original));

    // remove on a workload that was never injected changes nothing.
    let untouched_src = list(&[WEB], Some(&remove));
    let untouched = process(&untouched_src);
    untouched.assert_ok();
    assert_items_unchanged(&untouched_src, &untouched);
}

/// `WEB` without a PYTHONPATH of its own.
const WEB_PLAIN: &str = r#"
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web   # the web tier
      namespace: shop
    spec:
      template:
        spec:
          containers:
          - name: app
            image: "registry.example.com/shop/web:1.4.2"
            env:
            - name: MODE
              value: "yes"
"#;

/// Runs `mode: check` over `workload`: not injected → error; injected with
/// the same config → clean; injected with another image → drift error.
/// Items never change, and every error means exit 1.
fn assert_check_mode(workload: &str) {
    let spec = format!("{EXPORTER_ONLY}selector: {{kinds: [Deployment]}}\n");
    let check = typed(&format!("{spec}mode: check\n"));

    // Not injected yet: an error, exit 1, items unchanged.
    let src = list(&[workload], Some(&check));
    let out = exec(&src);
    assert_eq!(out.code, 1, "{}", out.text);
    assert_items_unchanged(&src, &out);
    let errors = out.with_severity("error");
    assert_eq!(errors.len(), 1, "{:?}", out.results());
    assert_eq!(errors[0]["resourceRef"]["name"], "web");
    assert!(out.stderr.contains("[error] apps/v1/Deployment/shop/web"));

    // Injected with the same config: nothing to report, exit 0.
    let injected = process(&list(&[workload], Some(&typed(&spec))));
    injected.assert_ok();
    assert!(is_injected(injected.item("Deployment", "web")));
    let src = with_config(&injected.text, &check);
    let out = exec(&src);
    out.assert_ok();
    assert_items_unchanged(&src, &out);
    assert!(out.messages("error").is_empty());

    // Drift: a new image in the config.
    let drifted = typed(&format!(
        "{spec}mode: check\npython: {{image: \"registry.example.com/otel/python:0.65b0\"}}\n"
    ));
    let src = with_config(&injected.text, &drifted);
    let out = exec(&src);
    assert_eq!(out.code, 1, "{}", out.text);
    assert_items_unchanged(&src, &out);
    assert_eq!(out.with_severity("error").len(), 1, "{:?}", out.results());
}

#[test]
fn check_mode_never_changes_items() {
    assert_check_mode(WEB_PLAIN);
}

/// The same with a container that sets its own PYTHONPATH (rewritten in
/// place by the injection, operator-python.md §1.3 step 4): an injected
/// template must not count as drifted.
#[test]
fn check_mode_with_the_containers_own_pythonpath() {
    assert_check_mode(WEB);
}

/// A template instrumented by something else (the operator's init
/// container, no record of this function) is left alone with a warning.
#[test]
fn instrumented_elsewhere_is_left_alone() {
    let pod = r#"
        apiVersion: v1
        kind: Pod
        metadata:
          name: app
          namespace: shop
          annotations:
            instrumentation.opentelemetry.io/inject-python: "true"
        spec:
          initContainers:
          - name: opentelemetry-auto-instrumentation-python
            image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.60b0
            command: [cp, -r, /autoinstrumentation/., /otel-auto-instrumentation-python]
          containers:
          - name: app
            image: python:3.12
    "#;
    for config in [
        config_inst(),
        typed(&format!("{EXPORTER_ONLY}selector: {{}}\n")),
    ] {
        let src = list(&[pod], Some(&config));
        let out = exec(&src);
        out.assert_ok();
        assert_items_unchanged(&src, &out);
        let warnings = out.with_severity("warning");
        let about_pod: Vec<&Value> = warnings
            .iter()
            .filter(|w| w["resourceRef"]["kind"] == "Pod")
            .collect();
        assert_eq!(about_pod.len(), 1, "{warnings:?}");
        assert!(
            out.stderr.contains("[warning] v1/Pod/shop/app"),
            "{}",
            out.stderr
        );
        assert!(out.with_severity("info").is_empty());
    }
}

// ============================================================= 6. platform

fn platform_of(out: &Out, kind: &str, name: &str) -> String {
    let item = out.item(kind, name);
    let init = init_containers(item)
        .into_iter()
        .find(|c| c["name"] == INIT_NAME)
        .expect("injected");
    init["command"][2].as_str().unwrap_or("").to_string()
}

#[test]
fn platform_auto_detects_alpine() {
    let alpine = r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: alpine, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12-alpine"}
    "#;
    let debian = r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: debian, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "python:3.12-slim"}
    "#;
    for platform in ["platform: auto\n", ""] {
        let spec = format!("{EXPORTER_ONLY}selector: {{}}\n{platform}");
        let out = process(&list(&[alpine, debian], Some(&typed(&spec))));
        out.assert_ok();
        assert_eq!(
            platform_of(&out, "Deployment", "alpine"),
            MUSL,
            "{platform}"
        );
        assert_eq!(
            platform_of(&out, "Deployment", "debian"),
            GLIBC,
            "{platform}"
        );
        let tags: Vec<Value> = out
            .with_severity("info")
            .iter()
            .map(|r| json!([r["resourceRef"]["name"], r["tags"]["platform"]]))
            .collect();
        assert!(tags.contains(&json!(["alpine", "musl"])), "{tags:?}");
        assert!(tags.contains(&json!(["debian", "glibc"])), "{tags:?}");
    }
}

#[test]
fn platform_annotation_wins_over_config() {
    let dep = |name: &str, platform: &str| {
        deployment(
            name,
            Some("shop"),
            "",
            &format!("instrumentation.opentelemetry.io/otel-python-platform: \"{platform}\""),
        )
    };
    let (a, b) = (dep("a", "glibc"), dep("b", "musl"));
    let out = process(&list(
        &[&a],
        Some(&typed(&format!(
            "{EXPORTER_ONLY}selector: {{}}\nplatform: musl\n"
        ))),
    ));
    out.assert_ok();
    assert_eq!(platform_of(&out, "Deployment", "a"), GLIBC);
    let out = process(&list(
        &[&b],
        Some(&typed(&format!(
            "{EXPORTER_ONLY}selector: {{}}\nplatform: glibc\n"
        ))),
    ));
    out.assert_ok();
    assert_eq!(platform_of(&out, "Deployment", "b"), MUSL);
}

/// The Namespace's platform annotation counts too (merged, §1.2/§4.2).
#[test]
fn platform_annotation_from_namespace() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    instrumentation.opentelemetry.io/otel-python-platform: musl\n";
    let dep = deployment("web", Some("shop"), "", "");
    let out = process(&list(
        &[ns, &dep],
        Some(&typed(&format!("{EXPORTER_ONLY}selector: {{}}\n"))),
    ));
    out.assert_ok();
    assert_eq!(platform_of(&out, "Deployment", "web"), MUSL);
}

#[test]
fn invalid_platform_annotation_is_the_operators_error() {
    for value in ["MUSL", "alpine", "auto"] {
        let dep = deployment(
            "web",
            Some("shop"),
            "",
            &format!("instrumentation.opentelemetry.io/otel-python-platform: {value}"),
        );
        let src = list(
            &[&dep],
            Some(&typed(&format!("{EXPORTER_ONLY}selector: {{}}\n"))),
        );
        let out = exec(&src);
        assert_eq!(out.code, 1, "{value}");
        assert_items_unchanged(&src, &out);
        assert_eq!(
            out.messages("error"),
            [format!(
                "provided instrumentation.opentelemetry.io/otel-python-platform annotation value '{value}' is not supported"
            )]
        );
    }
}

// =============================================================== 7. Django

#[test]
fn django_settings_module_and_app_root() {
    let plain = deployment("plain", Some("shop"), "", "");
    let own = r#"
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: own, namespace: shop}
        spec:
          template:
            spec:
              containers:
              - name: app
                image: registry.example.com/own:1.0
                env:
                - {name: PYTHONPATH, value: /srv/lib}
                - {name: DJANGO_SETTINGS_MODULE, value: mysite.prod}
    "#;
    let spec = format!(
        "{EXPORTER_ONLY}selector: {{}}\ndjango: {{settingsModule: shop.settings, appRoot: /app}}\n"
    );
    let out = process(&list(&[&plain, own], Some(&typed(&spec))));
    out.assert_ok();

    let p = out.item("Deployment", "plain");
    assert_eq!(
        env_value(p, "app", "DJANGO_SETTINGS_MODULE").as_deref(),
        Some("shop.settings")
    );
    assert_eq!(
        env_value(p, "app", "PYTHONPATH").as_deref(),
        Some(format!("{PREFIX}:/app:{SUFFIX}").as_str())
    );

    let o = out.item("Deployment", "own");
    let names = env_names(o, "app");
    assert_eq!(
        names
            .iter()
            .filter(|n| *n == "DJANGO_SETTINGS_MODULE")
            .count(),
        1
    );
    assert_eq!(
        env_value(o, "app", "DJANGO_SETTINGS_MODULE").as_deref(),
        Some("mysite.prod")
    );
    let path = env_value(o, "app", "PYTHONPATH").unwrap_or_default();
    let middle = path
        .strip_prefix(&format!("{PREFIX}:"))
        .and_then(|p| p.strip_suffix(&format!(":{SUFFIX}")))
        .unwrap_or_else(|| panic!("not between prefix and suffix: {path}"));
    let mut entries: Vec<&str> = middle.split(':').collect();
    entries.sort_unstable();
    assert_eq!(entries, ["/app", "/srv/lib"], "{path}");
    // The container's own PYTHONPATH keeps its place in the list.
    assert_eq!(names.iter().position(|n| n == "PYTHONPATH"), Some(2));
}

// ============================================================ 8. deviation

/// product.md §4 / operator #2272: an init container that would inherit
/// `runAsNonRoot: true` with no uid gets `runAsUser: 65532`; with a uid
/// the operator's copy is kept as is.
#[test]
fn non_root_init_container_gets_a_uid() {
    let pod = |name: &str, sc: &str, pod_sc: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\nspec:\n{pod_sc}  containers:\n  - name: app\n    image: python:3.12\n{sc}"
        )
    };
    let no_uid = pod(
        "no-uid",
        "    securityContext:\n      runAsNonRoot: true\n      allowPrivilegeEscalation: false\n",
        "",
    );
    let with_uid = pod(
        "with-uid",
        "    securityContext:\n      runAsNonRoot: true\n      runAsUser: 1000\n",
        "",
    );
    let pod_uid = pod(
        "pod-uid",
        "    securityContext:\n      runAsNonRoot: true\n",
        "  securityContext:\n    runAsUser: 2000\n",
    );
    let src = list(&[&config_inst(), &no_uid, &with_uid, &pod_uid], None);
    let out = process(&src);
    out.assert_ok();
    let sc = |name: &str| init_containers(out.item("Pod", name))[0]["securityContext"].clone();
    assert_eq!(
        sc("no-uid"),
        json!({"runAsNonRoot": true, "allowPrivilegeEscalation": false, "runAsUser": 65532})
    );
    assert_eq!(
        sc("with-uid"),
        json!({"runAsNonRoot": true, "runAsUser": 1000})
    );
    assert_eq!(sc("pod-uid"), json!({"runAsNonRoot": true}));
}

/// `spec.initContainerSecurityContext` wins over the target's
/// (operator-python.md §7.2 g).
#[test]
fn init_container_security_context_from_spec_wins() {
    let inst = instrumentation(
        "python",
        "shop",
        "exporter: {endpoint: \"http://collector:4318\"}\ninitContainerSecurityContext: {runAsUser: 1234, readOnlyRootFilesystem: true}\n",
    );
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: shop\n  annotations:\n    instrumentation.opentelemetry.io/inject-python: \"true\"\nspec:\n  containers:\n  - name: app\n    image: python:3.12\n    securityContext: {runAsUser: 1000}\n";
    let out = process(&list(&[&inst, pod], None));
    out.assert_ok();
    assert_eq!(
        init_containers(out.item("Pod", "app"))[0]["securityContext"],
        json!({"runAsUser": 1234, "readOnlyRootFilesystem": true})
    );
}
