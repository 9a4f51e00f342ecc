//! The dynamic program behind [`Pattern::score`](super::Pattern::score): for each edit state,
//! the alignment of query and plate with the most weight.

use super::{Edit, Elem};
use crate::plate::normalize::confusion_class;

// Weights of one plate character in quarters, so the dynamic program compares integers.
const EXACT: u32 = 4;
const CONFUSABLE: u32 = 3;
const UNKNOWN: u32 = 2;
pub(super) const FULL: u32 = EXACT;

/// Table slot per edit state; a path uses at most one edit, so it stays in its slot.
pub(super) const EDIT_SLOTS: [Option<Edit>; 4] = [None, Some(Edit::Wrong), Some(Edit::Missing), Some(Edit::Extra)];

/// The best partial match found for one (pattern prefix, plate prefix, edit) cell.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Acc {
    pub exact: u8,
    pub confusable: u8,
    pub unknown: u8,
    /// Plate characters consumed by `*` (or around a query without wildcards).
    pub absorbed: u8,
}

impl Acc {
    pub fn weight(&self) -> u32 {
        EXACT * u32::from(self.exact) + CONFUSABLE * u32::from(self.confusable) + UNKNOWN * u32::from(self.unknown)
    }

    /// Higher is better: more weight, then more exact characters, then fewer unmatched ones.
    fn key(&self) -> (u32, u8, std::cmp::Reverse<u8>) {
        (self.weight(), self.exact, std::cmp::Reverse(self.absorbed))
    }
}

/// `cells[(i * (n + 1) + j) * 4 + slot]`: the best way to match `elems[..i]` to `plate[..j]`.
/// At most 22 × 11 × 4 cells, each visited once: linear in the plate for a fixed query.
pub(super) struct Table {
    cells: Vec<Option<Acc>>,
    n: usize,
}

impl Table {
    pub(super) fn get(&self, i: usize, j: usize, slot: usize) -> Option<Acc> {
        self.cells[(i * (self.n + 1) + j) * EDIT_SLOTS.len() + slot]
    }

    fn offer(&mut self, i: usize, j: usize, slot: usize, acc: Acc) {
        let cell = &mut self.cells[(i * (self.n + 1) + j) * EDIT_SLOTS.len() + slot];
        if cell.is_none_or(|old| acc.key() > old.key()) {
            *cell = Some(acc);
        }
    }

    pub(super) fn fill(elems: &[Elem], plate: &[char], edits: bool) -> Table {
        let (m, n) = (elems.len(), plate.len());
        let mut t = Table {
            cells: vec![None; (m + 1) * (n + 1) * EDIT_SLOTS.len()],
            n,
        };
        t.offer(0, 0, 0, Acc::default());
        // Every move goes to a later row or column, so row-major order sees finished cells.
        for i in 0..=m {
            for j in 0..=n {
                for slot in 0..EDIT_SLOTS.len() {
                    let Some(acc) = t.get(i, j, slot) else { continue };
                    t.step(elems, plate, (i, j, slot), acc, edits);
                }
            }
        }
        t
    }

    fn step(&mut self, elems: &[Elem], plate: &[char], (i, j, slot): (usize, usize, usize), acc: Acc, edits: bool) {
        let elem = elems.get(i).copied();
        let ch = plate.get(j).copied();
        let may_edit = edits && slot == 0;
        match (elem, ch) {
            (Some(Elem::Any), _) => {
                self.offer(i + 1, j, slot, acc);
                if ch.is_some() {
                    self.offer(
                        i,
                        j + 1,
                        slot,
                        Acc {
                            absorbed: acc.absorbed + 1,
                            ..acc
                        },
                    );
                }
            }
            (Some(Elem::One), Some(_)) => self.offer(
                i + 1,
                j + 1,
                slot,
                Acc {
                    unknown: acc.unknown + 1,
                    ..acc
                },
            ),
            (Some(Elem::Lit(q)), Some(c)) if q == c => {
                self.offer(
                    i + 1,
                    j + 1,
                    slot,
                    Acc {
                        exact: acc.exact + 1,
                        ..acc
                    },
                );
            }
            (Some(Elem::Lit(q)), Some(c)) if confusion_class(q) == confusion_class(c) => {
                self.offer(
                    i + 1,
                    j + 1,
                    slot,
                    Acc {
                        confusable: acc.confusable + 1,
                        ..acc
                    },
                );
            }
            (Some(Elem::Lit(_)), Some(_)) if may_edit => self.offer(i + 1, j + 1, 1, acc),
            _ => {}
        }
        if may_edit {
            if ch.is_some() {
                self.offer(i, j + 1, 2, acc);
            }
            if matches!(elem, Some(Elem::Lit(_))) {
                self.offer(i + 1, j, 3, acc);
            }
        }
    }
}
