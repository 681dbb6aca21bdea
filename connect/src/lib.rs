//! Sluice's Kafka Connect-compatible runtime: the Connect data model, converters, transforms,
//! the worker and REST API, and the connectors. It reaches Kafka only through [`kafka::KafkaAccess`].

pub mod config;
pub mod connectors;
pub mod converters;
pub mod data;
pub mod kafka;
pub mod rest;
pub mod runtime;
pub mod transforms;
