//! OffsetCommit, OffsetFetch and OffsetDelete: who may commit to a group (members of the current
//! generation, or anyone while the group has no members), per-partition validation, and persistence in
//! the MetaStore, flushed before a commit is acknowledged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{
    OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    OffsetFetchRequest, OffsetFetchResponse,
};
use sluice_storage::CommittedOffset;

use super::group::GroupState;
use super::{sb, sb_owned, GroupCoordinator};

/// `offset.metadata.max.bytes` (Kafka compares the string length).
pub(super) const MAX_OFFSET_METADATA: usize = 4096;

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// Committed offsets of one group, per topic, in request order (or sorted when all were asked for).
type FetchedOffsets = Vec<(String, Vec<(i32, Option<CommittedOffset>)>)>;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Which requested offsets OffsetDelete may remove.
enum Deletable {
    All,
    /// A live consumer group: not the topics it subscribes to (None: subscriptions unknown, so none).
    Unsubscribed(Option<HashSet<String>>),
}

impl GroupCoordinator {
    pub async fn offset_commit(
        self: &Arc<Self>,
        req: OffsetCommitRequest,
        version: i16,
    ) -> OffsetCommitResponse {
        self.ensure_sweeper();
        let group_id = req.group_id.0.as_str().to_string();
        let instance_id = if version >= 7 {
            req.group_instance_id
                .map(|s| s.as_str().to_string())
                .filter(|s| !s.is_empty())
        } else {
            None
        };
        let group_error = self.validate_commit(
            &group_id,
            req.generation_id_or_member_epoch,
            req.member_id.as_str(),
            instance_id.as_deref(),
        );
        let timestamp = now_ms();
        let mut entries = Vec::new();
        let mut results = Vec::with_capacity(req.topics.len());
        for topic in req.topics {
            let name = topic.name.0.as_str().to_string();
            let count = self.topics.partition_count(&name);
            let mut parts = Vec::with_capacity(topic.partitions.len());
            for p in topic.partitions {
                let exists = count.is_some_and(|n| p.partition_index >= 0 && p.partition_index < n);
                let metadata = p.committed_metadata.map(|m| m.as_str().to_string());
                let error = if !exists {
                    code(ResponseError::UnknownTopicOrPartition)
                } else if let Some(e) = group_error {
                    e
                } else if metadata
                    .as_ref()
                    .is_some_and(|m| m.chars().count() > MAX_OFFSET_METADATA)
                {
                    code(ResponseError::OffsetMetadataTooLarge)
                } else {
                    entries.push((
                        name.clone(),
                        p.partition_index,
                        CommittedOffset {
                            offset: p.committed_offset,
                            leader_epoch: if version >= 6 {
                                p.committed_leader_epoch
                            } else {
                                -1
                            },
                            metadata,
                            commit_timestamp: timestamp,
                        },
                    ));
                    0
                };
                parts.push((p.partition_index, error));
            }
            results.push((topic.name, parts));
        }
        if !entries.is_empty() && !self.persist_offsets(&group_id, &entries).await {
            let unavailable = code(ResponseError::CoordinatorNotAvailable);
            for (_, parts) in results.iter_mut() {
                for (_, e) in parts.iter_mut().filter(|(_, e)| *e == 0) {
                    *e = unavailable;
                }
            }
        }
        let mut resp = OffsetCommitResponse::default();
        resp.topics = results
            .into_iter()
            .map(|(name, parts)| {
                let mut t = OffsetCommitResponseTopic::default();
                t.name = name;
                t.partitions = parts
                    .into_iter()
                    .map(|(partition, error)| {
                        let mut p = OffsetCommitResponsePartition::default();
                        p.partition_index = partition;
                        p.error_code = error;
                        p
                    })
                    .collect();
                t
            })
            .collect();
        resp
    }

    /// Kafka's validateOffsetCommit: generation -1 with no member id is an admin / standalone commit,
    /// allowed while the group has no members; anything else must be a member of the current generation.
    fn validate_commit(
        &self,
        group_id: &str,
        generation: i32,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Option<i16> {
        if self.is_shut_down() {
            return Some(code(ResponseError::CoordinatorNotAvailable));
        }
        let claims_membership = generation >= 0 || !member_id.is_empty() || instance_id.is_some();
        let Some(group) = self.get_group(group_id) else {
            return if generation >= 0 {
                // A member of a generation the coordinator does not know (any more).
                Some(code(ResponseError::IllegalGeneration))
            } else if claims_membership {
                Some(code(ResponseError::UnknownMemberId))
            } else {
                None
            };
        };
        let mut g = group.lock();
        if g.is(GroupState::Dead) {
            return Some(code(ResponseError::CoordinatorNotAvailable));
        }
        if claims_membership {
            if let Some(e) = g.validate_member(member_id, instance_id) {
                return Some(e);
            }
            if generation != g.generation {
                return Some(code(ResponseError::IllegalGeneration));
            }
            if g.is(GroupState::CompletingRebalance) {
                return Some(code(ResponseError::RebalanceInProgress));
            }
            // A committing member is alive (Kafka refreshes its session here too).
            if let Some(m) = g.members.get_mut(member_id) {
                m.touch(self.now());
            }
            None
        } else if !g.is(GroupState::Empty) {
            // Only members may commit while the group has any.
            Some(code(ResponseError::UnknownMemberId))
        } else {
            None
        }
    }

    async fn persist_offsets(
        &self,
        group_id: &str,
        entries: &[(String, i32, CommittedOffset)],
    ) -> bool {
        if let Err(e) = self.meta.commit_offsets(group_id, entries) {
            tracing::error!(group = group_id, error = %e, "could not store committed offsets");
            return false;
        }
        if let Err(e) = self.meta.flush_async().await {
            tracing::error!(group = group_id, error = %e, "could not flush committed offsets");
            return false;
        }
        true
    }

    /// Committed offsets for `topics` (None: every partition the group committed). A partition
    /// without a commit gets None (answered as offset -1, metadata "").
    fn fetch_group_offsets(
        &self,
        group_id: &str,
        topics: Option<Vec<(String, Vec<i32>)>>,
    ) -> Result<FetchedOffsets, i16> {
        if self.is_shut_down() {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        let stored = self.meta.group_offsets(group_id).map_err(|e| {
            tracing::error!(group = group_id, error = %e, "could not read committed offsets");
            code(ResponseError::CoordinatorNotAvailable)
        })?;
        match topics {
            Some(topics) => {
                let mut by_key: HashMap<(String, i32), CommittedOffset> =
                    stored.into_iter().map(|(t, p, o)| ((t, p), o)).collect();
                Ok(topics
                    .into_iter()
                    .map(|(topic, partitions)| {
                        let parts = partitions
                            .into_iter()
                            .map(|p| (p, by_key.remove(&(topic.clone(), p))))
                            .collect();
                        (topic, parts)
                    })
                    .collect())
            }
            None => {
                let mut stored = stored;
                stored.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
                let mut out: FetchedOffsets = Vec::new();
                for (topic, partition, offset) in stored {
                    match out.last_mut() {
                        Some((t, parts)) if *t == topic => parts.push((partition, Some(offset))),
                        _ => out.push((topic, vec![(partition, Some(offset))])),
                    }
                }
                Ok(out)
            }
        }
    }

    pub async fn offset_fetch(
        self: &Arc<Self>,
        req: OffsetFetchRequest,
        version: i16,
    ) -> OffsetFetchResponse {
        self.ensure_sweeper();
        let mut resp = OffsetFetchResponse::default();
        if version >= 8 {
            resp.groups = req
                .groups
                .into_iter()
                .map(|g| {
                    let topics = g.topics.map(|ts| {
                        ts.into_iter()
                            .map(|t| (t.name.0.as_str().to_string(), t.partition_indexes))
                            .collect()
                    });
                    let mut out = OffsetFetchResponseGroup::default();
                    match self.fetch_group_offsets(g.group_id.as_str(), topics) {
                        Ok(fetched) => out.topics = fetched.into_iter().map(topics_v8).collect(),
                        Err(e) => out.error_code = e,
                    }
                    out.group_id = g.group_id;
                    out
                })
                .collect();
            return resp;
        }
        let topics: Option<Vec<(String, Vec<i32>)>> = req.topics.map(|ts| {
            ts.into_iter()
                .map(|t| (t.name.0.as_str().to_string(), t.partition_indexes))
                .collect()
        });
        match self.fetch_group_offsets(req.group_id.as_str(), topics.clone()) {
            Ok(fetched) => resp.topics = fetched.into_iter().map(|t| topic_v0(t, 0)).collect(),
            Err(e) if version >= 2 => resp.error_code = e,
            Err(e) => {
                // v0-1 have no group-level error: report it on every requested partition.
                let requested = topics.unwrap_or_default();
                resp.topics = requested
                    .into_iter()
                    .map(|(t, ps)| topic_v0((t, ps.into_iter().map(|p| (p, None)).collect()), e))
                    .collect();
            }
        }
        resp
    }

    pub async fn offset_delete(
        self: &Arc<Self>,
        req: OffsetDeleteRequest,
        _version: i16,
    ) -> OffsetDeleteResponse {
        self.ensure_sweeper();
        let group_id = req.group_id.0.as_str().to_string();
        let mut resp = OffsetDeleteResponse::default();
        let deletable = match self.offset_delete_scope(&group_id) {
            Ok(d) => d,
            Err(e) => {
                resp.error_code = e;
                return resp;
            }
        };
        let mut changed = false;
        for topic in req.topics {
            let name = topic.name.0.as_str().to_string();
            let count = self.topics.partition_count(&name);
            let subscribed = match &deletable {
                Deletable::All => false,
                Deletable::Unsubscribed(None) => true,
                Deletable::Unsubscribed(Some(topics)) => topics.contains(&name),
            };
            let mut t = OffsetDeleteResponseTopic::default();
            t.partitions = topic
                .partitions
                .into_iter()
                .map(|p| {
                    let idx = p.partition_index;
                    let error = if !count.is_some_and(|n| idx >= 0 && idx < n) {
                        code(ResponseError::UnknownTopicOrPartition)
                    } else if subscribed {
                        code(ResponseError::GroupSubscribedToTopic)
                    } else if let Err(e) = self.meta.delete_offset(&group_id, &name, idx) {
                        tracing::error!(group = %group_id, topic = %name, partition = idx, error = %e, "could not delete a committed offset");
                        code(ResponseError::CoordinatorNotAvailable)
                    } else {
                        changed = true;
                        0
                    };
                    let mut out = OffsetDeleteResponsePartition::default();
                    out.partition_index = idx;
                    out.error_code = error;
                    out
                })
                .collect();
            t.name = topic.name;
            resp.topics.push(t);
        }
        if changed {
            if let Err(e) = self.meta.flush_async().await {
                tracing::error!(group = %group_id, error = %e, "could not flush offset deletions");
            }
        }
        resp
    }

    fn offset_delete_scope(&self, group_id: &str) -> Result<Deletable, i16> {
        if self.is_shut_down() {
            return Err(code(ResponseError::CoordinatorNotAvailable));
        }
        if let Some(group) = self.get_group(group_id) {
            let g = group.lock();
            return match g.state {
                GroupState::Dead => Err(code(ResponseError::GroupIdNotFound)),
                GroupState::Empty => Ok(Deletable::All),
                _ if g.protocol_type.as_deref() == Some("consumer") => {
                    Ok(Deletable::Unsubscribed(g.subscribed_topics.clone()))
                }
                _ => Err(code(ResponseError::NonEmptyGroup)),
            };
        }
        match self.meta.group_offsets(group_id) {
            Ok(offsets) if !offsets.is_empty() => Ok(Deletable::All),
            Ok(_) => Err(code(ResponseError::GroupIdNotFound)),
            Err(e) => {
                tracing::error!(group = group_id, error = %e, "could not read committed offsets");
                Err(code(ResponseError::CoordinatorNotAvailable))
            }
        }
    }
}

fn topic_v0(
    (topic, parts): (String, Vec<(i32, Option<CommittedOffset>)>),
    error: i16,
) -> OffsetFetchResponseTopic {
    let mut t = OffsetFetchResponseTopic::default();
    t.name = sb_owned(topic).into();
    t.partitions = parts
        .into_iter()
        .map(|(partition, committed)| {
            let mut p = OffsetFetchResponsePartition::default();
            p.partition_index = partition;
            p.error_code = error;
            match committed {
                Some(c) => {
                    p.committed_offset = c.offset;
                    p.committed_leader_epoch = c.leader_epoch;
                    p.metadata = Some(sb_owned(c.metadata.unwrap_or_default()));
                }
                None => {
                    p.committed_offset = -1;
                    p.committed_leader_epoch = -1;
                    p.metadata = Some(sb(""));
                }
            }
            p
        })
        .collect();
    t
}

fn topics_v8(
    (topic, parts): (String, Vec<(i32, Option<CommittedOffset>)>),
) -> OffsetFetchResponseTopics {
    let mut t = OffsetFetchResponseTopics::default();
    t.name = sb_owned(topic).into();
    t.partitions = parts
        .into_iter()
        .map(|(partition, committed)| {
            let mut p = OffsetFetchResponsePartitions::default();
            p.partition_index = partition;
            match committed {
                Some(c) => {
                    p.committed_offset = c.offset;
                    p.committed_leader_epoch = c.leader_epoch;
                    p.metadata = Some(sb_owned(c.metadata.unwrap_or_default()));
                }
                None => {
                    p.committed_offset = -1;
                    p.committed_leader_epoch = -1;
                    p.metadata = Some(sb(""));
                }
            }
            p
        })
        .collect();
    t
}
