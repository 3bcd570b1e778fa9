//! The `offcloud` binary as a user runs it: serving, `healthcheck`, and a clean stop on SIGTERM.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthcheck(port: u16) -> bool {
    Command::new(env!("CARGO_BIN_EXE_offcloud"))
        .args([
            "healthcheck",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn the_binary_serves_passes_its_healthcheck_and_stops_on_sigterm() {
    let port = free_port();
    assert!(!healthcheck(port), "nothing is listening yet");

    let mut child = Command::new(env!("CARGO_BIN_EXE_offcloud"))
        .env("OFFCLOUD_PORT", port.to_string())
        .env("OFFCLOUD_MEMGRAPH_PORT", "off")
        .env("OFFCLOUD_TYPEDB_PORT", "off")
        .env("OFFCLOUD_HASURA_PORT", "off")
        .env("OFFCLOUD_DGRAPH_PORT", "off")
        .env("OFFCLOUD_BIND", "127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !healthcheck(port) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    assert!(!healthcheck(port));
}

/// Runs the binary with `args` and a main port that is already taken: it logs an error and exits
/// at once. Returns the exit status and everything it printed.
fn run_on_a_taken_port(args: &[&str]) -> (std::process::ExitStatus, String, u16) {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_offcloud"))
        .args(args)
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--memgraph-port",
            "0",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status, log, port)
}

#[test]
fn json_logs_are_one_json_object_a_line() {
    let (_, log, _) = run_on_a_taken_port(&["--log-format", "json"]);
    let line = log.lines().next().expect("a log line");
    let entry: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(entry["level"], "ERROR");
    assert!(
        entry["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot listen"),
        "{entry}"
    );
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_offcloud"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for var in [
        "OFFCLOUD_PORT",
        "OFFCLOUD_MEMGRAPH_PORT",
        "OFFCLOUD_BIND",
        "OFFCLOUD_DATABASE_URL",
        "OFFCLOUD_DATA_DIR",
        "OFFCLOUD_LOG_FORMAT",
        "OFFCLOUD_BODY_LIMIT",
        "OFFCLOUD_SIGNING_SECRET",
        "OFFCLOUD_MEMGRAPH_DEV_MODE",
        "OFFCLOUD_MEMGRAPH_JWT_TTL",
        "OFFCLOUD_MEMGRAPH_API_KEY_ROLE",
    ] {
        assert!(help.contains(var), "--help mentions {var}");
    }
    assert!(help.contains("healthcheck"));
}

#[test]
fn a_port_in_use_is_a_clear_start_error() {
    let (status, log, port) = run_on_a_taken_port(&[]);
    assert!(!status.success());
    assert!(
        log.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{log}"
    );
}
