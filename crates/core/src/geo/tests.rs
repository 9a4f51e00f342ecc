use super::*;
use proptest::prelude::*;

const PILSEN: (f64, f64) = (41.85712, -87.6563);

fn precision() -> Precision {
    Precision::default()
}

#[test]
fn a_point_is_kept_as_its_cell_only() {
    let cell = precision().cell_of(PILSEN.0, PILSEN.1).expect("cell");
    assert_eq!(cell.resolution(), DEFAULT_RESOLUTION);
    let text = cell.to_string();
    assert_eq!(text.len(), 15, "{text}");
    assert_eq!(text.parse::<Cell>().expect("parses back"), cell);
    assert_eq!(Cell::from_i64(cell.to_i64()).expect("from i64"), cell);
    // The centre is near the point, but not the point: the point is not recoverable.
    let (lat, lon) = cell.centre();
    assert!((lat - PILSEN.0).abs() < 0.01 && (lon - PILSEN.1).abs() < 0.01);
}

#[test]
fn a_disk_holds_the_cell_and_its_rings_and_each_corner_set_draws_a_hexagon() {
    let centre = precision().cell_of(PILSEN.0, PILSEN.1).expect("cell");
    assert_eq!(centre.disk(0), vec![centre]);
    let disk = centre.disk(2);
    assert_eq!(disk.len(), 19, "1 + 6 + 12");
    assert!(disk.contains(&centre));
    assert!(disk.iter().all(|c| c.grid_distance(centre).is_some_and(|d| d <= 2)));
    assert!(disk.iter().all(|c| c.resolution() == centre.resolution()));
    let corners = centre.boundary();
    assert_eq!(corners.len(), 6);
    // Every corner is near the centre: a few hundred metres at the default precision.
    let (lat, lon) = centre.centre();
    assert!(
        corners
            .iter()
            .all(|(a, o)| (a - lat).abs() < 0.01 && (o - lon).abs() < 0.01)
    );
}

#[test]
fn bad_places_are_refused_with_a_reason() {
    assert_eq!(precision().cell_of(91.0, 0.0), Err(GeoError::Coordinates));
    assert_eq!(precision().cell_of(f64::NAN, 0.0), Err(GeoError::Coordinates));
    assert!(matches!("zzz".parse::<Cell>(), Err(GeoError::NotACell(_))));
    assert!(Cell::from_i64(-1).is_err());
    assert_eq!(Precision::new(16), Err(GeoError::Resolution(16)));
    let circle = |radius_m| Area::Circle {
        latitude: PILSEN.0,
        longitude: PILSEN.1,
        radius_m,
    };
    assert!(matches!(
        precision().cover(&circle(0), 2_000),
        Err(GeoError::Radius { .. })
    ));
    assert!(matches!(
        precision().cover(&circle(60_000), 2_000),
        Err(GeoError::TooLarge { max: 2_000, .. })
    ));
    assert_eq!(precision().cover(&Area::Cells(vec![]), 10), Err(GeoError::NoCells));
}

#[test]
fn a_circle_covers_every_cell_it_touches() {
    let centre = precision().cell_of(PILSEN.0, PILSEN.1).expect("cell");
    let area = Area::Circle {
        latitude: PILSEN.0,
        longitude: PILSEN.1,
        radius_m: 1_000,
    };
    let cells = precision().cover(&area, 2_000).expect("cover");
    assert!(cells.contains(&centre));
    // About π(1 km + 0.46 km)² / 0.74 km² ≈ 9: a first ring and part of a second.
    assert!((7..=30).contains(&cells.len()), "{}", cells.len());
    // A point 900 m north is inside the circle, so its cell is covered.
    let north = precision().cell_of(PILSEN.0 + 0.0081, PILSEN.1).expect("cell");
    assert!(cells.contains(&north));
    // A point 5 km away is not.
    let far = precision().cell_of(PILSEN.0 + 0.045, PILSEN.1).expect("cell");
    assert!(!cells.contains(&far));
}

#[test]
fn cells_are_brought_to_the_networks_precision() {
    let fine = Precision::new(10)
        .expect("res")
        .cell_of(PILSEN.0, PILSEN.1)
        .expect("cell");
    let coarse = Precision::new(7)
        .expect("res")
        .cell_of(PILSEN.0, PILSEN.1)
        .expect("cell");
    let here = precision().cell_of(PILSEN.0, PILSEN.1).expect("cell");
    assert_eq!(precision().cover(&Area::Cells(vec![fine]), 10), Ok(vec![here]));
    let children = precision().cover(&Area::Cells(vec![coarse]), 10).expect("children");
    assert_eq!(children.len(), 7);
    assert!(children.contains(&here));
    assert!(matches!(
        precision().cover(&Area::Cells(vec![coarse]), 6),
        Err(GeoError::TooLarge { cells: 7, max: 6 })
    ));
    assert_eq!(precision().place(fine), Ok(here));
    assert!(precision().place(coarse).is_err());
}

proptest! {
    /// Wherever the point, a circle around it covers its cell, within the cap, without repeats.
    #[test]
    fn a_circle_always_covers_its_centre(lat in -80.0f64..80.0, lon in -179.0f64..179.0, radius_m in 1u32..5_000) {
        let area = Area::Circle { latitude: lat, longitude: lon, radius_m };
        let cells = precision().cover(&area, 2_000).expect("cover");
        let centre = precision().cell_of(lat, lon).expect("cell");
        prop_assert!(cells.contains(&centre));
        prop_assert!(cells.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(cells.iter().all(|c| c.resolution() == DEFAULT_RESOLUTION));
    }
}
