//! The phone app in a real browser (Debian's Chromium, fake camera, `tests/e2e/bench.mjs`):
//! button press to the first receipted chunk, and footage at risk while online.
//!
//! Baselines, from the same runs: the press to the first chunk MediaRecorder produces (no chunk
//! can be receipted before it exists), and the footage a 1 s timeslice leaves at risk even if
//! every receipt arrived the instant its chunk was produced. The ratios say what the upload path
//! adds on top of what recording in slices costs anyway.

use crate::outcome::Outcome;
use crate::server::BenchServer;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e")
}

/// Installs playwright-core (pinned by package-lock.json) if it is not there yet.
async fn ensure_playwright() -> Result<()> {
    if e2e_dir().join("node_modules/playwright-core").exists() {
        return Ok(());
    }
    let status = tokio::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(e2e_dir())
        .status()
        .await
        .context("running npm (Debian: apt-get install nodejs npm)")?;
    if !status.success() {
        bail!("npm ci failed in {}", e2e_dir().display());
    }
    Ok(())
}

pub async fn run(runs: u32, seconds: u64) -> Result<Vec<Outcome>> {
    ensure_playwright().await?;
    let server = BenchServer::start("phone-app").await?;
    let output = tokio::process::Command::new("node")
        .arg(e2e_dir().join("bench.mjs"))
        .args([&server.base, &runs.to_string(), &seconds.to_string()])
        .output()
        .await
        .context("running node tests/e2e/bench.mjs (needs node and /usr/bin/chromium)")?;
    server.stop().await?;
    if !output.status.success() {
        bail!(
            "the browser benchmark failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .with_context(|| format!("bench.mjs printed no result: {stdout}"))?;
    let figure = |group: &str, stat: &str| result[group][stat].as_f64().unwrap_or(f64::NAN);
    println!(
        "  {runs} presses, {seconds} s each; {} samples of footage at risk",
        result["at_risk_s"]["n"]
    );

    let first_receipt = figure("first_receipt_s", "p50");
    let first_chunk = figure("first_chunk_s", "p50");
    let press = Outcome {
        name: "button to first receipt",
        measured: format!(
            "p50 {first_receipt:.2} s, p95 {:.2} s, max {:.2} s",
            figure("first_receipt_s", "p95"),
            figure("first_receipt_s", "max")
        ),
        baseline: format!("button to first chunk recorded p50 {first_chunk:.2} s"),
        ratio: first_receipt / first_chunk,
        ratio_is: "p50 / first-chunk p50",
        target: "p50 < 2 s",
        pass: first_receipt < 2.0,
    };
    let (median, max) = (figure("at_risk_s", "p50"), figure("at_risk_s", "max"));
    let floor = figure("floor_at_risk_s", "p50");
    let risk = Outcome {
        name: "footage at risk (online)",
        measured: format!(
            "median {median:.2} s, p95 {:.2} s, max {max:.2} s",
            figure("at_risk_s", "p95")
        ),
        baseline: format!(
            "1 s timeslice with instant receipts: median {floor:.2} s, max {:.2} s",
            figure("floor_at_risk_s", "max")
        ),
        ratio: median / floor,
        ratio_is: "median / timeslice-only median",
        target: "median <= 1.5 s, max <= 3 s",
        pass: median <= 1.5 && max <= 3.0,
    };
    Ok(vec![press, risk])
}
