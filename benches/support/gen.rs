//! A deterministic generator of kpt-style ResourceLists for the benchmarks:
//! 75% Deployments, 10% StatefulSets, 10% DaemonSets, 5% CronJobs, plus a
//! Service for every 5th workload and a ConfigMap for every 10th, written
//! the way `kpt fn render` hands them to a function (kpt path, index, id and
//! seqindent annotations).
//!
//! A workload is about 2.2 KB of realistic manifest (2.4 KB counting its
//! share of Services and ConfigMaps): 2–3 containers, env lists
//! (some values quoted `"true"` / `"8080"`), probes, resources, volume
//! mounts, `configMap` volumes with `defaultMode: 0644`, `emptyDir`, head and
//! line comments, 'single' and "double" quoted strings, flow maps and flow
//! lists, a `|` block scalar, and first containers without `env` or
//! `volumeMounts` (so an edit has to insert those keys). About a quarter of
//! the items use the wide sequence style (`- ` indented under its key).
//!
//! Workload `i` depends only on `i`: the items of a smaller list are the
//! first items of a larger one.

use std::fmt::{self, Write};

/// The functionConfig every generated list carries.
const FUNCTION_CONFIG: &str = "\
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: inject-otel-python
    annotations:
      config.kubernetes.io/local-config: \"true\"
  data:
    endpoint: 'http://otel-collector.observability:4318'
";

const SERVICES: [&str; 16] = [
    "checkout",
    "cart",
    "catalog",
    "payments",
    "search",
    "recommendations",
    "inventory",
    "shipping",
    "email",
    "auth",
    "profile",
    "reviews",
    "pricing",
    "notifications",
    "gateway",
    "analytics",
];

const TEAMS: [&str; 5] = ["storefront", "payments", "platform", "data", "growth"];

/// The kind of the `i`th workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    CronJob,
}

impl WorkloadKind {
    pub fn of(i: usize) -> WorkloadKind {
        match i % 20 {
            14 | 15 => WorkloadKind::StatefulSet,
            16 | 17 => WorkloadKind::DaemonSet,
            18 => WorkloadKind::CronJob,
            _ => WorkloadKind::Deployment,
        }
    }

    fn name(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    fn api_version(self) -> &'static str {
        match self {
            WorkloadKind::CronJob => "batch/v1",
            _ => "apps/v1",
        }
    }

    /// True when the pod template sits at `spec.template.spec` (what the
    /// edit probe edits); a CronJob's is one level further down.
    pub fn has_pod_template(self) -> bool {
        self != WorkloadKind::CronJob
    }
}

/// How many of the first `n` workloads have their pod template at
/// `spec.template.spec`, i.e. how many an edit of every workload edits.
pub fn editable_workloads(n: usize) -> usize {
    (0..n)
        .filter(|&i| WorkloadKind::of(i).has_pod_template())
        .count()
}

/// A ResourceList holding `n_workloads` workloads (plus Services and
/// ConfigMaps, which are not workloads).
pub fn resource_list(n_workloads: usize) -> String {
    let mut out = String::with_capacity(n_workloads * 2500 + 512);
    match write_resource_list(&mut out, n_workloads) {
        Ok(()) => out,
        // Only a failing Display impl could get here, and every value
        // formatted below is a str or an integer.
        Err(fmt::Error) => unreachable!("formatting into a String failed"),
    }
}

/// Writes the ResourceList of [`resource_list`] into `out`.
pub fn write_resource_list(out: &mut String, n_workloads: usize) -> fmt::Result {
    out.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    let mut ids = 0usize;
    for i in 0..n_workloads {
        let mut rng = Rng::new(i as u64);
        let w = Workload::new(i, &mut rng);
        let mut item = Item { out, wide: w.wide };
        item.workload(&w, &mut rng, &mut ids)?;
        if i.is_multiple_of(5) && w.kind != WorkloadKind::CronJob {
            item.service(&w, &mut ids)?;
        }
        if i.is_multiple_of(10) {
            item.config_map(&w, &mut ids)?;
        }
    }
    out.push_str(FUNCTION_CONFIG);
    Ok(())
}

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct Workload {
    index: usize,
    kind: WorkloadKind,
    base: &'static str,
    name: String,
    namespace: String,
    team: &'static str,
    path: String,
    wide: bool,
    port: u64,
    containers: usize,
}

impl Workload {
    fn new(index: usize, rng: &mut Rng) -> Workload {
        let kind = WorkloadKind::of(index);
        let base = SERVICES[index % SERVICES.len()];
        let namespace = format!("shop-{}", index / 50);
        Workload {
            index,
            kind,
            base,
            name: format!("{base}-{index}"),
            path: format!("{namespace}/{base}-{index}.yaml"),
            namespace,
            team: TEAMS[index % TEAMS.len()],
            wide: rng.chance(25),
            port: 8000 + rng.below(100),
            containers: if rng.chance(30) { 3 } else { 2 },
        }
    }
}

/// Writes one line at an indentation.
macro_rules! line {
    ($out:expr, $indent:expr, $($arg:tt)*) => {
        writeln!($out, "{:indent$}{}", "", format_args!($($arg)*), indent = $indent)
    };
}

/// One item of `items`, written at the ResourceList's compact style (`- `
/// at column 0); `wide` is the sequence style inside the item.
struct Item<'o> {
    out: &'o mut String,
    wide: bool,
}

impl Item<'_> {
    /// Column of the `-` of a block sequence whose key is at `key`.
    fn dash(&self, key: usize) -> usize {
        if self.wide { key + 2 } else { key }
    }

    fn seq_indent(&self) -> &'static str {
        if self.wide { "wide" } else { "compact" }
    }

    /// `apiVersion`, `kind` and `metadata` with the kpt annotations.
    fn header(
        &mut self,
        api_version: &str,
        kind: &str,
        name: &str,
        w: &Workload,
        index_in_file: usize,
        ids: &mut usize,
    ) -> fmt::Result {
        *ids += 1;
        let seq = self.seq_indent();
        let o = &mut *self.out;
        line!(o, 0, "- apiVersion: {api_version}")?;
        line!(o, 2, "kind: {kind}")?;
        line!(o, 2, "metadata:")?;
        line!(o, 4, "name: {name}")?;
        line!(o, 4, "namespace: {}", w.namespace)?;
        line!(o, 4, "labels:")?;
        line!(o, 6, "app: {}", w.name)?;
        line!(o, 4, "annotations:")?;
        if kind != "ConfigMap" && kind != "Service" {
            line!(o, 6, "# the {} team is on call for this", w.team)?;
        }
        line!(o, 6, "config.kubernetes.io/index: '{index_in_file}'")?;
        line!(o, 6, "config.kubernetes.io/path: '{}'", w.path)?;
        line!(
            o,
            6,
            "internal.config.kubernetes.io/index: '{index_in_file}'"
        )?;
        line!(o, 6, "internal.config.kubernetes.io/path: '{}'", w.path)?;
        line!(o, 6, "internal.config.kubernetes.io/id: '{ids}'")?;
        line!(o, 6, "internal.config.kubernetes.io/seqindent: '{seq}'")
    }

    fn workload(&mut self, w: &Workload, rng: &mut Rng, ids: &mut usize) -> fmt::Result {
        line!(self.out, 0, "# {}: the {} service", w.name, w.base)?;
        self.header(w.kind.api_version(), w.kind.name(), &w.name, w, 0, ids)?;
        let o = &mut *self.out;
        line!(o, 2, "spec:")?;
        let pod = match w.kind {
            WorkloadKind::Deployment => {
                line!(
                    o,
                    4,
                    "replicas: {} # the HPA may scale this",
                    2 + w.index % 4
                )?;
                self.selector(w, 4)?;
                4
            }
            WorkloadKind::StatefulSet => {
                line!(o, 4, "serviceName: {}", w.name)?;
                line!(o, 4, "replicas: 3")?;
                self.selector(w, 4)?;
                4
            }
            WorkloadKind::DaemonSet => {
                line!(o, 4, "updateStrategy: {{type: RollingUpdate}}")?;
                self.selector(w, 4)?;
                4
            }
            WorkloadKind::CronJob => {
                line!(o, 4, "schedule: \"*/15 * * * *\"")?;
                line!(o, 4, "jobTemplate:")?;
                line!(o, 6, "spec:")?;
                line!(o, 8, "backoffLimit: 2")?;
                8
            }
        };
        self.pod_template(w, rng, pod)?;
        if w.kind == WorkloadKind::StatefulSet {
            self.claim_templates(w)?;
        }
        Ok(())
    }

    fn selector(&mut self, w: &Workload, at: usize) -> fmt::Result {
        let o = &mut *self.out;
        line!(o, at, "selector:")?;
        line!(o, at + 2, "matchLabels: {{app: {}}}", w.name)
    }

    /// `template:` at `at`, with the pod spec below it.
    fn pod_template(&mut self, w: &Workload, rng: &mut Rng, at: usize) -> fmt::Result {
        let o = &mut *self.out;
        line!(o, at, "template:")?;
        line!(o, at + 2, "metadata:")?;
        line!(o, at + 4, "labels:")?;
        line!(o, at + 6, "app: {}", w.name)?;
        if w.kind != WorkloadKind::CronJob {
            line!(o, at + 4, "annotations: {{prometheus.io/scrape: \"true\"}}")?;
        }
        let spec = at + 4;
        line!(o, at + 2, "spec:")?;
        match w.kind {
            WorkloadKind::CronJob => line!(o, spec, "restartPolicy: OnFailure")?,
            WorkloadKind::DaemonSet => {
                line!(o, spec, "tolerations: [{{operator: Exists}}]")?;
            }
            _ => line!(o, spec, "serviceAccountName: {}", w.base)?,
        }
        line!(o, spec, "securityContext: {{runAsNonRoot: true}}")?;
        line!(o, spec, "# app first")?;
        line!(o, spec, "containers:")?;
        let with_volumes = !rng.chance(15);
        self.app_container(w, rng, spec, with_volumes)?;
        self.sidecar(w, spec)?;
        if w.containers == 3 {
            self.proxy(w, spec)?;
        }
        if with_volumes {
            self.volumes(w, spec)?;
        }
        Ok(())
    }

    fn app_container(
        &mut self,
        w: &Workload,
        rng: &mut Rng,
        spec: usize,
        with_volumes: bool,
    ) -> fmt::Result {
        let d = self.dash(spec);
        let c = d + 2;
        // Block sequences inside the container.
        let s = self.dash(c);
        let port = w.port;
        let with_env = !rng.chance(20);
        let quote_image = rng.below(3);
        let o = &mut *self.out;
        line!(o, d, "- name: app")?;
        let image = format!("registry.example.com/{}:1.{}", w.base, w.index % 40);
        match quote_image {
            0 => line!(o, c, "image: \"{image}\"")?,
            1 => line!(o, c, "image: '{image}'")?,
            _ => line!(o, c, "image: {image}")?,
        }
        if w.kind == WorkloadKind::CronJob {
            line!(o, c, "command: [\"python\", \"-m\", \"{}.sync\"]", w.base)?;
        } else {
            if w.index.is_multiple_of(2) {
                line!(o, c, "args: [\"--bind=:{port}\", '{}.wsgi:app']", w.base)?;
            } else {
                line!(o, c, "args:")?;
                line!(o, s, "- --bind=:{port}")?;
                line!(o, s, "- '{}.wsgi:app'", w.base)?;
            }
            line!(o, c, "ports:")?;
            line!(o, s, "- name: http")?;
            line!(o, s + 2, "containerPort: {port}")?;
        }
        if with_env {
            line!(o, c, "env:")?;
            line!(o, s, "- name: SETTINGS")?;
            line!(o, s + 2, "value: '{}.settings'", w.base)?;
            line!(o, s, "- name: FEATURES_ON")?;
            line!(o, s + 2, "value: \"true\" # a string")?;
            line!(o, s, "- name: PORT")?;
            line!(o, s + 2, "value: \"{port}\"")?;
            if w.index.is_multiple_of(2) {
                line!(o, s, "- name: LOG_CONFIG")?;
                line!(o, s + 2, "value: \"{{\\\"level\\\": \\\"info\\\"}}\"")?;
            } else {
                line!(o, s, "- name: RETRY")?;
                line!(o, s + 2, "value: 'don''t on 4xx'")?;
            }
            if w.index.is_multiple_of(3) {
                line!(o, s, "- name: POD_NAME")?;
                line!(o, s + 2, "valueFrom:")?;
                line!(o, s + 4, "fieldRef: {{fieldPath: metadata.name}}")?;
            }
        }
        line!(o, c, "resources:")?;
        line!(o, c + 2, "requests: {{cpu: 250m, memory: 256Mi}}")?;
        line!(o, c + 2, "limits: {{memory: 512Mi}}")?;
        if w.kind != WorkloadKind::CronJob {
            line!(o, c, "livenessProbe:")?;
            line!(o, c + 2, "httpGet: {{path: /healthz, port: http}}")?;
            line!(o, c + 2, "periodSeconds: 15 # > GC pause")?;
            line!(
                o,
                c,
                "readinessProbe: {{httpGet: {{path: /ready, port: {port}}}}}"
            )?;
        }
        if with_volumes {
            line!(o, c, "volumeMounts:")?;
            line!(o, s, "- name: config")?;
            line!(o, s + 2, "mountPath: /etc/{}", w.base)?;
            line!(o, s, "- {{name: tmp, mountPath: /tmp}}")?;
        }
        Ok(())
    }

    /// A log shipper with a `|` block scalar script and no env.
    fn sidecar(&mut self, w: &Workload, spec: usize) -> fmt::Result {
        let d = self.dash(spec);
        let c = d + 2;
        let s = self.dash(c);
        let o = &mut *self.out;
        line!(o, d, "- name: logs # sidecar")?;
        line!(o, c, "image: 'fluent/fluent-bit:2.2'")?;
        line!(o, c, "args:")?;
        line!(o, s, "- -c")?;
        line!(o, s, "- |")?;
        line!(o, s + 2, "set -e # {}", w.name)?;
        line!(o, s + 2, "exec fluent-bit -c /etc/fb.conf")?;
        line!(o, c, "resources: {{limits: {{memory: 64Mi}}}}")
    }

    fn proxy(&mut self, w: &Workload, spec: usize) -> fmt::Result {
        let d = self.dash(spec);
        let c = d + 2;
        let o = &mut *self.out;
        line!(o, d, "- name: proxy")?;
        line!(o, c, "image: \"envoyproxy/envoy:v1.29\"")?;
        line!(o, c, "args: [\"-c\", '/etc/envoy.yaml']")?;
        line!(o, c, "env: [{{name: UPSTREAM, value: \":{}\"}}]", w.port)
    }

    fn volumes(&mut self, w: &Workload, spec: usize) -> fmt::Result {
        let d = self.dash(spec);
        let o = &mut *self.out;
        line!(o, spec, "volumes:")?;
        line!(o, d, "- name: config")?;
        line!(o, d + 2, "configMap:")?;
        line!(o, d + 4, "name: {}-config", w.name)?;
        line!(o, d + 4, "defaultMode: 0644")?;
        line!(o, d, "- name: tmp")?;
        line!(o, d + 2, "emptyDir: {{}}")?;
        if w.kind == WorkloadKind::DaemonSet {
            line!(o, d, "- {{name: varlog, hostPath: {{path: /var/log}}}}")?;
        }
        Ok(())
    }

    fn claim_templates(&mut self, w: &Workload) -> fmt::Result {
        let d = self.dash(4);
        let o = &mut *self.out;
        line!(o, 4, "volumeClaimTemplates:")?;
        line!(o, d, "- metadata: {{name: data}}")?;
        line!(o, d + 2, "spec:")?;
        line!(o, d + 4, "accessModes: [\"ReadWriteOnce\"]")?;
        line!(
            o,
            d + 4,
            "resources: {{requests: {{storage: {}Gi}}}}",
            10 + w.index % 90
        )
    }

    fn service(&mut self, w: &Workload, ids: &mut usize) -> fmt::Result {
        self.header("v1", "Service", &w.name, w, 1, ids)?;
        let d = self.dash(4);
        let o = &mut *self.out;
        line!(o, 2, "spec:")?;
        line!(o, 4, "selector: {{app: {}}}", w.name)?;
        line!(o, 4, "ports:")?;
        line!(o, d, "- port: 80")?;
        line!(o, d + 2, "targetPort: http # named port")
    }

    fn config_map(&mut self, w: &Workload, ids: &mut usize) -> fmt::Result {
        let name = format!("{}-config", w.name);
        self.header("v1", "ConfigMap", &name, w, 2, ids)?;
        let o = &mut *self.out;
        line!(o, 2, "data:")?;
        line!(o, 4, "WORKERS: \"4\"")?;
        line!(o, 4, "settings.ini: |")?;
        line!(o, 6, "[server]")?;
        line!(o, 6, "name = {}", w.name)
    }
}
