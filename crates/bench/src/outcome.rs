//! What each benchmark reports, and the summary table `all` prints.
//!
//! Every benchmark measures a baseline on this machine in the same run and reports the ratio of
//! its figure to that baseline: absolute numbers move with the machine, ratios much less.

/// One benchmark's result.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: &'static str,
    /// The figure the target is about, e.g. "p99 31.20 ms".
    pub measured: String,
    /// The baseline from the same run, e.g. "HTTP floor p99 1.10 ms".
    pub baseline: String,
    pub ratio: f64,
    /// What the ratio divides, e.g. "p99 / floor p99".
    pub ratio_is: &'static str,
    pub target: &'static str,
    pub pass: bool,
}

impl Outcome {
    pub fn verdict(&self) -> &'static str {
        if self.pass { "PASS" } else { "FAIL" }
    }

    /// Prints the outcome as the last lines of a benchmark's own output.
    pub fn print(&self) {
        println!("  measured: {}", self.measured);
        println!("  baseline: {}", self.baseline);
        println!("  ratio:    {:.3} ({})", self.ratio, self.ratio_is);
        println!("  target:   {} -> {}", self.target, self.verdict());
    }
}

/// The summary table: one row per benchmark, in the order they ran.
pub fn print_table(outcomes: &[Outcome]) {
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            [
                o.name.to_owned(),
                o.measured.clone(),
                o.baseline.clone(),
                format!("{:.3} ({})", o.ratio, o.ratio_is),
                o.target.to_owned(),
                o.verdict().to_owned(),
            ]
        })
        .collect();
    let head = [
        "benchmark",
        "measured",
        "baseline (same run)",
        "ratio",
        "target",
        "result",
    ]
    .map(str::to_owned);
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            rows.iter()
                .chain([&head])
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &[String; 6]| {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        println!("| {} |", cells.join(" | "));
    };
    println!();
    line(&head);
    println!(
        "|{}|",
        widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|")
    );
    for row in &rows {
        line(row);
    }
}
