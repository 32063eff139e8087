//! Peer comparison (BENCHMARKS.md): the same seeded graph loaded into privgraph,
//! cedar-policy, casbin-rs, a naive per-check graph search and the "flat lookup" floor;
//! every engine's answer to every query is compared with privgraph's (and privgraph's
//! with the floor's, which is computed from the description alone), and the run exits
//! non-zero on any disagreement. Prints median ns per check and build time side by
//! side, with ratios to privgraph and to the floor.
//!
//! Run: `cd benches/peers && cargo run --release` (about a minute of running on 2 cores,
//! after a build of several minutes). Options, in any order:
//!
//! - `small` or `large`: run one graph only;
//! - `--rounds N` (default 5): passes over the query list per engine, interleaved (round
//!   1 of every engine, then round 2 of every engine, …) so that a change of the
//!   machine's load hits every engine alike; more rounds give steadier medians;
//! - `--builds N` (default 3): fresh child processes per engine for build time and
//!   memory, interleaved the same way; the median is reported;
//! - `--quick`: only privgraph and the two floors (no naive search, cedar or casbin).
//!
//! Check latency: queries are timed in batches (one `Instant` pair per batch); the
//! figure is the median of the batches' per-check means over all rounds. Build time and
//! memory come from a fresh child process per (engine, graph): wall time of the build,
//! and the process's peak resident set (`VmHWM`) minus the peak before the build (the
//! description alone). The load average (`/proc/loadavg`) is printed before and after
//! each graph.
//!
//! Two floors: the *flat lookup* (one precomputed `hashbrown` probe keyed by the pair of
//! integer indices) and the *two-map floor* (the same probe behind two `hashbrown` maps
//! of `String` ids: what a check by string ids costs done naively).
//!
//! What runs where, to stay under five minutes on 2 cores:
//! - small graph: every engine;
//! - large graph: privgraph, floor, naive search, casbin (few queries: ~60 ms each);
//!   cedar is skipped on the large graph (a first measurement took 6–96 s to build and
//!   2.4–17.5 GB, its transitive closure of the entity hierarchy).

#[path = "../../support/generator.rs"]
mod generator;

use std::cell::RefCell;
use std::collections::{HashMap as StdHashMap, HashSet as StdHashSet};
use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::str::FromStr;
use std::time::Instant;

use hashbrown::HashMap;
use privgraph::concurrent::Writer;
use privgraph::graph::{Graph, User};
use privgraph::privileges::HandleServicePrivileges;

use generator::{Csr, Description, HS_PRIVILEGES, Query, Size};

// ----- measurement -------------------------------------------------------------------

/// Per-check means of timed batches, over every round, and the answers of the last.
struct Samples {
    batch: usize,
    samples: Vec<f64>,
    answers: Vec<bool>,
}

impl Samples {
    fn new(n: usize, batch: usize) -> Self {
        Samples {
            batch,
            samples: Vec::new(),
            answers: vec![false; n],
        }
    }

    /// One pass over the `n` queries, timed in batches.
    fn round(&mut self, mut check: impl FnMut(usize) -> bool) {
        let n = self.answers.len();
        let mut start_i = 0;
        while start_i < n {
            let end = (start_i + self.batch).min(n);
            let start = Instant::now();
            for (i, answer) in self.answers[start_i..end].iter_mut().enumerate() {
                *answer = black_box(check(black_box(start_i + i)));
            }
            self.samples
                .push(start.elapsed().as_nanos() as f64 / (end - start_i) as f64);
            start_i = end;
        }
    }

    fn median_ns(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        sorted[sorted.len() / 2]
    }
}

/// Median per-check ns over batches of `rounds` passes, and the answers of the last.
struct Measured {
    median_ns: f64,
    answers: Vec<bool>,
}

fn measure(n: usize, batch: usize, rounds: usize, check: impl FnMut(usize) -> bool) -> Measured {
    let mut samples = Samples::new(n, batch);
    let mut check = check;
    for _ in 0..rounds {
        samples.round(&mut check);
    }
    Measured {
        median_ns: samples.median_ns(),
        answers: samples.answers,
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

// ----- engines -----------------------------------------------------------------------

/// The floor: one precomputed `hashbrown` probe per check.
struct Floor(HashMap<(u32, u32), u8>);

impl Floor {
    fn build(d: &Description) -> Self {
        Floor(generator::flat_lookup(d))
    }
    #[inline]
    fn check(&self, q: Query) -> bool {
        self.0
            .get(&(q.user, q.service))
            .is_some_and(|p| p & q.bit() != 0)
    }
}

/// The two-map floor: the floor behind two `hashbrown` maps of `String` ids, resolved on
/// every check (what a check by string ids costs with ordinary maps).
struct TwoMapFloor {
    users: HashMap<String, u32>,
    services: HashMap<String, u32>,
    floor: Floor,
}

impl TwoMapFloor {
    fn build(d: &Description) -> Self {
        TwoMapFloor {
            users: (0..d.size.users)
                .map(|i| (generator::user_id(i), i))
                .collect(),
            services: (0..d.size.services)
                .map(|i| (generator::service_id(i), i))
                .collect(),
            floor: Floor::build(d),
        }
    }
    #[inline]
    fn check(&self, user: &str, service: &str, bit: u8) -> bool {
        match (self.users.get(user), self.services.get(service)) {
            (Some(&u), Some(&s)) => self.floor.0.get(&(u, s)).is_some_and(|p| p & bit != 0),
            _ => false,
        }
    }
}

/// A graph search per check: the user's direct grant, then up the nesting from the
/// user's groups until a group that holds the privilege in the service is found.
struct Naive {
    user_groups: Csr<u32>,
    parents: Csr<u32>,
    service_users: Csr<(u32, u8)>,
    service_groups: Csr<(u32, u8)>,
    scratch: RefCell<(Vec<u32>, u32, Vec<u32>)>,
}

impl Naive {
    fn build(d: &Description) -> Self {
        Naive {
            user_groups: Csr::new(d.size.users, d.user_groups.iter().copied()),
            parents: Csr::new(d.size.groups, d.group_parents.iter().copied()),
            service_users: Csr::new(
                d.size.services,
                d.service_users.iter().map(|&(s, u, p)| (s, (u, p))),
            ),
            service_groups: Csr::new(
                d.size.services,
                d.service_groups.iter().map(|&(s, g, p)| (s, (g, p))),
            ),
            scratch: RefCell::new((vec![0; d.size.groups as usize], 0, Vec::new())),
        }
    }

    fn check(&self, q: Query) -> bool {
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
        if !targets.iter().any(|&(_, p)| p & bit != 0) {
            return false;
        }
        let mut scratch = self.scratch.borrow_mut();
        let (seen, stamp, stack) = &mut *scratch;
        *stamp += 1;
        stack.clear();
        stack.extend_from_slice(self.user_groups.of(q.user));
        while let Some(g) = stack.pop() {
            if seen[g as usize] == *stamp {
                continue;
            }
            seen[g as usize] = *stamp;
            if targets.iter().any(|&(t, p)| t == g && p & bit != 0) {
                return true;
            }
            stack.extend_from_slice(self.parents.of(g));
        }
        false
    }
}

mod cedar {
    use super::*;
    use cedar_policy::{
        Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
        PolicySet, Request, RestrictedExpression,
    };

    /// Cedar with roles as entities: `Role::"hs{s}/{privilege}"`; a user's parents are
    /// its groups and the roles of its direct grants, a group's its parent groups and the
    /// roles of its grants; a handle service names its six roles in attributes. One
    /// policy per privilege: `permit(principal, action == Action::"p", resource) when {
    /// principal in resource.p }`.
    pub struct Cedar {
        authorizer: Authorizer,
        policies: PolicySet,
        entities: Entities,
    }

    fn uid(ty: &str, id: &str) -> EntityUid {
        EntityUid::from_type_name_and_id(
            EntityTypeName::from_str(ty).expect("type name"),
            EntityId::new(id),
        )
    }

    fn role(service: u32, privilege: usize) -> EntityUid {
        uid(
            "Role",
            &format!(
                "{}/{}",
                generator::service_id(service),
                HS_PRIVILEGES[privilege]
            ),
        )
    }

    fn roles_of(service: u32, bits: u8, out: &mut StdHashSet<EntityUid>) {
        for i in 0..HS_PRIVILEGES.len() {
            if bits & (1 << i) != 0 {
                out.insert(role(service, i));
            }
        }
    }

    impl Cedar {
        pub fn build(d: &Description) -> Self {
            let mut policy_text = String::new();
            for name in HS_PRIVILEGES {
                policy_text.push_str(&format!(
                    "permit(principal, action == Action::\"{name}\", resource is HandleService) \
                     when {{ principal in resource.{name} }};\n"
                ));
            }
            let policies = PolicySet::from_str(&policy_text).expect("policies parse");

            let mut user_parents: Vec<StdHashSet<EntityUid>> =
                vec![StdHashSet::new(); d.size.users as usize];
            let mut group_parents: Vec<StdHashSet<EntityUid>> =
                vec![StdHashSet::new(); d.size.groups as usize];
            for &(u, g) in &d.user_groups {
                user_parents[u as usize].insert(uid("Group", &generator::group_id(g)));
            }
            for &(c, p) in &d.group_parents {
                group_parents[c as usize].insert(uid("Group", &generator::group_id(p)));
            }
            for &(s, u, p) in &d.service_users {
                roles_of(s, p, &mut user_parents[u as usize]);
            }
            for &(s, g, p) in &d.service_groups {
                roles_of(s, p, &mut group_parents[g as usize]);
            }
            let mut all =
                Vec::with_capacity((d.size.users + d.size.groups + d.size.services * 7) as usize);
            for (u, parents) in user_parents.into_iter().enumerate() {
                all.push(Entity::new_no_attrs(
                    uid("User", &generator::user_id(u as u32)),
                    parents,
                ));
            }
            for (g, parents) in group_parents.into_iter().enumerate() {
                all.push(Entity::new_no_attrs(
                    uid("Group", &generator::group_id(g as u32)),
                    parents,
                ));
            }
            for s in 0..d.size.services {
                let mut attrs = StdHashMap::new();
                for (i, name) in HS_PRIVILEGES.iter().enumerate() {
                    all.push(Entity::new_no_attrs(role(s, i), StdHashSet::new()));
                    attrs.insert(
                        (*name).to_owned(),
                        RestrictedExpression::new_entity_uid(role(s, i)),
                    );
                }
                all.push(
                    Entity::new(
                        uid("HandleService", &generator::service_id(s)),
                        attrs,
                        StdHashSet::new(),
                    )
                    .expect("entity"),
                );
            }
            let entities = Entities::from_entities(all, None).expect("entities");
            Cedar {
                authorizer: Authorizer::new(),
                policies,
                entities,
            }
        }

        pub fn request(q: Query) -> Request {
            Request::new(
                uid("User", &generator::user_id(q.user)),
                uid("Action", HS_PRIVILEGES[q.privilege as usize]),
                uid("HandleService", &generator::service_id(q.service)),
                Context::empty(),
                None,
            )
            .expect("request")
        }

        /// `None` when the evaluation reported errors (counted as a disagreement).
        pub fn check(&self, request: &Request) -> Option<bool> {
            let response = self
                .authorizer
                .is_authorized(request, &self.policies, &self.entities);
            if response.diagnostics().errors().next().is_some() {
                return None;
            }
            Some(response.decision() == Decision::Allow)
        }
    }
}

mod casbin_engine {
    use super::*;
    use casbin::prelude::*;
    use casbin::{DefaultRoleManager, MemoryAdapter};
    use std::sync::Arc;

    /// casbin-rs RBAC: `p, member, hs{s}, privilege` for each direct grant (users and
    /// groups alike), `g, u{i}, g{j}` and `g, child, parent` for memberships and
    /// nesting; the role manager is allowed 64 levels (the default 10 would miss the
    /// generator's deeper chains).
    pub const MODEL: &str = "\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub)
";

    pub struct Casbin(Enforcer);

    impl Casbin {
        pub fn build(d: &Description) -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async {
                let model = DefaultModel::from_str(MODEL).await.expect("model");
                let mut e = Enforcer::new(model, MemoryAdapter::default())
                    .await
                    .expect("enforcer");
                e.set_role_manager(Arc::new(parking_lot::RwLock::new(DefaultRoleManager::new(
                    64,
                ))))
                .expect("role manager");
                let mut p = Vec::new();
                let grants = d
                    .service_users
                    .iter()
                    .map(|&(s, u, bits)| (generator::user_id(u), s, bits))
                    .chain(
                        d.service_groups
                            .iter()
                            .map(|&(s, g, bits)| (generator::group_id(g), s, bits)),
                    );
                for (member, s, bits) in grants {
                    for (i, name) in HS_PRIVILEGES.iter().enumerate() {
                        if bits & (1 << i) != 0 {
                            p.push(vec![
                                member.clone(),
                                generator::service_id(s),
                                (*name).to_owned(),
                            ]);
                        }
                    }
                }
                assert!(e.add_policies(p).await.expect("policies"));
                let mut g: Vec<Vec<String>> = d
                    .user_groups
                    .iter()
                    .map(|&(u, g)| vec![generator::user_id(u), generator::group_id(g)])
                    .collect();
                g.extend(
                    d.group_parents
                        .iter()
                        .map(|&(c, p)| vec![generator::group_id(c), generator::group_id(p)]),
                );
                assert!(e.add_grouping_policies(g).await.expect("grouping policies"));
                Casbin(e)
            })
        }

        pub fn check(&self, user: &str, service: &str, privilege: &str) -> bool {
            self.0.enforce((user, service, privilege)).expect("enforce")
        }
    }
}

// ----- the run -----------------------------------------------------------------------

/// Engines built in child processes, in report order.
const ENGINES: [&str; 8] = [
    "privgraph",
    "privgraph-builder",
    "privgraph-snapshot",
    "floor",
    "two-map",
    "naive",
    "cedar",
    "casbin",
];

/// Builds one engine in this (child) process and prints its build time and memory.
fn child(engine: &str, size: Size) {
    let d = generator::generate(size, generator::SEED);
    // The snapshot loader's input is made before the clock starts, as the description is
    // for every engine.
    let snapshot = (engine == "privgraph-snapshot").then(|| generator::snapshot_of(&d));
    let base = status_kb("VmHWM:");
    let start = Instant::now();
    let built: Box<dyn std::any::Any> = match engine {
        "privgraph" => Box::new(generator::build_privgraph(&d).graph),
        "privgraph-builder" => Box::new(generator::build_privgraph_with_builder(&d).graph),
        "privgraph-snapshot" => Box::new(
            snapshot
                .as_ref()
                .expect("made above")
                .to_graph()
                .expect("the generator's snapshot loads"),
        ),
        "floor" => Box::new(Floor::build(&d)),
        "two-map" => Box::new(TwoMapFloor::build(&d)),
        "naive" => Box::new(Naive::build(&d)),
        "cedar" => Box::new(cedar::Cedar::build(&d)),
        "casbin" => Box::new(casbin_engine::Casbin::build(&d)),
        other => panic!("unknown engine {other}"),
    };
    let seconds = start.elapsed().as_secs_f64();
    let hwm = status_kb("VmHWM:");
    let rss = status_kb("VmRSS:");
    println!("CHILD {seconds} {base} {hwm} {rss}");
    std::mem::forget(built); // exiting frees it; dropping would only add time
}

/// Runs one check path for a while and nothing else, for a profiler (`perf record`):
/// `keys`, `ids`, `reader-keys`, `reader-ids`, `checker-keys`, `checker-ids`, `floor` or
/// `two-map`.
fn profile(path: &str, size: Size) {
    let d = generator::generate(size, generator::SEED);
    let queries = generator::queries(size, 1_000_000, generator::SEED);
    let sets = generator::hs_sets();
    let loaded = generator::build_privgraph(&d);
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
    let ids: Vec<(String, String, HandleServicePrivileges, u8)> = queries
        .iter()
        .map(|q| {
            (
                generator::user_id(q.user),
                generator::service_id(q.service),
                sets[q.bit() as usize],
                q.bit(),
            )
        })
        .collect();
    let floor = Floor::build(&d);
    let two_map = TwoMapFloor::build(&d);
    let writer = Writer::new(loaded.graph);
    let reader = writer.reader();
    let published = reader.read();
    let graph: &Graph = &published;
    let mut samples = Samples::new(queries.len(), 1000);
    eprintln!("profiling {path}");
    for _ in 0..30 {
        match path {
            "keys" => samples.round(|i| {
                let (u, s, p) = keyed[i];
                graph.has_privilege(u, s, p)
            }),
            "ids" => samples.round(|i| {
                let (u, s, p, _) = &ids[i];
                graph.has_privilege_by_id::<User, _>(u, s, *p)
            }),
            "reader-keys" => samples.round(|i| {
                let (u, s, p) = keyed[i];
                reader.has_privilege(u, s, p)
            }),
            "reader-ids" => samples.round(|i| {
                let (u, s, p, _) = &ids[i];
                reader.has_privilege_by_id::<User, _>(u, s, *p)
            }),
            "checker-keys" => {
                let mut checker = reader.checker();
                samples.round(|i| {
                    let (u, s, p) = keyed[i];
                    checker.has_privilege(u, s, p)
                })
            }
            "checker-ids" => {
                let mut checker = reader.checker();
                samples.round(|i| {
                    let (u, s, p, _) = &ids[i];
                    checker.has_privilege_by_id::<User, _>(u, s, *p)
                })
            }
            "floor" => samples.round(|i| floor.check(queries[i])),
            "two-map" => samples.round(|i| {
                let (u, s, _, bit) = &ids[i];
                two_map.check(u, s, *bit)
            }),
            other => panic!("unknown path {other}"),
        }
    }
    println!("{path}: median {:.1} ns", samples.median_ns());
}

#[derive(Clone, Copy, Default)]
struct Build {
    seconds: f64,
    /// Peak resident set during the build minus the peak before it, in MB.
    peak_mb: f64,
    /// Resident set after the build minus the peak before it, in MB.
    rss_mb: f64,
}

fn build_in_child(engine: &str, size_name: &str) -> Build {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .args(["--child", engine, size_name])
        .output()
        .expect("child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(line) = text.lines().find(|l| l.starts_with("CHILD ")) else {
        panic!(
            "child {engine} {size_name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let v: Vec<f64> = line[6..]
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    Build {
        seconds: v[0],
        peak_mb: (v[2] - v[1]) / 1024.0,
        rss_mb: (v[3] - v[1]) / 1024.0,
    }
}

struct Row {
    engine: String,
    queries: usize,
    /// Median ns per check; `None` for a row that reports a build only.
    ns: Option<f64>,
    build: Option<Build>,
}

/// How many queries each engine answers on one graph (0 = skipped).
struct Plan {
    name: &'static str,
    size: Size,
    fast: usize,
    naive: usize,
    cedar: usize,
    casbin: usize,
}

/// Options of the run.
struct Options {
    rounds: usize,
    builds: usize,
    quick: bool,
}

fn run(plan: &Plan, options: &Options, disagreements: &mut usize) -> Vec<Row> {
    let size = plan.size;
    let d = generator::generate(size, generator::SEED);
    let s = generator::stats(&d);
    let n = plan.fast;
    let queries = generator::queries(size, n, generator::SEED);
    println!(
        "\n== {} graph: {} users, {} groups, {} handle services; {} nestings, {} user-in-group, \
         {} handle-service memberships, {} roots, longest chain {} groups (load average {})",
        plan.name,
        size.users,
        size.groups,
        size.services,
        s.group_nestings,
        s.user_memberships,
        s.service_memberships,
        s.roots,
        s.longest_chain,
        load_average()
    );

    let wanted: Vec<&str> = ENGINES
        .into_iter()
        .filter(|&engine| match engine {
            "naive" => !options.quick,
            "cedar" => plan.cedar > 0 && !options.quick,
            "casbin" => plan.casbin > 0 && !options.quick,
            _ => true,
        })
        .collect();
    // Fresh processes, interleaved (one build of every engine, then the next round) so
    // that a change of the machine's load hits every engine alike; the median build
    // time of each engine is reported.
    let mut runs: Vec<Vec<Build>> = vec![Vec::new(); wanted.len()];
    for _ in 0..options.builds {
        for (engine, runs) in wanted.iter().zip(&mut runs) {
            runs.push(build_in_child(engine, plan.name));
        }
    }
    let mut builds: StdHashMap<&str, Build> = StdHashMap::new();
    for (engine, mut runs) in wanted.into_iter().zip(runs) {
        let times = runs
            .iter()
            .map(|r| format!("{:.2}", r.seconds))
            .collect::<Vec<_>>()
            .join(" / ");
        runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let b = runs[runs.len() / 2];
        eprintln!(
            "  built {engine} ({}) in {} child processes: {times} s; median {:.2} s, \
             peak +{:.0} MB, resident after +{:.0} MB (load average {})",
            plan.name,
            runs.len(),
            b.seconds,
            b.peak_mb,
            b.rss_mb,
            load_average()
        );
        builds.insert(engine, b);
    }

    let sets = generator::hs_sets();
    let loaded = generator::build_privgraph(&d);
    let floor = Floor::build(&d);
    let two_map = TwoMapFloor::build(&d);
    println!(
        "   (user, service) pairs with some effective privilege: {}; queries answered yes: {:.1} %",
        floor.0.len(),
        100.0 * queries.iter().filter(|&&q| floor.check(q)).count() as f64 / n as f64
    );

    // The same graph loaded in the opposite order, and through the snapshot loader, must
    // answer the same.
    let check_other = |name: &str, other: &generator::Loaded, disagreements: &mut usize| {
        let bad = queries
            .iter()
            .filter(|q| {
                let (u, s, p) = (
                    other.users[q.user as usize],
                    other.services[q.service as usize],
                    sets[q.bit() as usize],
                );
                other.graph.has_privilege(u, s, p) != floor.check(**q)
            })
            .count();
        println!("   privgraph {name}: {bad} of {n} answers differ from the floor's");
        if bad > 0 {
            eprintln!("DISAGREEMENT: privgraph {name} differs from the floor");
            *disagreements += bad;
        }
    };
    {
        let start = Instant::now();
        let top_down = generator::build_privgraph_in(&d, generator::LoadOrder::TopDown);
        let seconds = start.elapsed().as_secs_f64();
        check_other(
            &format!(
                "loaded top-down (service grants, then users, then nesting) in {seconds:.2} s"
            ),
            &top_down,
            disagreements,
        );
    }
    {
        let snapshot = generator::snapshot_of(&d);
        let start = Instant::now();
        let graph = snapshot.to_graph().expect("the generator's snapshot loads");
        let seconds = start.elapsed().as_secs_f64();
        let bulk = generator::Loaded::keys_of(graph, &d);
        check_other(
            &format!("loaded from its snapshot in {seconds:.2} s"),
            &bulk,
            disagreements,
        );
        if bulk.graph != loaded.graph {
            eprintln!("DISAGREEMENT: the snapshot's graph differs from the API's");
            *disagreements += 1;
        }
    }

    let built = {
        let start = Instant::now();
        let built = generator::build_privgraph_with_builder(&d);
        let seconds = start.elapsed().as_secs_f64();
        check_other(
            &format!("built through the graph builder in {seconds:.2} s"),
            &built,
            disagreements,
        );
        if built.graph != loaded.graph {
            eprintln!("DISAGREEMENT: the graph builder's graph differs from the API's");
            *disagreements += 1;
        }
        let answers: Vec<bool> = queries
            .iter()
            .map(|q| {
                built.graph.has_privilege(
                    built.users[q.user as usize],
                    built.services[q.service as usize],
                    sets[q.bit() as usize],
                )
            })
            .collect();
        answers
    };

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
    let ids: Vec<(String, String, HandleServicePrivileges, u8)> = queries
        .iter()
        .map(|q| {
            (
                generator::user_id(q.user),
                generator::service_id(q.service),
                sets[q.bit() as usize],
                q.bit(),
            )
        })
        .collect();
    // The graph published to readers; `Graph` checks run on the same copy.
    let writer = Writer::new(loaded.graph);
    let reader = writer.reader();
    let published = reader.read();
    let graph: &Graph = &published;

    // The fast engines, measured in interleaved rounds.
    let names = [
        "privgraph has_privilege (keys)",
        "privgraph has_privilege_by_id",
        "Reader::has_privilege (keys)",
        "Reader::has_privilege_by_id",
        "Checker::has_privilege (keys)",
        "Checker::has_privilege_by_id",
        "flat lookup (floor)",
        "two-map floor (2 String maps + probe)",
    ];
    let mut checker = reader.checker();
    let mut samples: Vec<Samples> = names.iter().map(|_| Samples::new(n, 1000)).collect();
    for _ in 0..options.rounds {
        samples[0].round(|i| {
            let (u, s, p) = keyed[i];
            graph.has_privilege(u, s, p)
        });
        samples[1].round(|i| {
            let (u, s, p, _) = &ids[i];
            graph.has_privilege_by_id::<User, _>(u, s, *p)
        });
        samples[2].round(|i| {
            let (u, s, p) = keyed[i];
            reader.has_privilege(u, s, p)
        });
        samples[3].round(|i| {
            let (u, s, p, _) = &ids[i];
            reader.has_privilege_by_id::<User, _>(u, s, *p)
        });
        samples[4].round(|i| {
            let (u, s, p) = keyed[i];
            checker.has_privilege(u, s, p)
        });
        samples[5].round(|i| {
            let (u, s, p, _) = &ids[i];
            checker.has_privilege_by_id::<User, _>(u, s, *p)
        });
        samples[6].round(|i| floor.check(queries[i]));
        samples[7].round(|i| {
            let (u, s, _, bit) = &ids[i];
            two_map.check(u, s, *bit)
        });
    }
    drop(checker);

    let floor_answers = samples[6].answers.clone();
    let mut rows = Vec::new();
    let mut compare = |engine: &str, answers: &[bool], ns: Option<f64>, build: Option<Build>| {
        let bad = answers
            .iter()
            .zip(&floor_answers)
            .filter(|(a, b)| a != b)
            .count();
        if bad > 0 {
            eprintln!(
                "DISAGREEMENT: {engine} differs from the floor on {bad} of {} queries ({})",
                answers.len(),
                plan.name
            );
            *disagreements += bad;
        }
        rows.push(Row {
            engine: engine.to_owned(),
            queries: answers.len(),
            ns,
            build,
        });
    };
    let build_of = |engine: &str| builds.get(engine).copied();
    let fast_builds = [
        build_of("privgraph"),
        build_of("privgraph-snapshot"),
        None,
        None,
        None,
        None,
        build_of("floor"),
        build_of("two-map"),
    ];
    for ((name, s), build) in names.iter().zip(&samples).zip(fast_builds) {
        compare(name, &s.answers, Some(s.median_ns()), build);
    }
    // Built through the graph builder: its build, and (unmeasured) answers.
    compare(
        "privgraph GraphBuilder (build only)",
        &built,
        None,
        build_of("privgraph-builder"),
    );
    drop(samples);
    drop(ids);

    if !options.quick {
        let naive = Naive::build(&d);
        let m = measure(plan.naive.min(n), 100, 1, |i| naive.check(queries[i]));
        compare(
            "naive graph search per check",
            &m.answers,
            Some(m.median_ns),
            build_of("naive"),
        );
    }

    if plan.cedar > 0 && !options.quick {
        let cedar = cedar::Cedar::build(&d);
        let requests: Vec<_> = queries[..plan.cedar]
            .iter()
            .map(|&q| cedar::Cedar::request(q))
            .collect();
        let mut errors = 0;
        let m = measure(requests.len(), 50, 1, |i| match cedar.check(&requests[i]) {
            Some(a) => a,
            None => {
                errors += 1;
                !floor_answers[i] // an error always counts as a disagreement
            }
        });
        if errors > 0 {
            eprintln!("DISAGREEMENT: cedar reported evaluation errors on {errors} queries");
        }
        compare(
            "cedar-policy is_authorized",
            &m.answers,
            Some(m.median_ns),
            build_of("cedar"),
        );
    }

    if plan.casbin > 0 && !options.quick {
        let casbin = casbin_engine::Casbin::build(&d);
        let strings: Vec<(String, String, &str)> = queries[..plan.casbin]
            .iter()
            .map(|q| {
                (
                    generator::user_id(q.user),
                    generator::service_id(q.service),
                    HS_PRIVILEGES[q.privilege as usize],
                )
            })
            .collect();
        let m = measure(strings.len(), 1, 1, |i| {
            let (u, s, p) = &strings[i];
            casbin.check(u, s, p)
        });
        compare(
            "casbin-rs enforce",
            &m.answers,
            Some(m.median_ns),
            build_of("casbin"),
        );
    }
    drop(published);
    drop(writer);
    rows
}

fn print(rows: &[Row]) {
    let find = |prefix: &str| {
        rows.iter()
            .find(|r| r.engine.starts_with(prefix))
            .expect("a floor row")
    };
    let (floor, two_map) = (find("flat"), find("two-map"));
    let floor_build = floor.build.unwrap_or_default();
    println!(
        "{:<38} {:>9} {:>11} {:>8} {:>8} | {:>8} {:>7} | {:>8} {:>7} {:>9} {:>7}",
        "engine",
        "queries",
        "median ns",
        "×floor",
        "×2-map",
        "build s",
        "×floor",
        "peak MB",
        "×floor",
        "after MB",
        "×floor"
    );
    for r in rows {
        let build = match r.build {
            Some(b) => format!(
                "{:>8.3} {:>7.2} | {:>8.0} {:>7.2} {:>9.0} {:>7.2}",
                b.seconds,
                b.seconds / floor_build.seconds,
                b.peak_mb,
                b.peak_mb / floor_build.peak_mb,
                b.rss_mb,
                b.rss_mb / floor_build.rss_mb,
            ),
            None => format!(
                "{:>8} {:>7} | {:>8} {:>7} {:>9} {:>7}",
                "", "", "", "", "", ""
            ),
        };
        let check = match (r.ns, floor.ns, two_map.ns) {
            (Some(ns), Some(floor_ns), Some(two_map_ns)) => {
                format!("{ns:>11.1} {:>8.2} {:>8.2}", ns / floor_ns, ns / two_map_ns)
            }
            _ => format!("{:>11} {:>8} {:>8}", "", "", ""),
        };
        println!("{:<38} {:>9} {check} | {build}", r.engine, r.queries,);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let size_of = |name: &str| match name {
        "small" => generator::SMALL,
        "large" => generator::LARGE,
        other => panic!("unknown size {other}"),
    };
    if args.len() == 4 && args[1] == "--child" {
        child(&args[2], size_of(&args[3]));
        return ExitCode::SUCCESS;
    }
    if args.len() == 4 && args[1] == "--profile" {
        profile(&args[2], size_of(&args[3]));
        return ExitCode::SUCCESS;
    }
    let mut options = Options {
        rounds: 5,
        builds: 3,
        quick: false,
    };
    let mut only: Option<String> = None;
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let mut positive = |flag: &str| -> usize {
            rest.next()
                .and_then(|n| n.parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| panic!("{flag} takes a positive number"))
        };
        match arg.as_str() {
            "--rounds" => options.rounds = positive("--rounds"),
            "--builds" => options.builds = positive("--builds"),
            "--quick" => options.quick = true,
            "small" | "large" => only = Some(arg.clone()),
            other => {
                panic!("unknown argument {other} (small, large, --rounds N, --builds N, --quick)")
            }
        }
    }

    let plans = [
        Plan {
            name: "small",
            size: generator::SMALL,
            fast: 1_000_000,
            naive: 1_000_000,
            cedar: 100_000,
            casbin: 1_000,
        },
        Plan {
            name: "large",
            size: generator::LARGE,
            fast: 1_000_000,
            naive: 200_000,
            cedar: 0,
            casbin: 100,
        },
    ];
    println!(
        "privgraph peer comparison (shared generator, seed {:#x}); {} CPUs; {} rounds{}",
        generator::SEED,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.rounds,
        if options.quick {
            "; quick (floors and privgraph only)"
        } else {
            ""
        }
    );
    println!(
        "Every engine answers the first N of the same uniformly random queries; N differs \
         (column 'queries'): cedar {} (small only: its entity closure of the large graph \
         needs 2.4–17.5 GB), casbin {} small / {} large (milliseconds per check).",
        plans[0].cedar, plans[0].casbin, plans[1].casbin
    );
    println!(
        "Check ns = median over batches of the mean per check (batches of 1,000, every \
         round; 100 for the naive search, 50 for cedar, 1 for casbin, one round). Build s \
         and memory: {} child processes per engine, interleaved (median build time reported); peak \
         MB = VmHWM growth during the build, after MB = VmRSS after it minus VmHWM before \
         it. privgraph builds through the graph API (one call per relation, each keeping \
         effective relations current); privgraph-snapshot (the row of \
         has_privilege_by_id) loads the same graph from its snapshot; the GraphBuilder \
         row makes the graph API's calls on a GraphBuilder.",
        options.builds
    );
    let mut disagreements = 0;
    for plan in &plans {
        if only.as_ref().is_some_and(|o| o != plan.name) {
            continue;
        }
        let started = Instant::now();
        let rows = run(plan, &options, &mut disagreements);
        print(&rows);
        println!(
            "   ({} graph done in {:.0} s; load average {})",
            plan.name,
            started.elapsed().as_secs_f64(),
            load_average()
        );
    }
    if disagreements > 0 {
        eprintln!("FAILED: {disagreements} disagreements");
        ExitCode::FAILURE
    } else {
        println!("\nAll engines agree with the floor on every query they answered.");
        ExitCode::SUCCESS
    }
}
