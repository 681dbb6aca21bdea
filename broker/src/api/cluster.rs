//! DescribeCluster and DescribeQuorum. The KRaft-lite metadata quorum is this node alone: it
//! answers as the leader and only voter of __cluster_metadata, whose end offset is the length
//! of the metadata log in the sled store.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::describe_quorum_response::{
    Listener, Node, PartitionData, ReplicaState, TopicData,
};
use kafka_protocol::messages::{
    BrokerId, DescribeClusterRequest, DescribeClusterResponse, DescribeQuorumRequest,
    DescribeQuorumResponse, TopicName,
};

use super::metadata::CLUSTER_OPERATIONS;
use super::sb;
use crate::state::{now_ms, Broker};

pub fn describe_cluster(
    b: &Broker,
    req: DescribeClusterRequest,
    _version: i16,
) -> DescribeClusterResponse {
    let mut r = DescribeClusterResponse::default();
    r.cluster_id = sb(b.cluster_id.clone());
    r.controller_id = BrokerId(b.config.node_id);
    r.endpoint_type = req.endpoint_type;
    let mut br = DescribeClusterBroker::default();
    br.broker_id = BrokerId(b.config.node_id);
    br.host = sb(b.config.advertised.host.clone());
    br.port = b.config.advertised.port as i32;
    r.brokers = vec![br];
    r.cluster_authorized_operations = if req.include_cluster_authorized_operations {
        CLUSTER_OPERATIONS
    } else {
        i32::MIN
    };
    r
}

pub fn describe_quorum(
    b: &Broker,
    _req: DescribeQuorumRequest,
    version: i16,
) -> DescribeQuorumResponse {
    let end = b.meta.metalog_end().unwrap_or(0) as i64;
    let now = now_ms();
    let node = BrokerId(b.config.node_id);
    let mut voter = ReplicaState::default();
    voter.replica_id = node;
    voter.log_end_offset = end;
    if version >= 1 {
        voter.last_fetch_timestamp = now;
        voter.last_caught_up_timestamp = now;
    }
    let mut p = PartitionData::default();
    p.partition_index = 0;
    p.leader_id = node;
    p.leader_epoch = 1;
    p.high_watermark = end;
    p.current_voters = vec![voter];
    let mut t = TopicData::default();
    t.topic_name = TopicName(sb("__cluster_metadata"));
    t.partitions = vec![p];
    let mut l = Listener::default();
    l.name = sb(b.config.advertised.name.clone());
    l.host = sb(b.config.advertised.host.clone());
    l.port = b.config.advertised.port;
    let mut n = Node::default();
    n.node_id = node;
    n.listeners = vec![l];
    let mut r = DescribeQuorumResponse::default();
    r.topics = vec![t];
    if version >= 2 {
        r.nodes = vec![n];
    }
    r
}
