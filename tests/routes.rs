//! The acceptance test "a table-driven test per route, from Onezone's rules".
//!
//! [`table`] holds one row per route privgraph serves, written by hand from Onezone's
//! behaviour (its REST routes, the authorization, existence and validation code of each
//! entity's logic plugin, and its API test suites — "the reference" below), never
//! derived from `src/logic/rules.rs`: method, path
//! template, client rule, admin oz privileges (all required, plus those added when the
//! body has `privileges`), existence check and body kind. A generic harness ([`Harness`])
//! then builds, for each row and each client it tries, a fresh fixture graph in which
//! the route's entities exist, sends the request through `rest::handle`, and checks:
//!
//! - the clients the rule admits succeed: root; a user holding exactly the required
//!   privileges directly; the same privileges reaching the user through a nested group;
//!   (spaces) an owner holding nothing; an oz admin holding exactly the listed oz
//!   privileges, directly or through a group;
//! - the others get 403: a member lacking one required privilege while holding every
//!   other name of the vocabulary, an admin lacking any one listed oz privilege, a
//!   non-member; `nobody` gets 401;
//! - missing entities and relations answer 404 to everyone (`nobody` included), and an
//!   effective-only relation answers 404 where the relation must be direct;
//! - every bad body answers the reference's error id and details, only to clients
//!   that pass authorization; unparseable JSON is `malformedData` before anything else;
//! - after every failure the graph is unchanged.
//!
//! Each family test collects every mismatch and fails once with the whole list, so one
//! run shows every disagreement with the reference. The worked examples of the reference
//! and the rules that do not fit a table row (owners, last owner, handles, creation
//! results, relation errors) follow as ordinary tests.

mod support;

use std::collections::BTreeSet;

use privgraph::graph::{Graph, TargetKind};
use privgraph::logic::{Auth, Decision, Engine};
use privgraph::rest::{self, Response};
use serde_json::{Value, json};
use support::*;

type Names = &'static [&'static str];

// =======================================================================================
// The table's vocabulary
// =======================================================================================

/// Which fixture a row runs against.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fam {
    /// A route under `/{kind}/{id}` (or a kind-wide route such as `GET /spaces`): the
    /// target is entity `t` of that kind.
    Kind(TargetKind),
    /// A route under `/users/{uid}` (the subject is user `m`, or the client for `self`).
    Users,
    /// A route under `/user` (the subject is the client `c`).
    Me,
}

/// One condition of a client rule.
#[derive(Debug, Clone, Copy)]
enum C {
    /// Any authenticated user (the `/user/...` routes).
    AnyUser,
    /// `self`: the user the path names is the client.
    IsSelf,
    /// `eff(id, p…)`: the client holds these privileges of the target's kind in the
    /// target (for spaces `effS`: owners pass).
    Holds(Names),
    /// As `Holds`, required only when the body has a `privileges` key.
    HoldsIfP(Names),
    /// `grp(gid, p…)`: group privileges in the group the path names second.
    InGroup(Names),
    /// `effS(sid, p…)`: space privileges in the space the path names second.
    InSpace(Names),
    /// `effHS(hs(h), p…)`: handle-service privileges in the handle's service.
    InHs(Names),
    /// `oz(p…)`.
    Oz(Names),
    /// `member(gid)`: an effective member of the group the path names second.
    MemberOfSecond,
    /// The client owns the space.
    Owner,
}

/// A client rule: no client rule (admins and root only), everyone, or any of several
/// alternatives, each a conjunction.
#[derive(Debug, Clone)]
enum Rule {
    None,
    Anyone,
    Any(Vec<Vec<C>>),
}

/// The existence check: the entity and the relation named exist (Onezone's steps
/// before authorization).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ex {
    /// Nothing (lists, presets, creations of new entities).
    None,
    /// The entity the path names first.
    Entity,
    /// No existence step: the group a creation acts for is looked up when applying
    /// (`POST /groups/{id}/parents`, `POST /groups/{gid}/{kind}`): users fail
    /// authorization first (403), admins and root get 404.
    AtApply,
    /// The entity and the direct relation named second.
    Direct,
    /// The entity and the effective relation named second.
    Effective,
}

/// What a creating `PUT` checks about the id it names second (at validation).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Create {
    User,
    Group,
    Space,
    Owner,
}

/// The id a path names second, and the ids to try instead.
#[derive(Debug, Clone)]
struct Second {
    ph: &'static str,
    default: String,
    missing: String,
    unrelated: Option<String>,
    eff_only: Option<String>,
    /// For creations: an id already directly related (409).
    existing: Option<String>,
    /// Whether `self` refers to this placeholder.
    is_user: bool,
    create: Option<Create>,
}

/// The body a route takes.
#[derive(Debug, Clone)]
enum Body {
    None,
    /// Optional `privileges` list of the kind's current names (`PUT …/users/{uid}`).
    OptPrivs(TargetKind),
    /// `grant` / `revoke` (at least one); `base` is what the default subject holds in
    /// the fixture.
    GrantRevoke(Option<TargetKind>, Names),
    /// Required `privileges`, current or legacy names; `send` translates to `stored`.
    Legacy(TargetKind, Names, Names),
    /// Group creation: `name` required, `type` optional.
    GroupNew,
    /// Creation of a space, harvester or inventory (only valid bodies are sent: the
    /// reference does not list their keys).
    Named,
    /// Handle-service creation: `name`, `proxyEndpoint`, `serviceProperties`.
    HsNew,
    /// No keys; a non-object is `malformedData`.
    NoKeys,
    /// Body ignored (only unparseable JSON fails, at step 0).
    Ignored,
}

#[derive(Debug, Clone)]
struct Row {
    method: &'static str,
    path: &'static str,
    fam: Fam,
    rule: Rule,
    admin: Names,
    admin_p: Names,
    ex: Ex,
    second: Option<Second>,
    body: Body,
    ok: u16,
    /// Root's answer on the base fixture (the client's for `/user` rows).
    expect: Option<Value>,
    /// Root's answer when the second id is the effective-only one.
    expect_eff: Option<Value>,
    /// A GET root runs after root's success, and its expected answer.
    follow: Option<(&'static str, Value)>,
}

fn r(method: &'static str, path: &'static str, fam: Fam, rule: Rule, admin: Names, ex: Ex) -> Row {
    let ok = match method {
        "GET" => 200,
        "POST" | "PUT" => 201,
        _ => 204,
    };
    Row {
        method,
        path,
        fam,
        rule,
        admin,
        admin_p: &[],
        ex,
        second: None,
        body: Body::None,
        ok,
        expect: None,
        expect_eff: None,
        follow: None,
    }
}

impl Row {
    fn sec(mut self, s: Second) -> Self {
        self.second = Some(s);
        self
    }
    fn p(mut self, admin_p: Names) -> Self {
        self.admin_p = admin_p;
        self
    }
    fn body(mut self, b: Body) -> Self {
        self.body = b;
        self
    }
    fn ok(mut self, status: u16) -> Self {
        self.ok = status;
        self
    }
    fn expect(mut self, v: Value) -> Self {
        self.expect = Some(v);
        self
    }
    fn eff(mut self, v: Value) -> Self {
        self.expect_eff = Some(v);
        self
    }
    fn follow(mut self, path: &'static str, v: Value) -> Self {
        self.follow = Some((path, v));
        self
    }
}

// ----- rule shorthands -------------------------------------------------------------------

fn none() -> Rule {
    Rule::None
}
fn anyone() -> Rule {
    Rule::Anyone
}
fn any_user() -> Rule {
    Rule::Any(vec![vec![C::AnyUser]])
}
fn holds(p: Names) -> Rule {
    Rule::Any(vec![vec![C::Holds(p)]])
}
/// `self`, or `eff(id, p)`.
fn self_or(p: Names) -> Rule {
    Rule::Any(vec![vec![C::IsSelf], vec![C::Holds(p)]])
}
fn only_self() -> Rule {
    Rule::Any(vec![vec![C::IsSelf]])
}
/// Only when `self`: `eff(id, p)`, plus `eff(id, plus)` with `privileges`.
fn self_and(p: Names, plus: Names) -> Rule {
    Rule::Any(vec![vec![C::IsSelf, C::Holds(p), C::HoldsIfP(plus)]])
}
/// `eff(id, p)` **and** `grp(gid, g)`, plus `eff(id, plus)` with `privileges`.
fn and_group(p: Names, g: Names, plus: Names) -> Rule {
    Rule::Any(vec![vec![C::Holds(p), C::InGroup(g), C::HoldsIfP(plus)]])
}
/// `member(gid)`, or `eff(id, p)`.
fn member_or(p: Names) -> Rule {
    Rule::Any(vec![vec![C::MemberOfSecond], vec![C::Holds(p)]])
}
fn oz_only(p: Names) -> Rule {
    Rule::Any(vec![vec![C::Oz(p)]])
}
fn all(conds: Vec<C>) -> Rule {
    Rule::Any(vec![conds])
}

// ----- second ids ----------------------------------------------------------------------

fn sec(ph: &'static str, default: &str, missing: &str) -> Second {
    Second {
        ph,
        default: default.into(),
        missing: missing.into(),
        unrelated: None,
        eff_only: None,
        existing: None,
        is_user: false,
        create: None,
    }
}

/// `{uid}`: a user related to the target (`m` direct, `me` effective only).
fn u_rel() -> Second {
    Second {
        unrelated: Some("free".into()),
        eff_only: Some("me".into()),
        is_user: true,
        ..sec("{uid}", "m", "nouser")
    }
}
/// `{gid}`: a group related to the target (`mg` direct, `mgc` effective only).
fn g_rel() -> Second {
    Second {
        unrelated: Some("fg".into()),
        eff_only: Some("mgc".into()),
        ..sec("{gid}", "mg", "nogroup")
    }
}
/// `{uid}` of a creating PUT: `free` is not related yet.
fn u_new() -> Second {
    Second {
        eff_only: Some("me".into()),
        existing: Some("m".into()),
        is_user: true,
        create: Some(Create::User),
        ..sec("{uid}", "free", "nouser")
    }
}
/// `{gid}` of a creating PUT.
fn g_new() -> Second {
    Second {
        eff_only: Some("mgc".into()),
        existing: Some("mg".into()),
        create: Some(Create::Group),
        ..sec("{gid}", "fg", "nogroup")
    }
}
/// `{pid}`: a parent of group `t` (`pg` direct, `pgp` effective only).
fn p_rel() -> Second {
    Second {
        unrelated: Some("fg".into()),
        eff_only: Some("pgp".into()),
        ..sec("{pid}", "pg", "nogroup")
    }
}
/// `{xid}`: an entity of kind `seg` that the subject (group `t` or the client) belongs to.
fn x_rel(seg: &str) -> Second {
    Second {
        unrelated: Some(format!("f_{seg}")),
        eff_only: Some(format!("y_{seg}")),
        ..sec("{xid}", &format!("x_{seg}"), "nope")
    }
}
/// `{sid}` of `PUT /harvesters/{id}/spaces/{sid}`.
fn s_new() -> Second {
    Second {
        existing: Some("ls".into()),
        create: Some(Create::Space),
        ..sec("{sid}", "fs", "nospace")
    }
}
/// `{sid}`: a space linked to harvester `t`.
fn s_link() -> Second {
    Second {
        unrelated: Some("fs".into()),
        ..sec("{sid}", "ls", "nospace")
    }
}
/// `{hid}`: a harvester linked to space `t`.
fn h_link() -> Second {
    Second {
        unrelated: Some("fh".into()),
        ..sec("{hid}", "lh", "noharvester")
    }
}
/// `{uid}` of `PUT /spaces/{id}/owners/{uid}`.
fn o_new() -> Second {
    Second {
        unrelated: Some("free".into()),
        eff_only: Some("me".into()),
        existing: Some("o".into()),
        create: Some(Create::Owner),
        ..sec("{uid}", "m", "nouser")
    }
}
/// `{uid}` of `DELETE /spaces/{id}/owners/{uid}`: must be an owner.
fn o_rel() -> Second {
    Second {
        unrelated: Some("m".into()),
        ..sec("{uid}", "o2", "nouser")
    }
}

fn list(key: &str, ids: &[&str]) -> Value {
    json!({ key: ids })
}
fn privileges(names: &[&str]) -> Value {
    let mut v: Vec<&str> = names.to_vec();
    v.sort_unstable();
    json!({ "privileges": v })
}
fn intermediaries(items: &[(&str, &str)]) -> Value {
    let v: Vec<Value> = items
        .iter()
        .map(|(t, id)| json!({"type": t, "id": id}))
        .collect();
    json!({ "intermediaries": v })
}

// =======================================================================================
// THE TABLE — one row per served route, from the reference
// =======================================================================================

const GRP: Fam = Fam::Kind(TargetKind::Group);
const SPC: Fam = Fam::Kind(TargetKind::Space);
const HSV: Fam = Fam::Kind(TargetKind::HandleService);
const HND: Fam = Fam::Kind(TargetKind::Handle);
const HRV: Fam = Fam::Kind(TargetKind::Harvester);
const CLU: Fam = Fam::Kind(TargetKind::Cluster);
const INV: Fam = Fam::Kind(TargetKind::AtmInventory);

/// Groups: users, children, parents, lifecycle, the group's oz privileges, its lists and
/// its memberships elsewhere, and creating resources as the group.
#[rustfmt::skip]
fn group_rows() -> Vec<Row> {
    use Ex::*;
    let mg = GROUP.mg_privs;
    let add_rel: Names = &["oz_groups_add_relationships", "oz_users_add_relationships"];
    vec![
        // lifecycle
        r("GET", "/groups/privileges", GRP, anyone(), &[], None).expect(GROUP.presets_json()),
        r("GET", "/groups", GRP, none(), &["oz_groups_list"], None).expect(list("groups", &["fg", "mg", "mgc", "pg", "pgp", "t"])),
        r("POST", "/groups", GRP, none(), &["oz_groups_create"], None).body(Body::GroupNew),
        r("DELETE", "/groups/{id}", GRP, holds(&["group_delete"]), &["oz_groups_delete"], Entity),
        // users
        r("GET", "/groups/{id}/users", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("users", &["m"])),
        r("GET", "/groups/{id}/effective_users", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("users", &["m", "me"])),
        r("PUT", "/groups/{id}/users/{uid}", GRP, self_and(&["group_add_user"], &["group_set_privileges"]), add_rel, Entity)
            .p(&["oz_groups_set_privileges"]).sec(u_new()).body(Body::OptPrivs(TargetKind::Group)),
        r("DELETE", "/groups/{id}/users/{uid}", GRP, holds(&["group_remove_user"]),
            &["oz_groups_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/groups/{id}/users/{uid}/privileges", GRP, self_or(&["group_view_privileges"]),
            &["oz_groups_view_privileges"], Direct).sec(u_rel()).expect(privileges(GROUP_MEMBER)),
        r("PATCH", "/groups/{id}/users/{uid}/privileges", GRP, holds(&["group_set_privileges"]),
            &["oz_groups_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::Group), GROUP_MEMBER)),
        r("GET", "/groups/{id}/effective_users/{uid}/privileges", GRP, self_or(&["group_view_privileges"]),
            &["oz_groups_view_privileges"], Effective).sec(u_rel()).expect(privileges(GROUP_MEMBER)).eff(privileges(mg)),
        r("GET", "/groups/{id}/effective_users/{uid}/membership", GRP, self_or(&["group_view"]),
            &["oz_groups_view"], Effective).sec(u_rel()).expect(intermediaries(&[("group", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        // children
        r("GET", "/groups/{id}/children", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("groups", &["mg"])),
        r("GET", "/groups/{id}/effective_children", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/groups/{id}/children/{gid}", GRP,
            and_group(&["group_add_child"], &["group_add_parent"], &["group_set_privileges"]), &["oz_groups_add_relationships"], Entity)
            .p(&["oz_groups_set_privileges"]).sec(g_new()).body(Body::OptPrivs(TargetKind::Group)),
        r("DELETE", "/groups/{id}/children/{gid}", GRP, holds(&["group_remove_child"]),
            &["oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/groups/{id}/children/{gid}/privileges", GRP, holds(&["group_view_privileges"]),
            &["oz_groups_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/groups/{id}/children/{gid}/privileges", GRP, holds(&["group_set_privileges"]),
            &["oz_groups_set_privileges"], Direct).sec(g_rel()).body(Body::GrantRevoke(Some(TargetKind::Group), mg)),
        r("GET", "/groups/{id}/effective_children/{gid}/privileges", GRP, holds(&["group_view_privileges"]),
            &["oz_groups_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
        r("GET", "/groups/{id}/effective_children/{gid}/membership", GRP, member_or(&["group_view"]),
            &["oz_groups_view"], Effective).sec(g_rel()).expect(intermediaries(&[("group", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("POST", "/groups/{id}/children", GRP, holds(&["group_add_child"]),
            &["oz_groups_create", "oz_groups_add_relationships"], Entity).body(Body::GroupNew),
        // parents
        r("GET", "/groups/{id}/parents", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("groups", &["pg"])),
        r("GET", "/groups/{id}/effective_parents", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("groups", &["pg", "pgp"])),
        r("DELETE", "/groups/{id}/parents/{pid}", GRP, holds(&["group_leave_parent"]),
            &["oz_groups_remove_relationships"], Direct).sec(p_rel()),
        r("POST", "/groups/{id}/parents", GRP, holds(&["group_add_parent"]),
            &["oz_groups_create", "oz_groups_add_relationships"], AtApply).body(Body::GroupNew),
        // the group's oz privileges: membership gives nothing, no admin alternative
        r("GET", "/groups/{id}/privileges", GRP, oz_only(&["oz_view_privileges"]), &[], Entity)
            .expect(privileges(&["oz_providers_list"])),
        r("PATCH", "/groups/{id}/privileges", GRP, oz_only(&["oz_set_privileges"]), &[], Entity)
            .body(Body::GrantRevoke(Option::None, &["oz_providers_list"])),
        r("DELETE", "/groups/{id}/privileges", GRP, oz_only(&["oz_set_privileges"]), &[], Entity)
            .follow("/groups/t/privileges", privileges(&[])),
        r("GET", "/groups/{id}/effective_privileges", GRP, oz_only(&["oz_view_privileges"]), &[], Entity)
            .expect(privileges(&["oz_providers_list", "oz_shares_list"])),
        // the group's lists
        r("GET", "/groups/{id}/spaces", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("spaces", &["x_spaces"])),
        r("GET", "/groups/{id}/effective_spaces", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("spaces", &["x_spaces", "y_spaces"])),
        r("GET", "/groups/{id}/handle_services", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("handle_services", &["x_handle_services"])),
        r("GET", "/groups/{id}/effective_handle_services", GRP, holds(&["group_view"]),
            &["oz_groups_list_relationships"], Entity)
            .expect(list("handle_services", &["x_handle_services", "y_handle_services"])),
        r("GET", "/groups/{id}/handles", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("handles", &["x_handles"])),
        r("GET", "/groups/{id}/effective_handles", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("handles", &["x_handles", "y_handles"])),
        r("GET", "/groups/{id}/harvesters", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("harvesters", &["x_harvesters"])),
        r("GET", "/groups/{id}/effective_harvesters", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("harvesters", &["x_harvesters", "y_harvesters"])),
        r("GET", "/groups/{id}/clusters", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("clusters", &["x_clusters"])),
        r("GET", "/groups/{id}/effective_clusters", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("clusters", &["x_clusters", "y_clusters"])),
        r("GET", "/groups/{id}/atm_inventories", GRP, holds(&["group_view"]), &["oz_groups_list_relationships"], Entity)
            .expect(list("atm_inventories", &["x_atm_inventories"])),
        r("GET", "/groups/{id}/effective_atm_inventories", GRP, holds(&["group_view"]),
            &["oz_groups_list_relationships"], Entity)
            .expect(list("atm_inventories", &["x_atm_inventories", "y_atm_inventories"])),
        // a group leaving resources (the privilege names the code checks, not the route
        // comments')
        r("DELETE", "/groups/{id}/spaces/{xid}", GRP, holds(&["group_leave_space"]),
            &["oz_groups_remove_relationships", "oz_spaces_remove_relationships"], Direct).sec(x_rel("spaces")),
        r("DELETE", "/groups/{id}/handle_services/{xid}", GRP, holds(&["group_leave_handle_service"]),
            &["oz_groups_remove_relationships", "oz_handle_services_remove_relationships"], Direct)
            .sec(x_rel("handle_services")),
        r("DELETE", "/groups/{id}/handles/{xid}", GRP, holds(&["group_leave_handle"]),
            &["oz_groups_remove_relationships", "oz_handles_remove_relationships"], Direct).sec(x_rel("handles")),
        r("DELETE", "/groups/{id}/harvesters/{xid}", GRP, holds(&["group_remove_harvester"]),
            &["oz_groups_remove_relationships", "oz_harvesters_remove_relationships"], Direct).sec(x_rel("harvesters")),
        r("DELETE", "/groups/{id}/clusters/{xid}", GRP, holds(&["group_leave_cluster"]),
            &["oz_groups_remove_relationships", "oz_clusters_remove_relationships"], Direct).sec(x_rel("clusters")),
        r("DELETE", "/groups/{id}/atm_inventories/{xid}", GRP, holds(&["group_remove_atm_inventory"]),
            &["oz_groups_remove_relationships", "oz_atm_inventories_remove_relationships"], Direct)
            .sec(x_rel("atm_inventories")),
        // creating spaces, handle services, … as the group
        r("POST", "/groups/{id}/spaces", GRP, holds(&["group_add_space"]),
            &["oz_spaces_create", "oz_groups_add_relationships"], AtApply).body(Body::Named),
        r("POST", "/groups/{id}/handle_services", GRP,
            all(vec![C::Holds(&["group_create_handle_service"]), C::Oz(&["oz_handle_services_create"])]), &["oz_handle_services_create", "oz_groups_add_relationships"], AtApply)
            .body(Body::HsNew),
        r("POST", "/groups/{id}/harvesters", GRP,
            all(vec![C::Holds(&["group_add_harvester"]), C::Oz(&["oz_harvesters_create"])]), &["oz_harvesters_create", "oz_groups_add_relationships"], AtApply)
            .body(Body::Named),
        r("POST", "/groups/{id}/atm_inventories", GRP, holds(&["group_add_atm_inventory"]),
            &["oz_atm_inventories_create", "oz_groups_add_relationships"], AtApply).body(Body::Named),
    ]
}

/// Users' oz privileges and deletion, and the user's own view (its lists, leaving,
/// creating). `/user` admin alternatives are unreachable over REST.
#[rustfmt::skip]
fn user_rows() -> Vec<Row> {
    use Ex::*;
    let u = Fam::Users;
    let me = Fam::Me;
    vec![
        r("GET", "/privileges", u, anyone(), &[], None).expect(oz_presets_json()),
        r("GET", "/users/{uid}/privileges", u, only_self(), &["oz_view_privileges"], Entity)
            .expect(privileges(&["oz_groups_view"])),
        r("PATCH", "/users/{uid}/privileges", u, none(), &["oz_set_privileges"], Entity)
            .body(Body::GrantRevoke(Option::None, &["oz_groups_view"])),
        r("DELETE", "/users/{uid}/privileges", u, none(), &["oz_set_privileges"], Entity)
            .follow("/users/m/privileges", privileges(&[])),
        r("GET", "/users/{uid}/effective_privileges", u, only_self(), &["oz_view_privileges"], Entity)
            .expect(privileges(&["oz_groups_view", "oz_users_list"])),
        r("DELETE", "/users/{uid}", u, only_self(), &["oz_users_delete"], Entity),
        // /user/...: the client is the subject
        r("GET", "/user/privileges", me, any_user(), &[], None).expect(privileges(&["oz_providers_list"])),
        r("PATCH", "/user/privileges", me, none(), &["oz_set_privileges"], None)
            .body(Body::GrantRevoke(Option::None, &["oz_providers_list"])),
        r("DELETE", "/user/privileges", me, none(), &["oz_set_privileges"], None),
        r("GET", "/user/effective_privileges", me, any_user(), &[], None)
            .expect(privileges(&["oz_providers_list", "oz_shares_list"])),
        r("DELETE", "/user", me, any_user(), &[], None),
        r("GET", "/user/groups", me, any_user(), &[], None).expect(list("groups", &["cg", "x_groups"])),
        r("GET", "/user/effective_groups", me, any_user(), &[], None).expect(list("groups", &["cg", "x_groups", "y_groups"])),
        r("GET", "/user/spaces", me, any_user(), &[], None).expect(list("spaces", &["x_spaces"])),
        r("GET", "/user/effective_spaces", me, any_user(), &[], None).expect(list("spaces", &["x_spaces", "y_spaces"])),
        r("GET", "/user/handle_services", me, any_user(), &[], None).expect(list("handle_services", &["x_handle_services"])),
        r("GET", "/user/effective_handle_services", me, any_user(), &[], None)
            .expect(list("handle_services", &["x_handle_services", "y_handle_services"])),
        r("GET", "/user/handles", me, any_user(), &[], None).expect(list("handles", &["x_handles"])),
        r("GET", "/user/effective_handles", me, any_user(), &[], None).expect(list("handles", &["x_handles", "y_handles"])),
        r("GET", "/user/harvesters", me, any_user(), &[], None).expect(list("harvesters", &["x_harvesters"])),
        r("GET", "/user/effective_harvesters", me, any_user(), &[], None)
            .expect(list("harvesters", &["x_harvesters", "y_harvesters"])),
        r("GET", "/user/clusters", me, any_user(), &[], None).expect(list("clusters", &["x_clusters"])),
        r("GET", "/user/effective_clusters", me, any_user(), &[], None).expect(list("clusters", &["x_clusters", "y_clusters"])),
        r("GET", "/user/atm_inventories", me, any_user(), &[], None).expect(list("atm_inventories", &["x_atm_inventories"])),
        r("GET", "/user/effective_atm_inventories", me, any_user(), &[], None)
            .expect(list("atm_inventories", &["x_atm_inventories", "y_atm_inventories"])),
        r("DELETE", "/user/groups/{xid}", me, any_user(), &[], Direct).sec(x_rel("groups")),
        r("DELETE", "/user/spaces/{xid}", me, any_user(), &[], Direct).sec(x_rel("spaces")),
        r("DELETE", "/user/handle_services/{xid}", me, any_user(), &[], Direct).sec(x_rel("handle_services")),
        r("DELETE", "/user/handles/{xid}", me, any_user(), &[], Direct).sec(x_rel("handles")),
        r("DELETE", "/user/harvesters/{xid}", me, any_user(), &[], Direct).sec(x_rel("harvesters")),
        r("DELETE", "/user/clusters/{xid}", me, any_user(), &[], Direct).sec(x_rel("clusters")),
        r("DELETE", "/user/atm_inventories/{xid}", me, any_user(), &[], Direct).sec(x_rel("atm_inventories")),
        r("POST", "/user/groups", me, any_user(), &[], None).body(Body::GroupNew),
        r("POST", "/user/spaces", me, any_user(), &[], None).body(Body::Named),
        r("POST", "/user/atm_inventories", me, any_user(), &[], None).body(Body::Named),
        r("POST", "/user/harvesters", me, oz_only(&["oz_harvesters_create"]), &[], None).body(Body::Named),
        r("POST", "/user/handle_services", me, oz_only(&["oz_handle_services_create"]), &[], None).body(Body::HsNew),
    ]
}

/// Spaces, with shares and harvester links.
#[rustfmt::skip]
fn space_rows() -> Vec<Row> {
    use Ex::*;
    let mg = SPACE.mg_privs;
    vec![
        r("GET", "/spaces/privileges", SPC, anyone(), &[], None).expect(SPACE.presets_json()),
        r("GET", "/spaces", SPC, none(), &["oz_spaces_list"], None).expect(list("spaces", &["t"])),
        r("POST", "/spaces", SPC, none(), &["oz_spaces_create"], None).body(Body::Named),
        r("DELETE", "/spaces/{id}", SPC, holds(&["space_delete"]), &["oz_spaces_delete"], Entity),
        r("GET", "/spaces/{id}/users", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("users", &["m", "o", "o2"])),
        r("GET", "/spaces/{id}/effective_users", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("users", &["m", "me", "o", "o2"])),
        r("PUT", "/spaces/{id}/users/{uid}", SPC, self_and(&["space_add_user"], &["space_set_privileges"]),
            &["oz_spaces_add_relationships", "oz_users_add_relationships"], Entity).p(&["oz_spaces_set_privileges"])
            .sec(u_new()).body(Body::OptPrivs(TargetKind::Space)),
        // uid `m` is not an owner (owner uids: see the owner tests below)
        r("DELETE", "/spaces/{id}/users/{uid}", SPC, holds(&["space_remove_user"]),
            &["oz_spaces_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/spaces/{id}/users/{uid}/privileges", SPC, self_or(&["space_view_privileges"]),
            &["oz_spaces_view_privileges"], Direct).sec(u_rel()).expect(privileges(SPACE_MEMBER)),
        r("PATCH", "/spaces/{id}/users/{uid}/privileges", SPC, holds(&["space_set_privileges"]),
            &["oz_spaces_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::Space), SPACE_MEMBER)),
        r("GET", "/spaces/{id}/effective_users/{uid}/privileges", SPC, self_or(&["space_view_privileges"]),
            &["oz_spaces_view_privileges"], Effective).sec(u_rel()).expect(privileges(SPACE_MEMBER)).eff(privileges(mg)),
        r("GET", "/spaces/{id}/effective_users/{uid}/membership", SPC, self_or(&["space_view"]),
            &["oz_spaces_view"], Effective).sec(u_rel()).expect(intermediaries(&[("space", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("GET", "/spaces/{id}/groups", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("groups", &["mg"])),
        r("GET", "/spaces/{id}/effective_groups", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/spaces/{id}/groups/{gid}", SPC,
            and_group(&["space_add_group"], &["group_add_space"], &["space_set_privileges"]), &["oz_spaces_add_relationships", "oz_groups_add_relationships"], Entity)
            .p(&["oz_spaces_set_privileges"]).sec(g_new()).body(Body::OptPrivs(TargetKind::Space)),
        r("DELETE", "/spaces/{id}/groups/{gid}", SPC, holds(&["space_remove_group"]),
            &["oz_spaces_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/spaces/{id}/groups/{gid}/privileges", SPC, holds(&["space_view_privileges"]),
            &["oz_spaces_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/spaces/{id}/groups/{gid}/privileges", SPC, holds(&["space_set_privileges"]),
            &["oz_spaces_set_privileges"], Direct).sec(g_rel()).body(Body::GrantRevoke(Some(TargetKind::Space), mg)),
        r("GET", "/spaces/{id}/effective_groups/{gid}/privileges", SPC, holds(&["space_view_privileges"]),
            &["oz_spaces_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
        r("GET", "/spaces/{id}/effective_groups/{gid}/membership", SPC, member_or(&["space_view"]),
            &["oz_spaces_view"], Effective).sec(g_rel()).expect(intermediaries(&[("space", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("POST", "/spaces/{id}/groups", SPC, holds(&["space_add_group"]),
            &["oz_groups_create", "oz_spaces_add_relationships"], Entity).body(Body::GroupNew),
        r("GET", "/spaces/{id}/owners", SPC, holds(&["space_view"]), &["oz_spaces_view"], Entity)
            .expect(list("users", &["o", "o2"])),
        r("PUT", "/spaces/{id}/owners/{uid}", SPC, all(vec![C::Owner]), &["oz_spaces_set_privileges"], Entity).sec(o_new())
            .body(Body::Ignored).ok(204),
        r("DELETE", "/spaces/{id}/owners/{uid}", SPC, all(vec![C::Owner]), &["oz_spaces_set_privileges"], Direct).sec(o_rel()),
        r("GET", "/spaces/{id}/shares", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("shares", &["sh1"])),
        r("GET", "/spaces/{id}/harvesters", SPC, holds(&["space_view"]), &["oz_spaces_list_relationships"], Entity)
            .expect(list("harvesters", &["lh"])),
        r("DELETE", "/spaces/{id}/harvesters/{hid}", SPC, holds(&["space_remove_harvester"]),
            &["oz_spaces_remove_relationships", "oz_harvesters_remove_relationships"], Direct).sec(h_link()),
    ]
}

/// Handle services (and the legacy `PUT` with v3 names).
#[rustfmt::skip]
fn handle_service_rows() -> Vec<Row> {
    use Ex::*;
    let mg = HSERVICE.mg_privs;
    let legacy = Body::Legacy(
        TargetKind::HandleService,
        &[
            "register_handle",
            "handle_service_view_data",
            "handle_service_add_group",
        ],
        &[
            "handle_service_register_handle",
            "handle_service_update",
            "handle_service_view",
        ],
    );
    vec![
        r("GET", "/handle_services/privileges", HSV, anyone(), &[], None).expect(HSERVICE.presets_json()),
        r("GET", "/handle_services", HSV, oz_only(&["oz_handle_services_list"]), &["oz_handle_services_list"], None)
            .expect(list("handle_services", &["t"])),
        r("POST", "/handle_services", HSV, none(), &["oz_handle_services_create"], None).body(Body::HsNew),
        r("DELETE", "/handle_services/{id}", HSV, holds(&["handle_service_delete"]), &["oz_handle_services_delete"], Entity),
        r("GET", "/handle_services/{id}/handles", HSV, holds(&["handle_service_list_handles"]),
            &["oz_handle_services_list_relationships"], Entity).expect(list("handles", &[])),
        r("GET", "/handle_services/{id}/users", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_list_relationships"], Entity).expect(list("users", &["m"])),
        r("GET", "/handle_services/{id}/effective_users", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_list_relationships"], Entity).expect(list("users", &["m", "me"])),
        r("PUT", "/handle_services/{id}/users/{uid}", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_add_relationships", "oz_users_add_relationships"], Entity).sec(u_new())
            .body(Body::OptPrivs(TargetKind::HandleService)),
        r("DELETE", "/handle_services/{id}/users/{uid}", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/handle_services/{id}/users/{uid}/privileges", HSV, self_or(&["handle_service_view"]),
            &["oz_handle_services_view_privileges"], Direct).sec(u_rel()).expect(privileges(HS_MEMBER)),
        r("PATCH", "/handle_services/{id}/users/{uid}/privileges", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::HandleService), HS_MEMBER)),
        r("GET", "/handle_services/{id}/effective_users/{uid}/privileges", HSV, self_or(&["handle_service_view"]),
            &["oz_handle_services_view_privileges"], Effective).sec(u_rel()).expect(privileges(HS_MEMBER))
            .eff(privileges(mg)),
        r("GET", "/handle_services/{id}/groups", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_list_relationships"], Entity).expect(list("groups", &["mg"])),
        r("GET", "/handle_services/{id}/effective_groups", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_list_relationships"], Entity).expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/handle_services/{id}/groups/{gid}", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_add_relationships", "oz_groups_add_relationships"], Entity).sec(g_new())
            .body(Body::OptPrivs(TargetKind::HandleService)),
        r("DELETE", "/handle_services/{id}/groups/{gid}", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/handle_services/{id}/groups/{gid}/privileges", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/handle_services/{id}/groups/{gid}/privileges", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_set_privileges"], Direct).sec(g_rel())
            .body(Body::GrantRevoke(Some(TargetKind::HandleService), mg)),
        // the legacy PUT of Onezone's v3 documentation, v3 names accepted
        r("PUT", "/handle_services/{id}/groups/{gid}/privileges", HSV, holds(&["handle_service_update"]),
            &["oz_handle_services_set_privileges"], Direct).sec(g_rel()).body(legacy).ok(204),
        r("GET", "/handle_services/{id}/effective_groups/{gid}/privileges", HSV, holds(&["handle_service_view"]),
            &["oz_handle_services_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
    ]
}

/// Handles (and the legacy `PUT`).
#[rustfmt::skip]
fn handle_rows() -> Vec<Row> {
    use Ex::*;
    let mg = HANDLE.mg_privs;
    let legacy = Body::Legacy(
        TargetKind::Handle,
        &["handle_view_data", "unregister_handle"],
        &["handle_delete", "handle_view"],
    );
    vec![
        r("GET", "/handles/privileges", HND, anyone(), &[], None).expect(HANDLE.presets_json()),
        r("GET", "/handles", HND, none(), &["oz_handles_list"], None).expect(list("handles", &["t"])),
        r("DELETE", "/handles/{id}", HND,
            Rule::Any(vec![vec![C::Holds(&["handle_delete"])], vec![C::InHs(&["handle_service_manage_handles"])]]), &["oz_handles_delete"], Entity),
        r("GET", "/handles/{id}/users", HND, holds(&["handle_view"]), &["oz_handles_list_relationships"], Entity)
            .expect(list("users", &["m"])),
        r("GET", "/handles/{id}/effective_users", HND, holds(&["handle_view"]), &["oz_handles_list_relationships"], Entity)
            .expect(list("users", &["m", "me"])),
        r("PUT", "/handles/{id}/users/{uid}", HND, holds(&["handle_update"]),
            &["oz_handles_add_relationships", "oz_users_add_relationships"], Entity).sec(u_new())
            .body(Body::OptPrivs(TargetKind::Handle)),
        r("DELETE", "/handles/{id}/users/{uid}", HND, holds(&["handle_update"]),
            &["oz_handles_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/handles/{id}/users/{uid}/privileges", HND, self_or(&["handle_view"]),
            &["oz_handles_view_privileges"], Direct).sec(u_rel()).expect(privileges(HANDLE_MEMBER)),
        r("PATCH", "/handles/{id}/users/{uid}/privileges", HND, holds(&["handle_update"]),
            &["oz_handles_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::Handle), HANDLE_MEMBER)),
        // the legacy PUT of Onezone's v3 documentation, v3 names accepted
        r("PUT", "/handles/{id}/users/{uid}/privileges", HND, holds(&["handle_update"]),
            &["oz_handles_set_privileges"], Direct).sec(u_rel()).body(legacy).ok(204),
        r("GET", "/handles/{id}/effective_users/{uid}/privileges", HND, self_or(&["handle_view"]),
            &["oz_handles_view_privileges"], Effective).sec(u_rel()).expect(privileges(HANDLE_MEMBER)).eff(privileges(mg)),
        r("GET", "/handles/{id}/groups", HND, holds(&["handle_view"]), &["oz_handles_list_relationships"], Entity)
            .expect(list("groups", &["mg"])),
        r("GET", "/handles/{id}/effective_groups", HND, holds(&["handle_view"]), &["oz_handles_list_relationships"], Entity)
            .expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/handles/{id}/groups/{gid}", HND, holds(&["handle_update"]),
            &["oz_handles_add_relationships", "oz_groups_add_relationships"], Entity).sec(g_new())
            .body(Body::OptPrivs(TargetKind::Handle)),
        r("DELETE", "/handles/{id}/groups/{gid}", HND, holds(&["handle_update"]),
            &["oz_handles_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/handles/{id}/groups/{gid}/privileges", HND, holds(&["handle_view"]),
            &["oz_handles_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/handles/{id}/groups/{gid}/privileges", HND, holds(&["handle_update"]),
            &["oz_handles_set_privileges"], Direct).sec(g_rel()).body(Body::GrantRevoke(Some(TargetKind::Handle), mg)),
        r("GET", "/handles/{id}/effective_groups/{gid}/privileges", HND, holds(&["handle_view"]),
            &["oz_handles_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
    ]
}

/// The plain pattern (harvesters, clusters, inventories): one function per kind would hide
/// the differences, so each kind's rows are spelled out below.
#[rustfmt::skip]
fn harvester_rows() -> Vec<Row> {
    use Ex::*;
    let mg = HARVESTER.mg_privs;
    vec![
        r("GET", "/harvesters/privileges", HRV, anyone(), &[], None).expect(HARVESTER.presets_json()),
        r("GET", "/harvesters", HRV, none(), &["oz_harvesters_list"], None).expect(list("harvesters", &["t"])),
        r("POST", "/harvesters", HRV, none(), &["oz_harvesters_create"], None).body(Body::Named),
        r("DELETE", "/harvesters/{id}", HRV, holds(&["harvester_delete"]), &["oz_harvesters_delete"], Entity),
        r("GET", "/harvesters/{id}/users", HRV, holds(&["harvester_view"]), &["oz_harvesters_list_relationships"], Entity)
            .expect(list("users", &["m"])),
        r("GET", "/harvesters/{id}/effective_users", HRV, holds(&["harvester_view"]),
            &["oz_harvesters_list_relationships"], Entity).expect(list("users", &["m", "me"])),
        r("PUT", "/harvesters/{id}/users/{uid}", HRV, self_and(&["harvester_add_user"], &["harvester_set_privileges"]),
            &["oz_harvesters_add_relationships", "oz_users_add_relationships"], Entity).p(&["oz_harvesters_set_privileges"])
            .sec(u_new()).body(Body::OptPrivs(TargetKind::Harvester)),
        r("DELETE", "/harvesters/{id}/users/{uid}", HRV, holds(&["harvester_remove_user"]),
            &["oz_harvesters_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/harvesters/{id}/users/{uid}/privileges", HRV, self_or(&["harvester_view_privileges"]),
            &["oz_harvesters_view_privileges"], Direct).sec(u_rel()).expect(privileges(HARVESTER_MEMBER)),
        r("PATCH", "/harvesters/{id}/users/{uid}/privileges", HRV, holds(&["harvester_set_privileges"]),
            &["oz_harvesters_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::Harvester), HARVESTER_MEMBER)),
        r("GET", "/harvesters/{id}/effective_users/{uid}/privileges", HRV, self_or(&["harvester_view_privileges"]),
            &["oz_harvesters_view_privileges"], Effective).sec(u_rel()).expect(privileges(HARVESTER_MEMBER))
            .eff(privileges(mg)),
        r("GET", "/harvesters/{id}/effective_users/{uid}/membership", HRV, self_or(&["harvester_view"]),
            &["oz_harvesters_view"], Effective).sec(u_rel()).expect(intermediaries(&[("harvester", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("GET", "/harvesters/{id}/groups", HRV, holds(&["harvester_view"]), &["oz_harvesters_list_relationships"], Entity)
            .expect(list("groups", &["mg"])),
        r("GET", "/harvesters/{id}/effective_groups", HRV, holds(&["harvester_view"]),
            &["oz_harvesters_list_relationships"], Entity).expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/harvesters/{id}/groups/{gid}", HRV,
            and_group(&["harvester_add_group"], &["group_add_harvester"], &["harvester_set_privileges"]), &["oz_harvesters_add_relationships", "oz_groups_add_relationships"], Entity)
            .p(&["oz_harvesters_set_privileges"]).sec(g_new()).body(Body::OptPrivs(TargetKind::Harvester)),
        r("DELETE", "/harvesters/{id}/groups/{gid}", HRV, holds(&["harvester_remove_group"]),
            &["oz_harvesters_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/harvesters/{id}/groups/{gid}/privileges", HRV, holds(&["harvester_view_privileges"]),
            &["oz_harvesters_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/harvesters/{id}/groups/{gid}/privileges", HRV, holds(&["harvester_set_privileges"]),
            &["oz_harvesters_set_privileges"], Direct).sec(g_rel()).body(Body::GrantRevoke(Some(TargetKind::Harvester), mg)),
        r("GET", "/harvesters/{id}/effective_groups/{gid}/privileges", HRV, holds(&["harvester_view_privileges"]),
            &["oz_harvesters_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
        r("GET", "/harvesters/{id}/effective_groups/{gid}/membership", HRV, member_or(&["harvester_view"]),
            &["oz_harvesters_view"], Effective).sec(g_rel()).expect(intermediaries(&[("harvester", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("POST", "/harvesters/{id}/groups", HRV, holds(&["harvester_add_group"]),
            &["oz_groups_create", "oz_harvesters_add_relationships"], Entity).body(Body::GroupNew),
        // links with spaces
        r("GET", "/harvesters/{id}/spaces", HRV, holds(&["harvester_view"]), &["oz_harvesters_list_relationships"], Entity)
            .expect(list("spaces", &["ls"])),
        r("PUT", "/harvesters/{id}/spaces/{sid}", HRV,
            all(vec![C::Holds(&["harvester_add_space"]), C::InSpace(&["space_add_harvester"])]), &["oz_harvesters_add_relationships", "oz_spaces_add_relationships"], Entity)
            .sec(s_new()).body(Body::NoKeys),
        r("DELETE", "/harvesters/{id}/spaces/{sid}", HRV, holds(&["harvester_remove_space"]),
            &["oz_harvesters_remove_relationships"], Direct).sec(s_link()),
    ]
}

#[rustfmt::skip]
fn cluster_rows() -> Vec<Row> {
    use Ex::*;
    let mg = CLUSTER.mg_privs;
    vec![
        r("GET", "/clusters/privileges", CLU, anyone(), &[], None).expect(CLUSTER.presets_json()),
        r("GET", "/clusters", CLU, none(), &["oz_clusters_list"], None).expect(list("clusters", &["t"])),
        r("GET", "/clusters/{id}/users", CLU, holds(&["cluster_view"]), &["oz_clusters_list_relationships"], Entity)
            .expect(list("users", &["m"])),
        r("GET", "/clusters/{id}/effective_users", CLU, holds(&["cluster_view"]), &["oz_clusters_list_relationships"], Entity)
            .expect(list("users", &["m", "me"])),
        r("PUT", "/clusters/{id}/users/{uid}", CLU, self_and(&["cluster_add_user"], &["cluster_set_privileges"]),
            &["oz_clusters_add_relationships", "oz_users_add_relationships"], Entity).p(&["oz_clusters_set_privileges"])
            .sec(u_new()).body(Body::OptPrivs(TargetKind::Cluster)),
        r("DELETE", "/clusters/{id}/users/{uid}", CLU, holds(&["cluster_remove_user"]),
            &["oz_clusters_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/clusters/{id}/users/{uid}/privileges", CLU, self_or(&["cluster_view_privileges"]),
            &["oz_clusters_view_privileges"], Direct).sec(u_rel()).expect(privileges(CLUSTER_MEMBER)),
        r("PATCH", "/clusters/{id}/users/{uid}/privileges", CLU, holds(&["cluster_set_privileges"]),
            &["oz_clusters_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::Cluster), CLUSTER_MEMBER)),
        r("GET", "/clusters/{id}/effective_users/{uid}/privileges", CLU, self_or(&["cluster_view_privileges"]),
            &["oz_clusters_view_privileges"], Effective).sec(u_rel()).expect(privileges(CLUSTER_MEMBER)).eff(privileges(mg)),
        r("GET", "/clusters/{id}/effective_users/{uid}/membership", CLU, self_or(&["cluster_view"]),
            &["oz_clusters_view"], Effective).sec(u_rel()).expect(intermediaries(&[("cluster", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("GET", "/clusters/{id}/groups", CLU, holds(&["cluster_view"]), &["oz_clusters_list_relationships"], Entity)
            .expect(list("groups", &["mg"])),
        r("GET", "/clusters/{id}/effective_groups", CLU, holds(&["cluster_view"]),
            &["oz_clusters_list_relationships"], Entity).expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/clusters/{id}/groups/{gid}", CLU,
            and_group(&["cluster_add_group"], &["group_add_cluster"], &["cluster_set_privileges"]), &["oz_clusters_add_relationships", "oz_groups_add_relationships"], Entity)
            .p(&["oz_clusters_set_privileges"]).sec(g_new()).body(Body::OptPrivs(TargetKind::Cluster)),
        r("DELETE", "/clusters/{id}/groups/{gid}", CLU, holds(&["cluster_remove_group"]),
            &["oz_clusters_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/clusters/{id}/groups/{gid}/privileges", CLU, holds(&["cluster_view_privileges"]),
            &["oz_clusters_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/clusters/{id}/groups/{gid}/privileges", CLU, holds(&["cluster_set_privileges"]),
            &["oz_clusters_set_privileges"], Direct).sec(g_rel()).body(Body::GrantRevoke(Some(TargetKind::Cluster), mg)),
        r("GET", "/clusters/{id}/effective_groups/{gid}/privileges", CLU, holds(&["cluster_view_privileges"]),
            &["oz_clusters_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
        r("GET", "/clusters/{id}/effective_groups/{gid}/membership", CLU, member_or(&["cluster_view"]),
            &["oz_clusters_view"], Effective).sec(g_rel()).expect(intermediaries(&[("cluster", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("POST", "/clusters/{id}/groups", CLU, holds(&["cluster_add_group"]),
            &["oz_groups_create", "oz_clusters_add_relationships"], Entity).body(Body::GroupNew),
    ]
}

#[rustfmt::skip]
fn inventory_rows() -> Vec<Row> {
    use Ex::*;
    let mg = INVENTORY.mg_privs;
    vec![
        r("GET", "/atm_inventories/privileges", INV, anyone(), &[], None).expect(INVENTORY.presets_json()),
        r("GET", "/atm_inventories", INV, none(), &["oz_atm_inventories_list"], None).expect(list("atm_inventories", &["t"])),
        r("POST", "/atm_inventories", INV, none(), &["oz_atm_inventories_create"], None).body(Body::Named),
        r("DELETE", "/atm_inventories/{id}", INV, holds(&["atm_inventory_delete"]), &["oz_atm_inventories_delete"], Entity),
        r("GET", "/atm_inventories/{id}/users", INV, holds(&["atm_inventory_view"]),
            &["oz_atm_inventories_list_relationships"], Entity).expect(list("users", &["m"])),
        r("GET", "/atm_inventories/{id}/effective_users", INV, holds(&["atm_inventory_view"]),
            &["oz_atm_inventories_list_relationships"], Entity).expect(list("users", &["m", "me"])),
        r("PUT", "/atm_inventories/{id}/users/{uid}", INV,
            self_and(&["atm_inventory_add_user"], &["atm_inventory_set_privileges"]), &["oz_atm_inventories_add_relationships", "oz_users_add_relationships"], Entity)
            .p(&["oz_atm_inventories_set_privileges"]).sec(u_new()).body(Body::OptPrivs(TargetKind::AtmInventory)),
        r("DELETE", "/atm_inventories/{id}/users/{uid}", INV, holds(&["atm_inventory_remove_user"]),
            &["oz_atm_inventories_remove_relationships", "oz_users_remove_relationships"], Direct).sec(u_rel()),
        r("GET", "/atm_inventories/{id}/users/{uid}/privileges", INV, self_or(&["atm_inventory_view_privileges"]),
            &["oz_atm_inventories_view_privileges"], Direct).sec(u_rel()).expect(privileges(INVENTORY_MEMBER)),
        r("PATCH", "/atm_inventories/{id}/users/{uid}/privileges", INV, holds(&["atm_inventory_set_privileges"]),
            &["oz_atm_inventories_set_privileges"], Direct).sec(u_rel())
            .body(Body::GrantRevoke(Some(TargetKind::AtmInventory), INVENTORY_MEMBER)),
        r("GET", "/atm_inventories/{id}/effective_users/{uid}/privileges", INV, self_or(&["atm_inventory_view_privileges"]),
            &["oz_atm_inventories_view_privileges"], Effective).sec(u_rel()).expect(privileges(INVENTORY_MEMBER))
            .eff(privileges(mg)),
        r("GET", "/atm_inventories/{id}/effective_users/{uid}/membership", INV, self_or(&["atm_inventory_view"]),
            &["oz_atm_inventories_view"], Effective).sec(u_rel()).expect(intermediaries(&[("atm_inventory", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("GET", "/atm_inventories/{id}/groups", INV, holds(&["atm_inventory_view"]),
            &["oz_atm_inventories_list_relationships"], Entity).expect(list("groups", &["mg"])),
        r("GET", "/atm_inventories/{id}/effective_groups", INV, holds(&["atm_inventory_view"]),
            &["oz_atm_inventories_list_relationships"], Entity).expect(list("groups", &["mg", "mgc"])),
        r("PUT", "/atm_inventories/{id}/groups/{gid}", INV,
            and_group(&["atm_inventory_add_group"], &["group_add_atm_inventory"], &["atm_inventory_set_privileges"]), &["oz_atm_inventories_add_relationships", "oz_groups_add_relationships"], Entity)
            .p(&["oz_atm_inventories_set_privileges"]).sec(g_new()).body(Body::OptPrivs(TargetKind::AtmInventory)),
        r("DELETE", "/atm_inventories/{id}/groups/{gid}", INV, holds(&["atm_inventory_remove_group"]),
            &["oz_atm_inventories_remove_relationships", "oz_groups_remove_relationships"], Direct).sec(g_rel()),
        r("GET", "/atm_inventories/{id}/groups/{gid}/privileges", INV, holds(&["atm_inventory_view_privileges"]),
            &["oz_atm_inventories_view_privileges"], Direct).sec(g_rel()).expect(privileges(mg)),
        r("PATCH", "/atm_inventories/{id}/groups/{gid}/privileges", INV, holds(&["atm_inventory_set_privileges"]),
            &["oz_atm_inventories_set_privileges"], Direct).sec(g_rel())
            .body(Body::GrantRevoke(Some(TargetKind::AtmInventory), mg)),
        r("GET", "/atm_inventories/{id}/effective_groups/{gid}/privileges", INV, holds(&["atm_inventory_view_privileges"]),
            &["oz_atm_inventories_view_privileges"], Effective).sec(g_rel()).expect(privileges(mg)).eff(privileges(mg)),
        r("GET", "/atm_inventories/{id}/effective_groups/{gid}/membership", INV, member_or(&["atm_inventory_view"]),
            &["oz_atm_inventories_view"], Effective).sec(g_rel()).expect(intermediaries(&[("atm_inventory", "self")]))
            .eff(intermediaries(&[("group", "mg")])),
        r("POST", "/atm_inventories/{id}/groups", INV, holds(&["atm_inventory_add_group"]),
            &["oz_groups_create", "oz_atm_inventories_add_relationships"], Entity).body(Body::GroupNew),
    ]
}

fn table() -> Vec<Row> {
    let mut rows = group_rows();
    rows.extend(user_rows());
    rows.extend(space_rows());
    rows.extend(handle_service_rows());
    rows.extend(handle_rows());
    rows.extend(harvester_rows());
    rows.extend(cluster_rows());
    rows.extend(inventory_rows());
    rows
}

// =======================================================================================
// Fixtures
// =======================================================================================

/// The base graph of a family. For a target kind `K` (entity `t`):
///
/// | id | relation |
/// |---|---|
/// | `m` | direct user of `t`, member preset of K |
/// | `mg` | direct group (for groups: child) of `t`, `K.mg_privs` |
/// | `mgc` | child of `mg` (effective-only group of `t`) |
/// | `me` | user of `mgc` (effective-only user of `t`) |
/// | `free`, `fg` | a user and a group with no relation |
/// | groups: `pg`, `pgp` | `t` is a child of `pg` (`[group_view]`), `pg` of `pgp`; oz: `t` `[oz_providers_list]`, `pg` `[oz_shares_list]`; `t` is a direct member of `x_{kind}`, `pg` of `y_{kind}` (member presets); `f_{kind}` free |
/// | spaces: `o`, `o2` | direct users with `[]`, the two owners; share `sh1`; harvester `lh` linked, `fh` free |
/// | handles | `t` is registered in handle service `t_hs` (share `t_sh` of space `t_sp`) |
/// | harvesters | space `ls` linked, `fs` free |
///
/// `/users/{uid}`: user `m` with own oz `[oz_groups_view]`, member of group `ozm` whose
/// oz privileges are `[oz_users_list]`. `/user`: the client `c`, own oz
/// `[oz_providers_list]`, member of group `cg` (oz `[oz_shares_list]`), a direct member
/// of `x_{kind}` (member presets; for groups `x_groups`) and an effective-only member of
/// `y_{kind}` through `cg`; `f_{kind}` free.
fn base(fam: Fam) -> Graph {
    let mut g = Graph::new();
    match fam {
        Fam::Kind(tk) => kind_fixture(&mut g, tk),
        Fam::Users => {
            user(&mut g, "m");
            user(&mut g, "free");
            group(&mut g, "ozm");
            oz_user(&mut g, "m", &["oz_groups_view"]);
            oz_group(&mut g, "ozm", &["oz_users_list"]);
            add_user(&mut g, TargetKind::Group, "ozm", "m", &[]);
        }
        Fam::Me => {
            user(&mut g, "c");
            oz_user(&mut g, "c", &["oz_providers_list"]);
            group(&mut g, "cg");
            add_user(&mut g, TargetKind::Group, "cg", "c", GROUP_MEMBER);
            oz_group(&mut g, "cg", &["oz_shares_list"]);
            for k in ALL_KINDS {
                let (x, y, f) = (
                    format!("x_{}", k.seg),
                    format!("y_{}", k.seg),
                    format!("f_{}", k.seg),
                );
                create(&mut g, k.tk, &x);
                create(&mut g, k.tk, &y);
                create(&mut g, k.tk, &f);
                add_user(&mut g, k.tk, &x, "c", k.member);
                add_group(&mut g, k.tk, &y, "cg", k.member);
            }
        }
    }
    g
}

fn kind_fixture(g: &mut Graph, tk: TargetKind) {
    let k = info(tk);
    create(g, tk, "t");
    for u in ["m", "me", "free"] {
        user(g, u);
    }
    for grp in ["mg", "mgc", "fg"] {
        group(g, grp);
    }
    add_user(g, tk, "t", "m", k.member);
    add_group(g, tk, "t", "mg", k.mg_privs);
    add_group(g, TargetKind::Group, "mg", "mgc", &[]);
    add_user(g, TargetKind::Group, "mgc", "me", &[]);
    match tk {
        TargetKind::Group => {
            group(g, "pg");
            group(g, "pgp");
            add_group(g, TargetKind::Group, "pg", "t", GROUP_MEMBER);
            add_group(g, TargetKind::Group, "pgp", "pg", GROUP_MEMBER);
            oz_group(g, "t", &["oz_providers_list"]);
            oz_group(g, "pg", &["oz_shares_list"]);
            for other in ALL_KINDS.into_iter().filter(|o| o.tk != TargetKind::Group) {
                let (x, y, f) = (
                    format!("x_{}", other.seg),
                    format!("y_{}", other.seg),
                    format!("f_{}", other.seg),
                );
                create(g, other.tk, &x);
                create(g, other.tk, &y);
                create(g, other.tk, &f);
                add_group(g, other.tk, &x, "t", other.member);
                add_group(g, other.tk, &y, "pg", other.member);
            }
        }
        TargetKind::Space => {
            for o in ["o", "o2"] {
                user(g, o);
                add_user(g, tk, "t", o, &[]);
                own(g, "t", o);
            }
            let t = g.key::<privgraph::graph::Space>("t").unwrap();
            g.create_share("sh1", t).unwrap();
            create(g, TargetKind::Harvester, "lh");
            create(g, TargetKind::Harvester, "fh");
            link(g, "lh", "t");
        }
        TargetKind::Harvester => {
            create(g, TargetKind::Space, "ls");
            create(g, TargetKind::Space, "fs");
            link(g, "t", "ls");
        }
        _ => {}
    }
}

// =======================================================================================
// Clients
// =======================================================================================

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Who {
    Nobody,
    Root,
    #[default]
    C,
}

/// A client and what the fixture gives it. Privileges are given to user `c`.
#[derive(Debug, Clone, Default)]
struct Client {
    who: Who,
    /// Direct privileges in `t`.
    target: Option<Vec<&'static str>>,
    /// Privileges in `t` of group `ng`, whose child `ngc` has `c` as a member.
    nested: Option<Vec<&'static str>>,
    /// Group privileges in the group the path names second (nested: through a child).
    sgroup: Option<(Vec<&'static str>, bool)>,
    /// Space privileges in the space the path names second (nested: through a group).
    sspace: Option<(Vec<&'static str>, bool)>,
    sspace_owner: bool,
    /// Privileges in the handle's service `t_hs` (nested: through a group).
    hs: Option<(Vec<&'static str>, bool)>,
    oz: Vec<&'static str>,
    /// Oz privileges of a group `ozc` that `c` belongs to.
    oz_group: Vec<&'static str>,
    member_of_second: bool,
    owner: bool,
    is_self: bool,
}

impl Client {
    fn nobody() -> Client {
        Client {
            who: Who::Nobody,
            ..Client::default()
        }
    }
    fn root() -> Client {
        Client {
            who: Who::Root,
            ..Client::default()
        }
    }
    fn c() -> Client {
        Client::default()
    }
    fn oz(names: Vec<&'static str>) -> Client {
        Client {
            oz: names,
            ..Client::default()
        }
    }
    fn auth(&self) -> Auth {
        match self.who {
            Who::Nobody => Auth::Nobody,
            Who::Root => Auth::Root,
            Who::C => Auth::User("c".into()),
        }
    }
    /// Whether `c` is a direct member of `t`.
    fn direct_in_target(&self) -> bool {
        self.target.is_some() || self.owner
    }
}

fn apply(g: &mut Graph, row: &Row, cl: &Client) {
    use TargetKind as K;
    if cl.who != Who::C {
        return;
    }
    user(g, "c");
    let second = row.second.as_ref().map(|s| s.default.clone());
    if let Fam::Kind(tk) = row.fam {
        if let Some(p) = &cl.target {
            add_user(g, tk, "t", "c", p);
        } else if cl.owner {
            add_user(g, tk, "t", "c", &[]);
        }
        if cl.owner {
            own(g, "t", "c");
        }
        if let Some(p) = &cl.nested {
            group(g, "ng");
            group(g, "ngc");
            add_group(g, tk, "t", "ng", p);
            add_group(g, K::Group, "ng", "ngc", &[]);
            add_user(g, K::Group, "ngc", "c", &[]);
        }
        if let Some((p, nested)) = &cl.sgroup {
            let gid = second.as_deref().expect("a group named second");
            if *nested {
                group(g, "ngg");
                add_group(g, K::Group, gid, "ngg", p);
                add_user(g, K::Group, "ngg", "c", &[]);
            } else {
                add_user(g, K::Group, gid, "c", p);
            }
        }
        if let Some((p, nested)) = &cl.sspace {
            let sid = second.as_deref().expect("a space named second");
            if *nested {
                group(g, "ngs");
                add_group(g, K::Space, sid, "ngs", p);
                add_user(g, K::Group, "ngs", "c", &[]);
            } else {
                add_user(g, K::Space, sid, "c", p);
            }
        }
        if cl.sspace_owner {
            let sid = second.as_deref().expect("a space named second");
            add_user(g, K::Space, sid, "c", &[]);
            own(g, sid, "c");
        }
        if let Some((p, nested)) = &cl.hs {
            if *nested {
                group(g, "nhs");
                add_group(g, K::HandleService, "t_hs", "nhs", p);
                add_user(g, K::Group, "nhs", "c", &[]);
            } else {
                add_user(g, K::HandleService, "t_hs", "c", p);
            }
        }
        if cl.member_of_second {
            add_user(g, K::Group, second.as_deref().unwrap(), "c", &[]);
        }
    }
    if !cl.oz.is_empty() {
        oz_user(g, "c", &cl.oz);
    }
    if !cl.oz_group.is_empty() {
        group(g, "ozc");
        oz_group(g, "ozc", &cl.oz_group);
        add_user(g, K::Group, "ozc", "c", &[]);
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Every condition met directly.
    Direct,
    /// Privileges reach `c` through a nested group (oz privileges through a group).
    Nested,
    /// Space privileges met by owning the space instead.
    Owner,
}

fn vocab_of(tk: TargetKind) -> Vec<&'static str> {
    info(tk).vocab()
}

fn minus(all: &[&'static str], x: &str) -> Vec<&'static str> {
    all.iter().copied().filter(|n| *n != x).collect()
}

fn has_holds(alt: &[C]) -> bool {
    alt.iter()
        .any(|c| matches!(c, C::Holds(_) | C::HoldsIfP(_)))
}

/// The modes worth trying for an alternative.
fn modes(row: &Row, alt: &[C]) -> Vec<Mode> {
    let mut out = vec![Mode::Direct];
    let privileged = alt.iter().any(|c| {
        matches!(
            c,
            C::Holds(_) | C::HoldsIfP(_) | C::InGroup(_) | C::InSpace(_) | C::InHs(_) | C::Oz(_)
        )
    });
    let self_effective = alt.iter().any(|c| matches!(c, C::IsSelf))
        && row.ex == Ex::Effective
        && matches!(row.fam, Fam::Kind(_));
    if privileged || self_effective {
        out.push(Mode::Nested);
    }
    let space_target = row.fam == SPC && has_holds(alt);
    let space_second = alt.iter().any(|c| matches!(c, C::InSpace(_)));
    if space_target || space_second {
        out.push(Mode::Owner);
    }
    out
}

/// A client meeting alternative `alt` in `mode`; with `negate = (i, x)`, condition `i`
/// is not met: privilege `x` is missing while every other name of that vocabulary is
/// held (oz: only the other listed names), or the non-privilege condition is dropped.
fn build(
    row: &Row,
    alt: &[C],
    mode: Mode,
    with_p: bool,
    negate: Option<(usize, Option<&str>)>,
) -> Client {
    let mut cl = Client::c();
    let mut target: Vec<&'static str> = Vec::new();
    let mut target_used = false;
    let mut nested: Vec<&'static str> = Vec::new();
    let mut nested_used = false;
    let tk = match row.fam {
        Fam::Kind(tk) => Some(tk),
        _ => None,
    };
    for (i, cond) in alt.iter().enumerate() {
        let neg = negate.filter(|(j, _)| *j == i).map(|(_, x)| x);
        match *cond {
            C::AnyUser => {}
            C::IsSelf => cl.is_self = neg.is_none(),
            C::Holds(p) | C::HoldsIfP(p) => {
                if matches!(cond, C::HoldsIfP(_)) && !with_p && neg.is_none() {
                    continue;
                }
                if let Some(x) = neg {
                    target = minus(&vocab_of(tk.unwrap()), x.unwrap());
                    target_used = true;
                    continue;
                }
                match mode {
                    Mode::Direct => {
                        target.extend_from_slice(p);
                        target_used = true;
                    }
                    Mode::Nested => {
                        nested.extend_from_slice(p);
                        nested_used = true;
                    }
                    Mode::Owner if row.fam == SPC => cl.owner = true,
                    Mode::Owner => {
                        target.extend_from_slice(p);
                        target_used = true;
                    }
                }
            }
            C::InGroup(p) => {
                cl.sgroup = Some(match neg {
                    Some(x) => (minus(GROUP_SORTED, x.unwrap()), false),
                    None => (p.to_vec(), mode == Mode::Nested),
                });
            }
            C::InSpace(p) => match neg {
                Some(x) => {
                    cl.sspace = Some((minus(&vocab_of(TargetKind::Space), x.unwrap()), false))
                }
                None if mode == Mode::Owner => cl.sspace_owner = true,
                None => cl.sspace = Some((p.to_vec(), mode == Mode::Nested)),
            },
            C::InHs(p) => {
                cl.hs = Some(match neg {
                    Some(x) => (
                        minus(&vocab_of(TargetKind::HandleService), x.unwrap()),
                        false,
                    ),
                    None => (p.to_vec(), mode == Mode::Nested),
                });
            }
            C::Oz(p) => {
                let set = match neg {
                    Some(x) => minus(p, x.unwrap()),
                    None => p.to_vec(),
                };
                if mode == Mode::Nested && neg.is_none() {
                    cl.oz_group.extend(set);
                } else {
                    cl.oz.extend(set);
                }
            }
            C::MemberOfSecond => cl.member_of_second = neg.is_none(),
            C::Owner => {
                if neg.is_some() {
                    target = vocab_of(TargetKind::Space);
                    target_used = true;
                } else {
                    cl.owner = true;
                }
            }
        }
    }
    // `self` on a path naming a relation: the client must be related that way.
    if cl.is_self && matches!(row.fam, Fam::Kind(_)) {
        match row.ex {
            Ex::Direct if !target_used && !cl.owner => target_used = true,
            Ex::Effective if !target_used && !cl.owner => {
                if mode == Mode::Nested {
                    nested_used = true;
                } else {
                    target_used = true;
                }
            }
            _ => {}
        }
    }
    if target_used {
        target.sort_unstable();
        target.dedup();
        cl.target = Some(target);
    }
    if nested_used {
        nested.sort_unstable();
        nested.dedup();
        cl.nested = Some(nested);
    }
    cl
}

/// A client holding every privilege of the target's vocabulary directly.
fn full_holder(row: &Row) -> Client {
    match row.fam {
        Fam::Kind(tk) => Client {
            target: Some(vocab_of(tk)),
            ..Client::c()
        },
        Fam::Users => Client::oz(oz_all()),
        Fam::Me => Client::c(),
    }
}

fn rule_admits_any_user(row: &Row) -> bool {
    match &row.rule {
        Rule::Anyone => true,
        Rule::None => false,
        Rule::Any(alts) => alts
            .iter()
            .any(|a| a.iter().all(|c| matches!(c, C::AnyUser))),
    }
}

fn rule_has_holds(row: &Row) -> bool {
    match &row.rule {
        Rule::Any(alts) => alts.iter().any(|a| has_holds(a)),
        _ => false,
    }
}

// =======================================================================================
// Expected answers
// =======================================================================================

#[derive(Debug, Clone)]
enum Want {
    /// This 2xx status (201: `Location` checked).
    Ok(u16),
    /// 200 with this body.
    Json(Value),
    /// An error: status, id and details (`None` = no `details` key).
    Err(u16, &'static str, Option<Value>),
}

fn e401() -> Want {
    Want::Err(401, "unauthorized", None)
}
fn e403() -> Want {
    Want::Err(403, "forbidden", None)
}
fn e404() -> Want {
    Want::Err(404, "notFound", None)
}
fn malformed() -> Want {
    Want::Err(400, "malformedData", None)
}
fn e400(id: &'static str, details: Value) -> Want {
    Want::Err(400, id, Some(details))
}
fn key_err(id: &'static str, key: &str) -> Want {
    e400(id, json!({ "key": key }))
}
fn not_allowed(key: &str, allowed: &[&str]) -> Want {
    e400(
        "badValueListNotAllowed",
        json!({"key": key, "allowed": allowed}),
    )
}
fn already(child_type: &str, child: &str, parent_type: &str, parent: &str) -> Want {
    Want::Err(
        409,
        "relationAlreadyExists",
        Some(
            json!({"childType": child_type, "childId": child, "parentType": parent_type, "parentId": parent}),
        ),
    )
}
/// `PUT /spaces/{id}/owners/{uid}` for a non-member: details reversed (as Onezone's
/// error puts them).
fn owner_not_member(uid: &str) -> Want {
    e400(
        "relationDoesNotExist",
        json!({"childType": "od_space", "childId": "t", "parentType": "od_user", "parentId": uid}),
    )
}

/// What a client the rule admits gets: the row's success, except that a member adding
/// itself again hits `relationAlreadyExists`.
fn success_want(row: &Row, cl: &Client) -> Want {
    if let (Some(s), Fam::Kind(tk)) = (&row.second, row.fam)
        && s.create == Some(Create::User)
        && cl.is_self
        && cl.direct_in_target()
    {
        return already("user", "c", info(tk).rel_type, "t");
    }
    Want::Ok(row.ok)
}

// ----- bodies ------------------------------------------------------------------------------

fn bytes(v: Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn allowed_of(voc: Option<TargetKind>) -> Vec<&'static str> {
    match voc {
        Some(tk) => vocab_of(tk),
        None => oz_all(),
    }
}

/// A name of another vocabulary.
fn foreign(voc: Option<TargetKind>) -> &'static str {
    match voc {
        Some(TargetKind::Space) => "group_view",
        _ => "space_view",
    }
}

/// A legacy v3 name of the vocabulary, if it has any.
fn legacy_name(voc: Option<TargetKind>) -> Option<&'static str> {
    match voc {
        Some(TargetKind::HandleService) => Some("register_handle"),
        Some(TargetKind::Handle) => Some("handle_view_data"),
        _ => None,
    }
}

/// The grant / revoke of the success body: grant `g` (not held), revoke `g` and `r`
/// (held): `g` ends up granted (grant wins), `r` revoked.
fn grant_revoke_parts(voc: Option<TargetKind>, base: Names) -> (&'static str, &'static str) {
    let all = allowed_of(voc);
    let g = all.into_iter().find(|n| !base.contains(n)).unwrap();
    (g, base[0])
}

/// The success bodies: without and (for optional-`privileges` bodies) with `privileges`.
fn ok_bodies(row: &Row) -> (Vec<u8>, Option<Vec<u8>>) {
    match &row.body {
        Body::None | Body::NoKeys | Body::Ignored => (Vec::new(), None),
        Body::OptPrivs(tk) => (
            Vec::new(),
            Some(bytes(json!({"privileges": [info(*tk).admin_adds[0]]}))),
        ),
        Body::GrantRevoke(voc, base) => {
            let (g, r) = grant_revoke_parts(*voc, base);
            (bytes(json!({"grant": [g], "revoke": [g, r]})), None)
        }
        Body::Legacy(_, send, _) => (bytes(json!({ "privileges": send })), None),
        Body::GroupNew => (bytes(json!({"name": "New group", "type": "unit"})), None),
        Body::Named => (bytes(json!({"name": "New entity"})), None),
        Body::HsNew => (
            bytes(json!({
                "name": "New service",
                "proxyEndpoint": "https://proxy.example.org",
                "serviceProperties": {"type": "DOI", "prefix": "10.5072"}
            })),
            None,
        ),
    }
}

/// Bad values of a privilege-list key.
fn list_errors(key: &str, voc: Option<TargetKind>, legacy_refused: bool) -> Vec<(Value, Want)> {
    let allowed = allowed_of(voc);
    let los = || key_err("badValueListOfStrings", key);
    let na = || not_allowed(key, &allowed);
    let mut out = vec![
        (json!({ key: "x" }), los()),
        (json!({ key: "" }), los()),
        (json!({ key: allowed[0] }), los()),
        (json!({ key: null }), los()),
        (json!({ key: 5 }), los()),
        (json!({ key: true }), los()),
        (json!({ key: {} }), los()),
        (json!({ key: [1] }), los()),
        (json!({ key: [allowed[0], 2.5] }), los()),
        (json!({ key: [["x"]] }), los()),
        (json!({ key: [{}] }), los()),
        (json!({ key: ["nope"] }), na()),
        (json!({ key: [allowed[0], "nope"] }), na()),
        (json!({ key: [foreign(voc)] }), na()),
        (json!({ key: [allowed[0].to_uppercase()] }), na()),
        (json!({ key: [""] }), na()),
        (json!({ key: [null] }), na()),
        (json!({ key: [true] }), na()),
        (json!({ key: [false] }), na()),
    ];
    if legacy_refused && let Some(l) = legacy_name(voc) {
        out.push((json!({ key: [l] }), na()));
    }
    out
}

fn name_errors(rest: Value) -> Vec<(Value, Want)> {
    let with = |name: Value| {
        let mut v = rest.clone();
        v["name"] = name;
        v
    };
    let bvn = Want::Err(400, "badValueName", None);
    vec![
        (rest.clone(), key_err("missingRequiredValue", "name")),
        (with(json!(5)), key_err("badValueString", "name")),
        (with(json!([])), key_err("badValueString", "name")),
        (with(json!({})), key_err("badValueString", "name")),
        (with(json!("a")), bvn.clone()),
        (with(json!("")), bvn.clone()),
        (with(json!(null)), bvn.clone()),
        (with(json!("-ab")), bvn.clone()),
        (with(json!("ab ")), bvn.clone()),
        (with(json!("★ab")), bvn.clone()),
        (with(json!("x".repeat(129))), bvn),
    ]
}

/// Every bad body of a row, with its error (bodies are sent to authorized clients).
fn bad_bodies(row: &Row) -> Vec<(Vec<u8>, Want)> {
    let mut out: Vec<(Value, Want)> = Vec::new();
    match &row.body {
        Body::None | Body::Ignored => {}
        Body::OptPrivs(tk) => out = list_errors("privileges", Some(*tk), true),
        Body::GrantRevoke(voc, _) => {
            let keys = e400(
                "missingAtLeastOneValue",
                json!({"keys": ["grant", "revoke"]}),
            );
            out.push((json!({}), keys.clone()));
            out.push((json!({"privileges": ["x"], "other": 1}), keys));
            out.extend(list_errors("grant", *voc, true));
            out.extend(list_errors("revoke", *voc, true));
            let allowed = allowed_of(*voc);
            out.push((
                json!({"grant": ["nope"], "revoke": "x"}),
                not_allowed("grant", &allowed),
            ));
            out.push((
                json!({"grant": "x", "revoke": ["nope"]}),
                key_err("badValueListOfStrings", "grant"),
            ));
            out.push((
                json!({"grant": [], "revoke": ["nope"]}),
                not_allowed("revoke", &allowed),
            ));
        }
        Body::Legacy(tk, _, _) => {
            out.push((json!({}), key_err("missingRequiredValue", "privileges")));
            out.push((
                json!({"grant": [vocab_of(*tk)[0]]}),
                key_err("missingRequiredValue", "privileges"),
            ));
            out.extend(list_errors("privileges", Some(*tk), false));
        }
        Body::GroupNew => {
            out = name_errors(json!({}));
            out.push((
                json!({"type": "team"}),
                key_err("missingRequiredValue", "name"),
            ));
            let types = json!(["organization", "unit", "team", "role_holders"]);
            for bad in [json!("x"), json!("Team"), json!("")] {
                out.push((
                    json!({"name": "ok name", "type": bad}),
                    e400(
                        "badValueNotAllowed",
                        json!({"key": "type", "allowed": types}),
                    ),
                ));
            }
            for bad in [json!(5), json!([]), json!({})] {
                out.push((
                    json!({"name": "ok name", "type": bad}),
                    key_err("badValueString", "type"),
                ));
            }
            out.push((
                json!({"name": 5, "type": "x"}),
                key_err("badValueString", "name"),
            ));
            out.push((
                json!({"name": "a", "type": 5}),
                Want::Err(400, "badValueName", None),
            ));
        }
        Body::HsNew => {
            let props = json!({"type": "DOI", "prefix": "10.5072"});
            out = name_errors(json!({"proxyEndpoint": "https://p", "serviceProperties": props}));
            out.push((json!({}), key_err("missingRequiredValue", "name")));
            out.push((json!({"name": 5}), key_err("badValueString", "name")));
            out.push((
                json!({"name": "a", "proxyEndpoint": ""}),
                Want::Err(400, "badValueName", None),
            ));
            out.push((
                json!({"name": "ok hs"}),
                key_err("missingRequiredValue", "proxyEndpoint"),
            ));
            out.push((
                json!({"name": "ok hs", "proxyEndpoint": 5}),
                key_err("badValueString", "proxyEndpoint"),
            ));
            out.push((
                json!({"name": "ok hs", "proxyEndpoint": "https://p"}),
                key_err("missingRequiredValue", "serviceProperties"),
            ));
            for (bad, want) in [
                (json!(""), key_err("badValueEmpty", "proxyEndpoint")),
                (json!(null), key_err("badValueEmpty", "proxyEndpoint")),
                (json!(5), key_err("badValueString", "proxyEndpoint")),
                (json!([]), key_err("badValueString", "proxyEndpoint")),
                (json!({}), key_err("badValueString", "proxyEndpoint")),
            ] {
                out.push((
                    json!({"name": "ok hs", "proxyEndpoint": bad, "serviceProperties": props}),
                    want,
                ));
            }
            for (bad, want) in [
                (json!({}), key_err("badValueEmpty", "serviceProperties")),
                (json!("x"), key_err("badValueJSON", "serviceProperties")),
                (json!(5), key_err("badValueJSON", "serviceProperties")),
                (json!([1]), key_err("badValueJSON", "serviceProperties")),
                (json!(true), key_err("badValueJSON", "serviceProperties")),
                (json!(null), key_err("badValueJSON", "serviceProperties")),
            ] {
                out.push((
                    json!({"name": "ok hs", "proxyEndpoint": "https://p", "serviceProperties": bad}),
                    want,
                ));
            }
        }
        Body::Named | Body::NoKeys => {}
    }
    // An empty body is `{}`, as in Onezone.
    let empty = out
        .iter()
        .find(|(v, _)| *v == json!({}))
        .map(|(_, w)| w.clone());
    let mut out: Vec<(Vec<u8>, Want)> = out.into_iter().map(|(v, w)| (bytes(v), w)).collect();
    if let Some(w) = empty {
        out.push((Vec::new(), w));
    }
    if !matches!(row.body, Body::Ignored) {
        for non_object in ["[]", "[\"x\"]", "\"text\"", "42", "true", "null"] {
            out.push((non_object.as_bytes().to_vec(), malformed()));
        }
    }
    for garbage in [
        "{",
        "not json",
        "{\"grant\": [",
        "{\"privileges\": [\"a\",]}",
    ] {
        out.push((garbage.as_bytes().to_vec(), malformed()));
    }
    out
}

// =======================================================================================
// The harness
// =======================================================================================

/// One request to send and its expected answer.
#[derive(Debug, Clone)]
struct Check {
    label: String,
    client: Client,
    /// The ids put in the path (`None` = the defaults).
    prim: Option<String>,
    second: Option<String>,
    body: Vec<u8>,
    want: Want,
    /// After a success: a GET (by root, or by `c` on `/user` rows) and its answer.
    follow: Option<(String, Value)>,
}

fn prim_default(row: &Row) -> Option<&'static str> {
    match row.fam {
        Fam::Kind(_) => Some("t"),
        Fam::Users => Some("m"),
        Fam::Me => None,
    }
}

fn missing_prim(row: &Row) -> &'static str {
    match row.fam {
        Fam::Users => "nouser",
        _ => "nope",
    }
}

fn render(row: &Row, cl: &Client, prim: Option<&str>, second: Option<&str>) -> String {
    let mut path = row.path.to_owned();
    let prim = match (row.fam, cl.is_self) {
        (Fam::Users, true) if prim.is_none() => Some("c"),
        _ => prim.or(prim_default(row)),
    };
    match (row.fam, prim) {
        (Fam::Kind(_), Some(p)) => path = path.replace("{id}", p),
        (Fam::Users, Some(p)) => path = path.replace("{uid}", p),
        _ => {}
    }
    if let Some(s) = &row.second {
        let id = match second {
            Some(id) => id,
            None if cl.is_self && s.is_user => "c",
            None => &s.default,
        };
        path = path.replace(s.ph, id);
    }
    path
}

fn check(label: impl Into<String>, client: Client, body: &[u8], want: Want) -> Check {
    Check {
        label: label.into(),
        client,
        prim: None,
        second: None,
        body: body.to_vec(),
        want,
        follow: None,
    }
}

impl Check {
    fn prim(mut self, id: &str) -> Self {
        self.prim = Some(id.into());
        self
    }
    fn second(mut self, id: &str) -> Self {
        self.second = Some(id.into());
        self
    }
}

/// The GET root runs after its own success, and the answer it expects.
fn root_follow(row: &Row, with_p: bool) -> Option<(String, Value)> {
    let path = render(row, &Client::root(), None, None);
    if let Some((p, v)) = &row.follow {
        return Some((p.to_string(), v.clone()));
    }
    match &row.body {
        Body::GrantRevoke(voc, base) => {
            let (g, r) = grant_revoke_parts(*voc, base);
            let mut now: Vec<&str> = base.iter().copied().filter(|n| *n != r).collect();
            now.push(g);
            Some((path, privileges(&now)))
        }
        Body::Legacy(_, _, stored) => Some((path, privileges(stored))),
        Body::OptPrivs(tk) => {
            let expected = if with_p {
                privileges(&[info(*tk).admin_adds[0]])
            } else {
                privileges(info(*tk).member)
            };
            Some((format!("{path}/privileges"), expected))
        }
        _ => None,
    }
}

/// Every check of a row (see the module documentation).
fn checks(row: &Row) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::new();
    let (ok_body, p_body) = ok_bodies(row);
    let has_body = matches!(row.method, "POST" | "PUT" | "PATCH");
    let me = row.fam == Fam::Me;
    let alts: Vec<Vec<C>> = match &row.rule {
        Rule::Any(alts) => alts.clone(),
        _ => Vec::new(),
    };
    let admin_all: Vec<&'static str> = sorted(&[row.admin, row.admin_p]);

    // --- correct clients -----------------------------------------------------------------
    if !me {
        let want = match &row.expect {
            Some(v) => Want::Json(v.clone()),
            None => Want::Ok(row.ok),
        };
        let mut ck = check("root", Client::root(), &ok_body, want);
        ck.follow = root_follow(row, false);
        out.push(ck);
        if let Some(pb) = &p_body {
            let mut ck = check(
                "root, body with privileges",
                Client::root(),
                pb,
                Want::Ok(row.ok),
            );
            ck.follow = root_follow(row, true);
            out.push(ck);
        }
    }
    if matches!(row.rule, Rule::Anyone) {
        let want = match &row.expect {
            Some(v) => Want::Json(v.clone()),
            None => Want::Ok(row.ok),
        };
        out.push(check(
            "nobody (anyone may)",
            Client::nobody(),
            &ok_body,
            want.clone(),
        ));
        out.push(check("a user (anyone may)", Client::c(), &ok_body, want));
    }
    for (ai, alt) in alts.iter().enumerate() {
        for mode in modes(row, alt) {
            let mut bodies = vec![(false, ok_body.clone())];
            if let Some(pb) = &p_body {
                bodies.push((true, pb.clone()));
            }
            for (with_p, body) in bodies {
                let cl = build(row, alt, mode, with_p, None);
                let mut want = success_want(row, &cl);
                if me
                    && ai == 0
                    && mode == Mode::Direct
                    && let Some(v) = &row.expect
                {
                    want = Want::Json(v.clone());
                }
                let label = format!(
                    "rule alternative {ai} met ({mode:?}){}: {cl:?}",
                    if with_p { ", body with privileges" } else { "" }
                );
                out.push(check(label, cl, &body, want));
            }
        }
    }
    if !row.admin.is_empty() {
        out.push(check(
            format!("admin with exactly {:?}", row.admin),
            Client::oz(row.admin.to_vec()),
            &ok_body,
            Want::Ok(row.ok),
        ));
        out.push(check(
            format!("admin with {:?} through a group", row.admin),
            Client {
                oz_group: row.admin.to_vec(),
                ..Client::c()
            },
            &ok_body,
            Want::Ok(row.ok),
        ));
        if let Some(pb) = &p_body {
            out.push(check(
                format!("admin with exactly {admin_all:?}, body with privileges"),
                Client::oz(admin_all.clone()),
                pb,
                Want::Ok(row.ok),
            ));
        }
    }

    // --- refused clients --------------------------------------------------------------------
    if !matches!(row.rule, Rule::Anyone) {
        out.push(check("nobody", Client::nobody(), &ok_body, e401()));
    }
    if !rule_admits_any_user(row) {
        out.push(check("a user with nothing", Client::c(), &ok_body, e403()));
        if !rule_has_holds(row)
            && let Fam::Kind(tk) = row.fam
        {
            out.push(check(
                "a member holding every privilege in the target",
                Client {
                    target: Some(vocab_of(tk)),
                    ..Client::c()
                },
                &ok_body,
                e403(),
            ));
        }
    }
    for (ai, alt) in alts.iter().enumerate() {
        for (ci, cond) in alt.iter().enumerate() {
            let missing: Vec<Option<&'static str>> = match *cond {
                C::Holds(p)
                | C::HoldsIfP(p)
                | C::InGroup(p)
                | C::InSpace(p)
                | C::InHs(p)
                | C::Oz(p) => p.iter().map(|x| Some(*x)).collect(),
                C::IsSelf | C::MemberOfSecond | C::Owner => vec![None],
                C::AnyUser => continue,
            };
            let with_p = matches!(cond, C::HoldsIfP(_));
            let body = if with_p {
                p_body.clone().unwrap()
            } else {
                ok_body.clone()
            };
            for x in missing {
                let cl = build(row, alt, Mode::Direct, with_p, Some((ci, x)));
                let what = match x {
                    Some(x) => format!("lacking only {x}"),
                    None => format!("not {cond:?}"),
                };
                out.push(check(
                    format!("rule alternative {ai} {what}: {cl:?}"),
                    cl,
                    &body,
                    e403(),
                ));
            }
        }
    }
    for x in row.admin {
        out.push(check(
            format!("admin lacking {x}"),
            Client::oz(minus(row.admin, x)),
            &ok_body,
            e403(),
        ));
    }
    if let Some(pb) = &p_body
        && !row.admin.is_empty()
    {
        for x in &admin_all {
            out.push(check(
                format!("admin lacking {x}, body with privileges"),
                Client::oz(minus(&admin_all, x)),
                pb,
                e403(),
            ));
        }
    }

    // --- existence --------------------------------------------------------------------------
    let admin_client = || Client::oz(admin_all.clone());
    if !me && matches!(row.ex, Ex::Entity | Ex::Direct | Ex::Effective) {
        let miss = missing_prim(row);
        let mut clients = vec![
            ("nobody", Client::nobody()),
            ("root", Client::root()),
            ("a user with nothing", Client::c()),
            ("a member holding everything in t", full_holder(row)),
        ];
        if !row.admin.is_empty() {
            clients.push(("admin", admin_client()));
        }
        for (label, cl) in clients {
            out.push(check(format!("{label}, missing {miss}"), cl, &ok_body, e404()).prim(miss));
        }
    }
    if row.ex == Ex::AtApply {
        let miss = missing_prim(row);
        out.push(check("root, missing group", Client::root(), &ok_body, e404()).prim(miss));
        out.push(check("admin, missing group", admin_client(), &ok_body, e404()).prim(miss));
        out.push(check("nobody, missing group", Client::nobody(), &ok_body, e401()).prim(miss));
        out.push(check("a user, missing group", Client::c(), &ok_body, e403()).prim(miss));
        if let Some(alt) = alts.first() {
            let cl = build(row, alt, Mode::Direct, false, None);
            out.push(
                check(
                    format!("a holder in t, missing group: {cl:?}"),
                    cl,
                    &ok_body,
                    e403(),
                )
                .prim(miss),
            );
        }
    }
    if let Some(s) = &row.second
        && matches!(row.ex, Ex::Direct | Ex::Effective)
    {
        let mut cases = vec![(s.missing.clone(), false)];
        if let Some(u) = &s.unrelated {
            cases.push((u.clone(), false));
        }
        if let Some(e) = &s.eff_only {
            cases.push((e.clone(), row.ex == Ex::Effective));
        }
        for (id, ok) in cases {
            if ok {
                let want = match &row.expect_eff {
                    Some(v) => Want::Json(v.clone()),
                    None => Want::Ok(row.ok),
                };
                out.push(
                    check(
                        format!("root, effective-only {id}"),
                        Client::root(),
                        &ok_body,
                        want,
                    )
                    .second(&id),
                );
                continue;
            }
            if me {
                out.push(
                    check(format!("the user, {id}"), Client::c(), &ok_body, e404()).second(&id),
                );
                out.push(
                    check(format!("nobody, {id}"), Client::nobody(), &ok_body, e401()).second(&id),
                );
                continue;
            }
            let mut clients = vec![
                ("nobody", Client::nobody()),
                ("root", Client::root()),
                ("a member holding everything in t", full_holder(row)),
            ];
            if !row.admin.is_empty() {
                clients.push(("admin", admin_client()));
            }
            for (label, cl) in clients {
                out.push(
                    check(format!("{label}, second id {id}"), cl, &ok_body, e404()).second(&id),
                );
            }
        }
    }
    if let (Some(s), Some(create), Fam::Kind(tk)) = (
        &row.second,
        row.second.as_ref().and_then(|s| s.create),
        row.fam,
    ) {
        let invalid = |id: &str| match create {
            Create::User => key_err("badValueIdNotFound", "userId"),
            Create::Group => key_err("badValueIdNotFound", "groupId"),
            Create::Space => key_err("badValueIdNotFound", "spaceId"),
            Create::Owner => owner_not_member(id),
        };
        let miss = s.missing.as_str();
        out.push(
            check(
                "root, missing second id",
                Client::root(),
                &ok_body,
                invalid(miss),
            )
            .second(miss),
        );
        if !row.admin.is_empty() {
            out.push(
                check(
                    "admin, missing second id",
                    admin_client(),
                    &ok_body,
                    invalid(miss),
                )
                .second(miss),
            );
        }
        out.push(
            check(
                "nobody, missing second id",
                Client::nobody(),
                &ok_body,
                e401(),
            )
            .second(miss),
        );
        if let Some(alt) = alts.first() {
            let cl = build(row, alt, Mode::Direct, false, None);
            let needs_second = alt
                .iter()
                .any(|c| matches!(c, C::IsSelf | C::InGroup(_) | C::InSpace(_)));
            let want = if needs_second { e403() } else { invalid(miss) };
            let mut cl = cl;
            cl.is_self = false;
            out.push(
                check(
                    format!("rule holder, missing second id: {cl:?}"),
                    cl,
                    &ok_body,
                    want,
                )
                .second(miss),
            );
        }
        if matches!(create, Create::User | Create::Group) {
            // The path id is a required key: checked before `privileges`.
            out.push(
                check(
                    "root, missing second id and bad privileges",
                    Client::root(),
                    &bytes(json!({"privileges": "garbage"})),
                    invalid(miss),
                )
                .second(miss),
            );
        }
        if let (Create::Owner, Some(u)) = (create, &s.unrelated) {
            out.push(check("root, a non-member", Client::root(), &ok_body, invalid(u)).second(u));
        }
        if let Some(ex) = &s.existing {
            let want = match create {
                Create::User => already("user", ex, info(tk).rel_type, "t"),
                Create::Group => already("group", ex, info(tk).rel_type, "t"),
                Create::Space => already("harvester", "t", "space", ex),
                Create::Owner => Want::Err(409, "alreadyExists", None),
            };
            out.push(
                check(
                    format!("root, already related {ex}"),
                    Client::root(),
                    &ok_body,
                    want,
                )
                .second(ex),
            );
        }
        if let Some(e) = &s.eff_only {
            out.push(
                check(
                    format!("root, effective-only {e}"),
                    Client::root(),
                    &ok_body,
                    Want::Ok(row.ok),
                )
                .second(e),
            );
        }
    }

    // --- bodies -------------------------------------------------------------------------------
    if has_body {
        let bad = bad_bodies(row);
        let authorized: Vec<(String, Client)> = {
            let mut v = Vec::new();
            if !me {
                v.push(("root".to_owned(), Client::root()));
            }
            if !row.admin.is_empty() {
                v.push((format!("admin {admin_all:?}"), admin_client()));
            }
            if let Some(alt) = alts.first() {
                let cl = build(row, alt, Mode::Direct, p_body.is_some(), None);
                v.push((format!("rule holder {cl:?}"), cl));
            }
            v
        };
        for (body, want) in &bad {
            for (label, cl) in &authorized {
                out.push(check(
                    format!("{label}, bad body"),
                    cl.clone(),
                    body,
                    want.clone(),
                ));
            }
        }
        let garbage = b"{".to_vec();
        let parseable = bad
            .iter()
            .position(|(b, _)| serde_json::from_slice::<Value>(b).is_ok());
        if let Some(i) = parseable {
            let first_bad = &bad[i].0;
            if !matches!(row.rule, Rule::Anyone) {
                out.push(check(
                    "nobody, bad body",
                    Client::nobody(),
                    first_bad,
                    e401(),
                ));
            }
            if !rule_admits_any_user(row) {
                out.push(check(
                    "a user with nothing, bad body",
                    Client::c(),
                    first_bad,
                    e403(),
                ));
            }
            if !me
                && matches!(
                    row.ex,
                    Ex::Entity | Ex::Direct | Ex::Effective | Ex::AtApply
                )
            {
                let want = if row.ex == Ex::AtApply {
                    bad[i].1.clone()
                } else {
                    e404()
                };
                out.push(
                    check(
                        "root, missing entity, bad body",
                        Client::root(),
                        first_bad,
                        want,
                    )
                    .prim(missing_prim(row)),
                );
            }
        }
        out.push(check(
            "nobody, unparseable body",
            Client::nobody(),
            &garbage,
            malformed(),
        ));
        out.push(check(
            "a user with nothing, unparseable body",
            Client::c(),
            &garbage,
            malformed(),
        ));
        if !me
            && matches!(
                row.ex,
                Ex::Entity | Ex::Direct | Ex::Effective | Ex::AtApply
            )
        {
            let miss = missing_prim(row);
            out.push(
                check(
                    "nobody, missing entity, unparseable body",
                    Client::nobody(),
                    &garbage,
                    malformed(),
                )
                .prim(miss),
            );
            out.push(
                check(
                    "root, missing entity, unparseable body",
                    Client::root(),
                    &garbage,
                    malformed(),
                )
                .prim(miss),
            );
        }
        if let Some(s) = &row.second
            && matches!(row.ex, Ex::Direct | Ex::Effective)
        {
            out.push(
                check(
                    "nobody, missing relation, unparseable body",
                    Client::nobody(),
                    &garbage,
                    malformed(),
                )
                .second(&s.missing),
            );
        }
        // A `privileges` key, whatever its value, needs the set-privileges privilege first.
        let garbage_p = bytes(json!({"privileges": "garbage"}));
        for (ai, alt) in alts.iter().enumerate() {
            if let Some(ci) = alt.iter().position(|c| matches!(c, C::HoldsIfP(_))) {
                let C::HoldsIfP(p) = alt[ci] else {
                    unreachable!()
                };
                let cl = build(row, alt, Mode::Nested, true, Some((ci, Some(p[0]))));
                out.push(check(
                    format!(
                        "rule alternative {ai} without {}, bad privileges: {cl:?}",
                        p[0]
                    ),
                    cl,
                    &garbage_p,
                    e403(),
                ));
            }
        }
        if !row.admin_p.is_empty() {
            out.push(check(
                "admin without the privileges-key privileges, bad privileges",
                Client::oz(row.admin.to_vec()),
                &garbage_p,
                e403(),
            ));
        }
    } else {
        // GET and DELETE read no body.
        let cl = match (me, rule_admits_any_user(row)) {
            (false, _) => Client::root(),
            (true, true) => Client::c(),
            (true, false) => admin_client(),
        };
        out.push(check(
            "a body on a route that reads none",
            cl,
            b"{",
            Want::Ok(row.ok),
        ));
    }
    out
}

#[derive(Default)]
struct Harness {
    failures: Vec<String>,
    requests: usize,
    rows: usize,
    dry_runs: usize,
}

fn show(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    if s.len() > 80 {
        format!("{}…", &s[..80])
    } else {
        s.into_owned()
    }
}

/// Compares an answer with what is wanted; `None` when it matches.
fn mismatch(want: &Want, resp: &Response, method: &str, path: &str) -> Option<String> {
    match want {
        Want::Ok(status) => {
            if resp.status != *status {
                return Some(format!("want {status}"));
            }
            if *status == 201 {
                let loc = resp.location.as_deref().unwrap_or("");
                let good = if method == "PUT" {
                    loc == path
                } else {
                    loc.strip_prefix(path)
                        .and_then(|rest| rest.strip_prefix('/'))
                        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
                };
                if !good {
                    return Some(format!(
                        "want 201 with Location {path}[/new id], got Location {loc:?}"
                    ));
                }
            }
            if matches!(*status, 201 | 204) && resp.json().is_some() {
                return Some(format!("want {status} without a body"));
            }
            None
        }
        Want::Json(v) => {
            (resp.status != 200 || resp.json().as_ref() != Some(v)).then(|| format!("want 200 {v}"))
        }
        Want::Err(status, id, details) => {
            let json = resp.json();
            let error = json.as_ref().and_then(|b| b.get("error"));
            let got_id = error.and_then(|e| e.get("id")).and_then(Value::as_str);
            let got_details = error.and_then(|e| e.get("details"));
            // Onezone's error body: `{"error": {"id", "details"?, "description"}}`.
            let shaped = error.and_then(Value::as_object).is_some_and(|e| {
                e.get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.is_empty())
                    && e.keys()
                        .all(|k| ["id", "details", "description"].contains(&k.as_str()))
            });
            (resp.status != *status
                || got_id != Some(*id)
                || got_details != details.as_ref()
                || !shaped)
                .then(|| match details {
                    Some(d) => format!("want {status} {id} {d}"),
                    None => format!("want {status} {id} (no details)"),
                })
        }
    }
}

fn describe(resp: &Response) -> String {
    match &resp.json() {
        Some(b) => {
            let mut b = b.clone();
            if let Some(e) = b.get_mut("error").and_then(Value::as_object_mut) {
                e.remove("description");
            }
            format!("{} {b}", resp.status)
        }
        None => format!("{} (location {:?})", resp.status, resp.location),
    }
}

impl Harness {
    fn run_row(&mut self, row: &Row) {
        self.rows += 1;
        for ck in checks(row) {
            self.run(row, &ck);
        }
    }

    fn run(&mut self, row: &Row, ck: &Check) {
        let mut graph = base(row.fam);
        apply(&mut graph, row, &ck.client);
        let mut engine = Engine::new(graph);
        let path = render(row, &ck.client, ck.prim.as_deref(), ck.second.as_deref());
        let before = engine.graph().clone();
        // The dry run first: it must change nothing and agree with the execution.
        let decision = rest::Request::parse(row.method, &path, &ck.body)
            .ok()
            .map(|request| {
                engine.authorize(&ck.client.auth(), request.operation(), request.body())
            });
        let dry_run_changed = engine.graph() != &before;
        let resp = rest::handle(&mut engine, &ck.client.auth(), row.method, &path, &ck.body);
        self.requests += 1;
        let mut problems = Vec::new();
        if dry_run_changed {
            problems.push("the dry run changed the graph".to_owned());
        }
        if let Some(decision) = &decision {
            self.dry_runs += 1;
            let agrees = match decision {
                Decision::NotFound => resp.status == 404,
                Decision::Denied(_) => matches!(resp.status, 401 | 403),
                Decision::Allowed { .. } => !matches!(resp.status, 401 | 403 | 404),
            };
            if !agrees {
                problems.push(format!("the dry run decided {decision:?}"));
            }
        }
        if let Some(p) = mismatch(&ck.want, &resp, row.method, &path) {
            problems.push(format!("{p}; got {}", describe(&resp)));
        }
        if resp.status >= 300 && engine.graph() != &before {
            problems.push(format!(
                "a failed request ({}) changed the graph",
                resp.status
            ));
        }
        if problems.is_empty()
            && resp.status < 300
            && let Some((follow, expected)) = &ck.follow
        {
            let auth = if row.fam == Fam::Me {
                Auth::User("c".into())
            } else {
                Auth::Root
            };
            let after = rest::handle(&mut engine, &auth, "GET", follow, b"");
            self.requests += 1;
            if after.status != 200 || after.json().as_ref() != Some(expected) {
                problems.push(format!(
                    "afterwards GET {follow}: want 200 {expected}; got {}",
                    describe(&after)
                ));
            }
        }
        for p in problems {
            self.failures.push(format!(
                "{} {} | {} | {} {} body={:?}: {p}",
                row.method,
                row.path,
                ck.label,
                row.method,
                path,
                show(&ck.body)
            ));
        }
    }

    fn finish(self, family: &str) {
        eprintln!(
            "{family}: {} rows, {} requests ({} also as dry runs), {} mismatches",
            self.rows,
            self.requests,
            self.dry_runs,
            self.failures.len()
        );
        if !self.failures.is_empty() {
            let shown: Vec<&String> = self.failures.iter().take(400).collect();
            panic!(
                "{family}: {} of {} requests disagree with the reference:\n{}",
                self.failures.len(),
                self.requests,
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

fn run_family(family: &str, rows: Vec<Row>) {
    let mut h = Harness::default();
    for row in &rows {
        h.run_row(row);
    }
    h.finish(family);
}

#[test]
fn table_groups() {
    run_family("groups", group_rows());
}

#[test]
fn table_users_and_own_view() {
    run_family("users", user_rows());
}

#[test]
fn table_spaces() {
    run_family("spaces", space_rows());
}

#[test]
fn table_handle_services() {
    run_family("handle services", handle_service_rows());
}

#[test]
fn table_handles() {
    run_family("handles", handle_rows());
}

#[test]
fn table_harvesters() {
    run_family("harvesters", harvester_rows());
}

#[test]
fn table_clusters() {
    run_family("clusters", cluster_rows());
}

#[test]
fn table_atm_inventories() {
    run_family("atm inventories", inventory_rows());
}

/// Normalizes `{name}` placeholders so that route patterns compare.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The table and the served routes are the same set.
#[test]
fn table_covers_every_served_route() {
    let served: BTreeSet<(String, String)> = rest::routes()
        .map(|(m, p)| (m.to_owned(), shape(p)))
        .collect();
    let rows: Vec<(String, String)> = table()
        .iter()
        .map(|r| (r.method.to_owned(), shape(r.path)))
        .collect();
    let listed: BTreeSet<(String, String)> = rows.iter().cloned().collect();
    assert_eq!(rows.len(), listed.len(), "a route is listed twice");
    let unlisted: Vec<_> = served.difference(&listed).collect();
    let unserved: Vec<_> = listed.difference(&served).collect();
    assert!(
        unlisted.is_empty() && unserved.is_empty(),
        "served but not in the table: {unlisted:?}\nin the table but not served: {unserved:?}"
    );
}

/// The vocabularies copied from the reference have the sizes it states.
#[test]
fn reference_vocabularies_have_the_stated_sizes() {
    assert_eq!(GROUP.vocab(), GROUP_SORTED);
    let sizes: Vec<(usize, usize)> = ALL_KINDS
        .iter()
        .map(|k| (k.member.len(), k.vocab().len()))
        .collect();
    assert_eq!(
        sizes,
        [(1, 23), (4, 39), (3, 6), (1, 3), (1, 11), (1, 9), (1, 11)]
    );
    assert_eq!(oz_all().len(), 91);
    assert_eq!(OZ_VIEWER.len(), 29);
}

// =======================================================================================
// Scenarios: the worked examples and the rules that span several requests
// =======================================================================================

/// An engine and one-line requests with checked answers.
struct Sc {
    e: Engine,
}

fn who(w: &str) -> Auth {
    match w {
        "root" => Auth::Root,
        "nobody" => Auth::Nobody,
        id => Auth::User(id.into()),
    }
}

impl Sc {
    fn new(build: impl FnOnce(&mut Graph)) -> Sc {
        let mut g = Graph::new();
        build(&mut g);
        Sc { e: Engine::new(g) }
    }

    fn call(&mut self, w: &str, method: &str, path: &str, body: &str) -> Response {
        rest::handle(&mut self.e, &who(w), method, path, body.as_bytes())
    }

    /// A 2xx answer with this status; returns the response.
    #[track_caller]
    fn ok(&mut self, w: &str, method: &str, path: &str, body: &str, status: u16) -> Response {
        let resp = self.call(w, method, path, body);
        assert_eq!(
            resp.status,
            status,
            "{w}: {method} {path} {body} → {}",
            describe(&resp)
        );
        resp
    }

    /// 200 with exactly this body.
    #[track_caller]
    fn json(&mut self, w: &str, path: &str, expected: Value) {
        let resp = self.call(w, "GET", path, "");
        assert!(
            resp.status == 200 && resp.json().as_ref() == Some(&expected),
            "{w}: GET {path}: want 200 {expected}, got {}",
            describe(&resp)
        );
    }

    /// 200 with a list answer equal to `ids` as a set.
    #[track_caller]
    fn set(&mut self, w: &str, path: &str, key: &str, ids: &[&str]) {
        let resp = self.call(w, "GET", path, "");
        let got: Option<BTreeSet<String>> = resp
            .json()
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            });
        let want: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
        assert!(
            resp.status == 200 && got.as_ref() == Some(&want),
            "{w}: GET {path}: want 200 {key} = {want:?}, got {}",
            describe(&resp)
        );
    }

    /// An error with this status, id and details; the graph must not change.
    #[allow(clippy::too_many_arguments)] // a request and its error, spelled out at each call
    #[track_caller]
    fn err(
        &mut self,
        w: &str,
        method: &str,
        path: &str,
        body: &str,
        status: u16,
        id: &str,
        details: Option<Value>,
    ) {
        let before = self.e.graph().clone();
        let resp = self.call(w, method, path, body);
        let json = resp.json();
        let error = json.as_ref().and_then(|b| b.get("error"));
        let got_id = error.and_then(|e| e.get("id")).and_then(Value::as_str);
        let got_details = error.and_then(|e| e.get("details"));
        assert!(
            resp.status == status && got_id == Some(id) && got_details == details.as_ref(),
            "{w}: {method} {path} {body}: want {status} {id} {details:?}, got {}",
            describe(&resp)
        );
        assert!(
            self.e.graph() == &before,
            "{w}: {method} {path}: a failed request changed the graph"
        );
    }

    #[track_caller]
    fn forbidden(&mut self, w: &str, method: &str, path: &str, body: &str) {
        self.err(w, method, path, body, 403, "forbidden", None);
    }

    #[track_caller]
    fn not_found(&mut self, w: &str, method: &str, path: &str, body: &str) {
        self.err(w, method, path, body, 404, "notFound", None);
    }

    fn graph(&mut self) -> &mut Graph {
        self.e.graph_mut()
    }
}

fn users(g: &mut Graph, ids: &[&str]) {
    for id in ids {
        user(g, id);
    }
}
fn groups(g: &mut Graph, ids: &[&str]) {
    for id in ids {
        group(g, id);
    }
}

const GR: TargetKind = TargetKind::Group;
const SP: TargetKind = TargetKind::Space;
const HS: TargetKind = TargetKind::HandleService;
const HA: TargetKind = TargetKind::Handle;

/// A worked example of nesting and what it means for requests.
fn groups_5_6() -> Sc {
    Sc::new(|g| {
        groups(g, &["top", "mid", "side", "bottom"]);
        users(g, &["alice", "bob", "carol"]);
        add_group(g, GR, "top", "mid", &["group_view"]);
        add_group(g, GR, "top", "side", &["group_remove_child", "group_view"]);
        add_group(g, GR, "mid", "bottom", &["group_add_user", "group_view"]);
        add_group(g, GR, "side", "bottom", &["group_view"]);
        add_user(g, GR, "bottom", "alice", GROUP_SORTED);
        add_user(g, GR, "top", "alice", &["group_set_privileges"]);
        add_user(
            g,
            GR,
            "mid",
            "bob",
            &["group_view", "group_view_privileges"],
        );
        add_user(g, GR, "side", "carol", &[]);
    })
}

#[test]
fn groups_5_6_effective_results() {
    let mut sc = groups_5_6();
    sc.json(
        "root",
        "/groups/top/effective_users",
        list("users", &["alice", "bob", "carol"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_children",
        list("groups", &["bottom", "mid", "side"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/alice/privileges",
        privileges(&["group_remove_child", "group_set_privileges", "group_view"]),
    );
    sc.json(
        "root",
        "/groups/mid/effective_users/alice/privileges",
        privileges(&["group_add_user", "group_view"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/bob/privileges",
        privileges(&["group_view"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/carol/privileges",
        privileges(&["group_remove_child", "group_view"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_children/bottom/privileges",
        privileges(&["group_remove_child", "group_view"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/alice/membership",
        intermediaries(&[("group", "mid"), ("group", "self"), ("group", "side")]),
    );
    sc.json(
        "root",
        "/groups/top/effective_children/bottom/membership",
        intermediaries(&[("group", "mid"), ("group", "side")]),
    );
}

#[test]
fn groups_5_6_consequences_for_requests() {
    let mut sc = groups_5_6();
    sc.json("bob", "/groups/top/users", list("users", &["alice"]));
    sc.forbidden(
        "bob",
        "GET",
        "/groups/top/effective_users/alice/privileges",
        "",
    );
    sc.json(
        "bob",
        "/groups/top/effective_users/bob/privileges",
        privileges(&["group_view"]),
    );
    sc.not_found("alice", "GET", "/groups/top/users/bob/privileges", "");
    sc.forbidden("alice", "PUT", "/groups/top/children/bottom", "");
    sc.forbidden("alice", "PUT", "/groups/top/users/alice", "");
    sc.not_found("bob", "DELETE", "/user/groups/top", "");

    let mut sc = groups_5_6();
    sc.ok(
        "alice",
        "PATCH",
        "/groups/top/children/mid/privileges",
        r#"{"grant": ["group_add_user"]}"#,
        204,
    );
    sc.json(
        "root",
        "/groups/top/effective_users/bob/privileges",
        privileges(&["group_add_user", "group_view"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/alice/privileges",
        privileges(&[
            "group_add_user",
            "group_remove_child",
            "group_set_privileges",
            "group_view",
        ]),
    );

    let mut sc = groups_5_6();
    sc.ok("carol", "DELETE", "/groups/top/children/mid", "", 204);
    sc.json("root", "/groups/top/children", list("groups", &["side"]));

    let mut sc = groups_5_6();
    oz_user(
        sc.graph(),
        "alice",
        &["oz_groups_add_relationships", "oz_users_add_relationships"],
    );
    sc.err(
        "alice",
        "PUT",
        "/groups/top/users/alice",
        "",
        409,
        "relationAlreadyExists",
        Some(json!({"childType": "user", "childId": "alice", "parentType": "group", "parentId": "top"})),
    );

    let mut sc = groups_5_6();
    sc.ok("alice", "DELETE", "/user/groups/top", "", 204);
    sc.json("root", "/groups/top/users", list("users", &[]));
    sc.json(
        "root",
        "/groups/top/effective_users",
        list("users", &["alice", "bob", "carol"]),
    );
    sc.json(
        "root",
        "/groups/top/effective_users/alice/membership",
        intermediaries(&[("group", "mid"), ("group", "side")]),
    );
}

/// Oz privileges through nesting.
#[test]
fn groups_5_7_oz_privileges_through_nesting() {
    let build = || {
        Sc::new(|g| {
            groups(g, &["ops", "auditors", "other"]);
            users(g, &["dave", "erin", "zed"]);
            oz_group(
                g,
                "ops",
                &["oz_groups_list_relationships", "oz_view_privileges"],
            );
            oz_group(g, "auditors", &["oz_users_list"]);
            oz_user(g, "dave", &["oz_groups_view"]);
            add_group(g, GR, "ops", "auditors", &[]);
            add_user(g, GR, "auditors", "dave", &[]);
            add_user(g, GR, "other", "zed", &["group_view"]);
        })
    };
    let mut sc = build();
    sc.json(
        "dave",
        "/users/dave/privileges",
        privileges(&["oz_groups_view"]),
    );
    sc.json(
        "dave",
        "/users/dave/effective_privileges",
        privileges(&[
            "oz_groups_list_relationships",
            "oz_groups_view",
            "oz_users_list",
            "oz_view_privileges",
        ]),
    );
    sc.json(
        "dave",
        "/groups/auditors/effective_privileges",
        privileges(&[
            "oz_groups_list_relationships",
            "oz_users_list",
            "oz_view_privileges",
        ]),
    );
    sc.forbidden("erin", "GET", "/groups/ops/privileges", "");
    sc.json("dave", "/users/erin/privileges", privileges(&[]));
    sc.json("dave", "/groups/other/users", list("users", &["zed"]));
    sc.json("dave", "/groups/ops/users", list("users", &[]));
    sc.forbidden(
        "dave",
        "PATCH",
        "/users/erin/privileges",
        r#"{"grant": ["oz_users_list"]}"#,
    );
    sc.ok("root", "DELETE", "/groups/ops/children/auditors", "", 204);
    sc.json(
        "dave",
        "/users/dave/effective_privileges",
        privileges(&["oz_groups_view", "oz_users_list"]),
    );

    let mut sc = build();
    oz_user(
        sc.graph(),
        "erin",
        &["oz_groups_add_relationships", "oz_groups_set_privileges"],
    );
    sc.forbidden(
        "erin",
        "PUT",
        "/groups/other/users/dave",
        r#"{"privileges": ["group_view"]}"#,
    );
    oz_user(sc.graph(), "erin", &["oz_users_add_relationships"]);
    sc.ok(
        "erin",
        "PUT",
        "/groups/other/users/dave",
        r#"{"privileges": ["group_view"]}"#,
        201,
    );
}

/// A diamond of nested groups in a handle service.
fn handles_5_2() -> Sc {
    Sc::new(|g| {
        create(g, HS, "hs");
        groups(g, &["teamA", "teamB", "core"]);
        users(g, &["alice", "bob", "carol"]);
        add_user(g, HS, "hs", "alice", &["handle_service_view"]);
        add_group(
            g,
            HS,
            "hs",
            "teamA",
            &[
                "handle_service_list_handles",
                "handle_service_register_handle",
            ],
        );
        add_group(g, HS, "hs", "teamB", &["handle_service_update"]);
        add_group(g, GR, "teamA", "core", &[]);
        add_group(g, GR, "teamB", "core", &[]);
        add_user(g, GR, "core", "alice", &[]);
        add_user(g, GR, "core", "bob", &[]);
        add_user(g, GR, "teamB", "carol", &[]);
    })
}

#[test]
fn handles_5_2_diamond() {
    let three = [
        "handle_service_list_handles",
        "handle_service_register_handle",
        "handle_service_update",
    ];
    let mut sc = handles_5_2();
    let p = "/handle_services/hs";
    sc.json(
        "root",
        &format!("{p}/effective_users/alice/privileges"),
        privileges(&[
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_update",
            "handle_service_view",
        ]),
    );
    sc.json(
        "root",
        &format!("{p}/effective_users/bob/privileges"),
        privileges(&three),
    );
    sc.json(
        "root",
        &format!("{p}/effective_users/carol/privileges"),
        privileges(&["handle_service_update"]),
    );
    sc.json(
        "root",
        &format!("{p}/effective_groups/core/privileges"),
        privileges(&three),
    );
    sc.json(
        "root",
        &format!("{p}/groups/teamA/privileges"),
        privileges(&[
            "handle_service_list_handles",
            "handle_service_register_handle",
        ]),
    );
    sc.json("root", &format!("{p}/users"), list("users", &["alice"]));
    sc.json(
        "root",
        &format!("{p}/effective_users"),
        list("users", &["alice", "bob", "carol"]),
    );
    sc.json(
        "root",
        &format!("{p}/groups"),
        list("groups", &["teamA", "teamB"]),
    );
    sc.json(
        "root",
        &format!("{p}/effective_groups"),
        list("groups", &["core", "teamA", "teamB"]),
    );

    sc.forbidden("bob", "GET", &format!("{p}/users"), "");
    sc.json(
        "bob",
        &format!("{p}/effective_users/bob/privileges"),
        privileges(&three),
    );
    sc.not_found("alice", "GET", &format!("{p}/users/bob/privileges"), "");
    sc.json(
        "alice",
        &format!("{p}/effective_groups/core/privileges"),
        privileges(&three),
    );
    sc.not_found("alice", "GET", &format!("{p}/groups/core/privileges"), "");
    sc.json("bob", &format!("{p}/handles"), list("handles", &[]));

    let patch = r#"{"grant": ["handle_service_view"], "revoke": ["handle_service_update", "handle_service_view"]}"#;
    sc.ok(
        "carol",
        "PATCH",
        &format!("{p}/groups/teamB/privileges"),
        patch,
        204,
    );
    sc.json(
        "root",
        &format!("{p}/groups/teamB/privileges"),
        privileges(&["handle_service_view"]),
    );
    sc.json(
        "root",
        &format!("{p}/effective_users/carol/privileges"),
        privileges(&["handle_service_view"]),
    );
    let demoted = [
        "handle_service_list_handles",
        "handle_service_register_handle",
        "handle_service_view",
    ];
    sc.json(
        "root",
        &format!("{p}/effective_users/bob/privileges"),
        privileges(&demoted),
    );
    sc.json(
        "root",
        &format!("{p}/effective_users/alice/privileges"),
        privileges(&demoted),
    );
    sc.forbidden(
        "carol",
        "PATCH",
        &format!("{p}/groups/teamB/privileges"),
        patch,
    );
}

/// Handle privileges vs handle-service privileges (served routes only).
#[test]
fn handles_5_3_handle_vs_service_privileges() {
    let mut sc = Sc::new(|g| {
        create(g, HS, "hs");
        create(g, SP, "sp");
        let sp = g.key::<privgraph::graph::Space>("sp").unwrap();
        let sh = g.create_share("sh", sp).unwrap();
        let hs = g.key::<privgraph::graph::HandleService>("hs").unwrap();
        g.create_handle("h", hs, sh).unwrap();
        users(g, &["dave", "erin", "frank", "x", "keeper"]);
        groups(g, &["g"]);
        add_user(g, HS, "hs", "dave", &["handle_service_manage_handles"]);
        add_user(g, HS, "hs", "keeper", &["handle_service_delete"]);
        add_user(g, HA, "h", "erin", &["handle_view"]);
        add_user(g, HA, "h", "frank", &["handle_update"]);
    });
    sc.forbidden("dave", "PUT", "/handles/h/users/x", "");
    sc.ok("frank", "PUT", "/handles/h/groups/g", "", 201);
    sc.forbidden("frank", "GET", "/handles/h/users", "");
    sc.forbidden("frank", "DELETE", "/handles/h", "");
    sc.err(
        "keeper",
        "DELETE",
        "/handle_services/hs",
        "",
        400,
        "cannotDeleteNonEmptyHandleService",
        None,
    );
    sc.ok("dave", "DELETE", "/handles/h", "", 204);
    sc.ok("keeper", "DELETE", "/handle_services/hs", "", 204);
}

#[test]
fn handle_service_lists_its_handles_and_cannot_be_deleted_while_it_has_some() {
    let mut sc = Sc::new(|g| {
        create(g, HS, "hs");
        create(g, SP, "sp");
        let sp = g.key::<privgraph::graph::Space>("sp").unwrap();
        let hs = g.key::<privgraph::graph::HandleService>("hs").unwrap();
        for (sh, h) in [("sh1", "h1"), ("sh2", "h2")] {
            let sh = g.create_share(sh, sp).unwrap();
            g.create_handle(h, hs, sh).unwrap();
        }
        users(g, &["lister", "viewer", "deleter", "admin"]);
        add_user(g, HS, "hs", "lister", &["handle_service_list_handles"]);
        add_user(g, HS, "hs", "viewer", &["handle_service_view"]);
        add_user(g, HS, "hs", "deleter", &["handle_service_delete"]);
        oz_user(g, "admin", &["oz_handle_services_delete"]);
    });
    sc.set(
        "root",
        "/handle_services/hs/handles",
        "handles",
        &["h1", "h2"],
    );
    sc.set(
        "lister",
        "/handle_services/hs/handles",
        "handles",
        &["h1", "h2"],
    );
    sc.forbidden("viewer", "GET", "/handle_services/hs/handles", "");
    // Authorization comes first, then the non-empty check.
    sc.err(
        "nobody",
        "DELETE",
        "/handle_services/hs",
        "",
        401,
        "unauthorized",
        None,
    );
    sc.forbidden("viewer", "DELETE", "/handle_services/hs", "");
    for w in ["root", "deleter", "admin"] {
        sc.err(
            w,
            "DELETE",
            "/handle_services/hs",
            "",
            400,
            "cannotDeleteNonEmptyHandleService",
            None,
        );
    }
    sc.ok("root", "DELETE", "/handles/h1", "", 204);
    sc.set("root", "/handle_services/hs/handles", "handles", &["h2"]);
    sc.err(
        "deleter",
        "DELETE",
        "/handle_services/hs",
        "",
        400,
        "cannotDeleteNonEmptyHandleService",
        None,
    );
    sc.ok("root", "DELETE", "/handles/h2", "", 204);
    sc.ok("deleter", "DELETE", "/handle_services/hs", "", 204);
}

/// Legacy v3 names: every legacy name translates; the PUT replaces the whole set;
/// answers use current names.
#[test]
fn legacy_put_translates_every_v3_name() {
    let hs_names = [
        ("register_handle", "handle_service_register_handle"),
        ("handle_service_view_data", "handle_service_view"),
        ("handle_service_change_data", "handle_service_update"),
        ("handle_service_remove", "handle_service_delete"),
        ("handle_service_add_user", "handle_service_update"),
        ("handle_service_remove_user", "handle_service_update"),
        ("handle_service_add_group", "handle_service_update"),
        ("handle_service_remove_group", "handle_service_update"),
    ];
    let h_names = [
        ("handle_view_data", "handle_view"),
        ("handle_change_data", "handle_update"),
        ("unregister_handle", "handle_delete"),
    ];
    let mut sc = Sc::new(|g| {
        create(g, HS, "hs");
        create(g, HA, "h");
        groups(g, &["g"]);
        users(g, &["u"]);
        add_group(
            g,
            HS,
            "hs",
            "g",
            &["handle_service_delete", "handle_service_manage_handles"],
        );
        add_user(g, HA, "h", "u", &["handle_update"]);
    });
    for (legacy, current) in hs_names {
        sc.ok(
            "root",
            "PUT",
            "/handle_services/hs/groups/g/privileges",
            &json!({"privileges": [legacy]}).to_string(),
            204,
        );
        sc.json(
            "root",
            "/handle_services/hs/groups/g/privileges",
            privileges(&[current]),
        );
    }
    let all_legacy: Vec<&str> = hs_names.iter().map(|(l, _)| *l).collect();
    sc.ok(
        "root",
        "PUT",
        "/handle_services/hs/groups/g/privileges",
        &json!({"privileges": all_legacy}).to_string(),
        204,
    );
    sc.json(
        "root",
        "/handle_services/hs/groups/g/privileges",
        privileges(&[
            "handle_service_delete",
            "handle_service_register_handle",
            "handle_service_update",
            "handle_service_view",
        ]),
    );
    // Current names too, mixed; the set is replaced, not merged.
    sc.ok(
        "root",
        "PUT",
        "/handle_services/hs/groups/g/privileges",
        r#"{"privileges": ["handle_service_list_handles", "register_handle"]}"#,
        204,
    );
    sc.json(
        "root",
        "/handle_services/hs/groups/g/privileges",
        privileges(&[
            "handle_service_list_handles",
            "handle_service_register_handle",
        ]),
    );
    sc.ok(
        "root",
        "PUT",
        "/handle_services/hs/groups/g/privileges",
        r#"{"privileges": []}"#,
        204,
    );
    sc.json(
        "root",
        "/handle_services/hs/groups/g/privileges",
        privileges(&[]),
    );
    for (legacy, current) in h_names {
        sc.ok(
            "root",
            "PUT",
            "/handles/h/users/u/privileges",
            &json!({"privileges": [legacy]}).to_string(),
            204,
        );
        sc.json(
            "root",
            "/handles/h/users/u/privileges",
            privileges(&[current]),
        );
    }
    // A legacy name of the other vocabulary is an unknown name.
    sc.err(
        "root",
        "PUT",
        "/handles/h/users/u/privileges",
        r#"{"privileges": ["register_handle"]}"#,
        400,
        "badValueListNotAllowed",
        Some(json!({"key": "privileges", "allowed": ["handle_delete", "handle_update", "handle_view"]})),
    );
    // Legacy names are only for the PUT routes.
    sc.err(
        "root",
        "PATCH",
        "/handles/h/users/u/privileges",
        r#"{"grant": ["handle_view_data"]}"#,
        400,
        "badValueListNotAllowed",
        Some(json!({"key": "grant", "allowed": ["handle_delete", "handle_update", "handle_view"]})),
    );
}

// ----- spaces: owners ----------------------------------------------------------------------

/// Space `s`: owner `o` (stored `[]`), member `m` (member preset), `me` through group
/// `sg`; `full` holds every space privilege but owns nothing; `free` is no member.
fn owned_space() -> Sc {
    Sc::new(|g| {
        create(g, SP, "s");
        users(g, &["o", "m", "me", "full", "free"]);
        groups(g, &["sg"]);
        add_user(g, SP, "s", "o", &[]);
        own(g, "s", "o");
        add_user(g, SP, "s", "m", SPACE_MEMBER);
        add_user(g, SP, "s", "full", &vocab_of(SP));
        add_group(g, SP, "s", "sg", &["space_view"]);
        add_user(g, GR, "sg", "me", &[]);
    })
}

#[test]
fn space_owner_powers_are_implicit_and_invisible() {
    let mut sc = owned_space();
    // An owner holding nothing may do what any space privilege allows…
    sc.json("o", "/spaces/s/users", list("users", &["full", "m", "o"]));
    sc.ok(
        "o",
        "PATCH",
        "/spaces/s/users/m/privileges",
        r#"{"grant": ["space_update"]}"#,
        204,
    );
    // …but its stored sets are what GETs answer.
    sc.json("root", "/spaces/s/users/o/privileges", privileges(&[]));
    sc.json(
        "root",
        "/spaces/s/effective_users/o/privileges",
        privileges(&[]),
    );
    // A holder of space_set_privileges may set an owner's stored privileges.
    sc.ok(
        "full",
        "PATCH",
        "/spaces/s/users/o/privileges",
        r#"{"grant": ["space_view"]}"#,
        204,
    );
    sc.ok(
        "full",
        "PATCH",
        "/spaces/s/users/o/privileges",
        r#"{"revoke": ["space_view"]}"#,
        204,
    );
    // PUT …/users/{uid} has a client rule only for `self`: owners cannot add others.
    sc.forbidden("o", "PUT", "/spaces/s/users/free", "");
    sc.forbidden("full", "PUT", "/spaces/s/users/free", "");
    sc.ok("o", "DELETE", "/spaces/s", "", 204);
}

#[test]
fn space_ownership_granting() {
    let mut sc = owned_space();
    sc.forbidden("full", "PUT", "/spaces/s/owners/m", "");
    // An effective-only member becomes a direct one with the admin preset.
    let resp = sc.ok("o", "PUT", "/spaces/s/owners/me", "", 204);
    assert_eq!((resp.location.clone(), resp.json()), (None, None));
    sc.json("root", "/spaces/s/owners", list("users", &["me", "o"]));
    sc.json(
        "root",
        "/spaces/s/users/me/privileges",
        privileges(&vocab_of(SP)),
    );
    // A direct member keeps its stored privileges.
    sc.ok("me", "PUT", "/spaces/s/owners/m", "{\"ignored\": 1}", 204);
    sc.json(
        "root",
        "/spaces/s/users/m/privileges",
        privileges(SPACE_MEMBER),
    );
    sc.err(
        "o",
        "PUT",
        "/spaces/s/owners/m",
        "",
        409,
        "alreadyExists",
        None,
    );
    sc.err("o", "PUT", "/spaces/s/owners/free", "", 400, "relationDoesNotExist",
        Some(json!({"childType": "od_space", "childId": "s", "parentType": "od_user", "parentId": "free"})));
    sc.err("o", "PUT", "/spaces/s/owners/ghost", "", 400, "relationDoesNotExist",
        Some(json!({"childType": "od_space", "childId": "s", "parentType": "od_user", "parentId": "ghost"})));
    // The admin alternative is oz_spaces_set_privileges.
    let mut sc = owned_space();
    oz_user(sc.graph(), "free", &["oz_spaces_set_privileges"]);
    sc.ok("free", "PUT", "/spaces/s/owners/m", "", 204);
    sc.ok("free", "DELETE", "/spaces/s/owners/m", "", 204);
}

#[test]
fn space_ownership_revoking_and_the_last_owner() {
    let mut sc = owned_space();
    let last = Some(json!({"entityType": "od_space", "entityId": "s"}));
    sc.err(
        "o",
        "DELETE",
        "/spaces/s/owners/o",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    sc.err(
        "root",
        "DELETE",
        "/spaces/s/owners/o",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    sc.not_found("o", "DELETE", "/spaces/s/owners/m", "");
    sc.ok("o", "PUT", "/spaces/s/owners/m", "", 204);
    sc.forbidden("full", "DELETE", "/spaces/s/owners/m", "");
    // An owner may revoke itself; membership and stored privileges stay.
    sc.ok("m", "DELETE", "/spaces/s/owners/m", "", 204);
    sc.json("root", "/spaces/s/owners", list("users", &["o"]));
    sc.json(
        "root",
        "/spaces/s/users/m/privileges",
        privileges(SPACE_MEMBER),
    );
}

#[test]
fn space_removing_an_owners_membership() {
    let mut sc = owned_space();
    sc.ok("o", "PUT", "/spaces/s/owners/m", "", 204);
    // space_remove_user (even the full admin preset) does not remove an owner.
    sc.forbidden("full", "DELETE", "/spaces/s/users/m", "");
    sc.forbidden("full", "DELETE", "/spaces/s/users/o", "");
    // Another owner may; ownership goes with the membership.
    sc.ok("o", "DELETE", "/spaces/s/users/m", "", 204);
    sc.json("root", "/spaces/s/owners", list("users", &["o"]));
    // The admin alternative may too.
    sc.ok("o", "PUT", "/spaces/s/owners/full", "", 204);
    oz_user(
        sc.graph(),
        "free",
        &[
            "oz_spaces_remove_relationships",
            "oz_users_remove_relationships",
        ],
    );
    sc.ok("free", "DELETE", "/spaces/s/users/full", "", 204);
    sc.json("root", "/spaces/s/owners", list("users", &["o"]));
}

#[test]
fn space_last_owner_cannot_leave_while_other_users_remain() {
    let last = Some(json!({"entityType": "od_space", "entityId": "s"}));
    let mut sc = owned_space();
    sc.err(
        "root",
        "DELETE",
        "/spaces/s/users/o",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    sc.err(
        "o",
        "DELETE",
        "/user/spaces/s",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    sc.err(
        "root",
        "DELETE",
        "/users/o",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    sc.err(
        "o",
        "DELETE",
        "/user",
        "",
        400,
        "cannotRemoveLastOwner",
        last.clone(),
    );
    // Only an effective member left (through a group): still refused.
    sc.ok("root", "DELETE", "/spaces/s/users/m", "", 204);
    sc.ok("root", "DELETE", "/spaces/s/users/full", "", 204);
    sc.err(
        "o",
        "DELETE",
        "/user/spaces/s",
        "",
        400,
        "cannotRemoveLastOwner",
        last,
    );
    // No other user (a group without users may remain): allowed, the space is owner-less.
    sc.ok("root", "DELETE", "/groups/sg/users/me", "", 204);
    sc.ok("o", "DELETE", "/user/spaces/s", "", 204);
    sc.json("root", "/spaces/s/owners", list("users", &[]));
    sc.json("root", "/spaces/s/groups", list("groups", &["sg"]));
}

#[test]
fn space_first_direct_user_becomes_owner() {
    let mut sc = Sc::new(|g| {
        users(g, &["admin", "u", "v", "full"]);
        groups(g, &["g"]);
        add_user(g, GR, "g", "v", GROUP_SORTED);
        oz_user(
            g,
            "admin",
            &[
                "oz_spaces_create",
                "oz_spaces_add_relationships",
                "oz_users_add_relationships",
                "oz_groups_add_relationships",
            ],
        );
    });
    let loc = sc
        .ok("admin", "POST", "/spaces", r#"{"name": "Space one"}"#, 201)
        .location
        .unwrap();
    let id = loc.rsplit('/').next().unwrap().to_owned();
    sc.json("root", &format!("/spaces/{id}/users"), list("users", &[]));
    sc.json("root", &format!("/spaces/{id}/owners"), list("users", &[]));
    // Adding a group never makes an owner.
    sc.ok("admin", "PUT", &format!("/spaces/{id}/groups/g"), "", 201);
    sc.json("root", &format!("/spaces/{id}/owners"), list("users", &[]));
    // In an owner-less space, PUT owners is for admins and root only.
    add_user(sc.graph(), SP, &id, "full", &vocab_of(SP));
    sc.forbidden("full", "PUT", &format!("/spaces/{id}/owners/v"), "");
    // The first direct user (here by PUT) becomes the owner.
    sc.ok("admin", "PUT", &format!("/spaces/{id}/users/u"), "", 201);
    sc.json(
        "root",
        &format!("/spaces/{id}/owners"),
        list("users", &["u"]),
    );
}

#[test]
fn space_first_direct_user_of_an_ownerless_space_becomes_owner() {
    let mut sc = Sc::new(|g| {
        create(g, SP, "s");
        users(g, &["admin", "u", "w"]);
        oz_user(
            g,
            "admin",
            &["oz_spaces_add_relationships", "oz_users_add_relationships"],
        );
    });
    sc.ok("admin", "PUT", "/spaces/s/users/u", "", 201);
    sc.json("root", "/spaces/s/owners", list("users", &["u"]));
    sc.ok("admin", "PUT", "/spaces/s/users/w", "", 201);
    sc.json("root", "/spaces/s/owners", list("users", &["u"]));
    sc.json(
        "root",
        "/spaces/s/users/u/privileges",
        privileges(SPACE_MEMBER),
    );
}

// ----- creation: what the new members get --------------------------------------------------

fn new_id(resp: &Response) -> String {
    resp.location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn creation_as_a_user() {
    let mut sc = Sc::new(|g| {
        users(g, &["c", "other"]);
        oz_user(
            g,
            "c",
            &["oz_harvesters_create", "oz_handle_services_create"],
        );
    });
    for k in [GROUP, SPACE, HARVESTER, INVENTORY, HSERVICE] {
        let body = if k.tk == HS {
            r#"{"name": "New hs", "proxyEndpoint": "https://p", "serviceProperties": {"type": "DOI"}}"#
        } else {
            r#"{"name": "New one"}"#
        };
        let resp = sc.ok("c", "POST", &format!("/user/{}", k.seg), body, 201);
        let id = new_id(&resp);
        assert_eq!(
            resp.location.as_deref(),
            Some(format!("/user/{}/{id}", k.seg).as_str())
        );
        assert_eq!(
            direct_users(sc.e.graph(), k.tk, &id),
            ["c"],
            "{} {id}",
            k.seg
        );
        sc.json(
            "root",
            &format!("/{}/{id}/users/c/privileges", k.seg),
            privileges(&k.vocab()),
        );
        if k.tk == SP {
            sc.json(
                "root",
                &format!("/spaces/{id}/owners"),
                list("users", &["c"]),
            );
        }
    }
    sc.forbidden(
        "other",
        "POST",
        "/user/harvesters",
        r#"{"name": "New one"}"#,
    );
    sc.forbidden(
        "other",
        "POST",
        "/user/handle_services",
        r#"{"name": "New hs", "proxyEndpoint": "https://p", "serviceProperties": {"type": "DOI"}}"#,
    );
}

#[test]
fn creation_by_an_admin_adds_no_member() {
    let mut sc = Sc::new(|g| {
        users(g, &["a"]);
        oz_user(
            g,
            "a",
            &[
                "oz_groups_create",
                "oz_spaces_create",
                "oz_harvesters_create",
                "oz_atm_inventories_create",
                "oz_handle_services_create",
            ],
        );
    });
    for k in [GROUP, SPACE, HARVESTER, INVENTORY, HSERVICE] {
        let body = if k.tk == HS {
            r#"{"name": "New hs", "proxyEndpoint": "https://p", "serviceProperties": {"type": "DOI"}}"#
        } else {
            r#"{"name": "New one"}"#
        };
        let id = new_id(&sc.ok("a", "POST", &format!("/{}", k.seg), body, 201));
        assert!(exists(sc.e.graph(), k.tk, &id));
        assert!(
            direct_users(sc.e.graph(), k.tk, &id).is_empty(),
            "{} {id}",
            k.seg
        );
        assert!(
            direct_groups(sc.e.graph(), k.tk, &id).is_empty(),
            "{} {id}",
            k.seg
        );
    }
}

#[test]
fn creation_as_a_group() {
    let mut sc = Sc::new(|g| {
        users(g, &["c"]);
        groups(g, &["g"]);
        add_user(g, GR, "g", "c", GROUP_SORTED);
        oz_user(
            g,
            "c",
            &["oz_harvesters_create", "oz_handle_services_create"],
        );
    });
    for k in [SPACE, HARVESTER, INVENTORY, HSERVICE] {
        let body = if k.tk == HS {
            r#"{"name": "New hs", "proxyEndpoint": "https://p", "serviceProperties": {"type": "DOI"}}"#
        } else {
            r#"{"name": "New one"}"#
        };
        let resp = sc.ok("c", "POST", &format!("/groups/g/{}", k.seg), body, 201);
        let id = new_id(&resp);
        assert_eq!(resp.location, Some(format!("/groups/g/{}/{id}", k.seg)));
        sc.json(
            "root",
            &format!("/{}/{id}/groups/g/privileges", k.seg),
            privileges(&k.vocab()),
        );
        if k.tk == SP {
            // The creating user, an effective member of g: direct, admin preset, owner.
            sc.json(
                "root",
                &format!("/spaces/{id}/users/c/privileges"),
                privileges(&k.vocab()),
            );
            sc.json(
                "root",
                &format!("/spaces/{id}/owners"),
                list("users", &["c"]),
            );
        } else {
            assert!(
                direct_users(sc.e.graph(), k.tk, &id).is_empty(),
                "{} {id}",
                k.seg
            );
        }
    }
    // An effective member of g (through a child group) is made owner as well.
    groups(sc.graph(), &["gc"]);
    users(sc.graph(), &["e"]);
    add_group(sc.graph(), GR, "g", "gc", &["group_add_space"]);
    add_user(sc.graph(), GR, "gc", "e", &[]);
    let id = new_id(&sc.ok(
        "e",
        "POST",
        "/groups/g/spaces",
        r#"{"name": "New one"}"#,
        201,
    ));
    sc.json(
        "root",
        &format!("/spaces/{id}/users/e/privileges"),
        privileges(&SPACE.vocab()),
    );
    sc.json(
        "root",
        &format!("/spaces/{id}/owners"),
        list("users", &["e"]),
    );
    // An oz admin creating for a group it does not belong to gets nothing itself.
    users(sc.graph(), &["a"]);
    oz_user(
        sc.graph(),
        "a",
        &["oz_spaces_create", "oz_groups_add_relationships"],
    );
    let id = new_id(&sc.ok(
        "a",
        "POST",
        "/groups/g/spaces",
        r#"{"name": "New one"}"#,
        201,
    ));
    sc.json("root", &format!("/spaces/{id}/users"), list("users", &[]));
}

#[test]
fn creation_of_groups_in_groups() {
    let mut sc = Sc::new(|g| {
        users(g, &["c", "m"]);
        groups(g, &["t"]);
        add_user(g, GR, "t", "c", &["group_add_child", "group_add_parent"]);
        add_user(g, GR, "t", "m", &[]);
    });
    // A child: the client is its admin; it joins t with the member preset.
    let resp = sc.ok(
        "c",
        "POST",
        "/groups/t/children",
        r#"{"name": "Child"}"#,
        201,
    );
    let child = new_id(&resp);
    assert_eq!(resp.location, Some(format!("/groups/t/children/{child}")));
    sc.json(
        "root",
        &format!("/groups/t/children/{child}/privileges"),
        privileges(GROUP_MEMBER),
    );
    sc.json(
        "root",
        &format!("/groups/{child}/users/c/privileges"),
        privileges(GROUP_SORTED),
    );
    // A parent: t joins it with the admin preset; it has no direct users.
    let resp = sc.ok(
        "c",
        "POST",
        "/groups/t/parents",
        r#"{"name": "Parent", "type": "organization"}"#,
        201,
    );
    let parent = new_id(&resp);
    assert_eq!(resp.location, Some(format!("/groups/t/parents/{parent}")));
    sc.json(
        "root",
        &format!("/groups/{parent}/children/t/privileges"),
        privileges(GROUP_SORTED),
    );
    sc.json(
        "root",
        &format!("/groups/{parent}/users"),
        list("users", &[]),
    );
    sc.json(
        "root",
        &format!("/groups/{parent}/effective_users/m/privileges"),
        privileges(GROUP_SORTED),
    );
    // POST /groups: no member.
    users(sc.graph(), &["a"]);
    oz_user(sc.graph(), "a", &["oz_groups_create"]);
    let resp = sc.ok("a", "POST", "/groups", r#"{"name": "Lonely"}"#, 201);
    let id = new_id(&resp);
    assert_eq!(resp.location, Some(format!("/groups/{id}")));
    sc.json("root", &format!("/groups/{id}/users"), list("users", &[]));
    // The creator of a group (admin preset) may not PUT another user in it.
    let id = new_id(&sc.ok("c", "POST", "/user/groups", r#"{"name": "Mine"}"#, 201));
    sc.forbidden("c", "PUT", &format!("/groups/{id}/users/m"), "");
}

#[test]
fn creation_of_groups_in_resources() {
    for k in [SPACE, HARVESTER, CLUSTER, INVENTORY] {
        let mut sc = Sc::new(|g| {
            create(g, k.tk, "t");
            users(g, &["c"]);
        });
        let add_group: &'static str = k
            .vocab()
            .into_iter()
            .find(|n| n.ends_with("_add_group"))
            .unwrap();
        add_user(sc.graph(), k.tk, "t", "c", &[add_group]);
        let resp = sc.ok(
            "c",
            "POST",
            &format!("/{}/t/groups", k.seg),
            r#"{"name": "Team"}"#,
            201,
        );
        let id = new_id(&resp);
        assert_eq!(resp.location, Some(format!("/{}/t/groups/{id}", k.seg)));
        sc.json(
            "root",
            &format!("/{}/t/groups/{id}/privileges", k.seg),
            privileges(k.member),
        );
        sc.json(
            "root",
            &format!("/groups/{id}/users/c/privileges"),
            privileges(GROUP_SORTED),
        );
    }
}

// ----- relations and privilege updates -------------------------------------------------------

#[test]
fn group_nesting_refusals_change_nothing() {
    let mut sc = Sc::new(|g| {
        groups(g, &["a", "b", "c"]);
        add_group(g, GR, "a", "b", &[]);
        add_group(g, GR, "b", "c", &[]);
    });
    sc.err(
        "root",
        "PUT",
        "/groups/a/children/a",
        "",
        400,
        "cannotAddRelationToSelf",
        None,
    );
    // Onezone accepts cycles; privgraph refuses them with an error of its own.
    let before = sc.e.graph().clone();
    let resp = sc.call("root", "PUT", "/groups/c/children/a", "");
    assert_eq!(resp.status, 400, "a cycle: {}", describe(&resp));
    assert!(sc.e.graph() == &before);
    sc.err(
        "root",
        "PUT",
        "/groups/a/children/b",
        "",
        409,
        "relationAlreadyExists",
        Some(json!({"childType": "group", "childId": "b", "parentType": "group", "parentId": "a"})),
    );
    // An effective-only child is added as a direct one.
    sc.ok("root", "PUT", "/groups/a/children/c", "", 201);
}

#[test]
fn put_privileges_are_stored_as_given_and_grant_beats_revoke() {
    let mut sc = Sc::new(|g| {
        create(g, HV, "h");
        users(g, &["u", "v"]);
        groups(g, &["g"]);
    });
    sc.ok(
        "root",
        "PUT",
        "/harvesters/h/users/u",
        r#"{"privileges": []}"#,
        201,
    );
    sc.json("root", "/harvesters/h/users/u/privileges", privileges(&[]));
    sc.ok(
        "root",
        "PUT",
        "/harvesters/h/users/v",
        r#"{"privileges": ["harvester_view", "harvester_update", "harvester_view"]}"#,
        201,
    );
    sc.json(
        "root",
        "/harvesters/h/users/v/privileges",
        privileges(&["harvester_update", "harvester_view"]),
    );
    sc.ok("root", "PUT", "/harvesters/h/groups/g", "{}", 201);
    sc.json(
        "root",
        "/harvesters/h/groups/g/privileges",
        privileges(HARVESTER_MEMBER),
    );
    for body in [
        r#"{"grant": []}"#,
        r#"{"revoke": []}"#,
        r#"{"grant": [], "revoke": []}"#,
    ] {
        sc.ok(
            "root",
            "PATCH",
            "/harvesters/h/users/v/privileges",
            body,
            204,
        );
        sc.json(
            "root",
            "/harvesters/h/users/v/privileges",
            privileges(&["harvester_update", "harvester_view"]),
        );
    }
    sc.ok(
        "root",
        "PATCH",
        "/harvesters/h/users/v/privileges",
        r#"{"grant": ["harvester_delete"], "revoke": ["harvester_delete", "harvester_view", "harvester_add_user"], "ignored": 1}"#,
        204,
    );
    sc.json(
        "root",
        "/harvesters/h/users/v/privileges",
        privileges(&["harvester_delete", "harvester_update"]),
    );
}

const HV: TargetKind = TargetKind::Harvester;

#[test]
fn oz_set_privileges_holder_may_grant_anything_and_revoke_its_own() {
    let mut sc = Sc::new(|g| {
        users(g, &["a", "b"]);
        oz_user(g, "a", &["oz_set_privileges"]);
    });
    sc.ok(
        "a",
        "PATCH",
        "/users/b/privileges",
        r#"{"grant": ["oz_users_delete", "oz_tokens_manage"]}"#,
        204,
    );
    sc.json(
        "root",
        "/users/b/privileges",
        privileges(&["oz_tokens_manage", "oz_users_delete"]),
    );
    sc.ok("a", "DELETE", "/users/b/privileges", "", 204);
    sc.json("root", "/users/b/privileges", privileges(&[]));
    sc.ok(
        "a",
        "PATCH",
        "/user/privileges",
        r#"{"revoke": ["oz_set_privileges"]}"#,
        204,
    );
    sc.json("a", "/user/privileges", privileges(&[]));
    sc.forbidden(
        "a",
        "PATCH",
        "/user/privileges",
        r#"{"grant": ["oz_set_privileges"]}"#,
    );
    // Self is not enough to set one's own oz privileges, nor to delete them.
    sc.forbidden(
        "b",
        "PATCH",
        "/users/b/privileges",
        r#"{"grant": ["oz_users_list"]}"#,
    );
    sc.forbidden("b", "DELETE", "/user/privileges", "");
    sc.err(
        "nobody",
        "GET",
        "/user/privileges",
        "",
        401,
        "unauthorized",
        None,
    );
}

#[test]
fn deleting_a_user_removes_every_relation() {
    let mut sc = Sc::new(|g| {
        users(g, &["u", "w"]);
        groups(g, &["g"]);
        create(g, SP, "s");
        create(g, HS, "hs");
        add_user(g, GR, "g", "u", GROUP_MEMBER);
        add_user(g, SP, "s", "u", SPACE_MEMBER);
        add_user(g, HS, "hs", "u", HS_MEMBER);
        oz_user(g, "w", &["oz_users_delete"]);
    });
    sc.not_found("w", "DELETE", "/users/nobody-here", "");
    sc.ok("w", "DELETE", "/users/u", "", 204);
    sc.not_found("root", "GET", "/users/u/privileges", "");
    sc.json("root", "/groups/g/users", list("users", &[]));
    sc.json("root", "/spaces/s/users", list("users", &[]));
    sc.json("root", "/handle_services/hs/users", list("users", &[]));
    sc.ok("w", "DELETE", "/user", "", 204);
    sc.err("w", "DELETE", "/user", "", 401, "unauthorized", None);
}

#[test]
fn leaving_needs_no_privilege_and_a_last_admin_may_leave() {
    let mut sc = Sc::new(|g| {
        users(g, &["a", "b"]);
        groups(g, &["g"]);
        add_user(g, GR, "g", "a", GROUP_SORTED);
        add_user(g, GR, "g", "b", &[]);
    });
    // Removing oneself through the group route needs group_remove_user…
    sc.forbidden("b", "DELETE", "/groups/g/users/b", "");
    // …leaving through /user needs nothing.
    sc.ok("b", "DELETE", "/user/groups/g", "", 204);
    sc.ok("a", "DELETE", "/user/groups/g", "", 204);
    sc.json("root", "/groups/g/users", list("users", &[]));
}

#[test]
fn handle_deletion_by_the_service_manager() {
    let mut sc = Sc::new(|g| {
        create(g, HA, "h");
        users(g, &["dave", "nested", "viewer"]);
        groups(g, &["mgrs"]);
        add_group(g, HS, "h_hs", "mgrs", &["handle_service_manage_handles"]);
        add_user(g, GR, "mgrs", "nested", &[]);
        add_user(
            g,
            HS,
            "h_hs",
            "viewer",
            &["handle_service_view", "handle_service_list_handles"],
        );
        add_user(g, HS, "h_hs", "dave", &["handle_service_manage_handles"]);
    });
    sc.forbidden("viewer", "DELETE", "/handles/h", "");
    // manage_handles gives no member management on the handle.
    sc.forbidden("dave", "PUT", "/handles/h/users/viewer", "");
    sc.forbidden("dave", "GET", "/handles/h/users", "");
    sc.ok("nested", "DELETE", "/handles/h", "", 204);
    sc.set("root", "/handle_services/h_hs/handles", "handles", &[]);
}

#[test]
fn harvester_space_links_need_both_sides() {
    let mut sc = Sc::new(|g| {
        create(g, HV, "h");
        create(g, SP, "s");
        create(g, SP, "s2");
        users(g, &["u", "owner", "admin1", "admin2"]);
        add_user(
            g,
            HV,
            "h",
            "u",
            &["harvester_add_space", "harvester_remove_space"],
        );
        add_user(g, HV, "h", "owner", &["harvester_add_space"]);
        add_user(g, SP, "s2", "owner", &[]);
        own(g, "s2", "owner");
        oz_user(g, "admin1", &["oz_harvesters_remove_relationships"]);
        oz_user(g, "admin2", &["oz_spaces_remove_relationships"]);
    });
    // Nothing in the space: refused.
    sc.forbidden("u", "PUT", "/harvesters/h/spaces/s", "");
    // An owner of the space passes the space half.
    sc.ok("owner", "PUT", "/harvesters/h/spaces/s2", "", 201);
    sc.json("root", "/spaces/s2/harvesters", list("harvesters", &["h"]));
    sc.json("root", "/harvesters/h/spaces", list("spaces", &["s2"]));
    // The link is no membership: space members get nothing in the harvester.
    sc.json(
        "root",
        "/harvesters/h/effective_users",
        list("users", &["owner", "u"]),
    );
    // From the harvester side the admin alternative is the harvester's privilege only…
    sc.ok("admin1", "DELETE", "/harvesters/h/spaces/s2", "", 204);
    sc.ok("owner", "PUT", "/harvesters/h/spaces/s2", "", 201);
    // …from the space side both are needed.
    sc.forbidden("admin1", "DELETE", "/spaces/s2/harvesters/h", "");
    sc.forbidden("admin2", "DELETE", "/spaces/s2/harvesters/h", "");
    sc.ok("owner", "DELETE", "/spaces/s2/harvesters/h", "", 204);
    sc.json("root", "/harvesters/h/spaces", list("spaces", &[]));
}

#[test]
fn the_rest_prefix_is_accepted() {
    let mut sc = owned_space();
    sc.json(
        "o",
        "/api/v3/onezone/spaces/s/owners",
        list("users", &["o"]),
    );
    let resp = sc.ok(
        "root",
        "PUT",
        "/api/v3/onezone/spaces/s/users/free",
        "",
        201,
    );
    assert_eq!(resp.location.as_deref(), Some("/spaces/s/users/free"));
}

#[test]
fn shares_list_of_a_space() {
    let mut sc = Sc::new(|g| {
        create(g, SP, "s");
        create(g, SP, "other");
        let s = g.key::<privgraph::graph::Space>("s").unwrap();
        let o = g.key::<privgraph::graph::Space>("other").unwrap();
        g.create_share("sh1", s).unwrap();
        g.create_share("sh2", s).unwrap();
        g.create_share("sh3", o).unwrap();
        users(g, &["viewer", "nothing"]);
        add_user(g, SP, "s", "viewer", &["space_view"]);
    });
    sc.json(
        "viewer",
        "/spaces/s/shares",
        list("shares", &["sh1", "sh2"]),
    );
    sc.forbidden("nothing", "GET", "/spaces/s/shares", "");
    // Deleting the space deletes its shares.
    sc.ok("root", "DELETE", "/spaces/s", "", 204);
    sc.json("root", "/spaces/other/shares", list("shares", &["sh3"]));
}

#[test]
fn string_keys_take_booleans_as_strings() {
    // For string keys `true` / `false` count as the strings "true" / "false" (Onezone's
    // validation turns atoms into binaries).
    let mut sc = Sc::new(|_| {});
    sc.ok(
        "root",
        "POST",
        "/handle_services",
        r#"{"name": true, "proxyEndpoint": false, "serviceProperties": {"type": "DOI"}}"#,
        201,
    );
    sc.ok("root", "POST", "/groups", r#"{"name": false}"#, 201);
}

#[test]
fn deleting_an_entity_removes_its_relations() {
    let mut sc = Sc::new(|g| kind_fixture(g, GR));
    sc.ok("root", "DELETE", "/groups/t", "", 204);
    for k in ALL_KINDS.into_iter().filter(|k| k.tk != GR) {
        sc.json(
            "root",
            &format!("/{}/x_{}/groups", k.seg, k.seg),
            list("groups", &[]),
        );
    }
    sc.json("root", "/groups/pg/children", list("groups", &[]));
    sc.json("root", "/groups/mg/parents", list("groups", &[]));
    sc.json(
        "root",
        "/groups/mgc/effective_parents",
        list("groups", &["mg"]),
    );
    // Deleting a space deletes its shares and their handles.
    let mut sc = Sc::new(|g| {
        create(g, SP, "s");
        create(g, HS, "hs");
        let s = g.key::<privgraph::graph::Space>("s").unwrap();
        let hs = g.key::<privgraph::graph::HandleService>("hs").unwrap();
        let sh = g.create_share("sh", s).unwrap();
        g.create_handle("h", hs, sh).unwrap();
    });
    sc.set("root", "/handle_services/hs/handles", "handles", &["h"]);
    sc.ok("root", "DELETE", "/spaces/s", "", 204);
    sc.set("root", "/handle_services/hs/handles", "handles", &[]);
    sc.not_found("root", "GET", "/handles/h/users", "");
    sc.ok("root", "DELETE", "/handle_services/hs", "", 204);
}

#[test]
fn handle_service_membership_is_not_handle_membership() {
    let mut sc = Sc::new(|g| {
        create(g, HA, "h");
        users(g, &["u"]);
        groups(g, &["g"]);
        add_user(g, HS, "h_hs", "u", &vocab_of(HS));
        add_group(g, HS, "h_hs", "g", HS_MEMBER);
    });
    sc.json("root", "/handles/h/effective_users", list("users", &[]));
    sc.json("root", "/handles/h/effective_groups", list("groups", &[]));
    sc.json("u", "/user/effective_handles", list("handles", &[]));
    sc.forbidden("u", "GET", "/handles/h/users", "");
}
