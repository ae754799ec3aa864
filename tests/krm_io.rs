//! ResourceList input and output through the real binaries: envelopes,
//! functionConfig forms, JSON, annotations, results, exit codes, stderr.

mod support;

use support::run::{bin, probe, run};

/// A kpt-style item with comments, quoting, flow style and every kind of
/// orchestrator annotation.
const DEPLOYMENT: &str = r#"- # the web tier
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web   # keep this name
    namespace: shop
    labels: {app: web, tier: "frontend"}
    annotations:
      config.kubernetes.io/index: '0'
      config.kubernetes.io/path: 'deploy/web.yaml'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'deploy/web.yaml'
      internal.config.kubernetes.io/id: '7'
      config.k8s.io/id: '7'
      internal.config.kubernetes.io/seqindent: 'compact'
      internal.config.kubernetes.io/package-path: '/tmp/pkg'
      internal.config.kubernetes.io/annotations-migration-resource-id: '1'
      internal.config.k8s.io/kpt-resource-id: '3'
      kustomize.config.k8s.io/id: |
        group: apps
        kind: Deployment
        name: web
        namespace: shop
        version: v1
  spec:
    replicas: 2
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: app
          image: 'registry.example.com/shop/web:1.4.2'
          args: ["--port", "8080"]
          env:
          - name: MODE
            value: "yes"   # a YAML 1.1 bool if unquoted
"#;

const SERVICE: &str = r#"- apiVersion: v1
  kind: Service
  metadata:
    name: web
    annotations:
      config.kubernetes.io/path: 'deploy/svc.yaml'
      config.kubernetes.io/index: '1'
  spec:
    ports:
    - port: 80   # http
"#;

fn list(api_version: &str, kind: &str, function_config: &str) -> String {
    format!(
        "apiVersion: {api_version}\nkind: {kind}\nitems:\n{DEPLOYMENT}{SERVICE}{function_config}"
    )
}

#[test]
fn passes_every_envelope_through_byte_for_byte() {
    for (api, kind) in [
        ("config.kubernetes.io/v1", "ResourceList"),
        ("config.kubernetes.io/v1beta1", "ResourceList"),
        ("config.kubernetes.io/v1alpha1", "ResourceList"),
        ("v1", "List"),
    ] {
        for config in [
            "",
            "functionConfig:\n",
            "functionConfig: null\n",
            "functionConfig: {}\n",
            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: function-input\n  data: {}\n",
        ] {
            let input = list(api, kind, config);
            let out = run(&bin(), &input);
            assert_eq!(out.code, Some(0), "{api} {kind} {config:?}: {}", out.stderr);
            assert_eq!(out.stdout, input, "{api} {kind} {config:?}");
            assert_eq!(out.stderr, "");
        }
    }
}

#[test]
fn accepts_a_list_with_only_a_function_config() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: {}\n";
    let out = run(&bin(), input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, input);
}

#[test]
fn edits_keep_the_envelope_annotations_and_untouched_lines() {
    let input = list("config.kubernetes.io/v1alpha1", "ResourceList", "");
    let out = run(&probe(), &input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("apiVersion: config.kubernetes.io/v1alpha1\nkind: ResourceList\n")
    );
    // Every input line is still there, in order: the edit only adds lines.
    let mut outs = out.stdout.lines();
    for line in input.lines() {
        assert!(outs.any(|o| o == line), "line lost or reordered: {line:?}");
    }
    let added: Vec<&str> = diff_added(&input, &out.stdout);
    assert_eq!(
        added,
        [
            "          - name: OTEL_EXPORTER_OTLP_ENDPOINT",
            "            value: http://otel-collector:4318",
            "          - name: PROBE_PORT",
            "            value: \"4317\"",
            "          volumeMounts:",
            "          - name: probe",
            "            mountPath: /probe",
            "        volumes:",
            "        - name: probe",
            "          emptyDir: {}",
            "results:",
            "- message: \"probe: edited the first container\"",
            "  severity: info",
            "  resourceRef:",
            "    apiVersion: apps/v1",
            "    kind: Deployment",
            "    name: web",
            "    namespace: shop",
            "  file:",
            "    path: deploy/web.yaml",
            "    index: 0",
            "  tags:",
            "    check: probe",
        ]
    );
}

/// Lines of `output` that are not in `input`, assuming `input`'s lines are
/// a subsequence of `output`'s.
fn diff_added<'a>(input: &str, output: &'a str) -> Vec<&'a str> {
    let mut ins = input.lines().peekable();
    let mut added = Vec::new();
    for line in output.lines() {
        if ins.peek() == Some(&line) {
            ins.next();
        } else {
            added.push(line);
        }
    }
    assert_eq!(ins.next(), None, "input lines missing from the output");
    added
}

#[test]
fn a_list_envelope_gets_edits_but_no_results_key() {
    let input = list("v1", "List", "");
    let out = run(&probe(), &input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("apiVersion: v1\nkind: List\n"));
    assert!(out.stdout.contains("PROBE_PORT"));
    assert!(!out.stdout.contains("results:"));
}

#[test]
fn json_input_gives_json_output() {
    let input = r#"{
  "apiVersion": "config.kubernetes.io/v1",
  "kind": "ResourceList",
  "items": [
    {
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {"name": "web", "annotations": {"config.kubernetes.io/path": "web.json"}},
      "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "python:3.12"}]}}}
    }
  ]
}"#;
    let out = run(&probe(), input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let container = &v["items"][0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["env"][1]["value"], "4317");
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/probe");
    assert_eq!(v["results"][0]["file"]["path"], "web.json");
    assert!(!out.stdout.ends_with('\n'), "no final newline in, none out");
    let pass = run(&bin(), input);
    assert_eq!(pass.stdout, input);
}

#[test]
fn an_error_result_fails_the_run_and_keeps_items_unchanged() {
    let config = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: function-input\n  data: {fail: \"true\"}\n";
    let input = list("config.kubernetes.io/v1", "ResourceList", config);
    let out = run(&probe(), &input);
    assert_eq!(out.code, Some(1));
    let (items, results) = out.stdout.split_at(input.len());
    assert_eq!(items, input, "items must be written back unchanged");
    assert!(
        results
            .starts_with("results:\n- message: \"probe: failing on purpose\"\n  severity: error\n")
    );
    assert_eq!(
        out.stderr,
        "inject-otel-python: 1 error, 0 warnings\n  [error] apps/v1/Deployment/shop/web spec.template.spec.containers[0]: probe: failing on purpose (deploy/web.yaml)\n"
    );
}

#[test]
fn results_of_earlier_functions_are_kept() {
    let input = format!(
        "{}results:\n- message: from an earlier function\n  severity: warning\n",
        list("config.kubernetes.io/v1", "ResourceList", "")
    );
    let out = run(&probe(), &input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.ends_with(
        "results:\n- message: from an earlier function\n  severity: warning\n- message: \"probe: edited the first container\"\n  severity: info\n  resourceRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n    namespace: shop\n  file:\n    path: deploy/web.yaml\n    index: 0\n  tags:\n    check: probe\n"
    ), "{}", out.stdout);
}

#[test]
fn legacy_annotations_give_the_result_file() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api\n    annotations:\n      config.kubernetes.io/path: legacy.yaml\n      config.kubernetes.io/index: '2'\n  spec:\n    template:\n      spec:\n        containers:\n        - name: api\n";
    let out = run(&probe(), input);
    assert!(
        out.stdout
            .contains("  file:\n    path: legacy.yaml\n    index: 2\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn edits_through_a_shared_anchor_are_refused() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    template:\n      spec:\n        containers:\n        - name: app\n          env: &common\n          - name: A\n            value: a\n        - name: sidecar\n          env: *common\n";
    let out = run(&probe(), input);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.starts_with(input));
    assert!(
        out.stderr.contains("[error] apps/v1/Deployment/web spec.template.spec.containers[0].env: cannot edit in place: it is shared through a YAML anchor"),
        "{}",
        out.stderr
    );
}

#[test]
fn edits_inside_a_merge_key_mapping_are_refused() {
    let input = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    template:\n      spec:\n        containers:\n        - <<: {image: python}\n          name: app\n";
    let out = run(&probe(), input);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.starts_with(input));
    assert!(out.stderr.contains("[error] apps/v1/Deployment/web spec.template.spec.containers[0]: cannot edit in place: it is inside a mapping with a `<<` merge key"), "{}", out.stderr);
}

#[test]
fn help_and_version_do_not_read_stdin() {
    for flag in ["--help", "-h"] {
        let out = support::run::run_with(
            &bin(),
            &[flag],
            &[],
            b"",
            std::time::Duration::from_secs(10),
        );
        assert_eq!(out.code, Some(0));
        assert!(out.stdout.contains("USAGE"));
    }
    let out = support::run::run_with(
        &bin(),
        &["--version"],
        &[],
        b"",
        std::time::Duration::from_secs(10),
    );
    assert_eq!(
        out.stdout,
        format!("inject-otel-python {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = support::run::run_with(
        &bin(),
        &["--nope"],
        &[],
        b"",
        std::time::Duration::from_secs(10),
    );
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("unknown argument \"--nope\""));
}
