//! Replication lag between two servers over one PostgreSQL database, as a client sees
//! it: a client writes on replica A (`POST /groups`), and from A's `201` another client
//! asks replica B for the new group (`GET /groups/{id}/users`, no
//! `X-Privgraph-At-Least`) until B answers `200`; p50 / p99 / max over `--samples N`
//! writes (default 500). Meanwhile a third client reads B's `/metrics` every
//! millisecond: the share of samples with `privgraph_replication_lag_revisions` above
//! 0, and the largest lag in revisions and seconds it reported.
//!
//! Run: `cargo bench -p privgraph-server --features postgres --bench replicas`. The
//! PostgreSQL cluster is a throwaway one on 127.0.0.1 (`privgraph-testpg`); both
//! servers run in this process, each on a port of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use privgraph::graph::Graph;
use privgraph_server::{Config, Server};

const TOKEN: &str = "bench-root-token";

/// One keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: String,
}

/// What a client keeps of an answer.
struct Reply {
    status: u16,
    location: String,
    body: String,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("the server listens");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Client {
            writer: stream.try_clone().expect("a second handle"),
            reader: BufReader::new(stream),
            line: String::new(),
        }
    }

    fn send(&mut self, method: &str, path: &str, body: &str) -> Reply {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\nX-Auth-Token: {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer
            .write_all(request.as_bytes())
            .expect("the request is sent");
        self.line.clear();
        self.reader
            .read_line(&mut self.line)
            .expect("a status line");
        let status = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("an HTTP status line");
        let (mut length, mut location) = (0, String::new());
        loop {
            self.line.clear();
            self.reader
                .read_line(&mut self.line)
                .expect("a header line");
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("a length");
                } else if name.eq_ignore_ascii_case("location") {
                    location = value.trim().to_owned();
                }
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("the body");
        Reply {
            status,
            location,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn samples() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    args.iter()
        .position(|a| a == "--samples")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        // `cargo test --benches` passes no `--bench`: a short smoke run.
        .unwrap_or(if benching { 500 } else { 10 })
}

/// One series' value in a `/metrics` text.
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

fn main() {
    let Some(cluster) = privgraph_testpg::Cluster::start() else {
        return;
    };
    let url = cluster.create_database("bench");
    privgraph_store::postgres::init(&url, &Graph::new()).expect("a new store");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, format!(r#"{{"{TOKEN}": "root"}}"#)).expect("the tokens file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600))
            .expect("a private tokens file");
    }
    let start = || {
        let mut config = Config::postgres(url.clone()).listen("127.0.0.1:0");
        config.tokens = Some(tokens.clone());
        Server::start(config).expect("the server starts")
    };
    let (a, b) = (start(), start());
    let samples = samples();

    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(f64, f64)>>> = Arc::default();
    let sampler = {
        let (stop, seen, addr) = (Arc::clone(&stop), Arc::clone(&seen), b.local_addr());
        std::thread::spawn(move || {
            let mut client = Client::connect(addr);
            while !stop.load(Ordering::Relaxed) {
                let text = client.send("GET", "/metrics", "").body;
                let lag = (
                    series(&text, "privgraph_replication_lag_revisions"),
                    series(&text, "privgraph_replication_lag_seconds"),
                );
                seen.lock().unwrap().push(lag);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    let (mut writer, mut reader) = (
        Client::connect(a.local_addr()),
        Client::connect(b.local_addr()),
    );
    let mut lags = Vec::with_capacity(samples);
    for _ in 0..samples {
        let created = writer.send("POST", "/groups", r#"{"name": "lag"}"#);
        assert_eq!(created.status, 201, "{}", created.body);
        let committed = Instant::now();
        let id = created
            .location
            .rsplit('/')
            .next()
            .expect("an id")
            .to_owned();
        let path = format!("/groups/{id}/users");
        loop {
            let read = reader.send("GET", &path, "");
            if read.status == 200 {
                break;
            }
            assert_eq!(read.status, 404, "{}", read.body);
        }
        lags.push(committed.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("the sampler");
    lags.sort_unstable();
    println!(
        "lag from A's 201 to B's 200, over HTTP: p50 {}  p99 {}  max {}  ({samples} writes)",
        ms(percentile(&lags, 0.50)),
        ms(percentile(&lags, 0.99)),
        ms(*lags.last().unwrap_or(&Duration::ZERO)),
    );
    let seen = seen.lock().unwrap();
    let behind = seen
        .iter()
        .filter(|(revisions, _)| *revisions > 0.0)
        .count();
    let most_revisions = seen.iter().map(|s| s.0).fold(0.0, f64::max);
    let most_seconds = seen.iter().map(|s| s.1).fold(0.0, f64::max);
    println!(
        "B's /metrics, {} samples: behind in {behind} ({:.1}%), at most {most_revisions} revisions and {} behind",
        seen.len(),
        100.0 * behind as f64 / seen.len().max(1) as f64,
        ms(Duration::from_secs_f64(most_seconds)),
    );
    a.shutdown();
    b.shutdown();
}
