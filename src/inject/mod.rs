//! The injection: what the operator's webhook does to a Pod, planned for a
//! pod template and applied as text edits.

pub mod apply;
pub mod plan;
