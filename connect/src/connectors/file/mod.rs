//! org.apache.kafka.connect.file: FileStreamSourceConnector (lines appended to a file become
//! records) and FileStreamSinkConnector (each record's value becomes a line), as in Kafka 3.9 §9.

pub mod sink;
pub mod source;

use super::{ConnectorPlugin, PluginFactory};

/// Kafka's AppInfoParser version, which the FileStream connectors report.
pub const VERSION: &str = "3.9.0";

pub const SOURCE_PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "org.apache.kafka.connect.file.FileStreamSourceConnector",
    task_class: "org.apache.kafka.connect.file.FileStreamSourceTask",
    version: VERSION,
    factory: PluginFactory::Source {
        connector: || Box::new(source::FileStreamSourceConnector::default()),
        task: || Box::new(source::FileStreamSourceTask::default()),
    },
};

pub const SINK_PLUGIN: ConnectorPlugin = ConnectorPlugin {
    class: "org.apache.kafka.connect.file.FileStreamSinkConnector",
    task_class: "org.apache.kafka.connect.file.FileStreamSinkTask",
    version: VERSION,
    factory: PluginFactory::Sink {
        connector: || Box::new(sink::FileStreamSinkConnector::default()),
        task: || Box::new(sink::FileStreamSinkTask::default()),
    },
};
