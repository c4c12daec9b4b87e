//! Test support shared by the integration tests.
//!
//! [`Moto`] starts moto's server (PyPI `moto[server]`, installed into `.venv/` by
//! `scripts/test`) on a free loopback port, waits until it answers, and stops it when
//! dropped. moto speaks the DynamoDB, Secrets Manager and EventBridge wire protocols, so
//! the real AWS SDK adapters run against it unchanged. It answers one request at a time
//! (`moto_serial.py`): DynamoDB applies each request atomically, and moto's threads alone
//! would let two concurrent conditional writes both pass. [`runtime::RuntimeApi`] is a
//! Lambda Runtime API on loopback, for running the function binaries as Lambda does.

pub mod runtime;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Dummy credentials: moto accepts any, and tests must never pick up real ones.
pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing";
pub const REGION: &str = "us-east-1";

/// The repository root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// How to start moto: `MOTO_SERVER_BIN` as it is when set, else the venv's Python with
/// `moto_serial.py` (moto's server answering one request at a time, as DynamoDB applies
/// each request atomically; see that file).
fn moto_command() -> (PathBuf, Vec<String>) {
    if let Some(path) = std::env::var_os("MOTO_SERVER_BIN") {
        return (PathBuf::from(path), Vec::new());
    }
    let launcher = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("moto_serial.py");
    (
        workspace_root().join(".venv/bin/python"),
        vec![launcher.display().to_string()],
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// A running moto server, private to the test that started it.
pub struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    /// Starts a fresh server and waits (up to 60 s) until it answers.
    ///
    /// The port is free when picked but may be taken before moto binds it (another
    /// test's server, on a busy machine): a server that exits before answering is
    /// started again on another port, up to three times, and the panic quotes its last
    /// words.
    ///
    /// Panics with a message saying how to install moto when the binary is missing:
    /// a test that cannot reach its database must fail, never pass silently.
    pub async fn start() -> Moto {
        let (bin, launcher) = moto_command();
        Moto::start_with(&bin, &launcher).await
    }

    async fn start_with(bin: &std::path::Path, launcher: &[String]) -> Moto {
        assert!(
            bin.exists(),
            "{} not found: run `scripts/test` (it installs moto[server] into .venv/) \
             or set MOTO_SERVER_BIN",
            bin.display()
        );
        let mut last_words = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("moto-{port}-{}.log", std::process::id()));
            let stderr = std::fs::File::create(&log)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null());
            let child = Command::new(bin)
                .args(launcher)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let mut moto = Moto {
                child,
                endpoint: format!("http://127.0.0.1:{port}"),
            };
            let ready = moto.wait_ready().await;
            let words = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            match ready {
                Ready::Answering => return moto,
                Ready::Exited => last_words = tail(&words),
                Ready::Silent => panic!(
                    "moto_server did not answer on {} within 60 s: {}",
                    moto.endpoint,
                    tail(&words)
                ),
            }
        }
        panic!("moto_server exited before answering, three times; last: {last_words}")
    }

    async fn wait_ready(&mut self) -> Ready {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("{}/moto-api/", self.endpoint);
        while Instant::now() < deadline {
            if let Ok(resp) = http.get(&url).send().await
                && resp.status().is_success()
            {
                return Ready::Answering;
            }
            if !matches!(self.child.try_wait(), Ok(None)) {
                return Ready::Exited;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ready::Silent
    }

    /// Base URL to give the AWS SDK as its endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Forgets every resource (tables, secrets, buses).
    pub async fn reset(&self) {
        let url = format!("{}/moto-api/reset", self.endpoint);
        let resp = reqwest::Client::new()
            .post(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("moto reset failed: {e}"));
        assert!(
            resp.status().is_success(),
            "moto reset answered {}",
            resp.status()
        );
    }
}

/// How a starting server turned out.
enum Ready {
    Answering,
    /// The process ended (e.g. its port was taken meanwhile).
    Exited,
    /// Still running, never answering.
    Silent,
}

/// The end of a server's error output (its last lines, at most 600 characters), enough
/// to say why it stopped.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    let joined = lines.into_iter().rev().collect::<Vec<_>>().join(" | ");
    let chars = joined.chars().count();
    if chars <= 600 {
        return joined;
    }
    format!("…{}", joined.chars().skip(chars - 600).collect::<String>())
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// An AWS SDK configuration pointed at this server with dummy credentials, so the
    /// real adapters talk to moto and never to AWS.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "moto");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    #[should_panic(expected = "exited before answering, three times; last: Address already in use")]
    async fn a_server_that_exits_is_started_again_then_named_with_its_last_words() {
        let script = "echo 'Address already in use' >&2; exit 1";
        let launcher = ["-c".to_owned(), script.to_owned(), "sh".to_owned()];
        Moto::start_with(std::path::Path::new("/bin/sh"), &launcher).await;
    }
}
