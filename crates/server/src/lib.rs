//! privgraph over HTTP: Onezone's REST API, privgraph's own endpoints and the
//! operators' ones, served from a durable store. The `privgraph serve` command is
//! [`serve`]; the repository's `docs/server.md` lists every header, endpoint, limit
//! and exit code.
//!
//! The server is a thin layer: every request is routed, authorized, validated and
//! answered by `privgraph::rest` and the library. Reads are answered from the
//! store's [`Reader`] and never wait for a write;
//! writes go through the store's [`WriteHandle`](privgraph_store::WriteHandle) (one
//! writer, group commit), and a write's `2xx` is sent only after its batch is
//! durable. Every answer carries `X-Privgraph-Revision`, the revision it reflects.
//!
//! ```
//! use std::io::{Read, Write};
//! use privgraph_server::{Config, Server};
//!
//! let dir = tempfile::tempdir()?;
//! privgraph_store::init(dir.path(), &privgraph::snapshot::load(r#"{"version": 1,
//!     "users": [{"id": "u1"}], "groups": [{"id": "g1", "users": {"u1": ["group_view"]}}]}"#)?)?;
//! let server = Server::start(Config::new(dir.path()).listen("127.0.0.1:0"))?;
//!
//! let mut client = std::net::TcpStream::connect(server.local_addr())?;
//! client.write_all(b"GET /groups/g1/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer)?;
//! // Without a tokens file every request is `nobody`: Onezone's 401.
//! assert!(answer.starts_with("HTTP/1.1 401"));
//! assert!(answer.to_ascii_lowercase().contains("x-privgraph-revision: 0\r\n"));
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Costs
//!
//! A read costs the adapter's work plus one atomic load of the published graph; a
//! write costs its share of one SQLite transaction (one `fsync` per group of writes).
//! Each connection is one task; each request one JSON body in memory (at most 1 MiB).

mod answer;
mod app;
mod metrics;
mod own;
mod tokens;

use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use privgraph::concurrent::Reader;
use privgraph_store::{Store, StoreError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use tokens::{Tokens, TokensError};

use app::State;

/// How a server runs: its store, address, tokens and limits.
///
/// ```
/// use std::time::Duration;
/// let config = privgraph_server::Config::new("data").listen("0.0.0.0:8443");
/// assert_eq!(config.at_least_timeout, Duration::from_secs(5));
/// assert_eq!(config.limits.max_connections, 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// The store's directory (made by `privgraph db init`).
    pub data: PathBuf,
    /// Where to listen, `HOST:PORT` (port 0: any free port). Default `127.0.0.1:8080`.
    pub listen: String,
    /// The tokens file; `None`: every request is `nobody`.
    pub tokens: Option<PathBuf>,
    /// How long a request with `X-Privgraph-At-Least` waits for its revision before
    /// it is answered `503`. Default 5 s.
    pub at_least_timeout: Duration,
    /// TLS (HTTPS) with this certificate chain and key, both PEM files.
    pub tls: Option<Tls>,
    /// Connection and request limits.
    pub limits: Limits,
    /// How the store writes.
    pub store: privgraph_store::Config,
}

/// A certificate chain and its private key, PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS #8, PKCS #1 or SEC1).
    pub key: PathBuf,
}

/// What a client may hold: time, connections, bytes.
///
/// ```
/// let limits = privgraph_server::Limits::default();
/// assert_eq!(limits.header_timeout.as_secs(), 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The time a connection has to send a request's headers whole, counted from
    /// when it is ready for a request (accepted, or its last answer sent): so also
    /// how long an idle keep-alive connection stays open. A TLS handshake has the
    /// same time. Default 10 s.
    pub header_timeout: Duration,
    /// The time a request's body has to arrive whole once its headers did. Default
    /// 30 s.
    pub body_timeout: Duration,
    /// Connections served at once; more wait to be accepted. Default 1,024.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight. Default 30 s.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// The defaults, serving the store in `data`.
    pub fn new(data: impl Into<PathBuf>) -> Config {
        Config {
            data: data.into(),
            listen: "127.0.0.1:8080".to_owned(),
            tokens: None,
            at_least_timeout: Duration::from_secs(5),
            tls: None,
            limits: Limits::default(),
            store: privgraph_store::Config::default(),
        }
    }

    /// The same, listening on `addr`.
    pub fn listen(mut self, addr: impl Into<String>) -> Config {
        self.listen = addr.into();
        self
    }
}

/// Why the server did not start (or stopped). [`ServeError::exit_code`] is the exit
/// code `privgraph serve` gives for it.
///
/// ```
/// use privgraph_server::ServeError;
/// let err = ServeError::NoStore { dir: "data".into() };
/// assert_eq!(err.to_string(), "data holds no privgraph store; create one with privgraph db init");
/// assert_eq!(err.exit_code(), 2);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// An argument that cannot be used (an address that does not resolve, …).
    #[error("{0}")]
    BadArgument(String),
    /// The directory holds no store.
    #[error("{} holds no privgraph store; create one with privgraph db init", dir.display())]
    NoStore {
        /// The directory.
        dir: PathBuf,
    },
    /// The address cannot be listened on (busy, or not this machine's).
    #[error("cannot listen on {addr}: {message}")]
    Bind {
        /// The address.
        addr: String,
        /// The system's message.
        message: String,
    },
    /// The tokens file was refused.
    #[error(transparent)]
    Tokens(#[from] TokensError),
    /// The certificate or the key cannot be used.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// Another process writes the store.
    #[error("the store in {} is locked by another writer (a server or privgraph db compact)", dir.display())]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// The store could not be opened (damaged, of another version, unreadable).
    #[error("cannot open the store: {0}")]
    Store(StoreError),
    /// The system refused something the server needs (threads, signal handlers).
    #[error("{context}: {message}")]
    System {
        /// What was being done.
        context: &'static str,
        /// The system's message.
        message: String,
    },
}

impl ServeError {
    /// `privgraph serve`'s exit code: 2 bad arguments, a missing store, a busy port, a
    /// tokens file readable by group or others (or otherwise refused), unusable TLS
    /// files, an unreadable store; 3 a store that fails its integrity check or is of
    /// another version; 5 a store locked by another writer; 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::BadArgument(_)
            | ServeError::NoStore { .. }
            | ServeError::Bind { .. }
            | ServeError::Tokens(_)
            | ServeError::Tls(_) => 2,
            ServeError::Locked { .. } => 5,
            ServeError::Store(StoreError::Corrupt { .. } | StoreError::Version { .. }) => 3,
            ServeError::Store(_) => 2,
            ServeError::System { .. } => 1,
        }
    }

    fn system(context: &'static str, err: &std::io::Error) -> ServeError {
        ServeError::System {
            context,
            message: err.to_string(),
        }
    }
}

/// A running server. [`Server::shutdown`] stops it gracefully; dropping it stops it
/// the same way.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    stop: watch::Sender<bool>,
    accepting: Option<tokio::task::JoinHandle<()>>,
    store: Option<Store>,
    state: Arc<State>,
    tokens_path: Option<PathBuf>,
    watching: Arc<AtomicBool>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "State(revision {})", self.reader.revision())
    }
}

impl Server {
    /// Starts serving: reads the tokens file and the TLS files, listens, opens the
    /// store (its writer's lock held until shutdown), and accepts connections on a
    /// runtime of its own.
    pub fn start(config: Config) -> Result<Server, ServeError> {
        let tokens = match &config.tokens {
            Some(path) => Some(ArcSwap::from_pointee(Tokens::load(path)?)),
            None => None,
        };
        let tls = match &config.tls {
            Some(tls) => Some(tls_acceptor(tls)?),
            None => None,
        };
        let addr = config
            .listen
            .to_socket_addrs()
            .map_err(|err| ServeError::BadArgument(format!("--listen {}: {err}", config.listen)))?
            .next()
            .ok_or_else(|| {
                ServeError::BadArgument(format!("--listen {}: no address", config.listen))
            })?;
        let bind_error = |err: std::io::Error| ServeError::Bind {
            addr: config.listen.clone(),
            message: err.to_string(),
        };
        let listener = StdListener::bind(addr).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let store = open_store(&config)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("privgraph-http")
            .build()
            .map_err(|err| ServeError::system("cannot start the runtime", &err))?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(listener).map_err(bind_error)?
        };
        let reader = store.reader();
        let (revision_tx, revisions) = watch::channel(reader.revision());
        let watching = Arc::new(AtomicBool::new(true));
        spawn_revision_watch(reader.clone(), revision_tx, Arc::clone(&watching))?;
        let state = Arc::new(State {
            reader,
            writes: store.handle(),
            tokens,
            metrics: metrics::Metrics::default(),
            queued_writes: Arc::new(AtomicI64::new(0)),
            revisions,
            at_least_timeout: config.at_least_timeout,
            body_timeout: config.limits.body_timeout,
        });
        let (stop, stopped) = watch::channel(false);
        let accepting = runtime.spawn(accept(
            listener,
            Arc::clone(&state),
            tls,
            config.limits.clone(),
            stopped,
        ));
        tracing::info!(
            store = %config.data.display(),
            revision = store.revision(),
            %addr,
            tls = config.tls.is_some(),
            "serving"
        );
        Ok(Server {
            addr,
            runtime: Some(runtime),
            stop,
            accepting: Some(accepting),
            store: Some(store),
            state,
            tokens_path: config.tokens.clone(),
            watching,
        })
    }

    /// The address it listens on (the port chosen, when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Reads the tokens file again and returns how many tokens it holds; on an error
    /// the tokens in use stay. `Ok(0)` without a tokens file.
    pub fn reload_tokens(&self) -> Result<usize, TokensError> {
        let (Some(path), Some(tokens)) = (&self.tokens_path, &self.state.tokens) else {
            return Ok(0);
        };
        let loaded = Tokens::load(path)?;
        let count = loaded.len();
        tokens.store(Arc::new(loaded));
        Ok(count)
    }

    /// Serves until SIGTERM or SIGINT, reloading the tokens file on every SIGHUP,
    /// then shuts down gracefully. `ready` is called once the signals are handled,
    /// with the address served.
    #[cfg(unix)]
    pub fn run_until_signalled(self, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
        use tokio::signal::unix::{SignalKind, signal};
        let Some(runtime) = &self.runtime else {
            return Ok(());
        };
        let mut signals = runtime.block_on(async {
            let handler = |kind| signal(kind);
            Ok::<_, std::io::Error>((
                handler(SignalKind::terminate())?,
                handler(SignalKind::interrupt())?,
                handler(SignalKind::hangup())?,
            ))
        });
        let (terminate, interrupt, hangup) = match &mut signals {
            Ok(signals) => signals,
            Err(err) => return Err(ServeError::system("cannot handle signals", err)),
        };
        ready(self.addr);
        runtime.block_on(async {
            loop {
                tokio::select! {
                    _ = terminate.recv() => break,
                    _ = interrupt.recv() => break,
                    _ = hangup.recv() => match self.reload_tokens() {
                        Ok(count) => tracing::info!(tokens = count, "reloaded the tokens file"),
                        Err(err) => tracing::error!(error = %err, "kept the tokens in use"),
                    },
                }
            }
        });
        tracing::info!("shutting down: finishing the requests in flight");
        self.shutdown();
        Ok(())
    }

    /// Stops accepting connections, lets every request in flight finish (up to
    /// [`Limits::drain_timeout`]), then closes the store once its writer has answered
    /// every write queued.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let _ = self.stop.send(true);
        if let (Some(runtime), Some(accepting)) = (&self.runtime, self.accepting.take()) {
            let _ = runtime.block_on(accepting);
        }
        if let Some(store) = self.store.take() {
            store.close();
        }
        self.watching.store(false, Ordering::Relaxed);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// [`Server::start`], then [`Server::run_until_signalled`]: `privgraph serve`.
/// `ready` gets the address once the server serves and handles its signals.
#[cfg(unix)]
pub fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    if config.tokens.is_none() {
        tracing::warn!("no --tokens file: every request is answered as nobody");
    }
    Server::start(config)?.run_until_signalled(ready)
}

/// Logs to stderr, one line per event, at the level `PRIVGRAPH_LOG` names (`error`,
/// `warn`, `info` — the default —, `debug`, `trace`). Every answered request is one
/// `info` line with its request id, method, path, status, revision and duration.
pub fn init_logging() {
    let level = std::env::var("PRIVGRAPH_LOG")
        .ok()
        .and_then(|level| level.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_ansi(false)
        .try_init();
}

fn open_store(config: &Config) -> Result<Store, ServeError> {
    Store::open(&config.data, config.store.clone()).map_err(|err| match err {
        StoreError::NotAStore { dir, .. } => ServeError::NoStore { dir },
        StoreError::Locked { dir } => ServeError::Locked { dir },
        other => ServeError::Store(other),
    })
}

/// Publishes every revision the store's readers see to the requests waiting for one
/// (`X-Privgraph-At-Least`), from one thread, so that waiting holds no thread.
fn spawn_revision_watch(
    reader: Reader,
    revisions: watch::Sender<u64>,
    watching: Arc<AtomicBool>,
) -> Result<(), ServeError> {
    std::thread::Builder::new()
        .name("privgraph-revisions".to_owned())
        .spawn(move || {
            let mut seen = reader.revision();
            while watching.load(Ordering::Relaxed) {
                // Wakes at each publish; the timeout only lets it notice a shutdown.
                if let Ok(graph) = reader.wait_for(seen + 1, Duration::from_millis(200)) {
                    seen = graph.revision();
                    drop(graph);
                    revisions.send_replace(seen);
                }
            }
        })
        .map(drop)
        .map_err(|err| ServeError::system("cannot start the revision watch", &err))
}

fn tls_acceptor(tls: &Tls) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let failed = |what: &Path, err: &dyn std::fmt::Display| {
        ServeError::Tls(format!("{}: {err}", what.display()))
    };
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|err| failed(&tls.cert, &err))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| failed(&tls.cert, &err))?;
    if certs.is_empty() {
        return Err(failed(&tls.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|err| failed(&tls.key, &err))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ServeError::Tls(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| ServeError::Tls(err.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until `stopped`, at most `limits.max_connections` at once,
/// then waits for those in flight to finish.
async fn accept(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            _ = stopped.wait_for(|&stop| stop) => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|&stop| stop) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, or a connection reset before it was
                // accepted: wait a moment rather than spin.
                tracing::warn!(error = %err, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = Arc::clone(&state);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            state.metrics.connections.fetch_add(1, Ordering::Relaxed);
            match tls {
                None => serve_connection(tcp, state.clone(), watcher, header_timeout).await,
                Some(tls) => match tokio::time::timeout(header_timeout, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        serve_connection(stream, state.clone(), watcher, header_timeout).await
                    }
                    Ok(Err(err)) => tracing::debug!(%peer, error = %err, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            state.metrics.connections.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still in flight after the drain timeout were cut off");
        }
    }
}

async fn serve_connection<I>(
    io: I,
    state: Arc<State>,
    watcher: hyper_util::server::graceful::Watcher,
    header_timeout: Duration,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, std::convert::Infallible>(app::handle(state, request).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        // Headers beyond 64 KiB are refused (431); a path beyond 4 KiB gets the
        // adapter's 414.
        .max_buf_size(64 * 1024);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!(error = %err, "connection closed");
    }
}
