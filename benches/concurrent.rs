//! Checks while a writer writes, on the big-group workload: 100,000 users in one group
//! that is a member of 100 handle services; the writer toggles one privilege of the
//! group in one service (a grant, then a revoke: each touches the 100,000 users there).
//!
//! One reader thread checks random (user, service) pairs for `handle_service_view`;
//! every check is timed alone. Modes, each for `--seconds S` (default 10):
//!
//! - `graph`: checks on a plain `Graph`, no writer (the single-threaded figure);
//! - `reader`: checks through `concurrent::Reader`, no writer;
//! - `reader+looping`: the same while a writer toggles as fast as it can;
//! - `reader+paced`: while a writer does one grant and one revoke every 100 ms;
//! - `rwlock+looping`, `rwlock+paced`: the same two through `std::sync::RwLock<Graph>`,
//!   the way to share a graph without this crate's handle.
//!
//! Printed per mode: checks per second, p50 / p99 / max check latency (the timer's own
//! cost included, the same in every mode), writes and their p50 / p99 / max latency;
//! then resident memory of one graph and of the writer's two copies.
//!
//! Run: `cargo bench --bench concurrent -- --seconds 10` (it stops by itself).

use std::hint::black_box;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use privgraph::concurrent::Writer;
use privgraph::graph::{
    Author, Batch, Change, Graph, Group, HandleService, Key, MemberType, TargetKind, User,
};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS, PrivilegeUpdate};

const USERS: usize = 100_000;
const SERVICES: usize = 100;

fn base() -> HS {
    HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_LIST_HANDLES | HS::HANDLE_SERVICE_REGISTER_HANDLE
}

struct Workload {
    graph: Graph,
    users: Vec<Key<User>>,
    services: Vec<Key<HandleService>>,
    group: Key<Group>,
}

fn build() -> Workload {
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
    Workload {
        graph,
        users,
        services,
        group,
    }
}

/// A log-linear latency histogram: 32 buckets per power of two, so percentiles are
/// within about 3 %.
struct Histogram {
    counts: Vec<u64>,
    max: u64,
    total: u64,
}

impl Histogram {
    const SUB: u64 = 32;

    fn new() -> Histogram {
        Histogram {
            counts: vec![0; 64 * Self::SUB as usize],
            max: 0,
            total: 0,
        }
    }

    fn bucket(ns: u64) -> usize {
        if ns < Self::SUB {
            return ns as usize;
        }
        let power = 63 - ns.leading_zeros() as u64;
        let shift = power - 5;
        let sub = (ns >> shift) - Self::SUB;
        ((shift + 1) * Self::SUB + sub) as usize
    }

    fn lower_bound(bucket: usize) -> u64 {
        let bucket = bucket as u64;
        if bucket < Self::SUB {
            return bucket;
        }
        let shift = bucket / Self::SUB - 1;
        (Self::SUB + bucket % Self::SUB) << shift
    }

    fn record(&mut self, ns: u64) {
        let last = self.counts.len() - 1;
        self.counts[Self::bucket(ns).min(last)] += 1;
        self.max = self.max.max(ns);
        self.total += 1;
    }

    fn percentile(&self, p: f64) -> u64 {
        let wanted = ((self.total as f64) * p).ceil() as u64;
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted && count > 0 {
                return Self::lower_bound(bucket);
            }
        }
        self.max
    }
}

fn show(ns: u64) -> String {
    match ns {
        0..=9_999 => format!("{ns} ns"),
        10_000..=9_999_999 => format!("{:.1} µs", ns as f64 / 1e3),
        _ => format!("{:.2} ms", ns as f64 / 1e6),
    }
}

/// Checks `check(i)` for `seconds`, timing each one.
fn read_for(seconds: f64, mut check: impl FnMut(usize) -> bool) -> (Histogram, f64) {
    let mut hist = Histogram::new();
    let started = Instant::now();
    let limit = Duration::from_secs_f64(seconds);
    let mut i = 0usize;
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    while started.elapsed() < limit {
        for _ in 0..256 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let t = Instant::now();
            black_box(check(rng as usize));
            hist.record(t.elapsed().as_nanos() as u64);
            i += 1;
        }
    }
    let rate = i as f64 / started.elapsed().as_secs_f64();
    (hist, rate)
}

#[derive(Clone, Copy)]
enum Pace {
    Looping,
    Every100ms,
}

/// Runs `write` (one grant or revoke, alternating) until `stop`, at `pace`.
fn write_until(stop: &AtomicBool, pace: Pace, mut write: impl FnMut(bool)) -> Histogram {
    let mut hist = Histogram::new();
    let mut grant = true;
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if let Pace::Every100ms = pace {
            // One grant and one revoke per 100 ms.
            let now = Instant::now();
            if now < next {
                std::thread::sleep((next - now).min(Duration::from_millis(5)));
                continue;
            }
            next += Duration::from_millis(50);
        }
        let t = Instant::now();
        write(grant);
        hist.record(t.elapsed().as_nanos() as u64);
        grant = !grant;
    }
    hist
}

fn report(mode: &str, reads: &(Histogram, f64), writes: Option<&Histogram>) {
    let (hist, rate) = reads;
    print!(
        "{mode:<16} {:>10.0} checks/s  p50 {:>7}  p99 {:>7}  max {:>8}",
        rate,
        show(hist.percentile(0.50)),
        show(hist.percentile(0.99)),
        show(hist.max)
    );
    match writes {
        Some(w) => println!(
            "  | {:>5} writes  p50 {:>7}  p99 {:>7}  max {:>8}",
            w.total,
            show(w.percentile(0.50)),
            show(w.percentile(0.99)),
            show(w.max)
        ),
        None => println!(),
    }
}

fn toggle(group: &str) -> impl Fn(bool) -> Batch + '_ {
    move |grant| {
        let privileges = if grant {
            base() | HS::HANDLE_SERVICE_UPDATE
        } else {
            base()
        };
        Batch::new(
            Author::Library,
            vec![Change::SetMemberPrivileges {
                kind: TargetKind::HandleService,
                id: "hs0".into(),
                member_type: MemberType::Group,
                member_id: group.into(),
                privileges: privileges.into(),
            }],
        )
    }
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

fn main() {
    let seconds = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let rss_start = resident_bytes();
    let Workload {
        graph,
        users,
        services,
        group: _,
    } = build();
    let rss_one = resident_bytes();
    let pick = |i: usize| (users[i % USERS], services[(i >> 20) % SERVICES]);
    println!(
        "big group: {USERS} users in one group in {SERVICES} handle services; {seconds} s per mode"
    );

    let reads = read_for(seconds, |i| {
        let (u, s) = pick(i);
        graph.has_privilege(u, s, HS::HANDLE_SERVICE_VIEW)
    });
    report("graph", &reads, None);

    let mut writer = Writer::new(graph);
    let rss_two = resident_bytes();
    let reader = writer.reader();
    let reads = read_for(seconds, |i| {
        let (u, s) = pick(i);
        reader.has_privilege(u, s, HS::HANDLE_SERVICE_VIEW)
    });
    report("reader", &reads, None);

    let batch = toggle("big");
    for (mode, pace) in [
        ("reader+looping", Pace::Looping),
        ("reader+paced", Pace::Every100ms),
    ] {
        let stop = AtomicBool::new(false);
        let (reads, writes) = std::thread::scope(|scope| {
            let writes = scope.spawn(|| {
                write_until(&stop, pace, |grant| {
                    writer.commit(batch(grant)).unwrap();
                })
            });
            let reads = read_for(seconds, |i| {
                let (u, s) = pick(i);
                reader.has_privilege(u, s, HS::HANDLE_SERVICE_VIEW)
            });
            stop.store(true, Ordering::Relaxed);
            (reads, writes.join().unwrap())
        });
        report(mode, &reads, Some(&writes));
    }

    // The lock's own graph, with its own keys (keys name the graph that issued them).
    drop((writer, reader));
    let locked = build();
    let rwlock = RwLock::new(locked.graph);
    let (service, group) = (locked.services[0], locked.group);
    let pick = |i: usize| {
        (
            locked.users[i % USERS],
            locked.services[(i >> 20) % SERVICES],
        )
    };
    for (mode, pace) in [
        ("rwlock+looping", Pace::Looping),
        ("rwlock+paced", Pace::Every100ms),
    ] {
        let stop = AtomicBool::new(false);
        let (reads, writes) = std::thread::scope(|scope| {
            let writes = scope.spawn(|| {
                write_until(&stop, pace, |grant| {
                    let update = if grant {
                        PrivilegeUpdate::Set(base() | HS::HANDLE_SERVICE_UPDATE)
                    } else {
                        PrivilegeUpdate::Set(base())
                    };
                    let mut graph = rwlock.write().unwrap();
                    graph
                        .update_member_privileges(service, group, &update)
                        .unwrap();
                })
            });
            let reads = read_for(seconds, |i| {
                let (u, s) = pick(i);
                rwlock
                    .read()
                    .unwrap()
                    .has_privilege(u, s, HS::HANDLE_SERVICE_VIEW)
            });
            stop.store(true, Ordering::Relaxed);
            (reads, writes.join().unwrap())
        });
        report(mode, &reads, Some(&writes));
    }
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let one = rss_one.saturating_sub(rss_start);
    let two = rss_two.saturating_sub(rss_start);
    println!(
        "memory: one graph {:.0} MiB; writer's two copies {:.0} MiB ({:.2}x one graph)",
        mib(one),
        mib(two),
        two as f64 / one.max(1) as f64
    );
}
