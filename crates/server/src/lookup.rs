//! `GET /privgraph/lookup/resources` and `GET /privgraph/lookup/subjects`: the library's
//! by-id lookups (`lookup::resources_by_id`, `lookup::subjects_by_id`), one page per
//! request, resumed with the `next` cursor of the previous page.

use std::num::NonZeroUsize;

use privgraph::graph::{Graph, TargetKind};
use privgraph::inspect::InspectError;
use privgraph::logic::Error;
use privgraph::lookup::{self, Cursor, LookupError, PageRequest, Subject};

use crate::answer::{Answer, Refusal};
use crate::own::{kinds, missing};

/// The parameters both lookups share, and the ones only one of them takes.
#[derive(Default)]
struct Query {
    subject: Option<String>,
    kind: Option<String>,
    resource: Option<String>,
    privilege: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

impl Query {
    fn parse(query: &str) -> Query {
        let mut parsed = Query::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*key {
                "subject" => &mut parsed.subject,
                "kind" => &mut parsed.kind,
                "resource" => &mut parsed.resource,
                "privilege" => &mut parsed.privilege,
                "cursor" => &mut parsed.cursor,
                "limit" => &mut parsed.limit,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        parsed
    }

    /// `cursor` and `limit`, checked.
    fn page(&self) -> Result<PageRequest, Answer> {
        let cursor = match &self.cursor {
            None => None,
            Some(text) => Some(text.parse::<Cursor>().map_err(bad)?),
        };
        let limit = match &self.limit {
            None => None,
            Some(text) => Some(text.parse::<NonZeroUsize>().map_err(|_| {
                Refusal::BadMessage(format!("limit {text:?} is not a positive integer")).answer()
            })?),
        };
        Ok(PageRequest { cursor, limit })
    }
}

fn bad(err: impl std::fmt::Display) -> Answer {
    Refusal::BadMessage(err.to_string()).answer()
}

fn kind_named(key: &'static str, name: &str) -> Result<TargetKind, Answer> {
    TargetKind::from_name(name).ok_or_else(|| {
        Answer::from(Error::BadValueNotAllowed {
            key,
            allowed: kinds(),
        })
    })
}

/// A lookup's failure as an answer: 404 for an unknown subject or entity, Onezone's
/// `badValueListNotAllowed` for an unknown privilege, 400 for a bad cursor.
fn refused(err: LookupError) -> Answer {
    match err {
        LookupError::Unknown(InspectError::UnknownEntity { .. }) => Answer::from(Error::NotFound),
        LookupError::Unknown(InspectError::UnknownPrivilege { allowed, .. }) => {
            Answer::from(Error::BadValueListNotAllowed {
                key: "privilege".to_owned(),
                allowed,
            })
        }
        other => bad(other),
    }
}

/// `GET /privgraph/lookup/resources?subject=user:ID|group:ID&kind=KIND&privilege=P[&cursor=C&limit=N]`
/// → `{"ids": [...], "next": C | null}`.
pub(crate) fn resources(graph: &Graph, query: &str) -> Answer {
    let query = Query::parse(query);
    let run = || -> Result<Answer, Answer> {
        let subject = query.subject.as_deref().ok_or_else(|| missing("subject"))?;
        let kind = query.kind.as_deref().ok_or_else(|| missing("kind"))?;
        let privilege = query
            .privilege
            .as_deref()
            .ok_or_else(|| missing("privilege"))?;
        let subject: Subject = subject.parse().map_err(bad)?;
        let kind = kind_named("kind", kind)?;
        let found = lookup::resources_by_id(graph, &subject, kind, privilege, &query.page()?)
            .map_err(refused)?;
        Ok(Answer::text(
            200,
            serde_json::to_string(&found).map_err(bad)?,
        ))
    };
    run().unwrap_or_else(|answer| answer)
}

/// `GET /privgraph/lookup/subjects?resource=KIND:ID&privilege=P[&cursor=C&limit=N]` →
/// `{"users": [...], "groups": [...], "next": C | null}`.
pub(crate) fn subjects(graph: &Graph, query: &str) -> Answer {
    let query = Query::parse(query);
    let run = || -> Result<Answer, Answer> {
        let resource = query
            .resource
            .as_deref()
            .ok_or_else(|| missing("resource"))?;
        let privilege = query
            .privilege
            .as_deref()
            .ok_or_else(|| missing("privilege"))?;
        let (kind, id) = resource
            .split_once(':')
            .filter(|(_, id)| !id.is_empty())
            .ok_or_else(|| bad(format!("resource {resource:?} is not KIND:ID")))?;
        let kind = kind_named("resource", kind)?;
        let found =
            lookup::subjects_by_id(graph, kind, id, privilege, &query.page()?).map_err(refused)?;
        Ok(Answer::text(
            200,
            serde_json::to_string(&found).map_err(bad)?,
        ))
    };
    run().unwrap_or_else(|answer| answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn graph() -> Graph {
        privgraph::snapshot::load(
            r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
                "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}],
                "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_view"]}},
                                   {"id": "hs2", "users": {"u1": ["handle_service_view"]}}]}"#,
        )
        .unwrap()
    }

    fn ask(answer: Answer) -> (u16, Value) {
        (
            answer.status,
            serde_json::from_str(answer.body.as_deref().unwrap()).unwrap(),
        )
    }

    #[test]
    fn resources_come_in_pages_resumed_by_the_cursor() {
        let g = graph();
        let q = "subject=user:u1&kind=handle_service&privilege=handle_service_view";
        assert_eq!(
            ask(resources(&g, q)),
            (200, json!({"ids": ["hs1", "hs2"], "next": null}))
        );
        let (status, first) = ask(resources(&g, &format!("{q}&limit=1")));
        assert_eq!((status, &first["ids"]), (200, &json!(["hs1"])));
        let next = first["next"].as_str().unwrap();
        assert_eq!(
            ask(resources(&g, &format!("{q}&limit=1&cursor={next}"))),
            (200, json!({"ids": ["hs2"], "next": null}))
        );
    }

    #[test]
    fn subjects_list_users_and_groups() {
        let g = graph();
        assert_eq!(
            ask(subjects(
                &g,
                "resource=handle_service:hs1&privilege=handle_service_view"
            )),
            (
                200,
                json!({"users": ["u1"], "groups": ["g1"], "next": null})
            )
        );
    }

    #[test]
    fn bad_questions_are_refused_with_onezone_errors() {
        let g = graph();
        let id = |answer: Answer| {
            let (status, body) = ask(answer);
            (status, body["error"]["id"].as_str().unwrap().to_owned())
        };
        let r = |q: &str| id(resources(&g, q));
        assert_eq!(
            r("kind=group&privilege=group_view"),
            (400, "missingRequiredValue".into())
        );
        assert_eq!(
            r("subject=user:u1&kind=planet&privilege=group_view"),
            (400, "badValueNotAllowed".into())
        );
        assert_eq!(
            r("subject=user:u9&kind=group&privilege=group_view"),
            (404, "notFound".into())
        );
        assert_eq!(
            r("subject=user:u1&kind=group&privilege=group_fly"),
            (400, "badValueListNotAllowed".into())
        );
        assert_eq!(
            r("subject=u1&kind=group&privilege=group_view"),
            (400, "badMessage".into())
        );
        assert_eq!(
            r("subject=user:u1&kind=group&privilege=group_view&limit=0"),
            (400, "badMessage".into())
        );
        assert_eq!(
            r("subject=user:u1&kind=group&privilege=group_view&cursor=u75"),
            (400, "badMessage".into())
        );
        let s = |q: &str| id(subjects(&g, q));
        assert_eq!(
            s("resource=group&privilege=group_view"),
            (400, "badMessage".into())
        );
        assert_eq!(
            s("resource=group:g9&privilege=group_view"),
            (404, "notFound".into())
        );
    }
}
