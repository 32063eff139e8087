//! Building the shared generator's graphs (BENCHMARKS.md): privgraph's
//! `build_privgraph` (create every entity, then add every membership one by one,
//! keeping effective privileges current) beside the floor's build (materializing every
//! (user, service) pair into one `hashbrown` map from the description). Memory is
//! measured by the peer comparison (`benches/peers`), one process per engine.
//!
//! Run: `cargo bench --bench build -- --warm-up-time 1 --measurement-time 3`
//! (the large graph takes ~10 samples of several seconds each: about two minutes).

#[path = "support/generator.rs"]
mod generator;

use criterion::{Criterion, criterion_group, criterion_main};

fn build(c: &mut Criterion) {
    for (name, size) in [("small", generator::SMALL), ("large", generator::LARGE)] {
        let description = generator::generate(size, generator::SEED);
        let mut group = c.benchmark_group(format!("build/{name}"));
        group.sample_size(10);
        group.bench_function("flat lookup (floor)", |b| {
            b.iter_with_large_drop(|| generator::flat_lookup(&description))
        });
        group.bench_function("privgraph", |b| {
            b.iter_with_large_drop(|| generator::build_privgraph(&description))
        });
        group.finish();
    }
}

criterion_group!(benches, build);
criterion_main!(benches);
