//! The names tables of the vocabularies, as Onezone defines them (the `privileges.hrl`
//! of its shared library, ctool). Each table is sorted by name; bit `i` is the `i`-th
//! name.
//!
//! [`for_each_vocabulary!`] is the one list of vocabularies: the [`Vocabulary`] enum,
//! [`AnyPrivileges`] and every runtime dispatch from a vocabulary to its type are
//! generated from it, so a new vocabulary is one `vocabulary!` block here and one row
//! there.
//!
//! [`Vocabulary`]: super::Vocabulary
//! [`AnyPrivileges`]: super::AnyPrivileges

use super::vocabulary;

/// Calls the macro `$callback` with the list of vocabularies, one row each: the
/// [`Vocabulary`](super::Vocabulary) variant (with its documentation), the privilege
/// type and the name Onezone's atoms start with. `$callback` receives `[$args]` first.
macro_rules! for_each_vocabulary {
    ($($callback:ident)::+ $([$($args:tt)*])?) => {
        $($callback)::+! {
            [$($($args)*)?]
            /// Privileges of a member in a group (`group_*`).
            Group(GroupPrivileges) = "group",
            /// Privileges of a member in a space (`space_*`).
            Space(SpacePrivileges) = "space",
            /// Privileges of a member in a handle service (`handle_service_*`).
            HandleService(HandleServicePrivileges) = "handle_service",
            /// Privileges of a member in a handle (`handle_*`).
            Handle(HandlePrivileges) = "handle",
            /// Privileges of a member in a harvester (`harvester_*`).
            Harvester(HarvesterPrivileges) = "harvester",
            /// Privileges of a member in a cluster (`cluster_*`).
            Cluster(ClusterPrivileges) = "cluster",
            /// Privileges of a member in an automation inventory (`atm_inventory_*`).
            AtmInventory(AtmInventoryPrivileges) = "atm_inventory",
            /// Onezone-wide administrator privileges of a user or group (`oz_*`).
            Oz(OzPrivileges) = "oz",
        }
    };
}
pub(crate) use for_each_vocabulary;

mod group {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or child group in a group (23 names).
        ///
        /// ```
        /// use privgraph::privileges::{GroupPrivileges, Privileges};
        /// assert_eq!(GroupPrivileges::NAMES.len(), 23);
        /// assert_eq!(GroupPrivileges::from_onezone_name("group_add_atm_inventory"), Some(GroupPrivileges::GROUP_ADD_ATM_INVENTORY));
        /// ```
        GroupPrivileges: u32, Group {
            GROUP_ADD_ATM_INVENTORY = "group_add_atm_inventory",
            GROUP_ADD_CHILD = "group_add_child",
            GROUP_ADD_CLUSTER = "group_add_cluster",
            GROUP_ADD_HARVESTER = "group_add_harvester",
            GROUP_ADD_PARENT = "group_add_parent",
            GROUP_ADD_SPACE = "group_add_space",
            GROUP_ADD_USER = "group_add_user",
            GROUP_CREATE_HANDLE = "group_create_handle",
            GROUP_CREATE_HANDLE_SERVICE = "group_create_handle_service",
            GROUP_DELETE = "group_delete",
            GROUP_LEAVE_CLUSTER = "group_leave_cluster",
            GROUP_LEAVE_HANDLE = "group_leave_handle",
            GROUP_LEAVE_HANDLE_SERVICE = "group_leave_handle_service",
            GROUP_LEAVE_PARENT = "group_leave_parent",
            GROUP_LEAVE_SPACE = "group_leave_space",
            GROUP_REMOVE_ATM_INVENTORY = "group_remove_atm_inventory",
            GROUP_REMOVE_CHILD = "group_remove_child",
            GROUP_REMOVE_HARVESTER = "group_remove_harvester",
            GROUP_REMOVE_USER = "group_remove_user",
            GROUP_SET_PRIVILEGES = "group_set_privileges",
            GROUP_UPDATE = "group_update",
            GROUP_VIEW = "group_view",
            GROUP_VIEW_PRIVILEGES = "group_view_privileges",
        }
        presets {
            "member" = [GROUP_VIEW],
            "manager" = [GROUP_ADD_ATM_INVENTORY, GROUP_ADD_CHILD, GROUP_ADD_HARVESTER, GROUP_ADD_PARENT, GROUP_ADD_USER, GROUP_LEAVE_PARENT, GROUP_REMOVE_ATM_INVENTORY, GROUP_REMOVE_CHILD, GROUP_REMOVE_HARVESTER, GROUP_REMOVE_USER, GROUP_VIEW, GROUP_VIEW_PRIVILEGES],
            "admin" = [GROUP_ADD_ATM_INVENTORY, GROUP_ADD_CHILD, GROUP_ADD_CLUSTER, GROUP_ADD_HARVESTER, GROUP_ADD_PARENT, GROUP_ADD_SPACE, GROUP_ADD_USER, GROUP_CREATE_HANDLE, GROUP_CREATE_HANDLE_SERVICE, GROUP_DELETE, GROUP_LEAVE_CLUSTER, GROUP_LEAVE_HANDLE, GROUP_LEAVE_HANDLE_SERVICE, GROUP_LEAVE_PARENT, GROUP_LEAVE_SPACE, GROUP_REMOVE_ATM_INVENTORY, GROUP_REMOVE_CHILD, GROUP_REMOVE_HARVESTER, GROUP_REMOVE_USER, GROUP_SET_PRIVILEGES, GROUP_UPDATE, GROUP_VIEW, GROUP_VIEW_PRIVILEGES],
        }
        legacy {
        }
    }
}
pub use group::GroupPrivileges;

mod space {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in a space (39 names).
        ///
        /// ```
        /// use privgraph::privileges::{SpacePrivileges, Privileges};
        /// assert_eq!(SpacePrivileges::NAMES.len(), 39);
        /// assert_eq!(SpacePrivileges::from_onezone_name("space_add_group"), Some(SpacePrivileges::SPACE_ADD_GROUP));
        /// ```
        SpacePrivileges: u64, Space {
            SPACE_ADD_GROUP = "space_add_group",
            SPACE_ADD_HARVESTER = "space_add_harvester",
            SPACE_ADD_SUPPORT = "space_add_support",
            SPACE_ADD_USER = "space_add_user",
            SPACE_CANCEL_EVICTION = "space_cancel_eviction",
            SPACE_CANCEL_REPLICATION = "space_cancel_replication",
            SPACE_CREATE_ARCHIVES = "space_create_archives",
            SPACE_DELETE = "space_delete",
            SPACE_MANAGE_ARCHIVES = "space_manage_archives",
            SPACE_MANAGE_ATM_WORKFLOW_EXECUTIONS = "space_manage_atm_workflow_executions",
            SPACE_MANAGE_DATASETS = "space_manage_datasets",
            SPACE_MANAGE_IN_MARKETPLACE = "space_manage_in_marketplace",
            SPACE_MANAGE_QOS = "space_manage_qos",
            SPACE_MANAGE_SHARES = "space_manage_shares",
            SPACE_MANAGE_VIEWS = "space_manage_views",
            SPACE_QUERY_VIEWS = "space_query_views",
            SPACE_READ_DATA = "space_read_data",
            SPACE_RECALL_ARCHIVES = "space_recall_archives",
            SPACE_REGISTER_FILES = "space_register_files",
            SPACE_REMOVE_ARCHIVES = "space_remove_archives",
            SPACE_REMOVE_GROUP = "space_remove_group",
            SPACE_REMOVE_HARVESTER = "space_remove_harvester",
            SPACE_REMOVE_SUPPORT = "space_remove_support",
            SPACE_REMOVE_USER = "space_remove_user",
            SPACE_SCHEDULE_ATM_WORKFLOW_EXECUTIONS = "space_schedule_atm_workflow_executions",
            SPACE_SCHEDULE_EVICTION = "space_schedule_eviction",
            SPACE_SCHEDULE_REPLICATION = "space_schedule_replication",
            SPACE_SET_PRIVILEGES = "space_set_privileges",
            SPACE_UPDATE = "space_update",
            SPACE_VIEW = "space_view",
            SPACE_VIEW_ARCHIVES = "space_view_archives",
            SPACE_VIEW_ATM_WORKFLOW_EXECUTIONS = "space_view_atm_workflow_executions",
            SPACE_VIEW_CHANGES_STREAM = "space_view_changes_stream",
            SPACE_VIEW_PRIVILEGES = "space_view_privileges",
            SPACE_VIEW_QOS = "space_view_qos",
            SPACE_VIEW_STATISTICS = "space_view_statistics",
            SPACE_VIEW_TRANSFERS = "space_view_transfers",
            SPACE_VIEW_VIEWS = "space_view_views",
            SPACE_WRITE_DATA = "space_write_data",
        }
        presets {
            "member" = [SPACE_READ_DATA, SPACE_VIEW, SPACE_VIEW_TRANSFERS, SPACE_WRITE_DATA],
            "manager" = [SPACE_ADD_GROUP, SPACE_ADD_HARVESTER, SPACE_ADD_USER, SPACE_CREATE_ARCHIVES, SPACE_MANAGE_ARCHIVES, SPACE_MANAGE_DATASETS, SPACE_MANAGE_SHARES, SPACE_QUERY_VIEWS, SPACE_READ_DATA, SPACE_REGISTER_FILES, SPACE_REMOVE_GROUP, SPACE_REMOVE_HARVESTER, SPACE_REMOVE_USER, SPACE_SCHEDULE_ATM_WORKFLOW_EXECUTIONS, SPACE_SCHEDULE_REPLICATION, SPACE_VIEW, SPACE_VIEW_ARCHIVES, SPACE_VIEW_ATM_WORKFLOW_EXECUTIONS, SPACE_VIEW_CHANGES_STREAM, SPACE_VIEW_PRIVILEGES, SPACE_VIEW_QOS, SPACE_VIEW_STATISTICS, SPACE_VIEW_TRANSFERS, SPACE_VIEW_VIEWS, SPACE_WRITE_DATA],
            "admin" = [SPACE_ADD_GROUP, SPACE_ADD_HARVESTER, SPACE_ADD_SUPPORT, SPACE_ADD_USER, SPACE_CANCEL_EVICTION, SPACE_CANCEL_REPLICATION, SPACE_CREATE_ARCHIVES, SPACE_DELETE, SPACE_MANAGE_ARCHIVES, SPACE_MANAGE_ATM_WORKFLOW_EXECUTIONS, SPACE_MANAGE_DATASETS, SPACE_MANAGE_IN_MARKETPLACE, SPACE_MANAGE_QOS, SPACE_MANAGE_SHARES, SPACE_MANAGE_VIEWS, SPACE_QUERY_VIEWS, SPACE_READ_DATA, SPACE_RECALL_ARCHIVES, SPACE_REGISTER_FILES, SPACE_REMOVE_ARCHIVES, SPACE_REMOVE_GROUP, SPACE_REMOVE_HARVESTER, SPACE_REMOVE_SUPPORT, SPACE_REMOVE_USER, SPACE_SCHEDULE_ATM_WORKFLOW_EXECUTIONS, SPACE_SCHEDULE_EVICTION, SPACE_SCHEDULE_REPLICATION, SPACE_SET_PRIVILEGES, SPACE_UPDATE, SPACE_VIEW, SPACE_VIEW_ARCHIVES, SPACE_VIEW_ATM_WORKFLOW_EXECUTIONS, SPACE_VIEW_CHANGES_STREAM, SPACE_VIEW_PRIVILEGES, SPACE_VIEW_QOS, SPACE_VIEW_STATISTICS, SPACE_VIEW_TRANSFERS, SPACE_VIEW_VIEWS, SPACE_WRITE_DATA],
        }
        legacy {
        }
    }
}
pub use space::SpacePrivileges;

mod handle_service {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in a handle service (6 names).
        ///
        /// ```
        /// use privgraph::privileges::{HandleServicePrivileges, Privileges};
        /// assert_eq!(HandleServicePrivileges::NAMES.len(), 6);
        /// assert_eq!(HandleServicePrivileges::from_onezone_name("handle_service_delete"), Some(HandleServicePrivileges::HANDLE_SERVICE_DELETE));
        /// ```
        HandleServicePrivileges: u8, HandleService {
            HANDLE_SERVICE_DELETE = "handle_service_delete",
            HANDLE_SERVICE_LIST_HANDLES = "handle_service_list_handles",
            HANDLE_SERVICE_MANAGE_HANDLES = "handle_service_manage_handles",
            HANDLE_SERVICE_REGISTER_HANDLE = "handle_service_register_handle",
            HANDLE_SERVICE_UPDATE = "handle_service_update",
            HANDLE_SERVICE_VIEW = "handle_service_view",
        }
        presets {
            "member" = [HANDLE_SERVICE_LIST_HANDLES, HANDLE_SERVICE_REGISTER_HANDLE, HANDLE_SERVICE_VIEW],
            "admin" = [HANDLE_SERVICE_DELETE, HANDLE_SERVICE_LIST_HANDLES, HANDLE_SERVICE_MANAGE_HANDLES, HANDLE_SERVICE_REGISTER_HANDLE, HANDLE_SERVICE_UPDATE, HANDLE_SERVICE_VIEW],
        }
        legacy {
            "handle_service_add_group" = HANDLE_SERVICE_UPDATE,
            "handle_service_add_user" = HANDLE_SERVICE_UPDATE,
            "handle_service_change_data" = HANDLE_SERVICE_UPDATE,
            "handle_service_remove" = HANDLE_SERVICE_DELETE,
            "handle_service_remove_group" = HANDLE_SERVICE_UPDATE,
            "handle_service_remove_user" = HANDLE_SERVICE_UPDATE,
            "handle_service_view_data" = HANDLE_SERVICE_VIEW,
            "register_handle" = HANDLE_SERVICE_REGISTER_HANDLE,
        }
    }
}
pub use handle_service::HandleServicePrivileges;

mod handle {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in a handle (3 names).
        ///
        /// ```
        /// use privgraph::privileges::{HandlePrivileges, Privileges};
        /// assert_eq!(HandlePrivileges::NAMES.len(), 3);
        /// assert_eq!(HandlePrivileges::from_onezone_name("handle_delete"), Some(HandlePrivileges::HANDLE_DELETE));
        /// ```
        HandlePrivileges: u8, Handle {
            HANDLE_DELETE = "handle_delete",
            HANDLE_UPDATE = "handle_update",
            HANDLE_VIEW = "handle_view",
        }
        presets {
            "member" = [HANDLE_VIEW],
            "admin" = [HANDLE_DELETE, HANDLE_UPDATE, HANDLE_VIEW],
        }
        legacy {
            "handle_change_data" = HANDLE_UPDATE,
            "handle_view_data" = HANDLE_VIEW,
            "unregister_handle" = HANDLE_DELETE,
        }
    }
}
pub use handle::HandlePrivileges;

mod harvester {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in a harvester (11 names).
        ///
        /// ```
        /// use privgraph::privileges::{HarvesterPrivileges, Privileges};
        /// assert_eq!(HarvesterPrivileges::NAMES.len(), 11);
        /// assert_eq!(HarvesterPrivileges::from_onezone_name("harvester_add_group"), Some(HarvesterPrivileges::HARVESTER_ADD_GROUP));
        /// ```
        HarvesterPrivileges: u16, Harvester {
            HARVESTER_ADD_GROUP = "harvester_add_group",
            HARVESTER_ADD_SPACE = "harvester_add_space",
            HARVESTER_ADD_USER = "harvester_add_user",
            HARVESTER_DELETE = "harvester_delete",
            HARVESTER_REMOVE_GROUP = "harvester_remove_group",
            HARVESTER_REMOVE_SPACE = "harvester_remove_space",
            HARVESTER_REMOVE_USER = "harvester_remove_user",
            HARVESTER_SET_PRIVILEGES = "harvester_set_privileges",
            HARVESTER_UPDATE = "harvester_update",
            HARVESTER_VIEW = "harvester_view",
            HARVESTER_VIEW_PRIVILEGES = "harvester_view_privileges",
        }
        presets {
            "member" = [HARVESTER_VIEW],
            "manager" = [HARVESTER_ADD_GROUP, HARVESTER_ADD_SPACE, HARVESTER_ADD_USER, HARVESTER_REMOVE_GROUP, HARVESTER_REMOVE_SPACE, HARVESTER_REMOVE_USER, HARVESTER_VIEW],
            "admin" = [HARVESTER_ADD_GROUP, HARVESTER_ADD_SPACE, HARVESTER_ADD_USER, HARVESTER_DELETE, HARVESTER_REMOVE_GROUP, HARVESTER_REMOVE_SPACE, HARVESTER_REMOVE_USER, HARVESTER_SET_PRIVILEGES, HARVESTER_UPDATE, HARVESTER_VIEW, HARVESTER_VIEW_PRIVILEGES],
        }
        legacy {
        }
    }
}
pub use harvester::HarvesterPrivileges;

mod cluster {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in a cluster (9 names).
        ///
        /// ```
        /// use privgraph::privileges::{ClusterPrivileges, Privileges};
        /// assert_eq!(ClusterPrivileges::NAMES.len(), 9);
        /// assert_eq!(ClusterPrivileges::from_onezone_name("cluster_add_group"), Some(ClusterPrivileges::CLUSTER_ADD_GROUP));
        /// ```
        ClusterPrivileges: u16, Cluster {
            CLUSTER_ADD_GROUP = "cluster_add_group",
            CLUSTER_ADD_USER = "cluster_add_user",
            CLUSTER_DELETE = "cluster_delete",
            CLUSTER_REMOVE_GROUP = "cluster_remove_group",
            CLUSTER_REMOVE_USER = "cluster_remove_user",
            CLUSTER_SET_PRIVILEGES = "cluster_set_privileges",
            CLUSTER_UPDATE = "cluster_update",
            CLUSTER_VIEW = "cluster_view",
            CLUSTER_VIEW_PRIVILEGES = "cluster_view_privileges",
        }
        presets {
            "member" = [CLUSTER_VIEW],
            "manager" = [CLUSTER_ADD_GROUP, CLUSTER_ADD_USER, CLUSTER_REMOVE_GROUP, CLUSTER_REMOVE_USER, CLUSTER_VIEW],
            "admin" = [CLUSTER_ADD_GROUP, CLUSTER_ADD_USER, CLUSTER_DELETE, CLUSTER_REMOVE_GROUP, CLUSTER_REMOVE_USER, CLUSTER_SET_PRIVILEGES, CLUSTER_UPDATE, CLUSTER_VIEW, CLUSTER_VIEW_PRIVILEGES],
        }
        legacy {
        }
    }
}
pub use cluster::ClusterPrivileges;

mod atm_inventory {
    use super::vocabulary;
    vocabulary! {
        /// Privileges of a user or group in an automation inventory (11 names).
        ///
        /// ```
        /// use privgraph::privileges::{AtmInventoryPrivileges, Privileges};
        /// assert_eq!(AtmInventoryPrivileges::NAMES.len(), 11);
        /// assert_eq!(AtmInventoryPrivileges::from_onezone_name("atm_inventory_add_group"), Some(AtmInventoryPrivileges::ATM_INVENTORY_ADD_GROUP));
        /// ```
        AtmInventoryPrivileges: u16, AtmInventory {
            ATM_INVENTORY_ADD_GROUP = "atm_inventory_add_group",
            ATM_INVENTORY_ADD_USER = "atm_inventory_add_user",
            ATM_INVENTORY_DELETE = "atm_inventory_delete",
            ATM_INVENTORY_MANAGE_LAMBDAS = "atm_inventory_manage_lambdas",
            ATM_INVENTORY_MANAGE_WORKFLOW_SCHEMAS = "atm_inventory_manage_workflow_schemas",
            ATM_INVENTORY_REMOVE_GROUP = "atm_inventory_remove_group",
            ATM_INVENTORY_REMOVE_USER = "atm_inventory_remove_user",
            ATM_INVENTORY_SET_PRIVILEGES = "atm_inventory_set_privileges",
            ATM_INVENTORY_UPDATE = "atm_inventory_update",
            ATM_INVENTORY_VIEW = "atm_inventory_view",
            ATM_INVENTORY_VIEW_PRIVILEGES = "atm_inventory_view_privileges",
        }
        presets {
            "member" = [ATM_INVENTORY_VIEW],
            "manager" = [ATM_INVENTORY_ADD_GROUP, ATM_INVENTORY_ADD_USER, ATM_INVENTORY_MANAGE_LAMBDAS, ATM_INVENTORY_MANAGE_WORKFLOW_SCHEMAS, ATM_INVENTORY_REMOVE_GROUP, ATM_INVENTORY_REMOVE_USER, ATM_INVENTORY_VIEW],
            "admin" = [ATM_INVENTORY_ADD_GROUP, ATM_INVENTORY_ADD_USER, ATM_INVENTORY_DELETE, ATM_INVENTORY_MANAGE_LAMBDAS, ATM_INVENTORY_MANAGE_WORKFLOW_SCHEMAS, ATM_INVENTORY_REMOVE_GROUP, ATM_INVENTORY_REMOVE_USER, ATM_INVENTORY_SET_PRIVILEGES, ATM_INVENTORY_UPDATE, ATM_INVENTORY_VIEW, ATM_INVENTORY_VIEW_PRIVILEGES],
        }
        legacy {
        }
    }
}
pub use atm_inventory::AtmInventoryPrivileges;

mod oz {
    use super::vocabulary;
    vocabulary! {
        /// Onezone-wide administrator privileges of a user or group (91 names, so 128 bits).
        ///
        /// ```
        /// use privgraph::privileges::{OzPrivileges, Privileges};
        /// assert_eq!(OzPrivileges::NAMES.len(), 91);
        /// assert_eq!(OzPrivileges::from_onezone_name("oz_atm_inventories_add_relationships"), Some(OzPrivileges::OZ_ATM_INVENTORIES_ADD_RELATIONSHIPS));
        /// ```
        OzPrivileges: u128, Oz {
            OZ_ATM_INVENTORIES_ADD_RELATIONSHIPS = "oz_atm_inventories_add_relationships",
            OZ_ATM_INVENTORIES_CREATE = "oz_atm_inventories_create",
            OZ_ATM_INVENTORIES_DELETE = "oz_atm_inventories_delete",
            OZ_ATM_INVENTORIES_LIST = "oz_atm_inventories_list",
            OZ_ATM_INVENTORIES_LIST_RELATIONSHIPS = "oz_atm_inventories_list_relationships",
            OZ_ATM_INVENTORIES_REMOVE_RELATIONSHIPS = "oz_atm_inventories_remove_relationships",
            OZ_ATM_INVENTORIES_SET_PRIVILEGES = "oz_atm_inventories_set_privileges",
            OZ_ATM_INVENTORIES_UPDATE = "oz_atm_inventories_update",
            OZ_ATM_INVENTORIES_VIEW = "oz_atm_inventories_view",
            OZ_ATM_INVENTORIES_VIEW_PRIVILEGES = "oz_atm_inventories_view_privileges",
            OZ_CLUSTERS_ADD_RELATIONSHIPS = "oz_clusters_add_relationships",
            OZ_CLUSTERS_LIST = "oz_clusters_list",
            OZ_CLUSTERS_LIST_RELATIONSHIPS = "oz_clusters_list_relationships",
            OZ_CLUSTERS_REMOVE_RELATIONSHIPS = "oz_clusters_remove_relationships",
            OZ_CLUSTERS_SET_PRIVILEGES = "oz_clusters_set_privileges",
            OZ_CLUSTERS_UPDATE = "oz_clusters_update",
            OZ_CLUSTERS_VIEW = "oz_clusters_view",
            OZ_CLUSTERS_VIEW_PRIVILEGES = "oz_clusters_view_privileges",
            OZ_GROUPS_ADD_RELATIONSHIPS = "oz_groups_add_relationships",
            OZ_GROUPS_CREATE = "oz_groups_create",
            OZ_GROUPS_DELETE = "oz_groups_delete",
            OZ_GROUPS_LIST = "oz_groups_list",
            OZ_GROUPS_LIST_RELATIONSHIPS = "oz_groups_list_relationships",
            OZ_GROUPS_REMOVE_RELATIONSHIPS = "oz_groups_remove_relationships",
            OZ_GROUPS_SET_PRIVILEGES = "oz_groups_set_privileges",
            OZ_GROUPS_UPDATE = "oz_groups_update",
            OZ_GROUPS_VIEW = "oz_groups_view",
            OZ_GROUPS_VIEW_PRIVILEGES = "oz_groups_view_privileges",
            OZ_HANDLE_SERVICES_ADD_RELATIONSHIPS = "oz_handle_services_add_relationships",
            OZ_HANDLE_SERVICES_CREATE = "oz_handle_services_create",
            OZ_HANDLE_SERVICES_DELETE = "oz_handle_services_delete",
            OZ_HANDLE_SERVICES_LIST = "oz_handle_services_list",
            OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS = "oz_handle_services_list_relationships",
            OZ_HANDLE_SERVICES_REMOVE_RELATIONSHIPS = "oz_handle_services_remove_relationships",
            OZ_HANDLE_SERVICES_SET_PRIVILEGES = "oz_handle_services_set_privileges",
            OZ_HANDLE_SERVICES_UPDATE = "oz_handle_services_update",
            OZ_HANDLE_SERVICES_VIEW = "oz_handle_services_view",
            OZ_HANDLE_SERVICES_VIEW_PRIVILEGES = "oz_handle_services_view_privileges",
            OZ_HANDLES_ADD_RELATIONSHIPS = "oz_handles_add_relationships",
            OZ_HANDLES_CREATE = "oz_handles_create",
            OZ_HANDLES_DELETE = "oz_handles_delete",
            OZ_HANDLES_LIST = "oz_handles_list",
            OZ_HANDLES_LIST_RELATIONSHIPS = "oz_handles_list_relationships",
            OZ_HANDLES_REMOVE_RELATIONSHIPS = "oz_handles_remove_relationships",
            OZ_HANDLES_SET_PRIVILEGES = "oz_handles_set_privileges",
            OZ_HANDLES_UPDATE = "oz_handles_update",
            OZ_HANDLES_VIEW = "oz_handles_view",
            OZ_HANDLES_VIEW_PRIVILEGES = "oz_handles_view_privileges",
            OZ_HARVESTERS_ADD_RELATIONSHIPS = "oz_harvesters_add_relationships",
            OZ_HARVESTERS_CREATE = "oz_harvesters_create",
            OZ_HARVESTERS_DELETE = "oz_harvesters_delete",
            OZ_HARVESTERS_LIST = "oz_harvesters_list",
            OZ_HARVESTERS_LIST_RELATIONSHIPS = "oz_harvesters_list_relationships",
            OZ_HARVESTERS_REMOVE_RELATIONSHIPS = "oz_harvesters_remove_relationships",
            OZ_HARVESTERS_SET_PRIVILEGES = "oz_harvesters_set_privileges",
            OZ_HARVESTERS_UPDATE = "oz_harvesters_update",
            OZ_HARVESTERS_VIEW = "oz_harvesters_view",
            OZ_HARVESTERS_VIEW_PRIVILEGES = "oz_harvesters_view_privileges",
            OZ_PROVIDERS_DELETE = "oz_providers_delete",
            OZ_PROVIDERS_INVITE = "oz_providers_invite",
            OZ_PROVIDERS_LIST = "oz_providers_list",
            OZ_PROVIDERS_LIST_RELATIONSHIPS = "oz_providers_list_relationships",
            OZ_PROVIDERS_UPDATE = "oz_providers_update",
            OZ_PROVIDERS_VIEW = "oz_providers_view",
            OZ_SET_PRIVILEGES = "oz_set_privileges",
            OZ_SHARES_CREATE = "oz_shares_create",
            OZ_SHARES_DELETE = "oz_shares_delete",
            OZ_SHARES_LIST = "oz_shares_list",
            OZ_SHARES_UPDATE = "oz_shares_update",
            OZ_SHARES_VIEW = "oz_shares_view",
            OZ_SPACES_ADD_RELATIONSHIPS = "oz_spaces_add_relationships",
            OZ_SPACES_CREATE = "oz_spaces_create",
            OZ_SPACES_DELETE = "oz_spaces_delete",
            OZ_SPACES_LIST = "oz_spaces_list",
            OZ_SPACES_LIST_RELATIONSHIPS = "oz_spaces_list_relationships",
            OZ_SPACES_REMOVE_RELATIONSHIPS = "oz_spaces_remove_relationships",
            OZ_SPACES_SET_PRIVILEGES = "oz_spaces_set_privileges",
            OZ_SPACES_UPDATE = "oz_spaces_update",
            OZ_SPACES_VIEW = "oz_spaces_view",
            OZ_SPACES_VIEW_PRIVILEGES = "oz_spaces_view_privileges",
            OZ_TOKENS_MANAGE = "oz_tokens_manage",
            OZ_USERS_ADD_RELATIONSHIPS = "oz_users_add_relationships",
            OZ_USERS_CREATE = "oz_users_create",
            OZ_USERS_DELETE = "oz_users_delete",
            OZ_USERS_LIST = "oz_users_list",
            OZ_USERS_LIST_RELATIONSHIPS = "oz_users_list_relationships",
            OZ_USERS_MANAGE_PASSWORDS = "oz_users_manage_passwords",
            OZ_USERS_REMOVE_RELATIONSHIPS = "oz_users_remove_relationships",
            OZ_USERS_UPDATE = "oz_users_update",
            OZ_USERS_VIEW = "oz_users_view",
            OZ_VIEW_PRIVILEGES = "oz_view_privileges",
        }
        presets {
            "viewer" = [OZ_ATM_INVENTORIES_LIST, OZ_ATM_INVENTORIES_LIST_RELATIONSHIPS, OZ_ATM_INVENTORIES_VIEW, OZ_CLUSTERS_LIST, OZ_CLUSTERS_LIST_RELATIONSHIPS, OZ_CLUSTERS_VIEW, OZ_GROUPS_LIST, OZ_GROUPS_LIST_RELATIONSHIPS, OZ_GROUPS_VIEW, OZ_HANDLE_SERVICES_LIST, OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS, OZ_HANDLE_SERVICES_VIEW, OZ_HANDLES_LIST, OZ_HANDLES_LIST_RELATIONSHIPS, OZ_HANDLES_VIEW, OZ_HARVESTERS_LIST, OZ_HARVESTERS_LIST_RELATIONSHIPS, OZ_HARVESTERS_VIEW, OZ_PROVIDERS_LIST, OZ_PROVIDERS_LIST_RELATIONSHIPS, OZ_PROVIDERS_VIEW, OZ_SHARES_LIST, OZ_SHARES_VIEW, OZ_SPACES_LIST, OZ_SPACES_LIST_RELATIONSHIPS, OZ_SPACES_VIEW, OZ_USERS_LIST, OZ_USERS_LIST_RELATIONSHIPS, OZ_USERS_VIEW],
            "admin" = [OZ_ATM_INVENTORIES_ADD_RELATIONSHIPS, OZ_ATM_INVENTORIES_CREATE, OZ_ATM_INVENTORIES_DELETE, OZ_ATM_INVENTORIES_LIST, OZ_ATM_INVENTORIES_LIST_RELATIONSHIPS, OZ_ATM_INVENTORIES_REMOVE_RELATIONSHIPS, OZ_ATM_INVENTORIES_SET_PRIVILEGES, OZ_ATM_INVENTORIES_UPDATE, OZ_ATM_INVENTORIES_VIEW, OZ_ATM_INVENTORIES_VIEW_PRIVILEGES, OZ_CLUSTERS_ADD_RELATIONSHIPS, OZ_CLUSTERS_LIST, OZ_CLUSTERS_LIST_RELATIONSHIPS, OZ_CLUSTERS_REMOVE_RELATIONSHIPS, OZ_CLUSTERS_SET_PRIVILEGES, OZ_CLUSTERS_UPDATE, OZ_CLUSTERS_VIEW, OZ_CLUSTERS_VIEW_PRIVILEGES, OZ_GROUPS_ADD_RELATIONSHIPS, OZ_GROUPS_CREATE, OZ_GROUPS_DELETE, OZ_GROUPS_LIST, OZ_GROUPS_LIST_RELATIONSHIPS, OZ_GROUPS_REMOVE_RELATIONSHIPS, OZ_GROUPS_SET_PRIVILEGES, OZ_GROUPS_UPDATE, OZ_GROUPS_VIEW, OZ_GROUPS_VIEW_PRIVILEGES, OZ_HANDLE_SERVICES_ADD_RELATIONSHIPS, OZ_HANDLE_SERVICES_CREATE, OZ_HANDLE_SERVICES_DELETE, OZ_HANDLE_SERVICES_LIST, OZ_HANDLE_SERVICES_LIST_RELATIONSHIPS, OZ_HANDLE_SERVICES_REMOVE_RELATIONSHIPS, OZ_HANDLE_SERVICES_SET_PRIVILEGES, OZ_HANDLE_SERVICES_UPDATE, OZ_HANDLE_SERVICES_VIEW, OZ_HANDLE_SERVICES_VIEW_PRIVILEGES, OZ_HANDLES_ADD_RELATIONSHIPS, OZ_HANDLES_CREATE, OZ_HANDLES_DELETE, OZ_HANDLES_LIST, OZ_HANDLES_LIST_RELATIONSHIPS, OZ_HANDLES_REMOVE_RELATIONSHIPS, OZ_HANDLES_SET_PRIVILEGES, OZ_HANDLES_UPDATE, OZ_HANDLES_VIEW, OZ_HANDLES_VIEW_PRIVILEGES, OZ_HARVESTERS_ADD_RELATIONSHIPS, OZ_HARVESTERS_CREATE, OZ_HARVESTERS_DELETE, OZ_HARVESTERS_LIST, OZ_HARVESTERS_LIST_RELATIONSHIPS, OZ_HARVESTERS_REMOVE_RELATIONSHIPS, OZ_HARVESTERS_SET_PRIVILEGES, OZ_HARVESTERS_UPDATE, OZ_HARVESTERS_VIEW, OZ_HARVESTERS_VIEW_PRIVILEGES, OZ_PROVIDERS_DELETE, OZ_PROVIDERS_INVITE, OZ_PROVIDERS_LIST, OZ_PROVIDERS_LIST_RELATIONSHIPS, OZ_PROVIDERS_UPDATE, OZ_PROVIDERS_VIEW, OZ_SET_PRIVILEGES, OZ_SHARES_CREATE, OZ_SHARES_DELETE, OZ_SHARES_LIST, OZ_SHARES_UPDATE, OZ_SHARES_VIEW, OZ_SPACES_ADD_RELATIONSHIPS, OZ_SPACES_CREATE, OZ_SPACES_DELETE, OZ_SPACES_LIST, OZ_SPACES_LIST_RELATIONSHIPS, OZ_SPACES_REMOVE_RELATIONSHIPS, OZ_SPACES_SET_PRIVILEGES, OZ_SPACES_UPDATE, OZ_SPACES_VIEW, OZ_SPACES_VIEW_PRIVILEGES, OZ_TOKENS_MANAGE, OZ_USERS_ADD_RELATIONSHIPS, OZ_USERS_CREATE, OZ_USERS_DELETE, OZ_USERS_LIST, OZ_USERS_LIST_RELATIONSHIPS, OZ_USERS_MANAGE_PASSWORDS, OZ_USERS_REMOVE_RELATIONSHIPS, OZ_USERS_UPDATE, OZ_USERS_VIEW, OZ_VIEW_PRIVILEGES],
        }
        legacy {
        }
    }
}
pub use oz::OzPrivileges;
