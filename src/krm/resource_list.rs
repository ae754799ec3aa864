//! The ResourceList envelope: which node holds the items, the
//! functionConfig and the results, and what each item is.

use crate::yaml::{Doc, Kind, NodeId, SeqIndent};

use super::results::{FileRef, ResourceRef};

/// The envelope kinds orchestrators send (kyaml accepts both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    ResourceList,
    List,
}

/// Why the input is not a ResourceList.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a ResourceList: {0}")]
pub struct EnvelopeError(pub String);

/// One object of `items`.
#[derive(Debug, Clone)]
pub struct Item {
    pub node: NodeId,
    /// Position in `items`.
    pub position: usize,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub file: Option<FileRef>,
    /// The list style of the item's file, as kpt records it.
    pub seq_indent: Option<SeqIndent>,
}

impl Item {
    /// The item at `node` (a mapping): its identity, and its file and list
    /// style as the orchestrator's annotations give them.
    pub fn describe(doc: &Doc<'_>, node: NodeId, position: usize) -> Item {
        let text = |path: &[&str]| {
            doc.path(node, path)
                .and_then(|n| doc.scalar(n))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let annotations = doc.path(node, &["metadata", "annotations"]);
        let annotation = |keys: &[&str]| {
            let map = annotations?;
            keys.iter()
                .find_map(|k| doc.get(map, k).and_then(|n| doc.scalar(n)))
                .map(str::to_string)
        };
        let file = annotation(&PATH_KEYS).map(|path| FileRef {
            path,
            index: annotation(&INDEX_KEYS).and_then(|i| i.parse().ok()),
        });
        let seq_indent = annotation(&[SEQ_INDENT_KEY]).and_then(|s| match s.as_str() {
            "wide" => Some(SeqIndent::Wide),
            "compact" => Some(SeqIndent::Compact),
            _ => None,
        });
        Item {
            node,
            position,
            api_version: text(&["apiVersion"]).unwrap_or_default(),
            kind: text(&["kind"]).unwrap_or_default(),
            name: text(&["metadata", "name"]).unwrap_or_default(),
            namespace: text(&["metadata", "namespace"]),
            file,
            seq_indent,
        }
    }

    pub fn resource_ref(&self) -> ResourceRef {
        ResourceRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
        }
    }

    /// `apiVersion` group, without the version (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }
}

/// A parsed ResourceList.
#[derive(Debug)]
pub struct ResourceList<'d, 'a> {
    pub doc: &'d Doc<'a>,
    pub root: NodeId,
    pub envelope: Envelope,
    /// `items`, absent or null when the key is missing or null.
    pub items_node: Option<NodeId>,
    pub items: Vec<Item>,
    /// `functionConfig`, `None` when missing or null.
    pub function_config: Option<NodeId>,
}

const PATH_KEYS: [&str; 2] = [
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
];
const INDEX_KEYS: [&str; 2] = [
    "internal.config.kubernetes.io/index",
    "config.kubernetes.io/index",
];
const SEQ_INDENT_KEY: &str = "internal.config.kubernetes.io/seqindent";

impl<'d, 'a> ResourceList<'d, 'a> {
    /// Reads the envelope of a parsed stream.
    pub fn from_doc(doc: &'d Doc<'a>) -> Result<Self, EnvelopeError> {
        let root = match doc.documents() {
            [] => return Err(EnvelopeError("the input is empty".into())),
            [root] => *root,
            docs => {
                return Err(EnvelopeError(format!(
                    "the input holds {} YAML documents; a ResourceList is a single document",
                    docs.len()
                )));
            }
        };
        if doc.kind(root) != Kind::Map {
            return Err(EnvelopeError("the document is not a mapping".into()));
        }
        let envelope = match doc.get(root, "kind").and_then(|k| doc.scalar(k)) {
            Some("ResourceList") => Envelope::ResourceList,
            Some("List") => Envelope::List,
            Some(other) => {
                return Err(EnvelopeError(format!(
                    "kind is {other:?}; expected ResourceList (or List)"
                )));
            }
            None => return Err(EnvelopeError("it has no kind".into())),
        };
        let items_node = doc.get(root, "items").filter(|&n| !doc.is_null(n));
        let function_config = doc.get(root, "functionConfig").filter(|&n| !doc.is_null(n));
        if items_node.is_none() && function_config.is_none() {
            return Err(EnvelopeError(
                "it has neither items nor functionConfig".into(),
            ));
        }
        if function_config.is_some_and(|n| doc.kind(n) != Kind::Map) {
            return Err(EnvelopeError("functionConfig is not an object".into()));
        }
        let mut items = Vec::new();
        if let Some(list) = items_node {
            if doc.kind(list) != Kind::Seq {
                return Err(EnvelopeError("items is not a list".into()));
            }
            for (position, &node) in doc.items(list).iter().enumerate() {
                items.push(read_item(doc, node, position)?);
            }
        }
        Ok(ResourceList {
            doc,
            root,
            envelope,
            items_node,
            items,
            function_config,
        })
    }
}

fn read_item(doc: &Doc<'_>, node: NodeId, position: usize) -> Result<Item, EnvelopeError> {
    let bad = |what: &str| EnvelopeError(format!("items[{position}] {what}"));
    let node = match doc.kind(node) {
        Kind::Alias => doc
            .alias_target(node)
            .ok_or_else(|| bad("is an unknown alias"))?,
        _ => node,
    };
    if doc.kind(node) != Kind::Map {
        return Err(bad("is not an object"));
    }
    Ok(Item::describe(doc, node, position))
}
