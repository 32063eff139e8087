//! Child processes for the tests that kill or limit a real process: the test binary
//! runs itself again with the ignored test `child` selected and its arguments in an
//! environment variable. The helpers therefore stay inside the tests and are neither
//! built into the crate nor installed with it.
//!
//! A child reports one line per event on **stderr** (libtest writes its own lines to
//! stdout) and ends with `std::process::exit`, so its exit code is its own.

use std::io::Write;
use std::process::Command;

const ARGS: &str = "PRIVGRAPH_STORE_TEST_CHILD";

/// The command running this test binary's `child` test with `args`.
pub fn command(args: &[&str]) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args(["child", "--exact", "--ignored", "--nocapture", "--quiet"])
        .args(["--test-threads", "1"])
        .env(ARGS, args.join("\n"))
        .stdout(std::process::Stdio::null());
    command
}

/// The arguments a parent gave, or `None` when the `child` test was run by hand.
pub fn args() -> Option<Vec<String>> {
    let joined = std::env::var(ARGS).ok()?;
    Some(joined.split('\n').map(str::to_owned).collect())
}

/// Writes one whole line to stderr in a single write, so a kill leaves at most one cut
/// line, the last.
pub fn say(line: std::fmt::Arguments<'_>) {
    let text = format!("{line}\n");
    // The parent reads every line; a closed pipe means it no longer does.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
