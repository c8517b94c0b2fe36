//! Records: as Kafka holds them (bytes, kept for dead letters and mirroring byte for byte) and as
//! Connect's stages see them (converted data).

use rdkafka::message::{Headers, Message};

use crate::data::Data;

/// A header: its name and its bytes (`None` for a null header value).
pub type Header = (String, Option<Vec<u8>>);

/// A message exactly as consumed: what a dead letter or a mirrored copy repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

impl Raw {
    /// An owned copy of a consumed message, headers byte for byte.
    pub fn from_message(message: &impl Message) -> Raw {
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default();
        Raw {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp().to_millis(),
            key: message.key().map(<[u8]>::to_vec),
            value: message.payload().map(<[u8]>::to_vec),
            headers,
        }
    }
}

/// A record as converters make it and transforms change it (`ConnectRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub timestamp: Option<i64>,
    pub key: Data,
    pub value: Data,
    pub headers: Vec<Header>,
}

impl Record {
    /// The last header called `name`, as Connect's `Headers.lastWithName`.
    pub fn last_header(&self, name: &str) -> Option<&Header> {
        self.headers.iter().rev().find(|(key, _)| key == name)
    }
}
