//! Running `codeflix` processes: the test kit's sites, given this package's binary as
//! `Site::new(env!("CARGO_BIN_EXE_codeflix"))`.

pub(crate) use codeflix_testkit::site::{
    Process, Site, free_port, kill, read_lines, wait_for_port,
};
