//! What verification found: every check that was made, every problem, and a summary, in words a
//! lawyer can read and in a structure tests can match on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One property of a bundle that the verifier checks, in the order the report lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    Archive,
    Manifest,
    LogKey,
    TrustedKey,
    ManifestSignature,
    FileList,
    FileDigest,
    Checkpoint,
    Proofs,
    Custody,
    Notes,
    ChunkLayout,
    ChunkDigest,
    RecordingDigest,
    HashChain,
    Inclusion,
    Receipt,
    Sealing,
}

impl Check {
    /// Every check, in report order.
    pub const ALL: [Check; 18] = [
        Check::Archive,
        Check::Manifest,
        Check::LogKey,
        Check::TrustedKey,
        Check::ManifestSignature,
        Check::FileList,
        Check::FileDigest,
        Check::Checkpoint,
        Check::Proofs,
        Check::Custody,
        Check::Notes,
        Check::ChunkLayout,
        Check::ChunkDigest,
        Check::RecordingDigest,
        Check::HashChain,
        Check::Inclusion,
        Check::Receipt,
        Check::Sealing,
    ];

    /// What the check establishes when it passes.
    pub fn describe(self) -> &'static str {
        match self {
            Check::Archive => "the bundle is a readable zip archive of uniquely named, uncompressed files",
            Check::Manifest => "manifest.json is a well-formed version-1 Amparo manifest",
            Check::LogKey => "log/key is a valid log key and is the key the manifest names",
            Check::TrustedKey => "the log key is the key you said to trust",
            Check::ManifestSignature => "manifest.sig is the log key's signature over manifest.json",
            Check::FileList => "the bundle holds exactly the files the manifest lists, no more and no fewer",
            Check::FileDigest => "every file's SHA-256 matches the manifest",
            Check::Checkpoint => "log/checkpoint is signed by the log key, for this log",
            Check::Proofs => "log/proofs.json is well formed, for the checkpoint's tree, one proof per chunk",
            Check::Custody => "custody.json is a readable custody log",
            Check::Notes => "notes.json, when present, is a readable list of attorney notes",
            Check::ChunkLayout => {
                "each recording's chunks run from offset 0 without gaps, overlaps or repeats, and add up \
                 to its media file"
            }
            Check::ChunkDigest => "each chunk's bytes match the SHA-256 recorded when the server received them",
            Check::RecordingDigest => "each media file's SHA-256 matches the manifest",
            Check::HashChain => "each recording's hash chain recomputes: no chunk was removed, repeated or reordered",
            Check::Inclusion => "each chunk's log entry, rebuilt from the manifest, is in the checkpoint's tree",
            Check::Receipt => "each chunk's receipt is signed by the log key and matches its log entry",
            Check::Sealing => "the log's checkpoint extends the checkpoint that first sealed the encounter",
        }
    }
}

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The bundle as a whole.
    Bundle,
    /// One file in the bundle, by its path.
    File(String),
    /// One recording, by its id.
    Recording(String),
    /// One chunk: its position in the recording's list (from 0) and its declared offset.
    Chunk {
        recording: String,
        index: usize,
        offset: u64,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Bundle => write!(f, "bundle"),
            Place::File(path) => write!(f, "{path}"),
            Place::Recording(id) => write!(f, "recording {id}"),
            Place::Chunk {
                recording,
                index,
                offset,
            } => {
                write!(f, "recording {recording}, chunk {index} (offset {offset})")
            }
        }
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: Check,
    pub place: Place,
    /// A plain-language sentence: what is wrong and what it means.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// What the bundle holds and what vouches for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub recordings: usize,
    pub chunks: u64,
    pub bytes: u64,
    /// Size of the tree in `log/checkpoint`, once its signature checked out.
    pub checkpoint_size: Option<u64>,
    /// `<origin>+<key id>` of the log key that signed the checkpoint.
    pub signed_by: Option<String>,
    /// Size of the sealing checkpoint, when the bundle has one and it checked out.
    pub sealed_at_size: Option<u64>,
    /// Entries in the custody log.
    pub custody_entries: Option<usize>,
    /// Attorney notes in `notes.json`.
    pub notes: Option<usize>,
}

/// The outcome of verifying one bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    findings: Vec<Finding>,
    /// How many items (files, chunks, ...) each check was applied to.
    checked: BTreeMap<Check, u64>,
    summary: Summary,
}

impl Report {
    /// True when every check was made and none failed.
    pub fn is_valid(&self) -> bool {
        // A bundle too broken to reach these checks has findings anyway; requiring them to have run
        // guards against an empty report ever reading as a pass.
        let essential = [
            Check::Archive,
            Check::Manifest,
            Check::ManifestSignature,
            Check::Checkpoint,
        ];
        self.findings.is_empty() && essential.iter().all(|c| self.checked.contains_key(c))
    }

    /// Every problem found, in the order found.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The problems found by one check.
    pub fn findings_of(&self, check: Check) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }

    /// The checks that found at least one problem.
    pub fn failed_checks(&self) -> BTreeSet<Check> {
        self.findings.iter().map(|f| f.check).collect()
    }

    /// How many items a check covered (0: it was not made).
    pub fn checked(&self, check: Check) -> u64 {
        self.checked.get(&check).copied().unwrap_or(0)
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub(crate) fn summary_mut(&mut self) -> &mut Summary {
        &mut self.summary
    }

    /// Records that `check` was applied to `items` more items.
    pub(crate) fn ran(&mut self, check: Check, items: u64) {
        *self.checked.entry(check).or_default() += items;
    }

    /// Records a problem (and that the check was made).
    pub(crate) fn fail(&mut self, check: Check, place: Place, message: impl Into<String>) {
        self.checked.entry(check).or_default();
        self.findings.push(Finding {
            check,
            place,
            message: message.into(),
        });
    }

    pub(crate) fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// Findings listed per check in the text report.
const FINDINGS_SHOWN: usize = 20;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Amparo evidence bundle verification")?;
        if self.is_valid() {
            writeln!(f, "Result: VALID. Every check passed.")?;
        } else {
            let n = self.findings.len();
            writeln!(
                f,
                "Result: NOT VALID. {n} problem{} found.",
                if n == 1 { "" } else { "s" }
            )?;
        }
        writeln!(f, "\nChecks:")?;
        for check in Check::ALL {
            let findings: Vec<&Finding> = self.findings_of(check).collect();
            let status = match (findings.is_empty(), self.checked.get(&check)) {
                (false, _) => "FAIL",
                (true, Some(_)) => "pass",
                // In a valid bundle, only optional checks are left: no trusted key was given, or
                // the bundle's checkpoint is the one that sealed the encounter.
                (true, None) if self.is_valid() => "n/a",
                (true, None) => "not checked",
            };
            let items = match self.checked(check) {
                0 | 1 => String::new(),
                n => format!(" ({n} checked)"),
            };
            writeln!(f, "  [{status}] {}{items}", check.describe())?;
            // A wholly replaced file can fail every chunk; the first few say what happened, and
            // `findings()` keeps them all.
            for finding in findings.iter().take(FINDINGS_SHOWN) {
                writeln!(f, "         - {finding}")?;
            }
            if findings.len() > FINDINGS_SHOWN {
                writeln!(
                    f,
                    "         - ... and {} more of the same check",
                    findings.len() - FINDINGS_SHOWN
                )?;
            }
        }
        writeln!(f, "\n{}", self.summary_sentence())?;
        if let (true, Some(key)) = (self.is_valid(), &self.summary.signed_by) {
            writeln!(
                f,
                "\nThese checks show the bundle is complete, unaltered and consistent with the log signed by \
                 {key}. They show who vouches for it only if that key is the log's published key: compare \
                 log/key with the key the organization publishes at /log/key."
            )?;
        }
        Ok(())
    }
}

impl Report {
    fn summary_sentence(&self) -> String {
        let s = &self.summary;
        let mut text = format!(
            "Summary: {} recording{}, {} chunk{}, {} byte{}",
            s.recordings,
            plural(s.recordings as u64),
            s.chunks,
            plural(s.chunks),
            s.bytes,
            plural(s.bytes)
        );
        match (s.checkpoint_size, &s.signed_by) {
            (Some(size), Some(key)) => text += &format!(", covered by the checkpoint of size {size} signed by {key}"),
            _ => text += ", not covered by a valid checkpoint",
        }
        if let Some(sealed) = s.sealed_at_size {
            text += &format!(" (first sealed at size {sealed})");
        }
        if let Some(custody) = s.custody_entries {
            text += &format!("; {custody} custody log entr{}", if custody == 1 { "y" } else { "ies" });
        }
        if let Some(notes) = s.notes.filter(|n| *n > 0) {
            text += &format!("; {notes} attorney note{}", if notes == 1 { "" } else { "s" });
        }
        text + "."
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
