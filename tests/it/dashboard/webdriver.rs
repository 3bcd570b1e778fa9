//! A small W3C WebDriver client over reqwest, driving Debian's headless Chromium through its
//! chromedriver: just what the dashboard's tests need (navigate, find, click, type, run a script,
//! take a screenshot, read a download).
//!
//! The browser and driver are `$OFFCLOUD_CHROMIUM` and `$OFFCLOUD_CHROMEDRIVER` (what
//! `.ci/clients/dashboard.sh` exports), else `/usr/bin/chromium` and `/usr/bin/chromedriver`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The key W3C WebDriver names element references with.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn executable(env_var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found: run .ci/clients/dashboard.sh (it installs Debian's chromium and \
         chromium-driver) or set {env_var}",
        path.display()
    );
    path
}

/// Where the tests save what the browser showed.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dashboard-screenshots")
}

pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver: Child,
    /// Where the browser saves downloads: inside the profile, never the user's own folder.
    downloads: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium with a fresh profile.
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromium = executable("OFFCLOUD_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = executable("OFFCLOUD_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile folder");
        // The flags Chromium needs on a machine with no network and no display, as root.
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--force-device-scale-factor=1".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let downloads = profile.path().join("downloads");
        let prefs = json!({
            "download.default_directory": downloads,
            "download.prompt_for_download": false,
        });
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args, "prefs": prefs},
        }}});
        let answer = post(&http, &format!("{base}/session"), capabilities).await;
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_owned();
        let browser = Browser {
            http,
            session: format!("{base}/session/{id}"),
            driver,
            downloads,
            _profile: profile,
        };
        browser.resize(width, height).await;
        browser
    }

    async fn call(&self, path: &str, body: Value) -> Value {
        post(&self.http, &format!("{}{path}", self.session), body).await
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.call("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    pub async fn goto(&self, url: &str) {
        self.call("/url", json!({ "url": url })).await;
    }

    /// Runs a script (a function body: `return ...`) with arguments.
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.call("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until the script returns true; on timeout, saves a screenshot and fails.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) {
        let started = Instant::now();
        loop {
            if self.eval(script, args.clone()).await == Value::Bool(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let name = format!(
                    "timeout-{}",
                    what.replace(|c: char| !c.is_alphanumeric(), "-")
                );
                self.screenshot(&name).await;
                let text = self
                    .eval("return document.body.innerText.slice(0, 3000)", json!([]))
                    .await;
                panic!("timed out waiting for {what}; the page said:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching the CSS selector contains the text.
    pub async fn wait_for_text(&self, selector: &str, text: &str) {
        self.wait_for(
            &format!("{selector} to show {text:?}"),
            "return Array.from(document.querySelectorAll(arguments[0])).some(e => e.textContent.includes(arguments[1]))",
            json!([selector, text]),
        )
        .await;
    }

    /// The first element matching the CSS selector, waiting for it to exist.
    pub async fn find(&self, selector: &str) -> String {
        self.wait_for(
            &format!("{selector} to exist"),
            "return document.querySelector(arguments[0]) !== null",
            json!([selector]),
        )
        .await;
        let found = self
            .call(
                "/element",
                json!({"using": "css selector", "value": selector}),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element reference for {selector}: {found}"))
            .to_owned()
    }

    /// Clicks as a user does: the element is scrolled into view, and must not be covered. The
    /// page re-renders as data arrives: an element replaced between finding and clicking it is
    /// found again.
    pub async fn click(&self, selector: &str) {
        for _ in 0..10 {
            let element = self.find(selector).await;
            let url = format!("{}/element/{element}/click", self.session);
            match send(self.http.post(&url).json(&json!({})).send().await).await {
                Ok(_) => return,
                Err(body) if redrawn(&body) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(body) => panic!("WebDriver {url}: {body}"),
            }
        }
        panic!("{selector} kept being replaced before it could be clicked");
    }

    /// Clicks the button whose text is `label`, among those matching the selector.
    pub async fn click_button(&self, selector: &str, label: &str) {
        self.wait_for(
            &format!("a button {label:?}"),
            "const b = Array.from(document.querySelectorAll(arguments[0])).find(e => e.textContent.trim() === arguments[1]); \
             if (!b) return false; document.querySelectorAll('[data-wd-target]').forEach(e => e.removeAttribute('data-wd-target')); \
             b.setAttribute('data-wd-target', ''); return true;",
            json!([selector, label]),
        )
        .await;
        self.click("[data-wd-target]").await;
    }

    /// Types into a field, replacing what it held. For a file input, `text` is a file's path.
    pub async fn type_into(&self, selector: &str, text: &str) {
        // The page may redraw the element between finding and typing (a refresh re-rendering a
        // dialog): find it again, as a user's next keystroke would land on the new one.
        for _ in 0..10 {
            let element = self.find(selector).await;
            let is_file = self
                .eval(
                    "return document.querySelector(arguments[0]).type === 'file'",
                    json!([selector]),
                )
                .await;
            let element_url = format!("{}/element/{element}", self.session);
            let mut typed = Ok(Value::Null);
            if is_file != Value::Bool(true) {
                typed = send(
                    self.http
                        .post(format!("{element_url}/clear"))
                        .json(&json!({}))
                        .send()
                        .await,
                )
                .await;
            }
            if typed.is_ok() {
                typed = send(
                    self.http
                        .post(format!("{element_url}/value"))
                        .json(&json!({ "text": text }))
                        .send()
                        .await,
                )
                .await;
            }
            match typed {
                Ok(_) => return,
                Err(body) if redrawn(&body) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(body) => panic!("WebDriver {element_url}: {body}"),
            }
        }
        panic!("{selector} kept being replaced before it could be typed into");
    }

    /// Sends keys to an element as a user typing on it would, without clearing it first
    /// (`" "` toggles a focused checkbox).
    pub async fn press(&self, selector: &str, keys: &str) {
        let element = self.find(selector).await;
        self.call(
            &format!("/element/{element}/value"),
            json!({ "text": keys }),
        )
        .await;
    }

    /// Everything in the page, markup and attributes included.
    pub async fn source(&self) -> String {
        let html = self
            .eval("return document.documentElement.outerHTML", json!([]))
            .await;
        html.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG under `target/dashboard-screenshots/`; answers its path. Chromium under load
    /// can fail a capture once (its renderer answering late): it is asked again before failing.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let url = format!("{}/screenshot", self.session);
        let mut attempt = 0;
        let answer = loop {
            match send(self.http.get(&url).send().await).await {
                Ok(answer) => break answer,
                Err(body) if attempt == 3 => panic!("WebDriver {url}: {body}"),
                Err(_) => attempt += 1,
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(answer.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// The bytes of a file the page downloaded, waiting for Chromium to finish writing it.
    pub async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.join(name);
        let started = Instant::now();
        loop {
            // Chromium writes into `NAME.crdownload` and renames it when done.
            if let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let found: Vec<_> = std::fs::read_dir(&self.downloads)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name())
                    .collect();
                panic!("{name} was not downloaded; the folder holds {found:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the WebDriver session ends Chromium (killing chromedriver alone would leave
        // it running); Drop cannot wait on async, so the DELETE goes over a plain socket.
        let _ = self.delete_session();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn delete_session(&self) -> std::io::Result<()> {
        use std::io::{Read, Write};
        let rest = self.session.trim_start_matches("http://");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut stream = std::net::TcpStream::connect(host)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "DELETE {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(())
    }
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Value {
    answer(url, http.post(url).json(&body).send().await).await
}

async fn answer(url: &str, sent: reqwest::Result<reqwest::Response>) -> Value {
    send(sent)
        .await
        .unwrap_or_else(|body| panic!("WebDriver {url}: {body}"))
}

/// Whether WebDriver refused because the element was replaced or not yet usable (a redraw).
fn redrawn(body: &Value) -> bool {
    matches!(
        body["value"]["error"].as_str(),
        Some("stale element reference" | "element not interactable")
    )
}

/// The answer's `value`, or the whole error body.
async fn send(sent: reqwest::Result<reqwest::Response>) -> Result<Value, Value> {
    let response = sent.map_err(|e| json!({ "transport": e.to_string() }))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        Ok(body["value"].clone())
    } else {
        Err(body)
    }
}
