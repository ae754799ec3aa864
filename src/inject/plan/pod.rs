//! Pod-level parts of the plan: the pod template read as the operator reads
//! a Pod, the init container, the volumes, and the exporter's TLS files.

use serde_json::{Map, Value, json};

use crate::config::Instrumentation;

use super::{
    DEFAULT_VOLUME_SIZE, INIT_CONTAINER_NAME, MOUNT_PATH, NON_ROOT_INIT_USER, PlatformChoice,
    Problem, Target, VOLUME_NAME, python_mount, scalar_text, string_pairs,
};

/// Read access to the pod template (`{metadata, spec}`).
pub(super) struct PodView<'a> {
    metadata: Option<&'a Value>,
    spec: Option<&'a Value>,
}

impl<'a> PodView<'a> {
    pub(super) fn new(template: &'a Value) -> Self {
        PodView {
            metadata: template.get("metadata"),
            spec: template.get("spec"),
        }
    }

    pub(super) fn labels(&self) -> Vec<(String, String)> {
        string_pairs(self.metadata.and_then(|m| m.get("labels")))
    }

    pub(super) fn annotations(&self) -> Vec<(String, String)> {
        string_pairs(self.metadata.and_then(|m| m.get("annotations")))
    }

    /// `metadata.name` of the template (set on a bare Pod).
    pub(super) fn name(&self) -> String {
        scalar_text(self.metadata.and_then(|m| m.get("name")))
    }

    /// `spec.nodeName` ("" when unset).
    pub(super) fn node_name(&self) -> String {
        scalar_text(self.spec.and_then(|s| s.get("nodeName")))
    }

    fn list(&self, key: &str) -> &'a [Value] {
        self.spec
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn init_containers(&self) -> &'a [Value] {
        self.list("initContainers")
    }

    pub(super) fn has_volume(&self, volume: &Value) -> bool {
        has_named(self.list("volumes"), name_field(volume))
    }

    fn security_context(&self) -> Option<&'a Value> {
        self.spec.and_then(|s| s.get("securityContext"))
    }

    /// The target's container in the pod; `None` (the operator silently
    /// drops such names) when there is none of that name.
    pub(super) fn locate(&self, target: &Target) -> Option<Located<'a>> {
        let list_key = if target.init {
            "initContainers"
        } else {
            "containers"
        };
        let containers = self.list(list_key);
        let index = containers
            .iter()
            .position(|c| name_field(c) == target.name)?;
        Some(Located {
            container: &containers[index],
            init: target.init,
            index,
        })
    }

    /// `insertInitContainer`: right before the first target when it is an
    /// init container, else after all existing init containers.
    pub(super) fn init_container_index(&self, first: Option<&Located<'_>>) -> usize {
        match first {
            Some(target) if target.init => target.index,
            _ => self.init_containers().len(),
        }
    }
}

/// A target container found in the pod.
pub(super) struct Located<'a> {
    container: &'a Value,
    init: bool,
    index: usize,
}

impl<'a> Located<'a> {
    pub(super) fn name(&self) -> &'a str {
        name_field(self.container)
    }

    pub(super) fn init(&self) -> bool {
        self.init
    }

    pub(super) fn index(&self) -> usize {
        self.index
    }

    pub(super) fn image(&self) -> String {
        scalar_text(self.container.get("image"))
    }

    pub(super) fn env(&self) -> &'a [Value] {
        self.container
            .get("env")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn security_context(&self) -> Option<&'a Value> {
        self.container
            .get("securityContext")
            .filter(|sc| !sc.is_null())
    }

    fn mounts(&self) -> &'a [Value] {
        self.container
            .get("volumeMounts")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Path of the container (or of one of its env items) in the template.
    pub(super) fn env_field(&self, env_index: Option<usize>) -> String {
        let list = if self.init {
            "initContainers"
        } else {
            "containers"
        };
        match env_index {
            Some(i) => format!("spec.{list}[{}].env[{i}]", self.index),
            None => format!("spec.{list}[{}].env", self.index),
        }
    }

    pub(super) fn problem(&self, env_index: Option<usize>, message: String) -> Problem {
        Problem {
            container: self.name().to_string(),
            field: self.env_field(env_index),
            message,
        }
    }

    /// The Python mount, then the TLS mounts, each unless the container
    /// already has a mount of that name.
    pub(super) fn missing_mounts(&self, tls: &TlsLayout) -> Vec<Value> {
        std::iter::once(python_mount())
            .chain(tls.mounts())
            .filter(|mount| !has_named(self.mounts(), name_field(mount)))
            .collect()
    }
}

/// The Python volume (`instrVolume`): the volume claim template as given
/// when there is one, else an `emptyDir` with the size limit.
pub(super) fn python_volume(inst: &Instrumentation) -> Value {
    let claim_template = inst
        .volume_claim_template
        .as_ref()
        .filter(|vct| !is_zero(vct));
    match claim_template {
        Some(vct) => json!({"name": VOLUME_NAME, "ephemeral": {"volumeClaimTemplate": vct}}),
        None => {
            let size = inst
                .volume_limit_size
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(DEFAULT_VOLUME_SIZE);
            json!({"name": VOLUME_NAME, "emptyDir": {"sizeLimit": size}})
        }
    }
}

/// Go's `reflect.Value.IsZero` for the parsed template: null or empty.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.values().all(is_zero),
        Value::Array(items) => items.is_empty(),
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(_) => false,
    }
}

/// The init container, keys in the operator's order (operator-python.md
/// §1.5 steps 2 and 4).
pub(super) fn init_container(
    inst: &Instrumentation,
    platform: PlatformChoice,
    first_target: Option<&Located<'_>>,
    pod: &PodView<'_>,
) -> Value {
    let mut container = Map::new();
    container.insert("name".into(), json!(INIT_CONTAINER_NAME));
    container.insert("image".into(), json!(inst.python_image));
    container.insert(
        "command".into(),
        json!(["cp", "-r", platform.source_dir(), MOUNT_PATH]),
    );
    if !inst.resource_requirements.is_empty() {
        container.insert(
            "resources".into(),
            Value::Object(inst.resource_requirements.clone()),
        );
    }
    container.insert("volumeMounts".into(), json!([python_mount()]));
    if let Some(policy) = inst.image_pull_policy.as_deref().filter(|p| !p.is_empty()) {
        container.insert("imagePullPolicy".into(), json!(policy));
    }
    let inherited = inst
        .init_container_security_context
        .as_ref()
        .filter(|sc| !sc.is_null())
        .or_else(|| first_target.and_then(Located::security_context));
    if let Some(sc) = with_non_root_user(inherited, pod.security_context()) {
        container.insert("securityContext".into(), sc);
    }
    Value::Object(container)
}

/// The init container's securityContext: the inherited one, plus
/// `runAsUser: 65532` ([`NON_ROOT_INIT_USER`]) when the init container
/// would run with `runAsNonRoot: true` and no uid at all.
///
/// The check uses the effective settings (the container's field, else the
/// pod's), so it also covers a pod-level `runAsNonRoot: true` inherited by
/// an init container with no securityContext of its own (the uid then goes
/// into a new securityContext). A uid from either level means the
/// kubelet can check it, so nothing is added.
fn with_non_root_user(inherited: Option<&Value>, pod_sc: Option<&Value>) -> Option<Value> {
    let field = |key: &str| {
        inherited
            .and_then(|sc| sc.get(key))
            .filter(|v| !v.is_null())
            .or_else(|| pod_sc.and_then(|sc| sc.get(key)).filter(|v| !v.is_null()))
    };
    let non_root = field("runAsNonRoot").and_then(Value::as_bool) == Some(true);
    let needs_user = non_root && field("runAsUser").is_none();
    if !needs_user {
        return inherited.cloned();
    }
    let mut sc = match inherited {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    sc.insert("runAsUser".into(), json!(NON_ROOT_INIT_USER));
    Some(Value::Object(sc))
}

/// Names and paths of the exporter's TLS files (`configureExporter`,
/// operator-python.md §3.6).
pub(super) struct TlsLayout {
    secret: Option<Mounted>,
    config_map: Option<Mounted>,
    ca: Option<String>,
    cert: Option<String>,
    key: Option<String>,
}

/// A secret or configmap volume and where it is mounted.
struct Mounted {
    volume: Value,
    mount: Value,
}

impl TlsLayout {
    pub(super) fn new(inst: &Instrumentation) -> Self {
        let Some(tls) = &inst.tls else {
            return TlsLayout {
                secret: None,
                config_map: None,
                ca: None,
                cert: None,
                key: None,
            };
        };
        let secret_path = format!("/otel-auto-instrumentation-secret-{}", tls.secret_name);
        let config_map_path = format!(
            "/otel-auto-instrumentation-configmap-{}",
            tls.config_map_name
        );
        let secret = (!tls.secret_name.is_empty()).then(|| {
            let name = truncate_name("otel-auto-secret-", &tls.secret_name);
            Mounted {
                volume: json!({"name": name, "secret": {"secretName": tls.secret_name}}),
                mount: json!({"name": name, "mountPath": secret_path, "readOnly": true}),
            }
        });
        let config_map = (!tls.config_map_name.is_empty()).then(|| {
            let name = truncate_name("otel-auto-configmap-", &tls.config_map_name);
            Mounted {
                volume: json!({"name": name, "configMap": {"name": tls.config_map_name}}),
                mount: json!({"name": name, "mountPath": config_map_path, "readOnly": true}),
            }
        });
        // The CA comes from the configmap when there is one.
        let ca_dir = if tls.config_map_name.is_empty() {
            &secret_path
        } else {
            &config_map_path
        };
        TlsLayout {
            secret,
            config_map,
            ca: file_path(ca_dir, &tls.ca_file),
            cert: file_path(&secret_path, &tls.cert_file),
            key: file_path(&secret_path, &tls.key_file),
        }
    }

    /// `(env var, path)` for each configured file, in the operator's order.
    pub(super) fn env(&self) -> Vec<(&'static str, &str)> {
        [
            (super::env::OTEL_EXPORTER_OTLP_CERTIFICATE, &self.ca),
            (
                super::env::OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE,
                &self.cert,
            ),
            (super::env::OTEL_EXPORTER_OTLP_CLIENT_KEY, &self.key),
        ]
        .into_iter()
        .filter_map(|(name, path)| path.as_deref().map(|p| (name, p)))
        .collect()
    }

    /// The pod volumes, secret first.
    pub(super) fn volumes(&self) -> Vec<Value> {
        self.mounted().map(|m| m.volume.clone()).collect()
    }

    fn mounts(&self) -> Vec<Value> {
        self.mounted().map(|m| m.mount.clone()).collect()
    }

    fn mounted(&self) -> impl Iterator<Item = &Mounted> {
        self.secret.iter().chain(self.config_map.iter())
    }
}

/// `<dir>/<file>`, or the file itself when it is an absolute path; `None`
/// when no file is configured.
fn file_path(dir: &str, file: &str) -> Option<String> {
    if file.is_empty() {
        None
    } else if file.starts_with('/') {
        Some(file.to_string())
    } else {
        Some(format!("{dir}/{file}"))
    }
}

/// The operator's `naming.Truncate(prefix + "%s", 63, value)`: the value is
/// shortened so the name fits 63 characters, then non-alphanumeric
/// characters are trimmed from both ends.
fn truncate_name(prefix: &str, value: &str) -> String {
    const MAX: usize = 63;
    let excess = (prefix.len() + value.len()).saturating_sub(MAX);
    let value = if excess == 0 {
        value
    } else if value.len() > excess {
        let mut end = value.len() - excess;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        &value[..end]
    } else {
        ""
    };
    format!("{prefix}{value}")
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

fn name_field(value: &Value) -> &str {
    value.get("name").and_then(Value::as_str).unwrap_or("")
}

fn has_named(items: &[Value], name: &str) -> bool {
    items.iter().any(|item| name_field(item) == name)
}
