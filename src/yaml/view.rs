//! A read-only `serde_json::Value` view of any node, typed as kubectl reads
//! it: aliases expanded, `<<` merge keys applied, plain scalars resolved by
//! YAML 1.1 rules, core tags honoured. Decisions and config parsing read
//! this; edits never go through it.

use serde_json::{Map, Number, Value};

use super::doc::{Doc, Kind, NodeId, Style};
use super::scalar::{Plain, resolve_plain};

/// Deepest nesting the view follows (aliases can nest beyond the parse
/// depth limit); deeper input is refused rather than overflowing the stack.
const MAX_VIEW_DEPTH: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ViewError {
    pub path: String,
    pub message: String,
}

impl Doc<'_> {
    /// The node as a JSON value.
    pub fn to_value(&self, id: NodeId) -> Result<Value, ViewError> {
        self.value_at(id, 0)
    }

    fn value_at(&self, id: NodeId, depth: usize) -> Result<Value, ViewError> {
        if depth > MAX_VIEW_DEPTH {
            return Err(self.view_error(id, "nesting too deep"));
        }
        match self.kind(id) {
            Kind::Alias => match self.alias_target(id) {
                Some(target) => self.value_at(target, depth + 1),
                None => Err(self.view_error(id, "alias to an unknown anchor")),
            },
            Kind::Seq => self
                .items(id)
                .iter()
                .map(|&item| self.value_at(item, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Kind::Map => self.map_value(id, depth),
            Kind::Scalar => Ok(self.scalar_value(id)),
        }
    }

    fn map_value(&self, id: NodeId, depth: usize) -> Result<Value, ViewError> {
        let mut out = Map::new();
        let mut merged = Vec::new();
        for (k, v) in self.entries(id) {
            let key = self.scalar(k).unwrap_or_default();
            if key == "<<" && self.style(k) == Style::Plain && !self.is_tagged(k) {
                merged.push(v);
                continue;
            }
            out.insert(key.to_string(), self.value_at(v, depth + 1)?);
        }
        // Explicit keys win over merged ones; earlier merge sources win over
        // later ones (YAML merge key rules).
        for source in merged {
            let sources = match self.value_at(source, depth + 1)? {
                Value::Array(items) => items,
                other => vec![other],
            };
            for source_value in sources {
                let Value::Object(fields) = source_value else {
                    return Err(self.view_error(source, "a `<<` merge key needs a mapping"));
                };
                for (k, v) in fields {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn scalar_value(&self, id: NodeId) -> Value {
        let text = self.scalar(id).unwrap_or_default();
        let resolved = match (self.tag(id), self.style(id)) {
            (Some("tag:yaml.org,2002:str"), _) => Plain::Str,
            (Some("tag:yaml.org,2002:null"), _) => Plain::Null,
            (Some(t), _) if t.starts_with("tag:yaml.org,2002:") => match resolve_plain(text) {
                Plain::Str => Plain::Str,
                typed => typed,
            },
            (_, Style::Plain) => resolve_plain(text),
            _ => Plain::Str,
        };
        match resolved {
            Plain::Null => Value::Null,
            Plain::Bool(b) => Value::Bool(b),
            Plain::Int(i) => Value::Number(i.into()),
            Plain::Float(f) => {
                Number::from_f64(f).map_or_else(|| Value::String(text.into()), Value::Number)
            }
            Plain::Str => Value::String(text.into()),
        }
    }

    fn view_error(&self, id: NodeId, message: &str) -> ViewError {
        ViewError {
            path: self.path_of(id),
            message: message.into(),
        }
    }
}
