//! Onezone's operation rules: every membership and privilege operation authorized,
//! validated and answered as Onezone does.
//!
//! Every [`Operation`] runs through one pipeline, in Onezone's order:
//!
//! 1. the entity the path names exists, and the relation it names (direct or
//!    effective, an owner, a harvester–space link) — else `404 notFound`, to anyone;
//! 2. authorization: the operation's client rule, **or** every admin oz privilege it
//!    lists held effectively; root always passes — else `401 unauthorized` for `nobody`
//!    (and for a user the graph does not know, like an invalid token), `403 forbidden`
//!    for a user;
//! 3. the body is valid — else `400` with Onezone's error id and details;
//! 4. plan: a read is answered ([`Outcome`]); a write becomes the list of
//!    [`Change`](crate::graph::Change)s it makes, applied as one batch. A failure at any
//!    step changes nothing.
//!
//! Reads run on a shared reference ([`Engine::evaluate`]), so a host can answer them
//! from many threads; writes take `&mut` ([`Engine::execute`]). [`Engine::authorize`]
//! is the pipeline as a dry run: may this client perform this operation, and why.
//!
//! The rules are data (`logic/rules.rs`): one row per target kind with what differs
//! between kinds, and one rule per kind-specific operation.
//!
//! ```
//! use privgraph::graph::{Graph, Group, HandleService, MemberType, User};
//! use privgraph::logic::{Auth, CommonOp, Engine, Error, HandleServiceOp, Operation, Outcome};
//! use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};
//! use serde_json::json;
//!
//! let mut graph = Graph::new();
//! let (u1, g1) = (graph.create::<User>("u1")?, graph.create::<Group>("g1")?);
//! let hs = graph.create::<HandleService>("hs1")?;
//! graph.add_member(hs, u1, HS::HANDLE_SERVICE_UPDATE)?;
//! graph.add_member(hs, g1, HS::empty())?;
//! let mut engine = Engine::new(graph);
//!
//! // PATCH /handle_services/hs1/groups/g1/privileges
//! let op = Operation::HandleService(HandleServiceOp::Common(CommonOp::UpdateMemberPrivileges {
//!     id: "hs1".into(), member: MemberType::Group, member_id: "g1".into(),
//! }));
//! let body = json!({"grant": ["handle_service_register_handle"]});
//! assert_eq!(engine.execute(&Auth::User("u1".into()), &op, &body), Ok(Outcome::NoContent));
//! assert_eq!(engine.execute(&Auth::Nobody, &op, &body), Err(Error::Unauthorized));
//! assert_eq!(engine.execute(&Auth::User("u1".into()), &op, &json!({})),
//!            Err(Error::MissingAtLeastOneValue { keys: &["grant", "revoke"] }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decision;
mod error;
mod ops;
mod outcome;
mod pipeline;
mod plan;
mod rules;
mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::graph::{Batch, Graph, TargetKind};

pub use decision::{Decision, Denial, Reason};
pub use error::Error;
// Every public item of ops.rs (the operation enums), so a kind's enum needs no line here.
pub use ops::*;
pub use outcome::{Outcome, Planned, Via, Write};
pub use rules::{Client, Cond, Existence, Rule};

/// Who sends a request: nobody (unauthenticated), root, or a user by id.
///
/// ```
/// use privgraph::logic::Auth;
/// assert_eq!("user:u1".parse::<Auth>(), Ok(Auth::User("u1".into())));
/// assert_eq!("root".parse::<Auth>(), Ok(Auth::Root));
/// assert!("admin".parse::<Auth>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No credentials.
    Nobody,
    /// Onezone's root: passes every authorization (not existence or validation).
    Root,
    /// An authenticated user.
    User(String),
}

/// `Auth` text that is not `nobody`, `root` or `user:ID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad auth {0:?}: expected \"nobody\", \"root\" or \"user:ID\"")]
pub struct BadAuth(pub String);

impl std::str::FromStr for Auth {
    type Err = BadAuth;
    fn from_str(s: &str) -> Result<Auth, BadAuth> {
        match s {
            "nobody" => Ok(Auth::Nobody),
            "root" => Ok(Auth::Root),
            _ => match s.strip_prefix("user:") {
                Some(id) if !id.is_empty() => Ok(Auth::User(id.to_owned())),
                _ => Err(BadAuth(s.to_owned())),
            },
        }
    }
}

impl std::fmt::Display for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Nobody => f.write_str("nobody"),
            Auth::Root => f.write_str("root"),
            Auth::User(id) => write!(f, "user:{id}"),
        }
    }
}

/// Where the ids of created entities come from.
///
/// The default, [`RandomIds`], draws 128 random bits (32 lowercase hex characters, as
/// Onezone's ids): an id is never handed out twice, across restarts too. The pipeline
/// also skips an id that is taken in the graph.
pub trait IdSource: Send + Sync + std::fmt::Debug {
    /// A new id.
    fn new_id(&self) -> String;
}

/// 128 random bits from the operating system, as 32 lowercase hex characters.
///
/// ```
/// use privgraph::logic::{IdSource, RandomIds};
/// let (a, b) = (RandomIds.new_id(), RandomIds.new_id());
/// assert_eq!(a.len(), 32);
/// assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
/// assert_ne!(a, b);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self) -> String {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No entropy source: fall back to SipHash keyed by the process's random
            // hash keys over a counter and the clock, still unique per process.
            bytes = fallback_bytes();
        }
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn fallback_bytes() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut out = [0u8; 16];
    for (i, half) in out.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(n);
        hasher.write_u128(nanos);
        hasher.write_usize(i);
        half.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// Ids from a counter, scrambled to look like Onezone's: the same sequence every run,
/// for tests and reproducible scenarios.
///
/// ```
/// use privgraph::logic::{CountingIds, IdSource};
/// let ids = CountingIds::default();
/// let first = ids.new_id();
/// assert_eq!(first, CountingIds::default().new_id());
/// assert_ne!(first, ids.new_id());
/// ```
#[derive(Debug, Default)]
pub struct CountingIds(AtomicU64);

impl IdSource for CountingIds {
    fn new_id(&self) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        let mut z = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        format!("{:016x}{n:016x}", z ^ (z >> 31))
    }
}

/// A [`Graph`] plus where ids of created entities come from: the single-threaded way
/// to run Onezone's operations.
#[derive(Debug, Clone)]
pub struct Engine {
    graph: Graph,
    ids: Arc<dyn IdSource>,
}

impl PartialEq for Engine {
    /// Engines are equal when their graphs are.
    fn eq(&self, other: &Engine) -> bool {
        self.graph == other.graph
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(Graph::new())
    }
}

impl Engine {
    /// An engine over `graph`, with random ids.
    ///
    /// ```
    /// use privgraph::graph::Graph;
    /// use privgraph::logic::Engine;
    /// let engine = Engine::new(Graph::new());
    /// assert_eq!(engine.graph(), &Graph::new());
    /// ```
    pub fn new(graph: Graph) -> Self {
        Engine::with_ids(graph, Arc::new(RandomIds))
    }

    /// An engine over `graph` whose created entities take ids from `ids`.
    pub fn with_ids(graph: Graph, ids: Arc<dyn IdSource>) -> Self {
        Engine { graph, ids }
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph, for changes outside Onezone's operations (loading, tests).
    pub fn graph_mut(&mut self) -> &mut Graph {
        &mut self.graph
    }

    /// Gives the graph back.
    pub fn into_graph(self) -> Graph {
        self.graph
    }

    /// Runs the pipeline for `auth` with request body `body` (`{}` when the request has
    /// none) without changing anything: a read is answered, a write comes back as the
    /// changes it would make. Takes `&self`, so many threads can answer reads at once.
    ///
    /// The body is only looked at by operations that take one; a body that is valid
    /// JSON but not an object is `malformedData` for those.
    pub fn evaluate(&self, auth: &Auth, op: &Operation, body: &Value) -> Result<Planned, Error> {
        evaluate(&self.graph, auth, op, body, &*self.ids)
    }

    /// Runs one operation: reads are answered, writes applied as one batch. On `Err`,
    /// the graph is exactly as before.
    pub fn execute(&mut self, auth: &Auth, op: &Operation, body: &Value) -> Result<Outcome, Error> {
        match self.evaluate(auth, op, body)? {
            Planned::Read(outcome) => Ok(outcome),
            Planned::Write(write) => self.apply(write),
        }
    }

    /// Applies a planned write as one batch and returns its answer; the graph must be
    /// the one it was planned on (else the graph may refuse it, changing nothing).
    pub fn apply(&mut self, write: Write) -> Result<Outcome, Error> {
        let batch = Batch::new(write.by, write.changes);
        self.graph.apply(&batch).map_err(|err| match err {
            crate::graph::BatchError::Change { error, .. } => Error::from(error),
            crate::graph::BatchError::RevisionGap { .. } => Error::NotSupported,
        })?;
        Ok(write.outcome)
    }

    /// May `auth` perform `op` with `body`? The pipeline as a dry run: nothing changes.
    ///
    /// ```
    /// use privgraph::logic::{Auth, Decision, Engine, Reason};
    /// use privgraph::rest::Request;
    /// let engine = Engine::new(privgraph::snapshot::load(r#"{"version": 1,
    ///     "users": [{"id": "admin", "ozPrivileges": ["oz_handle_services_view"]}],
    ///     "handleServices": [{"id": "hs1"}]}"#)?);
    /// let request = Request::parse("GET", "/handle_services/hs1/users", b"").unwrap();
    /// let decision = engine.authorize(&Auth::User("admin".into()), request.operation(), request.body());
    /// assert!(matches!(decision, Decision::Denied(_)));  // listing needs list_relationships
    /// assert_eq!(engine.authorize(&Auth::Root, request.operation(), request.body()),
    ///            Decision::Allowed { reason: Reason::Root, problem: None });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize(&self, auth: &Auth, op: &Operation, body: &Value) -> Decision {
        authorize(&self.graph, auth, op, body)
    }
}

/// [`Engine::authorize`] over any graph (a reader's copy, a writer's): may `auth`
/// perform `op` with `body`, and why. Nothing changes.
///
/// ```
/// use privgraph::concurrent::Writer;
/// use privgraph::logic::{authorize, Auth, Decision};
/// use privgraph::rest::Request;
/// let writer = Writer::new(privgraph::snapshot::load(r#"{"version": 1,
///     "users": [{"id": "u1"}], "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]}"#)?);
/// let request = Request::parse("GET", "/groups/g1/users", b"").unwrap();
/// let graph = writer.reader().read();
/// let decision = authorize(&graph, &Auth::User("u1".into()), request.operation(), request.body());
/// assert!(matches!(decision, Decision::Allowed { problem: None, .. }));
/// assert!(matches!(authorize(&graph, &Auth::Nobody, request.operation(), request.body()),
///                  Decision::Denied(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn authorize(graph: &Graph, auth: &Auth, op: &Operation, body: &Value) -> Decision {
    // A dry run creates nothing: the ids it would draw are never used.
    let (authorized, result) = pipeline::run(graph, auth, op, body, &RandomIds);
    pipeline::decide(auth, authorized, result)
}

/// The pipeline over any graph (a reader's copy, a writer's): see
/// [`Engine::evaluate`].
///
/// ```
/// use privgraph::graph::Graph;
/// use privgraph::logic::{evaluate, Auth, Outcome, Planned, RandomIds};
/// use privgraph::rest::Request;
/// let request = Request::parse("GET", "/privileges", b"").unwrap();
/// let planned = evaluate(&Graph::new(), &Auth::Nobody, request.operation(), request.body(), &RandomIds)?;
/// assert!(matches!(planned, Planned::Read(Outcome::Presets(_))));
/// # Ok::<(), privgraph::logic::Error>(())
/// ```
pub fn evaluate(
    graph: &Graph,
    auth: &Auth,
    op: &Operation,
    body: &Value,
    ids: &dyn IdSource,
) -> Result<Planned, Error> {
    pipeline::run(graph, auth, op, body, ids).1
}

/// Whether privgraph serves `op` (every route of the `rest` table is, by construction:
/// the table asks this). Operations Onezone has but privgraph leaves out (handle
/// creation, cluster creation and deletion) are not.
///
/// ```
/// use privgraph::graph::TargetKind;
/// use privgraph::logic::{is_supported, CommonOp, Operation};
/// assert!(is_supported(&Operation::from_common(TargetKind::Space, CommonOp::Create)));
/// assert!(!is_supported(&Operation::from_common(TargetKind::Cluster, CommonOp::Create)));
/// ```
pub fn is_supported(op: &Operation) -> bool {
    pipeline::describe(op).is_ok()
}

/// The key of lists of entities of a kind in answers (`{"spaces": [...]}`, …).
///
/// ```
/// use privgraph::graph::TargetKind;
/// assert_eq!(privgraph::logic::list_key(TargetKind::AtmInventory), "atm_inventories");
/// ```
pub fn list_key(kind: TargetKind) -> &'static str {
    kind.info().plural
}
