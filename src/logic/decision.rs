//! "May this client perform this operation?", answered without performing it, with the
//! reason.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::privileges::OzPrivileges;

use super::{Cond, Error};

/// The answer of [`Engine::authorize`](super::Engine::authorize): what running the
/// operation would answer, as far as existence and authorization go.
///
/// `Allowed` when the operation would answer neither 401, 403 nor 404 (it may still be
/// refused for its body or by the graph: `problem` then says how); `NotFound` when it
/// would answer 404; `Denied` when it would answer 401 or 403.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The client may perform the operation.
    Allowed {
        /// What allowed it.
        reason: Reason,
        /// The refusal the operation would still meet after authorization (a bad
        /// body, an unsupported operation), if any.
        problem: Option<Error>,
    },
    /// The client may not.
    Denied(Denial),
    /// The entity or relation the operation names does not exist.
    NotFound,
}

impl Decision {
    /// `"allowed"`, `"denied"` or `"notFound"`.
    ///
    /// ```
    /// assert_eq!(privgraph::logic::Decision::NotFound.as_str(), "notFound");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allowed { .. } => "allowed",
            Decision::Denied(_) => "denied",
            Decision::NotFound => "notFound",
        }
    }
}

/// What allowed an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The client is root.
    Root,
    /// The operation is open to everyone.
    Anyone,
    /// The client rule: every condition of this alternative holds.
    Rule(Vec<Cond>),
    /// The admin alternative: the client holds all of these oz privileges.
    Admin(OzPrivileges),
}

/// Why an operation was refused to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The client is not authenticated (or unknown to the graph): Onezone's 401.
    pub unauthenticated: bool,
    /// For each alternative of the client rule, the conditions that do not hold.
    pub unmet: Vec<Vec<Cond>>,
    /// The admin alternative's oz privileges the client lacks; `None` when the
    /// operation has no admin alternative.
    pub admin_missing: Option<OzPrivileges>,
}

impl Denial {
    /// The error the operation answers with.
    pub fn error(&self) -> Error {
        if self.unauthenticated {
            Error::Unauthorized
        } else {
            Error::Forbidden
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Root => f.write_str("the client is root"),
            Reason::Anyone => f.write_str("the operation is open to everyone"),
            Reason::Rule(conds) => {
                f.write_str("the client ")?;
                write_joined(f, conds, " and ")
            }
            Reason::Admin(oz) => write!(f, "the client holds the oz privileges {oz}"),
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.unauthenticated {
            return f.write_str("the client is not authenticated");
        }
        if self.unmet.is_empty() {
            f.write_str("no client rule allows it")?;
        }
        for (i, unmet) in self.unmet.iter().enumerate() {
            f.write_str(if i == 0 { "the client " } else { "; or " })?;
            f.write_str("would need: ")?;
            write_joined(f, unmet, " and ")?;
        }
        match self.admin_missing {
            Some(oz) => write!(f, "; as an admin it lacks the oz privileges {oz}"),
            None => Ok(()),
        }
    }
}

fn write_joined(f: &mut std::fmt::Formatter<'_>, conds: &[Cond], sep: &str) -> std::fmt::Result {
    for (i, cond) in conds.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{cond}")?;
    }
    Ok(())
}

/// `{"by": "root" | "anyone" | "rule" | "admin", "conditions": [...], "ozPrivileges": [...]}`.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Reason::Root => map.serialize_entry("by", "root")?,
            Reason::Anyone => map.serialize_entry("by", "anyone")?,
            Reason::Rule(conds) => {
                map.serialize_entry("by", "rule")?;
                let texts: Vec<String> = conds.iter().map(Cond::to_string).collect();
                map.serialize_entry("conditions", &texts)?;
            }
            Reason::Admin(oz) => {
                map.serialize_entry("by", "admin")?;
                map.serialize_entry("ozPrivileges", oz)?;
            }
        }
        map.serialize_entry("text", &self.to_string())?;
        map.end()
    }
}

/// `{"unauthenticated": bool, "unmet": [[...]], "adminMissing": [...] | null, "text": ...}`.
impl Serialize for Denial {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let unmet: Vec<Vec<String>> = self
            .unmet
            .iter()
            .map(|conds| conds.iter().map(Cond::to_string).collect())
            .collect();
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("unauthenticated", &self.unauthenticated)?;
        map.serialize_entry("unmet", &unmet)?;
        map.serialize_entry("adminMissing", &self.admin_missing)?;
        map.serialize_entry("text", &self.to_string())?;
        map.end()
    }
}
