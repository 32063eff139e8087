//! Questions an operator asks of a graph by ids and names: "may this user do P on
//! R?" ([`check`], or many at once with [`check_batch`]) and "why, or why not?"
//! ([`explain`]). The `privgraph check` and `privgraph explain` commands are these
//! functions.
//!
//! ```
//! use privgraph::graph::TargetKind;
//! use privgraph::inspect::{Explanation, check, explain};
//! use privgraph::snapshot::load;
//!
//! let graph = load(r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
//!     "groups": [{"id": "g1", "users": {"u1": [], "u2": []}}],
//!     "handleServices": [{"id": "hs1", "users": {"u2": ["handle_service_view"]},
//!                         "groups": {"g1": ["handle_service_update"]}}]}"#)?;
//! assert!(check(&graph, "u1", TargetKind::HandleService, "hs1", "handle_service_update")?);
//! match explain(&graph, "u1", TargetKind::HandleService, "hs1", "handle_service_update")? {
//!     Explanation::Allowed(reasons) => assert_eq!(reasons[0].path, ["u1", "g1", "hs1"]),
//!     Explanation::Denied(_) => unreachable!(),
//! }
//! // Why not: what u2 holds there, and that its group g1 lacks the privilege.
//! match explain(&graph, "u2", TargetKind::HandleService, "hs1", "handle_service_delete")? {
//!     Explanation::Denied(denial) => {
//!         assert_eq!(denial.direct, Some(vec!["handle_service_view"]));
//!         assert_eq!(denial.groups[0].id, "g1");
//!     }
//!     Explanation::Allowed(_) => unreachable!(),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Costs
//!
//! [`check`] costs two id lookups, a name lookup and the graph's allocation-free check;
//! [`check_batch`] adds the parsing of each line. [`explain`] searches the paths (up to
//! 1,000), or on a denial lists the user's groups among the target's direct members.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::graph::{
    EntityKind, Graph, Group, Intermediary, Key, Kind, Space, Target, TargetKind, User,
};
use crate::objects::objects_only;
use crate::privileges::{PrivilegeNameError, Privileges};

/// Why a question could not be asked.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::inspect::{InspectError, check};
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}],
///     "clusters": [{"id": "c1"}]}"#)?;
/// let err = check(&graph, "u1", TargetKind::Cluster, "c1", "cluster_fly").unwrap_err();
/// assert_eq!(err.to_string(), "`cluster_fly` is not a cluster privilege; the cluster \
///     privileges are cluster_add_group, cluster_add_user, cluster_delete, \
///     cluster_remove_group, cluster_remove_user, cluster_set_privileges, cluster_update, \
///     cluster_view, cluster_view_privileges");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    #[error("{reason}; the {} privileges are {}", reason_vocabulary(reason), allowed.join(", "))]
    UnknownPrivilege {
        /// Why the name was refused (unknown, or a legacy v3 name).
        reason: PrivilegeNameError,
        /// Every name of the vocabulary, sorted (as Onezone's `badValueListNotAllowed`
        /// lists them).
        allowed: &'static [&'static str],
    },
}

fn reason_vocabulary(reason: &PrivilegeNameError) -> &'static str {
    match reason {
        PrivilegeNameError::Unknown { vocabulary, .. }
        | PrivilegeNameError::Legacy { vocabulary, .. } => vocabulary.as_str(),
    }
}

/// One reason a user holds a privilege: a chain of direct memberships, or ownership.
///
/// ```
/// use privgraph::inspect::Reason;
/// let reason = Reason { path: vec!["u1".into(), "s1".into()], privileges: vec!["space_view"], owner: true };
/// assert_eq!(serde_json::to_string(&reason).unwrap(),
///            r#"{"path":["u1","s1"],"privileges":["space_view"],"owner":true}"#);
/// ```
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

/// Why a user does not hold a privilege: what it holds in the target, and what each of
/// its groups among the target's direct members holds there (none holds the privilege,
/// or it would be allowed).
///
/// Serialized as one JSON object, `{"allowed": false, "member": …, "direct": …,
/// "effective": …, "groups": [{"id": …, "privileges": […]}]}`.
///
/// ```
/// use privgraph::inspect::{Denial, GroupHolding};
/// let denial = Denial {
///     member: true,
///     direct: None,
///     effective: Some(vec!["group_view"]),
///     groups: vec![GroupHolding { id: "g2".into(), privileges: vec!["group_view"] }],
/// };
/// assert_eq!(serde_json::to_string(&denial).unwrap(),
///     r#"{"allowed":false,"member":true,"direct":null,"effective":["group_view"],"groups":[{"id":"g2","privileges":["group_view"]}]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Whether the user is an effective member of the target at all.
    pub member: bool,
    /// Its direct privileges there, or `None` when it is not a direct member.
    pub direct: Option<Vec<&'static str>>,
    /// Its effective privileges there, or `None` when it is not an effective member.
    pub effective: Option<Vec<&'static str>>,
    /// The target's direct member groups that the user belongs to (directly or through
    /// nested groups), by id, with what each holds in the target.
    pub groups: Vec<GroupHolding>,
}

impl Serialize for Denial {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("allowed", &false)?;
        map.serialize_entry("member", &self.member)?;
        map.serialize_entry("direct", &self.direct)?;
        map.serialize_entry("effective", &self.effective)?;
        map.serialize_entry("groups", &self.groups)?;
        map.end()
    }
}

/// A direct member group of the target and its direct privileges there.
///
/// ```
/// use privgraph::inspect::GroupHolding;
/// let g = GroupHolding { id: "g1".into(), privileges: vec![] };
/// assert_eq!(serde_json::to_string(&g).unwrap(), r#"{"id":"g1","privileges":[]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupHolding {
    /// The group's id.
    pub id: String,
    /// Its direct privileges in the target.
    pub privileges: Vec<&'static str>,
}

/// The answer of [`explain`].
///
/// ```
/// use privgraph::inspect::{Denial, Explanation};
/// let denied = Explanation::Denied(Denial { member: false, direct: None, effective: None, groups: vec![] });
/// assert!(!denied.is_allowed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// The user holds the privilege, for these reasons (at least one, at most 1,000).
    Allowed(Vec<Reason>),
    /// The user does not hold it, and this is what it holds instead.
    Denied(Denial),
}

impl Explanation {
    /// Whether the user holds the privilege.
    ///
    /// ```
    /// use privgraph::inspect::Explanation;
    /// assert!(Explanation::Allowed(vec![]).is_allowed());
    /// ```
    pub fn is_allowed(&self) -> bool {
        matches!(self, Explanation::Allowed(_))
    }
}

/// Whether user `user` holds `privilege` (a name of the kind's vocabulary) in the
/// `kind` entity `target`. Space owners hold every space privilege.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::inspect::check;
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}],
///     "spaces": [{"id": "s1", "owners": ["u1"], "users": {"u1": []}}]}"#)?;
/// assert!(check(&graph, "u1", TargetKind::Space, "s1", "space_delete")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check(
    graph: &Graph,
    user: &str,
    kind: TargetKind,
    target: &str,
    privilege: &str,
) -> Result<bool, InspectError> {
    crate::graph::with_target_kind!(kind, T => holds::<T>(graph, user, target, privilege))
}

fn holds<T: Target>(
    graph: &Graph,
    user_id: &str,
    target_id: &str,
    privilege: &str,
) -> Result<bool, InspectError> {
    let q = resolve::<T>(graph, user_id, target_id, privilege)?;
    Ok(graph.has_privilege(q.user, q.target, q.wanted))
}

/// Why user `user` holds `privilege` in `target` (every reason, up to 1,000 chains),
/// or why not.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::inspect::{Explanation, explain};
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}],
///     "clusters": [{"id": "c1"}]}"#)?;
/// let Explanation::Denied(denial) = explain(&graph, "u1", TargetKind::Cluster, "c1", "cluster_view")? else {
///     panic!("u1 is not a member of c1");
/// };
/// assert!(!denial.member && denial.effective.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn explain(
    graph: &Graph,
    user: &str,
    kind: TargetKind,
    target: &str,
    privilege: &str,
) -> Result<Explanation, InspectError> {
    crate::graph::with_target_kind!(kind, T => explanation::<T>(graph, user, target, privilege))
}

/// A question with its names resolved.
struct Resolved<T: Target> {
    user: Key<User>,
    target: Key<T>,
    wanted: T::Privileges,
}

/// Keys of the user and the target, and the privilege as a set.
fn resolve<T: Target>(
    graph: &Graph,
    user_id: &str,
    target_id: &str,
    privilege: &str,
) -> Result<Resolved<T>, InspectError> {
    Ok(Resolved {
        wanted: privilege_named::<T::Privileges>(privilege)?,
        user: entity_named::<User>(graph, user_id)?,
        target: entity_named::<T>(graph, target_id)?,
    })
}

/// The privilege called `name` in vocabulary `P`, or the error naming every name it
/// has.
pub(crate) fn privilege_named<P: Privileges>(name: &str) -> Result<P, InspectError> {
    P::parse_name(name).map_err(|reason| InspectError::UnknownPrivilege {
        reason,
        allowed: P::NAMES,
    })
}

/// The key of the entity of kind `K` called `id`.
pub(crate) fn entity_named<K: Kind>(graph: &Graph, id: &str) -> Result<Key<K>, InspectError> {
    graph
        .key::<K>(id)
        .ok_or_else(|| InspectError::UnknownEntity {
            kind: K::KIND,
            id: id.to_owned(),
        })
}

/// How many membership chains [`explain`] lists at most.
const REASONS_LIMIT: usize = 1000;

fn explanation<T: Target>(
    graph: &Graph,
    user_id: &str,
    target_id: &str,
    privilege: &str,
) -> Result<Explanation, InspectError> {
    let Resolved {
        user,
        target,
        wanted,
    } = resolve::<T>(graph, user_id, target_id, privilege)?;
    if !graph.has_privilege(user, target, wanted) {
        return Ok(Explanation::Denied(denial(graph, user, target)));
    }
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
    let limit = REASONS_LIMIT - reasons.len();
    for path in graph.explain(user, target, wanted, limit) {
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
    Ok(Explanation::Allowed(reasons))
}

fn denial<T: Target>(graph: &Graph, user: Key<User>, target: Key<T>) -> Denial {
    let groups = graph
        .intermediaries(user, target)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|hop| match hop {
            Intermediary::Direct => None,
            Intermediary::Group(group) => Some(group),
        })
        .filter_map(|group| {
            Some(GroupHolding {
                id: graph.id::<Group>(group)?.to_owned(),
                privileges: graph.direct_privileges(group, target)?.names().collect(),
            })
        })
        .collect();
    let effective = graph.effective_privileges(user, target);
    Denial {
        member: effective.is_some(),
        direct: graph
            .direct_privileges(user, target)
            .map(|p| p.names().collect()),
        effective: effective.map(|p| p.names().collect()),
        groups,
    }
}

// ----- batches ---------------------------------------------------------------------

/// One question of a batch: `{"user": U, "kind": K, "id": ID, "privilege": P}`, with
/// `kind` the name of a [`TargetKind`] (`group`, `space`, `handle_service`, `handle`,
/// `harvester`, `cluster`, `atm_inventory`; the names are in
/// [`EntityKind`]'s table).
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::inspect::Query;
/// let q: Query = serde_json::from_str(
///     r#"{"user": "u1", "kind": "handle_service", "id": "hs1", "privilege": "handle_service_view"}"#)?;
/// assert_eq!(q.kind, TargetKind::HandleService);
/// assert!(serde_json::from_str::<Query>(r#"["u1", "group", "g1", "group_view"]"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Query {
    /// The user id.
    pub user: String,
    /// The target's kind.
    #[serde(deserialize_with = "target_kind")]
    pub kind: TargetKind,
    /// The target's id.
    pub id: String,
    /// A privilege name of the target kind's vocabulary.
    pub privilege: String,
}

objects_only!(Query => "a query");

/// The snake-case name of a target kind, as batch queries write it.
fn kind_name(kind: TargetKind) -> &'static str {
    EntityKind::from(kind).as_str()
}

fn target_kind<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TargetKind, D::Error> {
    let name = String::deserialize(deserializer)?;
    TargetKind::ALL
        .into_iter()
        .find(|kind| kind_name(*kind) == name)
        .ok_or_else(|| {
            let names: Vec<&str> = TargetKind::ALL.into_iter().map(kind_name).collect();
            de::Error::custom(format!(
                "unknown kind `{name}`: expected one of {}",
                names.join(", ")
            ))
        })
}

/// Why one line of a batch got no answer.
///
/// ```
/// use privgraph::inspect::QueryError;
/// let err = QueryError::Invalid("expected value at line 1 column 1".into());
/// assert_eq!(err.to_string(), "not a query: expected value at line 1 column 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The line is not a query: not UTF-8, not JSON, not an object of the four keys, an
    /// unknown kind.
    #[error("not a query: {0}")]
    Invalid(String),
    /// The query names a user, target or privilege that does not exist.
    #[error(transparent)]
    Unknown(#[from] InspectError),
}

/// What [`check_batch`] did; its `Display` is a one-line summary.
///
/// ```
/// use privgraph::inspect::BatchReport;
/// let report = BatchReport { allowed: 1, ..Default::default() };
/// assert_eq!(report.to_string(), "1 query: 1 allowed, 0 denied, 0 failed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchReport {
    /// Lines answered `allow`.
    pub allowed: usize,
    /// Lines answered `deny`.
    pub denied: usize,
    /// Lines answered with an error.
    pub failed: usize,
    /// The first line (from 1) that failed, and why.
    pub first_failure: Option<(usize, QueryError)>,
}

impl fmt::Display for BatchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queries = self.allowed + self.denied + self.failed;
        let word = if queries == 1 { "query" } else { "queries" };
        write!(
            f,
            "{queries} {word}: {} allowed, {} denied, {} failed",
            self.allowed, self.denied, self.failed
        )
    }
}

/// Answers every line of `input` (one [`Query`] per line) against `graph`, writing one
/// line per input line to `out`: `allow`, `deny`, or `error: ` and why. A bad line does
/// not stop the batch. Output is flushed whenever the input has nothing more buffered,
/// so a process feeding queries one at a time through a pipe gets each answer at once.
///
/// ```
/// use std::io::BufReader;
/// use privgraph::inspect::check_batch;
/// let graph = privgraph::snapshot::load(r#"{"version": 1, "users": [{"id": "u1"}],
///     "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]}"#)?;
/// let input = concat!(
///     r#"{"user": "u1", "kind": "group", "id": "g1", "privilege": "group_view"}"#, "\n",
///     r#"{"user": "u1", "kind": "group", "id": "g1", "privilege": "group_update"}"#, "\n",
///     r#"{"user": "u9", "kind": "group", "id": "g1", "privilege": "group_view"}"#, "\n");
/// let mut out = Vec::new();
/// let report = check_batch(&graph, &mut BufReader::new(input.as_bytes()), &mut out)?;
/// assert_eq!(String::from_utf8(out)?,
///            "allow\ndeny\nerror: line 3: no user `u9` in the graph\n");
/// assert_eq!((report.allowed, report.denied, report.failed), (1, 1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_batch<R: Read>(
    graph: &Graph,
    input: &mut BufReader<R>,
    out: &mut dyn Write,
) -> io::Result<BatchReport> {
    let mut report = BatchReport::default();
    let mut line = Vec::new();
    for number in 1.. {
        if input.buffer().is_empty() {
            out.flush()?;
        }
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        match answer(graph, text) {
            Ok(true) => {
                report.allowed += 1;
                out.write_all(b"allow\n")?;
            }
            Ok(false) => {
                report.denied += 1;
                out.write_all(b"deny\n")?;
            }
            Err(err) => {
                report.failed += 1;
                writeln!(out, "error: line {number}: {err}")?;
                report.first_failure.get_or_insert((number, err));
            }
        }
    }
    out.flush()?;
    Ok(report)
}

fn answer(graph: &Graph, line: &[u8]) -> Result<bool, QueryError> {
    let query: Query =
        serde_json::from_slice(line).map_err(|err| QueryError::Invalid(err.to_string()))?;
    Ok(check(
        graph,
        &query.user,
        query.kind,
        &query.id,
        &query.privilege,
    )?)
}
