//! Produce: validate and append each partition's batches, answering per partition with Kafka's
//! error codes. acks=0 gets no response; acks=1 and acks=-1 are answered after the append.

use std::sync::Arc;

use bytes::BytesMut;
use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use sluice_storage::{AppendError, SequenceError, StorageError};

use super::sb;
use crate::state::{now_ms, Broker};

fn error_code(e: &AppendError) -> i16 {
    match e {
        AppendError::Sequence(SequenceError::OutOfOrder { .. }) => {
            E::OutOfOrderSequenceNumber.code()
        }
        AppendError::Sequence(SequenceError::InvalidProducerEpoch { .. }) => {
            E::InvalidProducerEpoch.code()
        }
        AppendError::Storage(s) => match s {
            StorageError::CorruptBatch(_) => E::CorruptMessage.code(),
            StorageError::BatchTooLarge { .. } => E::MessageTooLarge.code(),
            StorageError::UnsupportedMagic(_) => E::UnsupportedForMessageFormat.code(),
            StorageError::InvalidRecord(_) => E::InvalidRecord.code(),
            StorageError::OffsetOutOfRange { .. } => E::OffsetOutOfRange.code(),
            _ => E::KafkaStorageError.code(),
        },
    }
}

/// A partition to sync before answering: its end offset and, for acks=all, the place of its
/// entry in the response (topic index, partition index) to turn into an error if the sync fails.
type SyncTarget = (Arc<crate::state::Partition>, i64, Option<(usize, usize)>);

/// A produce whose batches are appended and whose answer waits for durability.
pub struct PendingProduce {
    acks: i16,
    resp: ProduceResponse,
    /// (partition, end offset, place in the response) awaiting an fdatasync.
    to_sync: Vec<SyncTarget>,
}

pub async fn handle(b: &Arc<Broker>, req: ProduceRequest, version: i16) -> Option<ProduceResponse> {
    append(b, req, version).finish().await
}

/// Phase one, run in request order on the connection: validate and append every partition's
/// batches. Phase two ([`PendingProduce::finish`]) waits for the fdatasync, so requests
/// pipelined on one connection share syncs (group commit) while keeping their order.
pub fn append(b: &Arc<Broker>, req: ProduceRequest, version: i16) -> PendingProduce {
    let acks = req.acks;
    let mut resp = ProduceResponse::default();
    let now = now_ms();
    let mut appended = false;
    // (partition, end offset, place in the response) awaiting an fdatasync before the answer.
    let mut to_sync = Vec::new();
    for td in req.topic_data {
        let name = td.name.0.as_str().to_string();
        let topic = b.topic(&name);
        let mut tr = TopicProduceResponse::default();
        tr.name = td.name.clone();
        for pd in td.partition_data {
            let mut pr = PartitionProduceResponse::default();
            pr.index = pd.index;
            pr.base_offset = -1;
            pr.log_append_time_ms = -1;
            pr.log_start_offset = -1;
            let part = topic.as_ref().and_then(|t| t.partition(pd.index));
            if !(acks == -1 || acks == 0 || acks == 1) {
                pr.error_code = E::InvalidRequiredAcks.code();
            } else if crate::state::validate_topic_name(&name).is_err() {
                pr.error_code = E::InvalidTopicException.code();
            } else if let Some(p) = part {
                let mut buf = BytesMut::from(pd.records.as_deref().unwrap_or(&[]));
                let size = buf.len();
                let mut log = p.log.lock();
                match log.append(&mut buf, now) {
                    Ok(out) => {
                        if !out.duplicate {
                            if let Some(t) = &topic {
                                t.metrics.produced(size, out.records);
                            }
                        }
                        pr.base_offset = out.base_offset;
                        pr.log_append_time_ms = out.log_append_time;
                        appended |= !out.duplicate;
                        b.after_append(&p, &mut log);
                        let cfg = log.config();
                        if b.syncs_on_ack(cfg) {
                            if acks == -1 {
                                let slot = (resp.responses.len(), tr.partition_responses.len());
                                to_sync.push((p.clone(), out.last_offset + 1, Some(slot)));
                            }
                        } else if p.note_appended(out.records, cfg.flush_messages) {
                            to_sync.push((p.clone(), out.last_offset + 1, None));
                        }
                    }
                    Err(e) => {
                        pr.error_code = error_code(&e);
                        if version >= 8 {
                            pr.error_message = Some(sb(e.to_string()));
                        }
                        if pr.error_code == E::KafkaStorageError.code() {
                            tracing::warn!(topic = %name, partition = pd.index, error = %e, "produce failed: storage error");
                        } else {
                            tracing::debug!(topic = %name, partition = pd.index, error = %e, "produce rejected");
                        }
                    }
                }
                if version >= 5 {
                    pr.log_start_offset = log.log_start_offset();
                }
            } else {
                pr.error_code = E::UnknownTopicOrPartition.code();
            }
            tr.partition_responses.push(pr);
        }
        resp.responses.push(tr);
    }
    if appended {
        b.notify_append();
    }
    PendingProduce {
        acks,
        resp,
        to_sync,
    }
}

impl PendingProduce {
    pub async fn finish(self) -> Option<ProduceResponse> {
        let PendingProduce {
            acks,
            mut resp,
            to_sync,
        } = self;
        let results =
            futures::future::join_all(to_sync.iter().map(|(p, end, _)| p.sync_to(*end))).await;
        for ((p, _, slot), res) in to_sync.iter().zip(results) {
            if let Err(e) = res {
                tracing::error!(topic = %p.topic, partition = p.index, error = %e, "fdatasync failed; answering KAFKA_STORAGE_ERROR");
                if let Some((ti, pi)) = slot {
                    if let Some(pr) = resp
                        .responses
                        .get_mut(*ti)
                        .and_then(|t| t.partition_responses.get_mut(*pi))
                    {
                        pr.error_code = E::KafkaStorageError.code();
                        pr.base_offset = -1;
                    }
                }
            }
        }
        if acks == 0 {
            None
        } else {
            Some(resp)
        }
    }
}
