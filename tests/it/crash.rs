//! The binary stopped hard and stopped politely: a `kill -9` in the middle of concurrent writes
//! loses none that was acknowledged (file mode), and SIGTERM with `--state-file-save` leaves a
//! state file that the next start brings back.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// The real binary, serving everything on one main port (Memgraph under `/memgraph`).
struct Binary {
    child: Child,
    base: String,
    http: Client,
}

impl Binary {
    /// Starts it with `args` and waits until it answers its health check.
    async fn start(args: &[&str]) -> Binary {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_offcloud"))
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--memgraph-port", "off", "--typedb-port", "off"])
            .args(["--hasura-port", "off", "--dgraph-port", "off"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut binary = Binary {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        let started = Instant::now();
        loop {
            let health = binary.http.get(binary.url("/_offcloud/health")).send();
            if health.await.is_ok_and(|r| r.status().is_success()) {
                return binary;
            }
            assert!(
                binary.child.try_wait().unwrap().is_none(),
                "offcloud exited at start"
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "offcloud did not become healthy"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Onboards a Memgraph tenant and returns its API key.
    async fn onboard(&self, email: &str) -> String {
        let response = self
            .http
            .post(self.url("/memgraph/v1/auth/onboard"))
            .json(&json!({"email": email, "password": "YourSecurePassword123!",
                          "full_name": "Crash Test", "cluster_name": "crash", "sector": "Technology"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["api_key"].as_str().unwrap().to_owned()
    }

    /// Sends `signal` (`KILL`, `TERM`) and waits for the process to end.
    fn signal_and_wait(&mut self, signal: &str) -> ExitStatus {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "offcloud did not stop on {signal}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        // A failed assertion must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One writer: beliefs with keys of its own, each recorded once the server answered 201.
async fn write_until_stopped(
    http: Client,
    url: String,
    api_key: String,
    writer: usize,
    acknowledged: Arc<AtomicUsize>,
    stopped: Arc<AtomicBool>,
) -> Vec<(String, String)> {
    let mut written = Vec::new();
    for n in 0.. {
        if stopped.load(Ordering::Relaxed) {
            break;
        }
        let key = format!("k{writer}-{n}");
        let sent = http
            .post(&url)
            .header("X-API-KEY", &api_key)
            .json(&json!({"subject_id": "crash", "key": key, "value": format!("v{n}")}))
            .send()
            .await;
        // The process is gone: whatever was in flight was never acknowledged.
        let Ok(response) = sent else { break };
        if response.status() != StatusCode::CREATED {
            break;
        }
        let Ok(body) = response.json::<Value>().await else {
            break;
        };
        written.push((body["id"].as_str().unwrap().to_owned(), key));
        acknowledged.fetch_add(1, Ordering::Relaxed);
    }
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_a_kill_9_under_concurrent_load() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let mut first = Binary::start(&["--data-dir", data_dir]).await;
    let api_key = first.onboard("crash@example.com").await;

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            tokio::spawn(write_until_stopped(
                first.http.clone(),
                first.url("/memgraph/v1/beliefs"),
                api_key.clone(),
                writer,
                acknowledged.clone(),
                stopped.clone(),
            ))
        })
        .collect();
    // Killed while every writer is mid-stream, once there is something to lose.
    let started = Instant::now();
    while acknowledged.load(Ordering::Relaxed) < 300 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let status = first.signal_and_wait("KILL");
    stopped.store(true, Ordering::Relaxed);
    assert!(!status.success(), "killed, not exited: {status:?}");
    let mut written = Vec::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    assert!(
        written.len() >= 50,
        "the load wrote too little to prove anything: {}",
        written.len()
    );

    let second = Binary::start(&["--data-dir", data_dir]).await;
    let mut lost = Vec::new();
    for (id, key) in &written {
        let response = second
            .http
            .get(second.url(&format!("/memgraph/v1/beliefs/{id}")))
            .header("X-API-KEY", &api_key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK || body["key"] != key.as_str() {
            lost.push((id, key, status, body));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost, e.g. {:?}",
        lost.len(),
        written.len(),
        lost.first()
    );
}

#[tokio::test]
async fn sigterm_with_state_file_save_writes_the_state_that_the_next_start_loads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let state_file = file.to_str().unwrap();
    let mut first = Binary::start(&["--state-file", state_file, "--state-file-save"]).await;
    let api_key = first.onboard("term@example.com").await;
    let created = first
        .http
        .post(first.url("/memgraph/v1/beliefs"))
        .header("X-API-KEY", &api_key)
        .json(&json!({"subject_id": "term", "key": "city", "value": "Lisbon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let belief: Value = created.json().await.unwrap();
    assert!(!file.exists(), "nothing is saved before the shutdown");

    let status = first.signal_and_wait("TERM");
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    assert!(
        is_state_document(&file),
        "{} holds the state",
        file.display()
    );

    // In memory again: only the state file can bring the belief back.
    let second = Binary::start(&["--state-file", state_file]).await;
    let read = second
        .http
        .get(second.url(&format!(
            "/memgraph/v1/beliefs/{}",
            belief["id"].as_str().unwrap()
        )))
        .header("X-API-KEY", &api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.json::<Value>().await.unwrap(), belief);
}

fn is_state_document(file: &Path) -> bool {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|doc| doc["offcloud"].is_string() && doc["sessions"]["default"].is_object())
}
