//! Parallel parse of large ResourceLists. The block `items:` sequence of the
//! root mapping is cut into chunks at item boundaries, the chunks are parsed
//! on their own threads (each into its own arena, with absolute byte
//! offsets), the root mapping is parsed with a one-item placeholder for the
//! items, and the parts are assembled into the arena the sequential parse
//! builds, node for node.
//!
//! An item boundary is a line whose first non-space character is the `-` of
//! an item at the items' dash column: a block scalar or a multi-line flow or
//! quoted scalar inside an item is indented deeper than that column, so such
//! a line cannot be inside an item. Each chunk is parsed together with the
//! dash of the next chunk's first item, so that the parser sees the same
//! text up to that dash as the sequential parse does (a block scalar ends
//! where the next token starts); the dash's null item is then dropped.
//!
//! Anything unusual gives up (`None`), and the caller parses sequentially:
//! no block `items:` key at column 0 of a block root mapping, document
//! markers, anchors, aliases or tags anywhere, or any parse error (the
//! sequential parse then reports it with its position).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;

use super::doc::{
    Arena, Builder, CHUNK_ROOT, EMPTY, Kind, Mode, NONE, Node, NodeId, OWNED, Offsets, ParseLimits,
    Style, has_data, kind_of, style_of,
};
use super::text::{self, BOM};

/// Inputs smaller than this are parsed sequentially (threads cost more).
const MIN_SPLIT_BYTES: usize = 1 << 20;
const MIN_CHUNK_BYTES: usize = 256 << 10;
const MAX_CHUNK_BYTES: usize = 4 << 20;
/// Chunks per thread, so that threads finishing early take more.
const CHUNKS_PER_THREAD: usize = 8;

/// How to split; the defaults outside tests.
#[derive(Clone, Copy, Debug)]
pub(super) struct SplitOptions {
    pub(super) min_bytes: usize,
    /// Target chunk size; `None` to derive it from the input and threads.
    pub(super) chunk_bytes: Option<usize>,
    pub(super) threads: usize,
}

impl SplitOptions {
    fn default_for_host() -> SplitOptions {
        SplitOptions {
            min_bytes: MIN_SPLIT_BYTES,
            chunk_bytes: None,
            threads: thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        }
    }
}

/// The arena of `src`, parsed in parallel; `None` when the input does not
/// qualify or anything is unusual.
pub(super) fn parse(src: &str, limits: ParseLimits) -> Option<Arena> {
    parse_with(src, limits, SplitOptions::default_for_host())
}

pub(super) fn parse_with(src: &str, limits: ParseLimits, options: SplitOptions) -> Option<Arena> {
    if src.len() < options.min_bytes || (options.threads < 2 && options.min_bytes > 0) {
        return None;
    }
    let target = options.chunk_bytes.unwrap_or_else(|| {
        (src.len() / (options.threads * CHUNKS_PER_THREAD)).clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
    });
    // The plan, once made (`None` when the input does not split).
    let job: OnceLock<Option<Job>> = OnceLock::new();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // Chunks are appended in order as they are parsed, by whichever thread
    // finds the assembly free: the copying overlaps the parsing, and each
    // chunk is freed early.
    let assembly: Mutex<Option<Assembly>> = Mutex::new(None);
    let work = |job: &Job| {
        let n = job.plan.chunks.len();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            let arena = job.arenas[i].lock().ok().and_then(|mut arena| arena.take());
            // A panic here would be a defect of the split, not of the input:
            // the sequential parse takes over.
            let parse = || arena.and_then(|arena| parse_chunk(src, &job.plan, i, limits, arena));
            let Some(part) = panic::catch_unwind(AssertUnwindSafe(parse)).ok().flatten() else {
                failed.store(true, Ordering::Relaxed);
                break;
            };
            if let Ok(mut slot) = job.slots[i].lock() {
                *slot = Some(part);
            }
            if let Ok(mut assembly) = assembly.try_lock()
                && let Some(assembly) = assembly.as_mut()
            {
                assembly.append_parsed(&job.slots);
            }
        }
    };
    thread::scope(|scope| {
        // The workers start first: an idle CPU can take milliseconds to
        // wake, which the plan's scan of the text hides.
        for _ in 1..options.threads.max(1) {
            scope.spawn(|| {
                if let Some(job) = job.wait() {
                    work(job);
                }
            });
        }
        let plan = panic::catch_unwind(|| Plan::find(src, target.max(1)));
        // One chunk (one huge item): nothing to run in parallel.
        let plan = plan
            .ok()
            .flatten()
            .filter(|plan| plan.chunks.len() >= 2 || options.min_bytes == 0);
        let Some(job) = job.get_or_init(|| plan.map(Job::new)) else {
            failed.store(true, Ordering::Relaxed);
            return;
        };
        let root = panic::catch_unwind(|| parse_root(src, &job.plan, limits));
        match root.ok().flatten() {
            Some(root) => {
                if let Ok(mut assembly) = assembly.lock() {
                    *assembly = Some(Assembly::start(src, root));
                }
            }
            None => failed.store(true, Ordering::Relaxed),
        }
        work(job);
    });
    let job = job.into_inner().flatten()?;
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    let mut assembly = assembly.into_inner().ok()??;
    assembly.append_parsed(&job.slots);
    (assembly.appended == job.plan.chunks.len()).then(|| assembly.finish(src))
}

/// The chunks to parse and where they go.
struct Job {
    plan: Plan,
    /// The chunks' arenas, allocated by the thread that frees them (memory
    /// a worker thread allocates stays with that thread's heap when freed,
    /// out of reach of what the caller allocates next). Each is freed once
    /// its chunk is appended.
    arenas: Vec<Mutex<Option<Arena>>>,
    /// Each chunk, once parsed and until appended.
    slots: Vec<Mutex<Option<Part>>>,
}

impl Job {
    fn new(plan: Plan) -> Job {
        let n = plan.chunks.len();
        let arenas = (0..n)
            .map(|i| {
                let (start, end, _) = plan.chunk_text(i);
                Mutex::new(Some(Arena::for_text(end - start)))
            })
            .collect();
        Job {
            plan,
            arenas,
            slots: (0..n).map(|_| Mutex::new(None)).collect(),
        }
    }
}

/// Where the items are and how they are cut.
#[derive(Debug)]
struct Plan {
    /// End of the `items` key (the sequential parse's position when the
    /// first item starts).
    key_start: usize,
    key_end: usize,
    /// The lines of the items: from the line after `items:` to the first
    /// line after the last item that is not part of it (or the end).
    region: (usize, usize),
    dash_col: usize,
    /// Each chunk's text start and the dash of its first item.
    chunks: Vec<(usize, usize)>,
}

impl Plan {
    fn find(src: &str, target: usize) -> Option<Plan> {
        let bytes = src.as_bytes();
        let first = if src.starts_with(BOM) { BOM.len() } else { 0 };
        // A byte order mark inside the text makes the parser start a new
        // document there (at a line start) or refuse it; whatever it does,
        // the sequential parse does it.
        if !src.is_ascii() && src[first..].contains(BOM) {
            return None;
        }
        // The `items:` key line, at column 0.
        let mut ls = first;
        let key_start = loop {
            if ls >= bytes.len() {
                return None;
            }
            let le = line_end(bytes, ls);
            let line = &bytes[ls..le];
            if is_items_key_line(line) {
                break ls;
            }
            // JSON or a flow root, directives and document markers: the
            // sequential parse, without looking further.
            if matches!(line.first(), Some(b'{' | b'[' | b'%')) || line.starts_with(b"---") {
                return None;
            }
            ls = le + 1;
        };
        let region_start = line_end(bytes, key_start) + 1;
        let mut pos = region_start;
        let mut dash_col = None;
        let mut chunks: Vec<(usize, usize)> = Vec::new();
        let region_end = loop {
            if pos >= bytes.len() {
                break bytes.len();
            }
            let le = line_end(bytes, pos);
            let line = &bytes[pos..le];
            let indent = line.iter().take_while(|&&b| b == b' ').count();
            let rest = &line[indent..];
            let inside = dash_col.is_some_and(|d| indent > d);
            if !inside && !is_blank_or_comment(rest) {
                if rest.first() == Some(&b'\t') {
                    return None;
                }
                let is_dash = is_item_dash(rest)?;
                match dash_col {
                    None if is_dash => {
                        dash_col = Some(indent);
                        chunks.push((region_start, pos + indent));
                    }
                    None => return None,
                    Some(d) if indent == d && is_dash => {
                        let (chunk_start, _) = chunks[chunks.len() - 1];
                        if pos - chunk_start >= target {
                            chunks.push((pos, pos + indent));
                        }
                    }
                    // The first line after the items: a key of the root.
                    Some(_) if indent == 0 && rest[0].is_ascii_alphabetic() => break pos,
                    Some(_) => return None,
                }
            }
            pos = le + 1;
        };
        Some(Plan {
            key_start,
            key_end: key_start + "items".len(),
            region: (region_start, region_end),
            dash_col: dash_col?,
            chunks,
        })
    }

    /// The text chunk `i` is parsed from: its items, then the dash of the
    /// next chunk's first item, if any.
    fn chunk_text(&self, i: usize) -> (usize, usize, Option<usize>) {
        let (start, _) = self.chunks[i];
        match self.chunks.get(i + 1) {
            Some(&(_, dash)) => (start, dash + 1, Some(dash)),
            None => (start, self.region.1, None),
        }
    }
}

/// End of the line starting at `ls` (its `\n`, or the end of the text).
fn line_end(bytes: &[u8], ls: usize) -> usize {
    text::memchr_nl(&bytes[ls..]).map_or(bytes.len(), |i| ls + i)
}

/// `items:` at column 0, then nothing but blanks and a comment.
fn is_items_key_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"items:") else {
        return false;
    };
    match rest.first() {
        None | Some(b'\r') => rest.len() <= 1,
        Some(b' ' | b'\t') => {
            let rest = trim_blanks(rest);
            rest.is_empty() || rest == b"\r" || rest[0] == b'#'
        }
        _ => false,
    }
}

fn trim_blanks(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// A line (after its indentation) holding nothing, or only a comment.
fn is_blank_or_comment(rest: &[u8]) -> bool {
    let rest = trim_blanks(rest);
    rest.is_empty() || rest == b"\r" || rest[0] == b'#'
}

/// Whether a line (after its indentation) starts with a block sequence
/// entry `-`; `None` for a dash followed by a tab (left to the sequential
/// parse).
fn is_item_dash(rest: &[u8]) -> Option<bool> {
    match rest {
        [b'-'] | [b'-', b' ' | b'\r', ..] => Some(true),
        [b'-', b'\t', ..] => None,
        _ => Some(false),
    }
}

/// A chunk parsed on its own: nodes with chunk-local ids (the items'
/// parent is [`CHUNK_ROOT`]) and absolute offsets.
struct Part {
    arena: Arena,
    items: Vec<NodeId>,
}

/// Parses chunk `i` into `arena`; `None` when it does not parse as a
/// chunk.
fn parse_chunk(
    src: &str,
    plan: &Plan,
    i: usize,
    limits: ParseLimits,
    mut arena: Arena,
) -> Option<Part> {
    let (start, end, next_dash) = plan.chunk_text(i);
    let offsets = Offsets::new(src, start, end, false);
    // The sequential parse reaches the first item from the end of the
    // `items` key, later chunks from the end of the item before them;
    // any point between that and the chunk's first dash scans the same.
    let cursor = if i == 0 { plan.key_end } else { start };
    let items = Builder::new(src, &mut arena, &offsets, limits, Mode::Chunk { next_dash })
        .with_cursor(cursor)
        .run(&src[start..end])
        .ok()?;
    (!items.is_empty() && arena.documents.is_empty()).then_some(Part { arena, items })
}

/// The root mapping parsed with a placeholder for the items.
struct Root {
    arena: Arena,
    /// The `items` sequence; the placeholder item is `seq + 1`.
    seq: u32,
    /// Added to the offsets of the nodes after the placeholder.
    delta: i64,
}

fn parse_root(src: &str, plan: &Plan, limits: ParseLimits) -> Option<Root> {
    let (region_start, region_end) = plan.region;
    let placeholder = format!("{}-\n", " ".repeat(plan.dash_col));
    let mut text = String::with_capacity(region_start + placeholder.len() + src.len() - region_end);
    text.push_str(&src[..region_start]);
    text.push_str(&placeholder);
    text.push_str(&src[region_end..]);
    let offsets = Offsets::new(&text, 0, text.len(), true);
    let mut arena = Arena::with_capacity(text.len() / 12);
    Builder::new(&text, &mut arena, &offsets, limits, Mode::Plain)
        .run(&text)
        .ok()?;
    arena.index_data();
    // The root must be one block mapping whose `items` key is the one
    // found, holding a block sequence of just the placeholder.
    if arena.documents != [NodeId(0)]
        || arena.kind(0) != Kind::Map
        || style_of(arena.meta[0]) != Style::Block
    {
        return None;
    }
    let entries = arena.children_of(0);
    let (_, seq) = entries
        .chunks_exact(2)
        .map(|kv| (kv[0], kv[1]))
        .find(|&(k, _)| {
            let n = arena.nodes[k.0 as usize];
            arena.kind(k.0) == Kind::Scalar
                && (n.start as usize, n.end as usize) == (plan.key_start, plan.key_end)
        })?;
    let is_block_seq =
        arena.kind(seq.0) == Kind::Seq && style_of(arena.meta[seq.0 as usize]) == Style::Block;
    let placeholder_id = seq.0 + 1;
    if !is_block_seq
        || arena.children_of(seq.0) != [NodeId(placeholder_id)]
        || arena.meta[placeholder_id as usize] & EMPTY == 0
    {
        return None;
    }
    let delta = region_end as i64 - (region_start + placeholder.len()) as i64;
    Some(Root {
        arena,
        seq: seq.0,
        delta,
    })
}

/// One arena from the root and the chunks, as the sequential parse builds
/// it: node ids in document order, child runs in the order collections
/// close, owned values in document order. The root's nodes up to the items
/// sequence come first, then each chunk as it is appended (and freed), then
/// the items' run and the rest of the root.
struct Assembly {
    root: Arena,
    /// The `items` sequence (the last node of the root before the chunks).
    seq: u32,
    /// Added to the offsets of the root's nodes after the placeholder.
    delta: i64,
    /// The sequence's run in the root (its placeholder item is skipped).
    run: usize,
    /// The root's data words, owned values and owned text before the
    /// chunks.
    prefix_data: usize,
    prefix_owned: usize,
    prefix_owned_text: usize,
    out: Arena,
    items: Vec<NodeId>,
    /// Chunks appended so far.
    appended: usize,
}

impl Assembly {
    fn start(src: &str, root: Root) -> Assembly {
        let Root {
            arena: r,
            seq,
            delta,
        } = root;
        let s = seq as usize;
        let run = r.data_of(seq) as usize;
        let prefix_data = r.meta[..=s].iter().filter(|&&m| has_data(m)).count();
        let prefix_owned = r.meta[..=s].iter().filter(|&&m| m & OWNED != 0).count();
        let prefix_owned_text = r
            .owned_at
            .get(prefix_owned)
            .map_or(r.owned.len(), |&a| a as usize);
        // Room for more than a typical text needs; room never written costs
        // no memory, and the vectors still grow if it is not enough.
        let mut out = Arena::for_text(src.len());
        out.documents = r.documents.clone();
        out.nodes.extend_from_slice(&r.nodes[..=s]);
        out.meta.extend_from_slice(&r.meta[..=s]);
        out.data.extend_from_slice(&r.data[..prefix_data]);
        out.children.extend_from_slice(&r.children[..run]);
        out.owned.push_str(&r.owned[..prefix_owned_text]);
        out.owned_at.extend_from_slice(&r.owned_at[..prefix_owned]);
        Assembly {
            root: r,
            seq,
            delta,
            run,
            prefix_data,
            prefix_owned,
            prefix_owned_text,
            out,
            items: Vec::new(),
            appended: 0,
        }
    }

    /// Appends the parsed chunks that come next, in order, and frees them.
    fn append_parsed(&mut self, slots: &[Mutex<Option<Part>>]) {
        while let Some(slot) = slots.get(self.appended) {
            let Some(part) = slot.lock().ok().and_then(|mut slot| slot.take()) else {
                return;
            };
            self.append(part);
            self.appended += 1;
        }
    }

    fn append(&mut self, part: Part) {
        let Part { arena: c, items } = part;
        let out = &mut self.out;
        let seq = self.seq;
        let id_base = out.nodes.len() as u32;
        let run_base = out.children.len() as u32;
        let owned_base = out.owned_at.len() as u32;
        let text_base = out.owned.len() as u32;
        let local = |id: u32| if id == CHUNK_ROOT { seq } else { id_base + id };
        out.nodes.extend(c.nodes.iter().map(|n| Node {
            parent: local(n.parent),
            ..*n
        }));
        out.data
            .extend(rebase_data(&c.meta, &c.data, run_base, owned_base));
        out.meta.extend_from_slice(&c.meta);
        copy_runs(&mut out.children, &c.children, |id| id_base + id);
        out.owned.push_str(&c.owned);
        out.owned_at
            .extend(c.owned_at.iter().map(|&a| a + text_base));
        self.items.extend(items.iter().map(|&i| NodeId(local(i.0))));
    }

    /// The items' run and the rest of the root, then what the sequential
    /// parse computes when the sequence and the root close.
    fn finish(self, src: &str) -> Arena {
        let Assembly {
            root: r,
            seq,
            delta,
            run,
            prefix_data,
            prefix_owned,
            prefix_owned_text,
            mut out,
            items,
            ..
        } = self;
        let s = seq as usize;
        let chunk_nodes = (out.nodes.len() - (s + 1)) as u32;
        let chunk_owned_count = (out.owned_at.len() - prefix_owned) as u32;
        let chunk_owned_text = (out.owned.len() - prefix_owned_text) as u32;
        let items_run = out.children.len() as u32;
        out.children.push(NodeId(items.len() as u32));
        out.children.extend_from_slice(&items);
        let map_id = |id: u32| match id {
            NONE => NONE,
            id if id <= seq => id,
            id => id - 1 + chunk_nodes,
        };
        let run_shift = out.children.len() as u32 - (run as u32 + 2);
        let shift = |offset: u32| (i64::from(offset) + delta) as u32;
        out.nodes.extend(r.nodes[s + 2..].iter().map(|n| Node {
            start: shift(n.start),
            end: shift(n.end),
            parent: map_id(n.parent),
        }));
        out.data.extend(rebase_data(
            &r.meta[s + 2..],
            &r.data[prefix_data..],
            run_shift,
            chunk_owned_count,
        ));
        out.meta.extend_from_slice(&r.meta[s + 2..]);
        copy_runs(&mut out.children, &r.children[run + 2..], map_id);
        out.owned.push_str(&r.owned[prefix_owned_text..]);
        out.owned_at.extend(
            r.owned_at[prefix_owned..]
                .iter()
                .map(|&a| a + chunk_owned_text),
        );
        // The root mapping closes after the items, like the nodes after them.
        out.data[0] += run_shift;
        out.data[prefix_data - 1] = items_run;
        out.index_data();

        // A block sequence starts at its first dash and ends where its last
        // item ends; so does the root mapping with its last entry.
        let (first, last) = (items[0].0, items[items.len() - 1].0);
        out.nodes[s].start = out.dash_of(src, first) as u32;
        out.nodes[s].end = out.nodes[last as usize].end;
        if let Some(&l) = out.children_of(0).last() {
            out.nodes[0].end = out.nodes[l.0 as usize].end;
        }
        out
    }
}

/// The data words of nodes moved into a larger arena: run indices and
/// owned value indices shifted.
fn rebase_data<'d>(
    meta: &'d [u8],
    data: &'d [u32],
    run_shift: u32,
    owned_shift: u32,
) -> impl Iterator<Item = u32> + 'd {
    let kinds = meta.iter().filter(|&&m| has_data(m));
    kinds.zip(data).map(move |(&m, &d)| match kind_of(m) {
        Kind::Map | Kind::Seq => d + run_shift,
        Kind::Scalar => d + owned_shift,
        Kind::Alias => d,
    })
}

/// Appends child runs (a count, then that many ids) with their ids mapped.
fn copy_runs(out: &mut Vec<NodeId>, runs: &[NodeId], map: impl Fn(u32) -> u32) {
    let mut i = 0;
    while i < runs.len() {
        let count = runs[i].0 as usize;
        out.push(runs[i]);
        out.extend(
            runs[i + 1..i + 1 + count]
                .iter()
                .map(|id| NodeId(map(id.0))),
        );
        i += 1 + count;
    }
}

#[cfg(test)]
#[allow(dead_code)]
#[path = "../../benches/support/gen.rs"]
mod generator;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Doc;

    const LIMITS: ParseLimits = ParseLimits {
        max_depth: 64,
        max_alias_expansion: 1000,
    };

    fn split(src: &str, chunk_bytes: usize, threads: usize) -> Option<Arena> {
        parse_with(
            src,
            LIMITS,
            SplitOptions {
                min_bytes: 0,
                chunk_bytes: Some(chunk_bytes),
                threads,
            },
        )
    }

    /// Where two arenas first differ.
    fn first_difference(a: &Arena, b: &Arena) -> Option<String> {
        if a == b {
            return None;
        }
        let nodes = a.nodes.iter().zip(&a.meta).zip(b.nodes.iter().zip(&b.meta));
        for (i, (x, y)) in nodes.enumerate() {
            if x != y {
                return Some(format!("node {i}: sequential {x:?}, split {y:?}"));
            }
        }
        if a.nodes.len() != b.nodes.len() {
            return Some(format!("{} nodes, split {}", a.nodes.len(), b.nodes.len()));
        }
        for (i, (x, y)) in a.data.iter().zip(&b.data).enumerate() {
            if x != y {
                return Some(format!("data[{i}]: sequential {x}, split {y}"));
            }
        }
        for (i, (x, y)) in a.children.iter().zip(&b.children).enumerate() {
            if x != y {
                return Some(format!("children[{i}]: sequential {x:?}, split {y:?}"));
            }
        }
        Some(format!(
            "children {} / {}, owned {:?} / {:?}, owned_at {:?} / {:?}, documents {:?} / {:?}",
            a.children.len(),
            b.children.len(),
            a.owned,
            b.owned,
            a.owned_at,
            b.owned_at,
            a.documents,
            b.documents
        ))
    }

    /// The split parse gives the sequential arena exactly, at every chunk
    /// size; returns whether it split at all.
    fn check_same(src: &str) -> bool {
        let sequential = Doc::parse_sequential(src, LIMITS);
        let mut split_any = false;
        for chunk_bytes in [1, 7, 64, 300, 4096, usize::MAX / 2] {
            for threads in [1, 2, 3] {
                let Some(arena) = split(src, chunk_bytes, threads) else {
                    continue;
                };
                split_any = true;
                let doc = sequential.as_ref().unwrap_or_else(|e| {
                    panic!("split parse succeeded where the sequential parse fails ({e}):\n{src}")
                });
                if let Some(diff) = first_difference(doc.arena(), &arena) {
                    panic!("chunks of {chunk_bytes} bytes, {threads} threads: {diff}\n{src}");
                }
            }
        }
        split_any
    }

    #[test]
    fn generated_lists_split_exactly() {
        for n in [1, 3, 20, 60] {
            let src = generator::resource_list(n);
            assert!(check_same(&src), "{n} workloads not split");
            let crlf = src.replace('\n', "\r\n");
            assert!(check_same(&crlf), "CRLF, {n} workloads not split");
            let bom = format!("\u{feff}{src}");
            assert!(check_same(&bom), "BOM, {n} workloads not split");
            let utf8 = src.replace("the checkout service", "le service « caisse » ✓");
            assert!(check_same(&utf8), "UTF-8, {n} workloads not split");
        }
    }

    #[test]
    fn shapes_of_items_split_exactly() {
        let cases = [
            // Compact and wide items, comments between and after them.
            "kind: ResourceList\nitems:\n# head\n- a: 1\n  b: [1, 2]\n# between\n- c: |\n    text\n\n  d: x\n# tail\nfunctionConfig:\n  x: 1\n",
            "apiVersion: v1\nkind: ResourceList\nitems:\n  - a: 1\n    # inner\n  - b: 'q'\n\n  # between\n  - c: \"d\\n\"\nresults:\n- message: m\n",
            // Block scalars ending an item, before a dash or a key.
            "kind: ResourceList\nitems:\n- data:\n    s: |+\n      keep\n\n\n- data:\n    t: >-\n      folded\n      text\n  # c\n- k: v\nfunctionConfig: {a: 1}\n",
            "kind: ResourceList\nitems:\n  - |\n    block item\n  - >\n    folded\n\n  - x\n",
            "kind: ResourceList\nitems:\n- - a\n  - b\n- - c\n-\n- ~\n- \n-   spaced: 1\n- # comment\n  k: v\n",
            // Multi-line plain, quoted and flow scalars inside items.
            "kind: ResourceList\nitems:\n- a: one\n    two\n  b: \"x\n    y\"\n  c: [1,\n    2]\n- 'it''s'\n",
            // Empty values, flow items, a last item at the end of the text
            // without a line break.
            "kind: ResourceList\nitems:\n- a:\n  b: ~\n- {x: 1, y: [2]}\n- [a, b]\n- last: item",
            // A ConfigMap full of block scalars.
            "kind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n    a.sh: |\n      #!/bin/sh\n      - not an item\n    b.txt: |-\n      x\n\n      y\n    c: >+\n      z\n\n- kind: Service\n",
            // Keys before and after the items.
            "apiVersion: v1\nfunctionConfig:\n  data: {a: b}\nitems:   # the items\n- a: 1\n- b: 2\nkind: ResourceList\nresults: []\n",
        ];
        for src in cases {
            assert!(check_same(src), "not split:\n{src}");
            assert!(
                check_same(&src.replace('\n', "\r\n")),
                "CRLF not split:\n{src}"
            );
        }
    }

    /// Items built from awkward fragments, at random: whatever the
    /// sequential parse makes of them, the split parse makes the same (or
    /// gives up).
    #[test]
    fn random_items_split_exactly() {
        const FRAGMENTS: [&str; 24] = [
            "a: 1",
            "aa: |\n{i}  text\n{i}\n{i}  more",
            "b: |+\n{i}  keep\n\n",
            "c: >-\n{i}  folded\n{i}   deeper\n",
            "d: |2\n{i}   two\n",
            "e:",
            "f: ~",
            "g: [1,\n{i}  2]",
            "h: {x: 1, y: \"q\"}",
            "i: 'it''s'\n{i}# a comment at the item's column",
            "j: \"multi\n{i}  line\"",
            "k: plain\n{i}  continued",
            "l:\n{i}- x\n{i}- y",
            "m:\n{i}  - |\n{i}    in a list",
            "n: 'x' # trailing\n  # shallow comment\n# column 0",
            "o: \"esc\\t\"",
            "p: é ✓",
            "q:\n{i}  r: s",
            "t: >\n\n{i}  after a blank\n   \n",
            "u: |-\n{i}    - dash\n{i}    -",
            "? v\n{i}: w",
            "x: 1 # c",
            "y: \t# tab before a comment",
            "z: ''",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut split_count = 0;
        for _ in 0..300 {
            let wide = next(2) == 0;
            let dash = if wide { "  " } else { "" };
            let mut src = String::from("apiVersion: v1\nkind: ResourceList\nitems:\n");
            for item in 0..1 + next(6) {
                let indent = format!("{dash}  ");
                match next(8) {
                    0 => src.push_str(&format!("{dash}# item {item}\n")),
                    1 => src.push('\n'),
                    2 => src.push_str(&format!("{dash}-\n")),
                    3 => src.push_str(&format!("{dash}- |\n{indent}block item\n")),
                    _ => {}
                }
                src.push_str(dash);
                src.push('-');
                let keys = 1 + next(4);
                let mut used = Vec::new();
                for k in 0..keys {
                    let f = next(FRAGMENTS.len());
                    if used.contains(&f) {
                        continue;
                    }
                    used.push(f);
                    let text = FRAGMENTS[f].replace("{i}", &indent);
                    if k == 0 {
                        src.push(' ');
                    } else {
                        src.push_str(&indent);
                    }
                    src.push_str(&text);
                    if !text.ends_with('\n') {
                        src.push('\n');
                    }
                }
            }
            match next(4) {
                0 => src.push_str("functionConfig:\n  a: b\n"),
                1 => src.push_str("# trailing\nresults:\n- message: x\n"),
                2 => {
                    src.pop();
                }
                _ => {}
            }
            if next(5) == 0 {
                src = src.replace('\n', "\r\n");
            }
            let sequential = Doc::parse_sequential(&src, LIMITS);
            for chunk_bytes in [1, 40] {
                match (split(&src, chunk_bytes, 2), &sequential) {
                    (Some(arena), Ok(doc)) => {
                        split_count += 1;
                        if let Some(diff) = first_difference(doc.arena(), &arena) {
                            panic!("chunks of {chunk_bytes} bytes: {diff}\n{src}");
                        }
                    }
                    (Some(_), Err(e)) => panic!("split parse of an error ({e}):\n{src}"),
                    (None, _) => {}
                }
            }
        }
        assert!(split_count > 200, "only {split_count} of 600 parses split");
    }

    #[test]
    fn unusual_input_is_left_to_the_sequential_parse() {
        let cases = [
            // No block items at column 0 of the root.
            "kind: ResourceList\nitems: []\n",
            "kind: ResourceList\nitems: [\n  a]\n",
            "{kind: ResourceList, items: [a]}\n",
            "- a\n- b\n",
            // Anchors, aliases, tags, document markers.
            "kind: ResourceList\nitems:\n- &a {x: 1}\n- *a\n",
            "kind: ResourceList\nitems:\n- !!map {x: 1}\n",
            "%YAML 1.2\n---\nkind: ResourceList\nitems:\n- a: 1\n",
            "kind: ResourceList\nitems:\n- a: 1\n---\nkind: ResourceList\n",
            "x: &r 1\nkind: ResourceList\nitems:\n- a: *r\n",
            // Errors: the sequential parse reports them.
            "kind: ResourceList\nitems:\n- a: 1\n  a: 2\n",
            "kind: ResourceList\nitems:\n- a: 1\nkind: again\n",
            "kind: ResourceList\nitems:\n- a: \"open\n- b: 1\n",
            "kind: ResourceList\nitems:\n- a: [1,\n- 2]\n",
            "kind: ResourceList\nitems:\n- a: 1\n b: 2\n",
            "kind: ResourceList\nitems:\n-\tx\n",
            // A byte order mark inside the text; markers and a flow root.
            "kind: ResourceList\nitems:\n- a: 1\n\u{feff}- b: 2\n",
            "---\nkind: ResourceList\nitems:\n- a: 1\n",
            "[1,\nitems:\n- a]\n",
            // A key line inside a multi-line scalar of the root.
            "kind: \"ResourceList\nitems:\n- a\"\nitems:\n- b: 1\n",
        ];
        for src in cases {
            for chunk_bytes in [1, 4096] {
                let split = split(src, chunk_bytes, 2);
                match Doc::parse_sequential(src, LIMITS) {
                    Ok(doc) => {
                        if let Some(diff) = split.and_then(|a| first_difference(doc.arena(), &a)) {
                            panic!("{diff}\n{src}");
                        }
                    }
                    Err(e) => assert!(split.is_none(), "split parse of an error ({e}):\n{src}"),
                }
            }
        }
    }

    /// `Doc::parse` on an input large enough to be split with the default
    /// options: the same arena as the sequential parse, and the same error
    /// when something in it is wrong.
    #[test]
    fn large_inputs_parse_as_sequentially() {
        let limits = ParseLimits {
            max_depth: 20,
            max_alias_expansion: 50,
        };
        let list = generator::resource_list(480);
        assert!(list.len() > MIN_SPLIT_BYTES, "{} bytes", list.len());
        let options = SplitOptions {
            threads: 2,
            ..SplitOptions::default_for_host()
        };
        let split = parse_with(&list, limits, options).expect("the list is split");
        let doc = Doc::parse_sequential(&list, limits).unwrap();
        assert_eq!(first_difference(doc.arena(), &split), None);
        assert_eq!(Doc::parse(&list, limits).unwrap().arena(), doc.arena());

        let deep = format!("{}{}\n", "- ".repeat(30), "x");
        let bomb = "  a: &a [x, x, x, x, x, x, x, x]\n  b: [*a, *a, *a, *a, *a, *a, *a, *a]\n";
        let broken = [
            // Too deep inside an item.
            list.replacen("\n- apiVersion", &format!("\n- {deep}- apiVersion"), 7),
            // An alias bomb after the items.
            format!("{list}{bomb}"),
            // A key of the root twice, before and after the items.
            list.replacen(
                "kind: ResourceList\n",
                "kind: ResourceList\nfunctionConfig: {}\n",
                1,
            ),
            // A duplicate key inside an item.
            list.replacen(
                "  kind: Deployment\n",
                "  kind: Deployment\n  kind: again\n",
                40,
            ),
            // A bad indentation far into the items.
            list.replacen("    name: checkout-", "     name: checkout-", 30),
        ];
        for src in &broken {
            let sequential = Doc::parse_sequential(src, limits).map(|_| ()).unwrap_err();
            assert_eq!(parse_with(src, limits, options).map(|_| ()), None);
            assert_eq!(Doc::parse(src, limits).map(|_| ()), Err(sequential));
        }
    }

    #[test]
    fn limits_behave_as_in_the_sequential_parse() {
        let src = "kind: ResourceList\nitems:\n- a:\n    b:\n      c: 1\n- d: 2\n";
        for max_depth in 1..6 {
            let limits = ParseLimits {
                max_depth,
                max_alias_expansion: 10,
            };
            let options = SplitOptions {
                min_bytes: 0,
                chunk_bytes: Some(1),
                threads: 2,
            };
            let split = parse_with(src, limits, options);
            match Doc::parse_sequential(src, limits) {
                Ok(doc) => {
                    let diff = split.as_ref().map(|a| first_difference(doc.arena(), a));
                    assert!(matches!(diff, Some(None)), "depth {max_depth}: {diff:?}");
                }
                Err(_) => assert!(split.is_none(), "depth {max_depth}"),
            }
        }
    }
}
