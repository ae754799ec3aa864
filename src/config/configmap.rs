//! The ConfigMap form: `data` keys are the dotted camelCase paths of typed
//! fields (`python.image`, `sampler.type`, ...); lists are comma-separated,
//! maps are `KEY=VALUE,...`, booleans `true` / `false`. The data is turned
//! into the typed `spec` shape, so the schema and the semantic checks (and
//! their messages) are the same as for the typed form.

use serde_json::{Map, Value};

use super::schema::{FieldPath, Finding, Seg};
use crate::yaml::{Doc, Kind, NodeId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A string, as given.
    Str,
    /// `true` / `false` (also `True`, `TRUE`, `False`, `FALSE`).
    Bool,
    /// Comma-separated strings.
    List,
    /// `KEY=VALUE,...` into an object.
    Map,
    /// `NAME=VALUE,...` into a list of EnvVar objects.
    Env,
    /// `APIVERSION/KIND[=PODTEMPLATEPATH],...` into `workloads`.
    Workloads,
}

/// Every key the ConfigMap form accepts, with the shape of its value.
const KEYS: &[(&str, Shape)] = &[
    ("mode", Shape::Str),
    ("selector.kinds", Shape::List),
    ("selector.names", Shape::List),
    ("selector.namespaces", Shape::List),
    ("selector.labels.matchLabels", Shape::Map),
    ("containerNames", Shape::List),
    ("platform", Shape::Str),
    ("django.settingsModule", Shape::Str),
    ("django.appRoot", Shape::Str),
    ("workloads", Shape::Workloads),
    ("exporter.endpoint", Shape::Str),
    ("exporter.tls.secretName", Shape::Str),
    ("exporter.tls.configMapName", Shape::Str),
    ("exporter.tls.ca_file", Shape::Str),
    ("exporter.tls.cert_file", Shape::Str),
    ("exporter.tls.key_file", Shape::Str),
    ("propagators", Shape::List),
    ("sampler.type", Shape::Str),
    ("sampler.argument", Shape::Str),
    ("resource.resourceAttributes", Shape::Map),
    ("resource.addK8sUIDAttributes", Shape::Bool),
    ("defaults.useLabelsForResourceAttributes", Shape::Bool),
    ("env", Shape::Env),
    ("imagePullPolicy", Shape::Str),
    ("python.image", Shape::Str),
    ("python.env", Shape::Env),
    ("python.resourceRequirements.limits", Shape::Map),
    ("python.resourceRequirements.requests", Shape::Map),
    ("python.volumeLimitSize", Shape::Str),
];

/// The keys the ConfigMap form accepts, sorted.
pub fn valid_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    keys
}

/// `data.<key>`.
pub(crate) fn data_path(key: &str) -> FieldPath {
    FieldPath::keys(&["data", key])
}

/// A ConfigMap's data, converted.
pub(crate) struct Converted {
    /// The typed `spec` object.
    pub spec: Map<String, Value>,
    /// Problems of the data itself (unknown keys, malformed entries).
    pub findings: Vec<Finding>,
    /// The keys given, in order.
    pub keys: Vec<String>,
}

/// True when `data` is absent, null or an empty mapping.
pub(crate) fn is_empty_data(doc: &Doc<'_>, data: Option<NodeId>) -> bool {
    match data {
        None => true,
        Some(node) if doc.is_null(node) => true,
        Some(node) => doc.kind(node) == Kind::Map && doc.entries(node).next().is_none(),
    }
}

/// Converts the `data` mapping of a ConfigMap.
pub(crate) fn convert(doc: &Doc<'_>, data: NodeId) -> Converted {
    let mut out = Converted {
        spec: Map::new(),
        findings: Vec::new(),
        keys: Vec::new(),
    };
    if doc.kind(data) != Kind::Map {
        out.findings.push(Finding::error(
            FieldPath::keys(&["data"]),
            "must be a mapping of strings",
        ));
        return out;
    }
    for (k, v) in doc.entries(data) {
        let key = doc.scalar(k).unwrap_or_default().to_string();
        let path = data_path(&key);
        out.keys.push(key.clone());
        let Some(&(_, shape)) = KEYS.iter().find(|(name, _)| *name == key) else {
            out.findings.push(Finding::error(
                path,
                format!(
                    "unknown key {}; valid keys: {}",
                    Value::from(key.as_str()),
                    valid_keys().join(", ")
                ),
            ));
            continue;
        };
        let v = match doc.kind(v) {
            Kind::Alias => doc.alias_target(v).unwrap_or(v),
            _ => v,
        };
        let text = if doc.is_null(v) {
            ""
        } else if let Some(text) = doc.scalar(v) {
            text
        } else {
            out.findings.push(Finding::error(
                path,
                "must be a string, not a list or mapping",
            ));
            continue;
        };
        match parse(shape, text) {
            Ok(value) => insert(&mut out.spec, &key, value),
            Err(message) => out
                .findings
                .push(Finding::error(path, message).with_current(Value::from(text))),
        }
    }
    out
}

fn parse(shape: Shape, text: &str) -> Result<Value, String> {
    let items = || {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    };
    let pairs = || -> Result<Vec<(&str, &str)>, String> {
        let mut seen: Vec<&str> = Vec::new();
        items()
            .into_iter()
            .map(|item| {
                let (k, v) = item.split_once('=').ok_or_else(|| {
                    format!(
                        "expected KEY=VALUE pairs separated by commas, but {} has no '='",
                        Value::from(item)
                    )
                })?;
                let k = k.trim();
                if seen.contains(&k) {
                    return Err(format!("key {} is given twice", Value::from(k)));
                }
                seen.push(k);
                Ok((k, v.trim()))
            })
            .collect()
    };
    Ok(match shape {
        Shape::Str => Value::from(text),
        Shape::Bool => match text {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            // Left a string: the schema reports it as not a boolean.
            other => Value::from(other),
        },
        Shape::List => Value::from(items()),
        Shape::Map => Value::Object(
            pairs()?
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::from(v)))
                .collect(),
        ),
        Shape::Env => Value::Array(
            pairs()?
                .into_iter()
                .map(|(name, value)| {
                    let mut env = Map::new();
                    env.insert("name".into(), Value::from(name));
                    env.insert("value".into(), Value::from(value));
                    Value::Object(env)
                })
                .collect(),
        ),
        Shape::Workloads => Value::Array(
            items()
                .into_iter()
                .map(|item| {
                    let (gvk, path) = match item.split_once('=') {
                        Some((gvk, path)) => (gvk.trim(), Some(path.trim())),
                        None => (item, None),
                    };
                    let (api_version, kind) = gvk.rsplit_once('/').ok_or_else(|| {
                        format!(
                            "expected APIVERSION/KIND or APIVERSION/KIND=PODTEMPLATEPATH \
                             (argoproj.io/v1alpha1/Rollout=spec.template), but got {}",
                            Value::from(item)
                        )
                    })?;
                    let mut w = Map::new();
                    w.insert("apiVersion".into(), Value::from(api_version));
                    w.insert("kind".into(), Value::from(kind));
                    if let Some(path) = path {
                        w.insert("podTemplatePath".into(), Value::from(path));
                    }
                    Ok(Value::Object(w))
                })
                .collect::<Result<Vec<_>, String>>()?,
        ),
    })
}

/// Puts `value` at the dotted `key` in `spec`.
fn insert(spec: &mut Map<String, Value>, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let Some(last) = parts.pop() else {
        return;
    };
    let mut cur = spec;
    for part in parts {
        let entry = cur
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        cur = next;
    }
    cur.insert(last.to_string(), value);
}

/// The ConfigMap field for a finding about `spec...`: the key whose field
/// holds the path (`spec.propagators[1]` -> `data.propagators`), else a
/// given key below it (`spec.exporter` -> `data.exporter.endpoint`), else
/// `data`.
pub(crate) fn field_for(path: &FieldPath, given: &[String]) -> FieldPath {
    if path.0.first() == Some(&Seg::Key("data".into())) {
        return path.clone();
    }
    let below_spec: Vec<&str> = path.leading_keys().skip(1).collect();
    let holder = KEYS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| {
            let parts: Vec<&str> = k.split('.').collect();
            below_spec.starts_with(&parts)
        })
        .max_by_key(|k| k.len());
    if let Some(key) = holder {
        return data_path(key);
    }
    let prefix = below_spec.join(".");
    given
        .iter()
        .find(|k| !prefix.is_empty() && k.starts_with(&format!("{prefix}.")))
        .map_or_else(|| FieldPath::keys(&["data"]), |k| data_path(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        assert_eq!(parse(Shape::List, " a, b ,,c "), Ok(json!(["a", "b", "c"])));
        assert_eq!(parse(Shape::List, ""), Ok(json!([])));
        assert_eq!(
            parse(Shape::Map, "a=1, b = x=y"),
            Ok(json!({"a": "1", "b": "x=y"}))
        );
        assert!(parse(Shape::Map, "a=1,a=2").is_err());
        assert_eq!(parse(Shape::Bool, "True"), Ok(json!(true)));
        assert_eq!(parse(Shape::Bool, "yes"), Ok(json!("yes")));
        assert_eq!(
            parse(Shape::Env, "A=1,B="),
            Ok(json!([{"name": "A", "value": "1"}, {"name": "B", "value": ""}]))
        );
        assert_eq!(
            parse(
                Shape::Workloads,
                "argoproj.io/v1alpha1/Rollout=spec.template,v1/Foo"
            ),
            Ok(json!([
                {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "podTemplatePath": "spec.template"},
                {"apiVersion": "v1", "kind": "Foo"}
            ]))
        );
        assert!(parse(Shape::Workloads, "Rollout").is_err());
    }

    #[test]
    fn field_mapping() {
        let given = vec!["exporter.endpoint".to_string()];
        let p = |s: &[&str]| FieldPath::keys(s);
        assert_eq!(
            field_for(&p(&["spec", "propagators"]).index(1), &given).to_string(),
            "data.propagators"
        );
        assert_eq!(
            field_for(
                &p(&["spec", "resource", "resourceAttributes", "a.b"]),
                &given
            )
            .to_string(),
            "data.resource.resourceAttributes"
        );
        assert_eq!(
            field_for(&p(&["spec", "exporter"]), &given).to_string(),
            "data.exporter.endpoint"
        );
        assert_eq!(field_for(&p(&["spec"]), &given).to_string(), "data");
    }
}
