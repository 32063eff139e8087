//! One request, from its HTTP form to its answer: the thin layer between hyper and
//! `rest`. Routing, authorization, validation and the answers are the adapter's and
//! the library's; this module reads headers and bodies, picks the reader or the
//! writer, and writes the headers every answer carries.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use privgraph::concurrent::Reader;
use privgraph::logic::{Auth, Error, IdSource, RandomIds};
use privgraph::rest::{self, MAX_BODY_LEN, PREFIX};
use privgraph_store::{Idempotency, StoreError, WriteError, WriteHandle, Written};
use tokio::sync::{oneshot, watch};

use crate::answer::{Answer, Refusal, decode_stored, encode_stored};
use crate::metrics::Metrics;
use crate::own::{self, Endpoint};
use crate::tokens::Tokens;

/// The body of every response. A whole buffer: every answer is computed before it is
/// sent (a streaming endpoint, such as a watch, needs a boxed body here).
pub(crate) type ResponseBody = Full<Bytes>;

/// `X-Privgraph-Revision`: the revision an answer reflects.
pub(crate) static REVISION: HeaderName = HeaderName::from_static("x-privgraph-revision");
/// `X-Privgraph-At-Least`: answer at this revision or later.
pub(crate) static AT_LEAST: HeaderName = HeaderName::from_static("x-privgraph-at-least");
/// `X-Request-Id`: echoed, or generated.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `X-Auth-Token`: Onezone's token header.
pub(crate) static AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
/// `Idempotency-Key`: a retried write gets the first answer.
pub(crate) static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The longest `X-Request-Id` echoed, and `Idempotency-Key` taken.
const MAX_ID_HEADER: usize = 128;

/// What every request shares.
pub(crate) struct State {
    pub reader: Reader,
    pub writes: WriteHandle,
    /// `None` without a tokens file: every request is `nobody`.
    pub tokens: Option<ArcSwap<Tokens>>,
    pub metrics: Metrics,
    /// Writes submitted and not answered (shared with the writer's reply callbacks).
    pub queued_writes: Arc<AtomicI64>,
    /// The published revision, for requests waiting for one.
    pub revisions: watch::Receiver<u64>,
    pub at_least_timeout: Duration,
    pub body_timeout: Duration,
}

/// The answer, the route pattern it is counted under, and the revision it reflects
/// when not the published one.
struct Handled {
    answer: Answer,
    route: &'static str,
    revision: Option<u64>,
}

impl Handled {
    fn new(answer: Answer, route: &'static str) -> Handled {
        Handled {
            answer,
            route,
            revision: None,
        }
    }
}

/// Answers one request; never fails (every refusal is an answer).
pub(crate) async fn handle<B>(state: Arc<State>, request: Request<B>) -> Response<ResponseBody>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let request_id = request_id(&parts.headers);
    let handled = respond(&state, &parts, body).await;
    let revision = handled.revision.unwrap_or_else(|| state.reader.revision());
    let status = handled.answer.status;
    let response = http_response(handled.answer, &request_id, revision, parts.uri.path());
    let took = started.elapsed();
    state
        .metrics
        .observe(handled.route, method_label(&parts.method), status, took);
    tracing::info!(
        request_id = request_id.to_str().unwrap_or_default(),
        method = parts.method.as_str(),
        path = parts.uri.path(),
        status,
        revision,
        micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        "answered"
    );
    response
}

async fn respond<B>(state: &State, parts: &Parts, body: B) -> Handled
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let endpoint = Endpoint::route(parts.uri.path());
    let route = endpoint.map_or("unmatched", Endpoint::pattern);
    match endpoint {
        Some(Endpoint::Health) if parts.method == Method::GET => {
            return Handled::new(
                Answer::json(200, &serde_json::json!({"status": "ok"})),
                route,
            );
        }
        Some(Endpoint::Metrics) if parts.method == Method::GET => {
            let revision = state.reader.revision();
            let answer = Answer {
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                ..Answer::text(200, state.metrics.render(revision))
            };
            return Handled {
                revision: Some(revision),
                ..Handled::new(answer, route)
            };
        }
        _ => {}
    }
    let at_least = match at_least(&parts.headers) {
        Ok(at_least) => at_least,
        Err(refusal) => return Handled::new(refusal.answer(), route),
    };
    let body = if has_body(&parts.method) {
        match read_body(&parts.headers, body, state.body_timeout).await {
            Ok(body) => body,
            Err(answer) => return Handled::new(answer, route),
        }
    } else {
        Bytes::new()
    };
    let auth = authenticate(state, &parts.headers);
    match endpoint {
        Some(endpoint) => {
            let answer = own_endpoint(state, parts, endpoint, auth, at_least, &body).await;
            Handled { route, ..answer }
        }
        None => onezone(state, parts, auth, at_least, &body).await,
    }
}

/// privgraph's own endpoints (`/health` and `/metrics` are answered before).
async fn own_endpoint(
    state: &State,
    parts: &Parts,
    endpoint: Endpoint,
    auth: Result<Auth, Refusal>,
    at_least: Option<u64>,
    body: &[u8],
) -> Handled {
    let route = endpoint.pattern();
    let Some(method) = endpoint.method() else {
        return Handled::new(own::not_found(), route);
    };
    if parts.method.as_str() != method {
        return Handled::new(own::method_not_allowed(method), route);
    }
    match auth {
        Err(refusal) => return Handled::new(refusal.answer(), route),
        Ok(Auth::Root) => {}
        Ok(_) if endpoint.root_only() => {
            return Handled::new(Answer::from(Error::Forbidden), route);
        }
        Ok(_) => {}
    }
    if let Err(refusal) = reach(state, at_least).await {
        return Handled::new(refusal.answer(), route);
    }
    let query = parts.uri.query().unwrap_or_default();
    let (answer, revision) = match endpoint {
        Endpoint::Check => {
            let graph = state.reader.read();
            (own::check(&graph, query), graph.revision())
        }
        Endpoint::Decide => {
            let graph = state.reader.read();
            (own::decide(&graph, body), graph.revision())
        }
        Endpoint::Snapshot => {
            // Saving a large graph takes a while: off the threads that serve
            // connections.
            let reader = state.reader.clone();
            let saved = tokio::task::spawn_blocking(move || {
                let graph = reader.read();
                (own::snapshot(&graph), graph.revision())
            })
            .await;
            match saved {
                Ok(saved) => saved,
                Err(_) => (
                    Refusal::Storage { unavailable: false }.answer(),
                    state.reader.revision(),
                ),
            }
        }
        Endpoint::Health | Endpoint::Metrics | Endpoint::Unknown => {
            (own::not_found(), state.reader.revision())
        }
    };
    Handled {
        revision: Some(revision),
        ..Handled::new(answer, route)
    }
}

/// Onezone's REST surface, through the adapter.
async fn onezone(
    state: &State,
    parts: &Parts,
    auth: Result<Auth, Refusal>,
    at_least: Option<u64>,
    body: &[u8],
) -> Handled {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    // Routing first, as Onezone's router answers 404 and 405 before it looks at
    // credentials; the body is parsed after them.
    let routed = match rest::Request::parse(method, path, b"") {
        Ok(routed) => routed,
        Err(refused) => return Handled::new(Answer::from(refused), "unmatched"),
    };
    let route = routed.pattern();
    let auth = match auth {
        Ok(auth) => auth,
        Err(refusal) => return Handled::new(refusal.answer(), route),
    };
    let request = if body.is_empty() {
        routed
    } else {
        if !is_json(&parts.headers) {
            return Handled::new(Refusal::NotJson.answer(), route);
        }
        match rest::Request::parse(method, path, body) {
            Ok(request) => request,
            Err(refused) => return Handled::new(Answer::from(refused), route),
        }
    };
    if let Err(refusal) = reach(state, at_least).await {
        return Handled::new(refusal.answer(), route);
    }
    if !request.is_write() {
        let graph = state.reader.read();
        let answer = rest::read(&graph, &auth, &request).map(Answer::from);
        let revision = graph.revision();
        drop(graph);
        if let Some(answer) = answer {
            return Handled {
                revision: Some(revision),
                ..Handled::new(answer, route)
            };
        }
    }
    let key = match idempotency_key(&parts.headers) {
        Ok(key) => key,
        Err(refusal) => return Handled::new(refusal.answer(), route),
    };
    let (answer, revision) = write(state, &auth, request, method, path, key).await;
    Handled {
        revision,
        ..Handled::new(answer, route)
    }
}

/// Sends a write to the store's writer and waits until it is durable (or refused).
async fn write(
    state: &State,
    auth: &Auth,
    request: rest::Request,
    method: &str,
    path: &str,
    key: Option<String>,
) -> (Answer, Option<u64>) {
    // What the idempotency record names the request by (only written with a key).
    let request_line = key
        .as_ref()
        .map(|_| normalized(method, path))
        .unwrap_or_default();
    let idempotency = key.map(|key| {
        // Keys are per client: another client's key never returns this answer.
        let scoped = format!("{auth}\n{key}");
        let request = request.clone();
        let line = request_line.clone();
        Idempotency::new(scoped, move |committed| {
            encode_stored(
                &line,
                &Answer::from(request.respond(Ok(committed.outcome.clone()))),
            )
        })
    });
    let (tx, rx) = oneshot::channel();
    let queued = Arc::clone(&state.queued_writes);
    queued.fetch_add(1, Ordering::Relaxed);
    state.writes.submit(
        auth.clone(),
        request.operation().clone(),
        request.body().clone(),
        idempotency,
        move |result| {
            queued.fetch_sub(1, Ordering::Relaxed);
            // The client may have gone away; its write is durable all the same.
            let _ = tx.send(result);
        },
    );
    match rx.await.unwrap_or(Err(WriteError::Closed)) {
        Ok(Written::Applied(committed)) => (
            Answer::from(request.respond(Ok(committed.outcome))),
            Some(committed.revision),
        ),
        Ok(Written::Repeated { revision, answer }) => match decode_stored(&request_line, &answer) {
            Ok(answer) => (answer, Some(revision)),
            Err(refusal) => (refusal.answer(), None),
        },
        Err(WriteError::Refused(error)) => (Answer::from(request.respond(Err(error))), None),
        Err(err) => {
            let unavailable = matches!(
                err,
                WriteError::Closed | WriteError::Storage(StoreError::Diverged { .. })
            );
            tracing::error!(error = %err, "a write was not stored");
            (Refusal::Storage { unavailable }.answer(), None)
        }
    }
}

/// Waits, without blocking a thread, until revision `at_least` is published.
async fn reach(state: &State, at_least: Option<u64>) -> Result<(), Refusal> {
    let Some(wanted) = at_least else {
        return Ok(());
    };
    if state.reader.revision() >= wanted {
        return Ok(());
    }
    let mut revisions = state.revisions.clone();
    let reached = tokio::time::timeout(
        state.at_least_timeout,
        revisions.wait_for(|&revision| revision >= wanted),
    )
    .await;
    match reached {
        Ok(Ok(_)) => Ok(()),
        _ => Err(Refusal::NotYet {
            wanted,
            current: state.reader.revision(),
        }),
    }
}

/// Who sent the request: a token's user or root, `nobody` without a token (or
/// without a tokens file), a refusal for a token not in the file.
fn authenticate(state: &State, headers: &HeaderMap) -> Result<Auth, Refusal> {
    let Some(tokens) = &state.tokens else {
        return Ok(Auth::Nobody);
    };
    let token = if let Some(value) = headers.get(&AUTH_TOKEN) {
        value.to_str().map_err(|_| Refusal::InvalidToken)?
    } else if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| Refusal::InvalidToken)?;
        match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(Refusal::InvalidToken),
        }
    } else {
        return Ok(Auth::Nobody);
    };
    tokens
        .load()
        .lookup(token)
        .cloned()
        .ok_or(Refusal::InvalidToken)
}

/// `X-Privgraph-At-Least`, a non-negative integer.
fn at_least(headers: &HeaderMap) -> Result<Option<u64>, Refusal> {
    let Some(value) = headers.get(&AT_LEAST) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(revision) = text.parse()
    {
        return Ok(Some(revision));
    }
    Err(Refusal::BadMessage(format!(
        "X-Privgraph-At-Least must be a non-negative integer (a revision), not {value:?}"
    )))
}

/// `Idempotency-Key`: visible ASCII, at most 128 characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    let Some(value) = headers.get(&IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if is_token_text(key) => Ok(Some(key.to_owned())),
        _ => Err(Refusal::BadMessage(format!(
            "Idempotency-Key must be 1 to {MAX_ID_HEADER} visible ASCII characters"
        ))),
    }
}

/// The client's `X-Request-Id` when it is 1 to 128 visible ASCII characters, else a
/// new one: 32 hex characters, a random prefix drawn once per process and a counter
/// (unique, and one allocation rather than a system call per request).
fn request_id(headers: &HeaderMap) -> HeaderValue {
    static PREFIX: LazyLock<String> = LazyLock::new(|| RandomIds.new_id()[..16].to_owned());
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(value) = headers.get(&REQUEST_ID)
        && value.to_str().is_ok_and(is_token_text)
    {
        return value.clone();
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // Hex digits only: always a valid header value.
    HeaderValue::from_str(&format!("{}{n:016x}", *PREFIX)).unwrap_or(HeaderValue::from_static("-"))
}

fn is_token_text(text: &str) -> bool {
    (1..=MAX_ID_HEADER).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether Onezone reads a body for this method.
fn has_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// Whether the `Content-Type` is `application/json` (parameters allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads a body of at most [`MAX_BODY_LEN`] bytes within `timeout`. A body announced
/// larger is refused before a byte of it is read.
async fn read_body<B>(headers: &HeaderMap, body: B, timeout: Duration) -> Result<Bytes, Answer>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|len| len > MAX_BODY_LEN as u64) {
        return Err(own::too_large());
    }
    match tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_LEN).collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => Err(own::too_large()),
        Ok(Err(err)) => {
            Err(Refusal::BrokenBody(format!("the body could not be read: {err}")).answer())
        }
        Err(_) => Err(Refusal::BodyTimeout.answer()),
    }
}

/// The request as its idempotency record names it: method and path, without
/// Onezone's prefix and a trailing slash (the forms the adapter takes as one).
fn normalized(method: &str, path: &str) -> String {
    let path = path.strip_prefix(PREFIX).unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    format!("{method} {path}")
}

/// The method as a metrics label: one of a few, whatever the client sent.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The HTTP response: the answer and the headers every answer carries.
fn http_response(
    answer: Answer,
    request_id: &HeaderValue,
    revision: u64,
    path: &str,
) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body.unwrap_or_default())));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(REVISION.clone(), HeaderValue::from(revision));
    headers.insert(REQUEST_ID.clone(), request_id.clone());
    if !response_is_empty(answer.status) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(answer.content_type),
        );
    }
    if let Some(location) = answer.location {
        // Onezone's Location carries the prefix; keep the form the client used.
        let prefix = if path.starts_with(PREFIX) { PREFIX } else { "" };
        if let Ok(value) = HeaderValue::from_str(&format!("{prefix}{}", encode_path(&location))) {
            headers.insert(header::LOCATION, value);
        }
    }
    if !answer.allow.is_empty()
        && let Ok(value) = HeaderValue::from_str(&answer.allow.join(", "))
    {
        headers.insert(header::ALLOW, value);
    }
    if let Some(seconds) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if answer.close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Answers that carry no body (and so no media type).
fn response_is_empty(status: u16) -> bool {
    matches!(status, 201 | 204 | 405)
}

/// A path with every byte outside the characters a path may hold percent-encoded
/// (ids are decoded text: a space or a non-ASCII letter must not reach a header).
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_takes_non_negative_integers_only() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(&AT_LEAST, HeaderValue::from_str(value).unwrap());
            at_least(&headers)
        };
        assert_eq!(at_least(&HeaderMap::new()), Ok(None));
        assert_eq!(with("0"), Ok(Some(0)));
        assert_eq!(with(" 42 "), Ok(Some(42)));
        for bad in ["-1", "1.5", "abc", "", "+3", "99999999999999999999999"] {
            assert!(matches!(with(bad), Err(Refusal::BadMessage(_))), "{bad:?}");
        }
    }

    #[test]
    fn only_application_json_is_json() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn a_location_header_is_percent_encoded_ascii() {
        assert_eq!(
            encode_path("/groups/g 1/users/é"),
            "/groups/g%201/users/%C3%A9"
        );
        assert_eq!(encode_path("/user/groups/abc"), "/user/groups/abc");
    }

    #[test]
    fn idempotency_records_name_the_request_in_one_form() {
        assert_eq!(
            normalized("PUT", "/api/v3/onezone/groups/g1/users/u1/"),
            normalized("PUT", "/groups/g1/users/u1")
        );
    }
}
