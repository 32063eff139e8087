//! `GET /privgraph/watch?since=R[&until=R2]`: the watch events of every batch after R
//! as newline-delimited JSON, one `{"revision", "changes", "effective"}` line each, the
//! past ones recomputed from the store's log, the coming ones from the writer.
//!
//! A stream ends after the line of `until`; otherwise it goes on until the client
//! leaves or the stream is cut, which is said by a last line
//! `{"error": {"id", "description", "resumeAfter": N}}`: every event up to N was sent,
//! none after it, so a new watch with `since=N` continues it exactly. `cutOff`: the
//! client did not read fast enough (the writer never waits for a watcher, and the
//! events queued for one are bounded); `closed`: the server is stopping; `storage`:
//! the log could not be read.

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use privgraph_store::{WatchError, Watcher};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::answer::{Answer, Refusal};

/// Events queued on the writer for one watcher before it is cut off.
const CAPACITY: NonZeroUsize = NonZeroUsize::new(1024).expect("1024 is not zero");
/// Lines buffered between a watcher's thread and its connection.
const LINES: usize = 16;
/// How often a waiting watcher looks whether the server stops or its client left.
const TICK: Duration = Duration::from_millis(200);

/// The body of a watch: the lines its thread sends, as they come.
#[derive(Debug)]
pub(crate) struct WatchBody {
    lines: mpsc::Receiver<Bytes>,
}

impl Body for WatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.lines
            .poll_recv(cx)
            .map(|line| line.map(|line| Ok(Frame::data(line))))
    }
}

/// `since` and `until`, checked.
fn parse(query: &str) -> Result<(Option<u64>, Option<u64>), Answer> {
    let (mut since, mut until) = (None, None);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match &*key {
            "since" => &mut since,
            "until" => &mut until,
            _ => continue,
        };
        let revision = value.parse::<u64>().map_err(|_| {
            Refusal::BadMessage(format!("{key} {value:?} is not a non-negative integer")).answer()
        })?;
        *slot = Some(revision);
    }
    Ok((since, until))
}

/// Starts a watch after `since` (default: `head`, the published revision): answers
/// the body and the revision it starts after, or the refusal of a bad parameter, of a
/// revision past the head, or of a server without a watcher (a PostgreSQL replica:
/// `notSupported`).
pub(crate) fn start(
    watcher: Option<Watcher>,
    head: u64,
    stopped: watch::Receiver<bool>,
    query: &str,
) -> Result<(WatchBody, u64), Answer> {
    let (since, until) = parse(query)?;
    let Some(watcher) = watcher else {
        return Err(Answer::from(privgraph::logic::Error::NotSupported));
    };
    // The published head only grows: a revision at or before it is served.
    let since = since.unwrap_or(head);
    if since > head {
        let err = WatchError::NotServable { since, head };
        return Err(Refusal::BadMessage(err.to_string()).answer());
    }
    let (lines, body) = mpsc::channel(LINES);
    let spawned = std::thread::Builder::new()
        .name("privgraph-watch".to_owned())
        .spawn(move || stream(&watcher, since, until, &lines, &stopped));
    if spawned.is_err() {
        return Err(Refusal::Storage { unavailable: true }.answer());
    }
    Ok((WatchBody { lines: body }, since))
}

/// Sends every event after `since` as a line, until `until`, the client leaves, the
/// server stops or the watch is cut (then an error line says where to resume).
fn stream(
    watcher: &Watcher,
    since: u64,
    until: Option<u64>,
    lines: &mpsc::Sender<Bytes>,
    stopped: &watch::Receiver<bool>,
) {
    let mut last = since;
    if until.is_some_and(|until| until <= since) {
        return;
    }
    let mut watch = match watcher.watch(Some(since), CAPACITY) {
        Ok(watch) => watch,
        Err(err) => {
            let _ = lines.blocking_send(error_line(&err, last));
            return;
        }
    };
    loop {
        if *stopped.borrow() {
            let closed =
                WatchError::Live(privgraph::watch::WatchError::Closed { resume_after: last });
            let _ = lines.blocking_send(error_line(&closed, last));
            return;
        }
        match watch.recv_timeout(TICK) {
            Ok(Some(event)) => {
                let mut line = serde_json::to_vec(&*event).unwrap_or_default();
                line.push(b'\n');
                if lines.blocking_send(Bytes::from(line)).is_err() {
                    return;
                }
                last = event.revision;
                if until.is_some_and(|until| last >= until) {
                    return;
                }
            }
            Ok(None) if lines.is_closed() => return,
            Ok(None) => {}
            Err(err) => {
                let _ = lines.blocking_send(error_line(&err, last));
                return;
            }
        }
    }
}

/// The last line of a stream that was cut.
fn error_line(err: &WatchError, last: u64) -> Bytes {
    let id = match err {
        WatchError::Live(privgraph::watch::WatchError::CutOff { .. }) => "cutOff",
        WatchError::Live(privgraph::watch::WatchError::Closed { .. }) => "closed",
        WatchError::NotServable { .. } => "notServable",
        WatchError::Store(_) => "storage",
    };
    let resume_after = err.resume_after().unwrap_or(last);
    let mut line = json!({"error": {
        "id": id,
        "description": err.to_string(),
        "resumeAfter": resume_after,
    }})
    .to_string()
    .into_bytes();
    line.push(b'\n');
    Bytes::from(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_and_until_are_non_negative_integers() {
        assert_eq!(parse("since=3&until=9"), Ok((Some(3), Some(9))));
        assert_eq!(parse(""), Ok((None, None)));
        for bad in ["since=-1", "until=x", "since="] {
            assert_eq!(parse(bad).map_err(|a| a.status), Err(400), "{bad}");
        }
    }

    #[test]
    fn a_cut_line_names_the_revision_to_resume_after() {
        let cut = WatchError::Live(privgraph::watch::WatchError::CutOff {
            resume_after: 7,
            capacity: 4,
        });
        let line: serde_json::Value = serde_json::from_slice(&error_line(&cut, 3)).unwrap();
        assert_eq!(line["error"]["id"], "cutOff");
        assert_eq!(line["error"]["resumeAfter"], 7);
    }
}
