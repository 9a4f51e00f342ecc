//! The log's right edge.
//!
//! `tlog_tiles` (a port of Go's `sumdb/tlog`) does the RFC 6962 proof math over *stored hashes*:
//! for every leaf `i` the hash at `(level 0, i)` plus one interior node for each trailing one bit
//! of `i`. To append without reading the store, the sequencer keeps the [`Frontier`]: the roots of
//! the complete subtrees along the right edge of the tree (at most 64 hashes). From it alone it
//! derives the stored hashes of each new leaf and the root of the new tree.

use crate::Hash;
use tlog_tiles::{EMPTY_HASH, node_hash};

/// A stored hash's address: its level in the tree and its index within that level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeAddr {
    pub level: u8,
    pub index: u64,
}

/// One hash the store must keep so that proofs and tiles can be served later.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredHash {
    pub addr: NodeAddr,
    pub hash: Hash,
}

/// The right edge of a tree of `size` leaves: `levels[k]` holds the root of the complete subtree
/// of `2^k` leaves at the right edge, present exactly when bit `k` of `size` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct Frontier {
    size: u64,
    levels: Vec<Option<Hash>>,
}

/// The frontier hashes handed to [`Frontier::from_hashes`] do not fit the size.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a tree of {size} leaves has {expected} frontier hashes, {given} were given")]
pub struct FrontierMismatch {
    pub size: u64,
    pub expected: usize,
    pub given: usize,
}

impl Default for Frontier {
    fn default() -> Self {
        Self::empty()
    }
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn empty() -> Self {
        Self {
            size: 0,
            levels: Vec::new(),
        }
    }

    /// The addresses of the stored hashes that make up the frontier of a tree of `size` leaves,
    /// from the lowest level up: what a restarting sequencer reads back from the store.
    pub fn addresses(size: u64) -> Vec<NodeAddr> {
        (0..64u8)
            .filter(|level| size >> level & 1 == 1)
            .map(|level| NodeAddr {
                level,
                index: (size >> level) - 1,
            })
            .collect()
    }

    /// Rebuilds the frontier from the hashes at [`Frontier::addresses`]`(size)`, in that order.
    pub fn from_hashes(size: u64, hashes: &[Hash]) -> Result<Self, FrontierMismatch> {
        let addresses = Self::addresses(size);
        if addresses.len() != hashes.len() {
            return Err(FrontierMismatch {
                size,
                expected: addresses.len(),
                given: hashes.len(),
            });
        }
        let mut levels = vec![None; 64 - size.leading_zeros() as usize];
        for (addr, hash) in addresses.iter().zip(hashes) {
            levels[addr.level as usize] = Some(*hash);
        }
        Ok(Self { size, levels })
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf (by its RFC 6962 leaf hash) and returns the stored hashes it creates,
    /// lowest level first: the leaf itself, then every subtree it completes.
    pub fn append(&mut self, leaf_hash: Hash) -> Vec<StoredHash> {
        let index = self.size;
        let mut created = vec![StoredHash {
            addr: NodeAddr { level: 0, index },
            hash: leaf_hash,
        }];
        let mut carry = leaf_hash;
        let mut level = 0usize;
        while let Some(left) = self.levels.get_mut(level).and_then(Option::take) {
            carry = node_hash(left, carry);
            level += 1;
            created.push(StoredHash {
                addr: NodeAddr {
                    level: level as u8,
                    index: index >> level,
                },
                hash: carry,
            });
        }
        if self.levels.len() <= level {
            self.levels.resize(level + 1, None);
        }
        self.levels[level] = Some(carry);
        self.size += 1;
        created
    }

    /// The RFC 6962 root hash of the tree.
    pub fn root(&self) -> Hash {
        // The biggest subtrees are on the left, so fold from the smallest (rightmost) up.
        self.levels
            .iter()
            .flatten()
            .fold(None, |right, left| {
                Some(right.map_or(*left, |right| node_hash(*left, right)))
            })
            .unwrap_or(EMPTY_HASH)
    }
}

/// The index `tlog_tiles` gives a stored hash, for stores that keep them in one flat sequence.
pub fn stored_hash_index(addr: NodeAddr) -> u64 {
    tlog_tiles::stored_hash_index(addr.level, addr.index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use tlog_tiles::{HashReader, record_hash};

    /// An in-memory map of stored hashes, as `tlog_tiles` expects to read them.
    struct MapReader(HashMap<u64, Hash>);

    impl HashReader for MapReader {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
            indexes
                .iter()
                .map(|i| self.0.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree))
                .collect()
        }
    }

    fn build(n: u64) -> (Frontier, MapReader) {
        let mut frontier = Frontier::empty();
        let mut map = HashMap::new();
        for i in 0..n {
            for stored in frontier.append(record_hash(&i.to_be_bytes())) {
                map.insert(stored_hash_index(stored.addr), stored.hash);
            }
        }
        (frontier, MapReader(map))
    }

    #[test]
    fn empty_tree_root_is_sha256_of_nothing() {
        assert_eq!(Frontier::empty().root(), EMPTY_HASH);
    }

    #[test]
    fn stored_hashes_match_tlog_tiles() {
        let mut frontier = Frontier::empty();
        let mut map = MapReader(HashMap::new());
        for i in 0..300u64 {
            let data = i.to_be_bytes();
            let expected = tlog_tiles::stored_hashes(i, &data, &map).expect("stored hashes");
            let got: Vec<Hash> = frontier.append(record_hash(&data)).iter().map(|s| s.hash).collect();
            assert_eq!(got, expected, "leaf {i}");
            for (k, hash) in got.into_iter().enumerate() {
                map.0.insert(tlog_tiles::stored_hash_index(0, i) + k as u64, hash);
            }
        }
    }

    proptest! {
        #[test]
        fn root_matches_tlog_tiles_and_proofs_verify(n in 1u64..600, pick in any::<u64>(), old in any::<u64>()) {
            let (frontier, reader) = build(n);
            let root = tlog_tiles::tree_hash(n, &reader).expect("tree hash");
            prop_assert_eq!(frontier.root(), root);

            let leaf = pick % n;
            let proof = tlog_tiles::prove_record(n, leaf, &reader).expect("inclusion proof");
            let leaf_hash = record_hash(&leaf.to_be_bytes());
            prop_assert!(tlog_tiles::check_record(&proof, n, root, leaf, leaf_hash).is_ok());
            // Any other leaf, or a tampered proof, fails.
            let wrong = record_hash(&(leaf + 1).to_be_bytes());
            prop_assert!(tlog_tiles::check_record(&proof, n, root, leaf, wrong).is_err());
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = Hash([first.0[0] ^ 1; 32]);
                prop_assert!(tlog_tiles::check_record(&bad, n, root, leaf, leaf_hash).is_err());
            }

            let old_size = 1 + old % n;
            let (old_frontier, _) = build(old_size);
            let consistency = tlog_tiles::prove_tree(n, old_size, &reader).expect("consistency proof");
            prop_assert!(tlog_tiles::check_tree(&consistency, n, root, old_size, old_frontier.root()).is_ok());
            if old_size < n {
                let forged = Hash([7; 32]);
                prop_assert!(tlog_tiles::check_tree(&consistency, n, root, old_size, forged).is_err());
            }
        }

        #[test]
        fn frontier_rebuilds_from_its_stored_hashes(n in 0u64..2_000) {
            let (frontier, reader) = build(n);
            let indexes: Vec<u64> = Frontier::addresses(n).into_iter().map(stored_hash_index).collect();
            let hashes = reader.read_hashes(&indexes).expect("frontier hashes are stored");
            prop_assert_eq!(Frontier::from_hashes(n, &hashes).expect("rebuild"), frontier);
        }
    }
}

/// The RFC 6962 test vectors used across Certificate Transparency implementations: eight leaves
/// and the root of every prefix of them.
#[cfg(test)]
mod rfc6962_vectors {
    use super::*;
    use tlog_tiles::record_hash;

    const LEAVES: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn roots_of_every_prefix() {
        let mut frontier = Frontier::empty();
        for (leaf, root) in LEAVES.iter().zip(ROOTS) {
            frontier.append(record_hash(leaf));
            assert_eq!(
                hex::encode(frontier.root().0),
                root,
                "tree of {} leaves",
                frontier.size()
            );
        }
    }
}
