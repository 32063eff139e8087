//! What `GET /metrics` reports, in Prometheus' text format.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 16] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// Counters and gauges, updated by every request (a few atomic operations and one
/// uncontended lock).
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Answers by (route pattern, method, status).
    requests: Mutex<HashMap<(&'static str, &'static str, u16), u64>>,
    /// Requests per bucket (not cumulative; summed when written).
    buckets: [AtomicU64; BUCKETS.len()],
    /// Requests slower than the last bucket.
    slower: AtomicU64,
    count: AtomicU64,
    sum_micros: AtomicU64,
    /// Writes submitted to the store's writer and not answered yet.
    pub queued_writes: AtomicI64,
    /// Connections being served.
    pub connections: AtomicI64,
}

impl Metrics {
    /// Counts one answer.
    pub fn observe(&self, route: &'static str, method: &'static str, status: u16, took: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            *requests.entry((route, method, status)).or_insert(0) += 1;
        }
        let seconds = took.as_secs_f64();
        match BUCKETS.iter().position(|&le| seconds <= le) {
            Some(i) => self.buckets[i].fetch_add(1, Ordering::Relaxed),
            None => self.slower.fetch_add(1, Ordering::Relaxed),
        };
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The text of `GET /metrics`, with the store's published `revision`.
    pub fn render(&self, revision: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP privgraph_http_requests_total Requests answered, by route pattern, method and status.\n\
             # TYPE privgraph_http_requests_total counter\n",
        );
        let mut requests: Vec<_> = {
            let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            requests.iter().map(|(k, v)| (*k, *v)).collect()
        };
        requests.sort_unstable();
        for ((route, method, status), n) in requests {
            let _ = writeln!(
                out,
                "privgraph_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP privgraph_http_request_duration_seconds Time from a request's headers to its answer.\n\
             # TYPE privgraph_http_request_duration_seconds histogram\n",
        );
        let mut cumulative = 0;
        for (le, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "privgraph_http_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "privgraph_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n\
             privgraph_http_request_duration_seconds_sum {}\n\
             privgraph_http_request_duration_seconds_count {count}",
            cumulative + self.slower.load(Ordering::Relaxed),
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        );
        let gauges: [(&str, &str, String); 5] = [
            (
                "privgraph_revision",
                "The published revision: every batch up to it is durable and visible.",
                revision.to_string(),
            ),
            (
                "privgraph_write_queue_depth",
                "Writes submitted to the store's writer and not answered yet.",
                self.queued_writes
                    .load(Ordering::Relaxed)
                    .max(0)
                    .to_string(),
            ),
            (
                "privgraph_connections_open",
                "Connections being served.",
                self.connections.load(Ordering::Relaxed).max(0).to_string(),
            ),
            (
                "privgraph_replication_lag_revisions",
                "Revisions this replica is behind the primary (0: the embedded store is its own primary).",
                "0".to_owned(),
            ),
            (
                "privgraph_replication_lag_seconds",
                "Seconds this replica is behind the primary (0: the embedded store is its own primary).",
                "0".to_owned(),
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// A label value as Prometheus' text format quotes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status_and_timed_in_buckets() {
        let metrics = Metrics::default();
        metrics.observe("/groups/{id}/users", "GET", 200, Duration::from_micros(50));
        metrics.observe("/groups/{id}/users", "GET", 200, Duration::from_millis(3));
        metrics.observe("/groups/{id}/users", "GET", 404, Duration::from_secs(20));
        let text = metrics.render(7);
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            line(
                r#"privgraph_http_requests_total{route="/groups/{id}/users",method="GET",status="200"}"#
            ),
            "2"
        );
        assert_eq!(
            line(
                r#"privgraph_http_requests_total{route="/groups/{id}/users",method="GET",status="404"}"#
            ),
            "1"
        );
        assert_eq!(
            line(r#"privgraph_http_request_duration_seconds_bucket{le="0.0001"}"#),
            "1"
        );
        assert_eq!(
            line(r#"privgraph_http_request_duration_seconds_bucket{le="0.005"}"#),
            "2"
        );
        assert_eq!(
            line(r#"privgraph_http_request_duration_seconds_bucket{le="10"}"#),
            "2"
        );
        assert_eq!(
            line(r#"privgraph_http_request_duration_seconds_bucket{le="+Inf"}"#),
            "3"
        );
        assert_eq!(line("privgraph_http_request_duration_seconds_count"), "3");
        assert_eq!(line("privgraph_revision "), "7");
        assert_eq!(line("privgraph_replication_lag_revisions "), "0");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
