//! The writer refuses to export what would not verify, and media that differs from the log.
#![allow(clippy::unwrap_used)]

mod common;

use amparo_core::checkpoint;
use amparo_core::keys::LogKey;
use amparo_verify::{Check, WriteError, write_bundle};
use common::{ORIGIN, Parts, parts};
use std::io::{self, Cursor, Read};

fn sample() -> Parts {
    parts(&[vec![4_096, 4_096, 100]], false)
}

fn write(parts: &Parts) -> Result<Vec<u8>, WriteError> {
    write_bundle(Cursor::new(Vec::new()), parts.input()).map(Cursor::into_inner)
}

fn inconsistent(result: Result<Vec<u8>, WriteError>) -> Vec<Check> {
    match result {
        Err(WriteError::Inconsistent(findings)) => findings.iter().map(|f| f.check).collect(),
        other => panic!("expected Inconsistent, got {:?}", other.map(|_| "a bundle")),
    }
}

#[test]
fn short_or_long_media_is_refused() {
    let mut short = sample();
    short.recordings[0].2.pop();
    assert!(matches!(
        write(&short),
        Err(WriteError::MediaLength {
            expected: 8_292,
            read: 8_291,
            ..
        })
    ));
    let mut long = sample();
    long.recordings[0].2.push(0);
    assert!(matches!(
        write(&long),
        Err(WriteError::MediaLength {
            expected: 8_292,
            read: 8_293,
            ..
        })
    ));
}

#[test]
fn media_that_differs_from_the_log_is_refused() {
    let mut parts = sample();
    parts.recordings[0].2[5_000] ^= 0x80;
    assert!(matches!(
        write(&parts),
        Err(WriteError::ChunkDigest {
            index: 1,
            offset: 4_096,
            ..
        })
    ));
}

#[test]
fn a_failing_media_stream_is_reported_as_such() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("object storage went away"))
        }
    }
    let parts = sample();
    let mut input = parts.input();
    input.recordings[0].media = Box::new(Broken);
    let result = write_bundle(Cursor::new(Vec::new()), input);
    assert!(matches!(result, Err(WriteError::Media { .. })), "{result:?}");
}

#[test]
fn a_checkpoint_by_another_key_is_refused() {
    let mut parts = sample();
    let other = LogKey::generate(ORIGIN).unwrap();
    let root = checkpoint::verify(&parts.key.public(), &parts.checkpoint).unwrap().root;
    parts.checkpoint = checkpoint::sign(&other, parts.proofs.tree_size, root).note;
    assert_eq!(inconsistent(write(&parts)), vec![Check::Checkpoint]);
}

#[test]
fn missing_proofs_and_broken_chains_are_refused() {
    let mut parts = sample();
    parts.proofs.inclusion.remove(1);
    assert_eq!(inconsistent(write(&parts)), vec![Check::Inclusion]);
    let mut parts = sample();
    parts.recordings[0].1.swap(0, 1);
    let checks = inconsistent(write(&parts));
    assert!(
        checks.contains(&Check::HashChain) && checks.contains(&Check::ChunkLayout),
        "{checks:?}"
    );
}

#[test]
fn bad_identifiers_are_refused() {
    let mut parts = sample();
    parts.encounter.id = "../../etc".to_owned();
    assert_eq!(inconsistent(write(&parts)), vec![Check::Manifest]);
}

#[test]
fn the_error_reads_as_a_sentence() {
    let mut parts = sample();
    parts.proofs.inclusion.clear();
    let message = write(&parts).unwrap_err().to_string();
    assert!(
        message.starts_with("the bundle would not verify: recording "),
        "{message}"
    );
    assert!(message.contains("(and 2 more problems)"), "{message}");
}
