//! The broker settings Sluice knows, with Kafka's names and defaults. Topic-config synonyms
//! (log.retention.ms and friends) come from the storage crate's topic catalog.

use sluice_storage::config::{ConfigDef, ConfigType, TOPIC_CONFIGS};

pub struct BrokerDef {
    pub name: &'static str,
    pub default: &'static str,
    pub kind: ConfigType,
    pub allowed: &'static [&'static str],
    pub nullable: bool,
    pub doc: &'static str,
}

macro_rules! b {
    ($n:expr, $d:expr, $k:ident, $doc:expr) => {
        BrokerDef {
            name: $n,
            default: $d,
            kind: ConfigType::$k,
            allowed: &[],
            nullable: false,
            doc: $doc,
        }
    };
    ($n:expr, $d:expr, $k:ident, null, $doc:expr) => {
        BrokerDef {
            name: $n,
            default: $d,
            kind: ConfigType::$k,
            allowed: &[],
            nullable: true,
            doc: $doc,
        }
    };
}

pub static BROKER_CONFIGS: &[BrokerDef] = &[
    b!("node.id", "1", Int, "The node id of this broker (broker.id is accepted as an alias)."),
    b!("process.roles", "broker,controller", List, "Roles of this node; Sluice is always a combined broker and single-voter controller."),
    b!("listeners", "PLAINTEXT://0.0.0.0:9092", List, "Listener URIs to bind."),
    b!("advertised.listeners", "", List, null, "Listeners published to clients; defaults to the first listener with 0.0.0.0 shown as localhost."),
    b!("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT", List, "Listener name to security protocol (only PLAINTEXT is supported)."),
    b!("controller.listener.names", "CONTROLLER", List, "Listener names used by the controller; not served as broker listeners."),
    b!("controller.quorum.voters", "", List, null, "Accepted for compatibility; the metadata quorum is this node alone."),
    b!("inter.broker.listener.name", "PLAINTEXT", String, "Accepted for compatibility."),
    b!("log.dirs", "data", List, "Directory for partition logs and metadata (first entry is used)."),
    b!("num.partitions", "1", Int, "Default partition count for auto-created topics and CreateTopics with -1."),
    b!("default.replication.factor", "1", Int, "Replication factor for new topics (always 1 here)."),
    b!("auto.create.topics.enable", "true", Boolean, "Create topics on first metadata request or produce."),
    b!("delete.topic.enable", "true", Boolean, "Allow topic deletion."),
    b!("message.max.bytes", "1048588", Int, "Largest record batch the broker accepts (topic synonym max.message.bytes)."),
    b!("socket.request.max.bytes", "104857600", Int, "Largest request frame accepted; larger frames close the connection."),
    b!("queued.max.request.bytes", "-1", Long, "Bytes of requests read and not yet answered, over all connections; a connection waits for room before reading the next request (-1: unbounded). Unless set: a quarter of sluice.memory.budget.mb."),
    b!("fetch.max.bytes", "57671680", Int, "Most record bytes one Fetch response carries (a first batch larger than this is still returned whole). Unless set: the smaller of 57671680 and an eighth of sluice.memory.budget.mb."),
    b!("socket.send.buffer.bytes", "102400", Int, "Accepted for compatibility."),
    b!("socket.receive.buffer.bytes", "102400", Int, "Accepted for compatibility."),
    b!("num.network.threads", "3", Int, "Accepted for compatibility (tokio schedules connections)."),
    b!("num.io.threads", "8", Int, "Accepted for compatibility."),
    b!("group.initial.rebalance.delay.ms", "3000", Int, "Delay before the first rebalance of a new group."),
    b!("group.min.session.timeout.ms", "6000", Int, "Smallest session timeout a member may ask for."),
    b!("group.max.session.timeout.ms", "1800000", Int, "Largest session timeout a member may ask for."),
    b!("group.max.size", "2147483647", Int, "Maximum members in one group."),
    b!("offsets.retention.ms", "604800000", Long, "How long committed offsets of empty groups are kept."),
    b!("offsets.topic.replication.factor", "1", Int, "Accepted for compatibility."),
    b!("transaction.state.log.replication.factor", "1", Int, "Accepted for compatibility."),
    b!("transaction.state.log.min.isr", "1", Int, "Accepted for compatibility."),
    b!("log.retention.check.interval.ms", "300000", Long, "How often retention is applied."),
    b!("log.retention.hours", "168", Int, "Retention in hours (log.retention.ms wins)."),
    b!("log.retention.minutes", "", Int, null, "Retention in minutes (log.retention.ms wins)."),
    b!("log.roll.hours", "168", Int, "Segment roll time in hours (log.roll.ms wins)."),
    b!("log.cleaner.enable", "true", Boolean, "Run the log cleaner for compacted topics."),
    b!("log.cleaner.backoff.ms", "15000", Long, "Pause between log cleaner passes."),
    b!("log.cleaner.dedupe.buffer.size", "16777216", Long, "Memory for the cleaner's key map (bounds keys cleaned per pass). Unless set: the smaller of 16777216 and an eighth of sluice.memory.budget.mb."),
    b!("sluice.memory.budget.mb", "128", Int, "Memory the appliance's caches and buffers may use together, in MB (flag --memory-budget-mb, env SLUICE_MEMORY_BUDGET_MB): sled cache 1/16, request pool 1/4, fetch responses 1/8, log cleaner 1/8, Connect task buffers 1/2. Full buffers apply back-pressure instead of growing."),
    b!("sluice.metadata.cache.bytes", "16777216", Long, "Cache size of the sled metadata store. Unless set: a sixteenth of sluice.memory.budget.mb."),
    b!("sluice.log.sync.on.ack", "false", Boolean, "true: acks=all produce requests (and the Connect runtime's in-process appends) are answered only after an fdatasync of the partition, shared by concurrent requests (group commit), so a machine crash or power loss loses no acknowledged record; costs throughput (fdatasync-bound). false: answered once the batch is in the page cache, as Kafka does; a process crash (kill -9) still loses nothing, a machine crash can lose what sluice.log.sync.interval.ms had not yet synced. Topics with flush.messages or flush.ms set follow those instead."),
    b!("sluice.log.sync.interval.ms", "1000", Long, "Every partition with unsynced data is synced (fdatasync) in the background at least this often, bounding what a machine crash can lose when acks are not synced. 0: never, as Kafka (which leaves it to the kernel's writeback). A topic's flush.ms, when shorter, wins."),
    b!("sluice.log.drop.behind.bytes", "67108864", Long, "Synced log data lying further than this behind the end of its partition is dropped from the page cache (posix_fadvise DONTNEED), so a write-heavy log reuses a little memory instead of filling the page cache and crowding out the database beside it. Consumers further behind read from disk. 0 leaves the page cache to the kernel, as Kafka does."),
    b!("sluice.metrics.listener", "", String, null, "http://host:port serving Prometheus /metrics and /ready for the broker alone (e.g. http://0.0.0.0:9404); empty: off. With Connect, the REST port serves both."),
];

pub fn broker_def(name: &str) -> Option<&'static BrokerDef> {
    BROKER_CONFIGS.iter().find(|d| d.name == name)
}

/// The topic config whose broker-level synonym is `key` (e.g. log.retention.ms).
pub fn topic_def_for_broker_key(key: &str) -> Option<&'static ConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.broker_synonym == Some(key))
}

/// Keys a bitnami/kafka or Kafka config commonly carries that need no action here.
pub fn is_ignored(key: &str) -> bool {
    matches!(
        key,
        "cluster.id"
            | "zookeeper.connect"
            | "log.flush.scheduler.interval.ms"
            | "num.recovery.threads.per.data.dir"
            | "metadata.log.dir"
    )
}
