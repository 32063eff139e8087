//! Onezone's privilege update algebra: *set* replaces, *grant + revoke* edits.

use serde_json::{Map, Value};

use super::{PrivilegeListError, Privileges};

/// A change to one privilege set.
///
/// `Set` replaces the whole set (Onezone's legacy `PUT …/privileges` routes);
/// `GrantRevoke` computes `new = grant ∪ (current − revoke)`, so a name in both lists
/// ends up granted (Onezone's `PATCH`). Build `GrantRevoke` with
/// [`PrivilegeUpdate::grant_revoke`], which refuses an update with neither list, as
/// Onezone does.
///
/// ```
/// use privgraph::privileges::{GroupPrivileges as G, PrivilegeUpdate};
///
/// let current = G::GROUP_VIEW | G::GROUP_UPDATE;
/// let both = PrivilegeUpdate::grant_revoke(Some(G::GROUP_DELETE), Some(G::GROUP_DELETE | G::GROUP_UPDATE))?;
/// assert_eq!(both.apply(current).privileges, G::GROUP_VIEW | G::GROUP_DELETE);
/// assert_eq!(PrivilegeUpdate::Set(G::empty()).apply(current).privileges, G::empty());
/// # Ok::<(), privgraph::privileges::MissingGrantAndRevoke>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivilegeUpdate<P> {
    /// Replace the whole set.
    Set(P),
    /// `grant ∪ (current − revoke)`; an absent list is the empty set.
    GrantRevoke {
        /// Privileges to add.
        grant: P,
        /// Privileges to remove (a name also in `grant` stays).
        revoke: P,
    },
}

/// The result of applying a [`PrivilegeUpdate`].
///
/// ```
/// use privgraph::privileges::{HandlePrivileges as H, PrivilegeUpdate};
/// let applied = PrivilegeUpdate::Set(H::HANDLE_VIEW).apply(H::HANDLE_VIEW);
/// assert_eq!((applied.privileges, applied.changed), (H::HANDLE_VIEW, false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Applied<P> {
    /// The new set.
    pub privileges: P,
    /// Whether it differs from the set the update was applied to.
    pub changed: bool,
}

/// A grant/revoke update named neither list (Onezone: `missingAtLeastOneValue` with keys
/// `grant` and `revoke`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("missing data: at least one of \"grant\" or \"revoke\" must be provided")]
pub struct MissingGrantAndRevoke;

/// Why a `{"grant": [...], "revoke": [...]}` body was refused, in Onezone's order.
///
/// ```
/// use privgraph::privileges::{GroupPrivileges, PrivilegeUpdate, UpdateBodyError};
/// use serde_json::json;
///
/// let body = json!({"revoke": 7});
/// let err = PrivilegeUpdate::<GroupPrivileges>::from_grant_revoke_body(body.as_object().unwrap()).unwrap_err();
/// assert!(matches!(err, UpdateBodyError::List(ref e) if e.key() == "revoke"));
///
/// let body = json!({"other": 1});
/// let err = PrivilegeUpdate::<GroupPrivileges>::from_grant_revoke_body(body.as_object().unwrap()).unwrap_err();
/// assert!(matches!(err, UpdateBodyError::Missing(_)));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpdateBodyError {
    /// `grant` or `revoke` is not a valid list (checked `grant` first).
    #[error(transparent)]
    List(#[from] PrivilegeListError),
    /// Neither key is present.
    #[error(transparent)]
    Missing(#[from] MissingGrantAndRevoke),
}

impl<P: Privileges> PrivilegeUpdate<P> {
    /// A grant/revoke update; at least one of the two must be given.
    ///
    /// ```
    /// use privgraph::privileges::{HandlePrivileges, PrivilegeUpdate};
    /// assert!(PrivilegeUpdate::<HandlePrivileges>::grant_revoke(None, None).is_err());
    /// assert!(PrivilegeUpdate::grant_revoke(Some(HandlePrivileges::empty()), None).is_ok());
    /// ```
    pub fn grant_revoke(
        grant: Option<P>,
        revoke: Option<P>,
    ) -> Result<Self, MissingGrantAndRevoke> {
        if grant.is_none() && revoke.is_none() {
            return Err(MissingGrantAndRevoke);
        }
        Ok(PrivilegeUpdate::GrantRevoke {
            grant: grant.unwrap_or_else(P::empty),
            revoke: revoke.unwrap_or_else(P::empty),
        })
    }

    /// Reads Onezone's `PATCH …/privileges` body: optional `grant` and `revoke` lists of
    /// current names, validated in key order (`grant` before `revoke`), then the
    /// at-least-one rule. Unknown keys are ignored, as Onezone ignores them.
    pub fn from_grant_revoke_body(body: &Map<String, Value>) -> Result<Self, UpdateBodyError> {
        let grant = body
            .get("grant")
            .map(|v| P::parse_list("grant", v))
            .transpose()?;
        let revoke = body
            .get("revoke")
            .map(|v| P::parse_list("revoke", v))
            .transpose()?;
        Ok(Self::grant_revoke(grant, revoke)?)
    }

    /// Applies the update to `current`: O(1), no allocation.
    pub fn apply(&self, current: P) -> Applied<P> {
        let privileges = match *self {
            PrivilegeUpdate::Set(new) => new,
            PrivilegeUpdate::GrantRevoke { grant, revoke } => {
                grant.union(current.difference(revoke))
            }
        };
        Applied {
            privileges,
            changed: privileges != current,
        }
    }
}
