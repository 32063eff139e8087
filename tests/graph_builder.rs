//! `GraphBuilder` against `Graph`: the same calls give the same graph and the same
//! errors, except that a nesting cycle is reported by `build` instead of by the call.
//!
//! The expected behaviour, precisely. Make the same sequence of calls on a `Graph` and
//! on a `GraphBuilder`. Every call gives the same result on both, except a `nest` that
//! the graph refuses with `NestingCycle`: the builder records it (`Ok`), or refuses it
//! with `RelationExists` when it recorded the same nesting before. Then `build` fails
//! with the first `NestingCycle` error the graph returned if there was one, and
//! otherwise returns a graph equal to the graph, whose keys are those the builder
//! handed out.

use std::collections::HashSet;

use privgraph::graph::{
    Child, Cluster, EntityKind, EntityRef, Graph, GraphBuilder, GraphError, Group, HandleService,
    Independent, Key, Parent, Space, User,
};
use privgraph::privileges::{
    ClusterPrivileges as C, GroupPrivileges as G, HandleServicePrivileges as HS,
    OzPrivileges as Oz, PrivilegeUpdate, SpacePrivileges as S,
};
use proptest::prelude::*;

type Result<T = ()> = std::result::Result<T, GraphError>;

fn group(id: &str) -> EntityRef {
    EntityRef {
        kind: EntityKind::Group,
        id: id.to_owned(),
    }
}

// ----- the property ------------------------------------------------------------------

/// The kinds the random calls use.
#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    Group,
    Space,
    HandleService,
    Cluster,
}

/// One call, on ids `{kind}{n}` of a small universe (so that duplicates and missing
/// entities are frequent).
#[derive(Debug, Clone)]
enum Call {
    /// `id` is `None` for an invalid id (empty, or over the length limit).
    Create(Kind, Option<u8>, bool),
    /// A user (`group_member` false) or group in a target of `kind`; a group target
    /// takes users only.
    AddMember {
        kind: Kind,
        target: u8,
        group_member: bool,
        member: u8,
        bits: u64,
    },
    Nest {
        child: u8,
        parent: u8,
        bits: u32,
    },
    Oz {
        group_member: bool,
        member: u8,
        bits: u64,
    },
}

const IDS: u8 = 6;

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::User),
        Just(Kind::Group),
        Just(Kind::Space),
        Just(Kind::HandleService),
        Just(Kind::Cluster),
    ]
}

/// Calls; with `acyclic`, a nesting always goes to a group of higher number, so no
/// nesting can close a cycle.
fn call(acyclic: bool) -> impl Strategy<Value = Call> {
    let id = 0..IDS;
    prop_oneof![
        4 => (kind(), prop::option::weighted(0.95, id.clone()), any::<bool>())
            .prop_map(|(k, id, long)| Call::Create(k, id, long)),
        4 => (kind(), id.clone(), any::<bool>(), id.clone(), any::<u64>()).prop_map(
            |(kind, target, group_member, member, bits)| Call::AddMember {
                kind,
                target,
                group_member,
                member,
                bits
            }
        ),
        4 => (id.clone(), id.clone(), any::<u32>()).prop_map(move |(a, b, bits)| {
            let (child, parent) = if acyclic && a > b { (b, a) } else { (a, b) };
            Call::Nest { child, parent, bits }
        }),
        1 => (any::<bool>(), id, any::<u64>()).prop_map(|(group_member, member, bits)| {
            Call::Oz { group_member, member, bits }
        }),
    ]
}

fn id_of(kind: Kind, n: u8) -> String {
    let prefix = match kind {
        Kind::User => "u",
        Kind::Group => "g",
        Kind::Space => "s",
        Kind::HandleService => "hs",
        Kind::Cluster => "c",
    };
    format!("{prefix}{n}")
}

/// The calls' view of a graph or a builder: resolving an id that does not exist gives
/// the key of a third graph where it does, which both refuse.
trait Calls {
    fn key<K: Independent>(&self, id: &str) -> Option<Key<K>>;
    fn create<K: Independent>(&mut self, id: &str) -> Result<Key<K>>;
    fn add_member<M: privgraph::graph::MemberOf<T>, T: privgraph::graph::Target>(
        &mut self,
        target: Key<T>,
        member: Key<M>,
        privileges: T::Privileges,
    ) -> Result;
    fn nest(&mut self, child: Child, parent: Parent, privileges: G) -> Result;
    fn oz<M: privgraph::graph::MemberKind>(&mut self, member: Key<M>, oz: Oz) -> Result<Oz>;
}

/// `Graph` and `GraphBuilder` name these calls alike, so one body serves both.
macro_rules! calls {
    ($($Type:ty),+) => {$(
        impl Calls for $Type {
            fn key<K: Independent>(&self, id: &str) -> Option<Key<K>> {
                <$Type>::key(self, id)
            }
            fn create<K: Independent>(&mut self, id: &str) -> Result<Key<K>> {
                <$Type>::create(self, id)
            }
            fn add_member<M: privgraph::graph::MemberOf<T>, T: privgraph::graph::Target>(
                &mut self,
                target: Key<T>,
                member: Key<M>,
                privileges: T::Privileges,
            ) -> Result {
                <$Type>::add_member(self, target, member, privileges)
            }
            fn nest(&mut self, child: Child, parent: Parent, privileges: G) -> Result {
                <$Type>::nest(self, child, parent, privileges)
            }
            fn oz<M: privgraph::graph::MemberKind>(&mut self, member: Key<M>, oz: Oz) -> Result<Oz> {
                <$Type>::update_oz_privileges(self, member, &PrivilegeUpdate::Set(oz))
                    .map(|a| a.privileges)
            }
        }
    )+};
}

calls!(Graph, GraphBuilder);

/// Every entity of the universe, in a graph of its own: the keys of ids that `Calls`
/// does not know.
fn elsewhere() -> Graph {
    let mut graph = Graph::new();
    for n in 0..IDS {
        for kind in [
            Kind::User,
            Kind::Group,
            Kind::Space,
            Kind::HandleService,
            Kind::Cluster,
        ] {
            let id = id_of(kind, n);
            let created = match kind {
                Kind::User => graph.create::<User>(&id).map(drop),
                Kind::Group => graph.create::<Group>(&id).map(drop),
                Kind::Space => graph.create::<Space>(&id).map(drop),
                Kind::HandleService => graph.create::<HandleService>(&id).map(drop),
                Kind::Cluster => graph.create::<Cluster>(&id).map(drop),
            };
            assert_eq!(created, Ok(()));
        }
    }
    graph
}

fn resolve<K: Independent>(on: &impl Calls, other: &Graph, id: &str) -> Key<K> {
    on.key::<K>(id)
        .or_else(|| other.key::<K>(id))
        .unwrap_or_else(|| panic!("{id} is in the other graph"))
}

/// A key a `Create` handed out, with its id.
#[derive(Debug)]
enum Handed {
    User(String, Key<User>),
    Group(String, Key<Group>),
    Space(String, Key<Space>),
    HandleService(String, Key<HandleService>),
    Cluster(String, Key<Cluster>),
}

impl Handed {
    /// Whether `graph` has the entity under this key.
    fn holds(&self, graph: &Graph) -> bool {
        match self {
            Handed::User(id, key) => graph.id(*key) == Some(id),
            Handed::Group(id, key) => graph.id(*key) == Some(id),
            Handed::Space(id, key) => graph.id(*key) == Some(id),
            Handed::HandleService(id, key) => graph.id(*key) == Some(id),
            Handed::Cluster(id, key) => graph.id(*key) == Some(id),
        }
    }
}

/// Makes one call; returns the key a `Create` handed out.
fn make(on: &mut impl Calls, other: &Graph, call: &Call) -> Result<Option<Handed>> {
    match *call {
        Call::Create(kind, n, long) => {
            let id = match n {
                Some(n) => id_of(kind, n),
                None if long => "x".repeat(300),
                None => String::new(),
            };
            Ok(Some(match kind {
                Kind::User => Handed::User(id.clone(), on.create(&id)?),
                Kind::Group => Handed::Group(id.clone(), on.create(&id)?),
                Kind::Space => Handed::Space(id.clone(), on.create(&id)?),
                Kind::HandleService => Handed::HandleService(id.clone(), on.create(&id)?),
                Kind::Cluster => Handed::Cluster(id.clone(), on.create(&id)?),
            }))
        }
        Call::AddMember {
            kind,
            target,
            group_member,
            member,
            bits,
        } => {
            let t = match kind {
                Kind::User | Kind::Group => id_of(Kind::Group, target),
                _ => id_of(kind, target),
            };
            let u: Key<User> = resolve(on, other, &id_of(Kind::User, member));
            let g: Key<Group> = resolve(on, other, &id_of(Kind::Group, member));
            match (kind, group_member) {
                (Kind::User | Kind::Group, _) => on.add_member(
                    resolve::<Group>(on, other, &t),
                    u,
                    G::from_bits_truncate(bits as u32),
                ),
                (Kind::Space, false) => on.add_member(
                    resolve::<Space>(on, other, &t),
                    u,
                    S::from_bits_truncate(bits),
                ),
                (Kind::Space, true) => on.add_member(
                    resolve::<Space>(on, other, &t),
                    g,
                    S::from_bits_truncate(bits),
                ),
                (Kind::HandleService, false) => on.add_member(
                    resolve::<HandleService>(on, other, &t),
                    u,
                    HS::from_bits_truncate(bits as u8),
                ),
                (Kind::HandleService, true) => on.add_member(
                    resolve::<HandleService>(on, other, &t),
                    g,
                    HS::from_bits_truncate(bits as u8),
                ),
                (Kind::Cluster, false) => on.add_member(
                    resolve::<Cluster>(on, other, &t),
                    u,
                    C::from_bits_truncate(bits as _),
                ),
                (Kind::Cluster, true) => on.add_member(
                    resolve::<Cluster>(on, other, &t),
                    g,
                    C::from_bits_truncate(bits as _),
                ),
            }
            .map(|()| None)
        }
        Call::Nest {
            child,
            parent,
            bits,
        } => {
            let c = resolve::<Group>(on, other, &id_of(Kind::Group, child));
            let p = resolve::<Group>(on, other, &id_of(Kind::Group, parent));
            on.nest(Child(c), Parent(p), G::from_bits_truncate(bits))
                .map(|()| None)
        }
        Call::Oz {
            group_member,
            member,
            bits,
        } => {
            let oz = Oz::from_bits_truncate(u128::from(bits));
            if group_member {
                on.oz(resolve::<Group>(on, other, &id_of(Kind::Group, member)), oz)
            } else {
                on.oz(resolve::<User>(on, other, &id_of(Kind::User, member)), oz)
            }
            .map(|_| None)
        }
    }
}

/// Checks the behaviour the module documentation describes, for one sequence of calls;
/// returns whether the sequence had a cycle.
fn same_through_both(calls: &[Call]) -> std::result::Result<bool, TestCaseError> {
    let other = elsewhere();
    let mut graph = Graph::new();
    let mut builder = GraphBuilder::new();
    let mut first_cycle = None;
    let mut recorded: HashSet<(u8, u8)> = HashSet::new();
    let mut created = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        // Keys differ between the two; the results are compared without them.
        let by_graph = make(&mut graph, &other, call).map(|_| ());
        let made = make(&mut builder, &other, call);
        let by_builder = made.as_ref().map(|_| ()).map_err(Clone::clone);
        match (&by_graph, call) {
            (Err(cycle @ GraphError::NestingCycle { .. }), &Call::Nest { child, parent, .. }) => {
                first_cycle.get_or_insert_with(|| cycle.clone());
                let expected = if recorded.contains(&(child, parent)) {
                    Err(GraphError::RelationExists {
                        child: group(&id_of(Kind::Group, child)),
                        parent: group(&id_of(Kind::Group, parent)),
                    })
                } else {
                    Ok(())
                };
                prop_assert_eq!(&by_builder, &expected, "call {} {:?}", i, call);
            }
            _ => prop_assert_eq!(&by_builder, &by_graph, "call {} {:?}", i, call),
        }
        if let (Ok(_), &Call::Nest { child, parent, .. }) = (&by_builder, call) {
            recorded.insert((child, parent));
        }
        if let Ok(Some(handed)) = made {
            created.push(handed);
        }
    }
    let built = builder.build();
    let had_cycle = first_cycle.is_some();
    match first_cycle {
        Some(cycle) => prop_assert_eq!(built, Err(cycle)),
        None => {
            let built = built.map_err(|err| TestCaseError::fail(err.to_string()))?;
            prop_assert_eq!(&built, &graph);
            for handed in &created {
                prop_assert!(handed.holds(&built), "{:?}", handed);
            }
        }
    }
    Ok(had_cycle)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Nestings only upward: never a cycle, so the built graph must equal the graph.
    #[test]
    fn without_cycles_the_builder_builds_the_graph(calls in prop::collection::vec(call(true), 0..120)) {
        prop_assert!(!same_through_both(&calls)?);
    }

    /// Nestings in any direction: cycles are frequent.
    #[test]
    fn with_cycles_build_fails_where_nest_would_have(calls in prop::collection::vec(call(false), 0..120)) {
        same_through_both(&calls)?;
    }
}

/// The random sequences do reach both outcomes (so that neither property is empty).
#[test]
fn random_sequences_meet_cycles_and_graphs() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(call(false), 60..120);
    let (mut cycles, mut graphs) = (0, 0);
    for _ in 0..200 {
        let calls = strategy
            .new_tree(&mut runner)
            .map(|tree| tree.current())
            .unwrap_or_default();
        match same_through_both(&calls) {
            Ok(true) => cycles += 1,
            Ok(false) => graphs += 1,
            Err(err) => panic!("{err}"),
        }
    }
    assert!(
        cycles > 20 && graphs > 20,
        "{cycles} cycles, {graphs} graphs"
    );
}

// ----- examples ----------------------------------------------------------------------

#[test]
fn a_duplicate_entity_is_refused() -> Result {
    let mut builder = GraphBuilder::new();
    builder.create::<User>("u")?;
    builder.create::<Group>("u")?; // another kind: fine
    assert_eq!(
        builder.create::<User>("u"),
        Err(GraphError::EntityExists {
            entity: EntityRef {
                kind: EntityKind::User,
                id: "u".into()
            }
        })
    );
    let graph = builder.build()?;
    assert_eq!((graph.len::<User>(), graph.len::<Group>()), (1, 1));
    Ok(())
}

#[test]
fn invalid_ids_are_refused() {
    let mut builder = GraphBuilder::new();
    assert!(matches!(
        builder.create::<Space>(""),
        Err(GraphError::InvalidId {
            kind: EntityKind::Space,
            problem: privgraph::graph::IdProblem::Empty,
            ..
        })
    ));
    let long = "s".repeat(privgraph::graph::MAX_ID_LEN + 1);
    assert!(matches!(
        builder.create::<Space>(&long),
        Err(GraphError::InvalidId {
            problem: privgraph::graph::IdProblem::TooLong { len: 257 },
            ..
        })
    ));
    assert!(
        builder
            .create::<Space>(&"s".repeat(privgraph::graph::MAX_ID_LEN))
            .is_ok()
    );
}

#[test]
fn a_duplicate_relation_is_refused() -> Result {
    let mut builder = GraphBuilder::new();
    let (u, g, p) = (
        builder.create::<User>("u")?,
        builder.create::<Group>("g")?,
        builder.create::<Group>("p")?,
    );
    builder.add_member(g, u, G::GROUP_VIEW)?;
    builder.nest(Child(g), Parent(p), G::GROUP_VIEW)?;
    assert_eq!(
        builder.add_member(g, u, G::all()),
        Err(GraphError::RelationExists {
            child: EntityRef {
                kind: EntityKind::User,
                id: "u".into()
            },
            parent: group("g"),
        })
    );
    assert_eq!(
        builder.nest(Child(g), Parent(p), G::all()),
        Err(GraphError::RelationExists {
            child: group("g"),
            parent: group("p"),
        })
    );
    // The first privileges stay.
    let graph = builder.build()?;
    assert_eq!(graph.direct_privileges(u, g), Some(G::GROUP_VIEW));
    assert_eq!(graph.effective_privileges(u, p), Some(G::GROUP_VIEW));
    Ok(())
}

#[test]
fn a_group_nested_in_itself_is_refused() -> Result {
    let mut builder = GraphBuilder::new();
    let g = builder.create::<Group>("g")?;
    assert_eq!(
        builder.nest(Child(g), Parent(g), G::empty()),
        Err(GraphError::RelationToSelf { group: group("g") })
    );
    let graph = builder.build()?;
    assert!(graph.direct_members::<Group, Group>(g).is_empty());
    Ok(())
}

#[test]
fn keys_of_another_graph_or_builder_are_refused() -> Result {
    let mut graph = Graph::new();
    let mut other = GraphBuilder::new();
    let mut builder = GraphBuilder::new();
    let (u, g) = (builder.create::<User>("u")?, builder.create::<Group>("g")?);
    let (foreign_u, foreign_g) = (graph.create::<User>("u")?, graph.create::<Group>("g")?);
    let (other_u, other_g) = (other.create::<User>("u")?, other.create::<Group>("g")?);
    let unknown = |kind| Err(GraphError::UnknownEntity { kind });
    assert_eq!(
        builder.add_member(g, foreign_u, G::empty()),
        unknown(EntityKind::User)
    );
    assert_eq!(
        builder.add_member(other_g, u, G::empty()),
        unknown(EntityKind::Group)
    );
    assert_eq!(
        builder.nest(Child(foreign_g), Parent(g), G::empty()),
        unknown(EntityKind::Group)
    );
    // The same foreign group as child and parent: unknown, not nested in itself.
    assert_eq!(
        builder.nest(Child(other_g), Parent(other_g), G::empty()),
        unknown(EntityKind::Group)
    );
    assert_eq!(
        builder
            .update_oz_privileges(other_u, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))
            .map(drop),
        unknown(EntityKind::User)
    );
    // The built graph refuses them too, and knows the builder's own.
    let built = builder.build()?;
    assert!(!built.contains(foreign_u) && !built.contains(other_g));
    assert!(built.contains(u) && built.contains(g));
    Ok(())
}

#[test]
fn a_cycle_is_reported_by_build_at_the_nesting_that_closes_it() -> Result {
    let mut builder = GraphBuilder::new();
    let (a, b, c) = (
        builder.create::<Group>("a")?,
        builder.create::<Group>("b")?,
        builder.create::<Group>("c")?,
    );
    // b in a, c in b, a in c (closes a → b → c → a), then b in c (would close another).
    builder.nest(Child(b), Parent(a), G::empty())?;
    builder.nest(Child(c), Parent(b), G::empty())?;
    builder.nest(Child(a), Parent(c), G::empty())?;
    builder.nest(Child(b), Parent(c), G::empty())?;
    assert_eq!(
        builder.build(),
        Err(GraphError::NestingCycle {
            child: group("a"),
            parent: group("c"),
        })
    );
    Ok(())
}

#[test]
fn builder_keys_work_on_the_built_graph_for_later_calls() -> Result {
    let mut builder = Graph::builder();
    let (u, s, hs) = (
        builder.create::<User>("u")?,
        builder.create::<Space>("s")?,
        builder.create::<HandleService>("hs")?,
    );
    let admins = builder.create::<Group>("admins")?;
    builder.add_member(admins, u, G::empty())?;
    builder.add_member(s, admins, S::SPACE_VIEW)?;
    builder.update_oz_privileges(admins, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))?;
    let mut graph = builder.build()?;
    assert_eq!(graph.effective_privileges(u, s), Some(S::SPACE_VIEW));
    assert_eq!(graph.effective_oz_privileges(u), Some(Oz::OZ_USERS_LIST));
    // What the builder does not take is added afterwards, with the builder's keys.
    let share = graph.create_share("sh", s)?;
    graph.create_handle("h", hs, share)?;
    graph.add_space_owner(s, u)?;
    assert!(graph.has_privilege(u, s, S::SPACE_DELETE));
    graph.add_member(hs, u, HS::HANDLE_SERVICE_VIEW)?;
    assert!(graph.has_privilege(u, hs, HS::HANDLE_SERVICE_VIEW));
    Ok(())
}
