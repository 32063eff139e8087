//! Integration tests of `privgraph::privileges` against the reference tables: Onezone's
//! privilege vocabularies and presets as its privilege modules define them.
//!
//! Every name below is copied by hand from those tables and organised as the tables
//! organise it (by preset column, oz names by area); nothing here is
//! generated from the code under test.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::str::FromStr;

use privgraph::privileges::{
    AtmInventoryPrivileges, ClusterPrivileges, GroupPrivileges, HandlePrivileges,
    HandleServicePrivileges, HarvesterPrivileges, MissingGrantAndRevoke, OzPrivileges,
    PrivilegeListError, PrivilegeNameError, PrivilegeUpdate, Privileges, SpacePrivileges,
    UpdateBodyError, Vocabulary,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Reference tables (hand-copied)
// ---------------------------------------------------------------------------------------

/// One vocabulary as the reference states it: each preset with the names it adds to the
/// preset before it, and the preset sizes the reference gives.
struct Reference {
    vocabulary: Vocabulary,
    prefix: &'static str,
    size: usize,
    /// `(preset name, names added by this preset, size of the preset)`.
    tiers: Vec<(&'static str, Vec<&'static str>, usize)>,
}

impl Reference {
    fn all_names(&self) -> Vec<&'static str> {
        self.tiers
            .iter()
            .flat_map(|(_, added, _)| added.iter().copied())
            .collect()
    }

    fn sorted_names(&self) -> Vec<&'static str> {
        sorted_by_bytes(self.all_names())
    }

    /// The cumulative presets: `(name, sorted names)`.
    fn presets(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut acc: Vec<&'static str> = Vec::new();
        self.tiers
            .iter()
            .map(|(name, added, _)| {
                acc.extend(added.iter().copied());
                (*name, sorted_by_bytes(acc.clone()))
            })
            .collect()
    }
}

/// Group privileges, in table order, split by the first preset that holds each.
fn group_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::Group,
        prefix: "group_",
        size: 23,
        tiers: vec![
            ("member", vec!["group_view"], 1),
            (
                "manager",
                vec![
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
                ],
                12,
            ),
            (
                "admin",
                vec![
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
                ],
                23,
            ),
        ],
    }
}

/// Group privileges, the explicit sorted list.
const GROUP_SORTED: [&str; 23] = [
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

/// Space privileges, by preset: member, added by manager, added by admin.
fn space_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::Space,
        prefix: "space_",
        size: 39,
        tiers: vec![
            (
                "member",
                vec![
                    "space_read_data",
                    "space_view",
                    "space_view_transfers",
                    "space_write_data",
                ],
                4,
            ),
            (
                "manager",
                vec![
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
                ],
                25,
            ),
            (
                "admin",
                vec![
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
                ],
                39,
            ),
        ],
    }
}

/// Harvester privileges.
fn harvester_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::Harvester,
        prefix: "harvester_",
        size: 11,
        tiers: vec![
            ("member", vec!["harvester_view"], 1),
            (
                "manager",
                vec![
                    "harvester_add_group",
                    "harvester_add_space",
                    "harvester_add_user",
                    "harvester_remove_group",
                    "harvester_remove_space",
                    "harvester_remove_user",
                ],
                7,
            ),
            (
                "admin",
                vec![
                    "harvester_delete",
                    "harvester_set_privileges",
                    "harvester_update",
                    "harvester_view_privileges",
                ],
                11,
            ),
        ],
    }
}

/// Cluster privileges.
fn cluster_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::Cluster,
        prefix: "cluster_",
        size: 9,
        tiers: vec![
            ("member", vec!["cluster_view"], 1),
            (
                "manager",
                vec![
                    "cluster_add_group",
                    "cluster_add_user",
                    "cluster_remove_group",
                    "cluster_remove_user",
                ],
                5,
            ),
            (
                "admin",
                vec![
                    "cluster_delete",
                    "cluster_set_privileges",
                    "cluster_update",
                    "cluster_view_privileges",
                ],
                9,
            ),
        ],
    }
}

/// Automation inventory privileges.
fn atm_inventory_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::AtmInventory,
        prefix: "atm_inventory_",
        size: 11,
        tiers: vec![
            ("member", vec!["atm_inventory_view"], 1),
            (
                "manager",
                vec![
                    "atm_inventory_add_group",
                    "atm_inventory_add_user",
                    "atm_inventory_manage_lambdas",
                    "atm_inventory_manage_workflow_schemas",
                    "atm_inventory_remove_group",
                    "atm_inventory_remove_user",
                ],
                7,
            ),
            (
                "admin",
                vec![
                    "atm_inventory_delete",
                    "atm_inventory_set_privileges",
                    "atm_inventory_update",
                    "atm_inventory_view_privileges",
                ],
                11,
            ),
        ],
    }
}

/// Handle service privileges, in table order.
fn handle_service_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::HandleService,
        prefix: "handle_service_",
        size: 6,
        tiers: vec![
            (
                "member",
                vec![
                    "handle_service_view",
                    "handle_service_register_handle",
                    "handle_service_list_handles",
                ],
                3,
            ),
            (
                "admin",
                vec![
                    "handle_service_update",
                    "handle_service_delete",
                    "handle_service_manage_handles",
                ],
                6,
            ),
        ],
    }
}

/// Handle service privileges, the explicit sorted admin list.
const HANDLE_SERVICE_SORTED: [&str; 6] = [
    "handle_service_delete",
    "handle_service_list_handles",
    "handle_service_manage_handles",
    "handle_service_register_handle",
    "handle_service_update",
    "handle_service_view",
];

/// Handle privileges, in table order.
fn handle_reference() -> Reference {
    Reference {
        vocabulary: Vocabulary::Handle,
        prefix: "handle_",
        size: 3,
        tiers: vec![
            ("member", vec!["handle_view"], 1),
            ("admin", vec!["handle_update", "handle_delete"], 3),
        ],
    }
}

/// Handle privileges, the explicit sorted admin list.
const HANDLE_SORTED: [&str; 3] = ["handle_delete", "handle_update", "handle_view"];

/// Oz privileges by area: `(area, in viewer, admin only)`.
const OZ_AREAS: [(&str, &[&str], &[&str]); 12] = [
    (
        "privileges",
        &[],
        &["oz_view_privileges", "oz_set_privileges"],
    ),
    (
        "users",
        &[
            "oz_users_list",
            "oz_users_view",
            "oz_users_list_relationships",
        ],
        &[
            "oz_users_create",
            "oz_users_manage_passwords",
            "oz_users_update",
            "oz_users_delete",
            "oz_users_add_relationships",
            "oz_users_remove_relationships",
        ],
    ),
    (
        "groups",
        &[
            "oz_groups_list",
            "oz_groups_view",
            "oz_groups_list_relationships",
        ],
        &[
            "oz_groups_create",
            "oz_groups_update",
            "oz_groups_delete",
            "oz_groups_view_privileges",
            "oz_groups_set_privileges",
            "oz_groups_add_relationships",
            "oz_groups_remove_relationships",
        ],
    ),
    (
        "spaces",
        &[
            "oz_spaces_list",
            "oz_spaces_view",
            "oz_spaces_list_relationships",
        ],
        &[
            "oz_spaces_create",
            "oz_spaces_update",
            "oz_spaces_delete",
            "oz_spaces_view_privileges",
            "oz_spaces_set_privileges",
            "oz_spaces_add_relationships",
            "oz_spaces_remove_relationships",
        ],
    ),
    (
        "shares",
        &["oz_shares_list", "oz_shares_view"],
        &["oz_shares_create", "oz_shares_update", "oz_shares_delete"],
    ),
    (
        "providers",
        &[
            "oz_providers_list",
            "oz_providers_view",
            "oz_providers_list_relationships",
        ],
        &[
            "oz_providers_update",
            "oz_providers_delete",
            "oz_providers_invite",
        ],
    ),
    ("tokens", &[], &["oz_tokens_manage"]),
    (
        "handle services",
        &[
            "oz_handle_services_list",
            "oz_handle_services_view",
            "oz_handle_services_list_relationships",
        ],
        &[
            "oz_handle_services_create",
            "oz_handle_services_update",
            "oz_handle_services_delete",
            "oz_handle_services_view_privileges",
            "oz_handle_services_set_privileges",
            "oz_handle_services_add_relationships",
            "oz_handle_services_remove_relationships",
        ],
    ),
    (
        "handles",
        &[
            "oz_handles_list",
            "oz_handles_view",
            "oz_handles_list_relationships",
        ],
        &[
            "oz_handles_create",
            "oz_handles_update",
            "oz_handles_delete",
            "oz_handles_view_privileges",
            "oz_handles_set_privileges",
            "oz_handles_add_relationships",
            "oz_handles_remove_relationships",
        ],
    ),
    (
        "harvesters",
        &[
            "oz_harvesters_list",
            "oz_harvesters_view",
            "oz_harvesters_list_relationships",
        ],
        &[
            "oz_harvesters_create",
            "oz_harvesters_update",
            "oz_harvesters_delete",
            "oz_harvesters_view_privileges",
            "oz_harvesters_set_privileges",
            "oz_harvesters_add_relationships",
            "oz_harvesters_remove_relationships",
        ],
    ),
    (
        "clusters",
        &[
            "oz_clusters_list",
            "oz_clusters_view",
            "oz_clusters_list_relationships",
        ],
        &[
            "oz_clusters_update",
            "oz_clusters_view_privileges",
            "oz_clusters_set_privileges",
            "oz_clusters_add_relationships",
            "oz_clusters_remove_relationships",
        ],
    ),
    (
        "automation inventories",
        &[
            "oz_atm_inventories_list",
            "oz_atm_inventories_view",
            "oz_atm_inventories_list_relationships",
        ],
        &[
            "oz_atm_inventories_create",
            "oz_atm_inventories_update",
            "oz_atm_inventories_delete",
            "oz_atm_inventories_view_privileges",
            "oz_atm_inventories_set_privileges",
            "oz_atm_inventories_add_relationships",
            "oz_atm_inventories_remove_relationships",
        ],
    ),
];

/// Oz privileges: the counts per area.
const OZ_AREA_COUNTS: [usize; 12] = [2, 9, 10, 10, 5, 6, 1, 10, 10, 10, 8, 10];

fn oz_reference() -> Reference {
    let viewer = OZ_AREAS
        .iter()
        .flat_map(|(_, v, _)| v.iter().copied())
        .collect();
    let admin_only = OZ_AREAS
        .iter()
        .flat_map(|(_, _, a)| a.iter().copied())
        .collect();
    Reference {
        vocabulary: Vocabulary::Oz,
        prefix: "oz_",
        size: 91,
        tiers: vec![("viewer", viewer, 29), ("admin", admin_only, 91)],
    }
}

/// Legacy v3 handle service names and their current names, in table order.
const HANDLE_SERVICE_LEGACY: [(&str, &str); 8] = [
    ("register_handle", "handle_service_register_handle"),
    ("handle_service_view_data", "handle_service_view"),
    ("handle_service_change_data", "handle_service_update"),
    ("handle_service_remove", "handle_service_delete"),
    ("handle_service_add_user", "handle_service_update"),
    ("handle_service_remove_user", "handle_service_update"),
    ("handle_service_add_group", "handle_service_update"),
    ("handle_service_remove_group", "handle_service_update"),
];

/// Legacy v3 handle names and their current names, in table order.
const HANDLE_LEGACY: [(&str, &str); 3] = [
    ("handle_view_data", "handle_view"),
    ("handle_change_data", "handle_update"),
    ("unregister_handle", "handle_delete"),
];

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Everything a vocabulary type offers that these tests use.
trait Vocab:
    Privileges + Display + FromStr<Err = PrivilegeNameError> + Serialize + DeserializeOwned
{
}
impl<P> Vocab for P where
    P: Privileges + Display + FromStr<Err = PrivilegeNameError> + Serialize + DeserializeOwned
{
}

fn sorted_by_bytes(mut names: Vec<&'static str>) -> Vec<&'static str> {
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    names
}

/// The set holding exactly `names`, each looked up by its Onezone name.
fn set_of<P: Privileges>(names: &[&str]) -> P {
    names.iter().fold(P::empty(), |acc, name| {
        acc.union(P::from_onezone_name(name).unwrap_or_else(|| panic!("{name} unknown")))
    })
}

/// The number of single flags (bitflags' own `FLAGS`) a set holds.
fn count<P: Privileges>(set: P) -> usize {
    P::FLAGS.iter().filter(|f| set.contains(*f.value())).count()
}

/// A set from random bits: bit `i` selects the `i`-th declared flag.
fn from_bits<P: Privileges>(bits: u128) -> P {
    P::FLAGS
        .iter()
        .enumerate()
        .filter(|(i, _)| (bits >> i) & 1 == 1)
        .fold(P::empty(), |acc, (_, f)| acc.union(*f.value()))
}

fn check_vocabulary<P: Vocab>(reference: &Reference) {
    let vocabulary = reference.vocabulary;
    assert_eq!(P::VOCABULARY, vocabulary);
    let names = reference.all_names();
    let sorted = reference.sorted_names();

    // Counts, and the reference itself has no duplicate.
    assert_eq!(names.len(), reference.size, "{vocabulary}: reference size");
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), reference.size);
    assert_eq!(P::NAMES.len(), reference.size, "{vocabulary}: NAMES");
    assert_eq!(P::TABLE.len(), reference.size, "{vocabulary}: TABLE");
    assert_eq!(
        P::FLAGS.len(),
        reference.size,
        "{vocabulary}: bitflags FLAGS"
    );
    assert_eq!(count(P::all()), reference.size);

    // NAMES and TABLE are the reference names sorted by bytes.
    assert_eq!(P::NAMES, sorted.as_slice(), "{vocabulary}: NAMES order");
    let table_names: Vec<_> = P::TABLE.iter().map(|(n, _)| *n).collect();
    assert_eq!(table_names, sorted, "{vocabulary}: TABLE order");
    assert_eq!(P::all().names().collect::<Vec<_>>(), sorted);

    // Every name round-trips and is exactly one flag, all flags are disjoint.
    let mut union = P::empty();
    for name in &names {
        assert!(name.starts_with(reference.prefix), "{name}");
        let flag = P::from_onezone_name(name).unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!(count(flag), 1, "{name} must be one flag");
        assert!(union.intersection(flag).is_empty(), "{name} shares a bit");
        union = union.union(flag);
        assert_eq!(flag.name(), Some(*name));
        assert_eq!(flag.names().collect::<Vec<_>>(), [*name]);
        assert_eq!(flag.to_string(), *name);
        assert_eq!(name.parse::<P>(), Ok(flag));
        assert_eq!(P::parse_name(name), Ok(flag));
        assert_eq!(P::parse_legacy_name(name), Ok(flag));
        assert_eq!(serde_json::to_value(flag).unwrap(), json!([name]));
        let upper = name.to_uppercase();
        assert_eq!(P::from_onezone_name(&upper), None, "{upper} is wrong case");
    }
    assert_eq!(union, P::all());
    assert_eq!(P::empty().name(), None);
    assert_eq!(P::all().name(), None);

    // Presets: order, content, sizes, lookups.
    let presets = reference.presets();
    let preset_names: Vec<_> = P::PRESETS.iter().map(|p| p.name).collect();
    let expected_preset_names: Vec<_> = presets.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        preset_names, expected_preset_names,
        "{vocabulary}: PRESETS order"
    );
    for (((name, expected), preset), (_, _, size)) in
        presets.iter().zip(P::PRESETS).zip(&reference.tiers)
    {
        let expected_set: P = set_of(expected);
        assert_eq!(expected.len(), *size, "{vocabulary} {name}: reference size");
        assert_eq!(preset.privileges, expected_set, "{vocabulary} {name}");
        assert_eq!(P::preset(name), Some(expected_set), "{vocabulary} {name}");
        assert_eq!(preset.privileges.names().collect::<Vec<_>>(), *expected);
        assert_eq!(count(preset.privileges), *size);
        assert_eq!(
            serde_json::to_value(preset.privileges).unwrap(),
            json!(expected),
            "{vocabulary} {name}: JSON"
        );
        assert_eq!(preset.privileges.to_string(), expected.join(" | "));
        assert_eq!(
            preset.privileges.to_string().parse::<P>(),
            Ok(preset.privileges)
        );
    }
    for pair in P::PRESETS.windows(2) {
        assert!(
            pair[1].privileges.contains(pair[0].privileges),
            "presets must nest"
        );
    }
    assert_eq!(P::PRESETS.last().unwrap().privileges, P::all());
    assert_eq!(P::member(), set_of(&presets[0].1));
    assert_eq!(P::admin(), P::all());
    assert_eq!(P::preset("admin"), Some(P::all()));
    assert_eq!(P::preset("owner"), None);
    assert_eq!(P::preset("Admin"), None);
    let has_manager = expected_preset_names.contains(&"manager");
    assert_eq!(P::preset("manager").is_some(), has_manager);
    let has_viewer = expected_preset_names.contains(&"viewer");
    assert_eq!(P::preset("viewer").is_some(), has_viewer);
    assert_eq!(P::preset("member").is_some(), !has_viewer);
}

/// `legacy` as the reference gives it (in table order, `(legacy, current)`).
fn check_legacy<P: Vocab>(legacy: &[(&'static str, &'static str)]) {
    let mut expected: Vec<(&str, &str)> = legacy.to_vec();
    expected.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let actual: Vec<(&str, &str)> = P::LEGACY
        .iter()
        .map(|(l, f)| (*l, f.name().expect("one flag")))
        .collect();
    assert_eq!(actual, expected, "{}: LEGACY", P::VOCABULARY);

    let mut all_legacy = P::empty();
    let mut all_current = P::empty();
    for (old, current) in legacy {
        let flag: P = set_of(&[current]);
        all_current = all_current.union(flag);
        all_legacy = all_legacy.union(flag);
        assert_eq!(P::parse_legacy_name(old), Ok(flag), "{old}");
        assert_eq!(
            P::from_onezone_name(old),
            None,
            "{old} is not a current name"
        );
        assert_eq!(
            P::parse_name(old),
            Err(PrivilegeNameError::Legacy {
                value: old.to_string(),
                vocabulary: P::VOCABULARY,
                current,
            })
        );
        assert!(old.parse::<P>().is_err(), "FromStr must refuse {old}");
        assert!(
            serde_json::from_value::<P>(json!([old])).is_err(),
            "serde must refuse {old}"
        );
        match P::parse_list("privileges", &json!([old])) {
            Err(PrivilegeListError::NotAllowed {
                key,
                reason,
                allowed,
            }) => {
                assert_eq!(key, "privileges");
                assert!(
                    matches!(reason, PrivilegeNameError::Legacy { ref value, .. } if value == old)
                );
                assert_eq!(allowed, P::NAMES);
            }
            other => panic!("{old}: {other:?}"),
        }
        assert_eq!(P::parse_legacy_list("privileges", &json!([old])), Ok(flag));
    }
    // A whole list of legacy names, mixed with current names and duplicates.
    let mut list: Vec<Value> = legacy.iter().map(|(old, _)| json!(old)).collect();
    list.push(json!(P::NAMES[0]));
    list.push(json!(legacy[0].0));
    let expected_set = all_legacy.union(set_of(&[P::NAMES[0]]));
    assert_eq!(
        P::parse_legacy_list("privileges", &Value::Array(list)),
        Ok(expected_set)
    );
    assert_eq!(
        count(all_current),
        legacy.iter().map(|(_, c)| c).collect::<BTreeSet<_>>().len()
    );
    // The legacy list parser still refuses unknown names and bad types.
    assert!(matches!(
        P::parse_legacy_list("privileges", &json!(["nonsense"])),
        Err(PrivilegeListError::NotAllowed { .. })
    ));
    assert!(matches!(
        P::parse_legacy_list("privileges", &json!([legacy[0].0, 1])),
        Err(PrivilegeListError::NotListOfStrings { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// a. Names, presets, legacy tables
// ---------------------------------------------------------------------------------------

#[test]
fn group_vocabulary_matches_reference() {
    let reference = group_reference();
    check_vocabulary::<GroupPrivileges>(&reference);
    assert_eq!(reference.sorted_names(), GROUP_SORTED);
    assert_eq!(GroupPrivileges::NAMES, GROUP_SORTED);
}

#[test]
fn space_vocabulary_matches_reference() {
    check_vocabulary::<SpacePrivileges>(&space_reference());
    // "space_view_privileges is a manager privilege".
    assert!(
        SpacePrivileges::preset("manager")
            .unwrap()
            .contains(SpacePrivileges::SPACE_VIEW_PRIVILEGES)
    );
}

#[test]
fn handle_service_vocabulary_matches_reference() {
    let reference = handle_service_reference();
    check_vocabulary::<HandleServicePrivileges>(&reference);
    assert_eq!(reference.sorted_names(), HANDLE_SERVICE_SORTED);
    assert_eq!(
        HandleServicePrivileges::member()
            .names()
            .collect::<Vec<_>>(),
        [
            "handle_service_list_handles",
            "handle_service_register_handle",
            "handle_service_view"
        ]
    );
}

#[test]
fn handle_vocabulary_matches_reference() {
    let reference = handle_reference();
    check_vocabulary::<HandlePrivileges>(&reference);
    assert_eq!(reference.sorted_names(), HANDLE_SORTED);
    assert_eq!(HandlePrivileges::member(), HandlePrivileges::HANDLE_VIEW);
}

#[test]
fn harvester_vocabulary_matches_reference() {
    check_vocabulary::<HarvesterPrivileges>(&harvester_reference());
}

#[test]
fn cluster_vocabulary_matches_reference() {
    check_vocabulary::<ClusterPrivileges>(&cluster_reference());
}

#[test]
fn atm_inventory_vocabulary_matches_reference() {
    check_vocabulary::<AtmInventoryPrivileges>(&atm_inventory_reference());
}

#[test]
fn oz_vocabulary_matches_reference() {
    let reference = oz_reference();
    check_vocabulary::<OzPrivileges>(&reference);
    for ((area, viewer, admin_only), expected) in OZ_AREAS.iter().zip(OZ_AREA_COUNTS) {
        assert_eq!(viewer.len() + admin_only.len(), expected, "oz area {area}");
    }
    assert_eq!(
        OzPrivileges::member(),
        OzPrivileges::preset("viewer").unwrap()
    );
    // "oz_set_privileges between oz_providers_view and oz_shares_create, and
    // oz_tokens_manage between oz_spaces_view_privileges and oz_users_add_relationships".
    let position = |name| OzPrivileges::NAMES.iter().position(|n| *n == name).unwrap();
    assert_eq!(
        position("oz_set_privileges"),
        position("oz_providers_view") + 1
    );
    assert_eq!(
        position("oz_shares_create"),
        position("oz_set_privileges") + 1
    );
    assert_eq!(
        position("oz_tokens_manage"),
        position("oz_spaces_view_privileges") + 1
    );
    assert_eq!(
        position("oz_users_add_relationships"),
        position("oz_tokens_manage") + 1
    );
    assert_eq!(
        OzPrivileges::NAMES[0],
        "oz_atm_inventories_add_relationships"
    );
    assert_eq!(OzPrivileges::NAMES[90], "oz_view_privileges");
    for absent in [
        "oz_shares_list_relationships",
        "oz_providers_create",
        "oz_clusters_create",
        "oz_clusters_delete",
    ] {
        assert_eq!(OzPrivileges::from_onezone_name(absent), None, "{absent}");
    }
}

#[test]
fn vocabulary_names_display() {
    let expected = [
        (Vocabulary::Group, "group"),
        (Vocabulary::Space, "space"),
        (Vocabulary::HandleService, "handle_service"),
        (Vocabulary::Handle, "handle"),
        (Vocabulary::Harvester, "harvester"),
        (Vocabulary::Cluster, "cluster"),
        (Vocabulary::AtmInventory, "atm_inventory"),
        (Vocabulary::Oz, "oz"),
    ];
    for (vocabulary, name) in expected {
        assert_eq!(vocabulary.as_str(), name);
        assert_eq!(vocabulary.to_string(), name);
    }
}

#[test]
fn legacy_handle_service_names_map_as_the_reference_says() {
    check_legacy::<HandleServicePrivileges>(&HANDLE_SERVICE_LEGACY);
    // The four membership names all become handle_service_update.
    let members = json!([
        "handle_service_add_user",
        "handle_service_remove_user",
        "handle_service_add_group",
        "handle_service_remove_group"
    ]);
    assert_eq!(
        HandleServicePrivileges::parse_legacy_list("privileges", &members),
        Ok(HandleServicePrivileges::HANDLE_SERVICE_UPDATE)
    );
    // Handle legacy names are not handle-service names, even for the legacy parser.
    assert!(matches!(
        HandleServicePrivileges::parse_legacy_name("handle_view_data"),
        Err(PrivilegeNameError::Unknown { .. })
    ));
}

#[test]
fn legacy_handle_names_map_as_the_reference_says() {
    check_legacy::<HandlePrivileges>(&HANDLE_LEGACY);
    assert_eq!(
        HandlePrivileges::parse_legacy_name("handle_service_view_data"),
        Err(PrivilegeNameError::Unknown {
            value: "handle_service_view_data".into(),
            vocabulary: Vocabulary::Handle,
        })
    );
}

#[test]
fn other_vocabularies_have_no_legacy_names() {
    fn none<P: Vocab>() {
        assert!(P::LEGACY.is_empty(), "{}", P::VOCABULARY);
        for (old, _) in HANDLE_SERVICE_LEGACY.iter().chain(&HANDLE_LEGACY) {
            assert!(
                matches!(
                    P::parse_legacy_name(old),
                    Err(PrivilegeNameError::Unknown { .. })
                ),
                "{} accepted {old}",
                P::VOCABULARY
            );
        }
    }
    none::<GroupPrivileges>();
    none::<SpacePrivileges>();
    none::<HarvesterPrivileges>();
    none::<ClusterPrivileges>();
    none::<AtmInventoryPrivileges>();
    none::<OzPrivileges>();
}

#[test]
fn display_and_from_str_of_sets() {
    type G = GroupPrivileges;
    let set = G::GROUP_VIEW | G::GROUP_DELETE | G::GROUP_ADD_CHILD;
    assert_eq!(
        set.to_string(),
        "group_add_child | group_delete | group_view"
    );
    assert_eq!(
        "group_view|group_delete | group_add_child".parse::<G>(),
        Ok(set)
    );
    assert_eq!(" group_view | group_view ".parse::<G>(), Ok(G::GROUP_VIEW));
    assert_eq!("".parse::<G>(), Ok(G::empty()));
    assert_eq!("   ".parse::<G>(), Ok(G::empty()));
    assert_eq!(G::empty().to_string(), "");
    assert_eq!(
        "group_view | group_fly".parse::<G>(),
        Err(PrivilegeNameError::Unknown {
            value: "group_fly".into(),
            vocabulary: Vocabulary::Group,
        })
    );
    assert!(
        "group_view |".parse::<G>().is_err(),
        "an empty part is not a name"
    );
}

// ---------------------------------------------------------------------------------------
// b. Algebra laws (proptest)
// ---------------------------------------------------------------------------------------

/// The update formula, flag by flag: `grant ∪ (current − revoke)`.
fn by_hand<P: Privileges>(current: P, grant: P, revoke: P) -> P {
    P::FLAGS
        .iter()
        .map(|f| *f.value())
        .filter(|f| grant.contains(*f) || (current.contains(*f) && !revoke.contains(*f)))
        .fold(P::empty(), |acc, f| acc.union(f))
}

fn algebra_laws<P: Vocab>(bits: [u128; 6]) -> Result<(), TestCaseError> {
    let [cur, ga, ra, gb, rb, s] = bits.map(from_bits::<P>);
    prop_assert!(P::all().contains(cur.union(ga).union(ra).union(gb).union(rb).union(s)));

    // Set replaces; changed iff the set differs.
    let set = PrivilegeUpdate::Set(s).apply(cur);
    prop_assert_eq!(set.privileges, s);
    prop_assert_eq!(set.changed, s != cur);
    let again = PrivilegeUpdate::Set(s).apply(set.privileges);
    prop_assert_eq!(again.privileges, s);
    prop_assert!(!again.changed);

    // grant ∪ (current − revoke), checked flag by flag.
    let a = PrivilegeUpdate::grant_revoke(Some(ga), Some(ra)).unwrap();
    let after_a = a.apply(cur);
    prop_assert_eq!(after_a.privileges, by_hand(cur, ga, ra));
    prop_assert_eq!(after_a.changed, after_a.privileges != cur);

    // Idempotent.
    let twice = a.apply(after_a.privileges);
    prop_assert_eq!(twice.privileges, after_a.privileges);
    prop_assert!(!twice.changed);

    // Grant wins over revoke: every granted name is held; a name in both is held.
    prop_assert!(after_a.privileges.contains(ga));
    prop_assert!(after_a.privileges.contains(ga.intersection(ra)));
    prop_assert!(
        after_a
            .privileges
            .intersection(ra.difference(ga))
            .is_empty()
    );

    // Revoking names not held (and granting names held) changes nothing.
    let not_held = ra.difference(cur);
    let revoke_only = PrivilegeUpdate::grant_revoke(None, Some(not_held)).unwrap();
    prop_assert_eq!(revoke_only.apply(cur).privileges, cur);
    prop_assert!(!revoke_only.apply(cur).changed);
    let held = ga.intersection(cur);
    let grant_only = PrivilegeUpdate::grant_revoke(Some(held), None).unwrap();
    prop_assert_eq!(grant_only.apply(cur).privileges, cur);
    prop_assert!(!grant_only.apply(cur).changed);
    // Absent lists are empty sets.
    prop_assert_eq!(
        PrivilegeUpdate::grant_revoke(Some(ga), None)
            .unwrap()
            .apply(cur)
            .privileges,
        by_hand(cur, ga, P::empty())
    );
    prop_assert_eq!(
        PrivilegeUpdate::grant_revoke(None, Some(ra))
            .unwrap()
            .apply(cur)
            .privileges,
        by_hand(cur, P::empty(), ra)
    );

    // apply(a) then apply(b) = grant_b ∪ ((grant_a ∪ (cur − revoke_a)) − revoke_b).
    let b = PrivilegeUpdate::grant_revoke(Some(gb), Some(rb)).unwrap();
    let after_b = b.apply(after_a.privileges);
    let formula = gb.union(ga.union(cur.difference(ra)).difference(rb));
    prop_assert_eq!(after_b.privileges, formula);
    prop_assert_eq!(after_b.changed, formula != after_a.privileges);

    // The body reader builds the same update from the serialized lists.
    let body = json!({"grant": ga, "revoke": ra, "ignored": 1});
    prop_assert_eq!(
        PrivilegeUpdate::<P>::from_grant_revoke_body(body.as_object().unwrap()),
        Ok(a)
    );
    Ok(())
}

fn serde_laws<P: Vocab>(bits: u128) -> Result<(), TestCaseError> {
    let set = from_bits::<P>(bits);
    let value = serde_json::to_value(set).unwrap();
    let Value::Array(items) = &value else {
        return Err(TestCaseError::fail(format!("not an array: {value}")));
    };
    let names: Vec<&str> = items
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect();
    prop_assert_eq!(names.len(), count(set));
    prop_assert!(
        names.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()),
        "sorted"
    );
    for name in &names {
        let flag = P::from_onezone_name(name);
        prop_assert!(flag.is_some_and(|f| set.contains(f)), "{}", name);
    }
    prop_assert_eq!(serde_json::from_value::<P>(value.clone()).unwrap(), set);
    let text = serde_json::to_string(&set).unwrap();
    prop_assert_eq!(serde_json::from_str::<P>(&text).unwrap(), set);
    prop_assert_eq!(P::parse_list("privileges", &value), Ok(set));
    // Order and duplicates do not matter to any reader.
    let mut shuffled: Vec<&str> = names.iter().rev().copied().collect();
    shuffled.extend(names.iter().take(3));
    prop_assert_eq!(serde_json::from_value::<P>(json!(shuffled)).unwrap(), set);
    prop_assert_eq!(P::parse_list("grant", &json!(shuffled)), Ok(set));
    // Display / FromStr.
    prop_assert_eq!(set.to_string(), names.join(" | "));
    prop_assert_eq!(set.to_string().parse::<P>(), Ok(set));
    prop_assert_eq!(set.names().collect::<Vec<_>>(), names);
    Ok(())
}

macro_rules! laws_for {
    ($($module:ident: $P:ty,)+) => {$(
        mod $module {
            use super::*;
            proptest! {
                #[test]
                fn algebra(bits in any::<[u128; 6]>()) {
                    algebra_laws::<$P>(bits)?;
                }

                #[test]
                fn serde_round_trip(bits in any::<u128>()) {
                    serde_laws::<$P>(bits)?;
                }
            }
        }
    )+};
}

laws_for! {
    group_laws: GroupPrivileges,
    space_laws: SpacePrivileges,
    handle_service_laws: HandleServicePrivileges,
    handle_laws: HandlePrivileges,
    harvester_laws: HarvesterPrivileges,
    cluster_laws: ClusterPrivileges,
    atm_inventory_laws: AtmInventoryPrivileges,
    oz_laws: OzPrivileges,
}

#[test]
fn from_bits_helper_covers_the_whole_vocabulary() {
    // The strategy helper must reach every flag, or the laws above would test less.
    assert_eq!(from_bits::<OzPrivileges>(u128::MAX), OzPrivileges::all());
    assert_eq!(
        from_bits::<GroupPrivileges>(u128::MAX),
        GroupPrivileges::all()
    );
    assert_eq!(
        from_bits::<HandleServicePrivileges>(u128::MAX),
        HandleServicePrivileges::all()
    );
    assert_eq!(from_bits::<OzPrivileges>(0), OzPrivileges::empty());
}

#[test]
fn grant_revoke_needs_at_least_one_list() {
    fn check<P: Vocab>() {
        assert_eq!(
            PrivilegeUpdate::<P>::grant_revoke(None, None),
            Err(MissingGrantAndRevoke)
        );
        assert_eq!(
            PrivilegeUpdate::<P>::grant_revoke(Some(P::empty()), None),
            Ok(PrivilegeUpdate::GrantRevoke {
                grant: P::empty(),
                revoke: P::empty()
            })
        );
        assert_eq!(
            PrivilegeUpdate::<P>::grant_revoke(None, Some(P::all())),
            Ok(PrivilegeUpdate::GrantRevoke {
                grant: P::empty(),
                revoke: P::all()
            })
        );
        // {"grant": [], "revoke": []} is valid and changes nothing.
        let noop = PrivilegeUpdate::grant_revoke(Some(P::empty()), Some(P::empty())).unwrap();
        let applied = noop.apply(P::member());
        assert_eq!((applied.privileges, applied.changed), (P::member(), false));
    }
    check::<GroupPrivileges>();
    check::<SpacePrivileges>();
    check::<HandleServicePrivileges>();
    check::<HandlePrivileges>();
    check::<HarvesterPrivileges>();
    check::<ClusterPrivileges>();
    check::<AtmInventoryPrivileges>();
    check::<OzPrivileges>();
    let message = MissingGrantAndRevoke.to_string();
    assert!(
        message.contains("\"grant\"") && message.contains("\"revoke\""),
        "{message}"
    );
}

#[test]
fn grant_and_revoke_of_the_same_name_grants_it() {
    type H = HandleServicePrivileges;
    let update =
        PrivilegeUpdate::grant_revoke(Some(H::HANDLE_SERVICE_UPDATE), Some(H::all())).unwrap();
    let applied = update.apply(H::all());
    assert_eq!(applied.privileges, H::HANDLE_SERVICE_UPDATE);
    assert!(applied.changed);
    let applied = update.apply(H::empty());
    assert_eq!(applied.privileges, H::HANDLE_SERVICE_UPDATE);
}

// ---------------------------------------------------------------------------------------
// c. Errors
// ---------------------------------------------------------------------------------------

fn expect_not_list<P: Privileges>(key: &str, value: Value, offending: Value) {
    match P::parse_list(key, &value) {
        Err(PrivilegeListError::NotListOfStrings { key: k, value: v }) => {
            assert_eq!(k, key, "{value}");
            assert_eq!(v, offending, "{value}");
        }
        other => panic!("{value}: expected NotListOfStrings, got {other:?}"),
    }
}

fn expect_not_allowed<P: Privileges>(key: &str, value: Value, offending: &str) {
    let err = P::parse_list(key, &value).unwrap_err();
    assert_eq!(err.key(), key);
    match err {
        PrivilegeListError::NotAllowed {
            key: k,
            reason,
            allowed,
        } => {
            assert_eq!(k, key);
            assert_eq!(
                reason,
                PrivilegeNameError::Unknown {
                    value: offending.to_owned(),
                    vocabulary: P::VOCABULARY,
                },
                "{value}"
            );
            assert_eq!(allowed.len(), P::NAMES.len());
            assert!(
                allowed
                    .windows(2)
                    .all(|w| w[0].as_bytes() < w[1].as_bytes())
            );
            assert_eq!(allowed, P::NAMES);
        }
        other => panic!("{value}: expected NotAllowed, got {other:?}"),
    }
}

#[test]
fn unknown_name_is_refused_with_its_value_and_vocabulary() {
    assert_eq!(
        GroupPrivileges::parse_name("group_fly"),
        Err(PrivilegeNameError::Unknown {
            value: "group_fly".into(),
            vocabulary: Vocabulary::Group,
        })
    );
    // A name of another vocabulary is unknown here.
    assert_eq!(
        HandlePrivileges::parse_name("space_view"),
        Err(PrivilegeNameError::Unknown {
            value: "space_view".into(),
            vocabulary: Vocabulary::Handle,
        })
    );
    assert_eq!(OzPrivileges::from_onezone_name("group_view"), None);
    assert_eq!(SpacePrivileges::from_onezone_name("oz_spaces_view"), None);
    let message = ClusterPrivileges::parse_name("space_view")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("space_view") && message.contains("cluster"),
        "{message}"
    );
}

#[test]
fn legacy_name_in_the_normal_parser_is_its_own_error() {
    let err = HandleServicePrivileges::parse_name("register_handle").unwrap_err();
    assert_eq!(
        err,
        PrivilegeNameError::Legacy {
            value: "register_handle".into(),
            vocabulary: Vocabulary::HandleService,
            current: "handle_service_register_handle",
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("register_handle") && message.contains("legacy"),
        "{message}"
    );
    assert!("unregister_handle".parse::<HandlePrivileges>().is_err());
}

#[test]
fn list_that_is_not_an_array_is_not_a_list_of_strings() {
    for value in [
        json!("group_view"),
        json!(""),
        json!(7),
        json!(1.5),
        json!({"group_view": true}),
        json!({}),
        json!(null),
        json!(true),
        json!(false),
    ] {
        expect_not_list::<GroupPrivileges>("privileges", value.clone(), value);
    }
    let err = GroupPrivileges::parse_list("grant", &json!(3)).unwrap_err();
    assert_eq!(err.key(), "grant");
    assert!(err.to_string().contains("\"grant\""), "{err}");
}

#[test]
fn array_holding_a_number_object_or_array_is_not_a_list_of_strings() {
    for bad in [
        json!(0),
        json!(-2.5),
        json!({}),
        json!({"a": 1}),
        json!([]),
        json!(["group_view"]),
    ] {
        expect_not_list::<GroupPrivileges>(
            "revoke",
            json!(["group_view", bad.clone(), "group_delete"]),
            bad,
        );
    }
    // The first such element is reported.
    expect_not_list::<OzPrivileges>("grant", json!([1, {}, []]), json!(1));
    expect_not_list::<OzPrivileges>("grant", json!(["oz_users_view", [], 1]), json!([]));
}

#[test]
fn true_false_null_in_a_list_are_not_allowed_strings() {
    expect_not_allowed::<GroupPrivileges>("privileges", json!([true]), "true");
    expect_not_allowed::<GroupPrivileges>("privileges", json!([false]), "false");
    expect_not_allowed::<GroupPrivileges>("privileges", json!([null]), "null");
    expect_not_allowed::<OzPrivileges>("grant", json!(["oz_users_view", null, true]), "null");
    expect_not_allowed::<HandlePrivileges>("revoke", json!(["handle_view", false]), "false");
    // …but a number after them still wins (types first).
    expect_not_list::<GroupPrivileges>("privileges", json!([true, null, 5]), json!(5));
}

#[test]
fn a_number_anywhere_beats_an_unknown_name_anywhere() {
    expect_not_list::<GroupPrivileges>("grant", json!(["group_fly", 1]), json!(1));
    expect_not_list::<GroupPrivileges>("grant", json!([1, "group_fly"]), json!(1));
    expect_not_list::<SpacePrivileges>(
        "privileges",
        json!(["nope", "space_view", "", {"x": 1}]),
        json!({"x": 1}),
    );
    expect_not_list::<HandleServicePrivileges>(
        "revoke",
        json!(["register_handle", [1]]),
        json!([1]),
    );
}

#[test]
fn empty_string_and_wrong_case_are_not_allowed() {
    expect_not_allowed::<GroupPrivileges>("privileges", json!([""]), "");
    expect_not_allowed::<GroupPrivileges>("privileges", json!(["GROUP_VIEW"]), "GROUP_VIEW");
    expect_not_allowed::<GroupPrivileges>("privileges", json!(["Group_view"]), "Group_view");
    expect_not_allowed::<GroupPrivileges>("grant", json!([" group_view"]), " group_view");
    expect_not_allowed::<SpacePrivileges>(
        "grant",
        json!(["space_view", "SPACE_VIEW"]),
        "SPACE_VIEW",
    );
    expect_not_allowed::<OzPrivileges>("revoke", json!(["group_view"]), "group_view");
    expect_not_allowed::<ClusterPrivileges>("privileges", json!(["space_view"]), "space_view");
    expect_not_allowed::<HarvesterPrivileges>("privileges", json!(["harvester"]), "harvester");
    expect_not_allowed::<AtmInventoryPrivileges>(
        "grant",
        json!(["atm_inventory_run"]),
        "atm_inventory_run",
    );
    expect_not_allowed::<HandleServicePrivileges>("grant", json!(["handle_view"]), "handle_view");
    // The first refused element is the one reported.
    expect_not_allowed::<GroupPrivileges>("privileges", json!(["group_view", "b1", "b2"]), "b1");
}

#[test]
fn not_allowed_carries_the_whole_sorted_vocabulary() {
    let Err(PrivilegeListError::NotAllowed { allowed, .. }) =
        GroupPrivileges::parse_list("grant", &json!(["x"]))
    else {
        panic!("expected NotAllowed");
    };
    assert_eq!(allowed, GROUP_SORTED);
    let Err(PrivilegeListError::NotAllowed { allowed, .. }) =
        HandleServicePrivileges::parse_list("grant", &json!(["x"]))
    else {
        panic!("expected NotAllowed");
    };
    assert_eq!(allowed, HANDLE_SERVICE_SORTED);
    let Err(PrivilegeListError::NotAllowed { allowed, .. }) =
        OzPrivileges::parse_list("grant", &json!(["x"]))
    else {
        panic!("expected NotAllowed");
    };
    assert_eq!(allowed, oz_reference().sorted_names());
    let err = HandlePrivileges::parse_list("privileges", &json!(["x"])).unwrap_err();
    assert!(err.to_string().contains("\"privileges\""), "{err}");
}

#[test]
fn duplicates_and_empty_lists_are_accepted() {
    type G = GroupPrivileges;
    assert_eq!(
        G::parse_list(
            "privileges",
            &json!(["group_view", "group_view", "group_delete", "group_view"])
        ),
        Ok(G::GROUP_VIEW | G::GROUP_DELETE)
    );
    assert_eq!(G::parse_list("privileges", &json!([])), Ok(G::empty()));
    assert_eq!(
        OzPrivileges::parse_list("grant", &json!(["oz_tokens_manage", "oz_tokens_manage"])),
        Ok(OzPrivileges::OZ_TOKENS_MANAGE)
    );
    assert_eq!(
        serde_json::from_str::<G>(r#"["group_view","group_view"]"#).unwrap(),
        G::GROUP_VIEW
    );
}

#[test]
fn serde_refuses_unknown_names_naming_value_and_vocabulary() {
    let err = serde_json::from_str::<ClusterPrivileges>(r#"["cluster_view","space_view"]"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("space_view"), "{err}");
    assert!(err.contains("cluster"), "{err}");
    let err = serde_json::from_str::<OzPrivileges>(r#"["fly"]"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("fly") && err.contains("oz"), "{err}");
    // Other shapes are refused too.
    assert!(serde_json::from_str::<GroupPrivileges>(r#""group_view""#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"["group_view", 1]"#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"[null]"#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"["GROUP_VIEW"]"#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"[" group_view"]"#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"[""]"#).is_err());
    assert!(serde_json::from_str::<HandlePrivileges>(r#"["handle_view_data"]"#).is_err());
    assert!(serde_json::from_str::<GroupPrivileges>(r#"{}"#).is_err());
    assert_eq!(
        serde_json::from_str::<GroupPrivileges>("[]").unwrap(),
        GroupPrivileges::empty()
    );
}

fn body_error<P: Privileges>(body: Value) -> UpdateBodyError {
    PrivilegeUpdate::<P>::from_grant_revoke_body(body.as_object().expect("an object"))
        .expect_err("the body must be refused")
}

fn body_list_error(body: Value) -> PrivilegeListError {
    match body_error::<GroupPrivileges>(body.clone()) {
        UpdateBodyError::List(err) => err,
        other => panic!("{body}: expected a list error, got {other:?}"),
    }
}

#[test]
fn grant_revoke_body_checks_grant_before_revoke() {
    // Both bad: grant is reported, whatever the kinds of error.
    let err = body_list_error(json!({"revoke": 2, "grant": 1}));
    assert_eq!(
        err,
        PrivilegeListError::NotListOfStrings {
            key: "grant".into(),
            value: json!(1)
        }
    );
    let err = body_list_error(json!({"grant": ["group_fly"], "revoke": 3}));
    assert!(
        matches!(err, PrivilegeListError::NotAllowed { ref key, .. } if key == "grant"),
        "{err:?}"
    );
    let err = body_list_error(json!({"grant": [4], "revoke": ["group_fly"]}));
    assert_eq!(
        err,
        PrivilegeListError::NotListOfStrings {
            key: "grant".into(),
            value: json!(4)
        }
    );
    // Only revoke bad.
    let err = body_list_error(json!({"grant": ["group_view"], "revoke": ["group_fly"]}));
    assert!(
        matches!(err, PrivilegeListError::NotAllowed { ref key, .. } if key == "revoke"),
        "{err:?}"
    );
    let err = body_list_error(json!({"revoke": null}));
    assert_eq!(
        err,
        PrivilegeListError::NotListOfStrings {
            key: "revoke".into(),
            value: json!(null)
        }
    );
    // A legacy name is refused in a PATCH body.
    match body_error::<HandlePrivileges>(json!({"grant": ["handle_view_data"]})) {
        UpdateBodyError::List(PrivilegeListError::NotAllowed { key, reason, .. }) => {
            assert_eq!(key, "grant");
            assert!(matches!(
                reason,
                PrivilegeNameError::Legacy {
                    current: "handle_view",
                    ..
                }
            ));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn grant_revoke_body_without_either_key_is_missing() {
    for body in [
        json!({}),
        json!({"other": 1}),
        json!({"Grant": ["group_view"], "privileges": []}),
    ] {
        assert_eq!(
            body_error::<GroupPrivileges>(body),
            UpdateBodyError::Missing(MissingGrantAndRevoke)
        );
    }
    let message = body_error::<OzPrivileges>(json!({})).to_string();
    assert!(
        message.contains("grant") && message.contains("revoke"),
        "{message}"
    );
}

#[test]
fn grant_revoke_body_reads_valid_bodies_ignoring_unknown_keys() {
    type G = GroupPrivileges;
    let read =
        |body: Value| PrivilegeUpdate::<G>::from_grant_revoke_body(body.as_object().unwrap());
    assert_eq!(
        read(json!({"grant": [], "unknown": 5})),
        Ok(PrivilegeUpdate::GrantRevoke {
            grant: G::empty(),
            revoke: G::empty()
        })
    );
    assert_eq!(
        read(json!({"revoke": ["group_view", "group_view"], "x": {"y": 1}})),
        Ok(PrivilegeUpdate::GrantRevoke {
            grant: G::empty(),
            revoke: G::GROUP_VIEW
        })
    );
    assert_eq!(
        read(json!({"grant": ["group_delete"], "revoke": ["group_delete", "group_update"]})),
        Ok(PrivilegeUpdate::GrantRevoke {
            grant: G::GROUP_DELETE,
            revoke: G::GROUP_DELETE | G::GROUP_UPDATE,
        })
    );
}

#[test]
fn error_variants_are_distinct_and_typed() {
    let unknown = GroupPrivileges::parse_name("x").unwrap_err();
    let legacy = HandlePrivileges::parse_name("handle_change_data").unwrap_err();
    assert!(matches!(unknown, PrivilegeNameError::Unknown { .. }));
    assert!(matches!(
        legacy,
        PrivilegeNameError::Legacy {
            current: "handle_update",
            ..
        }
    ));
    let not_list = GroupPrivileges::parse_list("k", &json!([1])).unwrap_err();
    let not_allowed = GroupPrivileges::parse_list("k", &json!(["x"])).unwrap_err();
    assert_ne!(not_list, not_allowed);
    assert!(matches!(
        not_list,
        PrivilegeListError::NotListOfStrings { .. }
    ));
    assert!(matches!(not_allowed, PrivilegeListError::NotAllowed { .. }));
    assert_ne!(
        body_error::<GroupPrivileges>(json!({})),
        body_error::<GroupPrivileges>(json!({"grant": 1}))
    );
    // UpdateBodyError converts from both causes.
    assert_eq!(
        UpdateBodyError::from(not_list.clone()),
        UpdateBodyError::List(not_list)
    );
    assert_eq!(
        UpdateBodyError::from(MissingGrantAndRevoke),
        UpdateBodyError::Missing(MissingGrantAndRevoke)
    );
}
