//! Helpers of `tests/routes.rs` ("the reference": Onezone's rules restated by hand): the
//! privilege vocabularies and presets copied by hand from Onezone's privilege modules
//! (never read from the code under test), and a thin dynamic layer over the graph API so
//! that fixtures can be written with kinds and privilege names as values. [`model`] is
//! the reference model of the graph that the model-based tests compare against.

#![allow(dead_code)]

pub mod model;

use privgraph::graph::{
    Child, Graph, Group, Handle, HandleService, Harvester, Key, MemberOf, Parent, Space, Target,
    TargetKind, User,
};
use privgraph::privileges::{OzPrivileges, PrivilegeUpdate, Privileges};
use serde_json::{Value, json};

// ----- vocabularies, as Onezone defines them ------------------------------------------

/// Group privileges: member preset.
pub const GROUP_MEMBER: &[&str] = &["group_view"];
/// Added by the group manager preset.
pub const GROUP_MANAGER_ADDS: &[&str] = &[
    "group_view_privileges",
    "group_add_user",
    "group_remove_user",
    "group_add_parent",
    "group_leave_parent",
    "group_add_child",
    "group_remove_child",
    "group_add_harvester",
    "group_remove_harvester",
    "group_add_atm_inventory",
    "group_remove_atm_inventory",
];
/// Added by the group admin preset.
pub const GROUP_ADMIN_ADDS: &[&str] = &[
    "group_update",
    "group_delete",
    "group_set_privileges",
    "group_add_space",
    "group_leave_space",
    "group_add_cluster",
    "group_leave_cluster",
    "group_create_handle_service",
    "group_leave_handle_service",
    "group_create_handle",
    "group_leave_handle",
];
/// The group privileges sorted, as Onezone lists them in `allowed`.
pub const GROUP_SORTED: &[&str] = &[
    "group_add_atm_inventory",
    "group_add_child",
    "group_add_cluster",
    "group_add_harvester",
    "group_add_parent",
    "group_add_space",
    "group_add_user",
    "group_create_handle",
    "group_create_handle_service",
    "group_delete",
    "group_leave_cluster",
    "group_leave_handle",
    "group_leave_handle_service",
    "group_leave_parent",
    "group_leave_space",
    "group_remove_atm_inventory",
    "group_remove_child",
    "group_remove_harvester",
    "group_remove_user",
    "group_set_privileges",
    "group_update",
    "group_view",
    "group_view_privileges",
];

pub const SPACE_MEMBER: &[&str] = &[
    "space_read_data",
    "space_view",
    "space_view_transfers",
    "space_write_data",
];
pub const SPACE_MANAGER_ADDS: &[&str] = &[
    "space_add_group",
    "space_add_harvester",
    "space_add_user",
    "space_create_archives",
    "space_manage_archives",
    "space_manage_datasets",
    "space_manage_shares",
    "space_query_views",
    "space_register_files",
    "space_remove_group",
    "space_remove_harvester",
    "space_remove_user",
    "space_schedule_atm_workflow_executions",
    "space_schedule_replication",
    "space_view_archives",
    "space_view_atm_workflow_executions",
    "space_view_changes_stream",
    "space_view_privileges",
    "space_view_qos",
    "space_view_statistics",
    "space_view_views",
];
pub const SPACE_ADMIN_ADDS: &[&str] = &[
    "space_add_support",
    "space_cancel_eviction",
    "space_cancel_replication",
    "space_delete",
    "space_manage_atm_workflow_executions",
    "space_manage_in_marketplace",
    "space_manage_qos",
    "space_manage_views",
    "space_recall_archives",
    "space_remove_archives",
    "space_remove_support",
    "space_schedule_eviction",
    "space_set_privileges",
    "space_update",
];

pub const HS_MEMBER: &[&str] = &[
    "handle_service_list_handles",
    "handle_service_register_handle",
    "handle_service_view",
];
pub const HS_ADMIN_ADDS: &[&str] = &[
    "handle_service_update",
    "handle_service_delete",
    "handle_service_manage_handles",
];

pub const HANDLE_MEMBER: &[&str] = &["handle_view"];
pub const HANDLE_ADMIN_ADDS: &[&str] = &["handle_update", "handle_delete"];

pub const HARVESTER_MEMBER: &[&str] = &["harvester_view"];
pub const HARVESTER_MANAGER_ADDS: &[&str] = &[
    "harvester_add_group",
    "harvester_add_space",
    "harvester_add_user",
    "harvester_remove_group",
    "harvester_remove_space",
    "harvester_remove_user",
];
pub const HARVESTER_ADMIN_ADDS: &[&str] = &[
    "harvester_delete",
    "harvester_set_privileges",
    "harvester_update",
    "harvester_view_privileges",
];

pub const CLUSTER_MEMBER: &[&str] = &["cluster_view"];
pub const CLUSTER_MANAGER_ADDS: &[&str] = &[
    "cluster_add_group",
    "cluster_add_user",
    "cluster_remove_group",
    "cluster_remove_user",
];
pub const CLUSTER_ADMIN_ADDS: &[&str] = &[
    "cluster_delete",
    "cluster_set_privileges",
    "cluster_update",
    "cluster_view_privileges",
];

pub const INVENTORY_MEMBER: &[&str] = &["atm_inventory_view"];
pub const INVENTORY_MANAGER_ADDS: &[&str] = &[
    "atm_inventory_add_group",
    "atm_inventory_add_user",
    "atm_inventory_manage_lambdas",
    "atm_inventory_manage_workflow_schemas",
    "atm_inventory_remove_group",
    "atm_inventory_remove_user",
];
pub const INVENTORY_ADMIN_ADDS: &[&str] = &[
    "atm_inventory_delete",
    "atm_inventory_set_privileges",
    "atm_inventory_update",
    "atm_inventory_view_privileges",
];

/// Oz privileges in the viewer preset.
pub const OZ_VIEWER: &[&str] = &[
    "oz_users_list",
    "oz_users_view",
    "oz_users_list_relationships",
    "oz_groups_list",
    "oz_groups_view",
    "oz_groups_list_relationships",
    "oz_spaces_list",
    "oz_spaces_view",
    "oz_spaces_list_relationships",
    "oz_shares_list",
    "oz_shares_view",
    "oz_providers_list",
    "oz_providers_view",
    "oz_providers_list_relationships",
    "oz_handle_services_list",
    "oz_handle_services_view",
    "oz_handle_services_list_relationships",
    "oz_handles_list",
    "oz_handles_view",
    "oz_handles_list_relationships",
    "oz_harvesters_list",
    "oz_harvesters_view",
    "oz_harvesters_list_relationships",
    "oz_clusters_list",
    "oz_clusters_view",
    "oz_clusters_list_relationships",
    "oz_atm_inventories_list",
    "oz_atm_inventories_view",
    "oz_atm_inventories_list_relationships",
];
/// Oz privileges only in the admin preset.
pub const OZ_ADMIN_ADDS: &[&str] = &[
    "oz_view_privileges",
    "oz_set_privileges",
    "oz_users_create",
    "oz_users_manage_passwords",
    "oz_users_update",
    "oz_users_delete",
    "oz_users_add_relationships",
    "oz_users_remove_relationships",
    "oz_groups_create",
    "oz_groups_update",
    "oz_groups_delete",
    "oz_groups_view_privileges",
    "oz_groups_set_privileges",
    "oz_groups_add_relationships",
    "oz_groups_remove_relationships",
    "oz_spaces_create",
    "oz_spaces_update",
    "oz_spaces_delete",
    "oz_spaces_view_privileges",
    "oz_spaces_set_privileges",
    "oz_spaces_add_relationships",
    "oz_spaces_remove_relationships",
    "oz_shares_create",
    "oz_shares_update",
    "oz_shares_delete",
    "oz_providers_update",
    "oz_providers_delete",
    "oz_providers_invite",
    "oz_tokens_manage",
    "oz_handle_services_create",
    "oz_handle_services_update",
    "oz_handle_services_delete",
    "oz_handle_services_view_privileges",
    "oz_handle_services_set_privileges",
    "oz_handle_services_add_relationships",
    "oz_handle_services_remove_relationships",
    "oz_handles_create",
    "oz_handles_update",
    "oz_handles_delete",
    "oz_handles_view_privileges",
    "oz_handles_set_privileges",
    "oz_handles_add_relationships",
    "oz_handles_remove_relationships",
    "oz_harvesters_create",
    "oz_harvesters_update",
    "oz_harvesters_delete",
    "oz_harvesters_view_privileges",
    "oz_harvesters_set_privileges",
    "oz_harvesters_add_relationships",
    "oz_harvesters_remove_relationships",
    "oz_clusters_update",
    "oz_clusters_view_privileges",
    "oz_clusters_set_privileges",
    "oz_clusters_add_relationships",
    "oz_clusters_remove_relationships",
    "oz_atm_inventories_create",
    "oz_atm_inventories_update",
    "oz_atm_inventories_delete",
    "oz_atm_inventories_view_privileges",
    "oz_atm_inventories_set_privileges",
    "oz_atm_inventories_add_relationships",
    "oz_atm_inventories_remove_relationships",
];

/// `a ∪ b ∪ …`, sorted by bytes, deduplicated.
pub fn sorted(parts: &[&[&'static str]]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = parts.iter().flat_map(|p| p.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The whole oz vocabulary, sorted.
pub fn oz_all() -> Vec<&'static str> {
    sorted(&[OZ_VIEWER, OZ_ADMIN_ADDS])
}

/// What the reference says about one target kind.
#[derive(Debug, Clone, Copy)]
pub struct KindInfo {
    pub tk: TargetKind,
    /// Path segment and list key (`spaces`).
    pub seg: &'static str,
    /// `parentType` of `relationAlreadyExists`.
    pub rel_type: &'static str,
    /// `type` of a direct ("self") membership intermediary.
    pub self_type: &'static str,
    pub member: &'static [&'static str],
    /// `None` where the kind has no manager preset (handle services, handles).
    pub manager_adds: Option<&'static [&'static str]>,
    pub admin_adds: &'static [&'static str],
    /// The privileges the fixture gives the direct member group `mg` (no view privilege,
    /// so that membership of `mg` never passes a view rule by accident).
    pub mg_privs: &'static [&'static str],
}

impl KindInfo {
    /// The whole vocabulary, sorted (= admin preset = `allowed`).
    pub fn vocab(&self) -> Vec<&'static str> {
        sorted(&[
            self.member,
            self.manager_adds.unwrap_or(&[]),
            self.admin_adds,
        ])
    }

    /// `GET /{seg}/privileges`.
    pub fn presets_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("member".into(), json!(sorted(&[self.member])));
        if let Some(manager) = self.manager_adds {
            map.insert("manager".into(), json!(sorted(&[self.member, manager])));
        }
        map.insert("admin".into(), json!(self.vocab()));
        Value::Object(map)
    }
}

pub const GROUP: KindInfo = KindInfo {
    tk: TargetKind::Group,
    seg: "groups",
    rel_type: "group",
    self_type: "group",
    member: GROUP_MEMBER,
    manager_adds: Some(GROUP_MANAGER_ADDS),
    admin_adds: GROUP_ADMIN_ADDS,
    mg_privs: &["group_add_user", "group_update"],
};
pub const SPACE: KindInfo = KindInfo {
    tk: TargetKind::Space,
    seg: "spaces",
    rel_type: "space",
    self_type: "space",
    member: SPACE_MEMBER,
    manager_adds: Some(SPACE_MANAGER_ADDS),
    admin_adds: SPACE_ADMIN_ADDS,
    mg_privs: &["space_manage_shares", "space_write_data"],
};
pub const HSERVICE: KindInfo = KindInfo {
    tk: TargetKind::HandleService,
    seg: "handle_services",
    rel_type: "handleService",
    self_type: "handle_service",
    member: HS_MEMBER,
    manager_adds: None,
    admin_adds: HS_ADMIN_ADDS,
    mg_privs: &["handle_service_register_handle"],
};
pub const HANDLE: KindInfo = KindInfo {
    tk: TargetKind::Handle,
    seg: "handles",
    rel_type: "handle",
    self_type: "handle",
    member: HANDLE_MEMBER,
    manager_adds: None,
    admin_adds: HANDLE_ADMIN_ADDS,
    mg_privs: &["handle_delete"],
};
pub const HARVESTER: KindInfo = KindInfo {
    tk: TargetKind::Harvester,
    seg: "harvesters",
    rel_type: "harvester",
    self_type: "harvester",
    member: HARVESTER_MEMBER,
    manager_adds: Some(HARVESTER_MANAGER_ADDS),
    admin_adds: HARVESTER_ADMIN_ADDS,
    mg_privs: &["harvester_update", "harvester_view_privileges"],
};
pub const CLUSTER: KindInfo = KindInfo {
    tk: TargetKind::Cluster,
    seg: "clusters",
    rel_type: "cluster",
    self_type: "cluster",
    member: CLUSTER_MEMBER,
    manager_adds: Some(CLUSTER_MANAGER_ADDS),
    admin_adds: CLUSTER_ADMIN_ADDS,
    mg_privs: &["cluster_update", "cluster_view_privileges"],
};
pub const INVENTORY: KindInfo = KindInfo {
    tk: TargetKind::AtmInventory,
    seg: "atm_inventories",
    rel_type: "atm_inventory",
    self_type: "atm_inventory",
    member: INVENTORY_MEMBER,
    manager_adds: Some(INVENTORY_MANAGER_ADDS),
    admin_adds: INVENTORY_ADMIN_ADDS,
    mg_privs: &["atm_inventory_manage_lambdas", "atm_inventory_update"],
};

pub const ALL_KINDS: [KindInfo; 7] = [
    GROUP, SPACE, HSERVICE, HANDLE, HARVESTER, CLUSTER, INVENTORY,
];

pub fn info(tk: TargetKind) -> KindInfo {
    *ALL_KINDS
        .iter()
        .find(|k| k.tk == tk)
        .expect("every kind is listed")
}

/// `GET /privileges`.
pub fn oz_presets_json() -> Value {
    json!({"viewer": sorted(&[OZ_VIEWER]), "admin": oz_all()})
}

// ----- the graph, with kinds and names as values ---------------------------------------

/// Parses names through the vocabulary's own list parser (a fixture helper only: the
/// names come from the reference; a typo panics).
pub fn privs<P: Privileges>(names: &[&str]) -> P {
    P::parse_list("fixture", &json!(names))
        .unwrap_or_else(|e| panic!("fixture privileges {names:?}: {e:?}"))
}

/// Creates an entity of kind `k`; a handle gets its own handle service `{id}_hs` and a
/// share `{id}_sh` of a space `{id}_sp`.
pub fn create(g: &mut Graph, k: TargetKind, id: &str) {
    privgraph::match_target_kind!(k, {
        Group => {
            g.create::<Group>(id).unwrap();
        },
        Space => {
            g.create::<Space>(id).unwrap();
        },
        HandleService => {
            g.create::<HandleService>(id).unwrap();
        },
        Harvester => {
            g.create::<Harvester>(id).unwrap();
        },
        Handle => {
            let hs = g.create::<HandleService>(&format!("{id}_hs")).unwrap();
            let sp = g.create::<Space>(&format!("{id}_sp")).unwrap();
            let sh = g.create_share(&format!("{id}_sh"), sp).unwrap();
            g.create_handle(id, hs, sh).unwrap();
        },
    }, plain T => {
            g.create::<T>(id).unwrap();
        })
}

pub fn user(g: &mut Graph, id: &str) {
    if g.key::<User>(id).is_none() {
        g.create::<User>(id).unwrap();
    }
}

pub fn group(g: &mut Graph, id: &str) {
    if g.key::<Group>(id).is_none() {
        g.create::<Group>(id).unwrap();
    }
}

/// Makes user `u` a direct member of `target` (kind `k`) with `names`.
pub fn add_user(g: &mut Graph, k: TargetKind, target: &str, u: &str, names: &[&str]) {
    privgraph::with_target_kind!(k, T => {
        let t = g.key::<T>(target).unwrap_or_else(|| panic!("no {k:?} {target}"));
        let m = g.key::<User>(u).unwrap_or_else(|| panic!("no user {u}"));
        g.add_member(t, m, privs::<<T as Target>::Privileges>(names))
            .unwrap_or_else(|e| panic!("add {u} to {target}: {e:?}"));
    })
}

/// Makes group `grp` a direct member (for groups: a child) of `target` with `names`.
pub fn add_group(g: &mut Graph, k: TargetKind, target: &str, grp: &str, names: &[&str]) {
    /// A group joins targets other than groups as a member.
    fn by_member<T: Target>(
        g: &mut Graph,
        target: &str,
        (grp, m): (&str, Key<Group>),
        names: &[&str],
    ) where
        Group: MemberOf<T>,
    {
        let t = g
            .key::<T>(target)
            .unwrap_or_else(|| panic!("no {} {target}", T::TARGET));
        g.add_member(t, m, privs::<T::Privileges>(names))
            .unwrap_or_else(|e| panic!("add {grp} to {target}: {e:?}"));
    }
    let m = g
        .key::<Group>(grp)
        .unwrap_or_else(|| panic!("no group {grp}"));
    privgraph::match_target_kind!(k, {
        Group => {
            let t = g.key::<Group>(target).unwrap_or_else(|| panic!("no group {target}"));
            g.nest(Child(m), Parent(t), privs(names))
                .unwrap_or_else(|e| panic!("nest {grp} in {target}: {e:?}"));
        },
        Space => by_member::<Space>(g, target, (grp, m), names),
        HandleService => by_member::<HandleService>(g, target, (grp, m), names),
        Handle => by_member::<Handle>(g, target, (grp, m), names),
        Harvester => by_member::<Harvester>(g, target, (grp, m), names),
    }, plain T => by_member::<T>(g, target, (grp, m), names))
}

/// Whether `u` is a direct member of `target`, and with what.
pub fn direct_user_privs(g: &Graph, k: TargetKind, target: &str, u: &str) -> Option<Vec<String>> {
    privgraph::with_target_kind!(k, T => {
        let t = g.key::<T>(target)?;
        let m = g.key::<User>(u)?;
        g.direct_privileges(m, t).map(|p| p.names().map(str::to_owned).collect())
    })
}

/// Whether group `grp` is a direct member of `target`, and with what.
pub fn direct_group_privs(
    g: &Graph,
    k: TargetKind,
    target: &str,
    grp: &str,
) -> Option<Vec<String>> {
    privgraph::with_target_kind!(k, T => {
        let t = g.key::<T>(target)?;
        let m = g.key::<Group>(grp)?;
        g.direct_privileges(m, t).map(|p| p.names().map(str::to_owned).collect())
    })
}

/// Whether an entity of kind `k` named `id` exists.
pub fn exists(g: &Graph, k: TargetKind, id: &str) -> bool {
    privgraph::with_target_kind!(k, T => g.key::<T>(id).is_some())
}

/// Direct users of `target`, sorted ids.
pub fn direct_users(g: &Graph, k: TargetKind, target: &str) -> Vec<String> {
    privgraph::with_target_kind!(k, T => {
        let t = g.key::<T>(target).unwrap();
        let mut ids: Vec<String> = g
            .direct_members::<User, T>(t)
            .into_iter()
            .map(|u| g.id(u).unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    })
}

/// Direct groups (children) of `target`, sorted ids.
pub fn direct_groups(g: &Graph, k: TargetKind, target: &str) -> Vec<String> {
    privgraph::with_target_kind!(k, T => {
        let t = g.key::<T>(target).unwrap();
        let mut ids: Vec<String> = g
            .direct_members::<Group, T>(t)
            .into_iter()
            .map(|u| g.id(u).unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    })
}

pub fn oz_user(g: &mut Graph, u: &str, names: &[&str]) {
    let key = g.key::<User>(u).unwrap();
    let current = g.oz_privileges(key).unwrap();
    let add: OzPrivileges = privs(names);
    g.update_oz_privileges(key, &PrivilegeUpdate::Set(current | add))
        .unwrap();
}

pub fn oz_group(g: &mut Graph, grp: &str, names: &[&str]) {
    let key = g.key::<Group>(grp).unwrap();
    let current = g.oz_privileges(key).unwrap();
    let add: OzPrivileges = privs(names);
    g.update_oz_privileges(key, &PrivilegeUpdate::Set(current | add))
        .unwrap();
}

pub fn own(g: &mut Graph, space: &str, u: &str) {
    let s = g.key::<Space>(space).unwrap();
    let u = g.key::<User>(u).unwrap();
    g.add_space_owner(s, u).unwrap();
}

pub fn owners(g: &Graph, space: &str) -> Vec<String> {
    let s = g.key::<Space>(space).unwrap();
    let mut ids: Vec<String> = g
        .space_owners(s)
        .into_iter()
        .map(|u| g.id(u).unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

pub fn link(g: &mut Graph, harvester: &str, space: &str) {
    let h = g.key::<Harvester>(harvester).unwrap();
    let s = g.key::<Space>(space).unwrap();
    g.link_harvester_space(h, s).unwrap();
}
