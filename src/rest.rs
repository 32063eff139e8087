//! The REST-shaped adapter: `(auth, method, path, body)` → `(status, JSON body)`, as
//! Onezone's REST API answers (design §4).
//!
//! One route table maps method + path pattern to a logic [`Operation`]; everything
//! else — existence, authorization, validation, the answer — is the logic layer's. Paths
//! are Onezone's, with or without the `/api/v3/onezone` prefix.
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
//! assert_eq!(response.body, Some(serde_json::json!({"privileges": ["handle_service_view"]})));
//!
//! let response = rest::handle(&mut engine, &Auth::Nobody, "GET", "/handle_services/hs1/users", b"");
//! assert_eq!(response.status, 401);
//! # Ok::<(), privgraph::graph::GraphError>(())
//! ```
//!
//! Limits, each with its own error: a body over 1 MiB (`413`), a path over 4 KiB
//! (`414`), a path id over 256 bytes (`400 badValueIdTooLong`), a path segment that is
//! not valid percent-encoded UTF-8 (`400 badMessage`). These ids are privgraph's own.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::graph::{MAX_ID_LEN, MemberType, TargetKind};
use crate::logic::{
    Auth, CommonOp, Engine, GroupOp, HandleServiceOp, HarvesterOp, Operation, Outcome, OzOp,
    SpaceOp, UserOp, UserRef, is_supported, list_key,
};

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
    /// The JSON body; `None` for `201`, `204` and `405`.
    pub body: Option<Value>,
    /// For `201`: Onezone's `Location` without scheme, host and prefix.
    pub location: Option<String>,
    /// For `405`: the methods the path allows (Onezone's `allow` header).
    pub allow: Vec<&'static str>,
}

impl Response {
    fn error(status: u16, id: &str, description: &str) -> Response {
        Response {
            status,
            body: Some(json!({ "error": { "id": id, "description": description } })),
            location: None,
            allow: Vec::new(),
        }
    }
}

/// The methods of Onezone's REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    /// Whether Onezone reads a body for this method (create and update).
    fn has_body(self) -> bool {
        matches!(self, Method::Post | Method::Put | Method::Patch)
    }
}

type Build = Box<dyn Fn(&[String]) -> Operation + Send + Sync>;

/// One row of the route table.
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path pattern, e.g. `/groups/{id}/users/{uid}/privileges`.
    pub pattern: String,
    segments: Vec<Option<String>>,
    build: Build,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.pattern)
    }
}

impl Route {
    fn matches(&self, segments: &[String]) -> Option<Vec<String>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (pattern, segment) in self.segments.iter().zip(segments) {
            match pattern {
                Some(literal) if literal == segment => {}
                Some(_) => return None,
                None => params.push(segment.clone()),
            }
        }
        Some(params)
    }
}

#[derive(Default)]
struct Table(Vec<Route>);

impl Table {
    /// Adds a route unless the logic layer does not serve its operation.
    fn add(
        &mut self,
        method: Method,
        pattern: &str,
        build: impl Fn(&[String]) -> Operation + Send + Sync + 'static,
    ) {
        let params = pattern.matches('{').count();
        let probe: Vec<String> = (0..params).map(|i| format!("probe{i}")).collect();
        if !is_supported(&build(&probe)) {
            return;
        }
        let segments = pattern
            .split('/')
            .skip(1)
            .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
            .collect();
        self.0.push(Route {
            method,
            pattern: pattern.to_owned(),
            segments,
            build: Box::new(build),
        });
    }
}

fn p(params: &[String], i: usize) -> String {
    params.get(i).cloned().unwrap_or_default()
}

/// Every route, built once from the kinds: the shared routes of each target kind, then
/// the kind-specific ones. Literal routes that could also match a pattern with an id
/// (`/groups/privileges`) come first.
fn build_table() -> Table {
    use Method::*;
    let mut t = Table::default();
    for kind in TargetKind::ALL {
        let base = format!("/{}", list_key(kind));
        let c = move |op: CommonOp| Operation::from_common(kind, op);
        t.add(Get, &format!("{base}/privileges"), move |_| {
            c(CommonOp::Presets)
        });
        t.add(Get, &base, move |_| c(CommonOp::ListAll));
        t.add(Post, &base, move |_| c(CommonOp::Create));
        t.add(Delete, &format!("{base}/{{id}}"), move |a| {
            c(CommonOp::Delete { id: p(a, 0) })
        });
        let groups = if kind == TargetKind::Group {
            ("children", "effective_children")
        } else {
            ("groups", "effective_groups")
        };
        for (member, (direct, effective)) in [
            (MemberType::User, ("users", "effective_users")),
            (MemberType::Group, groups),
        ] {
            t.add(Get, &format!("{base}/{{id}}/{direct}"), move |a| {
                c(CommonOp::ListMembers {
                    id: p(a, 0),
                    member,
                    effective: false,
                })
            });
            t.add(Get, &format!("{base}/{{id}}/{effective}"), move |a| {
                c(CommonOp::ListMembers {
                    id: p(a, 0),
                    member,
                    effective: true,
                })
            });
            let one = format!("{base}/{{id}}/{direct}/{{mid}}");
            t.add(Put, &one, move |a| {
                c(CommonOp::AddMember {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(Delete, &one, move |a| {
                c(CommonOp::RemoveMember {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            let privileges = format!("{one}/privileges");
            t.add(Get, &privileges, move |a| {
                c(CommonOp::MemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                    effective: false,
                })
            });
            t.add(Patch, &privileges, move |a| {
                c(CommonOp::UpdateMemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(Put, &privileges, move |a| {
                c(CommonOp::SetMemberPrivileges {
                    id: p(a, 0),
                    member,
                    member_id: p(a, 1),
                })
            });
            t.add(
                Get,
                &format!("{base}/{{id}}/{effective}/{{mid}}/privileges"),
                move |a| {
                    c(CommonOp::MemberPrivileges {
                        id: p(a, 0),
                        member,
                        member_id: p(a, 1),
                        effective: true,
                    })
                },
            );
            t.add(
                Get,
                &format!("{base}/{{id}}/{effective}/{{mid}}/membership"),
                move |a| {
                    c(CommonOp::Membership {
                        id: p(a, 0),
                        member,
                        member_id: p(a, 1),
                    })
                },
            );
        }
        t.add(Post, &format!("{base}/{{id}}/{}", groups.0), move |a| {
            c(CommonOp::CreateGroup { id: p(a, 0) })
        });
    }
    group_routes(&mut t);
    user_routes(&mut t);
    resource_routes(&mut t);
    t
}

fn group_routes(t: &mut Table) {
    use Method::*;
    let g = Operation::Group;
    t.add(Get, "/groups/{id}/parents", move |a| {
        g(GroupOp::ListParents {
            id: p(a, 0),
            effective: false,
        })
    });
    t.add(Get, "/groups/{id}/effective_parents", move |a| {
        g(GroupOp::ListParents {
            id: p(a, 0),
            effective: true,
        })
    });
    t.add(Delete, "/groups/{id}/parents/{pid}", move |a| {
        g(GroupOp::LeaveParent {
            id: p(a, 0),
            parent_id: p(a, 1),
        })
    });
    t.add(Post, "/groups/{id}/parents", move |a| {
        g(GroupOp::CreateParent { id: p(a, 0) })
    });
    for (method, op) in [
        (Get, OzOp::Get),
        (Patch, OzOp::Update),
        (Delete, OzOp::Delete),
    ] {
        t.add(method, "/groups/{id}/privileges", move |a| {
            g(GroupOp::Oz { id: p(a, 0), op })
        });
    }
    t.add(Get, "/groups/{id}/effective_privileges", move |a| {
        g(GroupOp::Oz {
            id: p(a, 0),
            op: OzOp::GetEffective,
        })
    });
    for kind in TargetKind::ALL
        .into_iter()
        .filter(|k| *k != TargetKind::Group)
    {
        let key = list_key(kind);
        t.add(Get, &format!("/groups/{{id}}/{key}"), move |a| {
            g(GroupOp::ListMemberships {
                id: p(a, 0),
                kind,
                effective: false,
            })
        });
        t.add(Get, &format!("/groups/{{id}}/effective_{key}"), move |a| {
            g(GroupOp::ListMemberships {
                id: p(a, 0),
                kind,
                effective: true,
            })
        });
        t.add(Delete, &format!("/groups/{{id}}/{key}/{{tid}}"), move |a| {
            g(GroupOp::Leave {
                id: p(a, 0),
                kind,
                target_id: p(a, 1),
            })
        });
        t.add(Post, &format!("/groups/{{id}}/{key}"), move |a| {
            g(GroupOp::CreateAs { id: p(a, 0), kind })
        });
    }
}

fn user_routes(t: &mut Table) {
    use Method::*;
    let u = Operation::User;
    t.add(Get, "/privileges", |_| Operation::OzPresets);
    for (method, op) in [
        (Get, OzOp::Get),
        (Patch, OzOp::Update),
        (Delete, OzOp::Delete),
    ] {
        t.add(method, "/user/privileges", move |_| {
            u(UserOp::Oz {
                user: UserRef::Client,
                op,
            })
        });
        t.add(method, "/users/{id}/privileges", move |a| {
            u(UserOp::Oz {
                user: UserRef::Id(p(a, 0)),
                op,
            })
        });
    }
    t.add(Get, "/user/effective_privileges", move |_| {
        u(UserOp::Oz {
            user: UserRef::Client,
            op: OzOp::GetEffective,
        })
    });
    t.add(Get, "/users/{id}/effective_privileges", move |a| {
        u(UserOp::Oz {
            user: UserRef::Id(p(a, 0)),
            op: OzOp::GetEffective,
        })
    });
    t.add(Delete, "/user", move |_| {
        u(UserOp::Delete {
            user: UserRef::Client,
        })
    });
    t.add(Delete, "/users/{id}", move |a| {
        u(UserOp::Delete {
            user: UserRef::Id(p(a, 0)),
        })
    });
    for kind in TargetKind::ALL {
        let key = list_key(kind);
        t.add(Get, &format!("/user/{key}"), move |_| {
            u(UserOp::ListMemberships {
                kind,
                effective: false,
            })
        });
        t.add(Get, &format!("/user/effective_{key}"), move |_| {
            u(UserOp::ListMemberships {
                kind,
                effective: true,
            })
        });
        t.add(Delete, &format!("/user/{key}/{{id}}"), move |a| {
            u(UserOp::Leave {
                kind,
                target_id: p(a, 0),
            })
        });
        t.add(Post, &format!("/user/{key}"), move |_| {
            u(UserOp::CreateAs { kind })
        });
    }
}

fn resource_routes(t: &mut Table) {
    use Method::*;
    let s = Operation::Space;
    t.add(Get, "/spaces/{id}/owners", move |a| {
        s(SpaceOp::ListOwners { id: p(a, 0) })
    });
    t.add(Put, "/spaces/{id}/owners/{uid}", move |a| {
        s(SpaceOp::AddOwner {
            id: p(a, 0),
            user_id: p(a, 1),
        })
    });
    t.add(Delete, "/spaces/{id}/owners/{uid}", move |a| {
        s(SpaceOp::RemoveOwner {
            id: p(a, 0),
            user_id: p(a, 1),
        })
    });
    t.add(Get, "/spaces/{id}/shares", move |a| {
        s(SpaceOp::ListShares { id: p(a, 0) })
    });
    t.add(Get, "/spaces/{id}/harvesters", move |a| {
        s(SpaceOp::ListHarvesters { id: p(a, 0) })
    });
    t.add(Delete, "/spaces/{id}/harvesters/{hid}", move |a| {
        s(SpaceOp::RemoveHarvester {
            id: p(a, 0),
            harvester_id: p(a, 1),
        })
    });
    t.add(Get, "/handle_services/{id}/handles", |a| {
        Operation::HandleService(HandleServiceOp::ListHandles { id: p(a, 0) })
    });
    let h = Operation::Harvester;
    t.add(Get, "/harvesters/{id}/spaces", move |a| {
        h(HarvesterOp::ListSpaces { id: p(a, 0) })
    });
    t.add(Put, "/harvesters/{id}/spaces/{sid}", move |a| {
        h(HarvesterOp::AddSpace {
            id: p(a, 0),
            space_id: p(a, 1),
        })
    });
    t.add(Delete, "/harvesters/{id}/spaces/{sid}", move |a| {
        h(HarvesterOp::RemoveSpace {
            id: p(a, 0),
            space_id: p(a, 1),
        })
    });
}

static ROUTES: LazyLock<Table> = LazyLock::new(build_table);

/// Every route served: method and pattern, in table order.
///
/// ```
/// let routes: Vec<_> = privgraph::rest::routes().collect();
/// assert!(routes.contains(&("PATCH", "/handle_services/{id}/groups/{mid}/privileges")));
/// ```
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES
        .0
        .iter()
        .map(|r| (r.method.as_str(), r.pattern.as_str()))
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
        let (status, id) = self.status_and_id();
        Response::error(status, id, &self.to_string())
    }
}

/// Splits a path into percent-decoded segments, without the prefix and query.
fn segments(path: &str) -> Result<Vec<String>, RequestError> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix(PREFIX).unwrap_or(path);
    let rest = path.strip_prefix('/').ok_or(RequestError::NotAPath)?;
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

fn not_found() -> Response {
    answer_error(&crate::logic::Error::NotFound)
}

fn answer_error(err: &crate::logic::Error) -> Response {
    Response {
        status: err.http_status(),
        body: Some(err.to_json()),
        location: None,
        allow: Vec::new(),
    }
}

/// Answers one request. Never panics; on any non-2xx answer the engine's graph is
/// unchanged.
///
/// `method` is the HTTP method, `path` the request path (prefix optional, query
/// ignored), `body` the raw request body (an empty body is `{}`; bodies are read for
/// `POST`, `PUT` and `PATCH` only, as Onezone reads them).
pub fn handle(engine: &mut Engine, auth: &Auth, method: &str, path: &str, body: &[u8]) -> Response {
    if path.len() > MAX_PATH_LEN {
        return RequestError::PathTooLong.response();
    }
    if body.len() > MAX_BODY_LEN {
        return RequestError::BodyTooLarge.response();
    }
    let segments = match segments(path) {
        Ok(segments) => segments,
        Err(err) => return err.response(),
    };
    let candidates: Vec<(&Route, Vec<String>)> = ROUTES
        .0
        .iter()
        .filter_map(|route| route.matches(&segments).map(|params| (route, params)))
        .collect();
    if candidates.is_empty() {
        return not_found();
    }
    let method = Method::parse(method);
    let Some((route, params)) = candidates
        .iter()
        .find(|(route, _)| Some(route.method) == method)
    else {
        let mut allow: Vec<&'static str> =
            candidates.iter().map(|(r, _)| r.method.as_str()).collect();
        allow.sort_unstable();
        allow.dedup();
        return Response {
            status: 405,
            body: None,
            location: None,
            allow,
        };
    };
    let data = if route.method.has_body() && !body.is_empty() {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => value,
            Err(_) => return answer_error(&crate::logic::Error::MalformedData),
        }
    } else {
        json!({})
    };
    let operation = (route.build)(params);
    match engine.execute(auth, &operation, &data) {
        Ok(outcome) => {
            let status = outcome.http_status();
            match outcome {
                Outcome::Json(value) => Response {
                    status,
                    body: Some(value),
                    location: None,
                    allow: Vec::new(),
                },
                Outcome::Created { id } => {
                    let mut location = format!("/{}", segments.join("/"));
                    if let Some(id) = id {
                        location.push('/');
                        location.push_str(&id);
                    }
                    Response {
                        status,
                        body: None,
                        location: Some(location),
                        allow: Vec::new(),
                    }
                }
                Outcome::NoContent => Response {
                    status,
                    body: None,
                    location: None,
                    allow: Vec::new(),
                },
            }
        }
        Err(err) => answer_error(&err),
    }
}
