//! Keys cannot alias: a key names the entity it was issued for in the graph that issued
//! it, or nothing at all.
//!
//! A service caches keys because checks by key are the fast path. These tests take keys
//! from one graph and use them on another with the same entities at the same slots (a
//! reload of the same snapshot, a snapshot that added a user, a public clone), and keys
//! of a deleted entity whose slot now holds someone else. Every query must answer
//! no / `None` / empty and every mutation must refuse with `UnknownEntity` while
//! changing nothing; beside each refusal the same call with the graph's own keys
//! succeeds, so every refusal is owed to the key and nothing else.

use privgraph::graph::{
    AtmInventory, Child, Cluster, EntityKind, Graph, GraphError, Group, Handle, HandleService,
    Harvester, Key, Kind, Parent, Share, Space, User,
};
use privgraph::privileges::{
    AtmInventoryPrivileges as A, ClusterPrivileges as C, GroupPrivileges as G,
    HandlePrivileges as H, HandleServicePrivileges as HS, HarvesterPrivileges as HV,
    OzPrivileges as Oz, PrivilegeUpdate, SpacePrivileges as S,
};
use privgraph::snapshot::{load, save};

/// Every kind, several relations of each sort. Users are created in id order when
/// loaded: alice, bob, mallory at slots 0, 1, 2.
const FIXTURE: &str = r#"{
  "version": 1,
  "users": [{"id": "alice"}, {"id": "bob", "ozPrivileges": ["oz_users_view"]}, {"id": "mallory"}],
  "groups": [
    {"id": "admins", "users": {"bob": ["group_delete", "group_view"]},
     "children": {"team": ["group_view"]}},
    {"id": "team", "ozPrivileges": ["oz_groups_view"], "users": {"mallory": ["group_view"]}},
    {"id": "ops"}
  ],
  "spaces": [
    {"id": "s", "owners": ["alice"], "users": {"alice": ["space_view"]},
     "groups": {"team": ["space_read_data"]}},
    {"id": "s2"}
  ],
  "shares": [{"id": "sh", "spaceId": "s"}, {"id": "sh2", "spaceId": "s"}],
  "handleServices": [{"id": "hs", "users": {"bob": ["handle_service_view"]},
                      "groups": {"team": ["handle_service_update"]}},
                     {"id": "hs2", "users": {"alice": ["handle_service_view"]}}],
  "handles": [{"id": "h", "handleServiceId": "hs", "shareId": "sh",
               "users": {"alice": ["handle_view"]}}],
  "harvesters": [{"id": "hv", "users": {"bob": ["harvester_view"]}, "spaces": ["s"]}],
  "clusters": [{"id": "c", "groups": {"admins": ["cluster_view"]}}],
  "atmInventories": [{"id": "a", "users": {"mallory": ["atm_inventory_view"]}}]
}"#;

fn fixture() -> Graph {
    load(FIXTURE).expect("the fixture loads")
}

/// The fixture with one more user, `aaron`, whose id sorts before every other: loading
/// puts him at slot 0 and shifts everybody else up by one.
fn fixture_with_aaron() -> Graph {
    load(&FIXTURE.replace(r#""users": ["#, r#""users": [{"id": "aaron"}, "#))
        .expect("the fixture with aaron loads")
}

/// One key of every entity of the fixture, as one graph issues them.
#[derive(Debug, Clone, Copy)]
struct Keys {
    alice: Key<User>,
    bob: Key<User>,
    mallory: Key<User>,
    admins: Key<Group>,
    team: Key<Group>,
    ops: Key<Group>,
    s: Key<Space>,
    s2: Key<Space>,
    sh: Key<Share>,
    sh2: Key<Share>,
    hs: Key<HandleService>,
    hs2: Key<HandleService>,
    h: Key<Handle>,
    hv: Key<Harvester>,
    c: Key<Cluster>,
    a: Key<AtmInventory>,
}

fn key<K: Kind>(graph: &Graph, id: &str) -> Key<K> {
    graph
        .key::<K>(id)
        .unwrap_or_else(|| panic!("no {} {id}", K::KIND))
}

impl Keys {
    fn of(graph: &Graph) -> Keys {
        Keys {
            alice: key(graph, "alice"),
            bob: key(graph, "bob"),
            mallory: key(graph, "mallory"),
            admins: key(graph, "admins"),
            team: key(graph, "team"),
            ops: key(graph, "ops"),
            s: key(graph, "s"),
            s2: key(graph, "s2"),
            sh: key(graph, "sh"),
            sh2: key(graph, "sh2"),
            hs: key(graph, "hs"),
            hs2: key(graph, "hs2"),
            h: key(graph, "h"),
            hv: key(graph, "hv"),
            c: key(graph, "c"),
            a: key(graph, "a"),
        }
    }
}

/// Asserts that `graph` answers every query about `foreign` keys with no / `None` /
/// empty, while its own keys `own` (naming the same entities) get real answers. Each
/// two-key query is asked with either key foreign.
fn assert_queries_refuse(graph: &Graph, foreign: &Keys, own: &Keys) {
    let (f, n) = (foreign, own);

    // Ids and liveness.
    assert_eq!(graph.id(f.alice), None);
    assert_eq!(graph.id(n.alice), Some("alice"));
    assert_eq!(graph.id(f.mallory), None);
    assert_eq!(graph.id(f.admins), None);
    assert_eq!(graph.id(f.h), None);
    assert!(!graph.contains(f.bob) && graph.contains(n.bob));
    assert!(!graph.contains(f.team) && graph.contains(n.team));
    assert!(!graph.contains(f.sh) && graph.contains(n.sh));
    assert!(!graph.contains(f.c) && graph.contains(n.c));
    assert!(!graph.contains(f.a) && graph.contains(n.a));
    assert_ne!(f.bob, n.bob, "keys of two graphs never compare equal");

    // Checks, by direct relation, through a group, and as a space owner.
    assert!(graph.has_privilege(n.bob, n.admins, G::GROUP_DELETE));
    assert!(!graph.has_privilege(f.bob, n.admins, G::GROUP_DELETE));
    assert!(!graph.has_privilege(n.bob, f.admins, G::GROUP_DELETE));
    assert!(!graph.has_privilege(f.bob, n.admins, G::empty()));
    assert!(graph.has_privilege(n.mallory, n.hs, HS::HANDLE_SERVICE_UPDATE));
    assert!(!graph.has_privilege(f.mallory, n.hs, HS::HANDLE_SERVICE_UPDATE));
    assert!(!graph.has_privilege(n.mallory, f.hs, HS::HANDLE_SERVICE_UPDATE));
    assert!(graph.has_privilege(n.alice, n.s, S::SPACE_DELETE));
    assert!(!graph.has_privilege(f.alice, n.s, S::SPACE_DELETE));
    assert!(!graph.has_privilege(n.alice, f.s, S::SPACE_DELETE));
    assert!(graph.has_privilege(n.team, n.c, C::CLUSTER_VIEW));
    assert!(!graph.has_privilege(f.team, n.c, C::CLUSTER_VIEW));
    assert!(!graph.has_privilege(n.team, f.c, C::CLUSTER_VIEW));
    assert!(graph.has_privilege(n.bob, n.hv, HV::HARVESTER_VIEW));
    assert!(!graph.has_privilege(f.bob, n.hv, HV::HARVESTER_VIEW));
    assert!(graph.has_privilege(n.alice, n.h, H::HANDLE_VIEW));
    assert!(!graph.has_privilege(n.alice, f.h, H::HANDLE_VIEW));
    assert!(graph.has_privilege(n.mallory, n.a, A::ATM_INVENTORY_VIEW));
    assert!(!graph.has_privilege(f.mallory, n.a, A::ATM_INVENTORY_VIEW));

    assert!(graph.effective_privileges(n.mallory, n.admins).is_some());
    assert_eq!(graph.effective_privileges(f.mallory, n.admins), None);
    assert_eq!(graph.effective_privileges(n.mallory, f.admins), None);
    assert_eq!(graph.effective_privileges(f.team, n.admins), None);
    assert_eq!(graph.effective_privileges(n.team, f.admins), None);
    assert!(graph.direct_privileges(n.alice, n.s).is_some());
    assert_eq!(graph.direct_privileges(f.alice, n.s), None);
    assert_eq!(graph.direct_privileges(n.alice, f.s), None);
    assert!(graph.is_effective_member(n.mallory, n.s));
    assert!(!graph.is_effective_member(f.mallory, n.s));
    assert!(!graph.is_effective_member(n.mallory, f.s));
    assert!(graph.intermediaries(n.mallory, n.s).is_some());
    assert_eq!(graph.intermediaries(f.mallory, n.s), None);
    assert_eq!(graph.intermediaries(n.mallory, f.s), None);
    assert!(
        !graph
            .explain(n.mallory, n.s, S::SPACE_READ_DATA, 10)
            .is_empty()
    );
    assert!(
        graph
            .explain(f.mallory, n.s, S::SPACE_READ_DATA, 10)
            .is_empty()
    );
    assert!(
        graph
            .explain(n.mallory, f.s, S::SPACE_READ_DATA, 10)
            .is_empty()
    );

    // Oz privileges, own and inherited.
    assert!(graph.oz_privileges(n.bob).is_some());
    assert_eq!(graph.oz_privileges(f.bob), None);
    assert_eq!(graph.oz_privileges(f.team), None);
    assert!(graph.has_oz_privilege(n.mallory, Oz::OZ_GROUPS_VIEW));
    assert_eq!(graph.effective_oz_privileges(f.mallory), None);
    assert!(!graph.has_oz_privilege(f.mallory, Oz::OZ_GROUPS_VIEW));
    assert!(!graph.has_oz_privilege(f.bob, Oz::empty()));

    // Lists.
    assert!(!graph.direct_members::<User, Group>(n.admins).is_empty());
    assert!(graph.direct_members::<User, Group>(f.admins).is_empty());
    assert!(graph.direct_members::<Group, Group>(f.admins).is_empty());
    assert!(graph.effective_members::<User, Group>(f.admins).is_empty());
    assert!(graph.effective_members::<Group, Space>(f.s).is_empty());
    assert!(!graph.memberships::<User, Group>(n.bob).is_empty());
    assert!(graph.memberships::<User, Group>(f.bob).is_empty());
    assert!(graph.memberships::<Group, Group>(f.team).is_empty());
    assert!(
        !graph
            .effective_memberships::<User, HandleService>(n.mallory)
            .is_empty()
    );
    assert!(
        graph
            .effective_memberships::<User, HandleService>(f.mallory)
            .is_empty()
    );
    assert!(
        graph
            .effective_memberships::<Group, Group>(f.team)
            .is_empty()
    );
    assert!(
        graph
            .effective_memberships::<Group, Cluster>(f.admins)
            .is_empty()
    );

    // Links between entities.
    assert!(!graph.space_owners(n.s).is_empty());
    assert!(graph.space_owners(f.s).is_empty());
    assert!(graph.is_space_owner(n.s, n.alice));
    assert!(!graph.is_space_owner(f.s, n.alice));
    assert!(!graph.is_space_owner(n.s, f.alice));
    assert!(!graph.space_shares(n.s).is_empty());
    assert!(graph.space_shares(f.s).is_empty());
    assert!(graph.share_space(n.sh).is_some());
    assert_eq!(graph.share_space(f.sh), None);
    assert!(graph.share_handle(n.sh).is_some());
    assert_eq!(graph.share_handle(f.sh), None);
    assert!(!graph.handle_service_handles(n.hs).is_empty());
    assert!(graph.handle_service_handles(f.hs).is_empty());
    assert!(graph.handle_service_of(n.h).is_some());
    assert_eq!(graph.handle_service_of(f.h), None);
    assert!(graph.handle_share(n.h).is_some());
    assert_eq!(graph.handle_share(f.h), None);
    assert!(!graph.harvester_spaces(n.hv).is_empty());
    assert!(graph.harvester_spaces(f.hv).is_empty());
    assert!(!graph.space_harvesters(n.s).is_empty());
    assert!(graph.space_harvesters(f.s).is_empty());
    assert!(graph.is_harvester_linked(n.hv, n.s));
    assert!(!graph.is_harvester_linked(f.hv, n.s));
    assert!(!graph.is_harvester_linked(n.hv, f.s));

    // Keys a graph hands out are its own.
    assert_eq!(graph.space_owners(n.s), vec![n.alice]);
    assert_eq!(graph.share_space(n.sh), Some(n.s));
}

/// One mutation, written against the keys it is given: `arg` supplies the key under
/// test, `rest` every other key.
type Mutation = fn(&mut Graph, &Keys, &Keys) -> Result<(), GraphError>;

/// Every mutation with a key argument, each case making one argument the key under
/// test, with the kind `UnknownEntity` must name when that key is foreign.
fn mutations() -> Vec<(&'static str, EntityKind, Mutation)> {
    use EntityKind as E;
    vec![
        ("create_share: space", E::Space, |g, k, _| {
            g.create_share("new", k.s).map(drop)
        }),
        ("create_handle: service", E::HandleService, |g, k, r| {
            g.create_handle("new", k.hs, r.sh2).map(drop)
        }),
        ("create_handle: share", E::Share, |g, k, r| {
            g.create_handle("new", r.hs, k.sh2).map(drop)
        }),
        ("delete user", E::User, |g, k, _| g.delete(k.mallory)),
        ("delete group", E::Group, |g, k, _| g.delete(k.team)),
        ("delete space", E::Space, |g, k, _| g.delete(k.s)),
        ("delete share", E::Share, |g, k, _| g.delete(k.sh)),
        ("delete handle", E::Handle, |g, k, _| g.delete(k.h)),
        ("delete handle service", E::HandleService, |g, k, _| {
            g.delete(k.hs2)
        }),
        ("delete harvester", E::Harvester, |g, k, _| g.delete(k.hv)),
        ("delete cluster", E::Cluster, |g, k, _| g.delete(k.c)),
        ("delete inventory", E::AtmInventory, |g, k, _| g.delete(k.a)),
        ("add_member: user", E::User, |g, k, r| {
            g.add_member(r.admins, k.alice, G::GROUP_VIEW)
        }),
        ("add_member: group target", E::Group, |g, k, r| {
            g.add_member(k.admins, r.alice, G::GROUP_VIEW)
        }),
        ("add_member: space", E::Space, |g, k, r| {
            g.add_member(k.s2, r.bob, S::SPACE_VIEW)
        }),
        ("add_member: handle service", E::HandleService, |g, k, r| {
            g.add_member(k.hs, r.alice, HS::HANDLE_SERVICE_VIEW)
        }),
        ("add_member: handle", E::Handle, |g, k, r| {
            g.add_member(k.h, r.bob, H::HANDLE_VIEW)
        }),
        ("add_member: harvester", E::Harvester, |g, k, r| {
            g.add_member(k.hv, r.alice, HV::HARVESTER_VIEW)
        }),
        ("add_member: cluster", E::Cluster, |g, k, r| {
            g.add_member(k.c, r.alice, C::CLUSTER_VIEW)
        }),
        ("add_member: inventory", E::AtmInventory, |g, k, r| {
            g.add_member(k.a, r.alice, A::ATM_INVENTORY_VIEW)
        }),
        ("add_member: group member", E::Group, |g, k, r| {
            g.add_member(r.c, k.team, C::CLUSTER_VIEW)
        }),
        ("nest: child", E::Group, |g, k, r| {
            g.nest(Child(k.ops), Parent(r.admins), G::GROUP_VIEW)
        }),
        ("nest: parent", E::Group, |g, k, r| {
            g.nest(Child(r.ops), Parent(k.admins), G::GROUP_VIEW)
        }),
        ("unnest: child", E::Group, |g, k, r| {
            g.unnest(Child(k.team), Parent(r.admins))
        }),
        ("unnest: parent", E::Group, |g, k, r| {
            g.unnest(Child(r.team), Parent(k.admins))
        }),
        ("update_nesting_privileges: child", E::Group, |g, k, r| {
            let update = PrivilegeUpdate::Set(G::all());
            g.update_nesting_privileges(Child(k.team), Parent(r.admins), &update)
                .map(drop)
        }),
        ("update_nesting_privileges: parent", E::Group, |g, k, r| {
            let update = PrivilegeUpdate::Set(G::all());
            g.update_nesting_privileges(Child(r.team), Parent(k.admins), &update)
                .map(drop)
        }),
        ("remove_member: user", E::User, |g, k, r| {
            g.remove_member(r.s, k.alice)
        }),
        ("remove_member: group member", E::Group, |g, k, r| {
            g.remove_member(r.s, k.team)
        }),
        ("remove_member: target", E::Space, |g, k, r| {
            g.remove_member(k.s, r.alice)
        }),
        ("update_member_privileges: user", E::User, |g, k, r| {
            let update = PrivilegeUpdate::Set(S::SPACE_VIEW | S::SPACE_UPDATE);
            g.update_member_privileges(r.s, k.alice, &update).map(drop)
        }),
        (
            "update_member_privileges: group member",
            E::Group,
            |g, k, r| {
                let update = PrivilegeUpdate::Set(C::all());
                g.update_member_privileges(r.c, k.admins, &update).map(drop)
            },
        ),
        (
            "update_member_privileges: target",
            E::HandleService,
            |g, k, r| {
                let update = PrivilegeUpdate::Set(HS::all());
                g.update_member_privileges(k.hs, r.bob, &update).map(drop)
            },
        ),
        ("update_oz_privileges: user", E::User, |g, k, _| {
            let update = PrivilegeUpdate::Set(Oz::OZ_GROUPS_VIEW);
            g.update_oz_privileges(k.bob, &update).map(drop)
        }),
        ("update_oz_privileges: group", E::Group, |g, k, _| {
            let update = PrivilegeUpdate::Set(Oz::all());
            g.update_oz_privileges(k.team, &update).map(drop)
        }),
        ("add_space_owner: space", E::Space, |g, k, r| {
            g.add_space_owner(k.s, r.mallory)
        }),
        ("add_space_owner: user", E::User, |g, k, r| {
            g.add_space_owner(r.s, k.mallory)
        }),
        ("remove_space_owner: space", E::Space, |g, k, r| {
            g.remove_space_owner(k.s, r.alice)
        }),
        ("remove_space_owner: user", E::User, |g, k, r| {
            g.remove_space_owner(r.s, k.alice)
        }),
        (
            "link_harvester_space: harvester",
            E::Harvester,
            |g, k, r| g.link_harvester_space(k.hv, r.s2),
        ),
        ("link_harvester_space: space", E::Space, |g, k, r| {
            g.link_harvester_space(r.hv, k.s2)
        }),
        (
            "unlink_harvester_space: harvester",
            E::Harvester,
            |g, k, r| g.unlink_harvester_space(k.hv, r.s),
        ),
        ("unlink_harvester_space: space", E::Space, |g, k, r| {
            g.unlink_harvester_space(r.hv, k.s)
        }),
    ]
}

/// Asserts that every mutation refuses the key under test when it is one of `foreign`
/// and leaves `graph` as it was (its saved text unchanged), while the same mutation with
/// the graph's own keys succeeds (on a clone, with the clone's keys).
fn assert_mutations_refuse(graph: &mut Graph, foreign: &Keys) {
    let own = Keys::of(graph);
    for (name, kind, mutation) in mutations() {
        let before = save(graph);
        assert_eq!(
            mutation(graph, foreign, &own),
            Err(GraphError::UnknownEntity { kind }),
            "{name}: a foreign key was not refused"
        );
        assert_eq!(
            save(graph),
            before,
            "{name}: a refused mutation changed the graph"
        );

        let mut copy = graph.clone();
        let copy_keys = Keys::of(&copy);
        assert_eq!(
            mutation(&mut copy, &copy_keys, &copy_keys),
            Ok(()),
            "{name}: the graph's own key was refused"
        );
    }
}

#[test]
fn a_key_cached_before_reloading_the_same_snapshot_names_nothing() {
    let before = fixture();
    let cached = Keys::of(&before);
    let reloaded = fixture();
    // Same slots: only the graph identity tells the keys apart.
    assert_eq!(
        reloaded
            .keys::<User>()
            .iter()
            .map(|k| k.index())
            .collect::<Vec<_>>(),
        before
            .keys::<User>()
            .iter()
            .map(|k| k.index())
            .collect::<Vec<_>>()
    );
    assert_eq!(Keys::of(&reloaded).mallory.index(), cached.mallory.index());
    assert_queries_refuse(&reloaded, &cached, &Keys::of(&reloaded));
    assert_mutations_refuse(&mut fixture(), &cached);
}

#[test]
fn a_key_cached_before_a_reload_that_added_a_user_never_names_that_user_s_neighbour() {
    let before = fixture();
    let mallory = before.key::<User>("mallory").expect("mallory");
    assert!(!before.has_privilege(mallory, key::<Group>(&before, "admins"), G::GROUP_DELETE));

    let after = fixture_with_aaron();
    // The hazard is real: after the reload mallory's old slot holds bob, who may delete
    // the admins group.
    let at_old_slot = after
        .keys::<User>()
        .into_iter()
        .find(|k| k.index() == mallory.index())
        .expect("the slot is occupied");
    assert_eq!(after.id(at_old_slot), Some("bob"));
    let admins = key::<Group>(&after, "admins");
    assert!(after.has_privilege(at_old_slot, admins, G::GROUP_DELETE));

    // The cached key names nobody there and is granted nothing.
    assert_eq!(after.id(mallory), None);
    assert!(!after.has_privilege(mallory, admins, G::GROUP_DELETE));
    assert!(!after.has_privilege(mallory, admins, G::empty()));
    assert_queries_refuse(&after, &Keys::of(&before), &Keys::of(&after));
    assert_mutations_refuse(&mut fixture_with_aaron(), &Keys::of(&before));
}

#[test]
fn keys_of_another_graph_with_the_same_entities_are_refused_everywhere() {
    let other = fixture();
    let mut graph = fixture();
    // Built alike, so every key of `other` has a twin at the same slot of `graph`.
    let (theirs, ours) = (Keys::of(&other), Keys::of(&graph));
    assert_eq!(theirs.h.index(), ours.h.index());
    assert_eq!(theirs.team.index(), ours.team.index());
    assert_queries_refuse(&graph, &theirs, &ours);
    assert_mutations_refuse(&mut graph, &theirs);
}

#[test]
fn a_key_of_a_deleted_entity_whose_slot_was_reused_is_refused() -> Result<(), GraphError> {
    let mut graph = fixture();
    let old = Keys::of(&graph);
    graph.delete(old.mallory)?;
    graph.delete(old.team)?;
    graph.delete(old.h)?;
    let eve = graph.create::<User>("eve")?;
    let crew = graph.create::<Group>("crew")?;
    let h2 = graph.create_handle("h2", old.hs, old.sh)?;
    // The new entities took the freed slots.
    assert_eq!(eve.index(), old.mallory.index());
    assert_eq!(crew.index(), old.team.index());
    assert_eq!(h2.index(), old.h.index());
    graph.add_member(old.admins, eve, G::GROUP_DELETE)?;
    graph.add_member(crew, eve, G::all())?;
    graph.add_member(h2, eve, H::all())?;
    assert!(graph.has_privilege(eve, old.admins, G::GROUP_DELETE));

    assert_eq!(graph.id(old.mallory), None);
    assert_eq!(graph.id(old.team), None);
    assert_eq!(graph.id(old.h), None);
    assert!(!graph.has_privilege(old.mallory, old.admins, G::GROUP_DELETE));
    assert!(!graph.has_privilege(eve, old.team, G::GROUP_VIEW));
    assert!(!graph.has_privilege(eve, old.h, H::HANDLE_VIEW));
    assert_eq!(graph.effective_privileges(old.mallory, crew), None);
    assert!(graph.memberships::<User, Group>(old.mallory).is_empty());
    assert!(graph.direct_members::<User, Group>(old.team).is_empty());
    assert_eq!(graph.handle_share(old.h), None);

    let before = save(&graph);
    let unknown = |kind| Err(GraphError::UnknownEntity { kind });
    assert_eq!(graph.delete(old.mallory), unknown(EntityKind::User));
    assert_eq!(graph.delete(old.team), unknown(EntityKind::Group));
    assert_eq!(graph.delete(old.h), unknown(EntityKind::Handle));
    assert_eq!(
        graph.add_member(old.s, old.mallory, S::all()),
        unknown(EntityKind::User)
    );
    assert_eq!(
        graph.add_member(old.team, eve, G::all()),
        unknown(EntityKind::Group)
    );
    assert_eq!(graph.remove_member(old.h, eve), unknown(EntityKind::Handle));
    assert_eq!(
        graph.nest(Child(old.team), Parent(old.admins), G::all()),
        unknown(EntityKind::Group)
    );
    assert_eq!(
        graph
            .update_oz_privileges(old.mallory, &PrivilegeUpdate::Set(Oz::all()))
            .map(drop),
        unknown(EntityKind::User)
    );
    assert_eq!(save(&graph), before);
    Ok(())
}

#[test]
fn a_public_clone_and_its_original_refuse_each_other_s_keys() {
    let mut original = fixture();
    let mut copy = original.clone();
    assert_eq!(
        copy, original,
        "a clone holds the same entities and relations"
    );
    let (mine, theirs) = (Keys::of(&original), Keys::of(&copy));
    assert_queries_refuse(&copy, &mine, &theirs);
    assert_queries_refuse(&original, &theirs, &mine);
    assert_mutations_refuse(&mut copy, &mine);
    assert_mutations_refuse(&mut original, &theirs);
}

#[test]
fn every_graph_has_its_own_identity() {
    let graphs = [Graph::new(), Graph::default(), fixture(), fixture().clone()];
    let mut keys = Vec::new();
    for mut graph in graphs {
        keys.push(graph.create::<User>("zed").expect("zed"));
    }
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
