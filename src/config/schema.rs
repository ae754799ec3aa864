//! Validation of a functionConfig value against the derived JSON Schema:
//! every violation, each with the dotted path of the field at fault and a
//! message that says what is wrong and what is allowed.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value};

use crate::krm::Severity;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path into a config object, printed as `spec.python.env[0].name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    /// A path of mapping keys: `FieldPath::keys(&["spec", "sampler"])`.
    pub fn keys(keys: &[&str]) -> Self {
        FieldPath(keys.iter().map(|k| Seg::Key((*k).to_string())).collect())
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Seg::Key(key.to_string()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Seg::Index(index));
        self
    }

    /// The leading mapping keys (up to the first index).
    pub fn leading_keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map_while(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// One problem found in a config, before it is tied to an object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finding {
    pub severity: Severity,
    pub path: FieldPath,
    pub message: String,
    /// The offending value, when there is one worth showing.
    pub current: Option<Value>,
}

impl Finding {
    pub fn error(path: FieldPath, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Error,
            path,
            message: message.into(),
            current: None,
        }
    }

    pub fn warning(path: FieldPath, message: impl Into<String>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(path, message)
        }
    }

    pub fn with_current(mut self, value: Value) -> Self {
        self.current = Some(value);
        self
    }
}

/// Which schema a value is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// The published schema of the typed functionConfig.
    Typed,
    /// The same with `sampler.type` a plain string: an Instrumentation's
    /// sampler type is checked by the operator webhook's rule (and message).
    Instrumentation,
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

fn compiled(flavor: Flavor) -> Result<&'static Compiled, String> {
    static TYPED: OnceLock<Result<Compiled, String>> = OnceLock::new();
    static INSTRUMENTATION: OnceLock<Result<Compiled, String>> = OnceLock::new();
    let cell = match flavor {
        Flavor::Typed => &TYPED,
        Flavor::Instrumentation => &INSTRUMENTATION,
    };
    cell.get_or_init(|| {
        let mut schema = super::typed::schema();
        if flavor == Flavor::Instrumentation {
            relax_sampler_type(&mut schema)?;
        }
        let validator = jsonschema::draft202012::new(&schema)
            .map_err(|e| format!("the functionConfig schema does not compile: {e}"))?;
        Ok(Compiled { schema, validator })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Replaces the sampler type enum by a plain string.
fn relax_sampler_type(schema: &mut Value) -> Result<(), String> {
    let field = schema
        .pointer_mut("/$defs/Sampler/properties/type")
        .and_then(Value::as_object_mut)
        .ok_or("the functionConfig schema has no sampler type")?;
    let description = field.get("description").cloned();
    field.clear();
    if let Some(d) = description {
        field.insert("description".into(), d);
    }
    field.insert("type".into(), Value::from("string"));
    Ok(())
}

/// Every schema violation in `instance` (a whole config object with nulls
/// removed), in the order the validator reports them.
pub(crate) fn validate(flavor: Flavor, instance: &Value) -> Vec<Finding> {
    let compiled = match compiled(flavor) {
        Ok(c) => c,
        Err(message) => {
            return vec![Finding::error(
                FieldPath::default(),
                format!("internal error: {message}"),
            )];
        }
    };
    compiled
        .validator
        .iter_errors(instance)
        .flat_map(|e| describe(&compiled.schema, instance, &e))
        .collect()
}

/// The path of a JSON pointer within `instance`: a segment is an index only
/// where the value at that point is a list.
fn path_of_pointer(instance: &Value, pointer: &str) -> FieldPath {
    let mut path = FieldPath::default();
    let mut cur = Some(instance);
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(items)) => match key.parse::<usize>() {
                Ok(i) => {
                    cur = items.get(i);
                    path.0.push(Seg::Index(i));
                }
                Err(_) => {
                    cur = None;
                    path.0.push(Seg::Key(key));
                }
            },
            Some(Value::Object(map)) => {
                cur = map.get(&key);
                path.0.push(Seg::Key(key));
            }
            _ => {
                cur = None;
                path.0.push(Seg::Key(key));
            }
        }
    }
    path
}

/// The subschema that describes the value at `path` (following `$ref`).
fn subschema_at<'s>(root: &'s Value, path: &FieldPath) -> Option<&'s Value> {
    let resolve = |mut s: &'s Value| {
        for _ in 0..16 {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => s = root.pointer(r.strip_prefix('#')?)?,
                None => return Some(s),
            }
        }
        None
    };
    let mut cur = resolve(root)?;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => cur
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| cur.get("additionalProperties").filter(|a| a.is_object())),
            Seg::Index(_) => cur.get("items"),
        }?;
        cur = resolve(next)?;
    }
    Some(cur)
}

/// `the string "x"`, `the number 5`, `a list`, ... for messages.
pub(crate) fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", Value::from(s.as_str())),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn type_name(t: &str) -> &'static str {
    match t {
        "string" => "a string",
        "boolean" => "a boolean (true or false)",
        "object" => "an object",
        "array" => "a list",
        "number" => "a number",
        "integer" => "an integer",
        _ => "null",
    }
}

fn expected_types(schema: Option<&Value>) -> String {
    let names: Vec<&str> = match schema.and_then(|s| s.get("type")) {
        Some(Value::String(t)) => vec![type_name(t)],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(type_name).collect(),
        _ => vec![],
    };
    match names.as_slice() {
        [] => "of another type".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn allowed_list(options: &Value) -> String {
    options
        .as_array()
        .map(|o| {
            o.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn pattern_message(pattern: &str, instance: &Value) -> String {
    use super::typed::{DOTTED_PATH_PATTERN, PYTHON_MODULE_PATTERN, QUANTITY_PATTERN};
    let what = if pattern == QUANTITY_PATTERN {
        "is not a Kubernetes quantity (such as 200Mi, 1Gi, 500m or 2)".to_string()
    } else if pattern == PYTHON_MODULE_PATTERN {
        "is not a dotted Python module name (such as shop.settings)".to_string()
    } else if pattern == DOTTED_PATH_PATTERN {
        "is not a dotted path of keys (such as spec.template)".to_string()
    } else {
        format!("does not match the pattern {pattern}")
    };
    format!("{instance} {what}")
}

/// The findings for one validator error: one per unknown field, else one.
fn describe(schema: &Value, instance: &Value, error: &ValidationError<'_>) -> Vec<Finding> {
    let path = path_of_pointer(instance, error.instance_path().as_str());
    let value = error.instance();
    let finding = |path: FieldPath, message: String| Finding::error(path, message);
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let mut valid: Vec<&str> = subschema_at(schema, &path)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            valid.sort_unstable();
            unexpected
                .iter()
                .map(|key| {
                    let message = format!(
                        "unknown field {}; valid fields: {}",
                        Value::from(key.as_str()),
                        valid.join(", ")
                    );
                    finding(path.clone().key(key), message)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![finding(path.key(name), "is required".into())]
        }
        ValidationErrorKind::Type { .. } => {
            let sub = subschema_at(schema, &path);
            let expected = expected_types(sub);
            let mut message = format!("must be {expected}, but is {}", describe_value(value));
            let wants_string = sub
                .and_then(|s| s.get("type"))
                .is_some_and(|t| t == "string");
            if wants_string && (value.is_number() || value.is_boolean()) {
                message.push_str(&format!(
                    " (quote it: \"{}\")",
                    value.to_string().trim_matches('"')
                ));
            }
            vec![finding(path, message).with_current(value.clone().into_owned())]
        }
        ValidationErrorKind::Enum { options } => {
            let message = format!(
                "{value} is not one of the allowed values: {}",
                allowed_list(options)
            );
            vec![finding(path, message).with_current(value.clone().into_owned())]
        }
        ValidationErrorKind::Constant { expected_value } => {
            let message = format!("must be {expected_value}, but is {value}");
            vec![finding(path, message).with_current(value.clone().into_owned())]
        }
        ValidationErrorKind::Pattern { pattern } => {
            let message = pattern_message(pattern, value);
            vec![finding(path, message).with_current(value.clone().into_owned())]
        }
        ValidationErrorKind::MinLength { .. } => vec![finding(path, "must not be empty".into())],
        _ => vec![finding(path, error.to_string())],
    }
}

/// Removes null values from mappings, recursively: a null field means an
/// absent one (as the API server treats it). Nulls in lists stay, and are
/// reported by the schema.
pub(crate) fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
