//! `--tls-port`: everything the main listener serves, over HTTPS, with a generated certificate
//! signed by a CA the user trusts, or with the user's own certificate.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use offcloud::config::PortSetting;
use offcloud::{Config, Server};
use reqwest::{Certificate, Client, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, test_config};

fn tls_config(ca: &Path) -> Config {
    let mut config = test_config();
    config.tls_port = PortSetting::Port(0);
    config.tls_ca = Some(ca.to_path_buf());
    config
}

/// The HTTPS listener's address, as `/_offcloud/info` reports it.
async fn tls_address(server: &TestServer) -> SocketAddr {
    let info: Value = server
        .http
        .get(server.main_url("/_offcloud/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listener = info["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "tls")
        .unwrap_or_else(|| panic!("no tls listener in {info}"));
    listener["address"].as_str().unwrap().parse().unwrap()
}

/// A client that trusts only the CA (or certificate) in `pem`, and sends the given host names to
/// offcloud's HTTPS listener, as a network alias or /etc/hosts entry would.
fn trusting(pem: &Path, address: SocketAddr, hosts: &[&str]) -> Client {
    let ca = Certificate::from_pem(&std::fs::read(pem).unwrap()).unwrap();
    let mut builder = Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca);
    for host in hosts {
        builder = builder.resolve(host, address);
    }
    builder.build().unwrap()
}

async fn get(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_https_listener_serves_every_service_and_the_control_api_with_a_trusted_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let server = TestServer::start_with(tls_config(&ca)).await;
    let address = tls_address(&server).await;
    let port = address.port();
    let client = trusting(
        &ca,
        address,
        &[
            "api.memgraph.ai",
            "memgraph.localhost",
            "cloud.typedb.com",
            "polished-violet.us-east-1.aws.cloud.dgraph.io",
        ],
    );

    let healthy = (StatusCode::OK, json!({"status": "healthy"}));
    for base in [
        format!("https://localhost:{port}"),
        format!("https://127.0.0.1:{port}"),
    ] {
        assert_eq!(
            get(&client, &format!("{base}/_offcloud/health")).await,
            healthy
        );
    }
    // [::1] is in the certificate; only checked where this machine has IPv6 loopback.
    let ipv6 = format!("https://[::1]:{port}/_offcloud/health");
    if let Ok(response) = client.get(&ipv6).send().await {
        assert_eq!(response.status(), StatusCode::OK);
    }

    // A service by its prefix, by its real host name and by `<service>.localhost`: the same
    // Memgraph, answering as it does over plain HTTP.
    let (status, plain) = get(&server.http, &server.mg("/health")).await;
    assert_eq!(status, StatusCode::OK);
    for url in [
        format!("https://localhost:{port}/memgraph/health"),
        format!("https://api.memgraph.ai:{port}/health"),
        format!("https://memgraph.localhost:{port}/health"),
    ] {
        assert_eq!(get(&client, &url).await, (StatusCode::OK, plain.clone()));
    }

    // State is shared with the plain listeners: an account made over HTTPS works over HTTP.
    let onboard = client
        .post(format!("https://api.memgraph.ai:{port}/v1/auth/onboard"))
        .json(&json!({
            "email": "tls@example.com",
            "password": "pw-123456",
            "full_name": "T L S",
            "cluster_name": "Secure",
            "sector": "Tech"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(onboard.status(), StatusCode::OK);
    let key = onboard.json::<Value>().await.unwrap()["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let whoami = server
        .http
        .get(server.mg("/v1/auth/whoami"))
        .header("X-API-KEY", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::OK);

    // The certificate covers the other real hosts and Dgraph deployment hosts too: the TLS
    // handshake succeeds and offcloud answers (whatever the route says).
    for url in [
        format!("https://cloud.typedb.com:{port}/api/v1/nothing-here"),
        format!("https://polished-violet.us-east-1.aws.cloud.dgraph.io:{port}/health"),
    ] {
        let response = client.get(&url).send().await;
        let response = response.unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
        assert!(
            !response.status().is_server_error(),
            "{url}: {}",
            response.status()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused_and_plain_http_does_not_break_the_port() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let server = TestServer::start_with(tls_config(&ca)).await;
    let address = tls_address(&server).await;

    let stranger = Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    let refused = stranger
        .get(format!(
            "https://localhost:{}/_offcloud/health",
            address.port()
        ))
        .send()
        .await;
    assert!(refused.is_err(), "an untrusted certificate must be refused");

    // Plain HTTP to the HTTPS port gets no answer, and the port keeps serving HTTPS.
    let plain = server
        .http
        .get(format!("http://{address}/_offcloud/health"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let client = trusting(&ca, address, &[]);
    let (status, _) = get(
        &client,
        &format!("https://localhost:{}/_offcloud/health", address.port()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn the_ca_is_kept_across_restarts_and_its_key_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("certs").join("ca.pem");
    std::fs::create_dir_all(ca.parent().unwrap()).unwrap();

    let first = TestServer::start_with(tls_config(&ca)).await;
    first.stop().await;
    let written = std::fs::read(&ca).unwrap();
    assert!(String::from_utf8_lossy(&written).starts_with("-----BEGIN CERTIFICATE-----"));
    let key = dir.path().join("certs").join("ca.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the CA key is readable by its owner only");
    }

    // A client that trusted the first start's CA file reaches the second start.
    let trusted_copy = dir.path().join("trusted.pem");
    std::fs::copy(&ca, &trusted_copy).unwrap();
    let second = TestServer::start_with(tls_config(&ca)).await;
    assert_eq!(
        std::fs::read(&ca).unwrap(),
        written,
        "the CA is not replaced"
    );
    let address = tls_address(&second).await;
    let client = trusting(&trusted_copy, address, &[]);
    let (status, _) = get(
        &client,
        &format!("https://localhost:{}/_offcloud/health", address.port()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    second.stop().await;

    // A lost certificate file is written again from the kept key, and still trusted.
    std::fs::remove_file(&ca).unwrap();
    let third = TestServer::start_with(tls_config(&ca)).await;
    assert!(ca.exists());
    let address = tls_address(&third).await;
    let client = trusting(&trusted_copy, address, &[]);
    let (status, _) = get(
        &client,
        &format!("https://localhost:{}/_offcloud/health", address.port()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    third.stop().await;
}

#[tokio::test]
async fn the_ca_goes_beside_the_database_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.tls_port = PortSetting::Port(0);
    config.data_dir = Some(dir.path().to_path_buf());
    let server = TestServer::start_with(config).await;
    assert!(dir.path().join("offcloud-ca.pem").exists());
    assert!(dir.path().join("offcloud-ca.key").exists());
    server.stop().await;
}

/// A certificate of the user's own for `localhost`, as PEM files.
fn own_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.join("own.pem");
    let key = dir.join("own-key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[tokio::test]
async fn a_given_certificate_is_served_and_no_ca_is_generated() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = own_certificate(dir.path());
    let ca = dir.path().join("ca.pem");
    let mut config = tls_config(&ca);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    let server = TestServer::start_with(config).await;
    let address = tls_address(&server).await;

    let client = trusting(&cert, address, &[]);
    let (status, body) = get(
        &client,
        &format!("https://localhost:{}/_offcloud/health", address.port()),
    )
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"status": "healthy"}))
    );
    assert!(
        !ca.exists(),
        "no CA is generated when a certificate is given"
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_tls_settings_stop_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = own_certificate(dir.path());
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let missing = dir.path().join("missing.pem");

    let cases: Vec<(Option<PathBuf>, Option<PathBuf>, &str)> = vec![
        (
            Some(cert.clone()),
            None,
            "--tls-cert and --tls-key go together",
        ),
        (
            None,
            Some(key.clone()),
            "--tls-cert and --tls-key go together",
        ),
        (Some(missing.clone()), Some(key.clone()), "--tls-cert"),
        (Some(garbage.clone()), Some(key.clone()), "--tls-cert"),
        (Some(cert.clone()), Some(missing), "--tls-key"),
        (Some(cert.clone()), Some(garbage), "--tls-key"),
        // The key of another certificate.
        (
            Some(cert),
            Some(another_key(dir.path())),
            "does not fit its key",
        ),
    ];
    for (cert, key, wanted) in cases {
        let mut config = tls_config(&dir.path().join("ca.pem"));
        config.tls_cert = cert.clone();
        config.tls_key = key.clone();
        let error = match Server::bind(config).await {
            Ok(_) => panic!("{cert:?} {key:?} should not start"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains(wanted), "{cert:?} {key:?}: {error}");
    }
}

fn another_key(dir: &Path) -> PathBuf {
    let path = dir.join("another-key.pem");
    std::fs::write(&path, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    path
}

#[tokio::test]
async fn a_taken_tls_port_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = tls_config(&dir.path().join("ca.pem"));
    config.tls_port = PortSetting::Port(port);
    let error = match Server::bind(config).await {
        Ok(_) => panic!("a taken port should not start"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{error}"
    );
}
