//! Reading the bundle's zip archive: its inventory, its small files whole, its media as a stream.
//!
//! Entries are read raw (without the zip layer's CRC-32 check): bundles store files uncompressed,
//! so the raw bytes are the file, and SHA-256 digests, not CRC-32, are what vouch for them.

use crate::report::{Check, Place, Report};
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use zip::{CompressionMethod, ZipArchive};

/// The largest non-media file read into memory. A manifest for hours of one-second chunks is a few
/// megabytes; anything far larger is not an Amparo bundle, and must not exhaust memory.
const SMALL_FILE_LIMIT: u64 = 256 << 20;

/// An opened bundle and its files by name.
pub(crate) struct Archive<R> {
    zip: ZipArchive<R>,
    /// File entries (directories aside) whose content can be read, by name.
    files: BTreeMap<String, usize>,
    /// Every file entry's name, readable or not, for the inventory check.
    names: Vec<String>,
}

impl<R: Read + Seek> Archive<R> {
    /// Opens the archive and checks its entries' form. `None`: not a zip archive at all.
    pub(crate) fn open(reader: R, report: &mut Report) -> Option<Self> {
        let zip = match ZipArchive::new(reader) {
            Ok(zip) => zip,
            Err(e) => {
                report.fail(
                    Check::Archive,
                    Place::Bundle,
                    format!("the file is not a readable zip archive ({e})"),
                );
                return None;
            }
        };
        let mut archive = Self {
            zip,
            files: BTreeMap::new(),
            names: Vec::new(),
        };
        for index in 0..archive.zip.len() {
            archive.inventory(index, report);
        }
        report.ran(Check::Archive, 1);
        Some(archive)
    }

    fn inventory(&mut self, index: usize, report: &mut Report) {
        let (name, is_dir, encrypted, compression) = match self.zip.by_index_data(index) {
            Ok(entry) => match entry.name() {
                Ok(name) => (
                    name.into_owned(),
                    entry.is_dir(),
                    entry.encrypted(),
                    entry.compression(),
                ),
                Err(_) => {
                    report.fail(
                        Check::Archive,
                        Place::Bundle,
                        format!("entry {index}'s name is not valid text"),
                    );
                    return;
                }
            },
            Err(e) => {
                report.fail(
                    Check::Archive,
                    Place::Bundle,
                    format!("entry {index} cannot be read ({e})"),
                );
                return;
            }
        };
        if is_dir {
            // Repacking tools add folder entries; they hold no bytes, so there is nothing to check.
            return;
        }
        let place = Place::File(name.clone());
        let readable = if encrypted {
            report.fail(
                Check::Archive,
                place,
                "the file is encrypted; bundles are never encrypted",
            );
            false
        } else if compression != CompressionMethod::Stored {
            report.fail(
                Check::Archive,
                place,
                format!(
                    "the file is compressed ({compression}); Amparo bundles store every file uncompressed, so \
                     the bundle was repacked: verify the bundle exactly as it was exported"
                ),
            );
            false
        } else {
            true
        };
        if self.names.contains(&name) {
            report.fail(
                Check::Archive,
                Place::File(name.clone()),
                "the archive holds two files of this name, so it is ambiguous which one is evidence",
            );
            self.files.remove(&name);
        } else if readable {
            self.files.insert(name.clone(), index);
        }
        self.names.push(name);
    }

    /// Every file entry's name, in archive order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Reads a small file whole. `None` if it is absent (the caller decides what that means) or, with
    /// a finding under `check`, unreadable or implausibly large.
    pub(crate) fn read_small(&mut self, name: &str, check: Check, report: &mut Report) -> Option<Vec<u8>> {
        let mut entry = self.open_entry(name, check, report)?;
        let mut bytes = Vec::new();
        let place = Place::File(name.to_owned());
        match (&mut entry).take(SMALL_FILE_LIMIT + 1).read_to_end(&mut bytes) {
            Ok(_) if bytes.len() as u64 > SMALL_FILE_LIMIT => {
                report.fail(
                    check,
                    place,
                    "the file is far larger than any Amparo bundle file; it was not read",
                );
                None
            }
            Ok(_) => Some(bytes),
            Err(e) => {
                report.fail(check, place, format!("the file cannot be read ({e})"));
                None
            }
        }
    }

    /// Opens a file for streaming. `None` if it is absent or (with a finding under `check`)
    /// unreadable. Entries refused by the archive check are absent here.
    pub(crate) fn open_entry(&mut self, name: &str, check: Check, report: &mut Report) -> Option<impl Read + '_> {
        let index = *self.files.get(name)?;
        match self.zip.by_index_raw(index) {
            Ok(entry) => Some(entry),
            Err(e) => {
                report.fail(
                    check,
                    Place::File(name.to_owned()),
                    format!("the file cannot be read ({e})"),
                );
                None
            }
        }
    }
}
