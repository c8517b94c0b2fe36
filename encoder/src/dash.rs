//! A DASH manifest (ISO/IEC 23009-1, static) over the HLS renditions' own fMP4 segments, so both
//! protocols stream the same files.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::playlist;
use crate::{Encoded, iso_duration};

/// The manifest's file name in the output directory.
pub const MANIFEST: &str = "manifest.mpd";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes `manifest.mpd` into `dir` for `encoded`'s renditions, reading their media playlists.
pub fn write(dir: &Path, encoded: &Encoded, duration: Duration) -> std::io::Result<()> {
    let mut mpd = String::new();
    let _ = writeln!(mpd, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        mpd,
        r#"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-main:2011" type="static" mediaPresentationDuration="{}" minBufferTime="PT4S">"#,
        iso_duration(duration)
    );
    let _ = writeln!(mpd, r#"  <Period id="0" start="PT0S">"#);
    let _ = writeln!(
        mpd,
        r#"    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">"#
    );
    for (i, rendition) in encoded.renditions.iter().enumerate() {
        let folder = rendition
            .playlist
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        let text = std::fs::read_to_string(dir.join(&rendition.playlist))?;
        let media = playlist::media(&text);
        let _ = writeln!(
            mpd,
            r#"      <Representation id="v{i}" bandwidth="{}" width="{}" height="{}" codecs="{}">"#,
            rendition.bandwidth,
            rendition.width,
            rendition.height,
            escape(&rendition.codecs)
        );
        let _ = writeln!(mpd, r#"        <SegmentList timescale="1000">"#);
        if let Some(init) = &media.init {
            let _ = writeln!(
                mpd,
                r#"          <Initialization sourceURL="{}"/>"#,
                escape(&format!("{prefix}{init}"))
            );
        }
        let _ = writeln!(mpd, "          <SegmentTimeline>");
        let mut start = 0u64;
        for (_, seconds) in &media.segments {
            let length = (seconds * 1000.0).round() as u64;
            let _ = writeln!(mpd, r#"            <S t="{start}" d="{length}"/>"#);
            start += length;
        }
        let _ = writeln!(mpd, "          </SegmentTimeline>");
        for (uri, _) in &media.segments {
            let _ = writeln!(
                mpd,
                r#"          <SegmentURL media="{}"/>"#,
                escape(&format!("{prefix}{uri}"))
            );
        }
        let _ = writeln!(mpd, "        </SegmentList>");
        let _ = writeln!(mpd, "      </Representation>");
    }
    let _ = writeln!(mpd, "    </AdaptationSet>");
    let _ = writeln!(mpd, "  </Period>");
    let _ = writeln!(mpd, "</MPD>");
    std::fs::write(dir.join(MANIFEST), mpd)
}
