//! Scenario files: a snapshot and a list of requests with expectations, replayed
//! through the [`crate::rest`] adapter. The format is a contract, written out in the
//! repository's `docs/scenario-format.md`.
//!
//! ```
//! use privgraph::scenario::replay;
//! let scenario = r#"{
//!   "snapshot": {"version": 1, "users": [{"id": "u1"}], "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]},
//!   "steps": [
//!     {"auth": "user:u1", "method": "GET", "path": "/groups/g1/users", "expect": {"status": 200, "body": {"users": ["u1"]}}},
//!     {"auth": "nobody", "method": "GET", "path": "/groups/g1/users", "expect": {"status": 401}}
//!   ]
//! }"#;
//! let mut out = Vec::new();
//! let report = replay(scenario, &mut out)?;
//! assert!(report.mismatches.is_empty());
//! assert_eq!(report.to_string(), "replayed 2 steps: 3 expectations held, 0 failed");
//! assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
//! # Ok::<(), privgraph::scenario::ScenarioError>(())
//! ```
//!
//! Each step prints one JSON line `{"step": N, "status": S, "body": B}` (steps count
//! from 1; `body` is `null` when the answer has none), plus `"location"` for a `201`. A
//! step's `capture` stores the last segment of its location; `${NAME}` in a later
//! step's `path`, `auth` or body strings is replaced by it. `expect.body` must equal the
//! answer, except that arrays of strings (privileges, ids) compare as sets.
//!
//! [`replay_with`] also hands each step, as it runs, to an observer: a [`StepRecord`]
//! whose `Display` is the line a person reads (who did what, what came back, whether
//! the expectations held); [`Report`]'s `Display` is the closing summary.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::logic::{Auth, Engine};
use crate::objects::objects_only;
use crate::rest;
use crate::snapshot::{Snapshot, SnapshotError};

/// A scenario that cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file is not a scenario: bad JSON, unknown keys, missing `snapshot`/`steps`,
    /// a positional array where a step or an expectation is expected.
    #[error("not a scenario file: {0}")]
    Format(#[from] serde_json::Error),
    /// Its snapshot does not load.
    #[error("the scenario's snapshot is invalid: {0}")]
    Snapshot(#[from] SnapshotError),
    /// A step's `auth` is not `nobody`, `root` or `user:ID`.
    #[error("step {step}: {source}")]
    Auth {
        /// The step (from 1).
        step: usize,
        /// What is wrong.
        source: crate::logic::BadAuth,
    },
    /// `${NAME}` names nothing captured before.
    #[error("step {step}: unknown capture `{name}`")]
    UnknownCapture {
        /// The step (from 1).
        step: usize,
        /// The name.
        name: String,
    },
    /// A step asks to capture, but its answer has no location.
    #[error("step {step}: nothing to capture, the answer (status {status}) has no location")]
    NothingToCapture {
        /// The step (from 1).
        step: usize,
        /// The answer's status.
        status: u16,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
    /// A step's request could not be sent (by a transport of [`Scenario::run`]).
    #[error("step {step}: the request could not be sent: {source}")]
    Send {
        /// The step (from 1).
        step: usize,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// One output line, keys in the contract's order.
#[derive(serde::Serialize)]
struct Line<'a> {
    step: usize,
    status: u16,
    body: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct ScenarioFile {
    /// Kept as raw text so that the snapshot loader sees it as written (repeated keys,
    /// positions).
    snapshot: Box<serde_json::value::RawValue>,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct Step {
    auth: String,
    method: String,
    path: String,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    capture: Option<String>,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<Value>,
}

objects_only!(
    ScenarioFile => "a scenario",
    Step => "a step",
    Expect => "an expectation",
);

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The step (from 1).
    pub step: usize,
    /// `"status"` or `"body"`.
    pub field: &'static str,
    /// What the scenario expected.
    pub expected: Value,
    /// What the answer was.
    pub actual: Value,
}

/// What a replay found.
///
/// Its `Display` is the summary line: steps run, expectations held and failed, and the
/// steps that failed.
///
/// ```
/// use privgraph::scenario::{Mismatch, Report};
/// let mut report = Report { steps: 4, expectations: 5, mismatches: Vec::new() };
/// assert_eq!(report.to_string(), "replayed 4 steps: 5 expectations held, 0 failed");
/// report.mismatches.push(Mismatch {
///     step: 2, field: "status", expected: 200.into(), actual: 403.into(),
/// });
/// assert_eq!(report.to_string(),
///            "replayed 4 steps: 4 expectations held, 1 failed (step 2)");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// How many steps ran.
    pub steps: usize,
    /// How many expectations were checked (a step's `expect.status` and `expect.body`
    /// count one each).
    pub expectations: usize,
    /// Every expectation that did not hold, in step order.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.mismatches.len();
        write!(
            f,
            "replayed {} {}: {} {} held, {failed} failed",
            self.steps,
            plural(self.steps, "step", "steps"),
            self.expectations.saturating_sub(failed),
            plural(
                self.expectations.saturating_sub(failed),
                "expectation",
                "expectations"
            ),
        )?;
        let mut steps: Vec<usize> = self.mismatches.iter().map(|m| m.step).collect();
        steps.dedup();
        if !steps.is_empty() {
            let list: Vec<String> = steps.iter().map(usize::to_string).collect();
            let word = plural(steps.len(), "step", "steps");
            write!(f, " ({word} {})", list.join(", "))?;
        }
        Ok(())
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// One step as it ran: what was asked, what came back, which expectations failed.
///
/// Its `Display` is the line (or lines) a person reads, e.g.
/// `step 3  user:u1  PUT /handle_services/hs1/groups/g1/privileges  -> 204  ok`: the
/// step, the client, the request, the status with a short form of the answer (an
/// error's id, a 201's location, else the body cut at 120 characters), then `ok` when
/// every expectation held, `FAILED` (and one pair of `expected`/`actual` lines per
/// failed expectation) when one did not, `unchecked` when the step expects nothing.
///
/// ```
/// use privgraph::scenario::replay_with;
/// let scenario = r#"{"snapshot": {"version": 1, "users": [{"id": "u1"}]},
///   "steps": [{"auth": "user:u1", "method": "GET", "path": "/groups/g1/users",
///              "expect": {"status": 200}}]}"#;
/// let mut lines = Vec::new();
/// replay_with(scenario, &mut std::io::sink(), &mut |step| lines.push(step.to_string()))?;
/// assert_eq!(lines, ["step 1  user:u1  GET /groups/g1/users  -> 404 notFound  FAILED\n  \
///                     expected status: 200\n  actual status:   404"]);
/// # Ok::<(), privgraph::scenario::ScenarioError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord<'a> {
    /// The step (from 1).
    pub step: usize,
    /// The client, as written in the step after substitution (`user:u1`, `root`, …).
    pub auth: &'a str,
    /// The request's method.
    pub method: &'a str,
    /// The request's path, after substitution.
    pub path: &'a str,
    /// The answer's status.
    pub status: u16,
    /// The answer's body (`None` when it has none).
    pub body: Option<&'a Value>,
    /// The answer's body as sent, keys in Onezone's order (`None` when it has none).
    pub body_text: Option<&'a str>,
    /// The answer's location (for a 201).
    pub location: Option<&'a str>,
    /// How many expectations the step checked (0, 1 or 2).
    pub expectations: usize,
    /// The step's expectations that did not hold.
    pub mismatches: &'a [Mismatch],
}

/// How much of a body a step line shows.
const BODY_SHOWN: usize = 120;

impl fmt::Display for StepRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {}  {}  {} {}  -> {}",
            self.step, self.auth, self.method, self.path, self.status
        )?;
        let error_id = self
            .body
            .and_then(|body| body.pointer("/error/id"))
            .and_then(Value::as_str);
        if let Some(id) = error_id {
            write!(f, " {id}")?;
        } else if let Some(location) = self.location {
            write!(f, " {location}")?;
        } else if let Some(text) = self.body_text {
            match text.char_indices().nth(BODY_SHOWN) {
                Some((cut, _)) => write!(f, " {}…", &text[..cut])?,
                None => write!(f, " {text}")?,
            }
        }
        let verdict = match (self.expectations, self.mismatches.is_empty()) {
            (0, _) => "unchecked",
            (_, true) => "ok",
            (_, false) => "FAILED",
        };
        write!(f, "  {verdict}")?;
        for m in self.mismatches {
            let actual = match (m.field, self.body_text) {
                ("body", Some(text)) => text.to_owned(),
                _ => m.actual.to_string(),
            };
            write!(
                f,
                "\n  expected {field}: {}\n  actual {field}:   {actual}",
                m.expected,
                field = m.field
            )?;
        }
        Ok(())
    }
}

/// Runs the scenario in `text`, writing one JSON line per step to `out`.
///
/// Errors mean the scenario could not be run at all; failed expectations are in the
/// [`Report`]. [`replay_with`] also reports each step as it runs.
pub fn replay(text: &str, out: &mut dyn Write) -> Result<Report, ScenarioError> {
    replay_with(text, out, &mut |_| {})
}

/// [`replay`], handing each step to `observer` once its line is written and its
/// expectations are checked.
pub fn replay_with(
    text: &str,
    out: &mut dyn Write,
    observer: &mut dyn FnMut(&StepRecord<'_>),
) -> Result<Report, ScenarioError> {
    let scenario = Scenario::parse(text)?;
    let mut engine = Engine::new(scenario.graph()?);
    let mut send = |auth: &Auth, method: &str, path: &str, body: &[u8]| {
        Ok(Answer::from(rest::handle(
            &mut engine,
            auth,
            method,
            path,
            body,
        )))
    };
    scenario.run(&mut send, out, observer)
}

/// What one request of a scenario was answered, by whatever answered it.
///
/// ```
/// use privgraph::scenario::Answer;
/// let answer = Answer::from(privgraph::rest::handle(&mut Default::default(),
///     &privgraph::logic::Auth::Root, "GET", "/groups", b""));
/// assert_eq!((answer.status, answer.body.as_deref()), (200, Some(r#"{"groups":[]}"#)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body as sent (keys in the order they came), `None` when the answer
    /// has none.
    pub body: Option<String>,
    /// The created resource's path, for a `201` (without scheme, host and prefix).
    pub location: Option<String>,
}

impl From<rest::Response> for Answer {
    fn from(response: rest::Response) -> Answer {
        Answer {
            status: response.status,
            body: response.to_json_string(),
            location: response.location,
        }
    }
}

/// How a [`Scenario`] sends one request: `(auth, method, path, body)` to its answer.
pub type Transport<'a> = dyn FnMut(&Auth, &str, &str, &[u8]) -> std::io::Result<Answer> + 'a;

/// A scenario file, read: its starting graph and its steps, ready to be run against
/// the in-process adapter ([`replay`]) or anything else that answers requests (a
/// server over HTTP, with [`Scenario::run`]).
///
/// ```
/// use privgraph::logic::Engine;
/// use privgraph::scenario::{Answer, Scenario};
/// let scenario = Scenario::parse(r#"{"snapshot": {"version": 1, "users": [{"id": "u1"}]},
///   "steps": [{"auth": "root", "method": "GET", "path": "/groups",
///              "expect": {"status": 200, "body": {"groups": []}}}]}"#)?;
/// let mut engine = Engine::new(scenario.graph()?);
/// let mut sent = Vec::new();
/// let report = scenario.run(&mut |auth, method, path, body| {
///     sent.push(format!("{auth} {method} {path}"));
///     Ok(Answer::from(privgraph::rest::handle(&mut engine, auth, method, path, body)))
/// }, &mut std::io::sink(), &mut |_| {})?;
/// assert!(report.mismatches.is_empty());
/// assert_eq!(sent, ["root GET /groups"]);
/// # Ok::<(), privgraph::scenario::ScenarioError>(())
/// ```
pub struct Scenario {
    file: ScenarioFile,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scenario({} steps)", self.file.steps.len())
    }
}

impl Scenario {
    /// Reads a scenario file's text (its snapshot is loaded by [`Scenario::graph`]).
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Ok(Scenario {
            file: serde_json::from_str(text)?,
        })
    }

    /// The starting graph: the scenario's snapshot, loaded.
    pub fn graph(&self) -> Result<crate::graph::Graph, ScenarioError> {
        Ok(Snapshot::from_json(self.file.snapshot.get())?.to_graph()?)
    }

    /// Runs the steps in order through `send`, writing one JSON line per step to `out`
    /// and handing each step to `observer`, exactly as [`replay_with`] does with the
    /// in-process adapter.
    pub fn run(
        &self,
        send: &mut Transport<'_>,
        out: &mut dyn Write,
        observer: &mut dyn FnMut(&StepRecord<'_>),
    ) -> Result<Report, ScenarioError> {
        let mut captures: HashMap<String, String> = HashMap::new();
        let mut report = Report::default();
        for (i, step) in self.file.steps.iter().enumerate() {
            let n = i + 1;
            let auth_text = substitute(&step.auth, &captures, n)?;
            let auth: Auth = auth_text
                .parse()
                .map_err(|source| ScenarioError::Auth { step: n, source })?;
            let path = substitute(&step.path, &captures, n)?;
            let body = match &step.body {
                Some(value) => serde_json::to_vec(&substitute_json(value, &captures, n)?)?,
                None => Vec::new(),
            };
            let answer = send(&auth, &step.method, &path, &body)
                .map_err(|source| ScenarioError::Send { step: n, source })?;
            let not_json = |err: serde_json::Error| ScenarioError::Send {
                step: n,
                source: std::io::Error::other(format!("the answer's body is not JSON: {err}")),
            };
            let raw = match &answer.body {
                Some(text) => Some(RawValue::from_string(text.clone()).map_err(not_json)?),
                None => None,
            };
            let body_json = match &raw {
                Some(raw) => serde_json::from_str(raw.get()).map_err(not_json)?,
                None => Value::Null,
            };
            let line = Line {
                step: n,
                status: answer.status,
                body: raw.as_deref(),
                location: answer.location.as_deref(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
            if let Some(name) = &step.capture {
                let location =
                    answer
                        .location
                        .as_deref()
                        .ok_or(ScenarioError::NothingToCapture {
                            step: n,
                            status: answer.status,
                        })?;
                let last = location.rsplit('/').next().unwrap_or_default();
                captures.insert(name.clone(), last.to_owned());
            }
            let failed_before = report.mismatches.len();
            let mut expectations = 0;
            if let Some(expect) = &step.expect {
                if let Some(status) = expect.status {
                    expectations += 1;
                    if status != answer.status {
                        report.mismatches.push(Mismatch {
                            step: n,
                            field: "status",
                            expected: Value::from(status),
                            actual: Value::from(answer.status),
                        });
                    }
                }
                if let Some(expected) = &expect.body {
                    expectations += 1;
                    let expected = substitute_json(expected, &captures, n)?;
                    if !matches_json(&expected, &body_json) {
                        report.mismatches.push(Mismatch {
                            step: n,
                            field: "body",
                            expected,
                            actual: body_json.clone(),
                        });
                    }
                }
            }
            report.steps = n;
            report.expectations += expectations;
            observer(&StepRecord {
                step: n,
                auth: &auth_text,
                method: &step.method,
                path: &path,
                status: answer.status,
                body: raw.as_ref().map(|_| &body_json),
                body_text: answer.body.as_deref(),
                location: answer.location.as_deref(),
                expectations,
                mismatches: &report.mismatches[failed_before..],
            });
        }
        Ok(report)
    }
}

/// Replaces every `${NAME}` in `text` with its capture.
fn substitute(
    text: &str,
    captures: &HashMap<String, String>,
    step: usize,
) -> Result<String, ScenarioError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        let value = captures
            .get(name)
            .ok_or_else(|| ScenarioError::UnknownCapture {
                step,
                name: name.to_owned(),
            })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn substitute_json(
    value: &Value,
    captures: &HashMap<String, String>,
    step: usize,
) -> Result<Value, ScenarioError> {
    Ok(match value {
        Value::String(s) => Value::String(substitute(s, captures, step)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_json(v, captures, step))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), substitute_json(v, captures, step)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Equality, except that arrays of strings compare as sets.
///
/// ```
/// use privgraph::scenario::matches_json;
/// use serde_json::json;
/// assert!(matches_json(&json!({"users": ["b", "a"]}), &json!({"users": ["a", "b"]})));
/// assert!(!matches_json(&json!({"users": ["a"]}), &json!({"users": ["a", "b"]})));
/// ```
pub fn matches_json(expected: &Value, actual: &Value) -> bool {
    fn strings(values: &[Value]) -> Option<Vec<&str>> {
        let mut strings: Vec<&str> = values.iter().map(Value::as_str).collect::<Option<_>>()?;
        strings.sort_unstable();
        strings.dedup();
        Some(strings)
    }
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => match (strings(e), strings(a)) {
            (Some(e), Some(a)) => e == a,
            _ => e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches_json(e, a)),
        },
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| matches_json(v, av)))
        }
        _ => expected == actual,
    }
}
