//! A video's value objects: each parses its input or says which rule it breaks.

use std::fmt;
use std::str::FromStr;

use crate::TextError;
use crate::macros::bounded_text;
use crate::range::{RangeError, in_range};

bounded_text!(
    /// A video's title: at most 255 characters.
    Title, field = "title", max = 255, multiline = false
);

bounded_text!(
    /// A video's description: at most 4000 characters, line breaks allowed.
    VideoDescription, field = "description", max = 4000, multiline = true
);

bounded_text!(
    /// Where a file is kept in object storage (a path or URL): at most 2048 characters.
    StorageLocation, field = "location", max = 2048, multiline = false
);

/// The year a video was launched: 1888 (the oldest surviving film) to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaunchYear(u16);

impl LaunchYear {
    pub const MIN: i64 = 1888;
    pub const MAX: i64 = 9999;

    pub fn parse(year: i64) -> Result<Self, RangeError> {
        in_range("launch_year", year, Self::MIN, Self::MAX).map(|y| LaunchYear(y as u16))
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

/// A video's running time in whole minutes: 1 to 6000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DurationMinutes(u32);

impl DurationMinutes {
    pub const MAX: i64 = 6000;

    pub fn parse(minutes: i64) -> Result<Self, RangeError> {
        in_range("duration", minutes, 1, Self::MAX).map(|m| DurationMinutes(m as u32))
    }

    pub const fn get(self) -> u32 {
        self.0
    }
}

/// The Brazilian advisory rating (ClassInd) Codeflix uses: ER (especially recommended), L (general
/// audiences), and minimum ages 10 to 18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    Er,
    L,
    Age10,
    Age12,
    Age14,
    Age16,
    Age18,
}

impl Rating {
    pub const ALL: [Rating; 7] = [
        Rating::Er,
        Rating::L,
        Rating::Age10,
        Rating::Age12,
        Rating::Age14,
        Rating::Age16,
        Rating::Age18,
    ];

    /// As people write it: `ER`, `L`, `10`, `12`, `14`, `16`, `18`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rating::Er => "ER",
            Rating::L => "L",
            Rating::Age10 => "10",
            Rating::Age12 => "12",
            Rating::Age14 => "14",
            Rating::Age16 => "16",
            Rating::Age18 => "18",
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rating {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rating::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(TextError::Format {
                field: "rating",
                rule: "must be one of ER, L, 10, 12, 14, 16, 18",
            })
    }
}

/// A SHA-256 digest as 64 lowercase hexadecimal characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Checksum(String);

impl Checksum {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let hex = input.trim().to_ascii_lowercase();
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Checksum(hex))
        } else {
            Err(TextError::Format {
                field: "checksum",
                rule: "must be a SHA-256 digest: 64 hexadecimal characters",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A media type such as `video/mp4`, lowercase, without parameters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentType(String);

impl ContentType {
    pub fn parse(input: &str) -> Result<Self, TextError> {
        const RULE: TextError = TextError::Format {
            field: "content_type",
            rule: "must be a media type such as video/mp4",
        };
        let essence = input.split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 127
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        match essence.split_once('/') {
            Some((kind, subtype)) if token(kind) && token(subtype) => Ok(ContentType(essence)),
            _ => Err(RULE),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The top-level type: `video` in `video/mp4`.
    pub fn top_level(&self) -> &str {
        self.0.split_once('/').map_or("", |(kind, _)| kind)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_at_most_255_characters() {
        assert!(Title::parse(&"t".repeat(255)).is_ok());
        assert_eq!(
            Title::parse(&"t".repeat(256)).unwrap_err().to_string(),
            "title is 256 characters, at most 255 allowed"
        );
        assert!(Title::parse("   ").is_err());
    }

    #[test]
    fn description_is_at_most_4000_characters() {
        assert!(VideoDescription::parse(&"d".repeat(4000)).is_ok());
        assert_eq!(
            VideoDescription::parse(&"d".repeat(4001))
                .unwrap_err()
                .to_string(),
            "description is 4001 characters, at most 4000 allowed"
        );
    }

    #[test]
    fn launch_year_and_duration_ranges() {
        assert_eq!(LaunchYear::parse(1888).map(LaunchYear::get), Ok(1888));
        assert_eq!(
            LaunchYear::parse(1887).unwrap_err().to_string(),
            "launch_year is 1887, it must be between 1888 and 9999"
        );
        assert!(LaunchYear::parse(10_000).is_err());
        assert_eq!(DurationMinutes::parse(90).map(DurationMinutes::get), Ok(90));
        assert!(DurationMinutes::parse(0).is_err());
        assert!(DurationMinutes::parse(6001).is_err());
    }

    #[test]
    fn rating_is_one_of_the_seven() {
        let parsed: Vec<Rating> = ["ER", "L", "10", "12", "14", "16", "18"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(parsed, Rating::ALL);
        for bad in ["PG-13", "er", "11", ""] {
            assert!(bad.parse::<Rating>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn checksum_is_sha256_hex() {
        let hex = "AB".repeat(32);
        assert_eq!(Checksum::parse(&hex).unwrap().as_str(), "ab".repeat(32));
        assert!(Checksum::parse(&"ab".repeat(31)).is_err());
        assert!(Checksum::parse(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn content_type_keeps_the_essence() {
        let ct = ContentType::parse("Video/MP4; codecs=avc1").unwrap();
        assert_eq!(ct.as_str(), "video/mp4");
        assert_eq!(ct.top_level(), "video");
        for bad in ["video", "/mp4", "video/", "vi deo/mp4"] {
            assert!(ContentType::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
