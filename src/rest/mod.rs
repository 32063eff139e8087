//! The REST-shaped adapter: `(auth, method, path, body)` → `(status, JSON body)`, as
//! Onezone's REST API answers.
//!
//! One route table maps method + path pattern to a logic [`Operation`]; everything
//! else — existence, authorization, validation, the answer — is the logic layer's. Paths
//! are Onezone's, with or without the `/api/v3/onezone` prefix; a trailing slash is
//! ignored, as Onezone's router (cowboy) ignores it.
//!
//! ```
//! use privgraph::graph::{Graph, HandleService, User};
//! use privgraph::logic::{Auth, Engine};
//! use privgraph::privileges::HandleServicePrivileges as HS;
//! use privgraph::rest;
//!
//! let mut graph = Graph::new();
//! let u = graph.create::<User>("u1")?;
//! let hs = graph.create::<HandleService>("hs1")?;
//! graph.add_member(hs, u, HS::HANDLE_SERVICE_VIEW)?;
//! let mut engine = Engine::new(graph);
//!
//! let response = rest::handle(&mut engine, &Auth::User("u1".into()), "GET",
//!     "/api/v3/onezone/handle_services/hs1/users/u1/privileges", b"");
//! assert_eq!(response.status, 200);
//! assert_eq!(response.json(), Some(serde_json::json!({"privileges": ["handle_service_view"]})));
//!
//! let response = rest::handle(&mut engine, &Auth::Nobody, "GET", "/handle_services/hs1/users", b"");
//! assert_eq!(response.status, 401);
//! # Ok::<(), privgraph::graph::GraphError>(())
//! ```
//!
//! Reads can be answered through a shared reference, so a host can serve them from
//! many threads under a read lock and send only writes to the one writer:
//!
//! ```
//! use std::sync::RwLock;
//! use privgraph::logic::{Auth, Engine};
//! use privgraph::rest;
//! let engine = RwLock::new(Engine::new(privgraph::graph::Graph::new()));
//! let answer = match rest::handle_read(&engine.read().unwrap(), &Auth::Root, "GET", "/groups", b"") {
//!     Ok(read) => read,
//!     Err(write) => rest::execute(&mut engine.write().unwrap(), &Auth::Root, &write),
//! };
//! assert_eq!(answer.to_json_string().as_deref(), Some(r#"{"groups":[]}"#));
//! ```
//!
//! Limits, each with its own error: a body over 1 MiB (`413`), a path over 4 KiB
//! (`414`), a path id over 256 bytes (`400 badValueIdTooLong`), a path segment that is
//! not valid percent-encoded UTF-8 (`400 badMessage`). These ids are privgraph's own.

mod render;
mod routes;

use serde_json::Value;

use crate::graph::{Graph, MAX_ID_LEN};
use crate::logic::{Auth, Engine, Error, Operation, Outcome, Planned, RandomIds};

pub use render::{Body, DecisionBody};
pub use routes::{Method, Route, routes};

/// The largest body read, in bytes.
pub const MAX_BODY_LEN: usize = 1 << 20;
/// The longest path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// Onezone's REST prefix, accepted and ignored.
pub const PREFIX: &str = "/api/v3/onezone";

/// An answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body; `None` for `201`, `204` and `405`.
    pub body: Option<Body>,
    /// For `201`: Onezone's `Location` without scheme, host and prefix.
    pub location: Option<String>,
    /// For `405`: the methods the path allows (Onezone's `allow` header).
    pub allow: Vec<&'static str>,
}

impl Response {
    fn with_body(status: u16, body: Body) -> Response {
        Response {
            status,
            body: Some(body),
            location: None,
            allow: Vec::new(),
        }
    }

    /// The body as a JSON value (for comparisons; its keys lose Onezone's order).
    ///
    /// ```
    /// let r = privgraph::rest::handle(&mut Default::default(), &privgraph::logic::Auth::Nobody, "GET", "/nowhere", b"");
    /// assert_eq!(r.json().unwrap()["error"]["id"], "notFound");
    /// ```
    pub fn json(&self) -> Option<Value> {
        // Bodies are maps of strings and lists: they always serialize.
        self.body
            .as_ref()
            .and_then(|b| serde_json::to_value(b).ok())
    }

    /// The body as JSON text, keys in Onezone's order (what goes on the wire).
    pub fn to_json_string(&self) -> Option<String> {
        self.body
            .as_ref()
            .and_then(|b| serde_json::to_string(b).ok())
    }
}

/// A request refused before routing, with privgraph's own error ids (Onezone has no
/// such limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The path is longer than [`MAX_PATH_LEN`] (414 `requestUriTooLong`).
    #[error("The path is longer than 4096 bytes.")]
    PathTooLong,
    /// The body is larger than [`MAX_BODY_LEN`] (413 `requestEntityTooLarge`).
    #[error("The body is larger than 1 MiB.")]
    BodyTooLarge,
    /// A path segment is longer than any id can be (400 `badValueIdTooLong`).
    #[error("A path segment is longer than 256 bytes, the longest id there can be.")]
    IdTooLong,
    /// A path segment is not valid percent-encoded UTF-8 (400 `badMessage`).
    #[error("The path is not valid percent-encoded UTF-8.")]
    BadPath,
    /// The path does not start with `/` (404 `notFound`).
    #[error("The resource could not be found.")]
    NotAPath,
}

impl RequestError {
    /// The HTTP status and error id.
    ///
    /// ```
    /// use privgraph::rest::RequestError;
    /// assert_eq!(RequestError::BodyTooLarge.status_and_id(), (413, "requestEntityTooLarge"));
    /// ```
    pub fn status_and_id(self) -> (u16, &'static str) {
        match self {
            RequestError::PathTooLong => (414, "requestUriTooLong"),
            RequestError::BodyTooLarge => (413, "requestEntityTooLarge"),
            RequestError::IdTooLong => (400, "badValueIdTooLong"),
            RequestError::BadPath => (400, "badMessage"),
            RequestError::NotAPath => (404, "notFound"),
        }
    }

    fn response(self) -> Response {
        Response::with_body(self.status_and_id().0, Body::Refused(self))
    }
}

/// Splits a path into percent-decoded segments, without the prefix, the query and a
/// trailing slash.
fn segments(path: &str) -> Result<Vec<String>, RequestError> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix(PREFIX).unwrap_or(path);
    let rest = path.strip_prefix('/').ok_or(RequestError::NotAPath)?;
    // Onezone's router takes `/a/b/` as `/a/b`.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/')
        .map(|segment| {
            let decoded = percent_decode(segment).ok_or(RequestError::BadPath)?;
            if decoded.len() > MAX_ID_LEN {
                return Err(RequestError::IdTooLong);
            }
            Ok(decoded)
        })
        .collect()
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // Exactly two hex digits: from_str_radix alone would also take "+1".
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A routed request: its operation and its body, ready for the logic layer.
///
/// ```
/// use privgraph::rest::Request;
/// let request = Request::parse("PATCH", "/groups/g1/users/u1/privileges/", br#"{"grant": []}"#).unwrap();
/// assert!(request.is_write());
/// assert_eq!(request.operation().entity_id(), Some("g1"));
/// let refused = Request::parse("HEAD", "/groups", b"").unwrap_err();
/// assert_eq!((refused.status, refused.allow.clone()), (405, vec!["GET", "POST"]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pattern: &'static str,
    segments: Vec<String>,
    operation: Operation,
    body: Value,
}

impl Request {
    /// Routes a request. `method` is the HTTP method, `path` the request path (prefix
    /// optional, query ignored), `body` the raw request body (an empty body is `{}`;
    /// bodies are read for `POST`, `PUT` and `PATCH` only, as Onezone reads them).
    /// A request that cannot be routed comes back as its answer: `404`, `405`, a limit,
    /// or `400 malformedData` for a body that is not JSON.
    // The refusal is an answer in full: callers send it as it is.
    #[allow(clippy::result_large_err)]
    pub fn parse(method: &str, path: &str, body: &[u8]) -> Result<Request, Response> {
        if path.len() > MAX_PATH_LEN {
            return Err(RequestError::PathTooLong.response());
        }
        if body.len() > MAX_BODY_LEN {
            return Err(RequestError::BodyTooLarge.response());
        }
        let segments = segments(path).map_err(RequestError::response)?;
        let mut candidates = routes::ROUTES
            .0
            .iter()
            .filter_map(|route| route.matches(&segments).map(|params| (route, params)))
            .peekable();
        if candidates.peek().is_none() {
            return Err(error_response(&Error::NotFound));
        }
        let method = Method::parse(method);
        let mut allow = Vec::new();
        let mut found = None;
        for (route, params) in candidates {
            if Some(route.method) == method {
                found = Some((route, params));
                break;
            }
            allow.push(route.method.as_str());
        }
        let Some((route, params)) = found else {
            allow.sort_unstable();
            allow.dedup();
            return Err(Response {
                status: 405,
                body: None,
                location: None,
                allow,
            });
        };
        let body = if route.method.has_body() && !body.is_empty() {
            serde_json::from_slice::<Value>(body)
                .map_err(|_| error_response(&Error::MalformedData))?
        } else {
            Value::Object(serde_json::Map::new())
        };
        Ok(Request {
            pattern: &route.pattern,
            operation: (route.build)(&params),
            segments,
            body,
        })
    }

    /// The pattern of the route it took, e.g. `/groups/{id}/users/{uid}/privileges`
    /// (what a host groups its metrics by).
    ///
    /// ```
    /// let request = privgraph::rest::Request::parse("GET", "/api/v3/onezone/groups/g1/users/", b"").unwrap();
    /// assert_eq!(request.pattern(), "/groups/{id}/users");
    /// ```
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }

    /// The operation the route names.
    pub fn operation(&self) -> &Operation {
        &self.operation
    }

    /// The body as JSON (`{}` when there was none).
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// Whether the request changes the graph.
    pub fn is_write(&self) -> bool {
        self.operation.is_write()
    }

    /// The answer to this request once the logic layer has run it.
    ///
    /// ```
    /// use privgraph::logic::Outcome;
    /// use privgraph::rest::Request;
    /// let request = Request::parse("POST", "/groups", br#"{"name": "team"}"#).unwrap();
    /// let response = request.respond(Ok(Outcome::Created { id: Some("abc".into()) }));
    /// assert_eq!((response.status, response.location.as_deref()), (201, Some("/groups/abc")));
    /// ```
    pub fn respond(&self, result: Result<Outcome, Error>) -> Response {
        match result {
            Ok(Outcome::Created { id }) => {
                let mut location = format!("/{}", self.segments.join("/"));
                if let Some(id) = id {
                    location.push('/');
                    location.push_str(&id);
                }
                Response {
                    status: 201,
                    body: None,
                    location: Some(location),
                    allow: Vec::new(),
                }
            }
            Ok(Outcome::NoContent) => Response {
                status: 204,
                body: None,
                location: None,
                allow: Vec::new(),
            },
            Ok(outcome) => Response::with_body(outcome.http_status(), Body::Outcome(outcome)),
            Err(err) => error_response(&err),
        }
    }
}

fn error_response(err: &Error) -> Response {
    Response::with_body(err.http_status(), Body::Error(err.clone()))
}

/// Answers a read request on `graph` (a shared reference: any number of threads may
/// answer at once); `None` for a write, which needs [`execute`].
///
/// ```
/// use privgraph::logic::Auth;
/// use privgraph::rest::{self, Request};
/// let graph = privgraph::graph::Graph::new();
/// let list = Request::parse("GET", "/groups", b"").unwrap();
/// assert_eq!(rest::read(&graph, &Auth::Root, &list).map(|r| r.status), Some(200));
/// let create = Request::parse("POST", "/groups", br#"{"name": "team"}"#).unwrap();
/// assert_eq!(rest::read(&graph, &Auth::Root, &create), None);
/// ```
pub fn read(graph: &Graph, auth: &Auth, request: &Request) -> Option<Response> {
    if request.is_write() {
        return None;
    }
    let result = crate::logic::evaluate(graph, auth, &request.operation, &request.body, &RandomIds);
    Some(request.respond(result.and_then(|planned| match planned {
        Planned::Read(outcome) => Ok(outcome),
        // A read operation never plans changes.
        Planned::Write(_) => Err(Error::NotSupported),
    })))
}

/// Runs a request, read or write, on the engine. Never panics; on any non-2xx answer
/// the engine's graph is unchanged.
pub fn execute(engine: &mut Engine, auth: &Auth, request: &Request) -> Response {
    request.respond(engine.execute(auth, &request.operation, &request.body))
}

/// Answers one request: [`Request::parse`] then [`execute`].
pub fn handle(engine: &mut Engine, auth: &Auth, method: &str, path: &str, body: &[u8]) -> Response {
    match Request::parse(method, path, body) {
        Ok(request) => execute(engine, auth, &request),
        Err(refused) => refused,
    }
}

/// Answers a read request through a shared reference; a write comes back routed, for
/// the writer ([`execute`]).
#[allow(clippy::result_large_err)] // the routed write is handed on whole
pub fn handle_read(
    engine: &Engine,
    auth: &Auth,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Response, Request> {
    let request = match Request::parse(method, path, body) {
        Ok(request) => request,
        Err(refused) => return Ok(refused),
    };
    match read(engine.graph(), auth, &request) {
        Some(response) => Ok(response),
        None => Err(request),
    }
}
