//! Edits as text patches. Every operation is planned against the one parse
//! and recorded as "replace this byte range with this text"; untouched bytes
//! are copied as they are when the patches are applied, once, at the end.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;

use serde_json::{Map, Value};

use super::doc::{Doc, Hazard, Kind, NodeId, Style};
use super::render::{self, FlowFormat, Layout};
use super::scalar::{double_quoted, plain_is_safe, single_quoted};
use super::text::{self, LineKind};

/// One text change: replace `start..end` of the source with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Orders insertions at the same byte: deeper content first, so that
    /// what closes a nested collection comes before what follows it,
    /// whatever order the edits were recorded in.
    rank: u32,
}

/// Why an edit was refused. `path` is the dotted path of the refused node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("cannot edit {path} in place: {}", hazard.describe())]
    Hazard {
        node: NodeId,
        path: String,
        hazard: Hazard,
    },
    #[error("cannot edit {path}: {message}")]
    Unsupported {
        node: NodeId,
        path: String,
        message: String,
    },
    #[error("two edits overlap at byte {at}")]
    Overlap { at: usize },
}

impl EditError {
    /// Why, without the path.
    pub fn reason(&self) -> String {
        match self {
            EditError::Hazard { hazard, .. } => {
                format!("cannot edit in place: {}", hazard.describe())
            }
            EditError::Unsupported { message, .. } => format!("cannot edit: {message}"),
            EditError::Overlap { at } => format!("two edits overlap at byte {at}"),
        }
    }

    /// The node the refusal is about.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            EditError::Hazard { node, .. } | EditError::Unsupported { node, .. } => Some(*node),
            EditError::Overlap { .. } => None,
        }
    }
}

/// List indentation for new lists when no sibling list shows the style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SeqIndent {
    #[default]
    Compact,
    Wide,
}

/// Collects patches against one [`Doc`].
pub struct Editor<'d, 'a> {
    doc: &'d Doc<'a>,
    patches: Vec<Patch>,
    /// Elements appended so far to each collection, so that later appends to
    /// a flow collection know it is no longer empty.
    appended: HashMap<NodeId, usize>,
    default_seq: SeqIndent,
    json: bool,
}

impl<'d, 'a> Editor<'d, 'a> {
    pub fn new(doc: &'d Doc<'a>) -> Self {
        let src = doc.src().trim_start_matches(text::BOM);
        let json = src.trim_start().starts_with(['{', '[']);
        Editor {
            doc,
            patches: Vec::new(),
            appended: HashMap::new(),
            default_seq: SeqIndent::Compact,
            json,
        }
    }

    /// Sets the list style used when nothing nearby shows one (kpt passes
    /// each file's style in `internal.config.kubernetes.io/seqindent`).
    pub fn set_default_seq_indent(&mut self, style: SeqIndent) {
        self.default_seq = style;
    }

    pub fn doc(&self) -> &'d Doc<'a> {
        self.doc
    }

    pub fn is_empty(&self) -> bool {
        self.patches.is_empty()
    }

    /// Number of patches recorded so far; with [`Editor::truncate`] lets a
    /// caller drop the edits of one item that failed half-way.
    pub fn len(&self) -> usize {
        self.patches.len()
    }

    pub fn truncate(&mut self, len: usize) {
        self.patches.truncate(len);
    }

    fn check(&self, node: NodeId) -> Result<(), EditError> {
        match self.doc.edit_hazard(node) {
            Some((at, hazard)) => Err(EditError::Hazard {
                node: at,
                path: self.doc.path_of(at),
                hazard,
            }),
            None => Ok(()),
        }
    }

    fn unsupported(&self, node: NodeId, message: &str) -> EditError {
        EditError::Unsupported {
            node,
            path: self.doc.path_of(node),
            message: message.into(),
        }
    }

    fn push(&mut self, start: usize, end: usize, mut text: String) {
        // Rendered text grows by doubling; thousands of patches are kept.
        text.shrink_to_fit();
        self.patches.push(Patch {
            start,
            end,
            text,
            rank: 0,
        });
    }

    /// An insertion of block lines whose content starts at column `col`;
    /// list items (`item`) rank just deeper than keys at the same column,
    /// because they belong to the key above them.
    fn push_block(&mut self, at: usize, mut text: String, col: usize, item: bool) {
        text.shrink_to_fit();
        let depth = (col as u32).saturating_mul(2) + u32::from(item);
        self.patches.push(Patch {
            start: at,
            end: at,
            text,
            rank: u32::MAX - depth,
        });
    }

    fn flow_format(&self) -> FlowFormat {
        if self.json {
            FlowFormat::Json
        } else {
            FlowFormat::Yaml
        }
    }

    /// Column (in characters; indentation is ASCII) of a byte offset.
    fn col(&self, pos: usize) -> usize {
        let src = self.doc.src();
        let ls = text::line_start(src, pos);
        let bom = if ls == 0 && src.starts_with(text::BOM) {
            text::BOM.len()
        } else {
            0
        };
        pos - ls - bom.min(pos - ls)
    }

    /// Appends items to a sequence, copying the style of its items.
    pub fn append_items(&mut self, seq: NodeId, items: &[Value]) -> Result<(), EditError> {
        self.check(seq)?;
        if self.doc.kind(seq) != Kind::Seq {
            return Err(self.unsupported(seq, "not a sequence"));
        }
        if items.is_empty() {
            return Ok(());
        }
        if self.doc.is_flow(seq) {
            let elems: Vec<(Option<&str>, &Value)> = items.iter().map(|v| (None, v)).collect();
            return self.flow_insert(seq, &elems);
        }
        let (dash_col, layout) = self.block_append_site(seq)?;
        let body = render::block_items(items, dash_col, &layout);
        let at = self.block_insert_point(seq, dash_col);
        self.insert_block(at, body, dash_col, true);
        Ok(())
    }

    /// Appends items to the list at `key` of a mapping, whatever its state:
    /// an existing list grows, a null is filled, a missing key is added at
    /// the end of the mapping.
    pub fn append_to_list(
        &mut self,
        map: NodeId,
        key: &str,
        items: &[Value],
    ) -> Result<(), EditError> {
        if items.is_empty() {
            return Ok(());
        }
        match self.doc.get(map, key) {
            None => self.insert_entry(map, key, &Value::Array(items.to_vec())),
            Some(node) if self.doc.is_null(node) => {
                self.fill_null(node, &Value::Array(items.to_vec()))
            }
            Some(node) => self.append_items(node, items),
        }
    }

    /// Adds entries to the mapping at `key` of a mapping, whatever its
    /// state: an existing mapping gets them at its end, a null is filled, a
    /// missing key is added with them at the end of the parent.
    pub fn insert_into_map(
        &mut self,
        parent: NodeId,
        key: &str,
        entries: &Map<String, Value>,
    ) -> Result<(), EditError> {
        if entries.is_empty() {
            return Ok(());
        }
        match self.doc.get(parent, key) {
            None => self.insert_entry(parent, key, &Value::Object(entries.clone())),
            Some(node) if self.doc.is_null(node) => {
                self.fill_null(node, &Value::Object(entries.clone()))
            }
            Some(node) => entries
                .iter()
                .try_for_each(|(k, v)| self.insert_entry(node, k, v)),
        }
    }

    /// Adds `key: value` at the end of a mapping.
    pub fn insert_entry(&mut self, map: NodeId, key: &str, value: &Value) -> Result<(), EditError> {
        self.check(map)?;
        if self.doc.kind(map) != Kind::Map {
            return Err(self.unsupported(map, "not a mapping"));
        }
        if self.doc.get(map, key).is_some() {
            return Err(self.unsupported(map, &format!("key {key:?} already exists")));
        }
        if self.doc.is_flow(map) {
            return self.flow_insert(map, &[(Some(key), value)]);
        }
        let (key_col, layout) = self.block_entry_site(map)?;
        let mut one = Map::new();
        one.insert(key.to_string(), value.clone());
        let body = render::block_entries(&one, key_col, &layout);
        let at = self.block_insert_point(map, key_col);
        self.insert_block(at, body, key_col, false);
        Ok(())
    }

    /// Replaces a null (`key:`, `key: ~`, `key: null`, `- ~`) with a value.
    pub fn fill_null(&mut self, node: NodeId, value: &Value) -> Result<(), EditError> {
        self.check(node)?;
        if !self.doc.is_null(node) {
            return Err(self.unsupported(node, "not a null value"));
        }
        let parent = self
            .doc
            .parent(node)
            .ok_or_else(|| self.unsupported(node, "a document root cannot be filled"))?;
        let (start, end) = self.doc.range(node);
        if self.doc.is_flow(parent) {
            let lead = if self.doc.is_empty_scalar(node) {
                " "
            } else {
                ""
            };
            let text = format!("{lead}{}", render::flow(value, self.flow_format()));
            self.push(start, end, text);
            return Ok(());
        }
        let layout = self.layout_near(parent);
        let nl = self.doc.newline();
        match self.doc.kind(parent) {
            Kind::Map => {
                let key = self.key_of(parent, node);
                let key_col = self.col(self.doc.prop_start(key));
                let rendered = render::after_key(value, key_col, &layout);
                let rendered = rendered.strip_suffix(nl).unwrap_or(&rendered);
                let colon = self.doc.colon_after(key).unwrap_or(start);
                if let Some(inline) = rendered.strip_prefix(' ') {
                    // A scalar or an empty collection stays on the key line.
                    let lead = if self.doc.is_empty_scalar(node) {
                        " "
                    } else {
                        ""
                    };
                    self.push(start, end, format!("{lead}{inline}"));
                } else {
                    self.put_lines_for_null(node, colon, rendered.to_string());
                }
            }
            _ => {
                let dash = self.doc.dash_of(node);
                let dash_col = self.col(dash);
                let item = render::block_items(std::slice::from_ref(value), dash_col, &layout);
                let item = item.trim_start_matches(' ');
                let item = item.strip_suffix(nl).unwrap_or(item);
                self.push(dash, end.max(dash + 1), item.to_string());
            }
        }
        Ok(())
    }

    /// Replaces a scalar's value, keeping its quoting or block style (a
    /// style that cannot hold the new value falls back to double quotes).
    /// Comments around it are untouched.
    pub fn set_scalar(&mut self, node: NodeId, value: &str) -> Result<(), EditError> {
        self.set_scalar_with(node, self.doc.style(node), value)
    }

    fn set_scalar_with(
        &mut self,
        node: NodeId,
        style: Style,
        value: &str,
    ) -> Result<(), EditError> {
        self.check(node)?;
        if self.doc.kind(node) != Kind::Scalar {
            return Err(self.unsupported(node, "not a scalar"));
        }
        if self.doc.is_tagged(node) {
            return Err(self.unsupported(node, "tagged scalars are not edited"));
        }
        let flow_parent = self.doc.parent(node).is_some_and(|p| self.doc.is_flow(p));
        let (start, end) = self.doc.range(node);
        let text = match style {
            _ if self.json => double_quoted(value),
            Style::Plain if plain_is_safe(value, flow_parent) => value.to_string(),
            Style::SingleQuoted => single_quoted(value).unwrap_or_else(|| double_quoted(value)),
            Style::Literal | Style::Folded => {
                let col = self.block_content_col(node);
                let header_comment = self.block_header_comment(node);
                match render::literal_block(value, col, self.doc.newline()) {
                    Some(block) => match block.split_once(self.doc.newline()) {
                        Some((header, body)) => {
                            format!("{header}{header_comment}{}{body}", self.doc.newline())
                        }
                        None => block,
                    },
                    None => format!("{}{header_comment}", double_quoted(value)),
                }
            }
            _ => double_quoted(value),
        };
        let lead = if self.doc.is_empty_scalar(node) {
            " "
        } else {
            ""
        };
        let src = self.doc.src();
        // A keep-chomped block ends at a line start; so must its replacement.
        let tail = if end > start && src.as_bytes()[end - 1] == b'\n' && !text.ends_with('\n') {
            self.doc.newline()
        } else {
            ""
        };
        self.push(start, end, format!("{lead}{text}{tail}"));
        Ok(())
    }

    /// The comment on a block scalar's header line (` # run` of
    /// `script: |- # run`), kept when the scalar is replaced.
    fn block_header_comment(&self, node: NodeId) -> String {
        let src = self.doc.src();
        let start = self.doc.range(node).0;
        let header = &src[start..text::line_end(src, start)];
        header
            .find(" #")
            .or_else(|| header.find("\t#"))
            .map_or_else(String::new, |i| header[i..].to_string())
    }

    /// Replaces the items `range` of a sequence with `items`: an empty range
    /// inserts (before the item at `range.start`, above its head comments,
    /// or at the end); empty `items` remove the items' own lines (comments
    /// above them stay). New items copy the dash column and offset of a
    /// neighbouring item.
    pub fn replace_items(
        &mut self,
        seq: NodeId,
        range: Range<usize>,
        items: &[Value],
    ) -> Result<(), EditError> {
        self.replace_items_styled(seq, range, items, None)
    }

    /// [`Editor::replace_items`] with the dash-to-content offset of new
    /// block items given (`-   a` is 4) instead of copied from a neighbour.
    pub fn replace_items_styled(
        &mut self,
        seq: NodeId,
        range: Range<usize>,
        items: &[Value],
        item_offset: Option<usize>,
    ) -> Result<(), EditError> {
        self.check(seq)?;
        if self.doc.kind(seq) != Kind::Seq {
            return Err(self.unsupported(seq, "not a sequence"));
        }
        let current = self.doc.items(seq);
        let n = current.len();
        if range.start > range.end || range.end > n {
            return Err(self.unsupported(seq, "item range out of bounds"));
        }
        if items.is_empty() {
            let indices: Vec<usize> = range.collect();
            if self.doc.is_flow(seq) || indices.len() == n {
                return self.remove_items(seq, &indices);
            }
            // The items' own lines: comment lines above them belong to
            // what they were put next to.
            for index in indices {
                self.remove_item_lines(seq, index)?;
            }
            return Ok(());
        }
        if range.start == n && (self.doc.is_flow(seq) || item_offset.is_none()) {
            return self.append_items(seq, items);
        }
        let src = self.doc.src();
        if self.doc.is_flow(seq) {
            let format = self.flow_format();
            let first = self.doc.prop_start(current[0]);
            let multiline =
                text::line_start(src, first) != text::line_start(src, self.doc.range(seq).0);
            let sep = if multiline {
                format!(",{}{}", self.doc.newline(), " ".repeat(self.col(first)))
            } else {
                ", ".to_string()
            };
            let body = items
                .iter()
                .map(|v| {
                    if multiline {
                        let step = self
                            .col(first)
                            .saturating_sub(text::indent_of(
                                src,
                                text::line_start(src, self.doc.range(seq).0),
                            ))
                            .max(1);
                        render::pretty_flow(v, self.col(first), step, format, self.doc.newline())
                    } else {
                        render::flow(v, format)
                    }
                })
                .collect::<Vec<_>>()
                .join(&sep);
            let start = self.doc.prop_start(current[range.start]);
            if range.is_empty() {
                self.push(start, start, format!("{body}{sep}"));
            } else {
                let end = self.doc.range(current[range.end - 1]).1;
                self.push(start, end, body);
            }
            return Ok(());
        }
        let reference = match range.start {
            0 => current[range.end.min(n - 1)],
            i => current[i - 1],
        };
        let dash = self.doc.dash_of(reference);
        let dash_col = self.col(dash);
        let mut layout = self.layout_near(seq);
        let content = self.doc.prop_start(reference);
        if let Some(offset) = item_offset {
            layout.item_offset = offset;
        } else if text::line_start(src, content) == text::line_start(src, dash) && content > dash {
            layout.item_offset = self.col(content) - dash_col;
        }
        let elements: Vec<(NodeId, NodeId)> = current.iter().map(|&i| (i, i)).collect();
        let before = |i: usize| -> Result<usize, EditError> {
            let d = self.doc.dash_of(current[i]);
            let ls = text::line_start(src, d);
            if !src[ls..d].trim_start_matches(' ').is_empty() {
                return Err(
                    self.unsupported(current[i], "the item shares its line with another node")
                );
            }
            let col = self.col(d);
            Ok(self.head_comment_start(ls, col, self.end_of_previous(&elements, i, col)))
        };
        let start = if range.start == n {
            self.block_element_end(self.doc.range(current[n - 1]).1, dash_col)
        } else if range.is_empty() {
            // An insertion goes above the next item's head comments.
            before(range.start)?
        } else {
            // A replacement starts at its first item's own line.
            text::line_start(src, self.doc.dash_of(current[range.start]))
        };
        let end = if range.is_empty() {
            start
        } else if range.end < n {
            let last_end =
                self.block_element_end(self.doc.range(current[range.end - 1]).1, dash_col);
            before(range.end)?.max(last_end)
        } else {
            self.block_element_end(self.doc.range(current[n - 1]).1, dash_col)
        };
        let body = render::block_items(items, dash_col, &layout);
        if start == end {
            self.insert_block(start, body, dash_col, true);
        } else if end == src.len() && !src.ends_with('\n') {
            let nl = self.doc.newline();
            self.push(
                start,
                end,
                body.strip_suffix(nl).unwrap_or(&body).to_string(),
            );
        } else {
            self.push(start, end, body);
        }
        Ok(())
    }

    /// Inserts an item given as raw text (its lines, indented relative to
    /// its dash) at position `index` of a block sequence, below the first
    /// `comments_above` comment lines found there (the item's own head
    /// comments, which stayed in place when it was taken out). Restores an
    /// item exactly as it was written.
    pub fn insert_raw_item(
        &mut self,
        seq: NodeId,
        index: usize,
        raw: &str,
        comments_above: usize,
        lines_below: usize,
    ) -> Result<(), EditError> {
        self.check(seq)?;
        let current = self.doc.items(seq);
        if self.doc.is_flow(seq) || current.is_empty() || index > current.len() {
            return Err(self.unsupported(seq, "raw items go into a non-empty block sequence"));
        }
        let src = self.doc.src();
        let reference = current[index.min(current.len() - 1)];
        let dash_col = self.col(self.doc.dash_of(reference));
        let nl = self.doc.newline();
        let mut body = String::new();
        for line in raw.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.is_empty() {
                body.push_str(&" ".repeat(dash_col));
                body.push_str(line);
            }
            body.push_str(nl);
        }
        let elements: Vec<(NodeId, NodeId)> = current.iter().map(|&i| (i, i)).collect();
        let mut at = if index < current.len() {
            let d = self.doc.dash_of(current[index]);
            let floor = self.end_of_previous(&elements, index, dash_col);
            self.head_comment_start(text::line_start(src, d), dash_col, floor)
        } else {
            self.block_element_end(self.doc.range(current[index - 1]).1, dash_col)
        };
        if lines_below > 0 && index < current.len() {
            // Blank lines or shallower comments that followed the item stay
            // below it.
            for _ in 0..lines_below {
                if at > 0 {
                    at = text::line_start(src, at - 1);
                }
            }
        } else {
            for _ in 0..comments_above {
                if at < src.len() && text::line_kind(src, at) == LineKind::Comment {
                    at = text::next_line_start(src, at);
                }
            }
        }
        self.insert_block(at, body, dash_col, true);
        Ok(())
    }

    /// The lines between a block sequence item and the next item's head
    /// comments (blank lines, shallower comments), which
    /// [`Editor::remove_item_lines`] leaves in place.
    pub fn lines_below(&self, seq: NodeId, index: usize) -> usize {
        let current = self.doc.items(seq);
        let (Some(&item), Some(&next)) = (current.get(index), current.get(index + 1)) else {
            return 0;
        };
        let src = self.doc.src();
        let col = self.col(self.doc.dash_of(item));
        let end = self.block_element_end(self.doc.range(item).1, col);
        let next_line = text::line_start(src, self.doc.dash_of(next));
        let elements: Vec<(NodeId, NodeId)> = current.iter().map(|&i| (i, i)).collect();
        let next_start = self.head_comment_start(
            next_line,
            col,
            self.end_of_previous(&elements, index + 1, col),
        );
        src.get(end..next_start)
            .map_or(0, |t| t.matches('\n').count())
    }

    /// The comment lines directly above a block sequence item (its head
    /// comments), which [`Editor::remove_item_lines`] leaves in place.
    pub fn comment_lines_above(&self, seq: NodeId, index: usize) -> usize {
        let current = self.doc.items(seq);
        let Some(&item) = current.get(index) else {
            return 0;
        };
        let src = self.doc.src();
        let d = self.doc.dash_of(item);
        let ls = text::line_start(src, d);
        let col = self.col(d);
        let elements: Vec<(NodeId, NodeId)> = current.iter().map(|&i| (i, i)).collect();
        let start = self.head_comment_start(ls, col, self.end_of_previous(&elements, index, col));
        src[start..ls].matches('\n').count()
    }

    /// Removes the lines of one block sequence item (from its dash line to
    /// its last line), leaving its head comments where they are.
    pub fn remove_item_lines(&mut self, seq: NodeId, index: usize) -> Result<(), EditError> {
        self.check(seq)?;
        let Some(&item) = self
            .doc
            .items(seq)
            .get(index)
            .filter(|_| !self.doc.is_flow(seq))
        else {
            return Err(self.unsupported(seq, "no such block sequence item"));
        };
        let src = self.doc.src();
        let d = self.doc.dash_of(item);
        let ls = text::line_start(src, d);
        if !src[ls..d].trim_start_matches(' ').is_empty() {
            return Err(self.unsupported(item, "the item shares its line with another node"));
        }
        let end = self.block_element_end(self.doc.range(item).1, self.col(d));
        self.push(ls, end, String::new());
        Ok(())
    }

    /// Replaces a node's source text (a flow collection, a scalar) with
    /// `text` as given.
    pub fn replace_text(&mut self, node: NodeId, text: &str) -> Result<(), EditError> {
        self.check(node)?;
        let (start, end) = self.doc.range(node);
        self.push(start, end, text.to_string());
        Ok(())
    }

    /// The source text of a node (properties excluded).
    pub fn raw_text(&self, node: NodeId) -> &'a str {
        let (start, end) = self.doc.range(node);
        &self.doc.src()[start..end]
    }

    /// A value as one line of flow text in this document's format (JSON for
    /// JSON input).
    pub fn flow_text(&self, value: &Value) -> String {
        render::flow(value, self.flow_format())
    }

    /// Sets a scalar as a new value would be written (plain when safe, else
    /// quoted), whatever its current style.
    pub fn set_scalar_fresh(&mut self, node: NodeId, value: &str) -> Result<(), EditError> {
        self.check(node)?;
        let flow = self.doc.parent(node).is_some_and(|p| self.doc.is_flow(p));
        let text = if self.json {
            double_quoted(value)
        } else {
            super::scalar::yaml_string(value, flow)
        };
        self.replace_text(node, &text)
    }

    /// The text of a block sequence item from its dash to its last line,
    /// with the dash column removed from every line: what
    /// [`Editor::insert_raw_item`] puts back.
    pub fn raw_item(&self, item: NodeId) -> Option<String> {
        let src = self.doc.src();
        let dash = self.doc.dash_of(item);
        let col = self.col(dash);
        let end = text::line_end(src, self.doc.range(item).1);
        let text = &src[dash..end];
        let mut out = String::new();
        for (i, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if i > 0 {
                out.push('\n');
                let indent = text::indent_of(line, 0);
                if indent < col && !line.trim().is_empty() {
                    return None;
                }
                out.push_str(line.get(col.min(indent)..).unwrap_or(""));
            } else {
                out.push_str(line);
            }
        }
        Some(out)
    }

    /// The source text of a scalar, quotes and block header included.
    pub fn raw_scalar(&self, node: NodeId) -> Option<&'a str> {
        (self.doc.kind(node) == Kind::Scalar && !self.doc.is_empty_scalar(node)).then(|| {
            let (s, e) = self.doc.range(node);
            &self.doc.src()[s..e]
        })
    }

    /// Puts back a scalar's source text exactly (a single-line text taken by
    /// [`Editor::raw_scalar`] before an edit).
    pub fn restore_scalar(&mut self, node: NodeId, raw: &str) -> Result<(), EditError> {
        self.check(node)?;
        if self.doc.kind(node) != Kind::Scalar || raw.contains('\n') {
            return Err(self.unsupported(node, "only single-line scalars are restored"));
        }
        let (start, end) = self.doc.range(node);
        let lead = if self.doc.is_empty_scalar(node) {
            " "
        } else {
            ""
        };
        self.push(start, end, format!("{lead}{raw}"));
        Ok(())
    }

    /// Replaces the value of `key` in a block or flow mapping with source
    /// text (`~`, `null`, or `""` for nothing): how a null the function
    /// filled is put back.
    pub fn restore_value(&mut self, map: NodeId, key: &str, raw: &str) -> Result<(), EditError> {
        self.check(map)?;
        let (k, v) = self
            .doc
            .entry(map, key)
            .ok_or_else(|| self.unsupported(map, &format!("no key {key:?}")))?;
        let src = self.doc.src();
        let colon = self
            .doc
            .colon_after(k)
            .ok_or_else(|| self.unsupported(k, "no `:` after the key"))?;
        let text = if raw.is_empty() {
            String::new()
        } else {
            format!(" {raw}")
        };
        if self.doc.is_flow(map) || self.doc.is_flow(v) || self.doc.kind(v) == Kind::Scalar {
            self.push(colon, self.doc.range(v).1.max(colon), text);
        } else {
            // Block content below the key line: the null goes back after the
            // colon, any comment on the key line stays, the lines go.
            let col = self.col(self.doc.prop_start(k));
            let line_end = text::line_end(src, colon);
            let end =
                text::before_line_break(src, self.block_element_end(self.doc.range(v).1, col));
            self.push(colon, colon, text);
            self.push(line_end, end.max(line_end), String::new());
        }
        Ok(())
    }

    /// Sets a scalar to `value` in the style its `raw` source text had (the
    /// style a fresh edit of that text would keep).
    pub fn set_scalar_like(
        &mut self,
        node: NodeId,
        raw: &str,
        value: &str,
    ) -> Result<(), EditError> {
        let style = match raw.as_bytes().first() {
            Some(b'"') => Style::DoubleQuoted,
            Some(b'\'') => Style::SingleQuoted,
            _ => Style::Plain,
        };
        self.set_scalar_with(node, style, value)
    }

    /// Removes the items at `indices` from a sequence. Removing every item
    /// leaves an empty flow sequence `[]`.
    pub fn remove_items(&mut self, seq: NodeId, indices: &[usize]) -> Result<(), EditError> {
        self.check(seq)?;
        if self.doc.kind(seq) != Kind::Seq {
            return Err(self.unsupported(seq, "not a sequence"));
        }
        let elements: Vec<(NodeId, NodeId)> = self.doc.items(seq).iter().map(|&i| (i, i)).collect();
        self.remove_elements(seq, &elements, indices)
    }

    /// Removes the entries with the given keys from a mapping. Removing every
    /// entry leaves an empty flow mapping `{}`.
    pub fn remove_entries(&mut self, map: NodeId, keys: &[&str]) -> Result<(), EditError> {
        self.check(map)?;
        if self.doc.kind(map) != Kind::Map {
            return Err(self.unsupported(map, "not a mapping"));
        }
        let elements: Vec<(NodeId, NodeId)> = self.doc.entries(map).collect();
        let indices: Vec<usize> = elements
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| self.doc.scalar(*k).is_some_and(|s| keys.contains(&s)))
            .map(|(i, _)| i)
            .collect();
        self.remove_elements(map, &elements, &indices)
    }

    /// `elements` are `(first node, last node)` of each element: the item
    /// itself, or a key and its value.
    fn remove_elements(
        &mut self,
        coll: NodeId,
        elements: &[(NodeId, NodeId)],
        indices: &[usize],
    ) -> Result<(), EditError> {
        let mut remove = vec![false; elements.len()];
        for &i in indices {
            if let Some(r) = remove.get_mut(i) {
                *r = true;
            }
        }
        if !remove.contains(&true) {
            return Ok(());
        }
        let is_map = self.doc.kind(coll) == Kind::Map;
        let empty = if is_map { "{}" } else { "[]" };
        let src = self.doc.src();
        if self.doc.is_flow(coll) {
            let (open, close) = self.doc.range(coll);
            if remove.iter().all(|&r| r) {
                self.push(open + 1, close - 1, String::new());
                return Ok(());
            }
            let start_of = |e: &(NodeId, NodeId)| self.doc.prop_start(e.0);
            let end_of = |e: &(NodeId, NodeId)| self.doc.range(e.1).1;
            let mut i = 0;
            while i < elements.len() {
                if !remove[i] {
                    i += 1;
                    continue;
                }
                let mut j = i;
                while j + 1 < elements.len() && remove[j + 1] {
                    j += 1;
                }
                let (from, to) = if i > 0 {
                    (end_of(&elements[i - 1]), end_of(&elements[j]))
                } else {
                    (start_of(&elements[i]), start_of(&elements[j + 1]))
                };
                self.push(from, to, String::new());
                i = j + 1;
            }
            return Ok(());
        }
        if remove.iter().all(|&r| r) {
            let parent = self.doc.parent(coll);
            let Some(parent) = parent.filter(|&p| self.doc.kind(p) == Kind::Map) else {
                return Err(self.unsupported(
                    coll,
                    "cannot empty a collection that is not a mapping value",
                ));
            };
            let key = self.key_of(parent, coll);
            let colon = self
                .doc
                .colon_after(key)
                .ok_or_else(|| self.unsupported(coll, "no `:` after the key"))?;
            let col = self.col(self.element_start(coll, elements[0].0));
            let end = self.block_element_end(self.doc.range(coll).1, col);
            let end = text::before_line_break(src, end);
            self.push(colon, end, format!(" {empty}"));
            return Ok(());
        }
        for (i, element) in elements.iter().enumerate() {
            if !remove[i] {
                continue;
            }
            let first = self.element_start(coll, element.0);
            let ls = text::line_start(src, first);
            let col = self.col(first);
            let end = self.block_element_end(self.doc.range(element.1).1, col);
            if src[ls..first].trim_start_matches(' ').is_empty() {
                let floor = self.end_of_previous(elements, i, col);
                let mut from = self.head_comment_start(ls, col, floor);
                if end == src.len() && !src.ends_with('\n') && from > 0 {
                    // The last line of a text without a final line break:
                    // keep it without one.
                    from = text::before_line_break(src, from);
                }
                self.push(from, end, String::new());
            } else if is_map && i + 1 < elements.len() {
                // The first key of a list item shares the dash line: pull the
                // next key up onto it.
                let next = self.doc.prop_start(elements[i + 1].0);
                self.push(first, next, String::new());
            } else {
                return Err(
                    self.unsupported(element.0, "the element shares its line with another node")
                );
            }
        }
        Ok(())
    }

    /// Where a block element starts: its dash for sequence items, else the
    /// key (with its properties).
    fn element_start(&self, coll: NodeId, first: NodeId) -> usize {
        if self.doc.kind(coll) == Kind::Seq {
            self.doc.dash_of(first)
        } else {
            self.doc.prop_start(first)
        }
    }

    /// Where the element before `elements[i]` ends, its trailing comments
    /// included (0 for the first element): head comments of `elements[i]`
    /// start no higher.
    fn end_of_previous(&self, elements: &[(NodeId, NodeId)], i: usize, col: usize) -> usize {
        match i.checked_sub(1) {
            Some(prev) => self.block_element_end(self.doc.range(elements[prev].1).1, col),
            None => 0,
        }
    }

    /// Start of the comment lines directly above `line` (no blank line in
    /// between) that are indented at least to `col`, not above `floor`.
    fn head_comment_start(&self, line: usize, col: usize, floor: usize) -> usize {
        let src = self.doc.src();
        let mut start = line;
        while start > floor {
            let prev = text::line_start(src, start - 1);
            if text::line_kind(src, prev) == LineKind::Comment && text::indent_of(src, prev) >= col
            {
                start = prev;
            } else {
                break;
            }
        }
        start
    }

    /// Start of the line after a block element ending at `end`, past any
    /// comment lines indented deeper than `col` that belong to it.
    fn block_element_end(&self, end: usize, col: usize) -> usize {
        let src = self.doc.src();
        let mut pos = if end > 0 && src.as_bytes()[end - 1] == b'\n' {
            end
        } else {
            text::next_line_start(src, end)
        };
        let mut line = pos;
        while line < src.len() {
            match text::line_kind(src, line) {
                LineKind::Blank => {}
                LineKind::Comment if text::indent_of(src, line) > col => {
                    pos = text::next_line_start(src, line);
                }
                _ => break,
            }
            line = text::next_line_start(src, line);
        }
        pos
    }

    fn block_insert_point(&self, coll: NodeId, col: usize) -> usize {
        self.block_element_end(self.doc.range(coll).1, col)
    }

    /// Inserts whole lines at a line start (or at the end of a text without a
    /// final line break, keeping it without one).
    fn insert_block(&mut self, at: usize, body: String, col: usize, item: bool) {
        let src = self.doc.src();
        let nl = self.doc.newline();
        let at_line_start = at == 0 || src.as_bytes()[at - 1] == b'\n';
        let text = if at_line_start {
            body
        } else {
            format!("{nl}{}", body.strip_suffix(nl).unwrap_or(&body))
        };
        self.push_block(at, text, col, item);
    }

    /// Inserts elements (`key: value` when a key is given) into a flow
    /// collection, one per line when its elements are on their own lines.
    fn flow_insert(
        &mut self,
        coll: NodeId,
        elems: &[(Option<&str>, &Value)],
    ) -> Result<(), EditError> {
        self.flow_insert_from(coll, elems.iter().map(|&(k, v)| (k, v)))
    }

    /// [`Editor::flow_insert`], rendering each element as the iterator
    /// yields it.
    fn flow_insert_from<'k, V: Borrow<Value>>(
        &mut self,
        coll: NodeId,
        elems: impl IntoIterator<Item = (Option<&'k str>, V)>,
    ) -> Result<(), EditError> {
        let src = self.doc.src();
        let (open, close) = self.doc.range(coll);
        let children = self.doc.children(coll);
        let existing = children.len() + self.appended.get(&coll).copied().unwrap_or(0);
        let format = self.flow_format();
        let first_elem_start = children.first().map(|&c| self.doc.prop_start(c));
        let multiline = first_elem_start
            .is_some_and(|s| text::line_start(src, s) != text::line_start(src, open));
        let (at, mut count) = match children.last() {
            Some(&last) => (self.doc.range(last).1, existing),
            None => (open + 1, existing),
        };
        if close <= open {
            return Err(self.unsupported(coll, "malformed flow collection"));
        }
        let mut out = String::new();
        let mut added = 0;
        for (key, value) in elems {
            let value = value.borrow();
            added += 1;
            if multiline {
                let elem_col = self.col(first_elem_start.unwrap_or(open));
                let step = elem_col
                    .saturating_sub(text::indent_of(src, text::line_start(src, open)))
                    .max(1);
                let body = render::pretty_flow(value, elem_col, step, format, self.doc.newline());
                if count > 0 {
                    out.push(',');
                }
                out.push_str(self.doc.newline());
                out.push_str(&" ".repeat(elem_col));
                if let Some(k) = key {
                    out.push_str(&render::flow_string(k, format));
                    out.push_str(": ");
                }
                out.push_str(&body);
            } else {
                if count > 0 {
                    out.push_str(", ");
                }
                match key {
                    Some(k) => out.push_str(&render::flow_entry(k, value, format)),
                    None => out.push_str(&render::flow(value, format)),
                }
            }
            count += 1;
        }
        *self.appended.entry(coll).or_insert(0) += added;
        self.push(at, at, out);
        Ok(())
    }

    /// The key node of `value` in `map`.
    fn key_of(&self, map: NodeId, value: NodeId) -> NodeId {
        let kids = self.doc.children(map);
        let i = kids.iter().position(|&k| k == value).unwrap_or(1);
        kids[i.saturating_sub(1) & !1]
    }

    /// Indentation of a block scalar's content lines.
    fn block_content_col(&self, node: NodeId) -> usize {
        let src = self.doc.src();
        let (start, end) = self.doc.range(node);
        let mut line = text::next_line_start(src, start);
        while line < end {
            if text::line_kind(src, line) != LineKind::Blank {
                return text::indent_of(src, line);
            }
            line = text::next_line_start(src, line);
        }
        self.col(text::line_start(src, start) + text::indent_of(src, text::line_start(src, start)))
            + self.layout_near(node).step
    }

    /// Layout of new block content under `node`, copied from the nearest
    /// block lists and nested mappings around it.
    fn layout_near(&self, node: NodeId) -> Layout {
        let mut layout = Layout {
            newline: self.doc.newline(),
            ..Layout::default()
        };
        let mut step = None;
        let mut seq = None;
        let mut cur = Some(node);
        while let Some(n) = cur {
            if self.doc.kind(n) == Kind::Map && !self.doc.is_flow(n) {
                for (k, v) in self.doc.entries(n) {
                    let key_col = self.col(self.doc.prop_start(k));
                    if self.doc.is_flow(v) {
                        continue;
                    }
                    match self.doc.kind(v) {
                        Kind::Seq if seq.is_none() => {
                            if let Some(&item) = self.doc.items(v).first() {
                                let dash = self.doc.dash_of(item);
                                if text::line_start(self.doc.src(), dash)
                                    != text::line_start(self.doc.src(), self.doc.prop_start(k))
                                {
                                    let dash_col = self.col(dash);
                                    seq = Some(dash_col.saturating_sub(key_col));
                                }
                            }
                        }
                        Kind::Map if step.is_none() => {
                            if let Some(&first) = self.doc.children(v).first() {
                                let c = self.col(self.doc.prop_start(first));
                                if c > key_col {
                                    step = Some(c - key_col);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if step.is_some() && seq.is_some() {
                break;
            }
            cur = self.doc.parent(n);
        }
        layout.step = step.unwrap_or(2);
        layout.seq_indent = match seq {
            Some(0) => 0,
            Some(_) => layout.step,
            None if self.default_seq == SeqIndent::Wide => layout.step,
            None => 0,
        };
        layout
    }

    /// The patches, sorted, checked not to overlap.
    pub fn into_patches(self) -> Result<Vec<Patch>, EditError> {
        let mut patches = self.patches;
        patches.sort_by_key(|p| (p.start, p.end, p.rank));
        let src = self.doc.src();
        for pair in patches.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(EditError::Overlap { at: pair[1].start });
            }
        }
        if let Some(p) = patches
            .iter()
            .find(|p| !src.is_char_boundary(p.start) || !src.is_char_boundary(p.end))
        {
            return Err(EditError::Overlap { at: p.start });
        }
        Ok(patches)
    }

    /// [`Editor::append_to_list`] with the items rendered one at a time as
    /// the iterator yields them: a long list (a function's results) is held
    /// as text only, never as values all at once. The same text as
    /// `append_to_list` with the items collected, except that a missing key
    /// in a flow mapping collects them.
    pub fn append_to_list_from<I>(
        &mut self,
        map: NodeId,
        key: &str,
        items: I,
    ) -> Result<(), EditError>
    where
        I: IntoIterator<Item = Value>,
    {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return Ok(());
        }
        match self.doc.get(map, key) {
            None => {
                self.check(map)?;
                if self.doc.kind(map) != Kind::Map {
                    return Err(self.unsupported(map, "not a mapping"));
                }
                if self.doc.is_flow(map) {
                    return self.insert_entry(map, key, &Value::Array(items.collect()));
                }
                let (key_col, layout) = self.block_entry_site(map)?;
                let mut body = Self::text_for(&items);
                render::push_block_list_entry(&mut body, key, items, key_col, &layout);
                let at = self.block_insert_point(map, key_col);
                self.insert_block(at, body, key_col, false);
                Ok(())
            }
            Some(node) if self.doc.is_null(node) => self.fill_null_from(map, node, items),
            Some(node) => {
                self.check(node)?;
                if self.doc.kind(node) != Kind::Seq {
                    return Err(self.unsupported(node, "not a sequence"));
                }
                if self.doc.is_flow(node) {
                    return self.flow_insert_from(node, items.map(|v| (None, v)));
                }
                let (dash_col, layout) = self.block_append_site(node)?;
                let mut body = Self::text_for(&items);
                render::push_block_items(&mut body, items, dash_col, &layout);
                let at = self.block_insert_point(node, dash_col);
                self.insert_block(at, body, dash_col, true);
                Ok(())
            }
        }
    }

    /// [`Editor::fill_null`] with a non-empty list rendered from an
    /// iterator; `null` is the value of a key of `map`.
    fn fill_null_from(
        &mut self,
        map: NodeId,
        null: NodeId,
        items: impl Iterator<Item = Value>,
    ) -> Result<(), EditError> {
        self.check(null)?;
        let (start, end) = self.doc.range(null);
        if self.doc.is_flow(map) {
            let mut text = String::from(if self.doc.is_empty_scalar(null) {
                " "
            } else {
                ""
            });
            render::push_flow_items(&mut text, items, self.flow_format());
            self.push(start, end, text);
            return Ok(());
        }
        let layout = self.layout_near(map);
        let nl = self.doc.newline();
        let key = self.key_of(map, null);
        let key_col = self.col(self.doc.prop_start(key));
        // What `render::after_key` makes of a non-empty list, without its
        // last line break.
        let mut rendered = Self::text_for(&items);
        rendered.push_str(nl);
        render::push_block_items(&mut rendered, items, key_col + layout.seq_indent, &layout);
        if rendered.ends_with(nl) {
            rendered.truncate(rendered.len() - nl.len());
        }
        let colon = self.doc.colon_after(key).unwrap_or(start);
        self.put_lines_for_null(null, colon, rendered);
        Ok(())
    }

    /// Replaces a null value by block lines (`rendered` starts with a line
    /// break): drops ` ~` and adds the lines after the key line, behind any
    /// comment on it.
    fn put_lines_for_null(&mut self, null: NodeId, colon: usize, rendered: String) {
        let (_, end) = self.doc.range(null);
        if !self.doc.is_empty_scalar(null) {
            self.push(colon, end, String::new());
        }
        let line_end = text::line_end(self.doc.src(), end.max(colon));
        self.push(line_end, line_end, rendered);
    }

    /// Where new entries of a non-empty block mapping go: the key column
    /// and the layout.
    fn block_entry_site(&self, map: NodeId) -> Result<(usize, Layout), EditError> {
        let first_key = self
            .doc
            .children(map)
            .first()
            .copied()
            .ok_or_else(|| self.unsupported(map, "empty block mapping"))?;
        let key_col = self.col(self.doc.prop_start(first_key));
        Ok((key_col, self.layout_near(map)))
    }

    /// Where new items of a non-empty block sequence go: the dash column and
    /// the layout, with the item offset of its last item.
    fn block_append_site(&self, seq: NodeId) -> Result<(usize, Layout), EditError> {
        let last = *self
            .doc
            .items(seq)
            .last()
            .ok_or_else(|| self.unsupported(seq, "empty block sequence"))?;
        let dash = self.doc.dash_of(last);
        let dash_col = self.col(dash);
        let content = self.doc.prop_start(last);
        let same_line =
            text::line_start(self.doc.src(), content) == text::line_start(self.doc.src(), dash);
        let mut layout = self.layout_near(seq);
        if same_line && content > dash {
            layout.item_offset = self.col(content) - dash_col;
        }
        Ok((dash_col, layout))
    }

    /// An empty string with room for the text of `items`, guessed from
    /// their number: a long text grown by doubling leaves its smaller copies
    /// behind in the heap, while room never written costs no memory.
    fn text_for(items: &impl Iterator) -> String {
        String::with_capacity(items.size_hint().0.saturating_mul(512).min(16 << 20))
    }
}

/// Writes `src` with `patches` (sorted, non-overlapping) applied.
pub fn write_patched(src: &str, patches: &[Patch], out: &mut impl Write) -> io::Result<()> {
    let mut pos = 0;
    for p in patches {
        out.write_all(&src.as_bytes()[pos..p.start])?;
        out.write_all(p.text.as_bytes())?;
        pos = p.end;
    }
    out.write_all(&src.as_bytes()[pos..])
}

/// `src` with `patches` applied, as a string.
pub fn apply(src: &str, patches: &[Patch]) -> String {
    let extra: usize = patches.iter().map(|p| p.text.len()).sum();
    let mut out = Vec::with_capacity(src.len() + extra);
    // Writing to a Vec cannot fail.
    let _ = write_patched(src, patches, &mut out);
    String::from_utf8(out).unwrap_or_default()
}
