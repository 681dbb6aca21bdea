//! Request dispatch: the table of APIs and versions this broker advertises, and one handler
//! module per API family. Handlers take decoded requests and return responses; protocol-level
//! failures that Kafka answers by closing the connection are returned as `DispatchError`.

pub mod admin_topics;
pub mod api_versions;
pub mod cluster;
pub mod configs;
pub mod fetch;
pub mod groups;
pub mod list_offsets;
pub mod metadata;
pub mod produce;
pub mod producer_id;

use std::sync::Arc;

use kafka_protocol::messages::{ApiKey, RequestKind, ResponseKind};

use crate::state::Broker;

/// (api key, min, max) advertised in ApiVersions. Produce is advertised from v0 because
/// librdkafka disables compression otherwise; v0-2 are refused as Kafka 4.0 does.
pub const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 0, 11),
    (ApiKey::Fetch, 4, 16),
    (ApiKey::ListOffsets, 1, 9),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 6),
    (ApiKey::JoinGroup, 0, 9),
    (ApiKey::Heartbeat, 0, 4),
    (ApiKey::LeaveGroup, 0, 5),
    (ApiKey::SyncGroup, 0, 5),
    (ApiKey::DescribeGroups, 0, 5),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::ApiVersions, 0, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DeleteRecords, 0, 2),
    (ApiKey::InitProducerId, 0, 5),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::AlterConfigs, 0, 2),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::DescribeQuorum, 0, 2),
    (ApiKey::DescribeCluster, 0, 1),
    (ApiKey::ConsumerGroupDescribe, 0, 0),
    (ApiKey::DescribeTopicPartitions, 0, 0),
];

/// The lowest Produce version actually served.
pub const PRODUCE_MIN_SERVED: i16 = 3;

pub fn supported_range(key: ApiKey) -> Option<(i16, i16)> {
    SUPPORTED
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, lo, hi)| (*lo, *hi))
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("{0:?} is not supported by this broker")]
    Unsupported(ApiKey),
}

/// Who sent the request, for group membership and logs.
pub struct ClientInfo {
    pub client_id: String,
    pub host: String,
}

/// Runs one request. `Ok(None)` means no response is sent (Produce with acks=0).
pub async fn dispatch(
    broker: &Arc<Broker>,
    req: RequestKind,
    version: i16,
    client: &ClientInfo,
) -> Result<Option<ResponseKind>, DispatchError> {
    use RequestKind as R;
    use ResponseKind as S;
    let groups = broker.groups();
    Ok(Some(match req {
        R::ApiVersions(r) => S::ApiVersions(api_versions::handle(&r, version)),
        R::Metadata(r) => S::Metadata(metadata::handle(broker, r, version).await),
        R::Produce(r) => return Ok(produce::handle(broker, r, version).await.map(S::Produce)),
        R::Fetch(r) => S::Fetch(fetch::handle(broker, r, version).await),
        R::ListOffsets(r) => S::ListOffsets(list_offsets::handle(broker, r, version)),
        R::OffsetForLeaderEpoch(r) => {
            S::OffsetForLeaderEpoch(list_offsets::offset_for_leader_epoch(broker, r, version))
        }
        R::InitProducerId(r) => S::InitProducerId(producer_id::handle(broker, r, version)),
        R::CreateTopics(r) => {
            S::CreateTopics(admin_topics::create_topics(broker, r, version).await)
        }
        R::DeleteTopics(r) => {
            S::DeleteTopics(admin_topics::delete_topics(broker, r, version).await)
        }
        R::CreatePartitions(r) => {
            S::CreatePartitions(admin_topics::create_partitions(broker, r, version).await)
        }
        R::DeleteRecords(r) => S::DeleteRecords(admin_topics::delete_records(broker, r, version)),
        R::DescribeTopicPartitions(r) => {
            S::DescribeTopicPartitions(metadata::describe_topic_partitions(broker, r, version))
        }
        R::DescribeConfigs(r) => S::DescribeConfigs(configs::describe(broker, r, version)),
        R::AlterConfigs(r) => S::AlterConfigs(configs::alter(broker, r, version).await),
        R::IncrementalAlterConfigs(r) => {
            S::IncrementalAlterConfigs(configs::incremental_alter(broker, r, version).await)
        }
        R::DescribeCluster(r) => S::DescribeCluster(cluster::describe_cluster(broker, r, version)),
        R::DescribeQuorum(r) => S::DescribeQuorum(cluster::describe_quorum(broker, r, version)),
        R::FindCoordinator(r) => S::FindCoordinator(groups::find_coordinator(broker, r, version)),
        R::JoinGroup(r) => S::JoinGroup(
            groups
                .join_group(r, version, &client.client_id, &client.host)
                .await,
        ),
        R::SyncGroup(r) => S::SyncGroup(groups.sync_group(r, version).await),
        R::Heartbeat(r) => S::Heartbeat(groups.heartbeat(r, version).await),
        R::LeaveGroup(r) => S::LeaveGroup(groups.leave_group(r, version).await),
        R::OffsetCommit(r) => S::OffsetCommit(groups.offset_commit(r, version).await),
        R::OffsetFetch(r) => S::OffsetFetch(groups.offset_fetch(r, version).await),
        R::DescribeGroups(r) => S::DescribeGroups(groups.describe_groups(r, version).await),
        R::ListGroups(r) => S::ListGroups(groups.list_groups(r, version).await),
        R::DeleteGroups(r) => S::DeleteGroups(groups.delete_groups(r, version).await),
        R::OffsetDelete(r) => S::OffsetDelete(groups.offset_delete(r, version).await),
        R::ConsumerGroupDescribe(r) => {
            S::ConsumerGroupDescribe(groups.consumer_group_describe(r, version))
        }
        other => return Err(DispatchError::Unsupported(other_key(&other))),
    }))
}

fn other_key(r: &RequestKind) -> ApiKey {
    // RequestKind has no accessor for its key; the Debug name is enough for the log line.
    let name = format!("{r:?}");
    let variant = name.split('(').next().unwrap_or("");
    ApiKey::iter()
        .find(|k| format!("{k:?}") == variant)
        .unwrap_or(ApiKey::ApiVersions)
}

/// Shorthand for building protocol strings.
pub fn sb(s: impl Into<String>) -> kafka_protocol::protocol::StrBytes {
    kafka_protocol::protocol::StrBytes::from_string(s.into())
}
