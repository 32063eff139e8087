//! Scale run: 1,000,000 users, 100,000 groups nested up to 8 levels deep, 100,000
//! handle services, in the shape of the shared generator of BENCHMARKS.md (each user in 1–4
//! groups, each service with 0–3 users and 1–4 groups, random non-empty privilege sets).
//!
//! Prints the load time, the process's peak memory (`VmHWM`), and check latency p50 /
//! p99 by keys and by string ids: 1,000 samples of 1,000 uniformly random checks each,
//! every sample timed with `std::time::Instant`, reported as ns per check. Uniform
//! queries are mostly "no", so 100,000 queries built to be "yes" (a user's group holds
//! the privilege in the service, directly or through its parents) are timed too. 20,000
//! answers of each kind are verified against a plain graph search over the description;
//! the run exits non-zero on a wrong answer.
//!
//! Run: `cargo run --release --example scale` (about a minute, ~4 GB of memory).

#[path = "../benches/support/generator.rs"]
mod generator;

use std::hint::black_box;
use std::time::Instant;

use privgraph::graph::User;

const SIZE: generator::Size = generator::Size {
    users: 1_000_000,
    groups: 100_000,
    services: 100_000,
};
const MAX_DEPTH: u32 = 8;
const SAMPLES: usize = 1_000;
const PER_SAMPLE: usize = 1_000;

fn status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_owned())
        .unwrap_or_else(|| "?".to_owned())
}

fn percentiles(mut ns: Vec<f64>) -> (f64, f64, f64) {
    ns.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| ns[((ns.len() - 1) as f64 * p).round() as usize];
    (at(0.50), at(0.99), ns[ns.len() - 1])
}

/// The description indexed for a plain graph search (the reference answers).
struct Index {
    parents: generator::Csr<u32>,
    user_groups: generator::Csr<u32>,
    service_users: generator::Csr<(u32, u8)>,
    service_groups: generator::Csr<(u32, u8)>,
}

impl Index {
    fn new(d: &generator::Description) -> Self {
        Index {
            parents: generator::Csr::new(SIZE.groups, d.group_parents.iter().copied()),
            user_groups: generator::Csr::new(SIZE.users, d.user_groups.iter().copied()),
            service_users: generator::Csr::new(
                SIZE.services,
                d.service_users.iter().map(|&(s, u, p)| (s, (u, p))),
            ),
            service_groups: generator::Csr::new(
                SIZE.services,
                d.service_groups.iter().map(|&(s, g, p)| (s, (g, p))),
            ),
        }
    }

    /// Does the query's user hold its privilege in its service?
    fn search(&self, q: generator::Query) -> bool {
        let bit = q.bit();
        if self
            .service_users
            .of(q.service)
            .iter()
            .any(|&(u, p)| u == q.user && p & bit != 0)
        {
            return true;
        }
        let targets = self.service_groups.of(q.service);
        let mut stack: Vec<u32> = self.user_groups.of(q.user).to_vec();
        let mut seen = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue;
            }
            if targets.iter().any(|&(t, p)| t == g && p & bit != 0) {
                return true;
            }
            stack.extend_from_slice(self.parents.of(g));
        }
        false
    }
}

fn main() {
    let start = Instant::now();
    let d = generator::generate_with_depth(SIZE, generator::SEED, Some(MAX_DEPTH));
    let stats = generator::stats(&d);
    println!(
        "generated in {:.2} s: {} users, {} groups ({} roots, {} nestings, longest chain {} \
         groups), {} handle services; {} user-in-group and {} handle-service memberships",
        start.elapsed().as_secs_f64(),
        SIZE.users,
        SIZE.groups,
        stats.roots,
        stats.group_nestings,
        stats.longest_chain,
        SIZE.services,
        stats.user_memberships,
        stats.service_memberships
    );
    println!("memory before load: VmHWM {}", status("VmHWM:"));

    let start = Instant::now();
    let loaded = generator::build_privgraph(&d);
    let load = start.elapsed().as_secs_f64();
    println!(
        "load time: {load:.2} s; peak memory VmHWM {} (VmRSS {})",
        status("VmHWM:"),
        status("VmRSS:")
    );

    let sets = generator::hs_sets();
    let graph = &loaded.graph;
    let queries = generator::queries(SIZE, SAMPLES * PER_SAMPLE, generator::SEED);
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
    let ids: Vec<(String, String, _)> = queries
        .iter()
        .map(|q| {
            (
                generator::user_id(q.user),
                generator::service_id(q.service),
                sets[q.bit() as usize],
            )
        })
        .collect();

    let mut yes = 0usize;
    let mut by_keys = Vec::with_capacity(SAMPLES);
    for chunk in keyed.chunks(PER_SAMPLE) {
        let start = Instant::now();
        for &(u, s, p) in chunk {
            yes += usize::from(black_box(graph.has_privilege(
                black_box(u),
                black_box(s),
                p,
            )));
        }
        by_keys.push(start.elapsed().as_nanos() as f64 / chunk.len() as f64);
    }
    let mut by_ids = Vec::with_capacity(SAMPLES);
    for chunk in ids.chunks(PER_SAMPLE) {
        let start = Instant::now();
        for (u, s, p) in chunk {
            black_box(graph.has_privilege_by_id::<User, _>(black_box(u), black_box(s), *p));
        }
        by_ids.push(start.elapsed().as_nanos() as f64 / chunk.len() as f64);
    }
    let (p50, p99, max) = percentiles(by_keys);
    println!(
        "check by keys: p50 {p50:.1} ns, p99 {p99:.1} ns, max {max:.1} ns per check \
         ({SAMPLES} samples of {PER_SAMPLE}); {:.2} % answered yes",
        100.0 * yes as f64 / queries.len() as f64
    );
    let (p50, p99, max) = percentiles(by_ids);
    println!("check by ids:  p50 {p50:.1} ns, p99 {p99:.1} ns, max {max:.1} ns per check");

    let index = Index::new(&d);
    let start = Instant::now();
    let checked = 20_000;
    let mut wrong = 0;
    for (q, &(u, s, p)) in queries.iter().zip(&keyed).take(checked) {
        if index.search(*q) != graph.has_privilege(u, s, p) {
            wrong += 1;
        }
    }
    println!(
        "verified {checked} answers against a search over the description in {:.1} s: {wrong} wrong",
        start.elapsed().as_secs_f64()
    );
    // Uniform queries are mostly "no"; also check and time queries that must be "yes":
    // a user's group holds a privilege in a service (directly or through its parents).
    let closure = generator::group_closure(&d);
    let mut rng = generator::Rng::new(generator::SEED ^ 0x9E5);
    let mut positive = Vec::with_capacity(SAMPLES * PER_SAMPLE / 10);
    while positive.len() < SAMPLES * PER_SAMPLE / 10 {
        let (user, group) = d.user_groups[rng.below(d.user_groups.len() as u32) as usize];
        let eff = &closure[group as usize];
        if eff.is_empty() {
            continue;
        }
        let (service, bits) = eff[rng.below(eff.len() as u32) as usize];
        let privilege = (0..6u8)
            .cycle()
            .skip(rng.below(6) as usize)
            .find(|&i| bits & (1 << i) != 0)
            .expect("non-empty set");
        positive.push(generator::Query {
            user,
            service,
            privilege,
        });
    }
    let keyed: Vec<_> = positive
        .iter()
        .map(|q| {
            (
                loaded.users[q.user as usize],
                loaded.services[q.service as usize],
                sets[q.bit() as usize],
            )
        })
        .collect();
    let mut no = 0usize;
    let mut hits = Vec::with_capacity(keyed.len() / PER_SAMPLE);
    for chunk in keyed.chunks(PER_SAMPLE) {
        let start = Instant::now();
        for &(u, s, p) in chunk {
            no += usize::from(!black_box(graph.has_privilege(
                black_box(u),
                black_box(s),
                p,
            )));
        }
        hits.push(start.elapsed().as_nanos() as f64 / chunk.len() as f64);
    }
    let (p50, p99, max) = percentiles(hits);
    println!(
        "check by keys, {} queries that must be yes: p50 {p50:.1} ns, p99 {p99:.1} ns, max \
         {max:.1} ns per check; {no} answered no",
        keyed.len()
    );
    let mut wrong_yes = no;
    for q in positive.iter().take(checked) {
        wrong_yes += usize::from(!index.search(*q));
    }
    println!("verified {checked} of them against the search too: {wrong_yes} wrong in all");
    wrong += wrong_yes;
    println!("final VmHWM {}", status("VmHWM:"));
    if wrong > 0 {
        std::process::exit(1);
    }
}
