//! Sample generator (being written).
