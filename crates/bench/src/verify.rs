//! `verify`: how fast `amparo_verify::verify_bundle` checks a bundle, against `sha256sum` (the
//! coreutils command, as a subprocess) hashing the same media bytes.
//!
//! The bundle is a real export: one phone records into a few uploads of one encounter through the
//! live server in 256 KiB chunks (a second of phone video is a few hundred kilobytes), then
//! downloads `GET /api/v1/encounters/{id}/bundle`. Its media files are extracted and concatenated
//! into one file for `sha256sum`. Both then read from the page cache; each is timed three times,
//! alternating, and the best time of each counts. Ratio: verify MiB/s / sha256sum MiB/s.
//! `openssl dgst -sha256` is timed too, where installed, as context: a `sha256sum` built without
//! the CPU's SHA extensions is a slow yardstick, and the reader should see that.

use crate::outcome::Outcome;
use crate::phone::{self, Phone, noise};
use crate::server::BenchServer;
use crate::stats::ms;
use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub const TARGET_RATIO: f64 = 0.8;
const CHUNK_BYTES: usize = 256 * 1024;
/// Recordings in the encounter, uploaded in parallel (tus allows one PATCH at a time per upload).
const RECORDINGS: usize = 4;
const RUNS: usize = 3;

pub async fn run(mib: usize) -> Result<Vec<Outcome>> {
    let server = BenchServer::start("verify").await?;
    let started = Instant::now();
    let bundle = export(&server, mib).await?;
    let media = server.dir.path().join("media.bin");
    let media_bytes = extract_media(&bundle, &media)?;
    println!(
        "  exported a {} MiB bundle in {:.1} s",
        media_bytes >> 20,
        started.elapsed().as_secs_f64()
    );

    let best = tokio::task::spawn_blocking(move || time_all(&bundle, &media)).await??;
    server.stop().await?;
    let rate = |d: Duration| media_bytes as f64 / (1 << 20) as f64 / d.as_secs_f64();
    let (ours, theirs) = (rate(best.verify), rate(best.sha256sum));
    println!("  verify_bundle: best {}, {ours:.0} MiB/s", ms(best.verify));
    println!("  sha256sum:     best {}, {theirs:.0} MiB/s", ms(best.sha256sum));
    if let Some(openssl) = best.openssl {
        // Context: coreutils' sha256sum may not use the CPU's SHA instructions; OpenSSL does.
        println!(
            "  openssl dgst -sha256 (context, not the baseline): best {}, {:.0} MiB/s",
            ms(openssl),
            rate(openssl)
        );
    }
    let ratio = ours / theirs;
    Ok(vec![Outcome {
        name: "verify",
        measured: format!("{ours:.0} MiB/s ({} MiB bundle)", media_bytes >> 20),
        baseline: format!("sha256sum {theirs:.0} MiB/s"),
        ratio,
        ratio_is: "verify / sha256sum",
        target: "ratio >= 0.8",
        pass: ratio >= TARGET_RATIO,
    }])
}

/// Records `mib` MiB through the server and downloads the encounter's bundle.
async fn export(server: &BenchServer, mib: usize) -> Result<PathBuf> {
    let phone = phone::enroll(&server.base, 1).await?.pop().context("no phone")?;
    let mut uploads = vec![phone.upload.clone()];
    for _ in 1..RECORDINGS {
        uploads.push(phone::create_upload(&phone.client, &server.base, &phone.token, &phone.encounter).await?);
    }
    let per_recording = (mib << 20) / RECORDINGS;
    let tasks: Vec<_> = uploads
        .into_iter()
        .enumerate()
        .map(|(r, upload)| {
            tokio::spawn(record(
                phone.clone(),
                server.base.clone(),
                upload,
                noise(per_recording, r as u64),
            ))
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let path = server.dir.path().join("bundle.zip");
    let url = format!("{}/api/v1/encounters/{}/bundle", server.base, phone.encounter);
    let mut response = phone
        .client
        .get(url)
        .bearer_auth(&phone.token)
        .send()
        .await?
        .error_for_status()?;
    let mut file = File::create(&path)?;
    while let Some(piece) = response.chunk().await? {
        file.write_all(&piece)?;
    }
    Ok(path)
}

/// Sends one recording's bytes in order, chunk by chunk.
async fn record(phone: Phone, base: String, upload: String, media: Bytes) -> Result<()> {
    let mut offset = 0;
    while offset < media.len() {
        let end = (offset + CHUNK_BYTES).min(media.len());
        phone
            .patch_upload(&base, &upload, offset as u64, media.slice(offset..end))
            .await?;
        offset = end;
    }
    Ok(())
}

/// Concatenates the bundle's `media/` files into `out`; returns how many bytes.
fn extract_media(bundle: &Path, out: &Path) -> Result<u64> {
    let mut zip = zip::ZipArchive::new(File::open(bundle)?)?;
    let mut file = File::create(out)?;
    let mut total = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        if entry.name()?.starts_with("media/") {
            total += std::io::copy(&mut entry, &mut file)?;
        }
    }
    ensure!(total > 0, "the bundle has no media");
    Ok(total)
}

/// Best times of each contender.
struct Best {
    sha256sum: Duration,
    verify: Duration,
    /// `openssl dgst -sha256`, where installed: context, not the baseline (see `run`).
    openssl: Option<Duration>,
}

/// Best times of `sha256sum media` and `verify_bundle(bundle)`, alternating; then `openssl`.
fn time_all(bundle: &Path, media: &Path) -> Result<Best> {
    let mut best = Best {
        sha256sum: Duration::MAX,
        verify: Duration::MAX,
        openssl: None,
    };
    for _ in 0..RUNS {
        best.sha256sum = best.sha256sum.min(hash_with("sha256sum", &[], media)?);
        let start = Instant::now();
        let report = amparo_verify::verify_bundle(bundle);
        best.verify = best.verify.min(start.elapsed());
        ensure!(report.is_valid(), "the exported bundle does not verify:\n{report}");
    }
    for _ in 0..RUNS {
        match hash_with("openssl", &["dgst", "-sha256"], media) {
            Ok(took) => best.openssl = Some(best.openssl.map_or(took, |b| b.min(took))),
            Err(_) => break,
        }
    }
    Ok(best)
}

/// Runs `program [args] media` and times it.
fn hash_with(program: &str, args: &[&str], media: &Path) -> Result<Duration> {
    let start = Instant::now();
    let output = Command::new(program)
        .args(args)
        .arg(media)
        .output()
        .with_context(|| format!("running {program}"))?;
    let took = start.elapsed();
    ensure!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(took)
}
