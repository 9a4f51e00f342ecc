//! The verifier: opens a bundle and runs every check, collecting what it finds rather than stopping
//! at the first problem.

use crate::archive::Archive;
use crate::evidence::{self, Evidence, key_name_and_id};
use crate::files::{self, Files};
use crate::media;
use crate::report::{Check, Place, Report};
use amparo_core::keys::PublicKey;
use amparo_core::manifest::{
    self, CHECKPOINT_PATH, CUSTODY_PATH, CustodyEntry, KEY_PATH, MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, Manifest,
    NOTES_PATH, NoteEntry, PROOFS_PATH, Proofs,
};
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

/// Choices the person verifying can make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The log's verifier key (`<origin>+<key id>+<base64>`) as obtained independently of the bundle,
    /// from the organization that runs the log. When given, the bundle must be signed by it.
    pub trusted_key: Option<String>,
}

/// Verifies the bundle at `path` with default options.
pub fn verify_bundle(path: &Path) -> Report {
    verify_bundle_with(path, &VerifyOptions::default())
}

/// Verifies the bundle at `path`.
pub fn verify_bundle_with(path: &Path, options: &VerifyOptions) -> Report {
    match File::open(path) {
        // Small reads while parsing the zip directory are buffered; media reads are larger than the
        // buffer and bypass it.
        Ok(file) => verify_reader(BufReader::with_capacity(64 << 10, file), options),
        Err(e) => {
            let mut report = Report::default();
            report.fail(
                Check::Archive,
                Place::Bundle,
                format!("the bundle cannot be opened ({e})"),
            );
            report
        }
    }
}

/// Verifies a bundle read from `reader`.
pub fn verify_reader<R: Read + Seek>(reader: R, options: &VerifyOptions) -> Report {
    let mut report = Report::default();
    if let Some(mut archive) = Archive::open(reader, &mut report) {
        verify_archive(&mut archive, options, &mut report);
    }
    report
}

fn verify_archive<R: Read + Seek>(archive: &mut Archive<R>, options: &VerifyOptions, report: &mut Report) {
    let Some(manifest_json) = archive.read_small(MANIFEST_PATH, Check::Manifest, report) else {
        if !archive.contains(MANIFEST_PATH) {
            let message = "the bundle has no manifest, so nothing in it can be checked";
            report.fail(Check::Manifest, Place::File(MANIFEST_PATH.to_owned()), message);
        }
        return;
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_json) {
        Ok(manifest) => manifest,
        Err(e) => {
            let message = format!("the file is not a valid manifest ({e}), so nothing else can be checked");
            report.fail(Check::Manifest, Place::File(MANIFEST_PATH.to_owned()), message);
            return;
        }
    };
    let files = files::check_files(archive, &manifest, report);
    let key = check_key(&manifest, &files, options, report);
    check_signature(archive, &manifest_json, key.as_ref(), report);
    let proofs = parse_proofs(&files, report);
    check_custody(&files, report);
    check_notes(&files, report);
    let checkpoint = files
        .contents
        .get(CHECKPOINT_PATH)
        .and_then(|bytes| match std::str::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                report.fail(
                    Check::Checkpoint,
                    Place::File(CHECKPOINT_PATH.to_owned()),
                    "the checkpoint is not text",
                );
                None
            }
        });
    let evidence = Evidence {
        manifest: &manifest,
        key: key.as_ref(),
        checkpoint,
        proofs: proofs.as_ref(),
    };
    evidence::check_evidence(&evidence, report);
    for recording in &manifest.recordings {
        media::check_media(archive, recording, &files.listed, report);
    }
}

/// Establishes the log key from `log/key` (or, if that is missing, the manifest) and checks that
/// the two agree, and that it is the key the person trusts.
fn check_key(manifest: &Manifest, files: &Files, options: &VerifyOptions, report: &mut Report) -> Option<PublicKey> {
    report.ran(Check::LogKey, 1);
    let key_file = || Place::File(KEY_PATH.to_owned());
    let in_manifest = match PublicKey::from_verifier_key(&manifest.log.verifier_key) {
        Ok(key) => Some(key),
        Err(e) => {
            let message = format!("the manifest's verifier key is not a valid log key ({e})");
            report.fail(Check::LogKey, Place::File(MANIFEST_PATH.to_owned()), message);
            None
        }
    };
    let in_file = files.contents.get(KEY_PATH).and_then(|bytes| {
        let parsed = std::str::from_utf8(bytes).map_err(|_| "not text".to_owned());
        match parsed.and_then(|text| PublicKey::from_verifier_key(text).map_err(|e| e.to_string())) {
            Ok(key) => Some(key),
            Err(e) => {
                report.fail(
                    Check::LogKey,
                    key_file(),
                    format!("the file is not a valid log key ({e})"),
                );
                None
            }
        }
    });
    if let (Some(file), Some(named)) = (&in_file, &in_manifest)
        && file != named
    {
        let (file, named) = (key_name_and_id(file), key_name_and_id(named));
        report.fail(
            Check::LogKey,
            key_file(),
            format!("the file holds the key {file}, but the manifest names {named}"),
        );
    }
    let key = in_file.or(in_manifest)?;
    if key.name() != manifest.log.origin {
        let message = format!(
            "the manifest says the log is {:?}, but the key is for {:?}",
            manifest.log.origin,
            key.name()
        );
        report.fail(Check::LogKey, key_file(), message);
    }
    if let Some(trusted) = &options.trusted_key {
        report.ran(Check::TrustedKey, 1);
        match PublicKey::from_verifier_key(trusted) {
            Ok(trusted) if trusted == key => {}
            Ok(trusted) => report.fail(
                Check::TrustedKey,
                key_file(),
                format!(
                    "the bundle is signed by the log key {}, not by the key you said to trust ({})",
                    key_name_and_id(&key),
                    key_name_and_id(&trusted)
                ),
            ),
            Err(e) => report.fail(
                Check::TrustedKey,
                Place::Bundle,
                format!("the key you gave is not a log key ({e})"),
            ),
        }
    }
    Some(key)
}

fn check_signature<R: Read + Seek>(
    archive: &mut Archive<R>,
    manifest_json: &[u8],
    key: Option<&PublicKey>,
    report: &mut Report,
) {
    let place = || Place::File(MANIFEST_SIGNATURE_PATH.to_owned());
    let Some(signature) = archive.read_small(MANIFEST_SIGNATURE_PATH, Check::ManifestSignature, report) else {
        if !archive.contains(MANIFEST_SIGNATURE_PATH) {
            report.fail(
                Check::ManifestSignature,
                place(),
                "the file is missing, so nothing vouches for the manifest",
            );
        }
        return;
    };
    let Some(key) = key else {
        return; // No key to check it with: reported by the key check.
    };
    report.ran(Check::ManifestSignature, 1);
    if !manifest::verify_manifest(key, manifest_json, &String::from_utf8_lossy(&signature)) {
        report.fail(
            Check::ManifestSignature,
            place(),
            "this is not the log key's signature over manifest.json: the manifest was changed after \
             it was signed, or it was signed by another key",
        );
    }
}

fn parse_proofs(files: &Files, report: &mut Report) -> Option<Proofs> {
    let bytes = files.contents.get(PROOFS_PATH)?;
    match serde_json::from_slice(bytes) {
        Ok(proofs) => Some(proofs),
        Err(e) => {
            let message = format!("the file is not a valid proofs file ({e})");
            report.fail(Check::Proofs, Place::File(PROOFS_PATH.to_owned()), message);
            None
        }
    }
}

fn check_notes(files: &Files, report: &mut Report) {
    let Some(bytes) = files.contents.get(NOTES_PATH) else {
        return;
    };
    report.ran(Check::Notes, 1);
    match serde_json::from_slice::<Vec<NoteEntry>>(bytes) {
        Ok(notes) => report.summary_mut().notes = Some(notes.len()),
        Err(e) => {
            let message = format!("the file is not a valid list of notes ({e})");
            report.fail(Check::Notes, Place::File(NOTES_PATH.to_owned()), message);
        }
    }
}

fn check_custody(files: &Files, report: &mut Report) {
    let Some(bytes) = files.contents.get(CUSTODY_PATH) else {
        return;
    };
    report.ran(Check::Custody, 1);
    match serde_json::from_slice::<Vec<CustodyEntry>>(bytes) {
        Ok(entries) => report.summary_mut().custody_entries = Some(entries.len()),
        Err(e) => {
            let message = format!("the file is not a valid custody log ({e})");
            report.fail(Check::Custody, Place::File(CUSTODY_PATH.to_owned()), message);
        }
    }
}
