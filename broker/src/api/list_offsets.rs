//! ListOffsets (earliest, latest, max timestamp, by timestamp) and OffsetForLeaderEpoch.
//! All batches are written with leader epoch 0, the only epoch this single node has.

use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{
    ListOffsetsRequest, ListOffsetsResponse, OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse,
};

use crate::state::Broker;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub fn handle(b: &Broker, req: ListOffsetsRequest, version: i16) -> ListOffsetsResponse {
    let mut resp = ListOffsetsResponse::default();
    for t in req.topics {
        let topic = b.topic(t.name.0.as_str());
        let mut tr = ListOffsetsTopicResponse::default();
        tr.name = t.name.clone();
        for p in t.partitions {
            let mut pr = ListOffsetsPartitionResponse::default();
            pr.partition_index = p.partition_index;
            pr.timestamp = -1;
            pr.offset = -1;
            pr.leader_epoch = -1;
            let part = topic.as_ref().and_then(|t| t.partition(p.partition_index));
            match part {
                None => pr.error_code = E::UnknownTopicOrPartition.code(),
                Some(part) => {
                    let log = part.log.lock();
                    let found = match p.timestamp {
                        LATEST | LATEST_TIERED => Ok(Some((log.next_offset(), -1))),
                        EARLIEST | EARLIEST_LOCAL => Ok(Some((log.log_start_offset(), -1))),
                        MAX_TIMESTAMP => log.max_timestamp_offset(),
                        ts if ts >= 0 => log.offset_for_timestamp(ts),
                        _ => Ok(None),
                    };
                    match found {
                        Ok(Some((off, ts))) => {
                            pr.offset = off;
                            pr.timestamp = ts;
                            if version >= 4 {
                                pr.leader_epoch = 0;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(topic = %part.topic, partition = part.index, error = %e, "list offsets failed");
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

pub fn offset_for_leader_epoch(
    b: &Broker,
    req: OffsetForLeaderEpochRequest,
    _version: i16,
) -> OffsetForLeaderEpochResponse {
    let mut resp = OffsetForLeaderEpochResponse::default();
    for t in req.topics {
        let topic = b.topic(t.topic.0.as_str());
        let mut tr = OffsetForLeaderTopicResult::default();
        tr.topic = t.topic.clone();
        for p in t.partitions {
            let mut e = EpochEndOffset::default();
            e.partition = p.partition;
            e.leader_epoch = -1;
            e.end_offset = -1;
            let part = topic.as_ref().and_then(|t| t.partition(p.partition));
            match part {
                None => e.error_code = E::UnknownTopicOrPartition.code(),
                Some(part) if p.current_leader_epoch > 0 => {
                    let _ = part;
                    e.error_code = E::UnknownLeaderEpoch.code();
                }
                Some(part) => {
                    if p.leader_epoch >= 0 {
                        // Epoch 0 is the only epoch: it ends at the log end offset.
                        e.leader_epoch = 0;
                        e.end_offset = part.log.lock().next_offset();
                    }
                }
            }
            tr.partitions.push(e);
        }
        resp.topics.push(tr);
    }
    resp
}
