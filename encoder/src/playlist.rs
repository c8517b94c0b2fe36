//! The parts of HLS playlists the encoder reads back (RFC 8216): a master playlist's variants and
//! a media playlist's initialization section and segments.

/// A variant of a master playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub bandwidth: u64,
    pub width: u32,
    pub height: u32,
    pub codecs: String,
    pub uri: String,
}

/// A media playlist's segments.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// `EXT-X-MAP` URI.
    pub init: Option<String>,
    /// (URI, duration in seconds), in order.
    pub segments: Vec<(String, f64)>,
    pub target_duration: Option<u32>,
    pub ended: bool,
}

/// The value of `name` in an attribute list (`A=1,B="x,y"`).
pub fn attribute(list: &str, name: &str) -> Option<String> {
    let mut rest = list;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], quoted[end + 1..].trim_start_matches(','))
        } else {
            match after.split_once(',') {
                Some((value, next)) => (value, next),
                None => (after, ""),
            }
        };
        if key.trim() == name {
            return Some(value.to_owned());
        }
        rest = next;
    }
    None
}

/// The variants of a master playlist, in order.
pub fn master_variants(text: &str) -> Vec<Variant> {
    let mut variants = Vec::new();
    let mut pending: Option<&str> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(attributes) = line.strip_prefix("#EXT-X-STREAM-INF:") {
            pending = Some(attributes);
        } else if !line.starts_with('#')
            && let Some(attributes) = pending.take()
        {
            let (width, height) = attribute(attributes, "RESOLUTION")
                .and_then(|r| {
                    let (w, h) = r.split_once('x')?;
                    Some((w.parse().ok()?, h.parse().ok()?))
                })
                .unwrap_or((0, 0));
            variants.push(Variant {
                bandwidth: attribute(attributes, "BANDWIDTH")
                    .and_then(|b| b.parse().ok())
                    .unwrap_or(0),
                width,
                height,
                codecs: attribute(attributes, "CODECS").unwrap_or_default(),
                uri: line.to_owned(),
            });
        }
    }
    variants
}

/// A media playlist's segments.
pub fn media(text: &str) -> Media {
    let mut media = Media {
        init: None,
        segments: Vec::new(),
        target_duration: None,
        ended: false,
    };
    let mut duration = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(map) = line.strip_prefix("#EXT-X-MAP:") {
            media.init = attribute(map, "URI");
        } else if let Some(target) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
            media.target_duration = target.parse().ok();
        } else if let Some(info) = line.strip_prefix("#EXTINF:") {
            duration = info.split(',').next().and_then(|d| d.parse::<f64>().ok());
        } else if line == "#EXT-X-ENDLIST" {
            media.ended = true;
        } else if !line.starts_with('#')
            && let Some(d) = duration.take()
        {
            media.segments.push((line.to_owned(), d));
        }
    }
    media
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_and_media_playlists_parse() {
        let master = "#EXTM3U\n#EXT-X-VERSION:7\n\
            #EXT-X-STREAM-INF:BANDWIDTH=3220800,RESOLUTION=1280x720,CODECS=\"avc1.64001f,mp4a.40.2\"\n\
            v0/index.m3u8\n\n\
            #EXT-X-STREAM-INF:BANDWIDTH=1020800,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"\n\
            v2/index.m3u8\n";
        let variants = master_variants(master);
        assert_eq!(variants.len(), 2);
        assert_eq!(
            variants[0],
            Variant {
                bandwidth: 3_220_800,
                width: 1280,
                height: 720,
                codecs: "avc1.64001f,mp4a.40.2".into(),
                uri: "v0/index.m3u8".into(),
            }
        );
        let media = media(
            "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init_0.mp4\"\n\
             #EXTINF:4.000000,\nseg_00000.m4s\n#EXTINF:2.000000,\nseg_00001.m4s\n#EXT-X-ENDLIST\n",
        );
        assert_eq!(media.init.as_deref(), Some("init_0.mp4"));
        assert_eq!(
            media.segments,
            vec![("seg_00000.m4s".into(), 4.0), ("seg_00001.m4s".into(), 2.0)]
        );
        assert_eq!(media.target_duration, Some(4));
        assert!(media.ended);
    }
}
