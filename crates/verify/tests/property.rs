//! Any chunking verifies; any single flipped media byte is caught in the chunk that holds it.
#![allow(clippy::unwrap_used)]

mod common;

use amparo_verify::{Check, Place};
use common::{Entries, build, verify};
use proptest::prelude::*;

proptest! {
    // Each case signs and verifies a whole bundle: a few dozen cases cover the shapes that matter.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_chunkings_verify_and_any_flipped_byte_is_found(
        sizes in prop::collection::vec(1usize..5_000, 1..12),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let fixture = build(std::slice::from_ref(&sizes), false);
        let report = verify(&fixture.bundle);
        prop_assert!(report.is_valid(), "{}", report);

        let mut entries = Entries::read(&fixture.bundle);
        let manifest = entries.manifest();
        let recording = &manifest.recordings[0];
        let at = position.index(fixture.media[0].len());
        entries.get_mut(&recording.file)[at] ^= 1 << bit;
        let report = verify(&entries.pack());
        prop_assert!(!report.is_valid());

        let index = recording.chunks.iter().position(|c| c.offset + c.length > at as u64).unwrap();
        let expected = Place::Chunk { recording: recording.id.clone(), index, offset: recording.chunks[index].offset };
        let places: Vec<Place> = report.findings_of(Check::ChunkDigest).map(|f| f.place.clone()).collect();
        prop_assert_eq!(places, vec![expected]);
    }
}
