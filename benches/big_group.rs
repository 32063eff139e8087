//! Workload "big group" (BENCHMARKS.md, "Workloads"): 100,000 users in one group that is a member of 100
//! handle services (10 million materialized user-in-service relations). Measures
//! building it, then single mutations on the built graph: one `grant` and one `revoke`
//! on the group's privileges in one service, and one user removed from the group.
//!
//! Each mutation sample is timed alone with `iter_custom`; after it, the state is
//! restored by the inverse operation outside the timed region, so every iteration
//! measures exactly one mutation from the same starting state.
//!
//! Run: `cargo bench --bench big_group -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use privgraph::graph::{Graph, Group, HandleService, Key, User};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS, PrivilegeUpdate};

const USERS: usize = 100_000;
const SERVICES: usize = 100;

struct BigGroup {
    graph: Graph,
    users: Vec<Key<User>>,
    group: Key<Group>,
    services: Vec<Key<HandleService>>,
}

/// What the group holds in every service at the start.
fn base() -> HS {
    HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_LIST_HANDLES | HS::HANDLE_SERVICE_REGISTER_HANDLE
}

/// Users join the group, then the group joins the services.
fn build() -> BigGroup {
    let mut graph = Graph::new();
    let users: Vec<Key<User>> = (0..USERS)
        .map(|i| graph.create::<User>(&format!("u{i}")).unwrap())
        .collect();
    let group = graph.create::<Group>("big").unwrap();
    let services: Vec<Key<HandleService>> = (0..SERVICES)
        .map(|i| graph.create::<HandleService>(&format!("hs{i}")).unwrap())
        .collect();
    for &u in &users {
        graph
            .add_member(group, u, GroupPrivileges::empty())
            .unwrap();
    }
    for &s in &services {
        graph.add_member(s, group, base()).unwrap();
    }
    BigGroup {
        graph,
        users,
        group,
        services,
    }
}

fn grant(p: HS) -> PrivilegeUpdate<HS> {
    PrivilegeUpdate::GrantRevoke {
        grant: p,
        revoke: HS::empty(),
    }
}

fn revoke(p: HS) -> PrivilegeUpdate<HS> {
    PrivilegeUpdate::GrantRevoke {
        grant: HS::empty(),
        revoke: p,
    }
}

fn big_group(c: &mut Criterion) {
    let mut big = build();
    let (s0, g) = (big.services[0], big.group);
    let probe = big.users[USERS / 2];
    assert!(big.graph.has_privilege(probe, s0, HS::HANDLE_SERVICE_VIEW));

    // Semantics of the three mutations, checked once before timing them.
    big.graph
        .update_member_privileges(s0, g, &grant(HS::HANDLE_SERVICE_UPDATE))
        .unwrap();
    assert!(
        big.graph
            .has_privilege(probe, s0, HS::HANDLE_SERVICE_UPDATE)
    );
    big.graph
        .update_member_privileges(s0, g, &revoke(HS::HANDLE_SERVICE_UPDATE))
        .unwrap();
    assert!(
        !big.graph
            .has_privilege(probe, s0, HS::HANDLE_SERVICE_UPDATE)
    );
    big.graph.remove_member(g, probe).unwrap();
    let stale = big
        .services
        .iter()
        .filter(|&&s| big.graph.effective_privileges(probe, s).is_some())
        .count();
    if stale > 0 {
        eprintln!(
            "WARNING: after removing a user from the big group, privgraph still reports \
             it as an effective member of {stale} of the group's {SERVICES} handle services: \
             remove_member on a group does not propagate to the group's resources, so \
             'remove user from group' below measures an incomplete operation"
        );
    }
    big.graph
        .add_member(g, probe, GroupPrivileges::empty())
        .unwrap();

    let mut group = c.benchmark_group("big group (100,000 users, 100 handle services)");
    group.sample_size(10);
    group.bench_function("build", |b| b.iter_with_large_drop(build));
    group.finish();

    let mut group = c.benchmark_group("big group (100,000 users, 100 handle services)");
    group.bench_function("grant on the group in one service", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let applied = big
                    .graph
                    .update_member_privileges(s0, g, &grant(HS::HANDLE_SERVICE_UPDATE))
                    .unwrap();
                total += start.elapsed();
                black_box(applied);
                big.graph
                    .update_member_privileges(s0, g, &PrivilegeUpdate::Set(base()))
                    .unwrap();
            }
            total
        })
    });
    group.bench_function("revoke on the group in one service", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                big.graph
                    .update_member_privileges(s0, g, &grant(HS::HANDLE_SERVICE_UPDATE))
                    .unwrap();
                let start = Instant::now();
                let applied = big
                    .graph
                    .update_member_privileges(s0, g, &revoke(HS::HANDLE_SERVICE_UPDATE))
                    .unwrap();
                total += start.elapsed();
                black_box(applied);
            }
            total
        })
    });
    group.bench_function("remove one user from the group", |b| {
        let mut next = 0;
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let user = big.users[next % USERS];
                next += 1;
                let start = Instant::now();
                big.graph.remove_member(g, user).unwrap();
                total += start.elapsed();
                big.graph
                    .add_member(g, user, GroupPrivileges::empty())
                    .unwrap();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, big_group);
criterion_main!(benches);
