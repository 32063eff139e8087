//! Load on a server over loopback: 16 clients reading the big-group store (100,000
//! users in one group that is a member of 100 handle services), first alone, then
//! beside one client that grants and revokes a privilege of the big group in one
//! service every 100 ms, then beside that client writing in a loop. Each phase reports
//! reads/s and read latency (p50, p99, max), and write latency (p50, p99); the paced
//! phase's p99 is also given as a ratio to the read-only phase's, measured in the same
//! run. The goal: with the paced writer, read p99 ≤ 2× without it, and no read slower
//! than 50 ms.
//!
//! Run: `cargo bench -p privgraph-server --bench load` (`PRIVGRAPH_LOAD_SECONDS=N`
//! sets each phase's length, default 10). The server runs in this process on
//! 127.0.0.1, port 0; the clients are threads with keep-alive connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use privgraph::graph::{Graph, Group, HandleService, User};
use privgraph::privileges::{GroupPrivileges, HandleServicePrivileges as HS};
use privgraph_server::{Config, Server};

const USERS: usize = 100_000;
const SERVICES: usize = 100;
const READERS: usize = 16;
const TOKEN: &str = "bench-root-token";

/// One keep-alive HTTP/1.1 connection, as small as a client can be, so that the
/// clients take little of the two cores from the server.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    line: String,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("the server listens");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Client {
            writer: stream.try_clone().expect("a second handle"),
            reader: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// Sends one request and reads its answer; its status.
    fn send(&mut self, method: &str, path: &str, body: &str) -> u16 {
        let request = if body.is_empty() {
            format!("{method} {path} HTTP/1.1\r\nHost: bench\r\nX-Auth-Token: {TOKEN}\r\n\r\n")
        } else {
            format!(
                "{method} {path} HTTP/1.1\r\nHost: bench\r\nX-Auth-Token: {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
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
        let mut length = 0;
        loop {
            self.line.clear();
            self.reader
                .read_line(&mut self.line)
                .expect("a header line");
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a length");
            }
        }
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body).expect("the body");
        status
    }
}

/// The big-group graph: users join the group, the group joins the services.
fn big_group() -> Graph {
    let mut graph = Graph::new();
    let users: Vec<_> = (0..USERS)
        .map(|i| graph.create::<User>(&format!("u{i}")).expect("a new user"))
        .collect();
    let group = graph.create::<Group>("big").expect("a new group");
    for &user in &users {
        graph
            .add_member(group, user, GroupPrivileges::empty())
            .expect("a new membership");
    }
    let base = HS::HANDLE_SERVICE_VIEW | HS::HANDLE_SERVICE_LIST_HANDLES;
    for i in 0..SERVICES {
        let service = graph
            .create::<HandleService>(&format!("hs{i}"))
            .expect("a new service");
        graph
            .add_member(service, group, base)
            .expect("a new membership");
    }
    graph
}

/// Latencies in microseconds, summarized.
struct Summary {
    count: usize,
    p50: u64,
    p99: u64,
    max: u64,
}

fn summarize(mut micros: Vec<u64>) -> Summary {
    micros.sort_unstable();
    let at = |q: f64| {
        micros
            .get(((micros.len() as f64 * q) as usize).min(micros.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Summary {
        count: micros.len(),
        p50: at(0.50),
        p99: at(0.99),
        max: micros.last().copied().unwrap_or(0),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Writer {
    None,
    /// A grant and a revoke every 100 ms.
    Paced,
    /// Grants and revokes back to back.
    Looping,
}

struct Phase {
    reads: Summary,
    writes: Summary,
    seconds: f64,
}

fn run_phase(addr: SocketAddr, writer: Writer, length: Duration) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS)
        .map(|r| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut micros = Vec::with_capacity(1 << 16);
                let mut n = r * 7919;
                while !stop.load(Ordering::Relaxed) {
                    n = n
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let (user, service) = ((n >> 20) % USERS, (n >> 8) % SERVICES);
                    let path =
                        format!("/handle_services/hs{service}/effective_users/u{user}/privileges");
                    let started = Instant::now();
                    let status = client.send("GET", &path, "");
                    micros.push(started.elapsed().as_micros() as u64);
                    assert_eq!(status, 200, "{path}");
                }
                micros
            })
        })
        .collect();
    let writing = (writer != Writer::None).then(|| {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut client = Client::connect(addr);
            let mut micros = Vec::new();
            let path = "/handle_services/hs0/groups/big/privileges";
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                for body in [
                    r#"{"grant": ["handle_service_update"]}"#,
                    r#"{"revoke": ["handle_service_update"]}"#,
                ] {
                    let started = Instant::now();
                    let status = client.send("PATCH", path, body);
                    micros.push(started.elapsed().as_micros() as u64);
                    assert_eq!(status, 204);
                }
                if writer == Writer::Paced {
                    next += Duration::from_millis(100);
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                }
            }
            micros
        })
    });
    let started = Instant::now();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let reads: Vec<u64> = readers
        .into_iter()
        .flat_map(|reader| reader.join().expect("a reader"))
        .collect();
    let writes = writing
        .map(|w| w.join().expect("the writer"))
        .unwrap_or_default();
    Phase {
        reads: summarize(reads),
        writes: summarize(writes),
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: then a
    // short smoke run keeps the bench from rotting without timing anything.
    let benching = std::env::args().any(|a| a == "--bench");
    let length = Duration::from_secs_f64(
        std::env::var("PRIVGRAPH_LOAD_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(if benching { 10.0 } else { 0.2 }),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let graph = big_group();
    privgraph_store::init(dir.path().join("data"), &graph).expect("a new store");
    drop(graph);
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, format!(r#"{{"{TOKEN}": "root"}}"#)).expect("the tokens file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600))
            .expect("a private tokens file");
    }
    let mut config = Config::new(dir.path().join("data")).listen("127.0.0.1:0");
    config.tokens = Some(tokens);
    let server = Server::start(config).expect("the server starts");
    let addr = server.local_addr();
    println!(
        "big-group store ({USERS} users, one group in {SERVICES} handle services) served on {addr} \
         after {:.1} s; {READERS} readers, {} s per phase",
        started.elapsed().as_secs_f64(),
        length.as_secs_f64()
    );
    // Connections, caches and the allocator warm up first; this phase is not reported.
    run_phase(addr, Writer::None, length.min(Duration::from_secs(2)));
    let mut baseline_p99 = 0;
    for (name, writer) in [
        ("reads only", Writer::None),
        (
            "+ paced writer (grant + revoke every 100 ms)",
            Writer::Paced,
        ),
        ("+ looping writer", Writer::Looping),
    ] {
        let phase = run_phase(addr, writer, length);
        let r = &phase.reads;
        let mut line = format!(
            "{name:<46} reads/s {:>8.0}  read p50 {:>9}  p99 {:>9}  max {:>9}",
            r.count as f64 / phase.seconds,
            ms(r.p50),
            ms(r.p99),
            ms(r.max)
        );
        if writer == Writer::None {
            baseline_p99 = r.p99.max(1);
        } else {
            let w = &phase.writes;
            line.push_str(&format!(
                "  ({:.2}× the read-only p99)  writes {} p50 {} p99 {}",
                r.p99 as f64 / baseline_p99 as f64,
                w.count,
                ms(w.p50),
                ms(w.p99)
            ));
            if writer == Writer::Paced {
                let met = r.p99 <= 2 * baseline_p99 && r.max <= 50_000;
                line.push_str(if met { "  goal met" } else { "  GOAL MISSED" });
            }
        }
        println!("{line}");
    }
    server.shutdown();
}
