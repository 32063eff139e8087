//! The `privgraph` command line, driven as a process: every command, its output and
//! its exit codes as `docs/cli.md` gives them: 0 success / allow, 1 a replay
//! expectation failed or invalid content, 2 bad arguments or a file that cannot be
//! read, 3 deny, 4 not found (`check --operation`).
//!
//! Fixture files are written to a fresh directory under `std::env::temp_dir()`, one per
//! test, so tests run in parallel without sharing files.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The exit code of invalid content, whatever its bytes.
const INVALID: i32 = 1;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

// =======================================================================================
// Harness
// =======================================================================================

/// What a run of the binary gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Every stdout line parsed as JSON.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|err| panic!("stdout line is not JSON ({err}): {line}"))
            })
            .collect()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn privgraph<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_privgraph"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    finished(privgraph(args).output().expect("the privgraph binary runs"))
}

/// Runs with `input` as stdin.
fn run_with_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], input: &str) -> Run {
    let mut child = privgraph(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the privgraph binary runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    // Written from a thread so that a full stdout pipe cannot deadlock the test.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("the binary finishes");
    match writer.join().expect("writer thread") {
        // A command may stop before it reads all of stdin (an invalid snapshot).
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(err) => panic!("writing stdin: {err}"),
    }
    finished(output)
}

fn finished(output: Output) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    Run {
        code: status.code().expect("the binary exits with a code"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// A directory of its own for one test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "privgraph-cli-{}-{test}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write fixture");
        path
    }

    fn write_bytes(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write fixture");
        path
    }

    fn write_json(&self, name: &str, value: &Value) -> PathBuf {
        self.write(name, &serde_json::to_string_pretty(value).unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(path: &Path) -> String {
    path.to_str().expect("UTF-8 temp path").to_owned()
}

/// Equality, except that arrays of strings compare as sets (the scenario format's rule).
fn same(expected: &Value, actual: &Value) -> bool {
    fn strings(values: &[Value]) -> Option<BTreeSet<&str>> {
        values.iter().map(Value::as_str).collect()
    }
    match (expected, actual) {
        (Value::Array(e), Value::Array(a)) => match (strings(e), strings(a)) {
            (Some(e), Some(a)) => e == a,
            _ => e.len() == a.len() && e.iter().zip(a).all(|(e, a)| same(e, a)),
        },
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|a| same(v, a)))
        }
        _ => expected == actual,
    }
}

fn keys(line: &Value) -> BTreeSet<&str> {
    line.as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

// =======================================================================================
// replay
// =======================================================================================

fn seeds_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seeds.json")
}

#[test]
fn replay_seeds_prints_one_line_per_step_and_meets_every_expectation() {
    let scenario: Value =
        serde_json::from_str(&std::fs::read_to_string(seeds_path()).unwrap()).unwrap();
    let steps = scenario["steps"].as_array().unwrap();
    assert!(steps.len() >= 30, "the seed scenario has its steps");

    let r = run(&["replay".to_owned(), s(&seeds_path())]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), steps.len(), "one line per step: {r:?}");
    assert_eq!(r.lines().len(), steps.len());

    for (i, (line, step)) in lines.iter().zip(steps).enumerate() {
        let status = line["status"].as_u64().expect("status is a number");
        let mut want: BTreeSet<&str> = ["step", "status", "body"].into();
        if status == 201 {
            want.insert("location");
        }
        assert_eq!(keys(line), want, "keys of line {}: {line}", i + 1);
        assert_eq!(line["step"], json!(i + 1), "steps count from 1: {line}");
        if let Some(expected) = step["expect"]["status"].as_u64() {
            assert_eq!(status, expected, "status of step {}", i + 1);
        }
        if let Some(expected) = step["expect"].get("body") {
            assert!(
                same(expected, &line["body"]),
                "body of step {}: expected {expected}, got {}",
                i + 1,
                line["body"]
            );
        }
        if matches!(status, 204 | 201) {
            assert_eq!(line["body"], Value::Null, "no body for {status}: {line}");
        }
    }

    // A few lines checked literally against the expectations written in the file.
    assert_eq!(
        lines[0],
        json!({"step": 1, "status": 204, "body": null}),
        "PUT with legacy name register_handle"
    );
    assert_eq!(
        lines[1],
        json!({"step": 2, "status": 200,
               "body": {"privileges": ["handle_service_register_handle"]}})
    );
    assert_eq!(
        lines[3]["body"],
        json!({"privileges": ["handle_service_delete", "handle_service_register_handle",
                              "handle_service_update", "handle_service_view"]}),
        "the eight legacy names translate to four current ones, sorted"
    );
    assert_eq!(lines[5]["status"], 400);
    assert_eq!(lines[5]["body"]["error"]["id"], "badValueListNotAllowed");
    assert_eq!(lines[8]["status"], 401);
    assert_eq!(lines[8]["body"]["error"]["id"], "unauthorized");
    assert_eq!(lines[9]["status"], 403);
    assert_eq!(lines[9]["body"]["error"]["id"], "forbidden");
    assert_eq!(lines[11]["status"], 404);
    assert_eq!(lines[11]["body"]["error"]["id"], "notFound");
    let last = lines.last().unwrap();
    assert_eq!(last["status"], 403, "{last}");

    // stderr: one readable line per step (who, what, what came back, ok), then the
    // summary with the expectations counted from the file.
    let readable: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(readable.len(), steps.len() + 1, "{r:?}");
    for (i, (text, step)) in readable.iter().zip(steps).enumerate() {
        let want = format!(
            "step {}  {}  {} {}  -> {}",
            i + 1,
            step["auth"].as_str().unwrap(),
            step["method"].as_str().unwrap(),
            step["path"].as_str().unwrap(),
            lines[i]["status"]
        );
        assert!(
            text.starts_with(&want),
            "line {}: {text:?} vs {want:?}",
            i + 1
        );
        assert!(text.ends_with("  ok"), "{text}");
    }
    let expectations: usize = steps
        .iter()
        .map(|step| {
            usize::from(step["expect"].get("status").is_some())
                + usize::from(step["expect"].get("body").is_some())
        })
        .sum();
    assert_eq!(
        readable[steps.len()],
        format!(
            "replayed {} steps: {expectations} expectations held, 0 failed",
            steps.len()
        )
    );
}

#[test]
fn replay_shows_each_step_readably_on_stderr_and_keeps_stdout_to_the_json_lines() {
    let dir = TempDir::new("readable");
    let file = dir.write_json(
        "scenario.json",
        &json!({
            "snapshot": small_snapshot(),
            "steps": [
                {"auth": "user:u1", "method": "POST", "path": "/user/groups",
                 "body": {"name": "team"}, "capture": "g", "expect": {"status": 201}},
                {"auth": "root", "method": "PATCH", "path": "/groups/${g}/users/u2/privileges",
                 "body": {"grant": ["group_view"]}, "expect": {"status": 404}},
                {"auth": "user:u1", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 200, "body": {"users": ["u1"]}}},
                {"auth": "user:u2", "method": "GET", "path": "/groups/g1/users"},
                {"auth": "nobody", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 200, "body": {"users": ["u1"]}}}
            ]
        }),
    );
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 1, "{r:?}");

    // stdout: the scenario contract's lines, nothing else.
    let lines = r.json_lines();
    assert_eq!(lines.len(), 5, "{r:?}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["step"], json!(i + 1), "{line}");
        let want: BTreeSet<&str> = if line["status"] == 201 {
            ["step", "status", "body", "location"].into()
        } else {
            ["step", "status", "body"].into()
        };
        assert_eq!(keys(line), want, "{line}");
    }
    let location = lines[0]["location"].as_str().unwrap();
    let group = location.rsplit('/').next().unwrap();

    let err: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        err[0],
        format!("step 1  user:u1  POST /user/groups  -> 201 {location}  ok"),
        "{r:?}"
    );
    // The captured id appears substituted in the path shown.
    assert_eq!(
        err[1],
        format!("step 2  root  PATCH /groups/{group}/users/u2/privileges  -> 404 notFound  ok"),
        "{r:?}"
    );
    assert_eq!(
        err[2],
        r#"step 3  user:u1  GET /groups/g1/users  -> 200 {"users":["u1"]}  ok"#
    );
    assert_eq!(
        err[3],
        "step 4  user:u2  GET /groups/g1/users  -> 403 forbidden  unchecked"
    );
    assert_eq!(
        err[4],
        "step 5  nobody  GET /groups/g1/users  -> 401 unauthorized  FAILED"
    );
    assert_eq!(err[5], "  expected status: 200");
    assert_eq!(err[6], "  actual status:   401");
    assert_eq!(err[7], r#"  expected body: {"users":["u1"]}"#);
    assert!(
        err[8].starts_with(r#"  actual body:   {"error":{"id":"unauthorized""#),
        "{r:?}"
    );
    // 1 + 1 + 2 + 0 + 2 expectations, 2 failed, in step 5.
    assert_eq!(
        err[9],
        "replayed 5 steps: 4 expectations held, 2 failed (step 5)"
    );
    assert_eq!(err.len(), 10, "{r:?}");
}

/// The fenced blocks of one language in a file of `docs/`, in order.
fn doc_blocks(doc: &str, language: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(doc);
    let text = std::fs::read_to_string(&path).expect("the doc exists");
    let fence = format!("```{language}\n");
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("the block ends");
        // Blocks indented inside a list item keep their indentation: drop it.
        let block: Vec<&str> = body[..end].lines().map(str::trim_start).collect();
        blocks.push(block.join("\n") + "\n");
        rest = &body[end + 3..];
    }
    blocks
}

#[test]
fn the_scenario_docs_example_prints_what_the_docs_show() {
    let json_blocks = doc_blocks("scenario-format.md", "json");
    let text_blocks = doc_blocks("scenario-format.md", "text");
    let dir = TempDir::new("docs-scenario");
    let file = dir.write("example.json", &json_blocks[0]);
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 0, "{r:?}");
    // Created ids are privgraph's own: the docs show one, the run may create another.
    let created = r.json_lines()[2]["location"]
        .as_str()
        .expect("step 3 creates a group")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let shown = "e220a8397b1dcdaf0000000000000001";
    assert_eq!(r.stdout.replace(&created, shown), json_blocks[1]);
    assert_eq!(r.stderr.replace(&created, shown), text_blocks[0]);
}

#[test]
fn the_cli_docs_examples_are_what_the_commands_print() {
    let dir = TempDir::new("docs-cli");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let text_blocks = doc_blocks("cli.md", "text");
    let r = question(
        "check",
        &snap,
        "u_direct",
        "handle-service",
        "hs1",
        "handle_service_fly",
    );
    assert_eq!(r.stderr, text_blocks[0], "{r:?}");
    // The batch query shown is one.
    let query = &doc_blocks("cli.md", "json")[0];
    let r = run_with_stdin(&["check", "--snapshot", &s(&snap), "--batch", "-"], query);
    assert_eq!(
        r.stdout, "error: line 1: no user `u1` in the graph\n",
        "{r:?}"
    );
    // The denial shown has the shape explain prints.
    let shown: Value = serde_json::from_str(&doc_blocks("cli.md", "json")[1]).unwrap();
    let r = question("explain", &snap, "u_direct", "space", "s1", "space_delete");
    assert_eq!(keys(&r.json_lines()[0]), keys(&shown), "{r:?}");
}

fn small_snapshot() -> Value {
    json!({
        "version": 1,
        "users": [{"id": "u1"}, {"id": "u2"}, {"id": "add_user"}],
        "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]
    })
}

#[test]
fn replay_with_failing_expectations_exits_1_and_prints_expected_and_actual() {
    let dir = TempDir::new("mismatch");
    let file = dir.write_json(
        "scenario.json",
        &json!({
            "snapshot": small_snapshot(),
            "steps": [
                {"auth": "user:u1", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 200, "body": {"users": ["u1"]}}},
                {"auth": "nobody", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 299}},
                {"auth": "user:u1", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 200, "body": {"users": ["zed_expected_user"]}}},
                {"auth": "user:u1", "method": "GET", "path": "/groups/g1/effective_users",
                 "expect": {"status": 200}}
            ]
        }),
    );
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 1, "{r:?}");
    // Every step still runs and prints its line.
    let lines = r.json_lines();
    assert_eq!(lines.len(), 4, "{r:?}");
    assert_eq!(lines[1]["status"], 401);
    assert_eq!(lines[3]["status"], 200);
    // The status mismatch: expected 299, actual 401.
    assert!(r.stderr.contains("299"), "expected status shown: {r:?}");
    assert!(r.stderr.contains("401"), "actual status shown: {r:?}");
    // The body mismatch: both bodies shown.
    assert!(
        r.stderr.contains("zed_expected_user"),
        "expected body shown: {r:?}"
    );
    assert!(r.stderr.contains("\"u1\""), "actual body shown: {r:?}");
    assert!(r.stderr.contains("expected"), "{r:?}");
    assert!(r.stderr.contains("actual"), "{r:?}");
    // Steps 2 and 3 are named, steps 1 and 4 are not.
    assert!(r.stderr.contains("step 2"), "{r:?}");
    assert!(r.stderr.contains("step 3"), "{r:?}");
    assert!(!r.stderr.contains("step 1:"), "{r:?}");
    assert!(!r.stderr.contains("step 4:"), "{r:?}");
}

#[test]
fn replay_all_expectations_met_exits_0_and_sets_compare_as_sets() {
    let dir = TempDir::new("sets");
    let file = dir.write_json(
        "scenario.json",
        &json!({
            "snapshot": {
                "version": 1,
                "users": [{"id": "u1"}, {"id": "u2"}],
                "groups": [{"id": "g1", "users": {"u1": ["group_view"], "u2": []}}]
            },
            "steps": [
                {"auth": "user:u1", "method": "GET", "path": "/groups/g1/users",
                 "expect": {"status": 200, "body": {"users": ["u2", "u1"]}}},
                {"auth": "root", "method": "GET", "path": "/groups/g1/users/u1/privileges",
                 "expect": {"body": {"privileges": ["group_view"]}}}
            ]
        }),
    );
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.lines().len(), 2);
    assert_eq!(
        r.json_lines()[0],
        json!({"step": 1, "status": 200, "body": {"users": ["u1", "u2"]}}),
        "member lists are sorted"
    );
}

#[test]
fn replay_capture_substitutes_in_path_auth_and_bodies_and_prints_location() {
    let dir = TempDir::new("capture");
    let file = dir.write_json(
        "scenario.json",
        &json!({
            "snapshot": small_snapshot(),
            "steps": [
                // 1: u1 creates a group; it becomes its admin.
                {"auth": "user:u1", "method": "POST", "path": "/user/groups",
                 "body": {"name": "my team"}, "capture": "g",
                 "expect": {"status": 201}},
                // 2: the captured id in a path.
                {"auth": "user:u1", "method": "GET", "path": "/groups/${g}/users",
                 "expect": {"status": 200, "body": {"users": ["u1"]}}},
                // 3: add u2 (root), capture u2 from the location.
                {"auth": "root", "method": "PUT", "path": "/groups/${g}/users/u2",
                 "capture": "who", "expect": {"status": 201}},
                // 4: captures in the auth and in the path.
                {"auth": "user:${who}", "method": "GET",
                 "path": "/groups/${g}/users/${who}/privileges",
                 "expect": {"status": 200, "body": {"privileges": ["group_view"]}}},
                // 5: a capture in the expected body.
                {"auth": "user:u1", "method": "GET", "path": "/user/groups",
                 "expect": {"status": 200, "body": {"groups": ["g1", "${g}"]}}},
                // 6: capture a user id that is also a fragment of a privilege name.
                {"auth": "root", "method": "PUT", "path": "/groups/${g}/users/add_user",
                 "capture": "a", "expect": {"status": 201}},
                // 7: a capture inside a request body string: `group_${a}` must become
                // `group_add_user`, or the PATCH is refused.
                {"auth": "user:u1", "method": "PATCH",
                 "path": "/groups/${g}/users/${who}/privileges",
                 "body": {"grant": ["group_${a}"], "revoke": ["group_view"]},
                 "expect": {"status": 204}},
                {"auth": "root", "method": "GET",
                 "path": "/groups/${g}/users/${who}/privileges",
                 "expect": {"status": 200, "body": {"privileges": ["group_add_user"]}}}
            ]
        }),
    );
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), 8, "{r:?}");

    // The 201 lines carry a location; the others do not.
    assert_eq!(
        keys(&lines[0]),
        ["body", "location", "status", "step"].into()
    );
    assert_eq!(lines[0]["status"], 201);
    assert_eq!(lines[0]["body"], Value::Null);
    let location = lines[0]["location"].as_str().unwrap();
    let id = location
        .strip_prefix("/user/groups/")
        .unwrap_or_else(|| panic!("Location of POST /user/groups: {location}"));
    assert!(!id.is_empty() && !id.contains('/'), "{location}");
    assert_eq!(
        lines[2]["location"],
        json!(format!("/groups/{id}/users/u2")),
        "Location of PUT /groups/{{id}}/users/{{uid}}"
    );
    assert_eq!(
        lines[5]["location"],
        json!(format!("/groups/{id}/users/add_user"))
    );
    for line in [&lines[1], &lines[3], &lines[4], &lines[6], &lines[7]] {
        assert!(line.get("location").is_none(), "{line}");
    }
    assert!(same(&lines[4]["body"], &json!({"groups": ["g1", id]})));
    assert_eq!(lines[6], json!({"step": 7, "status": 204, "body": null}));
}

#[test]
fn replay_unknown_capture_exits_2() {
    let dir = TempDir::new("unknown-capture");
    let file = dir.write_json(
        "scenario.json",
        &json!({
            "snapshot": small_snapshot(),
            "steps": [
                {"auth": "root", "method": "GET", "path": "/groups/g1/users"},
                {"auth": "root", "method": "GET", "path": "/groups/${nosuchname}/users"}
            ]
        }),
    );
    let r = run(&["replay".to_owned(), s(&file)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nosuchname"), "{r:?}");
}

#[test]
fn replay_unknown_capture_in_auth_or_body_exits_2() {
    let dir = TempDir::new("unknown-capture-2");
    for (i, step) in [
        json!({"auth": "user:${nobodyknows}", "method": "GET", "path": "/groups/g1/users"}),
        json!({"auth": "root", "method": "PATCH", "path": "/groups/g1/users/u1/privileges",
               "body": {"grant": ["${nobodyknows}"]}}),
    ]
    .into_iter()
    .enumerate()
    {
        let file = dir.write_json(
            &format!("scenario{i}.json"),
            &json!({"snapshot": small_snapshot(), "steps": [step]}),
        );
        let r = run(&["replay".to_owned(), s(&file)]);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("nobodyknows"), "{r:?}");
    }
}

#[test]
fn replay_unreadable_files_exit_2_with_a_message() {
    let dir = TempDir::new("unreadable");
    for (what, path) in [
        ("missing file", dir.0.join("does-not-exist.json")),
        ("a directory", dir.0.clone()),
    ] {
        let r = run(&["replay".to_owned(), s(&path)]);
        assert_eq!(r.code, 2, "{what}: {r:?}");
        assert!(r.stderr.contains("cannot read"), "{what}: {r:?}");
        assert!(r.stdout.is_empty(), "{what}: {r:?}");
    }
}

#[test]
fn replay_invalid_scenarios_exit_1_with_a_message() {
    let dir = TempDir::new("invalid-scenario");
    let steps = json!([{"auth": "root", "method": "GET", "path": "/groups/g1/users"}]);
    let cases: Vec<(&str, PathBuf)> = vec![
        ("not JSON", dir.write("notjson.json", "{ this is not json")),
        (
            "truncated JSON",
            dir.write(
                "truncated.json",
                r#"{"snapshot": {"version": 1}, "steps": ["#,
            ),
        ),
        (
            "binary",
            dir.write_bytes("binary.json", &[0x7b, 0xff, 0xfe, 0x00, 0x9c]),
        ),
        ("empty file", dir.write("empty.json", "")),
        (
            "unknown top-level key",
            dir.write_json(
                "unknown-key.json",
                &json!({"snapshot": small_snapshot(), "steps": steps, "stpes": []}),
            ),
        ),
        (
            "missing steps",
            dir.write_json("no-steps.json", &json!({"snapshot": small_snapshot()})),
        ),
        (
            "invalid snapshot (undeclared user)",
            dir.write_json(
                "bad-snapshot.json",
                &json!({
                    "snapshot": {"version": 1,
                                 "groups": [{"id": "g1", "users": {"ghost_user": []}}]},
                    "steps": steps
                }),
            ),
        ),
        (
            "bad auth",
            dir.write_json(
                "bad-auth.json",
                &json!({"snapshot": small_snapshot(),
                        "steps": [{"auth": "admin", "method": "GET", "path": "/groups"}]}),
            ),
        ),
        (
            "a step as a positional array",
            dir.write_json(
                "positional-step.json",
                &json!({"snapshot": small_snapshot(),
                        "steps": [["root", "GET", "/groups/g1/users"]]}),
            ),
        ),
        (
            "a positional array in the snapshot",
            dir.write_json(
                "positional-snapshot.json",
                &json!({"snapshot": {"version": 1, "users": [["u1"]]}, "steps": steps}),
            ),
        ),
    ];
    for (what, path) in cases {
        let r = run(&["replay".to_owned(), s(&path)]);
        assert_eq!(r.code, INVALID, "{what}: {r:?}");
        assert!(!r.stderr.trim().is_empty(), "{what}: a message on stderr");
        assert!(!r.stderr.contains("cannot read"), "{what}: {r:?}");
    }
    let r = run(&["replay".to_owned(), s(&dir.0.join("positional-step.json"))]);
    assert!(
        r.stderr
            .contains("invalid type: sequence, expected a JSON object for a step"),
        "{r:?}"
    );
    // The invalid snapshot's message names the offending id.
    let r = run(&["replay".to_owned(), s(&dir.0.join("bad-snapshot.json"))]);
    assert!(r.stderr.contains("ghost_user"), "{r:?}");
}

// =======================================================================================
// check and explain
// =======================================================================================

/// One graph with every target kind:
///
/// - `u_direct` holds privileges directly everywhere;
/// - `u_group` is a member of `g_mid`, which holds privileges in every target and is a
///   child of `g_top`;
/// - `u_nested` is a member of `g_bottom`, a child of `g_mid`;
/// - `u_owner` owns `s1` with no stored privileges;
/// - `u_diamond` is in `d_base`, a child of both `d_left` and `d_right`, both groups of
///   `hs1`;
/// - `u_none` is a member of nothing.
fn kinds_snapshot() -> Value {
    json!({
        "version": 1,
        "users": [
            {"id": "u_direct"}, {"id": "u_group"}, {"id": "u_nested"},
            {"id": "u_owner"}, {"id": "u_diamond"}, {"id": "u_none"}
        ],
        "groups": [
            {"id": "g_top", "users": {"u_direct": ["group_view"]},
             "children": {"g_mid": ["group_add_user"]}},
            {"id": "g_mid", "users": {"u_group": []},
             "children": {"g_bottom": ["group_view"]}},
            {"id": "g_bottom", "users": {"u_nested": []}},
            {"id": "d_left", "children": {"d_base": []}},
            {"id": "d_right", "children": {"d_base": []}},
            {"id": "d_base", "users": {"u_diamond": []}}
        ],
        "spaces": [
            {"id": "s1", "owners": ["u_owner"],
             "users": {"u_owner": [], "u_direct": ["space_view"]},
             "groups": {"g_mid": ["space_write_data"]}}
        ],
        "shares": [{"id": "sh1", "spaceId": "s1"}],
        "handleServices": [
            {"id": "hs1", "users": {"u_direct": ["handle_service_update"]},
             "groups": {"g_mid": ["handle_service_view"],
                        "d_left": ["handle_service_view"],
                        "d_right": ["handle_service_view", "handle_service_delete"]}}
        ],
        "handles": [
            {"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
             "users": {"u_direct": ["handle_view"]},
             "groups": {"g_mid": ["handle_update"]}}
        ],
        "harvesters": [
            {"id": "hv1", "users": {"u_direct": ["harvester_view"]},
             "groups": {"g_mid": ["harvester_update"]}, "spaces": ["s1"]}
        ],
        "clusters": [
            {"id": "c1", "users": {"u_direct": ["cluster_view"]},
             "groups": {"g_mid": ["cluster_update"]}}
        ],
        "atmInventories": [
            {"id": "ai1", "users": {"u_direct": ["atm_inventory_view"]},
             "groups": {"g_mid": ["atm_inventory_update"]}}
        ]
    })
}

fn question(cmd: &str, snapshot: &Path, user: &str, flag: &str, id: &str, p: &str) -> Run {
    run(&[
        cmd.to_owned(),
        "--snapshot".into(),
        s(snapshot),
        "--user".into(),
        user.into(),
        format!("--{flag}"),
        id.into(),
        "--privilege".into(),
        p.into(),
    ])
}

#[test]
fn check_allows_and_denies_for_every_kind_directly_and_through_groups() {
    let dir = TempDir::new("check");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    // (user, flag, id, privilege, allowed)
    let cases: &[(&str, &str, &str, &str, bool)] = &[
        // group: direct, and inherited from a child group's privileges in the parent
        ("u_direct", "group", "g_top", "group_view", true),
        ("u_direct", "group", "g_top", "group_add_user", false),
        ("u_group", "group", "g_top", "group_add_user", true),
        ("u_nested", "group", "g_top", "group_add_user", true),
        ("u_group", "group", "g_top", "group_view", false),
        ("u_nested", "group", "g_mid", "group_view", true),
        ("u_none", "group", "g_top", "group_view", false),
        // space: direct, through a group, an owner holding nothing stored
        ("u_direct", "space", "s1", "space_view", true),
        ("u_direct", "space", "s1", "space_delete", false),
        ("u_group", "space", "s1", "space_write_data", true),
        ("u_nested", "space", "s1", "space_write_data", true),
        ("u_group", "space", "s1", "space_view", false),
        ("u_owner", "space", "s1", "space_delete", true),
        ("u_owner", "space", "s1", "space_set_privileges", true),
        ("u_none", "space", "s1", "space_view", false),
        // handle service
        (
            "u_direct",
            "handle-service",
            "hs1",
            "handle_service_update",
            true,
        ),
        (
            "u_direct",
            "handle-service",
            "hs1",
            "handle_service_view",
            false,
        ),
        (
            "u_group",
            "handle-service",
            "hs1",
            "handle_service_view",
            true,
        ),
        (
            "u_nested",
            "handle-service",
            "hs1",
            "handle_service_view",
            true,
        ),
        (
            "u_group",
            "handle-service",
            "hs1",
            "handle_service_update",
            false,
        ),
        (
            "u_diamond",
            "handle-service",
            "hs1",
            "handle_service_delete",
            true,
        ),
        (
            "u_diamond",
            "handle-service",
            "hs1",
            "handle_service_update",
            false,
        ),
        (
            "u_none",
            "handle-service",
            "hs1",
            "handle_service_view",
            false,
        ),
        // handle
        ("u_direct", "handle", "h1", "handle_view", true),
        ("u_direct", "handle", "h1", "handle_update", false),
        ("u_nested", "handle", "h1", "handle_update", true),
        ("u_group", "handle", "h1", "handle_view", false),
        // harvester
        ("u_direct", "harvester", "hv1", "harvester_view", true),
        ("u_group", "harvester", "hv1", "harvester_update", true),
        ("u_group", "harvester", "hv1", "harvester_view", false),
        // cluster
        ("u_direct", "cluster", "c1", "cluster_view", true),
        ("u_nested", "cluster", "c1", "cluster_update", true),
        ("u_direct", "cluster", "c1", "cluster_update", false),
        // automation inventory
        (
            "u_direct",
            "atm-inventory",
            "ai1",
            "atm_inventory_view",
            true,
        ),
        (
            "u_group",
            "atm-inventory",
            "ai1",
            "atm_inventory_update",
            true,
        ),
        (
            "u_group",
            "atm-inventory",
            "ai1",
            "atm_inventory_view",
            false,
        ),
        // space membership gives nothing in the linked harvester, nor a handle in its
        // handle service
        ("u_owner", "harvester", "hv1", "harvester_view", false),
    ];
    let mut failures = Vec::new();
    for &(user, flag, id, p, allowed) in cases {
        let r = question("check", &snap, user, flag, id, p);
        let want = if allowed { (0, "allow") } else { (3, "deny") };
        if (r.code, r.stdout.as_str()) != (want.0, &format!("{}\n", want.1)) {
            failures.push(format!(
                "check {user} --{flag} {id} {p}: want {want:?}, got {r:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_and_explain_unknown_names_exit_2() {
    let dir = TempDir::new("check-unknown");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "unknown user",
            "nobody_here",
            "handle-service",
            "hs1",
            "handle_service_view",
        ),
        (
            "unknown target",
            "u_direct",
            "handle-service",
            "hs_missing",
            "handle_service_view",
        ),
        (
            "unknown privilege",
            "u_direct",
            "handle-service",
            "hs1",
            "handle_service_fly",
        ),
        (
            "another vocabulary's name",
            "u_direct",
            "handle-service",
            "hs1",
            "handle_view",
        ),
        (
            "legacy name",
            "u_direct",
            "handle-service",
            "hs1",
            "register_handle",
        ),
        (
            "id of another kind",
            "u_direct",
            "group",
            "hs1",
            "group_view",
        ),
        ("unknown space", "u_owner", "space", "s2", "space_view"),
        (
            "unknown cluster privilege",
            "u_direct",
            "cluster",
            "c1",
            "space_view",
        ),
    ];
    for cmd in ["check", "explain"] {
        for &(what, user, flag, id, p) in cases {
            let r = question(cmd, &snap, user, flag, id, p);
            assert_eq!(r.code, 2, "{cmd} {what}: {r:?}");
            assert!(r.stdout.is_empty(), "{cmd} {what}: {r:?}");
            assert!(!r.stderr.trim().is_empty(), "{cmd} {what}: {r:?}");
        }
    }
    // The messages name what is unknown.
    let r = question("check", &snap, "nobody_here", "space", "s1", "space_view");
    assert!(r.stderr.contains("nobody_here"), "{r:?}");
    let r = question(
        "check",
        &snap,
        "u_direct",
        "space",
        "s_missing",
        "space_view",
    );
    assert!(r.stderr.contains("s_missing"), "{r:?}");
    let r = question("check", &snap, "u_direct", "space", "s1", "space_fly");
    assert!(r.stderr.contains("space_fly"), "{r:?}");
}

#[test]
fn an_unknown_privilege_name_lists_the_vocabulary() {
    let dir = TempDir::new("unknown-privilege");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    // The six handle-service names, sorted, as Onezone lists them.
    let allowed = "handle_service_delete, handle_service_list_handles, \
                   handle_service_manage_handles, handle_service_register_handle, \
                   handle_service_update, handle_service_view";
    for cmd in ["check", "explain"] {
        for name in ["handle_service_fly", "handle_view", "register_handle"] {
            let r = question(cmd, &snap, "u_direct", "handle-service", "hs1", name);
            assert_eq!(r.code, 2, "{cmd} {name}: {r:?}");
            assert!(r.stderr.contains(name), "{cmd} {name}: {r:?}");
            assert!(
                r.stderr
                    .contains(&format!("the handle_service privileges are {allowed}")),
                "{cmd} {name}: {r:?}"
            );
        }
    }
    // The legacy name also says what it became.
    let r = question(
        "check",
        &snap,
        "u_direct",
        "handle-service",
        "hs1",
        "register_handle",
    );
    assert!(
        r.stderr.contains("handle_service_register_handle`"),
        "{r:?}"
    );
    // Another vocabulary's list for another kind.
    let r = question("check", &snap, "u_direct", "handle", "h1", "handle_fly");
    assert!(
        r.stderr
            .contains("the handle privileges are handle_delete, handle_update, handle_view"),
        "{r:?}"
    );
}

#[test]
fn check_unreadable_snapshot_exits_2_and_invalid_snapshot_exits_1() {
    let dir = TempDir::new("check-unreadable");
    let missing = dir.0.join("missing.json");
    let garbage = dir.write("garbage.json", "not a snapshot");
    let truncated = dir.write("truncated.json", r#"{"version": 1, "users": [{"id": "#);
    let binary = dir.write_bytes("binary.json", &[0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]);
    let invalid = dir.write_json(
        "invalid.json",
        &json!({"version": 1, "groups": [{"id": "g", "users": {"ghost": []}}]}),
    );
    for cmd in ["check", "explain"] {
        for (path, code) in [
            (&missing, 2),
            (&dir.0, 2),
            (&garbage, INVALID),
            (&truncated, INVALID),
            (&binary, INVALID),
            (&invalid, INVALID),
        ] {
            let r = question(cmd, path, "u", "group", "g", "group_view");
            assert_eq!(r.code, code, "{cmd} {}: {r:?}", path.display());
            assert!(r.stdout.is_empty(), "{cmd} {}: {r:?}", path.display());
            assert!(!r.stderr.trim().is_empty());
        }
    }
}

#[test]
fn check_and_explain_need_exactly_one_kind_flag() {
    let dir = TempDir::new("check-flags");
    let snap = s(&dir.write_json("snapshot.json", &kinds_snapshot()));
    let snap = snap.as_str();
    for cmd in ["check", "explain"] {
        let none = run(&[
            cmd,
            "--snapshot",
            snap,
            "--user",
            "u_direct",
            "--privilege",
            "group_view",
        ]);
        assert_eq!(none.code, 2, "{cmd} without a kind flag: {none:?}");
        assert!(none.stdout.is_empty());
        assert!(none.stderr.contains("error"), "a clap error: {none:?}");

        let two = run(&[
            cmd,
            "--snapshot",
            snap,
            "--user",
            "u_direct",
            "--group",
            "g_top",
            "--space",
            "s1",
            "--privilege",
            "group_view",
        ]);
        assert_eq!(two.code, 2, "{cmd} with two kind flags: {two:?}");
        assert!(two.stdout.is_empty());
        assert!(two.stderr.contains("cannot be used with"), "{two:?}");

        let same_twice = run(&[
            cmd,
            "--snapshot",
            snap,
            "--user",
            "u_direct",
            "--group",
            "g_top",
            "--group",
            "g_mid",
            "--privilege",
            "group_view",
        ]);
        assert_eq!(
            same_twice.code, 2,
            "{cmd} with --group twice: {same_twice:?}"
        );

        for missing in ["--snapshot", "--user", "--privilege"] {
            let mut args = vec![
                cmd,
                "--snapshot",
                snap,
                "--user",
                "u_direct",
                "--group",
                "g_top",
                "--privilege",
                "group_view",
            ];
            let at = args.iter().position(|a| *a == missing).unwrap();
            args.drain(at..at + 2);
            let r = run(&args);
            assert_eq!(r.code, 2, "{cmd} without {missing}: {r:?}");
            assert!(r.stderr.contains(missing), "{r:?}");
        }
    }
}

fn query(user: &str, kind: &str, id: &str, privilege: &str) -> String {
    json!({"user": user, "kind": kind, "id": id, "privilege": privilege}).to_string()
}

#[test]
fn check_batch_answers_every_line_against_one_snapshot() {
    let dir = TempDir::new("batch");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    // (line, the answer expected on its output line)
    let cases: Vec<(String, &str)> = vec![
        (query("u_direct", "group", "g_top", "group_view"), "allow"),
        (
            query("u_direct", "group", "g_top", "group_add_user"),
            "deny",
        ),
        (
            query("u_nested", "handle_service", "hs1", "handle_service_view"),
            "allow",
        ),
        (query("u_owner", "space", "s1", "space_delete"), "allow"),
        (query("u_nested", "handle", "h1", "handle_update"), "allow"),
        (
            query("u_group", "harvester", "hv1", "harvester_view"),
            "deny",
        ),
        (
            query("u_nested", "cluster", "c1", "cluster_update"),
            "allow",
        ),
        (
            query("u_group", "atm_inventory", "ai1", "atm_inventory_update"),
            "allow",
        ),
        (query("u_none", "group", "g_top", "group_view"), "deny"),
        // Keys in another order, and a CRLF line end.
        (
            r#"{"privilege": "space_view", "id": "s1", "kind": "space", "user": "u_direct"}"#
                .to_owned()
                + "\r",
            "allow",
        ),
    ];
    let input: String = cases.iter().map(|(line, _)| format!("{line}\n")).collect();
    let batch = dir.write("queries.jsonl", &input);
    let want: String = cases.iter().map(|(_, a)| format!("{a}\n")).collect();

    let r = run(&[
        "check".to_owned(),
        "--snapshot".into(),
        s(&snap),
        "--batch".into(),
        s(&batch),
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (0, want.as_str()), "{r:?}");

    // The same from stdin, and the last line without a newline.
    let r = run_with_stdin(
        &["check", "--snapshot", &s(&snap), "--batch", "-"],
        input.trim_end(),
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, want.as_str()), "{r:?}");

    // Every single-query answer agrees with the batch.
    for (line, answer) in &cases {
        let q: Value = serde_json::from_str(line.trim_end()).unwrap();
        let flag = q["kind"].as_str().unwrap().replace('_', "-");
        let single = question(
            "check",
            &snap,
            q["user"].as_str().unwrap(),
            &flag,
            q["id"].as_str().unwrap(),
            q["privilege"].as_str().unwrap(),
        );
        assert_eq!(single.stdout.trim(), *answer, "{line}: {single:?}");
    }

    // An empty batch answers nothing and succeeds.
    let r = run_with_stdin(&["check", "--snapshot", &s(&snap), "--batch", "-"], "");
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
}

#[test]
fn check_batch_answers_a_bad_line_with_an_error_line_and_goes_on() {
    let dir = TempDir::new("batch-errors");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    // (line, what its output line must contain)
    let cases: Vec<(String, &str)> = vec![
        (query("u_direct", "group", "g_top", "group_view"), "allow"),
        (
            query("ghost", "group", "g_top", "group_view"),
            "error: line 2: no user `ghost` in the graph",
        ),
        (
            query("u_direct", "group", "g_nowhere", "group_view"),
            "error: line 3: no group `g_nowhere`",
        ),
        (
            query("u_direct", "handle_service", "hs1", "handle_service_fly"),
            "error: line 4: `handle_service_fly` is not a handle_service privilege; \
             the handle_service privileges are handle_service_delete, ",
        ),
        ("{ not json".to_owned(), "error: line 5: not a query: "),
        (
            query("u_direct", "spaces", "s1", "space_view"),
            "error: line 6: not a query: unknown kind `spaces`: expected one of group, \
             space, handle_service, handle, harvester, cluster, atm_inventory",
        ),
        (
            r#"["u_direct", "group", "g_top", "group_view"]"#.to_owned(),
            "error: line 7: not a query: invalid type: sequence, expected a JSON object for a query",
        ),
        (
            r#"{"user": "u_direct", "kind": "group", "id": "g_top", "privilege": "group_view", "why": 1}"#
                .to_owned(),
            "error: line 8: not a query: unknown field `why`",
        ),
        (
            r#"{"user": "u_direct", "kind": "group", "id": "g_top"}"#.to_owned(),
            "error: line 9: not a query: missing field `privilege`",
        ),
        (String::new(), "error: line 10: not a query: "),
        (query("u_direct", "group", "g_top", "group_add_user"), "deny"),
    ];
    let input: String = cases.iter().map(|(line, _)| format!("{line}\n")).collect();
    let r = run_with_stdin(&["check", "--snapshot", &s(&snap), "--batch", "-"], &input);
    let out: Vec<&str> = r.lines();
    assert_eq!(
        out.len(),
        cases.len(),
        "one output line per input line: {r:?}"
    );
    for ((line, want), got) in cases.iter().zip(&out) {
        assert!(
            got.starts_with(want),
            "{line:?}: want {want:?}, got {got:?}"
        );
    }
    // The first failure is an unknown name: exit 2, and stderr sums up.
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("11 queries: 1 allowed, 1 denied, 9 failed; the first failure is line 2"),
        "{r:?}"
    );

    // When the first failure is a line that is not a query: exit 1 (invalid content).
    let input = format!(
        "{}\nnot json\n{}\n",
        query("u_direct", "group", "g_top", "group_view"),
        query("ghost", "group", "g_top", "group_view")
    );
    let r = run_with_stdin(&["check", "--snapshot", &s(&snap), "--batch", "-"], &input);
    assert_eq!(r.code, INVALID, "{r:?}");
    assert_eq!(r.lines().len(), 3, "{r:?}");
    assert_eq!(r.lines()[0], "allow");

    // Invalid UTF-8 on a line is that line's error only.
    let mut bytes = query("u_direct", "group", "g_top", "group_view").into_bytes();
    bytes.extend_from_slice(b"\n{\"user\": \"\xff\"}\n");
    bytes.extend_from_slice(query("u_direct", "group", "g_top", "group_view").as_bytes());
    let batch = dir.write_bytes("latin1.jsonl", &bytes);
    let r = run(&[
        "check".to_owned(),
        "--snapshot".into(),
        s(&snap),
        "--batch".into(),
        s(&batch),
    ]);
    assert_eq!(r.code, INVALID, "{r:?}");
    let out = r.lines();
    assert_eq!(out.len(), 3, "{r:?}");
    assert_eq!((out[0], out[2]), ("allow", "allow"), "{r:?}");
    assert!(out[1].starts_with("error: line 2: not a query: "), "{r:?}");
}

#[test]
fn check_batch_input_problems_and_argument_rules() {
    let dir = TempDir::new("batch-input");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let snap = s(&snap);
    // A batch file that cannot be read: 2.
    let r = run(&[
        "check",
        "--snapshot",
        &snap,
        "--batch",
        "/nonexistent/queries.jsonl",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("cannot read"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    // An invalid snapshot: 4, before any query is read.
    let bad = s(&dir.write("bad.json", r#"{"version": 1, "users": [["u1"]]}"#));
    let r = run_with_stdin(
        &["check", "--snapshot", &bad, "--batch", "-"],
        &query("u1", "group", "g", "group_view"),
    );
    assert_eq!(r.code, INVALID, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    // --batch takes no single-query arguments.
    for extra in [
        vec!["--user", "u_direct"],
        vec!["--privilege", "group_view"],
        vec!["--group", "g_top"],
    ] {
        let mut args = vec!["check", "--snapshot", &snap, "--batch", "-"];
        args.extend(extra.iter().copied());
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains("cannot be used with"), "{args:?}: {r:?}");
    }
    // explain has no batch mode.
    let r = run(&["explain", "--snapshot", &snap, "--batch", "-"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn check_batch_from_a_pipe_answers_each_query_before_the_next_is_written() {
    let dir = TempDir::new("batch-pipe");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let mut child = privgraph(&["check", "--snapshot", &s(&snap), "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the privgraph binary runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    // The answers are read on a thread, so that a missing flush shows as a failed
    // receive instead of a test that never ends.
    let (answers, received) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if answers.send(line.expect("stdout is UTF-8")).is_err() {
                break;
            }
        }
    });
    let guard = std::time::Duration::from_secs(120);
    for (q, want) in [
        (query("u_direct", "group", "g_top", "group_view"), "allow"),
        (query("u_none", "group", "g_top", "group_view"), "deny"),
        (query("u_owner", "space", "s1", "space_delete"), "allow"),
    ] {
        writeln!(stdin, "{q}").expect("query written");
        stdin.flush().expect("query flushed");
        let got = received
            .recv_timeout(guard)
            .expect("an answer while stdin is still open");
        assert_eq!(got, want, "{q}");
    }
    drop(stdin);
    let status = child.wait().expect("the binary finishes");
    assert_eq!(status.code(), Some(0));
    reader.join().expect("reader thread");
}

fn explain_lines(r: &Run) -> Vec<Value> {
    let mut lines = r.json_lines();
    lines.sort_by_key(|l| l.to_string());
    lines
}

#[test]
fn explain_prints_one_line_per_path() {
    let dir = TempDir::new("explain");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());

    // Direct.
    let r = question(
        "explain",
        &snap,
        "u_direct",
        "handle-service",
        "hs1",
        "handle_service_update",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json_lines(),
        [json!({"path": ["u_direct", "hs1"], "privileges": ["handle_service_update"]})]
    );

    // Through one group, and through two nested groups.
    let r = question(
        "explain",
        &snap,
        "u_group",
        "handle-service",
        "hs1",
        "handle_service_view",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json_lines(),
        [json!({"path": ["u_group", "g_mid", "hs1"], "privileges": ["handle_service_view"]})]
    );
    let r = question(
        "explain",
        &snap,
        "u_nested",
        "group",
        "g_top",
        "group_add_user",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json_lines(),
        [json!({"path": ["u_nested", "g_bottom", "g_mid", "g_top"],
                "privileges": ["group_add_user"]})]
    );
    for (flag, id, p) in [
        ("handle", "h1", "handle_update"),
        ("harvester", "hv1", "harvester_update"),
        ("cluster", "c1", "cluster_update"),
        ("atm-inventory", "ai1", "atm_inventory_update"),
        ("space", "s1", "space_write_data"),
    ] {
        let r = question("explain", &snap, "u_nested", flag, id, p);
        assert_eq!(r.code, 0, "{flag}: {r:?}");
        assert_eq!(
            r.json_lines(),
            [json!({"path": ["u_nested", "g_bottom", "g_mid", id], "privileges": [p]})],
            "{flag}"
        );
    }

    // A diamond: two paths.
    let r = question(
        "explain",
        &snap,
        "u_diamond",
        "handle-service",
        "hs1",
        "handle_service_view",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.lines().len(), 2, "{r:?}");
    assert_eq!(
        explain_lines(&r),
        [
            json!({"path": ["u_diamond", "d_base", "d_left", "hs1"],
                   "privileges": ["handle_service_view"]}),
            json!({"path": ["u_diamond", "d_base", "d_right", "hs1"],
                   "privileges": ["handle_service_view"]}),
        ]
    );
    // Only one side of the diamond gives handle_service_delete.
    let r = question(
        "explain",
        &snap,
        "u_diamond",
        "handle-service",
        "hs1",
        "handle_service_delete",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json_lines(),
        [json!({"path": ["u_diamond", "d_base", "d_right", "hs1"],
                "privileges": ["handle_service_delete"]})]
    );
}

#[test]
fn explain_space_owner_is_marked() {
    let dir = TempDir::new("explain-owner");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let r = question("explain", &snap, "u_owner", "space", "s1", "space_delete");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json_lines(),
        [json!({"path": ["u_owner", "s1"], "privileges": ["space_delete"], "owner": true})]
    );
    // A non-owner's line has no `owner` key.
    let r = question("explain", &snap, "u_direct", "space", "s1", "space_view");
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(keys(&lines[0]), ["path", "privileges"].into(), "{r:?}");
}

#[test]
fn explain_a_denial_exits_3_with_what_the_user_holds_there() {
    let dir = TempDir::new("explain-deny");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    // (user, flag, id, privilege, the one line expected)
    let cases = [
        // Not a member at all.
        (
            "u_none",
            "handle-service",
            "hs1",
            "handle_service_view",
            json!({"allowed": false, "member": false, "direct": null, "effective": null,
                   "groups": []}),
        ),
        // A member through g_mid only, which holds group_add_user in g_top, not
        // group_view.
        (
            "u_group",
            "group",
            "g_top",
            "group_view",
            json!({"allowed": false, "member": true, "direct": null,
                   "effective": ["group_add_user"],
                   "groups": [{"id": "g_mid", "privileges": ["group_add_user"]}]}),
        ),
        // Direct and through g_mid; neither gives space_delete.
        (
            "u_direct",
            "space",
            "s1",
            "space_delete",
            json!({"allowed": false, "member": true, "direct": ["space_view"],
                   "effective": ["space_view"], "groups": []}),
        ),
        // Through both sides of the diamond, and neither holds handle_service_update.
        (
            "u_diamond",
            "handle-service",
            "hs1",
            "handle_service_update",
            json!({"allowed": false, "member": true, "direct": null,
                   "effective": ["handle_service_delete", "handle_service_view"],
                   "groups": [
                       {"id": "d_left", "privileges": ["handle_service_view"]},
                       {"id": "d_right",
                        "privileges": ["handle_service_delete", "handle_service_view"]}]}),
        ),
        // Owning a space linked to a harvester gives nothing in the harvester.
        (
            "u_owner",
            "harvester",
            "hv1",
            "harvester_view",
            json!({"allowed": false, "member": false, "direct": null, "effective": null,
                   "groups": []}),
        ),
        // Nested: through g_bottom ⊂ g_mid, the member group of c1 is g_mid.
        (
            "u_nested",
            "cluster",
            "c1",
            "cluster_view",
            json!({"allowed": false, "member": true, "direct": null,
                   "effective": ["cluster_update"],
                   "groups": [{"id": "g_mid", "privileges": ["cluster_update"]}]}),
        ),
    ];
    for (user, flag, id, p, want) in cases {
        let r = question("explain", &snap, user, flag, id, p);
        assert_eq!(r.code, 3, "{user} {flag} {id} {p}: {r:?}");
        assert_eq!(r.json_lines(), [want], "{user} {flag} {id} {p}: {r:?}");
        // `check` agrees.
        let c = question("check", &snap, user, flag, id, p);
        assert_eq!((c.code, c.stdout.as_str()), (3, "deny\n"), "{c:?}");
    }
}

// =======================================================================================
// snapshot validate
// =======================================================================================

#[test]
fn snapshot_validate_valid_prints_counts() {
    let dir = TempDir::new("validate-ok");
    let snap = dir.write_json("snapshot.json", &kinds_snapshot());
    let r = run(&["snapshot".to_owned(), "validate".into(), s(&snap)]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), 1, "{r:?}");
    let counts = &lines[0];
    for (key, n) in [
        ("users", 6),
        ("groups", 6),
        ("spaces", 1),
        ("shares", 1),
        ("handleServices", 1),
        ("handles", 1),
        ("harvesters", 1),
        ("clusters", 1),
        ("atmInventories", 1),
    ] {
        assert_eq!(counts[key], json!(n), "{key} in {counts}");
    }

    // The full example of docs/snapshot-format.md and an empty snapshot are valid.
    let example = dir.write(
        "example.json",
        r#"{
  "version": 1,
  "users":  [{"id": "u1", "ozPrivileges": ["oz_handle_services_set_privileges"]}],
  "groups": [{"id": "g1", "ozPrivileges": [],
              "users":    {"u1": ["group_view"]},
              "children": {"g2": ["group_view", "group_add_user"]}},
             {"id": "g2"}],
  "spaces":         [{"id": "s1",  "owners": ["u1"], "users": {"u1": []},
                      "groups": {"g1": ["space_view"]}}],
  "shares":         [{"id": "sh1", "spaceId": "s1"}],
  "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_update"]}, "groups": {}}],
  "handles":        [{"id": "h1", "handleServiceId": "hs1", "shareId": "sh1",
                      "users": {}, "groups": {"g1": ["handle_view"]}}],
  "harvesters":     [{"id": "hv1", "users": {}, "groups": {}, "spaces": ["s1"]}],
  "clusters":       [{"id": "c1", "users": {}, "groups": {}}],
  "atmInventories": [{"id": "ai1", "users": {}, "groups": {}}]
}"#,
    );
    let r = run(&["snapshot".to_owned(), "validate".into(), s(&example)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json_lines()[0]["groups"], 2);
    let empty = dir.write("empty.json", r#"{"version": 1}"#);
    let r = run(&["snapshot".to_owned(), "validate".into(), s(&empty)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json_lines()[0]["users"], 0);
}

#[test]
fn snapshot_validate_invalid_exits_1_naming_the_offender() {
    let dir = TempDir::new("validate-bad");
    // (what, snapshot, a string stderr must contain)
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "cycle",
            json!({"version": 1, "groups": [
                {"id": "cyc_a", "children": {"cyc_b": []}},
                {"id": "cyc_b", "children": {"cyc_c": []}},
                {"id": "cyc_c", "children": {"cyc_a": []}}]}),
            "cyc_",
        ),
        (
            "self nesting",
            json!({"version": 1, "groups": [{"id": "selfish", "children": {"selfish": []}}]}),
            "selfish",
        ),
        (
            "undeclared user",
            json!({"version": 1, "groups": [{"id": "g1", "users": {"ghost_user": []}}]}),
            "ghost_user",
        ),
        (
            "undeclared group",
            json!({"version": 1, "handleServices": [
                {"id": "hs1", "groups": {"ghost_group": []}}]}),
            "ghost_group",
        ),
        (
            "undeclared space of a share",
            json!({"version": 1, "shares": [{"id": "sh1", "spaceId": "ghost_space"}]}),
            "ghost_space",
        ),
        (
            "unknown privilege",
            json!({"version": 1, "users": [{"id": "u1"}],
                   "groups": [{"id": "g1", "users": {"u1": ["group_fly"]}}]}),
            "group_fly",
        ),
        (
            "unknown oz privilege",
            json!({"version": 1, "users": [{"id": "u1", "ozPrivileges": ["oz_fly"]}]}),
            "oz_fly",
        ),
        (
            "privilege of another vocabulary",
            json!({"version": 1, "users": [{"id": "u1"}],
                   "spaces": [{"id": "s1", "users": {"u1": ["group_view"]}}]}),
            "group_view",
        ),
        (
            "unknown top-level key",
            json!({"version": 1, "grups": []}),
            "grups",
        ),
        (
            "unknown nested key",
            json!({"version": 1, "users": [{"id": "u1", "ozPrivilege": []}]}),
            "ozPrivilege",
        ),
        (
            "repeated id",
            json!({"version": 1, "users": [{"id": "twice"}, {"id": "twice"}]}),
            "twice",
        ),
        (
            "owner not a member",
            json!({"version": 1, "users": [{"id": "lonely_owner"}],
                   "spaces": [{"id": "s1", "owners": ["lonely_owner"]}]}),
            "lonely_owner",
        ),
        (
            "a user as a positional array",
            json!({"version": 1, "users": [["u1"]]}),
            "invalid type: sequence, expected a JSON object for a user entry",
        ),
        (
            "a share as a positional array",
            json!({"version": 1, "spaces": [{"id": "s1"}], "shares": [["sh1", "s1"]]}),
            "expected a JSON object for a share entry",
        ),
        (
            "the whole snapshot as a positional array",
            json!([1, [{"id": "u1"}]]),
            "expected a JSON object for a snapshot",
        ),
    ];
    let mut failures = Vec::new();
    for (i, (what, snapshot, needle)) in cases.into_iter().enumerate() {
        let path = dir.write_json(&format!("bad{i}.json"), &snapshot);
        let r = run(&["snapshot".to_owned(), "validate".into(), s(&path)]);
        if r.code != INVALID || !r.stderr.contains(needle) || !r.stdout.trim().is_empty() {
            failures.push(format!("{what}: want exit 1 naming `{needle}`, got {r:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn snapshot_validate_invalid_content_exits_1_whatever_its_bytes() {
    let dir = TempDir::new("validate-content");
    let cases: Vec<(&str, PathBuf)> = vec![
        (
            "truncated JSON",
            dir.write("truncated.json", r#"{"version": 1, "users": [{"id""#),
        ),
        (
            "binary (gzip magic, invalid UTF-8)",
            dir.write_bytes("binary.json", &[0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00]),
        ),
        (
            "valid JSON, invalid UTF-8 inside a string",
            dir.write_bytes(
                "latin1.json",
                b"{\"version\": 1, \"users\": [{\"id\": \"caf\xe9\"}]}",
            ),
        ),
        ("empty file", dir.write("empty.json", "")),
        ("not a snapshot", dir.write("text.json", "hello")),
    ];
    for (what, path) in cases {
        let r = run(&["snapshot".to_owned(), "validate".into(), s(&path)]);
        assert_eq!(r.code, INVALID, "{what}: {r:?}");
        assert!(r.stdout.is_empty(), "{what}: {r:?}");
        assert!(r.stderr.contains(&s(&path)), "{what} names the file: {r:?}");
        assert!(!r.stderr.contains("cannot read"), "{what}: {r:?}");
    }
    let r = run(&[
        "snapshot".to_owned(),
        "validate".into(),
        s(&dir.0.join("binary.json")),
    ]);
    assert!(r.stderr.contains("not UTF-8"), "{r:?}");
}

#[test]
fn snapshot_validate_unreadable_exits_2() {
    let dir = TempDir::new("validate-missing");
    let r = run(&[
        "snapshot".to_owned(),
        "validate".into(),
        s(&dir.0.join("missing.json")),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("missing.json"), "{r:?}");
    assert!(r.stderr.contains("cannot read"), "{r:?}");
    // A directory is not readable as a file either.
    let r = run(&["snapshot".to_owned(), "validate".into(), s(&dir.0)]);
    assert_eq!(r.code, 2, "{r:?}");
}

// =======================================================================================
// presets, help, bad arguments
// =======================================================================================

#[test]
fn presets_prints_the_eight_vocabularies() {
    let r = run(&["presets"]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), 8, "{r:?}");
    let vocabularies: BTreeSet<&str> = lines
        .iter()
        .map(|l| l["vocabulary"].as_str().expect("vocabulary"))
        .collect();
    assert_eq!(vocabularies.len(), 8, "{vocabularies:?}");
    let group = lines
        .iter()
        .find(|l| l["vocabulary"] == "group")
        .expect("group vocabulary");
    assert_eq!(group["member"], json!(["group_view"]));
    assert_eq!(group["admin"].as_array().unwrap().len(), 23);
    let handle = lines
        .iter()
        .find(|l| l["member"] == json!(["handle_view"]))
        .expect("handle vocabulary");
    assert_eq!(
        handle["admin"],
        json!(["handle_delete", "handle_update", "handle_view"])
    );
}

#[test]
fn help_of_each_subcommand_mentions_its_arguments() {
    let question_args = [
        "--snapshot",
        "--user",
        "--privilege",
        "--group",
        "--space",
        "--handle-service",
        "--handle",
        "--harvester",
        "--cluster",
        "--atm-inventory",
    ];
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--help"],
            vec!["replay", "check", "explain", "snapshot", "presets"],
        ),
        (vec!["replay", "--help"], vec!["<FILE>"]),
        (vec!["check", "--help"], question_args.to_vec()),
        (vec!["explain", "--help"], question_args.to_vec()),
        (vec!["snapshot", "--help"], vec!["validate"]),
        (vec!["snapshot", "validate", "--help"], vec!["<FILE>"]),
        (vec!["presets", "--help"], vec!["Usage: privgraph presets"]),
        (vec!["help", "check"], question_args.to_vec()),
    ];
    for (args, needles) in cases {
        let r = run(&args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        for needle in needles {
            assert!(
                r.stdout.contains(needle),
                "{args:?} mentions {needle}: {r:?}"
            );
        }
    }
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["replay"],
        vec!["replay", "a.json", "b.json"],
        vec!["snapshot"],
        vec!["snapshot", "validate"],
        vec!["check"],
        vec!["presets", "extra"],
        vec!["--no-such-flag"],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stdout.is_empty(), "{args:?}: {r:?}");
        assert!(!r.stderr.trim().is_empty(), "{args:?}: {r:?}");
    }
}

/// `check --operation` decides a request as Onezone would, admins included: an admin
/// holding only the admin privilege of a listing is allowed it, while the privilege
/// question for the same user says deny.
#[test]
fn check_operation_decides_as_onezone_admins_included() {
    let dir = TempDir::new("check-operation");
    let snap = dir.write_json(
        "snapshot.json",
        &json!({
            "version": 1,
            "users": [{"id": "admin", "ozPrivileges": ["oz_handle_services_list_relationships"]},
                      {"id": "u1"}, {"id": "u2"}],
            "handleServices": [{"id": "hs1", "users": {"u1": ["handle_service_update"], "u2": []}}]
        }),
    );
    let snap = s(&snap);
    let op = |user: &str, operation: &str, extra: &[&str]| {
        let mut args = vec![
            "check",
            "--snapshot",
            &snap,
            "--user",
            user,
            "--operation",
            operation,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = op("admin", "GET /handle_services/hs1/users", &[]);
    assert_eq!((r.code, r.lines()), (0, vec!["allow"]), "{r:?}");
    // The same user does not hold the privilege itself.
    let r = run(&[
        "check",
        "--snapshot",
        &snap,
        "--user",
        "admin",
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!((r.code, r.lines()), (3, vec!["deny"]), "{r:?}");
    // A member allowed by the client rule, with the reason.
    let r = op(
        "u1",
        "PATCH /handle_services/hs1/users/u2/privileges",
        &[
            "--body",
            r#"{"grant": ["handle_service_view"]}"#,
            "--explain",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let lines = r.lines();
    assert_eq!(lines[0], "allow");
    let why: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(why["decision"], "allowed");
    assert_eq!(why["reason"]["by"], "rule", "{why}");
    // Denied: what was missing.
    let r = op(
        "u2",
        "PATCH /handle_services/hs1/users/u2/privileges",
        &[
            "--body",
            r#"{"grant": ["handle_service_view"]}"#,
            "--explain",
        ],
    );
    assert_eq!((r.code, r.lines()[0]), (3, "deny"), "{r:?}");
    let why: Value = serde_json::from_str(r.lines()[1]).unwrap();
    assert_eq!(
        why["reason"]["adminMissing"],
        json!(["oz_handle_services_set_privileges"]),
        "{why}"
    );
    // Not found: 4; a missing relation too.
    let r = op("u1", "GET /handle_services/hs9/users", &[]);
    assert_eq!((r.code, r.lines()), (4, vec!["notFound"]), "{r:?}");
    let r = op("u1", "DELETE /handle_services/hs1/users/admin", &[]);
    assert_eq!((r.code, r.lines()), (4, vec!["notFound"]), "{r:?}");
    // Allowed to try, refused for its body: still allow, and the problem is explained.
    let r = op(
        "u1",
        "PATCH /handle_services/hs1/users/u2/privileges",
        &["--body", "{}", "--explain"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let why: Value = serde_json::from_str(r.lines()[1]).unwrap();
    assert_eq!(
        why["problem"]["error"]["id"], "missingAtLeastOneValue",
        "{why}"
    );
    // Bad input: 2.
    for (user, operation, extra) in [
        ("u1", "GET /nowhere", vec![]),
        ("u1", "GET", vec![]),
        ("ghost", "GET /handle_services/hs1/users", vec![]),
        ("u1", "HEAD /handle_services/hs1/users", vec![]),
        (
            "u1",
            "GET /handle_services/hs1/users",
            vec!["--privilege", "handle_service_view"],
        ),
        (
            "u1",
            "GET /handle_services/hs1/users",
            vec!["--handle-service", "hs1"],
        ),
        (
            "u1",
            "PUT /handle_services/hs1/users/u2",
            vec!["--body", "{not json"],
        ),
    ] {
        let r = op(user, operation, &extra);
        assert_eq!(r.code, 2, "{user} {operation} {extra:?}: {r:?}");
        assert!(r.stdout.is_empty(), "{r:?}");
    }
}
