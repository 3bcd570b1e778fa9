//! The real `slash-graphql` CLI (npm 1.16.7) against offcloud, non-interactively (spec §8.8).
//!
//! The CLI lives in `$OFFCLOUD_DGRAPH_CLI` (its `slash-graphql` executable; what `.ci/run` sets),
//! otherwise under `target/dgraph-cli`, installed here with npm on first use. Its only way to a
//! local server is `--environment dev`, which means http://localhost:8070: this test binds 8070.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use offcloud::config::{PortSetting, Ttl};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

/// The CLI version the spec describes (the only one on npm).
const CLI: &str = "slash-graphql@1.16.7";

fn cli_path() -> PathBuf {
    if let Some(path) = std::env::var_os("OFFCLOUD_DGRAPH_CLI") {
        return PathBuf::from(path);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dgraph-cli");
    let bin = dir.join("node_modules/.bin/slash-graphql");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).expect("target/dgraph-cli");
        let installed = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(CLI)
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "npm install {CLI} failed: install Node.js or set OFFCLOUD_DGRAPH_CLI"
        );
    }
    bin
}

struct Cli {
    bin: PathBuf,
    home: tempfile::TempDir,
}

impl Cli {
    /// Runs `slash-graphql ARGS --environment dev`; returns (exit code, stdout + stderr).
    async fn run(&self, args: &[&str]) -> (i32, String) {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .args(["--environment", "dev"])
            .current_dir(self.home.path())
            .env("HOME", self.home.path())
            .env("SLASH_GRAPHQL_CONFIG_DIR", self.home.path().join("config"))
            .env("SLASH_GRAPHQL_DISABLE_AUTOUPDATE", "1")
            .env(
                "NODE_EXTRA_CA_CERTS",
                self.home.path().join("offcloud-ca.pem"),
            )
            .env("NO_COLOR", "1");
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("cli task")
            .expect("the CLI runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code().unwrap_or(-1), text)
    }

    async fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.run(args).await;
        assert_eq!(code, 0, "slash-graphql {args:?}:\n{out}");
        out
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

#[tokio::test]
async fn the_slash_graphql_cli_manages_backends_schemas_data_and_lambdas() {
    let bin = tokio::task::spawn_blocking(cli_path).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut config = dgraph_config();
    config.dgraph.port = PortSetting::Port(8070);
    // The CLI forces https:// for `deploy-backend` and `-e <uid>`: backends' ports answer HTTPS
    // too when TLS is on, with a certificate from offcloud's CA, which the CLI is told to trust.
    config.tls_port = PortSetting::Port(0);
    config.tls_ca = Some(home.path().join("offcloud-ca.pem"));
    config.dgraph.deployment_creation = Ttl(Duration::from_secs(1));
    let s = TestServer::start_with(config).await;
    let cli = Cli { bin, home };

    // Device-code login: answered at once, as the session's first account.
    let token = account(&s, "cli@example.com").await;
    let out = cli.ok(&["login"]).await;
    assert!(out.contains("Logged In"), "{out}");

    let source = deployment(&s, &token, "Source Backend", "dedicated").await;
    let d = deployment(&s, &token, "CLI Backend", "dedicated").await;
    let uid = str_of(&d["uid"]);
    let endpoint = backend_url(&d, "/graphql");

    let out = cli.ok(&["list-backends", "--output", "json"]).await;
    let listed: Value = serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("{out}"));
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == d["uid"])
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(row["name"], "CLI Backend");
    assert_eq!(
        row["endpoint"],
        format!("https://{}/graphql", str_of(&d["url"]))
    );

    // Schema: the token comes from `deployments` by matching url with host:port.
    std::fs::write(
        cli.path("schema.graphql"),
        "type Person { name: String! age: Int }",
    )
    .unwrap();
    let out = cli
        .ok(&["update-schema", "-e", &endpoint, "schema.graphql"])
        .await;
    assert!(out.contains("Sucessfully updated schema"), "{out}");
    let out = cli.ok(&["get-schema", "-e", &endpoint]).await;
    assert!(
        out.contains("type Person { name: String! age: Int }"),
        "{out}"
    );
    // With -t, no control-plane call at all; a bad token is refused.
    let out = cli
        .ok(&["get-schema", "-e", &endpoint, "-t", &str_of(&d["jwtToken"])])
        .await;
    assert!(out.contains("type Person"), "{out}");
    let (code, out) = cli.run(&["get-schema", "-e", &endpoint, "-t", "bad"]).await;
    assert_eq!(code, 2, "{out}");
    // An invalid schema: Dgraph's error, printed.
    std::fs::write(cli.path("bad.graphql"), "type Person { pet: Pet }").unwrap();
    let (code, out) = cli
        .run(&["update-schema", "-e", &endpoint, "bad.graphql"])
        .await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("resolving updateGQLSchema failed"), "{out}");

    // Data, export, drop.
    let (status, _) = send(
        s.http
            .post(backend_url(&d, "/mutate?commitNow=true"))
            .header("X-Auth-Token", str_of(&d["jwtToken"]))
            .json(&json!({"set": [
                {"dgraph.type": "Person", "Person.name": "Ann", "Person.age": 3},
                {"dgraph.type": "Old", "Old.x": "legacy"},
            ]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    cli.ok(&["export-data", "-e", &endpoint, "-q", "out"]).await;
    for file in ["g01.gql_schema.gz", "g01.json.gz", "g01.schema.gz"] {
        let bytes = std::fs::read(cli.path("out").join(file)).unwrap_or_else(|_| panic!("{file}"));
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "{file} is gzip");
    }
    // `Old` is only in the data: the CLI lists it as unused and drops it.
    let out = cli.ok(&["drop", "-e", &endpoint, "-l"]).await;
    assert!(out.contains("Old") && !out.contains("Person"), "{out}");
    let out = cli
        .ok(&["drop", "-e", &endpoint, "-T", "Old", "-F", "Old.x", "-y"])
        .await;
    assert!(out.contains("Successfully dropped listed"), "{out}");
    let out = cli.ok(&["drop", "-e", &endpoint, "-d", "-y"]).await;
    assert!(out.contains("Successfully dropped all data!"), "{out}");

    // Backups and restore (dedicated backends).
    s.advance("default", Duration::from_secs(3600)).await;
    let out = cli.ok(&["list-backups", "-e", &endpoint]).await;
    assert!(out.contains("full"), "{out}");
    let source_uid = str_of(&source["uid"]);
    let out = cli
        .ok(&[
            "restore-backend",
            "-e",
            &endpoint,
            "--source",
            &source_uid,
            "-y",
        ])
        .await;
    assert!(out.contains("Restore in progress"), "{out}");
    let id = out.trim().rsplit(' ').next().unwrap().to_owned();
    let out = cli
        .ok(&["restore-backend-status", "-e", &endpoint, &id])
        .await;
    assert!(out.contains("Restore status: IN_PROGRESS"), "{out}");
    s.advance("default", Duration::from_secs(11)).await;
    let out = cli
        .ok(&["restore-backend-status", "-e", &endpoint, &id])
        .await;
    assert!(out.contains("Restore status: OK"), "{out}");

    // Lambdas and their logs.
    std::fs::write(cli.path("lambda.js"), "// my lambda\n").unwrap();
    cli.ok(&["update-lambda", "-e", &uid, "-f", "lambda.js"])
        .await;
    let out = cli.ok(&["get-lambda", "-e", &uid]).await;
    assert!(out.contains("// my lambda"), "{out}");
    let out = cli.ok(&["lambda-logs", "-e", &uid, "-h", "1"]).await;
    assert!(out.contains("Server Listening on port 8686!"), "{out}");
    cli.ok(&["delete-lambda", "-e", &uid, "-y"]).await;
    let out = cli.ok(&["get-lambda", "-e", &uid]).await;
    assert!(out.contains("No lambda script"), "{out}");

    // Update, API key, destroy.
    let out = cli
        .ok(&["update-backend", "-e", &uid, "-n", "New Name", "-y"])
        .await;
    assert!(out.contains("Successfully Updated the backend"), "{out}");
    let out = cli
        .ok(&["create-apikey", &uid, "-n", "key", "-r", "admin"])
        .await;
    let key = out.trim().lines().last().unwrap().trim().to_owned();
    let (status, _) = data(
        &s,
        backend_url(&d, "/admin"),
        "Dg-Auth",
        &key,
        "{ getGQLSchema { schema } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the CLI's admin key opens /admin");
    let out = cli.ok(&["destroy-backend", &uid, "-y"]).await;
    assert!(out.contains("Deleted"), "{out}");
    let out = cli.ok(&["list-backends", "--output", "json"]).await;
    assert!(!out.contains(&uid), "{out}");

    // `deploy-backend` waits for `OPTIONS https://<url>/graphql` to answer 200, then prints that
    // URL; `-e <uid>` reaches the backend over https too.
    let out = cli.ok(&["deploy-backend", "TLS Backend"]).await;
    let (status, listed) = cerebro(
        &s,
        Some(&token),
        "{ deployments { uid name url } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let made = listed["data"]["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "TLS Backend")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert!(
        out.contains(&format!("https://{}/graphql", str_of(&made["url"]))),
        "{out}"
    );
    let tls_uid = str_of(&made["uid"]);
    cli.ok(&["update-schema", "-e", &tls_uid, "schema.graphql"])
        .await;
    let out = cli.ok(&["get-schema", "-e", &tls_uid]).await;
    assert!(out.contains("type Person"), "{out}");
    // The same port still speaks plain HTTP.
    let (status, _) = data(
        &s,
        backend_url(&made, "/admin"),
        "X-Auth-Token",
        "not-a-token",
        "{ getGQLSchema { schema } }",
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Organizations, then logout of every device.
    let out = cli.ok(&["create-organization", "myorg"]).await;
    assert!(
        out.contains("Organization myorg created successfully."),
        "{out}"
    );
    let out = cli.ok(&["list-organizations"]).await;
    assert!(out.contains("myorg"), "{out}");
    let out = cli.ok(&["logout", "-a"]).await;
    assert!(out.contains("Logged out of 1 devices"), "{out}");
    // The CLI's requests (and this test's own) fit the real API's descriptions.
    crate::contract::assert_only_deliberate_violations(&s, "default", &[]).await;
}
