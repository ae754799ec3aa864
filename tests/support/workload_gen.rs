//! Generators for the convergence property tests (`tests/convergence.rs`):
//! ResourceLists of Kubernetes workloads as YAML text with varied
//! formatting, and functionConfigs: typed (`fn.kpt.dev/v1alpha1
//! InjectOtelPython`), the same config in the ConfigMap form, or the
//! operator's `Instrumentation` objects among the items.
//!
//! Everything is a structured model built by proptest strategies (so that a
//! failing case shrinks to fewer workloads, fewer containers, fewer env
//! items, fewer comments, fewer config fields), rendered to text by a small
//! block/flow YAML writer. `Input` and `Config` print as their YAML text.
//!
//! Workloads: Deployment, StatefulSet, DaemonSet, ReplicaSet (apps/v1), Job,
//! CronJob (batch/v1, `spec.jobTemplate.spec.template`), a bare Pod (with a
//! namespace), an Argo Rollout (argoproj.io/v1alpha1), 1–4 per list, with
//! or without a namespace; untouched Service and ConfigMap objects, and
//! Namespace objects whose annotations opt their pods in (or set the
//! platform), among them.
//!
//! Formatting, per item: indentation step 2 or 4; compact (`key:\n- a`) or
//! wide (`key:\n  - a`) block lists; item offset `- a` or `-   a`; flow
//! `labels: {app: x}` and flow annotations; flow env items
//! (`- {name: A, value: b}`) and, rarely, a flow env list; comment lines
//! (one or two, at the column or at column 0, after a blank line) before
//! keys and list items, after the last item of a list, blank lines between
//! items and after lists, trailing comments after values and after `key:`,
//! a comment on the item's dash line (`- # c`); plain, 'single' and
//! "double" quoted strings; a literal block scalar env value; kpt's
//! path/index annotations; `spec:` before `metadata:` in some templates;
//! per list: the top-level item list compact or wide, CRLF line breaks, a
//! comment line or `---` before the envelope.
//!
//! Pod templates: 1–3 containers (names from a fixed pool), sometimes init
//! containers; env in every state (absent, `env:` null in its three
//! spellings, `env: []`, items: `PYTHONPATH: /app` plain and quoted, a
//! `PYTHONPATH` with no value, rarely a second `PYTHONPATH`,
//! `OTEL_RESOURCE_ATTRIBUTES: a=b` (merged and moved to the end by the
//! injection), `OTEL_SERVICE_NAME`, `DJANGO_SETTINGS_MODULE`, a user's
//! `OTEL_POD_IP`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_PROPAGATORS`, quoted
//! `"false"` and `"8000"` values, a `valueFrom` secret); volumeMounts,
//! volumes and initContainers in the same states; pod- and container-level
//! securityContext sometimes; `nodeName` sometimes; template metadata
//! absent, `{}`, null, with labels (and the `app.kubernetes.io/*` ones) and
//! with annotations (absent, null, `{}`, items): the opt-in
//! `instrumentation.opentelemetry.io/inject-python` (`"true"`, `'true'`,
//! `"false"`), `container-names` (a subset of the containers, including
//! init containers), `otel-python-platform: musl`, an unrelated annotation.
//!
//! Configs: random subsets of selector (kinds, names, namespaces, labels),
//! containerNames, platform, django, exporter (with TLS), python image,
//! env and resources or volume, spec.env, propagators, sampler, resource
//! attributes and UID attributes, useLabelsForResourceAttributes,
//! imagePullPolicy, initContainerSecurityContext; every one valid, and
//! [`Config::broken`] makes one invalid in one of seven ways.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// A small YAML document model and its writer.

/// A node of the text to write.
#[derive(Clone, Debug)]
pub enum Node {
    /// A scalar's source text (already quoted as needed); `""` is an empty
    /// null (`key:`).
    Raw(String),
    /// A literal block scalar (`|`), its lines.
    Block(Vec<&'static str>),
    Map {
        entries: Vec<Entry>,
        flow: bool,
    },
    Seq {
        items: Vec<SeqItem>,
        flow: bool,
        /// A comment line after the last item, at the dash column.
        end_comment: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub value: Node,
    /// A comment line before the entry, at its column.
    pub before: Option<String>,
    /// A comment after the value (`key: v # c`) or after `key:` of a block
    /// collection.
    pub trailing: Option<String>,
}

#[derive(Clone, Debug)]
pub struct SeqItem {
    pub value: Node,
    /// A comment line before the item's dash.
    pub before: Option<String>,
    /// A comment on the dash line itself (`- # c`), the item's content on
    /// the next lines.
    pub dash_comment: Option<String>,
}

fn raw(s: impl Into<String>) -> Node {
    Node::Raw(s.into())
}

fn map(entries: Vec<Entry>) -> Node {
    Node::Map {
        entries,
        flow: false,
    }
}

fn flow_map(entries: Vec<Entry>) -> Node {
    Node::Map {
        entries,
        flow: true,
    }
}

fn seq(items: Vec<Node>) -> Node {
    Node::Seq {
        items: items.into_iter().map(item).collect(),
        flow: false,
        end_comment: None,
    }
}

fn flow_seq(items: Vec<Node>) -> Node {
    Node::Seq {
        items: items.into_iter().map(item).collect(),
        flow: true,
        end_comment: None,
    }
}

fn item(value: Node) -> SeqItem {
    SeqItem {
        value,
        before: None,
        dash_comment: None,
    }
}

fn entry(key: &str, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        value,
        before: None,
        trailing: None,
    }
}

/// Layout of one item's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Indentation step of nested mappings (2 or 4).
    pub step: usize,
    /// Block lists indented under their key (`key:\n  - a`).
    pub wide: bool,
    /// Columns from a dash to its item's content (`- a`: 2, `-   a`: 4).
    pub offset: usize,
}

struct Writer {
    out: String,
    layout: Layout,
}

impl Writer {
    /// Head comment lines: one per line of `text`; an empty line is a blank
    /// line, a line starting with `^` a comment at column 0.
    fn head(&mut self, col: usize, text: &str) {
        for l in text.split('\n') {
            if l.is_empty() {
                self.out.push('\n');
            } else if let Some(rest) = l.strip_prefix('^') {
                self.line(0, &format!("# {rest}"));
            } else {
                self.line(col, &format!("# {l}"));
            }
        }
    }

    fn line(&mut self, col: usize, text: &str) {
        self.out.push_str(&" ".repeat(col));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn trailing(&mut self, comment: Option<&String>) {
        if let Some(c) = comment {
            self.out.push_str(" # ");
            self.out.push_str(c);
        }
    }

    /// Entries of a block mapping whose keys sit at `col`; `lead` replaces
    /// the indentation of the first key (the `- ` of a list item).
    fn entries(&mut self, entries: &[Entry], col: usize, mut lead: Option<String>) {
        for e in entries {
            if let Some(c) = &e.before {
                assert!(lead.is_none(), "no comment before the first key of an item");
                self.head(col, c);
            }
            let prefix = lead.take().unwrap_or_else(|| " ".repeat(col));
            self.out.push_str(&prefix);
            self.out.push_str(&e.key);
            self.out.push(':');
            self.value_after_key(&e.value, col, e.trailing.as_ref());
        }
    }

    fn value_after_key(&mut self, value: &Node, col: usize, trailing: Option<&String>) {
        match value {
            Node::Block(lines) => {
                self.out.push_str(" |");
                self.trailing(trailing);
                self.out.push('\n');
                for l in lines {
                    self.line(col + self.layout.step, l);
                }
            }
            Node::Raw(s) => {
                if !s.is_empty() {
                    self.out.push(' ');
                    self.out.push_str(s);
                }
                self.trailing(trailing);
                self.out.push('\n');
            }
            Node::Map { entries, flow } if *flow || entries.is_empty() => {
                self.out.push(' ');
                self.out.push_str(&flow_text(value));
                self.trailing(trailing);
                self.out.push('\n');
            }
            Node::Seq { items, flow, .. } if *flow || items.is_empty() => {
                self.out.push(' ');
                self.out.push_str(&flow_text(value));
                self.trailing(trailing);
                self.out.push('\n');
            }
            Node::Map { entries, .. } => {
                self.trailing(trailing);
                self.out.push('\n');
                self.entries(entries, col + self.layout.step, None);
            }
            Node::Seq {
                items, end_comment, ..
            } => {
                self.trailing(trailing);
                self.out.push('\n');
                let dash = col
                    + if self.layout.wide {
                        self.layout.step
                    } else {
                        0
                    };
                self.items(items, dash, end_comment.as_ref());
            }
        }
    }

    fn items(&mut self, items: &[SeqItem], col: usize, end_comment: Option<&String>) {
        for it in items {
            if let Some(c) = &it.before {
                self.head(col, c);
            }
            let offset = self.layout.offset;
            let dash = format!("{}-{}", " ".repeat(col), " ".repeat(offset - 1));
            match &it.value {
                Node::Map { entries, flow } if !*flow && !entries.is_empty() => {
                    match &it.dash_comment {
                        Some(c) => {
                            self.line(col, &format!("- # {c}"));
                            self.entries(entries, col + offset, None);
                        }
                        None => self.entries(entries, col + offset, Some(dash)),
                    }
                }
                Node::Seq { flow: false, .. } => panic!("no block list directly in a list"),
                Node::Raw(s) => self.line(col, &format!("- {s}")),
                other => self.line(col, &format!("- {}", flow_text(other))),
            }
        }
        if let Some(c) = end_comment {
            self.head(col, c);
        }
    }
}

/// A node as flow text (`{a: b}`, `[a, b]`).
fn flow_text(node: &Node) -> String {
    match node {
        Node::Raw(s) => {
            assert!(!s.is_empty(), "no empty null in flow");
            s.clone()
        }
        Node::Block(lines) => {
            let mut text = lines.join("\n");
            text.push('\n');
            serde_json::to_string(&text).unwrap()
        }
        Node::Map { entries, .. } => {
            let parts: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", e.key, flow_text(&e.value)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Node::Seq { items, .. } => {
            let parts: Vec<String> = items.iter().map(|i| flow_text(&i.value)).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

/// A block mapping written with its keys at `col`.
pub fn write_map(entries: &[Entry], col: usize, layout: Layout) -> String {
    let mut w = Writer {
        out: String::new(),
        layout,
    };
    w.entries(entries, col, None);
    w.out
}

// ---------------------------------------------------------------------------
// Scalars.

/// How a string is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    Plain,
    Single,
    Double,
}

fn arb_quote() -> impl Strategy<Value = Quote> {
    prop_oneof![3 => Just(Quote::Plain), 1 => Just(Quote::Single), 1 => Just(Quote::Double)]
}

/// A string that no YAML reader takes for another type when plain.
fn quoted(s: &str, q: Quote) -> String {
    match q {
        Quote::Plain => s.to_string(),
        Quote::Single => format!("'{}'", s.replace('\'', "''")),
        Quote::Double => serde_json::to_string(s).unwrap(),
    }
}

/// A string that must be quoted (`"false"`, `"8000"`): plain is taken as
/// double.
fn must_quote(s: &str, q: Quote) -> String {
    match q {
        Quote::Single => quoted(s, Quote::Single),
        _ => quoted(s, Quote::Double),
    }
}

// ---------------------------------------------------------------------------
// The workload model.

/// The state of a list field (`env`, `volumeMounts`, `volumes`,
/// `initContainers`).
#[derive(Clone, Debug)]
pub enum ListState<T> {
    Absent,
    /// `key:`, `key: ~` or `key: null`.
    Null(&'static str),
    /// `key: []`.
    Empty,
    Items(Vec<T>),
}

fn arb_list_state<T: std::fmt::Debug + Clone + 'static>(
    items: impl Strategy<Value = Vec<T>> + 'static,
) -> impl Strategy<Value = ListState<T>> {
    prop_oneof![
        3 => Just(ListState::Absent),
        1 => select(vec!["", "~", "null"]).prop_map(ListState::Null),
        1 => Just(ListState::Empty),
        4 => items.prop_map(ListState::Items),
    ]
}

impl<T> ListState<T> {
    /// The list's entry, `None` when absent; `render` gives each item.
    fn entry(
        &self,
        key: &str,
        render: impl Fn(&T) -> SeqItem,
        flow: bool,
        comments: &Comments,
        spot: u32,
    ) -> Option<Entry> {
        let value = match self {
            ListState::Absent => return None,
            ListState::Null(s) => raw(*s),
            ListState::Empty => flow_seq(Vec::new()),
            ListState::Items(items) => {
                let items: Vec<SeqItem> = items.iter().map(render).collect();
                let mut node = Node::Seq {
                    items,
                    flow,
                    end_comment: None,
                };
                if let Node::Seq {
                    items, end_comment, ..
                } = &mut node
                    && !flow
                {
                    if comments.has(spot) && items[0].before.is_none() {
                        items[0].before = Some(if comments.has(spot::STYLE_FIRST) {
                            format!("first of {key}\n  (two lines)")
                        } else {
                            format!("first of {key}")
                        });
                    }
                    if comments.has(spot + 1) {
                        *end_comment = Some(
                            match (
                                comments.has(spot::STYLE_COL0),
                                comments.has(spot::STYLE_BLANK),
                            ) {
                                (true, _) => format!("^end of {key}"),
                                (false, true) => format!("\nend of {key}"),
                                (false, false) => format!("end of {key}"),
                            },
                        );
                    } else if comments.has(spot::STYLE_BLANK) && comments.has(spot + 1 + 12) {
                        // A blank line after the list.
                        *end_comment = Some(String::new());
                    }
                }
                node
            }
        };
        let mut e = entry(key, value);
        if comments.has(spot + 2) && !matches!(self, ListState::Null("")) {
            e.trailing = Some(format!("{key} here"));
        }
        Some(e)
    }
}

/// Which comment spots of an item carry a comment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Comments(pub u32);

impl Comments {
    fn has(&self, spot: u32) -> bool {
        self.0 & (1 << (spot % 32)) != 0
    }
}

/// Comment spots (bits of [`Comments`]).
mod spot {
    pub const DASH: u32 = 0;
    pub const BEFORE_SPEC: u32 = 1;
    pub const BEFORE_TEMPLATE: u32 = 2;
    pub const IMAGE: u32 = 3;
    pub const BEFORE_CONTAINERS: u32 = 4;
    pub const ENV: u32 = 5; // 5, 6, 7
    pub const MOUNTS: u32 = 8; // 8, 9, 10
    pub const VOLUMES: u32 = 11; // 11, 12, 13
    pub const INITS: u32 = 14; // 14, 15, 16
    pub const CONTAINERS: u32 = 17; // 17, 18, 19
    pub const ANNOTATIONS: u32 = 20;
    pub const ENV_VALUE: u32 = 21;
    pub const BEFORE_METADATA: u32 = 22;
    pub const LAST_ENV_VALUE: u32 = 23;
    /// Style of the comments after a list: at column 0.
    pub const STYLE_COL0: u32 = 24;
    /// ... or after a blank line.
    pub const STYLE_BLANK: u32 = 25;
    /// Comments before a list's first item take two lines.
    pub const STYLE_FIRST: u32 = 26;
}

#[derive(Clone, Debug)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: EnvValue,
    pub quote: Quote,
    /// `- {name: A, value: b}`.
    pub flow: bool,
    /// Lines before the item: comments, blank lines (see [`Writer::head`]).
    pub comment: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub enum EnvValue {
    Text(&'static str),
    /// A string YAML would read as a bool or number when plain.
    Typed(&'static str),
    /// No `value` key.
    None,
    /// `valueFrom: {secretKeyRef: ...}`.
    Secret,
    /// A literal block scalar, its lines.
    Block(&'static [&'static str]),
    /// `valueFrom: {fieldRef: {fieldPath: ...}}`.
    FieldRef(&'static str),
}

fn arb_env_var() -> impl Strategy<Value = EnvVar> {
    let value = prop_oneof![
        4 => select(vec![
            ("PYTHONPATH", EnvValue::Text("/app")),
            ("PYTHONPATH", EnvValue::Text("/app:/lib")),
            ("OTEL_RESOURCE_ATTRIBUTES", EnvValue::Text("a=b")),
            ("OTEL_SERVICE_NAME", EnvValue::Text("shop-web")),
            ("DJANGO_SETTINGS_MODULE", EnvValue::Text("shop.settings")),
            ("LOG_LEVEL", EnvValue::Text("info")),
            ("DEBUG", EnvValue::Typed("false")),
            ("PORT", EnvValue::Typed("8000")),
        ]),
        1 => select(vec![
            ("PYTHONPATH", EnvValue::None),
            ("DB_PASSWORD", EnvValue::Secret),
            ("FEATURE", EnvValue::None),
            ("LOG_CONFIG", EnvValue::Block(&["format: json", "level: info"])),
            ("OTEL_POD_IP", EnvValue::FieldRef("status.podIP")),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", EnvValue::Text("http://localhost:4318")),
            ("OTEL_PROPAGATORS", EnvValue::Text("tracecontext")),
        ]),
    ];
    (
        value,
        arb_quote(),
        prop::bool::weighted(0.15),
        prop::option::weighted(
            0.15,
            select(vec![
                "about it",
                "about it\nand more",
                "",
                "\nabout it",
                "^at column 0",
                "about it\n",
            ]),
        ),
    )
        .prop_map(|((name, value), quote, flow, comment)| EnvVar {
            name,
            value,
            quote,
            flow,
            comment,
        })
}

/// 1–4 env vars with distinct names; rarely a second `PYTHONPATH` at the
/// end (the operator rewrites the first one only).
fn arb_env_list() -> impl Strategy<Value = Vec<EnvVar>> {
    (
        prop::collection::vec(arb_env_var(), 1..=4),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(mut vars, duplicate)| {
            let mut seen = Vec::new();
            vars.retain(|v| {
                let fresh = !seen.contains(&v.name);
                seen.push(v.name);
                fresh
            });
            if duplicate {
                vars.push(EnvVar {
                    name: "PYTHONPATH",
                    value: EnvValue::Text("/second"),
                    quote: Quote::Plain,
                    flow: false,
                    comment: None,
                });
            }
            vars
        })
}

impl EnvVar {
    fn node(&self, trailing: Option<String>) -> Node {
        let mut entries = vec![entry("name", raw(self.name))];
        match &self.value {
            EnvValue::Text(v) => entries.push(entry("value", raw(quoted(v, self.quote)))),
            EnvValue::Typed(v) => entries.push(entry("value", raw(must_quote(v, self.quote)))),
            EnvValue::None => {}
            EnvValue::Block(lines) => entries.push(entry("value", Node::Block(lines.to_vec()))),
            EnvValue::FieldRef(path) => entries.push(entry(
                "valueFrom",
                map(vec![entry(
                    "fieldRef",
                    map(vec![entry("fieldPath", raw(*path))]),
                )]),
            )),
            EnvValue::Secret => {
                let secret = map(vec![
                    entry("name", raw("db")),
                    entry("key", raw("password")),
                ]);
                let from = map(vec![entry("secretKeyRef", secret)]);
                entries.push(entry("valueFrom", from));
            }
        }
        if !self.flow
            && let Some(last) = entries.last_mut()
            && matches!(last.value, Node::Raw(_))
        {
            last.trailing = trailing;
        }
        if self.flow {
            flow_map(entries)
        } else {
            map(entries)
        }
    }

    fn item(&self, trailing: Option<String>, in_flow: bool) -> SeqItem {
        SeqItem {
            value: self.node(trailing),
            before: self.comment.filter(|_| !in_flow).map(str::to_string),
            dash_comment: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Mount {
    pub name: &'static str,
    pub path: &'static str,
    pub read_only: bool,
}

fn arb_mounts() -> impl Strategy<Value = Vec<Mount>> {
    (
        subsequence(vec![("data", "/data"), ("config", "/etc/app")], 1..=2),
        any::<bool>(),
    )
        .prop_map(|(mounts, read_only)| {
            mounts
                .into_iter()
                .map(|(name, path)| Mount {
                    name,
                    path,
                    read_only: read_only && name == "config",
                })
                .collect()
        })
}

impl Mount {
    fn node(&self) -> Node {
        let mut e = vec![
            entry("name", raw(self.name)),
            entry("mountPath", raw(self.path)),
        ];
        if self.read_only {
            e.push(entry("readOnly", raw("true")));
        }
        map(e)
    }
}

#[derive(Clone, Debug)]
pub struct Volume {
    pub name: &'static str,
}

fn arb_volumes() -> impl Strategy<Value = Vec<Volume>> {
    subsequence(vec!["data", "config"], 1..=2)
        .prop_map(|names| names.into_iter().map(|name| Volume { name }).collect())
}

impl Volume {
    fn node(&self, flow_source: bool) -> Node {
        let source = match self.name {
            "data" => entry("emptyDir", flow_map(Vec::new())),
            _ => entry(
                "configMap",
                if flow_source {
                    flow_map(vec![entry("name", raw("app-config"))])
                } else {
                    map(vec![entry("name", raw("app-config"))])
                },
            ),
        };
        map(vec![entry("name", raw(self.name)), source])
    }
}

#[derive(Clone, Debug)]
pub struct Container {
    pub name: &'static str,
    pub image: &'static str,
    pub image_quote: Quote,
    pub args: Option<bool>,
    pub env: ListState<EnvVar>,
    /// `env: [...]` as one flow list.
    pub env_flow: bool,
    pub mounts: ListState<Mount>,
    pub security_context: Option<u8>,
    pub ports: bool,
    /// Where `env` goes among the other keys.
    pub env_first: bool,
}

pub const IMAGES: [&str; 6] = [
    "python:3.12-alpine",
    "python:3.11-slim",
    "registry:5000/app:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "ghcr.io/acme/shop-web:2.0",
    "python:3.9-alpine3.18",
    "python:3.12",
];

/// Names of regular containers.
pub const CONTAINER_NAMES: [&str; 4] = ["app", "web", "worker", "sidecar"];
/// Names of (pre-existing) init containers.
pub const INIT_CONTAINER_NAMES: [&str; 2] = ["migrate", "setup"];

fn arb_container(name: &'static str) -> impl Strategy<Value = Container> {
    (
        select(IMAGES.to_vec()),
        arb_quote(),
        prop::option::weighted(0.3, any::<bool>()),
        arb_list_state(arb_env_list()),
        prop::bool::weighted(0.05),
        arb_list_state(arb_mounts()),
        prop::option::weighted(0.25, 0u8..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            move |(image, image_quote, args, env, env_flow, mounts, sc, ports, env_first)| {
                Container {
                    name,
                    image,
                    image_quote,
                    args,
                    env,
                    env_flow,
                    mounts,
                    security_context: sc,
                    ports,
                    env_first,
                }
            },
        )
}

fn arb_containers(names: &'static [&'static str], min: usize) -> BoxedStrategy<Vec<Container>> {
    subsequence(names.to_vec(), min..=names.len().min(3))
        .prop_shuffle()
        .prop_flat_map(|names| names.into_iter().map(arb_container).collect::<Vec<_>>())
        .boxed()
}

impl Container {
    fn node(&self, comments: &Comments, first: bool) -> Node {
        let c = |spot: u32| Comments(if first { comments.0 } else { 0 }).has(spot);
        let mut entries = vec![entry("name", raw(self.name))];
        let mut image = entry("image", raw(quoted(self.image, self.image_quote)));
        if c(spot::IMAGE) {
            image.trailing = Some("the app image".into());
        }
        entries.push(image);
        if let Some(flow) = self.args {
            let args = ["gunicorn", "shop.wsgi", "--bind", "0.0.0.0:8000"]
                .iter()
                .map(|a| raw(*a))
                .collect();
            entries.push(entry("args", if flow { flow_seq(args) } else { seq(args) }));
        }
        let comment_bits = Comments(if first { comments.0 } else { 0 });
        let n = match &self.env {
            ListState::Items(v) => v.len(),
            _ => 0,
        };
        let mut env = self.env.entry(
            "env",
            |v| {
                let idx = match &self.env {
                    ListState::Items(vs) => vs.iter().position(|x| std::ptr::eq(x, v)).unwrap(),
                    _ => 0,
                };
                let trailing = if (idx == 0 && c(spot::ENV_VALUE))
                    || (idx + 1 == n && c(spot::LAST_ENV_VALUE))
                {
                    Some(format!("{} value", v.name.to_lowercase()))
                } else {
                    None
                };
                v.item(if self.env_flow { None } else { trailing }, self.env_flow)
            },
            self.env_flow,
            &comment_bits,
            spot::ENV,
        );
        let mounts = self.mounts.entry(
            "volumeMounts",
            |m| item(m.node()),
            false,
            &comment_bits,
            spot::MOUNTS,
        );
        if self.env_first {
            entries.extend(env.take());
        }
        if self.ports {
            entries.push(entry(
                "ports",
                seq(vec![map(vec![entry("containerPort", raw("8000"))])]),
            ));
        }
        entries.extend(mounts);
        entries.extend(env);
        if let Some(sc) = self.security_context {
            let sc = match sc {
                0 => map(vec![entry("runAsNonRoot", raw("true"))]),
                1 => map(vec![
                    entry("allowPrivilegeEscalation", raw("false")),
                    entry("readOnlyRootFilesystem", raw("true")),
                ]),
                _ => flow_map(vec![entry("runAsUser", raw("1000"))]),
            };
            entries.push(entry("securityContext", sc));
        }
        map(entries)
    }
}

/// An init container that is not ours.
#[derive(Clone, Debug)]
pub struct InitContainer {
    pub name: &'static str,
    pub env: ListState<EnvVar>,
}

fn arb_init_containers() -> impl Strategy<Value = Vec<InitContainer>> {
    subsequence(INIT_CONTAINER_NAMES.to_vec(), 1..=2).prop_flat_map(|names| {
        names
            .into_iter()
            .map(|name| {
                arb_list_state(arb_env_list()).prop_map(move |env| InitContainer { name, env })
            })
            .collect::<Vec<_>>()
    })
}

impl InitContainer {
    fn node(&self) -> Node {
        let mut entries = vec![
            entry("name", raw(self.name)),
            entry("image", raw("python:3.11-slim")),
            entry(
                "command",
                flow_seq(vec![raw("python"), raw("manage.py"), raw(self.name)]),
            ),
        ];
        entries.extend(
            self.env
                .entry("env", |v| v.item(None, false), false, &Comments(0), 0),
        );
        map(entries)
    }
}

/// Who already instrumented a template (property (e)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreign {
    /// An operator-style `opentelemetry-auto-instrumentation-python` init
    /// container (with the operator's volume and env).
    PythonInitContainer,
    /// The operator's Java init container.
    JavaInitContainer,
    /// `OTEL_RESOURCE_ATTRIBUTES_NODE_NAME` in a container's env.
    NodeNameEnv,
}

#[derive(Clone, Debug)]
pub enum MetadataState {
    Absent,
    /// `metadata: {}`.
    EmptyFlow,
    /// `metadata:` (null).
    Null,
}

#[derive(Clone, Debug)]
pub enum AnnotationsState {
    Absent,
    Null,
    EmptyFlow,
    Items { flow: bool },
}

#[derive(Clone, Debug)]
pub struct TemplateMeta {
    /// Used when there are neither labels nor annotations.
    pub empty: MetadataState,
    pub labels: Option<(bool, bool)>,
    pub annotations: AnnotationsState,
    /// `"true"`, `'true'`, `"false"`.
    pub inject: Option<u8>,
    /// Bits over the containers, then the init containers.
    pub container_names: Option<u8>,
    pub platform_musl: bool,
    pub other_annotation: bool,
}

fn arb_template_meta() -> impl Strategy<Value = TemplateMeta> {
    (
        prop_oneof![
            4 => Just(MetadataState::Absent),
            1 => Just(MetadataState::EmptyFlow),
            1 => Just(MetadataState::Null),
        ],
        prop::option::weighted(0.7, (any::<bool>(), prop::bool::weighted(0.3))),
        prop_oneof![
            2 => Just(AnnotationsState::Absent),
            1 => Just(AnnotationsState::Null),
            1 => Just(AnnotationsState::EmptyFlow),
            6 => prop::bool::weighted(0.2).prop_map(|flow| AnnotationsState::Items { flow }),
        ],
        prop::option::weighted(
            0.7,
            prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        ),
        prop::option::weighted(0.25, 1u8..=255),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(empty, labels, annotations, inject, container_names, platform_musl, other)| {
                TemplateMeta {
                    empty,
                    labels,
                    annotations,
                    inject,
                    container_names,
                    platform_musl,
                    other_annotation: other,
                }
            },
        )
}

#[derive(Clone, Debug)]
pub struct PodTemplate {
    pub meta: TemplateMeta,
    pub containers: Vec<Container>,
    pub init_containers: ListState<InitContainer>,
    pub volumes: ListState<Volume>,
    pub volume_flow_source: bool,
    pub security_context: Option<u8>,
    /// Order of `initContainers`, `containers`, `volumes` in the spec.
    pub order: u8,
    pub node_name: bool,
    pub foreign: Option<Foreign>,
    /// `spec:` before `metadata:`.
    pub spec_first: bool,
}

fn arb_pod_template() -> impl Strategy<Value = PodTemplate> {
    (
        arb_template_meta(),
        arb_containers(&CONTAINER_NAMES, 1),
        arb_list_state(arb_init_containers()),
        arb_list_state(arb_volumes()),
        any::<bool>(),
        prop::option::weighted(0.25, 0u8..3),
        0u8..6,
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(
                meta,
                containers,
                init_containers,
                volumes,
                vfs,
                sc,
                order,
                node_name,
                spec_first,
            )| PodTemplate {
                spec_first,
                meta,
                containers,
                init_containers,
                volumes,
                volume_flow_source: vfs,
                security_context: sc,
                order,
                node_name,
                foreign: None,
            },
        )
}

impl PodTemplate {
    /// The annotation entries of the template.
    fn annotation_entries(&self) -> Vec<Entry> {
        let m = &self.meta;
        let mut out = Vec::new();
        if m.other_annotation {
            out.push(entry("prometheus.io/scrape", raw("\"true\"")));
        }
        if let Some(i) = m.inject {
            let v = match i {
                0 => "\"true\"",
                1 => "'true'",
                _ => "\"false\"",
            };
            out.push(entry(
                "instrumentation.opentelemetry.io/inject-python",
                raw(v),
            ));
        }
        if let Some(bits) = m.container_names {
            let all: Vec<&str> = self
                .containers
                .iter()
                .map(|c| c.name)
                .chain(match &self.init_containers {
                    ListState::Items(v) => v.iter().map(|c| c.name).collect(),
                    _ => Vec::new(),
                })
                .collect();
            let mut names: Vec<&str> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect();
            if names.is_empty() {
                names.push(all[0]);
            }
            out.push(entry(
                "instrumentation.opentelemetry.io/container-names",
                raw(quoted(&names.join(","), Quote::Double)),
            ));
        }
        if m.platform_musl {
            out.push(entry(
                "instrumentation.opentelemetry.io/otel-python-platform",
                raw("musl"),
            ));
        }
        out
    }

    /// `metadata` entries of the template (for a Pod: added to the Pod's
    /// own metadata).
    fn metadata_entries(&self, app: &str, comments: &Comments) -> Vec<Entry> {
        let m = &self.meta;
        let mut out = Vec::new();
        if let Some((flow, k8s_labels)) = m.labels {
            let mut labels = vec![entry("app", raw(app))];
            if k8s_labels {
                labels.push(entry("app.kubernetes.io/name", raw(format!("{app}-svc"))));
                labels.push(entry("app.kubernetes.io/version", raw("\"1.0\"")));
            }
            out.push(entry(
                "labels",
                if flow { flow_map(labels) } else { map(labels) },
            ));
        }
        let annotations = self.annotation_entries();
        let value = match (&m.annotations, annotations.is_empty()) {
            (AnnotationsState::Absent, true) => None,
            (AnnotationsState::Null, true) => Some(raw("")),
            (AnnotationsState::EmptyFlow, true) => Some(flow_map(Vec::new())),
            (AnnotationsState::Items { flow: true }, false) => Some(flow_map(annotations)),
            (_, false) => Some(map(annotations)),
            (AnnotationsState::Items { .. }, true) => None,
        };
        if let Some(v) = value {
            let mut e = entry("annotations", v);
            if comments.has(spot::ANNOTATIONS) {
                e.before = Some("pod annotations".into());
            }
            out.push(e);
        }
        out
    }

    fn spec_entries(&self, comments: &Comments, job: bool) -> Vec<Entry> {
        let mut out = Vec::new();
        if let Some(sc) = self.security_context {
            let sc = match sc {
                0 => map(vec![entry("runAsNonRoot", raw("true"))]),
                1 => map(vec![
                    entry("runAsNonRoot", raw("true")),
                    entry("runAsUser", raw("1000")),
                ]),
                _ => flow_map(vec![entry("fsGroup", raw("2000"))]),
            };
            out.push(entry("securityContext", sc));
        }
        let mut containers: Vec<Node> = self
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| c.node(comments, i == 0))
            .collect();
        if self.foreign == Some(Foreign::NodeNameEnv)
            && let Node::Map { entries, .. } = &mut containers[0]
        {
            let var = map(vec![
                entry("name", raw("OTEL_RESOURCE_ATTRIBUTES_NODE_NAME")),
                entry(
                    "valueFrom",
                    map(vec![entry(
                        "fieldRef",
                        map(vec![entry("fieldPath", raw("spec.nodeName"))]),
                    )]),
                ),
            ]);
            match entries.iter_mut().find(|e| e.key == "env") {
                Some(Entry {
                    value: Node::Seq { items, .. },
                    ..
                }) => items.push(item(var)),
                Some(e) => e.value = seq(vec![var]),
                None => entries.push(entry("env", seq(vec![var]))),
            }
        }
        let mut containers_entry = ListState::Items(containers).entry(
            "containers",
            |n| item(n.clone()),
            false,
            comments,
            spot::CONTAINERS,
        );
        if let Some(e) = &mut containers_entry
            && comments.has(spot::BEFORE_CONTAINERS)
        {
            e.before = Some("the containers".into());
        }
        let mut init_state = self.init_containers.clone();
        let foreign_init = match self.foreign {
            Some(Foreign::PythonInitContainer) => Some(operator_init_container("python")),
            Some(Foreign::JavaInitContainer) => Some(operator_init_container("java")),
            _ => None,
        };
        let inits: Option<Entry> = match (&mut init_state, foreign_init) {
            (_, None) => init_state.entry(
                "initContainers",
                |c| item(c.node()),
                false,
                comments,
                spot::INITS,
            ),
            (ListState::Items(items), Some(ic)) => {
                let mut nodes: Vec<Node> = items.iter().map(InitContainer::node).collect();
                nodes.push(ic);
                Some(entry("initContainers", seq(nodes)))
            }
            (_, Some(ic)) => Some(entry("initContainers", seq(vec![ic]))),
        };
        let mut volume_state = self.volumes.clone();
        let volumes = if self.foreign == Some(Foreign::PythonInitContainer) {
            let mut nodes: Vec<Node> = match &mut volume_state {
                ListState::Items(v) => v.iter().map(|v| v.node(self.volume_flow_source)).collect(),
                _ => Vec::new(),
            };
            nodes.push(map(vec![
                entry("name", raw("opentelemetry-auto-instrumentation-python")),
                entry("emptyDir", map(vec![entry("sizeLimit", raw("200Mi"))])),
            ]));
            Some(entry("volumes", seq(nodes)))
        } else {
            volume_state.entry(
                "volumes",
                |v| item(v.node(self.volume_flow_source)),
                false,
                comments,
                spot::VOLUMES,
            )
        };
        let mut parts: Vec<Option<Entry>> = vec![containers_entry, inits, volumes];
        // Six orders of the three lists.
        let order: [usize; 3] = match self.order % 6 {
            0 => [0, 1, 2],
            1 => [1, 0, 2],
            2 => [0, 2, 1],
            3 => [2, 0, 1],
            4 => [1, 2, 0],
            _ => [2, 1, 0],
        };
        for i in order {
            out.extend(parts[i].take());
        }
        if job {
            out.push(entry("restartPolicy", raw("Never")));
        }
        if self.node_name {
            out.push(entry("nodeName", raw("node-1")));
        }
        out
    }

    /// `{metadata, spec}` of a template.
    fn template_entries(&self, app: &str, comments: &Comments, job: bool) -> Vec<Entry> {
        let mut out = Vec::new();
        let meta = self.metadata_entries(app, comments);
        let meta_entry = if meta.is_empty() {
            match self.meta.empty {
                MetadataState::Absent => None,
                MetadataState::EmptyFlow => Some(entry("metadata", flow_map(Vec::new()))),
                MetadataState::Null => Some(entry("metadata", raw(""))),
            }
        } else {
            Some(entry("metadata", map(meta)))
        };
        if let Some(mut m) = meta_entry {
            if comments.has(spot::BEFORE_METADATA) {
                m.before = Some("template metadata".into());
            }
            out.push(m);
        }
        let mut spec = entry("spec", map(self.spec_entries(comments, job)));
        if comments.has(spot::BEFORE_SPEC) {
            spec.before = Some("pod spec".into());
        }
        if self.spec_first {
            out.insert(0, spec);
        } else {
            out.push(spec);
        }
        out
    }
}

/// An init container as the operator injects it (with no record of this
/// function).
fn operator_init_container(language: &str) -> Node {
    map(vec![
        entry(
            "name",
            raw(format!("opentelemetry-auto-instrumentation-{language}")),
        ),
        entry(
            "image",
            raw(format!(
                "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-{language}:1.0"
            )),
        ),
        entry(
            "command",
            seq(vec![
                raw("cp"),
                raw("-r"),
                raw("/autoinstrumentation/."),
                raw(format!("/otel-auto-instrumentation-{language}")),
            ]),
        ),
    ])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    Pod,
    Rollout,
}

pub const KINDS: [Kind; 8] = [
    Kind::Deployment,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::ReplicaSet,
    Kind::Job,
    Kind::CronJob,
    Kind::Pod,
    Kind::Rollout,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::DaemonSet => "DaemonSet",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
            Kind::Pod => "Pod",
            Kind::Rollout => "Rollout",
        }
    }

    fn api_version(self) -> &'static str {
        match self {
            Kind::Job | Kind::CronJob => "batch/v1",
            Kind::Pod => "v1",
            Kind::Rollout => "argoproj.io/v1alpha1",
            _ => "apps/v1",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub kind: Kind,
    /// Base of the name (the list index is appended).
    pub base: &'static str,
    pub namespace: Option<&'static str>,
    pub tier: Option<&'static str>,
    pub labels_flow: bool,
    pub template: PodTemplate,
    pub layout: Layout,
    pub comments: Comments,
    pub kpt_annotations: bool,
}

fn arb_layout() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![3 => Just(2usize), 1 => Just(4usize)],
        any::<bool>(),
        prop_oneof![5 => Just(2usize), 1 => Just(4usize)],
    )
        .prop_map(|(step, wide, offset)| Layout { step, wide, offset })
}

fn arb_comments() -> impl Strategy<Value = Comments> {
    prop_oneof![
        2 => Just(Comments(0)),
        3 => any::<u32>().prop_map(|bits| Comments(bits & bits.rotate_left(7))),
    ]
}

fn arb_workload() -> impl Strategy<Value = Workload> {
    (
        select(KINDS.to_vec()),
        select(vec!["web", "api", "worker", "report"]),
        prop::option::weighted(0.7, select(vec!["shop", "jobs"])),
        prop::option::of(select(vec!["web", "worker"])),
        any::<bool>(),
        arb_pod_template(),
        arb_layout(),
        arb_comments(),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(kind, base, namespace, tier, labels_flow, template, layout, comments, kpt)| {
                Workload {
                    kind,
                    base,
                    // A bare Pod always has a namespace (operator parity).
                    namespace: if kind == Kind::Pod {
                        Some(namespace.unwrap_or("shop"))
                    } else {
                        namespace
                    },
                    tier,
                    labels_flow,
                    template,
                    layout,
                    comments,
                    kpt_annotations: kpt,
                }
            },
        )
}

/// A workload pre-instrumented by something else (property (e)).
pub fn arb_foreign_workload() -> impl Strategy<Value = Workload> {
    (
        arb_workload(),
        select(vec![
            Foreign::PythonInitContainer,
            Foreign::PythonInitContainer,
            Foreign::JavaInitContainer,
            Foreign::NodeNameEnv,
        ]),
    )
        .prop_map(|(mut w, foreign)| {
            w.template.foreign = Some(foreign);
            w.template.meta.inject = Some(0);
            w
        })
}

impl Workload {
    pub fn name(&self, index: usize) -> String {
        format!("{}-{index}", self.base)
    }

    fn object_metadata(&self, index: usize) -> Vec<Entry> {
        let mut meta = vec![entry("name", raw(self.name(index)))];
        if let Some(ns) = self.namespace {
            meta.push(entry("namespace", raw(ns)));
        }
        let mut labels = vec![entry("app", raw(self.base))];
        if let Some(t) = self.tier {
            labels.push(entry("tier", raw(t)));
        }
        meta.push(entry(
            "labels",
            if self.labels_flow {
                flow_map(labels)
            } else {
                map(labels)
            },
        ));
        if self.kpt_annotations {
            let file = format!("{}.yaml", self.name(index));
            meta.push(entry(
                "annotations",
                map(vec![
                    entry(
                        "config.kubernetes.io/path",
                        raw(quoted(&file, Quote::Single)),
                    ),
                    entry("config.kubernetes.io/index", raw("'0'")),
                    entry(
                        "internal.config.kubernetes.io/path",
                        raw(quoted(&file, Quote::Single)),
                    ),
                    entry("internal.config.kubernetes.io/index", raw("'0'")),
                ]),
            ));
        }
        meta
    }

    /// The object as a list item.
    pub fn node(&self, index: usize) -> SeqItem {
        let c = &self.comments;
        let mut entries = vec![
            entry("apiVersion", raw(self.kind.api_version())),
            entry("kind", raw(self.kind.name())),
        ];
        let selector = || {
            entry(
                "selector",
                map(vec![entry(
                    "matchLabels",
                    flow_map(vec![entry("app", raw(self.base))]),
                )]),
            )
        };
        let mut template = entry(
            "template",
            map(self.template.template_entries(
                self.base,
                c,
                matches!(self.kind, Kind::Job | Kind::CronJob),
            )),
        );
        if c.has(spot::BEFORE_TEMPLATE) {
            template.before = Some("the pod template".into());
        }
        match self.kind {
            Kind::Pod => {
                let mut meta = self.object_metadata(index);
                // The Pod is its own template: its labels and annotations.
                let t = self.template.metadata_entries(self.base, c);
                for e in t {
                    match meta.iter_mut().find(|m| m.key == e.key) {
                        None => meta.push(e),
                        Some(existing) => {
                            // Labels: the Pod's own. Annotations: the
                            // template's join the kpt ones (block).
                            if let (
                                "annotations",
                                Node::Map { entries, .. },
                                Node::Map { entries: more, .. },
                            ) = (e.key.as_str(), &mut existing.value, e.value)
                            {
                                entries.extend(more);
                            }
                        }
                    }
                }
                entries.push(entry("metadata", map(meta)));
                let mut spec = entry("spec", map(self.template.spec_entries(c, false)));
                if c.has(spot::BEFORE_SPEC) {
                    spec.before = Some("pod spec".into());
                }
                entries.push(spec);
            }
            Kind::CronJob => {
                entries.push(entry("metadata", map(self.object_metadata(index))));
                let job_spec = map(vec![entry(
                    "spec",
                    map(vec![entry("backoffLimit", raw("2")), template]),
                )]);
                entries.push(entry(
                    "spec",
                    map(vec![
                        entry("schedule", raw("\"*/5 * * * *\"")),
                        entry("jobTemplate", job_spec),
                    ]),
                ));
            }
            Kind::Job => {
                entries.push(entry("metadata", map(self.object_metadata(index))));
                entries.push(entry(
                    "spec",
                    map(vec![entry("backoffLimit", raw("2")), template]),
                ));
            }
            Kind::Rollout => {
                entries.push(entry("metadata", map(self.object_metadata(index))));
                let strategy = map(vec![entry(
                    "canary",
                    map(vec![entry(
                        "steps",
                        seq(vec![
                            flow_map(vec![entry("setWeight", raw("20"))]),
                            flow_map(vec![entry("pause", flow_map(Vec::new()))]),
                        ]),
                    )]),
                )]);
                entries.push(entry(
                    "spec",
                    map(vec![
                        entry("replicas", raw("3")),
                        selector(),
                        template,
                        entry("strategy", strategy),
                    ]),
                ));
            }
            Kind::StatefulSet => {
                entries.push(entry("metadata", map(self.object_metadata(index))));
                entries.push(entry(
                    "spec",
                    map(vec![
                        entry("serviceName", raw(self.base)),
                        selector(),
                        template,
                    ]),
                ));
            }
            _ => {
                entries.push(entry("metadata", map(self.object_metadata(index))));
                entries.push(entry(
                    "spec",
                    map(vec![entry("replicas", raw("2")), selector(), template]),
                ));
            }
        }
        SeqItem {
            value: map(entries),
            before: None,
            dash_comment: c
                .has(spot::DASH)
                .then(|| format!("{} {}", self.kind.name(), index)),
        }
    }
}

/// An object without a pod template.
#[derive(Clone, Debug)]
pub enum Other {
    Service {
        layout: Layout,
    },
    ConfigMap {
        layout: Layout,
    },
    /// A Namespace whose annotations the operator merges into its pods'.
    Namespace {
        layout: Layout,
        name: &'static str,
        inject: bool,
        platform_musl: bool,
    },
}

fn arb_other() -> impl Strategy<Value = Other> {
    prop_oneof![
        2 => arb_layout().prop_map(|layout| Other::Service { layout }),
        2 => arb_layout().prop_map(|layout| Other::ConfigMap { layout }),
        1 => (
            arb_layout(),
            select(vec!["shop", "jobs"]),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.3),
        )
            .prop_map(|(layout, name, inject, platform_musl)| Other::Namespace {
                layout,
                name,
                inject,
                platform_musl,
            }),
    ]
}

impl Other {
    fn layout(&self) -> Layout {
        match self {
            Other::Service { layout }
            | Other::ConfigMap { layout }
            | Other::Namespace { layout, .. } => *layout,
        }
    }

    fn namespace(&self) -> Option<&'static str> {
        match self {
            Other::Namespace { name, .. } => Some(name),
            _ => None,
        }
    }

    fn node(&self, index: usize) -> SeqItem {
        let entries = match self {
            Other::Namespace {
                name,
                inject,
                platform_musl,
                ..
            } => {
                let mut annotations = Vec::new();
                if *inject {
                    annotations.push(entry(
                        "instrumentation.opentelemetry.io/inject-python",
                        raw("\"true\""),
                    ));
                }
                if *platform_musl {
                    annotations.push(entry(
                        "instrumentation.opentelemetry.io/otel-python-platform",
                        raw("musl"),
                    ));
                }
                let mut meta = vec![entry("name", raw(*name))];
                if !annotations.is_empty() {
                    meta.push(entry("annotations", map(annotations)));
                }
                vec![
                    entry("apiVersion", raw("v1")),
                    entry("kind", raw("Namespace")),
                    entry("metadata", map(meta)),
                ]
            }
            Other::Service { .. } => vec![
                entry("apiVersion", raw("v1")),
                entry("kind", raw("Service")),
                entry(
                    "metadata",
                    map(vec![entry("name", raw(format!("svc-{index}")))]),
                ),
                entry(
                    "spec",
                    map(vec![
                        entry("selector", flow_map(vec![entry("app", raw("web"))])),
                        entry(
                            "ports",
                            seq(vec![map(vec![
                                entry("port", raw("80")),
                                entry("targetPort", raw("8000")),
                            ])]),
                        ),
                    ]),
                ),
            ],
            Other::ConfigMap { .. } => vec![
                entry("apiVersion", raw("v1")),
                entry("kind", raw("ConfigMap")),
                entry(
                    "metadata",
                    map(vec![entry("name", raw(format!("cfg-{index}")))]),
                ),
                Entry {
                    before: Some("settings".into()),
                    ..entry(
                        "data",
                        map(vec![
                            entry("LOG_LEVEL", raw("debug")),
                            entry("ENABLED", raw("\"true\"")),
                        ]),
                    )
                },
            ],
        };
        item(map(entries))
    }
}

#[derive(Clone, Debug)]
pub enum Object {
    Workload(Workload),
    Other(Other),
}

/// The items of a ResourceList.
#[derive(Clone)]
pub struct Input {
    pub objects: Vec<Object>,
    /// `items:\n  - ...` rather than `items:\n- ...`.
    pub wide_items: bool,
    /// CRLF line breaks (in the items and the functionConfig).
    pub crlf: bool,
    /// 0: nothing before `apiVersion`; 1: a comment line; 2: `---`.
    pub header: u8,
}

pub fn arb_input() -> impl Strategy<Value = Input> {
    arb_input_with(prop::collection::vec(arb_workload(), 1..=4))
}

/// Inputs whose workloads come from `workloads`, with 0–2 other objects
/// spread among them.
pub fn arb_input_with(
    workloads: impl Strategy<Value = Vec<Workload>>,
) -> impl Strategy<Value = Input> {
    (
        workloads,
        prop::collection::vec((arb_other(), any::<prop::sample::Index>()), 0..=2),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.1),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(workloads, others, wide_items, crlf, header)| {
            let mut objects: Vec<Object> = workloads.into_iter().map(Object::Workload).collect();
            let mut namespaces = Vec::new();
            for (other, at) in others {
                if let Some(ns) = other.namespace() {
                    if namespaces.contains(&ns) {
                        continue;
                    }
                    namespaces.push(ns);
                }
                let i = at.index(objects.len() + 1);
                objects.insert(i, Object::Other(other));
            }
            Input {
                objects,
                wide_items,
                crlf,
                header,
            }
        })
}

/// An edit a user makes to the manifests between two runs, as a text
/// substitution that touches only what the user wrote (never what the
/// function added), so it applies alike to x and to g(x).
#[derive(Clone, Copy, Debug)]
pub enum UserEdit {
    /// A new image for the app containers (the platform may change with it:
    /// Alpine to Debian and back).
    ImageBump,
    /// The pod templates opt out: `inject-python: "false"`.
    OptOut,
    /// `replicas: 2` becomes `replicas: 5`.
    Scale,
}

pub fn arb_user_edit() -> impl Strategy<Value = UserEdit> {
    select(vec![UserEdit::ImageBump, UserEdit::OptOut, UserEdit::Scale])
}

impl UserEdit {
    pub fn apply(self, text: &str) -> String {
        match self {
            UserEdit::ImageBump => text
                .replace("python:3.12-alpine", "python:3.13-slim")
                .replace("python:3.11-slim", "python:3.11-alpine")
                .replace("shop-web:2.0", "shop-web:2.1"),
            UserEdit::OptOut => text
                .replace(
                    "instrumentation.opentelemetry.io/inject-python: \"true\"",
                    "instrumentation.opentelemetry.io/inject-python: \"false\"",
                )
                .replace(
                    "instrumentation.opentelemetry.io/inject-python: 'true'",
                    "instrumentation.opentelemetry.io/inject-python: 'false'",
                ),
            UserEdit::Scale => text.replace("replicas: 2", "replicas: 5"),
        }
    }
}

/// Shown as its text (proptest prints the minimal failing input).
impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\n{}", self.items_text())
    }
}

impl Input {
    /// The ResourceList up to (without) `functionConfig:`.
    pub fn items_text(&self) -> String {
        let mut out = String::from(match self.header {
            1 => "# rendered for kpt\n",
            2 => "---\n",
            _ => "",
        });
        out.push_str("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
        let col = if self.wide_items { 2 } else { 0 };
        for (index, object) in self.objects.iter().enumerate() {
            let (node, layout) = match object {
                Object::Workload(w) => (w.node(index), w.layout),
                Object::Other(o) => (o.node(index), o.layout()),
            };
            let mut w = Writer {
                out: String::new(),
                layout,
            };
            w.items(std::slice::from_ref(&node), col, None);
            out.push_str(&w.out);
        }
        self.line_breaks(out)
    }

    fn line_breaks(&self, text: String) -> String {
        if self.crlf {
            text.replace('\n', "\r\n")
        } else {
            text
        }
    }

    /// The functionConfig text `g` as this input's line breaks write it.
    pub fn config_text(&self, g: &Config) -> String {
        self.line_breaks(g.text())
    }

    /// The whole ResourceList: the items and `g`.
    pub fn with_config(&self, g: &Config) -> String {
        format!("{}{}", self.items_text(), self.config_text(g))
    }

    /// The namespaces of the workloads (`None`: none set), once each.
    pub fn namespaces(&self) -> Vec<Option<&'static str>> {
        let mut out = Vec::new();
        for o in &self.objects {
            if let Object::Workload(w) = o
                && !out.contains(&w.namespace)
            {
                out.push(w.namespace);
            }
        }
        out
    }

    /// `(kind, name)` of each workload.
    pub fn workloads(&self) -> Vec<(&'static str, String)> {
        self.objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Object::Workload(w) => Some((w.kind.name(), w.name(i))),
                Object::Other(_) => None,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// functionConfig.

/// A typed functionConfig's `spec` (without `mode`).
#[derive(Clone)]
pub struct Config {
    pub spec: Map<String, Value>,
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    p: f64,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop::option::weighted(p, s).boxed()
}

fn arb_selector() -> impl Strategy<Value = Value> {
    (
        opt(
            0.6,
            subsequence(KINDS.iter().map(|k| k.name()).collect::<Vec<_>>(), 1..=4),
        ),
        opt(
            0.2,
            subsequence(vec!["web-0", "api-1", "worker-2", "report-0", "web-3"], 1..=3),
        ),
        opt(0.2, subsequence(vec!["shop", "jobs", ""], 1..=2)),
        opt(
            0.2,
            select(vec![
                json!({"matchLabels": {"tier": "web"}}),
                json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "worker"]}]}),
                json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
                json!({"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
            ]),
        ),
    )
        .prop_map(|(kinds, names, namespaces, labels)| {
            let mut m = Map::new();
            if let Some(k) = kinds {
                m.insert("kinds".into(), json!(k));
            }
            if let Some(n) = names {
                m.insert("names".into(), json!(n));
            }
            if let Some(n) = namespaces {
                m.insert("namespaces".into(), json!(n));
            }
            if let Some(l) = labels {
                m.insert("labels".into(), l);
            }
            Value::Object(m)
        })
}

fn env_pool() -> Vec<Value> {
    vec![
        json!({"name": "OTEL_LOG_LEVEL", "value": "debug"}),
        json!({"name": "OTEL_SERVICE_NAME", "value": "from-config"}),
        json!({"name": "PYTHONPATH", "value": "/extra"}),
        json!({"name": "DJANGO_SETTINGS_MODULE", "value": "other.settings"}),
        json!({"name": "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED", "value": "true"}),
        json!({"name": "OTEL_RESOURCE_ATTRIBUTES", "value": "team=core"}),
        json!({"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/json"}),
        json!({"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}),
        json!({"name": "LOG_LEVEL", "value": "warning"}),
    ]
}

/// A valid typed config spec: a random subset of the fields.
pub fn arb_config() -> impl Strategy<Value = Config> {
    let settings = (
        opt(0.3, arb_selector()),
        opt(
            0.25,
            subsequence(vec!["app", "web", "worker", "migrate", "sidecar"], 1..=2),
        ),
        opt(0.3, select(vec!["glibc", "musl", "auto"])),
        opt(
            0.3,
            (
                opt(0.7, select(vec!["shop.settings", "config.settings.prod"])),
                opt(0.6, select(vec!["/app", "/srv/shop"])),
            ),
        ),
    );
    let inst1 = (
        opt(
            0.5,
            select(vec![
                json!({"endpoint": "http://otel-collector.observability:4318"}),
                json!({"endpoint": "http://collector:4318"}),
                json!({"endpoint": "https://otel.example.com:4318", "tls": {"secretName": "otel-tls", "configMapName": "otel-ca", "ca_file": "ca.crt", "cert_file": "tls.crt", "key_file": "tls.key"}}),
                json!({"endpoint": "https://otel.example.com:4318", "tls": {"configMapName": "otel-ca", "ca_file": "/etc/ca/ca.crt"}}),
            ]),
        ),
        opt(
            0.5,
            select(vec![
                "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-python:0.60b0",
                "registry:5000/otel/python:0.64b0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "example.com/otel-python:1",
            ]),
        ),
        opt(0.3, subsequence(env_pool(), 1..=3)),
        opt(0.3, subsequence(env_pool(), 1..=3)),
        opt(
            0.3,
            subsequence(
                vec!["tracecontext", "baggage", "b3", "jaeger", "xray"],
                1..=3,
            ),
        ),
        opt(
            0.3,
            select(vec![
                json!({"type": "always_on"}),
                json!({"type": "parentbased_always_off"}),
                json!({"type": "traceidratio", "argument": "0.25"}),
                json!({"type": "parentbased_traceidratio", "argument": "1"}),
                json!({"type": "jaeger_remote", "argument": "endpoint=http://jaeger:14250,pollingIntervalMs=5000,initialSamplingRate=0.25"}),
                json!({"type": "xray"}),
            ]),
        ),
    );
    let inst2 = (
        opt(
            0.3,
            (
                opt(
                    0.8,
                    subsequence(
                        vec![
                            ("deployment.environment", "prod"),
                            ("team", "core"),
                            ("service.name", "override"),
                        ],
                        1..=3,
                    ),
                ),
                opt(0.3, Just(true)),
            ),
        ),
        opt(0.2, Just(true)),
        opt(0.2, select(vec!["Always", "IfNotPresent"])),
        opt(
            0.15,
            select(vec![
                json!({"runAsUser": 1000, "runAsNonRoot": true}),
                json!({"allowPrivilegeEscalation": false}),
            ]),
        ),
        opt(
            0.2,
            select(vec![
                json!({"resourceRequirements": {"limits": {"cpu": "200m"}}}),
                json!({"volumeLimitSize": "100Mi"}),
                json!({"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}),
            ]),
        ),
    );
    (settings, inst1, inst2).prop_map(
        |(
            (selector, names, platform, django),
            (exporter, image, env, python_env, propagators, sampler),
            (resource, use_labels, pull, init_sc, python_more),
        )| {
            let mut spec = Map::new();
            if let Some(s) = selector {
                spec.insert("selector".into(), s);
            }
            if let Some(n) = names {
                spec.insert("containerNames".into(), json!(n));
            }
            if let Some(p) = platform {
                spec.insert("platform".into(), json!(p));
            }
            if let Some((module, root)) = django {
                let mut d = Map::new();
                if let Some(m) = module {
                    d.insert("settingsModule".into(), json!(m));
                }
                if let Some(r) = root {
                    d.insert("appRoot".into(), json!(r));
                }
                spec.insert("django".into(), Value::Object(d));
            }
            if let Some(e) = exporter {
                spec.insert("exporter".into(), e);
            }
            if let Some(e) = env {
                spec.insert("env".into(), json!(e));
            }
            if let Some(p) = propagators {
                spec.insert("propagators".into(), json!(p));
            }
            if let Some(s) = sampler {
                spec.insert("sampler".into(), s);
            }
            if let Some((attributes, uid)) = resource {
                let mut r = Map::new();
                if let Some(a) = attributes {
                    let m: Map<String, Value> = a
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), json!(v)))
                        .collect();
                    r.insert("resourceAttributes".into(), Value::Object(m));
                }
                if let Some(u) = uid {
                    r.insert("addK8sUIDAttributes".into(), json!(u));
                }
                spec.insert("resource".into(), Value::Object(r));
            }
            if let Some(u) = use_labels {
                spec.insert(
                    "defaults".into(),
                    json!({"useLabelsForResourceAttributes": u}),
                );
            }
            if let Some(p) = pull {
                spec.insert("imagePullPolicy".into(), json!(p));
            }
            if let Some(sc) = init_sc {
                spec.insert("initContainerSecurityContext".into(), sc);
            }
            let mut python = Map::new();
            if let Some(i) = image {
                python.insert("image".into(), json!(i));
            }
            if let Some(e) = python_env {
                python.insert("env".into(), json!(e));
            }
            if let Some(Value::Object(more)) = python_more {
                python.extend(more);
            }
            if !python.is_empty() {
                spec.insert("python".into(), Value::Object(python));
            }
            Config { spec }
        },
    )
}

/// Ways to make a valid config invalid.
#[derive(Clone, Copy, Debug)]
pub enum Invalid {
    SamplerArgument,
    Platform,
    UnknownField,
    Mode,
    ContainerNamesNotAList,
    SettingsModule,
    VolumeBoth,
}

pub fn arb_invalid() -> impl Strategy<Value = Invalid> {
    select(vec![
        Invalid::SamplerArgument,
        Invalid::Platform,
        Invalid::UnknownField,
        Invalid::Mode,
        Invalid::ContainerNamesNotAList,
        Invalid::SettingsModule,
        Invalid::VolumeBoth,
    ])
}

/// Shown as its text.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\n{}", self.text())
    }
}

impl Config {
    /// The config with `spec.mode` set.
    pub fn with_mode(&self, mode: &str) -> Config {
        let mut spec = self.spec.clone();
        spec.insert("mode".into(), json!(mode));
        Config { spec }
    }

    /// The config broken in one way.
    pub fn broken(&self, how: Invalid) -> Config {
        let mut spec = self.spec.clone();
        match how {
            Invalid::SamplerArgument => {
                spec.insert(
                    "sampler".into(),
                    json!({"type": "traceidratio", "argument": "2"}),
                );
            }
            Invalid::Platform => {
                spec.insert("platform".into(), json!("MUSL"));
            }
            Invalid::UnknownField => {
                spec.insert("containerName".into(), json!(["app"]));
            }
            Invalid::Mode => {
                spec.insert("mode".into(), json!("loose"));
            }
            Invalid::ContainerNamesNotAList => {
                spec.insert("containerNames".into(), json!("app"));
            }
            Invalid::SettingsModule => {
                spec.insert("django".into(), json!({"settingsModule": "1shop.settings"}));
            }
            Invalid::VolumeBoth => {
                spec.insert(
                    "python".into(),
                    json!({"volumeLimitSize": "100Mi", "volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}}),
                );
            }
        }
        Config { spec }
    }

    /// The spec as the operator's `Instrumentation` objects, one per
    /// namespace (`None`: no namespace, i.e. `default`), as list items
    /// written at column `col` (the function's own settings are not part of
    /// an Instrumentation and are left out).
    pub fn instrumentation_items(&self, namespaces: &[Option<&str>], col: usize) -> String {
        const SHARED: [&str; 9] = [
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
        let spec: Map<String, Value> = self
            .spec
            .iter()
            .filter(|(k, _)| SHARED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let layout = Layout {
            step: 2,
            wide: false,
            offset: 2,
        };
        let mut w = Writer {
            out: String::new(),
            layout,
        };
        for ns in namespaces {
            let mut meta = Map::new();
            meta.insert("name".into(), json!("python"));
            if let Some(ns) = ns {
                meta.insert("namespace".into(), json!(ns));
            }
            let mut obj = Map::new();
            obj.insert("apiVersion".into(), json!("opentelemetry.io/v1alpha1"));
            obj.insert("kind".into(), json!("Instrumentation"));
            obj.insert("metadata".into(), Value::Object(meta));
            obj.insert("spec".into(), Value::Object(spec.clone()));
            let node = map(value_entries(&Value::Object(obj)));
            w.items(&[item(node)], col, None);
        }
        w.out
    }

    /// The same config in the ConfigMap form (`data` keys are dotted field
    /// paths), as `kpt fn eval -- key=value` sends it; `None` when the
    /// config uses a field that form cannot express.
    pub fn configmap_text(&self) -> Option<String> {
        fn list(v: &Value) -> Option<String> {
            let items: Option<Vec<&str>> = v.as_array()?.iter().map(Value::as_str).collect();
            let items = items?;
            (!items.iter().any(|i| i.is_empty() || i.contains(','))).then(|| items.join(","))
        }
        fn pairs(v: &Value) -> Option<String> {
            let m = v.as_object()?;
            let parts: Option<Vec<String>> = m
                .iter()
                .map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                .collect();
            Some(parts?.join(","))
        }
        fn env(v: &Value) -> Option<String> {
            let parts: Option<Vec<String>> = v
                .as_array()?
                .iter()
                .map(|e| {
                    if e.get("valueFrom").is_some() {
                        return None;
                    }
                    Some(format!(
                        "{}={}",
                        e.get("name")?.as_str()?,
                        e.get("value")?.as_str()?
                    ))
                })
                .collect();
            Some(parts?.join(","))
        }
        fn scalar(v: &Value) -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            }
        }
        let mut data: Vec<(String, String)> = Vec::new();
        let mut put = |k: &str, v: Option<String>| -> Option<()> {
            data.push((k.to_string(), v?));
            Some(())
        };
        for (key, value) in &self.spec {
            match key.as_str() {
                "mode" | "platform" | "imagePullPolicy" | "propagators" | "containerNames" => {
                    let text = if value.is_array() {
                        list(value)
                    } else {
                        scalar(value)
                    };
                    put(key, text)?;
                }
                "env" => put("env", env(value))?,
                "selector" | "django" | "exporter" | "sampler" | "resource" | "defaults"
                | "python" => {
                    let m = value.as_object()?;
                    if m.is_empty() {
                        // `selector: {}` (every workload) or an empty
                        // Instrumentation field (the operator's defaults)
                        // have no ConfigMap spelling.
                        return None;
                    }
                    for (sub, v) in m {
                        let path = format!("{key}.{sub}");
                        match path.as_str() {
                            "selector.kinds" | "selector.names" | "selector.namespaces" => {
                                put(&path, list(v))?
                            }
                            "selector.labels" => {
                                let l = v.as_object()?;
                                if l.keys().any(|k| k != "matchLabels") {
                                    return None;
                                }
                                put("selector.labels.matchLabels", pairs(l.get("matchLabels")?))?
                            }
                            "exporter.tls" => {
                                for (t, tv) in v.as_object()? {
                                    put(&format!("exporter.tls.{t}"), scalar(tv))?;
                                }
                            }
                            "resource.resourceAttributes" => put(&path, pairs(v))?,
                            "python.env" => put(&path, env(v))?,
                            "python.resourceRequirements" => {
                                for (r, rv) in v.as_object()? {
                                    put(&format!("python.resourceRequirements.{r}"), pairs(rv))?;
                                }
                            }
                            "python.volumeClaimTemplate" => return None,
                            _ => put(&path, scalar(v))?,
                        }
                    }
                }
                _ => return None,
            }
        }
        let mut out = String::from(
            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: function-input\n",
        );
        if data.is_empty() {
            return Some(out);
        }
        out.push_str("  data:\n");
        for (k, v) in data {
            out.push_str(&format!(
                "    {k}: {}\n",
                serde_json::to_string(&v).unwrap()
            ));
        }
        Some(out)
    }

    /// `functionConfig:` and the typed config, as the end of a
    /// ResourceList.
    pub fn text(&self) -> String {
        let mut obj = Map::new();
        obj.insert("apiVersion".into(), json!("fn.kpt.dev/v1alpha1"));
        obj.insert("kind".into(), json!("InjectOtelPython"));
        obj.insert(
            "metadata".into(),
            json!({"name": "otel-python", "annotations": {"config.kubernetes.io/local-config": "true"}}),
        );
        obj.insert("spec".into(), Value::Object(self.spec.clone()));
        let layout = Layout {
            step: 2,
            wide: false,
            offset: 2,
        };
        let body = write_map(&value_entries(&Value::Object(obj)), 2, layout);
        format!("functionConfig:\n{body}")
    }
}

/// A JSON value as block entries (strings JSON-quoted, lists of scalars in
/// flow style).
fn value_entries(v: &Value) -> Vec<Entry> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let key = if k.contains('/') || k.contains('.') {
                    serde_json::to_string(k).unwrap()
                } else {
                    k.clone()
                };
                entry(&key, value_node(v))
            })
            .collect(),
        _ => panic!("not an object"),
    }
}

fn value_node(v: &Value) -> Node {
    match v {
        Value::Object(m) if m.is_empty() => flow_map(Vec::new()),
        Value::Object(_) => map(value_entries(v)),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            flow_seq(a.iter().map(value_node).collect())
        }
        Value::Array(a) => seq(a.iter().map(value_node).collect()),
        Value::String(s) => raw(serde_json::to_string(s).unwrap()),
        other => raw(other.to_string()),
    }
}
