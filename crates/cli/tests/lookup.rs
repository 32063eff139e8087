//! `privgraph lookup resources` and `privgraph lookup subjects`, driven as processes:
//! sorted answers as `docs/cli.md` gives them, exit 0 also for an empty answer, exit 2
//! for every bad input (a missing or unknown flag, an unknown kind, subject, entity or
//! privilege, a snapshot or store that cannot be read or is invalid).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
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

impl Run {
    /// The one line printed, as JSON.
    fn json(&self) -> Value {
        assert_eq!(self.stdout.lines().count(), 1, "{self:?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {self:?}"))
    }
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_privgraph"))
        .args(args)
        .output()
        .expect("the privgraph binary runs");
    Run {
        code: status.code().expect("an exit code"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

fn s(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

/// Users: `owner` owns s2 with no privileges, `admin` holds every oz privilege about
/// spaces and is a member of nothing, `deep` is in `low`, nested in `mid`, nested in
/// `top`. `top` holds space_view in s1 and s3, `mid` handle_service_view in hs1.
const SNAPSHOT: &str = r#"{"version": 1,
    "users": [{"id": "owner"}, {"id": "deep"},
              {"id": "admin", "ozPrivileges": ["oz_spaces_view", "oz_spaces_set_privileges", "oz_spaces_add_relationships"]}],
    "groups": [{"id": "top", "children": {"mid": ["group_view"]}},
               {"id": "mid", "children": {"low": ["group_update"]}},
               {"id": "low", "users": {"deep": []}}],
    "spaces": [{"id": "s3", "groups": {"top": ["space_view"]}},
               {"id": "s2", "owners": ["owner"], "users": {"owner": []}},
               {"id": "s1", "groups": {"top": ["space_view", "space_update"]}}],
    "handleServices": [{"id": "hs1", "users": {"owner": ["handle_service_view"]},
                        "groups": {"mid": ["handle_service_view"]}}]}"#;

fn snapshot(dir: &Path) -> String {
    let path = dir.join("snapshot.json");
    std::fs::write(&path, SNAPSHOT).expect("write the snapshot");
    s(&path)
}

fn resources(source: &[&str], subject: &[&str], kind: &str, privilege: &str) -> Run {
    let mut args = vec!["lookup", "resources"];
    args.extend(source);
    args.extend(subject);
    args.extend(["--kind", kind, "--privilege", privilege]);
    run(&args)
}

#[test]
fn resources_of_users_and_groups_sorted_owners_included_oz_never() {
    let dir = tempfile::tempdir().unwrap();
    let file = snapshot(dir.path());
    let source = ["--snapshot", file.as_str()];
    let cases: [(&[&str], &str, &str, Value); 8] = [
        (
            &["--user", "deep"],
            "space",
            "space_view",
            json!({"ids": ["s1", "s3"]}),
        ),
        (
            &["--user", "deep"],
            "space",
            "space_update",
            json!({"ids": ["s1"]}),
        ),
        (
            &["--user", "owner"],
            "space",
            "space_delete",
            json!({"ids": ["s2"]}),
        ),
        (
            &["--user", "admin"],
            "space",
            "space_view",
            json!({"ids": []}),
        ),
        (
            &["--group", "low"],
            "group",
            "group_view",
            json!({"ids": ["top"]}),
        ),
        (
            &["--group", "low"],
            "group",
            "group_update",
            json!({"ids": ["mid"]}),
        ),
        (
            &["--user", "deep"],
            "handle_service",
            "handle_service_view",
            json!({"ids": ["hs1"]}),
        ),
        (
            &["--group", "top"],
            "handle_service",
            "handle_service_view",
            json!({"ids": []}),
        ),
    ];
    for (subject, kind, privilege, want) in cases {
        let got = resources(&source, subject, kind, privilege);
        assert_eq!(got.code, 0, "{subject:?} {kind} {privilege}: {got:?}");
        assert_eq!(got.json(), want, "{subject:?} {kind} {privilege}");
    }
}

#[test]
fn subjects_of_an_entity_sorted_users_then_groups() {
    let dir = tempfile::tempdir().unwrap();
    let file = snapshot(dir.path());
    let cases: [(&str, &str, &str, Value); 5] = [
        (
            "--space",
            "s1",
            "space_view",
            json!({"users": ["deep"], "groups": ["low", "mid", "top"]}),
        ),
        (
            "--space",
            "s2",
            "space_delete",
            json!({"users": ["owner"], "groups": []}),
        ),
        (
            "--handle-service",
            "hs1",
            "handle_service_view",
            json!({"users": ["deep", "owner"], "groups": ["low", "mid"]}),
        ),
        (
            "--group",
            "top",
            "group_view",
            json!({"users": ["deep"], "groups": ["low", "mid"]}),
        ),
        (
            "--group",
            "mid",
            "group_view",
            json!({"users": [], "groups": []}),
        ),
    ];
    for (flag, id, privilege, want) in cases {
        let got = run(&[
            "lookup",
            "subjects",
            "--snapshot",
            &file,
            flag,
            id,
            "--privilege",
            privilege,
        ]);
        assert_eq!(got.code, 0, "{flag} {id} {privilege}: {got:?}");
        assert_eq!(got.json(), want, "{flag} {id} {privilege}");
    }
}

#[test]
fn the_kind_flag_names_every_kind_a_resource_lookup_takes() {
    let help = run(&["lookup", "resources", "--help"]);
    assert_eq!(help.code, 0, "{help:?}");
    assert!(
        help.stdout.contains(
            "The kind of entity to list: group, space, handle_service, handle, harvester, \
             cluster or atm_inventory"
        ),
        "{help:?}"
    );
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = snapshot(dir.path());
    let invalid = dir.path().join("invalid.json");
    std::fs::write(
        &invalid,
        r#"{"version": 1, "users": [{"id": "u1"}, {"id": "u1"}]}"#,
    )
    .unwrap();
    let invalid = s(&invalid);
    let missing = s(&dir.path().join("missing.json"));
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "unknown user",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--user",
                "nobody",
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "unknown group",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--group",
                "nobody",
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "privilege of another kind",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--user",
                "deep",
                "--kind",
                "space",
                "--privilege",
                "group_view",
            ],
        ),
        (
            "a kind without members",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--user",
                "deep",
                "--kind",
                "share",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "user and group",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--user",
                "deep",
                "--group",
                "low",
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "no subject",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &file,
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "no source",
            vec![
                "lookup",
                "resources",
                "--user",
                "deep",
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "unknown entity",
            vec![
                "lookup",
                "subjects",
                "--snapshot",
                &file,
                "--space",
                "s9",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "no entity",
            vec![
                "lookup",
                "subjects",
                "--snapshot",
                &file,
                "--privilege",
                "space_view",
            ],
        ),
        (
            "two entities",
            vec![
                "lookup",
                "subjects",
                "--snapshot",
                &file,
                "--space",
                "s1",
                "--group",
                "top",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "no privilege",
            vec!["lookup", "subjects", "--snapshot", &file, "--space", "s1"],
        ),
        (
            "invalid snapshot",
            vec![
                "lookup",
                "subjects",
                "--snapshot",
                &invalid,
                "--space",
                "s1",
                "--privilege",
                "space_view",
            ],
        ),
        (
            "missing snapshot",
            vec![
                "lookup",
                "resources",
                "--snapshot",
                &missing,
                "--user",
                "deep",
                "--kind",
                "space",
                "--privilege",
                "space_view",
            ],
        ),
    ];
    for (what, args) in runs {
        let got = run(&args);
        assert_eq!(got.code, 2, "{what}: {got:?}");
        assert!(got.stdout.is_empty(), "{what}: {got:?}");
        assert!(!got.stderr.trim().is_empty(), "{what}: {got:?}");
    }
    let unknown = run(&[
        "lookup",
        "resources",
        "--snapshot",
        &file,
        "--user",
        "nobody",
        "--kind",
        "space",
        "--privilege",
        "space_view",
    ]);
    assert!(unknown.stderr.contains("no user `nobody`"), "{unknown:?}");
    let wrong = run(&[
        "lookup",
        "resources",
        "--snapshot",
        &file,
        "--user",
        "deep",
        "--kind",
        "space",
        "--privilege",
        "group_view",
    ]);
    assert!(
        wrong.stderr.contains("space_view"),
        "the message lists the space privileges: {wrong:?}"
    );
}

#[test]
fn a_store_is_read_wherever_a_snapshot_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = snapshot(dir.path());
    let store: PathBuf = dir.path().join("store");
    let init = run(&["db", "init", &s(&store), "--from", &file]);
    assert_eq!(init.code, 0, "{init:?}");
    let store = s(&store);
    let from_store = resources(
        &["--data", &store],
        &["--user", "deep"],
        "space",
        "space_view",
    );
    let from_file = resources(
        &["--snapshot", &file],
        &["--user", "deep"],
        "space",
        "space_view",
    );
    assert_eq!(from_store.code, 0, "{from_store:?}");
    assert_eq!(from_store.json(), from_file.json());
    let holders = run(&[
        "lookup",
        "subjects",
        "--data",
        &store,
        "--handle-service",
        "hs1",
        "--privilege",
        "handle_service_view",
    ]);
    assert_eq!(
        holders.json(),
        json!({"users": ["deep", "owner"], "groups": ["low", "mid"]})
    );
    let not_a_store = run(&[
        "lookup",
        "subjects",
        "--data",
        &s(dir.path()),
        "--space",
        "s1",
        "--privilege",
        "space_view",
    ]);
    assert_eq!(not_a_store.code, 2, "{not_a_store:?}");
}
