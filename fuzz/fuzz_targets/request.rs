//! `request`: a short sequence (1–8) of arbitrary REST requests against one engine built
//! from a small fixed graph.
//!
//! Checks after every request:
//! - `rest::handle` does not panic;
//! - the status is one of the statuses privgraph answers with;
//! - `201`, `204` and `405` have no body; every other answer has a JSON object body,
//!   with `error.id` a string when the status is ≥ 400; a `201` has a `Location`, a
//!   `405` a non-empty `allow`;
//! - the body survives `to_string` → `from_str` unchanged (well-formed JSON);
//! - a non-2xx answer, and any `GET`, left the graph exactly as it was.
//!
//! At the end of a sequence in which some request changed the graph, the graph's
//! snapshot survives `save` → `load` → `save` unchanged.
//!
//! Paths are built from the route table (`rest::routes()`) filled with fixture ids,
//! ids of entities the sequence created (taken from `Location`), percent-escapes, long
//! and raw segments, or are raw strings. Bodies are raw bytes or JSON built from the
//! privilege names of every vocabulary (current and legacy).

#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use privgraph::graph::Graph;
use privgraph::logic::{Auth, Engine};
use privgraph::privileges::{
    AtmInventoryPrivileges, ClusterPrivileges, GroupPrivileges, HandlePrivileges,
    HandleServicePrivileges, HarvesterPrivileges, OzPrivileges, Privileges, SpacePrivileges,
};
use privgraph::rest::{self, Response};
use privgraph::snapshot;
use serde_json::{Map, Value, json};

/// The fixture: users, nested groups (g1 ⊃ g2 ⊃ g3), spaces with owners, a share, a
/// handle service with a handle, a harvester linked to a space, a cluster, an inventory
/// and an oz admin.
const FIXTURE: &str = r#"{
  "version": 1,
  "users": [
    {"id": "u1"}, {"id": "u2"}, {"id": "u3"}, {"id": "u4"},
    {"id": "admin", "ozPrivileges": ["oz_groups_view", "oz_groups_add_relationships",
      "oz_spaces_add_relationships", "oz_spaces_view_privileges",
      "oz_handle_services_set_privileges", "oz_handles_set_privileges",
      "oz_users_view", "oz_set_privileges", "oz_view_privileges"]}
  ],
  "groups": [
    {"id": "g1", "users": {"u2": ["group_view", "group_add_user", "group_set_privileges",
      "group_add_child", "group_add_space", "group_leave_space"]},
     "children": {"g2": ["group_view"]}},
    {"id": "g2", "users": {"u1": ["group_view", "group_add_parent", "group_delete"]},
     "children": {"g3": []}},
    {"id": "g3", "users": {"u3": ["group_view", "group_leave_parent"]}},
    {"id": "g4", "ozPrivileges": ["oz_users_view", "oz_groups_list"]}
  ],
  "spaces": [
    {"id": "s1", "owners": ["u1"], "users": {"u1": [], "u2": ["space_view"]},
     "groups": {"g1": ["space_view", "space_add_user", "space_set_privileges"]}},
    {"id": "s2", "owners": ["u4"], "users": {"u4": ["space_view"]}, "groups": {"g3": []}}
  ],
  "shares": [{"id": "sh1", "spaceId": "s1"}, {"id": "sh2", "spaceId": "s2"}],
  "handleServices": [
    {"id": "hs1", "users": {"u1": ["handle_service_update", "handle_service_view"]},
     "groups": {"g2": ["handle_service_view"]}},
    {"id": "hs2"}
  ],
  "handles": [
    {"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
     "users": {"u2": ["handle_update", "handle_view"]}, "groups": {"g3": ["handle_view"]}}
  ],
  "harvesters": [
    {"id": "hv1", "users": {"u1": ["harvester_view", "harvester_update",
      "harvester_add_space", "harvester_remove_space"]}, "groups": {"g1": []},
     "spaces": ["s1"]}
  ],
  "clusters": [
    {"id": "c1", "users": {"u2": ["cluster_view"]}, "groups": {"g2": ["cluster_update"]}}
  ],
  "atmInventories": [
    {"id": "ai1", "users": {"u3": ["atm_inventory_view"]},
     "groups": {"g1": ["atm_inventory_view", "atm_inventory_set_privileges"]}}
  ]
}"#;

static GRAPH: LazyLock<Graph> =
    LazyLock::new(|| snapshot::load(FIXTURE).expect("the fixture snapshot loads"));

/// Every route pattern, with `{…}` placeholders.
static ROUTES: LazyLock<Vec<(&'static str, &'static str)>> =
    LazyLock::new(|| rest::routes().collect());

/// The literal words of the route table (for paths built segment by segment).
static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&'static str> = ROUTES
        .iter()
        .flat_map(|(_, pattern)| pattern.split('/'))
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
});

/// Every privilege name of every vocabulary, legacy names included.
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    fn add<P: Privileges>(names: &mut Vec<&'static str>) {
        names.extend_from_slice(P::NAMES);
        names.extend(P::LEGACY.iter().map(|(name, _)| *name));
    }
    let mut names = Vec::new();
    add::<GroupPrivileges>(&mut names);
    add::<SpacePrivileges>(&mut names);
    add::<HandleServicePrivileges>(&mut names);
    add::<HandlePrivileges>(&mut names);
    add::<HarvesterPrivileges>(&mut names);
    add::<ClusterPrivileges>(&mut names);
    add::<AtmInventoryPrivileges>(&mut names);
    add::<OzPrivileges>(&mut names);
    names
});

/// Ids of the fixture, plus ids no entity has.
const IDS: &[&str] = &[
    "u1",
    "u2",
    "u3",
    "u4",
    "admin",
    "g1",
    "g2",
    "g3",
    "g4",
    "s1",
    "s2",
    "sh1",
    "sh2",
    "hs1",
    "hs2",
    "h1",
    "hv1",
    "c1",
    "ai1",
    "ghost",
    "self",
    "user",
    "privileges",
];

/// Users a request may come from; `ghost` and the empty id are unknown.
const USERS: &[&str] = &["u1", "u2", "u3", "u4", "admin", "ghost", ""];

/// Every status privgraph answers with.
const STATUSES: &[u16] = &[200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 414];

#[derive(Arbitrary, Debug)]
enum AuthChoice {
    Nobody,
    Root,
    User(u8),
}

#[derive(Arbitrary, Debug)]
enum MethodChoice {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Other(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Seg {
    /// A fixture id.
    Id(u8),
    /// An id the sequence created (from a `Location`).
    Created(u8),
    /// A literal word of the route table.
    Word(u8),
    /// A fixture id with every byte percent-escaped.
    Escaped(u8),
    /// A literal word of the route table with every byte percent-escaped.
    EscapedWord(u8),
    /// Arbitrary bytes, percent-escaped (may decode to invalid UTF-8).
    Bytes(Vec<u8>),
    /// An arbitrary string, inserted as it is (may hold `/`, `%`, `?`).
    Raw(String),
    /// `len` copies of one byte (ids over 256 bytes, paths over 4 KiB).
    Long { byte: u8, len: u16 },
    /// `%` and two characters from near the hex digits: a valid escape or a
    /// malformed one (`%+1`, `%G0`, `%%4`, `%2`…).
    Escape { a: u8, b: u8 },
    /// Two segments run together.
    Glued(Box<Seg>, Box<Seg>),
    /// The empty segment.
    Empty,
}

/// What [`Seg::Escape`] picks from.
const NEAR_HEX: &[u8] = b"0123456789abcdefABCDEF+-%/ gGxX.\0";

#[derive(Arbitrary, Debug)]
enum PathChoice {
    /// A route of the table, placeholders filled in order by `fill` (fixture ids past
    /// its end), optionally with a prefix, trailing slash or query.
    Route {
        index: u16,
        fill: Vec<Seg>,
        prefix: bool,
        trailing_slash: bool,
        query: bool,
    },
    /// Segments put together freely.
    Segments { prefix: bool, segments: Vec<Seg> },
    /// A raw string.
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u16),
    Raw(String),
    Number(i64),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Field {
    Privileges,
    Grant,
    Revoke,
    Name,
    Type,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum JsonValue {
    Names(Vec<Name>),
    Name(Name),
    Bool(bool),
    Float(f64),
    Object(Vec<(Field, JsonValue)>),
    Nested(u16),
}

#[derive(Arbitrary, Debug)]
enum BodyChoice {
    Empty,
    Raw(Vec<u8>),
    /// A JSON object built from known keys and privilege names.
    Object(Vec<(Field, JsonValue)>),
    /// Any JSON value at top level.
    Value(JsonValue),
    /// One byte over the body limit.
    Oversized,
}

#[derive(Arbitrary, Debug)]
struct Request {
    auth: AuthChoice,
    method: MethodChoice,
    path: PathChoice,
    body: BodyChoice,
}

#[derive(Arbitrary, Debug)]
struct Input {
    first: Request,
    rest: Vec<Request>,
}

fn pick<'a>(list: &[&'a str], i: impl Into<usize>) -> &'a str {
    list[i.into() % list.len()]
}

fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn segment(seg: &Seg, created: &[String]) -> String {
    match seg {
        Seg::Id(i) => pick(IDS, *i).to_owned(),
        Seg::Created(i) if !created.is_empty() => created[*i as usize % created.len()].clone(),
        Seg::Created(i) => pick(IDS, *i).to_owned(),
        Seg::Word(i) => pick(&WORDS, *i).to_owned(),
        Seg::Escaped(i) => escape(pick(IDS, *i).as_bytes()),
        Seg::EscapedWord(i) => escape(pick(&WORDS, *i).as_bytes()),
        Seg::Bytes(bytes) => escape(bytes),
        Seg::Raw(s) => s.clone(),
        Seg::Long { byte, len } => {
            let c = if byte.is_ascii_alphanumeric() {
                *byte
            } else {
                b'a'
            };
            String::from_utf8(vec![c; *len as usize % 5000]).unwrap_or_default()
        }
        Seg::Escape { a, b } => {
            let c = |x: u8| NEAR_HEX[x as usize % NEAR_HEX.len()] as char;
            format!("%{}{}", c(*a), c(*b))
        }
        Seg::Glued(a, b) => segment(a, created) + &segment(b, created),
        Seg::Empty => String::new(),
    }
}

fn path(choice: &PathChoice, created: &[String]) -> String {
    match choice {
        PathChoice::Route {
            index,
            fill,
            prefix,
            trailing_slash,
            query,
        } => {
            let (_, pattern) = ROUTES[*index as usize % ROUTES.len()];
            let mut fill = fill.iter();
            let mut out = String::new();
            if *prefix {
                out.push_str(rest::PREFIX);
            }
            for (i, part) in pattern.split('/').skip(1).enumerate() {
                out.push('/');
                if part.starts_with('{') {
                    match fill.next() {
                        Some(seg) => out.push_str(&segment(seg, created)),
                        None => out.push_str(pick(IDS, i)),
                    }
                } else {
                    out.push_str(part);
                }
            }
            if *trailing_slash {
                out.push('/');
            }
            if *query {
                out.push_str("?a=%FF&b=/x");
            }
            out
        }
        PathChoice::Segments { prefix, segments } => {
            let mut out = String::new();
            if *prefix {
                out.push_str(rest::PREFIX);
            }
            for seg in segments {
                out.push('/');
                out.push_str(&segment(seg, created));
            }
            out
        }
        PathChoice::Raw(s) => s.clone(),
    }
}

fn name(n: &Name) -> Value {
    match n {
        Name::Known(i) => Value::from(pick(&NAMES, *i)),
        Name::Raw(s) => Value::from(s.as_str()),
        Name::Number(x) => Value::from(*x),
        Name::Null => Value::Null,
    }
}

fn field(f: &Field) -> String {
    match f {
        Field::Privileges => "privileges".into(),
        Field::Grant => "grant".into(),
        Field::Revoke => "revoke".into(),
        Field::Name => "name".into(),
        Field::Type => "type".into(),
        Field::Other(s) => s.clone(),
    }
}

fn object(fields: &[(Field, JsonValue)], depth: u32) -> Value {
    let mut map = Map::new();
    for (f, v) in fields {
        map.insert(field(f), value(v, depth + 1));
    }
    Value::Object(map)
}

fn value(v: &JsonValue, depth: u32) -> Value {
    match v {
        JsonValue::Names(names) => Value::Array(names.iter().map(name).collect()),
        JsonValue::Name(n) => name(n),
        JsonValue::Bool(b) => Value::Bool(*b),
        JsonValue::Float(x) => json!(x),
        JsonValue::Object(fields) if depth < 8 => object(fields, depth),
        JsonValue::Object(_) => json!({}),
        JsonValue::Nested(n) => {
            // `Value::Array` moves the inner value; `json!([v])` would serialize it
            // again at every level (quadratic in the depth).
            let mut v = Value::Array(Vec::new());
            for _ in 0..(*n % 200) {
                v = Value::Array(vec![v]);
            }
            v
        }
    }
}

fn body(choice: &BodyChoice) -> Vec<u8> {
    match choice {
        BodyChoice::Empty => Vec::new(),
        BodyChoice::Raw(bytes) => bytes.clone(),
        BodyChoice::Object(fields) => object(fields, 0).to_string().into_bytes(),
        BodyChoice::Value(v) => value(v, 0).to_string().into_bytes(),
        BodyChoice::Oversized => vec![b' '; rest::MAX_BODY_LEN + 1],
    }
}

/// The refusal `rest::handle` owes a request before routing, by its documented rules
/// (an independent restatement): path over 4 KiB → 414; body over 1 MiB → 413; a path
/// that is not `/…` once the prefix is cut → 404; then, segment by segment, a `%` not
/// followed by two hex digits or a decoding that is not UTF-8 → 400 `badMessage`, a
/// decoded segment over 256 bytes → 400 `badValueIdTooLong`.
fn expected_refusal(path: &str, body: &[u8]) -> Option<(u16, &'static str)> {
    if path.len() > rest::MAX_PATH_LEN {
        return Some((414, "requestUriTooLong"));
    }
    if body.len() > rest::MAX_BODY_LEN {
        return Some((413, "requestEntityTooLarge"));
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix(rest::PREFIX).unwrap_or(path);
    let Some(rest) = path.strip_prefix('/') else {
        return Some((404, "notFound"));
    };
    for segment in rest.split('/') {
        let bytes = segment.as_bytes();
        let mut decoded = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = |j: usize| bytes.get(j).filter(|b| b.is_ascii_hexdigit());
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    return Some((400, "badMessage"));
                };
                let digit = |b: u8| (b as char).to_digit(16).unwrap() as u8;
                decoded.push(digit(*hi) * 16 + digit(*lo));
                i += 3;
            } else {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
        if std::str::from_utf8(&decoded).is_err() {
            return Some((400, "badMessage"));
        }
        if decoded.len() > privgraph::graph::MAX_ID_LEN {
            return Some((400, "badValueIdTooLong"));
        }
    }
    None
}

/// The error id of an answer body, if it is an error.
fn error_id(body: Option<&Value>) -> Option<&str> {
    body?.get("error")?.get("id")?.as_str()
}

fn check(
    response: &Response,
    method: &str,
    path: &str,
    body: &[u8],
    before: &Graph,
    after: &Graph,
) {
    let status = response.status;
    // The body as JSON, built once (each `json()` serializes the answer anew).
    let json = response.json();
    let refusal = expected_refusal(path, body);
    match refusal {
        Some((expected, id)) if expected != 404 => assert_eq!(
            (status, error_id(json.as_ref())),
            (expected, Some(id)),
            "{method} {path:?}: {response:?}"
        ),
        // `notFound` is also what an unknown route answers: only the status is owed.
        Some(_) => assert_eq!(status, 404, "{method} {path:?}: {response:?}"),
        None => assert!(
            !matches!(
                error_id(json.as_ref()),
                Some(
                    "badMessage"
                        | "badValueIdTooLong"
                        | "requestUriTooLong"
                        | "requestEntityTooLarge"
                )
            ),
            "{method} {path:?}: refused before routing: {response:?}"
        ),
    }
    assert!(
        STATUSES.contains(&status),
        "unknown status {status} for {method} {path:?}: {response:?}"
    );
    match status {
        201 | 204 | 405 => assert!(
            json.is_none(),
            "{status} with a body for {method} {path:?}: {response:?}"
        ),
        _ => {
            let Some(Value::Object(map)) = &json else {
                panic!("{status} without an object body for {method} {path:?}: {response:?}");
            };
            if status >= 400 {
                assert!(
                    map.get("error")
                        .and_then(|e| e.get("id"))
                        .is_some_and(Value::is_string),
                    "{status} without error.id for {method} {path:?}: {response:?}"
                );
            }
        }
    }
    if let Some(body) = &json {
        let text = serde_json::to_string(body).expect("a body serializes");
        let back: Value = serde_json::from_str(&text).expect("a serialized body parses");
        assert_eq!(&back, body, "body does not survive a JSON round trip");
    }
    if status == 201 {
        assert!(
            response.location.is_some(),
            "201 without Location: {response:?}"
        );
    }
    if status == 405 {
        assert!(
            !response.allow.is_empty(),
            "405 without allow: {response:?}"
        );
    }
    if status >= 300 {
        assert!(
            before == after,
            "{status} for {method} {path:?} changed the graph: {response:?}"
        );
    }
    if method == "GET" {
        assert!(
            before == after,
            "GET {path:?} changed the graph: {response:?}"
        );
    }
}

fuzz_target!(|input: Input| {
    let mut engine = Engine::new(GRAPH.clone());
    let mut created: Vec<String> = Vec::new();
    let mut changed = false;
    for request in std::iter::once(&input.first).chain(input.rest.iter().take(7)) {
        let auth = match request.auth {
            AuthChoice::Nobody => Auth::Nobody,
            AuthChoice::Root => Auth::Root,
            AuthChoice::User(i) => Auth::User(pick(USERS, i).to_owned()),
        };
        let method = match &request.method {
            MethodChoice::Get => "GET".to_owned(),
            MethodChoice::Post => "POST".to_owned(),
            MethodChoice::Put => "PUT".to_owned(),
            MethodChoice::Patch => "PATCH".to_owned(),
            MethodChoice::Delete => "DELETE".to_owned(),
            MethodChoice::Other(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let path = path(&request.path, &created);
        let body = body(&request.body);
        let before = engine.graph().clone();
        let response = rest::handle(&mut engine, &auth, &method, &path, &body);
        check(&response, &method, &path, &body, &before, engine.graph());
        if let Some(location) = &response.location
            && let Some(id) = location.rsplit('/').next()
        {
            created.push(id.to_owned());
        }
        changed |= engine.graph() != &before;
    }
    if changed {
        let saved = snapshot::save(engine.graph());
        let loaded = snapshot::load(&saved).expect("a saved graph loads");
        assert_eq!(snapshot::save(&loaded), saved, "save → load → save differs");
    }
});
