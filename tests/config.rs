//! functionConfig: every accepted form, the operator webhook's defaults and
//! messages, schema violations and the ConfigMap key syntax, through the
//! library API (`Doc::parse` + `ResourceList::from_doc` + `config::read`).
//!
//! Expected values are written from the specs (product.md §2,
//! operator-python.md §5.2–§5.3, krm-conventions.md §3.5), not copied from
//! the code's output.

use inject_otel_python::config::{
    self, ConfigOutcome, DEFAULT_PYTHON_IMAGE, Django, FunctionConfig, Instrumentation,
    LabelExpression, LabelOperator, LabelSelector, Mode, Platform, Selector, Settings, Tls,
    WorkloadKind,
};
use inject_otel_python::krm::{FileRef, KrmResult, ResourceList, ResourceRef, Severity};
use inject_otel_python::yaml::{Doc, ParseLimits};
use serde_json::{Map, Value, json};

const LIMITS: ParseLimits = ParseLimits {
    max_depth: 128,
    max_alias_expansion: 1_000_000,
};

/// Reads the functionConfig of a whole ResourceList text.
fn read_list(src: &str) -> ConfigOutcome {
    let doc = Doc::parse(src, LIMITS).expect("valid YAML");
    let list = ResourceList::from_doc(&doc).expect("a ResourceList");
    config::read(&list)
}

/// Reads `function_config` (a YAML mapping, unindented) as the
/// functionConfig of an otherwise empty ResourceList.
fn read(function_config: &str) -> ConfigOutcome {
    let indented: String = function_config
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    read_list(&format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{indented}"
    ))
}

/// `(severity, field path, message)` of every result, sorted.
fn summary(outcome: &ConfigOutcome) -> Vec<(&'static str, String, String)> {
    let mut out: Vec<_> = outcome
        .results
        .iter()
        .map(|r| {
            (
                r.severity.as_str(),
                r.field.as_ref().map(|f| f.path.clone()).unwrap_or_default(),
                r.message.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `(severity, field path, message)` as written in a test.
type Expected = (&'static str, &'static str, &'static str);

fn expect(items: &[Expected]) -> Vec<(&'static str, String, String)> {
    let mut out: Vec<_> = items
        .iter()
        .map(|(s, f, m)| (*s, f.to_string(), m.to_string()))
        .collect();
    out.sort();
    out
}

fn default_resources() -> Map<String, Value> {
    obj(json!({
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "50m", "memory": "64Mi"}
    }))
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// An Instrumentation with only the webhook defaults.
fn defaulted() -> Instrumentation {
    Instrumentation {
        python_image: DEFAULT_PYTHON_IMAGE.to_string(),
        resource_requirements: default_resources(),
        ..Instrumentation::default()
    }
}

fn instrumentation(outcome: &ConfigOutcome) -> Instrumentation {
    outcome
        .config
        .as_ref()
        .expect("a config")
        .instrumentation
        .clone()
        .expect("an instrumentation")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------- no config

#[test]
fn absent_function_config_is_no_config() {
    let outcome = read_list("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n");
    assert_eq!(outcome.config, Some(FunctionConfig::default()));
    assert!(outcome.results.is_empty());
    assert_eq!(
        FunctionConfig::default(),
        FunctionConfig {
            settings: Settings::default(),
            instrumentation: None
        }
    );
}

#[test]
fn null_and_empty_function_config_are_no_config() {
    for fc in [
        "functionConfig:\n",
        "functionConfig: null\n",
        "functionConfig: {}\n",
    ] {
        let outcome = read_list(&format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n{fc}"
        ));
        assert_eq!(outcome.config, Some(FunctionConfig::default()), "{fc}");
        assert!(outcome.results.is_empty(), "{fc}");
    }
}

#[test]
fn what_kpt_fn_eval_sends_without_arguments_is_no_config() {
    // krm-conventions.md §3.5: `kpt fn eval --exec fn` with no `-- k=v`.
    let outcome = read_list(
        "apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  metadata:
    name: function-input
  data: {}
  kind: ConfigMap
  apiVersion: v1
",
    );
    assert_eq!(outcome.config, Some(FunctionConfig::default()));
    assert!(outcome.results.is_empty());
}

#[test]
fn configmap_without_data_is_no_config() {
    for cm in [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata: {}\n",
    ] {
        let outcome = read(cm);
        assert_eq!(outcome.config, Some(FunctionConfig::default()), "{cm}");
        assert!(outcome.results.is_empty(), "{cm}");
    }
}

// ------------------------------------------------------------- other kinds

#[test]
fn another_kind_is_an_error() {
    // `kpt fn eval -- SetStuff mode=identity` sends kind SetStuff.
    let outcome = read(
        "apiVersion: v1\nkind: SetStuff\nmetadata:\n  name: function-input\ndata: {mode: identity}\n",
    );
    assert_eq!(outcome.config, None);
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "error",
            "",
            "functionConfig must be an InjectOtelPython (fn.kpt.dev/v1alpha1), an Instrumentation (opentelemetry.io/v1alpha1) or a ConfigMap, but got v1/SetStuff"
        )])
    );
    let r = &outcome.results[0];
    assert_eq!(
        r.resource_ref,
        Some(ResourceRef {
            api_version: "v1".into(),
            kind: "SetStuff".into(),
            name: "function-input".into(),
            namespace: None
        })
    );
    assert!(r.field.is_none());
}

#[test]
fn wrong_versions_of_known_kinds_are_errors() {
    for (api, kind) in [
        ("opentelemetry.io/v1beta1", "Instrumentation"),
        ("fn.kpt.dev/v1", "InjectOtelPython"),
        ("apps/v1", "ConfigMap"),
    ] {
        let outcome = read(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\nspec: {{}}\n"
        ));
        assert_eq!(outcome.config, None);
        assert_eq!(outcome.results.len(), 1);
        assert!(
            outcome.results[0]
                .message
                .ends_with(&format!("but got {api}/{kind}")),
            "{}",
            outcome.results[0].message
        );
    }
}

#[test]
fn is_instrumentation_only_for_the_served_version() {
    assert!(config::is_instrumentation(
        "opentelemetry.io/v1alpha1",
        "Instrumentation"
    ));
    assert!(!config::is_instrumentation(
        "opentelemetry.io/v1beta1",
        "Instrumentation"
    ));
    assert!(!config::is_instrumentation(
        "opentelemetry.io/v1alpha1",
        "OpenTelemetryCollector"
    ));
}

// --------------------------------------------------------------- typed form

const PRODUCT_EXAMPLE: &str = r#"apiVersion: fn.kpt.dev/v1alpha1
kind: InjectOtelPython
metadata:
  name: otel-python
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  mode: check
  selector:
    kinds: [Deployment, StatefulSet]
    names: [web]
    namespaces: [shop]
    labels:
      matchLabels: {app: web, tier: frontend}
      matchExpressions:
      - {key: track, operator: NotIn, values: [canary]}
      - {key: team, operator: Exists}
  containerNames: [app]
  platform: auto
  django:
    settingsModule: shop.settings
    appRoot: /app
  workloads:
  - {apiVersion: argoproj.io/v1alpha1, kind: Rollout, podTemplatePath: spec.template}
  - {apiVersion: example.com/v1, kind: Runner}
  exporter:
    endpoint: "https://otel-collector.observability:4318"
    tls: {secretName: otel-tls, configMapName: otel-ca, ca_file: ca.crt, cert_file: tls.crt, key_file: tls.key}
  propagators: [tracecontext, baggage]
  sampler: {type: parentbased_traceidratio, argument: "0.25"}
  resource:
    resourceAttributes: {deployment.environment: prod, team: shop}
    addK8sUIDAttributes: true
  defaults: {useLabelsForResourceAttributes: true}
  env:
  - name: OTEL_LOG_LEVEL
    value: debug
  imagePullPolicy: IfNotPresent
  initContainerSecurityContext: {runAsNonRoot: true, runAsUser: 1000}
  python:
    image: ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.65b0
    env:
    - name: OTEL_METRICS_EXPORTER
      value: none
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    resourceRequirements:
      limits: {cpu: "1", memory: 512Mi}
      requests: {cpu: 100m, memory: 128Mi}
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
"#;

#[test]
fn typed_form_maps_every_field() {
    let outcome = read(PRODUCT_EXAMPLE);
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    let expected = FunctionConfig {
        settings: Settings {
            mode: Mode::Check,
            selector: Some(Selector {
                kinds: strings(&["Deployment", "StatefulSet"]),
                names: strings(&["web"]),
                namespaces: strings(&["shop"]),
                labels: Some(LabelSelector {
                    match_labels: vec![
                        ("app".into(), "web".into()),
                        ("tier".into(), "frontend".into()),
                    ],
                    match_expressions: vec![
                        LabelExpression {
                            key: "track".into(),
                            operator: LabelOperator::NotIn,
                            values: strings(&["canary"]),
                        },
                        LabelExpression {
                            key: "team".into(),
                            operator: LabelOperator::Exists,
                            values: vec![],
                        },
                    ],
                }),
            }),
            container_names: strings(&["app"]),
            platform: Some(Platform::Auto),
            django: Django {
                settings_module: Some("shop.settings".into()),
                app_root: Some("/app".into()),
            },
            workloads: vec![
                WorkloadKind {
                    api_version: "argoproj.io/v1alpha1".into(),
                    kind: "Rollout".into(),
                    pod_template_path: strings(&["spec", "template"]),
                },
                WorkloadKind {
                    api_version: "example.com/v1".into(),
                    kind: "Runner".into(),
                    pod_template_path: strings(&["spec", "template"]),
                },
            ],
        },
        instrumentation: Some(Instrumentation {
            origin: None,
            exporter_endpoint: "https://otel-collector.observability:4318".into(),
            tls: Some(Tls {
                secret_name: "otel-tls".into(),
                config_map_name: "otel-ca".into(),
                ca_file: "ca.crt".into(),
                cert_file: "tls.crt".into(),
                key_file: "tls.key".into(),
            }),
            propagators: strings(&["tracecontext", "baggage"]),
            sampler_type: "parentbased_traceidratio".into(),
            sampler_argument: "0.25".into(),
            resource_attributes: vec![
                ("deployment.environment".into(), "prod".into()),
                ("team".into(), "shop".into()),
            ],
            add_k8s_uid_attributes: true,
            use_labels_for_resource_attributes: true,
            env: vec![json!({"name": "OTEL_LOG_LEVEL", "value": "debug"})],
            image_pull_policy: Some("IfNotPresent".into()),
            init_container_security_context: Some(json!({"runAsNonRoot": true, "runAsUser": 1000})),
            python_image:
                "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.65b0"
                    .into(),
            python_env: vec![
                json!({"name": "OTEL_METRICS_EXPORTER", "value": "none"}),
                json!({"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}),
            ],
            resource_requirements: obj(json!({
                "limits": {"cpu": "1", "memory": "512Mi"},
                "requests": {"cpu": "100m", "memory": "128Mi"}
            })),
            volume_claim_template: Some(json!({
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            })),
            volume_limit_size: None,
        }),
    };
    assert_eq!(outcome.config, Some(expected));
}

#[test]
fn typed_form_without_spec_or_instrumentation_fields() {
    let outcome =
        read("apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: x\n");
    assert_eq!(outcome.config, Some(FunctionConfig::default()));
    assert!(outcome.results.is_empty());

    // Only the function's own fields: the Instrumentation objects among the
    // items stay the configurations (no webhook defaults, no sampler warning).
    let outcome = read(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: x\nspec:\n  mode: remove\n  selector: {}\n  platform: musl\n",
    );
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    assert_eq!(
        outcome.config,
        Some(FunctionConfig {
            settings: Settings {
                mode: Mode::Remove,
                selector: Some(Selector::default()),
                platform: Some(Platform::Musl),
                ..Settings::default()
            },
            instrumentation: None,
        })
    );
}

#[test]
fn typed_form_nulls_are_absent_fields() {
    let outcome = read(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: x\nspec:\n  selector:\n  sampler: {type: always_on, argument: null}\n  python:\n    image: ~\n",
    );
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    let config = outcome.config.expect("config");
    assert_eq!(config.settings.selector, None);
    assert_eq!(
        config.instrumentation,
        Some(Instrumentation {
            sampler_type: "always_on".into(),
            ..defaulted()
        })
    );
}

// ------------------------------------------------------------------ defaults

fn typed_python(python: &str) -> ConfigOutcome {
    read(&format!(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: x\nspec:\n  sampler: {{type: always_on}}\n  python:\n{}",
        python
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    ))
}

#[test]
fn webhook_defaults_image_and_resources() {
    let outcome = typed_python("env: []");
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    let inst = instrumentation(&outcome);
    assert_eq!(
        inst.python_image,
        "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.64b0"
    );
    assert_eq!(
        Value::Object(inst.resource_requirements),
        json!({
            "limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"cpu": "50m", "memory": "64Mi"}
        })
    );
    // The volume default (200Mi) is applied at injection time, not here.
    assert_eq!(inst.volume_limit_size, None);
    assert_eq!(inst.volume_claim_template, None);

    // An empty image is defaulted too.
    let inst = instrumentation(&typed_python("image: \"\""));
    assert_eq!(inst.python_image, DEFAULT_PYTHON_IMAGE);
}

#[test]
fn limits_and_requests_are_defaulted_independently() {
    // Only limits given: requests keep the default (64Mi > 32Mi: the
    // operator does the same, operator-python.md §5.3).
    let inst = instrumentation(&typed_python(
        "resourceRequirements:\n  limits: {cpu: 200m, memory: 32Mi}",
    ));
    assert_eq!(
        Value::Object(inst.resource_requirements),
        json!({
            "limits": {"cpu": "200m", "memory": "32Mi"},
            "requests": {"cpu": "50m", "memory": "64Mi"}
        })
    );
    // Only requests given: limits default; the operator's order (limits,
    // requests) is kept.
    let inst = instrumentation(&typed_python(
        "resourceRequirements:\n  requests: {memory: 100Mi}",
    ));
    let rr = inst.resource_requirements;
    assert_eq!(rr.keys().collect::<Vec<_>>(), ["limits", "requests"]);
    assert_eq!(
        Value::Object(rr),
        json!({
            "limits": {"cpu": "500m", "memory": "256Mi"},
            "requests": {"memory": "100Mi"}
        })
    );
    // An explicit empty map is not nil in Go: it is kept.
    let inst = instrumentation(&typed_python("resourceRequirements:\n  limits: {}"));
    assert_eq!(
        Value::Object(inst.resource_requirements),
        json!({"limits": {}, "requests": {"cpu": "50m", "memory": "64Mi"}})
    );
    // A null map is nil: defaulted.
    let inst = instrumentation(&typed_python(
        "resourceRequirements:\n  limits:\n  requests: {cpu: 10m}",
    ));
    assert_eq!(
        Value::Object(inst.resource_requirements),
        json!({"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "10m"}})
    );
}

// ------------------------------------------------------- Instrumentation form

const INSTRUMENTATION: &str = r#"apiVersion: opentelemetry.io/v1alpha1
kind: Instrumentation
metadata:
  name: python
  namespace: observability
  annotations:
    config.kubernetes.io/local-config: "true"
    config.kubernetes.io/index: '0'
    config.kubernetes.io/path: 'fn-config.yaml'
    internal.config.kubernetes.io/index: '0'
    internal.config.kubernetes.io/path: 'fn-config.yaml'
spec:
  exporter:
    endpoint: http://otel-collector:4318
  propagators: [b3, jaeger]
  sampler:
    type: traceidratio
    argument: "0.5"
  java:
    image: java-image:1
    resources: {limits: {memory: 1Gi}}
  nodejs: {image: node-image:1}
  python:
    env:
    - {name: OTEL_LOGS_EXPORTER, value: otlp}
status: {}
"#;

#[test]
fn instrumentation_form_is_used_as_is_with_defaults() {
    let outcome = read(INSTRUMENTATION);
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    assert_eq!(
        outcome.config,
        Some(FunctionConfig {
            settings: Settings::default(),
            instrumentation: Some(Instrumentation {
                origin: Some((Some("observability".into()), "python".into())),
                exporter_endpoint: "http://otel-collector:4318".into(),
                propagators: strings(&["b3", "jaeger"]),
                sampler_type: "traceidratio".into(),
                sampler_argument: "0.5".into(),
                python_env: vec![json!({"name": "OTEL_LOGS_EXPORTER", "value": "otlp"})],
                ..defaulted()
            }),
        })
    );
}

#[test]
fn instrumentation_without_spec_gets_defaults_and_the_sampler_warning() {
    let outcome = read(
        "apiVersion: opentelemetry.io/v1alpha1\nkind: Instrumentation\nmetadata:\n  name: bare\n",
    );
    assert_eq!(
        summary(&outcome),
        expect(&[("warning", "spec.sampler.type", "sampler type not set")])
    );
    assert_eq!(
        instrumentation(&outcome),
        Instrumentation {
            origin: Some((None, "bare".into())),
            ..defaulted()
        }
    );
}

#[test]
fn instrumentation_results_point_at_the_object_and_its_file() {
    let outcome = read(&INSTRUMENTATION.replace("argument: \"0.5\"", "argument: \"5\""));
    assert_eq!(outcome.config, None);
    assert_eq!(
        outcome.results,
        vec![
            KrmResult::new(
                Severity::Error,
                "spec.sampler.argument should be in rage [0..1]: 5"
            )
            .field("spec.sampler.argument")
        ]
        .into_iter()
        .map(|r| KrmResult {
            resource_ref: Some(ResourceRef {
                api_version: "opentelemetry.io/v1alpha1".into(),
                kind: "Instrumentation".into(),
                name: "python".into(),
                namespace: Some("observability".into()),
            }),
            file: Some(FileRef {
                path: "fn-config.yaml".into(),
                index: Some(0),
            }),
            ..r
        })
        .collect::<Vec<_>>()
    );
}

#[test]
fn instrumentation_unknown_python_field_is_an_error() {
    // A common mistake: the key is resourceRequirements (operator-python.md §5.1).
    let outcome = read(
        "apiVersion: opentelemetry.io/v1alpha1\nkind: Instrumentation\nmetadata:\n  name: i\nspec:\n  sampler: {type: always_on}\n  python:\n    resources: {limits: {cpu: 100m}}\n",
    );
    assert_eq!(outcome.config, None);
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "error",
            "spec.python.resources",
            "unknown field \"resources\"; valid fields: env, image, resourceRequirements, volumeClaimTemplate, volumeLimitSize"
        )])
    );
}

#[test]
fn instrumentation_objects_among_the_items() {
    let src = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: opentelemetry.io/v1alpha1
  kind: Instrumentation
  metadata:
    name: good
    namespace: shop
    annotations: {config.kubernetes.io/path: 'otel.yaml', config.kubernetes.io/index: '1'}
  spec:
    sampler: {type: parentbased_always_on}
    python: {image: "my/python:1"}
- apiVersion: opentelemetry.io/v1alpha1
  kind: Instrumentation
  metadata:
    name: bad
  spec:
    sampler: {type: jaeger_remote, argument: "endpoint=,pollingIntervalMs=5000"}
"#;
    let doc = Doc::parse(src, LIMITS).expect("yaml");
    let list = ResourceList::from_doc(&doc).expect("list");
    let good = &list.items[0];
    assert!(config::is_instrumentation(&good.api_version, &good.kind));
    let (inst, results) = config::instrumentation_from_object(&doc, good.node, good);
    assert!(results.is_empty(), "{results:?}");
    assert_eq!(
        inst,
        Some(Instrumentation {
            origin: Some((Some("shop".into()), "good".into())),
            sampler_type: "parentbased_always_on".into(),
            python_image: "my/python:1".into(),
            ..defaulted()
        })
    );

    let bad = &list.items[1];
    let (inst, results) = config::instrumentation_from_object(&doc, bad.node, bad);
    assert_eq!(inst, None);
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r.severity, Severity::Error);
    assert_eq!(
        r.message,
        "spec.sampler.argument is not a valid argument for sampler jaeger_remote: endpoint cannot be empty"
    );
    assert_eq!(
        r.field.as_ref().map(|f| f.path.as_str()),
        Some("spec.sampler.argument")
    );
    assert_eq!(
        r.resource_ref,
        Some(ResourceRef {
            api_version: "opentelemetry.io/v1alpha1".into(),
            kind: "Instrumentation".into(),
            name: "bad".into(),
            namespace: None
        })
    );
    assert_eq!(r.file, None);
}

// --------------------------------------------------- webhook messages, exact

fn inst_spec(spec: &str) -> ConfigOutcome {
    read(&format!(
        "apiVersion: opentelemetry.io/v1alpha1\nkind: Instrumentation\nmetadata:\n  name: i\nspec:\n{}",
        spec.lines().map(|l| format!("  {l}\n")).collect::<String>()
    ))
}

fn typed_spec(spec: &str) -> ConfigOutcome {
    read(&format!(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: t\nspec:\n{}",
        spec.lines().map(|l| format!("  {l}\n")).collect::<String>()
    ))
}

#[test]
fn sampler_messages() {
    let cases: &[(&str, &[Expected])] = &[
        (
            "sampler: {type: traceidratio, argument: abc}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a number: abc",
            )],
        ),
        (
            "sampler: {type: parentbased_traceidratio, argument: \"1.99\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument should be in rage [0..1]: 1.99",
            )],
        ),
        (
            "sampler: {type: traceidratio, argument: \"-0.1\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument should be in rage [0..1]: -0.1",
            )],
        ),
        (
            "sampler: {type: parentbased_traceidratio, argument: \"0.99\"}",
            &[],
        ),
        ("sampler: {type: parentbased_traceidratio}", &[]),
        ("sampler: {type: traceidratio, argument: \"1\"}", &[]),
        (
            "sampler: {type: jaeger_remote, argument: \"endpoint=http://jaeger:14250,pollingIntervalMs=5000,initialSamplingRate=0.25\"}",
            &[],
        ),
        (
            "sampler: {type: jaeger_remote, argument: \"endpoint=http://jaeger:14250,pollingIntervalMs=5s\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a valid argument for sampler jaeger_remote: invalid pollingIntervalMs: 5s",
            )],
        ),
        (
            "sampler: {type: jaeger_remote, argument: \"initialSamplingRate=2\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a valid argument for sampler jaeger_remote: initialSamplingRate should be in rage [0..1]: 2",
            )],
        ),
        (
            "sampler: {type: jaeger_remote, argument: \"initialSamplingRate=often\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a valid argument for sampler jaeger_remote: invalid initialSamplingRate: often",
            )],
        ),
        (
            "sampler: {type: jaeger_remote, argument: \"endpoint\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a valid argument for sampler jaeger_remote: invalid argument: endpoint, the argument should be in the form of key=value",
            )],
        ),
        (
            "sampler: {type: parentbased_jaeger_remote, argument: \"endpoint=\"}",
            &[(
                "error",
                "spec.sampler.argument",
                "spec.sampler.argument is not a valid argument for sampler parentbased_jaeger_remote: endpoint cannot be empty",
            )],
        ),
        (
            "sampler: {type: fancy}",
            &[(
                "error",
                "spec.sampler.type",
                "spec.sampler.type is not valid: fancy",
            )],
        ),
        ("sampler: {type: xray}", &[]),
        ("sampler: {type: always_off, argument: ignored}", &[]),
        (
            "sampler: {argument: \"0.5\"}",
            &[("warning", "spec.sampler.type", "sampler type not set")],
        ),
    ];
    for (spec, expected) in cases {
        let outcome = inst_spec(spec);
        assert_eq!(summary(&outcome), expect(expected), "{spec}");
        let has_error = expected.iter().any(|(s, _, _)| *s == "error");
        assert_eq!(outcome.config.is_none(), has_error, "{spec}");
    }
}

#[test]
fn the_typed_form_applies_the_same_sampler_rules() {
    let outcome = typed_spec("sampler: {type: traceidratio, argument: \"1.5\"}");
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "error",
            "spec.sampler.argument",
            "spec.sampler.argument should be in rage [0..1]: 1.5"
        )])
    );
    assert_eq!(outcome.config, None);
    // Shared fields without a sampler: the SDK default, no warning in the
    // function's own config (the webhook warns only on Instrumentation objects).
    let outcome = typed_spec("python: {image: \"x:1\"}");
    assert_eq!(summary(&outcome), expect(&[]));
    assert!(outcome.config.is_some());
}

#[test]
fn volume_messages() {
    let outcome = inst_spec(
        "sampler: {type: always_on}\npython:\n  volumeLimitSize: 500Mi\n  volumeClaimTemplate:\n    spec: {accessModes: [ReadWriteOnce]}",
    );
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "error",
                "spec.python.volumeLimitSize",
                "spec.python.volumeClaimTemplate and spec.python.volumeSizeLimit cannot both be defined: unable to resolve volume size"
            ),
            (
                "warning",
                "spec.python.volumeLimitSize",
                "spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead"
            ),
        ])
    );
    assert_eq!(outcome.config, None);

    // The size alone: only the deprecation warning, and the size is kept.
    let outcome = inst_spec("sampler: {type: always_on}\npython:\n  volumeLimitSize: 500Mi");
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "warning",
            "spec.python.volumeLimitSize",
            "spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead"
        )])
    );
    assert_eq!(
        instrumentation(&outcome).volume_limit_size.as_deref(),
        Some("500Mi")
    );

    // An empty template is Go's zero value: no conflict, and no template.
    let outcome = inst_spec(
        "sampler: {type: always_on}\npython:\n  volumeLimitSize: 1Gi\n  volumeClaimTemplate: {spec: {}}",
    );
    assert_eq!(outcome.results.len(), 1, "{:?}", outcome.results);
    assert_eq!(outcome.results[0].severity, Severity::Warning);
    assert_eq!(instrumentation(&outcome).volume_claim_template, None);
}

#[test]
fn exporter_tls_warnings() {
    let cases: &[(&str, &[Expected])] = &[
        (
            "exporter: {endpoint: \"https://collector:4317\", tls: {cert_file: cert}}",
            &[(
                "warning",
                "spec.exporter.tls.key_file",
                "both exporter.tls.key and exporter.tls.cert mut be set",
            )],
        ),
        (
            "exporter: {endpoint: \"https://collector:4317\", tls: {key_file: key}}",
            &[(
                "warning",
                "spec.exporter.tls.cert_file",
                "both exporter.tls.key and exporter.tls.cert mut be set",
            )],
        ),
        (
            "exporter: {endpoint: \"http://collector:4317\", tls: {key_file: key, cert_file: cert}}",
            &[(
                "warning",
                "spec.exporter.endpoint",
                "exporter.tls is configured but exporter.endpoint is not enabling TLS with https://",
            )],
        ),
        (
            "exporter: {endpoint: \"https://collector:4317\"}",
            &[(
                "warning",
                "spec.exporter.endpoint",
                "exporter is using https:// but exporter.tls is unset",
            )],
        ),
        (
            "exporter: {endpoint: \"https://collector:4317\", tls: {ca_file: ca.crt, configMapName: ca}}",
            &[],
        ),
        ("exporter: {endpoint: \"http://collector:4318\"}", &[]),
    ];
    for (exporter, expected) in cases {
        let outcome = inst_spec(&format!("sampler: {{type: always_on}}\n{exporter}"));
        assert_eq!(summary(&outcome), expect(expected), "{exporter}");
        // Warnings only: the config is usable.
        assert!(outcome.config.is_some(), "{exporter}");
    }
}

// --------------------------------------------------------- schema violations

#[test]
fn every_schema_violation_is_reported_with_its_field() {
    let outcome = read(
        r#"apiVersion: fn.kpt.dev/v1alpha1
kind: InjectOtelPython
metadata:
  name: otel-python
  namespace: shop
  annotations:
    config.kubernetes.io/path: 'fn-config.yaml'
    config.kubernetes.io/index: '2'
spec:
  mode: loose
  platform: windows
  colour: blue
  propagators: [tracecontext, zipkin]
  sampler: {type: sometimes, argument: 0.25}
  resource:
    resourceAttributes: {team: shop, replicas: 3}
  python:
    image: 5
    env:
    - value: "1"
    volumeLimitSize: lots
  django: {settingsModule: "shop/settings"}
  workloads:
  - {apiVersion: "", kind: Rollout}
"#,
    );
    assert_eq!(outcome.config, None);
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "error",
                "spec.mode",
                r#""loose" is not one of the allowed values: inject, remove, check"#
            ),
            (
                "error",
                "spec.platform",
                r#""windows" is not one of the allowed values: glibc, musl, auto"#
            ),
            (
                "error",
                "spec.colour",
                r#"unknown field "colour"; valid fields: containerNames, defaults, django, env, exporter, imagePullPolicy, initContainerSecurityContext, mode, platform, propagators, python, resource, sampler, selector, workloads"#
            ),
            (
                "error",
                "spec.propagators[1]",
                r#""zipkin" is not one of the allowed values: tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none"#
            ),
            (
                "error",
                "spec.sampler.type",
                r#""sometimes" is not one of the allowed values: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, jaeger_remote, xray"#
            ),
            (
                "error",
                "spec.sampler.argument",
                r#"must be a string, but is the number 0.25 (quote it: "0.25")"#
            ),
            (
                "error",
                "spec.resource.resourceAttributes.replicas",
                r#"must be a string, but is the number 3 (quote it: "3")"#
            ),
            (
                "error",
                "spec.python.image",
                r#"must be a string, but is the number 5 (quote it: "5")"#
            ),
            ("error", "spec.python.env[0].name", "is required"),
            (
                "error",
                "spec.python.volumeLimitSize",
                r#""lots" is not a Kubernetes quantity (such as 200Mi, 1Gi, 500m or 2)"#
            ),
            (
                "error",
                "spec.django.settingsModule",
                r#""shop/settings" is not a dotted Python module name (such as shop.settings)"#
            ),
            ("error", "spec.workloads[0].apiVersion", "must not be empty"),
            // The webhook's own message for the deprecated size still shows.
            (
                "warning",
                "spec.python.volumeLimitSize",
                "spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead"
            ),
        ])
    );
    // Every result points at the config object and its file.
    for r in &outcome.results {
        assert_eq!(
            r.resource_ref,
            Some(ResourceRef {
                api_version: "fn.kpt.dev/v1alpha1".into(),
                kind: "InjectOtelPython".into(),
                name: "otel-python".into(),
                namespace: Some("shop".into()),
            })
        );
        assert_eq!(
            r.file,
            Some(FileRef {
                path: "fn-config.yaml".into(),
                index: Some(2)
            })
        );
    }
    // The offending value is the result's currentValue.
    let mode = outcome
        .results
        .iter()
        .find(|r| r.field.as_ref().is_some_and(|f| f.path == "spec.mode"))
        .expect("mode result");
    assert_eq!(
        mode.field.as_ref().and_then(|f| f.current_value.clone()),
        Some(json!("loose"))
    );
}

#[test]
fn wrong_shapes_and_unknown_top_level_fields() {
    let outcome = read(
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: InjectOtelPython\nmetadata:\n  name: t\nsepc: {}\nspec:\n  selector: [Deployment]\n  containerNames: app\n  resource: {addK8sUIDAttributes: \"yes\"}\n",
    );
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "error",
                "sepc",
                r#"unknown field "sepc"; valid fields: apiVersion, kind, metadata, spec"#
            ),
            ("error", "spec.selector", "must be an object, but is a list"),
            (
                "error",
                "spec.containerNames",
                r#"must be a list, but is the string "app""#
            ),
            (
                "error",
                "spec.resource.addK8sUIDAttributes",
                r#"must be a boolean (true or false), but is the string "yes""#
            ),
        ])
    );
}

#[test]
fn semantic_rules_the_schema_cannot_express() {
    let outcome = typed_spec(
        "selector:\n  labels:\n    matchExpressions:\n    - {key: a, operator: In}\n    - {key: b, operator: NotIn, values: []}\n    - {key: c, operator: Exists, values: [x]}\n    - {key: d, operator: Sometimes}\nenv:\n- {name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n- {name: B, value: \"\", valueFrom: {fieldRef: {fieldPath: metadata.name}}}\nsampler: {type: always_on}",
    );
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "error",
                "spec.selector.labels.matchExpressions[0].values",
                "must be given (and not empty) when operator is In"
            ),
            (
                "error",
                "spec.selector.labels.matchExpressions[1].values",
                "must be given (and not empty) when operator is NotIn"
            ),
            (
                "error",
                "spec.selector.labels.matchExpressions[2].values",
                "must be empty when operator is Exists"
            ),
            (
                "error",
                "spec.selector.labels.matchExpressions[3].operator",
                r#""Sometimes" is not one of the allowed values: In, NotIn, Exists, DoesNotExist"#
            ),
            (
                "error",
                "spec.env[0].valueFrom",
                "may not be given when value is not empty"
            ),
        ])
    );
}

// ------------------------------------------------------------ ConfigMap form

fn configmap(data: &str) -> ConfigOutcome {
    read(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\ndata:\n{}",
        data.lines().map(|l| format!("  {l}\n")).collect::<String>()
    ))
}

#[test]
fn configmap_lists_maps_and_booleans() {
    let outcome = configmap(
        r#"mode: check
platform: musl
containerNames: "app, worker"
selector.kinds: Deployment,StatefulSet
selector.names: web
selector.namespaces: ""
selector.labels.matchLabels: "app=web, tier=frontend"
django.settingsModule: shop.settings
django.appRoot: /srv/app
workloads: argoproj.io/v1alpha1/Rollout=spec.template,example.com/v1/Runner
exporter.endpoint: http://otel-collector:4318
exporter.tls.secretName: otel-tls
exporter.tls.configMapName: otel-ca
exporter.tls.ca_file: ca.crt
exporter.tls.cert_file: tls.crt
exporter.tls.key_file: tls.key
propagators: tracecontext,baggage,b3
sampler.type: parentbased_traceidratio
sampler.argument: "0.25"
resource.resourceAttributes: deployment.environment=prod,team=shop
resource.addK8sUIDAttributes: "true"
defaults.useLabelsForResourceAttributes: "false"
env: OTEL_LOG_LEVEL=debug
imagePullPolicy: Always
python.image: my/python:2
python.env: OTEL_METRICS_EXPORTER=none,OTEL_LOGS_EXPORTER=otlp
python.resourceRequirements.limits: cpu=1,memory=512Mi
python.volumeLimitSize: 300Mi"#,
    );
    // Warnings only: TLS on http://, and the deprecated size.
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "warning",
                "data.exporter.endpoint",
                "exporter.tls is configured but exporter.endpoint is not enabling TLS with https://"
            ),
            (
                "warning",
                "data.python.volumeLimitSize",
                "spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead"
            ),
        ])
    );
    assert_eq!(
        outcome.config,
        Some(FunctionConfig {
            settings: Settings {
                mode: Mode::Check,
                selector: Some(Selector {
                    kinds: strings(&["Deployment", "StatefulSet"]),
                    names: strings(&["web"]),
                    namespaces: vec![],
                    labels: Some(LabelSelector {
                        match_labels: vec![
                            ("app".into(), "web".into()),
                            ("tier".into(), "frontend".into())
                        ],
                        match_expressions: vec![],
                    }),
                }),
                container_names: strings(&["app", "worker"]),
                platform: Some(Platform::Musl),
                django: Django {
                    settings_module: Some("shop.settings".into()),
                    app_root: Some("/srv/app".into()),
                },
                workloads: vec![
                    WorkloadKind {
                        api_version: "argoproj.io/v1alpha1".into(),
                        kind: "Rollout".into(),
                        pod_template_path: strings(&["spec", "template"]),
                    },
                    WorkloadKind {
                        api_version: "example.com/v1".into(),
                        kind: "Runner".into(),
                        pod_template_path: strings(&["spec", "template"]),
                    },
                ],
            },
            instrumentation: Some(Instrumentation {
                origin: None,
                exporter_endpoint: "http://otel-collector:4318".into(),
                tls: Some(Tls {
                    secret_name: "otel-tls".into(),
                    config_map_name: "otel-ca".into(),
                    ca_file: "ca.crt".into(),
                    cert_file: "tls.crt".into(),
                    key_file: "tls.key".into(),
                }),
                propagators: strings(&["tracecontext", "baggage", "b3"]),
                sampler_type: "parentbased_traceidratio".into(),
                sampler_argument: "0.25".into(),
                resource_attributes: vec![
                    ("deployment.environment".into(), "prod".into()),
                    ("team".into(), "shop".into()),
                ],
                add_k8s_uid_attributes: true,
                use_labels_for_resource_attributes: false,
                env: vec![json!({"name": "OTEL_LOG_LEVEL", "value": "debug"})],
                image_pull_policy: Some("Always".into()),
                init_container_security_context: None,
                python_image: "my/python:2".into(),
                python_env: vec![
                    json!({"name": "OTEL_METRICS_EXPORTER", "value": "none"}),
                    json!({"name": "OTEL_LOGS_EXPORTER", "value": "otlp"}),
                ],
                resource_requirements: obj(json!({
                    "limits": {"cpu": "1", "memory": "512Mi"},
                    "requests": {"cpu": "50m", "memory": "64Mi"}
                })),
                volume_claim_template: None,
                volume_limit_size: Some("300Mi".into()),
            }),
        })
    );
}

#[test]
fn configmap_as_kpt_sends_it() {
    // `kpt fn eval -- python.image=... sampler.type=always_on`: flow style,
    // keys in kpt's order.
    let outcome = read_list(
        "apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  metadata:
    name: function-input
  data: {python.image: 'my/python:3', sampler.type: always_on, platform: glibc}
  kind: ConfigMap
  apiVersion: v1
",
    );
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    let config = outcome.config.expect("config");
    assert_eq!(config.settings.platform, Some(Platform::Glibc));
    assert_eq!(
        config.instrumentation,
        Some(Instrumentation {
            sampler_type: "always_on".into(),
            python_image: "my/python:3".into(),
            ..defaulted()
        })
    );
}

#[test]
fn configmap_with_only_function_settings_has_no_instrumentation() {
    let outcome = configmap("mode: remove");
    assert!(outcome.results.is_empty());
    assert_eq!(
        outcome.config,
        Some(FunctionConfig {
            settings: Settings {
                mode: Mode::Remove,
                ..Settings::default()
            },
            instrumentation: None,
        })
    );
}

#[test]
fn configmap_unknown_key_lists_the_valid_keys() {
    let outcome = configmap("python.imag: x\nmode: check");
    assert_eq!(outcome.config, None);
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "error",
            "data.python.imag",
            "unknown key \"python.imag\"; valid keys: containerNames, defaults.useLabelsForResourceAttributes, django.appRoot, django.settingsModule, env, exporter.endpoint, exporter.tls.ca_file, exporter.tls.cert_file, exporter.tls.configMapName, exporter.tls.key_file, exporter.tls.secretName, imagePullPolicy, mode, platform, propagators, python.env, python.image, python.resourceRequirements.limits, python.resourceRequirements.requests, python.volumeLimitSize, resource.addK8sUIDAttributes, resource.resourceAttributes, sampler.argument, sampler.type, selector.kinds, selector.labels.matchLabels, selector.names, selector.namespaces, workloads"
        )])
    );
    assert_eq!(config::configmap_keys().len(), 29);
}

#[test]
fn configmap_problems_point_at_the_data_key() {
    let outcome = configmap(
        "sampler.type: traceidratio\nsampler.argument: \"2\"\nmode: loose\npropagators: tracecontext,zipkin\nresource.addK8sUIDAttributes: \"yes\"\nresource.resourceAttributes: team=shop,oops\nexporter.endpoint: https://collector:4318",
    );
    assert_eq!(outcome.config, None);
    assert_eq!(
        summary(&outcome),
        expect(&[
            (
                "error",
                "data.sampler.argument",
                "spec.sampler.argument should be in rage [0..1]: 2"
            ),
            (
                "error",
                "data.mode",
                r#""loose" is not one of the allowed values: inject, remove, check"#
            ),
            (
                "error",
                "data.propagators",
                r#""zipkin" is not one of the allowed values: tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none"#
            ),
            (
                "error",
                "data.resource.addK8sUIDAttributes",
                r#"must be a boolean (true or false), but is the string "yes""#
            ),
            (
                "error",
                "data.resource.resourceAttributes",
                r#"expected KEY=VALUE pairs separated by commas, but "oops" has no '='"#
            ),
            (
                "warning",
                "data.exporter.endpoint",
                "exporter is using https:// but exporter.tls is unset"
            ),
        ])
    );
    for r in &outcome.results {
        assert_eq!(
            r.resource_ref,
            Some(ResourceRef {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                name: "function-input".into(),
                namespace: None,
            })
        );
    }
}

#[test]
fn configmap_without_sampler_has_no_warning() {
    let outcome = configmap("python.image: my/python:1");
    assert_eq!(summary(&outcome), expect(&[]));
    assert!(outcome.config.is_some());
}

#[test]
fn configmap_values_that_are_not_strings() {
    // Unquoted YAML scalars are read as their text (kpt quotes them, but a
    // hand-written ConfigMap may not).
    let outcome = configmap(
        "resource.addK8sUIDAttributes: true\nsampler.type: traceidratio\nsampler.argument: 0.50",
    );
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
    let inst = instrumentation(&outcome);
    assert!(inst.add_k8s_uid_attributes);
    assert_eq!(inst.sampler_argument, "0.50");

    let outcome = configmap("propagators: [b3, jaeger]");
    assert_eq!(
        summary(&outcome),
        expect(&[(
            "error",
            "data.propagators",
            "must be a string, not a list or mapping"
        )])
    );
}

// ------------------------------------------------------------------- schema

#[test]
fn committed_schema_matches_the_types() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/functions/inject-otel-python/schema.json"
    );
    let generated = config::schema_json();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema");
    }
    let committed =
        std::fs::read_to_string(path).expect("functions/inject-otel-python/schema.json");
    assert!(
        committed == generated,
        "the committed schema differs from the types; review and regenerate with UPDATE_SCHEMA=1 cargo test --test config"
    );
}

#[test]
fn schema_carries_the_operator_enums_and_is_closed() {
    let schema = config::schema();
    let at = |p: &str| schema.pointer(p).cloned().unwrap_or(Value::Null);
    assert_eq!(
        at("/$schema"),
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert_eq!(
        at("/$defs/SamplerType/enum"),
        json!([
            "always_on",
            "always_off",
            "traceidratio",
            "parentbased_always_on",
            "parentbased_always_off",
            "parentbased_traceidratio",
            "jaeger_remote",
            "xray"
        ])
    );
    assert_eq!(
        at("/$defs/Propagator/enum"),
        json!([
            "tracecontext",
            "baggage",
            "b3",
            "b3multi",
            "jaeger",
            "xray",
            "ottrace",
            "none"
        ])
    );
    assert_eq!(
        at("/$defs/ImagePullPolicy/enum"),
        json!(["Always", "Never", "IfNotPresent"])
    );
    assert_eq!(at("/$defs/Mode/enum"), json!(["inject", "remove", "check"]));
    assert_eq!(at("/$defs/Platform/enum"), json!(["glibc", "musl", "auto"]));
    assert_eq!(
        at("/$defs/LabelOperator/enum"),
        json!(["In", "NotIn", "Exists", "DoesNotExist"])
    );
    assert_eq!(
        at("/$defs/Tls/properties")
            .as_object()
            .map(|p| p.keys().cloned().collect::<Vec<_>>()),
        Some(strings(&[
            "secretName",
            "configMapName",
            "ca_file",
            "cert_file",
            "key_file"
        ]))
    );
    assert_eq!(at("/$defs/EnvVar/required"), json!(["name"]));
    assert_eq!(at("/required"), json!(["apiVersion", "kind"]));
    // Every object with declared properties rejects unknown ones, and no
    // field accepts null (null means absent and is removed first).
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties") {
                    assert_eq!(m.get("additionalProperties"), Some(&json!(false)), "{path}");
                }
                assert!(!m.contains_key("anyOf"), "{path}");
                if let Some(t) = m.get("type") {
                    assert!(!t.to_string().contains("null"), "{path}");
                }
                for (k, v) in m {
                    walk(v, &format!("{path}/{k}"));
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, path)),
            _ => {}
        }
    }
    walk(&schema, "");
    // Descriptions come from the doc comments.
    assert!(
        at("/$defs/InjectOtelPythonSpec/properties/python/description")
            .as_str()
            .is_some_and(|d| d.contains("spec.python"))
    );
}
