//! Onezone's errors: one typed enum whose variants carry their details and map to an
//! HTTP code. The `rest` layer writes them as `{"error": {"id", "details",
//! "description"}}`.

use crate::graph::{ChangeError, GraphError};
use crate::privileges::PrivilegeListError;

/// An operation's refusal, exactly as Onezone answers it.
///
/// ```
/// use privgraph::logic::Error;
/// let err = Error::MissingAtLeastOneValue { keys: &["grant", "revoke"] };
/// assert_eq!(err.id(), "missingAtLeastOneValue");
/// assert_eq!(err.http_status(), 400);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// `nobody` failed authorization (401).
    #[error("You must authenticate yourself to perform this operation.")]
    Unauthorized,
    /// An authenticated client failed authorization (403).
    #[error("You are not authorized to perform this operation (insufficient privileges?).")]
    Forbidden,
    /// The entity or relation named in the path does not exist (404).
    #[error("The resource could not be found.")]
    NotFound,
    /// The body is not JSON, or not a JSON object (400).
    #[error("Provided data could not be understood by the server.")]
    MalformedData,
    /// The operation is not supported (400).
    #[error("This operation is not supported.")]
    NotSupported,
    /// A required body key is missing (400).
    #[error("Missing required data: \"{key}\".")]
    MissingRequiredValue {
        /// The key.
        key: &'static str,
    },
    /// None of the keys of an at-least-one group is present (400).
    #[error("Missing data, you must provide at least one of: {}.", .keys.join(", "))]
    MissingAtLeastOneValue {
        /// The keys of the group, sorted.
        keys: &'static [&'static str],
    },
    /// A list key is not a list of strings (400).
    #[error("Bad value: provided \"{key}\" must be a list of strings.")]
    BadValueListOfStrings {
        /// The key.
        key: String,
    },
    /// A list holds a value outside the allowed ones (400).
    #[error("Bad value: provided \"{key}\" must be a list containing zero or more of following values: {}.", .allowed.join(", "))]
    BadValueListNotAllowed {
        /// The key.
        key: String,
        /// Every allowed value, sorted.
        allowed: &'static [&'static str],
    },
    /// A key names an id that does not exist (400).
    #[error("Bad value: provided ID (\"{key}\") does not exist.")]
    BadValueIdNotFound {
        /// The key (`userId`, `groupId`, `spaceId`, `resourceId`, `handleServiceId`).
        key: &'static str,
    },
    /// A string key has a non-string value (400).
    #[error("Bad value: provided \"{key}\" must be a string.")]
    BadValueString {
        /// The key.
        key: &'static str,
    },
    /// A name breaks Onezone's name rule (400, no details).
    #[error(
        "Bad value: Name must be 2-128 characters long and composed only of UTF-8 letters, \
         digits, brackets and underscores. Dashes, spaces and dots are allowed (but not at \
         the beginning or the end)."
    )]
    BadValueName,
    /// A value must not be empty (400).
    #[error("Bad value: provided \"{key}\" must not be empty.")]
    BadValueEmpty {
        /// The key.
        key: &'static str,
    },
    /// A value must be a JSON object (400).
    #[error("Bad value: provided \"{key}\" must be a valid JSON.")]
    BadValueJson {
        /// The key.
        key: &'static str,
    },
    /// A value is not one of the allowed ones (400).
    #[error("Bad value: provided \"{key}\" must be one of: {}.", .allowed.join(", "))]
    BadValueNotAllowed {
        /// The key.
        key: &'static str,
        /// The allowed values, in Onezone's order.
        allowed: &'static [&'static str],
    },
    /// The direct relation already exists (409).
    #[error(
        "Bad value: {child_type} \"{child_id}\" is already a member of {parent_type} \"{parent_id}\"."
    )]
    RelationAlreadyExists {
        /// `user`, `group`, `harvester`.
        child_type: &'static str,
        /// The member's id.
        child_id: String,
        /// The target's [`KindInfo::relation_type`](crate::graph::KindInfo::relation_type)
        /// (`group`, `space`, `handleService`, …; every kind's is in
        /// [`EntityKind`](crate::graph::EntityKind)'s table).
        parent_type: &'static str,
        /// The target's id.
        parent_id: String,
    },
    /// The relation does not exist (400). Onezone's details use raw `od_*` record names.
    #[error(
        "Bad value: {child_type} \"{child_id}\" is not a member of {parent_type} \"{parent_id}\"."
    )]
    RelationDoesNotExist {
        /// e.g. `od_user`.
        child_type: &'static str,
        /// The member's id.
        child_id: String,
        /// e.g. `od_space`.
        parent_type: &'static str,
        /// The target's id.
        parent_id: String,
    },
    /// A group cannot be added to itself (400).
    #[error("Cannot add relation to self.")]
    CannotAddRelationToSelf,
    /// privgraph's own: the nesting would close a cycle (400). Onezone accepts cycles.
    #[error("Cannot nest group \"{child_id}\" in \"{parent_id}\": it would create a cycle.")]
    CannotCreateNestingCycle {
        /// The group that was to become a child.
        child_id: String,
        /// The group that was to become its parent.
        parent_id: String,
    },
    /// The resource already exists (409, no details): a second handle for a share, an
    /// owner who already owns the space.
    #[error("The resource already exists.")]
    AlreadyExists,
    /// The only owner of a space cannot leave while other users are members (400).
    #[error("Cannot remove the last owner of {entity_type} \"{entity_id}\".")]
    CannotRemoveLastOwner {
        /// `od_space`.
        entity_type: &'static str,
        /// The space id.
        entity_id: String,
    },
    /// A handle service with handles cannot be deleted (400).
    #[error("Cannot delete a handle service that still has handles.")]
    CannotDeleteNonEmptyHandleService,
}

impl Error {
    /// Onezone's error id.
    ///
    /// ```
    /// assert_eq!(privgraph::logic::Error::NotFound.id(), "notFound");
    /// ```
    pub fn id(&self) -> &'static str {
        match self {
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::NotFound => "notFound",
            Error::MalformedData => "malformedData",
            Error::NotSupported => "notSupported",
            Error::MissingRequiredValue { .. } => "missingRequiredValue",
            Error::MissingAtLeastOneValue { .. } => "missingAtLeastOneValue",
            Error::BadValueListOfStrings { .. } => "badValueListOfStrings",
            Error::BadValueListNotAllowed { .. } => "badValueListNotAllowed",
            Error::BadValueIdNotFound { .. } => "badValueIdNotFound",
            Error::BadValueString { .. } => "badValueString",
            Error::BadValueName => "badValueName",
            Error::BadValueEmpty { .. } => "badValueEmpty",
            Error::BadValueJson { .. } => "badValueJSON",
            Error::BadValueNotAllowed { .. } => "badValueNotAllowed",
            Error::RelationAlreadyExists { .. } => "relationAlreadyExists",
            Error::RelationDoesNotExist { .. } => "relationDoesNotExist",
            Error::CannotAddRelationToSelf => "cannotAddRelationToSelf",
            Error::CannotCreateNestingCycle { .. } => "cannotCreateNestingCycle",
            Error::AlreadyExists => "alreadyExists",
            Error::CannotRemoveLastOwner { .. } => "cannotRemoveLastOwner",
            Error::CannotDeleteNonEmptyHandleService => "cannotDeleteNonEmptyHandleService",
        }
    }

    /// The HTTP status Onezone answers with.
    ///
    /// ```
    /// assert_eq!(privgraph::logic::Error::Forbidden.http_status(), 403);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Unauthorized => 401,
            Error::Forbidden => 403,
            Error::NotFound => 404,
            Error::RelationAlreadyExists { .. } | Error::AlreadyExists => 409,
            _ => 400,
        }
    }
}

impl From<PrivilegeListError> for Error {
    fn from(err: PrivilegeListError) -> Error {
        match err {
            PrivilegeListError::NotListOfStrings { key, .. } => {
                Error::BadValueListOfStrings { key }
            }
            PrivilegeListError::NotAllowed { key, allowed, .. } => {
                Error::BadValueListNotAllowed { key, allowed }
            }
        }
    }
}

impl From<GraphError> for Error {
    /// Graph refusals at the apply step. The pipeline's existence and validation steps
    /// catch missing entities and relations first, so those map to their race-time
    /// Onezone answers.
    fn from(err: GraphError) -> Error {
        match err {
            GraphError::RelationExists { child, parent } => Error::RelationAlreadyExists {
                child_type: child.kind.info().relation_type,
                child_id: child.id,
                parent_type: parent.kind.info().relation_type,
                parent_id: parent.id,
            },
            GraphError::RelationMissing { child, parent } => Error::RelationDoesNotExist {
                child_type: child.kind.info().record,
                child_id: child.id,
                parent_type: parent.kind.info().record,
                parent_id: parent.id,
            },
            GraphError::RelationToSelf { .. } => Error::CannotAddRelationToSelf,
            GraphError::NestingCycle { child, parent } => Error::CannotCreateNestingCycle {
                child_id: child.id,
                parent_id: parent.id,
            },
            GraphError::HandleServiceNotEmpty { .. } => Error::CannotDeleteNonEmptyHandleService,
            GraphError::ShareHasHandle { .. } | GraphError::OwnerExists { .. } => {
                Error::AlreadyExists
            }
            GraphError::UnknownEntity { .. } | GraphError::NotOwner { .. } => Error::NotFound,
            GraphError::NotEffectiveMember { user, space } => Error::RelationDoesNotExist {
                // Onezone reports this one reversed.
                child_type: space.kind.info().record,
                child_id: space.id,
                parent_type: user.kind.info().record,
                parent_id: user.id,
            },
            GraphError::InvalidId { .. } => Error::MalformedData,
            GraphError::EntityExists { .. } => Error::AlreadyExists,
        }
    }
}

impl From<ChangeError> for Error {
    /// A change the pipeline planned was refused when applied: the graph's refusal, or
    /// (for an entity gone since planning) `notFound`.
    fn from(err: ChangeError) -> Error {
        match err {
            ChangeError::Graph(err) => err.into(),
            ChangeError::Unknown { .. } => Error::NotFound,
            ChangeError::NotIndependent { .. } | ChangeError::WrongVocabulary { .. } => {
                Error::NotSupported
            }
        }
    }
}
