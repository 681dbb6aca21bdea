//! The Connect data model (org.apache.kafka.connect.data): schemas, values, structs, records.

pub mod record;
pub mod schema;
pub mod value;

pub use record::{ConnectRecord, Header, KafkaOrigin};
pub use schema::{schemas, Field, Schema, SchemaRef, Type};
pub use value::{DataError, Struct, Value};
