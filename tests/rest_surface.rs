//! The REST surface: which (method, path) privgraph serves, and how the adapter treats
//! paths and bodies before any rule runs (`src/rest.rs`).
//!
//! [`EXPECTED`] is written by hand from Onezone's REST routes (its route modules, "the
//! reference" below) and from the two `PUT …/privileges` routes of its older v3
//! documentation, never derived from `src/`. In scope: every route that concerns
//! memberships, privileges, leaving, and the creation or deletion of the entities of the
//! graph, the presets routes, and those two `PUT …/privileges` routes. Out of
//! scope (not served): entity detail GETs and PATCH of entity data (`GET /groups/{id}`,
//! the shared views `GET …/users/{uid}`, `GET …/children/{cid}`, `GET /user/groups/{gid}`,
//! `GET /handle_services/{hs}/handles/{h}`, `GET /spaces/{id}/harvesters/{hid}`, the
//! `…/public` views, …), tokens, invites and `…/join`, provider routes (including
//! `effective_providers`), share routes other than `GET /spaces/{id}/shares`, handle
//! creation (`POST /handles`, `/user/handles`, `/groups/{gid}/handles`) and cluster
//! creation/deletion (which have no route in the reference anyway).

use std::collections::BTreeSet;

use privgraph::logic::{Auth, Engine};
use privgraph::rest::{self, Response};
use serde_json::{Value, json};

// =======================================================================================
// The expected surface, from the reference
// =======================================================================================

/// Every route privgraph must serve, parameters written `{}`.
const EXPECTED: &[(&str, &str)] = &[
    // ---- groups: group users
    ("GET", "/groups/{}/users"),
    ("GET", "/groups/{}/effective_users"),
    ("PUT", "/groups/{}/users/{}"),
    ("DELETE", "/groups/{}/users/{}"),
    ("GET", "/groups/{}/users/{}/privileges"),
    ("PATCH", "/groups/{}/users/{}/privileges"),
    ("GET", "/groups/{}/effective_users/{}/privileges"),
    ("GET", "/groups/{}/effective_users/{}/membership"),
    // ---- child groups
    ("GET", "/groups/{}/children"),
    ("GET", "/groups/{}/effective_children"),
    ("PUT", "/groups/{}/children/{}"),
    ("DELETE", "/groups/{}/children/{}"),
    ("GET", "/groups/{}/children/{}/privileges"),
    ("PATCH", "/groups/{}/children/{}/privileges"),
    ("GET", "/groups/{}/effective_children/{}/privileges"),
    ("GET", "/groups/{}/effective_children/{}/membership"),
    ("POST", "/groups/{}/children"),
    // ---- parent groups
    ("GET", "/groups/{}/parents"),
    ("GET", "/groups/{}/effective_parents"),
    ("DELETE", "/groups/{}/parents/{}"),
    ("POST", "/groups/{}/parents"),
    // ---- group lifecycle
    ("POST", "/groups"),
    ("GET", "/groups"),
    ("DELETE", "/groups/{}"),
    ("GET", "/groups/privileges"),
    // ---- oz privileges of users and groups, oz presets
    ("GET", "/users/{}/privileges"),
    ("PATCH", "/users/{}/privileges"),
    ("DELETE", "/users/{}/privileges"),
    ("GET", "/users/{}/effective_privileges"),
    ("GET", "/user/privileges"),
    ("PATCH", "/user/privileges"),
    ("DELETE", "/user/privileges"),
    ("GET", "/user/effective_privileges"),
    ("GET", "/groups/{}/privileges"),
    ("PATCH", "/groups/{}/privileges"),
    ("DELETE", "/groups/{}/privileges"),
    ("GET", "/groups/{}/effective_privileges"),
    ("GET", "/privileges"),
    // ---- the user's own view (lists, leave, create), deleting a user
    ("GET", "/user/groups"),
    ("GET", "/user/effective_groups"),
    ("DELETE", "/user/groups/{}"),
    ("POST", "/user/groups"),
    ("GET", "/user/spaces"),
    ("GET", "/user/effective_spaces"),
    ("DELETE", "/user/spaces/{}"),
    ("GET", "/user/handle_services"),
    ("GET", "/user/effective_handle_services"),
    ("DELETE", "/user/handle_services/{}"),
    ("GET", "/user/handles"),
    ("GET", "/user/effective_handles"),
    ("DELETE", "/user/handles/{}"),
    ("GET", "/user/harvesters"),
    ("GET", "/user/effective_harvesters"),
    ("DELETE", "/user/harvesters/{}"),
    ("GET", "/user/clusters"),
    ("GET", "/user/effective_clusters"),
    ("DELETE", "/user/clusters/{}"),
    ("GET", "/user/atm_inventories"),
    ("GET", "/user/effective_atm_inventories"),
    ("DELETE", "/user/atm_inventories/{}"),
    ("DELETE", "/user"),
    ("DELETE", "/users/{}"),
    // creation as the user: handle services (the handle route is out of scope), spaces,
    // harvesters, inventories
    ("POST", "/user/handle_services"),
    ("POST", "/user/spaces"),
    ("POST", "/user/harvesters"),
    ("POST", "/user/atm_inventories"),
    // ---- a group's memberships in other resources, leaving them
    ("GET", "/groups/{}/spaces"),
    ("GET", "/groups/{}/effective_spaces"),
    ("DELETE", "/groups/{}/spaces/{}"),
    ("GET", "/groups/{}/handle_services"),
    ("GET", "/groups/{}/effective_handle_services"),
    ("DELETE", "/groups/{}/handle_services/{}"),
    ("GET", "/groups/{}/handles"),
    ("GET", "/groups/{}/effective_handles"),
    ("DELETE", "/groups/{}/handles/{}"),
    ("GET", "/groups/{}/harvesters"),
    ("GET", "/groups/{}/effective_harvesters"),
    ("DELETE", "/groups/{}/harvesters/{}"),
    ("GET", "/groups/{}/clusters"),
    ("GET", "/groups/{}/effective_clusters"),
    ("DELETE", "/groups/{}/clusters/{}"),
    ("GET", "/groups/{}/atm_inventories"),
    ("GET", "/groups/{}/effective_atm_inventories"),
    ("DELETE", "/groups/{}/atm_inventories/{}"),
    // creation as a group (handle services, spaces, harvesters, inventories)
    ("POST", "/groups/{}/handle_services"),
    ("POST", "/groups/{}/spaces"),
    ("POST", "/groups/{}/harvesters"),
    ("POST", "/groups/{}/atm_inventories"),
    // ---- handle services: lifecycle, handles list
    ("POST", "/handle_services"),
    ("GET", "/handle_services"),
    ("GET", "/handle_services/privileges"),
    ("DELETE", "/handle_services/{}"),
    ("GET", "/handle_services/{}/handles"),
    // ---- handle service members (no membership routes, no POST …/groups)
    ("GET", "/handle_services/{}/users"),
    ("GET", "/handle_services/{}/effective_users"),
    ("PUT", "/handle_services/{}/users/{}"),
    ("DELETE", "/handle_services/{}/users/{}"),
    ("GET", "/handle_services/{}/users/{}/privileges"),
    ("PATCH", "/handle_services/{}/users/{}/privileges"),
    ("GET", "/handle_services/{}/effective_users/{}/privileges"),
    ("GET", "/handle_services/{}/groups"),
    ("GET", "/handle_services/{}/effective_groups"),
    ("PUT", "/handle_services/{}/groups/{}"),
    ("DELETE", "/handle_services/{}/groups/{}"),
    ("GET", "/handle_services/{}/groups/{}/privileges"),
    ("PATCH", "/handle_services/{}/groups/{}/privileges"),
    ("GET", "/handle_services/{}/effective_groups/{}/privileges"),
    // the v3 documentation's PUT, v3 names accepted
    ("PUT", "/handle_services/{}/groups/{}/privileges"),
    // ---- handles: lifecycle (creation out of scope)
    ("GET", "/handles"),
    ("GET", "/handles/privileges"),
    ("DELETE", "/handles/{}"),
    // ---- handle members
    ("GET", "/handles/{}/users"),
    ("GET", "/handles/{}/effective_users"),
    ("PUT", "/handles/{}/users/{}"),
    ("DELETE", "/handles/{}/users/{}"),
    ("GET", "/handles/{}/users/{}/privileges"),
    ("PATCH", "/handles/{}/users/{}/privileges"),
    ("GET", "/handles/{}/effective_users/{}/privileges"),
    ("GET", "/handles/{}/groups"),
    ("GET", "/handles/{}/effective_groups"),
    ("PUT", "/handles/{}/groups/{}"),
    ("DELETE", "/handles/{}/groups/{}"),
    ("GET", "/handles/{}/groups/{}/privileges"),
    ("PATCH", "/handles/{}/groups/{}/privileges"),
    ("GET", "/handles/{}/effective_groups/{}/privileges"),
    // the v3 documentation's PUT, v3 names accepted
    ("PUT", "/handles/{}/users/{}/privileges"),
    // ---- spaces (and their presets)
    ("GET", "/spaces/privileges"),
    ("POST", "/spaces"),
    ("GET", "/spaces"),
    ("DELETE", "/spaces/{}"),
    ("GET", "/spaces/{}/users"),
    ("GET", "/spaces/{}/effective_users"),
    ("PUT", "/spaces/{}/users/{}"),
    ("DELETE", "/spaces/{}/users/{}"),
    ("GET", "/spaces/{}/users/{}/privileges"),
    ("PATCH", "/spaces/{}/users/{}/privileges"),
    ("GET", "/spaces/{}/effective_users/{}/privileges"),
    ("GET", "/spaces/{}/effective_users/{}/membership"),
    ("GET", "/spaces/{}/groups"),
    ("GET", "/spaces/{}/effective_groups"),
    ("PUT", "/spaces/{}/groups/{}"),
    ("DELETE", "/spaces/{}/groups/{}"),
    ("GET", "/spaces/{}/groups/{}/privileges"),
    ("PATCH", "/spaces/{}/groups/{}/privileges"),
    ("GET", "/spaces/{}/effective_groups/{}/privileges"),
    ("GET", "/spaces/{}/effective_groups/{}/membership"),
    ("POST", "/spaces/{}/groups"),
    ("GET", "/spaces/{}/owners"),
    ("PUT", "/spaces/{}/owners/{}"),
    ("DELETE", "/spaces/{}/owners/{}"),
    // the space's shares list
    ("GET", "/spaces/{}/shares"),
    // harvester links seen from the space
    ("GET", "/spaces/{}/harvesters"),
    ("DELETE", "/spaces/{}/harvesters/{}"),
    // ---- harvesters
    ("GET", "/harvesters/privileges"),
    ("POST", "/harvesters"),
    ("GET", "/harvesters"),
    ("DELETE", "/harvesters/{}"),
    ("GET", "/harvesters/{}/users"),
    ("GET", "/harvesters/{}/effective_users"),
    ("PUT", "/harvesters/{}/users/{}"),
    ("DELETE", "/harvesters/{}/users/{}"),
    ("GET", "/harvesters/{}/users/{}/privileges"),
    ("PATCH", "/harvesters/{}/users/{}/privileges"),
    ("GET", "/harvesters/{}/effective_users/{}/privileges"),
    ("GET", "/harvesters/{}/effective_users/{}/membership"),
    ("GET", "/harvesters/{}/groups"),
    ("GET", "/harvesters/{}/effective_groups"),
    ("PUT", "/harvesters/{}/groups/{}"),
    ("DELETE", "/harvesters/{}/groups/{}"),
    ("GET", "/harvesters/{}/groups/{}/privileges"),
    ("PATCH", "/harvesters/{}/groups/{}/privileges"),
    ("GET", "/harvesters/{}/effective_groups/{}/privileges"),
    ("GET", "/harvesters/{}/effective_groups/{}/membership"),
    ("POST", "/harvesters/{}/groups"),
    ("GET", "/harvesters/{}/spaces"),
    ("PUT", "/harvesters/{}/spaces/{}"),
    ("DELETE", "/harvesters/{}/spaces/{}"),
    // ---- clusters (no creation or deletion route)
    ("GET", "/clusters/privileges"),
    ("GET", "/clusters"),
    ("GET", "/clusters/{}/users"),
    ("GET", "/clusters/{}/effective_users"),
    ("PUT", "/clusters/{}/users/{}"),
    ("DELETE", "/clusters/{}/users/{}"),
    ("GET", "/clusters/{}/users/{}/privileges"),
    ("PATCH", "/clusters/{}/users/{}/privileges"),
    ("GET", "/clusters/{}/effective_users/{}/privileges"),
    ("GET", "/clusters/{}/effective_users/{}/membership"),
    ("GET", "/clusters/{}/groups"),
    ("GET", "/clusters/{}/effective_groups"),
    ("PUT", "/clusters/{}/groups/{}"),
    ("DELETE", "/clusters/{}/groups/{}"),
    ("GET", "/clusters/{}/groups/{}/privileges"),
    ("PATCH", "/clusters/{}/groups/{}/privileges"),
    ("GET", "/clusters/{}/effective_groups/{}/privileges"),
    ("GET", "/clusters/{}/effective_groups/{}/membership"),
    ("POST", "/clusters/{}/groups"),
    // ---- automation inventories
    ("GET", "/atm_inventories/privileges"),
    ("POST", "/atm_inventories"),
    ("GET", "/atm_inventories"),
    ("DELETE", "/atm_inventories/{}"),
    ("GET", "/atm_inventories/{}/users"),
    ("GET", "/atm_inventories/{}/effective_users"),
    ("PUT", "/atm_inventories/{}/users/{}"),
    ("DELETE", "/atm_inventories/{}/users/{}"),
    ("GET", "/atm_inventories/{}/users/{}/privileges"),
    ("PATCH", "/atm_inventories/{}/users/{}/privileges"),
    ("GET", "/atm_inventories/{}/effective_users/{}/privileges"),
    ("GET", "/atm_inventories/{}/effective_users/{}/membership"),
    ("GET", "/atm_inventories/{}/groups"),
    ("GET", "/atm_inventories/{}/effective_groups"),
    ("PUT", "/atm_inventories/{}/groups/{}"),
    ("DELETE", "/atm_inventories/{}/groups/{}"),
    ("GET", "/atm_inventories/{}/groups/{}/privileges"),
    ("PATCH", "/atm_inventories/{}/groups/{}/privileges"),
    ("GET", "/atm_inventories/{}/effective_groups/{}/privileges"),
    ("GET", "/atm_inventories/{}/effective_groups/{}/membership"),
    ("POST", "/atm_inventories/{}/groups"),
];

/// Routes of the reference that privgraph must NOT serve (a sample of each excluded
/// family), with concrete ids of the fixture. Each must answer 404 (unknown path) or
/// 405 (known path, other method).
const OUT_OF_SCOPE: &[(&str, &str)] = &[
    ("GET", "/groups/g1"),
    ("PATCH", "/groups/g1"),
    ("GET", "/groups/g1/users/u1"),
    ("GET", "/groups/g1/effective_users/u1"),
    ("GET", "/groups/g1/children/g2"),
    ("GET", "/groups/g1/parents/g0"),
    ("POST", "/groups/g1/parents/join"),
    ("POST", "/groups/g1/users/token"),
    ("GET", "/groups/g1/effective_providers"),
    ("GET", "/user/groups/g1"),
    ("GET", "/user/effective_groups/g1"),
    ("POST", "/user/groups/join"),
    ("POST", "/user/spaces/join"),
    ("GET", "/user/effective_providers"),
    ("GET", "/user/spaces/s1"),
    ("GET", "/handle_services/hs1"),
    ("GET", "/handle_services/hs1/public"),
    ("PATCH", "/handle_services/hs1"),
    ("GET", "/handle_services/hs1/handles/h1"),
    ("GET", "/handle_services/hs1/users/u1"),
    ("GET", "/handle_services/hs1/groups/g1"),
    ("POST", "/handles"),
    ("POST", "/user/handles"),
    ("POST", "/groups/g1/handles"),
    ("GET", "/handles/h1"),
    ("GET", "/handles/h1/public"),
    ("PATCH", "/handles/h1"),
    ("GET", "/spaces/s1"),
    ("GET", "/spaces/s1/users/u1"),
    ("GET", "/spaces/s1/shares/sh1"),
    ("GET", "/spaces/s1/harvesters/hv1"),
    ("POST", "/spaces/s1/users/token"),
    ("POST", "/spaces/s1/harvesters/join"),
    ("GET", "/shares/sh1"),
    ("GET", "/shares"),
    ("PATCH", "/shares/sh1"),
    ("POST", "/harvesters/hv1/spaces/join"),
    ("POST", "/harvesters/hv1/users/token"),
    ("POST", "/clusters"),
    ("DELETE", "/clusters/c1"),
    ("GET", "/clusters/c1"),
    ("DELETE", "/providers/c1"),
    ("GET", "/providers"),
    ("GET", "/atm_inventories/ai1"),
];

/// `{anything}` → `{}`.
fn normalize(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_param = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn expected_set() -> BTreeSet<(String, String)> {
    EXPECTED
        .iter()
        .map(|(m, p)| ((*m).to_owned(), normalize(p)))
        .collect()
}

fn served_set() -> BTreeSet<(String, String)> {
    rest::routes()
        .map(|(m, p)| (m.to_owned(), normalize(p)))
        .collect()
}

#[test]
fn expected_list_has_no_duplicates() {
    assert_eq!(expected_set().len(), EXPECTED.len());
}

#[test]
fn served_routes_are_unique() {
    let all: Vec<_> = rest::routes()
        .map(|(m, p)| (m.to_owned(), normalize(p)))
        .collect();
    let unique: BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(
        all.len(),
        unique.len(),
        "duplicate routes in rest::routes()"
    );
}

#[test]
fn served_routes_equal_the_reference_list() {
    let expected = expected_set();
    let served = served_set();
    let missing: Vec<String> = expected
        .difference(&served)
        .map(|(m, p)| format!("  {m} {p}"))
        .collect();
    let extra: Vec<String> = served
        .difference(&expected)
        .map(|(m, p)| format!("  {m} {p}"))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "rest::routes() differs from the reference list\n\
         in the reference list but not served ({}):\n{}\n\
         served but not in the reference list ({}):\n{}",
        missing.len(),
        missing.join("\n"),
        extra.len(),
        extra.join("\n")
    );
}

// =======================================================================================
// Reachability on a fixture graph
// =======================================================================================

/// Every relation a route may name exists **directly**, so that no in-scope route has
/// a reason to answer 404 with these ids:
///
/// - `u1` is a direct member of every entity (and owner of `s1`); `u2` too in `g1`;
/// - `g1` is a direct member of every non-group entity, a child of `g0`, the parent of
///   `g2`;
/// - `hv1` is linked to `s1`; `h1` is registered in `hs1` for share `sh1` of `s1`.
fn fixture() -> Value {
    json!({
        "version": 1,
        "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}],
        "groups": [
            {"id": "g0", "children": {"g1": ["group_view"]}},
            {"id": "g1", "users": {"u1": ["group_view"], "u2": []},
             "children": {"g2": ["group_view"]}},
            {"id": "g2", "users": {"u3": []}},
            {"id": "my group"}
        ],
        "spaces": [{"id": "s1", "owners": ["u1"], "users": {"u1": []},
                    "groups": {"g1": ["space_view"]}}],
        "shares": [{"id": "sh1", "spaceId": "s1"}],
        "handleServices": [{"id": "hs1", "users": {"u1": []},
                            "groups": {"g1": ["handle_service_view"]}}],
        "handles": [{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
                     "users": {"u1": []}, "groups": {"g1": ["handle_view"]}}],
        "harvesters": [{"id": "hv1", "users": {"u1": []}, "groups": {"g1": []},
                        "spaces": ["s1"]}],
        "clusters": [{"id": "c1", "users": {"u1": []}, "groups": {"g1": []}}],
        "atmInventories": [{"id": "ai1", "users": {"u1": []}, "groups": {"g1": []}}]
    })
}

fn engine() -> Engine {
    let graph = privgraph::snapshot::load(&fixture().to_string()).expect("fixture loads");
    Engine::new(graph)
}

/// The fixture id for a parameter, by the literal segment just before it.
fn id_after(previous: &str) -> &'static str {
    match previous {
        "groups" | "effective_groups" => "g1",
        "children" | "effective_children" => "g2",
        "parents" | "effective_parents" => "g0",
        "users" | "effective_users" | "owners" => "u1",
        "spaces" | "effective_spaces" => "s1",
        "handle_services" | "effective_handle_services" => "hs1",
        "handles" | "effective_handles" => "h1",
        "harvesters" | "effective_harvesters" => "hv1",
        "clusters" | "effective_clusters" => "c1",
        "atm_inventories" | "effective_atm_inventories" => "ai1",
        other => panic!("no fixture id after `{other}`"),
    }
}

/// A concrete path for a pattern written with `{}`.
fn concrete(pattern: &str) -> String {
    let mut previous = "";
    let mut out = String::new();
    for segment in pattern.split('/').skip(1) {
        out.push('/');
        if segment == "{}" {
            out.push_str(id_after(previous));
        } else {
            out.push_str(segment);
            previous = segment;
        }
    }
    out
}

/// `/user…` routes act on the client, so they are asked by `u1`; the rest by root.
fn auth_for(path: &str) -> Auth {
    if path == "/user" || path.starts_with("/user/") {
        Auth::User("u1".into())
    } else {
        Auth::Root
    }
}

fn error_id(response: &Response) -> Option<String> {
    Some(response.json()?["error"]["id"].as_str()?.to_owned())
}

#[test]
fn concrete_paths_fill_parameters() {
    assert_eq!(
        concrete("/groups/{}/users/{}/privileges"),
        "/groups/g1/users/u1/privileges"
    );
    assert_eq!(
        concrete("/harvesters/{}/spaces/{}"),
        "/harvesters/hv1/spaces/s1"
    );
    assert_eq!(concrete("/user/clusters/{}"), "/user/clusters/c1");
}

#[test]
fn every_expected_route_is_reachable() {
    let mut failures = Vec::new();
    for &(method, pattern) in EXPECTED {
        let path = concrete(pattern);
        let auth = auth_for(&path);
        let mut engine = engine();
        let response = rest::handle(&mut engine, &auth, method, &path, b"");
        if matches!(response.status, 404 | 405) {
            failures.push(format!(
                "  {method} {path} as {auth}: {} {:?} allow={:?}",
                response.status,
                response.json(),
                response.allow
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} routes are not reachable with existing ids:\n{}",
        failures.len(),
        EXPECTED.len(),
        failures.join("\n")
    );
}

#[test]
fn out_of_scope_routes_are_not_served() {
    let mut failures = Vec::new();
    for &(method, path) in OUT_OF_SCOPE {
        let mut engine = engine();
        let response = rest::handle(&mut engine, &Auth::Root, method, path, b"");
        let ok = match response.status {
            404 => error_id(&response).as_deref() == Some("notFound"),
            405 => !response.allow.contains(&method),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "  {method} {path}: {} {:?} allow={:?}",
                response.status,
                response.json(),
                response.allow
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "served although out of scope:\n{}",
        failures.join("\n")
    );
}

// =======================================================================================
// Paths, methods and bodies
// =======================================================================================

fn get(engine: &mut Engine, path: &str) -> Response {
    rest::handle(engine, &Auth::Root, "GET", path, b"")
}

#[test]
fn unknown_paths_answer_404_not_found() {
    let mut engine = engine();
    for path in [
        "/nonexistent",
        "/groups/g1/frobnicate",
        "/groups/g1/users/u1/privileges/extra",
        "/user/groups/g1/extra",
        "/",
        "",
        "groups/g1/users",
        "/api/v3/onezone",
        "/api/v3/onezone/nothing",
        "/GROUPS/g1/users",
    ] {
        let response = get(&mut engine, path);
        assert_eq!(response.status, 404, "GET {path:?}: {response:?}");
        assert_eq!(
            error_id(&response).as_deref(),
            Some("notFound"),
            "GET {path:?}"
        );
        assert_eq!(
            response.json(),
            Some(json!({"error": {"id": "notFound",
                                  "description": "The resource could not be found."}}))
        );
    }
}

#[test]
fn other_methods_on_known_paths_answer_405_with_allow() {
    let mut engine = engine();
    // (method, path, the methods the path allows)
    let cases: &[(&str, &str, &[&str])] = &[
        ("POST", "/groups/g1/users", &["GET"]),
        ("PATCH", "/groups/g1/users/u1", &["DELETE", "PUT"]),
        ("GET", "/groups/g1/users/u1", &["DELETE", "PUT"]),
        (
            "DELETE",
            "/groups/g1/users/u1/privileges",
            &["GET", "PATCH"],
        ),
        (
            "POST",
            "/handle_services/hs1/groups/g1/privileges",
            &["GET", "PATCH", "PUT"],
        ),
        ("PUT", "/groups/g1/privileges", &["DELETE", "GET", "PATCH"]),
        ("PUT", "/groups", &["GET", "POST"]),
        ("GET", "/user", &["DELETE"]),
        ("POST", "/spaces/s1/owners/u1", &["DELETE", "PUT"]),
        ("OPTIONS", "/groups/g1/users", &["GET"]),
        ("get", "/groups/g1/users", &["GET"]),
    ];
    for &(method, path, allow) in cases {
        let response = rest::handle(&mut engine, &Auth::Root, method, path, b"");
        assert_eq!(response.status, 405, "{method} {path}: {response:?}");
        let got: BTreeSet<&str> = response.allow.iter().copied().collect();
        let want: BTreeSet<&str> = allow.iter().copied().collect();
        assert_eq!(got, want, "allow of {method} {path}");
    }
    // The same for nobody and for a missing entity: the route decides first.
    let response = rest::handle(
        &mut engine,
        &Auth::Nobody,
        "POST",
        "/groups/nope/users",
        b"",
    );
    assert_eq!(response.status, 405, "{response:?}");
    assert_eq!(response.allow, ["GET"]);
}

#[test]
fn the_onezone_prefix_is_accepted() {
    let mut engine = engine();
    let plain = get(&mut engine, "/groups/g1/users");
    assert_eq!(plain.status, 200, "{plain:?}");
    assert_eq!(plain.json(), Some(json!({"users": ["u1", "u2"]})));
    assert_eq!(get(&mut engine, "/api/v3/onezone/groups/g1/users"), plain);
    assert_eq!(
        get(&mut engine, "/api/v3/onezone/privileges").status,
        200,
        "the prefix before a one-segment route"
    );
    // Created resources' locations carry no prefix.
    let response = rest::handle(
        &mut engine,
        &Auth::User("u1".into()),
        "POST",
        "/api/v3/onezone/user/groups",
        br#"{"name": "prefixed"}"#,
    );
    assert_eq!(response.status, 201, "{response:?}");
    let location = response.location.expect("a location");
    assert!(location.starts_with("/user/groups/"), "{location}");
}

#[test]
fn a_query_string_is_ignored() {
    let mut engine = engine();
    let plain = get(&mut engine, "/groups/g1/users");
    for path in [
        "/groups/g1/users?",
        "/groups/g1/users?limit=1",
        "/groups/g1/users?a=b&c=/d/e",
        "/api/v3/onezone/groups/g1/users?x=y",
    ] {
        assert_eq!(get(&mut engine, path), plain, "GET {path}");
    }
}

#[test]
fn percent_encoded_ids_are_decoded() {
    let mut engine = engine();
    let response = get(&mut engine, "/groups/my%20group/users");
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json(), Some(json!({"users": []})));
    // Encoded plain characters decode to the same id.
    let plain = get(&mut engine, "/groups/g1/users");
    assert_eq!(get(&mut engine, "/groups/%67%31/users"), plain);
    assert_eq!(get(&mut engine, "/groups/g%31/users"), plain);
    // An encoded id that does not exist is a missing entity.
    let response = get(&mut engine, "/groups/no%20such/users");
    assert_eq!(response.status, 404);
    // Percent-decoding is not form-decoding: `+` stays `+`.
    let response = get(&mut engine, "/groups/my+group/users");
    assert_eq!(response.status, 404, "{response:?}");
}

#[test]
fn ids_over_256_bytes_answer_400_id_too_long() {
    let mut engine = engine();
    let long = "a".repeat(257);
    for (method, path) in [
        ("GET", format!("/groups/{long}/users")),
        ("GET", format!("/groups/g1/users/{long}/privileges")),
        ("DELETE", format!("/groups/{long}")),
        (
            "PUT",
            format!("/handle_services/hs1/groups/{long}/privileges"),
        ),
        ("GET", format!("/groups/{}/users", "%61".repeat(257))),
        // 86 three-byte characters, encoded: 258 bytes once decoded.
        ("GET", format!("/groups/{}/users", "%E2%82%AC".repeat(86))),
    ] {
        let response = rest::handle(&mut engine, &Auth::Root, method, &path, b"");
        assert_eq!(
            response.status,
            400,
            "{method} {}: {response:?}",
            &path[..40]
        );
        assert_eq!(error_id(&response).as_deref(), Some("badValueIdTooLong"));
    }
    // 256 bytes is still an id (of a missing group), also when encoded longer.
    let response = get(&mut engine, &format!("/groups/{}/users", "a".repeat(256)));
    assert_eq!(response.status, 404, "{response:?}");
    let response = get(&mut engine, &format!("/groups/{}/users", "%61".repeat(256)));
    assert_eq!(response.status, 404, "{response:?}");
}

#[test]
fn paths_over_4_kib_answer_414() {
    let mut engine = engine();
    let base = "/groups/g1/users?pad=";
    let at_limit = format!("{base}{}", "x".repeat(4096 - base.len()));
    assert_eq!(at_limit.len(), 4096);
    assert_eq!(
        get(&mut engine, &at_limit).status,
        200,
        "4096 bytes is allowed"
    );
    let over = format!("{at_limit}x");
    let response = get(&mut engine, &over);
    assert_eq!(response.status, 414, "{:?}", response.json());
    // Also when every segment is short, for any method and any client.
    let many = "/a".repeat(2049);
    for (auth, method) in [(Auth::Nobody, "GET"), (Auth::Root, "PATCH")] {
        let response = rest::handle(&mut engine, &auth, method, &many, b"{}");
        assert_eq!(response.status, 414, "{method}: {:?}", response.json());
    }
}

#[test]
fn bodies_over_1_mib_answer_413() {
    let mut engine = engine();
    let path = "/groups/g1/users/u1/privileges";
    let json_of_len = |len: usize| {
        let head = r#"{"grant": ["group_view"], "pad": ""#;
        let tail = r#""}"#;
        let body = format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()));
        assert_eq!(body.len(), len);
        body.into_bytes()
    };
    let at_limit = json_of_len(1 << 20);
    let response = rest::handle(&mut engine, &Auth::Root, "PATCH", path, &at_limit);
    assert_eq!(
        response.status,
        204,
        "1 MiB is allowed: {:?}",
        response.json()
    );
    let over = json_of_len((1 << 20) + 1);
    let before = get(&mut engine, path);
    let response = rest::handle(&mut engine, &Auth::Root, "PATCH", path, &over);
    assert_eq!(response.status, 413, "{:?}", response.json());
    assert_eq!(get(&mut engine, path), before, "nothing changed");
    // Before anything else: nobody, a missing entity.
    let response = rest::handle(
        &mut engine,
        &Auth::Nobody,
        "PATCH",
        "/groups/nope/users/u1/privileges",
        &over,
    );
    assert_eq!(response.status, 413, "{:?}", response.json());
}

#[test]
fn unparseable_json_answers_400_malformed_data_before_anything_else() {
    let mut engine = engine();
    let bad: &[&[u8]] = &[
        b"{",
        b"{not json}",
        b"[1,",
        b"\xff\xfe",
        b"{\"grant\": [}",
        b"nul",
    ];
    let requests: &[(&str, &str)] = &[
        ("PATCH", "/groups/g1/users/u1/privileges"),
        ("PATCH", "/groups/nope/users/u1/privileges"),
        ("PATCH", "/groups/g1/users/nope/privileges"),
        ("PUT", "/handle_services/hs1/groups/g1/privileges"),
        ("PUT", "/handle_services/nope/groups/g1/privileges"),
        ("PUT", "/groups/g1/users/u3"),
        ("PUT", "/spaces/nope/users/u1"),
        ("POST", "/groups"),
        ("POST", "/user/groups"),
        ("POST", "/groups/nope/children"),
        ("PATCH", "/user/privileges"),
    ];
    let mut failures = Vec::new();
    for auth in [Auth::Nobody, Auth::User("u2".into()), Auth::Root] {
        for &(method, path) in requests {
            for body in bad {
                let response = rest::handle(&mut engine, &auth, method, path, body);
                if response.status != 400 || error_id(&response).as_deref() != Some("malformedData")
                {
                    failures.push(format!(
                        "  {method} {path} as {auth} with {:?}: {response:?}",
                        String::from_utf8_lossy(body)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // `malformedData` has no details, as in Onezone.
    let response = rest::handle(&mut engine, &Auth::Nobody, "POST", "/groups", b"{");
    assert!(
        response.json().as_ref().unwrap()["error"]
            .get("details")
            .is_none(),
        "{response:?}"
    );
}

#[test]
fn bodies_of_get_and_delete_are_not_read() {
    let mut engine = engine();
    let response = rest::handle(&mut engine, &Auth::Root, "GET", "/groups/g1/users", b"{");
    assert_eq!(response.status, 200, "{response:?}");
    let response = rest::handle(
        &mut engine,
        &Auth::Root,
        "DELETE",
        "/groups/g1/users/u2",
        b"{",
    );
    assert_eq!(response.status, 204, "{response:?}");
}

#[test]
fn an_empty_body_counts_as_an_empty_object() {
    let requests: &[(&str, &str, Auth)] = &[
        ("PATCH", "/groups/g1/users/u1/privileges", Auth::Root),
        ("PATCH", "/users/u1/privileges", Auth::Root),
        (
            "PUT",
            "/handle_services/hs1/groups/g1/privileges",
            Auth::Root,
        ),
        ("PUT", "/handles/h1/users/u1/privileges", Auth::Root),
        ("PUT", "/groups/g1/users/u3", Auth::Root),
        ("PUT", "/harvesters/hv1/groups/g2", Auth::Root),
        ("POST", "/groups", Auth::Root),
        ("POST", "/user/groups", Auth::User("u1".into())),
        ("PUT", "/spaces/s1/owners/u1", Auth::Root),
        ("PATCH", "/groups/g1/users/u1/privileges", Auth::Nobody),
    ];
    for (method, path, auth) in requests {
        let mut a = engine();
        let mut b = engine();
        let empty = rest::handle(&mut a, auth, method, path, b"");
        let object = rest::handle(&mut b, auth, method, path, b"{}");
        assert_eq!(empty, object, "{method} {path} as {auth}");
        assert_ne!(empty.status, 404, "{method} {path}: {empty:?}");
    }
    // Concretely: PATCH needs grant or revoke, PUT …/privileges needs privileges, PUT of
    // a member with no body gives the member preset.
    let mut e = engine();
    let r = rest::handle(
        &mut e,
        &Auth::Root,
        "PATCH",
        "/groups/g1/users/u1/privileges",
        b"",
    );
    assert_eq!(r.status, 400);
    assert_eq!(error_id(&r).as_deref(), Some("missingAtLeastOneValue"));
    let r = rest::handle(
        &mut e,
        &Auth::Root,
        "PUT",
        "/handles/h1/users/u1/privileges",
        b"",
    );
    assert_eq!(r.status, 400);
    assert_eq!(error_id(&r).as_deref(), Some("missingRequiredValue"));
    let r = rest::handle(&mut e, &Auth::Root, "PUT", "/groups/g1/users/u3", b"");
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.location.as_deref(), Some("/groups/g1/users/u3"));
    assert_eq!(
        get(&mut e, "/groups/g1/users/u3/privileges").json(),
        Some(json!({"privileges": ["group_view"]}))
    );
}

/// Reads through `rest::handle_read` need only a shared reference: four threads answer
/// from one engine at once, with no lock, and every answer is the one the fixture gives
/// (worked out by hand from its memberships).
#[test]
fn reads_from_four_threads_share_one_engine() {
    let engine = engine();
    let user = |id: &str| Auth::User(id.into());
    let cases: Vec<(Auth, &str, u16, Option<Value>)> = vec![
        // g0 ⊃ g1 (u1, u2) ⊃ g2 (u3).
        (
            Auth::Root,
            "/groups/g0/effective_users",
            200,
            Some(json!({"users": ["u1", "u2", "u3"]})),
        ),
        // u1 owns s1 (so may view privileges); u3 has space_view through g2 ⊂ g1.
        (
            user("u1"),
            "/spaces/s1/effective_users/u3/privileges",
            200,
            Some(json!({"privileges": ["space_view"]})),
        ),
        (
            user("u2"),
            "/handle_services/hs1/effective_users/u3/privileges",
            200,
            Some(json!({"privileges": ["handle_service_view"]})),
        ),
        // g1's group_view in g0 reaches u3.
        (
            user("u3"),
            "/groups/g0/users",
            200,
            Some(json!({"users": []})),
        ),
        (Auth::Nobody, "/groups/g1/users", 401, None),
        (
            user("u3"),
            "/handle_services/hs1/users",
            200,
            Some(json!({"users": ["u1"]})),
        ),
    ];
    let answered = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (engine, cases, answered) = (&engine, &cases, &answered);
            scope.spawn(move || {
                for i in 0..2_000 {
                    let (auth, path, status, body) = &cases[(i + t) % cases.len()];
                    let response = rest::handle_read(engine, auth, "GET", path, b"")
                        .unwrap_or_else(|_| panic!("GET {path} is a read"));
                    assert_eq!(response.status, *status, "{auth} GET {path}: {response:?}");
                    if let Some(body) = body {
                        assert_eq!(response.json().as_ref(), Some(body), "{auth} GET {path}");
                    }
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(answered.into_inner(), 8_000);
    // A write is handed back routed, for the writer.
    let write = rest::handle_read(&engine, &Auth::Root, "DELETE", "/groups/g2", b"");
    assert!(
        matches!(write, Err(ref request) if request.is_write()),
        "{write:?}"
    );
}
