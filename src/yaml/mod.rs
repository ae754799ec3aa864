//! The format-preserving YAML document layer: parse once into nodes that
//! know their byte ranges, read through a `serde_json::Value` view, and edit
//! through text patches so untouched bytes are copied as they are.

mod doc;
mod edit;
mod render;
mod scalar;
mod split;
mod text;
mod view;

pub use doc::{Doc, Hazard, Kind, NodeId, ParseError, ParseLimits, Style};
pub use edit::{EditError, Editor, Patch, SeqIndent, apply, write_patched};
pub use render::{FlowFormat, Layout, flow};
pub use scalar::{Plain, plain_is_safe, resolve_plain};
pub use view::ViewError;
