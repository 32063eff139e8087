//! What a successful operation answers, typed: the `rest` layer alone turns it into
//! JSON.

use crate::graph::{Author, Change, EntityKind, TargetKind};
use crate::privileges::{AnyPrivileges, Vocabulary};

/// A successful answer.
///
/// ```
/// use privgraph::graph::EntityKind;
/// use privgraph::logic::Outcome;
/// let outcome = Outcome::Ids { kind: EntityKind::User, ids: vec!["u1".into()] };
/// assert_eq!(outcome.http_status(), 200);
/// assert_eq!(Outcome::Created { id: None }.http_status(), 201);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `200 {"privileges": [...]}`.
    Privileges(AnyPrivileges),
    /// `200` with the presets of a vocabulary (`{"member": [...], ...}`).
    Presets(Vocabulary),
    /// `200 {"<kind plural>": [ids]}`, ids sorted.
    Ids {
        /// The kind of the listed entities; its plural is the answer's key.
        kind: EntityKind,
        /// The ids, sorted by bytes.
        ids: Vec<String>,
    },
    /// `200 {"intermediaries": [...]}`: how a member belongs to a target.
    Intermediaries {
        /// The target's kind (the `type` of the direct entry).
        kind: TargetKind,
        /// The entries, sorted by id bytes, `"self"` for the direct relation.
        via: Vec<Via>,
    },
    /// `201`, no body; `id` is the new entity's id when one was created (Onezone's
    /// `Location` ends with it).
    Created {
        /// The created entity, if the operation created one.
        id: Option<String>,
    },
    /// `204`, no body.
    NoContent,
}

/// One intermediary of an effective membership.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    /// The member's direct relation (Onezone's `"self"`).
    Direct,
    /// A group of the target that the member belongs to.
    Group(String),
}

impl Outcome {
    /// The HTTP status.
    ///
    /// ```
    /// assert_eq!(privgraph::logic::Outcome::NoContent.http_status(), 204);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Created { .. } => 201,
            Outcome::NoContent => 204,
            _ => 200,
        }
    }
}

/// What the pipeline decided for an operation, before anything is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// A read, answered.
    Read(Outcome),
    /// A write: the changes to apply as one batch, and the answer once they are.
    Write(Write),
}

/// A write that passed existence, authorization and validation.
///
/// ```
/// use privgraph::graph::{Graph, User, HandleService};
/// use privgraph::logic::{Auth, Engine, Planned};
/// use privgraph::rest::Request;
/// use privgraph::privileges::HandleServicePrivileges as HS;
/// let mut graph = Graph::new();
/// let (u, hs) = (graph.create::<User>("u1")?, graph.create::<HandleService>("hs1")?);
/// graph.add_member(hs, u, HS::HANDLE_SERVICE_UPDATE)?;
/// let engine = Engine::new(graph);
/// let request = Request::parse("DELETE", "/handle_services/hs1/users/u1", b"").unwrap();
/// let Ok(Planned::Write(write)) = engine.evaluate(&Auth::User("u1".into()), request.operation(), request.body()) else {
///     panic!("a write");
/// };
/// assert_eq!(write.changes.len(), 1);
/// assert_eq!(write.changes[0].op(), "removeMember");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// Who writes.
    pub by: Author,
    /// The batch's changes.
    pub changes: Vec<Change>,
    /// The answer once they are applied.
    pub outcome: Outcome,
}
