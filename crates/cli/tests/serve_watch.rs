//! Lookups and watching as processes: `privgraph watch --data DIR` on a store (also
//! while `privgraph serve` writes it), and `/privgraph/lookup/...` and
//! `/privgraph/watch` over HTTP with a real client (`ureq`) against a running
//! `privgraph serve`. Expected events come from the library's replay of the store's
//! log, from the state the store started at.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use privgraph::graph::{CommittedBatch, Graph};
use privgraph::watch::WatchEvent;
use serde_json::{Value, json};

mod http;

use http::{PATIENCE, Served, agent};

const PRIVGRAPH: &str = env!("CARGO_BIN_EXE_privgraph");

const START: &str = r#"{"version": 1,
    "users": [{"id": "u1"}, {"id": "u2"}, {"id": "u3"}],
    "groups": [{"id": "g1", "users": {"u2": []}}],
    "spaces": [{"id": "s1", "owners": ["u3"], "users": {"u3": []}},
               {"id": "s2", "owners": ["u3"], "users": {"u3": []}},
               {"id": "s3", "owners": ["u3"], "users": {"u3": []}}],
    "handleServices": [{"id": "hs1", "groups": {"g1": ["handle_service_view"]}}]
}"#;

fn start() -> Graph {
    privgraph::snapshot::load(START).expect("the snapshot loads")
}

/// A store made from [`START`], in `dir/data`.
fn new_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    privgraph_store::init(&data, &start()).expect("a new store");
    (dir, data)
}

/// Every event after `since` up to `until`: the library's replay of the store's log.
fn expected(data: &Path, since: u64, until: u64) -> Vec<WatchEvent> {
    let mut batches: Vec<CommittedBatch> = Vec::new();
    privgraph_store::log(data, 0, |line| {
        batches.push(serde_json::from_str(line).map_err(std::io::Error::other)?);
        Ok(())
    })
    .expect("the log reads");
    privgraph::watch::replay(start(), since, batches)
        .map(|event| event.expect("the log replays"))
        .take_while(|event| event.revision <= until)
        .collect()
}

fn parse_lines(text: &str) -> Vec<WatchEvent> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The writes each test makes: memberships and privileges in spaces, some of which
/// change effective privileges and some of which do not.
fn writes(round: usize) -> Vec<(&'static str, String, Value)> {
    let space = format!("s{}", round % 3 + 1);
    let user = format!("u{}", round % 2 + 1);
    vec![
        ("PUT", format!("/spaces/{space}/users/{user}"), json!({})),
        (
            "PATCH",
            format!("/spaces/{space}/users/{user}/privileges"),
            json!({"grant": ["space_write_data"]}),
        ),
        if round < 3 {
            ("PUT", format!("/spaces/{space}/groups/g1"), json!({}))
        } else {
            (
                "PATCH",
                format!("/spaces/{space}/groups/g1/privileges"),
                json!({"grant": ["space_read_data"]}),
            )
        },
        (
            "DELETE",
            format!("/spaces/{space}/users/{user}"),
            json!(null),
        ),
    ]
}

// ---------------------------------------------------------------------------
// A server process and a client
// ---------------------------------------------------------------------------

impl Served {
    /// Starts a server on `data` with the tokens file `tokens`.
    fn start(data: &Path, tokens: &Path) -> Served {
        let mut command = Command::new(PRIVGRAPH);
        command
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--tokens"])
            .arg(tokens);
        Served::spawn(command)
    }
}

/// A tokens file (readable by its owner only): `root` and `alice` (user u1).
fn tokens(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("tokens.json");
    let tokens: BTreeMap<&str, &str> = [("root-token", "root"), ("alice-token", "user:u1")].into();
    std::fs::write(&path, serde_json::to_string(&tokens).unwrap()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Status, `X-Privgraph-Revision`, body.
fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    body: &Value,
) -> (u16, u64, String) {
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("X-Auth-Token", token);
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        request = request.header("Content-Type", "application/json");
        body.to_string().into_bytes()
    };
    let mut response = agent.run(request.body(bytes).unwrap()).expect("an answer");
    let revision = response
        .headers()
        .get("x-privgraph-revision")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("X-Privgraph-Revision");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().expect("a body");
    (status, revision, body)
}

fn get(agent: &ureq::Agent, url: &str, token: &str) -> (u16, u64, String) {
    request(agent, "GET", url, token, &Value::Null)
}

/// Makes the writes of `rounds` over HTTP as root; the head revision after them.
fn write_over_http(agent: &ureq::Agent, served: &Served, rounds: std::ops::Range<usize>) -> u64 {
    let mut head = 0;
    for round in rounds {
        for (method, path, body) in writes(round) {
            let (status, revision, text) =
                request(agent, method, &served.url(&path), "root-token", &body);
            assert!(status < 300, "{method} {path}: {status} {text}");
            head = revision;
        }
    }
    head
}

// ---------------------------------------------------------------------------
// privgraph watch
// ---------------------------------------------------------------------------

fn watch_command(data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(PRIVGRAPH);
    command.arg("watch").arg("--data").arg(data).args(args);
    command
}

#[test]
fn watch_prints_the_events_after_a_revision_and_follows_a_running_server() {
    let (dir, data) = new_store();
    let served = Served::start(&data, &tokens(dir.path()));
    let agent = agent();
    let head = write_over_http(&agent, &served, 0..3);
    assert_eq!(head, 12);

    // The past, read while the server holds the store, up to --until.
    let out = watch_command(&data, &["--since", "2", "--until", "9"])
        .output()
        .expect("privgraph runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let printed = parse_lines(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(printed, expected(&data, 2, 9));
    assert!(printed.iter().any(|e| !e.effective.is_empty()));
    // Byte for byte, a line is the event's JSON.
    let one = watch_command(&data, &["--since", "0", "--until", "1"])
        .output()
        .unwrap();
    let line = String::from_utf8(one.stdout).unwrap();
    assert_eq!(
        line,
        format!(
            "{}\n",
            serde_json::to_string(&expected(&data, 0, 1)[0]).unwrap()
        )
    );

    // Following from the head: only new batches, as the server commits them.
    let mut follower = watch_command(&data, &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("privgraph runs");
    let stdout = follower.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The follower starts at the head it finds; wait until it has opened the store.
    std::thread::sleep(Duration::from_millis(500));
    let head = write_over_http(&agent, &served, 3..5);
    let mut followed = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while followed.len() < 8 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("a line from the follower");
        followed.push(serde_json::from_str::<WatchEvent>(&line).unwrap());
    }
    assert_eq!(followed, expected(&data, 12, head));
    // Interrupted, it exits 0.
    let status = Command::new("kill")
        .args(["-INT", &follower.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + PATIENCE;
    let code = loop {
        if let Some(status) = follower.try_wait().unwrap() {
            break status.code();
        }
        assert!(Instant::now() < deadline, "the follower did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
}

#[test]
fn watch_exit_codes_follow_the_contract() {
    let (dir, data) = new_store();
    let code = |command: &mut Command| command.output().expect("privgraph runs").status.code();
    // Nothing after revision 0 yet, and --until 0 is already reached.
    let out = watch_command(&data, &["--since", "0", "--until", "0"])
        .output()
        .unwrap();
    assert_eq!((out.status.code(), out.stdout.len()), (Some(0), 0));
    // A revision past the head: the store cannot serve it.
    let out = watch_command(&data, &["--since", "5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("after revision 5"), "{stderr}");
    assert!(stderr.contains("head is revision 0"), "{stderr}");
    // Not a store.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(code(&mut watch_command(&empty, &["--since", "0"])), Some(3));
    // Bad arguments.
    assert_eq!(code(&mut watch_command(&data, &["--since", "-1"])), Some(2));
    assert_eq!(
        code(Command::new(PRIVGRAPH).args(["watch", "--since", "0"])),
        Some(2)
    );
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

#[test]
fn lookups_over_http_come_in_pages_for_root_only() {
    let (dir, data) = new_store();
    let served = Served::start(&data, &tokens(dir.path()));
    let agent = agent();
    write_over_http(&agent, &served, 0..3);
    // u1 and u2 were added to spaces and removed again; g1 (with u2) is in every
    // space, whose owner is u3.
    let resources = "/privgraph/lookup/resources?subject=user:u2&kind=space&privilege=space_view";
    let mut ids = Vec::new();
    let mut url = served.url(&format!("{resources}&limit=2"));
    loop {
        let (status, _, body) = get(&agent, &url, "root-token");
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let got = page["ids"].as_array().unwrap();
        assert!(got.len() <= 2);
        ids.extend(got.iter().map(|id| id.as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(next) => url = served.url(&format!("{resources}&limit=2&cursor={next}")),
            None => break,
        }
    }
    assert_eq!(ids, ["s1", "s2", "s3"]);
    let (status, revision, body) = get(
        &agent,
        &served.url("/privgraph/lookup/subjects/?resource=space:s1&privilege=space_view"),
        "root-token",
    );
    assert_eq!((status, revision), (200, 12));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"users": ["u2", "u3"], "groups": ["g1"], "next": null})
    );
    // Root only, as privgraph's other own endpoints.
    let (status, _, _) = get(&agent, &served.url(resources), "alice-token");
    assert_eq!(status, 403);
    let (status, _, _) = get(&agent, &served.url(resources), "no-such-token");
    assert_eq!(status, 401);
    let (status, _, body) = get(
        &agent,
        &served.url("/privgraph/lookup/resources?subject=user:u2&kind=space&privilege=space_fly"),
        "root-token",
    );
    assert_eq!(status, 400, "{body}");
}

/// Reads the lines of a watch stream until `count` came (or the stream ended).
fn read_lines(reader: &mut impl BufRead, count: usize) -> Vec<String> {
    let mut lines = Vec::new();
    while lines.len() < count {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("the stream reads") == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

#[test]
fn a_watch_over_http_resumed_after_a_disconnect_equals_an_uninterrupted_one() {
    let (dir, data) = new_store();
    let served = Served::start(&data, &tokens(dir.path()));
    let agent = agent();
    let head = write_over_http(&agent, &served, 0..2);
    assert_eq!(head, 8);

    // A watcher from revision 0 reads three events, then goes away.
    let mut response = agent
        .get(served.url("/privgraph/watch?since=0"))
        .header("Authorization", "Bearer root-token")
        .call()
        .expect("the watch starts");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/x-ndjson"
    );
    assert_eq!(response.headers().get("x-privgraph-revision").unwrap(), "0");
    let mut stream = BufReader::new(response.body_mut().as_reader());
    let mut joined = parse_lines(&read_lines(&mut stream, 3).join("\n"));
    drop(stream);
    drop(response);
    let last = joined.last().expect("three events").revision;
    assert_eq!(last, 3);

    // More batches meanwhile; then it resumes after its last revision, past and live.
    let head = write_over_http(&agent, &served, 2..4);
    let mut response = agent
        .get(served.url(&format!("/privgraph/watch?since={last}")))
        .header("X-Auth-Token", "root-token")
        .call()
        .expect("the watch resumes");
    let mut stream = BufReader::new(response.body_mut().as_reader());
    joined.extend(parse_lines(
        &read_lines(&mut stream, (head - last) as usize).join("\n"),
    ));
    let live_head = write_over_http(&agent, &served, 4..5);
    joined.extend(parse_lines(
        &read_lines(&mut stream, (live_head - head) as usize).join("\n"),
    ));
    drop(stream);
    drop(response);
    assert_eq!(joined, expected(&data, 0, live_head));

    // The uninterrupted stream, bounded by until, ends by itself.
    let (status, revision, body) = get(
        &agent,
        &served.url(&format!("/privgraph/watch?since=0&until={live_head}")),
        "root-token",
    );
    assert_eq!((status, revision), (200, 0));
    assert_eq!(parse_lines(&body), joined);

    // Refusals: a revision past the head, a bad number, a user, a bad token.
    let (status, _, body) = get(
        &agent,
        &served.url(&format!("/privgraph/watch?since={}", live_head + 1)),
        "root-token",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("cannot serve"), "{body}");
    let (status, _, _) = get(
        &agent,
        &served.url("/privgraph/watch?since=x"),
        "root-token",
    );
    assert_eq!(status, 400);
    let (status, _, _) = get(&agent, &served.url("/privgraph/watch"), "alice-token");
    assert_eq!(status, 403);
    let (status, _, _) = get(&agent, &served.url("/privgraph/watch"), "bad-token");
    assert_eq!(status, 401);
}
