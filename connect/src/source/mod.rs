//! Source connectors: records into topics. The embedded runtime has MirrorMaker 2's topic
//! copier only.

pub mod mirror;
