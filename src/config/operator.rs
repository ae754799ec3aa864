//! The OpenTelemetry Operator's Instrumentation webhook, as it concerns
//! Python: its validation rules with their exact messages
//! (`instrumentation_webhook.go` `validate`, operator-python.md §5.2) and
//! its defaults (§5.3), plus the mapping to [`Instrumentation`].

use serde_json::{Map, Value, json};

use super::model::{DEFAULT_PYTHON_IMAGE, Instrumentation, Tls};
use super::schema::{FieldPath, Finding};
use super::typed::InjectOtelPythonSpec;

/// `spec` keys of the typed config that are the operator's Instrumentation
/// fields (the rest are the function's own).
pub(crate) const SHARED_KEYS: [&str; 9] = [
    "exporter",
    "propagators",
    "sampler",
    "resource",
    "defaults",
    "env",
    "imagePullPolicy",
    "initContainerSecurityContext",
    "python",
];

fn spec_path(keys: &[&str]) -> FieldPath {
    let mut all = vec!["spec"];
    all.extend_from_slice(keys);
    FieldPath::keys(&all)
}

/// A string at `keys` below `spec`: `Ok(None)` when absent, `Err(())` when
/// present with another type (the schema reports that).
fn string_at<'v>(spec: &'v Value, keys: &[&str]) -> Result<Option<&'v str>, ()> {
    let mut cur = spec;
    for k in keys {
        match cur.get(k) {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    cur.as_str().map(Some).ok_or(())
}

/// The webhook's checks on an Instrumentation spec (nulls removed). Values
/// of the wrong type are skipped: the schema reports them.
pub(crate) fn webhook_findings(spec: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    sampler_findings(spec, &mut out);
    volume_findings(spec, &mut out);
    exporter_findings(spec, &mut out);
    out
}

fn sampler_findings(spec: &Value, out: &mut Vec<Finding>) {
    let type_path = spec_path(&["sampler", "type"]);
    let arg_path = spec_path(&["sampler", "argument"]);
    let Ok(sampler_type) = string_at(spec, &["sampler", "type"]) else {
        return;
    };
    let sampler_type = sampler_type.unwrap_or_default();
    let Ok(argument) = string_at(spec, &["sampler", "argument"]) else {
        return;
    };
    let argument = argument.unwrap_or_default();
    match sampler_type {
        "" => out.push(Finding::warning(type_path, "sampler type not set")),
        "traceidratio" | "parentbased_traceidratio" => {
            if !argument.is_empty() {
                match go_parse_float(argument) {
                    None => out.push(Finding::error(
                        arg_path,
                        format!("spec.sampler.argument is not a number: {argument}"),
                    )),
                    Some(rate) if out_of_unit_range(rate) => out.push(Finding::error(
                        arg_path,
                        format!("spec.sampler.argument should be in rage [0..1]: {argument}"),
                    )),
                    Some(_) => {}
                }
            }
        }
        "jaeger_remote" | "parentbased_jaeger_remote" => {
            if !argument.is_empty()
                && let Err(e) = jaeger_remote_argument(argument)
            {
                out.push(Finding::error(
                    arg_path,
                    format!(
                        "spec.sampler.argument is not a valid argument for sampler {sampler_type}: {e}"
                    ),
                ));
            }
        }
        "always_on"
        | "always_off"
        | "parentbased_always_on"
        | "parentbased_always_off"
        | "xray" => {}
        other => out.push(Finding::error(
            type_path,
            format!("spec.sampler.type is not valid: {other}"),
        )),
    }
}

/// `validateJaegerRemoteSamplerArgument`.
fn jaeger_remote_argument(argument: &str) -> Result<(), String> {
    for part in argument.split(',') {
        let kv: Vec<&str> = part.split('=').collect();
        let [key, value] = kv.as_slice() else {
            return Err(format!(
                "invalid argument: {part}, the argument should be in the form of key=value"
            ));
        };
        match *key {
            "endpoint" if value.is_empty() => return Err("endpoint cannot be empty".into()),
            "pollingIntervalMs" if value.parse::<i64>().is_err() => {
                return Err(format!("invalid pollingIntervalMs: {value}"));
            }
            "initialSamplingRate" => match go_parse_float(value) {
                None => return Err(format!("invalid initialSamplingRate: {value}")),
                Some(rate) if out_of_unit_range(rate) => {
                    return Err(format!(
                        "initialSamplingRate should be in rage [0..1]: {value}"
                    ));
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    Ok(())
}

/// Go's `rate < 0 || rate > 1`: NaN is *not* out of range (the operator
/// accepts it), unlike `!(0.0..=1.0).contains(&rate)`.
#[allow(clippy::manual_range_contains)]
fn out_of_unit_range(rate: f64) -> bool {
    rate < 0.0 || rate > 1.0
}

/// Go's `strconv.ParseFloat(s, 64)` as far as it matters here: an overflow
/// to infinity is an error, an explicit `Inf` is not. (Go's hexadecimal
/// floats are not accepted.)
fn go_parse_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    if f.is_infinite() {
        let word = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if word != "inf" && word != "infinity" {
            return None;
        }
    }
    Some(f)
}

/// Go's `reflect.Value.IsZero` on a decoded struct, approximated on JSON:
/// a list counts as set (decoding makes it non-nil), an object as zero when
/// all its fields are.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) => false,
        Value::Object(map) => map.values().all(is_zero),
    }
}

fn volume_findings(spec: &Value, out: &mut Vec<Finding>) {
    let Some(python) = spec.get("python") else {
        return;
    };
    let size = python.get("volumeLimitSize");
    let template = python.get("volumeClaimTemplate");
    let size_path = spec_path(&["python", "volumeLimitSize"]);
    if size.is_some() && template.is_some_and(|t| !is_zero(t)) {
        out.push(Finding::error(
            size_path.clone(),
            "spec.python.volumeClaimTemplate and spec.python.volumeSizeLimit cannot both be defined: unable to resolve volume size",
        ));
    }
    if size.is_some() {
        out.push(Finding::warning(
            size_path,
            "spec.python.volumeSizeLimit is deprecated and will be removed in a future release; use spec.python.volume.size instead",
        ));
    }
}

fn exporter_findings(spec: &Value, out: &mut Vec<Finding>) {
    let Ok(endpoint) = string_at(spec, &["exporter", "endpoint"]) else {
        return;
    };
    let https = endpoint.unwrap_or_default().starts_with("https://");
    let endpoint_path = spec_path(&["exporter", "endpoint"]);
    match spec.get("exporter").and_then(|e| e.get("tls")) {
        Some(tls) => {
            let text = |k: &str| tls.get(k).and_then(Value::as_str).unwrap_or_default();
            let (key, cert) = (text("key_file"), text("cert_file"));
            if key.is_empty() != cert.is_empty() {
                let missing = if key.is_empty() {
                    "key_file"
                } else {
                    "cert_file"
                };
                out.push(Finding::warning(
                    spec_path(&["exporter", "tls", missing]),
                    "both exporter.tls.key and exporter.tls.cert mut be set",
                ));
            }
            if !https {
                out.push(Finding::warning(
                    endpoint_path,
                    "exporter.tls is configured but exporter.endpoint is not enabling TLS with https://",
                ));
            }
        }
        None if https => out.push(Finding::warning(
            endpoint_path,
            "exporter is using https:// but exporter.tls is unset",
        )),
        None => {}
    }
}

/// The webhook's default init-container limits.
pub(crate) fn default_limits() -> Value {
    json!({"cpu": "500m", "memory": "256Mi"})
}

/// The webhook's default init-container requests.
pub(crate) fn default_requests() -> Value {
    json!({"cpu": "50m", "memory": "64Mi"})
}

/// `spec.python.resourceRequirements` after the webhook's defaults: limits
/// and requests each defaulted when absent (an explicit `{}` stays, as a
/// non-nil Go map does), in the operator's field order.
fn resource_requirements(given: Option<&Map<String, Value>>) -> Map<String, Value> {
    let given = given.cloned().unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "limits".into(),
        given.get("limits").cloned().unwrap_or_else(default_limits),
    );
    out.insert(
        "requests".into(),
        given
            .get("requests")
            .cloned()
            .unwrap_or_else(default_requests),
    );
    for (k, v) in given {
        out.entry(k).or_insert(v);
    }
    out
}

fn quantity_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The Instrumentation part of a checked spec, with the webhook's defaults
/// applied (the 200Mi volume default is applied at injection time).
pub(crate) fn instrumentation(
    spec: &InjectOtelPythonSpec,
    origin: Option<(Option<String>, String)>,
) -> Instrumentation {
    let exporter = spec.exporter.clone().unwrap_or_default();
    let sampler = spec.sampler.clone().unwrap_or_default();
    let resource = spec.resource.clone().unwrap_or_default();
    let python = spec.python.clone().unwrap_or_default();
    let objects = |list: &Option<Vec<Map<String, Value>>>| -> Vec<Value> {
        list.iter().flatten().cloned().map(Value::Object).collect()
    };
    Instrumentation {
        origin,
        exporter_endpoint: exporter.endpoint.unwrap_or_default(),
        tls: exporter.tls.map(|t| Tls {
            secret_name: t.secret_name.unwrap_or_default(),
            config_map_name: t.config_map_name.unwrap_or_default(),
            ca_file: t.ca_file.unwrap_or_default(),
            cert_file: t.cert_file.unwrap_or_default(),
            key_file: t.key_file.unwrap_or_default(),
        }),
        propagators: spec.propagators.clone().unwrap_or_default(),
        sampler_type: sampler.sampler_type.unwrap_or_default(),
        sampler_argument: sampler.argument.unwrap_or_default(),
        resource_attributes: resource
            .resource_attributes
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        add_k8s_uid_attributes: resource.add_k8s_uid_attributes.unwrap_or(false),
        use_labels_for_resource_attributes: spec
            .defaults
            .as_ref()
            .and_then(|d| d.use_labels_for_resource_attributes)
            .unwrap_or(false),
        env: objects(&spec.env),
        image_pull_policy: spec.image_pull_policy.clone().filter(|p| !p.is_empty()),
        init_container_security_context: spec
            .init_container_security_context
            .clone()
            .map(Value::Object),
        python_image: python
            .image
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| DEFAULT_PYTHON_IMAGE.to_string()),
        python_env: objects(&python.env),
        resource_requirements: resource_requirements(python.resource_requirements.as_ref()),
        volume_claim_template: python
            .volume_claim_template
            .map(Value::Object)
            .filter(|t| !is_zero(t)),
        volume_limit_size: python.volume_limit_size.as_ref().map(quantity_text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_parsing() {
        assert_eq!(go_parse_float("0.25"), Some(0.25));
        assert_eq!(go_parse_float("1e-1"), Some(0.1));
        assert_eq!(go_parse_float("abc"), None);
        assert_eq!(go_parse_float(""), None);
        assert_eq!(go_parse_float("1e400"), None);
        assert_eq!(go_parse_float("+Inf"), Some(f64::INFINITY));
        assert!(go_parse_float("NaN").is_some_and(f64::is_nan));
        assert!(!out_of_unit_range(f64::NAN));
        assert!(out_of_unit_range(1.5) && out_of_unit_range(-0.1) && !out_of_unit_range(1.0));
    }

    #[test]
    fn zero_values() {
        assert!(is_zero(&json!({})));
        assert!(is_zero(&json!({"spec": {}, "metadata": {"name": ""}})));
        assert!(!is_zero(&json!({"spec": {"accessModes": []}})));
        assert!(!is_zero(&json!({"spec": {"storageClassName": "x"}})));
    }

    #[test]
    fn jaeger_remote_arguments() {
        assert_eq!(
            jaeger_remote_argument(
                "endpoint=http://jaeger:14250,pollingIntervalMs=5000,initialSamplingRate=0.25"
            ),
            Ok(())
        );
        assert_eq!(
            jaeger_remote_argument("endpoint="),
            Err("endpoint cannot be empty".into())
        );
        assert_eq!(
            jaeger_remote_argument("pollingIntervalMs=5s"),
            Err("invalid pollingIntervalMs: 5s".into())
        );
        assert_eq!(
            jaeger_remote_argument("initialSamplingRate=2"),
            Err("initialSamplingRate should be in rage [0..1]: 2".into())
        );
        assert_eq!(
            jaeger_remote_argument("initialSamplingRate=x"),
            Err("invalid initialSamplingRate: x".into())
        );
        assert_eq!(
            jaeger_remote_argument("endpoint=http://a?b=c"),
            Err(
                "invalid argument: endpoint=http://a?b=c, the argument should be in the form of key=value"
                    .into()
            )
        );
        // Unknown keys are ignored, as by the operator.
        assert_eq!(jaeger_remote_argument("foo=bar"), Ok(()));
    }
}
