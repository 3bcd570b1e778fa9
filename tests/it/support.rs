//! Starting offcloud in-process on free ports, and talking to it over real HTTP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use offcloud::config::PortSetting;
use offcloud::session::{Session, SessionName};
use offcloud::{AppState, Config, Server};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    pub main: SocketAddr,
    pub memgraph: SocketAddr,
    pub typedb: SocketAddr,
    pub hasura: SocketAddr,
    pub dgraph: SocketAddr,
    pub http: Client,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// The defaults, on loopback and free ports, in memory.
pub fn test_config() -> Config {
    let mut config = Config::defaults();
    config.bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    config.port = PortSetting::Port(0);
    config.memgraph.port = PortSetting::Port(0);
    config.typedb.port = PortSetting::Port(0);
    config.hasura.port = PortSetting::Port(0);
    config.dgraph.port = PortSetting::Port(0);
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(test_config()).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let server = Server::bind(config).await.expect("server binds");
        let main = server.address("main").expect("main listener");
        let memgraph = server.address("memgraph").expect("memgraph listener");
        let typedb = server.address("typedb").expect("typedb listener");
        let hasura = server.address("hasura").expect("hasura listener");
        let dgraph = server.address("dgraph").expect("dgraph listener");
        let state = server.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestServer {
            main,
            memgraph,
            typedb,
            hasura,
            dgraph,
            http,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops gracefully and waits until every listener is closed and the databases are shut.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }

    /// A URL on the Memgraph listener, where Memgraph is at the root.
    pub fn mg(&self, path: &str) -> String {
        format!("http://{}{path}", self.memgraph)
    }

    /// A URL on the main listener.
    pub fn main_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.main)
    }

    /// The running server's state (sessions, journal, configuration).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn session(&self, name: &str) -> Session {
        let name = SessionName::parse(name).expect("valid session name");
        self.state.sessions.get(&name).await.expect("session opens")
    }

    /// Moves the session's clock forward.
    pub async fn advance(&self, session: &str, by: Duration) {
        self.session(session).await.clock().advance(by);
    }

    /// Onboards a fresh tenant on the Memgraph listener (default session) and logs its admin in.
    pub async fn onboard(&self, email: &str) -> Account {
        self.onboard_at(&self.mg(""), email).await
    }

    /// The same through any base URL that reaches Memgraph's root.
    pub async fn onboard_at(&self, base: &str, email: &str) -> Account {
        let password = "YourSecurePassword123!";
        let (status, body) = send(
            self.http
                .post(format!("{base}/v1/auth/onboard"))
                .json(&json!({
                    "email": email,
                    "password": password,
                    "full_name": "Test Admin",
                    "cluster_name": format!("{email} workspace"),
                    "sector": "Technology",
                })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "onboard: {body}");
        let token = self.login_at(base, email, password).await;
        Account {
            email: email.to_owned(),
            password: password.to_owned(),
            tenant_id: str_of(&body["tenant_id"]),
            user_id: str_of(&body["user_id"]),
            api_key: str_of(&body["api_key"]),
            token,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        self.login_at(&self.mg(""), email, password).await
    }

    async fn login_at(&self, base: &str, email: &str, password: &str) -> String {
        let (status, body) = send(
            self.http
                .post(format!("{base}/v1/auth/login"))
                .form(&[("username", email), ("password", password)]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "login: {body}");
        assert_eq!(body["token_type"], "bearer");
        str_of(&body["access_token"])
    }

    /// Creates a dashboard user with that role in the account's tenant and logs them in.
    pub async fn user_with_role(
        &self,
        admin: &Account,
        email: &str,
        role: &str,
    ) -> (String, String) {
        let (status, body) = send(
            self.http
                .post(self.mg("/v1/users"))
                .bearer_auth(&admin.token)
                .json(&json!({
                    "email": email, "password": "pw-for-tests", "full_name": role, "role": role,
                })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "create user: {body}");
        let token = self.login(email, "pw-for-tests").await;
        (str_of(&body["id"]), token)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub email: String,
    pub password: String,
    pub tenant_id: String,
    pub user_id: String,
    pub api_key: String,
    pub token: String,
}

/// Sends, and returns the status with the body as JSON (`Value::String` when it is not JSON).
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status();
    (status, body_of(response).await)
}

pub async fn body_of(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

pub fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

/// How a Memgraph request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    Nobody,
    Bearer(&'a str),
    Key(&'a str),
}

impl TestServer {
    /// A request to the Memgraph listener, as `who`, with an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        who: Auth<'_>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method.parse().expect("method"), self.mg(path));
        request = match who {
            Auth::Nobody => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Key(key) => request.header("X-API-KEY", key),
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }

    pub async fn get(&self, path: &str, who: Auth<'_>) -> (StatusCode, Value) {
        self.call("GET", path, who, None).await
    }

    pub async fn post(&self, path: &str, who: Auth<'_>, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, who, Some(body)).await
    }

    pub async fn patch(&self, path: &str, who: Auth<'_>, body: Value) -> (StatusCode, Value) {
        self.call("PATCH", path, who, Some(body)).await
    }

    pub async fn delete(&self, path: &str, who: Auth<'_>) -> (StatusCode, Value) {
        self.call("DELETE", path, who, None).await
    }
}

impl Account {
    pub fn bearer(&self) -> Auth<'_> {
        Auth::Bearer(&self.token)
    }

    pub fn key(&self) -> Auth<'_> {
        Auth::Key(&self.api_key)
    }
}

/// FastAPI's `{"detail": ...}` answer with that status.
pub fn detail(status: StatusCode, detail: impl Into<Value>) -> (StatusCode, Value) {
    (status, json!({ "detail": detail.into() }))
}

/// A real Python client the tests drive: the interpreter of a virtualenv holding `requirement`.
/// CI installs it beforehand (`.ci/clients/*.sh`) and points `env_var` at the interpreter;
/// otherwise the virtualenv is made under `target/` on first use.
pub struct PythonClient {
    pub env_var: &'static str,
    /// Folder under `target/`.
    pub venv: &'static str,
    /// What `pip install` gets, pinned.
    pub requirement: &'static str,
    /// Modules that must import for the virtualenv to count as ready.
    pub imports: &'static str,
}

impl PythonClient {
    pub fn python(&self) -> std::path::PathBuf {
        use std::process::Command;
        // Tests run in parallel: one installation at a time.
        static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());

        if let Some(python) = std::env::var_os(self.env_var) {
            return python.into();
        }
        let _guard = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
        let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(self.venv);
        let python = venv.join("bin/python");
        let ready = Command::new(&python)
            .args(["-c", &format!("import {}", self.imports)])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            let made = Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv)
                .status();
            assert!(
                made.is_ok_and(|s| s.success()),
                "python3 -m venv failed: install Python 3 or set {}",
                self.env_var
            );
            let installed = Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", self.requirement])
                .status();
            assert!(
                installed.is_ok_and(|s| s.success()),
                "pip install {} failed",
                self.requirement
            );
        }
        python
    }
}
