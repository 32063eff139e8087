//! privgraph's own endpoints, beside Onezone's REST surface: operators' `/health` and
//! `/metrics`, and root's `/privgraph/…` questions. Each answer is computed by a
//! library function (`inspect::check`, `logic::authorize`, `snapshot::save`); this
//! module only reads parameters and writes JSON.

use std::sync::LazyLock;

use privgraph::graph::{Graph, TargetKind};
use privgraph::inspect::{self, InspectError};
use privgraph::logic::{self, Auth, Error};
use privgraph::rest::{self, DecisionBody, Request};
use serde::Deserialize;
use serde_json::json;

use crate::answer::{Answer, Refusal};

/// An endpoint of privgraph's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Health,
    Metrics,
    Check,
    Decide,
    Snapshot,
    // The lookup endpoints (`/privgraph/lookup/resources`, `/privgraph/lookup/subjects`)
    // and `/privgraph/watch` come here, with the library functions that answer them.
    /// A path under `/privgraph/` that names no endpoint.
    Unknown,
}

impl Endpoint {
    /// The endpoint `path` names (a trailing slash ignored), `None` for a path of
    /// Onezone's REST surface.
    pub fn route(path: &str) -> Option<Endpoint> {
        let path = match path.strip_suffix('/') {
            Some(stripped) if !stripped.is_empty() => stripped,
            _ => path,
        };
        Some(match path {
            "/health" => Endpoint::Health,
            "/metrics" => Endpoint::Metrics,
            "/privgraph/check" => Endpoint::Check,
            "/privgraph/decide" => Endpoint::Decide,
            "/privgraph/snapshot" => Endpoint::Snapshot,
            _ if path == "/privgraph" || path.starts_with("/privgraph/") => Endpoint::Unknown,
            _ => return None,
        })
    }

    /// The pattern metrics count it under.
    pub fn pattern(self) -> &'static str {
        match self {
            Endpoint::Health => "/health",
            Endpoint::Metrics => "/metrics",
            Endpoint::Check => "/privgraph/check",
            Endpoint::Decide => "/privgraph/decide",
            Endpoint::Snapshot => "/privgraph/snapshot",
            Endpoint::Unknown => "unmatched",
        }
    }

    /// The one method it answers.
    pub fn method(self) -> Option<&'static str> {
        match self {
            Endpoint::Decide => Some("POST"),
            Endpoint::Unknown => None,
            _ => Some("GET"),
        }
    }

    /// Whether only root may ask it.
    pub fn root_only(self) -> bool {
        matches!(
            self,
            Endpoint::Check | Endpoint::Decide | Endpoint::Snapshot
        )
    }
}

/// The names of the resource kinds, as `resource=KIND:ID` takes them.
static KINDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| TargetKind::ALL.iter().map(|k| k.info().name).collect());

/// `GET /privgraph/check?subject=user:ID&resource=KIND:ID&privilege=P` →
/// `{"allowed": bool}`.
pub(crate) fn check(graph: &Graph, query: &str) -> Answer {
    let (mut subject, mut resource, mut privilege) = (None, None, None);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "subject" => subject = Some(value.into_owned()),
            "resource" => resource = Some(value.into_owned()),
            "privilege" => privilege = Some(value.into_owned()),
            _ => {}
        }
    }
    let (subject, resource, privilege) = match (subject, resource, privilege) {
        (Some(subject), Some(resource), Some(privilege)) => (subject, resource, privilege),
        (None, _, _) => return missing("subject"),
        (_, None, _) => return missing("resource"),
        (_, _, None) => return missing("privilege"),
    };
    let Some(user) = subject.strip_prefix("user:").filter(|id| !id.is_empty()) else {
        return Refusal::BadMessage(format!("subject {subject:?} is not user:ID")).answer();
    };
    let kind = resource.split_once(':').and_then(|(kind, id)| {
        Some((
            TargetKind::ALL
                .into_iter()
                .find(|k| k.info().name == kind)?,
            id,
        ))
    });
    let Some((kind, id)) = kind else {
        return Answer::from(Error::BadValueNotAllowed {
            key: "resource",
            allowed: kinds(),
        });
    };
    match inspect::check(graph, user, kind, id, &privilege) {
        Ok(allowed) => Answer::json(200, &json!({ "allowed": allowed })),
        Err(InspectError::UnknownEntity { .. }) => Answer::from(Error::NotFound),
        Err(InspectError::UnknownPrivilege { allowed, .. }) => {
            Answer::from(Error::BadValueListNotAllowed {
                key: "privilege".to_owned(),
                allowed,
            })
        }
    }
}

fn missing(key: &'static str) -> Answer {
    Answer::from(Error::MissingRequiredValue { key })
}

fn kinds() -> &'static [&'static str] {
    KINDS.as_slice()
}

/// The body of `POST /privgraph/decide`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    auth: String,
    method: String,
    path: String,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

/// `POST /privgraph/decide` with `{"auth", "method", "path", "body"}` →
/// `{"decision", "reason"}`: may `auth` perform the request, as Onezone decides it.
pub(crate) fn decide(graph: &Graph, body: &[u8]) -> Answer {
    let question: Question = match serde_json::from_slice(body) {
        Ok(question) => question,
        Err(err) => {
            return Refusal::BadMessage(format!(
                "the body is not {{\"auth\", \"method\", \"path\", \"body\"}}: {err}"
            ))
            .answer();
        }
    };
    let auth: Auth = match question.auth.parse() {
        Ok(auth) => auth,
        Err(err) => return Refusal::BadMessage(err.to_string()).answer(),
    };
    let body = question
        .body
        .map(|body| body.to_string().into_bytes())
        .unwrap_or_default();
    let request = match Request::parse(&question.method, &question.path, &body) {
        Ok(request) => request,
        Err(refused) => {
            let why = refused
                .json()
                .and_then(|b| b["error"]["description"].as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("the path allows only {}", refused.allow.join(", ")));
            return Refusal::BadMessage(format!(
                "{} {} is not a request of the API: {why}",
                question.method, question.path
            ))
            .answer();
        }
    };
    let decision = logic::authorize(graph, &auth, request.operation(), request.body());
    Answer::text(
        200,
        serde_json::to_string(&DecisionBody(&decision)).unwrap_or_default(),
    )
}

/// `GET /privgraph/snapshot` → the graph as snapshot v1.
pub(crate) fn snapshot(graph: &Graph) -> Answer {
    Answer::text(200, privgraph::snapshot::save(graph))
}

/// `rest`'s answer to a path that names nothing.
pub(crate) fn not_found() -> Answer {
    Answer::from(Error::NotFound)
}

/// A `405` naming the one method an endpoint takes.
pub(crate) fn method_not_allowed(method: &'static str) -> Answer {
    Answer {
        allow: vec![method],
        ..Answer::empty(405)
    }
}

/// What `rest` answers for the body of a request over the limit.
pub(crate) fn too_large() -> Answer {
    Answer {
        close: true,
        ..Answer::from(rest::Body::Refused(rest::RequestError::BodyTooLarge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn graph() -> Graph {
        privgraph::snapshot::load(
            r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
                "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}],
                "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_view"]}}]}"#,
        )
        .unwrap()
    }

    fn body(answer: &Answer) -> Value {
        serde_json::from_str(answer.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn paths_name_endpoints_with_or_without_a_trailing_slash() {
        assert_eq!(Endpoint::route("/health/"), Some(Endpoint::Health));
        assert_eq!(Endpoint::route("/privgraph/check"), Some(Endpoint::Check));
        assert_eq!(
            Endpoint::route("/privgraph/nothing"),
            Some(Endpoint::Unknown)
        );
        assert_eq!(Endpoint::route("/groups/g1/users"), None);
        assert_eq!(Endpoint::route("/"), None);
    }

    #[test]
    fn check_answers_for_effective_privileges_and_refuses_bad_questions() {
        let g = graph();
        let ask = |q: &str| check(&g, q);
        let allowed =
            ask("subject=user:u1&resource=handle_service:hs1&privilege=handle_service_view");
        assert_eq!(
            (allowed.status, body(&allowed)),
            (200, json!({"allowed": true}))
        );
        let denied =
            ask("subject=user%3Au2&resource=handle_service%3Ahs1&privilege=handle_service_view");
        assert_eq!(
            (denied.status, body(&denied)),
            (200, json!({"allowed": false}))
        );
        let missing = ask("subject=user:u1&privilege=group_view");
        assert_eq!(
            body(&missing)["error"]["details"],
            json!({"key": "resource"})
        );
        assert_eq!(
            ask("subject=user:u9&resource=group:g1&privilege=group_view").status,
            404
        );
        assert_eq!(
            ask("subject=user:u1&resource=group:g9&privilege=group_view").status,
            404
        );
        let kind = ask("subject=user:u1&resource=planet:g1&privilege=group_view");
        assert_eq!(body(&kind)["error"]["id"], "badValueNotAllowed");
        let name = ask("subject=user:u1&resource=group:g1&privilege=group_fly");
        assert_eq!(body(&name)["error"]["id"], "badValueListNotAllowed");
        assert_eq!(
            ask("subject=group:g1&resource=group:g1&privilege=group_view").status,
            400
        );
    }

    #[test]
    fn decide_answers_as_onezone_would_decide() {
        let g = graph();
        let ask = |q: Value| decide(&g, q.to_string().as_bytes());
        let allowed = ask(json!({"auth": "user:u1", "method": "GET", "path": "/groups/g1/users"}));
        assert_eq!(body(&allowed)["decision"], "allowed");
        let denied = ask(json!({"auth": "user:u2", "method": "GET", "path": "/groups/g1/users"}));
        assert_eq!(body(&denied)["decision"], "denied");
        let missing = ask(json!({"auth": "root", "method": "GET", "path": "/groups/g9/users"}));
        assert_eq!(
            body(&missing),
            json!({"decision": "notFound", "reason": null})
        );
        let with_body = ask(json!({"auth": "root", "method": "PATCH",
            "path": "/groups/g1/users/u1/privileges", "body": {"grant": ["group_fly"]}}));
        assert_eq!(
            body(&with_body)["problem"]["error"]["id"],
            "badValueListNotAllowed"
        );
        for bad in [
            json!({"auth": "admin", "method": "GET", "path": "/groups"}),
            json!({"auth": "root", "method": "GET", "path": "/nowhere"}),
            json!({"auth": "root", "method": "GET"}),
            json!({"auth": "root", "method": "GET", "path": "/groups", "extra": 1}),
        ] {
            let answer = ask(bad.clone());
            assert_eq!((answer.status, answer.close), (400, false), "{bad}");
        }
    }
}
