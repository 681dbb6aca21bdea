//! Metadata and DescribeTopicPartitions: this node is the leader, sole replica and ISR of every
//! partition. Unknown topics are auto-created when the request and auto.create.topics.enable allow.

use std::sync::Arc;

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, MetadataRequest,
    MetadataResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::sb;
use crate::state::{validate_topic_name, Broker, Topic};

const NOT_REQUESTED: i32 = i32::MIN;
/// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
pub const TOPIC_OPERATIONS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
/// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ...
pub const CLUSTER_OPERATIONS: i32 = (1 << 5)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 11)
    | (1 << 12)
    | (1 << 13)
    | (1 << 14);

fn partition_entries(b: &Broker, t: &Topic, version: i16) -> Vec<MetadataResponsePartition> {
    let node = BrokerId(b.config.node_id);
    (0..t.partitions.len() as i32)
        .map(|i| {
            let mut p = MetadataResponsePartition::default();
            p.partition_index = i;
            p.leader_id = node;
            if version >= 7 {
                p.leader_epoch = 0;
            }
            p.replica_nodes = vec![node];
            p.isr_nodes = vec![node];
            p
        })
        .collect()
}

fn topic_entry(b: &Broker, t: &Topic, with_ops: bool, version: i16) -> MetadataResponseTopic {
    let mut e = MetadataResponseTopic::default();
    e.name = Some(TopicName(sb(t.name.clone())));
    if version >= 10 {
        e.topic_id = t.id;
    }
    e.is_internal = t.is_internal();
    e.partitions = partition_entries(b, t, version);
    e.topic_authorized_operations = if with_ops && version >= 8 {
        TOPIC_OPERATIONS
    } else {
        NOT_REQUESTED
    };
    e
}

fn error_topic(name: Option<StrBytes>, id: uuid::Uuid, code: i16) -> MetadataResponseTopic {
    let mut e = MetadataResponseTopic::default();
    e.error_code = code;
    e.name = name.map(TopicName);
    e.topic_id = id;
    e.topic_authorized_operations = NOT_REQUESTED;
    e
}

pub async fn handle(b: &Arc<Broker>, req: MetadataRequest, version: i16) -> MetadataResponse {
    let mut r = MetadataResponse::default();
    let mut broker = MetadataResponseBroker::default();
    broker.node_id = BrokerId(b.config.node_id);
    broker.host = sb(b.config.advertised.host.clone());
    broker.port = b.config.advertised.port as i32;
    r.brokers = vec![broker];
    if version >= 2 {
        r.cluster_id = Some(sb(b.cluster_id.clone()));
    }
    r.controller_id = BrokerId(b.config.node_id);
    let with_ops = req.include_topic_authorized_operations;
    r.cluster_authorized_operations =
        if req.include_cluster_authorized_operations && (8..=10).contains(&version) {
            CLUSTER_OPERATIONS
        } else {
            NOT_REQUESTED
        };
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    let all = match &req.topics {
        None => true,
        Some(t) => t.is_empty() && version == 0,
    };
    if all {
        r.topics = b
            .topics()
            .iter()
            .map(|t| topic_entry(b, t, with_ops, version))
            .collect();
        return r;
    }
    // v1-3 always allow auto-creation; v4+ carries the flag.
    let allow_auto = version < 4 || req.allow_auto_topic_creation;
    for rt in req.topics.unwrap_or_default() {
        let entry = match rt.name {
            Some(name) => {
                let n = name.0.as_str().to_string();
                if validate_topic_name(&n).is_err() {
                    error_topic(
                        Some(name.0),
                        uuid::Uuid::nil(),
                        E::InvalidTopicException.code(),
                    )
                } else if let Some(t) = b.topic(&n) {
                    topic_entry(b, &t, with_ops, version)
                } else if allow_auto {
                    match b.auto_create(&n).await {
                        Some(t) => {
                            // Kafka answers LEADER_NOT_AVAILABLE for a topic it just created; the
                            // client retries. Ours is ready at once, so answer with it.
                            topic_entry(b, &t, with_ops, version)
                        }
                        None => error_topic(
                            Some(name.0),
                            uuid::Uuid::nil(),
                            E::UnknownTopicOrPartition.code(),
                        ),
                    }
                } else {
                    error_topic(
                        Some(name.0),
                        uuid::Uuid::nil(),
                        E::UnknownTopicOrPartition.code(),
                    )
                }
            }
            None => match b.topic_by_id(&rt.topic_id) {
                Some(t) => topic_entry(b, &t, with_ops, version),
                None => error_topic(None, rt.topic_id, E::UnknownTopicId.code()),
            },
        };
        r.topics.push(entry);
    }
    r
}

pub fn describe_topic_partitions(
    b: &Broker,
    req: DescribeTopicPartitionsRequest,
    _version: i16,
) -> DescribeTopicPartitionsResponse {
    let mut r = DescribeTopicPartitionsResponse::default();
    let node = BrokerId(b.config.node_id);
    let mut names: Vec<String> = if req.topics.is_empty() {
        b.topics().iter().map(|t| t.name.clone()).collect()
    } else {
        req.topics
            .iter()
            .map(|t| t.name.0.as_str().to_string())
            .collect()
    };
    names.sort();
    let (cursor_topic, cursor_part) = match &req.cursor {
        Some(c) => (Some(c.topic_name.0.as_str().to_string()), c.partition_index),
        None => (None, 0),
    };
    let mut budget = if req.response_partition_limit > 0 {
        req.response_partition_limit as usize
    } else {
        2000
    };
    for name in names {
        if let Some(ct) = &cursor_topic {
            if &name < ct {
                continue;
            }
        }
        let mut e = DescribeTopicPartitionsResponseTopic::default();
        e.name = Some(TopicName(sb(name.clone())));
        e.topic_authorized_operations = NOT_REQUESTED;
        let Some(t) = b.topic(&name) else {
            e.error_code = E::UnknownTopicOrPartition.code();
            r.topics.push(e);
            continue;
        };
        e.topic_id = t.id;
        e.is_internal = t.is_internal();
        let start = if cursor_topic.as_deref() == Some(name.as_str()) {
            cursor_part.max(0)
        } else {
            0
        };
        for i in start..t.partitions.len() as i32 {
            if budget == 0 {
                let mut c = Cursor::default();
                c.topic_name = TopicName(sb(name.clone()));
                c.partition_index = i;
                r.next_cursor = Some(c);
                r.topics.push(e);
                return r;
            }
            budget -= 1;
            let mut p = DescribeTopicPartitionsResponsePartition::default();
            p.partition_index = i;
            p.leader_id = node;
            p.replica_nodes = vec![node];
            p.isr_nodes = vec![node];
            p.eligible_leader_replicas = Some(vec![]);
            p.last_known_elr = Some(vec![]);
            e.partitions.push(p);
        }
        r.topics.push(e);
    }
    r
}
