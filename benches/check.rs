//! Workload "check" (BENCHMARKS.md, "Workloads"): an effective-privilege check on the shared generator's
//! graph, by resolved keys and by string ids, beside the "flat lookup" floor — one
//! precomputed `hashbrown` probe answering the same queries — in the same run.
//!
//! Each iteration answers one query; the queries cycle through a fixed list. "warm" uses
//! 4,096 queries (their cache lines stay in cache, as in the first measurement of BENCHMARKS.md), "cold" uses
//! 1,048,576 (most probes miss the caches). Before measuring, every query's answer is
//! checked against the floor (computed from the description, not through privgraph).
//!
//! Two reference lines beside the budgets' subjects: `effective_privileges by keys` (the
//! same probe without `has_privilege`'s space-owner fallback) and `flat lookup by ids`
//! (the floor behind two `hashbrown` string-id maps, i.e. the cost of resolving ids).
//!
//! Run: `cargo bench --bench check -- --warm-up-time 1 --measurement-time 3`

#[path = "support/generator.rs"]
mod generator;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hashbrown::HashMap;
use privgraph::graph::User;
use privgraph::privileges::HandleServicePrivileges as HS;

use generator::{Loaded, Query, Size};

fn check_size(c: &mut Criterion, name: &str, size: Size, cold: bool) {
    let description = generator::generate(size, generator::SEED);
    let loaded: Loaded = generator::build_privgraph(&description);
    let floor: HashMap<(u32, u32), u8> = generator::flat_lookup(&description);
    let sets = generator::hs_sets();
    let graph = &loaded.graph;
    // The floor's own id maps, for "flat lookup by ids": what resolving two string ids
    // costs with the same kind of map privgraph uses.
    let user_ids: HashMap<Box<str>, u32> = (0..size.users)
        .map(|i| (generator::user_id(i).into_boxed_str(), i))
        .collect();
    let service_ids: HashMap<Box<str>, u32> = (0..size.services)
        .map(|i| (generator::service_id(i).into_boxed_str(), i))
        .collect();

    let lists: &[(&str, usize)] = if cold {
        &[("warm", 4_096), ("cold", 1 << 20)]
    } else {
        &[("warm", 4_096)]
    };
    for &(temperature, n) in lists {
        let queries: Vec<Query> = generator::queries(size, n, generator::SEED);
        // Resolved forms of the same queries, so no conversion is measured.
        let keyed: Vec<_> = queries
            .iter()
            .map(|q| {
                (
                    loaded.users[q.user as usize],
                    loaded.services[q.service as usize],
                    sets[q.bit() as usize],
                )
            })
            .collect();
        let ids: Vec<(String, String, HS)> = queries
            .iter()
            .map(|q| {
                (
                    generator::user_id(q.user),
                    generator::service_id(q.service),
                    sets[q.bit() as usize],
                )
            })
            .collect();
        let flat: Vec<((u32, u32), u8)> = queries
            .iter()
            .map(|q| ((q.user, q.service), q.bit()))
            .collect();
        for (i, q) in queries.iter().enumerate() {
            let expected = floor
                .get(&(q.user, q.service))
                .is_some_and(|p| p & q.bit() != 0);
            let (u, s, p) = keyed[i];
            assert_eq!(graph.has_privilege(u, s, p), expected, "by keys: {q:?}");
            let (u, s, p) = &ids[i];
            assert_eq!(
                graph.has_privilege_by_id::<User, _>(u, s, *p),
                expected,
                "by ids: {q:?}"
            );
        }

        let mut group = c.benchmark_group(format!("check/{name}/{temperature}"));
        group.bench_function("flat lookup (floor)", |b| {
            let mut i = 0;
            b.iter(|| {
                let (key, bit) = flat[i];
                i += 1;
                if i == flat.len() {
                    i = 0;
                }
                black_box(floor.get(&black_box(key)).is_some_and(|p| p & bit != 0))
            })
        });
        group.bench_function("has_privilege by keys", |b| {
            let mut i = 0;
            b.iter(|| {
                let (u, s, p) = keyed[i];
                i += 1;
                if i == keyed.len() {
                    i = 0;
                }
                black_box(graph.has_privilege(black_box(u), black_box(s), p))
            })
        });
        group.bench_function("effective_privileges by keys", |b| {
            let mut i = 0;
            b.iter(|| {
                let (u, s, p) = keyed[i];
                i += 1;
                if i == keyed.len() {
                    i = 0;
                }
                black_box(
                    graph
                        .effective_privileges(black_box(u), black_box(s))
                        .is_some_and(|e| e.contains(p)),
                )
            })
        });
        group.bench_function("flat lookup by ids (2 id maps + probe)", |b| {
            let mut i = 0;
            b.iter(|| {
                let (u, s, _) = &ids[i];
                let bit = flat[i].1;
                i += 1;
                if i == ids.len() {
                    i = 0;
                }
                match (
                    user_ids.get(black_box(u.as_str())),
                    service_ids.get(black_box(s.as_str())),
                ) {
                    (Some(&u), Some(&s)) => {
                        black_box(floor.get(&(u, s)).is_some_and(|p| p & bit != 0))
                    }
                    _ => black_box(false),
                }
            })
        });
        group.bench_function("has_privilege_by_id", |b| {
            let mut i = 0;
            b.iter(|| {
                let (u, s, p) = &ids[i];
                i += 1;
                if i == ids.len() {
                    i = 0;
                }
                black_box(graph.has_privilege_by_id::<User, _>(black_box(u), black_box(s), *p))
            })
        });
        group.finish();
    }
}

fn check(c: &mut Criterion) {
    check_size(c, "small", generator::SMALL, false);
    check_size(c, "large", generator::LARGE, true);
}

criterion_group!(benches, check);
criterion_main!(benches);
