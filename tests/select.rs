//! `inject_otel_python::select`: vectors from docs/operator-python.md (§4.2,
//! §4.4, §7.2 h/i, §7.4, §1.2/§7.1 #12) and the product's own rules
//! (product.md §3, krm-conventions.md §1 item 8). Expectations are written
//! by hand from the documents.

use inject_otel_python::config::{
    LabelExpression, LabelOperator, LabelSelector, Platform, Selector, WorkloadKind,
};
use inject_otel_python::krm::ResourceList;
use inject_otel_python::select::{
    self, ANNOTATION_CONTAINER_NAMES, ANNOTATION_INJECT_PYTHON, ANNOTATION_PYTHON_CONTAINER_NAMES,
    ANNOTATION_PYTHON_PLATFORM, InjectDecision, PlatformChoice, PlatformSource, Target,
    TargetSource, annotation_value, choose_platform, decide, inject_decision,
    instrumented_by_operator, is_musl_image, parse_platform, pod_template_path, resolve_instance,
    selector_matches, target_containers,
};
use inject_otel_python::yaml::{Doc, ParseLimits};
use serde_json::{Map, Value, json};

const LIMITS: ParseLimits = ParseLimits {
    max_depth: 256,
    max_alias_expansion: 1_000_000,
};

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------ annotation names

#[test]
fn annotation_names_are_the_operators() {
    assert_eq!(
        ANNOTATION_INJECT_PYTHON,
        "instrumentation.opentelemetry.io/inject-python"
    );
    assert_eq!(
        ANNOTATION_PYTHON_CONTAINER_NAMES,
        "instrumentation.opentelemetry.io/python-container-names"
    );
    assert_eq!(
        ANNOTATION_CONTAINER_NAMES,
        "instrumentation.opentelemetry.io/container-names"
    );
    assert_eq!(
        ANNOTATION_PYTHON_PLATFORM,
        "instrumentation.opentelemetry.io/otel-python-platform"
    );
}

// ------------------------------------------------- §4.2 namespace/pod merge

/// `None` = annotation absent on that object.
fn merged(ns: Option<&str>, pod: Option<&str>) -> String {
    let key = ANNOTATION_INJECT_PYTHON;
    let ns_map = ns.map(|v| map(json!({ key: v })));
    let pod_map = pod.map_or_else(Map::new, |v| map(json!({ key: v })));
    annotation_value(ns_map.as_ref(), &pod_map, key)
}

#[test]
fn annotation_value_operator_test_vectors() {
    // annotation_test.go, as listed in §4.2.
    assert_eq!(merged(Some("false"), Some("true")), "true");
    assert_eq!(merged(Some("some-instance"), Some("true")), "some-instance");
    assert_eq!(
        merged(Some("some-instance"), Some("some-instance-from-pod")),
        "some-instance-from-pod"
    );
    assert_eq!(merged(Some("some-instance"), Some("false")), "false");
    assert_eq!(merged(Some("some-instance"), None), "some-instance");
    assert_eq!(merged(None, Some("true")), "true");
}

#[test]
fn annotation_value_table_rows() {
    // "" namespace value → pod value, whatever it is.
    assert_eq!(merged(None, Some("my-inst")), "my-inst");
    assert_eq!(merged(Some(""), Some("false")), "false");
    assert_eq!(merged(None, None), "");
    // Non-empty namespace value, empty pod value → namespace value.
    assert_eq!(merged(Some("true"), None), "true");
    assert_eq!(merged(Some("false"), Some("")), "false");
    // Pod value not `true` → pod value.
    assert_eq!(merged(Some("true"), Some("false")), "false");
    assert_eq!(merged(Some("true"), Some("other/inst")), "other/inst");
    // Namespace `true` and pod `true` → namespace value.
    assert_eq!(merged(Some("true"), Some("true")), "true");
    // Case-insensitive `true` / `false` (Go strings.EqualFold).
    assert_eq!(merged(Some("FALSE"), Some("True")), "True");
    assert_eq!(merged(Some("ns-inst"), Some("TRUE")), "ns-inst");
    // No Namespace object at all: the pod value.
    assert_eq!(
        annotation_value(None, &map(json!({"k": "v"})), "k"),
        "v".to_string()
    );
}

#[test]
fn annotation_value_reads_unquoted_scalars_by_their_text() {
    let pod = map(json!({ ANNOTATION_INJECT_PYTHON: true }));
    assert_eq!(
        annotation_value(None, &pod, ANNOTATION_INJECT_PYTHON),
        "true"
    );
    let ns = map(json!({ ANNOTATION_INJECT_PYTHON: false }));
    assert_eq!(
        annotation_value(Some(&ns), &pod, ANNOTATION_INJECT_PYTHON),
        "true"
    );
    let null = map(json!({ ANNOTATION_INJECT_PYTHON: null }));
    assert_eq!(
        annotation_value(Some(&ns), &null, ANNOTATION_INJECT_PYTHON),
        "false"
    );
}

// --------------------------------------------------- §4.1 inject decision

#[test]
fn inject_decision_values() {
    assert_eq!(inject_decision(""), InjectDecision::No);
    assert_eq!(inject_decision("false"), InjectDecision::No);
    assert_eq!(inject_decision("FaLsE"), InjectDecision::No);
    assert_eq!(
        inject_decision("true"),
        InjectDecision::Instance("true".into())
    );
    assert_eq!(
        inject_decision("TRUE"),
        InjectDecision::Instance("true".into())
    );
    assert_eq!(
        inject_decision("my-inst"),
        InjectDecision::Instance("my-inst".into())
    );
    assert_eq!(
        inject_decision("obs/my-inst"),
        InjectDecision::Instance("obs/my-inst".into())
    );
}

#[test]
fn decide_with_and_without_selector() {
    // No selector: the annotation alone.
    assert_eq!(decide(None, ""), InjectDecision::No);
    assert_eq!(
        decide(None, "True"),
        InjectDecision::Instance("true".into())
    );
    // Selector matched: injected unless `false`.
    assert_eq!(
        decide(Some(true), ""),
        InjectDecision::Instance("true".into())
    );
    assert_eq!(decide(Some(true), "false"), InjectDecision::No);
    assert_eq!(decide(Some(true), "FALSE"), InjectDecision::No);
    assert_eq!(
        decide(Some(true), "obs/i"),
        InjectDecision::Instance("obs/i".into())
    );
    // Selector not matched: the selector is the scope.
    assert_eq!(decide(Some(false), "true"), InjectDecision::No);
    assert!(select::is_opt_out("False"));
    assert!(!select::is_opt_out(""));
}

// ----------------------------------------------- §4.1 instance resolution

const NO_INSTANCES: &str = "no OpenTelemetry Instrumentation instances available";
const MULTIPLE: &str = "multiple OpenTelemetry Instrumentation instances available, cannot determine which one to select";

fn avail(list: &[(Option<&str>, &str)]) -> Vec<(Option<String>, String)> {
    list.iter()
        .map(|(ns, n)| (ns.map(str::to_string), n.to_string()))
        .collect()
}

#[test]
fn resolve_true_lists_the_pods_namespace() {
    let a = avail(&[(Some("python"), "python"), (Some("other"), "x")]);
    assert_eq!(resolve_instance("true", Some("python"), &a), Ok(0));
    assert_eq!(resolve_instance("TRUE", Some("other"), &a), Ok(1));
    assert_eq!(
        resolve_instance("true", Some("elsewhere"), &a),
        Err(NO_INSTANCES.to_string())
    );
    assert_eq!(
        resolve_instance("true", Some("python"), &[]),
        Err(NO_INSTANCES.to_string())
    );
    let two = avail(&[(Some("python"), "a"), (Some("python"), "b")]);
    assert_eq!(
        resolve_instance("true", Some("python"), &two),
        Err(MULTIPLE.to_string())
    );
}

#[test]
fn resolve_by_name_and_namespaced_name() {
    let a = avail(&[
        (Some("shop"), "inst"),
        (Some("observability"), "inst"),
        (Some("observability"), "central"),
    ]);
    assert_eq!(resolve_instance("inst", Some("shop"), &a), Ok(0));
    assert_eq!(resolve_instance("inst", Some("observability"), &a), Ok(1));
    assert_eq!(
        resolve_instance("observability/central", Some("shop"), &a),
        Ok(2)
    );
    assert_eq!(
        resolve_instance("observability/inst", Some("shop"), &a),
        Ok(1)
    );
    // Only in another namespace: not found; the message names the object only.
    assert_eq!(
        resolve_instance("central", Some("shop"), &a),
        Err(r#"instrumentations.opentelemetry.io "central" not found"#.to_string())
    );
    // §7.2 e "annotation set to non existing instance".
    assert_eq!(
        resolve_instance("doesnotexists", Some("shop"), &a),
        Err(r#"instrumentations.opentelemetry.io "doesnotexists" not found"#.to_string())
    );
    assert_eq!(
        resolve_instance("nope/inst", Some("shop"), &a),
        Err(r#"instrumentations.opentelemetry.io "inst" not found"#.to_string())
    );
}

#[test]
fn resolve_treats_a_missing_namespace_as_default() {
    // None equals None.
    let none = avail(&[(None, "inst")]);
    assert_eq!(resolve_instance("true", None, &none), Ok(0));
    assert_eq!(resolve_instance("inst", None, &none), Ok(0));
    // None matches "default", both ways.
    assert_eq!(resolve_instance("true", Some("default"), &none), Ok(0));
    assert_eq!(resolve_instance("default/inst", Some("shop"), &none), Ok(0));
    let dflt = avail(&[(Some("default"), "inst")]);
    assert_eq!(resolve_instance("true", None, &dflt), Ok(0));
    assert_eq!(resolve_instance("inst", None, &dflt), Ok(0));
    // ... but not any other namespace.
    assert_eq!(
        resolve_instance("true", Some("shop"), &none),
        Err(NO_INSTANCES.to_string())
    );
    let shop = avail(&[(Some("shop"), "inst")]);
    assert_eq!(
        resolve_instance("true", None, &shop),
        Err(NO_INSTANCES.to_string())
    );
    // A namespace-less and a `default` Instrumentation are both in `default`.
    let both = avail(&[(None, "a"), (Some("default"), "b")]);
    assert_eq!(
        resolve_instance("true", None, &both),
        Err(MULTIPLE.to_string())
    );
    assert_eq!(resolve_instance("b", None, &both), Ok(1));
}

// ------------------------------------------- §4.4 containersToInstrument

fn pod(containers: &[&str], init: &[&str]) -> Value {
    let c: Vec<Value> = containers.iter().map(|n| json!({"name": n})).collect();
    let i: Vec<Value> = init.iter().map(|n| json!({"name": n})).collect();
    json!({"containers": c, "initContainers": i})
}

fn reg(name: &str) -> Target {
    Target {
        name: name.into(),
        init: false,
    }
}

fn ini(name: &str) -> Target {
    Target {
        name: name.into(),
        init: true,
    }
}

/// The list through the `container-names` annotation.
fn by_annotation(pod_spec: &Value, list: &str) -> Vec<Target> {
    match target_containers(pod_spec, &[], list, "") {
        Ok(t) => t.targets,
        Err(e) => panic!("{list}: {e}"),
    }
}

#[test]
fn containers_to_instrument_vectors() {
    // [] with [app] → [app]
    let t = target_containers(&pod(&["app"], &[]), &[], "", "").unwrap();
    assert_eq!(t.targets, vec![reg("app")]);
    assert_eq!(t.source, TargetSource::FirstContainer);
    assert!(t.unmatched.is_empty());
    // [app2] with [app1, app2] → [app2]
    assert_eq!(
        by_annotation(&pod(&["app1", "app2"], &[]), "app2"),
        vec![reg("app2")]
    );
    // [app1, app2] with [app1, app2, app3] → [app1, app2]
    assert_eq!(
        by_annotation(&pod(&["app1", "app2", "app3"], &[]), "app1,app2"),
        vec![reg("app1"), reg("app2")]
    );
    // [nonexistent] → [] (no injection at all)
    let t = target_containers(&pod(&["app"], &[]), &[], "nonexistent", "").unwrap();
    assert!(t.targets.is_empty());
    assert_eq!(t.unmatched, strings(&["nonexistent"]));
    // [app, init-b, init-a] with init [init-a, init-b] → [init-a, init-b, app]
    assert_eq!(
        by_annotation(&pod(&["app"], &["init-a", "init-b"]), "app,init-b,init-a"),
        vec![ini("init-a"), ini("init-b"), reg("app")]
    );
    // [init-c, init-a, init-b] → [init-a, init-b, init-c]
    assert_eq!(
        by_annotation(
            &pod(&["app"], &["init-a", "init-b", "init-c"]),
            "init-c,init-a,init-b"
        ),
        vec![ini("init-a"), ini("init-b"), ini("init-c")]
    );
    // [app2, init-b, app1, init-a] → [init-a, init-b, app2, app1]
    assert_eq!(
        by_annotation(
            &pod(&["app1", "app2"], &["init-a", "init-b"]),
            "app2,init-b,app1,init-a"
        ),
        vec![ini("init-a"), ini("init-b"), reg("app2"), reg("app1")]
    );
}

#[test]
fn init_containers_sort_by_position_not_by_name() {
    assert_eq!(
        by_annotation(&pod(&["app"], &["zeta", "alpha"]), "alpha,zeta"),
        vec![ini("zeta"), ini("alpha")]
    );
}

#[test]
fn regular_containers_are_searched_before_init_containers() {
    // A name in both lists (an invalid pod) resolves to the regular one.
    assert_eq!(
        by_annotation(&pod(&["dup", "app"], &["dup"]), "dup"),
        vec![reg("dup")]
    );
}

#[test]
fn first_container_is_never_an_init_container() {
    assert_eq!(
        by_annotation(&pod(&["main", "side"], &["init"]), ""),
        vec![reg("main")]
    );
}

#[test]
fn no_regular_containers_means_no_targets() {
    let t = target_containers(&pod(&[], &["my-init"]), &[], "my-init", "").unwrap();
    assert!(t.targets.is_empty());
    let t = target_containers(&json!({}), &[], "", "").unwrap();
    assert!(t.targets.is_empty());
    assert_eq!(t.source, TargetSource::FirstContainer);
}

#[test]
fn mutate_pod_b_multiple_containers() {
    // §7.2 b: container-names "app1,app2", containers app1, app2.
    assert_eq!(
        by_annotation(&pod(&["app1", "app2"], &[]), "app1,app2"),
        vec![reg("app1"), reg("app2")]
    );
}

#[test]
fn mutate_pod_d_python_container_names() {
    // §7.2 d: python-container-names "python1,python2" among eight containers.
    let spec = pod(
        &[
            "dotnet1", "dotnet2", "java1", "java2", "nodejs1", "nodejs2", "python1", "python2",
        ],
        &[],
    );
    let t = target_containers(&spec, &[], "", "python1,python2").unwrap();
    assert_eq!(t.targets, vec![reg("python1"), reg("python2")]);
    assert_eq!(t.source, TargetSource::Annotation);
}

#[test]
fn init_container_instrumentation_f() {
    // §7.2 f: container-names python-init; init [python-init]; containers [main-app].
    assert_eq!(
        by_annotation(&pod(&["main-app"], &["python-init"]), "python-init"),
        vec![ini("python-init")]
    );
}

#[test]
fn language_containers_set_i() {
    // §7.2 i TestInstrumentationLanguageContainersSet.
    assert_eq!(
        by_annotation(&pod(&["python", "python1", "other"], &[]), "python,python1"),
        vec![reg("python"), reg("python1")]
    );
}

#[test]
fn python_container_names_are_appended() {
    let spec = pod(&["a", "b", "c"], &[]);
    let t = target_containers(&spec, &[], "c", "a").unwrap();
    assert_eq!(t.targets, vec![reg("c"), reg("a")]);
}

#[test]
fn duplicated_containers_vector() {
    // §7.4 TestDuplicatedContainers.
    let spec = pod(&["app1", "app2", "app3", "app4"], &[]);
    assert_eq!(
        target_containers(&spec, &[], "app1,app2,app1,app1,app3,app4,app4", ""),
        Err("duplicated container names detected: [app1 app4]".to_string())
    );
    assert_eq!(
        select::duplicated_container_names(&strings(&[
            "app1", "app2", "app1", "app1", "app3", "app4", "app4"
        ])),
        Err("duplicated container names detected: [app1 app4]".to_string())
    );
}

#[test]
fn duplicates_within_one_language_h() {
    // §7.2 h: `[app, app, java]` within one language.
    let spec = pod(&["app", "java"], &[]);
    assert_eq!(
        target_containers(&spec, &[], "app,app,java", ""),
        Err("duplicated container names detected: [app]".to_string())
    );
    // "single language without containers": OK.
    assert!(target_containers(&spec, &[], "", "").is_ok());
}

#[test]
fn duplicates_across_the_two_annotations_i() {
    // §7.2 i TestGoContainerAnnotationsDuplicateDetection, for Python:
    // container-names + python-container-names with the same name.
    let spec = pod(&["app"], &[]);
    assert_eq!(
        target_containers(&spec, &[], "app", "app"),
        Err("duplicated container names detected: [app]".to_string())
    );
}

#[test]
fn container_names_annotation_characters() {
    let spec = pod(&["app"], &[]);
    assert_eq!(
        target_containers(&spec, &[], "app, other", ""),
        Err(
            "not valid characters included in the instrumentation container annotation app, other"
                .to_string()
        )
    );
    assert_eq!(
        target_containers(&spec, &[], "app_1", ""),
        Err(
            "not valid characters included in the instrumentation container annotation app_1"
                .to_string()
        )
    );
    assert_eq!(
        target_containers(&spec, &[], "", "app.x"),
        Err(
            "not valid characters included in the instrumentation container annotation app.x"
                .to_string()
        )
    );
    // The container-names check comes first.
    assert_eq!(
        target_containers(&spec, &[], "a b", "c d"),
        Err(
            "not valid characters included in the instrumentation container annotation a b"
                .to_string()
        )
    );
    assert!(select::valid_container_names_annotation("Ab-9,x").is_ok());
    assert!(select::valid_container_names_annotation("").is_ok());
}

#[test]
fn config_container_names_win() {
    let spec = pod(&["web", "sidecar"], &["migrate"]);
    // The annotations are neither read nor validated.
    let t = target_containers(
        &spec,
        &strings(&["sidecar", "migrate", "ghost", "sidecar", "ghost"]),
        "not valid!",
        "web,web",
    )
    .unwrap();
    assert_eq!(t.targets, vec![ini("migrate"), reg("sidecar")]);
    assert_eq!(t.unmatched, strings(&["ghost"]));
    assert_eq!(t.source, TargetSource::Config);
}

#[test]
fn unmatched_annotation_names_are_reported() {
    let spec = pod(&["app"], &[]);
    let t = target_containers(&spec, &[], "app,gone", "").unwrap();
    assert_eq!(t.targets, vec![reg("app")]);
    assert_eq!(t.unmatched, strings(&["gone"]));
}

// ------------------------------------------ §7.4 TestAutoInstrumentationInjected

#[test]
fn auto_instrumentation_injected_vectors() {
    assert!(instrumented_by_operator(&json!({
        "initContainers": [{"name": "magic-init"}, {"name": "opentelemetry-auto-instrumentation-nodejs"}],
        "containers": [{"name": "app"}],
    })));
    assert!(instrumented_by_operator(&json!({
        "containers": [{"name": "opentelemetry-auto-instrumentation"}],
    })));
    assert!(instrumented_by_operator(&json!({
        "containers": [{"name": "app", "env": [{"name": "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME", "value": "value"}]}],
    })));
    assert!(!instrumented_by_operator(&json!({
        "initContainers": [{"name": "magic-init"}],
        "containers": [{"name": "app"}],
    })));
    assert!(!instrumented_by_operator(&json!({})));
}

#[test]
fn auto_instrumentation_injected_more() {
    for name in [
        "opentelemetry-auto-instrumentation-dotnet",
        "opentelemetry-auto-instrumentation-java",
        "opentelemetry-auto-instrumentation-python",
        "otel-agent-attach-apache",
        "otel-agent-source-container-clone",
    ] {
        assert!(
            instrumented_by_operator(&json!({"initContainers": [{"name": name}]})),
            "{name}"
        );
    }
    // The collector sidecar carries the var legitimately.
    assert!(!instrumented_by_operator(&json!({
        "containers": [{"name": "otc-container", "env": [{"name": "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME"}]}],
    })));
    // Only regular containers are checked for the sidecar name and the var.
    assert!(!instrumented_by_operator(&json!({
        "initContainers": [{"name": "x", "env": [{"name": "OTEL_RESOURCE_ATTRIBUTES_NODE_NAME"}]}],
    })));
    // The Python init container as a *regular* container does not count.
    assert!(!instrumented_by_operator(&json!({
        "containers": [{"name": "opentelemetry-auto-instrumentation-python"}],
    })));
}

// ------------------------------------------------ §1.2 platform

#[test]
fn parse_platform_is_exact() {
    assert_eq!(parse_platform("glibc"), Ok(Platform::Glibc));
    assert_eq!(parse_platform("musl"), Ok(Platform::Musl));
    // §7.1 #12.
    assert_eq!(
        parse_platform("not-supported"),
        Err("provided instrumentation.opentelemetry.io/otel-python-platform annotation value 'not-supported' is not supported".to_string())
    );
    assert_eq!(
        parse_platform("MUSL"),
        Err("provided instrumentation.opentelemetry.io/otel-python-platform annotation value 'MUSL' is not supported".to_string())
    );
    // `auto` is a config value, not an annotation value.
    assert!(parse_platform("auto").is_err());
    assert_eq!(select::platform_annotation(""), Ok(None));
    assert_eq!(
        select::platform_annotation("musl"),
        Ok(Some(Platform::Musl))
    );
}

#[test]
fn choose_platform_order() {
    let alpine = Some("python:3.12-alpine");
    assert_eq!(
        choose_platform("glibc", Some(Platform::Musl), alpine),
        Ok(PlatformChoice {
            platform: Platform::Glibc,
            source: PlatformSource::Annotation
        })
    );
    assert_eq!(
        choose_platform("", Some(Platform::Glibc), alpine),
        Ok(PlatformChoice {
            platform: Platform::Glibc,
            source: PlatformSource::Config
        })
    );
    assert_eq!(
        choose_platform("", Some(Platform::Auto), alpine),
        Ok(PlatformChoice {
            platform: Platform::Musl,
            source: PlatformSource::Image
        })
    );
    assert_eq!(
        choose_platform("", None, Some("python:3.12-slim")),
        Ok(PlatformChoice {
            platform: Platform::Glibc,
            source: PlatformSource::Image
        })
    );
    assert_eq!(
        choose_platform("", None, None).map(|c| c.platform),
        Ok(Platform::Glibc)
    );
    assert!(choose_platform("Musl", None, alpine).is_err());
}

#[test]
fn musl_images() {
    for image in [
        "python:3.12-alpine",
        "python:3.11-alpine3.20",
        "alpine:3.20",
        "alpine",
        "docker.io/library/alpine:latest",
        "registry.example.com/team/app:1.2-alpine3.20",
        "registry:5000/python:3.12-alpine",
        "registry:5000/alpine",
        "python:3.12-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ghcr.io/acme/python-alpine:3.12",
        "python:3.12-ALPINE",
        "ghcr.io/acme/app:1.0-musl",
    ] {
        assert!(is_musl_image(image), "{image} should be musl");
    }
}

#[test]
fn glibc_images() {
    for image in [
        "python:3.12",
        "python:3.12-slim",
        "python:3.12-slim-bookworm",
        "python",
        "registry:5000/python",
        "registry:5000/python:3.12",
        "alpine-registry.example.com:5000/python:3.12",
        "registry.example.com/alpine/python:3.12",
        "gcr.io/distroless/python3-debian12",
        "cgr.dev/chainguard/python:latest",
        "python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ghcr.io/acme/alpinex:1",
        "",
    ] {
        assert!(!is_musl_image(image), "{image} should be glibc");
    }
}

// ------------------------------------------------ workloads

fn path(api_version: &str, kind: &str) -> Option<Vec<String>> {
    pod_template_path(api_version, kind, &[])
}

#[test]
fn built_in_pod_template_paths() {
    let st = Some(strings(&["spec", "template"]));
    assert_eq!(path("v1", "Pod"), Some(vec![]));
    assert_eq!(path("v1", "PodTemplate"), Some(strings(&["template"])));
    assert_eq!(path("v1", "ReplicationController"), st);
    for kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
        assert_eq!(path("apps/v1", kind), st, "{kind}");
        assert_eq!(path("apps/v1beta2", kind), st, "{kind} (old version)");
    }
    assert_eq!(path("extensions/v1beta1", "Deployment"), st);
    assert_eq!(path("batch/v1", "Job"), st);
    let cj = Some(strings(&["spec", "jobTemplate", "spec", "template"]));
    assert_eq!(path("batch/v1", "CronJob"), cj);
    assert_eq!(path("batch/v1beta1", "CronJob"), cj);
    assert_eq!(path("argoproj.io/v1alpha1", "Rollout"), st);
}

#[test]
fn non_workloads_have_no_pod_template() {
    assert_eq!(path("v1", "ConfigMap"), None);
    assert_eq!(path("v1", "Service"), None);
    assert_eq!(path("v1", "Namespace"), None);
    assert_eq!(path("opentelemetry.io/v1alpha1", "Instrumentation"), None);
    assert_eq!(path("kpt.dev/v1", "Kptfile"), None);
    // Kind and group must both match.
    assert_eq!(path("apps/v1", "Job"), None);
    assert_eq!(path("example.com/v1", "Deployment"), None);
    assert_eq!(path("v1", "Deployment"), None);
    assert_eq!(path("apps/v1", "deployment"), None);
    assert_eq!(path("batch/v1", "Pod"), None);
}

#[test]
fn extra_workload_kinds() {
    let extra = vec![
        WorkloadKind {
            api_version: "example.com/v1".into(),
            kind: "App".into(),
            pod_template_path: strings(&["spec", "pod"]),
        },
        WorkloadKind {
            api_version: "wild.example/*".into(),
            kind: "Runner".into(),
            pod_template_path: strings(&["spec", "runner", "template"]),
        },
        WorkloadKind {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            pod_template_path: strings(&["spec", "other"]),
        },
    ];
    assert_eq!(
        pod_template_path("example.com/v1", "App", &extra),
        Some(strings(&["spec", "pod"]))
    );
    assert_eq!(pod_template_path("example.com/v2", "App", &extra), None);
    assert_eq!(
        pod_template_path("wild.example/v1beta3", "Runner", &extra),
        Some(strings(&["spec", "runner", "template"]))
    );
    // Extras are consulted first.
    assert_eq!(
        pod_template_path("apps/v1", "Deployment", &extra),
        Some(strings(&["spec", "other"]))
    );
    assert_eq!(
        pod_template_path("apps/v1", "StatefulSet", &extra),
        Some(strings(&["spec", "template"]))
    );
}

const LIST: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
  spec:
    template:
      metadata:
        annotations:
          instrumentation.opentelemetry.io/inject-python: "true"
      spec:
        containers:
        - name: web
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    annotations:
      config.kubernetes.io/local-config: "true"
- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata:
    name: pkg
- apiVersion: fn.kpt.dev/v1alpha1
  kind: InjectOtelPython
  metadata:
    name: otel-python
- apiVersion: fn.kpt.dev/v1alpha1
  kind: InjectOtelPython
  metadata:
    name: another
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: not-local
    annotations:
      config.kubernetes.io/local-config: "false"
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: local-unquoted
    annotations:
      config.kubernetes.io/local-config: true
- apiVersion: example.com/v1
  kind: Transformer
  metadata:
    name: some-fn
    annotations:
      config.kubernetes.io/function: |
        exec: {path: ./fn}
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    annotations:
      instrumentation.opentelemetry.io/inject-python: obs/central
- apiVersion: v1
  kind: Namespace
  metadata:
    name: bare
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    annotations:
      instrumentation.opentelemetry.io/inject-python: "second"
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
    - name: c
- apiVersion: argoproj.io/v1alpha1
  kind: Rollout
  metadata:
    name: r
  spec:
    workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
functionConfig:
  apiVersion: fn.kpt.dev/v1alpha1
  kind: InjectOtelPython
  metadata:
    name: otel-python
"#;

#[test]
fn never_touched_items() {
    let doc = Doc::parse(LIST, LIMITS).unwrap();
    let list = ResourceList::from_doc(&doc).unwrap();
    let never: Vec<&str> = list
        .items
        .iter()
        .filter(|i| select::is_never_touched(&doc, i, list.function_config))
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        never,
        vec![
            "settings",
            "pkg",
            "otel-python",
            "local-unquoted",
            "some-fn"
        ]
    );
    // Without a functionConfig the config-shaped item is an ordinary object.
    let never: Vec<&str> = list
        .items
        .iter()
        .filter(|i| select::is_never_touched(&doc, i, None))
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(never, vec!["settings", "pkg", "local-unquoted", "some-fn"]);
}

#[test]
fn function_config_in_another_namespace_is_another_object() {
    let src = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cfg, namespace: a}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cfg}
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: cfg}
"#;
    let doc = Doc::parse(src, LIMITS).unwrap();
    let list = ResourceList::from_doc(&doc).unwrap();
    let flags: Vec<bool> = list
        .items
        .iter()
        .map(|i| select::is_never_touched(&doc, i, list.function_config))
        .collect();
    assert_eq!(flags, vec![false, true]);
}

#[test]
fn pod_template_nodes() {
    let doc = Doc::parse(LIST, LIMITS).unwrap();
    let list = ResourceList::from_doc(&doc).unwrap();
    let by_name = |n: &str| list.items.iter().find(|i| i.name == n).unwrap();
    let web = by_name("web");
    let tpl = select::pod_template(&doc, web, &[]).unwrap();
    assert_eq!(
        doc.to_value(tpl).unwrap()["spec"]["containers"][0]["name"],
        json!("web")
    );
    let p = by_name("p");
    assert_eq!(select::pod_template(&doc, p, &[]), Some(p.node));
    // A Rollout with workloadRef has no template to edit.
    assert_eq!(select::pod_template(&doc, by_name("r"), &[]), None);
    assert_eq!(select::pod_template(&doc, by_name("settings"), &[]), None);
}

#[test]
fn namespace_annotations_among_items() {
    let doc = Doc::parse(LIST, LIMITS).unwrap();
    let list = ResourceList::from_doc(&doc).unwrap();
    let ns = select::namespace_annotations(&doc, &list.items);
    // `bare` has no annotations; the first `shop` wins.
    assert_eq!(ns.len(), 1);
    let shop = select::annotation_map(&doc, ns["shop"]).unwrap();
    assert_eq!(
        select::annotation_text(&shop, ANNOTATION_INJECT_PYTHON),
        "obs/central"
    );
    // The pod says `true`, the namespace names an instance: the namespace wins.
    let web = &list.items[0];
    let tpl = select::pod_template(&doc, web, &[]).unwrap();
    let pod_meta = doc.path(tpl, &["metadata", "annotations"]).unwrap();
    let pod_ann = select::annotation_map(&doc, pod_meta).unwrap();
    let ns_ann = ns
        .get(select::effective_namespace(web.namespace.as_deref()))
        .map(|&n| select::annotation_map(&doc, n).unwrap());
    let value = annotation_value(ns_ann.as_ref(), &pod_ann, ANNOTATION_INJECT_PYTHON);
    assert_eq!(value, "obs/central");
    assert_eq!(
        inject_decision(&value),
        InjectDecision::Instance("obs/central".into())
    );
}

#[test]
fn effective_namespace_rule() {
    assert_eq!(select::effective_namespace(None), "default");
    assert_eq!(select::effective_namespace(Some("")), "default");
    assert_eq!(select::effective_namespace(Some("shop")), "shop");
}

// ------------------------------------------------ selector

fn labels(v: Value) -> Map<String, Value> {
    map(v)
}

fn expr(key: &str, operator: LabelOperator, values: &[&str]) -> LabelExpression {
    LabelExpression {
        key: key.into(),
        operator,
        values: strings(values),
    }
}

#[test]
fn empty_selector_matches_everything() {
    let sel = Selector::default();
    assert!(selector_matches(
        &sel,
        "Deployment",
        "web",
        None,
        &Map::new()
    ));
    assert!(selector_matches(
        &sel,
        "CronJob",
        "x",
        Some("shop"),
        &labels(json!({"a": "b"}))
    ));
    let empty_labels = Selector {
        labels: Some(LabelSelector::default()),
        ..Selector::default()
    };
    assert!(selector_matches(
        &empty_labels,
        "Pod",
        "p",
        None,
        &Map::new()
    ));
}

#[test]
fn kinds_names_namespaces_any_of() {
    let sel = Selector {
        kinds: strings(&["Deployment", "StatefulSet"]),
        names: strings(&["web", "api"]),
        namespaces: strings(&["shop"]),
        labels: None,
    };
    let none = Map::new();
    assert!(selector_matches(
        &sel,
        "Deployment",
        "web",
        Some("shop"),
        &none
    ));
    assert!(selector_matches(
        &sel,
        "StatefulSet",
        "api",
        Some("shop"),
        &none
    ));
    assert!(!selector_matches(
        &sel,
        "DaemonSet",
        "web",
        Some("shop"),
        &none
    ));
    assert!(!selector_matches(
        &sel,
        "deployment",
        "web",
        Some("shop"),
        &none
    ));
    assert!(!selector_matches(
        &sel,
        "Deployment",
        "worker",
        Some("shop"),
        &none
    ));
    assert!(!selector_matches(
        &sel,
        "Deployment",
        "web",
        Some("other"),
        &none
    ));
    // A workload without namespace: not in `shop`, and not in `default` either.
    assert!(!selector_matches(&sel, "Deployment", "web", None, &none));
    let dflt = Selector {
        namespaces: strings(&["default"]),
        ..Selector::default()
    };
    assert!(!selector_matches(&dflt, "Deployment", "web", None, &none));
    assert!(selector_matches(
        &dflt,
        "Deployment",
        "web",
        Some("default"),
        &none
    ));
    // ... unless the list names "no namespace" explicitly.
    let unset = Selector {
        namespaces: strings(&["", "shop"]),
        ..Selector::default()
    };
    assert!(selector_matches(&unset, "Deployment", "web", None, &none));
    assert!(selector_matches(
        &unset,
        "Deployment",
        "web",
        Some("shop"),
        &none
    ));
    // Empty lists match anything, namespace-less included.
    let kinds_only = Selector {
        kinds: strings(&["Deployment"]),
        ..Selector::default()
    };
    assert!(selector_matches(
        &kinds_only,
        "Deployment",
        "x",
        None,
        &none
    ));
}

#[test]
fn match_labels() {
    let sel = Selector {
        labels: Some(LabelSelector {
            match_labels: vec![
                ("app".into(), "web".into()),
                ("tier".into(), "front".into()),
            ],
            match_expressions: vec![],
        }),
        ..Selector::default()
    };
    let ok = labels(json!({"app": "web", "tier": "front", "extra": "x"}));
    assert!(selector_matches(&sel, "Deployment", "w", Some("s"), &ok));
    let wrong = labels(json!({"app": "web", "tier": "back"}));
    assert!(!selector_matches(
        &sel,
        "Deployment",
        "w",
        Some("s"),
        &wrong
    ));
    let missing = labels(json!({"app": "web"}));
    assert!(!selector_matches(
        &sel,
        "Deployment",
        "w",
        Some("s"),
        &missing
    ));
    assert!(!selector_matches(
        &sel,
        "Deployment",
        "w",
        Some("s"),
        &Map::new()
    ));
}

#[test]
fn match_expressions_kubernetes_semantics() {
    let one = |e: LabelExpression, l: Value| {
        let sel = LabelSelector {
            match_labels: vec![],
            match_expressions: vec![e],
        };
        select::label_selector_matches(&sel, &labels(l))
    };
    use LabelOperator::*;
    // In
    assert!(one(
        expr("env", In, &["prod", "stage"]),
        json!({"env": "prod"})
    ));
    assert!(!one(
        expr("env", In, &["prod", "stage"]),
        json!({"env": "dev"})
    ));
    assert!(!one(expr("env", In, &["prod"]), json!({})));
    // NotIn: absent key matches.
    assert!(one(expr("env", NotIn, &["prod"]), json!({"env": "dev"})));
    assert!(!one(expr("env", NotIn, &["prod"]), json!({"env": "prod"})));
    assert!(one(expr("env", NotIn, &["prod"]), json!({})));
    // Exists / DoesNotExist (values ignored).
    assert!(one(expr("env", Exists, &[]), json!({"env": ""})));
    assert!(!one(expr("env", Exists, &[]), json!({"other": "x"})));
    assert!(one(expr("env", DoesNotExist, &[]), json!({"other": "x"})));
    assert!(!one(expr("env", DoesNotExist, &[]), json!({"env": "x"})));
    // Unquoted scalars compare by their text.
    assert!(one(expr("version", In, &["1"]), json!({"version": 1})));
    assert!(one(expr("canary", In, &["true"]), json!({"canary": true})));
    assert!(one(expr("v", DoesNotExist, &[]), json!({"v": null})));
}

#[test]
fn labels_and_expressions_combined() {
    let sel = Selector {
        kinds: strings(&["Deployment"]),
        labels: Some(LabelSelector {
            match_labels: vec![("app".into(), "web".into())],
            match_expressions: vec![
                expr("env", LabelOperator::NotIn, &["dev"]),
                expr("team", LabelOperator::Exists, &[]),
            ],
        }),
        ..Selector::default()
    };
    let l = labels(json!({"app": "web", "env": "prod", "team": "a"}));
    assert!(selector_matches(&sel, "Deployment", "w", None, &l));
    let l = labels(json!({"app": "web", "team": "a"}));
    assert!(selector_matches(&sel, "Deployment", "w", None, &l));
    let l = labels(json!({"app": "web", "env": "dev", "team": "a"}));
    assert!(!selector_matches(&sel, "Deployment", "w", None, &l));
    let l = labels(json!({"app": "web", "env": "prod"}));
    assert!(!selector_matches(&sel, "Deployment", "w", None, &l));
    let l = labels(json!({"app": "web", "env": "prod", "team": "a"}));
    assert!(!selector_matches(&sel, "StatefulSet", "w", None, &l));
}
