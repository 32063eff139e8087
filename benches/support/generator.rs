//! The shared, seeded graph generator (described in BENCHMARKS.md).
//!
//! `U` users, `G` groups, `S` handle services. Group `i` gets 0–3 parents among the
//! groups with a lower index (a DAG; 20 % of groups are roots, the others get 1–3
//! distinct parents). Each user is a direct member of 1–4 distinct random groups. Each
//! handle service has 0–3 distinct direct users and 1–4 distinct direct groups. Every
//! membership in a handle service carries a random non-empty subset of the six
//! handle-service privileges. Queries are uniformly random (user, service, privilege)
//! triples.
//!
//! The generator has its own PRNG (SplitMix64), so the same seed gives the same graph in
//! every crate that includes this file (`#[path = "support/generator.rs"] mod
//! generator;` from `benches/`, `#[path = "../../support/generator.rs"]` from
//! `benches/peers/src`). It produces a plain [`Description`] (vectors of edges with
//! privileges as bit sets over [`HS_PRIVILEGES`]) that any engine can load;
//! [`build_privgraph`] loads it into a [`privgraph::graph::Graph`] and [`flat_lookup`]
//! materializes it into the "flat lookup" floor, independently of privgraph.
#![allow(dead_code)]

use hashbrown::HashMap;
use privgraph::graph::{
    Child, Graph, GraphBuilder, Group, HandleService, Independent, Key, MemberOf, Parent, Target,
    User,
};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges, Privileges};
use privgraph::snapshot::{GroupEntry, HandleServiceEntry, Snapshot, UserEntry};

/// The six handle-service privileges; bit `i` of a [`Description`] privilege set is
/// `HS_PRIVILEGES[i]` (sorted by name, as privgraph's own table).
pub const HS_PRIVILEGES: [&str; 6] = [
    "handle_service_delete",
    "handle_service_list_handles",
    "handle_service_manage_handles",
    "handle_service_register_handle",
    "handle_service_update",
    "handle_service_view",
];

/// The seed every bench and the peer comparison use.
pub const SEED: u64 = 0x5EED_CAFE_F00D_0006;

/// SplitMix64: tiny, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant at these sizes).
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n)) as u32
    }

    /// A random non-empty subset of the six handle-service privileges.
    pub fn privileges(&mut self) -> u8 {
        loop {
            let p = (self.next_u64() & 0x3F) as u8;
            if p != 0 {
                return p;
            }
        }
    }

    /// `k` distinct values of `0..n` (fewer when `n < k`), appended to `out`.
    fn distinct(&mut self, k: u32, n: u32, out: &mut Vec<u32>) {
        let start = out.len();
        let k = k.min(n);
        while ((out.len() - start) as u32) < k {
            let x = self.below(n);
            if !out[start..].contains(&x) {
                out.push(x);
            }
        }
    }
}

/// How many entities of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub users: u32,
    pub groups: u32,
    pub services: u32,
}

/// 10,000 users, 1,000 groups, 1,000 handle services.
pub const SMALL: Size = Size {
    users: 10_000,
    groups: 1_000,
    services: 1_000,
};

/// 100,000 users, 10,000 groups, 10,000 handle services.
pub const LARGE: Size = Size {
    users: 100_000,
    groups: 10_000,
    services: 10_000,
};

/// The generated direct graph. Indices are dense: user `i` is `u{i}`, group `i` is
/// `g{i}`, handle service `i` is `hs{i}` (see [`user_id`], [`group_id`],
/// [`service_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    pub size: Size,
    /// `(child, parent)`, `parent < child`, grouped by child in increasing order.
    pub group_parents: Vec<(u32, u32)>,
    /// `(user, group)`, grouped by user in increasing order.
    pub user_groups: Vec<(u32, u32)>,
    /// `(service, user, privileges)`.
    pub service_users: Vec<(u32, u32, u8)>,
    /// `(service, group, privileges)`.
    pub service_groups: Vec<(u32, u32, u8)>,
}

/// One check: does `user` hold `HS_PRIVILEGES[privilege]` in `service`?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub user: u32,
    pub service: u32,
    pub privilege: u8,
}

impl Query {
    /// The privilege as a one-bit set.
    pub fn bit(self) -> u8 {
        1 << self.privilege
    }
}

pub fn user_id(i: u32) -> String {
    format!("u{i}")
}
pub fn group_id(i: u32) -> String {
    format!("g{i}")
}
pub fn service_id(i: u32) -> String {
    format!("hs{i}")
}

/// The shared generator's graph of `size`.
pub fn generate(size: Size, seed: u64) -> Description {
    generate_with_depth(size, seed, None)
}

/// As [`generate`], but no group is nested deeper than `max_depth` levels below a root
/// (a parent already at `max_depth` is redrawn; after 64 redraws the group stays a
/// root). Used by `examples/scale.rs`.
pub fn generate_with_depth(size: Size, seed: u64, max_depth: Option<u32>) -> Description {
    let mut rng = Rng::new(seed);
    let mut depth = vec![0u32; size.groups as usize];
    let mut group_parents = Vec::with_capacity(size.groups as usize * 2);
    let mut picked = Vec::with_capacity(4);
    for child in 0..size.groups {
        picked.clear();
        if child > 0 && rng.below(5) != 0 {
            let k = 1 + rng.below(3);
            match max_depth {
                None => rng.distinct(k, child, &mut picked),
                Some(limit) => {
                    let mut tries = 0;
                    while (picked.len() as u32) < k.min(child) && tries < 64 {
                        tries += 1;
                        let p = rng.below(child);
                        if depth[p as usize] < limit && !picked.contains(&p) {
                            picked.push(p);
                        }
                    }
                }
            }
        }
        let mut d = 0;
        for &parent in &picked {
            d = d.max(depth[parent as usize] + 1);
            group_parents.push((child, parent));
        }
        depth[child as usize] = d;
    }
    let mut user_groups = Vec::with_capacity(size.users as usize * 5 / 2);
    for user in 0..size.users {
        picked.clear();
        let k = 1 + rng.below(4);
        rng.distinct(k, size.groups, &mut picked);
        user_groups.extend(picked.iter().map(|&g| (user, g)));
    }
    let mut service_users = Vec::with_capacity(size.services as usize * 3 / 2);
    let mut service_groups = Vec::with_capacity(size.services as usize * 5 / 2);
    for service in 0..size.services {
        picked.clear();
        let k = rng.below(4);
        rng.distinct(k, size.users, &mut picked);
        for &u in &picked {
            let p = rng.privileges();
            service_users.push((service, u, p));
        }
        picked.clear();
        let k = 1 + rng.below(4);
        rng.distinct(k, size.groups, &mut picked);
        for &g in &picked {
            let p = rng.privileges();
            service_groups.push((service, g, p));
        }
    }
    Description {
        size,
        group_parents,
        user_groups,
        service_users,
        service_groups,
    }
}

/// `n` uniformly random queries, from their own stream (`seed` mixed with a constant, so
/// they differ from the graph's draws).
pub fn queries(size: Size, n: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed ^ 0x0051_C0FF_EE00_0001);
    (0..n)
        .map(|_| Query {
            user: rng.below(size.users),
            service: rng.below(size.services),
            privilege: rng.below(6) as u8,
        })
        .collect()
}

/// Every subset of the six privileges, as privgraph sets (index = bit set).
pub fn hs_sets() -> [HandleServicePrivileges; 64] {
    let mut sets = [HandleServicePrivileges::empty(); 64];
    for (bits, set) in sets.iter_mut().enumerate() {
        for (i, name) in HS_PRIVILEGES.iter().enumerate() {
            if bits & (1 << i) != 0 {
                set.insert(HandleServicePrivileges::from_onezone_name(name).expect("known name"));
            }
        }
    }
    sets
}

/// A [`Description`] loaded into privgraph, with the key of every entity by index.
pub struct Loaded {
    pub graph: Graph,
    pub users: Vec<Key<User>>,
    pub groups: Vec<Key<Group>>,
    pub services: Vec<Key<HandleService>>,
}

/// The order in which [`build_privgraph_in`] adds the relations (the result must not
/// depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOrder {
    /// Nesting, then users into groups, then handle-service memberships: every
    /// membership in a service reaches members that are already in place.
    BottomUp,
    /// Handle-service memberships, then users into groups, then nesting (children into
    /// parents in decreasing index order): every user and group enters targets that
    /// already have members and grants, so everything propagates upward.
    TopDown,
}

/// Builds a privgraph [`Graph`] from `d` in [`LoadOrder::BottomUp`] order.
pub fn build_privgraph(d: &Description) -> Loaded {
    build_privgraph_in(d, LoadOrder::BottomUp)
}

/// Builds a privgraph [`Graph`] from `d`: creates every entity, then adds the relations
/// in `order`. Group memberships carry no group privileges.
pub fn build_privgraph_in(d: &Description, order: LoadOrder) -> Loaded {
    let mut graph = Graph::new();
    let Keys {
        users,
        groups,
        services,
    } = make_calls(&mut graph, d, order);
    Loaded {
        graph,
        users,
        groups,
        services,
    }
}

/// Builds the graph [`build_privgraph`] builds through a [`GraphBuilder`]: the same
/// calls, effective relations computed once at the end.
pub fn build_privgraph_with_builder(d: &Description) -> Loaded {
    let mut builder = Graph::builder();
    let Keys {
        users,
        groups,
        services,
    } = make_calls(&mut builder, d, LoadOrder::BottomUp);
    Loaded {
        graph: builder.build().expect("the generator's nesting is acyclic"),
        users,
        groups,
        services,
    }
}

/// The calls for entities and direct relations, which a [`Graph`] and a
/// [`GraphBuilder`] both take (the generator's calls never fail).
trait DirectCalls {
    fn create_entity<K: Independent>(&mut self, id: &str) -> Key<K>;
    fn nest_group(&mut self, child: Key<Group>, parent: Key<Group>);
    fn join<M: MemberOf<T>, T: Target>(&mut self, target: Key<T>, member: Key<M>, p: T::Privileges);
}

/// Both types name these calls alike, so one body serves both.
macro_rules! direct_calls {
    ($($Type:ty),+) => {$(
        impl DirectCalls for $Type {
            fn create_entity<K: Independent>(&mut self, id: &str) -> Key<K> {
                self.create::<K>(id).expect("new entity")
            }
            fn nest_group(&mut self, child: Key<Group>, parent: Key<Group>) {
                self.nest(Child(child), Parent(parent), GroupPrivileges::empty())
                    .expect("nesting");
            }
            fn join<M: MemberOf<T>, T: Target>(
                &mut self,
                target: Key<T>,
                member: Key<M>,
                p: T::Privileges,
            ) {
                self.add_member(target, member, p).expect("membership");
            }
        }
    )+};
}

direct_calls!(Graph, GraphBuilder);

/// The key of every entity of a [`Description`], by index.
struct Keys {
    users: Vec<Key<User>>,
    groups: Vec<Key<Group>>,
    services: Vec<Key<HandleService>>,
}

/// Makes `d`'s calls on `graph`: every entity, then the relations in `order`.
fn make_calls<G: DirectCalls>(graph: &mut G, d: &Description, order: LoadOrder) -> Keys {
    let sets = hs_sets();
    let users: Vec<Key<User>> = (0..d.size.users)
        .map(|i| graph.create_entity(&user_id(i)))
        .collect();
    let groups: Vec<Key<Group>> = (0..d.size.groups)
        .map(|i| graph.create_entity(&group_id(i)))
        .collect();
    let services: Vec<Key<HandleService>> = (0..d.size.services)
        .map(|i| graph.create_entity(&service_id(i)))
        .collect();
    let nesting = |graph: &mut G, edges: &mut dyn Iterator<Item = &(u32, u32)>| {
        for &(child, parent) in edges {
            graph.nest_group(groups[child as usize], groups[parent as usize]);
        }
    };
    let users_in_groups = |graph: &mut G| {
        for &(user, group) in &d.user_groups {
            graph.join(
                groups[group as usize],
                users[user as usize],
                GroupPrivileges::empty(),
            );
        }
    };
    let service_memberships = |graph: &mut G| {
        for &(service, user, p) in &d.service_users {
            graph.join(
                services[service as usize],
                users[user as usize],
                sets[p as usize],
            );
        }
        for &(service, group, p) in &d.service_groups {
            graph.join(
                services[service as usize],
                groups[group as usize],
                sets[p as usize],
            );
        }
    };
    match order {
        LoadOrder::BottomUp => {
            nesting(graph, &mut d.group_parents.iter());
            users_in_groups(graph);
            service_memberships(graph);
        }
        LoadOrder::TopDown => {
            service_memberships(graph);
            users_in_groups(graph);
            nesting(graph, &mut d.group_parents.iter().rev());
        }
    }
    Keys {
        users,
        groups,
        services,
    }
}

impl Loaded {
    /// The keys of a graph that holds `d`'s entities under their generator ids (one
    /// loaded from [`snapshot_of`]).
    pub fn keys_of(graph: Graph, d: &Description) -> Loaded {
        let users = (0..d.size.users)
            .map(|i| graph.key::<User>(&user_id(i)).expect("user"))
            .collect();
        let groups = (0..d.size.groups)
            .map(|i| graph.key::<Group>(&group_id(i)).expect("group"))
            .collect();
        let services = (0..d.size.services)
            .map(|i| graph.key::<HandleService>(&service_id(i)).expect("service"))
            .collect();
        Loaded {
            graph,
            users,
            groups,
            services,
        }
    }
}

/// `d` as a snapshot (the input of the snapshot loader): the same entities and direct
/// relations [`build_privgraph`] creates.
pub fn snapshot_of(d: &Description) -> Snapshot {
    let sets = hs_sets();
    let mut snapshot = Snapshot {
        users: (0..d.size.users)
            .map(|i| UserEntry {
                id: user_id(i),
                ..Default::default()
            })
            .collect(),
        groups: (0..d.size.groups)
            .map(|i| GroupEntry {
                id: group_id(i),
                ..Default::default()
            })
            .collect(),
        handle_services: (0..d.size.services)
            .map(|i| HandleServiceEntry {
                id: service_id(i),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    for &(child, parent) in &d.group_parents {
        snapshot.groups[parent as usize]
            .children
            .insert(group_id(child), GroupPrivileges::empty());
    }
    for &(user, group) in &d.user_groups {
        snapshot.groups[group as usize]
            .users
            .insert(user_id(user), GroupPrivileges::empty());
    }
    for &(service, user, p) in &d.service_users {
        snapshot.handle_services[service as usize]
            .users
            .insert(user_id(user), sets[p as usize]);
    }
    for &(service, group, p) in &d.service_groups {
        snapshot.handle_services[service as usize]
            .groups
            .insert(group_id(group), sets[p as usize]);
    }
    snapshot
}

/// Compressed adjacency: `starts[i]..starts[i + 1]` indexes `items` for node `i`.
pub struct Csr<T> {
    pub starts: Vec<u32>,
    pub items: Vec<T>,
}

impl<T: Copy> Csr<T> {
    pub fn new(n: u32, pairs: impl Iterator<Item = (u32, T)>) -> Self {
        let mut pairs: Vec<(u32, T)> = pairs.collect();
        pairs.sort_by_key(|&(i, _)| i); // stable: keeps the input order within a node
        let mut starts = vec![0u32; n as usize + 1];
        for &(i, _) in &pairs {
            starts[i as usize + 1] += 1;
        }
        for i in 0..n as usize {
            starts[i + 1] += starts[i];
        }
        let items = pairs.into_iter().map(|(_, x)| x).collect();
        Csr { starts, items }
    }

    #[inline]
    pub fn of(&self, i: u32) -> &[T] {
        &self.items[self.starts[i as usize] as usize..self.starts[i as usize + 1] as usize]
    }
}

/// The effective privileges of every group in every handle service, by group:
/// `(service, privileges)` sorted by service. Groups are processed in index order, so a
/// group's parents are done before it.
pub fn group_closure(d: &Description) -> Vec<Vec<(u32, u8)>> {
    let parents = Csr::new(d.size.groups, d.group_parents.iter().map(|&(c, p)| (c, p)));
    let direct = Csr::new(
        d.size.groups,
        d.service_groups.iter().map(|&(s, g, p)| (g, (s, p))),
    );
    let mut eff: Vec<Vec<(u32, u8)>> = Vec::with_capacity(d.size.groups as usize);
    let mut buf: Vec<(u32, u8)> = Vec::new();
    for g in 0..d.size.groups {
        buf.clear();
        buf.extend_from_slice(direct.of(g));
        for &p in parents.of(g) {
            buf.extend_from_slice(&eff[p as usize]);
        }
        eff.push(merge(&mut buf));
    }
    eff
}

/// Sorts `(service, privileges)` pairs and ORs those of one service together.
fn merge(buf: &mut [(u32, u8)]) -> Vec<(u32, u8)> {
    buf.sort_unstable_by_key(|&(s, _)| s);
    let mut out: Vec<(u32, u8)> = Vec::with_capacity(buf.len());
    for &(s, p) in buf.iter() {
        match out.last_mut() {
            Some((last, bits)) if *last == s => *bits |= p,
            _ => out.push((s, p)),
        }
    }
    out
}

/// The "flat lookup" floor: every `(user, service)` pair with some effective privilege,
/// mapped to those privileges, computed from `d` alone (not through privgraph).
pub fn flat_lookup(d: &Description) -> HashMap<(u32, u32), u8> {
    let eff = group_closure(d);
    let user_groups = Csr::new(d.size.users, d.user_groups.iter().map(|&(u, g)| (u, g)));
    let user_direct = Csr::new(
        d.size.users,
        d.service_users.iter().map(|&(s, u, p)| (u, (s, p))),
    );
    let mut map: HashMap<(u32, u32), u8> = HashMap::new();
    let mut buf: Vec<(u32, u8)> = Vec::new();
    for u in 0..d.size.users {
        buf.clear();
        buf.extend_from_slice(user_direct.of(u));
        for &g in user_groups.of(u) {
            buf.extend_from_slice(&eff[g as usize]);
        }
        for (s, p) in merge(&mut buf) {
            map.insert((u, s), p);
        }
    }
    map
}

/// Facts about a description, for the reports.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub group_nestings: usize,
    pub user_memberships: usize,
    pub service_memberships: usize,
    pub roots: u32,
    /// The longest chain of nested groups, counted in groups.
    pub longest_chain: u32,
}

pub fn stats(d: &Description) -> Stats {
    let mut depth = vec![1u32; d.size.groups as usize];
    let mut has_parent = vec![false; d.size.groups as usize];
    for &(c, p) in &d.group_parents {
        depth[c as usize] = depth[c as usize].max(depth[p as usize] + 1);
        has_parent[c as usize] = true;
    }
    Stats {
        group_nestings: d.group_parents.len(),
        user_memberships: d.user_groups.len(),
        service_memberships: d.service_users.len() + d.service_groups.len(),
        roots: has_parent.iter().filter(|&&h| !h).count() as u32,
        longest_chain: depth.iter().copied().max().unwrap_or(0),
    }
}
