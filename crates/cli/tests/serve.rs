//! `privgraph serve` as a process, spoken to over loopback with a real HTTP client
//! (`ureq`), and with raw sockets where a client must misbehave: scenarios replayed
//! over HTTP against the in-process replay, SIGKILL at random moments, idempotent
//! retries across restarts, SIGTERM with requests in flight, a slow-loris client,
//! tokens, headers, limits, metrics, TLS and the exit codes.
//!
//! `PRIVGRAPH_SERVE_CRASH_CYCLES=N` runs N kill cycles (default 20);
//! `PRIVGRAPH_SERVE_CRASH_SEED=S` repeats a run (each run prints its seed).

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use privgraph::logic::Auth;
use privgraph::scenario::{self, Answer, Scenario};
use serde_json::{Value, json};

mod http;

use http::{PATIENCE, Reply, Served, agent, get, send};

const PRIVGRAPH: &str = env!("CARGO_BIN_EXE_privgraph");
const PREFIX: &str = "/api/v3/onezone";

// ---------------------------------------------------------------------------
// A server process and a client
// ---------------------------------------------------------------------------

/// A store in a temporary directory, made from a snapshot.
fn store(snapshot: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let graph = privgraph::snapshot::load(&snapshot.to_string()).expect("a valid snapshot");
    privgraph_store::init(dir.path().join("data"), &graph).expect("a new store");
    dir
}

fn data(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data")
}

/// A tokens file readable by its owner only.
fn tokens_file(dir: &Path, tokens: &BTreeMap<String, String>) -> PathBuf {
    let path = dir.join("tokens.json");
    write_private(&path, &serde_json::to_string(tokens).unwrap());
    path
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    // Written under another name and renamed: a reload never reads half a file.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).unwrap();
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&partial, path).unwrap();
}

fn serve_command(data: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(PRIVGRAPH);
    command
        .arg("serve")
        .arg("--data")
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

impl Served {
    /// Starts a server on the store `data` and waits until it listens.
    fn start(data: &Path, extra: &[&str]) -> Served {
        Served::spawn(serve_command(data, extra))
    }
}

/// An answer as the client saw it.
/// Polls until `ok` holds for the answer to a GET, at most [`PATIENCE`].
fn until(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)], ok: impl Fn(&Reply) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(reply) = send(agent, "GET", url, headers, b"")
            && ok(&reply)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} never answered as expected"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

// ---------------------------------------------------------------------------
// Scenarios over HTTP
// ---------------------------------------------------------------------------

/// The first JSON block of the scenario format's docs: its example scenario.
fn docs_example() -> String {
    let text = std::fs::read_to_string(repository("docs/scenario-format.md")).unwrap();
    let start = text.find("```json\n").unwrap() + "```json\n".len();
    let end = start + text[start..].find("```").unwrap();
    text[start..end].to_owned()
}

/// Every auth the steps name without a capture.
fn static_auths(text: &str) -> Vec<String> {
    let file: Value = serde_json::from_str(text).unwrap();
    let mut auths: Vec<String> = file["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["auth"].as_str())
        .filter(|auth| *auth != "nobody" && !auth.contains("${"))
        .map(str::to_owned)
        .collect();
    auths.sort();
    auths.dedup();
    auths
}

/// Replays a scenario over HTTP: each auth is a token (nobody: no token); an auth
/// first seen after a capture gets a token added to the file and a SIGHUP.
fn replay_over_http(name: &str, text: &str) -> (scenario::Report, Vec<Value>) {
    let scenario = Scenario::parse(text).expect("a scenario");
    let graph = scenario.graph().expect("its snapshot loads");
    let dir = tempfile::tempdir().unwrap();
    privgraph_store::init(dir.path().join("data"), &graph).unwrap();
    let mut tokens: BTreeMap<String, String> = static_auths(text)
        .into_iter()
        .enumerate()
        .map(|(i, auth)| (format!("token-{i}-{name}"), auth))
        .collect();
    let file = tokens_file(dir.path(), &tokens);
    let server = Served::start(
        &dir.path().join("data"),
        &["--tokens", file.to_str().unwrap()],
    );
    let agent = agent();
    let mut lines = Vec::new();
    let mut send_step = |auth: &Auth, method: &str, path: &str, body: &[u8]| {
        let token = match auth {
            Auth::Nobody => None,
            auth => {
                let text = auth.to_string();
                match tokens.iter().find(|(_, a)| **a == text) {
                    Some((token, _)) => Some(token.clone()),
                    None => {
                        let token = format!("token-{}-{name}", tokens.len());
                        tokens.insert(token.clone(), text);
                        write_private(&file, &serde_json::to_string(&tokens).unwrap());
                        server.signal("HUP");
                        let header = [("X-Auth-Token", token.as_str())];
                        until(&agent, &server.url("/groups"), &header, |reply| {
                            reply.json()["error"]["details"]["authError"].is_null()
                        });
                        Some(token)
                    }
                }
            }
        };
        let headers: Vec<(&str, &str)> = token
            .as_deref()
            .map(|t| ("X-Auth-Token", t))
            .into_iter()
            .collect();
        let reply = send(&agent, method, &server.url(path), &headers, body)
            .map_err(std::io::Error::other)?;
        reply.revision();
        let location = reply.header("location").map(|l| {
            // The adapter's location is without the prefix.
            l.strip_prefix(PREFIX).unwrap_or(l).to_owned()
        });
        if reply.status == 201 {
            let location = location.as_deref().expect("a 201 carries a Location");
            assert!(!location.ends_with('/'), "{location}");
        }
        Ok(Answer {
            status: reply.status,
            body: (!reply.body.is_empty()).then(|| reply.body.clone()),
            location,
        })
    };
    let mut out = Vec::new();
    let report = scenario
        .run(&mut send_step, &mut out, &mut |_| {})
        .expect("the scenario runs");
    for line in String::from_utf8(out).unwrap().lines() {
        lines.push(serde_json::from_str(line).unwrap());
    }
    (report, lines)
}

#[test]
fn every_scenario_replays_over_http_with_the_expectations_it_meets_in_process() {
    let files = [
        (
            "seeds",
            std::fs::read_to_string(repository("examples/seeds.json")).unwrap(),
        ),
        ("docs", docs_example()),
        (
            "server",
            std::fs::read_to_string(repository("crates/cli/tests/scenarios/server.json")).unwrap(),
        ),
    ];
    for (name, text) in files {
        let mut out = Vec::new();
        let in_process = scenario::replay(&text, &mut out).expect("it replays in process");
        let local: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let (over_http, remote) = replay_over_http(name, &text);
        assert!(in_process.mismatches.is_empty(), "{name}: {in_process}");
        assert!(
            over_http.mismatches.is_empty(),
            "{name} over HTTP: {over_http}: {:#?}",
            over_http.mismatches
        );
        assert_eq!(
            (over_http.steps, over_http.expectations),
            (in_process.steps, in_process.expectations),
            "{name}"
        );
        // The same answers, once each id the server created is written as the one
        // the in-process replay created in its place.
        assert_eq!(local.len(), remote.len());
        let mut remote_text = serde_json::to_string(&remote).unwrap();
        for (l, r) in local.iter().zip(&remote) {
            let created = |line: &Value| {
                line["location"]
                    .as_str()
                    .map(|location| location.rsplit('/').next().unwrap().to_owned())
            };
            if let (Some(l), Some(r)) = (created(l), created(r)) {
                remote_text = remote_text.replace(&r, &l);
            }
        }
        let remote: Vec<Value> = serde_json::from_str(&remote_text).unwrap();
        for (l, r) in local.iter().zip(&remote) {
            assert!(scenario::matches_json(l, r), "{name}: {l} vs {r}");
        }
    }
}

// ---------------------------------------------------------------------------
// Durability: SIGKILL, idempotency, SIGTERM
// ---------------------------------------------------------------------------

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

const ROOT: [(&str, &str); 1] = [("X-Auth-Token", "root-token")];

fn root_tokens(dir: &Path) -> PathBuf {
    tokens_file(
        dir,
        &BTreeMap::from([("root-token".to_owned(), "root".to_owned())]),
    )
}

/// The ids of every group, as root sees them.
fn groups(agent: &ureq::Agent, server: &Served) -> HashSet<String> {
    let reply = get(agent, &server.url("/groups"), &ROOT);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

/// Creates a group; its id once the answer is a 201.
fn create_group(agent: &ureq::Agent, server_url: &str, key: Option<&str>) -> Option<String> {
    let mut headers = ROOT.to_vec();
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    let reply = send(
        agent,
        "POST",
        &format!("{server_url}/groups"),
        &headers,
        br#"{"name": "crash test"}"#,
    )
    .ok()?;
    (reply.status == 201).then(|| {
        let location = reply.header("location").expect("a 201 carries a Location");
        location.rsplit('/').next().unwrap().to_owned()
    })
}

#[test]
fn sigkill_at_random_moments_loses_no_write_that_got_a_2xx() {
    let cycles = env_number("PRIVGRAPH_SERVE_CRASH_CYCLES").unwrap_or(20);
    let seed = env_number("PRIVGRAPH_SERVE_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    eprintln!("crash test: {cycles} cycles, PRIVGRAPH_SERVE_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = store(&json!({"version": 1}));
    let tokens = root_tokens(dir.path());
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let agent = agent();
    for cycle in 0..cycles {
        let mut server = Served::start(&data(&dir), &["--tokens", tokens.to_str().unwrap()]);
        // Everything acknowledged before this start is there.
        let present = groups(&agent, &server);
        let acked = acknowledged.lock().unwrap().clone();
        let lost: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
        assert!(
            lost.is_empty(),
            "cycle {cycle}: lost acknowledged writes {lost:?}"
        );
        let url = server.url("");
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (url, acknowledged) = (url.clone(), Arc::clone(&acknowledged));
                std::thread::spawn(move || {
                    let agent = self::agent();
                    // Until the server is gone: a failed request ends the loop.
                    while let Some(id) = create_group(&agent, &url, None) {
                        acknowledged.lock().unwrap().push(id);
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + rng.below(200)));
        server.kill();
        for writer in writers {
            writer.join().unwrap();
        }
    }
    let server = Served::start(&data(&dir), &["--tokens", tokens.to_str().unwrap()]);
    let present = groups(&agent, &server);
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.len() as u64 >= cycles,
        "too few writes were acknowledged: {}",
        acked.len()
    );
    assert!(acked.iter().all(|id| present.contains(id)));
}

#[test]
fn a_retried_write_with_the_same_idempotency_key_is_applied_once_also_across_a_restart() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}],
        "groups": [{"id": "g1", "users": {"u1": ["group_view", "group_add_user"]}}]}));
    let tokens = tokens_file(
        dir.path(),
        &BTreeMap::from([
            ("root-token".to_owned(), "root".to_owned()),
            ("u1-token".to_owned(), "user:u1".to_owned()),
        ]),
    );
    let tokens = tokens.to_str().unwrap();
    let agent = agent();
    let mut server = Served::start(&data(&dir), &["--tokens", tokens]);
    let post = |server: &Served, key: &str, token: &str| {
        send(
            &agent,
            "POST",
            &server.url("/groups"),
            &[("X-Auth-Token", token), ("Idempotency-Key", key)],
            br#"{"name": "once"}"#,
        )
        .unwrap()
    };
    let first = post(&server, "key-1", "root-token");
    assert_eq!(first.status, 201, "{first:?}");
    let again = post(&server, "key-1", "root-token");
    assert_eq!(
        (again.status, again.header("location"), again.revision()),
        (201, first.header("location"), first.revision())
    );
    assert_eq!(groups(&agent, &server).len(), 2, "g1 and one new group");
    // Another client's same key is its own (for this client it would name another
    // request: refused below).
    let other = send(
        &agent,
        "POST",
        &server.url("/user/groups"),
        &[("X-Auth-Token", "u1-token"), ("Idempotency-Key", "key-1")],
        br#"{"name": "mine"}"#,
    )
    .unwrap();
    assert_eq!(other.status, 201, "{other:?}");
    // The same key for another request of the same client is refused.
    let reused = send(
        &agent,
        "PUT",
        &server.url("/groups/g1/users/u1"),
        &[("X-Auth-Token", "root-token"), ("Idempotency-Key", "key-1")],
        b"",
    )
    .unwrap();
    assert_eq!(reused.status, 422, "{reused:?}");
    assert_eq!(reused.json()["error"]["id"], "idempotencyKeyReused");

    server.kill();
    let server = Served::start(&data(&dir), &["--tokens", tokens]);
    let after_restart = post(&server, "key-1", "root-token");
    assert_eq!(
        (after_restart.status, after_restart.header("location")),
        (201, first.header("location"))
    );
    assert_eq!(after_restart.revision(), first.revision());
    assert_eq!(groups(&agent, &server).len(), 3);
    // A read with a key is a read: nothing is stored for it.
    let read = send(
        &agent,
        "GET",
        &server.url("/groups"),
        &[("X-Auth-Token", "root-token"), ("Idempotency-Key", "key-2")],
        b"",
    )
    .unwrap();
    assert_eq!(read.status, 200);
    assert_eq!(post(&server, "key-2", "root-token").status, 201);
    assert_eq!(groups(&agent, &server).len(), 4);
}

/// Sends a POST's headers and the first half of its body on a raw connection.
fn half_sent_post(addr: &str, path: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nX-Auth-Token: root-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream
}

fn finish_and_read(mut stream: TcpStream, body: &[u8]) -> String {
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let mut answer = String::new();
    // The server closes the connection once it is done with it.
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn sigterm_answers_every_request_in_flight_then_exits_0_with_the_store_consistent() {
    let dir = store(&json!({"version": 1}));
    let tokens = root_tokens(dir.path());
    let mut server = Served::start(&data(&dir), &["--tokens", tokens.to_str().unwrap()]);
    let body = br#"{"name": "in flight"}"#;
    let in_flight: Vec<TcpStream> = (0..8)
        .map(|_| half_sent_post(&server.addr, "/groups", body))
        .collect();
    // Every request is being read when the signal comes (and one more connection
    // asks the metrics).
    until(&agent(), &server.url("/metrics"), &[], |reply| {
        reply.body.contains("privgraph_connections_open 9")
    });
    server.signal("TERM");
    // It stops accepting: new connections are refused once the listener is closed.
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(&server.addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let answers: Vec<String> = in_flight
        .into_iter()
        .map(|stream| finish_and_read(stream, body))
        .collect();
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    }
    assert_eq!(server.exit_code(), Some(0), "{}", server.stderr());
    // Consistent: the store opens, verified, with the eight groups.
    let graph = privgraph_store::load(data(&dir)).expect("the store verifies");
    assert_eq!(graph.len::<privgraph::graph::Group>(), 8);
    assert_eq!(graph.revision(), 8);
}

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

#[test]
fn a_slow_loris_client_is_cut_off_and_does_not_block_others() {
    let dir = store(&json!({"version": 1}));
    let server = Served::start(&data(&dir), &["--header-timeout", "2"]);
    let mut loris = TcpStream::connect(&server.addr).unwrap();
    loris
        .set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    let head =
        b"GET /groups HTTP/1.1\r\nHost: test\r\nX-Padding: slowly, one byte per second\r\n\r\n";
    let agent = agent();
    let mut sent = 0;
    let mut others = 0;
    let cut = loop {
        if sent == head.len() {
            break false;
        }
        if loris.write_all(&head[sent..=sent]).is_err() {
            break true;
        }
        sent += 1;
        // Others are served while the loris holds its connection.
        assert_eq!(get(&agent, &server.url("/health"), &[]).status, 200);
        others += 1;
        let mut buf = [0u8; 512];
        match loris.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => break true,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(err) if err.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break true,
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    assert!(cut, "the loris sent its whole header");
    assert!(sent < head.len() && others > 0, "sent {sent} bytes");
}

#[test]
fn a_body_over_1_mib_is_refused_413_before_it_is_read() {
    let dir = store(&json!({"version": 1}));
    let server = Served::start(&data(&dir), &[]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
        .write_all(
            b"POST /groups HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
              Content-Length: 2097152\r\n\r\n{",
        )
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("requestEntityTooLarge"), "{answer}");
    // A body sent in chunks, without a length, gets the same once it passes the limit.
    // The server answers as soon as it has read 1 MiB and closes, so the rest of what
    // is sent may be refused: write errors are expected, the answer is what counts.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let head = b"POST /groups HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                 Transfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head).unwrap();
    let chunk = [b' '; 64 * 1024];
    for _ in 0..17 {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("requestEntityTooLarge"), "{answer}");
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[test]
fn tokens_authenticate_by_either_header_reload_on_sighup_and_unknown_ones_get_401() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}, {"id": "u2"}],
        "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]}));
    let mut tokens = BTreeMap::from([("t-u1".to_owned(), "user:u1".to_owned())]);
    let file = tokens_file(dir.path(), &tokens);
    let server = Served::start(&data(&dir), &["--tokens", file.to_str().unwrap()]);
    let agent = agent();
    let url = server.url("/groups/g1/users");
    assert_eq!(get(&agent, &url, &[("X-Auth-Token", "t-u1")]).status, 200);
    assert_eq!(
        get(&agent, &url, &[("Authorization", "Bearer t-u1")]).status,
        200
    );
    // No token: nobody (Onezone's plain 401).
    let nobody = get(&agent, &url, &[]);
    assert_eq!(nobody.status, 401);
    assert!(
        nobody.json()["error"].get("details").is_none(),
        "{nobody:?}"
    );
    // A token not in the file: Onezone's invalid-token 401.
    for header in [
        ("X-Auth-Token", "t-u2"),
        ("Authorization", "Bearer t-u"),
        ("Authorization", "Basic dTE6cA=="),
    ] {
        let invalid = get(&agent, &url, &[header]);
        assert_eq!(invalid.status, 401, "{header:?}");
        assert_eq!(
            invalid.json(),
            json!({"error": {"id": "unauthorized",
                "details": {"authError": {"id": "badToken",
                    "description": "Provided token could not be understood by the server."}},
                "description": "Provided authentication is not valid (see details)."}})
        );
    }
    // SIGHUP reloads: a new token works, a removed one stops working.
    tokens.insert("t-u2".to_owned(), "user:u2".to_owned());
    tokens.remove("t-u1");
    write_private(&file, &serde_json::to_string(&tokens).unwrap());
    server.signal("HUP");
    until(&agent, &url, &[("X-Auth-Token", "t-u2")], |r| {
        r.status == 403
    });
    assert_eq!(get(&agent, &url, &[("X-Auth-Token", "t-u1")]).status, 401);
    // A reload that fails keeps the tokens in use.
    std::fs::write(&file, "{not json").unwrap();
    server.signal("HUP");
    until(&agent, &server.url("/health"), &[], |_| {
        server.stderr().contains("kept the tokens in use")
    });
    assert_eq!(get(&agent, &url, &[("X-Auth-Token", "t-u2")]).status, 403);
}

#[test]
fn without_tokens_every_request_is_nobody_and_the_server_warns() {
    let dir = store(&json!({"version": 1, "groups": [{"id": "g1"}]}));
    let server = Served::start(&data(&dir), &[]);
    let reply = get(
        &agent(),
        &server.url("/groups"),
        &[("X-Auth-Token", "anything")],
    );
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"]["id"], "unauthorized");
    assert!(
        server.stderr_comes_to_contain("every request is answered as nobody"),
        "{}",
        server.stderr()
    );
}

#[test]
fn a_tokens_file_readable_by_group_or_others_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = store(&json!({"version": 1}));
    let file = root_tokens(dir.path());
    // Writable or executable by others is not readable: only reading is refused.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o620)).unwrap();
    let mut accepted = serve_command(&data(&dir), &["--tokens", file.to_str().unwrap()])
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(accepted.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    accepted.kill().unwrap();
    accepted.wait().unwrap();
    assert!(first.starts_with("listening on http://"), "{first:?}");
    for mode in [0o640, 0o604, 0o644] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = serve_command(&data(&dir), &["--tokens", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "mode {mode:o}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("can be read by group or others"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------
// Headers, endpoints, metrics
// ---------------------------------------------------------------------------

#[test]
fn revisions_at_least_request_ids_and_media_types() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}], "groups": [{"id": "g1"}]}));
    let tokens = root_tokens(dir.path());
    let server = Served::start(
        &data(&dir),
        &[
            "--tokens",
            tokens.to_str().unwrap(),
            "--at-least-timeout",
            "0.3",
        ],
    );
    let agent = agent();
    let url = server.url("/groups/g1/users");
    let before = get(&agent, &url, &ROOT);
    assert_eq!(before.revision(), 0);
    // A write answers with its batch's revision; later reads reflect it.
    let put = send(
        &agent,
        "PUT",
        &server.url("/groups/g1/users/u1/"),
        &ROOT,
        b"",
    )
    .unwrap();
    assert_eq!((put.status, put.revision()), (201, 1));
    assert_eq!(put.header("location"), Some("/groups/g1/users/u1"));
    let prefixed = send(
        &agent,
        "POST",
        &server.url(&format!("{PREFIX}/groups")),
        &ROOT,
        br#"{"name": "second"}"#,
    )
    .unwrap();
    assert_eq!((prefixed.status, prefixed.revision()), (201, 2));
    let location = prefixed.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{PREFIX}/groups/")),
        "{location}"
    );
    let id = location.rsplit('/').next().unwrap();
    assert!(groups(&agent, &server).contains(id));
    // A refused write changes nothing and says the revision it saw.
    let refused = send(
        &agent,
        "PUT",
        &server.url("/groups/g1/users/u1"),
        &ROOT,
        b"",
    )
    .unwrap();
    assert_eq!((refused.status, refused.revision()), (409, 2));
    // At least: reached now, or 503 with Retry-After, or 400 for a non-revision.
    let reached = get(&agent, &url, &[ROOT[0], ("X-Privgraph-At-Least", "2")]);
    assert_eq!((reached.status, reached.revision()), (200, 2));
    let later = get(&agent, &url, &[ROOT[0], ("X-Privgraph-At-Least", "3")]);
    assert_eq!(later.status, 503, "{later:?}");
    assert_eq!(later.header("retry-after"), Some("1"));
    assert_eq!(later.json()["error"]["id"], "serviceUnavailable");
    for bad in ["-1", "two", "1.0", ""] {
        let reply = get(&agent, &url, &[ROOT[0], ("X-Privgraph-At-Least", bad)]);
        assert_eq!(reply.status, 400, "{bad:?}");
        assert_eq!(reply.json()["error"]["id"], "badMessage");
    }
    // Every answer honours it: /health, and refusals that come before any reading
    // (an unknown route, an unknown token).
    let health = server.url("/health");
    let bad = get(&agent, &health, &[("X-Privgraph-At-Least", "two")]);
    assert_eq!(bad.status, 400);
    let unreached = get(&agent, &health, &[("X-Privgraph-At-Least", "3")]);
    assert_eq!(unreached.status, 503);
    let no_route = get(
        &agent,
        &server.url("/no/such/route"),
        &[ROOT[0], ("X-Privgraph-At-Least", "3")],
    );
    assert_eq!(no_route.status, 503, "{no_route:?}");
    let unknown_token = get(
        &agent,
        &url,
        &[
            ("X-Auth-Token", "not-a-token"),
            ("X-Privgraph-At-Least", "3"),
        ],
    );
    assert_eq!(unknown_token.status, 503, "{unknown_token:?}");
    // X-Request-Id: echoed when sane, generated otherwise.
    let echoed = get(&agent, &url, &[ROOT[0], ("X-Request-Id", "trace-42")]);
    assert_eq!(echoed.header("x-request-id"), Some("trace-42"));
    let generated = get(&agent, &url, &ROOT);
    assert_eq!(generated.header("x-request-id").map(str::len), Some(32));
    assert!(
        server.stderr_comes_to_contain("trace-42"),
        "the request id is in the logs"
    );
    // A body that is not JSON by its Content-Type: 415, Onezone-shaped.
    let not_json = send(
        &agent,
        "PATCH",
        &server.url("/groups/g1/users/u1/privileges"),
        &[ROOT[0], ("Content-Type", "text/plain")],
        br#"{"grant": []}"#,
    )
    .unwrap();
    assert_eq!(not_json.status, 415);
    assert_eq!(not_json.json()["error"]["id"], "unsupportedMediaType");
    // Unknown routes and methods: the adapter's 404 and 405.
    assert_eq!(get(&agent, &server.url("/nowhere"), &ROOT).status, 404);
    let head = send(&agent, "DELETE", &server.url("/groups"), &ROOT, b"").unwrap();
    assert_eq!(
        (head.status, head.header("allow")),
        (405, Some("GET, POST"))
    );
}

#[test]
fn at_least_waits_for_a_later_write() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}], "groups": [{"id": "g1"}]}));
    let tokens = root_tokens(dir.path());
    let server = Served::start(
        &data(&dir),
        &[
            "--tokens",
            tokens.to_str().unwrap(),
            "--at-least-timeout",
            "20",
        ],
    );
    let url = server.url("/groups/g1/users");
    let waiting =
        std::thread::spawn(move || get(&agent(), &url, &[ROOT[0], ("X-Privgraph-At-Least", "1")]));
    let agent = agent();
    until(&agent, &server.url("/metrics"), &[], |reply| {
        // The waiting request's connection, and this one.
        reply.body.contains("privgraph_connections_open 2")
    });
    let put = send(
        &agent,
        "PUT",
        &server.url("/groups/g1/users/u1"),
        &ROOT,
        b"",
    )
    .unwrap();
    assert_eq!(put.status, 201);
    let waited = waiting.join().unwrap();
    assert_eq!((waited.status, waited.revision()), (200, 1));
    assert_eq!(waited.json(), json!({"users": ["u1"]}));
}

#[test]
fn privgraphs_own_endpoints_answer_root_only() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}],
        "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}],
        "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_view"]}}]}));
    let file = tokens_file(
        dir.path(),
        &BTreeMap::from([
            ("root-token".to_owned(), "root".to_owned()),
            ("u1-token".to_owned(), "user:u1".to_owned()),
        ]),
    );
    let server = Served::start(&data(&dir), &["--tokens", file.to_str().unwrap()]);
    let agent = agent();
    let check = "/privgraph/check?subject=user:u1&resource=handle_service:hs1&privilege=handle_service_view";
    let allowed = get(&agent, &server.url(check), &ROOT);
    assert_eq!(
        (allowed.status, allowed.json()),
        (200, json!({"allowed": true}))
    );
    assert_eq!(allowed.revision(), 0);
    for token in [&[("X-Auth-Token", "u1-token")][..], &[]] {
        let refused = get(&agent, &server.url(check), token);
        assert_eq!(refused.status, 403, "{token:?}");
        assert_eq!(refused.json()["error"]["id"], "forbidden");
    }
    let question = json!({"auth": "user:u1", "method": "PATCH",
        "path": "/handle_services/hs1/groups/g1/privileges", "body": {"grant": ["handle_service_update"]}});
    let decided = send(
        &agent,
        "POST",
        &server.url("/privgraph/decide/"),
        &ROOT,
        question.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(decided.status, 200, "{decided:?}");
    assert_eq!(decided.json()["decision"], "denied");
    assert!(decided.json()["reason"]["text"].is_string());
    let not_json = send(
        &agent,
        "POST",
        &server.url("/privgraph/decide"),
        &[ROOT[0], ("Content-Type", "text/plain")],
        question.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(not_json.status, 415, "{not_json:?}");
    let snapshot = get(&agent, &server.url("/privgraph/snapshot"), &ROOT);
    let graph = privgraph::snapshot::load(&snapshot.body).expect("snapshot v1");
    assert_eq!(graph, privgraph_store::load(data(&dir)).unwrap());
    assert_eq!(
        get(&agent, &server.url("/privgraph/lookup/nothing"), &ROOT).status,
        404
    );
    assert_eq!(
        send(
            &agent,
            "POST",
            &server.url("/privgraph/check"),
            &ROOT,
            b"{}"
        )
        .unwrap()
        .status,
        405
    );
    let health = get(&agent, &server.url("/health"), &[]);
    assert_eq!(
        (health.status, health.json()),
        (200, json!({"status": "ok"}))
    );
}

#[test]
fn metrics_count_requests_by_route_and_status_and_report_the_revision() {
    let dir = store(&json!({"version": 1, "users": [{"id": "u1"}], "groups": [{"id": "g1"}]}));
    let tokens = root_tokens(dir.path());
    let server = Served::start(&data(&dir), &["--tokens", tokens.to_str().unwrap()]);
    let agent = agent();
    for _ in 0..3 {
        get(&agent, &server.url("/groups/g1/users"), &ROOT);
    }
    send(
        &agent,
        "PUT",
        &server.url("/groups/g1/users/u1"),
        &ROOT,
        b"",
    )
    .unwrap();
    get(&agent, &server.url("/groups/g9/users"), &ROOT);
    let metrics = get(&agent, &server.url("/metrics"), &[]);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let value = |series: &str| -> f64 {
        metrics
            .body
            .lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{}", metrics.body))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value(
            r#"privgraph_http_requests_total{route="/groups/{id}/users",method="GET",status="200"}"#
        ),
        3.0
    );
    assert_eq!(
        value(
            r#"privgraph_http_requests_total{route="/groups/{id}/users",method="GET",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            r#"privgraph_http_requests_total{route="/groups/{id}/users/{mid}",method="PUT",status="201"}"#
        ),
        1.0
    );
    assert!(value("privgraph_http_request_duration_seconds_count") >= 5.0);
    assert!(value(r#"privgraph_http_request_duration_seconds_bucket{le="+Inf"}"#) >= 5.0);
    assert_eq!(value("privgraph_revision"), 1.0);
    assert_eq!(value("privgraph_write_queue_depth"), 0.0);
    assert_eq!(value("privgraph_replication_lag_revisions"), 0.0);
    assert_eq!(value("privgraph_replication_lag_seconds"), 0.0);
}

#[test]
fn tls_serves_https_with_the_certificate_given() {
    let dir = store(&json!({"version": 1}));
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let server = Served::start(
        &data(&dir),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let root = ureq::tls::Certificate::from_der(certified.cert.der()).to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[root]))
                .build(),
        )
        .build()
        .into();
    let url = format!("https://localhost:{}/groups", server.port());
    let reply = get(&agent, &url, &[]);
    assert_eq!(reply.status, 401);
    assert_eq!(reply.revision(), 0);
    // Plain HTTP to the TLS port gets no HTTP answer.
    assert!(send(&self::agent(), "GET", &server.url("/health"), &[], b"").is_err());
    // Unusable files: exit 2.
    let output = serve_command(
        &data(&dir),
        &[
            "--tls-cert",
            key.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------

#[test]
fn exit_codes_follow_the_contract() {
    let dir = store(&json!({"version": 1}));
    // A directory without a store: 2, and how to make one.
    let empty = tempfile::tempdir().unwrap();
    let output = serve_command(empty.path(), &[]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("create one with privgraph db init"),
        "{stderr}"
    );
    // A store another server writes: 5.
    let server = Served::start(&data(&dir), &[]);
    let output = serve_command(&data(&dir), &[]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A busy port: 2.
    let other = store(&json!({"version": 1}));
    let output = Command::new(PRIVGRAPH)
        .arg("serve")
        .arg("--data")
        .arg(data(&other))
        .args(["--listen", &server.addr])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen on"));
    // Bad arguments: 2.
    for args in [
        &["--at-least-timeout", "soon"][..],
        &["--tls-cert", "x.pem"],
        &["--bogus"],
    ] {
        let output = serve_command(&data(&other), args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    drop(server);
}

// ---------------------------------------------------------------------------
// The README's calls
// ---------------------------------------------------------------------------

/// One `curl` call of the README and the lines it shows as the answer.
struct Call {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
    shown: Vec<String>,
}

/// The `curl` calls of the README's server section, each with the lines shown under
/// it: its single-quoted arguments are taken as a shell takes them.
fn readme_calls() -> Vec<Call> {
    let readme = std::fs::read_to_string(repository("README.md")).unwrap();
    let section = &readme[readme.find("## The server").unwrap()..];
    let section = &section[..section[3..].find("\n## ").unwrap()];
    let mut calls = Vec::new();
    let mut lines = section.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with("curl ") {
            continue;
        }
        let mut command = line.trim_end_matches('\\').to_owned();
        let mut continued = line.ends_with('\\');
        while continued {
            let next = lines.next().unwrap();
            continued = next.ends_with('\\');
            command.push(' ');
            command.push_str(next.trim().trim_end_matches('\\'));
        }
        // Words, with '…' quoting.
        let mut words = Vec::new();
        let mut rest = command.as_str();
        while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
            rest = &rest[start..];
            let (word, after) = match rest.strip_prefix('\'') {
                Some(quoted) => {
                    let end = quoted.find('\'').unwrap();
                    (&quoted[..end], &quoted[end + 1..])
                }
                None => rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len())),
            };
            words.push(word.to_owned());
            rest = after;
        }
        let mut call = Call {
            method: "GET".into(),
            url: String::new(),
            headers: Vec::new(),
            body: String::new(),
            shown: Vec::new(),
        };
        let mut words = words.into_iter().skip(1);
        while let Some(word) = words.next() {
            match word.as_str() {
                "-X" => call.method = words.next().unwrap(),
                "-H" => {
                    let header = words.next().unwrap();
                    let (name, value) = header.split_once(": ").unwrap();
                    call.headers.push((name.to_owned(), value.to_owned()));
                }
                "-d" => call.body = words.next().unwrap(),
                "-i" | "-s" => {}
                url => call.url = url.to_owned(),
            }
        }
        while let Some(line) = lines.next_if(|l| !l.trim().is_empty() && !l.starts_with("```")) {
            call.shown.push(line.to_owned());
        }
        calls.push(call);
    }
    calls
}

#[test]
fn the_readme_calls_answer_what_the_readme_shows() {
    let seeds: Value =
        serde_json::from_str(&std::fs::read_to_string(repository("examples/seeds.json")).unwrap())
            .unwrap();
    let dir = store(&seeds["snapshot"]);
    let tokens = tokens_file(
        dir.path(),
        &BTreeMap::from([
            ("alice-token".to_owned(), "user:alice".to_owned()),
            ("carol-token".to_owned(), "user:carol".to_owned()),
            ("root-token".to_owned(), "root".to_owned()),
        ]),
    );
    let server = Served::start(&data(&dir), &["--tokens", tokens.to_str().unwrap()]);
    let calls = readme_calls();
    assert_eq!(calls.len(), 5, "the README shows five calls");
    let agent = agent();
    for call in calls {
        let url = call.url.replace("127.0.0.1:8080", &server.addr);
        let headers: Vec<(&str, &str)> = call
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let reply = send(&agent, &call.method, &url, &headers, call.body.as_bytes()).unwrap();
        for shown in &call.shown {
            if let Some(status) = shown.strip_prefix("HTTP/1.1 ") {
                assert!(
                    status.starts_with(&reply.status.to_string()),
                    "{shown} vs {reply:?}"
                );
            } else if let Some((name, value)) = shown.split_once(": ") {
                assert_eq!(reply.header(name), Some(value), "{}", call.url);
            } else {
                assert_eq!(&reply.body, shown, "{}", call.url);
            }
        }
    }
}
