//! Every write is a replayable batch.
//!
//! A proptest drives random Onezone requests (successful and refused ones, by root,
//! users and nobody, on existing and missing entities) into an engine. Each accepted
//! write's batch is recorded; after every step, replaying the recorded batches on the
//! starting graph must give a graph equal to the engine's, and every batch must survive
//! a JSON round trip unchanged. A refused request must record nothing and change
//! nothing.

use privgraph::graph::{Author, Batch, CommittedBatch, Graph};
use privgraph::logic::{Auth, CountingIds, Engine, Planned};
use privgraph::rest::Request;
use proptest::prelude::*;
use std::sync::Arc;

const START: &str = r#"{"version": 1,
    "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3", "ozPrivileges": ["oz_groups_view"]}],
    "groups": [{"id": "g1", "users": {"u1": ["group_view", "group_add_child", "group_set_privileges"]},
                "children": {"g2": []}},
               {"id": "g2", "users": {"u2": ["group_add_parent", "group_view"]}},
               {"id": "g3"}],
    "spaces": [{"id": "s1", "owners": ["u1"], "users": {"u1": [], "u2": ["space_view"]},
                "groups": {"g2": ["space_view", "space_add_harvester"]}}],
    "shares": [{"id": "sh1", "spaceId": "s1"}],
    "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_update"]},
                        "groups": {"g1": ["handle_service_view"]}}],
    "handles": [{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1", "users": {"u2": []}}],
    "harvesters": [{"id": "hv1", "users": {"u1": ["harvester_add_space"]}, "spaces": ["s1"]}]
}"#;

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => Just(Auth::Root),
        2 => Just(Auth::User("u1".into())),
        1 => Just(Auth::User("u2".into())),
        1 => Just(Auth::User("u3".into())),
        1 => Just(Auth::Nobody),
    ]
}

fn group() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just("g1"), 3 => Just("g2"), 3 => Just("g3"), 1 => Just("g9")]
}

fn user() -> impl Strategy<Value = &'static str> {
    prop_oneof![3 => Just("u1"), 3 => Just("u2"), 3 => Just("u3"), 1 => Just("u9")]
}

fn group_update() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => Just(r#"{"grant": ["group_view"], "revoke": ["group_update"]}"#),
        2 => Just(r#"{"revoke": ["group_view"]}"#),
        2 => Just(r#"{"grant": ["group_add_child", "group_update"]}"#),
        1 => Just(r#"{"grant": ["space_view"]}"#),
        1 => Just(r#"{}"#),
        1 => Just(r#"[1]"#),
    ]
}

fn handle_service_update() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => Just(r#"{"grant": ["handle_service_view", "handle_service_update"]}"#),
        2 => Just(r#"{"revoke": ["handle_service_view"]}"#),
        2 => Just(r#"{"privileges": ["handle_service_view_data"]}"#),
        1 => Just(r#"{"privileges": ["group_view"]}"#),
    ]
}

fn oz_update() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        3 => Just(r#"{"grant": ["oz_groups_view", "oz_spaces_list"]}"#),
        2 => Just(r#"{"revoke": ["oz_groups_view"]}"#),
        1 => Just(r#"{"grant": ["group_view"]}"#),
    ]
}

/// One request: method, path and body.
fn request() -> impl Strategy<Value = (String, String, String)> {
    let name = r#"{"name": "some name"}"#.to_owned();
    prop_oneof![
        (group(), user()).prop_map(|(g, u)| (
            "PUT".into(),
            format!("/groups/{g}/users/{u}"),
            "{}".into()
        )),
        (group(), user()).prop_map(|(g, u)| (
            "DELETE".into(),
            format!("/groups/{g}/users/{u}"),
            String::new()
        )),
        (group(), group()).prop_map(|(p, c)| (
            "PUT".into(),
            format!("/groups/{p}/children/{c}"),
            "{}".into()
        )),
        (group(), group()).prop_map(|(p, c)| (
            "DELETE".into(),
            format!("/groups/{p}/children/{c}"),
            String::new()
        )),
        (group(), user(), group_update()).prop_map(|(g, u, b)| (
            "PATCH".into(),
            format!("/groups/{g}/users/{u}/privileges"),
            b.into()
        )),
        (group(), group(), group_update()).prop_map(|(p, c, b)| (
            "PATCH".into(),
            format!("/groups/{p}/children/{c}/privileges"),
            b.into()
        )),
        (group(), handle_service_update()).prop_map(|(g, b)| (
            "PATCH".into(),
            format!("/handle_services/hs1/groups/{g}/privileges"),
            b.into()
        )),
        (group(), handle_service_update()).prop_map(|(g, b)| (
            "PUT".into(),
            format!("/handle_services/hs1/groups/{g}/privileges"),
            b.into()
        )),
        group().prop_map(|g| (
            "PUT".into(),
            format!("/handle_services/hs1/groups/{g}"),
            "{}".into()
        )),
        (user(), oz_update()).prop_map(|(u, b)| (
            "PATCH".into(),
            format!("/users/{u}/privileges"),
            b.into()
        )),
        (group(), oz_update()).prop_map(|(g, b)| (
            "PATCH".into(),
            format!("/groups/{g}/privileges"),
            b.into()
        )),
        user().prop_map(|u| ("PUT".into(), format!("/spaces/s1/users/{u}"), "{}".into())),
        user().prop_map(|u| (
            "DELETE".into(),
            format!("/spaces/s1/users/{u}"),
            String::new()
        )),
        user().prop_map(|u| (
            "PUT".into(),
            format!("/spaces/s1/owners/{u}"),
            String::new()
        )),
        user().prop_map(|u| (
            "DELETE".into(),
            format!("/spaces/s1/owners/{u}"),
            String::new()
        )),
        group().prop_map(|g| ("DELETE".into(), format!("/groups/{g}"), String::new())),
        group().prop_map(|g| (
            "POST".into(),
            format!("/groups/{g}/spaces"),
            r#"{"name": "sp"}"#.into()
        )),
        group().prop_map(|g| (
            "POST".into(),
            format!("/groups/{g}/parents"),
            r#"{"name": "pp"}"#.into()
        )),
        user().prop_map(|u| ("DELETE".into(), format!("/users/{u}"), String::new())),
        Just(("POST".into(), "/user/spaces".into(), name.clone())),
        Just(("POST".into(), "/groups".into(), name)),
        Just(("DELETE".into(), "/spaces/s1".into(), String::new())),
        Just(("DELETE".into(), "/handles/h1".into(), String::new())),
        Just((
            "DELETE".into(),
            "/handle_services/hs1".into(),
            String::new()
        )),
        Just((
            "DELETE".into(),
            "/harvesters/hv1/spaces/s1".into(),
            String::new()
        )),
        Just((
            "PUT".into(),
            "/harvesters/hv1/spaces/s1".into(),
            "{}".into()
        )),
        Just(("DELETE".into(), "/user/spaces/s1".into(), String::new())),
        Just((
            "GET".into(),
            "/groups/g1/effective_users".into(),
            String::new()
        )),
    ]
}

fn replay(start: &Graph, log: &[CommittedBatch]) -> Graph {
    let mut graph = start.clone();
    for batch in log {
        graph
            .apply_committed(batch)
            .expect("a recorded batch replays");
    }
    graph
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn recorded_batches_replay_to_the_same_graph(steps in proptest::collection::vec((auth(), request()), 1..60)) {
        let start = privgraph::snapshot::load(START).expect("the start graph loads");
        let mut engine = Engine::with_ids(start.clone(), Arc::new(CountingIds::default()));
        let mut log: Vec<CommittedBatch> = Vec::new();
        for (auth, (method, path, body)) in &steps {
            let Ok(request) = Request::parse(method, path, body.as_bytes()) else { continue };
            let before = engine.graph().clone();
            match engine.evaluate(auth, request.operation(), request.body()) {
                Ok(Planned::Write(write)) => {
                    let by = write.by.clone();
                    let changes = write.changes.clone();
                    match engine.apply(write) {
                        Ok(_) => {
                            let batch = Batch { by, at: privgraph::graph::Timestamp::now(), changes };
                            let committed = CommittedBatch { revision: log.len() as u64 + 1, batch };
                            let line = serde_json::to_string(&committed).expect("a batch serializes");
                            let read: CommittedBatch = serde_json::from_str(&line).expect("and reads back");
                            prop_assert_eq!(&read, &committed);
                            log.push(read);
                        }
                        Err(_) => prop_assert!(engine.graph() == &before, "{method} {path}: a refused batch changed the graph"),
                    }
                }
                Ok(Planned::Read(_)) => prop_assert!(engine.graph() == &before),
                Err(_) => prop_assert!(engine.graph() == &before),
            }
            let replayed = replay(&start, &log);
            prop_assert!(replayed == *engine.graph(), "after {auth} {method} {path}: the replay differs");
            prop_assert_eq!(replayed.revision(), log.len() as u64);
        }
    }
}

/// Ids of created entities are random, so deleting an entity and creating another,
/// across a save and a load, never hands out the same id.
#[test]
fn created_ids_never_repeat_across_save_and_load() {
    let mut engine = Engine::new(Graph::new());
    let create = |engine: &mut Engine| {
        let r = privgraph::rest::handle(
            engine,
            &Auth::Root,
            "POST",
            "/groups",
            br#"{"name": "team"}"#,
        );
        assert_eq!(r.status, 201, "{r:?}");
        r.location
            .and_then(|l| l.rsplit('/').next().map(str::to_owned))
            .expect("a location")
    };
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..50 {
        let id = create(&mut engine);
        assert_eq!(id.len(), 32);
        assert!(seen.insert(id.clone()), "{id} handed out twice");
        let r = privgraph::rest::handle(
            &mut engine,
            &Auth::Root,
            "DELETE",
            &format!("/groups/{id}"),
            b"",
        );
        assert_eq!(r.status, 204);
        let saved = privgraph::snapshot::save(engine.graph());
        engine = Engine::new(privgraph::snapshot::load(&saved).expect("reloads"));
    }
    assert_eq!(seen.len(), 50);
}

/// A batch of the library API is recorded as it was given.
#[test]
fn library_batches_carry_their_author() {
    let batch = Batch::new(Author::Library, vec![]);
    let line = serde_json::to_string(&CommittedBatch { revision: 1, batch }).unwrap();
    assert!(line.contains(r#""by":"library""#), "{line}");
    assert!(line.starts_with(r#"{"format":1,"revision":1,"#), "{line}");
}

// ----- atomic batches of raw changes -------------------------------------------------------

fn id_of(kind: &str, i: u8) -> String {
    format!("{kind}{}", i % 3)
}

/// A change over a small universe of ids (three of each kind), often naming entities
/// that do not exist or relations that do (so later changes of a batch fail often).
fn change() -> impl Strategy<Value = privgraph::graph::Change> {
    use privgraph::graph::{Change, EntityKind as E, MemberType as M, TargetKind as T};
    use privgraph::privileges::{
        GroupPrivileges as G, HandleServicePrivileges as HS, OzPrivileges as Oz,
        SpacePrivileges as S,
    };
    let kind = prop_oneof![
        Just((E::User, "u")),
        Just((E::Group, "g")),
        Just((E::Space, "s")),
        Just((E::HandleService, "hs")),
        Just((E::Harvester, "hv")),
    ];
    let target = prop_oneof![
        3 => Just((T::Group, "g")),
        2 => Just((T::Space, "s")),
        1 => Just((T::HandleService, "hs")),
        1 => Just((T::Handle, "h")),
        1 => Just((T::Harvester, "hv")),
    ];
    let member = prop_oneof![Just((M::User, "u")), Just((M::Group, "g"))];
    let set = |t: T, bits: u8| -> privgraph::privileges::AnyPrivileges {
        let pick = |all: &[&'static str], n: u8| {
            all.iter()
                .skip(n as usize % 4)
                .take(1 + n as usize % 3)
                .copied()
                .collect::<Vec<&str>>()
        };
        let names = match t {
            T::Group => pick(<G as privgraph::privileges::Privileges>::NAMES, bits),
            T::Space => pick(<S as privgraph::privileges::Privileges>::NAMES, bits),
            T::HandleService => pick(<HS as privgraph::privileges::Privileges>::NAMES, bits),
            _ => vec![],
        };
        privgraph::privileges::AnyPrivileges::from_names(t.vocabulary(), names).unwrap()
    };
    prop_oneof![
        4 => (kind.clone(), any::<u8>()).prop_map(|((k, p), i)| Change::Create { kind: k, id: id_of(p, i) }),
        2 => (kind, any::<u8>()).prop_map(|((k, p), i)| Change::Delete { kind: k, id: id_of(p, i) }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(i, s)| Change::CreateShare { id: id_of("sh", i), space_id: id_of("s", s) }),
        1 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(i, hs, sh)| Change::CreateHandle {
            id: id_of("h", i), handle_service_id: id_of("hs", hs), share_id: id_of("sh", sh) }),
        1 => any::<u8>().prop_map(|i| Change::Delete { kind: E::Share, id: id_of("sh", i) }),
        6 => (target.clone(), any::<u8>(), member.clone(), any::<u8>(), any::<u8>()).prop_map(
            move |((t, tp), ti, (m, mp), mi, bits)| Change::AddMember {
                kind: t, id: id_of(tp, ti), member_type: m, member_id: id_of(mp, mi), privileges: set(t, bits) }),
        3 => (target.clone(), any::<u8>(), member.clone(), any::<u8>()).prop_map(
            |((t, tp), ti, (m, mp), mi)| Change::RemoveMember { kind: t, id: id_of(tp, ti), member_type: m, member_id: id_of(mp, mi) }),
        2 => (target, any::<u8>(), member.clone(), any::<u8>(), any::<u8>()).prop_map(
            move |((t, tp), ti, (m, mp), mi, bits)| Change::SetMemberPrivileges {
                kind: t, id: id_of(tp, ti), member_type: m, member_id: id_of(mp, mi), privileges: set(t, bits) }),
        2 => (member, any::<u8>(), any::<bool>()).prop_map(|((m, p), i, on)| Change::SetOzPrivileges {
            member_type: m, id: id_of(p, i), privileges: if on { Oz::OZ_GROUPS_VIEW } else { Oz::empty() } }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(s, u)| Change::AddSpaceOwner { space_id: id_of("s", s), user_id: id_of("u", u) }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(s, u)| Change::RemoveSpaceOwner { space_id: id_of("s", s), user_id: id_of("u", u) }),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(h, s)| Change::LinkHarvesterSpace { harvester_id: id_of("hv", h), space_id: id_of("s", s) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A batch applies whole or not at all: a refused batch leaves a graph equal to the
    /// one before it (the changes before the refused one undone, deletions with their
    /// cascades rebuilt, ownerships restored), and an accepted one gives the graph that
    /// applying its changes one by one gives.
    #[test]
    fn a_batch_applies_whole_or_not_at_all(batches in proptest::collection::vec(proptest::collection::vec(change(), 1..6), 1..30)) {
        // Every entity of the universe exists at first, so that most changes apply.
        let mut graph = Graph::new();
        let mut everything = Vec::new();
        for (kind, prefix) in [
            (privgraph::graph::EntityKind::User, "u"),
            (privgraph::graph::EntityKind::Group, "g"),
            (privgraph::graph::EntityKind::Space, "s"),
            (privgraph::graph::EntityKind::HandleService, "hs"),
            (privgraph::graph::EntityKind::Harvester, "hv"),
        ] {
            for i in 0..3 {
                everything.push(privgraph::graph::Change::Create { kind, id: id_of(prefix, i) });
            }
        }
        graph.apply(&Batch::new(Author::Library, everything)).expect("the universe is created");
        let mut accepted = 1u64;
        for changes in batches {
            let before = graph.clone();
            match graph.apply(&Batch::new(Author::Library, changes.clone())) {
                Ok(revision) => {
                    accepted += 1;
                    prop_assert_eq!(revision, accepted);
                    let mut one_by_one = before.clone();
                    for change in changes {
                        prop_assert!(one_by_one.apply(&Batch::new(Author::Library, vec![change])).is_ok());
                    }
                    prop_assert!(one_by_one == graph, "applied whole differs from one by one");
                }
                Err(err) => {
                    prop_assert!(graph == before, "refused ({}) but changed the graph", err);
                    prop_assert_eq!(graph.revision(), accepted);
                }
            }
        }
    }
}
