//! The web app as a browser sees it: every file of `web/` at its path with the right type, strict
//! security headers on every response, revalidation by ETag, and nothing served from outside
//! `web/`. The tests read whatever `web/` holds rather than assuming its content.

use crate::harness::{TestServer, problem};
use amparo_server::web::{CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Every file under `web/` (but dotfiles), as `(url path, bytes)`.
fn web_files() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("read web dir") {
            let entry = entry.expect("dir entry");
            let name = entry.file_name().into_string().expect("UTF-8 file name");
            // Dotfiles and notes for translators (*.md) are not part of the site.
            if name.starts_with('.') || name.ends_with(".md") {
                continue;
            }
            let path = format!("{prefix}/{name}");
            if entry.file_type().expect("file type").is_dir() {
                walk(&entry.path(), &path, out);
            } else {
                out.push((path, std::fs::read(entry.path()).expect("read web file")));
            }
        }
    }
    let mut files = Vec::new();
    walk(&web_dir(), "", &mut files);
    files
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}", response.url()))
        .to_str()
        .expect("ASCII header")
}

fn assert_security_headers(response: &reqwest::Response) {
    assert_eq!(header(response, "content-security-policy"), CONTENT_SECURITY_POLICY);
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
    assert_eq!(header(response, "permissions-policy"), PERMISSIONS_POLICY);
    assert_eq!(header(response, "cross-origin-opener-policy"), "same-origin");
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server.request(Method::GET, path, None).send().await.expect("get")
}

/// Sends `GET <target>` byte for byte, so that no client library tidies up `..` or `%2e` first.
async fn raw_get(server: &TestServer, target: &str) -> (u16, String) {
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    (status, response)
}

#[tokio::test]
async fn the_app_is_served_with_its_type_security_headers_and_an_etag() {
    let server = TestServer::start().await;
    let page = get(&server, "/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert_security_headers(&page);
    let etag = header(&page, "etag").to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 66,
        "{etag}"
    );
    let index = std::fs::read(web_dir().join("index.html")).expect("web/index.html");
    assert_eq!(page.bytes().await.expect("body").as_ref(), index);

    for method in [Method::GET, Method::HEAD] {
        let again = server
            .request(method.clone(), "/", None)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("revalidate");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{method}");
        assert_eq!(header(&again, "etag"), etag);
        assert_eq!(header(&again, "cache-control"), "no-cache");
        assert_security_headers(&again);
        assert!(again.bytes().await.expect("body").is_empty());
    }

    let stale = server
        .request(Method::GET, "/", None)
        .header("if-none-match", "\"an old version\"")
        .send()
        .await
        .expect("stale");
    assert_eq!(stale.status(), StatusCode::OK);

    let head = server.request(Method::HEAD, "/", None).send().await.expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "etag"), etag);
    assert_eq!(header(&head, "content-length"), index.len().to_string());
    assert!(head.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn every_web_file_is_served_at_its_path_with_the_right_type() {
    let server = TestServer::start().await;
    let files = web_files();
    assert!(
        files.iter().any(|(path, _)| path == "/index.html"),
        "web/ has an index.html"
    );
    for (path, bytes) in files {
        let response = get(&server, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_security_headers(&response);
        assert!(header(&response, "etag").starts_with('"'), "{path}");
        let expected = match path.rsplit_once('.').map(|(_, extension)| extension) {
            Some("html") => Some("text/html; charset=utf-8"),
            Some("js" | "mjs") => Some("text/javascript; charset=utf-8"),
            Some("css") => Some("text/css; charset=utf-8"),
            Some("json") => Some("application/json"),
            Some("webmanifest") => Some("application/manifest+json"),
            Some("svg") => Some("image/svg+xml"),
            Some("png") => Some("image/png"),
            Some("txt") => Some("text/plain; charset=utf-8"),
            Some("ico") => Some("image/x-icon"),
            _ => None,
        };
        if let Some(expected) = expected {
            assert_eq!(header(&response, "content-type"), expected, "{path}");
        }
        // The generated documents take precedence over any file of the same name.
        if !matches!(
            path.as_str(),
            "/i18n/index.json" | "/i18n/report.json" | "/rights/index.json"
        ) {
            assert_eq!(response.bytes().await.expect("body").as_ref(), bytes, "{path}");
        }
    }
}

#[tokio::test]
async fn the_service_worker_is_revalidated_and_may_control_the_whole_site() {
    let server = TestServer::start().await;
    let worker = get(&server, "/sw.js").await;
    assert_eq!(worker.status(), StatusCode::OK);
    assert_eq!(header(&worker, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&worker, "cache-control"), "no-cache");
    assert_eq!(header(&worker, "service-worker-allowed"), "/");
    let app = get(&server, "/index.html").await;
    assert!(app.headers().get("service-worker-allowed").is_none());
}

#[tokio::test]
async fn api_answers_and_errors_carry_the_security_headers() {
    let server = TestServer::start().await;
    let unauthorized = get(&server, "/api/v1/accounts/me").await;
    assert_security_headers(&unauthorized);
    problem(unauthorized, 401).await;
    assert_security_headers(&get(&server, "/healthz").await);
    assert_security_headers(&get(&server, "/api/v1/openapi.json").await);
}

#[tokio::test]
async fn unknown_paths_are_still_problem_json_404s() {
    let server = TestServer::start().await;
    for path in [
        "/api/v1/nope",
        "/api/",
        "/api",
        "/nope.js",
        "/lib/",
        "/i18n/xx.json",
        "/index.html/",
        "/rights/README.md",
    ] {
        let response = get(&server, path).await;
        assert_security_headers(&response);
        problem(response, 404).await;
    }
}

#[tokio::test]
async fn the_app_is_read_only() {
    let server = TestServer::start().await;
    for (method, path) in [
        (Method::POST, "/"),
        (Method::PUT, "/index.html"),
        (Method::DELETE, "/app.js"),
        (Method::POST, "/i18n/index.json"),
    ] {
        let response = server.request(method.clone(), path, None).send().await.expect("send");
        assert_security_headers(&response);
        assert!(header(&response, "allow").contains("GET"), "{method} {path}");
        problem(response, 405).await;
    }
}

#[tokio::test]
async fn no_path_reaches_outside_web() {
    let server = TestServer::start().await;
    for target in [
        "/..%2fCargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2e%2e%2f%2e%2e%2fCargo.toml",
        "/../Cargo.toml",
        "/../../Cargo.toml",
        "/lib/../../../Cargo.toml",
        "/..%5c..%5cCargo.toml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/.git/config",
        "/../crates/server/Cargo.toml",
    ] {
        let (status, response) = raw_get(&server, target).await;
        assert_eq!(status, 404, "{target}: {response}");
        assert!(response.contains("application/problem+json"), "{target}: {response}");
        assert!(
            !response.contains("[package]") && !response.contains("root:"),
            "{target}: {response}"
        );
    }
}

#[tokio::test]
async fn the_language_index_lists_every_translation_file() {
    let server = TestServer::start().await;
    let response = get(&server, "/i18n/index.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let etag = header(&response, "etag").to_owned();
    let index: Value = response.json().await.expect("index json");
    assert_eq!(index["reference"], "en");
    let languages = index["languages"].as_array().expect("languages");
    assert_eq!(languages[0]["code"], "en", "English comes first");
    assert_eq!(languages[0]["missing"], 0);
    for language in languages {
        let code = language["code"].as_str().expect("code");
        assert!(language["name"].as_str().is_some_and(|name| !name.is_empty()), "{code}");
        assert!(language["missing"].is_u64(), "{code}");
        let file = get(&server, &format!("/i18n/{code}.json")).await;
        assert_eq!(file.status(), StatusCode::OK, "{code}");
        let strings: Value = file.json().await.expect("translation json");
        assert!(strings.is_object(), "{code}");
    }

    let again = server
        .request(Method::GET, "/i18n/index.json", None)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("revalidate");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_translators_report_parses() {
    let server = TestServer::start().await;
    let response = get(&server, "/i18n/report.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.expect("report json");
    assert_eq!(report["reference"], "en");
    assert!(report.get("error").is_none(), "en.json is readable: {report}");
    for language in report["languages"].as_array().expect("languages") {
        assert_ne!(language["code"], "en");
        for list in ["missing", "empty", "unused"] {
            assert!(language[list].is_array(), "{list} in {language}");
        }
    }
}

#[tokio::test]
async fn the_rights_index_lists_cards_that_exist() {
    let server = TestServer::start().await;
    let index: Value = get(&server, "/rights/index.json")
        .await
        .json()
        .await
        .expect("rights json");
    let situations: Vec<&str> = index["situations"]
        .as_array()
        .expect("situations")
        .iter()
        .map(|s| s.as_str().expect("situation"))
        .collect();
    let languages = index["languages"].as_object().expect("languages");
    assert!(languages.contains_key("en"), "English has cards: {index}");
    for (language, cards) in languages {
        for situation in cards.as_array().expect("cards") {
            let situation = situation.as_str().expect("situation");
            assert!(situations.contains(&situation), "{situation}");
            let card = get(&server, &format!("/rights/{language}/{situation}.txt")).await;
            assert_eq!(card.status(), StatusCode::OK, "{language}/{situation}");
            assert_eq!(header(&card, "content-type"), "text/plain; charset=utf-8");
        }
    }
}

/// ENGLISH AND SPANISH COMPLETE. This fails when someone adds or changes an English string in
/// `web/i18n/en.json` without its Spanish in `web/i18n/es.json`: add the translation (or ask for
/// one), never an empty string. `/i18n/report.json` lists what is missing in every language.
#[tokio::test]
async fn english_and_spanish_translations_are_complete() {
    let server = TestServer::start().await;
    let report: Value = get(&server, "/i18n/report.json")
        .await
        .json()
        .await
        .expect("report json");
    let spanish = report["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .find(|language| language["code"] == "es")
        .unwrap_or_else(|| panic!("web/i18n/es.json exists: {report}"));
    assert!(spanish.get("error").is_none(), "es.json is readable: {spanish}");
    assert_eq!(spanish["name"], "Español");
    assert_eq!(
        spanish["missing"],
        Value::Array(vec![]),
        "keys in en.json with no Spanish"
    );
    assert_eq!(
        spanish["empty"],
        Value::Array(vec![]),
        "keys with an empty Spanish string"
    );
}

/// The service worker lists the app's code by hand (there is no build step to list it); a file
/// missing from that list would be missing offline, and the app would not start without a network.
#[test]
fn the_service_worker_caches_every_file_of_the_app() {
    let sw = String::from_utf8(std::fs::read(web_dir().join("sw.js")).expect("web/sw.js")).expect("UTF-8");
    let shell = &sw[sw.find("const SHELL = [").expect("sw.js lists its SHELL")..];
    let shell = &shell[..shell.find("];").expect("the SHELL list ends")];
    for (path, _) in web_files() {
        let code = [".js", ".css", ".html", ".svg", ".webmanifest"]
            .iter()
            .any(|ext| path.ends_with(ext));
        if code && path != "/sw.js" {
            assert!(shell.contains(&format!("\"{path}\"")), "sw.js's SHELL must list {path}");
        }
    }
}
