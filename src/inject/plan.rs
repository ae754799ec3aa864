//! The mutation, planned on values (filled in by the planner work).
