//! The store's costs, on a temporary directory of the local disk; stops by itself.
//!
//! - **Durable writes**: acknowledged single-change writes per second through the
//!   group-commit handle, with 1 and with 16 writer threads, and the latency of each
//!   from submit to acknowledgement (p50 / p99 / max), for `--seconds S` each (default 5).
//! - **Recovery** of the shared generator's large graph (100,000 users, 10,000 groups,
//!   10,000 handle services), in one run: building it through the API, the flat-lookup
//!   floor's build (the baseline), `init` (the checkpoint at revision 0), the snapshot
//!   save and load a checkpoint costs, a verified read-only load, opening the store as
//!   its writer from that checkpoint, from the checkpoint plus 10,000 batches, and
//!   after a checkpoint written by the writer. `--small` uses the small graph instead.
//!
//! Run: `cargo bench -p privgraph-store --bench store -- --seconds 5`.

#[path = "../../../benches/support/generator.rs"]
mod generator;

use std::time::{Duration, Instant};

use privgraph::graph::{Author, Batch, Change, EntityKind, MemberType, TargetKind};
use privgraph::privileges::HandleServicePrivileges as HS;
use privgraph_store::{Config, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn create_user(id: String) -> Batch {
    Batch::new(
        Author::Library,
        vec![Change::Create {
            kind: EntityKind::User,
            id,
        }],
    )
}

fn writes(threads: usize, seconds: f64) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    privgraph_store::init(dir.path(), &privgraph::graph::Graph::new()).expect("init");
    let store = Store::open(dir.path(), Config::default()).expect("open");
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let handle = store.handle();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let batch = create_user(format!("t{t}-{n}"));
                    let sent = Instant::now();
                    handle.commit(batch).expect("a durable write");
                    latencies.push(sent.elapsed());
                    n += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a writer thread"))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "writes, {threads:>2} thread(s): {:>8.0} acknowledged writes/s ({} in {elapsed:.1} s); latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len() as f64 / elapsed,
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let value = f();
    let seconds = started.elapsed().as_secs_f64();
    println!("{what:<58} {seconds:>7.2} s");
    (value, seconds)
}

fn recovery(size: generator::Size, name: &str) {
    println!(
        "recovery, {name} graph ({} users, {} groups, {} handle services):",
        size.users, size.groups, size.services
    );
    let description = generator::generate(size, generator::SEED);
    let (floor, floor_s) = timed("  flat-lookup floor: build", || {
        generator::flat_lookup(&description)
    });
    drop(floor);
    let (loaded, api_s) = timed("  privgraph: build through the API", || {
        generator::build_privgraph(&description)
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    timed("  db init (checkpoint at revision 0)", || {
        privgraph_store::init(dir.path(), &loaded.graph).expect("init")
    });
    let bytes = std::fs::metadata(dir.path().join("privgraph.sqlite")).map_or(0, |m| m.len());
    println!("  store size: {:.1} MB", bytes as f64 / 1e6);
    // Where opening spends its time: the snapshot loader alone, then a verified
    // read-only load, then the writer's open (which also makes the second copy that
    // concurrent readers need).
    let (json, _) = timed(
        "  snapshot::save of the graph (what a checkpoint writes)",
        || privgraph::snapshot::save(&loaded.graph),
    );
    timed("  snapshot::load of that JSON (the loader alone)", || {
        privgraph::snapshot::load(&json).expect("the snapshot loads")
    });
    drop(json);
    timed(
        "  load: verify, load the checkpoint (read-only, one copy)",
        || privgraph_store::load(dir.path()).expect("load"),
    );
    let (store, open_s) = timed("  open as the writer: verify, load the checkpoint", || {
        Store::open(
            dir.path(),
            Config {
                checkpoint_every: 0,
                ..Config::default()
            },
        )
        .expect("open")
    });
    assert_eq!(
        privgraph::snapshot::save(&store.reader().read()),
        privgraph::snapshot::save(&loaded.graph),
        "the recovered graph is the one stored"
    );
    drop(loaded);
    // 10,000 single-change batches, each setting one group's privileges in a service.
    let handle = store.handle();
    let sets = generator::hs_sets();
    let started = Instant::now();
    for (n, &(service, group, p)) in description
        .service_groups
        .iter()
        .cycle()
        .take(10_000)
        .enumerate()
    {
        let privileges: HS = sets[(usize::from(p) + n) % 63 + 1];
        handle
            .commit(Batch::new(
                Author::Library,
                vec![Change::SetMemberPrivileges {
                    kind: TargetKind::HandleService,
                    id: generator::service_id(service),
                    member_type: MemberType::Group,
                    member_id: generator::group_id(group),
                    privileges: privileges.into(),
                }],
            ))
            .expect("a durable write");
    }
    println!(
        "{:<58} {:>7.2} s",
        "  10,000 batches, one writer thread",
        started.elapsed().as_secs_f64()
    );
    let head = store.reader().read().clone();
    drop(store);
    let (store, replay_s) = timed(
        "  open: verify, load the checkpoint, replay 10,000 batches",
        || {
            Store::open(
                dir.path(),
                Config {
                    checkpoint_every: 0,
                    ..Config::default()
                },
            )
            .expect("open")
        },
    );
    assert_eq!(store.revision(), 10_000);
    assert_eq!(
        privgraph::snapshot::save(&store.reader().read()),
        privgraph::snapshot::save(&head)
    );
    timed(
        "  checkpoint at revision 10,000 (writes wait meanwhile)",
        || store.checkpoint().expect("checkpoint"),
    );
    drop(store);
    timed("  open: verify, load the checkpoint at 10,000", || {
        Store::open(
            dir.path(),
            Config {
                checkpoint_every: 0,
                ..Config::default()
            },
        )
        .expect("open")
    });
    println!(
        "  ratios to the floor's build: API build {:.2}x, open from checkpoint {:.2}x, from checkpoint + 10,000 batches {:.2}x",
        api_s / floor_s,
        open_s / floor_s,
        replay_s / floor_s
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; the other flags are ours.
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    writes(1, seconds);
    writes(16, seconds);
    if args.iter().any(|a| a == "--small") {
        recovery(generator::SMALL, "small");
    } else {
        recovery(generator::LARGE, "large");
    }
}
