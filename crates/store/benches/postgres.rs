//! Replicas over PostgreSQL, on a throwaway cluster on 127.0.0.1 (`privgraph-testpg`);
//! stops by itself.
//!
//! - **Acknowledged writes per second** through PostgreSQL: 1 writer thread; 16 writer
//!   threads on one replica (they share a transaction per group); 16 threads spread
//!   over two replicas (their groups take turns at the log's head). Each for
//!   `--seconds S` (default 5), with the latency from submit to acknowledgement.
//! - **Replication lag**: one replica writes a batch, then the time until another
//!   replica publishes it (woken by `NOTIFY`, no on-demand catch-up), p50 / p99 / max
//!   over `--samples N` writes (default 1,000); and what the follower's metrics
//!   (`Replica::replication`) reported, sampled every millisecond meanwhile.
//!
//! Run: `cargo bench -p privgraph-store --features postgres --bench postgres`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use privgraph::graph::{Author, Batch, Change, EntityKind, Graph};
use privgraph_store::postgres::{self, Replica, ReplicaConfig};

fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
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

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `threads` writers, thread `t` on `replicas[t % len]`, for `seconds`.
fn writes(label: &str, replicas: &[Arc<Replica>], threads: usize, seconds: u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (handle, stop) = (replicas[t % replicas.len()].handle(), Arc::clone(&stop));
            let prefix = format!("{label}-{t}-");
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let submitted = Instant::now();
                    handle
                        .commit(create_user(format!("{prefix}{i}")))
                        .expect("a write is acknowledged");
                    latencies.push(submitted.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("a writer thread"))
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "{label:<34} {:>8.0} writes/s  latency p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  ({} writes)",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
        latencies.len()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it as a test: skip then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(cluster) = privgraph_testpg::Cluster::start() else {
        return;
    };
    let seconds = arg("--seconds", 5);
    let samples = arg("--samples", 1000) as usize;
    let url = cluster.create_database("bench");
    postgres::init(&url, &Graph::new()).expect("init");
    let config = ReplicaConfig {
        store: privgraph_store::Config {
            checkpoint_every: 0,
            ..Default::default()
        },
        ..ReplicaConfig::default()
    };
    let a = Arc::new(Replica::open(&url, config.clone()).expect("replica a"));
    let b = Arc::new(Replica::open(&url, config).expect("replica b"));
    println!("PostgreSQL on 127.0.0.1, fsync on, synchronous_commit on; {seconds} s per row");
    writes("1 writer, 1 replica", &[Arc::clone(&a)], 1, seconds);
    writes("16 writers, 1 replica", &[Arc::clone(&a)], 16, seconds);
    writes(
        "16 writers over 2 replicas",
        &[Arc::clone(&a), Arc::clone(&b)],
        16,
        seconds,
    );

    // Lag: a write on `a`, then the time until `b` publishes it by itself.
    let head = a
        .at_least(b.revision(), Duration::from_secs(30))
        .expect("caught up")
        .revision();
    b.at_least(head, Duration::from_secs(30))
        .expect("caught up");
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (b, stop) = (Arc::clone(&b), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let replication = b.replication();
                seen.push((replication.lag_revisions, replication.lag_seconds));
                std::thread::sleep(Duration::from_millis(1));
            }
            seen
        })
    };
    let reader = b.reader();
    let mut lags = Vec::with_capacity(samples);
    for i in 0..samples {
        let revision = a
            .handle()
            .commit(create_user(format!("lag-{i}")))
            .expect("a write is acknowledged");
        let committed = Instant::now();
        reader
            .wait_for(revision, Duration::from_secs(30))
            .expect("the follower publishes it");
        lags.push(committed.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    let seen = sampler.join().expect("the sampler");
    lags.sort();
    println!(
        "replication lag, commit on a to visible on b: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} writes)",
        ms(percentile(&lags, 0.5)),
        ms(percentile(&lags, 0.99)),
        ms(lags.last().copied().unwrap_or_default()),
        lags.len()
    );
    let mut revisions: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let mut lag_seconds: Vec<f64> = seen.iter().map(|s| s.1).collect();
    revisions.sort();
    lag_seconds.sort_by(f64::total_cmp);
    println!(
        "b's metrics meanwhile ({} samples): lag_revisions p50 {} p99 {} max {}; lag_seconds p50 {:.4} p99 {:.4} max {:.4}",
        seen.len(),
        percentile(&revisions, 0.5),
        percentile(&revisions, 0.99),
        revisions.last().copied().unwrap_or_default(),
        percentile(&lag_seconds, 0.5),
        percentile(&lag_seconds, 0.99),
        lag_seconds.last().copied().unwrap_or_default(),
    );
}
