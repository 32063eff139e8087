//! The check path allocates nothing: a counting global allocator watches
//! a million checks of every kind on a graph of thousands of entities.
//!
//! The allocator counts `alloc`, `alloc_zeroed` and `realloc` calls, but only on a
//! thread that asked for it, so the test harness and other tests running in parallel
//! cannot disturb the count. A control section shows the counter does see allocations,
//! the graph's own included, so the zero it reports means something.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use privgraph::concurrent::Writer;
use privgraph::graph::{Child, Graph, GraphError, Group, HandleService, Key, Parent, Space, User};
use privgraph::privileges::{
    GroupPrivileges as G, HandleServicePrivileges as HS, OzPrivileges as Oz, PrivilegeUpdate,
    Privileges, SpacePrivileges as S,
};

// ---------------------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------------------

struct Counting;

static ALLOC: AtomicUsize = AtomicUsize::new(0);
static ALLOC_ZEROED: AtomicUsize = AtomicUsize::new(0);
static REALLOC: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and without a destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting_here() -> bool {
    COUNTING.with(Cell::get)
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are plain atomics and the flag a const thread-local, neither of which
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting_here() {
            ALLOC.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counting_here() {
            ALLOC_ZEROED.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting_here() {
            REALLOC.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation counts of one counted section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    alloc: usize,
    alloc_zeroed: usize,
    realloc: usize,
}

impl Counts {
    /// No allocation at all.
    const NONE: Counts = Counts {
        alloc: 0,
        alloc_zeroed: 0,
        realloc: 0,
    };

    fn total(self) -> usize {
        self.alloc + self.alloc_zeroed + self.realloc
    }
}

/// Serializes the counted sections of the tests of this file (the counters are
/// global; the thread filter keeps everybody else out).
static SECTION: Mutex<()> = Mutex::new(());

/// Resets the counters, runs `f` with counting on for this thread, and returns what
/// was counted along with `f`'s result.
fn counted<R>(f: impl FnOnce() -> R) -> (Counts, R) {
    let _guard = SECTION.lock().unwrap_or_else(|e| e.into_inner());
    ALLOC.store(0, Ordering::SeqCst);
    ALLOC_ZEROED.store(0, Ordering::SeqCst);
    REALLOC.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    let counts = Counts {
        alloc: ALLOC.load(Ordering::SeqCst),
        alloc_zeroed: ALLOC_ZEROED.load(Ordering::SeqCst),
        realloc: REALLOC.load(Ordering::SeqCst),
    };
    (counts, result)
}

// ---------------------------------------------------------------------------------------
// A graph of thousands of entities (deterministic)
// ---------------------------------------------------------------------------------------

/// splitmix64: small, deterministic, good enough to shape a test graph.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// `count` distinct indices below `n`.
    fn distinct(&mut self, count: usize, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count.min(n) {
            let i = self.below(n);
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    /// A random subset of a vocabulary (possibly empty).
    fn subset<P: Privileges>(&mut self) -> P {
        let mut set = P::empty();
        for (_, flag) in P::TABLE {
            if self.next().is_multiple_of(3) {
                set.insert(*flag);
            }
        }
        set
    }

    /// A random non-empty subset of a vocabulary.
    fn non_empty<P: Privileges>(&mut self) -> P {
        loop {
            let set = self.subset::<P>();
            if !set.is_empty() {
                return set;
            }
        }
    }

    /// One privilege, or occasionally two, of a vocabulary.
    fn ask<P: Privileges>(&mut self) -> P {
        let table = P::TABLE;
        let mut set = table[self.below(table.len())].1;
        if self.next().is_multiple_of(4) {
            set.insert(table[self.below(table.len())].1);
        }
        set
    }
}

const USERS: usize = 5_000;
const GROUPS: usize = 500;
const HANDLE_SERVICES: usize = 300;
const SPACES: usize = 100;

struct World {
    graph: Graph,
    users: Vec<Key<User>>,
    groups: Vec<Key<Group>>,
    handle_services: Vec<Key<HandleService>>,
    spaces: Vec<Key<Space>>,
    /// A key whose user was deleted.
    ghost: Key<User>,
}

fn world() -> Result<World, GraphError> {
    let mut rng = Rng(0x0a11_0cf2_ee00_0001);
    let mut graph = Graph::new();
    let users: Vec<Key<User>> = (0..USERS)
        .map(|i| graph.create::<User>(&format!("user-{i}")))
        .collect::<Result<_, _>>()?;
    let groups: Vec<Key<Group>> = (0..GROUPS)
        .map(|i| graph.create::<Group>(&format!("group-{i}")))
        .collect::<Result<_, _>>()?;
    let handle_services: Vec<Key<HandleService>> = (0..HANDLE_SERVICES)
        .map(|i| graph.create::<HandleService>(&format!("hs-{i}")))
        .collect::<Result<_, _>>()?;
    let spaces: Vec<Key<Space>> = (0..SPACES)
        .map(|i| graph.create::<Space>(&format!("space-{i}")))
        .collect::<Result<_, _>>()?;

    // Nesting: group i gets 0–3 parents among the groups with a lower index (a DAG).
    for i in 1..GROUPS {
        let parents = rng.between(0, 3).min(i);
        for p in rng.distinct(parents, i) {
            graph.nest(Child(groups[i]), Parent(groups[p]), rng.subset::<G>())?;
        }
    }
    // Each user is a direct member of 1–4 groups.
    for &u in &users {
        let count = rng.between(1, 4);
        for g in rng.distinct(count, GROUPS) {
            graph.add_member(groups[g], u, rng.subset::<G>())?;
        }
    }
    // Each handle service: 0–3 direct users, 1–4 direct groups, non-empty privileges.
    for &hs in &handle_services {
        let count = rng.between(0, 3);
        for u in rng.distinct(count, USERS) {
            graph.add_member(hs, users[u], rng.non_empty::<HS>())?;
        }
        let count = rng.between(1, 4);
        for g in rng.distinct(count, GROUPS) {
            graph.add_member(hs, groups[g], rng.non_empty::<HS>())?;
        }
    }
    // Spaces: 1–5 direct users (the first one owns it) and 1–3 groups.
    for &s in &spaces {
        let count = rng.between(1, 5);
        let members = rng.distinct(count, USERS);
        for &u in &members {
            graph.add_member(s, users[u], rng.subset::<S>())?;
        }
        graph.add_space_owner(s, users[members[0]])?;
        let count = rng.between(1, 3);
        for g in rng.distinct(count, GROUPS) {
            graph.add_member(s, groups[g], rng.subset::<S>())?;
        }
    }
    // Oz privileges for a few users and groups.
    for g in rng.distinct(25, GROUPS) {
        graph.update_oz_privileges(groups[g], &PrivilegeUpdate::Set(rng.subset::<Oz>()))?;
    }
    for u in rng.distinct(25, USERS) {
        graph.update_oz_privileges(users[u], &PrivilegeUpdate::Set(rng.subset::<Oz>()))?;
    }
    let ghost = graph.create::<User>("ghost")?;
    graph.add_member(groups[0], ghost, G::GROUP_VIEW)?;
    graph.delete(ghost)?;
    Ok(World {
        graph,
        users,
        groups,
        handle_services,
        spaces,
        ghost,
    })
}

// ---------------------------------------------------------------------------------------
// Queries, resolved to keys and ids before anything is counted
// ---------------------------------------------------------------------------------------

struct Query {
    user: Key<User>,
    user_id: String,
    group: Key<Group>,
    group_id: String,
    hs: Key<HandleService>,
    hs_id: String,
    hs_ask: HS,
    space: Key<Space>,
    space_id: String,
    space_ask: S,
    group_ask: G,
}

fn queries(world: &World, count: usize) -> Vec<Query> {
    let mut rng = Rng(0x0e1e_c7ed);
    let graph = &world.graph;
    (0..count)
        .map(|i| {
            // Mostly live users; every 97th query asks about the deleted user or an id
            // nobody has.
            let (user, user_id) = match i % 97 {
                0 => (world.ghost, "ghost".to_owned()),
                1 => (world.users[0], "nobody".to_owned()),
                _ => {
                    let u = world.users[rng.below(USERS)];
                    (u, graph.id(u).expect("live").to_owned())
                }
            };
            let group = world.groups[rng.below(GROUPS)];
            let hs = world.handle_services[rng.below(HANDLE_SERVICES)];
            let space = world.spaces[rng.below(SPACES)];
            Query {
                user,
                user_id,
                group,
                group_id: graph.id(group).expect("live").to_owned(),
                hs,
                hs_id: graph.id(hs).expect("live").to_owned(),
                hs_ask: rng.ask::<HS>(),
                space,
                space_id: graph.id(space).expect("live").to_owned(),
                space_ask: rng.ask::<S>(),
                group_ask: rng.ask::<G>(),
            }
        })
        .collect()
}

/// What one round of checks answered: one bit per yes/no check, and the effective
/// sets folded into one number, so that the optimizer must compute all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Answers {
    held: u64,
    sets: u64,
}

impl Answers {
    fn held(self, check: u32) -> bool {
        self.held >> check & 1 == 1
    }

    fn wrapping_add(self, other: Answers) -> Answers {
        Answers {
            held: self.held.wrapping_add(other.held),
            sets: self.sets.wrapping_add(other.sets),
        }
    }
}

/// Bit `i` set when answer `i` is yes.
fn answer_bits(answers: &[bool]) -> u64 {
    answers
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, &yes)| acc | u64::from(yes) << i)
}

/// Every check form of the graph on one query.
#[inline(never)]
fn run_checks(graph: &Graph, q: &Query) -> Answers {
    let checks = [
        // By keys.
        graph.has_privilege(q.user, q.hs, q.hs_ask),
        graph.has_privilege(q.user, q.space, q.space_ask),
        graph.has_privilege(q.user, q.group, q.group_ask),
        graph.has_privilege(q.group, q.hs, q.hs_ask),
        graph.is_effective_member(q.user, q.hs),
        graph.is_effective_member(q.group, q.space),
        // By string ids.
        graph.has_privilege_by_id::<User, _>(&q.user_id, &q.hs_id, q.hs_ask),
        graph.has_privilege_by_id::<User, _>(&q.user_id, &q.space_id, q.space_ask),
        graph.has_privilege_by_id::<User, _>(&q.user_id, &q.group_id, q.group_ask),
        graph.has_privilege_by_id::<Group, _>(&q.group_id, &q.hs_id, q.hs_ask),
        graph.has_oz_privilege(q.user, Oz::OZ_USERS_LIST),
    ];
    let held = answer_bits(&checks);
    // Whole sets.
    let eff_hs = graph
        .effective_privileges(q.user, q.hs)
        .map_or(0, |p| p.bits());
    let eff_space = graph
        .effective_privileges(q.user, q.space)
        .map_or(0, |p| p.bits());
    let eff_group = graph
        .effective_privileges(q.group, q.hs)
        .map_or(0, |p| p.bits());
    let oz = graph
        .effective_oz_privileges(q.user)
        .map_or(0, |p| p.bits());
    let oz_group = graph
        .effective_oz_privileges(q.group)
        .map_or(0, |p| p.bits());
    let sets = u64::from(eff_hs)
        ^ eff_space.rotate_left(8)
        ^ u64::from(eff_group).rotate_left(16)
        ^ (oz as u64)
        ^ ((oz >> 64) as u64).rotate_left(24)
        ^ (oz_group as u64).rotate_left(32)
        ^ ((oz_group >> 64) as u64).rotate_left(40);
    Answers { held, sets }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn the_counter_sees_allocations() -> Result<(), GraphError> {
    let (counts, kept) = counted(|| {
        let mut v: Vec<u64> = Vec::with_capacity(black_box(8));
        let zeroed = vec![0u8; black_box(4096)];
        v.reserve(black_box(10_000));
        black_box((v, zeroed))
    });
    drop(kept);
    assert!(counts.alloc >= 1, "{counts:?}");
    assert!(counts.alloc_zeroed >= 1, "{counts:?}");
    assert!(counts.realloc >= 1, "{counts:?}");

    // The graph's own allocating calls are seen too: lists return vectors.
    let world = world()?;
    let (counts, list) = counted(|| {
        world
            .graph
            .effective_memberships::<User, Group>(black_box(world.users[0]))
    });
    assert!(!list.is_empty());
    assert!(counts.total() >= 1, "{counts:?}");
    Ok(())
}

#[test]
fn a_million_checks_allocate_nothing() -> Result<(), GraphError> {
    const CHECKS: usize = 1_000_000;
    const QUERIES: usize = 4_096;
    let world = world()?;
    let queries = queries(&world, QUERIES);

    // Expected answers, computed before counting (also warms up anything lazy).
    let expected: Vec<Answers> = queries
        .iter()
        .map(|q| run_checks(&world.graph, q))
        .collect();
    let expected_sum = (0..CHECKS).fold(Answers::default(), |acc, i| {
        acc.wrapping_add(expected[i % QUERIES])
    });
    // Plausibility of the query mix: each kind of check holds for some queries and
    // not for others.
    let held = |check: u32| expected.iter().filter(|a| a.held(check)).count();
    for check in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] {
        assert!(
            held(check) > QUERIES / 100 && held(check) < QUERIES - QUERIES / 100,
            "check {check} holds for {} of {QUERIES} queries",
            held(check)
        );
    }
    // By keys and by ids agree wherever the id names the key's user.
    for (q, a) in queries.iter().zip(&expected) {
        if world.graph.key::<User>(&q.user_id) == Some(q.user) {
            assert_eq!(a.held(0), a.held(6));
            assert_eq!(a.held(1), a.held(7));
            assert_eq!(a.held(2), a.held(8));
        }
        assert_eq!(a.held(3), a.held(9));
    }

    let (counts, sum) = counted(|| {
        let graph = black_box(&world.graph);
        let mut sum = Answers::default();
        for i in 0..CHECKS {
            let q = black_box(&queries[i % QUERIES]);
            sum = sum.wrapping_add(black_box(run_checks(graph, q)));
        }
        sum
    });
    assert_eq!(sum, expected_sum, "every check ran and answered as before");
    assert_eq!(counts, Counts::NONE, "{CHECKS} rounds of checks allocated");
    Ok(())
}

/// The checks a reader handle makes on one query, by keys and by ids, as an array of
/// answers; `$handle` is a [`Reader`](privgraph::concurrent::Reader) or a
/// [`Checker`](privgraph::concurrent::Checker), whose methods take `&self` and
/// `&mut self`.
macro_rules! handle_checks {
    ($handle:expr, $q:expr) => {
        [
            $handle.has_privilege($q.user, $q.hs, $q.hs_ask),
            $handle.has_privilege($q.user, $q.space, $q.space_ask),
            $handle.has_privilege($q.group, $q.hs, $q.hs_ask),
            $handle.has_privilege_by_id::<User, _>(&$q.user_id, &$q.hs_id, $q.hs_ask),
            $handle.has_privilege_by_id::<User, _>(&$q.user_id, &$q.space_id, $q.space_ask),
            $handle.has_privilege_by_id::<Group, _>(&$q.group_id, &$q.hs_id, $q.hs_ask),
        ]
    };
}

/// The reader's checks on one query: each answer beside the graph's own.
#[inline(never)]
fn run_reader_checks(reader: &privgraph::concurrent::Reader, q: &Query) -> u64 {
    answer_bits(&handle_checks!(reader, q))
}

/// [`run_reader_checks`] through a checker handle.
#[inline(never)]
fn run_checker_checks(checker: &mut privgraph::concurrent::Checker<'_>, q: &Query) -> u64 {
    answer_bits(&handle_checks!(checker, q))
}

#[test]
fn reader_checks_allocate_nothing_after_a_warm_up() -> Result<(), GraphError> {
    const CHECKS: usize = 200_000;
    const QUERIES: usize = 4_096;
    let world = world()?;
    let queries = queries(&world, QUERIES);
    // What the graph answers, bit for bit in the reader's order.
    let expected: Vec<u64> = queries
        .iter()
        .map(|q| {
            let a = run_checks(&world.graph, q);
            answer_bits(&[0, 1, 3, 6, 7, 9].map(|check| a.held(check)))
        })
        .collect();
    let expected_sum = (0..CHECKS).fold(0u64, |acc, i| acc.wrapping_add(expected[i % QUERIES]));
    assert!(expected.iter().any(|&a| a != 0) && expected.iter().any(|&a| a != 0b11_1111));

    let writer = Writer::new(world.graph);
    let reader = writer.reader();
    // The first read on a thread registers it with the reader's atomic pointer (one
    // allocation per thread, once); the checks after it allocate nothing.
    let warm: Vec<u64> = queries
        .iter()
        .map(|q| run_reader_checks(&reader, q))
        .collect();
    assert_eq!(warm, expected, "the reader answers as the graph");

    let (counts, sum) = counted(|| {
        let reader = black_box(&reader);
        let mut sum = 0u64;
        for i in 0..CHECKS {
            let q = black_box(&queries[i % QUERIES]);
            sum = sum.wrapping_add(black_box(run_reader_checks(reader, q)));
        }
        sum
    });
    assert_eq!(sum, expected_sum, "every check ran and answered as before");
    assert_eq!(
        counts,
        Counts::NONE,
        "{CHECKS} rounds of reader checks allocated"
    );

    let mut checker = reader.checker();
    let warm: Vec<u64> = queries
        .iter()
        .map(|q| run_checker_checks(&mut checker, q))
        .collect();
    assert_eq!(warm, expected, "the checker answers as the graph");
    let (counts, sum) = counted(|| {
        let checker = black_box(&mut checker);
        let mut sum = 0u64;
        for i in 0..CHECKS {
            let q = black_box(&queries[i % QUERIES]);
            sum = sum.wrapping_add(black_box(run_checker_checks(checker, q)));
        }
        sum
    });
    assert_eq!(
        sum, expected_sum,
        "every checker check ran and answered as before"
    );
    assert_eq!(
        counts,
        Counts::NONE,
        "{CHECKS} rounds of checker checks allocated"
    );
    drop(checker);
    drop(writer);
    Ok(())
}
