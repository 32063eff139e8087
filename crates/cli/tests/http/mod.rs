//! The HTTP client side the server's process tests share: one `ureq` agent that treats
//! every status as an answer, and the answers as status, headers and body.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::time::Duration;

/// How long a test waits for a server before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

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
