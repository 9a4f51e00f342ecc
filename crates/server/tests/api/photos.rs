//! Report photos (issue 6): what is stored is a fresh JPEG of the pixels alone (no EXIF, GPS,
//! device, or bytes hidden after the image); bad uploads are refused with problem+json and take
//! nothing already stored; who sees which photo.

use crate::harness::{TestServer, problem};
use amparo_core::roles::Role;
use amparo_server::limits::Limits;
use image::{ImageEncoder, RgbImage};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Cursor;

const PILSEN: (f64, f64) = (41.85712, -87.6563);
const EVANSTON: (f64, f64) = (42.0451, -87.6877);
/// Bytes hidden after the JPEG's end: some apps carry a second image or data there.
const TRAILER: &[u8] = b"TRAILING-SECRET-after-the-image";

pub(crate) fn limits() -> Limits {
    Limits {
        reports_per_hour: 1_000,
        reports_per_hour_per_address: 1_000,
        ..Limits::default()
    }
}

/// A 64 × 48 JPEG as a phone writes it: an Exif segment with the camera's make and model, the
/// GPS position and an orientation (rotate 90° to display), and bytes appended after the end.
pub(crate) fn phone_jpeg() -> Vec<u8> {
    let pixels = RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 128]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(pixels.as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
        .expect("jpeg");
    let tiff = exif_tiff();
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(2 + 6 + tiff.len()).expect("short").to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out.extend_from_slice(TRAILER);
    out
}

/// A big-endian TIFF with IFD0 (Make, Model, Orientation, a pointer to the GPS IFD) and a GPS IFD
/// (41°51'25.6"N, 87°39'22.7"W).
fn exif_tiff() -> Vec<u8> {
    struct Entry(u16, u16, u32, [u8; 4]);
    fn ifd(out: &mut Vec<u8>, entries: &[Entry]) {
        out.extend_from_slice(&u16::try_from(entries.len()).expect("few").to_be_bytes());
        for Entry(tag, kind, count, value) in entries {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&count.to_be_bytes());
            out.extend_from_slice(value);
        }
        out.extend_from_slice(&0u32.to_be_bytes());
    }
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    // Layout: header (8), IFD0 (2 + 4 × 12 + 4 = 54), GPS IFD (2 + 4 × 12 + 4 = 54), then data.
    let gps_at: u32 = 8 + 54;
    let data_at: u32 = gps_at + 54;
    let make = b"Google\0";
    let model = b"Pixel 7\0";
    let model_at = data_at + make.len() as u32;
    let lat_at = model_at + model.len() as u32;
    let lon_at = lat_at + 24;
    let mut out = b"MM\0\x2a\0\0\0\x08".to_vec();
    ifd(
        &mut out,
        &[
            Entry(0x010F, ASCII, make.len() as u32, data_at.to_be_bytes()),
            Entry(0x0110, ASCII, model.len() as u32, model_at.to_be_bytes()),
            Entry(0x0112, SHORT, 1, [0, 6, 0, 0]),
            Entry(0x8825, LONG, 1, gps_at.to_be_bytes()),
        ],
    );
    ifd(
        &mut out,
        &[
            Entry(0x0001, ASCII, 2, *b"N\0\0\0"),
            Entry(0x0002, RATIONAL, 3, lat_at.to_be_bytes()),
            Entry(0x0003, ASCII, 2, *b"W\0\0\0"),
            Entry(0x0004, RATIONAL, 3, lon_at.to_be_bytes()),
        ],
    );
    assert_eq!(out.len() as u32, data_at);
    out.extend_from_slice(make);
    out.extend_from_slice(model);
    for (numerator, denominator) in [(41, 1), (51, 1), (256, 10), (87, 1), (39, 1), (227, 10)] {
        out.extend_from_slice(&u32::to_be_bytes(numerator));
        out.extend_from_slice(&u32::to_be_bytes(denominator));
    }
    out
}

/// The Exif fields a reader finds in `bytes`, if it finds an Exif segment at all.
fn exif_fields(bytes: &[u8]) -> Option<Vec<exif::Tag>> {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    Some(exif.fields().map(|f| f.tag).collect())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A PNG that says it is `width` × `height` (the pixels never follow: a decompression bomb is
/// caught by its header).
fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&[0, 0, 0, 255], 1, 1, image::ExtendedColorType::Rgba8)
        .expect("png");
    // The IHDR chunk: length (8..12), type (12..16), width, height (16..24), ..., CRC (29..33).
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub(crate) async fn report(server: &TestServer, token: &str) -> String {
    let body = json!({
        "kind": "vehicle",
        "place": {"latitude": PILSEN.0, "longitude": PILSEN.1},
        "description": "Unmarked SUV waiting outside the school",
        "vehicles": [{"plate": "PH0T0", "region": "IL", "colour": "black"}],
    });
    let response = server.post_json("/api/v1/reports", Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    let report: Value = response.json().await.expect("report");
    report["id"].as_str().expect("id").to_owned()
}

pub(crate) async fn upload(server: &TestServer, token: &str, report: &str, bytes: Vec<u8>) -> reqwest::Response {
    server
        .request(Method::POST, &format!("/api/v1/reports/{report}/photos"), Some(token))
        .header("Content-Type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .expect("upload")
}

pub(crate) async fn get(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .expect("get")
}

pub(crate) async fn list(server: &TestServer, path: &str, token: &str) -> Vec<Value> {
    let response = get(server, path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.expect("list")
}

/// Every file under `media/reports/`.
pub(crate) fn stored_photos(server: &TestServer) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.dir.path().join("media").join("reports"), &mut out);
    out
}

#[tokio::test]
async fn a_photo_loses_its_exif_gps_and_trailer_and_still_decodes() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let (stranger, _) = server.member().await;
    let report = report(&server, &reporter).await;
    let original = phone_jpeg();
    let tags = exif_fields(&original).expect("the test photo has Exif");
    assert!(tags.contains(&exif::Tag::GPSLatitude) && tags.contains(&exif::Tag::Model));

    let response = upload(&server, &reporter, &report, original.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    let photo: Value = response.json().await.expect("photo");
    // Turned upright by its orientation tag, which is then dropped with the rest.
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(48), Some(64))
    );
    assert_eq!(photo["shareable"], false);

    let served = get(&server, photo["url"].as_str().expect("url"), &reporter).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["cache-control"], "private, no-store");
    let served = served.bytes().await.expect("bytes").to_vec();
    let stored = stored_photos(&server);
    assert_eq!(stored.len(), 1, "one object, the re-encoded photo; never the original");
    assert_eq!(std::fs::read(&stored[0]).expect("stored"), served);
    for bytes in [&served] {
        assert_eq!(exif_fields(bytes), None, "no Exif at all");
        for secret in [&b"Exif"[..], b"Pixel 7", b"Google", TRAILER] {
            assert!(
                !contains(bytes, secret),
                "{:?} survived",
                String::from_utf8_lossy(secret)
            );
        }
        assert!(!contains(bytes, &[0xFF, 0xE1]), "no APP1 segment");
        let decoded = image::load_from_memory(bytes).expect("still an image");
        assert_eq!((decoded.width(), decoded.height()), (48, 64));
    }

    let mine = list(&server, &format!("/api/v1/reports/{report}/photos"), &reporter).await;
    assert_eq!(mine.len(), 1);
    problem(
        get(&server, &format!("/api/v1/reports/{report}/photos"), &stranger).await,
        404,
    )
    .await;
    problem(get(&server, photo["url"].as_str().expect("url"), &stranger).await, 404).await;
    let anonymous = server
        .request(Method::GET, photo["url"].as_str().expect("url"), None)
        .send()
        .await
        .expect("get");
    problem(anonymous, 401).await;
}

#[tokio::test]
async fn bad_uploads_are_refused_and_lose_nothing() {
    let server = TestServer::start_with(Limits {
        max_photo_bytes: 64 * 1024,
        max_photos_per_report: 2,
        ..limits()
    })
    .await;
    let (reporter, _) = server.member().await;
    let (other, _) = server.member().await;
    let (responder, _) = server.with_role(Role::Responder).await;
    let report = report(&server, &reporter).await;
    assert_eq!(
        upload(&server, &reporter, &report, phone_jpeg()).await.status(),
        StatusCode::CREATED
    );

    let text = problem(
        upload(&server, &reporter, &report, b"not a photo at all".to_vec()).await,
        415,
    )
    .await;
    assert!(
        text["detail"].as_str().expect("detail").contains("JPEG, PNG or WebP"),
        "{text}"
    );
    let mut cut = Vec::new();
    let noise = RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * y) as u8, (x ^ y) as u8, 7]));
    image::codecs::png::PngEncoder::new(&mut cut)
        .write_image(noise.as_raw(), 64, 64, image::ExtendedColorType::Rgb8)
        .expect("png");
    cut.truncate(cut.len() / 2);
    problem(upload(&server, &reporter, &report, cut).await, 422).await;
    for (width, height) in [(60_000, 60_000), (11_000, 11_000)] {
        let bomb = problem(upload(&server, &reporter, &report, bomb_png(width, height)).await, 413).await;
        assert!(bomb["detail"].as_str().expect("detail").contains("too large"), "{bomb}");
    }
    let big = problem(upload(&server, &reporter, &report, vec![0xFF; 100 * 1024]).await, 413).await;
    assert!(big["detail"].as_str().expect("detail").contains("at most"), "{big}");
    problem(upload(&server, &reporter, &report, Vec::new()).await, 400).await;
    problem(upload(&server, &other, &report, phone_jpeg()).await, 404).await;
    problem(upload(&server, &reporter, "not-a-report", phone_jpeg()).await, 404).await;

    assert_eq!(
        upload(&server, &reporter, &report, phone_jpeg()).await.status(),
        StatusCode::CREATED
    );
    let full = problem(upload(&server, &reporter, &report, phone_jpeg()).await, 409).await;
    assert!(full["detail"].as_str().expect("detail").contains("2 photos"), "{full}");

    // Decided: no more photos.
    let other_report = self::report(&server, &reporter).await;
    let verified = server
        .post_json(
            &format!("/api/v1/reports/{other_report}/verify"),
            Some(&responder),
            &json!({"how": "in_person"}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    problem(upload(&server, &reporter, &other_report, phone_jpeg()).await, 409).await;

    let kept = list(&server, &format!("/api/v1/reports/{report}/photos"), &reporter).await;
    assert_eq!(kept.len(), 2, "the two accepted photos, nothing else");
    assert_eq!(stored_photos(&server).len(), 2, "and only their bytes");
    for photo in kept {
        let served = get(&server, photo["url"].as_str().expect("url"), &reporter).await;
        assert_eq!(served.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn who_sees_which_photo() {
    let server = TestServer::start_with(limits()).await;
    let (reporter, _) = server.member().await;
    let (responder, _) = server.with_role(Role::Responder).await;
    let (near, _) = server.member().await;
    let (far, _) = server.member().await;
    for (token, at) in [(&near, PILSEN), (&far, EVANSTON)] {
        let area = json!({"label": "home", "circle": {"latitude": at.0, "longitude": at.1, "radius_m": 1000}});
        let created = server.post_json("/api/v1/watch-areas", Some(token), &area).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let report = report(&server, &reporter).await;
    let mut photos = Vec::new();
    for _ in 0..2 {
        let response = upload(&server, &reporter, &report, phone_jpeg()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        photos.push(response.json::<Value>().await.expect("photo"));
    }
    let url = |i: usize| photos[i]["url"].as_str().expect("url").to_owned();
    assert_eq!(
        list(&server, &format!("/api/v1/reports/{report}/photos"), &responder)
            .await
            .len(),
        2
    );
    assert_eq!(get(&server, &url(0), &responder).await.status(), StatusCode::OK);
    problem(get(&server, &url(0), &near).await, 404).await;

    let verified = server
        .post_json(
            &format!("/api/v1/reports/{report}/verify"),
            Some(&responder),
            &json!({"how": "photo"}),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let incident: Value = verified.json().await.expect("incident");
    let incident_photos = format!("/api/v1/incidents/{}/photos", incident["id"].as_str().expect("id"));
    assert_eq!(list(&server, &incident_photos, &responder).await.len(), 2);
    assert!(
        list(&server, &incident_photos, &near).await.is_empty(),
        "nothing shared by default"
    );
    problem(get(&server, &url(0), &near).await, 404).await;

    let share = |token: String, shareable: bool| {
        let path = format!("/api/v1/photos/{}/shareable", photos[0]["id"].as_str().expect("id"));
        let request = server
            .request(Method::PUT, &path, Some(&token))
            .json(&json!({"shareable": shareable}));
        async move { request.send().await.expect("share") }
    };
    problem(share(near.clone(), true).await, 403).await;
    assert_eq!(share(responder.clone(), true).await.status(), StatusCode::OK);
    let shared = list(&server, &incident_photos, &near).await;
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["id"], photos[0]["id"]);
    assert!(
        shared[0].get("report").is_none(),
        "subscribers are not told which report"
    );
    assert_eq!(get(&server, &url(0), &near).await.status(), StatusCode::OK);
    problem(get(&server, &url(1), &near).await, 404).await;
    problem(get(&server, &incident_photos, &far).await, 404).await;
    problem(get(&server, &url(0), &far).await, 404).await;
    let log = server.store.responder_actions(100).await.expect("audit log");
    assert_eq!(log[0].action, "photo_share", "sharing is audited");

    // The registry's vehicle shows its sightings' photos to responders only.
    let found: Value = get(&server, "/api/v1/vehicles?plate=PH0T0", &responder)
        .await
        .json()
        .await
        .expect("search");
    let vehicle = found["results"][0]["id"].as_str().expect("vehicle").to_owned();
    let vehicle_photos = format!("/api/v1/vehicles/{vehicle}/photos");
    assert_eq!(list(&server, &vehicle_photos, &responder).await.len(), 2);
    problem(get(&server, &vehicle_photos, &near).await, 403).await;

    // Withdrawn: subscribers no longer see it.
    let withdrawn = server
        .request(
            Method::PATCH,
            &format!("/api/v1/incidents/{}", incident["id"].as_str().expect("id")),
            Some(&responder),
        )
        .json(&json!({"note": "It was a delivery van", "withdrawn": true}))
        .send()
        .await
        .expect("withdraw");
    assert_eq!(withdrawn.status(), StatusCode::OK);
    problem(get(&server, &url(0), &near).await, 404).await;
    problem(get(&server, &incident_photos, &near).await, 404).await;
}
