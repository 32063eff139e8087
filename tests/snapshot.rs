//! Snapshot format v1 (`docs/snapshot-format.md`): loading, saving, round trips and every
//! refusal.

use std::time::Instant;

use privgraph::graph::{
    AtmInventory, Child, Cluster, EntityKind, EntityRef, Graph, GraphError, Group, Handle,
    HandleService, Harvester, IdProblem, Key, MemberKind, MemberOf, Parent, Share, Space, Target,
    User,
};
use privgraph::privileges::{
    GroupPrivileges as G, HandlePrivileges as H, HandleServicePrivileges as HS, OzPrivileges as Oz,
    PrivilegeUpdate, Privileges, SpacePrivileges as S,
};
use privgraph::snapshot::{Snapshot, SnapshotError, load, save};
use serde_json::Value;

/// A short example with every kind of entry; it nests `g2` in `g1` without declaring
/// `g2`.
const SHORT_EXAMPLE: &str = r#"{
  "version": 1,
  "users":  [{"id": "u1", "ozPrivileges": ["oz_handle_services_set_privileges"]}],
  "groups": [{"id": "g1", "ozPrivileges": [],
              "users":    {"u1": ["group_view"]},
              "children": {"g2": ["group_view", "group_add_user"]}}],
  "spaces":         [{"id": "s1",  "owners": ["u1"], "users": {"u1": []},
                      "groups": {"g1": ["space_view"]}}],
  "shares":         [{"id": "sh1", "spaceId": "s1"}],
  "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_update"]}, "groups": {}}],
  "handles":        [{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
                      "users": {}, "groups": {"g1": ["handle_view"]}}],
  "harvesters":     [{"id": "hv1", "users": {}, "groups": {}, "spaces": ["s1"]}],
  "clusters":       [{"id": "c1", "users": {}, "groups": {}}],
  "atmInventories": [{"id": "ai1", "users": {}, "groups": {}}]
}"#;

/// The short example with `g2` (named as a child of `g1`) declared, every key written.
fn example() -> String {
    SHORT_EXAMPLE.replace(
        r#""groups": [{"id": "g1","#,
        r#""groups": [{"id": "g2", "ozPrivileges": [], "users": {}, "children": {}},
                      {"id": "g1","#,
    )
}

fn load_err(json: &str) -> SnapshotError {
    match load(json) {
        Ok(_) => panic!("snapshot unexpectedly loaded: {json}"),
        Err(err) => err,
    }
}

fn entity(kind: EntityKind, id: &str) -> EntityRef {
    EntityRef {
        kind,
        id: id.into(),
    }
}

/// Sorts every array (by its elements' JSON text), so values compare modulo ordering.
fn normalized(value: Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalized).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, normalized(v))).collect())
        }
        other => other,
    }
}

// ----- the examples --------------------------------------------------------------------

#[test]
fn short_example_names_an_undeclared_child_group() {
    // The example nests `g2` in `g1` without declaring `g2`; a group named in a
    // relation must be declared, so the example as written is refused.
    assert_eq!(
        load_err(SHORT_EXAMPLE),
        SnapshotError::Undeclared {
            kind: EntityKind::Group,
            id: "g2".into(),
            referenced_by: entity(EntityKind::Group, "g1"),
        }
    );
}

/// The first JSON block of `docs/snapshot-format.md`, its full example.
fn documented_example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/snapshot-format.md");
    let doc = std::fs::read_to_string(path).expect("docs/snapshot-format.md");
    let start = doc.find("```json\n").expect("a JSON block") + "```json\n".len();
    let len = doc[start..].find("```").expect("the block ends");
    doc[start..start + len].to_owned()
}

#[test]
fn documented_example_loads_and_means_what_the_docs_say() {
    let text = documented_example();
    // Every key of the format appears in it.
    for key in [
        "version",
        "users",
        "groups",
        "spaces",
        "shares",
        "handleServices",
        "handles",
        "harvesters",
        "clusters",
        "atmInventories",
        "ozPrivileges",
        "children",
        "owners",
        "spaceId",
        "handleServiceId",
        "shareId",
    ] {
        assert!(text.contains(&format!("\"{key}\"")), "{key} in the example");
    }
    let graph = load(&text).unwrap();
    let key = |id| graph.key::<User>(id).unwrap();
    let (u1, u2) = (key("u1"), key("u2"));
    let g1 = graph.key::<Group>("g1").unwrap();
    let s1 = graph.key::<Space>("s1").unwrap();
    // u2 is in g2, nested in g1: an effective member of g1 with g2's privileges there,
    // and of s1 with g1's.
    assert_eq!(
        graph.effective_privileges(u2, g1),
        Some(G::GROUP_VIEW | G::GROUP_ADD_USER)
    );
    assert_eq!(graph.effective_privileges(u2, s1), Some(S::SPACE_VIEW));
    // u1 owns s1: every space privilege, though its own membership carries none.
    assert_eq!(graph.direct_privileges(u1, s1), Some(S::empty()));
    assert!(graph.has_privilege(u1, s1, S::all()));
    assert_eq!(
        graph.oz_privileges(u1),
        Some(Oz::OZ_HANDLE_SERVICES_SET_PRIVILEGES)
    );
    // Saving and loading again gives the same graph.
    assert_eq!(load(&save(&graph)).unwrap(), graph);
}

#[test]
fn short_example_with_g2_declared_loads_and_answers() {
    let graph = load(&example()).unwrap();
    let u1 = graph.key::<User>("u1").unwrap();
    let g1 = graph.key::<Group>("g1").unwrap();
    let g2 = graph.key::<Group>("g2").unwrap();
    let s1 = graph.key::<Space>("s1").unwrap();
    let hs1 = graph.key::<HandleService>("hs1").unwrap();
    let h1 = graph.key::<Handle>("h1").unwrap();
    let sh1 = graph.key::<Share>("sh1").unwrap();
    let hv1 = graph.key::<Harvester>("hv1").unwrap();

    assert_eq!(
        graph.effective_oz_privileges(u1),
        Some(Oz::OZ_HANDLE_SERVICES_SET_PRIVILEGES)
    );
    assert_eq!(graph.effective_privileges(u1, g1), Some(G::GROUP_VIEW));
    assert_eq!(
        graph.direct_privileges(g2, g1),
        Some(G::GROUP_VIEW | G::GROUP_ADD_USER)
    );
    // Stored privileges in s1: own [] ∪ g1's; as an owner u1 passes every check.
    assert_eq!(graph.effective_privileges(u1, s1), Some(S::SPACE_VIEW));
    assert!(graph.is_space_owner(s1, u1));
    assert!(graph.has_privilege(u1, s1, S::all()));
    assert_eq!(
        graph.effective_privileges(u1, hs1),
        Some(HS::HANDLE_SERVICE_UPDATE)
    );
    assert_eq!(graph.effective_privileges(u1, h1), Some(H::HANDLE_VIEW));
    assert_eq!(graph.direct_privileges(u1, h1), None);
    assert_eq!(graph.handle_service_of(h1), Some(hs1));
    assert_eq!(graph.handle_share(h1), Some(sh1));
    assert_eq!(graph.share_space(sh1), Some(s1));
    assert_eq!(graph.harvester_spaces(hv1), vec![s1]);
    assert_eq!(graph.len::<Cluster>(), 1);
    assert_eq!(graph.len::<AtmInventory>(), 1);
    assert!(graph.has_privilege_by_id::<User, _>("u1", "hs1", HS::HANDLE_SERVICE_UPDATE));
}

#[test]
fn save_of_canonical_input_is_the_input_modulo_ordering() {
    let input = example();
    let saved = save(&load(&input).unwrap());
    let expected = normalized(serde_json::from_str(&input).unwrap());
    let actual = normalized(serde_json::from_str(&saved).unwrap());
    assert_eq!(actual, expected, "saved:\n{saved}");
}

#[test]
fn load_save_load_is_identical() {
    let first = load(&example()).unwrap();
    let json = save(&first);
    let second = load(&json).unwrap();
    assert_eq!(second, first);
    assert_eq!(save(&second), json);
}

#[test]
fn save_is_compact_and_save_pretty_is_the_same_document_indented() {
    let graph = load(&example()).unwrap();
    let compact = save(&graph);
    let pretty = privgraph::snapshot::save_pretty(&graph);
    // Compact: no whitespace outside strings (no id or name here contains any).
    assert!(
        !compact.contains([' ', '\n', '\t']),
        "save is compact: {compact}"
    );
    assert!(pretty.contains("\n  \"users\": ["), "{pretty}");
    assert!(pretty.len() > compact.len() * 3 / 2, "{pretty}");
    assert_eq!(
        serde_json::from_str::<Value>(&pretty).unwrap(),
        serde_json::from_str::<Value>(&compact).unwrap()
    );
    assert_eq!(load(&pretty).unwrap(), graph);
}

#[test]
fn input_order_does_not_change_the_graph() {
    let mut snapshot = Snapshot::from_json(&example()).unwrap();
    let canonical = snapshot.to_graph().unwrap();
    snapshot.groups.reverse();
    snapshot.users.push(privgraph::snapshot::UserEntry {
        id: "a0".into(),
        ..Default::default()
    });
    snapshot.users.reverse();
    let reordered = snapshot.to_graph().unwrap();
    assert_eq!(load(&save(&reordered)).unwrap(), reordered);
    assert_eq!(save(&reordered), {
        snapshot.canonicalize();
        snapshot.to_json()
    });
    assert_ne!(canonical, reordered); // one more user
}

#[test]
fn every_key_but_version_may_be_omitted() {
    let graph = load(r#"{"version": 1}"#).unwrap();
    assert_eq!(graph, Graph::new());
    let graph = load(
        r#"{"version": 1, "users": [{"id": "u"}], "groups": [{"id": "g", "users": {"u": []}}],
            "spaces": [{"id": "s", "groups": {"g": []}}], "harvesters": [{"id": "hv"}]}"#,
    )
    .unwrap();
    let u = graph.key::<User>("u").unwrap();
    let s = graph.key::<Space>("s").unwrap();
    assert_eq!(graph.effective_privileges(u, s), Some(S::empty()));
    let saved: Value = serde_json::from_str(&save(&graph)).unwrap();
    assert_eq!(saved["harvesters"][0]["spaces"], Value::Array(vec![]));
    assert_eq!(saved["clusters"], Value::Array(vec![]));
}

#[test]
fn group_oz_privileges_reach_effective_members() {
    let graph = load(
        r#"{"version": 1, "users": [{"id": "u"}],
            "groups": [{"id": "admins", "ozPrivileges": ["oz_users_list"], "children": {"team": []}},
                       {"id": "team", "users": {"u": []}}]}"#,
    )
    .unwrap();
    let u = graph.key::<User>("u").unwrap();
    assert_eq!(graph.oz_privileges(u), Some(Oz::empty()));
    assert_eq!(graph.effective_oz_privileges(u), Some(Oz::OZ_USERS_LIST));
}

#[test]
fn owner_through_a_group_only_is_accepted() {
    let graph = load(
        r#"{"version": 1, "users": [{"id": "u"}], "groups": [{"id": "g", "users": {"u": []}}],
            "spaces": [{"id": "s", "owners": ["u"], "groups": {"g": []}}]}"#,
    )
    .unwrap();
    let (u, s) = (
        graph.key::<User>("u").unwrap(),
        graph.key::<Space>("s").unwrap(),
    );
    assert!(graph.is_space_owner(s, u));
    assert!(graph.has_privilege(u, s, S::SPACE_DELETE));
    assert_eq!(load(&save(&graph)).unwrap(), graph);
}

// ----- one test per refusal ------------------------------------------------------------

#[test]
fn malformed_json_is_a_json_error_with_position() {
    let err = load_err("{\n  \"version\": 1,\n  \"users\": [\n");
    assert!(
        matches!(err, SnapshotError::Json { line: 4, .. }),
        "{err:?}"
    );
    let err = load_err("");
    assert!(matches!(err, SnapshotError::Json { .. }), "{err:?}");
    let err = load_err(r#"{"users": []}"#);
    match &err {
        SnapshotError::Json { message, .. } => assert!(message.contains("version"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("malformed snapshot at line 1, column")
    );
}

#[test]
fn unknown_key_is_refused_and_named() {
    for (json, key) in [
        (r#"{"version": 1, "usres": []}"#, "usres"),
        (
            r#"{"version": 1, "users": [{"id": "u", "ozPrivilege": []}]}"#,
            "ozPrivilege",
        ),
        (
            r#"{"version": 1, "groups": [{"id": "g", "child": {}}]}"#,
            "child",
        ),
        (
            r#"{"version": 1, "shares": [{"id": "sh", "space_id": "s"}]}"#,
            "space_id",
        ),
        (
            r#"{"version": 1, "harvesters": [{"id": "h", "space": []}]}"#,
            "space",
        ),
    ] {
        match load_err(json) {
            SnapshotError::Json { message, .. } => {
                assert!(
                    message.contains(&format!("unknown field `{key}`")),
                    "{message}"
                )
            }
            other => panic!("unexpected {other:?} for {json}"),
        }
    }
}

#[test]
fn positional_arrays_are_refused_where_an_object_is_expected() {
    // serde's derive would read each of these as the object with the same fields in
    // declaration order (a user `u1`, a share `sh1` of `s1`, …).
    for (json, what) in [
        (r#"[1, [{"id": "u1"}]]"#, "a snapshot"),
        (r#"{"version": 1, "users": [["u1"]]}"#, "a user entry"),
        (r#"{"version": 1, "users": [["u1", []]]}"#, "a user entry"),
        (
            r#"{"version": 1, "groups": [["g1", [], {}, {}]]}"#,
            "a group entry",
        ),
        (
            r#"{"version": 1, "spaces": [["s1", [], {}, {}]]}"#,
            "a space entry",
        ),
        (
            r#"{"version": 1, "spaces": [{"id": "s1"}], "shares": [["sh1", "s1"]]}"#,
            "a share entry",
        ),
        (
            r#"{"version": 1, "handleServices": [["hs1"]]}"#,
            "a handle service, cluster or automation inventory entry",
        ),
        (
            r#"{"version": 1, "clusters": [["c1", {}, {}]]}"#,
            "a handle service, cluster or automation inventory entry",
        ),
        (
            r#"{"version": 1, "handles": [["h1", "hs1", "sh1"]]}"#,
            "a handle entry",
        ),
        (
            r#"{"version": 1, "harvesters": [["hv1"]]}"#,
            "a harvester entry",
        ),
    ] {
        match load_err(json) {
            SnapshotError::Json { message, .. } => assert_eq!(
                message,
                format!("invalid type: sequence, expected a JSON object for {what}"),
                "{json}"
            ),
            other => panic!("unexpected {other:?} for {json}"),
        }
    }
    // The same entries written as objects load.
    let graph = load(r#"{"version": 1, "users": [{"id": "u1"}]}"#).unwrap();
    assert!(graph.key::<User>("u1").is_some());
}

#[test]
fn duplicate_member_key_is_refused_and_named() {
    let json = "{\"version\": 1, \"users\": [{\"id\": \"u1\"}],\n\"groups\": [{\"id\": \"g\", \"users\": {\"u1\": [], \"u1\": [\"group_view\"]}}]}";
    let err = load_err(json);
    assert!(
        matches!(&err, SnapshotError::DuplicateKey { key, line: 2, .. } if key == "u1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`u1` appears twice"));
    // In every member map.
    for json in [
        r#"{"version": 1, "groups": [{"id": "g", "children": {"c": [], "c": []}}]}"#,
        r#"{"version": 1, "spaces": [{"id": "s", "groups": {"c": [], "c": []}}]}"#,
        r#"{"version": 1, "handles": [{"id": "h", "users": {"c": [], "c": []}}]}"#,
        r#"{"version": 1, "atmInventories": [{"id": "a", "groups": {"c": [], "c": []}}]}"#,
    ] {
        assert!(
            matches!(load_err(json), SnapshotError::DuplicateKey { ref key, .. } if key == "c"),
            "{json}"
        );
    }
    // The side channel is cleared: a later, unrelated error is not mistaken for one.
    assert!(matches!(load_err("{"), SnapshotError::Json { .. }));
}

#[test]
fn unknown_privilege_name_is_refused_with_value_and_vocabulary() {
    let json = r#"{"version": 1, "users": [{"id": "u"}],
                   "spaces": [{"id": "s", "users": {"u": ["space_view", "group_view"]}}]}"#;
    match load_err(json) {
        SnapshotError::Json { message, line, .. } => {
            assert_eq!(line, 2);
            assert!(
                message.contains("group_view") && message.contains("space"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    match load_err(r#"{"version": 1, "users": [{"id": "u", "ozPrivileges": ["oz_everything"]}]}"#) {
        SnapshotError::Json { message, .. } => {
            assert!(
                message.contains("oz_everything") && message.contains("oz"),
                "{message}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn unsupported_version_is_refused() {
    assert_eq!(
        load_err(r#"{"version": 2}"#),
        SnapshotError::UnsupportedVersion(2)
    );
    assert_eq!(
        load_err(r#"{"version": 0}"#),
        SnapshotError::UnsupportedVersion(0)
    );
    // A later format with keys this one does not know is still reported by version.
    assert_eq!(
        load_err(r#"{"users": [{"id": "u", "email": "x"}], "version": 7}"#),
        SnapshotError::UnsupportedVersion(7)
    );
    let snapshot = Snapshot {
        version: 3,
        ..Snapshot::default()
    };
    assert_eq!(
        snapshot.to_graph().unwrap_err(),
        SnapshotError::UnsupportedVersion(3)
    );
    assert!(matches!(
        load_err(r#"{"version": "1"}"#),
        SnapshotError::Json { .. }
    ));
    assert!(matches!(
        load_err(r#"{"version": -1}"#),
        SnapshotError::Json { .. }
    ));
}

#[test]
fn invalid_ids_are_refused() {
    assert_eq!(
        load_err(r#"{"version": 1, "users": [{"id": ""}]}"#),
        SnapshotError::InvalidId {
            kind: EntityKind::User,
            id: String::new(),
            problem: IdProblem::Empty
        }
    );
    assert!(matches!(
        load_err(r#"{"version": 1, "clusters": [{}]}"#),
        SnapshotError::InvalidId {
            kind: EntityKind::Cluster,
            problem: IdProblem::Empty,
            ..
        }
    ));
    let long = "x".repeat(257);
    let err = load_err(&format!(
        r#"{{"version": 1, "groups": [{{"id": "{long}"}}]}}"#
    ));
    assert_eq!(
        err,
        SnapshotError::InvalidId {
            kind: EntityKind::Group,
            id: "x".repeat(64),
            problem: IdProblem::TooLong { len: 257 }
        }
    );
    // 256 bytes is fine.
    let ok = "y".repeat(256);
    assert!(
        load(&format!(
            r#"{{"version": 1, "groups": [{{"id": "{ok}"}}]}}"#
        ))
        .is_ok()
    );
}

#[test]
fn repeated_id_within_a_kind_is_refused() {
    assert_eq!(
        load_err(r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u1"}]}"#),
        SnapshotError::DuplicateId {
            kind: EntityKind::User,
            id: "u1".into()
        }
    );
    let json = r#"{"version": 1, "spaces": [{"id": "s"}], "shares": [{"id": "sh", "spaceId": "s"}, {"id": "sh", "spaceId": "s"}]}"#;
    assert_eq!(
        load_err(json),
        SnapshotError::DuplicateId {
            kind: EntityKind::Share,
            id: "sh".into()
        }
    );
    // The same id in two kinds is fine.
    assert!(load(r#"{"version": 1, "users": [{"id": "x"}], "groups": [{"id": "x"}]}"#).is_ok());
}

#[test]
fn undeclared_ids_are_refused_and_named_with_their_referrer() {
    let cases: &[(&str, EntityKind, &str, EntityKind, &str)] = &[
        (
            r#"{"version": 1, "groups": [{"id": "g", "users": {"u9": []}}]}"#,
            EntityKind::User,
            "u9",
            EntityKind::Group,
            "g",
        ),
        (
            r#"{"version": 1, "groups": [{"id": "g", "children": {"g9": []}}]}"#,
            EntityKind::Group,
            "g9",
            EntityKind::Group,
            "g",
        ),
        (
            r#"{"version": 1, "spaces": [{"id": "s", "groups": {"g9": []}}]}"#,
            EntityKind::Group,
            "g9",
            EntityKind::Space,
            "s",
        ),
        (
            r#"{"version": 1, "users": [{"id": "u"}], "spaces": [{"id": "s", "owners": ["u9"], "users": {"u": []}}]}"#,
            EntityKind::User,
            "u9",
            EntityKind::Space,
            "s",
        ),
        (
            r#"{"version": 1, "shares": [{"id": "sh", "spaceId": "s9"}]}"#,
            EntityKind::Space,
            "s9",
            EntityKind::Share,
            "sh",
        ),
        (
            r#"{"version": 1, "spaces": [{"id": "s"}], "shares": [{"id": "sh", "spaceId": "s"}], "handles": [{"id": "h", "handleServiceId": "hs9", "shareId": "sh"}]}"#,
            EntityKind::HandleService,
            "hs9",
            EntityKind::Handle,
            "h",
        ),
        (
            r#"{"version": 1, "handleServices": [{"id": "hs"}], "handles": [{"id": "h", "handleServiceId": "hs", "shareId": "sh9"}]}"#,
            EntityKind::Share,
            "sh9",
            EntityKind::Handle,
            "h",
        ),
        (
            r#"{"version": 1, "harvesters": [{"id": "hv", "spaces": ["s9"]}]}"#,
            EntityKind::Space,
            "s9",
            EntityKind::Harvester,
            "hv",
        ),
        (
            r#"{"version": 1, "handleServices": [{"id": "hs", "users": {"u9": ["handle_service_view"]}}]}"#,
            EntityKind::User,
            "u9",
            EntityKind::HandleService,
            "hs",
        ),
        (
            r#"{"version": 1, "clusters": [{"id": "c", "groups": {"g9": []}}]}"#,
            EntityKind::Group,
            "g9",
            EntityKind::Cluster,
            "c",
        ),
        (
            r#"{"version": 1, "atmInventories": [{"id": "a", "users": {"u9": []}}]}"#,
            EntityKind::User,
            "u9",
            EntityKind::AtmInventory,
            "a",
        ),
        (
            r#"{"version": 1, "shares": [{"id": "sh"}]}"#,
            EntityKind::Space,
            "",
            EntityKind::Share,
            "sh",
        ),
    ];
    for &(json, kind, id, by_kind, by_id) in cases {
        assert_eq!(
            load_err(json),
            SnapshotError::Undeclared {
                kind,
                id: id.into(),
                referenced_by: entity(by_kind, by_id)
            },
            "{json}"
        );
    }
    assert_eq!(
        load_err(cases[0].0).to_string(),
        "group `g` names user `u9`, which is not declared in `users`"
    );
}

#[test]
fn nesting_cycles_are_refused() {
    let err = load_err(
        r#"{"version": 1, "groups": [{"id": "g1", "children": {"g2": []}},
                                     {"id": "g2", "children": {"g3": []}},
                                     {"id": "g3", "children": {"g1": []}}]}"#,
    );
    assert_eq!(
        err,
        SnapshotError::NestingCycle {
            child: "g1".into(),
            parent: "g3".into()
        }
    );
    assert!(err.to_string().contains("closes a cycle"));
    let err = load_err(r#"{"version": 1, "groups": [{"id": "g", "children": {"g": []}}]}"#);
    assert_eq!(
        err,
        SnapshotError::NestingCycle {
            child: "g".into(),
            parent: "g".into()
        }
    );
    assert_eq!(err.to_string(), "group `g` is nested in itself");
    // A diamond is not a cycle.
    assert!(
        load(
            r#"{"version": 1, "groups": [{"id": "top", "children": {"l": [], "r": []}},
            {"id": "l", "children": {"bottom": []}}, {"id": "r", "children": {"bottom": []}},
            {"id": "bottom"}]}"#
        )
        .is_ok()
    );
}

#[test]
fn share_named_by_two_handles_is_refused() {
    let err = load_err(
        r#"{"version": 1, "spaces": [{"id": "s"}], "shares": [{"id": "sh", "spaceId": "s"}],
            "handleServices": [{"id": "hs"}],
            "handles": [{"id": "h2", "handleServiceId": "hs", "shareId": "sh"},
                        {"id": "h1", "handleServiceId": "hs", "shareId": "sh"}]}"#,
    );
    assert_eq!(
        err,
        SnapshotError::ShareHasTwoHandles {
            share: "sh".into(),
            first: "h1".into(),
            second: "h2".into()
        }
    );
}

#[test]
fn owner_who_is_not_a_member_is_refused() {
    let err = load_err(
        r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
            "spaces": [{"id": "s1", "owners": ["u1", "u2"], "users": {"u1": []}}]}"#,
    );
    assert_eq!(
        err,
        SnapshotError::OwnerNotMember {
            space: "s1".into(),
            user: "u2".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "user `u2` owns space `s1` but is not a direct or effective member of it"
    );
}

#[test]
fn repeated_relations_are_graph_errors() {
    let err = load_err(
        r#"{"version": 1, "users": [{"id": "u"}],
            "spaces": [{"id": "s", "owners": ["u", "u"], "users": {"u": []}}]}"#,
    );
    assert!(
        matches!(err, SnapshotError::Graph(GraphError::OwnerExists { .. })),
        "{err:?}"
    );
    let err = load_err(
        r#"{"version": 1, "spaces": [{"id": "s"}], "harvesters": [{"id": "h", "spaces": ["s", "s"]}]}"#,
    );
    assert!(
        matches!(err, SnapshotError::Graph(GraphError::RelationExists { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("harvester `h`"));
}

#[test]
fn no_input_panics() {
    let text = example();
    // Every prefix, and every single-byte corruption at a few positions.
    for cut in 0..text.len() {
        if text.is_char_boundary(cut) {
            let _ = load(&text[..cut]);
        }
    }
    let mut rng = Rng(99);
    for _ in 0..2_000 {
        let mut bytes = text.clone().into_bytes();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len());
            bytes[at] = b"{}[]\":,x1 -"[rng.below(11)];
        }
        if let Ok(corrupt) = String::from_utf8(bytes) {
            let _ = load(&corrupt);
        }
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(load(&deep).is_err());
    let deep = format!(r#"{{"version": 1, "users": {}}}"#, "[".repeat(10_000));
    assert!(load(&deep).is_err());
}

// ----- random graphs -------------------------------------------------------------------

/// SplitMix64: small and deterministic, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random subset of a vocabulary (each name with probability 1/2).
    fn subset<P: Privileges>(&mut self) -> P {
        let mut set = P::empty();
        for &(_, flag) in P::TABLE {
            if self.next() & 1 == 1 {
                set.insert(flag);
            }
        }
        set
    }

    fn non_empty<P: Privileges>(&mut self) -> P {
        loop {
            let set = self.subset::<P>();
            if !set.is_empty() {
                return set;
            }
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())])
    }
}

fn random_members<T: Target>(
    graph: &mut Graph,
    rng: &mut Rng,
    targets: &[Key<T>],
    users: &[Key<User>],
    groups: &[Key<Group>],
) where
    Group: MemberOf<T>,
{
    for &t in targets {
        for _ in 0..rng.below(4) {
            if let Some(u) = rng.pick(users) {
                let _ = graph.add_member(t, u, rng.subset());
            }
        }
        for _ in 0..rng.below(4) {
            if let Some(g) = rng.pick(groups) {
                let _ = graph.add_member(t, g, rng.subset());
            }
        }
    }
}

/// A random graph built through the graph API, with deletions, so that slots are
/// reused and keys have holes.
fn random_graph(seed: u64) -> Graph {
    let mut rng = Rng(seed);
    let mut graph = Graph::new();
    let n = 3 + rng.below(20);
    let mut users: Vec<Key<User>> = (0..n)
        .map(|i| graph.create(&format!("u{i}")).unwrap())
        .collect();
    let mut groups: Vec<Key<Group>> = (0..2 + rng.below(12))
        .map(|i| graph.create(&format!("g{i}")).unwrap())
        .collect();
    let spaces: Vec<Key<Space>> = (0..1 + rng.below(4))
        .map(|i| graph.create(&format!("s{i}")).unwrap())
        .collect();
    let services: Vec<Key<HandleService>> = (0..1 + rng.below(3))
        .map(|i| graph.create(&format!("hs{i}")).unwrap())
        .collect();
    let harvesters: Vec<Key<Harvester>> = (0..rng.below(3))
        .map(|i| graph.create(&format!("hv{i}")).unwrap())
        .collect();
    let clusters: Vec<Key<Cluster>> = (0..rng.below(3))
        .map(|i| graph.create(&format!("c{i}")).unwrap())
        .collect();
    let inventories: Vec<Key<AtmInventory>> = (0..rng.below(3))
        .map(|i| graph.create(&format!("ai{i}")).unwrap())
        .collect();
    // Nesting in random order (cycles are refused by the graph), users in groups.
    for _ in 0..groups.len() * 2 {
        let (a, b) = (rng.pick(&groups).unwrap(), rng.pick(&groups).unwrap());
        let _ = graph.nest(Child(b), Parent(a), rng.subset::<G>());
    }
    for &u in &users {
        for _ in 0..rng.below(3) {
            let g = rng.pick(&groups).unwrap();
            let _ = graph.add_member(g, u, rng.subset::<G>());
        }
    }
    random_members(&mut graph, &mut rng, &spaces, &users, &groups);
    random_members(&mut graph, &mut rng, &services, &users, &groups);
    random_members(&mut graph, &mut rng, &harvesters, &users, &groups);
    random_members(&mut graph, &mut rng, &clusters, &users, &groups);
    random_members(&mut graph, &mut rng, &inventories, &users, &groups);
    // Shares and handles.
    let mut shares = Vec::new();
    for i in 0..rng.below(5) {
        let s = rng.pick(&spaces).unwrap();
        shares.push(graph.create_share(&format!("sh{i}"), s).unwrap());
    }
    let mut handles = Vec::new();
    for (i, &sh) in shares.iter().enumerate() {
        if rng.below(3) > 0 {
            let hs = rng.pick(&services).unwrap();
            handles.push(graph.create_handle(&format!("h{i}"), hs, sh).unwrap());
        }
    }
    random_members(&mut graph, &mut rng, &handles, &users, &groups);
    // Oz privileges, some updates.
    for _ in 0..3 {
        if let Some(u) = rng.pick(&users) {
            graph
                .update_oz_privileges(u, &PrivilegeUpdate::Set(rng.subset()))
                .unwrap();
        }
        if let Some(g) = rng.pick(&groups) {
            graph
                .update_oz_privileges(g, &PrivilegeUpdate::Set(rng.subset()))
                .unwrap();
        }
    }
    for _ in 0..3 {
        let s = rng.pick(&spaces).unwrap();
        if let Some(g) = rng.pick(&groups) {
            let update = PrivilegeUpdate::GrantRevoke {
                grant: rng.subset::<S>(),
                revoke: rng.subset::<S>(),
            };
            let _ = graph.update_member_privileges(s, g, &update);
        }
    }
    // Owners: some effective (possibly group-only) members of each space.
    for &s in &spaces {
        let mut members = graph.effective_members::<User, Space>(s);
        members.sort_by_key(|&u| graph.id(u).map(str::to_owned));
        for u in members {
            if rng.below(2) == 0 {
                graph.add_space_owner(s, u).unwrap();
            }
        }
    }
    for &h in &harvesters {
        for &s in &spaces {
            if rng.below(2) == 0 {
                graph.link_harvester_space(h, s).unwrap();
            }
        }
    }
    // Deletions (slots reused below) and removals.
    for _ in 0..rng.below(3) {
        if users.len() > 1 {
            let u = users.swap_remove(rng.below(users.len()));
            graph.delete(u).unwrap();
        }
    }
    if groups.len() > 2 && rng.below(2) == 0 {
        let g = groups.swap_remove(rng.below(groups.len()));
        graph.delete(g).unwrap();
    }
    if let Some(sh) = rng.pick(&shares)
        && rng.below(2) == 0
    {
        graph.delete(sh).unwrap();
    }
    for _ in 0..2 {
        let g = rng.pick(&groups).unwrap();
        let mut members = graph.direct_members::<User, Group>(g);
        members.sort_by_key(|&u| graph.id(u).map(str::to_owned));
        if let Some(u) = rng.pick(&members) {
            graph.remove_member(g, u).unwrap();
        }
    }
    users.push(graph.create(&format!("late{seed}")).unwrap());
    let g = rng.pick(&groups).unwrap();
    let late = *users.last().unwrap();
    graph.add_member(g, late, G::GROUP_VIEW).unwrap();
    graph
}

/// Every answer the graph gives, by ids, in a canonical order.
fn answers(graph: &Graph) -> Vec<String> {
    fn of<T: Target>(graph: &Graph, out: &mut Vec<String>) {
        for t in graph.keys::<T>() {
            let tid = graph.id(t).unwrap();
            for u in graph.effective_members::<User, T>(t) {
                out.push(format!(
                    "{:?} {tid} user {} eff {:?} direct {:?} all {}",
                    T::KIND,
                    graph.id(u).unwrap(),
                    graph.effective_privileges(u, t),
                    graph.direct_privileges(u, t),
                    graph.has_privilege(u, t, <T::Privileges as Privileges>::admin()),
                ));
            }
            for g in graph.effective_members::<Group, T>(t) {
                out.push(format!(
                    "{:?} {tid} group {} eff {:?} direct {:?}",
                    T::KIND,
                    graph.id(g).unwrap(),
                    graph.effective_privileges(g, t),
                    graph.direct_privileges(g, t),
                ));
            }
        }
    }
    fn oz<M: MemberKind>(graph: &Graph, out: &mut Vec<String>) {
        for m in graph.keys::<M>() {
            out.push(format!(
                "{:?} {} oz {:?} eff {:?}",
                M::KIND,
                graph.id(m).unwrap(),
                graph.oz_privileges(m),
                graph.effective_oz_privileges(m)
            ));
        }
    }
    fn ids<K: privgraph::graph::Kind>(graph: &Graph, keys: Vec<Key<K>>) -> Vec<String> {
        let mut ids: Vec<String> = keys
            .into_iter()
            .map(|k| graph.id(k).unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }
    let mut out = Vec::new();
    of::<Group>(graph, &mut out);
    of::<Space>(graph, &mut out);
    of::<HandleService>(graph, &mut out);
    of::<Handle>(graph, &mut out);
    of::<Harvester>(graph, &mut out);
    of::<Cluster>(graph, &mut out);
    of::<AtmInventory>(graph, &mut out);
    oz::<User>(graph, &mut out);
    oz::<Group>(graph, &mut out);
    for s in graph.keys::<Space>() {
        out.push(format!(
            "space {} owners {:?} shares {:?} harvesters {:?}",
            graph.id(s).unwrap(),
            ids(graph, graph.space_owners(s)),
            ids(graph, graph.space_shares(s)),
            ids(graph, graph.space_harvesters(s)),
        ));
    }
    for h in graph.keys::<Handle>() {
        out.push(format!(
            "handle {} service {:?} share {:?}",
            graph.id(h).unwrap(),
            graph.handle_service_of(h).and_then(|k| graph.id(k)),
            graph.handle_share(h).and_then(|k| graph.id(k)),
        ));
    }
    for h in graph.keys::<Harvester>() {
        out.push(format!(
            "harvester {} spaces {:?}",
            graph.id(h).unwrap(),
            ids(graph, graph.harvester_spaces(h))
        ));
    }
    for kind_count in [
        graph.len::<User>(),
        graph.len::<Group>(),
        graph.len::<Space>(),
        graph.len::<Share>(),
        graph.len::<HandleService>(),
        graph.len::<Handle>(),
        graph.len::<Harvester>(),
        graph.len::<Cluster>(),
        graph.len::<AtmInventory>(),
    ] {
        out.push(format!("count {kind_count}"));
    }
    out.sort();
    out
}

#[test]
fn random_graphs_round_trip_with_identical_answers() {
    for seed in 0..200 {
        let original = random_graph(seed);
        let json = save(&original);
        let loaded = load(&json).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{json}"));
        assert_eq!(answers(&loaded), answers(&original), "seed {seed}");
        assert_eq!(save(&loaded), json, "seed {seed}");
        assert_eq!(load(&save(&loaded)).unwrap(), loaded, "seed {seed}");
        assert_eq!(
            Snapshot::from_json(&json).unwrap(),
            Snapshot::from_graph(&original)
        );
    }
}

#[test]
fn random_graphs_produce_every_kind_of_relation() {
    // Guards the test above against a generator that builds nothing interesting.
    let (mut owners, mut handles, mut links, mut nested) = (0, 0, 0, 0);
    for seed in 0..200 {
        let snapshot = Snapshot::from_graph(&random_graph(seed));
        owners += snapshot
            .spaces
            .iter()
            .map(|s| s.owners.len())
            .sum::<usize>();
        handles += snapshot.handles.len();
        links += snapshot
            .harvesters
            .iter()
            .map(|h| h.spaces.len())
            .sum::<usize>();
        nested += snapshot
            .groups
            .iter()
            .map(|g| g.children.len())
            .sum::<usize>();
    }
    assert!(
        owners > 50 && handles > 50 && links > 50 && nested > 200,
        "{owners} {handles} {links} {nested}"
    );
}

// ----- the large graph -----------------------------------------------------------------

/// The large graph and the keys of its users, groups and handle services, by index.
struct Large {
    graph: Graph,
    users: Vec<Key<User>>,
    groups: Vec<Key<Group>>,
    services: Vec<Key<HandleService>>,
}

/// The shared generator's shape (BENCHMARKS.md) at 100,000 users, 10,000 groups and 1,000
/// handle services, with random non-empty privileges on every membership.
fn large_graph(rng: &mut Rng) -> Large {
    let (n_users, n_groups, n_services) = (100_000, 10_000, 1_000);
    let mut graph = Graph::new();
    let users: Vec<Key<User>> = (0..n_users)
        .map(|i| graph.create(&format!("u{i}")).unwrap())
        .collect();
    let groups: Vec<Key<Group>> = (0..n_groups)
        .map(|i| graph.create(&format!("g{i}")).unwrap())
        .collect();
    let services: Vec<Key<HandleService>> = (0..n_services)
        .map(|i| graph.create(&format!("hs{i}")).unwrap())
        .collect();
    for i in 1..n_groups {
        for _ in 0..rng.below(4) {
            let _ = graph.nest(
                Child(groups[i]),
                Parent(groups[rng.below(i)]),
                rng.non_empty::<G>(),
            );
        }
    }
    for &u in &users {
        for _ in 0..1 + rng.below(4) {
            let _ = graph.add_member(groups[rng.below(n_groups)], u, rng.non_empty::<G>());
        }
    }
    for &s in &services {
        for _ in 0..rng.below(4) {
            let _ = graph.add_member(s, users[rng.below(n_users)], rng.non_empty::<HS>());
        }
        for _ in 0..1 + rng.below(4) {
            let _ = graph.add_member(s, groups[rng.below(n_groups)], rng.non_empty::<HS>());
        }
    }
    Large {
        graph,
        users,
        groups,
        services,
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "large: runs in release builds (cargo test --release)"
)]
fn large_graph_round_trips_with_identical_answers() {
    let mut rng = Rng(2024);
    let start = Instant::now();
    let Large {
        graph: original,
        users,
        groups,
        services,
    } = large_graph(&mut rng);
    let built = start.elapsed();

    let start = Instant::now();
    let json = save(&original);
    let saved = start.elapsed();

    // `load` is `from_json` then `to_graph`; timed apart.
    let start = Instant::now();
    let snapshot = Snapshot::from_json(&json).unwrap();
    let parsed = start.elapsed();
    let start = Instant::now();
    let loaded = snapshot.to_graph().unwrap();
    let graph_built = start.elapsed();
    drop(snapshot);

    let start = Instant::now();
    assert_eq!(save(&loaded), json);
    let saved_again = start.elapsed();
    eprintln!(
        "large snapshot: {} MB; API build {built:?}, save {saved:?}, parse {parsed:?}, to_graph {graph_built:?}, save again {saved_again:?}",
        json.len() / 1_000_000
    );
    assert_eq!(loaded.len::<User>(), 100_000);
    assert_eq!(loaded.len::<Group>(), 10_000);
    assert_eq!(loaded.len::<HandleService>(), 1_000);

    // 10,000 uniform (user, service, privilege) checks (most say "no": about 2 % of
    // the pairs are effective members), then 10,000 over effective members.
    let check = |u: Key<User>, s: Key<HandleService>, p: HS| {
        let (uid, sid) = (original.id(u).unwrap(), original.id(s).unwrap());
        let expected = original.has_privilege(u, s, p);
        assert_eq!(
            loaded.has_privilege_by_id::<User, _>(uid, sid, p),
            expected,
            "{uid} {sid} {p}"
        );
        let (lu, ls) = (
            loaded.key::<User>(uid).unwrap(),
            loaded.key::<HandleService>(sid).unwrap(),
        );
        assert_eq!(
            loaded.effective_privileges(lu, ls),
            original.effective_privileges(u, s)
        );
        expected
    };
    let mut allowed = [0usize; 2];
    for _ in 0..10_000 {
        let u = users[rng.below(users.len())];
        let s = services[rng.below(services.len())];
        let p = HS::TABLE[rng.below(HS::TABLE.len())].1;
        allowed[0] += usize::from(check(u, s, p));
    }
    for _ in 0..10_000 {
        let s = services[rng.below(services.len())];
        let mut members = original.effective_members::<User, HandleService>(s);
        members.sort_unstable();
        let Some(u) = rng.pick(&members) else {
            continue;
        };
        let p = HS::TABLE[rng.below(HS::TABLE.len())].1;
        allowed[1] += usize::from(check(u, s, p));
    }
    for _ in 0..10_000 {
        let u = users[rng.below(users.len())];
        let g = groups[rng.below(groups.len())];
        let (uid, gid) = (original.id(u).unwrap(), original.id(g).unwrap());
        let (lu, lg) = (
            loaded.key::<User>(uid).unwrap(),
            loaded.key::<Group>(gid).unwrap(),
        );
        assert_eq!(
            loaded.effective_privileges(lu, lg),
            original.effective_privileges(u, g)
        );
    }
    // The samples exercise both answers.
    assert!(
        allowed[0] > 20 && allowed[1] > 3_000 && allowed[1] < 9_900,
        "allowed: {allowed:?}"
    );
}

#[test]
fn errors_display_as_sentences() {
    let cases = [
        SnapshotError::UnsupportedVersion(2),
        SnapshotError::DuplicateId {
            kind: EntityKind::Space,
            id: "s".into(),
        },
        SnapshotError::ShareHasTwoHandles {
            share: "sh".into(),
            first: "a".into(),
            second: "b".into(),
        },
    ];
    let texts: Vec<String> = cases.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "snapshot version 2 is not supported: this build reads version 1 only",
            "space `s` is declared more than once",
            "share `sh` is named by two handles, `a` and `b`; a share has at most one",
        ]
    );
}
