//! NATS with credentials (issue 7): a NATS server of the test's own asks for a user and password,
//! another for a token, a third (in operator mode) for a user JWT signed by an account it knows,
//! from a credentials file. With the right ones the bus keeps its contract; with wrong ones, or
//! none, connecting fails at once, saying authentication failed, naming bus_url or the file, and
//! never showing the secret.

use crate::cluster::bus_contract;
use crate::nats_server::NatsServer;
use amparo_server::bus::open::{self, BusSettings};
use amparo_server::bus::{Bus, BusError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nkeys::KeyPair;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// The password needs percent-encoding in a URL: `@`, `:` and `/` are decoded back.
const PASSWORD: &str = "p@ss:w/rd s3cret";
const PASSWORD_IN_URL: &str = "p%40ss%3Aw%2Frd%20s3cret";
const TOKEN: &str = "t0ken-s3cret";
/// A refusal is the server's answer to our CONNECT: far below the five-second connect timeout.
const REFUSED_WITHIN: Duration = Duration::from_secs(4);

async fn connect(url: &str) -> Result<Bus, BusError> {
    open::open(url, &BusSettings::default()).await
}

/// Connecting to `url` fails within [`REFUSED_WITHIN`] with a message that names bus_url, says
/// authentication failed, and shows none of `secrets`.
async fn assert_refused(url: &str, secrets: &[&str]) {
    let started = Instant::now();
    let refused = match connect(url).await {
        Ok(_) => panic!("connected with the wrong credentials"),
        Err(error) => error.to_string(),
    };
    assert!(
        started.elapsed() < REFUSED_WITHIN,
        "refused only after {:?}",
        started.elapsed()
    );
    assert!(refused.contains("bus_url"), "{refused}");
    assert!(refused.contains("authentication"), "{refused}");
    for secret in secrets {
        assert!(!refused.contains(secret), "the message shows a secret: {refused}");
    }
}

#[tokio::test]
async fn nats_with_a_user_and_password_in_bus_url() {
    let server = NatsServer::start(&["--user", "amparo", "--pass", PASSWORD]);
    let url = server.url(&format!("amparo:{PASSWORD_IN_URL}"));
    let here = connect(&url).await.expect("the right user and password");
    let there = connect(&url).await.expect("the right user and password");
    bus_contract(here, there).await;

    let secrets = [PASSWORD, PASSWORD_IN_URL, "wrong-s3cret"];
    assert_refused(&server.url("amparo:wrong-s3cret"), &secrets).await;
    assert_refused(&server.url(&format!("intruder:{PASSWORD_IN_URL}")), &secrets).await;
    assert_refused(&server.url(""), &secrets).await;
}

#[tokio::test]
async fn nats_with_a_token_in_bus_url() {
    let server = NatsServer::start(&["--auth", TOKEN]);
    let here = connect(&server.url(TOKEN)).await.expect("the right token");
    let there = connect(&server.url(TOKEN)).await.expect("the right token");
    bus_contract(here, there).await;

    assert_refused(&server.url("wrong-s3cret"), &[TOKEN, "wrong-s3cret"]).await;
    assert_refused(&server.url(""), &[TOKEN]).await;
}

#[tokio::test]
async fn a_credentials_file_that_is_not_one_is_refused_by_name() {
    let server = NatsServer::start(&[]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("nats.creds");
    std::fs::write(&path, "-----BEGIN NATS USER JWT-----\nnot a jwt s3cret\n").expect("write");
    let settings = BusSettings {
        credentials_file: path.display().to_string(),
        ..BusSettings::default()
    };
    let refused = open::open(&server.url(""), &settings).await.expect_err("a broken file");
    let refused = refused.to_string();
    assert!(refused.contains("credentials_file"), "{refused}");
    assert!(!refused.contains("s3cret"), "{refused}");
    let missing = BusSettings {
        credentials_file: dir.path().join("absent.creds").display().to_string(),
        ..BusSettings::default()
    };
    let refused = open::open(&server.url(""), &missing).await.expect_err("no file");
    assert!(refused.to_string().contains("absent.creds"), "{refused}");
}

#[tokio::test]
async fn nats_in_operator_mode_with_a_credentials_file() {
    let dir = tempfile::tempdir().expect("dir");
    let operator = KeyPair::new_operator();
    let account = KeyPair::new_account();
    let config = dir.path().join("nats.conf");
    std::fs::write(
        &config,
        format!(
            "operator: {}\nresolver: MEMORY\nresolver_preload: {{\n  {}: {}\n}}\n",
            jwt(
                &operator,
                &operator.public_key(),
                json!({"type": "operator", "version": 2})
            ),
            account.public_key(),
            account_jwt(&operator, &account),
        ),
    )
    .expect("config");
    let server = NatsServer::start(&["-c", &config.display().to_string()]);

    let creds = credentials_file(dir.path(), "amparo.creds", &account);
    let settings = BusSettings {
        credentials_file: creds.clone(),
        ..BusSettings::default()
    };
    let here = open::open(&server.url(""), &settings)
        .await
        .expect("the right credentials");
    let there = open::open(&server.url(""), &settings)
        .await
        .expect("the right credentials");
    bus_contract(here, there).await;

    // A user of an account this server does not know.
    let stranger = credentials_file(dir.path(), "stranger.creds", &KeyPair::new_account());
    let seed = std::fs::read_to_string(&stranger).expect("creds");
    let started = Instant::now();
    let refused = open::open(
        &server.url(""),
        &BusSettings {
            credentials_file: stranger,
            ..BusSettings::default()
        },
    )
    .await
    .expect_err("an unknown account's user")
    .to_string();
    assert!(
        started.elapsed() < REFUSED_WITHIN,
        "refused only after {:?}",
        started.elapsed()
    );
    assert!(
        refused.contains("authentication") && refused.contains("stranger.creds"),
        "{refused}"
    );
    let seed_line = seed.lines().find(|line| line.starts_with("SU")).expect("a user seed");
    assert!(!refused.contains(seed_line), "{refused}");
    assert_refused(&server.url(""), &[]).await;
}

/// A JWT as `nsc` writes them (ed25519-nkey, version 2), signed by `issuer`.
fn jwt(issuer: &KeyPair, subject: &str, nats: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = json!({
        "jti": uuid::Uuid::new_v4().simple().to_string().to_uppercase(),
        "iat": 1_750_000_000,
        "iss": issuer.public_key(),
        "name": "amparo-test",
        "sub": subject,
        "nats": nats,
    });
    let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = issuer.sign(signed.as_bytes()).expect("sign");
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn account_jwt(operator: &KeyPair, account: &KeyPair) -> String {
    let unlimited = json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1
    });
    jwt(
        operator,
        &account.public_key(),
        json!({"limits": unlimited, "default_permissions": {"pub": {}, "sub": {}}, "type": "account", "version": 2}),
    )
}

/// A new user of `account`, as a `.creds` file in `dir`; returns its path.
fn credentials_file(dir: &Path, name: &str, account: &KeyPair) -> String {
    let user = KeyPair::new_user();
    let token = jwt(
        account,
        &user.public_key(),
        json!({"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2}),
    );
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().expect("seed")
        ),
    )
    .expect("creds");
    path.display().to_string()
}

#[tokio::test]
async fn nats_over_tls_with_a_private_ca() {
    let dir = tempfile::tempdir().expect("dir");
    let (ca, cert, key) = private_ca_and_server_certificate(dir.path());
    let server = NatsServer::start(&["--tls", "--tlscert", &cert, "--tlskey", &key]);
    let url = format!("tls://{}", server.address);
    let settings = BusSettings {
        ca_file: ca,
        ..BusSettings::default()
    };
    let here = open::open(&url, &settings).await.expect("TLS with the private CA");
    let there = open::open(&url, &settings).await.expect("TLS with the private CA");
    bus_contract(here, there).await;

    // Without the CA, the server's certificate is checked against the system's roots: refused.
    let refused = open::open(&url, &BusSettings::default())
        .await
        .expect_err("an unknown CA");
    assert!(refused.to_string().contains("bus_url"), "{refused}");
}

/// A CA and a certificate for 127.0.0.1 signed by it, made by `openssl`: (CA, certificate, key)
/// file paths.
fn private_ca_and_server_certificate(dir: &Path) -> (String, String, String) {
    let file = |name: &str| dir.join(name).display().to_string();
    let (ca, ca_key, csr, cert, key, ext) = (
        file("ca.pem"),
        file("ca.key"),
        file("server.csr"),
        file("server.pem"),
        file("server.key"),
        file("server.ext"),
    );
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("extensions");
    let new_p256_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(&[
        &["req", "-x509", "-days", "1", "-subj", "/CN=amparo test CA"],
        &new_p256_key[..],
        &["-keyout", &ca_key, "-out", &ca],
    ]);
    openssl(&[
        &["req", "-subj", "/CN=127.0.0.1"],
        &new_p256_key[..],
        &["-keyout", &key, "-out", &csr],
    ]);
    openssl(&[&[
        "x509",
        "-req",
        "-days",
        "1",
        "-CAcreateserial",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-out",
        &cert,
        "-extfile",
        &ext,
    ]]);
    (ca, cert, key)
}

/// Runs `openssl` with these arguments (given in pieces); panics with its error if it fails.
fn openssl(pieces: &[&[&str]]) {
    let args = pieces.concat();
    let made = std::process::Command::new("openssl")
        .args(&args)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
}
