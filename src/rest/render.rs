//! Answers as JSON, in Onezone's key order: the one place that writes bodies, errors
//! included.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::logic::{Decision, Error, Outcome, Via};
use crate::privileges::AnyPrivileges;

use super::RequestError;

/// A response body. Serializes as Onezone's JSON (keys in Onezone's order); use
/// [`Response::json`](super::Response::json) to compare it as a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A successful answer with a body (`200`).
    Outcome(Outcome),
    /// An operation's refusal: `{"error": {"id", "details", "description"}}`.
    Error(Error),
    /// A request refused before routing, with privgraph's own error ids.
    Refused(RequestError),
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Outcome(outcome) => outcome_body(outcome, serializer),
            Body::Error(error) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("error", &ErrorObject(error))?;
                map.end()
            }
            Body::Refused(refusal) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("error", &RefusalObject(*refusal))?;
                map.end()
            }
        }
    }
}

/// A [`Decision`] as JSON: `{"decision": "allowed", "reason": {...}, "problem": null |
/// {"error": ...}}`, `{"decision": "denied", "reason": {...}}` or `{"decision":
/// "notFound", "reason": null}` (the reason's keys are documented on
/// [`Reason`](crate::logic::Reason) and [`Denial`](crate::logic::Denial); `problem` is the
/// refusal the request would still meet after authorization, as its error body).
///
/// ```
/// use privgraph::logic::{authorize, Auth};
/// use privgraph::rest::{DecisionBody, Request};
/// let graph = privgraph::graph::Graph::new();
/// let request = Request::parse("GET", "/groups/g1/users", b"").unwrap();
/// let decision = authorize(&graph, &Auth::Root, request.operation(), request.body());
/// assert_eq!(serde_json::to_string(&DecisionBody(&decision))?,
///            r#"{"decision":"notFound","reason":null}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DecisionBody<'a>(pub &'a Decision);

impl Serialize for DecisionBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let decision = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("decision", decision.as_str())?;
        match decision {
            Decision::Allowed { reason, problem } => {
                map.serialize_entry("reason", reason)?;
                map.serialize_entry("problem", &problem.clone().map(Body::Error))?;
            }
            Decision::Denied(denial) => map.serialize_entry("reason", denial)?,
            Decision::NotFound => map.serialize_entry("reason", &())?,
        }
        map.end()
    }
}

fn outcome_body<S: Serializer>(outcome: &Outcome, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    match outcome {
        Outcome::Privileges(privileges) => map.serialize_entry("privileges", privileges)?,
        Outcome::Presets(vocabulary) => {
            for (name, set) in AnyPrivileges::presets(*vocabulary) {
                map.serialize_entry(name, &set)?;
            }
        }
        Outcome::Ids { kind, ids } => map.serialize_entry(kind.info().plural, ids)?,
        Outcome::Intermediaries { kind, via } => {
            map.serialize_entry("intermediaries", &Intermediaries(kind.as_str(), via))?
        }
        // Answers without a body are never serialized; an empty object stands for them.
        Outcome::Created { .. } | Outcome::NoContent => {}
    }
    map.end()
}

struct Intermediaries<'a>(&'static str, &'a [Via]);

impl Serialize for Intermediaries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.1.len()))?;
        for via in self.1 {
            let (kind, id) = match via {
                Via::Direct => (self.0, "self"),
                Via::Group(id) => ("group", id.as_str()),
            };
            seq.serialize_element(&TypeAndId { kind, id })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct TypeAndId<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
}

struct ErrorObject<'a>(&'a Error);

impl Serialize for ErrorObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let error = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", error.id())?;
        write_details(error, &mut map)?;
        map.serialize_entry("description", &error.to_string())?;
        map.end()
    }
}

struct RefusalObject(RequestError);

impl Serialize for RefusalObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("id", self.0.status_and_id().1)?;
        map.serialize_entry("description", &self.0.to_string())?;
        map.end()
    }
}

/// `{"key": …}` details.
#[derive(Serialize)]
struct Key<'a> {
    key: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relation<'a> {
    child_type: &'a str,
    child_id: &'a str,
    parent_type: &'a str,
    parent_id: &'a str,
}

/// Writes `"details": {...}` for the errors that have details (Onezone omits the key
/// for the others).
fn write_details<M: SerializeMap>(error: &Error, map: &mut M) -> Result<(), M::Error> {
    #[derive(Serialize)]
    struct Keys<'a> {
        keys: &'a [&'a str],
    }
    #[derive(Serialize)]
    struct Allowed<'a> {
        key: &'a str,
        allowed: &'a [&'a str],
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Cycle<'a> {
        child_id: &'a str,
        parent_id: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Entity<'a> {
        entity_type: &'a str,
        entity_id: &'a str,
    }
    match error {
        Error::MissingRequiredValue { key }
        | Error::BadValueIdNotFound { key }
        | Error::BadValueString { key }
        | Error::BadValueEmpty { key }
        | Error::BadValueJson { key } => map.serialize_entry("details", &Key { key }),
        Error::BadValueListOfStrings { key } => map.serialize_entry("details", &Key { key }),
        Error::MissingAtLeastOneValue { keys } => map.serialize_entry("details", &Keys { keys }),
        Error::BadValueListNotAllowed { key, allowed } => {
            map.serialize_entry("details", &Allowed { key, allowed })
        }
        Error::BadValueNotAllowed { key, allowed } => {
            map.serialize_entry("details", &Allowed { key, allowed })
        }
        Error::RelationAlreadyExists {
            child_type,
            child_id,
            parent_type,
            parent_id,
        }
        | Error::RelationDoesNotExist {
            child_type,
            child_id,
            parent_type,
            parent_id,
        } => map.serialize_entry(
            "details",
            &Relation {
                child_type,
                child_id,
                parent_type,
                parent_id,
            },
        ),
        Error::CannotCreateNestingCycle {
            child_id,
            parent_id,
        } => map.serialize_entry(
            "details",
            &Cycle {
                child_id,
                parent_id,
            },
        ),
        Error::CannotRemoveLastOwner {
            entity_type,
            entity_id,
        } => map.serialize_entry(
            "details",
            &Entity {
                entity_type,
                entity_id,
            },
        ),
        Error::Unauthorized
        | Error::Forbidden
        | Error::NotFound
        | Error::MalformedData
        | Error::NotSupported
        | Error::BadValueName
        | Error::CannotAddRelationToSelf
        | Error::AlreadyExists
        | Error::CannotDeleteNonEmptyHandleService => Ok(()),
    }
}
