//! inject-otel-python: a KRM function that injects OpenTelemetry Python
//! auto-instrumentation into Kubernetes workload manifests.
//!
//! Data flows one way: [`krm::read_input`] reads the input once,
//! [`krm::process`] parses it into a [`yaml::Doc`], a [`krm::Function`]
//! decides and records edits in a [`yaml::Editor`], and the edited text is
//! written once by [`krm::Outcome::write_to`].

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod config;
pub mod function;
pub mod inject;
pub mod krm;
pub mod select;
pub mod yaml;

use krm::{Function, ResourceList, Results};
use yaml::Editor;

/// A function that changes nothing: the engine's own cost (read, parse,
/// write) with no decision on top, for benchmarks and tests.
pub struct Passthrough;

impl Function for Passthrough {
    fn run(&self, _: &ResourceList<'_, '_>, _: &mut Editor<'_, '_>, _: &mut Results) {}
}
