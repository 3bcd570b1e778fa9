//! offcloud beside what a user would otherwise run for a small API in a test suite (`--peers`):
//! a Prism mock of offcloud's own Memgraph OpenAPI, moto's server, json-server, and a hand-written
//! FastAPI + SQLite twin of the Memgraph call (bench/fastapi_stats.py).
//!
//! `bench/peers.sh` installs them, pinned, under `target/peers/` (a Python venv and an npm
//! prefix) the first time; later runs fetch nothing. Each peer then goes through the code that
//! measures offcloud: spawn to first 200 answer ([`first_answer`]), resident memory after start
//! ([`Memory`]), and [`load`] at the same concurrency. A peer that did not install or did not
//! answer keeps its row, saying why.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use serde_json::json;

use super::{
    CONCURRENCY, Connection, LoadResult, Memory, Offcloud, Options, Report, Scenario, Startup,
    build, first_answer, free_port, load, mib, ms,
};

const INSTALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/peers.sh");
const FASTAPI_APP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/fastapi_stats.py");
const API_KEY: &str = "bench-api-key";
/// As many beliefs as the offcloud tenant whose `GET /v1/stats` is compared holds.
const BELIEFS: usize = 100;

/// moto's server dispatches on the service named in a SigV4 credential scope and checks no
/// signature by default: this is the header shape an AWS SDK sends.
const S3_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

#[derive(Clone, Copy)]
enum Runtime {
    Node,
    Python,
}

type Prepare = fn(&Folder) -> Result<(), String>;

struct Peer {
    name: &'static str,
    /// `target/peers/STAMP.ok` holds the pinned version once `bench/peers.sh` installed it.
    stamp: &'static str,
    runtime: Runtime,
    /// The call measured, as the results table says it.
    route: &'static str,
    request: fn() -> Request<Full<Bytes>>,
    /// Writes what it serves, before it is first started.
    prepare: Option<Prepare>,
    /// Sent once before the load, so that the call has something to list.
    setup: Option<fn() -> Request<Full<Bytes>>>,
    command: fn(&Folder, u16) -> Command,
}

fn peers() -> [Peer; 4] {
    [
        Peer {
            name: "Prism",
            stamp: "prism",
            runtime: Runtime::Node,
            route: "`prism mock` of offcloud's `/_offcloud/openapi/memgraph.json`: `GET /v1/stats`, API key (a static answer made from the schema)",
            request: || build(Method::GET, "/v1/stats", &[("x-api-key", API_KEY)], None),
            prepare: None,
            setup: None,
            command: |folder, port| {
                let mut command = Command::new("node");
                command
                    .arg(folder.npm("@stoplight/prism-cli/dist/index.js"))
                    .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
                    .arg(folder.run.join("memgraph.json"));
                command
            },
        },
        Peer {
            name: "moto",
            stamp: "moto",
            runtime: Runtime::Python,
            route: "`moto_server`: S3 `ListBuckets` (`GET /`, one bucket; it closes the connection after every answer)",
            request: || {
                build(
                    Method::GET,
                    "/",
                    &[("authorization", S3_AUTHORIZATION)],
                    None,
                )
            },
            prepare: None,
            setup: Some(|| {
                build(
                    Method::PUT,
                    "/bench",
                    &[("authorization", S3_AUTHORIZATION)],
                    None,
                )
            }),
            command: |folder, port| {
                let mut command = Command::new(folder.root.join("venv/bin/moto_server"));
                command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
                command
            },
        },
        Peer {
            name: "json-server",
            stamp: "json-server",
            runtime: Runtime::Node,
            route: "`GET /stats`: the same stats object, from its `db.json`",
            request: || build(Method::GET, "/stats", &[], None),
            prepare: Some(|folder| {
                let stats = json!({"stats": {
                    "tenant_id": "bench", "total_events": 0, "total_episodes": 0,
                    "total_beliefs": BELIEFS, "active_beliefs": BELIEFS, "pending_episodes": 0,
                    "total_users": 0,
                }});
                folder.write("db.json", stats.to_string().as_bytes())
            }),
            setup: None,
            command: |folder, port| {
                let mut command = Command::new("node");
                command
                    .arg(folder.npm("json-server/lib/cli/bin.js"))
                    .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                    .arg(folder.run.join("db.json"))
                    // Its default static folder is `./public`.
                    .current_dir(&folder.run);
                command
            },
        },
        Peer {
            name: "FastAPI",
            stamp: "fastapi",
            runtime: Runtime::Python,
            route: "hand-written `GET /v1/stats` over SQLite, API key, 100 beliefs (bench/fastapi_stats.py, uvicorn)",
            request: || build(Method::GET, "/v1/stats", &[("x-api-key", API_KEY)], None),
            prepare: Some(|folder| {
                let seeded = Command::new(folder.python())
                    .arg(FASTAPI_APP)
                    .arg("seed")
                    .arg(folder.run.join("stats.db"))
                    .args([API_KEY, &BELIEFS.to_string()])
                    .status();
                match seeded {
                    Ok(status) if status.success() => Ok(()),
                    outcome => Err(format!("bench/fastapi_stats.py seed failed: {outcome:?}")),
                }
            }),
            setup: None,
            command: |folder, port| {
                let mut command = Command::new(folder.python());
                command
                    .arg(FASTAPI_APP)
                    .arg("serve")
                    .arg(folder.run.join("stats.db"))
                    .arg(port.to_string());
                command
            },
        },
    ]
}

/// `target/peers/`: what `bench/peers.sh` installed, and `run/` for the files the peers serve.
struct Folder {
    root: PathBuf,
    run: PathBuf,
}

impl Folder {
    fn new() -> Folder {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/peers"));
        let run = root.join("run");
        Folder { root, run }
    }

    fn npm(&self, script: &str) -> PathBuf {
        self.root.join("npm/node_modules").join(script)
    }

    fn write(&self, name: &str, body: &[u8]) -> Result<(), String> {
        let path = self.run.join(name);
        std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn python(&self) -> PathBuf {
        self.root.join("venv/bin/python")
    }

    /// The pinned version `bench/peers.sh` installed, if it did.
    fn installed(&self, stamp: &str) -> Option<String> {
        let version = std::fs::read_to_string(self.root.join(format!("{stamp}.ok"))).ok()?;
        Some(version.trim().to_owned())
    }

    /// Why a peer is missing: the last error its install wrote (`ERROR:` from pip, `...Error:`
    /// from npm), else its last line.
    fn install_failure(&self, stamp: &str) -> String {
        let log =
            std::fs::read_to_string(self.root.join(format!("{stamp}.log"))).unwrap_or_default();
        let lines = || log.lines().rev().map(str::trim).filter(|l| !l.is_empty());
        let why = lines()
            .find(|l| l.contains("rror:"))
            .or_else(|| lines().next())
            .unwrap_or("no install log");
        let why: String = why.replace('|', "/").chars().take(200).collect();
        format!("not installed: {why} (target/peers/{stamp}.log)")
    }

    fn runtime_version(&self, runtime: Runtime) -> String {
        let (program, name) = match runtime {
            Runtime::Node => (PathBuf::from("node"), "Node"),
            Runtime::Python => (self.python(), "Python"),
        };
        let version = Command::new(program)
            .arg("--version")
            .output()
            .ok()
            .map(|o| {
                String::from_utf8_lossy(&[o.stdout, o.stderr].concat())
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        let version = version
            .trim_start_matches("Python ")
            .trim_start_matches('v');
        format!("{name} {version}")
    }
}

pub(super) struct Peers {
    starts: usize,
    rows: Vec<Row>,
}

struct Row {
    name: &'static str,
    /// The pinned version and its runtime; only the name when it did not install (the pins are
    /// in bench/peers.sh).
    version: String,
    route: &'static str,
    outcome: Result<Measured, String>,
}

struct Measured {
    startup: Startup,
    idle: Memory,
    load: LoadResult,
}

/// Installs what is missing, then measures each peer in turn.
pub(super) async fn measure(options: &Options, starts: usize) -> Peers {
    let folder = Folder::new();
    match Command::new("bash").arg(INSTALL).arg(&folder.root).status() {
        Ok(status) if status.success() => {}
        outcome => eprintln!("peers: {INSTALL} failed: {outcome:?}"),
    }
    let prepared = prepare(options, &folder).await;
    let mut rows = Vec::new();
    for peer in peers() {
        let version = folder.installed(peer.stamp);
        let outcome = match (&version, &prepared) {
            (None, _) => Err(folder.install_failure(peer.stamp)),
            (Some(_), Err(why)) => Err(why.clone()),
            (Some(_), Ok(())) => measure_peer(&peer, &folder, starts, options).await,
        };
        eprintln!(
            "{}: {}",
            peer.name,
            match &outcome {
                Ok(m) => format!("{:?} {:?} {:?}", m.startup, m.idle, m.load),
                Err(why) => why.clone(),
            }
        );
        let version = match version {
            Some(version) => format!("{version} ({})", folder.runtime_version(peer.runtime)),
            None => peer.stamp.to_owned(),
        };
        rows.push(Row {
            name: peer.name,
            version,
            route: peer.route,
            outcome,
        });
    }
    Peers { starts, rows }
}

/// Makes `target/peers/run/`, where the peers' files go, and writes offcloud's Memgraph OpenAPI
/// document there for Prism to mock.
async fn prepare(options: &Options, folder: &Folder) -> Result<(), String> {
    std::fs::create_dir_all(&folder.run).map_err(|e| format!("{}: {e}", folder.run.display()))?;
    let server = Offcloud::start(&options.binary).await;
    let mut conn = Connection::open(server.main).await;
    let request = build(Method::GET, "/_offcloud/openapi/memgraph.json", &[], None);
    let (status, spec) = conn.send(request).await?;
    if status != StatusCode::OK {
        return Err(format!("offcloud's OpenAPI document: {status}"));
    }
    folder.write("memgraph.json", &spec)
}

/// Starts the peer `starts` times for its start time, then once more for its memory and load.
async fn measure_peer(
    peer: &Peer,
    folder: &Folder,
    starts: usize,
    options: &Options,
) -> Result<Measured, String> {
    if let Some(prepare) = peer.prepare {
        prepare(folder)?;
    }
    let request = (peer.request)();
    let mut times = Vec::new();
    for _ in 0..starts {
        let (_running, ready) = spawn(peer, folder, &request).await?;
        times.push(ready);
    }
    times.sort();
    let startup = Startup {
        median: times[times.len() / 2],
        min: times[0],
        max: times[times.len() - 1],
        starts,
        // Read below, from a start of its own.
        idle: Memory::default(),
    };

    let (running, _) = spawn(peer, folder, &request).await?;
    // As long as offcloud is left before its idle memory is read.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = running.memory();
    if let Some(setup) = peer.setup {
        let mut conn = Connection::open(running.main).await;
        let (status, body) = conn.send(setup()).await?;
        if !status.is_success() {
            return Err(format!(
                "setup answered {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
    }
    let scenario = Scenario {
        name: peer.name,
        address: running.main,
        request,
        refuse_body: None,
    };
    let load = load(&running, &scenario, options).await;
    Ok(Measured {
        startup,
        idle,
        load,
    })
}

/// Spawns the peer on a free loopback port, output discarded, and waits for its first 200 answer
/// to the measured call. It is held as offcloud is, so that `load` and `Memory` read it the same
/// way; dropping it kills it.
async fn spawn(
    peer: &Peer,
    folder: &Folder,
    request: &Request<Full<Bytes>>,
) -> Result<(Offcloud, Duration), String> {
    let port = free_port();
    let started = Instant::now();
    let child: Child = (peer.command)(folder, port)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("did not start: {e}"))?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let running = Offcloud {
        child,
        main: address,
        memgraph: address,
        typedb: address,
        hasura: address,
        dgraph: address,
    };
    match first_answer(address, request, started).await {
        Some(ready) => Ok((running, ready)),
        None => Err("no 200 answer to the measured call within 30 s".to_owned()),
    }
}

impl Peers {
    /// The section of `bench/RESULTS.md`: offcloud's row from the main run, then each peer's.
    pub(super) fn markdown(&self, report: &Report) -> String {
        let mut out = String::new();
        let o = &mut out;
        let _ = writeln!(o, "\n## offcloud and its peers\n");
        let _ = writeln!(
            o,
            "Produced with `-- --peers`. Each peer is installed pinned by `bench/peers.sh` under \
             `target/peers/` (fetched once), runs with its default settings on a loopback port, \
             output discarded, and is measured by the same code as offcloud: process spawn to the \
             first 200 answer to the call below (median of {starts}; offcloud's is \
             `GET /_offcloud/health`), resident memory (VmRSS) 300 ms after it, then {CONCURRENCY} \
             keep-alive connections on the call ({warm} s warm-up, {measure} s measured). \
             offcloud's row is the main run's.\n",
            starts = self.starts,
            warm = report.options.warmup().as_secs(),
            measure = report.options.measure().as_secs(),
        );
        let _ = writeln!(
            o,
            "| Server | Version | Call measured | Start to first answer | RSS after start | req/s | p50 | p99 | Errors | offcloud's req/s, times its |\n\
             |---|---|---|---|---|---|---|---|---|---|"
        );
        let stats = report
            .loads
            .iter()
            .find(|(name, _)| name.contains("/v1/stats"))
            .map(|(_, r)| r);
        let ours = stats.map_or(0.0, |r| r.per_second);
        if let Some(r) = stats {
            let _ = writeln!(
                o,
                "| offcloud | {} | Memgraph `GET /v1/stats`, API key, {BELIEFS} beliefs | {} | {} | {:.0} | {} | {} | {} | |",
                super::commit(),
                seconds(report.startup.median),
                mib(report.idle.rss_kib),
                r.per_second,
                ms(r.p50),
                ms(r.p99),
                r.errors
            );
        }
        for row in &self.rows {
            match &row.outcome {
                Ok(m) => {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {:.1}x |",
                        row.name,
                        row.version,
                        row.route,
                        seconds(m.startup.median),
                        mib(m.idle.rss_kib),
                        m.load.per_second,
                        ms(m.load.p50),
                        ms(m.load.p99),
                        m.load.errors,
                        ours / m.load.per_second.max(1.0)
                    );
                }
                Err(why) => {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} | {why} | | | | | | |",
                        row.name, row.version, row.route
                    );
                }
            }
        }
        out
    }
}

/// Milliseconds below a second, seconds above: the start times differ by two orders of magnitude.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}
