//! Binary entry point (being written).
fn main() {}
