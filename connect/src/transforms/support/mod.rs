//! Shared machinery for the transforms: typed config reading, record/struct helpers, Java regex
//! and SimpleDateFormat semantics, and Java value formatting.

pub mod config;
pub mod date_format;
pub mod java_regex;
pub mod java_values;
pub mod record;

pub use record::Side;
