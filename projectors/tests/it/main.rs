mod conformance;
mod projection;
mod support;
