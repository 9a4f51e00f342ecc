//! Verification speed against `sha256sum` over the same media bytes. The target is at least 0.8 of
//! its throughput. Ignored by default (it needs a release build and a quiet machine):
//!
//! ```text
//! cargo test -p amparo-verify --release --test throughput -- --ignored --nocapture
//! ```
//! `AMPARO_THROUGHPUT_MIB` sets the media size (default 256).
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
#[ignore = "a benchmark: run in release on a quiet machine"]
fn verification_keeps_up_with_sha256sum() {
    let mib: usize = std::env::var("AMPARO_THROUGHPUT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    // One-second chunks of a phone video are a few hundred kilobytes.
    let sizes = vec![256 << 10; mib * 4];
    let fixture = common::build(&[sizes], false);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.zip");
    let media = dir.path().join("media.webm");
    std::fs::write(&bundle, &fixture.bundle).unwrap();
    std::fs::write(&media, &fixture.media[0]).unwrap();
    drop(fixture);

    let sha256sum = best_of(3, || {
        let status = Command::new("sha256sum").arg(&media).output().unwrap().status;
        assert!(status.success());
    });
    let verify = best_of(3, || assert!(amparo_verify::verify_bundle(&bundle).is_valid()));
    let ratio = sha256sum.as_secs_f64() / verify.as_secs_f64();
    let rate = |d: Duration| mib as f64 / d.as_secs_f64();
    println!(
        "{mib} MiB: sha256sum {:.0} MiB/s, verify {:.0} MiB/s, ratio {ratio:.2}",
        rate(sha256sum),
        rate(verify)
    );
    assert!(ratio >= 0.8, "verification runs at {ratio:.2} of sha256sum's speed");
}
