//! Places as H3 cells (issue 6): where a report was made, where an incident is, which areas a
//! subscriber watches. Pure code over `h3o`, no I/O.
//!
//! A rapid-response network stores no coordinates: a report's point becomes the one cell that
//! contains it at the network's [`Precision`], and only the cell is kept. Watch areas are sets of
//! cells at the same precision, so "who watches this incident" is one indexed lookup of the
//! incident's cell, never a distance computed per subscriber.

use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The precision a network uses unless it sets another: H3 resolution 8, cells of about
/// 0.74 km² (edges of about 460 m): a few blocks, enough to know whether to avoid a street, too
/// coarse to point at a home.
pub const DEFAULT_RESOLUTION: u8 = 8;

/// The most cells one watch area may cover unless the network sets another: at resolution 8,
/// about 1,500 km², a circle of about 21 km radius.
pub const DEFAULT_MAX_AREA_CELLS: usize = 2_000;

/// One H3 cell, as its 64-bit index (which always fits in an `i64`: the top bit of an H3 index
/// is zero). Written as H3's usual 15 hexadecimal digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cell(CellIndex);

/// Why a place could not be turned into cells. Each message says what to send instead.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GeoError {
    #[error("latitude must be between -90 and 90 and longitude between -180 and 180, in degrees")]
    Coordinates,
    #[error("{0:?} is not an H3 cell: send cells as 15 hexadecimal digits, like 882a100d25fffff")]
    NotACell(String),
    #[error("the precision must be an H3 resolution from 0 to 15, not {0}")]
    Resolution(u8),
    #[error("the radius must be between 1 and {max} metres")]
    Radius { max: u32 },
    #[error("an area needs at least one cell")]
    NoCells,
    #[error(
        "the area covers {cells} cells, but an area may cover at most {max}: choose a smaller radius or fewer cells"
    )]
    TooLarge { cells: usize, max: usize },
}

impl Cell {
    /// The cell's 64-bit index, as stores keep it.
    pub fn to_i64(self) -> i64 {
        // An H3 index has its top bit clear (reserved, always 0), so the cast is lossless.
        u64::from(self.0) as i64
    }

    /// A cell from what a store kept.
    pub fn from_i64(raw: i64) -> Result<Self, GeoError> {
        u64::try_from(raw)
            .ok()
            .and_then(|raw| CellIndex::try_from(raw).ok())
            .map(Cell)
            .ok_or_else(|| GeoError::NotACell(format!("{raw:x}")))
    }

    pub fn resolution(self) -> u8 {
        u8::from(self.0.resolution())
    }

    pub fn index(self) -> CellIndex {
        self.0
    }

    /// The cell's centre, in degrees (latitude, longitude): what a map draws.
    pub fn centre(self) -> (f64, f64) {
        let centre = LatLng::from(self.0);
        (centre.lat(), centre.lng())
    }

    /// The cell's corners in degrees (latitude, longitude), to draw it.
    pub fn boundary(self) -> Vec<(f64, f64)> {
        self.0.boundary().iter().map(|v| (v.lat(), v.lng())).collect()
    }

    /// This cell and every cell within `rings` steps of it (a hexagonal disk of
    /// 3·rings·(rings+1)+1 cells, fewer near a pentagon): what a map around a point draws.
    pub fn disk(self, rings: u32) -> Vec<Cell> {
        self.0.grid_disk_safe(rings).map(Cell).collect()
    }

    /// Steps between two cells of one precision, or `None` when H3 cannot say (far apart, or
    /// across a pentagon): such a cell counts as far.
    pub fn grid_distance(self, other: Cell) -> Option<u32> {
        self.0.grid_distance(other.0).ok().and_then(|d| u32::try_from(d).ok())
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

impl FromStr for Cell {
    type Err = GeoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CellIndex::from_str(s.trim())
            .map(Cell)
            .map_err(|_| GeoError::NotACell(s.chars().take(40).collect()))
    }
}

impl TryFrom<String> for Cell {
    type Error = GeoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Cell> for String {
    fn from(cell: Cell) -> String {
        cell.to_string()
    }
}

/// The resolution a network keeps places at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Precision(Resolution);

impl Precision {
    pub fn new(resolution: u8) -> Result<Self, GeoError> {
        Resolution::try_from(resolution)
            .map(Precision)
            .map_err(|_| GeoError::Resolution(resolution))
    }

    pub fn resolution(self) -> u8 {
        u8::from(self.0)
    }

    /// The one cell containing a point: all a network keeps of where something was seen.
    pub fn cell_of(self, latitude: f64, longitude: f64) -> Result<Cell, GeoError> {
        Ok(Cell(point(latitude, longitude)?.to_cell(self.0)))
    }

    /// A cell at this precision: the cell itself, or the one containing a finer cell. A coarser
    /// cell is refused (it is an area, not a place: see [`Precision::cover`]).
    pub fn place(self, cell: Cell) -> Result<Cell, GeoError> {
        cell.0
            .parent(self.0)
            .map(Cell)
            .ok_or_else(|| GeoError::NotACell(format!("{cell} (coarser than the network's precision)")))
    }

    /// The cells at this precision covering `area`, sorted, each once, at most `max_cells`.
    pub fn cover(self, area: &Area, max_cells: usize) -> Result<Vec<Cell>, GeoError> {
        let mut cells = match area {
            Area::Circle {
                latitude,
                longitude,
                radius_m,
            } => self.circle(point(*latitude, *longitude)?, *radius_m, max_cells)?,
            Area::Cells(given) => self.cells(given, max_cells)?,
        };
        cells.sort_unstable();
        cells.dedup();
        if cells.len() > max_cells {
            return Err(GeoError::TooLarge {
                cells: cells.len(),
                max: max_cells,
            });
        }
        Ok(cells)
    }

    /// Every cell with any part within `radius_m` of the centre: a cell whose centre is within
    /// the radius plus the cell's own circumradius (its edge length, for a hexagon).
    fn circle(self, centre: LatLng, radius_m: u32, max_cells: usize) -> Result<Vec<Cell>, GeoError> {
        if radius_m == 0 || radius_m > MAX_RADIUS_M {
            return Err(GeoError::Radius { max: MAX_RADIUS_M });
        }
        let edge = self.0.edge_length_m();
        // Neighbouring centres are √3 edges apart; one more ring catches cells cut by the edge.
        let k = (f64::from(radius_m) / (edge * 3f64.sqrt())).ceil() as u32 + 1;
        // A disk of k rings has 3k(k+1)+1 cells: refuse before building a huge one.
        let disk = 3 * (k as usize) * (k as usize + 1) + 1;
        let estimate = (std::f64::consts::PI * (f64::from(radius_m) + edge).powi(2) / self.0.area_m2()) as usize;
        if estimate > max_cells.saturating_mul(2) || disk > 50 * max_cells.max(1_000) {
            return Err(GeoError::TooLarge {
                cells: estimate,
                max: max_cells,
            });
        }
        let centre_cell = centre.to_cell(self.0);
        let reach = f64::from(radius_m) + edge;
        Ok(centre_cell
            .grid_disk_safe(k)
            .filter(|cell| LatLng::from(*cell).distance_m(centre) <= reach)
            .map(Cell)
            .collect())
    }

    /// Given cells brought to this precision: finer ones to the cell containing them, coarser
    /// ones to all their children (counted before they are listed).
    fn cells(self, given: &[Cell], max_cells: usize) -> Result<Vec<Cell>, GeoError> {
        if given.is_empty() {
            return Err(GeoError::NoCells);
        }
        let mut out = Vec::with_capacity(given.len());
        for cell in given {
            if cell.0.resolution() >= self.0 {
                out.extend(cell.0.parent(self.0).map(Cell));
            } else {
                let count = usize::try_from(cell.0.children_count(self.0)).unwrap_or(usize::MAX);
                if out.len().saturating_add(count) > max_cells {
                    return Err(GeoError::TooLarge {
                        cells: out.len().saturating_add(count),
                        max: max_cells,
                    });
                }
                out.extend(cell.0.children(self.0).map(Cell));
            }
        }
        Ok(out)
    }
}

impl Default for Precision {
    fn default() -> Self {
        Precision(Resolution::Eight)
    }
}

/// The largest radius a watch area may have, in metres, whatever the cell cap.
pub const MAX_RADIUS_M: u32 = 100_000;

/// What a subscriber watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// A point and a radius: "around home", "around the school".
    Circle {
        latitude: f64,
        longitude: f64,
        radius_m: u32,
    },
    /// Neighbourhood cells picked on a map.
    Cells(Vec<Cell>),
}

fn point(latitude: f64, longitude: f64) -> Result<LatLng, GeoError> {
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(GeoError::Coordinates);
    }
    LatLng::new(latitude, longitude).map_err(|_| GeoError::Coordinates)
}

#[cfg(test)]
mod tests;
