//! `Graph` equality means the same entities and relations.
//!
//! A graph built in an order other than id order, with deletions that leave free slots,
//! equals the graph loaded from its own snapshot, though every entity sits elsewhere;
//! and each single difference in what a snapshot would record (a privilege bit, an
//! owner, a link, an entity, where a share or handle belongs) makes two graphs unequal,
//! in both directions.

use privgraph::graph::{
    AtmInventory, Child, Cluster, Graph, GraphError, Group, Handle, HandleService, Harvester, Key,
    Kind, Parent, Share, Space, User,
};
use privgraph::privileges::{
    AtmInventoryPrivileges as A, ClusterPrivileges as C, GroupPrivileges as G,
    HandlePrivileges as H, HandleServicePrivileges as HS, HarvesterPrivileges as HV,
    OzPrivileges as Oz, PrivilegeUpdate, SpacePrivileges as S,
};
use privgraph::snapshot::{load, save};

type Result<T = ()> = std::result::Result<T, GraphError>;

fn key<K: Kind>(graph: &Graph, id: &str) -> Key<K> {
    graph
        .key::<K>(id)
        .unwrap_or_else(|| panic!("no {} {id}", K::KIND))
}

/// Every kind and every sort of relation, created in reverse id order, with entities
/// deleted after later ones were created so that their slots stay free.
fn built_out_of_order() -> Result<Graph> {
    let mut g = Graph::new();
    let zoe = g.create::<User>("zoe")?;
    let temp = g.create::<User>("temp")?;
    let mia = g.create::<User>("mia")?;
    let bob = g.create::<User>("bob")?;
    let alice = g.create::<User>("alice")?;
    let team = g.create::<Group>("team")?;
    let temp_group = g.create::<Group>("temp-group")?;
    let admins = g.create::<Group>("admins")?;
    let s2 = g.create::<Space>("s2")?;
    let s = g.create::<Space>("s")?;
    g.create_share("sh2", s)?;
    let sh = g.create_share("sh", s)?;
    let hs2 = g.create::<HandleService>("hs2")?;
    let hs = g.create::<HandleService>("hs")?;
    let h = g.create_handle("h", hs, sh)?;
    let temp_space = g.create::<Space>("temp-space")?;
    let hv = g.create::<Harvester>("hv")?;
    let c = g.create::<Cluster>("c")?;
    let a = g.create::<AtmInventory>("a")?;

    g.nest(Child(temp_group), Parent(admins), G::all())?;
    g.add_member(temp_space, bob, S::all())?;
    g.add_member(temp_group, mia, G::all())?;
    g.add_member(admins, bob, G::GROUP_DELETE | G::GROUP_VIEW)?;
    g.add_member(team, mia, G::GROUP_VIEW)?;
    g.add_member(team, zoe, G::empty())?;
    g.nest(Child(team), Parent(admins), G::GROUP_VIEW)?;
    g.add_member(s, alice, S::SPACE_VIEW)?;
    g.add_member(s, team, S::SPACE_READ_DATA)?;
    g.add_member(s2, zoe, S::SPACE_VIEW)?;
    g.add_space_owner(s, alice)?;
    g.add_space_owner(s, mia)?;
    g.add_member(hs, bob, HS::HANDLE_SERVICE_VIEW)?;
    g.add_member(hs, team, HS::HANDLE_SERVICE_UPDATE)?;
    g.add_member(hs2, alice, HS::HANDLE_SERVICE_VIEW)?;
    g.add_member(h, alice, H::HANDLE_VIEW)?;
    g.add_member(hv, bob, HV::HARVESTER_VIEW)?;
    g.add_member(hv, admins, HV::HARVESTER_UPDATE)?;
    g.link_harvester_space(hv, s)?;
    g.link_harvester_space(hv, temp_space)?;
    g.add_member(c, admins, C::CLUSTER_VIEW)?;
    g.add_member(a, mia, A::ATM_INVENTORY_VIEW)?;
    g.update_oz_privileges(bob, &PrivilegeUpdate::Set(Oz::OZ_USERS_VIEW))?;
    g.update_oz_privileges(team, &PrivilegeUpdate::Set(Oz::OZ_GROUPS_VIEW))?;

    g.delete(temp)?;
    g.delete(temp_group)?;
    g.delete(temp_space)?;
    Ok(g)
}

#[test]
fn a_graph_built_out_of_id_order_equals_its_reloaded_snapshot() -> Result {
    let graph = built_out_of_order()?;
    let reloaded = load(&save(&graph)).expect("a saved graph loads");
    // Loading builds in id order with no free slots: entities sit elsewhere.
    for id in ["alice", "bob", "zoe"] {
        assert_ne!(
            key::<User>(&graph, id).index(),
            key::<User>(&reloaded, id).index(),
            "{id}"
        );
    }
    assert_ne!(
        key::<Group>(&graph, "admins").index(),
        key::<Group>(&reloaded, "admins").index()
    );
    assert_eq!(graph, reloaded);
    assert_eq!(reloaded, graph);
    // And the relations really came along (the comparison is not vacuous).
    assert_eq!(save(&reloaded), save(&graph));
    assert!(reloaded.has_privilege(
        key::<User>(&reloaded, "mia"),
        key::<Space>(&reloaded, "s"),
        S::SPACE_DELETE
    ));
    Ok(())
}

#[test]
fn graphs_built_in_different_orders_are_equal_and_clones_too() -> Result {
    let graph = built_out_of_order()?;
    let in_id_order = load(&save(&graph)).expect("loads");
    let twice = load(&save(&in_id_order)).expect("loads");
    assert_eq!(in_id_order, twice);
    assert_eq!(graph.clone(), graph);
    assert_eq!(Graph::new(), Graph::new());
    Ok(())
}

/// One change to the graph.
type Change = fn(&mut Graph) -> Result;

/// Each change alters exactly one fact a snapshot records.
fn single_differences() -> Vec<(&'static str, Change)> {
    vec![
        ("a user's privilege bit in a space", |g| {
            let update = PrivilegeUpdate::Set(S::SPACE_VIEW | S::SPACE_UPDATE);
            g.update_member_privileges(key::<Space>(g, "s"), key::<User>(g, "alice"), &update)
                .map(drop)
        }),
        ("a group's privilege bit in a handle service", |g| {
            let update = PrivilegeUpdate::GrantRevoke {
                grant: HS::empty(),
                revoke: HS::HANDLE_SERVICE_UPDATE,
            };
            let (hs, team) = (key::<HandleService>(g, "hs"), key::<Group>(g, "team"));
            g.update_member_privileges(hs, team, &update).map(drop)
        }),
        ("a nesting privilege bit", |g| {
            let update = PrivilegeUpdate::Set(G::GROUP_VIEW | G::GROUP_ADD_USER);
            let (admins, team) = (key::<Group>(g, "admins"), key::<Group>(g, "team"));
            g.update_nesting_privileges(Child(team), Parent(admins), &update)
                .map(drop)
        }),
        ("a direct relation that was only effective", |g| {
            // mia is already an effective member of admins with group_view, through team.
            let (admins, mia) = (key::<Group>(g, "admins"), key::<User>(g, "mia"));
            g.add_member(admins, mia, G::GROUP_VIEW)
        }),
        ("a removed relation", |g| {
            g.remove_member(key::<Cluster>(g, "c"), key::<Group>(g, "admins"))
        }),
        ("a user's own oz privilege", |g| {
            let update = PrivilegeUpdate::Set(Oz::OZ_USERS_VIEW | Oz::OZ_SPACES_VIEW);
            g.update_oz_privileges(key::<User>(g, "bob"), &update)
                .map(drop)
        }),
        ("a group's own oz privilege", |g| {
            let update = PrivilegeUpdate::Set(Oz::empty());
            g.update_oz_privileges(key::<Group>(g, "team"), &update)
                .map(drop)
        }),
        ("an extra owner", |g| {
            g.add_space_owner(key::<Space>(g, "s"), key::<User>(g, "zoe"))
        }),
        ("a lost owner", |g| {
            g.remove_space_owner(key::<Space>(g, "s"), key::<User>(g, "alice"))
        }),
        ("an extra link", |g| {
            g.link_harvester_space(key::<Harvester>(g, "hv"), key::<Space>(g, "s2"))
        }),
        ("a lost link", |g| {
            g.unlink_harvester_space(key::<Harvester>(g, "hv"), key::<Space>(g, "s"))
        }),
        ("an extra entity", |g| g.create::<Cluster>("c2").map(drop)),
        ("an extra share", |g| {
            g.create_share("sh3", key::<Space>(g, "s2")).map(drop)
        }),
        ("an entity with another id", |g| {
            g.delete(key::<AtmInventory>(g, "a"))?;
            g.create::<AtmInventory>("b").map(drop)
        }),
        ("a share in another space", |g| {
            g.delete(key::<Share>(g, "sh2"))?;
            g.create_share("sh2", key::<Space>(g, "s2")).map(drop)
        }),
        ("a handle in another handle service", |g| {
            let h = key::<Handle>(g, "h");
            let share = g.handle_share(h).expect("h has a share");
            g.delete(h)?;
            let h = g.create_handle("h", key::<HandleService>(g, "hs2"), share)?;
            g.add_member(h, key::<User>(g, "alice"), H::HANDLE_VIEW)
        }),
        ("a handle for another share", |g| {
            let h = key::<Handle>(g, "h");
            g.delete(h)?;
            let sh2 = key::<Share>(g, "sh2");
            let h = g.create_handle("h", key::<HandleService>(g, "hs"), sh2)?;
            g.add_member(h, key::<User>(g, "alice"), H::HANDLE_VIEW)
        }),
    ]
}

#[test]
fn each_single_difference_makes_graphs_unequal() -> Result {
    let base = built_out_of_order()?;
    for (name, change) in single_differences() {
        let mut changed = base.clone();
        change(&mut changed).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_ne!(
            save(&changed),
            save(&base),
            "{name}: the change changed nothing"
        );
        assert_ne!(changed, base, "{name}");
        assert_ne!(base, changed, "{name} (other direction)");
        // The same difference, with the two graphs laid out differently.
        let reloaded = load(&save(&changed)).expect("loads");
        assert_ne!(reloaded, base, "{name} (reloaded)");
        assert_ne!(base, reloaded, "{name} (reloaded, other direction)");
    }
    Ok(())
}

#[test]
fn undoing_a_difference_restores_equality() -> Result {
    let base = built_out_of_order()?;
    let mut graph = base.clone();
    let (s, alice) = (key::<Space>(&graph, "s"), key::<User>(&graph, "alice"));
    graph.update_member_privileges(s, alice, &PrivilegeUpdate::Set(S::all()))?;
    assert_ne!(graph, base);
    graph.update_member_privileges(s, alice, &PrivilegeUpdate::Set(S::SPACE_VIEW))?;
    assert_eq!(graph, base);

    let (hv, s2) = (key::<Harvester>(&graph, "hv"), key::<Space>(&graph, "s2"));
    graph.link_harvester_space(hv, s2)?;
    assert_ne!(graph, base);
    graph.unlink_harvester_space(hv, s2)?;
    assert_eq!(graph, base);
    Ok(())
}
