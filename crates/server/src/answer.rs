//! What goes back on the wire: the server's answer type, and the refusals the server
//! makes itself (before or around the adapter), with Onezone's error bodies.

use privgraph::rest;
use serde::Serialize;
use serde_json::{Value, json};

/// One answer, before it becomes an HTTP response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: u16,
    /// The JSON body's text.
    pub body: Option<String>,
    /// For a `201`: the created resource's path.
    pub location: Option<String>,
    /// For a `405`: the methods the path allows.
    pub allow: Vec<&'static str>,
    /// For a `503`: seconds after which to try again.
    pub retry_after: Option<u32>,
    /// The connection is closed after this answer (the request was not read whole).
    pub close: bool,
    /// The body's media type.
    pub content_type: &'static str,
}

/// The media type of every answer but the metrics.
pub(crate) const JSON: &str = "application/json";

impl Answer {
    /// An answer without a body.
    pub fn empty(status: u16) -> Answer {
        Answer {
            status,
            body: None,
            location: None,
            allow: Vec::new(),
            retry_after: None,
            close: false,
            content_type: JSON,
        }
    }

    pub fn json(status: u16, body: &Value) -> Answer {
        Answer::text(status, body.to_string())
    }

    pub fn text(status: u16, body: String) -> Answer {
        Answer {
            body: Some(body),
            ..Answer::empty(status)
        }
    }
}

impl From<rest::Response> for Answer {
    fn from(response: rest::Response) -> Answer {
        Answer {
            status: response.status,
            body: response.to_json_string(),
            location: response.location,
            allow: response.allow,
            ..Answer::empty(response.status)
        }
    }
}

impl From<rest::Body> for Answer {
    fn from(body: rest::Body) -> Answer {
        let status = match &body {
            rest::Body::Outcome(outcome) => outcome.http_status(),
            rest::Body::Error(error) => error.http_status(),
            rest::Body::Refused(refusal) => refusal.status_and_id().0,
        };
        // Bodies are maps of strings and lists: they always serialize.
        let text = serde_json::to_string(&body).unwrap_or_default();
        Answer::text(status, text)
    }
}

impl From<privgraph::logic::Error> for Answer {
    fn from(error: privgraph::logic::Error) -> Answer {
        Answer::from(rest::Body::Error(error))
    }
}

/// A refusal the server makes itself, around the adapter. Each is answered with an
/// error body shaped as Onezone's, `{"error": {"id", "details"?, "description"}}`;
/// the ids are Onezone's where it has one for the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A token was presented but is not in the tokens file: Onezone's answer for an
    /// invalid token (401).
    InvalidToken,
    /// A body with a `Content-Type` other than `application/json` (415).
    NotJson,
    /// A header, a parameter or a body is not what it should be (400).
    BadMessage(String),
    /// The request body did not arrive in time (408).
    BodyTimeout,
    /// The body could not be read whole: the client went away or broke it (400).
    BrokenBody(String),
    /// The revision asked for was not reached in time (503).
    NotYet { wanted: u64, current: u64 },
    /// The write could not be stored, or the store is closed (500 / 503).
    Storage { unavailable: bool },
    /// An idempotency key was used before for another request (422).
    KeyReused { first: String },
}

impl Refusal {
    pub fn answer(&self) -> Answer {
        let (status, id, details, description) = match self {
            Refusal::InvalidToken => (
                401,
                "unauthorized",
                Some(Details::AuthError {
                    auth_error: Problem {
                        id: "badToken",
                        description: "Provided token could not be understood by the server.",
                    },
                }),
                "Provided authentication is not valid (see details).".to_owned(),
            ),
            Refusal::NotJson => (
                415,
                "unsupportedMediaType",
                None,
                "The request body must be JSON, sent with Content-Type: application/json."
                    .to_owned(),
            ),
            Refusal::BadMessage(why) | Refusal::BrokenBody(why) => (
                400,
                "badMessage",
                Some(Details::Message { message: why }),
                "This message could not be understood by the server.".to_owned(),
            ),
            Refusal::BodyTimeout => (
                408,
                "timeout",
                None,
                "Operation timed out: the request body did not arrive in time.".to_owned(),
            ),
            Refusal::NotYet { wanted, current } => (
                503,
                "serviceUnavailable",
                Some(Details::Revision {
                    revision: *wanted,
                    current: *current,
                }),
                format!(
                    "Revision {wanted} was not reached in time (the graph is at revision {current}); try again later."
                ),
            ),
            Refusal::Storage { unavailable: true } => (
                503,
                "serviceUnavailable",
                None,
                "The store is not accepting writes; try again later.".to_owned(),
            ),
            Refusal::Storage { unavailable: false } => (
                500,
                "internalServerError",
                None,
                "The server has encountered an error while processing this request.".to_owned(),
            ),
            Refusal::KeyReused { first } => (
                422,
                "idempotencyKeyReused",
                Some(Details::Request { request: first }),
                format!(
                    "This Idempotency-Key was used for another request ({first}); use a new key for a new request."
                ),
            ),
        };
        let body = ErrorBody {
            error: ErrorObject {
                id,
                details,
                description,
            },
        };
        // Plain structs of strings and numbers: they always serialize.
        let mut answer = Answer::text(status, serde_json::to_string(&body).unwrap_or_default());
        match self {
            Refusal::NotYet { .. } | Refusal::Storage { unavailable: true } => {
                answer.retry_after = Some(1);
            }
            Refusal::BodyTimeout | Refusal::BrokenBody(_) => answer.close = true,
            _ => {}
        }
        answer
    }
}

/// `{"error": {"id", "details"?, "description"}}`, keys in Onezone's order.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
    description: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Details<'a> {
    AuthError {
        #[serde(rename = "authError")]
        auth_error: Problem,
    },
    Message {
        message: &'a str,
    },
    Revision {
        revision: u64,
        current: u64,
    },
    Request {
        request: &'a str,
    },
}

#[derive(Serialize)]
struct Problem {
    id: &'static str,
    description: &'static str,
}

/// What a write's answer is stored as with its idempotency key: the request it
/// answered and the answer, so that a retry gets it back byte for byte.
pub(crate) fn encode_stored(request: &str, answer: &Answer) -> Vec<u8> {
    // The body as its text, so a retry gets the same bytes (key order included).
    json!({
        "request": request,
        "status": answer.status,
        "location": answer.location,
        "body": answer.body,
    })
    .to_string()
    .into_bytes()
}

/// The stored answer back, or the request it answered when that is not `request`.
pub(crate) fn decode_stored(request: &str, bytes: &[u8]) -> Result<Answer, Refusal> {
    let damaged = Refusal::Storage { unavailable: false };
    let stored: Value = serde_json::from_slice(bytes).map_err(|_| damaged.clone())?;
    let first = stored["request"].as_str().ok_or_else(|| damaged.clone())?;
    if first != request {
        return Err(Refusal::KeyReused {
            first: first.to_owned(),
        });
    }
    let status = stored["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or(damaged)?;
    Ok(Answer {
        status,
        body: stored["body"].as_str().map(str::to_owned),
        location: stored["location"].as_str().map(str::to_owned),
        ..Answer::empty(status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_answer_comes_back_for_its_request_only() {
        let first = Answer {
            location: Some("/groups/g1/users/u2".into()),
            ..Answer::empty(201)
        };
        let bytes = encode_stored("PUT /groups/g1/users/u2", &first);
        assert_eq!(decode_stored("PUT /groups/g1/users/u2", &bytes), Ok(first));
        assert_eq!(
            decode_stored("DELETE /groups/g1/users/u2", &bytes),
            Err(Refusal::KeyReused {
                first: "PUT /groups/g1/users/u2".into()
            })
        );
        let with_body = Answer::json(200, &json!({"privileges": ["group_view"]}));
        let bytes = encode_stored("GET /x", &with_body);
        assert_eq!(decode_stored("GET /x", &bytes), Ok(with_body));
        assert_eq!(
            decode_stored("GET /x", b"{not json"),
            Err(Refusal::Storage { unavailable: false })
        );
    }

    #[test]
    fn the_invalid_token_answer_is_onezones_in_onezones_key_order() {
        let answer = Refusal::InvalidToken.answer();
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.body.as_deref(),
            Some(
                r#"{"error":{"id":"unauthorized","details":{"authError":{"id":"badToken","description":"Provided token could not be understood by the server."}},"description":"Provided authentication is not valid (see details)."}}"#
            )
        );
        let plain = Refusal::NotJson.answer();
        assert!(
            plain
                .body
                .unwrap()
                .starts_with(r#"{"error":{"id":"unsupportedMediaType","description":"#)
        );
    }
}
