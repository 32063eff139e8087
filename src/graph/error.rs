//! Why a graph mutation was refused. A refused mutation changes nothing.

use std::fmt;

use super::kinds::EntityKind;

/// One entity named in an error: its kind and external id.
///
/// ```
/// use privgraph::graph::{EntityKind, EntityRef};
/// let entity = EntityRef { kind: EntityKind::Group, id: "g1".into() };
/// assert_eq!(entity.to_string(), "group `g1`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityRef {
    /// The entity's kind.
    pub kind: EntityKind,
    /// The entity's external id.
    pub id: String,
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.kind, self.id)
    }
}

/// What is wrong with an external id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    /// The id is the empty string.
    Empty,
    /// The id is longer than [`MAX_ID_LEN`](super::MAX_ID_LEN) bytes.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for IdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdProblem::Empty => f.write_str("it is empty"),
            IdProblem::TooLong { len } => {
                write!(f, "it is {len} bytes long, more than {}", super::MAX_ID_LEN)
            }
        }
    }
}

/// A refused graph mutation. Every variant leaves the graph exactly as it was.
///
/// ```
/// use privgraph::graph::{Child, Graph, GraphError, Group, Parent};
/// use privgraph::privileges::GroupPrivileges;
///
/// let mut graph = Graph::new();
/// let g = graph.create::<Group>("g")?;
/// let err = graph.nest(Child(g), Parent(g), GroupPrivileges::empty()).unwrap_err();
/// assert!(matches!(err, GraphError::RelationToSelf { .. }));
/// # Ok::<(), GraphError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// An external id is empty or too long.
    #[error("invalid {kind} id {id:?}: {problem}")]
    InvalidId {
        /// The kind the id was for.
        kind: EntityKind,
        /// The id (cut to its first 64 bytes when longer, so errors stay small).
        id: String,
        /// What is wrong with it.
        problem: IdProblem,
    },
    /// An entity with this id already exists.
    #[error("{entity} already exists")]
    EntityExists {
        /// The existing entity.
        entity: EntityRef,
    },
    /// A key names no live entity (it was deleted, or comes from another graph).
    #[error("no such {kind}")]
    UnknownEntity {
        /// The kind the key was for.
        kind: EntityKind,
    },
    /// The direct relation already exists (Onezone: `relationAlreadyExists`).
    #[error("{child} is already a direct member of {parent}")]
    RelationExists {
        /// The member.
        child: EntityRef,
        /// The target.
        parent: EntityRef,
    },
    /// The direct relation does not exist.
    #[error("{child} is not a direct member of {parent}")]
    RelationMissing {
        /// The member.
        child: EntityRef,
        /// The target.
        parent: EntityRef,
    },
    /// A group cannot be its own member (Onezone: `cannotAddRelationToSelf`).
    #[error("{group} cannot be a member of itself")]
    RelationToSelf {
        /// The group.
        group: EntityRef,
    },
    /// Nesting `child` in `parent` would close a cycle, because `parent` is already an
    /// effective child of `child`. privgraph keeps nesting acyclic; Onezone accepts
    /// cycles, so this error has no Onezone id.
    #[error(
        "nesting {child} in {parent} would close a cycle: {parent} is already nested in {child}"
    )]
    NestingCycle {
        /// The group that was to become a child.
        child: EntityRef,
        /// The group that was to become its parent.
        parent: EntityRef,
    },
    /// A handle service cannot be deleted while handles are registered in it (Onezone:
    /// `cannotDeleteNonEmptyHandleService`).
    #[error("{handle_service} still has {handles} handle(s)")]
    HandleServiceNotEmpty {
        /// The handle service.
        handle_service: EntityRef,
        /// How many handles it still has.
        handles: usize,
    },
    /// A share has at most one handle (Onezone: `alreadyExists`).
    #[error("{share} already has a handle")]
    ShareHasHandle {
        /// The share.
        share: EntityRef,
    },
    /// Only an effective member of a space can be its owner.
    #[error("{user} is not an effective member of {space}")]
    NotEffectiveMember {
        /// The user.
        user: EntityRef,
        /// The space.
        space: EntityRef,
    },
    /// The user already owns the space.
    #[error("{user} already owns {space}")]
    OwnerExists {
        /// The user.
        user: EntityRef,
        /// The space.
        space: EntityRef,
    },
    /// The user does not own the space.
    #[error("{user} does not own {space}")]
    NotOwner {
        /// The user.
        user: EntityRef,
        /// The space.
        space: EntityRef,
    },
}
