//! Workloads "snapshot load" and "request": loading the large graph's snapshot
//! (format v1, `docs/snapshot-format.md`) from JSON text, beside building the same graph through
//! the graph API in the same run; and one request through the REST adapter, beside the
//! bare check it ends in.
//!
//! Run: `cargo bench --bench api -- --warm-up-time 1 --measurement-time 3`

#[path = "support/generator.rs"]
mod generator;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use privgraph::logic::{Auth, Engine};
use privgraph::privileges::HandleServicePrivileges as HS;
use privgraph::{rest, snapshot};

fn snapshot_load(c: &mut Criterion) {
    let description = generator::generate(generator::LARGE, generator::SEED);
    let json = snapshot::save(&generator::build_privgraph(&description).graph);
    let mut group = c.benchmark_group("snapshot (large graph)");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("build through the graph API (baseline)", |b| {
        b.iter(|| {
            black_box(
                generator::build_privgraph(&description)
                    .graph
                    .len::<privgraph::graph::User>(),
            )
        })
    });
    group.bench_function("load from JSON", |b| {
        b.iter(|| black_box(snapshot::load(&json).map(|g| g.len::<privgraph::graph::User>())))
    });
    group.finish();
}

fn request(c: &mut Criterion) {
    let description = generator::generate(generator::SMALL, generator::SEED);
    let loaded = generator::build_privgraph(&description);
    let queries = generator::queries(generator::SMALL, 4_096, generator::SEED);
    let sets = generator::hs_sets();
    // A user who is an effective member of the service, so the request answers 200.
    let graph = &loaded.graph;
    let (user, service) = queries
        .iter()
        .map(|q| {
            (
                loaded.users[q.user as usize],
                loaded.services[q.service as usize],
            )
        })
        .find(|(u, s)| graph.is_effective_member(*u, *s))
        .expect("some query names an effective member");
    let (user_id, service_id) = (
        graph.id(user).unwrap_or_default().to_owned(),
        graph.id(service).unwrap_or_default().to_owned(),
    );
    let path = format!(
        "/api/v3/onezone/handle_services/{service_id}/effective_users/{user_id}/privileges"
    );
    let mut engine = Engine::new(loaded.graph);
    let auth = Auth::User(user_id.clone());
    assert_eq!(
        rest::handle(&mut engine, &auth, "GET", &path, b"").status,
        200
    );

    let mut group = c.benchmark_group("request (small graph)");
    group.bench_function("GET effective privileges through rest::handle", |b| {
        b.iter(|| black_box(rest::handle(&mut engine, &auth, "GET", black_box(&path), b"").status))
    });
    let graph = engine.graph();
    group.bench_function("the check it ends in (has_privilege_by_id)", |b| {
        b.iter(|| {
            black_box(graph.has_privilege_by_id::<privgraph::graph::User, _>(
                black_box(&user_id),
                black_box(&service_id),
                sets[1] & HS::HANDLE_SERVICE_VIEW,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, snapshot_load, request);
criterion_main!(benches);
