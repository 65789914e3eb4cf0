//! The real `mutua-relay` binary as a child process, and a small client for tests.
//!
//! **Finding the binary.** `CARGO_BIN_EXE_*` exists only inside the relay crate's own tests, and
//! a test binary of this crate may be stale or absent next to us (`cargo test -p mutua-tests`
//! builds no other package's binaries). So the first [`RelayProcess::binary`] call in a test
//! process runs `cargo build -p mutua-relay --bin mutua-relay` into this very target directory
//! and profile (cargo releases its build lock while tests run; an up-to-date build takes well
//! under a second), then uses `<target>/<profile>/mutua-relay`. Set `MUTUA_RELAY_BIN` to use a
//! prebuilt binary instead.
//!
//! A [`RelayProcess`] reads the one line the relay prints on stdout to learn its address, keeps
//! everything else it prints (stdout and stderr) for [`RelayProcess::logs`], and can be killed
//! hard (SIGKILL), terminated (SIGTERM) and restarted on the same database and port.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use mutua_protocol::{
    CONTENT_TYPE, DeviceTag, DocTag, Envelope, EpochKey, ErrorBody, NamingKey, OpenSpace, SpaceId,
    SpaceInfo, Token,
};

/// The database a relay process runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayStorage {
    Sqlite(PathBuf),
    Postgres(String),
}

impl RelayStorage {
    fn arg(&self) -> String {
        match self {
            RelayStorage::Sqlite(path) => path.display().to_string(),
            RelayStorage::Postgres(url) => url.clone(),
        }
    }
}

#[derive(Debug)]
pub struct RelayProcess {
    child: Option<Child>,
    storage: RelayStorage,
    extra_args: Vec<String>,
    addr: String,
    output: Arc<Mutex<Vec<u8>>>,
}

static BINARY: OnceLock<PathBuf> = OnceLock::new();

impl RelayProcess {
    /// The relay binary, built once per test process (see the module doc).
    pub fn binary() -> PathBuf {
        BINARY
            .get_or_init(|| {
                if let Some(path) = std::env::var_os("MUTUA_RELAY_BIN") {
                    return PathBuf::from(path);
                }
                let exe = std::env::current_exe().expect("the test's own path");
                // <target>/<profile>/deps/<test binary>
                let profile_dir = exe
                    .parent()
                    .and_then(Path::parent)
                    .expect("the test runs from <target>/<profile>/deps");
                let target_dir = profile_dir.parent().expect("a target directory");
                let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .expect("the workspace root");
                let mut cargo = Command::new(env!("CARGO"));
                cargo
                    .args([
                        "build",
                        "--quiet",
                        "-p",
                        "mutua-relay",
                        "--bin",
                        "mutua-relay",
                    ])
                    .arg("--manifest-path")
                    .arg(workspace.join("Cargo.toml"))
                    .env("CARGO_TARGET_DIR", target_dir);
                if profile_dir.file_name().and_then(|n| n.to_str()) == Some("release") {
                    cargo.arg("--release");
                }
                let status = cargo.status().expect("cargo runs");
                assert!(status.success(), "building mutua-relay failed");
                let binary = profile_dir.join("mutua-relay");
                assert!(binary.is_file(), "no {}", binary.display());
                binary
            })
            .clone()
    }

    /// Starts a relay with generous rate limits (tests that check rate limiting pass their own).
    pub fn start(storage: &RelayStorage) -> RelayProcess {
        RelayProcess::start_with(storage, &["--rate", "100000", "--burst", "100000"])
    }

    /// Starts a relay with these extra `serve` flags.
    pub fn start_with(storage: &RelayStorage, extra_args: &[&str]) -> RelayProcess {
        let mut relay = RelayProcess {
            child: None,
            storage: storage.clone(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            addr: "127.0.0.1:0".into(),
            output: Arc::new(Mutex::new(Vec::new())),
        };
        relay.spawn();
        relay
    }

    fn spawn(&mut self) {
        let mut child = Command::new(RelayProcess::binary())
            .args([
                "serve",
                "--listen",
                &self.addr,
                "--database",
                &self.storage.arg(),
            ])
            .args(&self.extra_args)
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the relay starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let output = self.output.clone();
        std::thread::spawn(move || copy_into(stderr, &output));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap_or(0);
        if read == 0 {
            let status = child.wait().ok();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "the relay exited ({status:?}) before saying where it listens:\n{}",
                String::from_utf8_lossy(&self.output.lock().expect("log lock"))
            );
        }
        self.output
            .lock()
            .expect("log lock")
            .extend_from_slice(line.as_bytes());
        let addr = line
            .trim()
            .strip_prefix("mutua-relay listening on http://")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        self.addr = addr.to_owned();
        let output = self.output.clone();
        std::thread::spawn(move || copy_into(stdout, &output));
        self.child = Some(child);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn storage(&self) -> &RelayStorage {
        &self.storage
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// SIGKILL: the relay gets no chance to flush or say goodbye.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits (up to 30 s) for the relay to finish and exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the relay is running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the relay did not exit within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the relay again on the same database, address and flags (after a kill or
    /// terminate; a running one is killed first).
    pub fn restart(&mut self) {
        self.kill_hard();
        // The port was just freed; the relay binds with SO_REUSEADDR, but give the OS a moment
        // if it still says no.
        for attempt in 0..20 {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.spawn()));
            match result {
                Ok(()) => return,
                Err(e) if attempt == 19 => std::panic::resume_unwind(e),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Everything the relay printed so far, stdout and stderr.
    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().expect("log lock")).into_owned()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

fn copy_into(mut from: impl Read, to: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        to.lock().expect("log lock").extend_from_slice(&buf[..n]);
    }
}

/// One space as its members see it: keys, a device, and envelopes sealed with known plaintext.
#[derive(Debug)]
pub struct TestSpace {
    pub id: SpaceId,
    pub epoch: u32,
    pub key: EpochKey,
    pub naming: NamingKey,
    pub signer: SigningKey,
}

impl TestSpace {
    pub fn new() -> TestSpace {
        let id = SpaceId(mutua_protocol::random().expect("random"));
        TestSpace {
            id,
            epoch: 0,
            key: EpochKey::generate().expect("random"),
            naming: NamingKey::generate().expect("random"),
            signer: SigningKey::from_bytes(&mutua_protocol::random().expect("random")),
        }
    }

    pub fn token(&self) -> Token {
        self.key.token(&self.id)
    }

    pub fn open_body(&self) -> OpenSpace {
        OpenSpace {
            epoch: self.epoch,
            token_hash: self.token().hash(),
        }
    }

    pub fn doc(&self, name: &str) -> DocTag {
        self.naming.doc_tag(name)
    }

    /// The tag of device number `n` (each a different signing key would give; tests only need
    /// distinct tags).
    pub fn device(&self, n: u8) -> DeviceTag {
        self.naming.device_tag(&[n; 32])
    }

    /// Seals `plaintext` as envelope `seq` of (`doc`, `device`) in the current epoch.
    pub fn seal(&self, doc: &str, device: u8, seq: u64, plaintext: &[u8]) -> Envelope {
        Envelope::seal(
            self.id,
            self.doc(doc),
            self.device(device),
            seq,
            self.epoch,
            plaintext,
            &self.key,
            &self.signer,
        )
        .expect("seal")
    }
}

impl Default for TestSpace {
    fn default() -> TestSpace {
        TestSpace::new()
    }
}

/// A minimal HTTP client for the relay API: postcard in, postcard or JSON error out.
#[derive(Debug, Clone)]
pub struct RelayClient {
    pub base: String,
    pub http: reqwest::Client,
}

/// A reply: the status and the raw body, decodable either way.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok<T: serde::de::DeserializeOwned>(&self) -> T {
        assert_eq!(
            self.status,
            200,
            "expected success, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        mutua_protocol::decode(&self.body).expect("a postcard body")
    }

    pub fn error(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON error ({e}), got {}: {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl RelayClient {
    pub fn new(base: impl Into<String>) -> RelayClient {
        RelayClient {
            base: base.into(),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("a client"),
        }
    }

    /// Sends `body` (already encoded) with the protocol's content type.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&Token>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        self.send_as(method, path, token, body, CONTENT_TYPE).await
    }

    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&Token>,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {}", token.to_hex()));
        }
        if let Some(body) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("the relay answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("a body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn open(&self, space: &TestSpace) -> SpaceInfo {
        self.send(
            reqwest::Method::PUT,
            &mutua_protocol::paths::space(&space.id),
            Some(&space.token()),
            Some(mutua_protocol::encode(&space.open_body())),
        )
        .await
        .ok()
    }

    pub async fn sync_raw(
        &self,
        space: &SpaceId,
        token: &Token,
        request: &mutua_protocol::SyncRequest,
    ) -> Reply {
        self.send(
            reqwest::Method::POST,
            &mutua_protocol::paths::sync(space),
            Some(token),
            Some(mutua_protocol::encode(request)),
        )
        .await
    }

    pub async fn sync(
        &self,
        space: &TestSpace,
        request: &mutua_protocol::SyncRequest,
    ) -> mutua_protocol::SyncResponse {
        self.sync_raw(&space.id, &space.token(), request).await.ok()
    }
}
