//! offcloud's benchmark: `cargo bench --bench load [-- --quick]`.
//!
//! Starts the release binary as a child process and measures what a test suite feels: time to
//! healthy, throughput and latency of one representative call per service at a fixed
//! concurrency, memory idle and under load, how throughput and memory follow the amount of stored
//! state (Memgraph: stats, a belief list and a context search with 100 and with 100,000 beliefs),
//! and how long a new session's store takes to be ready. Prints a Markdown table and writes
//! it to `bench/RESULTS.md` (`--out PATH` to write elsewhere, `--no-write` to only print).
//! `--only calls`, `--only typedb`, `--only dgraph`, `--only memgraph` or `--only sessions` runs
//! one part (calls: start, idle memory and each call on small state beside the single-statement
//! ceiling; TypeDB: the single-statement ceiling and its state-size axis; Dgraph and Memgraph:
//! their state-size axes; sessions: 1,000 created, parked, woken and dropped) and only prints it,
//! unless `--out` says where to
//! write it.
//! `--peers` adds offcloud beside the servers a user would otherwise run (benches/load/peers.rs).
//!
//! The load generator runs on the same machine, on one thread: one task per keep-alive
//! connection, requests built once, latencies kept as plain numbers and sorted at the end.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

#[path = "load/peers.rs"]
mod peers;

const CONCURRENCY: usize = 32;

struct Options {
    quick: bool,
    /// Also measure the peers (benches/load/peers.rs).
    peers: bool,
    out: Option<PathBuf>,
    binary: PathBuf,
    /// One part of the run only (`--only typedb`, `--only dgraph`, `--only memgraph`).
    only: Option<String>,
}

impl Options {
    fn parse() -> Options {
        let mut options = Options {
            quick: false,
            peers: false,
            out: Some(PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/bench/RESULTS.md"
            ))),
            binary: PathBuf::from(env!("CARGO_BIN_EXE_offcloud")),
            only: None,
        };
        let mut out_given = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--peers" => options.peers = true,
                "--no-write" => options.out = None,
                "--out" => {
                    options.out = args.next().map(PathBuf::from);
                    out_given = true;
                }
                "--only" => options.only = args.next(),
                "--binary" => {
                    if let Some(path) = args.next() {
                        options.binary = PathBuf::from(path);
                    }
                }
                // `cargo bench` passes `--bench`; anything else is a filter we do not use.
                _ => {}
            }
        }
        // A part of the run does not replace the full results.
        if options.only.is_some() && !out_given {
            options.out = None;
        }
        options
    }

    fn warmup(&self) -> Duration {
        Duration::from_secs(if self.quick { 1 } else { 2 })
    }

    fn measure(&self) -> Duration {
        Duration::from_secs(if self.quick { 3 } else { 10 })
    }
}

fn main() {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(async {
        match options.only.as_deref() {
            None => run(&options).await,
            Some("typedb") => typedb_only(&options).await,
            Some("dgraph") => dgraph_only(&options).await,
            Some("sessions") => sessions_only(&options).await,
            Some("memgraph") => memgraph_only(&options).await,
            Some("calls") => calls_only(&options).await,
            Some(other) => {
                panic!("--only {other}: the parts are: calls, typedb, dgraph, memgraph, sessions")
            }
        }
    });
    println!("{report}");
    if let Some(out) = &options.out {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).expect("results folder");
        }
        std::fs::write(out, &report).expect("results written");
        eprintln!("written to {}", out.display());
    }
}

/// `--only memgraph`: Memgraph's stored-state section alone (beliefs loaded through the batch
/// API, then stats, the belief list and the context search at each size).
async fn memgraph_only(options: &Options) -> String {
    eprintln!("binary: {}", options.binary.display());
    let sizes = memgraph_state_sizes(options).await;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# offcloud benchmark results: Memgraph stored state only\n\nProduced by `cargo bench \\
         --bench load -- --only memgraph{}` (benches/load.rs) on {}, commit {}, {} connections, \\
         load average {}.",
        if options.quick { " --quick" } else { "" },
        now_utc(),
        commit(),
        CONCURRENCY,
        load_average()
    );
    memgraph_section(&mut out, &sizes);
    out
}

async fn memgraph_state_sizes(options: &Options) -> Vec<(usize, SizeResult)> {
    let mut sizes = Vec::new();
    for stored in STORED_BELIEFS {
        let result = state_size(&options.binary, stored, options).await;
        eprintln!("{stored} beliefs: {result:?}");
        sizes.push((stored, result));
    }
    sizes
}

/// `--only calls`: start time, idle memory and the calls on small state, each beside the
/// single-statement ceiling of the same run (the first scenario).
async fn calls_only(options: &Options) -> String {
    eprintln!("binary: {}", options.binary.display());
    let load_before = load_average();
    let starts = if options.quick { 10 } else { 20 };
    let startup = measure_startup(&options.binary, starts).await;
    let fixtures = shipped_fixtures();
    let with_fixtures =
        measure_startup_with(&options.binary, starts, &["--fixtures", &fixtures]).await;
    let server = Offcloud::start(&options.binary).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = server.memory();
    let scenarios = Scenario::prepare(&server).await;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# offcloud benchmark results: calls only\n\nload average before {load_before}, \
         start to healthy median {} (min {}, max {}), idle RSS {} ({} private); with the \
         shipped fixtures (`--fixtures fixtures`) {} (min {}, max {}), idle RSS {} ({} private)\n\n\
         | call | req/s | of the ceiling | p50 | p99 | server CPU per request | context \
         switches per request |\n|---|---|---|---|---|---|---|",
        ms(startup.median),
        ms(startup.min),
        ms(startup.max),
        mib(idle.rss_kib),
        mib(idle.anon_kib),
        ms(with_fixtures.median),
        ms(with_fixtures.min),
        ms(with_fixtures.max),
        mib(with_fixtures.idle.rss_kib),
        mib(with_fixtures.idle.anon_kib),
    );
    let mut ceiling = None;
    for scenario in &scenarios {
        let before = Effort::of(server.pid());
        let result = load(&server, scenario, options).await;
        let effort = Effort::of(server.pid()).since(before);
        eprintln!("{}: {result:?}", scenario.name);
        let floor = *ceiling.get_or_insert(result.per_second);
        // The warm-up's requests ran too: counted at the measured rate.
        let total = (options.warmup() + options.measure()).as_secs_f64();
        let requests = result.per_second * total;
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0}% | {} | {} | {:.0} µs | {:.1} |",
            scenario.name,
            result.per_second,
            100.0 * result.per_second / floor,
            ms(result.p50),
            ms(result.p99),
            effort.cpu.as_secs_f64() * 1e6 / requests,
            effort.switches as f64 / requests,
        );
    }
    out
}

/// The server's own work, whatever else runs on the machine: CPU time (user and system) and
/// context switches of all its threads.
#[derive(Clone, Copy)]
struct Effort {
    cpu: Duration,
    switches: u64,
}

impl Effort {
    fn of(pid: u32) -> Effort {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are the
        // 12th and 13th of them, in clock ticks.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = after
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
        let mut switches = 0;
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                let status =
                    std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
                switches += status
                    .lines()
                    .filter(|l| l.contains("ctxt_switches:"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    .sum::<u64>();
            }
        }
        Effort {
            // The kernel's USER_HZ is 100 on every common configuration.
            cpu: Duration::from_millis(ticks * 10),
            switches,
        }
    }

    fn since(self, before: Effort) -> Effort {
        Effort {
            cpu: self.cpu.saturating_sub(before.cpu),
            switches: self.switches.saturating_sub(before.switches),
        }
    }
}

/// `--only sessions`: the sessions section alone.
async fn sessions_only(options: &Options) -> String {
    eprintln!("binary: {}", options.binary.display());
    let sessions = measure_sessions(&options.binary, SESSIONS).await;
    let mut out = String::new();
    sessions.markdown(&mut out);
    out
}

async fn run(options: &Options) -> String {
    eprintln!("binary: {}", options.binary.display());
    let load_before = load_average();
    let starts = if options.quick { 10 } else { 20 };
    let startup = measure_startup(&options.binary, starts).await;
    eprintln!("startup: {startup:?}");
    let fixtures = shipped_fixtures();
    let with_fixtures =
        measure_startup_with(&options.binary, starts, &["--fixtures", &fixtures]).await;
    eprintln!("startup with the shipped fixtures: {with_fixtures:?}");

    let server = Offcloud::start(&options.binary).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = server.memory();
    let scenarios = Scenario::prepare(&server).await;
    let after_setup = server.memory();
    let mut loads = Vec::new();
    for scenario in &scenarios {
        let result = load(&server, scenario, options).await;
        eprintln!("{}: {result:?}", scenario.name);
        loads.push((scenario.name, result));
    }
    let after_load = server.memory();
    drop(server);

    let sizes = memgraph_state_sizes(options).await;

    let dgraph_sizes = dgraph_state_sizes(options).await;
    let hasura = hasura_state_sizes(&options.binary, options).await;
    let typedb = typedb_state_sizes(&options.binary, options).await;

    let new_session = measure_sessions(&options.binary, SESSIONS).await;
    eprintln!("sessions: {new_session:?}");

    let peers = if options.peers {
        Some(peers::measure(options, starts).await)
    } else {
        None
    };

    let size = std::fs::metadata(&options.binary)
        .map(|m| m.len())
        .unwrap_or(0);
    let report = Report {
        options,
        startup,
        with_fixtures,
        idle,
        after_setup,
        after_load,
        loads,
        sizes,
        dgraph_sizes,
        hasura,
        typedb,
        new_session,
        binary_size: size,
        load_before,
    };
    let mut markdown = report.markdown();
    if let Some(peers) = &peers {
        markdown.push_str(&peers.markdown(&report));
    }
    markdown
}

// ---- the server under test -------------------------------------------------------------------

struct Offcloud {
    child: Child,
    main: SocketAddr,
    memgraph: SocketAddr,
    typedb: SocketAddr,
    hasura: SocketAddr,
    dgraph: SocketAddr,
}

impl Offcloud {
    /// Starts offcloud in memory on free loopback ports; returns once it answers healthy.
    async fn start(binary: &Path) -> Offcloud {
        let (server, _) = Offcloud::spawn(binary).await;
        server
    }

    /// Starts it and also says how long it took from spawning the process to the first healthy
    /// answer.
    async fn spawn(binary: &Path) -> (Offcloud, Duration) {
        Offcloud::spawn_with(binary, &["--dgraph-backend-ports", "off"]).await
    }

    /// The same, with flags of its own.
    ///
    /// The ports are chosen free here and bound by the child a moment later: another process can
    /// take one in between, and the child then exits at once. It is started again on other ports
    /// rather than waited for.
    async fn spawn_with(binary: &Path, flags: &[&str]) -> (Offcloud, Duration) {
        for _ in 0..3 {
            let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
            let started = Instant::now();
            let child = Command::new(binary)
                .args(["--bind", "127.0.0.1"])
                .args(["--port", &ports[0].to_string()])
                .args(["--memgraph-port", &ports[1].to_string()])
                .args(["--typedb-port", &ports[2].to_string()])
                .args(["--hasura-port", &ports[3].to_string()])
                .args(["--dgraph-port", &ports[4].to_string()])
                .args(flags)
                .env_remove("OFFCLOUD_DATABASE_URL")
                .env_remove("OFFCLOUD_DATA_DIR")
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("offcloud starts");
            let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
            let mut server = Offcloud {
                child,
                main: at(ports[0]),
                memgraph: at(ports[1]),
                typedb: at(ports[2]),
                hasura: at(ports[3]),
                dgraph: at(ports[4]),
            };
            let health = build(Method::GET, "/_offcloud/health", &[], None);
            let answered = tokio::select! {
                answered = first_answer(server.main, &health, started) => answered,
                _ = server.exited() => continue,
            };
            let ready = answered.expect("offcloud not healthy after 30 s");
            return (server, ready);
        }
        panic!("offcloud exited at start three times (are ports short?)")
    }

    /// Completes when the process has exited.
    async fn exited(&mut self) {
        while matches!(self.child.try_wait(), Ok(None)) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn memory(&self) -> Memory {
        Memory::of(self.pid())
    }
}

impl Drop for Offcloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long from `started` until `request` is first answered 200 at `address`; `None` after 30 s.
async fn first_answer(
    address: SocketAddr,
    request: &Request<Full<Bytes>>,
    started: Instant,
) -> Option<Duration> {
    loop {
        if started.elapsed() > Duration::from_secs(30) {
            return None;
        }
        let Ok(stream) = TcpStream::connect(address).await else {
            tokio::time::sleep(Duration::from_micros(200)).await;
            continue;
        };
        let Ok(mut conn) = Connection::over(stream).await else {
            continue;
        };
        if let Ok((StatusCode::OK, _)) = conn.send(clone_request(request)).await {
            return Some(started.elapsed());
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Resident memory from /proc/PID/status, in KiB: now (VmRSS) and the peak so far (VmHWM).
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
    /// The private part of VmRSS; the rest is mostly pages of the binary itself, shared with
    /// the page cache.
    anon_kib: u64,
    /// OS threads of the process.
    threads: u64,
}

impl Memory {
    fn of(pid: u32) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
            anon_kib: field("RssAnon:"),
            threads: field("Threads:"),
        }
    }
}

// ---- one keep-alive HTTP/1 connection --------------------------------------------------------

struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    async fn over(stream: TcpStream) -> Result<Connection, hyper::Error> {
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Connection { sender })
    }

    async fn open(address: SocketAddr) -> Connection {
        let stream = TcpStream::connect(address).await.expect("connects");
        Connection::over(stream).await.expect("HTTP/1 handshake")
    }

    /// Whether the connection can take another request: false once the server has closed it
    /// (moto's server answers `Connection: close` every time).
    async fn usable(&mut self) -> bool {
        self.sender.ready().await.is_ok()
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }

    /// Sends a JSON request during setup, where anything but the expected status is fatal.
    async fn json(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
        expect: StatusCode,
    ) -> Value {
        let request = build(method, path, headers, body);
        let (status, body) = self.send(request).await.expect("setup request");
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, expect, "{path}: {text}");
        serde_json::from_slice(&body).unwrap_or(Value::String(text.into_owned()))
    }
}

fn build(
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    request.body(Full::new(body)).expect("request")
}

/// A copy of a pre-built request (the body is reference-counted, the headers are copied).
fn clone_request(template: &Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let mut request = Request::new(template.body().clone());
    *request.method_mut() = template.method().clone();
    *request.uri_mut() = template.uri().clone();
    *request.headers_mut() = template.headers().clone();
    request
}

fn str_of(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

// ---- scenarios -------------------------------------------------------------------------------

struct Scenario {
    name: &'static str,
    address: SocketAddr,
    request: Request<Full<Bytes>>,
    /// GraphQL answers 200 with `errors`: the body must not contain this.
    refuse_body: Option<&'static str>,
}

/// A Memgraph tenant: its API key and a dashboard token.
struct Tenant {
    api_key: String,
    token: String,
}

async fn onboard(server: &Offcloud, email: &str) -> Tenant {
    let mut conn = Connection::open(server.memgraph).await;
    let password = "BenchPassword123!";
    let body = conn
        .json(
            Method::POST,
            "/v1/auth/onboard",
            &[],
            Some(
                json!({"email": email, "password": password, "full_name": "Bench",
                        "cluster_name": "bench", "sector": "Technology"}),
            ),
            StatusCode::OK,
        )
        .await;
    let api_key = str_of(&body["api_key"]);
    let form = format!("username={}&password={password}", email.replace('@', "%40"));
    let login = Request::post("/v1/auth/login")
        .header("host", "localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))
        .expect("request");
    let (status, body) = conn.send(login).await.expect("login");
    assert_eq!(status, StatusCode::OK, "login");
    let body: Value = serde_json::from_slice(&body).expect("login JSON");
    Tenant {
        api_key,
        token: str_of(&body["access_token"]),
    }
}

impl Scenario {
    async fn prepare(server: &Offcloud) -> Vec<Scenario> {
        let tenant = onboard(server, "bench@example.com").await;
        let bearer = format!("Bearer {}", tenant.token);
        let mut memgraph = Connection::open(server.memgraph).await;
        load_beliefs(&mut memgraph, belief_batches(&tenant, 100)).await;

        // TypeDB: an API token exchanged for a bearer token, and one cluster to list.
        let mut control = Connection::open(server.main).await;
        let credentials = control
            .json(
                Method::POST,
                "/_offcloud/typedb/tokens",
                &[],
                Some(json!({"team": "bench", "space": "default", "access": "write"})),
                StatusCode::CREATED,
            )
            .await;
        let basic = format!(
            "Basic {}:{}",
            str_of(&credentials["clientId"]),
            str_of(&credentials["clientSecret"])
        );
        let mut typedb = Connection::open(server.typedb).await;
        let request = build(
            Method::POST,
            "/api/v1/auth",
            &[("authorization", &basic)],
            None,
        );
        let (status, token) = typedb.send(request).await.expect("typedb auth");
        assert_eq!(status, StatusCode::OK, "typedb auth");
        let typedb_bearer = format!("Bearer {}", String::from_utf8_lossy(&token));
        let clusters = "/api/v1/team/bench/spaces/default/clusters";
        typedb
            .json(
                Method::POST,
                &format!("{clusters}/deploy"),
                &[("authorization", &typedb_bearer)],
                Some(json!({"id": "bench", "serverCount": 1, "storageSizeGB": 10,
                            "provider": "gcp", "region": "europe-west2", "isFree": true,
                            "machineType": "c2d-highcpu-2", "storageType": "standard-rwo",
                            "version": "latest"})),
                StatusCode::OK,
            )
            .await;

        // Hasura: a user's PAT and one project.
        let user = control
            .json(
                Method::POST,
                "/_offcloud/hasura/users",
                &[],
                Some(json!({"email": "bench@example.com"})),
                StatusCode::CREATED,
            )
            .await;
        let pat = format!("pat {}", str_of(&user["pat"]));
        let mut hasura = Connection::open(server.hasura).await;
        let created = hasura
            .json(
                Method::POST,
                "/v1/graphql",
                &[("authorization", &pat)],
                Some(json!({"query": "mutation($name: String, $region: String!, $cloud: String!) { createTenant(cloud: $cloud, region: $region, name: $name) { id } }",
                            "variables": {"name": "bench", "cloud": "aws", "region": "us-east-2"}})),
                StatusCode::OK,
            )
            .await;
        assert!(created.get("errors").is_none(), "hasura project: {created}");

        // Dgraph: an account, logged in through Cerebro.
        control
            .json(
                Method::POST,
                "/_offcloud/dgraph/accounts",
                &[],
                Some(json!({"email": "bench@example.com", "password": "bench password"})),
                StatusCode::CREATED,
            )
            .await;
        let mut dgraph = Connection::open(server.dgraph).await;
        let login = dgraph
            .json(
                Method::POST,
                "/graphql",
                &[],
                Some(json!({"query": "query($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
                            "variables": {"email": "bench@example.com", "password": "bench password"}})),
                StatusCode::OK,
            )
            .await;
        let dgraph_bearer = format!("Bearer {}", str_of(&login["data"]["login"]["token"]));

        // Ten rows of each: what a row costs, beside the one-row calls above.
        let ten_bearer = crate::typedb_bearer(server, "ten").await;
        deploy_clusters(server, &ten_bearer, "ten", TYPEDB_SMALL).await;
        let ten_pat = hasura_user(server, "ten@example.com").await;
        create_projects(server, &ten_pat, "ten", HASURA_SMALL).await;

        vec![
            Scenario {
                name: "Control `GET /_offcloud/health` (one `SELECT 1`: the floor)",
                address: server.main,
                request: build(Method::GET, "/_offcloud/health", &[], None),
                refuse_body: None,
            },
            Scenario {
                name: "Memgraph `GET /v1/stats`, API key",
                address: server.memgraph,
                request: build(
                    Method::GET,
                    "/v1/stats",
                    &[("x-api-key", &tenant.api_key)],
                    None,
                ),
                refuse_body: None,
            },
            Scenario {
                name: "Memgraph `GET /v1/beliefs?subject_id=user-42&limit=50` (1 of 100), API key",
                address: server.memgraph,
                request: build(
                    Method::GET,
                    "/v1/beliefs?subject_id=user-42&limit=50",
                    &[("x-api-key", &tenant.api_key)],
                    None,
                ),
                refuse_body: None,
            },
            Scenario {
                name: "Memgraph `POST /v1/beliefs`, JWT",
                address: server.memgraph,
                request: build(
                    Method::POST,
                    "/v1/beliefs",
                    &[("authorization", &bearer)],
                    Some(json!({"subject_id": "bench", "key": "favourite", "value": "tea"})),
                ),
                refuse_body: None,
            },
            Scenario {
                name: "TypeDB cluster list (1 cluster), bearer token",
                address: server.typedb,
                request: build(
                    Method::GET,
                    clusters,
                    &[("authorization", &typedb_bearer)],
                    None,
                ),
                refuse_body: None,
            },
            Scenario {
                name: "Hasura `projects` (1 project), PAT",
                address: server.hasura,
                request: build(
                    Method::POST,
                    "/v1/graphql",
                    &[("authorization", &pat)],
                    Some(json!({"query": "{ projects { id name } }"})),
                ),
                refuse_body: Some("\"errors\""),
            },
            Scenario {
                name: "TypeDB cluster list (10 clusters)",
                address: server.typedb,
                request: build(
                    Method::GET,
                    "/api/v1/team/bench/spaces/ten/clusters",
                    &[("authorization", &ten_bearer)],
                    None,
                ),
                refuse_body: None,
            },
            Scenario {
                name: "Hasura `projects` (10 projects)",
                address: server.hasura,
                request: build(
                    Method::POST,
                    "/v1/graphql",
                    &[("authorization", &ten_pat)],
                    Some(json!({"query": "{ projects { id name } }"})),
                ),
                refuse_body: Some("\"errors\""),
            },
            Scenario {
                name: "Dgraph Cerebro `deployments` query, JWT",
                address: server.dgraph,
                request: build(
                    Method::POST,
                    "/graphql",
                    &[("authorization", &dgraph_bearer)],
                    Some(json!({"query": "{ deployments { uid name } }"})),
                ),
                refuse_body: Some("\"errors\""),
            },
        ]
    }
}

// ---- load ------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct LoadResult {
    requests: usize,
    errors: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// Resident memory at the end of the run, and its peak since the process started.
    memory: Memory,
}

/// `CONCURRENCY` connections, each sending the scenario's request back to back: a warm-up, then
/// a measured stretch whose every completed request counts.
async fn load(server: &Offcloud, scenario: &Scenario, options: &Options) -> LoadResult {
    // One request first, so a broken scenario fails loudly rather than measuring errors.
    let mut probe = Connection::open(scenario.address).await;
    let (status, body) = probe
        .send(clone_request(&scenario.request))
        .await
        .expect("probe");
    assert!(
        status.is_success(),
        "{}: {status} {}",
        scenario.name,
        String::from_utf8_lossy(&body)
    );
    if let Some(refused) = scenario.refuse_body {
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains(refused), "{}: {text}", scenario.name);
    }

    let start = Instant::now();
    let measure_from = start + options.warmup();
    let until = measure_from + options.measure();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let template = clone_request(&scenario.request);
        let address = scenario.address;
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::open(address).await;
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            let mut errors = 0usize;
            loop {
                // A connection the server closed after its answer is opened again, outside the
                // latency but inside the measured time: not an error.
                if !conn.usable().await {
                    conn = Connection::open(address).await;
                }
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let outcome = conn.send(clone_request(&template)).await;
                let done = Instant::now();
                if sent < measure_from {
                    continue;
                }
                match outcome {
                    Ok((status, _)) if status.is_success() => {
                        latencies.push((done - sent).as_micros().min(u32::MAX as u128) as u32);
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = Connection::open(address).await;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mine, failed) = task.await.expect("load task");
        latencies.extend(mine);
        errors += failed;
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map(|&us| Duration::from_micros(us.into()))
            .unwrap_or_default()
    };
    LoadResult {
        requests: latencies.len(),
        errors,
        per_second: latencies.len() as f64 / options.measure().as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        memory: server.memory(),
    }
}

// ---- startup, state size, sessions ----------------------------------------------------------

#[derive(Debug)]
struct Startup {
    median: Duration,
    min: Duration,
    max: Duration,
    starts: usize,
    /// Resident memory 300 ms after the last start.
    idle: Memory,
}

async fn measure_startup(binary: &Path, starts: usize) -> Startup {
    measure_startup_with(binary, starts, &[]).await
}

/// Start to healthy, `starts` times, with `flags` besides the bench's own; and the idle memory of
/// the last start.
async fn measure_startup_with(binary: &Path, starts: usize, flags: &[&str]) -> Startup {
    let mut times = Vec::new();
    let mut idle = Memory::default();
    let mut all_flags = vec!["--dgraph-backend-ports", "off"];
    all_flags.extend_from_slice(flags);
    for start in 0..starts {
        let (server, ready) = Offcloud::spawn_with(binary, &all_flags).await;
        times.push(ready);
        if start + 1 == starts {
            tokio::time::sleep(Duration::from_millis(300)).await;
            idle = server.memory();
        }
    }
    times.sort();
    Startup {
        median: times[times.len() / 2],
        min: times[0],
        max: times[times.len() - 1],
        starts,
        idle,
    }
}

/// The shipped fixtures (`fixtures/`), as the Docker image loads them.
fn shipped_fixtures() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures").to_owned()
}

/// The Memgraph state sizes compared: the same calls answer the same on both.
const STORED_BELIEFS: [usize; 2] = [100, 100_000];

#[derive(Debug)]
struct SizeResult {
    loading: Duration,
    /// Stats, the belief list and the context search, in that order.
    loads: Vec<LoadResult>,
}

/// The calls measured at each state size: (name, request). Each answers the same whatever is
/// stored: the list finds user-42's one belief, the search the one memory holding `topic42`.
fn size_calls(address: SocketAddr, api_key: &str) -> Vec<(&'static str, Scenario)> {
    let key = [("x-api-key", api_key)];
    let scenario = |name, request| Scenario {
        name,
        address,
        request,
        refuse_body: None,
    };
    vec![
        (
            "`GET /v1/stats`",
            scenario("stats", build(Method::GET, "/v1/stats", &key, None)),
        ),
        (
            "`GET /v1/beliefs?subject_id=user-42&limit=50`",
            scenario(
                "belief list",
                build(
                    Method::GET,
                    "/v1/beliefs?subject_id=user-42&limit=50",
                    &key,
                    None,
                ),
            ),
        ),
        (
            "`POST /v2/context` `{\"query\": \"topic42\"}` (the whole tenant)",
            scenario(
                "context search",
                build(
                    Method::POST,
                    "/v2/context",
                    &key,
                    Some(json!({"query": "topic42", "limit": 10})),
                ),
            ),
        ),
    ]
}

/// The bodies that store `count` beliefs through the batch API, 100 per call: belief `i` is
/// user-`i`'s, with words of its own (`k{i}`, `topic{i}`). Built before the clock starts, as a
/// test suite's fixtures are: the load time is offcloud's, not the load generator's JSON.
fn belief_batches(tenant: &Tenant, count: usize) -> Vec<Request<Full<Bytes>>> {
    (0..count)
        .step_by(100)
        .map(|first| {
            let beliefs: Vec<Value> = (first..count.min(first + 100))
                .map(|i| {
                    json!({"subject_id": format!("user-{i}"), "key": format!("k{i}"),
                           "value": format!("Likes topic{i}")})
                })
                .collect();
            build(
                Method::POST,
                "/v1/beliefs/batch",
                &[("x-api-key", &tenant.api_key)],
                Some(json!({"beliefs": beliefs})),
            )
        })
        .collect()
}

/// Sends the batches in turn on one connection; any answer but 201 is fatal.
async fn load_beliefs(conn: &mut Connection, batches: Vec<Request<Full<Bytes>>>) {
    for batch in batches {
        let (status, body) = conn.send(batch).await.expect("batch request");
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// A fresh server holding `stored` beliefs of one tenant, loaded through the batch API, then
/// each of [`size_calls`] under load.
async fn state_size(binary: &Path, stored: usize, options: &Options) -> SizeResult {
    let server = Offcloud::start(binary).await;
    let tenant = onboard(&server, "size@example.com").await;
    let mut conn = Connection::open(server.memgraph).await;
    let batches = belief_batches(&tenant, stored);
    let loading = Instant::now();
    load_beliefs(&mut conn, batches).await;
    let loading = loading.elapsed();
    let calls = size_calls(server.memgraph, &tenant.api_key);
    let (_, body) = conn
        .send(clone_request(&calls[0].1.request))
        .await
        .expect("stats");
    let stats: Value = serde_json::from_slice(&body).expect("stats JSON");
    assert_eq!(stats["total_beliefs"], json!(stored), "{stats}");
    for (name, call) in &calls[1..] {
        let (_, body) = conn.send(clone_request(&call.request)).await.expect(name);
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        let found = body
            .get("items")
            .or_else(|| body.get("memories"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        assert_eq!(found, 1, "{name}: {body}");
    }
    let mut loads = Vec::new();
    for (_, call) in &calls {
        loads.push(load(&server, call, options).await);
    }
    SizeResult { loading, loads }
}

#[derive(Debug)]
struct DgraphSize {
    /// Applying the fixture document that holds them.
    loading: Duration,
    /// The first list after loading, with the fields the CLI asks for: every deployment gets its
    /// own port and a signed `jwtToken` here.
    first_list: Duration,
    load: LoadResult,
}

/// How many deployments the session stores, and how many of them are the caller's.
#[derive(Debug, Clone, Copy)]
struct DgraphState {
    stored: usize,
    owned: usize,
}

/// The rows of Dgraph's state-size axis: the caller's 10 deployments alone, the same 10 among
/// 1,000 of 100 accounts (what a shared development backend accumulates), and one account
/// holding all 1,000 (the answer itself is 100 times larger).
const DGRAPH_STATES: [DgraphState; 3] = [
    DgraphState {
        stored: 10,
        owned: 10,
    },
    DgraphState {
        stored: 1_000,
        owned: 10,
    },
    DgraphState {
        stored: 1_000,
        owned: 1_000,
    },
];

/// `--only dgraph`: Dgraph's state-size axis alone.
async fn dgraph_only(options: &Options) -> String {
    eprintln!("binary: {}", options.binary.display());
    let sizes = dgraph_state_sizes(options).await;
    let mut out = String::new();
    dgraph_section(&mut out, &sizes);
    out
}

async fn dgraph_state_sizes(options: &Options) -> Vec<(DgraphState, DgraphSize)> {
    let mut sizes = Vec::new();
    for state in DGRAPH_STATES {
        let result = dgraph_state_size(&options.binary, state, options).await;
        eprintln!("{state:?}: {result:?}");
        sizes.push((state, result));
    }
    sizes
}

/// A fresh server holding `state.stored` Dgraph deployments, `state.owned` of them the caller's
/// and the rest spread over other accounts of the same session (a fixture document posted to
/// `/_offcloud/fixtures`, ready at once; each backend on a port of its own, any free one), the
/// caller's first list timed, then `{ deployments { uid name } }` under load.
async fn dgraph_state_size(binary: &Path, state: DgraphState, options: &Options) -> DgraphSize {
    let quota = state.stored.to_string();
    let flags = [
        "--dgraph-backend-ports",
        "0",
        "--dgraph-backend-ports-per-session",
        &quota,
    ];
    let (server, _) = Offcloud::spawn_with(binary, &flags).await;
    let accounts = state.stored / state.owned;
    let email = |account: usize| format!("size{account}@example.com");
    let deployments: Vec<Value> = (0..state.stored)
        .map(|i| json!({"owner": email(i % accounts), "name": format!("bench {i}")}))
        .collect();
    let accounts: Vec<Value> = (0..accounts)
        .map(|a| json!({"email": email(a), "password": "bench password"}))
        .collect();
    let fixture = json!({"dgraph": {"accounts": accounts, "deployments": deployments}});
    let mut control = Connection::open(server.main).await;
    let loading = Instant::now();
    control
        .json(
            Method::POST,
            "/_offcloud/fixtures",
            &[],
            Some(fixture),
            StatusCode::CREATED,
        )
        .await;
    let loading = loading.elapsed();
    let mut dgraph = Connection::open(server.dgraph).await;
    let login = dgraph
        .json(
            Method::POST,
            "/graphql",
            &[],
            Some(json!({"query": "query($email: String!, $password: String!) { login(email: $email, password: $password) { token } }",
                        "variables": {"email": email(0), "password": "bench password"}})),
            StatusCode::OK,
        )
        .await;
    let bearer = format!("Bearer {}", str_of(&login["data"]["login"]["token"]));
    let first_list = Instant::now();
    let listed = dgraph
        .json(
            Method::POST,
            "/graphql",
            &[("authorization", &bearer)],
            Some(json!({"query": "{ deployments { uid name zone url owner jwtToken deploymentMode lambdaScript } }"})),
            StatusCode::OK,
        )
        .await;
    let first_list = first_list.elapsed();
    let listed = listed["data"]["deployments"]
        .as_array()
        .expect("a list of deployments");
    assert_eq!(listed.len(), state.owned, "the caller lists its own");
    assert!(
        listed
            .iter()
            .all(|d| str_of(&d["url"]).starts_with("localhost:")),
        "every deployment has its own port"
    );
    let scenario = Scenario {
        name: "deployments",
        address: server.dgraph,
        request: build(
            Method::POST,
            "/graphql",
            &[("authorization", &bearer)],
            Some(json!({"query": "{ deployments { uid name } }"})),
        ),
        refuse_body: Some("\"errors\""),
    };
    let load = load(&server, &scenario, options).await;
    DgraphSize {
        loading,
        first_list,
        load,
    }
}

/// Sessions created, left idle, and dropped: the figures of a shared CI fixture.
const SESSIONS: usize = 1_000;

#[derive(Debug)]
struct NewSessions {
    count: usize,
    median: Duration,
    p90: Duration,
    /// The same request on a session already open, for comparison.
    open_median: Duration,
    /// The first request of a parked session (it is reopened from its image).
    unpark_median: Duration,
    before: Memory,
    /// Right after `count` new sessions (at most `--max-live-sessions` of them live).
    live: Memory,
    /// The same with no limit on live sessions: each holds its SQLite connection and pages.
    unlimited: Memory,
    /// Once the idle sessions were parked.
    parked: Memory,
    /// After every session was dropped, and the allocator's next trim.
    dropped: Memory,
}

/// What `--session-park-after` is by default, and how long the bench waits past it.
const PARK_AFTER: Duration = Duration::from_secs(10);

/// `count` new sessions, one after another, each by the first request of a new
/// `X-Offcloud-Session` (an unauthenticated Memgraph GET: it opens the session's store and
/// answers 401); then idle until parked; then woken (a tenth of them); then dropped through the
/// control API.
async fn measure_sessions(binary: &Path, count: usize) -> NewSessions {
    let unlimited = {
        let flags = ["--dgraph-backend-ports", "off", "--max-live-sessions", "0"];
        let (server, _) = Offcloud::spawn_with(binary, &flags).await;
        let mut conn = Connection::open(server.memgraph).await;
        for i in 0..count {
            first_request(&mut conn, &format!("bench-{i}")).await;
        }
        server.memory()
    };
    eprintln!("sessions live, no limit: {unlimited:?}");
    let server = Offcloud::start(binary).await;
    let mut conn = Connection::open(server.memgraph).await;
    let mut open = Vec::new();
    for _ in 0..100 {
        open.push(first_request(&mut conn, "default").await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.memory();
    let mut fresh = Vec::new();
    for i in 0..count {
        fresh.push(first_request(&mut conn, &format!("bench-{i}")).await);
    }
    let live = server.memory();
    eprintln!("sessions live: {live:?}");
    tokio::time::sleep(PARK_AFTER + Duration::from_secs(3)).await;
    let parked = server.memory();
    eprintln!("sessions parked: {parked:?}");
    let mut unparked = Vec::new();
    for i in (0..count).step_by(10) {
        unparked.push(first_request(&mut conn, &format!("bench-{i}")).await);
    }
    let mut control = Connection::open(server.main).await;
    for i in 0..count {
        let request = build(
            Method::DELETE,
            &format!("/_offcloud/sessions/bench-{i}"),
            &[],
            None,
        );
        let (status, _) = control.send(request).await.expect("drop answered");
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    // The allocator's memory goes back at the next trim (every 5 s).
    tokio::time::sleep(Duration::from_secs(7)).await;
    let dropped = server.memory();
    for list in [&mut open, &mut fresh, &mut unparked] {
        list.sort();
    }
    NewSessions {
        count,
        median: fresh[fresh.len() / 2],
        p90: fresh[fresh.len() * 9 / 10],
        open_median: open[open.len() / 2],
        unpark_median: unparked[unparked.len() / 2],
        before,
        live,
        unlimited,
        parked,
        dropped,
    }
}

impl NewSessions {
    fn markdown(&self, o: &mut String) {
        let n = self;
        let per_session =
            |m: &Memory| m.rss_kib.saturating_sub(n.before.rss_kib) as f64 / n.count as f64;
        let _ = writeln!(o, "\n## Sessions\n");
        let _ = writeln!(
            o,
            "{} sessions, each opened by its first request, left idle until parked \
             (`--session-park-after`, 10 s by default), a tenth of them woken, then all dropped \
             (`DELETE /_offcloud/sessions/NAME`).\n",
            n.count
        );
        let _ = writeln!(o, "| Measure | Result | Target |\n|---|---|---|");
        let _ = writeln!(
            o,
            "| New session's store ready: first request of a new session (median of {}; p90 {}) | {} | < 5 ms, {} |",
            n.count,
            ms(n.p90),
            ms(n.median),
            verdict(n.median < Duration::from_millis(5))
        );
        let _ = writeln!(
            o,
            "| The same request on an open session (median) | {} | |",
            ms(n.open_median)
        );
        let _ = writeln!(
            o,
            "| First request of a parked session (median of {}) | {} | |",
            n.count / 10,
            ms(n.unpark_median)
        );
        let _ = writeln!(
            o,
            "| Resident memory before / right after {} new sessions, at most `--max-live-sessions` (64) live; peak | {} / {}; {} | |",
            n.count,
            mib(n.before.rss_kib),
            mib(n.live.rss_kib),
            mib(n.live.hwm_kib)
        );
        let _ = writeln!(
            o,
            "| Threads before / right after | {} / {} | |",
            n.before.threads, n.live.threads
        );
        let _ = writeln!(
            o,
            "| With no limit on live sessions (`--max-live-sessions 0`): resident memory and threads right after {} new sessions (one SQLite connection and its pages each) | {} ({:.0} KiB each), {} threads | |",
            n.count,
            mib(n.unlimited.rss_kib),
            per_session(&n.unlimited),
            n.unlimited.threads
        );
        let parked_growth = n.parked.rss_kib.saturating_sub(n.before.rss_kib);
        let _ = writeln!(
            o,
            "| Resident memory with {} idle (parked) sessions | {} (+{}, {:.0} KiB each) | < 150 MiB in total, {} |",
            n.count,
            mib(n.parked.rss_kib),
            mib(parked_growth),
            per_session(&n.parked),
            verdict(n.parked.rss_kib < 150 * 1024)
        );
        let _ = writeln!(
            o,
            "| Threads with {} idle sessions | {} | none per session, {} |",
            n.count,
            n.parked.threads,
            verdict(n.parked.threads <= n.before.threads + 4)
        );
        let dropped_growth = n.dropped.rss_kib.saturating_sub(n.before.rss_kib);
        let _ = writeln!(
            o,
            "| Resident memory after all were dropped | {} (+{}) | within 50 MiB of before, {} |",
            mib(n.dropped.rss_kib),
            mib(dropped_growth),
            verdict(dropped_growth < 50 * 1024)
        );
    }
}

async fn first_request(conn: &mut Connection, session: &str) -> Duration {
    let request = build(
        Method::GET,
        "/v1/stats",
        &[("x-offcloud-session", session)],
        None,
    );
    let sent = Instant::now();
    let (status, _) = conn.send(request).await.expect("session request");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    sent.elapsed()
}

// ---- Hasura: stored projects -----------------------------------------------------------------

const HASURA_SMALL: usize = 10;
const HASURA_LARGE: usize = 10_000;

#[derive(Debug)]
struct HasuraSize {
    loading: Duration,
    /// `projects(limit: 10)`, by the user who owns the most.
    limited: LoadResult,
    /// `projects`, by the user who sees 10.
    listed: LoadResult,
}

#[derive(Debug)]
struct HasuraSizes {
    small: HasuraSize,
    large: HasuraSize,
}

async fn hasura_state_sizes(binary: &Path, options: &Options) -> HasuraSizes {
    let small = hasura_state(binary, HASURA_SMALL, options).await;
    eprintln!("hasura {HASURA_SMALL} projects: {small:?}");
    let large = hasura_state(binary, HASURA_LARGE, options).await;
    eprintln!("hasura {HASURA_LARGE} projects: {large:?}");
    HasuraSizes { small, large }
}

/// A Hasura user with a PAT, from the control API.
async fn hasura_user(server: &Offcloud, email: &str) -> String {
    let mut control = Connection::open(server.main).await;
    let user = control
        .json(
            Method::POST,
            "/_offcloud/hasura/users",
            &[],
            Some(json!({ "email": email })),
            StatusCode::CREATED,
        )
        .await;
    format!("pat {}", str_of(&user["pat"]))
}

/// `count` projects of the user behind `pat`, created through `createTenant`, 200 aliases a
/// request.
async fn create_projects(server: &Offcloud, pat: &str, prefix: &str, count: usize) {
    let mut hasura = Connection::open(server.hasura).await;
    let mut next = 0;
    while next < count {
        let batch = (count - next).min(200);
        let fields: String = (next..next + batch)
            .map(|i| {
                format!(
                    "p{i}: createTenant(cloud: \"aws\", region: \"us-east-2\", name: \"{prefix}-{i}\") {{ id }} "
                )
            })
            .collect();
        let created = hasura
            .json(
                Method::POST,
                "/v1/graphql",
                &[("authorization", pat)],
                Some(json!({ "query": format!("mutation {{ {fields} }}") })),
                StatusCode::OK,
            )
            .await;
        assert!(
            created.get("errors").is_none(),
            "hasura projects: {created}"
        );
        next += batch;
    }
}

/// A fresh server with `stored` projects: one user owns `HASURA_SMALL` of them, another the
/// rest; then the two calls under load.
async fn hasura_state(binary: &Path, stored: usize, options: &Options) -> HasuraSize {
    let server = Offcloud::start(binary).await;
    let few = hasura_user(&server, "few@example.com").await;
    let many = hasura_user(&server, "many@example.com").await;
    let loading = Instant::now();
    create_projects(&server, &few, "few", HASURA_SMALL).await;
    create_projects(&server, &many, "many", stored - HASURA_SMALL).await;
    let loading = loading.elapsed();
    let largest_owner = if stored > 2 * HASURA_SMALL {
        &many
    } else {
        &few
    };
    let call = |name: &'static str, pat: &str, query: &str| Scenario {
        name,
        address: server.hasura,
        request: build(
            Method::POST,
            "/v1/graphql",
            &[("authorization", pat)],
            Some(json!({ "query": query })),
        ),
        refuse_body: Some("\"errors\""),
    };
    let limited = call(
        "Hasura `projects(limit: 10)`",
        largest_owner,
        "{ projects(limit: 10) { id name } }",
    );
    let listed = call("Hasura `projects`", &few, "{ projects { id name } }");
    // Both calls answer 10 rows, whatever is stored.
    for scenario in [&limited, &listed] {
        let mut conn = Connection::open(server.hasura).await;
        let (_, body) = conn
            .send(clone_request(&scenario.request))
            .await
            .expect("hasura call");
        let body: Value = serde_json::from_slice(&body).expect("hasura JSON");
        let rows = body["data"]["projects"].as_array().map_or(0, Vec::len);
        assert_eq!(rows, HASURA_SMALL, "{}: {body}", scenario.name);
    }
    HasuraSize {
        loading,
        limited: load(&server, &limited, options).await,
        listed: load(&server, &listed, options).await,
    }
}

// ---- TypeDB: stored clusters -----------------------------------------------------------------

const TYPEDB_SMALL: usize = 10;
const TYPEDB_LARGE: usize = 1_000;

#[derive(Debug)]
struct TypedbSize {
    loading: Duration,
    /// The cluster list of the space that holds `TYPEDB_SMALL` clusters.
    listed: LoadResult,
}

#[derive(Debug)]
struct TypedbSizes {
    small: TypedbSize,
    large: TypedbSize,
}

/// Rounds of each state, interleaved, of which the median counts: the machine's other load
/// drifts over a run, and would otherwise fall on one state more than the other.
const TYPEDB_ROUNDS: usize = 3;

async fn typedb_state_sizes(binary: &Path, options: &Options) -> TypedbSizes {
    let small = typedb_state(binary, TYPEDB_SMALL).await;
    let large = typedb_state(binary, TYPEDB_LARGE).await;
    let mut rounds = (Vec::new(), Vec::new());
    for _ in 0..TYPEDB_ROUNDS {
        rounds.0.push(load(&small.0, &small.1, options).await);
        rounds.1.push(load(&large.0, &large.1, options).await);
    }
    let median = |mut results: Vec<LoadResult>| {
        results.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
        results.swap_remove(results.len() / 2)
    };
    let small = TypedbSize {
        loading: small.2,
        listed: median(rounds.0),
    };
    eprintln!("typedb {TYPEDB_SMALL} clusters: {small:?}");
    let large = TypedbSize {
        loading: large.2,
        listed: median(rounds.1),
    };
    eprintln!("typedb {TYPEDB_LARGE} clusters: {large:?}");
    TypedbSizes { small, large }
}

/// An access token for a space of the `bench` team (made, with the team, if new).
async fn typedb_bearer(server: &Offcloud, space: &str) -> String {
    let mut control = Connection::open(server.main).await;
    let credentials = control
        .json(
            Method::POST,
            "/_offcloud/typedb/tokens",
            &[],
            Some(json!({"team": "bench", "space": space, "access": "write"})),
            StatusCode::CREATED,
        )
        .await;
    let basic = format!(
        "Basic {}:{}",
        str_of(&credentials["clientId"]),
        str_of(&credentials["clientSecret"])
    );
    let mut typedb = Connection::open(server.typedb).await;
    let request = build(
        Method::POST,
        "/api/v1/auth",
        &[("authorization", &basic)],
        None,
    );
    let (status, token) = typedb.send(request).await.expect("typedb auth");
    assert_eq!(status, StatusCode::OK, "typedb auth");
    format!("Bearer {}", String::from_utf8_lossy(&token))
}

/// `count` paid clusters deployed in a space, one request each.
async fn deploy_clusters(server: &Offcloud, bearer: &str, space: &str, count: usize) {
    let mut typedb = Connection::open(server.typedb).await;
    let deploy = format!("/api/v1/team/bench/spaces/{space}/clusters/deploy");
    for i in 0..count {
        typedb
            .json(
                Method::POST,
                &deploy,
                &[("authorization", bearer)],
                Some(
                    json!({"id": format!("c{i}"), "serverCount": 1, "storageSizeGB": 10,
                            "provider": "gcp", "region": "europe-west2", "isFree": false,
                            "machineType": "c2d-highcpu-4", "storageType": "standard-rwo",
                            "version": "latest"}),
                ),
                StatusCode::OK,
            )
            .await;
    }
}

/// A fresh server with `stored` clusters in one team, `TYPEDB_SMALL` in the space that is listed
/// and the rest in another; the list of that space (10 clusters back either way); and how long
/// the clusters took to deploy.
async fn typedb_state(binary: &Path, stored: usize) -> (Offcloud, Scenario, Duration) {
    let server = Offcloud::start(binary).await;
    let listed = typedb_bearer(&server, "listed").await;
    let other = typedb_bearer(&server, "other").await;
    let loading = Instant::now();
    deploy_clusters(&server, &listed, "listed", TYPEDB_SMALL).await;
    deploy_clusters(&server, &other, "other", stored - TYPEDB_SMALL).await;
    let loading = loading.elapsed();
    let scenario = Scenario {
        name: "TypeDB cluster list",
        address: server.typedb,
        request: build(
            Method::GET,
            "/api/v1/team/bench/spaces/listed/clusters",
            &[("authorization", &listed)],
            None,
        ),
        refuse_body: None,
    };
    let mut conn = Connection::open(server.typedb).await;
    let (_, body) = conn
        .send(clone_request(&scenario.request))
        .await
        .expect("typedb list");
    let body: Value = serde_json::from_slice(&body).expect("typedb JSON");
    assert_eq!(
        body.as_array().map_or(0, Vec::len),
        TYPEDB_SMALL,
        "typedb list: {body}"
    );
    (server, scenario, loading)
}

impl TypedbSizes {
    /// TypeDB's cost as its state grows, beside the single-statement ceiling `floor` (req/s).
    fn section(&self, o: &mut String, floor: f64) {
        let _ = writeln!(o, "\n## TypeDB: stored clusters\n");
        let _ = writeln!(
            o,
            "A fresh offcloud per state, one team. Small: {small} clusters, all in the space that is \
             listed. Large: the same, and {rest} more in another space of the team ({large} in the \
             session, deployed through the API). `GET …/spaces/listed/clusters` answers {small} \
             clusters either way (the API has no paging: a space is listed whole). Each state is \
             loaded {TYPEDB_ROUNDS} times, the two states in turn; the median round counts.\n",
            small = TYPEDB_SMALL,
            large = TYPEDB_LARGE,
            rest = TYPEDB_LARGE - TYPEDB_SMALL,
        );
        let _ = writeln!(
            o,
            "| Stored clusters | Load time | req/s | p50 | p99 | Errors |\n|---|---|---|---|---|---|"
        );
        for (stored, size) in [(TYPEDB_SMALL, &self.small), (TYPEDB_LARGE, &self.large)] {
            let r = &size.listed;
            let _ = writeln!(
                o,
                "| {stored} | {} | {:.0} | {} | {} | {} |",
                ms(size.loading),
                r.per_second,
                ms(r.p50),
                ms(r.p99),
                r.errors
            );
        }
        let ratio = self.small.listed.per_second / self.large.listed.per_second.max(1.0);
        let _ = writeln!(
            o,
            "\n- Cluster list: {ratio:.2}x slower at {TYPEDB_LARGE} stored clusters than at \
             {TYPEDB_SMALL} (target: under 2x, {}).",
            verdict(ratio < 2.0)
        );
        let _ = writeln!(
            o,
            "- Cluster list at {TYPEDB_SMALL} clusters, {CONCURRENCY} connections: {:.0} req/s \
             (target: at least 15,000, {}); the single-statement ceiling of this run \
             (`GET /_offcloud/health`, one `SELECT 1`) is {floor:.0} req/s.",
            self.small.listed.per_second,
            verdict(self.small.listed.per_second >= 15_000.0)
        );
    }
}

/// `--only typedb`: the ceiling, then TypeDB's state-size axis.
async fn typedb_only(options: &Options) -> String {
    let server = Offcloud::start(&options.binary).await;
    let health = Scenario {
        name: "health",
        address: server.main,
        request: build(Method::GET, "/_offcloud/health", &[], None),
        refuse_body: None,
    };
    let floor = load(&server, &health, options).await.per_second;
    drop(server);
    let sizes = typedb_state_sizes(&options.binary, options).await;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# offcloud benchmark results: TypeDB only\n\nProduced by `cargo bench --bench load -- \
         --only typedb{}` (benches/load.rs) on {}, commit {}, {} connections, load average {}.",
        if options.quick { " --quick" } else { "" },
        now_utc(),
        commit(),
        CONCURRENCY,
        load_average()
    );
    sizes.section(&mut out, floor);
    out
}

// ---- the report ------------------------------------------------------------------------------

struct Report<'a> {
    options: &'a Options,
    startup: Startup,
    with_fixtures: Startup,
    idle: Memory,
    after_setup: Memory,
    after_load: Memory,
    loads: Vec<(&'static str, LoadResult)>,
    sizes: Vec<(usize, SizeResult)>,
    dgraph_sizes: Vec<(DgraphState, DgraphSize)>,
    hasura: HasuraSizes,
    typedb: TypedbSizes,
    new_session: NewSessions,
    binary_size: u64,
    /// Other processes' load shows here: the figures are only as steady as the machine.
    load_before: String,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

impl Report<'_> {
    fn markdown(&self) -> String {
        let mut out = String::new();
        let o = &mut out;
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let _ = writeln!(o, "# offcloud benchmark results\n");
        let _ = writeln!(
            o,
            "Produced by `cargo bench --bench load{}` (benches/load.rs).\n",
            match (self.options.quick, self.options.peers) {
                (true, true) => " -- --quick --peers",
                (true, false) => " -- --quick",
                (false, true) => " -- --peers",
                (false, false) => "",
            }
        );
        let _ = writeln!(o, "| | |\n|---|---|");
        let _ = writeln!(o, "| Date | {} |", now_utc());
        let _ = writeln!(o, "| Commit | {} |", commit());
        let _ = writeln!(o, "| CPU | {} |", cpu_model());
        let _ = writeln!(o, "| Cores | {cores} |");
        let _ = writeln!(o, "| Kernel | {} |", kernel());
        let _ = writeln!(
            o,
            "| Load average (1, 5, 15 min) at start / end | {} / {} |",
            self.load_before,
            load_average()
        );
        let _ = writeln!(
            o,
            "| Run | {}: {} connections, {} s warm-up, {} s measured per load |",
            if self.options.quick { "quick" } else { "full" },
            CONCURRENCY,
            self.options.warmup().as_secs(),
            self.options.measure().as_secs()
        );
        let _ = writeln!(
            o,
            "\nThe load generator runs on the same machine as offcloud (one thread, one task per \
             keep-alive HTTP/1 connection), so both share its cores, with whatever else runs there \
             (see the load average). offcloud runs in memory, release build, default settings.\n"
        );

        let _ = writeln!(o, "## Start and footprint\n");
        let _ = writeln!(o, "| Measure | Result | Target |\n|---|---|---|");
        let s = &self.startup;
        let _ = writeln!(
            o,
            "| Process start to first healthy answer (median of {}; min {}, max {}) | {} | < 20 ms, {} |",
            s.starts,
            ms(s.min),
            ms(s.max),
            ms(s.median),
            verdict(s.median < Duration::from_millis(20))
        );
        let _ = writeln!(
            o,
            "| Idle resident memory (VmRSS) after start | {} | < 10 MiB, {} |",
            mib(self.idle.rss_kib),
            verdict(self.idle.rss_kib < 10 * 1024)
        );
        let _ = writeln!(
            o,
            "| of which private (RssAnon; the rest is the binary's own pages, shared with the page cache) | {} | |",
            mib(self.idle.anon_kib)
        );
        let _ = writeln!(
            o,
            "| Idle peak resident memory (VmHWM) | {} | |",
            mib(self.idle.hwm_kib)
        );
        let f = &self.with_fixtures;
        let _ = writeln!(
            o,
            "| With the shipped fixtures (`--fixtures fixtures`, as the Docker image runs): start to first healthy answer (median of {}; min {}, max {}) | {} | < 20 ms, {} |",
            f.starts,
            ms(f.min),
            ms(f.max),
            ms(f.median),
            verdict(f.median < Duration::from_millis(20))
        );
        let _ = writeln!(
            o,
            "| With the shipped fixtures: idle resident memory (VmRSS; private {}) | {} | < 10 MiB, {} |",
            mib(f.idle.anon_kib),
            mib(f.idle.rss_kib),
            verdict(f.idle.rss_kib < 10 * 1024)
        );
        let _ = writeln!(
            o,
            "| Resident memory after setup (a few sign-ups and logins: each argon2id hash takes 19 MiB, held by the blocking thread that ran it until it idles out) | {} | |",
            mib(self.after_setup.rss_kib)
        );
        let _ = writeln!(
            o,
            "| Peak resident memory (VmHWM) after the loads below | {} | |",
            mib(self.after_load.hwm_kib)
        );
        let _ = writeln!(
            o,
            "| Resident memory (VmRSS) after the loads below | {} | |",
            mib(self.after_load.rss_kib)
        );
        let _ = writeln!(
            o,
            "| Binary size (release, stripped) | {} | |",
            mib(self.binary_size / 1024)
        );
        let _ = writeln!(o, "\n## Throughput at {CONCURRENCY} connections\n");
        let _ = writeln!(
            o,
            "| Call | Requests | req/s | p50 | p99 | Errors | Target |\n|---|---|---|---|---|---|---|"
        );
        // What one statement on one session's SQLite connection allows, measured beside them.
        let ceiling = self
            .loads
            .iter()
            .find(|(name, _)| name.contains("/_offcloud/health"))
            .map_or(0.0, |(_, r)| r.per_second);
        for (name, r) in &self.loads {
            let target = match name {
                n if n.contains("/v1/stats") => format!(
                    "≥ 20,000 req/s, p99 < 5 ms (one-statement ceiling: {ceiling:.0}), {}",
                    verdict(r.per_second >= 20_000.0 && r.p99 < Duration::from_millis(5))
                ),
                n if n.contains("GET /v1/beliefs") => format!(
                    "≥ 20,000 req/s (one-statement ceiling: {ceiling:.0}), {}",
                    verdict(r.per_second >= 20_000.0)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "| {name} | {} | {:.0} | {} | {} | {} | {target} |",
                r.requests,
                r.per_second,
                ms(r.p50),
                ms(r.p99),
                r.errors
            );
        }

        memgraph_section(o, &self.sizes);

        dgraph_section(o, &self.dgraph_sizes);
        self.hasura_section(o);
        let floor = self
            .loads
            .iter()
            .find(|(name, _)| name.contains("/_offcloud/health"))
            .map_or(0.0, |(_, r)| r.per_second);
        self.typedb.section(o, floor);
        self.new_session.markdown(o);
        out
    }

    /// Hasura's cost as its state grows: the same calls on 10 and on 10,000 stored projects.
    fn hasura_section(&self, o: &mut String) {
        let h = &self.hasura;
        let _ = writeln!(o, "\n## Hasura: stored projects\n");
        let _ = writeln!(
            o,
            "A fresh offcloud per state. Small: one user owning {small} projects. Large: the same \
             user, and another owning {rest} more ({large} in the session). `projects(limit: 10)` \
             is asked by the largest owner (10 rows back either way); `projects` by the user with \
             {small} (10 rows back either way, among {large} in the large state).\n",
            small = HASURA_SMALL,
            large = HASURA_LARGE,
            rest = HASURA_LARGE - HASURA_SMALL,
        );
        let _ = writeln!(
            o,
            "| Call | Stored projects | Load time | req/s | p50 | p99 | Errors |\n|---|---|---|---|---|---|---|"
        );
        for (call, small, large) in [
            (
                "`{ projects(limit: 10) { id name } }`",
                &h.small.limited,
                &h.large.limited,
            ),
            (
                "`{ projects { id name } }`",
                &h.small.listed,
                &h.large.listed,
            ),
        ] {
            for (stored, loading, r) in [
                (HASURA_SMALL, h.small.loading, small),
                (HASURA_LARGE, h.large.loading, large),
            ] {
                let _ = writeln!(
                    o,
                    "| {call} | {stored} | {} | {:.0} | {} | {} | {} |",
                    ms(loading),
                    r.per_second,
                    ms(r.p50),
                    ms(r.p99),
                    r.errors
                );
            }
        }
        let _ = writeln!(o);
        for (call, small, large) in [
            ("`projects(limit: 10)`", &h.small.limited, &h.large.limited),
            ("`projects`", &h.small.listed, &h.large.listed),
        ] {
            let ratio = small.per_second / large.per_second.max(1.0);
            let _ = writeln!(
                o,
                "- {call}: {ratio:.2}x slower at {HASURA_LARGE} stored projects than at {HASURA_SMALL} \
                 (target: under 2x, {}).",
                verdict(ratio < 2.0)
            );
        }
        let floor = self
            .loads
            .iter()
            .find(|(name, _)| name.contains("/_offcloud/health"))
            .map_or(0.0, |(_, r)| r.per_second);
        let _ = writeln!(
            o,
            "- `projects` at {HASURA_SMALL} rows, {CONCURRENCY} connections: {:.0} req/s (target: at \
             least 10,000, {}); the single-statement ceiling of this run (`GET /_offcloud/health`, \
             one `SELECT 1`) is {floor:.0} req/s.",
            h.small.listed.per_second,
            verdict(h.small.listed.per_second >= 10_000.0)
        );
    }
}

/// Memgraph's state-size axis: load time, then each call at each size, and the ratios.
fn memgraph_section(o: &mut String, sizes: &[(usize, SizeResult)]) {
    let _ = writeln!(o, "\n## Stored state\n");
    let _ = writeln!(
        o,
        "A fresh offcloud per row; one tenant's beliefs loaded through `POST /v1/beliefs/batch` \
         (100 per call on one keep-alive connection, the bodies built before the clock starts; \
         belief `i` is user-`i`'s and has words of its own), then each call \
         under load. Every call answers the same at both sizes: the list finds one belief, \
         the search one memory (a common word would find, and cost, as many as hold it).\n"
    );
    let calls = size_calls(SocketAddr::from(([127, 0, 0, 1], 0)), "");
    let mut header = "| Stored beliefs | Load time |".to_owned();
    let mut rule = "|---|---|".to_owned();
    for (name, _) in &calls {
        let _ = write!(header, " {name} req/s | p99 |");
        rule.push_str("---|---|");
    }
    let _ = writeln!(o, "{header} VmRSS after | VmHWM |\n{rule}---|---|");
    for (stored, r) in sizes {
        let mut line = format!("| {stored} | {} |", ms(r.loading));
        for load in &r.loads {
            let _ = write!(line, " {:.0} | {} |", load.per_second, ms(load.p99));
        }
        let memory = r.loads.last().map(|l| l.memory).unwrap_or_default();
        let _ = writeln!(
            o,
            "{line} {} | {} |",
            mib(memory.rss_kib),
            mib(memory.hwm_kib)
        );
    }
    if let (Some((small, first)), Some((large, last))) = (sizes.first(), sizes.last()) {
        let _ = writeln!(o);
        for (i, (name, _)) in calls.iter().enumerate() {
            let (Some(a), Some(b)) = (first.loads.get(i), last.loads.get(i)) else {
                continue;
            };
            let ratio = a.per_second / b.per_second.max(1.0);
            let _ = writeln!(
                o,
                "- {name}: {ratio:.2}x slower with {large} beliefs than with {small} (target: under 2x, {}).",
                verdict(ratio < 2.0)
            );
        }
        let _ = writeln!(
            o,
            "- Loading {large} beliefs: {} (target: under 3 s, {}).",
            ms(last.loading),
            verdict(last.loading < Duration::from_secs(3))
        );
    }
}

/// Dgraph's cost as its state grows: `deployments` of 10 alone, of the same 10 among 1,000,
/// and of an account holding all 1,000.
fn dgraph_section(o: &mut String, sizes: &[(DgraphState, DgraphSize)]) {
    let _ = writeln!(o, "\n## Stored state: Dgraph deployments\n");
    let _ = writeln!(
        o,
        "A fresh offcloud per row; the deployments loaded as a fixture document \
         (`POST /_offcloud/fixtures`), spread over as many accounts as it takes for the caller \
         to own the count in the second column, each backend on a port of its own \
         (`--dgraph-backend-ports 0`, a quota as large as the count). The caller's first list \
         asks for the fields the CLI lists (its ports are bound and its `jwtToken`s signed \
         there), then Cerebro's `{{ deployments {{ uid name }} }}` runs under load. \
         `deployments` takes no page arguments and returns every deployment of the caller \
         (docs/spec/dgraph.md §4.3), so the last row's answer is 100 times larger.\n"
    );
    let _ = writeln!(
        o,
        "| Deployments stored | The caller's | Load time | First list | req/s | p50 | p99 | VmRSS after | VmHWM |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (state, r) in sizes {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            state.stored,
            state.owned,
            ms(r.loading),
            ms(r.first_list),
            r.load.per_second,
            ms(r.load.p50),
            ms(r.load.p99),
            mib(r.load.memory.rss_kib),
            mib(r.load.memory.hwm_kib)
        );
    }
    let _ = writeln!(o);
    let Some((small_state, small)) = sizes.first() else {
        return;
    };
    for (state, large) in &sizes[1..] {
        let ratio = small.load.per_second / large.load.per_second.max(1.0);
        if state.owned == small_state.owned {
            let _ = writeln!(
                o,
                "- The caller's {} among {} stored: {ratio:.2}x slower than alone (target: under 2x, {}).",
                state.owned,
                state.stored,
                verdict(ratio < 2.0)
            );
        } else {
            let per_row = 1e6 / large.load.per_second.max(1.0) / state.owned as f64;
            let _ = writeln!(
                o,
                "- All {} the caller's: {ratio:.2}x slower than {} for {}x the rows (1/throughput: {per_row:.1} µs per deployment listed).",
                state.owned,
                small_state.owned,
                state.owned / small_state.owned.max(1)
            );
        }
    }
}

fn now_utc() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::now_utc()
        .format(format)
        .unwrap_or_default()
}

fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash} (with uncommitted changes)")
            } else {
                hash
            }
        }
        None => "unknown".to_owned(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| "unknown".to_owned())
}
