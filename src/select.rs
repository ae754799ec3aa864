//! Which workloads, which pod templates, which containers.
