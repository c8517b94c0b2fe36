//! The renditions a source gets: the standard rungs at or below its height.

use serde::Serialize;

/// One rendition of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rung {
    pub width: u32,
    pub height: u32,
    /// Video bitrate, bits per second.
    pub video_bitrate: u32,
}

/// Heights and video bitrates of the full ladder, best first.
pub const LADDER: [(u32, u32); 4] = [
    (1080, 5_000_000),
    (720, 2_800_000),
    (480, 1_400_000),
    (360, 800_000),
];

/// Audio bitrate of every rendition (AAC stereo), bits per second.
pub const AUDIO_BITRATE: u32 = 128_000;

/// An even width for `height` keeping the source's aspect ratio (H.264 with 4:2:0 needs even
/// dimensions).
fn width_for(height: u32, source_width: u32, source_height: u32) -> u32 {
    let exact = f64::from(source_width) * f64::from(height) / f64::from(source_height);
    ((exact / 2.0).round() as u32 * 2).max(2)
}

/// The rungs for a source of `width`x`height`: every standard rung not above the source; a source
/// below the smallest rung gets one rendition at its own (even) size.
pub fn ladder(width: u32, height: u32) -> Vec<Rung> {
    let rungs: Vec<Rung> = LADDER
        .iter()
        .filter(|&&(h, _)| h <= height)
        .map(|&(h, bitrate)| Rung {
            width: width_for(h, width, height),
            height: h,
            video_bitrate: bitrate,
        })
        .collect();
    if rungs.is_empty() {
        let (_, bitrate) = LADDER[LADDER.len() - 1];
        vec![Rung {
            width: width / 2 * 2,
            height: height / 2 * 2,
            video_bitrate: bitrate,
        }]
    } else {
        rungs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_is_capped_at_the_source() {
        let heights = |w, h| ladder(w, h).iter().map(|r| r.height).collect::<Vec<_>>();
        assert_eq!(heights(1920, 1080), vec![1080, 720, 480, 360]);
        assert_eq!(heights(1280, 720), vec![720, 480, 360]);
        assert_eq!(heights(1000, 500), vec![480, 360]);
        assert_eq!(heights(320, 240), vec![240]);
    }

    #[test]
    fn widths_keep_the_aspect_ratio_and_are_even() {
        let rungs = ladder(1280, 720);
        assert_eq!(
            rungs.iter().map(|r| r.width).collect::<Vec<_>>(),
            vec![1280, 854, 640]
        );
        assert!(
            ladder(1001, 563)
                .iter()
                .all(|r| r.width % 2 == 0 && r.height % 2 == 0)
        );
        assert_eq!(ladder(321, 241)[0].width, 320);
    }
}
