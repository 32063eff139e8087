//! Real processes against a real store: a writer SIGKILLed at random moments, a writer
//! whose files hit their size limit (a full disk), a writer in a directory it cannot
//! write. The child is this test binary run again (`child/writer.rs`).
//!
//! `PRIVGRAPH_CRASH_CYCLES=N` runs N kill cycles (default 100);
//! `PRIVGRAPH_CRASH_SEED=S` repeats a run (each run prints its seed).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use privgraph::graph::{CommittedBatch, Graph};
use privgraph::snapshot;
use privgraph_store::{init, load, log};

mod child;
#[path = "child/writer.rs"]
mod writer;

/// The writer child, when a test of this file started this process as one.
#[test]
#[ignore = "the child process of this file's tests, which start it themselves"]
fn child() {
    if let Some(args) = child::args() {
        std::process::exit(writer::run(&args));
    }
}

/// The tests of this file run one at a time: a child forked by one test holds copies
/// of the parent's open files until it execs, the lock file another test just opened
/// included, which would make that test's own child find its store locked.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

const START: &str = r#"{"version": 1, "users": [{"id": "u1"}],
    "groups": [{"id": "g0", "users": {"u1": ["group_view"]}}]}"#;

/// SplitMix64, seeded per run.
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

/// What a child reported: its acknowledged writes (revision, marker), its
/// errors, and the rest.
#[derive(Debug, Default)]
struct Report {
    acks: Vec<(u64, String)>,
    errors: Vec<String>,
    other: Vec<String>,
}

impl Report {
    /// Every whole line of `text` (a line cut by the kill is not one).
    fn parse(text: &str) -> Report {
        let mut report = Report::default();
        let whole = match text.rfind('\n') {
            Some(end) => &text[..=end],
            None => "",
        };
        for line in whole.lines() {
            if let Some(rest) = line.strip_prefix("ack ") {
                let (revision, marker) = rest.split_once(' ').unwrap_or((rest, ""));
                let revision = revision
                    .parse()
                    .unwrap_or_else(|_| panic!("bad ack {line:?}"));
                report.acks.push((revision, marker.to_owned()));
            } else if let Some(rest) = line.strip_prefix("error ") {
                report.errors.push(rest.to_owned());
            } else {
                report.other.push(line.to_owned());
            }
        }
        report
    }
}

/// The batches after `since`, as lines, verified by the store.
fn lines_after(dir: &Path, since: u64) -> Vec<String> {
    let mut lines = Vec::new();
    log(dir, since, |line| {
        lines.push(line.to_owned());
        Ok(())
    })
    .expect("the store verifies and its log reads");
    lines
}

/// Checks the store after a child stopped: every acknowledged write is in the batch of
/// its revision, and the recovered graph is `replayed` with exactly the batches
/// committed since `head` applied. Returns the new head.
fn verify(dir: &Path, head: u64, replayed: &mut Graph, acks: &[(u64, String)]) -> u64 {
    let recovered = load(dir).expect("the store opens after the child stopped");
    assert!(recovered.revision() >= head, "revisions were lost");
    let new = lines_after(dir, head);
    assert_eq!(new.len() as u64, recovered.revision() - head);
    for line in &new {
        let batch: CommittedBatch = serde_json::from_str(line).expect("a log line");
        replayed
            .apply_committed(&batch)
            .expect("a logged batch applies");
    }
    assert_eq!(replayed.revision(), recovered.revision());
    assert_eq!(snapshot::save(replayed), snapshot::save(&recovered));
    for (revision, marker) in acks {
        assert!(
            *revision > head && *revision <= recovered.revision(),
            "acknowledged revision {revision} is not in the store (head {}, was {head})",
            recovered.revision()
        );
        let line = &new[(revision - head - 1) as usize];
        assert!(
            line.contains(marker.as_str()),
            "the batch of acknowledged revision {revision} does not hold {marker}: {line}"
        );
    }
    recovered.revision()
}

fn spawn_crash_writer(dir: &Path, nonce: u64) -> Child {
    child::command(&[
        "crash",
        &dir.display().to_string(),
        &format!("c{nonce}"),
        "6",
        "40",
    ])
    .stderr(Stdio::piped())
    .spawn()
    .expect("the writer starts")
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_write() {
    let _serial = one_at_a_time();
    let cycles = env_number("PRIVGRAPH_CRASH_CYCLES").unwrap_or(100);
    let seed = env_number("PRIVGRAPH_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    eprintln!("crash test: {cycles} cycles, PRIVGRAPH_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut replayed = snapshot::load(START).unwrap();
    init(dir.path(), &replayed).unwrap();
    let (mut head, mut acked, mut cycles_with_acks) = (0, 0, 0);
    let started = Instant::now();
    for cycle in 0..cycles {
        let mut child = spawn_crash_writer(dir.path(), cycle);
        let mut reported = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut first = String::new();
        // One kill in five lands while the child opens and recovers the store; the
        // others while its threads write.
        if rng.below(5) != 0 {
            reported
                .read_line(&mut first)
                .expect("the child's first line");
            assert_eq!(
                first, "durability wal 2\n",
                "the writer's connection settings"
            );
        }
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        let mut rest = String::new();
        reported
            .read_to_string(&mut rest)
            .expect("the child's output");
        let report = Report::parse(&(first + &rest));
        assert!(
            report.errors.is_empty(),
            "the writer failed: {:?}",
            report.errors
        );
        head = verify(dir.path(), head, &mut replayed, &report.acks);
        acked += report.acks.len();
        cycles_with_acks += usize::from(!report.acks.is_empty());
    }
    eprintln!(
        "crash test: {cycles} kills in {:.1} s, {acked} acknowledged writes, head {head}",
        started.elapsed().as_secs_f64()
    );
    // The kills must have landed among writes, not only before them.
    assert!(
        cycles_with_acks as u64 >= cycles / 2,
        "{cycles_with_acks} of {cycles}"
    );
}

#[test]
fn a_full_disk_fails_writes_leaves_the_graph_unchanged_and_loses_no_acknowledged_one() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut replayed = snapshot::load(START).unwrap();
    init(dir.path(), &replayed).unwrap();
    // Every file the child writes is limited to 600 blocks (300 or 600 KiB, as the
    // shell counts): the WAL reaches it after a few dozen commits. SIGXFSZ is ignored,
    // so the write fails with EFBIG instead of killing the child.
    let writer = child::command(&["fill", &dir.path().display().to_string()]);
    let mut limited = Command::new("sh");
    limited
        .args(["-c", r#"trap "" XFSZ; ulimit -f 600; exec "$0" "$@""#])
        .arg(writer.get_program())
        .args(writer.get_args())
        .envs(writer.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::null());
    let output = limited.output().expect("sh runs the writer");
    let reported = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{output:?}");
    let report = Report::parse(&reported);
    assert_eq!(report.errors.len(), 5, "{reported}");
    assert!(report.acks.len() > 5, "{reported}");
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.starts_with("the write was not stored")),
        "{reported}"
    );
    let last_ack = report.acks.iter().map(|(r, _)| *r).max().unwrap_or(0);
    // After each failure the child found its graph as before the write.
    let after: Vec<&String> = report
        .other
        .iter()
        .filter(|l| !l.starts_with("durability"))
        .collect();
    assert_eq!(after.len(), 5, "{reported}");
    for line in after {
        assert_eq!(line, &format!("unchanged {last_ack}"), "{reported}");
    }
    // Reopened without the limit: exactly the acknowledged writes are there.
    let head = verify(dir.path(), 0, &mut replayed, &report.acks);
    assert_eq!(head, last_ack);
}

#[test]
fn a_directory_the_writer_cannot_write_gives_an_error_and_changes_nothing() {
    let _serial = one_at_a_time();
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("store");
    let graph = snapshot::load(START).unwrap();
    init(&dir, &graph).unwrap();
    let set = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    // Everyone may read the store; nobody but its owner may write the directory, so
    // SQLite cannot create its WAL there. The lock file and database are left
    // writable, so it is the directory that refuses.
    set(parent.path(), 0o755);
    set(&dir.join("privgraph.lock"), 0o666);
    set(&dir.join("privgraph.sqlite"), 0o666);
    set(&dir, 0o555);
    let open = || child::command(&["open", &dir.display().to_string()]);
    // Root may write anywhere: the child then runs as the unprivileged user `nobody`.
    let mut as_nobody = open();
    as_nobody.uid(65534).gid(65534);
    let output = match as_nobody.output() {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => open().output().unwrap(),
        Err(err) => panic!("the writer starts: {err}"),
    };
    set(&dir, 0o755);
    let reported = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = Report::parse(&reported);
    assert!(report.acks.is_empty(), "{reported}");
    assert_eq!(report.errors.len(), 1, "{reported}");
    assert!(
        report.errors[0].contains("cannot open")
            && report.errors[0].contains(&dir.display().to_string()),
        "{reported}"
    );
    let after = load(&dir).unwrap();
    assert_eq!(after.revision(), 0);
    assert_eq!(snapshot::save(&after), snapshot::save(&graph));
}
