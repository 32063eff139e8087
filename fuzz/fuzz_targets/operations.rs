//! `operations`: an arbitrary sequence of graph mutations, checked against the
//! reference model after every step.
//!
//! The model, the operations and the harness are those of the proptest in
//! `tests/graph_model.rs`, included here as a module (its `#[test]`s are compiled out of
//! a non-test build), so fuzzer and proptest share one reference model. The input bytes
//! decode to up to 32 operations (`FUZZ_OPS`), on the smaller universe the harness
//! declares under `cfg(fuzzing)` (creates, deletes with cascades, nesting, un-nesting,
//! grants, revokes, sets, oz changes, owners, links, and failing ones through stale or
//! unknown keys); any disagreement with the model, or a refused operation that changed
//! the graph, panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../tests/graph_model.rs"]
mod graph_model;

fuzz_target!(|data: &[u8]| {
    graph_model::fuzz_operations(data);
});
