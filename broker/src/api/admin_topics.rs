//! Topic administration: CreateTopics, DeleteTopics, CreatePartitions and DeleteRecords.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
    DeleteRecordsRequest, DeleteRecordsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
    TopicName,
};

use super::configs::topic_config_entries;
use super::sb;
use crate::state::{Broker, TopicError};

pub fn topic_error_code(e: &TopicError) -> i16 {
    match e {
        TopicError::Exists(_) => E::TopicAlreadyExists.code(),
        TopicError::Unknown(_) => E::UnknownTopicOrPartition.code(),
        TopicError::InvalidName(_) => E::InvalidTopicException.code(),
        TopicError::InvalidPartitions(_) => E::InvalidPartitions.code(),
        TopicError::InvalidReplicationFactor(_) => E::InvalidReplicationFactor.code(),
        TopicError::InvalidConfig(_) => E::InvalidConfig.code(),
        TopicError::DeletionDisabled => E::TopicDeletionDisabled.code(),
        TopicError::Storage(_) => E::KafkaStorageError.code(),
    }
}

pub async fn create_topics(
    b: &Arc<Broker>,
    req: CreateTopicsRequest,
    version: i16,
) -> CreateTopicsResponse {
    let mut resp = CreateTopicsResponse::default();
    let mut seen = std::collections::HashSet::new();
    for t in req.topics {
        let name = t.name.0.as_str().to_string();
        let mut r = CreatableTopicResult::default();
        r.name = t.name.clone();
        if !seen.insert(name.clone()) {
            r.error_code = E::InvalidRequest.code();
            r.error_message = Some(sb(format!(
                "Create topics request from client contains duplicate topic {name}"
            )));
            resp.topics.push(r);
            continue;
        }
        let mut configs = BTreeMap::new();
        for c in &t.configs {
            if let Some(v) = &c.value {
                configs.insert(c.name.as_str().to_string(), v.as_str().to_string());
            }
        }
        let (partitions, rf) = if !t.assignments.is_empty() {
            let bad = t.assignments.iter().any(|a| {
                a.broker_ids.iter().any(|id| id.0 != b.config.node_id) || a.broker_ids.len() != 1
            });
            if bad {
                r.error_code = E::InvalidReplicaAssignment.code();
                r.error_message = Some(sb(format!(
                    "Replica assignments may only name broker {}",
                    b.config.node_id
                )));
                resp.topics.push(r);
                continue;
            }
            (t.assignments.len() as i32, 1)
        } else {
            (t.num_partitions, t.replication_factor)
        };
        match b
            .create_topic(&name, partitions, rf, configs.clone(), req.validate_only)
            .await
        {
            Ok(topic) => {
                if version >= 7 && !req.validate_only {
                    r.topic_id = topic.id;
                }
                if version >= 5 {
                    r.num_partitions = if partitions == -1 {
                        b.config.num_partitions
                    } else {
                        partitions
                    };
                    r.replication_factor = 1;
                    r.configs = Some(
                        topic_config_entries(b, &configs, None, false, false, 1)
                            .into_iter()
                            .map(|e| {
                                let mut c = CreatableTopicConfigs::default();
                                c.name = e.name;
                                c.value = e.value;
                                c.read_only = e.read_only;
                                c.config_source = e.config_source;
                                c.is_sensitive = e.is_sensitive;
                                c
                            })
                            .collect(),
                    );
                }
            }
            Err(e) => {
                r.error_code = topic_error_code(&e);
                r.error_message = Some(sb(e.to_string()));
            }
        }
        if version >= 5 && r.error_code != 0 {
            r.topic_config_error_code = 0;
        }
        resp.topics.push(r);
    }
    resp
}

pub async fn delete_topics(
    b: &Arc<Broker>,
    req: DeleteTopicsRequest,
    version: i16,
) -> DeleteTopicsResponse {
    let mut resp = DeleteTopicsResponse::default();
    let targets: Vec<(Option<String>, uuid::Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| {
                (
                    t.name.as_ref().map(|n| n.0.as_str().to_string()),
                    t.topic_id,
                )
            })
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.0.as_str().to_string()), uuid::Uuid::nil()))
            .collect()
    };
    for (name, id) in targets {
        let mut r = DeletableTopicResult::default();
        let resolved = match &name {
            Some(n) => Some(n.clone()),
            None => b.topic_by_id(&id).map(|t| t.name.clone()),
        };
        r.name = resolved.clone().map(|n| TopicName(sb(n)));
        if version >= 6 {
            r.topic_id = id;
        }
        match resolved {
            None => r.error_code = E::UnknownTopicId.code(),
            Some(n) => match b.delete_topic(&n).await {
                Ok(tid) => {
                    if version >= 6 {
                        r.topic_id = tid;
                    }
                }
                Err(e) => {
                    r.error_code = topic_error_code(&e);
                    if version >= 5 {
                        r.error_message = Some(sb(e.to_string()));
                    }
                }
            },
        }
        resp.responses.push(r);
    }
    resp
}

pub async fn create_partitions(
    b: &Arc<Broker>,
    req: CreatePartitionsRequest,
    _version: i16,
) -> CreatePartitionsResponse {
    let mut resp = CreatePartitionsResponse::default();
    for t in req.topics {
        let mut r = CreatePartitionsTopicResult::default();
        r.name = t.name.clone();
        if let Some(a) = &t.assignments {
            if a.iter()
                .any(|x| x.broker_ids.iter().any(|id| id.0 != b.config.node_id))
            {
                r.error_code = E::InvalidReplicaAssignment.code();
                r.error_message = Some(sb(format!(
                    "Replica assignments may only name broker {}",
                    b.config.node_id
                )));
                resp.results.push(r);
                continue;
            }
        }
        if let Err(e) = b
            .create_partitions(t.name.0.as_str(), t.count, req.validate_only)
            .await
        {
            r.error_code = topic_error_code(&e);
            r.error_message = Some(sb(e.to_string()));
        }
        resp.results.push(r);
    }
    resp
}

pub fn delete_records(
    b: &Broker,
    req: DeleteRecordsRequest,
    _version: i16,
) -> DeleteRecordsResponse {
    let mut resp = DeleteRecordsResponse::default();
    for t in req.topics {
        let topic = b.topic(t.name.0.as_str());
        let mut tr = DeleteRecordsTopicResult::default();
        tr.name = t.name.clone();
        for p in t.partitions {
            let mut pr = DeleteRecordsPartitionResult::default();
            pr.partition_index = p.partition_index;
            pr.low_watermark = -1;
            let part = topic.as_ref().and_then(|t| t.partition(p.partition_index));
            match part {
                None => pr.error_code = E::UnknownTopicOrPartition.code(),
                Some(part) => {
                    let mut log = part.log.lock();
                    let target = if p.offset == -1 {
                        log.next_offset()
                    } else {
                        p.offset
                    };
                    match log.delete_records_before(target) {
                        Ok(low) => {
                            pr.low_watermark = low;
                            if let Err(e) =
                                b.meta.set_log_start_offset(&part.topic_id, part.index, low)
                            {
                                tracing::warn!(error = %e, "could not persist the log start offset");
                                pr.error_code = E::KafkaStorageError.code();
                            }
                        }
                        Err(sluice_storage::StorageError::OffsetOutOfRange { .. }) => {
                            pr.error_code = E::OffsetOutOfRange.code()
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "delete records failed");
                            pr.error_code = E::KafkaStorageError.code();
                        }
                    }
                }
            }
            tr.partitions.push(pr);
        }
        resp.topics.push(tr);
    }
    resp
}
