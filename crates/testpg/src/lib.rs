//! Test support of privgraph (not published): a throwaway PostgreSQL cluster for the
//! tests and benchmarks of the PostgreSQL store, started on a free port of 127.0.0.1
//! in a temporary directory and stopped when dropped.
//!
//! The server's binaries are looked for in `PG_BIN`, else in the newest
//! `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package). When they are missing,
//! [`Cluster::start`] panics under CI (`CI` set to `true`: CI installs them, so their
//! absence is a failure) and otherwise prints a loud warning and returns `None`, so
//! that a developer without PostgreSQL can run the other tests and is told which were
//! not run.
//!
//! As root (CI runs as root, and PostgreSQL refuses to), the cluster runs as the
//! `postgres` system user, which owns its directory.
//!
//! ```no_run
//! let Some(cluster) = privgraph_testpg::Cluster::start() else { return };
//! let url = cluster.create_database("t1");
//! assert!(url.starts_with("postgresql://postgres@127.0.0.1:"));
//! ```

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A PostgreSQL cluster of its own, stopped (immediately) and removed when dropped.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// The user the server runs as when this process is root.
    run_as: Option<String>,
}

/// The directory of PostgreSQL's server binaries, if any.
fn binaries() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn check(what: &str, output: std::io::Result<Output>) -> Output {
    match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => panic!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(err) => panic!("cannot run {what}: {err}"),
    }
}

impl Cluster {
    /// Creates and starts a cluster; `None` (after a loud warning) when PostgreSQL's
    /// binaries are missing outside CI. Panics on any other failure.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = binaries() else {
            let message = "PostgreSQL's server binaries are missing (no PG_BIN, no \
                           /usr/lib/postgresql/*/bin): `apt-get install -y postgresql`";
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("{message}; CI installs them, so this is a failure");
            }
            eprintln!(
                "\n!!!!!!!!!!\n!!! NOT RUN: this PostgreSQL test needs a server. {message}\n!!!!!!!!!!\n"
            );
            return None;
        };
        let run_as = is_root().then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("privgraph-pg-")
            .tempdir()
            .unwrap_or_else(|err| panic!("cannot make a directory for PostgreSQL: {err}"));
        if let Some(user) = &run_as {
            check(
                "chown of the cluster's directory",
                Command::new("chown").arg(user).arg(dir.path()).output(),
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .unwrap_or_else(|err| panic!("no free port: {err}"));
        let cluster = Cluster {
            bin,
            dir,
            port,
            run_as,
        };
        let data = cluster.data();
        check(
            "initdb",
            cluster
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "--no-sync",
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ])
                .output(),
        );
        cluster.pg_ctl("start");
        Some(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let mut command = self.command("pg_ctl");
        command
            .arg("-D")
            .arg(self.data())
            // Without a log file pg_ctl keeps the server's output, and never returns
            // while it is captured.
            .arg("-l")
            .arg(self.log_file())
            .args(["-o", &options, "-w", "-t", "60", "-m", "fast", action]);
        check(&format!("pg_ctl {action}"), command.output());
    }

    /// The port the server listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `name` (which [`Cluster::create_database`] creates).
    pub fn url(&self, name: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Runs `sql` in database `name` with `psql` and returns what it printed
    /// (unaligned, tuples only).
    pub fn psql(&self, name: &str, sql: &str) -> String {
        let output = check(
            "psql",
            Command::new(self.bin.join("psql"))
                .args([
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    "127.0.0.1",
                ])
                .args([
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    name,
                    "-c",
                    sql,
                ])
                .output(),
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Restarts the server (a fast shutdown: open connections are cut).
    pub fn restart(&self) {
        self.pg_ctl("restart");
    }

    /// The cluster's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
