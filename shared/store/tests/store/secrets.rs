//! The secret adapters against real backends: Secrets Manager (moto's server) and the
//! local file.

use aws_sdk_secretsmanager::Client;
use bridge_core::credentials::{AcronisCredentials, AutotaskCredentials, CredentialsError};
use bridge_core::secret::Secret;
use bridge_store::secrets::{FileSecretSource, SecretError, SecretSource, SecretsManagerSource};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use test_harness::Moto;

const AT_SECRET: &str = "At$ecret-7Fq2Lw9Zx";
const ACR_SECRET: &str = "c0ffee5ecret0dd5eedb0a7d00d5ca1e";
const AT_ID: &str = "acronis-autotask-bridge/autotask";
const ACR_ID: &str = "acronis-autotask-bridge/acronis";

fn autotask() -> AutotaskCredentials {
    AutotaskCredentials {
        username: "bridge-api@msp.example.com".into(),
        secret: Secret::new(AT_SECRET),
        integration_code: "HUCHGU3GJL5RIWEFXBZTGM5JVWG".into(),
        zone_url: None,
        saved_at: Some("2025-05-01T08:00:00Z".parse().expect("timestamp")),
    }
}

fn acronis() -> AcronisCredentials {
    AcronisCredentials {
        datacenter_url: "https://eu2-cloud.acronis.com".into(),
        client_id: "8c1a4f0e-3b2d-4e5f-9a8b-7c6d5e4f3a2b".into(),
        client_secret: Secret::new(ACR_SECRET),
        saved_at: None,
    }
}

async fn client(moto: &Moto) -> Client {
    Client::new(&moto.sdk_config().await)
}

/// As the infrastructure leaves them: existing, with `{}`.
async fn create_empty_secrets(client: &Client) {
    for id in [AT_ID, ACR_ID] {
        client
            .create_secret()
            .name(id)
            .secret_string("{}")
            .send()
            .await
            .expect("create secret");
    }
}

async fn store_raw(client: &Client, id: &str, text: &str) {
    client
        .put_secret_value()
        .secret_id(id)
        .secret_string(text)
        .send()
        .await
        .expect("put raw secret");
}

fn assert_no_secret(text: &str) {
    for secret in [AT_SECRET, ACR_SECRET, "hunter2"] {
        assert!(!text.contains(secret), "secret leaked into: {text}");
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bridge-secrets-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test]
async fn secrets_manager_round_trips_both_credentials() {
    let moto = Moto::start().await;
    let client = client(&moto).await;
    create_empty_secrets(&client).await;
    let source = SecretsManagerSource::new(client.clone(), AT_ID, ACR_ID);

    assert_eq!(
        source.get_autotask().await.expect("get"),
        None,
        "{{}} is not set"
    );
    assert_eq!(source.get_acronis().await.expect("get"), None);

    source
        .put_autotask(&autotask())
        .await
        .expect("put autotask");
    source.put_acronis(&acronis()).await.expect("put acronis");
    assert_eq!(source.get_autotask().await.expect("get"), Some(autotask()));
    assert_eq!(source.get_acronis().await.expect("get"), Some(acronis()));

    // The zone found later is saved on top of the same secret.
    let moved = AutotaskCredentials {
        zone_url: Some("https://webservices29.autotask.net/ATServicesRest/".into()),
        ..autotask()
    };
    source.put_autotask(&moved).await.expect("put again");
    assert_eq!(source.get_autotask().await.expect("get"), Some(moved));

    // The stored text is the documented JSON shape.
    let raw = client
        .get_secret_value()
        .secret_id(ACR_ID)
        .send()
        .await
        .expect("raw");
    let json: serde_json::Value =
        serde_json::from_str(raw.secret_string().expect("string")).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "datacenter_url": "https://eu2-cloud.acronis.com",
            "client_id": "8c1a4f0e-3b2d-4e5f-9a8b-7c6d5e4f3a2b",
            "client_secret": ACR_SECRET
        })
    );
}

#[tokio::test]
async fn secrets_manager_missing_or_empty_secret_is_not_set() {
    let moto = Moto::start().await;
    let client = client(&moto).await;
    let source = SecretsManagerSource::new(client.clone(), AT_ID, ACR_ID);
    assert_eq!(source.get_autotask().await.expect("missing secret"), None);

    // A secret created without any value yet.
    client
        .create_secret()
        .name(AT_ID)
        .send()
        .await
        .expect("create");
    assert_eq!(source.get_autotask().await.expect("no value"), None);

    // (An empty SecretString cannot be stored: Secrets Manager refuses it.)
    for empty in ["  \n", "{ }", "null"] {
        store_raw(&client, AT_ID, empty).await;
        assert_eq!(
            source.get_autotask().await.expect("empty"),
            None,
            "{empty:?}"
        );
    }
}

#[tokio::test]
async fn secrets_manager_saves_only_into_existing_secrets_unless_told_to_create() {
    let moto = Moto::start().await;
    let client = client(&moto).await;
    let source = SecretsManagerSource::new(client.clone(), AT_ID, ACR_ID);

    let err = source.put_acronis(&acronis()).await.expect_err("missing");
    assert!(
        matches!(err, SecretError::Missing { ref secret } if secret == ACR_ID),
        "{err}"
    );
    assert_no_secret(&format!("{err} {err:?}"));

    let creating = source.create_if_missing(true);
    creating.put_acronis(&acronis()).await.expect("created");
    assert_eq!(creating.get_acronis().await.expect("get"), Some(acronis()));
    creating
        .put_acronis(&acronis())
        .await
        .expect("then updated");
}

#[tokio::test]
async fn secrets_manager_corrupt_secret_names_the_problem_not_the_value() {
    let moto = Moto::start().await;
    let client = client(&moto).await;
    create_empty_secrets(&client).await;
    let source = SecretsManagerSource::new(client.clone(), AT_ID, ACR_ID);

    // The bare secret pasted instead of JSON.
    store_raw(&client, AT_ID, &format!("{AT_SECRET} hunter2")).await;
    let err = source.get_autotask().await.expect_err("not json");
    assert!(
        matches!(
            err,
            SecretError::Corrupt {
                problem: CredentialsError::Syntax { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(AT_ID), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));

    // A JSON string instead of an object.
    store_raw(&client, AT_ID, &format!("\"{AT_SECRET}\"")).await;
    let err = source.get_autotask().await.expect_err("not an object");
    assert!(err.to_string().contains("expected a JSON object"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));

    // The right shape with wrong types: every field is named, no value is quoted.
    let wrong = serde_json::json!({
        "datacenter_url": "https://eu2-cloud.acronis.com",
        "client_id": 42,
        "client_secret": {"value": ACR_SECRET},
        "saved_at": ACR_SECRET
    });
    store_raw(&client, ACR_ID, &wrong.to_string()).await;
    let err = source.get_acronis().await.expect_err("wrong types");
    let SecretError::Corrupt { ref problem, .. } = err else {
        panic!("unexpected {err:?}");
    };
    let fields: Vec<_> = problem.problems().iter().map(|p| p.field).collect();
    assert_eq!(fields, ["client_id", "client_secret", "saved_at"]);
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn secrets_manager_refuses_invalid_credentials_and_keeps_the_old_ones() {
    let moto = Moto::start().await;
    let client = client(&moto).await;
    create_empty_secrets(&client).await;
    let source = SecretsManagerSource::new(client, AT_ID, ACR_ID);
    source.put_autotask(&autotask()).await.expect("valid");

    let bad = AutotaskCredentials {
        username: "bridge-api".into(),
        secret: Secret::new(format!(" {AT_SECRET}")),
        ..autotask()
    };
    let err = source.put_autotask(&bad).await.expect_err("invalid");
    let SecretError::Invalid { ref problem, .. } = err else {
        panic!("unexpected {err:?}");
    };
    let fields: Vec<_> = problem.problems().iter().map(|p| p.field).collect();
    assert_eq!(fields, ["username", "secret"]);
    assert_no_secret(&format!("{err} {err:?}"));
    assert_eq!(source.get_autotask().await.expect("get"), Some(autotask()));
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn file_round_trips_both_credentials_in_one_private_file() {
    let dir = temp_dir();
    let path = dir.join("state/secrets.json");
    let source = FileSecretSource::new(&path);
    assert_eq!(source.get_autotask().await.expect("no file"), None);
    assert_eq!(source.get_acronis().await.expect("no file"), None);

    // Both saves at once: the lock keeps either from dropping the other.
    let (at, acr) = (autotask(), acronis());
    let (a, b) = tokio::join!(source.put_autotask(&at), source.put_acronis(&acr));
    a.expect("put autotask");
    b.expect("put acronis");
    assert_eq!(source.get_autotask().await.expect("get"), Some(autotask()));
    assert_eq!(source.get_acronis().await.expect("get"), Some(acronis()));

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    assert_eq!(json["autotask"]["secret"], AT_SECRET);
    assert_eq!(json["acronis"]["client_secret"], ACR_SECRET);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    // Replaced atomically: no temp file is left next to it.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["secrets.json"]);

    // A second source on the same file (another process) reads the same.
    let other = FileSecretSource::new(&path);
    assert_eq!(other.get_acronis().await.expect("get"), Some(acronis()));
    std::fs::remove_dir_all(dir).expect("cleanup");
}

#[tokio::test]
async fn file_unset_values_and_corrupt_content() {
    let dir = temp_dir();
    let path = dir.join("secrets.json");
    let source = FileSecretSource::new(&path);

    std::fs::write(&path, "").expect("write");
    assert_eq!(source.get_autotask().await.expect("empty file"), None);
    std::fs::write(&path, r#"{"autotask": {}, "acronis": null}"#).expect("write");
    assert_eq!(source.get_autotask().await.expect("{}"), None);
    assert_eq!(source.get_acronis().await.expect("null"), None);

    std::fs::write(&path, format!(r#"{{"autotask": "{AT_SECRET}"}}"#)).expect("write");
    let err = source.get_autotask().await.expect_err("string");
    assert!(err.to_string().contains("(autotask)"), "{err}");
    assert_no_secret(&format!("{err} {err:?}"));
    assert_eq!(source.get_acronis().await.expect("other key"), None);

    // A truncated file is reported and never overwritten by a save.
    let truncated = format!(r#"{{"acronis": {{"client_secret": "{ACR_SECRET}"#);
    std::fs::write(&path, &truncated).expect("write");
    let err = source.put_autotask(&autotask()).await.expect_err("corrupt");
    assert!(
        matches!(
            err,
            SecretError::Corrupt {
                problem: CredentialsError::Syntax { .. },
                ..
            }
        ),
        "{err}"
    );
    assert_no_secret(&format!("{err} {err:?}"));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), truncated);
    std::fs::remove_dir_all(dir).expect("cleanup");
}

/// Collects everything a `fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The process-wide subscriber, installed on first use. Global on purpose: a scoped
/// (`set_default`) subscriber misses events whose callsite interest another test thread
/// cached first, which made the capture flaky. Tests that run after it is installed are
/// captured too, which only widens the check.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    })
}

/// Everything at TRACE, the SDK's own logs included, while the adapters save, read and
/// refuse credentials and the types are Debug-formatted into log events.
#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let captured = captured_logs();

    let moto = Moto::start().await;
    let client = client(&moto).await;
    create_empty_secrets(&client).await;
    let sm = SecretsManagerSource::new(client.clone(), AT_ID, ACR_ID);
    sm.put_autotask(&autotask()).await.expect("put");
    sm.put_acronis(&acronis()).await.expect("put");
    let at = sm.get_autotask().await.expect("get");
    let acr = sm.get_acronis().await.expect("get");
    tracing::info!(credentials = ?at, "autotask credentials loaded");
    tracing::info!(?acr, "acronis credentials {acr:#?}");

    store_raw(&client, AT_ID, &format!("{{\"secret\": {AT_SECRET}")).await;
    let err = sm.get_autotask().await.expect_err("corrupt");
    tracing::error!(error = %err, debug = ?err, "reading credentials failed");

    let dir = temp_dir();
    let file = FileSecretSource::new(dir.join("secrets.json"));
    file.put_acronis(&acronis()).await.expect("put");
    let from_file = file.get_acronis().await.expect("get");
    tracing::warn!(?from_file, "from the local file");
    std::fs::remove_dir_all(dir).expect("cleanup");

    let logs = captured.text();
    // The capture works and saw both our events and the SDK's own traces.
    assert!(logs.contains("autotask credentials loaded"), "{logs}");
    assert!(logs.contains("bridge-api@msp.example.com") && logs.contains("***"));
    assert!(
        logs.contains("PutSecretValue"),
        "SDK traces missing: {logs}"
    );
    assert_no_secret(&logs);
}
