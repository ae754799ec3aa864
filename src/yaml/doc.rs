//! The parsed document: a compact node arena whose nodes know their byte
//! ranges in the source. Parsing happens once; everything else reads this.
//!
//! The tree is built from saphyr-parser events. The parser's spans are only
//! partly usable (see `yaml-engine.md` §8.5), so ranges are repaired here:
//! columns count chars (converted through line and column, or taken from
//! the char index when the text is ASCII), quoted scalars are rescanned for
//! their closing quote, block scalars are located from their header, null
//! values are placed after their indicator, and block collections end where
//! their last child ends.
//!
//! Large ResourceLists are parsed in parallel (see `split.rs`); the result
//! is the same arena, node for node, as the sequential parse.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span};

use super::text::{self, Lines};

/// Index of a node in a [`Doc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(super) u32);

pub(super) const NONE: u32 = u32::MAX;
/// The parent of the items of a chunk parsed on its own (`split.rs`): the
/// `items` sequence, whose id is known only when the chunks are assembled.
pub(super) const CHUNK_ROOT: u32 = u32::MAX - 1;

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

/// A node's kind, style and flags in one byte: kind in bits 0–1, style in
/// bits 2–4, then the flags below. Anchors and tags (rare) live in
/// [`Props`].
const KIND_MASK: u8 = 0b11;
const STYLE_SHIFT: u32 = 2;
const STYLE_MASK: u8 = 0b111;
/// A scalar whose decoded value is not its source text: `data` indexes the
/// owned values.
pub(super) const OWNED: u8 = 1 << 5;
const MERGE: u8 = 1 << 6;
pub(super) const EMPTY: u8 = 1 << 7;

const KINDS: [Kind; 4] = [Kind::Map, Kind::Seq, Kind::Scalar, Kind::Alias];
const STYLES: [Style; 7] = [
    Style::Plain,
    Style::SingleQuoted,
    Style::DoubleQuoted,
    Style::Literal,
    Style::Folded,
    Style::Block,
    Style::Flow,
];

pub(super) fn meta_of(kind: Kind, style: Style) -> u8 {
    kind as u8 | ((style as u8) << STYLE_SHIFT)
}

pub(super) fn kind_of(meta: u8) -> Kind {
    KINDS[(meta & KIND_MASK) as usize]
}

pub(super) fn style_of(meta: u8) -> Style {
    STYLES[((meta >> STYLE_SHIFT) & STYLE_MASK) as usize]
}

/// One node, 12 bytes (plus its meta byte, and 4 bytes of data for the
/// nodes that have data, see [`has_data`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Node {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) parent: u32,
}

/// Whether a node has a data word: for a collection, the index in
/// `children` of its run (the child count, then the children; keys and
/// values alternate in mappings); for an owned scalar, the index of its
/// value; for an alias, its anchor. A scalar whose value is its source text
/// (most nodes) has none: the value is `start..end` (plain) or the text
/// between the quotes.
pub(super) fn has_data(meta: u8) -> bool {
    meta & KIND_MASK != Kind::Scalar as u8 || meta & OWNED != 0
}

/// Anchor and tag of a node that has either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Props {
    start: u32,
    anchor: usize,
    tag: Option<String>,
    /// The anchor is used by some alias.
    shared: bool,
}

/// The nodes of a parse. A chunk parsed on its own (`split.rs`) fills one
/// of these too, with absolute byte offsets and chunk-local ids.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Arena {
    pub(super) nodes: Vec<Node>,
    pub(super) meta: Vec<u8>,
    /// The data words of the nodes that have one, in node order; a node's
    /// is found by its rank among them.
    pub(super) data: Vec<u32>,
    /// Per 64 nodes: which have data, and how many before them do
    /// (built when the arena is complete).
    pub(super) rank_bits: Vec<u64>,
    pub(super) rank_base: Vec<u32>,
    pub(super) children: Vec<NodeId>,
    /// Decoded values that differ from their source text, back to back;
    /// value `i` starts at `owned_at[i]` and ends where the next starts.
    pub(super) owned: String,
    pub(super) owned_at: Vec<u32>,
    pub(super) props: HashMap<u32, Props>,
    pub(super) anchors: HashMap<usize, NodeId>,
    pub(super) documents: Vec<NodeId>,
}

impl Arena {
    pub(super) fn with_capacity(nodes: usize) -> Arena {
        Arena {
            nodes: Vec::with_capacity(nodes),
            meta: Vec::with_capacity(nodes),
            data: Vec::with_capacity(nodes / 3),
            children: Vec::with_capacity(nodes + nodes / 4),
            ..Arena::default()
        }
    }

    /// An empty arena with room for the nodes of `len` bytes of text, more
    /// than typical (room never written costs no memory).
    pub(super) fn for_text(len: usize) -> Arena {
        let nodes = len / 8 + 64;
        Arena {
            nodes: Vec::with_capacity(nodes),
            meta: Vec::with_capacity(nodes),
            data: Vec::with_capacity(nodes / 2),
            children: Vec::with_capacity(nodes + nodes / 2),
            owned: String::with_capacity(len / 16),
            owned_at: Vec::with_capacity(len / 256),
            ..Arena::default()
        }
    }

    /// Builds the index that finds a node's data word; once the nodes are
    /// all there.
    pub(super) fn index_data(&mut self) {
        let blocks = self.meta.len().div_ceil(64);
        self.rank_bits = Vec::with_capacity(blocks);
        self.rank_base = Vec::with_capacity(blocks);
        let mut count = 0u32;
        for block in self.meta.chunks(64) {
            let mut bits = 0u64;
            for (i, &m) in block.iter().enumerate() {
                bits |= u64::from(has_data(m)) << i;
            }
            self.rank_bits.push(bits);
            self.rank_base.push(count);
            count += bits.count_ones();
        }
        debug_assert_eq!(count as usize, self.data.len());
    }

    /// The data word of a node that has one.
    pub(super) fn data_of(&self, id: u32) -> u32 {
        let block = (id >> 6) as usize;
        let below = self.rank_bits[block] & ((1u64 << (id & 63)) - 1);
        self.data[self.rank_base[block] as usize + below.count_ones() as usize]
    }

    /// The children of a collection.
    pub(super) fn children_of(&self, id: u32) -> &[NodeId] {
        self.run(self.data_of(id))
    }

    pub(super) fn kind(&self, id: u32) -> Kind {
        kind_of(self.meta[id as usize])
    }

    /// The children run of a collection.
    pub(super) fn run(&self, data: u32) -> &[NodeId] {
        let at = data as usize;
        let count = self.children[at].0 as usize;
        &self.children[at + 1..at + 1 + count]
    }

    pub(super) fn owned_value(&self, index: u32) -> &str {
        let i = index as usize;
        let start = self.owned_at[i] as usize;
        let end = self
            .owned_at
            .get(i + 1)
            .map_or(self.owned.len(), |&e| e as usize);
        &self.owned[start..end]
    }

    pub(super) fn prop_start(&self, id: u32) -> usize {
        if self.props.is_empty() {
            return self.nodes[id as usize].start as usize;
        }
        self.props
            .get(&id)
            .map_or(self.nodes[id as usize].start as usize, |p| p.start as usize)
    }

    /// Position of the `-` introducing a block sequence item.
    pub(super) fn dash_of(&self, src: &str, item: u32) -> usize {
        let bytes = src.as_bytes();
        let mut pos = self.prop_start(item);
        loop {
            let ls = text::line_start(src, pos);
            if let Some(i) = bytes[ls..pos]
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
            {
                return ls + i;
            }
            if ls == 0 {
                return pos;
            }
            // The content starts on a later line than its dash: walk up over
            // blank and comment lines to the dash line.
            let mut prev = text::line_start(src, ls - 1);
            while prev > 0 && text::line_kind(src, prev) != text::LineKind::Content {
                prev = text::line_start(src, prev - 1);
            }
            pos = prev + text::indent_of(src, prev);
            if bytes.get(pos) == Some(&b'-') {
                return pos;
            }
        }
    }
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
    arena: Arena,
    /// Built when first needed (positions in messages): offsets come from
    /// the parser's char index when the text is ASCII.
    lines: OnceLock<Lines>,
    newline: &'static str,
}

struct Frame<'a> {
    node: u32,
    /// Where the node's data word (its run) goes.
    slot: usize,
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
        Doc::parse_with(src, limits, true)
    }

    /// [`Doc::parse`] without the parallel split of large ResourceLists:
    /// the reference the split is tested against.
    #[doc(hidden)]
    pub fn parse_sequential(src: &'a str, limits: ParseLimits) -> Result<Doc<'a>, ParseError> {
        Doc::parse_with(src, limits, false)
    }

    fn parse_with(src: &'a str, limits: ParseLimits, split: bool) -> Result<Doc<'a>, ParseError> {
        let mut doc = Doc {
            src,
            arena: Arena::default(),
            lines: OnceLock::new(),
            newline: text::newline_of(src),
        };
        if src.len() >= CHUNK_ROOT as usize {
            return Err(ParseError {
                line: 1,
                column: 1,
                message: "input larger than 4 GiB".into(),
            });
        }
        if let Some(cr) = text::has_bare_cr(src) {
            return Err(doc.error_at(
                cr,
                "carriage return without line feed (only LF and CRLF line breaks are supported)",
            ));
        }
        if split && let Some(arena) = super::split::parse(src, limits) {
            doc.arena = arena;
            return Ok(doc);
        }
        doc.arena = Arena::with_capacity(src.len() / 12);
        let offsets = Offsets::new(src, 0, src.len(), true);
        Builder::new(
            src,
            &mut doc.arena,
            &offsets,
            limits,
            Mode::Whole(&doc.lines),
        )
        .run(src)?;
        doc.arena.index_data();
        if let Some(lines) = offsets.into_lines() {
            let _ = doc.lines.set(lines);
        }
        Ok(doc)
    }

    #[cfg(test)]
    pub(super) fn arena(&self) -> &Arena {
        &self.arena
    }

    pub fn src(&self) -> &'a str {
        self.src
    }

    /// Root nodes, one per document of the stream.
    pub fn documents(&self) -> &[NodeId] {
        &self.arena.documents
    }

    pub fn newline(&self) -> &'static str {
        self.newline
    }

    fn n(&self, id: NodeId) -> &Node {
        &self.arena.nodes[id.0 as usize]
    }

    fn meta(&self, id: NodeId) -> u8 {
        self.arena.meta[id.0 as usize]
    }

    fn props(&self, id: NodeId) -> Option<&Props> {
        if self.arena.props.is_empty() {
            None
        } else {
            self.arena.props.get(&id.0)
        }
    }

    pub fn kind(&self, id: NodeId) -> Kind {
        kind_of(self.meta(id))
    }

    pub fn style(&self, id: NodeId) -> Style {
        style_of(self.meta(id))
    }

    /// Byte range of the node's content (properties excluded).
    pub fn range(&self, id: NodeId) -> (usize, usize) {
        let n = self.n(id);
        (n.start as usize, n.end as usize)
    }

    /// Start of the node including its anchor and tag.
    pub fn prop_start(&self, id: NodeId) -> usize {
        self.arena.prop_start(id.0)
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        let p = self.n(id).parent;
        (p != NONE).then_some(NodeId(p))
    }

    pub fn is_flow(&self, id: NodeId) -> bool {
        self.style(id) == Style::Flow
    }

    /// True for a null scalar written as nothing at all (`key:`).
    pub fn is_empty_scalar(&self, id: NodeId) -> bool {
        self.meta(id) & EMPTY != 0
    }

    pub fn is_tagged(&self, id: NodeId) -> bool {
        self.props(id).is_some_and(|p| p.tag.is_some())
    }

    pub fn tag(&self, id: NodeId) -> Option<&str> {
        self.props(id).and_then(|p| p.tag.as_deref())
    }

    /// True when the node carries an anchor that some alias refers to.
    pub fn is_shared(&self, id: NodeId) -> bool {
        self.props(id).is_some_and(|p| p.shared)
    }

    /// True for a mapping holding a `<<` merge key.
    pub fn has_merge_key(&self, id: NodeId) -> bool {
        self.meta(id) & MERGE != 0
    }

    /// The node an alias refers to.
    pub fn alias_target(&self, id: NodeId) -> Option<NodeId> {
        (self.kind(id) == Kind::Alias)
            .then(|| {
                self.arena
                    .anchors
                    .get(&(self.arena.data_of(id.0) as usize))
                    .copied()
            })
            .flatten()
    }

    /// Children of a collection; keys and values alternate in mappings.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        match self.kind(id) {
            Kind::Map | Kind::Seq => self.arena.children_of(id.0),
            _ => &[],
        }
    }

    /// Items of a sequence (empty for other nodes).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        if self.kind(id) == Kind::Seq {
            self.arena.children_of(id.0)
        } else {
            &[]
        }
    }

    /// `(key, value)` pairs of a mapping.
    pub fn entries(&self, id: NodeId) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        let kids = if self.kind(id) == Kind::Map {
            self.arena.children_of(id.0)
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
        let meta = self.meta(id);
        if kind_of(meta) != Kind::Scalar {
            return None;
        }
        if meta & OWNED != 0 {
            Some(self.arena.owned_value(self.arena.data_of(id.0)))
        } else {
            let n = self.n(id);
            let (start, end) = source_value(style_of(meta), n.start as usize, n.end as usize);
            self.src.get(start..end)
        }
    }

    /// A null scalar: empty, `~` or `null` in plain style, or `!!null`.
    pub fn is_null(&self, id: NodeId) -> bool {
        self.kind(id) == Kind::Scalar
            && (self.tag(id) == Some("tag:yaml.org,2002:null")
                || (self.style(id) == Style::Plain
                    && self.tag(id).is_none()
                    && matches!(self.scalar(id), Some("" | "~" | "null" | "Null" | "NULL"))))
    }

    fn lines(&self) -> &Lines {
        self.lines.get_or_init(|| Lines::new(self.src))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines().line_col(self.src, offset)
    }

    pub fn line_count(&self) -> usize {
        self.lines().count()
    }

    pub fn node_count(&self) -> usize {
        self.arena.nodes.len()
    }

    /// Position of the `-` introducing a block sequence item.
    pub fn dash_of(&self, item: NodeId) -> usize {
        self.arena.dash_of(self.src, item.0)
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
            let meta = self.meta(n);
            let kind = kind_of(meta);
            if kind == Kind::Alias {
                return Some((n, Hazard::Alias));
            }
            let props = self.props(n);
            if props.is_some_and(|p| p.shared) {
                return Some((n, Hazard::SharedAnchor));
            }
            if meta & MERGE != 0 {
                return Some((n, Hazard::MergeKey));
            }
            if props.is_some_and(|p| p.tag.is_some()) && kind != Kind::Scalar {
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

/// The part of a scalar's source that is its value when the value is its
/// source text: all of it when plain, the text between the quotes when
/// quoted.
fn source_value(style: Style, start: usize, end: usize) -> (usize, usize) {
    match style {
        Style::SingleQuoted | Style::DoubleQuoted if end > start + 1 => (start + 1, end - 1),
        _ => (start, end),
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

/// Conversion of parser markers (relative to the text the parser reads,
/// which starts at `base` in the source) to byte offsets in the source.
pub(super) struct Offsets {
    base: usize,
    /// The text is ASCII: a marker's char index is its byte offset.
    by_index: bool,
    /// Line starts, needed when the text is not ASCII (and kept in debug
    /// builds to check the char index against).
    lines: Option<Lines>,
}

impl Offsets {
    /// Offsets for `src[start..end]`; `whole` when that is all of `src`
    /// (line 1 then starts after a BOM).
    pub(super) fn new(src: &str, start: usize, end: usize, whole: bool) -> Offsets {
        let by_index = src[start..end].is_ascii();
        let lines = (!by_index || cfg!(debug_assertions)).then(|| {
            if whole {
                Lines::new(src)
            } else {
                Lines::of_range(src, start, end)
            }
        });
        Offsets {
            base: start,
            by_index,
            lines,
        }
    }

    fn offset(&self, src: &str, m: Marker) -> usize {
        if self.by_index {
            let at = (self.base + m.index()).min(src.len());
            #[cfg(debug_assertions)]
            if let Some(lines) = &self.lines {
                debug_assert_eq!(at, lines.offset(src, m.line(), m.col()), "{m:?}");
            }
            return at;
        }
        match &self.lines {
            Some(lines) => lines.offset(src, m.line(), m.col()),
            None => src.len(),
        }
    }

    /// The line starts, when built for a whole text that is not ASCII.
    fn into_lines(self) -> Option<Lines> {
        if self.by_index { None } else { self.lines }
    }
}

/// What a [`Builder`] parses.
pub(super) enum Mode<'l> {
    /// A whole stream: errors carry positions (computed with these lines).
    Whole(&'l OnceLock<Lines>),
    /// The root of a ResourceList with a placeholder for its items, or a
    /// chunk of the items (`split.rs`): anything unusual (anchors, aliases,
    /// tags, document markers) is an error, and errors carry no position
    /// (the sequential parse then says what is wrong).
    Plain,
    /// A chunk of items: the stream's root sequence stands for `items`
    /// (its items get [`CHUNK_ROOT`] as their parent). `next_dash` is the
    /// dash of the next chunk's first item when the chunk was extended with
    /// it: its null item (which must sit right after that dash) is dropped.
    Chunk { next_dash: Option<usize> },
}

pub(super) struct Builder<'b, 'a> {
    src: &'a str,
    arena: &'b mut Arena,
    offsets: &'b Offsets,
    mode: Mode<'b>,
    stack: Vec<Frame<'a>>,
    free: Vec<Vec<NodeId>>,
    cursor: usize,
    aliased: HashSet<usize>,
    alias_total: u64,
    sizes: HashMap<usize, u64>,
    limits: ParseLimits,
    /// Extra nesting above the stack (the root mapping of a chunk's items).
    depth_offset: usize,
    chunk_root_seen: bool,
    /// The items of a chunk, when its root sequence has closed.
    pub(super) chunk_items: Vec<NodeId>,
}

impl<'b, 'a> Builder<'b, 'a> {
    pub(super) fn new(
        src: &'a str,
        arena: &'b mut Arena,
        offsets: &'b Offsets,
        limits: ParseLimits,
        mode: Mode<'b>,
    ) -> Self {
        let depth_offset = usize::from(matches!(mode, Mode::Chunk { .. }));
        Builder {
            src,
            arena,
            offsets,
            mode,
            stack: Vec::new(),
            free: Vec::new(),
            cursor: 0,
            aliased: HashSet::new(),
            alias_total: 0,
            sizes: HashMap::new(),
            limits,
            depth_offset,
            chunk_root_seen: false,
            chunk_items: Vec::new(),
        }
    }

    /// Where the parse starts scanning for what precedes the first node
    /// (the sequential parse's position at that point).
    pub(super) fn with_cursor(mut self, cursor: usize) -> Self {
        self.cursor = cursor;
        self
    }

    /// Parses `input` (all of `src`, or a part of it the offsets were made
    /// for). Returns the items of a chunk.
    pub(super) fn run(mut self, input: &'a str) -> Result<Vec<NodeId>, ParseError> {
        let mut parser = Parser::new_from_str(input).keep_tags(true);
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| match self.mode {
                Mode::Whole(_) => {
                    let m = e.marker();
                    ParseError {
                        line: m.line(),
                        column: m.col() + 1,
                        message: e.info().to_string(),
                    }
                }
                _ => self.bail(),
            })?;
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(explicit) => {
                    if explicit && !self.is_whole() {
                        return Err(self.bail());
                    }
                }
                Event::DocumentEnd => {}
                Event::Scalar(value, style, anchor, tag) => {
                    self.scalar(value, style, anchor, tag, span)?;
                }
                Event::Alias(id) => self.alias(id, span)?,
                Event::MappingStart(anchor, tag) => self.open(true, anchor, tag, span)?,
                Event::SequenceStart(anchor, tag) => self.open(false, anchor, tag, span)?,
                Event::MappingEnd | Event::SequenceEnd => self.close(span)?,
            }
        }
        if !self.aliased.is_empty() {
            for props in self.arena.props.values_mut() {
                if props.anchor != 0 && self.aliased.contains(&props.anchor) {
                    props.shared = true;
                }
            }
        }
        Ok(std::mem::take(&mut self.chunk_items))
    }

    fn is_whole(&self) -> bool {
        matches!(self.mode, Mode::Whole(_))
    }

    /// The error of a split parse that gives up (the sequential parse
    /// follows and reports any real error).
    fn bail(&self) -> ParseError {
        ParseError {
            line: 0,
            column: 0,
            message: "not split".into(),
        }
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        match self.mode {
            Mode::Whole(lines) => {
                let lines = lines.get_or_init(|| Lines::new(self.src));
                let (line, column) = lines.line_col(self.src, offset);
                ParseError {
                    line,
                    column,
                    message: message.into(),
                }
            }
            _ => self.bail(),
        }
    }

    fn offset(&self, m: Marker) -> usize {
        self.offsets.offset(self.src, m)
    }

    /// Adds a node, with its data word when it has one.
    fn push(&mut self, node: Node, meta: u8, data: u32) -> NodeId {
        let id = self.arena.nodes.len() as u32;
        self.arena.nodes.push(node);
        self.arena.meta.push(meta);
        if has_data(meta) {
            self.arena.data.push(data);
        }
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
        if anchor != 0 {
            self.arena.anchors.insert(anchor, id);
        }
        self.arena.props.insert(
            id.0,
            Props {
                start: start as u32,
                anchor,
                tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                shared: false,
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
        tag: Option<Cow<'a, saphyr_parser::Tag>>,
        span: Span,
    ) -> Result<(), ParseError> {
        let src = self.src;
        let has_props = anchor != 0 || tag.is_some();
        if !self.is_whole() && (has_props || self.stack.is_empty()) {
            return Err(self.bail());
        }
        let base = self.offset(span.start);
        let content = if has_props {
            text::skip_properties(src, base)
        } else {
            base
        };
        let mut meta = 0;
        let (style, start, end) = match style {
            ScalarStyle::Plain => {
                if value.is_empty() && span.start.index() == span.end.index() {
                    meta |= EMPTY;
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
        // No copy when the decoded value is the source text (plain
        // one-liners, quoted without escapes): the range says where it is.
        let candidate = match style {
            Style::Plain => Some((start, end)),
            Style::SingleQuoted | Style::DoubleQuoted if end > start + 1 => {
                Some((start + 1, end - 1))
            }
            _ => None,
        };
        let in_src: Option<&'a str> = candidate.and_then(|(vs, ve)| {
            let text = src.get(vs..ve)?;
            let same = match &value {
                Cow::Borrowed(s) if is_within(src, s) => {
                    (s.as_ptr() == text.as_ptr() && s.len() == text.len()) || text == *s
                }
                v => text == v.as_ref(),
            };
            same.then_some(text)
        });
        if self.expecting_key() {
            let key = match in_src {
                Some(t) => Cow::Borrowed(t),
                None => value.clone(),
            };
            self.check_key(key, style, start)?;
        }
        let data = match in_src {
            Some(_) => 0,
            None => {
                meta |= OWNED;
                let index = self.arena.owned_at.len() as u32;
                self.arena.owned_at.push(self.arena.owned.len() as u32);
                self.arena.owned.push_str(&value);
                index
            }
        };
        let node = Node {
            start: start as u32,
            end: end as u32,
            parent: self.parent_id(),
        };
        let id = self.push(node, meta | meta_of(Kind::Scalar, style), data);
        self.record_props(id, base.min(start), anchor, tag.map(Cow::into_owned));
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
        let src = self.src;
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
            self.arena.meta[frame.node as usize] |= MERGE;
        }
        let dup = match &frame.key_set {
            Some(set) => set.contains(key.as_ref()),
            None => frame.keys.contains(&key),
        };
        if dup {
            return Err(self.error_at(at, format!("duplicate mapping key {key:?}")));
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
        if !self.is_whole() {
            return Err(self.bail());
        }
        let start = self.offset(span.start);
        if self.expecting_key() {
            return Err(self.error_at(start, "an alias as a mapping key is not supported"));
        }
        let size = self.sizes.get(&anchor).copied().unwrap_or(1);
        self.alias_total = self.alias_total.saturating_add(size);
        if self.alias_total > self.limits.max_alias_expansion {
            return Err(self.error_at(
                start,
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?)",
                    self.limits.max_alias_expansion
                ),
            ));
        }
        self.aliased.insert(anchor);
        let end = self.offset(span.end).max(start);
        let node = Node {
            start: start as u32,
            end: end as u32,
            parent: self.parent_id(),
        };
        let id = self.push(node, meta_of(Kind::Alias, Style::Plain), anchor as u32);
        self.cursor = end.max(self.cursor);
        self.add_child(id, size);
        Ok(())
    }

    fn open(
        &mut self,
        is_map: bool,
        anchor: usize,
        tag: Option<Cow<'a, saphyr_parser::Tag>>,
        span: Span,
    ) -> Result<(), ParseError> {
        if !self.is_whole() && (anchor != 0 || tag.is_some()) {
            return Err(self.bail());
        }
        if matches!(self.mode, Mode::Chunk { .. }) && self.stack.is_empty() {
            // The chunk's own root sequence stands for `items`.
            if is_map || self.chunk_root_seen {
                return Err(self.bail());
            }
            self.chunk_root_seen = true;
            let children = self.free.pop().unwrap_or_default();
            self.stack.push(Frame {
                node: CHUNK_ROOT,
                slot: usize::MAX,
                is_map: false,
                children,
                keys: Vec::new(),
                key_set: None,
                expanded: 1,
            });
            return Ok(());
        }
        let src = self.src;
        let base = self.offset(span.start);
        if self.expecting_key() {
            return Err(self.error_at(base, "a collection as a mapping key is not supported"));
        }
        if self.stack.len() + self.depth_offset >= self.limits.max_depth {
            return Err(self.error_at(
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
        let style = if flow { Style::Flow } else { Style::Block };
        let kind = if is_map { Kind::Map } else { Kind::Seq };
        let node = Node {
            start: content as u32,
            end: content as u32,
            parent: self.parent_id(),
        };
        let slot = self.arena.data.len();
        // The run index is filled when the collection closes.
        let id = self.push(node, meta_of(kind, style), 0);
        self.record_props(id, base.min(content), anchor, tag.map(Cow::into_owned));
        if anchor != 0 {
            // Filled with the real size when the collection closes.
            self.sizes.insert(anchor, 1);
        }
        if flow {
            self.cursor = self.cursor.max(content + 1);
        }
        let children = self.free.pop().unwrap_or_default();
        self.stack.push(Frame {
            node: id.0,
            slot,
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
        if frame.node == CHUNK_ROOT {
            return self.close_chunk(frame.children);
        }
        let id = NodeId(frame.node);
        let run = self.arena.children.len() as u32;
        self.arena
            .children
            .push(NodeId(frame.children.len() as u32));
        self.arena.children.extend_from_slice(&frame.children);
        let last = frame.children.last().copied();
        let first_child = frame.children.first().copied();
        frame.children.clear();
        self.free.push(std::mem::take(&mut frame.children));

        let i = id.0 as usize;
        let flow = style_of(self.arena.meta[i]) == Style::Flow;
        let (start, end) = if flow {
            let start = self.arena.nodes[i].start as usize;
            (start, self.flow_end(start, last, span))
        } else {
            let start = match (first_child, self.arena.kind(id.0)) {
                (Some(c), Kind::Seq) => self.arena.dash_of(self.src, c.0),
                (Some(c), _) => self.arena.prop_start(c.0),
                (None, _) => self.arena.nodes[i].start as usize,
            };
            let end = last.map_or(start, |l| self.arena.nodes[l.0 as usize].end as usize);
            (start, end)
        };
        self.arena.data[frame.slot] = run;
        let node = &mut self.arena.nodes[i];
        node.start = start as u32;
        node.end = end as u32;
        if let Some(p) = self.arena.props.get_mut(&id.0) {
            p.start = p.start.min(start as u32);
            if p.anchor != 0 {
                self.sizes.insert(p.anchor, frame.expanded);
            }
        }
        self.cursor = self.cursor.max(end);
        self.add_child(id, frame.expanded);
        Ok(())
    }

    /// The end of a chunk's root sequence: its items are the chunk's, less
    /// the null item of the next chunk's dash when the chunk was extended
    /// with it.
    fn close_chunk(&mut self, mut items: Vec<NodeId>) -> Result<(), ParseError> {
        if let Mode::Chunk {
            next_dash: Some(dash),
        } = self.mode
        {
            let last = items.pop().ok_or_else(|| self.bail())?;
            let n = last.0 as usize;
            let is_null_at_dash = n + 1 == self.arena.nodes.len()
                && self.arena.meta[n] & (EMPTY | OWNED) == EMPTY
                && self.arena.nodes[n].start as usize == dash + 1;
            if !is_null_at_dash || items.is_empty() {
                return Err(self.bail());
            }
            self.arena.nodes.pop();
            self.arena.meta.pop();
        }
        self.chunk_items = items;
        Ok(())
    }

    /// End of a flow collection: just past its closing bracket, found from
    /// its last child (the parser's span can run over a trailing comment).
    fn flow_end(&self, start: usize, last: Option<NodeId>, span: Span) -> usize {
        let src = self.src;
        let close = if src.as_bytes()[start] == b'{' {
            b'}'
        } else {
            b']'
        };
        let mut pos = last.map_or(start + 1, |l| self.arena.nodes[l.0 as usize].end as usize);
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
            None => self.arena.documents.push(id),
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
