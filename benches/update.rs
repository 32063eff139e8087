//! Workload "update privileges" (BENCHMARKS.md, "Workloads"): 10,000 random `grant` / `revoke` / `set`
//! operations on the direct handle-service memberships (users' and groups') of the
//! large generator graph. One iteration applies all 10,000 in order; the graph keeps
//! the result (the next iteration starts from it), which is the steady state of a
//! server taking such requests.
//!
//! Run: `cargo bench --bench update -- --warm-up-time 1 --measurement-time 3`

#[path = "support/generator.rs"]
mod generator;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use privgraph::privileges::{HandleServicePrivileges as HS, PrivilegeUpdate};

const OPS: usize = 10_000;

#[derive(Clone, Copy)]
enum Member {
    User(u32),
    Group(u32),
}

fn ops(d: &generator::Description) -> Vec<(u32, Member, PrivilegeUpdate<HS>)> {
    let sets = generator::hs_sets();
    let mut rng = generator::Rng::new(generator::SEED ^ 0x000D_A7E5);
    let n_users = d.service_users.len() as u32;
    let n_all = n_users + d.service_groups.len() as u32;
    (0..OPS)
        .map(|_| {
            let i = rng.below(n_all);
            let (service, member) = if i < n_users {
                let (s, u, _) = d.service_users[i as usize];
                (s, Member::User(u))
            } else {
                let (s, g, _) = d.service_groups[(i - n_users) as usize];
                (s, Member::Group(g))
            };
            let p = sets[rng.privileges() as usize];
            let update = match rng.below(3) {
                0 => PrivilegeUpdate::GrantRevoke {
                    grant: p,
                    revoke: HS::empty(),
                },
                1 => PrivilegeUpdate::GrantRevoke {
                    grant: HS::empty(),
                    revoke: p,
                },
                _ => PrivilegeUpdate::Set(p),
            };
            (service, member, update)
        })
        .collect()
}

fn update(c: &mut Criterion) {
    let description = generator::generate(generator::LARGE, generator::SEED);
    let mut loaded = generator::build_privgraph(&description);
    let ops = ops(&description);

    let mut group = c.benchmark_group("update privileges (large graph)");
    group.sample_size(10);
    group.throughput(Throughput::Elements(OPS as u64));
    group.bench_function("10,000 random grant/revoke/set", |b| {
        b.iter(|| {
            for (service, member, update) in &ops {
                let s = loaded.services[*service as usize];
                let applied = match *member {
                    Member::User(u) => {
                        loaded
                            .graph
                            .update_member_privileges(s, loaded.users[u as usize], update)
                    }
                    Member::Group(g) => {
                        loaded
                            .graph
                            .update_member_privileges(s, loaded.groups[g as usize], update)
                    }
                };
                black_box(applied.unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, update);
criterion_main!(benches);
