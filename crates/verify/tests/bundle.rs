//! A real bundle verifies; each way of tampering with it fails, for its own reason, at its place.
#![allow(clippy::unwrap_used)]

mod common;

use amparo_core::keys::LogKey;
use amparo_core::manifest::{
    CHECKPOINT_PATH, CUSTODY_PATH, CustodyEntry, KEY_PATH, MANIFEST_PATH, NOTES_PATH, NoteEntry, PROOFS_PATH, Proofs,
    REPORT_PATH,
};
use amparo_core::receipt::Receipt;
use amparo_verify::{Check, Place, Report, VerifyOptions, verify_bundle, verify_bundle_with};
use common::{Entries, Fixture, ORIGIN, build, verify};
use std::collections::BTreeSet;

const SIZE: usize = 65_536;

fn fixture() -> Fixture {
    build(
        &[vec![SIZE, SIZE, SIZE, SIZE, SIZE, 12_345], vec![1_000, 2_000, 3_000]],
        true,
    )
}

fn failed(report: &Report) -> BTreeSet<Check> {
    report.failed_checks()
}

fn set(checks: &[Check]) -> BTreeSet<Check> {
    checks.iter().copied().collect()
}

/// The chunk place a finding should name: recording 0, chunk `index`.
fn chunk(entries: &Entries, index: usize) -> Place {
    let manifest = entries.manifest();
    let recording = &manifest.recordings[0];
    Place::Chunk {
        recording: recording.id.clone(),
        index,
        offset: recording.chunks[index].offset,
    }
}

fn places(report: &Report, check: Check) -> Vec<Place> {
    report.findings_of(check).map(|f| f.place.clone()).collect()
}

#[test]
fn a_real_bundle_verifies() {
    let fixture = fixture();
    let report = verify(&fixture.bundle);
    assert!(report.is_valid(), "{report}");
    let summary = report.summary();
    assert_eq!((summary.recordings, summary.chunks), (2, 9));
    assert_eq!(summary.bytes, (5 * SIZE + 12_345 + 6_000) as u64);
    assert_eq!(summary.custody_entries, Some(2));
    assert!(summary.sealed_at_size.is_some());
    assert!(summary.signed_by.as_deref().unwrap().starts_with(&format!("{ORIGIN}+")));
    for check in [
        Check::ChunkDigest,
        Check::HashChain,
        Check::Inclusion,
        Check::Receipt,
        Check::ChunkLayout,
    ] {
        assert_eq!(report.checked(check), 9, "{check:?}");
    }
    assert_eq!(
        report.checked(Check::FileDigest),
        8,
        "2 recordings, checkpoint, key, proofs, custody, notes, report"
    );
    assert_eq!(report.checked(Check::TrustedKey), 0);
    let text = report.to_string();
    assert!(text.contains("Result: VALID"), "{text}");
    assert!(
        text.contains("2 recordings, 9 chunks, 346025 bytes, covered by the checkpoint of size"),
        "{text}"
    );
}

#[test]
fn the_bundle_has_the_documented_layout_and_stores_media_as_received() {
    let fixture = fixture();
    let entries = Entries::read(&fixture.bundle);
    let names: Vec<&str> = entries.0.iter().map(|(n, _)| n.as_str()).collect();
    let manifest = entries.manifest();
    assert_eq!(names.last(), Some(&"manifest.sig"));
    assert_eq!(names[names.len() - 2], MANIFEST_PATH);
    for (recording, media) in manifest.recordings.iter().zip(&fixture.media) {
        assert!(recording.file.starts_with("media/") && recording.file.ends_with(".webm"));
        assert_eq!(entries.get(&recording.file), media);
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let stored: BTreeSet<&str> = names.iter().copied().filter(|n| !n.starts_with("manifest.")).collect();
    assert_eq!(listed, stored);
    assert_eq!(
        String::from_utf8_lossy(entries.get(KEY_PATH)).trim(),
        fixture.key.verifier_key()
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&fixture.bundle)).unwrap();
    for i in 0..zip.len() {
        assert_eq!(zip.by_index(i).unwrap().compression(), zip::CompressionMethod::Stored);
    }
}

#[test]
fn the_html_report_is_self_contained_and_escapes_what_people_typed() {
    let html = String::from_utf8(Entries::read(&fixture().bundle).get(REPORT_PATH).clone()).unwrap();
    assert!(!html.contains("<script"), "raw markup from the note reached the page");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(html.contains("&amp; said &quot;step out&quot;"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains(" src="));
    assert!(html.contains("amparo verify"));
    assert!(html.contains("2026-09-21T"), "received times are shown");
}

#[test]
fn verifies_from_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.zip");
    std::fs::write(&path, fixture().bundle).unwrap();
    assert!(verify_bundle(&path).is_valid());
    let missing = verify_bundle(&dir.path().join("nope.zip"));
    assert_eq!(failed(&missing), set(&[Check::Archive]));
}

#[test]
fn a_flipped_media_byte_is_found_in_its_chunk() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let file = entries.manifest().recordings[0].file.clone();
    entries.get_mut(&file)[3 * SIZE + 100] ^= 0x01;
    let report = verify(&entries.pack());
    assert_eq!(
        failed(&report),
        set(&[Check::ChunkDigest, Check::RecordingDigest, Check::FileDigest])
    );
    assert_eq!(places(&report, Check::ChunkDigest), vec![chunk(&entries, 3)]);
    let text = report.to_string();
    let expected = "chunk 3 (offset 196608): the media bytes do not match the SHA-256 recorded when they were received";
    assert!(text.contains(expected), "{text}");
}

#[test]
fn a_removed_chunk_leaves_a_gap_and_breaks_the_chain() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    manifest.recordings[0].chunks.remove(2);
    let file = manifest.recordings[0].file.clone();
    entries.set_json(MANIFEST_PATH, &manifest);
    entries.get_mut(&file).drain(2 * SIZE..3 * SIZE);
    entries.refresh_digests();
    let report = verify(&entries.pack());
    // The removed chunk's inclusion proof, left behind, gives the removal away too.
    let expected = [
        Check::ManifestSignature,
        Check::ChunkLayout,
        Check::HashChain,
        Check::Proofs,
    ];
    assert_eq!(failed(&report), set(&expected));
    assert!(places(&report, Check::ChunkLayout).contains(&chunk(&entries, 2)));
    assert_eq!(places(&report, Check::HashChain), vec![chunk(&entries, 2)]);
}

#[test]
fn a_removed_chunk_with_renumbered_offsets_still_breaks_the_chain_and_the_log() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    let chunks = &mut manifest.recordings[0].chunks;
    chunks.remove(2);
    for chunk in &mut chunks[2..] {
        chunk.offset -= SIZE as u64;
    }
    let file = manifest.recordings[0].file.clone();
    entries.set_json(MANIFEST_PATH, &manifest);
    entries.get_mut(&file).drain(2 * SIZE..3 * SIZE);
    entries.refresh_digests();
    let report = verify(&entries.pack());
    let expected = [
        Check::ManifestSignature,
        Check::HashChain,
        Check::Inclusion,
        Check::Receipt,
        Check::Proofs,
    ];
    assert_eq!(failed(&report), set(&expected));
    assert_eq!(places(&report, Check::HashChain), vec![chunk(&entries, 2)]);
}

#[test]
fn reordered_chunks_break_the_chain_where_they_were_swapped() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    let chunks = &mut manifest.recordings[0].chunks;
    chunks.swap(1, 2);
    (chunks[1].offset, chunks[2].offset) = (chunks[2].offset, chunks[1].offset);
    let file = manifest.recordings[0].file.clone();
    entries.set_json(MANIFEST_PATH, &manifest);
    let media = entries.get_mut(&file);
    let second: Vec<u8> = media[SIZE..2 * SIZE].to_vec();
    media.copy_within(2 * SIZE..3 * SIZE, SIZE);
    media[2 * SIZE..3 * SIZE].copy_from_slice(&second);
    entries.refresh_digests();
    let report = verify(&entries.pack());
    // Every byte is where the manifest says, so only the chain and the log can tell.
    let expected = [
        Check::ManifestSignature,
        Check::HashChain,
        Check::Inclusion,
        Check::Receipt,
    ];
    assert_eq!(failed(&report), set(&expected));
    let chain = places(&report, Check::HashChain);
    assert_eq!(chain, vec![chunk(&entries, 1), chunk(&entries, 2), chunk(&entries, 3)]);
}

#[test]
fn a_duplicated_chunk_repeats_an_offset_and_a_log_entry() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    let copy = manifest.recordings[0].chunks[2].clone();
    manifest.recordings[0].chunks.insert(3, copy);
    let file = manifest.recordings[0].file.clone();
    entries.set_json(MANIFEST_PATH, &manifest);
    let media = entries.get_mut(&file);
    let bytes: Vec<u8> = media[2 * SIZE..3 * SIZE].to_vec();
    media.splice(3 * SIZE..3 * SIZE, bytes);
    entries.refresh_digests();
    let report = verify(&entries.pack());
    let expected = [
        Check::ManifestSignature,
        Check::ChunkLayout,
        Check::HashChain,
        Check::Inclusion,
    ];
    assert_eq!(failed(&report), set(&expected));
    let layout = report.findings_of(Check::ChunkLayout).next().unwrap();
    assert_eq!(layout.place, chunk(&entries, 3));
    assert!(
        layout.message.contains("repeats the offset of chunk 2"),
        "{}",
        layout.message
    );
    assert_eq!(places(&report, Check::HashChain), vec![chunk(&entries, 3)]);
    assert_eq!(places(&report, Check::Inclusion), vec![chunk(&entries, 3)]);
}

#[test]
fn an_edited_note_breaks_the_manifest_signature() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    manifest.encounter.note = Some("Nothing happened.".to_owned());
    entries.set_json(MANIFEST_PATH, &manifest);
    assert_eq!(failed(&verify(&entries.pack())), set(&[Check::ManifestSignature]));
    // Signing it with another key, but leaving the log's key in place, changes nothing.
    entries.sign_with(&LogKey::generate(ORIGIN).unwrap());
    assert_eq!(failed(&verify(&entries.pack())), set(&[Check::ManifestSignature]));
}

#[test]
fn an_edited_manifest_resigned_with_a_forged_key_fails_on_everything_the_log_signed() {
    let fixture = fixture();
    let forger = LogKey::generate(ORIGIN).unwrap();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    manifest.encounter.note = Some("Nothing happened.".to_owned());
    manifest.log.verifier_key = forger.verifier_key();
    entries.set_json(MANIFEST_PATH, &manifest);
    *entries.get_mut(KEY_PATH) = format!("{}\n", forger.verifier_key()).into_bytes();
    entries.reseal(&forger);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::Checkpoint, Check::Receipt]));
    assert_eq!(report.findings_of(Check::Receipt).count(), 9);
    // Without a checkpoint signed by the key, there is no tree to prove anything against.
    assert_eq!(report.checked(Check::Inclusion) + report.checked(Check::Sealing), 0);
    assert!(!report.is_valid());
    // Whoever knows the log's real key sees the substitution directly.
    let options = VerifyOptions {
        trusted_key: Some(fixture.key.verifier_key()),
    };
    let report = amparo_verify::verify_reader(std::io::Cursor::new(entries.pack()), &options);
    assert!(failed(&report).contains(&Check::TrustedKey));
}

#[test]
fn an_edited_received_time_no_longer_matches_the_log_or_the_receipt() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    manifest.recordings[0].chunks[4].received_at_us -= 60_000_000;
    entries.set_json(MANIFEST_PATH, &manifest);
    let report = verify(&entries.pack());
    assert_eq!(
        failed(&report),
        set(&[Check::ManifestSignature, Check::Inclusion, Check::Receipt])
    );
    assert_eq!(places(&report, Check::Inclusion), vec![chunk(&entries, 4)]);
    let receipt: Vec<&str> = report.findings_of(Check::Receipt).map(|f| f.message.as_str()).collect();
    assert!(receipt.iter().any(|m| m.contains("time received")), "{receipt:?}");
}

#[test]
fn a_forged_checkpoint_signature_is_refused_even_in_a_bundle_the_log_signed() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let note = String::from_utf8(entries.get(CHECKPOINT_PATH).clone()).unwrap();
    let (body, signature) = note.rsplit_once(' ').unwrap();
    let mut forged = signature.as_bytes().to_vec();
    forged[10] = if forged[10] == b'A' { b'B' } else { b'A' };
    *entries.get_mut(CHECKPOINT_PATH) = format!("{body} {}", String::from_utf8(forged).unwrap()).into_bytes();
    entries.reseal(&fixture.key);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::Checkpoint]));
    assert_eq!(
        report.checked(Check::Inclusion),
        0,
        "nothing can be included in an unsigned tree"
    );
    assert!(!report.is_valid());
}

#[test]
fn an_altered_inclusion_proof_fails_for_its_chunk_alone() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let target = entries.manifest().recordings[0].chunks[1].leaf_index;
    let mut proofs: Proofs = entries.json(PROOFS_PATH);
    let proof = proofs.inclusion.iter_mut().find(|p| p.leaf_index == target).unwrap();
    proof.hashes[0] = "00".repeat(32);
    entries.set_json(PROOFS_PATH, &proofs);
    entries.reseal(&fixture.key);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::Inclusion]));
    assert_eq!(places(&report, Check::Inclusion), vec![chunk(&entries, 1)]);
}

#[test]
fn a_receipt_from_another_key_fails_for_its_chunk_alone() {
    let fixture = fixture();
    let other = LogKey::generate(ORIGIN).unwrap();
    let mut entries = Entries::read(&fixture.bundle);
    let mut manifest = entries.manifest();
    let chunk_entry = &mut manifest.recordings[0].chunks[5];
    let genuine = Receipt::from_header(&chunk_entry.receipt).unwrap();
    let forged = Receipt::sign(&other, genuine.index, genuine.leaf_hash, genuine.received_at_us);
    chunk_entry.receipt = forged.to_header();
    entries.set_json(MANIFEST_PATH, &manifest);
    entries.reseal(&fixture.key);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::Receipt]));
    assert_eq!(places(&report, Check::Receipt), vec![chunk(&entries, 5)]);
}

#[test]
fn an_extra_file_is_refused() {
    let mut entries = Entries::read(&fixture().bundle);
    entries.insert("media/extra.webm", b"more".to_vec());
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::FileList]));
    assert_eq!(
        places(&report, Check::FileList),
        vec![Place::File("media/extra.webm".to_owned())]
    );
}

#[test]
fn a_missing_file_is_refused() {
    let mut entries = Entries::read(&fixture().bundle);
    entries.remove(CUSTODY_PATH);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::FileList]));
    assert_eq!(
        places(&report, Check::FileList),
        vec![Place::File(CUSTODY_PATH.to_owned())]
    );
    assert_eq!(report.checked(Check::Custody), 0);
}

#[test]
fn an_altered_custody_log_is_refused() {
    let mut entries = Entries::read(&fixture().bundle);
    let mut custody: Vec<CustodyEntry> = entries.json(CUSTODY_PATH);
    custody.pop();
    entries.set_json(CUSTODY_PATH, &custody);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::FileDigest]));
    assert_eq!(
        places(&report, Check::FileDigest),
        vec![Place::File(CUSTODY_PATH.to_owned())]
    );
}

#[test]
fn attorney_notes_are_covered_by_the_manifest() {
    let fixture = fixture();
    let report = verify(&fixture.bundle);
    assert_eq!(report.checked(Check::Notes), 1);
    assert_eq!(report.summary().notes, Some(1));
    let html = String::from_utf8(Entries::read(&fixture.bundle).get(REPORT_PATH).to_vec()).unwrap();
    assert!(
        html.contains("Advised to remain silent") && html.contains("&lt;b&gt;not markup"),
        "notes shown, escaped"
    );

    let mut entries = Entries::read(&fixture.bundle);
    let mut notes: Vec<NoteEntry> = entries.json(NOTES_PATH);
    notes[0].text = "Nothing was said.".to_owned();
    entries.set_json(NOTES_PATH, &notes);
    assert_eq!(
        failed(&verify(&entries.pack())),
        set(&[Check::FileDigest]),
        "an edited note is caught"
    );

    let mut entries = Entries::read(&fixture.bundle);
    *entries.get_mut(NOTES_PATH) = b"{not json".to_vec();
    entries.reseal(&fixture.key);
    assert_eq!(failed(&verify(&entries.pack())), set(&[Check::Notes]));
}

#[test]
fn a_forged_consistency_proof_is_refused() {
    let fixture = fixture();
    let mut entries = Entries::read(&fixture.bundle);
    let mut proofs: Proofs = entries.json(PROOFS_PATH);
    let sealing = proofs.sealing.as_mut().unwrap();
    let last = sealing.consistency.len() - 1;
    sealing.consistency[last] = "11".repeat(32);
    entries.set_json(PROOFS_PATH, &proofs);
    entries.reseal(&fixture.key);
    assert_eq!(failed(&verify(&entries.pack())), set(&[Check::Sealing]));
}

#[test]
fn a_bundle_signed_by_another_log_fails_the_trusted_key() {
    let fixture = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.zip");
    std::fs::write(&path, &fixture.bundle).unwrap();
    let trusted = VerifyOptions {
        trusted_key: Some(fixture.key.verifier_key()),
    };
    let report = verify_bundle_with(&path, &trusted);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.checked(Check::TrustedKey), 1);
    let other = VerifyOptions {
        trusted_key: Some(LogKey::generate(ORIGIN).unwrap().verifier_key()),
    };
    assert_eq!(failed(&verify_bundle_with(&path, &other)), set(&[Check::TrustedKey]));
}

#[test]
fn what_is_not_a_bundle_is_refused() {
    assert_eq!(failed(&verify(b"not a zip archive")), set(&[Check::Archive]));
    let mut entries = Entries::read(&fixture().bundle);
    entries.remove(MANIFEST_PATH);
    let report = verify(&entries.pack());
    assert_eq!(failed(&report), set(&[Check::Manifest]));
    assert!(!report.is_valid());
    assert!(report.to_string().contains("NOT VALID"));
}
