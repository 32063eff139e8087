//! What the server's process tests share: a `privgraph serve` process ([`Served`]) and
//! the client side, one `ureq` agent that treats every status as an answer, and the
//! answers as status, headers and body.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long a test waits for a server before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running server process, killed when dropped (its stderr printed if the test is
/// failing).
pub struct Served {
    pub child: Child,
    /// `HOST:PORT`, from its first stdout line.
    pub addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    /// Runs `command` (a `privgraph serve …`) and waits for its first stdout line,
    /// `listening on http://HOST:PORT`; panics with its exit status and stderr when it
    /// does not come.
    pub fn spawn(mut command: Command) -> Served {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("privgraph runs");
        // Read on, so that the server never blocks on a full pipe; kept for the test.
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut err = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(PATIENCE).unwrap_or_default();
        let Some(addr) = line.trim_end().strip_prefix("listening on http://") else {
            // Whatever stopped it: its exit status and all it wrote.
            let _ = child.kill();
            let status = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            let said = stderr.lock().map(|s| s.clone()).unwrap_or_default();
            panic!("the first stdout line is {line:?}; {status:?}; stderr: {said}");
        };
        Served {
            addr: addr.to_owned(),
            child,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Sends signal `name` (`TERM`, `HUP`, …) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit by itself; its exit code.
    pub fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, then reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether its stderr comes to contain `needle` within [`PATIENCE`]. The server logs
    /// a request after it answers, and the pipe is read by another thread, so a line
    /// can arrive after the answer does.
    pub fn stderr_comes_to_contain(&self, needle: &str) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while !self.stderr().contains(needle) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// All it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("stderr of the server on {}:\n{}", self.addr, self.stderr());
        }
    }
}

/// An answer: status, headers, the body as text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn revision(&self) -> u64 {
        self.header("x-privgraph-revision")
            .unwrap_or_else(|| panic!("no X-Privgraph-Revision on {self:?}"))
            .parse()
            .unwrap()
    }

    /// The last segment of the `Location` of a 201: the new id.
    pub fn created_id(&self) -> String {
        assert_eq!(self.status, 201, "{self:?}");
        let location = self.header("location").expect("a 201 carries a Location");
        location.rsplit('/').next().unwrap().to_owned()
    }
}

/// An agent for which a 4xx or 5xx is an answer, not an error.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

/// Sends one request; `body` goes as JSON unless a header says otherwise.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        request = request.header("Content-Type", "application/json");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = agent.run(request.body(body.to_vec()).unwrap())?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = if method == "HEAD" {
        String::new()
    } else {
        response.body_mut().read_to_string()?
    };
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// A GET that must be answered.
pub fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Reply {
    send(agent, "GET", url, headers, b"").expect("an answer")
}
