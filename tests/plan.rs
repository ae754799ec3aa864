//! The planner against the operator's conformance vectors
//! (docs/operator-python.md §7) and the template rules of product.md §4.
//!
//! Every expected list is written out by hand from the document, not
//! produced by running the code. Where a vector cannot apply as is, the
//! test says how it was adapted:
//!
//! - §7.1 runs only the Python part of the operator (no SDK config); the
//!   planner always runs the whole production path (§2), so those lists are
//!   wrapped in the §2.2 slots around them (`OTEL_NODE_IP`/`OTEL_POD_IP`
//!   first, service name, pod/node name vars and resource attributes last).
//! - Owner-derived vectors (§7.3 `TestSDKInjection`) map the ReplicaSet →
//!   Deployment owner chain to a `Deployment` workload: the ReplicaSet name
//!   becomes `<deployment>-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH)`,
//!   owner UIDs (unknowable before the objects exist) are absent, and the
//!   pod UID (set by hand in those tests, empty at a real admission) is the
//!   `OTEL_RESOURCE_ATTRIBUTES_POD_UID` var when `addK8sUIDAttributes` is on.
//! - A namespace the manifest does not set comes from the downward API
//!   (`OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE`).

use inject_otel_python::config::{Django, Instrumentation, Tls};
use inject_otel_python::inject::plan::{
    EnvPlan, Plan, PlatformChoice, Problem, Target, Workload, final_env, plan,
    service_version_from_image,
};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// Abbreviations of operator-python.md §7
// ---------------------------------------------------------------------------

const PREFIX: &str =
    "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation";
const SUFFIX: &str = "/otel-auto-instrumentation-python";
/// `P`
const P: &str = "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/otel-auto-instrumentation-python";
const GLIBC: &str = "/autoinstrumentation/.";
const MUSL: &str = "/autoinstrumentation-musl/.";
const TEST_APP: &str = "ghcr.io/open-telemetry/opentelemetry-operator/e2e-test-app-python:main";
const SHA: &str = "sha256:232a180dbcbcfa7250917507f3827d88a9ae89bb1cdd8fe3ac4db7b764ebb25a";

fn var(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn field_ref(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}})
}

/// `NODE_IP`
fn node_ip() -> Value {
    field_ref("OTEL_NODE_IP", "status.hostIP")
}
/// `POD_IP`
fn pod_ip() -> Value {
    field_ref("OTEL_POD_IP", "status.podIP")
}
/// `POD_NAME`
fn pod_name() -> Value {
    field_ref("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "metadata.name")
}
/// `NODE_NAME`
fn node_name() -> Value {
    field_ref("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "spec.nodeName")
}
fn pod_uid() -> Value {
    field_ref("OTEL_RESOURCE_ATTRIBUTES_POD_UID", "metadata.uid")
}
fn namespace_var() -> Value {
    field_ref(
        "OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE",
        "metadata.namespace",
    )
}
fn template_hash_var() -> Value {
    field_ref(
        "OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH",
        "metadata.labels['pod-template-hash']",
    )
}
fn python_path(value: &str) -> Value {
    var("PYTHONPATH", value)
}
fn service_name(value: &str) -> Value {
    var("OTEL_SERVICE_NAME", value)
}
fn endpoint(value: &str) -> Value {
    var("OTEL_EXPORTER_OTLP_ENDPOINT", value)
}
fn attributes(value: &str) -> Value {
    var("OTEL_RESOURCE_ATTRIBUTES", value)
}
fn protocol() -> Value {
    var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
}
fn traces() -> Value {
    var("OTEL_TRACES_EXPORTER", "otlp")
}
fn metrics() -> Value {
    var("OTEL_METRICS_EXPORTER", "otlp")
}
fn logs() -> Value {
    var("OTEL_LOGS_EXPORTER", "otlp")
}
/// `D4`
fn d4() -> Vec<Value> {
    vec![protocol(), traces(), metrics(), logs()]
}
/// `VOL`
fn vol() -> Value {
    json!({"name": "opentelemetry-auto-instrumentation-python", "emptyDir": {"sizeLimit": "200Mi"}})
}
/// `MNT`
fn mnt() -> Value {
    json!({"name": "opentelemetry-auto-instrumentation-python", "mountPath": "/otel-auto-instrumentation-python"})
}
/// `INIT(img, src)`
fn init(image: &str, src: &str) -> Value {
    json!({
        "name": "opentelemetry-auto-instrumentation-python",
        "image": image,
        "command": ["cp", "-r", src, "/otel-auto-instrumentation-python"],
        "volumeMounts": [mnt()],
    })
}
/// `INIT(img, src)` with extra keys after `volumeMounts`.
fn init_with(image: &str, src: &str, extra: Value) -> Value {
    let mut container = init(image, src);
    if let (Some(fields), Some(more)) = (container.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            fields.insert(k.clone(), v.clone());
        }
    }
    container
}

fn concat(parts: &[&[Value]]) -> Vec<Value> {
    parts.iter().flat_map(|p| p.iter().cloned()).collect()
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

fn python(image: &str) -> Instrumentation {
    Instrumentation {
        python_image: image.to_string(),
        ..Instrumentation::default()
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vec<Value> {
    pairs.iter().map(|(n, v)| var(n, v)).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn pod_template(metadata: Value, spec: Value) -> Value {
    json!({"metadata": metadata, "spec": spec})
}

fn pod_in<'a>(name: &'a str, namespace: &'a str) -> Workload<'a> {
    Workload {
        kind: "Pod",
        name,
        namespace: Some(namespace),
    }
}

fn workload<'a>(kind: &'a str, name: &'a str, namespace: Option<&'a str>) -> Workload<'a> {
    Workload {
        kind,
        name,
        namespace,
    }
}

fn regular(names: &[&str]) -> Vec<Target> {
    names
        .iter()
        .map(|n| Target {
            name: n.to_string(),
            init: false,
        })
        .collect()
}

fn init_target(name: &str) -> Target {
    Target {
        name: name.to_string(),
        init: true,
    }
}

fn run(template: &Value, workload: &Workload, inst: &Instrumentation, targets: &[Target]) -> Plan {
    plan(
        template,
        workload,
        inst,
        PlatformChoice::Glibc,
        &Django::default(),
        targets,
    )
}

/// The env list of a planned container after the plan is applied.
fn env_after(template: &Value, plan: &Plan, container: &str) -> Vec<Value> {
    let Some(planned) = plan.containers.iter().find(|c| c.name == container) else {
        panic!("{container} was not planned: {plan:#?}");
    };
    let list = if planned.init {
        "initContainers"
    } else {
        "containers"
    };
    let original = template["spec"][list][planned.index]["env"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    final_env(&original, &planned.env)
}

/// Equality including key order (serde_json's `==` ignores object key order).
#[track_caller]
fn assert_json(actual: &Value, expected: &Value) {
    let render = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    assert_eq!(render(actual), render(expected));
}

#[track_caller]
fn assert_list(actual: &[Value], expected: &[Value]) {
    assert_json(
        &Value::Array(actual.to_vec()),
        &Value::Array(expected.to_vec()),
    );
}

#[track_caller]
fn assert_env(template: &Value, plan: &Plan, container: &str, expected: &[Value]) {
    assert_list(&env_after(template, plan, container), expected);
}

// ===========================================================================
// §7.1 TestInjectPythonSDK (python = {image: foo/bar:1}; unnamed containers)
// ===========================================================================

/// A bare pod in namespace `ns` with one unnamed container.
fn unit_pod(container: Value) -> Value {
    pod_template(json!({}), json!({"containers": [container]}))
}

/// The SDK slots (§2.2 slots 8–14) of the production path for an unnamed
/// container with no image in a nameless pod in namespace `ns`.
fn unnamed_sdk_tail() -> Vec<Value> {
    vec![
        service_name(""),
        pod_name(),
        node_name(),
        attributes(
            "k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.namespace=ns",
        ),
    ]
}

fn run_unit(container: Value, inst: &Instrumentation, platform: PlatformChoice) -> (Value, Plan) {
    let template = unit_pod(container);
    let plan = plan(
        &template,
        &pod_in("", "ns"),
        inst,
        platform,
        &Django::default(),
        &regular(&[""]),
    );
    (template, plan)
}

#[test]
fn v7_1_case1_pythonpath_not_defined() {
    let (template, plan) = run_unit(json!({}), &python("foo/bar:1"), PlatformChoice::Glibc);
    assert_list(&plan.volumes, &[vol()]);
    assert_json(&plan.init_container, &init("foo/bar:1", GLIBC));
    assert_eq!(plan.init_container_index, 0);
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &unnamed_sdk_tail(),
    ]);
    assert_env(&template, &plan, "", &expected);
    assert!(plan.problems.is_empty());
}

#[test]
fn v7_1_case2_spec_env_overrides_defaults() {
    let inst = Instrumentation {
        env: vars(&[("OTEL_METRICS_EXPORTER", "none")]),
        ..python("foo/bar:1")
    };
    let (template, plan) = run_unit(json!({}), &inst, PlatformChoice::Glibc);
    let expected = concat(&[
        &[
            node_ip(),
            pod_ip(),
            python_path(P),
            var("OTEL_METRICS_EXPORTER", "none"),
            protocol(),
            traces(),
            logs(),
        ],
        &unnamed_sdk_tail(),
    ]);
    assert_env(&template, &plan, "", &expected);
}

#[test]
fn v7_1_case3_defaults_applied_when_no_spec_env() {
    let (template, plan) = run_unit(json!({}), &python("foo/bar:1"), PlatformChoice::Glibc);
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &unnamed_sdk_tail(),
    ]);
    assert_env(&template, &plan, "", &expected);
}

#[test]
fn v7_1_case4_pythonpath_defined_and_resources() {
    let resources = json!({
        "limits": {"cpu": "500m", "memory": "128Mi"},
        "requests": {"cpu": "500m", "memory": "128Mi"},
    });
    let inst = Instrumentation {
        resource_requirements: object(resources.clone()),
        ..python("foo/bar:1")
    };
    let (template, plan) = run_unit(
        json!({"env": [var("PYTHONPATH", "/foo:/bar")]}),
        &inst,
        PlatformChoice::Glibc,
    );
    // resources sit between command and volumeMounts.
    assert_json(
        &plan.init_container,
        &json!({
            "name": "opentelemetry-auto-instrumentation-python",
            "image": "foo/bar:1",
            "command": ["cp", "-r", GLIBC, "/otel-auto-instrumentation-python"],
            "resources": resources,
            "volumeMounts": [mnt()],
        }),
    );
    let rewritten = "/otel-auto-instrumentation-python/opentelemetry/instrumentation/auto_instrumentation:/foo:/bar:/otel-auto-instrumentation-python";
    // PYTHONPATH is rewritten in place: a set_value on item 0.
    assert_eq!(
        plan.containers[0].env,
        EnvPlan {
            prepend: vec![node_ip(), pod_ip()],
            set_values: vec![(0, rewritten.to_string())],
            remove: vec![],
            append: concat(&[&d4(), &unnamed_sdk_tail()]),
        }
    );
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(rewritten)],
        &d4(),
        &unnamed_sdk_tail(),
    ]);
    assert_env(&template, &plan, "", &expected);
}

/// Cases 5–8: a user exporter var keeps its place; the other defaults
/// follow PYTHONPATH in their own order.
#[test]
fn v7_1_cases5_to_8_user_exporter_vars_win() {
    let cases = [
        (
            var("OTEL_TRACES_EXPORTER", "zipkin"),
            vec![protocol(), metrics(), logs()],
        ),
        (
            var("OTEL_METRICS_EXPORTER", "somebackend"),
            vec![protocol(), traces(), logs()],
        ),
        (
            var("OTEL_LOGS_EXPORTER", "somebackend"),
            vec![protocol(), traces(), metrics()],
        ),
        (
            var("OTEL_EXPORTER_OTLP_PROTOCOL", "somebackend"),
            vec![traces(), metrics(), logs()],
        ),
    ];
    for (user_var, defaults) in cases {
        let (template, plan) = run_unit(
            json!({"env": [user_var.clone()]}),
            &python("foo/bar:1"),
            PlatformChoice::Glibc,
        );
        assert_json(&plan.init_container, &init("foo/bar:1", GLIBC));
        let expected = concat(&[
            &[node_ip(), pod_ip(), user_var, python_path(P)],
            &defaults,
            &unnamed_sdk_tail(),
        ]);
        assert_env(&template, &plan, "", &expected);
    }
}

/// Case 9, production path: the container is skipped with the operator's
/// message; the init container and volume are still added (§1.5).
#[test]
fn v7_1_case9_pythonpath_value_from() {
    let (_, plan) = run_unit(
        json!({"env": [{"name": "PYTHONPATH", "valueFrom": {}}]}),
        &python("foo/bar:1"),
        PlatformChoice::Glibc,
    );
    assert!(plan.containers.is_empty());
    assert_eq!(
        plan.problems,
        vec![Problem {
            container: String::new(),
            field: "spec.containers[0].env[0]".to_string(),
            message: "the container defines env var value via ValueFrom, envVar: PYTHONPATH"
                .to_string(),
        }]
    );
    assert_list(&plan.volumes, &[vol()]);
    assert_json(&plan.init_container, &init("foo/bar:1", GLIBC));
}

#[test]
fn v7_1_case10_musl() {
    let (template, plan) = run_unit(json!({}), &python("foo/bar:1"), PlatformChoice::Musl);
    assert_json(&plan.init_container, &init("foo/bar:1", MUSL));
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &unnamed_sdk_tail(),
    ]);
    assert_env(&template, &plan, "", &expected);
}

#[test]
fn v7_1_case13_init_container_target() {
    let template = pod_template(json!({}), json!({"initContainers": [{"name": "my-init"}]}));
    let plan = run(
        &template,
        &pod_in("", "ns"),
        &python("foo/bar:1"),
        &[init_target("my-init")],
    );
    // initContainers [INIT, my-init]
    assert_eq!(plan.init_container_index, 0);
    assert_json(&plan.init_container, &init("foo/bar:1", GLIBC));
    assert_list(&plan.volumes, &[vol()]);
    let planned = &plan.containers[0];
    assert!(planned.init);
    assert_eq!(planned.index, 0);
    assert_list(&planned.mounts, &[mnt()]);
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &[
            service_name("my-init"),
            pod_name(),
            node_name(),
            attributes(
                "k8s.container.name=my-init,k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=ns.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).my-init,service.namespace=ns",
            ),
        ],
    ]);
    assert_env(&template, &plan, "my-init", &expected);
}

// ===========================================================================
// §7.2 TestMutatePod
// ===========================================================================

/// Instrumentation "I1".
fn i1() -> Instrumentation {
    Instrumentation {
        python_env: vars(&[
            ("OTEL_LOG_LEVEL", "debug"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"),
        ]),
        exporter_endpoint: "http://collector:12345".to_string(),
        env: vars(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "20"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.85"),
            ("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        ]),
        ..python("otel/python:1")
    }
}

/// The env of cases (a) and (b) for container `c` in namespace `ns`.
fn i1_env(c: &str, ns: &str) -> Vec<Value> {
    vec![
        node_ip(),
        pod_ip(),
        var("OTEL_LOG_LEVEL", "debug"),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var("OTEL_METRICS_EXPORTER", "otlp"),
        var("OTEL_LOGS_EXPORTER", "otlp"),
        var("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"),
        python_path(P),
        var("OTEL_EXPORTER_OTLP_TIMEOUT", "20"),
        var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        var("OTEL_TRACES_SAMPLER_ARG", "0.85"),
        var("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        service_name(c),
        pod_name(),
        node_name(),
        attributes(&format!(
            "k8s.container.name={c},k8s.namespace.name={ns},k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id={ns}.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).{c},service.namespace={ns}"
        )),
    ]
}

#[test]
fn v7_2_a_python_injection_true() {
    let template = pod_template(
        json!({"annotations": {"instrumentation.opentelemetry.io/inject-python": "true"}}),
        json!({"containers": [{"name": "app"}]}),
    );
    let plan = run(&template, &pod_in("", "python"), &i1(), &regular(&["app"]));
    assert_list(&plan.volumes, &[vol()]);
    assert_json(&plan.init_container, &init("otel/python:1", GLIBC));
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    assert_env(&template, &plan, "app", &i1_env("app", "python"));
}

#[test]
fn v7_2_b_multiple_containers() {
    let template = pod_template(
        json!({"annotations": {"instrumentation.opentelemetry.io/container-names": "app1,app2"}}),
        json!({"containers": [{"name": "app1"}, {"name": "app2"}]}),
    );
    let ns = "python-multiple-containers";
    let plan = run(
        &template,
        &pod_in("", ns),
        &i1(),
        &regular(&["app1", "app2"]),
    );
    assert_list(&plan.volumes, &[vol()]);
    assert_json(&plan.init_container, &init("otel/python:1", GLIBC));
    assert_eq!(plan.containers.len(), 2);
    for c in ["app1", "app2"] {
        assert_env(&template, &plan, c, &i1_env(c, ns));
    }
    assert_json(
        &env_after(&template, &plan, "app1")[16],
        &attributes(
            "k8s.container.name=app1,k8s.namespace.name=python-multiple-containers,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=python-multiple-containers.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).app1,service.namespace=python-multiple-containers",
        ),
    );
}

#[test]
fn v7_2_d_multi_instrumentation_python_part() {
    let names = [
        "dotnet1", "dotnet2", "java1", "java2", "nodejs1", "nodejs2", "python1", "python2",
    ];
    let containers: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
    let template = pod_template(json!({}), json!({"containers": containers}));
    let inst = Instrumentation {
        python_env: vars(&[("OTEL_LOG_LEVEL", "debug")]),
        exporter_endpoint: "http://collector:12345".to_string(),
        ..python("otel/python:1")
    };
    let ns = "multi-instrumentation-multi-containers";
    let plan = run(
        &template,
        &pod_in("", ns),
        &inst,
        &regular(&["python1", "python2"]),
    );
    assert_json(&plan.init_container, &init("otel/python:1", GLIBC));
    assert_list(&plan.volumes, &[vol()]);
    for c in ["python1", "python2"] {
        let expected = concat(&[
            &[
                node_ip(),
                pod_ip(),
                var("OTEL_LOG_LEVEL", "debug"),
                python_path(P),
            ],
            &d4(),
            &[
                service_name(c),
                endpoint("http://collector:12345"),
                pod_name(),
                node_name(),
                attributes(&format!(
                    "k8s.container.name={c},k8s.namespace.name={ns},k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id={ns}.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).{c},service.namespace={ns}"
                )),
            ],
        ]);
        assert_env(&template, &plan, c, &expected);
    }
    // Only the two targets are planned; the other containers are untouched.
    assert_eq!(plan.containers.len(), 2);
}

#[test]
fn v7_2_f_init_container_instrumentation() {
    let template = pod_template(
        json!({"name": "test-pod", "annotations": {"instrumentation.opentelemetry.io/container-names": "python-init"}}),
        json!({"initContainers": [{"name": "python-init"}], "containers": [{"name": "main-app"}]}),
    );
    let inst = Instrumentation {
        python_env: vars(&[("OTEL_LOG_LEVEL", "debug")]),
        exporter_endpoint: "http://collector:4318".to_string(),
        ..python("otel/python:1")
    };
    let plan = run(
        &template,
        &pod_in("test-pod", "default"),
        &inst,
        &[init_target("python-init")],
    );
    // initContainers = [opentelemetry-auto-instrumentation-python, python-init]
    assert_eq!(plan.init_container_index, 0);
    let env = env_after(&template, &plan, "python-init");
    let names: Vec<&str> = env.iter().filter_map(|v| v["name"].as_str()).collect();
    for name in [
        "OTEL_NODE_IP",
        "OTEL_POD_IP",
        "OTEL_LOG_LEVEL",
        "PYTHONPATH",
        "OTEL_SERVICE_NAME",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // The full list, from §2.2.
    let expected = concat(&[
        &[
            node_ip(),
            pod_ip(),
            var("OTEL_LOG_LEVEL", "debug"),
            python_path(P),
        ],
        &d4(),
        &[
            service_name("test-pod"),
            endpoint("http://collector:4318"),
            pod_name(),
            node_name(),
            attributes(
                "k8s.container.name=python-init,k8s.namespace.name=default,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=default.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).python-init,service.namespace=default",
            ),
        ],
    ]);
    assert_list(&env, &expected);
    // main-app is untouched.
    assert_eq!(plan.containers.len(), 1);
}

fn restricted_sc() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "runAsNonRoot": true,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

/// §7.2 g `TestInitContainerInstrumentationCopiesSecurityContext` and
/// `TestRegularContainerInstrumentationCopiesSecurityContext`: the
/// target's SC is copied. That SC has `runAsNonRoot: true` and no uid, so
/// with no pod-level uid the deviation (operator #2272) adds
/// `runAsUser: 65532`; with a pod-level uid it is copied exactly.
#[test]
fn v7_2_g_security_context_is_copied() {
    let with_uid = {
        let mut sc = restricted_sc();
        sc["runAsUser"] = json!(65532);
        sc
    };
    for (pod_sc, expected_sc) in [
        (json!(null), with_uid),
        (json!({"runAsUser": 1000}), restricted_sc()),
    ] {
        let init_target_pod = pod_template(
            json!({}),
            json!({
                "securityContext": pod_sc.clone(),
                "initContainers": [{"name": "python-init", "securityContext": restricted_sc()}],
                "containers": [{"name": "main-app"}],
            }),
        );
        let plan = run(
            &init_target_pod,
            &pod_in("test-pod", "default"),
            &python("otel/python:1"),
            &[init_target("python-init")],
        );
        assert_json(
            &plan.init_container,
            &init_with(
                "otel/python:1",
                GLIBC,
                json!({"securityContext": expected_sc}),
            ),
        );

        let regular_target_pod = pod_template(
            json!({}),
            json!({
                "securityContext": pod_sc,
                "containers": [{"name": "main-app", "securityContext": restricted_sc()}],
            }),
        );
        let plan = run(
            &regular_target_pod,
            &pod_in("test-pod", "default"),
            &python("otel/python:1"),
            &regular(&["main-app"]),
        );
        assert_json(&plan.init_container["securityContext"], &expected_sc);
    }
}

#[test]
fn v7_2_g_nil_security_context() {
    let template = pod_template(
        json!({}),
        json!({"initContainers": [{"name": "python-init"}], "containers": [{"name": "main-app"}]}),
    );
    let plan = run(
        &template,
        &pod_in("test-pod", "default"),
        &python("otel/python:1"),
        &[init_target("python-init")],
    );
    assert!(plan.init_container.get("securityContext").is_none());
    assert_json(&plan.init_container, &init("otel/python:1", GLIBC));
}

/// `sdk_securitycontext_test.go`: spec SC vs container SC.
#[test]
fn v7_2_g_security_context_table() {
    let spec_sc = json!({"runAsUser": 2000, "readOnlyRootFilesystem": true});
    let container_sc = json!({"allowPrivilegeEscalation": false});
    let cases = [
        (
            Some(spec_sc.clone()),
            Some(container_sc.clone()),
            Some(spec_sc.clone()),
        ),
        (None, Some(container_sc.clone()), Some(container_sc.clone())),
        (None, None, None),
        (Some(spec_sc.clone()), None, Some(spec_sc.clone())),
    ];
    for (spec, container, expected) in cases {
        let mut app = json!({"name": "app"});
        if let Some(sc) = container {
            app["securityContext"] = sc;
        }
        let template = pod_template(json!({}), json!({"containers": [app]}));
        let inst = Instrumentation {
            init_container_security_context: spec,
            ..python("img:1")
        };
        let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
        assert_eq!(
            plan.init_container.get("securityContext"),
            expected.as_ref()
        );
    }
}

// ===========================================================================
// §7.3 sdk_test.go
// ===========================================================================

#[test]
fn v7_3_test_inject_python() {
    let template = pod_template(
        json!({}),
        json!({"containers": [{"name": "app", "image": "app:latest"}]}),
    );
    let inst = Instrumentation {
        exporter_endpoint: "https://collector:4318".to_string(),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("", "ns"), &inst, &regular(&["app"]));
    assert_list(&plan.volumes, &[vol()]);
    assert_json(&plan.init_container, &init("img:1", GLIBC));
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &[
            service_name("app"),
            endpoint("https://collector:4318"),
            pod_name(),
            node_name(),
            attributes(
                "k8s.container.name=app,k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=ns.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).app,service.namespace=ns,service.version=latest",
            ),
        ],
    ]);
    assert_env(&template, &plan, "app", &expected);
}

/// The Instrumentation of `TestSDKInjection` cases 1–3.
fn sdk_inst() -> Instrumentation {
    Instrumentation {
        exporter_endpoint: "https://collector:4317".to_string(),
        add_k8s_uid_attributes: true,
        propagators: strings(&["b3", "jaeger"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        ..python("img:1")
    }
}

fn sampler_pair() -> [Value; 2] {
    [
        var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        var("OTEL_TRACES_SAMPLER_ARG", "0.25"),
    ]
}

/// The python part every `TestSDKInjection` container gets on the
/// production path (that test calls only `injectCommonSDKConfig`).
fn python_head() -> Vec<Value> {
    concat(&[&[node_ip(), pod_ip(), python_path(P)], &d4()])
}

const MY_DEPLOYMENT: &str = "my-deployment";

/// Case 1 "SDK env vars not defined", owner ReplicaSet → Deployment mapped
/// to a Deployment workload.
#[test]
fn v7_3_sdk_injection_case1_env_vars_not_defined() {
    let template = pod_template(
        json!({
            "labels": {"app.kubernetes.io/name": "app-name", "app.kubernetes.io/version": "v1"},
            "annotations": {"resource.opentelemetry.io/foo": "bar"},
        }),
        json!({"containers": [{"name": "application-name", "image": format!("app:v1@{SHA}")}]}),
    );
    let inst = Instrumentation {
        resource_attributes: vec![("foo".to_string(), "hidden".to_string())],
        ..sdk_inst()
    };
    let plan = run(
        &template,
        &workload("Deployment", MY_DEPLOYMENT, Some("project1")),
        &inst,
        &regular(&["application-name"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("my-deployment"),
            endpoint("https://collector:4317"),
            pod_name(),
            pod_uid(),
            node_name(),
            template_hash_var(),
            var("OTEL_PROPAGATORS", "b3,jaeger"),
        ],
        &sampler_pair(),
        &[attributes(&format!(
            "foo=bar,k8s.container.name=application-name,k8s.deployment.name=my-deployment,k8s.namespace.name=project1,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID),k8s.replicaset.name=my-deployment-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=project1.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).application-name,service.namespace=project1,service.version=v1@{SHA}"
        ))],
    ]);
    assert_env(&template, &plan, "application-name", &expected);
}

/// Case 2 "Resource attribute from CRD": k8s metadata wins every key it
/// can compute; `nodeName` is set, so no NODE_NAME var. The CRD's UIDs stay
/// (the operator replaces them with the owners' real UIDs, which do not
/// exist before the objects do; the pod UID is empty at a real admission,
/// so the operator keeps the CRD's too).
#[test]
fn v7_3_sdk_injection_case2_attributes_from_crd() {
    let template = pod_template(
        json!({}),
        json!({"nodeName": "node-name", "containers": [{"name": "application-name", "image": "app:latest"}]}),
    );
    let crd = [
        ("k8s.container.name", "explicit-container"),
        ("k8s.deployment.name", "explicit-deployment"),
        ("k8s.deployment.uid", "explicit-deployment-uid"),
        ("k8s.namespace.name", "explicit-ns"),
        ("k8s.node.name", "explicit-node"),
        ("k8s.pod.name", "explicit-pod"),
        ("k8s.pod.uid", "explicit-pod-uid"),
        ("k8s.replicaset.name", "explicit-replicaset"),
        ("k8s.replicaset.uid", "explicit-replicaset-uid"),
        ("service.instance.id", "explicit-id"),
        ("service.version", "explicit-version"),
    ];
    let inst = Instrumentation {
        resource_attributes: crd
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..sdk_inst()
    };
    let plan = run(
        &template,
        &workload("Deployment", MY_DEPLOYMENT, Some("project1")),
        &inst,
        &regular(&["application-name"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("my-deployment"),
            endpoint("https://collector:4317"),
            pod_name(),
            template_hash_var(),
            var("OTEL_PROPAGATORS", "b3,jaeger"),
        ],
        &sampler_pair(),
        &[attributes(
            "k8s.container.name=application-name,k8s.deployment.name=my-deployment,k8s.deployment.uid=explicit-deployment-uid,k8s.namespace.name=project1,k8s.node.name=node-name,k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.pod.uid=explicit-pod-uid,k8s.replicaset.name=my-deployment-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),k8s.replicaset.uid=explicit-replicaset-uid,service.instance.id=project1.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).application-name,service.namespace=project1,service.version=latest",
        )],
    ]);
    assert_env(&template, &plan, "application-name", &expected);
}

/// Case 3 "use labels for resource attributes".
#[test]
fn v7_3_sdk_injection_case3_use_labels() {
    let template = pod_template(
        json!({
            "labels": {"app.kubernetes.io/name": "app-name", "app.kubernetes.io/version": "v1"},
            "annotations": {"resource.opentelemetry.io/foo": "bar"},
        }),
        json!({"containers": [{"name": "application-name", "image": "app:latest"}]}),
    );
    let inst = Instrumentation {
        use_labels_for_resource_attributes: true,
        ..sdk_inst()
    };
    let plan = run(
        &template,
        &workload("Deployment", MY_DEPLOYMENT, Some("project1")),
        &inst,
        &regular(&["application-name"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("app-name"),
            endpoint("https://collector:4317"),
            pod_name(),
            pod_uid(),
            node_name(),
            template_hash_var(),
            var("OTEL_PROPAGATORS", "b3,jaeger"),
        ],
        &sampler_pair(),
        &[attributes(
            "foo=bar,k8s.container.name=application-name,k8s.deployment.name=my-deployment,k8s.namespace.name=project1,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID),k8s.replicaset.name=my-deployment-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=project1.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).application-name,service.namespace=project1,service.version=v1",
        )],
    ]);
    assert_env(&template, &plan, "application-name", &expected);
}

/// Case 4 "SDK env vars defined" (bare pod `app`, no owner): the user's vars
/// stay, OTEL_RESOURCE_ATTRIBUTES is merged with no extra comma and moved
/// last. Operator-exact.
#[test]
fn v7_3_sdk_injection_case4_env_vars_defined() {
    let user_attributes = "foo=bar,k8s.container.name=other,service.version=explicit-version,service.namespace=explicit-ns,service.instance.id=explicit-id,";
    let user_env = vec![
        service_name("explicit-name"),
        endpoint("explicitly_set"),
        var("OTEL_PROPAGATORS", "b3"),
        var("OTEL_TRACES_SAMPLER", "always_on"),
        attributes(user_attributes),
    ];
    let template = pod_template(
        json!({"labels": {"app.kubernetes.io/name": "not-used", "app.kubernetes.io/version": "not-used"}}),
        json!({"containers": [{"image": "app:latest", "env": user_env.clone()}]}),
    );
    let inst = Instrumentation {
        exporter_endpoint: "https://collector:4317".to_string(),
        resource_attributes: vec![("fromcr".to_string(), "val".to_string())],
        propagators: strings(&["jaeger"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        use_labels_for_resource_attributes: true,
        ..python("img:1")
    };
    let plan = run(
        &template,
        &pod_in("app", "project1"),
        &inst,
        &regular(&[""]),
    );
    let merged = "foo=bar,k8s.container.name=other,service.version=explicit-version,service.namespace=explicit-ns,service.instance.id=explicit-id,fromcr=val,k8s.namespace.name=project1,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)";
    assert_eq!(
        plan.containers[0].env,
        EnvPlan {
            prepend: vec![node_ip(), pod_ip()],
            set_values: vec![],
            remove: vec![4],
            append: concat(&[
                &[python_path(P)],
                &d4(),
                &[pod_name(), node_name(), attributes(merged)],
            ]),
        }
    );
    let expected = concat(&[
        &[node_ip(), pod_ip()],
        &user_env[..4],
        &[python_path(P)],
        &d4(),
        &[pod_name(), node_name(), attributes(merged)],
    ]);
    assert_env(&template, &plan, "", &expected);
}

/// Case 5 "Empty instrumentation spec". The operator's `k8s.pod.uid=pod-uid`
/// comes from a uid set by hand on the test pod; a pod has none before it
/// is created, so it is absent here.
#[test]
fn v7_3_sdk_injection_case5_empty_spec() {
    let template = pod_template(
        json!({}),
        json!({"containers": [{"name": "application-name", "image": "app:latest"}]}),
    );
    let plan = run(
        &template,
        &workload("Deployment", MY_DEPLOYMENT, Some("project1")),
        &python("img:1"),
        &regular(&["application-name"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("my-deployment"),
            pod_name(),
            node_name(),
            template_hash_var(),
            attributes(
                "k8s.container.name=application-name,k8s.deployment.name=my-deployment,k8s.namespace.name=project1,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name=my-deployment-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=project1.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).application-name,service.namespace=project1,service.version=latest",
            ),
        ],
    ]);
    assert_env(&template, &plan, "application-name", &expected);
}

/// Cases 6 and 7 "SDK image with port number": the operator test has no
/// namespace at all, which no real pod has; a manifest without one gets it
/// from the downward API. The service name of an unnamed container is "".
#[test]
fn v7_3_sdk_injection_cases6_7_image_with_port() {
    for (image, version) in [
        ("fictional.registry.example:10443/imagename", ""),
        (
            "fictional.registry.example:10443/imagename:latest",
            ",service.version=latest",
        ),
    ] {
        let template = pod_template(json!({}), json!({"containers": [{"image": image}]}));
        let plan = run(
            &template,
            &workload("Pod", "", None),
            &Instrumentation::default(),
            &regular(&[""]),
        );
        let expected = concat(&[
            &python_head(),
            &[
                service_name(""),
                pod_name(),
                node_name(),
                namespace_var(),
                attributes(&format!(
                    "k8s.namespace.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE),k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.namespace=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE){version}"
                )),
            ],
        ]);
        assert_env(&template, &plan, "", &expected);
    }
}

/// Case 8 "Resource attribute propagate": annotations add attributes, but
/// never over a key the user set (`foo=test` is dropped). Operator-exact.
#[test]
fn v7_3_sdk_injection_case8_annotations_propagate() {
    let user_env = vec![
        service_name("explicitly_set"),
        endpoint("explicitly_set"),
        var("OTEL_PROPAGATORS", "b3"),
        var("OTEL_TRACES_SAMPLER", "always_on"),
        attributes("foo=bar,k8s.container.name=other,service.version=explicitly_set,"),
    ];
    let template = pod_template(
        json!({"annotations": {
            "resource.opentelemetry.io/fromtest": "val",
            "resource.opentelemetry.io/foo": "test",
        }}),
        json!({"containers": [{"image": "app:latest", "env": user_env.clone()}]}),
    );
    let inst = Instrumentation {
        exporter_endpoint: "https://collector:4317".to_string(),
        resource_attributes: vec![("fromcr".to_string(), "val".to_string())],
        propagators: strings(&["jaeger"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        ..python("img:1")
    };
    let plan = run(
        &template,
        &pod_in("app", "project1"),
        &inst,
        &regular(&[""]),
    );
    let expected = concat(&[
        &[node_ip(), pod_ip()],
        &user_env[..4],
        &[python_path(P)],
        &d4(),
        &[
            pod_name(),
            node_name(),
            attributes(
                "foo=bar,k8s.container.name=other,service.version=explicitly_set,fromcr=val,fromtest=val,k8s.namespace.name=project1,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.namespace=project1",
            ),
        ],
    ]);
    assert_env(&template, &plan, "", &expected);
}

/// The `OTEL_SERVICE_NAME` a container gets.
fn chosen_service_name(
    metadata: Value,
    workload: &Workload,
    use_labels: bool,
    container: &str,
) -> String {
    let template = pod_template(
        metadata,
        json!({"containers": [{"name": "1st"}, {"name": "2nd"}]}),
    );
    let inst = Instrumentation {
        use_labels_for_resource_attributes: use_labels,
        ..python("img:1")
    };
    let plan = run(&template, workload, &inst, &regular(&[container]));
    env_after(&template, &plan, container)
        .iter()
        .find(|v| v["name"] == "OTEL_SERVICE_NAME")
        .and_then(|v| v["value"].as_str())
        .unwrap_or("<none>")
        .to_string()
}

/// `TestChooseServiceName`, owner kinds mapped to workload kinds.
#[test]
fn v7_3_choose_service_name() {
    let bare = pod_in("", "ns");
    let my_pod = pod_in("my-pod", "ns");
    let label = |k: &str, v: &str| json!({"labels": {k: v}});
    let name_label = || label("app.kubernetes.io/name", "label");
    let cases: Vec<(Value, Workload, bool, &str, &str)> = vec![
        (json!({}), bare, false, "1st", "1st"),
        (json!({}), bare, false, "2nd", "2nd"),
        (json!({}), my_pod, false, "1st", "my-pod"),
        (name_label(), my_pod, false, "1st", "my-pod"),
        (name_label(), my_pod, true, "1st", "label"),
        (
            json!({"labels": {"app.kubernetes.io/instance": "label", "app.kubernetes.io/name": "secondary-label"}}),
            my_pod,
            true,
            "1st",
            "label",
        ),
        (
            json!({"labels": {"app.kubernetes.io/name": "label"}, "annotations": {"resource.opentelemetry.io/service.name": "annotation"}}),
            my_pod,
            true,
            "1st",
            "annotation",
        ),
        (
            json!({"labels": {"app.kubernetes.io/name": "label"}, "annotations": {"resource.opentelemetry.io/service.name": "annotation"}}),
            my_pod,
            false,
            "1st",
            "annotation",
        ),
        (
            json!({}),
            workload("ReplicaSet", "my-rs", Some("ns")),
            false,
            "1st",
            "my-rs",
        ),
        (
            json!({}),
            workload("Deployment", "my-deploy", Some("ns")),
            false,
            "1st",
            "my-deploy",
        ),
        (
            json!({}),
            workload("CronJob", "my-cronjob", Some("ns")),
            false,
            "1st",
            "my-cronjob",
        ),
        (
            json!({}),
            workload("Job", "my-job", Some("ns")),
            false,
            "1st",
            "my-job",
        ),
        (
            json!({}),
            workload("StatefulSet", "my-ss", Some("ns")),
            false,
            "1st",
            "my-ss",
        ),
        (
            json!({}),
            workload("DaemonSet", "my-ds", Some("ns")),
            false,
            "1st",
            "my-ds",
        ),
        // Not in the operator's owner switch: the container name.
        (
            json!({}),
            workload("ReplicationController", "my-rc", Some("ns")),
            false,
            "1st",
            "1st",
        ),
        (
            json!({}),
            workload("PodTemplate", "my-pt", Some("ns")),
            false,
            "1st",
            "1st",
        ),
        (
            json!({}),
            workload("MyCustomKind", "custom", Some("ns")),
            false,
            "2nd",
            "2nd",
        ),
        // Deviation: the Rollout's own name (the operator would use the
        // ReplicaSet's, which changes with every rollout).
        (
            json!({}),
            workload("Rollout", "my-rollout", None),
            false,
            "1st",
            "my-rollout",
        ),
    ];
    for (metadata, workload, use_labels, container, expected) in cases {
        assert_eq!(
            chosen_service_name(metadata.clone(), &workload, use_labels, container),
            expected,
            "{metadata} {workload:?} labels={use_labels} {container}"
        );
    }
}

/// The `OTEL_RESOURCE_ATTRIBUTES` value and the vars after `NODE_NAME`.
fn owner_output(workload: &Workload, add_uids: bool) -> (String, Vec<Value>) {
    let template = pod_template(json!({}), json!({"containers": [{"name": "c"}]}));
    let inst = Instrumentation {
        add_k8s_uid_attributes: add_uids,
        ..python("img:1")
    };
    let plan = run(&template, workload, &inst, &regular(&["c"]));
    let env = env_after(&template, &plan, "c");
    let after_node_name: Vec<Value> = env
        .iter()
        .skip_while(|v| v["name"] != "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME")
        .skip(1)
        .filter(|v| v["name"] != "OTEL_RESOURCE_ATTRIBUTES")
        .cloned()
        .collect();
    let value = env
        .last()
        .and_then(|v| v["value"].as_str())
        .unwrap_or("")
        .to_string();
    (value, after_node_name)
}

/// `TestParentResourceLabels`, mapped to workload kinds; the run-time
/// names come from the downward API, after NODE_NAME.
#[test]
fn v7_3_parent_resource_labels() {
    let base = |middle: &str| {
        format!(
            "k8s.container.name=c,{middle}k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),"
        )
    };
    let tail = "service.instance.id=ns.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).c,service.namespace=ns";
    let job_uid_var = field_ref(
        "OTEL_RESOURCE_ATTRIBUTES_JOB_UID",
        "metadata.labels['batch.kubernetes.io/controller-uid']",
    );
    let job_name_var = field_ref(
        "OTEL_RESOURCE_ATTRIBUTES_JOB_NAME",
        "metadata.labels['batch.kubernetes.io/job-name']",
    );

    // Orphan pod: nothing.
    let (value, extra) = owner_output(&pod_in("p", "ns"), false);
    assert_eq!(value, format!("{}{tail}", base("")));
    assert!(extra.is_empty());

    let (value, extra) = owner_output(&workload("ReplicaSet", "rs", Some("ns")), false);
    assert_eq!(value, format!("{}k8s.replicaset.name=rs,{tail}", base("")));
    assert!(extra.is_empty());

    let (value, extra) = owner_output(&workload("Deployment", "d", Some("ns")), false);
    assert_eq!(
        value,
        format!(
            "{}k8s.replicaset.name=d-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),{tail}",
            base("k8s.deployment.name=d,")
        )
    );
    assert_list(&extra, &[template_hash_var()]);

    let (value, extra) = owner_output(&workload("Job", "j", Some("ns")), false);
    assert_eq!(value, format!("{}{tail}", base("k8s.job.name=j,")));
    assert!(extra.is_empty());

    // With UIDs: the pod UID var, and the Job's from its controller label.
    let (value, extra) = owner_output(&workload("Job", "j", Some("ns")), true);
    assert_eq!(
        value,
        format!(
            "{}k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID),{tail}",
            base("k8s.job.name=j,k8s.job.uid=$(OTEL_RESOURCE_ATTRIBUTES_JOB_UID),")
        )
    );
    assert_list(&extra, std::slice::from_ref(&job_uid_var));

    let (value, extra) = owner_output(&workload("CronJob", "cj", Some("ns")), false);
    assert_eq!(
        value,
        format!(
            "{}{tail}",
            base("k8s.cronjob.name=cj,k8s.job.name=$(OTEL_RESOURCE_ATTRIBUTES_JOB_NAME),")
        )
    );
    assert_list(&extra, std::slice::from_ref(&job_name_var));

    let (_, extra) = owner_output(&workload("CronJob", "cj", Some("ns")), true);
    assert_list(&extra, &[job_name_var, job_uid_var]);

    let (value, extra) = owner_output(&workload("StatefulSet", "s", Some("ns")), true);
    assert_eq!(
        value,
        format!(
            "{}k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID),k8s.statefulset.name=s,{tail}",
            base("")
        )
    );
    assert!(extra.is_empty());

    let (value, _) = owner_output(&workload("DaemonSet", "ds", Some("ns")), false);
    assert_eq!(value, format!("{}{tail}", base("k8s.daemonset.name=ds,")));
}

/// `Test_parseServiceVersionFromImage`, plus the reference grammar's edges.
#[test]
fn v7_3_service_version_from_image() {
    let cases: &[(&str, Option<&str>)] = &[
        ("img", None),
        ("img:1", Some("1")),
        ("img:latest", Some("latest")),
        ("registry.io/img", None),
        ("registry.io:8080/img", None),
        (
            "img@sha256:232a180dbcbcfa7250917507f3827d88a9ae89bb1cdd8fe3ac4db7b764ebb25a",
            Some(SHA),
        ),
        (
            "img:1@sha256:232a180dbcbcfa7250917507f3827d88a9ae89bb1cdd8fe3ac4db7b764ebb25a",
            Some("1@sha256:232a180dbcbcfa7250917507f3827d88a9ae89bb1cdd8fe3ac4db7b764ebb25a"),
        ),
        (
            "fictional.registry.example:10443/imagename:latest",
            Some("latest"),
        ),
        // Grammar edges.
        ("", None),
        ("localhost:5000", Some("5000")),
        ("[::1]:5000/img:2", Some("2")),
        ("Registry.IO/img:3", Some("3")),
        ("registry.io/Img:3", None),
        ("img:", None),
        ("img:-x", None),
        ("img:x/y", None),
        ("a__b/c.d-e:1.0_rc", Some("1.0_rc")),
        ("a___b:1", None),
        ("img@sha256:abc", None),
        ("img@md5:232a180dbcbcfa7250917507f3827d88", None),
        (
            "img@sha256:232A180DBCBCFA7250917507F3827D88A9AE89BB1CDD8FE3AC4DB7B764EBB25A",
            None,
        ),
        ("python:3.12-slim", Some("3.12-slim")),
    ];
    for (image, expected) in cases {
        assert_eq!(
            service_version_from_image(image).as_deref(),
            *expected,
            "{image}"
        );
    }
}

// ===========================================================================
// §7.5 e2e
// ===========================================================================

/// The CR of E1 (`instrumentation-python`); E2/E3 drop the last python var.
fn e1_inst(disable_system_metrics: bool) -> Instrumentation {
    let mut python_env = vec![
        var("OTEL_LOG_LEVEL", "debug"),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318",
        ),
    ];
    if disable_system_metrics {
        python_env.push(var(
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
            "system_metrics",
        ));
    }
    Instrumentation {
        env: vars(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
            ("OTEL_TRACES_SAMPLER", "always_on"),
            ("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        ]),
        exporter_endpoint: "http://deployment-collector:4317".to_string(),
        propagators: strings(&["jaeger", "b3"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        python_env,
        ..python("ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0")
    }
}

/// E1/E2 env items 1–15/16 (through NODE_NAME).
fn e1_env_head(disable_system_metrics: bool, service: &str) -> Vec<Value> {
    let mut head = vec![
        node_ip(),
        pod_ip(),
        var("OTEL_LOG_LEVEL", "debug"),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318",
        ),
    ];
    if disable_system_metrics {
        head.push(var(
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
            "system_metrics",
        ));
    }
    head.extend([
        python_path(P),
        var("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
        var("OTEL_TRACES_SAMPLER", "always_on"),
        var("SPLUNK_TRACE_RESPONSE_HEADER_ENABLED", "true"),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        var("OTEL_METRICS_EXPORTER", "otlp"),
        var("OTEL_LOGS_EXPORTER", "otlp"),
        service_name(service),
        pod_name(),
        node_name(),
    ]);
    head
}

/// E1: a Deployment whose manifest sets no namespace (chainsaw applies it
/// into a random one): the namespace and the ReplicaSet's hash come from
/// the downward API, between NODE_NAME and OTEL_PROPAGATORS.
#[test]
fn v7_5_e1_instrumentation_python() {
    let container_sc =
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
    let template = pod_template(
        json!({"labels": {"app": "my-python"}, "annotations": {"instrumentation.opentelemetry.io/inject-python": "true"}}),
        json!({
            "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 3000},
            "containers": [{
                "name": "myapp",
                "image": TEST_APP,
                "ports": [{"containerPort": 8080}],
                "securityContext": container_sc.clone(),
            }],
        }),
    );
    let plan = run(
        &template,
        &workload("Deployment", "my-python", None),
        &e1_inst(true),
        &regular(&["myapp"]),
    );
    let expected = concat(&[
        &e1_env_head(true, "my-python"),
        &[
            namespace_var(),
            template_hash_var(),
            var("OTEL_PROPAGATORS", "jaeger,b3"),
            attributes(
                "k8s.container.name=myapp,k8s.deployment.name=my-python,k8s.namespace.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE),k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name=my-python-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE).$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).myapp,service.namespace=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE),service.version=main",
            ),
        ],
    ]);
    assert_env(&template, &plan, "myapp", &expected);
    // The e2e's `contains()` checks.
    let value = expected[expected.len() - 1]["value"].as_str().unwrap_or("");
    for part in [
        "k8s.container.name=myapp",
        "k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME)",
        "k8s.replicaset.name=my-python-",
        "k8s.deployment.name=my-python",
        "k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME)",
        "service.version=main",
    ] {
        assert!(value.contains(part), "{part}");
    }
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    assert_json(
        &plan.init_container,
        &init_with(
            "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0",
            GLIBC,
            json!({"securityContext": container_sc}),
        ),
    );
}

fn e2_attributes(container: &str, deployment: &str, version: &str) -> Value {
    attributes(&format!(
        "k8s.container.name={container},k8s.deployment.name={deployment},k8s.namespace.name=e2e,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name={deployment}-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=e2e.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).{container},service.namespace=e2e,service.version={version}"
    ))
}

/// E2: musl. Here the manifest sets a namespace, so only the ReplicaSet's
/// hash is a run-time var.
#[test]
fn v7_5_e2_instrumentation_python_musl() {
    let template = pod_template(
        json!({"annotations": {
            "instrumentation.opentelemetry.io/inject-python": "true",
            "instrumentation.opentelemetry.io/otel-python-platform": "musl",
        }}),
        json!({"containers": [{"name": "myapp", "image": TEST_APP}]}),
    );
    let plan = plan(
        &template,
        &workload("Deployment", "my-python-musl", Some("e2e")),
        &e1_inst(false),
        PlatformChoice::Musl,
        &Django::default(),
        &regular(&["myapp"]),
    );
    assert_json(
        &plan.init_container["command"],
        &json!([
            "cp",
            "-r",
            "/autoinstrumentation-musl/.",
            "/otel-auto-instrumentation-python"
        ]),
    );
    let expected = concat(&[
        &e1_env_head(false, "my-python-musl"),
        &[
            template_hash_var(),
            var("OTEL_PROPAGATORS", "jaeger,b3"),
            e2_attributes("myapp", "my-python-musl", "main"),
        ],
    ]);
    assert_env(&template, &plan, "myapp", &expected);
}

/// E3: two containers, then only `myapp`.
#[test]
fn v7_5_e3_multicontainer() {
    let template = pod_template(
        json!({"annotations": {"instrumentation.opentelemetry.io/container-names": "myapp,myrabbit"}}),
        json!({"containers": [
            {"name": "myapp", "image": TEST_APP},
            {"name": "myrabbit", "image": "mirror.gcr.io/library/rabbitmq:3"},
        ]}),
    );
    let deployment = workload("Deployment", "my-python-multi", Some("e2e"));
    let step1 = plan(
        &template,
        &deployment,
        &e1_inst(false),
        PlatformChoice::Musl,
        &Django::default(),
        &regular(&["myapp", "myrabbit"]),
    );
    assert_list(&step1.volumes, &[vol()]);
    for (container, version) in [("myapp", "main"), ("myrabbit", "3")] {
        let expected = concat(&[
            &e1_env_head(false, "my-python-multi"),
            &[
                template_hash_var(),
                var("OTEL_PROPAGATORS", "jaeger,b3"),
                e2_attributes(container, "my-python-multi", version),
            ],
        ]);
        assert_env(&template, &step1, container, &expected);
        let planned = step1.containers.iter().find(|c| c.name == container);
        assert_list(
            &planned.map(|c| c.mounts.clone()).unwrap_or_default(),
            &[mnt()],
        );
    }

    let step2 = plan(
        &template,
        &deployment,
        &e1_inst(false),
        PlatformChoice::Musl,
        &Django::default(),
        &regular(&["myapp"]),
    );
    assert_eq!(step2.containers.len(), 1);
    assert_eq!(step2.containers[0].name, "myapp");
}

/// E4: a bare pod whose init container is the target.
#[test]
fn v7_5_e4_initcontainer() {
    let init_sc = json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    });
    let template = pod_template(
        json!({"name": "my-python-initcontainer", "annotations": {"instrumentation.opentelemetry.io/container-names": "python-init"}}),
        json!({
            "initContainers": [{"name": "python-init", "image": TEST_APP, "securityContext": init_sc.clone()}],
            "containers": [{"name": "main-app", "image": "busybox"}],
        }),
    );
    let inst = Instrumentation {
        env: vars(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
            ("OTEL_TRACES_SAMPLER", "always_on"),
        ]),
        exporter_endpoint: "http://deployment-collector:4318".to_string(),
        propagators: strings(&["jaeger", "b3"]),
        python_env: vars(&[
            ("OTEL_LOG_LEVEL", "debug"),
            ("OTEL_TRACES_EXPORTER", "otlp"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://deployment-collector:4318",
            ),
            ("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "system_metrics"),
        ]),
        ..python("img:1")
    };
    let plan = run(
        &template,
        &pod_in("my-python-initcontainer", "e2e"),
        &inst,
        &[init_target("python-init")],
    );
    assert_eq!(plan.init_container_index, 0);
    assert_json(&plan.init_container["securityContext"], &init_sc);
    let expected = vec![
        node_ip(),
        pod_ip(),
        var("OTEL_LOG_LEVEL", "debug"),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318",
        ),
        var("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "system_metrics"),
        python_path(P),
        var("OTEL_EXPORTER_OTLP_TIMEOUT", "20000"),
        var("OTEL_TRACES_SAMPLER", "always_on"),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        var("OTEL_METRICS_EXPORTER", "otlp"),
        var("OTEL_LOGS_EXPORTER", "otlp"),
        service_name("my-python-initcontainer"),
        pod_name(),
        node_name(),
        var("OTEL_PROPAGATORS", "jaeger,b3"),
        attributes(
            "k8s.container.name=python-init,k8s.namespace.name=e2e,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=e2e.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).python-init,service.namespace=e2e,service.version=main",
        ),
    ];
    assert_env(&template, &plan, "python-init", &expected);
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    // main-app is untouched.
    assert_eq!(plan.containers.len(), 1);
}

/// E5: `spec.env` overrides the Python defaults (regression test for #4068).
#[test]
fn v7_5_e5_specenv() {
    let restricted = json!({
        "runAsNonRoot": true,
        "runAsUser": 1000,
        "seccompProfile": {"type": "RuntimeDefault"},
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
    });
    let template = pod_template(
        json!({"name": "my-python-specenv"}),
        json!({"containers": [{"name": "myapp", "image": "python:3.8-slim", "securityContext": restricted.clone()}]}),
    );
    let inst = Instrumentation {
        env: vars(&[
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ]),
        exporter_endpoint: "http://deployment-collector:4317".to_string(),
        python_env: vars(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://deployment-collector:4318",
            ),
        ]),
        ..python("img:1")
    };
    let plan = run(
        &template,
        &pod_in("my-python-specenv", "e2e"),
        &inst,
        &regular(&["myapp"]),
    );
    let expected = vec![
        node_ip(),
        pod_ip(),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318",
        ),
        python_path(P),
        var("OTEL_METRICS_EXPORTER", "none"),
        var("OTEL_LOGS_EXPORTER", "none"),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        service_name("my-python-specenv"),
        pod_name(),
        node_name(),
        attributes(
            "k8s.container.name=myapp,k8s.namespace.name=e2e,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=e2e.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).myapp,service.namespace=e2e,service.version=3.8-slim",
        ),
    ];
    assert_env(&template, &plan, "myapp", &expected);
    // runAsNonRoot with a uid: the SC is copied unchanged.
    assert_json(&plan.init_container["securityContext"], &restricted);
}

/// E6: the pythonapp container of the multi-instrumentation test.
#[test]
fn v7_5_e6_multi_multicontainer() {
    let template = pod_template(
        json!({"annotations": {"instrumentation.opentelemetry.io/python-container-names": "pythonapp"}}),
        json!({"containers": [
            {"name": "nodejsapp", "image": "node"},
            {"name": "pythonapp", "image": TEST_APP},
        ]}),
    );
    let inst = Instrumentation {
        env: vars(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.85"),
        ]),
        exporter_endpoint: "http://deployment-collector:4317".to_string(),
        propagators: strings(&["jaeger", "b3"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        python_env: vars(&[
            ("OTEL_SERVICE_NAME", "pythonapp"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://deployment-collector:4318",
            ),
        ]),
        ..python("img:1")
    };
    let plan = run(
        &template,
        &workload("Deployment", "my-multi", Some("e2e")),
        &inst,
        &regular(&["pythonapp"]),
    );
    assert_json(&plan.init_container, &init("img:1", GLIBC));
    let expected = vec![
        node_ip(),
        pod_ip(),
        service_name("pythonapp"),
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://deployment-collector:4318",
        ),
        python_path(P),
        var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
        var("OTEL_TRACES_SAMPLER_ARG", "0.85"),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        var("OTEL_TRACES_EXPORTER", "otlp"),
        var("OTEL_METRICS_EXPORTER", "otlp"),
        var("OTEL_LOGS_EXPORTER", "otlp"),
        pod_name(),
        node_name(),
        template_hash_var(),
        var("OTEL_PROPAGATORS", "jaeger,b3"),
        e2_attributes("pythonapp", "my-multi", "main"),
    ];
    assert_env(&template, &plan, "pythonapp", &expected);
}

// ===========================================================================
// §7.6 derived vectors
// ===========================================================================

fn defaulted_resources() -> Map<String, Value> {
    object(json!({
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "50m", "memory": "64Mi"},
    }))
}

/// V-A: Deployment `web` in `shop`. `web-<hash>` is
/// `web-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH)`, whose var sits
/// after NODE_NAME.
#[test]
fn v7_6_a_deployment_web() {
    let template = pod_template(
        json!({"labels": {"app": "web"}}),
        json!({"containers": [{"name": "web", "image": "registry.example.com/shop/web:1.4.2"}]}),
    );
    let image = "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0";
    let inst = Instrumentation {
        exporter_endpoint: "http://otel-collector.observability:4318".to_string(),
        propagators: strings(&["tracecontext", "baggage"]),
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        resource_requirements: defaulted_resources(),
        ..python(image)
    };
    let plan = run(
        &template,
        &workload("Deployment", "web", Some("shop")),
        &inst,
        &regular(&["web"]),
    );
    let expected = concat(&[
        &[node_ip(), pod_ip(), python_path(P)],
        &d4(),
        &[
            service_name("web"),
            endpoint("http://otel-collector.observability:4318"),
            pod_name(),
            node_name(),
            template_hash_var(),
            var("OTEL_PROPAGATORS", "tracecontext,baggage"),
        ],
        &sampler_pair(),
        &[attributes(
            "k8s.container.name=web,k8s.deployment.name=web,k8s.namespace.name=shop,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name=web-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).web,service.namespace=shop,service.version=1.4.2",
        )],
    ]);
    assert_env(&template, &plan, "web", &expected);
    assert_json(
        &plan.init_container,
        &json!({
            "name": "opentelemetry-auto-instrumentation-python",
            "image": image,
            "command": ["cp", "-r", GLIBC, "/otel-auto-instrumentation-python"],
            "resources": {
                "limits": {"cpu": "500m", "memory": "256Mi"},
                "requests": {"cpu": "50m", "memory": "64Mi"},
            },
            "volumeMounts": [mnt()],
        }),
    );
    assert_list(&plan.volumes, &[vol()]);
}

/// V-B: StatefulSet `api` in `default` with existing env: operator-exact,
/// including the duplicate `k8s.pod.name`.
#[test]
fn v7_6_b_statefulset_existing_env() {
    let user_env = vec![
        var("PYTHONPATH", "/app"),
        service_name("api"),
        attributes("deployment.environment=prod,k8s.pod.name=custom"),
    ];
    let template = pod_template(
        json!({}),
        json!({"containers": [{"name": "api", "image": "registry.example.com/api:2", "env": user_env}]}),
    );
    let plan = run(
        &template,
        &workload("StatefulSet", "api", Some("default")),
        &python("img:1"),
        &regular(&["api"]),
    );
    let python_path_value = format!("{PREFIX}:/app:{SUFFIX}");
    let merged = "deployment.environment=prod,k8s.pod.name=custom,k8s.container.name=api,k8s.namespace.name=default,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.statefulset.name=api,service.instance.id=default.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).api,service.namespace=default,service.version=2";
    assert_eq!(
        plan.containers[0].env,
        EnvPlan {
            prepend: vec![node_ip(), pod_ip()],
            set_values: vec![(0, python_path_value.clone())],
            remove: vec![2],
            append: concat(&[&d4(), &[pod_name(), node_name(), attributes(merged)]]),
        }
    );
    let expected = concat(&[
        &[
            node_ip(),
            pod_ip(),
            python_path(&python_path_value),
            service_name("api"),
        ],
        &d4(),
        &[pod_name(), node_name(), attributes(merged)],
    ]);
    assert_env(&template, &plan, "api", &expected);
}

fn tls(secret: &str, config_map: &str, ca: &str, cert: &str, key: &str) -> Tls {
    Tls {
        secret_name: secret.to_string(),
        config_map_name: config_map.to_string(),
        ca_file: ca.to_string(),
        cert_file: cert.to_string(),
        key_file: key.to_string(),
    }
}

/// V-C: TLS volumes before the Python volume; mounts after the Python one.
#[test]
fn v7_6_c_tls() {
    let existing_volume = json!({"name": "data", "emptyDir": {}});
    let existing_mount = json!({"name": "data", "mountPath": "/data"});
    let template = pod_template(
        json!({}),
        json!({
            "volumes": [existing_volume],
            "containers": [{"name": "app", "volumeMounts": [existing_mount]}],
        }),
    );
    let inst = Instrumentation {
        exporter_endpoint: "https://collector:4318".to_string(),
        tls: Some(tls("my-certs", "ca-bundle", "ca.crt", "tls.crt", "tls.key")),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_list(
        &plan.volumes,
        &[
            json!({"name": "otel-auto-secret-my-certs", "secret": {"secretName": "my-certs"}}),
            json!({"name": "otel-auto-configmap-ca-bundle", "configMap": {"name": "ca-bundle"}}),
            vol(),
        ],
    );
    assert_list(
        &plan.containers[0].mounts,
        &[
            mnt(),
            json!({"name": "otel-auto-secret-my-certs", "mountPath": "/otel-auto-instrumentation-secret-my-certs", "readOnly": true}),
            json!({"name": "otel-auto-configmap-ca-bundle", "mountPath": "/otel-auto-instrumentation-configmap-ca-bundle", "readOnly": true}),
        ],
    );
    let env = env_after(&template, &plan, "app");
    let after_endpoint: Vec<Value> = env
        .iter()
        .skip_while(|v| v["name"] != "OTEL_EXPORTER_OTLP_ENDPOINT")
        .skip(1)
        .take(3)
        .cloned()
        .collect();
    assert_list(
        &after_endpoint,
        &[
            var(
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                "/otel-auto-instrumentation-configmap-ca-bundle/ca.crt",
            ),
            var(
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                "/otel-auto-instrumentation-secret-my-certs/tls.crt",
            ),
            var(
                "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                "/otel-auto-instrumentation-secret-my-certs/tls.key",
            ),
        ],
    );
}

// ===========================================================================
// §7.4 other unit vectors
// ===========================================================================

/// `TestInstrVolume`.
#[test]
fn v7_4_instr_volume() {
    let vct = json!({"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    let cases = [
        (
            Some(vct.clone()),
            None,
            json!({"name": "opentelemetry-auto-instrumentation-python", "ephemeral": {"volumeClaimTemplate": vct.clone()}}),
        ),
        (None, Some("200Mi"), vol()),
        (
            None,
            Some("1Gi"),
            json!({"name": "opentelemetry-auto-instrumentation-python", "emptyDir": {"sizeLimit": "1Gi"}}),
        ),
        (None, None, vol()),
        (
            Some(vct.clone()),
            Some("1Gi"),
            json!({"name": "opentelemetry-auto-instrumentation-python", "ephemeral": {"volumeClaimTemplate": vct.clone()}}),
        ),
        // A zero template counts as none.
        (Some(json!({})), None, vol()),
    ];
    for (claim_template, size, expected) in cases {
        let template = pod_template(json!({}), json!({"containers": [{"name": "app"}]}));
        let inst = Instrumentation {
            volume_claim_template: claim_template,
            volume_limit_size: size.map(str::to_string),
            ..python("img:1")
        };
        let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
        assert_list(&plan.volumes, &[expected]);
    }
}

/// `exporter_test.go`: absolute paths are used as is, and no volume is
/// mounted without a secret or configmap name.
#[test]
fn v7_4_exporter_absolute_paths() {
    let template = pod_template(json!({}), json!({"containers": [{"name": "app"}]}));
    let inst = Instrumentation {
        exporter_endpoint: "https://collector:4318".to_string(),
        tls: Some(tls("", "", "/etc/ca.crt", "/etc/tls.crt", "/etc/tls.key")),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_list(&plan.volumes, &[vol()]);
    assert_list(&plan.containers[0].mounts, &[mnt()]);
    let env = env_after(&template, &plan, "app");
    for (name, path) in [
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.crt"),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/tls.crt"),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/tls.key"),
    ] {
        assert!(env.contains(&var(name, path)), "{name}");
    }
}

/// `exporter_test.go`: CA, cert and key in a secret; names are truncated
/// to 63 characters like `naming.Truncate`.
#[test]
fn v7_4_exporter_secret_only_and_truncation() {
    let template = pod_template(json!({}), json!({"containers": [{"name": "app"}]}));
    let long = "my-organisation-platform-observability-traces-tls-client-certs";
    let inst = Instrumentation {
        tls: Some(tls(long, "", "ca.crt", "tls.crt", "tls.key")),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    // 17 + 62 = 79 characters: the value is cut by 16 to
    // "my-organisation-platform-observability-traces-", and the trailing
    // '-' is trimmed.
    assert_eq!(
        plan.volumes[0]["name"],
        json!("otel-auto-secret-my-organisation-platform-observability-traces")
    );
    assert_eq!(plan.volumes[0]["secret"]["secretName"], json!(long));
    let env = env_after(&template, &plan, "app");
    let path = format!("/otel-auto-instrumentation-secret-{long}");
    assert!(env.contains(&var(
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
        &format!("{path}/ca.crt")
    )));
    assert!(env.contains(&var(
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
        &format!("{path}/tls.key")
    )));
}

// ===========================================================================
// Rules of the brief and product.md §4 beyond the vectors
// ===========================================================================

fn simple_pod(container: Value) -> Value {
    pod_template(json!({}), json!({"containers": [container]}))
}

fn with_django(container: Value, inst: &Instrumentation, django: Django) -> (Value, Plan) {
    let template = simple_pod(container);
    let plan = plan(
        &template,
        &pod_in("p", "ns"),
        inst,
        PlatformChoice::Glibc,
        &django,
        &regular(&["app"]),
    );
    (template, plan)
}

fn django(settings: Option<&str>, app_root: Option<&str>) -> Django {
    Django {
        settings_module: settings.map(str::to_string),
        app_root: app_root.map(str::to_string),
    }
}

fn names(env: &[Value]) -> Vec<String> {
    env.iter()
        .map(|v| v["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn django_settings_module_follows_python_path() {
    let (template, plan) = with_django(
        json!({"name": "app"}),
        &python("img:1"),
        django(Some("shop.settings"), Some("/app")),
    );
    let env = env_after(&template, &plan, "app");
    assert_list(
        &env[..4],
        &[
            node_ip(),
            pod_ip(),
            python_path(&format!("{PREFIX}:/app:{SUFFIX}")),
            var("DJANGO_SETTINGS_MODULE", "shop.settings"),
        ],
    );
    assert_eq!(env[4], protocol());
}

#[test]
fn django_settings_module_never_overrides_the_container_or_python_env() {
    let container = json!({"name": "app", "env": [var("DJANGO_SETTINGS_MODULE", "mine.settings")]});
    let (template, plan) = with_django(
        container,
        &python("img:1"),
        django(Some("shop.settings"), None),
    );
    let env = env_after(&template, &plan, "app");
    assert_eq!(
        names(&env)
            .iter()
            .filter(|n| *n == "DJANGO_SETTINGS_MODULE")
            .count(),
        1
    );
    assert_eq!(env[2], var("DJANGO_SETTINGS_MODULE", "mine.settings"));

    let inst = Instrumentation {
        python_env: vars(&[("DJANGO_SETTINGS_MODULE", "cr.settings")]),
        ..python("img:1")
    };
    let (template, plan) = with_django(
        json!({"name": "app"}),
        &inst,
        django(Some("shop.settings"), None),
    );
    let env = env_after(&template, &plan, "app");
    assert_list(
        &env[2..4],
        &[var("DJANGO_SETTINGS_MODULE", "cr.settings"), python_path(P)],
    );
}

/// Django's settings module wins over `spec.env` (it is placed with the
/// Python layer).
#[test]
fn django_settings_module_wins_over_spec_env() {
    let inst = Instrumentation {
        env: vars(&[("DJANGO_SETTINGS_MODULE", "common.settings")]),
        ..python("img:1")
    };
    let (template, plan) = with_django(
        json!({"name": "app"}),
        &inst,
        django(Some("shop.settings"), None),
    );
    let env = env_after(&template, &plan, "app");
    assert!(env.contains(&var("DJANGO_SETTINGS_MODULE", "shop.settings")));
    assert!(!env.contains(&var("DJANGO_SETTINGS_MODULE", "common.settings")));
}

#[test]
fn django_app_root_joins_an_existing_python_path() {
    let cases = [
        ("/src:/lib", format!("{PREFIX}:/src:/lib:/app:{SUFFIX}")),
        // Already there: the operator's plain wrap.
        ("/lib:/app", format!("{PREFIX}:/lib:/app:{SUFFIX}")),
        ("/app", format!("{PREFIX}:/app:{SUFFIX}")),
        // Empty: the operator keeps its empty entry (the current directory).
        ("", format!("{PREFIX}::/app:{SUFFIX}")),
    ];
    for (existing, expected) in cases {
        let container = json!({"name": "app", "env": [var("PYTHONPATH", existing)]});
        let (_, plan) = with_django(container, &python("img:1"), django(None, Some("/app")));
        assert_eq!(
            plan.containers[0].env.set_values,
            vec![(0, expected)],
            "{existing}"
        );
    }
}

#[test]
fn python_path_from_python_env_is_wrapped_and_from_spec_env_ignored() {
    let inst = Instrumentation {
        python_env: vars(&[("PYTHONPATH", "/cr")]),
        ..python("img:1")
    };
    let (template, plan) = with_django(json!({"name": "app"}), &inst, Django::default());
    let env = env_after(&template, &plan, "app");
    assert_eq!(env[2], python_path(&format!("{PREFIX}:/cr:{SUFFIX}")));

    let inst = Instrumentation {
        env: vars(&[("PYTHONPATH", "/common")]),
        ..python("img:1")
    };
    let (template, plan) = with_django(json!({"name": "app"}), &inst, Django::default());
    let env = env_after(&template, &plan, "app");
    assert_eq!(env[2], python_path(P));
    assert!(!env.contains(&var("PYTHONPATH", "/common")));
}

#[test]
fn python_path_value_from_in_python_env_is_a_problem() {
    let inst = Instrumentation {
        python_env: vec![
            json!({"name": "PYTHONPATH", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}),
        ],
        ..python("img:1")
    };
    let (_, plan) = with_django(json!({"name": "app"}), &inst, Django::default());
    assert!(plan.containers.is_empty());
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(plan.problems[0].field, "spec.containers[0].env");
}

/// Deviation: a `valueFrom` OTEL_RESOURCE_ATTRIBUTES would get a `value`
/// next to it (an invalid pod); the container is refused instead.
#[test]
fn resource_attributes_value_from_is_a_problem() {
    let container = json!({"name": "app", "env": [
        var("A", "1"),
        {"name": "OTEL_RESOURCE_ATTRIBUTES", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
    ]});
    let template = simple_pod(container);
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    assert!(plan.containers.is_empty());
    assert_eq!(
        plan.problems,
        vec![Problem {
            container: "app".to_string(),
            field: "spec.containers[0].env[1]".to_string(),
            message:
                "the container defines env var value via ValueFrom, envVar: OTEL_RESOURCE_ATTRIBUTES"
                    .to_string(),
        }]
    );
    // The operator still adds the pod-level parts (§1.5).
    assert_list(&plan.volumes, &[vol()]);
}

/// An OTEL_RESOURCE_ATTRIBUTES from `spec.env` is merged and moved last
/// like a user one; an empty existing value gets the operator's leading
/// comma.
#[test]
fn resource_attributes_from_spec_env_and_empty_value() {
    let inst = Instrumentation {
        env: vars(&[("OTEL_RESOURCE_ATTRIBUTES", "team=a")]),
        ..python("img:1")
    };
    let template = simple_pod(json!({"name": "app"}));
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let env = env_after(&template, &plan, "app");
    assert_eq!(
        env.last(),
        Some(&attributes(
            "team=a,k8s.container.name=app,k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=ns.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).app,service.namespace=ns"
        ))
    );
    assert_eq!(
        names(&env)
            .iter()
            .filter(|n| *n == "OTEL_RESOURCE_ATTRIBUTES")
            .count(),
        1
    );

    let template = simple_pod(json!({"name": "app", "env": [var("OTEL_RESOURCE_ATTRIBUTES", "")]}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    let value = env.last().and_then(|v| v["value"].as_str()).unwrap_or("");
    assert!(value.starts_with(",k8s.container.name=app,"), "{value}");
    assert_eq!(plan.containers[0].env.remove, vec![0]);
}

/// A user `k8s.node.name` is re-added as a reference, giving a duplicate
/// key, like `k8s.pod.name` (operator-python.md §3.4 step 6).
#[test]
fn user_node_name_is_duplicated() {
    let template = simple_pod(json!({"name": "app", "env": [
        var("OTEL_RESOURCE_ATTRIBUTES", "k8s.node.name=mine,a=b=c"),
    ]}));
    let inst = Instrumentation {
        resource_attributes: vec![("a".to_string(), "cr".to_string())],
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let env = env_after(&template, &plan, "app");
    assert!(env.contains(&node_name()));
    // `a=b=c` has three parts, so `a` does not count as set: the CR's wins.
    assert_eq!(
        env.last(),
        Some(&attributes(
            "k8s.node.name=mine,a=b=c,a=cr,k8s.container.name=app,k8s.namespace.name=ns,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),service.instance.id=ns.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).app,service.namespace=ns"
        ))
    );
}

/// The operator checks for the substring `service.version`, not the key.
#[test]
fn service_version_substring_check() {
    let template = simple_pod(json!({"name": "app", "image": "app:9", "env": [
        var("OTEL_RESOURCE_ATTRIBUTES", "my.service.version.note=x"),
    ]}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    let value = env.last().and_then(|v| v["value"].as_str()).unwrap_or("");
    assert!(!value.contains("service.version=9"), "{value}");
}

#[test]
fn service_version_from_annotation_and_label() {
    let metadata = json!({
        "labels": {"app.kubernetes.io/version": "from-label"},
        "annotations": {"resource.opentelemetry.io/service.version": "from-annotation"},
    });
    let template = pod_template(
        metadata,
        json!({"containers": [{"name": "app", "image": "app:9"}]}),
    );
    let inst = Instrumentation {
        use_labels_for_resource_attributes: true,
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let value = env_after(&template, &plan, "app")
        .last()
        .and_then(|v| v["value"].as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(
        value.ends_with("service.version=from-annotation"),
        "{value}"
    );

    let template = pod_template(
        json!({"labels": {"app.kubernetes.io/version": "from-label"}}),
        json!({"containers": [{"name": "app", "image": "app:9"}]}),
    );
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let value = env_after(&template, &plan, "app")
        .last()
        .and_then(|v| v["value"].as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(value.ends_with("service.version=from-label"), "{value}");
}

/// A user sampler argument alone keeps the CR's sampler out.
#[test]
fn sampler_argument_alone_blocks_the_sampler() {
    let template =
        simple_pod(json!({"name": "app", "env": [var("OTEL_TRACES_SAMPLER_ARG", "0.5")]}));
    let inst = Instrumentation {
        sampler_type: "parentbased_traceidratio".to_string(),
        sampler_argument: "0.25".to_string(),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let env = env_after(&template, &plan, "app");
    assert!(!names(&env).contains(&"OTEL_TRACES_SAMPLER".to_string()));

    // A type with no argument: only the type.
    let template = simple_pod(json!({"name": "app"}));
    let inst = Instrumentation {
        sampler_type: "always_on".to_string(),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    let env = env_after(&template, &plan, "app");
    assert!(env.contains(&var("OTEL_TRACES_SAMPLER", "always_on")));
    assert!(!names(&env).contains(&"OTEL_TRACES_SAMPLER_ARG".to_string()));
}

/// Only the missing one of OTEL_POD_IP / OTEL_NODE_IP is prepended.
#[test]
fn only_missing_ip_vars_are_prepended() {
    let user_pod_ip = var("OTEL_POD_IP", "1.2.3.4");
    let template = simple_pod(json!({"name": "app", "env": [var("X", "1"), user_pod_ip.clone()]}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    assert_eq!(plan.containers[0].env.prepend, vec![node_ip()]);
    let env = env_after(&template, &plan, "app");
    assert_list(&env[..3], &[node_ip(), var("X", "1"), user_pod_ip]);
}

/// POD_NAME is appended even when the user has one (operator ≥ 0.105.0).
#[test]
fn pod_name_var_is_always_appended() {
    let template =
        simple_pod(json!({"name": "app", "env": [var("OTEL_RESOURCE_ATTRIBUTES_POD_NAME", "x")]}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    assert_eq!(
        names(&env)
            .iter()
            .filter(|n| *n == "OTEL_RESOURCE_ATTRIBUTES_POD_NAME")
            .count(),
        2
    );
}

/// `nodeName` or a `k8s.node.name` annotation suppresses NODE_NAME.
#[test]
fn node_name_from_annotation_suppresses_the_var() {
    let template = pod_template(
        json!({"annotations": {"resource.opentelemetry.io/k8s.node.name": "n1"}}),
        json!({"containers": [{"name": "app"}]}),
    );
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    assert!(!env.contains(&node_name()));
    let value = env.last().and_then(|v| v["value"].as_str()).unwrap_or("");
    assert!(value.contains("k8s.node.name=n1,"), "{value}");
}

/// The init container's keys in the operator's order with every optional
/// key present.
#[test]
fn init_container_key_order() {
    let template = simple_pod(json!({"name": "app", "securityContext": {"runAsUser": 1}}));
    let inst = Instrumentation {
        image_pull_policy: Some("IfNotPresent".to_string()),
        resource_requirements: defaulted_resources(),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_json(
        &plan.init_container,
        &json!({
            "name": "opentelemetry-auto-instrumentation-python",
            "image": "img:1",
            "command": ["cp", "-r", GLIBC, "/otel-auto-instrumentation-python"],
            "resources": {
                "limits": {"cpu": "500m", "memory": "256Mi"},
                "requests": {"cpu": "50m", "memory": "64Mi"},
            },
            "volumeMounts": [mnt()],
            "imagePullPolicy": "IfNotPresent",
            "securityContext": {"runAsUser": 1},
        }),
    );
}

/// Deviation (operator #2272): `runAsNonRoot: true` with no uid anywhere
/// gets `runAsUser: 65532`; a uid at either level leaves it alone.
#[test]
fn non_root_init_container_gets_a_user() {
    let cases = [
        // container SC, pod SC, expected init SC
        (
            json!({"runAsNonRoot": true}),
            json!(null),
            Some(json!({"runAsNonRoot": true, "runAsUser": 65532})),
        ),
        (
            json!({"runAsNonRoot": true}),
            json!({"runAsUser": 1000}),
            Some(json!({"runAsNonRoot": true})),
        ),
        (
            json!({"runAsNonRoot": true, "runAsUser": 10}),
            json!(null),
            Some(json!({"runAsNonRoot": true, "runAsUser": 10})),
        ),
        // Pod-level runAsNonRoot, inherited by an init container with no SC.
        (
            json!(null),
            json!({"runAsNonRoot": true}),
            Some(json!({"runAsUser": 65532})),
        ),
        (
            json!({"readOnlyRootFilesystem": true}),
            json!({"runAsNonRoot": true, "fsGroup": 2000}),
            Some(json!({"readOnlyRootFilesystem": true, "runAsUser": 65532})),
        ),
        // The container's explicit false wins over the pod's true.
        (
            json!({"runAsNonRoot": false}),
            json!({"runAsNonRoot": true}),
            Some(json!({"runAsNonRoot": false})),
        ),
        (json!(null), json!(null), None),
    ];
    for (container_sc, pod_sc, expected) in cases {
        let mut app = json!({"name": "app"});
        if !container_sc.is_null() {
            app["securityContext"] = container_sc.clone();
        }
        let mut spec = json!({"containers": [app]});
        if !pod_sc.is_null() {
            spec["securityContext"] = pod_sc.clone();
        }
        let template = pod_template(json!({}), spec);
        let plan = run(
            &template,
            &pod_in("p", "ns"),
            &python("img:1"),
            &regular(&["app"]),
        );
        match &expected {
            Some(sc) => assert_json(&plan.init_container["securityContext"], sc),
            None => assert!(plan.init_container.get("securityContext").is_none()),
        }
    }

    // An explicit initContainerSecurityContext gets the same treatment.
    let template = simple_pod(json!({"name": "app"}));
    let inst = Instrumentation {
        init_container_security_context: Some(json!({"runAsNonRoot": true})),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_json(
        &plan.init_container["securityContext"],
        &json!({"runAsNonRoot": true, "runAsUser": 65532}),
    );
}

/// The init container goes before the first init-container target, after
/// all init containers otherwise; targets are planned in the given order.
#[test]
fn init_container_placement() {
    let template = pod_template(
        json!({}),
        json!({
            "initContainers": [{"name": "init-a"}, {"name": "init-b"}, {"name": "init-c"}],
            "containers": [{"name": "app"}],
        }),
    );
    let inst = python("img:1");
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &inst,
        &[
            init_target("init-b"),
            init_target("init-c"),
            regular(&["app"]).remove(0),
        ],
    );
    assert_eq!(plan.init_container_index, 1);
    let planned: Vec<(&str, bool, usize)> = plan
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.init, c.index))
        .collect();
    assert_eq!(
        planned,
        vec![("init-b", true, 1), ("init-c", true, 2), ("app", false, 0)]
    );

    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_eq!(plan.init_container_index, 3);
}

/// Names that are not in the pod are dropped, as the operator does.
#[test]
fn unknown_targets_are_dropped() {
    let template = simple_pod(json!({"name": "app"}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["nonexistent", "app"]),
    );
    assert_eq!(plan.containers.len(), 1);
    assert!(plan.problems.is_empty());
    // `init: true` looks only among init containers.
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &[init_target("app")],
    );
    assert!(plan.containers.is_empty());
}

/// Existing volumes and mounts of the same names are not added again.
#[test]
fn existing_volumes_and_mounts_are_not_duplicated() {
    let template = pod_template(
        json!({}),
        json!({
            "volumes": [
                {"name": "opentelemetry-auto-instrumentation-python", "emptyDir": {}},
                {"name": "otel-auto-secret-my-certs", "secret": {"secretName": "my-certs"}},
            ],
            "containers": [{"name": "app", "volumeMounts": [
                {"name": "otel-auto-secret-my-certs", "mountPath": "/certs"},
            ]}],
        }),
    );
    let inst = Instrumentation {
        tls: Some(tls("my-certs", "", "ca.crt", "", "")),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert!(plan.volumes.is_empty());
    assert_list(&plan.containers[0].mounts, &[mnt()]);
}

/// With every target refused, the TLS volumes are not added (they are
/// added while configuring an injected container).
#[test]
fn no_tls_volumes_without_an_injected_container() {
    let template =
        simple_pod(json!({"name": "app", "env": [{"name": "PYTHONPATH", "valueFrom": {}}]}));
    let inst = Instrumentation {
        tls: Some(tls("my-certs", "", "ca.crt", "", "")),
        ..python("img:1")
    };
    let plan = run(&template, &pod_in("p", "ns"), &inst, &regular(&["app"]));
    assert_list(&plan.volumes, &[vol()]);
}

// ---------------------------------------------------------------------------
// Templates (product.md §4)
// ---------------------------------------------------------------------------

/// A CronJob in a namespace the manifest does not set: every run-time value
/// comes from the downward API, after NODE_NAME, in a fixed order.
#[test]
fn cronjob_without_namespace() {
    let template =
        simple_pod(json!({"name": "job", "image": "registry.example.com/report:2024.1"}));
    let inst = Instrumentation {
        add_k8s_uid_attributes: true,
        ..python("img:1")
    };
    let plan = run(
        &template,
        &workload("CronJob", "nightly", None),
        &inst,
        &regular(&["job"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("nightly"),
            pod_name(),
            pod_uid(),
            node_name(),
            namespace_var(),
            field_ref(
                "OTEL_RESOURCE_ATTRIBUTES_JOB_NAME",
                "metadata.labels['batch.kubernetes.io/job-name']",
            ),
            field_ref(
                "OTEL_RESOURCE_ATTRIBUTES_JOB_UID",
                "metadata.labels['batch.kubernetes.io/controller-uid']",
            ),
            attributes(
                "k8s.container.name=job,k8s.cronjob.name=nightly,k8s.job.name=$(OTEL_RESOURCE_ATTRIBUTES_JOB_NAME),k8s.job.uid=$(OTEL_RESOURCE_ATTRIBUTES_JOB_UID),k8s.namespace.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE),k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.pod.uid=$(OTEL_RESOURCE_ATTRIBUTES_POD_UID),service.instance.id=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE).$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).job,service.namespace=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE),service.version=2024.1",
            ),
        ],
    ]);
    assert_env(&template, &plan, "job", &expected);
}

/// An Argo Rollout: its own name as service name, its ReplicaSet from the
/// `rollouts-pod-template-hash` label.
#[test]
fn argo_rollout() {
    let template = simple_pod(json!({"name": "web"}));
    let plan = run(
        &template,
        &workload("Rollout", "web-rollout", Some("shop")),
        &python("img:1"),
        &regular(&["web"]),
    );
    let expected = concat(&[
        &python_head(),
        &[
            service_name("web-rollout"),
            pod_name(),
            node_name(),
            field_ref(
                "OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH",
                "metadata.labels['rollouts-pod-template-hash']",
            ),
            attributes(
                "k8s.container.name=web,k8s.namespace.name=shop,k8s.node.name=$(OTEL_RESOURCE_ATTRIBUTES_NODE_NAME),k8s.pod.name=$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME),k8s.replicaset.name=web-rollout-$(OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH),service.instance.id=shop.$(OTEL_RESOURCE_ATTRIBUTES_POD_NAME).web,service.namespace=shop",
            ),
        ],
    ]);
    assert_env(&template, &plan, "web", &expected);
}

/// Run-time vars are added only when an attribute uses them; a service
/// name candidate that only exists at run time is skipped.
#[test]
fn runtime_vars_only_when_used() {
    let user = attributes(
        "k8s.deployment.name=mine,k8s.replicaset.name=rs,k8s.namespace.name=n,service.namespace=n,service.instance.id=i",
    );
    let template = simple_pod(json!({"name": "app", "env": [user]}));
    let plan = run(
        &template,
        &workload("Deployment", "web", None),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    let names = names(&env);
    assert!(!names.contains(&"OTEL_RESOURCE_ATTRIBUTES_POD_NAMESPACE".to_string()));
    assert!(!names.contains(&"OTEL_RESOURCE_ATTRIBUTES_POD_TEMPLATE_HASH".to_string()));
    // k8s.deployment.name and k8s.replicaset.name are the user's: the
    // operator would fall through to the ReplicaSet; with no static
    // candidate left, the container name.
    assert!(env.contains(&service_name("app")));

    // The user sets k8s.deployment.name only: the ReplicaSet name would be
    // `web-$(…)`, unusable in OTEL_SERVICE_NAME, so the container name.
    let template =
        simple_pod(json!({"name": "app", "env": [attributes("k8s.deployment.name=mine")]}));
    let plan = run(
        &template,
        &workload("Deployment", "web", Some("ns")),
        &python("img:1"),
        &regular(&["app"]),
    );
    let env = env_after(&template, &plan, "app");
    assert!(env.contains(&service_name("app")));
    assert!(env.contains(&template_hash_var()));
}

/// Plain scalars typed by the YAML view (`value: 20`) are read as text.
#[test]
fn typed_scalars_are_read_as_text() {
    let template = simple_pod(json!({"name": "app", "env": [{"name": "PYTHONPATH", "value": 20}]}));
    let plan = run(
        &template,
        &pod_in("p", "ns"),
        &python("img:1"),
        &regular(&["app"]),
    );
    assert_eq!(
        plan.containers[0].env.set_values,
        vec![(0, format!("{PREFIX}:20:{SUFFIX}"))]
    );
}

// ---------------------------------------------------------------------------
// final_env
// ---------------------------------------------------------------------------

#[test]
fn final_env_applies_every_part() {
    let original = vec![
        json!({"name": "A", "value": "1"}),
        json!({"name": "B"}),
        json!({"name": "C", "value": "3"}),
    ];
    let plan = EnvPlan {
        prepend: vec![var("P", "p")],
        set_values: vec![(1, "two".to_string())],
        remove: vec![0],
        append: vec![var("Z", "z")],
    };
    assert_list(
        &final_env(&original, &plan),
        &[
            var("P", "p"),
            json!({"name": "B", "value": "two"}),
            var("C", "3"),
            var("Z", "z"),
        ],
    );
    assert_list(&final_env(&original, &EnvPlan::default()), &original);
}
