//! C2SP tlog-tiles paths: `<L>/<N>[.p/<W>]` for hash tiles and `entries/<N>[.p/<W>]` for entry
//! bundles, below the log's `tile/` prefix. Tiles are 256 entries wide (height 8).
//!
//! `tlog_tiles::Tile` parses Go sumdb's `tile/<H>/<L>/...` form, a different shape, hence this
//! small parser. It accepts only the canonical spelling of each path, so every tile has one URL
//! (and caches cannot be filled with aliases).

/// Entries (or hashes) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels spanned by one tile.
pub const TILE_HEIGHT: u8 = 8;

/// What a tile path asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileRef {
    /// Hashes at tree level `8 * level`, indexes `256 * index ..` (`width` of them).
    Hashes { level: u8, index: u64, width: u64 },
    /// Leaf entries `256 * index ..` (`width` of them).
    Entries { index: u64, width: u64 },
}

impl TileRef {
    /// Parses the part of a tile URL after `tile/`.
    pub fn parse(path: &str) -> Option<Self> {
        let (head, rest) = path.split_once('/')?;
        let (index_part, width) = match rest.rsplit_once(".p/") {
            Some((index_part, w)) => (index_part, parse_partial_width(w)?),
            None => (rest, TILE_WIDTH),
        };
        let index = parse_index(index_part)?;
        let tile = if head == "entries" {
            TileRef::Entries { index, width }
        } else {
            let level: u8 = head.parse().ok()?;
            if level > 7 || head != level.to_string() {
                // 8 levels of 8 cover every 64-bit tree.
                return None;
            }
            TileRef::Hashes { level, index, width }
        };
        (tile.path() == path).then_some(tile)
    }

    /// The canonical path of this tile, after `tile/`.
    pub fn path(&self) -> String {
        let (head, index, width) = match *self {
            TileRef::Hashes { level, index, width } => (level.to_string(), index, width),
            TileRef::Entries { index, width } => ("entries".to_owned(), index, width),
        };
        let partial = if width == TILE_WIDTH {
            String::new()
        } else {
            format!(".p/{width}")
        };
        format!("{head}/{}{partial}", encode_index(index))
    }
}

fn parse_partial_width(text: &str) -> Option<u64> {
    let width: u64 = text.parse().ok()?;
    (1..TILE_WIDTH).contains(&width).then_some(width)
}

/// `x001/x234/067` → 1234067. Canonical form is checked by the caller re-encoding.
fn parse_index(text: &str) -> Option<u64> {
    let mut index: u64 = 0;
    let parts: Vec<&str> = text.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            part.strip_prefix('x')?
        } else {
            part
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        index = index.checked_mul(1000)?.checked_add(digits.parse::<u64>().ok()?)?;
    }
    Some(index)
}

fn encode_index(mut index: u64) -> String {
    let mut path = format!("{:03}", index % 1000);
    while index >= 1000 {
        index /= 1000;
        path = format!("x{:03}/{path}", index % 1000);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_examples() {
        assert_eq!(
            TileRef::parse("0/x001/x234/067"),
            Some(TileRef::Hashes {
                level: 0,
                index: 1_234_067,
                width: 256
            })
        );
        assert_eq!(
            TileRef::parse("entries/067.p/8"),
            Some(TileRef::Entries { index: 67, width: 8 })
        );
        assert_eq!(
            TileRef::parse("1/000"),
            Some(TileRef::Hashes {
                level: 1,
                index: 0,
                width: 256
            })
        );
    }

    #[test]
    fn refuses_non_canonical_and_malformed_paths() {
        for bad in [
            "0/67",
            "0/x000/067",
            "0/001/234",
            "00/000",
            "8/000",
            "0/000.p/256",
            "0/000.p/0",
            "0/000.p/08",
            "entries/x1/000",
            "0/",
            "",
            "entries",
            "-1/000",
            "0/abc",
            "0/x999/x999/x999/x999/x999/x999/x999/999",
        ] {
            assert_eq!(TileRef::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for index in [0, 1, 999, 1000, 1_234_067, u64::MAX / 256] {
            for width in [1, 255, 256] {
                let tile = TileRef::Entries { index, width };
                assert_eq!(TileRef::parse(&tile.path()), Some(tile));
            }
        }
    }
}
