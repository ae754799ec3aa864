//! The parsed document: a compact node arena whose nodes know their byte
//! ranges in the source. Parsing happens once; everything else reads this.
//!
//! The tree is built from saphyr-parser events. The parser's spans are only
//! partly usable (see `yaml-engine.md` §8.5), so ranges are repaired here:
//! columns count chars (converted through line and column), quoted scalars
//! are rescanned for their closing quote, block scalars are located from
//! their header, null values are placed after their indicator, and block
//! collections end where their last child ends.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::text::{self, Lines};

/// Index of a node in a [`Doc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Map,
    Seq,
    Scalar,
    Alias,
}

/// Presentation style of a node as written in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
    Block,
    Flow,
}

const ANCHORED: u8 = 1;
const SHARED: u8 = 2;
const TAGGED: u8 = 4;
const OWNED: u8 = 8;
const MERGE: u8 = 16;
const EMPTY: u8 = 32;

/// One node, 24 bytes: scalars store the range of their decoded value in the
/// source (or an index into the owned values), collections a slice of
/// `children` (keys and values alternate in mappings).
#[derive(Clone, Copy, Debug)]
struct Node {
    start: u32,
    end: u32,
    parent: u32,
    a: u32,
    b: u32,
    kind: Kind,
    style: Style,
    flags: u8,
}

#[derive(Debug)]
struct Props {
    start: u32,
    anchor: usize,
    tag: Option<String>,
}

/// Limits applied while parsing, against hostile input.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// Deepest nesting of collections accepted.
    pub max_depth: usize,
    /// Most nodes that aliases may stand for, summed over all aliases.
    pub max_alias_expansion: u64,
}

/// A parse failure with its position (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A parsed YAML stream.
#[derive(Debug)]
pub struct Doc<'a> {
    src: &'a str,
    lines: Lines,
    nodes: Vec<Node>,
    children: Vec<NodeId>,
    owned: Vec<String>,
    props: HashMap<u32, Props>,
    anchors: HashMap<usize, NodeId>,
    documents: Vec<NodeId>,
    newline: &'static str,
}

struct Frame<'a> {
    node: u32,
    is_map: bool,
    children: Vec<NodeId>,
    keys: Vec<Cow<'a, str>>,
    key_set: Option<HashSet<Cow<'a, str>>>,
    expanded: u64,
}

const KEY_SET_THRESHOLD: usize = 32;

impl<'a> Doc<'a> {
    /// Parses a whole stream. Errors carry the line and column.
    pub fn parse(src: &'a str, limits: ParseLimits) -> Result<Doc<'a>, ParseError> {
        if src.len() >= NONE as usize {
            return Err(ParseError {
                line: 1,
                column: 1,
                message: "input larger than 4 GiB".into(),
            });
        }
        let lines = Lines::new(src);
        let mut doc = Doc {
            src,
            nodes: Vec::with_capacity(src.len() / 12),
            children: Vec::with_capacity(src.len() / 12),
            owned: Vec::new(),
            props: HashMap::new(),
            anchors: HashMap::new(),
            documents: Vec::new(),
            newline: text::newline_of(src),
            lines,
        };
        if let Some(cr) = text::has_bare_cr(src) {
            return Err(doc.error_at(
                cr,
                "carriage return without line feed (only LF and CRLF line breaks are supported)",
            ));
        }
        Builder {
            doc: &mut doc,
            stack: Vec::new(),
            free: Vec::new(),
            cursor: 0,
            aliased: HashSet::new(),
            alias_total: 0,
            sizes: HashMap::new(),
            limits,
        }
        .run()?;
        Ok(doc)
    }

    pub fn src(&self) -> &'a str {
        self.src
    }

    /// Root nodes, one per document of the stream.
    pub fn documents(&self) -> &[NodeId] {
        &self.documents
    }

    pub fn newline(&self) -> &'static str {
        self.newline
    }

    fn n(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn kind(&self, id: NodeId) -> Kind {
        self.n(id).kind
    }

    pub fn style(&self, id: NodeId) -> Style {
        self.n(id).style
    }

    /// Byte range of the node's content (properties excluded).
    pub fn range(&self, id: NodeId) -> (usize, usize) {
        let n = self.n(id);
        (n.start as usize, n.end as usize)
    }

    /// Start of the node including its anchor and tag.
    pub fn prop_start(&self, id: NodeId) -> usize {
        self.props
            .get(&id.0)
            .map_or(self.n(id).start as usize, |p| p.start as usize)
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        let p = self.n(id).parent;
        (p != NONE).then_some(NodeId(p))
    }

    pub fn is_flow(&self, id: NodeId) -> bool {
        self.n(id).style == Style::Flow
    }

    /// True for a null scalar written as nothing at all (`key:`).
    pub fn is_empty_scalar(&self, id: NodeId) -> bool {
        self.n(id).flags & EMPTY != 0
    }

    pub fn is_tagged(&self, id: NodeId) -> bool {
        self.n(id).flags & TAGGED != 0
    }

    pub fn tag(&self, id: NodeId) -> Option<&str> {
        self.props.get(&id.0).and_then(|p| p.tag.as_deref())
    }

    /// True when the node carries an anchor that some alias refers to.
    pub fn is_shared(&self, id: NodeId) -> bool {
        self.n(id).flags & SHARED != 0
    }

    /// True for a mapping holding a `<<` merge key.
    pub fn has_merge_key(&self, id: NodeId) -> bool {
        self.n(id).flags & MERGE != 0
    }

    /// The node an alias refers to.
    pub fn alias_target(&self, id: NodeId) -> Option<NodeId> {
        let n = self.n(id);
        (n.kind == Kind::Alias)
            .then(|| self.anchors.get(&(n.a as usize)).copied())
            .flatten()
    }

    /// Children of a collection; keys and values alternate in mappings.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        let n = self.n(id);
        match n.kind {
            Kind::Map | Kind::Seq => &self.children[n.a as usize..(n.a + n.b) as usize],
            _ => &[],
        }
    }

    /// Items of a sequence (empty for other nodes).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        if self.kind(id) == Kind::Seq {
            self.children(id)
        } else {
            &[]
        }
    }

    /// `(key, value)` pairs of a mapping.
    pub fn entries(&self, id: NodeId) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        let kids = if self.kind(id) == Kind::Map {
            self.children(id)
        } else {
            &[]
        };
        kids.chunks_exact(2).map(|kv| (kv[0], kv[1]))
    }

    /// The entry of a mapping whose key is `key`.
    pub fn entry(&self, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
        self.entries(map)
            .find(|&(k, _)| self.scalar(k) == Some(key))
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.entry(map, key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, mut node: NodeId, keys: &[&str]) -> Option<NodeId> {
        for key in keys {
            node = self.get(node, key)?;
        }
        Some(node)
    }

    /// The decoded text of a scalar.
    pub fn scalar(&self, id: NodeId) -> Option<&str> {
        let n = self.n(id);
        if n.kind != Kind::Scalar {
            return None;
        }
        if n.flags & OWNED != 0 {
            Some(&self.owned[n.a as usize])
        } else {
            self.src.get(n.a as usize..(n.a + n.b) as usize)
        }
    }

    /// A null scalar: empty, `~` or `null` in plain style, or `!!null`.
    pub fn is_null(&self, id: NodeId) -> bool {
        let n = self.n(id);
        n.kind == Kind::Scalar
            && (self.tag(id) == Some("tag:yaml.org,2002:null")
                || (n.style == Style::Plain
                    && self.tag(id).is_none()
                    && matches!(self.scalar(id), Some("" | "~" | "null" | "Null" | "NULL"))))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(self.src, offset)
    }

    pub fn line_count(&self) -> usize {
        self.lines.count()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Position of the `-` introducing a block sequence item.
    pub fn dash_of(&self, item: NodeId) -> usize {
        let src = self.src.as_bytes();
        let mut pos = self.prop_start(item);
        loop {
            let ls = text::line_start(self.src, pos);
            if let Some(i) = src[ls..pos].iter().rposition(|&b| b != b' ' && b != b'\t') {
                return ls + i;
            }
            if ls == 0 {
                return pos;
            }
            // The content starts on a later line than its dash: walk up over
            // blank and comment lines to the dash line.
            let mut prev = text::line_start(self.src, ls - 1);
            while prev > 0 && text::line_kind(self.src, prev) != text::LineKind::Content {
                prev = text::line_start(self.src, prev - 1);
            }
            pos = prev + text::indent_of(self.src, prev);
            if src.get(pos) == Some(&b'-') {
                return pos;
            }
        }
    }

    /// Position right after the `:` that follows a mapping key.
    pub fn colon_after(&self, key: NodeId) -> Option<usize> {
        let p = text::skip_blanks(self.src, self.range(key).1);
        (self.src.as_bytes().get(p) == Some(&b':')).then_some(p + 1)
    }

    /// Dotted path of a node from its document root, e.g.
    /// `items[0].spec.template.spec.containers[0].env`.
    pub fn path_of(&self, id: NodeId) -> String {
        self.path_within(id, None)
    }

    /// Dotted path of a node below `ancestor` (from the document root when
    /// `None`, or when `ancestor` is not above it).
    pub fn path_within(&self, id: NodeId, ancestor: Option<NodeId>) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while let Some(parent) = self.parent(cur).filter(|_| Some(cur) != ancestor) {
            let kids = self.children(parent);
            let i = kids.iter().position(|&k| k == cur).unwrap_or(0);
            match self.kind(parent) {
                Kind::Map => {
                    // A key stands for its own entry.
                    let key = kids[i - i % 2];
                    parts.push(self.scalar(key).unwrap_or("?").to_string());
                }
                _ => parts.push(format!("[{i}]")),
            }
            cur = parent;
        }
        let mut out = String::new();
        for part in parts.iter().rev() {
            if !out.is_empty() && !part.starts_with('[') {
                out.push('.');
            }
            out.push_str(part);
        }
        out
    }

    /// The first ancestor-or-self that makes edits below it unsafe: a shared
    /// anchor, a `<<` merge mapping, a tagged collection or an alias.
    pub fn edit_hazard(&self, id: NodeId) -> Option<(NodeId, Hazard)> {
        let mut cur = Some(id);
        while let Some(n) = cur {
            let node = self.n(n);
            if node.kind == Kind::Alias {
                return Some((n, Hazard::Alias));
            }
            if node.flags & SHARED != 0 {
                return Some((n, Hazard::SharedAnchor));
            }
            if node.flags & MERGE != 0 {
                return Some((n, Hazard::MergeKey));
            }
            if node.flags & TAGGED != 0 && node.kind != Kind::Scalar {
                return Some((n, Hazard::Tagged));
            }
            cur = self.parent(n);
        }
        None
    }

    pub(crate) fn error_at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = self.line_col(offset);
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// Why a node cannot be edited in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hazard {
    SharedAnchor,
    MergeKey,
    Tagged,
    Alias,
}

impl Hazard {
    pub fn describe(self) -> &'static str {
        match self {
            Hazard::SharedAnchor => "it is shared through a YAML anchor that an alias refers to",
            Hazard::MergeKey => "it is inside a mapping with a `<<` merge key",
            Hazard::Tagged => "it is inside a tagged collection",
            Hazard::Alias => "it is a YAML alias to content defined elsewhere",
        }
    }
}

struct Builder<'d, 'a> {
    doc: &'d mut Doc<'a>,
    stack: Vec<Frame<'a>>,
    free: Vec<Vec<NodeId>>,
    cursor: usize,
    aliased: HashSet<usize>,
    alias_total: u64,
    sizes: HashMap<usize, u64>,
    limits: ParseLimits,
}

impl<'a> Builder<'_, 'a> {
    fn run(mut self) -> Result<(), ParseError> {
        let src = self.doc.src;
        let mut parser = Parser::new_from_str(src).keep_tags(true);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| {
                let m = e.marker();
                ParseError {
                    line: m.line(),
                    column: m.col() + 1,
                    message: e.info().to_string(),
                }
            })?;
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) | Event::DocumentEnd => {}
                Event::Scalar(value, style, anchor, tag) => {
                    self.scalar(value, style, anchor, tag.map(|t| t.into_owned()), span)?;
                }
                Event::Alias(id) => self.alias(id, span)?,
                Event::MappingStart(anchor, tag) => {
                    self.open(true, anchor, tag.map(|t| t.into_owned()), span)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.open(false, anchor, tag.map(|t| t.into_owned()), span)?;
                }
                Event::MappingEnd | Event::SequenceEnd => self.close(span)?,
            }
        }
        for (id, node) in self.doc.nodes.iter_mut().enumerate() {
            if node.flags & ANCHORED != 0 {
                let anchor = self.doc.props.get(&(id as u32)).map_or(0, |p| p.anchor);
                if self.aliased.contains(&anchor) {
                    node.flags |= SHARED;
                }
            }
        }
        Ok(())
    }

    fn offset(&self, m: saphyr_parser::Marker) -> usize {
        self.doc.lines.offset(self.doc.src, m.line(), m.col())
    }

    fn push(&mut self, node: Node) -> NodeId {
        let id = self.doc.nodes.len() as u32;
        self.doc.nodes.push(node);
        NodeId(id)
    }

    fn record_props(
        &mut self,
        id: NodeId,
        start: usize,
        anchor: usize,
        tag: Option<saphyr_parser::Tag>,
    ) {
        if anchor == 0 && tag.is_none() {
            return;
        }
        let node = &mut self.doc.nodes[id.0 as usize];
        if anchor != 0 {
            node.flags |= ANCHORED;
            self.doc.anchors.insert(anchor, id);
        }
        if tag.is_some() {
            node.flags |= TAGGED;
        }
        self.doc.props.insert(
            id.0,
            Props {
                start: start as u32,
                anchor,
                tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
            },
        );
    }

    fn parent_id(&self) -> u32 {
        self.stack.last().map_or(NONE, |f| f.node)
    }

    /// True when the next child of the innermost mapping is a key.
    fn expecting_key(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| f.is_map && f.children.len() % 2 == 0)
    }

    fn scalar(
        &mut self,
        value: Cow<'a, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<saphyr_parser::Tag>,
        span: Span,
    ) -> Result<(), ParseError> {
        let src = self.doc.src;
        let base = self.offset(span.start);
        let has_props = anchor != 0 || tag.is_some();
        let content = if has_props {
            text::skip_properties(src, base)
        } else {
            base
        };
        let mut flags = 0;
        let (style, start, end) = match style {
            ScalarStyle::Plain => {
                if value.is_empty() && span.start.index() == span.end.index() {
                    flags |= EMPTY;
                    let at = self.empty_position(base, has_props);
                    (Style::Plain, at, at)
                } else {
                    (Style::Plain, content, self.offset(span.end).max(content))
                }
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let q = if matches!(style, ScalarStyle::SingleQuoted) {
                    b'\''
                } else {
                    b'"'
                };
                let start = src.as_bytes()[content..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(content, |i| content + i);
                let style = if q == b'\'' {
                    Style::SingleQuoted
                } else {
                    Style::DoubleQuoted
                };
                (style, start, text::quoted_end(src, start))
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let from = if has_props { content } else { self.cursor };
                let header = block_header(src, from);
                let next = self.offset(span.end).max(header);
                let style = if matches!(style, ScalarStyle::Literal) {
                    Style::Literal
                } else {
                    Style::Folded
                };
                (style, header, block_end(src, header, next))
            }
        };
        // Keep a range into the source when the decoded value is the source
        // text (plain one-liners, quoted without escapes): the parser hands
        // every scalar over as its own allocation.
        let inner = match style {
            Style::Plain => src.get(start..end),
            Style::SingleQuoted | Style::DoubleQuoted if end > start + 1 => {
                src.get(start + 1..end - 1)
            }
            _ => None,
        };
        let in_src: Option<&'a str> = match &value {
            Cow::Borrowed(s) if is_within(src, s) => Some(*s),
            v => inner.filter(|t| *t == v.as_ref()),
        };
        if self.expecting_key() {
            let key = match in_src {
                Some(t) => Cow::Borrowed(t),
                None => value.clone(),
            };
            self.check_key(key, style, start)?;
        }
        let (a, b) = match in_src {
            Some(s) => (
                (s.as_ptr() as usize - src.as_ptr() as usize) as u32,
                s.len() as u32,
            ),
            None => {
                flags |= OWNED;
                let mut v = value.into_owned();
                v.shrink_to_fit();
                self.doc.owned.push(v);
                ((self.doc.owned.len() - 1) as u32, 0)
            }
        };
        let id = self.push(Node {
            start: start as u32,
            end: end as u32,
            parent: self.parent_id(),
            a,
            b,
            kind: Kind::Scalar,
            style,
            flags,
        });
        self.record_props(id, base.min(start), anchor, tag);
        if anchor != 0 {
            self.sizes.insert(anchor, 1);
        }
        self.cursor = end.max(self.cursor);
        self.add_child(id, 1);
        Ok(())
    }

    /// Where an empty (null) scalar sits: right after the `:` or `-` that
    /// introduces it.
    fn empty_position(&self, base: usize, has_props: bool) -> usize {
        let src = self.doc.src;
        if has_props {
            return text::skip_properties(src, base).min(src.len());
        }
        let in_map_value = self
            .stack
            .last()
            .is_some_and(|f| f.is_map && f.children.len() % 2 == 1);
        if in_map_value {
            let p = text::skip_blanks(src, self.cursor);
            if src.as_bytes().get(p) == Some(&b':') {
                return p + 1;
            }
        } else if self.stack.last().is_some_and(|f| !f.is_map) {
            let p = text::skip_space_and_comments(src, self.cursor);
            if src.as_bytes().get(p) == Some(&b'-') && p < base.max(p + 1) {
                return p + 1;
            }
        }
        self.cursor.max(base.min(self.cursor))
    }

    fn check_key(&mut self, key: Cow<'a, str>, style: Style, at: usize) -> Result<(), ParseError> {
        let Some(frame) = self.stack.last_mut() else {
            return Ok(());
        };
        if style == Style::Plain && key.as_ref() == "<<" {
            self.doc.nodes[frame.node as usize].flags |= MERGE;
        }
        let dup = match &frame.key_set {
            Some(set) => set.contains(key.as_ref()),
            None => frame.keys.contains(&key),
        };
        if dup {
            return Err(self
                .doc
                .error_at(at, format!("duplicate mapping key {key:?}")));
        }
        match &mut frame.key_set {
            Some(set) => {
                set.insert(key);
            }
            None => {
                frame.keys.push(key);
                if frame.keys.len() >= KEY_SET_THRESHOLD {
                    frame.key_set = Some(frame.keys.drain(..).collect());
                }
            }
        }
        Ok(())
    }

    fn alias(&mut self, anchor: usize, span: Span) -> Result<(), ParseError> {
        let start = self.offset(span.start);
        if self.expecting_key() {
            return Err(self
                .doc
                .error_at(start, "an alias as a mapping key is not supported"));
        }
        let size = self.sizes.get(&anchor).copied().unwrap_or(1);
        self.alias_total = self.alias_total.saturating_add(size);
        if self.alias_total > self.limits.max_alias_expansion {
            return Err(self.doc.error_at(
                start,
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?)",
                    self.limits.max_alias_expansion
                ),
            ));
        }
        self.aliased.insert(anchor);
        let end = self.offset(span.end).max(start);
        let id = self.push(Node {
            start: start as u32,
            end: end as u32,
            parent: self.parent_id(),
            a: anchor as u32,
            b: 0,
            kind: Kind::Alias,
            style: Style::Plain,
            flags: 0,
        });
        self.cursor = end.max(self.cursor);
        self.add_child(id, size);
        Ok(())
    }

    fn open(
        &mut self,
        is_map: bool,
        anchor: usize,
        tag: Option<saphyr_parser::Tag>,
        span: Span,
    ) -> Result<(), ParseError> {
        let src = self.doc.src;
        let base = self.offset(span.start);
        if self.expecting_key() {
            return Err(self
                .doc
                .error_at(base, "a collection as a mapping key is not supported"));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.doc.error_at(
                base,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        let content = if anchor != 0 || tag.is_some() {
            text::skip_properties(src, base)
        } else {
            base
        };
        let open = if is_map { b'{' } else { b'[' };
        let flow = src.as_bytes().get(content) == Some(&open);
        let (style, start) = if flow {
            (Style::Flow, content)
        } else {
            (Style::Block, content)
        };
        let id = self.push(Node {
            start: start as u32,
            end: start as u32,
            parent: self.parent_id(),
            a: 0,
            b: 0,
            kind: if is_map { Kind::Map } else { Kind::Seq },
            style,
            flags: 0,
        });
        self.record_props(id, base.min(start), anchor, tag);
        if anchor != 0 {
            // Filled with the real size when the collection closes.
            self.sizes.insert(anchor, 1);
        }
        if flow {
            self.cursor = self.cursor.max(start + 1);
        }
        let children = self.free.pop().unwrap_or_default();
        self.stack.push(Frame {
            node: id.0,
            is_map,
            children,
            keys: Vec::new(),
            key_set: None,
            expanded: 1,
        });
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), ParseError> {
        let Some(mut frame) = self.stack.pop() else {
            return Ok(());
        };
        let id = NodeId(frame.node);
        let first = self.doc.children.len() as u32;
        let count = frame.children.len() as u32;
        self.doc.children.extend_from_slice(&frame.children);
        let last = frame.children.last().copied();
        let first_child = frame.children.first().copied();
        frame.children.clear();
        self.free.push(std::mem::take(&mut frame.children));

        let flow = self.doc.nodes[id.0 as usize].style == Style::Flow;
        let (start, end) = if flow {
            let start = self.doc.nodes[id.0 as usize].start as usize;
            (start, self.flow_end(start, last, span))
        } else {
            let start = match (first_child, self.doc.nodes[id.0 as usize].kind) {
                (Some(c), Kind::Seq) => self.doc.dash_of(c),
                (Some(c), _) => self.doc.prop_start(c),
                (None, _) => self.doc.nodes[id.0 as usize].start as usize,
            };
            let end = last.map_or(start, |l| self.doc.nodes[l.0 as usize].end as usize);
            (start, end)
        };
        let node = &mut self.doc.nodes[id.0 as usize];
        node.a = first;
        node.b = count;
        node.start = start as u32;
        node.end = end as u32;
        if let Some(p) = self.doc.props.get_mut(&id.0) {
            p.start = p.start.min(start as u32);
            if p.anchor != 0 {
                self.sizes.insert(p.anchor, frame.expanded);
            }
        }
        self.cursor = self.cursor.max(end);
        self.add_child(id, frame.expanded);
        Ok(())
    }

    /// End of a flow collection: just past its closing bracket, found from
    /// its last child (the parser's span can run over a trailing comment).
    fn flow_end(&self, start: usize, last: Option<NodeId>, span: Span) -> usize {
        let src = self.doc.src;
        let close = if src.as_bytes()[start] == b'{' {
            b'}'
        } else {
            b']'
        };
        let mut pos = last.map_or(start + 1, |l| self.doc.nodes[l.0 as usize].end as usize);
        loop {
            pos = text::skip_space_and_comments(src, pos);
            match src.as_bytes().get(pos) {
                Some(b',') => pos += 1,
                Some(&b) if b == close => return pos + 1,
                _ => return self.offset(span.end),
            }
        }
    }

    fn add_child(&mut self, id: NodeId, size: u64) {
        match self.stack.last_mut() {
            Some(frame) => {
                frame.children.push(id);
                frame.expanded = frame.expanded.saturating_add(size);
            }
            None => self.doc.documents.push(id),
        }
    }
}

fn is_within(src: &str, s: &str) -> bool {
    let base = src.as_ptr() as usize;
    let p = s.as_ptr() as usize;
    p >= base && p + s.len() <= base + src.len()
}

/// Finds the `|` or `>` header of a block scalar at or after `from`,
/// skipping indicators, properties and comments before it.
fn block_header(src: &str, from: usize) -> usize {
    let bytes = src.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'|' | b'>' => return i,
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n') => {
                i = text::next_line_start(src, i);
            }
            _ => i += 1,
        }
    }
    from
}

/// End of a block scalar's content. `next` is where the parser saw the next
/// token (the start of the first line after the scalar). Keep chomping (`+`)
/// owns the trailing blank lines; clip and strip end at the last non-blank
/// content line.
fn block_end(src: &str, header: usize, next: usize) -> usize {
    let header_end = text::line_end(src, header);
    let indicators = &src[header + 1..header_end];
    let keep = indicators
        .split('#')
        .next()
        .is_some_and(|s| s.contains('+'));
    let body = text::next_line_start(src, header);
    if body >= next {
        return header_end;
    }
    // Walk content lines between the header and the next token; a comment
    // line at lower indentation is not part of the scalar.
    let mut last_content = header_end;
    let mut line = body;
    let mut indent = None;
    while line < next {
        let ind = text::indent_of(src, line);
        match (text::line_kind(src, line), indent) {
            (text::LineKind::Blank, None) => {}
            // Spaces beyond the block's indentation are content.
            (text::LineKind::Blank, Some(block_indent)) => {
                if text::line_end(src, line) - line > block_indent {
                    last_content = text::line_end(src, line);
                }
            }
            (_, _) => {
                let block_indent = *indent.get_or_insert(ind);
                if ind < block_indent {
                    break;
                }
                last_content = text::line_end(src, line);
            }
        }
        line = text::next_line_start(src, line);
    }
    if keep { line.min(next) } else { last_content }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ParseLimits = ParseLimits {
        max_depth: 64,
        max_alias_expansion: 1000,
    };

    fn text_of<'a>(doc: &Doc<'a>, id: NodeId) -> &'a str {
        let (s, e) = doc.range(id);
        &doc.src()[s..e]
    }

    #[test]
    fn scalar_ranges_are_repaired() {
        let src = "\u{feff}a: \"q\\\"x\" # after\nb:\nc: ~\nd: 'it''s'   # c\ne: |\n  lit\n\n  x\n\nf: é plain  # c\ng: &x v\nh: >-\n  fold\ni: [1, {x: y}]\n";
        let doc = Doc::parse(src, LIMITS).unwrap();
        let root = doc.documents()[0];
        let get = |k| doc.get(root, k).unwrap();
        assert_eq!(text_of(&doc, get("a")), "\"q\\\"x\"");
        assert_eq!(doc.scalar(get("a")), Some("q\"x"));
        assert!(doc.is_empty_scalar(get("b")));
        assert_eq!(doc.range(get("b")).0, src.find("b:").unwrap() + 2);
        assert_eq!(text_of(&doc, get("c")), "~");
        assert_eq!(text_of(&doc, get("d")), "'it''s'");
        assert_eq!(text_of(&doc, get("e")), "|\n  lit\n\n  x");
        assert_eq!(doc.scalar(get("e")), Some("lit\n\nx\n"));
        assert_eq!(text_of(&doc, get("f")), "é plain");
        assert_eq!(text_of(&doc, get("g")), "v");
        assert_eq!(doc.prop_start(get("g")), src.find("&x").unwrap());
        assert_eq!(text_of(&doc, get("h")), ">-\n  fold");
        assert_eq!(text_of(&doc, get("i")), "[1, {x: y}]");
        assert_eq!(doc.line_col(doc.range(get("f")).0), (10, 4));
    }

    #[test]
    fn block_collections_start_at_their_dash_or_key() {
        let src = "top:\n  - # head\n    k: v\n  -   z\nwide:\n- - a\n  - b\n";
        let doc = Doc::parse(src, LIMITS).unwrap();
        let root = doc.documents()[0];
        let top = doc.get(root, "top").unwrap();
        assert_eq!(doc.range(top).0, src.find("- # head").unwrap());
        assert_eq!(
            doc.dash_of(doc.items(top)[0]),
            src.find("- # head").unwrap()
        );
        assert_eq!(doc.dash_of(doc.items(top)[1]), src.find("-   z").unwrap());
        assert_eq!(text_of(&doc, top), "- # head\n    k: v\n  -   z");
        let wide = doc.get(root, "wide").unwrap();
        let inner = doc.items(wide)[0];
        assert_eq!(doc.dash_of(inner), src.find("- - a").unwrap());
        assert_eq!(doc.dash_of(doc.items(inner)[0]), src.find("- a").unwrap());
        assert_eq!(doc.path_of(doc.items(inner)[1]), "wide[0][1]");
    }

    #[test]
    fn keep_chomped_blocks_own_their_blank_lines() {
        let src = "a: |+\n  keep\n\n\nb: 1\n";
        let doc = Doc::parse(src, LIMITS).unwrap();
        let a = doc.get(doc.documents()[0], "a").unwrap();
        assert_eq!(text_of(&doc, a), "|+\n  keep\n\n\n");
    }

    #[test]
    fn anchors_merges_and_tags_are_hazards() {
        let src =
            "base: &b {x: 1}\nuse: *b\nm:\n  <<: *b\n  y: 2\nt: !custom {z: 3}\nlone: &l {q: 1}\n";
        let doc = Doc::parse(src, LIMITS).unwrap();
        let root = doc.documents()[0];
        let get = |k| doc.get(root, k).unwrap();
        assert_eq!(
            doc.edit_hazard(get("base")).map(|h| h.1),
            Some(Hazard::SharedAnchor)
        );
        assert_eq!(
            doc.edit_hazard(get("use")).map(|h| h.1),
            Some(Hazard::Alias)
        );
        assert_eq!(
            doc.edit_hazard(get("m")).map(|h| h.1),
            Some(Hazard::MergeKey)
        );
        assert_eq!(doc.edit_hazard(get("t")).map(|h| h.1), Some(Hazard::Tagged));
        assert_eq!(
            doc.edit_hazard(get("lone")),
            None,
            "an anchor nobody uses is harmless"
        );
        assert_eq!(
            doc.to_value(get("m")).unwrap(),
            serde_json::json!({"y": 2, "x": 1})
        );
    }
}
