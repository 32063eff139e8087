//! Questions an operator asks of a graph by ids and names: "may this user do P on
//! R?" ([`check`]) and "why?" ([`explain`]). The `privgraph check` and `privgraph
//! explain` commands are these functions.
//!
//! ```
//! use privgraph::graph::TargetKind;
//! use privgraph::inspect::{check, explain};
//! use privgraph::snapshot::load;
//!
//! let graph = load(r#"{"version": 1, "users": [{"id": "u1"}],
//!     "groups": [{"id": "g1", "users": {"u1": []}}],
//!     "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_update"]}}]}"#)?;
//! assert!(check(&graph, "u1", TargetKind::HandleService, "hs1", "handle_service_update")?);
//! let paths = explain(&graph, "u1", TargetKind::HandleService, "hs1", "handle_service_update")?;
//! assert_eq!(paths[0].path, ["u1", "g1", "hs1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;

use crate::graph::{EntityKind, Graph, Space, Target, TargetKind, User};
use crate::privileges::{PrivilegeNameError, Privileges};

/// Why a question could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// No entity of that kind has that id.
    #[error("no {kind} `{id}` in the graph")]
    UnknownEntity {
        /// The kind.
        kind: EntityKind,
        /// The id.
        id: String,
    },
    /// The privilege is not a name of the target kind's vocabulary.
    #[error(transparent)]
    UnknownPrivilege(#[from] PrivilegeNameError),
}

/// One reason a user holds a privilege: a chain of direct memberships, or ownership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Ids from the user to the target: `[user, group, …, target]`.
    pub path: Vec<String>,
    /// What the chain's last hop gives in the target, of the privilege asked about
    /// (for an owner: the privilege itself).
    pub privileges: Vec<&'static str>,
    /// Whether the reason is space ownership (which holds every space privilege).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
}

/// Whether user `user` holds `privilege` (a name of the kind's vocabulary) in the
/// `kind` entity `target`.
pub fn check(
    graph: &Graph,
    user: &str,
    kind: TargetKind,
    target: &str,
    privilege: &str,
) -> Result<bool, InspectError> {
    Ok(!explain_limited(graph, user, kind, target, privilege, 1)?.is_empty())
}

/// Every reason (up to 1,000 chains) user `user` holds `privilege` in `target`.
pub fn explain(
    graph: &Graph,
    user: &str,
    kind: TargetKind,
    target: &str,
    privilege: &str,
) -> Result<Vec<Reason>, InspectError> {
    explain_limited(graph, user, kind, target, privilege, 1000)
}

fn explain_limited(
    graph: &Graph,
    user: &str,
    kind: TargetKind,
    target: &str,
    privilege: &str,
    limit: usize,
) -> Result<Vec<Reason>, InspectError> {
    crate::graph::with_target_kind!(kind, T => reasons::<T>(graph, user, target, privilege, limit))
}

fn reasons<T: Target>(
    graph: &Graph,
    user_id: &str,
    target_id: &str,
    privilege: &str,
    limit: usize,
) -> Result<Vec<Reason>, InspectError> {
    let wanted = T::Privileges::parse_name(privilege)?;
    let user = graph
        .key::<User>(user_id)
        .ok_or_else(|| InspectError::UnknownEntity {
            kind: EntityKind::User,
            id: user_id.to_owned(),
        })?;
    let target = graph
        .key::<T>(target_id)
        .ok_or_else(|| InspectError::UnknownEntity {
            kind: T::KIND,
            id: target_id.to_owned(),
        })?;
    let mut reasons = Vec::new();
    if T::TARGET == TargetKind::Space
        && let Some(space) = graph.key::<Space>(target_id)
        && graph.is_space_owner(space, user)
    {
        reasons.push(Reason {
            path: vec![user_id.to_owned(), target_id.to_owned()],
            privileges: wanted.names().collect(),
            owner: true,
        });
    }
    for path in graph.explain(user, target, wanted, limit.saturating_sub(reasons.len())) {
        let mut ids = vec![user_id.to_owned()];
        ids.extend(
            path.groups
                .iter()
                .filter_map(|g| graph.id(*g))
                .map(str::to_owned),
        );
        ids.push(target_id.to_owned());
        reasons.push(Reason {
            path: ids,
            privileges: path.contributes.names().collect(),
            owner: false,
        });
    }
    Ok(reasons)
}
