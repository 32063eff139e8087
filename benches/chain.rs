//! Workload "group chain" (BENCHMARKS.md, "Workloads"): 1,000 groups nested in a chain, a user in the
//! bottom group, a handle service whose only member is the top group. Measures building
//! it (1,000 creations, 999 nestings, 2 memberships: the materialized closure holds
//! ~500,000 group-in-group relations) and checking the bottom user in the service.
//!
//! Run: `cargo bench --bench chain -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use privgraph::graph::{Child, Graph, Group, HandleService, Key, Parent, User};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};

const DEPTH: usize = 1_000;

struct Chain {
    graph: Graph,
    user: Key<User>,
    service: Key<HandleService>,
}

/// Groups `g0` (bottom) … `g999` (top), nested bottom-up; then the user joins `g0`;
/// then `g999` joins the handle service with `handle_service_view`.
fn build() -> Chain {
    let mut graph = Graph::new();
    let groups: Vec<Key<Group>> = (0..DEPTH)
        .map(|i| graph.create::<Group>(&format!("g{i}")).unwrap())
        .collect();
    let user = graph.create::<User>("u").unwrap();
    let service = graph.create::<HandleService>("hs").unwrap();
    for pair in groups.windows(2) {
        graph
            .nest(Child(pair[0]), Parent(pair[1]), GroupPrivileges::empty())
            .unwrap();
    }
    graph
        .add_member(groups[0], user, GroupPrivileges::empty())
        .unwrap();
    graph
        .add_member(service, groups[DEPTH - 1], HS::HANDLE_SERVICE_VIEW)
        .unwrap();
    Chain {
        graph,
        user,
        service,
    }
}

fn chain(c: &mut Criterion) {
    let chain = build();
    assert!(
        chain
            .graph
            .has_privilege(chain.user, chain.service, HS::HANDLE_SERVICE_VIEW)
    );
    assert!(
        !chain
            .graph
            .has_privilege(chain.user, chain.service, HS::HANDLE_SERVICE_UPDATE)
    );

    let mut group = c.benchmark_group("chain of 1,000 groups");
    group.sample_size(10);
    group.bench_function("build", |b| b.iter_with_large_drop(build));
    group.finish();

    let mut group = c.benchmark_group("chain of 1,000 groups");
    group.bench_function("check bottom user by keys", |b| {
        b.iter(|| {
            black_box(chain.graph.has_privilege(
                black_box(chain.user),
                black_box(chain.service),
                HS::HANDLE_SERVICE_VIEW,
            ))
        })
    });
    group.bench_function("check bottom user by ids", |b| {
        b.iter(|| {
            black_box(chain.graph.has_privilege_by_id::<User, _>(
                black_box("u"),
                black_box("hs"),
                HS::HANDLE_SERVICE_VIEW,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
