//! Onezone's worked examples of effective privileges as graph-level tests, one test per
//! refusal the graph can return, and two scale tests (a deep nesting chain, a big group).
//!
//! Every expected value is copied by hand from the worked examples of Onezone's model
//! (privilege names as Onezone prints them) or derived by hand from the rule of
//! effective privileges (direct ∪ those of every direct member group one belongs to);
//! nothing is computed by the code under test. Request rows that are pure
//! graph facts ("afterwards effective privileges are …") are replayed as mutations; the
//! authorization, status codes and bodies belong to the `logic` and `rest` layers.

use std::time::Instant;

use privgraph::graph::{
    Child, EntityKind, EntityRef, Graph, GraphError, Group, Handle, HandleService, Harvester,
    IdProblem, Intermediary, Key, Kind, MemberKind, Parent, Path, Share, Space, Target, User,
};
use privgraph::privileges::{
    GroupPrivileges as G, HandlePrivileges as H, HandleServicePrivileges as HS, OzPrivileges as Oz,
    PrivilegeUpdate, Privileges, SpacePrivileges as S,
};

type Result = std::result::Result<(), GraphError>;

// ---------------------------------------------------------------------------------------
// Helpers (presentation only: they never decide an expected value)
// ---------------------------------------------------------------------------------------

/// The names of a privilege set, in name order, as Onezone's examples print them.
fn names<P: Privileges>(set: Option<P>) -> Option<Vec<&'static str>> {
    set.map(|p| p.names().collect())
}

/// The ids of `keys`, sorted (the graph's lists come in no particular order).
fn ids<K: Kind>(graph: &Graph, keys: impl IntoIterator<Item = Key<K>>) -> Vec<String> {
    let mut out: Vec<String> = keys
        .into_iter()
        .map(|k| graph.id(k).expect("a listed key is live").to_owned())
        .collect();
    out.sort();
    out
}

fn entity(kind: EntityKind, id: &str) -> EntityRef {
    EntityRef {
        kind,
        id: id.to_owned(),
    }
}

fn key<K: Kind>(graph: &Graph, id: &str) -> Key<K> {
    graph
        .key::<K>(id)
        .unwrap_or_else(|| panic!("no {} {id}", K::KIND))
}

/// Effective privileges of member `m` in target `t`, by ids.
fn eff<M: MemberKind, T: Target>(graph: &Graph, m: &str, t: &str) -> Option<Vec<&'static str>> {
    names(graph.effective_privileges(key::<M>(graph, m), key::<T>(graph, t)))
}

/// A deterministic xorshift generator, so that "many build orders" is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Forward, reverse and `extra` pseudo-random orders of `0..n`.
fn orders(n: usize, extra: usize, seed: u64) -> Vec<Vec<usize>> {
    let forward: Vec<usize> = (0..n).collect();
    let mut all = vec![forward.clone(), forward.iter().rev().copied().collect()];
    let mut rng = Rng(seed);
    for _ in 0..extra {
        let mut order = forward.clone();
        rng.shuffle(&mut order);
        all.push(order);
    }
    all
}

/// One direct relation of a worked example (only the kinds the examples use).
#[derive(Clone, Copy)]
enum Rel {
    /// `user` is a direct member of group `group`.
    GroupUser(&'static str, &'static str, G),
    /// `child` is a direct child of group `parent`.
    GroupChild(&'static str, &'static str, G),
    /// `user` is a direct member of handle service `hs`.
    HsUser(&'static str, &'static str, HS),
    /// `group` is a direct member of handle service `hs`.
    HsGroup(&'static str, &'static str, HS),
}

/// Creates the entities, then adds `rels` in `order`.
fn build(
    users: &[&str],
    groups: &[&str],
    handle_services: &[&str],
    rels: &[Rel],
    order: &[usize],
) -> std::result::Result<Graph, GraphError> {
    let mut graph = Graph::new();
    for id in users {
        graph.create::<User>(id)?;
    }
    for id in groups {
        graph.create::<Group>(id)?;
    }
    for id in handle_services {
        graph.create::<HandleService>(id)?;
    }
    for &i in order {
        match rels[i] {
            Rel::GroupUser(g, u, p) => {
                let (g, u) = (key::<Group>(&graph, g), key::<User>(&graph, u));
                graph.add_member(g, u, p)?;
            }
            Rel::GroupChild(parent, child, p) => {
                let (parent, child) = (key::<Group>(&graph, parent), key::<Group>(&graph, child));
                graph.nest(Child(child), Parent(parent), p)?;
            }
            Rel::HsUser(hs, u, p) => {
                let (hs, u) = (key::<HandleService>(&graph, hs), key::<User>(&graph, u));
                graph.add_member(hs, u, p)?;
            }
            Rel::HsGroup(hs, g, p) => {
                let (hs, g) = (key::<HandleService>(&graph, hs), key::<Group>(&graph, g));
                graph.add_member(hs, g, p)?;
            }
        }
    }
    Ok(graph)
}

// ---------------------------------------------------------------------------------------
// Onezone's worked example: group privileges through nesting
// ---------------------------------------------------------------------------------------

const GROUPS_56_USERS: &[&str] = &["alice", "bob", "carol"];
const GROUPS_56_GROUPS: &[&str] = &["top", "mid", "side", "bottom"];

/// The example's direct relations, row by row.
fn groups_56_rels() -> Vec<Rel> {
    vec![
        Rel::GroupChild("top", "mid", G::GROUP_VIEW),
        Rel::GroupChild("top", "side", G::GROUP_REMOVE_CHILD.union(G::GROUP_VIEW)),
        Rel::GroupChild("mid", "bottom", G::GROUP_ADD_USER.union(G::GROUP_VIEW)),
        Rel::GroupChild("side", "bottom", G::GROUP_VIEW),
        // "admin preset (she created it)": the admin preset is the whole vocabulary.
        Rel::GroupUser("bottom", "alice", G::all()),
        Rel::GroupUser("top", "alice", G::GROUP_SET_PRIVILEGES),
        Rel::GroupUser("mid", "bob", G::GROUP_VIEW.union(G::GROUP_VIEW_PRIVILEGES)),
        Rel::GroupUser("side", "carol", G::empty()),
    ]
}

fn groups_56() -> std::result::Result<Graph, GraphError> {
    let rels = groups_56_rels();
    let order: Vec<usize> = (0..rels.len()).collect();
    build(GROUPS_56_USERS, GROUPS_56_GROUPS, &[], &rels, &order)
}

/// The example's effective results.
fn assert_groups_56_effective(graph: &Graph) {
    let top = key::<Group>(graph, "top");
    let (mid, side) = (key::<Group>(graph, "mid"), key::<Group>(graph, "side"));
    assert_eq!(
        ids(graph, graph.effective_members::<User, Group>(top)),
        ["alice", "bob", "carol"]
    );
    assert_eq!(
        ids(graph, graph.effective_members::<Group, Group>(top)),
        ["bottom", "mid", "side"]
    );
    assert_eq!(
        eff::<User, Group>(graph, "alice", "top"),
        Some(vec![
            "group_remove_child",
            "group_set_privileges",
            "group_view"
        ])
    );
    assert_eq!(
        eff::<User, Group>(graph, "alice", "mid"),
        Some(vec!["group_add_user", "group_view"])
    );
    assert_eq!(
        eff::<User, Group>(graph, "bob", "top"),
        Some(vec!["group_view"])
    );
    assert_eq!(
        eff::<User, Group>(graph, "carol", "top"),
        Some(vec!["group_remove_child", "group_view"])
    );
    // GET /groups/top/effective_children/bottom/privileges
    assert_eq!(
        eff::<Group, Group>(graph, "bottom", "top"),
        Some(vec!["group_remove_child", "group_view"])
    );
    // Membership intermediaries: the graph lists `Direct` first, then groups by id; the
    // REST layer sorts `"self"` among the ids.
    let alice = key::<User>(graph, "alice");
    let bottom = key::<Group>(graph, "bottom");
    assert_eq!(
        graph.intermediaries(alice, top),
        Some(vec![
            Intermediary::Direct,
            Intermediary::Group(mid),
            Intermediary::Group(side)
        ])
    );
    assert_eq!(
        graph.intermediaries(bottom, top),
        Some(vec![Intermediary::Group(mid), Intermediary::Group(side)])
    );
}

#[test]
fn groups_5_6_effective_results() -> Result {
    let graph = groups_56()?;
    assert_groups_56_effective(&graph);
    // GET /groups/top/users (bob) → ["alice"]; bob holds group_view in top.
    let top = key::<Group>(&graph, "top");
    assert_eq!(
        ids(&graph, graph.direct_members::<User, Group>(top)),
        ["alice"]
    );
    assert!(graph.has_privilege(key::<User>(&graph, "bob"), top, G::GROUP_VIEW));
    assert_eq!(
        ids(&graph, graph.direct_members::<Group, Group>(top)),
        ["mid", "side"]
    );
    Ok(())
}

#[test]
fn groups_5_6_does_not_depend_on_build_order() -> Result {
    let rels = groups_56_rels();
    for order in orders(rels.len(), 40, 0x5eed_0506) {
        let graph = build(GROUPS_56_USERS, GROUPS_56_GROUPS, &[], &rels, &order)?;
        assert_groups_56_effective(&graph);
        assert_eq!(graph, groups_56()?, "order {order:?}");
    }
    Ok(())
}

#[test]
fn groups_5_6_privileges_that_are_not_inherited() -> Result {
    let graph = groups_56()?;
    let (alice, bob) = (key::<User>(&graph, "alice"), key::<User>(&graph, "bob"));
    let (top, bottom) = (key::<Group>(&graph, "top"), key::<Group>(&graph, "bottom"));
    // bob's group_view_privileges is in mid only: GET …/effective_users/alice/privileges
    // by bob is 403.
    assert!(!graph.has_privilege(bob, top, G::GROUP_VIEW_PRIVILEGES));
    // PUT /groups/top/children/bottom (alice) is 403: no group_add_child in top, while
    // her admin preset in bottom does give group_add_parent there.
    assert!(!graph.has_privilege(alice, top, G::GROUP_ADD_CHILD));
    assert!(graph.has_privilege(alice, bottom, G::GROUP_ADD_PARENT));
    // Her admin preset in bottom and bottom's group_add_user in mid are not inherited.
    assert!(!graph.has_privilege(alice, top, G::GROUP_ADD_USER));
    assert!(!graph.has_privilege(alice, top, G::GROUP_DELETE));
    // GET /groups/top/users/bob/privileges is 404: bob is not a direct member of top.
    assert_eq!(graph.direct_privileges(bob, top), None);
    assert!(graph.is_effective_member(bob, top));
    // PUT /groups/top/users/alice needs group_add_user, which she lacks.
    assert!(!graph.has_privilege(alice, top, G::GROUP_ADD_USER));
    Ok(())
}

#[test]
fn groups_5_6_explain_paths() -> Result {
    let graph = groups_56()?;
    let k = |id| key::<Group>(&graph, id);
    let (top, mid, side, bottom) = (k("top"), k("mid"), k("side"), k("bottom"));
    let alice = key::<User>(&graph, "alice");
    let carol = key::<User>(&graph, "carol");
    let bob = key::<User>(&graph, "bob");

    // alice's group_remove_child in top comes through side only.
    assert_eq!(
        graph.explain(alice, top, G::GROUP_REMOVE_CHILD, 10),
        vec![Path {
            groups: vec![bottom, side],
            contributes: G::GROUP_REMOVE_CHILD
        }]
    );
    // Everything alice holds in top: her direct relation first, then the chains in the
    // order of the groups' ids (mid before side).
    assert_eq!(
        graph.explain(alice, top, G::all(), 10),
        vec![
            Path {
                groups: vec![],
                contributes: G::GROUP_SET_PRIVILEGES
            },
            Path {
                groups: vec![bottom, mid],
                contributes: G::GROUP_VIEW
            },
            Path {
                groups: vec![bottom, side],
                contributes: G::GROUP_REMOVE_CHILD | G::GROUP_VIEW
            },
        ]
    );
    assert_eq!(graph.explain(alice, top, G::all(), 2).len(), 2);
    assert_eq!(graph.explain(alice, top, G::all(), 0), vec![]);
    // carol holds nothing in side and still inherits side's privileges in top.
    assert_eq!(
        graph.explain(carol, top, G::GROUP_REMOVE_CHILD, 10),
        vec![Path {
            groups: vec![side],
            contributes: G::GROUP_REMOVE_CHILD
        }]
    );
    // Nothing explains a privilege that is not held.
    assert_eq!(
        graph.explain(bob, top, G::GROUP_VIEW_PRIVILEGES, 10),
        vec![]
    );
    assert_eq!(graph.explain(alice, top, G::GROUP_ADD_USER, 10), vec![]);
    // Group members: bottom's view in top comes through mid and side.
    assert_eq!(
        graph.explain(bottom, top, G::GROUP_VIEW, 10),
        vec![
            Path {
                groups: vec![mid],
                contributes: G::GROUP_VIEW
            },
            Path {
                groups: vec![side],
                contributes: G::GROUP_VIEW
            },
        ]
    );
    Ok(())
}

#[test]
fn groups_5_6_patch_child_privileges_grant() -> Result {
    // PATCH /groups/top/children/mid/privileges {"grant": ["group_add_user"]} (alice):
    // afterwards effPriv(bob, top) and effPriv(alice, top) gain group_add_user.
    let mut graph = groups_56()?;
    let (top, mid) = (key::<Group>(&graph, "top"), key::<Group>(&graph, "mid"));
    assert!(graph.has_privilege(key::<User>(&graph, "alice"), top, G::GROUP_SET_PRIVILEGES));
    let update = PrivilegeUpdate::GrantRevoke {
        grant: G::GROUP_ADD_USER,
        revoke: G::empty(),
    };
    let applied = graph.update_nesting_privileges(Child(mid), Parent(top), &update)?;
    assert!(applied.changed);
    assert_eq!(
        names(Some(applied.privileges)),
        Some(vec!["group_add_user", "group_view"])
    );
    assert_eq!(
        eff::<User, Group>(&graph, "bob", "top"),
        Some(vec!["group_add_user", "group_view"])
    );
    assert_eq!(
        eff::<User, Group>(&graph, "alice", "top"),
        Some(vec![
            "group_add_user",
            "group_remove_child",
            "group_set_privileges",
            "group_view"
        ])
    );
    // carol is not below mid; bottom is.
    assert_eq!(
        eff::<User, Group>(&graph, "carol", "top"),
        Some(vec!["group_remove_child", "group_view"])
    );
    assert_eq!(
        eff::<Group, Group>(&graph, "bottom", "top"),
        Some(vec!["group_add_user", "group_remove_child", "group_view"])
    );
    // Nothing changes in mid itself.
    assert_eq!(
        eff::<User, Group>(&graph, "alice", "mid"),
        Some(vec!["group_add_user", "group_view"])
    );
    // Granting again changes nothing.
    let again = graph.update_nesting_privileges(Child(mid), Parent(top), &update)?;
    assert!(!again.changed);
    Ok(())
}

#[test]
fn groups_5_6_carol_removes_mid_from_top() -> Result {
    // DELETE /groups/top/children/mid (carol) is allowed: group_remove_child via side.
    let mut graph = groups_56()?;
    let (top, mid) = (key::<Group>(&graph, "top"), key::<Group>(&graph, "mid"));
    let side = key::<Group>(&graph, "side");
    assert!(graph.has_privilege(key::<User>(&graph, "carol"), top, G::GROUP_REMOVE_CHILD));
    graph.unnest(Child(mid), Parent(top))?;
    // Derived by hand from the rule: bob was in top only through mid; alice keeps her
    // direct relation and side; bottom stays through side.
    assert_eq!(
        ids(&graph, graph.effective_members::<User, Group>(top)),
        ["alice", "carol"]
    );
    assert_eq!(
        ids(&graph, graph.effective_members::<Group, Group>(top)),
        ["bottom", "side"]
    );
    assert_eq!(eff::<User, Group>(&graph, "bob", "top"), None);
    assert_eq!(
        eff::<User, Group>(&graph, "alice", "top"),
        Some(vec![
            "group_remove_child",
            "group_set_privileges",
            "group_view"
        ])
    );
    assert_eq!(
        eff::<Group, Group>(&graph, "bottom", "top"),
        Some(vec!["group_remove_child", "group_view"])
    );
    let alice = key::<User>(&graph, "alice");
    assert_eq!(
        graph.intermediaries(alice, top),
        Some(vec![Intermediary::Direct, Intermediary::Group(side)])
    );
    // mid itself is untouched.
    assert_eq!(
        eff::<User, Group>(&graph, "alice", "mid"),
        Some(vec!["group_add_user", "group_view"])
    );
    assert_eq!(
        ids(
            &graph,
            graph.effective_memberships::<User, Group>(key::<User>(&graph, "bob"))
        ),
        ["mid"]
    );
    Ok(())
}

#[test]
fn groups_5_6_membership_rows() -> Result {
    let mut graph = groups_56()?;
    let (top, mid, side) = (
        key::<Group>(&graph, "top"),
        key::<Group>(&graph, "mid"),
        key::<Group>(&graph, "side"),
    );
    let (alice, bob) = (key::<User>(&graph, "alice"), key::<User>(&graph, "bob"));

    // PUT /groups/top/users/alice as an oz admin: 409, she is already a direct member.
    let before = graph.clone();
    assert_eq!(
        graph.add_member(top, alice, G::GROUP_VIEW),
        Err(GraphError::RelationExists {
            child: entity(EntityKind::User, "alice"),
            parent: entity(EntityKind::Group, "top"),
        })
    );
    assert_eq!(graph, before);

    // DELETE /user/groups/top (bob): 404, not a direct member.
    assert_eq!(
        graph.remove_member(top, bob),
        Err(GraphError::RelationMissing {
            child: entity(EntityKind::User, "bob"),
            parent: entity(EntityKind::Group, "top"),
        })
    );
    assert_eq!(graph, before);

    // DELETE /user/groups/top (alice): she stays an effective member through mid and
    // side, and loses only her direct group_set_privileges.
    graph.remove_member(top, alice)?;
    assert!(graph.is_effective_member(alice, top));
    assert_eq!(
        graph.intermediaries(alice, top),
        Some(vec![Intermediary::Group(mid), Intermediary::Group(side)])
    );
    assert_eq!(
        eff::<User, Group>(&graph, "alice", "top"),
        Some(vec!["group_remove_child", "group_view"])
    );
    assert_eq!(graph.direct_privileges(alice, top), None);
    assert_eq!(
        ids(&graph, graph.direct_members::<User, Group>(top)),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&graph, graph.effective_members::<User, Group>(top)),
        ["alice", "bob", "carol"]
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Onezone's worked example: oz privileges through nesting
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum OzStep {
    Own(&'static str, Oz),
    OwnGroup(&'static str, Oz),
    Nest,
    Join,
}

/// The example as steps; every order of them must give the same graph.
const OZ_57_STEPS: [OzStep; 5] = [
    OzStep::OwnGroup(
        "ops",
        Oz::OZ_GROUPS_LIST_RELATIONSHIPS.union(Oz::OZ_VIEW_PRIVILEGES),
    ),
    OzStep::OwnGroup("auditors", Oz::OZ_USERS_LIST),
    OzStep::Own("dave", Oz::OZ_GROUPS_VIEW),
    OzStep::Nest,
    OzStep::Join,
];

fn oz_57(order: &[usize]) -> std::result::Result<Graph, GraphError> {
    let mut graph = Graph::new();
    let ops = graph.create::<Group>("ops")?;
    let auditors = graph.create::<Group>("auditors")?;
    let dave = graph.create::<User>("dave")?;
    graph.create::<User>("erin")?;
    for &i in order {
        match OZ_57_STEPS[i] {
            OzStep::Own(u, p) => {
                graph.update_oz_privileges(key::<User>(&graph, u), &PrivilegeUpdate::Set(p))?;
            }
            OzStep::OwnGroup(g, p) => {
                graph.update_oz_privileges(key::<Group>(&graph, g), &PrivilegeUpdate::Set(p))?;
            }
            OzStep::Nest => graph.nest(Child(auditors), Parent(ops), G::GROUP_VIEW)?,
            OzStep::Join => graph.add_member(auditors, dave, G::empty())?,
        }
    }
    Ok(graph)
}

fn oz_names<M: MemberKind>(graph: &Graph, id: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    let k = key::<M>(graph, id);
    (
        graph.oz_privileges(k).expect("live").names().collect(),
        graph
            .effective_oz_privileges(k)
            .expect("live")
            .names()
            .collect(),
    )
}

fn assert_oz_57(graph: &Graph) {
    // GET /users/dave/privileges → own only; …/effective_privileges → the union.
    assert_eq!(
        oz_names::<User>(graph, "dave"),
        (
            vec!["oz_groups_view"],
            vec![
                "oz_groups_list_relationships",
                "oz_groups_view",
                "oz_users_list",
                "oz_view_privileges"
            ]
        )
    );
    // GET /groups/auditors/effective_privileges.
    assert_eq!(
        oz_names::<Group>(graph, "auditors").1,
        [
            "oz_groups_list_relationships",
            "oz_users_list",
            "oz_view_privileges"
        ]
    );
    assert_eq!(
        oz_names::<Group>(graph, "ops"),
        (
            vec!["oz_groups_list_relationships", "oz_view_privileges"],
            vec!["oz_groups_list_relationships", "oz_view_privileges"]
        )
    );
    // erin: member of no group, no oz privileges (GET /groups/ops/privileges → 403).
    assert_eq!(oz_names::<User>(graph, "erin"), (vec![], vec![]));
    let (dave, erin) = (key::<User>(graph, "dave"), key::<User>(graph, "erin"));
    assert!(!graph.has_oz_privilege(erin, Oz::OZ_VIEW_PRIVILEGES));
    // dave reads through oz_view_privileges and lists through
    // oz_groups_list_relationships, but cannot set (PATCH /users/erin/privileges → 403).
    assert!(graph.has_oz_privilege(dave, Oz::OZ_VIEW_PRIVILEGES));
    assert!(graph.has_oz_privilege(dave, Oz::OZ_GROUPS_LIST_RELATIONSHIPS));
    assert!(!graph.has_oz_privilege(dave, Oz::OZ_SET_PRIVILEGES));
    // Group privileges play no role: dave holds none in auditors.
    assert_eq!(eff::<User, Group>(graph, "dave", "auditors"), Some(vec![]));
}

#[test]
fn oz_5_7_every_build_order() -> Result {
    let mut all = Vec::new();
    permutations(&mut (0..OZ_57_STEPS.len()).collect::<Vec<_>>(), 0, &mut all);
    assert_eq!(all.len(), 120);
    let reference = oz_57(&[0, 1, 2, 3, 4])?;
    for order in all {
        let graph = oz_57(&order)?;
        assert_oz_57(&graph);
        assert_eq!(graph, reference, "order {order:?}");
    }
    Ok(())
}

fn permutations(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, out);
        items.swap(k, i);
    }
}

#[test]
fn oz_5_7_delete_child_auditors() -> Result {
    // DELETE /groups/ops/children/auditors, then GET /users/dave/effective_privileges
    // → ["oz_groups_view", "oz_users_list"].
    let mut graph = oz_57(&[0, 1, 2, 3, 4])?;
    let (ops, auditors) = (
        key::<Group>(&graph, "ops"),
        key::<Group>(&graph, "auditors"),
    );
    graph.unnest(Child(auditors), Parent(ops))?;
    assert_eq!(
        oz_names::<User>(&graph, "dave").1,
        ["oz_groups_view", "oz_users_list"]
    );
    assert_eq!(oz_names::<Group>(&graph, "auditors").1, ["oz_users_list"]);
    Ok(())
}

#[test]
fn oz_5_7_revoking_and_leaving() -> Result {
    // Derived by hand from the oz rule: revoking a group's oz privilege reaches everybody
    // below; leaving the group drops everything inherited.
    let mut graph = oz_57(&[0, 1, 2, 3, 4])?;
    let ops = key::<Group>(&graph, "ops");
    let (auditors, dave) = (
        key::<Group>(&graph, "auditors"),
        key::<User>(&graph, "dave"),
    );
    let revoke = PrivilegeUpdate::GrantRevoke {
        grant: Oz::empty(),
        revoke: Oz::OZ_VIEW_PRIVILEGES,
    };
    graph.update_oz_privileges(ops, &revoke)?;
    assert_eq!(
        oz_names::<User>(&graph, "dave").1,
        [
            "oz_groups_list_relationships",
            "oz_groups_view",
            "oz_users_list"
        ]
    );
    graph.update_oz_privileges(dave, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))?;
    graph.update_oz_privileges(auditors, &PrivilegeUpdate::Set(Oz::empty()))?;
    // dave's own oz_users_list stays although auditors no longer gives it.
    assert_eq!(
        oz_names::<User>(&graph, "dave").1,
        ["oz_groups_list_relationships", "oz_users_list"]
    );
    graph.remove_member(auditors, dave)?;
    assert_eq!(
        oz_names::<User>(&graph, "dave"),
        (vec!["oz_users_list"], vec!["oz_users_list"])
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Onezone's worked example for handle services: a diamond of nested groups
// ---------------------------------------------------------------------------------------

const DIAMOND_USERS: &[&str] = &["alice", "bob", "carol"];
const DIAMOND_GROUPS: &[&str] = &["core", "teamA", "teamB"];

fn diamond_rels() -> Vec<Rel> {
    // Groups first, then the service: the order the reference reads in. Every other
    // order must give the same graph (`handles_5_2_does_not_depend_on_build_order`).
    vec![
        // "privileges inside groups do not matter": a mix, to show it.
        Rel::GroupChild("teamA", "core", G::empty()),
        Rel::GroupChild("teamB", "core", G::all()),
        Rel::GroupUser("core", "alice", G::GROUP_VIEW),
        Rel::GroupUser("core", "bob", G::empty()),
        Rel::GroupUser("teamB", "carol", G::empty()),
        Rel::HsUser("hs", "alice", HS::HANDLE_SERVICE_VIEW),
        Rel::HsGroup(
            "hs",
            "teamA",
            HS::HANDLE_SERVICE_LIST_HANDLES.union(HS::HANDLE_SERVICE_REGISTER_HANDLE),
        ),
        Rel::HsGroup("hs", "teamB", HS::HANDLE_SERVICE_UPDATE),
    ]
}

fn diamond() -> std::result::Result<Graph, GraphError> {
    let rels = diamond_rels();
    let order: Vec<usize> = (0..rels.len()).collect();
    build(DIAMOND_USERS, DIAMOND_GROUPS, &["hs"], &rels, &order)
}

fn assert_diamond(graph: &Graph) {
    let hs = key::<HandleService>(graph, "hs");
    let (team_a, team_b) = (key::<Group>(graph, "teamA"), key::<Group>(graph, "teamB"));
    assert_eq!(
        eff::<User, HandleService>(graph, "alice", "hs"),
        Some(vec![
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_update",
            "handle_service_view"
        ])
    );
    assert_eq!(
        eff::<User, HandleService>(graph, "bob", "hs"),
        Some(vec![
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_update"
        ])
    );
    assert_eq!(
        eff::<User, HandleService>(graph, "carol", "hs"),
        Some(vec!["handle_service_update"])
    );
    assert_eq!(
        eff::<Group, HandleService>(graph, "core", "hs"),
        Some(vec![
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_update"
        ])
    );
    assert_eq!(
        eff::<Group, HandleService>(graph, "teamA", "hs"),
        Some(vec![
            "handle_service_list_handles",
            "handle_service_register_handle"
        ])
    );
    assert_eq!(
        eff::<Group, HandleService>(graph, "teamB", "hs"),
        Some(vec!["handle_service_update"])
    );
    // Lists.
    assert_eq!(
        ids(graph, graph.direct_members::<User, HandleService>(hs)),
        ["alice"]
    );
    assert_eq!(
        ids(graph, graph.effective_members::<User, HandleService>(hs)),
        ["alice", "bob", "carol"]
    );
    assert_eq!(
        ids(graph, graph.direct_members::<Group, HandleService>(hs)),
        ["teamA", "teamB"]
    );
    assert_eq!(
        ids(graph, graph.effective_members::<Group, HandleService>(hs)),
        ["core", "teamA", "teamB"]
    );
    // "effective through" column.
    let k = |id| key::<User>(graph, id);
    let (a, b) = (Intermediary::Group(team_a), Intermediary::Group(team_b));
    assert_eq!(
        graph.intermediaries(k("alice"), hs),
        Some(vec![Intermediary::Direct, a, b])
    );
    assert_eq!(graph.intermediaries(k("bob"), hs), Some(vec![a, b]));
    assert_eq!(graph.intermediaries(k("carol"), hs), Some(vec![b]));
    assert_eq!(
        graph.intermediaries(key::<Group>(graph, "core"), hs),
        Some(vec![a, b])
    );
    assert_eq!(
        graph.intermediaries(team_a, hs),
        Some(vec![Intermediary::Direct])
    );
}

#[test]
fn handles_5_2_diamond() -> Result {
    let graph = diamond()?;
    assert_diamond(&graph);
    let hs = key::<HandleService>(&graph, "hs");
    let k = |id| key::<User>(&graph, id);
    let (alice, bob, carol) = (k("alice"), k("bob"), k("carol"));
    let core = key::<Group>(&graph, "core");
    // GET /handle_services/hs (carol) → 200: an effective member.
    assert!(graph.is_effective_member(carol, hs));
    // GET /handle_services/hs/users (bob) → 403: no handle_service_view.
    assert!(!graph.has_privilege(bob, hs, HS::HANDLE_SERVICE_VIEW));
    // GET …/users/bob/privileges (alice) → 404; …/groups/core/privileges → 404.
    assert_eq!(graph.direct_privileges(bob, hs), None);
    assert_eq!(graph.direct_privileges(core, hs), None);
    // alice may read: handle_service_view.
    assert!(graph.has_privilege(alice, hs, HS::HANDLE_SERVICE_VIEW));
    // GET /handle_services/hs/groups/core (bob) → 200: bob is a member of core.
    assert!(graph.is_effective_member(bob, core));
    // GET /handle_services/hs/handles (bob) → 200: list_handles via teamA.
    assert!(graph.has_privilege(bob, hs, HS::HANDLE_SERVICE_LIST_HANDLES));
    // POST /user/handles: bob may register (via teamA), carol may not.
    assert!(graph.has_privilege(bob, hs, HS::HANDLE_SERVICE_REGISTER_HANDLE));
    assert!(!graph.has_privilege(carol, hs, HS::HANDLE_SERVICE_REGISTER_HANDLE));
    let team_a = key::<Group>(&graph, "teamA");
    assert_eq!(
        graph.explain(bob, hs, HS::HANDLE_SERVICE_REGISTER_HANDLE, 10),
        vec![Path {
            groups: vec![core, team_a],
            contributes: HS::HANDLE_SERVICE_REGISTER_HANDLE
        }]
    );
    Ok(())
}

#[test]
fn handles_5_2_does_not_depend_on_build_order() -> Result {
    let rels = diamond_rels();
    for order in orders(rels.len(), 40, 0xd1a_0052) {
        let graph = build(DIAMOND_USERS, DIAMOND_GROUPS, &["hs"], &rels, &order)?;
        assert_diamond(&graph);
        assert_eq!(graph, diamond()?, "order {order:?}");
    }
    Ok(())
}

#[test]
fn handles_5_2_patch_team_b_grant_wins() -> Result {
    // PATCH /handle_services/hs/groups/teamB/privileges
    // {"grant": ["handle_service_view"], "revoke": ["handle_service_update",
    // "handle_service_view"]} (carol) → teamB becomes [handle_service_view].
    let mut graph = diamond()?;
    let hs = key::<HandleService>(&graph, "hs");
    let (team_b, carol) = (key::<Group>(&graph, "teamB"), key::<User>(&graph, "carol"));
    assert!(graph.has_privilege(carol, hs, HS::HANDLE_SERVICE_UPDATE));
    let update = PrivilegeUpdate::GrantRevoke {
        grant: HS::HANDLE_SERVICE_VIEW,
        revoke: HS::HANDLE_SERVICE_UPDATE | HS::HANDLE_SERVICE_VIEW,
    };
    let applied = graph.update_member_privileges(hs, team_b, &update)?;
    assert!(applied.changed);
    assert_eq!(
        names(Some(applied.privileges)),
        Some(vec!["handle_service_view"])
    );
    assert_eq!(
        names(graph.direct_privileges(team_b, hs)),
        Some(vec!["handle_service_view"])
    );
    // Afterwards: carol [handle_service_view]; bob and alice [list_handles,
    // register_handle, view]. carol demoted herself.
    assert_eq!(
        eff::<User, HandleService>(&graph, "carol", "hs"),
        Some(vec!["handle_service_view"])
    );
    let three = Some(vec![
        "handle_service_list_handles",
        "handle_service_register_handle",
        "handle_service_view",
    ]);
    assert_eq!(eff::<User, HandleService>(&graph, "bob", "hs"), three);
    assert_eq!(eff::<User, HandleService>(&graph, "alice", "hs"), three);
    assert_eq!(eff::<Group, HandleService>(&graph, "core", "hs"), three);
    // The same PATCH again (carol) → 403: she no longer holds handle_service_update.
    assert!(!graph.has_privilege(carol, hs, HS::HANDLE_SERVICE_UPDATE));
    // Applying it again changes nothing.
    assert!(!graph.update_member_privileges(hs, team_b, &update)?.changed);
    Ok(())
}

#[test]
fn handles_5_2_diamond_edge_removal_counts_paths_once() -> Result {
    // Derived by hand from the rule: a path reached twice contributes once, and losing one
    // of the two keeps the membership through the other.
    let mut graph = diamond()?;
    let hs = key::<HandleService>(&graph, "hs");
    let (core, team_a) = (key::<Group>(&graph, "core"), key::<Group>(&graph, "teamA"));
    let team_b = key::<Group>(&graph, "teamB");
    graph.unnest(Child(core), Parent(team_a))?;
    assert_eq!(
        eff::<User, HandleService>(&graph, "bob", "hs"),
        Some(vec!["handle_service_update"])
    );
    assert_eq!(
        eff::<User, HandleService>(&graph, "alice", "hs"),
        Some(vec!["handle_service_update", "handle_service_view"])
    );
    assert_eq!(
        graph.intermediaries(key::<User>(&graph, "bob"), hs),
        Some(vec![Intermediary::Group(team_b)])
    );
    graph.unnest(Child(core), Parent(team_b))?;
    assert_eq!(eff::<User, HandleService>(&graph, "bob", "hs"), None);
    assert_eq!(eff::<Group, HandleService>(&graph, "core", "hs"), None);
    assert_eq!(
        eff::<User, HandleService>(&graph, "alice", "hs"),
        Some(vec!["handle_service_view"])
    );
    assert_eq!(
        ids(&graph, graph.effective_members::<User, HandleService>(hs)),
        ["alice", "carol"]
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Onezone's worked example: handle vs handle-service privileges
// ---------------------------------------------------------------------------------------

struct Example53 {
    graph: Graph,
    hs: Key<HandleService>,
    h: Key<Handle>,
    sh: Key<Share>,
}

fn handles_53() -> std::result::Result<Example53, GraphError> {
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs")?;
    let space = graph.create::<Space>("sp")?;
    let sh = graph.create_share("sh", space)?;
    let h = graph.create_handle("h", hs, sh)?;
    let dave = graph.create::<User>("dave")?;
    let erin = graph.create::<User>("erin")?;
    let frank = graph.create::<User>("frank")?;
    graph.add_member(hs, dave, HS::HANDLE_SERVICE_MANAGE_HANDLES)?;
    graph.add_member(h, erin, H::HANDLE_VIEW)?;
    graph.add_member(h, frank, H::HANDLE_UPDATE)?;
    Ok(Example53 { graph, hs, h, sh })
}

#[test]
fn handles_5_3_graph_facts() -> Result {
    let Example53 {
        mut graph,
        hs,
        h,
        sh,
    } = handles_53()?;
    let k = |g: &Graph, id| key::<User>(g, id);
    let (dave, erin, frank) = (k(&graph, "dave"), k(&graph, "erin"), k(&graph, "frank"));

    // hs(h) is hs; the handle is not a member of its service.
    assert_eq!(graph.handle_service_of(h), Some(hs));
    assert_eq!(graph.handle_share(h), Some(sh));
    assert_eq!(graph.share_handle(sh), Some(h));
    assert_eq!(graph.handle_service_handles(hs), vec![h]);
    // PATCH /handles/h (dave) → 204 through manage_handles in hs(h).
    assert!(graph.has_privilege(dave, hs, HS::HANDLE_SERVICE_MANAGE_HANDLES));
    // GET /handles/h (dave) → 403: not a member of h; membership of a handle service
    // never makes anyone a member of its handles.
    assert!(!graph.is_effective_member(dave, h));
    // GET /handle_services/hs/handles/h (dave) → 403: no handle_service_view.
    assert!(!graph.has_privilege(dave, hs, HS::HANDLE_SERVICE_VIEW));
    // Nor the reverse: handle members are not members of the service.
    assert!(!graph.is_effective_member(erin, hs));
    assert!(!graph.is_effective_member(frank, hs));
    // PUT /handles/h/users/x (dave) → 403: member management is handle_update only.
    assert!(!graph.has_privilege(dave, h, H::HANDLE_UPDATE));
    // GET /handles/h/users (frank) → 403: needs handle_view; GET /handles/h (frank)
    // → 200: any member; DELETE /handles/h (frank) → 403.
    assert!(graph.has_privilege(frank, h, H::HANDLE_UPDATE));
    assert!(!graph.has_privilege(frank, h, H::HANDLE_VIEW));
    assert!(graph.is_effective_member(frank, h));
    assert!(!graph.has_privilege(frank, h, H::HANDLE_DELETE));
    assert_eq!(
        eff::<User, Handle>(&graph, "erin", "h"),
        Some(vec!["handle_view"])
    );
    assert_eq!(
        ids(&graph, graph.effective_members::<User, Handle>(h)),
        ["erin", "frank"]
    );

    // PUT /handles/h/groups/g (frank, not a member of g) → 201: the graph takes the
    // relation; frank gains nothing from it.
    let g = graph.create::<Group>("g")?;
    graph.add_member(h, g, H::HANDLE_VIEW)?;
    assert_eq!(
        eff::<User, Handle>(&graph, "frank", "h"),
        Some(vec!["handle_update"])
    );

    // DELETE /handle_services/hs while h is registered → refused, nothing changes.
    let before = graph.clone();
    assert_eq!(
        graph.delete(hs),
        Err(GraphError::HandleServiceNotEmpty {
            handle_service: entity(EntityKind::HandleService, "hs"),
            handles: 1,
        })
    );
    assert_eq!(graph, before);

    // DELETE /handles/h, then DELETE /handle_services/hs → both succeed.
    graph.delete(h)?;
    assert!(!graph.contains(h));
    assert_eq!(graph.share_handle(sh), None);
    assert!(graph.handle_service_handles(hs).is_empty());
    assert_eq!(graph.effective_privileges(erin, h), None);
    assert!(graph.effective_memberships::<User, Handle>(erin).is_empty());
    assert!(graph.memberships::<User, Handle>(frank).is_empty());
    assert!(graph.memberships::<Group, Handle>(g).is_empty());
    assert!(graph.contains(sh), "deleting a handle keeps its share");
    graph.delete(hs)?;
    assert!(!graph.contains(hs));
    assert!(graph.memberships::<User, HandleService>(dave).is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Onezone's rules for space owners and shares
// ---------------------------------------------------------------------------------------

#[test]
fn spaces_1_2_owner_holds_everything_but_reads_stored_set() -> Result {
    let mut graph = Graph::new();
    let s = graph.create::<Space>("s")?;
    let owner = graph.create::<User>("owner")?;
    let other = graph.create::<User>("other")?;
    graph.add_member(s, owner, S::SPACE_VIEW)?;
    graph.add_member(s, other, S::SPACE_VIEW)?;
    graph.add_space_owner(s, owner)?;
    assert_eq!(graph.space_owners(s), vec![owner]);
    assert!(graph.is_space_owner(s, owner));
    assert!(!graph.is_space_owner(s, other));

    // Power: every space-privilege check succeeds, whatever is stored…
    assert!(graph.has_privilege(owner, s, S::all()));
    assert!(graph.has_privilege(owner, s, S::SPACE_DELETE));
    assert!(graph.has_privilege_by_id::<User, _>("owner", "s", S::SPACE_SET_PRIVILEGES));
    assert!(!graph.has_privilege(other, s, S::SPACE_DELETE));
    // …while effective / direct privileges are the stored sets (invisible power).
    assert_eq!(
        eff::<User, Space>(&graph, "owner", "s"),
        Some(vec!["space_view"])
    );
    assert_eq!(
        names(graph.direct_privileges(owner, s)),
        Some(vec!["space_view"])
    );
    // A PATCH of the owner's stored privileges, even to [], changes nothing about
    // what the owner may do.
    graph.update_member_privileges(s, owner, &PrivilegeUpdate::Set(S::empty()))?;
    assert_eq!(eff::<User, Space>(&graph, "owner", "s"), Some(vec![]));
    assert!(graph.has_privilege(owner, s, S::all()));

    // Revoking ownership keeps the direct membership and the stored privileges.
    graph.remove_space_owner(s, owner)?;
    assert!(graph.space_owners(s).is_empty());
    assert_eq!(names(graph.direct_privileges(owner, s)), Some(vec![]));
    assert!(!graph.has_privilege(owner, s, S::SPACE_VIEW));
    assert!(graph.is_effective_member(owner, s));
    Ok(())
}

#[test]
fn spaces_1_2_ownership_ends_with_the_direct_membership() -> Result {
    // An owner is always a direct member: whenever its direct membership ends, its
    // ownership ends too — even while it stays an effective member through a group.
    let mut graph = Graph::new();
    let s = graph.create::<Space>("s")?;
    let g = graph.create::<Group>("g")?;
    let owner = graph.create::<User>("owner")?;
    graph.add_member(g, owner, G::empty())?;
    graph.add_member(s, g, S::SPACE_VIEW)?;
    graph.add_member(s, owner, S::empty())?;
    graph.add_space_owner(s, owner)?;
    assert!(graph.has_privilege(owner, s, S::SPACE_DELETE));

    graph.remove_member(s, owner)?;
    assert!(!graph.is_space_owner(s, owner));
    assert!(graph.space_owners(s).is_empty());
    assert!(
        graph.is_effective_member(owner, s),
        "still a member through g"
    );
    assert_eq!(
        eff::<User, Space>(&graph, "owner", "s"),
        Some(vec!["space_view"])
    );
    assert!(!graph.has_privilege(owner, s, S::SPACE_DELETE));

    // Joining again does not bring ownership back.
    graph.add_member(s, owner, S::empty())?;
    assert!(!graph.is_space_owner(s, owner));
    Ok(())
}

#[test]
fn spaces_1_2_ownership_ends_with_account_deletion() -> Result {
    let mut graph = Graph::new();
    let s = graph.create::<Space>("s")?;
    let owner = graph.create::<User>("owner")?;
    let second = graph.create::<User>("second")?;
    graph.add_member(s, owner, S::empty())?;
    graph.add_member(s, second, S::empty())?;
    graph.add_space_owner(s, owner)?;
    graph.add_space_owner(s, second)?;
    assert_eq!(ids(&graph, graph.space_owners(s)), ["owner", "second"]);
    graph.delete(owner)?;
    assert_eq!(ids(&graph, graph.space_owners(s)), ["second"]);
    // A new account reusing the slot is neither an owner nor a member.
    let newcomer = graph.create::<User>("newcomer")?;
    assert!(!graph.is_space_owner(s, newcomer));
    assert!(!graph.has_privilege(newcomer, s, S::SPACE_VIEW));
    assert!(!graph.is_effective_member(newcomer, s));
    Ok(())
}

#[test]
fn spaces_1_3_deleting_a_space_deletes_its_shares_and_their_handles() -> Result {
    let mut graph = Graph::new();
    let sp = graph.create::<Space>("sp")?;
    let other = graph.create::<Space>("other")?;
    let hs = graph.create::<HandleService>("hs")?;
    let hv = graph.create::<Harvester>("hv")?;
    let u = graph.create::<User>("u")?;
    let sh1 = graph.create_share("sh1", sp)?;
    let sh2 = graph.create_share("sh2", sp)?;
    let kept = graph.create_share("kept", other)?;
    let h1 = graph.create_handle("h1", hs, sh1)?;
    let h_kept = graph.create_handle("h_kept", hs, kept)?;
    graph.add_member(h1, u, H::all())?;
    graph.add_member(sp, u, S::SPACE_VIEW)?;
    graph.link_harvester_space(hv, sp)?;
    assert_eq!(ids(&graph, graph.space_shares(sp)), ["sh1", "sh2"]);
    assert_eq!(graph.share_space(sh2), Some(sp));

    graph.delete(sp)?;
    for gone in [sh1, sh2] {
        assert!(!graph.contains(gone));
        assert_eq!(graph.share_space(gone), None);
    }
    assert!(!graph.contains(h1));
    assert_eq!(graph.key::<Share>("sh1"), None);
    assert_eq!(graph.key::<Handle>("h1"), None);
    assert_eq!(graph.handle_service_handles(hs), vec![h_kept]);
    assert!(graph.memberships::<User, Handle>(u).is_empty());
    assert!(graph.memberships::<User, Space>(u).is_empty());
    assert!(graph.harvester_spaces(hv).is_empty());
    // The other space, its share and its handle are untouched.
    assert_eq!(graph.space_shares(other), vec![kept]);
    assert_eq!(graph.share_handle(kept), Some(h_kept));

    // The service is still blocked by the remaining handle; deleting the share deletes
    // the handle with it and unblocks the service.
    assert!(matches!(
        graph.delete(hs),
        Err(GraphError::HandleServiceNotEmpty { handles: 1, .. })
    ));
    graph.delete(kept)?;
    assert!(!graph.contains(h_kept));
    assert!(graph.space_shares(other).is_empty());
    graph.delete(hs)?;
    // The ids are free again.
    graph.create_share("sh1", other)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// One test per refusal (GraphError variant): the error and its fields, and the graph
// left exactly as it was.
// ---------------------------------------------------------------------------------------

/// Runs `op` on `graph`, asserts it fails with `expected` and changes nothing.
fn refused<T: std::fmt::Debug>(
    graph: &mut Graph,
    expected: GraphError,
    op: impl FnOnce(&mut Graph) -> std::result::Result<T, GraphError>,
) {
    let before = graph.clone();
    let got = op(graph);
    assert_eq!(got.map(|_| ()), Err(expected.clone()));
    assert_eq!(
        *graph, before,
        "a refused mutation changed the graph: {expected}"
    );
    assert!(!expected.to_string().is_empty());
}

/// A small graph with some of everything, so that "unchanged" means something.
fn populated() -> std::result::Result<Graph, GraphError> {
    let mut graph = diamond()?;
    let s = graph.create::<Space>("s")?;
    let sh = graph.create_share("sh", s)?;
    let hs = key::<HandleService>(&graph, "hs");
    let h = graph.create_handle("h", hs, sh)?;
    let alice = key::<User>(&graph, "alice");
    graph.add_member(s, alice, S::SPACE_VIEW)?;
    graph.add_member(s, key::<Group>(&graph, "teamA"), S::SPACE_READ_DATA)?;
    graph.add_space_owner(s, alice)?;
    graph.add_member(h, key::<User>(&graph, "bob"), H::HANDLE_VIEW)?;
    graph.update_oz_privileges(
        key::<Group>(&graph, "teamB"),
        &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST),
    )?;
    Ok(graph)
}

#[test]
fn error_invalid_id() -> Result {
    let mut graph = populated()?;
    let s = key::<Space>(&graph, "s");
    let hs = key::<HandleService>(&graph, "hs");
    refused(
        &mut graph,
        GraphError::InvalidId {
            kind: EntityKind::Group,
            id: String::new(),
            problem: IdProblem::Empty,
        },
        |g| g.create::<Group>(""),
    );
    // 257 bytes: refused, the id in the error cut to its first 64 bytes.
    refused(
        &mut graph,
        GraphError::InvalidId {
            kind: EntityKind::User,
            id: "x".repeat(64),
            problem: IdProblem::TooLong { len: 257 },
        },
        |g| g.create::<User>(&"x".repeat(257)),
    );
    // The cut respects UTF-8: 86 three-byte characters (258 bytes) → 21 of them.
    refused(
        &mut graph,
        GraphError::InvalidId {
            kind: EntityKind::Cluster,
            id: "€".repeat(21),
            problem: IdProblem::TooLong { len: 258 },
        },
        |g| g.create::<privgraph::graph::Cluster>(&"€".repeat(86)),
    );
    refused(
        &mut graph,
        GraphError::InvalidId {
            kind: EntityKind::Share,
            id: String::new(),
            problem: IdProblem::Empty,
        },
        |g| g.create_share("", s),
    );
    let fresh = graph.create_share("fresh", s)?;
    refused(
        &mut graph,
        GraphError::InvalidId {
            kind: EntityKind::Handle,
            id: "h".repeat(64),
            problem: IdProblem::TooLong { len: 300 },
        },
        |g| g.create_handle(&"h".repeat(300), hs, fresh),
    );
    // 256 bytes is fine.
    let max = "y".repeat(256);
    let u = graph.create::<User>(&max)?;
    assert_eq!(graph.id(u), Some(max.as_str()));
    assert_eq!(graph.key::<User>(&max), Some(u));
    Ok(())
}

#[test]
fn error_entity_exists() -> Result {
    let mut graph = populated()?;
    let s = key::<Space>(&graph, "s");
    let hs = key::<HandleService>(&graph, "hs");
    refused(
        &mut graph,
        GraphError::EntityExists {
            entity: entity(EntityKind::User, "alice"),
        },
        |g| g.create::<User>("alice"),
    );
    refused(
        &mut graph,
        GraphError::EntityExists {
            entity: entity(EntityKind::Group, "teamA"),
        },
        |g| g.create::<Group>("teamA"),
    );
    refused(
        &mut graph,
        GraphError::EntityExists {
            entity: entity(EntityKind::Share, "sh"),
        },
        |g| g.create_share("sh", s),
    );
    let fresh = graph.create_share("fresh", s)?;
    refused(
        &mut graph,
        GraphError::EntityExists {
            entity: entity(EntityKind::Handle, "h"),
        },
        |g| g.create_handle("h", hs, fresh),
    );
    // Ids are per kind: a group may be called like a user.
    graph.create::<Group>("alice")?;
    Ok(())
}

#[test]
fn error_unknown_entity_stale_key() -> Result {
    let mut graph = populated()?;
    let team_a = key::<Group>(&graph, "teamA");
    let hs = key::<HandleService>(&graph, "hs");
    let s = key::<Space>(&graph, "s");
    let temp = graph.create::<User>("temp")?;
    graph.add_member(team_a, temp, G::GROUP_VIEW)?;
    graph.add_member(s, temp, S::SPACE_VIEW)?;
    graph.delete(temp)?;

    let unknown_user = GraphError::UnknownEntity {
        kind: EntityKind::User,
    };
    refused(&mut graph, unknown_user.clone(), |g| {
        g.add_member(team_a, temp, G::empty())
    });
    refused(&mut graph, unknown_user.clone(), |g| {
        g.remove_member(team_a, temp)
    });
    refused(&mut graph, unknown_user.clone(), |g| {
        g.update_member_privileges(team_a, temp, &PrivilegeUpdate::Set(G::empty()))
    });
    refused(&mut graph, unknown_user.clone(), |g| {
        g.update_oz_privileges(temp, &PrivilegeUpdate::Set(Oz::OZ_USERS_LIST))
    });
    refused(&mut graph, unknown_user.clone(), |g| {
        g.add_space_owner(s, temp)
    });
    refused(&mut graph, unknown_user.clone(), |g| {
        g.remove_space_owner(s, temp)
    });
    refused(&mut graph, unknown_user.clone(), |g| g.delete(temp));
    assert_eq!(graph.id(temp), None);
    assert!(!graph.contains(temp));
    assert!(!graph.has_privilege(temp, team_a, G::empty()));
    assert_eq!(graph.effective_privileges(temp, team_a), None);
    assert_eq!(graph.oz_privileges(temp), None);

    // Stale targets, shares, spaces and handle services.
    let gone = graph.create::<Group>("gone")?;
    let gone_space = graph.create::<Space>("gone_space")?;
    let gone_share = graph.create_share("gone_share", s)?;
    let gone_hs = graph.create::<HandleService>("gone_hs")?;
    graph.delete(gone)?;
    graph.delete(gone_share)?;
    graph.delete(gone_space)?;
    graph.delete(gone_hs)?;
    let alice = key::<User>(&graph, "alice");
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::Group,
        },
        |g| g.add_member(gone, alice, G::empty()),
    );
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::Space,
        },
        |g| g.create_share("new_share", gone_space),
    );
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::Share,
        },
        |g| g.create_handle("new_handle", hs, gone_share),
    );
    let fresh = graph.create_share("fresh", s)?;
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::HandleService,
        },
        |g| g.create_handle("new_handle", gone_hs, fresh),
    );
    Ok(())
}

#[test]
fn error_unknown_entity_after_the_id_is_recreated() -> Result {
    let mut graph = populated()?;
    let team_a = key::<Group>(&graph, "teamA");
    let hs = key::<HandleService>(&graph, "hs");
    let old = graph.create::<User>("temp")?;
    graph.add_member(team_a, old, G::GROUP_VIEW)?;
    graph.delete(old)?;
    let new = graph.create::<User>("temp")?;
    // The slot is reused under a new generation: the keys differ.
    assert_eq!(new.index(), old.index());
    assert_ne!(new, old);
    assert_eq!(graph.key::<User>("temp"), Some(new));
    assert_eq!(graph.id(new), Some("temp"));
    assert_eq!(graph.id(old), None);
    // The new user inherited nothing from the old one.
    assert!(graph.effective_memberships::<User, Group>(new).is_empty());
    assert!(!graph.is_effective_member(new, team_a));
    assert!(!graph.is_effective_member(new, hs));
    // The stale key still names nothing.
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::User,
        },
        |g| g.add_member(team_a, old, G::empty()),
    );
    graph.add_member(team_a, new, G::empty())?;
    assert!(!graph.has_privilege(old, team_a, G::empty()));
    assert!(graph.has_privilege(new, team_a, G::empty()));

    // A key from another graph names nothing here either.
    let mut other = Graph::new();
    for i in 0..50 {
        other.create::<User>(&format!("o{i}"))?;
    }
    let foreign = other.key::<User>("o49").expect("created");
    refused(
        &mut graph,
        GraphError::UnknownEntity {
            kind: EntityKind::User,
        },
        |g| g.add_member(team_a, foreign, G::empty()),
    );
    Ok(())
}

#[test]
fn error_relation_exists() -> Result {
    let mut graph = populated()?;
    let hs = key::<HandleService>(&graph, "hs");
    let (core, team_a) = (key::<Group>(&graph, "core"), key::<Group>(&graph, "teamA"));
    let (alice, bob) = (key::<User>(&graph, "alice"), key::<User>(&graph, "bob"));
    refused(
        &mut graph,
        GraphError::RelationExists {
            child: entity(EntityKind::User, "alice"),
            parent: entity(EntityKind::HandleService, "hs"),
        },
        |g| g.add_member(hs, alice, HS::empty()),
    );
    refused(
        &mut graph,
        GraphError::RelationExists {
            child: entity(EntityKind::Group, "core"),
            parent: entity(EntityKind::Group, "teamA"),
        },
        |g| g.nest(Child(core), Parent(team_a), G::GROUP_VIEW),
    );
    let s = key::<Space>(&graph, "s");
    let hv = graph.create::<Harvester>("hv")?;
    graph.link_harvester_space(hv, s)?;
    refused(
        &mut graph,
        GraphError::RelationExists {
            child: entity(EntityKind::Harvester, "hv"),
            parent: entity(EntityKind::Space, "s"),
        },
        |g| g.link_harvester_space(hv, s),
    );
    // An effective-only relation does not count: it is added as a direct one.
    assert!(graph.is_effective_member(bob, hs));
    graph.add_member(hs, bob, HS::HANDLE_SERVICE_DELETE)?;
    assert_eq!(
        names(graph.direct_privileges(bob, hs)),
        Some(vec!["handle_service_delete"])
    );
    assert_eq!(
        eff::<User, HandleService>(&graph, "bob", "hs"),
        Some(vec![
            "handle_service_delete",
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_update"
        ])
    );
    Ok(())
}

#[test]
fn error_relation_missing() -> Result {
    let mut graph = populated()?;
    let hs = key::<HandleService>(&graph, "hs");
    let (core, team_a) = (key::<Group>(&graph, "core"), key::<Group>(&graph, "teamA"));
    let (bob, carol) = (key::<User>(&graph, "bob"), key::<User>(&graph, "carol"));
    // bob is an effective member of hs, not a direct one.
    refused(
        &mut graph,
        GraphError::RelationMissing {
            child: entity(EntityKind::User, "bob"),
            parent: entity(EntityKind::HandleService, "hs"),
        },
        |g| g.remove_member(hs, bob),
    );
    refused(
        &mut graph,
        GraphError::RelationMissing {
            child: entity(EntityKind::Group, "core"),
            parent: entity(EntityKind::HandleService, "hs"),
        },
        |g| {
            g.update_member_privileges(
                hs,
                core,
                &PrivilegeUpdate::GrantRevoke {
                    grant: HS::HANDLE_SERVICE_VIEW,
                    revoke: HS::empty(),
                },
            )
        },
    );
    refused(
        &mut graph,
        GraphError::RelationMissing {
            child: entity(EntityKind::User, "carol"),
            parent: entity(EntityKind::Group, "teamA"),
        },
        |g| g.remove_member(team_a, carol),
    );
    let s = key::<Space>(&graph, "s");
    let hv = graph.create::<Harvester>("hv")?;
    refused(
        &mut graph,
        GraphError::RelationMissing {
            child: entity(EntityKind::Harvester, "hv"),
            parent: entity(EntityKind::Space, "s"),
        },
        |g| g.unlink_harvester_space(hv, s),
    );
    Ok(())
}

#[test]
fn error_relation_to_self() -> Result {
    let mut graph = populated()?;
    let core = key::<Group>(&graph, "core");
    refused(
        &mut graph,
        GraphError::RelationToSelf {
            group: entity(EntityKind::Group, "core"),
        },
        |g| g.nest(Child(core), Parent(core), G::GROUP_VIEW),
    );
    Ok(())
}

#[test]
fn error_nesting_cycle_direct() -> Result {
    let mut graph = populated()?;
    let (core, team_b) = (key::<Group>(&graph, "core"), key::<Group>(&graph, "teamB"));
    // core is a direct child of teamB: nesting teamB in core would close a cycle.
    refused(
        &mut graph,
        GraphError::NestingCycle {
            child: entity(EntityKind::Group, "teamB"),
            parent: entity(EntityKind::Group, "core"),
        },
        |g| g.nest(Child(team_b), Parent(core), G::empty()),
    );
    Ok(())
}

#[test]
fn error_nesting_cycle_through_a_long_path() -> Result {
    const N: usize = 60;
    let mut graph = populated()?;
    let chain: Vec<Key<Group>> = (0..N)
        .map(|i| graph.create::<Group>(&format!("c{i}")))
        .collect::<std::result::Result<_, _>>()?;
    for i in 0..N - 1 {
        graph.nest(Child(chain[i]), Parent(chain[i + 1]), G::GROUP_VIEW)?;
    }
    let u = key::<User>(&graph, "carol");
    graph.add_member(chain[0], u, G::empty())?;
    refused(
        &mut graph,
        GraphError::NestingCycle {
            child: entity(EntityKind::Group, "c59"),
            parent: entity(EntityKind::Group, "c0"),
        },
        |g| g.nest(Child(chain[N - 1]), Parent(chain[0]), G::empty()),
    );
    refused(
        &mut graph,
        GraphError::NestingCycle {
            child: entity(EntityKind::Group, "c30"),
            parent: entity(EntityKind::Group, "c10"),
        },
        |g| g.nest(Child(chain[30]), Parent(chain[10]), G::empty()),
    );
    // A shortcut in the direction of the chain closes no cycle.
    graph.nest(Child(chain[10]), Parent(chain[30]), G::GROUP_UPDATE)?;
    assert_eq!(
        eff::<User, Group>(&graph, "carol", "c30"),
        Some(vec!["group_update", "group_view"])
    );
    Ok(())
}

#[test]
fn error_handle_service_not_empty() -> Result {
    let mut graph = populated()?;
    let hs = key::<HandleService>(&graph, "hs");
    let s = key::<Space>(&graph, "s");
    let second = graph.create_share("second", s)?;
    graph.create_handle("h2", hs, second)?;
    refused(
        &mut graph,
        GraphError::HandleServiceNotEmpty {
            handle_service: entity(EntityKind::HandleService, "hs"),
            handles: 2,
        },
        |g| g.delete(hs),
    );
    Ok(())
}

#[test]
fn error_share_has_handle() -> Result {
    let mut graph = populated()?;
    let hs = key::<HandleService>(&graph, "hs");
    let sh = key::<Share>(&graph, "sh");
    let other_hs = graph.create::<HandleService>("other_hs")?;
    for service in [hs, other_hs] {
        refused(
            &mut graph,
            GraphError::ShareHasHandle {
                share: entity(EntityKind::Share, "sh"),
            },
            |g| g.create_handle("h2", service, sh),
        );
    }
    Ok(())
}

#[test]
fn error_not_effective_member() -> Result {
    let mut graph = populated()?;
    let s = key::<Space>(&graph, "s");
    let carol = key::<User>(&graph, "carol");
    refused(
        &mut graph,
        GraphError::NotEffectiveMember {
            user: entity(EntityKind::User, "carol"),
            space: entity(EntityKind::Space, "s"),
        },
        |g| g.add_space_owner(s, carol),
    );
    Ok(())
}

#[test]
fn error_owner_exists() -> Result {
    let mut graph = populated()?;
    let s = key::<Space>(&graph, "s");
    let alice = key::<User>(&graph, "alice");
    refused(
        &mut graph,
        GraphError::OwnerExists {
            user: entity(EntityKind::User, "alice"),
            space: entity(EntityKind::Space, "s"),
        },
        |g| g.add_space_owner(s, alice),
    );
    Ok(())
}

#[test]
fn error_not_owner() -> Result {
    let mut graph = populated()?;
    let s = key::<Space>(&graph, "s");
    let (bob, carol) = (key::<User>(&graph, "bob"), key::<User>(&graph, "carol"));
    // bob is a member (through teamA), carol is not; neither owns s.
    refused(
        &mut graph,
        GraphError::NotOwner {
            user: entity(EntityKind::User, "bob"),
            space: entity(EntityKind::Space, "s"),
        },
        |g| g.remove_space_owner(s, bob),
    );
    refused(
        &mut graph,
        GraphError::NotOwner {
            user: entity(EntityKind::User, "carol"),
            space: entity(EntityKind::Space, "s"),
        },
        |g| g.remove_space_owner(s, carol),
    );
    Ok(())
}

#[test]
fn explain_stops_at_the_limit_when_the_direct_relation_fills_it() -> Result {
    // `limit` bounds the number of paths returned, the direct one included.
    let graph = groups_56()?;
    let (alice, top) = (key::<User>(&graph, "alice"), key::<Group>(&graph, "top"));
    assert_eq!(
        graph.explain(alice, top, G::all(), 1),
        vec![Path {
            groups: vec![],
            contributes: G::GROUP_SET_PRIVILEGES
        }]
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Effective relations reach non-group targets whatever the order of mutations
// (minimal cases; derived by hand from the rule of effective privileges)
// ---------------------------------------------------------------------------------------

/// `u` in `team`, `team` in `hs`, in the two orders.
fn team_in_hs(group_first: bool) -> std::result::Result<Graph, GraphError> {
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs")?;
    let team = graph.create::<Group>("team")?;
    let u = graph.create::<User>("u")?;
    if group_first {
        graph.add_member(hs, team, HS::HANDLE_SERVICE_VIEW)?;
        graph.add_member(team, u, G::empty())?;
    } else {
        graph.add_member(team, u, G::empty())?;
        graph.add_member(hs, team, HS::HANDLE_SERVICE_VIEW)?;
    }
    Ok(graph)
}

#[test]
fn propagation_joining_a_group_that_is_already_in_a_resource() -> Result {
    let graph = team_in_hs(true)?;
    assert_eq!(
        eff::<User, HandleService>(&graph, "u", "hs"),
        Some(vec!["handle_service_view"])
    );
    assert_eq!(graph, team_in_hs(false)?);
    Ok(())
}

#[test]
fn propagation_nesting_under_a_group_that_is_already_in_a_resource() -> Result {
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs")?;
    let top = graph.create::<Group>("top")?;
    let team = graph.create::<Group>("team")?;
    let u = graph.create::<User>("u")?;
    graph.add_member(hs, top, HS::HANDLE_SERVICE_UPDATE)?;
    graph.add_member(team, u, G::empty())?;
    graph.nest(Child(team), Parent(top), G::empty())?;
    assert_eq!(
        eff::<Group, HandleService>(&graph, "team", "hs"),
        Some(vec!["handle_service_update"])
    );
    assert_eq!(
        eff::<User, HandleService>(&graph, "u", "hs"),
        Some(vec!["handle_service_update"])
    );
    // The on-demand list and the materialized relation agree.
    assert_eq!(
        graph.effective_memberships::<User, HandleService>(u),
        vec![hs]
    );
    Ok(())
}

#[test]
fn propagation_leaving_a_group_leaves_its_resources() -> Result {
    let mut graph = team_in_hs(false)?;
    let (team, u) = (key::<Group>(&graph, "team"), key::<User>(&graph, "u"));
    let hs = key::<HandleService>(&graph, "hs");
    graph.remove_member(team, u)?;
    assert_eq!(graph.effective_privileges(u, hs), None);
    assert!(!graph.has_privilege(u, hs, HS::HANDLE_SERVICE_VIEW));
    assert!(
        graph
            .effective_members::<User, HandleService>(hs)
            .is_empty()
    );
    Ok(())
}

#[test]
fn propagation_deleting_a_group_revokes_what_it_gave() -> Result {
    let mut graph = team_in_hs(false)?;
    let (team, u) = (key::<Group>(&graph, "team"), key::<User>(&graph, "u"));
    let hs = key::<HandleService>(&graph, "hs");
    graph.delete(team)?;
    assert_eq!(graph.effective_privileges(u, hs), None);
    assert!(
        graph
            .effective_members::<User, HandleService>(hs)
            .is_empty()
    );
    Ok(())
}

#[test]
fn propagation_a_new_account_does_not_inherit_a_deleted_ones_privileges() -> Result {
    let mut graph = team_in_hs(false)?;
    let u = key::<User>(&graph, "u");
    let hs = key::<HandleService>(&graph, "hs");
    graph.delete(u)?;
    assert!(
        graph
            .effective_members::<User, HandleService>(hs)
            .is_empty()
    );
    let x = graph.create::<User>("x")?;
    assert_eq!(x.index(), u.index(), "the slot is reused");
    assert_eq!(graph.effective_privileges(x, hs), None);
    assert!(!graph.has_privilege_by_id::<User, _>("x", "hs", HS::HANDLE_SERVICE_VIEW));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scale: a deep chain and a big group
// ---------------------------------------------------------------------------------------

/// Depth of the nesting chain: the 100,000. Group-in-group relations are not
/// materialized (their closure would be quadratic in the depth), so the chain costs
/// linear time and memory; the tiny-stack run shows no walk recurses over the depth.
const CHAIN_DEPTH: usize = 100_000;

fn chain_scenario(depth: usize) -> Result {
    let started = Instant::now();
    let mut graph = Graph::new();
    let hs = graph.create::<HandleService>("hs")?;
    let u = graph.create::<User>("u")?;
    let chain: Vec<Key<Group>> = (0..depth)
        .map(|i| graph.create::<Group>(&format!("g{i}")))
        .collect::<std::result::Result<_, _>>()?;
    let (bottom, top) = (chain[0], chain[depth - 1]);
    // The user joins the bottom, the chain is nested bottom-up, and then the service
    // gives its privileges to the top group.
    graph.add_member(bottom, u, G::empty())?;
    for i in 0..depth - 1 {
        graph.nest(Child(chain[i]), Parent(chain[i + 1]), G::GROUP_VIEW)?;
    }
    graph.add_member(hs, top, HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_UPDATE)?;
    let built = started.elapsed();

    let both = Some(vec!["handle_service_update", "handle_service_view"]);
    assert_eq!(names(graph.effective_privileges(u, hs)), both);
    assert_eq!(names(graph.effective_privileges(bottom, hs)), both);
    assert!(graph.has_privilege_by_id::<User, _>("u", "hs", HS::HANDLE_SERVICE_UPDATE));
    assert_eq!(
        names(graph.effective_privileges(u, top)),
        Some(vec!["group_view"])
    );
    assert_eq!(graph.effective_memberships::<User, Group>(u).len(), depth);
    assert_eq!(
        graph.intermediaries(u, hs),
        Some(vec![Intermediary::Group(top)])
    );
    let paths = graph.explain(u, hs, HS::HANDLE_SERVICE_UPDATE, 2);
    assert_eq!(paths.len(), 1);
    assert_eq!(paths[0].groups, chain);

    // Cut the chain in the middle: everything above the cut is lost.
    let cut = depth / 2;
    graph.unnest(Child(chain[cut - 1]), Parent(chain[cut]))?;
    assert_eq!(graph.effective_privileges(u, hs), None);
    assert!(!graph.has_privilege(u, hs, HS::HANDLE_SERVICE_VIEW));
    assert!(!graph.is_effective_member(u, top));
    assert!(graph.is_effective_member(u, chain[cut - 1]));
    assert!(!graph.is_effective_member(u, chain[cut]));
    assert_eq!(graph.effective_memberships::<User, Group>(u).len(), cut);
    assert_eq!(
        graph.effective_members::<Group, Group>(top).len(),
        depth - 1 - cut
    );
    assert_eq!(names(graph.effective_privileges(chain[cut], hs)), both);
    assert_eq!(graph.effective_members::<User, HandleService>(hs), vec![]);

    // Delete the bottom group: the user is left with nothing.
    graph.delete(bottom)?;
    assert!(graph.effective_memberships::<User, Group>(u).is_empty());
    assert!(graph.effective_members::<User, Group>(chain[1]).is_empty());
    assert_eq!(
        graph
            .effective_members::<Group, Group>(chain[cut - 1])
            .len(),
        cut - 2
    );
    eprintln!(
        "chain of {depth}: built in {built:?}, whole scenario {:?}",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn deep_chain_on_the_default_test_thread() -> Result {
    chain_scenario(CHAIN_DEPTH)
}

#[test]
fn deep_chain_on_a_tiny_stack() {
    // 64 KiB for a chain of 100,000: a recursion over the depth would have less than one
    // byte per level.
    let handle = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| chain_scenario(CHAIN_DEPTH))
        .expect("spawn");
    // A stack overflow aborts the process; a panic here is a failed assertion.
    match handle.join() {
        Ok(result) => result.expect("no graph error"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[test]
fn big_group_in_handle_services() -> Result {
    const USERS: usize = 20_000;
    let started = Instant::now();
    let mut graph = Graph::new();
    let big = graph.create::<Group>("big")?;
    let hs1 = graph.create::<HandleService>("hs1")?;
    let hs2 = graph.create::<HandleService>("hs2")?;
    let users: Vec<Key<User>> = (0..USERS)
        .map(|i| graph.create::<User>(&format!("u{i}")))
        .collect::<std::result::Result<_, _>>()?;
    // Half the users join before the group enters the services, half after.
    for &u in &users[..USERS / 2] {
        graph.add_member(big, u, G::empty())?;
    }
    graph.add_member(hs1, big, HS::HANDLE_SERVICE_VIEW)?;
    graph.add_member(hs2, big, HS::HANDLE_SERVICE_LIST_HANDLES)?;
    for &u in &users[USERS / 2..] {
        graph.add_member(big, u, G::empty())?;
    }
    // u0 is also a direct member of hs1 with view.
    graph.add_member(hs1, users[0], HS::HANDLE_SERVICE_VIEW)?;
    let built = started.elapsed();
    assert_eq!(
        graph.effective_members::<User, HandleService>(hs1).len(),
        USERS
    );
    assert_eq!(
        graph.effective_members::<User, HandleService>(hs2).len(),
        USERS
    );
    for &u in &users {
        assert_eq!(
            graph.effective_privileges(u, hs1),
            Some(HS::HANDLE_SERVICE_VIEW)
        );
    }

    let t = Instant::now();
    let grant = PrivilegeUpdate::GrantRevoke {
        grant: HS::HANDLE_SERVICE_UPDATE,
        revoke: HS::empty(),
    };
    graph.update_member_privileges(hs1, big, &grant)?;
    let granted = t.elapsed();
    for &u in &users {
        assert_eq!(
            graph.effective_privileges(u, hs1),
            Some(HS::HANDLE_SERVICE_UPDATE | HS::HANDLE_SERVICE_VIEW)
        );
        assert_eq!(
            graph.effective_privileges(u, hs2),
            Some(HS::HANDLE_SERVICE_LIST_HANDLES)
        );
    }

    let t = Instant::now();
    let revoke = PrivilegeUpdate::GrantRevoke {
        grant: HS::empty(),
        revoke: HS::HANDLE_SERVICE_VIEW,
    };
    graph.update_member_privileges(hs1, big, &revoke)?;
    let revoked = t.elapsed();
    assert_eq!(
        graph.effective_privileges(users[0], hs1),
        Some(HS::HANDLE_SERVICE_UPDATE | HS::HANDLE_SERVICE_VIEW),
        "u0 keeps its direct view"
    );
    for &u in &users[1..] {
        assert_eq!(
            graph.effective_privileges(u, hs1),
            Some(HS::HANDLE_SERVICE_UPDATE)
        );
    }

    let t = Instant::now();
    let leaver = users[USERS - 1];
    graph.remove_member(big, leaver)?;
    let removed = t.elapsed();
    assert_eq!(graph.effective_privileges(leaver, hs1), None);
    assert_eq!(graph.effective_privileges(leaver, hs2), None);
    assert!(!graph.is_effective_member(leaver, big));
    assert_eq!(
        graph.effective_members::<User, HandleService>(hs1).len(),
        USERS - 1
    );
    assert_eq!(
        graph.effective_members::<User, HandleService>(hs2).len(),
        USERS - 1
    );
    assert_eq!(graph.effective_members::<User, Group>(big).len(), USERS - 1);
    assert_eq!(
        graph.effective_privileges(users[1], hs1),
        Some(HS::HANDLE_SERVICE_UPDATE)
    );
    eprintln!(
        "big group of {USERS}: built in {built:?}, grant {granted:?}, revoke {revoked:?}, \
         remove one {removed:?}, whole {:?}",
        started.elapsed()
    );
    Ok(())
}
