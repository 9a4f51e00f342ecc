//! Just enough of WebM (Matroska/EBML) to tell how long a recording plays and whether its
//! frames have a hole: the tests' independent check that what the server holds is continuous.

/// The last frame's time and the largest gap between consecutive frames of any one track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub duration_ms: u64,
    pub max_gap_ms: u64,
    pub frames: usize,
}

const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const INFO: u32 = 0x1549_A966;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const SIMPLE_BLOCK: u32 = 0xA3;
const CLUSTER_TIMECODE: u32 = 0xE7;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;

/// Walks the file, descending into the masters MediaRecorder writes with unknown sizes.
pub fn timing(data: &[u8]) -> Option<Timing> {
    let mut position = 0;
    let mut cluster_time: i64 = 0;
    let mut scale_ns: i64 = 1_000_000;
    let mut per_track: std::collections::BTreeMap<u64, Vec<i64>> = Default::default();
    while position < data.len() {
        let (id, id_length) = element_id(&data[position..])?;
        let (size, size_length) = element_size(&data[position + id_length..])?;
        let body = position + id_length + size_length;
        if matches!(id, SEGMENT | CLUSTER | INFO | BLOCK_GROUP) {
            position = body;
            continue;
        }
        let size = usize::try_from(size?).ok()?;
        let end = body.checked_add(size)?;
        if end > data.len() {
            break; // a file cut mid-element: what came before still counts
        }
        let value = &data[body..end];
        match id {
            CLUSTER_TIMECODE => cluster_time = i64::try_from(unsigned(value)).ok()?,
            TIMECODE_SCALE => scale_ns = i64::try_from(unsigned(value)).ok()?,
            SIMPLE_BLOCK | BLOCK => {
                let (track, track_length) = element_size(value)?;
                let relative = i16::from_be_bytes([*value.get(track_length)?, *value.get(track_length + 1)?]);
                per_track
                    .entry(track?)
                    .or_default()
                    .push(cluster_time + i64::from(relative));
            }
            _ => {}
        }
        position = end;
    }
    let to_ms = |ticks: i64| u64::try_from(ticks * scale_ns / 1_000_000).unwrap_or(0);
    let mut timing = Timing {
        duration_ms: 0,
        max_gap_ms: 0,
        frames: 0,
    };
    for times in per_track.values_mut() {
        times.sort_unstable();
        timing.frames += times.len();
        timing.duration_ms = timing.duration_ms.max(to_ms(*times.last()?));
        for pair in times.windows(2) {
            timing.max_gap_ms = timing.max_gap_ms.max(to_ms(pair[1] - pair[0]));
        }
    }
    Some(timing)
}

/// An EBML element id: its marker bits stay in the value, as the spec writes ids.
fn element_id(data: &[u8]) -> Option<(u32, usize)> {
    let length = data.first()?.leading_zeros() as usize + 1;
    if length > 4 || data.len() < length {
        return None;
    }
    Some((
        data[..length].iter().fold(0u32, |id, b| (id << 8) | u32::from(*b)),
        length,
    ))
}

/// An EBML size (or a track number): `None` inside for "unknown size" (all value bits set).
fn element_size(data: &[u8]) -> Option<(Option<u64>, usize)> {
    let length = data.first()?.leading_zeros() as usize + 1;
    if length > 8 || data.len() < length {
        return None;
    }
    let mask = if length == 8 { 0 } else { 0xFFu8 >> length };
    let mut value = u64::from(data[0] & mask);
    for byte in &data[1..length] {
        value = (value << 8) | u64::from(*byte);
    }
    let unknown = value == (1u64 << (7 * length)) - 1;
    Some(((!unknown).then_some(value), length))
}

fn unsigned(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}
