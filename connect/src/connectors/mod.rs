//! Connectors: the Rust connector interface (source/sink connectors and tasks) and the registry
//! of built-in connector plugins. A new connector is a folder plus a registration line in
//! [`PLUGINS`].

pub mod connector;
pub mod elasticsearch;
pub mod file;
pub mod mysql;
pub mod task;

pub use connector::{Connector, ConnectorContext, ConnectorError, SinkConnector, SourceConnector};
pub use task::{
    ErrantRecordReporter, OffsetReader, SinkRecord, SinkTask, SinkTaskContext, SourceRecord,
    SourceTask, SourceTaskContext, TopicPartition,
};

/// `source` or `sink` (the REST `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectorType {
    Source,
    Sink,
}

impl ConnectorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorType::Source => "source",
            ConnectorType::Sink => "sink",
        }
    }
}

/// How to make a plugin's connector and its tasks.
#[derive(Clone, Copy)]
pub enum PluginFactory {
    Source {
        connector: fn() -> Box<dyn SourceConnector>,
        task: fn() -> Box<dyn SourceTask>,
    },
    Sink {
        connector: fn() -> Box<dyn SinkConnector>,
        task: fn() -> Box<dyn SinkTask>,
    },
}

/// A registered connector class.
#[derive(Clone, Copy)]
pub struct ConnectorPlugin {
    /// The Java class name users put in `connector.class`.
    pub class: &'static str,
    /// The task class name written into task configs as `task.class`.
    pub task_class: &'static str,
    pub version: &'static str,
    pub factory: PluginFactory,
}

impl ConnectorPlugin {
    pub fn kind(&self) -> ConnectorType {
        match self.factory {
            PluginFactory::Source { .. } => ConnectorType::Source,
            PluginFactory::Sink { .. } => ConnectorType::Sink,
        }
    }

    /// The simple class name (after the last `.`).
    pub fn simple_name(&self) -> &'static str {
        self.class.rsplit('.').next().unwrap_or(self.class)
    }

    /// The plugin's own config definition (from a fresh, unstarted instance).
    pub fn config_def(&self) -> crate::config::ConfigDef {
        match self.factory {
            PluginFactory::Source { connector, .. } => connector().config_def(),
            PluginFactory::Sink { connector, .. } => connector().config_def(),
        }
    }

    /// Whether `name` refers to this plugin: the FQCN, the simple name, or the simple name
    /// without its `Connector` suffix.
    pub fn matches(&self, name: &str) -> bool {
        let simple = self.simple_name();
        name == self.class || name == simple || simple.strip_suffix("Connector") == Some(name)
    }
}

/// Every built-in connector. Register a new connector with one line here.
pub static PLUGINS: &[ConnectorPlugin] = &[
    file::SOURCE_PLUGIN,
    file::SINK_PLUGIN,
    mysql::MYSQL_PLUGIN,
    mysql::MARIADB_PLUGIN,
    elasticsearch::PLUGIN,
];

/// Looks a connector class up by FQCN or alias (§1.3 "Connector class lookup").
pub fn find(name: &str) -> Option<&'static ConnectorPlugin> {
    let name = name.trim();
    PLUGINS.iter().find(|p| p.matches(name))
}

/// Kafka's PluginDesc.toString, used in "Failed to find any class..." messages.
pub fn plugin_desc(p: &ConnectorPlugin) -> String {
    let kind = p.kind().as_str();
    format!(
        "PluginDesc{{klass=class {c}, name='{c}', version='{v}', encodedVersion={v}, type={kind}, typeName='{kind}', location='classpath'}}",
        c = p.class,
        v = p.version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_by_alias() {
        for name in [
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "FileStreamSourceConnector",
            "FileStreamSource",
        ] {
            assert_eq!(
                find(name).map(|p| p.kind()),
                Some(ConnectorType::Source),
                "{name}"
            );
        }
        assert_eq!(
            find("FileStreamSink").map(|p| p.kind()),
            Some(ConnectorType::Sink)
        );
        assert!(find("FileStream").is_none());
        assert!(find("com.example.Nope").is_none());
    }
}
