//! The bundle's inventory against the manifest's `files` list, and the digests of every file but
//! the media (whose digests come out of the single pass that also checks their chunks).

use crate::archive::Archive;
use crate::form::hex32;
use crate::report::{Check, Place, Report};
use crate::stream;
use amparo_core::manifest::{
    CHECKPOINT_PATH, CUSTODY_PATH, KEY_PATH, MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, Manifest, NOTES_PATH, PROOFS_PATH,
    REPORT_PATH,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Seek};

/// Files the verifier reads whole, rather than only hashing.
const READ_WHOLE: [&str; 5] = [CHECKPOINT_PATH, KEY_PATH, PROOFS_PATH, CUSTODY_PATH, NOTES_PATH];

/// What the file checks leave for the rest of verification.
pub(crate) struct Files {
    /// The manifest's digest for each listed file (`None`: not 64 hex digits).
    pub listed: BTreeMap<String, Option<[u8; 32]>>,
    /// The bytes of the [`READ_WHOLE`] files that are present.
    pub contents: BTreeMap<&'static str, Vec<u8>>,
}

/// Checks the inventory and the non-media digests.
pub(crate) fn check_files<R: Read + Seek>(archive: &mut Archive<R>, manifest: &Manifest, report: &mut Report) -> Files {
    report.ran(Check::FileList, 1);
    let listed = check_list(archive, manifest, report);
    let media: BTreeSet<&str> = manifest.recordings.iter().map(|r| r.file.as_str()).collect();
    let mut contents = BTreeMap::new();
    for name in READ_WHOLE {
        if let Some(bytes) = archive.read_small(name, Check::FileDigest, report) {
            if let Some(expected) = listed.get(name) {
                check_digest(name, *expected, amparo_core::leaf::sha256(&bytes), report);
            }
            contents.insert(name, bytes);
        }
    }
    for (name, expected) in &listed {
        if media.contains(name.as_str()) || READ_WHOLE.contains(&name.as_str()) {
            continue;
        }
        let Some(entry) = archive.open_entry(name, Check::FileDigest, report) else {
            continue; // Missing: reported by the list check.
        };
        match stream::hash_chunks(entry, &[], io::sink()) {
            Ok(hashed) => check_digest(name, *expected, hashed.whole, report),
            Err(_) => report.fail(Check::FileDigest, Place::File(name.clone()), "the file cannot be read"),
        }
    }
    Files { listed, contents }
}

fn check_list<R: Read + Seek>(
    archive: &Archive<R>,
    manifest: &Manifest,
    report: &mut Report,
) -> BTreeMap<String, Option<[u8; 32]>> {
    let mut listed = BTreeMap::new();
    for file in &manifest.files {
        let place = Place::File(file.path.clone());
        if file.path == MANIFEST_PATH || file.path == MANIFEST_SIGNATURE_PATH {
            report.fail(
                Check::FileList,
                place,
                "the manifest lists this file, which it cannot cover",
            );
        } else if listed.insert(file.path.clone(), hex32(&file.sha256)).is_some() {
            report.fail(Check::FileList, place, "the manifest lists this file twice");
        } else if !archive.contains(&file.path) {
            report.fail(
                Check::FileList,
                place,
                "the manifest lists this file, but it is missing from the bundle",
            );
        }
    }
    let required = [CHECKPOINT_PATH, KEY_PATH, PROOFS_PATH, CUSTODY_PATH, REPORT_PATH]
        .into_iter()
        .chain(manifest.recordings.iter().map(|r| r.file.as_str()));
    for name in required {
        if !listed.contains_key(name) {
            let message = "the manifest does not list this file, which every bundle has";
            report.fail(Check::FileList, Place::File(name.to_owned()), message);
        }
    }
    for name in archive.names() {
        if name != MANIFEST_PATH && name != MANIFEST_SIGNATURE_PATH && !listed.contains_key(name) {
            report.fail(
                Check::FileList,
                Place::File(name.clone()),
                "the file is in the bundle but not in the manifest's list: it was added after export",
            );
        }
    }
    listed
}

/// Compares a file's digest with the manifest's.
pub(crate) fn check_digest(name: &str, expected: Option<[u8; 32]>, actual: [u8; 32], report: &mut Report) {
    report.ran(Check::FileDigest, 1);
    let place = Place::File(name.to_owned());
    match expected {
        None => report.fail(
            Check::FileDigest,
            place,
            "the manifest's SHA-256 for this file is not 64 hex digits",
        ),
        Some(expected) if expected != actual => report.fail(
            Check::FileDigest,
            place,
            "the file's SHA-256 does not match the manifest: the file was changed after export",
        ),
        Some(_) => {}
    }
}
